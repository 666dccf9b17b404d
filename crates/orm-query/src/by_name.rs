//! Lookups, orderings and search given by name at run time (an HTTP query string), checked
//! against the model's metadata before they become part of a query.
//!
//! `filter_by("text__icontains", "milk")` resolves `text` to a field of the model (`pk`
//! names the primary key), `icontains` to a lookup, and converts `"milk"` to the field's
//! type. An unknown field, an unknown lookup or a value that does not convert is a
//! [`NameError`] naming it. What reaches SQL is the column's name from the model's static
//! metadata (quoted as an identifier) and the value as a bound parameter: never text from
//! the caller.

mod assign;
mod dialect;
mod input;
pub(crate) mod parse;
pub(crate) mod render;
mod subquery;
mod value;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use orm_schema::{FieldMeta, Model};

pub use assign::{Arith, AssignWhere, Assignments, UpdateValue};
pub use dialect::{DatePart, Dialect};
pub use input::{LookupValue, Null, F};
pub use orm_schema::NameError;
use parse::OrderKey;
pub use parse::{parse_lookup, parse_ordering, LookupKind, MAX_RELATIONS};
pub use subquery::{
    OnMariadb, OnMysql, OnPg, OnSqlite, PkOf, RenderSubquery, Subquery, SubqueryValue,
};
pub use value::Value;

/// One foreign key a by-name path follows (`album` in `album__name`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hop {
    /// The column of the table the path is at that the hop compares: the foreign key
    /// (forward, to one row) or the primary key (reverse, to many rows).
    pub(crate) column: &'static str,
    /// Whether that column is nullable.
    pub(crate) nullable: bool,
    /// The table the hop reaches.
    pub(crate) table: &'static str,
    /// The column of `table` matched against `column`: its primary key (forward) or its
    /// foreign key to the row before (reverse).
    pub(crate) selects: &'static str,
    /// Whether `selects` is nullable (a nullable reverse key).
    pub(crate) selects_nullable: bool,
    /// For a reverse hop, the model declaring the relation and the relation's name.
    pub(crate) many: Option<(&'static str, &'static str)>,
}

/// One checked condition: `column <lookup> value`, possibly negated; the column may be
/// on a table reached through foreign keys (`hops`).
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    /// The foreign keys followed to reach `field` (none for a field of the model itself).
    pub(crate) hops: Vec<Hop>,
    pub(crate) field: &'static FieldMeta,
    /// The part of the field compared (`created__year`), or the whole value.
    pub(crate) part: Option<DatePart>,
    pub(crate) lookup: LookupKind,
    pub(crate) value: Value,
}

/// A checked part of a WHERE clause.
#[derive(Debug, Clone)]
pub(crate) enum Clause {
    /// One condition.
    Is(Condition),
    /// NOT (one condition).
    Not(Condition),
    /// `search(term)`: the term in any text field, ignoring case.
    Search {
        fields: Vec<&'static FieldMeta>,
        /// The `%term%` pattern, bound as text.
        pattern: Value,
    },
    /// (all of the left clauses) OR (all of the right ones): `a | b`.
    Or(Arc<[Clause]>, Arc<[Clause]>),
    /// NOT (all of the clauses), keeping the rows where they are NULL: `!a`.
    Negated(Arc<[Clause]>),
}

/// Declares `$name<M>`: parts of a query checked against `M`'s metadata, held as a shared
/// list `$items` (cloning is cheap, whatever `M`) with the name of `M`'s table, and
/// `$name::on` to make one.
macro_rules! checked_parts {
    ($(#[$meta:meta])* $name:ident { $items:ident: [$item:ty] }) => {
        $(#[$meta])*
        pub struct $name<M> {
            pub(crate) table: &'static str,
            pub(crate) $items: Arc<[$item]>,
            _model: PhantomData<fn() -> M>,
        }

        impl<M> Clone for $name<M> {
            fn clone(&self) -> Self {
                Self::on(self.table, Arc::clone(&self.$items))
            }
        }

        impl<M> $name<M> {
            /// These parts of a query on `table`, `M`'s table.
            fn on(table: &'static str, $items: Arc<[$item]>) -> Self {
                $name {
                    table,
                    $items,
                    _model: PhantomData,
                }
            }
        }
    };
}

checked_parts! {
    /// A WHERE condition built from names at run time and checked against `M`'s metadata; a
    /// diesel boolean expression over `M`'s table. Cloning it is cheap.
    ByName { clauses: [Clause] }
}

impl<M> fmt::Debug for ByName<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByName")
            .field("table", &self.table)
            .field("clauses", &self.clauses)
            .finish()
    }
}

impl<M: Model> ByName<M> {
    pub(crate) fn new(clauses: Vec<Clause>) -> Self {
        Self::on(M::meta().table, clauses.into())
    }

    /// `path` = `value`, e.g. `("text__icontains", "milk")`, checked against `M`.
    pub fn lookup(path: &str, value: impl Into<LookupValue>) -> Result<Self, NameError> {
        Ok(Self::new(vec![Clause::Is(parse::condition::<M>(
            path,
            value.into(),
        )?)]))
    }

    /// NOT (`path` = `value`).
    pub fn exclude(path: &str, value: impl Into<LookupValue>) -> Result<Self, NameError> {
        Ok(Self::new(vec![Clause::Not(parse::condition::<M>(
            path,
            value.into(),
        )?)]))
    }

    /// The condition every row meets (Django's empty `Q()`): the start of an AND built in
    /// a loop, e.g. from a query string's filters, `cond = cond & ByName::lookup(..)?`.
    /// Alone it selects every row; `!ByName::all_rows()` selects none.
    pub fn all_rows() -> Self {
        Self::new(Vec::new())
    }

    /// `term` in any String, Text, Email or URL field of `M`, ignoring case (an empty term
    /// matches every row).
    pub fn search(term: &str) -> Self {
        let clauses = if term.is_empty() {
            Vec::new()
        } else {
            let fields = M::meta()
                .fields
                .iter()
                .filter(|f| f.kind.is_textual())
                .collect();
            let pattern = Value::Like(crate::lookups::LikePattern::new("%", term, "%"));
            vec![Clause::Search { fields, pattern }]
        };
        Self::new(clauses)
    }
}

/// `a & b`: the rows both select (the same as filtering by both).
impl<M> std::ops::BitAnd for ByName<M> {
    type Output = ByName<M>;

    fn bitand(self, other: ByName<M>) -> ByName<M> {
        let clauses: Vec<Clause> = self
            .clauses
            .iter()
            .chain(other.clauses.iter())
            .cloned()
            .collect();
        ByName::on(self.table, clauses.into())
    }
}

/// `a | b`: the rows either selects.
impl<M> std::ops::BitOr for ByName<M> {
    type Output = ByName<M>;

    fn bitor(self, other: ByName<M>) -> ByName<M> {
        ByName::on(
            self.table,
            Arc::new([Clause::Or(self.clauses, other.clauses)]),
        )
    }
}

/// `!a`: the rows `a` does not select, including those where its comparison is NULL (as
/// `exclude` keeps them).
impl<M> std::ops::Not for ByName<M> {
    type Output = ByName<M>;

    fn not(self) -> ByName<M> {
        ByName::on(self.table, Arc::new([Clause::Negated(self.clauses)]))
    }
}

checked_parts! {
    /// An ORDER BY given by names (`"name"`, `"-id"`), checked against `M`'s metadata.
    OrderByName { keys: [OrderKey] }
}

impl<M> fmt::Debug for OrderByName<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                let mut path: Vec<&str> = k.hops.iter().map(|h| h.column).collect();
                path.push(k.field.name);
                let sign = if k.descending { "-" } else { "" };
                format!("{sign}{}", path.join("__"))
            })
            .collect();
        f.debug_tuple("OrderByName").field(&keys).finish()
    }
}

impl<M> OrderByName<M> {
    /// The same keys with every direction turned round.
    pub(crate) fn reversed(&self) -> Self {
        let keys: Vec<OrderKey> = self
            .keys
            .iter()
            .map(|k| OrderKey {
                descending: !k.descending,
                ..k.clone()
            })
            .collect();
        OrderByName::on(self.table, keys.into())
    }
}

impl<M: Model> OrderByName<M> {
    /// Parses `names` (`"name"` ascending, `"-id"` descending, `"pk"` the primary key,
    /// `"album__name"` a field of the row a foreign key references).
    pub fn parse(names: &[&str]) -> Result<Self, NameError> {
        let keys = names
            .iter()
            .map(|n| parse::ordering_key(M::meta(), n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(OrderByName::on(M::meta().table, keys.into()))
    }
}
