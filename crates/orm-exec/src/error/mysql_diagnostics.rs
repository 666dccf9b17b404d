//! MySQL/MariaDB: the error number of a statement that just failed, asked of the server.
//!
//! diesel-async keeps only the message of `mysql_async`'s server error, dropping its
//! number and SQLSTATE. The server still has them in its diagnostics area until the next
//! statement that clears it, so right after a failure orm copies the first condition into
//! session variables (`GET DIAGNOSTICS`, which clears nothing) and reads them back. The
//! number is used only if the condition's message is the one diesel reported, so a stale
//! condition (another error earlier in the session) is never mistaken for this one.
//!
//! If the question cannot reach the server, the connection is gone: the error is a lost
//! connection, whatever the language of its message.
//!
//! The blocking and the async connection each run the two statements; everything else is
//! shared. Costs two round trips, on the error path only.

use diesel::result::Error as DieselError;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::{ErrorCode, SqlState};

/// Copies the first condition of the diagnostics area into session variables.
pub(crate) const COPY: &str = "GET DIAGNOSTICS CONDITION 1 \
     @orm_errno = MYSQL_ERRNO, @orm_sqlstate = RETURNED_SQLSTATE, @orm_message = MESSAGE_TEXT";

/// Reads the copied condition.
pub(crate) const READ: &str = "SELECT CAST(@orm_errno AS SIGNED) AS number, \
     CAST(@orm_sqlstate AS CHAR) AS state, CAST(@orm_message AS CHAR) AS message";

/// The condition read back by [`READ`].
#[derive(Debug, diesel::QueryableByName)]
pub(crate) struct Condition {
    #[diesel(sql_type = Nullable<BigInt>)]
    number: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    state: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    message: Option<String>,
}

/// The message of `err` when it is an error the server reported, the only kind worth
/// asking about.
pub(crate) fn reported_message(err: &DieselError) -> Option<&str> {
    match err {
        DieselError::DatabaseError(_, info) => Some(info.message()),
        _ => None,
    }
}

impl Condition {
    /// The condition's code, if its message is `message` (the error being classified).
    pub(crate) fn code_for(self, message: &str) -> Option<ErrorCode> {
        let text = self.message?;
        // The server truncates long messages in the diagnostics area.
        let same = !text.is_empty() && message.starts_with(text.as_str());
        if !same {
            return None;
        }
        Some(ErrorCode::Mysql {
            number: u16::try_from(self.number?).ok()?,
            sqlstate: self
                .state
                .as_deref()
                .and_then(SqlState::new)
                .or_else(|| SqlState::new("HY000"))?,
        })
    }
}

/// What the server said about an error, asked right after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Diagnosis {
    /// The error's code.
    Code(ErrorCode),
    /// The question could not reach the server: the connection is gone.
    ConnectionLost,
    /// Nothing to learn (not a server error, or another condition is recorded).
    Unknown,
}

impl Diagnosis {
    /// The diagnosis of `err` from the outcome of asking: `copied` (the copy statement)
    /// and `read` (the condition read back).
    fn of(
        err: &DieselError,
        copied: Result<(), DieselError>,
        read: impl FnOnce() -> Result<Condition, DieselError>,
    ) -> Diagnosis {
        let Some(message) = reported_message(err) else {
            return Diagnosis::Unknown;
        };
        if let Err(failed) = copied {
            let lost = matches!(
                super::Error::from_diesel(failed, orm_schema::Backend::Mysql),
                super::Error::Connection { .. }
            );
            return if lost {
                Diagnosis::ConnectionLost
            } else {
                Diagnosis::Unknown
            };
        }
        read()
            .ok()
            .and_then(|condition| condition.code_for(message))
            .map_or(Diagnosis::Unknown, Diagnosis::Code)
    }

    /// Turns `err` into orm's error with what was learnt.
    pub(crate) fn classify(self, err: DieselError) -> super::Error {
        let backend = orm_schema::Backend::Mysql;
        match self {
            Diagnosis::Code(code) => super::Error::from_diesel_with_code(err, backend, Some(code)),
            Diagnosis::ConnectionLost => match super::Error::from_diesel(err, backend) {
                lost @ super::Error::Connection { .. } => lost,
                other => super::Error::Connection {
                    backend,
                    message: other.to_string(),
                    cause: crate::error::ConnectionCause::Other,
                },
            },
            Diagnosis::Unknown => super::Error::from_diesel(err, backend),
        }
    }
}

/// Asks about `err`, just raised on the blocking connection `conn`.
pub(crate) fn blocking<C>(conn: &mut C, err: &DieselError) -> Diagnosis
where
    C: diesel::connection::SimpleConnection,
    diesel::query_builder::SqlQuery: for<'a> diesel::query_dsl::LoadQuery<'a, C, Condition>,
{
    if reported_message(err).is_none() {
        return Diagnosis::Unknown;
    }
    let copied = conn.batch_execute(COPY);
    Diagnosis::of(err, copied, || {
        diesel::RunQueryDsl::get_result(diesel::sql_query(READ), conn)
    })
}

/// Asks about `err`, just raised on the async connection `conn`.
pub(crate) async fn nonblocking<C>(conn: &mut C, err: &DieselError) -> Diagnosis
where
    C: diesel_async::AsyncConnection,
    diesel::query_builder::SqlQuery:
        for<'a> diesel_async::methods::LoadQuery<'a, C, Condition> + 'static,
{
    if reported_message(err).is_none() {
        return Diagnosis::Unknown;
    }
    let copied = conn.batch_execute(COPY).await;
    let read = match copied {
        Ok(()) => Some(diesel_async::RunQueryDsl::get_result(diesel::sql_query(READ), conn).await),
        Err(_) => None,
    };
    Diagnosis::of(err, copied, || read.expect("read after a successful copy"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(number: i64, message: &str) -> Condition {
        Condition {
            number: Some(number),
            state: Some("23000".into()),
            message: Some(message.into()),
        }
    }

    #[test]
    fn code_only_for_the_same_message() {
        let m = "CONSTRAINT `qpos` fehlgeschlagen: `test`.`errt`";
        assert_eq!(
            condition(4025, m).code_for(m),
            Some(ErrorCode::Mysql {
                number: 4025,
                sqlstate: SqlState::new("23000").unwrap()
            })
        );
        assert_eq!(condition(4025, m).code_for("another error"), None);
        assert_eq!(condition(4025, "").code_for(m), None);
        let none = Condition {
            number: None,
            state: None,
            message: None,
        };
        assert_eq!(none.code_for(m), None);
    }
}
