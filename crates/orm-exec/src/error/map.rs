//! From driver errors to [`Error`]: one classification for all three backends.
//!
//! diesel's [`DatabaseErrorKind`] is used where it classifies, but it is not enough on its
//! own: diesel-async reports PostgreSQL deadlocks (40P01) and lost connections (57P01) as
//! `Unknown`, and reports MySQL/MariaDB errors as their message only (the error number is
//! dropped), so MariaDB's CHECK failure (4025) and deadlock (1213) come back `Unknown` too.
//! The message is therefore classified as well, by the texts each server sends:
//!
//! | class | SQLite | PostgreSQL | MySQL / MariaDB |
//! |---|---|---|---|
//! | unique | `UNIQUE constraint failed: t.c` | 23505 `duplicate key value violates unique constraint "k"` | 1062 `Duplicate entry 'v' for key 'k'` |
//! | foreign key | `FOREIGN KEY constraint failed` | 23503 `... violates foreign key constraint "fk" ...` | 1451 / 1452 `... a foreign key constraint fails (...)` |
//! | not null | `NOT NULL constraint failed: t.c` | 23502 `null value in column "c" ... violates not-null constraint` | 1048 `Column 'c' cannot be null`, 1364 `Field 'c' doesn't have a default value` |
//! | check | `CHECK constraint failed: name` | 23514 `... violates check constraint "name"` | 4025 ``CONSTRAINT `name` failed for ...``, 3819 `Check constraint 'name' is violated.` |
//! | retryable | `database is locked` | 40001 `could not serialize access ...`, 40P01 `deadlock detected` | 1213 `Deadlock found ...`, 1205 `Lock wait timeout exceeded ...` |
//!
//! Table, column and constraint names come from diesel's [`DatabaseErrorInformation`] when
//! the driver fills it (PostgreSQL), otherwise they are read from the message.

use diesel::result::{ConnectionError, DatabaseErrorInformation, DatabaseErrorKind};
use orm_schema::Backend;

use super::{ConstraintInfo, Error};
use crate::url::redact;

impl Error {
    /// Classifies a diesel error raised on a connection to `backend`.
    pub fn from_diesel(err: diesel::result::Error, backend: Backend) -> Error {
        map_diesel(err, Some(backend))
    }

    /// Classifies an error from establishing a connection to `backend`; `url_redacted`
    /// (see [`redact`]) is named in the message.
    pub fn from_connection_error(
        err: ConnectionError,
        backend: Backend,
        url_redacted: &str,
    ) -> Error {
        map_connection_error(err, backend, url_redacted)
    }
}

impl From<diesel::result::Error> for Error {
    /// Classifies a diesel error whose backend is unknown (prefer [`Error::from_diesel`]).
    fn from(err: diesel::result::Error) -> Self {
        map_diesel(err, None)
    }
}

/// What kind of failure a database error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Unique,
    ForeignKey,
    NotNull,
    Check,
    Retryable,
    ConnectionLost,
    Other,
}

/// Classifies a diesel error.
pub(crate) fn map_diesel(err: diesel::result::Error, backend: Option<Backend>) -> Error {
    use diesel::result::Error as D;
    let message = match err {
        D::DatabaseError(kind, info) => return map_database_error(kind, &*info, backend),
        D::NotFound => return Error::NoMatch { model: "row" },
        D::QueryBuilderError(e) => format!("cannot build the query: {e}"),
        D::DeserializationError(e) => format!("cannot read a value from the database: {e}"),
        D::SerializationError(e) => format!("cannot send a value to the database: {e}"),
        D::RollbackErrorOnCommit {
            rollback_error,
            commit_error,
        } => {
            return match map_diesel(*commit_error, backend) {
                Error::Database {
                    message, retryable, ..
                } => Error::Database {
                    backend,
                    message: format!(
                        "{message}; the rollback after it failed too: {rollback_error}"
                    ),
                    retryable,
                },
                other => other,
            }
        }
        D::BrokenTransactionManager => {
            "the connection's transaction state is broken; discard the connection".to_owned()
        }
        other => other.to_string(),
    };
    Error::Database {
        backend,
        message,
        retryable: false,
    }
}

/// Classifies a database error by diesel's kind, then by the server's message.
fn map_database_error(
    kind: DatabaseErrorKind,
    info: &(dyn DatabaseErrorInformation + Send + Sync),
    backend: Option<Backend>,
) -> Error {
    let message = info.message();
    let class = match kind {
        DatabaseErrorKind::UniqueViolation => Class::Unique,
        DatabaseErrorKind::ForeignKeyViolation | DatabaseErrorKind::RestrictViolation => {
            Class::ForeignKey
        }
        DatabaseErrorKind::NotNullViolation => Class::NotNull,
        DatabaseErrorKind::CheckViolation => Class::Check,
        DatabaseErrorKind::SerializationFailure => Class::Retryable,
        DatabaseErrorKind::ClosedConnection => Class::ConnectionLost,
        DatabaseErrorKind::UnableToSendCommand => match classify_message(message, backend) {
            Class::Other => Class::ConnectionLost,
            class => class,
        },
        _ => classify_message(message, backend),
    };
    let constraint = || constraint_info(info, backend);
    match class {
        Class::Unique => Error::UniqueViolation(constraint()),
        Class::ForeignKey => Error::ForeignKeyViolation(constraint()),
        Class::NotNull => Error::NotNullViolation(constraint()),
        Class::Check => Error::CheckViolation(constraint()),
        Class::ConnectionLost => match backend {
            Some(backend) => Error::Connection {
                backend,
                message: redact(message),
            },
            None => Error::Database {
                backend,
                message: redact(message),
                retryable: false,
            },
        },
        Class::Retryable | Class::Other => Error::Database {
            backend,
            message: full_message(info),
            retryable: class == Class::Retryable,
        },
    }
}

/// The message plus the server's detail and hint, when it sent them.
fn full_message(info: &(dyn DatabaseErrorInformation + Send + Sync)) -> String {
    let mut message = info.message().to_owned();
    if let Some(details) = info.details() {
        message.push_str(" (");
        message.push_str(details);
        message.push(')');
    }
    if let Some(hint) = info.hint() {
        message.push_str("; hint: ");
        message.push_str(hint);
    }
    message
}

/// Classifies by the message texts listed in the module documentation. With an unknown
/// backend every backend's texts are tried.
fn classify_message(message: &str, backend: Option<Backend>) -> Class {
    let checks: &[fn(&str) -> Class] = match backend {
        Some(Backend::Sqlite) => &[classify_sqlite],
        Some(Backend::Postgres) => &[classify_postgres],
        Some(Backend::Mysql) => &[classify_mysql],
        None => &[classify_sqlite, classify_postgres, classify_mysql],
    };
    checks
        .iter()
        .map(|check| check(message))
        .find(|class| *class != Class::Other)
        .unwrap_or(Class::Other)
}

fn classify_sqlite(message: &str) -> Class {
    if message.starts_with("UNIQUE constraint failed") {
        Class::Unique
    } else if message.starts_with("FOREIGN KEY constraint failed") {
        Class::ForeignKey
    } else if message.starts_with("NOT NULL constraint failed") {
        Class::NotNull
    } else if message.starts_with("CHECK constraint failed") {
        Class::Check
    } else if message.starts_with("database is locked")
        || message.starts_with("database table is locked")
    {
        Class::Retryable
    } else {
        Class::Other
    }
}

fn classify_postgres(message: &str) -> Class {
    if message.starts_with("duplicate key value violates unique constraint") {
        Class::Unique
    } else if message.contains("violates foreign key constraint") {
        Class::ForeignKey
    } else if message.contains("violates not-null constraint") {
        Class::NotNull
    } else if message.contains("violates check constraint") {
        Class::Check
    } else if message.starts_with("could not serialize access")
        || message.starts_with("deadlock detected")
    {
        Class::Retryable
    } else if message.starts_with("terminating connection")
        || message.starts_with("connection closed")
        || message.starts_with("server closed the connection")
        || message.starts_with("error communicating with the server")
    {
        Class::ConnectionLost
    } else {
        Class::Other
    }
}

fn classify_mysql(message: &str) -> Class {
    if message.starts_with("Duplicate entry") {
        Class::Unique
    } else if message.contains("a foreign key constraint fails") {
        Class::ForeignKey
    } else if (message.starts_with("Column '") && message.ends_with("' cannot be null"))
        || (message.starts_with("Field '") && message.ends_with("' doesn't have a default value"))
    {
        Class::NotNull
    } else if (message.starts_with("CONSTRAINT `") && message.contains("` failed for "))
        || (message.starts_with("Check constraint '") && message.contains("' is violated"))
    {
        Class::Check
    } else if message.starts_with("Deadlock found")
        || message.starts_with("Lock wait timeout exceeded")
    {
        Class::Retryable
    } else if message.contains("Connection reset")
        || message.contains("Broken pipe")
        || message.contains("Connection refused")
        || message.contains("server has gone away")
        || message.contains("Lost connection")
        || message.contains("Connection to the server is closed")
        || message.starts_with("Connection was killed")
        // mysql_async's I/O errors (`Error::Io`: "Input/output error: ..."), such as
        // "connection closed" after the server killed the session: the socket is gone.
        || message.starts_with("Input/output error")
    {
        Class::ConnectionLost
    } else {
        Class::Other
    }
}

/// Table, constraint and column of a constraint violation: what the driver reports, and
/// what the message names where it reports nothing.
fn constraint_info(
    info: &(dyn DatabaseErrorInformation + Send + Sync),
    backend: Option<Backend>,
) -> ConstraintInfo {
    let message = info.message();
    let mut parsed = ConstraintInfo {
        table: info.table_name().map(str::to_owned),
        constraint: info.constraint_name().map(str::to_owned),
        column: info.column_name().map(str::to_owned),
        message: message.to_owned(),
    };
    if parsed.column.is_none() {
        // PostgreSQL: `Key (email)=(a@b) already exists.`
        parsed.column = info
            .details()
            .and_then(|d| between(d, "Key (", ")="))
            .filter(|c| !c.contains(", "))
            .map(str::to_owned);
    }
    let from_message = match backend {
        Some(Backend::Sqlite) => parse_sqlite(message),
        Some(Backend::Postgres) => parse_postgres(message),
        Some(Backend::Mysql) => parse_mysql(message),
        None => {
            let sqlite = parse_sqlite(message);
            if sqlite != ConstraintInfo::default() {
                sqlite
            } else {
                let mysql = parse_mysql(message);
                if mysql != ConstraintInfo::default() {
                    mysql
                } else {
                    parse_postgres(message)
                }
            }
        }
    };
    parsed.table = parsed.table.or(from_message.table);
    parsed.constraint = parsed.constraint.or(from_message.constraint);
    parsed.column = parsed.column.or(from_message.column);
    parsed
}

/// `UNIQUE constraint failed: t.c`, `NOT NULL constraint failed: t.c`,
/// `CHECK constraint failed: name`. Only the names are filled in.
fn parse_sqlite(message: &str) -> ConstraintInfo {
    let mut info = ConstraintInfo::default();
    if let Some(name) = message.strip_prefix("CHECK constraint failed: ") {
        info.constraint = Some(name.trim().to_owned());
        return info;
    }
    let columns = message
        .strip_prefix("UNIQUE constraint failed: ")
        .or_else(|| message.strip_prefix("NOT NULL constraint failed: "));
    if let Some(columns) = columns {
        let mut tables = columns.split(", ").filter_map(|tc| tc.split_once('.'));
        if let Some((table, column)) = tables.next() {
            info.table = Some(table.to_owned());
            if !columns.contains(", ") {
                info.column = Some(column.to_owned());
            }
        }
    }
    info
}

/// The quoted names in PostgreSQL's messages (used only when the server did not send the
/// structured fields).
fn parse_postgres(message: &str) -> ConstraintInfo {
    ConstraintInfo {
        constraint: between(message, "constraint \"", "\"").map(str::to_owned),
        table: between(message, "relation \"", "\"")
            .or_else(|| between(message, "on table \"", "\""))
            .map(str::to_owned),
        column: between(message, "column \"", "\"").map(str::to_owned),
        message: String::new(),
    }
}

/// MySQL/MariaDB messages, which carry the only names the driver reports.
fn parse_mysql(message: &str) -> ConstraintInfo {
    let mut info = ConstraintInfo::default();
    if message.starts_with("Duplicate entry") {
        // `Duplicate entry 'v' for key 'k'` (MySQL 8 writes 'table.k').
        if let Some(at) = message.rfind(" for key '") {
            let key = message[at + " for key '".len()..].trim_end_matches('\'');
            match key.split_once('.') {
                Some((table, key)) => {
                    info.table = Some(table.to_owned());
                    info.constraint = Some(key.to_owned());
                }
                None => info.constraint = Some(key.to_owned()),
            }
        }
    } else if message.contains("a foreign key constraint fails") {
        // `... fails (`db`.`child`, CONSTRAINT `fk` FOREIGN KEY (`col`) REFERENCES ...)`
        if let Some(open) = message.find("fails (") {
            let rest = &message[open + "fails (".len()..];
            info.table = rest
                .split_once(',')
                .map(|(qualified, _)| last_backquoted(qualified).to_owned());
        }
        info.constraint = between(message, "CONSTRAINT `", "`").map(str::to_owned);
        info.column = between(message, "FOREIGN KEY (`", "`)")
            .filter(|c| !c.contains('`'))
            .map(str::to_owned);
    } else if let Some(rest) = message.strip_prefix("Column '") {
        info.column = rest.strip_suffix("' cannot be null").map(str::to_owned);
    } else if let Some(rest) = message.strip_prefix("Field '") {
        info.column = rest
            .strip_suffix("' doesn't have a default value")
            .map(str::to_owned);
    } else if let Some(rest) = message.strip_prefix("CONSTRAINT `") {
        // MariaDB 4025: ``CONSTRAINT `name` failed for `db`.`table` ``
        if let Some((name, table)) = rest.split_once("` failed for ") {
            info.constraint = Some(name.to_owned());
            info.table = Some(last_backquoted(table).to_owned());
        }
    } else if let Some(rest) = message.strip_prefix("Check constraint '") {
        // MySQL 3819: `Check constraint 'name' is violated.`
        info.constraint = rest.split_once("' is violated").map(|(n, _)| n.to_owned());
    }
    info
}

/// The text between the first `start` and the next `end`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// `table` from `` `db`.`table` `` (or the text itself when unquoted).
fn last_backquoted(qualified: &str) -> &str {
    qualified
        .trim()
        .rsplit('.')
        .next()
        .unwrap_or(qualified)
        .trim_matches('`')
}

/// Classifies an error from establishing a connection.
pub(crate) fn map_connection_error(
    err: ConnectionError,
    backend: Backend,
    url_redacted: &str,
) -> Error {
    let connection = |message: String| Error::Connection {
        backend,
        message: format!("{} (url: {url_redacted})", redact(&message)),
    };
    match err {
        ConnectionError::InvalidConnectionUrl(reason) => Error::InvalidUrl {
            url_redacted: url_redacted.to_owned(),
            reason: redact(&reason),
        },
        ConnectionError::InvalidCString(_) => Error::InvalidUrl {
            url_redacted: url_redacted.to_owned(),
            reason: "the URL contains a NUL byte".to_owned(),
        },
        ConnectionError::BadConnection(message) => connection(message),
        ConnectionError::CouldntSetupConfiguration(inner) => {
            let message = match inner {
                diesel::result::Error::DatabaseError(_, info) => full_message(&*info),
                other => other.to_string(),
            };
            // tokio-postgres reports a malformed URL when connecting.
            if message.starts_with("invalid connection string")
                || message.starts_with("invalid configuration")
            {
                return Error::InvalidUrl {
                    url_redacted: url_redacted.to_owned(),
                    reason: redact(&message),
                };
            }
            connection(message)
        }
        other => connection(other.to_string()),
    }
}

#[cfg(test)]
mod tests;
