//! serde support (the `serde` feature): the value newtypes, enums stored by name and
//! [`ForeignKey`] serialise as JSON users expect.
//!
//! - [`Uuid`] and [`IpAddress`]: their text (`"2001:db8::7"`).
//! - [`Decimal`]: its exact text (`"12.345"`); numbers are accepted on the way in.
//! - [`Json`]: the document itself.
//! - [`DateTimeUtc`]: RFC 3339 in UTC (`"2026-12-06T04:05:06.000789Z"`); any offset is
//!   accepted on the way in.
//! - an enum with `#[derive(DbEnum)]`: its stored name (`"Air"`).
//! - [`ForeignKey`]: its key when sparse, the nested row when loaded (the row must be
//!   `Serialize`); either is accepted on the way in, a row giving a loaded handle.
//! - [`Related`]: the list of rows when loaded, `null` when not; either on the way in.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::foreign_key::ForeignKey;
use crate::model::Model;
use crate::related::Related;
use crate::values::{DateTimeUtc, Decimal, IpAddress, Json, Uuid};

impl Serialize for Uuid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Uuid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse()
            .map(Uuid)
            .map_err(|_| de::Error::invalid_value(de::Unexpected::Str(&text), &"a UUID"))
    }
}

impl Serialize for IpAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for IpAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        std::net::IpAddr::deserialize(d).map(IpAddress)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(Json)
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number (as text, or a number)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
                v.parse()
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
                Ok(Decimal(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
                Ok(Decimal(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
                // The shortest text that reads back as `v`: what the sender wrote.
                self.visit_str(&v.to_string())
            }
        }
        d.deserialize_any(Text)
    }
}

impl Serialize for DateTimeUtc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

impl<'de> Deserialize<'de> for DateTimeUtc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(|_| {
            de::Error::invalid_value(de::Unexpected::Str(&text), &"an RFC 3339 date and time")
        })
    }
}

/// A foreign key as serde reads it: a key, or a row of the referenced model.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a foreign key: the referenced row's primary key or the row itself"
)]
enum KeyOrRow<K, M> {
    Key(K),
    Row(M),
}

impl<M, K> Serialize for ForeignKey<M, K>
where
    M: Model<PrimaryKey = K> + Serialize,
    K: Clone + Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.get() {
            Some(row) => row.serialize(s),
            None => self.pk().serialize(s),
        }
    }
}

impl<'de, M, K> Deserialize<'de> for ForeignKey<M, K>
where
    M: Model<PrimaryKey = K> + Deserialize<'de>,
    K: Clone + Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match KeyOrRow::<K, M>::deserialize(d)? {
            KeyOrRow::Key(key) => ForeignKey::new(key),
            KeyOrRow::Row(row) => ForeignKey::from_model(row),
        })
    }
}

impl<M: Serialize> Serialize for Related<M> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.get().serialize(s)
    }
}

impl<'de, M: Deserialize<'de>> Deserialize<'de> for Related<M> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut related = Related::new();
        if let Some(rows) = Option::<Vec<M>>::deserialize(d)? {
            related.set(rows);
        }
        Ok(related)
    }
}

/// Serialises an enum stored by name as its name ([`crate::DbEnum::as_str`]).
#[doc(hidden)]
pub fn serialize_db_enum<T: crate::DbEnum, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_str())
}

/// Reads an enum stored by name from its name; any other text is an error listing the
/// names.
#[doc(hidden)]
pub fn deserialize_db_enum<'de, T: crate::DbEnum, D: Deserializer<'de>>(
    d: D,
) -> Result<T, D::Error> {
    let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    T::from_name(&name).ok_or_else(|| {
        de::Error::custom(format!("`{name}` is not one of {}", T::VARIANTS.join(", ")))
    })
}

/// The serde impls of an enum stored by name, written by `#[derive(DbEnum)]`: with the
/// `serde` feature, its name both ways.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_db_enum_serde {
    ($ty:ty) => {
        impl $crate::__serde::Serialize for $ty {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                $crate::serde_impls::serialize_db_enum(self, s)
            }
        }
        impl<'de> $crate::__serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::serde_impls::deserialize_db_enum(d)
            }
        }
    };
}
