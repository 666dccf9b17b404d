//! Static metadata that `#[derive(Model)]` emits for every model: the table, its fields,
//! their kinds, options, validators and foreign-key targets.
//!
//! Everything here is `'static` data built at compile time, so reading it costs nothing
//! and it can be shared between threads freely.

use std::fmt;

use crate::NameError;

/// Everything orm knows about one model: its table and its fields, in declaration order.
#[derive(Debug)]
pub struct ModelMeta {
    /// The Rust name of the model struct, e.g. `"Note"`.
    pub name: &'static str,
    /// The SQL table name, e.g. `"notes"`.
    pub table: &'static str,
    /// The fields in declaration order; exactly one is the primary key.
    pub fields: &'static [FieldMeta],
    /// The table's previous name (`#[orm(renamed_from = "old")]` on the model): a
    /// migration renames that table instead of creating this one.
    pub renamed_from: Option<&'static str>,
    /// Groups of columns whose values are unique together
    /// (`#[orm(unique_together(order, product))]`), each a `UNIQUE` constraint named
    /// `uq_<table>_<col>_<col>`.
    pub unique_together: &'static [&'static [&'static str]],
    /// Groups of columns indexed together, in order (`#[orm(index_together(a, b))]`), each
    /// an index named `ix_<table>_<col>_<col>`.
    pub index_together: &'static [&'static [&'static str]],
    /// The reverse relations declared on the model (`#[orm(related(tracks = Track))]`):
    /// the rows of other models whose foreign key points at this one, which by-name
    /// filters can follow (`filter_by("tracks__title", ..)`).
    pub related: &'static [RelatedMeta],
}

/// A reverse relation: the rows of `model` whose foreign key points at the model that
/// declares it. `via` names that foreign-key field when `model` has several to this one.
///
/// ```
/// use orm_schema::{FieldKind, FieldMeta, ForeignKeyMeta, ModelMeta, OnDelete, RelatedMeta};
/// static ALBUM_FIELDS: [FieldMeta; 1] =
///     [FieldMeta { primary_key: true, ..FieldMeta::new("id", FieldKind::BigInteger) }];
/// static ALBUM: ModelMeta = ModelMeta {
///     related: &[RelatedMeta { name: "tracks", model: track, via: None, then: None, stored: false }],
///     ..ModelMeta::new("Album", "albums", &ALBUM_FIELDS)
/// };
/// static TRACK_FIELDS: [FieldMeta; 2] = [
///     FieldMeta { primary_key: true, ..FieldMeta::new("id", FieldKind::BigInteger) },
///     FieldMeta {
///         foreign_key: Some(ForeignKeyMeta { target: album, on_delete: OnDelete::Cascade, one_to_one: false }),
///         ..FieldMeta::new("album", FieldKind::BigInteger)
///     },
/// ];
/// static TRACK: ModelMeta = ModelMeta::new("Track", "tracks", &TRACK_FIELDS);
/// fn album() -> &'static ModelMeta { &ALBUM }
/// fn track() -> &'static ModelMeta { &TRACK }
///
/// let (model, key) = ALBUM.related[0].resolve(&ALBUM).unwrap();
/// assert_eq!((model.table, key.column), ("tracks", "album"));
/// ```
#[derive(Debug)]
pub struct RelatedMeta {
    /// The relation's name in by-name paths, e.g. `"tracks"`.
    pub name: &'static str,
    /// The referencing model's metadata.
    pub model: fn() -> &'static ModelMeta,
    /// The referencing model's foreign-key field to use; `None`: its only one to the owner.
    pub via: Option<&'static str>,
    /// For a many-to-many relation, the foreign-key field of `model` (the through model)
    /// that leads on to the related rows (`many_to_many(tracks = PlaylistEntry.track)`:
    /// `Some("track")`); `None` for a plain reverse relation.
    pub then: Option<&'static str>,
    /// Whether the model has a [`Related`](crate::Related) field of this name, which
    /// `prefetch_related` fills.
    pub stored: bool,
}

impl RelatedMeta {
    /// The model whose rows the relation gives an `owner` row: the referencing model, or
    /// for a many-to-many relation the model its `then` field references.
    pub fn target(&self, owner: &ModelMeta) -> Result<&'static ModelMeta, NameError> {
        let (model, _) = self.resolve(owner)?;
        let Some(then) = self.then else {
            return Ok(model);
        };
        model
            .fields
            .iter()
            .find(|f| f.name == then)
            .and_then(|f| f.foreign_key.as_ref())
            .map(|fk| (fk.target)())
            .ok_or_else(|| NameError::InvalidRelation {
                model: owner.name,
                relation: self.name,
                reason: format!("`{}.{then}` is not a foreign key", model.name),
            })
    }

    /// The referencing model and its foreign-key field that points at `owner` (the model
    /// declaring the relation), or [`NameError::InvalidRelation`] saying why there is
    /// none: `via` is not a field, or not a foreign key to `owner`, or `via` is left out
    /// and the model has no or several foreign keys to `owner`.
    pub fn resolve(
        &self,
        owner: &ModelMeta,
    ) -> Result<(&'static ModelMeta, &'static FieldMeta), NameError> {
        let model = (self.model)();
        let points_at_owner = |f: &FieldMeta| {
            f.foreign_key
                .as_ref()
                .is_some_and(|fk| (fk.target)().table == owner.table)
        };
        let invalid = |reason: String| NameError::InvalidRelation {
            model: owner.name,
            relation: self.name,
            reason,
        };
        match self.via {
            Some(via) => match model.fields.iter().find(|f| f.name == via) {
                Some(f) if points_at_owner(f) => Ok((model, f)),
                Some(_) => Err(invalid(format!(
                    "`{}.{via}` is not a foreign key to `{}`",
                    model.name, owner.name
                ))),
                None => Err(invalid(format!("`{}` has no field `{via}`", model.name))),
            },
            None => {
                // A many-to-many's target side (`then`) is not the owner's side, even when
                // both reference the owner's model (a model linked to itself).
                let owner_side = |f: &&FieldMeta| points_at_owner(f) && Some(f.name) != self.then;
                let mut keys = model.fields.iter().filter(owner_side);
                match (keys.next(), keys.next()) {
                    (Some(f), None) => Ok((model, f)),
                    (None, _) => Err(invalid(format!(
                        "`{}` has no foreign key to `{}`",
                        model.name, owner.name
                    ))),
                    (Some(a), Some(b)) => Err(invalid(format!(
                        "`{}` has several foreign keys to `{}` (`{}`, `{}`): name one, `{} = {}.{}`",
                        model.name, owner.name, a.name, b.name, self.name, model.name, a.name
                    ))),
                }
            }
        }
    }
}

impl ModelMeta {
    /// Metadata for the table `table` of the model `name` with `fields`, and no other
    /// options: set them with struct update syntax.
    ///
    /// ```
    /// use orm_schema::{FieldKind, FieldMeta, ModelMeta};
    /// static FIELDS: [FieldMeta; 2] = [
    ///     FieldMeta { primary_key: true, ..FieldMeta::new("id", FieldKind::BigInteger) },
    ///     FieldMeta::new("title", FieldKind::String),
    /// ];
    /// static NOTES: ModelMeta = ModelMeta {
    ///     renamed_from: Some("memos"),
    ///     ..ModelMeta::new("Note", "notes", &FIELDS)
    /// };
    /// assert_eq!(NOTES.primary_key().unwrap().name, "id");
    /// assert!(NOTES.unique_together.is_empty());
    /// ```
    pub const fn new(
        name: &'static str,
        table: &'static str,
        fields: &'static [FieldMeta],
    ) -> ModelMeta {
        ModelMeta {
            name,
            table,
            fields,
            renamed_from: None,
            unique_together: &[],
            index_together: &[],
            related: &[],
        }
    }

    /// The primary-key field. The derive guarantees there is exactly one; metadata built
    /// by hand may have none (`None`), which `ddl::plan` (and so `create_all`) refuses
    /// with [`SchemaError::PrimaryKey`](crate::ddl::SchemaError::PrimaryKey).
    pub fn primary_key(&self) -> Option<&'static FieldMeta> {
        self.fields.iter().find(|f| f.primary_key)
    }

    /// The field with the given Rust name or column name, if any.
    pub fn field(&self, name: &str) -> Option<&'static FieldMeta> {
        self.fields
            .iter()
            .find(|f| f.name == name || f.column == name)
    }

    /// The metadata of every model this one references through a foreign key.
    pub fn references(&self) -> impl Iterator<Item = &'static ModelMeta> + '_ {
        self.fields
            .iter()
            .filter_map(|f| f.foreign_key.as_ref().map(|fk| (fk.target)()))
    }
}

impl PartialEq for ModelMeta {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other) || self.table == other.table
    }
}

/// The kind of a field: what values it holds and which column type it gets on each backend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldKind {
    /// A 16-bit integer (`i16`).
    SmallInteger,
    /// A 32-bit integer (`i32`).
    Integer,
    /// A 64-bit integer (`i64`).
    BigInteger,
    /// A double-precision float (`f64`).
    Float,
    /// A single-precision float (`f32`).
    Real,
    /// A boolean (`bool`).
    Boolean,
    /// A bounded string (`String` with `max_length`).
    String,
    /// An unbounded string (`String` with `#[orm(text)]`).
    Text,
    /// A fixed-point decimal (`bigdecimal::BigDecimal`) with `max_digits` and `decimal_places`.
    Decimal {
        /// Total number of significant digits.
        max_digits: u32,
        /// Digits after the decimal point.
        decimal_places: u32,
    },
    /// A calendar date (`chrono::NaiveDate`).
    Date,
    /// A date and time without zone (`chrono::NaiveDateTime`), microsecond precision.
    DateTime,
    /// An instant in UTC (`orm::DateTimeUtc`, a `chrono::DateTime<Utc>`), microseconds:
    /// `TIMESTAMPTZ` on PostgreSQL, `DATETIME(6)` holding UTC on MySQL, fixed-width
    /// `YYYY-MM-DD HH:MM:SS.ffffff+00:00` text on SQLite (so text order is time order).
    DateTimeUtc,
    /// A time of day (`chrono::NaiveTime`), microsecond precision.
    Time,
    /// A byte string (`Vec<u8>`): `BLOB`, `BYTEA`, `LONGBLOB`.
    Bytes,
    /// A JSON document (`serde_json::Value`).
    Json,
    /// A UUID (`uuid::Uuid`).
    Uuid,
    /// A Rust enum stored by variant name (`#[derive(DbEnum)]`).
    Enum {
        /// The stored names of the variants.
        variants: &'static [&'static str],
    },
    /// An e-mail address (`String` with `#[orm(email)]`).
    Email,
    /// A URL (`String` with `#[orm(url)]`).
    Url,
    /// An IPv4 or IPv6 address (`std::net::IpAddr`).
    IpAddress,
}

impl FieldKind {
    /// Whether values of this kind are strings in SQL (LIKE lookups and `search` apply).
    pub fn is_textual(&self) -> bool {
        matches!(
            self,
            FieldKind::String | FieldKind::Text | FieldKind::Email | FieldKind::Url
        )
    }

    /// Whether values of this kind are integers (SmallInteger, Integer, BigInteger).
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            FieldKind::SmallInteger | FieldKind::Integer | FieldKind::BigInteger
        )
    }

    /// Whether values of this kind are numbers (integers, floats, decimals): arithmetic
    /// and comparisons between them apply.
    pub fn is_numeric(&self) -> bool {
        self.is_integer()
            || matches!(
                self,
                FieldKind::Real | FieldKind::Float | FieldKind::Decimal { .. }
            )
    }

    /// The name used in error messages and docs, as encode/orm spells it.
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::SmallInteger => "SmallInteger",
            FieldKind::Integer => "Integer",
            FieldKind::BigInteger => "BigInteger",
            FieldKind::Float => "Float",
            FieldKind::Real => "Real",
            FieldKind::Boolean => "Boolean",
            FieldKind::String => "String",
            FieldKind::Text => "Text",
            FieldKind::Decimal { .. } => "Decimal",
            FieldKind::Date => "Date",
            FieldKind::DateTime => "DateTime",
            FieldKind::DateTimeUtc => "DateTimeUtc",
            FieldKind::Time => "Time",
            FieldKind::Bytes => "Bytes",
            FieldKind::Json => "JSON",
            FieldKind::Uuid => "UUID",
            FieldKind::Enum { .. } => "Enum",
            FieldKind::Email => "Email",
            FieldKind::Url => "URL",
            FieldKind::IpAddress => "IPAddress",
        }
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the database does to referencing rows when the referenced row is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// Delete the referencing rows too.
    Cascade,
    /// Refuse to delete a row that is still referenced.
    Restrict,
    /// Set the referencing column to NULL (the field must be nullable).
    SetNull,
}

impl OnDelete {
    /// The SQL words for the action.
    pub fn sql(&self) -> &'static str {
        match self {
            OnDelete::Cascade => "CASCADE",
            OnDelete::Restrict => "RESTRICT",
            OnDelete::SetNull => "SET NULL",
        }
    }
}

/// A foreign key from a field to another model's primary key.
#[derive(Debug)]
pub struct ForeignKeyMeta {
    /// The referenced model's metadata (a function, so models may reference each other).
    pub target: fn() -> &'static ModelMeta,
    /// The action taken when the referenced row is deleted.
    pub on_delete: OnDelete,
    /// A one-to-one relation: the column is also UNIQUE.
    pub one_to_one: bool,
}

/// A default value for a field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// A literal known at compile time; it also becomes the column's SQL `DEFAULT`.
    Static(Literal),
    /// A Rust function called when a row is created (for example `Uuid::new_v4`); the
    /// database sees only the value it returns.
    Function,
}

/// A literal value from a model declaration (a default, a bound, a choice).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Literal {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(&'static str),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => write!(f, "{x}"),
            Literal::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// The validators declared on a field. The field kind adds its own (e-mail syntax, URL
/// syntax, decimal digits); these are the ones written in `#[orm(...)]`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Validators {
    /// Smallest allowed number (inclusive).
    pub minimum: Option<Literal>,
    /// Largest allowed number (inclusive).
    pub maximum: Option<Literal>,
    /// Longest allowed string, in characters (a byte string's length, in bytes).
    pub max_length: Option<u32>,
    /// Shortest allowed string, in characters (a byte string's length, in bytes).
    pub min_length: Option<u32>,
    /// A regular expression the whole string must match.
    pub pattern: Option<&'static str>,
    /// Whether the empty string is accepted (encode/orm's `allow_blank`; default false).
    pub allow_blank: bool,
    /// The only values accepted, if set.
    pub choices: Option<&'static [Literal]>,
}

/// Everything orm knows about one field of a model.
#[derive(Debug)]
pub struct FieldMeta {
    /// The Rust field name.
    pub name: &'static str,
    /// The SQL column name (the field name unless `#[orm(column = "...")]`).
    pub column: &'static str,
    /// The column's previous name (`#[orm(renamed_from = "old")]`): a migration renames
    /// that column instead of adding this one.
    pub renamed_from: Option<&'static str>,
    /// What the field holds.
    pub kind: FieldKind,
    /// Whether NULL is allowed (`Option<T>` in the model).
    pub nullable: bool,
    /// Whether this is the primary key.
    pub primary_key: bool,
    /// Whether the database generates the value (an integer primary key without default).
    pub auto_increment: bool,
    /// A UNIQUE constraint on the column.
    pub unique: bool,
    /// A (non-unique) index on the column.
    pub index: bool,
    /// The default used when a create leaves the field out.
    pub default: Option<DefaultValue>,
    /// Set to the current time on every create and update.
    pub auto_now: bool,
    /// Set to the current time on create only.
    pub auto_now_add: bool,
    /// The declared validators.
    pub validators: Validators,
    /// The foreign key, when this field references another model.
    pub foreign_key: Option<ForeignKeyMeta>,
}

impl FieldMeta {
    /// A field of the given kind with every option off; a starting point for `const` builders
    /// and tests.
    pub const fn new(name: &'static str, kind: FieldKind) -> Self {
        FieldMeta {
            name,
            column: name,
            renamed_from: None,
            kind,
            nullable: false,
            primary_key: false,
            auto_increment: false,
            unique: false,
            index: false,
            default: None,
            auto_now: false,
            auto_now_add: false,
            validators: Validators {
                minimum: None,
                maximum: None,
                max_length: None,
                min_length: None,
                pattern: None,
                allow_blank: false,
                choices: None,
            },
            foreign_key: None,
        }
    }

    /// Whether a create may leave this field out (the database or orm fills it).
    pub fn is_optional_on_create(&self) -> bool {
        self.nullable
            || self.auto_increment
            || self.default.is_some()
            || self.auto_now
            || self.auto_now_add
    }
}

/// Whether two names are the same, at compile time (enum defaults naming a variant, a
/// many-to-many's owner side not being its target side).
///
/// ```
/// assert!(orm_schema::meta::same_name("track", "track"));
/// assert!(!orm_schema::meta::same_name("track", "tracks"));
/// ```
pub const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
