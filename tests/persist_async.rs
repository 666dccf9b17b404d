//! Persistence on every backend, async: the same methods as tests/persist.rs on a
//! `Database` (a pooled connection per operation) and on a `PooledConnection` inside an
//! async transaction; 32 concurrent update_or_create calls on one unique key. Every
//! future is `Send`. The 64-caller get_or_create and atomic-increment tests are in
//! tests/reliability_load.rs.

#[macro_use]
mod support;
mod persist_support;

use orm::prelude::*;
use orm::{Database, Error};
use orm_suite::models::*;
use persist_support::*;
#[allow(unused_imports)]
use support::TestDb;
use support::{assert_send, runtime};

/// Creates the tables (blocking, before any runtime) and returns a runtime and the pool's
/// URL.
fn setup(db: &TestDb) -> (tokio::runtime::Runtime, &str) {
    db.connect().create_all(&models()).unwrap();
    (runtime(4), &db.url)
}

backend_test!(
    fn create_update_reload_delete(db: &TestDb) {
        let (runtime, url) = setup(db);
        runtime.block_on(async {
            let pool = Database::connect(url).await.unwrap();
            let mut note = assert_send(Note::objects().create(&pool, NewNote::new("a")))
                .await
                .unwrap();
            assert!(note.id > 0);
            let changes = NoteChanges {
                completed: Some(true),
                ..Default::default()
            };
            assert_send(note.update(&pool, changes)).await.unwrap();
            assert!(note.completed);
            let stored = Note::objects()
                .get(&pool, notes::id.eq(note.id))
                .await
                .unwrap();
            assert_eq!(stored, note);

            // Invalid input is refused and writes nothing.
            let err = Note::objects()
                .create(&pool, NewNote::new("x".repeat(101)))
                .await
                .unwrap_err();
            assert!(matches!(err, Error::Validation(_)), "{err:?}");
            let err = note
                .update(
                    &pool,
                    NoteChanges {
                        text: Some(String::new()),
                        completed: Some(false),
                    },
                )
                .await
                .unwrap_err();
            assert!(matches!(err, Error::Validation(_)), "{err:?}");
            assert!(note.completed);
            assert_eq!(Note::objects().count(&pool).await.unwrap(), 1);
            let err = Note::objects()
                .bulk_create(&pool, vec![NewNote::new("ok"), NewNote::new("")])
                .await
                .unwrap_err();
            let Error::Validation(invalid) = err else {
                panic!("expected a validation error, got {err:?}");
            };
            assert!(invalid.errors()[0].message.starts_with("row 1: "));
            assert_eq!(Note::objects().count(&pool).await.unwrap(), 1);

            // A UUID key, defaults, auto_now; reload and update.
            let mut kitchen = Kitchen::objects()
                .create(&pool, kitchen_form(note.id, "pan", "k@example.com"))
                .await
                .unwrap();
            let created = kitchen.clone();
            let mut reread = created.clone();
            assert_send(reread.reload(&pool)).await.unwrap();
            assert_eq!(reread, created);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            let changes = KitchenChanges {
                quantity: Some(8),
                ..Default::default()
            };
            kitchen.update(&pool, changes).await.unwrap();
            assert_eq!(kitchen.quantity, 8);
            assert!(kitchen.updated_at > created.updated_at);
            assert_eq!(kitchen.created_at, created.created_at);

            // RESTRICT refuses; the row stays.
            let err = note.delete(&pool).await.unwrap_err();
            assert!(err.is_foreign_key_violation(), "{err:?}");
            assert_send(kitchen.delete(&pool)).await.unwrap();
            note.delete(&pool).await.unwrap();
            let err = note.delete(&pool).await.unwrap_err();
            assert!(matches!(err, Error::NoMatch { model: "Note" }), "{err:?}");
            assert_eq!(Note::objects().count(&pool).await.unwrap(), 0);
        });
    }
);

backend_test!(
    fn queryset_writes_and_on_delete(db: &TestDb) {
        let (runtime, url) = setup(db);
        runtime.block_on(async {
            let pool = Database::connect(url).await.unwrap();
            let forms = ["a", "b", "c"].map(NewNote::new).to_vec();
            let notes = assert_send(Note::objects().bulk_create(&pool, forms))
                .await
                .unwrap();
            assert_eq!(notes.len(), 3);
            assert!(notes.windows(2).all(|w| w[0].id < w[1].id));
            let changes = NoteChanges {
                completed: Some(true),
                ..Default::default()
            };
            let ab = Note::objects().filter(notes::text.eq_any(["a", "b"]));
            assert_eq!(assert_send(ab.update(&pool, changes)).await.unwrap(), 2);
            let done = Note::objects().filter(notes::completed.eq(true));
            assert_eq!(assert_send(done.delete(&pool)).await.unwrap(), 2);
            assert_eq!(Note::objects().count(&pool).await.unwrap(), 1);

            let album = Album::objects()
                .create(&pool, NewAlbum::new("Blue"))
                .await
                .unwrap();
            let tracks = (1..=3)
                .map(|i| NewTrack::new(album.id, format!("t{i}"), i))
                .collect();
            Track::objects().bulk_create(&pool, tracks).await.unwrap();
            let mut playlist = Playlist::objects()
                .create(
                    &pool,
                    NewPlaylist {
                        featured: Some(album.id),
                        ..NewPlaylist::new("mix")
                    },
                )
                .await
                .unwrap();
            let mut track = Track::objects().first(&pool).await.unwrap().unwrap();
            assert!(!track.album.is_loaded());
            let loaded = assert_send(track.album.load(&pool)).await.unwrap();
            assert_eq!(loaded, &album);
            assert!(track.album.is_loaded());

            // CASCADE and SET NULL.
            album.delete(&pool).await.unwrap();
            assert_eq!(Track::objects().count(&pool).await.unwrap(), 0);
            playlist.reload(&pool).await.unwrap();
            assert_eq!(playlist.featured, None);
        });
    }
);

backend_test!(
    fn inside_an_async_transaction(db: &TestDb) {
        let (runtime, url) = setup(db);
        runtime.block_on(async {
            let pool = Database::connect(url).await.unwrap();
            // Everything on the transaction's connection; rolled back at the end.
            let outcome = pool
                .transaction(async |conn| {
                    let note = Note::objects()
                        .create(&mut *conn, NewNote::new("t"))
                        .await?;
                    let (first, created) = Tag::objects()
                        .get_or_create(&mut *conn, persist_tags::name.eq("in"), tag("in"))
                        .await?;
                    assert!(created);
                    // A unique violation inside runs under a savepoint: the transaction
                    // goes on.
                    let err = Tag::objects()
                        .get_or_create(&mut *conn, persist_tags::name.eq("x"), tag("in"))
                        .await
                        .unwrap_err();
                    assert!(err.is_unique_violation(), "{err:?}");
                    let (again, created) = Tag::objects()
                        .update_or_create(
                            &mut *conn,
                            persist_tags::name.eq("in"),
                            NewTag {
                                uses: Some(2),
                                ..tag("in")
                            },
                        )
                        .await?;
                    assert!(!created);
                    assert_eq!((again.id, again.uses), (first.id, 2));
                    let mut note = note;
                    note.update(
                        &mut *conn,
                        NoteChanges {
                            completed: Some(true),
                            ..Default::default()
                        },
                    )
                    .await?;
                    assert!(note.completed);
                    assert_eq!(Note::objects().count(&mut *conn).await?, 1);
                    Err::<(), _>(Error::NoMatch { model: "rollback" })
                })
                .await;
            assert!(matches!(outcome, Err(Error::NoMatch { model: "rollback" })));
            assert_eq!(Note::objects().count(&pool).await.unwrap(), 0);
            assert_eq!(Tag::objects().count(&pool).await.unwrap(), 0);
        });
    }
);

backend_test!(
    fn bulk_create_of_ten_thousand_rows_and_all_or_nothing(db: &TestDb) {
        let (runtime, url) = setup(db);
        runtime.block_on(async {
            let pool = Database::connect(url).await.unwrap();
            let forms: Vec<NewTag> = (0..10_000).map(|i| tag(&format!("tag-{i}"))).collect();
            let tags = Tag::objects().bulk_create(&pool, forms).await.unwrap();
            assert_eq!(tags.len(), 10_000);
            assert_eq!(tags[4_321].name, "tag-4321");
            assert_eq!(Tag::objects().count(&pool).await.unwrap(), 10_000);
            Tag::objects().delete(&pool).await.unwrap();

            // The 5 000th row repeats the first row's unique name: nothing is kept.
            let forms: Vec<NewTag> = (0..6_000)
                .map(|i| tag(&format!("tag-{}", if i == 4_999 { 0 } else { i })))
                .collect();
            let err = Tag::objects().bulk_create(&pool, forms).await.unwrap_err();
            assert!(err.is_unique_violation(), "{err:?}");
            assert_unique_code(&err, db.backend);
            assert_eq!(Tag::objects().count(&pool).await.unwrap(), 0);
        });
    }
);

backend_test!(
    fn concurrent_update_or_create_makes_one_row(db: &TestDb) {
        let (runtime, url) = setup(db);
        runtime.block_on(async {
            let pool = Database::connect(url).await.unwrap();
            let calls = (0..32).map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let form = NewTag {
                        uses: Some(i),
                        ..tag("hot")
                    };
                    Tag::objects()
                        .update_or_create(&pool, persist_tags::name.eq("hot"), form)
                        .await
                })
            });
            let mut pks = Vec::new();
            let mut created = 0;
            for call in calls.collect::<Vec<_>>() {
                let (row, was_created) = call.await.unwrap().unwrap();
                pks.push(row.id);
                created += usize::from(was_created);
            }
            assert!(pks.iter().all(|pk| *pk == pks[0]), "{pks:?}");
            assert_eq!(created, 1);
            assert_eq!(Tag::objects().count(&pool).await.unwrap(), 1);
        });
    }
);
