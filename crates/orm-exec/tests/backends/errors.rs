//! Constraint violations and retryable failures come back as the same `Error` variant on
//! every backend, with the names each backend reports.

use orm_exec::{Backend, Connection, ConstraintInfo, Error};

use crate::backend_test;

/// Two tables with a named UNIQUE, FOREIGN KEY, NOT NULL and CHECK constraint, written in
/// SQL that all three backends accept.
fn create_tables(conn: &mut Connection) {
    conn.batch_execute(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (
             id INTEGER PRIMARY KEY,
             parent_id INTEGER NOT NULL,
             email VARCHAR(100),
             qty INTEGER,
             name VARCHAR(50) NOT NULL,
             CONSTRAINT child_email_key UNIQUE (email),
             CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id),
             CONSTRAINT qty_positive CHECK (qty > 0)
         );
         INSERT INTO parent (id) VALUES (1);
         INSERT INTO child (id, parent_id, email, qty, name) VALUES (1, 1, 'a@x', 1, 'a');",
    )
    .unwrap();
}

/// Runs a statement that must fail and returns the constraint details of its error,
/// checking the variant with `is_variant`.
fn violation(conn: &mut Connection, sql: &str, is_variant: fn(&Error) -> bool) -> ConstraintInfo {
    let err = conn.execute(sql).expect_err(sql);
    assert!(is_variant(&err), "{sql}: wrong variant: {err:?}");
    assert!(!err.is_retryable(), "{err:?}");
    println!("{:?}: {err:?}", conn.backend());
    err.constraint()
        .cloned()
        .expect("a constraint violation has details")
}

fn names(info: &ConstraintInfo) -> String {
    format!("{:?} {:?} {:?}", info.table, info.constraint, info.column)
}

backend_test!(
    fn unique_violation(db: &TestDb) {
        let mut conn = db.connect();
        create_tables(&mut conn);
        let info = violation(
            &mut conn,
            "INSERT INTO child (id, parent_id, email, qty, name) VALUES (2, 1, 'a@x', 1, 'b')",
            |e| matches!(e, Error::UniqueViolation(_)),
        );
        assert!(names(&info).contains("email"), "{info:?}");
        match db.backend {
            Backend::Sqlite => assert_eq!(info.table.as_deref(), Some("child")),
            Backend::Postgres => {
                assert_eq!(info.table.as_deref(), Some("child"));
                assert_eq!(info.constraint.as_deref(), Some("child_email_key"));
                assert_eq!(info.column.as_deref(), Some("email"));
            }
            Backend::Mysql => assert_eq!(info.constraint.as_deref(), Some("child_email_key")),
        }
        // A duplicate primary key is a unique violation too.
        violation(
            &mut conn,
            "INSERT INTO child (id, parent_id, email, qty, name) VALUES (1, 1, 'b@x', 1, 'b')",
            Error::is_unique_violation,
        );
    }
);

backend_test!(
    fn foreign_key_violation(db: &TestDb) {
        let mut conn = db.connect();
        create_tables(&mut conn);
        let info = violation(
            &mut conn,
            "INSERT INTO child (id, parent_id, email, qty, name) VALUES (2, 99, 'b@x', 1, 'b')",
            |e| matches!(e, Error::ForeignKeyViolation(_)),
        );
        if db.backend != Backend::Sqlite {
            assert_eq!(
                info.constraint.as_deref(),
                Some("child_parent_fk"),
                "{info:?}"
            );
            assert_eq!(info.table.as_deref(), Some("child"), "{info:?}");
        }
        // Deleting a row that is still referenced.
        violation(
            &mut conn,
            "DELETE FROM parent WHERE id = 1",
            Error::is_foreign_key_violation,
        );
    }
);

backend_test!(
    fn not_null_violation(db: &TestDb) {
        let mut conn = db.connect();
        create_tables(&mut conn);
        // An explicit NULL (MySQL 1048) ...
        let info = violation(
            &mut conn,
            "INSERT INTO child (id, parent_id, email, qty, name) VALUES (2, 1, 'b@x', 1, NULL)",
            |e| matches!(e, Error::NotNullViolation(_)),
        );
        assert_eq!(info.column.as_deref(), Some("name"), "{info:?}");
        // ... and a missing value without default (MySQL 1364).
        let info = violation(
            &mut conn,
            "INSERT INTO child (id, parent_id, email, qty) VALUES (3, 1, 'c@x', 1)",
            |e| matches!(e, Error::NotNullViolation(_)),
        );
        assert_eq!(info.column.as_deref(), Some("name"), "{info:?}");
    }
);

backend_test!(
    fn check_violation(db: &TestDb) {
        let mut conn = db.connect();
        create_tables(&mut conn);
        let info = violation(
            &mut conn,
            "INSERT INTO child (id, parent_id, email, qty, name) VALUES (2, 1, 'b@x', -1, 'b')",
            |e| matches!(e, Error::CheckViolation(_)),
        );
        assert_eq!(info.constraint.as_deref(), Some("qty_positive"), "{info:?}");
    }
);

backend_test!(
    fn syntax_error_is_a_database_error(db: &TestDb) {
        let mut conn = db.connect();
        let err = conn.execute("SELEC 1").unwrap_err();
        assert!(
            matches!(&err, Error::Database { backend: Some(b), retryable: false, .. } if *b == db.backend),
            "{err:?}"
        );
    }
);

// Two connections lock two rows in opposite order: the server kills one transaction as a
// deadlock (PostgreSQL 40P01, MySQL 1213), which must be retryable. SQLite has one writer:
// the second writer gets "database is locked", retryable too.
backend_test!(
    fn deadlock_is_retryable(db: &TestDb) {
        let mut setup = db.connect();
        setup
            .batch_execute(
                "CREATE TABLE acct (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
             INSERT INTO acct (id, n) VALUES (1, 0);
             INSERT INTO acct (id, n) VALUES (2, 0);",
            )
            .unwrap();
        if db.backend == Backend::Sqlite {
            let mut a = db.connect();
            let mut b = db.connect();
            a.batch_execute("BEGIN IMMEDIATE").unwrap();
            b.batch_execute("PRAGMA busy_timeout = 0").unwrap();
            let err = b.execute("UPDATE acct SET n = 1 WHERE id = 1").unwrap_err();
            assert!(err.is_retryable(), "{err:?}");
            a.batch_execute("ROLLBACK").unwrap();
            return;
        }
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let worker = |first: i32, second: i32| {
            let url = db.url.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut conn = Connection::establish(&url).unwrap();
                conn.batch_execute("BEGIN").unwrap();
                conn.execute(&format!("UPDATE acct SET n = n + 1 WHERE id = {first}"))
                    .unwrap();
                barrier.wait();
                let outcome =
                    conn.execute(&format!("UPDATE acct SET n = n + 1 WHERE id = {second}"));
                let _ = conn.batch_execute(if outcome.is_ok() {
                    "COMMIT"
                } else {
                    "ROLLBACK"
                });
                outcome
            })
        };
        let a = worker(1, 2);
        let b = worker(2, 1);
        let outcomes = [a.join().unwrap(), b.join().unwrap()];
        let errors: Vec<&Error> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
        assert_eq!(
            errors.len(),
            1,
            "exactly one side is the deadlock victim: {outcomes:?}"
        );
        assert!(errors[0].is_retryable(), "{:?}", errors[0]);
        println!("{:?}: {:?}", db.backend, errors[0]);
    }
);

// A connection the server terminated (PostgreSQL 57P01, MySQL KILL) reports
// `Error::Connection` on its next statement, on both server backends.
backend_test!(
    fn killed_connection_is_a_connection_error(db: &TestDb) {
        let kill = match db.backend {
            Backend::Sqlite => return,
            Backend::Postgres => "SELECT pg_terminate_backend(CAST({id} AS INTEGER))",
            Backend::Mysql => "KILL {id}",
        };
        let mut victim = db.connect();
        let id = match db.backend {
            Backend::Postgres => {
                crate::connect::scalar_i64(&mut victim, "CAST(pg_backend_pid() AS BIGINT)")
            }
            _ => crate::connect::scalar_i64(&mut victim, "CAST(CONNECTION_ID() AS SIGNED)"),
        };
        let mut killer = db.connect();
        killer
            .batch_execute(&kill.replace("{id}", &id.to_string()))
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let err = victim.execute("SELECT 1").unwrap_err();
        println!("{:?}: {err:?}", db.backend);
        assert!(
            matches!(&err, Error::Connection { backend, .. } if *backend == db.backend),
            "{err:?}"
        );
    }
);
