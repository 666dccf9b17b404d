//! Checking input before anything is written, and the small decisions every persistence
//! operation shares (chunk sizes, retries, one-row results).

use std::time::Duration;

use orm_exec::Error;
use orm_schema::{ChangeSet, FieldError, InsertForm, ValidationError};

use crate::derive::{now, Persist};

/// How many times get_or_create and update_or_create run when a retryable error (a
/// deadlock, a serialization failure, a busy SQLite file) ends their own transaction.
pub(crate) const MAX_ATTEMPTS: u32 = 8;

/// Fills `form`'s function defaults and validates it.
pub(crate) fn prepare<M: Persist>(mut form: M::Insert) -> Result<M::Insert, ValidationError> {
    form.apply_defaults();
    form.validate()?;
    Ok(form)
}

/// Fills every form's function defaults and validates them all: one error listing every
/// failing field of every row, each message starting with the row's index (`row 3: ...`).
pub(crate) fn prepare_all<M: Persist>(
    forms: Vec<M::Insert>,
) -> Result<Vec<M::Insert>, ValidationError> {
    let mut forms = forms;
    let mut errors = Vec::new();
    // In place: the forms are not moved into a second vector.
    for (row, form) in forms.iter_mut().enumerate() {
        form.apply_defaults();
        if let Err(invalid) = form.validate() {
            errors.extend(invalid.errors.into_iter().map(|e| FieldError {
                message: format!("row {row}: {}", e.message),
                ..e
            }));
        }
    }
    if errors.is_empty() {
        Ok(forms)
    } else {
        Err(ValidationError::new(errors))
    }
}

/// Validates `changes` and sets its `auto_now` fields the changes leave out to now; `None`
/// when the changes set no field, so that nothing is written (an `auto_now` field is not
/// refreshed by an update that changes nothing).
pub(crate) fn prepare_changes<M: Persist>(
    mut changes: M::Changes,
) -> Result<Option<M::Changes>, ValidationError> {
    changes.validate()?;
    if M::changes_empty(&changes) {
        return Ok(None);
    }
    M::touch(&mut changes, now());
    Ok(Some(changes))
}

/// How many rows of `columns` values one INSERT may carry under `max_binds` parameters.
pub(crate) fn rows_per_statement(max_binds: usize, columns: usize) -> usize {
    (max_binds / columns.max(1)).max(1)
}

/// The error for an update or delete on a QuerySet with a limit or an offset: a usage
/// error, nothing reaches the database.
pub(crate) fn sliced(model: &str, operation: &str) -> Error {
    Error::Usage {
        message: format!(
            "cannot {operation} a sliced QuerySet of {model} (limit or offset set): filter \
             the rows instead"
        ),
    }
}

/// The one row of `rows` (at most two were loaded): `None` when empty,
/// [`Error::MultipleMatches`] when two.
pub(crate) fn at_most_one<M: orm_schema::Model>(rows: Vec<M>) -> Result<Option<M>, Error> {
    let mut rows = rows.into_iter();
    match (rows.next(), rows.next()) {
        (None, _) => Ok(None),
        (Some(row), None) => Ok(Some(row)),
        (Some(_), Some(_)) => Err(Error::MultipleMatches {
            model: M::meta().name,
        }),
    }
}

/// [`Error::NoMatch`] for model `M` (its row is gone).
pub(crate) fn gone<M: orm_schema::Model>() -> Error {
    Error::NoMatch {
        model: M::meta().name,
    }
}

/// How long to wait before attempt `attempt + 1` after a retryable failure: a few
/// milliseconds, growing, with jitter so that colliding callers spread out.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let jitter = u64::from(chrono::Utc::now().timestamp_subsec_nanos() % 7);
    Duration::from_millis((2u64 << attempt.min(5)) + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_stay_under_the_bind_limit() {
        assert_eq!(rows_per_statement(32_766, 3), 10_922);
        assert_eq!(rows_per_statement(65_535, 20), 3_276);
        assert_eq!(rows_per_statement(10, 40), 1);
        assert_eq!(rows_per_statement(10, 0), 10);
    }

    #[test]
    fn backoff_grows_and_stays_small() {
        assert!(backoff(0) < backoff(5));
        assert!(backoff(30) <= Duration::from_millis(70));
    }
}
