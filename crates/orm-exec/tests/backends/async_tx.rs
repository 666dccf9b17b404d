//! Async transactions: commit, rollback, savepoints, and the connection a dropped
//! transaction future leaves behind, which must never carry its open transaction back into
//! the pool (diesel_async #96, #198). What was committed is always read through a separate
//! blocking connection.

use std::time::{Duration, Instant};

#[cfg(any(feature = "postgres", feature = "mysql"))]
use orm_exec::Backend;
use orm_exec::{Database, Error};

use crate::async_support::{
    committed_rows, count_async, create_table, cut_off_transaction, multi_thread, pool_of,
    pool_with, with_table,
};
use crate::backend_test;
use crate::common::server_tests;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use crate::support::TestDb;

backend_test!(
    fn commit_on_ok(db: &TestDb) {
        let value = with_table(db, "tx", 2, multi_thread(), async {
            let pool = Database::connect(&db.url).await.unwrap();
            pool.transaction(async |conn| {
                conn.execute("INSERT INTO tx (id, v) VALUES (1, 'a')")
                    .await?;
                conn.execute("INSERT INTO tx (id, v) VALUES (2, 'b')")
                    .await?;
                Ok::<_, Error>(count_async(conn, "tx").await)
            })
            .await
            .unwrap()
        });
        assert_eq!(value, 2);
    }
);

backend_test!(
    fn rollback_on_err(db: &TestDb) {
        with_table(db, "tx", 1, multi_thread(), async {
            let pool = Database::connect(&db.url).await.unwrap();
            let err = pool
                .transaction(async |conn| {
                    conn.execute("INSERT INTO tx (id, v) VALUES (1, 'a')")
                        .await?;
                    // A constraint violation inside the transaction: its error is returned.
                    conn.execute("INSERT INTO tx (id, v) VALUES (1, 'b')")
                        .await?;
                    Ok::<_, Error>(())
                })
                .await
                .unwrap_err();
            assert!(err.is_unique_violation(), "{err:?}");
            // The connection went back to the pool clean: a later write commits.
            pool.execute("INSERT INTO tx (id, v) VALUES (5, 'e')")
                .await
                .unwrap();
        });
    }
);

backend_test!(
    fn nested_savepoint_rollback_keeps_the_outer_write(db: &TestDb) {
        // Ids 1 and 3 committed, 2 rolled back with its savepoint.
        with_table(db, "tx", 2, multi_thread(), async {
            let pool = Database::connect(&db.url).await.unwrap();
            pool.transaction(async |conn| {
                conn.execute("INSERT INTO tx (id, v) VALUES (1, 'outer')")
                    .await?;
                let inner = conn
                    .transaction(async |conn| {
                        conn.execute("INSERT INTO tx (id, v) VALUES (2, 'inner')")
                            .await?;
                        Err::<(), _>(Error::NoMatch { model: "Inner" })
                    })
                    .await;
                assert!(matches!(inner, Err(Error::NoMatch { .. })), "{inner:?}");
                // After an error inside a savepoint (PostgreSQL's 25P02), the outer
                // transaction still works.
                let failed = conn
                    .transaction(async |conn| {
                        conn.execute("INSERT INTO tx (id, v) VALUES (1, 'dup')")
                            .await
                    })
                    .await;
                assert!(failed.unwrap_err().is_unique_violation());
                conn.transaction(async |conn| {
                    conn.execute("INSERT INTO tx (id, v) VALUES (3, 'kept')")
                        .await
                })
                .await?;
                Ok::<_, Error>(())
            })
            .await
            .unwrap();
        });
    }
);

/// Starts a transaction that inserts `id` and then waits forever, and drops it after 100 ms.
async fn drop_mid_transaction(pool: &Database, id: i64) {
    cut_off_transaction(
        pool,
        &format!("INSERT INTO tx (id, v) VALUES ({id}, 'lost')"),
    )
    .await;
}

/// Inserts `id` through `pool` within 3 s: no lock of an earlier transaction holds it up.
async fn insert_promptly(pool: &Database, id: i64) {
    let started = Instant::now();
    pool.execute(&format!("INSERT INTO tx (id, v) VALUES ({id}, 'new')"))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

backend_test!(
    fn dropped_transaction_never_commits(db: &TestDb) {
        create_table(db, "tx");
        let runtime = multi_thread();
        let pool = runtime.block_on(async {
            let pool = pool_of(db, 1).await;
            drop_mid_transaction(&pool, 1).await;
            pool
        });
        // Not committed, seen from another connection.
        assert_eq!(committed_rows(db, "tx"), 0);
        runtime.block_on(async {
            // The pool's only connection is usable and outside any transaction: the same key
            // inserts (no lock left behind) and commits.
            insert_promptly(&pool, 1).await;
            let mut conn = pool.get().await.unwrap();
            assert_eq!(count_async(&mut conn, "tx").await, 1);
        });
        assert_eq!(committed_rows(db, "tx"), 1);
        drop(pool);
        assert_eq!(committed_rows(db, "tx"), 1);
    }
);

backend_test!(
    fn dropped_transaction_leaves_no_idle_lock(db: &TestDb) {
        // With two connections, the dropped transaction's connection is not the next one
        // handed out: had it gone back to the pool open, its locks would block this insert
        // of the same key.
        with_table(db, "tx", 3, multi_thread(), async {
            let five_seconds = Duration::from_secs(5);
            let pool = pool_with(db, |b| b.max_size(2).acquire_timeout(five_seconds)).await;
            let a = pool.get().await.unwrap();
            let b = pool.get().await.unwrap();
            drop((a, b));
            drop_mid_transaction(&pool, 7).await;
            insert_promptly(&pool, 7).await;
            // And every pooled connection commits what it writes.
            let (mut a, mut b) = (pool.get().await.unwrap(), pool.get().await.unwrap());
            a.execute("INSERT INTO tx (id, v) VALUES (8, 'a')")
                .await
                .unwrap();
            b.execute("INSERT INTO tx (id, v) VALUES (9, 'b')")
                .await
                .unwrap();
        });
    }
);

/// A transaction cut off in the middle of a slow statement (not at an idle await).
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn dropped_mid_statement(db: &TestDb) {
    use crate::async_support::session_id;

    let sleep = match db.backend {
        Backend::Postgres => "SELECT pg_sleep(1)",
        _ => "SELECT SLEEP(1)",
    };
    with_table(db, "tx", 1, multi_thread(), async {
        let pool = pool_of(db, 1).await;
        let first = session_id(&mut pool.get().await.unwrap()).await;
        let outcome = tokio::time::timeout(
            Duration::from_millis(200),
            pool.transaction(async |conn| {
                conn.execute("INSERT INTO tx (id, v) VALUES (1, 'lost')")
                    .await?;
                conn.batch_execute(sleep).await?;
                Ok::<_, Error>(())
            }),
        )
        .await;
        assert!(outcome.is_err());
        // The connection was closed, not reused.
        let mut conn = pool.get().await.unwrap();
        assert_ne!(session_id(&mut conn).await, first);
        conn.execute("INSERT INTO tx (id, v) VALUES (2, 'new')")
            .await
            .unwrap();
    });
}

/// A transaction dropped while its `BEGIN` is in flight: the server may begin it after the
/// future is gone, so the connection must not go back to the pool (it would hold every
/// later write uncommitted).
///
/// The server may also answer within that one poll, and the closure's INSERT go out too:
/// the closure then waits forever, so the transaction can never reach its COMMIT, and
/// wherever the drop caught it (BEGIN or INSERT in flight, or idle inside the
/// transaction), nothing of it may commit and the next write must.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn dropped_in_begin(db: &TestDb) {
    use std::future::Future;
    use std::task::Poll;

    with_table(db, "tx", 1, multi_thread(), async {
        let pool = pool_of(db, 1).await;
        drop(pool.get().await.unwrap());
        let mut tx = Box::pin(pool.transaction(async |conn| {
            conn.execute("INSERT INTO tx (id, v) VALUES (1, 'lost')")
                .await?;
            std::future::pending::<()>().await;
            Ok::<_, Error>(())
        }));
        // One poll: the idle connection is checked out and `BEGIN` sent; its answer has
        // usually not come back yet.
        let polled = std::future::poll_fn(|cx| Poll::Ready(tx.as_mut().poll(cx))).await;
        assert!(polled.is_pending());
        drop(tx);
        // The pool's only connection slot: this write must commit.
        pool.execute("INSERT INTO tx (id, v) VALUES (2, 'new')")
            .await
            .unwrap();
    });
}

server_tests! {
    dropped_in_begin => postgres_dropped_in_begin, mysql_dropped_in_begin;
    dropped_mid_statement => postgres_dropped_mid_statement, mysql_dropped_mid_statement;
}

/// Two transactions that read and then write run one after the other on SQLite
/// (`BEGIN IMMEDIATE`), instead of one failing at once on the lock upgrade.
#[cfg(feature = "sqlite")]
#[test]
fn sqlite_read_then_write_transactions_do_not_collide() {
    crate::async_support::sqlite_pool_of_two("tx", 2, multi_thread(), async |pool| {
        let mut tasks = Vec::new();
        for id in 0..2 {
            let pool = pool.clone();
            tasks.push(tokio::spawn(async move {
                pool.transaction(async |conn| {
                    let seen = count_async(conn, "tx").await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let sql = format!("INSERT INTO tx (id, v) VALUES ({id}, '{seen}')");
                    conn.execute(&sql).await
                })
                .await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    });
}
