//! Unit tests of the classification: by code (any language), then by diesel's kind, then
//! by the English message texts, one backend at a time.

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
        columns: column.into_iter().map(Into::into).collect(),
        message: message.into(),
        ..ConstraintInfo::default()
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
        Error::UniqueViolation(i) => assert_eq!(
            i,
            ConstraintInfo {
                columns: vec!["a".into(), "b".into()],
                ..info(Some("t"), None, None, m)
            }
        ),
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
        None,
    );
    assert!(e.is_unique_violation());
    let e = map_diesel(
        db_error(DatabaseErrorKind::SerializationFailure, "x"),
        None,
        None,
    );
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
        Error::Connection {
            backend,
            message,
            cause: crate::error::ConnectionCause::Other,
        } => {
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
            Error::Connection {
                backend,
                message,
                cause: crate::error::ConnectionCause::Other,
            } => {
                assert_eq!(backend, Backend::Mysql);
                assert_eq!(message, m);
            }
            e => panic!("{m}: {e:?}"),
        }
    }
}

fn sqlstate(state: &str) -> Option<ErrorCode> {
    Some(ErrorCode::SqlState(SqlState::new(state).unwrap()))
}

fn mysql(number: u16, sqlstate: &str) -> Option<ErrorCode> {
    Some(ErrorCode::Mysql {
        number,
        sqlstate: SqlState::new(sqlstate).unwrap(),
    })
}

#[test]
fn sqlstates_are_five_letters_or_digits() {
    assert_eq!(SqlState::new("40P01").unwrap().as_str(), "40P01");
    assert_eq!(SqlState::new("40P01").unwrap().to_string(), "40P01");
    assert!(SqlState::new("4001").is_none());
    assert!(SqlState::new("400011").is_none());
    assert!(SqlState::new("40 01").is_none());
    assert!(SqlState::new("4000é").is_none());
    assert_eq!(sqlstate("23505").unwrap().to_string(), "SQLSTATE 23505");
    assert_eq!(
        mysql(1062, "23000").unwrap().to_string(),
        "error 1062 (SQLSTATE 23000)"
    );
}

/// Maps an error diesel reported as `Unknown` with a message in German, given the code
/// the server sent with it.
fn coded(backend: Backend, message: &str, code: Option<ErrorCode>) -> Error {
    Error::from_diesel_with_code(db_error(DatabaseErrorKind::Unknown, message), backend, code)
}

#[test]
fn codes_classify_whatever_the_language() {
    let pg = Backend::Postgres;
    let e = coded(pg, "Verklemmung (Deadlock) entdeckt", sqlstate("40P01"));
    assert!(e.is_retryable(), "{e:?}");
    assert_eq!(e.code(), sqlstate("40P01").as_ref());
    let e = coded(pg, "konnte Zugriff nicht serialisieren", sqlstate("40001"));
    assert!(e.is_retryable(), "{e:?}");
    let e = coded(pg, "Sperrzeitüberschreitung", sqlstate("55P03"));
    assert!(e.is_retryable(), "{e:?}");
    let e = coded(
        pg,
        "Verbindung wird abgebrochen aufgrund von Anweisung des Administrators",
        sqlstate("57P01"),
    );
    assert!(
        matches!(
            e,
            Error::Connection {
                backend: Backend::Postgres,
                ..
            }
        ),
        "{e:?}"
    );
    let e = coded(pg, "Verbindung verloren", sqlstate("08006"));
    assert!(matches!(e, Error::Connection { .. }), "{e:?}");
    let e = coded(pg, "doppelter Schlüsselwert", sqlstate("23505"));
    assert!(e.is_unique_violation());
    assert_eq!(e.code(), sqlstate("23505").as_ref());
    assert!(coded(pg, "Fremdschlüssel", sqlstate("23503")).is_foreign_key_violation());
    assert!(matches!(
        coded(pg, "x", sqlstate("23502")),
        Error::NotNullViolation(_)
    ));
    assert!(matches!(
        coded(pg, "x", sqlstate("23514")),
        Error::CheckViolation(_)
    ));
    // A code wins over an English text that would say otherwise.
    let e = coded(pg, "deadlock detected", sqlstate("42601"));
    assert!(!e.is_retryable(), "{e:?}");

    let my = Backend::Mysql;
    let e = coded(
        my,
        "CONSTRAINT `qpos` fehlgeschlagen: `test`.`t`",
        mysql(4025, "23000"),
    );
    match &e {
        Error::CheckViolation(info) => {
            assert_eq!(info.code, mysql(4025, "23000"));
            assert_eq!(e.code().and_then(ErrorCode::mysql_number), Some(4025));
            assert_eq!(e.code().map(ErrorCode::sqlstate), Some("23000"));
        }
        e => panic!("{e:?}"),
    }
    assert!(coded(my, "Verklemmung", mysql(1213, "40001")).is_retryable());
    assert!(coded(my, "Sperr-Timeout", mysql(1205, "HY000")).is_retryable());
    assert!(coded(my, "Doppelter Eintrag", mysql(1062, "23000")).is_unique_violation());
    assert!(coded(my, "Fremdschlüssel", mysql(1452, "23000")).is_foreign_key_violation());
    assert!(matches!(
        coded(my, "x", mysql(1048, "23000")),
        Error::NotNullViolation(_)
    ));
    assert!(matches!(
        coded(my, "x", mysql(3819, "HY000")),
        Error::CheckViolation(_)
    ));
    assert!(matches!(
        coded(my, "x", mysql(1927, "70100")),
        Error::Connection { .. }
    ));
    let e = coded(my, "Syntaxfehler", mysql(1064, "42000"));
    assert!(
        matches!(
            e,
            Error::Database {
                retryable: false,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.code(), mysql(1064, "42000").as_ref());
}

/// diesel-async derives these kinds from exactly one SQLSTATE each, so the code is given
/// back on PostgreSQL; on the other backends a kind stands for several codes, or none is
/// kept.
#[test]
fn postgres_kinds_carry_their_sqlstate() {
    let cases = [
        (DatabaseErrorKind::UniqueViolation, "23505"),
        (DatabaseErrorKind::ForeignKeyViolation, "23503"),
        (DatabaseErrorKind::RestrictViolation, "23001"),
        (DatabaseErrorKind::NotNullViolation, "23502"),
        (DatabaseErrorKind::CheckViolation, "23514"),
        (DatabaseErrorKind::SerializationFailure, "40001"),
        (DatabaseErrorKind::ExclusionViolation, "23P01"),
        (DatabaseErrorKind::ReadOnlyTransaction, "25006"),
    ];
    for (kind, state) in cases {
        let e = Error::from_diesel(db_error(kind, "irgendwas"), Backend::Postgres);
        assert_eq!(e.code(), sqlstate(state).as_ref(), "{e:?}");
    }
    let e = Error::from_diesel(
        db_error(
            DatabaseErrorKind::UniqueViolation,
            "UNIQUE constraint failed: t.a",
        ),
        Backend::Sqlite,
    );
    assert!(e.is_unique_violation());
    assert_eq!(e.code(), None);
    let e = Error::from_diesel(
        db_error(DatabaseErrorKind::UniqueViolation, "Duplicate entry"),
        Backend::Mysql,
    );
    assert_eq!(e.code(), None);
}

#[test]
fn the_driver_error_is_the_source() {
    use std::error::Error as _;
    let m = "UNIQUE constraint failed: t.a";
    let e = Error::from_diesel(
        db_error(DatabaseErrorKind::UniqueViolation, m),
        Backend::Sqlite,
    );
    let source = e.source().expect("the constraint info");
    let driver = source.source().expect("the driver error");
    assert_eq!(driver.to_string(), m);
    assert!(driver.downcast_ref::<diesel::result::Error>().is_some());

    let e = Error::from_diesel(
        db_error(DatabaseErrorKind::Unknown, "syntax"),
        Backend::Sqlite,
    );
    let driver = e.source().expect("the driver error");
    assert!(driver.downcast_ref::<diesel::result::Error>().is_some());
    assert_eq!(driver.to_string(), "syntax");

    let usage = Error::Usage {
        message: "cannot update a sliced QuerySet".into(),
    };
    assert!(usage.source().is_none());
    assert_eq!(usage.backend(), None);
    assert_eq!(usage.code(), None);
}

/// An error as diesel-async 0.10 reports a PostgreSQL server error: a message no socket
/// of orm's saw, and the server's SQLSTATE through `DatabaseErrorInformation::sqlstate`.
#[cfg(feature = "postgres")]
#[derive(Debug)]
struct Reported {
    message: &'static str,
    sqlstate: &'static str,
}

#[cfg(feature = "postgres")]
impl diesel::result::DatabaseErrorInformation for Reported {
    fn message(&self) -> &str {
        self.message
    }
    fn details(&self) -> Option<&str> {
        None
    }
    fn hint(&self) -> Option<&str> {
        None
    }
    fn table_name(&self) -> Option<&str> {
        None
    }
    fn column_name(&self) -> Option<&str> {
        None
    }
    fn constraint_name(&self) -> Option<&str> {
        None
    }
    fn statement_position(&self) -> Option<i32> {
        None
    }
    fn sqlstate(&self) -> Option<diesel::result::SqlState> {
        self.sqlstate.parse().ok()
    }
}

#[test]
#[cfg(feature = "postgres")]
fn postgres_code_reported_by_the_driver_is_used() {
    // A message in no language orm knows, with diesel's `Unknown` kind: only the reported
    // SQLSTATE (40P01, deadlock) can classify it.
    let reported = Reported {
        message: "Verklemmung entdeckt (orm test, nie gesendet)",
        sqlstate: "40P01",
    };
    let err = diesel::result::Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new(reported));
    let mapped = Error::from_diesel(err, Backend::Postgres);
    assert_eq!(
        mapped.code().map(ErrorCode::sqlstate),
        Some("40P01"),
        "{mapped:?}"
    );
    assert!(mapped.is_retryable(), "{mapped:?}");
}
