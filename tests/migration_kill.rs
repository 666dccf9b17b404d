//! A process killed (SIGKILL) in the middle of a migration, on SQLite and PostgreSQL,
//! where each migration is one transaction: the database stays at the previous version
//! (rows, columns and history), and applying again completes the migration.
//!
//! The test runs itself again as the child that applies the migration; the migration
//! waits inside its transaction (as long as the `slow` table says), and the parent kills
//! the child there.

#[macro_use]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use orm::{Backend, Connection, ManageSchema, MigrationDir};
use support::TestDb;

const CHILD_URL: &str = "ORM_MIGRATION_KILL_URL";
const CHILD_DIR: &str = "ORM_MIGRATION_KILL_DIR";

/// The child: apply the pending migrations (the parent kills it during the second).
fn child(url: &str, dir: &str) -> ! {
    let mut conn = Connection::establish(url).unwrap();
    println!("child: applying");
    conn.run_pending_migrations(&MigrationDir::new(dir))
        .unwrap();
    println!("child: done");
    std::process::exit(0);
}

/// `COUNT(*) FROM <from>` (SQL of this test only).
fn count(conn: &mut Connection, from: &str) -> i64 {
    let sql = format!("COUNT(*) FROM {from}");
    orm::dispatch!(conn, c => diesel::RunQueryDsl::get_result::<i64>(
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&sql)),
        c,
    ))
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A fresh migration root for one test, removed on drop.
struct Root(std::path::PathBuf);

impl Drop for Root {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes migration `name` of `backend` under `root`.
fn write(dir: &MigrationDir, backend: Backend, name: &str, up: &str, down: &str) {
    let path = dir.path(backend).join(name);
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("up.sql"), up).unwrap();
    std::fs::write(path.join("down.sql"), down).unwrap();
}

/// The statement that waits as long as `slow.v` says (seconds on PostgreSQL, a count of
/// recursion steps on SQLite).
fn wait(backend: Backend) -> &'static str {
    match backend {
        // The server notices the dead client within 100 ms, even while it sleeps.
        Backend::Postgres => {
            "SET LOCAL client_connection_check_interval = '100ms';\n\
             SELECT pg_sleep(v) FROM slow;"
        }
        _ => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
             WHERE i < (SELECT v FROM slow)) SELECT COUNT(*) FROM n;"
        }
    }
}

fn killed_mid_migration(test: &str, backend: Backend) {
    if let (Ok(url), Ok(dir)) = (std::env::var(CHILD_URL), std::env::var(CHILD_DIR)) {
        child(&url, &dir);
    }
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let root = Root(std::env::temp_dir().join(format!("{}_kill", db.name)));
    let dir = MigrationDir::new(&root.0);
    let mut conn = db.connect();
    write(
        &dir,
        backend,
        "2026-01-01-000000_things",
        "CREATE TABLE things (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL);\n\
         CREATE TABLE slow (v BIGINT NOT NULL);\n\
         INSERT INTO things (id, name) VALUES (1, 'a'), (2, 'b');",
        "DROP TABLE slow; DROP TABLE things;",
    );
    assert_eq!(
        conn.run_pending_migrations(&dir).unwrap(),
        ["20260101000000"]
    );
    let long = if backend == Backend::Postgres {
        60
    } else {
        3_000_000_000_i64
    };
    conn.batch_execute(&format!("INSERT INTO slow (v) VALUES ({long})"))
        .unwrap();
    write(
        &dir,
        backend,
        "2026-01-02-000000_extra",
        &format!(
            "ALTER TABLE things ADD COLUMN extra INTEGER;\n\
             UPDATE things SET extra = id * 10;\n\
             {}\n\
             CREATE TABLE marker (id INTEGER PRIMARY KEY);",
            wait(backend)
        ),
        "DROP TABLE marker; ALTER TABLE things DROP COLUMN extra;",
    );

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_URL, &db.url)
        .env(CHILD_DIR, &root.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("the child ended early").unwrap();
        // (libtest's "test ... " comes first on the same line.)
        if line.ends_with("child: applying") {
            break;
        }
    }
    // Inside the migration: its statements before the wait have run.
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap(); // SIGKILL on Unix
    assert!(!child.wait().unwrap().success());
    assert!(
        lines.all(|l| l.unwrap() != "child: done"),
        "the migration finished first"
    );

    // On PostgreSQL the server rolls the dead session's transaction back on its own;
    // wait until it has.
    let started = Instant::now();
    while backend == Backend::Postgres
        && count(
            &mut conn,
            "pg_stat_activity WHERE query LIKE '%pg_sleep(v)%' AND pid <> pg_backend_pid()",
        ) > 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the killed session lingers"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The previous version: no new column, no marker, history of one, rows intact.
    let schema = conn.introspect().unwrap();
    let mut tables: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    tables.sort();
    assert_eq!(tables, ["slow", "things"]);
    assert!(schema.table("things").unwrap().column("extra").is_none());
    assert_eq!(
        support::count_rows(&mut conn, "__diesel_schema_migrations"),
        1
    );
    assert_eq!(support::count_rows(&mut conn, "things"), 2);
    let status = conn.migration_status(&dir).unwrap();
    assert!(status[0].applied && !status[1].applied, "{status:?}");

    // Applying again completes it.
    conn.batch_execute("UPDATE slow SET v = 1").unwrap();
    assert_eq!(
        conn.run_pending_migrations(&dir).unwrap(),
        ["20260102000000"]
    );
    let schema = conn.introspect().unwrap();
    assert!(schema.table("things").unwrap().column("extra").is_some());
    assert!(schema.table("marker").is_some());
    assert_eq!(count(&mut conn, "things WHERE extra = id * 10"), 2);
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_killed_mid_migration_stays_at_the_previous_version() {
    killed_mid_migration(
        "sqlite_killed_mid_migration_stays_at_the_previous_version",
        Backend::Sqlite,
    );
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_killed_mid_migration_stays_at_the_previous_version() {
    killed_mid_migration(
        "postgres_killed_mid_migration_stays_at_the_previous_version",
        Backend::Postgres,
    );
}
