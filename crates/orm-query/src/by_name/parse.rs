//! From names to checked conditions: `"text__icontains"` to (field, lookup), and the
//! value to the field's type.

use orm_schema::{FieldKind, FieldMeta, Model};

use super::value::Value;
use super::{Condition, NameError};

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
    /// One of a comma-separated list.
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
}

const TEXT_LOOKUPS: &str = "exact, iexact, contains, icontains, startswith, istartswith, endswith, iendswith, in, gt, gte, lt, lte, isnull";
const OTHER_LOOKUPS: &str = "exact, in, gt, gte, lt, lte, isnull";
const JSON_LOOKUPS: &str = "isnull";

impl LookupKind {
    fn from_name(name: &str) -> Option<LookupKind> {
        Some(match name {
            "exact" => LookupKind::Exact,
            "iexact" => LookupKind::IExact,
            "contains" => LookupKind::Contains,
            "icontains" => LookupKind::IContains,
            "startswith" => LookupKind::StartsWith,
            "istartswith" => LookupKind::IStartsWith,
            "endswith" => LookupKind::EndsWith,
            "iendswith" => LookupKind::IEndsWith,
            "in" => LookupKind::In,
            "gt" => LookupKind::Gt,
            "gte" => LookupKind::Gte,
            "lt" => LookupKind::Lt,
            "lte" => LookupKind::Lte,
            "isnull" => LookupKind::IsNull,
            _ => return None,
        })
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
}

/// The field named `name` (`pk` is the primary key).
fn field<M: Model>(name: &str) -> Result<&'static FieldMeta, NameError> {
    let meta = M::meta();
    let found = if name == "pk" {
        Some(meta.primary_key())
    } else {
        meta.fields.iter().find(|f| f.name == name)
    };
    found.ok_or_else(|| NameError::UnknownField {
        model: meta.name,
        field: name.to_string(),
    })
}

/// Splits `path` into (field, lookup): `"text__icontains"`, or `"text"` for `exact`.
pub fn parse_lookup<M: Model>(path: &str) -> Result<(&'static FieldMeta, LookupKind), NameError> {
    let parts: Vec<&str> = path.split("__").collect();
    let (names, lookup) = match parts.as_slice() {
        [field] => (vec![*field], LookupKind::Exact),
        [fields @ .., last] => match LookupKind::from_name(last) {
            Some(kind) => (fields.to_vec(), kind),
            None => (parts.clone(), LookupKind::Exact),
        },
        [] => (vec![""], LookupKind::Exact),
    };
    let field = field::<M>(names[0])?;
    if names.len() > 1 {
        if field.foreign_key.is_some() {
            return Err(NameError::Relation {
                path: path.to_string(),
            });
        }
        // `text__bogus`: the second part is neither a lookup nor a relation.
        return Err(unknown_lookup(field, names[1]));
    }
    let allowed = match field.kind {
        FieldKind::Json => lookup == LookupKind::IsNull,
        kind if kind.is_textual() || matches!(kind, FieldKind::Enum { .. }) => true,
        _ => !lookup.is_like(),
    };
    if !allowed {
        let name = path.rsplit("__").next().unwrap_or(path);
        return Err(unknown_lookup(field, name));
    }
    Ok((field, lookup))
}

fn unknown_lookup(field: &'static FieldMeta, lookup: &str) -> NameError {
    let valid = match field.kind {
        FieldKind::Json => JSON_LOOKUPS,
        kind if kind.is_textual() || matches!(kind, FieldKind::Enum { .. }) => TEXT_LOOKUPS,
        _ => OTHER_LOOKUPS,
    };
    NameError::UnknownLookup {
        field: field.name,
        kind: field.kind.name(),
        lookup: lookup.to_string(),
        valid,
    }
}

/// `path` and `value` checked against `M` and converted to a condition.
pub(crate) fn condition<M: Model>(path: &str, value: &str) -> Result<Condition, NameError> {
    let (field, lookup) = parse_lookup::<M>(path)?;
    let value = match lookup {
        LookupKind::IsNull => Value::Bool(Value::parse_bool(field, value)?),
        LookupKind::In => Value::List(
            value
                .split(',')
                .map(|item| Value::parse(field, item.trim()))
                .collect::<Result<_, _>>()?,
        ),
        kind if kind.is_like() => Value::Text(like_pattern(kind, value)),
        _ => Value::parse(field, value)?,
    };
    Ok(Condition {
        field,
        lookup,
        value,
    })
}

/// The escaped LIKE pattern for a text lookup.
fn like_pattern(kind: LookupKind, value: &str) -> String {
    let v = crate::lookups::escape_like(value);
    match kind {
        LookupKind::Contains | LookupKind::IContains => format!("%{v}%"),
        LookupKind::StartsWith | LookupKind::IStartsWith => format!("{v}%"),
        LookupKind::EndsWith | LookupKind::IEndsWith => format!("%{v}"),
        _ => v,
    }
}

/// `"name"` (ascending) or `"-name"` (descending), checked against `M`.
pub fn parse_ordering<M: Model>(name: &str) -> Result<(&'static FieldMeta, bool), NameError> {
    let (descending, field_name) = match name.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    if field_name.contains("__") {
        return Err(NameError::Relation {
            path: name.to_string(),
        });
    }
    Ok((field::<M>(field_name)?, descending))
}
