//! Unit tests of the message classification, one backend at a time.

use super::*;

fn db_error(kind: DatabaseErrorKind, message: &str) -> diesel::result::Error {
    diesel::result::Error::DatabaseError(kind, Box::new(message.to_owned()))
}

/// Maps a message reported with diesel's `Unknown` kind, as diesel-async does.
fn check(backend: Backend, message: &str) -> Error {
    Error::from_diesel(db_error(DatabaseErrorKind::Unknown, message), backend)
}

fn info(
    table: Option<&str>,
    constraint: Option<&str>,
    column: Option<&str>,
    message: &str,
) -> ConstraintInfo {
    ConstraintInfo {
        table: table.map(Into::into),
        constraint: constraint.map(Into::into),
        column: column.map(Into::into),
        message: message.into(),
    }
}

#[test]
fn sqlite_messages() {
    let m = "UNIQUE constraint failed: users.email";
    match check(Backend::Sqlite, m) {
        Error::UniqueViolation(i) => assert_eq!(i, info(Some("users"), None, Some("email"), m)),
        e => panic!("{e:?}"),
    }
    let m = "UNIQUE constraint failed: t.a, t.b";
    match check(Backend::Sqlite, m) {
        Error::UniqueViolation(i) => assert_eq!(i, info(Some("t"), None, None, m)),
        e => panic!("{e:?}"),
    }
    let m = "NOT NULL constraint failed: t.name";
    match check(Backend::Sqlite, m) {
        Error::NotNullViolation(i) => assert_eq!(i, info(Some("t"), None, Some("name"), m)),
        e => panic!("{e:?}"),
    }
    let m = "CHECK constraint failed: qty_positive";
    match check(Backend::Sqlite, m) {
        Error::CheckViolation(i) => assert_eq!(i, info(None, Some("qty_positive"), None, m)),
        e => panic!("{e:?}"),
    }
    assert!(check(Backend::Sqlite, "FOREIGN KEY constraint failed").is_foreign_key_violation());
    assert!(check(Backend::Sqlite, "database is locked").is_retryable());
}

#[test]
fn postgres_messages_without_structured_fields() {
    let m = "duplicate key value violates unique constraint \"users_email_key\"";
    match check(Backend::Postgres, m) {
        Error::UniqueViolation(i) => {
            assert_eq!(i, info(None, Some("users_email_key"), None, m))
        }
        e => panic!("{e:?}"),
    }
    let m = "null value in column \"name\" of relation \"t\" violates not-null constraint";
    match check(Backend::Postgres, m) {
        Error::NotNullViolation(i) => assert_eq!(i, info(Some("t"), None, Some("name"), m)),
        e => panic!("{e:?}"),
    }
    let m = "new row for relation \"t\" violates check constraint \"t_qty_check\"";
    assert!(matches!(
        check(Backend::Postgres, m),
        Error::CheckViolation(_)
    ));
    let m = "insert or update on table \"c\" violates foreign key constraint \"c_p_fkey\"";
    match check(Backend::Postgres, m) {
        Error::ForeignKeyViolation(i) => {
            assert_eq!(i, info(Some("c"), Some("c_p_fkey"), None, m))
        }
        e => panic!("{e:?}"),
    }
    assert!(check(Backend::Postgres, "deadlock detected").is_retryable());
    assert!(check(
        Backend::Postgres,
        "could not serialize access due to concurrent update"
    )
    .is_retryable());
    assert!(matches!(
        check(
            Backend::Postgres,
            "terminating connection due to administrator command"
        ),
        Error::Connection {
            backend: Backend::Postgres,
            ..
        }
    ));
    assert!(!check(Backend::Postgres, "syntax error at or near \"x\"").is_retryable());
}

#[test]
fn mysql_messages() {
    let m = "Duplicate entry 'a@b' for key 'email'";
    match check(Backend::Mysql, m) {
        Error::UniqueViolation(i) => assert_eq!(i, info(None, Some("email"), None, m)),
        e => panic!("{e:?}"),
    }
    let m = "Duplicate entry 'a' for key 'users.email_uq'";
    match check(Backend::Mysql, m) {
        Error::UniqueViolation(i) => {
            assert_eq!(i, info(Some("users"), Some("email_uq"), None, m))
        }
        e => panic!("{e:?}"),
    }
    let m = "Cannot add or update a child row: a foreign key constraint fails (`test`.`child`, CONSTRAINT `child_fk` FOREIGN KEY (`parent_id`) REFERENCES `parent` (`id`))";
    match check(Backend::Mysql, m) {
        Error::ForeignKeyViolation(i) => {
            assert_eq!(
                i,
                info(Some("child"), Some("child_fk"), Some("parent_id"), m)
            )
        }
        e => panic!("{e:?}"),
    }
    let m = "Column 'name' cannot be null";
    match check(Backend::Mysql, m) {
        Error::NotNullViolation(i) => assert_eq!(i, info(None, None, Some("name"), m)),
        e => panic!("{e:?}"),
    }
    let m = "Field 'name' doesn't have a default value";
    assert!(matches!(
        check(Backend::Mysql, m),
        Error::NotNullViolation(_)
    ));
    let m = "CONSTRAINT `qty_positive` failed for `test`.`items`";
    match check(Backend::Mysql, m) {
        Error::CheckViolation(i) => {
            assert_eq!(i, info(Some("items"), Some("qty_positive"), None, m))
        }
        e => panic!("{e:?}"),
    }
    let m = "Check constraint 'qty_positive' is violated.";
    match check(Backend::Mysql, m) {
        Error::CheckViolation(i) => assert_eq!(i, info(None, Some("qty_positive"), None, m)),
        e => panic!("{e:?}"),
    }
    assert!(check(
        Backend::Mysql,
        "Deadlock found when trying to get lock; try restarting transaction"
    )
    .is_retryable());
    assert!(check(
        Backend::Mysql,
        "Lock wait timeout exceeded; try restarting transaction"
    )
    .is_retryable());
}

#[test]
fn diesel_kinds_win_and_unknown_backend_tries_every_text() {
    let e = map_diesel(
        db_error(DatabaseErrorKind::UniqueViolation, "whatever"),
        None,
    );
    assert!(e.is_unique_violation());
    let e = map_diesel(db_error(DatabaseErrorKind::SerializationFailure, "x"), None);
    assert!(e.is_retryable());
    let e: Error = db_error(
        DatabaseErrorKind::Unknown,
        "Duplicate entry '1' for key 'PRIMARY'",
    )
    .into();
    assert!(e.is_unique_violation());
    let e: Error = diesel::result::Error::NotFound.into();
    assert!(matches!(e, Error::NoMatch { .. }));
}

#[test]
fn connection_errors() {
    let e = map_connection_error(
        ConnectionError::BadConnection("Connection refused (os error 111)".into()),
        Backend::Mysql,
        "mysql://root:***@h/db",
    );
    match e {
        Error::Connection { backend, message } => {
            assert_eq!(backend, Backend::Mysql);
            assert!(
                message.contains("refused") && message.contains("***"),
                "{message}"
            );
        }
        e => panic!("{e:?}"),
    }
    let e = map_connection_error(
        ConnectionError::InvalidConnectionUrl("bad".into()),
        Backend::Mysql,
        "mysql://h/db",
    );
    assert!(matches!(e, Error::InvalidUrl { .. }));
}

/// A session the server killed while a statement was on its way comes back from
/// mysql_async as an I/O error; it is a lost connection like the others (found by
/// tests/reliability_faults.rs, which kills every pooled session under load).
#[test]
fn mysql_io_errors_are_lost_connections() {
    for m in [
        "Input/output error: Input/output error: connection closed",
        "Input/output error: Input/output error: Broken pipe (os error 32)",
    ] {
        match check(Backend::Mysql, m) {
            Error::Connection { backend, message } => {
                assert_eq!(backend, Backend::Mysql);
                assert_eq!(message, m);
            }
            e => panic!("{m}: {e:?}"),
        }
    }
}
