//! Migrations, the I/O half, written once for every connection (blocking
//! [`Connection`](crate::Connection) through `run_now`, async
//! [`PooledConnection`](crate::PooledConnection) awaited): reading the live schema
//! (orm-schema's catalog queries, assembled into a [`Schema`]) and applying
//! [`Operation`]s.
//!
//! How operations run: every statement is rendered before the first one runs. SQLite
//! turns foreign keys off, runs them in one `BEGIN IMMEDIATE` transaction, checks the
//! keys (`PRAGMA foreign_key_check`) before committing and turns them on again (its
//! documented table-rebuild procedure); PostgreSQL runs them in one transaction;
//! MySQL/MariaDB commit each DDL statement implicitly, so they run one by one.

use std::future::Future;

use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Nullable, Text};
use orm_schema::ddl::MysqlFlavor;
use orm_schema::migrate::{self, Catalog, CatalogRow, MigrateError, Operation, Schema, ValueRule};
use orm_schema::{Backend, ModelMeta};

use crate::ddl_run::{mysql_flavor, Count, Version};
use crate::error::{Error, Result};
use crate::migrations::{
    check_states, version_order, DataLoss, Edits, Migration, MigrationDir, MigrationStatus,
};
use crate::statement::{Execute, Load};
use crate::statement_conn::StatementConn;
use crate::transaction::level;

/// One row of a catalog query: six nullable text columns `c1` .. `c6`.
#[derive(diesel::QueryableByName)]
pub(crate) struct Row {
    #[diesel(sql_type = Nullable<Text>)]
    c1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c2: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c3: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c4: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c5: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c6: Option<String>,
}

impl From<Row> for CatalogRow {
    fn from(r: Row) -> CatalogRow {
        [r.c1, r.c2, r.c3, r.c4, r.c5, r.c6]
    }
}

/// SQLite's dangling keys after a migration: table, parent.
const SQLITE_FOREIGN_KEY_CHECK: &str = "SELECT \"table\" AS c1, parent AS c2, NULL AS c3, \
     NULL AS c4, NULL AS c5, NULL AS c6 FROM pragma_foreign_key_check LIMIT 1";

/// The migration statements run on connection `C`.
pub(crate) struct Migrate<'c, C>(pub(crate) &'c mut C);

impl<'c, C> Migrate<'c, C>
where
    C: StatementConn,
    diesel::query_builder::SqlQuery: Load<C, Row> + Load<C, Count>,
    Version: Load<C, String>,
    Record<C::Backend>: Execute<C>,
    C::Backend: HasSqlType<Text>,
    String: ToSql<Text, C::Backend>,
{
    /// The live schema: every table of the current schema or database (orm's history
    /// table left out).
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn introspect(self) -> impl Future<Output = Result<Schema>> + Send + use<'c, C> {
        async move {
            let conn = self.0;
            let flavor = mysql_flavor(&mut *conn).await?;
            let queries = migrate::catalog_queries(C::BACKEND, flavor);
            let mut catalog = Catalog {
                tables: rows(conn, queries.tables).await?,
                columns: rows(conn, queries.columns).await?,
                keys: rows(conn, queries.keys).await?,
                foreign_keys: rows(conn, queries.foreign_keys).await?,
                checks: Vec::new(),
            };
            if let Some(checks) = queries.checks {
                catalog.checks = rows(conn, checks).await?;
            }
            Ok(migrate::assemble(C::BACKEND, flavor, &catalog))
        }
    }

    /// The operations that take the live schema to the one `models` describe.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn plan<'m>(
        self,
        models: &'m [&'static ModelMeta],
    ) -> impl Future<Output = Result<Vec<Operation>>> + Send + use<'c, 'm, C> {
        async move {
            let target = migrate::describe(models, C::BACKEND)?;
            let live = Migrate(self.0).introspect().await?;
            Ok(migrate::diff(&live, &target, C::BACKEND)?)
        }
    }

    /// Runs `operations` (see the module docs for the transaction each backend gets).
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn apply<'o>(
        self,
        operations: &'o [Operation],
    ) -> impl Future<Output = Result<()>> + Send + use<'c, 'o, C> {
        async move {
            let conn = self.0;
            let flavor = mysql_flavor(&mut *conn).await?;
            let mut statements = Vec::new();
            for op in operations {
                statements.extend(op.sql(C::BACKEND, flavor)?);
            }
            run_script(conn, &statements, History::Keep)
                .await
                .map(|_| ())
        }
    }

    /// The versions the history table records, in order (none when it does not exist
    /// yet; it is created).
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn applied(self) -> impl Future<Output = Result<Vec<String>>> + Send + use<'c, C> {
        async move {
            let conn = self.0;
            batch(conn, CREATE_HISTORY).await?;
            recorded(conn).await
        }
    }

    /// Where each of `dir`'s migrations stands.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn status<'m>(
        self,
        dir: &'m MigrationDir,
    ) -> impl Future<Output = Result<Vec<MigrationStatus>>> + Send + use<'c, 'm, C> {
        async move {
            let conn = self.0;
            let migrations = dir.read(C::BACKEND)?;
            let applied = Migrate(&mut *conn).applied().await?;
            let states = states(conn).await?;
            Ok(crate::migrations::status(&migrations, &applied, &states))
        }
    }

    /// Writes a new migration named `name` into `dir`, taking the database (at the
    /// latest of `dir`'s migrations) to `models`; `None` when nothing changes.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn make<'m>(
        self,
        dir: &'m MigrationDir,
        name: &'m str,
        models: &'m [&'static ModelMeta],
        data_loss: DataLoss,
    ) -> impl Future<Output = Result<Option<Migration>>> + Send + use<'c, 'm, C> {
        async move {
            let conn = self.0;
            let migrations = dir.read(C::BACKEND)?;
            let applied = Migrate(&mut *conn).applied().await?;
            check_states(&migrations, &states(conn).await?, Edits::Refuse)?;
            if let Some(m) = migrations.iter().find(|m| !applied.contains(&m.version)) {
                return Err(MigrateError::Pending {
                    version: m.version.clone(),
                }
                .into());
            }
            let operations = Migrate(&mut *conn).plan(models).await?;
            if operations.is_empty() {
                return Ok(None);
            }
            let losing: Vec<String> = operations
                .iter()
                .filter(|op| op.drops_data())
                .map(ToString::to_string)
                .collect();
            if !losing.is_empty() && data_loss == DataLoss::Refuse {
                return Err(MigrateError::DataLoss { operations: losing }.into());
            }
            for check in migrate::value_checks(&operations) {
                let query = diesel::sql_query(check.count_sql(C::BACKEND));
                let result = <SqlQuery as Load<C, Count>>::get_result(query, conn).await;
                let n = conn.classify(result).await?.n;
                if n > 0 {
                    let problem = match check.rule {
                        ValueRule::NoRows => {
                            format!("is new, NOT NULL and without a default, and the table has {n} rows")
                        }
                        ValueRule::NoNulls => {
                            format!(
                                "becomes NOT NULL without a default, and {n} rows hold NULL there"
                            )
                        }
                    };
                    return Err(MigrateError::NeedsDefault {
                        migration: name.to_string(),
                        table: check.table,
                        column: check.column,
                        problem,
                    }
                    .into());
                }
            }
            let flavor = mysql_flavor(&mut *conn).await?;
            let scripts = migrate::scripts(&operations, C::BACKEND, flavor)?;
            dir.write(C::BACKEND, name, &scripts).map(Some)
        }
    }

    /// Replays `dir`'s migrations into this connection's (scratch) database, as
    /// [`Migrate::change`] applies them, and reads back the schema they leave, with
    /// the MySQL flavor its scripts are rendered for.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn replay<'m>(
        self,
        dir: &'m MigrationDir,
    ) -> impl Future<Output = Result<(Schema, MysqlFlavor)>> + Send + use<'c, 'm, C> {
        async move {
            let conn = self.0;
            Migrate(&mut *conn).change(dir, Change::Apply).await?;
            let schema = Migrate(&mut *conn).introspect().await?;
            let flavor = mysql_flavor(&mut *conn).await?;
            Ok((schema, flavor))
        }
    }

    /// Applies `dir`'s migrations or reverts some, as `change` says, holding the migration
    /// lock (see [`lock`]) so two processes changing the schema at once each run a
    /// migration once; the versions applied or reverted.
    ///
    /// [`Change::Apply`] applies the migrations the history does not record, in version
    /// order, each in its own transaction where the backend has transactional DDL, and
    /// records each. [`Change::Revert`] reverts the last `count` applied ones, latest
    /// first, each by its `down.sql`.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn change<'m>(
        self,
        dir: &'m MigrationDir,
        change: Change,
    ) -> impl Future<Output = Result<Vec<String>>> + Send + use<'c, 'm, C> {
        async move {
            let conn = self.0;
            let migrations = dir.read(C::BACKEND)?;
            lock(conn).await?;
            let outcome = match change {
                Change::Apply => Migrate(&mut *conn).apply_pending(&migrations).await,
                Change::Revert(count) => {
                    let path = dir.path(C::BACKEND).display().to_string();
                    Migrate(&mut *conn)
                        .revert_last(&migrations, count, path)
                        .await
                }
            };
            let unlocked = unlock(conn).await;
            let done = outcome?;
            unlocked.map(|()| done)
        }
    }

    /// The migrations of `migrations` not recorded, applied and recorded in order.
    async fn apply_pending(self, migrations: &[Migration]) -> Result<Vec<String>> {
        let conn = self.0;
        let applied = Migrate(&mut *conn).applied().await?;
        check_states(migrations, &states(conn).await?, Edits::Refuse)?;
        let pending: Vec<&Migration> = migrations
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .collect();
        Migrate(conn).run_each(&pending, Direction::Up).await
    }

    /// The last `count` applied migrations reverted, latest first; `dir` names the
    /// directory in errors.
    async fn revert_last(
        self,
        migrations: &[Migration],
        count: usize,
        dir: String,
    ) -> Result<Vec<String>> {
        let conn = self.0;
        let applied = Migrate(&mut *conn).applied().await?;
        check_states(migrations, &states(conn).await?, Edits::Allow)?;
        // Every script is found before the first one runs.
        let mut scripts = Vec::new();
        for version in applied.iter().rev().take(count) {
            let Some(m) = migrations.iter().find(|m| m.version == *version) else {
                return Err(MigrateError::UnknownApplied {
                    version: version.clone(),
                    dir,
                }
                .into());
            };
            scripts.push(m);
        }
        Migrate(conn).run_each(&scripts, Direction::Down).await
    }

    /// Runs each migration's `up.sql` (recording it) or `down.sql` (forgetting it), in
    /// order; the versions run (SQLite skips one another process ran first).
    async fn run_each(
        self,
        migrations: &[&Migration],
        direction: Direction,
    ) -> Result<Vec<String>> {
        let conn = self.0;
        let mut done = Vec::new();
        for m in migrations {
            let (script, history) = match direction {
                Direction::Up => (&m.up, History::Insert(&m.version, migrate::checksum(&m.up))),
                Direction::Down => (&m.down, History::Delete(&m.version)),
            };
            // A blank script (a migration that changes nothing on this backend) is
            // recorded without being sent: it has nothing to run.
            let statements: &[String] = if migrate::is_blank(script) {
                &[]
            } else {
                std::slice::from_ref(script)
            };
            let ran = run_script(conn, statements, history)
                .await
                .map_err(|e| in_migration(&m.name, e))?;
            if ran {
                done.push(m.version.clone());
            }
        }
        Ok(done)
    }
}

/// What [`Migrate::change`] does to the schema.
pub(crate) enum Change {
    /// Apply every pending migration.
    Apply,
    /// Revert this many applied migrations, latest first.
    Revert(usize),
}

/// Which script of a migration runs.
#[derive(Clone, Copy)]
enum Direction {
    /// `up.sql`.
    Up,
    /// `down.sql`.
    Down,
}

/// Takes the migration lock, so that two processes applying at once (two replicas
/// starting together) apply each migration once: PostgreSQL's advisory lock and
/// MySQL's `GET_LOCK` (waiting up to a minute), both named after the current schema or
/// database. SQLite needs none: each migration's `BEGIN IMMEDIATE` serialises writers,
/// and the history is read again inside it ([`run_script`]).
async fn lock<C>(conn: &mut C) -> Result<()>
where
    C: StatementConn,
    diesel::query_builder::SqlQuery: Load<C, Row>,
{
    match C::BACKEND {
        Backend::Sqlite => Ok(()),
        Backend::Postgres => batch(conn, &format!("SELECT pg_advisory_lock({PG_LOCK_KEY})")).await,
        Backend::Mysql => {
            let sql = format!(
                "SELECT CAST(GET_LOCK({MYSQL_LOCK_NAME}, 60) AS CHAR) AS c1, \
                 CAST(NULL AS CHAR) AS c2, CAST(NULL AS CHAR) AS c3, CAST(NULL AS CHAR) AS c4, \
                 CAST(NULL AS CHAR) AS c5, CAST(NULL AS CHAR) AS c6"
            );
            match rows(conn, &sql).await?.into_iter().next() {
                Some([Some(got), ..]) if got == "1" => Ok(()),
                _ => Err(Error::Usage {
                    message: "another process held the migration lock for a minute; \
                              try again once it has finished"
                        .into(),
                }),
            }
        }
    }
}

/// Releases the lock [`lock`] took.
async fn unlock<C: StatementConn>(conn: &mut C) -> Result<()> {
    match C::BACKEND {
        Backend::Sqlite => Ok(()),
        Backend::Postgres => {
            batch(conn, &format!("SELECT pg_advisory_unlock({PG_LOCK_KEY})")).await
        }
        Backend::Mysql => batch(conn, &format!("DO RELEASE_LOCK({MYSQL_LOCK_NAME})")).await,
    }
}

/// The advisory lock's key: the history table's name in the current schema, hashed.
const PG_LOCK_KEY: &str = "hashtext(current_schema() || '.__diesel_schema_migrations')";

/// The user lock's name: the current database's, at most 64 characters.
const MYSQL_LOCK_NAME: &str = "LEFT(CONCAT('orm_migrations.', DATABASE()), 64)";

/// The versions the history table records, in order.
async fn recorded<C>(conn: &mut C) -> Result<Vec<String>>
where
    C: StatementConn,
    diesel::query_builder::SqlQuery: Load<C, Row>,
{
    let mut versions: Vec<String> = table_rows(conn, &["version"], migrate::HISTORY_TABLE)
        .await?
        .into_iter()
        .filter_map(|[version, ..]| version)
        .collect();
    versions.sort_by(|a, b| version_order(a, b));
    Ok(versions)
}

/// diesel_migrations' history table, as diesel creates it, and orm's state table.
const CREATE_HISTORY: &str = "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (\
     version VARCHAR(50) PRIMARY KEY NOT NULL, \
     run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP); \
     CREATE TABLE IF NOT EXISTS __orm_migrations (\
     version VARCHAR(50) PRIMARY KEY NOT NULL, checksum VARCHAR(16) NOT NULL, \
     state VARCHAR(10) NOT NULL)";

/// What a script does to the history tables, in its transaction.
enum History<'v> {
    /// Nothing (operations applied directly).
    Keep,
    /// Records the version and its `up.sql`'s checksum (a migration applied).
    Insert(&'v str, String),
    /// Forgets the version (a migration reverted).
    Delete(&'v str),
}

/// `e`, raised by the migration `name`, naming it.
fn in_migration(name: &str, e: Error) -> Error {
    Error::MigrationFailed {
        migration: name.to_string(),
        cause: Box::new(e),
    }
}

/// Runs `statements` and the history change: SQLite with foreign keys off inside
/// `BEGIN IMMEDIATE`, checking them before the commit (its table-rebuild procedure);
/// PostgreSQL in one transaction; MySQL/MariaDB one by one, their DDL committing
/// implicitly. `false` when SQLite's history, read again inside the transaction, shows
/// another process did it first (nothing ran then).
async fn run_script<C>(conn: &mut C, statements: &[String], history: History<'_>) -> Result<bool>
where
    C: HistoryConn,
    diesel::query_builder::SqlQuery: Load<C, Row>,
{
    match C::BACKEND {
        Backend::Mysql => {
            // DDL commits as it goes: the state says `failed` until the end, so a
            // failure (or a killed process) half-way is visible to the next run.
            if let History::Insert(version, sum) = &history {
                state(conn, StateChange::Failed(version, sum)).await?;
            }
            run_all(conn, statements).await?;
            record(conn, &history).await.map(|()| true)
        }
        Backend::Postgres => {
            level::begin(conn).await?;
            let outcome = match run_all(conn, statements).await {
                Ok(()) => record(conn, &history).await,
                Err(e) => Err(e),
            };
            level::finish(conn, outcome).await.map(|()| true)
        }
        Backend::Sqlite => {
            if level::depth(conn)? > 0 {
                return Err(Error::Usage {
                    message: "a migration on SQLite runs outside a transaction (it turns \
                              foreign keys off, which SQLite ignores inside one)"
                        .into(),
                });
            }
            batch(conn, "PRAGMA foreign_keys = OFF").await?;
            level::begin(conn).await?;
            let outcome = sqlite_script(conn, statements, &history).await;
            let outcome = level::finish(conn, outcome).await;
            let on = batch(conn, "PRAGMA foreign_keys = ON").await;
            outcome.and_then(|ran| on.map(|()| ran))
        }
    }
}

/// SQLite's part of [`run_script`], inside its transaction.
async fn sqlite_script<C>(
    conn: &mut C,
    statements: &[String],
    history: &History<'_>,
) -> Result<bool>
where
    C: HistoryConn,
    diesel::query_builder::SqlQuery: Load<C, Row>,
{
    let recorded = match history {
        History::Keep => None,
        History::Insert(v, _) | History::Delete(v) => {
            Some(recorded(conn).await?.contains(&v.to_string()))
        }
    };
    let done_already = match history {
        History::Insert(..) => recorded == Some(true),
        History::Delete(_) => recorded == Some(false),
        History::Keep => false,
    };
    if done_already {
        return Ok(false);
    }
    run_all(conn, statements).await?;
    foreign_key_check(conn).await?;
    record(conn, history).await?;
    Ok(true)
}

/// A statement on the history table with the version bound.
pub(crate) type Record<DB> = BoxedSqlQuery<'static, DB, SqlQuery>;

/// A connection the history and state statements run on: every connection orm opens
/// (the bounds are written here once).
trait HistoryConn: StatementConn {
    /// Runs `sql` with `values` bound as text, in order.
    fn execute_with(
        &mut self,
        sql: String,
        values: &[&str],
    ) -> impl Future<Output = Result<()>> + Send;
}

impl<C> HistoryConn for C
where
    C: StatementConn,
    Record<C::Backend>: Execute<C>,
    C::Backend: HasSqlType<Text>,
    String: ToSql<Text, C::Backend>,
{
    fn execute_with(
        &mut self,
        sql: String,
        values: &[&str],
    ) -> impl Future<Output = Result<()>> + Send {
        let mut query = diesel::sql_query(sql).into_boxed::<C::Backend>();
        for value in values {
            query = query.bind::<Text, _>(value.to_string());
        }
        async move {
            let result = query.execute(self).await;
            self.classify(result).await.map(|_| ())
        }
    }
}

/// Applies `history` to diesel's history table and orm's state table.
async fn record<C: HistoryConn>(conn: &mut C, history: &History<'_>) -> Result<()> {
    let (p1, _) = placeholders::<C>();
    let (sql, version, change) = match history {
        History::Keep => return Ok(()),
        History::Insert(v, sum) => (
            format!(
                "INSERT INTO {} (version) VALUES ({p1})",
                migrate::HISTORY_TABLE
            ),
            v,
            StateChange::Applied(v, sum),
        ),
        History::Delete(v) => (
            format!(
                "DELETE FROM {} WHERE version = {p1}",
                migrate::HISTORY_TABLE
            ),
            v,
            StateChange::Forget(v),
        ),
    };
    conn.execute_with(sql, &[version]).await?;
    state(conn, change).await
}

/// A change to orm's state table.
enum StateChange<'v> {
    /// The migration runs on MySQL: `failed` until it is done.
    Failed(&'v str, &'v str),
    /// The migration is applied.
    Applied(&'v str, &'v str),
    /// The migration is reverted.
    Forget(&'v str),
}

/// Writes `change` to orm's state table (replacing the version's row).
async fn state<C: HistoryConn>(conn: &mut C, change: StateChange<'_>) -> Result<()> {
    let (p1, p2) = placeholders::<C>();
    let table = migrate::STATE_TABLE;
    let (version, insert) = match change {
        StateChange::Failed(v, sum) => (v, Some((sum, "failed"))),
        StateChange::Applied(v, sum) => (v, Some((sum, "applied"))),
        StateChange::Forget(v) => (v, None),
    };
    let delete = format!("DELETE FROM {table} WHERE version = {p1}");
    conn.execute_with(delete, &[version]).await?;
    let Some((sum, state)) = insert else {
        return Ok(());
    };
    let insert =
        format!("INSERT INTO {table} (version, checksum, state) VALUES ({p1}, {p2}, '{state}')");
    conn.execute_with(insert, &[version, sum]).await
}

/// The first two bind placeholders on `C`'s backend.
fn placeholders<C: StatementConn>() -> (&'static str, &'static str) {
    if C::BACKEND == Backend::Postgres {
        ("$1", "$2")
    } else {
        ("?", "?")
    }
}

/// The rows of orm's state table: version, checksum, state.
async fn states<C>(conn: &mut C) -> Result<Vec<(String, String, String)>>
where
    C: StatementConn,
    diesel::query_builder::SqlQuery: Load<C, Row>,
{
    let columns = ["version", "checksum", "state"];
    Ok(table_rows(conn, &columns, migrate::STATE_TABLE)
        .await?
        .into_iter()
        .map(|[v, c, s, ..]| {
            (
                v.unwrap_or_default(),
                c.unwrap_or_default(),
                s.unwrap_or_default(),
            )
        })
        .collect())
}

/// `columns` of every row of `table`, as catalog rows (the other columns NULL).
async fn table_rows<C>(conn: &mut C, columns: &[&str], table: &str) -> Result<Vec<CatalogRow>>
where
    C: StatementConn,
    diesel::query_builder::SqlQuery: Load<C, Row>,
{
    let null = match C::BACKEND {
        Backend::Sqlite => "NULL",
        Backend::Postgres => "NULL::text",
        Backend::Mysql => "CAST(NULL AS CHAR)",
    };
    let list: Vec<String> = (0..6)
        .map(|i| format!("{} AS c{}", columns.get(i).copied().unwrap_or(null), i + 1))
        .collect();
    rows(conn, &format!("SELECT {} FROM {table}", list.join(", "))).await
}

/// The rows of the catalog query `sql`.
async fn rows<C>(conn: &mut C, sql: &str) -> Result<Vec<CatalogRow>>
where
    C: StatementConn,
    diesel::query_builder::SqlQuery: Load<C, Row>,
{
    let result = diesel::sql_query(sql).load(conn).await;
    Ok(conn
        .classify(result)
        .await?
        .into_iter()
        .map(CatalogRow::from)
        .collect())
}

/// Runs `sql`, a statement without user input.
async fn batch<C: StatementConn>(conn: &mut C, sql: &str) -> Result<()> {
    let result = conn.run_batch(sql).await;
    conn.classify(result).await
}

async fn run_all<C: StatementConn>(conn: &mut C, statements: &[String]) -> Result<()> {
    for sql in statements {
        batch(conn, sql).await?;
    }
    Ok(())
}

/// SQLite's `PRAGMA foreign_key_check`: an error naming the first dangling key's table.
async fn foreign_key_check<C>(conn: &mut C) -> Result<()>
where
    C: StatementConn,
    diesel::query_builder::SqlQuery: Load<C, Row>,
{
    match rows(conn, SQLITE_FOREIGN_KEY_CHECK)
        .await?
        .into_iter()
        .next()
    {
        None => Ok(()),
        Some([table, parent, ..]) => Err(MigrateError::ForeignKeyCheck {
            table: table.unwrap_or_default(),
            parent: parent.unwrap_or_default(),
        }
        .into()),
    }
}
