//! Date and time parts by name (Django's `year`, `month`, `day`, `week_day`, `hour` and
//! `date` transforms, followed by a comparison: `at__year__gte`): random rows and random
//! lookups on every backend compared with a Rust reference (chrono), rows that always
//! include the edges (a year boundary to the microsecond, a Saturday and a Sunday, a leap
//! day, midnight); async; and a part a field kind does not have is a named error.

#[macro_use]
mod support;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use orm::by_name::DatePart as Part;
use orm::prelude::*;
use orm::{Connection, Database, LookupValue, NameError};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// A date, a date and time, and a time.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "dp_events")]
pub struct Event {
    #[orm(primary_key)]
    pub id: i64,
    pub day: NaiveDate,
    pub at: NaiveDateTime,
    pub clock: NaiveTime,
}

/// Random cases per backend (each seeds rows and runs [`QUERIES`] lookups).
const CASES: u32 = 16;
/// Lookups per case.
const QUERIES: usize = 12;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn dt(d: NaiveDate, h: u32, min: u32, s: u32, us: u32) -> NaiveDateTime {
    d.and_hms_micro_opt(h, min, s, us).unwrap()
}

/// The rows every case holds: the last microsecond of 1999 and the first of 2000,
/// Saturday 2 and Sunday 3 March 2024 around the leap day 29 February, midnight.
fn edge_rows() -> Vec<(NaiveDate, NaiveDateTime, NaiveTime)> {
    let t = |h, m, s| NaiveTime::from_hms_opt(h, m, s).unwrap();
    vec![
        (
            date(1999, 12, 31),
            dt(date(1999, 12, 31), 23, 59, 59, 999_999),
            NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap(),
        ),
        (
            date(2000, 1, 1),
            dt(date(2000, 1, 1), 0, 0, 0, 0),
            t(0, 0, 0),
        ),
        (
            date(2024, 2, 29),
            dt(date(2024, 2, 29), 12, 30, 0, 0),
            t(12, 0, 0),
        ),
        (
            date(2024, 3, 2),
            dt(date(2024, 3, 2), 7, 5, 9, 1),
            t(7, 5, 9),
        ),
        (
            date(2024, 3, 3),
            dt(date(2024, 3, 3), 18, 0, 0, 0),
            t(18, 0, 0),
        ),
    ]
}

/// (field name, its part) of every valid combination.
const PATHS: &[(&str, Part)] = &[
    ("day", Part::Year),
    ("day", Part::Month),
    ("day", Part::Day),
    ("day", Part::WeekDay),
    ("at", Part::Year),
    ("at", Part::Month),
    ("at", Part::Day),
    ("at", Part::WeekDay),
    ("at", Part::Hour),
    ("at", Part::Date),
    ("clock", Part::Hour),
];

const LOOKUPS: &[&str] = &["exact", "gt", "gte", "lt", "lte", "in", "range"];

/// A part's value: a number, or a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum V {
    N(i64),
    D(NaiveDate),
}

impl V {
    fn lookup_value(self) -> LookupValue {
        match self {
            V::N(n) => n.into(),
            V::D(d) => d.to_string().into(),
        }
    }
}

/// The Rust reference: `part` of `field` on one row.
fn part_of(row: &Event, field: &str, part: Part) -> V {
    let n = |x: u32| V::N(i64::from(x));
    match (field, part) {
        ("day", Part::Year) => V::N(i64::from(row.day.year())),
        ("day", Part::Month) => n(row.day.month()),
        ("day", Part::Day) => n(row.day.day()),
        ("day", Part::WeekDay) => n(row.day.weekday().num_days_from_sunday() + 1),
        ("at", Part::Year) => V::N(i64::from(row.at.year())),
        ("at", Part::Month) => n(row.at.month()),
        ("at", Part::Day) => n(row.at.day()),
        ("at", Part::WeekDay) => n(row.at.weekday().num_days_from_sunday() + 1),
        ("at", Part::Hour) => n(row.at.hour()),
        ("at", Part::Date) => V::D(row.at.date()),
        ("clock", Part::Hour) => n(row.clock.hour()),
        other => unreachable!("{other:?}"),
    }
}

/// One random query: a path, a lookup and up to three values of the part's kind.
#[derive(Debug, Clone)]
struct Query {
    path: usize,
    lookup: usize,
    values: Vec<V>,
}

impl Query {
    fn path(&self) -> String {
        let (field, part) = PATHS[self.path];
        let part = match part {
            Part::Year => "year",
            Part::Month => "month",
            Part::Day => "day",
            Part::WeekDay => "week_day",
            Part::Hour => "hour",
            Part::Date => "date",
        };
        format!("{field}__{part}__{}", LOOKUPS[self.lookup])
    }

    fn value(&self) -> LookupValue {
        match LOOKUPS[self.lookup] {
            "in" => LookupValue::List(self.values.iter().map(|v| v.lookup_value()).collect()),
            "range" => LookupValue::List(vec![
                self.values[0].lookup_value(),
                self.values[1].lookup_value(),
            ]),
            _ => self.values[0].lookup_value(),
        }
    }

    /// The reference filter.
    fn matches(&self, row: &Event) -> bool {
        let (field, part) = PATHS[self.path];
        let x = part_of(row, field, part);
        let v = &self.values;
        match LOOKUPS[self.lookup] {
            "exact" => x == v[0],
            "gt" => x > v[0],
            "gte" => x >= v[0],
            "lt" => x < v[0],
            "lte" => x <= v[0],
            "in" => v.contains(&x),
            "range" => v[0] <= x && x <= v[1],
            other => unreachable!("{other}"),
        }
    }
}

/// A value of `part` in the range the rows' parts fall in (a little beyond, so some
/// lookups match nothing).
fn part_value(part: Part) -> BoxedStrategy<V> {
    match part {
        Part::Year => (1998i64..=2025).prop_map(V::N).boxed(),
        Part::Month => (0i64..=13).prop_map(V::N).boxed(),
        Part::Day => (0i64..=32).prop_map(V::N).boxed(),
        Part::WeekDay => (0i64..=8).prop_map(V::N).boxed(),
        Part::Hour => (0i64..=24).prop_map(V::N).boxed(),
        Part::Date => any_date().prop_map(V::D).boxed(),
    }
}

fn query() -> impl Strategy<Value = Query> {
    (0..PATHS.len(), 0..LOOKUPS.len()).prop_flat_map(|(path, lookup)| {
        let values = proptest::collection::vec(part_value(PATHS[path].1), 1..=3);
        values.prop_map(move |mut values| {
            if values.len() < 2 {
                values.push(values[0]);
            }
            Query {
                path,
                lookup,
                values,
            }
        })
    })
}

/// Dates around the edges: 1999 to 2001 and 2024.
fn any_date() -> impl Strategy<Value = NaiveDate> {
    (
        prop_oneof![Just(1999), Just(2000), Just(2001), Just(2024)],
        1u32..=366,
    )
        .prop_map(|(y, d)| NaiveDate::from_yo_opt(y, d).unwrap_or_else(|| date(y, 12, 31)))
}

fn any_row() -> impl Strategy<Value = (NaiveDate, NaiveDateTime, NaiveTime)> {
    (
        any_date(),
        any_date(),
        0u32..86_400,
        0u32..1_000_000,
        0u32..86_400,
    )
        .prop_map(|(day, d, secs, us, clock)| {
            let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, us * 1_000).unwrap();
            let clock = NaiveTime::from_num_seconds_from_midnight_opt(clock, 0).unwrap();
            (day, d.and_time(time), clock)
        })
}

fn seed(conn: &mut Connection, rows: &[(NaiveDate, NaiveDateTime, NaiveTime)]) -> Vec<Event> {
    Event::objects().delete(&mut *conn).unwrap();
    let forms = rows
        .iter()
        .map(|&(day, at, clock)| NewEvent { day, at, clock })
        .collect();
    Event::objects().bulk_create(&mut *conn, forms).unwrap()
}

fn ids(mut rows: Vec<Event>) -> Vec<i64> {
    rows.sort_by_key(|r| r.id);
    rows.into_iter().map(|r| r.id).collect()
}

backend_test!(
    fn date_parts_match_a_rust_reference(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&[Event::meta()]).unwrap();
        let conn = std::cell::RefCell::new(conn);
        let matched = std::cell::Cell::new(0u32);
        let strategy = (
            proptest::collection::vec(any_row(), 0..8),
            proptest::collection::vec(query(), QUERIES),
        );
        let mut runner = TestRunner::new(Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        });
        let outcome = runner.run(&strategy, |(random, queries)| {
            let mut conn = conn.borrow_mut();
            let mut rows = edge_rows();
            rows.extend(random);
            let stored = seed(&mut conn, &rows);
            for q in &queries {
                let want: Vec<i64> = stored
                    .iter()
                    .filter(|r| q.matches(r))
                    .map(|r| r.id)
                    .collect();
                let qs = Event::objects().filter_by(&q.path(), q.value()).unwrap();
                let got = ids(qs.all(&mut *conn).unwrap());
                prop_assert_eq!(&got, &want, "{} {:?} on {}", q.path(), q.values, db.backend);
                // Excluded: the other rows (no part is NULL here).
                let qs = Event::objects().exclude_by(&q.path(), q.value()).unwrap();
                let got = ids(qs.all(&mut *conn).unwrap());
                let rest: Vec<i64> = stored
                    .iter()
                    .filter(|r| !q.matches(r))
                    .map(|r| r.id)
                    .collect();
                prop_assert_eq!(&got, &rest, "exclude {} on {}", q.path(), db.backend);
                matched.set(matched.get() + u32::from(!want.is_empty()));
            }
            Ok::<(), TestCaseError>(())
        });
        if let Err(e) = outcome {
            panic!("{e}");
        }
        // The generator is worth something only if lookups match rows as well as not.
        assert!(matched.get() as usize * 4 >= CASES as usize * QUERIES);
    }
);

backend_test!(
    fn date_parts_at_the_edges(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&[Event::meta()]).unwrap();
        let stored = seed(&mut conn, &edge_rows());
        let id = |i: usize| stored[i].id;
        let check = |conn: &mut Connection, path: &str, value: LookupValue, want: Vec<i64>| {
            let qs = Event::objects().filter_by(path, value).unwrap();
            assert_eq!(ids(qs.all(conn).unwrap()), want, "{path}");
        };
        // The year boundary, to the microsecond.
        check(&mut conn, "at__year", 1999.into(), vec![id(0)]);
        check(
            &mut conn,
            "at__year__gte",
            2000.into(),
            vec![id(1), id(2), id(3), id(4)],
        );
        check(&mut conn, "at__date__lt", "2000-01-01".into(), vec![id(0)]);
        check(&mut conn, "at__date", "2000-01-01".into(), vec![id(1)]);
        check(&mut conn, "day__month", 12.into(), vec![id(0)]);
        // Sunday is 1, Saturday 7 (Django's numbering), on a date and a date and time.
        check(&mut conn, "day__week_day", 1.into(), vec![id(4)]);
        check(&mut conn, "at__week_day", 7.into(), vec![id(1), id(3)]);
        // 31 December 1999 was a Friday, 29 February 2024 a Thursday.
        check(
            &mut conn,
            "day__week_day__in",
            vec![5, 6].into(),
            vec![id(0), id(2)],
        );
        // The leap day.
        check(&mut conn, "day__day", 29.into(), vec![id(2)]);
        check(
            &mut conn,
            "at__month__range",
            vec![2, 3].into(),
            vec![id(2), id(3), id(4)],
        );
        // Hours of a date and time and of a time; midnight is 0.
        check(&mut conn, "at__hour", 0.into(), vec![id(1)]);
        check(&mut conn, "clock__hour__gt", 12.into(), vec![id(0), id(4)]);
        check(&mut conn, "clock__hour__lte", 7.into(), vec![id(1), id(3)]);
        // Combined with the other by-name conditions.
        let in_2024 = orm::ByName::<Event>::lookup("at__year", 2024).unwrap();
        let sunday = orm::ByName::<Event>::lookup("day__week_day", 1).unwrap();
        let qs = Event::objects().filter(in_2024 & !sunday);
        assert_eq!(ids(qs.all(&mut conn).unwrap()), vec![id(2), id(3)]);
    }
);

backend_test!(
    fn date_parts_run_async(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&[Event::meta()]).unwrap();
        let stored = seed(&mut conn, &edge_rows());
        runtime(2).block_on(async {
            let database = Database::connect(&db.url).await.unwrap();
            let qs = Event::objects().filter_by("at__year__lt", 2024).unwrap();
            let got = ids(qs.all(&database).await.unwrap());
            assert_eq!(got, vec![stored[0].id, stored[1].id]);
            let qs = Event::objects().filter_by("day__week_day", 7).unwrap();
            assert_eq!(qs.count(&database).await.unwrap(), 2);
        });
    }
);

#[test]
fn a_part_a_field_does_not_have_is_a_named_error() {
    let unknown = |path: &str| match Event::objects().filter_by(path, 1).map(|_| ()) {
        Err(NameError::UnknownLookup { field, lookup, .. }) => (field, lookup),
        other => panic!("expected UnknownLookup for {path}, got {other:?}"),
    };
    // No hour on a date, no year or date on a time, no date of a date.
    assert_eq!(unknown("day__hour"), ("day", "hour".to_string()));
    assert_eq!(unknown("clock__year__gte"), ("clock", "year".to_string()));
    assert_eq!(unknown("clock__date"), ("clock", "date".to_string()));
    assert_eq!(unknown("day__date"), ("day", "date".to_string()));
    // No part of a number; a lookup that cannot follow a part.
    assert_eq!(unknown("id__year"), ("id", "year".to_string()));
    assert_eq!(
        unknown("at__year__isnull"),
        ("at", "year__isnull".to_string())
    );
    assert_eq!(
        unknown("at__month__contains"),
        ("at", "month__contains".to_string())
    );
    // A value that is not the part's kind.
    let invalid = |path: &str, value: LookupValue| match Event::objects()
        .filter_by(path, value)
        .map(|_| ())
    {
        Err(NameError::InvalidValue { field, .. }) => field,
        other => panic!("expected InvalidValue for {path}, got {other:?}"),
    };
    assert_eq!(invalid("at__year", "nineteen".into()), "at");
    assert_eq!(invalid("at__date__gte", "2024-13-01".into()), "at");
    assert_eq!(invalid("at__hour", orm::Null.into()), "at");
    assert_eq!(invalid("at__year__gt", orm::F("id").into()), "at");
}
