//! `range` (Django's `__range`): `BETWEEN low AND high`, both ends included, typed and by
//! name, on every backend, blocking and async; values of the wrong shape are named errors.

#[macro_use]
mod support;

use orm::prelude::*;
use orm::{Database, NameError};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// Notes "a" to "f", ids 1 to 6 in that order.
fn seed(db: &TestDb) -> Vec<i64> {
    let mut conn = db.connect();
    conn.create_all(&all_models()).unwrap();
    ["a", "b", "c", "d", "e", "f"]
        .into_iter()
        .map(|text| {
            Note::objects()
                .create(&mut conn, NewNote::new(text))
                .unwrap()
                .id
        })
        .collect()
}

fn texts(rows: Vec<Note>) -> Vec<String> {
    let mut texts: Vec<String> = rows.into_iter().map(|n| n.text).collect();
    texts.sort();
    texts
}

backend_test!(
    fn range_includes_both_ends_typed_and_by_name(db: &TestDb) {
        let ids = seed(db);
        let mut conn = db.connect();
        let q = Note::objects;
        // Typed: integers and text, both ends included.
        let got = q().filter(notes::id.range(ids[1], ids[3]));
        assert_eq!(texts(got.all(&mut conn).unwrap()), ["b", "c", "d"]);
        assert_eq!(got.count(&mut conn).unwrap(), 3);
        let got = q().filter(notes::text.range("b", "c"));
        assert_eq!(texts(got.all(&mut conn).unwrap()), ["b", "c"]);
        // An empty range (low above high) matches nothing, as BETWEEN does.
        let got = q().filter(notes::id.range(ids[3], ids[1]));
        assert!(got.all(&mut conn).unwrap().is_empty());
        // Excluded: the rows outside.
        let got = q().exclude(notes::id.range(ids[1], ids[4]));
        assert_eq!(texts(got.all(&mut conn).unwrap()), ["a", "f"]);

        // By name: a list of two, or the query-string form "low,high".
        let by_name = |path: &str, value: orm::LookupValue, conn: &mut orm::Connection| {
            texts(q().filter_by(path, value).unwrap().all(conn).unwrap())
        };
        assert_eq!(
            by_name("id__range", vec![ids[2], ids[4]].into(), &mut conn),
            ["c", "d", "e"]
        );
        let text = format!("{}, {}", ids[0], ids[1]);
        assert_eq!(
            by_name("pk__range", text.as_str().into(), &mut conn),
            ["a", "b"]
        );
        assert_eq!(
            by_name("text__range", ["e", "z"].into(), &mut conn),
            ["e", "f"]
        );
        let outside = q().exclude_by("text__range", "b,e").unwrap();
        assert_eq!(texts(outside.all(&mut conn).unwrap()), ["a", "f"]);
    }
);

backend_test!(
    fn range_runs_async(db: &TestDb) {
        let ids = seed(db);
        runtime(2).block_on(async {
            let database = Database::connect(&db.url).await.unwrap();
            let typed = Note::objects().filter(notes::id.range(ids[0], ids[2]));
            assert_eq!(texts(typed.all(&database).await.unwrap()), ["a", "b", "c"]);
            let by_name = Note::objects().filter_by("text__range", "d,e").unwrap();
            assert_eq!(texts(by_name.all(&database).await.unwrap()), ["d", "e"]);
        });
    }
);

#[test]
fn range_values_of_the_wrong_shape_are_named_errors() {
    let invalid = |path: &str, value: orm::LookupValue| match Note::objects()
        .filter_by(path, value)
        .map(|_| ())
    {
        Err(NameError::InvalidValue { field, .. }) => field,
        other => panic!("expected InvalidValue for {path}, got {other:?}"),
    };
    // One value, three values, a single value that is not a pair, NULL, and an end of the
    // wrong type.
    assert_eq!(invalid("id__range", vec![1].into()), "id");
    assert_eq!(invalid("id__range", vec![1, 2, 3].into()), "id");
    assert_eq!(invalid("id__range", "7".into()), "id");
    assert_eq!(invalid("id__range", 7.into()), "id");
    assert_eq!(invalid("id__range", orm::Null.into()), "id");
    assert_eq!(invalid("id__range", "1,x".into()), "id");
    assert_eq!(
        invalid("text__range", vec![orm::Null, orm::Null].into()),
        "text"
    );
}
