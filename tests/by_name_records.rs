//! Projections and aggregates by name (`values`, `values_list`, `aggregate`,
//! `values(..).annotate(..)`, ordering the records by name): the same records and value
//! types on every backend, blocking and async; every field kind reads as the typed row
//! holds it; names and aggregates a model does not allow are named errors before any SQL.

#[macro_use]
mod support;
mod fixtures;
mod persist_support;

use chrono::NaiveTime;
use orm::prelude::*;
use orm::Agg::{Avg, Count, CountDistinct, Max, Min, Sum};
use orm::{Cell, Connection, Database, NameError, Record};
use orm_suite::models::*;
use serde_json::json;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// The albums [("big", 3), ("mid", 2), ("one", 1)] with their tracks (positions 1 to n); their ids.
fn seed(conn: &mut Connection) -> [i32; 3] {
    fixtures::albums_with_tracks(conn, &[("big", 3), ("mid", 2), ("one", 1)])
        .try_into()
        .unwrap()
}

fn json_of(records: Vec<Record>) -> Vec<serde_json::Value> {
    records.into_iter().map(serde_json::Value::from).collect()
}

fn decimal(text: &str) -> Cell {
    Cell::Decimal(text.parse().unwrap())
}

backend_test!(
    fn values_and_values_list_by_name(db: &TestDb) {
        let mut conn = db.connect();
        let [big, _, one] = seed(&mut conn);
        // Same-model fields and a field through a foreign key, in the QuerySet's order.
        let records = Track::objects()
            .filter_by("position__gte", 3)
            .unwrap()
            .values(&["title", "position", "album", "album__name"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        assert_eq!(
            json_of(records),
            [json!({"title": "big 3", "position": 3, "album": big, "album__name": "big"})]
        );
        let rows = Track::objects()
            .order_by_names(&["-position", "title"])
            .unwrap()
            .limit(3)
            .values_list(&["pk", "title"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        let titles: Vec<&Cell> = rows.iter().map(|r| &r[1]).collect();
        let want = ["big 3", "big 2", "mid 2"].map(|t| Cell::Text(t.to_string()));
        assert_eq!(titles, want.iter().collect::<Vec<_>>());
        assert!(matches!(rows[0][0], Cell::Int(_)));
        // A NULL foreign key, and a field through it, read as NULL.
        let form = NewPlaylist::new("lonely");
        Playlist::objects().create(&mut conn, form).unwrap();
        let mut form = NewPlaylist::new("featured");
        form.featured = Some(one);
        Playlist::objects().create(&mut conn, form).unwrap();
        let records = Playlist::objects()
            .order_by(playlists::id.asc())
            .values(&["name", "featured", "featured__name"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        assert_eq!(
            json_of(records),
            [
                json!({"name": "lonely", "featured": null, "featured__name": null}),
                json!({"name": "featured", "featured": one, "featured__name": "one"}),
            ]
        );
    }
);

backend_test!(
    fn every_field_kind_reads_as_the_typed_row_holds_it(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&all_models()).unwrap();
        let note = Note::objects()
            .create(&mut conn, NewNote::new("n"))
            .unwrap();
        let mut form = persist_support::kitchen_form(note.id, "pan-1", "cook@example.com");
        form.opens = NaiveTime::from_hms_micro_opt(9, 30, 15, 250_000).unwrap();
        form.due = chrono::NaiveDate::from_ymd_opt(2024, 2, 29);
        form.extra = Some(orm::Json(json!({"a": [1, 2]})));
        form.homepage = Some("https://example.com".into());
        let k = Kitchen::objects().create(&mut conn, form).unwrap();
        let names = [
            "id",
            "quantity",
            "big",
            "rating",
            "active",
            "slug",
            "body",
            "size",
            "price",
            "due",
            "created_at",
            "updated_at",
            "opens",
            "extra",
            "token",
            "status",
            "email",
            "homepage",
            "ip",
            "note",
        ];
        let record = Kitchen::objects()
            .values(&names)
            .unwrap()
            .one(&mut conn)
            .unwrap();
        let want = vec![
            Cell::Uuid(k.id),
            Cell::Int(i64::from(k.quantity)),
            Cell::Int(k.big),
            Cell::Float(k.rating),
            Cell::Bool(k.active),
            Cell::Text(k.slug.clone()),
            Cell::Text(k.body.clone()),
            Cell::Text(k.size.clone()),
            Cell::Decimal(k.price.clone()),
            Cell::Date(k.due.unwrap()),
            Cell::DateTime(k.created_at),
            Cell::DateTime(k.updated_at),
            Cell::Time(k.opens),
            Cell::Json(k.extra.clone().unwrap()),
            Cell::Uuid(k.token),
            Cell::Text("Draft".into()),
            Cell::Text(k.email.clone()),
            Cell::Text(k.homepage.clone().unwrap()),
            Cell::Ip(k.ip),
            Cell::Int(note.id),
        ];
        assert_eq!(record.values(), want.as_slice());
        assert_eq!(record.get("price"), Some(&decimal("9.99")));
        let json = record.to_json();
        assert_eq!(json["price"], json!("9.99"));
        assert_eq!(json["due"], json!("2024-02-29"));
        assert_eq!(json["opens"], json!("09:30:15.250"));
        assert_eq!(json["extra"], json!({"a": [1, 2]}));
        assert_eq!(json["ip"], json!("10.0.0.1"));
        // Aggregates of a decimal stay decimals; of a float, floats.
        let sums = Kitchen::objects()
            .aggregate(&[
                ("price", Sum("price")),
                ("rating", Avg("rating")),
                ("top", Max("opens")),
            ])
            .unwrap()
            .one(&mut conn)
            .unwrap();
        assert_eq!(
            sums.values(),
            [decimal("9.99"), Cell::Float(k.rating), Cell::Time(k.opens)]
        );
    }
);

backend_test!(
    fn aggregates_over_a_queryset_and_per_group(db: &TestDb) {
        let mut conn = db.connect();
        let [big, mid, one] = seed(&mut conn);
        let all = Track::objects()
            .aggregate(&[
                ("n", Count("id")),
                ("albums", CountDistinct("album")),
                ("positions", Sum("position")),
                ("first", Min("title")),
                ("last", Max("album__name")),
            ])
            .unwrap()
            .one(&mut conn)
            .unwrap();
        assert_eq!(
            all.to_json(),
            json!({"n": 6, "albums": 3, "positions": 10, "first": "big 1", "last": "one"})
        );
        // Over a by-name filter; the mean of integers is a decimal on every backend.
        let big_only = Track::objects()
            .filter_by("album__name", "big")
            .unwrap()
            .aggregate(&[("mean", Avg("position")), ("total", Sum("pk"))])
            .unwrap()
            .one(&mut conn)
            .unwrap();
        assert_eq!(big_only.get("mean"), Some(&decimal("2")));
        assert!(matches!(big_only.get("total"), Some(Cell::Int(_))));
        // No rows: a count of 0, NULL sums and means.
        let none = Track::objects()
            .filter_by("position__gt", 9)
            .unwrap()
            .aggregate(&[
                ("n", Count("id")),
                ("s", Sum("position")),
                ("a", Avg("position")),
            ])
            .unwrap()
            .one(&mut conn)
            .unwrap();
        assert_eq!(none.values(), [Cell::Int(0), Cell::Null, Cell::Null]);

        // Per group, ordered by an aggregate then a grouped field.
        let per_album = Track::objects()
            .values(&["album", "album__name"])
            .unwrap()
            .annotate(&[("n", Count("id")), ("positions", Sum("position"))])
            .unwrap()
            .order_by(&["-positions", "album"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        assert_eq!(
            json_of(per_album),
            [
                json!({"album": big, "album__name": "big", "n": 3, "positions": 6}),
                json!({"album": mid, "album__name": "mid", "n": 2, "positions": 3}),
                json!({"album": one, "album__name": "one", "n": 1, "positions": 1}),
            ]
        );
        // Groups of a filtered QuerySet, as lists, sliced.
        let rows = Track::objects()
            .filter_by("position__lte", 2)
            .unwrap()
            .values_list(&["position"])
            .unwrap()
            .annotate(&[("n", Count("pk"))])
            .unwrap()
            .order_by(&["position"])
            .unwrap()
            .limit(1)
            .all(&mut conn)
            .unwrap();
        assert_eq!(rows, [vec![Cell::Int(1), Cell::Int(3)]]);
    }
);

backend_test!(
    fn records_run_async(db: &TestDb) {
        let mut conn = db.connect();
        let [big, ..] = seed(&mut conn);
        runtime(2).block_on(async {
            let database = Database::connect(&db.url).await.unwrap();
            let per_album = Track::objects()
                .values(&["album"])
                .unwrap()
                .annotate(&[("n", Count("id"))])
                .unwrap()
                .order_by(&["-n"])
                .unwrap();
            let first = per_album.first(&database).await.unwrap().unwrap();
            assert_eq!(first.to_json(), json!({"album": big, "n": 3}));
            let mut pooled = database.get().await.unwrap();
            let titles = Track::objects()
                .filter_by("album", big)
                .unwrap()
                .order_by(tracks::position.asc())
                .values_list(&["title"])
                .unwrap()
                .all(&mut pooled)
                .await
                .unwrap();
            assert_eq!(titles.len(), 3);
            let total = Track::objects()
                .aggregate(&[("n", Count("id"))])
                .unwrap()
                .one(&database)
                .await
                .unwrap();
            assert_eq!(total.get("n"), Some(&Cell::Int(6)));
        });
    }
);

#[test]
fn names_and_aggregates_a_model_does_not_allow_are_named_errors() {
    let err = |r: Result<(), NameError>| r.unwrap_err();
    let unknown = err(Track::objects().values(&["id", "nope"]).map(|_| ()));
    assert!(
        matches!(unknown, NameError::UnknownField { model: "Track", ref field } if field == "nope")
    );
    let through = err(Track::objects().values(&["album__nope"]).map(|_| ()));
    assert!(
        matches!(through, NameError::UnknownField { model: "Album", ref field } if field == "nope")
    );
    let sum_text = err(Track::objects()
        .aggregate(&[("s", Sum("title"))])
        .map(|_| ()));
    assert!(matches!(
        sum_text,
        NameError::InvalidAggregate {
            aggregate: "Sum",
            field: "title",
            ..
        }
    ));
    let avg_fk_name = err(Track::objects()
        .aggregate(&[("a", Avg("album__name"))])
        .map(|_| ()));
    assert!(matches!(
        avg_fk_name,
        NameError::InvalidAggregate { field: "name", .. }
    ));
    let max_bool = err(Note::objects()
        .aggregate(&[("m", Max("completed"))])
        .map(|_| ()));
    assert!(matches!(
        max_bool,
        NameError::InvalidAggregate {
            aggregate: "Max",
            field: "completed",
            ..
        }
    ));
    let twice = err(Track::objects()
        .values(&["album"])
        .and_then(|v| v.annotate(&[("album", Count("id"))]))
        .map(|_| ()));
    assert!(matches!(twice, NameError::DuplicateName { ref name } if name == "album"));
    let order = err(Track::objects()
        .values(&["album"])
        .and_then(|v| v.order_by(&["-title"]))
        .map(|_| ()));
    assert!(matches!(order, NameError::UnknownField { ref field, .. } if field == "title"));
}

backend_test!(
    fn having_keeps_the_groups_whose_aggregates_match(db: &TestDb) {
        let mut conn = db.connect();
        seed(&mut conn);
        // Tracks per album: big 3 (positions 1+2+3), mid 2 (1+2), one 1 (1).
        let per_album = || {
            Track::objects()
                .values(&["album__name"])
                .unwrap()
                .annotate(&[
                    ("n", Count("id")),
                    ("sum", Sum("position")),
                    ("mean", Avg("position")),
                ])
                .unwrap()
        };
        let names = |records: Vec<Record>| -> Vec<String> {
            records
                .iter()
                .map(|r| match r.get("album__name") {
                    Some(Cell::Text(name)) => name.clone(),
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        let at_least_two = per_album()
            .having(&[("n__gte", 2.into())])
            .unwrap()
            .order_by(&["-n"])
            .unwrap();
        assert_eq!(names(at_least_two.all(&mut conn).unwrap()), ["big", "mid"]);
        // Several conditions AND; a range; exact; on an average (a decimal).
        let some = per_album()
            .having(&[("sum__range", vec![2, 6].into()), ("n__lt", 3.into())])
            .unwrap()
            .order_by(&["album__name"])
            .unwrap();
        assert_eq!(names(some.all(&mut conn).unwrap()), ["mid"]);
        let exact = per_album().having(&[("sum", 6.into())]).unwrap();
        assert_eq!(names(exact.all(&mut conn).unwrap()), ["big"]);
        let mean = per_album()
            .having(&[("mean__gt", "1.5".into())])
            .unwrap()
            .order_by(&["album__name"])
            .unwrap();
        assert_eq!(names(mean.all(&mut conn).unwrap()), ["big"]);
        // A grouped field, and a limit after the HAVING.
        let by_name = per_album()
            .having(&[("album__name", "one".into())])
            .unwrap();
        assert_eq!(names(by_name.all(&mut conn).unwrap()), ["one"]);
        let first = per_album()
            .having(&[("n__gt", 0.into())])
            .unwrap()
            .order_by(&["n"])
            .unwrap()
            .limit(1);
        assert_eq!(names(first.all(&mut conn).unwrap()), ["one"]);

        // Across a reverse relation: albums with at least two tracks.
        let albums = Album::objects()
            .values(&["name"])
            .unwrap()
            .annotate(&[("tracks", Count("tracks__id"))])
            .unwrap()
            .having(&[("tracks__gte", 2.into())])
            .unwrap()
            .order_by(&["name"])
            .unwrap();
        let got = json_of(albums.all(&mut conn).unwrap());
        assert_eq!(
            got,
            [
                json!({"name": "big", "tracks": 3}),
                json!({"name": "mid", "tracks": 2})
            ]
        );

        // Async, the same records.
        runtime(2).block_on(async {
            let db = Database::connect(&db.url).await.unwrap();
            let q = per_album().having(&[("n__gte", 2.into())]).unwrap();
            assert_eq!(q.all(&db).await.unwrap().len(), 2);
        });
    }
);

#[test]
fn having_names_lookups_and_values_are_checked_before_any_sql() {
    let per_album = || {
        Track::objects()
            .values(&["album__name"])
            .unwrap()
            .annotate(&[("n", Count("id"))])
            .unwrap()
    };
    let e = per_album().having(&[("m__gt", 1.into())]).unwrap_err();
    assert!(matches!(e, NameError::UnknownField { .. }), "{e:?}");
    let e = per_album()
        .having(&[("n__icontains", "1".into())])
        .unwrap_err();
    assert!(matches!(e, NameError::UnknownLookup { .. }), "{e:?}");
    let e = per_album().having(&[("n__gt", "many".into())]).unwrap_err();
    assert!(matches!(e, NameError::InvalidValue { .. }), "{e:?}");
    let e = per_album().having(&[("n__range", 1.into())]).unwrap_err();
    assert!(matches!(e, NameError::InvalidValue { .. }), "{e:?}");
}
