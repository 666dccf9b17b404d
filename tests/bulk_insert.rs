//! `bulk_insert`: `bulk_create` without rows back (the count), validated first, in
//! multi-row statements under the bind limit, all or nothing; blocking and async.

#[macro_use]
mod support;
mod persist_support;

use orm::prelude::*;
use orm::{Database, Error};
use orm_suite::models::*;
use persist_support::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

backend_test!(
    fn inserts_and_counts_validated_rows(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&models()).unwrap();
        let n = Note::objects()
            .bulk_insert(
                &mut conn,
                vec![
                    NewNote::new("a"),
                    NewNote {
                        completed: Some(true),
                        ..NewNote::new("b")
                    },
                ],
            )
            .unwrap();
        assert_eq!(n, 2);
        let notes = Note::objects()
            .order_by(notes::text.asc())
            .all(&mut conn)
            .unwrap();
        let stored: Vec<(&str, bool)> = notes
            .iter()
            .map(|n| (n.text.as_str(), n.completed))
            .collect();
        assert_eq!(stored, [("a", false), ("b", true)], "defaults filled");
        assert_eq!(
            Note::objects().bulk_insert(&mut conn, Vec::new()).unwrap(),
            0
        );

        // Validation first: every bad row named, nothing written.
        let err = Note::objects()
            .bulk_insert(&mut conn, vec![NewNote::new("ok"), NewNote::new("")])
            .unwrap_err();
        let Error::Validation(invalid) = err else {
            panic!("expected a validation error, got {err:?}");
        };
        assert!(invalid.errors()[0].message.starts_with("row 1: "));
        assert_eq!(Note::objects().count(&mut conn).unwrap(), 2);

        // A UUID key filled by its function default, as bulk_create fills it.
        let note = notes[0].id;
        let n = Kitchen::objects()
            .bulk_insert(
                &mut conn,
                vec![
                    kitchen_form(note, "one", "one@example.com"),
                    kitchen_form(note, "two", "two@example.com"),
                ],
            )
            .unwrap();
        assert_eq!(n, 2);
        let kitchens = Kitchen::objects().all(&mut conn).unwrap();
        assert_ne!(kitchens[0].id, kitchens[1].id);
    }
);

backend_test!(
    fn many_rows_in_chunks_all_or_nothing_async(db: &TestDb) {
        db.connect().create_all(&models()).unwrap();
        let runtime = runtime(2);
        runtime.block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            // More rows than one statement binds on SQLite (2 parameters a row).
            let forms = |prefix: &str| -> Vec<NewCounter> {
                (0..20_000)
                    .map(|i| NewCounter::new(format!("{prefix}{i}")))
                    .collect()
            };
            let n = Counter::objects()
                .bulk_insert(&pool, forms("a"))
                .await
                .unwrap();
            assert_eq!(n, 20_000);
            assert_eq!(Counter::objects().count(&pool).await.unwrap(), 20_000);

            // A duplicate in the last chunk: the earlier chunks are rolled back too.
            let mut clash = forms("b");
            clash[19_999] = NewCounter::new("a7");
            let err = Counter::objects()
                .bulk_insert(&pool, clash)
                .await
                .unwrap_err();
            assert!(err.is_unique_violation(), "{err:?}");
            assert_eq!(Counter::objects().count(&pool).await.unwrap(), 20_000);
        });
    }
);
