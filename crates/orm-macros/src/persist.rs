//! What persistence needs from a model, emitted as `impl orm::__private::persist::Persist`:
//! the insert form turned into one complete row of diesel `column.eq(value)` pairs, the
//! change set's `auto_now` refresh, and the form seen as a change set.
//!
//! The row names every column except an auto-increment primary key, with the form's
//! defaults filled in Rust (function defaults through `InsertForm::apply_defaults`,
//! literal defaults from the declaration) and `auto_now`/`auto_now_add` set to the time
//! given. So every row of a bulk insert has the same columns and binds a value for each:
//! one multi-row `INSERT` on every backend, SQLite included (which has no `DEFAULT`
//! keyword in a multi-row `VALUES`). The literal defaults are the same values as the
//! columns' SQL `DEFAULT`s.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use crate::attrs::{AttrLit, DefaultAttr};
use crate::field::{Base, Field, Kind};

/// The `Persist` impl of model `ident` (table module `table`, primary key `fields[pk]`),
/// under the same where-clauses (`guards`) as its `Model` impl.
pub fn emit(
    ident: &syn::Ident,
    table: &syn::Ident,
    fields: &[Field],
    pk: usize,
    guards: &[TokenStream],
) -> TokenStream {
    let form = format_ident!("New{}", ident);
    let changes = format_ident!("{}Changes", ident);
    let pk_field = &fields[pk];
    let pk_ty = pk_field.value_type();
    let stored: Vec<&Field> = fields.iter().filter(|f| !f.auto_increment).collect();
    let columns = stored.len();
    let row_types: Vec<TokenStream> = stored
        .iter()
        .map(|f| {
            let name = &f.ident;
            let vt = column_value_type(f);
            quote!(::diesel::dsl::Eq<#table::#name, #vt>)
        })
        .collect();
    let row_values = stored.iter().map(|f| {
        let name = &f.ident;
        let value = row_value(f, false);
        quote!(::diesel::ExpressionMethods::eq(#table::#name, #value),)
    });
    let supplied_pk = if pk_field.auto_increment {
        quote!(::core::option::Option::None)
    } else {
        let value = row_value(pk_field, true);
        quote!(::core::option::Option::Some(#value))
    };
    let pk_from_id = if pk_field.auto_increment {
        quote!(::core::convert::TryFrom::try_from(id).ok())
    } else {
        quote!({
            let _ = id;
            ::core::option::Option::None
        })
    };
    let non_pk: Vec<&Field> = fields.iter().filter(|f| !f.is_primary_key()).collect();
    let change_values = non_pk.iter().map(|f| {
        let name = &f.ident;
        let value = if f.omitted_on_insert() {
            quote!(::core::option::Option::None)
        } else if !f.optional_on_insert() {
            quote!(::core::option::Option::Some(form.#name))
        } else if f.nullable {
            quote!(form.#name.map(::core::option::Option::Some))
        } else {
            quote!(form.#name)
        };
        quote!(#name: #value,)
    });
    let touches = non_pk
        .iter()
        .filter(|f| f.attrs.auto_now.is_some())
        .map(|f| {
            let name = &f.ident;
            let value = now_value(f);
            quote! {
                if changes.#name.is_none() {
                    changes.#name = ::core::option::Option::Some(#value);
                }
            }
        });
    let names: Vec<_> = non_pk.iter().map(|f| &f.ident).collect();
    let picked = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.is_primary_key())
        .map(|(i, f)| {
            let name = &f.ident;
            let value = match (&f.base, f.nullable) {
                (Base::ForeignKey(..), true) => {
                    quote!(self.#name.as_ref().map(|__fk| ::core::clone::Clone::clone(__fk.pk())))
                }
                (Base::ForeignKey(..), false) => {
                    quote!(::core::clone::Clone::clone(self.#name.pk()))
                }
                _ => quote!(::core::clone::Clone::clone(&self.#name)),
            };
            quote! {
                #name: if fields.contains(&#i) {
                    ::core::option::Option::Some(#value)
                } else {
                    ::core::option::Option::None
                },
            }
        });
    let binds = binds(ident, fields, guards);
    quote! {
        #binds

        // The row's bound is a where-clause too, so that a field of a wrong type (already
        // reported once by the struct's checks) makes this impl not apply rather than
        // adding an error about the row.
        impl ::orm::__private::persist::Persist for #ident
        where
            #(#guards,)*
            for<'__orm> (#(#row_types,)*): ::core::marker::Send + 'static,
        {
            type Row = (#(#row_types,)*);
            const COLUMNS: usize = #columns;

            #[allow(clippy::unnecessary_lazy_evaluations)]
            fn insert_row(
                mut form: #form,
                now: ::orm::__private::persist::Timestamp,
            ) -> (::core::option::Option<#pk_ty>, Self::Row) {
                <#form as ::orm::InsertForm>::apply_defaults(&mut form);
                let _ = &now;
                let __pk = #supplied_pk;
                (__pk, (#(#row_values)*))
            }

            fn pk_from_insert_id(id: u64) -> ::core::option::Option<#pk_ty> {
                #pk_from_id
            }

            fn form_changes(form: #form) -> #changes {
                #changes { #(#change_values)* }
            }

            fn touch(changes: &mut #changes, now: ::orm::__private::persist::Timestamp) {
                let _ = &now;
                #(#touches)*
            }

            fn changes_empty(changes: &#changes) -> bool {
                true #(&& changes.#names.is_none())*
            }

            fn changes_of(&self, fields: &[usize]) -> #changes {
                let _ = fields;
                #changes { #(#picked)* }
            }
        }
    }
}

/// `FieldBinds`: binding any field of a loaded row as a parameter, on any backend whose
/// diesel types the fields' values convert to.
fn binds(ident: &syn::Ident, fields: &[Field], guards: &[TokenStream]) -> TokenStream {
    let name = ident.to_string();
    let bounds = fields.iter().map(|f| {
        let ty = &f.ty;
        let st = f.full_sql_type();
        quote! {
            for<'__orm> #ty: ::diesel::serialize::ToSql<#st, __DB>,
            __DB: ::diesel::sql_types::HasSqlType<#st>,
        }
    });
    let arms = fields.iter().enumerate().map(|(i, f)| {
        let field = &f.ident;
        let ty = &f.ty;
        let st = f.full_sql_type();
        quote!(#i => out.push_bind_param::<#st, #ty>(&self.#field),)
    });
    quote! {
        impl<__DB> ::orm::__private::persist::FieldBinds<__DB> for #ident
        where
            __DB: ::diesel::backend::Backend,
            #(#guards,)*
            #(#bounds)*
        {
            fn walk_field<'__b>(
                &'__b self,
                index: usize,
                out: &mut ::diesel::query_builder::AstPass<'_, '__b, __DB>,
            ) -> ::diesel::QueryResult<()> {
                match index {
                    #(#arms)*
                    _ => ::core::result::Result::Err(::diesel::result::Error::QueryBuilderError(
                        ::std::format!("{} has no field number {}", #name, index).into(),
                    )),
                }
            }
        }
    }
}

/// The Rust type a stored column's value has in the row (`Option` when nullable).
fn column_value_type(f: &Field) -> TokenStream {
    let vt = f.value_type();
    if f.nullable {
        quote!(::core::option::Option<#vt>)
    } else {
        vt
    }
}

/// The value of a stored column, from the form (`form`, the field moved out of it or
/// cloned) and the time (`now`).
fn row_value(f: &Field, clone: bool) -> TokenStream {
    let name = &f.ident;
    let field = if clone {
        quote!(::core::clone::Clone::clone(&form.#name))
    } else {
        quote!(form.#name)
    };
    if f.attrs.auto_now.is_some() || f.attrs.auto_now_add.is_some() {
        return now_value(f);
    }
    if !f.optional_on_insert() || f.attrs.default.is_none() {
        // Required, or nullable without default (`None` is NULL).
        return field;
    }
    let fallback = match &f.attrs.default {
        Some((DefaultAttr::Literal(lit), _)) => literal_value(f, lit),
        // `apply_defaults` has filled it.
        _ => {
            let message = format!("`apply_defaults` fills the default of `{name}`");
            quote!(::core::unreachable!(#message))
        }
    };
    let value = quote!(#field.unwrap_or_else(|| #fallback));
    if f.nullable {
        quote!(::core::option::Option::Some(#value))
    } else {
        value
    }
}

/// `now` as the field's type (a date, a time or a date-time; `Some` when nullable).
fn now_value(f: &Field) -> TokenStream {
    let value = match f.kind {
        Kind::Date => quote!(now.date()),
        Kind::Time => quote!(now.time()),
        Kind::DateTimeUtc => quote!(::orm::DateTimeUtc(now.and_utc())),
        _ => quote!(now),
    };
    if f.nullable {
        quote!(::core::option::Option::Some(#value))
    } else {
        value
    }
}

/// A literal default as a value of the field's type. The derive has already checked that
/// the literal fits the kind (`Field::check`).
fn literal_value(f: &Field, lit: &AttrLit) -> TokenStream {
    let span = lit.span();
    let name = &f.ident;
    let parse_decimal = |text: String| {
        let message = format!("field `{name}`: the default `{text}` is not a decimal");
        quote_spanned!(span=> <::orm::Decimal as ::core::str::FromStr>::from_str(#text).expect(#message))
    };
    // A number written with its type's suffix (`5i16`), so it is that type.
    let suffixed = |v: Literal| quote!(#v);
    match (lit, f.kind) {
        (AttrLit::Bool(b), _) => quote!(#b),
        (AttrLit::Int(i, _), Kind::Integer) => suffixed(Literal::i32_suffixed(*i as i32)),
        (AttrLit::Int(i, _), Kind::SmallInteger) => suffixed(Literal::i16_suffixed(*i as i16)),
        (AttrLit::Int(i, _), Kind::Float) => suffixed(Literal::f64_suffixed(*i as f64)),
        (AttrLit::Int(i, _), Kind::Real) => suffixed(Literal::f32_suffixed(*i as f32)),
        (AttrLit::Int(i, _), Kind::Decimal) => parse_decimal(i.to_string()),
        (AttrLit::Int(i, _), _) => suffixed(Literal::i64_suffixed(*i)),
        (AttrLit::Float(x, _), Kind::Decimal) => parse_decimal(x.to_string()),
        (AttrLit::Float(x, _), Kind::Real) => suffixed(Literal::f32_suffixed(*x as f32)),
        (AttrLit::Float(x, _), _) => suffixed(Literal::f64_suffixed(*x)),
        (AttrLit::Str(s), Kind::Enum) => {
            let inner = &f.inner;
            let message = format!(
                "field `{name}`: the default {:?} is not a variant of `{}`",
                s.value(),
                quote!(#inner).to_string().replace(' ', "")
            );
            // Checked while compiling: a default that names no variant is an error there.
            quote_spanned!(s.span()=> {
                const _: () = if !::orm::__private::names_a_variant(<#inner as ::orm::DbEnum>::VARIANTS, #s) {
                    ::core::panic!(#message)
                };
                <#inner as ::orm::DbEnum>::from_name(#s).expect(#message)
            })
        }
        (AttrLit::Str(s), _) => quote!(::std::string::String::from(#s)),
    }
}
