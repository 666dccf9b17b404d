//! The statements persistence runs, one trait per shape of statement, implemented once
//! per backend connection type:
//!
//! - [`RowOps`] on a model: insert rows and get them back, find, update and delete one
//!   row by primary key;
//! - [`FilterOps`] on a QuerySet's WHERE query: load at most two rows (optionally
//!   `FOR UPDATE`) or every row, delete the rows;
//! - [`AssignOps`] on a change set (or any diesel `AsChangeset`): `UPDATE ... SET`.
//!
//! Each is one trait with async methods, written once for every connection (blocking or
//! async) in [`statements`], which builds the diesel statement and hands it to orm-exec
//! to run: inside the call on a blocking connection (the future is then complete), when
//! awaited on an async one. So the logic of `crate::run` is written once over them too.
//! A
//! backend whose cargo feature is off is [`Disabled`], for which every trait holds
//! trivially. The diesel bounds live on the impls, so at a call site, where every type is
//! concrete, rustc checks the statements for every enabled backend.
//!
//! How rows come back from an insert differs by backend, not by blocking or async: each
//! connection's `statements::RowsBack` strategy says (`INSERT ... RETURNING` on SQLite
//! and PostgreSQL, and for inserts on MariaDB through diesel's MariaDB backend; row by
//! row with `LAST_INSERT_ID()` and a select by key through diesel's MySQL backend, which
//! has no RETURNING).

pub mod pk_in;
#[cfg(feature = "mysql")]
pub mod row_by_row;
pub mod statements;

use std::future::Future;

use diesel::QueryResult;
use orm_exec::connection::{BlockingMariadb, BlockingMysql, BlockingPg, BlockingSqlite};
use orm_exec::dispatch::Disabled;

use crate::bulk_update::Assigned;
use crate::derive::Persist;
use crate::upsert::Conflict;

use orm_exec::database::{AsyncMariadb, AsyncMysql, AsyncPg, AsyncSqlite};

/// A row to insert: the primary key when the row supplies it, and the diesel values.
pub type NewRow<M> = (
    Option<<M as orm_schema::Model>::PrimaryKey>,
    <M as Persist>::Row,
);

/// Row statements of model `Self` on diesel connection `C` (blocking or async; on a
/// blocking connection the statement runs in the call and the future is complete, see
/// `orm_exec::statement_conn`).
pub trait RowOps<C>: Persist {
    /// Whether [`RowOps::insert`] writes its rows in one statement (a multi-row
    /// `INSERT ... RETURNING`), which is atomic without a transaction around it.
    const INSERTS_AT_ONCE: bool;
    /// Inserts `rows` and returns the stored models, in the same order.
    fn insert(
        conn: &mut C,
        rows: Vec<NewRow<Self>>,
    ) -> impl Future<Output = QueryResult<Vec<Self>>> + Send;
    /// Inserts `rows` in one statement and returns how many were inserted (no row comes
    /// back).
    fn insert_count(
        conn: &mut C,
        rows: Vec<Self::Row>,
    ) -> impl Future<Output = QueryResult<usize>> + Send;
    /// Inserts `rows`, settling conflicts as `conflict` says; the rows written (see
    /// [`crate::upsert`]), in the same order.
    fn upsert(
        conn: &mut C,
        rows: Vec<NewRow<Self>>,
        conflict: Conflict,
    ) -> impl Future<Output = QueryResult<Vec<Self>>> + Send;
    /// Sets the `assigned` fields of each of `rows` (by primary key) to its values, in one
    /// statement; the number of rows updated.
    fn bulk_update(
        conn: &mut C,
        rows: Vec<Self>,
        assigned: Assigned,
    ) -> impl Future<Output = QueryResult<usize>> + Send;
    /// The row with primary key `pk` (`FOR UPDATE` when `lock` and the backend has it).
    fn find(
        conn: &mut C,
        pk: Self::PrimaryKey,
        lock: bool,
    ) -> impl Future<Output = QueryResult<Option<Self>>> + Send;
    /// Applies `changes` to the row with primary key `pk` and returns it as stored, or
    /// `None` when there is no such row.
    fn update_returning(
        conn: &mut C,
        pk: Self::PrimaryKey,
        changes: Self::Changes,
    ) -> impl Future<Output = QueryResult<Option<Self>>> + Send;
    /// Deletes the row with primary key `pk`; the number of rows deleted.
    fn delete_pk(
        conn: &mut C,
        pk: Self::PrimaryKey,
    ) -> impl Future<Output = QueryResult<usize>> + Send;
}

/// Statements on the rows of model `M` a WHERE query (`Self`) selects, on diesel
/// connection `C`.
pub trait FilterOps<M, C>: Sized {
    /// At most two rows (`FOR UPDATE` when `lock` and the backend has it).
    fn load_two(self, conn: &mut C, lock: bool)
        -> impl Future<Output = QueryResult<Vec<M>>> + Send;
    /// Every row.
    fn load_all(self, conn: &mut C) -> impl Future<Output = QueryResult<Vec<M>>> + Send;
    /// Deletes the rows; how many.
    fn delete(self, conn: &mut C) -> impl Future<Output = QueryResult<usize>> + Send;
}

/// `UPDATE ... SET self WHERE target` on diesel connection `C`.
pub trait AssignOps<W, C>: Sized {
    /// Runs the update; the number of rows it matched (PostgreSQL, SQLite) or changed
    /// (MySQL counts only rows whose values differ).
    fn assign(self, target: W, conn: &mut C) -> impl Future<Output = QueryResult<usize>> + Send;
}

orm_schema::trait_alias!(
    /// A model whose statements run on every enabled backend, blocking.
    Storable<> = RowOps<BlockingSqlite> + RowOps<BlockingPg> + RowOps<BlockingMysql>
        + RowOps<BlockingMariadb>
);
orm_schema::trait_alias!(
    /// A WHERE query over `M` whose statements run on every enabled backend, blocking.
    Filtered<M> = FilterOps<M, BlockingSqlite> + FilterOps<M, BlockingPg>
        + FilterOps<M, BlockingMysql> + FilterOps<M, BlockingMariadb>
);
orm_schema::trait_alias!(
    /// A change set that updates the rows of WHERE query `W` on every enabled backend,
    /// blocking.
    Assignable<W> = AssignOps<W, BlockingSqlite> + AssignOps<W, BlockingPg>
        + AssignOps<W, BlockingMysql> + AssignOps<W, BlockingMariadb>
);
orm_schema::trait_alias!(
    /// A model whose statements run on every enabled backend, async (SQLite's run blocking
    /// on the connection's thread).
    AsyncStorable<> = RowOps<AsyncSqlite> + RowOps<AsyncPg> + RowOps<AsyncMysql>
        + RowOps<AsyncMariadb> + Send + 'static
);
orm_schema::trait_alias!(
    /// A WHERE query over `M` whose statements run on every enabled backend, async.
    AsyncFiltered<M> = FilterOps<M, AsyncSqlite> + FilterOps<M, AsyncPg>
        + FilterOps<M, AsyncMysql> + FilterOps<M, AsyncMariadb> + Send + 'static
);
orm_schema::trait_alias!(
    /// A change set that updates the rows of WHERE query `W` on every enabled backend,
    /// async.
    AsyncAssignable<W> = AssignOps<W, AsyncSqlite> + AssignOps<W, AsyncPg>
        + AssignOps<W, AsyncMysql> + AssignOps<W, AsyncMariadb> + Send + 'static
);

// A disabled backend has no connections: every statement on it is unreachable.

#[allow(unreachable_code)]
impl<M: Persist> RowOps<Disabled> for M {
    const INSERTS_AT_ONCE: bool = false;
    fn insert(
        conn: &mut Disabled,
        _: Vec<NewRow<Self>>,
    ) -> impl Future<Output = QueryResult<Vec<Self>>> + Send {
        std::future::ready(match *conn {})
    }
    fn insert_count(
        conn: &mut Disabled,
        _: Vec<Self::Row>,
    ) -> impl Future<Output = QueryResult<usize>> + Send {
        std::future::ready(match *conn {})
    }
    fn upsert(
        conn: &mut Disabled,
        _: Vec<NewRow<Self>>,
        _: Conflict,
    ) -> impl Future<Output = QueryResult<Vec<Self>>> + Send {
        std::future::ready(match *conn {})
    }
    fn bulk_update(
        conn: &mut Disabled,
        _: Vec<Self>,
        _: Assigned,
    ) -> impl Future<Output = QueryResult<usize>> + Send {
        std::future::ready(match *conn {})
    }
    fn find(
        conn: &mut Disabled,
        _: Self::PrimaryKey,
        _: bool,
    ) -> impl Future<Output = QueryResult<Option<Self>>> + Send {
        std::future::ready(match *conn {})
    }
    fn update_returning(
        conn: &mut Disabled,
        _: Self::PrimaryKey,
        _: Self::Changes,
    ) -> impl Future<Output = QueryResult<Option<Self>>> + Send {
        std::future::ready(match *conn {})
    }
    fn delete_pk(
        conn: &mut Disabled,
        _: Self::PrimaryKey,
    ) -> impl Future<Output = QueryResult<usize>> + Send {
        std::future::ready(match *conn {})
    }
}

#[allow(unreachable_code)]
impl<M: Send, W> FilterOps<M, Disabled> for W {
    fn load_two(
        self,
        conn: &mut Disabled,
        _: bool,
    ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
        std::future::ready(match *conn {})
    }
    fn load_all(self, conn: &mut Disabled) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
        std::future::ready(match *conn {})
    }
    fn delete(self, conn: &mut Disabled) -> impl Future<Output = QueryResult<usize>> + Send {
        std::future::ready(match *conn {})
    }
}

#[allow(unreachable_code)]
impl<V, W> AssignOps<W, Disabled> for V {
    fn assign(self, _: W, conn: &mut Disabled) -> impl Future<Output = QueryResult<usize>> + Send {
        std::future::ready(match *conn {})
    }
}
