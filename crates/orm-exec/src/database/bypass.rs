//! [`Bypass`]: diesel-async's deadpool manager with an alive-bypass window (HikariCP's
//! design): a connection checked out again within the window of its last checkout skips
//! the `SELECT 1` check and gets only the driver's own broken check, which costs no round
//! trip.
//!
//! On PostgreSQL that broken check sees a session the server ended (tokio-postgres reads
//! the socket in the background, so the server's goodbye closes the client), which is why
//! the window is on by default there. MySQL's driver notices a closed connection only
//! when it next uses it, so there the window is off unless set.
//!
//! It also closes, at checkout, a connection older than the pool's max lifetime or whose
//! last checkout is longer ago than its idle timeout; deadpool then opens another.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::PoolConfig;
use deadpool::managed::{Manager, Metrics, RecycleError, RecycleResult};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, PoolError, PoolableConnection,
};

/// The pool manager of connection type `C`: diesel-async's, with the window.
pub struct Bypass<C: PoolableConnection + 'static> {
    inner: AsyncDieselConnectionManager<C>,
    window: Duration,
    limits: Limits,
    /// Checkouts deadpool's metrics do not see (see [`LastCheckouts`]).
    checkouts: Arc<LastCheckouts>,
}

/// A pool's max lifetime and idle timeout, checked at checkout: by the manager, and by
/// `super::at_hand` for the connection kept there.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    max_lifetime: Option<Duration>,
    pub(super) idle_timeout: Option<Duration>,
}

impl Limits {
    /// `config`'s limits.
    pub(super) fn of(config: &PoolConfig) -> Self {
        Limits {
            max_lifetime: config.max_lifetime,
            idle_timeout: config.idle_timeout,
        }
    }

    /// Why a connection opened at `created` and last checked out at `last_checkout` is
    /// closed at `now`, if it is: its age counts from `created`, its idle time from
    /// `last_checkout`.
    pub(super) fn exceeded(
        &self,
        now: Instant,
        created: Instant,
        last_checkout: Instant,
    ) -> Option<&'static str> {
        if self
            .max_lifetime
            .is_some_and(|limit| now.saturating_duration_since(created) >= limit)
        {
            return Some("past its max lifetime");
        }
        if self
            .idle_timeout
            .is_some_and(|limit| now.saturating_duration_since(last_checkout) >= limit)
        {
            return Some("idle past the idle timeout");
        }
        None
    }
}

/// A connection's last checkout through deadpool (its creation if it has had none).
pub(super) fn deadpool_checkout(metrics: &Metrics) -> Instant {
    metrics.recycled.unwrap_or(metrics.created)
}

/// When connections returned to deadpool were last checked out, where deadpool's metrics
/// (which only its own checkouts update) are older: a connection kept at hand
/// (`super::at_hand`) is checked out past deadpool, and recorded here when it goes back
/// into deadpool, so that its idle time counts from its true last checkout. Keyed by the
/// connection's creation time; at most one entry per connection, taken at its next
/// deadpool checkout.
#[derive(Debug, Default)]
pub struct LastCheckouts(Mutex<Vec<(Instant, Instant)>>);

impl LastCheckouts {
    /// Records that the connection created at `created` was last checked out at `at`.
    pub(super) fn record(&self, created: Instant, at: Instant) {
        let mut entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|(other, _)| *other != created);
        entries.push((created, at));
    }

    /// The recorded last checkout of the connection created at `created`, removed.
    fn take(&self, created: Instant) -> Option<Instant> {
        let mut entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let at = entries.iter().position(|(other, _)| *other == created)?;
        Some(entries.swap_remove(at).1)
    }
}

impl<C: PoolableConnection + 'static> std::fmt::Debug for Bypass<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bypass")
            .field("window", &self.window)
            .field("max_lifetime", &self.limits.max_lifetime)
            .field("idle_timeout", &self.limits.idle_timeout)
            .finish_non_exhaustive()
    }
}

impl<C: PoolableConnection + 'static> Bypass<C> {
    /// `inner`, skipping its check for connections checked out within the pool's
    /// alive-bypass window (zero: always check), replacing those past its max lifetime or
    /// idle timeout.
    pub(super) fn new(
        inner: AsyncDieselConnectionManager<C>,
        config: &PoolConfig,
        checkouts: &Arc<LastCheckouts>,
    ) -> Self {
        Bypass {
            inner,
            window: config.alive_bypass,
            limits: Limits::of(config),
            checkouts: Arc::clone(checkouts),
        }
    }
}

impl<C> Manager for Bypass<C>
where
    C: PoolableConnection + 'static,
    AsyncDieselConnectionManager<C>: Manager<Type = C, Error = PoolError>,
{
    type Type = C;
    type Error = PoolError;

    async fn create(&self) -> Result<C, PoolError> {
        self.inner.create().await
    }

    async fn recycle(&self, conn: &mut C, metrics: &Metrics) -> RecycleResult<PoolError> {
        // One clock read for the three checks (`Metrics::age` and `last_used` each read it).
        let now = Instant::now();
        let mut last_checkout = deadpool_checkout(metrics);
        if let Some(at) = self.checkouts.take(metrics.created) {
            last_checkout = last_checkout.max(at);
        }
        if let Some(why) = self.limits.exceeded(now, metrics.created, last_checkout) {
            return Err(RecycleError::Message(why.into()));
        }
        let idle = now.saturating_duration_since(last_checkout);
        if self.window.is_zero() || idle >= self.window {
            return self.inner.recycle(conn, metrics).await;
        }
        if std::thread::panicking() || conn.is_broken() {
            return Err(RecycleError::Message("Broken connection".into()));
        }
        Ok(())
    }

    fn detach(&self, conn: &mut C) {
        self.inner.detach(conn)
    }
}
