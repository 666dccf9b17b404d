//! One set of terminal operations for blocking and async code: [`RunQuerySet`] (in the
//! prelude) gives every [`QuerySet`] `all`, `first`, `one`, `get`, `count` and `exists`, each
//! taking an [`Executor`]: what the query runs on. The executors are written once each for
//! the blocking and the async side (`blocking_executor!`, `async_executor!`), over the one
//! set of statements in [`crate::run`].
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
use orm_exec::statement_conn::run_now;
use orm_exec::{async_dispatch, dispatch, Connection, Database, PooledConnection, Result};
use orm_schema::Model;

use crate::queryset::QuerySet;
use crate::run::{self, only, AsyncRunnable, Runnable, Slice};

/// The boxed, `Send` future an async [`Executor`] returns (one allocation per operation,
/// as diesel-async itself makes for every query).
pub use orm_exec::operation::BoxFuture;

/// What a query runs on: `&mut Connection` (blocking), `&Database` or
/// `&mut PooledConnection` (async), or one backend's own connection
/// ([`crate::pinned`]). See the [module documentation](self).
///
/// The one executor trait of the QuerySet, `select_related`, `prefetch` and the by-name
/// relations: rows of type `T` (a model, a model with its related rows, or a projection's
/// tuple) from a query `Q` (a (filter, ordering) pair, or a projection). Users pass an executor to [`RunQuerySet`]'s methods
/// (and the relations') and never call these directly.
#[diagnostic::on_unimplemented(
    message = "a query cannot run on `{Self}`",
    label = "not an executor for this query",
    note = "pass `&mut Connection` (blocking), `&Database` or `&mut PooledConnection` (async)",
    note = "if it is one of those, the query's filter or ordering does not compile on every enabled backend"
)]
pub trait Executor<T, Q>: Sized {
    /// What an operation returns: `Result<X>` for a blocking connection, a `Send` future
    /// of `Result<X>` for an async one.
    type Output<X: Send + 'static>;

    /// The rows of `query` in `slice`.
    fn rows(self, query: Q, slice: Slice) -> Self::Output<Vec<T>>
    where
        T: Send + 'static;

    /// The rows of each of `queries`, run one after the other on one connection, in one
    /// list (a long key list cut into statements under the bind-parameter limit).
    fn rows_in_turn(self, queries: Vec<Q>) -> Self::Output<Vec<T>>
    where
        T: Send + 'static,
        Q: Send + 'static;

    /// `SELECT COUNT(*)` with `query`'s filters.
    fn count(self, query: Q) -> Self::Output<i64>;

    /// Whether `query`'s filters match a row (`SELECT 1 ... LIMIT 1`).
    fn exists(self, query: Q) -> Self::Output<bool>;

    /// `value`, as this executor returns it (no statement runs).
    fn ready<X: Send + 'static>(value: Result<X>) -> Self::Output<X>;

    /// `out` with `f` applied to its value once it is there.
    fn map<X: Send + 'static, Y: Send + 'static>(
        out: Self::Output<X>,
        f: impl FnOnce(X) -> Result<Y> + Send + 'static,
    ) -> Self::Output<Y>;
}

/// The terminal operations of a [`QuerySet`], blocking or async depending on the
/// [`Executor`] given (see the [module documentation](self)). In the prelude.
pub trait RunQuerySet<M: Send + 'static, W, O> {
    /// Every row of the QuerySet, in its order (its limit and offset applied).
    fn all<E: Executor<M, (W, O)>>(&self, executor: E) -> E::Output<Vec<M>>;

    /// The first row, or `None` when there is none.
    fn first<E: Executor<M, (W, O)>>(&self, executor: E) -> E::Output<Option<M>>;

    /// The one row of the QuerySet: `Error::NoMatch` when there is none,
    /// `Error::MultipleMatches` when there are several. Fetches at most two rows.
    fn one<E: Executor<M, (W, O)>>(&self, executor: E) -> E::Output<M>;

    /// The one row matching `predicate` (added to the QuerySet's filters):
    /// `Error::NoMatch` or `Error::MultipleMatches` otherwise. Fetches at most two rows.
    fn get<E, P>(&self, executor: E, predicate: P) -> E::Output<M>
    where
        W: Clone + FilterDsl<P>,
        O: Clone,
        E: Executor<M, (dsl::Filter<W, P>, O)>;

    /// The number of rows the QuerySet holds: one `SELECT COUNT(*)` with its filters (the
    /// ordering does not apply). On a sliced QuerySet, the rows of the slice, as Django
    /// counts them: `offset(5).limit(10)` over 12 matching rows counts 7.
    fn count<E: Executor<M, (W, O)>>(&self, executor: E) -> E::Output<i64>;

    /// Whether the QuerySet holds any row: one `SELECT 1 ... LIMIT 1` with its filters; on
    /// a sliced QuerySet, whether the slice holds one (counted as [`count`](Self::count)
    /// does).
    fn exists<E: Executor<M, (W, O)>>(&self, executor: E) -> E::Output<bool>;
}

impl<M: Model + Send + 'static, W: Clone, O: Clone> RunQuerySet<M, W, O> for QuerySet<M, W, O> {
    fn all<E: Executor<M, (W, O)>>(&self, executor: E) -> E::Output<Vec<M>> {
        executor.rows(self.parts(), self.slice(None))
    }

    fn first<E: Executor<M, (W, O)>>(&self, executor: E) -> E::Output<Option<M>> {
        let rows = executor.rows(self.parts(), self.slice(Some(1)));
        E::map(rows, |rows| Ok(rows.into_iter().next()))
    }

    fn one<E: Executor<M, (W, O)>>(&self, executor: E) -> E::Output<M> {
        E::map(executor.rows(self.parts(), self.slice(Some(2))), only)
    }

    fn get<E, P>(&self, executor: E, predicate: P) -> E::Output<M>
    where
        W: Clone + FilterDsl<P>,
        O: Clone,
        E: Executor<M, (dsl::Filter<W, P>, O)>,
    {
        let filtered = self.clone().filter(predicate);
        let slice = filtered.slice(Some(2));
        E::map(executor.rows(filtered.into_parts(), slice), only)
    }

    fn count<E: Executor<M, (W, O)>>(&self, executor: E) -> E::Output<i64> {
        if !self.is_sliced() {
            return executor.count(self.parts());
        }
        let in_slice = self.in_slice();
        E::map(executor.count(self.parts()), move |total| {
            Ok(in_slice(total))
        })
    }

    fn exists<E: Executor<M, (W, O)>>(&self, executor: E) -> E::Output<bool> {
        if !self.is_sliced() {
            return executor.exists(self.parts());
        }
        let in_slice = self.in_slice();
        E::map(executor.count(self.parts()), move |total| {
            Ok(in_slice(total) > 0)
        })
    }
}

/// Binds `$c` to the backend connection of `$conn` (a `&mut` to an executor's
/// connection) and evaluates `$body`: `dispatch!` / `async_dispatch!` for a connection of
/// any backend; `direct!` for one backend's own connection ([`crate::pinned`]).
macro_rules! direct {
    ($conn:expr, $c:ident => $body:expr) => {{
        let $c = &mut **$conn;
        $body
    }};
}
pub(crate) use direct;

/// Implements [`Executor`] for a blocking executor type `$ty` whose queries need `$bound`:
/// `$on` (`dispatch` or `direct`) reaches its backend connection, on which each statement
/// of [`crate::run`] is finished at once ([`run_now`]).
macro_rules! blocking_executor {
    ($(#[$doc:meta])* [$($gen:tt)*] $ty:ty, [$($bound:tt)+], $on:ident) => {
        $(#[$doc])*
        impl<$($gen)* T, Q> Executor<T, Q> for $ty
        where
            Q: $($bound)+,
        {
            type Output<X: Send + 'static> = Result<X>;

            fn rows(self, query: Q, slice: Slice) -> Result<Vec<T>>
            where
                T: Send + 'static,
            {
                let mut conn = self;
                $on!(&mut conn, c => run_now(run::rows(c, query, slice)))
            }

            fn rows_in_turn(self, queries: Vec<Q>) -> Result<Vec<T>>
            where
                T: Send + 'static,
                Q: Send + 'static,
            {
                let mut all = Vec::new();
                for query in queries {
                    all.extend(Executor::rows(&mut *self, query, Slice::All)?);
                }
                Ok(all)
            }

            fn count(self, query: Q) -> Result<i64> {
                let mut conn = self;
                $on!(&mut conn, c => run_now(run::count(c, query)))
            }

            fn exists(self, query: Q) -> Result<bool> {
                let mut conn = self;
                $on!(&mut conn, c => run_now(run::exists(c, query)))
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
    };
}
pub(crate) use blocking_executor;

/// Runs `$body`, a read of `$query` on `$conn`, on the connection `$acquire` gives.
macro_rules! read_once {
    ($acquire:expr, $query:ident, |$conn:ident| $body:expr) => {{
        let mut $conn = $acquire;
        $body
    }};
}
pub(crate) use read_once;

/// [`read_once`], then once more on a second connection when the first was lost
/// ([`orm_exec::Error::Connection`]): a read outside a transaction changes nothing, so
/// running it again is safe. For `&Database`, whose pool may hand out a connection within
/// its alive-bypass window that the server has just closed.
///
/// One loop, so the read's future holds one copy of `$body`'s state, not two.
macro_rules! read_retried {
    ($acquire:expr, $query:ident, |$conn:ident| $body:expr) => {{
        // Each attempt runs a copy; the query is kept for the one retry.
        let kept = $query;
        let mut retried = false;
        loop {
            let outcome = {
                let $query = kept.clone();
                let mut $conn = $acquire;
                $body
            };
            match outcome {
                Err(orm_exec::Error::Connection { .. }) if !retried => retried = true,
                other => break other,
            }
        }
    }};
}
pub(crate) use read_retried;

/// Implements [`Executor`] for an async executor type `$ty` (lifetime `$lt`) whose
/// queries need `$bound`: `$acquire` gives the connection to run on (`$this` the
/// executor) and `$read` ([`read_once`] or [`read_retried`]) runs a read on it; `$on`
/// (`async_dispatch` or `direct`) reaches its backend connection, where each statement of
/// [`crate::run`] is awaited. Every future is `Send`.
macro_rules! async_executor {
    (
        $(#[$doc:meta])* [$($gen:tt)*] $ty:ty, $lt:lifetime, [$($bound:tt)+], $on:ident,
        $read:ident |$this:ident| $acquire:expr
    ) => {
        $(#[$doc])*
        impl<$($gen)* T, Q> Executor<T, Q> for $ty
        where
            Q: $($bound)+,
        {
            type Output<X: Send + 'static> = $crate::executor::BoxFuture<$lt, Result<X>>;

            fn rows(self, query: Q, slice: Slice) -> Self::Output<Vec<T>>
            where
                T: Send + 'static,
            {
                let $this = self;
                Box::pin(async move {
                    $read!($acquire, query, |conn| {
                        $on!(&mut conn, c => run::rows(c, query, slice).await)
                    })
                })
            }

            fn rows_in_turn(self, queries: Vec<Q>) -> Self::Output<Vec<T>>
            where
                T: Send + 'static,
                Q: Send + 'static,
            {
                let $this = self;
                Box::pin(async move {
                    $read!($acquire, queries, |conn| {
                        let mut all = Vec::new();
                        for query in queries {
                            all.extend(
                                $on!(&mut conn, c => run::rows(c, query, Slice::All).await)?,
                            );
                        }
                        Ok(all)
                    })
                })
            }

            fn count(self, query: Q) -> Self::Output<i64> {
                let $this = self;
                Box::pin(async move {
                    $read!($acquire, query, |conn| {
                        $on!(&mut conn, c => run::count(c, query).await)
                    })
                })
            }

            fn exists(self, query: Q) -> Self::Output<bool> {
                let $this = self;
                Box::pin(async move {
                    $read!($acquire, query, |conn| {
                        $on!(&mut conn, c => run::exists(c, query).await)
                    })
                })
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
pub(crate) use async_executor;

blocking_executor!(
    /// Blocking: each operation runs now and returns its result.
    [] &mut Connection, [Runnable<T>], dispatch
);
async_executor!(
    /// Async: each operation checks a connection out of the pool for its statements.
    ['d,] &'d Database, 'd, [AsyncRunnable<T> + Clone], async_dispatch,
    read_retried |db| db.get().await?
);
async_executor!(
    /// Async: each operation runs on this connection (inside its transaction, if any).
    ['c,] &'c mut PooledConnection, 'c, [AsyncRunnable<T>], async_dispatch,
    read_once |conn| conn
);
