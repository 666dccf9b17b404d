//! The statements persistence runs, one trait per shape of statement, implemented once
//! per backend connection type:
//!
//! - [`RowOps`] on a model: insert rows and get them back, find, update and delete one
//!   row by primary key;
//! - [`FilterOps`] on a QuerySet's WHERE query: load at most two rows (optionally
//!   `FOR UPDATE`) or every row, delete the rows;
//! - [`AssignOps`] on a change set (or any diesel `AsChangeset`): `UPDATE ... SET`.
//!
//! Each is one trait with async methods, written once for every connection (blocking or
//! async) in [`statements`], which builds the diesel statement and hands it to orm-exec
//! to run: inside the call on a blocking connection (the future is then complete), when
//! awaited on an async one. So the logic of `crate::run` is written once over them too.
//! They are implemented only for the connections of the enabled backends. The diesel
//! bounds live on the impls, so at a call site, where every type is
//! concrete, rustc checks the statements for every enabled backend.
//!
//! How rows come back from an insert differs by backend, not by blocking or async: each
//! connection's `statements::RowsBack` strategy says (`INSERT ... RETURNING` on SQLite
//! and PostgreSQL, and for inserts on MariaDB through diesel's MariaDB backend; row by
//! row with `LAST_INSERT_ID()` and a select by key through diesel's MySQL backend, which
//! has no RETURNING).

pub mod pk_in;
#[cfg(feature = "mysql")]
pub mod row_by_row;
pub mod statements;

use std::future::Future;

use diesel::QueryResult;

use crate::bulk_update::Assigned;
use crate::derive::Persist;
use crate::upsert::Conflict;

/// A row to insert: the primary key when the row supplies it, and the diesel values.
pub type NewRow<M> = (
    Option<<M as orm_schema::Model>::PrimaryKey>,
    <M as Persist>::Row,
);

/// Row statements of model `Self` on diesel connection `C` (blocking or async; on a
/// blocking connection the statement runs in the call and the future is complete, see
/// `orm_exec::statement_conn`).
pub trait RowOps<C>: Persist {
    /// Whether [`RowOps::insert`] writes its rows in one statement (a multi-row
    /// `INSERT ... RETURNING`), which is atomic without a transaction around it.
    const INSERTS_AT_ONCE: bool;
    /// Inserts `rows` and returns the stored models, in the same order.
    fn insert(
        conn: &mut C,
        rows: Vec<NewRow<Self>>,
    ) -> impl Future<Output = QueryResult<Vec<Self>>> + Send;
    /// Inserts `rows` in one statement and returns how many were inserted (no row comes
    /// back).
    fn insert_count(
        conn: &mut C,
        rows: Vec<Self::Row>,
    ) -> impl Future<Output = QueryResult<usize>> + Send;
    /// Inserts `rows`, settling conflicts as `conflict` says; the rows written (see
    /// [`crate::upsert`]), in the same order.
    fn upsert(
        conn: &mut C,
        rows: Vec<NewRow<Self>>,
        conflict: Conflict,
    ) -> impl Future<Output = QueryResult<Vec<Self>>> + Send;
    /// Sets the `assigned` fields of each of `rows` (by primary key) to its values, in one
    /// statement; the number of rows updated.
    fn bulk_update(
        conn: &mut C,
        rows: Vec<Self>,
        assigned: Assigned,
    ) -> impl Future<Output = QueryResult<usize>> + Send;
    /// The row with primary key `pk` (`FOR UPDATE` when `lock` and the backend has it).
    fn find(
        conn: &mut C,
        pk: Self::PrimaryKey,
        lock: bool,
    ) -> impl Future<Output = QueryResult<Option<Self>>> + Send;
    /// Applies `changes` to the row with primary key `pk` and returns it as stored, or
    /// `None` when there is no such row.
    fn update_returning(
        conn: &mut C,
        pk: Self::PrimaryKey,
        changes: Self::Changes,
    ) -> impl Future<Output = QueryResult<Option<Self>>> + Send;
    /// Deletes the row with primary key `pk`; the number of rows deleted.
    fn delete_pk(
        conn: &mut C,
        pk: Self::PrimaryKey,
    ) -> impl Future<Output = QueryResult<usize>> + Send;
}

/// Statements on the rows of model `M` a WHERE query (`Self`) selects, on diesel
/// connection `C`.
pub trait FilterOps<M, C>: Sized {
    /// At most two rows (`FOR UPDATE` when `lock` and the backend has it).
    fn load_two(self, conn: &mut C, lock: bool)
        -> impl Future<Output = QueryResult<Vec<M>>> + Send;
    /// Every row.
    fn load_all(self, conn: &mut C) -> impl Future<Output = QueryResult<Vec<M>>> + Send;
    /// Deletes the rows; how many.
    fn delete(self, conn: &mut C) -> impl Future<Output = QueryResult<usize>> + Send;
}

/// `UPDATE ... SET self WHERE target` on diesel connection `C`.
pub trait AssignOps<W, C>: Sized {
    /// Runs the update; the number of rows it matched (PostgreSQL, SQLite) or changed
    /// (MySQL counts only rows whose values differ).
    fn assign(self, target: W, conn: &mut C) -> impl Future<Output = QueryResult<usize>> + Send;
}
