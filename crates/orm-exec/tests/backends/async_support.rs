//! Helpers for the async tests: runtimes (the harness's test bodies are synchronous), async
//! scalar queries on a pooled connection, and row counts read through a separate blocking
//! connection (run outside the runtime: a blocking PostgreSQL or MySQL connection refuses
//! to start inside an async task).

use std::time::Duration;

use orm_exec::{async_dispatch, Database, DatabaseBuilder, Error, PooledConnection};

use crate::support::{self, TestDb};

/// A multi-thread runtime with two workers, I/O and timers.
pub fn multi_thread() -> tokio::runtime::Runtime {
    support::runtime(2)
}

/// A current-thread runtime with I/O and timers.
pub fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `SELECT <expr>` returning one BIGINT, on a pooled connection.
pub async fn scalar_i64(conn: &mut PooledConnection, expr: &str) -> i64 {
    let query = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(expr));
    async_dispatch!(conn, c => {
        diesel_async::RunQueryDsl::get_result::<i64>(query, c).await
    })
    .unwrap_or_else(|e| panic!("SELECT {expr}: {e}"))
}

/// The number of rows in `table`, on a pooled connection.
pub async fn count_async(conn: &mut PooledConnection, table: &str) -> i64 {
    let expr = format!("COUNT(*) FROM {}", conn.backend().quote(table));
    scalar_i64(conn, &expr).await
}

/// The number of rows in `table`, read through a fresh blocking connection. Call outside
/// the runtime.
pub fn committed_rows(db: &TestDb, table: &str) -> i64 {
    let mut conn = db.connect();
    support::count_rows(&mut conn, table)
}

/// `CREATE TABLE <name> (id INTEGER PRIMARY KEY, v VARCHAR(20))` through a blocking
/// connection.
pub fn create_table(db: &TestDb, name: &str) {
    db.connect()
        .batch_execute(&format!(
            "CREATE TABLE {name} (id INTEGER PRIMARY KEY, v VARCHAR(20))"
        ))
        .unwrap();
}

/// The URL with its scheme replaced.
pub fn with_scheme(url: &str, scheme: &str) -> String {
    let (_, rest) = url.split_once("://").unwrap();
    format!("{scheme}://{rest}")
}

/// The URL with a query parameter added.
pub fn with_param(url: &str, param: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{param}")
}

/// The server's id for the session behind `conn` (`None` on SQLite).
pub async fn session_id(conn: &mut PooledConnection) -> Option<i64> {
    match crate::common::session_id_expr(conn.backend()) {
        Some(expr) => Some(scalar_i64(conn, expr).await),
        None => None,
    }
}

/// A pool on `db`, built with `settings`.
pub async fn pool_with(
    db: &TestDb,
    settings: impl FnOnce(DatabaseBuilder) -> DatabaseBuilder,
) -> Database {
    settings(Database::builder(&db.url)).build().await.unwrap()
}

/// A pool of at most `max_size` connections on `db`.
pub async fn pool_of(db: &TestDb, max_size: usize) -> Database {
    pool_with(db, |b| b.max_size(max_size)).await
}

/// Creates `table` (see [`create_table`]), runs `body` on `runtime`, and then asserts that
/// `committed` rows of `table` were committed, read through a fresh blocking connection.
/// Returns what `body` returns.
pub fn with_table<T>(
    db: &TestDb,
    table: &str,
    committed: i64,
    runtime: tokio::runtime::Runtime,
    body: impl std::future::Future<Output = T>,
) -> T {
    create_table(db, table);
    let value = runtime.block_on(body);
    assert_eq!(committed_rows(db, table), committed, "committed to {table}");
    value
}

/// On a fresh SQLite test database: [`with_table`], with a pool of two connections handed
/// to `body` (for tests of two connections contending for the database's one writer).
#[cfg(feature = "sqlite")]
pub fn sqlite_pool_of_two<T>(
    table: &str,
    committed: i64,
    runtime: tokio::runtime::Runtime,
    body: impl AsyncFnOnce(Database) -> T,
) -> T {
    let db = TestDb::new(orm_exec::Backend::Sqlite).unwrap();
    with_table(&db, table, committed, runtime, async {
        body(pool_of(&db, 2).await).await
    })
}

/// Starts a transaction on `pool` that runs `sql` and then waits 30 s, and drops it after
/// 100 ms.
pub async fn cut_off_transaction(pool: &Database, sql: &str) {
    let outcome = tokio::time::timeout(
        Duration::from_millis(100),
        pool.transaction(async |conn| {
            conn.execute(sql).await?;
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok::<_, Error>(())
        }),
    )
    .await;
    assert!(outcome.is_err(), "the transaction must have been cut off");
}
