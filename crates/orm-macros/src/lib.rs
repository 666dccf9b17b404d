//! # orm-macros: the derives of orm
//!
//! - `#[derive(Model)]` on a struct: the diesel `table!` with a typed column per field,
//!   Queryable and Selectable for every backend, the insert form (`NewNote`), the change
//!   set (`NoteChanges`), validation and the static metadata. See `model.rs`.
//! - `#[derive(DbEnum)]` on a fieldless enum: stored by variant name. See `db_enum.rs`.
//!
//! **Architecture invariant:** no runtime logic here; the generated code calls into
//! orm-schema through the `orm` facade. Every error points at the offending token.
//!
//! Use these through the `orm` crate (`use orm::prelude::*`), never directly.

#![deny(missing_docs)]

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

mod attrs;
mod db_enum;
mod field;
mod model;
mod persist;
mod relations;

/// Derives an orm model. See the `orm` crate documentation for the field kinds and options.
#[proc_macro_derive(Model, attributes(orm))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    derive(input, model::expand)
}

/// Derives `orm::DbEnum` for a fieldless enum stored by variant name.
#[proc_macro_derive(DbEnum, attributes(orm))]
pub fn derive_db_enum(input: TokenStream) -> TokenStream {
    derive(input, db_enum::expand)
}

/// Parses the derive's input and expands it with `expand`; an error becomes the
/// `compile_error!` that reports it.
fn derive(
    input: TokenStream,
    expand: fn(DeriveInput) -> syn::Result<proc_macro2::TokenStream>,
) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
