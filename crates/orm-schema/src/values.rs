//! Value types for the field kinds diesel has no portable, exact mapping for: [`Uuid`],
//! [`Json`], [`IpAddress`], [`Decimal`] and [`DateTimeUtc`].
//!
//! Each is a thin newtype over the usual crate type (`uuid::Uuid`, `serde_json::Value`,
//! `std::net::IpAddr`, `bigdecimal::BigDecimal`, `chrono::DateTime<Utc>`), so it can be
//! bound and loaded on every backend: native UUID, JSONB, INET, NUMERIC and TIMESTAMPTZ on
//! PostgreSQL, portable types on SQLite and MySQL. They dereference to the inner
//! value and convert both ways with `From`.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

/// A UUID field value (`uuid::Uuid` inside).
///
/// ```
/// let id = orm_schema::values::Uuid::new_v4();
/// let inner: uuid::Uuid = id.into();
/// assert_eq!(inner.get_version_num(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Uuid(pub uuid::Uuid);

impl Uuid {
    /// A new random (version 4) UUID; the usual default of a UUID primary key.
    pub fn new_v4() -> Self {
        Uuid(uuid::Uuid::new_v4())
    }
}

/// A JSON document field value (`serde_json::Value` inside).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Json(pub serde_json::Value);

/// A fixed-point decimal field value (`bigdecimal::BigDecimal` inside), exact on every
/// backend: NUMERIC on PostgreSQL and MySQL; on SQLite, whose NUMERIC columns turn every
/// number into an 8-byte float (15 significant digits kept exactly), a value of at most
/// 15 significant digits reads back as written and a longer one is refused with an error
/// when it is bound, instead of being rounded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Decimal(pub bigdecimal::BigDecimal);

/// An IPv4 or IPv6 address field value (`std::net::IpAddr` inside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpAddress(pub std::net::IpAddr);

/// An instant in UTC (`chrono::DateTime<Utc>` inside), microsecond precision on every
/// backend: `TIMESTAMPTZ` on PostgreSQL, the UTC date and time in a `DATETIME(6)` on MySQL,
/// fixed-width text on SQLite (see [`crate::sql_types::TimestampUtc`]). A newtype because
/// diesel binds `DateTime<Utc>` on PostgreSQL and SQLite only.
///
/// ```
/// use orm_schema::values::DateTimeUtc;
/// let at: DateTimeUtc = "2026-12-06T05:05:06.5+01:00".parse().unwrap();
/// assert_eq!(at.to_rfc3339(), "2026-12-06T04:05:06.500+00:00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTimeUtc(pub chrono::DateTime<chrono::Utc>);

impl DateTimeUtc {
    /// The current time.
    pub fn now() -> Self {
        DateTimeUtc(chrono::Utc::now())
    }
}

macro_rules! newtype_conversions {
    ($outer:ident($inner:ty)) => {
        impl Deref for $outer {
            type Target = $inner;
            fn deref(&self) -> &$inner {
                &self.0
            }
        }
        impl From<$inner> for $outer {
            fn from(value: $inner) -> Self {
                $outer(value)
            }
        }
        impl From<$outer> for $inner {
            fn from(value: $outer) -> Self {
                value.0
            }
        }
        impl fmt::Display for $outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

newtype_conversions!(Uuid(uuid::Uuid));
newtype_conversions!(Json(serde_json::Value));
newtype_conversions!(IpAddress(std::net::IpAddr));
newtype_conversions!(Decimal(bigdecimal::BigDecimal));
newtype_conversions!(DateTimeUtc(chrono::DateTime<chrono::Utc>));

/// RFC 3339 with any offset, converted to UTC.
impl FromStr for DateTimeUtc {
    type Err = chrono::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        chrono::DateTime::parse_from_rfc3339(s.trim()).map(|at| DateTimeUtc(at.to_utc()))
    }
}

impl FromStr for Decimal {
    type Err = bigdecimal::ParseBigDecimalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Decimal)
    }
}

impl From<std::net::Ipv4Addr> for IpAddress {
    fn from(value: std::net::Ipv4Addr) -> Self {
        IpAddress(value.into())
    }
}

impl From<std::net::Ipv6Addr> for IpAddress {
    fn from(value: std::net::Ipv6Addr) -> Self {
        IpAddress(value.into())
    }
}

impl FromStr for Uuid {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Uuid)
    }
}

impl FromStr for IpAddress {
    type Err = std::net::AddrParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(IpAddress)
    }
}

impl FromStr for Json {
    type Err = serde_json::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_str(s).map(Json)
    }
}
