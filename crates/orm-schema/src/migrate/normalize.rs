//! What a server's catalog says about a column, in the words the DDL writes: types
//! (`character varying(100)` and `varchar(100)` are `VARCHAR(100)`, MariaDB's `bigint(20)`
//! is `BIGINT`) and defaults (PostgreSQL's `'Draft'::character varying` is `'Draft'`,
//! MariaDB's `NULL` is no default). Pure string work, unit-tested.

use crate::backend::Backend;
use crate::ddl::MysqlFlavor;

/// A type in canonical spelling: upper case, single spaces, `(a, b)`.
pub fn canonical_type(ty: &str) -> String {
    let upper = ty.trim().to_ascii_uppercase();
    let mut out = String::with_capacity(upper.len() + 2);
    for word in upper.split_whitespace() {
        if !out.is_empty() && !word.starts_with('(') {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.replace(" (", "(")
        .replace(",", ", ")
        .replace(",  ", ", ")
}

/// The type `reported` by `backend`'s catalog (SQLite's declared type, PostgreSQL's
/// `format_type`, MySQL's `COLUMN_TYPE`) as the DDL writes it.
pub fn normalize_type(backend: Backend, reported: &str) -> String {
    let ty = canonical_type(reported);
    let (base, args) = match ty.find('(') {
        Some(i) => (&ty[..i], &ty[i..]),
        None => (ty.as_str(), ""),
    };
    let renamed = match backend {
        Backend::Sqlite => return ty,
        Backend::Postgres => match base {
            "CHARACTER VARYING" => "VARCHAR",
            "CHARACTER" => "CHAR",
            "TIMESTAMP WITHOUT TIME ZONE" => "TIMESTAMP",
            "TIME WITHOUT TIME ZONE" => "TIME",
            "TIMESTAMP WITH TIME ZONE" => "TIMESTAMPTZ",
            "TIME WITH TIME ZONE" => "TIMETZ",
            // `timestamp(3) without time zone`: the precision sits inside the name.
            _ if base.starts_with("TIMESTAMP") || base.starts_with("TIME") => {
                return postgres_time_with_precision(&ty);
            }
            other => other,
        },
        Backend::Mysql => match (base, args) {
            ("TINYINT", "(1)") => return "BOOLEAN".to_string(),
            // MariaDB and MySQL 5 report display widths, MySQL 8 does not.
            ("INT", _) => return "INTEGER".to_string(),
            ("BIGINT" | "SMALLINT" | "TINYINT" | "MEDIUMINT", _) => return base.to_string(),
            (other, _) => other,
        },
    };
    format!("{renamed}{args}")
}

/// PostgreSQL's `TIMESTAMP(3) WITHOUT TIME ZONE` as `TIMESTAMP(3)`.
fn postgres_time_with_precision(ty: &str) -> String {
    let zone = ty.ends_with(" WITH TIME ZONE");
    let base = ty
        .trim_end_matches(" WITHOUT TIME ZONE")
        .trim_end_matches(" WITH TIME ZONE");
    if zone {
        format!("{base} WITH TIME ZONE")
    } else {
        base.to_string()
    }
}

/// The default `reported` by `backend`'s catalog for a column of (normalized) type
/// `sql_type`, as the DDL writes it; `None` for no default.
pub fn normalize_default(
    backend: Backend,
    flavor: MysqlFlavor,
    sql_type: &str,
    reported: Option<&str>,
) -> Option<String> {
    let value = reported?.trim();
    if value.is_empty() {
        return None;
    }
    let textual = is_text_type(sql_type);
    match backend {
        Backend::Sqlite => Some(value.to_string()),
        Backend::Postgres => {
            if value.starts_with("nextval(") {
                return None;
            }
            let value = strip_casts(value);
            let value = match value.as_str() {
                "true" => "TRUE".to_string(),
                "false" => "FALSE".to_string(),
                _ if !textual && is_quoted(&value) => unquote(&value),
                _ => value,
            };
            Some(value)
        }
        Backend::Mysql => {
            if value.eq_ignore_ascii_case("NULL") {
                return None;
            }
            let quoted = if flavor == MysqlFlavor::Mysql && textual && !is_quoted(value) {
                backend.string_literal(value)
            } else {
                value.to_string()
            };
            // MySQL takes a default on TEXT columns only as an expression: `('x')`.
            if matches!(sql_type, "LONGTEXT" | "TEXT" | "MEDIUMTEXT" | "JSON") && is_quoted(&quoted)
            {
                Some(format!("({quoted})"))
            } else {
                Some(quoted)
            }
        }
    }
}

/// Whether two defaults say the same: equal text, or the same number (`0` and `0.00`,
/// `'-1'` and `-1`).
pub fn same_default(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a == b || number(a).is_some_and(|x| number(b) == Some(x)),
        _ => false,
    }
}

/// The number a default spells, through quotes and parentheses.
fn number(value: &str) -> Option<f64> {
    let v = value.trim().trim_start_matches('(').trim_end_matches(')');
    let v = if is_quoted(v) { &v[1..v.len() - 1] } else { v };
    v.parse::<f64>().ok()
}

/// Whether values of `sql_type` are strings (so a quoted default stays quoted).
fn is_text_type(sql_type: &str) -> bool {
    ["VARCHAR", "CHAR", "TEXT", "LONGTEXT", "MEDIUMTEXT", "JSON"]
        .iter()
        .any(|t| sql_type == *t || sql_type.starts_with(&format!("{t}(")))
}

fn is_quoted(value: &str) -> bool {
    value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'')
}

fn unquote(value: &str) -> String {
    value[1..value.len() - 1].replace("''", "'")
}

/// `'Draft'::character varying` as `'Draft'`; `('-1'::integer)` as `'-1'`. Only casts
/// outside quotes are taken off.
fn strip_casts(value: &str) -> String {
    let mut v = value.trim().to_string();
    loop {
        if v.starts_with('(') && v.ends_with(')') && balanced(&v[1..v.len() - 1]) {
            v = v[1..v.len() - 1].trim().to_string();
            continue;
        }
        match last_cast(&v) {
            Some(i) => v = v[..i].trim().to_string(),
            None => return v,
        }
    }
}

/// Where the last `::type` outside quotes and parentheses starts, when the text after it
/// is a type name (letters, spaces, digits, `[]`).
fn last_cast(v: &str) -> Option<usize> {
    let mut in_quote = false;
    let mut depth = 0i32;
    let mut last = None;
    let bytes = v.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' => in_quote = !in_quote,
            b'(' if !in_quote => depth += 1,
            b')' if !in_quote => depth -= 1,
            b':' if !in_quote && depth == 0 && bytes.get(i + 1) == Some(&b':') => last = Some(i),
            _ => {}
        }
    }
    let i = last?;
    let ty = &v[i + 2..];
    ty.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '[' | ']' | '"'))
        .then_some(i)
}

/// Whether the parentheses of `v` (outside quotes) balance.
fn balanced(v: &str) -> bool {
    let mut in_quote = false;
    let mut depth = 0i32;
    for b in v.bytes() {
        match b {
            b'\'' => in_quote = !in_quote,
            b'(' if !in_quote => depth += 1,
            b')' if !in_quote => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_as_the_ddl_writes_them() {
        let cases = [
            (Backend::Postgres, "character varying(100)", "VARCHAR(100)"),
            (Backend::Postgres, "numeric(8,2)", "NUMERIC(8, 2)"),
            (
                Backend::Postgres,
                "timestamp without time zone",
                "TIMESTAMP",
            ),
            (Backend::Postgres, "time without time zone", "TIME"),
            (Backend::Postgres, "double precision", "DOUBLE PRECISION"),
            (Backend::Postgres, "character(36)", "CHAR(36)"),
            (Backend::Postgres, "jsonb", "JSONB"),
            (Backend::Postgres, "smallint", "SMALLINT"),
            (Backend::Postgres, "real", "REAL"),
            (Backend::Postgres, "bytea", "BYTEA"),
            (Backend::Postgres, "timestamp with time zone", "TIMESTAMPTZ"),
            (Backend::Mysql, "smallint(6)", "SMALLINT"),
            (Backend::Mysql, "float", "FLOAT"),
            (Backend::Mysql, "longblob", "LONGBLOB"),
            (Backend::Mysql, "bigint(20)", "BIGINT"),
            (Backend::Mysql, "int(11)", "INTEGER"),
            (Backend::Mysql, "int", "INTEGER"),
            (Backend::Mysql, "tinyint(1)", "BOOLEAN"),
            (Backend::Mysql, "decimal(8,2)", "DECIMAL(8, 2)"),
            (Backend::Mysql, "datetime(6)", "DATETIME(6)"),
            (Backend::Mysql, "longtext", "LONGTEXT"),
            (Backend::Sqlite, "NUMERIC(8, 2)", "NUMERIC(8, 2)"),
            (Backend::Sqlite, "varchar(40)", "VARCHAR(40)"),
        ];
        for (backend, reported, want) in cases {
            assert_eq!(
                normalize_type(backend, reported),
                want,
                "{backend} {reported}"
            );
        }
    }

    #[test]
    fn defaults_read_as_the_ddl_writes_them() {
        let pg = |ty, v| normalize_default(Backend::Postgres, MysqlFlavor::MariaDb, ty, Some(v));
        assert_eq!(
            pg("VARCHAR(9)", "'Draft'::character varying"),
            Some("'Draft'".into())
        );
        assert_eq!(pg("TEXT", "''::text"), Some("''".into()));
        assert_eq!(pg("TEXT", "'it''s'::text"), Some("'it''s'".into()));
        assert_eq!(pg("BOOLEAN", "true"), Some("TRUE".into()));
        assert_eq!(pg("INTEGER", "'-1'::integer"), Some("-1".into()));
        assert_eq!(pg("BIGINT", "nextval('t_id_seq'::regclass)"), None);
        let maria = |ty, v| normalize_default(Backend::Mysql, MysqlFlavor::MariaDb, ty, Some(v));
        assert_eq!(maria("VARCHAR(9)", "'Draft'"), Some("'Draft'".into()));
        assert_eq!(maria("LONGTEXT", "''"), Some("('')".into()));
        assert_eq!(maria("BIGINT", "NULL"), None);
        assert_eq!(maria("VARCHAR(9)", "'NULL'"), Some("'NULL'".into()));
        let mysql8 = normalize_default(
            Backend::Mysql,
            MysqlFlavor::Mysql,
            "VARCHAR(9)",
            Some("Draft"),
        );
        assert_eq!(mysql8, Some("'Draft'".into()));
        assert!(same_default(Some("0"), Some("0.00")));
        assert!(same_default(Some("'-1'"), Some("-1")));
        assert!(!same_default(Some("'a'"), Some("'b'")));
        assert!(!same_default(Some("0"), None));
    }
}
