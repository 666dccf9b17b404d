//! `prefetch_related` on every backend, blocking and async: the rows of reverse and
//! many-to-many relations attached to each parent's `Related` field, at any depth and
//! mixed with foreign keys (`tracks__playlists__featured`), one query per level (two for
//! a many-to-many level: its through rows, then the rows they reference) and one more per
//! 10 000 keys, whatever the number of parents.

#[macro_use]
mod support;
mod fixtures;

use std::sync::atomic::Ordering;

use diesel::TextExpressionMethods;
use orm::prelude::*;
use orm::{Database, NameError};
use orm_suite::models::*;
use support::count_queries;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// Albums "Blue" (tracks b1, b2), "Kind" (k1, k2, k3) and "Empty"; playlists "mix"
/// (featuring Kind; b1, k1), "late" (featuring nothing; k1) and "best" (featuring Blue;
/// no track).
fn setup(conn: &mut orm::Connection) {
    conn.create_all(&all_models()).unwrap();
    let (albums, tracks) = fixtures::albums_titled(
        conn,
        &[
            ("Blue", &["b1", "b2"]),
            ("Kind", &["k1", "k2", "k3"]),
            ("Empty", &[]),
        ],
    );
    let entry = |p, t| NewPlaylistEntry::new(p, t, 1);
    for (name, featured, listed) in [
        ("mix", Some(albums[1].id), &[0, 2][..]),
        ("late", None, &[2][..]),
        ("best", Some(albums[0].id), &[][..]),
    ] {
        let form = NewPlaylist {
            featured,
            ..NewPlaylist::new(name)
        };
        let playlist = Playlist::objects().create(&mut *conn, form).unwrap();
        let listed: Vec<&Track> = listed.iter().map(|&i| &tracks[i]).collect();
        playlist.tracks().add(&mut *conn, listed, entry).unwrap();
    }
}

/// The titles in `related`, sorted (the database returns them in no set order).
fn titles(related: &Related<Track>) -> Vec<String> {
    let mut titles: Vec<String> = related
        .get()
        .expect("tracks loaded")
        .iter()
        .map(|t| t.title.clone())
        .collect();
    titles.sort();
    titles
}

/// The playlists' names in `related`, sorted.
fn names(related: &Related<Playlist>) -> Vec<String> {
    let mut names: Vec<String> = related
        .get()
        .expect("playlists loaded")
        .iter()
        .map(|p| p.name.clone())
        .collect();
    names.sort();
    names
}

backend_test!(
    fn reverse_and_many_to_many_rows_are_attached(db: &TestDb) {
        let mut conn = db.connect();
        setup(&mut conn);
        let queries = count_queries(&mut conn);

        // A reverse foreign key: one query for the albums, one for all their tracks.
        let albums = Album::objects()
            .order_by(albums::id)
            .prefetch_related(&["tracks"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        assert_eq!(queries.swap(0, Ordering::SeqCst), 2);
        let got: Vec<_> = albums.iter().map(|a| titles(&a.tracks)).collect();
        assert_eq!(got, [vec!["b1", "b2"], vec!["k1", "k2", "k3"], vec![]]);

        // Not asked for: not loaded.
        let plain = Album::objects().first(&mut conn).unwrap().unwrap();
        assert!(!plain.tracks.is_loaded());
        queries.store(0, Ordering::SeqCst);

        // Many-to-many: the playlists, their entries, the tracks those list.
        let playlists = Playlist::objects()
            .order_by(playlists::id)
            .prefetch_related(&["tracks"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        assert_eq!(queries.swap(0, Ordering::SeqCst), 3);
        let got: Vec<_> = playlists.iter().map(|p| titles(&p.tracks)).collect();
        assert_eq!(got, [vec!["b1", "k1"], vec!["k1"], vec![]]);

        // Three levels, the last a foreign key: albums, their tracks, the playlists
        // listing those (entries, then playlists) and the albums those feature.
        let albums = Album::objects()
            .order_by(albums::id)
            .prefetch_related(&["tracks__playlists__featured"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        assert_eq!(queries.swap(0, Ordering::SeqCst), 5);
        let kind = &albums[1];
        let k1 = kind.tracks.get().unwrap().iter().find(|t| t.title == "k1");
        let k1 = k1.expect("k1 attached");
        assert_eq!(names(&k1.playlists), ["late", "mix"]);
        for playlist in k1.playlists.get().unwrap() {
            match playlist.name.as_str() {
                "mix" => assert_eq!(
                    playlist.featured.as_ref().unwrap().get().unwrap().name,
                    "Kind"
                ),
                _ => assert!(playlist.featured.is_none()),
            }
            // Only the path named is loaded.
            assert!(!playlist.tracks.is_loaded());
        }
        let b2 = &albums[0]
            .tracks
            .get()
            .unwrap()
            .iter()
            .find(|t| t.title == "b2");
        assert!(names(&b2.unwrap().playlists).is_empty());
        assert!(albums[2].tracks.get().unwrap().is_empty());

        // Several names, a shared prefix loaded once; first() and get() too.
        let blue = Album::objects()
            .prefetch_related(&["tracks", "tracks__album"])
            .unwrap()
            .get(&mut conn, albums::name.eq("Blue"))
            .unwrap();
        assert_eq!(titles(&blue.tracks), ["b1", "b2"]);
        for track in blue.tracks.get().unwrap() {
            assert_eq!(track.album.get().unwrap().name, "Blue");
        }
        let first = Playlist::objects()
            .order_by(playlists::id)
            .prefetch_related(&["tracks__album"])
            .unwrap()
            .first(&mut conn)
            .unwrap()
            .unwrap();
        assert_eq!(titles(&first.tracks), ["b1", "k1"]);
    }
);

backend_test!(
    fn each_level_is_one_query_per_ten_thousand_keys(db: &TestDb) {
        let mut conn = db.connect();
        setup(&mut conn);
        let track = Track::objects()
            .get(&mut conn, tracks::title.eq("k2"))
            .unwrap();
        let forms: Vec<_> = (0..10_001)
            .map(|i| NewPlaylist::new(format!("p{i}")))
            .collect();
        Playlist::objects().bulk_insert(&mut conn, forms).unwrap();
        let many = Playlist::objects()
            .filter(playlists::name.like("p%"))
            .all(&mut conn)
            .unwrap();
        assert_eq!(many.len(), 10_001);
        let entries: Vec<_> = many
            .iter()
            .map(|p| NewPlaylistEntry::new(p.id, track.id, 1))
            .collect();
        PlaylistEntry::objects()
            .bulk_insert(&mut conn, entries)
            .unwrap();

        let queries = count_queries(&mut conn);
        let playlists = Playlist::objects()
            .filter(playlists::name.like("p%"))
            .prefetch_related(&["tracks"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        // The playlists; their entries in two chunks (10 001 keys); one track.
        assert_eq!(queries.load(Ordering::SeqCst), 4);
        assert_eq!(playlists.len(), 10_001);
        assert!(playlists.iter().all(|p| titles(&p.tracks) == ["k2"]));
    }
);

backend_test!(
    fn async_prefetch_on_a_pool(db: &TestDb) {
        let mut conn = db.connect();
        setup(&mut conn);
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let albums = Album::objects()
                .order_by(albums::id)
                .prefetch_related(&["tracks__playlists"])
                .unwrap()
                .all(&pool)
                .await
                .unwrap();
            let got: Vec<_> = albums.iter().map(|a| titles(&a.tracks)).collect();
            assert_eq!(got, [vec!["b1", "b2"], vec!["k1", "k2", "k3"], vec![]]);
            let k1 = albums[1]
                .tracks
                .get()
                .unwrap()
                .iter()
                .find(|t| t.title == "k1");
            assert_eq!(names(&k1.unwrap().playlists), ["late", "mix"]);

            let mut held = pool.get().await.unwrap();
            let playlists = Playlist::objects()
                .order_by(playlists::id)
                .prefetch_related(&["tracks"])
                .unwrap()
                .all(&mut held)
                .await
                .unwrap();
            let got: Vec<_> = playlists.iter().map(|p| titles(&p.tracks)).collect();
            assert_eq!(got, [vec!["b1", "k1"], vec!["k1"], vec![]]);
        });
    }
);

#[test]
fn bad_names_are_errors_before_any_query() {
    let unknown = Album::objects().prefetch_related(&["trakcs"]).unwrap_err();
    assert!(
        matches!(unknown, NameError::UnknownField { model: "Album", ref field } if field == "trakcs"),
        "{unknown:?}"
    );
    // Declared, but no field holds it.
    let err = Album::objects()
        .prefetch_related(&["featured_in"])
        .unwrap_err();
    assert!(
        matches!(
            err,
            NameError::NotStored {
                model: "Album",
                relation: "featured_in",
                target: "Playlist"
            }
        ),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .contains("add `featured_in: orm::Related<Playlist>` to `Album`"));
    // Deeper: a field that is no relation.
    let err = Album::objects()
        .prefetch_related(&["tracks__title"])
        .unwrap_err();
    assert!(
        matches!(
            err,
            NameError::NotARelation {
                model: "Track",
                field: "title"
            }
        ),
        "{err:?}"
    );
    // select_related_names follows foreign keys only.
    assert!(Album::objects().select_related_names(&["tracks"]).is_err());
}
