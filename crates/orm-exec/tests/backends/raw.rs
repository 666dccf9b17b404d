//! `Connection::raw`: `?` placeholders on every backend, values always bound (a hostile
//! value is stored and read back literally), typed rows, and placeholder count errors.

use diesel::sql_types::{BigInt, Nullable, Text};
#[cfg(feature = "postgres")]
use orm_exec::Backend;
use orm_exec::{Connection, Error};

use crate::backend_test;

#[derive(diesel::QueryableByName, Debug, Clone, PartialEq)]
struct Note {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    text: String,
    #[diesel(sql_type = Nullable<Text>)]
    tag: Option<String>,
}

/// What an attacker would like to see spliced into SQL.
const HOSTILE: &str = "Robert'); DROP TABLE notes; -- \"quoted\" ? ?? $1 \\' \\ é";

fn create_notes(conn: &mut Connection) {
    conn.batch_execute(
        "CREATE TABLE notes (id BIGINT PRIMARY KEY, text VARCHAR(200) NOT NULL, tag VARCHAR(20))",
    )
    .unwrap();
}

fn insert(conn: &mut Connection, id: i64, text: &str, tag: Option<&str>) -> usize {
    conn.raw("INSERT INTO notes (id, text, tag) VALUES (?, ?, ?)")
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(text)
        .bind::<Nullable<Text>, _>(tag)
        .execute()
        .unwrap()
}

fn note(id: i64, text: &str, tag: Option<&str>) -> Note {
    Note {
        id,
        text: text.to_owned(),
        tag: tag.map(str::to_owned),
    }
}

backend_test!(
    fn binds_values_and_loads_typed_rows(db: &TestDb) {
        let mut conn = db.connect();
        create_notes(&mut conn);
        assert_eq!(insert(&mut conn, 1, "first", Some("a")), 1);
        assert_eq!(insert(&mut conn, 2, HOSTILE, None), 1);
        assert_eq!(insert(&mut conn, 3, "third", Some("b")), 1);

        let later: Vec<Note> = conn
            .raw("SELECT id, text, tag FROM notes WHERE id > ? ORDER BY id")
            .bind::<BigInt, _>(1)
            .load()
            .unwrap();
        assert_eq!(later, [note(2, HOSTILE, None), note(3, "third", Some("b"))]);

        // The hostile value round-trips literally, and finds itself by equality.
        let found: Note = conn
            .raw("SELECT id, text, tag FROM notes WHERE text = ?")
            .bind::<Text, _>(HOSTILE.to_owned())
            .get_result()
            .unwrap();
        assert_eq!(found, note(2, HOSTILE, None));

        // A `?` in a string literal is text; owned and borrowed values both bind.
        let tag = String::from("a");
        let rows: Vec<Note> = conn
            .raw("SELECT id, text, tag FROM notes WHERE text <> '?' AND tag = ? ORDER BY id")
            .bind::<Text, _>(&tag)
            .load()
            .unwrap();
        assert_eq!(rows, [note(1, "first", Some("a"))]);

        let updated = conn
            .raw("UPDATE notes SET tag = ? WHERE id >= ?")
            .bind::<Nullable<Text>, _>(Some("z"))
            .bind::<BigInt, _>(2)
            .execute()
            .unwrap();
        assert_eq!(updated, 2);

        let none = conn
            .raw("SELECT id, text, tag FROM notes WHERE id = ?")
            .bind::<BigInt, _>(99)
            .get_result::<Note>()
            .unwrap_err();
        assert!(matches!(none, Error::NoMatch { .. }), "{none:?}");
    }
);

backend_test!(
    fn placeholder_count_must_match(db: &TestDb) {
        let mut conn = db.connect();
        create_notes(&mut conn);
        // Each statement, with one value bound, and what its error says.
        let cases = [
            // Too few values.
            (
                "INSERT INTO notes (id, text) VALUES (?, ?)",
                "2 placeholder(s) but 1 value(s)",
            ),
            // Too many.
            (
                "INSERT INTO notes (id, text) VALUES (1, 'x')",
                "0 placeholder(s)",
            ),
        ];
        for (sql, expected) in cases {
            let err = conn.raw(sql).bind::<BigInt, _>(1).execute().unwrap_err();
            assert!(err.to_string().contains(expected), "{sql}: {err}");
        }
        let rows: Vec<Note> = conn.raw("SELECT id, text, tag FROM notes").load().unwrap();
        assert!(rows.is_empty(), "nothing ran: {rows:?}");
    }
);

backend_test!(
    fn database_errors_are_classified(db: &TestDb) {
        let mut conn = db.connect();
        create_notes(&mut conn);
        insert(&mut conn, 1, "x", None);
        let err = conn
            .raw("INSERT INTO notes (id, text) VALUES (?, ?)")
            .bind::<BigInt, _>(1)
            .bind::<Text, _>("y")
            .execute()
            .unwrap_err();
        assert!(err.is_unique_violation(), "{err:?}");
    }
);

/// PostgreSQL's JSON `?` operator is written `??`.
#[cfg(feature = "postgres")]
#[test]
fn postgres_doubled_question_mark_is_an_operator() {
    #[derive(diesel::QueryableByName)]
    struct Has {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        has: bool,
    }
    let Some(db) = crate::support::TestDb::new(Backend::Postgres) else {
        return;
    };
    let mut conn = db.connect();
    let row: Has = conn
        .raw("SELECT CAST(? AS jsonb) ?? ? AS has")
        .bind::<Text, _>(r#"{"a": 1}"#)
        .bind::<Text, _>("a")
        .get_result()
        .unwrap();
    assert!(row.has);
}

/// A raw query's `Debug` shows its SQL and how many values are bound, never the values.
#[cfg(feature = "sqlite")]
#[test]
fn debug_shows_the_sql_not_the_values() {
    let mut conn = Connection::establish("sqlite::memory:").unwrap();
    let query = conn.raw("SELECT ? AS x").bind::<Text, _>("secret");
    let shown = format!("{query:?}");
    assert!(
        shown.contains("SELECT ? AS x") && shown.contains("binds: 1"),
        "{shown}"
    );
    assert!(!shown.contains("secret"), "{shown}");
}
