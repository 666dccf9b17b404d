//! [`RowIter`]: a blocking batched read.

use orm_exec::operation::Run;
use orm_exec::{Connection, Result};
use orm_schema::Model;

use super::{BlockingBatches, Plan, Step};
use crate::run::{Rows, Runnable, Slice};

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
    O: BlockingBatches<M, W>,
{
    type Item = Result<M>;

    fn next(&mut self) -> Option<Result<M>> {
        while self.rows.len() == 0 {
            let loaded = match self.plan.next_batch()? {
                Ok(Step::First(query, slice)) => load(self.conn, query, slice),
                Ok(Step::Next(query, slice)) => load(self.conn, query, slice),
                Err(refused) => return Some(Err(refused)),
            };
            match self.plan.take(loaded) {
                Ok(rows) => self.rows = rows,
                Err(e) => return Some(Err(e)),
            }
        }
        self.rows.next().map(Ok)
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
fn load<M, Q>(conn: &mut Connection, query: Q, slice: Slice) -> Result<Vec<M>>
where
    M: Send + 'static,
    Q: Runnable<M> + Send,
{
    conn.run(Rows::<M, Q>::new(query, slice))
}
