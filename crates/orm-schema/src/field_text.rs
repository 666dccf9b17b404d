//! [`FieldText`]: a field's value as the text a by-name lookup parses back into the same
//! value (what a keyset cursor carries from a loaded row to the next query).

use crate::db_enum::DbEnum;
use crate::foreign_key::ForeignKey;
use crate::model::Model;
use crate::values::{DateTimeUtc, Json};

/// A field value written as text that converts back to the same value for its field kind
/// (numbers, booleans, dates and times in ISO form, a UTC instant in RFC 3339, bytes in
/// hexadecimal, enums by variant name, a foreign key as its key). `None` for NULL and for
/// JSON, which has no lookup value.
pub trait FieldText {
    /// The value as text, or `None`.
    fn field_text(&self) -> Option<String>;
}

macro_rules! displayed {
    ($($ty:ty),* $(,)?) => {$(
        impl FieldText for $ty {
            fn field_text(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}

/// Calls the macro `$m` with every field type whose `Display` text parses back to the same
/// value (so its [`FieldText`] is that text); the list of field types
/// ([`FieldType`](crate::model::FieldType)) starts from it.
macro_rules! displayed_types {
    ($m:ident) => {
        $m!(
            i16,
            i32,
            i64,
            f32,
            f64,
            bool,
            String,
            chrono::NaiveDate,
            chrono::NaiveDateTime,
            chrono::NaiveTime,
            $crate::values::Uuid,
            $crate::values::IpAddress,
            $crate::values::Decimal,
        );
    };
}
pub(crate) use displayed_types;

// `f64`'s and `f32`'s `Display` is the shortest text that parses back to the same number;
// `NaiveDateTime`'s and `NaiveTime`'s keep every fractional digit.
displayed_types!(displayed);

/// RFC 3339 in UTC with every fractional digit: `2026-12-06T04:05:06.000789Z`.
impl FieldText for DateTimeUtc {
    fn field_text(&self) -> Option<String> {
        Some(self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

/// Two lowercase hexadecimal digits per byte: `00ff`.
impl FieldText for Vec<u8> {
    fn field_text(&self) -> Option<String> {
        use std::fmt::Write;
        let mut text = String::with_capacity(self.len() * 2);
        for byte in self {
            let _ = write!(text, "{byte:02x}");
        }
        Some(text)
    }
}

impl FieldText for Json {
    fn field_text(&self) -> Option<String> {
        None
    }
}

impl<T: DbEnum> FieldText for T {
    fn field_text(&self) -> Option<String> {
        Some(self.as_str().to_string())
    }
}

impl<T: FieldText> FieldText for Option<T> {
    fn field_text(&self) -> Option<String> {
        self.as_ref().and_then(FieldText::field_text)
    }
}

impl<M: Model<PrimaryKey = K>, K: FieldText + Clone> FieldText for ForeignKey<M, K> {
    fn field_text(&self) -> Option<String> {
        self.pk().field_text()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_as_their_lookups_parse_them() {
        assert_eq!(0.1f64.field_text().as_deref(), Some("0.1"));
        assert_eq!((-7i64).field_text().as_deref(), Some("-7"));
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 6)
            .unwrap()
            .and_hms_micro_opt(4, 5, 6, 789)
            .unwrap();
        assert_eq!(
            at.field_text().as_deref(),
            Some("2026-12-06 04:05:06.000789")
        );
        assert_eq!(
            DateTimeUtc(at.and_utc()).field_text().as_deref(),
            Some("2026-12-06T04:05:06.000789Z")
        );
        assert_eq!(vec![0u8, 255, 16].field_text().as_deref(), Some("00ff10"));
        assert_eq!(0.1f32.field_text().as_deref(), Some("0.1"));
        assert_eq!(None::<i32>.field_text(), None);
        assert_eq!(Some(3i32).field_text().as_deref(), Some("3"));
    }
}
