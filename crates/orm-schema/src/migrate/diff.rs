//! [`diff`]: the operations that take a live schema to the one the models describe.

use crate::backend::Backend;

use super::normalize::{canonical_type, same_default};
use super::ops::Operation;
use super::schema::{Check, Column, ForeignKey, Index, Schema, Table};
use super::MigrateError;

/// The operations, grouped in the order they must run: constraints that go away first,
/// then renames, tables and columns, and constraints that come last.
#[derive(Default)]
struct Steps {
    drop_foreign_keys: Vec<Operation>,
    drop_constraints: Vec<Operation>,
    rename_tables: Vec<Operation>,
    rename_columns: Vec<Operation>,
    create_tables: Vec<Operation>,
    change_columns: Vec<Operation>,
    drop_columns: Vec<Operation>,
    drop_tables: Vec<Operation>,
    add_constraints: Vec<Operation>,
    add_foreign_keys: Vec<Operation>,
}

impl Steps {
    fn into_list(self) -> Vec<Operation> {
        [
            self.drop_foreign_keys,
            self.drop_constraints,
            self.rename_tables,
            self.rename_columns,
            self.create_tables,
            self.change_columns,
            self.drop_columns,
            self.drop_tables,
            self.add_constraints,
            self.add_foreign_keys,
        ]
        .concat()
    }
}

/// The operations that change `live` (read from a database on `backend`) into `target`
/// (described from the models for the same backend), in the order to run them.
/// Renames happen only where the target says (`renamed_from`); otherwise a missing
/// table or column is created and an unknown one dropped.
///
/// On SQLite, a table whose change cannot be made in place (a column's type,
/// nullability or default, a dropped column, a new NOT NULL column without a default, a
/// UNIQUE, foreign key or CHECK) becomes one [`Operation::RebuildTable`].
///
/// The reverse of the list is `ops.iter().rev().map(Operation::reverse)`.
///
/// A change orm does not migrate (a different primary key, a column that gains or
/// loses auto-increment) is [`MigrateError::Unsupported`].
pub fn diff(
    live: &Schema,
    target: &Schema,
    backend: Backend,
) -> Result<Vec<Operation>, MigrateError> {
    let mut steps = Steps::default();
    let mut table_renames: Vec<(String, String)> = Vec::new();
    let mut pairs: Vec<(&Table, &Table)> = Vec::new();
    let mut created: Vec<&Table> = Vec::new();
    for t in &target.tables {
        let found = live.table(&t.name).or_else(|| {
            let old = t.renamed_from.as_deref()?;
            target
                .table(old)
                .is_none()
                .then(|| live.table(old))
                .flatten()
        });
        match found {
            Some(l) => {
                if l.name != t.name {
                    table_renames.push((l.name.clone(), t.name.clone()));
                }
                pairs.push((l, t));
            }
            None => created.push(t),
        }
    }
    for (from, to) in &table_renames {
        steps.rename_tables.push(Operation::RenameTable {
            from: from.clone(),
            to: to.clone(),
        });
    }
    let server = backend != Backend::Sqlite;
    for t in created {
        let mut table = clean(t);
        if server {
            for fk in std::mem::take(&mut table.foreign_keys) {
                steps.add_foreign_keys.push(Operation::AddForeignKey {
                    table: table.name.clone(),
                    foreign_key: fk,
                });
            }
        }
        steps.create_tables.push(Operation::CreateTable(table));
    }
    for (l, t) in &pairs {
        diff_table(l, t, backend, &table_renames, &mut steps)?;
    }
    for l in live.tables.iter().rev() {
        if pairs.iter().any(|(p, _)| p.name == l.name) {
            continue;
        }
        let mut table = l.clone();
        if server {
            for fk in std::mem::take(&mut table.foreign_keys) {
                steps.drop_foreign_keys.push(Operation::DropForeignKey {
                    table: table.name.clone(),
                    foreign_key: fk,
                });
            }
        }
        steps.drop_tables.push(Operation::DropTable(table));
    }
    Ok(steps.into_list())
}

/// `t` without its `renamed_from` notes (a table as it will be in the database).
fn clean(t: &Table) -> Table {
    let mut table = t.clone();
    table.renamed_from = None;
    for c in &mut table.columns {
        c.renamed_from = None;
    }
    table
}

/// The changes of one table, `l` as it is (under its old name if renamed) and `t` as
/// the models describe it.
fn diff_table(
    l: &Table,
    t: &Table,
    backend: Backend,
    table_renames: &[(String, String)],
    steps: &mut Steps,
) -> Result<(), MigrateError> {
    let target = clean(t);
    // Columns: by name, else by the name the model says it had.
    let mut renamed: Vec<(String, String)> = Vec::new();
    let mut matched: Vec<(&Column, &Column)> = Vec::new();
    let mut added: Vec<&Column> = Vec::new();
    for c in &t.columns {
        let found = l.column(&c.name).or_else(|| {
            let old = c.renamed_from.as_deref()?;
            t.column(old).is_none().then(|| l.column(old)).flatten()
        });
        match found {
            Some(old) => {
                if old.name != c.name {
                    renamed.push((old.name.clone(), c.name.clone()));
                }
                matched.push((old, c));
            }
            None => added.push(c),
        }
    }
    let dropped: Vec<&Column> = l
        .columns
        .iter()
        .filter(|c| !matched.iter().any(|(old, _)| old.name == c.name))
        .collect();
    let column = |name: &str| -> String {
        renamed
            .iter()
            .find(|(old, _)| old == name)
            .map_or(name, |(_, new)| new.as_str())
            .to_string()
    };
    let columns = |list: &[String]| list.iter().map(|c| column(c)).collect::<Vec<_>>();
    let table_name = |name: &str| -> String {
        table_renames
            .iter()
            .find(|(old, _)| old == name)
            .map_or(name, |(_, new)| new.as_str())
            .to_string()
    };

    if columns(&l.primary_key) != t.primary_key {
        return Err(MigrateError::Unsupported {
            operation: format!(
                "change the primary key of {} from ({}) to ({})",
                t.name,
                l.primary_key.join(", "),
                t.primary_key.join(", ")
            ),
            backend,
        });
    }
    let mut altered: Vec<(Column, &Column)> = Vec::new();
    for (old, new) in &matched {
        if old.auto_increment != new.auto_increment {
            return Err(MigrateError::Unsupported {
                operation: format!("change whether {}.{} is auto-increment", t.name, new.name),
                backend,
            });
        }
        let changed = canonical_type(&old.sql_type) != canonical_type(&new.sql_type)
            || old.nullable != new.nullable
            || !same_default(old.default.as_deref(), new.default.as_deref());
        if changed {
            let mut from = (*old).clone();
            from.name = new.name.clone();
            altered.push((from, new));
        }
    }

    let mapped = |i: &Index| Index {
        name: i.name.clone(),
        columns: columns(&i.columns),
    };
    let index_changes = |live: &[Index], want: &[Index]| -> (Vec<Index>, Vec<Index>) {
        let gone = live
            .iter()
            .filter(|i| !want.iter().any(|w| w.columns == mapped(i).columns))
            .cloned()
            .collect();
        let new = want
            .iter()
            .filter(|w| !live.iter().any(|i| mapped(i).columns == w.columns))
            .cloned()
            .collect();
        (gone, new)
    };
    let (uniques_gone, uniques_new) = index_changes(&l.uniques, &t.uniques);
    let (indexes_gone, indexes_new) = index_changes(&l.indexes, &t.indexes);
    let same_fk = |a: &ForeignKey, b: &ForeignKey| {
        column(&a.column) == b.column
            && table_name(&a.target_table) == b.target_table
            && a.target_column == b.target_column
            && a.on_delete == b.on_delete
    };
    let fks_gone: Vec<&ForeignKey> = l
        .foreign_keys
        .iter()
        .filter(|a| !t.foreign_keys.iter().any(|b| same_fk(a, b)))
        .collect();
    let fks_new: Vec<&ForeignKey> = t
        .foreign_keys
        .iter()
        .filter(|b| !l.foreign_keys.iter().any(|a| same_fk(a, b)))
        .collect();
    let checks_gone: Vec<_> = l
        .checks
        .iter()
        .filter(|c| !t.checks.iter().any(|w| same_check(c, w)))
        .collect();
    let checks_new: Vec<_> = t
        .checks
        .iter()
        .filter(|w| !l.checks.iter().any(|c| same_check(c, w)))
        .collect();

    if backend == Backend::Sqlite {
        let in_place = altered.is_empty()
            && dropped.is_empty()
            && added.iter().all(|c| c.nullable || c.default.is_some())
            && uniques_gone.is_empty()
            && uniques_new.is_empty()
            && fks_gone.is_empty()
            && fks_new.is_empty()
            && checks_gone.is_empty()
            && checks_new.is_empty();
        if !in_place {
            let mut from = l.clone();
            from.name = t.name.clone();
            steps.change_columns.push(Operation::RebuildTable {
                from,
                to: target,
                renamed,
            });
            return Ok(());
        }
    }

    // Constraints go under the old names, before any rename; the rest under the new.
    let (old, new) = (|| l.name.clone(), || t.name.clone());
    steps
        .drop_foreign_keys
        .extend(fks_gone.into_iter().map(|fk| Operation::DropForeignKey {
            table: old(),
            foreign_key: fk.clone(),
        }));
    steps.drop_constraints.extend(
        (uniques_gone
            .into_iter()
            .map(|unique| Operation::DropUnique {
                table: old(),
                unique,
            }))
        .chain(indexes_gone.into_iter().map(|index| Operation::DropIndex {
            table: old(),
            index,
        }))
        .chain(checks_gone.into_iter().map(|check| Operation::DropCheck {
            table: old(),
            check: check.clone(),
        })),
    );
    steps.rename_columns.extend(
        renamed
            .into_iter()
            .map(|(from, to)| Operation::RenameColumn {
                table: new(),
                from,
                to,
            }),
    );
    steps.change_columns.extend(
        (added.into_iter().map(|c| Operation::AddColumn {
            table: new(),
            column: Column {
                renamed_from: None,
                ..c.clone()
            },
        }))
        .chain(
            altered
                .into_iter()
                .map(|(from, to)| Operation::AlterColumn {
                    table: new(),
                    from,
                    to: Column {
                        renamed_from: None,
                        ..to.clone()
                    },
                }),
        ),
    );
    steps
        .drop_columns
        .extend(dropped.into_iter().map(|c| Operation::DropColumn {
            table: new(),
            column: c.clone(),
        }));
    steps.add_constraints.extend(
        (uniques_new.into_iter().map(|unique| Operation::AddUnique {
            table: new(),
            unique,
        }))
        .chain(indexes_new.into_iter().map(|index| Operation::AddIndex {
            table: new(),
            index,
        }))
        .chain(checks_new.into_iter().map(|check| Operation::AddCheck {
            table: new(),
            check: check.clone(),
        })),
    );
    steps
        .add_foreign_keys
        .extend(fks_new.into_iter().map(|fk| Operation::AddForeignKey {
            table: new(),
            foreign_key: fk.clone(),
        }));
    Ok(())
}

/// Whether two CHECKs are the same: the same name and the same string literals (an enum's
/// variant names). Each server rewrites a CHECK's text its own way (PostgreSQL: `= ANY
/// (ARRAY['a'::character varying, ..])`), so the text is not compared, but the literals
/// survive every rewriting, and they are what changes when an enum gains or loses a
/// variant.
fn same_check(a: &Check, b: &Check) -> bool {
    a.name == b.name && string_literals(&a.expression) == string_literals(&b.expression)
}

/// The single-quoted literals of `sql` (`''` inside one is a quote), sorted.
fn string_literals(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut literal = String::new();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    literal.push('\'');
                    continue;
                }
                break;
            }
            literal.push(c);
        }
        out.push(literal);
    }
    out.sort();
    out
}
