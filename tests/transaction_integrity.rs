//! A transaction is never reported committed when it was not, nor rolled back when it was
//! not, on every backend and in both forms (blocking `Connection::transaction`, async
//! `Database::transaction` / `PooledConnection::transaction`), whatever statement failed
//! (a row-returning `create` included), whatever instrumentation the connection carries.
//! What was kept is always read through a separate connection.

#[macro_use]
mod support;
mod persist_support;

use std::sync::Barrier;
use std::time::Duration;

use orm::prelude::*;
use orm::{Backend, Connection, Database, Error};
use orm_suite::models::*;
use persist_support::*;
use support::{count_rows, runtime, TestDb};

fn setup(db: &TestDb) -> Connection {
    let mut conn = db.connect();
    conn.create_all(&models()).unwrap();
    conn
}

/// A track whose album does not exist: its `create` (INSERT ... RETURNING on SQLite and
/// PostgreSQL) fails with a foreign-key violation.
fn orphan_track() -> NewTrack {
    NewTrack::new(999_999, "orphan", 1)
}

/// What a transaction whose closure swallowed a failed statement and returned `Ok` must
/// report, and how many albums it must have kept: PostgreSQL aborted the transaction at the
/// error, so nothing is committed and the error says so; SQLite and MySQL undo the failed
/// statement only, and commit the rest.
fn assert_swallowed_outcome(db: &TestDb, outcome: Result<(), Error>, kept_albums: i64) {
    match db.backend {
        Backend::Postgres => {
            let err = outcome.unwrap_err();
            assert!(matches!(err, Error::NotCommitted { .. }), "{err:?}");
            assert!(
                err.to_string().contains("rolled back, not committed"),
                "{err}"
            );
            assert_eq!(kept_albums, 0);
        }
        Backend::Sqlite | Backend::Mysql => {
            outcome.unwrap();
            assert_eq!(kept_albums, 1);
        }
    }
}

/// A blocking transaction that creates an album, swallows a failed `create` and returns
/// `Ok`: checks its outcome, and returns how many albums there are now.
fn swallow_a_failed_create(db: &TestDb, conn: &mut Connection) -> i64 {
    let outcome = conn.transaction(|c| -> orm::Result<()> {
        Album::objects().create(&mut *c, NewAlbum::new("kept?"))?;
        let failed = Track::objects().create(c, orphan_track());
        assert!(failed.unwrap_err().is_foreign_key_violation());
        Ok(())
    });
    let kept = count_rows(&mut db.connect(), "albums");
    assert_swallowed_outcome(db, outcome, kept);
    kept
}

backend_test!(
    fn blocking_swallowed_create_failure(db: &TestDb) {
        let mut conn = setup(db);
        let kept = swallow_a_failed_create(db, &mut conn);
        // The connection is usable, and a later transaction commits.
        conn.transaction(|c| Album::objects().create(c, NewAlbum::new("later")))
            .unwrap();
        assert_eq!(count_rows(&mut db.connect(), "albums"), kept + 1);
    }
);

backend_test!(
    fn async_swallowed_create_failure_both_forms(db: &TestDb) {
        setup(db);
        let rt = runtime(2);
        let pool = rt.block_on(Database::connect(&db.url)).unwrap();
        // Database::transaction.
        let outcome = rt.block_on(pool.transaction(async |c| {
            Album::objects().create(&mut *c, NewAlbum::new("a")).await?;
            let failed = Track::objects().create(&mut *c, orphan_track()).await;
            assert!(failed.unwrap_err().is_foreign_key_violation());
            Ok::<_, Error>(())
        }));
        let kept = count_rows(&mut db.connect(), "albums");
        assert_swallowed_outcome(db, outcome, kept);

        // PooledConnection::transaction, and the same connection afterwards.
        let mut conn = rt.block_on(pool.get()).unwrap();
        let outcome = rt.block_on(conn.transaction(async |c| {
            Album::objects().create(&mut *c, NewAlbum::new("b")).await?;
            let failed = Track::objects().create(&mut *c, orphan_track()).await;
            assert!(failed.unwrap_err().is_foreign_key_violation());
            Ok::<_, Error>(())
        }));
        let kept_now = count_rows(&mut db.connect(), "albums");
        assert_swallowed_outcome(db, outcome, kept_now - kept);
        rt.block_on(conn.transaction(async |c| {
            Album::objects().create(&mut *c, NewAlbum::new("c")).await?;
            Ok::<_, Error>(())
        }))
        .unwrap();
        assert_eq!(count_rows(&mut db.connect(), "albums"), kept_now + 1);
    }
);

/// An instrumentation of the application's own, replacing orm's on the connection.
struct AppInstrumentation;

impl diesel::connection::Instrumentation for AppInstrumentation {
    fn on_connection_event(&mut self, _event: diesel::connection::InstrumentationEvent<'_>) {}
}

backend_test!(
    fn replacing_the_instrumentation_keeps_the_protection(db: &TestDb) {
        let mut conn = setup(db);
        orm::dispatch!(&mut conn, c => {
            diesel::Connection::set_instrumentation(c, AppInstrumentation)
        });
        swallow_a_failed_create(db, &mut conn);
    }
);

/// Renames album `id` to `name`, taking its row lock.
fn rename(conn: &mut Connection, id: i32, name: &str) -> orm::Result<usize> {
    use diesel::sql_types::{Integer, Text};
    conn.raw("UPDATE albums SET name = ? WHERE id = ?")
        .bind::<Text, _>(name)
        .bind::<Integer, _>(id)
        .execute()
}

/// Two albums, and the order in which each of two transactions locks them: opposite
/// orders, so the server ends one of them with a deadlock.
fn lock_plans(db: &TestDb) -> [(i32, i32, &'static str); 2] {
    let mut conn = setup(db);
    let one = Album::objects()
        .create(&mut conn, NewAlbum::new("one"))
        .unwrap();
    let two = Album::objects()
        .create(&mut conn, NewAlbum::new("two"))
        .unwrap();
    [(one.id, two.id, "first"), (two.id, one.id, "second")]
}

/// Of the two transactions' outcomes, exactly one is `NotCommitted` and kept no note; the
/// other committed its note. Returns the survivor's marker.
fn assert_one_victim(
    db: &TestDb,
    outcomes: Vec<(&'static str, Result<(), Error>)>,
) -> &'static str {
    let (failed, committed): (Vec<_>, Vec<_>) = outcomes
        .into_iter()
        .partition(|(_, outcome)| outcome.is_err());
    assert_eq!((failed.len(), committed.len()), (1, 1), "{failed:?}");
    let (victim, err) = (failed[0].0, failed[0].1.as_ref().unwrap_err());
    assert!(matches!(err, Error::NotCommitted { .. }), "{err:?}");
    let survivor = committed[0].0;
    let notes: Vec<String> = Note::objects()
        .all(&mut db.connect())
        .unwrap()
        .into_iter()
        .map(|n| n.text)
        .collect();
    assert_eq!(notes, [survivor], "the victim {victim} kept nothing");
    survivor
}

/// Two transactions lock two rows in opposite orders; the server ends one of them with a
/// deadlock, whose closure swallows the error, writes a note and returns `Ok`. That
/// transaction must report `NotCommitted` and keep nothing, its note included (on MySQL the
/// note would otherwise run after the server's rollback, in autocommit mode, and be kept);
/// the other commits everything.
fn swallowed_deadlock(db: &TestDb) {
    let plans = lock_plans(db);
    let barrier = Barrier::new(2);
    let outcomes: Vec<(&str, Result<(), Error>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = plans
            .into_iter()
            .map(|(mine, theirs, marker)| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut conn = db.connect();
                    let outcome = conn.transaction(|c| -> orm::Result<()> {
                        rename(c, mine, marker)?;
                        barrier.wait();
                        if marker == "first" {
                            // The first asks for the other lock last: it closes the cycle.
                            std::thread::sleep(Duration::from_millis(300));
                        }
                        if let Err(e) = rename(c, theirs, marker) {
                            assert!(e.is_retryable(), "a deadlock: {e:?}");
                        }
                        let _ = Note::objects().create(c, NewNote::new(marker));
                        Ok(())
                    });
                    (marker, outcome)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let survivor = assert_one_victim(db, outcomes);
    let mut check = db.connect();
    let names: Vec<String> = Album::objects()
        .all(&mut check)
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, [survivor, survivor]);
}

#[cfg(feature = "postgres")]
#[test]
fn swallowed_deadlock_postgres() {
    support::run(Backend::Postgres, swallowed_deadlock);
}

#[cfg(feature = "mysql")]
#[test]
fn swallowed_deadlock_mysql() {
    support::run(Backend::Mysql, swallowed_deadlock);
}

/// The async form of the same: the pooled connections' transactions end the same way.
fn swallowed_deadlock_async(db: &TestDb) {
    let plans = lock_plans(db);
    let rt = runtime(2);
    let pool = rt.block_on(Database::connect(&db.url)).unwrap();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let outcomes = rt.block_on(async {
        let tasks: Vec<_> = plans
            .into_iter()
            .map(|(mine, theirs, marker)| {
                let (pool, barrier) = (pool.clone(), barrier.clone());
                tokio::spawn(async move {
                    let outcome = pool
                        .transaction(async |c| {
                            rename_async(c, mine, marker).await?;
                            barrier.wait().await;
                            if marker == "first" {
                                tokio::time::sleep(Duration::from_millis(300)).await;
                            }
                            if let Err(e) = rename_async(c, theirs, marker).await {
                                assert!(e.is_retryable(), "a deadlock: {e:?}");
                            }
                            let _ = Note::objects().create(&mut *c, NewNote::new(marker)).await;
                            Ok::<_, Error>(())
                        })
                        .await;
                    (marker, outcome)
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        outcomes
    });
    assert_one_victim(db, outcomes);
}

/// [`rename`] on a pooled connection.
async fn rename_async(conn: &mut orm::PooledConnection, id: i32, name: &str) -> orm::Result<usize> {
    Album::objects()
        .filter(albums::id.eq(id))
        .update(
            &mut *conn,
            AlbumChanges {
                name: Some(name.to_owned()),
            },
        )
        .await
}

#[cfg(feature = "postgres")]
#[test]
fn swallowed_deadlock_async_postgres() {
    support::run(Backend::Postgres, swallowed_deadlock_async);
}

#[cfg(feature = "mysql")]
#[test]
fn swallowed_deadlock_async_mysql() {
    support::run(Backend::Mysql, swallowed_deadlock_async);
}

/// `@@autocommit` of `conn`'s session (MySQL).
#[cfg(feature = "mysql")]
fn autocommit(conn: &mut Connection) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        on: i64,
    }
    conn.raw("SELECT CAST(@@autocommit AS SIGNED) AS `on`")
        .get_result::<Row>()
        .unwrap()
        .on
}

/// MySQL: autocommit is off only inside orm's transactions, whatever way they end; a
/// transaction the closure itself ended (a raw `ROLLBACK`) is `NotCommitted`, and what the
/// closure wrote after that is held back and rolled back, not committed.
#[cfg(feature = "mysql")]
#[test]
fn mysql_autocommit_is_restored_and_a_transaction_ended_inside_keeps_nothing() {
    support::run(Backend::Mysql, |db| {
        let mut conn = setup(db);
        conn.transaction(|c| Album::objects().create(c, NewAlbum::new("a")))
            .unwrap();
        assert_eq!(autocommit(&mut conn), 1);
        let failed = conn.transaction(|c| -> orm::Result<()> {
            assert_eq!(autocommit(c), 0);
            Album::objects().create(&mut *c, NewAlbum::new("b"))?;
            Err(Error::NoMatch { model: "Album" })
        });
        assert!(failed.is_err());
        assert_eq!(autocommit(&mut conn), 1);
        let ended = conn.transaction(|c| -> orm::Result<()> {
            Album::objects().create(&mut *c, NewAlbum::new("c"))?;
            c.batch_execute("ROLLBACK")?;
            Album::objects().create(&mut *c, NewAlbum::new("d"))?;
            Ok(())
        });
        let err = ended.unwrap_err();
        assert!(matches!(err, Error::NotCommitted { .. }), "{err:?}");
        assert_eq!(autocommit(&mut conn), 1);
        let names: Vec<String> = Album::objects()
            .all(&mut db.connect())
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["a"]);
        // Outside a transaction, a write commits at once.
        Album::objects()
            .create(&mut conn, NewAlbum::new("e"))
            .unwrap();
        assert_eq!(count_rows(&mut db.connect(), "albums"), 2);
    });
}
