//! The test harness itself: each `TestDb` is a database of its own, every connection made
//! from its URL lands in it, and it is gone after the test.

use orm_exec::{Backend, Connection};

use crate::backend_test;
use crate::connect::{scalar_i64, scalar_text};
use crate::support::{self, TestDb};

backend_test!(
    fn connections_from_the_url_share_the_database(db: &TestDb) {
        let mut a = db.connect();
        a.batch_execute("CREATE TABLE shared (id INTEGER PRIMARY KEY)")
            .unwrap();
        a.execute("INSERT INTO shared (id) VALUES (1)").unwrap();
        let mut b = Connection::establish(&db.url).unwrap();
        assert_eq!(support::count_rows(&mut b, "shared"), 1);
        match db.backend {
            // The search_path from the URL's `options` is honoured by tokio-postgres.
            Backend::Postgres => {
                assert_eq!(
                    scalar_text(&mut b, "CAST(current_schema() AS TEXT)"),
                    db.name
                );
            }
            Backend::Mysql => assert_eq!(scalar_text(&mut b, "DATABASE()"), db.name),
            Backend::Sqlite => {}
        }
    }
);

backend_test!(
    fn two_test_databases_do_not_see_each_other(db: &TestDb) {
        let other = TestDb::new(db.backend).unwrap();
        assert_ne!(other.url, db.url);
        let mut a = db.connect();
        let mut b = other.connect();
        a.batch_execute("CREATE TABLE same_name (id INTEGER)")
            .unwrap();
        b.batch_execute("CREATE TABLE same_name (id INTEGER)")
            .unwrap();
        a.execute("INSERT INTO same_name (id) VALUES (1)").unwrap();
        assert_eq!(support::count_rows(&mut a, "same_name"), 1);
        assert_eq!(support::count_rows(&mut b, "same_name"), 0);
    }
);

/// Dropping a `TestDb` removes its file, schema or database.
#[test]
fn test_databases_are_removed() {
    for backend in Backend::ALL {
        let enabled = match backend {
            Backend::Sqlite => cfg!(feature = "sqlite"),
            Backend::Postgres => cfg!(feature = "postgres"),
            Backend::Mysql => cfg!(feature = "mysql"),
        };
        if !enabled {
            continue;
        }
        let Some(db) = TestDb::new(backend) else {
            continue;
        };
        let mut conn = db.connect();
        conn.batch_execute("CREATE TABLE t (id INTEGER)").unwrap();
        drop(conn);
        let name = db.name.clone();
        let url = db.url.clone();
        drop(db);
        match backend {
            Backend::Sqlite => {
                let path = url.strip_prefix("sqlite://").unwrap();
                assert!(!std::path::Path::new(path).exists(), "{path} still exists");
            }
            Backend::Postgres | Backend::Mysql => {
                let admin_url = support::server_url(backend).unwrap();
                let mut admin = Connection::establish(&admin_url).unwrap();
                let table = if backend == Backend::Postgres {
                    "information_schema.schemata"
                } else {
                    "information_schema.SCHEMATA"
                };
                let left = scalar_i64(
                    &mut admin,
                    &format!("COUNT(*) FROM {table} WHERE schema_name = '{name}'"),
                );
                assert_eq!(left, 0, "{backend}: {name} still exists");
            }
        }
    }
}
