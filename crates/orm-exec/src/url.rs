//! Database URLs: which backend a URL names, where it points, and the exact string its
//! driver receives.
//!
//! | URL | backend | target |
//! |---|---|---|
//! | `sqlite://data/app.db` | SQLite | the file `data/app.db` (relative to the working directory) |
//! | `sqlite:///var/lib/app.db` | SQLite | the file `/var/lib/app.db` |
//! | `sqlite::memory:`, `sqlite://:memory:` | SQLite | a private in-memory database |
//! | `postgres://…`, `postgresql://…` | PostgreSQL | a server |
//! | `mysql://…`, `mariadb://…` | MySQL / MariaDB | a server (`mariadb://` is handed to the driver as `mysql://`) |
//!
//! Every form accepts `connect_timeout=<seconds>` in its query string (default 10; `0`
//! waits without limit), and two settings of an async pool ([`crate::Database`]):
//! `max_connections=<n>` and `acquire_timeout=<seconds>` (decimals allowed; how long
//! `Database::get` waits for a free connection). orm removes all three before the driver
//! sees the URL; a blocking connection ignores the pool settings. Other query parameters go
//! to the driver unchanged: SQLite URI parameters such as `mode=ro`, tokio-postgres
//! parameters such as `options=…`, mysql_async parameters such as `require_ssl=true`.
//!
//! Passwords never leave this module in clear: [`DatabaseUrl`]'s `Debug` and `Display`, and
//! every error built from a URL, show it as `***` (see [`redact`]).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use orm_schema::Backend;

use crate::error::{Error, Result};

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
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    target: Target,
    driver_url: String,
    connect_timeout: Option<Duration>,
    max_connections: Option<usize>,
    acquire_timeout: Option<Duration>,
    redacted: String,
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

impl DatabaseUrl {
    /// Parses and checks a database URL.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidUrl`] when the URL is empty, has no scheme, or is malformed for its
    ///   backend (the message shows the URL with its password redacted);
    /// - [`Error::UnsupportedBackend`] when the scheme names no backend orm knows, or one
    ///   whose cargo feature is not enabled.
    pub fn parse(url: &str) -> Result<DatabaseUrl> {
        let url = url.trim();
        let redacted = redact(url);
        let invalid = |reason: &str| Error::InvalidUrl {
            url_redacted: redacted.clone(),
            reason: reason.to_owned(),
        };
        if url.is_empty() {
            return Err(invalid("the database URL is empty"));
        }
        let Some((scheme, rest)) = split_scheme(url) else {
            return Err(invalid(
                "missing scheme: expected sqlite://, postgres://, postgresql://, mysql:// or mariadb://",
            ));
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

        let (body, query) = match rest.split_once('?') {
            Some((body, query)) => (body, Some(query)),
            None => (rest, None),
        };
        let mut params: Vec<(&str, &str)> = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .collect();
        let connect_timeout =
            match take_param(&mut params, "connect_timeout") {
                None => Some(DEFAULT_CONNECT_TIMEOUT),
                Some(raw) => match raw.trim().parse::<u64>() {
                    Ok(0) => None,
                    Ok(secs) => Some(Duration::from_secs(secs)),
                    Err(_) => return Err(invalid(
                        "connect_timeout must be a whole number of seconds (0 waits without limit)",
                    )),
                },
            };
        let (max_connections, acquire_timeout) = take_pool_params(&mut params).map_err(&invalid)?;

        let (target, driver_url) = match backend {
            Backend::Sqlite => sqlite_target(body, &params).map_err(|r| invalid(&r))?,
            Backend::Postgres => {
                if !body.starts_with("//") {
                    return Err(invalid(
                        "expected postgres://[user[:password]@]host[:port]/database",
                    ));
                }
                // tokio-postgres applies connect_timeout to each socket connect; the
                // establish call is bounded as a whole as well.
                let secs = connect_timeout.map_or(0, |d| d.as_secs());
                let mut driver = format!("{scheme}:{body}");
                push_query(&mut driver, &params);
                driver.push(if params.is_empty() { '?' } else { '&' });
                driver.push_str(&format!("connect_timeout={secs}"));
                (Target::Server, driver)
            }
            Backend::Mysql => {
                if !body.starts_with("//") {
                    return Err(invalid(
                        "expected mysql://[user[:password]@]host[:port]/database",
                    ));
                }
                // mysql_async refuses unknown parameters, and has no connect timeout of its
                // own: orm strips `connect_timeout` and bounds the establish call itself.
                let mut driver = format!("mysql:{body}");
                push_query(&mut driver, &params);
                (Target::Server, driver)
            }
        };
        Ok(DatabaseUrl {
            backend,
            target,
            driver_url,
            connect_timeout,
            max_connections,
            acquire_timeout,
            redacted,
        })
    }

    /// The backend the URL names.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where the URL points.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The string the driver receives (for SQLite, a file name or a `file:` URI). It may
    /// hold a password: never log it; use [`DatabaseUrl::redacted`].
    pub fn driver_url(&self) -> &str {
        &self.driver_url
    }

    /// How long establishing a connection may take, or `None` for no limit
    /// (`connect_timeout=0`).
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
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

    /// The URL as given, with any password replaced by `***`.
    pub fn redacted(&self) -> &str {
        &self.redacted
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
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("backend", &self.backend)
            .field("target", &self.target)
            .field("url", &self.redacted)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// Returns `url` with the password of its user-info part (`user:password@`) and the value of
/// any `password=` parameter replaced by `***`. Safe to call on any text.
///
/// ```
/// assert_eq!(
///     orm_exec::url::redact("postgres://app:s3cret@db/prod"),
///     "postgres://app:***@db/prod"
/// );
/// ```
pub fn redact(url: &str) -> String {
    let (prefix, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(prefix);
    let authority_end = if prefix.is_empty() {
        0
    } else {
        rest.find(['/', '?', '#']).unwrap_or(rest.len())
    };
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => {
            let (userinfo, host) = authority.split_at(at);
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            out.push_str(host);
        }
        None => out.push_str(authority),
    }
    out.push_str(&redact_password_params(tail));
    out
}

/// Replaces the value of every `password=` key (any case, in a query string or a
/// `key=value` connection string) with `***`.
fn redact_password_params(text: &str) -> String {
    const KEY: &str = "password=";
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(found) = lower[pos..].find(KEY) {
        let value_start = pos + found + KEY.len();
        let at_key_start = pos + found == 0
            || matches!(
                text.as_bytes()[pos + found - 1],
                b'?' | b'&' | b' ' | b'\t' | b';'
            );
        out.push_str(&text[pos..value_start]);
        let value_end = text[value_start..]
            .find(['&', ' ', '\t', ';', '#'])
            .map_or(text.len(), |i| value_start + i);
        if at_key_start {
            out.push_str("***");
        } else {
            out.push_str(&text[value_start..value_end]);
        }
        pos = value_end;
    }
    out.push_str(&text[pos..]);
    out
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

/// Removes every `key=value` pair with this key and returns the last value.
fn take_param<'a>(params: &mut Vec<(&'a str, &'a str)>, key: &str) -> Option<&'a str> {
    let mut found = None;
    params.retain(|(k, v)| {
        if k.eq_ignore_ascii_case(key) {
            found = Some(*v);
            false
        } else {
            true
        }
    });
    found
}

/// Removes the pool settings `max_connections` and `acquire_timeout` from the parameters.
fn take_pool_params<'a>(
    params: &mut Vec<(&'a str, &'a str)>,
) -> std::result::Result<(Option<usize>, Option<Duration>), &'static str> {
    let max_connections = match take_param(params, "max_connections") {
        None => None,
        Some(raw) => match raw.trim().parse::<usize>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err("max_connections must be a whole number of at least 1"),
        },
    };
    let acquire_timeout = match take_param(params, "acquire_timeout") {
        None => None,
        Some(raw) => match raw.trim().parse::<f64>().map(Duration::try_from_secs_f64) {
            Ok(Ok(limit)) => Some(limit),
            _ => return Err("acquire_timeout must be a number of seconds, such as 30 or 0.5"),
        },
    };
    Ok((max_connections, acquire_timeout))
}

/// Appends `?k=v&k=v` (nothing when empty), keeping each pair as written.
fn push_query(out: &mut String, params: &[(&str, &str)]) {
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
    params: &[(&str, &str)],
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
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape at byte {i} of the path"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the decoded path is not valid UTF-8".to_owned())
}

#[cfg(test)]
mod tests;
