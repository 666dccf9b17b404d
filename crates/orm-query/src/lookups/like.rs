//! [`Like`]: `column LIKE ?` (with the escape clause the backend and the pattern need),
//! case-sensitive or not, with the pattern bound.

use std::marker::PhantomData;

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::serialize::ToSql;
use diesel::sql_types::{Bool, HasSqlType, Text};

use super::{LikePattern, LikeSyntax};

/// Whether a LIKE folds case (as a type, so diesel's statement cache keys each form by
/// type and the SQL is never rebuilt).
pub trait CaseMode: Copy + Default + Send + Sync + 'static {
    /// Whether both sides go through `lower()`.
    const IGNORE_CASE: bool;
}

/// `column LIKE ?`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaseSensitive;
impl CaseMode for CaseSensitive {
    const IGNORE_CASE: bool = false;
}

/// `lower(column) LIKE lower(?)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct IgnoreCase;
impl CaseMode for IgnoreCase {
    const IGNORE_CASE: bool = true;
}

/// A LIKE lookup on expression `E` with an already escaped, bound pattern.
#[derive(Debug, Clone)]
pub struct Like<E, C> {
    expr: E,
    pattern: LikePattern,
    _case: PhantomData<C>,
}

impl<E, C> Like<E, C> {
    pub(super) fn new(expr: E, pattern: LikePattern) -> Self {
        Like {
            expr,
            pattern,
            _case: PhantomData,
        }
    }
}

impl<E: Expression, C> Expression for Like<E, C> {
    type SqlType = Bool;
}

/// Not static: on SQLite the SQL depends on the pattern (an `ESCAPE` clause only where
/// the value needs escaping), so diesel must cache the statement by its SQL text.
impl<E: QueryId, C: CaseMode> QueryId for Like<E, C> {
    type QueryId = Like<E::QueryId, C>;
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<E, C, DB> QueryFragment<DB> for Like<E, C>
where
    DB: LikeSyntax + HasSqlType<Text>,
    E: QueryFragment<DB>,
    C: CaseMode,
    String: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let pattern = DB::pattern(&self.pattern);
        out.push_sql("(");
        if C::IGNORE_CASE {
            out.push_sql("lower(");
            self.expr.walk_ast(out.reborrow())?;
            out.push_sql(") LIKE lower(");
            out.push_bind_param::<Text, String>(pattern)?;
            out.push_sql(")");
        } else {
            self.expr.walk_ast(out.reborrow())?;
            out.push_sql(" LIKE ");
            out.push_bind_param::<Text, String>(pattern)?;
        }
        out.push_sql(DB::escape_clause(&self.pattern));
        out.push_sql(")");
        Ok(())
    }
}

impl<E, C, QS> AppearsOnTable<QS> for Like<E, C> where E: AppearsOnTable<QS> {}
impl<E, C, QS> SelectableExpression<QS> for Like<E, C> where E: SelectableExpression<QS> {}

impl<E, C, G> ValidGrouping<G> for Like<E, C>
where
    E: ValidGrouping<G>,
{
    type IsAggregate = E::IsAggregate;
}
