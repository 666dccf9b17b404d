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
//! - The commit checks that the server still has the transaction: when it aborted it (on
//!   PostgreSQL any failed statement, on MySQL a deadlock) and the closure nevertheless
//!   returns `Ok`, nothing is committed and [`Error::NotCommitted`] says so, instead of
//!   PostgreSQL's silent rollback on `COMMIT`. Run a statement that may fail (an insert that
//!   may violate a constraint) in a nested `transaction`, whose savepoint keeps the outer one
//!   alive. How each level is opened and ended, on every connection orm runs, is in
//!   [`level`].

pub mod level;

use std::panic::{self, AssertUnwindSafe};

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::statement_conn::run_now;

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
    /// The closure's error (after the rollback), or the error of `BEGIN` converted into
    /// `E`; [`Error::NotCommitted`] when the commit failed or the server had aborted the
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
        crate::dispatch!(&mut *self, c => run_now(level::begin(c)))
    }

    /// Commits the innermost level, unless the server aborted the transaction: then rolls
    /// it back and says so ([`Error::NotCommitted`]).
    fn commit_level(&mut self) -> Result<()> {
        crate::dispatch!(&mut *self, c => run_now(level::commit(c)))
    }

    /// Rolls the innermost level back. A failure is only logged, as the caller returns the
    /// error (or panic) that caused the rollback; a failed outermost rollback leaves the
    /// connection's transaction state broken, so its next transaction reports it.
    fn rollback_quietly(&mut self) {
        let backend = self.backend();
        let Err(err) = crate::dispatch!(&mut *self, c => run_now(level::rollback(c))) else {
            return;
        };
        tracing::warn!(
            target: crate::instrument::TARGET,
            backend = backend.name(),
            error = %err,
            "rollback failed"
        );
    }
}
