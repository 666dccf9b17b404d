//! Keyset pagination: `keyset(&["-position", "id"])`, `after(cursor)`, `before(cursor)`,
//! `page(executor, size)`; every row on exactly one page, forwards and backwards, on every
//! backend, blocking and async; cursors checked when they come back.

#[macro_use]
mod support;

use orm::prelude::*;
use orm::{Database, Error, NameError};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// An album with 53 tracks (positions 1 to 7, repeating) and another album's 5 tracks.
fn seed(conn: &mut orm::Connection) -> (Album, Vec<Track>) {
    conn.create_all(&all_models()).unwrap();
    let album = Album::objects()
        .create(&mut *conn, NewAlbum::new("paged"))
        .unwrap();
    let other = Album::objects()
        .create(&mut *conn, NewAlbum::new("other"))
        .unwrap();
    let forms = (0..53)
        .map(|i| NewTrack::new(album.id, format!("t{i}"), i % 7 + 1))
        .chain((0..5).map(|i| NewTrack::new(other.id, format!("o{i}"), 1)))
        .collect();
    let tracks = Track::objects().bulk_create(&mut *conn, forms).unwrap();
    (album, tracks)
}

/// The album's tracks' ids in the keyset's order: position descending, then id.
fn reference(album: &Album, tracks: &[Track]) -> Vec<i64> {
    let mut mine: Vec<&Track> = tracks
        .iter()
        .filter(|t| *t.album.pk() == album.id)
        .collect();
    mine.sort_by_key(|t| (std::cmp::Reverse(t.position), t.id));
    mine.into_iter().map(|t| t.id).collect()
}

fn ids(rows: &[Track]) -> Vec<i64> {
    rows.iter().map(|t| t.id).collect()
}

backend_test!(
    fn pages_forwards_and_backwards_see_every_row_once(db: &TestDb) {
        let mut conn = db.connect();
        let (album, tracks) = seed(&mut conn);
        let expected = reference(&album, &tracks);
        let pages = Track::objects()
            .filter(tracks::album.eq(album.id))
            .keyset(&["-position", "id"])
            .unwrap();

        // Forwards: 10, 10, 10, 10, 10, 3.
        let mut seen = Vec::new();
        let mut page = pages.page(&mut conn, 10).unwrap();
        assert_eq!(page.previous, None, "the first page has no previous page");
        let mut sizes = vec![page.rows.len()];
        seen.extend(ids(&page.rows));
        while let Some(next) = page.next.clone() {
            page = pages
                .clone()
                .after(&next)
                .unwrap()
                .page(&mut conn, 10)
                .unwrap();
            assert!(page.previous.is_some());
            sizes.push(page.rows.len());
            seen.extend(ids(&page.rows));
        }
        assert_eq!(sizes, [10, 10, 10, 10, 10, 3]);
        assert_eq!(seen, expected);

        // Backwards from the last page: each page before the one shown.
        let mut back: Vec<Vec<i64>> = vec![ids(&page.rows)];
        let mut cursor = page.previous.clone();
        while let Some(previous) = cursor {
            let before = pages
                .clone()
                .before(&previous)
                .unwrap()
                .page(&mut conn, 10)
                .unwrap();
            assert!(before.next.is_some());
            back.push(ids(&before.rows));
            cursor = before.previous;
        }
        back.reverse();
        assert_eq!(back.concat(), expected);
        assert_eq!(
            back.iter().map(Vec::len).collect::<Vec<_>>(),
            [10, 10, 10, 10, 10, 3]
        );

        // A row deleted between two requests moves nothing else.
        let first = pages.page(&mut conn, 10).unwrap();
        let second_id = expected[10];
        Track::objects()
            .filter(tracks::id.eq(second_id))
            .delete(&mut conn)
            .unwrap();
        let second = pages
            .clone()
            .after(first.next.as_deref().unwrap())
            .unwrap()
            .page(&mut conn, 10)
            .unwrap();
        assert_eq!(ids(&second.rows), expected[11..21]);

        // By name, typed filters and by-name filters mix: the QuerySet's filters apply.
        let page = Track::objects()
            .filter_by("position__lte", 2)
            .unwrap()
            .filter(tracks::album.eq(album.id))
            .keyset(&["position", "-id"])
            .unwrap()
            .page(&mut conn, 100)
            .unwrap();
        let mut low: Vec<&Track> = tracks
            .iter()
            .filter(|t| *t.album.pk() == album.id && t.position <= 2 && t.id != second_id)
            .collect();
        low.sort_by_key(|t| (t.position, std::cmp::Reverse(t.id)));
        assert_eq!(
            ids(&page.rows),
            low.iter().map(|t| t.id).collect::<Vec<_>>()
        );
        assert_eq!(page.next, None);
    }
);

backend_test!(
    fn bad_orderings_cursors_and_sizes_are_named(db: &TestDb) {
        let mut conn = db.connect();
        let (album, _) = seed(&mut conn);
        let keyset_err = |names: &[&str]| Track::objects().keyset(names).unwrap_err();
        assert!(
            matches!(keyset_err(&["position"]), NameError::Keyset { field, .. } if field == "position"),
            "the last key must be unique"
        );
        assert!(matches!(
            keyset_err(&["-album__name", "id"]),
            NameError::Keyset { field, .. } if field == "-album__name"
        ));
        assert!(matches!(
            keyset_err(&["nope", "id"]),
            NameError::UnknownField { .. }
        ));
        let err = Playlist::objects().keyset(&["featured", "id"]).unwrap_err();
        assert!(
            matches!(&err, NameError::Keyset { field, .. } if field == "featured"),
            "{err:?}"
        );

        let pages = Track::objects()
            .filter(tracks::album.eq(album.id))
            .keyset(&["-position", "id"])
            .unwrap();
        let next = pages.page(&mut conn, 5).unwrap().next.unwrap();
        // One character changed: refused, as is text that is no cursor at all.
        let mut tampered: Vec<char> = next.chars().collect();
        let i = tampered.len() / 2;
        tampered[i] = if tampered[i] == 'A' { 'B' } else { 'A' };
        let tampered: String = tampered.into_iter().collect();
        for bad in [tampered.as_str(), "", "!!!", "AAAA"] {
            let err = pages.clone().after(bad).unwrap_err();
            assert!(
                matches!(err, NameError::InvalidCursor { .. }),
                "{bad}: {err:?}"
            );
        }
        // A cursor of another ordering, or another model, is refused.
        let other = Track::objects().keyset(&["position", "id"]).unwrap();
        assert!(matches!(
            other.before(&next).unwrap_err(),
            NameError::InvalidCursor { .. }
        ));
        let notes = Note::objects().keyset(&["-id"]).unwrap();
        assert!(matches!(
            notes.after(&next).unwrap_err(),
            NameError::InvalidCursor { .. }
        ));

        // A sliced QuerySet, or a page of no rows, is a usage error.
        let err = Track::objects()
            .limit(3)
            .keyset(&["id"])
            .unwrap()
            .page(&mut conn, 5)
            .unwrap_err();
        assert!(matches!(err, Error::Usage { .. }), "{err:?}");
        let err = pages.page(&mut conn, 0).unwrap_err();
        assert!(matches!(err, Error::Usage { .. }), "{err:?}");
    }
);

/// 100 000 notes, made by the database itself (five cross-joined digit tables).
fn hundred_thousand_notes(conn: &mut orm::Connection) {
    conn.create_all(&all_models()).unwrap();
    let digits = "SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 \
                  UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL \
                  SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9";
    let sql = format!(
        "INSERT INTO notes (text, completed) \
         SELECT 'n', a.d + b.d + c.d = 0 \
         FROM ({digits}) a, ({digits}) b, ({digits}) c, ({digits}) d, ({digits}) e"
    );
    assert_eq!(conn.raw(&sql).execute().unwrap(), 100_000);
}

backend_test!(
    fn a_hundred_thousand_rows_each_seen_once_async(db: &TestDb) {
        hundred_thousand_notes(&mut db.connect());
        let runtime = runtime(2);
        runtime.block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let pages = Note::objects().keyset(&["-completed", "id"]).unwrap();
            let mut seen = Vec::with_capacity(100_000);
            let mut page = pages.page(&pool, 1_000).await.unwrap();
            seen.extend(page.rows.iter().map(|n| (n.completed, n.id)));
            while let Some(next) = page.next.take() {
                page = pages
                    .clone()
                    .after(&next)
                    .unwrap()
                    .page(&pool, 1_000)
                    .await
                    .unwrap();
                seen.extend(page.rows.iter().map(|n| (n.completed, n.id)));
            }
            assert_eq!(seen.len(), 100_000);
            let mut sorted = seen.clone();
            sorted.sort_by_key(|&(completed, id)| (!completed, id));
            assert_eq!(seen, sorted, "in keyset order");
            sorted.dedup();
            assert_eq!(sorted.len(), 100_000, "no row twice");
            assert_eq!(seen.iter().filter(|(completed, _)| *completed).count(), 100);
        });
    }
);
