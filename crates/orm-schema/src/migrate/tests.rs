//! The diff without a database: two versions of a model, the operations between them,
//! their SQL per backend and their reverse.

use super::*;
use crate::ddl::MysqlFlavor;
use crate::meta::{DefaultValue, FieldKind, FieldMeta, Literal, ModelMeta, OnDelete};
use crate::test_support::{assert_contains, id, indexed, key, nullable, string};

static OWNER: ModelMeta = ModelMeta::new("Owner", "owners", &[id(FieldKind::BigInteger, true)]);

/// v1: `pets (id, name VARCHAR(20), age INTEGER NOT NULL, nick VARCHAR(10))`.
static V1_FIELDS: [FieldMeta; 4] = [
    id(FieldKind::BigInteger, true),
    string("name", 20),
    FieldMeta::new("age", FieldKind::Integer),
    nullable(string("nick", 10)),
];
static V1: ModelMeta = ModelMeta::new("Pet", "pets", &V1_FIELDS);

/// v1 with its name and age unique together and its age and nick indexed together.
static V1_GROUPED: ModelMeta = ModelMeta {
    unique_together: &[&["name", "age"]],
    index_together: &[&["age", "nick"]],
    ..ModelMeta::new("Pet", "pets", &V1_FIELDS)
};

/// v2: `name` indexed, `age` nullable, `nick` renamed `nickname`, `weight` added with a
/// default, an owner key added.
static V2: ModelMeta = ModelMeta {
    renamed_from: Some("pets"),
    ..ModelMeta::new(
        "Pet",
        "animals",
        &[
            id(FieldKind::BigInteger, true),
            indexed(string("name", 20)),
            nullable(FieldMeta::new("age", FieldKind::Integer)),
            FieldMeta {
                nullable: true,
                renamed_from: Some("nick"),
                ..string("nickname", 10)
            },
            FieldMeta {
                default: Some(DefaultValue::Static(Literal::Int(3))),
                ..FieldMeta::new("weight", FieldKind::Integer)
            },
            key("owner", || &OWNER, OnDelete::SetNull, false),
        ],
    )
};

fn schema(models: &[&'static ModelMeta], backend: Backend) -> Schema {
    describe(models, backend).unwrap()
}

/// The operations from `from` to `to` on `backend`.
fn migrate(
    from: &[&'static ModelMeta],
    to: &[&'static ModelMeta],
    backend: Backend,
) -> Vec<Operation> {
    diff(&schema(from, backend), &schema(to, backend), backend).unwrap()
}

/// The operations from v1 to v2 (with its owners) on `backend`.
fn v1_to_v2(backend: Backend) -> Vec<Operation> {
    migrate(&[&V1], &[&OWNER, &V2], backend)
}

/// The operations from `from` to `to` on PostgreSQL and on MySQL, each with its backend,
/// after asserting that they are `names` on both.
#[track_caller]
fn on_servers(
    from: &[&'static ModelMeta],
    to: &[&'static ModelMeta],
    names: &[&str],
) -> Vec<(Backend, Vec<Operation>)> {
    let mut out = Vec::new();
    for b in [Backend::Postgres, Backend::Mysql] {
        let ops = migrate(from, to, b);
        assert_eq!(self::names(&ops), names, "{b}");
        out.push((b, ops));
    }
    out
}

fn names(ops: &[Operation]) -> Vec<String> {
    ops.iter().map(|o| o.to_string()).collect()
}

fn sql(ops: &[Operation], backend: Backend) -> Vec<String> {
    ops.iter()
        .flat_map(|o| o.sql(backend, MysqlFlavor::MariaDb).unwrap())
        .collect()
}

/// Asserts that `ops` are the operations `names`, in order, and that their statements on
/// `backend` include each of `statements`.
#[track_caller]
fn assert_ops(ops: &[Operation], backend: Backend, names: &[&str], statements: &[&str]) {
    assert_eq!(self::names(ops), names);
    let sql = sql(ops, backend);
    for want in statements {
        assert_statement(&sql, want);
    }
}

/// Asserts that `want` is one of the statements `sql`.
#[track_caller]
fn assert_statement(sql: &[String], want: &str) {
    assert!(sql.iter().any(|s| s == want), "missing {want}\nin {sql:#?}");
}

#[test]
fn the_same_models_diff_empty() {
    for backend in Backend::ALL {
        let s = schema(&[&V1, &OWNER], backend);
        assert_eq!(diff(&s, &s, backend).unwrap(), []);
    }
}

#[test]
fn postgres_operations_in_order() {
    assert_ops(
        &v1_to_v2(Backend::Postgres),
        Backend::Postgres,
        &[
            "rename table pets to animals",
            "rename column animals.nick to nickname",
            "create table owners",
            "add column animals.weight",
            "add column animals.owner",
            "alter column animals.age: nullable",
            "add index ix_animals_name on animals",
            "add index ix_animals_owner on animals",
            "add foreign key animals.owner",
        ],
        &[
            "ALTER TABLE \"pets\" RENAME TO \"animals\"",
            "ALTER TABLE \"animals\" RENAME COLUMN \"nick\" TO \"nickname\"",
            "ALTER TABLE \"animals\" ADD COLUMN \"weight\" INTEGER NOT NULL DEFAULT 3",
            "ALTER TABLE \"animals\" ALTER COLUMN \"age\" DROP NOT NULL",
            "CREATE INDEX \"ix_animals_name\" ON \"animals\" (\"name\")",
            "ALTER TABLE \"animals\" ADD CONSTRAINT \"fk_animals_owner\" FOREIGN KEY (\"owner\") \
             REFERENCES \"owners\" (\"id\") ON DELETE SET NULL",
        ],
    );
}

#[test]
fn the_reverse_undoes_in_reverse_order() {
    let b = Backend::Mysql;
    let back: Vec<Operation> = v1_to_v2(b).iter().rev().map(Operation::reverse).collect();
    assert_ops(
        &back,
        b,
        &[
            "drop foreign key animals.owner",
            "drop index ix_animals_owner on animals",
            "drop index ix_animals_name on animals",
            "alter column animals.age: NOT NULL",
            "drop column animals.owner (its values are lost)",
            "drop column animals.weight (its values are lost)",
            "drop table owners (its rows are lost)",
            "rename column animals.nickname to nick",
            "rename table animals to pets",
        ],
        &[
            "ALTER TABLE `animals` DROP FOREIGN KEY `fk_animals_owner`",
            "DROP INDEX `ix_animals_name` ON `animals`",
            "ALTER TABLE `animals` MODIFY COLUMN `age` INTEGER NOT NULL",
        ],
    );
    assert!(back.iter().any(Operation::drops_data));
}

#[test]
fn sqlite_rebuilds_what_it_cannot_alter() {
    let b = Backend::Sqlite;
    let ops = v1_to_v2(b);
    assert_eq!(
        names(&ops),
        [
            "rename table pets to animals",
            "create table owners",
            "rebuild table animals",
        ]
    );
    let sql = sql(&ops, b);
    let rebuild = &sql[2..];
    assert!(
        rebuild[0].starts_with("CREATE TABLE \"_orm_new_animals\" ("),
        "{rebuild:#?}"
    );
    assert_contains(&rebuild[0], "\"age\" INTEGER,");
    assert_contains(&rebuild[0], "REFERENCES \"owners\"");
    assert_eq!(
        rebuild[1],
        "INSERT INTO \"_orm_new_animals\" (\"id\", \"name\", \"age\", \"nickname\") \
         SELECT \"id\", \"name\", \"age\", \"nick\" FROM \"animals\""
    );
    assert_eq!(rebuild[2], "DROP TABLE \"animals\"");
    assert_eq!(
        rebuild[3],
        "ALTER TABLE \"_orm_new_animals\" RENAME TO \"animals\""
    );
    assert_statement(
        &rebuild[4..],
        "CREATE INDEX \"ix_animals_name\" ON \"animals\" (\"name\")",
    );
    // And back: the reverse rebuild copies `nickname` into `nick`, leaving the new
    // columns behind (which it says).
    let back = ops[2].reverse();
    assert!(back.drops_data());
    let back_sql = back.sql(b, MysqlFlavor::MariaDb).unwrap();
    assert!(
        back_sql[1].ends_with("SELECT \"id\", \"name\", \"age\", \"nickname\" FROM \"animals\""),
        "{}",
        back_sql[1]
    );
}

#[test]
fn sqlite_adds_a_column_with_a_default_in_place() {
    let b = Backend::Sqlite;
    let live = schema(&[&V1], b);
    let mut target = live.clone();
    target.tables[0].columns.push(Column {
        name: "weight".into(),
        sql_type: "INTEGER".into(),
        default: Some("3".into()),
        ..Column::default()
    });
    let ops = diff(&live, &target, b).unwrap();
    assert_eq!(names(&ops), ["add column pets.weight"]);
    assert_eq!(
        sql(&ops, b),
        ["ALTER TABLE \"pets\" ADD COLUMN \"weight\" INTEGER NOT NULL DEFAULT 3"]
    );
    // Without a default it cannot be added in place to a table that may hold rows.
    target.tables[0].columns.last_mut().unwrap().default = None;
    let ops = diff(&live, &target, b).unwrap();
    assert_eq!(names(&ops), ["rebuild table pets"]);
}

#[test]
fn a_table_no_model_names_is_dropped_and_renames_are_never_guessed() {
    let b = Backend::Postgres;
    let mut v2 = schema(&[&OWNER, &V2], b);
    v2.tables[1].renamed_from = None;
    let ops = diff(&schema(&[&V1], b), &v2, b).unwrap();
    let names = names(&ops);
    assert!(
        names.contains(&"create table animals".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"drop table pets (its rows are lost)".to_string()),
        "{names:?}"
    );
    assert!(ops.iter().any(Operation::drops_data));
}

#[test]
fn a_new_primary_key_is_refused() {
    let b = Backend::Postgres;
    let live = schema(&[&V1], b);
    let mut target = live.clone();
    target.tables[0].primary_key = vec!["name".into()];
    let err = diff(&live, &target, b).unwrap_err();
    assert!(err.to_string().contains("primary key of pets"), "{err}");
}

#[test]
fn operations_sqlite_cannot_run_in_place_are_errors() {
    let op = Operation::DropUnique {
        table: "t".into(),
        unique: Index {
            name: "uq_t_a".into(),
            columns: vec!["a".into()],
        },
    };
    let err = op.sql(Backend::Sqlite, MysqlFlavor::MariaDb).unwrap_err();
    assert!(err.to_string().contains("drop unique uq_t_a on t"), "{err}");
}

#[test]
fn sqlite_catalog_rows_assemble_into_the_description() {
    let b = Backend::Sqlite;
    let want = schema(&[&OWNER, &V2], b);
    let create =
        crate::ddl::create_all_statements(&[&OWNER, &V2], b, MysqlFlavor::MariaDb).unwrap();
    let row = |v: &[&str]| -> CatalogRow {
        std::array::from_fn(|i| v.get(i).filter(|s| **s != "NULL").map(|s| s.to_string()))
    };
    let catalog = Catalog {
        tables: vec![
            row(&["animals", &create[1].sql]),
            row(&["owners", &create[0].sql]),
        ],
        columns: vec![
            row(&["owners", "id", "INTEGER", "0", "NULL", "1"]),
            row(&["animals", "id", "INTEGER", "0", "NULL", "1"]),
            row(&["animals", "name", "VARCHAR(20)", "1", "NULL", "0"]),
            row(&["animals", "age", "INTEGER", "0", "NULL", "0"]),
            row(&["animals", "nickname", "VARCHAR(10)", "0", "NULL", "0"]),
            row(&["animals", "weight", "INTEGER", "1", "3", "0"]),
            row(&["animals", "owner", "BIGINT", "0", "NULL", "0"]),
        ],
        keys: vec![
            row(&["animals", "ix_animals_name", "i", "name", "0"]),
            row(&["animals", "ix_animals_owner", "i", "owner", "0"]),
        ],
        foreign_keys: vec![row(&[
            "animals", "NULL", "owner", "owners", "id", "SET NULL",
        ])],
        checks: vec![],
    };
    let live = assemble(b, MysqlFlavor::MariaDb, &catalog);
    assert_eq!(diff(&live, &want, b).unwrap(), []);
    let animals = live.table("animals").unwrap();
    assert_eq!(animals.foreign_keys[0].name, "fk_animals_owner");
    assert!(animals.column("id").unwrap().auto_increment);
    assert!(!animals.column("id").unwrap().nullable);
}

#[test]
fn value_checks_name_live_tables_and_columns() {
    // `animals` was `pets` and `nickname` was `nick`: the checks use the live names.
    let born = (
        "pets",
        "born",
        ValueRule::NoRows,
        "SELECT COUNT(*) AS n FROM \"pets\"",
    );
    let nick = (
        "pets",
        "nick",
        ValueRule::NoNulls,
        "SELECT COUNT(*) AS n FROM \"pets\" WHERE \"nick\" IS NULL",
    );
    // PostgreSQL adds `born`, then alters `nickname`; SQLite's rebuild goes by column.
    for (b, want) in [
        (Backend::Postgres, [born, nick]),
        (Backend::Sqlite, [nick, born]),
    ] {
        let live = schema(&[&V1], b);
        let mut target = schema(&[&OWNER, &V2], b);
        let pets = target
            .tables
            .iter_mut()
            .find(|t| t.name == "animals")
            .unwrap();
        pets.columns
            .iter_mut()
            .find(|c| c.name == "nickname")
            .unwrap()
            .nullable = false;
        pets.columns.push(Column {
            name: "born".into(),
            sql_type: "INTEGER".into(),
            ..Column::default()
        });
        let checks = value_checks(&diff(&live, &target, b).unwrap());
        let got: Vec<_> = checks
            .iter()
            .map(|c| (c.table.as_str(), c.column.as_str(), c.rule, c.count_sql(b)))
            .collect();
        let want: Vec<_> = want
            .iter()
            .map(|(t, c, r, q)| (*t, *c, *r, q.to_string()))
            .collect();
        assert_eq!(got, want, "{b}");
    }
}

#[test]
fn together_groups_are_added_and_dropped_by_name() {
    for (b, ops) in on_servers(
        &[&V1],
        &[&V1_GROUPED],
        &[
            "add unique uq_pets_name_age on pets",
            "add index ix_pets_age_nick on pets",
        ],
    ) {
        let q = |name: &str| b.quote(name);
        let sql = sql(&ops, b);
        let unique = format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({}, {})",
            q("pets"),
            q("uq_pets_name_age"),
            q("name"),
            q("age")
        );
        assert_statement(&sql, &unique);
        let back: Vec<Operation> = ops.iter().rev().map(Operation::reverse).collect();
        assert_eq!(
            names(&back),
            [
                "drop index ix_pets_age_nick on pets",
                "drop unique uq_pets_name_age on pets",
            ],
            "{b}"
        );
        let grouped = schema(&[&V1_GROUPED], b);
        assert_eq!(diff(&grouped, &grouped, b).unwrap(), [], "{b}");
    }
    // SQLite cannot add a UNIQUE constraint in place: the table is rebuilt.
    let b = Backend::Sqlite;
    let ops = migrate(&[&V1], &[&V1_GROUPED], b);
    assert!(
        ops.iter()
            .any(|op| matches!(op, Operation::RebuildTable { .. })),
        "{ops:#?}"
    );
}

/// The fields of a table with an enum column whose variants are `variants`: the tickets
/// below, before and after the enum gains a variant no longer than the others (so only the
/// CHECK tells them apart).
const fn ticket_fields(variants: &'static [&'static str]) -> [FieldMeta; 2] {
    [
        id(FieldKind::BigInteger, true),
        FieldMeta::new("state", FieldKind::Enum { variants }),
    ]
}
static TICKET_V1: ModelMeta =
    ModelMeta::new("Ticket", "tickets", &ticket_fields(&["Open", "Closed"]));
static TICKET_V2: ModelMeta = ModelMeta::new(
    "Ticket",
    "tickets",
    &ticket_fields(&["Open", "Closed", "Won't"]),
);

#[test]
fn an_enum_that_gains_a_variant_changes_its_check() {
    for (b, ops) in on_servers(
        &[&TICKET_V1],
        &[&TICKET_V2],
        &[
            "drop check ck_tickets_state on tickets",
            "add check ck_tickets_state on tickets",
        ],
    ) {
        let sql = sql(&ops, b);
        assert!(sql.iter().any(|s| s.contains("'Won''t'")), "{b}: {sql:#?}");
    }
    // SQLite cannot alter a CHECK: the table is rebuilt.
    let b = Backend::Sqlite;
    let ops = migrate(&[&TICKET_V1], &[&TICKET_V2], b);
    assert!(
        matches!(ops.as_slice(), [Operation::RebuildTable { .. }]),
        "{ops:#?}"
    );
}

#[test]
fn a_check_rewritten_by_the_server_is_the_same_check() {
    // What PostgreSQL and MariaDB report for the CHECK orm wrote: no operation.
    let ours = schema(&[&TICKET_V1], Backend::Postgres);
    for reported in [
        "((state)::text = ANY ((ARRAY['Open'::character varying, 'Closed'::character varying])::text[]))",
        "`state` in ('Open','Closed')",
    ] {
        let mut live = ours.clone();
        live.tables[0].checks[0].expression = reported.to_string();
        assert_eq!(diff(&live, &ours, Backend::Postgres).unwrap(), [], "{reported}");
    }
}
