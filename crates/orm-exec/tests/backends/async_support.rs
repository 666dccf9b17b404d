//! Helpers for the async tests: runtimes (the harness's test bodies are synchronous), async
//! scalar queries on a pooled connection, and row counts read through a separate blocking
//! connection (run outside the runtime: a blocking PostgreSQL or MySQL connection refuses
//! to start inside an async task).

use orm_exec::{async_dispatch, PooledConnection};

use crate::support::{self, TestDb};

/// A multi-thread runtime with two workers, I/O and timers.
pub fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A current-thread runtime with I/O and timers.
#[cfg(feature = "sqlite")]
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
    match conn.backend() {
        orm_exec::Backend::Sqlite => None,
        orm_exec::Backend::Postgres => {
            Some(scalar_i64(conn, "CAST(pg_backend_pid() AS BIGINT)").await)
        }
        orm_exec::Backend::Mysql => Some(scalar_i64(conn, "CAST(CONNECTION_ID() AS SIGNED)").await),
    }
}
