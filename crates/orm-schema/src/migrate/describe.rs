//! The [`Schema`] a set of models declares, in the terms the DDL writes it.

use crate::backend::Backend;
use crate::ddl::{self, column_type, plan, SchemaError};
use crate::meta::{DefaultValue, FieldMeta, ModelMeta};

use super::schema::{Check, Column, ForeignKey, Index, Schema, Table};

/// The schema `models` declare on `backend`: every table in creation order (referenced
/// tables first), each as `create_all` creates it. Checked as `create_all` checks models
/// ([`ddl::plan`]).
pub fn describe(models: &[&'static ModelMeta], backend: Backend) -> Result<Schema, SchemaError> {
    let plan = plan(models)?;
    Ok(Schema {
        tables: plan
            .order
            .iter()
            .map(|m| describe_table(m, backend))
            .collect(),
    })
}

/// The table `meta` declares on `backend` (see [`describe`]).
pub fn describe_table(meta: &ModelMeta, backend: Backend) -> Table {
    let mut table = Table {
        name: meta.table.to_string(),
        renamed_from: meta.renamed_from.map(str::to_string),
        columns: meta
            .fields
            .iter()
            .map(|f| describe_column(f, backend))
            .collect(),
        primary_key: meta
            .primary_key()
            .map(|f| vec![f.column.to_string()])
            .unwrap_or_default(),
        ..Table::default()
    };
    for field in meta.fields {
        let one_to_one = field.foreign_key.as_ref().is_some_and(|fk| fk.one_to_one);
        if !field.primary_key && (field.unique || one_to_one) {
            table.uniques.push(Index {
                name: ddl::constraint_name("uq", meta.table, field.column),
                columns: vec![field.column.to_string()],
            });
        }
        if let Some(expression) = ddl::check_constraint(field, backend) {
            table.checks.push(Check {
                name: ddl::constraint_name("ck", meta.table, field.column),
                expression,
            });
        }
        if ddl::needs_index(field) {
            table.indexes.push(Index {
                name: ddl::index_name(meta, field),
                columns: vec![field.column.to_string()],
            });
        }
        if let Some(fk) = describe_foreign_key(meta, field) {
            table.foreign_keys.push(fk);
        }
    }
    let groups = |prefix, groups: &[&[&str]]| -> Vec<Index> {
        groups
            .iter()
            .map(|columns| Index {
                name: ddl::together_name(prefix, meta.table, columns),
                columns: columns.iter().map(|c| c.to_string()).collect(),
            })
            .collect()
    };
    table.uniques.extend(groups("uq", meta.unique_together));
    table.indexes.extend(groups("ix", meta.index_together));
    table
}

/// The column `field` declares on `backend`.
fn describe_column(field: &FieldMeta, backend: Backend) -> Column {
    let auto_increment = field.primary_key && field.auto_increment;
    // SQLite's AUTOINCREMENT needs the rowid's own type.
    let sql_type = if auto_increment && backend == Backend::Sqlite {
        "INTEGER".to_string()
    } else {
        column_type(field, backend)
    };
    let default = match field.default {
        Some(DefaultValue::Static(lit)) if !auto_increment => {
            Some(ddl::default_literal(field, lit, backend))
        }
        _ => None,
    };
    Column {
        name: field.column.to_string(),
        renamed_from: field.renamed_from.map(str::to_string),
        sql_type,
        nullable: field.nullable && !field.primary_key,
        default,
        auto_increment,
    }
}

/// The foreign key of `field`, when it has one whose target has a primary key.
fn describe_foreign_key(meta: &ModelMeta, field: &FieldMeta) -> Option<ForeignKey> {
    let fk = field.foreign_key.as_ref()?;
    let target = (fk.target)();
    Some(ForeignKey {
        name: ddl::foreign_key_name(meta, field),
        column: field.column.to_string(),
        target_table: target.table.to_string(),
        target_column: target.primary_key()?.column.to_string(),
        on_delete: fk.on_delete.sql().to_string(),
    })
}
