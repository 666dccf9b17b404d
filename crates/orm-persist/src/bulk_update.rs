//! `bulk_update`: new values of some fields for many loaded rows, one statement per chunk.
//!
//! `UPDATE t SET f = CASE pk WHEN ? THEN ? ... END, ... WHERE pk IN (?, ...)`: every key
//! and value a bound parameter, as many rows per statement as the backend's bind limit
//! allows, the statements of one call in one transaction. Each row's listed fields are
//! validated first, as an update's change set is (one error naming every failing field
//! of every row; nothing written).

use std::sync::Arc;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;
use orm_schema::{Model, NameError};

use crate::derive::FieldBinds;

/// The fields a bulk update sets: their positions in the model's metadata and their
/// columns, checked to exist and not to be the primary key.
#[derive(Debug, Clone)]
pub struct Assigned {
    pub(crate) fields: Arc<[(usize, &'static str)]>,
}

impl Assigned {
    /// The fields of `M` named `names` (Rust names, column names; not the key).
    pub(crate) fn resolve<M: Model>(names: &[&str]) -> Result<Assigned, NameError> {
        let meta = M::meta();
        let mut fields: Vec<(usize, &'static str)> = Vec::with_capacity(names.len());
        for name in names {
            let (index, field) = meta
                .fields
                .iter()
                .enumerate()
                .find(|(_, f)| f.name == *name || f.column == *name)
                .ok_or_else(|| NameError::UnknownField {
                    model: meta.name,
                    field: name.to_string(),
                })?;
            if field.primary_key {
                return Err(NameError::PrimaryKey {
                    model: meta.name,
                    field: field.name,
                });
            }
            if !fields.iter().any(|(i, _)| *i == index) {
                fields.push((index, field.column));
            }
        }
        Ok(Assigned {
            fields: fields.into(),
        })
    }

    /// The metadata positions of the fields.
    pub(crate) fn indexes(&self) -> Vec<usize> {
        self.fields.iter().map(|(i, _)| *i).collect()
    }

    /// How many parameters one row binds: its key in the `IN` list, and a key and a value
    /// per field.
    pub(crate) fn binds_per_row(&self) -> usize {
        1 + 2 * self.fields.len()
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// One `UPDATE ... SET f = CASE pk WHEN ? THEN ? ... END WHERE pk IN (...)` over `rows`.
#[derive(Debug)]
pub struct BulkUpdate<M> {
    rows: Vec<M>,
    assigned: Assigned,
}

impl<M> BulkUpdate<M> {
    /// The statement setting `assigned` of every row of `rows` (not empty).
    pub(crate) fn new(rows: Vec<M>, assigned: Assigned) -> Self {
        BulkUpdate { rows, assigned }
    }
}

// The text depends on the number of rows and fields: the cache keys it by text.
orm_schema::query_id_by_text!([M] BulkUpdate<M>);

impl<M, DB> QueryFragment<DB> for BulkUpdate<M>
where
    DB: Backend,
    M: Model + FieldBinds<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let meta = M::meta();
        let (pk_index, pk) = meta
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.primary_key)
            .map(|(i, f)| (i, f.column))
            .ok_or_else(|| {
                diesel::result::Error::QueryBuilderError(
                    format!("{} has no primary key", meta.name).into(),
                )
            })?;
        out.push_sql("UPDATE ");
        out.push_identifier(meta.table)?;
        out.push_sql(" SET ");
        for (n, (index, column)) in self.assigned.fields.iter().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            out.push_identifier(column)?;
            out.push_sql(" = CASE ");
            out.push_identifier(pk)?;
            for row in &self.rows {
                out.push_sql(" WHEN ");
                row.walk_field(pk_index, &mut out)?;
                out.push_sql(" THEN ");
                row.walk_field(*index, &mut out)?;
            }
            out.push_sql(" END");
        }
        out.push_sql(" WHERE ");
        out.push_identifier(pk)?;
        out.push_sql(" IN (");
        for (n, row) in self.rows.iter().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            row.walk_field(pk_index, &mut out)?;
        }
        out.push_sql(")");
        Ok(())
    }
}

impl<M> diesel::query_dsl::RunQueryDslSupport for BulkUpdate<M> {}
