//! Operations and the one trait that runs them: an [`Operation`] is a piece of work
//! (persistence's create, bulk_create, get_or_create, ...) written once as an async
//! function over any backend connection ([`OperationOn`]); an [`Executor`] is what it runs
//! on, chosen by the type of the value passed:
//!
//! | executor                | what running an operation returns                     |
//! |-------------------------|-------------------------------------------------------|
//! | `&mut Connection`       | `Result<T>`, now (blocking)                           |
//! | `&Database`             | a `Send` future of `Result<T>` (checks a pooled connection out for the operation) |
//! | `&mut PooledConnection` | a `Send` future of `Result<T>` (on that connection, for example inside a transaction) |
//!
//! The executors differ only here: the blocking one finishes the operation's future in one
//! poll ([`run_now`]: every statement of a blocking connection completes inside its call),
//! the async ones await it. Everything an operation does (validation, transactions,
//! retries) is in the operation, once.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;

use crate::error::Result;
use crate::statement_conn::{run_now, StatementConn};
use crate::transaction::level;
use crate::{async_dispatch, dispatch, Connection, Database, PooledConnection};

/// A piece of work on the database: what it gives back. How it runs on each kind of
/// connection is [`OperationOn`].
pub trait Operation {
    /// What the operation gives back.
    type Output: Send;
}

/// How an [`Operation`] runs on the backend connection `C` (one of orm-exec's blocking or
/// async connections, see [`StatementConn`]): written once, generic over `C`.
pub trait OperationOn<C>: Operation {
    /// Runs the operation on `conn`. On a blocking connection the future is complete when
    /// returned.
    fn run(self, conn: &mut C) -> impl Future<Output = Result<Self::Output>> + Send;
}

/// Declares the per-connection bounds `OnSqlite`, `OnPg`, `OnMysql`, `OnMariadb` (the
/// blocking connections) and `OnAsyncSqlite`, `OnAsyncPg`, `OnAsyncMysql`, `OnAsyncMariadb`
/// (the async ones): `backend_bounds!(<M> Bound)` makes `OnSqlite<M>` stand for
/// `Bound<M, BlockingSqlite>`, and so on. A bound is empty when its backend's cargo
/// feature is off in the calling crate (its connection can then never exist, and
/// `dispatch!` compiles no arm for it). Used for operations here and for queries in
/// orm-query, so the list of connections is written once.
#[doc(hidden)]
#[macro_export]
macro_rules! backend_bounds {
    (<$($g:ident),*> $bound:ident) => {
        $crate::backend_bounds! { @each <$($g),*> $bound;
            OnSqlite, "sqlite", $crate::connection::BlockingSqlite, "Runs on blocking SQLite.";
            OnPg, "postgres", $crate::connection::BlockingPg, "Runs on blocking PostgreSQL.";
            OnMysql, "mysql", $crate::connection::BlockingMysql, "Runs on blocking MySQL.";
            OnMariadb, "mysql", $crate::connection::BlockingMariadb,
                "Runs on blocking MariaDB (`mariadb://`).";
            OnAsyncSqlite, "sqlite", $crate::database::AsyncSqlite, "Runs on async SQLite.";
            OnAsyncPg, "postgres", $crate::database::AsyncPg, "Runs on async PostgreSQL.";
            OnAsyncMysql, "mysql", $crate::database::AsyncMysql, "Runs on async MySQL.";
            OnAsyncMariadb, "mysql", $crate::database::AsyncMariadb,
                "Runs on async MariaDB (`mariadb://`).";
        }
    };
    (@each <$($g:ident),*> $bound:ident;) => {};
    (@each <$($g:ident),*> $bound:ident;
        $name:ident, $feature:literal, $conn:ty, $doc:literal; $($rest:tt)*) => {
        #[doc = $doc]
        #[cfg(feature = $feature)]
        pub trait $name<$($g),*>: $bound<$($g,)* $conn> {}
        #[cfg(feature = $feature)]
        impl<$($g,)* __T: $bound<$($g,)* $conn>> $name<$($g),*> for __T {}
        #[doc = $doc]
        #[cfg(not(feature = $feature))]
        pub trait $name<$($g),*> {}
        #[cfg(not(feature = $feature))]
        impl<$($g,)* __T> $name<$($g),*> for __T {}
        $crate::backend_bounds! { @each <$($g),*> $bound; $($rest)* }
    };
}

crate::backend_bounds!(<> OperationOn);

orm_schema::trait_alias!(
    /// An operation that runs on every enabled backend's blocking connection.
    OnBlocking<> = Operation + OnSqlite + OnPg + OnMysql + OnMariadb
);
orm_schema::trait_alias!(
    /// An operation that runs on every enabled backend's async connection (and moves to
    /// another thread with its future).
    OnAsync<> = Operation + OnAsyncSqlite + OnAsyncPg + OnAsyncMysql + OnAsyncMariadb + Send
);

/// The boxed, `Send` future an async [`Executor`] returns: an executor's output type has
/// to be nameable, and the futures of `async fn`s are not.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What an operation runs on: `&mut Connection` (blocking), `&Database` or
/// `&mut PooledConnection` (async). See the [module documentation](self). Users pass an
/// executor to the methods that write (`create(&mut conn, form)`, `create(&db, form)`)
/// and never call these directly.
#[diagnostic::on_unimplemented(
    message = "`{Op}` cannot run on `{Self}`",
    label = "not an executor for this operation",
    note = "pass `&mut Connection` (blocking), `&Database` or `&mut PooledConnection` (async)",
    note = "if it is one of those, the operation's statements (its model, filter or changes) do not compile on every enabled backend"
)]
pub trait Executor<'a, Op: Operation<Output: 'a>>: Sized {
    /// What an operation returns: `Result<T>` on a blocking connection, a `Send` future of
    /// `Result<T>` on an async one.
    type Output<T: Send + 'a>;

    /// Runs `op`.
    fn run(self, op: Op) -> Self::Output<Op::Output>;

    /// `value`, as this executor returns it (an operation refused before it reached the
    /// database, or one with nothing to do).
    fn ready<T: Send + 'a>(value: Result<T>) -> Self::Output<T>;

    /// `output` with `f` applied to its value once it is there.
    fn map<T: Send + 'a, U: Send + 'a>(
        output: Self::Output<T>,
        f: impl FnOnce(T) -> U + Send + 'a,
    ) -> Self::Output<U>;
}

impl<'a, Op: OnBlocking<Output: 'a>> Executor<'a, Op> for &mut Connection {
    type Output<T: Send + 'a> = Result<T>;

    fn run(self, op: Op) -> Result<Op::Output> {
        dispatch!(self, c => guarded(c, |c| run_now(op.run(c))))
    }

    fn ready<T: Send + 'a>(value: Result<T>) -> Result<T> {
        value
    }

    fn map<T: Send + 'a, U: Send + 'a>(
        output: Result<T>,
        f: impl FnOnce(T) -> U + Send + 'a,
    ) -> Result<U> {
        output.map(f)
    }
}

/// Runs `operation` on the blocking connection `conn`. If it panics, the transaction
/// levels it opened are rolled back before the panic continues, so `conn` is left as it
/// was found.
fn guarded<C: StatementConn, T>(
    conn: &mut C,
    operation: impl FnOnce(&mut C) -> Result<T>,
) -> Result<T> {
    let open = level::depth(conn)?;
    match panic::catch_unwind(AssertUnwindSafe(|| operation(&mut *conn))) {
        Ok(outcome) => outcome,
        Err(payload) => {
            // Best effort: the panic is what the caller sees.
            let _ = run_now(level::roll_back_to(conn, open));
            panic::resume_unwind(payload)
        }
    }
}

/// `op` awaited on the backend connection `conn` holds.
async fn on_pooled<Op: OnAsync>(conn: &mut PooledConnection, op: Op) -> Result<Op::Output> {
    async_dispatch!(conn, c => op.run(c).await)
}

/// Implements [`Executor`] for an async executor type: `$this` is the executor, `$conn`
/// an expression giving the `&mut PooledConnection` to run on.
macro_rules! async_executor {
    ($ty:ty, $lt:lifetime, $this:ident => $conn:expr) => {
        impl<'a, $lt: 'a, Op: OnAsync<Output: 'a> + 'a> Executor<'a, Op> for $ty {
            type Output<T: Send + 'a> = BoxFuture<'a, Result<T>>;

            fn run(self, op: Op) -> BoxFuture<'a, Result<Op::Output>> {
                let $this = self;
                Box::pin(async move { on_pooled($conn, op).await })
            }

            fn ready<T: Send + 'a>(value: Result<T>) -> BoxFuture<'a, Result<T>> {
                Box::pin(std::future::ready(value))
            }

            fn map<T: Send + 'a, U: Send + 'a>(
                output: BoxFuture<'a, Result<T>>,
                f: impl FnOnce(T) -> U + Send + 'a,
            ) -> BoxFuture<'a, Result<U>> {
                Box::pin(async move { output.await.map(f) })
            }
        }
    };
}

async_executor!(&'d Database, 'd, db => &mut db.get().await?);
async_executor!(&'c mut PooledConnection, 'c, conn => conn);
