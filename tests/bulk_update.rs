//! `bulk_update` / `bulk_update_by`: new values of some fields of many loaded rows, one
//! statement per chunk, in one transaction; validated first; every field kind bound on
//! every backend, blocking and async.

#[macro_use]
mod support;
mod persist_support;

use chrono::{NaiveDate, NaiveTime};
use orm::prelude::*;
use orm::{Database, Error, IpAddress, Json, NameError};
use orm_suite::models::*;
use persist_support::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

fn counters(conn: &mut orm::Connection, n: i64) -> Vec<Counter> {
    let forms = (0..n)
        .map(|i| NewCounter {
            value: Some(i),
            ..NewCounter::new(format!("c{i}"))
        })
        .collect();
    Counter::objects().bulk_create(conn, forms).unwrap()
}

fn stored(conn: &mut orm::Connection) -> Vec<Counter> {
    Counter::objects()
        .order_by(persist_counters::id.asc())
        .all(conn)
        .unwrap()
}

backend_test!(
    fn sets_only_the_listed_fields_typed_and_by_name(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&models()).unwrap();
        let mut rows = counters(&mut conn, 30);
        for row in &mut rows {
            row.value *= 10;
            row.name = format!("renamed-{}", row.name);
        }
        // Typed: only `value` is written, the new names stay in memory.
        let n = Counter::objects()
            .bulk_update(&mut conn, &rows[..20], (persist_counters::value,))
            .unwrap();
        // Row 0's value stays 0: MySQL counts only the rows whose values changed.
        let expected = if db.backend == orm::Backend::Mysql {
            19
        } else {
            20
        };
        assert_eq!(n, expected);
        let now = stored(&mut conn);
        for (i, row) in now.iter().enumerate() {
            let value = if i < 20 { i as i64 * 10 } else { i as i64 };
            assert_eq!((row.name.clone(), row.value), (format!("c{i}"), value));
        }
        // By name, two fields, column names or field names.
        Counter::objects()
            .bulk_update_by(&mut conn, &rows, &["name", "value"])
            .unwrap();
        assert_eq!(stored(&mut conn), rows);
        // No rows: nothing to do.
        let none: Vec<Counter> = Vec::new();
        assert_eq!(
            Counter::objects()
                .bulk_update_by(&mut conn, &none, &["value"])
                .unwrap(),
            0
        );
    }
);

backend_test!(
    fn bad_fields_and_values_are_named_and_write_nothing(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&models()).unwrap();
        let tags = Tag::objects()
            .bulk_create(&mut conn, vec![tag("a"), tag("b"), tag("c"), tag("d")])
            .unwrap();
        let before = Tag::objects().all(&mut conn).unwrap();
        let q = Tag::objects;

        let err = q().bulk_update_by(&mut conn, &tags, &["nope"]).unwrap_err();
        assert!(
            matches!(&err, Error::Name(NameError::UnknownField { field, .. }) if field == "nope"),
            "{err:?}"
        );
        let err = q()
            .bulk_update_by(&mut conn, &tags, &["uses", "id"])
            .unwrap_err();
        assert!(
            matches!(err, Error::Name(NameError::PrimaryKey { field: "id", .. })),
            "{err:?}"
        );
        let err = q().bulk_update_by(&mut conn, &tags, &[]).unwrap_err();
        assert!(matches!(err, Error::Usage { .. }), "{err:?}");

        // Validation: row 3's `uses` is below its minimum, row 1's name is too long.
        let mut bad = tags.clone();
        bad[0].uses = 5;
        bad[3].uses = -1;
        bad[1].name = "x".repeat(61);
        let err = q()
            .bulk_update_by(&mut conn, &bad, &["name", "uses"])
            .unwrap_err();
        let Error::Validation(invalid) = err else {
            panic!("expected a validation error, got {err:?}");
        };
        let messages: Vec<&str> = invalid
            .errors()
            .iter()
            .map(|e| e.message.as_str())
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("row 1: "), "{messages:?}");
        assert!(messages[1].starts_with("row 3: "), "{messages:?}");
        // A field left out is not validated: the long name is not written either.
        q().bulk_update_by(&mut conn, &bad[..1], &["uses"]).unwrap();

        // A unique violation in the statement: nothing of it is written.
        let mut clash = tags.clone();
        clash[2].name = "a".into();
        clash[0].uses = 9;
        let err = q()
            .bulk_update_by(&mut conn, &clash, &["name", "uses"])
            .unwrap_err();
        assert!(err.is_unique_violation(), "{err:?}");
        let mut after = Tag::objects().all(&mut conn).unwrap();
        after.sort_by_key(|t| t.id);
        let mut expected = before.clone();
        expected.sort_by_key(|t| t.id);
        expected[0].uses = 5;
        assert_eq!(after, expected);
    }
);

backend_test!(
    fn every_field_kind_is_bound(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&models()).unwrap();
        let note = Note::objects()
            .create(&mut conn, NewNote::new("n"))
            .unwrap();
        let other = Note::objects()
            .create(&mut conn, NewNote::new("o"))
            .unwrap();
        let mut rows = Kitchen::objects()
            .bulk_create(
                &mut conn,
                vec![
                    kitchen_form(note.id, "one", "one@example.com"),
                    kitchen_form(note.id, "two", "two@example.com"),
                ],
            )
            .unwrap();
        for (i, row) in rows.iter_mut().enumerate() {
            row.quantity = 40 + i as i32;
            row.big = 1 << 40;
            row.rating = 4.5;
            row.active = false;
            row.slug = format!("new-{i}");
            row.body = "body".into();
            row.size = "large".into();
            row.price = "123.45".parse().unwrap();
            row.due = Some(NaiveDate::from_ymd_opt(2027, 2, 28).unwrap());
            row.opens = NaiveTime::from_hms_opt(23, 59, 58).unwrap();
            row.extra = Some(Json(serde_json::json!({"k": [1, 2]})));
            row.token = orm::Uuid::new_v4();
            row.status = Status::Archived;
            row.email = format!("new{i}@example.com");
            row.homepage = Some("https://example.com/x".into());
            row.ip = IpAddress("2001:db8::1".parse().unwrap());
            row.note = ForeignKey::new(other.id);
        }
        let fields: Vec<&str> = Kitchen::meta()
            .fields
            .iter()
            .filter(|f| !f.primary_key)
            .map(|f| f.name)
            .collect();
        Kitchen::objects()
            .bulk_update_by(&mut conn, &rows, &fields)
            .unwrap();
        let mut reread = Kitchen::objects().all(&mut conn).unwrap();
        reread.sort_by_key(|k| k.quantity);
        assert_eq!(reread, rows);
    }
);

backend_test!(
    fn many_rows_in_chunks_all_or_nothing_async(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&models()).unwrap();
        // More rows than one statement binds on SQLite (3 parameters a row).
        let rows = counters(&mut conn, 12_000);
        let runtime = runtime(2);
        runtime.block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut changed = rows.clone();
            for row in &mut changed {
                row.value = -row.value - 1;
            }
            Counter::objects()
                .bulk_update(&pool, &changed, (persist_counters::value,))
                .await
                .unwrap();
            let now = Counter::objects()
                .order_by(persist_counters::id.asc())
                .all(&pool)
                .await
                .unwrap();
            assert_eq!(now, changed);

            // A clash in the last chunk rolls the earlier chunks back too.
            let mut clash = now.clone();
            for row in &mut clash {
                row.name = format!("x{}", row.name);
            }
            clash[11_999].name = clash[0].name.clone();
            let err = Counter::objects()
                .bulk_update_by(&pool, &clash, &["name"])
                .await
                .unwrap_err();
            assert!(err.is_unique_violation(), "{err:?}");
            let after = Counter::objects()
                .order_by(persist_counters::id.asc())
                .all(&pool)
                .await
                .unwrap();
            assert_eq!(after, now);
        });
    }
);
