//! Many-to-many relations through an explicit model: `add`, `remove`, `set` and `clear`
//! on one row's relation, and the linked rows as a QuerySet.
//!
//! `#[orm(many_to_many(tracks = PlaylistEntry.track))]` on `Playlist` generates
//! `playlist.tracks()`, a [`ManyToMany`]: the `Track` rows that `PlaylistEntry.track`
//! references from the entries whose foreign key to `Playlist` references this playlist.
//! The through model is an ordinary model, so it may hold fields of its own (a position,
//! a date); a new link is built by the closure given to [`ManyToMany::add`] and
//! [`ManyToMany::set`], from the two keys, and validated like any insert form.
//!
//! ```ignore
//! playlist.tracks().add(&mut conn, [&intro, &outro], |p, t| NewPlaylistEntry::new(p, t, 1))?;
//! playlist.tracks().remove(&mut conn, [&intro])?;
//! let tracks = playlist.tracks().all().all(&mut conn)?; // the linked rows, a QuerySet
//! playlist.tracks().clear(&mut conn)?;
//! ```
//!
//! - `add` links each target not linked yet, in one transaction: every new link's form is
//!   validated first (nothing written when one fails), the links present are read, and
//!   the rest inserted in multi-row statements. A target linked already, or listed twice,
//!   is added once and is no error. A target row that does not exist is the database's
//!   foreign-key violation, and nothing is written.
//! - `set` is `add` after deleting the links to targets not listed, in the same
//!   transaction; links that stay are not touched (their own fields keep their values).
//! - `remove` and `clear` are one `DELETE` each.
//!
//! `add` reads the links present and then inserts, without a lock: two concurrent `add`s
//! of the same new link can both insert it, unless the through model has a unique
//! constraint over the two keys (`unique_together(playlist, track)`), which makes the
//! database refuse the second (`UniqueViolation`): declare one.
//!
//! The owner's side is the through model's foreign key to the owner's model (the first
//! one, as [`BelongsTo`]); the target's side is the field the attribute names.

use std::marker::PhantomData;

use diesel::dsl;
use diesel::query_builder::AsQuery;
use diesel::query_dsl::methods::{FilterDsl, SelectDsl};
use diesel::{ExpressionMethods, Table};
use orm_query::relations::{BelongsTo, ForeignKeyField, TableQuery};
use orm_query::QuerySet;
use orm_schema::Model;

use crate::derive::Persist;
use crate::operations::{DeleteWhere, Relink};
use orm_exec::operation::Run;

// The bound of `eq_any`'s argument. diesel 2.4 exports it only from this hidden module
// (`expression::array_comparison` is private), and a generic `IN (subquery)` must name it.
use diesel::internal::derives::multiconnection::array_comparison::AsInExpression;

/// The model a many-to-many relation through `T`'s field `F` links to.
pub type Target<T, const F: u64> = <T as ForeignKeyField<F>>::Target;

/// The primary key of [`Target`].
pub type TargetKey<T, const F: u64> = <Target<T, F> as Model>::PrimaryKey;

/// The owner's links: the rows of `T` whose foreign key to `O` references the owner.
pub type Owned<O, T> = dsl::Filter<TableQuery<T>, <T as BelongsTo<O>>::Is>;

/// The owner's links to the targets given.
pub type Present<O, T, const F: u64> = dsl::Filter<Owned<O, T>, <T as ForeignKeyField<F>>::In>;

/// The owner's links to every target but the ones given.
pub type Stale<O, T, const F: u64> = dsl::Filter<Owned<O, T>, <T as ForeignKeyField<F>>::NotIn>;

/// The primary-key column of [`Target`].
pub type TargetPkColumn<T, const F: u64> = <<Target<T, F> as Model>::Table as Table>::PrimaryKey;

/// The target keys of the owner's links: `SELECT field FROM through WHERE owner_key = ?`.
pub type LinkedKeys<O, T, const F: u64> =
    dsl::Select<Owned<O, T>, <T as ForeignKeyField<F>>::Column>;

/// The QuerySet of the linked rows ([`ManyToMany::all`]).
pub type Linked<O, T, const F: u64> = QuerySet<
    Target<T, F>,
    dsl::Filter<TableQuery<Target<T, F>>, dsl::EqAny<TargetPkColumn<T, F>, LinkedKeys<O, T, F>>>,
>;

/// What [`ManyToMany::set`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Relinked {
    /// Links inserted.
    pub added: usize,
    /// Links deleted.
    pub removed: usize,
}

/// An `add` or `set` ready to run (built by [`ManyToMany`]; executors run it).
pub struct Link<T: Model, K, P, S> {
    /// Selects the owner's links to the targets given.
    pub(crate) present: P,
    /// For `set`: selects the links to delete first.
    pub(crate) stale: Option<S>,
    /// Each target's key with the form of its new link.
    pub(crate) links: Vec<(K, T::Insert)>,
    /// The target key of a stored link.
    pub(crate) key_of: fn(&T) -> Option<K>,
}

impl<T: Model, K, P, S> std::fmt::Debug for Link<T, K, P, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("through", &T::meta().name)
            .field("links", &self.links.len())
            .field("replace", &self.stale.is_some())
            .finish()
    }
}

/// One row's many-to-many relation through model `T`, whose foreign-key field `F` (see
/// [`ForeignKeyField`]) references the linked model. Generated methods return it:
/// `playlist.tracks()`. See the [module](self) documentation.
pub struct ManyToMany<O: Model, T, const F: u64> {
    owner: O::PrimaryKey,
    _through: PhantomData<fn() -> T>,
}

impl<O: Model, T: Model, const F: u64> std::fmt::Debug for ManyToMany<O, T, F>
where
    O::PrimaryKey: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManyToMany")
            .field("owner", &self.owner)
            .field("through", &T::meta().name)
            .finish()
    }
}

impl<O: Model, T, const F: u64> ManyToMany<O, T, F> {
    /// The relation of `owner`.
    pub fn new(owner: &O) -> Self {
        ManyToMany {
            owner: owner.pk().clone(),
            _through: PhantomData,
        }
    }
}

impl<O, T, const F: u64> ManyToMany<O, T, F>
where
    O: Model,
    T: BelongsTo<O> + ForeignKeyField<F> + Persist,
    TableQuery<T>: FilterDsl<T::Is>,
    Owned<O, T>: FilterDsl<<T as ForeignKeyField<F>>::In>,
    Owned<O, T>: FilterDsl<<T as ForeignKeyField<F>>::NotIn>,
{
    /// The owner's links (rows of the through model), as a diesel query.
    fn owned(&self) -> Owned<O, T> {
        T::Table::default()
            .as_query()
            .filter(T::column_is(self.owner.clone()))
    }

    /// The linked rows: a QuerySet of the target model (`WHERE pk IN (SELECT field FROM
    /// through WHERE owner_key = ?)`), to filter, order and run like any other.
    pub fn all(&self) -> Linked<O, T, F>
    where
        Owned<O, T>: SelectDsl<<T as ForeignKeyField<F>>::Column>,
        TargetPkColumn<T, F>: ExpressionMethods + Default,
        dsl::SqlTypeOf<TargetPkColumn<T, F>>: diesel::sql_types::SqlType,
        LinkedKeys<O, T, F>: AsInExpression<dsl::SqlTypeOf<TargetPkColumn<T, F>>>,
        TableQuery<Target<T, F>>: FilterDsl<dsl::EqAny<TargetPkColumn<T, F>, LinkedKeys<O, T, F>>>,
    {
        let keys = self
            .owned()
            .select(<T as ForeignKeyField<F>>::Column::default());
        QuerySet::new().filter(TargetPkColumn::<T, F>::default().eq_any(keys))
    }

    /// Links each of `targets` not linked yet, with the through row `through(owner key,
    /// target key)` builds; the number of links added. See the [module](self)
    /// documentation.
    pub fn add<'a, 't, E>(
        &self,
        executor: E,
        targets: impl IntoIterator<Item = &'t Target<T, F>>,
        through: impl Fn(O::PrimaryKey, TargetKey<T, F>) -> T::Insert,
    ) -> E::Output<usize>
    where
        Target<T, F>: 't,
        E: Run<'a, Relink<T, TargetKey<T, F>, Present<O, T, F>, Stale<O, T, F>>>,
    {
        let link = self.link(targets, through, false);
        E::map(executor.run(Relink(link)), |changed| Ok(changed.added))
    }

    /// Makes `targets` exactly the linked rows: deletes the links to rows not listed and
    /// adds the missing ones (built by `through`, as [`ManyToMany::add`]), in one
    /// transaction. Links that stay are not touched. An empty list is
    /// [`ManyToMany::clear`].
    pub fn set<'a, 't, E>(
        &self,
        executor: E,
        targets: impl IntoIterator<Item = &'t Target<T, F>>,
        through: impl Fn(O::PrimaryKey, TargetKey<T, F>) -> T::Insert,
    ) -> E::Output<Relinked>
    where
        Target<T, F>: 't,
        E: Run<'a, Relink<T, TargetKey<T, F>, Present<O, T, F>, Stale<O, T, F>>>,
    {
        executor.run(Relink(self.link(targets, through, true)))
    }

    /// Unlinks `targets` (one `DELETE` of their through rows); the number of links
    /// deleted. A target that is not linked is no error.
    pub fn remove<'a, 't, E>(
        &self,
        executor: E,
        targets: impl IntoIterator<Item = &'t Target<T, F>>,
    ) -> E::Output<usize>
    where
        Target<T, F>: 't,
        E: Run<'a, DeleteWhere<T, Present<O, T, F>>>,
    {
        let keys = keys_of::<T, F>(targets);
        if keys.is_empty() {
            return E::ready(Ok(0));
        }
        executor.run(DeleteWhere(
            self.owned()
                .filter(<T as ForeignKeyField<F>>::column_in(keys)),
            PhantomData,
        ))
    }

    /// Unlinks every row (one `DELETE` of the owner's through rows); the number of links
    /// deleted.
    pub fn clear<'a, E>(&self, executor: E) -> E::Output<usize>
    where
        E: Run<'a, DeleteWhere<T, Owned<O, T>>>,
    {
        executor.run(DeleteWhere(self.owned(), PhantomData))
    }

    /// The `add` (`replace == false`) or `set` of `targets`.
    fn link<'t>(
        &self,
        targets: impl IntoIterator<Item = &'t Target<T, F>>,
        through: impl Fn(O::PrimaryKey, TargetKey<T, F>) -> T::Insert,
        replace: bool,
    ) -> Link<T, TargetKey<T, F>, Present<O, T, F>, Stale<O, T, F>>
    where
        Target<T, F>: 't,
    {
        let keys = keys_of::<T, F>(targets);
        let links = keys
            .iter()
            .map(|key| (key.clone(), through(self.owner.clone(), key.clone())))
            .collect();
        Link {
            present: self
                .owned()
                .filter(<T as ForeignKeyField<F>>::column_in(keys.clone())),
            stale: replace.then(|| self.owned().filter(T::column_not_in(keys))),
            links,
            key_of: |row: &T| row.key().cloned(),
        }
    }
}

/// The primary keys of `targets`.
fn keys_of<'t, T: ForeignKeyField<F>, const F: u64>(
    targets: impl IntoIterator<Item = &'t Target<T, F>>,
) -> Vec<TargetKey<T, F>>
where
    Target<T, F>: 't,
{
    targets.into_iter().map(|t| t.pk().clone()).collect()
}
