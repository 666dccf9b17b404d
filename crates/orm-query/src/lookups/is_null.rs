//! `isnull(bool)`: one lookup that renders `IS NULL` or `IS NOT NULL`.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::sql_types::Bool;

/// `expr IS NULL` or `expr IS NOT NULL`, chosen at run time (Django's `isnull=True/False`).
#[derive(Debug, Clone, Copy)]
pub struct IsNullLookup<E> {
    pub(super) expr: E,
    pub(super) is_null: bool,
}

impl<E: Expression> Expression for IsNullLookup<E> {
    type SqlType = Bool;
}

// The SQL text depends on `is_null`, so the statement cache must key it by text.
orm_schema::query_id_by_text!([E: QueryId] IsNullLookup<E>);

impl<E, DB> QueryFragment<DB> for IsNullLookup<E>
where
    DB: Backend,
    E: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(");
        self.expr.walk_ast(out.reborrow())?;
        out.push_sql(if self.is_null {
            " IS NULL)"
        } else {
            " IS NOT NULL)"
        });
        Ok(())
    }
}

impl<E, QS> AppearsOnTable<QS> for IsNullLookup<E> where E: AppearsOnTable<QS> {}
impl<E, QS> SelectableExpression<QS> for IsNullLookup<E> where E: SelectableExpression<QS> {}

impl<E, G> ValidGrouping<G> for IsNullLookup<E>
where
    E: ValidGrouping<G>,
{
    type IsAggregate = E::IsAggregate;
}
