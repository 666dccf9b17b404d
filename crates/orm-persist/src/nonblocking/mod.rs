//! The async executors: [`Database`] (each operation checks a connection out of the pool
//! for its statements, and returns it) and [`PooledConnection`] (operations run on that
//! connection, inside its transaction if one is open). Every operation returns a boxed
//! `Send` future.

pub(crate) mod run;

use std::future::Future;
use std::pin::Pin;

use orm_exec::{Database, PooledConnection, Result};
use orm_schema::ForeignKey;

use crate::executor::{AssignExecutor, LinkExecutor, PersistExecutor, RowExecutor, WhereExecutor};
use crate::input::gone;
use crate::many_to_many::{Link, Relinked};
use crate::ops::{AsyncAssignable, AsyncFiltered, AsyncStorable};

/// The future an async persistence operation returns.
pub type PersistFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// Implements the executor traits for an async executor type: `$this` is the executor,
/// `$conn` an expression giving the `&mut PooledConnection` to run on.
macro_rules! async_executor {
    ($ty:ty, $lt:lifetime, $this:ident => $conn:expr) => {
        impl<'a, $lt: 'a> PersistExecutor<'a> for $ty {
            type Output<T: Send + 'a> = PersistFuture<'a, T>;

            fn ready<T: Send + 'a>(value: Result<T>) -> PersistFuture<'a, T> {
                Box::pin(std::future::ready(value))
            }

            fn map<T: Send + 'a, U: Send + 'a>(
                output: PersistFuture<'a, T>,
                f: impl FnOnce(T) -> U + Send + 'a,
            ) -> PersistFuture<'a, U> {
                Box::pin(async move { output.await.map(f) })
            }
        }

        impl<'a, $lt: 'a, M: AsyncStorable> RowExecutor<'a, M> for $ty {
            fn create(self, form: M::Insert) -> PersistFuture<'a, M> {
                let $this = self;
                Box::pin(async move { run::create::<M>($conn, form).await })
            }

            fn bulk_create(self, forms: Vec<M::Insert>) -> PersistFuture<'a, Vec<M>> {
                let $this = self;
                Box::pin(async move { run::bulk_create::<M>($conn, forms).await })
            }

            fn bulk_insert(self, forms: Vec<M::Insert>) -> PersistFuture<'a, usize> {
                let $this = self;
                Box::pin(async move { run::bulk_insert::<M>($conn, forms).await })
            }

            fn upsert(
                self,
                forms: Vec<M::Insert>,
                conflict: crate::upsert::Conflict,
            ) -> PersistFuture<'a, Vec<M>> {
                let $this = self;
                Box::pin(async move { run::upsert::<M>($conn, forms, conflict).await })
            }

            fn bulk_update(
                self,
                rows: Vec<M>,
                assigned: crate::bulk_update::Assigned,
            ) -> PersistFuture<'a, usize> {
                let $this = self;
                Box::pin(async move { run::bulk_update::<M>($conn, rows, assigned).await })
            }

            fn update(self, model: &'a mut M, changes: M::Changes) -> PersistFuture<'a, ()> {
                let $this = self;
                Box::pin(async move {
                    let pk = model.pk().clone();
                    if let Some(stored) = run::update_pk::<M>($conn, pk, changes).await? {
                        *model = stored;
                    }
                    Ok(())
                })
            }

            fn delete(self, model: &M) -> PersistFuture<'a, ()> {
                let pk = model.pk().clone();
                let $this = self;
                Box::pin(async move { run::delete::<M>($conn, pk).await })
            }

            fn reload(self, model: &'a mut M) -> PersistFuture<'a, ()> {
                let $this = self;
                Box::pin(async move {
                    let pk = model.pk().clone();
                    *model = run::find::<M>($conn, pk).await?;
                    Ok(())
                })
            }

            fn load(self, fk: &'a mut ForeignKey<M, M::PrimaryKey>) -> PersistFuture<'a, &'a M>
            where
                M: Sync,
            {
                let $this = self;
                Box::pin(async move {
                    let pk = fk.pk().clone();
                    let row = run::find::<M>($conn, pk).await?;
                    fk.set_loaded(row);
                    fk.get().ok_or_else(gone::<M>)
                })
            }
        }

        impl<'a, $lt: 'a, M, F> WhereExecutor<'a, M, F> for $ty
        where
            M: AsyncStorable,
            F: AsyncFiltered<M> + Clone,
        {
            fn get_or_create(self, filtered: F, form: M::Insert) -> PersistFuture<'a, (M, bool)> {
                let $this = self;
                Box::pin(async move { run::get_or_create::<M, F>($conn, filtered, form).await })
            }

            fn update_or_create(
                self,
                filtered: F,
                form: M::Insert,
            ) -> PersistFuture<'a, (M, bool)> {
                let $this = self;
                Box::pin(async move { run::update_or_create::<M, F>($conn, filtered, form).await })
            }

            fn delete_where(self, target: F) -> PersistFuture<'a, usize> {
                let $this = self;
                Box::pin(async move { run::delete_where::<M, F>($conn, target).await })
            }
        }

        impl<'a, $lt: 'a, T, K, P, S> LinkExecutor<'a, T, K, P, S> for $ty
        where
            T: AsyncStorable,
            K: std::hash::Hash + Eq + Send + 'static,
            P: AsyncFiltered<T>,
            S: AsyncFiltered<T>,
        {
            fn link(self, link: Link<T, K, P, S>) -> PersistFuture<'a, Relinked> {
                let $this = self;
                Box::pin(async move { run::link::<T, K, P, S>($conn, link).await })
            }
        }

        impl<'a, $lt: 'a, V, W> AssignExecutor<'a, V, W> for $ty
        where
            V: AsyncAssignable<W>,
            W: Send + 'static,
        {
            fn assign(self, changes: V, target: W) -> PersistFuture<'a, usize> {
                let $this = self;
                Box::pin(async move { run::assign($conn, changes, target).await })
            }
        }
    };
}

async_executor!(&'d Database, 'd, db => &mut db.get().await?);
async_executor!(&'c mut PooledConnection, 'c, conn => conn);
