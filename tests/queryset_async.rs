//! The QuerySet's terminal operations on every backend, async: the same QuerySet values as
//! tests/queryset.rs, run on a `Database` (a pooled connection per statement), on a
//! `PooledConnection` and inside an async transaction, with the same names as the blocking
//! operations (`all`, `first`, `one`, `get`, `count`, `exists`). Every future is `Send`.

#[macro_use]
mod support;

use diesel::RunQueryDsl;
use orm::prelude::*;
use orm::{Database, Error};
use orm_suite::models::*;
#[allow(unused_imports)]
use support::TestDb;
use support::{assert_send, runtime};

const TEXTS: &[&str] = &[
    "Buy milk",
    "buy MILK now",
    "100% sure",
    "100 percent",
    "snake_case",
    "snakeXcase",
    "back\\slash",
    "it's \"quoted\"",
    "wow!",
    "Ünïcode",
];

/// The tables and the notes 1..=10 (odd ids completed), written blocking.
fn seed(db: &TestDb) {
    let mut conn = db.connect();
    conn.create_all(&all_models()).unwrap();
    let rows: Vec<_> = TEXTS
        .iter()
        .enumerate()
        .map(|(i, text)| {
            (
                notes::id.eq(i as i64 + 1),
                notes::text.eq(*text),
                notes::completed.eq(i % 2 == 0),
            )
        })
        .collect();
    orm::dispatch!(&mut conn, c => diesel::insert_into(notes::table).values(&rows).execute(c))
        .unwrap();
}

fn ids(rows: Vec<Note>) -> Vec<i64> {
    rows.into_iter().map(|n| n.id).collect()
}

fn texts(rows: Vec<Note>) -> Vec<String> {
    let mut t: Vec<String> = rows.into_iter().map(|n| n.text).collect();
    t.sort();
    t
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut t: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    t.sort();
    t
}

backend_test!(
    fn ordering_slicing_and_terminal_operations(db: &TestDb) {
        seed(db);
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let ordered = Note::objects()
                .order_by(notes::completed.desc())
                .then_order_by(notes::id.asc());
            let all = assert_send(ordered.all(&pool)).await.unwrap();
            assert_eq!(ids(all), [1, 3, 5, 7, 9, 2, 4, 6, 8, 10]);
            // limit with offset; offset alone.
            let page = ordered.clone().limit(3).offset(4).all(&pool).await.unwrap();
            assert_eq!(ids(page), [9, 2, 4]);
            let tail = ordered.clone().offset(8).all(&pool).await.unwrap();
            assert_eq!(ids(tail), [8, 10]);
            // first, and first on an empty result.
            let first = assert_send(ordered.first(&pool)).await.unwrap();
            assert_eq!(first.unwrap().id, 1);
            let none = Note::objects().filter(notes::id.gt(100));
            assert!(none.first(&pool).await.unwrap().is_none());
            // get and one: one row, none, several.
            let three = assert_send(Note::objects().get(&pool, notes::id.eq(3)))
                .await
                .unwrap();
            assert_eq!(three.text, "100% sure");
            match Note::objects().get(&pool, notes::id.eq(300)).await {
                Err(Error::NoMatch { model }) => assert_eq!(model, "Note"),
                other => panic!("expected NoMatch, got {other:?}"),
            }
            match Note::objects().get(&pool, notes::completed.eq(true)).await {
                Err(Error::MultipleMatches { model }) => assert_eq!(model, "Note"),
                other => panic!("expected MultipleMatches, got {other:?}"),
            }
            let one = Note::objects().filter(notes::text.contains("%"));
            assert_eq!(assert_send(one.one(&pool)).await.unwrap().id, 3);
            assert!(matches!(none.one(&pool).await, Err(Error::NoMatch { .. })));
            // count and exists after filters; the ordering does not change the count, a
            // slice counts its own rows (as Django's do).
            let done = Note::objects().filter(notes::completed.eq(true));
            assert_eq!(assert_send(done.count(&pool)).await.unwrap(), 5);
            let sliced = done.clone().order_by(notes::id.desc()).limit(2);
            assert_eq!(sliced.count(&pool).await.unwrap(), 2);
            assert_eq!(done.clone().offset(4).count(&pool).await.unwrap(), 1);
            assert!(!assert_send(done.clone().offset(5).exists(&pool))
                .await
                .unwrap());
            assert!(assert_send(done.exists(&pool)).await.unwrap());
            let nothing = done.filter(notes::id.gt(1000));
            assert_eq!(nothing.count(&pool).await.unwrap(), 0);
            assert!(!nothing.exists(&pool).await.unwrap());
            assert_eq!(
                Note::objects().count(&pool).await.unwrap(),
                TEXTS.len() as i64
            );
        });
    }
);

backend_test!(
    fn lookups_and_by_name(db: &TestDb) {
        seed(db);
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let q = Note::objects;
            let got = q().filter(notes::text.icontains("MiLk")).all(&pool).await;
            assert_eq!(texts(got.unwrap()), sorted(&["Buy milk", "buy MILK now"]));
            let got = q().filter(notes::text.contains("_")).all(&pool).await;
            assert_eq!(texts(got.unwrap()), sorted(&["snake_case"]));
            let got = q()
                .filter(notes::id.lte(4))
                .exclude(notes::completed.eq(true))
                .order_by(notes::id.asc())
                .all(&pool)
                .await;
            assert_eq!(ids(got.unwrap()), [2, 4]);
            // By name: lookups, exclusion, ordering, search.
            let by_name = q().filter_by("text__icontains", "MILK").unwrap();
            let got = assert_send(by_name.all(&pool)).await.unwrap();
            assert_eq!(texts(got), sorted(&["Buy milk", "buy MILK now"]));
            let some = q()
                .filter_by("pk__in", "1, 3,5")
                .unwrap()
                .exclude_by("id", "5")
                .unwrap();
            assert_eq!(
                texts(some.all(&pool).await.unwrap()),
                sorted(&["Buy milk", "100% sure"])
            );
            let count = q().filter_by("id__gte", "9").unwrap().count(&pool).await;
            assert_eq!(count.unwrap(), 2);
            let exists = q().filter_by("text", "x' OR '1'='1").unwrap();
            assert!(!exists.exists(&pool).await.unwrap());
            let got = q()
                .order_by_names(&["-completed", "pk"])
                .unwrap()
                .limit(4)
                .all(&pool)
                .await;
            assert_eq!(ids(got.unwrap()), [1, 3, 5, 7]);
            let got = q()
                .filter_by("completed", "true")
                .unwrap()
                .get(&pool, notes::id.eq(9))
                .await;
            assert_eq!(got.unwrap().text, "wow!");
            assert_eq!(q().search("mIlK").count(&pool).await.unwrap(), 2);
        });
    }
);

/// Ends a transaction with what it saw, rolling it back.
#[derive(Debug)]
enum Rollback {
    Seen(i64, bool),
    Orm(Error),
}

impl From<Error> for Rollback {
    fn from(e: Error) -> Self {
        Rollback::Orm(e)
    }
}

backend_test!(
    fn on_a_pooled_connection_and_in_a_transaction(db: &TestDb) {
        seed(db);
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let open = Note::objects()
                .filter(notes::completed.eq(false))
                .order_by(notes::id.desc());

            let mut conn = pool.get().await.unwrap();
            let rows = assert_send(open.all(&mut conn)).await.unwrap();
            assert_eq!(ids(rows), [10, 8, 6, 4, 2]);
            assert_eq!(open.count(&mut conn).await.unwrap(), 5);
            assert_eq!(open.first(&mut conn).await.unwrap().unwrap().id, 10);
            let two = open.get(&mut conn, notes::id.eq(2)).await.unwrap();
            assert_eq!(two.text, "buy MILK now");
            drop(conn);

            // Inside a transaction, on its connection: sees its own uncommitted write.
            let outcome = pool
                .transaction(async |conn| {
                    conn.execute("UPDATE notes SET completed = TRUE WHERE id = 2")
                        .await?;
                    let inside = open.count(&mut *conn).await?;
                    let mine = open.clone().filter(notes::id.eq(2));
                    let exists = mine.exists(&mut *conn).await?;
                    Err::<(), _>(Rollback::Seen(inside, exists))
                })
                .await;
            match outcome {
                Err(Rollback::Seen(inside, exists)) => assert_eq!((inside, exists), (4, false)),
                Err(Rollback::Orm(e)) => panic!("{e}"),
                Ok(()) => unreachable!(),
            }
            // Rolled back.
            assert_eq!(open.count(&pool).await.unwrap(), 5);
        });
    }
);

backend_test!(
    fn futures_run_on_spawned_tasks(db: &TestDb) {
        seed(db);
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let tasks: Vec<_> = (1..=4_i64)
                .map(|id| {
                    let pool = pool.clone();
                    tokio::spawn(async move {
                        let qs = Note::objects().filter(notes::id.le(id));
                        (qs.count(&pool).await, qs.get(&pool, notes::id.eq(id)).await)
                    })
                })
                .collect();
            for (i, task) in tasks.into_iter().enumerate() {
                let (count, row) = task.await.unwrap();
                assert_eq!(count.unwrap(), i as i64 + 1);
                assert_eq!(row.unwrap().id, i as i64 + 1);
            }
        });
    }
);

// The same QuerySet value runs blocking and async, with the same method names.
backend_test!(
    fn the_same_queryset_blocking_and_async(db: &TestDb) {
        seed(db);
        let qs = Note::objects()
            .filter_by("text__istartswith", "buy")
            .unwrap()
            .order_by(notes::id.asc());
        let mut conn = db.connect();
        let blocking = ids(qs.all(&mut conn).unwrap());
        let count = qs.count(&mut conn).unwrap();
        let asynchronous = runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            (
                ids(qs.all(&pool).await.unwrap()),
                qs.count(&pool).await.unwrap(),
            )
        });
        assert_eq!(blocking, [1, 2]);
        assert_eq!((blocking, count), asynchronous);
    }
);
