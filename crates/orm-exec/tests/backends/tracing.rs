//! Statement tracing: each statement emits one `orm::sql` DEBUG event with the SQL text,
//! the backend and the elapsed time, never a bound value.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Once;

use diesel::sql_types::{BigInt, Text};
use orm_exec::{Backend, Connection};
// `::tracing` is the crate; `crate::tracing` is this module.
use ::tracing::field::{Field, Visit};
use ::tracing::{span, Event, Level, Metadata, Subscriber};

use crate::backend_test;

/// One captured event: its level and fields, as text.
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    /// The event's target (`orm::sql`, or a driver's module path).
    pub(crate) target: String,
    level: Level,
    /// Every field, as text (`message` holds the formatted message).
    pub(crate) fields: BTreeMap<String, String>,
}

impl Captured {
    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// The test binary's global subscriber: keeps the events of the threads that are capturing
/// ([`capture`] keeps orm's own, [`capture_all`] every crate's).
///
/// A global subscriber, not a scoped one (`with_default`): tracing caches each callsite's
/// interest for all threads, and a callsite first reached on a thread without a scoped
/// subscriber would stay disabled on every thread.
struct Capture;

thread_local! {
    /// This thread's captured events, while it captures.
    static CAPTURED: RefCell<Option<Vec<Captured>>> = const { RefCell::new(None) };
}

/// Runs `f` and returns the `orm::sql` and `orm::pool` events it emitted on this thread.
fn capture(f: impl FnOnce()) -> Vec<Captured> {
    capture_all(f)
        .into_iter()
        .filter(|e| {
            e.target == orm_exec::instrument::TARGET || e.target == orm_exec::database::POOL_TARGET
        })
        .collect()
}

/// Runs `f` and returns every `tracing` event emitted on this thread, at any level, from
/// any crate (orm's and the drivers').
pub(crate) fn capture_all(f: impl FnOnce()) -> Vec<Captured> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        ::tracing::subscriber::set_global_default(Capture)
            .expect("no other global subscriber in this test binary");
    });
    CAPTURED.with(|c| *c.borrow_mut() = Some(Vec::new()));
    f();
    CAPTURED.with(|c| c.borrow_mut().take().unwrap_or_default())
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        CAPTURED.with(|captured| {
            let mut captured = captured.borrow_mut();
            let Some(events) = captured.as_mut() else {
                return;
            };
            let mut fields = BTreeMap::new();
            event.record(&mut FieldText(&mut fields));
            events.push(Captured {
                target: event.metadata().target().to_owned(),
                level: *event.metadata().level(),
                fields,
            });
        });
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// Records every field as text.
struct FieldText<'a>(&'a mut BTreeMap<String, String>);

impl Visit for FieldText<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

const SECRET: &str = "secret-value-7f3a";

fn setup(conn: &mut Connection) {
    conn.batch_execute("CREATE TABLE traced (id BIGINT PRIMARY KEY, v VARCHAR(40))")
        .unwrap();
}

backend_test!(
    fn a_query_emits_one_event_without_its_values(db: &TestDb) {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            #[allow(dead_code)]
            id: i64,
        }
        let mut conn = db.connect();
        setup(&mut conn);
        let events = capture(|| {
            let rows = conn
                .raw("SELECT id FROM traced WHERE v = ? AND id > ?")
                .bind::<Text, _>(SECRET)
                .bind::<BigInt, _>(424242)
                .load::<Row>()
                .unwrap();
            assert!(rows.is_empty());
        });
        assert_eq!(events.len(), 1, "{events:#?}");
        let event = &events[0];
        assert_eq!(event.level, Level::DEBUG);
        assert_eq!(event.field("backend"), db.backend.name());
        let sql = event.field("sql");
        assert!(sql.starts_with("SELECT id FROM traced WHERE v = "), "{sql}");
        assert!(!sql.contains(SECRET) && !sql.contains("424242"), "{sql}");
        assert!(!sql.contains("binds"), "{sql}");
        assert!(
            event.field("elapsed_us").parse::<u64>().is_ok(),
            "{event:?}"
        );
        assert_eq!(event.field("failed"), "false");
        for event in &events {
            assert!(!format!("{event:?}").contains(SECRET), "{event:?}");
        }
    }
);

backend_test!(
    fn failures_and_transactions_are_traced(db: &TestDb) {
        let mut conn = db.connect();
        setup(&mut conn);
        let events = capture(|| {
            conn.transaction(|c| -> orm_exec::Result<()> {
                c.raw("INSERT INTO traced (id, v) VALUES (?, ?)")
                    .bind::<BigInt, _>(1)
                    .bind::<Text, _>(SECRET)
                    .execute()?;
                Ok(())
            })
            .unwrap();
            let duplicate = conn
                .raw("INSERT INTO traced (id, v) VALUES (?, ?)")
                .bind::<BigInt, _>(1)
                .bind::<Text, _>(SECRET)
                .execute();
            assert!(duplicate.unwrap_err().is_unique_violation());
        });
        let sql: Vec<&str> = events.iter().map(|e| e.field("sql")).collect();
        // On MySQL/MariaDB orm then asks the server for the error's number (two statements,
        // traced like any other; see orm_exec::error::map).
        let diagnostics = if db.backend == Backend::Mysql { 2 } else { 0 };
        assert_eq!(sql.len(), 4 + diagnostics, "{events:#?}");
        // The commit carries the check that the server still has the transaction
        // (orm_exec::transaction::level).
        let (begin, commit) = match db.backend {
            Backend::Sqlite => ("BEGIN IMMEDIATE", "COMMIT"),
            Backend::Postgres => ("BEGIN", "SELECT 1; COMMIT"),
            Backend::Mysql => (
                "SET autocommit = 0; BEGIN; SAVEPOINT orm_transaction",
                "RELEASE SAVEPOINT orm_transaction; COMMIT; SET autocommit = 1",
            ),
        };
        assert_eq!(sql[0], begin);
        assert!(sql[1].starts_with("INSERT INTO traced"), "{sql:?}");
        assert_eq!(sql[2], commit);
        assert!(sql[3].starts_with("INSERT INTO traced"), "{sql:?}");
        let failed: Vec<&str> = events.iter().map(|e| e.field("failed")).collect();
        assert_eq!(failed[..4], ["false", "false", "false", "true"]);
        if diagnostics > 0 {
            assert!(sql[4].starts_with("GET DIAGNOSTICS"), "{sql:?}");
            assert!(sql[5].starts_with("SELECT CAST(@orm_errno"), "{sql:?}");
            assert_eq!(failed[4..], ["false", "false"]);
        }
        for event in &events {
            assert!(!format!("{event:?}").contains(SECRET), "{event:?}");
        }
    }
);

backend_test!(
    fn pool_checkouts_are_traced_with_their_wait(db: &TestDb) {
        let runtime = crate::async_support::current_thread();
        let events = capture(|| {
            runtime.block_on(async {
                let pool = orm_exec::Database::connect(&db.url).await.unwrap();
                let conn = pool.get().await.unwrap();
                drop(conn);
            })
        });
        let checkouts: Vec<&Captured> = events
            .iter()
            .filter(|e| e.fields.contains_key("waited_us"))
            .collect();
        assert!(!checkouts.is_empty(), "{events:#?}");
        let last = checkouts.last().unwrap();
        assert_eq!(last.level, Level::DEBUG);
        assert_eq!(last.field("backend"), db.backend.name());
        assert_eq!(last.field("ok"), "true");
        assert!(last.field("waited_us").parse::<u64>().is_ok(), "{last:?}");
    }
);
