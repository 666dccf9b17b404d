//! [`NameError`]: a field, lookup or value named at run time that a model does not allow.
//!
//! Lives here, beside the metadata it is checked against, so the one `orm::Error` can
//! carry it.

/// A by-name lookup, ordering or search the model's metadata does not allow.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// No field of that name (nor `pk`).
    #[error("`{model}` has no field `{field}`")]
    UnknownField {
        /// The model's name.
        model: &'static str,
        /// The name given.
        field: String,
    },
    /// No lookup of that name, or one that does not apply to the field's kind.
    #[error("unknown lookup `{lookup}` for field `{field}` ({kind}); valid lookups: {valid}")]
    UnknownLookup {
        /// The field.
        field: &'static str,
        /// The field's kind.
        kind: &'static str,
        /// The lookup given.
        lookup: String,
        /// The lookups that apply to this field.
        valid: &'static str,
    },
    /// A value that does not convert to the field's type.
    #[error("invalid value {value:?} for field `{field}`: expected {expected}")]
    InvalidValue {
        /// The field.
        field: &'static str,
        /// The value given.
        value: String,
        /// What the field accepts.
        expected: &'static str,
    },
    /// A name in a relation path that is a field but not a foreign key
    /// (`select_related_names(&["title"])`).
    #[error("field `{field}` of `{model}` is not a foreign key")]
    NotARelation {
        /// The model's name.
        model: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A field named as an upsert's conflict target that is neither the primary key nor
    /// unique, so no constraint can report the conflict.
    #[error(
        "field `{field}` of `{model}` is neither the primary key nor unique: a conflict \
         target must be one of those"
    )]
    NotUnique {
        /// The model's name.
        model: &'static str,
        /// The field.
        field: &'static str,
    },
    /// The primary key named among the fields an upsert overwrites: a stored row's key
    /// never changes.
    #[error("field `{field}` of `{model}` is the primary key, which an upsert never overwrites")]
    PrimaryKey {
        /// The model's name.
        model: &'static str,
        /// The field.
        field: &'static str,
    },
    /// An ordering a keyset page cannot use: a field of another model, a nullable field,
    /// or a last key that is not unique (so rows could be skipped or repeated).
    #[error("`{field}` cannot order keyset pages: {reason}")]
    Keyset {
        /// The ordering key given.
        field: String,
        /// Why not.
        reason: &'static str,
    },
    /// A keyset cursor that is not one this ordering of this model gave out (corrupted,
    /// edited, or from another query).
    #[error("invalid cursor: {reason}")]
    InvalidCursor {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A path that follows more foreign keys than a by-name lookup or ordering allows
    /// (`album__artist__label__...`).
    #[error("`{path}` follows more than {max} relations")]
    PathTooLong {
        /// The path given.
        path: String,
        /// The most relations one path may follow.
        max: usize,
    },
    /// An aggregate that does not apply to the field's kind (`Sum` of a text field).
    #[error(
        "aggregate `{aggregate}` does not apply to field `{field}` ({kind}); it takes {valid}"
    )]
    InvalidAggregate {
        /// The aggregate (`Sum`, `Avg`, `Min`, `Max`).
        aggregate: &'static str,
        /// The field.
        field: &'static str,
        /// The field's kind.
        kind: &'static str,
        /// The kinds the aggregate takes.
        valid: &'static str,
    },
    /// A reverse relation declared on a model (`#[orm(related(..))]`) that does not match
    /// the referencing model's foreign keys.
    #[error("relation `{relation}` of `{model}`: {reason}")]
    InvalidRelation {
        /// The model declaring the relation.
        model: &'static str,
        /// The relation's name.
        relation: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A relation named in `prefetch_related` that the model has no field to hold.
    #[error(
        "relation `{relation}` of `{model}` has no field to hold its rows: add `{relation}: orm::Related<{target}>` to `{model}`"
    )]
    NotStored {
        /// The model declaring the relation.
        model: &'static str,
        /// The relation's name.
        relation: &'static str,
        /// The model of the related rows.
        target: &'static str,
    },
    /// A reverse relation (many rows per row) where one value per row is needed: an
    /// ordering or a projected column (a filter follows it as a semi-join instead).
    #[error("`{path}` follows `{relation}` of `{model}`, which holds many rows per `{model}`: it can filter (`filter_by`, `exclude_by`) but not order or project")]
    ManyValued {
        /// The model the relation is declared on.
        model: &'static str,
        /// The reverse relation.
        relation: &'static str,
        /// The path given.
        path: String,
    },
    /// A name given twice to the columns of one by-name projection or aggregate.
    #[error("`{name}` is named twice in one values/aggregate call")]
    DuplicateName {
        /// The name given twice.
        name: String,
    },
}
