//! [`RowIter`]: a blocking batched read.

use orm_exec::{Connection, Result};
use orm_schema::Model;

use super::{BatchOrder, Plan, Step};
use crate::run::{self, Runnable, Slice};

/// The rows of a QuerySet read in batches on a blocking connection: what
/// [`QuerySet::iter`](crate::QuerySet::iter) returns. Holds at most one batch.
pub struct RowIter<'c, M: Model, W, O> {
    conn: &'c mut Connection,
    plan: Plan<M, W, O>,
    rows: std::vec::IntoIter<M>,
}

impl<'c, M: Model, W, O> RowIter<'c, M, W, O> {
    pub(super) fn new(conn: &'c mut Connection, plan: Plan<M, W, O>) -> Self {
        RowIter {
            conn,
            plan,
            rows: Vec::new().into_iter(),
        }
    }

    /// The number of statements issued so far (one per batch).
    pub fn queries(&self) -> u64 {
        self.plan.queries
    }
}

impl<M, W, O> Iterator for RowIter<'_, M, W, O>
where
    M: Model + Send,
    W: Clone,
    O: Clone + BatchOrder<M, W>,
    O::First: Runnable<M>,
    O::Next: Runnable<M>,
{
    type Item = Result<M>;

    fn next(&mut self) -> Option<Result<M>> {
        loop {
            if let Some(row) = self.rows.next() {
                return Some(Ok(row));
            }
            if let Some(refused) = self.plan.refusal() {
                return Some(Err(refused));
            }
            let loaded = match self.plan.next_step()? {
                Step::First(query, slice) => load(self.conn, query, slice),
                Step::Next(query, slice) => load(self.conn, query, slice),
            };
            match loaded {
                Ok(rows) => {
                    self.plan.record(&rows);
                    self.rows = rows.into_iter();
                }
                Err(e) => {
                    self.plan.stop();
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<M: Model, W, O> std::fmt::Debug for RowIter<'_, M, W, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowIter")
            .field("model", &M::meta().name)
            .field("queries", &self.plan.queries)
            .field("buffered", &self.rows.len())
            .finish_non_exhaustive()
    }
}

/// Loads one batch on the connection's backend.
fn load<M: Send, Q: Runnable<M>>(conn: &mut Connection, query: Q, slice: Slice) -> Result<Vec<M>> {
    run::rows_now(conn, query, slice)
}
