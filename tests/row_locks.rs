//! Row locks: `select_for_update()` with `skip_locked()` as a job queue, where 8 workers
//! each do every job they take and every job is done exactly once; a locking read
//! outside a transaction is a usage error; on the servers, a row another transaction holds
//! is left out by `skip_locked` and refused at once by `nowait`.

#[macro_use]
mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use orm::prelude::*;
use orm::{Database, Error};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

const JOBS: usize = 60;
const WORKERS: usize = 8;

/// `JOBS` open jobs (notes not completed).
fn seed(db: &TestDb) {
    let mut conn = db.connect();
    conn.create_all(&all_models()).unwrap();
    let forms = (0..JOBS)
        .map(|i| NewNote::new(format!("job {i}")))
        .collect();
    Note::objects().bulk_create(&mut conn, forms).unwrap();
}

/// Takes the first open job no other transaction holds and marks it done, in one
/// transaction: its id, or `None` when no open job is left.
fn take_one(conn: &mut orm::Connection) -> Result<Option<i64>, Error> {
    conn.transaction(|tx| {
        let job = Note::objects()
            .filter(notes::completed.eq(false))
            .order_by(notes::id.asc())
            .select_for_update()
            .skip_locked()
            .first(&mut *tx)?;
        let Some(mut job) = job else {
            return Ok(None);
        };
        let done = NoteChanges {
            completed: Some(true),
            ..Default::default()
        };
        job.update(&mut *tx, done)?;
        Ok(Some(job.id))
    })
}

backend_test!(
    fn skip_locked_job_queue_does_every_job_exactly_once(db: &TestDb) {
        seed(db);
        let taken = Arc::new(Mutex::new(Vec::new()));
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let mut conn = db.connect();
                let taken = Arc::clone(&taken);
                std::thread::spawn(move || loop {
                    match take_one(&mut conn) {
                        Ok(Some(id)) => taken.lock().unwrap().push(id),
                        Ok(None) => return,
                        // A busy SQLite database or a server deadlock: try again.
                        Err(e) if e.is_retryable() => continue,
                        Err(e) => panic!("worker failed: {e:?}"),
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        let taken = taken.lock().unwrap();
        let distinct: HashSet<i64> = taken.iter().copied().collect();
        assert_eq!(taken.len(), JOBS, "every job taken once: {taken:?}");
        assert_eq!(distinct.len(), JOBS, "no job taken twice: {taken:?}");
        let mut conn = db.connect();
        let open = Note::objects()
            .filter(notes::completed.eq(false))
            .count(&mut conn)
            .unwrap();
        assert_eq!(open, 0);
    }
);

backend_test!(
    fn a_locking_read_outside_a_transaction_is_a_usage_error(db: &TestDb) {
        seed(db);
        let mut conn = db.connect();
        let outside = Note::objects().select_for_update().all(&mut conn);
        assert!(matches!(outside, Err(Error::Usage { .. })), "{outside:?}");
        // Inside one it reads the rows (every backend, SQLite without a clause).
        let inside: Result<Vec<Note>, Error> =
            conn.transaction(|tx| Note::objects().select_for_update().nowait().all(&mut *tx));
        assert_eq!(inside.unwrap().len(), JOBS);
        runtime(2).block_on(async {
            let database = Database::connect(&db.url).await.unwrap();
            let outside = Note::objects().select_for_update().first(&database).await;
            assert!(matches!(outside, Err(Error::Usage { .. })), "{outside:?}");
        });
    }
);

backend_test!(
    fn a_held_row_is_skipped_or_refused_by_another_transaction(db: &TestDb) {
        seed(db);
        let mut holder = db.connect();
        if holder.backend() == orm::Backend::Sqlite {
            // No row locks: a second writer waits for the first's BEGIN IMMEDIATE instead.
            return;
        }
        let mut other = db.connect();
        let first = Note::objects()
            .order_by(notes::id.asc())
            .first(&mut holder)
            .unwrap()
            .unwrap()
            .id;
        let row = || Note::objects().filter(notes::id.eq(first));
        holder
            .transaction(|held| {
                assert_eq!(row().select_for_update().all(&mut *held)?.len(), 1);
                // Another transaction: SKIP LOCKED leaves the row out, NOWAIT fails at once.
                let skipped: Result<Vec<Note>, Error> =
                    other.transaction(|tx| row().select_for_update().skip_locked().all(&mut *tx));
                assert_eq!(skipped.unwrap().len(), 0);
                let refused: Result<Vec<Note>, Error> =
                    other.transaction(|tx| row().select_for_update().nowait().all(&mut *tx));
                assert!(
                    matches!(refused, Err(Error::Database { .. })),
                    "{refused:?}"
                );
                Ok::<_, Error>(())
            })
            .unwrap();
        // Once the holder's transaction is over, the row is there for the taking.
        let free: Result<Vec<Note>, Error> =
            other.transaction(|tx| row().select_for_update().nowait().all(&mut *tx));
        assert_eq!(free.unwrap().len(), 1);
    }
);
