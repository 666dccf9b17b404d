//! `BlockingPool`: 32 threads sharing a pool of 4, an exhausted pool timing out with
//! `PoolTimeout`, a killed server session replaced, a connection left inside a transaction
//! never handed out again, an unreachable server reported as a connection error, and an
//! in-memory SQLite database never lost to the pool's timers or a leaked transaction.

// With only SQLite enabled the server tests are compiled out, and their helpers unused.
#![cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]

use std::time::{Duration, Instant};

use orm_exec::{BlockingPool, Error, ManageSchema};

use crate::backend_test;
use crate::common::server_tests;
use crate::support::{count_rows, TestDb};

/// A `hits` table.
fn create_hits(db: &TestDb) {
    db.connect()
        .batch_execute("CREATE TABLE hits (id INTEGER PRIMARY KEY, thread INTEGER NOT NULL)")
        .unwrap();
}

// The schema's management runs on a blocking pool's connection, through its `Deref` to
// `Connection`, as on a connection of its own.
backend_test!(
    fn the_schema_is_managed_on_a_pooled_connection(db: &TestDb) {
        create_hits(db);
        let pool = BlockingPool::builder(&db.url).max_size(1).build().unwrap();
        let mut conn = pool.get().unwrap();
        let schema = conn.introspect().unwrap();
        assert!(schema.table("hits").is_some(), "{schema:?}");
    }
);

backend_test!(
    fn thirty_two_threads_share_a_pool_of_four(db: &TestDb) {
        const THREADS: i32 = 32;
        const ROUNDS: i32 = 10;
        create_hits(db);
        let pool = BlockingPool::builder(&db.url)
            .max_size(4)
            .acquire_timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let pool = &pool;
                scope.spawn(move || {
                    for round in 0..ROUNDS {
                        let mut conn = pool.get().unwrap();
                        conn.transaction(|c| -> orm_exec::Result<usize> {
                            c.raw("INSERT INTO hits (id, thread) VALUES (?, ?)")
                                .bind::<diesel::sql_types::Integer, _>(thread * 1000 + round)
                                .bind::<diesel::sql_types::Integer, _>(thread)
                                .execute()
                        })
                        .unwrap_or_else(|e| panic!("thread {thread}, round {round}: {e}"));
                        let (open, _) = pool.state();
                        assert!(open <= 4, "{open} connections open");
                    }
                });
            }
        });
        let (open, idle) = pool.state();
        assert!((1..=4).contains(&open), "{open}");
        assert_eq!(open, idle, "every connection is back");
        assert_eq!(
            count_rows(&mut db.connect(), "hits"),
            i64::from(THREADS * ROUNDS)
        );
    }
);

backend_test!(
    fn an_exhausted_pool_times_out(db: &TestDb) {
        let pool = BlockingPool::builder(&db.url)
            .max_size(1)
            .acquire_timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        let held = pool.get().unwrap();
        let started = Instant::now();
        let err = pool.get().unwrap_err();
        assert!(matches!(err, Error::PoolTimeout { .. }), "{err:?}");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(200), "{waited:?}");
        assert!(waited < Duration::from_secs(10), "{waited:?}");
        drop(held);
        pool.get().unwrap();
    }
);

backend_test!(
    fn a_connection_left_in_a_transaction_is_not_reused(db: &TestDb) {
        create_hits(db);
        let pool = BlockingPool::builder(&db.url).max_size(1).build().unwrap();
        let mut conn = pool.get().unwrap();
        // A transaction level opened by hand and never ended.
        orm_exec::dispatch!(&mut *conn, c => {
            orm_exec::statement_conn::run_now(orm_exec::transaction::level::begin(c))
        })
        .unwrap();
        conn.execute("INSERT INTO hits (id, thread) VALUES (1, 1)")
            .unwrap();
        drop(conn);
        let mut conn = pool.get().unwrap();
        let depth = orm_exec::dispatch!(&mut *conn, c => orm_exec::transaction::level::depth(c));
        assert_eq!(depth.unwrap(), 0);
        drop(conn);
        // The insert was never committed.
        assert_eq!(count_rows(&mut db.connect(), "hits"), 0);
    }
);

/// A connection the server killed is replaced on checkout, not handed out.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn killed_session_is_replaced(db: &TestDb) {
    use crate::common::{kill_session, session_id};

    let pool = BlockingPool::builder(&db.url).max_size(1).build().unwrap();
    let victim = session_id(&mut pool.get().unwrap()).unwrap();
    kill_session(db, victim);
    std::thread::sleep(Duration::from_millis(200));
    let mut conn = pool.get().unwrap();
    let now = session_id(&mut conn).unwrap();
    assert_ne!(now, victim);
    conn.batch_execute("SELECT 1").unwrap();
}

server_tests! {
    killed_session_is_replaced => postgres_killed_session_is_replaced,
        mysql_killed_session_is_replaced;
}

/// Nothing listens on the port: the checkout says why, not just "timed out".
#[cfg(feature = "postgres")]
#[test]
fn an_unreachable_server_is_a_connection_error() {
    let pool = BlockingPool::builder("postgres://u:s3cret@127.0.0.1:1/db?connect_timeout=2")
        .acquire_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let err = pool.get().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Connection {
                backend: orm_exec::Backend::Postgres,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("s3cret"), "{err:?}");
}

/// The builder's connect timeout bounds each attempt to open a connection, as the async
/// pool's does: against a server that accepts TCP and never answers (the URL sets no
/// timeout, so the default 10 s would apply), every attempt fails after 300 ms, and the
/// checkout reports that failure once its acquire timeout ends.
#[cfg(any(feature = "postgres", feature = "mysql"))]
#[test]
fn the_builders_connect_timeout_bounds_each_attempt() {
    let (listener, urls) = crate::common::silent_server_urls("");
    for (_, url) in urls {
        let pool = BlockingPool::builder(&url)
            .connect_timeout(Duration::from_millis(300))
            .acquire_timeout(Duration::from_secs(3))
            .build()
            .unwrap();
        let err = pool.get().unwrap_err();
        assert!(matches!(err, Error::Connection { .. }), "{url}: {err:?}");
        assert!(
            err.to_string().contains("timed out after 300ms"),
            "{url}: {err}"
        );
    }
    drop(listener);
}

/// An in-memory SQLite database lives in its one connection, so the pool never closes
/// that connection on a timer: with lifetime and idle limits of 1 ms, the rows are still
/// there after r2d2's reaper has run (every 30 s, so this test waits 31 s).
#[cfg(feature = "sqlite")]
#[test]
fn an_in_memory_database_outlives_the_pool_timers() {
    let pool = BlockingPool::builder("sqlite::memory:")
        .max_lifetime(Some(Duration::from_millis(1)))
        .idle_timeout(Some(Duration::from_millis(1)))
        .build()
        .unwrap();
    let mut conn = pool.get().unwrap();
    conn.batch_execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
        .unwrap();
    conn.execute("INSERT INTO kept (id) VALUES (1)").unwrap();
    drop(conn);
    std::thread::sleep(Duration::from_secs(31));
    assert_eq!(count_rows(&mut pool.get().unwrap(), "kept"), 1);
}

/// An in-memory connection returned inside a transaction is rolled back and kept (closing
/// it would drop the database): the committed rows stay, the uncommitted one is gone.
#[cfg(feature = "sqlite")]
#[test]
fn an_in_memory_connection_left_in_a_transaction_is_rolled_back_and_kept() {
    let pool = BlockingPool::connect("sqlite::memory:").unwrap();
    let mut conn = pool.get().unwrap();
    conn.batch_execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
        .unwrap();
    conn.execute("INSERT INTO kept (id) VALUES (1)").unwrap();
    orm_exec::dispatch!(&mut *conn, c => {
        orm_exec::statement_conn::run_now(orm_exec::transaction::level::begin(c))
    })
    .unwrap();
    conn.execute("INSERT INTO kept (id) VALUES (2)").unwrap();
    drop(conn);
    let mut conn = pool.get().unwrap();
    let depth = orm_exec::dispatch!(&mut *conn, c => orm_exec::transaction::level::depth(c));
    assert_eq!(depth.unwrap(), 0);
    assert_eq!(count_rows(&mut conn, "kept"), 1);
}
