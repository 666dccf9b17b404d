//! `update_by` (Django's `update(stock=F("stock") - 1)`): fields set by name to values,
//! NULL, another field, or arithmetic on fields, computed by the database with every value
//! bound, on every backend, blocking and async; bad names, kinds and values are named errors
//! before any SQL runs.

#[macro_use]
mod support;
mod fixtures;
mod persist_support;

use orm::prelude::*;
use orm::{Connection, Database, Error, NameError, Null, F};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// The albums [("big", 3), ("one", 1)] with their tracks (positions 1 to n); their ids.
fn seed(conn: &mut Connection) -> [i32; 2] {
    fixtures::albums_with_tracks(conn, &[("big", 3), ("one", 1)])
        .try_into()
        .unwrap()
}

fn positions(conn: &mut Connection) -> Vec<(String, i32)> {
    let rows: Vec<(String, i32)> = Track::objects()
        .order_by(tracks::id.asc())
        .select((tracks::title, tracks::position))
        .all(conn)
        .unwrap();
    rows
}

backend_test!(
    fn update_by_sets_values_fields_and_arithmetic(db: &TestDb) {
        let mut conn = db.connect();
        let [big, one] = seed(&mut conn);
        let of_big = Track::objects().filter_by("album", big).unwrap();
        // Arithmetic on a field, then a value and another field, on the filtered rows only.
        let n = of_big
            .update_by(&mut conn, &[("position", F("position") * 10)])
            .unwrap();
        assert_eq!(n, 3);
        let n = of_big
            .update_by(&mut conn, &[("position", F("position") - 5)])
            .unwrap();
        assert_eq!(n, 3);
        let first = Track::objects().filter_by("title", "big 1").unwrap();
        first
            .update_by(
                &mut conn,
                &[("title", "first!".into()), ("position", F("id").into())],
            )
            .unwrap();
        let first_id: i64 = Track::objects()
            .filter_by("title", "first!")
            .unwrap()
            .select(tracks::id)
            .one(&mut conn)
            .unwrap();
        assert_eq!(
            positions(&mut conn),
            [
                ("first!".to_string(), first_id as i32),
                ("big 2".to_string(), 15),
                ("big 3".to_string(), 25),
                ("one 1".to_string(), 1),
            ]
        );
        // A value looking like SQL is only a bound value.
        let evil = "x'); DROP TABLE tracks; --";
        let renamed = Track::objects().filter_by("title", "first!").unwrap();
        let n = renamed
            .update_by(&mut conn, &[("title", evil.into())])
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(renamed.count(&mut conn).unwrap(), 0);
        let stored = Track::objects().filter_by("title", evil).unwrap();
        assert_eq!(stored.count(&mut conn).unwrap(), 1);
        assert_eq!(Track::objects().count(&mut conn).unwrap(), 4);
        // NULL and a value on a nullable foreign key.
        let mut form = NewPlaylist::new("p");
        form.featured = Some(one);
        Playlist::objects().create(&mut conn, form).unwrap();
        let playlists = Playlist::objects;
        assert_eq!(
            playlists()
                .update_by(&mut conn, &[("featured", Null.into())])
                .unwrap(),
            1
        );
        assert_eq!(
            playlists()
                .filter_by("featured__isnull", true)
                .unwrap()
                .count(&mut conn)
                .unwrap(),
            1
        );
        playlists()
            .update_by(&mut conn, &[("featured", big.into())])
            .unwrap();
        assert_eq!(
            playlists()
                .filter_by("featured", big)
                .unwrap()
                .count(&mut conn)
                .unwrap(),
            1
        );
        // Nothing to set writes nothing.
        assert_eq!(playlists().update_by(&mut conn, &[]).unwrap(), 0);
    }
);

backend_test!(
    fn update_by_computes_decimals_and_floats(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&all_models()).unwrap();
        let note = Note::objects()
            .create(&mut conn, NewNote::new("n"))
            .unwrap();
        let form = persist_support::kitchen_form(note.id, "pan-1", "cook@example.com");
        Kitchen::objects().create(&mut conn, form).unwrap();
        Kitchen::objects()
            .update_by(
                &mut conn,
                &[
                    ("price", F("price") * 2),
                    ("rating", F("rating") / 2),
                    ("quantity", F("quantity") + F("quantity")),
                    ("homepage", "https://example.com".into()),
                ],
            )
            .unwrap();
        let k = Kitchen::objects().one(&mut conn).unwrap();
        assert_eq!(k.price, "19.98".parse().unwrap());
        assert_eq!(k.rating, 1.25);
        assert_eq!(k.quantity, 6);
        assert_eq!(k.homepage.as_deref(), Some("https://example.com"));
    }
);

backend_test!(
    fn update_by_runs_async(db: &TestDb) {
        let mut conn = db.connect();
        let [big, _] = seed(&mut conn);
        runtime(2).block_on(async {
            let database = Database::connect(&db.url).await.unwrap();
            let of_big = Track::objects().filter_by("album", big).unwrap();
            let n = of_big
                .update_by(&database, &[("position", F("position") + 100)])
                .await
                .unwrap();
            assert_eq!(n, 3);
            let mut pooled = database.get().await.unwrap();
            let high = Track::objects().filter_by("position__gt", 100).unwrap();
            assert_eq!(high.count(&mut pooled).await.unwrap(), 3);
        });
        // A sliced QuerySet is refused, as `update_with` refuses it.
        let sliced = Track::objects().limit(1);
        let err = sliced
            .update_by(&mut conn, &[("position", 1.into())])
            .unwrap_err();
        assert!(matches!(err, Error::Usage { .. }), "{err:?}");
    }
);

backend_test!(
    fn update_by_runs_the_validators_and_writes_nothing(db: &TestDb) {
        let mut conn = db.connect();
        seed(&mut conn);
        let before = positions(&mut conn);
        // Track: title max_length = 100, position minimum = 1. Every failing field is
        // named at once, as a typed update's change set would be.
        let bad = [("title", "x".repeat(101).into()), ("position", 0.into())];
        let err = Track::objects().update_by(&mut conn, &bad).unwrap_err();
        let Error::Validation(invalid) = &err else {
            panic!("{err:?}");
        };
        assert_eq!(invalid.codes("title"), ["max_length"]);
        assert_eq!(invalid.codes("position"), ["minimum"]);
        assert_eq!(positions(&mut conn), before);
        // A good value beside a bad one: still nothing written.
        let err = Track::objects()
            .update_by(
                &mut conn,
                &[("title", "ok".into()), ("position", (-5).into())],
            )
            .unwrap_err();
        assert!(matches!(err, Error::Validation(_)), "{err:?}");
        assert_eq!(positions(&mut conn), before);

        runtime(2).block_on(async {
            let database = Database::connect(&db.url).await.unwrap();
            let err = Track::objects()
                .update_by(&database, &[("title", String::new().into())])
                .await
                .unwrap_err();
            let Error::Validation(invalid) = &err else {
                panic!("{err:?}");
            };
            assert_eq!(invalid.codes("title"), ["blank"]);
        });
        assert_eq!(positions(&mut conn), before);
    }
);

#[test]
fn bad_assignments_are_named_errors_before_any_sql() {
    // No connection is needed: every error comes before a statement.
    let name_error =
        |assignments: &[(&str, orm::UpdateValue)]| match orm::Assignments::<Track>::parse(
            assignments,
        ) {
            Err(e) => e,
            Ok(a) => panic!("expected an error, got {a:?}"),
        };
    let e = name_error(&[("nope", 1.into())]);
    assert!(matches!(e, NameError::UnknownField { ref field, .. } if field == "nope"));
    let e = name_error(&[("position", F("nope") + 1)]);
    assert!(matches!(e, NameError::UnknownField { ref field, .. } if field == "nope"));
    // Integer division differs between backends; arithmetic on text means nothing.
    let e = name_error(&[("position", F("position") / 2)]);
    assert!(
        matches!(
            e,
            NameError::InvalidValue {
                field: "position",
                ..
            }
        ),
        "{e:?}"
    );
    let e = name_error(&[("title", F("title") + 1)]);
    assert!(matches!(e, NameError::InvalidValue { field: "title", .. }));
    let e = name_error(&[("position", F("position") + "x")]);
    assert!(matches!(
        e,
        NameError::InvalidValue {
            field: "position",
            ..
        }
    ));
    // NULL on a field that is not nullable; a value of the wrong type; a list.
    let e = name_error(&[("title", Null.into())]);
    assert!(matches!(e, NameError::InvalidValue { field: "title", .. }));
    let e = name_error(&[("position", "seven".into())]);
    assert!(matches!(
        e,
        NameError::InvalidValue {
            field: "position",
            ..
        }
    ));
    let e = name_error(&[("position", vec![1, 2].into())]);
    assert!(matches!(
        e,
        NameError::InvalidValue {
            field: "position",
            ..
        }
    ));
    // F of a field of another kind; the same field twice.
    let e = name_error(&[("title", F("position").into())]);
    assert!(matches!(e, NameError::InvalidValue { field: "title", .. }));
    let e = name_error(&[("position", 1.into()), ("position", 2.into())]);
    assert!(matches!(e, NameError::DuplicateName { ref name } if name == "position"));
}
