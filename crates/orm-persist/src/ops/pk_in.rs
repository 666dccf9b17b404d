//! [`PkIn`]: `<primary key> IN (?, ?, ...)`, every key a bound parameter. diesel's own
//! `eq_any` cannot be named in generic code (its conversion trait is private to diesel).
//! Used to select rows back by key after MySQL inserts them one by one.

use diesel::backend::Backend;
use diesel::expression::{is_aggregate, AppearsOnTable, Expression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::serialize::ToSql;
use diesel::sql_types::{Bool, HasSqlType};
use diesel::QueryResult;

/// `column IN (keys...)`: `ST` is the column's SQL type.
#[derive(Debug, Clone)]
pub struct PkIn<C, K, ST> {
    column: C,
    keys: Vec<K>,
    sql_type: std::marker::PhantomData<fn() -> ST>,
}

impl<C, K, ST> PkIn<C, K, ST> {
    /// `column IN (keys...)`; `keys` must not be empty.
    pub fn new(column: C, keys: Vec<K>) -> Self {
        PkIn {
            column,
            keys,
            sql_type: std::marker::PhantomData,
        }
    }
}

impl<C, K, ST> Expression for PkIn<C, K, ST> {
    type SqlType = Bool;
}

impl<C: AppearsOnTable<QS>, K, ST, QS> AppearsOnTable<QS> for PkIn<C, K, ST> {}

impl<C, K, ST> ValidGrouping<()> for PkIn<C, K, ST> {
    type IsAggregate = is_aggregate::Never;
}

orm_schema::query_id_by_text!([C, K, ST] PkIn<C, K, ST>);

impl<C, K, ST, DB> QueryFragment<DB> for PkIn<C, K, ST>
where
    DB: Backend + HasSqlType<ST>,
    C: QueryFragment<DB>,
    K: ToSql<ST, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (");
        for (i, key) in self.keys.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_bind_param::<ST, K>(key)?;
        }
        out.push_sql(")");
        Ok(())
    }
}
