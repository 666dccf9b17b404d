//! [`LookupValue`]: what a by-name lookup is given, before it is converted to its field's
//! type: text (as from a query string), a number, a boolean, NULL, or a list for `in`.

use super::subquery::SubqueryValue;

/// The value of a by-name lookup, as the caller has it. Anything that converts into it
/// can be passed to `filter_by` / `exclude_by`: `&str` and `String` (text, converted to the
/// field's type as a query-string value is), integers, `f64`, `f32`, `bool`,
/// `chrono::DateTime<Utc>` and `orm::DateTimeUtc` (RFC 3339 text), `Option<T>` (`None`
/// is NULL: `filter_by("due", None::<&str>)` or `filter_by("due", Null)` keeps the rows
/// where `due IS NULL`), and `Vec<T>`, slices and arrays (a list, for `in`).
///
/// ```
/// use orm_query::by_name::{LookupValue, Null};
///
/// assert_eq!(LookupValue::from("milk"), LookupValue::Text("milk".into()));
/// assert_eq!(LookupValue::from(Null), LookupValue::Null);
/// assert_eq!(LookupValue::from(None::<i64>), LookupValue::Null);
/// assert_eq!(
///     LookupValue::from(vec![1, 2]),
///     LookupValue::List(vec![LookupValue::Int(1), LookupValue::Int(2)])
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LookupValue {
    /// Text, converted to the field's type (a date from `2024-05-01`, an integer from
    /// `42`); for `in`, a comma-separated list.
    Text(String),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// NULL: with `exact` (or no lookup), the rows where the field IS NULL.
    Null,
    /// A list, for `in`.
    List(Vec<LookupValue>),
    /// Another field of the same model, compared column to column ([`F`]).
    Field(String),
    /// The primary keys of another QuerySet's rows, for `in` (a subquery; converted from
    /// a `QuerySet`).
    Query(SubqueryValue),
}

/// Another field of the same model as a by-name lookup's value (Django's `F`):
/// `filter_by("stock__lt", F("reorder_level"))` keeps the rows whose `stock` is below their
/// own `reorder_level`. With `exact`, `gt`, `gte`, `lt` and `lte`, on a field of the model
/// itself, of the same kind (or both numeric).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct F<'a>(pub &'a str);

impl From<F<'_>> for LookupValue {
    fn from(field: F<'_>) -> Self {
        LookupValue::Field(field.0.to_string())
    }
}

/// NULL as a by-name lookup's value: `filter_by("due", Null)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Null;

impl LookupValue {
    /// The value as the text form a query string would carry, for converting to the
    /// field's type (`None` for NULL and lists).
    pub(crate) fn as_text(&self) -> Option<String> {
        match self {
            LookupValue::Text(s) => Some(s.clone()),
            LookupValue::Int(i) => Some(i.to_string()),
            LookupValue::Float(x) => Some(x.to_string()),
            LookupValue::Bool(b) => Some(b.to_string()),
            LookupValue::Null
            | LookupValue::List(_)
            | LookupValue::Field(_)
            | LookupValue::Query(_) => None,
        }
    }

    /// How the value is shown in an error.
    pub(crate) fn describe(&self) -> String {
        match self {
            LookupValue::Null => "NULL".to_string(),
            LookupValue::Field(name) => format!("F({name})"),
            LookupValue::Query(sub) => format!("{sub:?}"),
            LookupValue::List(items) => {
                let items: Vec<String> = items.iter().map(LookupValue::describe).collect();
                format!("[{}]", items.join(", "))
            }
            other => other.as_text().unwrap_or_default(),
        }
    }
}

impl From<&str> for LookupValue {
    fn from(value: &str) -> Self {
        LookupValue::Text(value.to_string())
    }
}

impl From<&&str> for LookupValue {
    fn from(value: &&str) -> Self {
        LookupValue::Text((*value).to_string())
    }
}

impl From<String> for LookupValue {
    fn from(value: String) -> Self {
        LookupValue::Text(value)
    }
}

impl From<&String> for LookupValue {
    fn from(value: &String) -> Self {
        LookupValue::Text(value.clone())
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for LookupValue {
            fn from(value: $t) -> Self {
                LookupValue::Int(i64::from(value))
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<f64> for LookupValue {
    fn from(value: f64) -> Self {
        LookupValue::Float(value)
    }
}

/// An `f32` is its exact value as an `f64` (a `Real` field reads it back unchanged).
impl From<f32> for LookupValue {
    fn from(value: f32) -> Self {
        LookupValue::Float(f64::from(value))
    }
}

/// An instant as RFC 3339 text (`2026-12-06T04:05:06.000789Z`).
impl From<chrono::DateTime<chrono::Utc>> for LookupValue {
    fn from(value: chrono::DateTime<chrono::Utc>) -> Self {
        LookupValue::Text(value.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

/// An instant as RFC 3339 text, as for `chrono::DateTime<Utc>`.
impl From<orm_schema::DateTimeUtc> for LookupValue {
    fn from(value: orm_schema::DateTimeUtc) -> Self {
        LookupValue::from(value.0)
    }
}

impl From<bool> for LookupValue {
    fn from(value: bool) -> Self {
        LookupValue::Bool(value)
    }
}

impl From<Null> for LookupValue {
    fn from(_: Null) -> Self {
        LookupValue::Null
    }
}

impl<T: Into<LookupValue>> From<Option<T>> for LookupValue {
    fn from(value: Option<T>) -> Self {
        value.map_or(LookupValue::Null, Into::into)
    }
}

impl<T: Into<LookupValue>> From<Vec<T>> for LookupValue {
    fn from(values: Vec<T>) -> Self {
        LookupValue::List(values.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<LookupValue> + Clone> From<&[T]> for LookupValue {
    fn from(values: &[T]) -> Self {
        LookupValue::List(values.iter().cloned().map(Into::into).collect())
    }
}

impl<T: Into<LookupValue>, const N: usize> From<[T; N]> for LookupValue {
    fn from(values: [T; N]) -> Self {
        LookupValue::List(values.into_iter().map(Into::into).collect())
    }
}
