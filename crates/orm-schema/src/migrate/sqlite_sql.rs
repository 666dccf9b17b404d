//! What SQLite's pragmas do not tell, read from a table's CREATE TABLE text (which
//! SQLite keeps as written): constraint names, CHECK conditions, AUTOINCREMENT.

/// The bytes of `text` outside quotes (`'`, `"` or `` ` ``), each with its index and its
/// parenthesis depth: the depth around it, so a `(` and its `)` have the same depth, and
/// a `)` closing more than was opened has a negative depth.
fn unquoted(text: &str) -> impl Iterator<Item = (usize, u8, i32)> + '_ {
    let mut depth = 0i32;
    let mut quote: Option<u8> = None;
    text.bytes().enumerate().filter_map(move |(i, b)| {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"' | b'`') => quote = Some(b),
            (None, b'(') => {
                depth += 1;
                return Some((i, b, depth - 1));
            }
            (None, b')') => {
                depth -= 1;
                return Some((i, b, depth));
            }
            (None, _) => return Some((i, b, depth)),
        }
        None
    })
}

/// One item of a CREATE TABLE's body: a column definition or a table constraint.
fn items(create_sql: &str) -> Vec<&str> {
    let Some(open) = create_sql.find('(') else {
        return Vec::new();
    };
    let body = &create_sql[open + 1..];
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b, depth) in unquoted(body) {
        match (b, depth) {
            (b')', -1) => {
                out.push(body[start..i].trim());
                return out;
            }
            (b',', 0) => {
                out.push(body[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

/// A leading identifier (quoted with `"`, `` ` `` or `[]`, or bare) and the rest.
fn identifier(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    let first = text.chars().next()?;
    let close = match first {
        '"' => '"',
        '`' => '`',
        '[' => ']',
        _ => {
            let end = text
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(text.len());
            return (end > 0).then(|| (text[..end].to_string(), &text[end..]));
        }
    };
    let mut name = String::new();
    let mut chars = text[1..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == close {
            if chars.peek().map(|(_, n)| *n) == Some(close) {
                name.push(c);
                chars.next();
                continue;
            }
            return Some((name, &text[1 + i + 1..]));
        }
        name.push(c);
    }
    None
}

/// Whether `text` starts with the keyword `word` (any case).
fn keyword<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let text = text.trim_start();
    let head = text.get(..word.len())?;
    let next = text[word.len()..].chars().next();
    (head.eq_ignore_ascii_case(word) && !next.is_some_and(|c| c.is_alphanumeric() || c == '_'))
        .then(|| &text[word.len()..])
}

/// The text inside the parentheses `text` starts with.
pub(crate) fn parenthesized(text: &str) -> Option<&str> {
    let text = text.trim_start();
    if !text.starts_with('(') {
        return None;
    }
    unquoted(text)
        .find(|&(_, b, depth)| b == b')' && depth == 0)
        .map(|(i, _, _)| &text[1..i])
}

/// A named table constraint of a CREATE TABLE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Named {
    /// `CONSTRAINT name UNIQUE (columns)`.
    Unique { name: String, columns: Vec<String> },
    /// `CONSTRAINT name CHECK (expression)`.
    Check { name: String, expression: String },
    /// `CONSTRAINT name FOREIGN KEY (column) ...`.
    ForeignKey { name: String, column: String },
}

/// The named table constraints of `create_sql`.
pub(crate) fn named_constraints(create_sql: &str) -> Vec<Named> {
    items(create_sql)
        .into_iter()
        .filter_map(|item| {
            let rest = keyword(item, "CONSTRAINT")?;
            let (name, rest) = identifier(rest)?;
            if let Some(rest) = keyword(rest, "UNIQUE") {
                let columns = column_names(parenthesized(rest)?);
                Some(Named::Unique { name, columns })
            } else if let Some(rest) = keyword(rest, "CHECK") {
                let expression = parenthesized(rest)?.trim().to_string();
                Some(Named::Check { name, expression })
            } else {
                let rest = keyword(keyword(rest, "FOREIGN")?, "KEY")?;
                let column = column_names(parenthesized(rest)?).into_iter().next()?;
                Some(Named::ForeignKey { name, column })
            }
        })
        .collect()
}

/// The columns declared AUTOINCREMENT in `create_sql`.
pub(crate) fn autoincrement_columns(create_sql: &str) -> Vec<String> {
    items(create_sql)
        .into_iter()
        .filter(|item| keyword(item, "CONSTRAINT").is_none())
        .filter_map(|item| {
            let (name, rest) = identifier(item)?;
            rest.to_ascii_uppercase()
                .split_whitespace()
                .any(|w| w == "AUTOINCREMENT")
                .then_some(name)
        })
        .collect()
}

fn column_names(list: &str) -> Vec<String> {
    list.split(',')
        .filter_map(|c| identifier(c).map(|(name, _)| name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_named_constraints_and_autoincrement() {
        let sql = "CREATE TABLE \"kids\" (\n  \"id\" INTEGER PRIMARY KEY AUTOINCREMENT,\n  \
                   \"note\" TEXT NOT NULL DEFAULT 'a, (b'' c',\n  \"p\" BIGINT,\n  \
                   CONSTRAINT \"uq_kids_note\" UNIQUE (\"note\"),\n  \
                   CONSTRAINT \"ck_kids_note\" CHECK (\"note\" IN ('a)', 'b')),\n  \
                   CONSTRAINT \"fk_kids_p\" FOREIGN KEY (\"p\") REFERENCES \"ps\" (\"id\") ON DELETE CASCADE\n)";
        assert_eq!(
            named_constraints(sql),
            [
                Named::Unique {
                    name: "uq_kids_note".into(),
                    columns: vec!["note".into()]
                },
                Named::Check {
                    name: "ck_kids_note".into(),
                    expression: "\"note\" IN ('a)', 'b')".into()
                },
                Named::ForeignKey {
                    name: "fk_kids_p".into(),
                    column: "p".into()
                },
            ]
        );
        assert_eq!(autoincrement_columns(sql), ["id"]);
    }
}
