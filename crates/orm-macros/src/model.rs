//! `#[derive(Model)]`: reads the struct, checks it, and emits the diesel table, the row
//! impls (Queryable, Selectable), the insert form, the change set and the metadata.

use proc_macro2::{Delimiter, Group, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Error, Fields, Result};

use crate::attrs;
use crate::attrs::DefaultAttr;
use crate::field::{Base, Field};

/// Expands `#[derive(Model)]` on `input`.
pub fn expand(input: DeriveInput) -> Result<TokenStream> {
    let model = ModelDef::parse(&input)?;
    Ok(model.emit())
}

struct ModelDef {
    ident: syn::Ident,
    vis: syn::Visibility,
    table: syn::Ident,
    fields: Vec<Field>,
    pk: usize,
    /// Derives the user adds to the insert form and the change set (`form_derive(...)`).
    form_derive: Vec<syn::Path>,
    /// The table's previous name (`renamed_from = "..."`), for migrations.
    renamed_from: Option<syn::LitStr>,
    /// `unique_together(..)` groups, as column names.
    unique_together: Vec<Vec<String>>,
    /// `index_together(..)` groups, as column names.
    index_together: Vec<Vec<String>>,
    /// Reverse relations (`related(..)`).
    related: Vec<attrs::RelatedAttr>,
    /// Relations through a model (`many_to_many(..)`).
    many_to_many: Vec<attrs::RelatedAttr>,
    /// `orm::Related<T>` fields: not columns; each holds the rows of the relation of the
    /// same name once `prefetch_related` loads them.
    slots: Vec<Slot>,
}

/// A field `name: orm::Related<T>`.
struct Slot {
    ident: syn::Ident,
    /// `T`.
    ty: syn::Type,
}

/// `T` when `ty` is `Related<T>` (any path ending so: `orm::Related<T>`).
fn related_slot(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Related" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match (args.args.len(), args.args.first()?) {
        (1, syn::GenericArgument::Type(inner)) => Some(inner),
        _ => None,
    }
}

impl ModelDef {
    fn parse(input: &DeriveInput) -> Result<ModelDef> {
        if !input.generics.params.is_empty() {
            return Err(Error::new(
                input.generics.span(),
                "orm models cannot be generic",
            ));
        }
        let Data::Struct(data) = &input.data else {
            return Err(Error::new(input.ident.span(), "#[derive(Model)] needs a struct with named fields (use #[derive(DbEnum)] for enums)"));
        };
        let Fields::Named(named) = &data.fields else {
            return Err(Error::new(
                input.ident.span(),
                "#[derive(Model)] needs a struct with named fields",
            ));
        };
        let model_attrs = attrs::model_attrs(&input.attrs)?;
        let table = match &model_attrs.table {
            Some(lit) => syn::Ident::new(&lit.value(), lit.span()),
            None => format_ident!("{}s", snake_case(&input.ident.to_string())),
        };
        let mut errors: Option<Error> = None;
        let mut fields = Vec::new();
        let mut slots = Vec::new();
        for f in &named.named {
            if let Some(inner) = related_slot(&f.ty) {
                let ident = f.ident.clone().expect("named field");
                match f.attrs.iter().find(|a| a.path().is_ident("orm")) {
                    Some(attr) => combine(&mut errors, Error::new(attr.span(), format!("field `{ident}` holds the rows of a relation (`Related`): it is not a column and takes no `#[orm(..)]` options"))),
                    None => slots.push(Slot { ident, ty: inner.clone() }),
                }
                continue;
            }
            match Field::parse(f) {
                Ok(f) => fields.push(f),
                Err(e) => combine(&mut errors, e),
            }
        }
        if let Some(e) = errors {
            return Err(e);
        }
        let pks: Vec<usize> = (0..fields.len())
            .filter(|&i| fields[i].is_primary_key())
            .collect();
        let pk = match pks.as_slice() {
            [one] => *one,
            [] => {
                return Err(Error::new(
                    input.ident.span(),
                    format!(
                        "model `{}` has no primary key: mark one field `#[orm(primary_key)]`",
                        input.ident
                    ),
                ))
            }
            [_, second, ..] => {
                let f = &fields[*second];
                return Err(Error::new(
                    f.attrs.primary_key.unwrap_or_else(|| f.ident.span()),
                    format!("field `{}`: model `{}` already has a primary key (`{}`); a model has one key field: keep one and declare the pair unique with `#[orm(unique_together({}, {}))]` on the model", f.ident, input.ident, fields[pks[0]].ident, fields[pks[0]].ident, f.ident),
                ));
            }
        };
        let unique_together =
            field_groups(&fields, &model_attrs.unique_together, "unique_together");
        let index_together = field_groups(&fields, &model_attrs.index_together, "index_together");
        let (unique_together, index_together) = match (unique_together, index_together) {
            (Ok(u), Ok(i)) => (u, i),
            (Err(mut e), Err(f)) => {
                e.combine(f);
                return Err(e);
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        let relations: Vec<&attrs::RelatedAttr> = model_attrs
            .related
            .iter()
            .chain(&model_attrs.many_to_many)
            .collect();
        for (i, relation) in relations.iter().enumerate() {
            let name = &relation.name;
            if fields.iter().any(|f| f.ident == *name) {
                return Err(Error::new(name.span(), format!("relation `{name}` is named like a field of the model; by-name paths could not tell them apart")));
            }
            if relations[..i].iter().any(|r| r.name == *name) {
                return Err(Error::new(
                    name.span(),
                    format!("relation `{name}` is declared twice"),
                ));
            }
        }
        for slot in &slots {
            if !relations.iter().any(|r| r.name == slot.ident) {
                let name = &slot.ident;
                return Err(Error::new(name.span(), format!("field `{name}: Related<..>` holds the rows of a relation, and the model declares none named `{name}`: declare it, `#[orm(related({name} = Model))]` or `#[orm(many_to_many({name} = Through.field))]`")));
            }
        }
        if fields.iter().any(|f| f.ident == table) {
            return Err(Error::new(table.span(), format!("a field cannot be named like the table `{table}`; rename the field or set `#[orm(table = \"...\")]`")));
        }
        Ok(ModelDef {
            ident: input.ident.clone(),
            vis: input.vis.clone(),
            table,
            fields,
            pk,
            form_derive: model_attrs.form_derive,
            renamed_from: model_attrs.renamed_from,
            unique_together,
            index_together,
            related: model_attrs.related,
            many_to_many: model_attrs.many_to_many,
            slots,
        })
    }

    fn emit(&self) -> TokenStream {
        let table_decl = self.table_decl();
        let row_impls = self.row_impls();
        let model_impl = self.model_impl();
        let insert = self.insert_form();
        let changes = self.change_set();
        let persist = crate::persist::emit(
            &self.ident,
            &self.table,
            &self.fields,
            self.pk,
            &self.guards(true, false),
        );
        let relations = crate::relations::emit(&self.ident, &self.table, &self.fields);
        let aliased = crate::relations::emit_aliased(
            &self.ident,
            &self.table,
            &self.fields[self.pk].ident,
            &self.guards(true, false),
        );
        let (slot_checks, slot_arms, slot_guards) = self.slot_arms();
        let by_name = crate::relations::emit_by_name(
            &self.ident,
            &self.table,
            &self.fields,
            &self.fields[self.pk],
            &self.guards(true, true),
            (&slot_arms, &slot_guards),
        );
        // The metadata reaches a foreign key's target through the field's own type
        // (`<ForeignKey<M> as __OrmForeignKeyTarget>::TARGET`, spanned on the field): when
        // `M` is not a model, that repeats the struct's own error instead of adding one.
        let has_fk = self
            .fields
            .iter()
            .any(|f| matches!(f.base, Base::ForeignKey(..)));
        let related_checks = self.related_checks();
        let many_to_many = self.many_to_many_methods();
        let fk_target = has_fk.then(|| {
            quote! {
                trait __OrmForeignKeyTarget {
                    const TARGET: fn() -> &'static ::orm::ModelMeta;
                }
                impl<__M: ::orm::Model<PrimaryKey = __K>, __K> __OrmForeignKeyTarget for ::orm::ForeignKey<__M, __K> {
                    const TARGET: fn() -> &'static ::orm::ModelMeta = <__M as ::orm::Model>::meta;
                }
            }
        });
        quote! {
            #table_decl
            #insert
            #changes
            const _: () = {
                #fk_target
                #row_impls
                #model_impl
                #related_checks
                #slot_checks
                #many_to_many
                #persist
                #relations
                #aliased
                #by_name
            };
        }
    }

    /// Where-clauses for the bounds the generated impls need from types the derive cannot
    /// check itself: a `DbEnum` field's enum (`enums`) and a `ForeignKey`'s target
    /// (`foreign_keys`). They hold trivially when the types are right.
    ///
    /// When a type is wrong, `__orm_field_types` (or the struct's own `ForeignKey<M>`)
    /// already reports it in one clear error; with these where-clauses the impls that
    /// depend on it simply do not apply instead of adding a cascade of diesel errors. The
    /// `for<'__orm>` keeps rustc from rejecting a false bound on concrete types.
    ///
    /// Foreign-key targets stay out of the `Model` impl and what it requires: two models
    /// referencing each other would make their `Model` impls require each other.
    fn guards(&self, enums: bool, foreign_keys: bool) -> Vec<TokenStream> {
        let mut out = Vec::new();
        for f in &self.fields {
            match &f.base {
                Base::Enum if enums => {
                    let inner = &f.inner;
                    let ty = &f.ty;
                    let sql = f.full_sql_type();
                    out.push(quote!(for<'__orm> #inner: ::orm::DbEnum));
                    out.push(quote!(for<'__orm> #inner: ::orm::validate::FieldValue));
                    out.push(quote!(for<'__orm> #ty: ::diesel::expression::AsExpression<#sql>));
                }
                Base::ForeignKey(target, key, _) if foreign_keys => {
                    out.push(quote!(for<'__orm> #target: ::orm::Model<PrimaryKey = #key>));
                }
                _ => {}
            }
        }
        out
    }

    /// Compile-time checks of `related(..)`: the model is an orm model with a foreign key
    /// to this one (`via`: that field is one).
    fn related_checks(&self) -> TokenStream {
        let ident = &self.ident;
        let checks = self.related.iter().map(|r| {
            let model = &r.model;
            match &r.via {
                Some(via) => quote_spanned! {via.span()=>
                    fn _check(row: &#model) {
                        ::orm::__private::assert_references::<#ident, _>(&row.#via);
                    }
                },
                None => quote_spanned! {model.span()=>
                    fn _check() {
                        ::orm::__private::assert_belongs_to::<#model, #ident>();
                    }
                },
            }
        });
        // Many-to-many: the named field is a foreign key, and the through model has a
        // foreign key to this one, the owner's side (its first), which for a model linked
        // to itself must not be the named field.
        let through = self.many_to_many.iter().map(|r| {
            let (name, model) = (&r.name, &r.model);
            let via = r.via.as_ref().expect("checked when parsed");
            let field = via.to_string();
            let message = format!(
                "many_to_many({name} = {t}.{field}): the first foreign key of `{t}` to `{ident}` \
                 is `{field}` itself, the target's side; declare the owner's key first in `{t}`",
                t = quote!(#model),
            );
            quote_spanned! {via.span()=>
                fn _check(row: &#model) {
                    ::orm::__private::assert_is_foreign_key(&row.#via);
                }
                const _: () = ::core::assert!(
                    !::orm::relations::same_name(
                        <#model as ::orm::relations::BelongsTo<#ident>>::FIELD,
                        #field,
                    ),
                    #message,
                );
            }
        });
        quote!(#(const _: () = { #checks };)* #(const _: () = { #through };)*)
    }

    /// Whether a `Related` field holds the relation `name`.
    fn stores(&self, name: &syn::Ident) -> bool {
        self.slots.iter().any(|s| s.ident == *name)
    }

    /// The type of the rows relation `relation` gives (the target of a many-to-many
    /// relation's `Through.field`).
    fn relation_rows(relation: &attrs::RelatedAttr, many: bool) -> TokenStream {
        let model = &relation.model;
        match (&relation.via, many) {
            (Some(via), true) => {
                let field = crate::relations::foreign_key_field_of(model, via);
                quote!(#field::Target)
            }
            _ => quote!(#model),
        }
    }

    /// For each `Related` field: a compile-time check that it holds the relation's rows,
    /// the arm of `SelectRelatedNames::load_related` that fills it, and that impl's
    /// where-clauses for it.
    fn slot_arms(&self) -> (TokenStream, Vec<TokenStream>, Vec<TokenStream>) {
        let ident = &self.ident;
        let mut checks = TokenStream::new();
        let mut arms = Vec::new();
        let mut guards = Vec::new();
        for slot in &self.slots {
            let name = &slot.ident;
            let name_str = name.to_string();
            let slot_ty = &slot.ty;
            let (relation, many) = match self.related.iter().find(|r| r.name == *name) {
                Some(r) => (r, false),
                None => (
                    self.many_to_many
                        .iter()
                        .find(|r| r.name == *name)
                        .expect("checked when parsed"),
                    true,
                ),
            };
            let rows = Self::relation_rows(relation, many);
            // The rows must be Clone (a row related to several is copied): checked here,
            // so the first error is on the field, and a guard of the loading impl, so the
            // impl's body adds none of its own.
            checks.extend(quote_spanned! {slot_ty.span()=>
                const _: () = {
                    fn _check(__r: &#ident) -> &::orm::Related<#rows> {
                        &__r.#name
                    }
                    fn _clone(__r: &#slot_ty) -> #slot_ty {
                        ::core::clone::Clone::clone(__r)
                    }
                };
            });
            guards.push(quote!(for<'__orm> #rows: ::core::clone::Clone));
            let model = &relation.model;
            let set = quote!(|__r: &mut Self, __v| __r.#name.set(__v));
            let arm = if many {
                let via = relation.via.as_ref().expect("checked when parsed");
                let field = crate::relations::foreign_key_field_of(model, via);
                quote! {
                    #name_str => ::orm::related_names::fill_through::<Self, #model, #rows, _, _>(
                        &mut *rows, &__rest, &mut *conn,
                        <#model as ::orm::relations::BelongsTo<Self>>::column_in,
                        <#model as ::orm::relations::BelongsTo<Self>>::related_pk,
                        #field::key,
                        #set,
                    ).await?,
                }
            } else {
                let (column_in, key_of) = match &relation.via {
                    Some(via) => {
                        let field = crate::relations::foreign_key_field_of(model, via);
                        (quote!(#field::column_in), quote!(#field::key))
                    }
                    None => {
                        let belongs = quote!(<#model as ::orm::relations::BelongsTo<Self>>);
                        (quote!(#belongs::column_in), quote!(#belongs::related_pk))
                    }
                };
                quote! {
                    #name_str => ::orm::related_names::fill_reverse::<Self, #model, _, _>(
                        &mut *rows, &__rest, &mut *conn, #column_in, #key_of, #set,
                    ).await?,
                }
            };
            arms.push(arm);
        }
        (checks, arms, guards)
    }

    /// For each `many_to_many(name = Through.field)`, the method `name(&self)` returning
    /// the relation of this row (`orm::ManyToMany`): the linked rows as a QuerySet, and
    /// add, remove, set and clear.
    fn many_to_many_methods(&self) -> TokenStream {
        if self.many_to_many.is_empty() {
            return TokenStream::new();
        }
        let ident = &self.ident;
        let guards = self.guards(true, false);
        let methods = self.many_to_many.iter().map(|r| {
            let name = &r.name;
            let through = &r.model;
            let via = r.via.as_ref().expect("checked when parsed");
            let field = via.to_string();
            let key = crate::relations::field_key(via);
            let doc = format!(
                "The `{name}` many-to-many relation of this row: the rows `{}.{field}` \
                 references from the `{}` rows that reference this one. Generated by \
                 `many_to_many({name} = ..)`.",
                quote!(#through),
                quote!(#through),
            );
            quote_spanned! {via.span()=>
                #[doc = #doc]
                pub fn #name(&self) -> ::orm::ManyToMany<Self, #through, #key> {
                    ::orm::ManyToMany::new(self)
                }
            }
        });
        quote! {
            impl #ident where #(#guards,)* {
                #(#methods)*
            }
        }
    }

    fn table_decl(&self) -> TokenStream {
        let table = &self.table;
        let pk = &self.fields[self.pk].ident;
        let columns = self.fields.iter().map(|f| {
            let ident = &f.ident;
            let ty = f.full_sql_type();
            let sql_name = f.attrs.column.as_ref().map(|c| quote!(#[sql_name = #c]));
            quote!(#sql_name #ident -> #ty,)
        });
        let doc = format!(
            "Typed diesel columns of the `{}` table (model `{}`), generated by `#[derive(Model)]`.",
            table, self.ident
        );
        quote! {
            ::diesel::table! {
                use super::*;
                #[doc = #doc]
                #table (#pk) {
                    #(#columns)*
                }
            }
        }
    }

    fn row_impls(&self) -> TokenStream {
        let ident = &self.ident;
        let table = &self.table;
        let sql_types: Vec<_> = self.fields.iter().map(|f| f.full_sql_type()).collect();
        let rust_types: Vec<_> = self.fields.iter().map(|f| &f.ty).collect();
        let names: Vec<_> = self.fields.iter().map(|f| &f.ident).collect();
        let idx = (0..self.fields.len()).map(syn::Index::from);
        let slots = self.slots.iter().map(|s| &s.ident);
        let guards = self.guards(false, true);
        let type_checks = self.fields.iter().map(|f| {
            let inner = &f.inner;
            match &f.base {
                Base::ForeignKey(..) => quote!(),
                _ => {
                    quote_spanned!(inner.span()=> ::orm::__private::assert_field_type::<#inner>();)
                }
            }
        });
        quote! {
            #[allow(dead_code)]
            fn __orm_field_types() {
                #(#type_checks)*
            }

            impl<__DB: ::diesel::backend::Backend> ::diesel::deserialize::Queryable<(#(#sql_types,)*), __DB> for #ident
            where
                (#(#rust_types,)*): ::diesel::deserialize::FromStaticSqlRow<(#(#sql_types,)*), __DB>,
                #(#guards,)*
            {
                type Row = (#(#rust_types,)*);
                fn build(row: Self::Row) -> ::diesel::deserialize::Result<Self> {
                    ::core::result::Result::Ok(#ident {
                        #(#names: row.#idx,)*
                        #(#slots: ::core::default::Default::default(),)*
                    })
                }
            }

            impl<__DB: ::diesel::backend::Backend> ::diesel::Selectable<__DB> for #ident {
                type SelectExpression = (#(#table::#names,)*);
                fn construct_selection() -> Self::SelectExpression {
                    (#(#table::#names,)*)
                }
            }
        }
    }

    fn model_impl(&self) -> TokenStream {
        let ident = &self.ident;
        let table = &self.table;
        let name = ident.to_string();
        let table_name = table.to_string();
        let pk = &self.fields[self.pk];
        let pk_ident = &pk.ident;
        let pk_ty = pk.value_type();
        let pk_sql = pk.sql_type();
        let pk_kind = pk.kind_tokens();
        let insert = format_ident!("New{}", ident);
        let changes = format_ident!("{}Changes", ident);
        let metas = self.fields.iter().map(|f| f.meta_tokens());
        let texts = self.fields.iter().map(|f| {
            let field = &f.ident;
            let name = field.to_string();
            quote!(#name => ::orm::FieldText::field_text(&self.#field),)
        });
        let renamed_from = match &self.renamed_from {
            Some(old) => quote!(::core::option::Option::Some(#old)),
            None => quote!(::core::option::Option::None),
        };
        let groups = |groups: &[Vec<String>]| {
            let groups = groups.iter().map(|g| quote!(&[#(#g),*]));
            quote!(&[#(#groups),*])
        };
        let unique_together = groups(&self.unique_together);
        let index_together = groups(&self.index_together);
        let related = self.related.iter().map(|r| {
            let name = r.name.to_string();
            let model = &r.model;
            let via = match &r.via {
                Some(field) => {
                    let field = field.to_string();
                    quote!(::core::option::Option::Some(#field))
                }
                None => quote!(::core::option::Option::None),
            };
            let stored = self.stores(&r.name);
            quote!(::orm::RelatedMeta { name: #name, model: <#model as ::orm::Model>::meta, via: #via, then: ::core::option::Option::None, stored: #stored })
        });
        let many_to_many = self.many_to_many.iter().map(|r| {
            let name = r.name.to_string();
            let model = &r.model;
            let then = r.via.as_ref().map(|f| f.to_string());
            let stored = self.stores(&r.name);
            quote!(::orm::RelatedMeta { name: #name, model: <#model as ::orm::Model>::meta, via: ::core::option::Option::None, then: ::core::option::Option::Some(#then), stored: #stored })
        });
        let guards = self.guards(true, false);
        quote! {
            impl ::orm::Model for #ident where #(#guards,)* {
                type Table = #table::table;
                type PrimaryKey = #pk_ty;
                type PrimaryKeySql = #pk_sql;
                type Insert = #insert;
                type Changes = #changes;
                const PRIMARY_KEY_KIND: ::orm::FieldKind = #pk_kind;

                fn meta() -> &'static ::orm::ModelMeta {
                    // An inline const rather than a `static`: a nested static would not
                    // see the impl's where-clauses (see `guards`).
                    const {
                        &::orm::ModelMeta {
                            name: #name,
                            table: #table_name,
                            fields: &[#(#metas),*],
                            renamed_from: #renamed_from,
                            unique_together: #unique_together,
                            index_together: #index_together,
                            related: &[#(#related,)* #(#many_to_many),*],
                        }
                    }
                }

                fn pk(&self) -> &Self::PrimaryKey {
                    &self.#pk_ident
                }

                fn field_text(&self, field: &str) -> ::core::option::Option<::std::string::String> {
                    match field {
                        #(#texts)*
                        _ => ::core::option::Option::None,
                    }
                }
            }

            // A loaded row stands where its key is expected, as in encode/orm's
            // `filter(album=malibu)`: `NewTrack::new(&album, ..)` (through `Into`) and
            // `filter(tracks::album.eq(&album))` (as a diesel expression of the key).
            impl ::core::convert::From<&#ident> for #pk_ty {
                fn from(row: &#ident) -> Self {
                    ::core::clone::Clone::clone(&row.#pk_ident)
                }
            }

            impl<'__orm, __ST> ::diesel::expression::AsExpression<__ST> for &'__orm #ident
            where
                __ST: ::diesel::sql_types::SqlType + ::diesel::expression::TypedExpressionType,
                #pk_ty: ::diesel::expression::AsExpression<__ST>,
            {
                type Expression = <#pk_ty as ::diesel::expression::AsExpression<__ST>>::Expression;
                fn as_expression(self) -> Self::Expression {
                    ::diesel::expression::AsExpression::<__ST>::as_expression(
                        ::core::clone::Clone::clone(&self.#pk_ident),
                    )
                }
            }
        }
    }

    /// `#[derive(...)]` with the user's `form_derive` paths, or nothing.
    fn extra_derives(&self) -> TokenStream {
        if self.form_derive.is_empty() {
            return TokenStream::new();
        }
        let paths = &self.form_derive;
        quote!(#[derive(#(#paths),*)])
    }

    /// The fields `keep` keeps, each with its index in the model's fields.
    fn fields_where(&self, keep: impl Fn(&Field) -> bool) -> Vec<(usize, &Field)> {
        self.fields
            .iter()
            .enumerate()
            .filter(|(_, f)| keep(f))
            .collect()
    }

    fn insert_form(&self) -> TokenStream {
        let ident = &self.ident;
        let vis = &self.vis;
        let form = format_ident!("New{}", ident);
        let kept = self.fields_where(|f| !f.omitted_on_insert());
        let decls = kept.iter().map(|(_, f)| {
            let name = &f.ident;
            let vt = f.value_type();
            let doc = if f.optional_on_insert() {
                format!("`{name}`: optional; left out, it takes its default or NULL.")
            } else {
                format!("`{name}`: required.")
            };
            if f.optional_on_insert() {
                quote!(#[doc = #doc] pub #name: ::core::option::Option<#vt>,)
            } else {
                quote!(#[doc = #doc] pub #name: #vt,)
            }
        });
        let required: Vec<&Field> = kept
            .iter()
            .map(|(_, f)| *f)
            .filter(|f| !f.optional_on_insert())
            .collect();
        let params = required.iter().map(|f| {
            let name = &f.ident;
            let vt = f.value_type();
            quote!(#name: impl ::core::convert::Into<#vt>)
        });
        let inits = kept.iter().map(|(_, f)| {
            let name = &f.ident;
            if f.optional_on_insert() {
                quote!(#name: ::core::option::Option::None,)
            } else {
                quote!(#name: ::core::convert::Into::into(#name),)
            }
        });
        let checks = kept.iter().map(|(i, f)| {
            let name = &f.ident;
            quote!(__c.check(&__fields[#i], &self.#name);)
        });
        let validate = validate_fn(ident, checks);
        let defaults = kept.iter().filter_map(|(_, f)| match &f.attrs.default {
            Some((DefaultAttr::Function(expr), _)) => {
                let name = &f.ident;
                let vt = f.value_type();
                // The value goes through a trait implemented only for the field's type,
                // so a function returning anything else is one error naming the field.
                let vt_name = f.value_type_name();
                let message = format!(
                    "field `{name}`: the default function must return `{vt_name}`, not `{{Self}}`"
                );
                let label = format!("must return `{vt_name}`");
                // `(expr)()` spanned from the expression's first token to its last, so the
                // error underlines the whole expression.
                let tokens = expr.to_token_stream();
                let last = tokens.clone().into_iter().last().map_or(expr.span(), |t| t.span());
                let mut callee = Group::new(Delimiter::Parenthesis, tokens);
                callee.set_span(expr.span());
                let mut call = Group::new(Delimiter::Parenthesis, TokenStream::new());
                call.set_span(last);
                Some(quote_spanned! {expr.span()=>
                    if self.#name.is_none() {
                        #[diagnostic::on_unimplemented(message = #message, label = #label)]
                        trait __OrmDefault {
                            fn __orm_value(self) -> #vt;
                        }
                        impl __OrmDefault for #vt {
                            fn __orm_value(self) -> #vt {
                                self
                            }
                        }
                        self.#name = ::core::option::Option::Some(__OrmDefault::__orm_value(#callee #call));
                    }
                })
            }
            _ => None,
        });
        let default_impl = required.is_empty().then(|| {
            quote! {
                impl ::core::default::Default for #form {
                    fn default() -> Self { Self::new() }
                }
            }
        });
        let guards = self.guards(true, false);
        let extra_derives = self.extra_derives();
        let doc = format!("The values that create a `{ident}`: required fields are plain, the others `Option` (left out: default or NULL). Generated by `#[derive(Model)]`.");
        let new_doc =
            format!("A `{form}` with every required field given and every optional one left out.");
        quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, PartialEq)]
            #extra_derives
            #vis struct #form {
                #(#decls)*
            }

            impl #form {
                #[doc = #new_doc]
                #[allow(clippy::too_many_arguments)]
                pub fn new(#(#params),*) -> Self {
                    #form { #(#inits)* }
                }
            }

            #default_impl

            impl ::orm::InsertForm for #form where #(#guards,)* {
                type Model = #ident;

                #validate

                fn apply_defaults(&mut self) {
                    #(#defaults)*
                }
            }
        }
    }

    fn change_set(&self) -> TokenStream {
        let ident = &self.ident;
        let vis = &self.vis;
        let table = &self.table;
        let changes = format_ident!("{}Changes", ident);
        let kept = self.fields_where(|f| !f.is_primary_key());
        let value_ty = |f: &Field| {
            let vt = f.value_type();
            if f.nullable {
                quote!(::core::option::Option<#vt>)
            } else {
                vt
            }
        };
        let decls = kept.iter().map(|(_, f)| {
            let name = &f.ident;
            let vt = value_ty(f);
            let doc = format!("New value of `{name}`, if it changes.");
            quote!(#[doc = #doc] pub #name: ::core::option::Option<#vt>,)
        });
        let checks = kept.iter().map(|(i, f)| {
            let name = &f.ident;
            quote!(if let ::core::option::Option::Some(__v) = &self.#name { __c.check(&__fields[#i], __v); })
        });
        let validate = validate_fn(ident, checks);
        let guards = self.guards(true, false);
        let changeset = (!kept.is_empty()).then(|| {
            let eq_types: Vec<_> = kept
                .iter()
                .map(|(_, f)| {
                    let name = &f.ident;
                    let vt = value_ty(f);
                    quote!(::core::option::Option<::diesel::dsl::Eq<#table::#name, #vt>>)
                })
                .collect();
            let eq_values = kept.iter().map(|(_, f)| {
                let name = &f.ident;
                quote!(self.#name.map(|__v| ::diesel::ExpressionMethods::eq(#table::#name, __v)),)
            });
            quote! {
                impl ::diesel::AsChangeset for #changes
                where
                    #(#guards,)*
                    for<'__orm> (#(#eq_types,)*): ::diesel::AsChangeset<Target = #table::table>,
                {
                    type Target = #table::table;
                    type Changeset = <(#(#eq_types,)*) as ::diesel::AsChangeset>::Changeset;
                    fn as_changeset(self) -> Self::Changeset {
                        ::diesel::AsChangeset::as_changeset((#(#eq_values)*))
                    }
                }
            }
        });
        let extra_derives = self.extra_derives();
        let doc = format!("Changes to a `{ident}`: every field optional, `None` leaves it as it is. Generated by `#[derive(Model)]`.");
        quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, PartialEq, Default)]
            #extra_derives
            #vis struct #changes {
                #(#decls)*
            }

            impl ::orm::ChangeSet for #changes where #(#guards,)* {
                type Model = #ident;

                #validate
            }

            #changeset
        }
    }
}

/// The column names of each group of `option` (`unique_together` or `index_together`),
/// or every problem found in them: an unknown field, fewer than two fields, a field listed
/// twice, a field that cannot be indexed.
fn field_groups(
    fields: &[Field],
    groups: &[attrs::FieldGroup],
    option: &str,
) -> Result<Vec<Vec<String>>> {
    let mut errors: Option<Error> = None;
    let mut out = Vec::new();
    for group in groups {
        if group.fields.len() < 2 {
            let msg = format!("`{option}` needs at least two fields (for one, mark the field `#[orm(unique)]` or `#[orm(index)]`)");
            combine(&mut errors, Error::new(group.span, msg));
            continue;
        }
        let mut columns = Vec::new();
        for (i, ident) in group.fields.iter().enumerate() {
            if group.fields[..i].contains(ident) {
                let msg = format!("`{option}`: field `{ident}` is listed twice");
                combine(&mut errors, Error::new(ident.span(), msg));
                continue;
            }
            let Some(field) = fields.iter().find(|f| f.ident == *ident) else {
                let known: Vec<String> = fields.iter().map(|f| f.ident.to_string()).collect();
                let msg = format!(
                    "`{option}`: the model has no field `{ident}`; its fields are: {}",
                    known.join(", ")
                );
                combine(&mut errors, Error::new(ident.span(), msg));
                continue;
            };
            if let Some(why) = field.not_indexable() {
                combine(
                    &mut errors,
                    Error::new(ident.span(), format!("`{option}`: field `{ident}`: {why}")),
                );
                continue;
            }
            columns.push(field.column_name());
        }
        out.push(columns);
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn combine(acc: &mut Option<Error>, e: Error) {
    match acc {
        Some(a) => a.combine(e),
        None => *acc = Some(e),
    }
}

/// `TrackPlay` -> `track_play`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The `validate` method of an insert form or change set: runs each of `checks` (with the
/// model's field metadata in `__fields` and the error collector in `__c`) and returns
/// every failure at once.
fn validate_fn(model: &syn::Ident, checks: impl Iterator<Item = TokenStream>) -> TokenStream {
    quote! {
        fn validate(&self) -> ::core::result::Result<(), ::orm::ValidationError> {
            let __fields = <#model as ::orm::Model>::meta().fields;
            let mut __c = ::orm::validate::Collector::new();
            #(#checks)*
            __c.finish()
        }
    }
}
