//! [`async_dispatch!`](crate::async_dispatch!): one async body, run on whichever backend a
//! [`PooledConnection`](crate::PooledConnection) holds. The async twin of
//! [`dispatch!`](crate::dispatch!), with the same shape: the body is repeated once per
//! enabled backend, the connection bound to the given name and `DB` naming diesel's backend
//! type; a disabled backend's arm is proof that it cannot run.

/// Runs the same async body on whichever backend connection a
/// [`PooledConnection`](crate::PooledConnection) holds.
///
/// `async_dispatch!(conn, c => body)` matches `conn` (a `&mut PooledConnection`) and
/// evaluates `body` with `c` bound to the backend's diesel-async connection (`&mut` to
/// [`AsyncSqlite`](crate::database::AsyncSqlite), `diesel_async::AsyncPgConnection`,
/// `diesel_async::AsyncMysqlConnection` or `diesel_async::AsyncMariadbConnection`). Inside `body` the type alias `DB` names the diesel
/// backend. The body is compiled once per enabled backend, so it may use generic diesel
/// code whose types depend on the backend; `.await` inside it.
///
/// ```
/// # #[cfg(not(feature = "sqlite"))] fn main() {}
/// # #[cfg(feature = "sqlite")]
/// # fn main() -> orm_exec::Result<()> {
/// # let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
/// # runtime.block_on(async {
/// use orm_exec::{async_dispatch, Database, Error};
///
/// let db = Database::connect("sqlite::memory:").await?;
/// let mut conn = db.get().await?;
/// let backend = conn.backend();
/// let rows = async_dispatch!(&mut conn, c => {
///     diesel_async::RunQueryDsl::execute(diesel::sql_query("CREATE TABLE t (id INTEGER)"), c)
///         .await
/// })
/// .map_err(|e| Error::from_diesel(e, backend))?;
/// assert_eq!(rows, 0);
/// # Ok(())
/// # })
/// # }
/// ```
#[macro_export]
macro_rules! async_dispatch {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::PooledConnection::Sqlite($c) => {
                $crate::__arm!(__on_sqlite, $c, sqlite::Sqlite, {
                    let $c: &mut $crate::database::AsyncSqlite = &mut **$c;
                    $body
                })
            }
            $crate::PooledConnection::Postgres($c) => $crate::__arm!(__on_postgres, $c, pg::Pg, {
                let $c: &mut $crate::__private::diesel_async::AsyncPgConnection = &mut **$c;
                $body
            }),
            $crate::PooledConnection::Mysql($c) => $crate::__arm!(__on_mysql, $c, mysql::Mysql, {
                let $c: &mut $crate::__private::diesel_async::AsyncMysqlConnection = &mut **$c;
                $body
            }),
            $crate::PooledConnection::Mariadb($c) => {
                $crate::__arm!(__on_mysql, $c, mariadb::Mariadb, {
                    let $c: &mut $crate::__private::diesel_async::AsyncMariadbConnection =
                        &mut **$c;
                    $body
                })
            }
        }
    };
}
