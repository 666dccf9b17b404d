//! Reading a large QuerySet in batches, holding at most one batch of rows in memory:
//! [`QuerySet::iter`] (blocking, an [`Iterator`]) and [`QuerySet::stream`] (async, a
//! `futures_core::Stream`), both yielding `Result<M>`.
//!
//! How the rows are cut into batches of `batch` rows:
//!
//! - **No ordering: keyset pagination on the primary key.** The first batch is
//!   `WHERE <filters> ORDER BY pk LIMIT batch`, each later one
//!   `WHERE <filters> AND pk > <last pk seen> ORDER BY pk LIMIT batch`. Each batch costs an
//!   index range scan of `batch` rows whatever its position, and a row inserted or deleted
//!   between batches neither shifts nor repeats the others. The rows come in primary-key
//!   order.
//! - **With an ordering: LIMIT/OFFSET.** `ORDER BY <ordering>, pk LIMIT batch OFFSET n`
//!   (the primary key breaks ties, so the batches are disjoint). Batch `k` makes the database
//!   walk past the `k * batch` rows before it, so reading `N` rows costs about
//!   `N² / (2 * batch)` row visits: fine for thousands of rows, slow for millions. Rows
//!   inserted or deleted between batches can shift the later ones (a row skipped or seen
//!   twice). To stream a big table, leave it unordered (primary-key order), or run inside a
//!   transaction with a snapshot.
//!
//! The QuerySet's own limit and offset hold: at most `limit` rows, the first `offset`
//! skipped (in primary-key order when there is no ordering). A batch shorter than asked ends
//! the reading, so `N` rows take `N / batch + 1` statements (rounded down).
//!
//! Each batch is one statement. [`QuerySet::stream`] on a `&Database` checks a connection out
//! for each batch and returns it before yielding the batch's rows, so the loop body may use
//! the same pool (even a pool of one); on a `&mut PooledConnection` every batch runs on that
//! connection (inside its transaction, if any). Without a transaction the batches are not
//! one snapshot.

mod iter;
mod rows;

use diesel::dsl;
use diesel::expression::{AsExpression, TypedExpressionType};
use diesel::query_dsl::methods::FilterDsl;
use diesel::sql_types::SqlType;
use diesel::ExpressionMethods;
use orm_exec::Connection;
use orm_schema::Model;

use crate::queryset::{NoOrder, OrderBy, QuerySet};
use crate::run::{AsyncRunnable, Runnable, Slice};

pub use iter::RowIter;
pub use rows::{RowStream, StreamSource};

/// The typed primary-key column of `M`'s table (`notes::id`).
pub type PkColumn<M> = <<M as Model>::Table as diesel::Table>::PrimaryKey;

/// The SQL type of `M`'s primary-key column.
type PkSql<M> = diesel::helper_types::SqlTypeOf<PkColumn<M>>;

/// `pk ASC`.
type PkAsc<M> = dsl::Asc<PkColumn<M>>;

/// `pk > value`.
type PkAfter<M> = dsl::Gt<PkColumn<M>, <M as Model>::PrimaryKey>;

fn pk<M: Model>() -> PkColumn<M> {
    diesel::Table::primary_key(&M::Table::default())
}

/// How an ordering state cuts a QuerySet into batches: keyset pagination for [`NoOrder`],
/// LIMIT/OFFSET for [`OrderBy`] (see the [module documentation](self)).
#[diagnostic::on_unimplemented(
    message = "this QuerySet cannot be read in batches",
    note = "batches need a single-column primary key comparable with `>`"
)]
pub trait BatchOrder<M: Model, W>: Sized {
    /// The (filter, ordering) pair of the first batch.
    type First;
    /// The (filter, ordering) pair of the batches after it.
    type Next;
    /// Whether later batches start after the last primary key seen (else at an offset).
    const KEYSET: bool;
    /// The first batch's query.
    fn first(query: W, order: Self) -> Self::First;
    /// A later batch's query, `last` being the primary key of the last row read.
    fn next(query: W, order: Self, last: &M::PrimaryKey) -> Self::Next;
}

impl<M, W> BatchOrder<M, W> for NoOrder
where
    M: Model,
    PkColumn<M>: ExpressionMethods,
    PkSql<M>: SqlType + TypedExpressionType,
    M::PrimaryKey: AsExpression<PkSql<M>>,
    W: FilterDsl<PkAfter<M>>,
{
    type First = (W, OrderBy<PkAsc<M>>);
    type Next = (dsl::Filter<W, PkAfter<M>>, OrderBy<PkAsc<M>>);
    const KEYSET: bool = true;

    fn first(query: W, _: Self) -> Self::First {
        (query, OrderBy(pk::<M>().asc()))
    }

    fn next(query: W, _: Self, last: &M::PrimaryKey) -> Self::Next {
        (
            query.filter(pk::<M>().gt(last.clone())),
            OrderBy(pk::<M>().asc()),
        )
    }
}

impl<M, W, E> BatchOrder<M, W> for OrderBy<E>
where
    M: Model,
    PkColumn<M>: ExpressionMethods,
{
    type First = (W, OrderBy<(E, PkAsc<M>)>);
    type Next = Self::First;
    const KEYSET: bool = false;

    fn first(query: W, order: Self) -> Self::First {
        (query, OrderBy((order.0, pk::<M>().asc())))
    }

    fn next(query: W, order: Self, _: &M::PrimaryKey) -> Self::Next {
        <Self as BatchOrder<M, W>>::first(query, order)
    }
}

/// An ordering whose batches run on every enabled backend's blocking connection: what
/// [`QuerySet::iter`] needs. Implemented for every such ordering.
pub trait BlockingBatches<M: Model, W>:
    Clone + BatchOrder<M, W, First: Runnable<M> + Send, Next: Runnable<M> + Send>
{
}

impl<M: Model, W, O> BlockingBatches<M, W> for O where
    O: Clone + BatchOrder<M, W, First: Runnable<M> + Send, Next: Runnable<M> + Send>
{
}

/// An ordering whose batches run on every enabled backend's async connection: what
/// [`QuerySet::stream`] needs. Implemented for every such ordering.
pub trait AsyncBatches<M: Model, W>:
    Clone + BatchOrder<M, W, First: AsyncRunnable<M> + Clone, Next: AsyncRunnable<M> + Clone>
{
}

impl<M: Model, W, O> AsyncBatches<M, W> for O where
    O: Clone + BatchOrder<M, W, First: AsyncRunnable<M> + Clone, Next: AsyncRunnable<M> + Clone>
{
}

/// Where a batched read stands: which batch comes next, and when to stop.
pub(crate) struct Plan<M: Model, W, O> {
    query: W,
    order: O,
    batch: i64,
    /// The QuerySet's offset.
    offset: i64,
    /// Rows still allowed by the QuerySet's limit.
    remaining: Option<i64>,
    /// Rows read so far.
    fetched: i64,
    /// The primary key of the last row read.
    last: Option<M::PrimaryKey>,
    /// The limit of the batch in flight.
    asked: i64,
    queries: u64,
    done: bool,
    /// Why the read cannot start (a batch of 0), yielded once as its only item.
    refused: Option<orm_exec::Error>,
}

/// The next batch's query: the first, or a later one.
pub(crate) enum Step<F, N> {
    First(F, Slice),
    Next(N, Slice),
}

/// The next batch's query under ordering `O`.
type NextStep<M, W, O> = Step<<O as BatchOrder<M, W>>::First, <O as BatchOrder<M, W>>::Next>;

impl<M: Model, W: Clone, O: Clone + BatchOrder<M, W>> Plan<M, W, O> {
    fn new(qs: &QuerySet<M, W, O>, batch: usize) -> Self {
        let refused = (batch == 0).then(|| orm_exec::Error::Usage {
            message: "a batch holds at least one row: `iter`/`stream` with a batch of 0".to_owned(),
        });
        Plan {
            refused,
            query: qs.query.clone(),
            order: qs.order.clone(),
            batch: i64::try_from(batch.max(1)).unwrap_or(i64::MAX),
            offset: qs.offset.unwrap_or(0).max(0),
            remaining: qs.limit.map(|l| l.max(0)),
            fetched: 0,
            last: None,
            asked: 0,
            queries: 0,
            done: false,
        }
    }

    /// The next batch to load: `Err` (once) when the read is refused, `None` when every
    /// row has been read.
    fn next_batch(&mut self) -> Option<orm_exec::Result<NextStep<M, W, O>>> {
        if let Some(refused) = self.refusal() {
            return Some(Err(refused));
        }
        self.next_step().map(Ok)
    }

    /// Takes a loaded batch: its rows, or its error, which ends the read.
    fn take(
        &mut self,
        loaded: orm_exec::Result<Vec<M>>,
    ) -> orm_exec::Result<std::vec::IntoIter<M>> {
        match loaded {
            Ok(rows) => {
                self.record(&rows);
                Ok(rows.into_iter())
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// The next batch's query, or `None` when every row has been read.
    fn next_step(&mut self) -> Option<Step<O::First, O::Next>> {
        if self.done {
            return None;
        }
        let limit = self.remaining.map_or(self.batch, |r| r.min(self.batch));
        if limit == 0 {
            self.done = true;
            return None;
        }
        self.asked = limit;
        self.queries += 1;
        let (query, order) = (self.query.clone(), self.order.clone());
        Some(match &self.last {
            None => Step::First(
                O::first(query, order),
                Slice::Page {
                    limit,
                    offset: self.offset,
                },
            ),
            Some(last) => {
                let offset = if O::KEYSET {
                    0
                } else {
                    self.offset.saturating_add(self.fetched)
                };
                Step::Next(O::next(query, order, last), Slice::Page { limit, offset })
            }
        })
    }

    /// Takes note of a batch read.
    fn record(&mut self, rows: &[M]) {
        let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        self.fetched = self.fetched.saturating_add(n);
        if let Some(remaining) = &mut self.remaining {
            *remaining -= n;
        }
        if n < self.asked {
            self.done = true;
        }
        if let Some(row) = rows.last() {
            self.last = Some(row.pk().clone());
        }
    }

    /// The refusal to read at all, once (the read then ends).
    fn refusal(&mut self) -> Option<orm_exec::Error> {
        let refused = self.refused.take()?;
        self.done = true;
        Some(refused)
    }
}

impl<M: Model, W: Clone, O: Clone> QuerySet<M, W, O> {
    /// The rows of the QuerySet, read `batch` rows per statement on a blocking connection;
    /// at most one batch is held in memory. In primary-key order when the QuerySet has no
    /// ordering (keyset pagination), else in its order (LIMIT/OFFSET batches, slower on big
    /// tables); see the [module documentation](crate::stream).
    ///
    /// An error ends the iteration after it is yielded.
    ///
    /// A `batch` of 0 yields one `Error::Usage`, and nothing else.
    pub fn iter<'c>(&self, conn: &'c mut Connection, batch: usize) -> RowIter<'c, M, W, O>
    where
        O: BlockingBatches<M, W>,
    {
        RowIter::new(conn, Plan::new(self, batch))
    }

    /// The rows of the QuerySet as an async stream, read `batch` rows per statement from a
    /// `&Database` (a pooled connection checked out per batch) or a `&mut PooledConnection`;
    /// at most one batch is held in memory. Ordered as [`QuerySet::iter`]; see the
    /// [module documentation](crate::stream).
    ///
    /// The stream is `Send`; an error ends it after it is yielded. Read it with
    /// [`RowStream::try_next`], or as a `futures_core::Stream` of `Result<M>`.
    ///
    /// A `batch` of 0 yields one `Error::Usage`, and nothing else.
    pub fn stream<'e, E>(&self, source: E, batch: usize) -> RowStream<'e, M, W, O, E>
    where
        M: Send,
        E: StreamSource<'e>,
        O: AsyncBatches<M, W>,
    {
        RowStream::new(source, Plan::new(self, batch))
    }
}
