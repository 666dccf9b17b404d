//! The statements of a [`QuerySet`](crate::QuerySet)'s terminal operations: the rows of a
//! (filter, ordering) pair in a slice, their count, whether there is one.
//!
//! The backend is known only when a query runs, so each statement is built for the
//! connection's backend there (`Model::as_select()` is typed per backend). [`Ops<M, C>`]
//! is that statement on connection `C`, written once, generic over every connection orm
//! runs (`orm_exec::statement_conn::StatementConn`), and handed to orm-exec
//! (`orm_exec::statement::Load`), which runs it: inside the call on a blocking connection
//! (the future is then complete), when awaited on an async one. [`Runnable`] and
//! [`AsyncRunnable`] ask for every enabled backend's connection (a backend whose cargo
//! feature is off asks nothing). At a call site every type is concrete, so rustc checks the
//! whole query for every enabled backend.
//!
//! [`rows`], [`count`] and [`exists`] run one statement and classify its error on its
//! connection; the read operations ([`Rows`], [`RowsInTurn`], [`Count`], [`Exists`]) hand
//! them to orm-exec's executors (`orm_exec::operation::Run`): written once, for every
//! executor.

use std::future::Future;
use std::marker::PhantomData;

use diesel::dsl;
use diesel::expression::SqlLiteral;
use diesel::query_builder::QueryId;
use diesel::query_dsl::methods::{LimitDsl, OffsetDsl, OrderDsl, SelectDsl};
use diesel::sql_types::Integer;
use diesel::{QueryResult, SelectableHelper};
use orm_exec::operation::{Operation, OperationOn, Retry};
use orm_exec::statement::{Collect, Load};
use orm_exec::statement_conn::StatementConn;
use orm_exec::{Error, Result};
use orm_schema::Model;

use crate::locking::{ForUpdate, Locked, RowLocks};
use crate::projection::Projection;
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
    /// The rows of the query in `slice`, in its order, each handed to `A` (a `Vec`, or a
    /// collector that sorts them into place) as it is read.
    fn rows<A: Collect<M>>(
        self,
        slice: Slice,
        conn: &mut C,
    ) -> impl Future<Output = QueryResult<A>> + Send;
    /// `SELECT COUNT(*)` with the same WHERE clause.
    fn count(self, conn: &mut C) -> impl Future<Output = QueryResult<i64>> + Send;
    /// `SELECT 1 ... LIMIT 1` with the same WHERE clause.
    fn exists(self, conn: &mut C) -> impl Future<Output = QueryResult<bool>> + Send;

    /// Whether the query may only run inside a transaction (a locking read).
    fn needs_transaction(&self) -> bool {
        false
    }
}

/// The statements, written once: built for the connection's backend and handed to
/// orm-exec ([`Load`]), which runs them on the connection.
impl<M, W, O, C> Ops<M, C> for (W, O)
where
    C: StatementConn,
    M: diesel::Selectable<C::Backend> + Send + 'static,
    <M as diesel::Selectable<C::Backend>>::SelectExpression: QueryId,
    W: Send + SelectDsl<dsl::CountStar> + SelectDsl<SqlLiteral<Integer>>,
    O: Send,
    Projection<W, O, dsl::AsSelect<M, C::Backend>>: Ops<M, C>,
    dsl::Select<W, dsl::CountStar>: Load<C, i64>,
    dsl::Select<W, SqlLiteral<Integer>>: LimitDsl,
    dsl::Limit<dsl::Select<W, SqlLiteral<Integer>>>: Load<C, i32>,
{
    /// The projection of the whole model (`M::as_select()`).
    fn rows<A: Collect<M>>(
        self,
        slice: Slice,
        conn: &mut C,
    ) -> impl Future<Output = QueryResult<A>> + Send {
        let (query, order) = self;
        let whole = Projection {
            query,
            order,
            selection: M::as_select(),
        };
        whole.rows(slice, conn)
    }

    fn count(self, conn: &mut C) -> impl Future<Output = QueryResult<i64>> + Send {
        self.0.select(dsl::count_star()).get_result(conn)
    }

    async fn exists(self, conn: &mut C) -> QueryResult<bool> {
        let one = self.0.select(dsl::sql::<Integer>("1")).limit(1);
        Ok(!one.load(conn).await?.is_empty())
    }
}

/// The statements of a projection ([`crate::projection`]): the selection `S` of each row,
/// loaded as `T`.
impl<T, W, O, S, C> Ops<T, C> for Projection<W, O, S>
where
    C: StatementConn,
    T: Send + 'static,
    S: diesel::Expression + Send,
    W: Send,
    O: ApplyOrder<W> + Send,
    O::Output: Send + SelectDsl<S> + LimitDsl,
    dsl::Select<O::Output, S>: Load<C, T>,
    dsl::Limit<O::Output>: OffsetDsl + SelectDsl<S>,
    dsl::Select<dsl::Limit<O::Output>, S>: Load<C, T>,
    dsl::Offset<dsl::Limit<O::Output>>: SelectDsl<S>,
    dsl::Select<dsl::Offset<dsl::Limit<O::Output>>, S>: Load<C, T>,
{
    async fn rows<A: Collect<T>>(self, slice: Slice, conn: &mut C) -> QueryResult<A> {
        let (ordered, selection) = self.ordered();
        match slice {
            Slice::All => ordered.select(selection).load_into(conn).await,
            Slice::Limit(limit) => ordered.limit(limit).select(selection).load_into(conn).await,
            Slice::Page { limit, offset } => {
                let page = ordered.limit(limit).offset(offset);
                page.select(selection).load_into(conn).await
            }
        }
    }

    /// The rows of the projection, counted (a projection with `distinct` or `distinct_on`
    /// counts what it loads; no `COUNT(*)` has that meaning for every selection).
    async fn count(self, conn: &mut C) -> QueryResult<i64> {
        let rows: Vec<T> = self.rows(Slice::All, conn).await?;
        Ok(rows.len() as i64)
    }

    async fn exists(self, conn: &mut C) -> QueryResult<bool> {
        let rows: Vec<T> = self.rows(Slice::Limit(1), conn).await?;
        Ok(!rows.is_empty())
    }
}

/// The statements of a locking read ([`crate::locking`]): the model's rows, with the
/// lock clause the backend has.
impl<M, W, O, C> Ops<M, C> for Locked<W, O>
where
    C: StatementConn,
    C::Backend: RowLocks,
    M: diesel::Selectable<C::Backend> + Send + 'static,
    <M as diesel::Selectable<C::Backend>>::SelectExpression: QueryId,
    W: Send + SelectDsl<dsl::CountStar> + SelectDsl<SqlLiteral<Integer>>,
    O: ApplyOrder<W> + Send,
    O::Output: Send + SelectDsl<dsl::AsSelect<M, C::Backend>> + LimitDsl,
    ForUpdate<dsl::Select<O::Output, dsl::AsSelect<M, C::Backend>>>: Load<C, M>,
    dsl::Limit<O::Output>: OffsetDsl + SelectDsl<dsl::AsSelect<M, C::Backend>>,
    ForUpdate<dsl::Select<dsl::Limit<O::Output>, dsl::AsSelect<M, C::Backend>>>: Load<C, M>,
    dsl::Offset<dsl::Limit<O::Output>>: SelectDsl<dsl::AsSelect<M, C::Backend>>,
    ForUpdate<dsl::Select<dsl::Offset<dsl::Limit<O::Output>>, dsl::AsSelect<M, C::Backend>>>:
        Load<C, M>,
    dsl::Select<W, dsl::CountStar>: Load<C, i64>,
    dsl::Select<W, SqlLiteral<Integer>>: LimitDsl,
    dsl::Limit<dsl::Select<W, SqlLiteral<Integer>>>: Load<C, i32>,
{
    async fn rows<A: Collect<M>>(self, slice: Slice, conn: &mut C) -> QueryResult<A> {
        let Locked { query, order, wait } = self;
        let ordered = order.apply(query);
        match slice {
            Slice::All => {
                let query = ordered.select(M::as_select());
                ForUpdate { query, wait }.load_into(conn).await
            }
            Slice::Limit(limit) => {
                let query = ordered.limit(limit).select(M::as_select());
                ForUpdate { query, wait }.load_into(conn).await
            }
            Slice::Page { limit, offset } => {
                let query = ordered.limit(limit).offset(offset).select(M::as_select());
                ForUpdate { query, wait }.load_into(conn).await
            }
        }
    }

    fn count(self, conn: &mut C) -> impl Future<Output = QueryResult<i64>> + Send {
        self.query.select(dsl::count_star()).get_result(conn)
    }

    async fn exists(self, conn: &mut C) -> QueryResult<bool> {
        let one = self.query.select(dsl::sql::<Integer>("1")).limit(1);
        Ok(!one.load(conn).await?.is_empty())
    }

    fn needs_transaction(&self) -> bool {
        true
    }
}

orm_exec::backend_bounds!(<M> Ops);

orm_schema::trait_alias!(
    /// A (filter, ordering) pair that runs on every enabled backend, blocking.
    Runnable<M> = OnSqlite<M> + OnPg<M> + OnMysql<M> + OnMariadb<M>
);
orm_schema::trait_alias!(
    /// A (filter, ordering) pair that runs on every enabled backend, async.
    AsyncRunnable<M> = OnAsyncSqlite<M> + OnAsyncPg<M> + OnAsyncMysql<M> + OnAsyncMariadb<M>
        + Send + 'static
);

/// The rows of `query` in `slice`, on `conn`, collected by `A` (a `Vec`, or a collector
/// that sorts them into place as they are read).
pub async fn rows<M, A: Collect<M>, Q: Ops<M, C>, C: StatementConn>(
    conn: &mut C,
    query: Q,
    slice: Slice,
) -> Result<A> {
    if query.needs_transaction() && orm_exec::transaction::level::depth(conn)? == 0 {
        return Err(Error::Usage {
            message: "select_for_update outside a transaction would lock nothing: run it \
                      inside a transaction"
                .into(),
        });
    }
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

/// The rows of each of `queries`, run one after the other on `conn`, in one list.
pub async fn rows_in_turn<M: Send + 'static, Q: Ops<M, C> + Send, C: StatementConn>(
    conn: &mut C,
    queries: Vec<Q>,
) -> Result<Vec<M>> {
    let mut all = Vec::new();
    for query in queries {
        let batch: Vec<M> = rows(conn, query, Slice::All).await?;
        all.extend(batch);
    }
    Ok(all)
}

/// Declares the read operations: each a struct of the query and what else its statement
/// takes (`$field`s), for rows of `T`, run on any backend connection by `$run`. A read
/// opens no transaction level and may run again after a lost connection
/// ([`Retry`]).
macro_rules! reads {
    ($(
        $(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty),* } => $out:ty, $run:ident;
    )*) => {$(
        $(#[$doc])*
        pub struct $name<T, Q> {
            $($field: $ty,)*
            row: PhantomData<fn() -> T>,
        }

        impl<T, Q> $name<T, Q> {
            /// The read, for the executors ([`crate::executor::Reads`]).
            pub fn new($($field: $ty),*) -> Self {
                $name { $($field,)* row: PhantomData }
            }
        }

        // Debug shows the read's name: the query it carries may not be printable.
        impl<T, Q> std::fmt::Debug for $name<T, Q> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }

        impl<T, Q: Clone> Clone for $name<T, Q> {
            fn clone(&self) -> Self {
                $name { $($field: self.$field.clone(),)* row: PhantomData }
            }
        }

        impl<T: Send, Q> Operation for $name<T, Q> {
            type Output = $out;
            const READ: bool = true;
        }

        impl<T: Send, Q: Clone> Retry for $name<T, Q> {
            fn retry(&self) -> Option<Self> {
                Some(self.clone())
            }
        }

        impl<T: Send + 'static, Q: Ops<T, C> + Send, C: StatementConn> OperationOn<C>
            for $name<T, Q>
        {
            fn run(self, conn: &mut C) -> impl Future<Output = Result<$out>> + Send {
                $run(conn, $(self.$field),*)
            }
        }
    )*};
}

reads! {
    /// The rows of several queries, one after the other on one connection, in one list.
    RowsInTurn { queries: Vec<Q> } => Vec<T>, rows_in_turn;
    /// `SELECT COUNT(*)` with a query's filters.
    Count { query: Q } => i64, count;
    /// Whether a query's filters match a row.
    Exists { query: Q } => bool, exists;
}

/// The rows of a query in a slice, in its order, each handed to the collector `A` as it
/// is read: a `Vec` (the default), or a collector that sorts them into place
/// (select_related's moves each joined row straight into the result and the batch of
/// related rows). Written by hand beside `reads!`'s, for its collector; a read like
/// them.
pub struct Rows<T, Q, A = Vec<T>> {
    query: Q,
    slice: Slice,
    row: PhantomData<fn() -> (T, A)>,
}

impl<T, Q, A> Rows<T, Q, A> {
    /// The read, for the executors ([`crate::executor::Reads`]).
    pub fn new(query: Q, slice: Slice) -> Self {
        Rows {
            query,
            slice,
            row: PhantomData,
        }
    }
}

// Debug shows the read's name: the query it carries may not be printable.
impl<T, Q, A> std::fmt::Debug for Rows<T, Q, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rows")
    }
}

impl<T, Q: Clone, A> Clone for Rows<T, Q, A> {
    fn clone(&self) -> Self {
        Rows::new(self.query.clone(), self.slice)
    }
}

impl<T, Q, A: Send> Operation for Rows<T, Q, A> {
    type Output = A;
    const READ: bool = true;
}

impl<T, Q: Clone, A: Send> Retry for Rows<T, Q, A> {
    fn retry(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl<T, Q: Ops<T, C> + Send, A: Collect<T>, C: StatementConn> OperationOn<C> for Rows<T, Q, A> {
    fn run(self, conn: &mut C) -> impl Future<Output = Result<A>> + Send {
        rows(conn, self.query, self.slice)
    }
}

/// The one row of `rows` (at most two fetched): [`Error::NoMatch`] when there is none,
/// [`Error::MultipleMatches`] when there are several.
pub(crate) fn only<M: Model>(rows: Vec<M>) -> Result<M> {
    only_of(rows, M::meta().name)
}

/// [`only`] for rows of any type, read from `model`'s table.
pub(crate) fn only_of<T>(rows: Vec<T>, model: &'static str) -> Result<T> {
    let mut rows = rows.into_iter();
    match (rows.next(), rows.next()) {
        (Some(row), None) => Ok(row),
        (None, _) => Err(Error::NoMatch { model }),
        (Some(_), Some(_)) => Err(Error::MultipleMatches { model }),
    }
}
