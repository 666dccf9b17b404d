//! Operations and the one trait that runs them: an [`Operation`] is a piece of work (a
//! QuerySet's read, persistence's create, bulk_create, get_or_create, ..., the schema's
//! management) written once as an async function over any backend connection
//! ([`OperationOn`]); an [`Executor`] is what it runs on, chosen by the type of the value
//! passed, and [`Run`] runs it there:
//!
//! | executor                | what running an operation returns                     |
//! |-------------------------|-------------------------------------------------------|
//! | `&mut Connection`       | `Result<T>`, now (blocking)                           |
//! | `&Database`             | a `Send` future of `Result<T>` (checks a pooled connection out for the operation) |
//! | `&mut PooledConnection` | a `Send` future of `Result<T>` (on that connection, for example inside a transaction) |
//!
//! (and one backend's own connections, see [`Run`]). The executors differ only here: the
//! blocking one finishes the operation's future in one poll ([`run_now`]: every statement
//! of a blocking connection completes inside its call), the async ones await it, and
//! `&Database` runs a read once more after a lost connection ([`Retry`]).
//! Everything an operation does (validation, transactions, retries of a conflict) is in
//! the operation, once.
//!
//! Two traits, not one: [`Executor`] holds what an executor returns (`Output`, `ready`,
//! `map`), once per executor; [`Run`] runs one operation. A caller that runs several kinds
//! of operation on one executor (a QuerySet's `count` on a sliced set, a read then a
//! write) names one `Output` type through [`Executor`], which one trait per operation
//! could not give without ambiguity.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;

use crate::error::{Error, Result};
use crate::statement_conn::{run_now, StatementConn};
use crate::transaction::level;
use crate::{async_dispatch, dispatch, Connection, Database, PooledConnection};

/// A piece of work on the database: what it gives back. How it runs on each kind of
/// connection is [`OperationOn`].
pub trait Operation {
    /// What the operation gives back.
    type Output: Send;

    /// Whether the operation only reads: it opens no transaction level, so a blocking
    /// connection runs it without the guard that rolls levels back after a panic.
    const READ: bool = false;
}

/// Whether an [`Operation`] may run once more on another connection when the first was
/// lost before it answered (on `&Database`, whose pool may hand out, within its
/// alive-bypass window, a connection the server has just closed). Every operation says:
/// a read outside a transaction changed nothing and gives a copy of itself; a write, the
/// default, gives `None` and is never run twice. A trait of its own, not a method of
/// [`Operation`], so that a read's copy asks its query to be `Clone` only where it runs on
/// `&Database`.
pub trait Retry: Operation + Sized {
    /// A copy of the operation to run again, or `None` (the default).
    fn retry(&self) -> Option<Self> {
        None
    }
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

/// The boxed, `Send` future an async executor returns: an executor's output type has
/// to be nameable, and the futures of `async fn`s are not.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What operations run on: `&mut Connection` (blocking), `&Database` or
/// `&mut PooledConnection` (async), or one backend's own connection (`&mut BlockingPg`,
/// `&mut PooledPg`, ...: see [`Run`]). See the [module documentation](self). This trait
/// holds what an executor returns; [`Run`] runs an operation on it. Users pass an
/// executor to the methods that read and write (`qs.all(&mut conn)`, `create(&db, form)`)
/// and never call these directly.
pub trait Executor<'a>: Sized {
    /// What an operation returns: `Result<T>` on a blocking connection, a `Send` future of
    /// `Result<T>` on an async one.
    type Output<T: Send + 'a>;

    /// `value`, as this executor returns it (an operation refused before it reached the
    /// database, or one with nothing to do).
    fn ready<T: Send + 'a>(value: Result<T>) -> Self::Output<T>;

    /// `output` with `f` applied to its value once it is there (`f` may refuse it).
    fn map<T: Send + 'a, U: Send + 'a>(
        output: Self::Output<T>,
        f: impl FnOnce(T) -> Result<U> + Send + 'a,
    ) -> Self::Output<U>;
}

/// Runs the operation `Op` on this [`Executor`]: the one trait every read and write goes
/// through.
///
/// | executor | runs |
/// |---|---|
/// | `&mut Connection` | an operation that runs on every enabled backend, blocking ([`OnBlocking`]) |
/// | `&Database`, `&mut PooledConnection` | an operation that runs on every enabled backend, async ([`OnAsync`]) |
/// | `&mut BlockingSqlite`, `&mut BlockingPg`, ... | an operation that runs on that backend's blocking connection |
/// | `&mut PooledSqlite`, `&mut PooledPg`, ... | an operation that runs on that backend's async connection |
///
/// A backend's own connection (taken out of a `Connection` or `PooledConnection` with a
/// `match`) asks the operation to compile on its backend only, so a query may use that
/// backend's own diesel expressions (PostgreSQL's `ilike`, ...).
#[diagnostic::on_unimplemented(
    message = "`{Op}` cannot run on `{Self}`",
    label = "not an executor for this operation",
    note = "pass `&mut Connection` (blocking), `&Database` or `&mut PooledConnection` (async)",
    note = "if it is one of those, the operation's statements (its model, filter, ordering or changes) do not compile on every enabled backend"
)]
pub trait Run<'a, Op: Operation<Output: 'a>>: Executor<'a> {
    /// Runs `op`.
    fn run(self, op: Op) -> Self::Output<Op::Output>;
}

/// Implements [`Executor`] for the blocking executor `$ty`: its output is the result, now.
macro_rules! blocking_executor {
    ($($ty:ty),* $(,)?) => {$(
        impl<'a> Executor<'a> for $ty {
            type Output<T: Send + 'a> = Result<T>;

            fn ready<T: Send + 'a>(value: Result<T>) -> Result<T> {
                value
            }

            fn map<T: Send + 'a, U: Send + 'a>(
                output: Result<T>,
                f: impl FnOnce(T) -> Result<U> + Send + 'a,
            ) -> Result<U> {
                output.and_then(f)
            }
        }
    )*};
}

/// Implements [`Executor`] for the async executor `$ty` (borrowed for `$lt`): its output
/// is a boxed `Send` future.
macro_rules! async_executor {
    ($($ty:ty, $lt:lifetime);* $(;)?) => {$(
        impl<'a, $lt: 'a> Executor<'a> for $ty {
            type Output<T: Send + 'a> = BoxFuture<'a, Result<T>>;

            fn ready<T: Send + 'a>(value: Result<T>) -> BoxFuture<'a, Result<T>> {
                Box::pin(std::future::ready(value))
            }

            fn map<T: Send + 'a, U: Send + 'a>(
                output: BoxFuture<'a, Result<T>>,
                f: impl FnOnce(T) -> Result<U> + Send + 'a,
            ) -> BoxFuture<'a, Result<U>> {
                Box::pin(async move { f(output.await?) })
            }
        }
    )*};
}

blocking_executor!(&mut Connection);
async_executor!(&'d Database, 'd; &'c mut PooledConnection, 'c);

impl<'a, Op: OnBlocking<Output: 'a>> Run<'a, Op> for &mut Connection {
    fn run(self, op: Op) -> Result<Op::Output> {
        dispatch!(self, c => blocking(c, op))
    }
}

/// Runs `op` on the blocking backend connection `conn`, now. An operation that may open
/// transaction levels runs inside a guard: if it panics, the levels it opened are rolled
/// back before the panic continues, so `conn` is left as it was found. A read opens none.
fn blocking<C: StatementConn, Op: OperationOn<C>>(conn: &mut C, op: Op) -> Result<Op::Output> {
    if Op::READ {
        return run_now(op.run(conn));
    }
    let open = level::depth(conn)?;
    match panic::catch_unwind(AssertUnwindSafe(|| run_now(op.run(&mut *conn)))) {
        Ok(outcome) => outcome,
        Err(payload) => {
            // Best effort: the panic is what the caller sees.
            let _ = run_now(level::roll_back_to(conn, open));
            panic::resume_unwind(payload)
        }
    }
}

/// Each operation checks a connection out of the pool for its statements. A read
/// ([`Retry`]) whose connection was lost ([`Error::Connection`]) runs once more
/// on another: outside a transaction it changed nothing, and the pool may hand out, within
/// its alive-bypass window, a connection the server has just closed. A write is never run
/// twice.
impl<'a, 'd: 'a, Op: OnAsync<Output: 'a> + Retry + 'a> Run<'a, Op> for &'d Database {
    fn run(self, op: Op) -> BoxFuture<'a, Result<Op::Output>> {
        Box::pin(async move {
            let mut again = op.retry();
            let mut op = op;
            // One loop, so the future holds one copy of the operation's state, not two.
            loop {
                let mut conn = self.get().await?;
                let outcome = async_dispatch!(&mut conn, c => op.run(c).await);
                match (outcome, again.take()) {
                    (Err(Error::Connection { .. }), Some(next)) => op = next,
                    (outcome, _) => break outcome,
                }
            }
        })
    }
}

/// Each operation runs on this connection (inside its transaction, if any).
impl<'a, 'c: 'a, Op: OnAsync<Output: 'a> + 'a> Run<'a, Op> for &'c mut PooledConnection {
    fn run(self, op: Op) -> BoxFuture<'a, Result<Op::Output>> {
        Box::pin(async move { async_dispatch!(self, c => op.run(c).await) })
    }
}

/// Implements [`Executor`] and [`Run`] for one backend's own connections: the blocking
/// `$blocking` and the pooled `$pooled` (whose backend connection is `$async`), which ask
/// an operation to run on that backend only.
macro_rules! pinned {
    ($($feature:literal, $blocking:ty, $pooled:ty, $async:ty);* $(;)?) => {$(
        #[cfg(feature = $feature)]
        blocking_executor!(&mut $blocking);

        /// Blocking, on this backend only.
        #[cfg(feature = $feature)]
        impl<'a, Op: OperationOn<$blocking, Output: 'a>> Run<'a, Op> for &mut $blocking {
            fn run(self, op: Op) -> Result<Op::Output> {
                blocking(self, op)
            }
        }

        #[cfg(feature = $feature)]
        async_executor!(&'c mut $pooled, 'c);

        /// Async, on this backend only (inside the connection's transaction, if any).
        #[cfg(feature = $feature)]
        impl<'a, 'c: 'a, Op: OperationOn<$async, Output: 'a> + Send + 'a> Run<'a, Op>
            for &'c mut $pooled
        {
            fn run(self, op: Op) -> BoxFuture<'a, Result<Op::Output>> {
                Box::pin(async move { op.run(&mut **self).await })
            }
        }
    )*};
}

pinned! {
    "sqlite", crate::connection::BlockingSqlite, crate::database::PooledSqlite, crate::database::AsyncSqlite;
    "postgres", crate::connection::BlockingPg, crate::database::PooledPg, crate::database::AsyncPg;
    "mysql", crate::connection::BlockingMysql, crate::database::PooledMysql, crate::database::AsyncMysql;
    "mysql", crate::connection::BlockingMariadb, crate::database::PooledMariadb, crate::database::AsyncMariadb;
}
