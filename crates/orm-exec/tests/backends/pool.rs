//! The async `Database`: every URL form connects, pools bound their connections and their
//! waits, dead connections are replaced, errors match the blocking side, and every future
//! is `Send`; connections past their max lifetime or idle timeout are replaced, except an
//! in-memory database's one.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use orm_exec::{Backend, Database, DatabaseBuilder, Error, ManageSchema};

use crate::async_support::{
    count_async, create_table, current_thread, cut_off_transaction, multi_thread, pool_of,
    pool_with, scalar_i64, session_id, with_param, with_scheme, with_table,
};
use crate::backend_test;
use crate::common::server_tests;
use crate::support::TestDb;

/// The URL forms of the test database's backend.
fn url_forms(db: &TestDb) -> Vec<String> {
    match db.backend {
        Backend::Sqlite => vec![
            db.url.clone(),
            "sqlite::memory:".into(),
            "sqlite://:memory:".into(),
        ],
        Backend::Postgres => vec![
            with_scheme(&db.url, "postgres"),
            with_scheme(&db.url, "postgresql"),
        ],
        Backend::Mysql => vec![
            with_scheme(&db.url, "mysql"),
            with_scheme(&db.url, "mariadb"),
        ],
    }
}

backend_test!(
    fn every_url_form_connects_async(db: &TestDb) {
        multi_thread().block_on(async {
            for url in url_forms(db) {
                let pool = Database::connect(&url)
                    .await
                    .unwrap_or_else(|e| panic!("{url}: {e}"));
                assert_eq!(pool.backend(), db.backend);
                pool.batch_execute("CREATE TABLE forms (id INTEGER PRIMARY KEY)")
                    .await
                    .unwrap();
                assert_eq!(
                    pool.execute("INSERT INTO forms (id) VALUES (1)")
                        .await
                        .unwrap(),
                    1
                );
                let mut conn = pool.get().await.unwrap();
                assert_eq!(count_async(&mut conn, "forms").await, 1);
                conn.batch_execute("DROP TABLE forms").await.unwrap();
            }
        });
    }
);

backend_test!(
    fn pool_settings_from_the_url(db: &TestDb) {
        multi_thread().block_on(async {
            let url = with_param(&db.url, "max_connections=3&acquire_timeout=0.25");
            let pool = Database::connect(&url).await.unwrap();
            assert_eq!(pool.config().max_size, 3);
            assert_eq!(pool.config().acquire_timeout, Duration::from_millis(250));
            assert_eq!(pool.config().recycle_timeout, Duration::from_secs(5));
            if db.backend == Backend::Sqlite {
                // Every pooled SQLite connection gets the blocking side's pragmas.
                let mut conn = pool.get().await.unwrap();
                let fk = scalar_i64(&mut conn, "foreign_keys FROM pragma_foreign_keys").await;
                assert_eq!(fk, 1);
                let busy = scalar_i64(&mut conn, "timeout FROM pragma_busy_timeout").await;
                assert_eq!(busy, 5000);
            }
        });
    }
);

// A checkout first asks the pool without waiting; it still never takes the connection a
// queued task is waiting for.
backend_test!(
    fn a_checkout_does_not_overtake_a_waiting_task(db: &TestDb) {
        use std::sync::{Arc, Mutex};

        current_thread().block_on(async {
            let pool = pool_of(db, 1).await;
            let held = pool.get().await.unwrap();
            let order = Arc::new(Mutex::new(Vec::new()));
            let waiter = tokio::spawn({
                let (pool, order) = (pool.clone(), Arc::clone(&order));
                async move {
                    let conn = pool.get().await.unwrap();
                    order.lock().unwrap().push("queued first");
                    tokio::task::yield_now().await;
                    drop(conn);
                }
            });
            // Let the waiter queue up, then free the connection and ask for it at once.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            drop(held);
            let late = pool.get().await.unwrap();
            order.lock().unwrap().push("asked after");
            drop(late);
            waiter.await.unwrap();
            assert_eq!(*order.lock().unwrap(), ["queued first", "asked after"]);
        });
    }
);

// A returned connection always reaches the tasks waiting for one: SQLite's pool keeps the
// last returned connection at hand for the next checkout, and must never keep it from a
// task already waiting in the pool (with one connection, a lost hand-over is a timeout).
backend_test!(
    fn a_pool_of_one_hands_its_connection_to_every_waiting_task(db: &TestDb) {
        multi_thread().block_on(async {
            let pool = pool_with(db, |b| {
                b.max_size(1).acquire_timeout(Duration::from_secs(5))
            })
            .await;
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let pool = pool.clone();
                    tokio::spawn(async move {
                        for _ in 0..100 {
                            pool.execute("SELECT 1").await.unwrap();
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
    }
);

backend_test!(
    fn pool_of_two_serves_twenty_tasks(db: &TestDb) {
        let sessions = with_table(db, "tasks", 20, multi_thread(), async {
            let pool = pool_of(db, 2).await;
            let mut handles = Vec::new();
            for i in 0..20 {
                let pool = pool.clone();
                handles.push(tokio::spawn(async move {
                    let mut conn = pool.get().await.unwrap();
                    let sql = format!("INSERT INTO tasks (id, v) VALUES ({i}, 'x')");
                    conn.execute(&sql).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    session_id(&mut conn).await
                }));
            }
            let mut sessions = HashSet::new();
            for handle in handles {
                sessions.insert(handle.await.unwrap());
            }
            sessions
        });
        assert!(sessions.len() <= 2, "{sessions:?}");
    }
);

backend_test!(
    fn exhausted_pool_times_out(db: &TestDb) {
        multi_thread().block_on(async {
            let by_builder = Database::builder(&db.url)
                .max_size(1)
                .acquire_timeout(Duration::from_millis(200))
                .build()
                .await
                .unwrap();
            let by_url = Database::connect(&with_param(
                &db.url,
                "max_connections=1&acquire_timeout=0.2",
            ))
            .await
            .unwrap();
            for pool in [by_builder, by_url] {
                let held = pool.get().await.unwrap();
                let started = Instant::now();
                let err = pool.get().await.unwrap_err();
                let took = started.elapsed();
                match err {
                    Error::PoolTimeout { waited } => {
                        assert!(waited >= Duration::from_millis(190), "{waited:?}");
                    }
                    other => panic!("expected PoolTimeout, got {other:?}"),
                }
                assert!(took < Duration::from_secs(2), "{took:?}");
                drop(held);
                pool.execute("SELECT 1").await.unwrap();
            }
        });
    }
);

backend_test!(
    fn violations_are_the_same_error_async_and_blocking(db: &TestDb) {
        let mut blocking = db.connect();
        blocking
            .batch_execute(
                "CREATE TABLE uniq (id INTEGER PRIMARY KEY, email VARCHAR(50) NOT NULL,
                 CONSTRAINT uniq_email UNIQUE (email));
                 INSERT INTO uniq (id, email) VALUES (1, 'a@x')",
            )
            .unwrap();
        let statements = [
            "INSERT INTO uniq (id, email) VALUES (2, 'a@x')",
            "INSERT INTO uniq (id, email) VALUES (1, 'b@x')",
            "INSERT INTO uniq (id, email) VALUES (3, NULL)",
            "SELEC nonsense",
        ];
        let sync_errors: Vec<Error> = statements
            .iter()
            .map(|sql| blocking.execute(sql).unwrap_err())
            .collect();
        drop(blocking);
        let async_errors = multi_thread().block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut errors = Vec::new();
            for sql in statements {
                errors.push(pool.execute(sql).await.unwrap_err());
            }
            errors
        });
        for ((sql, sync), async_) in statements.iter().zip(&sync_errors).zip(&async_errors) {
            assert_eq!(
                std::mem::discriminant(sync),
                std::mem::discriminant(async_),
                "{sql}: {sync:?} vs {async_:?}"
            );
            assert_eq!(sync.constraint(), async_.constraint(), "{sql}");
        }
        assert!(async_errors[0].is_unique_violation());
        assert!(async_errors[1].is_unique_violation());
        assert!(matches!(async_errors[2], Error::NotNullViolation(_)));
    }
);

/// A connection the server killed is not handed out again: checkout verifies it.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn killed_connection_is_replaced(db: &TestDb) {
    let runtime = multi_thread();
    let (pool, victim) = runtime.block_on(async {
        let pool = pool_of(db, 1).await;
        let mut conn = pool.get().await.unwrap();
        let victim = session_id(&mut conn).await.unwrap();
        (pool, victim)
    });
    crate::common::kill_session(db, victim);
    std::thread::sleep(Duration::from_millis(200));
    runtime.block_on(async {
        let mut conn = pool.get().await.unwrap();
        assert_ne!(session_id(&mut conn).await, Some(victim));
    });
}

server_tests! {
    killed_connection_is_replaced => postgres_killed_connection_is_replaced,
        mysql_killed_connection_is_replaced;
}

#[cfg(feature = "sqlite")]
#[test]
fn unopenable_sqlite_file_is_a_connection_error() {
    let url = "sqlite:///nonexistent-dir-orm-test/x/y.db";
    match multi_thread().block_on(Database::connect(url)) {
        Err(Error::Connection {
            backend: Backend::Sqlite,
            ..
        }) => {}
        other => panic!("expected a connection error, got {other:?}"),
    }
}

/// In memory, the pool holds one connection, so every checkout sees the same database.
#[cfg(feature = "sqlite")]
#[test]
fn sqlite_memory_pool_is_one_database() {
    multi_thread().block_on(async {
        let pool = Database::builder("sqlite::memory:")
            .max_size(4)
            .build()
            .await
            .unwrap();
        assert_eq!(pool.config().max_size, 1);
        pool.batch_execute("CREATE TABLE m (id INTEGER PRIMARY KEY)")
            .await
            .unwrap();
        let clone = pool.clone();
        tokio::spawn(async move { clone.execute("INSERT INTO m (id) VALUES (1)").await })
            .await
            .unwrap()
            .unwrap();
        let mut conn = pool.get().await.unwrap();
        assert_eq!(count_async(&mut conn, "m").await, 1);
    });
}

/// On a current-thread runtime (where `block_in_place` would panic) SQLite statements,
/// transactions and a transaction dropped by a timeout work as on a multi-thread one.
#[cfg(feature = "sqlite")]
#[test]
fn sqlite_on_a_current_thread_runtime() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    with_table(&db, "ct", 2, current_thread(), async {
        let pool = Database::connect(&db.url).await.unwrap();
        pool.execute("INSERT INTO ct (id, v) VALUES (1, 'a')")
            .await
            .unwrap();
        pool.transaction(async |conn| {
            conn.execute("INSERT INTO ct (id, v) VALUES (2, 'b')")
                .await?;
            Ok::<_, Error>(())
        })
        .await
        .unwrap();
        cut_off_transaction(&pool, "INSERT INTO ct (id, v) VALUES (3, 'c')").await;
        let mut conn = pool.get().await.unwrap();
        assert_eq!(count_async(&mut conn, "ct").await, 2);
    });
}

/// The thread a statement of `conn` (a SQLite connection) runs on.
#[cfg(feature = "sqlite")]
async fn statement_thread(conn: &mut orm_exec::PooledConnection) -> std::thread::ThreadId {
    let orm_exec::PooledConnection::Sqlite(conn) = conn else {
        panic!("a SQLite connection");
    };
    conn.spawn_blocking(|_| Ok(std::thread::current().id()))
        .await
        .unwrap()
}

/// On a current-thread runtime a SQLite statement runs on the runtime's own thread while
/// its connection is the only one of the pool checked out, and on tokio's blocking pool
/// while another is: the count follows checkouts and returns.
#[cfg(feature = "sqlite")]
#[test]
fn sqlite_current_thread_runs_inline_while_the_connection_is_alone() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    current_thread().block_on(async {
        let runtime_thread = std::thread::current().id();
        let pool = pool_of(&db, 2).await;
        let mut first = pool.get().await.unwrap();
        assert_eq!(statement_thread(&mut first).await, runtime_thread);
        let second = pool.get().await.unwrap();
        assert_ne!(statement_thread(&mut first).await, runtime_thread);
        drop(second);
        assert_eq!(statement_thread(&mut first).await, runtime_thread);
        drop(first);
        for _ in 0..3 {
            let mut again = pool.get().await.unwrap();
            assert_eq!(statement_thread(&mut again).await, runtime_thread);
        }
    });
}

/// On a current-thread runtime, a write that must wait for the lock of another task's
/// open transaction waits its turn and succeeds: it does not hold the runtime's only
/// thread (where the transaction's task could not finish) until `busy_timeout` fails it.
#[cfg(feature = "sqlite")]
#[test]
fn sqlite_current_thread_write_waits_for_another_tasks_transaction() {
    crate::async_support::sqlite_pool_of_two("turns", 3, current_thread(), async |pool| {
        let (began, begun) = tokio::sync::oneshot::channel();
        let holder = tokio::spawn({
            let pool = pool.clone();
            async move {
                pool.transaction(async |conn| {
                    conn.execute("INSERT INTO turns (id, v) VALUES (1, 'a')")
                        .await?;
                    began.send(()).unwrap();
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    conn.execute("INSERT INTO turns (id, v) VALUES (2, 'b')")
                        .await
                })
                .await
            }
        });
        begun.await.unwrap();
        // Run inline, this would hold the thread in SQLite's busy wait, the holder could
        // not commit, and the write would fail with "database is locked" after 5 s.
        pool.execute("INSERT INTO turns (id, v) VALUES (3, 'c')")
            .await
            .unwrap();
        holder.await.unwrap().unwrap();
    });
}

/// A blocking connection and an async pool on the same SQLite file see each other's
/// committed writes.
#[cfg(feature = "sqlite")]
#[test]
fn sqlite_blocking_and_async_share_the_file() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    create_table(&db, "shared");
    let mut blocking = orm_exec::Connection::establish(&db.url).unwrap();
    blocking
        .execute("INSERT INTO shared (id, v) VALUES (1, 'a')")
        .unwrap();
    let seen = multi_thread().block_on(async {
        let pool = Database::connect(&db.url).await.unwrap();
        let mut conn = pool.get().await.unwrap();
        count_async(&mut conn, "shared").await
    });
    assert_eq!(seen, 1);
}

#[cfg(feature = "sqlite")]
fn assert_send<T: Send>(_: T) {}

#[cfg(feature = "sqlite")]
fn assert_shareable<T: Send + Sync + Clone>() {}

/// Every public async method's future is `Send` (a compile-time check; nothing is awaited).
#[cfg(feature = "sqlite")]
#[test]
fn futures_are_send() {
    assert_shareable::<Database>();
    multi_thread().block_on(async {
        assert_send(Database::connect("sqlite::memory:"));
        assert_send(Database::connect_test("sqlite::memory:"));
        assert_send(Database::builder("sqlite::memory:").build());
        let db = Database::connect("sqlite::memory:").await.unwrap();
        assert_send(db.get());
        assert_send(db.execute("SELECT 1"));
        assert_send(db.batch_execute("SELECT 1"));
        assert_send(db.create_all(&[]));
        assert_send(db.drop_all(&[]));
        assert_send(db.transaction(async |conn| conn.execute("SELECT 1").await));
        let mut conn = db.get().await.unwrap();
        assert_send(conn.execute("SELECT 1"));
        assert_send(conn.batch_execute("SELECT 1"));
        assert_send(conn.create_all(&[]));
        assert_send(conn.transaction(async |conn| {
            conn.transaction(async |conn| conn.execute("SELECT 1").await)
                .await
        }));
    });
}

/// Whether the connection `pool` hands out has the temporary table `marker` (a temporary
/// table lives as long as its session, on every backend).
async fn has_marker(pool: &Database) -> bool {
    let mut conn = pool.get().await.unwrap();
    conn.batch_execute("SELECT * FROM marker").await.is_ok()
}

/// A pool of one whose connection carries a temporary table, built with `settings`.
async fn marked_pool(
    db: &TestDb,
    settings: impl FnOnce(DatabaseBuilder) -> DatabaseBuilder,
) -> Database {
    let pool = pool_with(db, |b| settings(b.max_size(1))).await;
    let mut conn = pool.get().await.unwrap();
    conn.batch_execute("CREATE TEMPORARY TABLE marker (id INTEGER)")
        .await
        .unwrap();
    drop(conn);
    pool
}

backend_test!(
    fn a_connection_past_its_max_lifetime_is_replaced_async(db: &TestDb) {
        multi_thread().block_on(async {
            let lifetime = Duration::from_secs(2);
            let pool = marked_pool(db, |b| b.max_lifetime(Some(lifetime)).idle_timeout(None)).await;
            assert!(has_marker(&pool).await, "kept within its lifetime");
            tokio::time::sleep(lifetime + Duration::from_millis(500)).await;
            assert!(!has_marker(&pool).await, "replaced past its lifetime");
        });
    }
);

backend_test!(
    fn a_connection_idle_past_the_idle_timeout_is_replaced_async(db: &TestDb) {
        multi_thread().block_on(async {
            let idle = Duration::from_secs(2);
            let pool = marked_pool(db, |b| b.idle_timeout(Some(idle)).max_lifetime(None)).await;
            for _ in 0..3 {
                // Checked out again within the timeout, each time: kept.
                tokio::time::sleep(idle / 4).await;
                assert!(has_marker(&pool).await, "kept while in use");
            }
            tokio::time::sleep(idle + Duration::from_millis(500)).await;
            assert!(!has_marker(&pool).await, "replaced after sitting idle");
        });
    }
);

// A connection in steady use is not idle, whichever way it is checked out: SQLite's pool
// hands it out past deadpool while it is kept at hand, and it must not be closed as idle
// once it goes through deadpool again (here: handed to a task that waited for it).
backend_test!(
    fn a_connection_in_steady_use_is_not_closed_as_idle(db: &TestDb) {
        multi_thread().block_on(async {
            let idle = Duration::from_secs(1);
            let pool = marked_pool(db, |b| b.idle_timeout(Some(idle)).max_lifetime(None)).await;
            // In use every 100 ms for longer than the idle timeout.
            for _ in 0..15 {
                tokio::time::sleep(idle / 10).await;
                assert!(has_marker(&pool).await, "kept while in use");
            }
            let held = pool.get().await.unwrap();
            let waiter = tokio::spawn({
                let pool = pool.clone();
                async move { has_marker(&pool).await }
            });
            tokio::time::sleep(idle / 10).await;
            drop(held);
            assert!(
                waiter.await.unwrap(),
                "the connection handed to the waiting task was in use, not idle"
            );
        });
    }
);

/// An in-memory database is its one connection: the timers never close it.
#[cfg(feature = "sqlite")]
#[test]
fn sqlite_memory_pool_ignores_the_timers() {
    multi_thread().block_on(async {
        let short = Some(Duration::from_millis(1));
        let pool = Database::builder("sqlite::memory:")
            .max_lifetime(short)
            .idle_timeout(short)
            .build()
            .await
            .unwrap();
        pool.batch_execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            pool.execute("INSERT INTO kept (id) VALUES (1)")
                .await
                .unwrap(),
            1
        );
    });
}
