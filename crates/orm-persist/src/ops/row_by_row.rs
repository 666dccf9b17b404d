//! [`RowByRow`]'s statements (MySQL/MariaDB): each row inserted on its own and its key read
//! with `LAST_INSERT_ID()` on the same connection (or taken from the row when it supplies
//! it), never computed by arithmetic; then the rows selected back by key. An update is
//! followed by a select.

use diesel::dsl;
use diesel::query_builder::QueryId;
use diesel::query_dsl::methods::{FilterDsl, FindDsl, SelectDsl};
use diesel::{Insertable, QueryResult, Selectable, SelectableHelper};
use orm_exec::statement::{Execute, Load};
use orm_exec::statement_conn::StatementConn;

use super::statements::{by_pk, ByPk, RowByRow, RowsBackFor};
use super::{AssignOps, FilterOps, NewRow};
use crate::derive::Persist;
use crate::upsert::{upsert_row, Conflict, UpsertStatement};

/// The primary-key column of `M`'s table.
type PkColumn<M> = <<M as orm_schema::Model>::Table as diesel::Table>::PrimaryKey;

/// `pk IN (...)` for `M`.
type PkInList<M> = super::pk_in::PkIn<
    PkColumn<M>,
    <M as orm_schema::Model>::PrimaryKey,
    <M as orm_schema::Model>::PrimaryKeySql,
>;

/// The rows of `M` whose primary key is one of a list.
type ByPks<M> = dsl::Filter<<M as orm_schema::Model>::Table, PkInList<M>>;

/// `SELECT LAST_INSERT_ID()`.
type LastInsertId = dsl::select<
    diesel::expression::SqlLiteral<diesel::sql_types::Unsigned<diesel::sql_types::BigInt>>,
>;

/// How many keys one `WHERE pk IN (...)` re-select binds on MySQL.
const RESELECT_CHUNK: usize = 5_000;

impl<M, C> RowsBackFor<M, C> for RowByRow
where
    C: StatementConn,
    M: Persist + Selectable<C::Backend>,
    <M as Selectable<C::Backend>>::SelectExpression: QueryId,
    M::Table: FindDsl<M::PrimaryKey>,
    M::Row: Insertable<M::Table>,
    dsl::Values<dsl::insert_into<M::Table>, M::Row>: Execute<C>,
    UpsertStatement<dsl::Values<dsl::insert_into<M::Table>, M::Row>, ()>: Execute<C>,
    LastInsertId: Load<C, u64>,
    M::Table: FilterDsl<PkInList<M>>,
    ByPks<M>: SelectDsl<dsl::AsSelect<M, C::Backend>>,
    dsl::Select<ByPks<M>, dsl::AsSelect<M, C::Backend>>: Load<C, M>,
    ByPk<M>: FilterOps<M, C>,
    M::Changes: AssignOps<ByPk<M>, C>,
{
    const AT_ONCE: bool = false;

    async fn insert(conn: &mut C, rows: Vec<NewRow<M>>) -> QueryResult<Vec<M>> {
        let mut keys = Vec::with_capacity(rows.len());
        for (pk, row) in rows {
            diesel::insert_into(M::Table::default())
                .values(row)
                .execute(conn)
                .await?;
            let pk = match pk {
                Some(pk) => pk,
                None => last_insert_id::<M, C>(conn).await?,
            };
            keys.push(pk);
        }
        reselect::<M, C>(conn, &keys).await
    }

    /// Each row on its own, `INSERT ... ON DUPLICATE KEY UPDATE`; the rows affected tell
    /// what happened (1 inserted, 2 updated, 0 left as it was: orm does not ask for
    /// MySQL's `CLIENT_FOUND_ROWS`). The key of an updated row is the one `LAST_INSERT_ID`
    /// names (the clause sets it) or the row's own when the conflict target is the key.
    async fn upsert(conn: &mut C, rows: Vec<NewRow<M>>, conflict: Conflict) -> QueryResult<Vec<M>> {
        let mut keys = Vec::with_capacity(rows.len());
        for (pk, row) in rows {
            let statement = upsert_row::<M, _>(row, conflict.clone(), pk.is_none(), ());
            let affected = statement.execute(conn).await?;
            if affected == 0 && !conflict.updates() {
                // DO NOTHING: the row existed.
                continue;
            }
            let key = match pk {
                Some(pk) => pk,
                None => last_insert_id::<M, C>(conn).await?,
            };
            keys.push(key);
        }
        reselect::<M, C>(conn, &keys).await
    }

    async fn update_returning(
        conn: &mut C,
        pk: M::PrimaryKey,
        changes: M::Changes,
    ) -> QueryResult<Option<M>> {
        // MySQL counts changed rows, not matched ones: the select says whether it exists.
        changes.assign(by_pk::<M>(pk.clone()), conn).await?;
        let rows = by_pk::<M>(pk).load_two(conn, false).await?;
        Ok(rows.into_iter().next())
    }
}

/// `SELECT LAST_INSERT_ID()` on `conn`, as `M`'s primary key.
async fn last_insert_id<M: Persist, C>(conn: &mut C) -> QueryResult<M::PrimaryKey>
where
    LastInsertId: Load<C, u64>,
{
    let last: LastInsertId = diesel::select(dsl::sql::<
        diesel::sql_types::Unsigned<diesel::sql_types::BigInt>,
    >("LAST_INSERT_ID()"));
    let id: u64 = last.get_result(conn).await?;
    insert_id_key::<M>(id)
}

/// The rows of `M` with `keys`, in the order of `keys`, selected in chunks.
async fn reselect<M, C>(conn: &mut C, keys: &[M::PrimaryKey]) -> QueryResult<Vec<M>>
where
    C: StatementConn,
    M: Persist,
    M::Table: FilterDsl<PkInList<M>>,
    ByPks<M>: SelectDsl<dsl::AsSelect<M, C::Backend>>,
    dsl::Select<ByPks<M>, dsl::AsSelect<M, C::Backend>>: Load<C, M>,
    M: Selectable<C::Backend>,
    <M as Selectable<C::Backend>>::SelectExpression: QueryId,
{
    let mut found = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(RESELECT_CHUNK) {
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

/// The key `LAST_INSERT_ID()` returned, as `M`'s primary key.
fn insert_id_key<M: Persist>(id: u64) -> QueryResult<M::PrimaryKey> {
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
fn in_key_order<M: orm_schema::Model>(keys: &[M::PrimaryKey], rows: Vec<M>) -> QueryResult<Vec<M>> {
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
