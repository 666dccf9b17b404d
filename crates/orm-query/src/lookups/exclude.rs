//! [`Exclude`]: the negation `QuerySet::exclude` adds, which keeps the rows where the
//! predicate is NULL (as Django's `exclude` does).
//!
//! `NOT (p)` drops a row where `p` is NULL (NOT NULL is NULL), so `exclude(language = 'en')`
//! would also drop the rows with no language. A predicate that can be NULL (diesel's
//! `Nullable<Bool>`, from a comparison on a nullable column) renders `(p) IS NOT TRUE`
//! instead, which SQLite, PostgreSQL and MariaDB all know; a predicate that cannot be
//! NULL (`Bool`) keeps the plain `NOT (p)` a hand-written query uses.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::sql_types::{Bool, Nullable};

/// The SQL types a filter predicate has: `Bool`, or `Nullable<Bool>` for a predicate that
/// may be NULL.
pub trait PredicateType {
    /// Whether the predicate may be NULL.
    const NULLABLE: bool;
}
impl PredicateType for Bool {
    const NULLABLE: bool = false;
}
impl PredicateType for Nullable<Bool> {
    const NULLABLE: bool = true;
}

/// `NOT (p)`, or `(p) IS NOT TRUE` when `p` may be NULL: the rows `p` does not keep.
#[derive(Debug, Clone, Copy)]
pub struct Exclude<P>(pub(crate) P);

impl<P: Expression> Expression for Exclude<P>
where
    P::SqlType: PredicateType,
{
    type SqlType = Bool;
}

impl<P: QueryId> QueryId for Exclude<P> {
    type QueryId = Exclude<P::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = P::HAS_STATIC_QUERY_ID;
}

impl<P, DB> QueryFragment<DB> for Exclude<P>
where
    DB: Backend,
    P: Expression + QueryFragment<DB>,
    P::SqlType: PredicateType,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if <P::SqlType as PredicateType>::NULLABLE {
            out.push_sql("(");
            self.0.walk_ast(out.reborrow())?;
            out.push_sql(") IS NOT TRUE");
        } else {
            out.push_sql("NOT (");
            self.0.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        Ok(())
    }
}

impl<P, QS> AppearsOnTable<QS> for Exclude<P>
where
    P: AppearsOnTable<QS>,
    P::SqlType: PredicateType,
{
}
impl<P, QS> SelectableExpression<QS> for Exclude<P>
where
    P: SelectableExpression<QS>,
    P::SqlType: PredicateType,
{
}

impl<P, G> ValidGrouping<G> for Exclude<P>
where
    P: ValidGrouping<G>,
{
    type IsAggregate = P::IsAggregate;
}
