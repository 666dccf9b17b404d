//! Relations: loading the rows a `ForeignKey` references without N+1 queries.
//!
//! - [`QuerySet::select_related`]: one query, `INNER JOIN` (a `LEFT JOIN` for a nullable
//!   foreign key), that fills each row's `ForeignKey` so `track.album.get()` is `Some`.
//!   The joined QuerySet ([`SelectRelated`]) filters and orders over the columns of both
//!   tables with diesel's own DSL: `.filter(albums::name.eq("x"))`.
//! - [`QuerySet::select_related2`] and [`QuerySet::select_related3`]: two and three
//!   levels (`select_related("track__album")`), one query with two or three joins.
//! - [`prefetch`]: for a list of parents, their children in one extra query
//!   (`WHERE fk IN (...)`), grouped by parent.
//! - [`RelatedExt::related`]: the QuerySet of the rows referencing one parent.
//!
//! `#[derive(Model)]` implements [`BelongsTo<Target>`] for every model a `ForeignKey`
//! field references (the first field to each target), along with the diesel `JoinTo`
//! impls both ways and the impls that let both tables appear in one query.

use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use diesel::dsl;
use diesel::query_builder::AsQuery;
use diesel::query_dsl::methods::FilterDsl;
use diesel::query_dsl::JoinWithImplicitOnClause;
use diesel::query_source::{Alias, AliasSource};
use orm_exec::statement::Collect;
use orm_exec::Result;
use orm_schema::Model;

use crate::executor::{Reads, Run};
use crate::lookups::{Exclude, PredicateType};
use crate::projection::Projection;
use crate::queryset::{NoOrder, OrderBy, QuerySet};
use crate::related_names::{key_chunks, Lists};
use crate::run::{Rows, Slice};
use crate::show_sql::ShowSelection;

/// The diesel query of every row of `M` (what `M::objects()` wraps).
pub type TableQuery<M> = <<M as Model>::Table as diesel::query_builder::AsQuery>::Query;

/// `Self` has a `ForeignKey` to `R`. Implemented by `#[derive(Model)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no foreign key to `{R}`",
    label = "needs a `ForeignKey<{R}>` field"
)]
pub trait BelongsTo<R: Model>: Model {
    /// The foreign-key field's name.
    const FIELD: &'static str;
    /// The join `select_related` uses: diesel's `Inner`, or `LeftOuter` for a nullable key.
    type Kind: Default;
    /// What a joined row of `R` loads as: `R`, or `Option<R>` for a nullable key.
    type Row;
    /// The foreign-key column (`tracks::album`).
    type Column: Default;
    /// `column IN (keys)`.
    type In;
    /// `column = key`.
    type Is;
    /// `column IN (keys)` (`= ANY($1)` on PostgreSQL).
    fn column_in(keys: Vec<R::PrimaryKey>) -> Self::In;
    /// `column = key`.
    fn column_is(key: R::PrimaryKey) -> Self::Is;
    /// The columns of `R` a joined row loads: all of them, made nullable for a nullable
    /// key (`LEFT JOIN`).
    type Columns;
    /// The `Columns` value.
    fn columns() -> Self::Columns;
    /// The row a join loaded, `None` for a `LEFT JOIN` that found none.
    fn present(row: Self::Row) -> Option<R>;
    /// Stores row `index` of `rows` (rows one join loaded) in the foreign key; a null
    /// key stays null.
    fn attach_batched(&mut self, rows: &Arc<Vec<R>>, index: usize);
    /// The referenced primary key (`None` for a null key).
    fn related_pk(&self) -> Option<&R::PrimaryKey>;
}

/// One foreign-key field of `Self`, picked by `F`: [`field_key`] of the field's name.
/// `#[derive(Model)]` implements it for every `ForeignKey` field, so code that names a
/// field in an attribute (`many_to_many(tracks = PlaylistEntry.track)`) reaches its
/// target type and column without knowing the model's table module.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no foreign-key field with this name",
    label = "not a `ForeignKey` field of this model"
)]
pub trait ForeignKeyField<const F: u64>: Model {
    /// The model the field references.
    type Target: Model;
    /// The field's column (`playlist_entries::track`).
    type Column: diesel::Column + Default;
    /// `column IN (keys)` (`= ANY($1)` on PostgreSQL).
    type In;
    /// `column NOT IN (keys)` (`!= ALL($1)` on PostgreSQL).
    type NotIn;
    /// `column IN (keys)`.
    fn column_in(keys: Vec<<Self::Target as Model>::PrimaryKey>) -> Self::In;
    /// `column NOT IN (keys)`.
    fn column_not_in(keys: Vec<<Self::Target as Model>::PrimaryKey>) -> Self::NotIn;
    /// The referenced primary key (`None` for a null key).
    fn key(&self) -> Option<&<Self::Target as Model>::PrimaryKey>;
}

pub use orm_schema::meta::same_name;

/// The `F` of [`ForeignKeyField`] for a field named `name`: its 64-bit FNV-1a hash. The
/// derive computes the same value when it expands, so both sides agree on the number.
///
/// ```
/// assert_ne!(orm_query::relations::field_key("track"), orm_query::relations::field_key("playlist"));
/// ```
pub const fn field_key(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The diesel query `W` joined with `R`'s table, as `select_related` builds it.
pub type Joined<M, R, W> =
    <W as JoinWithImplicitOnClause<<R as Model>::Table, <M as BelongsTo<R>>::Kind>>::Output;

impl<M, W, O> QuerySet<M, W, O> {
    /// Loads the related `R` of each row in the same query, by `INNER JOIN` (`LEFT JOIN`
    /// when the foreign key is nullable), and fills the row's `ForeignKey` with it.
    /// The result filters and orders over the columns of both tables.
    pub fn select_related<R>(self) -> SelectRelated<M, R, Joined<M, R, W>, O>
    where
        R: Model,
        M: BelongsTo<R>,
        W: JoinWithImplicitOnClause<R::Table, M::Kind>,
    {
        self.joined(|query| {
            query.join_with_implicit_on_clause(R::Table::default(), M::Kind::default())
        })
    }

    /// This QuerySet's ordering and slice on its WHERE query joined by `join`, loading `R`
    /// with each row.
    fn joined<R, Q>(self, join: impl FnOnce(W) -> Q) -> SelectRelated<M, R, Q, O> {
        SelectRelated {
            qs: QuerySet {
                query: join(self.query),
                order: self.order,
                limit: self.limit,
                offset: self.offset,
                _model: PhantomData,
            },
            _related: PhantomData,
        }
    }
}

/// A QuerySet of `M` that loads the related `R` of each row by join (see
/// [`QuerySet::select_related`]).
pub struct SelectRelated<M, R, W, O = NoOrder> {
    qs: QuerySet<M, W, O>,
    _related: PhantomData<fn() -> R>,
}

impl<M, R, W: Clone, O: Clone> Clone for SelectRelated<M, R, W, O> {
    fn clone(&self) -> Self {
        SelectRelated {
            qs: self.qs.clone(),
            _related: PhantomData,
        }
    }
}

impl<M: Model, R, W, O> std::fmt::Debug for SelectRelated<M, R, W, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectRelated")
            .field("queryset", &self.qs)
            .finish_non_exhaustive()
    }
}

impl<M, R, W, O> SelectRelated<M, R, W, O> {
    fn wrap<W2, O2>(qs: QuerySet<M, W2, O2>) -> SelectRelated<M, R, W2, O2> {
        SelectRelated {
            qs,
            _related: PhantomData,
        }
    }

    /// Keeps the rows for which `predicate` holds; it may use the columns of both tables.
    pub fn filter<P>(self, predicate: P) -> SelectRelated<M, R, dsl::Filter<W, P>, O>
    where
        W: FilterDsl<P>,
    {
        Self::wrap(self.qs.filter(predicate))
    }

    /// Drops the rows for which `predicate` holds.
    pub fn exclude<P>(self, predicate: P) -> SelectRelated<M, R, dsl::Filter<W, Exclude<P>>, O>
    where
        P: diesel::Expression,
        P::SqlType: PredicateType,
        W: FilterDsl<Exclude<P>>,
    {
        Self::wrap(self.qs.exclude(predicate))
    }

    /// Orders by `ordering` (columns of either table), replacing any earlier ordering.
    pub fn order_by<E>(self, ordering: E) -> SelectRelated<M, R, W, OrderBy<E>> {
        Self::wrap(self.qs.order_by(ordering))
    }

    /// At most `n` rows.
    pub fn limit(self, n: i64) -> Self {
        Self::wrap(self.qs.limit(n))
    }

    /// Skips the first `n` rows.
    pub fn offset(self, n: i64) -> Self {
        Self::wrap(self.qs.offset(n))
    }
}

/// What a [`SelectRelated`] loads with each row of `M` and how it fills `M`'s foreign
/// keys: a model `R` (one level) or a [`Chain`] of them (two or three levels).
pub trait Attach<M> {
    /// The related part of a joined row.
    type Row;
    /// The columns `Row` is loaded from (of the joined tables, or of an alias).
    type Part;
    /// Where the joined rows go as they are read: sorted at once into the owners and one
    /// batch of related rows for one join ([`Split`]), kept as pairs for chains.
    type Rows: Collect<(M, Self::Row)>;
    /// The `Part` value.
    fn part() -> Self::Part;
    /// The owners, their foreign keys filled, from what `Rows` collected.
    fn finish(rows: Self::Rows) -> Vec<M>;
}

/// `rows` (owners with their related parts, as pairs), each owner's foreign keys filled:
/// what a chain does at each level.
fn attach_pairs<M, R: Attach<M>>(rows: Vec<(M, R::Row)>) -> Vec<M> {
    R::finish(Collect::from_rows(rows))
}

impl<M: BelongsTo<R> + Send, R: Model + Send> Attach<M> for R {
    type Row = M::Row;
    type Part = M::Columns;
    type Rows = Split<M, R>;
    fn part() -> M::Columns {
        M::columns()
    }
    fn finish(rows: Split<M, R>) -> Vec<M> {
        rows.finish()
    }
}

/// One join's related part as [`Split`] sorts it: how a joined row is read and attached
/// to its owner `M` (through a `ForeignKey` to a model, or through an alias, [`Via`]).
pub trait OneJoin<M> {
    /// What the join loads with each owner (`Option` of it for a `LEFT JOIN`).
    type Row;
    /// The related model.
    type Target;
    /// The row a join loaded, `None` for a `LEFT JOIN` that found none.
    fn present(row: Self::Row) -> Option<Self::Target>;
    /// Stores row `index` of `rows` in `owner`'s foreign key.
    fn attach(owner: &mut M, rows: &Arc<Vec<Self::Target>>, index: usize);
}

impl<M: BelongsTo<R>, R: Model> OneJoin<M> for R {
    type Row = M::Row;
    type Target = R;
    fn present(row: M::Row) -> Option<R> {
        M::present(row)
    }
    fn attach(owner: &mut M, rows: &Arc<Vec<R>>, index: usize) {
        owner.attach_batched(rows, index)
    }
}

/// A one-join QuerySet's rows, sorted as they are read: the owners in order, and their
/// related rows moved into one batch (one shared allocation rather than one each). Once
/// every row is read, each owner's foreign key is pointed at its row in the batch.
pub struct Split<M, J: OneJoin<M>> {
    owners: Vec<M>,
    /// The related rows, in the order of the owners that have one.
    batch: Vec<J::Target>,
    /// The positions, in `owners`, of the owners a `LEFT JOIN` found no row for
    /// (ascending; empty for an inner join).
    absent: Vec<usize>,
}

// Debug shows how many rows were sorted: the rows themselves may not be printable.
impl<M, J: OneJoin<M>> std::fmt::Debug for Split<M, J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Split")
            .field("owners", &self.owners.len())
            .field("related", &self.batch.len())
            .finish_non_exhaustive()
    }
}

impl<M, J: OneJoin<M>> Default for Split<M, J> {
    fn default() -> Self {
        Split {
            owners: Vec::new(),
            batch: Vec::new(),
            absent: Vec::new(),
        }
    }
}

impl<M, J> Collect<(M, J::Row)> for Split<M, J>
where
    M: Send + 'static,
    J: OneJoin<M> + 'static,
    J::Target: Send,
{
    // Inlined into the load's loop, so a row is moved straight from where it was read to
    // its place (a row is larger than what the compiler copies without a call).
    #[inline(always)]
    fn push(&mut self, (owner, row): (M, J::Row)) {
        self.take(owner, row);
    }

    fn from_rows(rows: Vec<(M, J::Row)>) -> Self {
        Split::of(rows)
    }
}

impl<M, J: OneJoin<M>> Split<M, J> {
    /// `rows` (loaded as pairs), sorted.
    fn of(rows: Vec<(M, J::Row)>) -> Self {
        let mut split = Split {
            owners: Vec::with_capacity(rows.len()),
            batch: Vec::with_capacity(rows.len()),
            absent: Vec::new(),
        };
        for (owner, row) in rows {
            split.take(owner, row);
        }
        split
    }

    /// Takes the next owner and its joined row.
    #[inline(always)]
    fn take(&mut self, owner: M, row: J::Row) {
        match J::present(row) {
            Some(row) => self.batch.push(row),
            None => self.absent.push(self.owners.len()),
        }
        self.owners.push(owner);
    }

    /// The owners, each foreign key pointing at its row of the shared batch.
    fn finish(self) -> Vec<M> {
        let Split {
            mut owners,
            batch,
            absent,
        } = self;
        let batch = Arc::new(batch);
        let mut absent = absent.into_iter().peekable();
        let mut index = 0;
        for (position, owner) in owners.iter_mut().enumerate() {
            if absent.next_if_eq(&position).is_none() {
                J::attach(owner, &batch, index);
                index += 1;
            }
        }
        owners
    }
}

/// A chain of relations for [`SelectRelated`]: `M`'s `R`, and `Next` (a model, or
/// another chain) loaded with `R`. [`Two`] and [`Three`] name the chains
/// [`QuerySet::select_related2`] and [`QuerySet::select_related3`] load.
#[derive(Debug)]
pub struct Chain<R, Next>(PhantomData<fn() -> (R, Next)>);

/// Two levels: `M`'s `R` and its `R2`.
pub type Two<R, R2> = Chain<R, R2>;

/// Three levels: `M`'s `R`, its `R2` and that one's `R3`.
pub type Three<R, R2, R3> = Chain<R, Chain<R2, R3>>;

impl<M, R, Next> Attach<M> for Chain<R, Next>
where
    M: BelongsTo<R, Row = R> + Send,
    R: Model + Send,
    Next: Attach<R, Row: Send + 'static>,
{
    type Row = (R, Next::Row);
    type Part = (AllColumns<R>, Next::Part);
    type Rows = Vec<(M, Self::Row)>;
    fn part() -> Self::Part {
        (<R::Table as diesel::Table>::all_columns(), Next::part())
    }
    fn finish(rows: Self::Rows) -> Vec<M> {
        let (owners, related): (Vec<M>, Vec<(R, Next::Row)>) = rows.into_iter().unzip();
        let related = attach_pairs::<R, Next>(related);
        attach_pairs::<M, R>(owners.into_iter().zip(related).collect())
    }
}

/// The alias of the table a foreign-key column references: the model it references and
/// the alias's SQL name. `#[derive(Model)]` implements it for every foreign-key column,
/// beside [`ViaColumn`].
pub trait KeyAlias: 'static {
    /// The model the column references.
    type Target: Model;
    /// The SQL name of the alias the target's table is joined as: `<table>_<field>`
    /// (`categories_parent`).
    const ALIAS: &'static str;
}

/// A foreign-key column joined through an alias of the table it references: what
/// [`QuerySet::select_related_via`] takes. `#[derive(Model)]` implements it for every
/// foreign-key column, those that get no join impls included: a reference to the model
/// itself (`categories::parent`), a second key to the same model (`games::away`), a
/// `no_join` key.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the column of a `ForeignKey` field",
    label = "pass a foreign-key column, like `categories::parent`"
)]
pub trait ViaColumn: KeyAlias + Sized {
    /// The model the column belongs to.
    type Owner: Model;
    /// The join: diesel's `Inner`, or `LeftOuter` for a nullable key.
    type Kind: Default;
    /// What the joined row loads as: `Target`, or `Option<Target>` for a nullable key.
    type Row;
    /// The ON clause: the column equals the alias's primary key.
    type On;
    /// The alias's columns a joined row loads from (nullable for a nullable key).
    type Part;
    /// The alias with its ON clause, as a join takes it.
    fn join_target() -> dsl::On<Alias<FieldAlias<Self>>, Self::On>;
    /// The `Part` value.
    fn part() -> Self::Part;
    /// The row a join loaded, `None` for a `LEFT JOIN` that found none.
    fn present(row: Self::Row) -> Option<Self::Target>;
    /// Stores row `index` of `rows` (rows one join loaded) in `owner`'s foreign key; a
    /// null key stays null.
    fn attach_batched(owner: &mut Self::Owner, rows: &Arc<Vec<Self::Target>>, index: usize);
}

/// `Self`'s table read through the alias `S`: what a join through an alias loads.
/// `#[derive(Model)]` implements it for every model and every alias of its table, so a
/// [`ViaColumn`] impl needs nothing of the target but this trait.
pub trait AliasedColumns<S>: Model {
    /// Every column, through the alias.
    type All;
    /// The primary key, through the alias.
    type Pk;
    /// The `All` value.
    fn all() -> Self::All;
    /// The `Pk` value.
    fn pk() -> Self::Pk;
    /// The alias joined on `on`, as a join takes it.
    fn on<E>(on: E) -> dsl::On<Alias<S>, E>;
}

/// The related part of a [`QuerySet::select_related_via`]: the row foreign-key column
/// `F` references, read from `F`'s alias.
#[derive(Debug)]
pub struct Via<F>(PhantomData<fn() -> F>);

impl<F: ViaColumn> Attach<F::Owner> for Via<F>
where
    F::Owner: Send,
    F::Target: Send,
{
    type Row = F::Row;
    type Part = F::Part;
    type Rows = Split<F::Owner, Via<F>>;
    fn part() -> F::Part {
        F::part()
    }
    fn finish(rows: Self::Rows) -> Vec<F::Owner> {
        rows.finish()
    }
}

impl<F: ViaColumn> OneJoin<F::Owner> for Via<F> {
    type Row = F::Row;
    type Target = F::Target;
    fn present(row: F::Row) -> Option<F::Target> {
        F::present(row)
    }
    fn attach(owner: &mut F::Owner, rows: &Arc<Vec<F::Target>>, index: usize) {
        F::attach_batched(owner, rows, index)
    }
}

/// Two related parts loaded with each row, `A`'s then `B`'s: what
/// [`SelectRelated::select_related_via`] adds to a joined QuerySet.
#[derive(Debug)]
pub struct And<A, B>(PhantomData<fn() -> (A, B)>);

impl<M, A, B> Attach<M> for And<A, B>
where
    M: Send + 'static,
    A: Attach<M, Row: Send + 'static>,
    B: Attach<M, Row: Send + 'static>,
{
    type Row = (A::Row, B::Row);
    type Part = (A::Part, B::Part);
    type Rows = Vec<(M, Self::Row)>;
    fn part() -> Self::Part {
        (A::part(), B::part())
    }
    fn finish(rows: Self::Rows) -> Vec<M> {
        let mut first = Vec::with_capacity(rows.len());
        let mut second = Vec::with_capacity(rows.len());
        for (owner, (a, b)) in rows {
            first.push((owner, a));
            second.push(b);
        }
        let owners = attach_pairs::<M, A>(first);
        attach_pairs::<M, B>(owners.into_iter().zip(second).collect())
    }
}

/// The alias [`QuerySet::select_related_via`] joins `column`'s target table as, for
/// filters and orderings over the joined row:
/// `alias_of(categories::parent).field(categories::name).eq("root")`.
pub fn alias_of<F: ViaColumn>(column: F) -> Alias<FieldAlias<F>> {
    let _ = column;
    Alias::default()
}

/// The alias of the table foreign-key column `F` references (diesel's [`AliasSource`]),
/// named [`KeyAlias::ALIAS`] in SQL. Each alias is its own table in diesel's checks: a
/// query may join one, beside the owner's table.
pub struct FieldAlias<F: KeyAlias> {
    table: <F::Target as Model>::Table,
}

impl<F: KeyAlias> Default for FieldAlias<F> {
    fn default() -> Self {
        FieldAlias {
            table: Default::default(),
        }
    }
}

impl<F: KeyAlias> Clone for FieldAlias<F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F: KeyAlias> Copy for FieldAlias<F> {}

impl<F: KeyAlias> std::fmt::Debug for FieldAlias<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(F::ALIAS)
    }
}

impl<F: KeyAlias> AliasSource for FieldAlias<F> {
    const NAME: &'static str = F::ALIAS;
    type Target = <F::Target as Model>::Table;
    fn target(&self) -> &Self::Target {
        &self.table
    }
}

// The alias's own columns appear once in a FROM clause that joins it, as `alias!` says
// of the aliases it declares (diesel gives this trait no public path).
impl<F: KeyAlias>
    diesel::internal::alias_macro::AliasAliasAppearsInFromClauseSameTable<
        FieldAlias<F>,
        <F::Target as Model>::Table,
    > for FieldAlias<F>
{
    type Count = diesel::query_source::Once;
}

/// The diesel query `W` joined with `F`'s target table under `F`'s alias, as
/// [`QuerySet::select_related_via`] builds it.
pub type JoinedVia<F, W> = <W as JoinWithImplicitOnClause<
    dsl::On<Alias<FieldAlias<F>>, <F as ViaColumn>::On>,
    <F as ViaColumn>::Kind,
>>::Output;

impl<M, W, O> QuerySet<M, W, O> {
    /// Loads the row the foreign-key column `column` references in the same query, by
    /// joining its table under an alias (`INNER JOIN`, `LEFT JOIN` for a nullable key),
    /// and fills that foreign key. This is the join for the keys [`select_related`]
    /// cannot take: a reference to the model itself (`select_related_via(categories::parent)`),
    /// a second key to the same model (`select_related_via(games::away)`), a `no_join`
    /// key. Filters and orderings reach the joined row through [`alias_of`]:
    ///
    /// ```text
    /// let parent = orm::relations::alias_of(categories::parent);
    /// let music = Category::objects()
    ///     .select_related_via(categories::parent)
    ///     .filter(parent.field(categories::name).eq("music"))
    ///     .all(&mut conn)?;
    /// ```
    ///
    /// (Runnable in tests/relations.rs.) A key to another model needs that model's table
    /// and this one allowed in one query, which the first foreign key to it gives.
    ///
    /// [`select_related`]: QuerySet::select_related
    pub fn select_related_via<F>(self, column: F) -> SelectRelated<M, Via<F>, JoinedVia<F, W>, O>
    where
        F: ViaColumn<Owner = M>,
        W: JoinWithImplicitOnClause<dsl::On<Alias<FieldAlias<F>>, F::On>, F::Kind>,
    {
        let _ = column;
        self.joined(|query| {
            query.join_with_implicit_on_clause(F::join_target(), F::Kind::default())
        })
    }
}

impl<M, R, W, O> SelectRelated<M, R, W, O> {
    /// Also loads, in the same query, the row the foreign-key column `column` references,
    /// joined under its alias as [`QuerySet::select_related_via`] joins it. Both keys of a
    /// model with two to one model, in one query:
    /// `Game::objects().select_related::<Team>().select_related_via(games::away)` (the
    /// first key by its join, the second through the alias).
    pub fn select_related_via<F>(
        self,
        column: F,
    ) -> SelectRelated<M, And<R, Via<F>>, JoinedVia<F, W>, O>
    where
        F: ViaColumn<Owner = M>,
        W: JoinWithImplicitOnClause<dsl::On<Alias<FieldAlias<F>>, F::On>, F::Kind>,
    {
        SelectRelated::<M, And<R, Via<F>>, W, O>::wrap(self.qs.select_related_via(column).qs)
    }
}

/// The owners, their foreign keys filled, from the rows `R::Rows` collected.
fn finish<M, R: Attach<M>>(rows: R::Rows) -> Result<Vec<M>> {
    Ok(R::finish(rows))
}

/// An executor of a joined QuerySet's reads (query `Q`, rows of `M` with their related
/// part `R`): [`Reads`] of its rows, and [`Rows`] with the collector that sorts each
/// row into place as it is read. A name for those bounds, implemented for every executor
/// that runs them.
#[diagnostic::on_unimplemented(
    message = "a joined query cannot run on `{Self}`",
    label = "not an executor for this query",
    note = "pass `&mut Connection` (blocking), `&Database` or `&mut PooledConnection` (async)",
    note = "if it is one of those, the query's filter or ordering does not compile on every enabled backend"
)]
pub trait ReadsJoined<'a, M: Send + 'a, R: Attach<M, Row: Send + 'a> + 'a, Q>:
    Reads<'a, (M, R::Row), Q> + Run<'a, Rows<(M, R::Row), Q, R::Rows>>
{
    /// The rows of `query` in `slice`, each owner's foreign keys filled.
    fn joined(self, query: Q, slice: Slice) -> Self::Output<Vec<M>> {
        Self::map(Run::run(self, Rows::new(query, slice)), finish::<M, R>)
    }
}

impl<'a, M: Send + 'a, R: Attach<M, Row: Send + 'a> + 'a, Q, E> ReadsJoined<'a, M, R, Q> for E where
    E: Reads<'a, (M, R::Row), Q> + Run<'a, Rows<(M, R::Row), Q, R::Rows>>
{
}

/// The first of `rows`, if any.
pub(crate) fn first_of<M>(rows: Vec<M>) -> Result<Option<M>> {
    Ok(rows.into_iter().next())
}

/// Every column of `M`'s table, as a tuple (what a joined row loads `M` from).
pub type AllColumns<M> = <<M as Model>::Table as diesel::Table>::AllColumns;

/// The selection of a [`SelectRelated`]'s rows: `M`'s columns, then its related part's.
pub type JoinedSelection<M, R> = (AllColumns<M>, <R as Attach<M>>::Part);

/// The query a [`SelectRelated`]'s rows run: its joined query and ordering, selecting
/// [`JoinedSelection`].
pub type JoinedRows<M, R, W, O> = Projection<W, O, JoinedSelection<M, R>>;

/// The terminal operations of a joined QuerySet. Like [`RunQuerySet`](crate::RunQuerySet)'s,
/// each takes an executor: `&mut Connection` returns the result, `&Database` or
/// `&mut PooledConnection` a `Send` future of it. Rows load through an explicit selection
/// (`M`'s columns, then the related part's), so a table joined under an alias
/// ([`QuerySet::select_related_via`]) is read from the alias.
impl<M, R, W, O> SelectRelated<M, R, W, O>
where
    M: Model + Send + 'static,
    R: Attach<M> + 'static,
    R::Row: Send + 'static,
    W: Clone,
    O: Clone,
{
    /// The rows' query with at most `cap` rows.
    fn rows_query(&self, cap: Option<i64>) -> (JoinedRows<M, R, W, O>, Slice) {
        let selection = (<M::Table as diesel::Table>::all_columns(), R::part());
        self.qs.project(selection, cap)
    }

    /// The SQL `all` runs on backend `DB`, with its bound values after `-- binds:`, as
    /// [`QuerySet::to_sql`] shows it. Needs no connection.
    pub fn to_sql<DB: diesel::backend::Backend>(&self) -> String
    where
        JoinedRows<M, R, W, O>: ShowSelection<DB>,
    {
        let (query, slice) = self.rows_query(None);
        query.show(slice)
    }

    /// Every row, each with its related row loaded, in one query.
    pub fn all<'a, E>(&self, executor: E) -> E::Output<Vec<M>>
    where
        E: ReadsJoined<'a, M, R, JoinedRows<M, R, W, O>>,
    {
        let (query, slice) = self.rows_query(None);
        executor.joined(query, slice)
    }

    /// The first row with its related row loaded, or `None`.
    pub fn first<'a, E>(&self, executor: E) -> E::Output<Option<M>>
    where
        E: ReadsJoined<'a, M, R, JoinedRows<M, R, W, O>>,
    {
        let (query, slice) = self.rows_query(Some(1));
        E::map(executor.joined(query, slice), first_of)
    }

    /// The one row with its related row loaded: `Error::NoMatch` when there is none,
    /// `Error::MultipleMatches` when there are several. Fetches at most two rows.
    pub fn one<'a, E>(&self, executor: E) -> E::Output<M>
    where
        E: ReadsJoined<'a, M, R, JoinedRows<M, R, W, O>>,
    {
        let (query, slice) = self.rows_query(Some(2));
        E::map(executor.joined(query, slice), crate::run::only)
    }

    /// The one row matching `predicate` (added to the filters; it may use the columns of
    /// both tables), with its related row loaded: `Error::NoMatch` or
    /// `Error::MultipleMatches` otherwise.
    pub fn get<'a, E, P>(&self, executor: E, predicate: P) -> E::Output<M>
    where
        W: FilterDsl<P>,
        dsl::Filter<W, P>: Clone,
        E: ReadsJoined<'a, M, R, JoinedRows<M, R, dsl::Filter<W, P>, O>>,
    {
        self.clone().filter(predicate).one(executor)
    }

    /// The number of rows of the join matching the filters; on a sliced QuerySet, the
    /// rows of the slice (as [`RunQuerySet::count`](crate::RunQuerySet::count) counts).
    pub fn count<'a, E: Reads<'a, M, (W, O)>>(&self, executor: E) -> E::Output<i64> {
        let in_slice = self.qs.in_slice();
        E::map(executor.count(self.qs.parts()), move |total| {
            Ok(in_slice(total))
        })
    }

    /// Whether the QuerySet (its slice, if sliced) holds any row.
    pub fn exists<'a, E: Reads<'a, M, (W, O)>>(&self, executor: E) -> E::Output<bool> {
        E::map(self.count(executor), |n| Ok(n > 0))
    }
}

/// Pairs each parent with its children (those whose foreign key references it). A parent
/// listed more than once gets its children each time.
fn group<C, P>(parents: Vec<P>, children: Vec<C>) -> Result<Vec<(P, Vec<C>)>>
where
    P: Model,
    P::PrimaryKey: Hash + Eq,
    C: BelongsTo<P> + Clone,
{
    let mut lists = Lists::new(&parents);
    for child in children {
        if let Some(list) = lists.list_of(child.related_pk()) {
            list.push(child);
        }
    }
    Ok(parents.into_iter().zip(lists.into_lists()).collect())
}

/// The children of each parent: `P`'s rows, each with the `C` rows whose foreign key to
/// `P` references it, in one extra query (`WHERE fk IN (...)` over the distinct keys; none
/// when `parents` is empty; one more per
/// [`KEYS_PER_QUERY`](crate::related_names::KEYS_PER_QUERY) keys past that, on the same
/// connection, so any number of parents stays under every backend's bind-parameter
/// limit). Parents keep their order, and a parent listed twice gets its children twice;
/// children are in no particular order.
///
/// Blocking with `&mut Connection` (`prefetch::<Track, Album, _>(&mut conn, albums)?`),
/// async with `&Database` or `&mut PooledConnection` (`prefetch(&db, albums).await?`).
pub fn prefetch<'a, C, P, E>(executor: E, parents: Vec<P>) -> E::Output<Vec<(P, Vec<C>)>>
where
    P: Model + Send + 'static,
    P::PrimaryKey: Hash + Eq,
    C: BelongsTo<P> + Clone + Send + 'static,
    TableQuery<C>: FilterDsl<C::In>,
    dsl::Filter<TableQuery<C>, C::In>: Send + 'static,
    E: Reads<'a, C, (dsl::Filter<TableQuery<C>, C::In>, NoOrder)>,
{
    if parents.is_empty() {
        return E::ready(Ok(Vec::new()));
    }
    let queries = key_chunks(&parents, |p: &P| Some(p.pk()))
        .into_iter()
        .map(|keys| {
            let query = <C::Table as Default>::default()
                .as_query()
                .filter(C::column_in(keys));
            (query, NoOrder)
        })
        .collect();
    let children = executor.rows_in_turn(queries);
    E::map(children, move |children| group(parents, children))
}

/// The QuerySet [`RelatedExt::related`] returns: `C`'s rows referencing one `P`.
pub type RelatedSet<C, P> = QuerySet<C, dsl::Filter<TableQuery<C>, <C as BelongsTo<P>>::Is>>;

/// `parent.related::<Child>()`: the reverse side of a foreign key. In the prelude.
pub trait RelatedExt: Model {
    /// The QuerySet of the `C` rows whose foreign key references this row.
    fn related<C>(&self) -> RelatedSet<C, Self>
    where
        C: BelongsTo<Self>,
        TableQuery<C>: FilterDsl<C::Is>,
    {
        QuerySet::new().filter(C::column_is(self.pk().clone()))
    }
}

impl<M: Model> RelatedExt for M {}

/// What [`QuerySet::select_related2`] returns.
pub type SelectRelated2<M, R, R2, W, O> = SelectRelated<M, Two<R, R2>, Joined2<M, R, R2, W>, O>;

/// The diesel query `W` joined with `R`'s table joined with `R2`'s, as
/// [`QuerySet::select_related2`] builds it.
pub type Joined2<M, R, R2, W> = <W as JoinWithImplicitOnClause<
    Joined<R, R2, TableQuery<R>>,
    <M as BelongsTo<R>>::Kind,
>>::Output;

/// What [`QuerySet::select_related3`] returns.
pub type SelectRelated3<M, R, R2, R3, W, O> =
    SelectRelated<M, Three<R, R2, R3>, Joined3<M, R, R2, R3, W>, O>;

/// The diesel query `W` joined with `R`'s table joined with `R2`'s joined with `R3`'s, as
/// [`QuerySet::select_related3`] builds it.
pub type Joined3<M, R, R2, R3, W> = <W as JoinWithImplicitOnClause<
    <TableQuery<R> as JoinWithImplicitOnClause<
        Joined<R2, R3, TableQuery<R2>>,
        <R as BelongsTo<R2>>::Kind,
    >>::Output,
    <M as BelongsTo<R>>::Kind,
>>::Output;

impl<M, W, O> QuerySet<M, W, O> {
    /// Three levels (`select_related("house__street__city")`): loads each row's `R`, its
    /// `R2` and that one's `R3` in the same query, by three joins, and fills the three
    /// foreign keys. The first two foreign keys must not be nullable. Each pair of tables
    /// that reference each other only through another must be allowed in one query, for
    /// houses → streets → cities → countries:
    /// `diesel::allow_tables_to_appear_in_same_query!(houses, cities);`, the same for
    /// `(houses, countries)` and `(streets, countries)`.
    pub fn select_related3<R, R2, R3>(self) -> SelectRelated3<M, R, R2, R3, W, O>
    where
        R: Model + BelongsTo<R2, Row = R2>,
        R2: Model + BelongsTo<R3>,
        R3: Model,
        M: BelongsTo<R, Row = R>,
        TableQuery<R2>: JoinWithImplicitOnClause<R3::Table, R2::Kind>,
        TableQuery<R>: JoinWithImplicitOnClause<Joined<R2, R3, TableQuery<R2>>, R::Kind>,
        W:
            JoinWithImplicitOnClause<
                <TableQuery<R> as JoinWithImplicitOnClause<
                    Joined<R2, R3, TableQuery<R2>>,
                    R::Kind,
                >>::Output,
                M::Kind,
            >,
    {
        let innermost = R2::Table::default()
            .as_query()
            .join_with_implicit_on_clause(R3::Table::default(), R2::Kind::default());
        let inner = R::Table::default()
            .as_query()
            .join_with_implicit_on_clause(innermost, R::Kind::default());
        self.joined(|query| query.join_with_implicit_on_clause(inner, M::Kind::default()))
    }

    /// Two levels (`select_related("track__album")`): loads each row's `R` and that row's
    /// `R2` in the same query, and fills both foreign keys. The first foreign key must not
    /// be nullable. `M`'s and `R2`'s tables reference each other only through `R`'s, so
    /// diesel must be told they may share a query:
    /// `diesel::allow_tables_to_appear_in_same_query!(tracks, artists);`.
    pub fn select_related2<R, R2>(self) -> SelectRelated2<M, R, R2, W, O>
    where
        R: Model + BelongsTo<R2>,
        R2: Model,
        M: BelongsTo<R, Row = R>,
        TableQuery<R>: JoinWithImplicitOnClause<R2::Table, R::Kind>,
        W: JoinWithImplicitOnClause<Joined<R, R2, TableQuery<R>>, M::Kind>,
    {
        let inner = R::Table::default()
            .as_query()
            .join_with_implicit_on_clause(R2::Table::default(), R::Kind::default());
        self.joined(|query| query.join_with_implicit_on_clause(inner, M::Kind::default()))
    }
}
