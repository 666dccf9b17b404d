//! Typed aggregates through `select`: over a whole QuerySet (count, sum, avg, min, max),
//! per group (`group_by`, `having`, ordering by an aggregate), and `distinct`, with the
//! same results and Rust types on every backend, blocking and async; and a selection used
//! as a subquery in another QuerySet's filter.

#[macro_use]
mod support;

use bigdecimal::BigDecimal;
use diesel::dsl::{avg, count_star, max, min, sum};
use orm::prelude::*;
use orm::Database;
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// Albums "big" (3 tracks, positions 1 2 3), "mid" (2 tracks, 1 2) and "one" (1 track,
/// position 1). Returns their ids in that order.
fn seed(db: &TestDb) -> [i32; 3] {
    let mut conn = db.connect();
    conn.create_all(&all_models()).unwrap();
    let mut ids = [0; 3];
    for (slot, (name, tracks)) in [("big", 3), ("mid", 2), ("one", 1)].into_iter().enumerate() {
        let album = Album::objects()
            .create(&mut conn, NewAlbum::new(name))
            .unwrap();
        ids[slot] = album.id;
        for position in 1..=tracks {
            let form = NewTrack::new(album.id, format!("{name} {position}"), position);
            Track::objects().create(&mut conn, form).unwrap();
        }
    }
    ids
}

fn decimal(text: &str) -> BigDecimal {
    text.parse().unwrap()
}

backend_test!(
    fn aggregates_over_a_queryset_and_per_group(db: &TestDb) {
        let [big, mid, one] = seed(db);
        let mut conn = db.connect();

        // Over the whole (filtered) QuerySet: one row.
        let (n, top, first_title, positions): (i64, Option<i32>, Option<String>, Option<i64>) =
            Track::objects()
                .select((
                    count_star(),
                    max(tracks::position),
                    min(tracks::title),
                    sum(tracks::position),
                ))
                .one(&mut conn)
                .unwrap();
        assert_eq!(
            (n, top, first_title.as_deref(), positions),
            (6, Some(3), Some("big 1"), Some(10))
        );
        // avg of integers is a decimal on every backend.
        let mean: Option<BigDecimal> = Track::objects()
            .filter(tracks::album.eq(big))
            .select(avg(tracks::position))
            .one(&mut conn)
            .unwrap();
        assert_eq!(mean, Some(decimal("2")));
        // Over no rows: count 0, the others NULL.
        let (n, top): (i64, Option<i32>) = Track::objects()
            .filter(tracks::position.gt(10))
            .select((count_star(), max(tracks::position)))
            .one(&mut conn)
            .unwrap();
        assert_eq!((n, top), (0, None));

        // Per album, the albums with more than one track, the largest first.
        let per_album: Vec<(i32, i64, Option<i64>)> = Track::objects()
            .group_by(tracks::album)
            .having(count_star().gt(1))
            .order_by(count_star().desc())
            .select((tracks::album, count_star(), sum(tracks::position)))
            .all(&mut conn)
            .unwrap();
        assert_eq!(per_album, [(big, 3, Some(6)), (mid, 2, Some(3))]);

        // A filter before the grouping is a WHERE; a slice applies to the groups.
        let firsts: Vec<(i32, i64)> = Track::objects()
            .filter(tracks::position.eq(1))
            .group_by(tracks::album)
            .order_by(tracks::album.asc())
            .limit(2)
            .select((tracks::album, count_star()))
            .all(&mut conn)
            .unwrap();
        let mut expected = vec![(big, 1), (mid, 1), (one, 1)];
        expected.sort();
        expected.truncate(2);
        assert_eq!(firsts, expected);

        // distinct: each album once.
        let albums: Vec<i32> = Track::objects()
            .order_by(tracks::album.asc())
            .select(tracks::album)
            .distinct()
            .all(&mut conn)
            .unwrap();
        let mut all = vec![big, mid, one];
        all.sort();
        assert_eq!(albums, all);
    }
);

backend_test!(
    fn a_selection_filters_another_queryset_as_a_subquery(db: &TestDb) {
        let [big, _, one] = seed(db);
        let mut conn = db.connect();
        // The tracks of the albums named "big" or "one": album IN (SELECT id ...).
        let named = Album::objects()
            .filter(albums::name.eq_any(["big", "one"]))
            .select(albums::id)
            .subquery();
        let rows: Vec<(i32, i64)> = Track::objects()
            .filter(tracks::album.eq_any(named))
            .group_by(tracks::album)
            .order_by(tracks::album.asc())
            .select((tracks::album, count_star()))
            .all(&mut conn)
            .unwrap();
        let mut expected = vec![(big, 3), (one, 1)];
        expected.sort();
        assert_eq!(rows, expected);
        // Of a grouped selection: the albums with more than one track.
        let busy = Track::objects()
            .group_by(tracks::album)
            .having(count_star().gt(1))
            .select(tracks::album)
            .subquery();
        let mut names: Vec<String> = Album::objects()
            .filter(albums::id.eq_any(busy))
            .select(albums::name)
            .all(&mut conn)
            .unwrap();
        names.sort();
        assert_eq!(names, ["big", "mid"]);
    }
);

backend_test!(
    fn aggregates_run_async(db: &TestDb) {
        let [big, mid, _] = seed(db);
        runtime(2).block_on(async {
            let database = Database::connect(&db.url).await.unwrap();
            let per_album: Vec<(i32, i64)> = Track::objects()
                .group_by(tracks::album)
                .having(count_star().gt(1))
                .order_by(count_star().desc())
                .select((tracks::album, count_star()))
                .all(&database)
                .await
                .unwrap();
            assert_eq!(per_album, [(big, 3), (mid, 2)]);
        });
    }
);
