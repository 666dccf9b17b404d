//! A SQLite file's journal mode and sync setting: WAL by default, or what the URL's
//! `journal_mode` and `synchronous` say, on blocking and pooled connections alike.
#![cfg(feature = "sqlite")]

use diesel::sql_types::{BigInt, Text};
use orm::{Connection, Database, Error, ManageSchema};

#[derive(diesel::QueryableByName, Debug)]
struct Mode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[derive(diesel::QueryableByName, Debug)]
struct Sync {
    #[diesel(sql_type = BigInt)]
    synchronous: i64,
}

fn file_url(name: &str, query: &str) -> String {
    let path = std::env::temp_dir().join(format!(
        "orm_pragmas_{name}_{}_{}.db",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    format!("sqlite://{}{query}", path.display())
}

fn settings(conn: &mut Connection) -> (String, i64) {
    let mode: Mode = conn.raw("PRAGMA journal_mode").get_result().unwrap();
    let sync: Sync = conn.raw("PRAGMA synchronous").get_result().unwrap();
    (mode.journal_mode, sync.synchronous)
}

#[test]
fn a_file_is_wal_unless_the_url_says_otherwise() {
    let mut conn = Connection::establish(&file_url("default", "")).unwrap();
    assert_eq!(settings(&mut conn).0, "wal");

    let url = file_url("delete", "?journal_mode=delete&synchronous=EXTRA");
    let mut conn = Connection::establish(&url).unwrap();
    // 3 is EXTRA.
    assert_eq!(settings(&mut conn), ("delete".to_string(), 3));

    // The async pool opens its connections the same way. WAL is a property of the file,
    // so a read-only connection (which sets no pragma) sees what the pool's connection set.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for (query, expected) in [("", "wal"), ("?journal_mode=delete", "delete")] {
        let url = file_url("pool", query);
        runtime.block_on(async {
            let db = Database::connect(&url).await.unwrap();
            db.create_all(&orm_suite::models::all_models())
                .await
                .unwrap();
        });
        let plain = url.split('?').next().unwrap();
        let mut reader = Connection::establish(&format!("{plain}?mode=ro")).unwrap();
        assert_eq!(settings(&mut reader).0, expected, "{url}");
    }
}

#[test]
fn unknown_values_are_named_and_nothing_is_opened() {
    for (query, parameter) in [
        ("?journal_mode=wal2", "journal_mode"),
        ("?journal_mode=wal;DROP", "journal_mode"),
        ("?synchronous=always", "synchronous"),
    ] {
        let err = Connection::establish(&file_url("bad", query)).unwrap_err();
        match err {
            Error::InvalidParameter {
                parameter: named, ..
            } => assert_eq!(named, parameter, "{query}"),
            other => panic!("{query}: expected InvalidParameter, got {other:?}"),
        }
    }
}
