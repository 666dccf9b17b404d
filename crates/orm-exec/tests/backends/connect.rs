//! Establishing connections: every URL form, SQLite's session setup, and the errors for bad
//! URLs and unreachable, silent or refusing servers (each of these also through the async
//! `Database::connect`, which must fail alike).

#[cfg(any(feature = "postgres", feature = "mysql"))]
use std::time::Duration;

use orm_exec::{Backend, Connection, Database, Error};

use crate::async_support::multi_thread;
use crate::support::{self, TestDb};

/// `SELECT <expr>` returning one BIGINT.
pub fn scalar_i64(conn: &mut Connection, expr: &str) -> i64 {
    orm_exec::dispatch!(conn, c => diesel::RunQueryDsl::get_result::<i64>(
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(expr)),
        c,
    ))
    .unwrap_or_else(|e| panic!("SELECT {expr}: {e}"))
}

/// `SELECT <expr>` returning one text value.
pub fn scalar_text(conn: &mut Connection, expr: &str) -> String {
    orm_exec::dispatch!(conn, c => diesel::RunQueryDsl::get_result::<String>(
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(expr)),
        c,
    ))
    .unwrap_or_else(|e| panic!("SELECT {expr}: {e}"))
}

/// Creates a table, writes and reads a row.
fn round_trip(conn: &mut Connection) {
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS round_trip (id INTEGER PRIMARY KEY, v VARCHAR(10))",
    )
    .unwrap();
    assert_eq!(
        conn.execute("INSERT INTO round_trip (id, v) VALUES (1, 'x')")
            .unwrap(),
        1
    );
    assert_eq!(support::count_rows(conn, "round_trip"), 1);
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_file_absolute_and_relative() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    assert!(db.url.starts_with("sqlite:///"), "{}", db.url);
    let mut conn = Connection::establish(&db.url).unwrap();
    round_trip(&mut conn);
    assert_eq!(
        scalar_i64(&mut conn, "foreign_keys FROM pragma_foreign_keys"),
        1
    );
    assert_eq!(
        scalar_i64(&mut conn, "timeout FROM pragma_busy_timeout"),
        5000
    );
    assert_eq!(
        scalar_text(&mut conn, "journal_mode FROM pragma_journal_mode"),
        "wal"
    );
    drop(conn);

    // Relative to the working directory (the crate's directory under `cargo test`).
    let name = format!("{}.db", db.name);
    let _cleanup = RemoveOnDrop(name.clone());
    let mut conn = Connection::establish(&format!("sqlite://{name}")).unwrap();
    round_trip(&mut conn);
    assert!(std::path::Path::new(&name).exists());
}

/// Deletes a SQLite file and its companions.
#[cfg(feature = "sqlite")]
struct RemoveOnDrop(String);

#[cfg(feature = "sqlite")]
impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0));
        }
    }
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_memory_forms() {
    for url in ["sqlite::memory:", "sqlite://:memory:"] {
        let mut conn = Connection::establish(url).unwrap();
        assert_eq!(conn.backend(), Backend::Sqlite);
        round_trip(&mut conn);
        assert_eq!(
            scalar_i64(&mut conn, "foreign_keys FROM pragma_foreign_keys"),
            1,
            "{url}"
        );
        assert_eq!(
            scalar_text(&mut conn, "journal_mode FROM pragma_journal_mode"),
            "memory"
        );
    }
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_enforces_foreign_keys() {
    let mut conn = Connection::establish("sqlite::memory:").unwrap();
    conn.batch_execute(
        "CREATE TABLE p (id INTEGER PRIMARY KEY);
         CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE);
         INSERT INTO p (id) VALUES (1); INSERT INTO c (id, p_id) VALUES (1, 1);",
    )
    .unwrap();
    assert!(conn
        .execute("INSERT INTO c (id, p_id) VALUES (2, 99)")
        .unwrap_err()
        .is_foreign_key_violation());
    conn.execute("DELETE FROM p").unwrap();
    assert_eq!(
        support::count_rows(&mut conn, "c"),
        0,
        "ON DELETE CASCADE ran"
    );
}

/// The server URL with its scheme replaced.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn with_scheme(url: &str, scheme: &str) -> String {
    let (_, rest) = url.split_once("://").unwrap();
    format!("{scheme}://{rest}")
}

/// The test database of `backend` connects under each of `schemes`, as that backend.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn url_forms(backend: Backend, schemes: [&str; 2]) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    for scheme in schemes {
        let db_url = with_scheme(&db.url, scheme);
        let mut conn = Connection::establish(&db_url).unwrap_or_else(|e| panic!("{scheme}: {e}"));
        assert_eq!(conn.backend(), backend);
        round_trip(&mut conn);
        conn.batch_execute("DROP TABLE round_trip").unwrap();
    }
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_url_forms() {
    url_forms(Backend::Postgres, ["postgres", "postgresql"]);
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_url_forms() {
    url_forms(Backend::Mysql, ["mysql", "mariadb"]);
}

/// A URL orm cannot use is refused before anything connects, blocking and async alike.
#[test]
fn bad_urls() {
    let runtime = multi_thread();
    let connect = |url: &str| {
        [
            Connection::establish(url).map(drop),
            runtime.block_on(Database::connect(url)).map(drop),
        ]
    };
    let bad = [
        "",
        "   ",
        "notes.db",
        "/var/lib/notes.db",
        "sqlite://x.db?max_connections=0",
    ];
    for url in bad {
        for result in connect(url) {
            match result {
                Err(Error::InvalidUrl { .. }) => {}
                other => panic!("{url:?}: expected InvalidUrl, got {other:?}"),
            }
        }
    }
    for result in connect("oracle://scott:tiger@db/orcl") {
        match result {
            Err(Error::UnsupportedBackend { scheme, .. }) => assert_eq!(scheme, "oracle"),
            other => panic!("expected UnsupportedBackend, got {other:?}"),
        }
    }
}

/// Asserts that connecting to `url` fails with `Error::Connection` for `backend` within
/// `limit`, blocking and async alike, each message holding `expect` (in any case) and not
/// the password.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn assert_connection_error(url: &str, backend: Backend, limit: Duration, expect: &str) {
    for (message, took) in support::refused_both_ways(url, backend) {
        assert!(took < limit, "{url}: took {took:?} ({message})");
        let expected = message.to_lowercase().contains(&expect.to_lowercase());
        assert!(expected, "{message}");
        println!("{message}");
    }
}

/// Nothing listens on port 1 of 127.0.0.1: connecting as `user` is refused within 5 s.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn assert_refused_port(backend: Backend, scheme: &str, user: &str) {
    let url = format!("{scheme}://{user}:s3cret@127.0.0.1:1/test");
    assert_connection_error(&url, backend, Duration::from_secs(5), "refused");
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_refused_port() {
    assert_refused_port(Backend::Postgres, "postgres", "postgres");
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_refused_port() {
    assert_refused_port(Backend::Mysql, "mysql", "root");
}

/// A server that never answers: only orm's own connect timeout can end the wait.
#[cfg(any(feature = "postgres", feature = "mysql"))]
#[test]
fn silent_server_times_out() {
    let (listener, urls) = crate::common::silent_server_urls("?connect_timeout=1");
    for (backend, url) in urls {
        assert_connection_error(&url, backend, Duration::from_secs(5), "timed out");
    }
    drop(listener);
}

/// The server of `backend` refuses, within 10 s, a database that does not exist (the
/// message names it) and the login `bad_login` makes of the server URL (the message holds
/// `refusal`).
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn assert_unknown_database_and_bad_login(
    backend: Backend,
    bad_login: fn(&str) -> String,
    refusal: &str,
) {
    let Some(url) = support::server_url(backend) else {
        return;
    };
    let (base, _) = url.rsplit_once('/').unwrap();
    let limit = Duration::from_secs(10);
    let unknown = format!("{base}/orm_no_such_database");
    assert_connection_error(&unknown, backend, limit, "orm_no_such_database");
    assert_connection_error(&bad_login(&url), backend, limit, refusal);
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_unknown_database_and_role() {
    let unknown_role = |url: &str| {
        let (_, host) = url.split_once("://").unwrap();
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        format!("postgres://orm_no_such_role:s3cret@{host}")
    };
    assert_unknown_database_and_bad_login(Backend::Postgres, unknown_role, "orm_no_such_role");
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_unknown_database_and_wrong_password() {
    let wrong_password = |url: &str| {
        let (_, rest) = url.split_once("://").unwrap();
        let (userinfo, host) = rest.rsplit_once('@').unwrap_or(("root", rest));
        let user = userinfo.split(':').next().unwrap();
        format!("mysql://{user}:s3cret-wrong@{host}")
    };
    assert_unknown_database_and_bad_login(Backend::Mysql, wrong_password, "Access denied");
}

/// A blocking server connection may be opened and used on a `spawn_blocking` thread of an
/// async program.
#[cfg(feature = "postgres")]
#[test]
fn postgres_inside_spawn_blocking() {
    let Some(url) = support::server_url(Backend::Postgres) else {
        return;
    };
    let value = support::runtime(1).block_on(async move {
        tokio::task::spawn_blocking(move || {
            let mut conn = Connection::establish(&url).unwrap();
            scalar_i64(&mut conn, "CAST(7 AS BIGINT)")
        })
        .await
        .unwrap()
    });
    assert_eq!(value, 7);
}
