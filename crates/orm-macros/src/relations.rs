//! The typed relations of a model: for each model its `ForeignKey` fields reference, the
//! impls diesel's `joinable!` and `allow_tables_to_appear_in_same_query!` would generate,
//! written against `<Target as Model>::Table` so the derive needs no table module path,
//! and `orm::relations::BelongsTo<Target>`, which `select_related`, `prefetch` and
//! `related` use.
//!
//! The pair impls come only from the referencing side and once per target type (the
//! first foreign key to it); a foreign key to the model itself is left out (a self-join
//! needs an alias). Two models that reference each other would both emit the pair, which
//! rustc reports as conflicting impls.

use proc_macro2::TokenStream;
use quote::quote;

use crate::field::{Base, Field};

/// The relation impls of model `ident` (table module `table`) with fields `fields`.
pub fn emit(ident: &syn::Ident, table: &syn::Ident, fields: &[Field]) -> TokenStream {
    let mut seen: Vec<String> = Vec::new();
    let mut out = TokenStream::new();
    for f in fields {
        let Base::ForeignKey(target, key, _) = &f.base else {
            continue;
        };
        let name = quote!(#target).to_string();
        if name == "Self" || *ident == name || seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let column = &f.ident;
        // Applies only when the target is a model with that key: otherwise the struct's
        // own `ForeignKey<M>` already reports it, and these impls add nothing to that.
        let guard = quote!(where for<'__orm> #target: ::orm::Model<PrimaryKey = #key>);
        let target_table = quote!(<#target as ::orm::Model>::Table);
        let target_pk = quote! {
            ::diesel::internal::table_macro::NullableExpression<<#target_table as ::diesel::Table>::PrimaryKey>
        };
        let join_guard = quote! {
            #guard,
            for<'__orm> #target_pk: ::diesel::expression::AsExpression<
                <::diesel::internal::table_macro::NullableExpression<#table::#column> as ::diesel::Expression>::SqlType,
            >,
        };
        let on_clause = quote! {
            ::diesel::dsl::Eq<
                ::diesel::internal::table_macro::NullableExpression<#table::#column>,
                ::diesel::internal::table_macro::NullableExpression<
                    <#target_table as ::diesel::Table>::PrimaryKey,
                >,
            >
        };
        let (kind, row, attach) = if f.nullable {
            (
                quote!(::diesel::internal::table_macro::LeftOuter),
                quote!(::core::option::Option<#target>),
                quote! {
                    if let (::core::option::Option::Some(__fk), ::core::option::Option::Some(__row)) =
                        (&mut self.#column, row)
                    {
                        __fk.set_loaded(__row);
                    }
                },
            )
        } else {
            (
                quote!(::diesel::internal::table_macro::Inner),
                quote!(#target),
                quote!(self.#column.set_loaded(row);),
            )
        };
        let key = if f.nullable {
            quote!(self.#column.as_ref().map(|__fk| __fk.pk()))
        } else {
            quote!(::core::option::Option::Some(self.#column.pk()))
        };
        out.extend(quote! {
            impl ::diesel::JoinTo<#target_table> for #table::table #join_guard {
                type FromClause = #target_table;
                type OnClause = #on_clause;
                fn join_target(rhs: #target_table) -> (Self::FromClause, Self::OnClause) {
                    use ::diesel::{ExpressionMethods, NullableExpressionMethods};
                    let __pk = ::diesel::Table::primary_key(&rhs);
                    (rhs, #table::#column.nullable().eq(__pk.nullable()))
                }
            }
            impl ::diesel::JoinTo<#table::table> for #target_table #join_guard {
                type FromClause = #table::table;
                type OnClause = #on_clause;
                fn join_target(rhs: #table::table) -> (Self::FromClause, Self::OnClause) {
                    use ::diesel::{ExpressionMethods, NullableExpressionMethods};
                    let __pk = ::diesel::Table::primary_key(
                        &<#target_table as ::core::default::Default>::default(),
                    );
                    (rhs, #table::#column.nullable().eq(__pk.nullable()))
                }
            }
            impl ::diesel::query_source::TableNotEqual<#target_table> for #table::table #guard {}
            impl ::diesel::query_source::TableNotEqual<#table::table> for #target_table #guard {}
            impl ::orm::relations::BelongsTo<#target> for #ident #guard {
                type Kind = #kind;
                type Row = #row;
                type Column = #table::#column;
                type In = ::diesel::dsl::EqAny<#table::#column, ::std::vec::Vec<<#target as ::orm::Model>::PrimaryKey>>;
                type Is = ::diesel::dsl::Eq<#table::#column, <#target as ::orm::Model>::PrimaryKey>;
                fn column_in(keys: ::std::vec::Vec<<#target as ::orm::Model>::PrimaryKey>) -> Self::In {
                    ::diesel::ExpressionMethods::eq_any(#table::#column, keys)
                }
                fn column_is(key: <#target as ::orm::Model>::PrimaryKey) -> Self::Is {
                    ::diesel::ExpressionMethods::eq(#table::#column, key)
                }
                fn attach(&mut self, row: Self::Row) {
                    #attach
                }
                fn related_pk(&self) -> ::core::option::Option<&<#target as ::orm::Model>::PrimaryKey> {
                    #key
                }
            }
        });
    }
    out
}
