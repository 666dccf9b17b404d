//! Migrations on live databases: introspecting what `create_all` made diffs empty
//! against the models; a table moved from a first version of its models to a second one
//! (renamed, a column renamed, one widened, one made nullable, columns added with
//! defaults, an index and a foreign key added) keeps its rows, introspects as the second
//! version, and the reverse operations bring it back to the first. Migrations made and
//! checked from the files alone, every backend's replayed into a scratch database: one
//! version for all backends, nothing after nothing changed, the directories in step, no
//! scratch database left behind.

#[macro_use]
mod support;

use orm::migrate::MigrateError;
use orm::migrate::{self, Operation};
use orm::prelude::*;
use orm::{Backend, DataLoss, Database, Drift, MigrationDir, Scratch};
use orm_suite::models::*;
use support::runtime;
#[allow(unused_imports)]
use support::TestDb;

/// The second version: `pets` is now `animals`; `nick` is `nickname`; `name` is wider and
/// indexed; `age` may be NULL; `weight` and `active` are new with defaults; an optional
/// owner.
mod v2 {
    use orm::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "owners")]
    pub struct Owner {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(max_length = 20)]
        pub name: String,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "animals", renamed_from = "pets")]
    pub struct Pet {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(max_length = 40, index)]
        pub name: String,
        pub age: Option<i32>,
        #[orm(max_length = 10, renamed_from = "nick")]
        pub nickname: Option<String>,
        #[orm(default = 3)]
        pub weight: i32,
        #[orm(default = true)]
        pub active: bool,
        #[orm(on_delete = "set_null")]
        pub owner: Option<ForeignKey<Owner>>,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "visits")]
    pub struct Visit {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(on_delete = "cascade")]
        pub pet: ForeignKey<Pet>,
    }

    pub fn models() -> Vec<&'static orm::ModelMeta> {
        vec![Owner::meta(), Pet::meta(), Visit::meta()]
    }
}

/// `pets` (id, name, age and the fields given) and the `visits` that reference them.
macro_rules! pets_and_visits {
    ($module:ident, $($field:tt)*) => {
        mod $module {
            use orm::prelude::*;

            #[derive(Model, Debug, Clone, PartialEq)]
            #[orm(table = "pets")]
            pub struct Pet {
                #[orm(primary_key)]
                pub id: i64,
                #[orm(max_length = 20)]
                pub name: String,
                pub age: i32,
                $($field)*
            }

            #[derive(Model, Debug, Clone, PartialEq)]
            #[orm(table = "visits")]
            pub struct Visit {
                #[orm(primary_key)]
                pub id: i64,
                #[orm(on_delete = "cascade")]
                pub pet: ForeignKey<Pet>,
            }

            pub fn models() -> Vec<&'static orm::ModelMeta> {
                vec![Pet::meta(), Visit::meta()]
            }
        }
    };
}

// The first version.
pets_and_visits!(v1,
    #[orm(max_length = 10)]
    pub nick: Option<String>,
);
// The first version with a column that existing rows have no value for: `nick` made
// NOT NULL without a default, or `born` added NOT NULL without a default.
pets_and_visits!(strict_nick,
    #[orm(max_length = 10)]
    pub nick: String,
);
pets_and_visits!(with_born,
    #[orm(max_length = 10)]
    pub nick: Option<String>,
    pub born: i32,
);

backend_test!(
    fn create_all_then_introspect_diffs_empty(db: &TestDb) {
        let models = all_models();
        let mut conn = db.connect();
        // Before: every table is to be created.
        let before = conn.plan_migration(&models).unwrap();
        // On the servers the six foreign keys come after every table.
        let keys = if db.backend == Backend::Sqlite { 0 } else { 6 };
        assert_eq!(before.len(), models.len() + keys, "{before:#?}");
        assert!(before.iter().all(|op| matches!(
            op,
            Operation::CreateTable(_) | Operation::AddForeignKey { .. }
        )));
        conn.create_all(&models).unwrap();
        assert_eq!(conn.plan_migration(&models).unwrap(), []);

        // What was read is what the models say, in the DDL's words.
        let live = conn.introspect().unwrap();
        let want = migrate::describe(&models, db.backend).unwrap();
        let kitchen = live.table("kitchen").unwrap();
        assert_eq!(kitchen.primary_key, ["id"]);
        let status = kitchen.column("status").unwrap();
        assert_eq!(status.sql_type, "VARCHAR(9)");
        assert_eq!(status.default.as_deref(), Some("'Draft'"));
        let slug = kitchen
            .uniques
            .iter()
            .find(|u| u.columns == ["slug"])
            .unwrap();
        assert_eq!(slug.name, "uq_kitchen_slug");
        assert_eq!(kitchen.foreign_keys.len(), 1);
        assert_eq!(kitchen.foreign_keys[0].on_delete, "RESTRICT");
        assert_eq!(
            kitchen.checks.len(),
            want.table("kitchen").unwrap().checks.len()
        );
        for table in &want.tables {
            let got = live.table(&table.name).unwrap();
            for column in &table.columns {
                let found = got.column(&column.name).unwrap();
                assert_eq!(
                    found.sql_type, column.sql_type,
                    "{}.{}",
                    table.name, column.name
                );
                assert_eq!(
                    found.nullable, column.nullable,
                    "{}.{}",
                    table.name, column.name
                );
            }
        }

        // The same through the async pool.
        let rt = runtime(2);
        rt.block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            assert_eq!(pool.plan_migration(&models).await.unwrap(), []);
            let schema = pool.introspect().await.unwrap();
            assert_eq!(schema.tables.len(), models.len());
            let mut conn = pool.get().await.unwrap();
            assert_eq!(conn.introspect().await.unwrap(), schema);
        });
    }
);

/// (name, age, nick) of the pets the first version holds.
const PETS: [(&str, i32, Option<&str>); 3] = [
    ("rex", 3, Some("r")),
    ("tom", 5, None),
    ("kit", 1, Some("k")),
];

backend_test!(
    fn a_schema_moves_to_its_next_version_and_back_with_its_rows(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&v1::models()).unwrap();
        for (name, age, nick) in PETS {
            let form = v1::NewPet {
                nick: nick.map(str::to_string),
                ..v1::NewPet::new(name, age)
            };
            let pet = v1::Pet::objects().create(&mut conn, form).unwrap();
            v1::Visit::objects()
                .create(&mut conn, v1::NewVisit::new(pet.id))
                .unwrap();
        }

        let ops = conn.plan_migration(&v2::models()).unwrap();
        let names: Vec<String> = ops.iter().map(|o| o.to_string()).collect();
        assert_eq!(names[0], "rename table pets to animals", "{names:#?}");
        assert!(
            names.contains(&"create table owners".to_string()),
            "{names:#?}"
        );
        if db.backend == Backend::Sqlite {
            assert!(
                names.contains(&"rebuild table animals".to_string()),
                "{names:#?}"
            );
        } else {
            for want in [
                "rename column animals.nick to nickname",
                "add column animals.weight",
                "alter column animals.name: type VARCHAR(20) -> VARCHAR(40)",
                "alter column animals.age: nullable",
                "add index ix_animals_name on animals",
                "add foreign key animals.owner",
            ] {
                assert!(
                    names.contains(&want.to_string()),
                    "{want} not in {names:#?}"
                );
            }
        }
        assert!(!ops.iter().any(Operation::drops_data), "{names:#?}");
        if db.backend == Backend::Sqlite {
            // SQLite ignores `foreign_keys = OFF` inside a transaction: refused there.
            let err = conn.transaction(|c| c.apply_operations(&ops)).unwrap_err();
            assert!(matches!(err, orm::Error::Usage { .. }), "{err}");
            assert_eq!(conn.plan_migration(&v2::models()).unwrap(), ops);
        }
        conn.apply_operations(&ops).unwrap();

        // Every row is there, in the second version's shape.
        assert_eq!(conn.plan_migration(&v2::models()).unwrap(), []);
        let pets = v2::Pet::objects()
            .order_by(v2::animals::id.asc())
            .all(&mut conn)
            .unwrap();
        let got: Vec<_> = pets
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.age,
                    p.nickname.as_deref(),
                    p.weight,
                    p.active,
                    p.owner.is_none(),
                )
            })
            .collect();
        let want: Vec<_> = PETS
            .iter()
            .map(|(name, age, nick)| (*name, Some(*age), *nick, 3, true, true))
            .collect();
        assert_eq!(got, want);
        assert_eq!(v2::Visit::objects().count(&mut conn).unwrap(), 3);
        // The new shape works: a long name, an owner, a NULL age; the kept foreign key
        // still cascades.
        let owner = v2::Owner::objects()
            .create(&mut conn, v2::NewOwner::new("ann"))
            .unwrap();
        let long = v2::NewPet {
            age: None,
            owner: Some(owner.id),
            ..v2::NewPet::new("a name of thirty characters!!")
        };
        v2::Pet::objects().create(&mut conn, long).unwrap();
        v2::Pet::objects()
            .filter(v2::animals::id.eq(pets[0].id))
            .delete(&mut conn)
            .unwrap();
        assert_eq!(v2::Visit::objects().count(&mut conn).unwrap(), 2);

        // And back.
        v2::Pet::objects()
            .filter(v2::animals::owner.is_not_null())
            .delete(&mut conn)
            .unwrap();
        let back: Vec<Operation> = ops.iter().rev().map(Operation::reverse).collect();
        conn.apply_operations(&back).unwrap();
        assert_eq!(conn.plan_migration(&v1::models()).unwrap(), []);
        let pets = v1::Pet::objects()
            .order_by(v1::pets::id.asc())
            .all(&mut conn)
            .unwrap();
        let got: Vec<_> = pets
            .iter()
            .map(|p| (p.name.as_str(), p.age, p.nick.as_deref()))
            .collect();
        assert_eq!(got, PETS[1..]);
        assert_eq!(v1::Visit::objects().count(&mut conn).unwrap(), 2);
    }
);

/// A fresh migration root for one test, removed on drop.
struct Root(std::path::PathBuf);

impl Drop for Root {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

backend_test!(
    fn migration_files_apply_revert_and_keep_diesels_history(db: &TestDb) {
        let root = Root(std::env::temp_dir().join(format!("{}_migrations", db.name)));
        let dir = MigrationDir::new(&root.0);
        let mut conn = db.connect();
        let history =
            |conn: &mut orm::Connection| support::count_rows(conn, "__diesel_schema_migrations");

        // The first migration creates the first version's tables.
        let first = conn
            .make_migration(&dir, "create_pets", &v1::models(), DataLoss::Refuse)
            .unwrap()
            .unwrap();
        assert!(first.up.contains("create table pets"), "{}", first.up);
        assert!(first.down.contains("drop table pets"), "{}", first.down);
        let on_disk = dir.path(db.backend).join(&first.name);
        assert_eq!(
            std::fs::read_to_string(on_disk.join("up.sql")).unwrap(),
            first.up
        );
        assert_eq!(
            orm::migrate::version_of(&first.name).unwrap(),
            first.version
        );
        let status = conn.migration_status(&dir).unwrap();
        assert_eq!(status.len(), 1);
        assert!(!status[0].applied);
        assert_eq!(
            conn.run_pending_migrations(&dir).unwrap(),
            std::slice::from_ref(&first.version)
        );
        assert_eq!(history(&mut conn), 1);
        assert!(conn
            .migration_status(&dir)
            .unwrap()
            .iter()
            .all(|s| s.applied));
        assert_eq!(conn.plan_migration(&v1::models()).unwrap(), []);
        for (name, age, nick) in PETS {
            let form = v1::NewPet {
                nick: nick.map(str::to_string),
                ..v1::NewPet::new(name, age)
            };
            v1::Pet::objects().create(&mut conn, form).unwrap();
        }

        // The second moves to the second version; a third cannot be made while it is
        // pending, and none is needed once it is applied.
        let second = conn
            .make_migration(&dir, "pets_to_animals", &v2::models(), DataLoss::Refuse)
            .unwrap()
            .unwrap();
        assert!(
            second.up.contains("rename table pets to animals"),
            "{}",
            second.up
        );
        let err = conn
            .make_migration(&dir, "again", &v2::models(), DataLoss::Refuse)
            .unwrap_err();
        assert!(
            matches!(err, orm::Error::Migrate(MigrateError::Pending { ref version }) if *version == second.version),
            "{err}"
        );
        assert_eq!(
            conn.run_pending_migrations(&dir).unwrap(),
            std::slice::from_ref(&second.version)
        );
        assert_eq!(
            conn.run_pending_migrations(&dir).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(history(&mut conn), 2);
        assert_eq!(conn.plan_migration(&v2::models()).unwrap(), []);
        assert_eq!(v2::Pet::objects().count(&mut conn).unwrap(), 3);
        assert!(conn
            .make_migration(&dir, "nothing", &v2::models(), DataLoss::Refuse)
            .unwrap()
            .is_none());

        // Revert one: back at the first version, rows kept.
        assert_eq!(
            conn.revert_migrations(&dir, 1).unwrap(),
            std::slice::from_ref(&second.version)
        );
        assert_eq!(history(&mut conn), 1);
        assert_eq!(conn.plan_migration(&v1::models()).unwrap(), []);
        assert_eq!(v1::Pet::objects().count(&mut conn).unwrap(), 3);

        // The async API applies it again, as an application at start-up.
        runtime(2).block_on(async {
            let pool = Database::connect(&db.url).await.unwrap();
            assert_eq!(
                pool.run_pending_migrations(&dir).await.unwrap(),
                std::slice::from_ref(&second.version)
            );
            let status = pool.migration_status(&dir).await.unwrap();
            assert!(
                status.iter().all(|s| s.applied) && status.len() == 2,
                "{status:?}"
            );
        });
        assert_eq!(conn.plan_migration(&v2::models()).unwrap(), []);

        // Going back to the first version's models drops columns: refused unless
        // allowed, and then the script says so.
        let err = conn
            .make_migration(&dir, "back", &v1::models(), DataLoss::Refuse)
            .unwrap_err();
        assert!(err.to_string().contains("would lose data"), "{err}");
        assert!(err.to_string().contains("drop table owners"), "{err}");
        let third = conn
            .make_migration(&dir, "back", &v1::models(), DataLoss::Allow)
            .unwrap()
            .unwrap();
        assert!(
            third.up.contains("WARNING: this script drops data"),
            "{}",
            third.up
        );

        // A migration without its down.sql is refused before anything runs.
        std::fs::remove_file(dir.path(db.backend).join(&third.name).join("down.sql")).unwrap();
        let err = conn.run_pending_migrations(&dir).unwrap_err();
        assert!(
            err.to_string().contains(&third.name) && err.to_string().contains("down.sql"),
            "{err}"
        );
        assert_eq!(history(&mut conn), 2);
        assert_eq!(conn.plan_migration(&v2::models()).unwrap(), []);
    }
);

backend_test!(
    fn a_failing_migration_is_named_and_not_recorded(db: &TestDb) {
        let root = Root(std::env::temp_dir().join(format!("{}_broken", db.name)));
        let dir = MigrationDir::new(&root.0);
        let path = dir.path(db.backend).join("2026-01-01-000000_broken");
        std::fs::create_dir_all(&path).unwrap();
        let create = "CREATE TABLE kept (id INTEGER PRIMARY KEY);\n";
        std::fs::write(path.join("up.sql"), format!("{create}{create}")).unwrap();
        std::fs::write(path.join("down.sql"), "DROP TABLE kept;\n").unwrap();
        let mut conn = db.connect();
        let err = conn.run_pending_migrations(&dir).unwrap_err();
        let orm::Error::MigrationFailed { migration, cause } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(migration, "2026-01-01-000000_broken");
        assert!(cause.to_string().contains("kept"), "{cause}");
        assert_eq!(
            support::count_rows(&mut conn, "__diesel_schema_migrations"),
            0
        );
        let tables: Vec<String> = conn
            .introspect()
            .unwrap()
            .tables
            .into_iter()
            .map(|t| t.name)
            .collect();
        if db.backend == Backend::Mysql {
            // MySQL/MariaDB commit each DDL statement: the first one stays, and the
            // next run refuses to go on, saying how to resolve it.
            assert_eq!(tables, ["kept"]);
            let status = conn.migration_status(&dir).unwrap();
            assert_eq!(status[0].problem.as_deref(), Some("failed half-way"));
            let err = conn.run_pending_migrations(&dir).unwrap_err();
            assert!(
                matches!(err, orm::Error::Migrate(MigrateError::FailedHalfWay { ref version }) if version == "20260101000000"),
                "{err}"
            );
            let text = err.to_string();
            assert!(
                text.contains("DELETE FROM __orm_migrations WHERE version = '20260101000000'"),
                "{text}"
            );
            conn.batch_execute(
                "DROP TABLE kept; DELETE FROM __orm_migrations WHERE version = '20260101000000'",
            )
            .unwrap();
        } else {
            assert!(tables.is_empty(), "{tables:?}");
            assert!(conn.migration_status(&dir).unwrap()[0].problem.is_none());
        }
        // Fixed, it applies.
        std::fs::write(path.join("up.sql"), create).unwrap();
        assert_eq!(
            conn.run_pending_migrations(&dir).unwrap(),
            ["20260101000000"]
        );
        assert_eq!(conn.introspect().unwrap().tables.len(), 1);
    }
);

backend_test!(
    fn a_migration_edited_after_it_was_applied_is_refused(db: &TestDb) {
        let root = Root(std::env::temp_dir().join(format!("{}_edited", db.name)));
        let dir = MigrationDir::new(&root.0);
        let mut conn = db.connect();
        let first = conn
            .make_migration(&dir, "create_pets", &v1::models(), DataLoss::Refuse)
            .unwrap()
            .unwrap();
        conn.run_pending_migrations(&dir).unwrap();
        let up = dir.path(db.backend).join(&first.name).join("up.sql");
        std::fs::write(&up, format!("{}\n-- an afterthought\n", first.up)).unwrap();
        let refused = |err: orm::Error| {
            assert!(
                matches!(err, orm::Error::Migrate(MigrateError::Edited { ref migration }) if *migration == first.name),
                "{err}"
            );
        };
        refused(conn.run_pending_migrations(&dir).unwrap_err());
        refused(
            conn.make_migration(&dir, "next", &v2::models(), DataLoss::Refuse)
                .unwrap_err(),
        );
        let status = conn.migration_status(&dir).unwrap();
        assert_eq!(
            status[0].problem.as_deref(),
            Some("up.sql edited after it was applied")
        );
        // Restored, all is well; reverting runs down.sql and is allowed either way.
        std::fs::write(&up, &first.up).unwrap();
        assert_eq!(
            conn.run_pending_migrations(&dir).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(conn.revert_migrations(&dir, 1).unwrap().len(), 1);
        assert_eq!(conn.introspect().unwrap().tables.len(), 0);
    }
);

backend_test!(
    fn two_processes_applying_at_once_apply_each_migration_once(db: &TestDb) {
        let root = Root(std::env::temp_dir().join(format!("{}_concurrent", db.name)));
        let dir = MigrationDir::new(&root.0);
        let mut conn = db.connect();
        // Two migrations made, then reverted, so both are pending.
        for (name, models) in [
            ("create_pets", v1::models()),
            ("pets_to_animals", v2::models()),
        ] {
            conn.make_migration(&dir, name, &models, DataLoss::Refuse)
                .unwrap()
                .unwrap();
            conn.run_pending_migrations(&dir).unwrap();
        }
        assert_eq!(conn.revert_migrations(&dir, 2).unwrap().len(), 2);
        assert_eq!(
            support::count_rows(&mut conn, "__diesel_schema_migrations"),
            0
        );

        for _round in 0..3 {
            let barrier = std::sync::Barrier::new(2);
            let applied: Vec<Vec<String>> = std::thread::scope(|s| {
                let runs: Vec<_> = (0..2)
                    .map(|_| {
                        s.spawn(|| {
                            let mut conn = db.connect();
                            barrier.wait();
                            conn.run_pending_migrations(&dir).unwrap()
                        })
                    })
                    .collect();
                runs.into_iter().map(|r| r.join().unwrap()).collect()
            });
            let mut all: Vec<String> = applied.concat();
            all.sort();
            assert_eq!(all.len(), 2, "each migration once: {applied:?}");
            all.dedup();
            assert_eq!(all.len(), 2, "each migration once: {applied:?}");
            assert_eq!(
                support::count_rows(&mut conn, "__diesel_schema_migrations"),
                2
            );
            assert_eq!(conn.plan_migration(&v2::models()).unwrap(), []);
            conn.revert_migrations(&dir, 2).unwrap();
        }
    }
);

backend_test!(
    fn a_column_existing_rows_have_no_value_for_is_refused_by_name(db: &TestDb) {
        let root = Root(std::env::temp_dir().join(format!("{}_values", db.name)));
        let dir = MigrationDir::new(&root.0);
        let mut conn = db.connect();
        conn.make_migration(&dir, "create_pets", &v1::models(), DataLoss::Refuse)
            .unwrap()
            .unwrap();
        conn.run_pending_migrations(&dir).unwrap();
        // With no rows, both are fine to make.
        for models in [strict_nick::models(), with_born::models()] {
            let ops = conn.plan_migration(&models).unwrap();
            assert!(!ops.is_empty());
        }
        for (name, age, nick) in PETS {
            let form = v1::NewPet {
                nick: nick.map(str::to_string),
                ..v1::NewPet::new(name, age)
            };
            v1::Pet::objects().create(&mut conn, form).unwrap();
        }
        let err = conn
            .make_migration(
                &dir,
                "strict_nick",
                &strict_nick::models(),
                DataLoss::Refuse,
            )
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("migration `strict_nick`") && text.contains("`pets.nick`"),
            "{text}"
        );
        assert!(text.contains("1 rows hold NULL"), "{text}");
        let err = conn
            .make_migration(&dir, "add_born", &with_born::models(), DataLoss::Refuse)
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`pets.born`") && text.contains("has 3 rows"),
            "{text}"
        );
        assert!(matches!(
            err,
            orm::Error::Migrate(MigrateError::NeedsDefault { .. })
        ));
        // Nothing was written.
        assert_eq!(conn.migration_status(&dir).unwrap().len(), 1);
    }
);

/// A ticket table whose enum gains a variant no longer than the others: only the CHECK
/// (its variant names) changes.
macro_rules! tickets {
    ($module:ident, $($variant:ident),*) => {
        mod $module {
            use orm::prelude::*;

            #[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq)]
            pub enum State {
                $($variant),*
            }

            #[derive(Model, Debug, Clone, PartialEq)]
            #[orm(table = "tickets")]
            pub struct Ticket {
                #[orm(primary_key)]
                pub id: i64,
                pub state: State,
            }
        }
    };
}

tickets!(tickets_v1, Open, Closed);
tickets!(tickets_v2, Open, Closed, Moved);

backend_test!(
    fn an_enum_variant_added_is_migrated(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&[tickets_v1::Ticket::meta()]).unwrap();
        let v2 = [tickets_v2::Ticket::meta()];
        let ops = conn.plan_migration(&v2).unwrap();
        assert!(!ops.is_empty(), "the new variant's CHECK is not seen");
        // Before: the database refuses the new variant.
        let moved = tickets_v2::NewTicket::new(tickets_v2::State::Moved);
        let err = tickets_v2::Ticket::objects()
            .create(&mut conn, moved.clone())
            .unwrap_err();
        assert!(matches!(err, orm::Error::CheckViolation(_)), "{err:?}");
        conn.apply_operations(&ops).unwrap();
        assert_eq!(conn.plan_migration(&v2).unwrap(), []);
        let row = tickets_v2::Ticket::objects()
            .create(&mut conn, moved)
            .unwrap();
        assert_eq!(row.state, tickets_v2::State::Moved);
    }
);

/// One row of a schema listing.
#[derive(diesel::QueryableByName)]
struct SchemaName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// The scratch schemas (PostgreSQL) or databases (MySQL/MariaDB) this process made with
/// `prefix` that still exist on `conn`'s server; none on SQLite, whose scratch is in
/// memory.
fn scratches_left(conn: &mut orm::Connection, prefix: &str) -> Vec<String> {
    let sql = match conn.backend() {
        Backend::Sqlite => return Vec::new(),
        Backend::Postgres => "SELECT nspname::text AS name FROM pg_namespace",
        Backend::Mysql => "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA",
    };
    let mine = format!("{prefix}_{}_", std::process::id());
    let names: Vec<SchemaName> = conn.raw(sql).load().unwrap();
    names
        .into_iter()
        .map(|n| n.name)
        .filter(|n| n.starts_with(&mine))
        .collect()
}

/// A test database of every backend this run tests (see `TestDb::new`).
fn every_backend() -> Vec<TestDb> {
    let enabled = |b: &Backend| match b {
        Backend::Sqlite => cfg!(feature = "sqlite"),
        Backend::Postgres => cfg!(feature = "postgres"),
        Backend::Mysql => cfg!(feature = "mysql"),
    };
    Backend::ALL
        .into_iter()
        .filter(enabled)
        .filter_map(TestDb::new)
        .collect()
}

/// The migration each backend got from one `make`: all written, under one name.
fn one_name(made: &[orm::Made], backends: &[Backend], suffix: &str) -> String {
    assert_eq!(made.iter().map(|m| m.backend).collect::<Vec<_>>(), backends);
    let names: Vec<&str> = made
        .iter()
        .map(|m| m.migration.as_ref().unwrap().name.as_str())
        .collect();
    assert!(
        names.iter().all(|n| *n == names[0] && n.ends_with(suffix)),
        "{names:?}"
    );
    names[0].to_string()
}

#[test]
fn make_from_the_files_writes_every_backend_in_step_and_check_follows_the_models() {
    let dbs = every_backend();
    let backends: Vec<Backend> = dbs.iter().map(|db| db.backend).collect();
    let prefix = "orm_sa";
    let scratches: Vec<Scratch> = dbs
        .iter()
        .map(|db| {
            Scratch::server(&db.url)
                .unwrap()
                .with_prefix(prefix)
                .unwrap()
        })
        .collect();
    let root = Root(std::env::temp_dir().join(format!("{}_make_all", dbs[0].name)));
    let dir = MigrationDir::new(&root.0);

    // An empty directory: the same migration for each backend, in its own words.
    let made = dir
        .make(&scratches, "create_pets", &v1::models(), DataLoss::Refuse)
        .unwrap();
    let first = one_name(&made, &backends, "_create_pets");
    for m in &made {
        assert!(!m.operations.is_empty());
        let up = std::fs::read_to_string(dir.path(m.backend).join(&first).join("up.sql")).unwrap();
        assert!(up.contains(&format!("for {}.", m.backend)), "{up}");
        assert!(up.contains("create table pets"), "{up}");
    }

    // Right after, nothing to write.
    let again = dir
        .make(&scratches, "again", &v1::models(), DataLoss::Refuse)
        .unwrap();
    assert_eq!(again.len(), backends.len());
    assert!(again
        .iter()
        .all(|m| m.migration.is_none() && m.operations.is_empty()));
    for backend in &backends {
        assert_eq!(dir.read(*backend).unwrap().len(), 1, "{backend}");
    }

    // check passes, then names each backend and its operations after a model change.
    assert_eq!(dir.check(&scratches, &v1::models()).unwrap(), []);
    let drifts = dir.check(&scratches, &v2::models()).unwrap();
    assert_eq!(drifts.len(), backends.len(), "{drifts:#?}");
    for (drift, want) in drifts.iter().zip(&backends) {
        let Drift::Models {
            backend,
            operations,
        } = drift
        else {
            panic!("{drift:?}");
        };
        assert_eq!(backend, want);
        let text = drift.to_string();
        assert!(
            text.starts_with(&format!("{want}: the models differ")),
            "{text}"
        );
        assert!(text.contains("rename table pets to animals"), "{text}");
        assert!(!operations.is_empty());
    }

    // The change made: one later version for all, and check passes again.
    let made = dir
        .make(
            &scratches,
            "pets_to_animals",
            &v2::models(),
            DataLoss::Refuse,
        )
        .unwrap();
    let second = one_name(&made, &backends, "_pets_to_animals");
    assert!(migrate::version_of(&second) > migrate::version_of(&first));
    assert_eq!(dir.check(&scratches, &v2::models()).unwrap(), []);

    // The files take a real database to the models.
    for db in &dbs {
        let mut conn = db.connect();
        assert_eq!(conn.run_pending_migrations(&dir).unwrap().len(), 2);
        assert_eq!(
            conn.plan_migration(&v2::models()).unwrap(),
            [],
            "{}",
            db.backend
        );
        assert_eq!(scratches_left(&mut conn, prefix), Vec::<String>::new());
    }

    if backends.len() > 1 {
        // A backend left out while its directory holds migrations is refused.
        let err = dir
            .make(&scratches[..1], "partial", &v1::models(), DataLoss::Refuse)
            .unwrap_err();
        assert!(
            matches!(err, orm::Error::Migrate(MigrateError::NoScratch { backend, .. }) if backend == backends[1]),
            "{err}"
        );
        // One directory losing its latest migration is out of step: check says which
        // migration it lacks, and make refuses to write.
        std::fs::remove_dir_all(dir.path(Backend::Sqlite).join(&second)).unwrap();
        let drifts = dir.check(&scratches, &v2::models()).unwrap();
        assert_eq!(
            drifts[0],
            Drift::OutOfStep {
                backend: Backend::Sqlite,
                missing: vec![second.clone()],
            }
        );
        let err = dir
            .make(&scratches, "next", &v2::models(), DataLoss::Refuse)
            .unwrap_err();
        assert!(
            matches!(err, orm::Error::Migrate(MigrateError::OutOfStep { backend: Backend::Sqlite, ref missing }) if *missing == [second.clone()]),
            "{err}"
        );
        for backend in &backends {
            assert_eq!(
                dir.read(*backend).unwrap().len(),
                1 + usize::from(*backend != Backend::Sqlite)
            );
        }
    }
}

backend_test!(
    fn a_bad_migration_file_fails_make_and_check_by_name_and_leaves_no_scratch(db: &TestDb) {
        // The mysql and mariadb cases share a server: each counts only its own scratches.
        let prefix = if db.url.starts_with("mariadb://") {
            "orm_sbm"
        } else {
            "orm_sb"
        };
        let scratch = Scratch::server(&db.url)
            .unwrap()
            .with_prefix(prefix)
            .unwrap();
        let scratches = std::slice::from_ref(&scratch);
        let mut conn = db.connect();
        // While a scratch is open it is seen; closed, it is gone.
        let open = scratch.open().unwrap();
        let left = scratches_left(&mut conn, prefix);
        if db.backend == Backend::Sqlite {
            assert_eq!(open.name(), None);
        } else {
            assert_eq!(left, [open.name().unwrap()]);
        }
        open.close().unwrap();
        assert_eq!(scratches_left(&mut conn, prefix), Vec::<String>::new());

        let root = Root(std::env::temp_dir().join(format!("{}_bad_file", db.name)));
        let dir = MigrationDir::new(&root.0);
        let v1 = [tickets_v1::Ticket::meta()];
        let v2 = [tickets_v2::Ticket::meta()];
        let made = dir
            .make(scratches, "tickets", &v1, DataLoss::Refuse)
            .unwrap();
        assert_eq!(made[0].backend, db.backend);
        assert!(made[0].migration.is_some());
        assert_eq!(dir.check(scratches, &v1).unwrap(), []);
        // The enum's new variant shows as a difference on this backend.
        let drifts = dir.check(scratches, &v2).unwrap();
        assert!(
            matches!(drifts.as_slice(), [Drift::Models { backend, .. }] if *backend == db.backend),
            "{drifts:?}"
        );
        // The same from async code.
        let rt = runtime(2);
        let off_thread_check = || {
            let scratches = scratches.to_vec();
            rt.block_on(dir.off_thread(move |dir| dir.check(&scratches, &v2)))
        };
        assert_eq!(off_thread_check().unwrap(), drifts);
        let owned = scratches.to_vec();
        let none = rt
            .block_on(dir.off_thread(move |dir| dir.make(&owned, "same", &v1, DataLoss::Refuse)))
            .unwrap();
        assert_eq!(none[0].migration, None);

        // A migration whose script fails: make and check name it.
        let broken = "2099-01-01-000000_broken";
        let path = dir.path(db.backend).join(broken);
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("up.sql"), "CREATE TABLE tickets (id INTEGER);\n").unwrap();
        std::fs::write(path.join("down.sql"), "DROP TABLE tickets;\n").unwrap();
        let named = |err: orm::Error| {
            assert!(
                matches!(err, orm::Error::MigrationFailed { ref migration, .. } if migration == broken),
                "{err:?}"
            );
        };
        named(dir.check(scratches, &v2).unwrap_err());
        named(
            dir.make(scratches, "next", &v2, DataLoss::Refuse)
                .unwrap_err(),
        );
        named(off_thread_check().unwrap_err());
        assert_eq!(dir.read(db.backend).unwrap().len(), 2);
        assert_eq!(scratches_left(&mut conn, prefix), Vec::<String>::new());
        // Nothing reached the test database itself.
        assert_eq!(conn.introspect().unwrap().tables, []);
    }
);

backend_test!(
    fn a_migration_without_statements_is_recorded_and_reverted(db: &TestDb) {
        let root = Root(std::env::temp_dir().join(format!("{}_blank", db.name)));
        let dir = MigrationDir::new(&root.0);
        let path = dir.path(db.backend).join("2026-01-01-000000_elsewhere");
        std::fs::create_dir_all(&path).unwrap();
        let blank = migrate::scripts(&[], db.backend, Default::default()).unwrap();
        std::fs::write(path.join("up.sql"), &blank.up).unwrap();
        std::fs::write(path.join("down.sql"), &blank.down).unwrap();
        let mut conn = db.connect();
        assert_eq!(
            conn.run_pending_migrations(&dir).unwrap(),
            ["20260101000000"]
        );
        assert!(conn.migration_status(&dir).unwrap()[0].applied);
        assert_eq!(conn.revert_migrations(&dir, 1).unwrap(), ["20260101000000"]);
        assert!(!conn.migration_status(&dir).unwrap()[0].applied);
    }
);

/// An `events` table whose `at` column is of the type given.
macro_rules! events {
    ($module:ident, $($ty:tt)+) => {
        mod $module {
            use orm::prelude::*;

            #[derive(Model, Debug, Clone, PartialEq)]
            #[orm(table = "events")]
            pub struct Event {
                #[orm(primary_key)]
                pub id: i64,
                pub at: $($ty)+,
            }
        }
    };
}

events!(events_naive, chrono::NaiveDateTime);
events!(events_utc, orm::DateTimeUtc);

#[test]
fn a_change_one_backend_does_not_see_still_gets_its_migration_there() {
    // A naive date-time made UTC: SQLite's TIMESTAMP becomes TEXT, PostgreSQL's
    // TIMESTAMPTZ, while MySQL/MariaDB keep DATETIME(6).
    let dbs = every_backend();
    let backends: Vec<Backend> = dbs.iter().map(|db| db.backend).collect();
    let scratches: Vec<Scratch> = dbs
        .iter()
        .map(|db| Scratch::server(&db.url).unwrap())
        .collect();
    let root = Root(std::env::temp_dir().join(format!("{}_one_sided", dbs[0].name)));
    let dir = MigrationDir::new(&root.0);
    let naive = [events_naive::Event::meta()];
    let utc = [events_utc::Event::meta()];
    dir.make(&scratches, "create_events", &naive, DataLoss::Refuse)
        .unwrap();
    let made = dir
        .make(&scratches, "events_in_utc", &utc, DataLoss::Allow)
        .unwrap();
    let name = one_name(&made, &backends, "_events_in_utc");
    for m in &made {
        let up = &m.migration.as_ref().unwrap().up;
        // Only MySQL/MariaDB sees nothing: its migration holds no statement.
        assert_eq!(m.operations.is_empty(), m.backend == Backend::Mysql, "{up}");
        assert_eq!(migrate::is_blank(up), m.backend == Backend::Mysql, "{up}");
    }
    assert_eq!(dir.check(&scratches, &utc).unwrap(), []);
    for db in &dbs {
        let mut conn = db.connect();
        assert_eq!(conn.run_pending_migrations(&dir).unwrap().len(), 2);
        let status = conn.migration_status(&dir).unwrap();
        assert_eq!(status[1].name.as_deref(), Some(name.as_str()));
        assert_eq!(conn.plan_migration(&utc).unwrap(), [], "{}", db.backend);
    }
}
