//! Helpers shared by the modules: one `#[test]` per server backend from one test body
//! ([`server_tests!`]), a server session's id and how to end it, and URLs of a server that
//! never answers.

// With only SQLite enabled the server helpers are unused.
#![cfg_attr(
    not(any(feature = "postgres", feature = "mysql")),
    allow(dead_code, unused_imports, unused_macros)
)]

use orm_exec::{Backend, Connection};

use crate::support::TestDb;

/// `server_tests! { body => postgres_name, mysql_name; ... }`: for each line, a `#[test]`
/// named `postgres_name` that runs `body(&TestDb)` on PostgreSQL and one named `mysql_name`
/// that runs it on MySQL (skipped as [`crate::support::run`] says), each present with its
/// backend's feature.
macro_rules! server_tests {
    ($($body:path => $postgres:ident, $mysql:ident;)+) => {$(
        #[cfg(feature = "postgres")]
        #[test]
        fn $postgres() {
            $crate::support::run(orm_exec::Backend::Postgres, $body);
        }

        #[cfg(feature = "mysql")]
        #[test]
        fn $mysql() {
            $crate::support::run(orm_exec::Backend::Mysql, $body);
        }
    )+};
}
pub(crate) use server_tests;

/// The BIGINT expression of the server's id for the current session (`None` on SQLite).
pub fn session_id_expr(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some("CAST(pg_backend_pid() AS BIGINT)"),
        Backend::Mysql => Some("CAST(CONNECTION_ID() AS SIGNED)"),
    }
}

/// The server's id of the session behind `conn` (`None` on SQLite).
pub fn session_id(conn: &mut Connection) -> Option<i64> {
    session_id_expr(conn.backend()).map(|expr| crate::connect::scalar_i64(conn, expr))
}

/// Ends the server session `id` from a fresh connection to `db` (PostgreSQL
/// `pg_terminate_backend`, MySQL/MariaDB `KILL`).
pub fn kill_session(db: &TestDb, id: i64) {
    let kill = match db.backend {
        Backend::Postgres => format!("SELECT pg_terminate_backend({id})"),
        _ => format!("KILL {id}"),
    };
    db.connect().batch_execute(&kill).unwrap();
}

/// A server that accepts TCP connections and never answers (see
/// [`crate::support::silent_server`]; it listens until the listener is dropped), and a URL
/// of it for each enabled server backend, with the password `s3cret` and `query` after
/// the path.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub fn silent_server_urls(query: &str) -> (std::net::TcpListener, Vec<(Backend, String)>) {
    let (listener, port) = crate::support::silent_server();
    let urls = [
        #[cfg(feature = "postgres")]
        (Backend::Postgres, "postgres"),
        #[cfg(feature = "mysql")]
        (Backend::Mysql, "mysql"),
    ]
    .map(|(backend, scheme)| {
        let url = format!("{scheme}://u:s3cret@127.0.0.1:{port}/x{query}");
        (backend, url)
    });
    (listener, urls.into())
}
