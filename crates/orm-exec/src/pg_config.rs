//! The tokio-postgres configuration of a URL, built field by field from its typed options
//! ([`crate::url::ServerOptions`]): the password goes into `Config::password`, never into
//! a connection string, so no parse error can echo it.

use tokio_postgres::config::SslMode;

use crate::error::{Error, Result};
use crate::url::{DatabaseUrl, TlsMode};

/// The driver configuration for `url` (a PostgreSQL URL).
pub(crate) fn config(url: &DatabaseUrl) -> Result<tokio_postgres::Config> {
    let server = url.server().ok_or_else(|| Error::InvalidUrl {
        url_redacted: url.redacted().to_owned(),
        reason: "not a server URL".to_owned(),
    })?;
    // The driver's own parameters, which hold no password (orm took `password` out), as a
    // `key='value'` connection string.
    let mut config = if server.params().is_empty() {
        tokio_postgres::Config::new()
    } else {
        let mut pairs = String::new();
        for (key, value) in server.params() {
            if !pairs.is_empty() {
                pairs.push(' ');
            }
            pairs.push_str(key);
            pairs.push_str("='");
            for c in value.chars() {
                if matches!(c, '\'' | '\\') {
                    pairs.push('\\');
                }
                pairs.push(c);
            }
            pairs.push('\'');
        }
        pairs
            .parse::<tokio_postgres::Config>()
            .map_err(|e| Error::InvalidUrl {
                url_redacted: url.redacted().to_owned(),
                reason: e.to_string(),
            })?
    };
    if let Some(user) = server.user() {
        config.user(user);
    }
    if let Some(password) = server.password() {
        config.password(password.expose());
    }
    if let Some(database) = server.database() {
        config.dbname(database);
    }
    let hosts = server.hosts();
    for host in hosts {
        config.host(&host.name);
    }
    if hosts.iter().any(|h| h.port.is_some()) {
        for host in hosts {
            config.port(host.port.unwrap_or(5432));
        }
    }
    if let Some(limit) = url.connect_timeout() {
        config.connect_timeout(limit);
    }
    config.ssl_mode(match server.tls().mode() {
        TlsMode::Disable => SslMode::Disable,
        TlsMode::Prefer => SslMode::Prefer,
        _ => SslMode::Require,
    });
    Ok(config)
}
