//! The DDL of the example models, run on each backend and read back from the server's
//! catalog: column types, nullability, uniqueness, indexes and foreign-key actions are
//! what the models declare. Also: create_all twice, drop_all, and a row of every field
//! kind written and read back through the generated diesel table.

#[macro_use]
mod support;

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, NaiveTime};
use diesel::sql_types::Text;
use diesel::{QueryDsl, QueryableByName, RunQueryDsl, SelectableHelper};
use orm::prelude::*;
use orm::DateTimeUtc;
use orm::{Backend, Decimal, IpAddress, Json, Uuid};
use orm_suite::models::*;
#[allow(unused_imports)]
use support::TestDb;

/// One catalog row: four text columns whose meaning depends on the query.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row4 {
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Text)]
    b: String,
    #[diesel(sql_type = Text)]
    c: String,
    #[diesel(sql_type = Text)]
    d: String,
}

fn query(conn: &mut orm::Connection, sql: &str) -> BTreeSet<Row4> {
    orm::dispatch!(conn, c => diesel::sql_query(sql).load::<Row4>(c))
        .unwrap_or_else(|e| panic!("catalog query failed: {e}\n{sql}"))
        .into_iter()
        .collect()
}

/// (table, column, type as the server reports it, "1" when NOT NULL).
fn columns(conn: &mut orm::Connection) -> BTreeSet<Row4> {
    let sql = match conn.backend() {
        Backend::Sqlite => {
            "SELECT m.name AS a, p.name AS b, p.type AS c, \
             CASE WHEN p.\"notnull\" OR p.pk THEN '1' ELSE '0' END AS d \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT c.relname::text AS a, att.attname::text AS b, \
             format_type(att.atttypid, att.atttypmod) AS c, \
             CASE WHEN att.attnotnull THEN '1' ELSE '0' END AS d \
             FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid \
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' \
             AND att.attnum > 0 AND NOT att.attisdropped"
        }
        Backend::Mysql => {
            "SELECT TABLE_NAME AS a, COLUMN_NAME AS b, \
             CAST(COLUMN_TYPE AS CHAR) AS c, IF(IS_NULLABLE = 'NO', '1', '0') AS d \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
        }
    };
    query(conn, sql)
}

/// (table, column, "unique" | "index", "") for every column of every non-primary index.
fn indexes(conn: &mut orm::Connection) -> BTreeSet<Row4> {
    let sql = match conn.backend() {
        Backend::Sqlite => {
            "SELECT m.name AS a, ii.name AS b, \
             CASE WHEN il.\"unique\" THEN 'unique' ELSE 'index' END AS c, '' AS d \
             FROM sqlite_master m JOIN pragma_index_list(m.name) il \
             JOIN pragma_index_info(il.name) ii \
             WHERE m.type = 'table' AND il.origin <> 'pk'"
        }
        Backend::Postgres => {
            "SELECT t.relname::text AS a, att.attname::text AS b, \
             CASE WHEN i.indisunique THEN 'unique' ELSE 'index' END AS c, '' AS d \
             FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
             JOIN pg_attribute att ON att.attrelid = t.oid AND att.attnum = ANY(i.indkey) \
             WHERE t.relnamespace = current_schema()::regnamespace AND NOT i.indisprimary"
        }
        Backend::Mysql => {
            "SELECT TABLE_NAME AS a, COLUMN_NAME AS b, \
             IF(NON_UNIQUE = 0, 'unique', 'index') AS c, '' AS d \
             FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY'"
        }
    };
    query(conn, sql)
}

/// (table, column, referenced table, ON DELETE action in upper case).
fn foreign_keys(conn: &mut orm::Connection) -> BTreeSet<Row4> {
    let sql = match conn.backend() {
        Backend::Sqlite => "SELECT m.name AS a, f.\"from\" AS b, f.\"table\" AS c, \
             f.on_delete AS d \
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table'",
        Backend::Postgres => "SELECT cl.relname::text AS a, att.attname::text AS b, \
             rf.relname::text AS c, \
             CASE con.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'r' THEN 'RESTRICT' \
             WHEN 'n' THEN 'SET NULL' ELSE con.confdeltype::text END AS d \
             FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid \
             JOIN pg_class rf ON rf.oid = con.confrelid \
             JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1] \
             WHERE con.contype = 'f' AND cl.relnamespace = current_schema()::regnamespace",
        Backend::Mysql => "SELECT k.TABLE_NAME AS a, k.COLUMN_NAME AS b, \
             k.REFERENCED_TABLE_NAME AS c, r.DELETE_RULE AS d \
             FROM information_schema.KEY_COLUMN_USAGE k \
             JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
             ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
             WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL",
    };
    query(conn, sql)
}

fn row(a: &str, b: &str, c: &str, d: &str) -> Row4 {
    Row4 {
        a: a.into(),
        b: b.into(),
        c: c.into(),
        d: d.into(),
    }
}

/// The `kitchen` columns as each server reports them: (column, [sqlite, postgres, mysql],
/// not null). MariaDB reports integer display widths; MySQL 8 does not, so those are
/// compared without the width.
const KITCHEN: &[(&str, [&str; 3], bool)] = &[
    ("id", ["CHAR(36)", "uuid", "char(36)"], true),
    ("quantity", ["INTEGER", "integer", "int"], true),
    ("big", ["BIGINT", "bigint", "bigint"], true),
    ("rating", ["REAL", "double precision", "double"], true),
    ("active", ["BOOLEAN", "boolean", "tinyint(1)"], true),
    (
        "slug",
        ["VARCHAR(40)", "character varying(40)", "varchar(40)"],
        true,
    ),
    ("body", ["TEXT", "text", "longtext"], true),
    (
        "size",
        ["VARCHAR(10)", "character varying(10)", "varchar(10)"],
        true,
    ),
    (
        "price",
        ["NUMERIC(8, 2)", "numeric(8,2)", "decimal(8,2)"],
        true,
    ),
    ("due", ["DATE", "date", "date"], false),
    (
        "created_at",
        ["TIMESTAMP", "timestamp without time zone", "datetime(6)"],
        true,
    ),
    (
        "updated_at",
        ["TIMESTAMP", "timestamp without time zone", "datetime(6)"],
        true,
    ),
    ("opens", ["TIME", "time without time zone", "time(6)"], true),
    ("extra", ["TEXT", "jsonb", "longtext"], false),
    ("token", ["CHAR(36)", "uuid", "char(36)"], true),
    (
        "status",
        ["VARCHAR(9)", "character varying(9)", "varchar(9)"],
        true,
    ),
    (
        "email",
        ["VARCHAR(254)", "character varying(254)", "varchar(254)"],
        true,
    ),
    (
        "homepage",
        ["VARCHAR(500)", "character varying(500)", "varchar(500)"],
        false,
    ),
    ("ip", ["VARCHAR(45)", "inet", "varchar(45)"], true),
    ("shelf", ["SMALLINT", "smallint", "smallint"], true),
    ("spice", ["REAL", "real", "float"], true),
    ("thumbnail", ["BLOB", "bytea", "longblob"], false),
    (
        "delivered_at",
        ["TEXT", "timestamp with time zone", "datetime(6)"],
        false,
    ),
    ("note", ["BIGINT", "bigint", "bigint"], true),
];

fn strip_width(ty: &str) -> String {
    // MariaDB says `int(11)` / `bigint(20)` / `smallint(6)`; keep `tinyint(1)` (it marks a boolean).
    for int in ["int", "bigint", "smallint"] {
        if let Some(rest) = ty.strip_prefix(int) {
            if rest.starts_with('(') && rest.ends_with(')') {
                return int.to_string();
            }
        }
    }
    ty.to_string()
}

backend_test!(
    fn catalog_matches_the_models(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&all_models()).unwrap();
        let backend = conn.backend();
        let col = match backend {
            Backend::Sqlite => 0,
            Backend::Postgres => 1,
            Backend::Mysql => 2,
        };

        let cols = columns(&mut conn);
        let kitchen: BTreeSet<Row4> = cols
            .iter()
            .filter(|r| r.a == "kitchen")
            .map(|r| row(&r.a, &r.b, &strip_width(&r.c), &r.d))
            .collect();
        let expected: BTreeSet<Row4> = KITCHEN
            .iter()
            .map(|(name, types, not_null)| {
                row(
                    "kitchen",
                    name,
                    types[col],
                    if *not_null { "1" } else { "0" },
                )
            })
            .collect();
        assert_eq!(kitchen, expected, "kitchen columns on {backend}");

        let tables: BTreeSet<&str> = cols.iter().map(|r| r.a.as_str()).collect();
        let want: BTreeSet<&str> = all_models().iter().map(|m| m.table).collect();
        assert_eq!(tables, want);
        assert!(cols.contains(&row(
            "playlists",
            "featured",
            cols_type(col, "featured"),
            "0"
        )));

        let idx = indexes(&mut conn);
        for (table, column, kind) in [
            ("kitchen", "quantity", "index"),
            ("kitchen", "slug", "unique"),
            ("kitchen", "token", "unique"),
            ("kitchen", "email", "unique"),
            ("kitchen", "note", "index"),
            ("albums", "name", "index"),
            ("tracks", "album", "index"),
            ("playlists", "featured", "index"),
            ("album_profiles", "album", "unique"),
            ("playlist_entries", "playlist", "index"),
            ("playlist_entries", "track", "index"),
            ("playlist_entries", "playlist", "unique"),
            ("playlist_entries", "track", "unique"),
            ("playlist_entries", "position", "index"),
        ] {
            assert!(
                idx.contains(&row(table, column, kind, "")),
                "{backend}: missing {kind} on {table}.{column}; have {idx:?}"
            );
        }
        // Nothing else is indexed (besides primary keys).
        assert_eq!(idx.len(), 14, "{backend}: unexpected indexes {idx:?}");

        let fks = foreign_keys(&mut conn);
        let expected_fks: BTreeSet<Row4> = [
            row("kitchen", "note", "notes", "RESTRICT"),
            row("tracks", "album", "albums", "CASCADE"),
            row("playlists", "featured", "albums", "SET NULL"),
            row("album_profiles", "album", "albums", "CASCADE"),
            row("playlist_entries", "playlist", "playlists", "CASCADE"),
            row("playlist_entries", "track", "tracks", "CASCADE"),
        ]
        .into_iter()
        .collect();
        assert_eq!(fks, expected_fks, "foreign keys on {backend}");
    }
);

/// The type of the `playlists.featured` column (an `i32` key) on each backend.
fn cols_type(col: usize, _column: &str) -> &'static str {
    ["INTEGER", "integer", "int(11)"][col]
}

backend_test!(
    fn create_all_twice_then_drop_all_leaves_nothing(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&all_models()).unwrap();
        conn.create_all(&all_models()).unwrap();
        assert_eq!(
            columns(&mut conn)
                .iter()
                .map(|r| r.a.clone())
                .collect::<BTreeSet<_>>()
                .len(),
            7
        );
        conn.drop_all(&all_models()).unwrap();
        assert!(columns(&mut conn).is_empty(), "tables left after drop_all");
    }
);

backend_test!(
    fn every_field_kind_round_trips(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&all_models()).unwrap();
        let id = Uuid::new_v4();
        let created = chrono::NaiveDateTime::parse_from_str(
            "2026-11-25 10:11:12.345678",
            "%Y-%m-%d %H:%M:%S%.f",
        )
        .unwrap();
        let expected = Kitchen {
            id,
            quantity: 12,
            big: 1 << 40,
            rating: 4.25,
            active: true,
            slug: "it's-50%_off\\".into(),
            body: "multi\nline ✓".into(),
            size: "medium".into(),
            price: "123456.78".parse::<Decimal>().unwrap(),
            due: Some(NaiveDate::from_ymd_opt(2026, 12, 24).unwrap()),
            created_at: created,
            updated_at: created,
            opens: NaiveTime::from_hms_micro_opt(8, 30, 0, 250).unwrap(),
            extra: Some(Json(serde_json::json!({"a": [1, 2.5, "x"], "b": null}))),
            token: Uuid::new_v4(),
            status: Status::Published,
            email: "cook@example.com".into(),
            homepage: None,
            ip: IpAddress("2001:db8::1".parse().unwrap()),
            shelf: -32768,
            spice: 0.1,
            thumbnail: Some(vec![0, 1, 127, 128, 255, b'\'', b'\\']),
            delivered_at: Some(DateTimeUtc(
                DateTime::parse_from_rfc3339("2026-11-25T23:59:58.000001-05:00")
                    .unwrap()
                    .with_timezone(&chrono::Utc),
            )),
            note: ForeignKey::new(0),
        };
        let loaded: Kitchen = orm::dispatch!(&mut conn, c => {
            diesel::insert_into(notes::table)
                .values((notes::id.eq(1), notes::text.eq("n")))
                .execute(c)
                .unwrap();
            let e = &expected;
            diesel::insert_into(kitchen::table)
                .values((
                    kitchen::id.eq(e.id),
                    kitchen::quantity.eq(e.quantity),
                    kitchen::big.eq(e.big),
                    kitchen::rating.eq(e.rating),
                    kitchen::active.eq(e.active),
                    kitchen::slug.eq(&e.slug),
                    kitchen::body.eq(&e.body),
                    kitchen::size.eq(&e.size),
                    kitchen::price.eq(&e.price),
                    kitchen::due.eq(e.due),
                    kitchen::created_at.eq(e.created_at),
                    kitchen::updated_at.eq(e.updated_at),
                    kitchen::opens.eq(e.opens),
                    kitchen::extra.eq(&e.extra),
                    kitchen::token.eq(e.token),
                    kitchen::status.eq(e.status),
                    kitchen::email.eq(&e.email),
                    kitchen::homepage.eq(&e.homepage),
                    kitchen::ip.eq(e.ip),
                    kitchen::shelf.eq(e.shelf),
                    kitchen::spice.eq(e.spice),
                    kitchen::thumbnail.eq(&e.thumbnail),
                    kitchen::delivered_at.eq(e.delivered_at),
                    kitchen::note.eq(1_i64),
                ))
                .execute(c)
                .unwrap();
            kitchen::table
                .filter(kitchen::id.eq(id))
                .select(Kitchen::as_select())
                .get_result(c)
                .unwrap()
        });
        let expected = Kitchen {
            note: ForeignKey::new(1),
            ..expected
        };
        assert_eq!(loaded, expected);
        assert_eq!(loaded.note.pk(), &1);
        assert!(!loaded.note.is_loaded());
    }
);
