//! `F(field)` in by-name lookups (Django's `F`): a column compared with another column of
//! the same row, on every backend; and the named errors for every misuse.

#[macro_use]
mod support;

use orm::prelude::*;
use orm::{ByName, NameError, F};
use orm_suite::models::*;
#[allow(unused_imports)]
use support::TestDb;

/// Tracks with positions 1, 5, 2, 10 and 3 on one album; every track as stored.
fn seed(db: &TestDb) -> Vec<Track> {
    let mut conn = db.connect();
    conn.create_all(&all_models()).unwrap();
    let album = Album::objects()
        .create(&mut conn, NewAlbum::new("a"))
        .unwrap();
    [1, 5, 2, 10, 3]
        .into_iter()
        .map(|position| {
            let form = NewTrack::new(album.id, format!("t{position}"), position);
            Track::objects().create(&mut conn, form).unwrap()
        })
        .collect()
}

/// The titles of `rows`, sorted.
fn titles(rows: impl IntoIterator<Item = Track>) -> Vec<String> {
    let mut titles: Vec<String> = rows.into_iter().map(|t| t.title).collect();
    titles.sort();
    titles
}

backend_test!(
    fn f_compares_two_columns_of_the_same_row(db: &TestDb) {
        let stored = seed(db);
        let mut conn = db.connect();
        let reference =
            |keep: fn(&Track) -> bool| titles(stored.iter().filter(|t| keep(t)).cloned());
        let q = Track::objects;

        let above = q().filter_by("position__gt", F("id")).unwrap();
        assert_eq!(
            titles(above.all(&mut conn).unwrap()),
            reference(|t| i64::from(t.position) > t.id)
        );
        let equal = q().filter_by("position", F("pk")).unwrap();
        assert_eq!(
            titles(equal.all(&mut conn).unwrap()),
            reference(|t| i64::from(t.position) == t.id)
        );
        let not_below = q().exclude_by("position__lt", F("id")).unwrap();
        assert_eq!(
            titles(not_below.all(&mut conn).unwrap()),
            reference(|t| i64::from(t.position) >= t.id)
        );
        // In combined conditions too.
        let either = ByName::<Track>::lookup("position__lte", F("id")).unwrap()
            | ByName::lookup("title", "t10").unwrap();
        assert_eq!(
            titles(q().filter(either).all(&mut conn).unwrap()),
            reference(|t| i64::from(t.position) <= t.id || t.title == "t10")
        );
    }
);

#[test]
fn f_misuses_are_named_errors() {
    let q = Track::objects;
    let invalid = |result: Result<_, NameError>| match result.map(|_| ()) {
        Err(NameError::InvalidValue { field, value, .. }) => (field, value),
        other => panic!("expected InvalidValue, got {other:?}"),
    };
    // A text field compared with a number field.
    assert_eq!(
        invalid(q().filter_by("title", F("position"))),
        ("title", "F(position)".to_string())
    );
    // A lookup F does not go with.
    assert_eq!(
        invalid(q().filter_by("title__contains", F("title"))),
        ("title", "F(title)".to_string())
    );
    // A path through a foreign key: F names a field of the model itself only.
    assert_eq!(
        invalid(q().filter_by("album__name", F("title"))),
        ("name", "F(title)".to_string())
    );
    // An unknown field.
    match q().filter_by("position__gt", F("nope")).map(|_| ()) {
        Err(NameError::UnknownField { model, field }) => {
            assert_eq!((model, field.as_str()), ("Track", "nope"));
        }
        other => panic!("expected UnknownField, got {other:?}"),
    }
}
