//! Opening a connection on each backend, and the session setup orm relies on.
//!
//! - SQLite: diesel's connection, then `PRAGMA foreign_keys = ON` (foreign keys and their
//!   `ON DELETE` actions are enforced), `PRAGMA busy_timeout = 5000`,
//!   `PRAGMA case_sensitive_like = ON`, for a writable file `PRAGMA journal_mode = WAL`
//!   (readers do not block the writer) or the URL's `journal_mode`, and the URL's
//!   `synchronous`; and SQLite's
//!   ASCII-only `lower()` replaced by a Unicode-aware one ([`unicode_lower`]), so the `i`
//!   lookups fold `É` to `é` as PostgreSQL and MariaDB do; and a `regexp()` function
//!   ([`regexp`], Rust's `regex` crate), which SQLite's `REGEXP` operator calls and has
//!   none of its own, for the by-name `regex` / `iregex` lookups.
//! - PostgreSQL: tokio-postgres connects (so a failure reports its cause, such as
//!   "connection refused", which diesel-async's own `establish` drops) over orm's own
//!   socket, which notes the SQLSTATE of each error (see [`crate::pg_wire`]), then
//!   diesel-async takes the client over; bounded by the URL's connect timeout.
//! - MySQL/MariaDB: mysql_async connects with options built from the URL's typed fields
//!   and TLS settings (see [`crate::mysql_connect`]), then diesel-async takes the connection
//!   over; bounded by the URL's connect timeout, which mysql_async does not have.
//!
//! Every connection gets [`OrmInstrumentation`] (one `tracing` event per statement; see
//! [`crate::instrument`]), replacing diesel's global default instrumentation.

use orm_schema::Backend;

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::instrument::OrmInstrumentation;
use crate::url::DatabaseUrl;

/// Installs orm's statement tracing on a new connection.
fn traced<C: diesel::Connection>(mut conn: C, backend: Backend) -> C {
    conn.set_instrumentation(OrmInstrumentation::new(backend));
    conn
}

/// The pragmas every SQLite connection runs first: foreign keys enforced, a busy
/// timeout, case-sensitive LIKE (as on the other backends; the `i` lookups fold case
/// explicitly), for a writable file WAL or the URL's `journal_mode`, and the URL's
/// `synchronous`.
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_setup(url: &DatabaseUrl) -> String {
    let mut setup = String::from(
        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA case_sensitive_like = ON;",
    );
    let driver_url = url.sqlite_driver_url().unwrap_or_default();
    let read_only = driver_url.contains("mode=ro") || driver_url.contains("immutable=1");
    let writable_file = matches!(url.target(), crate::url::Target::File(_)) && !read_only;
    setup.push_str(&url.sqlite_pragmas().statements(writable_file));
    setup
}

#[cfg(feature = "sqlite")]
diesel::define_sql_function! {
    /// SQLite's `lower`, which orm replaces on each connection (see [`unicode_lower`]).
    #[sql_name = "lower"]
    fn sqlite_lower(text: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// `text` in lower case by Unicode's simple case mapping: each character that lowers to
/// one character is replaced by it, the others are kept (what PostgreSQL's and MariaDB's
/// `lower()` do for the letters of every alphabet). SQLite's own `lower()` folds ASCII only.
#[cfg(feature = "sqlite")]
pub(crate) fn unicode_lower(text: &str) -> String {
    text.chars()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        })
        .collect()
}

#[cfg(feature = "sqlite")]
diesel::define_sql_function! {
    /// `regexp(pattern, text)`, which SQLite's `text REGEXP pattern` calls; orm registers
    /// it on each connection (see [`regexp`]).
    #[sql_name = "regexp"]
    fn sqlite_regexp(pattern: diesel::sql_types::Nullable<diesel::sql_types::Text>, text: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Bool>;
}

/// Registers `regexp(pattern, text)`: whether `text` matches `pattern` (NULL if either is
/// NULL). The last pattern compiled is kept, so a statement compiles its pattern once. A
/// pattern that does not compile gives NULL, as diesel's function interface has no error
/// return (the by-name lookups check theirs before any SQL runs).
#[cfg(feature = "sqlite")]
fn regexp(conn: &mut diesel::SqliteConnection) -> diesel::QueryResult<()> {
    let mut last: Option<(String, regex::Regex)> = None;
    sqlite_regexp_utils::register_impl_with_behavior(
        conn,
        diesel::sqlite::SqliteFunctionBehavior::DETERMINISTIC,
        move |pattern: Option<String>, text: Option<String>| {
            let (pattern, text) = (pattern?, text?);
            if last.as_ref().is_none_or(|(p, _)| *p != pattern) {
                let compiled = regex::Regex::new(&pattern).ok()?;
                last = Some((pattern, compiled));
            }
            last.as_ref().map(|(_, re)| re.is_match(&text))
        },
    )
}

/// Opens and sets up a SQLite connection.
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite(url: &DatabaseUrl) -> Result<Connection> {
    use diesel::connection::SimpleConnection;
    use diesel::Connection as _;

    let conn = diesel::SqliteConnection::establish(url.sqlite_driver_url().unwrap_or_default())
        .map_err(|e| Error::from_connection_error(e, Backend::Sqlite, url.redacted()))?;
    let mut conn = traced(conn, Backend::Sqlite);
    sqlite_lower_utils::register_impl(&mut conn, |text: Option<String>| {
        text.map(|t| unicode_lower(&t))
    })
    .map_err(|e| Error::from_diesel(e, Backend::Sqlite))?;
    regexp(&mut conn).map_err(|e| Error::from_diesel(e, Backend::Sqlite))?;
    conn.batch_execute(&sqlite_setup(url)).map_err(|e| {
        match Error::from_diesel(e, Backend::Sqlite) {
            // A file that cannot be opened is only noticed by the first statement.
            Error::Database { message, .. } => Error::Connection {
                backend: Backend::Sqlite,
                message: format!("{message} (url: {})", url.redacted()),
                cause: crate::error::ConnectionCause::Other,
            },
            other => other,
        }
    })?;
    Ok(Connection::Sqlite(conn))
}

/// Opens a PostgreSQL connection.
#[cfg(feature = "postgres")]
pub(crate) fn postgres(url: &DatabaseUrl) -> Result<Connection> {
    let backend = Backend::Postgres;
    crate::runtime::establish(url, backend, || crate::pg_wire::open(url))
        .map(|conn| Connection::Postgres(traced(conn, backend)))
}

/// A tokio-postgres connect error with its whole cause chain, and its cause: a TLS
/// failure (classified from the rustls error in the chain), or, when `tls_refused`, a
/// server that answered a required TLS request with "no TLS".
#[cfg(feature = "postgres")]
pub(crate) fn postgres_connect_error(
    err: &tokio_postgres::Error,
    url: &DatabaseUrl,
    tls_refused: bool,
) -> Error {
    use std::error::Error as _;

    let message = match err.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut message = err.to_string();
            let mut source = err.source();
            while let Some(cause) = source {
                message.push_str(": ");
                message.push_str(&cause.to_string());
                source = cause.source();
            }
            message
        }
    };
    if message.starts_with("invalid connection string")
        || message.starts_with("invalid configuration")
    {
        return Error::InvalidUrl {
            url_redacted: url.redacted().to_owned(),
            reason: message,
        };
    }
    let cause = if tls_refused {
        crate::error::ConnectionCause::TlsNotOffered
    } else {
        crate::tls::cause_of(err).unwrap_or(crate::error::ConnectionCause::Other)
    };
    connection_error(Backend::Postgres, cause, &message, url)
}

/// An [`Error::Connection`] of `cause`, its message led by the cause when it is a known one.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn connection_error(
    backend: Backend,
    cause: crate::error::ConnectionCause,
    message: &str,
    url: &DatabaseUrl,
) -> Error {
    let message = match cause {
        crate::error::ConnectionCause::Other => format!("{message} (url: {url})"),
        known => format!("{known}: {message} (url: {url})"),
    };
    Error::Connection {
        backend,
        message,
        cause,
    }
}

/// Opens a MySQL/MariaDB connection: with diesel's MariaDB backend for a `mariadb://` URL,
/// its MySQL backend otherwise.
#[cfg(feature = "mysql")]
pub(crate) fn mysql(url: &DatabaseUrl) -> Result<Connection> {
    let backend = Backend::Mysql;
    if url.mariadb() {
        crate::runtime::establish(url, backend, || crate::mysql_connect::open(url))
            .map(|conn| Connection::Mariadb(traced(conn, backend)))
    } else {
        crate::runtime::establish(url, backend, || crate::mysql_connect::open(url))
            .map(|conn| Connection::Mysql(traced(conn, backend)))
    }
}

/// A backend whose feature is off. [`DatabaseUrl::parse`] already refuses its URLs, so this
/// is reached only with a URL parsed by a build with other features.
#[cfg(any(
    not(feature = "sqlite"),
    not(feature = "postgres"),
    not(feature = "mysql")
))]
pub(crate) fn disabled(url: &DatabaseUrl) -> Result<Connection> {
    let name = url.backend().name();
    Err(Error::UnsupportedBackend {
        scheme: name.to_owned(),
        reason: format!(
            "support for {name} is not compiled in: enable the `{name}` feature of orm"
        ),
    })
}

#[cfg(not(feature = "mysql"))]
pub(crate) use disabled as mysql;
#[cfg(not(feature = "postgres"))]
pub(crate) use disabled as postgres;
#[cfg(not(feature = "sqlite"))]
pub(crate) use disabled as sqlite;
