//! `#[derive(DbEnum)]`: a fieldless enum stored by variant name.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Error, Fields, Result};

/// Expands `#[derive(DbEnum)]` on `input`.
pub fn expand(input: DeriveInput) -> Result<TokenStream> {
    let ident = &input.ident;
    let Data::Enum(data) = &input.data else {
        return Err(Error::new(
            ident.span(),
            "#[derive(DbEnum)] needs a fieldless enum",
        ));
    };
    if !input.generics.params.is_empty() {
        return Err(Error::new(
            ident.span(),
            "#[derive(DbEnum)] enums cannot be generic",
        ));
    }
    if data.variants.is_empty() {
        return Err(Error::new(
            ident.span(),
            "#[derive(DbEnum)] needs at least one variant",
        ));
    }
    let mut variants = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            return Err(Error::new_spanned(
                &v.fields,
                format!(
                    "variant `{}`: #[derive(DbEnum)] variants cannot hold data",
                    v.ident
                ),
            ));
        }
        variants.push(&v.ident);
    }
    let names: Vec<String> = variants.iter().map(|v| v.to_string()).collect();
    let ident_str = ident.to_string();
    Ok(quote! {
        const _: () = {
            impl ::orm::DbEnum for #ident {
                const VARIANTS: &'static [&'static str] = &[#(#names),*];
                fn as_str(&self) -> &'static str {
                    match self { #(#ident::#variants => #names,)* }
                }
                fn from_name(name: &str) -> ::core::option::Option<Self> {
                    match name {
                        #(#names => ::core::option::Option::Some(#ident::#variants),)*
                        _ => ::core::option::Option::None,
                    }
                }
            }

            ::orm::__private::impl_sql_value!(#ident => ::diesel::sql_types::Text);
            // serde's impls (by name) when orm's `serde` feature is on; nothing otherwise.
            ::orm::__private::impl_db_enum_serde!(#ident);

            impl<__DB> ::diesel::serialize::ToSql<::diesel::sql_types::Text, __DB> for #ident
            where
                __DB: ::diesel::backend::Backend,
                str: ::diesel::serialize::ToSql<::diesel::sql_types::Text, __DB>,
            {
                fn to_sql<'__b>(&'__b self, out: &mut ::diesel::serialize::Output<'__b, '_, __DB>) -> ::diesel::serialize::Result {
                    <str as ::diesel::serialize::ToSql<::diesel::sql_types::Text, __DB>>::to_sql(::orm::DbEnum::as_str(self), out)
                }
            }

            impl<__DB> ::diesel::deserialize::FromSql<::diesel::sql_types::Text, __DB> for #ident
            where
                __DB: ::diesel::backend::Backend,
                ::std::string::String: ::diesel::deserialize::FromSql<::diesel::sql_types::Text, __DB>,
            {
                fn from_sql(bytes: <__DB as ::diesel::backend::Backend>::RawValue<'_>) -> ::diesel::deserialize::Result<Self> {
                    let name = <::std::string::String as ::diesel::deserialize::FromSql<::diesel::sql_types::Text, __DB>>::from_sql(bytes)?;
                    <#ident as ::orm::DbEnum>::from_name(&name)
                        .ok_or_else(|| ::std::format!("`{}` is not a variant of {}", name, #ident_str).into())
                }
            }

            impl ::orm::validate::FieldValue for #ident {
                fn check(&self, _field: &::orm::FieldMeta, _errors: &mut ::std::vec::Vec<::orm::FieldError>) {}
            }
        };
    })
}
