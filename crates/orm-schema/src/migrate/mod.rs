//! Migrations, the pure half: a description of a schema ([`Schema`]), built from models
//! ([`describe`]) or from a live database's catalog ([`assemble`], whose queries
//! orm-exec runs), and the difference between the two as ordered [`Operation`]s
//! ([`diff`]), each rendering its SQL per backend and having its reverse.
//!
//! Both descriptions speak the DDL's words: a column's type as `create_all` writes it
//! (`VARCHAR(100)`, whatever the server reports), its default likewise, constraints by
//! their columns, so a database `create_all` made diffs empty against its models.

mod catalog;
mod describe;
mod diff;
mod normalize;
mod ops;
pub(crate) mod render;
mod schema;
mod script;
mod sqlite_sql;

pub use catalog::{assemble, catalog_queries, Catalog, CatalogQueries, CatalogRow};
pub use describe::{describe, describe_table};
pub use diff::diff;
pub use normalize::{canonical_type, normalize_default, normalize_type, same_default};
pub use ops::{value_checks, Operation, ValueCheck, ValueRule};
pub use schema::{Check, Column, ForeignKey, Index, Schema, Table};
pub use script::{checksum, is_blank, scripts, valid_name, version_of, Scripts};

use crate::backend::Backend;

/// The table orm keeps the applied migrations in: diesel_migrations' own, so diesel_cli
/// and orm read the same history. Introspection leaves it out.
pub const HISTORY_TABLE: &str = "__diesel_schema_migrations";

/// orm's own record beside diesel's history: each migration's `up.sql` checksum and
/// whether it was applied or failed half-way (MySQL/MariaDB, whose DDL commits
/// implicitly). Introspection leaves it out.
pub const STATE_TABLE: &str = "__orm_migrations";

/// A migration orm cannot compute or render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// A change orm does not migrate on this backend.
    #[error("cannot {operation} on {backend}")]
    Unsupported {
        /// What would have to happen, naming the table and column.
        operation: String,
        /// The backend.
        backend: Backend,
    },
    /// SQLite's `PRAGMA foreign_key_check` found rows whose key points nowhere after the
    /// migration's statements ran; the migration was rolled back.
    #[error(
        "the migration was rolled back: rows of `{table}` reference missing rows of `{parent}`"
    )]
    ForeignKeyCheck {
        /// The referencing table.
        table: String,
        /// The table the rows should reference.
        parent: String,
    },
    /// A migration directory or file that cannot be read or written, or is not a
    /// migration (named by its path).
    #[error("migration `{path}`: {reason}")]
    Files {
        /// The directory or file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A new migration was asked for while migrations of the directory are not applied
    /// to the database it is made against.
    #[error("migration {version} is not applied yet; apply the pending migrations before making a new one")]
    Pending {
        /// The first pending migration's version.
        version: String,
    },
    /// The operations a new migration needs lose data, and that was not allowed.
    #[error("the migration would lose data ({}); allow it explicitly to write it", operations.join("; "))]
    DataLoss {
        /// The operations that drop data, as they print.
        operations: Vec<String>,
    },
    /// A new migration needs a value for existing rows that the models do not give: a
    /// NOT NULL column without a default added to a table with rows, or a column made
    /// NOT NULL without a default while rows hold NULL in it.
    #[error("migration `{migration}`: `{table}.{column}` {problem}; give the field a default (`#[orm(default = ...)]`) or make it an `Option`")]
    NeedsDefault {
        /// The migration being made.
        migration: String,
        /// The table (its live name).
        table: String,
        /// The column.
        column: String,
        /// What stands in the way, with the number of rows.
        problem: String,
    },
    /// An applied migration's `up.sql` differs from the one that ran.
    #[error("migration `{migration}` was edited after it was applied (its up.sql no longer matches what ran); restore it, and put the change in a new migration")]
    Edited {
        /// The migration's directory name.
        migration: String,
    },
    /// A migration failed half-way on MySQL/MariaDB (or its process died), leaving the
    /// statements before the failing one applied; nothing more runs until it is resolved.
    #[error("migration {version} failed half-way (MySQL/MariaDB commit each DDL statement, so the statements of its up.sql before the failing one are applied): undo them by hand, then `DELETE FROM __orm_migrations WHERE version = '{version}'` (or finish them, insert the version into __diesel_schema_migrations and delete that row), and apply again")]
    FailedHalfWay {
        /// Its version.
        version: String,
    },
    /// The history says a migration was applied whose directory is gone.
    #[error("migration {version} is applied but has no directory in `{dir}`; restore it before reverting or making migrations")]
    UnknownApplied {
        /// Its version.
        version: String,
        /// The backend's migration directory.
        dir: String,
    },
    /// A backend's migration directory lacks a migration another backend's holds (the
    /// directories are out of step), so no new migration can share their version.
    #[error("the migration directories are out of step: {backend} lacks {}; make each backend's migrations together (`make` with every backend's server), or add the missing ones", missing.join(", "))]
    OutOfStep {
        /// The backend whose directory lacks them.
        backend: Backend,
        /// The missing migrations, by the directory names the other backends give them.
        missing: Vec<String>,
    },
    /// Migrations are made from the files of every backend that has some, but no scratch
    /// database was given for this one, so its directory would fall out of step.
    #[error("`{dir}` holds {backend} migrations, but no {backend} server was given to replay them into; give one, so that every backend gets the new migration")]
    NoScratch {
        /// The backend.
        backend: Backend,
        /// Its migration directory.
        dir: String,
    },
}

#[cfg(test)]
mod tests;
