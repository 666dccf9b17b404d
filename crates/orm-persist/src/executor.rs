//! What persistence runs on, blocking or async, chosen by the type of the first argument
//! (as orm-query's terminal operations do):
//!
//! | executor                | what `Note::objects().create(e, form)` returns |
//! |-------------------------|-----------------------------------------------|
//! | `&mut Connection`       | `Result<Note>`, now (blocking)                |
//! | `&Database`             | a `Send` future of `Result<Note>` (checks a pooled connection out for the operation) |
//! | `&mut PooledConnection` | a `Send` future of `Result<Note>` (on that connection, for example inside a transaction) |
//!
//! The traits here are implemented for those three types and called by the methods of
//! [`crate::api`]; users never name them, except when an error message does.

use orm_exec::Result;
use orm_schema::{ForeignKey, Model};

/// An executor: what an operation returns on it (`Result<T>` when blocking, a `Send`
/// future of `Result<T>` when async) for results that live at most `'a`.
pub trait PersistExecutor<'a>: Sized {
    /// What an operation returns.
    type Output<T: Send + 'a>;

    /// An operation that finished before reaching the database (refused input, nothing to
    /// do).
    fn ready<T: Send + 'a>(value: Result<T>) -> Self::Output<T>;

    /// `output` with `f` applied to its value once it is there.
    fn map<T: Send + 'a, U: Send + 'a>(
        output: Self::Output<T>,
        f: impl FnOnce(T) -> U + Send + 'a,
    ) -> Self::Output<U>;
}

/// The operations on rows of model `M` by primary key, and inserts.
#[diagnostic::on_unimplemented(
    message = "`{M}` cannot be written through `{Self}`",
    label = "not a persistence executor for this model",
    note = "pass `&mut Connection` (blocking), `&Database` or `&mut PooledConnection` (async)",
    note = "if it is one of those, `{M}`'s statements do not compile on every enabled backend"
)]
pub trait RowExecutor<'a, M: Model + Send>: PersistExecutor<'a> {
    /// Validates and inserts one form.
    fn create(self, form: M::Insert) -> Self::Output<M>;
    /// Validates every form and inserts them in one transaction.
    fn bulk_create(self, forms: Vec<M::Insert>) -> Self::Output<Vec<M>>;
    /// Validates every form and inserts them in one transaction; how many.
    fn bulk_insert(self, forms: Vec<M::Insert>) -> Self::Output<usize>;
    /// Validates every form and inserts them in one transaction, settling conflicts as
    /// `conflict` says (see [`crate::upsert`]).
    fn upsert(
        self,
        forms: Vec<M::Insert>,
        conflict: crate::upsert::Conflict,
    ) -> Self::Output<Vec<M>>;
    /// Validates the `assigned` fields of every row and sets them, by primary key.
    fn bulk_update(
        self,
        rows: Vec<M>,
        assigned: crate::bulk_update::Assigned,
    ) -> Self::Output<usize>;
    /// Validates and applies `changes` to `model`'s row, then sets `model` to it.
    fn update(self, model: &'a mut M, changes: M::Changes) -> Self::Output<()>;
    /// Deletes `model`'s row.
    fn delete(self, model: &M) -> Self::Output<()>;
    /// Sets `model` to its row as stored.
    fn reload(self, model: &'a mut M) -> Self::Output<()>;
    /// Loads the row `fk` references into it.
    fn load(self, fk: &'a mut ForeignKey<M, M::PrimaryKey>) -> Self::Output<&'a M>
    where
        M: Sync;
}

/// The operations on the rows of `M` a WHERE query `F` selects.
#[diagnostic::on_unimplemented(
    message = "this QuerySet of `{M}` cannot be written through `{Self}`",
    label = "not a persistence executor for this QuerySet",
    note = "pass `&mut Connection` (blocking), `&Database` or `&mut PooledConnection` (async)",
    note = "if it is one of those, the QuerySet's filter does not compile in an UPDATE or DELETE on every enabled backend"
)]
pub trait WhereExecutor<'a, M: Model + Send, F>: PersistExecutor<'a> {
    /// See [`QuerySetPersist::get_or_create`](crate::api::QuerySetPersist::get_or_create).
    fn get_or_create(self, filtered: F, form: M::Insert) -> Self::Output<(M, bool)>;
    /// See [`QuerySetPersist::update_or_create`](crate::api::QuerySetPersist::update_or_create).
    fn update_or_create(self, filtered: F, form: M::Insert) -> Self::Output<(M, bool)>;
    /// Deletes the rows `target` selects.
    fn delete_where(self, target: F) -> Self::Output<usize>;
}

/// `UPDATE ... SET changes WHERE target`.
#[diagnostic::on_unimplemented(
    message = "`{V}` cannot update this QuerySet through `{Self}`",
    label = "not a persistence executor for these changes",
    note = "pass `&mut Connection` (blocking), `&Database` or `&mut PooledConnection` (async)",
    note = "if it is one of those, the changes are not a diesel changeset of the QuerySet's table on every enabled backend"
)]
pub trait AssignExecutor<'a, V, W>: PersistExecutor<'a> {
    /// Runs the update; the number of rows updated.
    fn assign(self, changes: V, target: W) -> Self::Output<usize>;
}

/// The links of a many-to-many relation through model `T`, targets keyed by `K`: `P`
/// selects the owner's links to the targets given, `S` the stale ones (see
/// [`crate::many_to_many`]).
#[diagnostic::on_unimplemented(
    message = "the links through `{T}` cannot be written through `{Self}`",
    label = "not a persistence executor for this relation",
    note = "pass `&mut Connection` (blocking), `&Database` or `&mut PooledConnection` (async)"
)]
pub trait LinkExecutor<'a, T: Model + Send, K, P, S>: PersistExecutor<'a> {
    /// Runs an `add` or `set`: the links added and removed.
    fn link(
        self,
        link: crate::many_to_many::Link<T, K, P, S>,
    ) -> Self::Output<crate::many_to_many::Relinked>;
}
