//! [`QuerySet`]: an immutable query over one model, built like diesel's own DSL.

use std::marker::PhantomData;

use diesel::dsl;
use diesel::expression::Expression;
use diesel::query_builder::AsQuery;
use diesel::query_dsl::methods::{FilterDsl, GroupByDsl, HavingDsl};
use orm_schema::Model;

use crate::by_name::{ByName, LookupValue, NameError, OrderByName};
use crate::lookups::{Exclude, PredicateType};
use crate::run::Slice;

/// A query over model `M`: which rows (`W`, the diesel query with its WHERE clause), in
/// which order (`O`), and which slice of them (limit and offset).
///
/// Every builder method returns a new QuerySet; the original is untouched, so a QuerySet
/// can be kept, cloned and extended. The typed parts are diesel's own query types, so a
/// typed QuerySet renders the very SQL a hand-written diesel query would, and diesel's
/// statement cache keys it by type.
///
/// See the `orm` crate's documentation for a runnable example.
pub struct QuerySet<M, W, O = NoOrder> {
    pub(crate) query: W,
    pub(crate) order: O,
    pub(crate) limit: Option<i64>,
    pub(crate) offset: Option<i64>,
    pub(crate) _model: PhantomData<fn() -> M>,
}

/// The QuerySet of every row of `M`: what `M::objects()` returns.
pub type Objects<M> = QuerySet<M, <<M as Model>::Table as AsQuery>::Query>;

/// A QuerySet with a by-name condition added (what [`QuerySet::filter_by`] returns).
pub type FilteredByName<M, W, O> = QuerySet<M, dsl::Filter<W, ByName<M>>, O>;

/// No ORDER BY.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOrder;

/// ORDER BY the diesel ordering `O` (`col.desc()`, or a tuple of them).
#[derive(Debug, Clone, Copy)]
pub struct OrderBy<O>(pub(crate) O);

impl<M: Model> QuerySet<M, <M::Table as AsQuery>::Query> {
    /// Every row of `M`, in no particular order.
    pub fn new() -> Self {
        QuerySet {
            query: M::Table::default().as_query(),
            order: NoOrder,
            limit: None,
            offset: None,
            _model: PhantomData,
        }
    }
}

impl<M: Model> Default for QuerySet<M, <M::Table as AsQuery>::Query> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M, W: Clone, O: Clone> Clone for QuerySet<M, W, O> {
    fn clone(&self) -> Self {
        QuerySet {
            query: self.query.clone(),
            order: self.order.clone(),
            limit: self.limit,
            offset: self.offset,
            _model: PhantomData,
        }
    }
}

impl<M: Model, W, O> std::fmt::Debug for QuerySet<M, W, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuerySet")
            .field("model", &M::meta().name)
            .field("limit", &self.limit)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl<M, W, O> QuerySet<M, W, O> {
    /// This QuerySet with its WHERE query and ordering replaced by `f`'s.
    pub(crate) fn map<W2, O2>(self, f: impl FnOnce(W, O) -> (W2, O2)) -> QuerySet<M, W2, O2> {
        let (query, order) = f(self.query, self.order);
        QuerySet {
            query,
            order,
            limit: self.limit,
            offset: self.offset,
            _model: PhantomData,
        }
    }

    /// Keeps the rows for which `predicate` holds (ANDed with earlier filters).
    /// `predicate` is any diesel boolean expression over `M`'s columns, for example
    /// `notes::completed.eq(false)` or a lookup such as `notes::text.icontains("milk")`.
    pub fn filter<P>(self, predicate: P) -> QuerySet<M, dsl::Filter<W, P>, O>
    where
        W: FilterDsl<P>,
    {
        self.map(|query, order| (query.filter(predicate), order))
    }

    /// Drops the rows for which `predicate` holds: `WHERE NOT (predicate)`. A predicate
    /// that may be NULL (a comparison on a nullable column) renders
    /// `WHERE (predicate) IS NOT TRUE`, so the rows where it is NULL are kept, as Django's
    /// `exclude` keeps them.
    pub fn exclude<P>(self, predicate: P) -> QuerySet<M, dsl::Filter<W, Exclude<P>>, O>
    where
        P: Expression,
        P::SqlType: PredicateType,
        W: FilterDsl<Exclude<P>>,
    {
        self.map(|query, order| (query.filter(Exclude(predicate)), order))
    }

    /// Orders by `ordering` (a column, `col.desc()`, or a tuple of them), replacing any
    /// earlier ordering.
    pub fn order_by<E>(self, ordering: E) -> QuerySet<M, W, OrderBy<E>> {
        self.map(|query, _| (query, OrderBy(ordering)))
    }

    /// Groups the rows by `expression` (a column or a tuple of them): `GROUP BY`. A grouped
    /// QuerySet loads aggregates through [`select`](QuerySet::select), for example
    /// `.group_by(tracks::album).select((tracks::album, dsl::count_star()))`; rustc refuses
    /// a selection that is neither grouped nor aggregated, and `all` of whole models.
    pub fn group_by<E>(self, expression: E) -> QuerySet<M, dsl::GroupBy<W, E>, O>
    where
        E: Expression,
        W: GroupByDsl<E>,
    {
        self.map(|query, order| (query.group_by(expression), order))
    }

    /// Keeps the groups for which `predicate` holds: `HAVING`, on a grouped QuerySet
    /// (`.having(dsl::count_star().gt(1))`).
    pub fn having<P>(self, predicate: P) -> QuerySet<M, dsl::Having<W, P>, O>
    where
        W: HavingDsl<P>,
    {
        self.map(|query, order| (query.having(predicate), order))
    }

    /// At most `n` rows.
    pub fn limit(mut self, n: i64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips the first `n` rows.
    pub fn offset(mut self, n: i64) -> Self {
        self.offset = Some(n);
        self
    }
}

/// The filters by name: each adds a [`ByName`] condition to the QuerySet's filters.
impl<M: Model, W: FilterDsl<ByName<M>>, O> QuerySet<M, W, O> {
    /// Keeps the rows where the field named by `path` matches `value`, both given at run
    /// time: `filter_by("text__icontains", "milk")`, `filter_by("pk__in", vec![1, 2])` (or
    /// the query-string form `"1,2"`), `filter_by("due__isnull", true)`,
    /// `filter_by("due", Null)` (`IS NULL`, as Django's `due=None`). `path` is a field name
    /// (or `pk`) and an optional `__lookup` (default `exact`); `value` is anything that
    /// converts into a [`LookupValue`] (text, a number, a bool, `None`/`Null`, a list) and
    /// is converted to the field's type. A path may
    /// follow foreign keys: `filter_by("album__name__icontains", "blue")` keeps the tracks
    /// whose album's name contains "blue" (a semi-join subquery, so no row repeats).
    ///
    /// An unknown field, an unknown lookup or a value of the wrong type is a [`NameError`]
    /// naming it; nothing of `path` or `value` is ever spliced into SQL.
    pub fn filter_by(
        self,
        path: &str,
        value: impl Into<LookupValue>,
    ) -> Result<FilteredByName<M, W, O>, NameError> {
        ByName::lookup(path, value).map(|condition| self.filter(condition))
    }

    /// Drops the rows where the field named by `path` matches `value` (see
    /// [`QuerySet::filter_by`]). A row where the comparison is NULL (a NULL in the field)
    /// is kept, as Django's `exclude` keeps it.
    pub fn exclude_by(
        self,
        path: &str,
        value: impl Into<LookupValue>,
    ) -> Result<FilteredByName<M, W, O>, NameError> {
        Ok(self.filter(ByName::exclude(path, value)?))
    }

    /// Keeps the rows where `term` appears in any String, Text, Email or URL field,
    /// ignoring case. An empty term keeps every row.
    pub fn search(self, term: &str) -> FilteredByName<M, W, O> {
        self.filter(ByName::search(term))
    }
}

impl<M: Model, W, O> QuerySet<M, W, O> {
    /// Orders by field names given at run time: `"name"` ascending, `"-id"` descending,
    /// `"pk"` the primary key, `"-album__name"` a field of the row a foreign key
    /// references; replaces any earlier ordering.
    pub fn order_by_names(
        self,
        names: &[&str],
    ) -> Result<QuerySet<M, W, OrderBy<OrderByName<M>>>, NameError> {
        let ordering = OrderByName::parse(names)?;
        Ok(self.order_by(ordering))
    }
}

impl<M, W, E> QuerySet<M, W, OrderBy<E>> {
    /// Adds `ordering` after the current ordering (a second sort key).
    pub fn then_order_by<E2>(self, ordering: E2) -> QuerySet<M, W, OrderBy<(E, E2)>> {
        self.map(|query, OrderBy(first)| (query, OrderBy((first, ordering))))
    }
}

/// `M::objects()`: the QuerySet of every row of a model. In the prelude.
pub trait ObjectsExt: Model {
    /// Every row of this model, as a QuerySet to refine.
    fn objects() -> Objects<Self> {
        QuerySet::new()
    }
}

impl<M: Model> ObjectsExt for M {}

impl<M, W, O> QuerySet<M, W, O> {
    /// The diesel query holding the table and the WHERE clause, for the statements other
    /// crates build from a QuerySet (orm-persist's `update` and `delete`).
    #[doc(hidden)]
    pub fn where_query(&self) -> &W {
        &self.query
    }

    /// Whether a limit or an offset is set (a sliced QuerySet cannot be updated or
    /// deleted).
    #[doc(hidden)]
    pub fn is_sliced(&self) -> bool {
        self.limit.is_some() || self.offset.is_some()
    }
}

impl<M, W: Clone, O: Clone> QuerySet<M, W, O> {
    /// The (filter, ordering) pair the terminal operations run, cloned.
    pub(crate) fn parts(&self) -> (W, O) {
        (self.query.clone(), self.order.clone())
    }
}

/// How many of `total` matching rows a `limit` and `offset` keep: what `count` returns on
/// a sliced QuerySet, as Django counts a slice.
pub(crate) fn count_in_slice(total: i64, limit: Option<i64>, offset: Option<i64>) -> i64 {
    let after_offset = total.saturating_sub(offset.unwrap_or(0).max(0)).max(0);
    match limit {
        Some(limit) => after_offset.min(limit.max(0)),
        None => after_offset,
    }
}

impl<M, W, O> QuerySet<M, W, O> {
    /// Of `total` rows matching the filters, how many this QuerySet's slice holds (a
    /// function to map a count with, so blocking and async executors share it).
    pub(crate) fn in_slice(&self) -> impl FnOnce(i64) -> i64 + Send + 'static {
        let (limit, offset) = (self.limit, self.offset);
        move |total| count_in_slice(total, limit, offset)
    }

    /// The (filter, ordering) pair the terminal operations run.
    pub(crate) fn into_parts(self) -> (W, O) {
        (self.query, self.order)
    }

    /// The rows to fetch: the QuerySet's limit and offset, with at most `cap` rows.
    pub(crate) fn slice(&self, cap: Option<i64>) -> Slice {
        Slice::new(self.limit, self.offset, cap)
    }
}
