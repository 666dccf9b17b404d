//! The async operations on a [`PooledConnection`]: [`crate::run`]'s operations, awaited
//! on diesel-async's PostgreSQL and MySQL connections; on SQLite run to their end on
//! diesel's own `SqliteConnection`, on the connection's own thread (orm-exec's
//! `InlineSqlite`: inline on a multi-thread runtime), where diesel's SQLite connection can
//! do what diesel-async's wrapper cannot (multi-row inserts).

#[cfg(feature = "sqlite")]
use orm_exec::Error;
use orm_exec::{PooledConnection, Result};

use crate::ops::{AsyncAssignable, AsyncFiltered, AsyncStorable};
use crate::run;

/// Runs `$op`, one of [`crate::run`]'s operations on `$c`, on the backend connection
/// `$conn` holds: awaited on a server, run to its end on SQLite's thread (moving what it
/// uses).
macro_rules! on_pooled {
    ($conn:expr, |$c:ident| $op:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            PooledConnection::Sqlite(pooled) => {
                let wrapper: &mut orm_exec::database::AsyncSqlite = &mut **pooled;
                let outcome = wrapper
                    .spawn_blocking(move |$c| {
                        Ok(run::blocking($c, |$c| {
                            orm_exec::statement_conn::run_now($op)
                        }))
                    })
                    .await;
                match outcome {
                    Ok(outcome) => outcome,
                    Err(e) => Err(Error::from_diesel(e, orm_exec::Backend::Sqlite)),
                }
            }
            #[cfg(not(feature = "sqlite"))]
            PooledConnection::Sqlite(pooled) => orm_exec::__private::unreachable_backend(pooled),
            #[cfg(feature = "postgres")]
            PooledConnection::Postgres(pooled) => {
                let $c: &mut orm_exec::database::AsyncPg = &mut **pooled;
                $op.await
            }
            #[cfg(not(feature = "postgres"))]
            PooledConnection::Postgres(pooled) => orm_exec::__private::unreachable_backend(pooled),
            #[cfg(feature = "mysql")]
            PooledConnection::Mysql(pooled) => {
                let $c: &mut orm_exec::database::AsyncMysql = &mut **pooled;
                $op.await
            }
            #[cfg(not(feature = "mysql"))]
            PooledConnection::Mysql(pooled) => orm_exec::__private::unreachable_backend(pooled),
        }
    };
}

/// See [`run::create`].
pub async fn create<M: AsyncStorable>(conn: &mut PooledConnection, form: M::Insert) -> Result<M> {
    on_pooled!(conn, |c| run::create::<M, _>(c, form))
}

/// See [`run::bulk_create`].
pub async fn bulk_create<M: AsyncStorable>(
    conn: &mut PooledConnection,
    forms: Vec<M::Insert>,
) -> Result<Vec<M>> {
    on_pooled!(conn, |c| run::bulk_create::<M, _>(c, forms))
}

/// See [`run::find`].
pub async fn find<M: AsyncStorable>(conn: &mut PooledConnection, pk: M::PrimaryKey) -> Result<M> {
    on_pooled!(conn, |c| run::find::<M, _>(c, pk))
}

/// See [`run::update_pk`].
pub async fn update_pk<M: AsyncStorable>(
    conn: &mut PooledConnection,
    pk: M::PrimaryKey,
    changes: M::Changes,
) -> Result<Option<M>> {
    on_pooled!(conn, |c| run::update_pk::<M, _>(c, pk, changes))
}

/// See [`run::delete`].
pub async fn delete<M: AsyncStorable>(
    conn: &mut PooledConnection,
    pk: M::PrimaryKey,
) -> Result<()> {
    on_pooled!(conn, |c| run::delete::<M, _>(c, pk))
}

/// See [`run::assign`].
pub async fn assign<V: AsyncAssignable<W>, W: Send + 'static>(
    conn: &mut PooledConnection,
    changes: V,
    target: W,
) -> Result<usize> {
    on_pooled!(conn, |c| run::assign(c, changes, target))
}

/// See [`run::delete_where`].
pub async fn delete_where<M: AsyncStorable, F: AsyncFiltered<M>>(
    conn: &mut PooledConnection,
    target: F,
) -> Result<usize> {
    on_pooled!(conn, |c| run::delete_where::<M, _, _>(c, target))
}

/// See [`run::get_or_create`].
pub async fn get_or_create<M: AsyncStorable, F: AsyncFiltered<M> + Clone>(
    conn: &mut PooledConnection,
    filtered: F,
    form: M::Insert,
) -> Result<(M, bool)> {
    on_pooled!(conn, |c| run::get_or_create::<M, _, _>(c, filtered, form))
}

/// See [`run::update_or_create`].
pub async fn update_or_create<M: AsyncStorable, F: AsyncFiltered<M> + Clone>(
    conn: &mut PooledConnection,
    filtered: F,
    form: M::Insert,
) -> Result<(M, bool)> {
    on_pooled!(conn, |c| run::update_or_create::<M, _, _>(
        c, filtered, form
    ))
}
