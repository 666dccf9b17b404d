//! Helpers shared by the validation unit tests.

use super::{FieldError, FieldValue};
use crate::meta::{FieldKind, FieldMeta, Validators};

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
