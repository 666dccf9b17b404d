//! Test support shared by the integration test binaries (`mod support;`): an isolated
//! database per test on every backend ([`TestDb`], from the workspace's `orm-test-support`
//! crate, which says how each backend isolates a test), the [`backend_test!`] macro that
//! runs one test body on SQLite, PostgreSQL and MySQL/MariaDB, and small helpers.
//!
//! Without its URL a server backend's test prints `skipped: … not set` and passes, unless
//! `ORM_REQUIRE_ALL_BACKENDS=1`, when a missing URL fails the test (CI sets it).
//!
//! Written against the `orm` facade's names; a crate below the facade may include this file
//! with `extern crate <crate> as orm;` at its root (and `orm-test-support` as a
//! dev-dependency).

#![allow(dead_code)]

pub use orm::{Backend, Connection};
// Each test binary uses some of these, none all.
#[allow(unused_imports)]
pub use orm_test_support::{
    require_all_backends, server_url, TestDb, MARIADB_URL_VAR, MYSQL_URL_VAR, PG_URL_VAR,
    REQUIRE_ALL_VAR,
};

/// Runs one test body on each backend, each on its own isolated database:
///
/// ```ignore
/// backend_test!(fn creates_tables(db: &TestDb) {
///     let mut conn = db.connect();
///     // ...
/// });
/// ```
///
/// expands to `mod creates_tables { #[test] fn sqlite() … #[test] fn postgres() …
/// #[test] fn mysql() … #[test] fn mariadb() … }`, each test present when the test
/// crate's feature of that name is on (`mariadb`, diesel's MariaDB backend on
/// `MARIADB_DATABASE_URL`, comes with `mysql`). Attributes written before `fn` (such as
/// `#[ignore]`) apply to all four.
#[macro_export]
macro_rules! backend_test {
    ($(#[$attr:meta])* fn $name:ident($db:ident : &TestDb) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($db: &$crate::support::TestDb) $body

            #[cfg(feature = "sqlite")]
            #[test]
            $(#[$attr])*
            fn sqlite() {
                $crate::support::run($crate::support::Backend::Sqlite, body);
            }

            #[cfg(feature = "postgres")]
            #[test]
            $(#[$attr])*
            fn postgres() {
                $crate::support::run($crate::support::Backend::Postgres, body);
            }

            #[cfg(feature = "mysql")]
            #[test]
            $(#[$attr])*
            fn mysql() {
                $crate::support::run($crate::support::Backend::Mysql, body);
            }

            #[cfg(feature = "mysql")]
            #[test]
            $(#[$attr])*
            fn mariadb() {
                if let Some(db) = $crate::support::TestDb::mariadb() {
                    body(&db);
                }
            }
        }
    };
}

/// Runs `test` on a fresh database of `backend`, or skips it (see the module docs).
pub fn run(backend: Backend, test: impl FnOnce(&TestDb)) {
    if let Some(db) = TestDb::new(backend) {
        test(&db);
    }
}

/// The number of rows in `table`.
pub fn count_rows(conn: &mut Connection, table: &str) -> i64 {
    let sql = format!("COUNT(*) FROM {}", conn.backend().quote(table));
    orm::dispatch!(conn, c => diesel::RunQueryDsl::get_result::<i64>(
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&sql)),
        c,
    ))
    .unwrap_or_else(|e| panic!("cannot count the rows of {table}: {e}"))
}

/// Counts the statements run on `conn` from now on (replaces its instrumentation).
#[allow(dead_code)]
pub fn count_queries(conn: &mut Connection) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    use diesel::connection::InstrumentationEvent;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let counter = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = counter.clone();
    orm::dispatch!(conn, c => {
        let seen = seen.clone();
        diesel::Connection::set_instrumentation(c, move |event: InstrumentationEvent<'_>| {
            if matches!(event, InstrumentationEvent::StartQuery { .. }) {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        });
    });
    counter
}

/// Records the SQL of every statement run on `conn` from now on (replaces its
/// instrumentation).
#[allow(dead_code)]
pub fn record_statements(conn: &mut Connection) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    use diesel::connection::InstrumentationEvent;
    let statements = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = statements.clone();
    orm::dispatch!(conn, c => {
        let seen = seen.clone();
        diesel::Connection::set_instrumentation(c, move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                seen.lock().unwrap().push(query.to_string());
            }
        });
    });
    statements
}

/// The variable naming a file the reliability tests append their figures to (CI sets it
/// and prints the file after the test run; RELIABILITY.md quotes it).
pub const FIGURES_VAR: &str = "ORM_RELIABILITY_FIGURES";

/// Prints `figures: <line>` and appends it to the file named by `ORM_RELIABILITY_FIGURES`
/// when set. Use through [`figures!`].
pub fn figures(line: &str) {
    use std::io::Write;
    let line = format!("figures: {line}");
    println!("{line}");
    if let Some(path) = std::env::var_os(FIGURES_VAR).filter(|p| !p.is_empty()) {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        match file {
            Ok(mut file) => {
                // One write per line: appends of whole lines do not interleave.
                let _ = file.write_all(format!("{line}\n").as_bytes());
            }
            Err(e) => eprintln!("warning: cannot append to {path:?}: {e}"),
        }
    }
}

/// `figures!("name k={v} ...")`: a figures line for RELIABILITY.md (see [`figures`]).
#[macro_export]
macro_rules! figures {
    ($($arg:tt)*) => {
        $crate::support::figures(&format!($($arg)*))
    };
}

/// A multi-thread runtime with `workers` worker threads, as the async tests use (async
/// SQLite runs each statement inline on the worker that polls it).
pub fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

/// Connects to `url` blocking and through a pool: both must fail with `Error::Connection`
/// of `backend`, its message not showing the password `s3cret`. Each side's message and how
/// long it took, blocking first.
pub fn refused_both_ways(url: &str, backend: Backend) -> [(String, std::time::Duration); 2] {
    let started = std::time::Instant::now();
    let blocking = (Connection::establish(url).map(drop), started.elapsed());
    let started = std::time::Instant::now();
    let pooled = runtime(2).block_on(orm::Database::connect(url)).map(drop);
    [
        ("blocking", blocking),
        ("pool", (pooled, started.elapsed())),
    ]
    .map(|(side, (outcome, took))| match outcome {
        Err(orm::Error::Connection {
            backend: b,
            message,
            ..
        }) => {
            assert_eq!(b, backend, "{side} {url}");
            assert!(!message.contains("s3cret"), "{side}: {message}");
            (message, took)
        }
        other => panic!("{side} {url}: expected a connection error, got {other:?}"),
    })
}

/// Compiles only if `future` is `Send`.
pub fn assert_send<F: std::future::Future + Send>(future: F) -> F {
    future
}

/// A server that accepts TCP connections (the kernel completes the handshake) and never
/// answers, and its port: only a connect timeout ends an attempt to connect to it. It
/// listens until the listener is dropped.
pub fn silent_server() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}
