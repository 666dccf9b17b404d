//! The one error type orm returns ([`Error`]), and [`Result`].
//!
//! A constraint violation is the same variant on every backend (a duplicate key is
//! [`Error::UniqueViolation`] on SQLite, PostgreSQL and MariaDB alike), and a failure worth
//! retrying (serialization failure, deadlock, lock timeout, a busy SQLite file) says so
//! through [`Error::is_retryable`]. How driver errors are classified lives in [`map`].
//!
//! A database error keeps what the server said: its [`ErrorCode`] (PostgreSQL's SQLSTATE,
//! MySQL/MariaDB's error number, where the driver passes it on; see [`map`] for exactly
//! when), the table, constraint and column where known ([`ConstraintInfo`]), and the
//! driver's own error as [`std::error::Error::source`].

pub mod map;
#[cfg(feature = "mysql")]
pub(crate) mod mysql_diagnostics;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use orm_schema::Backend;

/// The result type of every fallible orm operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in orm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A query that must return one row (`get`) returned none.
    #[error("no {model} matches the query")]
    NoMatch {
        /// The model's Rust name.
        model: &'static str,
    },
    /// A query that must return one row (`get`) returned several.
    #[error("more than one {model} matches the query")]
    MultipleMatches {
        /// The model's Rust name.
        model: &'static str,
    },
    /// Input was refused before anything was written; every failing field is named.
    #[error(transparent)]
    Validation(#[from] orm_schema::ValidationError),
    /// A UNIQUE or PRIMARY KEY constraint refused a write (PostgreSQL 23505; MySQL 1062,
    /// 1586, 1859). The [`ConstraintInfo`] carries the code, the names the server reported
    /// and, as its `source()`, the driver's error.
    #[error("unique constraint violated: {0}")]
    UniqueViolation(#[source] ConstraintInfo),
    /// A FOREIGN KEY constraint refused a write or a delete (PostgreSQL 23503, 23001;
    /// MySQL 1216, 1217, 1451, 1452, 1830, 1834).
    #[error("foreign key constraint violated: {0}")]
    ForeignKeyViolation(#[source] ConstraintInfo),
    /// A NOT NULL constraint refused a write (PostgreSQL 23502; MySQL 1048, 1364).
    #[error("not-null constraint violated: {0}")]
    NotNullViolation(#[source] ConstraintInfo),
    /// A CHECK constraint refused a write (PostgreSQL 23514; MySQL 3819, MariaDB 4025).
    #[error("check constraint violated: {0}")]
    CheckViolation(#[source] ConstraintInfo),
    /// No pooled connection became free in time.
    #[error("timed out after {waited:?} waiting for a pooled connection")]
    PoolTimeout {
        /// How long the caller waited.
        waited: Duration,
    },
    /// A connection could not be opened or was lost (refused, unreachable, bad password,
    /// unknown database, server gone away, TLS refused or failed).
    #[error("cannot talk to the {backend} server: {message}")]
    Connection {
        /// The backend the connection was for.
        backend: Backend,
        /// What the driver reported (never containing a password).
        message: String,
        /// The cause, where orm tells causes apart (TLS problems); otherwise
        /// [`ConnectionCause::Other`].
        cause: ConnectionCause,
    },
    /// The URL's scheme names no backend orm knows, or one whose cargo feature is off.
    #[error("unsupported database `{scheme}`: {reason}")]
    UnsupportedBackend {
        /// The URL's scheme, lowercased.
        scheme: String,
        /// Why, and what to do about it.
        reason: String,
    },
    /// The database URL is malformed.
    #[error("invalid database url `{url_redacted}`: {reason}")]
    InvalidUrl {
        /// The URL with any password replaced by `***`.
        url_redacted: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A URL parameter orm reads has a value it cannot use: an unknown `sslmode` /
    /// `ssl-mode`, a root certificate file (`sslrootcert` / `ssl-ca`) that cannot be read
    /// or holds no certificate, or a driver TLS parameter orm replaces.
    #[error("invalid `{parameter}` in database url `{url_redacted}`: {reason}")]
    InvalidParameter {
        /// The parameter's name as the URL spells it (`sslmode`, `ssl-ca`, ...).
        parameter: String,
        /// The URL with any password replaced by `***`.
        url_redacted: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// The set of models cannot be created or dropped (for example a foreign key to a model
    /// that is not in the set, or a cycle).
    #[error(transparent)]
    Schema(#[from] orm_schema::ddl::SchemaError),
    /// A migration orm cannot compute, render or complete (see
    /// [`MigrateError`](orm_schema::migrate::MigrateError)).
    #[error(transparent)]
    Migrate(#[from] orm_schema::migrate::MigrateError),
    /// A migration's script failed. On SQLite and PostgreSQL nothing of it was kept and
    /// the history does not record it; on MySQL/MariaDB, whose DDL commits implicitly,
    /// the statements before the failing one stay applied (and the history does not
    /// record it either).
    #[error("migration `{migration}` failed: {cause}")]
    MigrationFailed {
        /// The migration's directory name.
        migration: String,
        /// The error of the statement that failed.
        cause: Box<Error>,
    },
    /// A field, lookup, ordering or value given by name that the model does not allow
    /// (`filter_by`, `order_by_names`).
    #[error(transparent)]
    Name(#[from] orm_schema::NameError),
    /// A transaction was rolled back instead of committed: its `COMMIT` failed, or the
    /// server had already aborted or ended it (on PostgreSQL after any failed statement, on
    /// MySQL/MariaDB after a deadlock), so nothing it wrote was kept. Raised when the
    /// closure returned `Ok`; run a statement that may fail in a nested transaction, whose
    /// savepoint keeps the outer one alive.
    #[error(
        "the transaction was rolled back, not committed: the {backend} server refused to \
         commit it ({cause}); if a statement in it failed, the server had aborted the \
         transaction: run statements that may fail in a nested transaction"
    )]
    NotCommitted {
        /// The backend of the transaction.
        backend: Backend,
        /// What the server answered to the check or the commit.
        cause: Box<Error>,
    },
    /// Any other database error, retryable ones included (see [`Error::is_retryable`]).
    #[error("{} error: {message}{}", backend.map_or("database", |b| b.name()), if *retryable { " (retryable)" } else { "" })]
    Database {
        /// The backend that reported it, when known.
        backend: Option<Backend>,
        /// What the database or driver reported.
        message: String,
        /// Whether running the same transaction again may succeed (serialization failure,
        /// deadlock, lock timeout, busy database).
        retryable: bool,
        /// The server's code for the error, when the driver passed it on (see [`map`]).
        code: Option<ErrorCode>,
        /// The driver's error (diesel's, holding the server's report), when there is one.
        source: Option<DriverError>,
    },
    /// orm was called in a way it does not allow, for example an update or delete on a
    /// sliced QuerySet (one with a limit or an offset). Nothing was sent to the database.
    #[error("{message}")]
    Usage {
        /// What is not allowed, and what to do instead.
        message: String,
    },
}

/// Why a connection could not be opened, where orm tells causes apart: the TLS failures
/// (see [`Error::Connection`] and [`Error::connection_cause`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionCause {
    /// Not told apart further: refused, unreachable, timed out, authentication failed,
    /// unknown database, connection lost.
    Other,
    /// The URL requires TLS (PostgreSQL `sslmode=require`, `verify-ca`, `verify-full`;
    /// MySQL `ssl-mode=REQUIRED`, `VERIFY_CA`, `VERIFY_IDENTITY`) and the server does not
    /// offer it. orm never falls back to plain text then.
    TlsNotOffered,
    /// The server's certificate does not chain to a trusted root: self-signed, or issued by
    /// another certificate authority than the root certificate file's.
    UntrustedCertificate,
    /// The certificate chains to a trusted root but does not name the host connected to
    /// (`verify-full` / `VERIFY_IDENTITY`).
    HostNameMismatch,
    /// The certificate cannot be used otherwise: expired, not yet valid, malformed, or not
    /// meant for a server.
    InvalidCertificate,
    /// The TLS handshake failed for another reason (no common protocol version or cipher,
    /// a TLS alert from the server, a broken TLS stream).
    TlsHandshake,
}

impl fmt::Display for ConnectionCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectionCause::Other => "connection failed",
            ConnectionCause::TlsNotOffered => "the server does not offer TLS",
            ConnectionCause::UntrustedCertificate => {
                "the server's certificate is not signed by a trusted root"
            }
            ConnectionCause::HostNameMismatch => {
                "the server's certificate does not name the host connected to"
            }
            ConnectionCause::InvalidCertificate => "the server's certificate is invalid",
            ConnectionCause::TlsHandshake => "the TLS handshake failed",
        })
    }
}

/// The driver's error, kept as the [`source`](std::error::Error::source) of an [`Error`]
/// or a [`ConstraintInfo`] (today diesel's `diesel::result::Error`, which holds the
/// server's report; `downcast_ref` it to look inside). Shared, so that a
/// [`ConstraintInfo`] stays cheap to clone. It derefs to the error itself, which is also
/// what `source()` returns.
#[derive(Clone)]
// A thin pointer: one word in every `ConstraintInfo`, which keeps `Error` small.
#[allow(clippy::redundant_allocation)]
pub struct DriverError(Arc<Box<dyn std::error::Error + Send + Sync + 'static>>);

impl DriverError {
    /// Keeps `error`.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> DriverError {
        DriverError(Arc::new(Box::new(error)))
    }
}

impl std::ops::Deref for DriverError {
    type Target = dyn std::error::Error + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &**self.0
    }
}

impl fmt::Debug for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self.0, f)
    }
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self.0, f)
    }
}

/// A backend connection (a variant of [`Connection`](crate::Connection)) that turns the
/// diesel error of the statement it just ran into orm's [`Error`]. On MySQL/MariaDB the
/// server is first asked for the error's number, which diesel-async drops (see [`map`]);
/// elsewhere this is [`Error::from_diesel`]. Classify before running anything else on the
/// connection.
pub trait Classify {
    /// Classifies `err`, just raised on this connection.
    fn classify_error(&mut self, err: diesel::result::Error) -> Error;

    /// `result`, of a statement just run on this connection, with its error classified.
    fn classify<T>(&mut self, result: diesel::QueryResult<T>) -> Result<T> {
        result.map_err(|err| self.classify_error(err))
    }
}

#[cfg(feature = "sqlite")]
impl Classify for diesel::SqliteConnection {
    fn classify_error(&mut self, err: diesel::result::Error) -> Error {
        Error::from_diesel(err, Backend::Sqlite)
    }
}

#[cfg(feature = "postgres")]
impl Classify for crate::connection::BlockingPg {
    fn classify_error(&mut self, err: diesel::result::Error) -> Error {
        Error::from_diesel(err, Backend::Postgres)
    }
}

/// MySQL and MariaDB: the server is asked for the error's number
/// ([`mysql_diagnostics`]).
macro_rules! classify_mysql_like {
    ($($blocking:ty, $nonblocking:ty);*) => {$(
        #[cfg(feature = "mysql")]
        impl Classify for $blocking {
            fn classify_error(&mut self, err: diesel::result::Error) -> Error {
                mysql_diagnostics::blocking(self, &err).classify(err)
            }
        }

        #[cfg(feature = "mysql")]
        impl ClassifyAsync for $nonblocking {
            async fn classify_error(&mut self, err: diesel::result::Error) -> Error {
                mysql_diagnostics::nonblocking(self, &err)
                    .await
                    .classify(err)
            }
        }
    )*};
}
classify_mysql_like!(
    crate::connection::BlockingMysql, crate::database::AsyncMysql;
    crate::connection::BlockingMariadb, crate::database::AsyncMariadb
);

/// [`Classify`] for a diesel-async connection (a pooled connection's backend connection).
pub trait ClassifyAsync: Send {
    /// Classifies `err`, just raised on this connection.
    fn classify_error(
        &mut self,
        err: diesel::result::Error,
    ) -> impl std::future::Future<Output = Error> + Send;

    /// `result`, of a statement just run on this connection, with its error classified.
    fn classify<T: Send>(
        &mut self,
        result: diesel::QueryResult<T>,
    ) -> impl std::future::Future<Output = Result<T>> + Send {
        async move {
            match result {
                Ok(value) => Ok(value),
                Err(err) => Err(self.classify_error(err).await),
            }
        }
    }
}

#[cfg(feature = "postgres")]
impl ClassifyAsync for diesel_async::AsyncPgConnection {
    async fn classify_error(&mut self, err: diesel::result::Error) -> Error {
        Error::from_diesel(err, Backend::Postgres)
    }
}

/// The code a database server attached to an error. Classification into [`Error`]'s
/// variants goes by this code wherever it is known, so it does not depend on the language
/// of the server's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// PostgreSQL's SQLSTATE, such as `23505` (unique violation) or `40P01` (deadlock).
    SqlState(SqlState),
    /// A MySQL/MariaDB error number, such as `1062` (duplicate entry), with the SQLSTATE
    /// the server sent along (`23000`).
    Mysql {
        /// The server's error number.
        number: u16,
        /// The SQLSTATE the server paired with it.
        sqlstate: SqlState,
    },
}

impl ErrorCode {
    /// The SQLSTATE: PostgreSQL's code itself, or the one MySQL/MariaDB sent with its
    /// error number.
    pub fn sqlstate(&self) -> &str {
        match self {
            ErrorCode::SqlState(state) => state.as_str(),
            ErrorCode::Mysql { sqlstate, .. } => sqlstate.as_str(),
        }
    }

    /// The MySQL/MariaDB error number; `None` for a PostgreSQL SQLSTATE.
    pub fn mysql_number(&self) -> Option<u16> {
        match self {
            ErrorCode::Mysql { number, .. } => Some(*number),
            ErrorCode::SqlState(_) => None,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCode::SqlState(state) => write!(f, "SQLSTATE {state}"),
            ErrorCode::Mysql { number, sqlstate } => {
                write!(f, "error {number} (SQLSTATE {sqlstate})")
            }
        }
    }
}

/// A SQLSTATE: five ASCII letters or digits (`23505`, `40P01`, `HY000`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SqlState([u8; 5]);

impl SqlState {
    /// `code` as a SQLSTATE, or `None` when it is not five ASCII letters or digits.
    pub fn new(code: &str) -> Option<SqlState> {
        let bytes: [u8; 5] = code.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(u8::is_ascii_alphanumeric)
            .then_some(SqlState(bytes))
    }

    /// The five characters.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (see `new`).
        std::str::from_utf8(&self.0).unwrap_or("?????")
    }
}

impl fmt::Debug for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// Whether this is a UNIQUE or PRIMARY KEY violation.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Error::UniqueViolation(_))
    }

    /// Whether this is a FOREIGN KEY violation.
    pub fn is_foreign_key_violation(&self) -> bool {
        matches!(self, Error::ForeignKeyViolation(_))
    }

    /// Whether running the same transaction again may succeed: a serialization failure
    /// (PostgreSQL 40001), a deadlock (PostgreSQL 40P01, MySQL 1213), a lock wait timeout
    /// (MySQL 1205) or a busy SQLite database.
    pub fn is_retryable(&self) -> bool {
        if let Error::NotCommitted { cause, .. } = self {
            return cause.is_retryable();
        }
        matches!(
            self,
            Error::Database {
                retryable: true,
                ..
            }
        )
    }

    /// The constraint details of a constraint violation, `None` for any other error.
    pub fn constraint(&self) -> Option<&ConstraintInfo> {
        match self {
            Error::UniqueViolation(info)
            | Error::ForeignKeyViolation(info)
            | Error::NotNullViolation(info)
            | Error::CheckViolation(info) => Some(info),
            _ => None,
        }
    }

    /// The code the server attached to a database error or constraint violation, when
    /// the driver passed it on; `None` for every other error.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Database { code, .. } => code.as_ref(),
            _ => self.constraint().and_then(|info| info.code.as_ref()),
        }
    }

    /// The cause of an [`Error::Connection`]; `None` for every other error.
    pub fn connection_cause(&self) -> Option<ConnectionCause> {
        match self {
            Error::Connection { cause, .. } => Some(*cause),
            _ => None,
        }
    }

    /// An [`Error::Connection`] of [`ConnectionCause::Other`].
    pub(crate) fn connection(backend: Backend, message: impl Into<String>) -> Error {
        Error::Connection {
            backend,
            message: message.into(),
            cause: ConnectionCause::Other,
        }
    }

    /// The backend this error came from, when known.
    pub fn backend(&self) -> Option<Backend> {
        match self {
            Error::Connection { backend, .. } | Error::NotCommitted { backend, .. } => {
                Some(*backend)
            }
            Error::Database { backend, .. } => *backend,
            _ => None,
        }
    }
}

/// What a database reported about a violated constraint. Which parts are known depends on
/// the backend: PostgreSQL names table and constraint (and the column for NOT NULL);
/// MariaDB names the key or constraint and sometimes the column; SQLite names table and
/// column for UNIQUE and NOT NULL, and the constraint for CHECK.
///
/// Its [`source`](std::error::Error::source) is the driver's error. Two infos are equal
/// when everything but that source is.
#[derive(Debug, Clone, Default)]
pub struct ConstraintInfo {
    /// The table the violating row belongs to.
    pub table: Option<String>,
    /// The constraint's (or MySQL key's) name.
    pub constraint: Option<String>,
    /// Every column the database named, in the constraint's order: one for a
    /// single-column constraint, several for a composite one (SQLite's message,
    /// PostgreSQL's `Key (a, b)=...` detail); empty when only the constraint's name is
    /// known. [`column`](Self::column) is the one column; [`fields`](Self::fields) also
    /// resolves the constraint's name.
    pub columns: Vec<String>,
    /// The database's own message.
    pub message: String,
    /// The server's code for the violation, when the driver passed it on: always on
    /// PostgreSQL, on MySQL/MariaDB where orm could ask the server (see [`map`]), never on
    /// SQLite.
    pub code: Option<ErrorCode>,
    /// The driver's error.
    pub(crate) source: Option<DriverError>,
}

impl PartialEq for ConstraintInfo {
    fn eq(&self, other: &Self) -> bool {
        self.table == other.table
            && self.constraint == other.constraint
            && self.columns == other.columns
            && self.message == other.message
            && self.code == other.code
    }
}

impl Eq for ConstraintInfo {}

impl ConstraintInfo {
    /// The column, when the database named exactly one.
    pub fn column(&self) -> Option<&str> {
        match self.columns.as_slice() {
            [column] => Some(column),
            _ => None,
        }
    }

    /// The fields of `meta` (their Rust names) this violation is about, in the
    /// constraint's order: from the columns the database named or, where it named only
    /// the constraint (PostgreSQL and MariaDB for a UNIQUE, every backend for a CHECK),
    /// from the name orm gave it (`uq_<table>_<col>`, `uq_<table>_<col>_<col>` for a
    /// `unique_together`, `<table>_pkey`/`PRIMARY` for the key; see
    /// [`constraint_columns`](orm_schema::ddl::constraint_columns)). Empty when the
    /// violation is on another table, or on a constraint orm did not name.
    ///
    /// ```
    /// use orm_exec::ConstraintInfo;
    /// use orm_schema::{FieldKind, FieldMeta, ModelMeta};
    /// static FIELDS: [FieldMeta; 3] = [
    ///     FieldMeta { primary_key: true, ..FieldMeta::new("id", FieldKind::BigInteger) },
    ///     FieldMeta { column: "order_id", ..FieldMeta::new("order", FieldKind::BigInteger) },
    ///     FieldMeta::new("product", FieldKind::String),
    /// ];
    /// static LINES: ModelMeta = ModelMeta {
    ///     unique_together: &[&["order_id", "product"]],
    ///     ..ModelMeta::new("Line", "lines", &FIELDS)
    /// };
    /// // What MariaDB reports: the key's name only.
    /// let mut info = ConstraintInfo::default();
    /// info.constraint = Some("uq_lines_order_id_product".into());
    /// assert_eq!(info.fields(&LINES), ["order", "product"]);
    /// ```
    pub fn fields(&self, meta: &orm_schema::ModelMeta) -> Vec<&'static str> {
        if self.table.as_deref().is_some_and(|t| t != meta.table) {
            return Vec::new();
        }
        let columns: Vec<&str> = if self.columns.is_empty() {
            let named = self
                .constraint
                .as_deref()
                .and_then(|name| orm_schema::ddl::constraint_columns(meta, name));
            named.unwrap_or_default()
        } else {
            self.columns.iter().map(String::as_str).collect()
        };
        let fields: Option<Vec<&'static str>> = columns
            .iter()
            .map(|c| meta.fields.iter().find(|f| f.column == *c).map(|f| f.name))
            .collect();
        fields.unwrap_or_default()
    }
}

impl fmt::Display for ConstraintInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConstraintInfo {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| &**e as &(dyn std::error::Error + 'static))
    }
}
