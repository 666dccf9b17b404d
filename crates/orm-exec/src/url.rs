//! Database URLs: which backend a URL names, where it points, and the settings its
//! driver receives.
//!
//! | URL | backend | target |
//! |---|---|---|
//! | `sqlite://data/app.db` | SQLite | the file `data/app.db` (relative to the working directory) |
//! | `sqlite:///var/lib/app.db` | SQLite | the file `/var/lib/app.db` |
//! | `sqlite::memory:`, `sqlite://:memory:` | SQLite | a private in-memory database |
//! | `postgres://…`, `postgresql://…` | PostgreSQL | a server |
//! | `mysql://…`, `mariadb://…` | MySQL / MariaDB | a server |
//!
//! Every form accepts `connect_timeout=<seconds>` in its query string (default 10; `0`
//! waits without limit), and two settings of an async pool ([`crate::Database`]):
//! `max_connections=<n>` and `acquire_timeout=<seconds>` (decimals allowed; how long
//! `Database::get` waits for a free connection). orm removes all three before the driver
//! sees the settings; a blocking connection ignores the pool settings. A server URL's TLS
//! settings are read by orm too ([`TlsOptions`]: PostgreSQL `sslmode`, `sslrootcert`;
//! MySQL `ssl-mode`, `ssl-ca`). Other query parameters go to the driver: SQLite URI
//! parameters such as `mode=ro`, tokio-postgres parameters such as `application_name=…`,
//! mysql_async parameters such as `tcp_keepalive=…` (not `stmt_cache_size`: orm keeps the
//! driver's statement cache off, as diesel-async caches statements itself). A SQLite URL
//! may also set `journal_mode` (default `WAL` for a writable file) and `synchronous`
//! (default SQLite's), which orm runs as pragmas on each new connection
//! ([`SqlitePragmas`]).
//!
//! A server URL is held as typed options ([`ServerOptions`]) with the password in its own
//! [`Password`] field, whose `Debug` and `Display` print `***`; the drivers' settings are
//! built field by field from them. So [`DatabaseUrl`]'s `Debug` and `Display`, and every
//! error, show the password as `***` by construction, whatever characters it holds. A URL
//! that cannot be split with certainty (an unencoded `@`, `/`, `?` or `#` in a password) is
//! an [`Error::InvalidUrl`] that shows only its scheme.

mod password;
mod server;
mod sqlite;
mod tls;

pub use sqlite::SqlitePragmas;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use orm_schema::Backend;

use crate::error::{Error, Result};

pub use password::Password;
pub use server::{Host, ServerOptions};
pub use tls::{TlsMode, TlsOptions};

/// How long establishing a connection may take when the URL does not say
/// (`connect_timeout=<seconds>`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed, checked database URL.
///
/// ```
/// use orm_exec::url::{DatabaseUrl, Target};
///
/// # #[cfg(feature = "sqlite")] {
/// let url: DatabaseUrl = "sqlite::memory:".parse().unwrap();
/// assert_eq!(url.backend(), orm_exec::Backend::Sqlite);
/// assert_eq!(url.target(), &Target::Memory);
/// # }
/// # #[cfg(feature = "postgres")] {
/// let url: DatabaseUrl = "postgres://app:s3cret@db/prod".parse().unwrap();
/// assert_eq!(url.to_string(), "postgres://app:***@db/prod");
/// assert_eq!(url.server().unwrap().password().unwrap().expose(), "s3cret");
/// # }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    /// `mariadb://`: diesel's MariaDB backend (see [`DatabaseUrl::mariadb`]).
    mariadb: bool,
    target: Target,
    sqlite: Option<String>,
    sqlite_pragmas: SqlitePragmas,
    server: Option<ServerOptions>,
    connect_timeout: Option<Duration>,
    max_connections: Option<usize>,
    acquire_timeout: Option<Duration>,
    masked: String,
}

/// Where a [`DatabaseUrl`] points.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// A SQLite in-memory database, private to the connection that opens it.
    Memory,
    /// A SQLite database file (created when missing).
    File(PathBuf),
    /// A PostgreSQL or MySQL/MariaDB server.
    Server,
}

/// The settings orm reads from every URL's query string.
#[derive(Debug, Default)]
struct Own {
    connect_timeout: Option<Duration>,
    max_connections: Option<usize>,
    acquire_timeout: Option<Duration>,
}

impl DatabaseUrl {
    /// Parses and checks a database URL.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidUrl`] when the URL is empty, has no scheme, or is malformed for its
    ///   backend (the message shows the URL with its password as `***`, or only its scheme
    ///   when the password's place is unclear);
    /// - [`Error::InvalidParameter`] when a TLS parameter has an unknown value;
    /// - [`Error::UnsupportedBackend`] when the scheme names no backend orm knows, or one
    ///   whose cargo feature is not enabled.
    pub fn parse(url: &str) -> Result<DatabaseUrl> {
        let url = url.trim();
        if url.is_empty() {
            return Err(Error::InvalidUrl {
                url_redacted: String::new(),
                reason: "the database URL is empty".to_owned(),
            });
        }
        let Some((scheme, rest)) = split_scheme(url) else {
            return Err(Error::InvalidUrl {
                url_redacted: "(not shown)".to_owned(),
                reason: "missing scheme: expected sqlite://, postgres://, postgresql://, \
                         mysql:// or mariadb://"
                    .to_owned(),
            });
        };
        let scheme = scheme.to_ascii_lowercase();
        let backend =
            match scheme.as_str() {
                "sqlite" | "sqlite3" => Backend::Sqlite,
                "postgres" | "postgresql" => Backend::Postgres,
                "mysql" | "mariadb" => Backend::Mysql,
                _ => return Err(Error::UnsupportedBackend {
                    reason:
                        "orm speaks sqlite://, postgres://, postgresql://, mysql:// and mariadb://"
                            .to_owned(),
                    scheme,
                }),
            };
        ensure_enabled(backend, &scheme)?;
        match backend {
            Backend::Sqlite => Self::parse_sqlite(url, rest),
            _ => Self::parse_server(backend, &scheme, rest),
        }
    }

    fn parse_sqlite(url: &str, rest: &str) -> Result<DatabaseUrl> {
        // A SQLite URL holds no password: it is shown as written.
        let invalid = |reason: String| Error::InvalidUrl {
            url_redacted: url.to_owned(),
            reason,
        };
        let (body, query) = match rest.split_once('?') {
            Some((body, query)) => (body, Some(query)),
            None => (rest, None),
        };
        let mut params: Vec<(String, String)> = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let own = take_own(&mut params).map_err(invalid)?;
        let sqlite_pragmas = SqlitePragmas::take(&mut params).map_err(|(parameter, reason)| {
            Error::InvalidParameter {
                parameter: parameter.to_owned(),
                url_redacted: url.to_owned(),
                reason,
            }
        })?;
        let (target, driver) = sqlite_target(body, &params).map_err(invalid)?;
        Ok(DatabaseUrl {
            backend: Backend::Sqlite,
            mariadb: false,
            target,
            sqlite: Some(driver),
            sqlite_pragmas,
            server: None,
            connect_timeout: own.connect_timeout,
            max_connections: own.max_connections,
            acquire_timeout: own.acquire_timeout,
            masked: url.to_owned(),
        })
    }

    fn parse_server(backend: Backend, scheme: &str, rest: &str) -> Result<DatabaseUrl> {
        let Some(rest) = rest.strip_prefix("//") else {
            return Err(Error::InvalidUrl {
                url_redacted: format!("{scheme}:(not shown)"),
                reason: format!("expected {scheme}://[user[:password]@]host[:port]/database"),
            });
        };
        let mut own = Own::default();
        let parsed = server::parse(backend, scheme, rest, |params| {
            own = take_own(params)?;
            Ok(())
        });
        let parsed = parsed.map_err(|problem| match problem {
            server::Problem::Ambiguous(reason) => Error::InvalidUrl {
                url_redacted: format!("{scheme}://(not shown)"),
                reason: reason.to_owned(),
            },
            server::Problem::Malformed(reason, url_redacted) => Error::InvalidUrl {
                url_redacted,
                reason,
            },
            server::Problem::Parameter(bad, url_redacted) => Error::InvalidParameter {
                parameter: bad.parameter.to_owned(),
                url_redacted,
                reason: bad.reason,
            },
        })?;
        Ok(DatabaseUrl {
            backend,
            mariadb: scheme == "mariadb",
            target: Target::Server,
            sqlite: None,
            sqlite_pragmas: SqlitePragmas::default(),
            server: Some(parsed.options),
            connect_timeout: own.connect_timeout,
            max_connections: own.max_connections,
            acquire_timeout: own.acquire_timeout,
            masked: parsed.masked,
        })
    }

    /// The backend the URL names.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the URL is `mariadb://`, which opens the connection with diesel's MariaDB
    /// backend (MariaDB 10.5 or later: inserts get their rows back with `RETURNING`, one
    /// statement per chunk). `mysql://` uses diesel's MySQL backend, which speaks to MySQL 8
    /// and to MariaDB alike and reads an inserted row's key with `LAST_INSERT_ID()`. Both
    /// are [`Backend::Mysql`]: the same SQL dialect, DDL and error codes.
    ///
    /// ```
    /// # #[cfg(feature = "mysql")] {
    /// use orm_exec::DatabaseUrl;
    /// assert!(DatabaseUrl::parse("mariadb://root@localhost/test").unwrap().mariadb());
    /// assert!(!DatabaseUrl::parse("mysql://root@localhost/test").unwrap().mariadb());
    /// # }
    /// ```
    pub fn mariadb(&self) -> bool {
        self.mariadb
    }

    /// Where the URL points.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The string diesel's SQLite connection receives (a file name or a `file:` URI);
    /// `None` for a server URL, whose driver gets [`DatabaseUrl::server`]'s options.
    pub fn sqlite_driver_url(&self) -> Option<&str> {
        self.sqlite.as_deref()
    }

    /// A SQLite URL's `journal_mode` and `synchronous` (default for a server URL).
    pub fn sqlite_pragmas(&self) -> &SqlitePragmas {
        &self.sqlite_pragmas
    }

    /// A server URL's settings (hosts, user, password, database, TLS, parameters);
    /// `None` for SQLite.
    pub fn server(&self) -> Option<&ServerOptions> {
        self.server.as_ref()
    }

    /// How long establishing a connection may take, or `None` for no limit
    /// (`connect_timeout=0`).
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }

    /// This URL with `limit` as its connect timeout (`None`: no limit), as a pool
    /// builder's setting overrides the query string's.
    pub(crate) fn with_connect_timeout(mut self, limit: Option<Duration>) -> DatabaseUrl {
        self.connect_timeout = limit;
        self
    }

    /// The pool size the URL asks for (`max_connections=<n>`), if any.
    pub fn max_connections(&self) -> Option<usize> {
        self.max_connections
    }

    /// How long a pool may make a caller wait for a free connection
    /// (`acquire_timeout=<seconds>`), if the URL says.
    pub fn acquire_timeout(&self) -> Option<Duration> {
        self.acquire_timeout
    }

    /// The URL as given, with any password replaced by `***` (built from the parsed
    /// parts, not by searching the text).
    pub fn redacted(&self) -> &str {
        &self.masked
    }
}

impl FromStr for DatabaseUrl {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        DatabaseUrl::parse(s)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("backend", &self.backend)
            .field("target", &self.target)
            .field("url", &self.masked)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// A URL string as it may be shown or logged: parsed, and printed with its password as
/// `***` ([`DatabaseUrl`]'s `Display`); a placeholder when it does not parse, since then
/// where a password ends is unknown.
///
/// ```
/// # #[cfg(feature = "mysql")]
/// assert_eq!(orm_exec::url::masked("mysql://root:s3cret@db/x"), "mysql://root:***@db/x");
/// assert_eq!(orm_exec::url::masked("nonsense"), "(invalid url, not shown)");
/// ```
pub fn masked(url: &str) -> String {
    DatabaseUrl::parse(url)
        .map_or_else(|_| "(invalid url, not shown)".to_owned(), |u| u.to_string())
}

/// A URL as the user gave it to a builder, kept as text until the builder parses it;
/// its `Debug` shows it [`masked`], so a builder printed in a log shows no password.
#[derive(Clone)]
pub(crate) struct GivenUrl(pub(crate) String);

impl fmt::Debug for GivenUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&masked(&self.0), f)
    }
}

/// Splits `scheme:rest`, where the scheme is `[A-Za-z][A-Za-z0-9+.-]*`.
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'));
    valid.then_some((scheme, rest))
}

/// Refuses a backend whose cargo feature is off, naming the feature to enable.
fn ensure_enabled(backend: Backend, scheme: &str) -> Result<()> {
    let enabled = match backend {
        Backend::Sqlite => cfg!(feature = "sqlite"),
        Backend::Postgres => cfg!(feature = "postgres"),
        Backend::Mysql => cfg!(feature = "mysql"),
    };
    if enabled {
        return Ok(());
    }
    Err(Error::UnsupportedBackend {
        scheme: scheme.to_owned(),
        reason: format!(
            "support for {backend} is not compiled in: enable the `{}` feature of orm",
            backend.name()
        ),
    })
}

/// Takes `connect_timeout`, `max_connections` and `acquire_timeout` out of `params`.
fn take_own(params: &mut Vec<(String, String)>) -> std::result::Result<Own, String> {
    let connect_timeout = match tls::take_param(params, "connect_timeout") {
        None => Some(DEFAULT_CONNECT_TIMEOUT),
        Some(raw) => match raw.trim().parse::<u64>() {
            Ok(0) => None,
            Ok(secs) => Some(Duration::from_secs(secs)),
            Err(_) => {
                return Err(
                    "connect_timeout must be a whole number of seconds (0 waits without limit)"
                        .to_owned(),
                )
            }
        },
    };
    let max_connections = match tls::take_param(params, "max_connections") {
        None => None,
        Some(raw) => match raw.trim().parse::<usize>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err("max_connections must be a whole number of at least 1".to_owned()),
        },
    };
    let acquire_timeout = match tls::take_param(params, "acquire_timeout") {
        None => None,
        Some(raw) => match raw.trim().parse::<f64>().map(Duration::try_from_secs_f64) {
            Ok(Ok(limit)) => Some(limit),
            _ => {
                return Err(
                    "acquire_timeout must be a number of seconds, such as 30 or 0.5".to_owned(),
                )
            }
        },
    };
    Ok(Own {
        connect_timeout,
        max_connections,
        acquire_timeout,
    })
}

/// Appends `?k=v&k=v` (nothing when empty), keeping each pair as written.
fn push_query(out: &mut String, params: &[(String, String)]) {
    for (i, (k, v)) in params.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
}

/// The target and driver string of a SQLite URL, given what follows `sqlite:` (without the
/// query) and the remaining query parameters (SQLite URI parameters).
fn sqlite_target(
    body: &str,
    params: &[(String, String)],
) -> std::result::Result<(Target, String), String> {
    let location = body.strip_prefix("//").unwrap_or(body);
    if location.is_empty() {
        return Err("missing database path: use sqlite://path/to/file.db, sqlite:///absolute/path.db or sqlite::memory:".to_owned());
    }
    if location == ":memory:" {
        if params.is_empty() {
            return Ok((Target::Memory, ":memory:".to_owned()));
        }
        let mut uri = "file::memory:".to_owned();
        push_query(&mut uri, params);
        return Ok((Target::Memory, uri));
    }
    let path = percent_decode(location)?;
    if params.is_empty() && !path.starts_with("file:") {
        return Ok((Target::File(PathBuf::from(&path)), path));
    }
    // With parameters, SQLite needs its URI form; encode what a URI path cannot hold.
    let mut uri = "file:".to_owned();
    for c in path.chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    push_query(&mut uri, params);
    Ok((Target::File(PathBuf::from(path)), uri))
}

/// Decodes `%XX` escapes in a URL path.
fn percent_decode(text: &str) -> std::result::Result<String, String> {
    server::decode(text).map_err(|()| {
        "bad percent escape in the path (or the decoded path is not valid UTF-8)".to_owned()
    })
}

#[cfg(test)]
mod tests;
