//! `create_all` / `drop_all`: tables built from model metadata, referenced tables first,
//! idempotent, and dropped in reverse order.

use orm_exec::{Connection, Error, ManageSchema};
use orm_schema::{FieldKind, FieldMeta, ForeignKeyMeta, ModelMeta, OnDelete};

use crate::backend_test;
use crate::support;

/// An auto-incremented BIGINT primary key `id`.
const ID: FieldMeta = FieldMeta {
    primary_key: true,
    auto_increment: true,
    ..FieldMeta::new("id", FieldKind::BigInteger)
};

const NO_VALIDATORS: orm_schema::Validators = FieldMeta::new("x", FieldKind::Integer).validators;

static TEAM_FIELDS: [FieldMeta; 2] = [
    ID,
    FieldMeta {
        unique: true,
        validators: orm_schema::Validators {
            max_length: Some(50),
            ..NO_VALIDATORS
        },
        ..FieldMeta::new("name", FieldKind::String)
    },
];

static TEAM: ModelMeta = ModelMeta::new("Team", "ddl_teams", &TEAM_FIELDS);

static PLAYER_FIELDS: [FieldMeta; 2] = [
    ID,
    FieldMeta {
        column: "team_id",
        foreign_key: Some(ForeignKeyMeta {
            target: || &TEAM,
            on_delete: OnDelete::Cascade,
            one_to_one: false,
        }),
        ..FieldMeta::new("team", FieldKind::BigInteger)
    },
];

static PLAYER: ModelMeta = ModelMeta::new("Player", "ddl_players", &PLAYER_FIELDS);

/// Whether `table` exists, asked in a way every backend understands.
fn table_exists(conn: &mut Connection, table: &str) -> bool {
    let sql = format!("SELECT 1 FROM {} WHERE 1 = 0", conn.backend().quote(table));
    conn.execute(&sql).is_ok()
}

backend_test!(
    fn create_all_orders_and_is_idempotent(db: &TestDb) {
        let mut conn = db.connect();
        // Listed child first: create_all still creates the team table first.
        conn.create_all(&[&PLAYER, &TEAM]).unwrap();
        conn.create_all(&[&PLAYER, &TEAM]).unwrap();
        conn.execute("INSERT INTO ddl_teams (name) VALUES ('a')")
            .unwrap();
        conn.execute("INSERT INTO ddl_players (team_id) VALUES (1)")
            .unwrap();
        let err = conn
            .execute("INSERT INTO ddl_players (team_id) VALUES (99)")
            .unwrap_err();
        assert!(err.is_foreign_key_violation(), "{err:?}");
        let err = conn
            .execute("INSERT INTO ddl_teams (name) VALUES ('a')")
            .unwrap_err();
        assert!(err.is_unique_violation(), "{err:?}");
        // ON DELETE CASCADE is enforced on every backend (SQLite included).
        conn.execute("DELETE FROM ddl_teams").unwrap();
        assert_eq!(support::count_rows(&mut conn, "ddl_players"), 0);

        conn.drop_all(&[&TEAM, &PLAYER]).unwrap();
        assert!(!table_exists(&mut conn, "ddl_players"));
        assert!(!table_exists(&mut conn, "ddl_teams"));
        conn.drop_all(&[&TEAM, &PLAYER]).unwrap();
    }
);

backend_test!(
    fn create_all_refuses_a_missing_reference(db: &TestDb) {
        let mut conn = db.connect();
        let err = conn.create_all(&[&PLAYER]).unwrap_err();
        assert!(matches!(err, Error::Schema(_)), "{err:?}");
        assert!(
            !table_exists(&mut conn, "ddl_players"),
            "nothing was created"
        );
    }
);
