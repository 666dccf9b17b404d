//! `exact(value)`: `= value`, and on a nullable column `exact(None)` is `IS NULL`, as in
//! Django and encode/orm.
//!
//! Which comparison a column gets is chosen by its SQL type's nullability (diesel's
//! `SqlType::IsNull`): a `NOT NULL` column takes any value diesel's `eq` takes and renders
//! exactly what `eq` renders; a nullable column takes an `Option`, and renders `= ?` for
//! `Some` and `IS NULL` for `None` (where `= NULL` would match no row at all).

use diesel::backend::Backend;
use diesel::dsl;
use diesel::expression::{
    AppearsOnTable, AsExpression, Expression, SelectableExpression, ValidGrouping,
};
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::result::QueryResult;
use diesel::sql_types::{is_nullable, Bool, Nullable, SqlType};
use diesel::ExpressionMethods;

/// How `exact` compares an expression `E` (of this SQL type) with a value `V`: implemented
/// for every SQL type through its nullability ([`ExactByNullability`]).
pub trait ExactFor<E, V> {
    /// The lookup's diesel expression.
    type Lookup;
    /// Builds the lookup.
    fn lookup(expr: E, value: V) -> Self::Lookup;
}

impl<ST, E, V> ExactFor<E, V> for ST
where
    ST: SqlType + ExactByNullability<E, V, <ST as SqlType>::IsNull>,
{
    type Lookup = <ST as ExactByNullability<E, V, ST::IsNull>>::Lookup;
    fn lookup(expr: E, value: V) -> Self::Lookup {
        <ST as ExactByNullability<E, V, ST::IsNull>>::lookup(expr, value)
    }
}

/// [`ExactFor`], split by the column's nullability `N` (diesel's
/// `is_nullable::NotNull` or `is_nullable::IsNullable`).
#[diagnostic::on_unimplemented(
    message = "`exact` cannot compare this column with `{V}`",
    note = "on a nullable column `exact` takes an `Option`: `Some(value)` compares with `=`, `None` matches the NULL rows (IS NULL)",
    note = "on a NOT NULL column it takes what diesel's `eq` takes"
)]
pub trait ExactByNullability<E, V, N> {
    /// The lookup's diesel expression.
    type Lookup;
    /// Builds the lookup.
    fn lookup(expr: E, value: V) -> Self::Lookup;
}

impl<ST, E, V> ExactByNullability<E, V, is_nullable::NotNull> for ST
where
    E: Expression<SqlType = ST>,
    ST: SqlType + diesel::sql_types::SingleValue,
    V: AsExpression<ST>,
{
    type Lookup = dsl::Eq<E, V>;
    fn lookup(expr: E, value: V) -> Self::Lookup {
        expr.eq(value)
    }
}

impl<ST, E, T> ExactByNullability<E, Option<T>, is_nullable::IsNullable> for ST
where
    E: Expression<SqlType = ST>,
    ST: SqlType + diesel::sql_types::SingleValue,
    Option<T>: AsExpression<ST>,
{
    type Lookup = ExactOrNull<E, <Option<T> as AsExpression<ST>>::Expression>;
    fn lookup(expr: E, value: Option<T>) -> Self::Lookup {
        let value = value.is_some().then(|| value.as_expression());
        ExactOrNull { expr, value }
    }
}

/// `expr = value`, or `expr IS NULL` when the value is `None`: `exact` on a nullable
/// column.
#[derive(Debug, Clone, Copy)]
pub struct ExactOrNull<E, B> {
    expr: E,
    value: Option<B>,
}

impl<E: Expression, B> Expression for ExactOrNull<E, B> {
    // `=` on a nullable column may be NULL (so `exclude` keeps those rows, see `Exclude`).
    type SqlType = Nullable<Bool>;
}

// The SQL text depends on the value being NULL, so the statement cache keys it by text.
orm_schema::query_id_by_text!([E, B] ExactOrNull<E, B>);

impl<E, B, DB> QueryFragment<DB> for ExactOrNull<E, B>
where
    DB: Backend,
    E: QueryFragment<DB>,
    B: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        match &self.value {
            Some(value) => {
                self.expr.walk_ast(out.reborrow())?;
                out.push_sql(" = ");
                value.walk_ast(out.reborrow())
            }
            None => {
                out.push_sql("(");
                self.expr.walk_ast(out.reborrow())?;
                out.push_sql(" IS NULL)");
                Ok(())
            }
        }
    }
}

impl<E, B, QS> AppearsOnTable<QS> for ExactOrNull<E, B>
where
    E: AppearsOnTable<QS>,
    B: AppearsOnTable<QS>,
{
}
impl<E, B, QS> SelectableExpression<QS> for ExactOrNull<E, B>
where
    E: SelectableExpression<QS>,
    B: SelectableExpression<QS>,
{
}

impl<E, B, G> ValidGrouping<G> for ExactOrNull<E, B>
where
    E: ValidGrouping<G>,
{
    type IsAggregate = E::IsAggregate;
}
