//! [`InlineSqlite`]: how an async SQLite connection runs its statements.
//!
//! diesel-async drives a synchronous diesel connection through `SyncConnectionWrapper`,
//! which hands every statement to a [`SpawnBlocking`] runtime. Its default, tokio's
//! `spawn_blocking`, costs a thread hand-off and a wake-up per statement, which for a small
//! query is far more than the query itself. [`InlineSqlite`] runs the statement on the
//! calling thread instead wherever that cannot stall another task (BENCHMARKS.md, rows A1,
//! has the measured cost against blocking diesel):
//!
//! - on any tokio runtime, directly on the calling thread while no other connection of the
//!   same pool is checked out (the pool counts its checkouts);
//! - otherwise, on a multi-thread runtime, inside `tokio::task::block_in_place`, which
//!   moves the worker's other tasks to another thread while SQLite works (a hand-off of
//!   the worker, so a few microseconds more per statement), and on a current-thread runtime
//!   (`#[tokio::main(flavor = "current_thread")]`, `#[tokio::test]`) on tokio's blocking
//!   pool (`spawn_blocking`);
//! - outside any runtime, directly.
//!
//! ## Why a statement runs inline only while its connection is alone
//!
//! A statement run on a runtime's thread holds that thread until it ends (on a current-thread
//! runtime, the runtime's only one), and a
//! SQLite statement can wait: for the write lock, up to the connection's `busy_timeout`.
//! If the lock is held by another connection of the same pool whose task is parked on this
//! thread (inside a transaction, between two statements), that task may not run to release
//! it while the thread waits (a multi-thread runtime's other workers take over only some of
//! a blocked worker's tasks), and the statement would fail with "database is locked" after
//! the timeout where on another thread it would simply have waited its turn. A pool with
//! no other connection checked out has no such task: idle connections hold no lock (a
//! connection returned inside a transaction is rolled back first), and the decision is
//! made again for every statement, at the moment it starts. So a single task, or tasks
//! that take turns, get every statement inline; tasks that hold connections at the same
//! time get the hand-off, as before.
//!
//! What it gives up: while an inline statement runs, the tasks waiting for its thread wait
//! for it (as they would for any blocking call there; on a multi-thread runtime the other
//! workers take over what they can), including while it waits for a lock held by another
//! process, another pool or a blocking connection, up to `busy_timeout`, and while a long
//! statement (a scan of many rows) works. A lock held by a blocking connection or another
//! pool *whose owner is parked on the same thread* is therefore not waited out: the
//! statement fails after `busy_timeout` with the database-locked error. Use one pool per
//! database file in a process (a [`Database`](crate::Database) is cheap to clone). Tasks
//! that hold connections of the pool at the same time get the hand-off, so a busy server
//! keeps its workers free.
//!
//! When a future with a statement on tokio's blocking pool is dropped before the statement
//! ends, dropping it waits for the statement: the connection is never shared with a
//! statement still running, and a transaction's state is always known. A statement run
//! inline cannot be cancelled half-way either: a dropped future always leaves the
//! connection between statements, which is what makes a dropped transaction repairable
//! (see [`Pooled`](super::Pooled)).

use std::cell::Cell;
use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use diesel_async::sync_connection_wrapper::SpawnBlocking;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::task::JoinHandle;

use super::pool::CheckedOut;

/// An error from running a blocking task (it panicked, or its runtime shut down).
pub(crate) type TaskError = Box<dyn StdError + Send + Sync + 'static>;

/// The boxed future [`SpawnBlocking`] returns.
type TaskFuture<'a, R> = Pin<Box<dyn Future<Output = Result<R, TaskError>> + Send + 'a>>;

/// diesel-async's SQLite connection as orm runs it: diesel's `SqliteConnection` behind
/// `SyncConnectionWrapper`, its statements run by [`InlineSqlite`].
pub type AsyncSqlite = diesel_async::sync_connection_wrapper::SyncConnectionWrapper<
    diesel::SqliteConnection,
    InlineSqlite,
>;

/// Runs a SQLite statement on the calling thread where that cannot stall another task
/// (see the module documentation).
///
/// The default value knows no pool: on a current-thread runtime its statements always go
/// to tokio's blocking pool. A [`Database`](crate::Database)'s connections carry their
/// pool's count of checked-out connections.
#[derive(Debug, Clone, Default)]
pub struct InlineSqlite {
    /// How many connections of this connection's pool are checked out.
    pool: Option<CheckedOut>,
}

impl InlineSqlite {
    /// Runs the statements of a connection of the pool that `pool` counts.
    pub(crate) fn pooled(pool: CheckedOut) -> Self {
        InlineSqlite { pool: Some(pool) }
    }
}

impl SpawnBlocking for InlineSqlite {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> TaskFuture<'a, R>
    where
        R: Send + 'static,
    {
        let pool = self.pool.clone();
        Box::pin(run_alone_inline(task, move || {
            pool.as_ref().is_some_and(CheckedOut::alone)
        }))
    }

    fn get_runtime() -> Self {
        InlineSqlite::default()
    }
}

thread_local! {
    /// Set by [`now`]: run every task directly, whatever the runtime.
    static FORCE_INLINE: Cell<bool> = const { Cell::new(false) };
}

/// Runs a blocking task as a connection that knows no pool does: on a current-thread
/// runtime, on tokio's blocking pool. Nothing runs until the future is polled.
pub(crate) async fn run<R>(task: impl FnOnce() -> R + Send + 'static) -> Result<R, TaskError>
where
    R: Send + 'static,
{
    run_alone_inline(task, || false).await
}

/// Runs a blocking task as [`InlineSqlite`] does, where `alone` says, when the task starts,
/// whether it may run inline on a current-thread runtime. Nothing runs until the future is
/// polled.
async fn run_alone_inline<R>(
    task: impl FnOnce() -> R + Send + 'static,
    alone: impl FnOnce() -> bool,
) -> Result<R, TaskError>
where
    R: Send + 'static,
{
    if FORCE_INLINE.get() {
        return Ok(task());
    }
    let Ok(handle) = Handle::try_current() else {
        return Ok(task());
    };
    if alone() {
        return Ok(task());
    }
    if handle.runtime_flavor() == RuntimeFlavor::MultiThread {
        return Ok(tokio::task::block_in_place(task));
    }
    OnBlockingThread::spawn(&handle, task).await
}

/// Polls `future` once with every [`InlineSqlite`] task run directly on this thread, so
/// that SQLite work completes synchronously (used where no `.await` is possible: `Drop`).
/// `None` if it did not complete.
pub(crate) fn now<T>(future: impl Future<Output = T>) -> Option<T> {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            FORCE_INLINE.set(self.0);
        }
    }
    struct NoWake;
    impl Wake for NoWake {
        fn wake(self: Arc<Self>) {}
    }

    let _reset = Reset(FORCE_INLINE.replace(true));
    let waker = Waker::from(Arc::new(NoWake));
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// A task on tokio's blocking pool whose future, when dropped early, waits for the task.
struct OnBlockingThread<R> {
    handle: JoinHandle<R>,
    done: Arc<Done>,
}

/// Whether a blocking task has finished (or was dropped without running).
#[derive(Default)]
struct Done {
    finished: Mutex<bool>,
    signal: Condvar,
}

/// Marks its [`Done`] finished when dropped: after the task ran, or with the task unrun.
struct FinishOnDrop(Arc<Done>);

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        *self
            .0
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = true;
        self.0.signal.notify_all();
    }
}

impl<R: Send + 'static> OnBlockingThread<R> {
    fn spawn(handle: &Handle, task: impl FnOnce() -> R + Send + 'static) -> Self {
        let done = Arc::new(Done::default());
        let finish = FinishOnDrop(Arc::clone(&done));
        let handle = handle.spawn_blocking(move || {
            let _finish = finish;
            task()
        });
        OnBlockingThread { handle, done }
    }
}

impl<R> Future for OnBlockingThread<R> {
    type Output = Result<R, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().handle)
            .poll(cx)
            .map(|joined| joined.map_err(TaskError::from))
    }
}

impl<R> Drop for OnBlockingThread<R> {
    fn drop(&mut self) {
        let mut finished = self
            .done
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while !*finished {
            finished = self
                .done
                .signal
                .wait(finished)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn runs_inline_on_a_multi_thread_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let caller = runtime.block_on(async {
            let here = std::thread::current().id();
            let ran_on = run(|| std::thread::current().id()).await.unwrap();
            (here, ran_on)
        });
        assert_eq!(caller.0, caller.1);
    }

    /// Whether a task spawned on a one-worker multi-thread runtime runs while a statement
    /// of a connection of the pool `pool` counts sleeps: only if the statement handed the
    /// worker over.
    fn others_ran_meanwhile(pool: &CheckedOut) -> bool {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let mut inline = InlineSqlite::pooled(pool.clone());
        runtime.block_on(async move {
            let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let other = Arc::clone(&ran);
            let statement = tokio::spawn(async move {
                // Spawned from the worker, so it is queued there behind this task.
                let _other = tokio::spawn(async move {
                    other.store(true, std::sync::atomic::Ordering::SeqCst);
                });
                inline
                    .spawn_blocking(move || {
                        std::thread::sleep(std::time::Duration::from_millis(200));
                        ran.load(std::sync::atomic::Ordering::SeqCst)
                    })
                    .await
                    .unwrap()
            });
            statement.await.unwrap()
        })
    }

    #[test]
    fn on_a_multi_thread_runtime_hands_the_worker_over_only_when_not_alone() {
        let pool = CheckedOut::default();
        let _mine = pool.hold();
        assert!(
            !others_ran_meanwhile(&pool),
            "alone: the statement runs inline"
        );
        let _other = pool.hold();
        assert!(others_ran_meanwhile(&pool), "not alone: block_in_place");
    }

    #[test]
    fn runs_on_the_blocking_pool_on_a_current_thread_runtime() {
        let (here, ran_on) = current_thread().block_on(async {
            let here = std::thread::current().id();
            (here, run(|| std::thread::current().id()).await.unwrap())
        });
        assert_ne!(here, ran_on);
    }

    /// Runs a task as a connection of the pool `pool` counts does; the thread it ran on.
    fn ran_on(pool: &CheckedOut) -> std::thread::ThreadId {
        let mut runtime = InlineSqlite::pooled(pool.clone());
        current_thread().block_on(async move {
            runtime
                .spawn_blocking(|| std::thread::current().id())
                .await
                .unwrap()
        })
    }

    #[test]
    fn runs_inline_on_a_current_thread_runtime_while_alone_in_its_pool() {
        let here = std::thread::current().id();
        let pool = CheckedOut::default();
        // No connection checked out (a pool's own checks), then only this one.
        assert_eq!(ran_on(&pool), here);
        let mine = pool.hold();
        assert_eq!(ran_on(&pool), here);
        // Another connection of the pool is out: its task may hold a lock this statement
        // would wait for, so the statement leaves the runtime's thread.
        let other = pool.hold();
        assert_ne!(ran_on(&pool), here);
        drop(other);
        assert_eq!(ran_on(&pool), here);
        drop(mine);
        assert_eq!(pool.now(), 0);
    }

    #[test]
    fn decides_when_the_statement_starts_not_when_it_is_made() {
        let pool = CheckedOut::default();
        let _mine = pool.hold();
        let mut runtime = InlineSqlite::pooled(pool.clone());
        let (here, ran_on) = current_thread().block_on(async move {
            let statement = runtime.spawn_blocking(|| std::thread::current().id());
            let _other = pool.hold();
            (std::thread::current().id(), statement.await.unwrap())
        });
        assert_ne!(here, ran_on);
    }

    #[test]
    fn a_dropped_future_waits_for_its_task() {
        let finished = Arc::new(Mutex::new(false));
        let seen = Arc::clone(&finished);
        current_thread().block_on(async move {
            let future = run(move || {
                std::thread::sleep(std::time::Duration::from_millis(100));
                *seen.lock().unwrap() = true;
            });
            let mut future = Box::pin(future);
            // Start the task, then drop the future while it runs.
            assert!(now_pending(future.as_mut()));
            drop(future);
        });
        assert!(*finished.lock().unwrap());
    }

    /// Polls once without forcing inline execution; whether the future is still pending.
    fn now_pending<F: Future>(future: Pin<&mut F>) -> bool {
        struct NoWake;
        impl Wake for NoWake {
            fn wake(self: Arc<Self>) {}
        }
        let waker = Waker::from(Arc::new(NoWake));
        future.poll(&mut Context::from_waker(&waker)).is_pending()
    }

    #[test]
    fn now_runs_directly_even_on_a_current_thread_runtime() {
        let (here, ran_on) = current_thread().block_on(async {
            let here = std::thread::current().id();
            (
                here,
                now(run(|| std::thread::current().id())).unwrap().unwrap(),
            )
        });
        assert_eq!(here, ran_on);
    }
}
