//! NULL in lookups, as Django and encode/orm mean it, on every backend, blocking and async:
//! `exact(None)` (typed) and a NULL by-name value match the rows holding NULL (`IS NULL`,
//! where `= NULL` would match none), and `exclude` keeps the rows where the excluded
//! comparison is NULL. Also the by-name values that are not text: numbers, booleans and
//! lists for `in`.

#[macro_use]
mod support;

use orm::prelude::*;
use orm::{Database, LookupValue, NameError, Null};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// Albums 1 and 2; playlists "a1" (album 1), "a2" (album 2), "none1" and "none2" (no
/// album). Returns the albums' ids.
fn seed(db: &TestDb) -> (i32, i32) {
    let mut conn = db.connect();
    conn.create_all(&all_models()).unwrap();
    let one = Album::objects()
        .create(&mut conn, NewAlbum::new("one"))
        .unwrap();
    let two = Album::objects()
        .create(&mut conn, NewAlbum::new("two"))
        .unwrap();
    for (name, featured) in [
        ("a1", Some(one.id)),
        ("a2", Some(two.id)),
        ("none1", None),
        ("none2", None),
    ] {
        let mut form = NewPlaylist::new(name);
        form.featured = featured;
        Playlist::objects().create(&mut conn, form).unwrap();
    }
    (one.id, two.id)
}

fn names(rows: Vec<Playlist>) -> Vec<String> {
    let mut names: Vec<String> = rows.into_iter().map(|p| p.name).collect();
    names.sort();
    names
}

backend_test!(
    fn typed_exact_none_is_null_and_exclude_keeps_null_rows(db: &TestDb) {
        let (one, _) = seed(db);
        let mut conn = db.connect();
        let q = Playlist::objects;
        let got = q().filter(playlists::featured.exact(None::<i32>));
        assert_eq!(names(got.all(&mut conn).unwrap()), ["none1", "none2"]);
        assert_eq!(got.count(&mut conn).unwrap(), 2);
        let got = q().filter(playlists::featured.exact(Some(one)));
        assert_eq!(names(got.all(&mut conn).unwrap()), ["a1"]);
        // NOT NULL columns keep diesel's `eq`: any value `eq` takes.
        let got = q().filter(playlists::name.exact("a2"));
        assert_eq!(names(got.all(&mut conn).unwrap()), ["a2"]);
        // A nullable comparison excluded keeps the NULL rows; a NOT NULL one is unchanged.
        let got = q().exclude(playlists::featured.eq(one));
        assert_eq!(names(got.all(&mut conn).unwrap()), ["a2", "none1", "none2"]);
        let got = q().exclude(playlists::featured.exact(None::<i32>));
        assert_eq!(names(got.all(&mut conn).unwrap()), ["a1", "a2"]);
        let got = q().exclude(playlists::name.eq("a1"));
        assert_eq!(names(got.all(&mut conn).unwrap()), ["a2", "none1", "none2"]);
        // Through select_related too.
        let got = q()
            .select_related::<Album>()
            .exclude(playlists::featured.eq(one))
            .all(&mut conn)
            .unwrap();
        assert_eq!(names(got), ["a2", "none1", "none2"]);
    }
);

backend_test!(
    fn by_name_null_and_typed_values(db: &TestDb) {
        let (one, two) = seed(db);
        let mut conn = db.connect();
        let q = Playlist::objects;
        let run = |qs: Result<_, NameError>, conn: &mut orm::Connection| {
            let qs: orm::QuerySet<Playlist, _> = qs.unwrap();
            names(qs.all(conn).unwrap())
        };
        assert_eq!(
            run(q().filter_by("featured", Null), &mut conn),
            ["none1", "none2"]
        );
        assert_eq!(
            run(q().filter_by("featured__exact", None::<i32>), &mut conn),
            ["none1", "none2"]
        );
        assert_eq!(
            run(q().exclude_by("featured", Null), &mut conn),
            ["a1", "a2"]
        );
        // exclude keeps the rows where the comparison is NULL, like the typed form.
        assert_eq!(
            run(q().exclude_by("featured", one), &mut conn),
            ["a2", "none1", "none2"]
        );
        assert_eq!(run(q().filter_by("featured", two), &mut conn), ["a2"]);
        assert_eq!(
            run(q().filter_by("featured__isnull", true), &mut conn),
            ["none1", "none2"]
        );
        assert_eq!(
            run(q().filter_by("featured__isnull", false), &mut conn),
            ["a1", "a2"]
        );
        // `in` with a list value, and the query-string form.
        assert_eq!(
            run(
                q().filter_by("name__in", vec!["a1", "none2", "zzz"]),
                &mut conn
            ),
            ["a1", "none2"]
        );
        assert_eq!(
            run(q().filter_by("featured__in", [one, two]), &mut conn),
            ["a1", "a2"]
        );
        assert_eq!(
            run(q().filter_by("name__in", "a2, none1"), &mut conn),
            ["a2", "none1"]
        );
        assert_eq!(
            run(q().filter_by("name__in", Vec::<&str>::new()), &mut conn),
            Vec::<String>::new()
        );
    }
);

#[test]
fn by_name_values_of_the_wrong_shape_are_named_errors() {
    let q = Playlist::objects;
    let expect_invalid = |result: Result<_, NameError>, field: &str, value: &str| match result {
        Err(NameError::InvalidValue {
            field: f, value: v, ..
        }) => {
            assert_eq!((f, v.as_str()), (field, value));
        }
        other => panic!(
            "expected InvalidValue for {field}, got {:?}",
            other.map(|_| ())
        ),
    };
    expect_invalid(
        q().filter_by("name__contains", Null).map(|_| ()),
        "name",
        "NULL",
    );
    expect_invalid(
        q().filter_by("featured__gt", None::<i32>).map(|_| ()),
        "featured",
        "NULL",
    );
    expect_invalid(
        q().filter_by("name", vec!["a", "b"]).map(|_| ()),
        "name",
        "[a, b]",
    );
    expect_invalid(
        q().filter_by("featured__in", vec![Some(1), None])
            .map(|_| ()),
        "featured",
        "NULL",
    );
    expect_invalid(q().filter_by("featured", "x").map(|_| ()), "featured", "x");
    expect_invalid(
        q().filter_by("featured", 1.5).map(|_| ()),
        "featured",
        "1.5",
    );
    expect_invalid(
        q().filter_by("featured__isnull", 3).map(|_| ()),
        "featured",
        "3",
    );
    // A 64-bit number out of a 32-bit field's range.
    expect_invalid(
        q().filter_by("featured", i64::MAX).map(|_| ()),
        "featured",
        &i64::MAX.to_string(),
    );
    assert_eq!(LookupValue::from(Some("x")), LookupValue::Text("x".into()));
}

backend_test!(
    fn async_null_lookups(db: &TestDb) {
        let (one, _) = seed(db);
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let q = Playlist::objects;
            let got = q()
                .filter(playlists::featured.exact(None::<i32>))
                .all(&pool)
                .await;
            assert_eq!(names(got.unwrap()), ["none1", "none2"]);
            let got = q().exclude(playlists::featured.eq(one)).all(&pool).await;
            assert_eq!(names(got.unwrap()), ["a2", "none1", "none2"]);
            let got = q().filter_by("featured", Null).unwrap().all(&pool).await;
            assert_eq!(names(got.unwrap()), ["none1", "none2"]);
            let got = q().exclude_by("featured", one).unwrap().count(&pool).await;
            assert_eq!(got.unwrap(), 3);
        });
    }
);
