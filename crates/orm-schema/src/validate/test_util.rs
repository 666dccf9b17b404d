//! Helpers shared by the validation unit tests.

use super::{FieldError, FieldValue};
use crate::meta::{FieldKind, FieldMeta, Literal, Validators};

/// A leaked (hence `'static`) field named `name` of `kind` with validators `v`.
pub(crate) fn meta(name: &'static str, kind: FieldKind, v: Validators) -> &'static FieldMeta {
    Box::leak(Box::new(FieldMeta {
        validators: v,
        ..FieldMeta::new(name, kind)
    }))
}

/// A field named `"x"` of `kind` with validators `v`.
pub(crate) fn field(kind: FieldKind, v: Validators) -> &'static FieldMeta {
    meta("x", kind, v)
}

/// A field named `"x"` of `kind` whose validators are the defaults as `set` changes them.
pub(crate) fn field_with(kind: FieldKind, set: impl FnOnce(&mut Validators)) -> &'static FieldMeta {
    let mut v = Validators::default();
    set(&mut v);
    field(kind, v)
}

/// A field named `"x"` of `kind` that accepts only `choices`.
pub(crate) fn with_choices(kind: FieldKind, choices: &'static [Literal]) -> &'static FieldMeta {
    field_with(kind, |v| v.choices = Some(choices))
}

/// Every failure of `value` against `field`.
pub(crate) fn errors<V: FieldValue + ?Sized>(field: &FieldMeta, value: &V) -> Vec<FieldError> {
    let mut out = Vec::new();
    value.check(field, &mut out);
    out
}

/// The codes of every failure of `value` against `field` (empty when it passes).
pub(crate) fn codes<V: FieldValue + ?Sized>(field: &FieldMeta, value: &V) -> Vec<&'static str> {
    errors(field, value).into_iter().map(|e| e.code).collect()
}

/// Asserts that `value` fails against `field`, its first failure being rule `code` with
/// `message`.
#[track_caller]
pub(crate) fn assert_first_error<V: FieldValue + ?Sized>(
    field: &FieldMeta,
    value: &V,
    code: &str,
    message: &str,
) {
    let errs = errors(field, value);
    let first = errs.first().map(|e| (e.code, e.message.as_str()));
    assert_eq!(first, Some((code, message)), "{errs:?}");
}
