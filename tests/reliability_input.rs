//! Reliability, items 2 and 3, on every backend:
//!
//! - Injection: values written as SQL go through every write and lookup (typed, by name,
//!   search, raw) as bound values and match literally; field paths and orderings written
//!   as SQL are refused with a `NameError`; afterwards every table has the rows it should.
//! - Bad input: for every field kind of `Kitchen` (src/models.rs), values breaking each of
//!   its validators are refused with the field and the validator named, on create,
//!   bulk_create and update; constraint violations come back typed with the constraint
//!   named; by-name values that do not convert name the field; nothing is written.
//!
//! Each test prints a `figures: ...` line that RELIABILITY.md quotes.

#[macro_use]
mod support;
mod persist_support;

use diesel::sql_types::{BigInt, Text};
use orm::prelude::*;
use orm::{Connection, Error, NameError};
use orm_suite::models::*;
use persist_support::*;
use support::count_rows;
#[allow(unused_imports)]
use support::TestDb;

/// Values written as SQL (each at most 100 characters: `Note::text`'s max_length).
const PAYLOADS: &[&str] = &[
    "'; DROP TABLE notes; --",
    "' OR '1'='1",
    "\" OR \"\"=\"",
    "name) OR 1=1 --",
    "x') OR ('1'='1",
    "1; DELETE FROM notes",
    "%' OR 1=1 --",
    "\\'; DROP TABLE notes; --",
    "'); DROP TABLE kitchen; --",
    "`notes`; DROP TABLE `notes`; --",
    "$1 ? ?? :name @p1 %s",
    "/**/UNION/**/SELECT 1, 'x', 1 --",
    "' || (SELECT 'x') || '",
    "\\",
    "%",
    "_",
    "!",
    "'",
    "' ; COMMIT; DROP TABLE albums; --",
    "1' AND SLEEP(5) --",
    "'; SELECT pg_sleep(5); --",
];

/// Field paths written as SQL.
const PATHS: &[&str] = &[
    "text) OR 1=1 --",
    "text = 'x' OR 1=1",
    "id; DROP TABLE notes",
    "text__contains) OR (1=1",
    "text__exact; --",
    "notes.text",
    "\"text\"",
    "`text`",
    "text--",
    "1=1",
    "",
    "__",
    "text__",
    "text__contains__x",
    "pk) OR (1",
    "text__icontains' OR '1'='1",
    "(SELECT text FROM notes)",
    "id__in); DROP TABLE notes; --",
];

/// Orderings written as SQL.
const ORDERINGS: &[&str] = &[
    "id; DROP TABLE notes",
    "-text DESC",
    "text, (SELECT 1)",
    "1",
    "-",
    "--id",
    "text ASC",
    "RAND()",
    "id) --",
];

#[derive(diesel::QueryableByName, Debug)]
struct RawNote {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    text: String,
}

fn sorted_ids(notes: Vec<Note>) -> Vec<i64> {
    let mut ids: Vec<i64> = notes.into_iter().map(|n| n.id).collect();
    ids.sort_unstable();
    ids
}

/// The ids of `notes` whose text passes `keep`.
fn reference(notes: &[Note], keep: impl Fn(&str) -> bool) -> Vec<i64> {
    let mut ids: Vec<i64> = notes
        .iter()
        .filter(|n| keep(&n.text))
        .map(|n| n.id)
        .collect();
    ids.sort_unstable();
    ids
}

fn table_counts(conn: &mut Connection) -> Vec<(&'static str, i64)> {
    ["notes", "albums", "tracks", "kitchen", "persist_tags"]
        .into_iter()
        .map(|t| (t, count_rows(conn, t)))
        .collect()
}

backend_test!(
    fn sql_in_values_is_bound_and_sql_in_names_is_refused(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&models()).unwrap();
        let album = Album::objects()
            .create(&mut conn, NewAlbum::new("kept"))
            .unwrap();
        Track::objects()
            .create(&mut conn, NewTrack::new(album.id, "kept", 1))
            .unwrap();
        for text in ["plain", "Name", "1", "x"] {
            Note::objects()
                .create(&mut conn, NewNote::new(text))
                .unwrap();
        }
        let mut checks = 0usize;
        let mut payloads = 0usize;

        // Every payload stored as a value comes back as written.
        for payload in PAYLOADS {
            payloads += 1;
            let note = Note::objects()
                .create(&mut conn, NewNote::new(*payload))
                .unwrap();
            assert_eq!(note.text, *payload);
            checks += 1;
        }
        let stored = Note::objects().all(&mut conn).unwrap();
        assert_eq!(stored.len(), 4 + PAYLOADS.len());

        for payload in PAYLOADS {
            let q = Note::objects;
            let lower = payload.to_lowercase();
            let fold = |s: &str| s.to_lowercase();
            let cases: Vec<(&str, Vec<i64>)> = vec![
                ("text", reference(&stored, |t| t == *payload)),
                ("text__exact", reference(&stored, |t| t == *payload)),
                ("text__iexact", reference(&stored, |t| fold(t) == lower)),
                (
                    "text__contains",
                    reference(&stored, |t| t.contains(payload)),
                ),
                (
                    "text__icontains",
                    reference(&stored, |t| fold(t).contains(&lower)),
                ),
                (
                    "text__startswith",
                    reference(&stored, |t| t.starts_with(payload)),
                ),
                (
                    "text__endswith",
                    reference(&stored, |t| t.ends_with(payload)),
                ),
            ];
            for (path, want) in &cases {
                let got = sorted_ids(
                    q().filter_by(path, payload)
                        .unwrap()
                        .all(&mut conn)
                        .unwrap(),
                );
                assert_eq!(&got, want, "{path} {payload:?} on {}", db.backend);
                let excluded = q()
                    .exclude_by(path, payload)
                    .unwrap()
                    .count(&mut conn)
                    .unwrap();
                assert_eq!(
                    excluded as usize,
                    stored.len() - want.len(),
                    "exclude {path} {payload:?}"
                );
                checks += 2;
            }
            // Typed, search and raw SQL with a bound value.
            let exact = reference(&stored, |t| t == *payload);
            let got = sorted_ids(q().filter(notes::text.eq(*payload)).all(&mut conn).unwrap());
            assert_eq!(got, exact);
            let got = sorted_ids(
                q().filter(notes::text.contains(payload))
                    .all(&mut conn)
                    .unwrap(),
            );
            assert_eq!(got, reference(&stored, |t| t.contains(payload)));
            let got = sorted_ids(q().search(payload).all(&mut conn).unwrap());
            assert_eq!(
                got,
                reference(&stored, |t| fold(t).contains(&lower)),
                "search {payload:?}"
            );
            let raw: Vec<RawNote> = conn
                .raw("SELECT id, text FROM notes WHERE text = ?")
                .bind::<Text, _>(*payload)
                .load()
                .unwrap();
            assert_eq!(raw.iter().map(|r| r.id).collect::<Vec<_>>(), exact);
            assert!(raw.iter().all(|r| r.text == *payload));
            let (row, created) = Note::objects()
                .get_or_create(&mut conn, notes::text.eq(*payload), NewNote::new(*payload))
                .unwrap();
            assert!(!created);
            assert_eq!(row.text, *payload);
            checks += 5;
            // A payload given to a non-text field does not convert: refused, field named.
            for path in ["id", "pk__in", "completed", "id__gte"] {
                match q().filter_by(path, payload) {
                    Err(NameError::InvalidValue { field, .. }) => {
                        assert!(field == "id" || field == "completed", "{field}");
                    }
                    Err(other) => panic!("{path} {payload:?}: {other}"),
                    // "1" is a valid id; the query then binds it.
                    Ok(q) if payload.trim().parse::<i64>().is_ok() => {
                        q.all(&mut conn).unwrap();
                    }
                    Ok(_) => panic!("{path} accepted {payload:?}"),
                }
                checks += 1;
            }
        }

        // Names written as SQL never reach SQL.
        let mut refused = 0usize;
        let (mut paths, mut orderings) = (0usize, 0usize);
        for path in PATHS {
            paths += 1;
            for value in ["x", "1"] {
                assert!(Note::objects().filter_by(path, value).is_err(), "{path:?}");
                assert!(Note::objects().exclude_by(path, value).is_err(), "{path:?}");
                refused += 2;
            }
            assert!(
                Track::objects().filter_by(path, "1").is_err(),
                "{path:?} on tracks"
            );
            refused += 1;
        }
        for ordering in ORDERINGS {
            orderings += 1;
            assert!(
                Note::objects().order_by_names(&[ordering]).is_err(),
                "{ordering:?}"
            );
            assert!(
                Note::objects().order_by_names(&["id", ordering]).is_err(),
                "{ordering:?}"
            );
            refused += 2;
        }

        // An update writing a payload, then everything still there.
        let mut first = stored[0].clone();
        first
            .update(
                &mut conn,
                NoteChanges {
                    text: Some(PAYLOADS[0].to_owned()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(first.text, PAYLOADS[0]);
        let counts = table_counts(&mut conn);
        let want = [
            ("notes", (4 + PAYLOADS.len()) as i64),
            ("albums", 1),
            ("tracks", 1),
            ("kitchen", 0),
            ("persist_tags", 0),
        ];
        let intact = counts.iter().zip(&want).filter(|(c, w)| c == w).count();
        figures!(
            "injection backend={} payloads={payloads} bound_checks={checks} paths={paths} \
             orderings={orderings} refused={refused} tables_intact={intact}/{}",
            db.backend,
            counts.len(),
        );
        assert_eq!(counts, want);
        assert_eq!(payloads, PAYLOADS.len());
    }
);

// ---------------------------------------------------------------------------------------
// Bad input per field kind
// ---------------------------------------------------------------------------------------

type Breaker = (&'static str, &'static str, fn(&mut NewKitchen));

/// (field, a form violating its constraint, the error's class).
type ConstraintCase = (&'static str, NewKitchen, fn(&Error) -> bool);

/// (field, validator code, how to break it) for every validator of every field of Kitchen.
fn breakers() -> Vec<Breaker> {
    vec![
        ("quantity", "minimum", |f| f.quantity = -1),
        ("quantity", "maximum", |f| f.quantity = 1001),
        ("rating", "minimum", |f| f.rating = Some(-0.5)),
        ("rating", "maximum", |f| f.rating = Some(5.01)),
        ("rating", "finite", |f| f.rating = Some(f64::NAN)),
        ("rating", "finite", |f| f.rating = Some(f64::INFINITY)),
        ("slug", "min_length", |f| f.slug = "a".into()),
        ("slug", "max_length", |f| f.slug = "a".repeat(41)),
        ("slug", "pattern", |f| f.slug = "Bad slug".into()),
        ("slug", "pattern", |f| f.slug = "1abc".into()),
        ("slug", "pattern", |f| {
            f.slug = "ab'; DROP TABLE kitchen; --".into()
        }),
        ("slug", "blank", |f| f.slug = String::new()),
        ("size", "choices", |f| f.size = "huge".into()),
        ("size", "choices", |f| f.size = "Small".into()),
        ("size", "max_length", |f| f.size = "x".repeat(11)),
        ("size", "blank", |f| f.size = String::new()),
        ("price", "minimum", |f| f.price = "-0.01".parse().unwrap()),
        ("price", "decimal_places", |f| {
            f.price = "1.234".parse().unwrap()
        }),
        ("price", "max_digits", |f| {
            f.price = "1234567.00".parse().unwrap()
        }),
        ("email", "email", |f| f.email = "not an email".into()),
        ("email", "email", |f| f.email = "a@".into()),
        ("email", "email", |f| f.email = "@example.com".into()),
        ("email", "blank", |f| f.email = String::new()),
        ("homepage", "url", |f| {
            f.homepage = Some("ftp://example.com".into())
        }),
        ("homepage", "url", |f| f.homepage = Some("not a url".into())),
        ("homepage", "url", |f| {
            f.homepage = Some("javascript:alert(1)".into())
        }),
        ("homepage", "max_length", |f| {
            f.homepage = Some(format!("https://example.com/{}", "a".repeat(500)));
        }),
        ("homepage", "blank", |f| f.homepage = Some(String::new())),
        ("shelf", "minimum", |f| f.shelf = Some(-1)),
        ("shelf", "maximum", |f| f.shelf = Some(101)),
        ("spice", "minimum", |f| f.spice = Some(-0.1)),
        ("spice", "maximum", |f| f.spice = Some(1.01)),
        ("spice", "finite", |f| f.spice = Some(f32::NAN)),
        ("spice", "finite", |f| f.spice = Some(f32::NEG_INFINITY)),
        ("thumbnail", "max_length", |f| {
            f.thumbnail = Some(vec![0; 65])
        }),
    ]
}

fn expect_invalid(err: Error, field: &str, code: &str) {
    let Error::Validation(invalid) = err else {
        panic!("{field}/{code}: expected a validation error, got {err:?}");
    };
    let codes = invalid.codes(field);
    assert!(
        codes.contains(&code),
        "{field}: {codes:?} lacks {code}: {invalid}"
    );
    // Only the broken field is named.
    assert!(
        invalid.errors().iter().all(|e| e.field == field),
        "{field}/{code}: {invalid}"
    );
}

backend_test!(
    fn every_validator_of_every_field_refuses_and_writes_nothing(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&models()).unwrap();
        let note = Note::objects()
            .create(&mut conn, NewNote::new("n"))
            .unwrap();
        let valid = || kitchen_form(note.id, "pan", "cook@example.com");
        let mut refused = 0usize;
        let (mut cases, mut invalid_rows) = (0usize, 0i64);

        // The valid form is refused for nothing: what follows fails for its own reason.
        valid().validate().unwrap();
        for (field, code, breaks) in breakers() {
            cases += 1;
            let mut form = valid();
            breaks(&mut form);
            let err = form.validate().unwrap_err();
            expect_invalid(Error::Validation(err), field, code);
            // create
            let err = Kitchen::objects()
                .create(&mut conn, form.clone())
                .unwrap_err();
            expect_invalid(err, field, code);
            // bulk_create: one bad row among good ones
            let forms = vec![
                kitchen_form(note.id, "ok-1", "a1@example.com"),
                form.clone(),
                kitchen_form(note.id, "ok-2", "a2@example.com"),
            ];
            let err = Kitchen::objects()
                .bulk_create(&mut conn, forms)
                .unwrap_err();
            let Error::Validation(invalid) = err else {
                panic!("{field}: {err:?}");
            };
            assert!(invalid.codes(field).contains(&code), "{invalid}");
            assert!(
                invalid.errors()[0].message.starts_with("row 1: "),
                "{invalid}"
            );
            refused += 3;
            let written = count_rows(&mut conn, "kitchen");
            invalid_rows += written;
            assert_eq!(written, 0, "{field}/{code}");
        }

        // Updates: a stored row, then every breaker as a change set.
        let stored = Kitchen::objects().create(&mut conn, valid()).unwrap();
        for (field, code, breaks) in breakers() {
            let mut form = valid();
            breaks(&mut form);
            let changes = KitchenChanges {
                quantity: Some(form.quantity),
                rating: form.rating,
                slug: Some(form.slug.clone()),
                size: Some(form.size.clone()),
                price: Some(form.price.clone()),
                email: Some(form.email.clone()),
                homepage: Some(form.homepage.clone()),
                shelf: form.shelf,
                spice: form.spice,
                thumbnail: Some(form.thumbnail.clone()),
                ..Default::default()
            };
            let mut row = stored.clone();
            let err = row.update(&mut conn, changes).unwrap_err();
            expect_invalid(err, field, code);
            assert_eq!(row, stored, "{field}: the instance changed");
            refused += 1;
        }
        let reread = Kitchen::objects()
            .get(&mut conn, kitchen::id.eq(stored.id))
            .unwrap();
        assert_eq!(reread, stored);

        // Every field broken at once: every one named.
        let mut form = valid();
        for (_, _, breaks) in breakers().iter().filter(|(_, c, _)| {
            *c == "maximum"
                || *c == "url"
                || *c == "email"
                || *c == "pattern"
                || *c == "decimal_places"
        }) {
            breaks(&mut form);
        }
        let Error::Validation(invalid) = Kitchen::objects().create(&mut conn, form).unwrap_err()
        else {
            panic!("expected a validation error");
        };
        for field in [
            "quantity", "rating", "slug", "price", "email", "homepage", "shelf", "spice",
        ] {
            assert!(
                !invalid.codes(field).is_empty(),
                "{field} not named: {invalid}"
            );
        }
        refused += 1;

        // Constraints the database checks: typed errors naming the constraint.
        let constraint_cases: Vec<ConstraintCase> = vec![
            (
                "slug",
                kitchen_form(note.id, "pan", "other@example.com"),
                Error::is_unique_violation,
            ),
            (
                "email",
                kitchen_form(note.id, "other", "cook@example.com"),
                Error::is_unique_violation,
            ),
            (
                "token",
                NewKitchen {
                    token: stored.token,
                    ..kitchen_form(note.id, "third", "third@example.com")
                },
                Error::is_unique_violation,
            ),
            (
                "note",
                kitchen_form(note.id + 1000, "fourth", "fourth@example.com"),
                Error::is_foreign_key_violation,
            ),
        ];
        let mut constraints = 0usize;
        for (field, form, is) in constraint_cases {
            let err = Kitchen::objects().create(&mut conn, form).unwrap_err();
            assert!(is(&err), "{field}: {err:?}");
            constraints += 1;
            if db.backend == orm::Backend::Sqlite && field == "note" {
                // SQLite's "FOREIGN KEY constraint failed" names nothing to report.
                continue;
            }
            let info = err.constraint().expect("the constraint is described");
            let named = [info.constraint.as_deref(), info.column()]
                .iter()
                .any(|n| n.is_some_and(|n| n.contains(field)))
                || info.message.contains(field);
            assert!(named, "{field} not named: {info:?}");
        }
        // The restricted note cannot go while a kitchen row refers to it.
        let err = Note::objects()
            .filter(notes::id.eq(note.id))
            .delete(&mut conn)
            .unwrap_err();
        assert!(err.is_foreign_key_violation(), "{err:?}");
        constraints += 1;
        // The one valid row stored for the updates, nothing else.
        let kitchen_rows = count_rows(&mut conn, "kitchen");
        invalid_rows += kitchen_rows - 1;
        assert_eq!(kitchen_rows, 1);
        assert_eq!(count_rows(&mut conn, "notes"), 1);

        // By-name values that do not convert to the field's kind name the field.
        let not_converting = [
            ("quantity", "1.5"),
            ("big", "99999999999999999999"),
            ("rating", "fast"),
            ("active", "maybe"),
            ("price", "12,50"),
            ("due", "2024-13-45"),
            ("created_at", "yesterday"),
            ("opens", "25:61"),
            ("token", "not-a-uuid"),
            ("status", "Bogus"),
            ("ip", "999.1.1.1"),
            ("note", "one"),
        ];
        let mut by_name = 0usize;
        for (field, value) in not_converting {
            match Kitchen::objects().filter_by(field, value) {
                Err(NameError::InvalidValue { field: named, .. }) => assert_eq!(named, field),
                Err(other) => panic!("{field}={value:?}: {other}"),
                Ok(_) => panic!("{field}={value:?} accepted"),
            }
            by_name += 1;
        }
        figures!(
            "bad_input backend={} validator_cases={cases} refusals={refused} \
             constraint_cases={constraints} by_name_values={by_name} \
             invalid_rows_written={invalid_rows}",
            db.backend,
        );
        assert_eq!(cases, breakers().len());
        assert_eq!(invalid_rows, 0);
    }
);

backend_test!(
    fn a_boolean_column_holds_only_true_and_false(db: &TestDb) {
        // MySQL's BOOL is TINYINT(1): a stored 2 would read as true but fail
        // `WHERE flag = TRUE`. orm's DDL adds a CHECK there and on SQLite; PostgreSQL's
        // boolean refuses an integer by type.
        let mut conn = db.connect();
        conn.create_all(&models()).unwrap();
        let note = Note::objects()
            .create(&mut conn, NewNote::new("n"))
            .unwrap();
        let err = conn
            .raw("UPDATE notes SET completed = 2 WHERE id = ?")
            .bind::<BigInt, _>(note.id)
            .execute()
            .unwrap_err();
        let refused = usize::from(match db.backend {
            orm::Backend::Postgres => matches!(err, Error::Database { .. }),
            _ => matches!(err, Error::CheckViolation(_)),
        });
        assert_eq!(refused, 1, "{err:?}");
        let stored = Note::objects()
            .get(&mut conn, notes::id.eq(note.id))
            .unwrap();
        assert!(!stored.completed);
        let still_false = Note::objects()
            .filter(notes::completed.eq(false))
            .count(&mut conn)
            .unwrap();
        figures!(
            "boolean_check backend={} refused={refused} rows_still_false={still_false}",
            db.backend
        );
        assert_eq!(still_false, 1);
    }
);

backend_test!(
    fn an_oversized_value_is_refused_cleanly_or_stored_whole(db: &TestDb) {
        // 20 MiB in one text value: more than MariaDB's default max_allowed_packet (16 MiB),
        // within what SQLite and PostgreSQL take. Either the value is stored and reads back
        // whole, or the write fails with a typed error, writes nothing, and later work
        // goes on; which one is decided from the server's own limit, not guessed.
        const SIZE: usize = 20 * 1024 * 1024;
        let mut conn = db.connect();
        conn.create_all(&models()).unwrap();
        let note = Note::objects()
            .create(&mut conn, NewNote::new("n"))
            .unwrap();
        let limit = match db.backend {
            orm::Backend::Mysql => {
                let limit: i64 =
                    orm::dispatch!(&mut conn, c => diesel::RunQueryDsl::get_result::<i64>(
                        diesel::select(diesel::dsl::sql::<BigInt>(
                            "CAST(@@max_allowed_packet AS SIGNED)",
                        )),
                        c,
                    ))
                    .unwrap();
                Some(usize::try_from(limit).unwrap())
            }
            _ => None,
        };
        let form = NewKitchen {
            body: Some("x".repeat(SIZE)),
            ..kitchen_form(note.id, "big", "big@example.com")
        };
        let sent = form.body.as_ref().map_or(0, String::len);
        let outcome = Kitchen::objects().create(&mut conn, form);
        let mut fresh = db.connect();
        let result = match &outcome {
            Ok(_) => "stored".to_owned(),
            Err(e) => format!("refused ({e})"),
        };
        assert_eq!(sent, SIZE);
        // The bytes read back: the whole value, or nothing (no row written).
        let read_back = match (outcome, limit) {
            (Ok(row), limit) => {
                assert!(limit.is_none_or(|l| l > SIZE), "{limit:?}");
                let got = Kitchen::objects()
                    .get(&mut fresh, kitchen::id.eq(row.id))
                    .unwrap();
                assert_eq!(got.body.len(), SIZE);
                got.body.len()
            }
            (Err(err), Some(limit)) if limit <= SIZE => {
                assert!(
                    matches!(err, Error::Database { .. } | Error::Connection { .. }),
                    "{err:?}"
                );
                assert_eq!(count_rows(&mut fresh, "kitchen"), 0);
                0
            }
            (Err(err), limit) => panic!("refused under the limit {limit:?}: {err:?}"),
        };
        // Later work goes on, on a fresh connection.
        Kitchen::objects()
            .create(
                &mut fresh,
                kitchen_form(note.id, "small", "small@example.com"),
            )
            .unwrap();
        figures!(
            "oversized backend={} bytes_sent={sent} bytes_read_back={read_back} \
             server_limit={limit:?} result={result}",
            db.backend
        );
    }
);
