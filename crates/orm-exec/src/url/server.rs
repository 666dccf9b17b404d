//! The parts of a PostgreSQL or MySQL/MariaDB URL, held as typed options
//! ([`ServerOptions`]), with the password in its own [`Password`] field. The drivers'
//! configurations are built from these fields; no URL string holding a password is ever
//! made, so no driver error can echo one.
//!
//! `scheme://[user[:password]@]host[:port][,host[:port]...][/database][?key=value&...]`:
//! user, password, database, host and parameter values are percent-decoded. A URL whose
//! parts cannot be told apart for certain is refused rather than guessed at: an `@` after
//! the host part or a second `@` (an unencoded `@`, `/` or `?` in a password), or any `#`.
//! Those errors name the problem and show no part of the URL that may hold the password.

use orm_schema::Backend;

use super::password::Password;
use super::tls::{self, TlsOptions};

/// One server address of a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// A host name, an IP address (without brackets), or, on PostgreSQL, a Unix socket
    /// directory.
    pub name: String,
    /// The port, when the URL gives one.
    pub port: Option<u16>,
}

/// A server URL's settings. `Debug` shows the password as `***`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOptions {
    hosts: Vec<Host>,
    user: Option<String>,
    password: Option<Password>,
    database: Option<String>,
    tls: TlsOptions,
    params: Vec<(String, String)>,
}

impl ServerOptions {
    /// The servers to try, in order (PostgreSQL accepts several; MySQL one). Empty when
    /// the URL names none (the driver's default, or a `host=` parameter on PostgreSQL).
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// The user name, when the URL gives one.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The password (from the user info or a `password=` parameter).
    pub fn password(&self) -> Option<&Password> {
        self.password.as_ref()
    }

    /// The database name, when the URL gives one.
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The TLS settings.
    pub fn tls(&self) -> &TlsOptions {
        &self.tls
    }

    /// The remaining query parameters (decoded), for the driver: tokio-postgres
    /// connection parameters such as `application_name`, mysql_async URL parameters such
    /// as `tcp_keepalive`.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }
}

/// Why a server URL was refused.
#[derive(Debug)]
pub(crate) enum Problem {
    /// The URL cannot be split with certainty; nothing of it may be shown.
    Ambiguous(&'static str),
    /// A part is malformed: why, and the URL with its password masked.
    Malformed(String, String),
    /// A parameter orm reads has a value it cannot use; the URL with its password masked.
    Parameter(tls::BadParameter, String),
}

/// What [`parse`] gives: the options, the URL with its password masked, and the
/// parameters orm itself reads (`connect_timeout`, pool settings), still in the list.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) options: ServerOptions,
    pub(crate) masked: String,
}

/// Splits `rest` (what follows `scheme://`) of a `backend` URL; `scheme` is kept for
/// the masked form. `take_own` removes the parameters orm reads itself (before the
/// driver's are kept) and may refuse their values.
pub(crate) fn parse(
    backend: Backend,
    scheme: &str,
    rest: &str,
    take_own: impl FnOnce(&mut Vec<(String, String)>) -> Result<(), String>,
) -> Result<Parsed, Problem> {
    if rest.contains('#') {
        return Err(Problem::Ambiguous(
            "the URL contains `#`, which is not part of a database URL: percent-encode `@` \
             (%40), `/` (%2F), `?` (%3F), `#` (%23) and `%` (%25) in the user name and password",
        ));
    }
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if tail.contains('@') {
        return Err(Problem::Ambiguous(
            "an `@` follows the host part, so where the password ends is unclear: \
             percent-encode `@` (%40), `/` (%2F), `?` (%3F), `#` (%23) and `%` (%25) in the \
             user name and password",
        ));
    }
    let (userinfo, hostpart) = match authority.rsplit_once('@') {
        Some((userinfo, _)) if userinfo.contains('@') => {
            return Err(Problem::Ambiguous(
                "the user info holds more than one `@`: percent-encode `@` (%40), `/` (%2F), \
                 `?` (%3F), `#` (%23) and `%` (%25) in the user name and password",
            ))
        }
        Some((userinfo, hostpart)) => (Some(userinfo), hostpart),
        None => (None, authority),
    };
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let raw_params: Vec<(&str, &str)> = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();

    // From here on the password's place is known: the masked URL can be shown.
    let masked = masked(scheme, userinfo, hostpart, path, &raw_params);
    let malformed = |reason: String| Problem::Malformed(reason, masked.clone());

    let (user, password) = match userinfo {
        None => (None, None),
        Some(userinfo) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            let user = decode(user)
                .map_err(|_| malformed("bad percent escape in the user name".into()))?;
            let password = password
                .map(|p| decode(p).map(Password::new))
                .transpose()
                .map_err(|_| {
                    malformed("bad percent escape in the password (write `%` as %25)".to_owned())
                })?;
            ((!user.is_empty()).then_some(user), password)
        }
    };
    // A malformed host part may be a password typed without its `@`: not shown.
    let hosts = hosts(backend, hostpart).map_err(|reason| {
        Problem::Malformed(
            reason.into(),
            self::masked(scheme, userinfo, "(host not shown)", path, &raw_params),
        )
    })?;
    let database = match path.strip_prefix('/') {
        None | Some("") => None,
        Some(name) if name.contains('/') => {
            return Err(malformed(
                "the database name contains `/` (percent-encode it as %2F)".into(),
            ))
        }
        Some(name) => Some(
            decode(name)
                .map_err(|_| malformed("bad percent escape in the database name".into()))?,
        ),
    };
    let mut params = Vec::with_capacity(raw_params.len());
    for (key, value) in &raw_params {
        let key = decode(key).map_err(|_| malformed("bad percent escape in a parameter".into()))?;
        let value = decode(value)
            .map_err(|_| malformed(format!("bad percent escape in the value of `{key}`")))?;
        params.push((key, value));
    }
    let password = match tls::take_param(&mut params, "password") {
        Some(param) => Some(Password::new(param)),
        None => password,
    };
    take_own(&mut params).map_err(&malformed)?;
    let tls =
        tls::take(backend, &mut params).map_err(|bad| Problem::Parameter(bad, masked.clone()))?;
    Ok(Parsed {
        options: ServerOptions {
            hosts,
            user,
            password,
            database,
            tls,
            params,
        },
        masked,
    })
}

/// The URL with the password (user info and `password=` parameter) as `***`; every
/// other part as written.
fn masked(
    scheme: &str,
    userinfo: Option<&str>,
    hostpart: &str,
    path: &str,
    params: &[(&str, &str)],
) -> String {
    let mut out = format!("{scheme}://");
    if let Some(userinfo) = userinfo {
        match userinfo.split_once(':') {
            Some((user, _)) => {
                out.push_str(user);
                out.push_str(":***");
            }
            None => out.push_str(userinfo),
        }
        out.push('@');
    }
    out.push_str(hostpart);
    out.push_str(path);
    for (i, (key, value)) in params.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(key);
        out.push('=');
        let is_password = decode(key).is_ok_and(|k| k.eq_ignore_ascii_case("password"));
        out.push_str(if is_password { "***" } else { value });
    }
    out
}

/// The comma-separated `host[:port]` list (one host on MySQL). Errors never quote the
/// text: a mistyped URL may have a password where the host should be.
fn hosts(backend: Backend, hostpart: &str) -> Result<Vec<Host>, &'static str> {
    if hostpart.is_empty() {
        return Ok(Vec::new());
    }
    let mut hosts = Vec::new();
    for item in hostpart.split(',') {
        let (name, port) = if let Some(bracketed) = item.strip_prefix('[') {
            let (v6, after) = bracketed
                .split_once(']')
                .ok_or("an IPv6 address in the host part lacks its closing `]`")?;
            match after {
                "" => (v6.to_owned(), None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (v6.to_owned(), Some(port)),
                    None => return Err("unexpected text after an IPv6 address in the host part"),
                },
            }
        } else {
            match item.rsplit_once(':') {
                Some((name, port)) => (name.to_owned(), Some(port)),
                None => (item.to_owned(), None),
            }
        };
        let port = match port {
            None | Some("") => None,
            Some(port) => Some(port.parse::<u16>().ok().filter(|p| *p > 0).ok_or(
                "the port is not a number from 1 to 65535 (if the URL has a \
                            password, percent-encode `@`, `/`, `?`, `#` and `%` in it)",
            )?),
        };
        let name = decode(&name).map_err(|_| "bad percent escape in a host name")?;
        hosts.push(Host { name, port });
    }
    if backend == Backend::Mysql && hosts.len() > 1 {
        return Err("a MySQL/MariaDB URL names one host");
    }
    Ok(hosts)
}

/// Decodes `%XX` escapes.
pub(crate) fn decode(text: &str) -> Result<String, ()> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}
