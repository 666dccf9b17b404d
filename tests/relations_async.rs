//! Relations on every backend, async: the same select_related (one and two levels, LEFT
//! JOIN for a nullable key, filters over both tables) and prefetch as tests/relations.rs,
//! run on a `Database` and on a `PooledConnection`, with the statements counted.

#[macro_use]
mod support;
mod fixtures;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use diesel::connection::InstrumentationEvent;
use fixtures::*;
use orm::prelude::*;
use orm::{Database, PooledConnection};
use orm_suite::models::*;
#[allow(unused_imports)]
use support::TestDb;
use support::{assert_send, runtime};

/// Counts the statements run on `conn` from now on (replaces its instrumentation).
fn count_queries(conn: &mut PooledConnection) -> Arc<AtomicUsize> {
    let counter = Arc::new(AtomicUsize::new(0));
    let c2 = counter.clone();
    orm::async_dispatch!(conn, c => {
        diesel_async::AsyncConnection::set_instrumentation(
            c,
            move |event: InstrumentationEvent<'_>| {
                if matches!(event, InstrumentationEvent::StartQuery { .. }) {
                    c2.fetch_add(1, Ordering::SeqCst);
                }
            },
        );
    });
    counter
}

backend_test!(
    fn select_related_one_level(db: &TestDb) {
        drop(seed(db, 3, 2));
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut conn = pool.get().await.unwrap();
            let queries = count_queries(&mut conn);
            let tracks = assert_send(
                Track::objects()
                    .select_related::<Album>()
                    .order_by(tracks::id)
                    .all(&mut conn),
            )
            .await
            .unwrap();
            assert_eq!(queries.load(Ordering::SeqCst), 1);
            assert_eq!(tracks.len(), 6);
            for t in &tracks {
                let album = t.album.get().expect("album loaded");
                assert_eq!(album.id, *t.album.pk());
                assert!(t.title.starts_with(&album.name));
            }
            // On the pool; first, count, and filters over both tables.
            let qs = Track::objects()
                .filter(tracks::position.eq(2))
                .select_related::<Album>()
                .filter(albums::name.eq_any(["A1", "A3"]))
                .order_by(albums::name.desc());
            let first = assert_send(qs.first(&pool)).await.unwrap().unwrap();
            assert_eq!(first.title, "A3 T2");
            assert_eq!(first.album.get().unwrap().name, "A3");
            assert_eq!(assert_send(qs.count(&pool)).await.unwrap(), 2);
            let titles: Vec<String> = qs
                .clone()
                .offset(1)
                .limit(5)
                .all(&pool)
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.title)
                .collect();
            assert_eq!(titles, ["A1 T2"]);
            let none = Track::objects()
                .select_related::<Album>()
                .filter(albums::name.eq("nope"));
            assert!(none.first(&pool).await.unwrap().is_none());
            // Without select_related the key stays sparse.
            let sparse = Track::objects().all(&pool).await.unwrap();
            assert!(sparse.iter().all(|t| !t.album.is_loaded()));
        });
    }
);

backend_test!(
    fn select_related_on_a_nullable_key_left_joins(db: &TestDb) {
        drop(seed(db, 1, 0));
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let playlists = Playlist::objects()
                .select_related::<Album>()
                .order_by(playlists::id)
                .all(&pool)
                .await
                .unwrap();
            assert_eq!(playlists.len(), 2);
            let featured = playlists[0].featured.as_ref().expect("featured");
            assert_eq!(featured.get().map(|a| a.name.as_str()), Some("A1"));
            assert!(playlists[1].featured.is_none());
        });
    }
);

backend_test!(
    fn a_left_join_gives_each_row_its_own_related_row_around_missing_ones(db: &TestDb) {
        let mut conn = seed(db, 3, 0);
        add_playlists_with_gaps(&mut conn);
        drop(conn);
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let by_id = Playlist::objects()
                .select_related::<Album>()
                .order_by(playlists::id)
                .all(&pool)
                .await
                .unwrap();
            assert_eq!(featured(&by_id), featured_by_id());
            let mut held = pool.get().await.unwrap();
            let by_id_desc = Playlist::objects()
                .select_related::<Album>()
                .order_by(playlists::id.desc())
                .all(&mut held)
                .await
                .unwrap();
            let mut expected = featured_by_id();
            expected.reverse();
            assert_eq!(featured(&by_id_desc), expected);
        });
    }
);

backend_test!(
    fn select_related_two_levels(db: &TestDb) {
        seed_streets(db);
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut conn = pool.get().await.unwrap();
            let queries = count_queries(&mut conn);
            let streets = assert_send(
                Street::objects()
                    .select_related2::<City, Country>()
                    .filter(countries::name.eq("France"))
                    .order_by(streets::name)
                    .all(&mut conn),
            )
            .await
            .unwrap();
            assert_eq!(queries.load(Ordering::SeqCst), 1);
            let names: Vec<&str> = streets.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(names, ["Bac", "Rivoli"]);
            let city = streets[0].city.get().expect("city loaded");
            assert_eq!(city.name, "Paris");
            assert_eq!(city.country.get().expect("country loaded").name, "France");
            // A filter across two relations, on the pool.
            let italian = Street::objects()
                .select_related2::<City, Country>()
                .filter(countries::name.eq("Italy"));
            assert_eq!(italian.count(&pool).await.unwrap(), 1);
            // Three levels, on the pool.
            let houses = House::objects()
                .select_related3::<Street, City, Country>()
                .order_by(houses::number)
                .all(&pool)
                .await
                .unwrap();
            let street = houses[1].street.get().expect("street loaded");
            let city = street.city.get().expect("city loaded");
            assert_eq!(city.country.get().expect("country loaded").name, "France");
        });
    }
);

backend_test!(
    fn prefetch_loads_children_of_100_parents_in_one_query(db: &TestDb) {
        drop(seed(db, 100, 2));
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut conn = pool.get().await.unwrap();
            let queries = count_queries(&mut conn);
            let albums = Album::objects()
                .order_by(albums::id)
                .all(&mut conn)
                .await
                .unwrap();
            let grouped: Vec<(Album, Vec<Track>)> =
                assert_send(orm::prefetch(&mut conn, albums)).await.unwrap();
            assert_eq!(queries.load(Ordering::SeqCst), 2);
            assert_eq!(grouped.len(), 100);
            for (album, tracks) in &grouped {
                let mut titles: Vec<&str> = tracks.iter().map(|t| t.title.as_str()).collect();
                titles.sort();
                let name = &album.name;
                assert_eq!(titles, [format!("{name} T1"), format!("{name} T2")]);
            }
            // No parents: no statement.
            let empty: Vec<(Album, Vec<Track>)> =
                orm::prefetch(&mut conn, Vec::new()).await.unwrap();
            assert!(empty.is_empty());
            assert_eq!(queries.load(Ordering::SeqCst), 2);
            // On the pool.
            let some = Album::objects()
                .filter(albums::id.le(3))
                .order_by(albums::id)
                .all(&pool)
                .await
                .unwrap();
            let grouped = orm::prefetch::<Track, Album, _>(&pool, some).await.unwrap();
            let counts: Vec<usize> = grouped.iter().map(|(_, t)| t.len()).collect();
            assert_eq!(counts, [2, 2, 2]);
        });
    }
);

backend_test!(
    fn prefetch_of_100_000_parents_chunks_its_keys(db: &TestDb) {
        drop(seed(db, 3, 2));
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut parents: Vec<Album> = (1..=100_000)
                .map(|id| Album {
                    id,
                    name: format!("A{id}"),
                    tracks: orm::Related::new(),
                })
                .collect();
            parents.push(parents[0].clone());
            let mut conn = pool.get().await.unwrap();
            let queries = count_queries(&mut conn);
            let grouped: Vec<(Album, Vec<Track>)> =
                assert_send(orm::prefetch(&mut conn, parents.clone()))
                    .await
                    .unwrap();
            let per_query = orm::related_names::KEYS_PER_QUERY;
            assert_eq!(
                queries.load(Ordering::SeqCst),
                100_000_usize.div_ceil(per_query)
            );
            drop(conn);
            // On the pool: one checkout for every chunk.
            let on_pool: Vec<(Album, Vec<Track>)> = orm::prefetch(&pool, parents).await.unwrap();
            for grouped in [grouped, on_pool] {
                assert_eq!(grouped.len(), 100_001);
                let counts: Vec<usize> = grouped[..4].iter().map(|(_, t)| t.len()).collect();
                assert_eq!(counts, [2, 2, 2, 0]);
                assert_eq!(grouped[100_000].1.len(), 2, "the repeated parent");
            }
        });
    }
);

backend_test!(
    fn by_name_paths_across_relations(db: &TestDb) {
        drop(seed(db, 3, 2));
        seed_streets(db);
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let tracks = Track::objects()
                .filter_by("album__name__in", "A1,A3")
                .unwrap()
                .exclude_by("position", "1")
                .unwrap()
                .order_by_names(&["-album__name"])
                .unwrap();
            let titles: Vec<String> = assert_send(tracks.all(&pool))
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.title)
                .collect();
            assert_eq!(titles, ["A3 T2", "A1 T2"]);
            let french = Street::objects()
                .filter_by("city__country__name", "France")
                .unwrap();
            assert_eq!(french.count(&pool).await.unwrap(), 2);
            let playlists = Playlist::objects()
                .exclude_by("featured__name", "A1")
                .unwrap()
                .all(&pool)
                .await
                .unwrap();
            assert_eq!(playlists.len(), 1);
            assert!(playlists[0].featured.is_none());
        });
    }
);

backend_test!(
    fn select_related_by_names(db: &TestDb) {
        seed_streets(db);
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let qs = Street::objects()
                .filter_by("city__country__name", "France")
                .unwrap()
                .order_by(streets::name)
                .select_related_names(&["city__country"])
                .unwrap();
            let streets = assert_send(qs.all(&pool)).await.unwrap();
            let names: Vec<(&str, &str)> = streets
                .iter()
                .map(|s| {
                    let city = s.city.get().expect("city loaded");
                    (
                        s.name.as_str(),
                        city.country.get().expect("country").name.as_str(),
                    )
                })
                .collect();
            assert_eq!(names, [("Bac", "France"), ("Rivoli", "France")]);
            let mut conn = pool.get().await.unwrap();
            let queries = count_queries(&mut conn);
            let first = assert_send(qs.first(&mut conn)).await.unwrap().unwrap();
            assert_eq!(queries.load(Ordering::SeqCst), 3);
            assert_eq!(first.city.get().unwrap().name, "Paris");
        });
    }
);

backend_test!(
    fn relations_never_take_a_second_connection(db: &TestDb) {
        // A pool of one connection that fails at once when none is free: a path that took
        // a second connection while holding the first would get Error::PoolTimeout.
        drop(seed(db, 3, 2));
        seed_streets(db);
        runtime(2).block_on(async {
            let pool = Database::builder(&db.url)
                .max_size(1)
                .acquire_timeout(std::time::Duration::ZERO)
                .build()
                .await
                .unwrap();
            let streets = Street::objects()
                .select_related_names(&["city__country"])
                .unwrap()
                .all(&pool)
                .await
                .unwrap();
            assert_eq!(streets.len(), 3);
            let tracks = Track::objects()
                .select_related::<Album>()
                .all(&pool)
                .await
                .unwrap();
            assert_eq!(tracks.len(), 6);
            let albums = Album::objects().all(&pool).await.unwrap();
            let grouped: Vec<(Album, Vec<Track>)> = orm::prefetch(&pool, albums).await.unwrap();
            assert_eq!(grouped.len(), 3);
            // And the pool really has one connection: holding it, another get fails.
            let held = pool.get().await.unwrap();
            assert!(matches!(
                pool.get().await,
                Err(orm::Error::PoolTimeout { .. })
            ));
            drop(held);
        });
    }
);

backend_test!(
    fn select_related_via_an_alias(db: &TestDb) {
        seed_categories(db);
        drop(seed_games(db));
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut conn = pool.get().await.unwrap();
            let queries = count_queries(&mut conn);
            // A self-reference (LEFT JOIN: the root keeps its null key), on a held connection.
            let parent = orm::relations::alias_of(categories::parent);
            let children = assert_send(
                Category::objects()
                    .select_related_via(categories::parent)
                    .filter(parent.field(categories::name).eq("root"))
                    .order_by(categories::id)
                    .all(&mut conn),
            )
            .await
            .unwrap();
            assert_eq!(queries.load(Ordering::SeqCst), 1);
            let names: Vec<(&str, &str)> = children
                .iter()
                .map(|c| {
                    let parent = c.parent.as_ref().unwrap().get().expect("parent loaded");
                    (c.name.as_str(), parent.name.as_str())
                })
                .collect();
            assert_eq!(names, [("music", "root"), ("books", "root")]);
            let root = Category::objects()
                .select_related_via(categories::parent)
                .filter(categories::parent.is_null())
                .one(&pool)
                .await
                .unwrap();
            assert_eq!((root.name.as_str(), root.parent.is_none()), ("root", true));
            // Both keys of a game to the same model, in one query, on the pool.
            let qs = Game::objects()
                .select_related::<Team>()
                .select_related_via(games::away)
                .order_by(games::day.desc());
            let games = assert_send(qs.all(&pool)).await.unwrap();
            let sides: Vec<(&str, &str)> = games
                .iter()
                .map(|g| {
                    let home = g.home.get().expect("home loaded");
                    (
                        home.name.as_str(),
                        g.away.get().expect("away loaded").name.as_str(),
                    )
                })
                .collect();
            assert_eq!(sides, [("Blues", "Reds"), ("Reds", "Blues")]);
            assert_eq!(assert_send(qs.count(&pool)).await.unwrap(), 2);
            let first = assert_send(qs.first(&mut conn)).await.unwrap().unwrap();
            assert_eq!(first.day, 2);
        });
    }
);
