//! A connection that runs more distinct statements than a driver's statement cache holds
//! (mysql_async keeps 32) runs the first of them again: orm leaves statement caching to
//! diesel / diesel-async alone, on every backend, blocking and async.

#[macro_use]
mod support;

use orm::prelude::*;
use orm::Database;
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// More distinct statements than mysql_async's default cache of 32.
const DISTINCT: i64 = 40;

backend_test!(
    fn a_statement_runs_again_after_many_others(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&all_models()).unwrap();
        for text in ["a", "b"] {
            Note::objects()
                .create(&mut conn, NewNote::new(text))
                .unwrap();
        }
        let first = Note::objects().filter_by("text", "a").unwrap();
        assert_eq!(first.count(&mut conn).unwrap(), 1);
        // `id IN (1, ..., n)`: one statement text per `n`.
        for n in 1..=DISTINCT {
            let ids: Vec<i64> = (1..=n).collect();
            let qs = Note::objects().filter_by("pk__in", ids).unwrap();
            assert_eq!(qs.count(&mut conn).unwrap(), n.min(2));
        }
        assert_eq!(first.count(&mut conn).unwrap(), 1);
        runtime(2).block_on(async {
            let database = Database::connect(&db.url).await.unwrap();
            let mut pooled = database.get().await.unwrap();
            assert_eq!(first.count(&mut pooled).await.unwrap(), 1);
            for n in 1..=DISTINCT {
                let qs = Note::objects()
                    .filter_by("pk__in", (1..=n).collect::<Vec<i64>>())
                    .unwrap();
                assert_eq!(qs.count(&mut pooled).await.unwrap(), n.min(2));
            }
            assert_eq!(first.count(&mut pooled).await.unwrap(), 1);
        });
    }
);
