//! The rows of a by-name projection: [`Cell`] (one value), [`Record`] (named values that
//! convert to `serde_json::Value`), and how a row is read from any backend.
//!
//! Which Rust type a column is read as is fixed when the selection is checked (the field's
//! kind, or the aggregate's type) and travels to the row reader in the column's alias
//! (`__orm_c3_dec`): the reader has no other context, and the alias holds nothing from the
//! caller. Each value is then read with the very `FromSql` a typed query uses.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, QueryableByName};
use diesel::row::{Field, NamedRow};
use diesel::sql_types as st;
use orm_schema::sql_types as ot;
use orm_schema::{Decimal, FieldKind, IpAddress, Json, Uuid};

/// One value of a [`Record`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Cell {
    /// SQL NULL (a nullable field, or an aggregate over no rows).
    Null,
    /// An integer: SmallInteger, Integer and BigInteger fields, counts, sums of integers.
    Int(i64),
    /// Float fields, and sums, averages, minimums and maximums of them.
    Float(f64),
    /// Real fields, and their minimums and maximums.
    Real(f32),
    /// Boolean fields.
    Bool(bool),
    /// String, Text, Email, URL and enum fields.
    Text(String),
    /// Decimal fields, their sums, and averages of integers and decimals.
    Decimal(Decimal),
    /// Date fields.
    Date(NaiveDate),
    /// DateTime fields.
    DateTime(NaiveDateTime),
    /// DateTimeUtc fields.
    DateTimeUtc(DateTime<Utc>),
    /// Time fields.
    Time(NaiveTime),
    /// Bytes fields.
    Bytes(Vec<u8>),
    /// UUID fields.
    Uuid(Uuid),
    /// JSON fields.
    Json(Json),
    /// IP address fields.
    Ip(IpAddress),
}

impl Cell {
    /// The value as JSON: numbers as numbers (a Real as the number its shortest text
    /// spells), a decimal as its exact text (a JSON number would round it), dates and
    /// times in ISO 8601 (a UTC instant in RFC 3339, `...Z`), UUIDs and addresses as
    /// text, bytes as an array of numbers (as serde writes a `Vec<u8>`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Cell::Null => J::Null,
            Cell::Int(v) => J::from(*v),
            Cell::Float(v) => J::from(*v),
            Cell::Real(v) => J::from(v.to_string().parse::<f64>().unwrap_or(f64::from(*v))),
            Cell::Bool(v) => J::Bool(*v),
            Cell::Text(v) => J::String(v.clone()),
            Cell::Decimal(v) => J::String(v.0.to_string()),
            Cell::Date(v) => J::String(v.to_string()),
            Cell::DateTime(v) => J::String(v.format("%Y-%m-%dT%H:%M:%S%.f").to_string()),
            Cell::DateTimeUtc(v) => {
                J::String(v.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            }
            Cell::Time(v) => J::String(v.to_string()),
            Cell::Bytes(v) => J::from(v.clone()),
            Cell::Uuid(v) => J::String(v.0.to_string()),
            Cell::Json(v) => v.0.clone(),
            Cell::Ip(v) => J::String(v.0.to_string()),
        }
    }
}

/// One row of a by-name projection or aggregate: values under the names they were asked
/// for (`"album__name"`, `"n"`), in that order.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    names: Arc<[String]>,
    values: Vec<Cell>,
}

impl Record {
    pub(crate) fn new(names: Arc<[String]>, values: Vec<Cell>) -> Self {
        Record { names, values }
    }

    /// The value named `name`, if the record has it.
    pub fn get(&self, name: &str) -> Option<&Cell> {
        let i = self.names.iter().position(|n| n == name)?;
        self.values.get(i)
    }

    /// The names, in the order asked for.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The values, in the order of [`names`](Record::names).
    pub fn values(&self) -> &[Cell] {
        &self.values
    }

    /// The values, without the names (a `values_list` row).
    pub fn into_values(self) -> Vec<Cell> {
        self.values
    }

    /// The record as a JSON object (`{"id": 3, "album__name": "Blue"}`); see
    /// [`Cell::to_json`].
    pub fn to_json(&self) -> serde_json::Value {
        let object = self
            .names
            .iter()
            .zip(&self.values)
            .map(|(name, value)| (name.clone(), value.to_json()))
            .collect::<serde_json::Map<_, _>>();
        serde_json::Value::Object(object)
    }
}

impl From<Record> for serde_json::Value {
    fn from(record: Record) -> Self {
        record.to_json()
    }
}

/// The Rust type a selected column is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(hidden)]
pub enum Read {
    SmallInt,
    Int,
    BigInt,
    Real,
    Float,
    Bool,
    Text,
    Decimal,
    Date,
    DateTime,
    DateTimeUtc,
    Time,
    Bytes,
    Uuid,
    Json,
    Ip,
}

impl Read {
    /// How a field of `kind` is read.
    pub(crate) fn of(kind: FieldKind) -> Read {
        match kind {
            FieldKind::SmallInteger => Read::SmallInt,
            FieldKind::Integer => Read::Int,
            FieldKind::BigInteger => Read::BigInt,
            FieldKind::Real => Read::Real,
            FieldKind::Float => Read::Float,
            FieldKind::Boolean => Read::Bool,
            FieldKind::Decimal { .. } => Read::Decimal,
            FieldKind::Date => Read::Date,
            FieldKind::DateTime => Read::DateTime,
            FieldKind::DateTimeUtc => Read::DateTimeUtc,
            FieldKind::Time => Read::Time,
            FieldKind::Bytes => Read::Bytes,
            FieldKind::Json => Read::Json,
            FieldKind::Uuid => Read::Uuid,
            FieldKind::IpAddress => Read::Ip,
            FieldKind::String
            | FieldKind::Text
            | FieldKind::Email
            | FieldKind::Url
            | FieldKind::Enum { .. } => Read::Text,
        }
    }

    const ALL: [(Read, &'static str); 16] = [
        (Read::SmallInt, "smallint"),
        (Read::Int, "int"),
        (Read::BigInt, "bigint"),
        (Read::Real, "real"),
        (Read::Float, "float"),
        (Read::Bool, "bool"),
        (Read::Text, "text"),
        (Read::Decimal, "dec"),
        (Read::Date, "date"),
        (Read::DateTime, "dt"),
        (Read::DateTimeUtc, "utc"),
        (Read::Time, "time"),
        (Read::Bytes, "bytes"),
        (Read::Uuid, "uuid"),
        (Read::Json, "json"),
        (Read::Ip, "ip"),
    ];

    /// The tag the column's alias ends with.
    pub(crate) fn tag(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(r, _)| *r == self)
            .map_or("text", |(_, tag)| tag)
    }

    /// The reading an alias (`__orm_c3_dec`) names.
    fn from_alias(alias: &str) -> Option<Read> {
        let tag = alias.rsplit('_').next()?;
        Self::ALL.iter().find(|(_, t)| *t == tag).map(|(r, _)| *r)
    }
}

/// A row as read from the database: its cells in column order (the names are added by
/// the terminal operation).
#[derive(Debug)]
pub struct RawRow(pub(crate) Vec<Cell>);

/// A backend that reads every kind of [`Cell`]: each enabled backend, where diesel's and
/// orm's `FromSql` impls for the concrete types are known.
pub trait ReadAll: Backend {
    /// Reads one column's value as `read` says, with the `FromSql` a typed query of that
    /// type uses.
    fn read(value: Self::RawValue<'_>, read: Read) -> deserialize::Result<Cell>;
}

macro_rules! read_all {
    ($($feature:literal => $db:ty),*) => {$(
        #[cfg(feature = $feature)]
        impl ReadAll for $db {
            fn read(v: Self::RawValue<'_>, read: Read) -> deserialize::Result<Cell> {
                Ok(match read {
                    Read::SmallInt => Cell::Int(i64::from(
                        <i16 as FromSql<st::SmallInt, Self>>::from_sql(v)?,
                    )),
                    Read::Real => Cell::Real(<f32 as FromSql<st::Float, Self>>::from_sql(v)?),
                    Read::DateTimeUtc => Cell::DateTimeUtc(
                        <orm_schema::DateTimeUtc as FromSql<ot::TimestampUtc, Self>>::from_sql(v)?.0,
                    ),
                    Read::Bytes => Cell::Bytes(<Vec<u8> as FromSql<st::Binary, Self>>::from_sql(v)?),
                    Read::Int => {
                        Cell::Int(i64::from(<i32 as FromSql<st::Integer, Self>>::from_sql(v)?))
                    }
                    Read::BigInt => Cell::Int(<i64 as FromSql<st::BigInt, Self>>::from_sql(v)?),
                    Read::Float => Cell::Float(<f64 as FromSql<st::Double, Self>>::from_sql(v)?),
                    Read::Bool => Cell::Bool(<bool as FromSql<st::Bool, Self>>::from_sql(v)?),
                    Read::Text => Cell::Text(<String as FromSql<st::Text, Self>>::from_sql(v)?),
                    Read::Decimal => {
                        Cell::Decimal(<Decimal as FromSql<ot::Decimal, Self>>::from_sql(v)?)
                    }
                    Read::Date => Cell::Date(<NaiveDate as FromSql<st::Date, Self>>::from_sql(v)?),
                    Read::DateTime => Cell::DateTime(
                        <NaiveDateTime as FromSql<st::Timestamp, Self>>::from_sql(v)?,
                    ),
                    Read::Time => Cell::Time(<NaiveTime as FromSql<st::Time, Self>>::from_sql(v)?),
                    Read::Uuid => Cell::Uuid(<Uuid as FromSql<ot::Uuid, Self>>::from_sql(v)?),
                    Read::Json => Cell::Json(<Json as FromSql<ot::Json, Self>>::from_sql(v)?),
                    Read::Ip => {
                        Cell::Ip(<IpAddress as FromSql<ot::IpAddress, Self>>::from_sql(v)?)
                    }
                })
            }
        }
    )*};
}

read_all!(
    "sqlite" => diesel::sqlite::Sqlite,
    "postgres" => diesel::pg::Pg,
    "mysql" => diesel::mysql::Mysql,
    "mysql" => diesel::mariadb::Mariadb
);

impl<DB: ReadAll> QueryableByName<DB> for RawRow {
    fn build<'a>(row: &impl NamedRow<'a, DB>) -> deserialize::Result<Self> {
        let mut cells = Vec::with_capacity(row.field_count());
        for i in 0..row.field_count() {
            let field = diesel::row::Row::get(row, i).ok_or("a selected column is missing")?;
            let read = field
                .field_name()
                .and_then(Read::from_alias)
                .ok_or("a selected column has no alias orm gave it")?;
            cells.push(match field.value() {
                Some(value) => DB::read(value, read)?,
                None => Cell::Null,
            });
        }
        Ok(RawRow(cells))
    }
}
