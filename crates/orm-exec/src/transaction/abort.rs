//! [`AbortWatch`]: whether the server has aborted the current transaction.
//!
//! After any error inside a transaction PostgreSQL refuses every statement until a
//! rollback, and its `COMMIT` then rolls back *without an error*. MySQL rolls the whole
//! transaction back at a deadlock (1213) and runs what follows in autocommit mode. Either
//! way a closure that swallowed the error and returned `Ok` would lose its writes silently.
//! The watch sees every statement's outcome (through orm's instrumentation) so that
//! [`Connection::transaction`](crate::Connection::transaction) refuses to commit such a
//! transaction and reports it instead.

use diesel::connection::InstrumentationEvent;
use diesel::result::Error as DieselError;
use orm_schema::Backend;

use crate::error::map::Class;

/// Tracks whether the server has aborted the current transaction (see the module docs).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AbortWatch {
    backend: Backend,
    /// The server aborted the transaction; nothing rolled it back since.
    aborted: Option<Abort>,
    /// The next statement is a `ROLLBACK` or `ROLLBACK TO SAVEPOINT`.
    rolling_back: bool,
}

/// How the server aborted a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Abort {
    /// Whether running the transaction again may succeed (a deadlock, a serialization
    /// failure).
    pub(crate) retryable: bool,
}

impl AbortWatch {
    /// A watch for a connection to `backend`.
    pub(crate) fn new(backend: Backend) -> AbortWatch {
        AbortWatch {
            backend,
            aborted: None,
            rolling_back: false,
        }
    }

    /// Whether the server aborted the current transaction, and how.
    pub(crate) fn aborted(&self) -> Option<Abort> {
        self.aborted
    }

    /// Follows a connection event. Costs a branch or two per statement.
    pub(crate) fn on_event(&mut self, event: &InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::BeginTransaction { depth, .. } if depth.get() == 1 => {
                self.on_begin_outermost();
            }
            InstrumentationEvent::RollbackTransaction { .. } => self.on_rollback(),
            InstrumentationEvent::FinishQuery { error, .. } => self.on_finish(*error),
            _ => {}
        }
    }

    /// An outermost transaction begins.
    fn on_begin_outermost(&mut self) {
        self.aborted = None;
    }

    /// A rollback (of the transaction or to a savepoint) is about to run.
    fn on_rollback(&mut self) {
        self.rolling_back = true;
    }

    /// A statement finished; a successful rollback ends the abort.
    fn on_finish(&mut self, error: Option<&DieselError>) {
        if std::mem::take(&mut self.rolling_back) && error.is_none() {
            self.aborted = None;
            return;
        }
        if let Some(abort) = error.and_then(|e| self.aborts(e)) {
            self.aborted = Some(abort);
        }
    }

    /// Whether a statement's error aborts the transaction it ran in. Only errors the
    /// server reported count: a value that could not be sent never reached it.
    fn aborts(&self, error: &DieselError) -> Option<Abort> {
        let DieselError::DatabaseError(kind, info) = error else {
            return None;
        };
        let backend = Some(self.backend);
        let code = crate::error::map::known_code(kind, info.message(), backend);
        let class = crate::error::map::classify(kind, info.message(), code.as_ref(), backend);
        match self.backend {
            Backend::Postgres => Some(Abort {
                retryable: class.is_retryable(),
            }),
            Backend::Mysql if class == Class::Deadlock => Some(Abort { retryable: true }),
            Backend::Mysql | Backend::Sqlite => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::result::DatabaseErrorKind;

    use super::*;

    fn db_error(message: &str) -> DieselError {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_owned()))
    }

    #[test]
    fn postgres_error_aborts_until_rollback() {
        let mut watch = AbortWatch::new(Backend::Postgres);
        watch.on_begin_outermost();
        watch.on_finish(None);
        assert_eq!(watch.aborted(), None);
        watch.on_finish(Some(&db_error("duplicate key value")));
        assert_eq!(watch.aborted(), Some(Abort { retryable: false }));
        // A failed rollback does not end it; a successful one does.
        watch.on_rollback();
        watch.on_finish(Some(&db_error("no such savepoint")));
        assert!(watch.aborted().is_some());
        watch.on_rollback();
        watch.on_finish(None);
        assert_eq!(watch.aborted(), None);
        watch.on_finish(Some(&db_error("deadlock detected")));
        assert_eq!(watch.aborted(), Some(Abort { retryable: true }));
        watch.on_begin_outermost();
        assert_eq!(watch.aborted(), None);
    }

    #[test]
    fn client_side_errors_and_other_backends_do_not_abort() {
        let mut watch = AbortWatch::new(Backend::Postgres);
        watch.on_finish(Some(&DieselError::NotFound));
        assert_eq!(watch.aborted(), None);
        let mut sqlite = AbortWatch::new(Backend::Sqlite);
        sqlite.on_finish(Some(&db_error("UNIQUE constraint failed: t.a")));
        assert_eq!(sqlite.aborted(), None);
        let mut mysql = AbortWatch::new(Backend::Mysql);
        mysql.on_finish(Some(&db_error("Duplicate entry 'a' for key 'k'")));
        assert_eq!(mysql.aborted(), None);
        mysql.on_finish(Some(&db_error("Deadlock found when trying to get lock")));
        assert_eq!(mysql.aborted(), Some(Abort { retryable: true }));
    }
}
