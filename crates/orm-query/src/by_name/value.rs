//! [`Value`]: a by-name lookup's value, converted to its field's type.

use std::str::FromStr;

use orm_schema::{FieldKind, FieldMeta};

use super::NameError;

/// A value converted to the type of the field it is compared with.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// SmallInteger fields.
    SmallInt(i16),
    /// Integer fields.
    Int(i32),
    /// BigInteger fields.
    BigInt(i64),
    /// Float fields.
    Float(f64),
    /// Real fields.
    Real(f32),
    /// Boolean fields (and `isnull`).
    Bool(bool),
    /// String, Text, Email, URL and enum fields.
    Text(String),
    /// The pattern of a LIKE lookup, escaped for each backend.
    Like(crate::lookups::LikePattern),
    /// Decimal fields.
    Decimal(orm_schema::Decimal),
    /// Date fields.
    Date(chrono::NaiveDate),
    /// DateTime fields.
    DateTime(chrono::NaiveDateTime),
    /// DateTimeUtc fields.
    DateTimeUtc(orm_schema::DateTimeUtc),
    /// Time fields.
    Time(chrono::NaiveTime),
    /// Bytes fields.
    Bytes(Vec<u8>),
    /// UUID fields.
    Uuid(orm_schema::Uuid),
    /// IP address fields.
    Ip(orm_schema::IpAddress),
    /// The list of an `in` lookup.
    List(Vec<Value>),
    /// Another column of the same table (a by-name `F`), compared column to column.
    Column(&'static str),
    /// Another QuerySet's primary keys, for `in`: a subquery.
    Subquery(super::subquery::SubqueryValue),
}

impl Value {
    /// `text` converted to `field`'s type.
    pub fn parse(field: &'static FieldMeta, text: &str) -> Result<Value, NameError> {
        Self::parse_as(field, field.kind, text)
    }

    /// `text` converted to the type of a field of `kind` (a part of `field`: the year of a
    /// date is an integer); errors name `field`.
    pub fn parse_as(
        field: &'static FieldMeta,
        kind: FieldKind,
        text: &str,
    ) -> Result<Value, NameError> {
        let invalid = |expected: &'static str| NameError::InvalidValue {
            field: field.name,
            value: text.to_string(),
            expected,
        };
        fn conv<T: FromStr>(text: &str) -> Option<T> {
            text.trim().parse().ok()
        }
        Ok(match kind {
            FieldKind::SmallInteger => {
                Value::SmallInt(conv(text).ok_or_else(|| invalid("a 16-bit integer"))?)
            }
            FieldKind::Integer => {
                Value::Int(conv(text).ok_or_else(|| invalid("a 32-bit integer"))?)
            }
            FieldKind::BigInteger => {
                Value::BigInt(conv(text).ok_or_else(|| invalid("a 64-bit integer"))?)
            }
            FieldKind::Float => {
                let x: f64 = conv(text).ok_or_else(|| invalid("a number"))?;
                if !x.is_finite() {
                    return Err(invalid("a finite number"));
                }
                Value::Float(x)
            }
            FieldKind::Real => {
                let x: f32 = conv(text).ok_or_else(|| invalid("a number"))?;
                if !x.is_finite() {
                    return Err(invalid("a finite number within f32's range"));
                }
                Value::Real(x)
            }
            FieldKind::Boolean => Value::Bool(Self::parse_bool(field, text)?),
            FieldKind::String | FieldKind::Text | FieldKind::Email | FieldKind::Url => {
                Value::Text(text.to_string())
            }
            FieldKind::Enum { variants } => {
                if !variants.contains(&text) {
                    return Err(invalid("one of the enum's variant names"));
                }
                Value::Text(text.to_string())
            }
            FieldKind::Decimal { .. } => {
                Value::Decimal(conv(text).ok_or_else(|| invalid("a decimal number"))?)
            }
            FieldKind::Date => {
                Value::Date(conv(text).ok_or_else(|| invalid("a date (YYYY-MM-DD)"))?)
            }
            FieldKind::DateTime => Value::DateTime(
                chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f")
                    .or_else(|_| {
                        chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f")
                    })
                    .map_err(|_| invalid("a date and time (YYYY-MM-DDTHH:MM:SS)"))?,
            ),
            FieldKind::DateTimeUtc => Value::DateTimeUtc(orm_schema::DateTimeUtc(parse_instant(text).ok_or_else(|| {
                invalid("an RFC 3339 date and time (2024-05-01T12:00:00Z, or with an offset; without one, UTC)")
            })?)),
            FieldKind::Bytes => Value::Bytes(
                parse_hex(text).ok_or_else(|| invalid("bytes in hexadecimal (two digits a byte, e.g. 00ff)"))?,
            ),
            FieldKind::Time => Value::Time(conv(text).ok_or_else(|| invalid("a time (HH:MM:SS)"))?),
            FieldKind::Uuid => Value::Uuid(conv(text).ok_or_else(|| invalid("a UUID"))?),
            FieldKind::IpAddress => {
                Value::Ip(conv(text).ok_or_else(|| invalid("an IPv4 or IPv6 address"))?)
            }
            FieldKind::Json => return Err(invalid("no value: JSON fields support only isnull")),
        })
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, any case).
    pub fn parse_bool(field: &'static FieldMeta, text: &str) -> Result<bool, NameError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(NameError::InvalidValue {
                field: field.name,
                value: text.to_string(),
                expected: "true or false",
            }),
        }
    }
}

/// An instant from RFC 3339 text (`T` or a space between date and time), converted to UTC;
/// text without an offset is taken as UTC.
fn parse_instant(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = text.trim();
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&chrono::Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

/// Bytes from hexadecimal text, two digits a byte (either case).
fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().as_bytes();
    if text.len() % 2 != 0 || !text.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    text.chunks(2)
        .map(|pair| {
            let digits = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(digits, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_bytes_parse() {
        let at = parse_instant("2024-05-01T14:00:00.5+02:00").unwrap();
        assert_eq!(at.to_rfc3339(), "2024-05-01T12:00:00.500+00:00");
        assert_eq!(
            parse_instant("2024-05-01 12:00:00").unwrap(),
            at - chrono::Duration::milliseconds(500)
        );
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(parse_hex("00fFa0"), Some(vec![0, 255, 160]));
        assert_eq!(parse_hex(""), Some(vec![]));
        assert_eq!(parse_hex("abc"), None);
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(parse_hex("+1"), None);
    }
}
