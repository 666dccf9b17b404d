//! # orm-exec: the database connection and execution layer
//!
//! Where to find things:
//!
//! - [`url`]: database URLs ([`DatabaseUrl`]): which backend, which file or server, what the
//!   driver receives, connect timeouts, TLS settings; passwords held as [`url::Password`],
//!   which never prints.
//! - `tls`, `pg_tls`, `pg_config`, `mysql_connect` (with `postgres` / `mysql`): TLS with
//!   rustls, and each server backend's driver settings built from the URL's typed options.
//! - [`connection`]: the blocking [`Connection`] enum (SQLite, PostgreSQL, MySQL/MariaDB),
//!   raw statements.
//! - [`manage`]: [`ManageSchema`], the schema's management (`create_all`, `drop_all`,
//!   introspection and migrations) as operations on any executor, blocking or async;
//!   `create_all` / `drop_all` are written once in `ddl_run`.
//! - `migrate_run`: migrations, written once for both connections: introspection
//!   ([`ManageSchema::introspect`]), [`ManageSchema::plan_migration`],
//!   [`ManageSchema::apply_operations`], and diesel's history table
//!   ([`ManageSchema::run_pending_migrations`] and its siblings).
//! - [`migrations`]: migration files, [`MigrationDir`] (diesel's layout, one directory
//!   per backend).
//! - `establish`: how each backend's connection is opened and set up (SQLite pragmas).
//! - [`dispatch!`]: run one generic diesel body on whichever backend a connection holds.
//! - [`database`]: the async side: [`Database`] (a deadpool pool per URL, async statements
//!   and transactions, a force-rollback test mode), [`PooledConnection`] and
//!   [`async_dispatch!`].
//! - [`transaction`]: [`Connection::transaction`] (commit, rollback, savepoints, SQLite's
//!   `BEGIN IMMEDIATE`).
//! - [`statement`]: where a diesel statement reaches a driver: [`statement::Load`] and
//!   [`statement::Execute`] on every connection, blocking and async.
//! - [`statement_conn`]: the connection interface orm's multi-statement logic is written
//!   against once, async, and [`statement_conn::run_now`], which finishes it in one poll
//!   on a blocking connection.
//! - [`raw`]: the raw SQL escape hatch, [`Connection::raw`], with `?` placeholders and
//!   bound values on every backend.
//! - [`instrument`]: one `tracing` event per statement (target `orm::sql`, DEBUG).
//! - [`error`]: the one [`Error`] type and the classification of driver errors
//!   ([`error::map`]), identical on every backend.
//! - `runtime` (with `postgres` or `mysql`): the tokio runtime behind blocking PostgreSQL and
//!   MySQL connections.
//!
//! Cargo features: `sqlite` (default; SQLite bundled), `postgres`, `mysql` (pure-Rust
//! drivers through diesel-async; no C client library).
//!
//! **Architecture invariant:** this is the only crate that talks to a driver. It knows
//! models only through their metadata ([`orm_schema::ModelMeta`]).
//!
//! Users reach all of this through the `orm` facade crate.

#![deny(missing_docs)]

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!(
    "orm needs at least one backend: enable the `sqlite`, `postgres` or `mysql` feature"
);

pub mod blocking_pool;
pub mod connection;
pub mod database;
mod ddl_run;
pub mod dispatch;
pub mod error;
mod establish;
pub mod instrument;
pub mod manage;
mod migrate_run;
pub mod migrations;
#[cfg(feature = "mysql")]
mod mysql_connect;
pub mod operation;
#[cfg(feature = "postgres")]
mod pg_config;
#[cfg(feature = "postgres")]
mod pg_tls;
#[cfg(feature = "postgres")]
mod pg_wire;
pub mod raw;
pub mod replay;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub mod runtime;
pub mod statement;
pub mod statement_conn;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod tls;
pub mod transaction;
pub mod url;

pub use blocking_pool::{BlockingPool, BlockingPoolBuilder, PooledBlocking};
pub use connection::Connection;
pub use database::{Database, DatabaseBuilder, PoolConfig, PooledConnection};
pub use error::{ConnectionCause, ConstraintInfo, DriverError, Error, ErrorCode, Result, SqlState};
pub use manage::ManageSchema;
pub use migrations::{DataLoss, Migration, MigrationDir, MigrationStatus};
pub use orm_schema::Backend;
pub use raw::RawQuery;
pub use replay::{Drift, Made, Scratch, ScratchDb};
pub use url::DatabaseUrl;

/// Items the exported macros expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::dispatch::unreachable_backend;
    pub use diesel;
    pub use diesel_async;
}
