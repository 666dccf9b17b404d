//! The column type each field kind gets on each backend.

use crate::backend::Backend;
use crate::meta::{FieldKind, FieldMeta};

/// Default length of an e-mail column (RFC 5321's path limit).
pub(crate) const EMAIL_MAX_LENGTH: u32 = 254;
/// Default length of a URL column.
pub(crate) const URL_MAX_LENGTH: u32 = 2048;

/// The SQL type of `field`'s column on `backend`.
///
/// PostgreSQL gets native UUID, INET, JSONB and TIMESTAMPTZ; SQLite and MySQL get
/// portable types (CHAR(36), VARCHAR(45), TEXT/JSON, UTC in DATETIME(6) or text). A foreign key takes the type of the primary key it
/// references.
///
/// ```
/// use orm_schema::{ddl::column_type, Backend, FieldKind, FieldMeta};
/// let price = FieldMeta::new("price", FieldKind::Decimal { max_digits: 10, decimal_places: 2 });
/// assert_eq!(column_type(&price, Backend::Mysql), "DECIMAL(10, 2)");
/// ```
pub fn column_type(field: &FieldMeta, backend: Backend) -> String {
    // A key takes its target's key type (metadata without a primary key, which `plan`
    // refuses, keeps the field's own kind).
    if let Some(pk) = field
        .foreign_key
        .as_ref()
        .and_then(|fk| (fk.target)().primary_key())
    {
        return column_type(pk, backend);
    }
    use Backend::*;
    let max_length = field.validators.max_length;
    match (field.kind, backend) {
        (FieldKind::SmallInteger, _) => "SMALLINT".into(),
        (FieldKind::Integer, _) => "INTEGER".into(),
        (FieldKind::BigInteger, _) => "BIGINT".into(),
        (FieldKind::Float, Sqlite) => "REAL".into(),
        (FieldKind::Float, Postgres) => "DOUBLE PRECISION".into(),
        (FieldKind::Float, Mysql) => "DOUBLE".into(),
        (FieldKind::Real, Mysql) => "FLOAT".into(),
        (FieldKind::Real, _) => "REAL".into(),
        (FieldKind::Boolean, _) => "BOOLEAN".into(),
        (FieldKind::String, _) => format!("VARCHAR({})", max_length.unwrap_or(255)),
        (FieldKind::Email, _) => format!("VARCHAR({})", max_length.unwrap_or(EMAIL_MAX_LENGTH)),
        (FieldKind::Url, _) => format!("VARCHAR({})", max_length.unwrap_or(URL_MAX_LENGTH)),
        (FieldKind::Text, Mysql) => "LONGTEXT".into(),
        (FieldKind::Text, _) => "TEXT".into(),
        (
            FieldKind::Decimal {
                max_digits,
                decimal_places,
            },
            Mysql,
        ) => format!("DECIMAL({max_digits}, {decimal_places})"),
        (
            FieldKind::Decimal {
                max_digits,
                decimal_places,
            },
            _,
        ) => format!("NUMERIC({max_digits}, {decimal_places})"),
        (FieldKind::Date, _) => "DATE".into(),
        (FieldKind::DateTime, Mysql) => "DATETIME(6)".into(),
        (FieldKind::DateTime, _) => "TIMESTAMP".into(),
        // UTC on every backend: TIMESTAMPTZ; DATETIME(6) (MySQL's TIMESTAMP ends in 2038
        // and converts through the session's time zone); fixed-width text on SQLite.
        (FieldKind::DateTimeUtc, Postgres) => "TIMESTAMPTZ".into(),
        (FieldKind::DateTimeUtc, Mysql) => "DATETIME(6)".into(),
        (FieldKind::DateTimeUtc, Sqlite) => "TEXT".into(),
        (FieldKind::Bytes, Postgres) => "BYTEA".into(),
        (FieldKind::Bytes, Mysql) => "LONGBLOB".into(),
        (FieldKind::Bytes, Sqlite) => "BLOB".into(),
        (FieldKind::Time, Mysql) => "TIME(6)".into(),
        (FieldKind::Time, _) => "TIME".into(),
        (FieldKind::Json, Postgres) => "JSONB".into(),
        (FieldKind::Json, Mysql) => "LONGTEXT".into(),
        (FieldKind::Json, Sqlite) => "TEXT".into(),
        (FieldKind::Uuid, Postgres) => "UUID".into(),
        (FieldKind::Uuid, _) => "CHAR(36)".into(),
        (FieldKind::Enum { variants }, _) => {
            let longest = variants
                .iter()
                .map(|v| v.chars().count())
                .max()
                .unwrap_or(1);
            format!("VARCHAR({})", longest.max(1))
        }
        (FieldKind::IpAddress, Postgres) => "INET".into(),
        (FieldKind::IpAddress, _) => "VARCHAR(45)".into(),
    }
}
