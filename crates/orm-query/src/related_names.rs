//! Relations named at run time (an `?expand=` query parameter):
//! `select_related_names(&["album", "team__org"])` fills foreign keys, and
//! `prefetch_related(&["tracks", "tracks__playlists__featured"])` also fills the `Related`
//! fields that hold a model's reverse and many-to-many relations.
//!
//! The names are checked against the models' metadata like every by-name input. Each
//! relation level then loads with one query over the distinct keys of the level above (in
//! chunks of [`KEYS_PER_QUERY`]), as Django's `prefetch_related` does, so a result of any
//! size costs one query per named relation (two for a many-to-many one: its through rows,
//! then the rows they reference), never one per row. A row a foreign key references is
//! shared (an `Arc`) by every foreign key that references it; a row in a `Related` list
//! is copied into each list it belongs to.
//!
//! The loaders ([`fill`], [`fill_reverse`], [`fill_through`]) are written once, as async
//! functions over a [`RelatedConn`], one backend's connection: a blocking one (each query
//! completes inside the call, and the whole load is driven to its end in one poll) or an
//! async one (awaited). A whole load is one operation ([`LoadRelated`]), run by any
//! executor.
//!
//! `#[derive(Model)]` implements [`SelectRelatedNames`] for every model.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use diesel::dsl;
use diesel::query_builder::AsQuery;
use diesel::query_dsl::methods::FilterDsl;

use orm_exec::operation::{Operation, OperationOn, Retry, Run};
use orm_exec::statement_conn::StatementConn;
use orm_exec::Result;
use orm_schema::{Model, ModelMeta, NameError};

use crate::by_name::parse::check_path_length;
pub use crate::executor::BoxFuture;
use crate::executor::Reads;
use crate::queryset::{NoOrder, QuerySet};
use crate::relations::TableQuery;
use crate::run::{AsyncRunnable, Ops, Runnable, Slice};

/// The most keys one `WHERE pk IN (...)` query binds; more keys take more queries (SQLite
/// binds at most 32 766 values per statement, MySQL 65 535).
pub const KEYS_PER_QUERY: usize = 10_000;

/// Checked relation paths: each a list of foreign-key field names, outermost first.
#[derive(Debug, Clone, Default)]
pub struct RelatedPaths {
    paths: Vec<Vec<&'static str>>,
}

impl RelatedPaths {
    /// `names` (`"album"`, `"team__org"`) checked against `meta`: every part must be a
    /// foreign-key field of the model reached so far.
    pub fn parse(meta: &'static ModelMeta, names: &[&str]) -> std::result::Result<Self, NameError> {
        Self::parse_with(meta, names, false)
    }

    /// `names` (`"tracks"`, `"tracks__playlists__featured"`) checked against `meta`: every
    /// part a foreign-key field, or a relation the model declares and holds in a
    /// [`Related`](orm_schema::Related) field, of the model reached so far.
    pub fn parse_prefetch(
        meta: &'static ModelMeta,
        names: &[&str],
    ) -> std::result::Result<Self, NameError> {
        Self::parse_with(meta, names, true)
    }

    fn parse_with(
        meta: &'static ModelMeta,
        names: &[&str],
        relations: bool,
    ) -> std::result::Result<Self, NameError> {
        let mut paths = Vec::with_capacity(names.len());
        for name in names {
            let parts: Vec<&str> = name.split("__").collect();
            check_path_length(parts.len(), name)?;
            let mut model = meta;
            let mut path = Vec::with_capacity(parts.len());
            for part in parts {
                let relation = model.related.iter().find(|r| r.name == part);
                if let (true, Some(relation)) = (relations, relation) {
                    let target = relation.target(model)?;
                    if !relation.stored {
                        return Err(NameError::NotStored {
                            model: model.name,
                            relation: relation.name,
                            target: target.name,
                        });
                    }
                    path.push(relation.name);
                    model = target;
                    continue;
                }
                let field = model
                    .fields
                    .iter()
                    .find(|f| f.name == part)
                    .ok_or_else(|| NameError::UnknownField {
                        model: model.name,
                        field: part.to_string(),
                    })?;
                let Some(fk) = &field.foreign_key else {
                    return Err(NameError::NotARelation {
                        model: model.name,
                        field: field.name,
                    });
                };
                path.push(field.name);
                model = (fk.target)();
            }
            paths.push(path);
        }
        Ok(RelatedPaths { paths })
    }

    /// Fills the relations these paths name in every row of `rows`, on `conn`: nothing to
    /// do when there is no path or no row.
    async fn load_on<T: SelectRelatedNames, C: RelatedConn>(
        &self,
        rows: &mut [T],
        conn: &mut C,
    ) -> Result<()> {
        if !self.is_empty() && !rows.is_empty() {
            T::load_related(rows, self, conn).await?;
        }
        Ok(())
    }

    /// Whether no path is left.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The paths grouped by their first field: (field, the rest of each path through it).
    pub fn groups(&self) -> Vec<(&'static str, RelatedPaths)> {
        let mut groups: Vec<(&'static str, RelatedPaths)> = Vec::new();
        for path in &self.paths {
            let Some((first, rest)) = path.split_first() else {
                continue;
            };
            let at = match groups.iter().position(|(f, _)| f == first) {
                Some(at) => at,
                None => {
                    groups.push((first, RelatedPaths::default()));
                    groups.len() - 1
                }
            };
            if !rest.is_empty() {
                groups[at].1.paths.push(rest.to_vec());
            }
        }
        groups
    }
}

/// The error for a name that is not a foreign key of `meta` (paths are checked before
/// they run, so the derive's code reaches this only for a path built by hand).
pub fn not_a_relation(meta: &'static ModelMeta, name: &str) -> orm_exec::Error {
    let error = match meta.fields.iter().find(|f| f.name == name) {
        Some(field) => NameError::NotARelation {
            model: meta.name,
            field: field.name,
        },
        None => NameError::UnknownField {
            model: meta.name,
            field: name.to_string(),
        },
    };
    error.into()
}

/// A model whose relations can be filled by name ([`QuerySet::select_related_names`],
/// [`QuerySet::prefetch_related`]). Implemented by `#[derive(Model)]`: a match over the
/// model's foreign-key fields (each filled by [`fill`]) and the relations it holds in a
/// [`Related`](orm_schema::Related) field ([`fill_reverse`], [`fill_through`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an orm model",
    label = "not a model",
    note = "add `#[derive(Model)]` to `{Self}`"
)]
pub trait SelectRelatedNames: Model + Send {
    /// Fills the relations `paths` names in every row of `rows`, on `conn` (blocking or
    /// async: see [`RelatedConn`]).
    fn load_related<'a, C: RelatedConn>(
        rows: &'a mut [Self],
        paths: &'a RelatedPaths,
        conn: &'a mut C,
    ) -> BoxFuture<'a, Result<()>>;
}

/// What the relation loaders run their queries on: one backend's connection, blocking
/// (whose futures are complete when returned, so a whole load is driven to its end in one
/// poll) or async (awaited). The loading logic is written once, as async functions over
/// this trait, and runs inside the [`LoadRelated`] operation on any executor.
pub trait RelatedConn: Send {
    /// Every row `query` selects.
    fn rows<T, Q>(&mut self, query: Q) -> BoxFuture<'_, Result<Vec<T>>>
    where
        T: Send + 'static,
        Q: Send + 'static,
        (Q, NoOrder): Runnable<T> + AsyncRunnable<T>;
}

/// Implements [`RelatedConn`] for each backend connection `$conn` (behind its cargo
/// feature): the query's rows, by [`crate::run::rows`].
macro_rules! related_conn {
    ($($feature:literal $conn:ty;)*) => {$(
        #[cfg(feature = $feature)]
        impl RelatedConn for $conn {
            fn rows<T, Q>(&mut self, query: Q) -> BoxFuture<'_, Result<Vec<T>>>
            where
                T: Send + 'static,
                Q: Send + 'static,
                (Q, NoOrder): Runnable<T> + AsyncRunnable<T>,
            {
                Box::pin(crate::run::rows(self, (query, NoOrder), Slice::All))
            }
        }
    )*};
}

related_conn! {
    "sqlite" orm_exec::connection::BlockingSqlite;
    "postgres" orm_exec::connection::BlockingPg;
    "mysql" orm_exec::connection::BlockingMysql;
    "mysql" orm_exec::connection::BlockingMariadb;
    "sqlite" orm_exec::database::AsyncSqlite;
    "postgres" orm_exec::database::AsyncPg;
    "mysql" orm_exec::database::AsyncMysql;
    "mysql" orm_exec::database::AsyncMariadb;
}

/// The query of a model's rows by primary key, `table.filter(pk.eq_any(keys))`.
/// Implemented by `#[derive(Model)]`.
pub trait PkQuery: Model {
    /// The diesel query.
    type Query;
    /// The query of the rows whose primary key is one of `keys`.
    fn by_pks(keys: Vec<Self::PrimaryKey>) -> Self::Query;
}

/// How a model's rows are loaded by primary key (`SELECT ... WHERE pk IN (keys)`): every
/// model whose [`PkQuery`] loads on every enabled backend.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an orm model",
    label = "not a model",
    note = "add `#[derive(Model)]` to `{Self}`"
)]
pub trait LoadByPk: Model + Send {
    /// The rows whose primary key is one of `keys`.
    fn load_by_pks<C: RelatedConn>(
        conn: &mut C,
        keys: Vec<Self::PrimaryKey>,
    ) -> BoxFuture<'_, Result<Vec<Self>>>;
}

impl<T> LoadByPk for T
where
    T: PkQuery + Send + 'static,
    T::Query: Send + 'static,
    (T::Query, NoOrder): Runnable<T> + AsyncRunnable<T>,
{
    fn load_by_pks<C: RelatedConn>(
        conn: &mut C,
        keys: Vec<T::PrimaryKey>,
    ) -> BoxFuture<'_, Result<Vec<T>>> {
        conn.rows(T::by_pks(keys))
    }
}

/// How the rows of a model that a filter `Q` on its table selects are loaded (`SELECT ...
/// WHERE q`): every model whose filtered query loads on every enabled backend. What
/// [`fill_reverse`] and [`fill_through`] load the rows referencing a level with.
pub trait LoadFiltered<Q>: Model + Send + 'static {
    /// The rows `filter` selects.
    fn load_filtered<C: RelatedConn>(conn: &mut C, filter: Q) -> BoxFuture<'_, Result<Vec<Self>>>;
}

impl<T, Q> LoadFiltered<Q> for T
where
    T: Model + Send + 'static,
    TableQuery<T>: FilterDsl<Q>,
    dsl::Filter<TableQuery<T>, Q>: Send + 'static,
    (dsl::Filter<TableQuery<T>, Q>, NoOrder): Runnable<T> + AsyncRunnable<T>,
{
    fn load_filtered<C: RelatedConn>(conn: &mut C, filter: Q) -> BoxFuture<'_, Result<Vec<T>>> {
        conn.rows(<T::Table as Default>::default().as_query().filter(filter))
    }
}

/// The distinct keys `key_of` gives for `rows`, in chunks of [`KEYS_PER_QUERY`].
pub(crate) fn key_chunks<M, K: Clone + Hash + Eq>(
    rows: &[M],
    key_of: impl Fn(&M) -> Option<&K>,
) -> Vec<Vec<K>> {
    let mut seen = std::collections::HashSet::new();
    let keys: Vec<K> = rows
        .iter()
        .filter_map(key_of)
        .filter(|k| seen.insert(*k))
        .cloned()
        .collect();
    keys.chunks(KEYS_PER_QUERY).map(<[K]>::to_vec).collect()
}

/// Attaches each loaded target to every row whose key references it.
fn attach<M, T: Model>(
    rows: &mut [M],
    targets: Vec<T>,
    key_of: impl Fn(&M) -> Option<&T::PrimaryKey>,
    set: impl Fn(&mut M, Arc<T>),
) where
    T::PrimaryKey: Hash + Eq,
{
    let index: HashMap<T::PrimaryKey, Arc<T>> = targets
        .into_iter()
        .map(|t| (t.pk().clone(), Arc::new(t)))
        .collect();
    for row in rows.iter_mut() {
        let found = key_of(row).and_then(|k| index.get(k)).cloned();
        if let Some(target) = found {
            set(row, target);
        }
    }
}

/// One list per row of a level, filled by the rows' primary keys: what
/// [`fill_reverse`], [`fill_through`] and the typed [`prefetch`](crate::prefetch) group
/// related rows into. A row that repeats an earlier row's key gets a copy of that row's
/// list.
pub(crate) struct Lists<K, C> {
    /// The index of the first row with each key.
    index: HashMap<K, usize>,
    /// For every row, the index of the first row with its key (itself, unless it repeats).
    first: Vec<usize>,
    lists: Vec<Vec<C>>,
}

impl<K: Hash + Eq + Clone, C: Clone> Lists<K, C> {
    /// Empty lists for `rows`.
    pub(crate) fn new<P: Model<PrimaryKey = K>>(rows: &[P]) -> Self {
        let mut index = HashMap::with_capacity(rows.len());
        let first = rows
            .iter()
            .enumerate()
            .map(|(i, row)| *index.entry(row.pk().clone()).or_insert(i))
            .collect();
        Lists {
            index,
            first,
            lists: (0..rows.len()).map(|_| Vec::new()).collect(),
        }
    }

    /// The list of the row whose key is `key`, if there is one.
    pub(crate) fn list_of(&mut self, key: Option<&K>) -> Option<&mut Vec<C>> {
        let at = *self.index.get(key?)?;
        Some(&mut self.lists[at])
    }

    /// Gives each of `rows` (those the lists were made for) its list.
    fn set_on<P>(self, rows: &mut [P], set: impl Fn(&mut P, Vec<C>)) {
        for (row, list) in rows.iter_mut().zip(self.into_lists()) {
            set(row, list);
        }
    }

    /// The lists, in the rows' order.
    pub(crate) fn into_lists(self) -> Vec<Vec<C>> {
        let Lists {
            first, mut lists, ..
        } = self;
        let copies: Vec<Option<Vec<C>>> = first
            .iter()
            .enumerate()
            .map(|(i, &f)| (f != i).then(|| lists[f].clone()))
            .collect();
        copies
            .into_iter()
            .enumerate()
            .map(|(i, copy)| copy.unwrap_or_else(|| std::mem::take(&mut lists[i])))
            .collect()
    }
}

/// Loads the `T` rows `rows` reference through one foreign key (`key_of` reads it, `set`
/// fills it), then the relations `rest` names on them: one query per
/// [`KEYS_PER_QUERY`] distinct keys.
pub async fn fill<M, T, C>(
    rows: &mut [M],
    rest: &RelatedPaths,
    conn: &mut C,
    key_of: impl Fn(&M) -> Option<&T::PrimaryKey> + Send,
    set: impl Fn(&mut M, Arc<T>) + Send,
) -> Result<()>
where
    M: Send,
    T: LoadByPk + SelectRelatedNames,
    T::PrimaryKey: Hash + Eq,
    C: RelatedConn,
{
    let mut targets = Vec::new();
    for keys in key_chunks(rows, &key_of) {
        targets.extend(T::load_by_pks(&mut *conn, keys).await?);
    }
    rest.load_on(&mut targets, conn).await?;
    attach(rows, targets, key_of, set);
    Ok(())
}

/// The `T` rows `column_in` selects for the primary keys of `rows`: one query per
/// [`KEYS_PER_QUERY`] rows.
async fn referencing<P, T, Q, C>(
    rows: &[P],
    conn: &mut C,
    column_in: impl Fn(Vec<P::PrimaryKey>) -> Q + Send,
) -> Result<Vec<T>>
where
    P: Model,
    P::PrimaryKey: Hash + Eq,
    T: LoadFiltered<Q>,
    C: RelatedConn,
{
    let mut found: Vec<T> = Vec::new();
    for keys in key_chunks(rows, |row: &P| Some(row.pk())) {
        let batch = T::load_filtered(&mut *conn, column_in(keys)).await?;
        if found.is_empty() {
            found = batch;
        } else {
            found.extend(batch);
        }
    }
    Ok(found)
}

/// Loads the `T` rows whose foreign key references each of `rows` (a reverse relation:
/// `column_in` selects them by key, `key_of` reads their key), then the relations `rest`
/// names on them, and gives each row its list (`set`), empty when none: one query per
/// [`KEYS_PER_QUERY`] rows. The lists keep the order the database returned.
pub async fn fill_reverse<P, T, Q, C>(
    rows: &mut [P],
    rest: &RelatedPaths,
    conn: &mut C,
    column_in: impl Fn(Vec<P::PrimaryKey>) -> Q + Send,
    key_of: impl Fn(&T) -> Option<&P::PrimaryKey> + Send,
    set: impl Fn(&mut P, Vec<T>) + Send,
) -> Result<()>
where
    P: Model + Send,
    P::PrimaryKey: Hash + Eq,
    T: SelectRelatedNames + LoadFiltered<Q> + Clone,
    C: RelatedConn,
{
    let mut children: Vec<T> = referencing(rows, conn, column_in).await?;
    rest.load_on(&mut children, conn).await?;
    let mut lists = Lists::new(rows);
    for child in children {
        if let Some(list) = lists.list_of(key_of(&child)) {
            list.push(child);
        }
    }
    lists.set_on(rows, set);
    Ok(())
}

/// A many-to-many relation through model `T`: loads the `T` rows whose foreign key
/// references each of `rows` (`owner_in` selects them, `owner_of` reads that key), then
/// the `R` rows they reference (`target_of`), then the relations `rest` names on those,
/// and gives each row its list (`set`), in the order of the through rows: one query of
/// `T` per [`KEYS_PER_QUERY`] rows, and one of `R` per as many distinct targets.
pub async fn fill_through<P, T, R, Q, C>(
    rows: &mut [P],
    rest: &RelatedPaths,
    conn: &mut C,
    owner_in: impl Fn(Vec<P::PrimaryKey>) -> Q + Send,
    owner_of: impl Fn(&T) -> Option<&P::PrimaryKey> + Send,
    target_of: impl Fn(&T) -> Option<&R::PrimaryKey> + Send,
    set: impl Fn(&mut P, Vec<R>) + Send,
) -> Result<()>
where
    P: Model + Send,
    P::PrimaryKey: Hash + Eq,
    T: LoadFiltered<Q>,
    R: LoadByPk + SelectRelatedNames + Clone,
    R::PrimaryKey: Hash + Eq,
    C: RelatedConn,
{
    let links: Vec<T> = referencing(rows, conn, owner_in).await?;
    let mut targets: Vec<R> = Vec::new();
    for keys in key_chunks(&links, &target_of) {
        targets.extend(R::load_by_pks(&mut *conn, keys).await?);
    }
    rest.load_on(&mut targets, conn).await?;
    let index: HashMap<R::PrimaryKey, R> =
        targets.into_iter().map(|t| (t.pk().clone(), t)).collect();
    let mut lists = Lists::new(rows);
    for link in &links {
        let target = target_of(link).and_then(|key| index.get(key));
        if let (Some(list), Some(target)) = (lists.list_of(owner_of(link)), target) {
            list.push(target.clone());
        }
    }
    lists.set_on(rows, set);
    Ok(())
}

/// A QuerySet of `M` that fills the foreign keys named at run time (see
/// [`QuerySet::select_related_names`]).
pub struct RelatedByName<M, W, O = NoOrder> {
    qs: QuerySet<M, W, O>,
    paths: Arc<RelatedPaths>,
}

impl<M, W: Clone, O: Clone> Clone for RelatedByName<M, W, O> {
    fn clone(&self) -> Self {
        RelatedByName {
            qs: self.qs.clone(),
            paths: Arc::clone(&self.paths),
        }
    }
}

impl<M: Model, W, O> std::fmt::Debug for RelatedByName<M, W, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelatedByName")
            .field("queryset", &self.qs)
            .field("paths", &self.paths.paths)
            .finish()
    }
}

impl<M: Model, W, O> QuerySet<M, W, O> {
    /// Fills the foreign keys named by `names` in every row loaded, any depth:
    /// `select_related_names(&["album"])`, `select_related_names(&["team__org", "coach"])`.
    /// Each name is checked against the models' metadata ([`NameError`] otherwise).
    ///
    /// Each named foreign key costs one more query (`WHERE pk IN (...)` over the distinct
    /// keys of the rows above it), whatever the number of rows; the typed
    /// [`select_related`](QuerySet::select_related) loads up to three levels in the same
    /// query by JOIN. Build the QuerySet (filters, ordering, slice) first, then call this.
    pub fn select_related_names(
        self,
        names: &[&str],
    ) -> std::result::Result<RelatedByName<M, W, O>, NameError> {
        Ok(self.loading(RelatedPaths::parse(M::meta(), names)?))
    }

    /// Loads the relations named by `names` for every row loaded, any depth, and fills
    /// them in: foreign keys (as [`select_related_names`](QuerySet::select_related_names)
    /// does), and the reverse and many-to-many relations the model declares and holds in
    /// a [`Related`](orm_schema::Related) field of the same name:
    /// `prefetch_related(&["tracks", "tracks__playlists__featured"])`.
    ///
    /// Each level costs one query per [`KEYS_PER_QUERY`] distinct keys of the level above,
    /// whatever the number of rows (a many-to-many level two: its through rows, then the
    /// rows they reference). Every row of a level gets its list, empty when it has no
    /// related row; a name is checked against the models' metadata first ([`NameError`],
    /// [`NameError::NotStored`] for a relation with no field to hold it).
    pub fn prefetch_related(
        self,
        names: &[&str],
    ) -> std::result::Result<RelatedByName<M, W, O>, NameError> {
        Ok(self.loading(RelatedPaths::parse_prefetch(M::meta(), names)?))
    }

    /// This QuerySet, loading `paths` with its rows.
    fn loading(self, paths: RelatedPaths) -> RelatedByName<M, W, O> {
        RelatedByName {
            qs: self,
            paths: Arc::new(paths),
        }
    }
}

/// The read of a [`RelatedByName`]: the rows of a query in a slice, with the foreign keys
/// `paths` names filled, on one connection.
pub struct LoadRelated<M, Q> {
    query: Q,
    slice: Slice,
    paths: Arc<RelatedPaths>,
    row: PhantomData<fn() -> M>,
}

// Debug shows the paths: the query may not be printable.
impl<M, Q> std::fmt::Debug for LoadRelated<M, Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadRelated")
            .field("paths", &self.paths)
            .finish_non_exhaustive()
    }
}

impl<M, Q: Clone> Clone for LoadRelated<M, Q> {
    fn clone(&self) -> Self {
        LoadRelated {
            query: self.query.clone(),
            slice: self.slice,
            paths: Arc::clone(&self.paths),
            row: PhantomData,
        }
    }
}

impl<M: Send, Q> Operation for LoadRelated<M, Q> {
    type Output = Vec<M>;
    const READ: bool = true;
}

impl<M: Send, Q: Clone> Retry for LoadRelated<M, Q> {
    fn retry(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl<M, Q, C> OperationOn<C> for LoadRelated<M, Q>
where
    M: SelectRelatedNames,
    Q: Ops<M, C> + Send,
    C: StatementConn + RelatedConn,
{
    async fn run(self, conn: &mut C) -> Result<Vec<M>> {
        let mut rows: Vec<M> = crate::run::rows(conn, self.query, self.slice).await?;
        self.paths.load_on(&mut rows, conn).await?;
        Ok(rows)
    }
}

/// What [`RelatedByName`]'s operations run on: an executor of its query's reads and of
/// [`LoadRelated`]: `&mut Connection` (blocking), `&Database` or `&mut PooledConnection`
/// (async; every query of a load on one pooled connection).
#[diagnostic::on_unimplemented(
    message = "a QuerySet cannot run on `{Self}`",
    label = "not an executor for this QuerySet",
    note = "pass `&mut Connection` (blocking), `&Database` or `&mut PooledConnection` (async)"
)]
pub trait LoadRelatedByName<'a, M: Send + 'a, Q>:
    Reads<'a, M, Q> + Run<'a, LoadRelated<M, Q>>
{
}

impl<'a, M: Send + 'a, Q, E> LoadRelatedByName<'a, M, Q> for E where
    E: Reads<'a, M, Q> + Run<'a, LoadRelated<M, Q>>
{
}

impl<M, W: Clone, O: Clone> RelatedByName<M, W, O> {
    /// [`LoadRelated`] of the rows of this QuerySet in `slice`.
    fn load(&self, slice: Slice) -> LoadRelated<M, (W, O)> {
        LoadRelated {
            query: self.qs.parts(),
            slice,
            paths: Arc::clone(&self.paths),
            row: PhantomData,
        }
    }
}

impl<M: Send + 'static, W: Clone, O: Clone> RelatedByName<M, W, O> {
    /// Every row, with the named foreign keys filled.
    pub fn all<'a, E: LoadRelatedByName<'a, M, (W, O)>>(&self, executor: E) -> E::Output<Vec<M>> {
        executor.run(self.load(self.qs.slice(None)))
    }

    /// The first row with the named foreign keys filled, or `None`.
    pub fn first<'a, E>(&self, executor: E) -> E::Output<Option<M>>
    where
        E: LoadRelatedByName<'a, M, (W, O)>,
    {
        let rows = executor.run(self.load(self.qs.slice(Some(1))));
        E::map(rows, crate::relations::first_of)
    }

    /// The number of rows (of the slice, if sliced): one `SELECT COUNT(*)`; no relation
    /// is loaded.
    pub fn count<'a, E: LoadRelatedByName<'a, M, (W, O)>>(&self, executor: E) -> E::Output<i64> {
        let in_slice = self.qs.in_slice();
        E::map(Reads::count(executor, self.qs.parts()), move |total| {
            Ok(in_slice(total))
        })
    }

    /// Whether the QuerySet (its slice, if sliced) holds any row; no relation is loaded.
    pub fn exists<'a, E: LoadRelatedByName<'a, M, (W, O)>>(&self, executor: E) -> E::Output<bool> {
        E::map(self.count(executor), |n| Ok(n > 0))
    }
}

impl<M: Model + Send + 'static, W: Clone, O: Clone> RelatedByName<M, W, O> {
    /// The one row with the named foreign keys filled: `Error::NoMatch` when there is
    /// none, `Error::MultipleMatches` when there are several. Fetches at most two rows.
    pub fn one<'a, E: LoadRelatedByName<'a, M, (W, O)>>(&self, executor: E) -> E::Output<M> {
        let rows = executor.run(self.load(self.qs.slice(Some(2))));
        E::map(rows, crate::run::only)
    }

    /// The one row matching `predicate` (added to the filters), with the named foreign
    /// keys filled: `Error::NoMatch` or `Error::MultipleMatches` otherwise.
    pub fn get<'a, E, P>(&self, executor: E, predicate: P) -> E::Output<M>
    where
        W: FilterDsl<P, Output: Clone>,
        E: LoadRelatedByName<'a, M, (dsl::Filter<W, P>, O)>,
    {
        RelatedByName {
            qs: self.qs.clone().filter(predicate),
            paths: Arc::clone(&self.paths),
        }
        .one(executor)
    }
}
