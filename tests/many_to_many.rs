//! Many-to-many writes on every backend, blocking and async: `playlist.tracks()` (from
//! `#[orm(many_to_many(tracks = PlaylistEntry.track))]`) adds, removes, sets and clears
//! the links, and lists the linked tracks as a QuerySet. A duplicate add is a no-op; a
//! link that fails validation, or a target row that does not exist, writes nothing (a
//! `set` keeps its old links then).

#[macro_use]
mod support;
mod fixtures;

use orm::prelude::*;
use orm::{Database, Error, Relinked};
use orm_suite::models::*;
#[allow(unused_imports)]
use support::TestDb;
use support::{count_rows, runtime};

/// Two playlists ("mix", "late") and five tracks on one album.
fn setup(conn: &mut orm::Connection) -> (Vec<Playlist>, Vec<Track>) {
    conn.create_all(&all_models()).unwrap();
    let album = Album::objects()
        .create(&mut *conn, NewAlbum::new("Kind"))
        .unwrap();
    let tracks = (1..=5)
        .map(|i| {
            let form = NewTrack::new(album.id, format!("t{i}"), i);
            Track::objects().create(&mut *conn, form).unwrap()
        })
        .collect();
    let playlists = ["mix", "late"]
        .into_iter()
        .map(|name| {
            Playlist::objects()
                .create(&mut *conn, NewPlaylist::new(name))
                .unwrap()
        })
        .collect();
    (playlists, tracks)
}

/// The through row of a new link at `position`.
fn at(position: i32) -> impl Fn(i64, i64) -> NewPlaylistEntry {
    move |playlist, track| NewPlaylistEntry::new(playlist, track, position)
}

/// The titles of `playlist`'s tracks, in id order.
fn titles(conn: &mut orm::Connection, playlist: &Playlist) -> Vec<String> {
    let tracks = playlist
        .tracks()
        .all()
        .order_by(tracks::id)
        .all(conn)
        .unwrap();
    tracks.into_iter().map(|t| t.title).collect()
}

/// `(track id, position)` of `playlist`'s entries, by track.
fn entries(conn: &mut orm::Connection, playlist: &Playlist) -> Vec<(i64, i32)> {
    PlaylistEntry::objects()
        .filter(playlist_entries::playlist.eq(playlist.id))
        .order_by(playlist_entries::track)
        .all(conn)
        .unwrap()
        .into_iter()
        .map(|e| (*e.track.pk(), e.position))
        .collect()
}

backend_test!(
    fn add_remove_set_and_clear(db: &TestDb) {
        let mut conn = db.connect();
        let (playlists, t) = setup(&mut conn);
        let (mix, late) = (&playlists[0], &playlists[1]);

        let added = mix.tracks().add(&mut conn, [&t[0], &t[1]], at(5)).unwrap();
        assert_eq!(added, 2);
        // Linked already (t1) or listed twice (t2): each added once, no error.
        let added = mix
            .tracks()
            .add(&mut conn, [&t[1], &t[2], &t[2]], at(6))
            .unwrap();
        assert_eq!(added, 1);
        assert_eq!(titles(&mut conn, mix), ["t1", "t2", "t3"]);
        assert_eq!(
            entries(&mut conn, mix),
            [(t[0].id, 5), (t[1].id, 5), (t[2].id, 6)]
        );
        // The other playlist is untouched; nothing listed adds nothing.
        assert!(titles(&mut conn, late).is_empty());
        let none: [&Track; 0] = [];
        assert_eq!(late.tracks().add(&mut conn, none, at(1)).unwrap(), 0);

        // The linked rows are a QuerySet like any other.
        let filtered = mix
            .tracks()
            .all()
            .filter(tracks::position.ge(2))
            .count(&mut conn)
            .unwrap();
        assert_eq!(filtered, 2);

        // set: t1 stays as it was (position 5), t2 and t3 go, t4 comes.
        let changed = mix.tracks().set(&mut conn, [&t[0], &t[3]], at(9)).unwrap();
        assert_eq!(
            changed,
            Relinked {
                added: 1,
                removed: 2
            }
        );
        assert_eq!(entries(&mut conn, mix), [(t[0].id, 5), (t[3].id, 9)]);

        // remove: t2 is not linked (no error, not counted).
        let removed = mix.tracks().remove(&mut conn, [&t[3], &t[1]]).unwrap();
        assert_eq!(removed, 1);
        assert_eq!(titles(&mut conn, mix), ["t1"]);
        assert_eq!(mix.tracks().remove(&mut conn, none).unwrap(), 0);

        // The other side of the same through model: a track's playlists.
        let added = t[4]
            .playlists()
            .add(&mut conn, [mix, late], |track, playlist| {
                NewPlaylistEntry::new(playlist, track, 2)
            })
            .unwrap();
        assert_eq!(added, 2);
        assert_eq!(titles(&mut conn, mix), ["t1", "t5"]);
        assert_eq!(titles(&mut conn, late), ["t5"]);
        // By name, across the relation.
        let with_t5 = Playlist::objects()
            .filter_by("tracks__title", "t5")
            .unwrap()
            .count(&mut conn)
            .unwrap();
        assert_eq!(with_t5, 2);

        // clear: only this playlist's links; an empty set is a clear.
        assert_eq!(mix.tracks().clear(&mut conn).unwrap(), 2);
        assert!(titles(&mut conn, mix).is_empty());
        assert_eq!(titles(&mut conn, late), ["t5"]);
        let changed = late.tracks().set(&mut conn, none, at(1)).unwrap();
        assert_eq!(
            changed,
            Relinked {
                added: 0,
                removed: 1
            }
        );
        assert_eq!(count_rows(&mut conn, "playlist_entries"), 0);
    }
);

backend_test!(
    fn bad_links_write_nothing(db: &TestDb) {
        let mut conn = db.connect();
        let (playlists, t) = setup(&mut conn);
        let mix = &playlists[0];
        mix.tracks().add(&mut conn, [&t[0]], at(1)).unwrap();

        // A through row that fails validation (position is at least 1): nothing written.
        let err = mix
            .tracks()
            .add(&mut conn, [&t[1], &t[2]], at(0))
            .unwrap_err();
        let Error::Validation(invalid) = err else {
            panic!("{err:?}")
        };
        assert!(invalid.errors.iter().all(|e| e.field == "position"));
        assert_eq!(titles(&mut conn, mix), ["t1"]);

        // A track that is not stored: the foreign key refuses it, and the valid link
        // listed with it is not written either.
        let ghost = Track {
            id: t[4].id + 1000,
            ..t[4].clone()
        };
        let err = mix
            .tracks()
            .add(&mut conn, [&t[1], &ghost], at(1))
            .unwrap_err();
        assert!(err.is_foreign_key_violation(), "{err:?}");
        assert_eq!(titles(&mut conn, mix), ["t1"]);

        // A failed set keeps the old links: its delete is rolled back.
        let err = mix
            .tracks()
            .set(&mut conn, [&t[2], &ghost], at(1))
            .unwrap_err();
        assert!(err.is_foreign_key_violation(), "{err:?}");
        assert_eq!(titles(&mut conn, mix), ["t1"]);
        assert_eq!(count_rows(&mut conn, "playlist_entries"), 1);
    }
);

backend_test!(
    fn async_links_on_a_pool_and_in_a_transaction(db: &TestDb) {
        let mut conn = db.connect();
        let (playlists, t) = setup(&mut conn);
        let mix = playlists[0].clone();
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let added = mix
                .tracks()
                .add(&pool, [&t[0], &t[1], &t[2]], at(1))
                .await
                .unwrap();
            assert_eq!(added, 3);
            let changed = mix
                .tracks()
                .set(&pool, [&t[1], &t[3]], at(2))
                .await
                .unwrap();
            assert_eq!(
                changed,
                Relinked {
                    added: 1,
                    removed: 2
                }
            );
            let linked = mix
                .tracks()
                .all()
                .order_by(tracks::id)
                .all(&pool)
                .await
                .unwrap();
            assert_eq!(
                linked.iter().map(|t| t.id).collect::<Vec<_>>(),
                [t[1].id, t[3].id]
            );
            assert_eq!(mix.tracks().remove(&pool, [&t[1]]).await.unwrap(), 1);

            // Inside a transaction that is rolled back: the links come back as they were.
            let outcome: orm::Result<()> = pool
                .transaction(async |tx| {
                    assert_eq!(mix.tracks().clear(&mut *tx).await?, 1);
                    let added = mix.tracks().add(&mut *tx, [&t[4]], at(3)).await?;
                    assert_eq!(added, 1);
                    Err(Error::Usage {
                        message: "roll back".into(),
                    })
                })
                .await;
            assert!(matches!(outcome, Err(Error::Usage { .. })));
            let left = mix.tracks().all().count(&pool).await.unwrap();
            assert_eq!(left, 1);
        });
        assert_eq!(titles(&mut conn, &mix), ["t4"]);
    }
);

/// The tables of `Person` and `Friendship`, and three people: Ann, Bob and Cy.
fn three_people(db: &TestDb) -> (orm::Connection, [fixtures::Person; 3]) {
    use fixtures::{Friendship, NewPerson, Person};
    let mut conn = db.connect();
    conn.create_all(&[Person::meta(), Friendship::meta()])
        .unwrap();
    let people = ["Ann", "Bob", "Cy"].map(|name| {
        Person::objects()
            .create(&mut conn, NewPerson::new(name))
            .unwrap()
    });
    (conn, people)
}

backend_test!(
    fn a_model_linked_to_itself(db: &TestDb) {
        use fixtures::{people, NewFriendship, Person};
        let (mut conn, [ann, bob, cy]) = three_people(db);
        let befriend = |person, friend| NewFriendship::new(person, friend);
        assert_eq!(
            ann.friends().add(&mut conn, [&bob, &cy], befriend).unwrap(),
            2
        );
        assert_eq!(bob.friends().add(&mut conn, [&cy], befriend).unwrap(), 1);
        // One way: the owner's side is `person`, the target's `friend`.
        let names =
            |people: Vec<Person>| -> Vec<String> { people.into_iter().map(|p| p.name).collect() };
        let friends_of = |conn: &mut orm::Connection, p: &Person| {
            names(p.friends().all().order_by(people::name).all(conn).unwrap())
        };
        assert_eq!(friends_of(&mut conn, &ann), ["Bob", "Cy"]);
        assert_eq!(friends_of(&mut conn, &bob), ["Cy"]);
        assert!(friends_of(&mut conn, &cy).is_empty());
        // By name: a filter across the relation, and the rows attached.
        let cys_friends = Person::objects()
            .filter_by("friends__name", "Cy")
            .unwrap()
            .order_by(people::name)
            .all(&mut conn)
            .unwrap();
        assert_eq!(names(cys_friends), ["Ann", "Bob"]);
        let everyone = Person::objects()
            .order_by(people::id)
            .prefetch_related(&["friends"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        let attached: Vec<Vec<String>> = everyone
            .iter()
            .map(|p| {
                let mut friends: Vec<String> = p
                    .friends
                    .get()
                    .expect("friends attached")
                    .iter()
                    .map(|f| f.name.clone())
                    .collect();
                friends.sort();
                friends
            })
            .collect();
        assert_eq!(attached, [vec!["Bob", "Cy"], vec!["Cy"], vec![]]);
        assert_eq!(ann.friends().remove(&mut conn, [&bob]).unwrap(), 1);
        assert_eq!(friends_of(&mut conn, &ann), ["Cy"]);
        assert_eq!(friends_of(&mut conn, &bob), ["Cy"]);
    }
);

backend_test!(
    fn a_model_linked_to_itself_async(db: &TestDb) {
        use fixtures::{people, NewFriendship, Person};
        let (_conn, [ann, bob, cy]) = three_people(db);
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let befriend = |person, friend| NewFriendship::new(person, friend);
            let added = ann.friends().add(&pool, [&bob, &cy], befriend).await;
            assert_eq!(added.unwrap(), 2);
            let relinked = bob.friends().set(&pool, [&ann], befriend).await.unwrap();
            assert_eq!(relinked.added, 1);
            let everyone = Person::objects()
                .order_by(people::id)
                .prefetch_related(&["friends"])
                .unwrap()
                .all(&pool)
                .await
                .unwrap();
            let attached: Vec<Vec<&str>> = everyone
                .iter()
                .map(|p| {
                    let mut names: Vec<&str> = p
                        .friends
                        .get()
                        .expect("attached")
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect();
                    names.sort();
                    names
                })
                .collect();
            assert_eq!(attached, [vec!["Bob", "Cy"], vec!["Ann"], vec![]]);
            let befriended_ann = Person::objects()
                .filter_by("friends__name", "Ann")
                .unwrap()
                .all(&pool)
                .await
                .unwrap();
            assert_eq!(befriended_ann.len(), 1);
            assert_eq!(befriended_ann[0].name, "Bob");
        });
    }
);
