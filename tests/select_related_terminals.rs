//! Every terminal operation of the plain QuerySet exists on the select_related QuerySets,
//! typed (`select_related`) and by name (`select_related_names`), blocking and async, on
//! every backend: `get`, `one`, `count` and `exists`, slices counted as the plain
//! QuerySet counts them.

#[macro_use]
mod support;
mod fixtures;

use fixtures::*;
use orm::prelude::*;
use orm::{Database, Error};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

backend_test!(
    fn typed_select_related_get_one_count_exists(db: &TestDb) {
        let mut conn = seed(db, 3, 2);
        let qs = Track::objects().select_related::<Album>();
        let track = qs.get(&mut conn, tracks::title.eq("A2 T1")).unwrap();
        assert_eq!(track.album.get().unwrap().name, "A2");
        // get over the joined table's columns.
        let track = qs
            .get(&mut conn, albums::name.eq("A3").and(tracks::position.eq(2)))
            .unwrap();
        assert_eq!(track.title, "A3 T2");
        assert!(matches!(
            qs.get(&mut conn, tracks::title.eq("nope")),
            Err(Error::NoMatch { model: "Track" })
        ));
        assert!(matches!(
            qs.get(&mut conn, albums::name.eq("A1")),
            Err(Error::MultipleMatches { model: "Track" })
        ));
        let one = qs
            .clone()
            .filter(tracks::title.eq("A1 T2"))
            .one(&mut conn)
            .unwrap();
        assert_eq!(one.album.get().unwrap().name, "A1");
        assert!(matches!(
            qs.one(&mut conn),
            Err(Error::MultipleMatches { .. })
        ));
        assert_eq!(qs.count(&mut conn).unwrap(), 6);
        assert!(qs.exists(&mut conn).unwrap());
        // A slice counts its own rows.
        let page = qs.clone().order_by(tracks::id).offset(4).limit(10);
        assert_eq!(page.count(&mut conn).unwrap(), 2);
        assert!(!qs.clone().offset(6).exists(&mut conn).unwrap());
        let none = qs.clone().filter(albums::name.eq("A9"));
        assert_eq!(none.count(&mut conn).unwrap(), 0);
        assert!(!none.exists(&mut conn).unwrap());
    }
);

backend_test!(
    fn select_related_names_get_one_count_exists(db: &TestDb) {
        let mut conn = seed(db, 3, 2);
        let qs = Track::objects().select_related_names(&["album"]).unwrap();
        let track = qs.get(&mut conn, tracks::title.eq("A3 T1")).unwrap();
        assert_eq!(track.album.get().unwrap().name, "A3");
        assert!(matches!(
            qs.get(&mut conn, tracks::title.eq("nope")),
            Err(Error::NoMatch { model: "Track" })
        ));
        assert!(matches!(
            qs.get(&mut conn, tracks::position.eq(1)),
            Err(Error::MultipleMatches { model: "Track" })
        ));
        let one = Track::objects()
            .filter_by("title", "A2 T2")
            .unwrap()
            .select_related_names(&["album"])
            .unwrap()
            .one(&mut conn)
            .unwrap();
        assert_eq!(one.album.get().unwrap().name, "A2");
        assert_eq!(qs.count(&mut conn).unwrap(), 6);
        assert!(qs.exists(&mut conn).unwrap());
        let sliced = Track::objects()
            .offset(5)
            .select_related_names(&["album"])
            .unwrap();
        assert_eq!(sliced.count(&mut conn).unwrap(), 1);
        let past = Track::objects()
            .offset(6)
            .select_related_names(&["album"])
            .unwrap();
        assert!(!past.exists(&mut conn).unwrap());
    }
);

backend_test!(
    fn async_select_related_get_one_count_exists(db: &TestDb) {
        drop(seed(db, 3, 2));
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let typed = Track::objects().select_related::<Album>();
            let track = typed.get(&pool, tracks::title.eq("A2 T1")).await.unwrap();
            assert_eq!(track.album.get().unwrap().name, "A2");
            assert!(matches!(
                typed.one(&pool).await,
                Err(Error::MultipleMatches { .. })
            ));
            assert_eq!(typed.count(&pool).await.unwrap(), 6);
            assert!(!typed.clone().offset(6).exists(&pool).await.unwrap());
            let named = Track::objects().select_related_names(&["album"]).unwrap();
            let mut conn = pool.get().await.unwrap();
            let track = named
                .get(&mut conn, tracks::title.eq("A1 T2"))
                .await
                .unwrap();
            assert_eq!(track.album.get().unwrap().name, "A1");
            assert!(matches!(
                named.get(&pool, tracks::title.eq("nope")).await,
                Err(Error::NoMatch { .. })
            ));
            assert_eq!(named.count(&pool).await.unwrap(), 6);
            assert!(named.exists(&pool).await.unwrap());
        });
    }
);
