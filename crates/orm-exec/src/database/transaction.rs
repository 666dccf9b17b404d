//! Async transactions: [`PooledConnection::transaction`] (and
//! [`Database::transaction`](crate::Database::transaction), which checks a connection out
//! for it).
//!
//! The closure is an async closure taking the connection: `async |conn| { ... }`. It
//! commits on `Ok` and rolls back on `Err`; called again inside, on the same `conn`, it
//! opens a savepoint (diesel-async's transaction manager numbers them). On SQLite the outer
//! transaction begins with `BEGIN IMMEDIATE`, so a transaction that reads and then writes
//! never fails on SQLite's lock upgrade.
//!
//! A transaction future dropped before it ends (a timeout, a `select!`, a cancelled
//! request) leaves its connection inside the transaction; dropping the connection then
//! rolls it back or closes it, and never returns it to the pool open (see
//! [`Pooled`](super::Pooled)). Nothing the dropped transaction wrote is ever committed.

use std::future::Future;

use super::pooled::PooledConnection;
use crate::error::Error;
use crate::transaction::level;

/// An async closure a transaction runs: implemented for every `async |conn| { ... }`
/// closure taking `&mut PooledConnection`.
///
/// It mirrors diesel-async's own helper trait: naming the closure's future lets
/// [`PooledConnection::transaction`] require it to be `Send`, so the transaction can run
/// on a multi-thread runtime.
pub trait TransactionFn<T, R>:
    AsyncFnOnce(T) -> R + FnOnce(T) -> <Self as TransactionFn<T, R>>::Fut
{
    /// The future the closure returns.
    type Fut: Future<Output = R>;
}

impl<F, T, Fut, R> TransactionFn<T, R> for F
where
    F: AsyncFnOnce(T) -> R + FnOnce(T) -> Fut,
    Fut: Future<Output = R>,
{
    type Fut = Fut;
}

/// The closure a transaction on a pooled connection runs: an `async |conn| { ... }`
/// closure taking `&mut PooledConnection` and giving `Result<R, E>`, which moves to
/// another thread with its future (both `Send`). Implemented for every such closure;
/// [`PooledConnection::transaction`] and
/// [`Database::transaction`](crate::Database::transaction) take one.
pub trait TransactionBody<R, E>:
    for<'r> AsyncFnOnce(&'r mut PooledConnection) -> Result<R, E>
    + for<'r> TransactionFn<&'r mut PooledConnection, Result<R, E>, Fut: Send>
    + Send
{
}

impl<F, R, E> TransactionBody<R, E> for F where
    F: for<'r> AsyncFnOnce(&'r mut PooledConnection) -> Result<R, E>
        + for<'r> TransactionFn<&'r mut PooledConnection, Result<R, E>, Fut: Send>
        + Send
{
}

impl PooledConnection {
    /// Runs `f` in a transaction on this connection: commits if it returns `Ok`, rolls back
    /// if it returns `Err`. Called inside another transaction on the same connection, it
    /// runs in a savepoint, so its rollback keeps the outer transaction's writes.
    ///
    /// Nest through the `conn` the closure receives; asking the database for a second
    /// connection inside a transaction can exhaust the pool.
    ///
    /// # Errors
    ///
    /// The closure's error (after the rollback), or the [`Error`] of `BEGIN` (converted
    /// into `E`); [`Error::NotCommitted`] when the commit failed or the server had aborted
    /// the transaction: the commit checks that the server still has it, as the blocking
    /// [`Connection::transaction`](crate::Connection::transaction) does (see
    /// [`level`](crate::transaction::level)). If the rollback itself fails the closure's
    /// error is still returned: the connection is then closed, not reused, when dropped,
    /// which rolls the transaction back on the server.
    pub async fn transaction<R, E, F>(&mut self, f: F) -> Result<R, E>
    where
        F: TransactionBody<R, E>,
        E: From<Error> + Send,
        R: Send,
    {
        crate::async_dispatch!(&mut *self, c => level::begin(c).await)?;
        let outcome = f(&mut *self).await;
        crate::async_dispatch!(&mut *self, c => level::finish(c, outcome).await)
    }
}
