//! [`diff`]: the operations that take a live schema to the one the models describe.

use crate::backend::Backend;

use super::normalize::{canonical_type, same_default};
use super::ops::{new_name, Operation};
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
    let Matched {
        renames: table_renames,
        pairs,
        new: created,
    } = match_names(&live.tables, &target.tables, |t| {
        (t.name.as_str(), t.renamed_from.as_deref())
    });
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
            steps.add_foreign_keys.extend(take_foreign_keys(&mut table));
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
            let drops = take_foreign_keys(&mut table).map(|add| add.reverse());
            steps.drop_foreign_keys.extend(drops);
        }
        steps.drop_tables.push(Operation::DropTable(table));
    }
    Ok(steps.into_list())
}

/// The items (tables or columns) of `target` matched with those of `live`.
struct Matched<'a, T> {
    /// The live and target names of each item matched under another name.
    renames: Vec<(String, String)>,
    /// Each matched pair, the live item first.
    pairs: Vec<(&'a T, &'a T)>,
    /// The items of `target` that match none.
    new: Vec<&'a T>,
}

/// Matches the items of `target` with those of `live`, whose name and previous name
/// `names` gives: by name, else by the name the model says the item had, when `live` has
/// an item of that name and `target` does not.
fn match_names<'a, T>(
    live: &'a [T],
    target: &'a [T],
    names: impl Fn(&T) -> (&str, Option<&str>),
) -> Matched<'a, T> {
    let find = |list: &'a [T], name: &str| list.iter().find(|x| names(x).0 == name);
    let mut matched = Matched {
        renames: Vec::new(),
        pairs: Vec::new(),
        new: Vec::new(),
    };
    for t in target {
        let (name, old) = names(t);
        let found = find(live, name).or_else(|| {
            let old = old?;
            find(target, old)
                .is_none()
                .then(|| find(live, old))
                .flatten()
        });
        match found {
            Some(l) => {
                let live_name = names(l).0;
                if live_name != name {
                    matched
                        .renames
                        .push((live_name.to_string(), name.to_string()));
                }
                matched.pairs.push((l, t));
            }
            None => matched.new.push(t),
        }
    }
    matched
}

/// Takes `table`'s foreign keys out of it (a server creates or drops them apart from the
/// table), as the operations that add them.
fn take_foreign_keys(table: &mut Table) -> impl Iterator<Item = Operation> + '_ {
    let foreign_keys = std::mem::take(&mut table.foreign_keys);
    foreign_keys
        .into_iter()
        .map(|foreign_key| Operation::AddForeignKey {
            table: table.name.clone(),
            foreign_key,
        })
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
    let Matched {
        renames: renamed,
        pairs: matched,
        new: added,
    } = match_names(&l.columns, &t.columns, |c| {
        (c.name.as_str(), c.renamed_from.as_deref())
    });
    let dropped: Vec<&Column> = l
        .columns
        .iter()
        .filter(|c| !matched.iter().any(|(old, _)| old.name == c.name))
        .collect();
    let column = |name: &str| new_name(&renamed, name).to_string();
    let columns = |list: &[String]| list.iter().map(|c| column(c)).collect::<Vec<_>>();
    let table_name = |name: &str| new_name(table_renames, name).to_string();

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

    let same_index = |i: &Index, w: &Index| columns(&i.columns) == w.columns;
    let same_fk = |a: &ForeignKey, b: &ForeignKey| {
        column(&a.column) == b.column
            && table_name(&a.target_table) == b.target_table
            && a.target_column == b.target_column
            && a.on_delete == b.on_delete
    };
    let (gone, fresh) = Constraints::between(l, t, same_index, same_fk);

    if backend == Backend::Sqlite {
        let in_place = altered.is_empty()
            && dropped.is_empty()
            && added.iter().all(|c| c.nullable || c.default.is_some())
            && gone.only_indexes()
            && fresh.only_indexes();
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
    let new = || t.name.clone();
    let (foreign_keys, others) = gone.adding(&l.name);
    let drop = |adds: Vec<Operation>| adds.into_iter().map(|add| add.reverse());
    steps.drop_foreign_keys.extend(drop(foreign_keys));
    steps.drop_constraints.extend(drop(others));
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
    let (foreign_keys, others) = fresh.adding(&t.name);
    steps.add_constraints.extend(others);
    steps.add_foreign_keys.extend(foreign_keys);
    Ok(())
}

/// The items of `live` that `want` has no match for (by `same(live, want)`), and the items
/// of `want` that `live` has no match for.
fn changes<'a, T>(
    live: &'a [T],
    want: &'a [T],
    same: impl Fn(&T, &T) -> bool,
) -> (Vec<&'a T>, Vec<&'a T>) {
    let gone = live
        .iter()
        .filter(|a| !want.iter().any(|b| same(a, b)))
        .collect();
    let new = want
        .iter()
        .filter(|b| !live.iter().any(|a| same(a, b)))
        .collect();
    (gone, new)
}

/// The constraints of one table that go away, or that come.
struct Constraints<'a> {
    foreign_keys: Vec<&'a ForeignKey>,
    uniques: Vec<&'a Index>,
    indexes: Vec<&'a Index>,
    checks: Vec<&'a Check>,
}

impl<'a> Constraints<'a> {
    /// The constraints of `live` that `target` lacks, and those of `target` that `live`
    /// lacks, matching indexes (and UNIQUEs) by `same_index` and foreign keys by
    /// `same_fk`, each given the live one first.
    fn between(
        live: &'a Table,
        target: &'a Table,
        same_index: impl Fn(&Index, &Index) -> bool,
        same_fk: impl Fn(&ForeignKey, &ForeignKey) -> bool,
    ) -> (Self, Self) {
        let (uniques_gone, uniques_new) = changes(&live.uniques, &target.uniques, &same_index);
        let (indexes_gone, indexes_new) = changes(&live.indexes, &target.indexes, &same_index);
        let (fks_gone, fks_new) = changes(&live.foreign_keys, &target.foreign_keys, same_fk);
        let (checks_gone, checks_new) = changes(&live.checks, &target.checks, same_check);
        let gone = Constraints {
            foreign_keys: fks_gone,
            uniques: uniques_gone,
            indexes: indexes_gone,
            checks: checks_gone,
        };
        let fresh = Constraints {
            foreign_keys: fks_new,
            uniques: uniques_new,
            indexes: indexes_new,
            checks: checks_new,
        };
        (gone, fresh)
    }

    /// Whether the only changes are indexes (which SQLite makes in place).
    fn only_indexes(&self) -> bool {
        self.foreign_keys.is_empty() && self.uniques.is_empty() && self.checks.is_empty()
    }

    /// The operations that add them to `table`: the foreign keys', and the others' (the
    /// UNIQUEs, then the indexes, then the CHECKs). Their reverses drop them.
    fn adding(self, table: &str) -> (Vec<Operation>, Vec<Operation>) {
        let table = || table.to_string();
        let foreign_keys = self
            .foreign_keys
            .into_iter()
            .map(|fk| Operation::AddForeignKey {
                table: table(),
                foreign_key: fk.clone(),
            });
        let uniques = self.uniques.into_iter().map(|unique| Operation::AddUnique {
            table: table(),
            unique: unique.clone(),
        });
        let indexes = self.indexes.into_iter().map(|index| Operation::AddIndex {
            table: table(),
            index: index.clone(),
        });
        let checks = self.checks.into_iter().map(|check| Operation::AddCheck {
            table: table(),
            check: check.clone(),
        });
        let others = uniques.chain(indexes).chain(checks).collect();
        (foreign_keys.collect(), others)
    }
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
