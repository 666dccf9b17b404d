//! The `Model` trait that `#[derive(Model)]` implements.

use crate::meta::ModelMeta;

/// A struct declared with `#[derive(Model)]`: one table, with typed diesel columns in the
/// module named after the table, and static metadata.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an orm model",
    label = "not a model",
    note = "add `#[derive(Model)]` to `{Self}`"
)]
pub trait Model: Sized + 'static {
    /// The diesel table (`notes::table`).
    type Table: diesel::Table + Default + Copy + Send + Sync + 'static;
    /// The Rust type of the primary key.
    type PrimaryKey: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static;
    /// The SQL type of the primary key (what a foreign key to this model stores).
    type PrimaryKeySql: diesel::sql_types::SqlType + diesel::sql_types::SingleValue + 'static;
    /// The insert form (`NewNote`): required fields required, the others optional.
    type Insert: InsertForm<Model = Self>;
    /// The change set (`NoteChanges`): every field optional.
    type Changes: ChangeSet<Model = Self>;

    /// The field kind of the primary key (what a foreign key to this model stores).
    const PRIMARY_KEY_KIND: crate::meta::FieldKind;

    /// The model's static metadata.
    fn meta() -> &'static ModelMeta;

    /// This instance's primary-key value.
    fn pk(&self) -> &Self::PrimaryKey;

    /// The value of the field with Rust name `field` as text a by-name lookup converts
    /// back to the same value ([`FieldText`](crate::FieldText)); `None` when it is NULL,
    /// JSON, or not a field. `#[derive(Model)]` implements it; keyset pages read their
    /// cursors with it.
    fn field_text(&self, field: &str) -> Option<String> {
        let _ = field;
        None
    }
}

/// The values a create supplies: checked by [`InsertForm::validate`] before anything is
/// written.
pub trait InsertForm: Sized {
    /// The model this form creates.
    type Model: Model;
    /// Checks every validator of every supplied field and reports every failure at once.
    fn validate(&self) -> Result<(), crate::validate::ValidationError>;

    /// Fills every field left out whose default is a function (for example a UUID primary
    /// key's `Uuid::new_v4`), so the value is known before the row is written.
    fn apply_defaults(&mut self);
}

/// A set of changes to apply to existing rows: every field optional, checked by
/// [`ChangeSet::validate`] before anything is written.
pub trait ChangeSet: Sized {
    /// The model these changes apply to.
    type Model: Model;
    /// Checks every validator of every supplied field and reports every failure at once.
    fn validate(&self) -> Result<(), crate::validate::ValidationError>;
}

/// A Rust type a model field can have. Implemented for every supported type; the derive
/// checks each field against it so a wrong type reads as one clear error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a field type orm can store",
    label = "unsupported field type",
    note = "supported: i16, i32, i64, f32, f64, bool, String, Vec<u8>, orm::Decimal, chrono::NaiveDate, chrono::NaiveDateTime, chrono::NaiveTime, orm::DateTimeUtc, orm::Uuid, orm::Json, orm::IpAddress, orm::ForeignKey<M>, enums with #[derive(DbEnum)], and Option<T> of these",
    note = "for uuid::Uuid, serde_json::Value, std::net::IpAddr, bigdecimal::BigDecimal and chrono::DateTime<Utc> use the newtypes orm::Uuid, orm::Json, orm::IpAddress, orm::Decimal and orm::DateTimeUtc"
)]
pub trait FieldType {}

macro_rules! field_types {
    ($($ty:ty),* $(,)?) => {$( impl FieldType for $ty {} )*};
}

crate::field_text::displayed_types!(field_types);
field_types!(Vec<u8>, crate::values::DateTimeUtc, crate::values::Json);

impl<M: Model<PrimaryKey = K>, K> FieldType for crate::foreign_key::ForeignKey<M, K> {}
impl<T: crate::db_enum::DbEnum> FieldType for T {}

/// Compile-time check used by the derive: `K` must be `M`'s primary-key type.
#[doc(hidden)]
pub fn assert_foreign_key<M: Model<PrimaryKey = K>, K>() {}

/// A field type that references `M`: `ForeignKey<M, K>`, nullable or not.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`related(.. = Model.field)`: the field is a `{Self}`, not a foreign key to `{M}`",
    label = "not a `ForeignKey<{M}>`"
)]
pub trait References<M> {}
impl<M: Model<PrimaryKey = K>, K> References<M> for crate::foreign_key::ForeignKey<M, K> {}
impl<M: Model<PrimaryKey = K>, K> References<M> for Option<crate::foreign_key::ForeignKey<M, K>> {}

/// Compile-time check used by the derive: a `related(name = Model.field)` field must be
/// a foreign key to `M`.
#[doc(hidden)]
pub fn assert_references<M, F: References<M>>(_field: &F) {}

/// A field type that is a foreign key to some model: `ForeignKey<M, K>`, nullable or not.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`many_to_many(.. = Through.field)`: the field is a `{Self}`, not a foreign key",
    label = "not a `ForeignKey<..>`"
)]
pub trait IsForeignKey {}
impl<M: Model<PrimaryKey = K>, K> IsForeignKey for crate::foreign_key::ForeignKey<M, K> {}
impl<M: Model<PrimaryKey = K>, K> IsForeignKey for Option<crate::foreign_key::ForeignKey<M, K>> {}

/// Compile-time check used by the derive: a `many_to_many(name = Through.field)` field
/// must be a foreign key.
#[doc(hidden)]
pub fn assert_is_foreign_key<F: IsForeignKey>(_field: &F) {}

/// Compile-time check used by the derive: `T` must be a [`FieldType`].
#[doc(hidden)]
pub fn assert_field_type<T: FieldType + ?Sized>() {}
