//! SQL types orm adds to diesel's, so one model maps to the best column type on each
//! backend: [`Uuid`] (UUID on PostgreSQL, CHAR(36) text elsewhere), [`Json`] (JSONB on
//! PostgreSQL, text elsewhere) and [`IpAddress`] (INET on PostgreSQL, VARCHAR(45) text
//! elsewhere). Their Rust values are the newtypes [`crate::values::Uuid`],
//! [`crate::values::Json`] and [`crate::values::IpAddress`]; [`TimestampUtc`]'s is
//! [`crate::values::DateTimeUtc`] (diesel's own `Timestamptz` on PostgreSQL).
//!
//! Everything else uses diesel's own SQL types (`diesel::sql_types::*`).

use diesel::query_builder::QueryId;
use diesel::sql_types::SqlType;

/// A UUID column: `uuid` on PostgreSQL, `CHAR(36)` text on SQLite and MySQL.
#[derive(Debug, Clone, Copy, Default, SqlType, QueryId)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Text"))]
#[diesel(mysql_type(name = "String"))]
#[diesel(mariadb_type(name = "String"))]
pub struct Uuid;

/// A JSON column: `jsonb` on PostgreSQL, text on SQLite and MySQL.
#[derive(Debug, Clone, Copy, Default, SqlType, QueryId)]
#[diesel(postgres_type(oid = 3802, array_oid = 3807))]
#[diesel(sqlite_type(name = "Text"))]
#[diesel(mysql_type(name = "String"))]
#[diesel(mariadb_type(name = "String"))]
pub struct Json;

/// An IP address column: `inet` on PostgreSQL, `VARCHAR(45)` text on SQLite and MySQL.
#[derive(Debug, Clone, Copy, Default, SqlType, QueryId)]
#[diesel(postgres_type(oid = 869, array_oid = 1041))]
#[diesel(sqlite_type(name = "Text"))]
#[diesel(mysql_type(name = "String"))]
#[diesel(mariadb_type(name = "String"))]
pub struct IpAddress;

/// An exact decimal column: NUMERIC on PostgreSQL and MySQL; on SQLite a NUMERIC column
/// bound as text (see [`crate::values::Decimal`]).
#[derive(Debug, Clone, Copy, Default, SqlType, QueryId)]
#[diesel(postgres_type(oid = 1700, array_oid = 1231))]
#[diesel(sqlite_type(name = "Text"))]
#[diesel(mysql_type(name = "Numeric"))]
#[diesel(mariadb_type(name = "Numeric"))]
pub struct Decimal;

/// An instant in UTC, for [`crate::values::DateTimeUtc`]: `timestamptz` on PostgreSQL (diesel's
/// `Timestamptz`), `DATETIME(6)` holding the UTC date and time on MySQL, and on SQLite
/// text of fixed width, `YYYY-MM-DD HH:MM:SS.ffffff+00:00` (read with diesel's
/// `TimestamptzSqlite`), so comparing the text compares the instants. Microsecond precision
/// everywhere: finer digits are dropped when binding, as PostgreSQL and MySQL do.
#[derive(Debug, Clone, Copy, Default, SqlType, QueryId)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
#[diesel(mysql_type(name = "DateTime"))]
#[diesel(mariadb_type(name = "DateTime"))]
pub struct TimestampUtc;

/// `value` truncated to whole microseconds, the precision every backend stores.
#[cfg(any(feature = "sqlite", feature = "mysql"))]
fn to_micros(value: &crate::values::DateTimeUtc) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let utc = value.0.naive_utc();
    let micros = utc.nanosecond() / 1_000 * 1_000;
    utc.with_nanosecond(micros).unwrap_or(utc)
}

// Decimal arithmetic stays decimal, so `price * 2` or `price + price` type-check in queries.
macro_rules! decimal_ops {
    ($($op:ident),*) => {$(
        impl diesel::sql_types::ops::$op for Decimal {
            type Rhs = Decimal;
            type Output = Decimal;
        }
    )*};
}
decimal_ops!(Add, Sub, Mul, Div);

/// Implements the diesel plumbing that lets a Rust value be bound as, and loaded from,
/// an SQL type: `AsExpression` (owned and by reference, nullable too), `ToSql` for the
/// nullable type, and `Queryable` so it can be a field of a loaded row.
///
/// `ToSql<$st, DB>` and `FromSql<$st, DB>` for each backend are written by hand.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_sql_value {
    ($rust:ty => $st:ty) => {
        impl ::diesel::expression::AsExpression<$st> for $rust {
            type Expression = ::diesel::internal::derives::as_expression::Bound<$st, Self>;
            fn as_expression(self) -> Self::Expression {
                ::diesel::internal::derives::as_expression::Bound::new(self)
            }
        }
        impl ::diesel::expression::AsExpression<::diesel::sql_types::Nullable<$st>> for $rust {
            type Expression = ::diesel::internal::derives::as_expression::Bound<
                ::diesel::sql_types::Nullable<$st>,
                Self,
            >;
            fn as_expression(self) -> Self::Expression {
                ::diesel::internal::derives::as_expression::Bound::new(self)
            }
        }
        impl<'__e> ::diesel::expression::AsExpression<$st> for &'__e $rust {
            type Expression = ::diesel::internal::derives::as_expression::Bound<$st, Self>;
            fn as_expression(self) -> Self::Expression {
                ::diesel::internal::derives::as_expression::Bound::new(self)
            }
        }
        impl<'__e> ::diesel::expression::AsExpression<::diesel::sql_types::Nullable<$st>>
            for &'__e $rust
        {
            type Expression = ::diesel::internal::derives::as_expression::Bound<
                ::diesel::sql_types::Nullable<$st>,
                Self,
            >;
            fn as_expression(self) -> Self::Expression {
                ::diesel::internal::derives::as_expression::Bound::new(self)
            }
        }
        impl<__DB> ::diesel::serialize::ToSql<::diesel::sql_types::Nullable<$st>, __DB> for $rust
        where
            __DB: ::diesel::backend::Backend,
            Self: ::diesel::serialize::ToSql<$st, __DB>,
        {
            fn to_sql<'__b>(
                &'__b self,
                out: &mut ::diesel::serialize::Output<'__b, '_, __DB>,
            ) -> ::diesel::serialize::Result {
                ::diesel::serialize::ToSql::<$st, __DB>::to_sql(self, out)
            }
        }
        impl<__DB> ::diesel::deserialize::Queryable<$st, __DB> for $rust
        where
            __DB: ::diesel::backend::Backend,
            Self: ::diesel::deserialize::FromSql<$st, __DB>,
        {
            type Row = Self;
            fn build(row: Self) -> ::diesel::deserialize::Result<Self> {
                Ok(row)
            }
        }
    };
}

__impl_sql_value!(crate::values::Uuid => Uuid);
__impl_sql_value!(crate::values::Json => Json);
__impl_sql_value!(crate::values::IpAddress => IpAddress);
__impl_sql_value!(crate::values::Decimal => Decimal);
__impl_sql_value!(crate::values::DateTimeUtc => TimestampUtc);

/// Text representations shared by SQLite and MySQL, where all three types are stored as
/// text.
#[cfg(any(feature = "sqlite", feature = "mysql"))]
mod text_repr {
    use crate::values::{IpAddress, Json, Uuid};
    use diesel::deserialize;

    pub(super) trait TextRepr: Sized {
        fn to_text(&self) -> String;
        fn from_text(text: &str) -> deserialize::Result<Self>;
    }

    impl TextRepr for Uuid {
        fn to_text(&self) -> String {
            self.0.hyphenated().to_string()
        }
        fn from_text(text: &str) -> deserialize::Result<Self> {
            Ok(Uuid(text.trim().parse()?))
        }
    }

    impl TextRepr for Json {
        fn to_text(&self) -> String {
            self.0.to_string()
        }
        fn from_text(text: &str) -> deserialize::Result<Self> {
            Ok(Json(serde_json::from_str(text)?))
        }
    }

    impl TextRepr for IpAddress {
        fn to_text(&self) -> String {
            self.0.to_string()
        }
        fn from_text(text: &str) -> deserialize::Result<Self> {
            Ok(IpAddress(text.trim().parse()?))
        }
    }
}

/// `ToSql` and `FromSql` on the backend `$db`, whose raw values are `$value`, for the
/// values stored as text (UUIDs, JSON, IP addresses), through their `TextRepr`: written
/// by the calling module's `write_text`, read as `Text`.
#[cfg(any(feature = "sqlite", feature = "mysql"))]
macro_rules! text_backed {
    ($db:ty, $value:ty) => {
        text_backed!($db, $value: crate::values::Uuid => Uuid);
        text_backed!($db, $value: crate::values::Json => Json);
        text_backed!($db, $value: crate::values::IpAddress => IpAddress);
    };
    ($db:ty, $value:ty: $rust:ty => $st:ty) => {
        impl ToSql<$st, $db> for $rust {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, $db>) -> serialize::Result {
                write_text(out, self.to_text())
            }
        }
        impl FromSql<$st, $db> for $rust {
            fn from_sql(value: $value) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, $db>>::from_sql(value)?;
                <$rust as TextRepr>::from_text(&text)
            }
        }
    };
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::text_repr::TextRepr;
    use super::{IpAddress, Json, Uuid};
    use diesel::deserialize::{self, FromSql};
    use diesel::serialize::{self, IsNull, Output, ToSql};
    use diesel::sql_types::Text;
    use diesel::sqlite::{Sqlite, SqliteValue};

    /// Binds `text` as SQLite text.
    fn write_text(out: &mut Output<'_, '_, Sqlite>, text: String) -> serialize::Result {
        out.set_value(text);
        Ok(IsNull::No)
    }
    text_backed!(Sqlite, SqliteValue<'_, '_, '_>);

    /// Fixed-width UTC text: four-digit years (others are refused, as they would not sort
    /// as text), six fractional digits.
    impl ToSql<super::TimestampUtc, Sqlite> for crate::values::DateTimeUtc {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
            use chrono::Datelike;
            let utc = super::to_micros(self);
            if !(0..=9999).contains(&utc.year()) {
                return Err(format!(
                    "{self} is outside the years 0 to 9999 that SQLite's UTC text holds in order"
                )
                .into());
            }
            out.set_value(utc.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string());
            Ok(IsNull::No)
        }
    }

    /// diesel's reading of `TimestamptzSqlite` text (any offset, or none: UTC).
    impl FromSql<super::TimestampUtc, Sqlite> for crate::values::DateTimeUtc {
        fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
            type Utc = chrono::DateTime<chrono::Utc>;
            let at =
                <Utc as FromSql<diesel::sql_types::TimestamptzSqlite, Sqlite>>::from_sql(value)?;
            Ok(crate::values::DateTimeUtc(at))
        }
    }

    /// The most significant digits a decimal may have on SQLite: a NUMERIC column turns any
    /// well-formed number written as text into an 8-byte float, which keeps 15 exactly.
    const SQLITE_DECIMAL_DIGITS: usize = 15;

    /// Significant digits of `value` (trailing zeros are not significant; 0 has one).
    fn significant_digits(value: &bigdecimal::BigDecimal) -> usize {
        let (mantissa, _) = value.normalized().as_bigint_and_exponent();
        mantissa.magnitude().to_string().len()
    }

    /// Refuses a value SQLite would round: its NUMERIC affinity converts the bound text to
    /// a float, so a 16th significant digit would not read back as written (found by the
    /// round-trip property in tests/reliability_props.rs: `-33932015852.352456` came back
    /// as `...455`, and `999999999999.999999` as `1000000000000`).
    impl ToSql<super::Decimal, Sqlite> for crate::values::Decimal {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
            let digits = significant_digits(&self.0);
            if digits > SQLITE_DECIMAL_DIGITS {
                return Err(format!(
                    "{} has {digits} significant digits; SQLite stores decimals as 8-byte \
                     floats and keeps only {SQLITE_DECIMAL_DIGITS} exactly",
                    self.0
                )
                .into());
            }
            out.set_value(self.0.to_string());
            Ok(IsNull::No)
        }
    }

    /// SQLite hands back an INTEGER, a REAL (at most 15 significant digits, which the
    /// shortest round-trip formatting of the f64 recovers) or TEXT (longer values).
    impl FromSql<super::Decimal, Sqlite> for crate::values::Decimal {
        fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
            use diesel::sql_types::{BigInt, Double};
            use diesel::sqlite::SqliteType;
            let text = match value.value_type() {
                Some(SqliteType::Double) => {
                    let x = <f64 as FromSql<Double, Sqlite>>::from_sql(value)?;
                    if !x.is_finite() {
                        return Err(format!("{x} is not a decimal number").into());
                    }
                    format!("{x}")
                }
                Some(SqliteType::Long) => {
                    <i64 as FromSql<BigInt, Sqlite>>::from_sql(value)?.to_string()
                }
                _ => <String as FromSql<Text, Sqlite>>::from_sql(value)?,
            };
            Ok(crate::values::Decimal(text.trim().parse()?))
        }
    }
}

/// MySQL's and MariaDB's impls, the same on both (diesel's `Mysql` and `Mariadb` backends
/// share their value type and their chrono and decimal impls).
macro_rules! mysql_like {
    ($module:ident, $db:ty) => {
        #[cfg(feature = "mysql")]
        mod $module {
            use super::text_repr::TextRepr;
            use super::{IpAddress, Json, Uuid};
            use diesel::deserialize::{self, FromSql};
            use diesel::mysql_like::MysqlValue;
            use diesel::serialize::{self, IsNull, Output, ToSql};
            use diesel::sql_types::{Datetime, Numeric, Text};
            use std::io::Write;

            type Db = $db;

            /// Writes `text` as the bytes of a MySQL string.
            fn write_text(out: &mut Output<'_, '_, Db>, text: String) -> serialize::Result {
                out.write_all(text.as_bytes())?;
                Ok(IsNull::No)
            }
            text_backed!(Db, MysqlValue<'_>);

            /// The UTC date and time in a `DATETIME(6)`: no session time zone applies to it.
            impl ToSql<super::TimestampUtc, Db> for crate::values::DateTimeUtc {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Db>) -> serialize::Result {
                    <chrono::NaiveDateTime as ToSql<Datetime, Db>>::to_sql(
                        &super::to_micros(self),
                        &mut out.reborrow(),
                    )
                }
            }

            impl FromSql<super::TimestampUtc, Db> for crate::values::DateTimeUtc {
                fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
                    let utc = <chrono::NaiveDateTime as FromSql<Datetime, Db>>::from_sql(value)?;
                    Ok(crate::values::DateTimeUtc(utc.and_utc()))
                }
            }

            impl ToSql<super::Decimal, Db> for crate::values::Decimal {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Db>) -> serialize::Result {
                    <bigdecimal::BigDecimal as ToSql<Numeric, Db>>::to_sql(&self.0, out)
                }
            }

            impl FromSql<super::Decimal, Db> for crate::values::Decimal {
                fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
                    let d = <bigdecimal::BigDecimal as FromSql<Numeric, Db>>::from_sql(value)?;
                    Ok(crate::values::Decimal(d))
                }
            }
        }
    };
}
mysql_like!(mysql, diesel::mysql::Mysql);
mysql_like!(mariadb, diesel::mariadb::Mariadb);

#[cfg(feature = "postgres")]
mod pg {
    use super::{IpAddress, Json, Uuid};
    use crate::values;
    use diesel::deserialize::{self, FromSql};
    use diesel::pg::{Pg, PgValue};
    use diesel::serialize::{self, IsNull, Output, ToSql};
    use std::io::Write;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    impl ToSql<Uuid, Pg> for values::Uuid {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            out.write_all(self.0.as_bytes())?;
            Ok(IsNull::No)
        }
    }

    impl FromSql<Uuid, Pg> for values::Uuid {
        fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
            Ok(values::Uuid(uuid::Uuid::from_slice(value.as_bytes())?))
        }
    }

    /// jsonb's binary format: a version byte (1), then the JSON text.
    impl ToSql<Json, Pg> for values::Json {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            out.write_all(&[1])?;
            serde_json::to_writer(out, &self.0)?;
            Ok(IsNull::No)
        }
    }

    impl FromSql<Json, Pg> for values::Json {
        fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
            match value.as_bytes() {
                [1, json @ ..] => Ok(values::Json(serde_json::from_slice(json)?)),
                _ => Err("unsupported jsonb encoding version".into()),
            }
        }
    }

    type Utc = chrono::DateTime<chrono::Utc>;

    impl ToSql<super::TimestampUtc, Pg> for values::DateTimeUtc {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            <Utc as ToSql<diesel::sql_types::Timestamptz, Pg>>::to_sql(&self.0, out)
        }
    }

    impl FromSql<super::TimestampUtc, Pg> for values::DateTimeUtc {
        fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
            let at = <Utc as FromSql<diesel::sql_types::Timestamptz, Pg>>::from_sql(value)?;
            Ok(values::DateTimeUtc(at))
        }
    }

    impl ToSql<super::Decimal, Pg> for values::Decimal {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            <bigdecimal::BigDecimal as ToSql<diesel::sql_types::Numeric, Pg>>::to_sql(&self.0, out)
        }
    }

    impl FromSql<super::Decimal, Pg> for values::Decimal {
        fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
            let d = <bigdecimal::BigDecimal as FromSql<diesel::sql_types::Numeric, Pg>>::from_sql(
                value,
            )?;
            Ok(values::Decimal(d))
        }
    }

    // inet's binary format: family (2 = IPv4, 3 = IPv6), netmask bits, is_cidr, address
    // length, address bytes.
    const PGSQL_AF_INET: u8 = 2;
    const PGSQL_AF_INET6: u8 = 3;

    impl ToSql<IpAddress, Pg> for values::IpAddress {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            match self.0 {
                IpAddr::V4(v4) => {
                    out.write_all(&[PGSQL_AF_INET, 32, 0, 4])?;
                    out.write_all(&v4.octets())?;
                }
                IpAddr::V6(v6) => {
                    out.write_all(&[PGSQL_AF_INET6, 128, 0, 16])?;
                    out.write_all(&v6.octets())?;
                }
            }
            Ok(IsNull::No)
        }
    }

    impl FromSql<IpAddress, Pg> for values::IpAddress {
        fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
            match value.as_bytes() {
                [PGSQL_AF_INET, _, _, 4, a @ ..] if a.len() == 4 => Ok(values::IpAddress(
                    IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3])),
                )),
                [PGSQL_AF_INET6, _, _, 16, a @ ..] if a.len() == 16 => {
                    let octets: [u8; 16] = a.try_into()?;
                    Ok(values::IpAddress(IpAddr::V6(Ipv6Addr::from(octets))))
                }
                _ => Err("invalid inet value".into()),
            }
        }
    }
}
