//! The SQL QuerySets render, per backend (`QuerySet::to_sql`, no connection): typed
//! lookups, NULL handling, exclude, by-name filters across relations, orderings by name,
//! date parts and regex by name, values and aggregates by name, `update_by`, `in` a
//! QuerySet, search and slices. Every value shows up among the binds, never in the SQL text.
//!
//! The expected text is `tests/snapshots/sql.txt`, read and checked by hand when it was
//! written. After a deliberate change of the SQL, rewrite it with
//! `ORM_UPDATE_SNAPSHOTS=1 cargo test --test sql_snapshots` and review the diff.

#![cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]

#[allow(unused_macros)]
#[macro_use]
mod support;
mod fixtures;

use fixtures::{categories, games, teams, Category, Game, Team};
use orm::prelude::*;
use orm::Agg::{Avg, Count, CountDistinct, Max, Sum};
use orm::{Null, F};
use orm_suite::models::*;

/// A case: renders one QuerySet on SQLite, PostgreSQL and MySQL.
type Case = Box<dyn Fn() -> [String; 3]>;

/// The querysets under test, each with a name.
fn cases() -> Vec<(&'static str, Case)> {
    macro_rules! all3 {
        ($qs:expr) => {{
            let qs = $qs;
            [
                qs.to_sql::<diesel::sqlite::Sqlite>(),
                qs.to_sql::<diesel::pg::Pg>(),
                qs.to_sql::<diesel::mysql::Mysql>(),
            ]
        }};
    }
    vec![
        (
            "typed filter, ordering, page",
            Box::new(|| {
                all3!(Note::objects()
                    .filter(notes::text.icontains("50%"))
                    .order_by(notes::id.desc())
                    .limit(2)
                    .offset(4))
            }),
        ),
        (
            "exact(None) and exclude on a nullable column",
            Box::new(|| {
                all3!(Playlist::objects()
                    .filter(playlists::featured.exact(None::<i32>))
                    .exclude(playlists::featured.eq(3)))
            }),
        ),
        (
            "select_related, and a second key through an alias",
            Box::new(|| {
                let away = orm::relations::alias_of(games::away);
                all3!(Game::objects()
                    .select_related::<Team>()
                    .select_related_via(games::away)
                    .filter(away.field(teams::name).eq("Blues"))
                    .limit(2))
            }),
        ),
        (
            "select_related_via a self-reference (LEFT JOIN)",
            Box::new(|| all3!(Category::objects().select_related_via(categories::parent))),
        ),
        (
            "exclude of a NOT NULL predicate",
            Box::new(|| all3!(Note::objects().exclude(notes::completed.eq(true)))),
        ),
        (
            "by name across a relation, NULL, in, ordering",
            Box::new(|| {
                all3!(Track::objects()
                    .filter_by("album__name__istartswith", "blue")
                    .unwrap()
                    .filter_by("pk__in", vec![1, 2])
                    .unwrap()
                    .order_by_names(&["-album__name", "position"])
                    .unwrap())
            }),
        ),
        (
            "by name NULL and exclude",
            Box::new(|| {
                all3!(Playlist::objects()
                    .filter_by("featured", Null)
                    .unwrap()
                    .exclude_by("name", "x")
                    .unwrap())
            }),
        ),
        (
            "by name date and time parts",
            Box::new(|| {
                all3!(Kitchen::objects()
                    .filter_by("created_at__year__gte", 2024)
                    .unwrap()
                    .filter_by("due__week_day", 1)
                    .unwrap()
                    .filter_by("created_at__date__lt", "2024-03-01")
                    .unwrap()
                    .filter_by("opens__hour__in", vec![9, 10])
                    .unwrap())
            }),
        ),
        (
            "by name regex and iregex",
            Box::new(|| {
                all3!(Note::objects()
                    .filter_by("text__regex", "^a+$")
                    .unwrap()
                    .exclude_by("text__iregex", "b")
                    .unwrap())
            }),
        ),
        (
            "values by name across a relation",
            Box::new(|| {
                all3!(Track::objects()
                    .filter_by("position__gt", 1)
                    .unwrap()
                    .order_by_names(&["title"])
                    .unwrap()
                    .values(&["id", "album__name"])
                    .unwrap())
            }),
        ),
        (
            "aggregate by name",
            Box::new(|| {
                all3!(Track::objects()
                    .aggregate(&[
                        ("n", Count("id")),
                        ("s", Sum("position")),
                        ("m", Avg("position"))
                    ])
                    .unwrap())
            }),
        ),
        (
            "values and annotate by name, ordered by an aggregate",
            Box::new(|| {
                all3!(Track::objects()
                    .values(&["album"])
                    .unwrap()
                    .annotate(&[("n", CountDistinct("title")), ("top", Max("position"))])
                    .unwrap()
                    .order_by(&["-n", "album"])
                    .unwrap()
                    .limit(2))
            }),
        ),
        (
            "update_by: arithmetic, a value and NULL on the rows of a QuerySet",
            Box::new(|| {
                let qs = Playlist::objects()
                    .filter_by("name__startswith", "a")
                    .unwrap();
                let set = orm::Assignments::<Playlist>::parse(&[
                    ("id", F("id") + 1),
                    ("name", "b".into()),
                    ("featured", Null.into()),
                ])
                .unwrap()
                .scoped(qs.where_query().clone());
                let update = diesel::update(playlists::table).set(set);
                [
                    diesel::debug_query::<diesel::sqlite::Sqlite, _>(&update).to_string(),
                    diesel::debug_query::<diesel::pg::Pg, _>(&update).to_string(),
                    diesel::debug_query::<diesel::mysql::Mysql, _>(&update).to_string(),
                ]
            }),
        ),
        (
            "in a QuerySet by name (a subquery)",
            Box::new(|| {
                all3!(Track::objects()
                    .filter_by(
                        "album__in",
                        Album::objects().filter_by("name__startswith", "b").unwrap()
                    )
                    .unwrap())
            }),
        ),
        (
            "by name through reverse relations (semi-joins; a nullable key skips NULL)",
            Box::new(|| {
                all3!(Album::objects()
                    .filter_by("tracks__title__icontains", "blue")
                    .unwrap()
                    .exclude_by("featured_in__name", "mix")
                    .unwrap())
            }),
        ),
        (
            "by name: annotate across a reverse relation, having (aliases where allowed)",
            Box::new(|| {
                all3!(Album::objects()
                    .values(&["name"])
                    .unwrap()
                    .annotate(&[("n", orm::Agg::Count("tracks__id"))])
                    .unwrap()
                    .having(&[("n__gte", 2.into())])
                    .unwrap())
            }),
        ),
        (
            "search and limit",
            Box::new(|| all3!(Album::objects().search("o'k").limit(5))),
        ),
    ]
}

/// Every case's SQL on SQLite, PostgreSQL and MySQL, under its name.
fn rendered() -> String {
    let mut out = String::new();
    for (name, case) in cases() {
        out.push_str(&format!("== {name}\n"));
        for (backend, sql) in ["sqlite", "postgres", "mysql"].iter().zip(case()) {
            out.push_str(&format!("{backend}: {sql}\n"));
        }
    }
    out
}

#[test]
fn querysets_render_the_recorded_sql_on_every_backend() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/sql.txt");
    let got = rendered();
    if std::env::var_os("ORM_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(path).unwrap();
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "line {} of tests/snapshots/sql.txt", i + 1);
    }
    assert_eq!(got.lines().count(), want.lines().count(), "number of lines");
}

#[test]
fn values_are_only_binds() {
    // A value that looks like SQL stays out of the text on every backend.
    let evil = "x'); DROP TABLE notes; --";
    let [sqlite, pg, mysql] = {
        let qs = Note::objects()
            .filter_by("text__contains", evil)
            .unwrap()
            .exclude(notes::text.eq(evil));
        [
            qs.to_sql::<diesel::sqlite::Sqlite>(),
            qs.to_sql::<diesel::pg::Pg>(),
            qs.to_sql::<diesel::mysql::Mysql>(),
        ]
    };
    for sql in [sqlite, pg, mysql] {
        let (text, binds) = sql.split_once(" -- binds: ").unwrap();
        assert!(!text.contains("DROP"), "{text}");
        assert!(binds.contains("DROP TABLE notes"), "{binds}");
    }
}
