//! Each persistence operation as a value: what it carries, what it gives back
//! ([`Operation`]) and how it runs on any backend connection ([`OperationOn`]: the logic of
//! [`crate::run`], awaited). The methods of [`crate::api`] build one and hand it to the
//! executor they were given (`orm_exec::operation::Run`), which runs it blocking or
//! async; users never name these, except when an error message does.

use std::future::Future;
use std::hash::Hash;

use orm_exec::operation::{Operation, OperationOn, Retry};
use orm_exec::statement_conn::StatementConn;
use orm_exec::Result;
use orm_schema::ForeignKey;

use crate::bulk_update::Assigned;
use crate::derive::Persist;
use crate::input::gone;
use crate::many_to_many::{Link, Relinked};
use crate::ops::{AssignOps, FilterOps, RowOps};
use crate::run;
use crate::upsert::Conflict;

/// `create`: validates and inserts one form; the stored model.
pub struct Create<M: Persist>(pub(crate) M::Insert);

/// `bulk_create`: validates every form and inserts them in one transaction; the stored
/// models.
pub struct BulkCreate<M: Persist>(pub(crate) Vec<M::Insert>);

/// `bulk_insert`: [`BulkCreate`] without the rows back; how many were inserted.
pub struct BulkInsert<M: Persist>(pub(crate) Vec<M::Insert>);

/// An upsert's `create` / `bulk_create`: inserts settling conflicts as the [`Conflict`]
/// says (see [`crate::upsert`]).
pub struct UpsertRows<M: Persist>(pub(crate) Vec<M::Insert>, pub(crate) Conflict);

/// `bulk_update`: sets the assigned fields of every row, by primary key.
pub struct BulkUpdate<M>(pub(crate) Vec<M>, pub(crate) Assigned);

/// A model's `update`: applies the changes to its row, then sets the model to the row.
pub struct Update<'m, M: Persist>(pub(crate) &'m mut M, pub(crate) M::Changes);

/// A model's `delete`: deletes the row with this key.
pub struct Delete<M: Persist>(pub(crate) M::PrimaryKey);

/// A model's `reload`: sets it to its row as stored.
pub struct Reload<'m, M>(pub(crate) &'m mut M);

/// A foreign key's `load`: loads the row it references into it.
pub struct Load<'k, M: Persist>(pub(crate) &'k mut ForeignKey<M, M::PrimaryKey>);

/// `get_or_create`: the row the filter selects, or a new one from the form.
pub struct GetOrCreate<M: Persist, F>(pub(crate) F, pub(crate) M::Insert);

/// `update_or_create`: the row the filter selects, updated with the form, or a new one.
pub struct UpdateOrCreate<M: Persist, F>(pub(crate) F, pub(crate) M::Insert);

/// A QuerySet's `delete`: deletes the rows the filter `F` of model `M` selects; how many.
pub struct DeleteWhere<M, F>(pub(crate) F, pub(crate) std::marker::PhantomData<fn() -> M>);

/// A QuerySet's `update`: `UPDATE ... SET V WHERE W`; how many rows.
pub struct Assign<V, W>(pub(crate) V, pub(crate) W);

/// A many-to-many `add` or `set`: the links added and removed.
pub struct Relink<T: orm_schema::Model, K, P, S>(pub(crate) Link<T, K, P, S>);

/// Implements [`Operation`], [`Retry`] (a write: none) and [`OperationOn`] for one
/// operation type: `$output` is what
/// it gives back, `$run` its logic on `conn: &mut C` given `$this`, its value. (Debug
/// shows the operation's name: the values it carries may not be printable.)
macro_rules! operation {
    (
        [$($gen:tt)*] $ty:ty => $output:ty, on C where [$($on:tt)*],
        |$this:ident, $conn:ident| $run:expr
    ) => {
        impl<$($gen)*> Operation for $ty {
            type Output = $output;
        }

        /// A write: never run twice.
        impl<$($gen)*> Retry for $ty {}

        impl<$($gen)*> std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($ty))
            }
        }

        impl<$($gen)*, C: StatementConn> OperationOn<C> for $ty
        where
            $($on)*
        {
            fn run(self, $conn: &mut C) -> impl Future<Output = Result<$output>> + Send {
                let $this = self;
                $run
            }
        }
    };
}

operation!([M: Persist] Create<M> => M, on C where [M: RowOps<C>],
    |op, conn| run::create::<M, C>(conn, op.0));
operation!([M: Persist] BulkCreate<M> => Vec<M>, on C where [M: RowOps<C>],
    |op, conn| run::bulk_create::<M, C>(conn, op.0));
operation!([M: Persist] BulkInsert<M> => usize, on C where [M: RowOps<C>],
    |op, conn| run::bulk_insert::<M, C>(conn, op.0));
operation!([M: Persist] UpsertRows<M> => Vec<M>, on C where [M: RowOps<C>],
    |op, conn| run::upsert::<M, C>(conn, op.0, op.1));
operation!([M: Persist] BulkUpdate<M> => usize, on C where [M: RowOps<C>],
    |op, conn| run::bulk_update::<M, C>(conn, op.0, op.1));
operation!(['m, M: Persist] Update<'m, M> => (), on C where [M: RowOps<C>],
    |op, conn| run::update::<M, C>(conn, op.0, op.1));
operation!([M: Persist] Delete<M> => (), on C where [M: RowOps<C>],
    |op, conn| run::delete::<M, C>(conn, op.0));
operation!(['m, M: Persist] Reload<'m, M> => (), on C where [M: RowOps<C>],
|op, conn| async move {
    *op.0 = run::find::<M, C>(conn, op.0.pk().clone()).await?;
    Ok(())
});
operation!(['k, M: Persist + Sync] Load<'k, M> => &'k M, on C where [M: RowOps<C>],
|op, conn| async move {
    let row = run::find::<M, C>(conn, op.0.pk().clone()).await?;
    op.0.set_loaded(row);
    op.0.get().ok_or_else(gone::<M>)
});
operation!([M: Persist, F] GetOrCreate<M, F> => (M, bool),
    on C where [M: RowOps<C>, F: FilterOps<M, C> + Clone + Send],
    |op, conn| run::get_or_create::<M, C, F>(conn, op.0, op.1));
operation!([M: Persist, F] UpdateOrCreate<M, F> => (M, bool),
    on C where [M: RowOps<C>, F: FilterOps<M, C> + Clone + Send],
    |op, conn| run::update_or_create::<M, C, F>(conn, op.0, op.1));
operation!([M, F] DeleteWhere<M, F> => usize,
    on C where [F: FilterOps<M, C> + Send],
    |op, conn| run::delete_where::<M, F, C>(conn, op.0));
operation!([V, W] Assign<V, W> => usize,
    on C where [V: AssignOps<W, C> + Send, W: Send],
    |op, conn| run::assign::<V, W, C>(conn, op.0, op.1));
operation!([T: Persist, K, P, S] Relink<T, K, P, S> => Relinked,
    on C where [T: RowOps<C>, K: Hash + Eq + Send, P: FilterOps<T, C> + Send, S: FilterOps<T, C> + Send],
    |op, conn| run::link::<T, C, K, P, S>(conn, op.0));
