//! [`Operation`]: one change to a schema, its SQL per backend and its reverse.

use std::fmt;

use crate::backend::Backend;
use crate::ddl::MysqlFlavor;

use super::render::{self, column_definition, column_list, foreign_key_clause, CreateOptions};
use super::schema::{Check, Column, ForeignKey, Index, Table};
use super::MigrateError;

/// One change to a schema. Each has a [`reverse`](Operation::reverse) and renders to SQL
/// for the backend its [`diff`](super::diff) was computed for ([`sql`](Operation::sql)).
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// Create a table (on PostgreSQL and MySQL its foreign keys come as
    /// [`AddForeignKey`](Operation::AddForeignKey)s after every table exists).
    CreateTable(Table),
    /// Drop a table (and its data).
    DropTable(Table),
    /// Rename a table.
    RenameTable {
        /// The current name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Add a column.
    AddColumn {
        /// The table (its full description: a column's definition depends on its key).
        table: String,
        /// The new column.
        column: Column,
    },
    /// Drop a column (and its data).
    DropColumn {
        /// The table.
        table: String,
        /// The column dropped, as it was.
        column: Column,
    },
    /// Rename a column.
    RenameColumn {
        /// The table.
        table: String,
        /// The current name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Change a column's type, nullability or default (PostgreSQL and MySQL; SQLite
    /// rebuilds the table instead).
    AlterColumn {
        /// The table.
        table: String,
        /// The column as it is.
        from: Column,
        /// The column as it becomes (same name).
        to: Column,
    },
    /// Add a UNIQUE constraint.
    AddUnique {
        /// The table.
        table: String,
        /// The constraint.
        unique: Index,
    },
    /// Drop a UNIQUE constraint.
    DropUnique {
        /// The table.
        table: String,
        /// The constraint.
        unique: Index,
    },
    /// Create an index.
    AddIndex {
        /// The table.
        table: String,
        /// The index.
        index: Index,
    },
    /// Drop an index.
    DropIndex {
        /// The table.
        table: String,
        /// The index.
        index: Index,
    },
    /// Add a foreign key.
    AddForeignKey {
        /// The referencing table.
        table: String,
        /// The key.
        foreign_key: ForeignKey,
    },
    /// Drop a foreign key.
    DropForeignKey {
        /// The referencing table.
        table: String,
        /// The key.
        foreign_key: ForeignKey,
    },
    /// Add a CHECK constraint.
    AddCheck {
        /// The table.
        table: String,
        /// The constraint.
        check: Check,
    },
    /// Drop a CHECK constraint.
    DropCheck {
        /// The table.
        table: String,
        /// The constraint.
        check: Check,
    },
    /// SQLite only: rebuild a table into a new shape by its documented procedure (create
    /// the new table, copy the rows, drop the old one, rename the new one, create its
    /// indexes). The migration runs with foreign keys off and checks them
    /// (`PRAGMA foreign_key_check`) before it commits.
    RebuildTable {
        /// The table as it is.
        from: Table,
        /// The table as it becomes (same name).
        to: Table,
        /// Columns renamed on the way, `(old, new)`.
        renamed: Vec<(String, String)>,
    },
}

/// What existing rows must satisfy for an operation to succeed, checked before a
/// migration is written (see [`value_checks`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueCheck {
    /// The table, under its name in the live database.
    pub table: String,
    /// The column, under its name in the live database (a new column: its new name).
    pub column: String,
    /// What must hold.
    pub rule: ValueRule,
}

/// See [`ValueCheck`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRule {
    /// A new NOT NULL column without a default: the table must hold no row.
    NoRows,
    /// A column becoming NOT NULL without a default: no row may hold NULL in it.
    NoNulls,
}

impl ValueCheck {
    /// The query counting the rows that break the rule (column `n`).
    pub fn count_sql(&self, backend: Backend) -> String {
        let table = backend.quote(&self.table);
        match self.rule {
            ValueRule::NoRows => format!("SELECT COUNT(*) AS n FROM {table}"),
            ValueRule::NoNulls => format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE {} IS NULL",
                backend.quote(&self.column)
            ),
        }
    }
}

/// The checks existing rows must pass for `operations` (a list from [`diff`](super::diff))
/// to run: a new NOT NULL column without a default needs an empty table, a column made
/// NOT NULL without a default needs no NULL in it. Names are mapped back through the
/// list's renames to the live database's.
pub fn value_checks(operations: &[Operation]) -> Vec<ValueCheck> {
    let live_table = |name: &str| -> String {
        operations
            .iter()
            .find_map(|op| match op {
                Operation::RenameTable { from, to } if to == name => Some(from.clone()),
                _ => None,
            })
            .unwrap_or_else(|| name.to_string())
    };
    let live_column = |table: &str, name: &str| -> String {
        operations
            .iter()
            .find_map(|op| match op {
                Operation::RenameColumn { table: t, from, to } if t == table && to == name => {
                    Some(from.clone())
                }
                _ => None,
            })
            .unwrap_or_else(|| name.to_string())
    };
    let needs_value = |c: &Column| !c.nullable && c.default.is_none() && !c.auto_increment;
    let mut out = Vec::new();
    for op in operations {
        match op {
            Operation::AddColumn { table, column } if needs_value(column) => out.push(ValueCheck {
                table: live_table(table),
                column: column.name.clone(),
                rule: ValueRule::NoRows,
            }),
            Operation::AlterColumn { table, from, to } if from.nullable && needs_value(to) => out
                .push(ValueCheck {
                    table: live_table(table),
                    column: live_column(table, &to.name),
                    rule: ValueRule::NoNulls,
                }),
            Operation::RebuildTable { from, to, renamed } => {
                for column in to.columns.iter().filter(|c| needs_value(c)) {
                    let source = old_name(renamed, &column.name);
                    let rule = match from.column(source) {
                        None => ValueRule::NoRows,
                        Some(old) if old.nullable => ValueRule::NoNulls,
                        Some(_) => continue,
                    };
                    out.push(ValueCheck {
                        table: live_table(&from.name),
                        column: source.to_string(),
                        rule,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The name of the new table a rebuild copies into.
/// The name `old` has after `renamed` (pairs of old and new names): itself when it is not
/// renamed.
pub(crate) fn new_name<'a>(renamed: &'a [(String, String)], old: &'a str) -> &'a str {
    renamed
        .iter()
        .find(|(from, _)| from == old)
        .map_or(old, |(_, to)| to.as_str())
}

/// The name `new` had before `renamed` (pairs of old and new names): itself when it is not
/// renamed.
fn old_name<'a>(renamed: &'a [(String, String)], new: &'a str) -> &'a str {
    renamed
        .iter()
        .find(|(_, to)| to == new)
        .map_or(new, |(from, _)| from.as_str())
}

fn rebuild_name(table: &str) -> String {
    format!("_orm_new_{table}")
}

impl Operation {
    /// The operation that undoes this one.
    pub fn reverse(&self) -> Operation {
        use Operation::*;
        match self.clone() {
            CreateTable(t) => DropTable(t),
            DropTable(t) => CreateTable(t),
            RenameTable { from, to } => RenameTable { from: to, to: from },
            AddColumn { table, column } => DropColumn { table, column },
            DropColumn { table, column } => AddColumn { table, column },
            RenameColumn { table, from, to } => RenameColumn {
                table,
                from: to,
                to: from,
            },
            AlterColumn { table, from, to } => AlterColumn {
                table,
                from: to,
                to: from,
            },
            AddUnique { table, unique } => DropUnique { table, unique },
            DropUnique { table, unique } => AddUnique { table, unique },
            AddIndex { table, index } => DropIndex { table, index },
            DropIndex { table, index } => AddIndex { table, index },
            AddForeignKey { table, foreign_key } => DropForeignKey { table, foreign_key },
            DropForeignKey { table, foreign_key } => AddForeignKey { table, foreign_key },
            AddCheck { table, check } => DropCheck { table, check },
            DropCheck { table, check } => AddCheck { table, check },
            RebuildTable { from, to, renamed } => RebuildTable {
                from: to,
                to: from,
                renamed: renamed.into_iter().map(|(a, b)| (b, a)).collect(),
            },
        }
    }

    /// Whether this operation loses data: a table or column dropped, or a rebuild that
    /// leaves a column behind.
    pub fn drops_data(&self) -> bool {
        match self {
            Operation::DropTable(_) | Operation::DropColumn { .. } => true,
            Operation::RebuildTable { from, to, renamed } => from
                .columns
                .iter()
                .any(|c| to.column(new_name(renamed, &c.name)).is_none()),
            _ => false,
        }
    }

    /// The statements of this operation on `backend` (`flavor`: the MySQL-family
    /// server, for a new table's collation). An operation the backend cannot run in
    /// place ([`AlterColumn`](Operation::AlterColumn) and the constraint changes on
    /// SQLite, which [`diff`](super::diff) turns into a
    /// [`RebuildTable`](Operation::RebuildTable)), or a rebuild on a server, is
    /// [`MigrateError::Unsupported`].
    pub fn sql(&self, backend: Backend, flavor: MysqlFlavor) -> Result<Vec<String>, MigrateError> {
        use Operation::*;
        let q = |s: &str| backend.quote(s);
        let unsupported = || MigrateError::Unsupported {
            operation: self.to_string(),
            backend,
        };
        let options = CreateOptions {
            if_not_exists: false,
            flavor,
        };
        let alter = |table: &str, rest: String| format!("ALTER TABLE {} {rest}", q(table));
        Ok(match self {
            CreateTable(t) => render::create_table(t, backend, options, |_| true),
            DropTable(t) => vec![format!("DROP TABLE {}", q(&t.name))],
            RenameTable { from, to } => vec![alter(from, format!("RENAME TO {}", q(to)))],
            AddColumn { table, column } => vec![alter(
                table,
                format!("ADD COLUMN {}", column_definition(column, backend, false)),
            )],
            DropColumn { table, column } => {
                vec![alter(table, format!("DROP COLUMN {}", q(&column.name)))]
            }
            RenameColumn { table, from, to } => {
                vec![alter(
                    table,
                    format!("RENAME COLUMN {} TO {}", q(from), q(to)),
                )]
            }
            AlterColumn { table, from, to } => match backend {
                Backend::Sqlite => return Err(unsupported()),
                Backend::Postgres => alter_postgres(from, to)
                    .into_iter()
                    .map(|rest| alter(table, rest))
                    .collect(),
                Backend::Mysql => vec![alter(
                    table,
                    format!("MODIFY COLUMN {}", column_definition(to, backend, false)),
                )],
            },
            AddUnique { table, unique } if backend != Backend::Sqlite => vec![alter(
                table,
                format!(
                    "ADD CONSTRAINT {} UNIQUE ({})",
                    q(&unique.name),
                    column_list(&unique.columns, backend)
                ),
            )],
            DropUnique { table, unique } => match backend {
                Backend::Sqlite => return Err(unsupported()),
                Backend::Postgres => {
                    vec![alter(table, format!("DROP CONSTRAINT {}", q(&unique.name)))]
                }
                Backend::Mysql => vec![alter(table, format!("DROP INDEX {}", q(&unique.name)))],
            },
            AddIndex { table, index } => {
                vec![render::create_index(table, index, backend, false)]
            }
            DropIndex { table, index } => match backend {
                Backend::Mysql => vec![format!("DROP INDEX {} ON {}", q(&index.name), q(table))],
                _ => vec![format!("DROP INDEX {}", q(&index.name))],
            },
            AddForeignKey { table, foreign_key } if backend != Backend::Sqlite => {
                vec![alter(
                    table,
                    format!("ADD {}", foreign_key_clause(foreign_key, backend)),
                )]
            }
            DropForeignKey { table, foreign_key } => match backend {
                Backend::Sqlite => return Err(unsupported()),
                Backend::Postgres => {
                    vec![alter(
                        table,
                        format!("DROP CONSTRAINT {}", q(&foreign_key.name)),
                    )]
                }
                Backend::Mysql => {
                    vec![alter(
                        table,
                        format!("DROP FOREIGN KEY {}", q(&foreign_key.name)),
                    )]
                }
            },
            AddCheck { table, check } if backend != Backend::Sqlite => vec![alter(
                table,
                format!(
                    "ADD CONSTRAINT {} CHECK ({})",
                    q(&check.name),
                    check.expression
                ),
            )],
            DropCheck { table, check } if backend != Backend::Sqlite => {
                vec![alter(table, format!("DROP CONSTRAINT {}", q(&check.name)))]
            }
            RebuildTable { from, to, renamed } if backend == Backend::Sqlite => {
                rebuild_sqlite(from, to, renamed)
            }
            AddUnique { .. }
            | AddForeignKey { .. }
            | AddCheck { .. }
            | DropCheck { .. }
            | RebuildTable { .. } => return Err(unsupported()),
        })
    }
}

/// The `ALTER TABLE t ...` tails that change a PostgreSQL column from `from` to `to`:
/// the default is dropped before a type change (an old default may not cast) and set
/// after it.
fn alter_postgres(from: &Column, to: &Column) -> Vec<String> {
    let b = Backend::Postgres;
    let col = format!("ALTER COLUMN {}", b.quote(&to.name));
    let type_changed = super::normalize::canonical_type(&from.sql_type)
        != super::normalize::canonical_type(&to.sql_type);
    let default_changed =
        !super::normalize::same_default(from.default.as_deref(), to.default.as_deref());
    let mut out = Vec::new();
    if from.default.is_some() && (type_changed || default_changed) {
        out.push(format!("{col} DROP DEFAULT"));
    }
    if type_changed {
        out.push(format!(
            "{col} TYPE {ty} USING {}::{ty}",
            b.quote(&to.name),
            ty = to.sql_type
        ));
    }
    if from.nullable != to.nullable {
        out.push(format!(
            "{col} {} NOT NULL",
            if to.nullable { "DROP" } else { "SET" }
        ));
    }
    if let Some(default) = &to.default {
        if type_changed || default_changed {
            out.push(format!("{col} SET DEFAULT {default}"));
        }
    }
    out
}

/// SQLite's table rebuild (<https://sqlite.org/lang_altertable.html#otheralter>, steps
/// 4 to 8): create the new table under another name, copy the rows, drop the old table,
/// rename the new one, create its indexes. Steps 1, 2, 10 to 12 (foreign keys off, the
/// transaction, `PRAGMA foreign_key_check`, commit, foreign keys on) are the runner's.
fn rebuild_sqlite(from: &Table, to: &Table, renamed: &[(String, String)]) -> Vec<String> {
    let b = Backend::Sqlite;
    let temp = rebuild_name(&to.name);
    let options = CreateOptions {
        if_not_exists: false,
        flavor: MysqlFlavor::default(),
    };
    let mut out = vec![render::table_statement(&temp, to, b, options, |_| true)];
    let mut targets = Vec::new();
    let mut sources = Vec::new();
    for column in &to.columns {
        let Some(old) = from.column(old_name(renamed, &column.name)) else {
            continue; // a new column: its default (or NULL) fills it
        };
        targets.push(b.quote(&column.name));
        let value = b.quote(&old.name);
        sources.push(match &column.default {
            // NULLs of a column that becomes NOT NULL take its default.
            Some(default) if old.nullable && !column.nullable => {
                format!("COALESCE({value}, {default})")
            }
            _ => value,
        });
    }
    out.push(format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        b.quote(&temp),
        targets.join(", "),
        sources.join(", "),
        b.quote(&from.name)
    ));
    out.push(format!("DROP TABLE {}", b.quote(&from.name)));
    out.push(format!(
        "ALTER TABLE {} RENAME TO {}",
        b.quote(&temp),
        b.quote(&to.name)
    ));
    out.extend(
        to.indexes
            .iter()
            .map(|i| render::create_index(&to.name, i, b, false)),
    );
    out
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Operation::*;
        match self {
            CreateTable(t) => write!(f, "create table {}", t.name),
            DropTable(t) => write!(f, "drop table {} (its rows are lost)", t.name),
            RenameTable { from, to } => write!(f, "rename table {from} to {to}"),
            AddColumn { table, column } => write!(f, "add column {table}.{}", column.name),
            DropColumn { table, column } => {
                write!(
                    f,
                    "drop column {table}.{} (its values are lost)",
                    column.name
                )
            }
            RenameColumn { table, from, to } => {
                write!(f, "rename column {table}.{from} to {to}")
            }
            AlterColumn { table, from, to } => {
                write!(f, "alter column {table}.{}: ", to.name)?;
                let mut parts = Vec::new();
                if from.sql_type != to.sql_type {
                    parts.push(format!("type {} -> {}", from.sql_type, to.sql_type));
                }
                if from.nullable != to.nullable {
                    parts.push(if to.nullable { "nullable" } else { "NOT NULL" }.to_string());
                }
                if from.default != to.default {
                    parts.push(format!(
                        "default {} -> {}",
                        from.default.as_deref().unwrap_or("none"),
                        to.default.as_deref().unwrap_or("none")
                    ));
                }
                f.write_str(&parts.join(", "))
            }
            AddUnique { table, unique } => write!(f, "add unique {} on {table}", unique.name),
            DropUnique { table, unique } => write!(f, "drop unique {} on {table}", unique.name),
            AddIndex { table, index } => write!(f, "add index {} on {table}", index.name),
            DropIndex { table, index } => write!(f, "drop index {} on {table}", index.name),
            AddForeignKey { table, foreign_key } => {
                write!(f, "add foreign key {table}.{}", foreign_key.column)
            }
            DropForeignKey { table, foreign_key } => {
                write!(f, "drop foreign key {table}.{}", foreign_key.column)
            }
            AddCheck { table, check } => write!(f, "add check {} on {table}", check.name),
            DropCheck { table, check } => write!(f, "drop check {} on {table}", check.name),
            RebuildTable { to, .. } => {
                write!(f, "rebuild table {}", to.name)?;
                if self.drops_data() {
                    f.write_str(" (dropped columns' values are lost)")?;
                }
                Ok(())
            }
        }
    }
}
