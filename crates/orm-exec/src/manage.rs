//! The schema's management, written once for every executor: [`ManageSchema`] (in the
//! prelude) gives `&mut Connection`, `&Database` and `&mut PooledConnection` `create_all`,
//! `drop_all`, `introspect`, `plan_migration`, `apply_operations`,
//! `run_pending_migrations`, `revert_migrations`, `make_migration` and
//! `migration_status`. Each is an [`Operation`] run by the executor it is called on, as
//! persistence's are: blocking on a connection, a `Send` future on the pool or a pooled
//! connection.
//!
//! ```
//! # #[cfg(not(feature = "sqlite"))] fn main() {}
//! # #[cfg(feature = "sqlite")]
//! # fn main() -> orm_exec::Result<()> {
//! use orm_exec::manage::ManageSchema;
//!
//! let mut conn = orm_exec::Connection::establish("sqlite::memory:")?;
//! conn.create_all(&[])?;
//! assert!(conn.introspect()?.tables.is_empty());
//! # let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
//! # runtime.block_on(async {
//! let db = orm_exec::Database::connect("sqlite::memory:").await?;
//! assert!(db.introspect().await?.tables.is_empty());
//! # Ok::<(), orm_exec::Error>(())
//! # })?;
//! # Ok(())
//! # }
//! ```

use std::future::Future;

use diesel::query_builder::SqlQuery;
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Text};
use orm_schema::migrate::{self, Schema};
use orm_schema::ModelMeta;

use crate::ddl_run::{Count, Ddl, Version};
use crate::error::Result;
use crate::migrate_run::{Change, Migrate, Record, Row};
use crate::migrations::{DataLoss, Migration, MigrationDir, MigrationStatus};
use crate::operation::{Executor, Operation, OperationOn, Retry, Run};
use crate::statement::{Execute, Load};
use crate::statement_conn::StatementConn;
use crate::{Connection, Database, PooledConnection};

/// `create_all`: the models whose tables to create.
#[derive(Debug)]
pub struct CreateAll<'a>(&'a [&'static ModelMeta]);

/// `drop_all`: the models whose tables to drop.
#[derive(Debug)]
pub struct DropAll<'a>(&'a [&'static ModelMeta]);

/// `introspect`.
#[derive(Debug)]
pub struct Introspect;

/// `plan_migration`: the models to plan for.
#[derive(Debug)]
pub struct PlanMigration<'a>(&'a [&'static ModelMeta]);

/// `apply_operations`: the operations to run.
#[derive(Debug)]
pub struct ApplyOperations<'a>(&'a [migrate::Operation]);

/// `run_pending_migrations`: the directory.
#[derive(Debug)]
pub struct RunPending<'a>(&'a MigrationDir);

/// `revert_migrations`: the directory and how many to revert.
#[derive(Debug)]
pub struct Revert<'a>(&'a MigrationDir, usize);

/// `make_migration`: the directory, the name, the models and the data-loss policy.
#[derive(Debug)]
pub struct MakeMigration<'a>(
    &'a MigrationDir,
    &'a str,
    &'a [&'static ModelMeta],
    DataLoss,
);

/// `migration_status`: the directory.
#[derive(Debug)]
pub struct Status<'a>(&'a MigrationDir);

/// Implements [`Operation`] and [`OperationOn`] for a schema operation: what it gives
/// back, and how it runs on any connection whose DDL and catalog statements load (the
/// bounds of [`Ddl`] and [`Migrate`], written here once).
macro_rules! schema_operation {
    ($ty:ty => $output:ty, |$this:pat_param, $conn:ident| $run:expr) => {
        impl Operation for $ty {
            type Output = $output;
        }

        /// Changes the schema or reads the catalog inside a transaction: never run twice.
        impl Retry for $ty {}

        impl<C> OperationOn<C> for $ty
        where
            C: StatementConn,
            SqlQuery: Load<C, Row> + Load<C, Count>,
            Record<C::Backend>: Load<C, Count> + Execute<C>,
            Version: Load<C, String>,
            C::Backend: HasSqlType<Text>,
            &'static str: ToSql<Text, C::Backend>,
            String: ToSql<Text, C::Backend>,
        {
            fn run(self, $conn: &mut C) -> impl Future<Output = Result<$output>> + Send {
                let $this = self;
                $run
            }
        }
    };
}

schema_operation!(CreateAll<'_> => (), |CreateAll(models), conn| Ddl(conn).create_all(models));
schema_operation!(DropAll<'_> => (), |DropAll(models), conn| Ddl(conn).drop_all(models));
schema_operation!(Introspect => Schema, |Introspect, conn| Migrate(conn).introspect());
schema_operation!(PlanMigration<'_> => Vec<migrate::Operation>,
    |PlanMigration(models), conn| Migrate(conn).plan(models));
schema_operation!(ApplyOperations<'_> => (),
    |ApplyOperations(operations), conn| Migrate(conn).apply(operations));
schema_operation!(RunPending<'_> => Vec<String>,
    |RunPending(dir), conn| Migrate(conn).change(dir, Change::Apply));
schema_operation!(Revert<'_> => Vec<String>,
    |Revert(dir, count), conn| Migrate(conn).change(dir, Change::Revert(count)));
schema_operation!(MakeMigration<'_> => Option<Migration>,
    |MakeMigration(dir, name, models, data_loss), conn| Migrate(conn).make(dir, name, models, data_loss));
schema_operation!(Status<'_> => Vec<MigrationStatus>,
    |Status(dir), conn| Migrate(conn).status(dir));

/// What running the schema operation `Op` on the executor `E` returns: `Result<T>` on
/// `&mut Connection`, a `Send` future of `Result<T>` on `&Database` and
/// `&mut PooledConnection`.
pub type Ran<'a, E, Op> = <E as Executor<'a>>::Output<<Op as Operation>::Output>;

/// Creating, dropping, inspecting and migrating the schema, on any executor:
/// `conn.create_all(models)?` on a blocking [`Connection`], `db.create_all(models).await?`
/// on a [`Database`] (on one pooled connection) or a [`PooledConnection`]. In the prelude.
/// See the [module documentation](self).
pub trait ManageSchema: Sized {
    /// Creates the tables of `models` that do not exist yet, referenced tables first.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`](crate::Error::Schema) when the set cannot be ordered (a foreign
    /// key to a model outside the set, or a cycle); otherwise the first statement's
    /// database error.
    fn create_all<'a>(self, models: &'a [&'static ModelMeta]) -> Ran<'a, Self, CreateAll<'a>>
    where
        Self: Run<'a, CreateAll<'a>>,
    {
        self.run(CreateAll(models))
    }

    /// Drops the tables of `models` that exist, referencing tables first (the reverse of
    /// [`ManageSchema::create_all`]).
    ///
    /// # Errors
    ///
    /// As [`ManageSchema::create_all`].
    fn drop_all<'a>(self, models: &'a [&'static ModelMeta]) -> Ran<'a, Self, DropAll<'a>>
    where
        Self: Run<'a, DropAll<'a>>,
    {
        self.run(DropAll(models))
    }

    /// The live schema of the database: every table of the current schema (PostgreSQL)
    /// or database (MySQL/MariaDB), or of the file (SQLite), in the terms the DDL writes
    /// ([`orm_schema::migrate::Schema`]).
    ///
    /// # Errors
    ///
    /// The first catalog query's database error.
    fn introspect<'a>(self) -> Ran<'a, Self, Introspect>
    where
        Self: Run<'a, Introspect>,
    {
        self.run(Introspect)
    }

    /// The operations that take the database to the schema `models` describe, in order
    /// ([`orm_schema::migrate::diff`] of [`ManageSchema::introspect`] against the models);
    /// empty when the database matches them. Nothing is changed.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`](crate::Error::Schema) as [`ManageSchema::create_all`],
    /// [`Error::Migrate`](crate::Error::Migrate) for a change orm does not migrate (a new
    /// primary key), or a catalog query's database error.
    fn plan_migration<'a>(
        self,
        models: &'a [&'static ModelMeta],
    ) -> Ran<'a, Self, PlanMigration<'a>>
    where
        Self: Run<'a, PlanMigration<'a>>,
    {
        self.run(PlanMigration(models))
    }

    /// Runs `operations`: every statement is rendered first, then SQLite runs them in one
    /// transaction with foreign keys off and checked before the commit, PostgreSQL in one
    /// transaction, MySQL/MariaDB one by one (their DDL commits implicitly, so a failure
    /// there leaves the operations before it applied).
    ///
    /// # Errors
    ///
    /// [`Error::Migrate`](crate::Error::Migrate) for an operation the backend cannot run
    /// (nothing ran then) or dangling keys after a SQLite migration (rolled back);
    /// [`Error::Usage`](crate::Error::Usage) inside a transaction on SQLite; otherwise the
    /// failing statement's database error.
    fn apply_operations<'a>(
        self,
        operations: &'a [migrate::Operation],
    ) -> Ran<'a, Self, ApplyOperations<'a>>
    where
        Self: Run<'a, ApplyOperations<'a>>,
    {
        self.run(ApplyOperations(operations))
    }

    /// Applies `dir`'s migrations for this backend that the history table (diesel's
    /// `__diesel_schema_migrations`, created if missing) does not record, in version
    /// order, each run as [`ManageSchema::apply_operations`] runs operations and recorded
    /// in the same transaction; the versions applied. Two processes applying at once
    /// apply each migration once.
    ///
    /// # Errors
    ///
    /// [`Error::Migrate`](crate::Error::Migrate) for a directory that is not a migration
    /// (nothing ran then); [`Error::MigrationFailed`](crate::Error::MigrationFailed)
    /// naming the migration whose script failed (those before it stay applied).
    fn run_pending_migrations<'a>(self, dir: &'a MigrationDir) -> Ran<'a, Self, RunPending<'a>>
    where
        Self: Run<'a, RunPending<'a>>,
    {
        self.run(RunPending(dir))
    }

    /// Reverts the last `count` applied migrations of `dir`, latest first, each by its
    /// `down.sql` and removed from the history in the same transaction; the versions
    /// reverted.
    ///
    /// # Errors
    ///
    /// As [`ManageSchema::run_pending_migrations`]; also
    /// [`MigrateError::UnknownApplied`](orm_schema::migrate::MigrateError::UnknownApplied)
    /// when an applied migration to revert has no directory (nothing ran then).
    fn revert_migrations<'a>(self, dir: &'a MigrationDir, count: usize) -> Ran<'a, Self, Revert<'a>>
    where
        Self: Run<'a, Revert<'a>>,
    {
        self.run(Revert(dir, count))
    }

    /// Makes a new migration of `dir` for this backend, named `name`: the operations that
    /// take this database (which must have every migration of `dir` applied) to `models`,
    /// written as `up.sql` and `down.sql`. `None` when the database already matches the
    /// models. Nothing in the database changes.
    ///
    /// # Errors
    ///
    /// [`MigrateError::Pending`](orm_schema::migrate::MigrateError::Pending) when a
    /// migration of `dir` is not applied;
    /// [`MigrateError::DataLoss`](orm_schema::migrate::MigrateError::DataLoss) when the
    /// operations drop data and `data_loss` is [`DataLoss::Refuse`]; otherwise as
    /// [`ManageSchema::plan_migration`] and [`MigrationDir::write`].
    fn make_migration<'a>(
        self,
        dir: &'a MigrationDir,
        name: &'a str,
        models: &'a [&'static ModelMeta],
        data_loss: DataLoss,
    ) -> Ran<'a, Self, MakeMigration<'a>>
    where
        Self: Run<'a, MakeMigration<'a>>,
    {
        self.run(MakeMigration(dir, name, models, data_loss))
    }

    /// Where each of `dir`'s migrations stands on this database, in version order.
    ///
    /// # Errors
    ///
    /// As [`ManageSchema::run_pending_migrations`], before anything runs.
    fn migration_status<'a>(self, dir: &'a MigrationDir) -> Ran<'a, Self, Status<'a>>
    where
        Self: Run<'a, Status<'a>>,
    {
        self.run(Status(dir))
    }
}

impl ManageSchema for &mut Connection {}
impl ManageSchema for &Database {}
impl ManageSchema for &mut PooledConnection {}
