//! Migrations made and checked against the migration files alone: each backend's
//! migrations replayed into a scratch database ([`Scratch`]) and read back, so `make`
//! writes every backend's directory in one call, with one version, and `check` compares
//! the models with the files without a migrated database.
//!
//! A scratch database is a private in-memory database on SQLite (always possible), a
//! new schema on PostgreSQL and a new database on MySQL/MariaDB, created on the server
//! a URL names and dropped afterwards, on error too. Everything runs on the one
//! connection that created it (`SET search_path`, `USE`), so the URL's own database is
//! not touched.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use orm_schema::ddl::MysqlFlavor;
use orm_schema::migrate::{self, MigrateError, Operation, Schema};
use orm_schema::{Backend, ModelMeta};

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::migrate_run::Migrate;
use crate::migrations::{check_name, version_order, DataLoss, Migration, MigrationDir};
use crate::statement_conn::run_now;
use crate::url::DatabaseUrl;

/// The prefix of scratch schema and database names unless [`Scratch::with_prefix`]
/// says otherwise.
pub const DEFAULT_SCRATCH_PREFIX: &str = "orm_scratch";

/// Where one backend's migrations are replayed: SQLite in memory, or a server on which
/// a scratch schema (PostgreSQL) or database (MySQL/MariaDB) is created for the replay
/// and dropped after it. The URL's user needs the right to create and drop it.
#[derive(Clone)]
pub struct Scratch {
    backend: Backend,
    /// The server's URL; `None` for SQLite in memory.
    server: Option<DatabaseUrl>,
    prefix: String,
}

impl Scratch {
    /// SQLite in memory: needs no server.
    pub fn sqlite() -> Scratch {
        Scratch {
            backend: Backend::Sqlite,
            server: None,
            prefix: DEFAULT_SCRATCH_PREFIX.to_string(),
        }
    }

    /// Scratch databases on the server at `url` (its backend by the scheme). A SQLite
    /// URL gives [`Scratch::sqlite`]: the file it names is never opened.
    ///
    /// # Errors
    ///
    /// As [`DatabaseUrl::parse`].
    pub fn server(url: &str) -> Result<Scratch> {
        let parsed = DatabaseUrl::parse(url)?;
        if parsed.backend() == Backend::Sqlite {
            return Ok(Scratch::sqlite());
        }
        Ok(Scratch {
            backend: parsed.backend(),
            server: Some(parsed),
            prefix: DEFAULT_SCRATCH_PREFIX.to_string(),
        })
    }

    /// Names scratch schemas and databases `<prefix>_<process id>_<counter>_<nanoseconds>`
    /// (default [`DEFAULT_SCRATCH_PREFIX`]), for a server that allows a user only
    /// databases of a given prefix.
    ///
    /// # Errors
    ///
    /// [`Error::Usage`] unless `prefix` is ASCII letters, digits and `_`, starting with
    /// a letter, at most 30 characters (the whole name must fit MySQL's 64).
    pub fn with_prefix(mut self, prefix: &str) -> Result<Scratch> {
        let plain = prefix.len() <= 30
            && prefix.starts_with(|c: char| c.is_ascii_alphabetic())
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !plain {
            return Err(Error::Usage {
                message: format!(
                    "scratch prefix `{prefix}`: use ASCII letters, digits and `_`, starting \
                     with a letter, at most 30 characters"
                ),
            });
        }
        self.prefix = prefix.to_string();
        Ok(self)
    }

    /// The backend whose migrations it replays.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Creates a scratch database and connects to it. It is dropped by
    /// [`ScratchDb::close`], or else when the value is dropped.
    ///
    /// # Errors
    ///
    /// The connection's error, or the server's refusal to create the schema or database
    /// (nothing is left behind then).
    pub fn open(&self) -> Result<ScratchDb> {
        let Some(url) = &self.server else {
            return Ok(ScratchDb {
                conn: Connection::establish("sqlite::memory:")?,
                server: None,
                name: None,
            });
        };
        let mut conn = Connection::establish_url(url)?;
        let name = unique_name(&self.prefix);
        let quoted = self.backend.quote(&name);
        let create = match self.backend {
            Backend::Postgres => format!("CREATE SCHEMA {quoted}"),
            _ => format!("CREATE DATABASE {quoted}"),
        };
        conn.batch_execute(&create)?;
        let mut db = ScratchDb {
            conn,
            server: Some(url.clone()),
            name: Some(name),
        };
        let enter = match self.backend {
            Backend::Postgres => format!("SET search_path TO {quoted}"),
            _ => format!("USE {quoted}"),
        };
        match db.conn.batch_execute(&enter) {
            Ok(()) => Ok(db),
            Err(e) => {
                // `db` drops the schema or database it created.
                drop(db);
                Err(e)
            }
        }
    }
}

impl fmt::Debug for Scratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL prints its password as `***`.
        f.debug_struct("Scratch")
            .field("backend", &self.backend)
            .field("server", &self.server.as_ref().map(ToString::to_string))
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// A scratch database (see [`Scratch::open`]), with a connection into it; dropped with
/// the value.
pub struct ScratchDb {
    conn: Connection,
    server: Option<DatabaseUrl>,
    /// The schema or database to drop; `None` for SQLite in memory or once dropped.
    name: Option<String>,
}

impl ScratchDb {
    /// The scratch schema's or database's name (`None` for SQLite in memory).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The connection into it.
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Drops the scratch schema or database now.
    ///
    /// # Errors
    ///
    /// The server's error when it cannot be dropped, on this connection or a new one.
    pub fn close(mut self) -> Result<()> {
        self.remove()
    }

    fn remove(&mut self) -> Result<()> {
        let (Some(name), Some(url)) = (self.name.take(), self.server.as_ref()) else {
            return Ok(());
        };
        let backend = self.conn.backend();
        let quoted = backend.quote(&name);
        let drop = match backend {
            Backend::Postgres => format!("DROP SCHEMA IF EXISTS {quoted} CASCADE"),
            _ => format!("DROP DATABASE IF EXISTS {quoted}"),
        };
        if self.conn.batch_execute(&drop).is_ok() {
            return Ok(());
        }
        // This connection may be lost or (PostgreSQL) inside a failed transaction.
        Connection::establish_url(url)
            .and_then(|mut c| c.batch_execute(&drop))
            .map_err(|e| Error::Usage {
                message: format!(
                    "cannot drop the scratch {} `{name}` ({e}); drop it by hand",
                    if backend == Backend::Postgres {
                        "schema"
                    } else {
                        "database"
                    }
                ),
            })
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Err(e) = self.remove() {
            tracing::warn!(target: "orm::migrate", "{e}");
        }
    }
}

impl fmt::Debug for ScratchDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScratchDb")
            .field("backend", &self.conn.backend())
            .field("name", &self.name)
            .finish()
    }
}

/// `<prefix>_<pid>_<counter>_<nanos>`: a name unique across threads and processes sharing
/// a server, and a plain identifier on every backend when `prefix` is one (letters,
/// digits and `_`). Scratch databases are named so; so are the test databases of orm's
/// own test suite.
///
/// ```
/// let (a, b) = (orm_exec::replay::unique_name("orm_t"), orm_exec::replay::unique_name("orm_t"));
/// assert!(a.starts_with("orm_t_") && a != b);
/// ```
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// What [`MigrationDir::make`] did for one backend.
#[derive(Debug, Clone, PartialEq)]
pub struct Made {
    /// The backend.
    pub backend: Backend,
    /// The operations its new migration holds (empty when the change shows on other
    /// backends only, or nothing changed).
    pub operations: Vec<Operation>,
    /// The migration written; `None` when no backend needed one.
    pub migration: Option<Migration>,
}

/// A difference [`MigrationDir::check`] found.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Drift {
    /// The models differ from what the backend's migrations make: a new migration is
    /// needed.
    Models {
        /// The backend.
        backend: Backend,
        /// The operations a new migration would hold.
        operations: Vec<Operation>,
    },
    /// The backend's directory lacks migrations another backend's directory holds.
    OutOfStep {
        /// The backend.
        backend: Backend,
        /// The missing migrations, by the directory names the others give them.
        missing: Vec<String>,
    },
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Models {
                backend,
                operations,
            } => {
                let list: Vec<String> = operations.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "{backend}: the models differ from the migrations, a new migration would: {}",
                    list.join("; ")
                )
            }
            Drift::OutOfStep { backend, missing } => write!(
                f,
                "{backend}: the directory lacks migrations other backends have: {}",
                missing.join(", ")
            ),
        }
    }
}

impl MigrationDir {
    /// The schema `scratch`'s backend's migrations make: each applied in order to a new
    /// scratch database (see [`Scratch`]), which is read back and dropped.
    ///
    /// # Errors
    ///
    /// [`Error::MigrationFailed`] naming a migration whose script fails;
    /// [`Error::Migrate`] for a directory that is not a migration; the scratch
    /// database's errors ([`Scratch::open`]).
    pub fn replay(&self, scratch: &Scratch) -> Result<Schema> {
        self.replayed(scratch).map(|(schema, _)| schema)
    }

    /// The operations that take what `scratch`'s backend's migrations make to the
    /// schema `models` describe; empty when the files match the models.
    ///
    /// # Errors
    ///
    /// As [`MigrationDir::replay`]; [`Error::Schema`] or [`Error::Migrate`] for models
    /// orm cannot describe or diff, as [`ManageSchema::plan_migration`](crate::ManageSchema::plan_migration).
    pub fn plan(&self, scratch: &Scratch, models: &[&'static ModelMeta]) -> Result<Vec<Operation>> {
        let (schema, _) = self.replayed(scratch)?;
        diff_models(&schema, models, scratch.backend)
    }

    /// Makes a new migration named `name` of every backend of `scratches` from the
    /// files alone: each backend's migrations replayed, diffed against `models`, and,
    /// when any backend needs a change, one migration of the same version written to
    /// each (one without operations where the change shows on other backends only, so
    /// the directories stay in step). Nothing is written unless every backend's replay
    /// and scripts succeed. One [`Made`] per scratch, in their order.
    ///
    /// A replay holds no rows, so a NOT NULL column without a default is not refused
    /// here as [`ManageSchema::make_migration`](crate::ManageSchema::make_migration) refuses it on a live database; applying
    /// such a migration fails on a table with rows.
    ///
    /// # Errors
    ///
    /// [`MigrateError::OutOfStep`] when the directories already are;
    /// [`MigrateError::NoScratch`] when a backend's directory holds migrations and
    /// `scratches` has none of its backend; [`MigrateError::DataLoss`] (each operation
    /// prefixed by its backend) when `data_loss` refuses it; [`Error::Usage`] for two
    /// scratches of one backend; otherwise as [`MigrationDir::replay`] and
    /// [`MigrationDir::write`].
    pub fn make(
        &self,
        scratches: &[Scratch],
        name: &str,
        models: &[&'static ModelMeta],
        data_loss: DataLoss,
    ) -> Result<Vec<Made>> {
        check_name(&self.path(Backend::Sqlite), name)?;
        distinct(scratches)?;
        if let Some(Drift::OutOfStep { backend, missing }) = self.out_of_step()?.into_iter().next()
        {
            return Err(MigrateError::OutOfStep { backend, missing }.into());
        }
        for backend in Backend::ALL {
            if !self.read(backend)?.is_empty() && !scratches.iter().any(|s| s.backend == backend) {
                return Err(MigrateError::NoScratch {
                    backend,
                    dir: self.path(backend).display().to_string(),
                }
                .into());
            }
        }
        let mut planned: Vec<(Backend, Vec<Operation>, MysqlFlavor)> = Vec::new();
        for scratch in scratches {
            let (schema, flavor) = self.replayed(scratch)?;
            let operations = diff_models(&schema, models, scratch.backend)?;
            planned.push((scratch.backend, operations, flavor));
        }
        if planned.iter().all(|(_, ops, _)| ops.is_empty()) {
            return Ok(planned
                .into_iter()
                .map(|(backend, operations, _)| Made {
                    backend,
                    operations,
                    migration: None,
                })
                .collect());
        }
        let losing: Vec<String> = planned
            .iter()
            .flat_map(|(backend, ops, _)| {
                ops.iter()
                    .filter(|op| op.drops_data())
                    .map(move |op| format!("{backend}: {op}"))
            })
            .collect();
        if !losing.is_empty() && data_loss == DataLoss::Refuse {
            return Err(MigrateError::DataLoss { operations: losing }.into());
        }
        // Every script is rendered before the first file is written.
        let mut scripts = Vec::new();
        for (backend, ops, flavor) in &planned {
            scripts.push(migrate::scripts(ops, *backend, *flavor)?);
        }
        let stamp = self.next_stamp(&Backend::ALL)?;
        let mut made = Vec::new();
        for ((backend, operations, _), scripts) in planned.into_iter().zip(scripts) {
            let migration = self.write_at(backend, &stamp, name, &scripts)?;
            made.push(Made {
                backend,
                operations,
                migration: Some(migration),
            });
        }
        Ok(made)
    }

    /// How the files differ from `models` and from each other: for each backend of
    /// `scratches`, the operations a new migration would hold (its migrations
    /// replayed); for every backend directory that exists, the migrations it lacks
    /// that another backend's holds. Empty when everything matches.
    ///
    /// # Errors
    ///
    /// As [`MigrationDir::plan`], for the first backend whose replay fails.
    pub fn check(
        &self,
        scratches: &[Scratch],
        models: &[&'static ModelMeta],
    ) -> Result<Vec<Drift>> {
        distinct(scratches)?;
        let mut drifts = self.out_of_step()?;
        for scratch in scratches {
            let operations = self.plan(scratch, models)?;
            if !operations.is_empty() {
                drifts.push(Drift::Models {
                    backend: scratch.backend,
                    operations,
                });
            }
        }
        Ok(drifts)
    }

    /// Runs `work` on a copy of this directory on tokio's blocking threads, for async
    /// code: [`MigrationDir::make`], [`MigrationDir::check`] and the rest take blocking
    /// connections of their own to the scratch databases, so an async caller hands them
    /// here instead of blocking its runtime's worker. `work` owns what it uses (clone the
    /// scratches and models into it). A panic in `work` goes on in the caller. Needs a
    /// tokio runtime.
    ///
    /// ```
    /// # use orm_exec::{DataLoss, MigrationDir, Scratch};
    /// # let root = std::env::temp_dir().join(format!("orm_off_thread_doc_{}", std::process::id()));
    /// let dir = MigrationDir::new(&root);
    /// let scratches = vec![Scratch::sqlite()];
    /// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let drifts = runtime
    ///     .block_on(dir.off_thread(move |dir| dir.check(&scratches, &[])))
    ///     .unwrap();
    /// assert!(drifts.is_empty());
    /// # std::fs::remove_dir_all(&root).ok();
    /// ```
    ///
    /// # Errors
    ///
    /// `work`'s own; [`Error::Usage`] if the runtime cancelled the task.
    pub async fn off_thread<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&MigrationDir) -> Result<T> + Send + 'static,
    {
        let dir = self.clone();
        match tokio::task::spawn_blocking(move || work(&dir)).await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(Error::Usage {
                message: format!("the migration task was cancelled: {e}"),
            }),
        }
    }

    /// The backend directories that lack a version another backend's directory holds
    /// (among the backends whose directory exists).
    fn out_of_step(&self) -> Result<Vec<Drift>> {
        let mut present: Vec<(Backend, Vec<Migration>)> = Vec::new();
        for backend in Backend::ALL {
            if self.path(backend).is_dir() {
                present.push((backend, self.read(backend)?));
            }
        }
        // Every version some directory holds, with the name it has there.
        let mut all: Vec<&Migration> = Vec::new();
        for (_, migrations) in &present {
            for m in migrations {
                if !all.iter().any(|a| a.version == m.version) {
                    all.push(m);
                }
            }
        }
        all.sort_by(|a, b| version_order(&a.version, &b.version));
        let mut drifts = Vec::new();
        for (backend, own) in &present {
            let missing: Vec<String> = all
                .iter()
                .filter(|m| !own.iter().any(|o| o.version == m.version))
                .map(|m| m.name.clone())
                .collect();
            if !missing.is_empty() {
                drifts.push(Drift::OutOfStep {
                    backend: *backend,
                    missing,
                });
            }
        }
        Ok(drifts)
    }

    /// The schema `scratch`'s backend's migrations make, and the MySQL flavor of its
    /// server; the scratch database is dropped on every path.
    fn replayed(&self, scratch: &Scratch) -> Result<(Schema, MysqlFlavor)> {
        let mut db = scratch.open()?;
        let outcome = crate::dispatch!(db.connection(), c => run_now(Migrate(c).replay(self)));
        let closed = db.close();
        match (outcome, closed) {
            (Ok(done), Ok(())) => Ok(done),
            (Err(e), Ok(())) | (Ok(_), Err(e)) => Err(e),
            (Err(e), Err(left)) => {
                // The replay's error is the one returned; the scratch left is said here.
                tracing::warn!(target: "orm::migrate", "{left}");
                Err(e)
            }
        }
    }
}

/// The operations from `schema` to `models` on `backend`.
fn diff_models(
    schema: &Schema,
    models: &[&'static ModelMeta],
    backend: Backend,
) -> Result<Vec<Operation>> {
    let target = migrate::describe(models, backend)?;
    Ok(migrate::diff(schema, &target, backend)?)
}

/// An error when two scratches replay one backend.
fn distinct(scratches: &[Scratch]) -> Result<()> {
    for (i, s) in scratches.iter().enumerate() {
        if scratches[..i].iter().any(|t| t.backend == s.backend) {
            return Err(Error::Usage {
                message: format!("two scratch databases were given for {}", s.backend),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_names_are_unique_plain_identifiers() {
        let (a, b) = (unique_name("orm_scratch"), unique_name("orm_scratch"));
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("orm_scratch_{}_", std::process::id())));
        assert!(a.len() <= 64);
        assert!(Scratch::sqlite().with_prefix("ok_1").is_ok());
        for bad in ["", "1x", "a-b", "a b", &"x".repeat(31)] {
            assert!(Scratch::sqlite().with_prefix(bad).is_err(), "{bad}");
        }
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn a_scratch_shows_no_password() {
        let s = Scratch::server("postgres://app:s3cret@db/prod").unwrap();
        assert_eq!(s.backend(), Backend::Postgres);
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn a_sqlite_url_gives_memory() {
        let s = Scratch::server("sqlite://never-opened.db").unwrap();
        assert_eq!(s.backend(), Backend::Sqlite);
        let mut db = s.open().unwrap();
        assert_eq!(db.name(), None);
        db.connection()
            .batch_execute("CREATE TABLE t (id INTEGER)")
            .unwrap();
        db.close().unwrap();
        assert!(!std::path::Path::new("never-opened.db").exists());
    }
}
