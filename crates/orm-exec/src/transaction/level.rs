//! Transaction levels, written once for every connection orm runs: the blocking
//! [`Connection`](crate::Connection), the pooled async connection and persistence's own
//! transactions all open, commit and roll back a level through [`begin`], [`commit`] and
//! [`rollback`] (or [`finish`]).
//!
//! The logic is async; a blocking connection runs the same functions through
//! [`run_now`](crate::statement_conn::run_now), since
//! its statements never wait on anything but the call itself.
//!
//! ## A transaction is committed only if the server still has it
//!
//! After an error inside a transaction PostgreSQL refuses every statement until a rollback,
//! and its `COMMIT` then rolls back *without an error*. MySQL and MariaDB roll the whole
//! transaction back at a deadlock and, in autocommit mode, run what follows as separate
//! committed statements. A closure that swallowed such an error and returned `Ok` would
//! then lose its writes silently, or keep half of them. So the outermost level is committed
//! together with a check that its transaction is still alive, in the same round trip:
//!
//! | backend | begin | commit |
//! |---|---|---|
//! | SQLite | `BEGIN IMMEDIATE` | `COMMIT` |
//! | PostgreSQL | `BEGIN` | `SELECT 1; COMMIT` (the `SELECT` fails in an aborted transaction, and `COMMIT` is not run) |
//! | MySQL/MariaDB | `SET autocommit = 0; BEGIN; SAVEPOINT orm_transaction` | `RELEASE SAVEPOINT orm_transaction; COMMIT; SET autocommit = 1` |
//!
//! On MySQL the savepoint disappears with the transaction it was made in, so releasing it
//! fails once the server has rolled that transaction back; and with autocommit off, the
//! statements run after the server's rollback are held in a new transaction, which orm
//! then rolls back instead of letting them commit one by one. The check is made by the
//! server, so it holds whatever the closure ran (orm's statements, diesel's, raw SQL) and
//! whatever instrumentation is installed on the connection.
//!
//! When the check or the `COMMIT` fails, the level is rolled back and
//! [`Error::NotCommitted`] says so. Inner levels are savepoints (`SAVEPOINT
//! diesel_savepoint_N`, the names diesel's own transaction manager uses, so both can be
//! mixed); releasing one fails in an aborted PostgreSQL transaction, so a nested level whose
//! closure swallowed an error is rolled back to its savepoint and reported the same way,
//! and the outer transaction goes on.
//!
//! SQLite keeps a transaction open after a failed statement; when it does end one by itself
//! (a full disk, an I/O error) its `COMMIT` fails and the level is reported rolled back,
//! but statements the closure ran after that point have already run outside any
//! transaction: SQLite has no mode that holds them back.

use std::borrow::Cow;
use std::future::Future;
use std::num::NonZeroU32;

use diesel::connection::{
    Instrumentation, InstrumentationEvent, TransactionDepthChange, TransactionManagerStatus,
};
use diesel::QueryResult;
use orm_schema::Backend;

use crate::error::{Error, Result};

/// The savepoint that marks a MySQL transaction opened by orm (see the module docs).
const MYSQL_MARKER: &str = "orm_transaction";

/// A diesel connection whose transaction levels orm drives: the three blocking and the
/// three async connection types orm opens. Implemented by orm for those; not meant to be
/// implemented elsewhere.
#[doc(hidden)]
pub trait TxConn: Send {
    /// The backend.
    const BACKEND: Backend;

    /// Runs SQL statements without user input, separated by `;`.
    fn run_batch(&mut self, sql: &str) -> impl Future<Output = QueryResult<()>> + Send;

    /// diesel's record of the open transaction levels.
    fn status(&mut self) -> &mut TransactionManagerStatus;

    /// The connection's instrumentation, told about each level that begins or ends.
    fn hook(&mut self) -> &mut dyn Instrumentation;
}

/// How many transaction levels are open on `conn` (0 outside a transaction).
pub fn depth<C: TxConn>(conn: &mut C) -> Result<u32> {
    let depth = conn
        .status()
        .transaction_depth()
        .map_err(|e| Error::from_diesel(e, C::BACKEND))?;
    Ok(depth.map_or(0, NonZeroU32::get))
}

/// Opens a level: a transaction at depth 0, a savepoint inside one.
///
/// # Errors
///
/// The error of the statement, converted; nothing is open then.
pub async fn begin<C: TxConn>(conn: &mut C) -> Result<()> {
    let open = depth(conn)?;
    let sql = begin_sql(C::BACKEND, open);
    conn.hook()
        .on_connection_event(InstrumentationEvent::begin_transaction(level(open + 1)));
    // The level counts as open before its statement is sent. A future dropped while the
    // statement is in flight (a timeout, a cancelled request) then leaves a connection that
    // reads as inside a transaction, which the pool closes instead of reusing: the server
    // may have begun the transaction, and a connection handed out inside it would hold
    // every later write uncommitted.
    change_depth(conn, TransactionDepthChange::IncreaseDepth)?;
    if let Err(e) = conn.run_batch(&sql).await {
        if open == 0 {
            // Part of the statements may have run (on MySQL, `SET autocommit = 0`): undo
            // them, so that later statements outside a transaction still commit.
            let _ = conn.run_batch(&rollback_sql(C::BACKEND, 1)).await;
        }
        change_depth(conn, TransactionDepthChange::DecreaseDepth)?;
        return Err(Error::from_diesel(e, C::BACKEND));
    }
    Ok(())
}

/// Commits the innermost level (releases its savepoint when nested), checking first that
/// the server has not aborted it (see the module docs).
///
/// # Errors
///
/// [`Error::NotCommitted`] when the check or the commit failed: the level has then been
/// rolled back, and nothing of it was kept.
pub async fn commit<C: TxConn>(conn: &mut C) -> Result<()> {
    let open = innermost(conn)?;
    conn.hook()
        .on_connection_event(InstrumentationEvent::commit_transaction(level(open)));
    match conn.run_batch(&commit_sql(C::BACKEND, open)).await {
        Ok(()) => change_depth(conn, TransactionDepthChange::DecreaseDepth),
        Err(cause) => {
            let cause = Error::from_diesel(cause, C::BACKEND);
            // The level is still open (the check failed) or the server ended it (the
            // commit failed): a rollback ends it either way, and fails harmlessly in the
            // second case ("no transaction is active").
            let _ = conn.run_batch(&rollback_sql(C::BACKEND, open)).await;
            change_depth(conn, TransactionDepthChange::DecreaseDepth)?;
            Err(Error::NotCommitted {
                backend: C::BACKEND,
                cause: Box::new(cause),
            })
        }
    }
}

/// Rolls the innermost level back (to its savepoint when nested).
///
/// The level counts as closed whatever the outcome: a rollback that fails leaves the
/// server's transaction unknown, which the caller reports, and a pooled connection in that
/// state is closed rather than reused.
///
/// # Errors
///
/// The error of the rollback statement, converted.
pub async fn rollback<C: TxConn>(conn: &mut C) -> Result<()> {
    let open = innermost(conn)?;
    conn.hook()
        .on_connection_event(InstrumentationEvent::rollback_transaction(level(open)));
    let outcome = conn.run_batch(&rollback_sql(C::BACKEND, open)).await;
    change_depth(conn, TransactionDepthChange::DecreaseDepth)?;
    if let Err(e) = outcome {
        if open == 1 {
            // The outermost transaction may still be open on the server: nothing more may
            // run on this connection as if it were not.
            conn.status().set_in_error();
        }
        return Err(Error::from_diesel(e, C::BACKEND));
    }
    Ok(())
}

/// Rolls levels back, innermost first, until `open` are left (a connection handed back
/// as it was found, whatever ran on it).
///
/// # Errors
///
/// The first error of [`depth`] or [`rollback`]; the levels rolled back by then stay
/// rolled back.
pub async fn roll_back_to<C: TxConn>(conn: &mut C, open: u32) -> Result<()> {
    while depth(conn)? > open {
        rollback(conn).await?;
    }
    Ok(())
}

/// Ends the innermost level as `outcome` says: commits it on `Ok` (returning the commit's
/// error if it fails), rolls it back on `Err` and returns that error.
///
/// # Errors
///
/// `outcome`'s error, or the commit's (converted into `E`).
pub async fn finish<C: TxConn, T, E: From<Error>>(
    conn: &mut C,
    outcome: std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    match outcome {
        Ok(value) => {
            commit(conn).await?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback_error) = rollback(conn).await {
                tracing::warn!(
                    target: crate::instrument::TARGET,
                    backend = C::BACKEND.name(),
                    error = %rollback_error,
                    "rollback failed"
                );
            }
            Err(err)
        }
    }
}

/// The statements that open a level when `open` levels are open.
fn begin_sql(backend: Backend, open: u32) -> Cow<'static, str> {
    match (open, backend) {
        (0, Backend::Sqlite) => Cow::Borrowed("BEGIN IMMEDIATE"),
        (0, Backend::Postgres) => Cow::Borrowed("BEGIN"),
        (0, Backend::Mysql) => Cow::Owned(format!(
            "SET autocommit = 0; BEGIN; SAVEPOINT {MYSQL_MARKER}"
        )),
        (open, _) => Cow::Owned(format!("SAVEPOINT diesel_savepoint_{open}")),
    }
}

/// The statements that check and commit the innermost of `open` levels.
fn commit_sql(backend: Backend, open: u32) -> Cow<'static, str> {
    match (open, backend) {
        (1, Backend::Sqlite) => Cow::Borrowed("COMMIT"),
        (1, Backend::Postgres) => Cow::Borrowed("SELECT 1; COMMIT"),
        (1, Backend::Mysql) => Cow::Owned(format!(
            "RELEASE SAVEPOINT {MYSQL_MARKER}; COMMIT; SET autocommit = 1"
        )),
        (open, _) => Cow::Owned(format!("RELEASE SAVEPOINT diesel_savepoint_{}", open - 1)),
    }
}

/// The statements that roll back the innermost of `open` levels.
fn rollback_sql(backend: Backend, open: u32) -> Cow<'static, str> {
    match (open, backend) {
        (1, Backend::Mysql) => Cow::Borrowed("ROLLBACK; SET autocommit = 1"),
        (1, _) => Cow::Borrowed("ROLLBACK"),
        (open, _) => Cow::Owned(format!(
            "ROLLBACK TO SAVEPOINT diesel_savepoint_{}",
            open - 1
        )),
    }
}

/// The number of the innermost open level; an error outside a transaction.
fn innermost<C: TxConn>(conn: &mut C) -> Result<u32> {
    match depth(conn)? {
        0 => Err(Error::from_diesel(
            diesel::result::Error::NotInTransaction,
            C::BACKEND,
        )),
        open => Ok(open),
    }
}

/// `depth` as the non-zero level number diesel's events carry.
fn level(depth: u32) -> NonZeroU32 {
    NonZeroU32::new(depth).unwrap_or(NonZeroU32::MIN)
}

/// Records a level opened or closed in diesel's transaction status.
fn change_depth<C: TxConn>(conn: &mut C, change: TransactionDepthChange) -> Result<()> {
    let status = match conn.status() {
        TransactionManagerStatus::Valid(status) => status,
        TransactionManagerStatus::InError => {
            return Err(Error::from_diesel(
                diesel::result::Error::BrokenTransactionManager,
                C::BACKEND,
            ))
        }
    };
    status
        .change_transaction_depth(change)
        .map_err(|e| Error::from_diesel(e, C::BACKEND))
}

/// Implements [`TxConn`] for each diesel connection, with the methods of its `$side`:
/// [`blocking`] or [`nonblocking`].
macro_rules! tx_conn {
    ($( $(#[$cfg:meta])* $ty:ty, $backend:expr, $side:ident; )*) => {$(
        $(#[$cfg])*
        impl TxConn for $ty {
            const BACKEND: Backend = $backend;

            fn run_batch(&mut self, sql: &str) -> impl Future<Output = QueryResult<()>> + Send {
                $side::run_batch(self, sql)
            }

            fn status(&mut self) -> &mut TransactionManagerStatus {
                $side::status(self)
            }

            fn hook(&mut self) -> &mut dyn Instrumentation {
                $side::hook(self)
            }
        }
    )*};
}

tx_conn! {
    #[cfg(feature = "sqlite")] diesel::SqliteConnection, Backend::Sqlite, blocking;
    #[cfg(feature = "postgres")] crate::connection::BlockingPg, Backend::Postgres, blocking;
    #[cfg(feature = "mysql")] crate::connection::BlockingMysql, Backend::Mysql, blocking;
    #[cfg(feature = "mysql")] crate::connection::BlockingMariadb, Backend::Mysql, blocking;
    #[cfg(feature = "sqlite")] crate::database::AsyncSqlite, Backend::Sqlite, nonblocking;
    #[cfg(feature = "postgres")] diesel_async::AsyncPgConnection, Backend::Postgres, nonblocking;
    #[cfg(feature = "mysql")] diesel_async::AsyncMysqlConnection, Backend::Mysql, nonblocking;
    #[cfg(feature = "mysql")] diesel_async::AsyncMariadbConnection, Backend::Mysql, nonblocking;
}

/// [`TxConn`]'s methods on a blocking diesel connection: each statement runs before its
/// (complete) future is returned.
mod blocking {
    use diesel::connection::{Instrumentation, TransactionManager, TransactionManagerStatus};
    use diesel::{Connection, QueryResult};

    pub(super) fn run_batch<C: Connection>(
        conn: &mut C,
        sql: &str,
    ) -> std::future::Ready<QueryResult<()>> {
        std::future::ready(conn.batch_execute(sql))
    }

    pub(super) fn status<C: Connection>(conn: &mut C) -> &mut TransactionManagerStatus {
        C::TransactionManager::transaction_manager_status_mut(conn)
    }

    pub(super) fn hook<C: Connection>(conn: &mut C) -> &mut dyn Instrumentation {
        conn.instrumentation()
    }
}

/// [`TxConn`]'s methods on an async diesel-async connection.
mod nonblocking {
    use std::future::Future;

    use diesel::connection::{Instrumentation, TransactionManagerStatus};
    use diesel::QueryResult;
    use diesel_async::{AsyncConnection, SimpleAsyncConnection, TransactionManager};

    pub(super) fn run_batch<'c, 's, C: SimpleAsyncConnection>(
        conn: &'c mut C,
        sql: &'s str,
    ) -> impl Future<Output = QueryResult<()>> + Send + use<'c, 's, C> {
        conn.batch_execute(sql)
    }

    pub(super) fn status<C: AsyncConnection>(conn: &mut C) -> &mut TransactionManagerStatus {
        C::TransactionManager::transaction_manager_status_mut(conn)
    }

    pub(super) fn hook<C: AsyncConnection>(conn: &mut C) -> &mut dyn Instrumentation {
        conn.instrumentation()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outermost_levels_carry_the_check() {
        assert_eq!(commit_sql(Backend::Postgres, 1), "SELECT 1; COMMIT");
        assert!(begin_sql(Backend::Mysql, 0).contains("SAVEPOINT orm_transaction"));
        assert!(commit_sql(Backend::Mysql, 1).starts_with("RELEASE SAVEPOINT orm_transaction"));
        assert!(rollback_sql(Backend::Mysql, 1).ends_with("SET autocommit = 1"));
        assert_eq!(begin_sql(Backend::Sqlite, 0), "BEGIN IMMEDIATE");
    }

    #[test]
    fn inner_levels_use_diesels_savepoint_names() {
        for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
            assert_eq!(begin_sql(backend, 2), "SAVEPOINT diesel_savepoint_2");
            assert_eq!(
                commit_sql(backend, 3),
                "RELEASE SAVEPOINT diesel_savepoint_2"
            );
            assert_eq!(
                rollback_sql(backend, 3),
                "ROLLBACK TO SAVEPOINT diesel_savepoint_2"
            );
        }
    }
}
