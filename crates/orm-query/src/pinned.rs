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
//! `count`, `exists`; [`crate::RunQuerySet`]), with the same results and errors: these
//! connections are executors of orm-exec's one [`Run`](orm_exec::operation::Run) trait,
//! which runs the same read operations on them (and persistence's writes), asking each to
//! compile on their backend only. This module holds no code of its own.
