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
use orm_schema::migrate::{Operation, Schema};
use orm_schema::{Backend, ModelMeta};

use crate::ddl_run::Ddl;
use crate::error::Result;
use crate::establish;
use crate::migrate_run::Migrate;
use crate::migrations::{DataLoss, Migration, MigrationDir, MigrationStatus};
use crate::statement_conn::run_now;
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

    /// Creates the tables of `models` that do not exist yet, referenced tables first.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`](crate::Error::Schema) when the set cannot be ordered (a foreign key to a model outside
    /// the set, or a cycle); otherwise the first statement's database error.
    pub fn create_all(&mut self, models: &[&'static ModelMeta]) -> Result<()> {
        crate::dispatch!(self, c => run_now(Ddl(c).create_all(models)))
    }

    /// Drops the tables of `models` that exist, referencing tables first (the reverse of
    /// [`Connection::create_all`]).
    ///
    /// # Errors
    ///
    /// As [`Connection::create_all`].
    pub fn drop_all(&mut self, models: &[&'static ModelMeta]) -> Result<()> {
        crate::dispatch!(self, c => run_now(Ddl(c).drop_all(models)))
    }

    /// The live schema of this connection's database: every table of the current
    /// schema (PostgreSQL) or database (MySQL/MariaDB), or of the file (SQLite), in
    /// the terms the DDL writes ([`orm_schema::migrate::Schema`]).
    ///
    /// # Errors
    ///
    /// The first catalog query's database error.
    pub fn introspect(&mut self) -> Result<Schema> {
        crate::dispatch!(self, c => run_now(Migrate(c).introspect()))
    }

    /// The operations that take this database to the schema `models` describe, in
    /// order ([`orm_schema::migrate::diff`] of [`Connection::introspect`] against the
    /// models); empty when the database matches them. Nothing is changed.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`](crate::Error::Schema) as [`Connection::create_all`],
    /// [`Error::Migrate`](crate::Error::Migrate) for a change orm does not migrate (a
    /// new primary key), or a catalog query's database error.
    pub fn plan_migration(&mut self, models: &[&'static ModelMeta]) -> Result<Vec<Operation>> {
        crate::dispatch!(self, c => run_now(Migrate(c).plan(models)))
    }

    /// Runs `operations`: every statement is rendered first, then SQLite runs them in
    /// one transaction with foreign keys off and checked before the commit, PostgreSQL
    /// in one transaction, MySQL/MariaDB one by one (their DDL commits implicitly, so a
    /// failure there leaves the operations before it applied).
    ///
    /// # Errors
    ///
    /// [`Error::Migrate`](crate::Error::Migrate) for an operation the backend cannot
    /// run (nothing ran then) or dangling keys after a SQLite migration (rolled back);
    /// [`Error::Usage`](crate::Error::Usage) inside a transaction on SQLite; otherwise
    /// the failing statement's database error.
    pub fn apply_operations(&mut self, operations: &[Operation]) -> Result<()> {
        crate::dispatch!(self, c => run_now(Migrate(c).apply(operations)))
    }

    /// Applies `dir`'s migrations for this backend that the history table
    /// (diesel's `__diesel_schema_migrations`, created if missing) does not record, in
    /// version order, each run as [`Connection::apply_operations`] runs operations and
    /// recorded in the same transaction; the versions applied.
    ///
    /// # Errors
    ///
    /// [`Error::Migrate`](crate::Error::Migrate) for a directory that is not a
    /// migration (nothing ran then); [`Error::MigrationFailed`](crate::Error::MigrationFailed)
    /// naming the migration whose script failed (those before it stay applied).
    pub fn run_pending_migrations(&mut self, dir: &MigrationDir) -> Result<Vec<String>> {
        crate::dispatch!(self, c => run_now(Migrate(c).run_pending(dir)))
    }

    /// Reverts the last `count` applied migrations of `dir`, latest first, each by its
    /// `down.sql` and removed from the history in the same transaction; the versions
    /// reverted.
    ///
    /// # Errors
    ///
    /// As [`Connection::run_pending_migrations`]; also
    /// [`MigrateError::UnknownApplied`](orm_schema::migrate::MigrateError::UnknownApplied)
    /// when an applied migration to revert has no directory (nothing ran then).
    pub fn revert_migrations(&mut self, dir: &MigrationDir, count: usize) -> Result<Vec<String>> {
        crate::dispatch!(self, c => run_now(Migrate(c).revert(dir, count)))
    }

    /// Makes a new migration of `dir` for this backend, named `name`: the operations
    /// that take this database (which must have every migration of `dir` applied) to
    /// `models`, written as `up.sql` and `down.sql`. `None` when the database already
    /// matches the models. Nothing in the database changes.
    ///
    /// # Errors
    ///
    /// [`MigrateError::Pending`](orm_schema::migrate::MigrateError::Pending) when a
    /// migration of `dir` is not applied; [`MigrateError::DataLoss`](orm_schema::migrate::MigrateError::DataLoss)
    /// when the operations drop data and `data_loss` is [`DataLoss::Refuse`]; otherwise
    /// as [`Connection::plan_migration`] and [`MigrationDir::write`].
    pub fn make_migration(
        &mut self,
        dir: &MigrationDir,
        name: &str,
        models: &[&'static ModelMeta],
        data_loss: DataLoss,
    ) -> Result<Option<Migration>> {
        crate::dispatch!(self, c => run_now(Migrate(c).make(dir, name, models, data_loss)))
    }

    /// Where each of `dir`'s migrations stands on this database, in version order.
    ///
    /// # Errors
    ///
    /// As [`Connection::run_pending_migrations`], before anything runs.
    pub fn migration_status(&mut self, dir: &MigrationDir) -> Result<Vec<MigrationStatus>> {
        crate::dispatch!(self, c => run_now(Migrate(c).status(dir)))
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
