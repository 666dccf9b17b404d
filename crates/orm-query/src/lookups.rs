//! Django's lookups as methods on diesel expressions.
//!
//! [`Lookups`] names the comparisons as Django does (`exact`, `gt`, `gte`, `lt`, `lte`,
//! `in_`, `isnull`) and maps each to the diesel operator a hand-written query would use.
//! [`TextLookups`] adds the LIKE family for text columns (`contains`, `icontains`,
//! `startswith`, `endswith`, `iexact`).
//!
//! LIKE behaves the same on every backend:
//! - `%`, `_` and the escape character in the value match literally. On PostgreSQL the
//!   value is escaped with `\`, its default escape character, and the query has no
//!   `ESCAPE` clause: with one, a prepared statement's generic plan calls
//!   `like_escape($1, '!')` for every row. On SQLite (no default escape character) and
//!   MySQL/MariaDB (whose default `\` disappears under `NO_BACKSLASH_ESCAPES`, and which
//!   cannot parse a literal `ESCAPE '\'`) the value is escaped with `!` and the query says
//!   `ESCAPE '!'` ([`LikePattern`], [`LikeSyntax`]). On SQLite a value with none of `%`,
//!   `_` and `!` in it needs no escaping, and its query has no `ESCAPE` clause: SQLite's
//!   LIKE with an escape character is slower for every row it compares. The SQL then
//!   depends on the value, so a LIKE lookup's statement is cached by its SQL text, not by
//!   its type.
//! - `contains`, `startswith` and `endswith` are case-sensitive (orm turns on SQLite's
//!   `case_sensitive_like` and creates MySQL tables with a binary collation).
//! - the `i` lookups compare `lower(column)` with `lower(value)`, both in SQL, so the
//!   database folds case the same way on both sides, Unicode-aware on every backend (orm
//!   replaces SQLite's ASCII-only `lower()` on each connection with Unicode's simple case
//!   mapping, what PostgreSQL and MariaDB apply: `icontains("CAFÉ")` finds "Café").
//!
//! Every value is a bound parameter.

use diesel::dsl;
use diesel::expression::{AsExpression, Expression};
use diesel::sql_types::{Nullable, SingleValue, SqlType, Text};
use diesel::ExpressionMethods;

/// The character that escapes `%`, `_` and itself in LIKE patterns.
pub const LIKE_ESCAPE: char = '!';

/// Escapes `%`, `_` and [`LIKE_ESCAPE`] so `value` matches literally inside a LIKE pattern.
///
/// ```
/// assert_eq!(orm_query::lookups::escape_like("50%_off!"), "50!%!_off!!");
/// ```
pub fn escape_like(value: &str) -> String {
    escape_with(value, LIKE_ESCAPE)
}

/// `value` with `%`, `_` and `escape` escaped by `escape`.
fn escape_with(value: &str, escape: char) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    for c in value.chars() {
        if matches!(c, '%' | '_') || c == escape {
            out.push(escape);
        }
        out.push(c);
    }
    out
}

/// A LIKE pattern: a literal value between wildcards, escaped for each backend's LIKE
/// (see the [module documentation](self)).
///
/// ```
/// use orm_query::lookups::LikePattern;
/// let p = LikePattern::new("%", "50%_off!\\", "%");
/// assert_eq!(p.portable(), "%50!%!_off!!\\%");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LikePattern {
    /// Escaped with `!`, for `ESCAPE '!'`.
    portable: String,
    /// Whether the value holds none of `%`, `_` and `!`: `portable` then escapes nothing,
    /// and means the same without an `ESCAPE` clause on SQLite.
    plain: bool,
    /// Escaped with `\`, PostgreSQL's default.
    #[cfg(feature = "postgres")]
    backslash: String,
}

impl LikePattern {
    /// `prefix`, then `value` matched literally, then `suffix` (the wildcards: `"%"` or
    /// `""`).
    pub fn new(prefix: &str, value: &str, suffix: &str) -> Self {
        LikePattern {
            portable: format!("{prefix}{}{suffix}", escape_like(value)),
            plain: !value.contains(['%', '_', LIKE_ESCAPE]),
            #[cfg(feature = "postgres")]
            backslash: format!("{prefix}{}{suffix}", escape_with(value, '\\')),
        }
    }

    /// The pattern escaped with `!`.
    pub fn portable(&self) -> &str {
        &self.portable
    }
}

/// How a backend writes LIKE: the pattern it binds and what follows it.
pub trait LikeSyntax: diesel::backend::Backend {
    /// The escape clause after a pattern that may hold escaped characters, or after a
    /// column (with a leading space), or nothing.
    const ESCAPE_CLAUSE: &'static str;
    /// The escape clause after `pattern`.
    fn escape_clause(pattern: &LikePattern) -> &'static str {
        let _ = pattern;
        Self::ESCAPE_CLAUSE
    }
    /// The pattern to bind.
    fn pattern(pattern: &LikePattern) -> &String;
}

#[cfg(feature = "sqlite")]
impl LikeSyntax for diesel::sqlite::Sqlite {
    const ESCAPE_CLAUSE: &'static str = " ESCAPE '!'";
    fn escape_clause(pattern: &LikePattern) -> &'static str {
        if pattern.plain {
            ""
        } else {
            Self::ESCAPE_CLAUSE
        }
    }
    fn pattern(pattern: &LikePattern) -> &String {
        &pattern.portable
    }
}

orm_schema::for_mysql_like!(Db =>
    impl LikeSyntax for Db {
        const ESCAPE_CLAUSE: &'static str = " ESCAPE '!'";
        fn pattern(pattern: &LikePattern) -> &String {
            &pattern.portable
        }
    }
);

#[cfg(feature = "postgres")]
impl LikeSyntax for diesel::pg::Pg {
    const ESCAPE_CLAUSE: &'static str = "";
    fn pattern(pattern: &LikePattern) -> &String {
        &pattern.backslash
    }
}

const _: () = assert!(LIKE_ESCAPE == '!');

/// SQL types LIKE applies to: text, nullable or not.
pub trait TextSqlType: SqlType + SingleValue {}
impl TextSqlType for Text {}
impl TextSqlType for Nullable<Text> {}

/// Django's comparison lookups on any diesel expression (`gt` and `lt` come from diesel's
/// `ExpressionMethods`). Each returns the diesel expression
/// a hand-written query would use, so rustc checks the value's type against the column's.
pub trait Lookups: Expression + Sized
where
    Self::SqlType: SqlType + SingleValue,
{
    /// `= value` (Django's `exact`). On a NOT NULL column it takes what diesel's `eq`
    /// takes and renders the same SQL; on a nullable column it takes an `Option`, and
    /// `exact(None)` matches the rows holding NULL (`IS NULL`, where `= NULL` would match
    /// none), as in Django.
    fn exact<V>(self, value: V) -> <Self::SqlType as ExactFor<Self, V>>::Lookup
    where
        Self::SqlType: ExactFor<Self, V>,
    {
        <Self::SqlType as ExactFor<Self, V>>::lookup(self, value)
    }
    /// `>= value` (Django's `gte`).
    fn gte<T: AsExpression<Self::SqlType>>(self, value: T) -> dsl::GtEq<Self, T> {
        ExpressionMethods::ge(self, value)
    }
    /// `<= value` (Django's `lte`).
    fn lte<T: AsExpression<Self::SqlType>>(self, value: T) -> dsl::LtEq<Self, T> {
        ExpressionMethods::le(self, value)
    }
    /// `IN (values)` (Django's `in`; an empty list matches nothing).
    fn in_<V>(self, values: Vec<V>) -> dsl::EqAny<Self, Vec<V>>
    where
        V: AsExpression<Self::SqlType>,
        Self::SqlType: diesel::expression::TypedExpressionType,
    {
        ExpressionMethods::eq_any(self, values)
    }
    /// `BETWEEN low AND high`, both ends included (Django's `range`; diesel's `between`).
    fn range<T: AsExpression<Self::SqlType>>(self, low: T, high: T) -> dsl::Between<Self, T, T> {
        ExpressionMethods::between(self, low, high)
    }
    /// `IS NULL` when `is_null` is true, `IS NOT NULL` otherwise (Django's `isnull`).
    fn isnull(self, is_null: bool) -> IsNullLookup<Self> {
        IsNullLookup {
            expr: self,
            is_null,
        }
    }
}

impl<E> Lookups for E
where
    E: Expression,
    E::SqlType: SqlType + SingleValue,
{
}

/// The methods of [`TextLookups`]: `name: Case = "prefix" value "suffix";` declares
/// `fn name(self, value: &str) -> Like<Self, Case>`, matching `value` literally between the
/// wildcards `prefix` and `suffix`.
macro_rules! like_lookups {
    ($($(#[$doc:meta])* $name:ident: $case:ty = $prefix:literal value $suffix:literal;)*) => {$(
        $(#[$doc])*
        fn $name(self, value: &str) -> Like<Self, $case> {
            Like::new(self, LikePattern::new($prefix, value, $suffix))
        }
    )*};
}

/// Django's text lookups on text columns, nullable or not. Each renders `column LIKE ?`
/// (or `lower(column) LIKE lower(?)` for the `i` forms) with the value escaped and bound,
/// and `ESCAPE '!'` where the backend needs it ([`LikeSyntax`]).
pub trait TextLookups: Expression + Sized
where
    Self::SqlType: TextSqlType,
{
    like_lookups! {
        /// Contains `value` literally, case-sensitive.
        contains: CaseSensitive = "%" value "%";
        /// Contains `value`, ignoring case.
        icontains: IgnoreCase = "%" value "%";
        /// Starts with `value` literally, case-sensitive.
        startswith: CaseSensitive = "" value "%";
        /// Starts with `value`, ignoring case.
        istartswith: IgnoreCase = "" value "%";
        /// Ends with `value` literally, case-sensitive.
        endswith: CaseSensitive = "%" value "";
        /// Ends with `value`, ignoring case.
        iendswith: IgnoreCase = "%" value "";
        /// Equals `value` ignoring case (a LIKE without wildcards, so it behaves the same on
        /// every backend, MariaDB's trailing-space rule included).
        iexact: IgnoreCase = "" value "";
    }
}

impl<E> TextLookups for E
where
    E: Expression,
    E::SqlType: TextSqlType,
{
}

mod exact;
mod exclude;
mod is_null;
mod like;
pub use exact::{ExactByNullability, ExactFor, ExactOrNull};
pub use exclude::{Exclude, PredicateType};
pub use is_null::IsNullLookup;
pub use like::{CaseMode, CaseSensitive, IgnoreCase, Like};
