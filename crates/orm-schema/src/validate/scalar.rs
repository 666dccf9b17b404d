//! [`FieldValue`] for values with nothing to measure but a length: booleans, dates and
//! times, JSON, UUIDs, IP addresses and byte strings. Their types already guarantee
//! well-formedness, so the rules that can apply are `choices` (for `bool`, `Uuid` and
//! `IpAddr`, whose literals are unambiguous) and, on byte strings, `max_length` and
//! `min_length` counted in bytes; dates, times and JSON are never rejected here.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use uuid::Uuid;

use super::{choices, FieldError, FieldValue};
use crate::meta::{FieldMeta, Literal};

impl FieldValue for bool {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        choices::check(field, errors, |c| *c == Literal::Bool(*self));
    }
}

impl FieldValue for Uuid {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        choices::check(field, errors, |c| parses_to(c, self));
    }
}

impl FieldValue for IpAddr {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        choices::check(field, errors, |c| parses_to(c, self));
    }
}

/// `max_length` and `min_length` of a byte string, in bytes.
impl FieldValue for Vec<u8> {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        let v = &field.validators;
        let len = self.len();
        if let Some(max) = v.max_length.filter(|&max| len > max as usize) {
            let message = format!("ensure this value has at most {max} bytes");
            errors.push(FieldError::new(field, "max_length", message));
        }
        if let Some(min) = v.min_length.filter(|&min| len < min as usize) {
            let message = format!("ensure this value has at least {min} bytes");
            errors.push(FieldError::new(field, "min_length", message));
        }
    }
}

/// Whether `choice` is a string literal spelling `value`.
fn parses_to<T: std::str::FromStr + PartialEq>(choice: &Literal, value: &T) -> bool {
    match choice {
        Literal::Str(s) => s.parse::<T>().is_ok_and(|parsed| parsed == *value),
        _ => false,
    }
}

/// Implements [`FieldValue`] as "always valid" for types no validator applies to.
macro_rules! always_valid {
    ($($ty:ty),* $(,)?) => {$(
        impl FieldValue for $ty {
            fn check(&self, _field: &FieldMeta, _errors: &mut Vec<FieldError>) {}
        }
    )*};
}

always_valid!(
    NaiveDate,
    NaiveDateTime,
    NaiveTime,
    DateTime<Utc>,
    serde_json::Value
);

/// The field-value newtypes check as their inner value.
macro_rules! as_inner {
    ($($ty:ty),* $(,)?) => {$(
        impl FieldValue for $ty {
            fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
                self.0.check(field, errors)
            }
        }
    )*};
}

as_inner!(
    crate::values::Uuid,
    crate::values::Json,
    crate::values::IpAddress,
    crate::values::Decimal,
    crate::values::DateTimeUtc
);

#[cfg(test)]
mod tests {
    use super::super::test_util::{codes, field, with_choices};
    use super::*;
    use crate::meta::{FieldKind, Validators};

    #[test]
    fn byte_lengths() {
        let f = field(
            FieldKind::Bytes,
            Validators {
                max_length: Some(3),
                min_length: Some(1),
                ..Validators::default()
            },
        );
        assert!(codes(f, &vec![0u8, 255, 7]).is_empty());
        let errs = super::super::test_util::errors(f, &vec![1u8; 4]);
        assert_eq!(errs[0].code, "max_length");
        assert_eq!(errs[0].message, "ensure this value has at most 3 bytes");
        assert_eq!(codes(f, &Vec::<u8>::new()), ["min_length"]);
        assert!(codes(
            field(FieldKind::Bytes, Validators::default()),
            &Vec::<u8>::new()
        )
        .is_empty());
    }

    #[test]
    fn bool_choices() {
        let f = with_choices(FieldKind::Boolean, &[Literal::Bool(true)]);
        assert_eq!(codes(f, &false), ["choices"]);
        assert!(codes(f, &true).is_empty());
        assert!(codes(field(FieldKind::Boolean, Validators::default()), &false).is_empty());
    }

    #[test]
    fn uuid_choices() {
        let f = with_choices(
            FieldKind::Uuid,
            &[Literal::Str("67e55044-10b1-426f-9247-bb680e5fe0c8")],
        );
        let good: Uuid = "67E55044-10B1-426F-9247-BB680E5FE0C8".parse().unwrap();
        assert!(codes(f, &good).is_empty());
        assert_eq!(codes(f, &Uuid::nil()), ["choices"]);
    }

    #[test]
    fn ip_values_are_valid_by_type() {
        let f = field(FieldKind::IpAddress, Validators::default());
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        let v6: IpAddr = "::1".parse().unwrap();
        assert!(codes(f, &v4).is_empty());
        assert!(codes(f, &v6).is_empty());
        let only = with_choices(FieldKind::IpAddress, &[Literal::Str("::1")]);
        assert!(codes(only, &v6).is_empty());
        assert_eq!(codes(only, &v4), ["choices"]);
    }

    #[test]
    fn dates_times_and_json_always_pass() {
        let f = with_choices(FieldKind::Date, &[Literal::Str("never")]);
        let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let time = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
        assert!(codes(f, &date).is_empty());
        assert!(codes(f, &date.and_time(time)).is_empty());
        assert!(codes(f, &time).is_empty());
        assert!(codes(f, &serde_json::json!({"a": [1, 2]})).is_empty());
        assert!(codes(f, &Some(date)).is_empty());
    }
}
