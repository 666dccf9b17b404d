//! [`PooledConnection`]: one connection checked out of a [`Database`](crate::Database)'s
//! pool, and [`Pooled`], the guard that decides what happens to it when it is dropped.
//!
//! A connection must never go back to the pool inside a transaction: later statements on
//! it would run in that transaction and never commit (diesel_async #96, #198). diesel-async
//! 0.9's pool refuses such a connection only when it is checked out again (its `recycle`
//! calls `is_broken_transaction_manager`, true for an open non-test transaction or for a
//! `BEGIN`/`COMMIT`/`ROLLBACK` cut off half-way), so until then it sits idle in the pool,
//! still holding its locks. [`Pooled`] acts when it is dropped instead:
//!
//! - no transaction open (beyond a test mode's outer one): back to the pool (on SQLite, kept
//!   at hand for the next checkout where it can be, see `super::at_hand`);
//! - SQLite, state known: rolled back on the spot (SQLite's statements run on the calling
//!   thread, so a dropped future never leaves one half-done), then back to the pool;
//! - test mode, state known: back to the pool; the next checkout rolls back to the outer
//!   transaction (the only connection cannot be replaced);
//! - otherwise taken out of the pool and closed: the server rolls the transaction back and
//!   releases its locks at once.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::{catch_unwind, AssertUnwindSafe};

use deadpool::managed::Object;
use diesel_async::TransactionManager;
use orm_schema::Backend;

use super::at_hand::Hand;
use super::backend::{depth, PoolBackend};
use super::pool::Held;
use crate::error::{Error, Result};

crate::dispatch::backend_type! {
    /// The pooled SQLite connection (or [`Disabled`](crate::dispatch::Disabled) without the
    /// `sqlite` feature).
    "sqlite" PooledSqlite = Pooled<super::AsyncSqlite>;
    /// The pooled PostgreSQL connection (or [`Disabled`](crate::dispatch::Disabled) without the
    /// `postgres` feature).
    "postgres" PooledPg = Pooled<diesel_async::AsyncPgConnection>;
    /// The pooled MySQL/MariaDB connection (or [`Disabled`](crate::dispatch::Disabled) without
    /// the `mysql` feature).
    "mysql" PooledMysql = Pooled<diesel_async::AsyncMysqlConnection>;
    /// The pooled connection of a `mariadb://` URL (or [`Disabled`](crate::dispatch::Disabled)
    /// without the `mysql` feature).
    "mysql" PooledMariadb = Pooled<diesel_async::AsyncMariadbConnection>;
}

/// A connection checked out of deadpool, boxed: a [`PooledConnection`](crate::PooledConnection)
/// (and every future holding one) then takes a few words where it would take the size of
/// the largest backend's connection (PostgreSQL's), moved at each checkout and return. On
/// SQLite the box moves on with the connection kept at hand, so only a checkout through
/// deadpool allocates one.
pub(super) type Checked<C> = Box<Object<<C as PoolBackend>::Manager>>;

/// A connection checked out of a pool; derefs to the backend's diesel-async connection.
/// Dropping it returns it to the pool, or closes it if a transaction was left open (see
/// the module documentation).
pub struct Pooled<C: PoolBackend> {
    /// `None` only while being dropped.
    object: Option<Checked<C>>,
    /// Transactions open when idle: 1 in test mode (the outer transaction), else 0.
    base_depth: u32,
    /// Counts this connection as checked out until it is back in the pool (a field is
    /// dropped after [`Drop::drop`] has returned or closed the connection).
    _held: Held,
    /// Where the connection goes when dropped in a good state, if not straight back to
    /// deadpool (SQLite's pools keep one at hand).
    at_hand: Option<Hand<C>>,
}

impl<C: PoolBackend> Pooled<C> {
    pub(super) fn new(
        object: Checked<C>,
        base_depth: u32,
        held: Held,
        at_hand: Option<Hand<C>>,
    ) -> Self {
        Pooled {
            object: Some(object),
            base_depth,
            _held: held,
            at_hand,
        }
    }

    /// Test mode: rolls back savepoints a dropped future left open, down to the outer
    /// transaction.
    pub(super) async fn restore_base_depth(&mut self) -> Result<()> {
        let backend = C::BACKEND;
        loop {
            let open = depth(&mut **self).map_err(|e| Error::from_diesel(e, backend))?;
            if open == self.base_depth {
                return Ok(());
            }
            if open < self.base_depth {
                return Err(Error::Connection {
                    backend,
                    message: "the force_rollback connection lost its outer transaction".into(),
                    cause: crate::error::ConnectionCause::Other,
                });
            }
            C::TransactionManager::rollback_transaction(&mut **self)
                .await
                .map_err(|e| Error::from_diesel(e, backend))?;
        }
    }
}

impl<C: PoolBackend> Deref for Pooled<C> {
    type Target = C;

    fn deref(&self) -> &C {
        self.object
            .as_ref()
            .expect("a pooled connection is present until dropped")
    }
}

impl<C: PoolBackend> DerefMut for Pooled<C> {
    fn deref_mut(&mut self) -> &mut C {
        self.object
            .as_mut()
            .expect("a pooled connection is present until dropped")
    }
}

/// What a dropped connection's transaction state allows.
enum Settled {
    /// Return it to the pool.
    Keep,
    /// Take it out of the pool and close it.
    Discard,
}

/// Decides, and repairs where it can, what to do with a dropped connection.
fn settle<C: PoolBackend>(conn: &mut C, base_depth: u32) -> Settled {
    if std::thread::panicking() {
        return Settled::Discard;
    }
    // Reading SQLite's state panics if a statement still holds the connection (it cannot,
    // see `database::sqlite`); discard rather than trust it if it ever does.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let half_done = C::TransactionManager::is_broken_transaction_manager(conn);
        let Ok(open) = depth(conn) else {
            return Settled::Discard;
        };
        if open == base_depth && !half_done {
            return Settled::Keep;
        }
        if open < base_depth {
            return Settled::Discard;
        }
        if conn.roll_back_now(base_depth) {
            return Settled::Keep;
        }
        // In test mode `is_broken_transaction_manager` ignores the open test transaction:
        // true means a transaction statement was cut off, and the state is unknown.
        if base_depth > 0 && !half_done {
            return Settled::Keep;
        }
        Settled::Discard
    }));
    outcome.unwrap_or(Settled::Discard)
}

impl<C: PoolBackend> Drop for Pooled<C> {
    fn drop(&mut self) {
        let Some(mut object) = self.object.take() else {
            return;
        };
        match (settle(&mut **object, self.base_depth), self.at_hand.take()) {
            (Settled::Discard, _) => drop(Object::take(*object)),
            (Settled::Keep, Some(hand)) => hand.put(object),
            (Settled::Keep, None) => drop(object),
        }
    }
}

impl<C: PoolBackend> fmt::Debug for Pooled<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pooled").field(&C::BACKEND).finish()
    }
}

/// A connection checked out of a [`Database`](crate::Database)'s pool, to whichever backend
/// its URL names. Dropping it returns it to the pool.
///
/// Run diesel-async queries on it with [`async_dispatch!`](crate::async_dispatch!). A
/// variant whose cargo feature is off holds [`Disabled`](crate::dispatch::Disabled).
pub enum PooledConnection {
    /// A SQLite connection.
    Sqlite(PooledSqlite),
    /// A PostgreSQL connection.
    Postgres(PooledPg),
    /// A MySQL or MariaDB connection through diesel's MySQL backend (`mysql://`).
    Mysql(PooledMysql),
    /// A MariaDB connection through diesel's MariaDB backend (`mariadb://`).
    Mariadb(PooledMariadb),
}

impl PooledConnection {
    /// The backend this connection talks to.
    pub fn backend(&self) -> Backend {
        match self {
            PooledConnection::Sqlite(_) => Backend::Sqlite,
            PooledConnection::Postgres(_) => Backend::Postgres,
            PooledConnection::Mysql(_) | PooledConnection::Mariadb(_) => Backend::Mysql,
        }
    }

    /// Turns the result of a diesel-async statement that just ran on this connection into
    /// orm's [`Result`], classifying its error: on MySQL/MariaDB the server is first asked
    /// for the error's number, which diesel-async drops (see [`crate::error::map`]); on the
    /// other backends this is [`Error::from_diesel`]. Await it before running anything
    /// else on the connection.
    pub async fn classify<T>(&mut self, result: diesel::QueryResult<T>) -> Result<T> {
        let err = match result {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        Err(match self {
            #[cfg(feature = "mysql")]
            PooledConnection::Mysql(c) => {
                crate::error::ClassifyAsync::classify_error(&mut **c, err).await
            }
            #[cfg(feature = "mysql")]
            PooledConnection::Mariadb(c) => {
                crate::error::ClassifyAsync::classify_error(&mut **c, err).await
            }
            _ => Error::from_diesel(err, self.backend()),
        })
    }

    /// Runs one or more SQL statements separated by `;`, returning no rows. Only for SQL
    /// without user input (DDL, session settings): values must travel as bound parameters.
    pub async fn batch_execute(&mut self, sql: &str) -> Result<()> {
        let result = crate::async_dispatch!(&mut *self, c => {
            diesel_async::SimpleAsyncConnection::batch_execute(c, sql).await
        });
        self.classify(result).await
    }

    /// Runs one SQL statement and returns the number of rows it affected. Only for SQL
    /// without user input: values must travel as bound parameters.
    pub async fn execute(&mut self, sql: &str) -> Result<usize> {
        let result = crate::async_dispatch!(&mut *self, c => {
            diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), c).await
        });
        self.classify(result).await
    }
}

impl fmt::Debug for PooledConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PooledConnection")
            .field(&self.backend())
            .finish()
    }
}
