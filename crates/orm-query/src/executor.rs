//! One set of terminal operations for blocking and async code: [`RunQuerySet`] (in the
//! prelude) gives every [`QuerySet`] `all`, `first`, `one`, `get`, `count` and `exists`, each
//! taking an executor: what the query runs on. Each is a read operation of [`crate::run`]
//! (`Rows`, `Count`, `Exists`), handed to orm-exec's one [`Run`] trait, the same that runs
//! persistence's writes; [`Reads`] names the reads a query needs.
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
use orm_schema::Model;

use crate::queryset::QuerySet;
use crate::run::{only, Count, Exists, Rows, RowsInTurn, Slice};

/// The boxed, `Send` future an async executor returns (one allocation per operation,
/// as diesel-async itself makes for every query).
pub use orm_exec::operation::BoxFuture;
pub use orm_exec::operation::{Executor, Run};

/// An executor that runs the reads of query `Q` for rows of type `T` (a model, a model
/// with its related rows, or a projection's tuple): `&mut Connection` (blocking),
/// `&Database` or `&mut PooledConnection` (async), or one backend's own connection
/// ([`crate::pinned`]). A name for the four bounds on orm-exec's [`Run`], with the calls
/// that build each read; implemented for every executor that runs them. See the
/// [module documentation](self).
#[diagnostic::on_unimplemented(
    message = "a query cannot run on `{Self}`",
    label = "not an executor for this query",
    note = "pass `&mut Connection` (blocking), `&Database` or `&mut PooledConnection` (async)",
    note = "if it is one of those, the query's filter or ordering does not compile on every enabled backend"
)]
pub trait Reads<'a, T: Send + 'a, Q>:
    Run<'a, Rows<T, Q>> + Run<'a, RowsInTurn<T, Q>> + Run<'a, Count<T, Q>> + Run<'a, Exists<T, Q>>
{
    /// The rows of `query` in `slice`.
    fn rows(self, query: Q, slice: Slice) -> Self::Output<Vec<T>> {
        Run::run(self, Rows::<T, Q>::new(query, slice))
    }

    /// The rows of each of `queries`, run one after the other on one connection, in one
    /// list (a long key list cut into statements under the bind-parameter limit).
    fn rows_in_turn(self, queries: Vec<Q>) -> Self::Output<Vec<T>> {
        Run::run(self, RowsInTurn::new(queries))
    }

    /// `SELECT COUNT(*)` with `query`'s filters.
    fn count(self, query: Q) -> Self::Output<i64> {
        Run::run(self, Count::new(query))
    }

    /// Whether `query`'s filters match a row (`SELECT 1 ... LIMIT 1`).
    fn exists(self, query: Q) -> Self::Output<bool> {
        Run::run(self, Exists::new(query))
    }
}

impl<'a, T: Send + 'a, Q, E> Reads<'a, T, Q> for E where
    E: Run<'a, Rows<T, Q>>
        + Run<'a, RowsInTurn<T, Q>>
        + Run<'a, Count<T, Q>>
        + Run<'a, Exists<T, Q>>
{
}

/// The terminal operations of a [`QuerySet`], blocking or async depending on the
/// executor given (see the [module documentation](self)). In the prelude.
pub trait RunQuerySet<M: Send + 'static, W, O> {
    /// Every row of the QuerySet, in its order (its limit and offset applied).
    fn all<'a, E: Reads<'a, M, (W, O)>>(&self, executor: E) -> E::Output<Vec<M>>;

    /// The first row, or `None` when there is none.
    fn first<'a, E: Reads<'a, M, (W, O)>>(&self, executor: E) -> E::Output<Option<M>>;

    /// The one row of the QuerySet: `Error::NoMatch` when there is none,
    /// `Error::MultipleMatches` when there are several. Fetches at most two rows.
    fn one<'a, E: Reads<'a, M, (W, O)>>(&self, executor: E) -> E::Output<M>;

    /// The one row matching `predicate` (added to the QuerySet's filters):
    /// `Error::NoMatch` or `Error::MultipleMatches` otherwise. Fetches at most two rows.
    fn get<'a, E, P>(&self, executor: E, predicate: P) -> E::Output<M>
    where
        W: Clone + FilterDsl<P>,
        O: Clone,
        E: Reads<'a, M, (dsl::Filter<W, P>, O)>;

    /// The number of rows the QuerySet holds: one `SELECT COUNT(*)` with its filters (the
    /// ordering does not apply). On a sliced QuerySet, the rows of the slice, as Django
    /// counts them: `offset(5).limit(10)` over 12 matching rows counts 7.
    fn count<'a, E: Reads<'a, M, (W, O)>>(&self, executor: E) -> E::Output<i64>;

    /// Whether the QuerySet holds any row: one `SELECT 1 ... LIMIT 1` with its filters; on
    /// a sliced QuerySet, whether the slice holds one (counted as [`count`](Self::count)
    /// does).
    fn exists<'a, E: Reads<'a, M, (W, O)>>(&self, executor: E) -> E::Output<bool>;
}

impl<M: Model + Send + 'static, W: Clone, O: Clone> RunQuerySet<M, W, O> for QuerySet<M, W, O> {
    fn all<'a, E: Reads<'a, M, (W, O)>>(&self, executor: E) -> E::Output<Vec<M>> {
        executor.rows(self.parts(), self.slice(None))
    }

    fn first<'a, E: Reads<'a, M, (W, O)>>(&self, executor: E) -> E::Output<Option<M>> {
        let rows = executor.rows(self.parts(), self.slice(Some(1)));
        E::map(rows, |rows| Ok(rows.into_iter().next()))
    }

    fn one<'a, E: Reads<'a, M, (W, O)>>(&self, executor: E) -> E::Output<M> {
        E::map(executor.rows(self.parts(), self.slice(Some(2))), only)
    }

    fn get<'a, E, P>(&self, executor: E, predicate: P) -> E::Output<M>
    where
        W: Clone + FilterDsl<P>,
        O: Clone,
        E: Reads<'a, M, (dsl::Filter<W, P>, O)>,
    {
        let filtered = self.clone().filter(predicate);
        let slice = filtered.slice(Some(2));
        E::map(executor.rows(filtered.into_parts(), slice), only)
    }

    fn count<'a, E: Reads<'a, M, (W, O)>>(&self, executor: E) -> E::Output<i64> {
        if !self.is_sliced() {
            return executor.count(self.parts());
        }
        let in_slice = self.in_slice();
        E::map(executor.count(self.parts()), move |total| {
            Ok(in_slice(total))
        })
    }

    fn exists<'a, E: Reads<'a, M, (W, O)>>(&self, executor: E) -> E::Output<bool> {
        if !self.is_sliced() {
            return executor.exists(self.parts());
        }
        let in_slice = self.in_slice();
        E::map(executor.count(self.parts()), move |total| {
            Ok(in_slice(total) > 0)
        })
    }
}
