//! Finding the `?` placeholders of a raw SQL string.
//!
//! A `?` outside string literals, quoted identifiers and comments is a placeholder; `??`
//! is a literal `?` (PostgreSQL's JSON operators `?`, `?|`, `?&` are written `??`, `??|`,
//! `??&`). The scan knows each backend's quoting: `'...'` everywhere (with `\` escapes on
//! MySQL and in PostgreSQL's `E'...'`), `"..."`, `` `...` `` on SQLite and MySQL, `[...]` on
//! SQLite, `$tag$...$tag$` on PostgreSQL, `--` and `/* */` comments (nested on
//! PostgreSQL), `#` comments on MySQL.
//!
//! A misread can only miscount placeholders, which fails the statement before it runs:
//! values are always bound, never written into the SQL.

use std::ops::Range;

use orm_schema::Backend;

/// A piece of a raw SQL string: text to send as is, or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// The bytes of the SQL string in this range.
    Sql(Range<usize>),
    /// A placeholder (`?`), where the next bound value goes.
    Bind,
}

/// Splits `sql` into text and placeholders, following `backend`'s quoting.
pub(crate) fn split(sql: &str, backend: Backend) -> Vec<Piece> {
    let bytes = sql.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let next = bytes.get(i + 1).copied();
        i = match bytes[i] {
            b'?' if next == Some(b'?') => {
                push_sql(&mut pieces, start..i + 1);
                start = i + 2;
                i + 2
            }
            b'?' => {
                push_sql(&mut pieces, start..i);
                pieces.push(Piece::Bind);
                start = i + 1;
                i + 1
            }
            b'\'' | b'"' => skip_quoted(bytes, i, backend == Backend::Mysql),
            b'`' if backend != Backend::Postgres => skip_quoted(bytes, i, false),
            b'[' if backend == Backend::Sqlite => skip_past(bytes, i + 1, b"]"),
            b'-' if next == Some(b'-') && starts_line_comment(bytes, i, backend) => {
                skip_past(bytes, i, b"\n")
            }
            b'#' if backend == Backend::Mysql => skip_past(bytes, i, b"\n"),
            b'/' if next == Some(b'*') => skip_block_comment(bytes, i, backend),
            b'$' if backend == Backend::Postgres => skip_dollar_quoted(bytes, i),
            b'E' | b'e'
                if backend == Backend::Postgres
                    && next == Some(b'\'')
                    && !is_ident_byte_before(bytes, i) =>
            {
                skip_quoted(bytes, i + 1, true)
            }
            _ => i + 1,
        };
    }
    push_sql(&mut pieces, start..bytes.len());
    pieces
}

/// The number of placeholders among `pieces`.
pub(crate) fn count(pieces: &[Piece]) -> usize {
    pieces.iter().filter(|p| **p == Piece::Bind).count()
}

fn push_sql(pieces: &mut Vec<Piece>, range: Range<usize>) {
    if range.is_empty() {
        return;
    }
    pieces.push(Piece::Sql(range));
}

/// The index after the quoted text opening at `open` (whose byte is the quote), where a
/// doubled quote stands for itself and, with `backslash`, `\` escapes the next byte.
fn skip_quoted(bytes: &[u8], open: usize, backslash: bool) -> usize {
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if backslash => i += 2,
            b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The index after the first `end` at or after `from` (the end of input without one).
fn skip_past(bytes: &[u8], from: usize, end: &[u8]) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.windows(end.len()).position(|w| w == end))
        .map_or(bytes.len(), |at| from + at + end.len())
}

/// Whether the `--` at `i` opens a comment: always, except on MySQL, which needs a space
/// or control character (or the end) after it (`1--1` is `1 - -1` there).
fn starts_line_comment(bytes: &[u8], i: usize, backend: Backend) -> bool {
    backend != Backend::Mysql || bytes.get(i + 2).is_none_or(|b| *b <= b' ')
}

/// The index after the `/* ... */` comment opening at `open`; PostgreSQL nests them.
fn skip_block_comment(bytes: &[u8], open: usize, backend: Backend) -> usize {
    let nests = backend == Backend::Postgres;
    let mut depth = 1;
    let mut i = open + 2;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else if nests && bytes[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// The index after PostgreSQL's `$tag$ ... $tag$` opening at `open`, or just after the `$`
/// when none opens there (`$1`, or a `$` inside an identifier).
fn skip_dollar_quoted(bytes: &[u8], open: usize) -> usize {
    if is_ident_byte_before(bytes, open) {
        return open + 1;
    }
    let tag_len = bytes[open + 1..]
        .iter()
        .take_while(|b| is_ident_byte(**b))
        .count();
    let close = open + 1 + tag_len;
    let starts_with_digit = bytes.get(open + 1).is_some_and(u8::is_ascii_digit);
    if starts_with_digit || bytes.get(close) != Some(&b'$') {
        return open + 1;
    }
    skip_past(bytes, close + 1, &bytes[open..=close])
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn is_ident_byte_before(bytes: &[u8], i: usize) -> bool {
    i > 0 && (is_ident_byte(bytes[i - 1]) || bytes[i - 1] == b'$')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SQL with each placeholder written as `#`.
    fn marked(sql: &str, backend: Backend) -> String {
        split(sql, backend)
            .iter()
            .map(|piece| match piece {
                Piece::Sql(range) => &sql[range.clone()],
                Piece::Bind => "#",
            })
            .collect()
    }

    #[test]
    fn placeholders_outside_quotes() {
        for backend in Backend::ALL {
            assert_eq!(
                marked("SELECT a FROM t WHERE a > ? AND b = ?", backend),
                "SELECT a FROM t WHERE a > # AND b = #"
            );
            assert_eq!(marked("?", backend), "#");
            assert_eq!(
                marked("SELECT '?', 'it''s ?' , ?", backend),
                "SELECT '?', 'it''s ?' , #"
            );
            assert_eq!(
                marked(r#"SELECT "a?" FROM t WHERE x=?"#, backend),
                r#"SELECT "a?" FROM t WHERE x=#"#
            );
            assert_eq!(
                marked("SELECT 1 -- what?\n, ?", backend),
                "SELECT 1 -- what?\n, #"
            );
            assert_eq!(marked("SELECT /* ? */ ?", backend), "SELECT /* ? */ #");
            assert_eq!(
                marked("SELECT 'unterminated ?", backend),
                "SELECT 'unterminated ?"
            );
            assert_eq!(marked("SELECT 'é?', ?", backend), "SELECT 'é?', #");
        }
    }

    #[test]
    fn doubled_question_mark_is_literal() {
        assert_eq!(
            marked("SELECT doc ?? 'k', doc ??| ?", Backend::Postgres),
            "SELECT doc ? 'k', doc ?| #"
        );
        assert_eq!(count(&split("a ?? b ? c", Backend::Sqlite)), 1);
    }

    #[test]
    fn backend_quoting() {
        use Backend::*;
        assert_eq!(marked(r"SELECT 'a\' ?', ?", Mysql), r"SELECT 'a\' ?', #");
        // Standard strings: the backslash is a character, the quote ends the string.
        assert_eq!(marked(r"SELECT 'a\', ?", Postgres), r"SELECT 'a\', #");
        assert_eq!(
            marked(r"SELECT E'a\' ?', ?", Postgres),
            r"SELECT E'a\' ?', #"
        );
        assert_eq!(marked(r"SELECT name'x', ?", Postgres), r"SELECT name'x', #");
        assert_eq!(
            marked("SELECT $$ ? $$, $f$ $$ ? $f$, ?", Postgres),
            "SELECT $$ ? $$, $f$ $$ ? $f$, #"
        );
        assert_eq!(marked("SELECT a$b, ?", Postgres), "SELECT a$b, #");
        assert_eq!(
            marked("SELECT /* /* ? */ ? */ ?", Postgres),
            "SELECT /* /* ? */ ? */ #"
        );
        assert_eq!(
            marked("SELECT `a?`, ? # x?\n", Mysql),
            "SELECT `a?`, # # x?\n"
        );
        assert_eq!(marked("SELECT 1--?", Mysql), "SELECT 1--#");
        assert_eq!(marked("SELECT 1-- ?", Mysql), "SELECT 1-- ?");
        assert_eq!(
            marked("SELECT [a?], `b?`, ?", Sqlite),
            "SELECT [a?], `b?`, #"
        );
        assert_eq!(marked("SELECT ARRAY[?]", Postgres), "SELECT ARRAY[#]");
    }
}
