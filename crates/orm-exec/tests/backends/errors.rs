//! Constraint violations and retryable failures come back as the same `Error` variant on
//! every backend, with the names and the code each backend reports, whatever the language
//! of the server's messages (the `german_*` tests).

use orm_exec::{Backend, Connection, ConstraintInfo, Error, ErrorCode};

use crate::backend_test;
use crate::common::{kill_session, session_id};
use crate::support::TestDb;
use Kind::{Check, ForeignKey, NotNull, Unique};

/// Two tables with a named UNIQUE, FOREIGN KEY, NOT NULL and CHECK constraint, written in
/// SQL that all three backends accept.
fn create_tables(conn: &mut Connection) {
    conn.batch_execute(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (
             id INTEGER PRIMARY KEY,
             parent_id INTEGER NOT NULL,
             email VARCHAR(100),
             qty INTEGER,
             name VARCHAR(50) NOT NULL,
             CONSTRAINT child_email_key UNIQUE (email),
             CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id),
             CONSTRAINT qty_positive CHECK (qty > 0)
         );
         INSERT INTO parent (id) VALUES (1);
         INSERT INTO child (id, parent_id, email, qty, name) VALUES (1, 1, 'a@x', 1, 'a');",
    )
    .unwrap();
}

/// The kind of a constraint violation: the `Error` variant and the PostgreSQL SQLSTATE of
/// its error.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Unique,
    ForeignKey,
    NotNull,
    Check,
}

impl Kind {
    /// Whether `err` is this kind's variant.
    fn is_variant(self, err: &Error) -> bool {
        match self {
            Kind::Unique => matches!(err, Error::UniqueViolation(_)),
            Kind::ForeignKey => matches!(err, Error::ForeignKeyViolation(_)),
            Kind::NotNull => matches!(err, Error::NotNullViolation(_)),
            Kind::Check => matches!(err, Error::CheckViolation(_)),
        }
    }

    /// The SQLSTATE PostgreSQL reports.
    fn sqlstate(self) -> &'static str {
        match self {
            Kind::Unique => "23505",
            Kind::ForeignKey => "23503",
            Kind::NotNull => "23502",
            Kind::Check => "23514",
        }
    }
}

/// A statement that violates a constraint of [`create_tables`]: the kind of the violation,
/// the error numbers one of which MySQL/MariaDB reports (see [`assert_code`]), the SQL.
struct Violation(Kind, &'static [u16], &'static str);

/// `INSERT INTO child` of every column, with the row `$values`.
macro_rules! child {
    ($values:literal) => {
        concat!(
            "INSERT INTO child (id, parent_id, email, qty, name) VALUES ",
            $values
        )
    };
}

/// A second child with the first one's email.
const DUPLICATE_EMAIL: Violation = Violation(Unique, &[1062], child!("(2, 1, 'a@x', 1, 'b')"));
/// A duplicate primary key is a unique violation too.
const DUPLICATE_ID: Violation = Violation(Unique, &[1062], child!("(1, 1, 'b@x', 1, 'b')"));
/// A child of a parent that does not exist.
const MISSING_PARENT: Violation = Violation(ForeignKey, &[1452], child!("(2, 99, 'b@x', 1, 'b')"));
/// Deleting a row that is still referenced.
const REFERENCED_PARENT: Violation =
    Violation(ForeignKey, &[1451], "DELETE FROM parent WHERE id = 1");
/// An explicit NULL (MySQL 1048).
const NULL_NAME: Violation = Violation(NotNull, &[1048], child!("(2, 1, 'b@x', 1, NULL)"));
/// A missing value without default (MySQL 1364).
const MISSING_NAME: Violation = Violation(
    NotNull,
    &[1364],
    "INSERT INTO child (id, parent_id, email, qty) VALUES (3, 1, 'c@x', 1)",
);
/// A quantity the CHECK refuses (MariaDB 4025, MySQL 3819).
const NEGATIVE_QTY: Violation = Violation(Check, &[4025, 3819], child!("(2, 1, 'b@x', -1, 'b')"));

/// Runs `case`'s statement, which must fail as `case` says, and returns the constraint
/// details of its error.
fn violate(conn: &mut Connection, case: &Violation) -> ConstraintInfo {
    let Violation(kind, mysql, sql) = *case;
    let err = conn.execute(sql).expect_err(sql);
    assert!(kind.is_variant(&err), "{sql}: wrong variant: {err:?}");
    assert!(!err.is_retryable(), "{err:?}");
    println!("{:?}: {err:?}", conn.backend());
    let info = err
        .constraint()
        .cloned()
        .expect("a constraint violation has details");
    assert_code(info.code.as_ref(), conn.backend(), kind.sqlstate(), mysql);
    info
}

/// Checks the code an error carries: the SQLSTATE `pg` on PostgreSQL, one of the error
/// numbers `mysql` on MySQL/MariaDB, none on SQLite (whose codes diesel does not keep).
fn assert_code(code: Option<&ErrorCode>, backend: Backend, pg: &str, mysql: &[u16]) {
    match backend {
        Backend::Sqlite => assert_eq!(code, None),
        Backend::Postgres => {
            assert_eq!(code.map(ErrorCode::sqlstate), Some(pg), "{code:?}");
            assert_eq!(code.and_then(ErrorCode::mysql_number), None);
        }
        Backend::Mysql => {
            let number = code.and_then(ErrorCode::mysql_number);
            assert!(
                number.is_some_and(|n| mysql.contains(&n)),
                "{code:?}, expected one of {mysql:?}"
            );
            assert_eq!(code.map(|c| c.sqlstate().len()), Some(5), "{code:?}");
        }
    }
}

fn names(info: &ConstraintInfo) -> String {
    format!("{:?} {:?} {:?}", info.table, info.constraint, info.columns)
}

backend_test!(
    fn unique_violation(db: &TestDb) {
        let mut conn = db.connect();
        create_tables(&mut conn);
        let info = violate(&mut conn, &DUPLICATE_EMAIL);
        assert!(names(&info).contains("email"), "{info:?}");
        match db.backend {
            Backend::Sqlite => assert_eq!(info.table.as_deref(), Some("child")),
            Backend::Postgres => {
                assert_eq!(info.table.as_deref(), Some("child"));
                assert_eq!(info.constraint.as_deref(), Some("child_email_key"));
                assert_eq!(info.column(), Some("email"));
            }
            Backend::Mysql => assert_eq!(info.constraint.as_deref(), Some("child_email_key")),
        }
        violate(&mut conn, &DUPLICATE_ID);
    }
);

backend_test!(
    fn foreign_key_violation(db: &TestDb) {
        let mut conn = db.connect();
        create_tables(&mut conn);
        let info = violate(&mut conn, &MISSING_PARENT);
        if db.backend != Backend::Sqlite {
            assert_eq!(
                info.constraint.as_deref(),
                Some("child_parent_fk"),
                "{info:?}"
            );
            assert_eq!(info.table.as_deref(), Some("child"), "{info:?}");
        }
        violate(&mut conn, &REFERENCED_PARENT);
    }
);

backend_test!(
    fn not_null_violation(db: &TestDb) {
        let mut conn = db.connect();
        create_tables(&mut conn);
        for case in [&NULL_NAME, &MISSING_NAME] {
            let info = violate(&mut conn, case);
            assert_eq!(info.column(), Some("name"), "{info:?}");
        }
    }
);

backend_test!(
    fn check_violation(db: &TestDb) {
        let mut conn = db.connect();
        create_tables(&mut conn);
        let info = violate(&mut conn, &NEGATIVE_QTY);
        assert_eq!(info.constraint.as_deref(), Some("qty_positive"), "{info:?}");
    }
);

backend_test!(
    fn syntax_error_is_a_database_error(db: &TestDb) {
        let mut conn = db.connect();
        let err = conn.execute("SELEC 1").unwrap_err();
        assert!(
            matches!(&err, Error::Database { backend: Some(b), retryable: false, .. } if *b == db.backend),
            "{err:?}"
        );
        // PostgreSQL's SQLSTATE is read off the wire (diesel-async drops 42601); MySQL's
        // number is asked back; SQLite's code is not kept.
        assert_code(err.code(), db.backend, "42601", &[1064]);
        // The driver's error is the source.
        let source = std::error::Error::source(&err).expect("the driver error");
        assert!(
            source.downcast_ref::<diesel::result::Error>().is_some(),
            "{source:?}"
        );
    }
);

/// `in_both_languages! { body => english_name, german_name; ... }`: for each line, a
/// [`backend_test!`] named `english_name` that runs `body(db, Language::English)`, and one
/// named `german_name` that runs it with the sessions speaking German.
macro_rules! in_both_languages {
    ($($body:ident => $english:ident, $german:ident;)+) => {$(
        backend_test!(
            fn $english(db: &TestDb) {
                $body(db, Language::English);
            }
        );

        backend_test!(
            fn $german(db: &TestDb) {
                $body(db, Language::German);
            }
        );
    )+};
}

in_both_languages! {
    // Two connections lock two rows in opposite order: the server kills one transaction as
    // a deadlock (PostgreSQL 40P01, MySQL 1213), which must be retryable. SQLite has one
    // writer: the second writer gets "database is locked", retryable too.
    deadlock => deadlock_is_retryable, german_deadlock_is_retryable;
    // A connection the server terminated (PostgreSQL 57P01, MySQL KILL) reports
    // `Error::Connection` on its next statement, on both server backends.
    killed_connection => killed_connection_is_a_connection_error,
        german_killed_connection_is_a_connection_error;
    // A session the server terminates while a statement runs (PostgreSQL sends 57P01 as
    // that statement's error, MariaDB 1927) reports `Error::Connection` for that statement.
    killed_during_a_statement => killed_during_a_statement_is_a_connection_error,
        german_killed_during_a_statement_is_a_connection_error;
}

/// The language of the server's messages in a test's sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    /// The server's default (English on the test servers).
    English,
    /// German: PostgreSQL `lc_messages = 'de_DE.UTF-8'` (needs the locale on the server's
    /// machine and PostgreSQL's translations), MariaDB/MySQL `lc_messages = 'de_DE'`.
    German,
}

/// Switches `conn`'s session to `language` and checks that the server now speaks it.
/// `false` (after printing `skipped`) when it cannot: SQLite (its messages are never
/// translated), or a server without the German locale, which fails the test instead when
/// `ORM_REQUIRE_ALL_BACKENDS=1`.
fn speak(conn: &mut Connection, language: Language) -> bool {
    let set = match (language, conn.backend()) {
        (Language::English, _) => return true,
        (Language::German, Backend::Sqlite) => return false,
        (Language::German, Backend::Postgres) => "SET lc_messages = 'de_DE.UTF-8'",
        (Language::German, Backend::Mysql) => "SET lc_messages = 'de_DE'",
    };
    let outcome = conn.batch_execute(set).map(|()| {
        // A message whose English text is known: the locale is really in use.
        let err = conn
            .execute("SELECT * FROM orm_no_such_table")
            .expect_err("the table does not exist");
        err.to_string()
    });
    match outcome {
        Ok(message)
            if !message.contains("does not exist") && !message.contains("doesn't exist") =>
        {
            true
        }
        other => {
            let why = format!(
                "{:?} cannot send German messages ({other:?}); on Debian: apt-get install \
                 locales, then localedef --no-archive -i de_DE -c -f UTF-8 de_DE.UTF-8",
                conn.backend()
            );
            assert!(!crate::support::require_all_backends(), "{why}");
            println!("skipped: {why}");
            false
        }
    }
}

/// See `deadlock_is_retryable`; with the sessions speaking `language`.
fn deadlock(db: &TestDb, language: Language) {
    let mut setup = db.connect();
    if language != Language::English && !speak(&mut setup, language) {
        return;
    }
    setup
        .batch_execute(
            "CREATE TABLE acct (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
             INSERT INTO acct (id, n) VALUES (1, 0);
             INSERT INTO acct (id, n) VALUES (2, 0);",
        )
        .unwrap();
    if db.backend == Backend::Sqlite {
        let mut a = db.connect();
        let mut b = db.connect();
        a.batch_execute("BEGIN IMMEDIATE").unwrap();
        b.batch_execute("PRAGMA busy_timeout = 0").unwrap();
        let err = b.execute("UPDATE acct SET n = 1 WHERE id = 1").unwrap_err();
        assert!(err.is_retryable(), "{err:?}");
        a.batch_execute("ROLLBACK").unwrap();
        return;
    }
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let worker = |first: i32, second: i32| {
        let url = db.url.clone();
        let barrier = barrier.clone();
        std::thread::spawn(move || {
            let mut conn = Connection::establish(&url).unwrap();
            assert!(speak(&mut conn, language));
            conn.batch_execute("BEGIN").unwrap();
            conn.execute(&format!("UPDATE acct SET n = n + 1 WHERE id = {first}"))
                .unwrap();
            barrier.wait();
            let outcome = conn.execute(&format!("UPDATE acct SET n = n + 1 WHERE id = {second}"));
            let _ = conn.batch_execute(if outcome.is_ok() {
                "COMMIT"
            } else {
                "ROLLBACK"
            });
            outcome
        })
    };
    let a = worker(1, 2);
    let b = worker(2, 1);
    let outcomes = [a.join().unwrap(), b.join().unwrap()];
    let errors: Vec<&Error> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(
        errors.len(),
        1,
        "exactly one side is the deadlock victim: {outcomes:?}"
    );
    println!("{:?} {language:?}: {:?}", db.backend, errors[0]);
    assert!(errors[0].is_retryable(), "{:?}", errors[0]);
    if db.backend == Backend::Mysql {
        assert_code(errors[0].code(), db.backend, "", &[1213]);
    }
}

/// See `killed_connection_is_a_connection_error`; with the victim speaking `language`.
fn killed_connection(db: &TestDb, language: Language) {
    if db.backend == Backend::Sqlite {
        return;
    }
    let mut victim = db.connect();
    if !speak(&mut victim, language) {
        return;
    }
    let id = session_id(&mut victim).unwrap();
    kill_session(db, id);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let err = victim.execute("SELECT 1").unwrap_err();
    println!("{:?} {language:?}: {err:?}", db.backend);
    assert!(
        matches!(&err, Error::Connection { backend, .. } if *backend == db.backend),
        "{err:?}"
    );
}

/// See `killed_during_a_statement_is_a_connection_error`; with the victim speaking
/// `language`.
fn killed_during_a_statement(db: &TestDb, language: Language) {
    let sleep = match db.backend {
        Backend::Sqlite => return,
        Backend::Postgres => "SELECT pg_sleep(30)",
        Backend::Mysql => "SELECT SLEEP(30)",
    };
    let (ids, id) = std::sync::mpsc::channel();
    let url = db.url.clone();
    let victim = std::thread::spawn(move || {
        let mut victim = Connection::establish(&url).unwrap();
        if !speak(&mut victim, language) {
            ids.send(None).unwrap();
            return None;
        }
        let id = session_id(&mut victim).expect("a server session");
        ids.send(Some(id)).unwrap();
        Some(victim.execute(sleep))
    });
    let Some(id) = id.recv().unwrap() else {
        return;
    };
    // Let the statement start.
    std::thread::sleep(std::time::Duration::from_millis(500));
    kill_session(db, id);
    let outcome = victim
        .join()
        .unwrap()
        .expect("the victim spoke the language");
    println!("{:?} {language:?}: {outcome:?}", db.backend);
    let err = outcome.expect_err("the statement was cut off");
    assert!(
        matches!(&err, Error::Connection { backend, .. } if *backend == db.backend),
        "{err:?}"
    );
}

// With the server's messages in German, every violation is the same variant with the same
// code as in English (the classification goes by the code, not by the text).
backend_test!(
    fn german_messages_classify_the_same(db: &TestDb) {
        let mut conn = db.connect();
        if !speak(&mut conn, Language::German) {
            return;
        }
        create_tables(&mut conn);
        let cases = [
            &DUPLICATE_EMAIL,
            &MISSING_PARENT,
            &REFERENCED_PARENT,
            &NULL_NAME,
            &MISSING_NAME,
        ];
        for case in cases {
            violate(&mut conn, case);
        }
        let info = violate(&mut conn, &NEGATIVE_QTY);
        // PostgreSQL sends the names in fields of their own, untranslated.
        if db.backend == Backend::Postgres {
            assert_eq!(info.constraint.as_deref(), Some("qty_positive"), "{info:?}");
            assert_eq!(info.table.as_deref(), Some("child"), "{info:?}");
        }
    }
);

// A PostgreSQL URL with a setting orm's own socket does not handle connects through
// tokio-postgres as before: it works, and keeps at least the SQLSTATEs diesel-async keeps.
backend_test!(
    fn postgres_urls_beyond_orms_socket_still_connect(db: &TestDb) {
        if db.backend != Backend::Postgres {
            return;
        }
        let sep = if db.url.contains('?') { '&' } else { '?' };
        let url = format!("{}{sep}target_session_attrs=read-write", db.url);
        let mut conn = Connection::establish(&url).unwrap();
        create_tables(&mut conn);
        // On PostgreSQL only: the case's MySQL numbers are not checked.
        violate(&mut conn, &DUPLICATE_EMAIL);
        // (Whether a syntax error has its code here depends on whether another connection
        // of this process saw the same message: not asserted.)
        let err = conn.execute("SELEC 1").unwrap_err();
        assert!(matches!(err, Error::Database { .. }), "{err:?}");
    }
);
