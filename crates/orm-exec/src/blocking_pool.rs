//! [`BlockingPool`]: a pool of blocking [`Connection`]s by URL, for threaded servers and
//! worker pools that do not run an async runtime.
//!
//! It is [r2d2](https://docs.rs/r2d2), diesel's own choice of blocking pool, managing
//! orm's [`Connection`]s, with the settings of the async [`Database`](crate::Database):
//! the most connections, how long [`BlockingPool::get`] waits for a free one
//! ([`Error::PoolTimeout`] after that), the connect timeout (the URL's
//! `connect_timeout=`), and besides: how long a connection may live, how long it may sit
//! idle, and whether it is tested (`SELECT 1`) before each checkout, which is what makes a
//! connection the server killed be replaced instead of handed out.
//!
//! A checked-out [`PooledBlocking`] derefs to [`Connection`], so everything that takes
//! `&mut Connection` (QuerySets, persistence, transactions) takes `&mut *pooled`:
//!
//! ```
//! # #[cfg(not(feature = "sqlite"))] fn main() {}
//! # #[cfg(feature = "sqlite")]
//! # fn main() -> orm_exec::Result<()> {
//! let dir = std::env::temp_dir().join(format!("orm-doc-pool-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let url = format!("sqlite://{}/app.db", dir.display());
//! let pool = orm_exec::BlockingPool::builder(&url).max_size(4).build()?;
//! let mut conn = pool.get()?;
//! conn.batch_execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")?;
//! conn.transaction(|c| -> orm_exec::Result<usize> { c.execute("INSERT INTO t DEFAULT VALUES") })?;
//! drop(conn); // back to the pool
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok(())
//! # }
//! ```
//!
//! A connection is returned to the pool when the [`PooledBlocking`] is dropped, unless it
//! is still inside a transaction (a transaction guard leaked by `mem::forget`, or a
//! `BEGIN` run by hand): such a connection is closed instead, which rolls its transaction
//! back, so the pool never hands out a connection inside a transaction.
//!
//! An in-memory SQLite database (`sqlite::memory:`) lives only as long as its one
//! connection, so a pool of one never closes that connection on its own: the lifetime and
//! idle limits do not apply to it, and a connection returned inside a transaction is
//! rolled back (every level) and kept rather than closed. It is closed only when the
//! rollback fails, or when the pool is dropped.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::connection::Connection;
use crate::database::{PoolConfig, Settings};
use crate::error::{Error, Result};
use crate::transaction::level;
use crate::url::DatabaseUrl;

/// A pool of blocking connections to the database a URL names (see the
/// [module docs](crate::blocking_pool)). Cheap to clone: clones share the pool.
#[derive(Clone)]
pub struct BlockingPool {
    pool: r2d2::Pool<Manager>,
    acquire_timeout: Duration,
    url: DatabaseUrl,
    /// Why the last attempt to open a connection failed, shared with the manager.
    last_failure: LastFailure,
}

/// The message of the last failed connect, `None` after a success.
type LastFailure = Arc<Mutex<Option<Failure>>>;

/// Why the last connection attempt failed, kept to be returned again by [`BlockingPool::get`].
#[derive(Debug, Clone)]
enum Failure {
    /// An [`Error::Connection`], with its cause.
    Connection(String, crate::error::ConnectionCause),
    /// An [`Error::InvalidParameter`] (an unreadable root certificate file).
    Parameter {
        parameter: String,
        url_redacted: String,
        reason: String,
    },
    /// Any other error, as text.
    Other(String),
}

impl Failure {
    fn of(err: &Error) -> Failure {
        match err {
            Error::Connection { message, cause, .. } => {
                Failure::Connection(message.clone(), *cause)
            }
            Error::InvalidParameter {
                parameter,
                url_redacted,
                reason,
            } => Failure::Parameter {
                parameter: parameter.clone(),
                url_redacted: url_redacted.clone(),
                reason: reason.clone(),
            },
            other => Failure::Other(other.to_string()),
        }
    }

    fn error(&self, backend: orm_schema::Backend) -> Error {
        match self.clone() {
            Failure::Connection(message, cause) => Error::Connection {
                backend,
                message,
                cause,
            },
            Failure::Parameter {
                parameter,
                url_redacted,
                reason,
            } => Error::InvalidParameter {
                parameter,
                url_redacted,
                reason,
            },
            Failure::Other(message) => Error::connection(backend, message),
        }
    }
}

/// The settings of a [`BlockingPool`] before it is built: [`BlockingPool::builder`].
#[derive(Clone, Debug)]
pub struct BlockingPoolBuilder {
    settings: Settings,
    test_on_checkout: bool,
}

/// A connection checked out of a [`BlockingPool`]; derefs to [`Connection`]. Dropping it
/// returns it to the pool.
pub struct PooledBlocking(r2d2::PooledConnection<Manager>);

pub use crate::database::{DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_LIFETIME};

impl BlockingPool {
    /// A pool for `url` with the settings its query string gives (`max_connections`,
    /// `acquire_timeout`, `connect_timeout`) and the defaults otherwise. No connection is
    /// opened yet: the first [`get`](BlockingPool::get) opens one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] or [`Error::UnsupportedBackend`] for a bad URL.
    pub fn connect(url: &str) -> Result<BlockingPool> {
        BlockingPool::builder(url).build()
    }

    /// The settings of a pool for `url`, to change before [`BlockingPoolBuilder::build`].
    pub fn builder(url: &str) -> BlockingPoolBuilder {
        BlockingPoolBuilder {
            settings: Settings::new(url),
            test_on_checkout: true,
        }
    }

    /// Checks a connection out, opening one if none is free and the pool is not full,
    /// waiting for one otherwise.
    ///
    /// # Errors
    ///
    /// [`Error::PoolTimeout`] when no connection became free within the acquire timeout;
    /// [`Error::Connection`] when the pool is empty and the server cannot be reached (the
    /// cause of the last failed attempt, without any password).
    pub fn get(&self) -> Result<PooledBlocking> {
        let started = Instant::now();
        match self.pool.get() {
            Ok(conn) => Ok(PooledBlocking(conn)),
            Err(_) => {
                if self.pool.state().connections == 0 {
                    // Nothing could be opened: say why, rather than "timed out".
                    let last = self
                        .last_failure
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    if let Some(failure) = &*last {
                        return Err(failure.error(self.url.backend()));
                    }
                }
                Err(Error::PoolTimeout {
                    waited: started.elapsed().max(self.acquire_timeout),
                })
            }
        }
    }

    /// How many connections are open, and how many of them are idle.
    pub fn state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }
}

impl BlockingPoolBuilder {
    crate::database::pool_setters!();

    /// Whether each checkout first tests the connection with `SELECT 1` (default: yes),
    /// replacing one the server closed or killed. Off saves a round trip per checkout; a
    /// dead connection then fails the first statement run on it.
    pub fn test_on_checkout(mut self, on: bool) -> Self {
        self.test_on_checkout = on;
        self
    }

    /// Builds the pool; no connection is opened yet.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] or [`Error::UnsupportedBackend`] for a bad URL;
    /// [`Error::InvalidUrl`] for a maximum size of 0.
    pub fn build(self) -> Result<BlockingPool> {
        let url = DatabaseUrl::parse(&self.settings.url.0)?;
        if self.settings.max_size == Some(0) {
            return Err(Error::InvalidUrl {
                url_redacted: url.redacted().to_owned(),
                reason: "a pool needs max_size of at least 1".to_owned(),
            });
        }
        let config = self.settings.over(PoolConfig::for_url(&url)).checked(&url);
        let url = url.with_connect_timeout(config.connect_timeout);
        let in_memory = *url.target() == crate::url::Target::Memory;
        let max_size = u32::try_from(config.max_size).unwrap_or(u32::MAX);
        let acquire_timeout = config.acquire_timeout;
        let (max_lifetime, idle_timeout) = (config.max_lifetime, config.idle_timeout);
        let last_failure = LastFailure::default();
        let pool = r2d2::Pool::builder()
            .max_size(max_size)
            .min_idle(Some(0))
            // r2d2 refuses a zero timeout: the shortest wait it takes.
            .connection_timeout(acquire_timeout.max(Duration::from_millis(1)))
            .max_lifetime(max_lifetime)
            .idle_timeout(idle_timeout)
            .test_on_check_out(self.test_on_checkout)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(Manager {
                url: url.clone(),
                last_failure: last_failure.clone(),
                in_memory,
            });
        Ok(BlockingPool {
            pool,
            acquire_timeout,
            url,
            last_failure,
        })
    }
}

impl Deref for PooledBlocking {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.0
    }
}

impl DerefMut for PooledBlocking {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.0
    }
}

impl fmt::Debug for PooledBlocking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PooledBlocking")
            .field(&self.0.backend())
            .finish()
    }
}

impl fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (open, idle) = self.state();
        f.debug_struct("BlockingPool")
            .field("url", &self.url)
            .field("open", &open)
            .field("idle", &idle)
            .finish()
    }
}

/// Opens, tests and checks orm's connections for r2d2.
struct Manager {
    url: DatabaseUrl,
    last_failure: LastFailure,
    /// An in-memory SQLite database: closing its connection would drop the database.
    in_memory: bool,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = Error;

    fn connect(&self) -> Result<Connection> {
        let opened = Connection::establish_url(&self.url);
        let mut last = self
            .last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *last = opened.as_ref().err().map(Failure::of);
        opened
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<()> {
        conn.batch_execute("SELECT 1")
    }

    /// A connection left inside a transaction is closed rather than reused, which rolls
    /// the transaction back; an in-memory database's is rolled back and kept.
    fn has_broken(&self, conn: &mut Connection) -> bool {
        match crate::dispatch!(conn, c => level::depth(c)) {
            Ok(0) => false,
            Ok(_) if self.in_memory => crate::dispatch!(conn, c => {
                crate::statement_conn::run_now(level::roll_back_to(c, 0))
            })
            .is_err(),
            _ => true,
        }
    }
}
