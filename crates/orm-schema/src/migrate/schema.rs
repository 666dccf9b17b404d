//! A schema as data: tables with their columns, primary key, unique constraints, indexes,
//! foreign keys and CHECKs, in the terms the DDL writes them. Built from models
//! ([`describe`](super::describe)) or read from a live database (orm-exec's introspection,
//! through [`assemble`](super::assemble)), so the two compare on one footing.

/// Every table of a schema.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    /// The tables; built from models, referenced tables come first.
    pub tables: Vec<Table>,
}

impl Schema {
    /// The table named `name`, if any.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// One table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The table's name.
    pub name: String,
    /// Its previous name, when the model says (`#[orm(renamed_from = "...")]`); never set
    /// on a table read from a database.
    pub renamed_from: Option<String>,
    /// The columns in order.
    pub columns: Vec<Column>,
    /// The primary key's columns.
    pub primary_key: Vec<String>,
    /// UNIQUE constraints (a unique index, on MySQL).
    pub uniques: Vec<Index>,
    /// Plain (non-unique) indexes.
    pub indexes: Vec<Index>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Named CHECK constraints.
    pub checks: Vec<Check>,
}

impl Table {
    /// The column named `name`, if any.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether `column` is this table's single-column primary key.
    pub fn is_sole_key(&self, column: &str) -> bool {
        self.primary_key.len() == 1 && self.primary_key[0] == column
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// Its previous name, when the model says (`#[orm(renamed_from = "...")]`); never set
    /// on a column read from a database.
    pub renamed_from: Option<String>,
    /// The type as the DDL writes it (`VARCHAR(100)`, `BIGINT`, `NUMERIC(8, 2)`).
    pub sql_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The SQL DEFAULT as the DDL writes it (`0`, `'Draft'`, MySQL's `('')`), if any.
    pub default: Option<String>,
    /// Whether the database generates the value (SQLite AUTOINCREMENT, PostgreSQL
    /// identity, MySQL AUTO_INCREMENT).
    pub auto_increment: bool,
}

/// A UNIQUE constraint or an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// The constraint's or index's name.
    pub name: String,
    /// The columns, in order.
    pub columns: Vec<String>,
}

/// A single-column foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// The constraint's name (on SQLite, the name in the table's SQL; empty when it has
    /// none).
    pub name: String,
    /// The referencing column.
    pub column: String,
    /// The referenced table.
    pub target_table: String,
    /// The referenced column.
    pub target_column: String,
    /// The ON DELETE action in SQL words, upper case (`CASCADE`, `RESTRICT`, `SET NULL`,
    /// `NO ACTION`, `SET DEFAULT`).
    pub on_delete: String,
}

/// A named CHECK constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The constraint's name.
    pub name: String,
    /// The condition, as the backend gives it back (valid SQL on that backend).
    pub expression: String,
}
