//! [`RowStream`]: an async batched read, and [`StreamSource`], what it reads from.

use std::pin::Pin;
use std::task::{Context, Poll};

use orm_exec::{Database, PooledConnection, Result};
use orm_schema::Model;

use super::{BatchOrder, Plan, Step};
use crate::executor::BoxFuture;
use crate::run::{self, AsyncRunnable, Slice};

/// What [`QuerySet::stream`](crate::QuerySet::stream) reads from: `&Database` (a pooled
/// connection checked out for each batch, returned before the batch's rows are yielded)
/// or `&mut PooledConnection` (every batch on that connection).
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
        Q: AsyncRunnable<M>;
}

impl<'e> StreamSource<'e> for &'e Database {
    fn fetch<M, Q>(self, query: Q, slice: Slice) -> BoxFuture<'e, (Self, Result<Vec<M>>)>
    where
        M: Model + Send,
        Q: AsyncRunnable<M>,
    {
        Box::pin(async move {
            let loaded = match self.get().await {
                Ok(mut conn) => run::rows_pooled(&mut conn, query, slice).await,
                Err(e) => Err(e),
            };
            (self, loaded)
        })
    }
}

impl<'e> StreamSource<'e> for &'e mut PooledConnection {
    fn fetch<M, Q>(self, query: Q, slice: Slice) -> BoxFuture<'e, (Self, Result<Vec<M>>)>
    where
        M: Model + Send,
        Q: AsyncRunnable<M>,
    {
        Box::pin(async move {
            let loaded = run::rows_pooled(&mut *self, query, slice).await;
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
}

impl<'e, M, W, O, E> RowStream<'e, M, W, O, E>
where
    M: Model + Send,
    W: Clone,
    O: Clone + BatchOrder<M, W>,
    O::First: AsyncRunnable<M>,
    O::Next: AsyncRunnable<M>,
    E: super::StreamSource<'e>,
{
    /// The next row, `Ok(None)` at the end (as `futures::TryStreamExt::try_next`):
    /// `while let Some(row) = stream.try_next().await? { .. }`.
    pub async fn try_next(&mut self) -> Result<Option<M>> {
        std::future::poll_fn(|cx| self.poll_row(cx))
            .await
            .transpose()
    }

    fn poll_row(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<M>>> {
        loop {
            if let Some(row) = self.rows.next() {
                return Poll::Ready(Some(Ok(row)));
            }
            if let Some(loading) = &mut self.loading {
                let (source, loaded) = std::task::ready!(loading.as_mut().poll(cx));
                self.loading = None;
                self.source = Some(source);
                match loaded {
                    Ok(rows) => {
                        self.plan.record(&rows);
                        self.rows = rows.into_iter();
                        continue;
                    }
                    Err(e) => {
                        self.plan.stop();
                        return Poll::Ready(Some(Err(e)));
                    }
                }
            }
            if let Some(refused) = self.plan.refusal() {
                return Poll::Ready(Some(Err(refused)));
            }
            let Some(step) = self.plan.next_step() else {
                return Poll::Ready(None);
            };
            let source = self
                .source
                .take()
                .expect("the source is back once its batch has loaded");
            self.loading = Some(match step {
                Step::First(query, slice) => source.fetch(query, slice),
                Step::Next(query, slice) => source.fetch(query, slice),
            });
        }
    }
}

impl<'e, M, W, O, E> futures_core::Stream for RowStream<'e, M, W, O, E>
where
    M: Model + Send,
    W: Clone,
    O: Clone + BatchOrder<M, W>,
    O::First: AsyncRunnable<M>,
    O::Next: AsyncRunnable<M>,
    E: StreamSource<'e>,
{
    type Item = Result<M>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<M>>> {
        self.get_mut().poll_row(cx)
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
