//! [`PoolBackend`]: what the pool needs to know about each backend's async connection: how
//! to open one (the same way the blocking side does, see `establish`, with the same
//! statement tracing), and whether a dropped transaction can be rolled back on the spot.
//! (Transactions themselves are opened and ended by [`level`](crate::transaction::level).)

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;

use super::bypass::{Bypass, LastCheckouts};
use super::pool::CheckedOut;
use super::PoolConfig;

use diesel::QueryResult;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolError, PoolableConnection,
};
use diesel_async::{AsyncConnection, TransactionManager};
use orm_schema::Backend;

use crate::error::Result;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use crate::instrument::OrmInstrumentation;
use crate::url::DatabaseUrl;

/// An async connection type a [`Database`](crate::Database) pools: diesel-async's
/// PostgreSQL and MySQL connections, and SQLite as [`AsyncSqlite`](super::AsyncSqlite).
/// Implemented by orm for those three; not meant to be implemented elsewhere.
#[doc(hidden)]
pub trait PoolBackend: PoolableConnection + Send + Sized + 'static {
    /// The backend.
    const BACKEND: Backend;

    /// The deadpool manager of this connection type: diesel-async's, with orm's checks
    /// on checkout ([`Bypass`]).
    type Manager: deadpool::managed::Manager<Type = Self, Error = PoolError> + From<Bypass<Self>>;

    /// The manager with this configuration and the pool's recycling settings (alive-bypass
    /// window, max lifetime, idle timeout; checkouts past deadpool in `checkouts`).
    fn manager(
        url: &str,
        config: ManagerConfig<Self>,
        pool: &PoolConfig,
        checkouts: &Arc<LastCheckouts>,
    ) -> Self::Manager {
        let inner = AsyncDieselConnectionManager::new_with_config(url, config);
        Bypass::new(inner, pool, checkouts).into()
    }

    /// Opens and sets up a connection of the pool whose checked-out connections `pool`
    /// counts (SQLite's statements run inline on a current-thread runtime while it is
    /// alone, see [`InlineSqlite`](super::InlineSqlite)).
    fn connect(url: &DatabaseUrl, pool: &CheckedOut) -> impl Future<Output = Result<Self>> + Send;

    /// Rolls back, synchronously, until `depth` transactions are open; whether it could.
    /// Only SQLite can, since its statements run on the calling thread.
    fn roll_back_now(&mut self, depth: u32) -> bool {
        let _ = depth;
        false
    }
}

/// How many transactions (the outer one and savepoints) are open on `conn`.
pub(crate) fn depth<C: AsyncConnection>(conn: &mut C) -> QueryResult<u32> {
    let status = C::TransactionManager::transaction_manager_status_mut(conn);
    Ok(status.transaction_depth()?.map_or(0, NonZeroU32::get))
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use crate::connection::Connection;
    use crate::database::sqlite::{run, AsyncSqlite, InlineSqlite};
    use crate::error::Error;
    use diesel::connection::{AnsiTransactionManager, TransactionManager as _};

    /// The depth of a blocking SQLite connection's transactions.
    fn sync_depth(conn: &mut diesel::SqliteConnection) -> QueryResult<u32> {
        let status = AnsiTransactionManager::transaction_manager_status_mut(conn);
        Ok(status.transaction_depth()?.map_or(0, NonZeroU32::get))
    }

    impl PoolBackend for AsyncSqlite {
        const BACKEND: Backend = Backend::Sqlite;
        type Manager = Bypass<Self>;

        async fn connect(url: &DatabaseUrl, pool: &CheckedOut) -> Result<Self> {
            let owned = url.clone();
            let opened = run(move || Connection::establish_url(&owned))
                .await
                .map_err(|e| Error::Connection {
                    backend: Backend::Sqlite,
                    message: format!("cannot open the database: {e} (url: {})", url.redacted()),
                    cause: crate::error::ConnectionCause::Other,
                })??;
            // Irrefutable when SQLite is the only backend compiled in.
            #[allow(irrefutable_let_patterns)]
            let Connection::Sqlite(conn) = opened
            else {
                unreachable!("a sqlite URL opens a SQLite connection")
            };
            Ok(AsyncSqlite::with_runtime(
                conn,
                InlineSqlite::pooled(pool.clone()),
            ))
        }

        fn roll_back_now(&mut self, depth: u32) -> bool {
            let rollback = self.spawn_blocking(move |conn| {
                while sync_depth(conn)? > depth {
                    AnsiTransactionManager::rollback_transaction(conn)?;
                }
                Ok(())
            });
            matches!(crate::database::sqlite::now(rollback), Some(Ok(())))
        }
    }
}

#[cfg(feature = "postgres")]
impl PoolBackend for diesel_async::AsyncPgConnection {
    const BACKEND: Backend = Backend::Postgres;
    type Manager = Bypass<Self>;

    /// tokio-postgres connects (so a failure keeps its cause), then diesel-async takes the
    /// client over, as the blocking side does (see [`crate::pg_wire`]).
    async fn connect(url: &DatabaseUrl, _pool: &CheckedOut) -> Result<Self> {
        let mut conn = crate::pg_wire::open(url).await?;
        conn.set_instrumentation(OrmInstrumentation::new(Self::BACKEND));
        Ok(conn)
    }
}

/// MySQL and MariaDB (diesel's MySQL backend for `mysql://`, its MariaDB backend for
/// `mariadb://`): mysql_async connects with the URL's typed options and TLS settings,
/// then diesel-async takes the connection over, as the blocking side does (see
/// `crate::mysql_connect`).
macro_rules! mysql_like_pool_backend {
    ($($conn:ty),*) => {$(
        #[cfg(feature = "mysql")]
        impl PoolBackend for $conn {
            const BACKEND: Backend = Backend::Mysql;
            type Manager = Bypass<Self>;

            async fn connect(url: &DatabaseUrl, _pool: &CheckedOut) -> Result<Self> {
                let mut conn: Self = crate::mysql_connect::open(url).await?;
                conn.set_instrumentation(OrmInstrumentation::new(Self::BACKEND));
                Ok(conn)
            }
        }
    )*};
}
mysql_like_pool_backend!(
    diesel_async::AsyncMysqlConnection,
    diesel_async::AsyncMariadbConnection
);
