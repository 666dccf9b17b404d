//! Reverse relations by name on every backend, blocking and async: a model declares the
//! rows that point at it (`#[orm(related(tracks = Track, featured_in = Playlist.featured))]`)
//! and by-name filters follow them (`filter_by("tracks__title__icontains", ..)` on albums)
//! as semi-joins, so a parent with several matching children comes back once; `exclude_by`
//! keeps the parents with no matching child (and those with none at all); a nullable
//! reverse key never hides rows through NULL. Count, Sum, Min and Max aggregate across
//! them (per row, then per group). Orderings and values cannot follow a relation to many
//! rows: a named error.

#[macro_use]
mod support;
mod fixtures;

use orm::prelude::*;
use orm::Agg::{Avg, Count, CountDistinct, Max, Min, Sum};
use orm::{ByName, Cell, Database, NameError};
use orm_suite::models::*;
use serde_json::json;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// Albums: "Blue" (tracks "Blue in Green", "So What"), "Kind" (tracks "Blue Seven",
/// "Blue Train"), "Empty" (no track). Playlists: "mix" (featuring Kind; entries: So
/// What), "late" (featuring nothing; entries: Blue Train), "best" (featuring Blue).
fn setup(conn: &mut orm::Connection) -> Vec<i32> {
    conn.create_all(&all_models()).unwrap();
    let (albums, tracks) = fixtures::albums_titled(
        conn,
        &[
            ("Blue", &["Blue in Green", "So What"]),
            ("Kind", &["Blue Seven", "Blue Train"]),
            ("Empty", &[]),
        ],
    );
    let ids: Vec<i32> = albums.iter().map(|a| a.id).collect();
    for (name, featured, entry) in [
        ("mix", Some(ids[1]), Some(1)),
        ("late", None, Some(3)),
        ("best", Some(ids[0]), None),
    ] {
        let form = NewPlaylist {
            featured,
            ..NewPlaylist::new(name)
        };
        let playlist = Playlist::objects().create(&mut *conn, form).unwrap();
        if let Some(track) = entry {
            let form = NewPlaylistEntry::new(playlist.id, tracks[track].id, 1);
            PlaylistEntry::objects().create(&mut *conn, form).unwrap();
        }
    }
    ids
}

fn names(albums: Vec<Album>) -> Vec<String> {
    albums.into_iter().map(|a| a.name).collect()
}

backend_test!(
    fn filters_follow_reverse_keys_without_repeating_rows(db: &TestDb) {
        let mut conn = db.connect();
        setup(&mut conn);
        let q = || Album::objects().order_by(albums::id);

        // Kind has two matching tracks and comes back once; the count agrees.
        let blue = q().filter_by("tracks__title__istartswith", "blue").unwrap();
        assert_eq!(names(blue.all(&mut conn).unwrap()), ["Blue", "Kind"]);
        let kind = q()
            .filter_by("tracks__title__in", vec!["Blue Seven", "Blue Train"])
            .unwrap();
        assert_eq!(names(kind.all(&mut conn).unwrap()), ["Kind"]);
        assert_eq!(kind.count(&mut conn).unwrap(), 1);

        // exclude: no matching track, which includes no track at all.
        let without = q().exclude_by("tracks__title", "So What").unwrap();
        assert_eq!(names(without.all(&mut conn).unwrap()), ["Kind", "Empty"]);

        // Each condition is its own semi-join (like Django's chained filters): Blue has
        // a track at position 2 and a track titled "Blue in Green", not the same one.
        let both = q()
            .filter_by("tracks__position", 2)
            .unwrap()
            .filter_by("tracks__title", "Blue in Green")
            .unwrap();
        assert_eq!(names(both.all(&mut conn).unwrap()), ["Blue"]);

        // Two reverse hops, then a forward one: albums with a track on the "late" list.
        let late = q()
            .filter_by("tracks__entries__playlist__name", "late")
            .unwrap();
        assert_eq!(names(late.all(&mut conn).unwrap()), ["Kind"]);
        // From a playlist: the albums of its tracks, reverse then forward.
        let playlists = Playlist::objects()
            .filter_by("entries__track__album__name", "Blue")
            .unwrap()
            .all(&mut conn)
            .unwrap();
        assert_eq!(
            playlists
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            ["mix"]
        );

        // In an OR of by-name conditions.
        let either = ByName::<Album>::lookup("tracks__title", "So What").unwrap()
            | ByName::lookup("name", "Empty").unwrap();
        let either = q().filter(either);
        assert_eq!(names(either.all(&mut conn).unwrap()), ["Blue", "Empty"]);
    }
);

backend_test!(
    fn a_nullable_reverse_key_never_hides_rows(db: &TestDb) {
        let mut conn = db.connect();
        setup(&mut conn);
        let q = || Album::objects().order_by(albums::id);
        let featured = q().filter_by("featured_in__name", "mix").unwrap();
        assert_eq!(names(featured.all(&mut conn).unwrap()), ["Kind"]);
        // The playlist "late" features no album (a NULL key): every album but Kind is
        // still "not featured in mix".
        let not_mix = q().exclude_by("featured_in__name", "mix").unwrap();
        assert_eq!(names(not_mix.all(&mut conn).unwrap()), ["Blue", "Empty"]);
        let never = q().exclude_by("featured_in__id__isnull", false).unwrap();
        assert_eq!(names(never.all(&mut conn).unwrap()), ["Empty"]);
    }
);

backend_test!(
    fn writes_and_async_reads_take_reverse_filters(db: &TestDb) {
        let mut conn = db.connect();
        let ids = setup(&mut conn);
        // A delete through a reverse filter removes the parents only (and, by CASCADE,
        // their tracks).
        let deleted = Album::objects()
            .filter_by("tracks__title", "So What")
            .unwrap()
            .delete(&mut conn)
            .unwrap();
        assert_eq!(deleted, 1);
        assert!(Album::objects()
            .filter(albums::id.eq(ids[0]))
            .first(&mut conn)
            .unwrap()
            .is_none());
        assert_eq!(Album::objects().count(&mut conn).unwrap(), 2);

        let rt = runtime(2);
        rt.block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let albums = Album::objects()
                .filter_by("tracks__title__icontains", "train")
                .unwrap()
                .all(&pool)
                .await
                .unwrap();
            assert_eq!(names(albums), ["Kind"]);
            let empty = Album::objects()
                .exclude_by("tracks__id__isnull", false)
                .unwrap()
                .count(&pool)
                .await
                .unwrap();
            assert_eq!(empty, 1);
        });
    }
);

#[test]
fn paths_to_many_rows_are_named_errors() {
    let many = |e: NameError| match e {
        NameError::ManyValued {
            model, relation, ..
        } => (model, relation),
        e => panic!("{e:?}"),
    };
    let e = Album::objects()
        .order_by_names(&["tracks__title"])
        .unwrap_err();
    assert_eq!(many(e), ("Album", "tracks"));
    let e = Album::objects()
        .values(&["name", "tracks__title"])
        .unwrap_err();
    assert_eq!(many(e), ("Album", "tracks"));
    let e = Playlist::objects()
        .order_by_names(&["featured__tracks__title"])
        .unwrap_err();
    assert_eq!(many(e), ("Album", "tracks"));
    // A relation name where a field is expected, and a misspelt relation.
    let e = Album::objects()
        .filter_by("trakcs__title", "x")
        .unwrap_err();
    assert!(
        matches!(e, NameError::UnknownField { model: "Album", .. }),
        "{e:?}"
    );
    let e = Album::objects().filter_by("tracks", 1).unwrap_err();
    assert!(
        e.to_string().contains("tracks__"),
        "the error should say how to name a field of the relation: {e}"
    );
}

#[test]
fn every_declared_relation_resolves() {
    for meta in all_models() {
        for related in meta.related {
            let (model, key) = related.resolve(meta).unwrap();
            let target = (key.foreign_key.as_ref().unwrap().target)();
            assert_eq!(target.table, meta.table, "{}.{}", meta.name, related.name);
            assert!(model.fields.iter().any(|f| std::ptr::eq(f, key)));
        }
    }
    let album = Album::meta();
    let names: Vec<&str> = album.related.iter().map(|r| r.name).collect();
    assert_eq!(names, ["tracks", "featured_in"]);
    let playlist: Vec<(&str, Option<&str>)> = Playlist::meta()
        .related
        .iter()
        .map(|r| (r.name, r.then))
        .collect();
    assert_eq!(playlist, [("entries", None), ("tracks", Some("track"))]);
}

backend_test!(
    fn aggregates_add_up_across_reverse_relations(db: &TestDb) {
        let mut conn = db.connect();
        setup(&mut conn);
        let per_album = Album::objects()
            .values(&["name"])
            .unwrap()
            .annotate(&[
                ("n", Count("tracks__id")),
                ("positions", Sum("tracks__position")),
                ("last", Max("tracks__title")),
                ("listed", Count("tracks__entries__id")),
            ])
            .unwrap()
            .order_by(&["name"])
            .unwrap();
        let rows = per_album.all(&mut conn).unwrap();
        let got: Vec<serde_json::Value> = rows.into_iter().map(Into::into).collect();
        assert_eq!(
            got,
            [
                json!({"name": "Blue", "n": 2, "positions": 3, "last": "So What", "listed": 1}),
                json!({"name": "Empty", "n": 0, "positions": null, "last": null, "listed": 0}),
                json!({"name": "Kind", "n": 2, "positions": 3, "last": "Blue Train", "listed": 1}),
            ]
        );

        // Over the whole (filtered) QuerySet: the per-album values add up.
        let totals = Album::objects()
            .aggregate(&[
                ("tracks", Count("tracks__id")),
                ("featured", Count("featured_in__id")),
                ("first", Min("tracks__title")),
            ])
            .unwrap()
            .one(&mut conn)
            .unwrap();
        assert_eq!(
            serde_json::Value::from(totals),
            json!({"tracks": 4, "featured": 2, "first": "Blue Seven"})
        );
        // `Count("tracks")` counts the relation's rows, as Django's does.
        let blue = Album::objects()
            .filter_by("name", "Blue")
            .unwrap()
            .aggregate(&[("tracks", Count("tracks"))])
            .unwrap();
        assert_eq!(
            blue.one(&mut conn).unwrap().get("tracks"),
            Some(&Cell::Int(2))
        );

        // An average or a distinct count does not add up per row: a named error.
        for agg in [Avg("tracks__position"), CountDistinct("tracks__title")] {
            let e = Album::objects().aggregate(&[("x", agg)]).unwrap_err();
            assert!(matches!(e, NameError::InvalidAggregate { .. }), "{e:?}");
        }

        let rt = runtime(2);
        rt.block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let totals = Album::objects()
                .aggregate(&[("tracks", Count("tracks__id"))])
                .unwrap()
                .one(&pool)
                .await
                .unwrap();
            assert_eq!(totals.get("tracks"), Some(&Cell::Int(4)));
        });
    }
);

backend_test!(
    fn many_to_many_by_name_goes_through_the_through_model(db: &TestDb) {
        let mut conn = db.connect();
        setup(&mut conn);
        // "mix" lists So What (album Blue), "late" lists Blue Train (album Kind).
        let names = |rows: Vec<Playlist>| -> Vec<String> {
            let mut names: Vec<String> = rows.into_iter().map(|p| p.name).collect();
            names.sort();
            names
        };
        let q = Playlist::objects;
        let with_blue = q().filter_by("tracks__title__istartswith", "blue").unwrap();
        assert_eq!(names(with_blue.all(&mut conn).unwrap()), ["late"]);
        // Through the relation, then a foreign key of the related model.
        let of_blue = q().filter_by("tracks__album__name", "Blue").unwrap();
        assert_eq!(names(of_blue.all(&mut conn).unwrap()), ["mix"]);
        // Playlists with no track at all ("best"), and with none titled "So What".
        let empty = q().exclude_by("tracks__id__isnull", false).unwrap();
        assert_eq!(names(empty.all(&mut conn).unwrap()), ["best"]);
        let not_so_what = q().exclude_by("tracks__title", "So What").unwrap();
        assert_eq!(names(not_so_what.all(&mut conn).unwrap()), ["best", "late"]);
        // The other side: tracks on a playlist named "late".
        let tracks = Track::objects()
            .filter_by("playlists__name", "late")
            .unwrap()
            .all(&mut conn)
            .unwrap();
        assert_eq!(
            tracks.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(),
            ["Blue Train"]
        );
        // Counted per playlist.
        let per_playlist = q()
            .values(&["name"])
            .unwrap()
            .annotate(&[("n", Count("tracks"))])
            .unwrap()
            .order_by(&["name"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        let got: Vec<serde_json::Value> = per_playlist.into_iter().map(Into::into).collect();
        assert_eq!(
            got,
            [
                json!({"name": "best", "n": 0}),
                json!({"name": "late", "n": 1}),
                json!({"name": "mix", "n": 1}),
            ]
        );
        // Typed: the tracks of one playlist, through a subquery of its entries.
        let late = q()
            .filter_by("name", "late")
            .unwrap()
            .first(&mut conn)
            .unwrap()
            .unwrap();
        let entries = late
            .related::<PlaylistEntry>()
            .select(playlist_entries::track);
        let typed = Track::objects()
            .filter(tracks::id.eq_any(entries.subquery()))
            .all(&mut conn)
            .unwrap();
        assert_eq!(typed, tracks);
        // A path ending at the relation names the related model in its error.
        let e = q().filter_by("tracks", 1).unwrap_err();
        assert!(e.to_string().contains("`Track`"), "{e}");
    }
);
