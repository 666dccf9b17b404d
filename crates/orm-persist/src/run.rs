//! The persistence operations, written once: async functions generic over the diesel
//! connection `C` they run on ([`StatementConn`]) and the statements of [`crate::ops`].
//!
//! On an async connection (async SQLite, whose statements run on the connection's own
//! thread, and diesel-async's PostgreSQL and MySQL connections) they are awaited. On a
//! blocking one (diesel's SQLite connection and the blocking PostgreSQL and MySQL
//! wrappers) every statement completes inside the call, and orm-exec's executor for
//! `&mut Connection` finishes the operation in one poll.

use orm_exec::statement_conn::StatementConn;
use orm_exec::transaction::level;
use orm_exec::{Error, Result};

use std::collections::HashSet;
use std::hash::Hash;

use crate::bulk_update::Assigned;
use crate::derive::now;
use crate::input::{
    at_most_one, backoff, gone, prepare, prepare_all, prepare_changes, rows_per_statement,
    MAX_ATTEMPTS,
};
use crate::many_to_many::{Link, Relinked};
use crate::ops::{AssignOps, FilterOps, RowOps};
use crate::upsert::Conflict;
use orm_schema::{ChangeSet, FieldError, ValidationError};

/// `$statement` (a statement future on `$conn`) awaited, as orm's `Result`: its error
/// classified on that connection before anything else runs on it (on MySQL/MariaDB the
/// server is asked for the error's number).
macro_rules! ok {
    ($conn:expr, $statement:expr) => {{
        let result = $statement.await;
        StatementConn::classify(&mut *$conn, result).await
    }};
}

/// Inserts one validated form and returns the stored model.
async fn insert_one<M: RowOps<C>, C: StatementConn>(conn: &mut C, form: M::Insert) -> Result<M> {
    let row = M::insert_row(form, now());
    let mut rows = ok!(conn, M::insert(conn, vec![row]))?;
    rows.pop().ok_or_else(gone::<M>)
}

/// [`insert_one`] in a transaction level of its own (a savepoint inside the caller's
/// transaction).
async fn insert_atomic<M: RowOps<C>, C: StatementConn>(conn: &mut C, form: M::Insert) -> Result<M> {
    level::begin(conn).await?;
    let outcome = insert_one::<M, C>(conn, form).await;
    level::finish(conn, outcome).await
}

/// `create`: validate, insert, return the stored model.
pub async fn create<M: RowOps<C>, C: StatementConn>(conn: &mut C, form: M::Insert) -> Result<M> {
    let form = prepare::<M>(form)?;
    insert_one(conn, form).await
}

/// `bulk_create`: validate every form, then insert them in one transaction, in
/// statements that stay under the backend's bind-parameter limit.
pub async fn bulk_create<M: RowOps<C>, C: StatementConn>(
    conn: &mut C,
    forms: Vec<M::Insert>,
) -> Result<Vec<M>> {
    let forms = prepare_all::<M>(forms)?;
    if forms.is_empty() {
        return Ok(Vec::new());
    }
    if <M as RowOps<C>>::INSERTS_AT_ONCE
        && forms.len() <= rows_per_statement(C::MAX_BINDS, M::COLUMNS)
    {
        // One multi-row INSERT ... RETURNING is atomic by itself: no BEGIN/COMMIT round
        // trips (diesel's MySQL backend inserts row by row, so it keeps the transaction).
        return insert_chunks::<M, C>(conn, forms).await;
    }
    level::begin(conn).await?;
    let outcome = insert_chunks::<M, C>(conn, forms).await;
    level::finish(conn, outcome).await
}

/// `upsert` (`create` / `bulk_create` after `on_conflict`): validate every form, then
/// insert them settling conflicts as `conflict` says, in one transaction when there are
/// several rows. See [`crate::upsert`].
pub async fn upsert<M: RowOps<C>, C: StatementConn>(
    conn: &mut C,
    forms: Vec<M::Insert>,
    conflict: Conflict,
) -> Result<Vec<M>> {
    if conflict.update.as_ref().is_some_and(Vec::is_empty) {
        return Err(Error::Usage {
            message: format!(
                "do_update on {} names no field to update: name at least one, or use \
                 do_nothing",
                M::meta().name
            ),
        });
    }
    let forms = prepare_all::<M>(forms)?;
    let now = now();
    let rows: Vec<_> = forms
        .into_iter()
        .map(|form| M::insert_row(form, now))
        .collect();
    if C::BACKEND == orm_exec::Backend::Mysql
        && conflict.updates()
        && !conflict.targets_pk()
        && rows.iter().any(|(pk, _)| pk.is_some())
    {
        return Err(Error::Usage {
            message: format!(
                "do_update on MySQL/MariaDB reads an updated row's key with LAST_INSERT_ID, \
                 which needs an auto-increment key; {} supplies its key, so target the \
                 primary key (on_conflict_by(\"pk\")) instead of `{}`",
                M::meta().name,
                conflict.target
            ),
        });
    }
    match rows.len() {
        0 => Ok(Vec::new()),
        1 => ok!(conn, M::upsert(conn, rows, conflict)),
        _ => {
            level::begin(conn).await?;
            let outcome = ok!(conn, M::upsert(conn, rows, conflict));
            level::finish(conn, outcome).await
        }
    }
}

/// `bulk_update`: validate the assigned fields of every row, then set them, in statements
/// under the bind-parameter limit (in one transaction when there are several).
pub async fn bulk_update<M: RowOps<C>, C: StatementConn>(
    conn: &mut C,
    rows: Vec<M>,
    assigned: Assigned,
) -> Result<usize> {
    if assigned.is_empty() {
        return Err(Error::Usage {
            message: format!("bulk_update on {} names no field to update", M::meta().name),
        });
    }
    let indexes = assigned.indexes();
    let mut errors = Vec::new();
    for (row, model) in rows.iter().enumerate() {
        if let Err(invalid) = model.changes_of(&indexes).validate() {
            errors.extend(invalid.errors.into_iter().map(|e| FieldError {
                message: format!("row {row}: {}", e.message),
                ..e
            }));
        }
    }
    if !errors.is_empty() {
        return Err(ValidationError::new(errors).into());
    }
    let per_statement = rows_per_statement(C::MAX_BINDS, assigned.binds_per_row());
    if rows.len() <= per_statement {
        if rows.is_empty() {
            return Ok(0);
        }
        return ok!(conn, M::bulk_update(conn, rows, assigned));
    }
    level::begin(conn).await?;
    let mut outcome = Ok(0);
    let mut rows = rows.into_iter();
    loop {
        let chunk: Vec<M> = rows.by_ref().take(per_statement).collect();
        if chunk.is_empty() {
            break;
        }
        match ok!(conn, M::bulk_update(conn, chunk, assigned.clone())) {
            Ok(n) => outcome = outcome.map(|total| total + n),
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    level::finish(conn, outcome).await
}

/// `bulk_insert`: validate every form, then insert them in multi-row statements under the
/// bind-parameter limit (in one transaction when there are several); the number inserted.
pub async fn bulk_insert<M: RowOps<C>, C: StatementConn>(
    conn: &mut C,
    forms: Vec<M::Insert>,
) -> Result<usize> {
    let forms = prepare_all::<M>(forms)?;
    let now = now();
    let per_statement = rows_per_statement(C::MAX_BINDS, M::COLUMNS);
    // The rows alone: a count needs no key back.
    let rows: Vec<M::Row> = forms
        .into_iter()
        .map(|form| M::insert_row(form, now).1)
        .collect();
    if rows.len() <= per_statement {
        if rows.is_empty() {
            return Ok(0);
        }
        return ok!(conn, M::insert_count(conn, rows));
    }
    level::begin(conn).await?;
    let outcome = insert_counted::<M, C>(conn, rows).await;
    level::finish(conn, outcome).await
}

/// Inserts `rows` in statements under the bind-parameter limit, one after the other on
/// the caller's transaction level; how many were inserted.
async fn insert_counted<M: RowOps<C>, C: StatementConn>(
    conn: &mut C,
    mut rows: Vec<M::Row>,
) -> Result<usize> {
    let per_statement = rows_per_statement(C::MAX_BINDS, M::COLUMNS);
    let mut total = 0;
    while !rows.is_empty() {
        let rest = rows.split_off(per_statement.min(rows.len()));
        let chunk = std::mem::replace(&mut rows, rest);
        total += ok!(conn, M::insert_count(conn, chunk))?;
    }
    Ok(total)
}

/// A many-to-many `add` or `set` (see [`crate::many_to_many`]): validate the new links'
/// forms, then in one transaction delete the stale links (`set`), read which of the
/// targets are linked already, and insert the rest. Returns the links added and removed.
pub async fn link<T, C, K, P, S>(conn: &mut C, link: Link<T, K, P, S>) -> Result<Relinked>
where
    T: RowOps<C>,
    C: StatementConn,
    K: Hash + Eq,
    P: FilterOps<T, C>,
    S: FilterOps<T, C>,
{
    let Link {
        present,
        stale,
        links,
        key_of,
    } = link;
    if links.is_empty() && stale.is_none() {
        return Ok(Relinked::default());
    }
    let (keys, forms): (Vec<K>, Vec<T::Insert>) = links.into_iter().unzip();
    let forms = prepare_all::<T>(forms)?;
    level::begin(conn).await?;
    let outcome = async {
        let removed = match stale {
            Some(stale) => ok!(conn, stale.delete(conn))?,
            None => 0,
        };
        let mut linked: HashSet<K> = ok!(conn, present.load_all(conn))?
            .iter()
            .filter_map(key_of)
            .collect();
        let now = now();
        // A target linked already, or listed twice, is added once.
        let rows: Vec<_> = keys
            .into_iter()
            .zip(forms)
            .filter_map(|(key, form)| linked.insert(key).then(|| T::insert_row(form, now).1))
            .collect();
        let added = insert_counted::<T, C>(conn, rows).await?;
        Ok(Relinked { added, removed })
    }
    .await;
    level::finish(conn, outcome).await
}

/// Inserts validated forms in statements under the bind-parameter limit.
async fn insert_chunks<M: RowOps<C>, C: StatementConn>(
    conn: &mut C,
    forms: Vec<M::Insert>,
) -> Result<Vec<M>> {
    let now = now();
    let per_statement = rows_per_statement(C::MAX_BINDS, M::COLUMNS);
    let mut created = Vec::new();
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
        let stored = ok!(conn, M::insert(conn, chunk))?;
        if created.is_empty() {
            // The first chunk's rows are the result as they are (no copy).
            created = stored;
        } else {
            created.extend(stored);
        }
    }
}

/// The model with primary key `pk`, or [`orm_exec::Error::NoMatch`].
pub async fn find<M: RowOps<C>, C: StatementConn>(conn: &mut C, pk: M::PrimaryKey) -> Result<M> {
    ok!(conn, M::find(conn, pk, false))?.ok_or_else(gone::<M>)
}

/// Instance `update`: validate, refresh `auto_now`, update by key, and replace `model`
/// with the stored row.
pub async fn update<M: RowOps<C>, C: StatementConn>(
    conn: &mut C,
    model: &mut M,
    changes: M::Changes,
) -> Result<()> {
    if let Some(stored) = update_pk(conn, model.pk().clone(), changes).await? {
        *model = stored;
    }
    Ok(())
}

/// Validates `changes`, refreshes `auto_now` and updates the row with key `pk`: the stored
/// row, or `None` when there was nothing to change.
pub async fn update_pk<M: RowOps<C>, C: StatementConn>(
    conn: &mut C,
    pk: M::PrimaryKey,
    changes: M::Changes,
) -> Result<Option<M>> {
    let Some(changes) = prepare_changes::<M>(changes)? else {
        return Ok(None);
    };
    let stored = ok!(conn, M::update_returning(conn, pk, changes))?;
    stored.ok_or_else(gone::<M>).map(Some)
}

/// Instance `delete`: [`orm_exec::Error::NoMatch`] when the row is already gone.
pub async fn delete<M: RowOps<C>, C: StatementConn>(conn: &mut C, pk: M::PrimaryKey) -> Result<()> {
    match ok!(conn, M::delete_pk(conn, pk))? {
        0 => Err(gone::<M>()),
        _ => Ok(()),
    }
}

/// QuerySet `update`/`update_with`: the number of rows updated.
pub async fn assign<V: AssignOps<W, C>, W, C: StatementConn>(
    conn: &mut C,
    changes: V,
    target: W,
) -> Result<usize> {
    ok!(conn, changes.assign(target, conn))
}

/// QuerySet `delete`: the number of rows deleted.
pub async fn delete_where<M, W: FilterOps<M, C>, C: StatementConn>(
    conn: &mut C,
    target: W,
) -> Result<usize> {
    ok!(conn, target.delete(conn))
}

/// `get_or_create`: the row `filtered` selects, or a new one from `form`.
///
/// Read; if missing, insert in a transaction level of its own (a savepoint inside the
/// caller's transaction); on a unique violation another caller won the race: read again
/// and return its row. The second read locks (`FOR UPDATE`) inside the caller's
/// transaction, so that on MySQL's REPEATABLE READ it sees the winner's committed row
/// rather than the transaction's snapshot; at the outermost level the failed insert's
/// transaction is over and a plain read sees it. A retryable failure (deadlock,
/// serialization failure, busy SQLite) is retried a few times when this call owns the
/// transaction.
pub async fn get_or_create<M, C, F>(conn: &mut C, filtered: F, form: M::Insert) -> Result<(M, bool)>
where
    M: RowOps<C>,
    C: StatementConn,
    F: FilterOps<M, C> + Clone,
{
    let form = prepare::<M>(form)?;
    let outermost = level::depth(conn)? == 0;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let rows = ok!(conn, filtered.clone().load_two(conn, false))?;
        if let Some(found) = at_most_one(rows)? {
            return Ok((found, false));
        }
        match insert_atomic::<M, C>(conn, form.clone()).await {
            Ok(created) => return Ok((created, true)),
            Err(e) if e.is_unique_violation() => {
                let again = ok!(conn, filtered.clone().load_two(conn, !outermost))?;
                return match at_most_one(again)? {
                    Some(found) => Ok((found, false)),
                    // The conflict was on another unique value than the lookup's.
                    None => Err(e),
                };
            }
            Err(e) if outermost && e.is_retryable() && attempt < MAX_ATTEMPTS => {
                C::pause(backoff(attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// `update_or_create`: update the row `filtered` selects with the fields `form` gives, or
/// create it from `form`; in one transaction (level). Races on creation are settled as in
/// [`get_or_create`], the loser updating the winner's row.
pub async fn update_or_create<M, C, F>(
    conn: &mut C,
    filtered: F,
    form: M::Insert,
) -> Result<(M, bool)>
where
    M: RowOps<C>,
    C: StatementConn,
    F: FilterOps<M, C> + Clone,
{
    let create_form = prepare::<M>(form.clone())?;
    let outermost = level::depth(conn)? == 0;
    let mut attempt = 0;
    loop {
        attempt += 1;
        level::begin(conn).await?;
        let outcome =
            update_or_insert::<M, C, F>(conn, filtered.clone(), form.clone(), create_form.clone())
                .await;
        match level::finish(conn, outcome).await {
            Err(e) if outermost && e.is_retryable() && attempt < MAX_ATTEMPTS => {
                C::pause(backoff(attempt)).await;
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
    M: RowOps<C>,
    C: StatementConn,
    F: FilterOps<M, C> + Clone,
{
    let rows = ok!(conn, filtered.clone().load_two(conn, false))?;
    if let Some(found) = at_most_one(rows)? {
        return Ok((update_found::<M, C>(conn, found, form).await?, false));
    }
    match insert_atomic::<M, C>(conn, create_form).await {
        Ok(created) => Ok((created, true)),
        Err(e) if e.is_unique_violation() => {
            let again = ok!(conn, filtered.load_two(conn, true))?;
            match at_most_one(again)? {
                Some(found) => Ok((update_found::<M, C>(conn, found, form).await?, false)),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Applies the fields `form` gives (and `auto_now`) to `found`'s row; the stored row.
async fn update_found<M: RowOps<C>, C: StatementConn>(
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
    ok!(conn, M::update_returning(conn, pk, changes))?.ok_or_else(gone::<M>)
}
