//! The digit limits of a `Decimal { max_digits, decimal_places }` field: what SQL
//! `NUMERIC(max_digits, decimal_places)` would reject, reported as `max_digits` or
//! `decimal_places` before the database sees it.
//!
//! Digits are counted after dropping trailing zeros (`1.500` has one decimal place), and
//! leading zeros are not digits (`0.05` has no integer digits and two decimal places).

use bigdecimal::{BigDecimal, Zero};

use super::FieldError;
use crate::meta::{FieldKind, FieldMeta};

/// The digits of a decimal, as `NUMERIC(p, s)` counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Digits {
    /// Digits before the decimal point (leading zeros excluded).
    whole: u64,
    /// Digits after the decimal point (trailing zeros excluded).
    places: u64,
}

impl Digits {
    /// Counts the digits of `d`.
    fn of(d: &BigDecimal) -> Self {
        if d.is_zero() {
            return Digits {
                whole: 0,
                places: 0,
            };
        }
        let n = d.normalized();
        let digits = n.digits();
        let scale = n.fractional_digit_count();
        if scale <= 0 {
            // An integer with -scale trailing zeros dropped by `normalized`.
            return Digits {
                whole: digits + scale.unsigned_abs(),
                places: 0,
            };
        }
        let places = scale.unsigned_abs();
        Digits {
            whole: digits.saturating_sub(places),
            places,
        }
    }
}

/// `max_digits` and `decimal_places` for a decimal value of a `Decimal` field; nothing for
/// other kinds.
pub(crate) fn check_digits(d: &BigDecimal, field: &FieldMeta, errors: &mut Vec<FieldError>) {
    let FieldKind::Decimal {
        max_digits,
        decimal_places,
    } = field.kind
    else {
        return;
    };
    let Digits { whole, places } = Digits::of(d);
    if places > u64::from(decimal_places) {
        let message = format!(
            "ensure that there are no more than {}",
            count(decimal_places, "decimal place")
        );
        errors.push(FieldError::new(field, "decimal_places", message));
    }
    let max_whole = max_digits.saturating_sub(decimal_places);
    let message = if whole + places > u64::from(max_digits) {
        format!(
            "ensure that there are no more than {} in total",
            count(max_digits, "digit")
        )
    } else if whole > u64::from(max_whole) {
        format!(
            "ensure that there are no more than {} before the decimal point",
            count(max_whole, "digit")
        )
    } else {
        return;
    };
    errors.push(FieldError::new(field, "max_digits", message));
}

/// `"1 digit"`, `"5 digits"`.
fn count(n: u32, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::super::test_util::{assert_first_error, codes, errors, field};
    use super::*;
    use crate::meta::Validators;

    fn dec(s: &str) -> BigDecimal {
        BigDecimal::from_str(s).unwrap()
    }

    /// A `Decimal { max_digits: 5, decimal_places: 2 }` field: NUMERIC(5, 2).
    fn numeric_5_2() -> &'static FieldMeta {
        let kind = FieldKind::Decimal {
            max_digits: 5,
            decimal_places: 2,
        };
        field(kind, Validators::default())
    }

    #[test]
    fn counts_digits() {
        let d = |s| {
            let Digits { whole, places } = Digits::of(&dec(s));
            (whole, places)
        };
        assert_eq!(d("0"), (0, 0));
        assert_eq!(d("0.000"), (0, 0));
        assert_eq!(d("1.500"), (1, 1));
        assert_eq!(d("0.05"), (0, 2));
        assert_eq!(d("-123.45"), (3, 2));
        assert_eq!(d("1000"), (4, 0));
        assert_eq!(d("1E+3"), (4, 0));
        assert_eq!(d("007.10"), (1, 1));
    }

    #[test]
    fn decimal_places_rejected() {
        let f = numeric_5_2();
        let message = "ensure that there are no more than 2 decimal places";
        assert_first_error(f, &dec("1.234"), "decimal_places", message);
        assert_eq!(errors(f, &dec("1.234")).len(), 1);
    }

    #[test]
    fn decimal_places_accepted_after_dropping_trailing_zeros() {
        assert!(codes(numeric_5_2(), &dec("1.23")).is_empty());
        assert!(codes(numeric_5_2(), &dec("1.2300000")).is_empty());
    }

    #[test]
    fn max_digits_in_total() {
        let message = "ensure that there are no more than 5 digits in total";
        assert_first_error(numeric_5_2(), &dec("123456"), "max_digits", message);
        assert_eq!(
            codes(numeric_5_2(), &dec("1234.567")),
            ["decimal_places", "max_digits"]
        );
    }

    #[test]
    fn max_digits_before_the_point() {
        // Five digits in total, but NUMERIC(5, 2) keeps only three before the point.
        let message = "ensure that there are no more than 3 digits before the decimal point";
        assert_first_error(numeric_5_2(), &dec("1234.5"), "max_digits", message);
    }

    #[test]
    fn max_digits_accepted() {
        for s in ["999.99", "-999.99", "0.05", "0", "100.000"] {
            assert!(codes(numeric_5_2(), &dec(s)).is_empty(), "{s}");
        }
    }

    #[test]
    fn other_kinds_have_no_digit_limits() {
        let f = field(FieldKind::Float, Validators::default());
        assert!(codes(f, &dec("123456789.123456789")).is_empty());
    }
}
