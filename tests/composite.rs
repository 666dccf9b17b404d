//! Constraints over several columns (`#[orm(unique_together(..))]` and
//! `#[orm(index_together(..))]`) on every backend: the DDL creates them under orm's names
//! with their columns in declaration order; a violation is a unique violation whose
//! [`ConstraintInfo::fields`](orm::ConstraintInfo::fields) names the model's fields, blocking
//! and async, and nothing of the refused write is kept.

#[macro_use]
mod support;

use orm::prelude::*;
use orm::{Database, Error};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// Two playlists, two tracks, and the entries (first, t0, 1), (first, t1, 2),
/// (second, t0, 1).
struct Fixture {
    first: Playlist,
    second: Playlist,
    tracks: Vec<Track>,
}

fn setup(conn: &mut orm::Connection) -> Fixture {
    conn.create_all(&all_models()).unwrap();
    let album = Album::objects()
        .create(&mut *conn, NewAlbum::new("a"))
        .unwrap();
    let tracks: Vec<Track> = (1..=2)
        .map(|n| {
            let form = NewTrack::new(album.id, format!("t{n}"), n);
            Track::objects().create(&mut *conn, form).unwrap()
        })
        .collect();
    let first = Playlist::objects()
        .create(&mut *conn, NewPlaylist::new("first"))
        .unwrap();
    let second = Playlist::objects()
        .create(&mut *conn, NewPlaylist::new("second"))
        .unwrap();
    for (playlist, track, position) in [(&first, 0, 1), (&first, 1, 2), (&second, 0, 1)] {
        let form = entry(playlist, &tracks[track], position);
        PlaylistEntry::objects().create(&mut *conn, form).unwrap();
    }
    Fixture {
        first,
        second,
        tracks,
    }
}

fn entry(playlist: &Playlist, track: &Track, position: i32) -> NewPlaylistEntry {
    NewPlaylistEntry::new(playlist.id, track.id, position)
}

/// Every entry as (playlist, track, position), ordered.
fn stored(conn: &mut orm::Connection) -> Vec<(i64, i64, i32)> {
    let mut rows: Vec<_> = PlaylistEntry::objects()
        .all(conn)
        .unwrap()
        .into_iter()
        .map(|e| (*e.playlist.pk(), *e.track.pk(), e.position))
        .collect();
    rows.sort();
    rows
}

/// Asserts `err` is a unique violation of (playlist, track).
fn assert_pair_violation(err: &Error) {
    assert!(err.is_unique_violation(), "{err:?}");
    let info = err.constraint().unwrap();
    assert_eq!(
        info.fields(PlaylistEntry::meta()),
        ["playlist", "track"],
        "{info:?}"
    );
}

backend_test!(
    fn ddl_creates_both_groups_under_their_names(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&all_models()).unwrap();
        let live = conn.introspect().unwrap();
        let table = live.table("playlist_entries").unwrap();
        let unique = table
            .uniques
            .iter()
            .find(|u| u.name == "uq_playlist_entries_playlist_track")
            .unwrap_or_else(|| panic!("no composite unique in {:?}", table.uniques));
        assert_eq!(unique.columns, ["playlist", "track"]);
        let index = table
            .indexes
            .iter()
            .find(|i| i.name == "ix_playlist_entries_playlist_position")
            .unwrap_or_else(|| panic!("no composite index in {:?}", table.indexes));
        assert_eq!(index.columns, ["playlist", "position"]);
        // Creating them again changes nothing, and the models and the database agree.
        conn.create_all(&all_models()).unwrap();
        assert_eq!(conn.plan_migration(&all_models()).unwrap(), []);
    }
);

backend_test!(
    fn a_repeated_pair_is_refused_naming_both_fields(db: &TestDb) {
        let mut conn = db.connect();
        let f = setup(&mut conn);
        let before = stored(&mut conn);
        assert_eq!(before.len(), 3);

        // The same track again on the first playlist, at another position.
        let err = PlaylistEntry::objects()
            .create(&mut conn, entry(&f.first, &f.tracks[0], 3))
            .unwrap_err();
        assert_pair_violation(&err);
        assert_eq!(stored(&mut conn), before);

        // A batch whose second row repeats a pair: the first row is not kept either.
        let err = PlaylistEntry::objects()
            .bulk_create(
                &mut conn,
                vec![
                    entry(&f.second, &f.tracks[1], 2),
                    entry(&f.first, &f.tracks[1], 5),
                ],
            )
            .unwrap_err();
        assert_pair_violation(&err);
        assert_eq!(stored(&mut conn), before);

        // Moving (second, t0) onto the first playlist, which already has t0.
        let mut moved = PlaylistEntry::objects()
            .get(&mut conn, playlist_entries::playlist.eq(f.second.id))
            .unwrap();
        let unchanged = moved.clone();
        let err = moved
            .update(
                &mut conn,
                PlaylistEntryChanges {
                    playlist: Some(f.first.id),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert_pair_violation(&err);
        assert_eq!(moved, unchanged);
        assert_eq!(stored(&mut conn), before);

        // The same pair on another playlist, and another track on the same one, are fine.
        PlaylistEntry::objects()
            .create(&mut conn, entry(&f.second, &f.tracks[1], 2))
            .unwrap();
        assert_eq!(stored(&mut conn).len(), 4);
    }
);

backend_test!(
    fn single_column_violations_name_their_field(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&all_models()).unwrap();
        let album = Album::objects()
            .create(&mut conn, NewAlbum::new("a"))
            .unwrap();
        AlbumProfile::objects()
            .create(&mut conn, NewAlbumProfile::new(album.id))
            .unwrap();
        // One-to-one: a second profile of the same album.
        let err = AlbumProfile::objects()
            .create(&mut conn, NewAlbumProfile::new(album.id))
            .unwrap_err();
        assert!(err.is_unique_violation(), "{err:?}");
        let info = err.constraint().unwrap();
        assert_eq!(info.fields(AlbumProfile::meta()), ["album"], "{info:?}");
        // The same violation says nothing about another model's fields.
        assert!(info.fields(PlaylistEntry::meta()).is_empty(), "{info:?}");
        assert_eq!(AlbumProfile::objects().count(&mut conn).unwrap(), 1);
    }
);

backend_test!(
    fn async_violation_rolls_back_the_transaction(db: &TestDb) {
        let f = setup(&mut db.connect());
        let before = stored(&mut db.connect());
        let rt = runtime(2);
        rt.block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let err = PlaylistEntry::objects()
                .create(&pool, entry(&f.first, &f.tracks[1], 9))
                .await
                .unwrap_err();
            assert_pair_violation(&err);

            // A transaction that writes a good entry, then a repeated pair: neither stays.
            let outcome = pool
                .transaction(async |conn| {
                    PlaylistEntry::objects()
                        .create(&mut *conn, entry(&f.second, &f.tracks[1], 2))
                        .await?;
                    PlaylistEntry::objects()
                        .create(&mut *conn, entry(&f.second, &f.tracks[0], 3))
                        .await
                })
                .await;
            assert_pair_violation(&outcome.unwrap_err());
        });
        assert_eq!(stored(&mut db.connect()), before);
    }
);
