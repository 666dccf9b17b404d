//! [`Database`]: the async side of the execution layer. A cheap-to-clone handle on a pool of
//! connections to the database a URL names, with async statements, transactions and a test
//! mode.
//!
//! ```
//! # #[cfg(not(feature = "sqlite"))] fn main() {}
//! # #[cfg(feature = "sqlite")]
//! # fn main() -> orm_exec::Result<()> {
//! # let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
//! # runtime.block_on(async {
//! use orm_exec::{Database, Error};
//!
//! let db = Database::connect("sqlite::memory:").await?;
//! db.batch_execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)").await?;
//! db.transaction(async |conn| {
//!     conn.execute("INSERT INTO notes (text) VALUES ('a')").await?;
//!     conn.execute("INSERT INTO notes (text) VALUES ('b')").await?;
//!     Ok::<_, Error>(())
//! })
//! .await?;
//! assert_eq!(db.execute("UPDATE notes SET text = 'c'").await?, 2);
//! # Ok(())
//! # })
//! # }
//! ```
//!
//! Where to find things:
//!
//! - `config`: [`PoolConfig`] and [`DatabaseBuilder`]; the defaults (10 connections, 4 for a
//!   SQLite file, 1 in memory; wait 30 s for a free connection; connect within the URL's
//!   `connect_timeout`, 10 s; check a connection on checkout within 5 s) and the URL's
//!   `max_connections` / `acquire_timeout` / `connect_timeout`.
//! - `pool`: the deadpool pools (diesel-async's manager), how connections are opened and
//!   verified, and which [`Error`] a failed checkout is; `bypass`: the manager's checks on
//!   checkout (alive-bypass window, max lifetime, idle timeout).
//! - `at_hand`: a SQLite pool's last returned connection, kept beside deadpool for the next
//!   checkout.
//! - `pooled`: [`PooledConnection`] and [`Pooled`], which never return a connection to the
//!   pool inside a transaction.
//! - `transaction`: [`PooledConnection::transaction`], savepoints, `BEGIN IMMEDIATE` on
//!   SQLite.
//! - [`sqlite`]: [`InlineSqlite`], which runs SQLite statements on the calling worker thread
//!   instead of tokio's blocking pool.
//! - [`async_dispatch!`](crate::async_dispatch!): one diesel-async body on whichever backend
//!   a pooled connection holds.
//!
//! Every method needs a tokio runtime with timers (`enable_time`, or `enable_all`). Every
//! returned future is `Send`.

mod at_hand;
mod backend;
mod bypass;
mod config;
mod dispatch;
mod pool;
mod pooled;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod transaction;

use std::fmt;
use std::sync::Arc;

use orm_schema::Backend;

use crate::error::{Error, Result};
use crate::url::DatabaseUrl;
use pool::Pools;

#[doc(hidden)]
pub use backend::PoolBackend;
pub(crate) use config::{pool_setters, Settings};
pub use config::{
    DatabaseBuilder, PoolConfig, DEFAULT_ACQUIRE_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_LIFETIME, DEFAULT_MAX_SIZE, DEFAULT_RECYCLE_TIMEOUT, DEFAULT_SQLITE_FILE_MAX_SIZE,
};
pub use pooled::{Pooled, PooledConnection, PooledMariadb, PooledMysql, PooledPg, PooledSqlite};
#[cfg(feature = "sqlite")]
pub use sqlite::{AsyncSqlite, InlineSqlite};
pub use transaction::{TransactionBody, TransactionFn};

/// The async SQLite connection (or [`Disabled`](crate::dispatch::Disabled) without the
/// `sqlite` feature).
#[cfg(not(feature = "sqlite"))]
pub type AsyncSqlite = crate::dispatch::Disabled;

crate::dispatch::backend_type! {
    /// diesel-async's PostgreSQL connection (or [`Disabled`](crate::dispatch::Disabled) without
    /// the `postgres` feature).
    "postgres" AsyncPg = diesel_async::AsyncPgConnection;
    /// diesel-async's MySQL connection (or [`Disabled`](crate::dispatch::Disabled) without the
    /// `mysql` feature).
    "mysql" AsyncMysql = diesel_async::AsyncMysqlConnection;
    /// diesel-async's connection with diesel's MariaDB backend, for `mariadb://` URLs (or
    /// [`Disabled`](crate::dispatch::Disabled) without the `mysql` feature).
    "mysql" AsyncMariadb = diesel_async::AsyncMariadbConnection;
}

/// The `tracing` target of pool checkout events (how long each wait took).
pub const POOL_TARGET: &str = "orm::pool";

/// A pool of connections to one database, chosen by URL at run time. Cloning is cheap (the
/// clones share the pool); the pool closes when the last clone is dropped.
///
/// See the [module documentation](self) for an example.
#[derive(Clone)]
pub struct Database {
    shared: Arc<Shared>,
}

/// What the clones of a [`Database`] share.
struct Shared {
    pools: Pools,
    url: DatabaseUrl,
    config: PoolConfig,
}

impl Database {
    /// Opens a pool for the URL (see [`crate::url`] for the forms and its query parameters)
    /// with one connection, so that a bad URL or an unreachable server fails here.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] or [`Error::UnsupportedBackend`] for a URL orm cannot use;
    /// [`Error::Connection`] when the server refuses, cannot be reached within the connect
    /// timeout, rejects the credentials or has no such database, or the SQLite file cannot
    /// be opened.
    pub async fn connect(url: &str) -> Result<Database> {
        Database::builder(url).build().await
    }

    /// Opens a database in test mode (see [`DatabaseBuilder::force_rollback`]): nothing
    /// written through it is kept once its last clone is dropped.
    ///
    /// # Errors
    ///
    /// As [`Database::connect`].
    pub async fn connect_test(url: &str) -> Result<Database> {
        Database::builder(url).force_rollback(true).build().await
    }

    /// A builder for a database with settings other than the URL's.
    pub fn builder(url: &str) -> DatabaseBuilder {
        DatabaseBuilder::new(url)
    }

    /// Builds the pool and checks one connection out and back in.
    async fn open(url: DatabaseUrl, config: PoolConfig) -> Result<Database> {
        let pools = Pools::new(&url, &config)?;
        let db = Database {
            shared: Arc::new(Shared { pools, url, config }),
        };
        drop(db.get().await?);
        Ok(db)
    }

    /// The backend the database runs on.
    pub fn backend(&self) -> Backend {
        self.shared.url.backend()
    }

    /// The database's URL.
    pub fn url(&self) -> &DatabaseUrl {
        &self.shared.url
    }

    /// The pool's settings.
    pub fn config(&self) -> &PoolConfig {
        &self.shared.config
    }

    /// Checks a connection out of the pool, waiting for one to be free at most the
    /// acquire timeout. Dropping it returns it.
    ///
    /// # Errors
    ///
    /// [`Error::PoolTimeout`] when no connection became free in time; [`Error::Connection`]
    /// when a new connection cannot be opened.
    pub async fn get(&self) -> Result<PooledConnection> {
        let shared = &self.shared;
        let traced = tracing::enabled!(target: POOL_TARGET, tracing::Level::DEBUG);
        if !traced {
            if let Some(conn) = shared.pools.at_hand() {
                return Ok(conn);
            }
        }
        let started = traced.then(std::time::Instant::now);
        // Boxed: the checkout's future (deadpool's wait and its timeouts) is larger than
        // everything else `get` holds, and every future awaiting `get` (each operation's)
        // would otherwise carry its size, copied whenever that future is moved.
        let conn = Box::pin(shared.pools.get(&shared.url, &shared.config)).await;
        if let Some(started) = started {
            tracing::event!(
                target: POOL_TARGET,
                tracing::Level::DEBUG,
                backend = shared.url.backend().name(),
                waited_us = started.elapsed().as_micros() as u64,
                ok = conn.is_ok(),
                "pool checkout"
            );
        }
        conn
    }

    /// Runs one or more SQL statements separated by `;` on a pooled connection (see
    /// [`PooledConnection::batch_execute`]).
    pub async fn batch_execute(&self, sql: &str) -> Result<()> {
        let mut conn = self.get().await?;
        let done = conn.batch_execute(sql).await;
        done
    }

    /// Runs one SQL statement on a pooled connection and returns the number of rows it
    /// affected (see [`PooledConnection::execute`]).
    pub async fn execute(&self, sql: &str) -> Result<usize> {
        let mut conn = self.get().await?;
        let rows = conn.execute(sql).await;
        rows
    }

    /// Checks a connection out and runs `f` in a transaction on it (see
    /// [`PooledConnection::transaction`]): commit on `Ok`, rollback on `Err`. Nest through
    /// the connection the closure receives, not through the database.
    ///
    /// ```
    /// # #[cfg(not(feature = "sqlite"))] fn main() {}
    /// # #[cfg(feature = "sqlite")]
    /// # fn main() -> orm_exec::Result<()> {
    /// # let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    /// # runtime.block_on(async {
    /// use orm_exec::{Database, Error};
    ///
    /// let db = Database::connect("sqlite::memory:").await?;
    /// db.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY)").await?;
    /// db.transaction(async |conn| {
    ///     conn.execute("INSERT INTO t (id) VALUES (1)").await?;
    ///     // A savepoint: its rollback keeps the outer insert.
    ///     let inner = conn
    ///         .transaction(async |conn| {
    ///             conn.execute("INSERT INTO t (id) VALUES (2)").await?;
    ///             Err::<(), _>(Error::NoMatch { model: "T" })
    ///         })
    ///         .await;
    ///     assert!(inner.is_err());
    ///     Ok::<_, Error>(())
    /// })
    /// .await?;
    /// assert_eq!(db.execute("DELETE FROM t").await?, 1);
    /// # Ok(())
    /// # })
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`PooledConnection::transaction`], and [`Database::get`]'s.
    pub async fn transaction<R, E, F>(&self, f: F) -> Result<R, E>
    where
        F: TransactionBody<R, E>,
        E: From<Error> + Send,
        R: Send,
    {
        let mut conn = self.get().await?;
        let outcome = conn.transaction(f).await;
        outcome
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.shared.url.redacted())
            .field("config", &self.shared.config)
            .finish()
    }
}
