//! Pool settings: [`PoolConfig`] (the defaults, and what the URL's query string says) and
//! [`DatabaseBuilder`], which overrides them in code.
//!
//! Each setting is taken from, in order: the builder, the URL
//! (`max_connections`, `acquire_timeout`, `connect_timeout`), the default. deadpool's own
//! defaults wait without limit (deadpool #9); orm's never do.

use std::time::Duration;

use crate::error::Result;
use crate::url::{DatabaseUrl, GivenUrl, Target};
use crate::Database;

/// The default pool size for PostgreSQL and MySQL/MariaDB.
pub const DEFAULT_MAX_SIZE: usize = 10;
/// The default pool size for a SQLite file: SQLite runs one writer at a time, and in WAL
/// mode readers proceed beside it; more connections would mostly wait on the write lock.
pub const DEFAULT_SQLITE_FILE_MAX_SIZE: usize = 4;
/// How long [`Database::get`] waits for a free connection by default.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long checking a returned connection (a `SELECT 1` on PostgreSQL and MySQL) may take
/// by default before the connection is replaced.
pub const DEFAULT_RECYCLE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a pooled connection lives at most by default, in either pool: it is then
/// closed and replaced at its next checkout ([`Database`]) or by the pool's reaper
/// ([`BlockingPool`](crate::BlockingPool)).
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// How long a pooled connection may go unused by default before it is closed, in either
/// pool.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The alive-bypass window on PostgreSQL by default (see [`PoolConfig::alive_bypass`]).
pub const DEFAULT_PG_ALIVE_BYPASS: Duration = Duration::from_millis(500);

/// The settings of a [`Database`]'s pool.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolConfig {
    /// The most connections open at once (at least 1). An in-memory SQLite database and a
    /// `force_rollback` database always have exactly 1.
    pub max_size: usize,
    /// How long [`Database::get`] waits for a free connection before
    /// [`Error::PoolTimeout`](crate::Error::PoolTimeout). Zero: fail at once when none is
    /// free.
    pub acquire_timeout: Duration,
    /// How long opening one connection may take; `None` waits without limit.
    pub connect_timeout: Option<Duration>,
    /// How long checking a connection on checkout may take before it is replaced (the
    /// servers' `SELECT 1`; SQLite's check does no I/O and is not timed).
    pub recycle_timeout: Duration,
    /// A connection checked out again within this long of its last checkout skips the
    /// `SELECT 1` check (one round trip) and gets only the driver's own broken check
    /// (HikariCP's alive-bypass window). Default 500 ms on PostgreSQL, whose driver reads
    /// the socket in the background and so sees a session the server ended without a
    /// round trip; zero (always check) on MySQL/MariaDB, whose driver notices a closed
    /// connection only on use. A read on `&Database` that meets a lost connection is run
    /// again once on another one; a write is never run again.
    pub alive_bypass: Duration,
    /// How long a connection lives at most: one older than this is closed at checkout and
    /// another is opened (`None`: no limit; default [`DEFAULT_MAX_LIFETIME`]). Not applied
    /// to an in-memory SQLite database or in test mode, where the one connection holds the
    /// data.
    pub max_lifetime: Option<Duration>,
    /// How long a connection may go unchecked-out: one whose last checkout is longer ago
    /// than this is closed at checkout and another is opened (`None`: no limit; default
    /// [`DEFAULT_IDLE_TIMEOUT`]). Counted from the last checkout, so a connection held
    /// longer than this is replaced at its next checkout too. Not applied to an in-memory
    /// SQLite database or in test mode.
    pub idle_timeout: Option<Duration>,
    /// Test mode: one connection, held in a transaction that is rolled back when the last
    /// clone of the [`Database`] is dropped (see [`DatabaseBuilder::force_rollback`]).
    pub force_rollback: bool,
}

impl PoolConfig {
    /// The settings for `url`: what its query string says, the defaults otherwise.
    pub fn for_url(url: &DatabaseUrl) -> PoolConfig {
        let default_size = match url.target() {
            Target::Memory => 1,
            Target::File(_) => DEFAULT_SQLITE_FILE_MAX_SIZE,
            _ => DEFAULT_MAX_SIZE,
        };
        let alive_bypass = match url.backend() {
            orm_schema::Backend::Postgres => DEFAULT_PG_ALIVE_BYPASS,
            _ => Duration::ZERO,
        };
        PoolConfig {
            max_size: url.max_connections().unwrap_or(default_size),
            acquire_timeout: url.acquire_timeout().unwrap_or(DEFAULT_ACQUIRE_TIMEOUT),
            connect_timeout: url.connect_timeout(),
            recycle_timeout: DEFAULT_RECYCLE_TIMEOUT,
            alive_bypass,
            max_lifetime: Some(DEFAULT_MAX_LIFETIME),
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            force_rollback: false,
        }
        .checked(url)
    }

    /// Applies the rules no setting can break: at least one connection; exactly one for an
    /// in-memory SQLite database (each connection would open a different, empty one) and
    /// in test mode, never closed on a timer (its data would go with it).
    pub(crate) fn checked(mut self, url: &DatabaseUrl) -> PoolConfig {
        self.max_size = self.max_size.max(1);
        if self.force_rollback || *url.target() == Target::Memory {
            self.max_size = 1;
            self.max_lifetime = None;
            self.idle_timeout = None;
        }
        self
    }
}

/// The settings both pools take from their builder, each `None` until set: the URL's
/// value (or the default) applies then. [`DatabaseBuilder`] and
/// [`BlockingPoolBuilder`](crate::BlockingPoolBuilder) each hold one, with the setters
/// [`pool_setters!`] writes.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) url: GivenUrl,
    pub(crate) max_size: Option<usize>,
    pub(crate) acquire_timeout: Option<Duration>,
    pub(crate) connect_timeout: Option<Option<Duration>>,
    pub(crate) max_lifetime: Option<Option<Duration>>,
    pub(crate) idle_timeout: Option<Option<Duration>>,
}

impl Settings {
    /// No setting given yet, for `url`.
    pub(crate) fn new(url: &str) -> Settings {
        Settings {
            url: GivenUrl(url.to_owned()),
            max_size: None,
            acquire_timeout: None,
            connect_timeout: None,
            max_lifetime: None,
            idle_timeout: None,
        }
    }

    /// `config` (the URL's settings and the defaults) with the settings given here.
    pub(crate) fn over(&self, config: PoolConfig) -> PoolConfig {
        PoolConfig {
            max_size: self.max_size.unwrap_or(config.max_size),
            acquire_timeout: self.acquire_timeout.unwrap_or(config.acquire_timeout),
            connect_timeout: self.connect_timeout.unwrap_or(config.connect_timeout),
            max_lifetime: self.max_lifetime.unwrap_or(config.max_lifetime),
            idle_timeout: self.idle_timeout.unwrap_or(config.idle_timeout),
            ..config
        }
    }
}

/// The setters of the settings both pools take ([`Settings`], in a builder's `settings`
/// field), written once for [`DatabaseBuilder`] and
/// [`BlockingPoolBuilder`](crate::BlockingPoolBuilder).
macro_rules! pool_setters {
    () => {
        /// The most connections open at once (default: the URL's `max_connections`, else
        /// 10, or 4 for a SQLite file). An in-memory SQLite database always has 1: each
        /// connection would open a database of its own.
        pub fn max_size(mut self, max_size: usize) -> Self {
            self.settings.max_size = Some(max_size);
            self
        }

        /// How long a checkout waits for a free connection before
        /// [`Error::PoolTimeout`](crate::Error::PoolTimeout) (default: the URL's
        /// `acquire_timeout`, else 30 s). Zero fails at once when none is free.
        pub fn acquire_timeout(mut self, limit: std::time::Duration) -> Self {
            self.settings.acquire_timeout = Some(limit);
            self
        }

        /// How long opening one connection may take (default: the URL's
        /// `connect_timeout`, else 10 s). [`Duration::ZERO`](std::time::Duration::ZERO)
        /// waits without limit.
        pub fn connect_timeout(mut self, limit: std::time::Duration) -> Self {
            self.settings.connect_timeout = Some((!limit.is_zero()).then_some(limit));
            self
        }

        /// How long a connection lives at most before it is closed and replaced (`None`:
        /// no limit; default [`DEFAULT_MAX_LIFETIME`](crate::database::DEFAULT_MAX_LIFETIME)).
        /// Not applied to an in-memory SQLite database, whose data would go with its
        /// connection.
        pub fn max_lifetime(mut self, limit: Option<std::time::Duration>) -> Self {
            self.settings.max_lifetime = Some(limit);
            self
        }

        /// How long a connection may go unused before it is closed and replaced (`None`:
        /// no limit; default [`DEFAULT_IDLE_TIMEOUT`](crate::database::DEFAULT_IDLE_TIMEOUT)).
        /// Not applied to an in-memory SQLite database, whose data would go with its
        /// connection.
        pub fn idle_timeout(mut self, limit: Option<std::time::Duration>) -> Self {
            self.settings.idle_timeout = Some(limit);
            self
        }
    };
}
pub(crate) use pool_setters;

/// Builds a [`Database`] with settings other than the URL's: start with
/// [`Database::builder`], finish with [`build`](DatabaseBuilder::build). [`PoolConfig`]
/// says how each setting applies; a `max_size` below 1 counts as 1, and in test mode
/// ([`force_rollback`](DatabaseBuilder::force_rollback)) the pool has one connection,
/// never closed on a timer.
///
/// ```
/// # #[cfg(not(feature = "sqlite"))] fn main() {}
/// # #[cfg(feature = "sqlite")]
/// # fn main() -> orm_exec::Result<()> {
/// # let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
/// # runtime.block_on(async {
/// use std::time::Duration;
///
/// let db = orm_exec::Database::builder("sqlite::memory:")
///     .acquire_timeout(Duration::from_secs(5))
///     .build()
///     .await?;
/// assert_eq!(db.config().acquire_timeout, Duration::from_secs(5));
/// # Ok(())
/// # })
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `.build().await`"]
pub struct DatabaseBuilder {
    settings: Settings,
    recycle_timeout: Option<Duration>,
    alive_bypass: Option<Duration>,
    force_rollback: bool,
}

impl DatabaseBuilder {
    pub(super) fn new(url: &str) -> DatabaseBuilder {
        DatabaseBuilder {
            settings: Settings::new(url),
            recycle_timeout: None,
            alive_bypass: None,
            force_rollback: false,
        }
    }

    pool_setters!();

    /// How long checking a connection on checkout may take before it is replaced
    /// (default 5 s; PostgreSQL and MySQL/MariaDB, whose check is a round trip).
    pub fn recycle_timeout(mut self, limit: Duration) -> Self {
        self.recycle_timeout = Some(limit);
        self
    }

    /// The alive-bypass window (see [`PoolConfig::alive_bypass`]; default 500 ms on
    /// PostgreSQL, zero elsewhere). [`Duration::ZERO`] checks every checkout.
    pub fn alive_bypass(mut self, window: Duration) -> Self {
        self.alive_bypass = Some(window);
        self
    }

    /// Test mode (encode/databases' `force_rollback`): the database holds one connection in
    /// a transaction for its whole life, and every operation, from every clone, runs on it
    /// (a [`Database::transaction`] becomes a savepoint). When the last clone (and any
    /// connection checked out of it) is dropped, the connection closes and everything
    /// written through it is rolled back.
    ///
    /// - A task that holds the connection and asks for it again waits, then gets
    ///   [`Error::PoolTimeout`](crate::Error::PoolTimeout).
    /// - A transaction future dropped half-way is rolled back to its savepoint at the next
    ///   checkout. If the connection is lost instead (a dropped future cut a transaction
    ///   statement off half-way), every later call fails with
    ///   [`Error::Connection`](crate::Error::Connection): nothing is ever committed.
    /// - On PostgreSQL a statement that fails outside a [`Database::transaction`] aborts the
    ///   outer transaction, and every later statement fails: run statements expected to fail
    ///   inside a transaction (a savepoint here).
    pub fn force_rollback(mut self, on: bool) -> Self {
        self.force_rollback = on;
        self
    }

    /// The settings this builder gives for `url`.
    fn config(&self, url: &DatabaseUrl) -> PoolConfig {
        let given = self.settings.over(PoolConfig::for_url(url));
        PoolConfig {
            recycle_timeout: self.recycle_timeout.unwrap_or(given.recycle_timeout),
            alive_bypass: self.alive_bypass.unwrap_or(given.alive_bypass),
            force_rollback: self.force_rollback,
            ..given
        }
        .checked(url)
    }

    /// Opens the pool and one connection (so a bad URL, an unreachable server or wrong
    /// credentials fail here, within the connect timeout).
    ///
    /// # Errors
    ///
    /// As [`Database::connect`].
    pub async fn build(self) -> Result<Database> {
        let url = DatabaseUrl::parse(&self.settings.url.0)?;
        let config = self.config(&url);
        Database::open(url, config).await
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    fn config(builder: DatabaseBuilder) -> PoolConfig {
        let url = DatabaseUrl::parse(&builder.settings.url.0).unwrap();
        builder.config(&url)
    }

    #[test]
    fn defaults_never_wait_forever() {
        let file = config(DatabaseBuilder::new("sqlite://app.db"));
        assert_eq!(file.max_size, DEFAULT_SQLITE_FILE_MAX_SIZE);
        assert_eq!(file.acquire_timeout, DEFAULT_ACQUIRE_TIMEOUT);
        assert_eq!(file.connect_timeout, Some(Duration::from_secs(10)));
        assert_eq!(file.recycle_timeout, DEFAULT_RECYCLE_TIMEOUT);
        assert_eq!(file.alive_bypass, Duration::ZERO);
        assert_eq!(file.max_lifetime, Some(DEFAULT_MAX_LIFETIME));
        assert_eq!(file.idle_timeout, Some(DEFAULT_IDLE_TIMEOUT));
        assert!(!file.force_rollback);
    }

    #[test]
    fn builder_beats_url_beats_default() {
        let url = "sqlite://app.db?max_connections=3&acquire_timeout=2&connect_timeout=4";
        let from_url = config(DatabaseBuilder::new(url));
        assert_eq!(from_url.max_size, 3);
        assert_eq!(from_url.acquire_timeout, Duration::from_secs(2));
        assert_eq!(from_url.connect_timeout, Some(Duration::from_secs(4)));
        let built = config(
            DatabaseBuilder::new(url)
                .max_size(7)
                .acquire_timeout(Duration::from_millis(200))
                .connect_timeout(Duration::ZERO)
                .recycle_timeout(Duration::from_secs(1))
                .alive_bypass(Duration::from_millis(50))
                .max_lifetime(Some(Duration::from_secs(60)))
                .idle_timeout(None),
        );
        assert_eq!(built.max_lifetime, Some(Duration::from_secs(60)));
        assert_eq!(built.idle_timeout, None);
        assert_eq!(built.alive_bypass, Duration::from_millis(50));
        assert_eq!(built.max_size, 7);
        assert_eq!(built.acquire_timeout, Duration::from_millis(200));
        assert_eq!(built.connect_timeout, None);
        assert_eq!(built.recycle_timeout, Duration::from_secs(1));
    }

    #[test]
    fn memory_and_test_mode_hold_one_connection() {
        let short = Some(Duration::from_millis(1));
        for url in ["sqlite::memory:", "sqlite://:memory:?max_connections=5"] {
            let memory = config(
                DatabaseBuilder::new(url)
                    .max_size(8)
                    .max_lifetime(short)
                    .idle_timeout(short),
            );
            assert_eq!(memory.max_size, 1);
            // Never closed on a timer: the database would go with the connection.
            assert_eq!((memory.max_lifetime, memory.idle_timeout), (None, None));
        }
        let test = config(
            DatabaseBuilder::new("sqlite://app.db")
                .force_rollback(true)
                .max_lifetime(short),
        );
        assert_eq!(test.max_size, 1);
        assert_eq!(test.max_lifetime, None);
        assert_eq!(
            config(DatabaseBuilder::new("sqlite://a.db").max_size(0)).max_size,
            1
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let text = format!("{:?}", DatabaseBuilder::new("postgres://u:s3cret@h/db"));
        assert!(!text.contains("s3cret"), "{text}");
    }
}
