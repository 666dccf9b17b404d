//! `force_rollback` (test mode): one connection in a transaction for the database's life;
//! everything written through it is visible through it, and gone once it is dropped.

use std::time::Duration;

use orm_exec::{Database, Error};

use crate::async_support::{
    committed_rows, count_async, create_table, cut_off_transaction, multi_thread, pool_with,
    with_table,
};
use crate::backend_test;

backend_test!(
    fn force_rollback_keeps_nothing(db: &TestDb) {
        create_table(db, "tm");
        let runtime = multi_thread();
        let test_db = runtime.block_on(async {
            let test_db = Database::connect_test(&db.url).await.unwrap();
            assert!(test_db.config().force_rollback);
            assert_eq!(test_db.config().max_size, 1);
            test_db
                .execute("INSERT INTO tm (id, v) VALUES (1, 'a')")
                .await
                .unwrap();
            // A transaction is a savepoint: committed into the outer transaction.
            test_db
                .transaction(async |conn| {
                    conn.execute("INSERT INTO tm (id, v) VALUES (2, 'b')").await
                })
                .await
                .unwrap();
            // A failing one rolls back its savepoint only.
            let failed = test_db
                .transaction(async |conn| {
                    conn.execute("INSERT INTO tm (id, v) VALUES (3, 'c')")
                        .await?;
                    conn.execute("INSERT INTO tm (id, v) VALUES (1, 'dup')")
                        .await
                })
                .await;
            assert!(failed.unwrap_err().is_unique_violation());
            // Every clone, from any task, uses the same connection.
            let clone = test_db.clone();
            tokio::spawn(async move {
                clone
                    .execute("INSERT INTO tm (id, v) VALUES (4, 'd')")
                    .await
                    .unwrap();
            })
            .await
            .unwrap();
            let mut conn = test_db.get().await.unwrap();
            assert_eq!(count_async(&mut conn, "tm").await, 3);
            drop(conn);
            test_db
        });
        // Nothing is committed while the database is open, nor after its last clone is gone.
        assert_eq!(committed_rows(db, "tm"), 0);
        drop(test_db);
        assert_eq!(committed_rows(db, "tm"), 0);
        // The table itself is untouched and writable.
        db.connect()
            .execute("INSERT INTO tm (id, v) VALUES (1, 'real')")
            .unwrap();
        assert_eq!(committed_rows(db, "tm"), 1);
    }
);

backend_test!(
    fn force_rollback_survives_a_dropped_transaction(db: &TestDb) {
        with_table(db, "tm", 0, multi_thread(), async {
            let two_seconds = Duration::from_secs(2);
            let test_db =
                pool_with(db, |b| b.force_rollback(true).acquire_timeout(two_seconds)).await;
            test_db
                .execute("INSERT INTO tm (id, v) VALUES (1, 'kept')")
                .await
                .unwrap();
            cut_off_transaction(&test_db, "INSERT INTO tm (id, v) VALUES (2, 'lost')").await;
            // The savepoint was rolled back; the outer transaction's write is still there.
            let mut conn = test_db.get().await.unwrap();
            assert_eq!(count_async(&mut conn, "tm").await, 1);
            conn.execute("INSERT INTO tm (id, v) VALUES (2, 'again')")
                .await
                .unwrap();
            assert_eq!(count_async(&mut conn, "tm").await, 2);
            // Holding the one connection and asking again times out instead of hanging.
            let err = test_db.get().await.unwrap_err();
            assert!(matches!(err, Error::PoolTimeout { .. }), "{err:?}");
        });
    }
);
