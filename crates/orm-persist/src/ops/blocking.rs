//! The blocking statements: [`RowOps`], [`FilterOps`] and [`AssignOps`] on diesel's
//! `SqliteConnection` and on the blocking PostgreSQL and MySQL connections. Each runs its
//! statement inside the call and returns a complete future (`std::future::ready`).

#![allow(unused_imports)]

use diesel::associations::HasTable;
use diesel::dsl;
use diesel::expression::{SelectableExpression, ValidGrouping};
use diesel::prelude::*;
use diesel::query_builder::{AsQuery, IntoUpdateTarget, QueryFragment, QueryId};
use diesel::query_dsl::methods::{ExecuteDsl, FilterDsl, FindDsl, LimitDsl, SelectDsl};
use diesel::query_dsl::LoadQuery;
use orm_exec::statement_conn::run_now;
use std::future::{ready, Future};

use super::lock::ForUpdate;
use super::{AssignOps, FilterOps, NewRow, RowOps};
use crate::derive::Persist;

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

macro_rules! filter_ops {
    ($feature:literal, $db:ty, $conn:ty, locking) => {
        #[cfg(feature = $feature)]
        impl<M, W> FilterOps<M, $conn> for W
        where
            M: Selectable<$db> + Send,
            <M as Selectable<$db>>::SelectExpression: QueryId,
            W: SelectDsl<dsl::AsSelect<M, $db>> + IntoUpdateTarget,
            dsl::Select<W, dsl::AsSelect<M, $db>>: LimitDsl,
            LoadTwo<M, W, $db>: LoadQuery<'static, $conn, M>,
            ForUpdate<LoadTwo<M, W, $db>>: LoadQuery<'static, $conn, M>,
            dsl::delete<W>: ExecuteDsl<$conn>,
        {
            fn load_two(
                self,
                conn: &mut $conn,
                lock: bool,
            ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
                let query = self.select(M::as_select()).limit(2);
                ready(if lock {
                    ForUpdate(query).load(conn)
                } else {
                    query.load(conn)
                })
            }

            fn delete(self, conn: &mut $conn) -> impl Future<Output = QueryResult<usize>> + Send {
                ready(diesel::delete(self).execute(conn))
            }
        }
    };
    ($feature:literal, $db:ty, $conn:ty) => {
        #[cfg(feature = $feature)]
        impl<M, W> FilterOps<M, $conn> for W
        where
            M: Selectable<$db> + Send,
            <M as Selectable<$db>>::SelectExpression: QueryId,
            W: SelectDsl<dsl::AsSelect<M, $db>> + IntoUpdateTarget,
            dsl::Select<W, dsl::AsSelect<M, $db>>: LimitDsl,
            LoadTwo<M, W, $db>: LoadQuery<'static, $conn, M>,
            dsl::delete<W>: ExecuteDsl<$conn>,
        {
            /// SQLite has no row locks (a write transaction locks the database).
            fn load_two(
                self,
                conn: &mut $conn,
                _lock: bool,
            ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
                ready(self.select(M::as_select()).limit(2).load(conn))
            }

            fn delete(self, conn: &mut $conn) -> impl Future<Output = QueryResult<usize>> + Send {
                ready(diesel::delete(self).execute(conn))
            }
        }
    };
}

macro_rules! assign_ops {
    ($feature:literal, $conn:ty) => {
        #[cfg(feature = $feature)]
        impl<V, W> AssignOps<W, $conn> for V
        where
            W: IntoUpdateTarget,
            V: AsChangeset<Target = <W as HasTable>::Table>,
            dsl::Update<W, V>: AsQuery + ExecuteDsl<$conn>,
        {
            fn assign(
                self,
                target: W,
                conn: &mut $conn,
            ) -> impl Future<Output = QueryResult<usize>> + Send {
                ready(diesel::update(target).set(self).execute(conn))
            }
        }
    };
}

/// `RowOps` with `INSERT ... RETURNING` and `UPDATE ... RETURNING` (SQLite, PostgreSQL).
macro_rules! returning_row_ops {
    ($feature:literal, $db:ty, $conn:ty) => {
        #[cfg(feature = $feature)]
        impl<M> RowOps<$conn> for M
        where
            M: Persist + Selectable<$db>,
            <M as Selectable<$db>>::SelectExpression: QueryId,
            dsl::AsSelect<M, $db>: SelectableExpression<M::Table>
                + diesel::expression::NonAggregate
                + ValidGrouping<()>,
            <dsl::AsSelect<M, $db> as ValidGrouping<()>>::IsAggregate:
                diesel::expression::MixedAggregates<
                    diesel::expression::is_aggregate::No,
                    Output = diesel::expression::is_aggregate::No,
                >,
            M::Table: FindDsl<M::PrimaryKey>,
            Vec<M::Row>: Insertable<M::Table>,
            dsl::Returning<
                dsl::Values<dsl::insert_into<M::Table>, Vec<M::Row>>,
                dsl::AsSelect<M, $db>,
            >: LoadQuery<'static, $conn, M>,
            M::Row: Insertable<M::Table>,
            dsl::Returning<dsl::Values<dsl::insert_into<M::Table>, M::Row>, dsl::AsSelect<M, $db>>:
                LoadQuery<'static, $conn, M>,
            dsl::Returning<dsl::Update<ByPk<M>, M::Changes>, dsl::AsSelect<M, $db>>:
                LoadQuery<'static, $conn, M>,
            ByPk<M>: FilterOps<M, $conn> + IntoUpdateTarget + HasTable<Table = M::Table>,
            M::Changes: AsChangeset<Target = M::Table>,
            dsl::Update<ByPk<M>, M::Changes>: AsQuery,
        {
            fn insert(
                conn: &mut $conn,
                mut rows: Vec<NewRow<M>>,
            ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
                ready(if rows.len() == 1 {
                    // One row as a single VALUES clause, not a one-element Vec: diesel
                    // never caches a Vec insert's prepared statement (its SQL depends on
                    // the length), so `create` on PostgreSQL paid a prepare round trip
                    // on every call.
                    let (_, row) = rows.pop().expect("one row");
                    diesel::insert_into(M::Table::default())
                        .values(row)
                        .returning(M::as_select())
                        .get_result(conn)
                        .map(|stored| vec![stored])
                } else {
                    let values: Vec<M::Row> = rows.into_iter().map(|(_, row)| row).collect();
                    diesel::insert_into(M::Table::default())
                        .values(values)
                        .returning(M::as_select())
                        .get_results(conn)
                })
            }

            fn find(
                conn: &mut $conn,
                pk: M::PrimaryKey,
                lock: bool,
            ) -> impl Future<Output = QueryResult<Option<M>>> + Send {
                let rows = run_now(by_pk::<M>(pk).load_two(conn, lock));
                ready(rows.map(|rows| rows.into_iter().next()))
            }

            fn update_returning(
                conn: &mut $conn,
                pk: M::PrimaryKey,
                changes: M::Changes,
            ) -> impl Future<Output = QueryResult<Option<M>>> + Send {
                ready(
                    diesel::update(by_pk::<M>(pk))
                        .set(changes)
                        .returning(M::as_select())
                        .get_result(conn)
                        .optional(),
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
}

filter_ops!("sqlite", diesel::sqlite::Sqlite, diesel::SqliteConnection);
filter_ops!(
    "postgres",
    diesel::pg::Pg,
    orm_exec::connection::BlockingPg,
    locking
);
filter_ops!(
    "mysql",
    diesel::mysql::Mysql,
    orm_exec::connection::BlockingMysql,
    locking
);
assign_ops!("sqlite", diesel::SqliteConnection);
assign_ops!("postgres", orm_exec::connection::BlockingPg);
assign_ops!("mysql", orm_exec::connection::BlockingMysql);
returning_row_ops!("sqlite", diesel::sqlite::Sqlite, diesel::SqliteConnection);
returning_row_ops!("postgres", diesel::pg::Pg, orm_exec::connection::BlockingPg);

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

/// MySQL/MariaDB: no RETURNING. Each row is inserted on its own and its key read with
/// `LAST_INSERT_ID()` on the same connection (or taken from the row when it supplies
/// it); then the rows are selected back by key. An update is followed by a select.
#[cfg(feature = "mysql")]
impl<M> RowOps<orm_exec::connection::BlockingMysql> for M
where
    M: Persist + Selectable<diesel::mysql::Mysql>,
    M::Table: FindDsl<M::PrimaryKey>,
    M::Row: Insertable<M::Table>,
    dsl::Values<dsl::insert_into<M::Table>, M::Row>:
        ExecuteDsl<orm_exec::connection::BlockingMysql>,
    <M as Selectable<diesel::mysql::Mysql>>::SelectExpression: QueryId,
    M::Table: FilterDsl<PkInList<M>>,
    ByPks<M>: SelectDsl<dsl::AsSelect<M, diesel::mysql::Mysql>>,
    dsl::Select<ByPks<M>, dsl::AsSelect<M, diesel::mysql::Mysql>>:
        LoadQuery<'static, orm_exec::connection::BlockingMysql, M>,
    ByPk<M>: FilterOps<M, orm_exec::connection::BlockingMysql>,
    M::Changes: AssignOps<ByPk<M>, orm_exec::connection::BlockingMysql>,
{
    fn insert(
        conn: &mut orm_exec::connection::BlockingMysql,
        rows: Vec<NewRow<M>>,
    ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
        ready(mysql_insert::<M>(conn, rows))
    }

    fn find(
        conn: &mut orm_exec::connection::BlockingMysql,
        pk: M::PrimaryKey,
        lock: bool,
    ) -> impl Future<Output = QueryResult<Option<M>>> + Send {
        let rows = run_now(by_pk::<M>(pk).load_two(conn, lock));
        ready(rows.map(|rows| rows.into_iter().next()))
    }

    fn update_returning(
        conn: &mut orm_exec::connection::BlockingMysql,
        pk: M::PrimaryKey,
        changes: M::Changes,
    ) -> impl Future<Output = QueryResult<Option<M>>> + Send {
        // MySQL counts changed rows, not matched ones: the select says whether it exists.
        let stored = run_now(changes.assign(by_pk::<M>(pk.clone()), conn))
            .and_then(|_| run_now(by_pk::<M>(pk).load_two(conn, false)));
        ready(stored.map(|rows| rows.into_iter().next()))
    }

    fn delete_pk(
        conn: &mut orm_exec::connection::BlockingMysql,
        pk: M::PrimaryKey,
    ) -> impl Future<Output = QueryResult<usize>> + Send {
        by_pk::<M>(pk).delete(conn)
    }
}

/// [`RowOps::insert`] on blocking MySQL: each row inserted on its own, its key read with
/// `LAST_INSERT_ID()`, then the rows selected back by key.
#[cfg(feature = "mysql")]
fn mysql_insert<M>(
    conn: &mut orm_exec::connection::BlockingMysql,
    rows: Vec<NewRow<M>>,
) -> QueryResult<Vec<M>>
where
    M: Persist + Selectable<diesel::mysql::Mysql>,
    M::Row: Insertable<M::Table>,
    dsl::Values<dsl::insert_into<M::Table>, M::Row>:
        ExecuteDsl<orm_exec::connection::BlockingMysql>,
    <M as Selectable<diesel::mysql::Mysql>>::SelectExpression: QueryId,
    M::Table: FilterDsl<PkInList<M>>,
    ByPks<M>: SelectDsl<dsl::AsSelect<M, diesel::mysql::Mysql>>,
    dsl::Select<ByPks<M>, dsl::AsSelect<M, diesel::mysql::Mysql>>:
        LoadQuery<'static, orm_exec::connection::BlockingMysql, M>,
{
    let mut keys = Vec::with_capacity(rows.len());
    for (pk, row) in rows {
        diesel::insert_into(M::Table::default())
            .values(row)
            .execute(conn)?;
        let pk = match pk {
            Some(pk) => pk,
            None => {
                let id: u64 = diesel::select(dsl::sql::<
                    diesel::sql_types::Unsigned<diesel::sql_types::BigInt>,
                >("LAST_INSERT_ID()"))
                .get_result(conn)?;
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
        let rows: Vec<M> = SelectDsl::select(filtered, M::as_select()).load(conn)?;
        found.extend(in_key_order(chunk, rows)?);
    }
    Ok(found)
}

/// The key `LAST_INSERT_ID()` returned, as `M`'s primary key.
#[cfg(feature = "mysql")]
pub(crate) fn mysql_key<M: Persist>(id: u64) -> QueryResult<M::PrimaryKey> {
    M::pk_from_insert_id(id).ok_or_else(|| {
        diesel::result::Error::DeserializationError(
            format!(
                "LAST_INSERT_ID() returned {id}, which is not a primary key of {}",
                M::meta().name
            )
            .into(),
        )
    })
}

/// `rows` in the order of `keys` (each key's row once); an error if one is missing.
#[cfg(feature = "mysql")]
pub(crate) fn in_key_order<M: orm_schema::Model>(
    keys: &[M::PrimaryKey],
    rows: Vec<M>,
) -> QueryResult<Vec<M>> {
    let mut slots: Vec<Option<M>> = Vec::with_capacity(keys.len());
    slots.resize_with(keys.len(), || None);
    // Rows usually come back in key order: look from just after the last match first.
    let mut hint = 0;
    for row in rows {
        let position = (hint..keys.len())
            .chain(0..hint)
            .find(|&i| slots[i].is_none() && keys[i] == *row.pk());
        if let Some(i) = position {
            slots[i] = Some(row);
            hint = i + 1;
        }
    }
    slots
        .into_iter()
        .collect::<Option<Vec<M>>>()
        .ok_or(diesel::result::Error::NotFound)
}
