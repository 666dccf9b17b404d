//! # Field-value validation
//!
//! Checks a value against what its [`FieldMeta`] declares, before anything reaches the
//! database: the validators written in `#[orm(...)]` ([`Validators`](crate::meta::Validators))
//! and the ones a field kind adds (e-mail and URL syntax, decimal digits).
//!
//! Where to find things:
//!
//! - [`FieldValue`]: the one trait, implemented for every Rust type a field can hold
//!   (`text.rs` for strings, `number.rs` and `decimal.rs` for numbers, `scalar.rs` for the
//!   rest; `choices.rs` and `pattern.rs` hold the shared pieces).
//! - [`Collector`]: gathers the failures of every field of one insert form or change set, so
//!   the user sees them all at once in one [`ValidationError`].
//! - [`rules`]: the syntax checks (`is_email`, `is_url`, `is_ip_address`), usable on any text.
//!
//! Each failure is a [`FieldError`] whose `code` names the rule that failed. The codes are a
//! public contract: `blank`, `max_length`, `min_length`, `pattern`, `choices`, `email`, `url`,
//! `ip_address`, `minimum`, `maximum`, `finite`, `max_digits` and `decimal_places`.
//!
//! Whether a value may be absent (NULL, or left out of a create) is decided elsewhere: here
//! `None` always passes.
//!
//! **Architecture invariant:** no I/O; every check is a pure function of the value and the
//! field's static metadata.

mod choices;
mod decimal;
mod number;
mod pattern;
pub mod rules;
mod scalar;
#[cfg(test)]
mod test_util;
mod text;

use std::fmt;

use crate::meta::FieldMeta;

pub use rules::{is_email, is_ip_address, is_url};

/// One failing field: which field, which rule, and a message for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The Rust name of the field ([`FieldMeta::name`]).
    pub field: &'static str,
    /// The rule that failed, e.g. `"max_length"` (a stable, machine-readable code).
    pub code: &'static str,
    /// A lowercase sentence naming the limit, e.g. `"ensure this value has at most 100 characters"`.
    pub message: String,
}

impl FieldError {
    /// A failure of rule `code` on `field`.
    pub fn new(field: &FieldMeta, code: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.name,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.code)
    }
}

/// Every failing field of one insert form or change set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", join(.errors))]
pub struct ValidationError {
    /// The failures, in the order the fields were checked.
    pub errors: Vec<FieldError>,
}

/// `"a: m (c); b: m (c)"`: every error, for the `Display` of [`ValidationError`].
fn join(errors: &[FieldError]) -> String {
    let parts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    parts.join("; ")
}

impl ValidationError {
    /// An error holding these failures.
    pub fn new(errors: Vec<FieldError>) -> Self {
        ValidationError { errors }
    }

    /// Every failure, in the order the fields were checked.
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// The first failure of the field with this Rust name, if it failed.
    pub fn field(&self, name: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.field == name)
    }

    /// The codes of every failure of the field with this Rust name (empty if it passed).
    pub fn codes(&self, field: &str) -> Vec<&'static str> {
        self.errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.code)
            .collect()
    }
}

impl From<FieldError> for ValidationError {
    fn from(error: FieldError) -> Self {
        ValidationError::new(vec![error])
    }
}

/// Collects the failures of several fields; [`Collector::finish`] turns them into a result.
///
/// ```ignore
/// let mut c = Collector::new();
/// c.check(&TITLE, &form.title);
/// c.check(&AGE, &form.age);
/// c.finish()?; // Err lists every failing field
/// ```
#[derive(Debug, Default)]
pub struct Collector {
    errors: Vec<FieldError>,
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Collector::default()
    }

    /// Records a failure found by other means (a cross-field rule, say).
    pub fn push(&mut self, e: FieldError) {
        self.errors.push(e);
    }

    /// Checks `value` against `field`'s validators and kind, recording every failure.
    pub fn check<V: FieldValue + ?Sized>(&mut self, field: &'static FieldMeta, value: &V) {
        value.check(field, &mut self.errors);
    }

    /// Whether nothing has failed so far.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(())` when nothing failed, otherwise a [`ValidationError`] with every failure.
    pub fn finish(self) -> Result<(), ValidationError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationError::new(self.errors))
        }
    }
}

/// A value that can be checked against a field's declared validators and kind.
///
/// Implemented for `str`, `String`, `i16`, `i32`, `i64`, `f32`, `f64`, `bool`,
/// `BigDecimal`, the chrono `Naive*` types and `DateTime<Utc>`, `serde_json::Value`,
/// `Uuid`, `IpAddr`, `Vec<u8>` and `Option<T>` (`None` passes:
/// absence is decided elsewhere). There is deliberately no impl for `&T`, so that
/// `impl<T: DbEnum> FieldValue for T` stays possible; pass `&value` to
/// [`Collector::check`] instead.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be validated as a field value",
    label = "no `FieldValue` implementation",
    note = "the `FieldValue` docs list the field types orm can validate"
)]
pub trait FieldValue {
    /// Appends one [`FieldError`] per rule of `field` that this value breaks.
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>);
}

impl<T: FieldValue> FieldValue for Option<T> {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        if let Some(value) = self {
            value.check(field, errors);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::meta;
    use super::*;
    use crate::meta::{FieldKind, Validators};

    fn title() -> &'static FieldMeta {
        let v = Validators {
            max_length: Some(5),
            ..Validators::default()
        };
        meta("title", FieldKind::String, v)
    }

    fn age() -> &'static FieldMeta {
        let v = Validators {
            minimum: Some(crate::meta::Literal::Int(0)),
            ..Validators::default()
        };
        meta("age", FieldKind::Integer, v)
    }

    #[test]
    fn collector_reports_every_failing_field() {
        let mut c = Collector::new();
        c.check(title(), "far too long");
        c.check(age(), &-1_i32);
        c.check(age(), &Some(3_i32));
        let err = c.finish().unwrap_err();
        assert_eq!(err.errors().len(), 2);
        assert_eq!(err.codes("title"), ["max_length"]);
        assert_eq!(err.field("age").map(|e| e.code), Some("minimum"));
        assert!(err.field("other").is_none());
        assert!(err.codes("other").is_empty());
    }

    #[test]
    fn collector_without_failures_finishes_ok() {
        let mut c = Collector::new();
        c.check(title(), &String::from("ok"));
        c.check(age(), &None::<i32>);
        assert!(c.is_empty());
        assert_eq!(c.finish(), Ok(()));
    }

    #[test]
    fn collector_keeps_pushed_errors() {
        let mut c = Collector::new();
        c.push(FieldError::new(age(), "custom", "nope"));
        assert_eq!(c.finish().unwrap_err().codes("age"), ["custom"]);
    }

    #[test]
    fn display_names_every_field() {
        let mut c = Collector::new();
        c.check(title(), "far too long");
        c.check(age(), &-1_i64);
        let text = c.finish().unwrap_err().to_string();
        assert_eq!(
            text,
            "invalid input: title: ensure this value has at most 5 characters (max_length); \
             age: ensure this value is greater than or equal to 0 (minimum)"
        );
    }

    #[test]
    fn options_delegate() {
        let mut errors = Vec::new();
        Some(String::from("far too long")).check(title(), &mut errors);
        None::<String>.check(title(), &mut errors);
        Some(Some(-5_i64)).check(age(), &mut errors);
        let codes: Vec<_> = errors.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["max_length", "minimum"]);
    }
}
