//! The database backends orm speaks, as plain data (no driver is linked here).

use std::fmt;

/// A database backend. DDL and error mapping depend on it; queries stay backend-generic
/// until they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite 3 (bundled).
    Sqlite,
    /// PostgreSQL 12 or later.
    Postgres,
    /// MySQL 8 or MariaDB 10.5 or later.
    Mysql,
}

impl Backend {
    /// Every backend, in a fixed order.
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::Mysql];

    /// The backend's lowercase name, as used in URLs and feature flags.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }

    /// Quotes an identifier (table, column, index name) for this backend.
    ///
    /// Identifiers come from model declarations, which the derive restricts to Rust
    /// identifiers; quoting still doubles any quote character so the result is always a
    /// single identifier.
    ///
    /// ```
    /// use orm_schema::Backend;
    /// assert_eq!(Backend::Postgres.quote("notes"), "\"notes\"");
    /// assert_eq!(Backend::Mysql.quote("notes"), "`notes`");
    /// ```
    pub fn quote(&self, ident: &str) -> String {
        let q = match self {
            Backend::Mysql => '`',
            Backend::Sqlite | Backend::Postgres => '"',
        };
        let mut out = String::with_capacity(ident.len() + 2);
        out.push(q);
        for c in ident.chars() {
            if c == q {
                out.push(q);
            }
            out.push(c);
        }
        out.push(q);
        out
    }

    /// Renders a string literal for this backend (used only for static DDL defaults and
    /// enum CHECK lists, never for user data).
    pub fn string_literal(&self, value: &str) -> String {
        let mut out = String::with_capacity(value.len() + 2);
        out.push('\'');
        for c in value.chars() {
            match c {
                '\'' => out.push_str("''"),
                // MySQL treats backslash as an escape inside literals by default.
                '\\' if *self == Backend::Mysql => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
