//! QuerySets on one backend's connection: the executors for an application that runs on
//! one backend only, or that branches per backend, and wants that backend's own diesel
//! expressions (PostgreSQL's `ilike`, MySQL's `regexp`, ...).
//!
//! A QuerySet run on a [`Connection`](orm_exec::Connection), a `&Database` or a
//! [`PooledConnection`](orm_exec::PooledConnection) must compile on every backend the
//! build enables, since the URL picks the backend at run time: with the `sqlite` and
//! `postgres` features on, `filter(notes::text.ilike(p))` does not compile there. The
//! connection of each variant is an executor of its own, which asks the QuerySet to
//! compile on its backend only:
//!
//! | executor | backend |
//! |---|---|
//! | `&mut BlockingSqlite`, `&mut PooledSqlite` | SQLite |
//! | `&mut BlockingPg`, `&mut PooledPg` | PostgreSQL |
//! | `&mut BlockingMysql`, `&mut PooledMysql` | MySQL/MariaDB (`mysql://`) |
//! | `&mut BlockingMariadb`, `&mut PooledMariadb` | MariaDB (`mariadb://`) |
//!
//! (the types of `orm::connection` and `orm::database`). Take it out of the connection with
//! a `match`, which is also how an application branches per backend:
//!
//! ```text
//! use diesel::PgTextExpressionMethods;
//!
//! let notes = match &mut conn {
//!     orm::Connection::Postgres(pg) => qs.filter(notes::text.ilike(&pattern)).all(pg)?,
//!     other => qs.filter(notes::text.like(&pattern)).all(other)?, // every backend
//! };
//! // Async: the same with a `&mut PooledConnection` and `.await`.
//! ```
//!
//! The operations are the same as on every executor (`all`, `first`, `one`, `get`,
//! `count`, `exists`; [`crate::RunQuerySet`]), with the same results and errors.

use orm_exec::statement_conn::run_now;
use orm_exec::Result;

use crate::executor::{async_executor, blocking_executor, direct, read_once, Executor};
use crate::run::{self, Ops, Slice};

/// Implements [`Executor`] for one backend's blocking connection and for its pooled
/// connection, which ask a query to compile on that backend only.
macro_rules! pinned {
    ($( $feature:literal, $blocking:ty, $pooled:ty, $async:ty );* $(;)?) => {$(
        blocking_executor!(
            /// Blocking, on this backend only (see the [module docs](crate::pinned)).
            #[cfg(feature = $feature)]
            [] &mut $blocking, [Ops<T, $blocking>], direct
        );
        async_executor!(
            /// Async, on this backend only (see the [module docs](crate::pinned)).
            #[cfg(feature = $feature)]
            ['c,] &'c mut $pooled, 'c, [Ops<T, $async> + Send + 'static], direct,
            read_once |conn| &mut **conn
        );
    )*};
}

pinned! {
    "sqlite", orm_exec::connection::BlockingSqlite, orm_exec::database::PooledSqlite, orm_exec::database::AsyncSqlite;
    "postgres", orm_exec::connection::BlockingPg, orm_exec::database::PooledPg, orm_exec::database::AsyncPg;
    "mysql", orm_exec::connection::BlockingMysql, orm_exec::database::PooledMysql, orm_exec::database::AsyncMysql;
    "mysql", orm_exec::connection::BlockingMariadb, orm_exec::database::PooledMariadb, orm_exec::database::AsyncMariadb;
}
