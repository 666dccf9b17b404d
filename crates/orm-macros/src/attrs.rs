//! Parsing of `#[orm(...)]` attributes on models and their fields.
//!
//! Every key is checked here; an unknown key is an error that points at it and lists
//! the valid ones.

use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, ExprUnary, Ident, Lit, LitStr, Result, UnOp};

/// The keys accepted on a field, listed in the error for an unknown key.
const FIELD_KEYS: &[&str] = &[
    "primary_key",
    "column",
    "max_length",
    "min_length",
    "minimum",
    "maximum",
    "pattern",
    "allow_blank",
    "allow_null",
    "choices",
    "default",
    "auto_now",
    "auto_now_add",
    "index",
    "unique",
    "text",
    "email",
    "url",
    "max_digits",
    "decimal_places",
    "foreign_key",
    "one_to_one",
    "on_delete",
    "no_join",
    "renamed_from",
];

/// The options written on the model struct.
#[derive(Default)]
pub struct ModelAttrs {
    /// `table = "notes"`.
    pub table: Option<LitStr>,
    /// `form_derive(serde::Deserialize, ...)`: derives added to the insert form and the
    /// change set.
    pub form_derive: Vec<syn::Path>,
    /// `renamed_from = "old_table"`: the table's previous name, for migrations.
    pub renamed_from: Option<LitStr>,
    /// `unique_together(a, b)`, once per group: the fields whose values are unique together.
    pub unique_together: Vec<FieldGroup>,
    /// `index_together(a, b)`, once per group: the fields indexed together, in order.
    pub index_together: Vec<FieldGroup>,
    /// `related(tracks = Track, featured_in = Playlist.featured)`: reverse relations.
    pub related: Vec<RelatedAttr>,
    /// `many_to_many(tracks = PlaylistEntry.track)`: relations through a model.
    pub many_to_many: Vec<RelatedAttr>,
}

/// One reverse relation: `name = Model` or `name = Model.foreign_key_field`.
pub struct RelatedAttr {
    pub name: Ident,
    pub model: syn::Path,
    pub via: Option<Ident>,
}

/// The fields of one `unique_together(..)` or `index_together(..)`, with the span of the
/// option for errors about the group as a whole.
pub struct FieldGroup {
    pub span: proc_macro2::Span,
    pub fields: Vec<Ident>,
}

/// A literal from an attribute, with its span kept for errors.
#[derive(Clone)]
pub enum AttrLit {
    Bool(syn::LitBool),
    Int(i64, proc_macro2::Span),
    Float(f64, proc_macro2::Span),
    Str(LitStr),
}

impl AttrLit {
    pub fn span(&self) -> proc_macro2::Span {
        match self {
            AttrLit::Bool(b) => b.span,
            AttrLit::Int(_, s) | AttrLit::Float(_, s) => *s,
            AttrLit::Str(s) => s.span(),
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            AttrLit::Bool(_) => "a boolean",
            AttrLit::Int(..) => "an integer",
            AttrLit::Float(..) => "a float",
            AttrLit::Str(_) => "a string",
        }
    }
}

/// A field's default: a literal (also the SQL DEFAULT) or an expression called per create.
#[derive(Clone)]
pub enum DefaultAttr {
    Literal(AttrLit),
    Function(Expr),
}

/// A flag attribute: whether it was given, with the span of where.
pub type Flag = Option<proc_macro2::Span>;

/// The options written on one field.
#[derive(Default)]
pub struct FieldAttrs {
    pub primary_key: Flag,
    pub column: Option<LitStr>,
    pub max_length: Option<(u32, proc_macro2::Span)>,
    pub min_length: Option<(u32, proc_macro2::Span)>,
    pub minimum: Option<AttrLit>,
    pub maximum: Option<AttrLit>,
    pub pattern: Option<LitStr>,
    pub allow_blank: Flag,
    pub allow_null: Flag,
    pub choices: Option<(Vec<AttrLit>, proc_macro2::Span)>,
    pub default: Option<(DefaultAttr, proc_macro2::Span)>,
    pub auto_now: Flag,
    pub auto_now_add: Flag,
    pub index: Flag,
    pub unique: Flag,
    pub text: Flag,
    pub email: Flag,
    pub url: Flag,
    pub max_digits: Option<(u32, proc_macro2::Span)>,
    pub decimal_places: Option<(u32, proc_macro2::Span)>,
    pub foreign_key: Flag,
    pub one_to_one: Flag,
    pub on_delete: Option<LitStr>,
    /// `no_join`: this foreign key gets no diesel join impls (of two models that
    /// reference each other, the one whose join the other side declares).
    pub no_join: Flag,
    /// `renamed_from = "old_column"`: the column's previous name, for migrations.
    pub renamed_from: Option<LitStr>,
}

/// Parses every `#[orm(...)]` on the model struct.
pub fn model_attrs(attrs: &[Attribute]) -> Result<ModelAttrs> {
    let mut out = ModelAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("orm")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table") {
                let lit: LitStr = meta.value()?.parse()?;
                if syn::parse_str::<syn::Ident>(&lit.value()).is_err() {
                    return Err(syn::Error::new(
                        lit.span(),
                        "`table` must be a valid Rust identifier (it also names the module of typed columns)",
                    ));
                }
                out.table = Some(lit);
                Ok(())
            } else if meta.path.is_ident("renamed_from") {
                out.renamed_from = Some(identifier(meta.value()?.parse()?, "renamed_from")?);
                Ok(())
            } else if meta.path.is_ident("form_derive") {
                meta.parse_nested_meta(|derive| {
                    out.form_derive.push(derive.path);
                    Ok(())
                })
            } else if meta.path.is_ident("unique_together") {
                out.unique_together.push(field_group(&meta)?);
                Ok(())
            } else if meta.path.is_ident("index_together") {
                out.index_together.push(field_group(&meta)?);
                Ok(())
            } else if meta.path.is_ident("related") {
                meta.parse_nested_meta(|relation| {
                    out.related.push(related(&relation)?);
                    Ok(())
                })
            } else if meta.path.is_ident("many_to_many") {
                meta.parse_nested_meta(|relation| {
                    let parsed = related(&relation)?;
                    if parsed.via.is_none() {
                        return Err(relation.error("expected the through model and its foreign key to the related model: `many_to_many(tracks = PlaylistEntry.track)`"));
                    }
                    out.many_to_many.push(parsed);
                    Ok(())
                })
            } else {
                Err(meta.error(format!(
                    "unknown orm model option `{}`; the valid options are: table, form_derive, renamed_from, unique_together, index_together, related, many_to_many",
                    path_name(&meta)
                )))
            }
        })?;
    }
    Ok(out)
}

/// `name = Model` or `name = Model.field` inside `related(..)`.
fn related(relation: &ParseNestedMeta) -> Result<RelatedAttr> {
    let Some(name) = relation.path.get_ident().cloned() else {
        return Err(relation.error("expected a relation name: `related(tracks = Track)`"));
    };
    let expr: Expr = relation.value()?.parse()?;
    let expected = "expected the referencing model, `Track`, or the model and its foreign-key field, `Playlist.featured`";
    let (model, via) = match expr {
        Expr::Path(p) => (p.path, None),
        Expr::Field(f) => match (*f.base, f.member) {
            (Expr::Path(p), syn::Member::Named(field)) => (p.path, Some(field)),
            (other, _) => return Err(syn::Error::new(other.span(), expected)),
        },
        other => return Err(syn::Error::new(other.span(), expected)),
    };
    Ok(RelatedAttr { name, model, via })
}

/// The field names listed in `unique_together(a, b, ..)` or `index_together(..)`.
fn field_group(meta: &ParseNestedMeta) -> Result<FieldGroup> {
    let mut fields = Vec::new();
    meta.parse_nested_meta(|field| match field.path.get_ident() {
        Some(ident) if field.input.is_empty() || field.input.peek(syn::Token![,]) => {
            fields.push(ident.clone());
            Ok(())
        }
        _ => Err(field.error("expected a field name")),
    })?;
    Ok(FieldGroup {
        span: meta.path.span(),
        fields,
    })
}

/// Parses every `#[orm(...)]` on the field `field`; errors name the field.
pub fn field_attrs(attrs: &[Attribute], field: &Ident) -> Result<FieldAttrs> {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("orm")) {
        attr.parse_nested_meta(|meta| parse_field_key(&mut out, meta, field))?;
    }
    Ok(out)
}

fn parse_field_key(out: &mut FieldAttrs, meta: ParseNestedMeta<'_>, field: &Ident) -> Result<()> {
    // Every error of this key, from here or from the value's parser, names the field.
    parse_field_value(out, &meta).map_err(|e| {
        e.into_iter()
            .map(|e| {
                let msg = e.to_string();
                let msg = if msg.starts_with("field `") {
                    msg
                } else {
                    format!("field `{field}`: {msg}")
                };
                // Rebuild with the original (possibly multi-token) span.
                let mut tokens = e.to_compile_error().into_iter();
                let first = tokens.next().map(|t| t.span()).unwrap_or_else(|| e.span());
                let last = tokens.last().map(|t| t.span()).unwrap_or(first);
                syn::Error::new_spanned(Spans(first, last), msg)
            })
            .reduce(|mut a, b| {
                a.combine(b);
                a
            })
            .expect("a syn::Error holds at least one message")
    })
}

/// Two spans as tokens, so `Error::new_spanned` covers from the first to the last.
struct Spans(proc_macro2::Span, proc_macro2::Span);

impl quote::ToTokens for Spans {
    fn to_tokens(&self, tokens: &mut proc_macro2::TokenStream) {
        let mut a = proc_macro2::Punct::new('#', proc_macro2::Spacing::Alone);
        a.set_span(self.0);
        let mut b = proc_macro2::Punct::new('#', proc_macro2::Spacing::Alone);
        b.set_span(self.1);
        tokens.extend([proc_macro2::TokenTree::from(a), b.into()]);
    }
}

/// The flag options of a field, each key named like its [`FieldAttrs`] field:
/// `flag_slot(out, key)` is that field, `None` for a key that is no flag.
macro_rules! flags {
    ($($key:ident)*) => {
        fn flag_slot<'a>(out: &'a mut FieldAttrs, key: &str) -> Option<&'a mut Flag> {
            $(
                if key == stringify!($key) {
                    return Some(&mut out.$key);
                }
            )*
            None
        }
    };
}
flags!(
    primary_key allow_blank allow_null auto_now auto_now_add index unique text email url
    foreign_key one_to_one no_join
);

fn parse_field_value(out: &mut FieldAttrs, meta: &ParseNestedMeta<'_>) -> Result<()> {
    let span = meta
        .path
        .get_ident()
        .map(|i| i.span())
        .unwrap_or_else(proc_macro2::Span::call_site);
    let name = path_name(meta);
    let flag = |slot: &mut Flag| -> Result<()> {
        if slot.is_some() {
            return Err(meta.error(format!("`{name}` is given twice")));
        }
        *slot = Some(span);
        Ok(())
    };
    if let Some(slot) = flag_slot(out, &name) {
        return flag(slot);
    }
    match name.as_str() {
        "column" => set(&mut out.column, meta.value()?.parse()?),
        "renamed_from" => {
            if out.renamed_from.is_some() {
                return Err(meta.error("`renamed_from` is given twice"));
            }
            out.renamed_from = Some(identifier(meta.value()?.parse()?, "renamed_from")?);
            Ok(())
        }
        "pattern" => {
            let lit: LitStr = meta.value()?.parse()?;
            if let Err(e) = regex_lite::Regex::new(&lit.value()) {
                return Err(syn::Error::new(
                    lit.span(),
                    format!("invalid `pattern`: {e}"),
                ));
            }
            out.pattern = Some(lit);
            Ok(())
        }
        "on_delete" => {
            let lit: LitStr = meta.value()?.parse()?;
            match lit.value().to_ascii_lowercase().as_str() {
                "cascade" | "restrict" | "set_null" | "set null" => {
                    out.on_delete = Some(lit);
                    Ok(())
                }
                other => Err(syn::Error::new(
                    lit.span(),
                    format!("unknown on_delete action `{other}`; expected \"cascade\", \"restrict\" or \"set_null\""),
                )),
            }
        }
        "max_length" => set(&mut out.max_length, (positive_int(meta)?, span)),
        "min_length" => set(&mut out.min_length, (non_negative_int(meta)?, span)),
        "max_digits" => set(&mut out.max_digits, (positive_int(meta)?, span)),
        "decimal_places" => set(&mut out.decimal_places, (non_negative_int(meta)?, span)),
        "minimum" => set(&mut out.minimum, number(meta)?),
        "maximum" => set(&mut out.maximum, number(meta)?),
        "choices" => {
            let expr: Expr = meta.value()?.parse()?;
            let Expr::Array(array) = &expr else {
                return Err(syn::Error::new_spanned(expr, "`choices` must be a list of literals, e.g. choices = [\"draft\", \"published\"]"));
            };
            let lits = array
                .elems
                .iter()
                .map(literal)
                .collect::<Result<Vec<_>>>()?;
            if lits.is_empty() {
                return Err(syn::Error::new_spanned(expr, "`choices` must not be empty"));
            }
            out.choices = Some((lits, span));
            Ok(())
        }
        "default" => {
            let expr: Expr = meta.value()?.parse()?;
            let value = match literal(&expr) {
                Ok(lit) => DefaultAttr::Literal(lit),
                Err(_) => DefaultAttr::Function(expr),
            };
            out.default = Some((value, span));
            Ok(())
        }
        _ => {
            let hint = closest(&name, FIELD_KEYS)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            Err(meta.error(format!(
                "unknown orm field option `{name}`{hint}; valid options are: {}",
                FIELD_KEYS.join(", ")
            )))
        }
    }
}

/// Stores an option's value (given again, the last one counts).
fn set<T>(slot: &mut Option<T>, value: T) -> Result<()> {
    *slot = Some(value);
    Ok(())
}

/// The key of `keys` closest to the misspelt `name`, if one is close enough to suggest.
fn closest<'a>(name: &str, keys: &[&'a str]) -> Option<&'a str> {
    keys.iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance, counting a swap of two neighbours as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// `lit` when it is a plain identifier (a previous table or column name), else an error
/// naming `key`.
fn identifier(lit: LitStr, key: &str) -> Result<LitStr> {
    let value = lit.value();
    let valid = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(syn::Error::new(
            lit.span(),
            format!("`{key}` must name a previous table or column: letters, digits and `_`"),
        ));
    }
    Ok(lit)
}

fn path_name(meta: &ParseNestedMeta<'_>) -> String {
    meta.path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

fn non_negative_int(meta: &ParseNestedMeta<'_>) -> Result<u32> {
    let lit: syn::LitInt = meta.value()?.parse()?;
    lit.base10_parse::<u32>()
}

fn positive_int(meta: &ParseNestedMeta<'_>) -> Result<u32> {
    let lit: syn::LitInt = meta.value()?.parse()?;
    let n = lit.base10_parse::<u32>()?;
    if n == 0 {
        return Err(syn::Error::new(lit.span(), "must be at least 1"));
    }
    Ok(n)
}

fn number(meta: &ParseNestedMeta<'_>) -> Result<AttrLit> {
    let expr: Expr = meta.value()?.parse()?;
    match literal(&expr)? {
        lit @ (AttrLit::Int(..) | AttrLit::Float(..)) => Ok(lit),
        other => Err(syn::Error::new(
            other.span(),
            format!("expected a number, found {}", other.describe()),
        )),
    }
}

/// A literal: bool, (negative) integer, (negative) float, or string.
pub fn literal(expr: &Expr) -> Result<AttrLit> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Bool(b) => Ok(AttrLit::Bool(b.clone())),
            Lit::Int(i) => Ok(AttrLit::Int(i.base10_parse()?, i.span())),
            Lit::Float(f) => Ok(AttrLit::Float(f.base10_parse()?, f.span())),
            Lit::Str(s) => Ok(AttrLit::Str(s.clone())),
            other => Err(syn::Error::new_spanned(other, "unsupported literal")),
        },
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match literal(expr)? {
            AttrLit::Int(i, s) => Ok(AttrLit::Int(-i, s)),
            AttrLit::Float(f, s) => Ok(AttrLit::Float(-f, s)),
            other => Err(syn::Error::new(other.span(), "only numbers can be negated")),
        },
        Expr::Group(g) => literal(&g.expr),
        other => Err(syn::Error::new_spanned(other, "expected a literal")),
    }
}
