//! [`Connection`]: one blocking connection to whichever backend a URL names.
//!
//! SQLite runs on diesel's own connection (the C library is bundled). PostgreSQL and
//! MySQL/MariaDB run on diesel-async's pure-Rust drivers behind diesel-async's
//! `AsyncConnectionWrapper`, which gives them diesel's blocking `Connection` API: no libpq or
//! libmysqlclient is linked anywhere.
//!
//! How each backend's connection is opened and set up (SQLite's pragmas, connect timeouts)
//! is in the crate's private `establish` module.

use std::fmt;

use diesel::connection::SimpleConnection;
use orm_schema::Backend;

use crate::error::Result;
use crate::establish;
use crate::url::DatabaseUrl;

crate::dispatch::backend_type! {
    /// The blocking SQLite connection: diesel's own (or
    /// [`Disabled`](crate::dispatch::Disabled) without the `sqlite` feature).
    "sqlite" BlockingSqlite = diesel::SqliteConnection;
    /// The blocking PostgreSQL connection: diesel-async's tokio-postgres connection behind
    /// `AsyncConnectionWrapper` (or [`Disabled`](crate::dispatch::Disabled) without the
    /// `postgres` feature).
    "postgres" BlockingPg =
        diesel_async::async_connection_wrapper::AsyncConnectionWrapper<
            diesel_async::AsyncPgConnection,
            crate::runtime::BlockingRuntime,
        >;
    /// The blocking MySQL/MariaDB connection: diesel-async's mysql_async connection behind
    /// `AsyncConnectionWrapper` (or [`Disabled`](crate::dispatch::Disabled) without the
    /// `mysql` feature).
    "mysql" BlockingMysql =
        diesel_async::async_connection_wrapper::AsyncConnectionWrapper<
            diesel_async::AsyncMysqlConnection,
            crate::runtime::BlockingRuntime,
        >;
    /// The blocking connection of a `mariadb://` URL: diesel-async's mysql_async connection
    /// with diesel's MariaDB backend behind `AsyncConnectionWrapper` (or
    /// [`Disabled`](crate::dispatch::Disabled) without the `mysql` feature).
    "mysql" BlockingMariadb =
        diesel_async::async_connection_wrapper::AsyncConnectionWrapper<
            diesel_async::AsyncMariadbConnection,
            crate::runtime::BlockingRuntime,
        >;
}

/// A blocking connection to SQLite, PostgreSQL or MySQL/MariaDB, chosen by URL at run time.
///
/// Each variant holds the backend's diesel connection, so any diesel query runs on it
/// through [`dispatch!`](crate::dispatch!). A variant whose cargo feature is off holds
/// [`Disabled`](crate::dispatch::Disabled) and cannot be built.
///
/// ```
/// # #[cfg(not(feature = "sqlite"))] fn main() {}
/// # #[cfg(feature = "sqlite")]
/// # fn main() -> orm_exec::Result<()> {
/// let mut conn = orm_exec::Connection::establish("sqlite::memory:")?;
/// conn.batch_execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")?;
/// assert_eq!(conn.execute("INSERT INTO notes (text) VALUES ('hi')")?, 1);
/// # Ok(())
/// # }
/// ```
// A connection is long-lived and moved rarely; boxing the PostgreSQL variant (about 500
// bytes) would cost a pointer chase per statement and an extra deref in every dispatch body.
#[allow(clippy::large_enum_variant)]
pub enum Connection {
    /// A SQLite connection.
    Sqlite(BlockingSqlite),
    /// A PostgreSQL connection.
    Postgres(BlockingPg),
    /// A MySQL or MariaDB connection through diesel's MySQL backend (`mysql://`).
    Mysql(BlockingMysql),
    /// A MariaDB connection through diesel's MariaDB backend (`mariadb://`).
    Mariadb(BlockingMariadb),
}

impl Connection {
    /// Opens a connection to the database the URL names (see [`crate::url`] for the forms).
    ///
    /// Establishing is bounded by the URL's `connect_timeout` (10 s by default).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`](crate::Error::InvalidUrl) or [`Error::UnsupportedBackend`](crate::Error::UnsupportedBackend) for a URL orm cannot use;
    /// [`Error::Connection`](crate::Error::Connection) when the server refuses, cannot be reached in time, rejects the
    /// credentials or has no such database, or the SQLite file cannot be opened.
    ///
    /// # Panics
    ///
    /// Opening a PostgreSQL or MySQL connection inside an async task panics (tokio refuses
    /// to block a thread that drives tasks): use orm's async API there.
    pub fn establish(url: &str) -> Result<Connection> {
        Self::establish_url(&DatabaseUrl::parse(url)?)
    }

    /// Opens a connection to an already parsed URL (see [`Connection::establish`]).
    pub fn establish_url(url: &DatabaseUrl) -> Result<Connection> {
        match url.backend() {
            Backend::Sqlite => establish::sqlite(url),
            Backend::Postgres => establish::postgres(url),
            Backend::Mysql => establish::mysql(url),
        }
    }

    /// The backend this connection talks to.
    pub fn backend(&self) -> Backend {
        match self {
            Connection::Sqlite(_) => Backend::Sqlite,
            Connection::Postgres(_) => Backend::Postgres,
            Connection::Mysql(_) | Connection::Mariadb(_) => Backend::Mysql,
        }
    }

    /// Turns the result of a diesel statement that just ran on this connection into orm's
    /// [`Result`], classifying its error: on MySQL/MariaDB the server is first asked for
    /// the error's number, which diesel-async drops (see [`crate::error::map`]); on the
    /// other backends this is [`Error::from_diesel`](crate::Error::from_diesel). Call it before running anything else
    /// on the connection.
    pub fn classify<T>(&mut self, result: diesel::QueryResult<T>) -> Result<T> {
        use crate::error::Classify;
        crate::dispatch!(self, c => c.classify(result))
    }

    /// Runs one or more SQL statements separated by `;`, returning no rows. Only for SQL
    /// without user input (DDL, session settings): values must travel as bound parameters.
    pub fn batch_execute(&mut self, sql: &str) -> Result<()> {
        let result = crate::dispatch!(&mut *self, c => c.batch_execute(sql));
        self.classify(result)
    }

    /// Runs one SQL statement and returns the number of rows it affected. Only for SQL
    /// without user input: values must travel as bound parameters.
    pub fn execute(&mut self, sql: &str) -> Result<usize> {
        let result = crate::dispatch!(&mut *self, c => {
            diesel::RunQueryDsl::execute(diesel::sql_query(sql), c)
        });
        self.classify(result)
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Connection").field(&self.backend()).finish()
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn memory_database_runs_statements() {
        let mut conn = Connection::establish("sqlite::memory:").unwrap();
        assert_eq!(conn.backend(), Backend::Sqlite);
        conn.batch_execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE u (id INTEGER)",
        )
        .unwrap();
        assert_eq!(
            conn.execute("INSERT INTO t (v) VALUES ('a'), ('b')")
                .unwrap(),
            2
        );
        assert_eq!(conn.execute("UPDATE t SET v = 'c'").unwrap(), 2);
        assert_eq!(format!("{conn:?}"), "Connection(Sqlite)");
    }

    #[test]
    fn unopenable_file_is_a_connection_error() {
        let err = Connection::establish("sqlite:///nonexistent-dir-orm-test/x/y.db").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Connection {
                    backend: Backend::Sqlite,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn sql_errors_are_database_errors() {
        let mut conn = Connection::establish("sqlite::memory:").unwrap();
        let err = conn.execute("SELEC nonsense").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Database {
                    backend: Some(Backend::Sqlite),
                    retryable: false,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
