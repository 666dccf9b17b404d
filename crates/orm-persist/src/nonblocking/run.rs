//! The async operations on a [`PooledConnection`]: on PostgreSQL and MySQL the async twins
//! of [`crate::blocking::run`] (module [`server`]), generic over diesel-async's connection;
//! on SQLite the blocking operations themselves, run on the connection's own thread
//! (orm-exec's `InlineSqlite`: inline on a multi-thread runtime), where diesel's SQLite
//! connection can do what diesel-async's wrapper cannot (multi-row inserts).

#[cfg(feature = "sqlite")]
use orm_exec::Error;
use orm_exec::{PooledConnection, Result};

#[cfg(feature = "sqlite")]
use crate::blocking::run as blocking;
use crate::ops::{AsyncAssignable, AsyncFiltered, AsyncStorable};

/// Runs `$sqlite` (with `$c` the blocking `SqliteConnection`, moving what it uses) or
/// `$server` (with `$c` diesel-async's connection) on the backend `$conn` holds.
macro_rules! on_pooled {
    ($conn:expr, |$c:ident| sqlite: $sqlite:expr, server: $server:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            PooledConnection::Sqlite(pooled) => {
                let wrapper: &mut orm_exec::database::AsyncSqlite = &mut **pooled;
                match wrapper.spawn_blocking(move |$c| Ok($sqlite)).await {
                    Ok(outcome) => outcome,
                    Err(e) => Err(Error::from_diesel(e, orm_exec::Backend::Sqlite)),
                }
            }
            #[cfg(not(feature = "sqlite"))]
            PooledConnection::Sqlite(pooled) => orm_exec::__private::unreachable_backend(pooled),
            #[cfg(feature = "postgres")]
            PooledConnection::Postgres(pooled) => {
                let $c: &mut diesel_async::AsyncPgConnection = &mut **pooled;
                $server.await
            }
            #[cfg(not(feature = "postgres"))]
            PooledConnection::Postgres(pooled) => orm_exec::__private::unreachable_backend(pooled),
            #[cfg(feature = "mysql")]
            PooledConnection::Mysql(pooled) => {
                let $c: &mut diesel_async::AsyncMysqlConnection = &mut **pooled;
                $server.await
            }
            #[cfg(not(feature = "mysql"))]
            PooledConnection::Mysql(pooled) => orm_exec::__private::unreachable_backend(pooled),
        }
    };
}

/// See [`blocking::create`].
pub async fn create<M: AsyncStorable>(conn: &mut PooledConnection, form: M::Insert) -> Result<M> {
    on_pooled!(conn, |c| sqlite: blocking::create::<M, _>(c, form), server: server::create::<M, _>(c, form))
}

/// See [`blocking::bulk_create`].
pub async fn bulk_create<M: AsyncStorable>(
    conn: &mut PooledConnection,
    forms: Vec<M::Insert>,
) -> Result<Vec<M>> {
    on_pooled!(conn, |c| sqlite: blocking::bulk_create::<M, _>(c, forms), server: server::bulk_create::<M, _>(c, forms))
}

/// See [`blocking::find`].
pub async fn find<M: AsyncStorable>(conn: &mut PooledConnection, pk: M::PrimaryKey) -> Result<M> {
    on_pooled!(conn, |c| sqlite: blocking::find::<M, _>(c, pk), server: server::find::<M, _>(c, pk))
}

/// See [`blocking::update_pk`].
pub async fn update_pk<M: AsyncStorable>(
    conn: &mut PooledConnection,
    pk: M::PrimaryKey,
    changes: M::Changes,
) -> Result<Option<M>> {
    on_pooled!(conn, |c| sqlite: blocking::update_pk::<M, _>(c, pk, changes), server: server::update_pk::<M, _>(c, pk, changes))
}

/// See [`blocking::delete`].
pub async fn delete<M: AsyncStorable>(
    conn: &mut PooledConnection,
    pk: M::PrimaryKey,
) -> Result<()> {
    on_pooled!(conn, |c| sqlite: blocking::delete::<M, _>(c, pk), server: server::delete::<M, _>(c, pk))
}

/// See [`blocking::assign`].
pub async fn assign<V: AsyncAssignable<W>, W: Send + 'static>(
    conn: &mut PooledConnection,
    changes: V,
    target: W,
) -> Result<usize> {
    on_pooled!(conn, |c| sqlite: blocking::assign(c, changes, target), server: server::assign(c, changes, target))
}

/// See [`blocking::delete_where`].
pub async fn delete_where<M: AsyncStorable, F: AsyncFiltered<M>>(
    conn: &mut PooledConnection,
    target: F,
) -> Result<usize> {
    on_pooled!(conn, |c| sqlite: blocking::delete_where::<M, _, _>(c, target), server: server::delete_where::<M, _, _>(c, target))
}

/// See [`blocking::get_or_create`].
pub async fn get_or_create<M: AsyncStorable, F: AsyncFiltered<M> + Clone>(
    conn: &mut PooledConnection,
    filtered: F,
    form: M::Insert,
) -> Result<(M, bool)> {
    on_pooled!(conn, |c| sqlite: blocking::get_or_create::<M, _, _>(c, filtered, form), server: server::get_or_create::<M, _, _>(c, filtered, form))
}

/// See [`blocking::update_or_create`].
pub async fn update_or_create<M: AsyncStorable, F: AsyncFiltered<M> + Clone>(
    conn: &mut PooledConnection,
    filtered: F,
    form: M::Insert,
) -> Result<(M, bool)> {
    on_pooled!(conn, |c| sqlite: blocking::update_or_create::<M, _, _>(c, filtered, form), server: server::update_or_create::<M, _, _>(c, filtered, form))
}

/// The async operations on diesel-async's PostgreSQL and MySQL connections, step for step
/// the blocking ones of [`crate::blocking::run`] (see there for the why).
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub mod server {
    use orm_exec::Result;

    use crate::derive::now;
    use crate::input::{
        at_most_one, backoff, gone, prepare, prepare_all, prepare_changes, rows_per_statement,
        MAX_ATTEMPTS,
    };
    use crate::ops::{AsyncAssignOps, AsyncFilterOps, AsyncRowOps};
    use crate::tx::nonblocking::{begin, depth, finish, ok_async, AsyncConn};

    async fn insert_one<M: AsyncRowOps<C>, C: AsyncConn>(
        conn: &mut C,
        form: M::Insert,
    ) -> Result<M> {
        let row = M::insert_row(form, now());
        let mut rows = ok_async!(conn, M::insert(conn, vec![row]).await)?;
        rows.pop().ok_or_else(gone::<M>)
    }

    /// `insert_one` in a transaction level of its own.
    async fn insert_atomic<M: AsyncRowOps<C>, C: AsyncConn>(
        conn: &mut C,
        form: M::Insert,
    ) -> Result<M> {
        begin(conn).await?;
        let outcome = insert_one::<M, C>(conn, form).await;
        finish(conn, outcome).await
    }

    /// See [`crate::blocking::run::create`].
    pub async fn create<M: AsyncRowOps<C>, C: AsyncConn>(
        conn: &mut C,
        form: M::Insert,
    ) -> Result<M> {
        let form = prepare::<M>(form)?;
        insert_one(conn, form).await
    }

    /// See [`crate::blocking::run::bulk_create`].
    pub async fn bulk_create<M: AsyncRowOps<C>, C: AsyncConn>(
        conn: &mut C,
        forms: Vec<M::Insert>,
    ) -> Result<Vec<M>> {
        let forms = prepare_all::<M>(forms)?;
        if forms.is_empty() {
            return Ok(Vec::new());
        }
        if C::BACKEND != orm_exec::Backend::Mysql
            && forms.len() <= rows_per_statement(C::MAX_BINDS, M::COLUMNS)
        {
            // One multi-row INSERT is atomic by itself on PostgreSQL: no BEGIN/COMMIT
            // round trips (MySQL inserts row by row, so it keeps the transaction).
            return insert_chunks::<M, C>(conn, forms).await;
        }
        begin(conn).await?;
        let outcome = insert_chunks::<M, C>(conn, forms).await;
        finish(conn, outcome).await
    }

    async fn insert_chunks<M: AsyncRowOps<C>, C: AsyncConn>(
        conn: &mut C,
        forms: Vec<M::Insert>,
    ) -> Result<Vec<M>> {
        let now = now();
        let per_statement = rows_per_statement(C::MAX_BINDS, M::COLUMNS);
        let mut created = Vec::with_capacity(forms.len());
        let mut rows = forms.into_iter();
        loop {
            let chunk: Vec<_> = rows
                .by_ref()
                .take(per_statement)
                .map(|form| M::insert_row(form, now))
                .collect();
            if chunk.is_empty() {
                return Ok(created);
            }
            created.extend(ok_async!(conn, M::insert(conn, chunk).await)?);
        }
    }

    /// See [`crate::blocking::run::find`].
    pub async fn find<M: AsyncRowOps<C>, C: AsyncConn>(
        conn: &mut C,
        pk: M::PrimaryKey,
    ) -> Result<M> {
        ok_async!(conn, M::find(conn, pk, false).await)?.ok_or_else(gone::<M>)
    }

    /// See [`crate::blocking::run::update_pk`].
    pub async fn update_pk<M: AsyncRowOps<C>, C: AsyncConn>(
        conn: &mut C,
        pk: M::PrimaryKey,
        changes: M::Changes,
    ) -> Result<Option<M>> {
        let Some(changes) = prepare_changes::<M>(changes)? else {
            return Ok(None);
        };
        let stored = ok_async!(conn, M::update_returning(conn, pk, changes).await)?;
        stored.ok_or_else(gone::<M>).map(Some)
    }

    /// See [`crate::blocking::run::delete`].
    pub async fn delete<M: AsyncRowOps<C>, C: AsyncConn>(
        conn: &mut C,
        pk: M::PrimaryKey,
    ) -> Result<()> {
        match ok_async!(conn, M::delete_pk(conn, pk).await)? {
            0 => Err(gone::<M>()),
            _ => Ok(()),
        }
    }

    /// See [`crate::blocking::run::assign`].
    pub async fn assign<V: AsyncAssignOps<W, C>, W, C: AsyncConn>(
        conn: &mut C,
        changes: V,
        target: W,
    ) -> Result<usize> {
        ok_async!(conn, changes.assign(target, conn).await)
    }

    /// See [`crate::blocking::run::delete_where`].
    pub async fn delete_where<M, W: AsyncFilterOps<M, C>, C: AsyncConn>(
        conn: &mut C,
        target: W,
    ) -> Result<usize> {
        ok_async!(conn, target.delete(conn).await)
    }

    /// See [`crate::blocking::run::get_or_create`].
    pub async fn get_or_create<M, C, F>(
        conn: &mut C,
        filtered: F,
        form: M::Insert,
    ) -> Result<(M, bool)>
    where
        M: AsyncRowOps<C>,
        C: AsyncConn,
        F: AsyncFilterOps<M, C> + Clone + Send,
    {
        let form = prepare::<M>(form)?;
        let outermost = ok_async!(conn, depth(conn))? == 0;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let rows = ok_async!(conn, filtered.clone().load_two(conn, false).await)?;
            if let Some(found) = at_most_one(rows)? {
                return Ok((found, false));
            }
            match insert_atomic::<M, C>(conn, form.clone()).await {
                Ok(created) => return Ok((created, true)),
                Err(e) if e.is_unique_violation() => {
                    let again = ok_async!(conn, filtered.clone().load_two(conn, !outermost).await)?;
                    return match at_most_one(again)? {
                        Some(found) => Ok((found, false)),
                        None => Err(e),
                    };
                }
                Err(e) if outermost && e.is_retryable() && attempt < MAX_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// See [`crate::blocking::run::update_or_create`].
    pub async fn update_or_create<M, C, F>(
        conn: &mut C,
        filtered: F,
        form: M::Insert,
    ) -> Result<(M, bool)>
    where
        M: AsyncRowOps<C>,
        C: AsyncConn,
        F: AsyncFilterOps<M, C> + Clone + Send,
    {
        let create_form = prepare::<M>(form.clone())?;
        let outermost = ok_async!(conn, depth(conn))? == 0;
        let mut attempt = 0;
        loop {
            attempt += 1;
            begin(conn).await?;
            let outcome = update_or_insert::<M, C, F>(
                conn,
                filtered.clone(),
                form.clone(),
                create_form.clone(),
            )
            .await;
            match finish(conn, outcome).await {
                Err(e) if outermost && e.is_retryable() && attempt < MAX_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// The body of [`update_or_create`]'s transaction.
    async fn update_or_insert<M, C, F>(
        conn: &mut C,
        filtered: F,
        form: M::Insert,
        create_form: M::Insert,
    ) -> Result<(M, bool)>
    where
        M: AsyncRowOps<C>,
        C: AsyncConn,
        F: AsyncFilterOps<M, C> + Clone + Send,
    {
        let rows = ok_async!(conn, filtered.clone().load_two(conn, false).await)?;
        if let Some(found) = at_most_one(rows)? {
            return Ok((update_found::<M, C>(conn, found, form).await?, false));
        }
        match insert_atomic::<M, C>(conn, create_form).await {
            Ok(created) => Ok((created, true)),
            Err(e) if e.is_unique_violation() => {
                let again = ok_async!(conn, filtered.load_two(conn, true).await)?;
                match at_most_one(again)? {
                    Some(found) => Ok((update_found::<M, C>(conn, found, form).await?, false)),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn update_found<M: AsyncRowOps<C>, C: AsyncConn>(
        conn: &mut C,
        found: M,
        form: M::Insert,
    ) -> Result<M> {
        let mut changes = M::form_changes(form);
        M::touch(&mut changes, now());
        if M::changes_empty(&changes) {
            return Ok(found);
        }
        let pk = found.pk().clone();
        ok_async!(conn, M::update_returning(conn, pk, changes).await)?.ok_or_else(gone::<M>)
    }
}
