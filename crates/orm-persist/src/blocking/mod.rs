//! The blocking executor: every operation on a [`Connection`] runs now, on whichever
//! backend it holds (through `dispatch!`), and returns its result: [`crate::run`]'s
//! operations, driven to their end at once (`orm_exec::statement_conn::run_now`).

use orm_exec::statement_conn::run_now;
use orm_exec::{dispatch, Connection, Result};
use orm_schema::ForeignKey;

use crate::bulk_update::Assigned;
use crate::executor::{AssignExecutor, LinkExecutor, PersistExecutor, RowExecutor, WhereExecutor};
use crate::input::gone;
use crate::many_to_many::{Link, Relinked};
use crate::ops::{Assignable, Filtered, Storable};
use crate::run;
use crate::upsert::Conflict;

/// Runs `$op`, one of [`crate::run`]'s operations on `$c` (the backend connection `$conn`
/// holds), to its end, now.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $op:expr) => {
        dispatch!($conn, $c => run::blocking($c, |$c| run_now($op)))
    };
}

impl<'a> PersistExecutor<'a> for &mut Connection {
    type Output<T: Send + 'a> = Result<T>;

    fn ready<T: Send + 'a>(value: Result<T>) -> Result<T> {
        value
    }

    fn map<T: Send + 'a, U: Send + 'a>(
        output: Result<T>,
        f: impl FnOnce(T) -> U + Send + 'a,
    ) -> Result<U> {
        output.map(f)
    }
}

impl<'a, M: Storable> RowExecutor<'a, M> for &mut Connection {
    fn create(self, form: M::Insert) -> Result<M> {
        on_backend!(self, |c| run::create::<M, _>(c, form))
    }

    fn bulk_create(self, forms: Vec<M::Insert>) -> Result<Vec<M>> {
        on_backend!(self, |c| run::bulk_create::<M, _>(c, forms))
    }

    fn bulk_insert(self, forms: Vec<M::Insert>) -> Result<usize> {
        on_backend!(self, |c| run::bulk_insert::<M, _>(c, forms))
    }

    fn upsert(self, forms: Vec<M::Insert>, conflict: Conflict) -> Result<Vec<M>> {
        on_backend!(self, |c| run::upsert::<M, _>(c, forms, conflict))
    }

    fn bulk_update(self, rows: Vec<M>, assigned: Assigned) -> Result<usize> {
        on_backend!(self, |c| run::bulk_update::<M, _>(c, rows, assigned))
    }

    fn update(self, model: &'a mut M, changes: M::Changes) -> Result<()> {
        on_backend!(self, |c| run::update::<M, _>(c, model, changes))
    }

    fn delete(self, model: &M) -> Result<()> {
        let pk = model.pk().clone();
        on_backend!(self, |c| run::delete::<M, _>(c, pk))
    }

    fn reload(self, model: &'a mut M) -> Result<()> {
        let pk = model.pk().clone();
        *model = on_backend!(self, |c| run::find::<M, _>(c, pk))?;
        Ok(())
    }

    fn load(self, fk: &'a mut ForeignKey<M, M::PrimaryKey>) -> Result<&'a M>
    where
        M: Sync,
    {
        let pk = fk.pk().clone();
        let row = on_backend!(self, |c| run::find::<M, _>(c, pk))?;
        fk.set_loaded(row);
        fk.get().ok_or_else(gone::<M>)
    }
}

impl<'a, M, F> WhereExecutor<'a, M, F> for &mut Connection
where
    M: Storable,
    F: Filtered<M> + Clone,
{
    fn get_or_create(self, filtered: F, form: M::Insert) -> Result<(M, bool)> {
        on_backend!(self, |c| run::get_or_create::<M, _, _>(c, filtered, form))
    }

    fn update_or_create(self, filtered: F, form: M::Insert) -> Result<(M, bool)> {
        on_backend!(self, |c| run::update_or_create::<M, _, _>(
            c, filtered, form
        ))
    }

    fn delete_where(self, target: F) -> Result<usize> {
        on_backend!(self, |c| run::delete_where::<M, _, _>(c, target))
    }
}

impl<'a, V, W> AssignExecutor<'a, V, W> for &mut Connection
where
    V: Assignable<W>,
{
    fn assign(self, changes: V, target: W) -> Result<usize> {
        on_backend!(self, |c| run::assign(c, changes, target))
    }
}

impl<'a, T, K, P, S> LinkExecutor<'a, T, K, P, S> for &mut Connection
where
    T: Storable,
    K: std::hash::Hash + Eq + Send,
    P: Filtered<T>,
    S: Filtered<T>,
{
    fn link(self, link: Link<T, K, P, S>) -> Result<Relinked> {
        on_backend!(self, |c| run::link(c, link))
    }
}
