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

/// Implements [`Dialect`] for each backend (`"feature" => Backend | OtherBackend { .. }`)
/// from its SQL: `date_part` as `cast_integer(open, [parts], close, date)`, each integer part
/// `(CAST(open part close column) AS INTEGER)` (the week day plus 1) and `date` the pair for
/// [`DatePart::Date`], or as `functions[..]`, one function per part in [`DatePart`]'s order;
/// `regex_operator` as the pair without, then with `ignore_case`; the rest as the methods and
/// constants return them (those left out keep the trait's default).
macro_rules! dialects {
    ($($(#[$meta:meta])* $feature:literal => $($db:ty)|+ { $($sql:tt)* })*) => {$(
        dialects!(@each [$(#[$meta])*] $feature [$($db),+] { $($sql)* });
    )*};
    (@each $attrs:tt $feature:literal [$($db:ty),+] $sql:tt) => {$(
        dialects!(@impl $attrs $feature $db $sql);
    )+};
    (@impl [$(#[$meta:meta])*] $feature:literal $db:ty {
        date_part: $form:ident $date_part:tt,
        regex_operator: $regex:expr, $iregex:expr,
        bigint_cast: $bigint_cast:expr,
        $(having_names_aliases: $having:expr,)?
        $(decimal_operand: $decimal_operand:expr,)?
    }) => {
        $(#[$meta])*
        #[cfg(feature = $feature)]
        impl Dialect for $db {
            fn date_part(part: DatePart) -> (&'static str, &'static str) {
                dialects!(@date_part part, $form $date_part)
            }

            fn regex_operator(ignore_case: bool) -> (&'static str, &'static str) {
                if ignore_case {
                    $iregex
                } else {
                    $regex
                }
            }

            fn bigint_cast() -> (&'static str, &'static str) {
                $bigint_cast
            }

            $(const HAVING_NAMES_ALIASES: bool = $having;)?

            $(fn decimal_operand() -> (&'static str, &'static str) {
                $decimal_operand
            })?
        }
    };
    (@date_part $part:ident, cast_integer(
        $open:literal,
        [$year:literal, $month:literal, $day:literal, $week_day:literal, $hour:literal],
        $close:literal,
        $date:expr
    )) => {
        match $part {
            DatePart::Year => (concat!("(CAST(", $open, $year, $close), ") AS INTEGER))"),
            DatePart::Month => (concat!("(CAST(", $open, $month, $close), ") AS INTEGER))"),
            DatePart::Day => (concat!("(CAST(", $open, $day, $close), ") AS INTEGER))"),
            // Django's week day counts Sunday as 1, the backends' as 0.
            DatePart::WeekDay => {
                (concat!("(CAST(", $open, $week_day, $close), ") AS INTEGER) + 1)")
            }
            DatePart::Hour => (concat!("(CAST(", $open, $hour, $close), ") AS INTEGER))"),
            DatePart::Date => $date,
        }
    };
    (@date_part $part:ident, functions[
        $year:literal, $month:literal, $day:literal, $week_day:literal, $hour:literal, $date:literal
    ]) => {
        (
            match $part {
                DatePart::Year => $year,
                DatePart::Month => $month,
                DatePart::Day => $day,
                DatePart::WeekDay => $week_day,
                DatePart::Hour => $hour,
                DatePart::Date => $date,
            },
            ")",
        )
    };
}

dialects! {
    /// SQLite stores dates and times as text: `strftime` reads them (`%w` counts Sunday as
    /// 0, Django as 1), `date()` cuts the date. `X REGEXP Y` calls the `regexp(Y, X)` orm
    /// registers on every SQLite connection (Rust's `regex` crate).
    "sqlite" => diesel::sqlite::Sqlite {
        date_part: cast_integer(
            "strftime('", ["%Y", "%m", "%d", "%w", "%H"], "', ", ("date(", ")")
        ),
        regex_operator: (" REGEXP ('(?s)' || ", ")"), (" REGEXP ('(?si)' || ", ")"),
        bigint_cast: ("CAST(", " AS INTEGER)"),
        having_names_aliases: true,
        decimal_operand: ("CAST(", " AS NUMERIC)"),
    }

    /// PostgreSQL: `EXTRACT` (a numeric, cast to an integer; `DOW` counts Sunday as 0), a
    /// cast to a date, and the `~` / `~*` operators.
    "postgres" => diesel::pg::Pg {
        date_part: cast_integer(
            "EXTRACT(", ["YEAR", "MONTH", "DAY", "DOW", "HOUR"], " FROM ", ("CAST(", " AS DATE)")
        ),
        regex_operator: (" ~ ", ""), (" ~* ", ""),
        bigint_cast: ("CAST(", " AS BIGINT)"),
    }

    /// MariaDB and MySQL: their date functions (`DAYOFWEEK` counts as Django does, 1 =
    /// Sunday) and `REGEXP`, which the tables' binary collation makes case-sensitive; PCRE's
    /// (and ICU's) inline flags fold case (`i`) and let `.` match a newline (`s`). A grouped
    /// field's expression in HAVING is refused (error 1054); its alias is not.
    "mysql" => diesel::mysql::Mysql | diesel::mariadb::Mariadb {
        date_part: functions["YEAR(", "MONTH(", "DAYOFMONTH(", "DAYOFWEEK(", "HOUR(", "DATE("],
        regex_operator: (" REGEXP CONCAT('(?s)', ", ")"), (" REGEXP CONCAT('(?si)', ", ")"),
        bigint_cast: ("CAST(", " AS SIGNED)"),
        having_names_aliases: true,
    }
}
