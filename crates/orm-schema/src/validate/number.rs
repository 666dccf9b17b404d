//! [`FieldValue`] for numbers (`i16`, `i32`, `i64`, `f32`, `f64`, `BigDecimal`):
//! `minimum`, `maximum`, `choices` and, for floats, `finite`.
//!
//! Bounds and choices are [`Literal::Int`] or [`Literal::Float`] whatever the value's type,
//! so comparisons are exact across the two: `i64::MAX` is not "equal" to `2^63` as a float,
//! and a decimal is compared with a float bound as written (`0.1`, not its binary value).
//! Non-numeric literals are ignored (the derive never emits them for a number).

use std::cmp::Ordering;

use bigdecimal::BigDecimal;

use super::{choices, decimal, FieldError, FieldValue};
use crate::meta::{FieldMeta, Literal};

/// A number of any supported type, borrowed for comparison.
#[derive(Debug, Clone, Copy)]
enum Num<'a> {
    /// An integer.
    Int(i64),
    /// A finite float.
    Float(f64),
    /// A decimal.
    Decimal(&'a BigDecimal),
}

impl FieldValue for i16 {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        check_number(Num::Int(i64::from(*self)), field, errors);
    }
}

impl FieldValue for i32 {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        check_number(Num::Int(i64::from(*self)), field, errors);
    }
}

impl FieldValue for i64 {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        check_number(Num::Int(*self), field, errors);
    }
}

impl FieldValue for f64 {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        if finite(self.is_finite(), field, errors) {
            check_number(Num::Float(*self), field, errors);
        }
    }
}

/// An `f32` is compared as the number its shortest text spells (`0.1f32` is `0.1`, not
/// the binary value `0.100000001490116...`), so a bound written `maximum = 0.1` admits it.
impl FieldValue for f32 {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        if finite(self.is_finite(), field, errors) {
            let as_written = self.to_string().parse().unwrap_or(f64::from(*self));
            check_number(Num::Float(as_written), field, errors);
        }
    }
}

/// `finite`: reports a NaN or infinite float; whether the value is finite.
fn finite(is_finite: bool, field: &FieldMeta, errors: &mut Vec<FieldError>) -> bool {
    if !is_finite {
        let message = "ensure this value is a finite number";
        errors.push(FieldError::new(field, "finite", message));
    }
    is_finite
}

impl FieldValue for BigDecimal {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        check_number(Num::Decimal(self), field, errors);
        decimal::check_digits(self, field, errors);
    }
}

/// `minimum`, `maximum` and `choices` for any number.
fn check_number(n: Num<'_>, field: &FieldMeta, errors: &mut Vec<FieldError>) {
    let v = &field.validators;
    if let Some(min) = v.minimum.filter(|m| compare(n, m) == Some(Ordering::Less)) {
        let message = format!("ensure this value is greater than or equal to {min}");
        errors.push(FieldError::new(field, "minimum", message));
    }
    if let Some(max) = v
        .maximum
        .filter(|m| compare(n, m) == Some(Ordering::Greater))
    {
        let message = format!("ensure this value is less than or equal to {max}");
        errors.push(FieldError::new(field, "maximum", message));
    }
    choices::check(field, errors, |c| compare(n, c) == Some(Ordering::Equal));
}

/// How `n` compares with a numeric literal; `None` for a non-numeric or NaN literal.
fn compare(n: Num<'_>, lit: &Literal) -> Option<Ordering> {
    match (n, *lit) {
        (Num::Int(i), Literal::Int(j)) => Some(i.cmp(&j)),
        (Num::Int(i), Literal::Float(f)) => cmp_int_float(i, f),
        (Num::Float(x), Literal::Int(j)) => cmp_int_float(j, x).map(Ordering::reverse),
        (Num::Float(x), Literal::Float(f)) => x.partial_cmp(&f),
        (Num::Decimal(d), Literal::Int(j)) => Some(d.cmp(&BigDecimal::from(j))),
        (Num::Decimal(d), Literal::Float(f)) => cmp_decimal_float(d, f),
        (_, Literal::Bool(_) | Literal::Str(_)) => None,
    }
}

/// Exact comparison of an integer with a float (no rounding of either).
fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    /// 2^63, the first float above every `i64`.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() {
        return None;
    }
    if f >= TWO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_63 {
        return Some(Ordering::Greater);
    }
    // In range, so the truncated float converts to i64 exactly.
    let whole = f.trunc();
    let by_whole = i.cmp(&(whole as i64));
    Some(by_whole.then_with(|| whole.partial_cmp(&f).unwrap_or(Ordering::Equal)))
}

/// A decimal against a float bound, taking the float as its shortest decimal spelling.
fn cmp_decimal_float(d: &BigDecimal, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        });
    }
    // `Display` for f64 is the shortest round-tripping form, never in exponent notation.
    let bound: BigDecimal = f.to_string().parse().ok()?;
    Some(d.cmp(&bound))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::super::test_util::{
        assert_first_error, codes, errors, field, field_with, with_choices,
    };
    use super::*;
    use crate::meta::{FieldKind, Validators};

    fn bounded(min: Literal, max: Literal) -> &'static FieldMeta {
        field_with(FieldKind::Integer, |v| {
            v.minimum = Some(min);
            v.maximum = Some(max);
        })
    }

    fn dec(s: &str) -> BigDecimal {
        BigDecimal::from_str(s).unwrap()
    }

    #[test]
    fn int_minimum() {
        let f = bounded(Literal::Int(0), Literal::Int(10));
        let message = "ensure this value is greater than or equal to 0";
        assert_first_error(f, &-1_i32, "minimum", message);
        assert!(codes(f, &0_i32).is_empty());
        assert!(codes(f, &0_i64).is_empty());
    }

    #[test]
    fn int_maximum() {
        let f = bounded(Literal::Int(0), Literal::Int(10));
        let message = "ensure this value is less than or equal to 10";
        assert_first_error(f, &11_i64, "maximum", message);
        assert!(codes(f, &10_i64).is_empty());
    }

    #[test]
    fn float_minimum_and_maximum() {
        let f = bounded(Literal::Float(0.5), Literal::Float(1.5));
        assert_eq!(codes(f, &0.25_f64), ["minimum"]);
        assert_eq!(codes(f, &2.0_f64), ["maximum"]);
        assert_eq!(
            errors(f, &2.0_f64)[0].message,
            "ensure this value is less than or equal to 1.5"
        );
        assert!(codes(f, &0.5_f64).is_empty());
        assert!(codes(f, &1.5_f64).is_empty());
    }

    #[test]
    fn mixed_int_and_float() {
        let f = bounded(Literal::Float(0.5), Literal::Int(2));
        assert_eq!(codes(f, &0_i32), ["minimum"]);
        assert!(codes(f, &1_i32).is_empty());
        assert_eq!(codes(f, &2.5_f64), ["maximum"]);
        assert!(codes(f, &2.0_f64).is_empty());
        // 2^63 as a float is above i64::MAX, though `i64::MAX as f64` rounds to it.
        let top = bounded(
            Literal::Int(i64::MIN),
            Literal::Float(9_223_372_036_854_775_807.0),
        );
        assert!(codes(top, &i64::MAX).is_empty());
        let low = bounded(Literal::Float(-0.5), Literal::Int(0));
        assert!(codes(low, &0_i64).is_empty());
        assert_eq!(codes(low, &-1_i64), ["minimum"]);
    }

    #[test]
    fn decimal_minimum_and_maximum() {
        let f = bounded(Literal::Float(0.1), Literal::Int(100));
        assert_eq!(codes(f, &dec("0.09")), ["minimum"]);
        // 0.1 as written, not 0.1000000000000000055…
        assert!(codes(f, &dec("0.1")).is_empty());
        assert!(codes(f, &dec("100.000")).is_empty());
        assert_eq!(codes(f, &dec("100.0001")), ["maximum"]);
    }

    #[test]
    fn finite() {
        let f = field(FieldKind::Float, Validators::default());
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let errs = errors(f, &x);
            assert_eq!(errs.len(), 1);
            assert_eq!(errs[0].code, "finite");
        }
        assert!(codes(f, &1e300_f64).is_empty());
    }

    #[test]
    fn small_integers_and_single_floats() {
        let f = bounded(Literal::Int(-5), Literal::Float(0.1));
        assert_eq!(codes(f, &-6_i16), ["minimum"]);
        assert!(codes(f, &0_i16).is_empty());
        assert_eq!(codes(f, &1_i16), ["maximum"]);
        // 0.1f32 is the number it spells, not its binary value (above 0.1 as an f64).
        assert!(codes(f, &0.1_f32).is_empty());
        assert_eq!(codes(f, &0.100_001_f32), ["maximum"]);
        assert_eq!(codes(f, &-5.5_f32), ["minimum"]);
        for x in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            assert_eq!(codes(f, &x), ["finite"]);
        }
    }

    #[test]
    fn int_choices() {
        let f = with_choices(FieldKind::Integer, &[Literal::Int(1), Literal::Int(2)]);
        assert_first_error(f, &3_i32, "choices", "value must be one of: 1, 2");
        assert!(codes(f, &2_i32).is_empty());
        assert!(codes(f, &2.0_f64).is_empty());
        assert!(codes(f, &dec("1.00")).is_empty());
        assert_eq!(codes(f, &1.5_f64), ["choices"]);
    }

    #[test]
    fn float_choices() {
        let f = with_choices(FieldKind::Float, &[Literal::Float(0.5), Literal::Int(1)]);
        assert!(codes(f, &0.5_f64).is_empty());
        assert!(codes(f, &1_i64).is_empty());
        assert_eq!(codes(f, &0.25_f64), ["choices"]);
    }

    #[test]
    fn exact_int_float_comparison() {
        assert_eq!(cmp_int_float(1, 1.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(2, 1.5), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(-1, -1.5), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(-2, -1.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(3, 3.0), Some(Ordering::Equal));
        assert_eq!(cmp_int_float(i64::MAX, 9.3e18), Some(Ordering::Less));
        assert_eq!(
            cmp_int_float(i64::MIN, -9_223_372_036_854_775_808.0),
            Some(Ordering::Equal)
        );
        assert_eq!(cmp_int_float(0, f64::NAN), None);
    }

    #[test]
    fn non_numeric_bounds_are_ignored() {
        let f = bounded(Literal::Str("a"), Literal::Bool(true));
        assert!(codes(f, &5_i32).is_empty());
    }
}
