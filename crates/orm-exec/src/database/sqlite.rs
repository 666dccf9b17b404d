//! [`InlineSqlite`]: how an async SQLite connection runs its statements.
//!
//! diesel-async drives a synchronous diesel connection through `SyncConnectionWrapper`,
//! which hands every statement to a [`SpawnBlocking`] runtime. Its default, tokio's
//! `spawn_blocking`, costs a thread hand-off and a wake-up per statement, which for a small
//! query is far more than the query itself. [`InlineSqlite`] runs the statement on the
//! calling thread instead (BENCHMARKS.md, rows A1, has the measured cost against blocking
//! diesel):
//!
//! - on a multi-thread tokio runtime, inside `tokio::task::block_in_place`, which moves the
//!   worker's other tasks to another thread while SQLite works, so the statement itself
//!   runs as blocking diesel runs it;
//! - on a current-thread runtime, where `block_in_place` panics, on tokio's blocking pool
//!   (`spawn_blocking`). If that future is dropped before the statement ends, dropping it
//!   waits for the statement: the connection is never shared with a statement still running,
//!   and a transaction's state is always known;
//! - outside any runtime, directly.
//!
//! A statement run inline cannot be cancelled half-way: a dropped future always leaves the
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

/// Runs a SQLite statement on the calling thread (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct InlineSqlite;

impl SpawnBlocking for InlineSqlite {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> TaskFuture<'a, R>
    where
        R: Send + 'static,
    {
        Box::pin(run(task))
    }

    fn get_runtime() -> Self {
        InlineSqlite
    }
}

thread_local! {
    /// Set by [`now`]: run every task directly, whatever the runtime.
    static FORCE_INLINE: Cell<bool> = const { Cell::new(false) };
}

/// Runs a blocking task as [`InlineSqlite`] does. Nothing runs until the future is polled.
pub(crate) async fn run<R>(task: impl FnOnce() -> R + Send + 'static) -> Result<R, TaskError>
where
    R: Send + 'static,
{
    if FORCE_INLINE.get() {
        return Ok(task());
    }
    let Ok(handle) = Handle::try_current() else {
        return Ok(task());
    };
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

    #[test]
    fn runs_on_the_blocking_pool_on_a_current_thread_runtime() {
        let (here, ran_on) = current_thread().block_on(async {
            let here = std::thread::current().id();
            (here, run(|| std::thread::current().id()).await.unwrap())
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
