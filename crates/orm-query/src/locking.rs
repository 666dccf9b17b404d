//! Row locks: `select_for_update()`, with `skip_locked()` or `nowait()`.
//!
//! A QuerySet's rows read with `SELECT ... FOR UPDATE` are locked until the transaction
//! ends, so two transactions never work on the same row at once. `skip_locked()` leaves
//! out the rows another transaction holds (a job queue: each worker takes a job no other
//! holds), and `nowait()` fails at once instead of waiting for them. On PostgreSQL and
//! MariaDB/MySQL the statement says so. SQLite has no row locks: there a transaction
//! opened by orm starts with `BEGIN IMMEDIATE`, which already makes writers take turns,
//! so the query runs without the clause and the rows it reads stay the transaction's until
//! it ends.
//!
//! A locking read outside a transaction would lock nothing for longer than its statement:
//! it is [`Error::Usage`](orm_exec::Error::Usage), and nothing is sent.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment};
use diesel::QueryResult;

use crate::executor::Reads;
use crate::queryset::QuerySet;
use crate::run::only;

/// What a locking read does about rows another transaction holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    /// Wait for them (`FOR UPDATE`).
    Wait,
    /// Fail at once (`FOR UPDATE NOWAIT`).
    NoWait,
    /// Leave them out (`FOR UPDATE SKIP LOCKED`).
    SkipLocked,
}

/// The query of a locking read, as the executors run it: the QuerySet's WHERE query `W`,
/// its ordering `O`, and what to do about locked rows.
#[derive(Debug, Clone, Copy)]
pub struct Locked<W, O> {
    pub(crate) query: W,
    pub(crate) order: O,
    pub(crate) wait: LockWait,
}

/// `<query> FOR UPDATE [NOWAIT | SKIP LOCKED]` where the backend has row locks; the query
/// alone on SQLite.
#[derive(Debug, Clone, Copy)]
pub struct ForUpdate<Q> {
    pub(crate) query: Q,
    pub(crate) wait: LockWait,
}

/// Whether a backend has row locks (`FOR UPDATE`).
pub trait RowLocks {
    /// `true` on PostgreSQL and MySQL/MariaDB.
    const ROW_LOCKS: bool;
}

#[cfg(feature = "sqlite")]
impl RowLocks for diesel::sqlite::Sqlite {
    const ROW_LOCKS: bool = false;
}
#[cfg(feature = "postgres")]
impl RowLocks for diesel::pg::Pg {
    const ROW_LOCKS: bool = true;
}
orm_schema::for_mysql_like!(Db =>
    impl RowLocks for Db {
        const ROW_LOCKS: bool = true;
    }
);

impl<Q> ForUpdate<Q> {
    /// `query` with the lock clause for `wait` (nothing on SQLite).
    pub fn new(query: Q, wait: LockWait) -> Self {
        ForUpdate { query, wait }
    }
}

impl<Q: Query> Query for ForUpdate<Q> {
    type SqlType = Q::SqlType;
}

// The clause depends on the wait mode, a value: the statement cache keys it by text.
orm_schema::query_id_by_text!([Q] ForUpdate<Q>);

impl<Q: QueryFragment<DB>, DB: Backend + RowLocks> QueryFragment<DB> for ForUpdate<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        if DB::ROW_LOCKS {
            out.push_sql(match self.wait {
                LockWait::Wait => " FOR UPDATE",
                LockWait::NoWait => " FOR UPDATE NOWAIT",
                LockWait::SkipLocked => " FOR UPDATE SKIP LOCKED",
            });
        }
        Ok(())
    }
}

impl<Q> diesel::query_dsl::RunQueryDslSupport for ForUpdate<Q> {}

/// A QuerySet whose rows are read with a row lock: what
/// [`QuerySet::select_for_update`] returns. See the [module documentation](self).
pub struct Locking<M, W, O> {
    qs: QuerySet<M, W, O>,
    wait: LockWait,
}

impl<M: orm_schema::Model, W, O> std::fmt::Debug for Locking<M, W, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locking")
            .field("queryset", &self.qs)
            .field("wait", &self.wait)
            .finish()
    }
}

impl<M, W: Clone, O: Clone> Clone for Locking<M, W, O> {
    fn clone(&self) -> Self {
        Locking {
            qs: self.qs.clone(),
            wait: self.wait,
        }
    }
}

impl<M, W, O> QuerySet<M, W, O> {
    /// Reads the rows with a row lock held until the transaction ends (`SELECT ... FOR
    /// UPDATE`); inside a transaction only. See [`crate::locking`].
    pub fn select_for_update(self) -> Locking<M, W, O> {
        Locking {
            qs: self,
            wait: LockWait::Wait,
        }
    }
}

impl<M, W: Clone, O: Clone> Locking<M, W, O> {
    /// Leaves out the rows another transaction holds (`SKIP LOCKED`).
    pub fn skip_locked(mut self) -> Self {
        self.wait = LockWait::SkipLocked;
        self
    }

    /// Fails at once when a row is held by another transaction (`NOWAIT`), with the
    /// server's lock error.
    pub fn nowait(mut self) -> Self {
        self.wait = LockWait::NoWait;
        self
    }

    /// The locking query, and the rows to fetch with at most `cap` rows.
    fn parts(&self, cap: Option<i64>) -> (Locked<W, O>, crate::run::Slice) {
        let (query, order) = self.qs.parts();
        let locked = Locked {
            query,
            order,
            wait: self.wait,
        };
        (locked, self.qs.slice(cap))
    }

    /// Every row, locked.
    pub fn all<'a, E>(&self, executor: E) -> E::Output<Vec<M>>
    where
        M: Send + 'static,
        E: Reads<'a, M, Locked<W, O>>,
    {
        let (query, slice) = self.parts(None);
        executor.rows(query, slice)
    }

    /// The first row, locked, or `None`.
    pub fn first<'a, E>(&self, executor: E) -> E::Output<Option<M>>
    where
        M: Send + 'static,
        E: Reads<'a, M, Locked<W, O>>,
    {
        let (query, slice) = self.parts(Some(1));
        E::map(executor.rows(query, slice), |rows| {
            Ok(rows.into_iter().next())
        })
    }

    /// The one row, locked: `Error::NoMatch` when there is none, `Error::MultipleMatches`
    /// when there are several.
    pub fn one<'a, E>(&self, executor: E) -> E::Output<M>
    where
        M: orm_schema::Model + Send + 'static,
        E: Reads<'a, M, Locked<W, O>>,
    {
        let (query, slice) = self.parts(Some(2));
        E::map(executor.rows(query, slice), only)
    }
}
