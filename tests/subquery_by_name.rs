//! A QuerySet as the value of a by-name `in` (Django's `filter(album__in=Album.objects
//! .filter(...))`): one statement with a subquery of the other QuerySet's primary keys, on
//! every backend, blocking and async; combined with `|` and `!`, nested, and checked
//! against the field's kind before any SQL runs.

#[macro_use]
mod support;
mod fixtures;

use orm::prelude::*;
use orm::{ByName, Database, NameError};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// The titles of `rows`, sorted.
fn titles(rows: Vec<Track>) -> Vec<String> {
    let mut titles: Vec<String> = rows.into_iter().map(|t| t.title).collect();
    titles.sort();
    titles
}

backend_test!(
    fn in_a_queryset_by_name(db: &TestDb) {
        let mut conn = db.connect();
        fixtures::albums_with_tracks(&mut conn, &[("big", 3), ("mid", 2), ("one", 1)]);
        let b_albums = || Album::objects().filter_by("name__startswith", "b").unwrap();
        let of_b = Track::objects().filter_by("album__in", b_albums()).unwrap();
        assert_eq!(
            titles(of_b.all(&mut conn).unwrap()),
            ["big 1", "big 2", "big 3"]
        );
        assert_eq!(of_b.count(&mut conn).unwrap(), 3);
        // Excluded, and combined with other conditions.
        let others = Track::objects()
            .exclude_by("album__in", b_albums())
            .unwrap();
        assert_eq!(
            titles(others.all(&mut conn).unwrap()),
            ["mid 1", "mid 2", "one 1"]
        );
        let either = ByName::<Track>::lookup("album__in", b_albums()).unwrap()
            | ByName::<Track>::lookup("title", "one 1").unwrap();
        let qs = Track::objects().filter(!either);
        assert_eq!(titles(qs.all(&mut conn).unwrap()), ["mid 1", "mid 2"]);
        // A typed subquery's filter; its ordering and slice do not apply.
        let typed = Album::objects()
            .filter(albums::name.eq_any(["mid", "one"]))
            .order_by(albums::name.asc())
            .limit(1);
        let qs = Track::objects().filter_by("album__in", typed).unwrap();
        assert_eq!(
            titles(qs.all(&mut conn).unwrap()),
            ["mid 1", "mid 2", "one 1"]
        );
        // Nested: the albums whose key is among the keys of the albums named big or one.
        let inner = Album::objects()
            .filter_by("name__in", vec!["big", "one"])
            .unwrap();
        let outer = Album::objects().filter_by("pk__in", inner).unwrap();
        let qs = Track::objects()
            .filter_by("album__in", outer)
            .unwrap()
            .filter_by("position__gte", 3)
            .unwrap();
        assert_eq!(titles(qs.all(&mut conn).unwrap()), ["big 3"]);
        // Through a nullable foreign key; an empty subquery matches nothing.
        let mut form = NewPlaylist::new("p");
        form.featured = Some(
            Album::objects()
                .filter_by("name", "mid")
                .unwrap()
                .one(&mut conn)
                .unwrap()
                .id,
        );
        Playlist::objects().create(&mut conn, form).unwrap();
        Playlist::objects()
            .create(&mut conn, NewPlaylist::new("q"))
            .unwrap();
        let featured = Playlist::objects()
            .filter_by(
                "featured__in",
                Album::objects().filter_by("name", "mid").unwrap(),
            )
            .unwrap();
        assert_eq!(featured.count(&mut conn).unwrap(), 1);
        let none = Album::objects().filter_by("name", "none").unwrap();
        let qs = Track::objects().filter_by("album__in", none).unwrap();
        assert!(qs.all(&mut conn).unwrap().is_empty());
    }
);

backend_test!(
    fn in_a_queryset_runs_async(db: &TestDb) {
        let mut conn = db.connect();
        fixtures::albums_with_tracks(&mut conn, &[("big", 3), ("one", 1)]);
        runtime(2).block_on(async {
            let database = Database::connect(&db.url).await.unwrap();
            let one = Album::objects().filter_by("name", "one").unwrap();
            let qs = Track::objects().filter_by("album__in", one).unwrap();
            assert_eq!(titles(qs.all(&database).await.unwrap()), ["one 1"]);
        });
    }
);

backend_test!(
    fn in_the_values_of_one_field(db: &TestDb) {
        let mut conn = db.connect();
        fixtures::albums_with_tracks(&mut conn, &[("big", 3), ("mid", 2), ("one", 1)]);
        let names = |rows: Vec<Album>| -> Vec<String> {
            let mut names: Vec<String> = rows.into_iter().map(|a| a.name).collect();
            names.sort();
            names
        };
        // Albums with a track at position 3 or more: their keys, from the tracks' values.
        let long = Track::objects()
            .filter_by("position__gte", 3)
            .unwrap()
            .values(&["album"])
            .unwrap();
        let albums = Album::objects().filter_by("id__in", long).unwrap();
        assert_eq!(names(albums.all(&mut conn).unwrap()), ["big"]);
        // A field reached through a foreign key, compared with a field of the same kind.
        let second = Track::objects()
            .filter_by("position", 2)
            .unwrap()
            .values(&["album__name"])
            .unwrap();
        let albums = Album::objects().exclude_by("name__in", second).unwrap();
        assert_eq!(names(albums.all(&mut conn).unwrap()), ["one"]);

        runtime(2).block_on(async {
            let db = Database::connect(&db.url).await.unwrap();
            let long = Track::objects()
                .filter_by("position__gte", 2)
                .unwrap()
                .values_list(&["album"])
                .unwrap();
            let albums = Album::objects().filter_by("pk__in", long).unwrap();
            assert_eq!(names(albums.all(&db).await.unwrap()), ["big", "mid"]);
        });
    }
);

#[test]
fn a_queryset_of_another_kind_or_lookup_is_a_named_error() {
    // Values of two fields, or of a field of another kind.
    let two = Track::objects().values(&["album", "title"]).unwrap();
    let e = Album::objects().filter_by("id__in", two).unwrap_err();
    assert!(
        matches!(e, NameError::InvalidValue { field: "id", .. }),
        "{e:?}"
    );
    let titles = Track::objects().values(&["title"]).unwrap();
    let e = Album::objects().filter_by("id__in", titles).unwrap_err();
    assert!(
        matches!(e, NameError::InvalidValue { field: "id", .. }),
        "{e:?}"
    );

    let invalid = |r: Result<(), NameError>| match r {
        Err(NameError::InvalidValue { field, .. }) => field,
        other => panic!("expected InvalidValue, got {other:?}"),
    };
    // Text compared with album keys; a QuerySet with another lookup than `in`.
    let title = Track::objects()
        .filter_by("title__in", Album::objects())
        .map(|_| ());
    assert_eq!(invalid(title), "title");
    let exact = Track::objects()
        .filter_by("album", Album::objects())
        .map(|_| ());
    assert_eq!(invalid(exact), "album");
    let part = Kitchen::objects()
        .filter_by("due__year__in", Album::objects())
        .map(|_| ());
    assert_eq!(invalid(part), "due");
}
