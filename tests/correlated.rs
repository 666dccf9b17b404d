//! Correlated subqueries across a foreign key, typed: `exists` of the rows that point at
//! each row (albums that have a track at position 2 or more) and its negation, and a count
//! of them per row (each album with its number of tracks, ordered by it); on every
//! backend, blocking and async.

#[macro_use]
mod support;

use diesel::dsl::{exists, not};
use diesel::QueryDsl;
use orm::prelude::*;
use orm::Database;
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// Albums "big" (3 tracks), "mid" (2), "one" (1) and "none" (no track).
fn seed(db: &TestDb) -> Vec<Album> {
    let mut conn = db.connect();
    conn.create_all(&all_models()).unwrap();
    let mut albums = Vec::new();
    for (name, tracks) in [("big", 3), ("mid", 2), ("one", 1), ("none", 0)] {
        let album = Album::objects()
            .create(&mut conn, NewAlbum::new(name))
            .unwrap();
        for position in 1..=tracks {
            let form = NewTrack::new(album.id, format!("{name} {position}"), position);
            Track::objects().create(&mut conn, form).unwrap();
        }
        albums.push(album);
    }
    albums
}

fn names(albums: Vec<Album>) -> Vec<String> {
    let mut names: Vec<String> = albums.into_iter().map(|a| a.name).collect();
    names.sort();
    names
}

backend_test!(
    fn exists_of_the_rows_pointing_at_each_row(db: &TestDb) {
        seed(db);
        let mut conn = db.connect();
        // Albums with a track at position 2 or more: a correlated EXISTS, one statement.
        let long = Album::objects().filter(exists(
            tracks::table
                .filter(tracks::album.eq(albums::id))
                .filter(tracks::position.ge(2)),
        ));
        assert_eq!(names(long.all(&mut conn).unwrap()), ["big", "mid"]);
        assert_eq!(long.count(&mut conn).unwrap(), 2);
        // Albums with no track at all.
        let empty = Album::objects().filter(not(exists(
            tracks::table.filter(tracks::album.eq(albums::id)),
        )));
        assert_eq!(names(empty.all(&mut conn).unwrap()), ["none"]);

        // Async, the same QuerySet.
        let runtime = runtime(2);
        runtime.block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            assert_eq!(names(long.all(&pool).await.unwrap()), ["big", "mid"]);
            assert!(empty.exists(&pool).await.unwrap());
        });
    }
);

backend_test!(
    fn a_count_of_the_rows_pointing_at_each_row(db: &TestDb) {
        seed(db);
        let mut conn = db.connect();
        // Django's `annotate(n=Count("tracks"))`, typed: a correlated scalar subquery.
        let n_tracks = tracks::table
            .filter(tracks::album.eq(albums::id))
            .count()
            .single_value();
        let per_album = Album::objects()
            .order_by(albums::name.asc())
            .select((albums::name, n_tracks));
        let rows: Vec<(String, Option<i64>)> = per_album.all(&mut conn).unwrap();
        let rows: Vec<(&str, Option<i64>)> = rows.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        assert_eq!(
            rows,
            [
                ("big", Some(3)),
                ("mid", Some(2)),
                ("none", Some(0)),
                ("one", Some(1))
            ]
        );
        // Filtered by the count: albums with more than one track.
        let several = Album::objects().filter(
            tracks::table
                .filter(tracks::album.eq(albums::id))
                .count()
                .single_value()
                .gt(1),
        );
        assert_eq!(names(several.all(&mut conn).unwrap()), ["big", "mid"]);
    }
);
