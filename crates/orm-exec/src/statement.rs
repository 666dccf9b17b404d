//! Where a diesel statement reaches a driver: [`Load`] and [`Execute`], implemented for
//! every connection orm runs, blocking and async. orm-query and orm-persist build diesel
//! statements and hand them here; no other crate calls diesel's or diesel-async's
//! `RunQueryDsl`.
//!
//! On a blocking connection (diesel's `SqliteConnection` and the blocking PostgreSQL and
//! MySQL wrappers) the statement runs inside the call and the future returned is complete
//! ([`run_now`] finishes it). On diesel-async's PostgreSQL and MySQL connections it runs
//! when awaited. On async SQLite ([`AsyncSqlite`](crate::database::AsyncSqlite)) the
//! blocking statement runs on the connection's own thread (inline, see
//! [`InlineSqlite`](crate::database::InlineSqlite)), building each row straight from
//! SQLite's rows rather than copying them into owned rows first as
//! `SyncConnectionWrapper::load` does.

use std::future::Future;

use diesel::QueryResult;

#[cfg(feature = "sqlite")]
use crate::statement_conn::run_now;

/// A diesel query that loads rows of `T` on connection `C`.
#[diagnostic::on_unimplemented(
    message = "this query cannot load `{T}` on `{C}`",
    note = "the query does not compile for this connection's backend"
)]
pub trait Load<C, T>: Sized {
    /// Every row the query returns.
    fn load(self, conn: &mut C) -> impl Future<Output = QueryResult<Vec<T>>> + Send;

    /// The first row the query returns (`NotFound` when there is none), as diesel's
    /// `get_result`.
    fn get_result(self, conn: &mut C) -> impl Future<Output = QueryResult<T>> + Send;

    /// Every row the query returns, each handed to `A` as it is read (on a blocking
    /// connection and on async SQLite; a diesel-async server connection loads them all
    /// first).
    fn load_into<A: Collect<T>>(self, conn: &mut C) -> impl Future<Output = QueryResult<A>> + Send;
}

/// Where [`Load::load_into`] puts rows, one at a time as they are read: a `Vec`, or a
/// collector that sorts each row into place at once (select_related's, which moves each
/// joined row straight into the result and the shared batch of related rows).
pub trait Collect<T>: Default + Send + 'static {
    /// Takes the next row.
    fn push(&mut self, row: T);

    /// `rows`, loaded all at once (by a diesel-async server connection), collected: each
    /// pushed in turn unless the collector has a better way (a `Vec` is taken as it is).
    fn from_rows(rows: Vec<T>) -> Self {
        let mut into = Self::default();
        for row in rows {
            into.push(row);
        }
        into
    }
}

impl<T: Send + 'static> Collect<T> for Vec<T> {
    fn push(&mut self, row: T) {
        Vec::push(self, row);
    }

    fn from_rows(rows: Vec<T>) -> Self {
        rows
    }
}

/// A diesel statement (INSERT, UPDATE, DELETE, ...) that runs on connection `C` and
/// returns the number of rows it affected.
#[diagnostic::on_unimplemented(
    message = "this statement cannot run on `{C}`",
    note = "the statement does not compile for this connection's backend"
)]
pub trait Execute<C>: Sized {
    /// Runs the statement; the number of rows affected.
    fn execute(self, conn: &mut C) -> impl Future<Output = QueryResult<usize>> + Send;
}

/// Implements [`Load`] and [`Execute`] for a blocking diesel connection.
macro_rules! blocking {
    ($( $(#[$cfg:meta])* $conn:ty );* $(;)?) => {$(
        $(#[$cfg])*
        impl<Q, T> Load<$conn, T> for Q
        where
            Q: diesel::RunQueryDsl<$conn> + diesel::query_dsl::LoadQuery<'static, $conn, T>,
            T: Send,
        {
            fn load(self, conn: &mut $conn) -> impl Future<Output = QueryResult<Vec<T>>> + Send {
                std::future::ready(diesel::RunQueryDsl::load(self, conn))
            }

            fn get_result(self, conn: &mut $conn) -> impl Future<Output = QueryResult<T>> + Send {
                std::future::ready(diesel::RunQueryDsl::get_result(self, conn))
            }

            fn load_into<A: Collect<T>>(
                self,
                conn: &mut $conn,
            ) -> impl Future<Output = QueryResult<A>> + Send {
                std::future::ready(collect_rows(diesel::RunQueryDsl::load_iter(self, conn)))
            }
        }

        $(#[$cfg])*
        impl<Q> Execute<$conn> for Q
        where
            Q: diesel::RunQueryDsl<$conn> + diesel::query_dsl::methods::ExecuteDsl<$conn>,
        {
            fn execute(self, conn: &mut $conn) -> impl Future<Output = QueryResult<usize>> + Send {
                std::future::ready(diesel::RunQueryDsl::execute(self, conn))
            }
        }
    )*};
}

/// Implements [`Load`] and [`Execute`] for a diesel-async connection.
macro_rules! nonblocking {
    ($( $(#[$cfg:meta])* $conn:ty );* $(;)?) => {$(
        $(#[$cfg])*
        impl<Q, T> Load<$conn, T> for Q
        where
            Q: diesel_async::RunQueryDsl<$conn>
                + diesel_async::methods::LoadQuery<'static, $conn, T>
                + Send
                + 'static,
            T: Send + 'static,
        {
            fn load(self, conn: &mut $conn) -> impl Future<Output = QueryResult<Vec<T>>> + Send {
                diesel_async::RunQueryDsl::load(self, conn)
            }

            fn get_result(self, conn: &mut $conn) -> impl Future<Output = QueryResult<T>> + Send {
                diesel_async::RunQueryDsl::get_result(self, conn)
            }

            fn load_into<A: Collect<T>>(
                self,
                conn: &mut $conn,
            ) -> impl Future<Output = QueryResult<A>> + Send {
                let rows = diesel_async::RunQueryDsl::load(self, conn);
                async move { Ok(A::from_rows(rows.await?)) }
            }
        }

        $(#[$cfg])*
        impl<Q> Execute<$conn> for Q
        where
            Q: diesel_async::RunQueryDsl<$conn>
                + diesel_async::methods::ExecuteDsl<$conn>
                + Send
                + 'static,
        {
            fn execute(self, conn: &mut $conn) -> impl Future<Output = QueryResult<usize>> + Send {
                diesel_async::RunQueryDsl::execute(self, conn)
            }
        }
    )*};
}

blocking! {
    #[cfg(feature = "sqlite")] diesel::SqliteConnection;
    #[cfg(feature = "postgres")] crate::connection::BlockingPg;
    #[cfg(feature = "mysql")] crate::connection::BlockingMysql;
    #[cfg(feature = "mysql")] crate::connection::BlockingMariadb;
}
nonblocking! {
    #[cfg(feature = "postgres")] diesel_async::AsyncPgConnection;
    #[cfg(feature = "mysql")] diesel_async::AsyncMysqlConnection;
    #[cfg(feature = "mysql")] diesel_async::AsyncMariadbConnection;
}

#[cfg(feature = "sqlite")]
impl<Q, T> Load<crate::database::AsyncSqlite, T> for Q
where
    Q: Load<diesel::SqliteConnection, T> + Send + 'static,
    T: Send + 'static,
{
    fn load(
        self,
        conn: &mut crate::database::AsyncSqlite,
    ) -> impl Future<Output = QueryResult<Vec<T>>> + Send {
        conn.spawn_blocking(move |c| run_now(Load::load(self, c)))
    }

    fn get_result(
        self,
        conn: &mut crate::database::AsyncSqlite,
    ) -> impl Future<Output = QueryResult<T>> + Send {
        conn.spawn_blocking(move |c| run_now(Load::get_result(self, c)))
    }

    fn load_into<A: Collect<T>>(
        self,
        conn: &mut crate::database::AsyncSqlite,
    ) -> impl Future<Output = QueryResult<A>> + Send {
        conn.spawn_blocking(move |c| run_now(Load::load_into(self, c)))
    }
}

/// The rows of `rows` (a statement's row iterator), each pushed into a new `A`.
fn collect_rows<T, A: Collect<T>>(
    rows: QueryResult<impl Iterator<Item = QueryResult<T>>>,
) -> QueryResult<A> {
    let mut into = A::default();
    for row in rows? {
        into.push(row?);
    }
    Ok(into)
}

#[cfg(feature = "sqlite")]
impl<Q> Execute<crate::database::AsyncSqlite> for Q
where
    Q: Execute<diesel::SqliteConnection> + Send + 'static,
{
    fn execute(
        self,
        conn: &mut crate::database::AsyncSqlite,
    ) -> impl Future<Output = QueryResult<usize>> + Send {
        conn.spawn_blocking(move |c| run_now(Execute::execute(self, c)))
    }
}
