//! Reading a live schema, the pure half: the catalog queries orm-exec runs on each
//! backend (SQLite's pragmas, PostgreSQL's `pg_catalog` in the current schema,
//! MySQL/MariaDB's `information_schema` in the current database) and the assembly of
//! their rows into a [`Schema`], in the DDL's own terms (see [`normalize`](super::normalize)).
//!
//! Every query returns six nullable text columns `c1` .. `c6`, so one row type serves all.

use crate::backend::Backend;
use crate::ddl::MysqlFlavor;

use super::normalize::{normalize_default, normalize_type};
use super::schema::{Check, Column, ForeignKey, Index, Schema, Table};
use super::sqlite_sql::{self, Named};
use super::{HISTORY_TABLE, STATE_TABLE};

/// One row of a catalog query: the values of `c1` .. `c6`.
pub type CatalogRow = [Option<String>; 6];

/// The catalog queries of one backend (see the module docs for their rows).
#[derive(Debug, Clone, Copy)]
pub struct CatalogQueries {
    /// Tables: name, and on SQLite its CREATE TABLE text.
    pub tables: &'static str,
    /// Columns in order: table, column, type, `1` when NOT NULL, default, and the
    /// backend's extra (SQLite: position in the primary key; PostgreSQL: `1` for an
    /// identity; MySQL: `EXTRA`).
    pub columns: &'static str,
    /// Index columns: table, index or constraint name, `p` (primary key) / `u` (unique)
    /// / `i` (index), column, position.
    pub keys: &'static str,
    /// Foreign keys: table, name (NULL on SQLite), column, target table, target column,
    /// ON DELETE action.
    pub foreign_keys: &'static str,
    /// CHECKs: table, name, condition (`None` on SQLite, where they are read from the
    /// table's text).
    pub checks: Option<&'static str>,
}

/// The rows the [`CatalogQueries`] returned.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Rows of [`CatalogQueries::tables`].
    pub tables: Vec<CatalogRow>,
    /// Rows of [`CatalogQueries::columns`].
    pub columns: Vec<CatalogRow>,
    /// Rows of [`CatalogQueries::keys`].
    pub keys: Vec<CatalogRow>,
    /// Rows of [`CatalogQueries::foreign_keys`].
    pub foreign_keys: Vec<CatalogRow>,
    /// Rows of [`CatalogQueries::checks`].
    pub checks: Vec<CatalogRow>,
}

const SQLITE: CatalogQueries = CatalogQueries {
    tables: "SELECT name AS c1, sql AS c2, NULL AS c3, NULL AS c4, NULL AS c5, NULL AS c6 \
             FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' \
             ORDER BY name",
    columns: "SELECT m.name AS c1, p.name AS c2, p.type AS c3, CAST(p.\"notnull\" AS TEXT) AS c4, \
              p.dflt_value AS c5, CAST(p.pk AS TEXT) AS c6 \
              FROM sqlite_master m JOIN pragma_table_info(m.name) p \
              WHERE m.type = 'table' ORDER BY m.name, p.cid",
    keys: "SELECT m.name AS c1, il.name AS c2, \
           CASE WHEN il.origin = 'pk' THEN 'p' WHEN il.\"unique\" THEN 'u' ELSE 'i' END AS c3, \
           ii.name AS c4, CAST(ii.seqno AS TEXT) AS c5, NULL AS c6 \
           FROM sqlite_master m JOIN pragma_index_list(m.name) il \
           JOIN pragma_index_info(il.name) ii \
           WHERE m.type = 'table' ORDER BY m.name, il.name, ii.seqno",
    foreign_keys: "SELECT m.name AS c1, NULL AS c2, f.\"from\" AS c3, f.\"table\" AS c4, \
                   f.\"to\" AS c5, f.on_delete AS c6 \
                   FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
                   WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq",
    checks: None,
};

const POSTGRES: CatalogQueries = CatalogQueries {
    tables: "SELECT c.relname::text AS c1, NULL::text AS c2, NULL::text AS c3, NULL::text AS c4, \
             NULL::text AS c5, NULL::text AS c6 FROM pg_class c \
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') \
             ORDER BY 1",
    columns: "SELECT c.relname::text AS c1, a.attname::text AS c2, \
              format_type(a.atttypid, a.atttypmod) AS c3, \
              CASE WHEN a.attnotnull THEN '1' ELSE '0' END AS c4, \
              pg_get_expr(d.adbin, d.adrelid) AS c5, \
              CASE WHEN a.attidentity <> '' THEN '1' ELSE '0' END AS c6 \
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
              WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') \
              AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum",
    keys: "SELECT t.relname::text AS c1, i.relname::text AS c2, \
           CASE WHEN x.indisprimary THEN 'p' WHEN con.contype = 'u' THEN 'u' ELSE 'i' END AS c3, \
           a.attname::text AS c4, k.ord::text AS c5, NULL::text AS c6 \
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
           JOIN pg_class t ON t.oid = x.indrelid \
           LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.contype IN ('p', 'u') \
           CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
           WHERE t.relnamespace = current_schema()::regnamespace ORDER BY 1, 2, k.ord",
    foreign_keys: "SELECT cl.relname::text AS c1, con.conname::text AS c2, a.attname::text AS c3, \
                   rf.relname::text AS c4, ra.attname::text AS c5, \
                   CASE con.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'r' THEN 'RESTRICT' \
                   WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS c6 \
                   FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid \
                   JOIN pg_class rf ON rf.oid = con.confrelid \
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1] \
                   JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1] \
                   WHERE con.contype = 'f' AND cl.relnamespace = current_schema()::regnamespace \
                   ORDER BY 1, 2",
    checks: Some(
        "SELECT cl.relname::text AS c1, con.conname::text AS c2, \
         pg_get_constraintdef(con.oid) AS c3, NULL::text AS c4, NULL::text AS c5, NULL::text AS c6 \
         FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid \
         WHERE con.contype = 'c' AND cl.relnamespace = current_schema()::regnamespace \
         ORDER BY 1, 2",
    ),
};

const MYSQL_TABLES: &str = "SELECT CAST(TABLE_NAME AS CHAR) AS c1, CAST(NULL AS CHAR) AS c2, \
     CAST(NULL AS CHAR) AS c3, CAST(NULL AS CHAR) AS c4, CAST(NULL AS CHAR) AS c5, \
     CAST(NULL AS CHAR) AS c6 FROM information_schema.TABLES \
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1";
const MYSQL_COLUMNS: &str =
    "SELECT CAST(TABLE_NAME AS CHAR) AS c1, CAST(COLUMN_NAME AS CHAR) AS c2, \
     CAST(COLUMN_TYPE AS CHAR) AS c3, IF(IS_NULLABLE = 'NO', '1', '0') AS c4, \
     CAST(COLUMN_DEFAULT AS CHAR) AS c5, CAST(EXTRA AS CHAR) AS c6 \
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
     ORDER BY TABLE_NAME, ORDINAL_POSITION";
const MYSQL_KEYS: &str = "SELECT CAST(TABLE_NAME AS CHAR) AS c1, CAST(INDEX_NAME AS CHAR) AS c2, \
     CASE WHEN INDEX_NAME = 'PRIMARY' THEN 'p' WHEN NON_UNIQUE = 0 THEN 'u' ELSE 'i' END AS c3, \
     CAST(COLUMN_NAME AS CHAR) AS c4, CAST(SEQ_IN_INDEX AS CHAR) AS c5, CAST(NULL AS CHAR) AS c6 \
     FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
     ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";
const MYSQL_FOREIGN_KEYS: &str = "SELECT CAST(k.TABLE_NAME AS CHAR) AS c1, \
     CAST(k.CONSTRAINT_NAME AS CHAR) AS c2, CAST(k.COLUMN_NAME AS CHAR) AS c3, \
     CAST(k.REFERENCED_TABLE_NAME AS CHAR) AS c4, CAST(k.REFERENCED_COLUMN_NAME AS CHAR) AS c5, \
     CAST(r.DELETE_RULE AS CHAR) AS c6 \
     FROM information_schema.KEY_COLUMN_USAGE k \
     JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
     ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
     AND r.TABLE_NAME = k.TABLE_NAME \
     WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
     ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION";
/// MariaDB's CHECK_CONSTRAINTS names the table; MySQL 8's does not.
const MARIADB_CHECKS: &str = "SELECT CAST(TABLE_NAME AS CHAR) AS c1, \
     CAST(CONSTRAINT_NAME AS CHAR) AS c2, CAST(CHECK_CLAUSE AS CHAR) AS c3, \
     CAST(NULL AS CHAR) AS c4, CAST(NULL AS CHAR) AS c5, CAST(NULL AS CHAR) AS c6 \
     FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() \
     ORDER BY 1, 2";
const MYSQL8_CHECKS: &str = "SELECT CAST(t.TABLE_NAME AS CHAR) AS c1, \
     CAST(c.CONSTRAINT_NAME AS CHAR) AS c2, CAST(c.CHECK_CLAUSE AS CHAR) AS c3, \
     CAST(NULL AS CHAR) AS c4, CAST(NULL AS CHAR) AS c5, CAST(NULL AS CHAR) AS c6 \
     FROM information_schema.TABLE_CONSTRAINTS t JOIN information_schema.CHECK_CONSTRAINTS c \
     ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
     WHERE t.CONSTRAINT_SCHEMA = DATABASE() AND t.CONSTRAINT_TYPE = 'CHECK' ORDER BY 1, 2";

/// The catalog queries for `backend` (and, on MySQL, the server `flavor`).
pub fn catalog_queries(backend: Backend, flavor: MysqlFlavor) -> CatalogQueries {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
        Backend::Mysql => CatalogQueries {
            tables: MYSQL_TABLES,
            columns: MYSQL_COLUMNS,
            keys: MYSQL_KEYS,
            foreign_keys: MYSQL_FOREIGN_KEYS,
            checks: Some(match flavor {
                MysqlFlavor::MariaDb => MARIADB_CHECKS,
                MysqlFlavor::Mysql => MYSQL8_CHECKS,
            }),
        },
    }
}

fn text(row: &CatalogRow, i: usize) -> &str {
    row[i].as_deref().unwrap_or("")
}

/// The [`Schema`] the rows of `backend`'s catalog queries describe (the migration
/// history tables left out).
pub fn assemble(backend: Backend, flavor: MysqlFlavor, catalog: &Catalog) -> Schema {
    let mut tables: Vec<(Table, Vec<Named>, Vec<String>)> = catalog
        .tables
        .iter()
        .filter(|r| ![HISTORY_TABLE, STATE_TABLE].contains(&text(r, 0)))
        .map(|r| {
            let sql = text(r, 1);
            let table = Table {
                name: text(r, 0).to_string(),
                ..Table::default()
            };
            let named = sqlite_sql::named_constraints(sql);
            let autoincrement = sqlite_sql::autoincrement_columns(sql);
            (table, named, autoincrement)
        })
        .collect();
    let find = |tables: &[(Table, Vec<Named>, Vec<String>)], name: &str| {
        tables.iter().position(|(t, _, _)| t.name == name)
    };

    let mut sqlite_keys: Vec<(usize, u32, String)> = Vec::new();
    for r in &catalog.columns {
        let Some(t) = find(&tables, text(r, 0)) else {
            continue;
        };
        let (table, _, autoincrement) = &mut tables[t];
        let name = text(r, 1).to_string();
        let sql_type = normalize_type(backend, text(r, 2));
        let reported_default = r[4].as_deref();
        let extra = text(r, 5);
        let auto_increment = match backend {
            Backend::Sqlite => autoincrement.contains(&name),
            Backend::Postgres => {
                extra == "1" || reported_default.is_some_and(|d| d.starts_with("nextval("))
            }
            Backend::Mysql => extra.to_ascii_lowercase().contains("auto_increment"),
        };
        if backend == Backend::Sqlite {
            if let Ok(position @ 1..) = extra.parse::<u32>() {
                sqlite_keys.push((t, position, name.clone()));
            }
        }
        let default = normalize_default(backend, flavor, &sql_type, reported_default);
        table.columns.push(Column {
            name,
            renamed_from: None,
            sql_type,
            nullable: text(r, 3) != "1",
            default,
            auto_increment,
        });
    }
    sqlite_keys.sort();
    for (t, _, column) in sqlite_keys {
        tables[t].0.primary_key.push(column);
    }

    // Index rows come ordered by table, name and position.
    for r in &catalog.keys {
        let Some(t) = find(&tables, text(r, 0)) else {
            continue;
        };
        let table = &mut tables[t].0;
        let (name, kind, column) = (text(r, 1), text(r, 2), text(r, 3).to_string());
        if kind == "p" {
            if backend != Backend::Sqlite {
                table.primary_key.push(column);
            }
            continue;
        }
        let list = if kind == "u" {
            &mut table.uniques
        } else {
            &mut table.indexes
        };
        match list.iter_mut().find(|i| i.name == name) {
            Some(index) => index.columns.push(column),
            None => list.push(Index {
                name: name.to_string(),
                columns: vec![column],
            }),
        }
    }

    for r in &catalog.foreign_keys {
        let Some(t) = find(&tables, text(r, 0)) else {
            continue;
        };
        let (table, named, _) = &mut tables[t];
        let column = text(r, 2).to_string();
        let name = match &r[1] {
            Some(name) => name.clone(),
            None => named
                .iter()
                .find_map(|n| match n {
                    Named::ForeignKey { name, column: c } if *c == column => Some(name.clone()),
                    _ => None,
                })
                .unwrap_or_default(),
        };
        table.foreign_keys.push(ForeignKey {
            name,
            column,
            target_table: text(r, 3).to_string(),
            target_column: text(r, 4).to_string(),
            on_delete: text(r, 5).to_ascii_uppercase(),
        });
    }

    for r in &catalog.checks {
        let Some(t) = find(&tables, text(r, 0)) else {
            continue;
        };
        let definition = text(r, 2).trim();
        // PostgreSQL: `CHECK ((...))`; MariaDB/MySQL: the condition alone.
        let expression = definition
            .strip_prefix("CHECK ")
            .and_then(|rest| sqlite_sql::parenthesized(rest))
            .unwrap_or(definition);
        tables[t].0.checks.push(Check {
            name: text(r, 1).to_string(),
            expression: expression.trim().to_string(),
        });
    }

    for (table, named, _) in &mut tables {
        if backend == Backend::Sqlite {
            sqlite_names(table, named);
        }
        // A key column holds no NULL (SQLite's pragma says nullable for its rowid key).
        for column in &mut table.columns {
            if table.primary_key.contains(&column.name) {
                column.nullable = false;
            }
        }
    }
    Schema {
        tables: tables.into_iter().map(|(t, _, _)| t).collect(),
    }
}

/// SQLite's UNIQUE constraints carry generated index names in the pragmas; take the
/// names the table's text gives them, and its CHECKs.
fn sqlite_names(table: &mut Table, named: &[Named]) {
    for n in named {
        match n {
            Named::Unique { name, columns } => {
                if let Some(u) = table.uniques.iter_mut().find(|u| u.columns == *columns) {
                    u.name = name.clone();
                }
            }
            Named::Check { name, expression } => table.checks.push(Check {
                name: name.clone(),
                expression: expression.clone(),
            }),
            Named::ForeignKey { .. } => {}
        }
    }
}
