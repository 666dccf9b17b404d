//! The terminal operations of a [`QuerySet`] on the async side: the [`Executor`]s
//! `&Database` and `&mut PooledConnection`.
//!
//! The async twin of [`crate::run`], with the same shape: the backend is known only when
//! the query runs, so each operation matches the pooled connection and builds the diesel
//! query for that backend there; the bounds that make a query loadable with diesel-async on
//! a backend are gathered in one trait per backend ([`sqlite::AsyncOps`], [`pg::AsyncOps`],
//! [`mysql::AsyncOps`]), on the connection types [`async_dispatch!`](orm_exec::async_dispatch)
//! hands out. Every future is `Send`.
//!
//! A `&Database` checks a connection out of its pool for the one statement and returns it
//! when the statement is done (or the future dropped); a `&mut PooledConnection` runs on
//! that connection, for example inside `PooledConnection::transaction`.
//!
//! The async futures are boxed (one allocation per statement, as diesel-async itself does
//! for every query): an [`Executor`]'s output type has to be nameable, and the futures of
//! `async fn`s are not.

use std::future::Future;
use std::pin::Pin;

use diesel::dsl;
use orm_exec::{Database, PooledConnection, Result};
use orm_schema::Model;

use crate::executor::{Executor, LoadRows};
use crate::queryset::QuerySet;
use crate::run::{only, ApplyOrder, Slice};

/// The boxed, `Send` future an async [`Executor`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// `$load_bound` is what loading rows asks of a query on this backend and `$load` how it
/// loads them (`$q` the query, `$c` the connection): diesel-async's `load` on the servers;
/// on SQLite, diesel's own `load` run on the connection through `spawn_blocking` (inline,
/// see `InlineSqlite`), which builds each model straight from SQLite's row instead of
/// copying every row into an owned row first as `SyncConnectionWrapper::load` does (a copy
/// and an allocation per field of every row; BENCHMARKS.md's A1 rows measure the result
/// against blocking diesel).
macro_rules! async_backend_ops {
    (
        $module:ident, $feature:literal, $db:ty, $conn:ty, $doc:literal,
        load_bound = [$($load_bound:tt)*],
        load = |$q:ident, $c:ident| $load:expr
    ) => {
        #[doc = $doc]
        pub mod $module {
            #[cfg(feature = $feature)]
            use super::*;

            /// The async operations a (filter, ordering) pair supports on this backend.
            #[cfg(feature = $feature)]
            pub trait AsyncOps<M>: Sized {
                /// Loads the rows of the query.
                fn rows(
                    self,
                    slice: Slice,
                    conn: &mut $conn,
                ) -> impl std::future::Future<Output = diesel::QueryResult<Vec<M>>> + Send;
                /// `SELECT COUNT(*)` with the same WHERE clause.
                fn count(
                    self,
                    conn: &mut $conn,
                ) -> impl std::future::Future<Output = diesel::QueryResult<i64>> + Send;
                /// `SELECT 1 ... LIMIT 1` with the same WHERE clause.
                fn exists(
                    self,
                    conn: &mut $conn,
                ) -> impl std::future::Future<Output = diesel::QueryResult<bool>> + Send;
            }

            /// The async operations a (filter, ordering) pair supports on this backend (its
            /// feature is off: nothing is asked).
            #[cfg(not(feature = $feature))]
            pub trait AsyncOps<M> {}
            #[cfg(not(feature = $feature))]
            impl<M, T> AsyncOps<M> for T {}

            #[cfg(feature = $feature)]
            impl<M, W, O> AsyncOps<M> for (W, O)
            where
                M: diesel::Selectable<$db> + Send + 'static,
                <M as diesel::Selectable<$db>>::SelectExpression: diesel::query_builder::QueryId,
                W: Send,
                O: ApplyOrder<W> + Send,
                O::Output: Send
                    + diesel::query_dsl::methods::SelectDsl<dsl::AsSelect<M, $db>>
                    + diesel::query_dsl::methods::LimitDsl,
                dsl::Select<O::Output, dsl::AsSelect<M, $db>>:
                    $($load_bound)* + Send + 'static,
                dsl::Limit<O::Output>: diesel::query_dsl::methods::OffsetDsl
                    + diesel::query_dsl::methods::SelectDsl<dsl::AsSelect<M, $db>>,
                dsl::Select<dsl::Limit<O::Output>, dsl::AsSelect<M, $db>>:
                    $($load_bound)* + Send + 'static,
                dsl::Offset<dsl::Limit<O::Output>>:
                    diesel::query_dsl::methods::SelectDsl<dsl::AsSelect<M, $db>>,
                dsl::Select<dsl::Offset<dsl::Limit<O::Output>>, dsl::AsSelect<M, $db>>:
                    $($load_bound)* + Send + 'static,
                W: diesel::query_dsl::methods::SelectDsl<dsl::CountStar>
                    + diesel::query_dsl::methods::SelectDsl<
                        diesel::expression::SqlLiteral<diesel::sql_types::Integer>,
                    >,
                dsl::Select<W, dsl::CountStar>:
                    diesel_async::methods::LoadQuery<'static, $conn, i64> + Send + 'static,
                dsl::Select<W, diesel::expression::SqlLiteral<diesel::sql_types::Integer>>:
                    diesel::query_dsl::methods::LimitDsl,
                dsl::Limit<
                    dsl::Select<W, diesel::expression::SqlLiteral<diesel::sql_types::Integer>>,
                >: diesel_async::methods::LoadQuery<'static, $conn, i32> + Send + 'static,
            {
                fn rows(
                    self,
                    slice: Slice,
                    conn: &mut $conn,
                ) -> impl std::future::Future<Output = diesel::QueryResult<Vec<M>>> + Send {
                    use diesel::query_dsl::methods::{LimitDsl, OffsetDsl, SelectDsl};
                    use diesel::SelectableHelper;
                    let (query, order) = self;
                    let ordered = order.apply(query);
                    async move {
                        match slice {
                            Slice::All => {
                                let $q = ordered.select(M::as_select());
                                let $c = conn;
                                $load
                            }
                            Slice::Limit(limit) => {
                                let $q = ordered.limit(limit).select(M::as_select());
                                let $c = conn;
                                $load
                            }
                            Slice::Page { limit, offset } => {
                                let $q = ordered.limit(limit).offset(offset).select(M::as_select());
                                let $c = conn;
                                $load
                            }
                        }
                    }
                }

                fn count(
                    self,
                    conn: &mut $conn,
                ) -> impl std::future::Future<Output = diesel::QueryResult<i64>> + Send {
                    diesel_async::RunQueryDsl::get_result(self.0.select(dsl::count_star()), conn)
                }

                fn exists(
                    self,
                    conn: &mut $conn,
                ) -> impl std::future::Future<Output = diesel::QueryResult<bool>> + Send {
                    use diesel::query_dsl::methods::LimitDsl;
                    let one = dsl::sql::<diesel::sql_types::Integer>("1");
                    let rows =
                        diesel_async::RunQueryDsl::load::<i32>(self.0.select(one).limit(1), conn);
                    async move { Ok(!rows.await?.is_empty()) }
                }
            }
        }
    };
}

#[cfg(feature = "sqlite")]
use orm_exec::database::AsyncSqlite;

async_backend_ops!(
    sqlite,
    "sqlite",
    diesel::sqlite::Sqlite,
    AsyncSqlite,
    "The SQLite arm of the async terminal operations.",
    load_bound = [diesel::query_dsl::LoadQuery<'static, diesel::SqliteConnection, M>],
    load = |q, conn| conn.spawn_blocking(move |c| diesel::RunQueryDsl::load(q, c)).await
);
async_backend_ops!(
    pg,
    "postgres",
    diesel::pg::Pg,
    diesel_async::AsyncPgConnection,
    "The PostgreSQL arm of the async terminal operations.",
    load_bound = [diesel_async::methods::LoadQuery<'static, diesel_async::AsyncPgConnection, M>],
    load = |q, conn| diesel_async::RunQueryDsl::load(q, conn).await
);
async_backend_ops!(
    mysql,
    "mysql",
    diesel::mysql::Mysql,
    diesel_async::AsyncMysqlConnection,
    "The MySQL/MariaDB arm of the async terminal operations.",
    load_bound = [diesel_async::methods::LoadQuery<'static, diesel_async::AsyncMysqlConnection, M>],
    load = |q, conn| diesel_async::RunQueryDsl::load(q, conn).await
);

/// A (filter, ordering) pair that runs with diesel-async on every enabled backend.
pub trait AsyncRunnable<M>:
    sqlite::AsyncOps<M> + pg::AsyncOps<M> + mysql::AsyncOps<M> + Send + 'static
{
}
impl<M, T> AsyncRunnable<M> for T where
    T: sqlite::AsyncOps<M> + pg::AsyncOps<M> + mysql::AsyncOps<M> + Send + 'static
{
}

/// Runs `$method(args)` of the backend's `AsyncOps` on the pooled connection's arm.
macro_rules! on_pooled {
    ($conn:expr, $ops:expr, $method:ident $(, $arg:expr)*) => {{
        let conn: &mut PooledConnection = $conn;
        let result = match &mut *conn {
            #[cfg(feature = "sqlite")]
            PooledConnection::Sqlite(c) => sqlite::AsyncOps::$method($ops, $($arg,)* &mut **c).await,
            #[cfg(not(feature = "sqlite"))]
            PooledConnection::Sqlite(c) => orm_exec::__private::unreachable_backend(c),
            #[cfg(feature = "postgres")]
            PooledConnection::Postgres(c) => pg::AsyncOps::$method($ops, $($arg,)* &mut **c).await,
            #[cfg(not(feature = "postgres"))]
            PooledConnection::Postgres(c) => orm_exec::__private::unreachable_backend(c),
            #[cfg(feature = "mysql")]
            PooledConnection::Mysql(c) => mysql::AsyncOps::$method($ops, $($arg,)* &mut **c).await,
            #[cfg(not(feature = "mysql"))]
            PooledConnection::Mysql(c) => orm_exec::__private::unreachable_backend(c),
        };
        conn.classify(result).await
    }};
}

/// The rows of `query` (a (filter, ordering) pair) in `slice`, on `conn`.
pub(crate) async fn rows<M, Q: AsyncRunnable<M>>(
    conn: &mut PooledConnection,
    query: Q,
    slice: Slice,
) -> Result<Vec<M>> {
    on_pooled!(conn, query, rows, slice)
}

/// `SELECT COUNT(*)` of `query`'s filters, on `conn`.
async fn count<M, Q: AsyncRunnable<M>>(conn: &mut PooledConnection, query: Q) -> Result<i64> {
    on_pooled!(conn, query, count)
}

/// Whether `query`'s filters match a row, on `conn`.
async fn exists<M, Q: AsyncRunnable<M>>(conn: &mut PooledConnection, query: Q) -> Result<bool> {
    on_pooled!(conn, query, exists)
}

/// Implements [`Executor`] for an async executor type: `$this` is the executor, `$conn` a
/// place expression giving the `PooledConnection` to run on.
macro_rules! async_executor {
    ($ty:ty, $lt:lifetime, $this:ident => $conn:expr, $doc:literal) => {
        #[doc = $doc]
        impl<$lt, M, W, O> Executor<M, W, O> for $ty
        where
            M: Model + Send,
            W: Clone,
            O: Clone,
            (W, O): AsyncRunnable<M>,
        {
            type Output<T: Send + 'static> = BoxFuture<$lt, Result<T>>;

            fn all(self, qs: &QuerySet<M, W, O>) -> Self::Output<Vec<M>> {
                let (query, slice) = (qs.parts(), qs.slice(None));
                let $this = self;
                Box::pin(async move { rows(&mut $conn, query, slice).await })
            }

            fn first(self, qs: &QuerySet<M, W, O>) -> Self::Output<Option<M>> {
                let (query, slice) = (qs.parts(), qs.slice(Some(1)));
                let $this = self;
                Box::pin(async move {
                    let found = rows(&mut $conn, query, slice).await?;
                    Ok(found.into_iter().next())
                })
            }

            fn one(self, qs: &QuerySet<M, W, O>) -> Self::Output<M> {
                let (query, slice) = (qs.parts(), qs.slice(Some(2)));
                let $this = self;
                Box::pin(async move { only(rows(&mut $conn, query, slice).await?) })
            }

            fn count(self, qs: &QuerySet<M, W, O>) -> Self::Output<i64> {
                let query = qs.parts();
                let $this = self;
                Box::pin(async move { count(&mut $conn, query).await })
            }

            fn exists(self, qs: &QuerySet<M, W, O>) -> Self::Output<bool> {
                let query = qs.parts();
                let $this = self;
                Box::pin(async move { exists(&mut $conn, query).await })
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

async_executor!(
    &'d Database,
    'd,
    db => db.get().await?,
    "Async: each operation checks a connection out of the pool for its one statement."
);
async_executor!(
    &'c mut PooledConnection,
    'c,
    conn => *conn,
    "Async: each operation runs on this connection (inside its transaction, if any)."
);

/// Implements [`LoadRows`] for an async executor type, as `async_executor!` does
/// [`Executor`].
macro_rules! async_load_rows {
    ($ty:ty, $lt:lifetime, $this:ident => $conn:expr, $doc:literal) => {
        #[doc = $doc]
        impl<$lt, T, W, O> LoadRows<T, W, O> for $ty
        where
            (W, O): AsyncRunnable<T>,
        {
            type Output<X: Send + 'static> = BoxFuture<$lt, Result<X>>;

            fn rows(self, query: (W, O), slice: Slice) -> Self::Output<Vec<T>>
            where
                T: Send + 'static,
            {
                let $this = self;
                Box::pin(async move { rows(&mut $conn, query, slice).await })
            }

            fn rows_in_turn(self, queries: Vec<(W, O)>) -> Self::Output<Vec<T>>
            where
                T: Send + 'static,
                W: Send + 'static,
                O: Send + 'static,
            {
                let $this = self;
                Box::pin(async move {
                    let conn = &mut $conn;
                    let mut all = Vec::new();
                    for query in queries {
                        all.extend(rows(&mut *conn, query, Slice::All).await?);
                    }
                    Ok(all)
                })
            }

            fn count(self, query: (W, O)) -> Self::Output<i64> {
                let $this = self;
                Box::pin(async move { count(&mut $conn, query).await })
            }

            fn ready<X: Send + 'static>(value: Result<X>) -> Self::Output<X> {
                Box::pin(std::future::ready(value))
            }

            fn map<X: Send + 'static, Y: Send + 'static>(
                out: Self::Output<X>,
                f: impl FnOnce(X) -> Result<Y> + Send + 'static,
            ) -> Self::Output<Y> {
                Box::pin(async move { f(out.await?) })
            }
        }
    };
}

async_load_rows!(
    &'d Database,
    'd,
    db => db.get().await?,
    "Async: each operation checks a connection out of the pool for its one statement."
);
async_load_rows!(
    &'c mut PooledConnection,
    'c,
    conn => *conn,
    "Async: each operation runs on this connection (inside its transaction, if any)."
);
