//! Transactions as persistence runs them, directly on a backend's diesel connection (the
//! same connection orm-exec's `Connection` and pooled connections hold, so they nest with
//! the caller's transactions): a transaction at the outermost level, a savepoint inside
//! one. On SQLite the outermost level is `BEGIN IMMEDIATE`, as in orm-exec, so a
//! transaction that reads then writes never fails on SQLite's lock upgrade.

use std::num::NonZeroU32;
use std::panic::{self, AssertUnwindSafe};

use diesel::connection::TransactionManager;
use diesel::QueryResult;
use orm_exec::{Backend, Result};

/// `$result`, a diesel result of a statement just run on `$conn`, as orm's `Result`: its
/// error classified on that connection (`orm_exec::error::Classify`; on MySQL/MariaDB the
/// server is asked for the error's number).
macro_rules! ok {
    ($conn:expr, $result:expr) => {{
        let result = $result;
        orm_exec::error::Classify::classify(&mut *$conn, result)
    }};
}
pub(crate) use ok;

/// A blocking diesel connection persistence runs on.
pub trait SyncConn: diesel::Connection + orm_exec::error::Classify {
    /// The backend.
    const BACKEND: Backend;
    /// The most bind parameters one statement may carry.
    const MAX_BINDS: usize;

    /// Opens a transaction level.
    fn begin_level(&mut self) -> QueryResult<()> {
        Self::TransactionManager::begin_transaction(self)
    }
}

#[cfg(feature = "sqlite")]
impl SyncConn for diesel::SqliteConnection {
    const BACKEND: Backend = Backend::Sqlite;
    const MAX_BINDS: usize = 32_766;

    fn begin_level(&mut self) -> QueryResult<()> {
        use diesel::connection::AnsiTransactionManager;
        if depth(self)? == 0 {
            AnsiTransactionManager::begin_transaction_sql(self, "BEGIN IMMEDIATE")
        } else {
            AnsiTransactionManager::begin_transaction(self)
        }
    }
}

#[cfg(feature = "postgres")]
impl SyncConn for orm_exec::connection::BlockingPg {
    const BACKEND: Backend = Backend::Postgres;
    const MAX_BINDS: usize = 65_535;
}

#[cfg(feature = "mysql")]
impl SyncConn for orm_exec::connection::BlockingMysql {
    const BACKEND: Backend = Backend::Mysql;
    const MAX_BINDS: usize = 65_535;
}

/// How many transaction levels are open on `conn`.
pub fn depth<C: diesel::Connection>(conn: &mut C) -> QueryResult<u32> {
    let status = C::TransactionManager::transaction_manager_status_mut(conn);
    Ok(status.transaction_depth()?.map_or(0, NonZeroU32::get))
}

/// Runs `f` in a transaction level on `conn`: commits on `Ok`, rolls back on `Err` and on
/// panic (the panic continues).
pub fn atomic<C: SyncConn, T>(conn: &mut C, f: impl FnOnce(&mut C) -> Result<T>) -> Result<T> {
    ok!(conn, conn.begin_level())?;
    match panic::catch_unwind(AssertUnwindSafe(|| f(&mut *conn))) {
        Ok(Ok(value)) => {
            ok!(conn, C::TransactionManager::commit_transaction(conn))?;
            Ok(value)
        }
        Ok(Err(err)) => {
            let _ = C::TransactionManager::rollback_transaction(conn);
            Err(err)
        }
        Err(payload) => {
            let _ = C::TransactionManager::rollback_transaction(conn);
            panic::resume_unwind(payload)
        }
    }
}

/// The async side, on diesel-async's PostgreSQL and MySQL connections.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub mod nonblocking {
    use diesel_async::{AsyncConnection, TransactionManager};

    use super::*;

    /// The async [`ok!`]: `$result` with its error classified on `$conn`
    /// (`orm_exec::error::ClassifyAsync`).
    macro_rules! ok_async {
        ($conn:expr, $result:expr) => {{
            let result = $result;
            orm_exec::error::ClassifyAsync::classify(&mut *$conn, result).await
        }};
    }
    pub(crate) use ok_async;

    /// A diesel-async connection persistence runs on.
    pub trait AsyncConn: AsyncConnection + Send + orm_exec::error::ClassifyAsync {
        /// The backend.
        const BACKEND: Backend;
        /// The most bind parameters one statement may carry.
        const MAX_BINDS: usize;
    }

    #[cfg(feature = "postgres")]
    impl AsyncConn for diesel_async::AsyncPgConnection {
        const BACKEND: Backend = Backend::Postgres;
        const MAX_BINDS: usize = 65_535;
    }

    #[cfg(feature = "mysql")]
    impl AsyncConn for diesel_async::AsyncMysqlConnection {
        const BACKEND: Backend = Backend::Mysql;
        const MAX_BINDS: usize = 65_535;
    }

    /// How many transaction levels are open on `conn`.
    pub fn depth<C: AsyncConnection>(conn: &mut C) -> QueryResult<u32> {
        let status = C::TransactionManager::transaction_manager_status_mut(conn);
        Ok(status.transaction_depth()?.map_or(0, NonZeroU32::get))
    }

    /// Opens a transaction level (a transaction, or a savepoint inside one).
    pub async fn begin<C: AsyncConn>(conn: &mut C) -> Result<()> {
        ok_async!(conn, C::TransactionManager::begin_transaction(conn).await)
    }

    /// Ends the innermost level: commits it when `outcome` is `Ok`, rolls it back
    /// otherwise, and returns `outcome` (or the commit's error).
    ///
    /// A future dropped between [`begin`] and `finish` leaves the level open; the pooled
    /// connection then rolls it back or is closed when dropped (orm-exec's `Pooled`).
    pub async fn finish<C: AsyncConn, T>(conn: &mut C, outcome: Result<T>) -> Result<T> {
        match outcome {
            Ok(value) => {
                ok_async!(conn, C::TransactionManager::commit_transaction(conn).await)?;
                Ok(value)
            }
            Err(err) => {
                let _ = C::TransactionManager::rollback_transaction(conn).await;
                Err(err)
            }
        }
    }
}
