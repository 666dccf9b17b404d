//! Reading a QuerySet in batches on every backend, blocking (`iter`) and async (`stream`):
//! 100 000 rows arrive once each and in primary-key order; one statement per batch (counted
//! from the `orm::sql` tracing events), so a stream yields its first row after one batch;
//! orderings, limits, offsets and by-name filters hold.

#[macro_use]
mod support;

use std::collections::HashMap;
use std::sync::{Mutex, Once};
use std::time::Instant;

use diesel::RunQueryDsl;
use orm::prelude::*;
use orm::{Backend, Database};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// Writes notes `1..=n` (`completed` when the id is a multiple of 3, text `note <id>`) with
/// multi-row inserts in one transaction.
fn seed_notes(conn: &mut orm::Connection, n: i64) {
    conn.create_all(&all_models()).unwrap();
    // 3 values per row: 4 000 rows stay under SQLite's 32 766 bound parameters.
    const CHUNK: i64 = 4_000;
    conn.transaction(|conn| {
        let mut start = 1;
        while start <= n {
            let end = (start + CHUNK - 1).min(n);
            let rows: Vec<_> = (start..=end)
                .map(|id| {
                    (
                        notes::id.eq(id),
                        notes::text.eq(format!("note {id}")),
                        notes::completed.eq(id % 3 == 0),
                    )
                })
                .collect();
            let backend = conn.backend();
            orm::dispatch!(&mut *conn, c => diesel::insert_into(notes::table)
                .values(&rows)
                .execute(c))
            .map_err(|e| orm::Error::from_diesel(e, backend))?;
            start = end + 1;
        }
        Ok::<_, orm::Error>(())
    })
    .unwrap();
}

/// Checks that `ids` are exactly `1..=n` in order (so none is missing or repeated).
fn assert_all_in_order(ids: &[i64], n: i64, what: &str) {
    assert_eq!(ids.len() as i64, n, "{what}: row count");
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            *id,
            i as i64 + 1,
            "{what}: row {i} out of order or repeated"
        );
    }
}

// ---- Counting statements: a global tracing subscriber -------------------------------------

/// Statements seen per (backend, table) among those that mention a LIMIT.
static STATEMENTS: Mutex<Option<HashMap<(String, String), u64>>> = Mutex::new(None);

/// The table whose batched statements are counted (used by one test only).
const COUNTED: &str = "albums";

/// The counts are kept per backend, and that test's `mysql` and `mariadb` cases are both
/// MySQL: they take turns.
static MYSQL_FAMILY: Mutex<()> = Mutex::new(());

struct Counter;

#[derive(Default)]
struct Fields {
    backend: String,
    sql: String,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "backend" => self.backend = format!("{value:?}").trim_matches('"').to_owned(),
            "sql" => self.sql = format!("{value:?}"),
            _ => {}
        }
    }
}

impl tracing::Subscriber for Counter {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == orm::instrument::TARGET
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if !fields.sql.contains("LIMIT") {
            return;
        }
        if !fields.sql.contains(COUNTED) {
            return;
        }
        let mut counts = STATEMENTS.lock().unwrap();
        *counts
            .get_or_insert_with(HashMap::new)
            .entry((fields.backend, COUNTED.to_owned()))
            .or_default() += 1;
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// The batched statements on `table` seen so far on `backend`.
fn statements(backend: Backend, table: &str) -> u64 {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| tracing::subscriber::set_global_default(Counter).unwrap());
    let counts = STATEMENTS.lock().unwrap();
    counts
        .as_ref()
        .and_then(|c| c.get(&(backend.name().to_owned(), table.to_owned())))
        .copied()
        .unwrap_or(0)
}

// ---- 100 000 rows ------------------------------------------------------------------------

const MANY: i64 = 100_000;
const BATCH: usize = 2_000;

backend_test!(
    fn streams_100k_rows_in_order_blocking_and_async(db: &TestDb) {
        let started = Instant::now();
        let mut conn = db.connect();
        seed_notes(&mut conn, MANY);
        let seeded = started.elapsed();

        // Blocking.
        let mut rows = Note::objects().iter(&mut conn, BATCH);
        let mut ids = Vec::with_capacity(MANY as usize);
        for row in &mut rows {
            ids.push(row.unwrap().id);
        }
        assert_all_in_order(&ids, MANY, "iter");
        // A batch shorter than asked ends the read: here the last one is empty.
        assert_eq!(rows.queries(), MANY as u64 / BATCH as u64 + 1);
        let blocking = started.elapsed() - seeded;

        // Async, from a pool (a connection checked out per batch).
        let (ids, queries) = runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut rows = Note::objects().stream(&pool, BATCH);
            let mut ids = Vec::with_capacity(MANY as usize);
            while let Some(note) = rows.try_next().await.unwrap() {
                ids.push(note.id);
            }
            (ids, rows.queries())
        });
        assert_all_in_order(&ids, MANY, "stream");
        assert_eq!(queries, MANY as u64 / BATCH as u64 + 1);
        println!(
            "{}: seeded {MANY} rows in {seeded:?}, iter {blocking:?}, stream {:?}",
            db.backend,
            started.elapsed() - seeded - blocking
        );
    }
);

// ---- Statement counts and bounded memory ------------------------------------------------

backend_test!(
    fn one_statement_per_batch_and_rows_before_the_last_batch(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&all_models()).unwrap();
        let albums: Vec<_> = (1..=250)
            .map(|id| (albums::id.eq(id), albums::name.eq(format!("album {id}"))))
            .collect();
        orm::dispatch!(&mut conn, c => diesel::insert_into(albums::table).values(&albums).execute(c))
            .unwrap();
        let backend = db.backend;
        let _turn = (backend == Backend::Mysql)
            .then(|| MYSQL_FAMILY.lock().unwrap_or_else(|p| p.into_inner()));

        // Blocking: 250 rows in batches of 50: 5 full batches and an empty one.
        let before = statements(backend, "albums");
        let mut rows = Album::objects().iter(&mut conn, 50);
        assert_eq!(rows.next().unwrap().unwrap().id, 1);
        assert_eq!(rows.queries(), 1);
        assert_eq!(statements(backend, "albums") - before, 1, "one batch read");
        assert_eq!(rows.by_ref().count(), 249);
        assert_eq!(rows.queries(), 6);
        assert_eq!(statements(backend, "albums") - before, 6);

        // Not a multiple of the batch: the short last batch ends it (ceil(250 / 60) = 5).
        let before = statements(backend, "albums");
        let ids: Vec<i32> = Album::objects()
            .iter(&mut conn, 60)
            .map(|a| a.unwrap().id)
            .collect();
        assert_eq!(ids, (1..=250).collect::<Vec<_>>());
        assert_eq!(statements(backend, "albums") - before, 5);

        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let before = statements(backend, "albums");
            let mut rows = Album::objects().stream(&pool, 50);
            let first = rows.try_next().await.unwrap().unwrap();
            assert_eq!(first.id, 1);
            // The first row arrives after one batch of 50, not the whole result.
            assert_eq!(rows.queries(), 1);
            assert_eq!(statements(backend, "albums") - before, 1);
            // The pool is free while the rows of a batch are consumed (a pool of one works).
            assert_eq!(Album::objects().count(&pool).await.unwrap(), 250);
            let mut n = 1;
            while let Some(album) = rows.try_next().await.unwrap() {
                n += 1;
                assert_eq!(album.id, n);
            }
            assert_eq!(n, 250);
            assert_eq!(rows.queries(), 6);
            assert_eq!(statements(backend, "albums") - before, 6);
        });
    }
);

// ---- Orderings, limits, offsets, filters ---------------------------------------------------

/// Collects a blocking batched read.
fn read<I: Iterator<Item = orm::Result<Note>>>(rows: I) -> Vec<i64> {
    rows.map(|n| n.unwrap().id).collect()
}

backend_test!(
    fn batches_keep_the_querysets_order_slice_and_filters(db: &TestDb) {
        let mut conn = db.connect();
        seed_notes(&mut conn, 23);
        let all = |ids: std::ops::RangeInclusive<i64>| ids.collect::<Vec<_>>();

        // Keyset, with the QuerySet's limit and offset (in primary-key order).
        let sliced = Note::objects().offset(3).limit(10);
        assert_eq!(read(sliced.iter(&mut conn, 4)), all(4..=13));
        let mut rows = sliced.iter(&mut conn, 4);
        assert_eq!(rows.by_ref().count(), 10);
        assert_eq!(
            rows.queries(),
            3,
            "batches of 4, 4 and 2: the limit ends it"
        );
        assert_eq!(
            read(Note::objects().offset(20).iter(&mut conn, 4)),
            [21, 22, 23]
        );
        assert!(read(Note::objects().limit(0).iter(&mut conn, 4)).is_empty());

        // Keyset after typed and by-name filters.
        let done = Note::objects().filter(notes::completed.eq(true));
        assert_eq!(read(done.iter(&mut conn, 2)), [3, 6, 9, 12, 15, 18, 21]);
        let by_name = Note::objects()
            .filter_by("text__endswith", "1")
            .unwrap()
            .exclude_by("id", "11")
            .unwrap();
        assert_eq!(read(by_name.iter(&mut conn, 1)), [1, 21]);
        let none = Note::objects().filter(notes::id.gt(1000));
        let mut rows = none.iter(&mut conn, 5);
        assert!(rows.next().is_none());
        assert_eq!(rows.queries(), 1);

        // An ordering: LIMIT/OFFSET batches, the same rows in the same order as `all`.
        let ordered = Note::objects()
            .order_by(notes::completed.desc())
            .then_order_by(notes::id.desc());
        let expected: Vec<i64> = ordered
            .all(&mut conn)
            .unwrap()
            .into_iter()
            .map(|n| n.id)
            .collect();
        assert_eq!(read(ordered.iter(&mut conn, 4)), expected);
        let page = ordered.clone().offset(5).limit(9);
        let expected_page = expected[5..14].to_vec();
        assert_eq!(read(page.iter(&mut conn, 4)), expected_page);
        // Ties on the ordering are broken by the primary key: batches never overlap.
        let ties = Note::objects().order_by(notes::completed.asc());
        let mut ids = read(ties.iter(&mut conn, 3));
        assert_eq!(ids.len(), 23);
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 23);
        // By name.
        let by_names = Note::objects().order_by_names(&["-id"]).unwrap().limit(5);
        assert_eq!(read(by_names.iter(&mut conn, 2)), [23, 22, 21, 20, 19]);

        // The same, async: from a pool and from one pooled connection.
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut rows = sliced.stream(&pool, 4);
            let mut ids = Vec::new();
            while let Some(note) = rows.try_next().await.unwrap() {
                ids.push(note.id);
            }
            assert_eq!(ids, all(4..=13));
            assert_eq!(rows.queries(), 3);

            let mut conn = pool.get().await.unwrap();
            let mut rows = page.stream(&mut conn, 4);
            let mut ids = Vec::new();
            while let Some(note) = rows.try_next().await.unwrap() {
                ids.push(note.id);
            }
            assert_eq!(ids, expected_page);
            drop(rows);

            // As a futures_core::Stream.
            let mut rows = std::pin::pin!(by_name.stream(&mut conn, 1));
            let mut ids = Vec::new();
            while let Some(note) =
                std::future::poll_fn(|cx| futures_core::Stream::poll_next(rows.as_mut(), cx)).await
            {
                ids.push(note.unwrap().id);
            }
            assert_eq!(ids, [1, 21]);
        });
    }
);

/// A stream is `Send` (it can be read on a spawned task) and so is its `try_next` future.
#[test]
fn streams_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let runtime = runtime(2);
    runtime.block_on(async {
        let pool = Database::connect("sqlite::memory:").await.unwrap();
        pool.create_all(&all_models()).await.unwrap();
        let mut rows = Note::objects().stream(&pool, 10);
        assert_send(&rows);
        assert_send(&rows.try_next());
        drop(rows);
        let task = tokio::spawn(async move {
            let mut rows = Note::objects().stream(&pool, 10);
            rows.try_next().await.map(|n| n.is_none())
        });
        assert!(task.await.unwrap().unwrap());
    });
}

backend_test!(
    fn a_batch_of_zero_is_a_usage_error_not_a_panic(db: &TestDb) {
        let mut conn = db.connect();
        seed_notes(&mut conn, 3);
        let rows: Vec<orm::Result<Note>> = Note::objects().iter(&mut conn, 0).collect();
        assert_eq!(rows.len(), 1);
        assert!(
            matches!(&rows[0], Err(orm::Error::Usage { .. })),
            "{:?}",
            rows[0]
        );
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            let mut rows = Note::objects().stream(&pool, 0);
            let first = rows.try_next().await;
            assert!(matches!(first, Err(orm::Error::Usage { .. })), "{first:?}");
            assert!(matches!(rows.try_next().await, Ok(None)));
        });
    }
);
