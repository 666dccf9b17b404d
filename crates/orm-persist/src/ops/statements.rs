//! The statements of [`RowOps`], [`FilterOps`] and [`AssignOps`], written once, generic
//! over the connection `C` (blocking or async, `StatementConn`) and handed to orm-exec
//! (`orm_exec::statement::{Load, Execute}`), which runs them.
//!
//! What differs is the backend, not blocking against async: how rows come back from an
//! insert or an update is the connection's [`RowsBack`] strategy, [`Returning`] on
//! SQLite and PostgreSQL, [`InsertReturning`] through diesel's MariaDB backend
//! (`mariadb://`), [`RowByRow`] through its MySQL backend (`mysql://`).

use std::future::Future;

use diesel::associations::HasTable;
use diesel::dsl;
use diesel::query_builder::{AsQuery, IntoUpdateTarget, Query, QueryId};
use diesel::query_dsl::methods::{FindDsl, LimitDsl, SelectDsl};
use diesel::{
    AsChangeset, Insertable, OptionalExtension, QueryResult, Selectable, SelectableHelper,
};
use orm_exec::statement::{Execute, Load};
use orm_exec::statement_conn::StatementConn;
use orm_query::locking::{ForUpdate, LockWait};

use super::{AssignOps, FilterOps, NewRow, RowOps};
use crate::bulk_update::{Assigned, BulkUpdate};
use crate::derive::Persist;
use crate::upsert::{upsert_row, Conflict, UpsertStatement};

/// The query that loads at most two rows of `M` from `W` on backend `DB`.
type LoadTwo<M, W, DB> = dsl::Limit<dsl::Select<W, dsl::AsSelect<M, DB>>>;

/// The WHERE query of one row of `M` by primary key.
pub(crate) type ByPk<M> =
    dsl::Find<<M as orm_schema::Model>::Table, <M as orm_schema::Model>::PrimaryKey>;

/// The WHERE query of one row of `M` by primary key.
pub(crate) fn by_pk<M: orm_schema::Model>(pk: M::PrimaryKey) -> ByPk<M>
where
    M::Table: FindDsl<M::PrimaryKey>,
{
    FindDsl::find(M::Table::default(), pk)
}

/// Implements [`FilterOps`], [`AssignOps`] and [`RowOps`] on connection `$conn` of
/// backend `$db`, whose rows come back as `$strategy` does it ([`RowsBack`]): the same
/// statements on every connection, stamped per connection type of the enabled backends.
macro_rules! statements {
    ($( $(#[$cfg:meta])* $conn:ty, $db:ty, $strategy:ty );* $(;)?) => {$(
        $(#[$cfg])*
        const _: () = {
        impl RowsBack for $conn {
            type Strategy = $strategy;
        }

        impl<M, W> FilterOps<M, $conn> for W
        where
            M: Selectable<$db> + Send + 'static,
            <M as Selectable<$db>>::SelectExpression: QueryId,
            W: SelectDsl<dsl::AsSelect<M, $db>> + IntoUpdateTarget,
            dsl::Select<W, dsl::AsSelect<M, $db>>: LimitDsl,
            LoadTwo<M, W, $db>: Load<$conn, M> + Send,
            dsl::Select<W, dsl::AsSelect<M, $db>>: Load<$conn, M> + Send,
            ForUpdate<LoadTwo<M, W, $db>>: Load<$conn, M>,
            dsl::delete<W>: Execute<$conn>,
        {
            /// SQLite has no row locks (a write transaction locks the database): there the
            /// lock clause renders nothing.
            fn load_two(
                self,
                conn: &mut $conn,
                lock: bool,
            ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
                let query = self.select(M::as_select()).limit(2);
                async move {
                    if lock {
                        ForUpdate::new(query, LockWait::Wait).load(conn).await
                    } else {
                        query.load(conn).await
                    }
                }
            }

            fn load_all(self, conn: &mut $conn) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
                self.select(M::as_select()).load(conn)
            }

            fn delete(self, conn: &mut $conn) -> impl Future<Output = QueryResult<usize>> + Send {
                diesel::delete(self).execute(conn)
            }
        }

        impl<V, W> AssignOps<W, $conn> for V
        where
            W: IntoUpdateTarget,
            V: AsChangeset<Target = <W as HasTable>::Table>,
            dsl::Update<W, V>: AsQuery + Execute<$conn>,
        {
            fn assign(self, target: W, conn: &mut $conn) -> impl Future<Output = QueryResult<usize>> + Send {
                diesel::update(target).set(self).execute(conn)
            }
        }

        impl<M> RowOps<$conn> for M
        where
            <$conn as RowsBack>::Strategy: RowsBackFor<M, $conn>,
            M: Persist,
            M::Table: FindDsl<M::PrimaryKey>,
            ByPk<M>: FilterOps<M, $conn>,
            BulkUpdate<M>: Execute<$conn>,
            dsl::Values<dsl::insert_into<M::Table>, Vec<M::Row>>: Execute<$conn>,
            Vec<M::Row>: Insertable<M::Table>,
        {
            const INSERTS_AT_ONCE: bool = <<$conn as RowsBack>::Strategy as RowsBackFor<M, $conn>>::AT_ONCE;

            fn insert(
                conn: &mut $conn,
                rows: Vec<NewRow<M>>,
            ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
                <<$conn as RowsBack>::Strategy as RowsBackFor<M, $conn>>::insert(conn, rows)
            }

            fn insert_count(
                conn: &mut $conn,
                rows: Vec<M::Row>,
            ) -> impl Future<Output = QueryResult<usize>> + Send {
                diesel::insert_into(M::Table::default()).values(rows).execute(conn)
            }

            fn upsert(
                conn: &mut $conn,
                rows: Vec<NewRow<M>>,
                conflict: Conflict,
            ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
                <<$conn as RowsBack>::Strategy as RowsBackFor<M, $conn>>::upsert(conn, rows, conflict)
            }

            fn bulk_update(
                conn: &mut $conn,
                rows: Vec<M>,
                assigned: Assigned,
            ) -> impl Future<Output = QueryResult<usize>> + Send {
                BulkUpdate::new(rows, assigned).execute(conn)
            }

            async fn find(conn: &mut $conn, pk: M::PrimaryKey, lock: bool) -> QueryResult<Option<M>> {
                Ok(by_pk::<M>(pk).load_two(conn, lock).await?.into_iter().next())
            }

            fn update_returning(
                conn: &mut $conn,
                pk: M::PrimaryKey,
                changes: M::Changes,
            ) -> impl Future<Output = QueryResult<Option<M>>> + Send {
                <<$conn as RowsBack>::Strategy as RowsBackFor<M, $conn>>::update_returning(
                    conn, pk, changes,
                )
            }

            fn delete_pk(
                conn: &mut $conn,
                pk: M::PrimaryKey,
            ) -> impl Future<Output = QueryResult<usize>> + Send {
                by_pk::<M>(pk).delete(conn)
            }
        }
        };
    )*};
}

statements! {
    #[cfg(feature = "sqlite")] orm_exec::connection::BlockingSqlite, diesel::sqlite::Sqlite, Returning;
    #[cfg(feature = "sqlite")] orm_exec::database::AsyncSqlite, diesel::sqlite::Sqlite, Returning;
    #[cfg(feature = "postgres")] orm_exec::connection::BlockingPg, diesel::pg::Pg, Returning;
    #[cfg(feature = "postgres")] orm_exec::database::AsyncPg, diesel::pg::Pg, Returning;
    #[cfg(feature = "mysql")] orm_exec::connection::BlockingMysql, diesel::mysql::Mysql, RowByRow;
    #[cfg(feature = "mysql")] orm_exec::database::AsyncMysql, diesel::mysql::Mysql, RowByRow;
    #[cfg(feature = "mysql")] orm_exec::connection::BlockingMariadb, diesel::mariadb::Mariadb, InsertReturning;
    #[cfg(feature = "mysql")] orm_exec::database::AsyncMariadb, diesel::mariadb::Mariadb, InsertReturning;
}

/// How a connection's backend gives rows back from an insert or an update: the
/// [`RowsBack::Strategy`] that implements [`RowsBackFor`].
pub trait RowsBack {
    /// [`Returning`], [`InsertReturning`] or [`RowByRow`].
    type Strategy;
}

/// `INSERT ... RETURNING` (one multi-row statement per chunk) and `UPDATE ... RETURNING`:
/// SQLite and PostgreSQL.
#[derive(Debug)]
pub enum Returning {}

/// `INSERT ... RETURNING` (one multi-row statement per chunk), but no `UPDATE ...
/// RETURNING` (MariaDB has it from 13.0 only) and conflicts settled as [`RowByRow`] does
/// (`ON DUPLICATE KEY UPDATE` gives back no row it left alone): MariaDB 10.5 or later,
/// through diesel's MariaDB backend.
#[derive(Debug)]
pub enum InsertReturning {}

impl<M: Persist, C> RowsBackFor<M, C> for InsertReturning
where
    Returning: RowsBackFor<M, C>,
    RowByRow: RowsBackFor<M, C>,
{
    const AT_ONCE: bool = true;

    fn insert(
        conn: &mut C,
        rows: Vec<NewRow<M>>,
    ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
        <Returning as RowsBackFor<M, C>>::insert(conn, rows)
    }

    fn upsert(
        conn: &mut C,
        rows: Vec<NewRow<M>>,
        conflict: Conflict,
    ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
        <RowByRow as RowsBackFor<M, C>>::upsert(conn, rows, conflict)
    }

    fn update_returning(
        conn: &mut C,
        pk: M::PrimaryKey,
        changes: M::Changes,
    ) -> impl Future<Output = QueryResult<Option<M>>> + Send {
        <RowByRow as RowsBackFor<M, C>>::update_returning(conn, pk, changes)
    }
}

/// No RETURNING (diesel's MySQL backend): each row is inserted on its own and its key
/// read with `LAST_INSERT_ID()` on the same connection (or taken from the row when it
/// supplies it), never computed by arithmetic; then the rows are selected back by key. An
/// update is followed by a select.
#[derive(Debug)]
pub enum RowByRow {}

/// The insert and update statements of `M` on `C` that give rows back, as strategy
/// `Self` does it.
pub trait RowsBackFor<M: Persist, C> {
    /// Whether [`RowsBackFor::insert`] writes its rows in one statement.
    const AT_ONCE: bool;
    /// See [`RowOps::insert`].
    fn insert(
        conn: &mut C,
        rows: Vec<NewRow<M>>,
    ) -> impl Future<Output = QueryResult<Vec<M>>> + Send;
    /// See [`RowOps::upsert`].
    fn upsert(
        conn: &mut C,
        rows: Vec<NewRow<M>>,
        conflict: Conflict,
    ) -> impl Future<Output = QueryResult<Vec<M>>> + Send;
    /// See [`RowOps::update_returning`].
    fn update_returning(
        conn: &mut C,
        pk: M::PrimaryKey,
        changes: M::Changes,
    ) -> impl Future<Output = QueryResult<Option<M>>> + Send;
}

impl<M, C> RowsBackFor<M, C> for Returning
where
    C: StatementConn,
    M: Persist + Selectable<C::Backend>,
    M::Table: FindDsl<M::PrimaryKey>,
    Vec<M::Row>: Insertable<M::Table>,
    M::Row: Insertable<M::Table>,
    dsl::Returning<
        dsl::Values<dsl::insert_into<M::Table>, Vec<M::Row>>,
        dsl::AsSelect<M, C::Backend>,
    >: Query + Load<C, M>,
    dsl::Returning<dsl::Values<dsl::insert_into<M::Table>, M::Row>, dsl::AsSelect<M, C::Backend>>:
        Query + Load<C, M>,
    dsl::Returning<dsl::Update<ByPk<M>, M::Changes>, dsl::AsSelect<M, C::Backend>>:
        Query + Load<C, M>,
    UpsertStatement<dsl::Values<dsl::insert_into<M::Table>, M::Row>, dsl::AsSelect<M, C::Backend>>:
        Load<C, M>,
    ByPk<M>: IntoUpdateTarget + HasTable<Table = M::Table>,
    M::Changes: AsChangeset<Target = M::Table>,
    dsl::Update<ByPk<M>, M::Changes>: AsQuery,
{
    const AT_ONCE: bool = true;

    async fn insert(conn: &mut C, mut rows: Vec<NewRow<M>>) -> QueryResult<Vec<M>> {
        if rows.len() == 1 {
            // One row as a single VALUES clause, not a one-element Vec: diesel never
            // caches a Vec insert's prepared statement (its SQL depends on the length), so
            // `create` on PostgreSQL would pay a prepare round trip on every call.
            let (_, row) = rows.pop().expect("one row");
            let one = diesel::insert_into(M::Table::default())
                .values(row)
                .returning(M::as_select());
            return Ok(vec![one.get_result(conn).await?]);
        }
        let values: Vec<M::Row> = rows.into_iter().map(|(_, row)| row).collect();
        diesel::insert_into(M::Table::default())
            .values(values)
            .returning(M::as_select())
            .load(conn)
            .await
    }

    /// One statement per row, each `INSERT ... ON CONFLICT ... RETURNING`: diesel renders a
    /// multi-row insert on SQLite only inside its own statement type, which has no place
    /// for a conflict clause decided at run time.
    async fn upsert(conn: &mut C, rows: Vec<NewRow<M>>, conflict: Conflict) -> QueryResult<Vec<M>> {
        let mut stored = Vec::with_capacity(rows.len());
        for (_, row) in rows {
            let statement = upsert_row::<M, _>(row, conflict.clone(), false, M::as_select());
            // No row back: DO NOTHING left an existing row alone.
            stored.extend(statement.load(conn).await?);
        }
        Ok(stored)
    }

    async fn update_returning(
        conn: &mut C,
        pk: M::PrimaryKey,
        changes: M::Changes,
    ) -> QueryResult<Option<M>> {
        diesel::update(by_pk::<M>(pk))
            .set(changes)
            .returning(M::as_select())
            .get_result(conn)
            .await
            .optional()
    }
}
