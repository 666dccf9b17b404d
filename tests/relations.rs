//! Relations on every backend (blocking): select_related by JOIN (one query, the foreign
//! key filled), a nullable foreign key by LEFT JOIN (null stays `None`), filtering across
//! a relation, prefetch of the children of 100 parents in one extra query, and the
//! reverse accessor `related`.

#[macro_use]
mod support;
mod fixtures;

use std::sync::atomic::Ordering;

use diesel::{QueryDsl, RunQueryDsl};
use fixtures::*;
use orm::prelude::*;
use orm::Error;
use orm_suite::models::*;
use support::count_queries;
#[allow(unused_imports)]
use support::TestDb;

backend_test!(
    fn select_related_loads_the_foreign_key_in_one_query(db: &TestDb) {
        let mut conn = seed(db, 2, 2);
        let queries = count_queries(&mut conn);
        let tracks = Track::objects()
            .select_related::<Album>()
            .order_by(tracks::id)
            .all(&mut conn)
            .unwrap();
        assert_eq!(queries.load(Ordering::SeqCst), 1);
        assert_eq!(tracks.len(), 4);
        for t in &tracks {
            let album = t.album.get().expect("album loaded");
            assert_eq!(album.id, *t.album.pk());
            assert!(t.title.starts_with(&album.name));
        }
        let first = Track::objects()
            .select_related::<Album>()
            .order_by(tracks::id.desc())
            .first(&mut conn)
            .unwrap()
            .unwrap();
        assert_eq!(first.album.get().unwrap().name, "A2");
        // Without select_related the key stays sparse.
        let sparse = Track::objects().all(&mut conn).unwrap();
        assert!(sparse.iter().all(|t| !t.album.is_loaded()));
    }
);

backend_test!(
    fn select_related_on_a_nullable_key_left_joins(db: &TestDb) {
        let mut conn = seed(db, 1, 0);
        let playlists = Playlist::objects()
            .select_related::<Album>()
            .order_by(playlists::id)
            .all(&mut conn)
            .unwrap();
        assert_eq!(playlists.len(), 2);
        let featured = playlists[0].featured.as_ref().expect("featured");
        assert_eq!(featured.get().map(|a| a.name.as_str()), Some("A1"));
        assert!(playlists[1].featured.is_none());
        // A null key before a loaded one: each row still gets its own related row.
        let backend = conn.backend();
        let rows: Vec<_> = (3..=6_i64)
            .map(|id| {
                (
                    playlists::id.eq(id),
                    playlists::name.eq(format!("p{id}")),
                    playlists::featured.eq((id % 2 == 0).then_some(1)),
                )
            })
            .collect();
        orm::dispatch!(&mut conn, c => diesel::insert_into(playlists::table).values(rows.clone()).execute(c))
            .map_err(|e| Error::from_diesel(e, backend))
            .unwrap();
        let by_id_desc = Playlist::objects()
            .select_related::<Album>()
            .order_by(playlists::id.desc())
            .all(&mut conn)
            .unwrap();
        let loaded: Vec<(String, Option<String>)> = by_id_desc
            .iter()
            .map(|p| {
                let album = p.featured.as_ref().map(|f| f.get().expect("loaded"));
                (p.name.clone(), album.map(|a| a.name.clone()))
            })
            .collect();
        let some = |name: &str| Some(name.to_string());
        assert_eq!(
            loaded,
            [
                ("p6".to_string(), some("A1")),
                ("p5".to_string(), None),
                ("p4".to_string(), some("A1")),
                ("p3".to_string(), None),
                ("none".to_string(), None),
                ("one".to_string(), some("A1")),
            ]
        );
    }
);

backend_test!(
    fn a_left_join_gives_each_row_its_own_related_row_around_missing_ones(db: &TestDb) {
        // Three different albums, with null keys between them, in a run, last and (in
        // the other order) first: a row's related row is found by its place among the
        // rows that have one.
        let mut conn = seed(db, 3, 0);
        add_playlists_with_gaps(&mut conn);
        let by_id = Playlist::objects()
            .select_related::<Album>()
            .order_by(playlists::id)
            .all(&mut conn)
            .unwrap();
        assert_eq!(featured(&by_id), featured_by_id());
        let by_id_desc = Playlist::objects()
            .select_related::<Album>()
            .order_by(playlists::id.desc())
            .all(&mut conn)
            .unwrap();
        let mut expected = featured_by_id();
        expected.reverse();
        assert_eq!(featured(&by_id_desc), expected);
        // A page from the middle, and the first row.
        let page = Playlist::objects()
            .select_related::<Album>()
            .order_by(playlists::id)
            .offset(3)
            .limit(4)
            .all(&mut conn)
            .unwrap();
        assert_eq!(featured(&page), featured_by_id()[3..7]);
        let first = Playlist::objects()
            .select_related::<Album>()
            .order_by(playlists::id.desc())
            .first(&mut conn)
            .unwrap()
            .expect("a playlist");
        assert_eq!(featured(&[first]), featured_by_id()[8..]);
    }
);

backend_test!(
    fn filter_across_a_relation(db: &TestDb) {
        let mut conn = seed(db, 3, 2);
        let queries = count_queries(&mut conn);
        let qs = Track::objects()
            .filter(tracks::position.eq(2))
            .select_related::<Album>()
            .filter(albums::name.eq_any(["A1", "A3"]))
            .order_by(albums::name.desc());
        let tracks = qs.all(&mut conn).unwrap();
        assert_eq!(queries.load(Ordering::SeqCst), 1);
        let titles: Vec<&str> = tracks.iter().map(|t| t.title.as_str()).collect();
        assert_eq!(titles, ["A3 T2", "A1 T2"]);
        assert_eq!(tracks[0].album.get().unwrap().name, "A3");
        assert_eq!(qs.count(&mut conn).unwrap(), 2);
        let none = Playlist::objects()
            .select_related::<Album>()
            .filter(albums::name.eq("A1"))
            .exclude(playlists::name.eq("one"))
            .all(&mut conn)
            .unwrap();
        assert!(none.is_empty());
    }
);

backend_test!(
    fn prefetch_of_100_000_parents_chunks_its_keys(db: &TestDb) {
        let mut conn = seed(db, 3, 2);
        // More parents than any backend binds in one statement (SQLite 32 766, PostgreSQL
        // and MySQL 65 535), and album 2 listed twice.
        let mut parents: Vec<Album> = (1..=100_000)
            .map(|id| Album {
                id,
                name: format!("A{id}"),
                tracks: Related::new(),
            })
            .collect();
        parents.push(parents[1].clone());
        let queries = count_queries(&mut conn);
        let grouped = orm::prefetch::<Track, Album, _>(&mut conn, parents).unwrap();
        let per_query = orm::related_names::KEYS_PER_QUERY;
        assert_eq!(
            queries.load(Ordering::SeqCst),
            100_000_usize.div_ceil(per_query)
        );
        assert_eq!(grouped.len(), 100_001);
        let tracks_of = |i: usize| -> Vec<&str> {
            let mut titles: Vec<&str> = grouped[i].1.iter().map(|t| t.title.as_str()).collect();
            titles.sort();
            titles
        };
        assert_eq!(tracks_of(0), ["A1 T1", "A1 T2"]);
        assert_eq!(tracks_of(1), ["A2 T1", "A2 T2"]);
        assert_eq!(
            tracks_of(100_000),
            ["A2 T1", "A2 T2"],
            "the repeated parent"
        );
        assert_eq!(grouped[100_000].0.id, 2);
        assert!(grouped[3..100_000]
            .iter()
            .all(|(_, tracks)| tracks.is_empty()));
    }
);

backend_test!(
    fn prefetch_loads_children_of_100_parents_in_one_query(db: &TestDb) {
        let mut conn = seed(db, 100, 2);
        // One more album without tracks.
        let backend = conn.backend();
        orm::dispatch!(&mut conn, c => diesel::insert_into(albums::table)
            .values((albums::id.eq(101), albums::name.eq("empty")))
            .execute(c))
        .map_err(|e| Error::from_diesel(e, backend))
        .unwrap();
        let queries = count_queries(&mut conn);
        let albums = Album::objects()
            .order_by(albums::id)
            .all(&mut conn)
            .unwrap();
        let grouped = orm::prefetch::<Track, Album, _>(&mut conn, albums).unwrap();
        assert_eq!(queries.load(Ordering::SeqCst), 2);
        assert_eq!(grouped.len(), 101);
        for (album, tracks) in &grouped[..100] {
            let mut titles: Vec<&str> = tracks.iter().map(|t| t.title.as_str()).collect();
            titles.sort();
            let name = &album.name;
            assert_eq!(titles, [format!("{name} T1"), format!("{name} T2")]);
        }
        assert_eq!(grouped[100].0.name, "empty");
        assert!(grouped[100].1.is_empty());
        assert!(orm::prefetch::<Track, Album, _>(&mut conn, Vec::new())
            .unwrap()
            .is_empty());
        assert_eq!(queries.load(Ordering::SeqCst), 2);

        // The reverse accessor.
        let album = &grouped[4].0;
        let mine = album
            .related::<Track>()
            .order_by(tracks::position)
            .all(&mut conn)
            .unwrap();
        let titles: Vec<&str> = mine.iter().map(|t| t.title.as_str()).collect();
        assert_eq!(titles, ["A5 T1", "A5 T2"]);
        assert_eq!(
            grouped[0].0.related::<Playlist>().count(&mut conn).unwrap(),
            1
        );
    }
);

backend_test!(
    fn select_related_with_slices_and_names(db: &TestDb) {
        let mut conn = seed(db, 3, 2);
        let page = Track::objects()
            .select_related::<Album>()
            .order_by(tracks::id)
            .offset(1)
            .limit(2)
            .all(&mut conn)
            .unwrap();
        let titles: Vec<&str> = page.iter().map(|t| t.title.as_str()).collect();
        assert_eq!(titles, ["A1 T2", "A2 T1"]);
        assert!(page.iter().all(|t| t.album.is_loaded()));
        let named = Track::objects()
            .filter_by("title__icontains", "a2 t")
            .unwrap()
            .select_related::<Album>()
            .order_by(tracks::id)
            .all(&mut conn)
            .unwrap();
        let titles: Vec<&str> = named.iter().map(|t| t.title.as_str()).collect();
        assert_eq!(titles, ["A2 T1", "A2 T2"]);
        assert_eq!(named[1].album.get().unwrap().name, "A2");
    }
);

backend_test!(
    fn select_related_two_levels(db: &TestDb) {
        seed_streets(db);
        let mut conn = db.connect();
        let queries = count_queries(&mut conn);
        let streets = Street::objects()
            .select_related2::<City, Country>()
            .filter(countries::name.eq("France"))
            .order_by(streets::name)
            .all(&mut conn)
            .unwrap();
        assert_eq!(queries.load(Ordering::SeqCst), 1);
        let names: Vec<&str> = streets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Bac", "Rivoli"]);
        let city = streets[0].city.get().expect("city loaded");
        assert_eq!(city.name, "Paris");
        assert_eq!(city.country.get().expect("country loaded").name, "France");
    }
);

backend_test!(
    fn select_related_three_levels(db: &TestDb) {
        seed_streets(db);
        let mut conn = db.connect();
        let queries = count_queries(&mut conn);
        let houses = House::objects()
            .select_related3::<Street, City, Country>()
            .order_by(houses::number)
            .all(&mut conn)
            .unwrap();
        assert_eq!(queries.load(Ordering::SeqCst), 1);
        let found: Vec<(i32, &str, &str, &str)> = houses
            .iter()
            .map(|h| {
                let street = h.street.get().expect("street loaded");
                let city = street.city.get().expect("city loaded");
                let country = city.country.get().expect("country loaded");
                (
                    h.number,
                    street.name.as_str(),
                    city.name.as_str(),
                    country.name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (7, "Corso", "Rome", "Italy"),
                (12, "Bac", "Paris", "France")
            ]
        );
        // Filters over any of the joined tables.
        let french = House::objects()
            .select_related3::<Street, City, Country>()
            .filter(countries::name.eq("France"))
            .count(&mut conn)
            .unwrap();
        assert_eq!(french, 1);
    }
);

fn titles(tracks: &[Track]) -> Vec<&str> {
    tracks.iter().map(|t| t.title.as_str()).collect()
}

backend_test!(
    fn by_name_paths_across_one_relation(db: &TestDb) {
        let mut conn = seed(db, 3, 2);
        let queries = count_queries(&mut conn);
        let a2 = Track::objects()
            .filter_by("album__name", "A2")
            .unwrap()
            .order_by(tracks::id)
            .all(&mut conn)
            .unwrap();
        assert_eq!(queries.load(Ordering::SeqCst), 1);
        assert_eq!(titles(&a2), ["A2 T1", "A2 T2"]);
        // A lookup at the end of the path; exclude; ordering by the related field.
        let not_a1 = Track::objects()
            .filter_by("album__name__icontains", "a")
            .unwrap()
            .exclude_by("album__name__iexact", "a1")
            .unwrap()
            .order_by_names(&["-album__name", "position"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        assert_eq!(titles(&not_a1), ["A3 T1", "A3 T2", "A2 T1", "A2 T2"]);
        let by_pk = Track::objects()
            .filter_by("album__pk__in", "1,3")
            .unwrap()
            .count(&mut conn)
            .unwrap();
        assert_eq!(by_pk, 4);
        // A value written as SQL is bound: no row, every table intact.
        let hostile = Track::objects()
            .filter_by("album__name", "A1' OR '1'='1")
            .unwrap()
            .count(&mut conn)
            .unwrap();
        assert_eq!(hostile, 0);
        assert_eq!(Album::objects().count(&mut conn).unwrap(), 3);
        // With select_related too: the by-name filter and the join in one query.
        let joined = Track::objects()
            .filter_by("album__name", "A3")
            .unwrap()
            .select_related::<Album>()
            .order_by(tracks::id)
            .all(&mut conn)
            .unwrap();
        assert_eq!(titles(&joined), ["A3 T1", "A3 T2"]);
        assert_eq!(joined[0].album.get().unwrap().name, "A3");
    }
);

backend_test!(
    fn by_name_paths_through_a_nullable_key(db: &TestDb) {
        let mut conn = seed(db, 1, 0);
        let names = |qs: Result<_, orm::NameError>, conn: &mut orm::Connection| -> Vec<String> {
            let qs: orm::QuerySet<Playlist, _, _> = qs.unwrap();
            qs.order_by(playlists::id)
                .all(conn)
                .unwrap()
                .into_iter()
                .map(|p| p.name)
                .collect()
        };
        let featured = names(
            Playlist::objects().filter_by("featured__name", "A1"),
            &mut conn,
        );
        assert_eq!(featured, ["one"]);
        // Excluding by a related field keeps the rows whose key is null.
        let others = names(
            Playlist::objects().exclude_by("featured__name", "A1"),
            &mut conn,
        );
        assert_eq!(others, ["none"]);
        let kept = names(
            Playlist::objects().exclude_by("featured__name", "zz"),
            &mut conn,
        );
        assert_eq!(kept, ["one", "none"]);
        let null = names(
            Playlist::objects().filter_by("featured__isnull", "true"),
            &mut conn,
        );
        assert_eq!(null, ["none"]);
        let ordered = Playlist::objects()
            .order_by_names(&["featured__name", "id"])
            .unwrap()
            .count(&mut conn)
            .unwrap();
        assert_eq!(ordered, 2);
    }
);

backend_test!(
    fn by_name_paths_across_two_relations(db: &TestDb) {
        seed_streets(db);
        let mut conn = db.connect();
        let french: Vec<String> = Street::objects()
            .filter_by("city__country__name", "France")
            .unwrap()
            .order_by_names(&["name"])
            .unwrap()
            .all(&mut conn)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(french, ["Bac", "Rivoli"]);
        let ordered: Vec<String> = Street::objects()
            .order_by_names(&["-city__country__name", "name"])
            .unwrap()
            .all(&mut conn)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(ordered, ["Corso", "Bac", "Rivoli"]);
        let not_italy = Street::objects()
            .exclude_by("city__country__name__istartswith", "IT")
            .unwrap()
            .count(&mut conn)
            .unwrap();
        assert_eq!(not_italy, 2);
    }
);

backend_test!(
    fn by_name_paths_through_a_self_reference(db: &TestDb) {
        seed_categories(db);
        let mut conn = db.connect();
        let names = |path: &str, value: &str, conn: &mut orm::Connection| -> Vec<String> {
            Category::objects()
                .filter_by(path, value)
                .unwrap()
                .order_by(categories::id)
                .all(conn)
                .unwrap()
                .into_iter()
                .map(|c| c.name)
                .collect()
        };
        assert_eq!(names("parent__name", "root", &mut conn), ["music", "books"]);
        assert_eq!(names("parent__parent__name", "root", &mut conn), ["jazz"]);
        // Ordering by the parent's name (rows with a parent: NULL ordering differs by backend).
        let by_parent: Vec<String> = Category::objects()
            .filter_by("parent__isnull", "false")
            .unwrap()
            .order_by_names(&["parent__name", "-name"])
            .unwrap()
            .all(&mut conn)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(by_parent, ["jazz", "music", "books"]);
    }
);

backend_test!(
    fn select_related_by_names_any_depth(db: &TestDb) {
        let mut conn = seed(db, 3, 2);
        let queries = count_queries(&mut conn);
        let tracks = Track::objects()
            .filter(tracks::position.eq(1))
            .order_by(tracks::id)
            .select_related_names(&["album"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        // The tracks, then the distinct albums they reference: two statements.
        assert_eq!(queries.load(Ordering::SeqCst), 2);
        assert_eq!(titles(&tracks), ["A1 T1", "A2 T1", "A3 T1"]);
        for t in &tracks {
            assert_eq!(t.album.get().expect("album loaded").id, *t.album.pk());
        }
        let first = Track::objects()
            .order_by(tracks::id.desc())
            .select_related_names(&["album"])
            .unwrap()
            .first(&mut conn)
            .unwrap()
            .unwrap();
        assert_eq!(first.album.get().unwrap().name, "A3");
        // A nullable key: loaded where set, None where null.
        let playlists = Playlist::objects()
            .order_by(playlists::id)
            .select_related_names(&["featured"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        let featured = playlists[0].featured.as_ref().unwrap();
        assert_eq!(featured.get().unwrap().name, "A1");
        assert!(playlists[1].featured.is_none());
        // Names are checked against each model reached.
        let qs = || Track::objects();
        assert!(matches!(
            qs().select_related_names(&["title"]),
            Err(orm::NameError::NotARelation {
                model: "Track",
                field: "title"
            })
        ));
        assert!(matches!(
            qs().select_related_names(&["album__name"]),
            Err(orm::NameError::NotARelation {
                model: "Album",
                field: "name"
            })
        ));
        assert!(matches!(
            qs().select_related_names(&["albm"]),
            Err(orm::NameError::UnknownField { model: "Track", .. })
        ));
    }
);

backend_test!(
    fn select_related_by_names_two_levels_and_a_self_reference(db: &TestDb) {
        seed_streets(db);
        seed_categories(db);
        let mut conn = db.connect();
        let queries = count_queries(&mut conn);
        let streets = Street::objects()
            .order_by(streets::name)
            .select_related_names(&["city__country", "city"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        // Streets, their cities, the cities' countries.
        assert_eq!(queries.load(Ordering::SeqCst), 3);
        let names: Vec<(&str, &str, &str)> = streets
            .iter()
            .map(|s| {
                let city = s.city.get().expect("city loaded");
                let country = city.country.get().expect("country loaded");
                (s.name.as_str(), city.name.as_str(), country.name.as_str())
            })
            .collect();
        assert_eq!(
            names,
            [
                ("Bac", "Paris", "France"),
                ("Corso", "Rome", "Italy"),
                ("Rivoli", "Paris", "France")
            ]
        );
        let jazz = Category::objects()
            .filter(categories::name.eq("jazz"))
            .select_related_names(&["parent__parent"])
            .unwrap()
            .first(&mut conn)
            .unwrap()
            .unwrap();
        let music = jazz.parent.as_ref().unwrap().get().expect("parent loaded");
        assert_eq!(music.name, "music");
        let root = music
            .parent
            .as_ref()
            .unwrap()
            .get()
            .expect("grandparent loaded");
        assert_eq!(root.name, "root");
        assert!(root.parent.is_none());
    }
);

backend_test!(
    fn models_that_reference_each_other(db: &TestDb) {
        let mut conn = db.connect();
        let models = [Player::meta(), Team::meta()];
        conn.create_all(&models).unwrap();
        conn.create_all(&models).unwrap(); // idempotent, the deferred key included
        let backend = conn.backend();
        orm::dispatch!(&mut conn, c => insert_teams(c)
            .and_then(|_| diesel::insert_into(players::table)
                .values(vec![
                    (players::id.eq(10i64), players::team.eq(1i64), players::name.eq("Ann")),
                    (players::id.eq(11i64), players::team.eq(1i64), players::name.eq("Bob")),
                    (players::id.eq(20i64), players::team.eq(2i64), players::name.eq("Cy")),
                ])
                .execute(c))
            .and_then(|_| diesel::update(teams::table.filter(teams::id.eq(1i64)))
                .set(teams::captain.eq(Some(11i64)))
                .execute(c)))
        .map_err(|e| Error::from_diesel(e, backend))
        .unwrap();
        // The deferred key is a real constraint: a captain that is no player is refused.
        let missing = orm::dispatch!(&mut conn, c => diesel::update(teams::table)
            .set(teams::captain.eq(Some(99i64)))
            .execute(c))
        .map_err(|e| Error::from_diesel(e, backend));
        assert!(
            matches!(missing, Err(Error::ForeignKeyViolation { .. })),
            "{missing:?}"
        );
        // Joined from the side that declares the join; by name from the other.
        let players = Player::objects()
            .select_related::<Team>()
            .order_by(players::id)
            .all(&mut conn)
            .unwrap();
        assert_eq!(players[0].team.get().unwrap().name, "Reds");
        let teams = Team::objects()
            .order_by(teams::id)
            .select_related_names(&["captain__team"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        let captain = teams[0].captain.as_ref().unwrap().get().unwrap();
        assert_eq!(captain.name, "Bob");
        assert_eq!(captain.team.get().unwrap().name, "Reds");
        assert!(teams[1].captain.is_none());
        let led_by_bob = Team::objects()
            .filter_by("captain__name", "Bob")
            .unwrap()
            .count(&mut conn)
            .unwrap();
        assert_eq!(led_by_bob, 1);
        // The no_join key joins through an alias.
        let captains = Team::objects()
            .select_related_via(teams::captain)
            .order_by(teams::id)
            .all(&mut conn)
            .unwrap();
        let captain = captains[0].captain.as_ref().unwrap().get().unwrap();
        assert_eq!((captain.id, captain.name.as_str()), (11, "Bob"));
        assert!(captains[1].captain.is_none());
        let rosters: Vec<(Team, Vec<Player>)> = orm::prefetch(&mut conn, teams).unwrap();
        assert_eq!(rosters[0].1.len(), 2);
        // ON DELETE SET NULL on the deferred key.
        orm::dispatch!(&mut conn, c => diesel::delete(players::table.filter(players::id.eq(11i64)))
            .execute(c))
        .map_err(|e| Error::from_diesel(e, backend))
        .unwrap();
        let reds = Team::objects().get(&mut conn, teams::id.eq(1i64)).unwrap();
        assert!(reds.captain.is_none());
        // drop_all drops the deferred key first; it can run twice and build again.
        conn.drop_all(&models).unwrap();
        conn.drop_all(&models).unwrap();
        conn.create_all(&models).unwrap();
        assert_eq!(Team::objects().count(&mut conn).unwrap(), 0);
    }
);

backend_test!(
    fn select_related_names_needs_no_clone(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&[Owner::meta(), Pet::meta()]).unwrap();
        let backend = conn.backend();
        orm::dispatch!(&mut conn, c => diesel::insert_into(owners::table)
            .values((owners::id.eq(1i64), owners::name.eq("Kim")))
            .execute(c)
            .and_then(|_| diesel::insert_into(pets::table)
                .values(vec![
                    (pets::id.eq(1i64), pets::owner.eq(1i64)),
                    (pets::id.eq(2i64), pets::owner.eq(1i64)),
                ])
                .execute(c)))
        .map_err(|e| Error::from_diesel(e, backend))
        .unwrap();
        let pets = Pet::objects()
            .select_related_names(&["owner"])
            .unwrap()
            .all(&mut conn)
            .unwrap();
        assert_eq!(pets.len(), 2);
        // Both pets share the one loaded owner.
        let a = pets[0].owner.get().unwrap();
        let b = pets[1].owner.get().unwrap();
        assert_eq!(a.name, "Kim");
        assert!(std::ptr::eq(a, b));
    }
);

backend_test!(
    fn select_related_via_a_self_reference(db: &TestDb) {
        seed_categories(db);
        let mut conn = db.connect();
        let queries = count_queries(&mut conn);
        let categories = Category::objects()
            .select_related_via(categories::parent)
            .order_by(categories::id)
            .all(&mut conn)
            .unwrap();
        assert_eq!(queries.load(Ordering::SeqCst), 1);
        let parents: Vec<(&str, Option<&str>)> = categories
            .iter()
            .map(|c| {
                let parent = c.parent.as_ref().map(|p| p.get().expect("parent loaded"));
                (c.name.as_str(), parent.map(|p| p.name.as_str()))
            })
            .collect();
        assert_eq!(
            parents,
            [
                ("root", None),
                ("music", Some("root")),
                ("jazz", Some("music")),
                ("books", Some("root")),
            ]
        );
        // The loaded parent is the parent's row, not the child's read twice.
        let jazz = &categories[2];
        assert_eq!(jazz.parent.as_ref().unwrap().get().unwrap().id, 2);
        // Filters and orderings over the joined row, through the alias.
        let parent = orm::relations::alias_of(categories::parent);
        let under_root = Category::objects()
            .select_related_via(categories::parent)
            .filter(parent.field(categories::name).eq("root"))
            .order_by(categories::name.desc());
        let names: Vec<String> = under_root
            .all(&mut conn)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["music", "books"]);
        assert_eq!(under_root.count(&mut conn).unwrap(), 2);
        let by_parent: Vec<String> = Category::objects()
            .select_related_via(categories::parent)
            .filter(categories::parent.is_not_null())
            .order_by((parent.field(categories::name).asc(), categories::name.asc()))
            .all(&mut conn)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(by_parent, ["jazz", "books", "music"]);
        let found = Category::objects()
            .select_related_via(categories::parent)
            .get(&mut conn, categories::name.eq("jazz"))
            .unwrap();
        assert_eq!(found.parent.unwrap().get().unwrap().name, "music");
        let missing = Category::objects()
            .select_related_via(categories::parent)
            .get(&mut conn, categories::name.eq("nope"));
        assert!(matches!(missing, Err(Error::NoMatch { .. })), "{missing:?}");
    }
);

backend_test!(
    fn select_related_via_a_second_key_to_the_same_model(db: &TestDb) {
        let mut conn = seed_games(db);
        let queries = count_queries(&mut conn);
        // Both teams of each game in one query: the first key by its join, the second
        // through the alias.
        let games = Game::objects()
            .select_related::<Team>()
            .select_related_via(games::away)
            .order_by(games::id)
            .all(&mut conn)
            .unwrap();
        assert_eq!(queries.load(Ordering::SeqCst), 1);
        let sides: Vec<(&str, &str)> = games
            .iter()
            .map(|g| {
                let home = g.home.get().expect("home loaded");
                let away = g.away.get().expect("away loaded");
                (home.name.as_str(), away.name.as_str())
            })
            .collect();
        assert_eq!(sides, [("Reds", "Blues"), ("Blues", "Reds")]);
        // The second key alone, filtered on the away team's name and the home team's.
        let away = orm::relations::alias_of(games::away);
        let blues_away = Game::objects()
            .select_related_via(games::away)
            .filter(away.field(teams::name).eq("Blues"))
            .one(&mut conn)
            .unwrap();
        assert_eq!(blues_away.day, 1);
        assert!(!blues_away.home.is_loaded());
        assert_eq!(blues_away.away.get().unwrap().name, "Blues");
        let reds_at_home_to_blues = Game::objects()
            .select_related::<Team>()
            .select_related_via(games::away)
            .filter(teams::name.eq("Reds"))
            .filter(away.field(teams::name).eq("Blues"))
            .count(&mut conn)
            .unwrap();
        assert_eq!(reds_at_home_to_blues, 1);
        // The first key joins through an alias too.
        let home = orm::relations::alias_of(games::home);
        let day2 = Game::objects()
            .select_related_via(games::home)
            .filter(home.field(teams::name).eq("Blues"))
            .first(&mut conn)
            .unwrap()
            .unwrap();
        assert_eq!(
            (day2.day, day2.home.get().unwrap().name.as_str()),
            (2, "Blues")
        );
    }
);
