//! MySQL/MariaDB: connecting with mysql_async from the URL's typed options, over TLS as
//! `ssl-mode` says, then handing the connection to diesel-async.
//!
//! The options are built field by field ([`mysql_async::OptsBuilder`]): user and password
//! go into their own fields; the driver's other URL parameters (which hold no password)
//! are read by mysql_async from a URL orm writes without user info.
//!
//! TLS (mysql_async's rustls support, ring provider): `PREFERRED` tries TLS and connects
//! again in plain text only when the server's greeting does not offer TLS; `REQUIRED`
//! accepts any certificate; `VERIFY_CA` and `VERIFY_IDENTITY` check the chain against the
//! `ssl-ca` file (the web roots without one), `VERIFY_IDENTITY` the host name as well.
//! mysql_async's own "skip the name check" does not recognise rustls' current error, so
//! `VERIFY_CA` does it here: when the chain verified but the name did not match, the
//! connection is made again verifying the chain against a name the certificate holds
//! (rustls reports them). When TLS is on, mysql_async's switch to the Unix socket after
//! connecting to localhost is off, so the session stays on the encrypted TCP connection.
//!
//! The connected session is then handed to diesel-async with diesel's MySQL backend
//! (`mysql://`) or its MariaDB backend (`mariadb://`, which refuses a server that is not
//! MariaDB 10.5 or later: its inserts use `RETURNING`).

use std::future::Future;

use diesel::ConnectionResult;
use diesel_async::{AsyncMariadbConnection, AsyncMysqlConnection};
use mysql_async::{Opts, OptsBuilder, SslOpts};
use orm_schema::Backend;

use crate::error::{ConnectionCause, Error, Result};
use crate::url::{DatabaseUrl, ServerOptions, TlsMode, TlsOptions};

const BACKEND: Backend = Backend::Mysql;

/// A diesel-async connection over mysql_async: with diesel's MySQL or MariaDB backend.
pub(crate) trait MysqlLike: Sized {
    /// Takes a connected session over.
    fn take_over(conn: mysql_async::Conn) -> impl Future<Output = ConnectionResult<Self>> + Send;

    /// Why this backend cannot speak to the server `conn` is connected to, if it cannot.
    fn refuse(conn: &mysql_async::Conn) -> Option<String>;
}

impl MysqlLike for AsyncMysqlConnection {
    fn take_over(conn: mysql_async::Conn) -> impl Future<Output = ConnectionResult<Self>> + Send {
        AsyncMysqlConnection::try_from(conn)
    }

    fn refuse(_: &mysql_async::Conn) -> Option<String> {
        None
    }
}

/// MariaDB gained `INSERT ... RETURNING` in 10.5.
const MARIADB_RETURNING: (u16, u16) = (10, 5);

impl MysqlLike for AsyncMariadbConnection {
    fn take_over(conn: mysql_async::Conn) -> impl Future<Output = ConnectionResult<Self>> + Send {
        AsyncMariadbConnection::try_from(conn)
    }

    fn refuse(conn: &mysql_async::Conn) -> Option<String> {
        mariadb_refusal(conn.server_version())
    }
}

/// Why diesel's MariaDB backend cannot speak to a server of `version`, if it cannot. MySQL
/// numbers its releases below 10 (5.7, 8.0, 9.x), MariaDB from 10 on; mysql_async reads
/// MariaDB's version past the `5.5.5-` prefix of its greeting.
fn mariadb_refusal((major, minor, patch): (u16, u16, u16)) -> Option<String> {
    ((major, minor) < MARIADB_RETURNING).then(|| {
        format!(
            "a mariadb:// URL needs MariaDB {}.{} or later (INSERT ... RETURNING); this server \
             reports version {major}.{minor}.{patch}: use a mysql:// URL",
            MARIADB_RETURNING.0, MARIADB_RETURNING.1
        )
    })
}

/// Opens a diesel-async MySQL or MariaDB connection to `url`.
pub(crate) async fn open<C: MysqlLike>(url: &DatabaseUrl) -> Result<C> {
    let server = url.server().ok_or_else(|| Error::InvalidUrl {
        url_redacted: url.redacted().to_owned(),
        reason: "not a server URL".to_owned(),
    })?;
    let base = options(url, server)?;
    let tls = server.tls();
    let conn = match tls.mode() {
        TlsMode::Disable => connect(base, None, url).await?,
        TlsMode::Prefer => match connect(base.clone(), Some(ssl_opts(tls, url)?), url).await {
            Err(Refusal::NoTls(_)) => connect(base, None, url).await?,
            other => other?,
        },
        TlsMode::VerifyCa => {
            let ssl = ssl_opts(tls, url)?;
            match connect(base.clone(), Some(ssl.clone()), url).await {
                Err(Refusal::Failed(err, names)) if !names.is_empty() => {
                    let mut outcome = Err(Refusal::Failed(err, Vec::new()));
                    for name in names {
                        let pinned = ssl.clone().with_danger_tls_hostname_override(Some(name));
                        outcome = connect(base.clone(), Some(pinned), url).await;
                        if outcome.is_ok() {
                            break;
                        }
                    }
                    outcome?
                }
                other => other?,
            }
        }
        TlsMode::Require | TlsMode::VerifyFull => {
            connect(base, Some(ssl_opts(tls, url)?), url).await?
        }
    };
    if let Some(reason) = C::refuse(&conn) {
        return Err(crate::establish::connection_error(
            BACKEND,
            ConnectionCause::Other,
            &reason,
            url,
        ));
    }
    C::take_over(conn)
        .await
        .map_err(|e| Error::from_connection_error(e, BACKEND, url.redacted()))
}

/// Why [`connect`] failed.
enum Refusal {
    /// TLS was asked for and the server's greeting does not offer it.
    NoTls(Error),
    /// Anything else; with the names the certificate holds when only its name was wrong.
    Failed(Error, Vec<String>),
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Error {
        match refusal {
            Refusal::NoTls(err) | Refusal::Failed(err, _) => err,
        }
    }
}

/// One connection attempt with `ssl` (none: plain text).
async fn connect(
    base: OptsBuilder,
    ssl: Option<SslOpts>,
    url: &DatabaseUrl,
) -> std::result::Result<mysql_async::Conn, Refusal> {
    let tls = ssl.is_some();
    let opts = base.prefer_socket(!tls).ssl_opts(ssl);
    mysql_async::Conn::new(opts).await.map_err(|err| {
        let no_tls = matches!(
            err,
            mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer)
        );
        let cause = if no_tls {
            ConnectionCause::TlsNotOffered
        } else {
            crate::tls::cause_of(&err).unwrap_or(ConnectionCause::Other)
        };
        let error = crate::establish::connection_error(BACKEND, cause, &err.to_string(), url);
        if no_tls {
            Refusal::NoTls(error)
        } else {
            let names = if cause == ConnectionCause::HostNameMismatch {
                crate::tls::presented_names(&err)
            } else {
                Vec::new()
            };
            Refusal::Failed(error, names)
        }
    })
}

/// The TLS options of a mode that uses TLS.
fn ssl_opts(tls: &TlsOptions, url: &DatabaseUrl) -> Result<SslOpts> {
    let mut ssl = SslOpts::default();
    if !tls.mode().verifies_chain() {
        return Ok(ssl.with_danger_accept_invalid_certs(true));
    }
    if let Some(path) = tls.root_cert() {
        let roots = crate::tls::read_roots(path, TlsOptions::root_cert_parameter(BACKEND), url)?;
        ssl = ssl
            .with_root_certs(vec![roots.pem.into()])
            .with_disable_built_in_roots(true);
    }
    Ok(ssl)
}

/// The connection options without TLS: the driver's parameters from a URL without user
/// info, then user, password and database set field by field.
fn options(url: &DatabaseUrl, server: &ServerOptions) -> Result<OptsBuilder> {
    let (host, port) = match server.hosts().first() {
        Some(host) => (host.name.as_str(), host.port.unwrap_or(3306)),
        None => ("127.0.0.1", 3306),
    };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        encode(host)
    };
    let mut driver = format!("mysql://{host}:{port}/");
    for (i, (key, value)) in server.params().iter().enumerate() {
        driver.push(if i == 0 { '?' } else { '&' });
        driver.push_str(&encode(key));
        driver.push('=');
        driver.push_str(&encode(value));
    }
    let opts = Opts::from_url(&driver).map_err(|e| Error::InvalidUrl {
        url_redacted: url.redacted().to_owned(),
        reason: e.to_string(),
    })?;
    // diesel-async caches prepared statements itself and expects the driver to cache none
    // (its own `establish` sets 0): mysql_async's cache (32 by default) closes the statement
    // it evicts on the server while diesel-async still holds it, so the 33rd distinct
    // statement on a connection made an earlier one fail ("Unknown prepared statement
    // handler", 1243).
    Ok(OptsBuilder::from_opts(opts)
        .stmt_cache_size(0)
        .user(server.user())
        .pass(server.password().map(|p| p.expose()))
        .db_name(server.database()))
}

/// Percent-encodes everything but unreserved URL characters.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mariadb_refusal;

    #[test]
    fn mariadb_urls_need_mariadb_10_5() {
        assert_eq!(mariadb_refusal((10, 5, 0)), None);
        assert_eq!(mariadb_refusal((10, 11, 6)), None);
        assert_eq!(mariadb_refusal((11, 4, 2)), None);
        let old = mariadb_refusal((10, 4, 32)).unwrap();
        assert!(old.contains("MariaDB 10.5 or later"), "{old}");
        assert!(old.contains("version 10.4.32"), "{old}");
        let mysql = mariadb_refusal((8, 0, 36)).unwrap();
        assert!(
            mysql.contains("version 8.0.36: use a mysql:// URL"),
            "{mysql}"
        );
    }
}
