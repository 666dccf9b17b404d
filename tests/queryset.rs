//! The QuerySet on every backend (blocking): typed lookups with LIKE wildcards and quotes
//! in the values, filter and exclude, ordering by several keys, limit with offset, get's
//! two errors, first on an empty result, count and exists after filters.

#[macro_use]
mod support;

use diesel::RunQueryDsl;
use orm::prelude::*;
use orm::Error;
use orm_suite::models::*;
#[allow(unused_imports)]
use support::TestDb;

/// The texts the lookup tests search, with wildcards, the escape character, quotes and
/// mixed case in them.
const TEXTS: &[&str] = &[
    "Buy milk",
    "buy MILK now",
    "100% sure",
    "100 percent",
    "snake_case",
    "snakeXcase",
    "back\\slash",
    "it's \"quoted\"",
    "wow!",
    "Ünïcode",
];

fn seed(db: &TestDb) -> orm::Connection {
    let mut conn = db.connect();
    conn.create_all(&all_models()).unwrap();
    let backend = conn.backend();
    for (i, text) in TEXTS.iter().enumerate() {
        orm::dispatch!(&mut conn, c => diesel::insert_into(notes::table)
            .values((
                notes::id.eq(i as i64 + 1),
                notes::text.eq(*text),
                notes::completed.eq(i % 2 == 0),
            ))
            .execute(c))
        .map_err(|e| Error::from_diesel(e, backend))
        .unwrap();
    }
    conn
}

fn texts(notes: Vec<Note>) -> Vec<String> {
    let mut t: Vec<String> = notes.into_iter().map(|n| n.text).collect();
    t.sort();
    t
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut t: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    t.sort();
    t
}

backend_test!(
    fn like_lookups_match_literally_and_fold_case(db: &TestDb) {
        let mut conn = seed(db);
        let q = Note::objects;
        let check = |got: orm::Result<Vec<Note>>, want: &[&str], what: &str| {
            assert_eq!(
                texts(got.unwrap()),
                sorted(want),
                "{what} on {}",
                db.backend
            );
        };
        let got = q().filter(notes::text.contains("milk")).all(&mut conn);
        check(got, &["Buy milk"], "contains is case-sensitive");
        let got = q().filter(notes::text.icontains("MiLk")).all(&mut conn);
        check(got, &["Buy milk", "buy MILK now"], "icontains");
        let got = q().filter(notes::text.contains("%")).all(&mut conn);
        check(got, &["100% sure"], "% is literal");
        let got = q().filter(notes::text.contains("_")).all(&mut conn);
        check(got, &["snake_case"], "_ is literal");
        let got = q().filter(notes::text.contains("\\")).all(&mut conn);
        check(got, &["back\\slash"], "backslash is literal");
        let got = q().filter(notes::text.contains("!")).all(&mut conn);
        check(got, &["wow!"], "the escape character is literal");
        let got = q().filter(notes::text.contains("'s \"q")).all(&mut conn);
        check(got, &["it's \"quoted\""], "quotes are bound");
        let got = q().filter(notes::text.startswith("100")).all(&mut conn);
        check(got, &["100% sure", "100 percent"], "startswith");
        let got = q().filter(notes::text.istartswith("BUY")).all(&mut conn);
        check(got, &["Buy milk", "buy MILK now"], "istartswith");
        let got = q().filter(notes::text.endswith("case")).all(&mut conn);
        check(got, &["snake_case", "snakeXcase"], "endswith");
        let got = q().filter(notes::text.iendswith("NOW")).all(&mut conn);
        check(got, &["buy MILK now"], "iendswith");
        let got = q().filter(notes::text.iexact("buy milk")).all(&mut conn);
        check(got, &["Buy milk"], "iexact");
        let got = q().filter(notes::text.exact("buy milk")).all(&mut conn);
        check(got, &[], "exact is case-sensitive");
        let got = q().filter(notes::text.iexact("100%")).all(&mut conn);
        check(got, &[], "iexact does not treat % as a wildcard");
        let got = q().filter(notes::text.exact("wow! ")).all(&mut conn);
        check(got, &[], "exact does not ignore trailing spaces");
        // Patterns with and without escaped characters render different SQL on SQLite:
        // each runs its own statement, on the same connection, in either order.
        let got = q().filter(notes::text.contains("milk")).all(&mut conn);
        check(got, &["Buy milk"], "a plain pattern after an escaped one");
        let got = q().filter(notes::text.icontains("0%")).all(&mut conn);
        check(got, &["100% sure"], "an escaped pattern after a plain one");
        let got = q()
            .filter_by("text__contains", "e_c")
            .unwrap()
            .all(&mut conn);
        check(got, &["snake_case"], "by name, escaped");
        let got = q()
            .filter_by("text__contains", "eXc")
            .unwrap()
            .all(&mut conn);
        check(got, &["snakeXcase"], "by name, plain");
    }
);

backend_test!(
    fn comparison_lookups_filter_and_exclude(db: &TestDb) {
        let mut conn = seed(db);
        let ids = |rows: Vec<Note>| rows.into_iter().map(|n| n.id).collect::<Vec<_>>();
        let base = Note::objects().order_by(notes::id.asc());
        assert_eq!(
            ids(base.clone().filter(notes::id.gt(8)).all(&mut conn).unwrap()),
            [9, 10]
        );
        assert_eq!(
            ids(base
                .clone()
                .filter(notes::id.gte(9))
                .all(&mut conn)
                .unwrap()),
            [9, 10]
        );
        assert_eq!(
            ids(base.clone().filter(notes::id.lt(3)).all(&mut conn).unwrap()),
            [1, 2]
        );
        assert_eq!(
            ids(base
                .clone()
                .filter(notes::id.lte(2))
                .all(&mut conn)
                .unwrap()),
            [1, 2]
        );
        assert_eq!(
            ids(base
                .clone()
                .filter(notes::id.in_(vec![2, 4, 99]))
                .all(&mut conn)
                .unwrap()),
            [2, 4]
        );
        assert!(base
            .clone()
            .filter(notes::id.in_(Vec::<i64>::new()))
            .all(&mut conn)
            .unwrap()
            .is_empty());
        assert_eq!(
            ids(base
                .clone()
                .filter(notes::id.lte(4))
                .exclude(notes::completed.eq(true))
                .all(&mut conn)
                .unwrap()),
            [2, 4]
        );
        assert_eq!(
            ids(base
                .clone()
                .exclude(notes::text.icontains("MILK"))
                .filter(notes::id.lte(4))
                .all(&mut conn)
                .unwrap()),
            [3, 4]
        );
        // and / or / not combinators are diesel's.
        let either = notes::id.eq(1).or(notes::id.eq(10));
        assert_eq!(
            ids(base.clone().filter(either).all(&mut conn).unwrap()),
            [1, 10]
        );
    }
);

backend_test!(
    fn isnull_on_a_nullable_column(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&all_models()).unwrap();
        orm::dispatch!(&mut conn, c => diesel::insert_into(albums::table)
            .values((albums::id.eq(1), albums::name.eq("A")))
            .execute(c))
        .unwrap();
        orm::dispatch!(&mut conn, c => diesel::insert_into(playlists::table)
            .values(vec![
                (playlists::name.eq("with"), playlists::featured.eq(Some(1))),
                (playlists::name.eq("without"), playlists::featured.eq(None::<i32>)),
            ])
            .execute(c))
        .unwrap();
        let null = Playlist::objects()
            .filter(playlists::featured.isnull(true))
            .one(&mut conn)
            .unwrap();
        assert_eq!(null.name, "without");
        assert!(null.featured.is_none());
        let set = Playlist::objects()
            .filter(playlists::featured.isnull(false))
            .one(&mut conn)
            .unwrap();
        assert_eq!(set.name, "with");
        assert_eq!(set.featured.as_ref().map(|f| *f.pk()), Some(1));
    }
);

backend_test!(
    fn ordering_slicing_and_terminal_operations(db: &TestDb) {
        let mut conn = seed(db);
        // Several keys: completed descending, then id ascending.
        let ordered = Note::objects()
            .order_by(notes::completed.desc())
            .then_order_by(notes::id.asc());
        let ids: Vec<i64> = ordered
            .all(&mut conn)
            .unwrap()
            .into_iter()
            .map(|n| n.id)
            .collect();
        assert_eq!(ids, [1, 3, 5, 7, 9, 2, 4, 6, 8, 10]);
        // limit with offset.
        let page: Vec<i64> = ordered
            .clone()
            .limit(3)
            .offset(4)
            .all(&mut conn)
            .unwrap()
            .into_iter()
            .map(|n| n.id)
            .collect();
        assert_eq!(page, [9, 2, 4]);
        // offset alone.
        let tail: Vec<i64> = ordered
            .clone()
            .offset(8)
            .all(&mut conn)
            .unwrap()
            .into_iter()
            .map(|n| n.id)
            .collect();
        assert_eq!(tail, [8, 10]);
        // count and exists on a slice count the slice, as Django does (10 rows).
        assert_eq!(
            ordered.clone().limit(3).offset(4).count(&mut conn).unwrap(),
            3
        );
        assert_eq!(ordered.clone().offset(8).count(&mut conn).unwrap(), 2);
        assert_eq!(
            ordered
                .clone()
                .offset(5)
                .limit(10)
                .count(&mut conn)
                .unwrap(),
            5
        );
        assert_eq!(ordered.clone().offset(12).count(&mut conn).unwrap(), 0);
        assert_eq!(ordered.clone().limit(0).count(&mut conn).unwrap(), 0);
        assert!(ordered.clone().offset(9).exists(&mut conn).unwrap());
        assert!(!ordered.clone().offset(10).exists(&mut conn).unwrap());
        assert!(!ordered.clone().limit(0).exists(&mut conn).unwrap());
        // first, and first on an empty result.
        assert_eq!(ordered.first(&mut conn).unwrap().unwrap().id, 1);
        assert!(Note::objects()
            .filter(notes::id.gt(100))
            .first(&mut conn)
            .unwrap()
            .is_none());
        // get: one, none, several.
        let one = Note::objects().get(&mut conn, notes::id.eq(3)).unwrap();
        assert_eq!(one.text, "100% sure");
        match Note::objects().get(&mut conn, notes::id.eq(300)) {
            Err(Error::NoMatch { model }) => assert_eq!(model, "Note"),
            other => panic!("expected NoMatch, got {other:?}"),
        }
        match Note::objects().get(&mut conn, notes::completed.eq(true)) {
            Err(Error::MultipleMatches { model }) => assert_eq!(model, "Note"),
            other => panic!("expected MultipleMatches, got {other:?}"),
        }
        // count and exists after filters; the ordering does not change the count, a slice
        // counts its own rows.
        let done = Note::objects().filter(notes::completed.eq(true));
        assert_eq!(done.count(&mut conn).unwrap(), 5);
        assert_eq!(
            done.clone()
                .order_by(notes::id.desc())
                .limit(2)
                .count(&mut conn)
                .unwrap(),
            2
        );
        assert!(done.exists(&mut conn).unwrap());
        let none = done.filter(notes::id.gt(1000));
        assert_eq!(none.count(&mut conn).unwrap(), 0);
        assert!(!none.exists(&mut conn).unwrap());
        assert_eq!(
            Note::objects().count(&mut conn).unwrap(),
            TEXTS.len() as i64
        );
    }
);

backend_test!(
    fn by_name_lookups_ordering_and_search(db: &TestDb) {
        let mut conn = seed(db);
        let texts_of = |qs: orm::Result<Vec<Note>>| texts(qs.unwrap());
        let q = Note::objects;
        assert_eq!(
            texts_of(
                q().filter_by("text__icontains", "MILK")
                    .unwrap()
                    .all(&mut conn)
            ),
            sorted(&["Buy milk", "buy MILK now"])
        );
        assert_eq!(
            texts_of(q().filter_by("text__contains", "%").unwrap().all(&mut conn)),
            sorted(&["100% sure"])
        );
        assert_eq!(
            texts_of(
                q().filter_by("text__startswith", "snake_")
                    .unwrap()
                    .all(&mut conn)
            ),
            sorted(&["snake_case"])
        );
        assert_eq!(
            texts_of(
                q().filter_by("text__iexact", "WOW!")
                    .unwrap()
                    .all(&mut conn)
            ),
            sorted(&["wow!"])
        );
        assert_eq!(
            texts_of(
                q().filter_by("text", "it's \"quoted\"")
                    .unwrap()
                    .all(&mut conn)
            ),
            sorted(&["it's \"quoted\""])
        );
        assert_eq!(
            texts_of(
                q().filter_by("pk__in", "1, 3,5")
                    .unwrap()
                    .exclude_by("id", "5")
                    .unwrap()
                    .all(&mut conn)
            ),
            sorted(&["Buy milk", "100% sure"])
        );
        assert_eq!(
            q().filter_by("id__gte", "9")
                .unwrap()
                .count(&mut conn)
                .unwrap(),
            2
        );
        assert_eq!(
            q().filter_by("id__lt", "3")
                .unwrap()
                .count(&mut conn)
                .unwrap(),
            2
        );
        assert_eq!(
            q().filter_by("completed", "true")
                .unwrap()
                .count(&mut conn)
                .unwrap(),
            5
        );
        assert_eq!(
            q().filter_by("completed__isnull", "false")
                .unwrap()
                .count(&mut conn)
                .unwrap(),
            10
        );

        // Ordering by names, several keys.
        let ids: Vec<i64> = q()
            .order_by_names(&["-completed", "pk"])
            .unwrap()
            .limit(4)
            .all(&mut conn)
            .unwrap()
            .into_iter()
            .map(|n| n.id)
            .collect();
        assert_eq!(ids, [1, 3, 5, 7]);

        // search: every text field, ignoring case; an empty term keeps every row.
        assert_eq!(
            texts_of(q().search("mIlK").all(&mut conn)),
            sorted(&["Buy milk", "buy MILK now"])
        );
        assert_eq!(q().search("").count(&mut conn).unwrap(), 10);
        assert_eq!(q().search("_").count(&mut conn).unwrap(), 1);

        // Values written as SQL are bound: nothing matches and the table is intact.
        assert_eq!(
            q().filter_by("text", "x' OR '1'='1")
                .unwrap()
                .count(&mut conn)
                .unwrap(),
            0
        );
        assert_eq!(
            q().filter_by("text__contains", "'; DROP TABLE notes; --")
                .unwrap()
                .count(&mut conn)
                .unwrap(),
            0
        );
        assert_eq!(q().count(&mut conn).unwrap(), 10);
    }
);

#[test]
fn by_name_errors_name_the_problem() {
    use orm::NameError;
    let q = Note::objects;
    match q().filter_by("txt__icontains", "x") {
        Err(NameError::UnknownField { model, field }) => {
            assert_eq!((model, field.as_str()), ("Note", "txt"));
        }
        other => panic!("expected UnknownField, got {other:?}"),
    }
    match q().filter_by("text__like", "x") {
        Err(e @ NameError::UnknownLookup { .. }) => {
            let message = e.to_string();
            assert!(
                message.contains("`like`") && message.contains("`text`"),
                "{message}"
            );
        }
        other => panic!("expected UnknownLookup, got {other:?}"),
    }
    // LIKE lookups need a text field.
    assert!(matches!(
        q().filter_by("id__contains", "1"),
        Err(NameError::UnknownLookup { field: "id", .. })
    ));
    match q().filter_by("id", "one") {
        Err(e @ NameError::InvalidValue { .. }) => {
            let message = e.to_string();
            assert!(
                message.contains("`id`") && message.contains("\"one\""),
                "{message}"
            );
        }
        other => panic!("expected InvalidValue, got {other:?}"),
    }
    assert!(matches!(
        q().filter_by("completed", "maybe"),
        Err(NameError::InvalidValue {
            field: "completed",
            ..
        })
    ));
    assert!(matches!(
        q().filter_by("id; DROP TABLE notes", "1"),
        Err(NameError::UnknownField { .. })
    ));
    assert!(matches!(
        q().order_by_names(&["-nope"]),
        Err(NameError::UnknownField { .. })
    ));
    // Paths through a foreign key are checked on the model they reach.
    assert!(Track::objects().filter_by("album__name", "x").is_ok());
    assert!(matches!(
        Track::objects().filter_by("album__bogus", "x"),
        Err(NameError::UnknownField { model: "Album", .. })
    ));
    assert!(matches!(
        Track::objects().filter_by("album__name__bogus", "x"),
        Err(NameError::UnknownLookup { field: "name", .. })
    ));
    assert!(matches!(
        Track::objects().filter_by("album__id", "x"),
        Err(NameError::InvalidValue { field: "id", .. })
    ));
    assert!(matches!(
        Track::objects().filter_by("title__name", "x"),
        Err(NameError::UnknownLookup { field: "title", .. })
    ));
    let deep = format!("{}name", "album__".repeat(orm::by_name::MAX_RELATIONS + 1));
    assert!(matches!(
        Track::objects().filter_by(&deep, "x"),
        Err(NameError::PathTooLong { .. })
    ));
    assert!(matches!(
        Track::objects().order_by_names(&["-album__nope"]),
        Err(NameError::UnknownField { model: "Album", .. })
    ));
}

backend_test!(
    fn case_insensitive_lookups_fold_non_ascii_letters_on_every_backend(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&all_models()).unwrap();
        for (id, text) in [(1_i64, "Café crème"), (2, "ЖУРНАЛ"), (3, "cafe")] {
            let backend = conn.backend();
            orm::dispatch!(&mut conn, c => diesel::insert_into(notes::table)
                .values((notes::id.eq(id), notes::text.eq(text), notes::completed.eq(false)))
                .execute(c))
            .map_err(|e| Error::from_diesel(e, backend))
            .unwrap();
        }
        macro_rules! ids {
            ($qs:expr, $conn:expr) => {{
                let mut ids: Vec<i64> = $qs.all($conn).unwrap().into_iter().map(|n| n.id).collect();
                ids.sort();
                ids
            }};
        }
        let typed = Note::objects().filter(notes::text.icontains("CAFÉ"));
        assert_eq!(ids!(typed, &mut conn), [1]);
        let by_name = Note::objects()
            .filter_by("text__istartswith", "журнал")
            .unwrap();
        assert_eq!(ids!(by_name, &mut conn), [2]);
        let exact = Note::objects().filter(notes::text.iexact("CAFÉ CRÈME"));
        assert_eq!(ids!(exact, &mut conn), [1]);
        // The case-sensitive lookups stay case-sensitive.
        let sensitive = Note::objects().filter(notes::text.contains("CAFÉ"));
        assert!(ids!(sensitive, &mut conn).is_empty());
    }
);
