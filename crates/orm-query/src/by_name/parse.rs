//! From names to checked conditions: `"text__icontains"` to (field, lookup), and the
//! value to the field's type.

use orm_schema::{FieldKind, FieldMeta, Model, ModelMeta};

use super::dialect::DatePart;
use super::input::LookupValue;
use super::value::Value;
use super::{Condition, Hop, NameError};

/// A lookup, as Django names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupKind {
    /// `=`.
    Exact,
    /// Equal ignoring case (text).
    IExact,
    /// Contains, case-sensitive (text).
    Contains,
    /// Contains, ignoring case (text).
    IContains,
    /// Starts with, case-sensitive (text).
    StartsWith,
    /// Starts with, ignoring case (text).
    IStartsWith,
    /// Ends with, case-sensitive (text).
    EndsWith,
    /// Ends with, ignoring case (text).
    IEndsWith,
    /// One of a list (a list value, or comma-separated text).
    In,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
    /// `IS NULL` (value `true`) or `IS NOT NULL` (value `false`).
    IsNull,
    /// `BETWEEN low AND high`, both ends included (Django's `range`).
    Range,
    /// Matches a regular expression, case-sensitive (text).
    Regex,
    /// Matches a regular expression, ignoring case (text).
    IRegex,
}

const TEXT_LOOKUPS: &str = "exact, iexact, contains, icontains, startswith, istartswith, endswith, iendswith, regex, iregex, in, range, gt, gte, lt, lte, isnull";
const OTHER_LOOKUPS: &str = "exact, in, range, gt, gte, lt, lte, isnull";
const DATE_LOOKUPS: &str =
    "exact, in, range, gt, gte, lt, lte, isnull; parts: year, month, day, week_day";
const DATETIME_LOOKUPS: &str =
    "exact, in, range, gt, gte, lt, lte, isnull; parts: year, month, day, week_day, hour, date";
const TIME_LOOKUPS: &str = "exact, in, range, gt, gte, lt, lte, isnull; parts: hour";
/// A UTC instant: no date parts (which would depend on a session's time zone).
const INSTANT_LOOKUPS: &str = "exact, in, range, gt, gte, lt, lte, isnull";
/// The lookups that may follow a date part (`created__year__gte`).
const PART_LOOKUPS: &str = "exact, in, range, gt, gte, lt, lte";
const JSON_LOOKUPS: &str = "isnull";

impl LookupKind {
    /// Every lookup under its name, in the order error messages list them.
    const BY_NAME: [(&'static str, LookupKind); 17] = [
        ("exact", LookupKind::Exact),
        ("iexact", LookupKind::IExact),
        ("contains", LookupKind::Contains),
        ("icontains", LookupKind::IContains),
        ("startswith", LookupKind::StartsWith),
        ("istartswith", LookupKind::IStartsWith),
        ("endswith", LookupKind::EndsWith),
        ("iendswith", LookupKind::IEndsWith),
        ("regex", LookupKind::Regex),
        ("iregex", LookupKind::IRegex),
        ("in", LookupKind::In),
        ("range", LookupKind::Range),
        ("gt", LookupKind::Gt),
        ("gte", LookupKind::Gte),
        ("lt", LookupKind::Lt),
        ("lte", LookupKind::Lte),
        ("isnull", LookupKind::IsNull),
    ];

    /// The lookup named `name` (`"icontains"`), whatever field it is for; whether it fits
    /// a field's kind is checked when a condition is parsed.
    ///
    /// ```
    /// use orm_query::by_name::LookupKind;
    /// assert_eq!(LookupKind::from_name("gte"), Some(LookupKind::Gte));
    /// assert_eq!(LookupKind::from_name("bogus"), None);
    /// assert!(LookupKind::names().all(|n| LookupKind::from_name(n).is_some()));
    /// ```
    pub fn from_name(name: &str) -> Option<LookupKind> {
        Self::BY_NAME
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, kind)| *kind)
    }

    /// The name of every lookup, as [`from_name`](Self::from_name) takes them.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Self::BY_NAME.iter().map(|(name, _)| *name)
    }

    /// Whether this is one of the LIKE lookups (text fields only).
    pub fn is_like(self) -> bool {
        matches!(
            self,
            LookupKind::IExact
                | LookupKind::Contains
                | LookupKind::IContains
                | LookupKind::StartsWith
                | LookupKind::IStartsWith
                | LookupKind::EndsWith
                | LookupKind::IEndsWith
        )
    }

    /// Whether this lookup applies to text fields only (the LIKE lookups, `regex`,
    /// `iregex`).
    fn is_textual(self) -> bool {
        self.is_like() || matches!(self, LookupKind::Regex | LookupKind::IRegex)
    }

    /// Whether this lookup may follow a date part.
    fn follows_part(self) -> bool {
        matches!(
            self,
            LookupKind::Exact
                | LookupKind::In
                | LookupKind::Range
                | LookupKind::Gt
                | LookupKind::Gte
                | LookupKind::Lt
                | LookupKind::Lte
        )
    }
}

/// The most foreign keys one by-name path may follow (`a__b__c__d__field` follows four):
/// each one is a nested subquery.
pub const MAX_RELATIONS: usize = 8;

/// [`NameError::PathTooLong`] for `path` when it follows more than [`MAX_RELATIONS`]
/// relations (`relations` of them).
pub(crate) fn check_path_length(relations: usize, path: &str) -> Result<(), NameError> {
    if relations > MAX_RELATIONS {
        return Err(NameError::PathTooLong {
            path: path.to_string(),
            max: MAX_RELATIONS,
        });
    }
    Ok(())
}

/// The field of `meta` named `name` (`pk` is the primary key).
pub(crate) fn field(meta: &'static ModelMeta, name: &str) -> Result<&'static FieldMeta, NameError> {
    let found = if name == "pk" {
        meta.primary_key()
    } else {
        meta.fields.iter().find(|f| f.name == name)
    };
    found.ok_or_else(|| NameError::UnknownField {
        model: meta.name,
        field: name.to_string(),
    })
}

/// Follows `names` from `meta`: every name but the last must be a foreign key (each one a
/// [`Hop`]); the last names the field itself, on the model the path ends at. A reverse
/// relation, which reaches many rows, is [`NameError::ManyValued`] here: only conditions
/// follow one ([`resolve_many`]).
pub(crate) fn resolve(
    meta: &'static ModelMeta,
    names: &[&str],
    path: &str,
) -> Result<(Vec<Hop>, &'static FieldMeta), NameError> {
    let (hops, field) = resolve_many(meta, names, path)?;
    if let Some((model, relation)) = hops.iter().find_map(|h| h.many) {
        return Err(NameError::ManyValued {
            model,
            relation,
            path: path.to_string(),
        });
    }
    Ok((hops, field))
}

/// [`resolve`], where a name may also be a reverse relation the model declares
/// (`#[orm(related(tracks = Track))]`): a hop from the primary key to the rows whose
/// foreign key holds it.
pub(crate) fn resolve_many(
    meta: &'static ModelMeta,
    names: &[&str],
    path: &str,
) -> Result<(Vec<Hop>, &'static FieldMeta), NameError> {
    let Some((last, relations)) = names.split_last() else {
        return Err(NameError::UnknownField {
            model: meta.name,
            field: String::new(),
        });
    };
    check_path_length(relations.len(), path)?;
    let mut meta = meta;
    let mut hops = Vec::with_capacity(relations.len());
    for (i, name) in relations.iter().enumerate() {
        let (hop, next) = match field(meta, name) {
            Ok(f) => match forward_hop(f)? {
                Some(forward) => forward,
                // `text__bogus`: the next part is neither a lookup nor a relation.
                None => return Err(unknown_lookup(f, names[i + 1])),
            },
            Err(unknown) => {
                let related = meta.related.iter().find(|r| r.name == *name);
                let Some(related) = related else {
                    return Err(unknown);
                };
                let (model, key) = related.resolve(meta)?;
                let hop = Hop {
                    column: field(meta, "pk")?.column,
                    nullable: false,
                    table: model.table,
                    selects: key.column,
                    selects_nullable: key.nullable,
                    many: Some((meta.name, related.name)),
                };
                match related.then {
                    // Many-to-many: on from the through model along its other key.
                    Some(then) => {
                        let (onward, target) = through_hop(meta, related, model, then)?;
                        hops.push(hop);
                        (onward, target)
                    }
                    None => (hop, model),
                }
            }
        };
        hops.push(hop);
        meta = next;
    }
    check_path_length(hops.len(), path)?;
    match field(meta, last) {
        Ok(field) => Ok((hops, field)),
        Err(unknown) => match meta.related.iter().find(|r| r.name == *last) {
            // `tracks` alone: a relation holds rows, not a value to compare.
            Some(related) => {
                let rows = related.target(meta).unwrap_or_else(|_| (related.model)());
                Err(NameError::InvalidRelation {
                    model: meta.name,
                    relation: related.name,
                    reason: format!(
                        "a relation is not a value; name a field of `{}`, e.g. `{last}__pk`",
                        rows.name
                    ),
                })
            }
            None => Err(unknown),
        },
    }
}

/// The hop from a many-to-many relation's through model along its foreign key `then`
/// to the related model.
fn through_hop(
    owner: &'static ModelMeta,
    related: &orm_schema::RelatedMeta,
    through: &'static ModelMeta,
    then: &str,
) -> Result<(Hop, &'static ModelMeta), NameError> {
    let invalid = |reason: String| NameError::InvalidRelation {
        model: owner.name,
        relation: related.name,
        reason,
    };
    let key = through
        .fields
        .iter()
        .find(|f| f.name == then)
        .ok_or_else(|| invalid(format!("`{}` has no field `{then}`", through.name)))?;
    forward_hop(key)?
        .ok_or_else(|| invalid(format!("`{}.{then}` is not a foreign key", through.name)))
}

/// The hop along the foreign key `key` to the row it references, and that row's model;
/// `None` when `key` is not a foreign key.
fn forward_hop(key: &'static FieldMeta) -> Result<Option<(Hop, &'static ModelMeta)>, NameError> {
    let Some(fk) = &key.foreign_key else {
        return Ok(None);
    };
    let target = (fk.target)();
    let hop = Hop {
        column: key.column,
        nullable: key.nullable,
        table: target.table,
        selects: field(target, "pk")?.column,
        selects_nullable: false,
        many: None,
    };
    Ok(Some((hop, target)))
}

/// Splits `path` into (field, lookup): `"text__icontains"`, or `"text"` for `exact`;
/// `"album__name__icontains"` follows the foreign key `album` and returns `Album`'s field
/// `name`.
pub fn parse_lookup<M: Model>(path: &str) -> Result<(&'static FieldMeta, LookupKind), NameError> {
    let resolved = resolve_lookup(M::meta(), path)?;
    Ok((resolved.field, resolved.lookup))
}

/// A checked lookup path: the foreign keys it follows, its field, the part of the field
/// it compares (`created__year`), and the lookup.
struct Resolved {
    hops: Vec<Hop>,
    field: &'static FieldMeta,
    part: Option<DatePart>,
    lookup: LookupKind,
}

/// [`parse_lookup`], with the foreign keys the path follows and a date part.
fn resolve_lookup(meta: &'static ModelMeta, path: &str) -> Result<Resolved, NameError> {
    let parts: Vec<&str> = path.split("__").collect();
    let (names, lookup) = match parts.split_last() {
        Some((last, fields)) if !fields.is_empty() => match LookupKind::from_name(last) {
            Some(kind) => (fields, kind),
            None => (parts.as_slice(), LookupKind::Exact),
        },
        _ => (parts.as_slice(), LookupKind::Exact),
    };
    // `created__year__gte`: a part of a date or time field (not `album__year`, a field of
    // the row a foreign key references).
    if let Some((last, fields)) = names.split_last() {
        if let (Some(part), false) = (DatePart::from_name(last), fields.is_empty()) {
            let (hops, field) = resolve_many(meta, fields, path)?;
            if field.foreign_key.is_none() {
                if !part.applies_to(field.kind) {
                    return Err(unknown_lookup(field, last));
                }
                if !lookup.follows_part() {
                    return Err(NameError::UnknownLookup {
                        field: field.name,
                        kind: field.kind.name(),
                        lookup: format!("{last}__{}", parts[parts.len() - 1]),
                        valid: PART_LOOKUPS,
                    });
                }
                return Ok(Resolved {
                    hops,
                    field,
                    part: Some(part),
                    lookup,
                });
            }
        }
    }
    let (hops, field) = resolve_many(meta, names, path)?;
    let allowed = match field.kind {
        FieldKind::Json => lookup == LookupKind::IsNull,
        kind if kind.is_textual() || matches!(kind, FieldKind::Enum { .. }) => true,
        _ => !lookup.is_textual(),
    };
    if !allowed {
        let name = path.rsplit("__").next().unwrap_or(path);
        return Err(unknown_lookup(field, name));
    }
    Ok(Resolved {
        hops,
        field,
        part: None,
        lookup,
    })
}

fn unknown_lookup(field: &'static FieldMeta, lookup: &str) -> NameError {
    let valid = match field.kind {
        FieldKind::Json => JSON_LOOKUPS,
        kind if kind.is_textual() || matches!(kind, FieldKind::Enum { .. }) => TEXT_LOOKUPS,
        FieldKind::Date => DATE_LOOKUPS,
        FieldKind::DateTime => DATETIME_LOOKUPS,
        FieldKind::Time => TIME_LOOKUPS,
        FieldKind::DateTimeUtc => INSTANT_LOOKUPS,
        _ => OTHER_LOOKUPS,
    };
    NameError::UnknownLookup {
        field: field.name,
        kind: field.kind.name(),
        lookup: lookup.to_string(),
        valid,
    }
}

/// What `regex` and `iregex` take.
const REGEX_VALUE: &str = "a regular expression (the syntax of Rust's regex crate, which \
                           PostgreSQL, MariaDB/MySQL and SQLite share)";

/// What `range` takes.
const RANGE_VALUE: &str = "two values, low and high (both included)";

/// `path` and `value` checked against `M` and converted to a condition. NULL with
/// `exact` becomes `IS NULL` (where `= NULL` would match no row, as in Django); a list
/// goes only to `in`.
pub(crate) fn condition<M: Model>(path: &str, value: LookupValue) -> Result<Condition, NameError> {
    let Resolved {
        hops,
        field,
        part,
        mut lookup,
    } = resolve_lookup(M::meta(), path)?;
    // A part's values are integers (or dates), whatever the field's own kind.
    let value_kind = part.map_or(field.kind, DatePart::value_kind);
    let parse = |text: &str| Value::parse_as(field, value_kind, text);
    let invalid = |expected: &'static str| NameError::InvalidValue {
        field: field.name,
        value: value.describe(),
        expected,
    };
    let value = match (lookup, &value) {
        (LookupKind::Exact, LookupValue::Null) if part.is_none() => {
            lookup = LookupKind::IsNull;
            Value::Bool(true)
        }
        (_, LookupValue::Null) => {
            return Err(invalid(
                "a value (NULL is only for exact and isnull, on the field itself)",
            ));
        }
        (LookupKind::IsNull, LookupValue::Bool(b)) => Value::Bool(*b),
        (LookupKind::IsNull, LookupValue::Text(text)) => {
            Value::Bool(Value::parse_bool(field, text)?)
        }
        (LookupKind::IsNull, _) => return Err(invalid("true or false")),
        (LookupKind::In, LookupValue::Query(sub)) => {
            let same_kind = sub.key.is_some_and(|k| comparable(field.kind, k.kind));
            if part.is_some() || !same_kind {
                return Err(invalid(
                    "a QuerySet (its primary keys) or the values of one field, of the field's kind (the field itself)",
                ));
            }
            Value::Subquery(sub.clone())
        }
        (_, LookupValue::Query(_)) => {
            return Err(invalid("a value (a QuerySet is only for in)"));
        }
        (LookupKind::In, LookupValue::List(items)) => Value::List(
            items
                .iter()
                .map(|item| match item.as_text() {
                    Some(text) => parse(&text),
                    None => Err(NameError::InvalidValue {
                        field: field.name,
                        value: item.describe(),
                        expected: "a list of single values (no NULL, no nested list)",
                    }),
                })
                .collect::<Result<_, _>>()?,
        ),
        // The query-string forms: `pk__in=1,2,3`, `id__range=3,7`.
        (LookupKind::In | LookupKind::Range, LookupValue::Text(text)) => Value::List(
            text.split(',')
                .map(|item| parse(item.trim()))
                .collect::<Result<_, _>>()?,
        ),
        (LookupKind::Range, LookupValue::List(items)) => Value::List(
            items
                .iter()
                .map(|item| match item.as_text() {
                    Some(text) => parse(&text),
                    None => Err(invalid(RANGE_VALUE)),
                })
                .collect::<Result<_, _>>()?,
        ),
        (_, LookupValue::List(_)) => {
            return Err(invalid("a single value (a list is only for in and range)"));
        }
        (
            LookupKind::Exact | LookupKind::Gt | LookupKind::Gte | LookupKind::Lt | LookupKind::Lte,
            LookupValue::Field(name),
        ) => {
            let other = self::field(M::meta(), name)?;
            if !hops.is_empty() || part.is_some() || !comparable(field.kind, other.kind) {
                return Err(invalid(
                    "F(field) of the model itself, of the same kind as the compared field",
                ));
            }
            Value::Column(other.column)
        }
        (_, LookupValue::Field(_)) => {
            return Err(invalid(
                "a value (F(field) is only for exact, gt, gte, lt and lte)",
            ));
        }
        (kind, single) => {
            // Numbers and booleans convert through their text form, so every kind of
            // input meets the same checks and errors.
            let text = single.as_text().unwrap_or_default();
            if kind.is_like() {
                Value::Like(like_pattern(kind, &text))
            } else if matches!(kind, LookupKind::Regex | LookupKind::IRegex) {
                // Checked here, so a pattern no backend would take never reaches SQL.
                if regex::Regex::new(&text).is_err() {
                    return Err(invalid(REGEX_VALUE));
                }
                Value::Text(text)
            } else {
                parse(&text)?
            }
        }
    };
    if lookup == LookupKind::Range && !matches!(&value, Value::List(ends) if ends.len() == 2) {
        return Err(invalid(RANGE_VALUE));
    }
    Ok(Condition {
        hops,
        field,
        part,
        lookup,
        value,
    })
}

/// Whether fields of kinds `a` and `b` compare column to column: the same kind, both
/// numbers, or both text.
fn comparable(a: FieldKind, b: FieldKind) -> bool {
    a == b || (a.is_numeric() && b.is_numeric()) || (a.is_textual() && b.is_textual())
}

/// The LIKE pattern for a text lookup.
fn like_pattern(kind: LookupKind, value: &str) -> crate::lookups::LikePattern {
    use crate::lookups::LikePattern;
    match kind {
        LookupKind::Contains | LookupKind::IContains => LikePattern::new("%", value, "%"),
        LookupKind::StartsWith | LookupKind::IStartsWith => LikePattern::new("", value, "%"),
        LookupKind::EndsWith | LookupKind::IEndsWith => LikePattern::new("%", value, ""),
        _ => LikePattern::new("", value, ""),
    }
}

/// `"name"` (ascending) or `"-name"` (descending), checked against `M`; `"-album__name"`
/// orders by a field of the row a foreign key references.
pub fn parse_ordering<M: Model>(name: &str) -> Result<(&'static FieldMeta, bool), NameError> {
    let key = ordering_key(M::meta(), name)?;
    Ok((key.field, key.descending))
}

/// [`parse_ordering`], with the foreign keys the name follows.
pub(crate) fn ordering_key(meta: &'static ModelMeta, name: &str) -> Result<OrderKey, NameError> {
    let (descending, path) = match name.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    let names: Vec<&str> = path.split("__").collect();
    let (hops, field) = resolve(meta, &names, name)?;
    Ok(OrderKey {
        hops,
        field,
        descending,
    })
}

/// One key of a by-name ordering.
#[derive(Debug, Clone)]
pub(crate) struct OrderKey {
    /// The foreign keys followed to reach `field` (none for a field of the model itself).
    pub(crate) hops: Vec<Hop>,
    /// The field ordered by.
    pub(crate) field: &'static FieldMeta,
    /// `DESC`.
    pub(crate) descending: bool,
}
