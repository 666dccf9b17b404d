//! The workspace's test harness, shared by the root test suite (`tests/support`, which
//! orm-exec's integration tests include too) and by `examples/todo-api`'s HTTP tests: an
//! isolated database per test on every backend ([`TestDb`]) and the environment variables
//! that name the servers. Not published.
//!
//! - SQLite: a fresh file in the system temp directory, deleted (with `-wal`, `-shm`,
//!   `-journal`) on drop.
//! - PostgreSQL (`PG_DATABASE_URL`): a fresh schema `orm_t_<pid>_<n>_<nanos>`; the test's
//!   URL carries `options=-csearch_path%3D<schema>`, so every connection made from it,
//!   blocking or pooled, lands in that schema. Dropped with CASCADE on drop.
//! - MySQL/MariaDB (`MYSQL_DATABASE_URL`, a `mysql://` URL: diesel's MySQL backend): a
//!   fresh database of the same form, named in the test's URL path, dropped on drop.
//! - MariaDB through diesel's MariaDB backend (`MARIADB_DATABASE_URL`, a `mariadb://` URL;
//!   [`TestDb::mariadb`]): the same, on that server.
//!
//! Without its URL a server backend's test database is `None` after printing `skipped: …
//! not set`, unless `ORM_REQUIRE_ALL_BACKENDS=1`, when a missing URL panics (CI sets it).

use std::path::PathBuf;

pub use orm_exec::{Backend, Connection};

/// The variable naming the PostgreSQL server for tests.
pub const PG_URL_VAR: &str = "PG_DATABASE_URL";
/// The variable naming the MySQL/MariaDB server for tests.
pub const MYSQL_URL_VAR: &str = "MYSQL_DATABASE_URL";
/// The variable naming the MariaDB server for tests of diesel's MariaDB backend (a
/// `mariadb://` URL).
pub const MARIADB_URL_VAR: &str = "MARIADB_DATABASE_URL";
/// Set to `1` to make a missing server URL a test failure instead of a skip.
pub const REQUIRE_ALL_VAR: &str = "ORM_REQUIRE_ALL_BACKENDS";

/// The server URL for `backend` from the environment, `None` (after printing a skip line)
/// when unset, or a panic when unset and `ORM_REQUIRE_ALL_BACKENDS=1`. Always `None` for
/// SQLite, which needs no server.
pub fn server_url(backend: Backend) -> Option<String> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => url_from(PG_URL_VAR),
        Backend::Mysql => url_from(MYSQL_URL_VAR),
    }
}

/// The URL in variable `var`, as [`server_url`] reads it.
pub fn url_from(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ if require_all_backends() => {
            panic!("{var} is not set, but {REQUIRE_ALL_VAR}=1 requires every backend")
        }
        _ => {
            println!("skipped: {var} not set");
            None
        }
    }
}

/// Whether `ORM_REQUIRE_ALL_BACKENDS=1`.
pub fn require_all_backends() -> bool {
    std::env::var(REQUIRE_ALL_VAR).is_ok_and(|v| v.trim() == "1")
}

/// An isolated database for one test; everything it created is removed on drop.
pub struct TestDb {
    /// The URL every connection of this test should use.
    pub url: String,
    /// The backend.
    pub backend: Backend,
    /// The SQLite file name, PostgreSQL schema or MySQL database name.
    pub name: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PgSchema { admin_url: String },
    MysqlDatabase { admin_url: String },
}

impl TestDb {
    /// A fresh database on `backend`, or `None` when the backend's server URL is not set
    /// (see [`server_url`]).
    pub fn new(backend: Backend) -> Option<TestDb> {
        let name = unique_name();
        let db = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                TestDb {
                    url: format!("sqlite://{}", path.display()),
                    backend,
                    name,
                    cleanup: Cleanup::SqliteFile(path),
                }
            }
            Backend::Postgres => {
                let admin_url = server_url(backend)?;
                let mut admin = connect_admin(&admin_url);
                admin
                    .batch_execute(&format!("CREATE SCHEMA {}", backend.quote(&name)))
                    .unwrap_or_else(|e| panic!("cannot create schema {name}: {e}"));
                let sep = if admin_url.contains('?') { '&' } else { '?' };
                TestDb {
                    url: format!("{admin_url}{sep}options=-csearch_path%3D{name}"),
                    backend,
                    name,
                    cleanup: Cleanup::PgSchema { admin_url },
                }
            }
            Backend::Mysql => Self::mysql_database(server_url(backend)?, name),
        };
        Some(db)
    }

    /// A fresh database on the MariaDB server `MARIADB_DATABASE_URL` names, reached through
    /// diesel's MariaDB backend (a `mariadb://` URL), or `None` when the variable is not set
    /// (see [`server_url`]). Its [`TestDb::backend`] is [`Backend::Mysql`], the dialect.
    pub fn mariadb() -> Option<TestDb> {
        Some(Self::mysql_database(
            url_from(MARIADB_URL_VAR)?,
            unique_name(),
        ))
    }

    /// A fresh database `name` on the MySQL/MariaDB server of `admin_url`.
    fn mysql_database(admin_url: String, name: String) -> TestDb {
        let backend = Backend::Mysql;
        let mut admin = connect_admin(&admin_url);
        admin
            .batch_execute(&format!("CREATE DATABASE {}", backend.quote(&name)))
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        TestDb {
            url: with_database(&admin_url, &name),
            backend,
            name,
            cleanup: Cleanup::MysqlDatabase { admin_url },
        }
    }

    /// A new connection to this test's database (panics on failure).
    pub fn connect(&self) -> Connection {
        Connection::establish(&self.url)
            .unwrap_or_else(|e| panic!("cannot connect to the {} test database: {e}", self.backend))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let outcome = match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
                Ok(())
            }
            Cleanup::PgSchema { admin_url } => {
                Connection::establish(admin_url).and_then(|mut c| {
                    c.batch_execute(&format!(
                        "SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS {} CASCADE",
                        self.backend.quote(&self.name)
                    ))
                })
            }
            Cleanup::MysqlDatabase { admin_url } => {
                Connection::establish(admin_url).and_then(|mut c| {
                    c.batch_execute(&format!(
                        "SET SESSION lock_wait_timeout = 10; DROP DATABASE IF EXISTS {}",
                        self.backend.quote(&self.name)
                    ))
                })
            }
        };
        if let Err(e) = outcome {
            eprintln!("warning: cannot remove test database {}: {e}", self.name);
        }
    }
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("backend", &self.backend)
            .field("name", &self.name)
            .finish()
    }
}

/// `orm_t_<pid>_<counter>_<nanos>`: unique across parallel tests and test processes, and a
/// valid unquoted identifier on every backend.
pub fn unique_name() -> String {
    orm_exec::replay::unique_name("orm_t")
}

fn connect_admin(url: &str) -> Connection {
    Connection::establish(url).unwrap_or_else(|e| panic!("cannot connect to the test server: {e}"))
}

/// `url` with its path (the database name) replaced by `database`, its query kept.
pub fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a server URL has ://");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.find('?').map_or("", |i| &tail[i..]);
    format!("{scheme}://{authority}/{database}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_replaces_the_path_and_keeps_the_query() {
        assert_eq!(
            with_database("mysql://root@127.0.0.1:3306/test", "orm_t_1"),
            "mysql://root@127.0.0.1:3306/orm_t_1"
        );
        assert_eq!(
            with_database("mysql://root@h:3306/test?ssl-mode=DISABLED", "x"),
            "mysql://root@h:3306/x?ssl-mode=DISABLED"
        );
        assert_eq!(
            with_database("mysql://root@h?a=1", "x"),
            "mysql://root@h/x?a=1"
        );
        assert_eq!(with_database("mysql://root@h", "x"), "mysql://root@h/x");
    }

    #[test]
    fn unique_names_differ_and_are_plain_identifiers() {
        let (a, b) = (unique_name(), unique_name());
        assert_ne!(a, b);
        assert!(a.starts_with("orm_t_"));
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }
}
