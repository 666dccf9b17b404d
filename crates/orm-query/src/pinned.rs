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
//! | `&mut BlockingMysql`, `&mut PooledMysql` | MySQL/MariaDB |
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

use orm_exec::{Backend, Error, Result};
use orm_schema::Model;

use crate::executor::Executor;
use crate::queryset::QuerySet;
use crate::run::only;
use crate::run_async::BoxFuture;

/// Implements [`Executor`] for one backend's blocking connection (through
/// `run::$module::Ops`) and for its pooled connection (`run_async::$module::AsyncOps`).
macro_rules! pinned {
    ($feature:literal, $backend:expr, $module:ident, $blocking:ty, $pooled:ty) => {
        /// Blocking, on this backend only (see the [module docs](crate::pinned)).
        #[cfg(feature = $feature)]
        impl<M, W, O> Executor<M, W, O> for &mut $blocking
        where
            M: Model,
            W: Clone,
            O: Clone,
            (W, O): crate::run::$module::Ops<M>,
        {
            type Output<T: Send + 'static> = Result<T>;

            fn all(self, qs: &QuerySet<M, W, O>) -> Result<Vec<M>> {
                use crate::run::$module::Ops;
                Ops::rows(qs.parts(), qs.slice(None), self)
                    .map_err(|e| Error::from_diesel(e, $backend))
            }

            fn first(self, qs: &QuerySet<M, W, O>) -> Result<Option<M>> {
                use crate::run::$module::Ops;
                let rows = Ops::rows(qs.parts(), qs.slice(Some(1)), self)
                    .map_err(|e| Error::from_diesel(e, $backend))?;
                Ok(rows.into_iter().next())
            }

            fn one(self, qs: &QuerySet<M, W, O>) -> Result<M> {
                use crate::run::$module::Ops;
                let rows = Ops::rows(qs.parts(), qs.slice(Some(2)), self)
                    .map_err(|e| Error::from_diesel(e, $backend))?;
                only(rows)
            }

            fn count(self, qs: &QuerySet<M, W, O>) -> Result<i64> {
                use crate::run::$module::Ops;
                Ops::count(qs.parts(), self).map_err(|e| Error::from_diesel(e, $backend))
            }

            fn exists(self, qs: &QuerySet<M, W, O>) -> Result<bool> {
                use crate::run::$module::Ops;
                Ops::exists(qs.parts(), self).map_err(|e| Error::from_diesel(e, $backend))
            }

            fn map<X: Send + 'static, Y: Send + 'static>(
                out: Result<X>,
                f: impl FnOnce(X) -> Y + Send + 'static,
            ) -> Result<Y> {
                out.map(f)
            }
        }

        /// Async, on this backend only (see the [module docs](crate::pinned)).
        #[cfg(feature = $feature)]
        impl<'c, M, W, O> Executor<M, W, O> for &'c mut $pooled
        where
            M: Model + Send,
            W: Clone,
            O: Clone,
            (W, O): crate::run_async::$module::AsyncOps<M> + Send + 'static,
        {
            type Output<T: Send + 'static> = BoxFuture<'c, Result<T>>;

            fn all(self, qs: &QuerySet<M, W, O>) -> Self::Output<Vec<M>> {
                use crate::run_async::$module::AsyncOps as Ops;
                let (query, slice) = (qs.parts(), qs.slice(None));
                Box::pin(async move {
                    Ops::rows(query, slice, &mut **self)
                        .await
                        .map_err(|e| Error::from_diesel(e, $backend))
                })
            }

            fn first(self, qs: &QuerySet<M, W, O>) -> Self::Output<Option<M>> {
                use crate::run_async::$module::AsyncOps as Ops;
                let (query, slice) = (qs.parts(), qs.slice(Some(1)));
                Box::pin(async move {
                    let rows = Ops::rows(query, slice, &mut **self)
                        .await
                        .map_err(|e| Error::from_diesel(e, $backend))?;
                    Ok(rows.into_iter().next())
                })
            }

            fn one(self, qs: &QuerySet<M, W, O>) -> Self::Output<M> {
                use crate::run_async::$module::AsyncOps as Ops;
                let (query, slice) = (qs.parts(), qs.slice(Some(2)));
                Box::pin(async move {
                    let rows = Ops::rows(query, slice, &mut **self)
                        .await
                        .map_err(|e| Error::from_diesel(e, $backend))?;
                    only(rows)
                })
            }

            fn count(self, qs: &QuerySet<M, W, O>) -> Self::Output<i64> {
                use crate::run_async::$module::AsyncOps as Ops;
                let query = qs.parts();
                Box::pin(async move {
                    Ops::count(query, &mut **self)
                        .await
                        .map_err(|e| Error::from_diesel(e, $backend))
                })
            }

            fn exists(self, qs: &QuerySet<M, W, O>) -> Self::Output<bool> {
                use crate::run_async::$module::AsyncOps as Ops;
                let query = qs.parts();
                Box::pin(async move {
                    Ops::exists(query, &mut **self)
                        .await
                        .map_err(|e| Error::from_diesel(e, $backend))
                })
            }

            fn map<X: Send + 'static, Y: Send + 'static>(
                out: Self::Output<X>,
                f: impl FnOnce(X) -> Y + Send + 'static,
            ) -> Self::Output<Y> {
                Box::pin(async move { out.await.map(f) })
            }
        }
    };
}

pinned!(
    "sqlite",
    Backend::Sqlite,
    sqlite,
    orm_exec::connection::BlockingSqlite,
    orm_exec::database::PooledSqlite
);
pinned!(
    "postgres",
    Backend::Postgres,
    pg,
    orm_exec::connection::BlockingPg,
    orm_exec::database::PooledPg
);
pinned!(
    "mysql",
    Backend::Mysql,
    mysql,
    orm_exec::connection::BlockingMysql,
    orm_exec::database::PooledMysql
);
