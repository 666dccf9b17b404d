//! `create_all` and `drop_all`, written once for every connection (blocking
//! [`Connection`](crate::Connection) through `run_now`, async
//! [`PooledConnection`](crate::PooledConnection) awaited): the statements orm-schema plans
//! for the backend, each run when its condition holds.

use std::future::Future;

use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Text};
use orm_schema::ddl::{self, ConstraintCheck, DdlStatement, MysqlFlavor};
use orm_schema::{Backend, ModelMeta};

use crate::error::Result;
use crate::statement::Load;
use crate::statement_conn::StatementConn;

/// The query that counts a named constraint on backend `DB`: its table and name bound.
type CountConstraint<DB> = BoxedSqlQuery<'static, DB, SqlQuery>;

/// `SELECT VERSION()`.
pub(crate) type Version = diesel::dsl::select<diesel::expression::SqlLiteral<Text>>;

/// The one row of a `SELECT COUNT(*) AS n` run to check a constraint before altering it.
#[derive(diesel::QueryableByName)]
pub(crate) struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(crate) n: i64,
}

/// The DDL statements run on connection `C`; the bounds say that its queries load on `C`
/// (every connection orm opens).
pub(crate) struct Ddl<'c, C>(pub(crate) &'c mut C);

impl<'c, C> Ddl<'c, C>
where
    C: StatementConn,
    CountConstraint<C::Backend>: Load<C, Count>,
    C::Backend: HasSqlType<Text>,
    &'static str: ToSql<Text, C::Backend>,
    String: ToSql<Text, C::Backend>,
    Version: Load<C, String>,
{
    /// Creates the tables of `models` that do not exist yet, referenced tables first.
    ///
    /// (The futures are declared `Send` here, where rustc can prove it for every lifetime;
    /// an `async fn` would leave the proof to each caller, where it fails.)
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn create_all<'m>(
        self,
        models: &'m [&'static ModelMeta],
    ) -> impl Future<Output = Result<()>> + Send + use<'c, 'm, C> {
        async move {
            let flavor = mysql_flavor(&mut *self.0).await?;
            let statements = ddl::create_all_statements(models, C::BACKEND, flavor)?;
            self.run(&statements).await
        }
    }

    /// Drops the tables of `models` that exist, referencing tables first.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn drop_all<'m>(
        self,
        models: &'m [&'static ModelMeta],
    ) -> impl Future<Output = Result<()>> + Send + use<'c, 'm, C> {
        async move {
            let statements = ddl::drop_all_statements(models, C::BACKEND)?;
            self.run(&statements).await
        }
    }

    /// Runs `statements` in order, each whose condition holds.
    async fn run(self, statements: &[DdlStatement]) -> Result<()> {
        let conn = self.0;
        for statement in statements {
            if let Some(check) = &statement.when {
                if Ddl(&mut *conn).constraint_exists(check).await? != check.exists {
                    continue;
                }
            }
            let result = conn.run_batch(&statement.sql).await;
            conn.classify(result).await?;
        }
        Ok(())
    }

    /// Whether the constraint `check` names exists (servers only).
    async fn constraint_exists(self, check: &ConstraintCheck) -> Result<bool> {
        let Some(sql) = ConstraintCheck::count_sql(C::BACKEND) else {
            return Ok(false);
        };
        let query = diesel::sql_query(sql)
            .into_boxed::<C::Backend>()
            .bind::<Text, _>(check.table)
            .bind::<Text, _>(check.constraint.clone());
        let result = query.get_result(self.0).await;
        Ok(self.0.classify(result).await?.n > 0)
    }
}

/// Which MySQL-family server `conn` is on (MariaDB and MySQL name their collations
/// differently); the default on other backends, without a round trip.
pub(crate) async fn mysql_flavor<C>(conn: &mut C) -> Result<MysqlFlavor>
where
    C: StatementConn,
    Version: Load<C, String>,
{
    if C::BACKEND != Backend::Mysql {
        return Ok(MysqlFlavor::default());
    }
    let version: Version = diesel::select(diesel::dsl::sql::<Text>("VERSION()"));
    let result = version.get_result(conn).await;
    Ok(MysqlFlavor::from_version(&conn.classify(result).await?))
}
