//! Reliability, item 1: property tests on every backend (RELIABILITY.md quotes the figures
//! these tests print as `figures: ...` lines; run with `--nocapture` to see them).
//!
//! - Random strings (`%`, `_`, `\`, `!`, quotes, unicode, up to 10 000 characters) through
//!   every text lookup, typed and by name, compared with a Rust-side reference filter over
//!   the same rows.
//! - Random values of every field kind through `create` then `get`: equal both ways.
//!
//! Case counts are modest so the battery stays short in CI; each run draws new cases (the
//! seed is random), and a failure prints the minimal failing case proptest shrank to.

#[macro_use]
mod support;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use orm::prelude::*;
use orm::{Backend, Connection, DateTimeUtc, Decimal, IpAddress, Json, Uuid};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::cell::Cell;
#[allow(unused_imports)]
use support::TestDb;

/// Cases per backend for the text lookup property (16 queries each).
const TEXT_CASES: u32 = 48;
/// Cases per backend for the round-trip property.
const ROUND_TRIP_CASES: u32 = 64;

/// One text column with no validator that a random string could break.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "rel_texts")]
pub struct RelText {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(text, allow_blank)]
    pub body: String,
}

/// An enum stored by name.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mood {
    Calm,
    Busy,
    QuiteExceptionallyCheerful,
}

/// Every field kind (the foreign key is an integer column; tests/persist.rs covers it),
/// with no validator a generated value could break.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "rel_kinds")]
pub struct RelKinds {
    #[orm(primary_key)]
    pub id: i64,
    pub small: i32,
    pub big: i64,
    pub ratio: f64,
    pub flag: bool,
    #[orm(max_length = 200, allow_blank)]
    pub name: String,
    #[orm(text, allow_blank)]
    pub body: String,
    #[orm(max_digits = 18, decimal_places = 6)]
    pub amount: Decimal,
    #[orm(max_digits = 4, decimal_places = 0)]
    pub whole: Decimal,
    pub day: NaiveDate,
    pub at: NaiveDateTime,
    pub clock: NaiveTime,
    pub doc: Json,
    pub token: Uuid,
    pub ip: IpAddress,
    pub mood: Mood,
    #[orm(email, max_length = 254)]
    pub mail: String,
    #[orm(url, max_length = 500)]
    pub link: String,
    pub tiny: i16,
    pub single: f32,
    pub bytes: Vec<u8>,
    pub instant: DateTimeUtc,
    pub maybe_bytes: Option<Vec<u8>>,
    pub maybe_day: Option<NaiveDate>,
    pub maybe_doc: Option<Json>,
    pub maybe_big: Option<i64>,
    #[orm(max_length = 50, allow_blank)]
    pub maybe_name: Option<String>,
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

// ---------------------------------------------------------------------------------------
// Text lookups
// ---------------------------------------------------------------------------------------

/// Letters with a one-to-one lower case that every backend's `lower()` maps the same way
/// on PostgreSQL (glibc C.UTF-8) and MariaDB (utf8mb4): checked by
/// `curated_unicode_folds_the_same_on_the_servers` below.
const CASED_UNICODE: &[char] = &['É', 'é', 'Ж', 'ж', 'Ä', 'ä', 'Ω', 'ω', 'Ł', 'ł'];
/// Characters with no case at all, and the LIKE specials.
const SPECIALS: &[char] = &[
    '%', '_', '\\', '!', '\'', '"', ' ', '`', ';', '-', '[', ']', '^', '*', '?', '\t', '\n', 'ß',
    '日', '本', '🦀', '€', '\u{301}',
];

/// A character for the text property: mostly ASCII letters (both cases, so the `i` lookups
/// have something to fold), LIKE specials, a few cased unicode letters, and any other
/// Unicode scalar value that has no case mapping (whose lower case is itself on every
/// backend). NUL is left out: PostgreSQL's text cannot hold it.
fn text_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::char::range('a', 'e'),
        6 => prop::char::range('A', 'E'),
        4 => prop::sample::select(SPECIALS),
        2 => prop::sample::select(CASED_UNICODE),
        2 => any::<char>().prop_filter("caseless, not NUL", |c| {
            *c != '\0' && c.to_lowercase().eq([*c]) && c.to_uppercase().eq([*c])
        }),
    ]
}

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(text_char(), 0..=max).prop_map(|v| v.into_iter().collect())
}

/// A row's text: mostly short, sometimes 9 000 to 10 000 characters.
fn row_text() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => text(40),
        1 => prop::collection::vec(text_char(), 9_000..=10_000)
            .prop_map(|v| v.into_iter().collect::<String>()),
    ]
}

/// How the needle is made from the rows, so lookups match some rows and not others.
#[derive(Debug, Clone)]
enum Needle {
    Random(String),
    /// Characters `start..end` (modulo the length) of row `row` (modulo the row count).
    Slice {
        row: usize,
        start: usize,
        len: usize,
        swap_case: bool,
        /// Replaces the character at this position (modulo the length) with a LIKE
        /// special, so a pattern that let it act as a wildcard would match the row it was
        /// cut from.
        wild: Option<(usize, char)>,
    },
}

#[derive(Debug, Clone)]
struct TextCase {
    rows: Vec<String>,
    needle: Needle,
}

fn text_case() -> impl Strategy<Value = TextCase> {
    let needle = prop_oneof![
        1 => text(6).prop_map(Needle::Random),
        3 => (
            any::<usize>(),
            any::<usize>(),
            0usize..12,
            any::<bool>(),
            prop::option::weighted(0.4, (any::<usize>(), prop::sample::select(&['%', '_', '!', '\\'][..]))),
        )
            .prop_map(|(row, start, len, swap_case, wild)| Needle::Slice {
                row,
                start,
                len,
                swap_case,
                wild,
            }),
    ];
    (prop::collection::vec(row_text(), 1..6), needle)
        .prop_map(|(rows, needle)| TextCase { rows, needle })
}

fn swap_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_lowercase() {
                c.to_uppercase().next().unwrap_or(c)
            } else {
                c.to_lowercase().next().unwrap_or(c)
            }
        })
        .collect()
}

impl TextCase {
    fn needle(&self) -> String {
        match &self.needle {
            Needle::Random(s) => s.clone(),
            Needle::Slice {
                row,
                start,
                len,
                swap_case: swap,
                wild,
            } => {
                let chars: Vec<char> = self.rows[row % self.rows.len()].chars().collect();
                let start = if chars.is_empty() {
                    0
                } else {
                    start % (chars.len() + 1)
                };
                let end = (start + len).min(chars.len());
                let mut slice: Vec<char> = chars[start..end].to_vec();
                if let (Some((at, special)), false) = (wild, slice.is_empty()) {
                    let at = at % slice.len();
                    slice[at] = *special;
                }
                let s: String = slice.into_iter().collect();
                if *swap {
                    swap_case(&s)
                } else {
                    s
                }
            }
        }
    }
}

const TEXT_LOOKUPS: [&str; 8] = [
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
];

/// `lower()` as every backend does it: Unicode simple case mapping (on SQLite through the
/// `lower()` orm registers on each connection). The generator only produces characters
/// whose mapping is one character and the same on every server (caseless ones, ASCII,
/// [`CASED_UNICODE`]), so one Rust reference serves the three backends.
fn fold(_backend: Backend, s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        })
        .collect()
}

/// What `lookup` should match, computed in Rust.
fn reference(backend: Backend, lookup: &str, rows: &[(i64, String)], needle: &str) -> Vec<i64> {
    let folded_needle = fold(backend, needle);
    let mut ids: Vec<i64> = rows
        .iter()
        .filter(|(_, body)| {
            let folded = fold(backend, body);
            match lookup {
                "exact" => body == needle,
                "iexact" => folded == folded_needle,
                "contains" => body.contains(needle),
                "icontains" => folded.contains(&folded_needle),
                "startswith" => body.starts_with(needle),
                "istartswith" => folded.starts_with(&folded_needle),
                "endswith" => body.ends_with(needle),
                "iendswith" => folded.ends_with(&folded_needle),
                other => unreachable!("{other}"),
            }
        })
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    ids
}

fn ids(rows: orm::Result<Vec<RelText>>) -> Vec<i64> {
    let mut ids: Vec<i64> = rows.unwrap().into_iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids
}

/// The lookup on the typed path.
fn typed(conn: &mut Connection, lookup: &str, needle: &str) -> Vec<i64> {
    let q = RelText::objects;
    let body = rel_texts::body;
    ids(match lookup {
        "exact" => q().filter(body.exact(needle.to_owned())).all(conn),
        "iexact" => q().filter(body.iexact(needle)).all(conn),
        "contains" => q().filter(body.contains(needle)).all(conn),
        "icontains" => q().filter(body.icontains(needle)).all(conn),
        "startswith" => q().filter(body.startswith(needle)).all(conn),
        "istartswith" => q().filter(body.istartswith(needle)).all(conn),
        "endswith" => q().filter(body.endswith(needle)).all(conn),
        "iendswith" => q().filter(body.iendswith(needle)).all(conn),
        other => unreachable!("{other}"),
    })
}

/// The lookup by name (`filter_by("body__<lookup>", needle)`).
fn by_name(conn: &mut Connection, lookup: &str, needle: &str) -> Vec<i64> {
    ids(RelText::objects()
        .filter_by(&format!("body__{lookup}"), needle)
        .unwrap()
        .all(conn))
}

backend_test!(
    fn text_lookups_match_a_rust_reference(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&[RelText::meta()]).unwrap();
        let conn = std::cell::RefCell::new(conn);
        let (cases, queries, long_rows, matched) = (
            Cell::new(0u32),
            Cell::new(0u32),
            Cell::new(0u32),
            Cell::new(0u32),
        );
        let outcome = runner(TEXT_CASES).run(&text_case(), |case| {
            let mut conn = conn.borrow_mut();
            cases.set(cases.get() + 1);
            RelText::objects().delete(&mut *conn).unwrap();
            let forms = case
                .rows
                .iter()
                .map(|s| NewRelText {
                    body: Some(s.clone()),
                })
                .collect();
            let stored = RelText::objects().bulk_create(&mut *conn, forms).unwrap();
            let rows: Vec<(i64, String)> = stored.into_iter().map(|r| (r.id, r.body)).collect();
            for (row, (_, body)) in case.rows.iter().zip(&rows) {
                prop_assert_eq!(row, body, "stored text differs");
            }
            long_rows.set(
                long_rows.get()
                    + case
                        .rows
                        .iter()
                        .filter(|r| r.chars().count() > 1000)
                        .count() as u32,
            );
            let needle = case.needle();
            for lookup in TEXT_LOOKUPS {
                let want = reference(db.backend, lookup, &rows, &needle);
                let got = typed(&mut conn, lookup, &needle);
                prop_assert_eq!(
                    &got,
                    &want,
                    "typed {} {:?} on {}",
                    lookup,
                    needle,
                    db.backend
                );
                let got = by_name(&mut conn, lookup, &needle);
                prop_assert_eq!(
                    &got,
                    &want,
                    "by name {} {:?} on {}",
                    lookup,
                    needle,
                    db.backend
                );
                queries.set(queries.get() + 2);
                matched.set(matched.get() + u32::from(!want.is_empty()));
            }
            Ok::<(), TestCaseError>(())
        });
        figures!(
            "text_lookups backend={} cases={} queries={} lookups_with_matches={} \
             rows_over_1000_chars={} failures={}",
            db.backend,
            cases.get(),
            queries.get(),
            matched.get(),
            long_rows.get(),
            u32::from(outcome.is_err()),
        );
        if let Err(e) = outcome {
            panic!("{e}");
        }
        assert!(cases.get() >= TEXT_CASES);
        // The generator is worth something only if lookups match rows as well as not.
        assert!(matched.get() * 2 >= cases.get(), "too few matching lookups");
    }
);

backend_test!(
    fn curated_unicode_folds_the_same_on_the_servers(db: &TestDb) {
        // The assumption the reference makes for PostgreSQL and MariaDB, checked on the
        // server: lower() maps each cased letter of the generator as Rust does; SQLite's
        // lower() leaves them alone (ASCII only).
        let mut conn = db.connect();
        conn.create_all(&[RelText::meta()]).unwrap();
        for c in CASED_UNICODE
            .iter()
            .chain(SPECIALS)
            .chain(['A', 'z'].iter())
        {
            let row = RelText::objects()
                .create(
                    &mut conn,
                    NewRelText {
                        body: Some(c.to_string()),
                    },
                )
                .unwrap();
            let want = fold(db.backend, &c.to_string());
            let lower = fold(db.backend, &swap_case(&c.to_string()));
            let got = typed(&mut conn, "iexact", &swap_case(&c.to_string()));
            let expected: Vec<i64> = if want == lower { vec![row.id] } else { vec![] };
            assert_eq!(got, expected, "{c:?} on {}", db.backend);
            RelText::objects().delete(&mut conn).unwrap();
        }
    }
);

// ---------------------------------------------------------------------------------------
// Round trips of every field kind
// ---------------------------------------------------------------------------------------

fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        any::<char>().prop_filter("not NUL", |c| *c != '\0'),
        0..=max,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any_text(12).prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(any_text(8), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn date() -> impl Strategy<Value = NaiveDate> {
    // MySQL's DATE range is 1000-01-01 to 9999-12-31; the others hold more.
    (1000i32..=9999, 1u32..=366).prop_map(|(y, d)| {
        NaiveDate::from_yo_opt(y, d).unwrap_or_else(|| NaiveDate::from_yo_opt(y, 365).unwrap())
    })
}

fn time() -> impl Strategy<Value = NaiveTime> {
    // Microseconds: the precision of PostgreSQL's TIME and MySQL's TIME(6).
    (0u32..86_400, 0u32..1_000_000)
        .prop_map(|(s, us)| NaiveTime::from_num_seconds_from_midnight_opt(s, us * 1_000).unwrap())
}

fn decimal(max_digits: u32, places: i64) -> impl Strategy<Value = Decimal> {
    let limit = 10i64.pow(max_digits) - 1;
    (-limit..=limit).prop_map(move |m| Decimal(bigdecimal::BigDecimal::new(m.into(), places)))
}

fn ip_address() -> impl Strategy<Value = IpAddress> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|o| IpAddress(std::net::IpAddr::from(o))),
        any::<[u16; 8]>().prop_map(|s| IpAddress(std::net::IpAddr::from(s))),
    ]
}

fn finite_f32() -> impl Strategy<Value = f32> {
    prop::num::f32::NORMAL | prop::num::f32::SUBNORMAL | prop::num::f32::ZERO
}

/// Any bytes, NUL and invalid UTF-8 included.
fn byte_string() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => prop::collection::vec(any::<u8>(), 0..64),
        1 => prop::collection::vec(any::<u8>(), 60_000..70_000),
    ]
}

fn finite_f64() -> impl Strategy<Value = f64> {
    // NaN and infinities are refused by the `finite` validator (MySQL cannot store them).
    prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,12}"
}

/// The most significant digits of the 18-digit decimal the backend stores exactly: SQLite
/// keeps 15 (its NUMERIC columns hold 8-byte floats) and orm refuses longer values there,
/// see `sqlite_refuses_decimals_it_would_round`.
fn amount_digits(backend: Backend) -> u32 {
    match backend {
        Backend::Sqlite => 15,
        _ => 18,
    }
}

fn kinds_form(backend: Backend) -> impl Strategy<Value = NewRelKinds> {
    let numbers = (
        any::<i32>(),
        any::<i64>(),
        finite_f64(),
        any::<bool>(),
        decimal(amount_digits(backend), 6),
        decimal(4, 0),
    );
    let texts = (any_text(200), any_text(2_000), label(), label(), label());
    let times = (date(), date(), time(), time());
    let others = (
        json(),
        any::<u128>(),
        ip_address(),
        prop::sample::select(vec![
            Mood::Calm,
            Mood::Busy,
            Mood::QuiteExceptionallyCheerful,
        ]),
    );
    let nullable = (
        prop::option::of(date()),
        prop::option::of(json()),
        prop::option::of(any::<i64>()),
        prop::option::of(any_text(50)),
    );
    // Instants: MySQL's DATETIME range (years 1000 to 9999), microseconds.
    let added = (
        any::<i16>(),
        finite_f32(),
        byte_string(),
        (date(), time()),
        prop::option::of(byte_string()),
    );
    (numbers, texts, times, others, nullable, added).prop_map(
        |(
            (small, big, ratio, flag, amount, whole),
            (name, body, user, host, path),
            (day, at_day, at_time, clock),
            (doc, token, ip, mood),
            (maybe_day, maybe_doc, maybe_big, maybe_name),
            (tiny, single, bytes, (instant_day, instant_time), maybe_bytes),
        )| {
            let mut form = NewRelKinds::new(
                small,
                big,
                ratio,
                flag,
                amount,
                whole,
                day,
                at_day.and_time(at_time),
                clock,
                Json(doc),
                Uuid(uuid::Uuid::from_u128(token)),
                ip,
                mood,
                format!("{user}@{host}.example.com"),
                format!("https://{host}.example.org/{path}?q={user}"),
                tiny,
                single,
                bytes,
                DateTimeUtc(instant_day.and_time(instant_time).and_utc()),
            );
            form.maybe_bytes = maybe_bytes;
            // `allow_blank` text fields default to "" (as in encode/orm), so they are
            // optional in the form; given here.
            form.name = Some(name);
            form.body = Some(body);
            form.maybe_day = maybe_day;
            form.maybe_doc = maybe_doc.map(Json);
            form.maybe_big = maybe_big;
            form.maybe_name = maybe_name;
            form
        },
    )
}

/// The row `form` should store.
fn expected(form: &NewRelKinds, id: i64) -> RelKinds {
    RelKinds {
        id,
        small: form.small,
        big: form.big,
        ratio: form.ratio,
        flag: form.flag,
        name: form.name.clone().unwrap_or_default(),
        body: form.body.clone().unwrap_or_default(),
        amount: form.amount.clone(),
        whole: form.whole.clone(),
        day: form.day,
        at: form.at,
        clock: form.clock,
        doc: form.doc.clone(),
        token: form.token,
        ip: form.ip,
        mood: form.mood,
        mail: form.mail.clone(),
        link: form.link.clone(),
        tiny: form.tiny,
        single: form.single,
        bytes: form.bytes.clone(),
        instant: form.instant,
        maybe_bytes: form.maybe_bytes.clone(),
        maybe_day: form.maybe_day,
        maybe_doc: form.maybe_doc.clone(),
        maybe_big: form.maybe_big,
        maybe_name: form.maybe_name.clone(),
    }
}

backend_test!(
    fn every_field_kind_round_trips(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&[RelKinds::meta()]).unwrap();
        let conn = std::cell::RefCell::new(conn);
        let cases = Cell::new(0u32);
        let outcome = runner(ROUND_TRIP_CASES).run(&kinds_form(db.backend), |form| {
            let mut conn = conn.borrow_mut();
            cases.set(cases.get() + 1);
            let created = RelKinds::objects()
                .create(&mut *conn, form.clone())
                .map_err(|e| TestCaseError::fail(format!("create: {e}")))?;
            prop_assert_eq!(&created, &expected(&form, created.id), "create returned");
            let got = RelKinds::objects()
                .get(&mut *conn, rel_kinds::id.eq(created.id))
                .map_err(|e| TestCaseError::fail(format!("get: {e}")))?;
            prop_assert_eq!(&got, &created, "get after create on {}", db.backend);
            Ok(())
        });
        figures!(
            "round_trip backend={} cases={} failures={}",
            db.backend,
            cases.get(),
            u32::from(outcome.is_err()),
        );
        if let Err(e) = outcome {
            panic!("{e}");
        }
        assert!(cases.get() >= ROUND_TRIP_CASES);
    }
);

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_refuses_decimals_it_would_round() {
    // SQLite's NUMERIC affinity turns the bound text into an 8-byte float: 16 or more
    // significant digits would read back rounded, so orm refuses them when binding.
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut conn = db.connect();
    conn.create_all(&[RelKinds::meta()]).unwrap();
    let mut runner = runner(1);
    let mut form = kinds_form(Backend::Sqlite)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    let mut refused = 0;
    for text in [
        "-33932015852.352456",
        "999999999999.999999",
        "123456789012.3456",
    ] {
        form.amount = text.parse().unwrap();
        let err = RelKinds::objects()
            .create(&mut conn, form.clone())
            .unwrap_err();
        assert!(err.to_string().contains("significant digits"), "{err}");
        refused += 1;
    }
    let written = support::count_rows(&mut conn, "rel_kinds");
    assert_eq!(written, 0);
    // 15 digits, and longer values whose trailing zeros are not significant, are kept.
    let mut kept = 0;
    for text in [
        "-999999999.999999",
        "123456789012.345",
        "100000000000.000000",
    ] {
        form.amount = text.parse().unwrap();
        let row = RelKinds::objects().create(&mut conn, form.clone()).unwrap();
        let got = RelKinds::objects()
            .get(&mut conn, rel_kinds::id.eq(row.id))
            .unwrap();
        assert_eq!(got.amount, form.amount, "{text}");
        kept += 1;
    }
    figures!(
        "sqlite_decimal_refusal refused={refused} rows_written_by_refused={written} kept={kept}"
    );
    assert_eq!((refused, kept), (3, 3));
}
