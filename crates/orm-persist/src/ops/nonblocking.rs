//! The async statements: [`RowOps`], [`FilterOps`] and [`AssignOps`] on diesel-async's
//! PostgreSQL and MySQL connections. (Async SQLite runs the blocking ones on its
//! connection's thread.)

#![allow(unused_imports)]

use std::future::Future;

use diesel::associations::HasTable;
use diesel::dsl;
use diesel::expression::{SelectableExpression, ValidGrouping};
use diesel::query_builder::{AsQuery, IntoUpdateTarget, QueryFragment, QueryId};
use diesel::query_dsl::methods::{FilterDsl, FindDsl, LimitDsl, SelectDsl};
use diesel::{
    AsChangeset, Insertable, OptionalExtension, QueryResult, Selectable, SelectableHelper,
};
use diesel_async::methods::{ExecuteDsl, LoadQuery};
use diesel_async::RunQueryDsl;

use super::blocking::{by_pk, ByPk};
#[cfg(feature = "mysql")]
use super::blocking::{in_key_order, mysql_key};
use super::lock::ForUpdate;
use super::{AssignOps, FilterOps, NewRow, RowOps};
use crate::derive::Persist;

/// The query that loads at most two rows of `M` from `W` on backend `DB`.
#[cfg(any(feature = "postgres", feature = "mysql"))]
type LoadTwo<M, W, DB> = dsl::Limit<dsl::Select<W, dsl::AsSelect<M, DB>>>;

macro_rules! filter_and_assign {
    ($feature:literal, $db:ty, $conn:ty) => {
        #[cfg(feature = $feature)]
        impl<M, W> FilterOps<M, $conn> for W
        where
            M: Selectable<$db> + Send + 'static,
            <M as Selectable<$db>>::SelectExpression: QueryId,
            W: SelectDsl<dsl::AsSelect<M, $db>> + IntoUpdateTarget + Send,
            dsl::Select<W, dsl::AsSelect<M, $db>>: LimitDsl,
            LoadTwo<M, W, $db>: LoadQuery<'static, $conn, M> + Send + 'static,
            ForUpdate<LoadTwo<M, W, $db>>: LoadQuery<'static, $conn, M>,
            dsl::delete<W>: ExecuteDsl<$conn> + Send + 'static,
        {
            fn load_two(
                self,
                conn: &mut $conn,
                lock: bool,
            ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
                let query = self.select(M::as_select()).limit(2);
                async move {
                    if lock {
                        ForUpdate(query).load(conn).await
                    } else {
                        query.load(conn).await
                    }
                }
            }

            fn delete(self, conn: &mut $conn) -> impl Future<Output = QueryResult<usize>> + Send {
                diesel::delete(self).execute(conn)
            }
        }

        #[cfg(feature = $feature)]
        impl<V, W> AssignOps<W, $conn> for V
        where
            W: IntoUpdateTarget,
            V: AsChangeset<Target = <W as HasTable>::Table>,
            dsl::Update<W, V>: AsQuery + ExecuteDsl<$conn> + Send + 'static,
        {
            fn assign(
                self,
                target: W,
                conn: &mut $conn,
            ) -> impl Future<Output = QueryResult<usize>> + Send {
                diesel::update(target).set(self).execute(conn)
            }
        }
    };
}

filter_and_assign!("postgres", diesel::pg::Pg, diesel_async::AsyncPgConnection);
filter_and_assign!(
    "mysql",
    diesel::mysql::Mysql,
    diesel_async::AsyncMysqlConnection
);

/// PostgreSQL: `INSERT ... RETURNING` and `UPDATE ... RETURNING`.
#[cfg(feature = "postgres")]
impl<M> RowOps<diesel_async::AsyncPgConnection> for M
where
    M: Persist + Selectable<diesel::pg::Pg>,
    <M as Selectable<diesel::pg::Pg>>::SelectExpression: QueryId,
    dsl::AsSelect<M, diesel::pg::Pg>:
        SelectableExpression<M::Table> + diesel::expression::NonAggregate + ValidGrouping<()>,
    <dsl::AsSelect<M, diesel::pg::Pg> as ValidGrouping<()>>::IsAggregate:
        diesel::expression::MixedAggregates<
            diesel::expression::is_aggregate::No,
            Output = diesel::expression::is_aggregate::No,
        >,
    M::Table: FindDsl<M::PrimaryKey>,
    Vec<M::Row>: Insertable<M::Table>,
    dsl::Returning<
        dsl::Values<dsl::insert_into<M::Table>, Vec<M::Row>>,
        dsl::AsSelect<M, diesel::pg::Pg>,
    >: LoadQuery<'static, diesel_async::AsyncPgConnection, M> + Send + 'static,
    M::Row: Insertable<M::Table>,
    dsl::Returning<
        dsl::Values<dsl::insert_into<M::Table>, M::Row>,
        dsl::AsSelect<M, diesel::pg::Pg>,
    >: LoadQuery<'static, diesel_async::AsyncPgConnection, M> + Send + 'static,
    dsl::Returning<dsl::Update<ByPk<M>, M::Changes>, dsl::AsSelect<M, diesel::pg::Pg>>:
        LoadQuery<'static, diesel_async::AsyncPgConnection, M> + Send + 'static,
    ByPk<M>: FilterOps<M, diesel_async::AsyncPgConnection>
        + IntoUpdateTarget
        + HasTable<Table = M::Table>,
    M::Changes: AsChangeset<Target = M::Table>,
    dsl::Update<ByPk<M>, M::Changes>: AsQuery,
{
    fn insert(
        conn: &mut diesel_async::AsyncPgConnection,
        rows: Vec<NewRow<M>>,
    ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
        // One row as a single VALUES clause, whose prepared statement diesel caches (it
        // never caches a Vec insert's): see `super::blocking`.
        let mut values: Vec<M::Row> = rows.into_iter().map(|(_, row)| row).collect();
        let one = if values.len() == 1 {
            values.pop()
        } else {
            None
        };
        let one = one.map(|row| {
            diesel::insert_into(M::Table::default())
                .values(row)
                .returning(M::as_select())
        });
        let many = diesel::insert_into(M::Table::default())
            .values(values)
            .returning(M::as_select());
        async move {
            match one {
                Some(query) => Ok(vec![query.get_result(conn).await?]),
                None => many.get_results(conn).await,
            }
        }
    }

    fn find(
        conn: &mut diesel_async::AsyncPgConnection,
        pk: M::PrimaryKey,
        lock: bool,
    ) -> impl Future<Output = QueryResult<Option<M>>> + Send {
        let rows = by_pk::<M>(pk).load_two(conn, lock);
        async move { Ok(rows.await?.into_iter().next()) }
    }

    fn update_returning(
        conn: &mut diesel_async::AsyncPgConnection,
        pk: M::PrimaryKey,
        changes: M::Changes,
    ) -> impl Future<Output = QueryResult<Option<M>>> + Send {
        let stored = diesel::update(by_pk::<M>(pk))
            .set(changes)
            .returning(M::as_select())
            .get_result(conn);
        async move { stored.await.optional() }
    }

    fn delete_pk(
        conn: &mut diesel_async::AsyncPgConnection,
        pk: M::PrimaryKey,
    ) -> impl Future<Output = QueryResult<usize>> + Send {
        by_pk::<M>(pk).delete(conn)
    }
}

/// The primary-key column of `M`'s table.
#[cfg(feature = "mysql")]
type PkColumn<M> = <<M as orm_schema::Model>::Table as diesel::Table>::PrimaryKey;

/// `pk IN (...)` for `M`.
#[cfg(feature = "mysql")]
type PkInList<M> = super::pk_in::PkIn<
    PkColumn<M>,
    <M as orm_schema::Model>::PrimaryKey,
    <M as orm_schema::Model>::PrimaryKeySql,
>;

/// The rows of `M` whose primary key is one of a list.
#[cfg(feature = "mysql")]
type ByPks<M> = dsl::Filter<<M as orm_schema::Model>::Table, PkInList<M>>;

/// How many keys one `WHERE pk IN (...)` re-select binds on MySQL.
#[cfg(feature = "mysql")]
const MYSQL_RESELECT_CHUNK: usize = 5_000;

/// MySQL/MariaDB: each row inserted on its own, its key read with `LAST_INSERT_ID()` on
/// the same connection, then the rows selected back by key (as in `super::blocking`).
#[cfg(feature = "mysql")]
impl<M> RowOps<diesel_async::AsyncMysqlConnection> for M
where
    M: Persist + Selectable<diesel::mysql::Mysql>,
    <M as Selectable<diesel::mysql::Mysql>>::SelectExpression: QueryId,
    M::Table: FindDsl<M::PrimaryKey>,
    M::Row: Insertable<M::Table>,
    dsl::Values<dsl::insert_into<M::Table>, M::Row>:
        ExecuteDsl<diesel_async::AsyncMysqlConnection> + Send + 'static,
    M::Table: FilterDsl<PkInList<M>>,
    ByPks<M>: SelectDsl<dsl::AsSelect<M, diesel::mysql::Mysql>>,
    dsl::Select<ByPks<M>, dsl::AsSelect<M, diesel::mysql::Mysql>>:
        LoadQuery<'static, diesel_async::AsyncMysqlConnection, M> + Send + 'static,
    ByPk<M>: FilterOps<M, diesel_async::AsyncMysqlConnection>,
    M::Changes: AssignOps<ByPk<M>, diesel_async::AsyncMysqlConnection>,
{
    async fn insert(
        conn: &mut diesel_async::AsyncMysqlConnection,
        rows: Vec<NewRow<M>>,
    ) -> QueryResult<Vec<M>> {
        let mut keys = Vec::with_capacity(rows.len());
        for (pk, row) in rows {
            diesel::insert_into(M::Table::default())
                .values(row)
                .execute(conn)
                .await?;
            let pk = match pk {
                Some(pk) => pk,
                None => {
                    let id: u64 = diesel::select(dsl::sql::<
                        diesel::sql_types::Unsigned<diesel::sql_types::BigInt>,
                    >("LAST_INSERT_ID()"))
                    .get_result(conn)
                    .await?;
                    mysql_key::<M>(id)?
                }
            };
            keys.push(pk);
        }
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(MYSQL_RESELECT_CHUNK) {
            let column = <M::Table as diesel::Table>::primary_key(&M::Table::default());
            let filtered = FilterDsl::filter(
                M::Table::default(),
                PkInList::<M>::new(column, chunk.to_vec()),
            );
            let rows: Vec<M> = SelectDsl::select(filtered, M::as_select())
                .load(conn)
                .await?;
            found.extend(in_key_order(chunk, rows)?);
        }
        Ok(found)
    }

    fn find(
        conn: &mut diesel_async::AsyncMysqlConnection,
        pk: M::PrimaryKey,
        lock: bool,
    ) -> impl Future<Output = QueryResult<Option<M>>> + Send {
        let rows = by_pk::<M>(pk).load_two(conn, lock);
        async move { Ok(rows.await?.into_iter().next()) }
    }

    async fn update_returning(
        conn: &mut diesel_async::AsyncMysqlConnection,
        pk: M::PrimaryKey,
        changes: M::Changes,
    ) -> QueryResult<Option<M>> {
        changes.assign(by_pk::<M>(pk.clone()), conn).await?;
        Ok(by_pk::<M>(pk)
            .load_two(conn, false)
            .await?
            .into_iter()
            .next())
    }

    fn delete_pk(
        conn: &mut diesel_async::AsyncMysqlConnection,
        pk: M::PrimaryKey,
    ) -> impl Future<Output = QueryResult<usize>> + Send {
        by_pk::<M>(pk).delete(conn)
    }
}
