//! Seeing the SQL: [`QuerySet::to_sql`] renders the statement `all` runs on a backend,
//! with its bound values listed after it, without a connection.
//!
//! The text is diesel's `debug_query` of the very query `all` builds (the same ordering,
//! LIMIT and OFFSET), so what it shows is what runs: the SQL with the backend's
//! placeholders (`?` or `$1`), then `-- binds: [...]`. It is for reading and for tests,
//! never for running: every value stays a bound parameter.

use diesel::backend::Backend;
use diesel::dsl;
use diesel::query_builder::QueryFragment;
use diesel::query_dsl::methods::{LimitDsl, OffsetDsl, SelectDsl};
use diesel::SelectableHelper;

use crate::projection::Projection;
use crate::queryset::QuerySet;
use crate::run::{ApplyOrder, Slice};

/// A (filter, ordering) pair whose rows of `M` render on backend `DB`, whatever the slice.
pub trait ShowSql<M, DB: Backend>: Sized {
    /// The SQL and binds of the query `all` runs for `slice`.
    fn show(self, slice: Slice) -> String;
}

/// The projection of the whole model (`M::as_select()`).
impl<M, DB, W, O> ShowSql<M, DB> for (W, O)
where
    DB: Backend,
    M: diesel::Selectable<DB>,
    Projection<W, O, dsl::AsSelect<M, DB>>: ShowSelection<DB>,
{
    fn show(self, slice: Slice) -> String {
        let (query, order) = self;
        let whole = Projection {
            query,
            order,
            selection: M::as_select(),
        };
        whole.show(slice)
    }
}

/// A projection (a query with its selection) that renders on backend `DB`, whatever the
/// slice.
pub trait ShowSelection<DB: Backend>: Sized {
    /// The SQL and binds of the query for `slice`.
    fn show(self, slice: Slice) -> String;
}

impl<DB, W, O, S> ShowSelection<DB> for Projection<W, O, S>
where
    DB: Backend + Default,
    DB::QueryBuilder: Default,
    S: diesel::Expression,
    O: ApplyOrder<W>,
    O::Output: SelectDsl<S> + LimitDsl,
    dsl::Select<O::Output, S>: QueryFragment<DB>,
    dsl::Limit<O::Output>: OffsetDsl + SelectDsl<S>,
    dsl::Select<dsl::Limit<O::Output>, S>: QueryFragment<DB>,
    dsl::Offset<dsl::Limit<O::Output>>: SelectDsl<S>,
    dsl::Select<dsl::Offset<dsl::Limit<O::Output>>, S>: QueryFragment<DB>,
{
    fn show(self, slice: Slice) -> String {
        let (ordered, selection) = self.ordered();
        match slice {
            Slice::All => {
                let q = ordered.select(selection);
                diesel::debug_query::<DB, _>(&q).to_string()
            }
            Slice::Limit(limit) => {
                let q = ordered.limit(limit).select(selection);
                diesel::debug_query::<DB, _>(&q).to_string()
            }
            Slice::Page { limit, offset } => {
                let q = ordered.limit(limit).offset(offset).select(selection);
                diesel::debug_query::<DB, _>(&q).to_string()
            }
        }
    }
}

impl<M, W: Clone, O: Clone> QuerySet<M, W, O> {
    /// The SQL `all` runs on backend `DB` (`diesel::sqlite::Sqlite`, `diesel::pg::Pg`,
    /// `diesel::mysql::Mysql`), with its bound values after `-- binds:`. Needs no
    /// connection.
    ///
    /// For example, on SQLite, `Note::objects().filter(notes::id.gt(3)).limit(2)` renders
    /// ``SELECT `notes`.`id`, `notes`.`text`, `notes`.`completed` FROM `notes` WHERE
    /// (`notes`.`id` > ?) LIMIT ? -- binds: [3, 2]`` (the workspace's
    /// `tests/sql_snapshots.rs` checks such texts on every backend).
    pub fn to_sql<DB: Backend>(&self) -> String
    where
        (W, O): ShowSql<M, DB>,
    {
        self.parts().show(self.slice(None))
    }
}
