//! The persistence methods users call, in `orm::prelude`: [`QuerySetPersist`] on a
//! QuerySet, [`ModelPersist`] on a model instance, [`ForeignKeyLoad`] on a foreign key.
//!
//! Every method takes an executor first: `&mut Connection` runs it now and returns a
//! `Result`; `&Database` or `&mut PooledConnection` returns a `Send` future of the same
//! `Result` (see `orm_exec::operation`). The executor is a generic parameter, so a `&mut`
//! held in a variable is moved into the call: write `&mut *conn` when `conn` is used
//! again afterwards.

use std::marker::PhantomData;

use diesel::dsl;
use diesel::query_dsl::methods::FilterDsl;
use diesel::query_dsl::methods::SelectDsl;
use diesel::Column;
use orm_exec::operation::Run;
use orm_query::by_name::{AssignWhere, Assignments, PkOf, UpdateValue};
use orm_query::QuerySet;
use orm_schema::{ForeignKey, NameError};

use crate::bulk_update::Assigned;
use crate::derive::Persist;
use crate::input::{prepare_changes, sliced};
use crate::operations::{
    Assign, BulkCreate, BulkInsert, BulkUpdate, Create, Delete, DeleteWhere, GetOrCreate, Load,
    Reload, Update, UpdateOrCreate,
};
use crate::upsert::{Columns, OnConflict};

/// Writes through a QuerySet: create, bulk_create, get_or_create, update_or_create, update,
/// update_with and delete. In `orm::prelude`.
///
/// `W` is the QuerySet's WHERE query (diesel's); callers never name it.
pub trait QuerySetPersist<M: Persist, W> {
    /// Validates `form` (every failing field in one `Error::Validation`, before anything
    /// is written), inserts it with its defaults and its `auto_now` / `auto_now_add`
    /// times, and returns the stored model with its primary key. The QuerySet's filters
    /// do not apply.
    fn create<'a, E: Run<'a, Create<M>>>(&self, executor: E, form: M::Insert) -> E::Output<M>;

    /// Validates every form (one `Error::Validation` listing every failing field of every
    /// row, each message starting `row <index>:`), then inserts them all in one
    /// transaction: every row or none. Returns the stored models, in order, with their
    /// primary keys.
    ///
    /// PostgreSQL and SQLite insert with multi-row `INSERT ... RETURNING` statements sized
    /// under the backend's bind-parameter limit; MySQL/MariaDB insert row by row (diesel
    /// has no RETURNING there; each key is read with `LAST_INSERT_ID()`, never computed).
    fn bulk_create<'a, E: Run<'a, BulkCreate<M>>>(
        &self,
        executor: E,
        forms: Vec<M::Insert>,
    ) -> E::Output<Vec<M>>;

    /// [`QuerySetPersist::bulk_create`] when no row is needed back: every form validated
    /// first, then inserted in multi-row `INSERT` statements under the bind limit (one
    /// transaction: every row or none), with no `RETURNING` and no re-select; the number
    /// of rows inserted. On MySQL/MariaDB this is one statement per chunk too, where
    /// `bulk_create` inserts row by row to read each key back.
    fn bulk_insert<'a, E: Run<'a, BulkInsert<M>>>(
        &self,
        executor: E,
        forms: Vec<M::Insert>,
    ) -> E::Output<usize>;

    /// Sets the fields `columns` (typed: a tuple of the model's columns, `(col,)` for one)
    /// of each of `rows` to that row's values, by primary key: `UPDATE ... SET col = CASE
    /// pk WHEN ? THEN ? ... END WHERE pk IN (...)`, one statement per chunk under the bind
    /// limit, all in one transaction. Each row's fields are validated first, as an update's
    /// (one `Error::Validation` naming every failing field of every row, messages starting
    /// `row <index>:`; nothing written). The number of rows updated (on MySQL: of rows
    /// whose values changed). The QuerySet's filters do not apply; `auto_now` fields are
    /// set only when listed. The primary key among the columns is `Error::Name`.
    fn bulk_update<'a, E, C>(&self, executor: E, rows: &[M], columns: C) -> E::Output<usize>
    where
        M: Clone,
        C: Columns<M::Table>,
        E: Run<'a, BulkUpdate<M>>;

    /// [`QuerySetPersist::bulk_update`] with the fields named at run time (field or column
    /// names): an unknown field or the primary key is `Error::Name` naming it, and nothing
    /// is written.
    fn bulk_update_by<'a, E>(&self, executor: E, rows: &[M], fields: &[&str]) -> E::Output<usize>
    where
        M: Clone,
        E: Run<'a, BulkUpdate<M>>;

    /// Starts an upsert: `create` / `bulk_create` that settle a conflict on `target` (the
    /// primary key or a unique column of the model's table, typed) with
    /// [`OnConflict::do_nothing`] or [`OnConflict::do_update`]. See [`crate::upsert`].
    /// The QuerySet's filters do not apply.
    ///
    /// `Counter::objects().on_conflict(counters::name).do_update((counters::value,))
    /// .bulk_create(&mut conn, forms)`
    fn on_conflict<C: Column<Table = M::Table>>(&self, target: C) -> OnConflict<M>;

    /// [`QuerySetPersist::on_conflict`] with the target named at run time (a field name, a
    /// column name or `"pk"`): [`NameError::UnknownField`] or [`NameError::NotUnique`]
    /// naming it when the model has no such field or it is neither the key nor unique.
    fn on_conflict_by(&self, target: &str) -> Result<OnConflict<M>, NameError>;

    /// The one row matching the QuerySet and `lookup`, or a new row created from `form`;
    /// `true` when created. `form` must hold the values `lookup` looks for; it is validated
    /// (and its function defaults filled) first, whether or not a row exists.
    ///
    /// Race-safe where `lookup` is backed by a unique constraint: concurrent callers end
    /// with one row and every caller gets it (the loser of the insert race rolls its
    /// savepoint back and reads the winner's row). `Error::MultipleMatches` when the lookup
    /// matches several rows.
    fn get_or_create<'a, E, P>(
        &self,
        executor: E,
        lookup: P,
        form: M::Insert,
    ) -> E::Output<(M, bool)>
    where
        W: FilterDsl<P> + Clone,
        E: Run<'a, GetOrCreate<M, dsl::Filter<W, P>>>;

    /// Updates the one row matching the QuerySet and `lookup` with every field `form`
    /// gives (fields the form leaves out stay as they are; `auto_now` fields are
    /// refreshed), or creates it from `form`; `true` when created. In one transaction,
    /// race-safe as [`QuerySetPersist::get_or_create`].
    fn update_or_create<'a, E, P>(
        &self,
        executor: E,
        lookup: P,
        form: M::Insert,
    ) -> E::Output<(M, bool)>
    where
        W: FilterDsl<P> + Clone,
        E: Run<'a, UpdateOrCreate<M, dsl::Filter<W, P>>>;

    /// Validates `changes`, sets the `auto_now` fields it leaves out to now, and updates
    /// every row of the QuerySet; the number of rows updated (on MySQL: of rows whose
    /// values changed). Empty changes write nothing (0), and refresh no `auto_now` field. A
    /// sliced QuerySet (limit or offset) is refused with `Error::Usage`.
    fn update<'a, E>(&self, executor: E, changes: M::Changes) -> E::Output<usize>
    where
        M: Persist,
        W: Clone,
        E: Run<'a, Assign<M::Changes, W>>;

    /// Updates every row of the QuerySet with any diesel changeset over the model's table,
    /// computed by the database, so concurrent updates are never lost:
    /// `qs.update_with(&mut conn, counters::value.eq(counters::value + 1))`. No validation
    /// and no `auto_now`. The number of rows updated. A sliced QuerySet is refused with
    /// `Error::Usage`.
    fn update_with<'a, E, V>(&self, executor: E, changes: V) -> E::Output<usize>
    where
        W: Clone,
        E: Run<'a, Assign<V, W>>;

    /// [`update_with`](Self::update_with) by name (Django's `update(stock=F("stock") - 1)`):
    /// `qs.update_by(&mut conn, &[("stock", F("stock") - 1), ("note", "restocked".into())])`.
    /// Each field and value is checked against the model ([`Assignments::parse`]) before
    /// any SQL; a bad one is `Error::Name` naming the field. Every value set runs its
    /// field's validators as a typed update's would ([`Assignments::validate`]): a failing
    /// one is `Error::Validation` listing every failing field, and nothing is written
    /// (`F(..)` and arithmetic are computed by the database, unchecked). One statement:
    /// `UPDATE ... SET ... WHERE pk IN (SELECT pk FROM (<the QuerySet's query>) AS
    /// __orm_u)`. No `auto_now`; nothing to set writes nothing (0); a sliced QuerySet is
    /// refused with `Error::Usage`.
    fn update_by<'a, E>(
        &self,
        executor: E,
        assignments: &[(&str, UpdateValue)],
    ) -> E::Output<usize>
    where
        W: Clone + SelectDsl<PkOf<M>>,
        E: Run<'a, Assign<AssignWhere<M, dsl::Select<W, PkOf<M>>>, M::Table>>;

    /// Deletes every row of the QuerySet; the number deleted. The database applies each
    /// referencing foreign key's ON DELETE (CASCADE and SET NULL follow; RESTRICT refuses
    /// with `Error::ForeignKeyViolation` and nothing is deleted). A sliced QuerySet is
    /// refused with `Error::Usage`.
    fn delete<'a, E>(&self, executor: E) -> E::Output<usize>
    where
        W: Clone,
        E: Run<'a, DeleteWhere<M, W>>;
}

impl<M: Persist, W, O> QuerySetPersist<M, W> for QuerySet<M, W, O> {
    fn create<'a, E: Run<'a, Create<M>>>(&self, executor: E, form: M::Insert) -> E::Output<M> {
        executor.run(Create(form))
    }

    fn bulk_create<'a, E: Run<'a, BulkCreate<M>>>(
        &self,
        executor: E,
        forms: Vec<M::Insert>,
    ) -> E::Output<Vec<M>> {
        executor.run(BulkCreate(forms))
    }

    fn bulk_insert<'a, E: Run<'a, BulkInsert<M>>>(
        &self,
        executor: E,
        forms: Vec<M::Insert>,
    ) -> E::Output<usize> {
        executor.run(BulkInsert(forms))
    }

    fn bulk_update<'a, E, C>(&self, executor: E, rows: &[M], columns: C) -> E::Output<usize>
    where
        M: Clone,
        C: Columns<M::Table>,
        E: Run<'a, BulkUpdate<M>>,
    {
        let _ = columns;
        self.bulk_update_by(executor, rows, &C::names())
    }

    fn bulk_update_by<'a, E>(&self, executor: E, rows: &[M], fields: &[&str]) -> E::Output<usize>
    where
        M: Clone,
        E: Run<'a, BulkUpdate<M>>,
    {
        match Assigned::resolve::<M>(fields) {
            Ok(assigned) => executor.run(BulkUpdate(rows.to_vec(), assigned)),
            Err(e) => E::ready(Err(e.into())),
        }
    }

    fn on_conflict<C: Column<Table = M::Table>>(&self, target: C) -> OnConflict<M> {
        let _ = target;
        OnConflict::column(C::NAME)
    }

    fn on_conflict_by(&self, target: &str) -> Result<OnConflict<M>, NameError> {
        OnConflict::by_name(target)
    }

    fn get_or_create<'a, E, P>(
        &self,
        executor: E,
        lookup: P,
        form: M::Insert,
    ) -> E::Output<(M, bool)>
    where
        W: FilterDsl<P> + Clone,
        E: Run<'a, GetOrCreate<M, dsl::Filter<W, P>>>,
    {
        executor.run(GetOrCreate(self.where_query().clone().filter(lookup), form))
    }

    fn update_or_create<'a, E, P>(
        &self,
        executor: E,
        lookup: P,
        form: M::Insert,
    ) -> E::Output<(M, bool)>
    where
        W: FilterDsl<P> + Clone,
        E: Run<'a, UpdateOrCreate<M, dsl::Filter<W, P>>>,
    {
        executor.run(UpdateOrCreate(
            self.where_query().clone().filter(lookup),
            form,
        ))
    }

    fn update<'a, E>(&self, executor: E, changes: M::Changes) -> E::Output<usize>
    where
        M: Persist,
        W: Clone,
        E: Run<'a, Assign<M::Changes, W>>,
    {
        if self.is_sliced() {
            return E::ready(Err(sliced(M::meta().name, "update")));
        }
        let changes = match prepare_changes::<M>(changes) {
            Ok(Some(changes)) => changes,
            Ok(None) => return E::ready(Ok(0)),
            Err(invalid) => return E::ready(Err(invalid.into())),
        };
        executor.run(Assign(changes, self.where_query().clone()))
    }

    fn update_with<'a, E, V>(&self, executor: E, changes: V) -> E::Output<usize>
    where
        W: Clone,
        E: Run<'a, Assign<V, W>>,
    {
        if self.is_sliced() {
            return E::ready(Err(sliced(M::meta().name, "update")));
        }
        executor.run(Assign(changes, self.where_query().clone()))
    }

    fn update_by<'a, E>(&self, executor: E, assignments: &[(&str, UpdateValue)]) -> E::Output<usize>
    where
        W: Clone + SelectDsl<PkOf<M>>,
        E: Run<'a, Assign<AssignWhere<M, dsl::Select<W, PkOf<M>>>, M::Table>>,
    {
        if self.is_sliced() {
            return E::ready(Err(sliced(M::meta().name, "update")));
        }
        match Assignments::<M>::parse(assignments) {
            Ok(set) if set.is_empty() => E::ready(Ok(0)),
            Ok(set) => match set.validate() {
                Ok(()) => {
                    let scoped = set.scoped(self.where_query().clone());
                    executor.run(Assign(scoped, M::Table::default()))
                }
                Err(invalid) => E::ready(Err(invalid.into())),
            },
            Err(invalid) => E::ready(Err(invalid.into())),
        }
    }

    fn delete<'a, E>(&self, executor: E) -> E::Output<usize>
    where
        W: Clone,
        E: Run<'a, DeleteWhere<M, W>>,
    {
        if self.is_sliced() {
            return E::ready(Err(sliced(M::meta().name, "delete")));
        }
        executor.run(DeleteWhere(self.where_query().clone(), PhantomData))
    }
}

/// Writes and reloads of one model instance: update, delete, reload. In `orm::prelude`.
pub trait ModelPersist: Persist {
    /// Validates `changes`, sets the `auto_now` fields it leaves out to now, updates this
    /// row and sets every field of `self` to the stored row. Empty changes write nothing (no
    /// statement runs, and `auto_now` fields keep their value).
    /// `Error::NoMatch` when the row is gone.
    fn update<'a, E: Run<'a, Update<'a, Self>>>(
        &'a mut self,
        executor: E,
        changes: Self::Changes,
    ) -> E::Output<()> {
        executor.run(Update(self, changes))
    }

    /// Deletes this row; the database applies ON DELETE to the rows referencing it
    /// (RESTRICT refuses with `Error::ForeignKeyViolation`). `Error::NoMatch` when the row
    /// is already gone.
    fn delete<'a, E: Run<'a, Delete<Self>>>(&self, executor: E) -> E::Output<()> {
        executor.run(Delete(self.pk().clone()))
    }

    /// Reads this row again and sets every field of `self` to it. `Error::NoMatch` when
    /// the row is gone.
    fn reload<'a, E: Run<'a, Reload<'a, Self>>>(&'a mut self, executor: E) -> E::Output<()> {
        executor.run(Reload(self))
    }
}

impl<M: Persist> ModelPersist for M {}

/// Filling a sparse [`ForeignKey`]: load. In `orm::prelude`.
pub trait ForeignKeyLoad<M: Persist> {
    /// Reads the referenced row, stores it in the handle (so [`ForeignKey::get`] returns it
    /// from now on) and returns it. `Error::NoMatch` when it does not exist.
    fn load<'a, E: Run<'a, Load<'a, M>>>(&'a mut self, executor: E) -> E::Output<&'a M>
    where
        M: Sync;
}

impl<M: Persist> ForeignKeyLoad<M> for ForeignKey<M, M::PrimaryKey> {
    fn load<'a, E: Run<'a, Load<'a, M>>>(&'a mut self, executor: E) -> E::Output<&'a M>
    where
        M: Sync,
    {
        executor.run(Load(self))
    }
}
