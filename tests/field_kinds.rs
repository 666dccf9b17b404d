//! The field kinds `i16` (SmallInteger), `f32` (Real), `Vec<u8>` (Bytes) and
//! `orm::DateTimeUtc` (`chrono::DateTime<Utc>`) on every backend, blocking and async: rows
//! written and read back exactly, their validators, by-name lookups with values given as
//! text (RFC 3339 for instants, hexadecimal for bytes) or typed, ordering, records and
//! aggregates, `update_by` arithmetic, and the named errors for what a kind does not allow.
//! (The DDL and catalog of these kinds: tests/schema.rs and tests/migrations.rs through
//! `Kitchen`; random values: tests/reliability_props.rs.)

#[macro_use]
mod support;

use chrono::{DateTime, Utc};
use orm::prelude::*;
use orm::{Agg, Cell, Database, DateTimeUtc, Error, LookupValue, NameError, F};
use serde_json::json;
#[allow(unused_imports)]
use support::TestDb;
use support::{assert_send, runtime};

/// One row of each new kind, with validators on each.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "kind_readings")]
pub struct Reading {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(minimum = -100, maximum = 1000)]
    pub level: i16,
    #[orm(choices = [0.1, 0.25, 0.5, 1.5])]
    pub ratio: f32,
    #[orm(max_length = 8, min_length = 1)]
    pub blob: Vec<u8>,
    pub taken: DateTimeUtc,
    pub maybe_blob: Option<Vec<u8>>,
    #[orm(auto_now_add)]
    pub stamped: DateTimeUtc,
}

fn at(text: &str) -> DateTimeUtc {
    DateTimeUtc(
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc),
    )
}

/// The four rows (ids 1 to 4 in this order).
fn forms() -> Vec<NewReading> {
    let row = |level: i16, ratio: f32, blob: &[u8], taken, maybe: Option<&[u8]>| {
        let mut form = NewReading::new(level, ratio, blob.to_vec(), at(taken));
        form.maybe_blob = maybe.map(<[u8]>::to_vec);
        form
    };
    vec![
        row(7, 0.1, &[0x00], "2024-05-01T12:00:00Z", None),
        row(
            -3,
            0.25,
            &[0xff, 0x00],
            "2024-05-01T12:00:00.000001Z",
            Some(&[1, 2]),
        ),
        row(1000, 1.5, b"'\\", "1999-12-31T23:59:59.999999Z", Some(&[])),
        row(
            -100,
            0.5,
            &[0x10, 0x00, 0x01],
            "2024-04-30T23:00:00-02:00",
            Some(&[0; 8]),
        ),
    ]
}

/// A by-name filter and the ids it keeps, in id order.
type Case = (&'static str, LookupValue, &'static [i64]);

fn cases() -> Vec<Case> {
    let text = |s: &str| LookupValue::from(s);
    vec![
        ("level__gte", text("7"), &[1, 3]),
        ("level__lt", LookupValue::from(-3i16), &[4]),
        ("level__in", LookupValue::from(vec![7, -100]), &[1, 4]),
        ("level__range", LookupValue::from(vec![-3, 7]), &[1, 2]),
        // A Real equals the number as written, not 0.1 as an f64.
        ("ratio", text("0.1"), &[1]),
        ("ratio__gt", LookupValue::from(0.25f32), &[3, 4]),
        ("ratio__lte", text("0.25"), &[1, 2]),
        ("taken__gte", text("2024-05-01T12:00:00Z"), &[1, 2]),
        // 14:00 at +02:00 is 12:00 UTC: row 1 is not before it.
        ("taken__lt", text("2024-05-01T14:00:00+02:00"), &[3, 4]),
        ("taken", text("2024-05-01T01:00:00Z"), &[4]),
        (
            "taken__gt",
            LookupValue::from(at("2024-05-01T12:00:00Z").0),
            &[2],
        ),
        (
            "taken__range",
            LookupValue::from(vec!["1999-12-31T23:59:59.999999Z", "2024-05-01 01:00:00"]),
            &[3, 4],
        ),
        ("blob", text("ff00"), &[2]),
        ("blob", text("FF00"), &[2]),
        ("blob__in", LookupValue::from(vec!["00", "275c"]), &[1, 3]),
        // Bytes compare byte by byte, as unsigned numbers, on every backend.
        ("blob__gt", text("100001"), &[2, 3]),
        ("blob__lte", text("100001"), &[1, 4]),
        ("blob__range", LookupValue::from(vec!["01", "28"]), &[3, 4]),
        ("maybe_blob__isnull", LookupValue::from(true), &[1]),
        ("maybe_blob", text(""), &[3]),
        ("maybe_blob", text("0000000000000000"), &[4]),
    ]
}

fn ids(rows: Vec<Reading>) -> Vec<i64> {
    let mut ids: Vec<i64> = rows.into_iter().map(|r| r.id).collect();
    ids.sort();
    ids
}

/// What each form should store (`stamped` as the row has it).
fn expected(form: &NewReading, row: &Reading) -> Reading {
    Reading {
        id: row.id,
        level: form.level,
        ratio: form.ratio,
        blob: form.blob.clone(),
        taken: form.taken,
        maybe_blob: form.maybe_blob.clone(),
        stamped: row.stamped,
    }
}

/// Forms each breaking one validator: (field, code, form).
fn invalid_forms() -> Vec<(&'static str, &'static str, NewReading)> {
    let base = || forms().remove(0);
    let with = |change: fn(&mut NewReading)| {
        let mut form = base();
        change(&mut form);
        form
    };
    vec![
        ("level", "maximum", with(|f| f.level = 1001)),
        ("level", "minimum", with(|f| f.level = -101)),
        ("ratio", "choices", with(|f| f.ratio = 0.3)),
        ("ratio", "finite", with(|f| f.ratio = f32::NAN)),
        ("blob", "max_length", with(|f| f.blob = vec![7; 9])),
        ("blob", "min_length", with(|f| f.blob = Vec::new())),
    ]
}

fn expect_invalid(err: Error, field: &str, code: &str) {
    let Error::Validation(invalid) = err else {
        panic!("{field}/{code}: expected a validation error, got {err:?}");
    };
    assert_eq!(invalid.codes(field), [code], "{invalid}");
}

/// The errors of lookups a kind does not allow or values that do not convert, each
/// naming the field (checked before any SQL, so on no connection).
#[test]
fn lookups_a_kind_does_not_allow_are_named_errors() {
    let q = Reading::objects;
    let err = q().filter_by("blob__contains", "00").unwrap_err();
    assert!(
        matches!(&err, NameError::UnknownLookup { field: "blob", kind: "Bytes", valid, .. } if !valid.contains("contains")),
        "{err:?}"
    );
    let err = q().filter_by("taken__year", 2024).unwrap_err();
    assert!(
        matches!(
            &err,
            NameError::UnknownLookup {
                field: "taken",
                kind: "DateTimeUtc",
                ..
            }
        ),
        "{err:?}"
    );
    for (path, value) in [
        ("level", "40000"),
        ("blob", "abc"),
        ("blob", "0g"),
        ("taken", "yesterday"),
        ("ratio", "1e39"),
        ("ratio", "NaN"),
    ] {
        let field = path;
        let err = q().filter_by(path, value).unwrap_err();
        assert!(
            matches!(&err, NameError::InvalidValue { field: f, .. } if *f == field),
            "{path}={value}: {err:?}"
        );
    }
    // Sums and averages of a Real are not offered; of a SmallInteger they are.
    assert!(q().aggregate(&[("s", Agg::Sum("ratio"))]).is_err());
    assert!(q().aggregate(&[("s", Agg::Sum("level"))]).is_ok());
}

backend_test!(
    fn new_kinds_round_trip_validate_and_filter_by_name(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&[Reading::meta()]).unwrap();
        let before = DateTimeUtc::now();
        let mut stored = Vec::new();
        for form in forms() {
            let row = Reading::objects().create(&mut conn, form.clone()).unwrap();
            assert_eq!(row, expected(&form, &row));
            let got = Reading::objects()
                .get(&mut conn, kind_readings::id.eq(row.id))
                .unwrap();
            assert_eq!(got, row, "read back on {}", db.backend);
            stored.push(row);
        }
        assert_eq!(ids(stored.clone()), [1, 2, 3, 4]);
        // auto_now_add on a DateTimeUtc: the time of the create, to the microsecond.
        let first = stored[0].stamped.0;
        assert!(first.timestamp_micros() >= before.0.timestamp_micros());
        assert!(first <= Utc::now());

        for (field, code, form) in invalid_forms() {
            let err = Reading::objects().create(&mut conn, form).unwrap_err();
            expect_invalid(err, field, code);
        }
        assert_eq!(Reading::objects().count(&mut conn).unwrap(), 4);

        for (path, value, want) in cases() {
            let q = Reading::objects().filter_by(path, value.clone()).unwrap();
            assert_eq!(ids(q.all(&mut conn).unwrap()), want, "{path} = {value:?}");
        }

        // Ordering by an instant and by a Real.
        for (name, want) in [("taken", [3, 4, 1, 2]), ("-ratio", [3, 4, 2, 1])] {
            let ordered = Reading::objects().order_by_names(&[name]).unwrap();
            let rows = ordered.all(&mut conn).unwrap();
            let order: Vec<i64> = rows.iter().map(|r| r.id).collect();
            assert_eq!(order, want, "ordered by {name}");
        }

        // Keyset pages of one row: each cursor carries the last row's values as text
        // (RFC 3339, the shortest f32 text, hexadecimal), which must find the next row.
        for (names, want) in [
            (&["taken", "pk"][..], [3, 4, 1, 2]),
            (&["-ratio", "level", "pk"][..], [3, 4, 2, 1]),
            (&["blob", "pk"][..], [1, 4, 3, 2]),
        ] {
            let pages = Reading::objects().keyset(names).unwrap();
            let mut page = pages.page(&mut conn, 1).unwrap();
            let mut seen = ids(page.rows.clone());
            while let Some(next) = page.next.clone() {
                page = pages
                    .clone()
                    .after(&next)
                    .unwrap()
                    .page(&mut conn, 1)
                    .unwrap();
                seen.extend(ids(page.rows.clone()));
            }
            assert_eq!(seen, want, "keyset {names:?} on {}", db.backend);
        }

        // Records and aggregates.
        let record = Reading::objects()
            .filter_by("pk", 1)
            .unwrap()
            .values(&["level", "ratio", "blob", "taken", "maybe_blob"])
            .unwrap()
            .one(&mut conn)
            .unwrap();
        assert_eq!(
            record.to_json(),
            json!({"level": 7, "ratio": 0.1, "blob": [0], "taken": "2024-05-01T12:00:00Z", "maybe_blob": null})
        );
        let extremes = Reading::objects()
            .aggregate(&[
                ("first", Agg::Min("taken")),
                ("top", Agg::Max("level")),
                ("least", Agg::Min("ratio")),
                ("sum", Agg::Sum("level")),
            ])
            .unwrap()
            .one(&mut conn)
            .unwrap();
        assert_eq!(
            extremes.values(),
            [
                Cell::DateTimeUtc(at("1999-12-31T23:59:59.999999Z").0),
                Cell::Int(1000),
                Cell::Real(0.1),
                Cell::Int(904),
            ]
        );

        // update_by arithmetic on a SmallInteger and a Real; the rows read back.
        let n = Reading::objects()
            .filter_by("blob", "00")
            .unwrap()
            .update_by(
                &mut conn,
                &[("level", F("level") + 1), ("ratio", F("ratio") * 5)],
            )
            .unwrap();
        assert_eq!(n, 1);
        let row = Reading::objects()
            .get(&mut conn, kind_readings::id.eq(1))
            .unwrap();
        assert_eq!((row.level, row.ratio), (8, 0.5));
    }
);

backend_test!(
    fn new_kinds_async(db: &TestDb) {
        {
            let mut conn = db.connect();
            conn.create_all(&[Reading::meta()]).unwrap();
        }
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let forms = forms();
            let rows = assert_send(Reading::objects().bulk_create(&pool, forms.clone()))
                .await
                .unwrap();
            for (form, row) in forms.iter().zip(&rows) {
                assert_eq!(*row, expected(form, row));
                let got = assert_send(Reading::objects().get(&pool, kind_readings::id.eq(row.id)))
                    .await
                    .unwrap();
                assert_eq!(got, *row, "read back on {}", db.backend);
            }
            for (field, code, form) in invalid_forms() {
                let err = Reading::objects().create(&pool, form).await.unwrap_err();
                expect_invalid(err, field, code);
            }
            for (path, value, want) in cases() {
                let q = Reading::objects().filter_by(path, value.clone()).unwrap();
                let got = assert_send(q.all(&pool)).await.unwrap();
                assert_eq!(ids(got), want, "{path} = {value:?}");
            }
            // Changes of every new kind, through a change set.
            let mut row = rows[1].clone();
            let changes = ReadingChanges {
                level: Some(-100),
                ratio: Some(1.5),
                blob: Some(vec![9; 8]),
                taken: Some(at("2030-01-01T00:00:00.123456+05:30")),
                maybe_blob: Some(None),
                ..Default::default()
            };
            assert_send(row.update(&pool, changes)).await.unwrap();
            let got = Reading::objects()
                .get(&pool, kind_readings::id.eq(row.id))
                .await
                .unwrap();
            assert_eq!(got, row);
            assert_eq!(got.taken, at("2029-12-31T18:30:00.123456Z"));
            assert_eq!(got.maybe_blob, None);
        });
    }
);

/// SQLite's UTC text sorts as time only with four-digit years: a year past 9999 is
/// refused when binding (MySQL's DATETIME refuses it too), and nothing is written.
#[cfg(feature = "sqlite")]
#[test]
fn sqlite_refuses_instants_its_text_would_misorder() {
    let db = TestDb::new(orm::Backend::Sqlite).unwrap();
    let mut conn = db.connect();
    conn.create_all(&[Reading::meta()]).unwrap();
    let mut form = forms().remove(0);
    let far = chrono::NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
    form.taken = DateTimeUtc(far.and_hms_opt(0, 0, 0).unwrap().and_utc());
    let err = Reading::objects().create(&mut conn, form).unwrap_err();
    assert!(err.to_string().contains("0 to 9999"), "{err}");
    assert_eq!(support::count_rows(&mut conn, "kind_readings"), 0);
}
