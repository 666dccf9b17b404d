//! The async operations on a [`PooledConnection`]: [`crate::run`]'s operations, awaited
//! on the backend connection it holds (`async_dispatch!`). On SQLite each statement runs
//! on the connection's own thread (orm-exec's `InlineSqlite`: inline on a multi-thread
//! runtime).

use orm_exec::{async_dispatch, PooledConnection, Result};

use crate::ops::{AsyncAssignable, AsyncFiltered, AsyncStorable};
use crate::run;

/// See [`run::create`].
pub async fn create<M: AsyncStorable>(conn: &mut PooledConnection, form: M::Insert) -> Result<M> {
    async_dispatch!(conn, c => run::create::<M, _>(c, form).await)
}

/// See [`run::bulk_create`].
pub async fn bulk_create<M: AsyncStorable>(
    conn: &mut PooledConnection,
    forms: Vec<M::Insert>,
) -> Result<Vec<M>> {
    async_dispatch!(conn, c => run::bulk_create::<M, _>(c, forms).await)
}

/// See [`run::bulk_insert`].
pub async fn bulk_insert<M: AsyncStorable>(
    conn: &mut PooledConnection,
    forms: Vec<M::Insert>,
) -> Result<usize> {
    async_dispatch!(conn, c => run::bulk_insert::<M, _>(c, forms).await)
}

/// See [`run::upsert`].
pub async fn upsert<M: AsyncStorable>(
    conn: &mut PooledConnection,
    forms: Vec<M::Insert>,
    conflict: crate::upsert::Conflict,
) -> Result<Vec<M>> {
    async_dispatch!(conn, c => run::upsert::<M, _>(c, forms, conflict).await)
}

/// See [`run::bulk_update`].
pub async fn bulk_update<M: AsyncStorable>(
    conn: &mut PooledConnection,
    rows: Vec<M>,
    assigned: crate::bulk_update::Assigned,
) -> Result<usize> {
    async_dispatch!(conn, c => run::bulk_update::<M, _>(c, rows, assigned).await)
}

/// See [`run::find`].
pub async fn find<M: AsyncStorable>(conn: &mut PooledConnection, pk: M::PrimaryKey) -> Result<M> {
    async_dispatch!(conn, c => run::find::<M, _>(c, pk).await)
}

/// See [`run::update_pk`].
pub async fn update_pk<M: AsyncStorable>(
    conn: &mut PooledConnection,
    pk: M::PrimaryKey,
    changes: M::Changes,
) -> Result<Option<M>> {
    async_dispatch!(conn, c => run::update_pk::<M, _>(c, pk, changes).await)
}

/// See [`run::delete`].
pub async fn delete<M: AsyncStorable>(
    conn: &mut PooledConnection,
    pk: M::PrimaryKey,
) -> Result<()> {
    async_dispatch!(conn, c => run::delete::<M, _>(c, pk).await)
}

/// See [`run::assign`].
pub async fn assign<V: AsyncAssignable<W>, W: Send + 'static>(
    conn: &mut PooledConnection,
    changes: V,
    target: W,
) -> Result<usize> {
    async_dispatch!(conn, c => run::assign(c, changes, target).await)
}

/// See [`run::delete_where`].
pub async fn delete_where<M: AsyncStorable, F: AsyncFiltered<M>>(
    conn: &mut PooledConnection,
    target: F,
) -> Result<usize> {
    async_dispatch!(conn, c => run::delete_where::<M, _, _>(c, target).await)
}

/// See [`run::get_or_create`].
pub async fn get_or_create<M: AsyncStorable, F: AsyncFiltered<M> + Clone>(
    conn: &mut PooledConnection,
    filtered: F,
    form: M::Insert,
) -> Result<(M, bool)> {
    async_dispatch!(conn, c => run::get_or_create::<M, _, _>(c, filtered, form).await)
}

/// See [`run::update_or_create`].
pub async fn update_or_create<M: AsyncStorable, F: AsyncFiltered<M> + Clone>(
    conn: &mut PooledConnection,
    filtered: F,
    form: M::Insert,
) -> Result<(M, bool)> {
    async_dispatch!(conn, c => run::update_or_create::<M, _, _>(c, filtered, form).await)
}

/// See [`run::link`].
pub async fn link<T, K, P, S>(
    conn: &mut PooledConnection,
    link: crate::many_to_many::Link<T, K, P, S>,
) -> Result<crate::many_to_many::Relinked>
where
    T: AsyncStorable,
    K: std::hash::Hash + Eq + Send + 'static,
    P: AsyncFiltered<T>,
    S: AsyncFiltered<T>,
{
    async_dispatch!(conn, c => run::link(c, link).await)
}
