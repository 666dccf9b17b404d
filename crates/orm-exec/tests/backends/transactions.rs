//! `Connection::transaction`: commit, rollback on error and on panic, savepoints, aborted
//! transactions, and SQLite's `BEGIN IMMEDIATE` under concurrent writers.

use std::panic::{self, AssertUnwindSafe};

use orm_exec::{Backend, Connection, Error};

use crate::backend_test;
use crate::support;

/// A fresh `items` table.
fn create_items(conn: &mut Connection) {
    conn.batch_execute("CREATE TABLE items (id INTEGER PRIMARY KEY, v VARCHAR(20))")
        .unwrap();
}

fn insert(conn: &mut Connection, id: i32) -> orm_exec::Result<usize> {
    conn.execute(&format!("INSERT INTO items (id, v) VALUES ({id}, 'x')"))
}

/// The ids in `items`, in order.
fn ids(conn: &mut Connection) -> Vec<i32> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        id: i32,
    }
    conn.raw("SELECT id FROM items ORDER BY id")
        .load::<Row>()
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// An application error a transaction closure may fail with.
#[derive(Debug)]
enum AppError {
    Orm(Error),
    Refused,
}

impl From<Error> for AppError {
    fn from(err: Error) -> Self {
        AppError::Orm(err)
    }
}

backend_test!(
    fn commit_is_visible_from_another_connection(db: &TestDb) {
        let mut conn = db.connect();
        create_items(&mut conn);
        let mut other = db.connect();
        let inserted = conn
            .transaction(|c| -> orm_exec::Result<usize> {
                let n = insert(c, 1)? + insert(c, 2)?;
                // Not committed yet: the other connection does not see it.
                assert_eq!(support::count_rows(&mut other, "items"), 0);
                Ok(n)
            })
            .unwrap();
        assert_eq!(inserted, 2);
        assert_eq!(ids(&mut other), [1, 2]);
    }
);

backend_test!(
    fn error_rolls_back(db: &TestDb) {
        let mut conn = db.connect();
        create_items(&mut conn);
        let err = conn
            .transaction(|c| -> Result<(), AppError> {
                insert(c, 1)?;
                Err(AppError::Refused)
            })
            .unwrap_err();
        assert!(matches!(err, AppError::Refused), "{err:?}");
        // orm's own errors come back as themselves.
        let err = conn
            .transaction(|c| -> Result<(), AppError> {
                insert(c, 2)?;
                insert(c, 2)?;
                Ok(())
            })
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Orm(e) if e.is_unique_violation()),
            "{err:?}"
        );
        assert_eq!(ids(&mut db.connect()), Vec::<i32>::new());
        assert_eq!(ids(&mut conn), Vec::<i32>::new());
    }
);

backend_test!(
    fn panic_rolls_back_and_the_connection_stays_usable(db: &TestDb) {
        let mut conn = db.connect();
        create_items(&mut conn);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            conn.transaction(|c| -> orm_exec::Result<()> {
                insert(c, 1)?;
                panic!("boom inside a transaction");
            })
        }));
        let payload = outcome.unwrap_err();
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"boom inside a transaction")
        );
        assert_eq!(ids(&mut db.connect()), Vec::<i32>::new());
        // Not left inside the transaction: a new one commits for real.
        conn.transaction(|c| insert(c, 2)).unwrap();
        assert_eq!(ids(&mut db.connect()), [2]);
    }
);

backend_test!(
    fn nested_transactions_use_savepoints(db: &TestDb) {
        let mut conn = db.connect();
        create_items(&mut conn);
        conn.transaction(|c| -> orm_exec::Result<()> {
            insert(c, 1)?;
            let inner = c.transaction(|c| -> Result<(), AppError> {
                insert(c, 2)?;
                Err(AppError::Refused)
            });
            assert!(matches!(inner, Err(AppError::Refused)));
            c.transaction(|c| insert(c, 3))?;
            // A panicking savepoint rolls back only itself.
            let caught = panic::catch_unwind(AssertUnwindSafe(|| {
                c.transaction(|c| -> orm_exec::Result<()> {
                    insert(c, 4)?;
                    panic!("inner boom")
                })
            }));
            assert!(caught.is_err());
            insert(c, 5)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(ids(&mut db.connect()), [1, 3, 5]);

        // The outer rollback undoes a committed savepoint too.
        let outcome = conn.transaction(|c| -> Result<(), AppError> {
            c.transaction(|c| insert(c, 6))?;
            Err(AppError::Refused)
        });
        assert!(outcome.is_err());
        assert_eq!(ids(&mut db.connect()), [1, 3, 5]);
    }
);

backend_test!(
    fn a_swallowed_error_never_commits_silently(db: &TestDb) {
        let mut conn = db.connect();
        create_items(&mut conn);
        let outcome = conn.transaction(|c| -> orm_exec::Result<()> {
            insert(c, 1)?;
            let duplicate = insert(c, 1);
            assert!(duplicate.unwrap_err().is_unique_violation());
            Ok(())
        });
        match db.backend {
            // PostgreSQL aborted the transaction at the error: orm rolls back and says so,
            // where COMMIT would have rolled back without a word.
            Backend::Postgres => {
                let err = outcome.unwrap_err();
                assert!(err.to_string().contains("rolled back"), "{err}");
                assert!(!err.is_retryable());
                assert_eq!(ids(&mut db.connect()), Vec::<i32>::new());
            }
            // SQLite and MySQL undo the failed statement only.
            Backend::Sqlite | Backend::Mysql => {
                outcome.unwrap();
                assert_eq!(ids(&mut db.connect()), [1]);
            }
        }
        // The portable way: the statement that may fail runs in a savepoint.
        conn.transaction(|c| -> orm_exec::Result<()> {
            insert(c, 2)?;
            let duplicate = c.transaction(|c| insert(c, 2));
            assert!(duplicate.unwrap_err().is_unique_violation());
            insert(c, 3)?;
            Ok(())
        })
        .unwrap();
        let mut expected = if db.backend == Backend::Postgres {
            vec![]
        } else {
            vec![1]
        };
        expected.extend([2, 3]);
        assert_eq!(ids(&mut db.connect()), expected);
    }
);

/// Two connections on one SQLite file, each reading then writing in transactions at the
/// same time: `BEGIN IMMEDIATE` makes the second wait (busy timeout) instead of failing its
/// first write with "database is locked".
#[cfg(feature = "sqlite")]
#[test]
fn sqlite_concurrent_read_then_write_transactions() {
    const ROUNDS: i32 = 25;
    let db = support::TestDb::new(Backend::Sqlite).unwrap();
    create_items(&mut db.connect());
    let start = std::sync::Barrier::new(2);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                let (db, start) = (&db, &start);
                scope.spawn(move || {
                    let mut conn = db.connect();
                    start.wait();
                    for round in 0..ROUNDS {
                        conn.transaction(|c| -> orm_exec::Result<()> {
                            let before = support::count_rows(c, "items");
                            std::thread::yield_now();
                            insert(c, worker * 1000 + round)?;
                            assert_eq!(support::count_rows(c, "items"), before + 1);
                            Ok(())
                        })
                        .unwrap_or_else(|e| panic!("worker {worker}, round {round}: {e}"));
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
    });
    assert_eq!(
        support::count_rows(&mut db.connect(), "items"),
        i64::from(2 * ROUNDS)
    );
}
