//! The deadpool pools behind a [`Database`](crate::Database): diesel-async's
//! `AsyncDieselConnectionManager` per backend, with
//!
//! - a `custom_setup` that opens connections as the blocking side does ([`PoolBackend`]),
//!   and in test mode opens the one connection inside a test transaction and refuses to
//!   open another;
//! - `RecyclingMethod::Verified` on PostgreSQL and MySQL (a `SELECT 1` on checkout, so a
//!   connection killed by a server restart or `pg_terminate_backend` is replaced, not
//!   handed out: deadpool #346, #395), except within the alive-bypass window of the
//!   connection's last checkout ([`super::bypass`]; PostgreSQL only by default), where
//!   the driver's own broken check runs instead; `Fast` on SQLite (nothing can kill it)
//!   and in test mode (the only connection cannot be replaced anyway);
//! - wait, create and (on the servers, whose check is a round trip) recycle timeouts
//!   always set (deadpool's defaults wait forever); a checkout first tries without
//!   waiting, so the wait timeout's timer is made only when the pool is empty.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool::managed::{Pool, PoolError, TimeoutType, Timeouts};
use diesel::result::ConnectionError;
use diesel_async::pooled_connection::{ManagerConfig, PoolError as ManagerError, RecyclingMethod};
use orm_schema::Backend;

use super::at_hand::{AtHand, Hand, Wanting};
use super::backend::PoolBackend;
use super::bypass::LastCheckouts;
use super::config::PoolConfig;
use super::pooled::{Pooled, PooledConnection};
use crate::error::{Error, Result};
use crate::url::DatabaseUrl;

/// A database's pool, and what its connections are opened with.
pub(super) struct Pools {
    kind: Kind,
    setup: Arc<Setup>,
}

/// One pool per enabled backend; a database has the one its URL names.
enum Kind {
    /// With the connection kept at hand between checkouts, except in test mode (whose
    /// checkout repairs the one connection).
    #[cfg(feature = "sqlite")]
    Sqlite(
        Pool<<super::AsyncSqlite as PoolBackend>::Manager>,
        Option<Arc<AtHand<super::AsyncSqlite>>>,
    ),
    #[cfg(feature = "postgres")]
    Postgres(Pool<<diesel_async::AsyncPgConnection as PoolBackend>::Manager>),
    #[cfg(feature = "mysql")]
    Mysql(Pool<<diesel_async::AsyncMysqlConnection as PoolBackend>::Manager>),
    #[cfg(feature = "mysql")]
    Mariadb(Pool<<diesel_async::AsyncMariadbConnection as PoolBackend>::Manager>),
}

impl Pools {
    /// The pool for `url` (no connection is opened yet).
    pub(super) fn new(url: &DatabaseUrl, config: &PoolConfig) -> Result<Pools> {
        let setup = Arc::new(Setup {
            url: url.clone(),
            force_rollback: config.force_rollback,
            opened: AtomicBool::new(false),
            failed: Mutex::new(None),
            checked_out: CheckedOut::default(),
            checkouts: Arc::default(),
        });
        let kind = match url.backend() {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => build::<super::AsyncSqlite>(&setup, config).map(|pool| {
                let at_hand = (!config.force_rollback)
                    .then(|| Arc::new(AtHand::new(config, &setup.checkouts)));
                Kind::Sqlite(pool, at_hand)
            }),
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                build::<diesel_async::AsyncPgConnection>(&setup, config).map(Kind::Postgres)
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql if url.mariadb() => {
                build::<diesel_async::AsyncMariadbConnection>(&setup, config).map(Kind::Mariadb)
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                build::<diesel_async::AsyncMysqlConnection>(&setup, config).map(Kind::Mysql)
            }
            #[allow(unreachable_patterns)]
            backend => Err(Error::UnsupportedBackend {
                scheme: backend.name().to_owned(),
                reason: format!(
                    "support for {backend} is not compiled in: enable the `{}` feature of orm",
                    backend.name()
                ),
            }),
        }?;
        Ok(Pools { kind, setup })
    }

    /// The connection kept at hand, if this pool keeps one (SQLite, not in test mode) and
    /// it is there: a checkout with nothing to wait for, made without a future (see
    /// [`super::at_hand`]). `None` sends the caller to [`Pools::get`].
    pub(super) fn at_hand(&self) -> Option<PooledConnection> {
        match &self.kind {
            #[cfg(feature = "sqlite")]
            Kind::Sqlite(_, Some(at_hand)) => {
                take_at_hand(at_hand, &at_hand.want(), &self.setup).map(PooledConnection::Sqlite)
            }
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Checks a connection out (see [`Database::get`](crate::Database::get), which boxes
    /// this future: the servers' checkouts, which hold a `SELECT 1` check, are several
    /// times SQLite's).
    pub(super) async fn get(
        &self,
        url: &DatabaseUrl,
        config: &PoolConfig,
    ) -> Result<PooledConnection> {
        let setup = &self.setup;
        match &self.kind {
            #[cfg(feature = "sqlite")]
            Kind::Sqlite(pool, at_hand) => checkout(pool, at_hand.as_ref(), url, config, setup)
                .await
                .map(PooledConnection::Sqlite),
            #[cfg(feature = "postgres")]
            Kind::Postgres(pool) => checkout(pool, None, url, config, setup)
                .await
                .map(PooledConnection::Postgres),
            #[cfg(feature = "mysql")]
            Kind::Mysql(pool) => checkout(pool, None, url, config, setup)
                .await
                .map(PooledConnection::Mysql),
            #[cfg(feature = "mysql")]
            Kind::Mariadb(pool) => checkout(pool, None, url, config, setup)
                .await
                .map(PooledConnection::Mariadb),
        }
    }
}

/// What opening a pooled connection needs.
struct Setup {
    url: DatabaseUrl,
    force_rollback: bool,
    /// Test mode: whether the one connection was opened already.
    opened: AtomicBool,
    /// The error of the last failed open, kept whole (its type and cause) for
    /// [`pool_error`], as diesel-async's setup callback can only return a message.
    failed: Mutex<Option<Error>>,
    /// How many of the pool's connections are checked out.
    checked_out: CheckedOut,
    /// Checkouts past deadpool (of connections kept at hand), for its idle timeout.
    checkouts: Arc<LastCheckouts>,
}

impl Setup {
    /// Opens a connection; in test mode the only one, inside its outer transaction.
    async fn open<C: PoolBackend>(&self) -> Result<C> {
        if self.force_rollback && self.opened.swap(true, Ordering::SeqCst) {
            return Err(Error::Connection {
                backend: C::BACKEND,
                message: "the force_rollback connection was lost, and with it everything \
                          written through this database; open a new one"
                    .into(),
                cause: crate::error::ConnectionCause::Other,
            });
        }
        let mut conn = C::connect(&self.url, &self.checked_out).await?;
        if self.force_rollback {
            conn.begin_test_transaction()
                .await
                .map_err(|e| Error::from_diesel(e, C::BACKEND))?;
        }
        Ok(conn)
    }

    /// diesel-async's setup callback can only return a `ConnectionError`: the error itself
    /// is kept for [`pool_error`], which returns it as the blocking side would.
    fn connection_error(&self, err: Error) -> ConnectionError {
        let message = err.to_string();
        *self.failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(err);
        ConnectionError::BadConnection(message)
    }

    /// The error of the last failed open, if one is kept.
    fn take_failure(&self) -> Option<Error> {
        self.failed.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// A pool of `C` connections with `config`'s size and timeouts.
fn build<C: PoolBackend>(setup: &Arc<Setup>, config: &PoolConfig) -> Result<Pool<C::Manager>> {
    let mut manager_config = ManagerConfig::<C>::default();
    manager_config.recycling_method = if setup.force_rollback || C::BACKEND == Backend::Sqlite {
        RecyclingMethod::Fast
    } else {
        RecyclingMethod::Verified
    };
    let for_setup = Arc::clone(setup);
    manager_config.custom_setup = Box::new(move |_url| {
        let setup = Arc::clone(&for_setup);
        Box::pin(async move {
            setup
                .open::<C>()
                .await
                .map_err(|e| setup.connection_error(e))
        })
    });
    Pool::builder(C::manager(
        setup.url.redacted(),
        manager_config,
        config,
        &setup.checkouts,
    ))
    .max_size(config.max_size)
    .wait_timeout(Some(config.acquire_timeout))
    .create_timeout(config.connect_timeout)
    // SQLite's recycling does no I/O (`Fast`, and the bypass manager's checks): no timer.
    .recycle_timeout((C::BACKEND != Backend::Sqlite).then_some(config.recycle_timeout))
    .runtime(deadpool::Runtime::Tokio1)
    .build()
    .map_err(|e| Error::Connection {
        backend: C::BACKEND,
        message: format!("cannot build the pool: {e}"),
        cause: crate::error::ConnectionCause::Other,
    })
}

/// Checks a connection out of `pool`, taking the one kept `at_hand` first if there is
/// one; in test mode rolls back savepoints a dropped future left open.
async fn checkout<C: PoolBackend>(
    pool: &Pool<C::Manager>,
    at_hand: Option<&Arc<AtHand<C>>>,
    url: &DatabaseUrl,
    config: &PoolConfig,
    setup: &Setup,
) -> Result<Pooled<C>> {
    // Counted as wanting before it looks, until it holds a connection (see `at_hand`).
    let wanting = at_hand.map(|kept| kept.want());
    if let (Some(kept), Some(wanting)) = (at_hand, &wanting) {
        if let Some(conn) = take_at_hand(kept, wanting, setup) {
            return Ok(conn);
        }
    }
    // First without waiting (deadpool then skips the wait timeout's timer): a permit is
    // free only when nobody is queued, so this never overtakes a waiting task.
    let now = Timeouts {
        wait: Some(Duration::ZERO),
        ..pool.timeouts()
    };
    let object = match pool.timeout_get(&now).await {
        Err(PoolError::Timeout(TimeoutType::Wait)) => {
            let started = Instant::now();
            pool.get()
                .await
                .map_err(|e| pool_error(e, C::BACKEND, url, config, started, setup))
        }
        got => got.map_err(|e| pool_error(e, C::BACKEND, url, config, Instant::now(), setup)),
    }?;
    let hand = at_hand.map(|kept| Hand::new(kept, &object));
    let mut conn = Pooled::<C>::new(
        Box::new(object),
        u32::from(config.force_rollback),
        setup.checked_out.hold(),
        hand,
    );
    drop(wanting);
    if config.force_rollback {
        conn.restore_base_depth().await?;
    }
    Ok(conn)
}

/// The connection kept `at_hand`, checked out, if it is there and still usable.
fn take_at_hand<C: PoolBackend>(
    at_hand: &Arc<AtHand<C>>,
    wanting: &Wanting<'_, C>,
    setup: &Setup,
) -> Option<Pooled<C>> {
    let (object, hand) = at_hand.take(wanting)?;
    Some(Pooled::new(object, 0, setup.checked_out.hold(), Some(hand)))
}

/// The [`Error`] for a failed checkout.
fn pool_error(
    err: PoolError<ManagerError>,
    backend: Backend,
    url: &DatabaseUrl,
    config: &PoolConfig,
    started: Instant,
    setup: &Setup,
) -> Error {
    let connection = |message: String| Error::Connection {
        backend,
        message: format!("{message} (url: {})", url.redacted()),
        cause: crate::error::ConnectionCause::Other,
    };
    match err {
        PoolError::Timeout(TimeoutType::Wait) => Error::PoolTimeout {
            waited: started.elapsed(),
        },
        PoolError::Timeout(TimeoutType::Create) => connection(format!(
            "timed out after {:?} connecting",
            config.connect_timeout.unwrap_or_default()
        )),
        PoolError::Timeout(TimeoutType::Recycle) => {
            connection("timed out checking a pooled connection".into())
        }
        PoolError::Backend(ManagerError::ConnectionError(e)) => setup
            .take_failure()
            .unwrap_or_else(|| Error::from_connection_error(e, backend, url.redacted())),
        PoolError::Backend(ManagerError::QueryError(e)) => Error::from_diesel(e, backend),
        PoolError::Closed => connection("the pool is closed".into()),
        PoolError::NoRuntimeSpecified => connection("the pool has no timer runtime".into()),
        PoolError::PostCreateHook(e) => connection(e.to_string()),
    }
}

/// How many connections of one pool are checked out: shared by the pool and its SQLite
/// connections, which run inline on a current-thread runtime only while it is at most one
/// (their own; see [`InlineSqlite`](super::InlineSqlite)).
#[derive(Debug, Clone, Default)]
#[doc(hidden)]
pub struct CheckedOut(Arc<AtomicUsize>);

impl CheckedOut {
    /// Counts one more checked-out connection until the returned guard is dropped.
    pub(crate) fn hold(&self) -> Held {
        self.0.fetch_add(1, Ordering::AcqRel);
        Held(self.clone())
    }

    /// Whether at most one connection is checked out.
    #[cfg(feature = "sqlite")]
    pub(crate) fn alone(&self) -> bool {
        self.0.load(Ordering::Acquire) <= 1
    }

    /// How many connections are checked out now.
    #[cfg(test)]
    pub(crate) fn now(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }
}

/// One checked-out connection, counted by its pool's [`CheckedOut`] until dropped.
#[derive(Debug)]
pub(crate) struct Held(CheckedOut);

impl Drop for Held {
    fn drop(&mut self) {
        (self.0).0.fetch_sub(1, Ordering::AcqRel);
    }
}
