//! [`AtHand`]: a SQLite pool's last returned connection, kept beside deadpool so that the
//! next checkout takes it with one lock (the idea of HikariCP's `ConcurrentBag`, which
//! hands a thread the connection it used last).
//!
//! A deadpool checkout and return cost a semaphore permit, the pool's queue lock (twice),
//! the recycle hooks and the connection's metrics; on SQLite, where a statement is a
//! microsecond or two, that is a large part of a small read through a
//! [`Database`](crate::Database). A task that runs its operations one after another (or
//! tasks that take turns) now gets the kept connection back each time; deadpool serves
//! the checkouts that find nothing kept (while another holds it, or after it went back to
//! deadpool for a waiting task).
//!
//! The kept connection stays counted by deadpool as checked out, so the pool's size limit
//! holds as before. It is never kept from a checkout that waits: a checkout first counts
//! itself as wanting (until it holds a connection) and then looks here; a returned
//! connection is kept only while nobody wants one, and once kept, it goes back to deadpool
//! if a checkout started meanwhile. One of the two always sees the other: either the
//! checkout finds the connection here, or the return sees the checkout counted and hands
//! the connection to deadpool, where that checkout waits for it.
//!
//! The pool's max lifetime and idle timeout hold for the kept connection too, counted as
//! deadpool's recycling counts them (the age since it was opened, the idle time since its
//! last checkout): one past either is closed at checkout, and the checkout goes on to
//! deadpool. A connection that goes back to deadpool leaves its last checkout with the
//! pool's manager ([`LastCheckouts`]), since deadpool's metrics see only deadpool's own
//! checkouts: one in steady use through the slot is not taken for idle there. Test mode
//! ([`force_rollback`](crate::DatabaseBuilder::force_rollback)) keeps nothing here.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use deadpool::managed::Object;

use super::backend::PoolBackend;
use super::bypass::{deadpool_checkout, LastCheckouts, Limits};
use super::config::PoolConfig;
use super::pooled::Checked;

/// A pool's connection kept out of deadpool between two checkouts (see the module
/// documentation).
pub(super) struct AtHand<C: PoolBackend> {
    kept: Mutex<Option<Kept<C>>>,
    /// Checkouts under way that hold no connection yet.
    wanting: AtomicUsize,
    limits: Limits,
    /// Where a connection going back to deadpool leaves its last checkout, which
    /// deadpool's metrics do not see when it was taken from here.
    checkouts: Arc<LastCheckouts>,
}

/// The kept connection, and when it was last checked out.
struct Kept<C: PoolBackend> {
    object: Checked<C>,
    checked_out: Instant,
}

/// Where a checked-out connection of a pool with an [`AtHand`] goes back to, and when it
/// was checked out.
pub(super) struct Hand<C: PoolBackend> {
    at_hand: Arc<AtHand<C>>,
    checked_out: Instant,
}

impl<C: PoolBackend> Hand<C> {
    /// `object`, checked out of deadpool, goes back to `at_hand`.
    pub(super) fn new(at_hand: &Arc<AtHand<C>>, object: &Object<C::Manager>) -> Self {
        Hand {
            at_hand: Arc::clone(at_hand),
            checked_out: deadpool_checkout(Object::metrics(object)),
        }
    }

    /// Keeps `object`, returned in a good state (see [`AtHand::put`]).
    pub(super) fn put(self, object: Checked<C>) {
        self.at_hand.put(object, self.checked_out);
    }
}

impl<C: PoolBackend> AtHand<C> {
    /// Nothing kept yet; kept connections are held to `config`'s max lifetime and idle
    /// timeout. (Only SQLite's pools keep one.)
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(super) fn new(config: &PoolConfig, checkouts: &Arc<LastCheckouts>) -> Self {
        AtHand {
            kept: Mutex::new(None),
            wanting: AtomicUsize::new(0),
            limits: Limits::of(config),
            checkouts: Arc::clone(checkouts),
        }
    }

    /// Counts a checkout as wanting a connection until the returned guard is dropped (once
    /// it holds one, or has failed).
    pub(super) fn want(&self) -> Wanting<'_, C> {
        self.wanting.fetch_add(1, Ordering::SeqCst);
        Wanting(self)
    }

    /// The kept connection, if there is one still within the max lifetime and idle
    /// timeout (one past either is closed here), with where it goes back to.
    pub(super) fn take(
        self: &Arc<Self>,
        _wanting: &Wanting<'_, C>,
    ) -> Option<(Checked<C>, Hand<C>)> {
        let kept = self.slot().take()?;
        // The manager's check (`super::bypass`), on the kept connection's last checkout.
        let now = Instant::now();
        let created = Object::metrics(&kept.object).created;
        if self
            .limits
            .exceeded(now, created, kept.checked_out)
            .is_some()
        {
            // Closed, not returned: deadpool opens another when one is wanted.
            drop(Object::take(*kept.object));
            return None;
        }
        let hand = Hand {
            at_hand: Arc::clone(self),
            checked_out: now,
        };
        Some((kept.object, hand))
    }

    /// Keeps `object`, returned in a good state, unless a connection is kept already or a
    /// checkout is under way: then it goes back to deadpool.
    fn put(&self, object: Checked<C>, checked_out: Instant) {
        if self.wanting.load(Ordering::SeqCst) > 0 {
            return self.to_deadpool(object, checked_out);
        }
        {
            let mut slot = self.slot();
            if slot.is_none() {
                *slot = Some(Kept {
                    object,
                    checked_out,
                });
            } else {
                drop(slot);
                return self.to_deadpool(object, checked_out);
            }
        }
        // A checkout that started before the connection was kept may have looked here
        // first and be waiting in deadpool: hand the connection over there.
        if self.wanting.load(Ordering::SeqCst) > 0 {
            let back = self.slot().take();
            if let Some(kept) = back {
                self.to_deadpool(kept.object, kept.checked_out);
            }
        }
    }

    /// Returns `object` to deadpool, leaving its last checkout (`checked_out`) for
    /// deadpool's idle-timeout check, whose metrics see only deadpool's own checkouts.
    fn to_deadpool(&self, object: Checked<C>, checked_out: Instant) {
        if self.limits.idle_timeout.is_some() {
            let created = Object::metrics(&object).created;
            self.checkouts.record(created, checked_out);
        }
        drop(object);
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Kept<C>>> {
        // The slot's value is whole at every point a panic could leave it.
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A checkout counted as wanting a connection (see [`AtHand::want`]).
pub(super) struct Wanting<'a, C: PoolBackend>(&'a AtHand<C>);

impl<C: PoolBackend> Drop for Wanting<'_, C> {
    fn drop(&mut self) {
        self.0.wanting.fetch_sub(1, Ordering::SeqCst);
    }
}
