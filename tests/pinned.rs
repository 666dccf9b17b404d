//! QuerySets and persistence on one backend's own connection (`orm_query::pinned`): the
//! executors taken out of a `Connection` or `PooledConnection` by a `match`, which accept
//! expressions of that backend only (PostgreSQL's `ilike` here, which does not compile on a
//! `Connection` while SQLite and MySQL are enabled too), blocking and async.

#[macro_use]
mod support;
mod persist_support;

use orm::prelude::*;
use orm::{Connection, Database, Error, PooledConnection};
use orm_suite::models::*;
use persist_support::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// Two notes, and a QuerySet for the one whose text holds "milk".
fn seed(db: &TestDb) -> Connection {
    let mut conn = db.connect();
    conn.create_all(&models()).unwrap();
    for text in ["Buy the MILK", "Walk"] {
        Note::objects()
            .create(&mut conn, NewNote::new(text))
            .unwrap();
    }
    conn
}

backend_test!(
    fn every_operation_on_the_backends_own_connection(db: &TestDb) {
        let mut conn = seed(db);
        let qs = Note::objects().filter(notes::text.eq("Walk"));
        let none = Note::objects().filter(notes::text.eq("none"));
        macro_rules! check {
            ($c:expr) => {{
                assert_eq!(qs.all(&mut *$c).unwrap().len(), 1);
                assert_eq!(qs.first(&mut *$c).unwrap().unwrap().text, "Walk");
                assert_eq!(qs.one(&mut *$c).unwrap().text, "Walk");
                assert_eq!(Note::objects().count(&mut *$c).unwrap(), 2);
                assert!(qs.exists(&mut *$c).unwrap());
                assert!(!none.exists(&mut *$c).unwrap());
                let err = Note::objects().one(&mut *$c).unwrap_err();
                assert!(matches!(err, Error::MultipleMatches { .. }), "{err:?}");
                let err = none.get(&mut *$c, notes::id.gt(0)).unwrap_err();
                assert!(matches!(err, Error::NoMatch { .. }), "{err:?}");
            }};
        }
        // A mariadb:// URL opens diesel's MariaDB backend, a mysql:// URL its MySQL backend.
        let mariadb = db.url.starts_with("mariadb://");
        assert_eq!(matches!(conn, Connection::Mariadb(_)), mariadb);
        match &mut conn {
            Connection::Sqlite(c) => check!(c),
            Connection::Postgres(c) => check!(c),
            Connection::Mysql(c) => check!(c),
            Connection::Mariadb(c) => check!(c),
        }
        let rt = runtime(2);
        rt.block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut conn = pool.get().await.unwrap();
            macro_rules! check_async {
                ($c:expr) => {{
                    assert_eq!(qs.all(&mut *$c).await.unwrap().len(), 1);
                    assert_eq!(qs.first(&mut *$c).await.unwrap().unwrap().text, "Walk");
                    assert_eq!(qs.one(&mut *$c).await.unwrap().text, "Walk");
                    assert_eq!(Note::objects().count(&mut *$c).await.unwrap(), 2);
                    assert!(qs.exists(&mut *$c).await.unwrap());
                    let err = Note::objects().one(&mut *$c).await.unwrap_err();
                    assert!(matches!(err, Error::MultipleMatches { .. }), "{err:?}");
                }};
            }
            assert_eq!(matches!(conn, PooledConnection::Mariadb(_)), mariadb);
            match &mut conn {
                PooledConnection::Sqlite(c) => check_async!(c),
                PooledConnection::Postgres(c) => check_async!(c),
                PooledConnection::Mysql(c) => check_async!(c),
                PooledConnection::Mariadb(c) => check_async!(c),
            }
        });
    }
);

/// The branch an application writes to use PostgreSQL's `ILIKE` there and a portable
/// lookup elsewhere.
fn milk(conn: &mut Connection) -> orm::Result<Vec<Note>> {
    use diesel::PgTextExpressionMethods;
    let qs = Note::objects();
    match conn {
        Connection::Postgres(pg) => qs.filter(notes::text.ilike("%milk%")).all(pg),
        other => qs.filter(notes::text.icontains("milk")).all(other),
    }
}

backend_test!(
    fn a_backend_specific_expression_in_a_branch(db: &TestDb) {
        let mut conn = seed(db);
        let found = milk(&mut conn).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, "Buy the MILK");
    }
);

#[cfg(feature = "postgres")]
#[test]
fn postgres_ilike_on_a_pooled_postgres_connection() {
    use diesel::PgTextExpressionMethods;
    support::run(orm::Backend::Postgres, |db| {
        drop(seed(db));
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut conn = pool.get().await.unwrap();
            let PooledConnection::Postgres(pg) = &mut conn else {
                panic!("a postgres URL opens a PostgreSQL connection")
            };
            let found = Note::objects()
                .filter(notes::text.ilike("%milk%"))
                .all(pg)
                .await
                .unwrap();
            assert_eq!(found.len(), 1);
        });
    });
}

backend_test!(
    fn writes_on_the_backends_own_connection(db: &TestDb) {
        let mut conn = seed(db);
        // Persistence's operations run on the same executors as the reads.
        macro_rules! check {
            ($c:expr) => {{
                let made = Note::objects()
                    .create(&mut *$c, NewNote::new("Eggs"))
                    .unwrap();
                assert_eq!(made.text, "Eggs");
                let gone = Note::objects()
                    .filter(notes::text.eq("Walk"))
                    .delete(&mut *$c)
                    .unwrap();
                assert_eq!(gone, 1);
                let long = NewNote::new("x".repeat(101));
                let err = Note::objects().create(&mut *$c, long).unwrap_err();
                assert!(matches!(err, Error::Validation(_)), "{err:?}");
            }};
        }
        match &mut conn {
            Connection::Sqlite(c) => check!(c),
            Connection::Postgres(c) => check!(c),
            Connection::Mysql(c) => check!(c),
            Connection::Mariadb(c) => check!(c),
        }
        let mut texts: Vec<String> = Note::objects()
            .all(&mut conn)
            .unwrap()
            .into_iter()
            .map(|n| n.text)
            .collect();
        texts.sort();
        assert_eq!(texts, ["Buy the MILK", "Eggs"]);
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut conn = pool.get().await.unwrap();
            macro_rules! check_async {
                ($c:expr) => {{
                    Note::objects()
                        .create(&mut *$c, NewNote::new("Tea"))
                        .await
                        .unwrap();
                    let gone = Note::objects()
                        .filter(notes::text.eq("Eggs"))
                        .delete(&mut *$c)
                        .await
                        .unwrap();
                    assert_eq!(gone, 1);
                }};
            }
            match &mut conn {
                PooledConnection::Sqlite(c) => check_async!(c),
                PooledConnection::Postgres(c) => check_async!(c),
                PooledConnection::Mysql(c) => check_async!(c),
                PooledConnection::Mariadb(c) => check_async!(c),
            }
            assert_eq!(Note::objects().count(&pool).await.unwrap(), 2);
        });
    }
);

#[cfg(feature = "postgres")]
#[test]
fn postgres_ilike_in_a_delete_on_the_postgres_connection() {
    use diesel::PgTextExpressionMethods;
    support::run(orm::Backend::Postgres, |db| {
        let mut conn = seed(db);
        let Connection::Postgres(pg) = &mut conn else {
            panic!("a postgres URL opens a PostgreSQL connection")
        };
        let gone = Note::objects()
            .filter(notes::text.ilike("%milk%"))
            .delete(pg)
            .unwrap();
        assert_eq!(gone, 1);
        assert_eq!(Note::objects().count(&mut conn).unwrap(), 1);
    });
}
