//! One set of terminal operations for blocking and async code: [`RunQuerySet`] (in the
//! prelude) gives every [`QuerySet`] `all`, `first`, `one`, `get`, `count` and `exists`, each
//! taking an [`Executor`]: what the query runs on.
//!
//! | executor                  | what `qs.all(e)` returns                            |
//! |---------------------------|------------------------------------------------------|
//! | `&mut Connection`         | `Result<Vec<M>>`, now (blocking)                     |
//! | `&Database`               | a `Send` future of `Result<Vec<M>>` (checks out a pooled connection for the one statement) |
//! | `&mut PooledConnection`   | a `Send` future of `Result<Vec<M>>` (on that connection, for example inside a transaction) |
//!
//! So the same QuerySet value reads `qs.all(&mut conn)?` in blocking code and
//! `qs.all(&db).await?` in async code, with the same names, as diesel's and diesel-async's
//! `RunQueryDsl` do but from one trait: the executor's type chooses, at compile time.
//!
//! The executor is a generic parameter, so a `&mut` reference held in a variable is moved
//! into the call, not reborrowed: inside `fn f(conn: &mut Connection)` or a transaction
//! closure, write `qs.all(&mut *conn)` when `conn` is used again afterwards (as with sqlx's
//! executors).
//!
//! ```text
//! use orm::prelude::*;
//!
//! let open = Note::objects().filter(notes::completed.eq(false)).order_by(notes::id.asc());
//!
//! // Blocking.
//! let mut conn = orm::Connection::establish(url)?;
//! let notes: Vec<Note> = open.all(&mut conn)?;
//!
//! // Async, from the same QuerySet value (the future is `Send`).
//! let db = orm::Database::connect(url).await?;
//! let notes: Vec<Note> = open.all(&db).await?;
//! let note: Note = open.get(&db, notes::id.eq(3)).await?;
//! ```
//!
//! (Runnable versions: the `orm` crate's documentation and `tests/queryset_async.rs`.)

use diesel::dsl;
use diesel::query_dsl::methods::FilterDsl;
use orm_exec::{Connection, Result};
use orm_schema::Model;

use crate::queryset::QuerySet;
use crate::run::{Runnable, Slice};

/// What a [`QuerySet`]'s terminal operations run on: `&mut Connection` (blocking),
/// `&Database` or `&mut PooledConnection` (async). See the [module documentation](self).
///
/// Users pass an executor to [`RunQuerySet`]'s methods and never call these directly.
#[diagnostic::on_unimplemented(
    message = "a QuerySet cannot run on `{Self}`",
    label = "not an executor for this QuerySet",
    note = "pass `&mut Connection` (blocking), `&Database` or `&mut PooledConnection` (async)",
    note = "if it is one of those, the QuerySet's filter or ordering does not compile on every enabled backend"
)]
pub trait Executor<M, W, O>: Sized {
    /// What an operation returns: `Result<T>` for a blocking connection, a `Send` future
    /// of `Result<T>` for an async one.
    type Output<T: Send + 'static>;

    /// Every row of `qs`, in its order.
    fn all(self, qs: &QuerySet<M, W, O>) -> Self::Output<Vec<M>>
    where
        M: Send + 'static;
    /// The first row of `qs`, or `None`.
    fn first(self, qs: &QuerySet<M, W, O>) -> Self::Output<Option<M>>
    where
        M: Send + 'static;
    /// The one row of `qs` (fetches at most two).
    fn one(self, qs: &QuerySet<M, W, O>) -> Self::Output<M>
    where
        M: Send + 'static;
    /// The number of rows matching the filters of `qs`.
    fn count(self, qs: &QuerySet<M, W, O>) -> Self::Output<i64>;
    /// Whether any row matches the filters of `qs`.
    fn exists(self, qs: &QuerySet<M, W, O>) -> Self::Output<bool>;
    /// `out` with `f` applied to its value once it is there.
    fn map<X: Send + 'static, Y: Send + 'static>(
        out: Self::Output<X>,
        f: impl FnOnce(X) -> Y + Send + 'static,
    ) -> Self::Output<Y>;
}

/// The terminal operations of a [`QuerySet`], blocking or async depending on the
/// [`Executor`] given (see the [module documentation](self)). In the prelude.
pub trait RunQuerySet<M: Send + 'static, W, O> {
    /// Every row of the QuerySet, in its order (its limit and offset applied).
    fn all<E: Executor<M, W, O>>(&self, executor: E) -> E::Output<Vec<M>>;

    /// The first row, or `None` when there is none.
    fn first<E: Executor<M, W, O>>(&self, executor: E) -> E::Output<Option<M>>;

    /// The one row of the QuerySet: `Error::NoMatch` when there is none,
    /// `Error::MultipleMatches` when there are several. Fetches at most two rows.
    fn one<E: Executor<M, W, O>>(&self, executor: E) -> E::Output<M>;

    /// The one row matching `predicate` (added to the QuerySet's filters):
    /// `Error::NoMatch` or `Error::MultipleMatches` otherwise. Fetches at most two rows.
    fn get<E, P>(&self, executor: E, predicate: P) -> E::Output<M>
    where
        W: Clone + FilterDsl<P>,
        O: Clone,
        E: Executor<M, dsl::Filter<W, P>, O>;

    /// The number of rows the QuerySet holds: one `SELECT COUNT(*)` with its filters (the
    /// ordering does not apply). On a sliced QuerySet, the rows of the slice, as Django
    /// counts them: `offset(5).limit(10)` over 12 matching rows counts 7.
    fn count<E: Executor<M, W, O>>(&self, executor: E) -> E::Output<i64>;

    /// Whether the QuerySet holds any row: one `SELECT 1 ... LIMIT 1` with its filters; on
    /// a sliced QuerySet, whether the slice holds one (counted as [`count`](Self::count)
    /// does).
    fn exists<E: Executor<M, W, O>>(&self, executor: E) -> E::Output<bool>;
}

impl<M: Model + Send, W, O> RunQuerySet<M, W, O> for QuerySet<M, W, O> {
    fn all<E: Executor<M, W, O>>(&self, executor: E) -> E::Output<Vec<M>> {
        executor.all(self)
    }

    fn first<E: Executor<M, W, O>>(&self, executor: E) -> E::Output<Option<M>> {
        executor.first(self)
    }

    fn one<E: Executor<M, W, O>>(&self, executor: E) -> E::Output<M> {
        executor.one(self)
    }

    fn get<E, P>(&self, executor: E, predicate: P) -> E::Output<M>
    where
        W: Clone + FilterDsl<P>,
        O: Clone,
        E: Executor<M, dsl::Filter<W, P>, O>,
    {
        executor.one(&self.clone().filter(predicate))
    }

    fn count<E: Executor<M, W, O>>(&self, executor: E) -> E::Output<i64> {
        if !self.is_sliced() {
            return executor.count(self);
        }
        let (limit, offset) = (self.limit, self.offset);
        E::map(executor.count(self), move |total| {
            crate::queryset::count_in_slice(total, limit, offset)
        })
    }

    fn exists<E: Executor<M, W, O>>(&self, executor: E) -> E::Output<bool> {
        if !self.is_sliced() {
            return executor.exists(self);
        }
        let (limit, offset) = (self.limit, self.offset);
        E::map(executor.count(self), move |total| {
            crate::queryset::count_in_slice(total, limit, offset) > 0
        })
    }
}

/// Blocking: each operation runs now and returns its result (see [`crate::run`]).
impl<M, W, O> Executor<M, W, O> for &mut Connection
where
    M: Model,
    W: Clone,
    O: Clone,
    (W, O): Runnable<M>,
{
    type Output<T: Send + 'static> = Result<T>;

    fn all(self, qs: &QuerySet<M, W, O>) -> Result<Vec<M>> {
        qs.all(self)
    }

    fn first(self, qs: &QuerySet<M, W, O>) -> Result<Option<M>> {
        qs.first(self)
    }

    fn one(self, qs: &QuerySet<M, W, O>) -> Result<M> {
        qs.one(self)
    }

    fn count(self, qs: &QuerySet<M, W, O>) -> Result<i64> {
        qs.count(self)
    }

    fn exists(self, qs: &QuerySet<M, W, O>) -> Result<bool> {
        qs.exists(self)
    }

    fn map<X: Send + 'static, Y: Send + 'static>(
        out: Result<X>,
        f: impl FnOnce(X) -> Y + Send + 'static,
    ) -> Result<Y> {
        out.map(f)
    }
}

/// What the queries that load more than one model's rows run on: `select_related`'s joins
/// and [`prefetch`](crate::prefetch). The same three executors as [`Executor`]
/// (`&mut Connection` blocking, `&Database` and `&mut PooledConnection` async), for rows of
/// any selectable type `T` (a model, or a model with its related rows).
///
/// Users pass an executor to [`SelectRelated`](crate::SelectRelated)'s methods and
/// [`prefetch`](crate::prefetch) and never call these directly.
#[diagnostic::on_unimplemented(
    message = "a related query cannot run on `{Self}`",
    label = "not an executor for this query",
    note = "pass `&mut Connection` (blocking), `&Database` or `&mut PooledConnection` (async)",
    note = "if it is one of those, the query's filter or ordering does not compile on every enabled backend"
)]
pub trait LoadRows<T, W, O>: Sized {
    /// What an operation returns: `Result<X>` for a blocking connection, a `Send` future
    /// of `Result<X>` for an async one.
    type Output<X: Send + 'static>;

    /// The rows of the (filter, ordering) pair `query` in `slice`.
    fn rows(self, query: (W, O), slice: Slice) -> Self::Output<Vec<T>>
    where
        T: Send + 'static;

    /// The rows of each of `queries`, run one after the other on one connection, in one
    /// list (a long key list cut into statements under the bind-parameter limit).
    fn rows_in_turn(self, queries: Vec<(W, O)>) -> Self::Output<Vec<T>>
    where
        T: Send + 'static,
        W: Send + 'static,
        O: Send + 'static;

    /// `SELECT COUNT(*)` with `query`'s filters.
    fn count(self, query: (W, O)) -> Self::Output<i64>;

    /// `value`, as this executor returns it (no statement runs).
    fn ready<X: Send + 'static>(value: Result<X>) -> Self::Output<X>;

    /// `out` with `f` applied to its value once it is there.
    fn map<X: Send + 'static, Y: Send + 'static>(
        out: Self::Output<X>,
        f: impl FnOnce(X) -> Result<Y> + Send + 'static,
    ) -> Self::Output<Y>;
}
