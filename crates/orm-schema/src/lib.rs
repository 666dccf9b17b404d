//! # orm-schema: the model definition layer
//!
//! What a model *is*, as data: [`ModelMeta`] and [`FieldMeta`] (emitted by
//! `#[derive(Model)]`), the [`Model`] trait, field-value validation ([`validate`]),
//! the SQL types orm adds to diesel's ([`sql_types`]), the DDL for each backend
//! ([`ddl`]), and the pure half of migrations ([`migrate`]: a schema as data, built from
//! models or a database's catalog rows, and the operations between two).
//!
//! **Architecture invariant:** this crate does no I/O. Everything here is pure and can be
//! tested without a database.
//!
//! Users reach all of this through the `orm` facade crate.

#![deny(missing_docs)]

pub mod backend;
pub mod db_enum;
pub mod ddl;
pub mod field_text;
pub mod foreign_key;
pub mod meta;
pub mod migrate;
pub mod model;
pub mod name_error;
pub mod related;
#[cfg(feature = "serde")]
pub mod serde_impls;
pub mod sql_types;
#[cfg(test)]
mod test_support;
pub mod validate;
pub mod values;

pub use backend::Backend;
pub use db_enum::DbEnum;
pub use field_text::FieldText;
pub use foreign_key::ForeignKey;
pub use meta::{
    DefaultValue, FieldKind, FieldMeta, ForeignKeyMeta, Literal, ModelMeta, OnDelete, RelatedMeta,
    Validators,
};
pub use model::{ChangeSet, InsertForm, Model};
pub use name_error::NameError;
pub use related::Related;
pub use validate::{FieldError, ValidationError};
pub use values::{DateTimeUtc, Decimal, IpAddress, Json, Uuid};

/// Writes the items once for each of diesel's two backends of the MySQL family, MySQL
/// (`mysql://`) and MariaDB (`mariadb://`), with `$db` naming the backend, when the calling
/// crate's `mysql` feature is on. Both speak one SQL dialect, so orm's per-backend impls
/// (LIKE syntax, row locks, by-name functions, conflict clauses) are the same on both.
#[doc(hidden)]
#[macro_export]
macro_rules! for_mysql_like {
    ($db:ident => $($item:item)*) => {
        #[cfg(feature = "mysql")]
        const _: () = {
            type $db = diesel::mysql::Mysql;
            $($item)*
        };
        #[cfg(feature = "mysql")]
        const _: () = {
            type $db = diesel::mariadb::Mariadb;
            $($item)*
        };
    };
}

/// A trait that stands for a list of bounds, implemented for every type meeting them:
/// `trait_alias!(/** docs */ Name<M> = Bound<M> + Other<M>);` declares
/// `pub trait Name<M>: Bound<M> + Other<M> {}` and its blanket impl, so the list is written
/// once.
#[doc(hidden)]
#[macro_export]
macro_rules! trait_alias {
    ($(#[$meta:meta])* $name:ident<$($g:ident),*> = $($bound:tt)+) => {
        $(#[$meta])*
        pub trait $name<$($g),*>: $($bound)+ {}
        impl<$($g,)* __T> $name<$($g),*> for __T where __T: $($bound)+ {}
    };
}

/// `query_id_by_text!([generics] Type);` implements diesel's `QueryId` for a statement
/// fragment whose SQL text depends on its values (how many, which names, whether NULL):
/// it has no static id, so diesel's prepared-statement cache keys it by its SQL text.
#[doc(hidden)]
#[macro_export]
macro_rules! query_id_by_text {
    ([$($gen:tt)*] $ty:ty) => {
        impl<$($gen)*> ::diesel::query_builder::QueryId for $ty {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }
    };
}

/// serde, for the impls `#[derive(DbEnum)]` writes with the `serde` feature.
#[cfg(feature = "serde")]
#[doc(hidden)]
pub use serde as __serde;

/// Without the `serde` feature, `#[derive(DbEnum)]` writes no serde impls.
#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_db_enum_serde {
    ($ty:ty) => {};
}
