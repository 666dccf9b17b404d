//! The runtime that drives a blocking PostgreSQL or MySQL connection.
//!
//! PostgreSQL and MySQL are reached through diesel-async's pure-Rust drivers; a blocking
//! [`Connection`](crate::Connection) wraps them in diesel-async's `AsyncConnectionWrapper`,
//! which runs every call to completion on a runtime of its own. diesel-async's default
//! runtime has no timer, so no connect timeout can run on it. [`BlockingRuntime`] is a
//! current-thread tokio runtime with I/O and timers, one per connection, and
//! `establish` bounds the whole connect (TCP, TLS, authentication, session setup) by the
//! URL's `connect_timeout` on that same runtime before handing it to the wrapper.
//!
//! Like every blocking connection, these must not be used from inside an async task (tokio
//! panics: "Cannot start a runtime from within a runtime"); use orm's async API there, or
//! `tokio::task::spawn_blocking`, whose threads may block.

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use diesel_async::async_connection_wrapper::{AsyncConnectionWrapper, BlockOn};
use diesel_async::AsyncConnection;
use orm_schema::Backend;

use crate::error::{Error, Result};
use crate::url::DatabaseUrl;

/// A current-thread tokio runtime with I/O and timers, owned by one blocking connection.
#[derive(Debug)]
pub struct BlockingRuntime {
    runtime: tokio::runtime::Runtime,
}

thread_local! {
    /// The runtime a connection was just established on, waiting for
    /// `AsyncConnectionWrapper::from` to ask for it (see [`establish`]).
    static ESTABLISHED_ON: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
}

impl BlockingRuntime {
    fn build() -> std::io::Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
    }
}

impl BlockOn for BlockingRuntime {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    fn get_runtime() -> Self {
        let runtime = ESTABLISHED_ON
            .with(|slot| slot.borrow_mut().take())
            .unwrap_or_else(|| Self::build().expect("cannot start a tokio runtime"));
        BlockingRuntime { runtime }
    }
}

/// Runs `connect` (which opens an async connection of type `C`) on a fresh
/// [`BlockingRuntime`], bounded by the URL's connect timeout, and wraps the connection for
/// blocking use on that same runtime.
pub(crate) fn establish<C, F>(
    url: &DatabaseUrl,
    backend: Backend,
    connect: impl FnOnce() -> F,
) -> Result<AsyncConnectionWrapper<C, BlockingRuntime>>
where
    C: AsyncConnection + 'static,
    F: Future<Output = Result<C>>,
{
    let connection_error = |message: String| Error::Connection {
        backend,
        message: format!("{message} (url: {})", url.redacted()),
        cause: crate::error::ConnectionCause::Other,
    };
    let runtime = BlockingRuntime::build()
        .map_err(|e| connection_error(format!("cannot start a tokio runtime: {e}")))?;
    let outcome = runtime.block_on(async {
        match url.connect_timeout() {
            Some(limit) => tokio::time::timeout(limit, connect()).await.ok(),
            None => Some(connect().await),
        }
    });
    let inner = match outcome {
        Some(result) => result?,
        None => {
            return Err(connection_error(format!(
                "timed out after {:?} connecting",
                url.connect_timeout().unwrap_or(Duration::ZERO)
            )))
        }
    };
    ESTABLISHED_ON.with(|slot| *slot.borrow_mut() = Some(runtime));
    let wrapper = AsyncConnectionWrapper::from(inner);
    debug_assert!(ESTABLISHED_ON.with(|slot| slot.borrow().is_none()));
    Ok(wrapper)
}
