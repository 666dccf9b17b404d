//! Persistence on every backend, blocking (`&mut Connection`): create, bulk_create,
//! update (instance, QuerySet, atomic expressions), delete with the three ON DELETE
//! actions, reload, foreign-key load, get_or_create and update_or_create. Invalid input
//! never writes; multi-row writes are all or nothing.

#[macro_use]
mod support;
mod persist_support;

use orm::prelude::*;
use orm::Error;
use orm_suite::models::*;
use persist_support::*;
use support::count_rows;
#[allow(unused_imports)]
use support::TestDb;
#[allow(unused_imports)]
use support::{Backend, Connection};

fn setup(db: &TestDb) -> orm::Connection {
    let mut conn = db.connect();
    conn.create_all(&models()).unwrap();
    conn
}

backend_test!(
    fn create_returns_the_stored_row_with_defaults(db: &TestDb) {
        let mut conn = setup(db);
        let first = Note::objects()
            .create(&mut conn, NewNote::new("hi"))
            .unwrap();
        let second = Note::objects()
            .create(
                &mut conn,
                NewNote {
                    completed: Some(true),
                    ..NewNote::new("done")
                },
            )
            .unwrap();
        assert_eq!((first.text.as_str(), first.completed), ("hi", false));
        assert!(second.completed);
        assert!(first.id > 0 && second.id > first.id);
        assert_eq!(
            Note::objects()
                .get(&mut conn, notes::id.eq(second.id))
                .unwrap(),
            second
        );

        // A UUID key from its default function, literal and function defaults,
        // auto_now/auto_now_add: what create returns is what a later read finds.
        let before = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1);
        let kitchen = Kitchen::objects()
            .create(
                &mut conn,
                kitchen_form(first.id, "pan-1", "cook@example.com"),
            )
            .unwrap();
        assert_eq!(kitchen.big, 7);
        assert_eq!(kitchen.rating, 2.5);
        assert_eq!((kitchen.shelf, kitchen.spice), (3, 0.5));
        assert_eq!((&kitchen.thumbnail, kitchen.delivered_at), (&None, None));
        assert!(kitchen.active);
        assert_eq!(kitchen.body, "");
        assert_eq!(kitchen.status, Status::Draft);
        assert_eq!(kitchen.created_at, kitchen.updated_at);
        assert!(kitchen.created_at >= before);
        assert_eq!(
            kitchen.created_at.and_utc().timestamp_subsec_nanos() % 1_000,
            0
        );
        assert_eq!(*kitchen.note.pk(), first.id);
        let mut reread = kitchen.clone();
        reread.reload(&mut conn).unwrap();
        assert_eq!(reread, kitchen);

        // A supplied primary key is kept.
        let album = Album::objects()
            .create(&mut conn, NewAlbum::new("Blue"))
            .unwrap();
        assert!(album.id > 0);
    }
);

backend_test!(
    fn invalid_create_names_every_field_and_writes_nothing(db: &TestDb) {
        let mut conn = setup(db);
        let err = Note::objects()
            .create(&mut conn, NewNote::new("x".repeat(101)))
            .unwrap_err();
        let Error::Validation(invalid) = err else {
            panic!("expected a validation error, got {err:?}");
        };
        assert_eq!(invalid.codes("text"), ["max_length"]);
        let note = Note::objects()
            .create(&mut conn, NewNote::new("n"))
            .unwrap();

        let mut form = kitchen_form(note.id, "-bad slug", "not an email");
        form.quantity = 5000;
        let err = Kitchen::objects().create(&mut conn, form).unwrap_err();
        let Error::Validation(invalid) = err else {
            panic!("expected a validation error, got {err:?}");
        };
        assert_eq!(invalid.codes("quantity"), ["maximum"]);
        assert_eq!(invalid.codes("slug"), ["pattern"]);
        assert_eq!(invalid.codes("email"), ["email"]);
        assert_eq!(count_rows(&mut conn, "kitchen"), 0);
        assert_eq!(count_rows(&mut conn, "notes"), 1);
    }
);

backend_test!(
    fn bulk_create_returns_every_row_in_order(db: &TestDb) {
        let mut conn = setup(db);
        let forms = ["a", "b", "c"].map(NewNote::new).to_vec();
        let notes = Note::objects().bulk_create(&mut conn, forms).unwrap();
        let texts: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(texts, ["a", "b", "c"]);
        assert!(notes.windows(2).all(|w| w[0].id < w[1].id));
        for note in &notes {
            assert_eq!(
                &Note::objects()
                    .get(&mut conn, notes::id.eq(note.id))
                    .unwrap(),
                note
            );
        }
        assert!(Note::objects()
            .bulk_create(&mut conn, Vec::new())
            .unwrap()
            .is_empty());

        // UUID keys supplied by the default function.
        let note = &notes[0];
        let forms = vec![
            kitchen_form(note.id, "pan-1", "a@example.com"),
            kitchen_form(note.id, "pan-2", "b@example.com"),
        ];
        let kitchens = Kitchen::objects().bulk_create(&mut conn, forms).unwrap();
        assert_eq!(kitchens[0].slug, "pan-1");
        assert_eq!(kitchens[1].slug, "pan-2");
        assert_ne!(kitchens[0].id, kitchens[1].id);
        assert_eq!(count_rows(&mut conn, "kitchen"), 2);
    }
);

backend_test!(
    fn invalid_bulk_create_lists_every_row_and_writes_nothing(db: &TestDb) {
        let mut conn = setup(db);
        let forms = vec![
            NewNote::new("fine"),
            NewNote::new("x".repeat(101)),
            NewNote::new("fine too"),
            NewNote::new("y".repeat(200)),
        ];
        let err = Note::objects().bulk_create(&mut conn, forms).unwrap_err();
        let Error::Validation(invalid) = err else {
            panic!("expected a validation error, got {err:?}");
        };
        assert_eq!(invalid.errors().len(), 2);
        assert!(invalid.errors()[0].message.starts_with("row 1: "));
        assert!(invalid.errors()[1].message.starts_with("row 3: "));
        assert_eq!(invalid.codes("text"), ["max_length", "max_length"]);
        assert_eq!(count_rows(&mut conn, "notes"), 0);
    }
);

backend_test!(
    fn bulk_create_of_ten_thousand_rows(db: &TestDb) {
        let mut conn = setup(db);
        let forms: Vec<NewTag> = (0..10_000).map(|i| tag(&format!("tag-{i}"))).collect();
        let tags = Tag::objects().bulk_create(&mut conn, forms).unwrap();
        assert_eq!(tags.len(), 10_000);
        assert_eq!(tags[9_999].name, "tag-9999");
        let mut ids: Vec<i64> = tags.iter().map(|t| t.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 10_000);
        assert_eq!(count_rows(&mut conn, "persist_tags"), 10_000);
    }
);

backend_test!(
    fn bulk_create_writes_one_insert_per_chunk(db: &TestDb) {
        let mut conn = setup(db);
        // Through diesel's MySQL backend (`mysql://`) rows come back row by row, each its
        // own INSERT; every other connection (MariaDB's backend included) inserts a chunk
        // of rows in one INSERT ... RETURNING, the chunk as large as the bind limit allows
        // (two columns a Tag row: 16 383 rows on SQLite, 32 767 on the servers).
        let row_by_row = db.url.starts_with("mysql://");
        let mariadb = db.url.starts_with("mariadb://");
        assert_eq!(matches!(conn, Connection::Mysql(_)), row_by_row);
        assert_eq!(matches!(conn, Connection::Mariadb(_)), mariadb);
        let (rows, chunks) = match (row_by_row, db.backend) {
            (true, _) => (100, 100),
            (false, Backend::Sqlite) => (40_000, 3),
            (false, _) => (40_000, 2),
        };
        let statements = support::record_statements(&mut conn);
        let forms: Vec<NewTag> = (0..rows).map(|i| tag(&format!("tag-{i}"))).collect();
        let tags = Tag::objects().bulk_create(&mut conn, forms).unwrap();
        let statements = std::mem::take(&mut *statements.lock().unwrap());
        assert_eq!(tags.len(), rows);
        assert_eq!(tags[rows - 1].name, format!("tag-{}", rows - 1));
        let inserts: Vec<&String> = statements
            .iter()
            .filter(|sql| sql.trim_start().starts_with("INSERT"))
            .collect();
        assert_eq!(
            inserts.len(),
            chunks,
            "{:?}",
            &statements[..statements.len().min(5)]
        );
        if !row_by_row {
            assert!(inserts.iter().all(|sql| sql.contains("RETURNING")));
        }
        assert_eq!(count_rows(&mut conn, "persist_tags"), rows as i64);
    }
);

backend_test!(
    fn bulk_create_is_all_or_nothing(db: &TestDb) {
        let mut conn = setup(db);
        // The 5 000th row repeats the 11th row's unique name.
        let forms: Vec<NewTag> = (0..10_000)
            .map(|i| tag(&format!("tag-{}", if i == 4_999 { 10 } else { i })))
            .collect();
        let err = Tag::objects().bulk_create(&mut conn, forms).unwrap_err();
        assert!(err.is_unique_violation(), "{err:?}");
        assert_unique_code(&err, db.backend);
        assert_eq!(count_rows(&mut conn, "persist_tags"), 0);
        // The connection is usable afterwards.
        Tag::objects().create(&mut conn, tag("after")).unwrap();
        assert_eq!(count_rows(&mut conn, "persist_tags"), 1);
    }
);

backend_test!(
    fn update_an_instance(db: &TestDb) {
        let mut conn = setup(db);
        let mut note = Note::objects()
            .create(&mut conn, NewNote::new("a"))
            .unwrap();
        let changes = NoteChanges {
            completed: Some(true),
            ..Default::default()
        };
        note.update(&mut conn, changes).unwrap();
        assert!(note.completed);
        assert_eq!(note.text, "a");
        assert_eq!(
            Note::objects()
                .get(&mut conn, notes::id.eq(note.id))
                .unwrap(),
            note
        );

        // Invalid changes are refused and write nothing.
        let err = note
            .update(
                &mut conn,
                NoteChanges {
                    text: Some("x".repeat(101)),
                    completed: Some(false),
                },
            )
            .unwrap_err();
        assert!(matches!(err, Error::Validation(_)), "{err:?}");
        assert!(note.completed);
        let stored = Note::objects()
            .get(&mut conn, notes::id.eq(note.id))
            .unwrap();
        assert_eq!(stored, note);

        // auto_now is refreshed, auto_now_add kept.
        let mut kitchen = Kitchen::objects()
            .create(&mut conn, kitchen_form(note.id, "pan", "k@example.com"))
            .unwrap();
        let created = kitchen.clone();
        std::thread::sleep(std::time::Duration::from_millis(5));
        kitchen
            .update(
                &mut conn,
                KitchenChanges {
                    quantity: Some(9),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(kitchen.quantity, 9);
        assert_eq!(kitchen.created_at, created.created_at);
        assert!(kitchen.updated_at > created.updated_at);
        let mut reread = created.clone();
        reread.reload(&mut conn).unwrap();
        assert_eq!(reread, kitchen);

        // Empty changes write nothing, on a model with auto_now too: the instance, the
        // stored row and its updated_at are left as they are, and a QuerySet update counts
        // no row.
        let before = kitchen.clone();
        std::thread::sleep(std::time::Duration::from_millis(5));
        kitchen
            .update(&mut conn, KitchenChanges::default())
            .unwrap();
        assert_eq!(kitchen, before);
        let mut reread = created.clone();
        reread.reload(&mut conn).unwrap();
        assert_eq!(reread.updated_at, before.updated_at);
        let updated = Kitchen::objects()
            .update(&mut conn, KitchenChanges::default())
            .unwrap();
        assert_eq!(updated, 0);
        reread.reload(&mut conn).unwrap();
        assert_eq!(reread.updated_at, before.updated_at);

        // A deleted row cannot be updated.
        note.clone().delete(&mut conn).unwrap_err();
        Kitchen::objects().delete(&mut conn).unwrap();
        note.delete(&mut conn).unwrap();
        let err = note
            .update(
                &mut conn,
                NoteChanges {
                    completed: Some(false),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(matches!(err, Error::NoMatch { model: "Note" }), "{err:?}");
    }
);

backend_test!(
    fn update_and_delete_through_a_queryset(db: &TestDb) {
        let mut conn = setup(db);
        let forms = ["a", "b", "c", "d"].map(NewNote::new).to_vec();
        Note::objects().bulk_create(&mut conn, forms).unwrap();
        let changes = NoteChanges {
            completed: Some(true),
            ..Default::default()
        };
        let ab = Note::objects().filter(notes::text.eq_any(["a", "b"]));
        assert_eq!(ab.update(&mut conn, changes.clone()).unwrap(), 2);
        let done = Note::objects().filter(notes::completed.eq(true));
        assert_eq!(done.count(&mut conn).unwrap(), 2);
        // Nothing to change: nothing written.
        assert_eq!(ab.update(&mut conn, NoteChanges::default()).unwrap(), 0);
        // Invalid changes write nothing.
        let invalid = NoteChanges {
            text: Some(String::new()),
            ..Default::default()
        };
        let err = Note::objects().update(&mut conn, invalid).unwrap_err();
        assert!(matches!(err, Error::Validation(_)), "{err:?}");
        assert_eq!(
            Note::objects()
                .filter(notes::text.eq(""))
                .count(&mut conn)
                .unwrap(),
            0
        );
        // By-name filters work in UPDATE and DELETE too.
        let by_name = Note::objects().filter_by("text", "c").unwrap();
        assert_eq!(by_name.update(&mut conn, changes.clone()).unwrap(), 1);
        // A sliced QuerySet is refused, as a usage error (nothing reaches the database).
        let refused = Note::objects().limit(1).delete(&mut conn).unwrap_err();
        assert!(matches!(refused, orm::Error::Usage { .. }), "{refused:?}");
        assert!(refused.to_string().contains("sliced"), "{refused}");
        assert_eq!(refused.backend(), None);
        let refused = Note::objects()
            .offset(1)
            .update(&mut conn, changes)
            .unwrap_err();
        assert!(matches!(refused, orm::Error::Usage { .. }), "{refused:?}");

        assert_eq!(done.delete(&mut conn).unwrap(), 3);
        assert_eq!(Note::objects().count(&mut conn).unwrap(), 1);
        assert_eq!(Note::objects().delete(&mut conn).unwrap(), 1);
        assert_eq!(Note::objects().delete(&mut conn).unwrap(), 0);
    }
);

backend_test!(
    fn update_with_an_expression_is_atomic(db: &TestDb) {
        let mut conn = setup(db);
        let counter = Counter::objects()
            .create(&mut conn, NewCounter::new("hits"))
            .unwrap();
        let this = Counter::objects().filter(persist_counters::id.eq(counter.id));
        for _ in 0..3 {
            let n = this
                .update_with(
                    &mut conn,
                    persist_counters::value.eq(persist_counters::value + 1),
                )
                .unwrap();
            assert_eq!(n, 1);
        }
        let mut counter = counter;
        counter.reload(&mut conn).unwrap();
        assert_eq!(counter.value, 3);
    }
);

backend_test!(
    fn on_delete_cascade_restrict_and_set_null(db: &TestDb) {
        let mut conn = setup(db);
        let album = Album::objects()
            .create(&mut conn, NewAlbum::new("Kind of Blue"))
            .unwrap();
        let other = Album::objects()
            .create(&mut conn, NewAlbum::new("Other"))
            .unwrap();
        let tracks = (1..=3)
            .map(|i| NewTrack::new(album.id, format!("t{i}"), i))
            .chain([NewTrack::new(other.id, "o1", 1)])
            .collect();
        Track::objects().bulk_create(&mut conn, tracks).unwrap();
        let playlist = Playlist::objects()
            .create(
                &mut conn,
                NewPlaylist {
                    featured: Some(album.id),
                    ..NewPlaylist::new("mix")
                },
            )
            .unwrap();
        assert_eq!(playlist.featured.as_ref().map(|f| *f.pk()), Some(album.id));

        // CASCADE deletes the tracks; SET NULL clears the playlist's reference.
        album.delete(&mut conn).unwrap();
        assert_eq!(count_rows(&mut conn, "tracks"), 1);
        let mut playlist = playlist;
        playlist.reload(&mut conn).unwrap();
        assert_eq!(playlist.featured, None);
        // A deleted row cannot be deleted again.
        let err = album.delete(&mut conn).unwrap_err();
        assert!(matches!(err, Error::NoMatch { model: "Album" }), "{err:?}");

        // RESTRICT refuses, and nothing is deleted.
        let note = Note::objects()
            .create(&mut conn, NewNote::new("n"))
            .unwrap();
        Kitchen::objects()
            .create(&mut conn, kitchen_form(note.id, "pan", "k@example.com"))
            .unwrap();
        let err = note.delete(&mut conn).unwrap_err();
        assert!(err.is_foreign_key_violation(), "{err:?}");
        let err = Note::objects().delete(&mut conn).unwrap_err();
        assert!(err.is_foreign_key_violation(), "{err:?}");
        assert_eq!(count_rows(&mut conn, "notes"), 1);
        // The QuerySet form applies CASCADE too.
        assert_eq!(Album::objects().delete(&mut conn).unwrap(), 1);
        assert_eq!(count_rows(&mut conn, "tracks"), 0);
    }
);

backend_test!(
    fn load_fills_a_sparse_foreign_key(db: &TestDb) {
        let mut conn = setup(db);
        let album = Album::objects()
            .create(&mut conn, NewAlbum::new("Blue"))
            .unwrap();
        let created = Track::objects()
            .create(&mut conn, NewTrack::new(album.id, "One", 1))
            .unwrap();
        let mut track = Track::objects()
            .get(&mut conn, tracks::id.eq(created.id))
            .unwrap();
        assert!(!track.album.is_loaded());
        let loaded = track.album.load(&mut conn).unwrap();
        assert_eq!(loaded, &album);
        assert!(track.album.is_loaded());
        assert_eq!(track.album.get(), Some(&album));

        let mut missing = ForeignKey::<Album, i32>::new(album.id + 1000);
        let err = missing.load(&mut conn).unwrap_err();
        assert!(matches!(err, Error::NoMatch { model: "Album" }), "{err:?}");
        assert!(!missing.is_loaded());
    }
);

backend_test!(
    fn get_or_create_creates_once(db: &TestDb) {
        let mut conn = setup(db);
        let (first, created) = Tag::objects()
            .get_or_create(&mut conn, persist_tags::name.eq("rust"), tag("rust"))
            .unwrap();
        assert!(created);
        let (second, created) = Tag::objects()
            .get_or_create(&mut conn, persist_tags::name.eq("rust"), tag("rust"))
            .unwrap();
        assert!(!created);
        assert_eq!(first, second);
        assert_eq!(count_rows(&mut conn, "persist_tags"), 1);

        // An invalid form is refused before anything.
        let mut bad = tag("bad");
        bad.uses = Some(-1);
        let err = Tag::objects()
            .get_or_create(&mut conn, persist_tags::name.eq("bad"), bad)
            .unwrap_err();
        assert!(matches!(err, Error::Validation(_)), "{err:?}");

        // Several matches are an error.
        Tag::objects().create(&mut conn, tag("rusty")).unwrap();
        let err = Tag::objects()
            .get_or_create(
                &mut conn,
                persist_tags::name.startswith("rust"),
                tag("rust"),
            )
            .unwrap_err();
        assert!(
            matches!(err, Error::MultipleMatches { model: "Tag" }),
            "{err:?}"
        );

        // A form whose unique value another row holds, under a lookup that misses it:
        // the unique violation is reported.
        let err = Tag::objects()
            .get_or_create(&mut conn, persist_tags::name.eq("nope"), tag("rust"))
            .unwrap_err();
        assert!(err.is_unique_violation(), "{err:?}");

        // Inside a transaction: a savepoint, and the outer transaction goes on.
        conn.transaction(|conn| -> orm::Result<()> {
            let (_, created) = Tag::objects().get_or_create(
                &mut *conn,
                persist_tags::name.eq("inner"),
                tag("inner"),
            )?;
            assert!(created);
            let err = Tag::objects()
                .get_or_create(&mut *conn, persist_tags::name.eq("x"), tag("rust"))
                .unwrap_err();
            assert!(err.is_unique_violation(), "{err:?}");
            let (_, created) = Tag::objects().get_or_create(
                &mut *conn,
                persist_tags::name.eq("inner"),
                tag("inner"),
            )?;
            assert!(!created);
            Ok(())
        })
        .unwrap();
        assert_eq!(count_rows(&mut conn, "persist_tags"), 3);
    }
);

backend_test!(
    fn update_or_create_updates_or_creates(db: &TestDb) {
        let mut conn = setup(db);
        let (created, was_created) = Tag::objects()
            .update_or_create(
                &mut conn,
                persist_tags::name.eq("rust"),
                NewTag {
                    uses: Some(1),
                    ..tag("rust")
                },
            )
            .unwrap();
        assert!(was_created);
        assert_eq!(created.uses, 1);
        let (updated, was_created) = Tag::objects()
            .update_or_create(
                &mut conn,
                persist_tags::name.eq("rust"),
                NewTag {
                    uses: Some(5),
                    ..tag("rust")
                },
            )
            .unwrap();
        assert!(!was_created);
        assert_eq!(updated.id, created.id);
        assert_eq!(updated.uses, 5);
        // A field the form leaves out keeps its value.
        let (kept, _) = Tag::objects()
            .update_or_create(&mut conn, persist_tags::name.eq("rust"), tag("rust"))
            .unwrap();
        assert_eq!(kept.uses, 5);
        assert_eq!(count_rows(&mut conn, "persist_tags"), 1);

        // auto_now is refreshed on the update path.
        let note = Note::objects()
            .create(&mut conn, NewNote::new("n"))
            .unwrap();
        let (kitchen, _) = Kitchen::objects()
            .update_or_create(
                &mut conn,
                kitchen::slug.eq("pan"),
                kitchen_form(note.id, "pan", "k@example.com"),
            )
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let mut again = kitchen_form(note.id, "pan", "k@example.com");
        again.quantity = 4;
        let (updated, was_created) = Kitchen::objects()
            .update_or_create(&mut conn, kitchen::slug.eq("pan"), again)
            .unwrap();
        assert!(!was_created);
        assert_eq!(updated.id, kitchen.id);
        assert_eq!(updated.quantity, 4);
        assert_eq!(updated.created_at, kitchen.created_at);
        assert!(updated.updated_at > kitchen.updated_at);
    }
);

backend_test!(
    fn concurrent_get_or_create_on_threads_makes_one_row(db: &TestDb) {
        drop(setup(db));
        let pks: Vec<(i64, bool)> = std::thread::scope(|s| {
            let calls: Vec<_> = (0..16)
                .map(|_| {
                    s.spawn(|| {
                        let mut conn = db.connect();
                        let (row, created) = Tag::objects()
                            .get_or_create(&mut conn, persist_tags::name.eq("hot"), tag("hot"))
                            .unwrap();
                        (row.id, created)
                    })
                })
                .collect();
            calls.into_iter().map(|c| c.join().unwrap()).collect()
        });
        assert!(pks.iter().all(|(pk, _)| *pk == pks[0].0), "{pks:?}");
        assert_eq!(pks.iter().filter(|(_, created)| *created).count(), 1);
        assert_eq!(count_rows(&mut db.connect(), "persist_tags"), 1);
    }
);

/// What the derive generates for persistence, without a database: the form seen as a
/// change set, `auto_now` refresh, empty change sets.
#[test]
fn generated_persist_glue() {
    use orm::persist::derive::{now, Persist};

    let mut form = kitchen_form(1, "pan", "k@example.com");
    form.body = Some("text".into());
    let changes = Kitchen::form_changes(form.clone());
    assert_eq!(changes.slug.as_deref(), Some("pan"));
    assert_eq!(changes.body.as_deref(), Some("text"));
    // Left out of the form: left as it is.
    assert_eq!(changes.big, None);
    assert_eq!(changes.due, None);
    assert_eq!(changes.created_at, None);
    assert_eq!(changes.updated_at, None);

    let at = now();
    assert_eq!(at.and_utc().timestamp_subsec_nanos() % 1_000, 0);
    let mut touched = changes.clone();
    Kitchen::touch(&mut touched, at);
    assert_eq!(touched.updated_at, Some(at));
    assert_eq!(touched.created_at, None);
    // An explicit value is kept.
    let mut explicit = KitchenChanges {
        updated_at: Some(at - chrono::Duration::days(1)),
        ..Default::default()
    };
    Kitchen::touch(&mut explicit, at);
    assert_eq!(explicit.updated_at, Some(at - chrono::Duration::days(1)));

    assert!(Note::changes_empty(&NoteChanges::default()));
    assert!(!Kitchen::changes_empty(&touched));
    // A UUID key comes from the default function; an auto-increment key from the database.
    let (pk, _) = Kitchen::insert_row(form, at);
    assert!(pk.is_some());
    let (pk, _) = Note::insert_row(NewNote::new("n"), at);
    assert_eq!(pk, None);
    assert_eq!(Note::pk_from_insert_id(7), Some(7));
    assert_eq!(Album::pk_from_insert_id(u64::MAX), None);
    assert_eq!(Kitchen::pk_from_insert_id(7), None);
    assert_eq!(Note::COLUMNS, 2);
}

backend_test!(
    fn blocking_pool_connections_take_querysets_and_writes(db: &TestDb) {
        let pool = orm::BlockingPool::builder(&db.url)
            .max_size(2)
            .build()
            .unwrap();
        pool.get().unwrap().create_all(&models()).unwrap();
        std::thread::scope(|scope| {
            for i in 0..4 {
                let pool = &pool;
                scope.spawn(move || {
                    let mut conn = pool.get().unwrap();
                    let note = Note::objects()
                        .create(&mut *conn, NewNote::new(format!("pooled {i}")))
                        .unwrap();
                    let found = Note::objects()
                        .get(&mut *conn, notes::id.eq(note.id))
                        .unwrap();
                    assert_eq!(found, note);
                });
            }
        });
        let mut conn = pool.get().unwrap();
        assert_eq!(Note::objects().count(&mut *conn).unwrap(), 4);
        let (_, created) = Tag::objects()
            .get_or_create(&mut *conn, persist_tags::name.eq("t"), tag("t"))
            .unwrap();
        assert!(created);
    }
);

backend_test!(
    fn allow_blank_text_defaults_to_empty(db: &TestDb) {
        // As in encode/orm, `allow_blank` with no default of its own means `default = ""`:
        // the field is optional in the insert form, and the column's SQL DEFAULT is ''.
        let meta = AlbumProfile::meta().field("liner_notes").unwrap();
        assert_eq!(
            meta.default,
            Some(orm::DefaultValue::Static(orm::Literal::Str("")))
        );
        let mut conn = setup(db);
        let album = Album::objects()
            .create(&mut conn, NewAlbum::new("Blank"))
            .unwrap();
        let profile = AlbumProfile::objects()
            .create(&mut conn, NewAlbumProfile::new(album.id))
            .unwrap();
        assert_eq!(profile.liner_notes, "");
        // A row written without the column (by hand) gets the SQL DEFAULT.
        AlbumProfile::objects()
            .filter(album_profiles::id.eq(profile.id))
            .delete(&mut conn)
            .unwrap();
        let backend = conn.backend();
        orm::dispatch!(&mut conn, c => diesel::RunQueryDsl::execute(
            diesel::insert_into(album_profiles::table).values(album_profiles::album.eq(album.id)),
            c,
        ))
        .map_err(|e| Error::from_diesel(e, backend))
        .unwrap();
        let stored = AlbumProfile::objects().one(&mut conn).unwrap();
        assert_eq!(stored.liner_notes, "");
        // Given, it is stored as given.
        let mut form = NewAlbumProfile::new(album.id);
        form.liner_notes = Some("notes".into());
        AlbumProfile::objects().delete(&mut conn).unwrap();
        let kept = AlbumProfile::objects().create(&mut conn, form).unwrap();
        assert_eq!(kept.liner_notes, "notes");
    }
);

backend_test!(
    fn a_loaded_row_stands_for_its_key(db: &TestDb) {
        // As encode/orm's `Track.objects.create(album=malibu)` and `filter(album=malibu)`.
        let mut conn = setup(db);
        let malibu = Album::objects()
            .create(&mut conn, NewAlbum::new("Malibu"))
            .unwrap();
        let other = Album::objects()
            .create(&mut conn, NewAlbum::new("Other"))
            .unwrap();
        let one = Track::objects()
            .create(&mut conn, NewTrack::new(&malibu, "One", 1))
            .unwrap();
        Track::objects()
            .create(&mut conn, NewTrack::new(&other, "Two", 1))
            .unwrap();
        assert_eq!(*one.album.pk(), malibu.id);
        let titles =
            |tracks: Vec<Track>| -> Vec<String> { tracks.into_iter().map(|t| t.title).collect() };
        let got = Track::objects()
            .filter(tracks::album.eq(&malibu))
            .all(&mut conn)
            .unwrap();
        assert_eq!(titles(got), ["One"]);
        let got = Track::objects()
            .filter(tracks::album.exact(&other))
            .all(&mut conn)
            .unwrap();
        assert_eq!(titles(got), ["Two"]);
        // In an update, and on a nullable key.
        let moved = Track::objects()
            .filter(tracks::id.eq(one.id))
            .update_with(&mut conn, tracks::album.eq(&other))
            .unwrap();
        assert_eq!(moved, 1);
        assert_eq!(
            Track::objects()
                .filter(tracks::album.eq(&other))
                .count(&mut conn)
                .unwrap(),
            2
        );
        let mut form = NewPlaylist::new("featuring");
        form.featured = Some((&malibu).into());
        Playlist::objects().create(&mut conn, form).unwrap();
        let got = Playlist::objects()
            .filter(playlists::featured.eq(&malibu))
            .one(&mut conn)
            .unwrap();
        assert_eq!(got.name, "featuring");
    }
);
