//! The terminal operations of a [`QuerySet`] on a blocking [`Connection`]: `all`, `get`,
//! `first`, `count` and `exists`.
//!
//! The backend is known only when a query runs, so each operation matches the connection
//! and builds the diesel query for that backend there (`Model::as_select()` is typed per
//! backend). The bounds that make a query loadable on a backend are gathered in one trait
//! per backend ([`sqlite::Ops`], [`pg::Ops`], [`mysql::Ops`]); a backend whose cargo
//! feature is off asks nothing. At a call site every type is concrete, so rustc checks the
//! whole query for every enabled backend.

use diesel::dsl;
use diesel::query_dsl::methods::OrderDsl;
use orm_exec::{Connection, Error, Result};
use orm_schema::Model;

use crate::executor::LoadRows;
use crate::queryset::{NoOrder, OrderBy, QuerySet};

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

macro_rules! backend_ops {
    ($module:ident, $feature:literal, $db:ty, $conn:ty, $doc:literal) => {
        #[doc = $doc]
        pub mod $module {
            #[cfg(feature = $feature)]
            use super::*;

            /// The operations a (filter, ordering) pair supports on this backend.
            #[cfg(feature = $feature)]
            pub trait Ops<M>: Sized {
                /// Loads the rows of the query.
                fn rows(self, slice: Slice, conn: &mut $conn) -> diesel::QueryResult<Vec<M>>;
                /// `SELECT COUNT(*)` with the same WHERE clause.
                fn count(self, conn: &mut $conn) -> diesel::QueryResult<i64>;
                /// `SELECT 1 ... LIMIT 1` with the same WHERE clause.
                fn exists(self, conn: &mut $conn) -> diesel::QueryResult<bool>;
            }

            /// The operations a (filter, ordering) pair supports on this backend (its
            /// feature is off: nothing is asked).
            #[cfg(not(feature = $feature))]
            pub trait Ops<M> {}
            #[cfg(not(feature = $feature))]
            impl<M, T> Ops<M> for T {}

            #[cfg(feature = $feature)]
            impl<M, W, O> Ops<M> for (W, O)
            where
                M: diesel::Selectable<$db>,
                <M as diesel::Selectable<$db>>::SelectExpression: diesel::query_builder::QueryId,
                O: ApplyOrder<W>,
                O::Output: diesel::query_dsl::methods::SelectDsl<dsl::AsSelect<M, $db>>
                    + diesel::query_dsl::methods::LimitDsl,
                dsl::Select<O::Output, dsl::AsSelect<M, $db>>:
                    diesel::query_dsl::LoadQuery<'static, $conn, M>,
                dsl::Limit<O::Output>: diesel::query_dsl::methods::OffsetDsl
                    + diesel::query_dsl::methods::SelectDsl<dsl::AsSelect<M, $db>>,
                dsl::Select<dsl::Limit<O::Output>, dsl::AsSelect<M, $db>>:
                    diesel::query_dsl::LoadQuery<'static, $conn, M>,
                dsl::Offset<dsl::Limit<O::Output>>:
                    diesel::query_dsl::methods::SelectDsl<dsl::AsSelect<M, $db>>,
                dsl::Select<dsl::Offset<dsl::Limit<O::Output>>, dsl::AsSelect<M, $db>>:
                    diesel::query_dsl::LoadQuery<'static, $conn, M>,
                W: diesel::query_dsl::methods::SelectDsl<dsl::CountStar>
                    + diesel::query_dsl::methods::SelectDsl<
                        diesel::expression::SqlLiteral<diesel::sql_types::Integer>,
                    >,
                dsl::Select<W, dsl::CountStar>: diesel::query_dsl::LoadQuery<'static, $conn, i64>,
                dsl::Select<W, diesel::expression::SqlLiteral<diesel::sql_types::Integer>>:
                    diesel::query_dsl::methods::LimitDsl,
                dsl::Limit<
                    dsl::Select<W, diesel::expression::SqlLiteral<diesel::sql_types::Integer>>,
                >: diesel::query_dsl::LoadQuery<'static, $conn, i32>,
            {
                fn rows(self, slice: Slice, conn: &mut $conn) -> diesel::QueryResult<Vec<M>> {
                    use diesel::query_dsl::methods::{LimitDsl, OffsetDsl, SelectDsl};
                    use diesel::{RunQueryDsl, SelectableHelper};
                    let (query, order) = self;
                    let ordered = order.apply(query);
                    match slice {
                        Slice::All => ordered.select(M::as_select()).load(conn),
                        Slice::Limit(limit) => {
                            ordered.limit(limit).select(M::as_select()).load(conn)
                        }
                        Slice::Page { limit, offset } => ordered
                            .limit(limit)
                            .offset(offset)
                            .select(M::as_select())
                            .load(conn),
                    }
                }

                fn count(self, conn: &mut $conn) -> diesel::QueryResult<i64> {
                    use diesel::RunQueryDsl;
                    self.0.select(dsl::count_star()).get_result(conn)
                }

                fn exists(self, conn: &mut $conn) -> diesel::QueryResult<bool> {
                    use diesel::query_dsl::methods::LimitDsl;
                    use diesel::RunQueryDsl;
                    let one = dsl::sql::<diesel::sql_types::Integer>("1");
                    let rows: Vec<i32> = self.0.select(one).limit(1).load(conn)?;
                    Ok(!rows.is_empty())
                }
            }
        }
    };
}

backend_ops!(
    sqlite,
    "sqlite",
    diesel::sqlite::Sqlite,
    orm_exec::connection::BlockingSqlite,
    "The SQLite arm of the terminal operations."
);
backend_ops!(
    pg,
    "postgres",
    diesel::pg::Pg,
    orm_exec::connection::BlockingPg,
    "The PostgreSQL arm of the terminal operations."
);
backend_ops!(
    mysql,
    "mysql",
    diesel::mysql::Mysql,
    orm_exec::connection::BlockingMysql,
    "The MySQL/MariaDB arm of the terminal operations."
);

/// A (filter, ordering) pair that runs on every enabled backend.
pub trait Runnable<M>: sqlite::Ops<M> + pg::Ops<M> + mysql::Ops<M> {}
impl<M, T> Runnable<M> for T where T: sqlite::Ops<M> + pg::Ops<M> + mysql::Ops<M> {}

/// Runs `$method(args)` of the backend's `Ops` on the connection's arm.
macro_rules! on_backend {
    ($conn:expr, $ops:expr, $method:ident $(, $arg:expr)*) => {{
        let conn: &mut Connection = $conn;
        let result = match &mut *conn {
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(c) => sqlite::Ops::$method($ops, $($arg,)* c),
            #[cfg(not(feature = "sqlite"))]
            Connection::Sqlite(c) => orm_exec::__private::unreachable_backend(c),
            #[cfg(feature = "postgres")]
            Connection::Postgres(c) => pg::Ops::$method($ops, $($arg,)* c),
            #[cfg(not(feature = "postgres"))]
            Connection::Postgres(c) => orm_exec::__private::unreachable_backend(c),
            #[cfg(feature = "mysql")]
            Connection::Mysql(c) => mysql::Ops::$method($ops, $($arg,)* c),
            #[cfg(not(feature = "mysql"))]
            Connection::Mysql(c) => orm_exec::__private::unreachable_backend(c),
        };
        conn.classify(result)
    }};
}

impl<M, W, O> QuerySet<M, W, O>
where
    M: Model,
    W: Clone,
    O: Clone,
    (W, O): Runnable<M>,
{
    /// Every row of the QuerySet, in its order.
    pub(crate) fn all(&self, conn: &mut Connection) -> Result<Vec<M>> {
        on_backend!(conn, self.parts(), rows, self.slice(None))
    }

    /// The first row, or `None` when there is none.
    pub(crate) fn first(&self, conn: &mut Connection) -> Result<Option<M>> {
        let rows = on_backend!(conn, self.parts(), rows, self.slice(Some(1)))?;
        Ok(rows.into_iter().next())
    }

    /// The one row of the QuerySet: [`Error::NoMatch`] when there is none,
    /// [`Error::MultipleMatches`] when there are several. Fetches at most two rows.
    pub(crate) fn one(&self, conn: &mut Connection) -> Result<M> {
        only(on_backend!(conn, self.parts(), rows, self.slice(Some(2)))?)
    }

    /// The number of rows matching the filters (ordering, limit and offset do not apply
    /// here: `RunQuerySet::count` cuts the number to a slice).
    pub(crate) fn count(&self, conn: &mut Connection) -> Result<i64> {
        on_backend!(conn, self.parts(), count)
    }

    /// Whether any row matches the filters.
    pub(crate) fn exists(&self, conn: &mut Connection) -> Result<bool> {
        on_backend!(conn, self.parts(), exists)
    }
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

/// Blocking: each operation runs now and returns its result.
impl<T, W, O> LoadRows<T, W, O> for &mut Connection
where
    (W, O): Runnable<T>,
{
    type Output<X: Send + 'static> = Result<X>;

    fn rows(self, query: (W, O), slice: Slice) -> Result<Vec<T>> {
        on_backend!(self, query, rows, slice)
    }

    fn rows_in_turn(self, queries: Vec<(W, O)>) -> Result<Vec<T>> {
        let mut all = Vec::new();
        for query in queries {
            all.extend(on_backend!(&mut *self, query, rows, Slice::All)?);
        }
        Ok(all)
    }

    fn count(self, query: (W, O)) -> Result<i64> {
        on_backend!(self, query, count)
    }

    fn ready<X: Send + 'static>(value: Result<X>) -> Result<X> {
        value
    }

    fn map<X: Send + 'static, Y: Send + 'static>(
        out: Result<X>,
        f: impl FnOnce(X) -> Result<Y> + Send + 'static,
    ) -> Result<Y> {
        out.and_then(f)
    }
}
