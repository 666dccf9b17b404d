//! [`RowStream`]: an async batched read, and [`StreamSource`], what it reads from.

use std::pin::Pin;
use std::task::{Context, Poll};

use orm_exec::operation::Run;
use orm_exec::{Database, PooledConnection, Result};
use orm_schema::Model;

use super::{AsyncBatches, Plan, Step};
use crate::executor::BoxFuture;
use crate::run::{AsyncRunnable, Rows, Slice};

/// What [`QuerySet::stream`](crate::QuerySet::stream) reads from: `&Database` (a pooled
/// connection checked out for each batch, returned before the batch's rows are yielded)
/// or `&mut PooledConnection` (every batch on that connection). A thin adapter over
/// orm-exec's [`Run`]: each batch is the [`Rows`] read, and the source comes back with
/// its rows, for the next batch.
#[diagnostic::on_unimplemented(
    message = "a QuerySet cannot be streamed from `{Self}`",
    note = "stream from `&Database` or `&mut PooledConnection`; on a blocking `Connection`, use `iter`"
)]
pub trait StreamSource<'e>: Send + Sized + 'e {
    /// Loads one batch; gives the source back with the rows.
    #[doc(hidden)]
    fn fetch<M, Q>(self, query: Q, slice: Slice) -> BoxFuture<'e, (Self, Result<Vec<M>>)>
    where
        M: Model + Send,
        Q: AsyncRunnable<M> + Clone;
}

impl<'e> StreamSource<'e> for &'e Database {
    fn fetch<M, Q>(self, query: Q, slice: Slice) -> BoxFuture<'e, (Self, Result<Vec<M>>)>
    where
        M: Model + Send,
        Q: AsyncRunnable<M> + Clone,
    {
        Box::pin(async move { (self, self.run(Rows::new(query, slice)).await) })
    }
}

impl<'e> StreamSource<'e> for &'e mut PooledConnection {
    fn fetch<M, Q>(self, query: Q, slice: Slice) -> BoxFuture<'e, (Self, Result<Vec<M>>)>
    where
        M: Model + Send,
        Q: AsyncRunnable<M> + Clone,
    {
        Box::pin(async move {
            let loaded = (&mut *self).run(Rows::new(query, slice)).await;
            (self, loaded)
        })
    }
}

/// The rows of a QuerySet read in batches, as an async stream of `Result<M>`: what
/// [`QuerySet::stream`](crate::QuerySet::stream) returns. Holds at most one batch; `Send`.
pub struct RowStream<'e, M: Model, W, O, E> {
    /// `None` while a batch is loading.
    source: Option<E>,
    plan: Plan<M, W, O>,
    rows: std::vec::IntoIter<M>,
    loading: Option<BoxFuture<'e, (E, Result<Vec<M>>)>>,
}

// No field is pinned structurally: the batch in flight is boxed.
impl<M: Model, W, O, E> Unpin for RowStream<'_, M, W, O, E> {}

impl<'e, M: Model, W, O, E> RowStream<'e, M, W, O, E> {
    pub(super) fn new(source: E, plan: Plan<M, W, O>) -> Self {
        RowStream {
            source: Some(source),
            plan,
            rows: Vec::new().into_iter(),
            loading: None,
        }
    }

    /// The number of statements issued so far (one per batch).
    pub fn queries(&self) -> u64 {
        self.plan.queries
    }

    /// The next row, `Ok(None)` at the end (as `futures::TryStreamExt::try_next`):
    /// `while let Some(row) = stream.try_next().await? { .. }`.
    pub async fn try_next(&mut self) -> Result<Option<M>>
    where
        Self: futures_core::Stream<Item = Result<M>>,
    {
        std::future::poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut *self), cx))
            .await
            .transpose()
    }
}

impl<'e, M, W, O, E> futures_core::Stream for RowStream<'e, M, W, O, E>
where
    M: Model + Send,
    W: Clone,
    O: AsyncBatches<M, W>,
    E: StreamSource<'e>,
{
    type Item = Result<M>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<M>>> {
        let this = self.get_mut();
        while this.rows.len() == 0 {
            if let Some(loading) = &mut this.loading {
                let (source, loaded) = std::task::ready!(loading.as_mut().poll(cx));
                this.loading = None;
                this.source = Some(source);
                match this.plan.take(loaded) {
                    Ok(rows) => this.rows = rows,
                    Err(e) => return Poll::Ready(Some(Err(e))),
                }
                continue;
            }
            let step = match this.plan.next_batch() {
                None => return Poll::Ready(None),
                Some(Err(refused)) => return Poll::Ready(Some(Err(refused))),
                Some(Ok(step)) => step,
            };
            let source = this
                .source
                .take()
                .expect("the source is back once its batch has loaded");
            this.loading = Some(match step {
                Step::First(query, slice) => source.fetch(query, slice),
                Step::Next(query, slice) => source.fetch(query, slice),
            });
        }
        Poll::Ready(this.rows.next().map(Ok))
    }
}

impl<M: Model, W, O, E> std::fmt::Debug for RowStream<'_, M, W, O, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowStream")
            .field("model", &M::meta().name)
            .field("queries", &self.plan.queries)
            .field("buffered", &self.rows.len())
            .field("loading", &self.loading.is_some())
            .finish_non_exhaustive()
    }
}
