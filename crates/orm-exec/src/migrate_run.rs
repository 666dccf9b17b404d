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

use diesel::sql_types::{Nullable, Text};
use orm_schema::migrate::{self, Catalog, CatalogRow, MigrateError, Operation, Schema};
use orm_schema::{Backend, ModelMeta};

use crate::ddl_run::{mysql_flavor, Version};
use crate::error::{Error, Result};
use crate::statement::Load;
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
    diesel::query_builder::SqlQuery: Load<C, Row>,
    Version: Load<C, String>,
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
            match C::BACKEND {
                Backend::Mysql => run_all(conn, &statements).await,
                Backend::Postgres => {
                    level::begin(conn).await?;
                    let outcome = run_all(conn, &statements).await;
                    level::finish(conn, outcome).await
                }
                Backend::Sqlite => {
                    if level::depth(conn)? > 0 {
                        return Err(Error::Usage {
                            message: "a migration on SQLite runs outside a transaction (it \
                                      turns foreign keys off, which SQLite ignores inside one)"
                                .into(),
                        });
                    }
                    batch(conn, "PRAGMA foreign_keys = OFF").await?;
                    level::begin(conn).await?;
                    let outcome = match run_all(conn, &statements).await {
                        Ok(()) => foreign_key_check(conn).await,
                        Err(e) => Err(e),
                    };
                    let outcome = level::finish(conn, outcome).await;
                    let on = batch(conn, "PRAGMA foreign_keys = ON").await;
                    outcome.and(on)
                }
            }
        }
    }
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
