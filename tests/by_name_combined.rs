//! By-name conditions combined with `&`, `|` and `!` (Django's `Q`), at any depth, mixed
//! with typed filters, checked on every backend against a Rust reference that evaluates
//! SQL's three-valued logic (a comparison with NULL is unknown; `!` keeps the unknown rows,
//! as `exclude` does).

#[macro_use]
mod support;

use orm::prelude::*;
use orm::{ByName, Database};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// (name, featured album slot: 0, 1 or none) of the seeded playlists.
const ROWS: &[(&str, Option<usize>)] = &[
    ("alpha", Some(0)),
    ("beta", Some(1)),
    ("gamma", None),
    ("delta", Some(0)),
    ("omega", None),
    ("xyz", Some(1)),
    ("zz", None),
    ("Anna", Some(1)),
];

/// Seeds two albums and [`ROWS`]; the albums' ids.
fn seed(db: &TestDb) -> [i32; 2] {
    let mut conn = db.connect();
    conn.create_all(&all_models()).unwrap();
    let albums = ["first", "second"].map(|name| {
        Album::objects()
            .create(&mut conn, NewAlbum::new(name))
            .unwrap()
            .id
    });
    for (name, slot) in ROWS {
        let mut form = NewPlaylist::new(*name);
        form.featured = slot.map(|i| albums[i]);
        Playlist::objects().create(&mut conn, form).unwrap();
    }
    albums
}

/// A condition as SQL evaluates it on one row: `None` is unknown (NULL).
type Cond = fn(&str, Option<usize>) -> Option<bool>;

/// `name__icontains="a"`.
fn a(name: &str, _: Option<usize>) -> Option<bool> {
    Some(name.to_lowercase().contains('a'))
}
/// `featured=<first album>`: unknown when `featured` is NULL.
fn b(_: &str, slot: Option<usize>) -> Option<bool> {
    slot.map(|s| s == 0)
}
/// `featured__isnull=true`.
fn c(_: &str, slot: Option<usize>) -> Option<bool> {
    Some(slot.is_none())
}

fn and(x: Option<bool>, y: Option<bool>) -> Option<bool> {
    match (x, y) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}
fn or(x: Option<bool>, y: Option<bool>) -> Option<bool> {
    match (x, y) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}
/// `!x` as orm renders it: `(x) IS NOT TRUE`.
fn not(x: Option<bool>) -> Option<bool> {
    Some(x != Some(true))
}

/// The names of the rows `keep` selects, sorted.
fn reference(keep: impl Fn(&str, Option<usize>) -> Option<bool>) -> Vec<String> {
    let mut names: Vec<String> = ROWS
        .iter()
        .filter(|(name, slot)| keep(name, *slot) == Some(true))
        .map(|(name, _)| name.to_string())
        .collect();
    names.sort();
    names
}

fn names(rows: Vec<Playlist>) -> Vec<String> {
    let mut names: Vec<String> = rows.into_iter().map(|p| p.name).collect();
    names.sort();
    names
}

/// The three by-name conditions, for the first album `first`.
fn conditions(first: i32) -> [ByName<Playlist>; 3] {
    [
        ByName::lookup("name__icontains", "a").unwrap(),
        ByName::lookup("featured", first).unwrap(),
        ByName::lookup("featured__isnull", true).unwrap(),
    ]
}

backend_test!(
    fn combined_conditions_match_three_valued_logic(db: &TestDb) {
        let [first, _] = seed(db);
        let mut conn = db.connect();
        let [qa, qb, qc] = conditions(first);
        let refs: [Cond; 3] = [a, b, c];
        let [ra, rb, rc] = refs;
        let cases: Vec<(ByName<Playlist>, Vec<String>, &str)> = vec![
            (
                (qa.clone() | qb.clone()) & !qc.clone(),
                reference(|n, s| and(or(ra(n, s), rb(n, s)), not(rc(n, s)))),
                "(a | b) & !c",
            ),
            (
                !(qa.clone() & qb.clone()),
                reference(|n, s| not(and(ra(n, s), rb(n, s)))),
                "!(a & b)",
            ),
            (
                qa.clone() | !qb.clone(),
                reference(|n, s| or(ra(n, s), not(rb(n, s)))),
                "a | !b",
            ),
            (
                qb.clone() | (qc.clone() & !qa.clone()),
                reference(|n, s| or(rb(n, s), and(rc(n, s), not(ra(n, s))))),
                "b | (c & !a)",
            ),
            (!(!qb.clone()), reference(|n, s| not(not(rb(n, s)))), "!!b"),
            // The empty condition: every row; the identity of `&`; negated, no row.
            (ByName::all_rows(), reference(|_, _| Some(true)), "all_rows"),
            (
                ByName::all_rows() & qa.clone() & qb.clone(),
                reference(|n, s| and(ra(n, s), rb(n, s))),
                "all_rows & a & b",
            ),
            (
                !ByName::all_rows() | qb.clone(),
                reference(|n, s| or(Some(false), rb(n, s))),
                "!all_rows | b",
            ),
        ];
        for (condition, expected, label) in cases {
            let got = Playlist::objects().filter(condition.clone()).all(&mut conn);
            assert_eq!(names(got.unwrap()), expected, "filter {label}");
            // exclude of a combination: exactly the rows the filter does not keep (it is
            // `IS NOT TRUE`, so the unknown rows are among them).
            let kept = Playlist::objects().exclude(condition).all(&mut conn);
            let excluded = reference(|n, _| Some(!expected.contains(&n.to_string())));
            assert_eq!(names(kept.unwrap()), excluded, "exclude {label}");
        }

        // Mixed with typed filters: ANDed, and inside diesel's `.or()`.
        let mixed = Playlist::objects()
            .filter(playlists::name.ne("Anna"))
            .filter(qa.clone() | qb.clone());
        assert_eq!(
            names(mixed.all(&mut conn).unwrap()),
            reference(|n, s| and(Some(n != "Anna"), or(ra(n, s), rb(n, s))))
        );
        let either = Playlist::objects().filter(playlists::name.eq("zz").or(qb.clone()));
        assert_eq!(
            names(either.all(&mut conn).unwrap()),
            reference(|n, s| or(Some(n == "zz"), rb(n, s)))
        );
    }
);

backend_test!(
    fn combined_conditions_run_async(db: &TestDb) {
        let [first, _] = seed(db);
        runtime(2).block_on(async {
            let database = Database::connect(&db.url).await.unwrap();
            let [qa, qb, qc] = conditions(first);
            let got = Playlist::objects()
                .filter((qa | qb) & !qc)
                .all(&database)
                .await
                .unwrap();
            assert_eq!(
                names(got),
                reference(|n, s| and(or(a(n, s), b(n, s)), not(c(n, s))))
            );
        });
    }
);
