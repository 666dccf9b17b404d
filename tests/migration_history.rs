//! A model's history of seven versions migrated on a table of 100 000 rows, on every
//! backend: a column added with a default, a nullable foreign key added, a unique index
//! added, a column renamed, two types widened, a column dropped. Every row and value
//! survives each step; at the end the migrations are all applied and match the models;
//! reverting back to the first version and applying again ends in the same schema.

#[macro_use]
mod support;

use diesel::sql_types::BigInt;
use orm::prelude::*;
use orm::{Backend, DataLoss, MigrationDir};
#[allow(unused_imports)]
use support::TestDb;

const ROWS: i64 = 100_000;

/// Defines version `$v` of `items` (and, when given, of `tags`).
macro_rules! version {
    ($v:ident { $($field:tt)* }) => {
        mod $v {
            use orm::prelude::*;

            version!(@item $($field)*);

            pub fn models() -> Vec<&'static orm::ModelMeta> {
                vec![Item::meta()]
            }
        }
    };
    ($v:ident { $($field:tt)* } tags { $($tag:tt)* }) => {
        mod $v {
            use orm::prelude::*;

            #[derive(Model, Debug, Clone, PartialEq)]
            #[orm(table = "tags")]
            pub struct Tag {
                $($tag)*
            }

            version!(@item $($field)*);

            pub fn models() -> Vec<&'static orm::ModelMeta> {
                vec![Tag::meta(), Item::meta()]
            }
        }
    };
    (@item $($field:tt)*) => {
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = "items")]
        pub struct Item {
            #[orm(primary_key)]
            pub id: i64,
            $($field)*
        }
    };
}

version!(v1 {
    #[orm(max_length = 30)]
    pub name: String,
    pub qty: i32,
    #[orm(max_length = 50)]
    pub note: Option<String>,
});
version!(v2 {
    #[orm(max_length = 30)]
    pub name: String,
    pub qty: i32,
    #[orm(max_length = 50)]
    pub note: Option<String>,
    #[orm(default = 0)]
    pub score: i32,
});
version!(v3 {
    #[orm(max_length = 30)]
    pub name: String,
    pub qty: i32,
    #[orm(max_length = 50)]
    pub note: Option<String>,
    #[orm(default = 0)]
    pub score: i32,
    #[orm(on_delete = "set_null")]
    pub tag: Option<ForeignKey<Tag>>,
} tags {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 20)]
    pub label: String,
});
version!(v4 {
    #[orm(max_length = 30, unique)]
    pub name: String,
    pub qty: i32,
    #[orm(max_length = 50)]
    pub note: Option<String>,
    #[orm(default = 0)]
    pub score: i32,
    #[orm(on_delete = "set_null")]
    pub tag: Option<ForeignKey<Tag>>,
} tags {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 20)]
    pub label: String,
});
version!(v5 {
    #[orm(max_length = 30, unique)]
    pub name: String,
    #[orm(renamed_from = "qty")]
    pub quantity: i32,
    #[orm(max_length = 50)]
    pub note: Option<String>,
    #[orm(default = 0)]
    pub score: i32,
    #[orm(on_delete = "set_null")]
    pub tag: Option<ForeignKey<Tag>>,
} tags {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 20)]
    pub label: String,
});
version!(v6 {
    #[orm(max_length = 60, unique)]
    pub name: String,
    pub quantity: i64,
    #[orm(max_length = 50)]
    pub note: Option<String>,
    #[orm(default = 0)]
    pub score: i32,
    #[orm(on_delete = "set_null")]
    pub tag: Option<ForeignKey<Tag>>,
} tags {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 20)]
    pub label: String,
});
version!(v7 {
    #[orm(max_length = 60, unique)]
    pub name: String,
    pub quantity: i64,
    #[orm(default = 0)]
    pub score: i32,
    #[orm(on_delete = "set_null")]
    pub tag: Option<ForeignKey<Tag>>,
} tags {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 20)]
    pub label: String,
});

/// One number computed by `sql` (a `SELECT` of one BIGINT-compatible value).
fn scalar(conn: &mut orm::Connection, sql: &str) -> i64 {
    orm::dispatch!(conn, c => diesel::RunQueryDsl::get_result::<i64>(
        diesel::select(diesel::dsl::sql::<BigInt>(sql)),
        c,
    ))
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The 100 000 rows of the first version: `item<i>`, `i % 1000`, a note on every third.
fn fill(conn: &mut orm::Connection) {
    let sql = match conn.backend() {
        Backend::Postgres => {
            "INSERT INTO items (name, qty, note) SELECT 'item' || i, i % 1000, \
             CASE WHEN i % 3 = 0 THEN 'n' || i END FROM generate_series(1, 100000) AS i"
        }
        Backend::Sqlite => {
            "INSERT INTO items (name, qty, note) WITH RECURSIVE n(i) AS \
             (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
             SELECT 'item' || i, i % 1000, CASE WHEN i % 3 = 0 THEN 'n' || i END FROM n"
        }
        Backend::Mysql => {
            "SET SESSION max_recursive_iterations = 200000; \
             INSERT INTO items (name, qty, note) WITH RECURSIVE n(i) AS \
             (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
             SELECT CONCAT('item', i), i % 1000, IF(i % 3 = 0, CONCAT('n', i), NULL) FROM n"
        }
    };
    conn.batch_execute(sql).unwrap();
}

/// What the rows hold, whatever the version: their number, the sum of their ids, of the
/// lengths of their names, of their quantities, and (while there is one) the number of
/// notes and the sum of their lengths.
fn fingerprint(conn: &mut orm::Connection, quantity: &str, note: bool) -> Vec<i64> {
    let length = if conn.backend() == Backend::Mysql {
        "CHAR_LENGTH"
    } else {
        "LENGTH"
    };
    let mut out = vec![
        scalar(conn, "COUNT(*) FROM items"),
        scalar(
            conn,
            "CAST(SUM(id) AS BIGINT) FROM items"
                .replace("BIGINT", int(conn))
                .as_str(),
        ),
        scalar(
            conn,
            &format!("CAST(SUM({length}(name)) AS {}) FROM items", int(conn)),
        ),
        scalar(
            conn,
            &format!("CAST(SUM({quantity}) AS {}) FROM items", int(conn)),
        ),
    ];
    if note {
        out.push(scalar(conn, "COUNT(note) FROM items"));
        out.push(scalar(
            conn,
            &format!("CAST(SUM({length}(note)) AS {}) FROM items", int(conn)),
        ));
    }
    out
}

/// The integer type a CAST names on the connection's backend.
fn int(conn: &orm::Connection) -> &'static str {
    if conn.backend() == Backend::Mysql {
        "SIGNED"
    } else {
        "BIGINT"
    }
}

/// A fresh migration root for one test, removed on drop.
struct Root(std::path::PathBuf);

impl Drop for Root {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

backend_test!(
    fn seven_versions_on_100_000_rows_and_back(db: &TestDb) {
        let root = Root(std::env::temp_dir().join(format!("{}_history", db.name)));
        let dir = MigrationDir::new(&root.0);
        let mut conn = db.connect();
        let versions: [(&str, Vec<&'static orm::ModelMeta>); 7] = [
            ("create_items", v1::models()),
            ("add_score", v2::models()),
            ("add_tag", v3::models()),
            ("unique_name", v4::models()),
            ("rename_qty", v5::models()),
            ("widen_name_and_quantity", v6::models()),
            ("drop_note", v7::models()),
        ];
        let mut made = Vec::new();
        let mut want = Vec::new();
        for (step, (name, models)) in versions.iter().enumerate() {
            let data_loss = if *name == "drop_note" {
                DataLoss::Allow
            } else {
                DataLoss::Refuse
            };
            let m = conn
                .make_migration(&dir, name, models, data_loss)
                .unwrap()
                .unwrap();
            assert_eq!(
                conn.run_pending_migrations(&dir).unwrap(),
                std::slice::from_ref(&m.version),
                "{name}"
            );
            assert_eq!(conn.plan_migration(models).unwrap(), [], "{name}");
            made.push(m);
            if step == 0 {
                fill(&mut conn);
                want = fingerprint(&mut conn, "qty", true);
                assert_eq!(want[0], ROWS);
                continue;
            }
            let quantity = if step < 4 { "qty" } else { "quantity" };
            let got = fingerprint(&mut conn, quantity, step < 6);
            assert_eq!(got, want[..got.len()], "{name}: the rows changed");
        }
        // Spot checks through the last version's model.
        let first = v7::Item::objects()
            .order_by(v7::items::id.asc())
            .first(&mut conn)
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                first.name.as_str(),
                first.quantity,
                first.score,
                first.tag.is_none()
            ),
            ("item1", 1, 0, true)
        );
        let tag = v7::Tag::objects()
            .create(&mut conn, v7::NewTag::new("t"))
            .unwrap();
        let long = "x".repeat(60);
        v7::Item::objects()
            .filter(v7::items::id.eq(first.id))
            .update(
                &mut conn,
                v7::ItemChanges {
                    name: Some(long.clone()),
                    tag: Some(Some(tag.id)),
                    ..Default::default()
                },
            )
            .unwrap();

        let status = conn.migration_status(&dir).unwrap();
        assert!(
            status.iter().all(|s| s.applied) && status.len() == 7,
            "{status:?}"
        );
        let forward = conn.introspect().unwrap();

        // Back to the first version (the long name and the tag go first: they do not fit
        // it), then forward again: the same schema.
        v7::Item::objects()
            .filter(v7::items::id.eq(first.id))
            .update(
                &mut conn,
                v7::ItemChanges {
                    name: Some("item1".into()),
                    tag: Some(None),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(conn.revert_migrations(&dir, 6).unwrap().len(), 6);
        assert_eq!(conn.plan_migration(&v1::models()).unwrap(), []);
        let back = fingerprint(&mut conn, "qty", false);
        assert_eq!(back, want[..4], "the rows changed on the way back");
        assert_eq!(conn.run_pending_migrations(&dir).unwrap().len(), 6);
        assert_eq!(conn.plan_migration(&v7::models()).unwrap(), []);
        assert_eq!(conn.introspect().unwrap(), forward);
        assert_eq!(fingerprint(&mut conn, "quantity", false), want[..4]);
    }
);
