//! The one error type orm returns ([`Error`]), and [`Result`].
//!
//! A constraint violation is the same variant on every backend (a duplicate key is
//! [`Error::UniqueViolation`] on SQLite, PostgreSQL and MariaDB alike), and a failure worth
//! retrying (serialization failure, deadlock, lock timeout, a busy SQLite file) says so
//! through [`Error::is_retryable`]. How driver errors are classified lives in [`map`].

pub mod map;

use std::fmt;
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
    /// A UNIQUE or PRIMARY KEY constraint refused a write.
    #[error("unique constraint violated: {0}")]
    UniqueViolation(ConstraintInfo),
    /// A FOREIGN KEY constraint refused a write or a delete.
    #[error("foreign key constraint violated: {0}")]
    ForeignKeyViolation(ConstraintInfo),
    /// A NOT NULL constraint refused a write.
    #[error("not-null constraint violated: {0}")]
    NotNullViolation(ConstraintInfo),
    /// A CHECK constraint refused a write.
    #[error("check constraint violated: {0}")]
    CheckViolation(ConstraintInfo),
    /// No pooled connection became free in time.
    #[error("timed out after {waited:?} waiting for a pooled connection")]
    PoolTimeout {
        /// How long the caller waited.
        waited: Duration,
    },
    /// A connection could not be opened or was lost (refused, unreachable, bad password,
    /// unknown database, server gone away).
    #[error("cannot talk to the {backend} server: {message}")]
    Connection {
        /// The backend the connection was for.
        backend: Backend,
        /// What the driver reported (never containing a password).
        message: String,
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
    /// The set of models cannot be created or dropped (for example a foreign key to a model
    /// that is not in the set, or a cycle).
    #[error(transparent)]
    Schema(#[from] orm_schema::ddl::SchemaError),
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
    /// Any other database error.
    #[error("{} error: {message}{}", backend.map_or("database", |b| b.name()), if *retryable { " (retryable)" } else { "" })]
    Database {
        /// The backend that reported it, when known.
        backend: Option<Backend>,
        /// What the database or driver reported.
        message: String,
        /// Whether running the same transaction again may succeed (serialization failure,
        /// deadlock, lock timeout, busy database).
        retryable: bool,
    },
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConstraintInfo {
    /// The table the violating row belongs to.
    pub table: Option<String>,
    /// The constraint's (or MySQL key's) name.
    pub constraint: Option<String>,
    /// The column, when a single column is involved.
    pub column: Option<String>,
    /// The database's own message.
    pub message: String,
}

impl fmt::Display for ConstraintInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
