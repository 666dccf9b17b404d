//! [`ForUpdate`]: `<query> FOR UPDATE`, for a query diesel's own `.for_update()` cannot be
//! named on in generic code (its lock-mode marker is private to diesel).
//!
//! Used where a read must see the latest committed row and keep it: on MySQL/MariaDB a
//! plain read inside a REPEATABLE READ transaction sees the transaction's snapshot, so
//! after losing an insert race it would miss the winner's row; a locking read sees it.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

/// `<Q> FOR UPDATE` (PostgreSQL and MySQL; SQLite has no row locks).
#[derive(Debug, Clone, Copy)]
pub struct ForUpdate<Q>(pub Q);

impl<Q: Query> Query for ForUpdate<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryId> QueryId for ForUpdate<Q> {
    type QueryId = ForUpdate<Q::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

impl<Q: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for ForUpdate<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" FOR UPDATE");
        Ok(())
    }
}

impl<Q> diesel::query_dsl::RunQueryDslSupport for ForUpdate<Q> {}
