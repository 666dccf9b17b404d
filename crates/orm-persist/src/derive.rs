//! [`Persist`]: what `#[derive(Model)]` generates for persistence (see the derive's
//! `persist.rs`). Not part of the public API: users reach it through the methods of
//! [`crate::api`].

use chrono::{NaiveDateTime, Timelike};
use orm_schema::Model;

/// The time `auto_now` and `auto_now_add` fields are set to (`chrono::NaiveDateTime`, UTC).
/// An alias rather than a re-export, so compiler messages keep naming chrono's type.
pub type Timestamp = NaiveDateTime;

/// A model's insert form as a complete diesel row, and its change set's `auto_now`
/// handling. Implemented by `#[derive(Model)]`.
pub trait Persist: Model<Insert: Clone + Send + 'static, Changes: Send + 'static> + Send {
    /// The row: a tuple of `column.eq(value)` for every column but an auto-increment
    /// primary key, with every default filled (so all rows of a bulk insert bind the same
    /// columns).
    type Row: Send + 'static;

    /// How many columns [`Persist::Row`] binds (for chunking bulk inserts under the
    /// backend's bind-parameter limit).
    const COLUMNS: usize;

    /// The row for `form` (defaults applied, `auto_now`/`auto_now_add` set to `now`), and
    /// the primary key when the row supplies it (any key but an auto-increment one).
    fn insert_row(form: Self::Insert, now: NaiveDateTime) -> (Option<Self::PrimaryKey>, Self::Row);

    /// The primary key MySQL's `LAST_INSERT_ID()` names, for an auto-increment key.
    fn pk_from_insert_id(id: u64) -> Option<Self::PrimaryKey>;

    /// The change set that sets every field `form` gives (fields left out stay as they
    /// are; the primary key is never changed).
    fn form_changes(form: Self::Insert) -> Self::Changes;

    /// Sets every `auto_now` field the change set leaves out to `now`.
    fn touch(changes: &mut Self::Changes, now: NaiveDateTime);

    /// Whether the change set changes nothing.
    fn changes_empty(changes: &Self::Changes) -> bool;

    /// The change set that sets the fields at `fields` (indexes into the metadata's
    /// fields; the primary key is never among them) to this row's values: what
    /// `bulk_update` validates.
    fn changes_of(&self, fields: &[usize]) -> Self::Changes;
}

/// Binding a loaded row's fields as parameters on backend `DB` (for `bulk_update`'s
/// `CASE` expressions). Implemented by `#[derive(Model)]`.
pub trait FieldBinds<DB: diesel::backend::Backend> {
    /// Writes field number `index` (in the metadata's order) of `self` as a bound
    /// parameter.
    fn walk_field<'b>(
        &'b self,
        index: usize,
        out: &mut diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()>;
}

/// The current UTC time, truncated to microseconds: what every backend stores exactly
/// (PostgreSQL's and MySQL's `DATETIME(6)` precision), so a created or updated model
/// equals what a later load reads back.
pub fn now() -> NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}
