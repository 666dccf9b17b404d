//! The typed relations of a model: for each model its `ForeignKey` fields reference, the
//! impls diesel's `joinable!` and `allow_tables_to_appear_in_same_query!` would generate,
//! written against `<Target as Model>::Table` so the derive needs no table module path,
//! and `orm::relations::BelongsTo<Target>`, which `select_related`, `prefetch` and
//! `related` use.
//!
//! The pair impls come only from the referencing side and once per target type (the
//! first foreign key to it); a foreign key to the model itself is left out (a self-join
//! needs an alias). Diesel allows one `JoinTo` per pair of tables, so of two models that
//! reference each other one foreign key is marked `#[orm(no_join)]`: it keeps
//! `BelongsTo` (prefetch, `related`, by-name paths) and gets no join impls.

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
        out.extend(foreign_key_field(ident, table, f, target, key));
        let name = quote!(#target).to_string();
        if name == "Self" || *ident == name || seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let joins = f.attrs.no_join.is_none();
        let column = &f.ident;
        // Applies only when the target is a model with that key: otherwise the struct's
        // own `ForeignKey<M>` already reports it, and these impls add nothing to that.
        let guard = quote!(where for<'__orm> #target: ::orm::Model<PrimaryKey = #key>);
        let target_table = quote!(<#target as ::orm::Model>::Table);
        let target_pk = quote! {
            ::diesel::dsl::Nullable<<#target_table as ::diesel::Table>::PrimaryKey>
        };
        let join_guard = quote! {
            #guard,
            for<'__orm> #target_pk: ::diesel::expression::AsExpression<
                <::diesel::dsl::Nullable<#table::#column> as ::diesel::Expression>::SqlType,
            >,
        };
        let on_clause = quote! {
            ::diesel::dsl::Eq<
                ::diesel::dsl::Nullable<#table::#column>,
                ::diesel::dsl::Nullable<
                    <#target_table as ::diesel::Table>::PrimaryKey,
                >,
            >
        };
        // The join kinds have no public path in diesel 2.4 (`query_source::joins` is
        // private); `table!`'s own expansion names them the same way.
        let (kind, row, present, batched) = join_row(f, &quote!(#target), quote!(self));
        let key = key_of(f, quote!(self));
        let field_name = column.to_string();
        let (columns_ty, columns) = nullable_if(
            f.nullable,
            quote!(<#target_table as ::diesel::Table>::AllColumns),
            quote!(<#target_table as ::diesel::Table>::all_columns()),
        );
        if joins {
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
            });
        }
        out.extend(quote! {
            impl ::orm::relations::BelongsTo<#target> for #ident #guard {
                const FIELD: &'static str = #field_name;
                type Kind = #kind;
                type Row = #row;
                type Column = #table::#column;
                type In = ::diesel::dsl::EqAny<#table::#column, ::std::vec::Vec<<#target as ::orm::Model>::PrimaryKey>>;
                type Is = ::diesel::dsl::Eq<#table::#column, <#target as ::orm::Model>::PrimaryKey>;
                type Columns = #columns_ty;
                fn columns() -> Self::Columns {
                    #columns
                }
                fn column_in(keys: ::std::vec::Vec<<#target as ::orm::Model>::PrimaryKey>) -> Self::In {
                    ::diesel::ExpressionMethods::eq_any(#table::#column, keys)
                }
                fn column_is(key: <#target as ::orm::Model>::PrimaryKey) -> Self::Is {
                    ::diesel::ExpressionMethods::eq(#table::#column, key)
                }
                fn present(row: Self::Row) -> ::core::option::Option<#target> {
                    #present
                }
                fn attach_batched(
                    &mut self,
                    rows: &::std::sync::Arc<::std::vec::Vec<#target>>,
                    index: usize,
                ) {
                    #batched
                }
                fn related_pk(&self) -> ::core::option::Option<&<#target as ::orm::Model>::PrimaryKey> {
                    #key
                }
            }
        });
    }
    out
}

/// The type and value of the selection `expr` (of type `ty`), made nullable when
/// `nullable` (the joined side of a `LEFT JOIN`).
fn nullable_if(nullable: bool, ty: TokenStream, expr: TokenStream) -> (TokenStream, TokenStream) {
    if nullable {
        (
            quote!(::diesel::dsl::Nullable<#ty>),
            quote!(::diesel::NullableExpressionMethods::nullable(#expr)),
        )
    } else {
        (ty, expr)
    }
}

/// How a joined row of foreign-key field `f` loads and is stored: the join kind, the row
/// type, the body of `present(row)` (the row, `None` for a LEFT JOIN that found none), and
/// the statement storing row `index` of `rows` in `#owner.#field`.
fn join_row(
    f: &Field,
    target: &TokenStream,
    owner: TokenStream,
) -> (TokenStream, TokenStream, TokenStream, TokenStream) {
    let column = &f.ident;
    if f.nullable {
        (
            quote!(::diesel::internal::table_macro::LeftOuter),
            quote!(::core::option::Option<#target>),
            quote!(row),
            quote! {
                if let ::core::option::Option::Some(__fk) = &mut #owner.#column {
                    __fk.set_batched(rows, index);
                }
            },
        )
    } else {
        (
            quote!(::diesel::internal::table_macro::Inner),
            quote!(#target),
            quote!(::core::option::Option::Some(row)),
            quote!(#owner.#column.set_batched(rows, index);),
        )
    }
}

/// `orm::relations::AliasedColumns<S>` for model `ident` (table module `table`, primary
/// key `pk`), for every alias `S` of its table; `guards` are the model's own (its `Model`
/// impl's).
pub fn emit_aliased(
    ident: &syn::Ident,
    table: &syn::Ident,
    pk: &syn::Ident,
    guards: &[TokenStream],
) -> TokenStream {
    let alias = quote!(::diesel::query_source::Alias::<__S>);
    quote! {
        impl<__S> ::orm::relations::AliasedColumns<__S> for #ident
        where
            __S: ::diesel::query_source::AliasSource<Target = #table::table>
                + ::core::clone::Clone
                + ::core::default::Default
                + ::diesel::internal::alias_macro::AliasAliasAppearsInFromClauseSameTable<
                    __S,
                    #table::table,
                    Count = ::diesel::query_source::Once,
                >,
            #(#guards,)*
        {
            type All = ::diesel::helper_types::AliasedFields<
                __S,
                <#table::table as ::diesel::Table>::AllColumns,
            >;
            type Pk = ::diesel::query_source::AliasedField<__S, #table::#pk>;
            fn all() -> Self::All {
                #alias::default().fields(<#table::table as ::diesel::Table>::all_columns())
            }
            fn pk() -> Self::Pk {
                #alias::default().field(#table::#pk)
            }
            fn on<__E>(on: __E) -> ::diesel::dsl::On<::diesel::query_source::Alias<__S>, __E> {
                ::diesel::JoinOnDsl::on(#alias::default(), on)
            }
        }
    }
}

/// The key the foreign-key field `f` of `row` references, as an `Option<&Key>` (`None`
/// for a null key).
fn key_of(f: &Field, row: TokenStream) -> TokenStream {
    let column = &f.ident;
    if f.nullable {
        quote!(#row.#column.as_ref().map(|__fk| __fk.pk()))
    } else {
        quote!(::core::option::Option::Some(#row.#column.pk()))
    }
}

/// `{ ::orm::relations::field_key("name") }`: the const argument that names the field
/// `field` in `ForeignKeyField`.
pub fn field_key(field: &syn::Ident) -> TokenStream {
    let name = field.to_string();
    quote!({ ::orm::relations::field_key(#name) })
}

/// `<Model as ForeignKeyField<..>>` for the foreign-key field `field` of `model`.
pub fn foreign_key_field_of(model: &syn::Path, field: &syn::Ident) -> TokenStream {
    let key = field_key(field);
    quote!(<#model as ::orm::relations::ForeignKeyField<#key>>)
}

/// The impls every foreign-key field `f` (target `target`, key type `key`) of model
/// `ident` gets, a reference to the model itself included:
/// `orm::relations::ForeignKeyField<{ field_key("name") }>`, and `KeyAlias` and
/// `ViaColumn` for its column (the join through an alias of the target's table that
/// `select_related_via` builds).
fn foreign_key_field(
    ident: &syn::Ident,
    table: &syn::Ident,
    f: &Field,
    target: &syn::Type,
    key: &syn::Type,
) -> TokenStream {
    let column = &f.ident;
    let field = field_key(column);
    let pk = quote!(<#target as ::orm::Model>::PrimaryKey);
    let read = key_of(f, quote!(self));
    let field_impl = quote! {
        impl ::orm::relations::ForeignKeyField<#field> for #ident
        where
            for<'__orm> #target: ::orm::Model<PrimaryKey = #key>,
        {
            type Target = #target;
            type Column = #table::#column;
            type In = ::diesel::dsl::EqAny<#table::#column, ::std::vec::Vec<#pk>>;
            type NotIn = ::diesel::dsl::NeAny<#table::#column, ::std::vec::Vec<#pk>>;
            fn column_in(keys: ::std::vec::Vec<#pk>) -> Self::In {
                ::diesel::ExpressionMethods::eq_any(#table::#column, keys)
            }
            fn column_not_in(keys: ::std::vec::Vec<#pk>) -> Self::NotIn {
                ::diesel::ExpressionMethods::ne_all(#table::#column, keys)
            }
            fn key(&self) -> ::core::option::Option<&#pk> {
                #read
            }
        }
    };
    // `Self` in the field's type is the model; in this impl it would be the column.
    let target = if quote!(#target).to_string() == "Self" {
        quote!(#ident)
    } else {
        quote!(#target)
    };
    let alias = quote!(::orm::relations::FieldAlias<#table::#column>);
    let aliased = quote!(<#target as ::orm::relations::AliasedColumns<#alias>>);
    let alias_name = format!("{table}_{column}");
    let (kind, row, present, batched) = join_row(f, &target, quote!(owner));
    let (part_ty, part) = nullable_if(f.nullable, quote!(#aliased::All), quote!(#aliased::all()));
    let column_type =
        quote!(<::diesel::dsl::Nullable<#table::#column> as ::diesel::Expression>::SqlType);
    // Every bound the items need is in the where clause, so a target that is no model
    // leaves this impl unusable without an error of its own (the field reports it).
    quote! {
        #field_impl
        impl ::orm::relations::KeyAlias for #table::#column
        where
            for<'__orm> #target: ::orm::Model<PrimaryKey = #key>,
        {
            type Target = #target;
            const ALIAS: &'static str = #alias_name;
        }
        impl ::orm::relations::ViaColumn for #table::#column
        where
            for<'__orm> #target: ::orm::Model<PrimaryKey = #key>
                + ::orm::relations::AliasedColumns<#alias>,
            for<'__orm> ::diesel::dsl::Nullable<#aliased::Pk>:
                ::diesel::expression::AsExpression<#column_type>,
            for<'__orm> #aliased::Pk: ::diesel::Expression,
            for<'__orm> #aliased::All: ::diesel::Expression,
        {
            type Owner = #ident;
            type Kind = #kind;
            type Row = #row;
            type On = ::diesel::dsl::Eq<
                ::diesel::dsl::Nullable<#table::#column>,
                ::diesel::dsl::Nullable<#aliased::Pk>,
            >;
            type Part = #part_ty;
            fn join_target() -> ::diesel::dsl::On<::diesel::query_source::Alias<#alias>, Self::On> {
                use ::diesel::{ExpressionMethods, NullableExpressionMethods};
                #aliased::on(#table::#column.nullable().eq(#aliased::pk().nullable()))
            }
            fn part() -> Self::Part {
                #part
            }
            fn present(row: Self::Row) -> ::core::option::Option<#target> {
                #present
            }
            fn attach_batched(
                owner: &mut #ident,
                rows: &::std::sync::Arc<::std::vec::Vec<#target>>,
                index: usize,
            ) {
                #batched
            }
        }
    }
}

/// `LoadByPk` (rows by primary key) and `SelectRelatedNames` (relations filled by name, a
/// match over the foreign-key fields and `slot_arms`, the `Related` fields' arms, which
/// need `slot_guards`) for model `ident`. `guards` are the model's own (enum fields,
/// foreign-key targets being models).
pub fn emit_by_name(
    ident: &syn::Ident,
    table: &syn::Ident,
    fields: &[Field],
    pk: &Field,
    guards: &[TokenStream],
    (slot_arms, slot_guards): (&[TokenStream], &[TokenStream]),
) -> TokenStream {
    let pk_ident = &pk.ident;
    let pk_ty = pk.value_type();
    let mut targets: Vec<String> = Vec::new();
    let mut relation_guards = vec![quote!(for<'__orm> #ident: ::core::marker::Send)];
    let mut names = Vec::new();
    let mut key_ofs = Vec::new();
    let mut sets = Vec::new();
    let mut fills = Vec::new();
    for f in fields {
        let Base::ForeignKey(target, key, _) = &f.base else {
            continue;
        };
        let name = quote!(#target).to_string();
        if !targets.contains(&name) {
            targets.push(name);
            relation_guards.push(quote!(for<'__orm> #key: ::core::hash::Hash + ::core::cmp::Eq));
            relation_guards.push(quote!(for<'__orm> #target: ::orm::related_names::LoadByPk));
        }
        let column = &f.ident;
        names.push(column.to_string());
        // Spanned on the field's type: when the target is not a model, the error lands
        // where the struct's own error does.
        let span = syn::spanned::Spanned::span(&f.ty);
        fills.push(quote::quote_spanned!(span=> ::orm::related_names::fill));
        let key = key_of(f, quote!(__r));
        key_ofs.push(quote!(|__r: &Self| #key));
        if f.nullable {
            sets.push(quote! {
                |__r: &mut Self, __v| {
                    if let ::core::option::Option::Some(__fk) = &mut __r.#column {
                        __fk.set_shared(__v);
                    }
                }
            });
        } else {
            sets.push(quote!(|__r: &mut Self, __v| __r.#column.set_shared(__v)));
        }
    }
    let paths = quote!(::orm::related_names::RelatedPaths);
    // A name that is no foreign key of this model (paths are checked before they run).
    let unknown = quote! {
        __other => {
            return ::core::result::Result::Err(::orm::related_names::not_a_relation(
                <Self as ::orm::Model>::meta(),
                __other,
            ));
        }
    };
    let query_ty = quote! {
        ::diesel::dsl::Filter<
            <#table::table as ::diesel::query_builder::AsQuery>::Query,
            ::diesel::dsl::EqAny<#table::#pk_ident, ::std::vec::Vec<#pk_ty>>,
        >
    };
    let by_pks = quote! {
        ::diesel::query_dsl::methods::FilterDsl::filter(
            ::diesel::query_builder::AsQuery::as_query(#table::table),
            ::diesel::ExpressionMethods::eq_any(#table::#pk_ident, keys),
        )
    };
    quote! {
        impl ::orm::related_names::PkQuery for #ident where #(#guards,)* {
            type Query = #query_ty;
            fn by_pks(keys: ::std::vec::Vec<#pk_ty>) -> Self::Query {
                #by_pks
            }
        }
        impl ::orm::related_names::SelectRelatedNames for #ident
        where
            #(#guards,)*
            #(#relation_guards,)*
            #(#slot_guards,)*
        {
            fn load_related<'__a, __C: ::orm::related_names::RelatedConn>(
                rows: &'__a mut [Self],
                paths: &'__a #paths,
                conn: &'__a mut __C,
            ) -> ::orm::related_names::BoxFuture<'__a, ::orm::Result<()>> {
                ::std::boxed::Box::pin(async move {
                    let _ = (&rows, &conn);
                    for (__field, __rest) in paths.groups() {
                        match __field {
                            #(#names => #fills(
                                &mut *rows, &__rest, &mut *conn, #key_ofs, #sets,
                            ).await?,)*
                            #(#slot_arms)*
                            #unknown
                        }
                    }
                    ::core::result::Result::Ok(())
                })
            }
        }
    }
}
