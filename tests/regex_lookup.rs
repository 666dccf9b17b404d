//! `regex` and `iregex` by name on text fields: PostgreSQL's `~` / `~*`, MariaDB's and
//! MySQL's `REGEXP` (case-sensitive under the tables' binary collation, `(?i)` to fold
//! case), and on SQLite the `regexp()` orm registers on every connection (Rust's `regex`
//! crate); the same rows on every backend, blocking and async, compared with Rust's regex
//! crate as the reference. A pattern that does not compile is a named error before any
//! SQL runs.

#[macro_use]
mod support;

use orm::prelude::*;
use orm::{Connection, Database, NameError};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

const TEXTS: &[&str] = &[
    "Café au lait",
    "CAFÉ",
    "tea\nmilk",
    "a.b",
    "abc123",
    "ABC",
    "Жар",
];

/// (lookup, pattern) pairs, each checked against the Rust reference.
const CASES: &[(&str, &str)] = &[
    ("regex", "^Caf"),
    ("iregex", "^café"),
    ("iregex", "жар"),
    ("regex", "tea.milk"),
    ("regex", r"a\.b"),
    ("regex", r"\d{3}$"),
    ("regex", "^(abc|ABC)$"),
    ("iregex", "^abc"),
    ("regex", "[[:upper:]]{3}"),
    ("regex", "k$"),
    ("iregex", "x|é"),
];

fn seed(conn: &mut Connection) -> Vec<Note> {
    conn.create_all(&all_models()).unwrap();
    TEXTS
        .iter()
        .map(|text| {
            Note::objects()
                .create(&mut *conn, NewNote::new(*text))
                .unwrap()
        })
        .collect()
}

/// The ids of `rows` whose text matches, by Rust's regex crate.
fn reference(rows: &[Note], lookup: &str, pattern: &str) -> Vec<i64> {
    let flags = if lookup == "iregex" { "(?si)" } else { "(?s)" };
    let re = regex::Regex::new(&format!("{flags}{pattern}")).unwrap();
    rows.iter()
        .filter(|n| re.is_match(&n.text))
        .map(|n| n.id)
        .collect()
}

fn ids(mut rows: Vec<Note>) -> Vec<i64> {
    rows.sort_by_key(|n| n.id);
    rows.into_iter().map(|n| n.id).collect()
}

backend_test!(
    fn regex_lookups_match_the_rust_reference(db: &TestDb) {
        let mut conn = db.connect();
        let rows = seed(&mut conn);
        for (lookup, pattern) in CASES {
            let want = reference(&rows, lookup, pattern);
            let path = format!("text__{lookup}");
            let got = ids(Note::objects()
                .filter_by(&path, *pattern)
                .unwrap()
                .all(&mut conn)
                .unwrap());
            assert_eq!(got, want, "{lookup} {pattern:?} on {}", db.backend);
            let others = Note::objects().exclude_by(&path, *pattern).unwrap();
            let got = ids(others.all(&mut conn).unwrap());
            let rest: Vec<i64> = rows
                .iter()
                .map(|n| n.id)
                .filter(|id| !want.contains(id))
                .collect();
            assert_eq!(got, rest, "exclude {lookup} {pattern:?} on {}", db.backend);
        }
        // Case-sensitive where asked: `^Caf` does not find "CAFÉ", `^café` ignoring case does.
        assert_eq!(reference(&rows, "regex", "^Caf"), vec![rows[0].id]);
        assert_eq!(
            reference(&rows, "iregex", "^café"),
            vec![rows[0].id, rows[1].id]
        );
    }
);

backend_test!(
    fn regex_runs_async(db: &TestDb) {
        let mut conn = db.connect();
        let rows = seed(&mut conn);
        runtime(2).block_on(async {
            let database = Database::connect(&db.url).await.unwrap();
            let qs = Note::objects().filter_by("text__iregex", "^abc").unwrap();
            assert_eq!(
                ids(qs.all(&database).await.unwrap()),
                vec![rows[4].id, rows[5].id]
            );
        });
    }
);

#[test]
fn a_bad_pattern_or_field_is_a_named_error_before_any_sql() {
    for pattern in ["(", "[a-", "a{2,1}", r"\p{Nope}"] {
        match Note::objects()
            .filter_by("text__regex", pattern)
            .map(|_| ())
        {
            Err(NameError::InvalidValue { field, value, .. }) => {
                assert_eq!((field, value.as_str()), ("text", pattern));
            }
            other => panic!("expected InvalidValue for {pattern:?}, got {other:?}"),
        }
    }
    match Note::objects().filter_by("id__iregex", "1").map(|_| ()) {
        Err(NameError::UnknownLookup { field, lookup, .. }) => {
            assert_eq!((field, lookup.as_str()), ("id", "iregex"));
        }
        other => panic!("expected UnknownLookup, got {other:?}"),
    }
}
