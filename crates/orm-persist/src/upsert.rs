//! Upsert: inserts that settle a conflict on a unique column instead of failing.
//!
//! `Counter::objects().on_conflict(counters::name).do_update(counters::value)` (typed, the
//! columns checked by rustc to be the model's) or `.on_conflict_by("name")?
//! .do_update_by(&["value"])?` (by name, checked against the metadata), then `create` or
//! `bulk_create` as usual: every form validated first (nothing is written when one
//! fails), the rows written in one statement per chunk under the bind limit on SQLite
//! and PostgreSQL (`INSERT ... ON CONFLICT (target) DO NOTHING | DO UPDATE SET col =
//! excluded.col ... RETURNING ...`), row by row on MySQL/MariaDB (`INSERT ... ON
//! DUPLICATE KEY UPDATE`), all in one transaction.
//!
//! What comes back is the same on every backend: with `do_update`, every row as stored
//! afterwards (inserted or updated), in the order of the forms; with `do_nothing`, only
//! the rows inserted, in order (a form whose row existed is left out).
//!
//! Where the backends differ, and what orm does about it:
//! - MySQL/MariaDB's `ON DUPLICATE KEY` reacts to a conflict on *any* unique key of the
//!   table, PostgreSQL and SQLite only to one on the target: there a conflict on another
//!   unique column is `Error::UniqueViolation`. Name as target the one unique column a
//!   conflict can happen on.
//! - On MySQL/MariaDB an updated row's key is read with `LAST_INSERT_ID(pk)`, which needs
//!   an auto-increment key; with a key the form supplies (a UUID), `do_update` must
//!   target the primary key itself (otherwise `Error::Usage`, before anything is written).
//! - One statement per row on every backend (diesel writes SQLite's multi-row insert only
//!   inside its own statement type): two forms with the same target value are fine, and
//!   the row ends as the last one says, but what comes back for the earlier one differs
//!   (the row as its own statement left it on SQLite and PostgreSQL, as stored at the end
//!   on MySQL/MariaDB). Give each target value once.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment};
use diesel::{Column, QueryResult};
use orm_schema::{FieldMeta, Model, ModelMeta, NameError};

use crate::derive::Persist;
use crate::operations::UpsertRows;
use orm_exec::operation::Run;

/// What an upsert does on a conflict: the target column, and the columns it overwrites
/// (`None`: do nothing). Built by [`OnConflict`]; columns are the metadata's, so every
/// name in the SQL comes from the model, never from input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The conflict target's column.
    pub(crate) target: &'static str,
    /// The primary key's column.
    pub(crate) pk: &'static str,
    /// The columns set from the new row on a conflict; `None` for `DO NOTHING`.
    pub(crate) update: Option<Vec<&'static str>>,
}

impl Conflict {
    /// Whether the conflict target is the primary key.
    pub(crate) fn targets_pk(&self) -> bool {
        self.target == self.pk
    }

    /// Whether a conflict updates the existing row (rather than leaving it).
    pub fn updates(&self) -> bool {
        self.update.is_some()
    }
}

/// A typed update list: a tuple of columns of the model's table, `(counters::value,)` or
/// `(counters::value, counters::name)` (up to six).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tuple of columns of this model's table",
    note = "write one column as a one-element tuple: `(table::column,)`"
)]
pub trait Columns<T> {
    /// The SQL names of the columns.
    fn names() -> Vec<&'static str>;
}

macro_rules! column_tuples {
    ($(($($c:ident),+)),+ $(,)?) => {$(
        impl<T, $($c: Column<Table = T>),+> Columns<T> for ($($c,)+) {
            fn names() -> Vec<&'static str> {
                vec![$($c::NAME),+]
            }
        }
    )+};
}
column_tuples!(
    (A),
    (A, B),
    (A, B, C),
    (A, B, C, D),
    (A, B, C, D, E),
    (A, B, C, D, E, F)
);

/// An insert with a conflict target and no action yet: what
/// [`QuerySetPersist::on_conflict`](crate::QuerySetPersist::on_conflict) returns. Finish it
/// with [`OnConflict::do_nothing`] or [`OnConflict::do_update`].
#[derive(Debug)]
pub struct OnConflict<M> {
    target: Result<&'static FieldMeta, NameError>,
    model: PhantomData<fn() -> M>,
}

/// The field of `meta` named `name`, or [`NameError::UnknownField`].
fn field(meta: &'static ModelMeta, name: &str) -> Result<&'static FieldMeta, NameError> {
    let name = if name == "pk" {
        meta.primary_key().map_or(name, |pk| pk.name)
    } else {
        name
    };
    meta.field(name).ok_or_else(|| NameError::UnknownField {
        model: meta.name,
        field: name.to_string(),
    })
}

impl<M: Model> OnConflict<M> {
    /// The conflict target with SQL column `column`, a column of `M`'s table (typed, so it
    /// exists); a column that is neither key nor unique is refused when the upsert runs.
    pub(crate) fn column(column: &'static str) -> Self {
        match Self::by_name(column) {
            Ok(on_conflict) => on_conflict,
            Err(e) => OnConflict {
                target: Err(e),
                model: PhantomData,
            },
        }
    }

    /// The conflict target named `field` (`"pk"` for the primary key): the primary key, a
    /// unique field or a one-to-one foreign key.
    pub(crate) fn by_name(target: &str) -> Result<Self, NameError> {
        let meta = M::meta();
        let target = field(meta, target)?;
        let one_to_one = target.foreign_key.as_ref().is_some_and(|fk| fk.one_to_one);
        if !(target.primary_key || target.unique || one_to_one) {
            return Err(NameError::NotUnique {
                model: meta.name,
                field: target.name,
            });
        }
        Ok(OnConflict {
            target: Ok(target),
            model: PhantomData,
        })
    }

    /// On a conflict, leave the existing row as it is: the form is not inserted, and is
    /// left out of what the upsert returns.
    pub fn do_nothing(self) -> Upsert<M> {
        Upsert {
            conflict: self.target.map(|target| conflict::<M>(target, None)),
            model: PhantomData,
        }
    }

    /// On a conflict, set `columns` of the existing row to the new row's values (typed: a
    /// tuple of columns of the model's table, `(counters::value,)` for one). The primary key is never
    /// overwritten: naming it is [`NameError::PrimaryKey`] when the upsert runs, and
    /// nothing is written.
    pub fn do_update<C: Columns<M::Table>>(self, columns: C) -> Upsert<M> {
        let _ = columns;
        let names = C::names();
        match self.update_fields(&names) {
            Ok(upsert) => upsert,
            Err(e) => Upsert {
                conflict: Err(e),
                model: PhantomData,
            },
        }
    }

    /// On a conflict, set the fields named in `fields` of the existing row to the new
    /// row's values. An unknown field or the primary key is a [`NameError`] naming it; an
    /// empty list is `Error::Usage` when the upsert runs.
    pub fn do_update_by(self, fields: &[&str]) -> Result<Upsert<M>, NameError> {
        self.update_fields(fields)
    }

    fn update_fields(self, fields: &[&str]) -> Result<Upsert<M>, NameError> {
        let meta = M::meta();
        let target = self.target?;
        let mut columns = Vec::with_capacity(fields.len());
        for name in fields {
            let field = field(meta, name)?;
            if field.primary_key {
                return Err(NameError::PrimaryKey {
                    model: meta.name,
                    field: field.name,
                });
            }
            if !columns.contains(&field.column) {
                columns.push(field.column);
            }
        }
        Ok(finish::<M>(target, Some(columns)))
    }
}

/// The conflict on `target` of `M`, updating `update` (`None`: doing nothing).
fn conflict<M: Model>(target: &'static FieldMeta, update: Option<Vec<&'static str>>) -> Conflict {
    let pk = M::meta().primary_key().map_or("id", |pk| pk.column);
    Conflict {
        target: target.column,
        pk,
        update,
    }
}

fn finish<M: Model>(target: &'static FieldMeta, update: Option<Vec<&'static str>>) -> Upsert<M> {
    Upsert {
        conflict: Ok(conflict::<M>(target, update)),
        model: PhantomData,
    }
}

/// An insert that settles conflicts: run it with [`Upsert::create`] or
/// [`Upsert::bulk_create`]. See the [module documentation](self).
#[derive(Debug)]
pub struct Upsert<M> {
    conflict: Result<Conflict, NameError>,
    model: PhantomData<fn() -> M>,
}

/// `Clone` for every model `M` (`#[derive(Clone)]` would ask for `M: Clone`): the
/// struct's one field cloned, and its `model` marker.
macro_rules! clone_for_every_model {
    ($($ty:ident.$field:ident),*) => {$(
        impl<M> Clone for $ty<M> {
            fn clone(&self) -> Self {
                $ty {
                    $field: self.$field.clone(),
                    model: PhantomData,
                }
            }
        }
    )*};
}
clone_for_every_model!(OnConflict.target, Upsert.conflict);

impl<M: Persist> Upsert<M> {
    /// Validates `form` and inserts it, settling a conflict as declared: the row as stored
    /// (`None` with `do_nothing` when the row existed and nothing was written).
    pub fn create<'a, E: Run<'a, UpsertRows<M>>>(
        &self,
        executor: E,
        form: M::Insert,
    ) -> E::Output<Option<M>> {
        match &self.conflict {
            Ok(conflict) => E::map(
                executor.run(UpsertRows(vec![form], conflict.clone())),
                |rows| Ok(rows.into_iter().next()),
            ),
            Err(e) => E::ready(Err(e.clone().into())),
        }
    }

    /// Validates every form (one `Error::Validation` naming every failing field of every
    /// row, nothing written when one fails), then inserts them in one transaction,
    /// settling conflicts as declared. With `do_update`: every row as stored, in the order
    /// of `forms`; with `do_nothing`: the rows inserted, in order.
    pub fn bulk_create<'a, E: Run<'a, UpsertRows<M>>>(
        &self,
        executor: E,
        forms: Vec<M::Insert>,
    ) -> E::Output<Vec<M>> {
        match &self.conflict {
            Ok(conflict) => executor.run(UpsertRows(forms, conflict.clone())),
            Err(e) => E::ready(Err(e.clone().into())),
        }
    }
}

/// How a backend writes the conflict clause.
pub trait ConflictSyntax: Backend {
    /// Writes the clause that follows the VALUES of an insert. `auto_key`: the row's
    /// primary key is the database's auto-increment (MySQL reads it back with
    /// `LAST_INSERT_ID`).
    fn walk_conflict(
        conflict: &Conflict,
        auto_key: bool,
        out: &mut AstPass<'_, '_, Self>,
    ) -> QueryResult<()>;
}

/// `ON CONFLICT (target) DO NOTHING | DO UPDATE SET col = excluded.col, ...`.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn walk_on_conflict<DB: Backend>(
    conflict: &Conflict,
    out: &mut AstPass<'_, '_, DB>,
) -> QueryResult<()> {
    out.push_sql(" ON CONFLICT (");
    out.push_identifier(conflict.target)?;
    out.push_sql(")");
    match &conflict.update {
        None => out.push_sql(" DO NOTHING"),
        Some(columns) => {
            out.push_sql(" DO UPDATE SET ");
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    out.push_sql(", ");
                }
                out.push_identifier(column)?;
                out.push_sql(" = excluded.");
                out.push_identifier(column)?;
            }
        }
    }
    Ok(())
}

/// SQLite's and PostgreSQL's `ON CONFLICT`, the same on both.
macro_rules! on_conflict_syntax {
    ($($feature:literal => $db:ty),*) => {$(
        #[cfg(feature = $feature)]
        impl ConflictSyntax for $db {
            fn walk_conflict(
                conflict: &Conflict,
                _: bool,
                out: &mut AstPass<'_, '_, Self>,
            ) -> QueryResult<()> {
                walk_on_conflict(conflict, out)
            }
        }
    )*};
}
on_conflict_syntax!("sqlite" => diesel::sqlite::Sqlite, "postgres" => diesel::pg::Pg);

// `ON DUPLICATE KEY UPDATE`: with an auto-increment key, `pk = LAST_INSERT_ID(pk)` first,
// so that `LAST_INSERT_ID()` names the existing row after an update; `pk = pk` alone is
// MySQL's way of doing nothing (zero rows affected).
orm_schema::for_mysql_like!(Db =>
    impl ConflictSyntax for Db {
        fn walk_conflict(
            conflict: &Conflict,
            auto_key: bool,
            out: &mut AstPass<'_, '_, Self>,
        ) -> QueryResult<()> {
            out.push_sql(" ON DUPLICATE KEY UPDATE ");
            let columns = conflict.update.as_deref().unwrap_or_default();
            let mut first = true;
            if auto_key && conflict.updates() || columns.is_empty() {
                out.push_identifier(conflict.pk)?;
                if auto_key && conflict.updates() {
                    out.push_sql(" = LAST_INSERT_ID(");
                    out.push_identifier(conflict.pk)?;
                    out.push_sql(")");
                } else {
                    out.push_sql(" = ");
                    out.push_identifier(conflict.pk)?;
                }
                first = false;
            }
            for column in columns {
                if !first {
                    out.push_sql(", ");
                }
                first = false;
                out.push_identifier(column)?;
                out.push_sql(" = VALUES(");
                out.push_identifier(column)?;
                out.push_sql(")");
            }
            Ok(())
        }
    }
);

/// An insert statement `I` (diesel's, without RETURNING) followed by the conflict clause,
/// then `RETURNING` the selection `S` when there is one (`()`: none).
#[derive(Debug, Clone)]
pub struct UpsertStatement<I, S> {
    pub(crate) insert: I,
    pub(crate) conflict: Conflict,
    pub(crate) auto_key: bool,
    pub(crate) returning: S,
}

/// `INSERT INTO <M's table> VALUES row` followed by the clause settling `conflict`, then
/// `returning` (`()`: nothing). `auto_key`: the row's key is the database's
/// auto-increment (see [`ConflictSyntax::walk_conflict`]).
pub(crate) fn upsert_row<M: Persist, S>(
    row: M::Row,
    conflict: Conflict,
    auto_key: bool,
    returning: S,
) -> UpsertStatement<diesel::dsl::Values<diesel::dsl::insert_into<M::Table>, M::Row>, S>
where
    M::Row: diesel::Insertable<M::Table>,
{
    UpsertStatement {
        insert: diesel::insert_into(M::Table::default()).values(row),
        conflict,
        auto_key,
        returning,
    }
}

/// The RETURNING part of an [`UpsertStatement`]: a selection, or `()` for none.
pub trait Returning<DB: Backend> {
    /// The SQL type of the rows returned.
    type SqlType;
    /// Writes ` RETURNING <selection>`, or nothing.
    fn walk_returning<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>;
}

impl<DB: Backend> Returning<DB> for () {
    type SqlType = ();
    fn walk_returning<'b>(&'b self, _: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        Ok(())
    }
}

impl<DB: Backend, S: diesel::Selectable<DB>> Returning<DB> for diesel::dsl::AsSelect<S, DB>
where
    Self: QueryFragment<DB> + diesel::Expression,
{
    type SqlType = <Self as diesel::Expression>::SqlType;
    fn walk_returning<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(" RETURNING ");
        self.walk_ast(out.reborrow())
    }
}

impl<I, S: diesel::Expression> Query for UpsertStatement<I, S> {
    type SqlType = S::SqlType;
}

// The clause depends on values (the columns named): the statement cache keys it by text.
orm_schema::query_id_by_text!([I, S] UpsertStatement<I, S>);

impl<I, S, DB> QueryFragment<DB> for UpsertStatement<I, S>
where
    DB: ConflictSyntax,
    I: QueryFragment<DB>,
    S: Returning<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.insert.walk_ast(out.reborrow())?;
        DB::walk_conflict(&self.conflict, self.auto_key, &mut out)?;
        self.returning.walk_returning(&mut out)
    }
}

impl<I, S> diesel::query_dsl::RunQueryDslSupport for UpsertStatement<I, S> {}
