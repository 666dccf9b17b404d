//! Unit tests of the classification: by code (any language), then by diesel's kind, then
//! by the English message texts, one backend at a time.

use std::mem::discriminant;

use super::*;

fn db_error(kind: DatabaseErrorKind, message: &str) -> diesel::result::Error {
    diesel::result::Error::DatabaseError(kind, Box::new(message.to_owned()))
}

/// Maps a message diesel reported with `kind` on `backend`.
fn mapped(backend: Backend, kind: DatabaseErrorKind, message: &str) -> Error {
    Error::from_diesel(db_error(kind, message), backend)
}

/// Maps a message reported with diesel's `Unknown` kind, as diesel-async does.
fn check(backend: Backend, message: &str) -> Error {
    mapped(backend, DatabaseErrorKind::Unknown, message)
}

/// The names a message gives (its `message` is filled in by [`violations`]).
fn info(table: Option<&str>, constraint: Option<&str>, columns: &[&str]) -> ConstraintInfo {
    ConstraintInfo {
        table: table.map(Into::into),
        constraint: constraint.map(Into::into),
        columns: columns.iter().map(|&column| column.into()).collect(),
        ..ConstraintInfo::default()
    }
}

/// An English message, the variant it maps to and the names it gives.
type Violation = (&'static str, fn(ConstraintInfo) -> Error, ConstraintInfo);

/// Maps each message on `backend` (diesel's `Unknown` kind) and checks its variant and its
/// constraint info: the names expected, with the message itself.
fn violations<const N: usize>(backend: Backend, cases: [Violation; N]) {
    for (message, variant, names) in cases {
        let e = check(backend, message);
        let expected = variant(ConstraintInfo::default());
        assert_eq!(
            discriminant(&e),
            discriminant(&expected),
            "{message}: {e:?}"
        );
        let expected = ConstraintInfo {
            message: message.into(),
            ..names
        };
        assert_eq!(e.constraint(), Some(&expected), "{message}");
    }
}

/// The message of a connection error (cause `Other`) on `backend`; panics on any other
/// error, naming `context`.
fn lost_connection(e: Error, backend: Backend, context: &str) -> String {
    match e {
        Error::Connection {
            backend: on,
            message,
            cause: crate::error::ConnectionCause::Other,
        } => {
            assert_eq!(on, backend, "{context}");
            message
        }
        e => panic!("{context}: {e:?}"),
    }
}

fn is_not_null(e: &Error) -> bool {
    matches!(e, Error::NotNullViolation(_))
}

fn is_check(e: &Error) -> bool {
    matches!(e, Error::CheckViolation(_))
}

fn is_connection(e: &Error) -> bool {
    matches!(e, Error::Connection { .. })
}

#[test]
fn sqlite_messages() {
    violations(
        Backend::Sqlite,
        [
            (
                "UNIQUE constraint failed: users.email",
                Error::UniqueViolation,
                info(Some("users"), None, &["email"]),
            ),
            (
                "UNIQUE constraint failed: t.a, t.b",
                Error::UniqueViolation,
                info(Some("t"), None, &["a", "b"]),
            ),
            (
                "NOT NULL constraint failed: t.name",
                Error::NotNullViolation,
                info(Some("t"), None, &["name"]),
            ),
            (
                "CHECK constraint failed: qty_positive",
                Error::CheckViolation,
                info(None, Some("qty_positive"), &[]),
            ),
        ],
    );
    assert!(check(Backend::Sqlite, "FOREIGN KEY constraint failed").is_foreign_key_violation());
    assert!(check(Backend::Sqlite, "database is locked").is_retryable());
}

#[test]
fn postgres_messages_without_structured_fields() {
    violations(
        Backend::Postgres,
        [
            (
                "duplicate key value violates unique constraint \"users_email_key\"",
                Error::UniqueViolation,
                info(None, Some("users_email_key"), &[]),
            ),
            (
                "null value in column \"name\" of relation \"t\" violates not-null constraint",
                Error::NotNullViolation,
                info(Some("t"), None, &["name"]),
            ),
            (
                "insert or update on table \"c\" violates foreign key constraint \"c_p_fkey\"",
                Error::ForeignKeyViolation,
                info(Some("c"), Some("c_p_fkey"), &[]),
            ),
        ],
    );
    let m = "new row for relation \"t\" violates check constraint \"t_qty_check\"";
    assert!(is_check(&check(Backend::Postgres, m)));
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
    violations(
        Backend::Mysql,
        [
            (
                "Duplicate entry 'a@b' for key 'email'",
                Error::UniqueViolation,
                info(None, Some("email"), &[]),
            ),
            (
                "Duplicate entry 'a' for key 'users.email_uq'",
                Error::UniqueViolation,
                info(Some("users"), Some("email_uq"), &[]),
            ),
            (
                "Cannot add or update a child row: a foreign key constraint fails (`test`.`child`, CONSTRAINT `child_fk` FOREIGN KEY (`parent_id`) REFERENCES `parent` (`id`))",
                Error::ForeignKeyViolation,
                info(Some("child"), Some("child_fk"), &["parent_id"]),
            ),
            (
                "Column 'name' cannot be null",
                Error::NotNullViolation,
                info(None, None, &["name"]),
            ),
            (
                "CONSTRAINT `qty_positive` failed for `test`.`items`",
                Error::CheckViolation,
                info(Some("items"), Some("qty_positive"), &[]),
            ),
            (
                "Check constraint 'qty_positive' is violated.",
                Error::CheckViolation,
                info(None, Some("qty_positive"), &[]),
            ),
        ],
    );
    let m = "Field 'name' doesn't have a default value";
    assert!(is_not_null(&check(Backend::Mysql, m)));
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
    let message = lost_connection(e, Backend::Mysql, "refused");
    assert!(
        message.contains("refused") && message.contains("***"),
        "{message}"
    );
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
        assert_eq!(
            lost_connection(check(Backend::Mysql, m), Backend::Mysql, m),
            m
        );
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

/// A message, the code sent with it and what must hold of the error it maps to.
type Coded = (&'static str, Option<ErrorCode>, fn(&Error) -> bool);

/// Maps each message with its code on `backend` and checks what must hold of the error.
fn classified<const N: usize>(backend: Backend, cases: [Coded; N]) {
    for (message, code, holds) in cases {
        let e = coded(backend, message, code);
        assert!(holds(&e), "{message}: {e:?}");
    }
}

#[test]
fn codes_classify_whatever_the_language() {
    let pg = Backend::Postgres;
    classified(
        pg,
        [
            (
                "Verklemmung (Deadlock) entdeckt",
                sqlstate("40P01"),
                Error::is_retryable,
            ),
            (
                "konnte Zugriff nicht serialisieren",
                sqlstate("40001"),
                Error::is_retryable,
            ),
            (
                "Sperrzeitüberschreitung",
                sqlstate("55P03"),
                Error::is_retryable,
            ),
            (
                "Verbindung wird abgebrochen aufgrund von Anweisung des Administrators",
                sqlstate("57P01"),
                |e| {
                    matches!(
                        e,
                        Error::Connection {
                            backend: Backend::Postgres,
                            ..
                        }
                    )
                },
            ),
            ("Verbindung verloren", sqlstate("08006"), is_connection),
            (
                "doppelter Schlüsselwert",
                sqlstate("23505"),
                Error::is_unique_violation,
            ),
            (
                "Fremdschlüssel",
                sqlstate("23503"),
                Error::is_foreign_key_violation,
            ),
            ("x", sqlstate("23502"), is_not_null),
            ("x", sqlstate("23514"), is_check),
            // A code wins over an English text that would say otherwise.
            ("deadlock detected", sqlstate("42601"), |e| {
                !e.is_retryable()
            }),
        ],
    );
    let e = coded(pg, "Verklemmung (Deadlock) entdeckt", sqlstate("40P01"));
    assert_eq!(e.code(), sqlstate("40P01").as_ref());
    let e = coded(pg, "doppelter Schlüsselwert", sqlstate("23505"));
    assert_eq!(e.code(), sqlstate("23505").as_ref());

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
    classified(
        my,
        [
            ("Verklemmung", mysql(1213, "40001"), Error::is_retryable),
            ("Sperr-Timeout", mysql(1205, "HY000"), Error::is_retryable),
            (
                "Doppelter Eintrag",
                mysql(1062, "23000"),
                Error::is_unique_violation,
            ),
            (
                "Fremdschlüssel",
                mysql(1452, "23000"),
                Error::is_foreign_key_violation,
            ),
            ("x", mysql(1048, "23000"), is_not_null),
            ("x", mysql(3819, "HY000"), is_check),
            ("x", mysql(1927, "70100"), is_connection),
            ("Syntaxfehler", mysql(1064, "42000"), |e| {
                matches!(
                    e,
                    Error::Database {
                        retryable: false,
                        ..
                    }
                )
            }),
        ],
    );
    let e = coded(my, "Syntaxfehler", mysql(1064, "42000"));
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
        let e = mapped(Backend::Postgres, kind, "irgendwas");
        assert_eq!(e.code(), sqlstate(state).as_ref(), "{e:?}");
    }
    let unique = DatabaseErrorKind::UniqueViolation;
    let e = mapped(Backend::Sqlite, unique, "UNIQUE constraint failed: t.a");
    assert!(e.is_unique_violation());
    assert_eq!(e.code(), None);
    let e = mapped(Backend::Mysql, unique, "Duplicate entry");
    assert_eq!(e.code(), None);
}

#[test]
fn the_driver_error_is_the_source() {
    use std::error::Error as _;
    let m = "UNIQUE constraint failed: t.a";
    let e = mapped(Backend::Sqlite, DatabaseErrorKind::UniqueViolation, m);
    let source = e.source().expect("the constraint info");
    let driver = source.source().expect("the driver error");
    assert_eq!(driver.to_string(), m);
    assert!(driver.downcast_ref::<diesel::result::Error>().is_some());

    let e = check(Backend::Sqlite, "syntax");
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
