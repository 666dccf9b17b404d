//! The blocking operations, generic over one backend's diesel connection `C` (SQLite's own,
//! or the blocking PostgreSQL and MySQL wrappers). Async SQLite runs these too, on its
//! connection's thread.

use orm_exec::Result;

use crate::derive::now;
use crate::input::{
    at_most_one, backoff, gone, prepare, prepare_all, prepare_changes, rows_per_statement,
    MAX_ATTEMPTS,
};
use crate::ops::{AssignOps, FilterOps, RowOps};
use crate::tx::{atomic, depth, ok, SyncConn};

/// Inserts one validated form and returns the stored model.
fn insert_one<M: RowOps<C>, C: SyncConn>(conn: &mut C, form: M::Insert) -> Result<M> {
    let row = M::insert_row(form, now());
    let mut rows = ok!(conn, M::insert(conn, vec![row]))?;
    rows.pop().ok_or_else(gone::<M>)
}

/// `create`: validate, insert, return the stored model.
pub fn create<M: RowOps<C>, C: SyncConn>(conn: &mut C, form: M::Insert) -> Result<M> {
    let form = prepare::<M>(form)?;
    insert_one(conn, form)
}

/// `bulk_create`: validate every form, then insert them in one transaction, in
/// statements that stay under the backend's bind-parameter limit.
pub fn bulk_create<M: RowOps<C>, C: SyncConn>(
    conn: &mut C,
    forms: Vec<M::Insert>,
) -> Result<Vec<M>> {
    let forms = prepare_all::<M>(forms)?;
    if forms.is_empty() {
        return Ok(Vec::new());
    }
    let now = now();
    let per_statement = rows_per_statement(C::MAX_BINDS, M::COLUMNS);
    if C::BACKEND != orm_exec::Backend::Mysql && forms.len() <= per_statement {
        // One multi-row INSERT is atomic by itself on SQLite and PostgreSQL: no
        // BEGIN/COMMIT round trips (MySQL inserts row by row, so it keeps the transaction).
        let rows = forms
            .into_iter()
            .map(|form| M::insert_row(form, now))
            .collect();
        return ok!(conn, M::insert(conn, rows));
    }
    atomic(conn, |conn| {
        let mut created = Vec::with_capacity(forms.len());
        let mut rows = forms.into_iter().map(|form| M::insert_row(form, now));
        loop {
            let chunk: Vec<_> = rows.by_ref().take(per_statement).collect();
            if chunk.is_empty() {
                return Ok(created);
            }
            created.extend(ok!(conn, M::insert(conn, chunk))?);
        }
    })
}

/// The model with primary key `pk`, or [`orm_exec::Error::NoMatch`].
pub fn find<M: RowOps<C>, C: SyncConn>(conn: &mut C, pk: M::PrimaryKey) -> Result<M> {
    ok!(conn, M::find(conn, pk, false))?.ok_or_else(gone::<M>)
}

/// Instance `update`: validate, refresh `auto_now`, update by key, and replace `model`
/// with the stored row.
pub fn update<M: RowOps<C>, C: SyncConn>(
    conn: &mut C,
    model: &mut M,
    changes: M::Changes,
) -> Result<()> {
    if let Some(stored) = update_pk(conn, model.pk().clone(), changes)? {
        *model = stored;
    }
    Ok(())
}

/// Validates `changes`, refreshes `auto_now` and updates the row with key `pk`: the stored
/// row, or `None` when there was nothing to change.
pub fn update_pk<M: RowOps<C>, C: SyncConn>(
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
pub fn delete<M: RowOps<C>, C: SyncConn>(conn: &mut C, pk: M::PrimaryKey) -> Result<()> {
    match ok!(conn, M::delete_pk(conn, pk))? {
        0 => Err(gone::<M>()),
        _ => Ok(()),
    }
}

/// QuerySet `update`/`update_with`: the number of rows updated.
pub fn assign<V: AssignOps<W, C>, W, C: SyncConn>(
    conn: &mut C,
    changes: V,
    target: W,
) -> Result<usize> {
    ok!(conn, changes.assign(target, conn))
}

/// QuerySet `delete`: the number of rows deleted.
pub fn delete_where<M, W: FilterOps<M, C>, C: SyncConn>(conn: &mut C, target: W) -> Result<usize> {
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
pub fn get_or_create<M, C, F>(conn: &mut C, filtered: F, form: M::Insert) -> Result<(M, bool)>
where
    M: RowOps<C>,
    C: SyncConn,
    F: FilterOps<M, C> + Clone,
{
    let form = prepare::<M>(form)?;
    let outermost = ok!(conn, depth(conn))? == 0;
    let mut attempt = 0;
    loop {
        attempt += 1;
        if let Some(found) = at_most_one(ok!(conn, filtered.clone().load_two(conn, false))?)? {
            return Ok((found, false));
        }
        match atomic(conn, |conn| insert_one::<M, C>(conn, form.clone())) {
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
                std::thread::sleep(backoff(attempt));
            }
            Err(e) => return Err(e),
        }
    }
}

/// `update_or_create`: update the row `filtered` selects with the fields `form` gives, or
/// create it from `form`; in one transaction (level). Races on creation are settled as in
/// [`get_or_create`], the loser updating the winner's row.
pub fn update_or_create<M, C, F>(conn: &mut C, filtered: F, form: M::Insert) -> Result<(M, bool)>
where
    M: RowOps<C>,
    C: SyncConn,
    F: FilterOps<M, C> + Clone,
{
    let create_form = prepare::<M>(form.clone())?;
    let outermost = ok!(conn, depth(conn))? == 0;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = atomic(conn, |conn| {
            if let Some(found) = at_most_one(ok!(conn, filtered.clone().load_two(conn, false))?)? {
                return update_found(conn, found, &form).map(|m| (m, false));
            }
            match atomic(conn, |conn| insert_one::<M, C>(conn, create_form.clone())) {
                Ok(created) => Ok((created, true)),
                Err(e) if e.is_unique_violation() => {
                    match at_most_one(ok!(conn, filtered.clone().load_two(conn, true))?)? {
                        Some(found) => update_found(conn, found, &form).map(|m| (m, false)),
                        None => Err(e),
                    }
                }
                Err(e) => Err(e),
            }
        });
        match outcome {
            Err(e) if outermost && e.is_retryable() && attempt < MAX_ATTEMPTS => {
                std::thread::sleep(backoff(attempt));
            }
            other => return other,
        }
    }
}

/// Applies the fields `form` gives (and `auto_now`) to `found`'s row; the stored row.
fn update_found<M: RowOps<C>, C: SyncConn>(conn: &mut C, found: M, form: &M::Insert) -> Result<M> {
    let mut changes = M::form_changes(form.clone());
    M::touch(&mut changes, now());
    if M::changes_empty(&changes) {
        return Ok(found);
    }
    ok!(conn, M::update_returning(conn, found.pk().clone(), changes))?.ok_or_else(gone::<M>)
}
