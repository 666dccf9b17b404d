//! Projections and aggregates by name (Django's `values`, `values_list`, `aggregate`,
//! `values(...).annotate(...)`): fields and aggregates named at run time, checked against
//! the model's metadata before any SQL, loaded as [`Record`]s that convert to
//! `serde_json::Value`.
//!
//! ```text
//! let rows: Vec<Record> = Track::objects().values(&["id", "album__name"])?.all(&mut conn)?;
//! let totals: Record = Track::objects()
//!     .aggregate(&[("n", Count("id")), ("positions", Sum("position"))])?
//!     .one(&mut conn)?;
//! let per_album: Vec<Record> = Track::objects()
//!     .values(&["album"])?
//!     .annotate(&[("n", Count("id"))])?
//!     .order_by(&["-n"])?
//!     .all(&mut conn)?;
//! ```
//!
//! The types are the same on every backend: a field reads as its kind; `Count` and
//! `CountDistinct` as an integer; `Sum` as an integer (integer fields), a decimal or a
//! float; `Avg` as a decimal (integer and decimal fields, as the typed `avg` does) or a
//! float (float fields); `Min` and `Max` as the field's kind.

mod row;
mod select;

use std::marker::PhantomData;
use std::sync::Arc;

use diesel::dsl;
use diesel::query_dsl::methods::{GroupByDsl, HavingDsl, SelectDsl};
use orm_schema::{FieldKind, FieldMeta, Model, NameError};

use crate::by_name::parse::{resolve, resolve_many, LookupKind};
use crate::by_name::Value;
use crate::by_name::{LookupValue, Subquery, SubqueryValue};
use crate::executor::Reads;
use crate::projection::Projection;
use crate::queryset::{NoOrder, OrderBy, QuerySet};
use crate::run::only_of;

pub use row::{Cell, RawRow, Read, ReadAll, Record};
use select::{Function, Item};
pub use select::{GroupNames, RecordHaving, RecordOrder, Selection};

/// An aggregate by name, of a field path (`Sum("price")`, `Count("album__name")`):
/// `aggregate(&[("n", Agg::Count("id"))])`. With `use orm::Agg::*` it reads as Django's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg<'a> {
    /// The rows where the field is not NULL.
    Count(&'a str),
    /// The distinct non-NULL values of the field.
    CountDistinct(&'a str),
    /// The sum (Integer, BigInteger, Float and Decimal fields).
    Sum(&'a str),
    /// The mean (Integer, BigInteger, Float and Decimal fields).
    Avg(&'a str),
    /// The smallest value (numbers, text, dates and times).
    Min(&'a str),
    /// The largest value (numbers, text, dates and times).
    Max(&'a str),
}

/// What the rows of a [`Records`] are: [`Record`]s ([`Dicts`]) or lists of values
/// ([`Lists`]).
pub trait RecordShape: Send + 'static {
    /// One row.
    type Row: Send + 'static;
    /// Builds a row from its names and values.
    fn build(names: &Arc<[String]>, cells: Vec<Cell>) -> Self::Row;
}

/// Rows as [`Record`]s (what `values` and `aggregate` load).
#[derive(Debug, Clone, Copy)]
pub struct Dicts;

/// Rows as lists of values (what `values_list` loads).
#[derive(Debug, Clone, Copy)]
pub struct Lists;

impl RecordShape for Dicts {
    type Row = Record;
    fn build(names: &Arc<[String]>, cells: Vec<Cell>) -> Record {
        Record::new(Arc::clone(names), cells)
    }
}

impl RecordShape for Lists {
    type Row = Vec<Cell>;
    fn build(_: &Arc<[String]>, cells: Vec<Cell>) -> Vec<Cell> {
        cells
    }
}

/// A QuerySet whose rows load as named values: what [`QuerySet::values`],
/// [`QuerySet::values_list`] and [`QuerySet::aggregate`] return. See the [module
/// documentation](self).
pub struct Records<M, W, O, K = Dicts> {
    qs: QuerySet<M, W, O>,
    selection: Selection,
    names: Arc<[String]>,
    _shape: PhantomData<fn() -> K>,
}

impl<M, W: Clone, O: Clone, K> Clone for Records<M, W, O, K> {
    fn clone(&self) -> Self {
        Records {
            qs: self.qs.clone(),
            selection: self.selection.clone(),
            names: Arc::clone(&self.names),
            _shape: PhantomData,
        }
    }
}

impl<M: Model, W, O, K> std::fmt::Debug for Records<M, W, O, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("queryset", &self.qs)
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// Each name once.
fn check_unique<'a>(names: impl Iterator<Item = &'a str>) -> Result<(), NameError> {
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if seen.contains(&name) {
            return Err(NameError::DuplicateName {
                name: name.to_string(),
            });
        }
        seen.push(name);
    }
    Ok(())
}

/// The field `path` names on `M` (through foreign keys and, for an aggregate, `many`,
/// reverse relations too), as a selected column, and the field.
fn field_item<M: Model>(path: &str, many: bool) -> Result<(Item, &'static FieldMeta), NameError> {
    let names: Vec<&str> = path.split("__").collect();
    let resolved = if many {
        resolve_many(M::meta(), &names, path)
    } else {
        resolve(M::meta(), &names, path)
    };
    let (hops, field) = resolved?;
    let item = Item {
        hops,
        column: field.column,
        function: None,
        read: Read::of(field.kind),
        field,
    };
    Ok((item, field))
}

const NUMBERS: &str = "SmallInteger, Integer, BigInteger, Float and Decimal fields";
const ORDERED: &str = "numbers, text, enums, dates and times";
const HAVING_LOOKUPS: &str = "exact, gt, gte, lt, lte, range, isnull";
const THROUGH_MANY: &str =
    "fields of the model and of rows its foreign keys reach; across a reverse relation, Count, Sum, Min and Max";

/// `aggregate` of `M`'s field path, checked against the field's kind.
fn aggregate_item<M: Model>(aggregate: Agg<'_>) -> Result<Item, NameError> {
    let (name, path) = match aggregate {
        Agg::Count(p) => ("Count", p),
        Agg::CountDistinct(p) => ("CountDistinct", p),
        Agg::Sum(p) => ("Sum", p),
        Agg::Avg(p) => ("Avg", p),
        Agg::Min(p) => ("Min", p),
        Agg::Max(p) => ("Max", p),
    };
    // `Count("tracks")`: a relation's rows are counted by their primary keys.
    let (mut item, field) = match field_item::<M>(path, true) {
        Err(NameError::InvalidRelation { .. }) if matches!(aggregate, Agg::Count(_)) => {
            field_item::<M>(&format!("{path}__pk"), true)?
        }
        resolved => resolved?,
    };
    let invalid = |valid| NameError::InvalidAggregate {
        aggregate: name,
        field: field.name,
        kind: field.kind.name(),
        valid,
    };
    let kind = field.kind;
    let integer = kind.is_integer();
    let float = kind == FieldKind::Float;
    let decimal = matches!(kind, FieldKind::Decimal { .. });
    // A Real's sum and average come back as REAL on PostgreSQL and DOUBLE on MySQL, so
    // they are not offered; its minimum and maximum are Reals everywhere.
    let ordered = kind.is_numeric()
        || kind.is_textual()
        || matches!(
            kind,
            FieldKind::Enum { .. }
                | FieldKind::Date
                | FieldKind::DateTime
                | FieldKind::DateTimeUtc
                | FieldKind::Time
        );
    // Through a reverse relation each row of `M` aggregates its own related rows in a
    // subquery, and the group combines those: a count or sum adds up, a min or max
    // takes the extreme; an average or a distinct count does not combine that way.
    if item.is_many() && matches!(aggregate, Agg::Avg(_) | Agg::CountDistinct(_)) {
        return Err(invalid(THROUGH_MANY));
    }
    let (function, read) = match aggregate {
        Agg::Count(_) => (Function::Count, Read::BigInt),
        Agg::CountDistinct(_) => (Function::CountDistinct, Read::BigInt),
        Agg::Sum(_) if integer => (Function::SumBigInt, Read::BigInt),
        Agg::Sum(_) if float || decimal => (Function::Sum, item.read),
        Agg::Avg(_) if integer || decimal => (Function::Avg, Read::Decimal),
        Agg::Avg(_) if float => (Function::Avg, Read::Float),
        Agg::Sum(_) | Agg::Avg(_) => return Err(invalid(NUMBERS)),
        Agg::Min(_) if ordered => (Function::Min, item.read),
        Agg::Max(_) if ordered => (Function::Max, item.read),
        Agg::Min(_) | Agg::Max(_) => return Err(invalid(ORDERED)),
    };
    item.function = Some(function);
    item.read = read;
    Ok(item)
}

impl<M: Model, W, O> QuerySet<M, W, O> {
    /// Each row's fields named by `names` (`"id"`, `"pk"`, `"album__name"` through a
    /// foreign key), loaded as [`Record`]s under those names: Django's `values`. Filters,
    /// ordering and slice apply. An unknown name is a [`NameError`] naming it, before any
    /// SQL runs. See [`crate::records`].
    pub fn values(self, names: &[&str]) -> Result<Records<M, W, O>, NameError> {
        check_unique(names.iter().copied())?;
        let items = names
            .iter()
            .map(|n| field_item::<M>(n, false).map(|(item, _)| item))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Records {
            qs: self,
            selection: Selection {
                table: M::meta().table,
                items: items.into(),
            },
            names: names.iter().map(|n| (*n).to_string()).collect(),
            _shape: PhantomData,
        })
    }

    /// [`values`](QuerySet::values), each row loaded as the list of its values (Django's
    /// `values_list`).
    pub fn values_list(self, names: &[&str]) -> Result<Records<M, W, O, Lists>, NameError> {
        let records = self.values(names)?;
        Ok(records.shape())
    }

    /// Aggregates over every row the filters keep, one [`Record`] under the names given:
    /// `aggregate(&[("n", Count("id")), ("total", Sum("price"))])` (Django's `aggregate`).
    /// Load it with `one`. The QuerySet's ordering does not apply. `Sum` or
    /// `Avg` of a field that is not a number, `Min` or `Max` of one that has no order, is
    /// [`NameError::InvalidAggregate`] naming it.
    pub fn aggregate(
        self,
        aggregates: &[(&str, Agg<'_>)],
    ) -> Result<Records<M, W, NoOrder>, NameError> {
        let qs = self.map(|query, _| (query, NoOrder));
        let empty = Records {
            qs,
            selection: Selection {
                table: M::meta().table,
                items: Arc::new([]),
            },
            names: Arc::new([]),
            _shape: PhantomData,
        };
        empty.with_aggregates(aggregates)
    }
}

impl<M: Model, W, O, K> Records<M, W, O, K> {
    /// The same query, loading rows of another shape.
    fn shape<K2>(self) -> Records<M, W, O, K2> {
        Records {
            qs: self.qs,
            selection: self.selection,
            names: self.names,
            _shape: PhantomData,
        }
    }

    /// The selection with `aggregates` added after the fields.
    fn with_aggregates(self, aggregates: &[(&str, Agg<'_>)]) -> Result<Self, NameError> {
        let names: Vec<String> = self
            .names
            .iter()
            .cloned()
            .chain(aggregates.iter().map(|(n, _)| (*n).to_string()))
            .collect();
        check_unique(names.iter().map(String::as_str))?;
        let mut items = self.selection.items.to_vec();
        for (_, aggregate) in aggregates {
            items.push(aggregate_item::<M>(*aggregate)?);
        }
        Ok(Records {
            qs: self.qs,
            selection: Selection {
                table: self.selection.table,
                items: items.into(),
            },
            names: names.into(),
            _shape: PhantomData,
        })
    }

    /// Aggregates per group of equal values of the fields `values` named (Django's
    /// `values(...).annotate(...)`): `GROUP BY` those fields, one record per group with the
    /// fields and the aggregates under their names. The QuerySet's ordering is dropped
    /// (order the groups with [`order_by`](Records::order_by)).
    pub fn annotate(
        self,
        aggregates: &[(&str, Agg<'_>)],
    ) -> Result<Records<M, dsl::GroupBy<W, GroupNames>, NoOrder, K>, NameError>
    where
        W: GroupByDsl<GroupNames>,
    {
        let records = self.with_aggregates(aggregates)?;
        let groups = GroupNames::of(&records.selection);
        Ok(Records {
            qs: records.qs.map(|query, _| (query.group_by(groups), NoOrder)),
            selection: records.selection,
            names: records.names,
            _shape: PhantomData,
        })
    }

    /// Keeps the groups whose records meet every condition (Django's `filter` after
    /// `annotate`, SQL's HAVING): `("n__gte", 2.into())` on an aggregate or a grouped
    /// field, with the lookups `exact`, `gt`, `gte`, `lt`, `lte`, `range` (a list of two
    /// values) and `isnull`. Values convert to the record's type (an integer for a count,
    /// a decimal for an average of integers) and are bound. A name the records do not have is [`NameError::UnknownField`]; another
    /// lookup [`NameError::UnknownLookup`]; a value that does not convert
    /// [`NameError::InvalidValue`].
    pub fn having(
        self,
        conditions: &[(&str, LookupValue)],
    ) -> Result<Records<M, dsl::Having<W, RecordHaving>, O, K>, NameError>
    where
        W: HavingDsl<RecordHaving>,
    {
        let conditions = conditions
            .iter()
            .map(|(path, value)| self.having_condition(path, value))
            .collect::<Result<Vec<_>, _>>()?;
        let having = RecordHaving {
            table: self.selection.table,
            conditions: conditions.into(),
        };
        Ok(Records {
            qs: self.qs.having(having),
            selection: self.selection,
            names: self.names,
            _shape: PhantomData,
        })
    }

    /// One `having` condition: the record named by `path` (less its lookup), the lookup,
    /// and `value` converted to the record's type.
    fn having_condition(
        &self,
        path: &str,
        value: &LookupValue,
    ) -> Result<(usize, Item, LookupKind, Value), NameError> {
        let split = path
            .rsplit_once("__")
            .and_then(|(name, lookup)| Some((name, LookupKind::from_name(lookup)?)))
            .filter(|(name, _)| self.names.iter().any(|n| n == name));
        let (name, lookup) = split.unwrap_or((path, LookupKind::Exact));
        let Some(i) = self.names.iter().position(|n| n == name) else {
            return Err(NameError::UnknownField {
                model: M::meta().name,
                field: name.to_string(),
            });
        };
        let item = self.selection.items[i].clone();
        let field = item.field;
        let invalid = |expected| NameError::InvalidValue {
            field: field.name,
            value: value.describe(),
            expected,
        };
        let compare = item.compare_kind();
        let convert = |v: &LookupValue| match v.as_text() {
            Some(text) => Value::parse_as(field, compare, &text),
            None => Err(invalid("a single value")),
        };
        let value = match lookup {
            LookupKind::Exact
            | LookupKind::Gt
            | LookupKind::Gte
            | LookupKind::Lt
            | LookupKind::Lte => convert(value)?,
            LookupKind::IsNull => {
                let text = value.as_text().ok_or_else(|| invalid("true or false"))?;
                Value::Bool(Value::parse_bool(field, &text)?)
            }
            LookupKind::Range => match value {
                LookupValue::List(ends) if ends.len() == 2 => {
                    Value::List(vec![convert(&ends[0])?, convert(&ends[1])?])
                }
                _ => return Err(invalid("a list of two values, [low, high]")),
            },
            _ => {
                return Err(NameError::UnknownLookup {
                    field: field.name,
                    kind: compare.name(),
                    lookup: path.rsplit("__").next().unwrap_or(path).to_string(),
                    valid: HAVING_LOOKUPS,
                })
            }
        };
        Ok((i, item, lookup, value))
    }

    /// At most `n` records.
    pub fn limit(mut self, n: i64) -> Self {
        self.qs = self.qs.limit(n);
        self
    }

    /// Skips the first `n` records.
    pub fn offset(mut self, n: i64) -> Self {
        self.qs = self.qs.offset(n);
        self
    }

    /// Orders the records by their names (`"-n"` descending, `"album"`), replacing any
    /// earlier ordering. A name the records do not have is [`NameError::UnknownField`].
    pub fn order_by(
        self,
        names: &[&str],
    ) -> Result<Records<M, W, OrderBy<RecordOrder>, K>, NameError> {
        let keys = names
            .iter()
            .map(|name| {
                let (descending, name) = match name.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, *name),
                };
                match self.names.iter().position(|n| n == name) {
                    Some(i) => Ok((i, descending)),
                    None => Err(NameError::UnknownField {
                        model: M::meta().name,
                        field: name.to_string(),
                    }),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let order = RecordOrder::new(&self.selection, keys);
        Ok(Records {
            qs: self.qs.order_by(order),
            selection: self.selection,
            names: self.names,
            _shape: PhantomData,
        })
    }
}

/// Records of one field as a by-name value: that field's values, for `in`
/// (`filter_by("id__in", Track::objects().filter_by("position__gte", 3)?.values(&["album"])?)`),
/// one statement with a subquery. Records of several fields, or of an aggregate, are
/// refused by the condition ([`NameError::InvalidValue`]); their ordering and slice do not
/// apply, as for a QuerySet.
impl<M, W, O, K> From<Records<M, W, O, K>> for LookupValue
where
    M: Model,
    W: SelectDsl<Selection>,
    dsl::Select<W, Selection>: Subquery,
{
    fn from(records: Records<M, W, O, K>) -> Self {
        let key = match records.selection.items.as_ref() {
            [item] if item.function.is_none() => Some(item.field),
            _ => None,
        };
        let (query, _) = records.qs.into_parts();
        LookupValue::Query(SubqueryValue {
            query: Arc::new(query.select(records.selection)),
            key,
            model: M::meta().name,
        })
    }
}

impl<M: Model, W: Clone, O: Clone, K: RecordShape> Records<M, W, O, K> {
    /// The query the executors run, and the rows to fetch with at most `cap` rows.
    fn parts(&self, cap: Option<i64>) -> (Projection<W, O, Selection>, crate::run::Slice) {
        self.qs.project(self.selection.clone(), cap)
    }

    /// Every row, in the order asked for (the limit and offset applied).
    pub fn all<'a, E>(&self, executor: E) -> E::Output<Vec<K::Row>>
    where
        E: Reads<'a, RawRow, Projection<W, O, Selection>>,
    {
        let (query, slice) = self.parts(None);
        let names = Arc::clone(&self.names);
        E::map(executor.rows(query, slice), move |rows| {
            Ok(rows.into_iter().map(|r| K::build(&names, r.0)).collect())
        })
    }

    /// The first row, or `None`.
    pub fn first<'a, E>(&self, executor: E) -> E::Output<Option<K::Row>>
    where
        E: Reads<'a, RawRow, Projection<W, O, Selection>>,
    {
        let (query, slice) = self.parts(Some(1));
        let names = Arc::clone(&self.names);
        E::map(executor.rows(query, slice), move |rows| {
            Ok(rows.into_iter().next().map(|r| K::build(&names, r.0)))
        })
    }

    /// The one row (what `aggregate` loads): `Error::NoMatch` when there is none,
    /// `Error::MultipleMatches` when there are several.
    pub fn one<'a, E>(&self, executor: E) -> E::Output<K::Row>
    where
        E: Reads<'a, RawRow, Projection<W, O, Selection>>,
    {
        let (query, slice) = self.parts(Some(2));
        let names = Arc::clone(&self.names);
        E::map(executor.rows(query, slice), move |rows| {
            let row = only_of(rows, M::meta().name)?;
            Ok(K::build(&names, row.0))
        })
    }

    /// The SQL `all` runs on backend `DB`, with its bound values (see
    /// [`QuerySet::to_sql`]).
    pub fn to_sql<DB: diesel::backend::Backend>(&self) -> String
    where
        Projection<W, O, Selection>: crate::show_sql::ShowSelection<DB>,
    {
        let (query, slice) = self.parts(None);
        crate::show_sql::ShowSelection::<DB>::show(query, slice)
    }
}
