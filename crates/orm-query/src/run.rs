//! The statements of a [`QuerySet`](crate::QuerySet)'s terminal operations: the rows of a
//! (filter, ordering) pair in a slice, their count, whether there is one.
//!
//! The backend is known only when a query runs, so each statement is built for the
//! connection's backend there (`Model::as_select()` is typed per backend). [`Ops<M, C>`]
//! is that statement on diesel connection `C`: one trait with async methods, implemented
//! for every connection orm runs. On the blocking ones (diesel's `SqliteConnection` and
//! the blocking PostgreSQL and MySQL wrappers) the statement runs inside the call and the
//! future is complete; on diesel-async's PostgreSQL and MySQL connections it is awaited;
//! async SQLite runs the blocking statement on its connection's thread (inline, see
//! `InlineSqlite`), which builds each model straight from SQLite's row instead of copying
//! every row into an owned row first as `SyncConnectionWrapper::load` does. The bounds
//! that make a query loadable are on the impls; [`Runnable`] and [`AsyncRunnable`] gather
//! them for every enabled backend (a backend whose cargo feature is off asks nothing). At a
//! call site every type is concrete, so rustc checks the whole query for every enabled
//! backend.
//!
//! [`rows`], [`count`] and [`exists`] run one statement and classify its error on its
//! connection: written once, for every executor (`crate::executor`).

use std::future::Future;

use diesel::dsl;
use diesel::query_dsl::methods::OrderDsl;
use diesel::QueryResult;
use orm_exec::connection::{BlockingMysql, BlockingPg, BlockingSqlite};
use orm_exec::database::{AsyncMysql, AsyncPg, AsyncSqlite};
use orm_exec::dispatch::Disabled;
use orm_exec::statement_conn::{run_now, StatementConn};
use orm_exec::{async_dispatch, dispatch, Connection, Error, PooledConnection, Result};
use orm_schema::Model;

use crate::queryset::{NoOrder, OrderBy};

/// Puts an ordering state on a query: nothing for [`NoOrder`], `ORDER BY` for
/// [`OrderBy`].
pub trait ApplyOrder<W> {
    /// The query with its ORDER BY.
    type Output;
    /// Applies the ordering to `query`.
    fn apply(self, query: W) -> Self::Output;
}

impl<W> ApplyOrder<W> for NoOrder {
    type Output = W;
    fn apply(self, query: W) -> W {
        query
    }
}

impl<W: OrderDsl<E>, E: diesel::Expression> ApplyOrder<W> for OrderBy<E> {
    type Output = dsl::Order<W, E>;
    fn apply(self, query: W) -> Self::Output {
        query.order(self.0)
    }
}

/// The rows to fetch: all, the first few (`LIMIT`), or a page (`LIMIT`/`OFFSET`).
#[derive(Debug, Clone, Copy)]
pub enum Slice {
    /// Every row.
    All,
    /// `LIMIT limit`: the SQL a hand-written `.limit(n)` or `.first()` renders.
    Limit(i64),
    /// `LIMIT limit OFFSET offset`.
    Page {
        /// At most this many rows.
        limit: i64,
        /// Skip this many first.
        offset: i64,
    },
}

impl Slice {
    /// The slice for a QuerySet's `limit` and `offset`, further capped at `cap` rows (for
    /// `first`, `one`). With no offset, only `LIMIT` is rendered.
    pub fn new(limit: Option<i64>, offset: Option<i64>, cap: Option<i64>) -> Slice {
        let limit = match (limit, cap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match (limit, offset) {
            (None, None) => Slice::All,
            (Some(limit), None) => Slice::Limit(limit),
            (limit, Some(offset)) => Slice::Page {
                limit: limit.unwrap_or(i64::MAX),
                offset,
            },
        }
    }
}

/// The statements a (filter, ordering) pair (`Self`) runs for rows of `M` on diesel
/// connection `C`.
pub trait Ops<M, C>: Sized {
    /// The rows of the query in `slice`, in its order.
    fn rows(self, slice: Slice, conn: &mut C) -> impl Future<Output = QueryResult<Vec<M>>> + Send;
    /// `SELECT COUNT(*)` with the same WHERE clause.
    fn count(self, conn: &mut C) -> impl Future<Output = QueryResult<i64>> + Send;
    /// `SELECT 1 ... LIMIT 1` with the same WHERE clause.
    fn exists(self, conn: &mut C) -> impl Future<Output = QueryResult<bool>> + Send;
}

/// Implements [`Ops`] on `$conn`, a connection of backend `$db` whose queries load through
/// `$load` (diesel's or diesel-async's `LoadQuery`). `$rows`, `$count` and `$exists` are the
/// statements (the query in `$q`, the connection in `$c`); on a `blocking` connection they
/// run in the call and the future returned is complete, on an `async` one they are awaited.
macro_rules! ops {
    (
        $mode:ident, $feature:literal, $db:ty, $conn:ty,
        load = [$($load:tt)*],
        extra = [$($extra:tt)*],
        rows = |$rq:ident, $rc:ident| $rows:expr,
        count = |$cq:ident, $cc:ident| $count:expr,
        exists = |$eq:ident, $ec:ident| $exists:expr $(,)?
    ) => {
        #[cfg(feature = $feature)]
        impl<M, W, O> Ops<M, $conn> for (W, O)
        where
            M: diesel::Selectable<$db> + Send + 'static,
            <M as diesel::Selectable<$db>>::SelectExpression: diesel::query_builder::QueryId,
            O: ApplyOrder<W>,
            O::Output: diesel::query_dsl::methods::SelectDsl<dsl::AsSelect<M, $db>>
                + diesel::query_dsl::methods::LimitDsl,
            dsl::Select<O::Output, dsl::AsSelect<M, $db>>: $($load)*<'static, $conn, M>,
            dsl::Limit<O::Output>: diesel::query_dsl::methods::OffsetDsl
                + diesel::query_dsl::methods::SelectDsl<dsl::AsSelect<M, $db>>,
            dsl::Select<dsl::Limit<O::Output>, dsl::AsSelect<M, $db>>:
                $($load)*<'static, $conn, M>,
            dsl::Offset<dsl::Limit<O::Output>>:
                diesel::query_dsl::methods::SelectDsl<dsl::AsSelect<M, $db>>,
            dsl::Select<dsl::Offset<dsl::Limit<O::Output>>, dsl::AsSelect<M, $db>>:
                $($load)*<'static, $conn, M>,
            W: diesel::query_dsl::methods::SelectDsl<dsl::CountStar>
                + diesel::query_dsl::methods::SelectDsl<
                    diesel::expression::SqlLiteral<diesel::sql_types::Integer>,
                >,
            dsl::Select<W, dsl::CountStar>: $($load)*<'static, $conn, i64>,
            dsl::Select<W, diesel::expression::SqlLiteral<diesel::sql_types::Integer>>:
                diesel::query_dsl::methods::LimitDsl,
            dsl::Limit<
                dsl::Select<W, diesel::expression::SqlLiteral<diesel::sql_types::Integer>>,
            >: $($load)*<'static, $conn, i32>,
            $($extra)*
        {
            fn rows(
                self,
                slice: Slice,
                conn: &mut $conn,
            ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
                use diesel::query_dsl::methods::{LimitDsl, OffsetDsl, SelectDsl};
                use diesel::SelectableHelper;
                let (query, order) = self;
                let ordered = order.apply(query);
                let $rc = conn;
                statement!($mode, match slice {
                    Slice::All => {
                        let $rq = ordered.select(M::as_select());
                        $rows
                    }
                    Slice::Limit(limit) => {
                        let $rq = ordered.limit(limit).select(M::as_select());
                        $rows
                    }
                    Slice::Page { limit, offset } => {
                        let $rq = ordered.limit(limit).offset(offset).select(M::as_select());
                        $rows
                    }
                })
            }

            fn count(self, conn: &mut $conn) -> impl Future<Output = QueryResult<i64>> + Send {
                let $cq = self.0.select(dsl::count_star());
                let $cc = conn;
                statement!($mode, $count)
            }

            fn exists(self, conn: &mut $conn) -> impl Future<Output = QueryResult<bool>> + Send {
                use diesel::query_dsl::methods::LimitDsl;
                let $eq = self.0.select(dsl::sql::<diesel::sql_types::Integer>("1")).limit(1);
                let $ec = conn;
                statement!($mode, {
                    let rows: QueryResult<Vec<i32>> = $exists;
                    rows.map(|rows| !rows.is_empty())
                })
            }
        }
    };
}

/// A statement's future: run now and complete (`blocking`), or run when awaited (`async`).
macro_rules! statement {
    (blocking, $body:expr) => {
        std::future::ready($body)
    };
    (async, $body:expr) => {
        async move { $body }
    };
}

ops!(
    blocking,
    "sqlite",
    diesel::sqlite::Sqlite,
    BlockingSqlite,
    load = [diesel::query_dsl::LoadQuery],
    extra = [],
    rows = |q, c| diesel::RunQueryDsl::load(q, c),
    count = |q, c| diesel::RunQueryDsl::get_result(q, c),
    exists = |q, c| diesel::RunQueryDsl::load(q, c),
);
ops!(
    blocking,
    "postgres",
    diesel::pg::Pg,
    BlockingPg,
    load = [diesel::query_dsl::LoadQuery],
    extra = [],
    rows = |q, c| diesel::RunQueryDsl::load(q, c),
    count = |q, c| diesel::RunQueryDsl::get_result(q, c),
    exists = |q, c| diesel::RunQueryDsl::load(q, c),
);
ops!(
    blocking,
    "mysql",
    diesel::mysql::Mysql,
    BlockingMysql,
    load = [diesel::query_dsl::LoadQuery],
    extra = [],
    rows = |q, c| diesel::RunQueryDsl::load(q, c),
    count = |q, c| diesel::RunQueryDsl::get_result(q, c),
    exists = |q, c| diesel::RunQueryDsl::load(q, c),
);
ops!(
    async, "postgres", diesel::pg::Pg, AsyncPg,
    load = [diesel_async::methods::LoadQuery],
    extra = [
        W: Send,
        O: Send,
        O::Output: Send,
        dsl::Select<O::Output, dsl::AsSelect<M, diesel::pg::Pg>>: Send + 'static,
        dsl::Select<dsl::Limit<O::Output>, dsl::AsSelect<M, diesel::pg::Pg>>: Send + 'static,
        dsl::Select<dsl::Offset<dsl::Limit<O::Output>>, dsl::AsSelect<M, diesel::pg::Pg>>:
            Send + 'static,
        dsl::Select<W, dsl::CountStar>: Send + 'static,
        dsl::Limit<
            dsl::Select<W, diesel::expression::SqlLiteral<diesel::sql_types::Integer>>,
        >: Send + 'static,
    ],
    rows = |q, c| diesel_async::RunQueryDsl::load(q, c).await,
    count = |q, c| diesel_async::RunQueryDsl::get_result(q, c).await,
    exists = |q, c| diesel_async::RunQueryDsl::load(q, c).await,
);
ops!(
    async, "mysql", diesel::mysql::Mysql, AsyncMysql,
    load = [diesel_async::methods::LoadQuery],
    extra = [
        W: Send,
        O: Send,
        O::Output: Send,
        dsl::Select<O::Output, dsl::AsSelect<M, diesel::mysql::Mysql>>: Send + 'static,
        dsl::Select<dsl::Limit<O::Output>, dsl::AsSelect<M, diesel::mysql::Mysql>>:
            Send + 'static,
        dsl::Select<dsl::Offset<dsl::Limit<O::Output>>, dsl::AsSelect<M, diesel::mysql::Mysql>>:
            Send + 'static,
        dsl::Select<W, dsl::CountStar>: Send + 'static,
        dsl::Limit<
            dsl::Select<W, diesel::expression::SqlLiteral<diesel::sql_types::Integer>>,
        >: Send + 'static,
    ],
    rows = |q, c| diesel_async::RunQueryDsl::load(q, c).await,
    count = |q, c| diesel_async::RunQueryDsl::get_result(q, c).await,
    exists = |q, c| diesel_async::RunQueryDsl::load(q, c).await,
);

/// Async SQLite: the blocking statement, run on the connection's own thread.
#[cfg(feature = "sqlite")]
impl<M, Q> Ops<M, AsyncSqlite> for Q
where
    Q: Ops<M, BlockingSqlite> + Send + 'static,
    M: Send + 'static,
{
    fn rows(
        self,
        slice: Slice,
        conn: &mut AsyncSqlite,
    ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
        conn.spawn_blocking(move |c| run_now(self.rows(slice, c)))
    }

    fn count(self, conn: &mut AsyncSqlite) -> impl Future<Output = QueryResult<i64>> + Send {
        conn.spawn_blocking(move |c| run_now(Ops::<M, _>::count(self, c)))
    }

    fn exists(self, conn: &mut AsyncSqlite) -> impl Future<Output = QueryResult<bool>> + Send {
        conn.spawn_blocking(move |c| run_now(Ops::<M, _>::exists(self, c)))
    }
}

// A disabled backend has no connections: every statement on it is unreachable.
#[allow(unreachable_code)]
impl<M: Send, T> Ops<M, Disabled> for T {
    fn rows(
        self,
        _: Slice,
        conn: &mut Disabled,
    ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
        std::future::ready(match *conn {})
    }
    fn count(self, conn: &mut Disabled) -> impl Future<Output = QueryResult<i64>> + Send {
        std::future::ready(match *conn {})
    }
    fn exists(self, conn: &mut Disabled) -> impl Future<Output = QueryResult<bool>> + Send {
        std::future::ready(match *conn {})
    }
}

/// A (filter, ordering) pair that runs on every enabled backend, blocking.
pub trait Runnable<M>: Ops<M, BlockingSqlite> + Ops<M, BlockingPg> + Ops<M, BlockingMysql> {}
impl<M, T> Runnable<M> for T where
    T: Ops<M, BlockingSqlite> + Ops<M, BlockingPg> + Ops<M, BlockingMysql>
{
}

/// A (filter, ordering) pair that runs on every enabled backend, async.
pub trait AsyncRunnable<M>:
    Ops<M, AsyncSqlite> + Ops<M, AsyncPg> + Ops<M, AsyncMysql> + Send + 'static
{
}
impl<M, T> AsyncRunnable<M> for T where
    T: Ops<M, AsyncSqlite> + Ops<M, AsyncPg> + Ops<M, AsyncMysql> + Send + 'static
{
}

/// The rows of `query` in `slice`, on `conn`.
pub async fn rows<M: Send, Q: Ops<M, C>, C: StatementConn>(
    conn: &mut C,
    query: Q,
    slice: Slice,
) -> Result<Vec<M>> {
    let result = query.rows(slice, conn).await;
    conn.classify(result).await
}

/// `SELECT COUNT(*)` of `query`'s filters, on `conn`.
pub async fn count<M, Q: Ops<M, C>, C: StatementConn>(conn: &mut C, query: Q) -> Result<i64> {
    let result = Ops::<M, C>::count(query, conn).await;
    conn.classify(result).await
}

/// Whether `query`'s filters match a row, on `conn`.
pub async fn exists<M, Q: Ops<M, C>, C: StatementConn>(conn: &mut C, query: Q) -> Result<bool> {
    let result = Ops::<M, C>::exists(query, conn).await;
    conn.classify(result).await
}

/// The rows of `query` in `slice`, on whichever backend `conn` holds, now.
pub(crate) fn rows_now<M: Send, Q: Runnable<M>>(
    conn: &mut Connection,
    query: Q,
    slice: Slice,
) -> Result<Vec<M>> {
    dispatch!(conn, c => run_now(rows(c, query, slice)))
}

/// The rows of `query` in `slice`, on whichever backend the pooled `conn` holds.
pub(crate) async fn rows_pooled<M: Send, Q: AsyncRunnable<M>>(
    conn: &mut PooledConnection,
    query: Q,
    slice: Slice,
) -> Result<Vec<M>> {
    async_dispatch!(conn, c => rows(c, query, slice).await)
}

/// The one row of `rows` (at most two fetched): [`Error::NoMatch`] when there is none,
/// [`Error::MultipleMatches`] when there are several.
pub(crate) fn only<M: Model>(rows: Vec<M>) -> Result<M> {
    let mut rows = rows.into_iter();
    match (rows.next(), rows.next()) {
        (Some(row), None) => Ok(row),
        (None, _) => Err(Error::NoMatch {
            model: M::meta().name,
        }),
        (Some(_), Some(_)) => Err(Error::MultipleMatches {
            model: M::meta().name,
        }),
    }
}
