//! Projections: `select((col_a, col_b))` loads the selection of each row as a tuple (a
//! single column as its value, a nullable one as an `Option`), with the QuerySet's filters,
//! ordering and slice, on every backend, blocking and async.

#[macro_use]
mod support;

use orm::prelude::*;
use orm::{Database, Error};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// Notes "a" (done), "b", "c" (done), "d"; playlists "p1" featuring an album, "p2" none.
fn seed(db: &TestDb) -> i32 {
    let mut conn = db.connect();
    conn.create_all(&all_models()).unwrap();
    for (text, done) in [("a", true), ("b", false), ("c", true), ("d", false)] {
        let mut form = NewNote::new(text);
        form.completed = Some(done);
        Note::objects().create(&mut conn, form).unwrap();
    }
    let album = Album::objects()
        .create(&mut conn, NewAlbum::new("one"))
        .unwrap();
    let mut featured = NewPlaylist::new("p1");
    featured.featured = Some(album.id);
    Playlist::objects().create(&mut conn, featured).unwrap();
    Playlist::objects()
        .create(&mut conn, NewPlaylist::new("p2"))
        .unwrap();
    album.id
}

backend_test!(
    fn select_loads_tuples_with_filters_ordering_and_slice(db: &TestDb) {
        let album = seed(db);
        let mut conn = db.connect();
        let done = Note::objects()
            .filter(notes::completed.eq(true))
            .order_by(notes::text.desc());
        let rows: Vec<(String, bool)> = done
            .clone()
            .select((notes::text, notes::completed))
            .all(&mut conn)
            .unwrap();
        assert_eq!(rows, [("c".to_string(), true), ("a".to_string(), true)]);

        // One column: its values. A slice applies.
        let page: Vec<String> = Note::objects()
            .order_by(notes::text.asc())
            .limit(2)
            .offset(1)
            .select(notes::text)
            .all(&mut conn)
            .unwrap();
        assert_eq!(page, ["b", "c"]);

        // first and one.
        let first: Option<String> = done.clone().select(notes::text).first(&mut conn).unwrap();
        assert_eq!(first.as_deref(), Some("c"));
        let one: String = Note::objects()
            .filter(notes::text.eq("b"))
            .select(notes::text)
            .one(&mut conn)
            .unwrap();
        assert_eq!(one, "b");
        let several: Result<String, Error> = done.select(notes::text).one(&mut conn);
        assert!(
            matches!(several, Err(Error::MultipleMatches { model: "Note" })),
            "{several:?}"
        );
        let none: Result<String, Error> = Note::objects()
            .filter(notes::text.eq("zzz"))
            .select(notes::text)
            .one(&mut conn);
        assert!(
            matches!(none, Err(Error::NoMatch { model: "Note" })),
            "{none:?}"
        );

        // A nullable column loads as an Option.
        let featured: Vec<(String, Option<i32>)> = Playlist::objects()
            .order_by(playlists::name.asc())
            .select((playlists::name, playlists::featured))
            .all(&mut conn)
            .unwrap();
        assert_eq!(
            featured,
            [("p1".to_string(), Some(album)), ("p2".to_string(), None)]
        );

        // A filter added after the selection.
        let undone: Vec<String> = Note::objects()
            .order_by(notes::text.asc())
            .select(notes::text)
            .filter(notes::completed.eq(false))
            .all(&mut conn)
            .unwrap();
        assert_eq!(undone, ["b", "d"]);
    }
);

backend_test!(
    fn select_runs_async(db: &TestDb) {
        seed(db);
        runtime(2).block_on(async {
            let database = Database::connect(&db.url).await.unwrap();
            let rows: Vec<(String, bool)> = Note::objects()
                .filter(notes::completed.eq(false))
                .order_by(notes::text.asc())
                .select((notes::text, notes::completed))
                .all(&database)
                .await
                .unwrap();
            assert_eq!(rows, [("b".to_string(), false), ("d".to_string(), false)]);
            let mut pooled = database.get().await.unwrap();
            let first: Option<String> = Note::objects()
                .order_by(notes::text.desc())
                .select(notes::text)
                .first(&mut pooled)
                .await
                .unwrap();
            assert_eq!(first.as_deref(), Some("d"));
        });
    }
);

/// DISTINCT ON exists on PostgreSQL only: the query runs on the PostgreSQL connection taken
/// out of the `Connection` (see `orm::pinned`).
#[cfg(feature = "postgres")]
#[test]
fn distinct_on_runs_on_a_postgresql_connection() {
    support::run(orm::Backend::Postgres, |db| {
        seed(db);
        let mut conn = db.connect();
        let orm::Connection::Postgres(pg) = &mut conn else {
            panic!("a postgres URL opens a PostgreSQL connection")
        };
        // The first text (alphabetically) of each completed state.
        let firsts: Vec<(bool, String)> = Note::objects()
            .order_by((notes::completed.asc(), notes::text.asc()))
            .select((notes::completed, notes::text))
            .distinct_on(notes::completed)
            .all(pg)
            .unwrap();
        assert_eq!(firsts, [(false, "b".to_string()), (true, "a".to_string())]);
    });
}
