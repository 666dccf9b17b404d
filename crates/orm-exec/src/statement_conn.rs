//! [`StatementConn`]: the one interface orm's multi-statement logic (persistence's create,
//! get_or_create, bulk_create, ...) is written against, once, for blocking and async
//! connections alike.
//!
//! The logic is async. On an async connection (diesel-async's PostgreSQL and MySQL
//! connections) it is awaited. On a blocking one (diesel's `SqliteConnection` and the
//! blocking PostgreSQL and MySQL wrappers) every statement runs inside the call that
//! issues it and returns a future that is already complete, so [`run_now`] finishes the
//! whole operation in one poll, on the caller's thread, with no runtime and no thread hop.
//! The cost is one poll of a ready future per statement; the gain is that a fix to the
//! logic (a retry, a savepoint, an error check) is made once and holds for both.
//!
//! Async SQLite runs the same logic on diesel's own `SqliteConnection`, on the pooled
//! connection's thread, through [`run_now`] as well.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use diesel::QueryResult;
use diesel_async::AsyncConnectionCore;

use crate::error::{Classify, Result};
use crate::transaction::level::TxConn;

/// A diesel connection orm runs statements on: the blocking `SqliteConnection`,
/// [`BlockingPg`](crate::connection::BlockingPg) and
/// [`BlockingMysql`](crate::connection::BlockingMysql), and the async
/// [`AsyncSqlite`](crate::database::AsyncSqlite), `AsyncPgConnection` and
/// `AsyncMysqlConnection`. Implemented by orm for those; not
/// meant to be implemented elsewhere.
///
/// On a blocking connection every future these methods (and [`TxConn`]'s) return is
/// complete when returned: see [`run_now`].
#[doc(hidden)]
pub trait StatementConn: TxConn {
    /// diesel's backend type of this connection.
    type Backend: diesel::backend::Backend;

    /// The most bind parameters one statement may carry.
    const MAX_BINDS: usize;

    /// `result`, of a statement just run on this connection, as orm's `Result`: its error
    /// classified on this connection (on MySQL/MariaDB the server is asked for the
    /// error's number, see [`crate::error::Classify`]).
    fn classify<T: Send>(
        &mut self,
        result: QueryResult<T>,
    ) -> impl Future<Output = Result<T>> + Send;

    /// Waits `delay` before a retry: the thread sleeps on a blocking connection, the task
    /// on an async one.
    fn pause(delay: Duration) -> impl Future<Output = ()> + Send;
}

/// The output of `future`, which must be one of a blocking connection's operations:
/// polled once, it is complete.
///
/// # Panics
///
/// If the future waits on something: only futures of blocking connections may be given.
pub fn run_now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("an operation on a blocking connection waited on something"),
    }
}

/// Implements [`StatementConn`] for each diesel connection: `$core` is the trait naming its
/// backend type (diesel's `Connection` or diesel-async's `AsyncConnectionCore`), `$classify`
/// and `$pause` are its methods' bodies, called with the same arguments.
macro_rules! statement_conn {
    ($( $(#[$cfg:meta])* $ty:ty: $core:path, $max_binds:expr, $classify:path, $pause:path; )*) => {$(
        $(#[$cfg])*
        impl StatementConn for $ty {
            type Backend = <$ty as $core>::Backend;
            const MAX_BINDS: usize = $max_binds;

            fn classify<T: Send>(
                &mut self,
                result: QueryResult<T>,
            ) -> impl Future<Output = Result<T>> + Send {
                $classify(self, result)
            }

            fn pause(delay: Duration) -> impl Future<Output = ()> + Send {
                $pause(delay)
            }
        }
    )*};
}

// SQLite's limit is SQLITE_MAX_VARIABLE_NUMBER (32 766 since 3.32); the servers' is the
// wire protocol's 16-bit parameter count. Blocking connections first, then async ones.
statement_conn! {
    #[cfg(feature = "sqlite")] diesel::SqliteConnection: diesel::Connection, 32_766, classify_now, sleep_now;
    #[cfg(feature = "postgres")] crate::connection::BlockingPg: diesel::Connection, 65_535, classify_now, sleep_now;
    #[cfg(feature = "mysql")] crate::connection::BlockingMysql: diesel::Connection, 65_535, classify_now, sleep_now;
    #[cfg(feature = "mysql")] crate::connection::BlockingMariadb: diesel::Connection, 65_535, classify_now, sleep_now;
    #[cfg(feature = "sqlite")] crate::database::AsyncSqlite: AsyncConnectionCore, 32_766, classify_sqlite, tokio::time::sleep;
    #[cfg(feature = "postgres")] diesel_async::AsyncPgConnection: AsyncConnectionCore, 65_535, crate::error::ClassifyAsync::classify, tokio::time::sleep;
    #[cfg(feature = "mysql")] diesel_async::AsyncMysqlConnection: AsyncConnectionCore, 65_535, crate::error::ClassifyAsync::classify, tokio::time::sleep;
    #[cfg(feature = "mysql")] diesel_async::AsyncMariadbConnection: AsyncConnectionCore, 65_535, crate::error::ClassifyAsync::classify, tokio::time::sleep;
}

/// A blocking statement's result, classified on its connection before the (complete)
/// future is returned.
fn classify_now<C: Classify, T: Send>(
    conn: &mut C,
    result: QueryResult<T>,
) -> std::future::Ready<Result<T>> {
    std::future::ready(conn.classify(result))
}

/// A blocking connection's pause: the thread sleeps before the (complete) future is
/// returned.
fn sleep_now(delay: Duration) -> std::future::Ready<()> {
    std::thread::sleep(delay);
    std::future::ready(())
}

/// An async SQLite statement's result, classified at once: nothing to read from the
/// connection (SQLite's errors carry no code; they are classified by diesel's kind and their
/// texts).
#[cfg(feature = "sqlite")]
fn classify_sqlite<T: Send>(
    _: &mut crate::database::AsyncSqlite,
    result: QueryResult<T>,
) -> impl Future<Output = Result<T>> + Send {
    std::future::ready(
        result.map_err(|e| crate::error::Error::from_diesel(e, orm_schema::Backend::Sqlite)),
    )
}
