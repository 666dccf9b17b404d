//! Transactions as persistence runs them, directly on a backend's diesel connection (the
//! same connection orm-exec's `Connection` and pooled connections hold, so they nest with
//! the caller's transactions): a transaction at the outermost level, a savepoint inside
//! one. Each level is opened and ended by orm-exec's `transaction::level`, the one
//! implementation every transaction in orm runs on (`BEGIN IMMEDIATE` on SQLite; a commit
//! that checks the server still has the transaction).

use std::num::NonZeroU32;
use std::panic::{self, AssertUnwindSafe};

use diesel::connection::TransactionManager;
use diesel::QueryResult;
use orm_exec::transaction::level::{self, TxConn};
use orm_exec::Result;

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
pub trait SyncConn: diesel::Connection + TxConn + orm_exec::error::Classify {
    /// The most bind parameters one statement may carry.
    const MAX_BINDS: usize;
}

#[cfg(feature = "sqlite")]
impl SyncConn for diesel::SqliteConnection {
    const MAX_BINDS: usize = 32_766;
}

#[cfg(feature = "postgres")]
impl SyncConn for orm_exec::connection::BlockingPg {
    const MAX_BINDS: usize = 65_535;
}

#[cfg(feature = "mysql")]
impl SyncConn for orm_exec::connection::BlockingMysql {
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
    level::now(level::begin(conn))?;
    match panic::catch_unwind(AssertUnwindSafe(|| f(&mut *conn))) {
        Ok(outcome) => level::now(level::finish(conn, outcome)),
        Err(payload) => {
            let _ = level::now(level::rollback(conn));
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
    pub trait AsyncConn: AsyncConnection + TxConn + Send + orm_exec::error::ClassifyAsync {
        /// The most bind parameters one statement may carry.
        const MAX_BINDS: usize;
    }

    #[cfg(feature = "postgres")]
    impl AsyncConn for diesel_async::AsyncPgConnection {
        const MAX_BINDS: usize = 65_535;
    }

    #[cfg(feature = "mysql")]
    impl AsyncConn for diesel_async::AsyncMysqlConnection {
        const MAX_BINDS: usize = 65_535;
    }

    /// How many transaction levels are open on `conn`.
    pub fn depth<C: AsyncConnection>(conn: &mut C) -> QueryResult<u32> {
        let status = C::TransactionManager::transaction_manager_status_mut(conn);
        Ok(status.transaction_depth()?.map_or(0, NonZeroU32::get))
    }

    /// Opens a transaction level (a transaction, or a savepoint inside one).
    pub async fn begin<C: AsyncConn>(conn: &mut C) -> Result<()> {
        level::begin(conn).await
    }

    /// Ends the innermost level: commits it when `outcome` is `Ok`, rolls it back
    /// otherwise, and returns `outcome` (or the commit's error).
    ///
    /// A future dropped between [`begin`] and `finish` leaves the level open; the pooled
    /// connection then rolls it back or is closed when dropped (orm-exec's `Pooled`).
    pub async fn finish<C: AsyncConn, T>(conn: &mut C, outcome: Result<T>) -> Result<T> {
        level::finish(conn, outcome).await
    }
}
