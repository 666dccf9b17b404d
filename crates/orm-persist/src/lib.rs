//! # orm-persist: the persistence manager
//!
//! Writes, validated before anything reaches the database and atomic where they touch
//! several rows: `create`, `bulk_create`, `get_or_create` and `update_or_create`, `update`
//! (with a change set, or any diesel expression: `update_with`) and `delete` on a
//! QuerySet; `update`, `delete` and `reload` on a model instance; `load` on a sparse
//! foreign key. Users reach them through `orm::prelude`.
//!
//! One method serves blocking and async code; the executor passed first picks (the same
//! convention as orm-query's terminal operations):
//!
//! ```ignore
//! // Blocking.
//! let note = Note::objects().create(&mut conn, NewNote::new("Buy milk"))?;
//! // Async: the same names, on a Database (or a PooledConnection, e.g. in a transaction).
//! let note = Note::objects().create(&db, NewNote::new("Buy milk")).await?;
//! note.update(&db, NoteChanges { completed: Some(true), ..Default::default() }).await?;
//! ```
//!
//! (Runnable versions: the `orm` crate's documentation, `tests/persist.rs` and
//! `tests/persist_async.rs`.)
//!
//! ## Where to find things
//!
//! - [`api`]: the methods users call ([`QuerySetPersist`], [`ModelPersist`],
//!   [`ForeignKeyLoad`]) and what each guarantees.
//! - [`operations`]: each operation as a value ([`operations::Create`], ...), handed to
//!   the executor the method was given (`&mut Connection`, `&Database`,
//!   `&mut PooledConnection`: orm-exec's `operation::Run`, the one trait that runs every
//!   read and write, blocking or async).
//! - [`run`]: the operations' logic (validation, transactions, the get_or_create race,
//!   retries), written once as async functions over any backend connection
//!   (`orm_exec::statement_conn::StatementConn`); its transaction levels are orm-exec's
//!   `transaction::level`, as every transaction in orm. A blocking executor finishes an
//!   operation at once (every statement on a blocking connection completes inside its
//!   call), an async one awaits it.
//! - [`many_to_many`]: [`ManyToMany`], one row's relation through a model: add, remove,
//!   set, clear and the linked rows.
//! - [`ops`]: the statements, one trait per shape (rows of a model, rows a WHERE query
//!   selects, `UPDATE ... SET`), implemented per backend connection.
//! - [`derive`](mod@derive): [`derive::Persist`], what `#[derive(Model)]` generates for this crate:
//!   the insert form as one complete row, `auto_now` handling of change sets.
//!
//! ## Decisions
//!
//! - **Complete rows.** Every default is filled in Rust before the insert (function
//!   defaults by `InsertForm::apply_defaults`, literal defaults from the declaration,
//!   `auto_now`/`auto_now_add` with the current UTC time truncated to microseconds), so every
//!   row binds the same columns: one multi-row `INSERT` per chunk on every backend (SQLite
//!   has no `DEFAULT` in a multi-row `VALUES`), chunks sized under the backend's
//!   bind-parameter limit (SQLite 32 766, PostgreSQL and MySQL 65 535).
//! - **Rows come back** with `INSERT ... RETURNING` on PostgreSQL and SQLite. diesel's MySQL
//!   backend has no RETURNING, so MySQL/MariaDB insert row by row, read each key with
//!   `LAST_INSERT_ID()` on the same connection (never computed by arithmetic) or take it
//!   from the row when it supplies it (a UUID key), then select the rows back by key; in one
//!   transaction for `bulk_create`.
//! - **Race-safe get_or_create** (Django's approach): read; if missing, insert in a
//!   transaction level of its own (a savepoint inside the caller's transaction, so a
//!   PostgreSQL error does not abort the caller's); on a unique violation read again and
//!   return the winner's row. Inside a caller's transaction the second read is
//!   `FOR UPDATE`, which on MySQL's REPEATABLE READ sees the latest committed row instead
//!   of the transaction's snapshot; at the outermost level the failed insert's transaction
//!   is already over. Retryable failures (deadlock, serialization failure, busy SQLite) are
//!   retried a few times, with backoff, only when the operation owns the transaction.
//! - **Atomic updates**: `update_with` takes any diesel changeset over the table, so
//!   `value = value + 1` is computed by the database.
//! - **ON DELETE** is the database's: CASCADE, SET NULL and RESTRICT (refused as
//!   `Error::ForeignKeyViolation`) behave the same on every backend.
//!
//! **Architecture invariant:** orm-persist knows no driver: it builds diesel statements and
//! runs them on the connections orm-exec gives it. It never opens a connection, and an
//! async operation uses exactly one pooled connection (never a second one while holding it).

#![deny(missing_docs)]

pub mod api;
pub mod bulk_update;
pub mod derive;
mod input;
pub mod many_to_many;
pub mod operations;
pub mod ops;
pub mod run;
pub mod upsert;

pub use api::{ForeignKeyLoad, ModelPersist, QuerySetPersist};
pub use many_to_many::{ManyToMany, Relinked};
pub use upsert::{OnConflict, Upsert};
