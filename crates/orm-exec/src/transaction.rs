//! Transactions on the blocking [`Connection`]: [`Connection::transaction`].
//!
//! - The closure's `Ok` commits, its `Err` rolls back, and a panic in it rolls back before
//!   the panic continues, so the connection is usable afterwards.
//! - A `transaction` inside another runs under a savepoint: its rollback undoes only its
//!   own work, and the outer transaction goes on.
//! - On SQLite the outermost level begins with `BEGIN IMMEDIATE`, which takes the write
//!   lock at once, waiting up to the busy timeout (5 s) for other writers. A plain
//!   (deferred) `BEGIN` would read first and fail with "database is locked" at its first
//!   write when another connection wrote meanwhile, whatever the timeout. The cost: two
//!   transactions on one file never overlap, even if both only read; readers outside a
//!   transaction are not blocked (WAL).
//! - When the server aborted the transaction (on PostgreSQL any failed statement, on MySQL
//!   a deadlock) and the closure nevertheless returns `Ok`, nothing is committed: the
//!   transaction is rolled back and an error says so, instead of PostgreSQL's silent
//!   rollback on `COMMIT`. Run a statement that may fail (an insert that may violate a
//!   constraint) in a nested `transaction`, whose savepoint keeps the outer one alive.

pub(crate) mod abort;

use std::panic::{self, AssertUnwindSafe};

use diesel::connection::TransactionManager;
use diesel::result::QueryResult;

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::instrument::OrmInstrumentation;

impl Connection {
    /// Runs `f` in a transaction: commits when it returns `Ok`, rolls back when it returns
    /// `Err` or panics (the panic then continues). Called inside another transaction, it
    /// runs under a savepoint. See the [module docs](crate::transaction) for SQLite's
    /// `BEGIN IMMEDIATE` and for aborted transactions.
    ///
    /// The closure's error type `E` is any type orm's [`Error`] converts into (orm's own
    /// `Error`, `Box<dyn std::error::Error>`, `anyhow::Error`, an application's error enum
    /// with a `From<orm::Error>`), so the closure can fail for reasons of its own. With
    /// orm's `Error`, name it in the closure (`|conn| -> orm::Result<_> { ... }`), as the
    /// compiler cannot guess it.
    ///
    /// ```
    /// # #[cfg(not(feature = "sqlite"))] fn main() {}
    /// # #[cfg(feature = "sqlite")]
    /// # fn main() -> orm_exec::Result<()> {
    /// let mut conn = orm_exec::Connection::establish("sqlite::memory:")?;
    /// conn.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")?;
    /// let inserted = conn.transaction(|conn| -> orm_exec::Result<usize> {
    ///     conn.execute("INSERT INTO t (id) VALUES (1)")
    /// })?;
    /// assert_eq!(inserted, 1);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The closure's error (after the rollback), or the error of `BEGIN` or `COMMIT`
    /// converted into `E`; an [`Error::Database`] when the server had aborted the
    /// transaction (see the module docs).
    pub fn transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E>,
        E: From<Error>,
    {
        self.begin_level()?;
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| f(&mut *self)));
        match outcome {
            Ok(Ok(value)) => {
                self.commit_level()?;
                Ok(value)
            }
            Ok(Err(err)) => {
                self.rollback_quietly();
                Err(err)
            }
            Err(payload) => {
                self.rollback_quietly();
                panic::resume_unwind(payload)
            }
        }
    }

    /// Opens a transaction level: a transaction, or a savepoint inside one.
    fn begin_level(&mut self) -> Result<()> {
        let backend = self.backend();
        crate::dispatch!(&mut *self, c => Begin::begin(c))
            .map_err(|e| Error::from_diesel(e, backend))
    }

    /// Commits the innermost level, unless the server aborted the transaction: then rolls
    /// it back and says so.
    fn commit_level(&mut self) -> Result<()> {
        let backend = self.backend();
        let aborted = crate::dispatch!(&mut *self, c => OrmInstrumentation::aborted(
            diesel::Connection::instrumentation(c),
        ));
        if let Some(abort) = aborted {
            self.rollback_quietly();
            return Err(Error::Database {
                backend: Some(backend),
                message: format!(
                    "the transaction was rolled back, not committed: a statement in it failed \
                     and {backend} aborted the transaction; run statements that may fail in a \
                     nested transaction"
                ),
                retryable: abort.retryable,
                code: None,
                source: None,
            });
        }
        crate::dispatch!(&mut *self, c => commit(c)).map_err(|e| Error::from_diesel(e, backend))
    }

    /// Rolls the innermost level back. A failure leaves diesel's transaction state broken,
    /// so the connection's next use reports it; here it is only logged, as the caller
    /// returns the error (or panic) that caused the rollback.
    fn rollback_quietly(&mut self) {
        let backend = self.backend();
        let Err(err) = crate::dispatch!(&mut *self, c => rollback(c)) else {
            return;
        };
        tracing::warn!(
            target: crate::instrument::TARGET,
            backend = backend.name(),
            error = %Error::from_diesel(err, backend),
            "rollback failed"
        );
    }
}

/// Commits the innermost transaction level of a diesel connection.
fn commit<C: diesel::Connection>(conn: &mut C) -> QueryResult<()> {
    C::TransactionManager::commit_transaction(conn)
}

/// Rolls back the innermost transaction level of a diesel connection.
fn rollback<C: diesel::Connection>(conn: &mut C) -> QueryResult<()> {
    C::TransactionManager::rollback_transaction(conn)
}

/// How each backend's connection opens a transaction level.
trait Begin {
    /// Begins a transaction, or a savepoint inside one.
    fn begin(&mut self) -> QueryResult<()>;
}

/// SQLite: `BEGIN IMMEDIATE` for the outermost level, savepoints inside.
#[cfg(feature = "sqlite")]
impl Begin for diesel::SqliteConnection {
    fn begin(&mut self) -> QueryResult<()> {
        use diesel::connection::AnsiTransactionManager;

        match AnsiTransactionManager::begin_transaction_sql(self, "BEGIN IMMEDIATE") {
            Err(diesel::result::Error::AlreadyInTransaction) => {
                AnsiTransactionManager::begin_transaction(self)
            }
            other => other,
        }
    }
}

/// PostgreSQL and MySQL: diesel-async's transaction manager (`BEGIN`, savepoints inside).
#[cfg(any(feature = "postgres", feature = "mysql"))]
impl<C, B> Begin for diesel_async::async_connection_wrapper::AsyncConnectionWrapper<C, B>
where
    Self: diesel::Connection,
{
    fn begin(&mut self) -> QueryResult<()> {
        <Self as diesel::Connection>::TransactionManager::begin_transaction(self)
    }
}
