//! SQL observability: one `tracing` event per statement.
//!
//! Every connection orm opens carries an [`OrmInstrumentation`], diesel's per-connection
//! [`Instrumentation`] hook.
//!
//! For each statement it emits one event with target
//! [`TARGET`] (`orm::sql`) at level DEBUG and these fields:
//!
//! - `backend`: `sqlite`, `postgres` or `mysql`;
//! - `sql`: the SQL text with its placeholders (`?` or `$1`), **never the bound values**;
//! - `elapsed_us`: microseconds from the statement's start to its end (for a query, until
//!   its rows were read on SQLite, until the server answered on PostgreSQL and MySQL);
//! - `failed`: whether the statement returned an error. The error itself is not logged: a
//!   server's message may quote a value (MySQL's `Duplicate entry 'x'`).
//!
//! Transaction statements (`BEGIN`, `SAVEPOINT`, `COMMIT`, ...) are statements too, and
//! so are the two orm runs on MySQL/MariaDB right after a failed statement to learn its
//! error number (`GET DIAGNOSTICS ...`, `SELECT CAST(@orm_errno ...`). Row
//! counts are not reported: diesel's instrumentation events do not carry them.
//!
//! Nothing is paid when no subscriber listens to `orm::sql` at DEBUG: the statement's
//! start costs one `tracing::enabled!` check (a cached callsite interest), the clock is
//! read only when enabled, and the SQL text is formatted only if the subscriber records
//! the `sql` field.
//!
//! To see the statements with `tracing-subscriber`, for example:
//! `tracing_subscriber::fmt().with_env_filter("orm::sql=debug").init()`.

use std::fmt::{self, Write as _};
use std::time::Instant;

use diesel::connection::{DebugQuery, Instrumentation, InstrumentationEvent};
use orm_schema::Backend;

/// The `tracing` target of the per-statement events.
pub const TARGET: &str = "orm::sql";

/// The diesel [`Instrumentation`] orm installs on every connection it opens: one `tracing`
/// event per statement (see the module documentation). Install it on a diesel
/// connection with `set_instrumentation(OrmInstrumentation::new(backend))`.
#[derive(Debug, Clone)]
pub struct OrmInstrumentation {
    backend: Backend,
    /// When the current statement started; `None` when nobody listened at its start.
    started: Option<Instant>,
}

impl OrmInstrumentation {
    /// Instrumentation for a connection to `backend`.
    pub fn new(backend: Backend) -> OrmInstrumentation {
        OrmInstrumentation {
            backend,
            started: None,
        }
    }

    /// A statement starts: read the clock only if someone listens.
    fn start(&mut self) {
        self.started = None;
        if !tracing::enabled!(target: TARGET, tracing::Level::DEBUG) {
            return;
        }
        self.started = Some(Instant::now());
    }

    /// A statement ended: emit its event.
    fn finish(&mut self, query: &dyn DebugQuery, failed: bool) {
        // With pipelined statements (async PostgreSQL) a later start may have replaced the
        // time: the event is still emitted, without `elapsed_us`.
        let elapsed_us = self
            .started
            .take()
            .map(|start| u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX));
        tracing::debug!(
            target: TARGET,
            backend = self.backend.name(),
            sql = %SqlText(query),
            elapsed_us,
            failed,
            "sql statement"
        );
    }
}

impl Instrumentation for OrmInstrumentation {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => self.start(),
            InstrumentationEvent::FinishQuery { query, error, .. } => {
                self.finish(query, error.is_some())
            }
            _ => {}
        }
    }
}

/// What diesel writes between a query's SQL and its bound values when displaying it.
const BINDS_MARKER: &str = " -- binds: ";

/// Displays a diesel query's SQL text without its bound values.
///
/// diesel displays a query as `<sql> -- binds: [<values>]`; formatting stops at the
/// marker, so the values are never even formatted.
struct SqlText<'a>(&'a dyn DebugQuery);

impl fmt::Display for SqlText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = UntilBinds {
            inner: f,
            reached_binds: false,
            inner_failed: false,
        };
        match write!(out, "{}", self.0) {
            Ok(()) => Ok(()),
            Err(e) if out.inner_failed => Err(e),
            // The marker was reached, or diesel could not render the query: what was
            // written is all there is.
            Err(_) => Ok(()),
        }
    }
}

/// Forwards text until [`BINDS_MARKER`], then refuses everything.
struct UntilBinds<'a, 'f> {
    inner: &'a mut fmt::Formatter<'f>,
    reached_binds: bool,
    inner_failed: bool,
}

impl fmt::Write for UntilBinds<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.reached_binds {
            return Err(fmt::Error);
        }
        let (text, at_marker) = match s.find(BINDS_MARKER) {
            Some(at) => (&s[..at], true),
            None => (s, false),
        };
        if let Err(e) = self.inner.write_str(text) {
            self.inner_failed = true;
            return Err(e);
        }
        if at_marker {
            self.reached_binds = true;
            return Err(fmt::Error);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Displays like a diesel query with binds.
    #[derive(Debug)]
    struct WithBinds;

    impl fmt::Display for WithBinds {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let sql = String::from("SELECT a FROM t WHERE b = ?");
            write!(f, "{sql}{BINDS_MARKER}{:?}", ["secret"])
        }
    }

    impl DebugQuery for WithBinds {}

    #[test]
    fn sql_text_stops_before_the_binds() {
        assert_eq!(
            SqlText(&WithBinds).to_string(),
            "SELECT a FROM t WHERE b = ?"
        );
        // Width flags of the outer formatter do not reach the SQL text.
        assert_eq!(
            format!("{:>40}", SqlText(&WithBinds)),
            "SELECT a FROM t WHERE b = ?"
        );
    }
}
