//! What a by-name condition renders differently per backend: a part of a date or time
//! (`created__year`, Django's transforms) and a regular-expression match (`regex`,
//! `iregex`). The rest of a condition is the same SQL everywhere.

use diesel::backend::Backend;
use orm_schema::FieldKind;

/// A part of a date, a date and time, or a time that a by-name lookup compares instead of
/// the whole value: `filter_by("created__year__gte", 2024)`. The numbers are Django's: months
/// 1 to 12, days 1 to 31, `week_day` 1 (Sunday) to 7 (Saturday), hours 0 to 23.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePart {
    /// The year (Date, DateTime).
    Year,
    /// The month, 1 to 12 (Date, DateTime).
    Month,
    /// The day of the month, 1 to 31 (Date, DateTime).
    Day,
    /// The day of the week, 1 (Sunday) to 7 (Saturday), as Django numbers it (Date,
    /// DateTime).
    WeekDay,
    /// The hour, 0 to 23 (DateTime, Time).
    Hour,
    /// The date of a date and time (DateTime), compared with a date.
    Date,
}

impl DatePart {
    /// The part a lookup path names (`year`, `month`, `day`, `week_day`, `hour`, `date`).
    pub fn from_name(name: &str) -> Option<DatePart> {
        Some(match name {
            "year" => DatePart::Year,
            "month" => DatePart::Month,
            "day" => DatePart::Day,
            "week_day" => DatePart::WeekDay,
            "hour" => DatePart::Hour,
            "date" => DatePart::Date,
            _ => return None,
        })
    }

    /// Whether a field of `kind` has this part.
    pub fn applies_to(self, kind: FieldKind) -> bool {
        match self {
            DatePart::Year | DatePart::Month | DatePart::Day | DatePart::WeekDay => {
                matches!(kind, FieldKind::Date | FieldKind::DateTime)
            }
            DatePart::Hour => matches!(kind, FieldKind::DateTime | FieldKind::Time),
            DatePart::Date => kind == FieldKind::DateTime,
        }
    }

    /// The kind of the part's values: an integer, or a date for [`DatePart::Date`].
    pub fn value_kind(self) -> FieldKind {
        match self {
            DatePart::Date => FieldKind::Date,
            _ => FieldKind::Integer,
        }
    }
}

/// The SQL of a backend for the by-name conditions that differ between backends, as the
/// text rendered around a column: `before`, the column, `after`. Implemented for each
/// enabled backend; every value stays a bound parameter.
pub trait Dialect: Backend {
    /// What renders `part` of a column, as an integer (or a date for [`DatePart::Date`]):
    /// the SQL before the column and after it.
    fn date_part(part: DatePart) -> (&'static str, &'static str);

    /// How a column matches a bound regular expression, ignoring case when `ignore_case`:
    /// the SQL between the column and the pattern, and after the pattern. `.` matches a
    /// newline on every backend (PostgreSQL's default; `(?s)` elsewhere).
    fn regex_operator(ignore_case: bool) -> (&'static str, &'static str);

    /// What renders a 64-bit integer from a number (a sum of integers, which PostgreSQL
    /// and MySQL widen to NUMERIC / DECIMAL): the SQL before and after it.
    fn bigint_cast() -> (&'static str, &'static str);

    /// Whether HAVING may name the SELECT list's aliases (SQLite, MySQL; not PostgreSQL,
    /// where the expression is written out again).
    const HAVING_NAMES_ALIASES: bool = false;

    /// What renders a bound decimal compared with a computed value: SQLite binds a
    /// decimal as text, which no number equals unless cast.
    fn decimal_operand() -> (&'static str, &'static str) {
        ("", "")
    }
}

/// SQLite stores dates and times as text: `strftime` reads them (`%w` counts Sunday as 0,
/// Django as 1), `date()` cuts the date. `X REGEXP Y` calls the `regexp(Y, X)` orm
/// registers on every SQLite connection (Rust's `regex` crate).
#[cfg(feature = "sqlite")]
impl Dialect for diesel::sqlite::Sqlite {
    fn date_part(part: DatePart) -> (&'static str, &'static str) {
        match part {
            DatePart::Year => ("(CAST(strftime('%Y', ", ") AS INTEGER))"),
            DatePart::Month => ("(CAST(strftime('%m', ", ") AS INTEGER))"),
            DatePart::Day => ("(CAST(strftime('%d', ", ") AS INTEGER))"),
            DatePart::WeekDay => ("(CAST(strftime('%w', ", ") AS INTEGER) + 1)"),
            DatePart::Hour => ("(CAST(strftime('%H', ", ") AS INTEGER))"),
            DatePart::Date => ("date(", ")"),
        }
    }

    fn regex_operator(ignore_case: bool) -> (&'static str, &'static str) {
        match ignore_case {
            false => (" REGEXP ('(?s)' || ", ")"),
            true => (" REGEXP ('(?si)' || ", ")"),
        }
    }

    fn bigint_cast() -> (&'static str, &'static str) {
        ("CAST(", " AS INTEGER)")
    }

    const HAVING_NAMES_ALIASES: bool = true;

    fn decimal_operand() -> (&'static str, &'static str) {
        ("CAST(", " AS NUMERIC)")
    }
}

/// PostgreSQL: `EXTRACT` (a numeric, cast to an integer; `DOW` counts Sunday as 0), a cast
/// to a date, and the `~` / `~*` operators.
#[cfg(feature = "postgres")]
impl Dialect for diesel::pg::Pg {
    fn date_part(part: DatePart) -> (&'static str, &'static str) {
        match part {
            DatePart::Year => ("(CAST(EXTRACT(YEAR FROM ", ") AS INTEGER))"),
            DatePart::Month => ("(CAST(EXTRACT(MONTH FROM ", ") AS INTEGER))"),
            DatePart::Day => ("(CAST(EXTRACT(DAY FROM ", ") AS INTEGER))"),
            DatePart::WeekDay => ("(CAST(EXTRACT(DOW FROM ", ") AS INTEGER) + 1)"),
            DatePart::Hour => ("(CAST(EXTRACT(HOUR FROM ", ") AS INTEGER))"),
            DatePart::Date => ("CAST(", " AS DATE)"),
        }
    }

    fn regex_operator(ignore_case: bool) -> (&'static str, &'static str) {
        match ignore_case {
            false => (" ~ ", ""),
            true => (" ~* ", ""),
        }
    }

    fn bigint_cast() -> (&'static str, &'static str) {
        ("CAST(", " AS BIGINT)")
    }
}

// MariaDB and MySQL: their date functions (`DAYOFWEEK` counts as Django does, 1 =
// Sunday) and `REGEXP`, which the tables' binary collation makes case-sensitive; PCRE's
// (and ICU's) inline flags fold case (`i`) and let `.` match a newline (`s`).
orm_schema::for_mysql_like!(Db =>
    impl Dialect for Db {
        fn date_part(part: DatePart) -> (&'static str, &'static str) {
            let function = match part {
                DatePart::Year => "YEAR(",
                DatePart::Month => "MONTH(",
                DatePart::Day => "DAYOFMONTH(",
                DatePart::WeekDay => "DAYOFWEEK(",
                DatePart::Hour => "HOUR(",
                DatePart::Date => "DATE(",
            };
            (function, ")")
        }

        fn regex_operator(ignore_case: bool) -> (&'static str, &'static str) {
            match ignore_case {
                false => (" REGEXP CONCAT('(?s)', ", ")"),
                true => (" REGEXP CONCAT('(?si)', ", ")"),
            }
        }

        fn bigint_cast() -> (&'static str, &'static str) {
            ("CAST(", " AS SIGNED)")
        }

        // A grouped field's expression in HAVING is refused (error 1054); its alias is not.
        const HAVING_NAMES_ALIASES: bool = true;
    }
);
