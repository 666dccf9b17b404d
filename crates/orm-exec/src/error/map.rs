//! From driver errors to [`Error`]: one classification for all three backends, by the
//! server's error code wherever the code reaches orm, so that it does not depend on the
//! language of the server's messages (PostgreSQL `lc_messages`, MariaDB/MySQL
//! `lc_messages`).
//!
//! | class | SQLite | PostgreSQL SQLSTATE | MySQL / MariaDB error number |
//! |---|---|---|---|
//! | unique | `UNIQUE constraint failed: t.c` | 23505 | 1062, 1586, 1859 |
//! | foreign key | `FOREIGN KEY constraint failed` | 23503, 23001 | 1216, 1217, 1451, 1452, 1830, 1834 |
//! | not null | `NOT NULL constraint failed: t.c` | 23502 | 1048, 1364 |
//! | check | `CHECK constraint failed: name` | 23514 | 3819, 4025 |
//! | retryable | `database is locked` | 40001, 40P01, 55P03 | 1213, 1205 |
//! | connection lost | | class 08, 57P01, 57P02, 57P03 | 1053, 1927 |
//!
//! **Where the code comes from.** diesel's [`DatabaseErrorInformation`] has no code, and
//! the drivers' conversions keep only part of it:
//!
//! - PostgreSQL: diesel-async 0.9 turns eight SQLSTATEs into diesel's
//!   [`DatabaseErrorKind`] (23505, 23503, 23001, 23P01, 40001, 25006, 23502, 23514) and
//!   drops every other one (40P01 deadlock, 57P01 terminated session, ...): its wrapper of
//!   tokio-postgres' `DbError` is private and exposes only the message, detail, hint and
//!   names. So orm opens the socket itself and hands tokio-postgres a socket that notes
//!   each `ErrorResponse`'s SQLSTATE and message as the bytes go by (orm-exec's private
//!   `pg_wire` module); an error diesel reports is given the code noted with its message.
//!   Every PostgreSQL error therefore carries its SQLSTATE, except on a TLS session (not
//!   yet supported by orm) and for URLs with settings only tokio-postgres' own connect
//!   handles (`target_session_attrs` other than `any`, `load_balance_hosts=random`,
//!   `tcp_user_timeout`, keepalive timings), where only the eight codes above are sure to
//!   survive.
//! - MySQL/MariaDB: diesel-async keeps only the message of `mysql_async`'s server error.
//!   Right after a statement fails, orm asks the server on the same connection
//!   (`GET DIAGNOSTICS`, one extra round trip on the error path only) for the error
//!   number and SQLSTATE of the condition whose message is the one diesel reported. If
//!   that question fails because the connection is gone (mysql_async's own, untranslated
//!   I/O error), the error is a lost connection. This runs wherever orm runs a statement
//!   (orm-exec, orm-query, orm-persist: through [`Classify`](super::Classify),
//!   [`ClassifyAsync`](super::ClassifyAsync), [`Connection::classify`],
//!   [`PooledConnection::classify`]), except the transaction commands of orm-exec's
//!   transactions, which map without it (by diesel's kind, then the English texts).
//! - SQLite: diesel classifies by SQLite's extended result code and keeps only the kind;
//!   reading the code back needs `unsafe` FFI, which orm forbids. SQLite's messages are
//!   not translated, so its texts classify reliably; its errors carry no [`ErrorCode`].
//!
//! Without a code, diesel's [`DatabaseErrorKind`] decides where it classifies, then the
//! server's English texts as a fallback:
//!
//! | class | SQLite | PostgreSQL | MySQL / MariaDB |
//! |---|---|---|---|
//! | unique | `UNIQUE constraint failed: t.c` | `duplicate key value violates unique constraint "k"` | `Duplicate entry 'v' for key 'k'` |
//! | foreign key | `FOREIGN KEY constraint failed` | `... violates foreign key constraint "fk" ...` | `... a foreign key constraint fails (...)` |
//! | not null | `NOT NULL constraint failed: t.c` | `null value in column "c" ... violates not-null constraint` | `Column 'c' cannot be null`, `Field 'c' doesn't have a default value` |
//! | check | `CHECK constraint failed: name` | `... violates check constraint "name"` | ``CONSTRAINT `name` failed for ...``, `Check constraint 'name' is violated.` |
//! | retryable | `database is locked` | `could not serialize access ...`, `deadlock detected` | `Deadlock found ...`, `Lock wait timeout exceeded ...` |
//!
//! Table, column and constraint names come from diesel's [`DatabaseErrorInformation`] when
//! the driver fills it (PostgreSQL, whatever the language), otherwise they are read from
//! the message (English only). The driver's error is kept as the `source()`.
//!
//! [`Connection::classify`]: crate::Connection::classify
//! [`PooledConnection::classify`]: crate::PooledConnection::classify

use diesel::result::{ConnectionError, DatabaseErrorInformation, DatabaseErrorKind};
use orm_schema::Backend;

use super::{ConstraintInfo, DriverError, Error, ErrorCode, SqlState};
use Text::{Around, Contains, Starts, StartsContaining};

impl Error {
    /// Classifies a diesel error raised on a connection to `backend`.
    pub fn from_diesel(err: diesel::result::Error, backend: Backend) -> Error {
        map_diesel(err, Some(backend), None)
    }

    /// Classifies a diesel error raised on a connection to `backend`, with the error code
    /// the server reported for it when it was obtained apart from the error (see the
    /// module documentation).
    pub fn from_diesel_with_code(
        err: diesel::result::Error,
        backend: Backend,
        code: Option<ErrorCode>,
    ) -> Error {
        map_diesel(err, Some(backend), code)
    }

    /// Classifies an error from establishing a connection to `backend`; `url_redacted`
    /// (see [`crate::url::DatabaseUrl::redacted`]) is named in the message.
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
        map_diesel(err, None, None)
    }
}

/// What kind of failure a database error is: decided once, by [`classify`], for the error
/// map and for the transaction abort watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Unique,
    ForeignKey,
    NotNull,
    Check,
    /// A serialization failure (the transaction was rolled back).
    Serialization,
    /// A deadlock (the server rolled back the victim's transaction).
    Deadlock,
    /// A lock wait timed out (the statement failed; MySQL keeps the transaction).
    LockTimeout,
    ConnectionLost,
    Other,
}

impl Class {
    /// Whether running the same transaction again may succeed.
    pub(crate) fn is_retryable(self) -> bool {
        matches!(
            self,
            Class::Serialization | Class::Deadlock | Class::LockTimeout
        )
    }
}

/// Classifies a database error: by the server's `code` when known (given, or implied by
/// diesel's `kind`, see [`code_of_kind`]), otherwise by diesel's `kind` and then the
/// server's English `message` (see the module documentation).
pub(crate) fn classify(
    kind: &DatabaseErrorKind,
    message: &str,
    code: Option<&ErrorCode>,
    backend: Option<Backend>,
) -> Class {
    if let Some(code) = code {
        return class_of_code(code);
    }
    match kind {
        DatabaseErrorKind::UniqueViolation => Class::Unique,
        DatabaseErrorKind::ForeignKeyViolation | DatabaseErrorKind::RestrictViolation => {
            Class::ForeignKey
        }
        DatabaseErrorKind::NotNullViolation => Class::NotNull,
        DatabaseErrorKind::CheckViolation => Class::Check,
        DatabaseErrorKind::SerializationFailure => Class::Serialization,
        DatabaseErrorKind::ClosedConnection => Class::ConnectionLost,
        DatabaseErrorKind::UnableToSendCommand => match classify_message(message, backend) {
            Class::Other => Class::ConnectionLost,
            class => class,
        },
        _ => classify_message(message, backend),
    }
}

/// The class of a server's error code (the table in the module documentation).
fn class_of_code(code: &ErrorCode) -> Class {
    match code {
        ErrorCode::SqlState(state) => match state.as_str() {
            "23505" => Class::Unique,
            "23503" | "23001" => Class::ForeignKey,
            "23502" => Class::NotNull,
            "23514" => Class::Check,
            "40001" => Class::Serialization,
            "40P01" => Class::Deadlock,
            "55P03" => Class::LockTimeout,
            "57P01" | "57P02" | "57P03" => Class::ConnectionLost,
            state if state.starts_with("08") => Class::ConnectionLost,
            _ => Class::Other,
        },
        ErrorCode::Mysql { number, .. } => match number {
            1062 | 1586 | 1859 => Class::Unique,
            1216 | 1217 | 1451 | 1452 | 1830 | 1834 => Class::ForeignKey,
            1048 | 1364 => Class::NotNull,
            3819 | 4025 => Class::Check,
            1213 => Class::Deadlock,
            1205 => Class::LockTimeout,
            1053 | 1927 => Class::ConnectionLost,
            _ => Class::Other,
        },
    }
}

/// The code diesel's `kind` stands for where the driver derived the kind from exactly one
/// code: diesel-async's PostgreSQL conversion (see the module documentation). `None`
/// elsewhere (several MySQL numbers share a kind; SQLite's codes are not kept).
pub(crate) fn code_of_kind(
    kind: &DatabaseErrorKind,
    backend: Option<Backend>,
) -> Option<ErrorCode> {
    if backend != Some(Backend::Postgres) {
        return None;
    }
    let state = match kind {
        DatabaseErrorKind::UniqueViolation => "23505",
        DatabaseErrorKind::ForeignKeyViolation => "23503",
        DatabaseErrorKind::RestrictViolation => "23001",
        DatabaseErrorKind::ExclusionViolation => "23P01",
        DatabaseErrorKind::SerializationFailure => "40001",
        DatabaseErrorKind::ReadOnlyTransaction => "25006",
        DatabaseErrorKind::NotNullViolation => "23502",
        DatabaseErrorKind::CheckViolation => "23514",
        _ => return None,
    };
    SqlState::new(state).map(ErrorCode::SqlState)
}

/// The server's code for an error diesel reported with `kind` and `info`: on PostgreSQL
/// the SQLSTATE the driver reports with it (diesel's `DatabaseErrorInformation::sqlstate`,
/// the server's own code), or else the one orm's socket saw with its message (see
/// `crate::pg_wire`); otherwise the one diesel's kind stands for ([`code_of_kind`]).
/// (MySQL's SQLSTATE alone does not name the error: its number is asked for apart.)
pub(crate) fn known_code(
    kind: &DatabaseErrorKind,
    info: &dyn diesel::result::DatabaseErrorInformation,
    backend: Option<Backend>,
) -> Option<ErrorCode> {
    #[cfg(feature = "postgres")]
    if backend == Some(Backend::Postgres) {
        let reported = info
            .sqlstate()
            .and_then(|state| SqlState::new(state.as_str()));
        if let Some(state) = reported.or_else(|| crate::pg_wire::code_for(info.message())) {
            return Some(ErrorCode::SqlState(state));
        }
    }
    #[cfg(not(feature = "postgres"))]
    let _ = info;
    code_of_kind(kind, backend)
}

/// Classifies a diesel error; `code` is the server's code obtained apart from the error.
pub(crate) fn map_diesel(
    err: diesel::result::Error,
    backend: Option<Backend>,
    code: Option<ErrorCode>,
) -> Error {
    use diesel::result::Error as D;
    let message = match &err {
        D::DatabaseError(kind, info) => {
            let code = code.or_else(|| known_code(kind, info.as_ref(), backend));
            let class = classify(kind, info.message(), code.as_ref(), backend);
            return database_error(class, backend, code, err);
        }
        D::NotFound => return Error::NoMatch { model: "row" },
        D::QueryBuilderError(e) => format!("cannot build the query: {e}"),
        D::DeserializationError(e) => format!("cannot read a value from the database: {e}"),
        D::SerializationError(e) => format!("cannot send a value to the database: {e}"),
        D::RollbackErrorOnCommit { .. } => {
            let D::RollbackErrorOnCommit {
                rollback_error,
                commit_error,
            } = err
            else {
                unreachable!("matched above")
            };
            return match map_diesel(*commit_error, backend, code) {
                Error::Database {
                    message,
                    retryable,
                    code,
                    source,
                    ..
                } => Error::Database {
                    backend,
                    message: format!(
                        "{message}; the rollback after it failed too: {rollback_error}"
                    ),
                    retryable,
                    code,
                    source,
                },
                other => other,
            };
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
        code: None,
        source: Some(DriverError::new(err)),
    }
}

/// The [`Error`] of `err`, a diesel database error of class `class`; `err` is kept as its
/// source.
fn database_error(
    class: Class,
    backend: Option<Backend>,
    code: Option<ErrorCode>,
    err: diesel::result::Error,
) -> Error {
    let diesel::result::Error::DatabaseError(_, info) = &err else {
        unreachable!("only called with database errors")
    };
    let message = info.message().to_owned();
    let full = full_message(&**info);
    let constraint = matches!(
        class,
        Class::Unique | Class::ForeignKey | Class::NotNull | Class::Check
    )
    .then(|| constraint_info(&**info, backend));
    let source = DriverError::new(err);
    let constraint = || ConstraintInfo {
        code,
        source: Some(source.clone()),
        ..constraint.clone().unwrap_or_default()
    };
    match class {
        Class::Unique => Error::UniqueViolation(constraint()),
        Class::ForeignKey => Error::ForeignKeyViolation(constraint()),
        Class::NotNull => Error::NotNullViolation(constraint()),
        Class::Check => Error::CheckViolation(constraint()),
        Class::ConnectionLost => match backend {
            Some(backend) => Error::Connection {
                backend,
                message: message.clone(),
                cause: crate::error::ConnectionCause::Other,
            },
            None => Error::Database {
                backend,
                message: message.clone(),
                retryable: false,
                code,
                source: Some(source),
            },
        },
        Class::Serialization | Class::Deadlock | Class::LockTimeout | Class::Other => {
            Error::Database {
                backend,
                message: full,
                retryable: class.is_retryable(),
                code,
                source: Some(source),
            }
        }
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
    let tables: &[&[(Class, &[Text])]] = match backend {
        Some(Backend::Sqlite) => &[SQLITE_TEXTS],
        Some(Backend::Postgres) => &[POSTGRES_TEXTS],
        Some(Backend::Mysql) => &[MYSQL_TEXTS],
        None => &[SQLITE_TEXTS, POSTGRES_TEXTS, MYSQL_TEXTS],
    };
    tables
        .iter()
        .flat_map(|table| table.iter())
        .find(|(_, texts)| texts.iter().any(|text| text.matches(message)))
        .map_or(Class::Other, |&(class, _)| class)
}

/// A message text that marks a class.
#[derive(Debug, Clone, Copy)]
enum Text {
    /// The message starts with it.
    Starts(&'static str),
    /// The message contains it.
    Contains(&'static str),
    /// The message starts with the first and ends with the second.
    Around(&'static str, &'static str),
    /// The message starts with the first and contains the second.
    StartsContaining(&'static str, &'static str),
}

impl Text {
    fn matches(self, message: &str) -> bool {
        match self {
            Text::Starts(start) => message.starts_with(start),
            Text::Contains(part) => message.contains(part),
            Text::Around(start, end) => message.starts_with(start) && message.ends_with(end),
            Text::StartsContaining(start, part) => {
                message.starts_with(start) && message.contains(part)
            }
        }
    }
}

/// SQLite's texts, each class's in the order they are tried.
const SQLITE_TEXTS: &[(Class, &[Text])] = &[
    (Class::Unique, &[Starts("UNIQUE constraint failed")]),
    (
        Class::ForeignKey,
        &[Starts("FOREIGN KEY constraint failed")],
    ),
    (Class::NotNull, &[Starts("NOT NULL constraint failed")]),
    (Class::Check, &[Starts("CHECK constraint failed")]),
    (
        Class::LockTimeout,
        &[
            Starts("database is locked"),
            Starts("database table is locked"),
        ],
    ),
];

/// PostgreSQL's English texts.
const POSTGRES_TEXTS: &[(Class, &[Text])] = &[
    (
        Class::Unique,
        &[Starts("duplicate key value violates unique constraint")],
    ),
    (
        Class::ForeignKey,
        &[Contains("violates foreign key constraint")],
    ),
    (Class::NotNull, &[Contains("violates not-null constraint")]),
    (Class::Check, &[Contains("violates check constraint")]),
    (
        Class::Serialization,
        &[Starts("could not serialize access")],
    ),
    (Class::Deadlock, &[Starts("deadlock detected")]),
    (
        Class::ConnectionLost,
        &[
            Starts("terminating connection"),
            Starts("connection closed"),
            Starts("server closed the connection"),
            Starts("error communicating with the server"),
        ],
    ),
];

/// The two texts of MySQL's not-null errors, around the column's name: matched by
/// [`MYSQL_TEXTS`] and read by `parse_mysql`.
const MYSQL_NOT_NULL: [(&str, &str); 2] = [
    ("Column '", "' cannot be null"),
    ("Field '", "' doesn't have a default value"),
];

/// MySQL's and MariaDB's English texts.
const MYSQL_TEXTS: &[(Class, &[Text])] = &[
    (Class::Unique, &[Starts("Duplicate entry")]),
    (
        Class::ForeignKey,
        &[Contains("a foreign key constraint fails")],
    ),
    (
        Class::NotNull,
        &[
            Around(MYSQL_NOT_NULL[0].0, MYSQL_NOT_NULL[0].1),
            Around(MYSQL_NOT_NULL[1].0, MYSQL_NOT_NULL[1].1),
        ],
    ),
    (
        Class::Check,
        &[
            StartsContaining("CONSTRAINT `", "` failed for "),
            StartsContaining("Check constraint '", "' is violated"),
        ],
    ),
    (Class::Deadlock, &[Starts("Deadlock found")]),
    (Class::LockTimeout, &[Starts("Lock wait timeout exceeded")]),
    (
        Class::ConnectionLost,
        &[
            Contains("Connection reset"),
            Contains("Broken pipe"),
            Contains("Connection refused"),
            Contains("server has gone away"),
            Contains("Lost connection"),
            Contains("Connection to the server is closed"),
            Starts("Connection was killed"),
            // mysql_async's I/O errors (`Error::Io`: "Input/output error: ..."), such as
            // "connection closed" after the server killed the session: the socket is gone.
            Starts("Input/output error"),
        ],
    ),
];

/// Table, constraint and column of a constraint violation: what the driver reports, and
/// what the message names where it reports nothing. No code and no source yet.
fn constraint_info(
    info: &(dyn DatabaseErrorInformation + Send + Sync),
    backend: Option<Backend>,
) -> ConstraintInfo {
    let message = info.message();
    let mut parsed = ConstraintInfo {
        table: info.table_name().map(str::to_owned),
        constraint: info.constraint_name().map(str::to_owned),
        message: message.to_owned(),
        ..ConstraintInfo::default()
    };
    // PostgreSQL: `Key (email)=(a@b) already exists.`, `Key (a, b)=(1, 2) ...`.
    let detail_columns = info
        .details()
        .and_then(|d| between(d, "Key (", ")="))
        .map(split_columns);
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
    parsed.columns = match (info.column_name(), detail_columns) {
        (Some(column), _) => vec![column.to_owned()],
        (None, Some(columns)) => columns,
        (None, None) => from_message.columns,
    };
    parsed
}

/// `a, b` -> `["a", "b"]` (PostgreSQL quotes only names that need it; orm's never do).
fn split_columns(list: &str) -> Vec<String> {
    list.split(", ")
        .map(|c| c.trim_matches('"').to_owned())
        .collect()
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
        for (table, column) in columns.split(", ").filter_map(|tc| tc.split_once('.')) {
            info.table = Some(table.to_owned());
            info.columns.push(column.to_owned());
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
        columns: between(message, "column \"", "\"")
            .map(str::to_owned)
            .into_iter()
            .collect(),
        ..ConstraintInfo::default()
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
        info.columns = between(message, "FOREIGN KEY (`", "`)")
            .filter(|c| !c.contains('`'))
            .map(str::to_owned)
            .into_iter()
            .collect();
    } else if let Some((rest, end)) = MYSQL_NOT_NULL
        .into_iter()
        .find_map(|(start, end)| Some((message.strip_prefix(start)?, end)))
    {
        // The column between the quotes of the first of these that the message starts with.
        info.columns = rest
            .strip_suffix(end)
            .map(str::to_owned)
            .into_iter()
            .collect();
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
        message: format!("{message} (url: {url_redacted})"),
        cause: crate::error::ConnectionCause::Other,
    };
    match err {
        ConnectionError::InvalidConnectionUrl(reason) => Error::InvalidUrl {
            url_redacted: url_redacted.to_owned(),
            reason,
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
                    reason: message.clone(),
                };
            }
            connection(message)
        }
        other => connection(other.to_string()),
    }
}

#[cfg(test)]
mod tests;
