//! [`DbEnum`]: a Rust enum stored in a column by variant name.

/// A fieldless Rust enum stored as text, by variant name. Implement it with
/// `#[derive(DbEnum)]`, which also makes the enum bindable and loadable as a column value.
///
/// The column is a VARCHAR with a CHECK constraint listing [`DbEnum::VARIANTS`], so the
/// database refuses any other value.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a column",
    label = "not a field type orm knows",
    note = "orm stores i16, i32, i64, f32, f64, bool, String, Vec<u8>, chrono's NaiveDate/NaiveDateTime/NaiveTime, chrono::DateTime<Utc> (as orm::DateTimeUtc), serde_json::Value, uuid::Uuid, bigdecimal::BigDecimal, std::net::IpAddr, ForeignKey<M>, and enums with `#[derive(DbEnum)]`"
)]
pub trait DbEnum: Sized + Copy + 'static {
    /// The stored names, in declaration order.
    const VARIANTS: &'static [&'static str];

    /// The stored name of this variant.
    fn as_str(&self) -> &'static str;

    /// The variant stored as `name`, if any.
    fn from_name(name: &str) -> Option<Self>;
}

/// Whether `name` is one of `variants`; usable in constants, so that the derive turns an
/// enum field's `default = "Name"` that names no variant into a compile error.
///
/// ```
/// assert!(orm_schema::db_enum::names_a_variant(&["Low", "High"], "High"));
/// assert!(!orm_schema::db_enum::names_a_variant(&["Low", "High"], "high"));
/// ```
pub const fn names_a_variant(variants: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < variants.len() {
        if crate::meta::same_name(variants[i], name) {
            return true;
        }
        i += 1;
    }
    false
}
