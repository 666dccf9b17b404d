//! One model field: its Rust type read as a field kind, its options checked against the
//! kind, and the tokens (SQL type, metadata) the derive emits for it.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Error, GenericArgument, Ident, PathArguments, Result, Type};

use crate::attrs::{self, AttrLit, DefaultAttr, FieldAttrs};

/// Declares [`Base`] from one table: each base type with the diesel SQL type of its
/// column (without `Nullable`), and the foreign key, whose SQL type is its key's.
macro_rules! bases {
    ($($(#[$doc:meta])* $base:ident => $($sql:ident)::+,)*) => {
        /// The Rust type of a field with `Option` peeled off, as orm understands it.
        #[derive(Clone)]
        pub enum Base {
            $($(#[$doc])* $base,)*
            /// `ForeignKey<Target, Key>` (Key defaults to `i64`) and the key's own base.
            ForeignKey(Box<Type>, Box<Type>, Box<Base>),
        }

        /// The diesel SQL type for a base type (without `Nullable`).
        fn base_sql_type(base: &Base) -> TokenStream {
            match base {
                $(Base::$base => quote!(::$($sql)::+),)*
                Base::ForeignKey(_, _, key) => base_sql_type(key),
            }
        }
    };
}

bases! {
    /// `i16`
    I16 => diesel::sql_types::SmallInt,
    /// `i32`
    I32 => diesel::sql_types::Integer,
    /// `i64`
    I64 => diesel::sql_types::BigInt,
    /// `f32`
    F32 => diesel::sql_types::Float,
    /// `f64`
    F64 => diesel::sql_types::Double,
    /// `bool`
    Bool => diesel::sql_types::Bool,
    /// `String`
    String => diesel::sql_types::Text,
    /// `Vec<u8>`
    Bytes => diesel::sql_types::Binary,
    /// `orm::Decimal`
    Decimal => orm::sql_types::Decimal,
    /// `chrono::NaiveDate`
    Date => diesel::sql_types::Date,
    /// `chrono::NaiveDateTime`
    DateTime => diesel::sql_types::Timestamp,
    /// `orm::DateTimeUtc`
    DateTimeUtc => orm::sql_types::TimestampUtc,
    /// `chrono::NaiveTime`
    Time => diesel::sql_types::Time,
    /// `orm::Json`
    Json => orm::sql_types::Json,
    /// `orm::Uuid`
    Uuid => orm::sql_types::Uuid,
    /// `orm::IpAddress`
    IpAddr => orm::sql_types::IpAddress,
    /// Any other type: a `#[derive(DbEnum)]` enum.
    Enum => diesel::sql_types::Text,
}

/// Declares [`Kind`] from one table: each kind with the name messages give it. A kind's
/// `FieldKind` variant, where it has one, has the kind's own name.
macro_rules! kinds {
    ($($kind:ident => $name:literal,)*) => {
        /// The resolved kind: what `FieldKind` variant the metadata gets.
        #[derive(Clone, Copy, PartialEq)]
        pub enum Kind {
            $($kind,)*
        }

        impl Kind {
            fn name(self) -> &'static str {
                match self {
                    $(Kind::$kind => $name,)*
                }
            }

            /// `::orm::FieldKind::<kind>`: the metadata's kind where the variant carries
            /// nothing ([`Field::kind_tokens`] writes `Decimal`, `Enum` and `ForeignKey`).
            fn variant_path(self) -> TokenStream {
                match self {
                    $(Kind::$kind => quote!(::orm::FieldKind::$kind),)*
                }
            }
        }
    };
}

kinds! {
    SmallInteger => "SmallInteger",
    Integer => "Integer",
    BigInteger => "BigInteger",
    Real => "Real",
    Float => "Float",
    Boolean => "Boolean",
    String => "String",
    Text => "Text",
    Bytes => "Bytes",
    Decimal => "Decimal",
    Date => "Date",
    DateTime => "DateTime",
    DateTimeUtc => "DateTimeUtc",
    Time => "Time",
    Json => "JSON",
    Uuid => "UUID",
    Enum => "Enum",
    Email => "Email",
    Url => "URL",
    IpAddress => "IPAddress",
    ForeignKey => "ForeignKey",
}

impl Kind {
    fn is_textual(self) -> bool {
        matches!(self, Kind::String | Kind::Text | Kind::Email | Kind::Url)
    }

    fn is_numeric(self) -> bool {
        matches!(
            self,
            Kind::SmallInteger
                | Kind::Integer
                | Kind::BigInteger
                | Kind::Real
                | Kind::Float
                | Kind::Decimal
        )
    }
}

/// A field of the model, analysed.
pub struct Field {
    pub ident: Ident,
    /// The declared type (with `Option` if nullable).
    pub ty: Type,
    /// The type without `Option`.
    pub inner: Type,
    pub base: Base,
    pub kind: Kind,
    pub nullable: bool,
    pub attrs: FieldAttrs,
    pub auto_increment: bool,
}

impl Field {
    /// Reads and checks one field; errors point at the offending field or option.
    pub fn parse(field: &syn::Field) -> Result<Field> {
        let ident = field
            .ident
            .clone()
            .ok_or_else(|| Error::new(field.span(), "orm models need named fields"))?;
        let attrs = attrs::field_attrs(&field.attrs, &ident)?;
        let (nullable, inner) = match option_inner(&field.ty) {
            Some(inner) => (true, inner.clone()),
            None => (false, field.ty.clone()),
        };
        let base = base_of(&inner, &ident)?;
        let kind = resolve_kind(&ident, &base, &attrs, &inner)?;
        let mut f = Field {
            ident,
            ty: field.ty.clone(),
            inner,
            base,
            kind,
            nullable,
            attrs,
            auto_increment: false,
        };
        f.check()?;
        // As in encode/orm: a text field that accepts "" defaults to "" when it names no
        // default of its own (and is not nullable, where the default is NULL, nor
        // restricted to choices, which "" may not be among).
        if let Some(span) = f.attrs.allow_blank {
            if !f.nullable
                && f.attrs.default.is_none()
                && f.attrs.choices.is_none()
                && f.attrs.primary_key.is_none()
            {
                let empty = AttrLit::Str(syn::LitStr::new("", span));
                f.attrs.default = Some((DefaultAttr::Literal(empty), span));
            }
        }
        f.auto_increment = f.attrs.primary_key.is_some()
            && matches!(f.kind, Kind::Integer | Kind::BigInteger)
            && f.attrs.default.is_none();
        Ok(f)
    }

    /// `Ok` when `holds`; otherwise the error `msg` at `span`.
    fn ensure(&self, holds: bool, span: Span, msg: impl std::fmt::Display) -> Result<()> {
        if holds {
            Ok(())
        } else {
            Err(self.err(span, msg))
        }
    }

    fn err(&self, span: Span, msg: impl std::fmt::Display) -> Error {
        Error::new(span, format!("field `{}`: {msg}", self.ident))
    }

    /// Why this field cannot be in an index or a UNIQUE constraint, if it cannot.
    pub fn not_indexable(&self) -> Option<String> {
        let name = self.kind.name();
        match self.kind {
            Kind::Text | Kind::Json => Some(format!("{name} fields cannot be indexed or unique on every backend (MySQL cannot index unbounded text); use a String with max_length")),
            Kind::Bytes => Some("Bytes fields cannot be indexed or unique on every backend (MySQL cannot index a LONGBLOB)".to_string()),
            _ => None,
        }
    }

    /// Rules that involve several options or the kind.
    fn check(&self) -> Result<()> {
        let a = &self.attrs;
        let name = self.kind.name();
        if let (Some(_), Some(add)) = (a.auto_now, a.auto_now_add) {
            return Err(self.err(add, "`auto_now` and `auto_now_add` cannot both be set: auto_now already sets the time on create"));
        }
        let date_or_time = matches!(
            self.kind,
            Kind::DateTime | Kind::DateTimeUtc | Kind::Date | Kind::Time
        );
        for s in [a.auto_now, a.auto_now_add].into_iter().flatten() {
            let msg = format!("`auto_now`/`auto_now_add` need a date or time field, not {name}");
            self.ensure(date_or_time, s, msg)?;
        }
        self.ensure(
            self.kind != Kind::String || a.max_length.is_some(),
            self.ident.span(),
            "a String field needs `max_length` (or `#[orm(text)]` for unbounded text)",
        )?;
        if let Some(s) = a.allow_null {
            self.ensure(
                self.nullable,
                s,
                "`allow_null` needs the type to be `Option<...>`",
            )?;
        }
        if let Some(s) = a.primary_key {
            self.ensure(!self.nullable, s, "a primary key cannot be `Option<...>`")?;
            let key_kind = matches!(
                self.kind,
                Kind::Integer | Kind::BigInteger | Kind::Uuid | Kind::String
            );
            let msg = format!("a primary key must be an integer, a UUID or a String, not {name}");
            self.ensure(key_kind, s, msg)?;
            self.ensure(
                self.kind != Kind::Uuid || a.default.is_some(),
                s,
                "a UUID primary key needs a default, e.g. `default = uuid::Uuid::new_v4`",
            )?;
        }
        let foreign_key = self.kind == Kind::ForeignKey;
        if let Some(s) = a.on_delete.as_ref().map(|l| l.span()) {
            self.ensure(
                foreign_key,
                s,
                "`on_delete` is only for `ForeignKey<...>` fields",
            )?;
        }
        if self.on_delete_set_null() {
            self.ensure(
                self.nullable,
                a.on_delete.as_ref().map_or(self.ident.span(), |l| l.span()),
                "`on_delete = \"set_null\"` needs the field to be `Option<ForeignKey<...>>`",
            )?;
        }
        for s in [a.foreign_key, a.one_to_one, a.no_join]
            .into_iter()
            .flatten()
        {
            self.ensure(
                foreign_key,
                s,
                "`foreign_key`/`one_to_one`/`no_join` need the type `ForeignKey<Model>`",
            )?;
        }
        for (opt, s) in [
            ("max_length", a.max_length.map(|m| m.1)),
            ("min_length", a.min_length.map(|m| m.1)),
            ("pattern", a.pattern.as_ref().map(|p| p.span())),
            ("allow_blank", a.allow_blank),
        ] {
            if let Some(s) = s {
                // A byte string's length counts bytes.
                let lengths = opt.ends_with("_length") && self.kind == Kind::Bytes;
                if !self.kind.is_textual() && !lengths {
                    let what = if opt.ends_with("_length") {
                        "text and byte-string fields"
                    } else {
                        "text fields"
                    };
                    return Err(self.err(s, format!("`{opt}` applies to {what}, not {name}")));
                }
            }
        }
        for lit in [&a.minimum, &a.maximum].into_iter().flatten() {
            if !self.kind.is_numeric() {
                return Err(self.err(
                    lit.span(),
                    format!("`minimum`/`maximum` apply to numeric fields, not {name}"),
                ));
            }
        }
        for s in [a.index, a.unique].into_iter().flatten() {
            if let Some(why) = self.not_indexable() {
                return Err(self.err(s, why));
            }
        }
        if let Some((lits, _)) = &a.choices {
            for lit in lits {
                let ok = match lit {
                    AttrLit::Str(_) => self.kind.is_textual(),
                    AttrLit::Int(..) => self.kind.is_numeric(),
                    AttrLit::Float(..) => {
                        matches!(self.kind, Kind::Real | Kind::Float | Kind::Decimal)
                    }
                    AttrLit::Bool(_) => false,
                };
                if !ok {
                    return Err(self.err(
                        lit.span(),
                        format!("choice {} does not fit a {name} field", lit.describe()),
                    ));
                }
            }
        }
        match (self.kind, a.max_digits, a.decimal_places) {
            (Kind::Decimal, Some((digits, _)), Some((places, s))) if places > digits => {
                return Err(self.err(s, "`decimal_places` cannot exceed `max_digits`"));
            }
            (Kind::Decimal, Some(_), Some(_)) => {}
            (Kind::Decimal, _, _) => {
                return Err(self.err(
                    self.ident.span(),
                    "a Decimal field needs `max_digits` and `decimal_places`",
                ));
            }
            (_, Some((_, s)), _) | (_, _, Some((_, s))) => {
                return Err(self.err(
                    s,
                    format!("`max_digits`/`decimal_places` apply to Decimal fields, not {name}"),
                ));
            }
            _ => {}
        }
        if let Some((DefaultAttr::Literal(lit), _)) = &a.default {
            self.check_default_literal(lit)?;
        }
        Ok(())
    }

    fn check_default_literal(&self, lit: &AttrLit) -> Result<()> {
        let ok = match lit {
            AttrLit::Bool(_) => self.kind == Kind::Boolean,
            AttrLit::Int(i, _) => match self.kind {
                Kind::SmallInteger => i16::try_from(*i).is_ok(),
                Kind::Integer => i32::try_from(*i).is_ok(),
                Kind::BigInteger | Kind::Real | Kind::Float | Kind::Decimal => true,
                _ => false,
            },
            AttrLit::Float(..) => matches!(self.kind, Kind::Real | Kind::Float | Kind::Decimal),
            AttrLit::Str(_) => self.kind.is_textual() || self.kind == Kind::Enum,
        };
        if ok {
            Ok(())
        } else {
            Err(self.err(
                lit.span(),
                format!(
                    "default is {} but the field is {} (`{}`)",
                    lit.describe(),
                    self.kind.name(),
                    type_string(&self.inner)
                ),
            ))
        }
    }

    pub fn on_delete_set_null(&self) -> bool {
        self.attrs.on_delete.as_ref().is_some_and(|l| {
            matches!(
                l.value().to_ascii_lowercase().as_str(),
                "set_null" | "set null"
            )
        })
    }

    pub fn is_primary_key(&self) -> bool {
        self.attrs.primary_key.is_some()
    }

    /// Whether the insert form leaves this field out entirely (the database or orm sets it).
    pub fn omitted_on_insert(&self) -> bool {
        self.auto_increment || self.attrs.auto_now.is_some() || self.attrs.auto_now_add.is_some()
    }

    /// Whether the insert form holds `Option<T>` for this field.
    pub fn optional_on_insert(&self) -> bool {
        self.nullable || self.attrs.default.is_some()
    }

    /// The column's name in SQL.
    pub fn column_name(&self) -> String {
        self.attrs
            .column
            .as_ref()
            .map(|c| c.value())
            .unwrap_or_else(|| self.ident.to_string())
    }

    /// The value type an insert form or change set holds (a foreign key holds the
    /// target's primary key).
    pub fn value_type(&self) -> TokenStream {
        match &self.base {
            Base::ForeignKey(_, key, _) => quote!(#key),
            _ => {
                let inner = &self.inner;
                quote!(#inner)
            }
        }
    }

    /// [`Field::value_type`] as written in error messages.
    pub fn value_type_name(&self) -> String {
        self.value_type().to_string().replace(' ', "")
    }

    /// The diesel SQL type of the column, without `Nullable`.
    pub fn sql_type(&self) -> TokenStream {
        base_sql_type(&self.base)
    }

    /// The SQL type including `Nullable` when the field is `Option<...>`.
    pub fn full_sql_type(&self) -> TokenStream {
        let st = self.sql_type();
        if self.nullable {
            quote!(::diesel::sql_types::Nullable<#st>)
        } else {
            st
        }
    }

    /// The `FieldKind` expression for the metadata.
    pub fn kind_tokens(&self) -> TokenStream {
        let a = &self.attrs;
        match self.kind {
            Kind::Decimal => {
                let d = a.max_digits.map_or(0, |d| d.0);
                let p = a.decimal_places.map_or(0, |p| p.0);
                quote!(::orm::FieldKind::Decimal { max_digits: #d, decimal_places: #p })
            }
            Kind::Enum => {
                let ty = &self.inner;
                quote_spanned!(ty.span()=> ::orm::FieldKind::Enum { variants: <#ty as ::orm::DbEnum>::VARIANTS })
            }
            // The key's kind (the referenced model's primary key).
            Kind::ForeignKey => match &self.base {
                Base::ForeignKey(_, _, key) => match **key {
                    Base::I32 => Kind::Integer,
                    Base::I64 => Kind::BigInteger,
                    Base::Uuid => Kind::Uuid,
                    _ => Kind::String,
                },
                _ => Kind::BigInteger,
            }
            .variant_path(),
            kind => kind.variant_path(),
        }
    }

    /// The `FieldMeta` expression for the metadata.
    pub fn meta_tokens(&self) -> TokenStream {
        let a = &self.attrs;
        let name = self.ident.to_string();
        let column = self.column_name();
        let kind = self.kind_tokens();
        let nullable = self.nullable;
        let primary_key = a.primary_key.is_some();
        let auto_increment = self.auto_increment;
        let unique = a.unique.is_some();
        let index = a.index.is_some();
        let auto_now = a.auto_now.is_some();
        let auto_now_add = a.auto_now_add.is_some();
        let default = match &a.default {
            None => quote!(::core::option::Option::None),
            Some((DefaultAttr::Literal(lit), _)) => {
                let lit = literal_tokens(lit, self.kind);
                quote!(::core::option::Option::Some(::orm::DefaultValue::Static(#lit)))
            }
            Some((DefaultAttr::Function(_), _)) => {
                quote!(::core::option::Option::Some(::orm::DefaultValue::Function))
            }
        };
        let opt_lit = |l: &Option<AttrLit>| match l {
            Some(l) => {
                let t = literal_tokens(l, self.kind);
                quote!(::core::option::Option::Some(#t))
            }
            None => quote!(::core::option::Option::None),
        };
        let minimum = opt_lit(&a.minimum);
        let maximum = opt_lit(&a.maximum);
        let opt_u32 = |v: Option<(u32, Span)>| match v {
            Some((n, _)) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        let default_max = match self.kind {
            Kind::Email => Some((254, Span::call_site())),
            Kind::Url => Some((2048, Span::call_site())),
            _ => None,
        };
        let max_length = opt_u32(a.max_length.or(default_max));
        let min_length = opt_u32(a.min_length);
        let pattern = match &a.pattern {
            Some(p) => quote!(::core::option::Option::Some(#p)),
            None => quote!(::core::option::Option::None),
        };
        let allow_blank = a.allow_blank.is_some();
        let choices = match &a.choices {
            Some((lits, _)) => {
                let lits = lits.iter().map(|l| literal_tokens(l, self.kind));
                quote!(::core::option::Option::Some(&[#(#lits),*]))
            }
            None => quote!(::core::option::Option::None),
        };
        let foreign_key = match &self.base {
            Base::ForeignKey(..) => {
                let on_delete = match a.on_delete.as_ref().map(|l| l.value().to_ascii_lowercase()) {
                    Some(v) if v == "cascade" => quote!(::orm::OnDelete::Cascade),
                    Some(v) if v == "restrict" => quote!(::orm::OnDelete::Restrict),
                    Some(_) => quote!(::orm::OnDelete::SetNull),
                    // Django's default is CASCADE; refusing is the safer default for data.
                    None => quote!(::orm::OnDelete::Restrict),
                };
                let one_to_one = a.one_to_one.is_some();
                let inner = &self.inner;
                let target =
                    quote_spanned!(inner.span()=> <#inner as __OrmForeignKeyTarget>::TARGET);
                quote!(::core::option::Option::Some(::orm::ForeignKeyMeta {
                    target: #target,
                    on_delete: #on_delete,
                    one_to_one: #one_to_one,
                }))
            }
            _ => quote!(::core::option::Option::None),
        };
        let renamed_from = match &a.renamed_from {
            Some(old) => quote!(::core::option::Option::Some(#old)),
            None => quote!(::core::option::Option::None),
        };
        quote! {
            ::orm::FieldMeta {
                name: #name,
                column: #column,
                renamed_from: #renamed_from,
                kind: #kind,
                nullable: #nullable,
                primary_key: #primary_key,
                auto_increment: #auto_increment,
                unique: #unique,
                index: #index,
                default: #default,
                auto_now: #auto_now,
                auto_now_add: #auto_now_add,
                validators: ::orm::Validators {
                    minimum: #minimum,
                    maximum: #maximum,
                    max_length: #max_length,
                    min_length: #min_length,
                    pattern: #pattern,
                    allow_blank: #allow_blank,
                    choices: #choices,
                },
                foreign_key: #foreign_key,
            }
        }
    }
}

/// A literal as an `orm::Literal` expression (integers become floats on float fields).
fn literal_tokens(lit: &AttrLit, kind: Kind) -> TokenStream {
    match lit {
        AttrLit::Bool(b) => quote!(::orm::Literal::Bool(#b)),
        AttrLit::Int(i, _) if matches!(kind, Kind::Real | Kind::Float) => {
            let f = *i as f64;
            quote!(::orm::Literal::Float(#f))
        }
        AttrLit::Int(i, _) => quote!(::orm::Literal::Int(#i)),
        AttrLit::Float(f, _) => quote!(::orm::Literal::Float(#f)),
        AttrLit::Str(s) => quote!(::orm::Literal::Str(#s)),
    }
}

fn resolve_kind(ident: &Ident, base: &Base, attrs: &FieldAttrs, ty: &Type) -> Result<Kind> {
    let string_flags = [
        (attrs.text, Kind::Text),
        (attrs.email, Kind::Email),
        (attrs.url, Kind::Url),
    ];
    let mut chosen = None;
    for (flag, kind) in string_flags {
        if let Some(span) = flag {
            if !matches!(base, Base::String) {
                return Err(Error::new(span, format!("field `{ident}`: `text`, `email` and `url` need a `String` field, not `{}`", type_string(ty))));
            }
            if chosen.is_some() {
                return Err(Error::new(
                    span,
                    format!("field `{ident}`: choose one of `text`, `email` and `url`"),
                ));
            }
            chosen = Some(kind);
        }
    }
    Ok(match base {
        Base::I16 => Kind::SmallInteger,
        Base::I32 => Kind::Integer,
        Base::I64 => Kind::BigInteger,
        Base::F32 => Kind::Real,
        Base::F64 => Kind::Float,
        Base::Bool => Kind::Boolean,
        Base::String => chosen.unwrap_or(Kind::String),
        Base::Bytes => Kind::Bytes,
        Base::Decimal => Kind::Decimal,
        Base::Date => Kind::Date,
        Base::DateTime => Kind::DateTime,
        Base::DateTimeUtc => Kind::DateTimeUtc,
        Base::Time => Kind::Time,
        Base::Json => Kind::Json,
        Base::Uuid => Kind::Uuid,
        Base::IpAddr => Kind::IpAddress,
        Base::ForeignKey(..) => Kind::ForeignKey,
        Base::Enum => Kind::Enum,
    })
}

/// `Some(T)` when `ty` is `Option<T>`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    generic_arg(ty, "Option")
}

/// `(Target, Some(Key))` for `ForeignKey<Target, Key>`, `(Target, None)` for
/// `ForeignKey<Target>`.
fn foreign_key_args(ty: &Type) -> Option<(Type, Option<Type>)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "ForeignKey" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    });
    let target = types.next()?;
    Some((target, types.next()))
}

fn generic_arg<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

/// Reads `ty` (without `Option`) as a base type; errors name the field `ident`.
fn base_of(ty: &Type, ident: &Ident) -> Result<Base> {
    if let Some((target, key)) = foreign_key_args(ty) {
        let key: Type = key.unwrap_or_else(|| syn::parse_quote!(i64));
        let key_base = base_of(&key, ident)?;
        if !matches!(key_base, Base::I32 | Base::I64 | Base::Uuid | Base::String) {
            return Err(Error::new_spanned(&key, format!("field `{ident}`: the key of a ForeignKey must be i32, i64, orm::Uuid or String (the referenced model's primary-key type)")));
        }
        return Ok(Base::ForeignKey(
            Box::new(target),
            Box::new(key),
            Box::new(key_base),
        ));
    }
    let Type::Path(p) = ty else {
        return Ok(Base::Enum);
    };
    let Some(last) = p.path.segments.last() else {
        return Ok(Base::Enum);
    };
    let first = p
        .path
        .segments
        .first()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    let newtype = match (first.as_str(), last.ident.to_string().as_str()) {
        ("uuid", "Uuid") => Some("orm::Uuid"),
        ("serde_json", "Value") => Some("orm::Json"),
        (_, "IpAddr") => Some("orm::IpAddress"),
        (_, "BigDecimal") => Some("orm::Decimal"),
        (_, "DateTime") => Some("orm::DateTimeUtc"),
        _ => None,
    };
    if let Some(newtype) = newtype {
        return Err(Error::new_spanned(
            ty,
            format!("field `{ident}`: `{}` cannot be bound on every backend; use the newtype `{newtype}` (it derefs to and converts from it)", type_string(ty)),
        ));
    }
    if last.ident == "Vec" {
        return match generic_arg(ty, "Vec").map(type_string).as_deref() {
            Some("u8") => Ok(Base::Bytes),
            _ => Err(Error::new_spanned(
                ty,
                format!(
                    "field `{ident}`: `{}` is not a field type; a byte string is `Vec<u8>`",
                    type_string(ty)
                ),
            )),
        };
    }
    Ok(match last.ident.to_string().as_str() {
        "i16" => Base::I16,
        "i32" => Base::I32,
        "i64" => Base::I64,
        "f32" => Base::F32,
        "f64" => Base::F64,
        "bool" => Base::Bool,
        "String" => Base::String,
        "Decimal" => Base::Decimal,
        "NaiveDate" => Base::Date,
        "NaiveDateTime" => Base::DateTime,
        "DateTimeUtc" => Base::DateTimeUtc,
        "NaiveTime" => Base::Time,
        "Json" => Base::Json,
        "Uuid" => Base::Uuid,
        "IpAddress" => Base::IpAddr,
        _ => Base::Enum,
    })
}

fn type_string(ty: &Type) -> String {
    quote!(#ty).to_string().replace(' ', "")
}
