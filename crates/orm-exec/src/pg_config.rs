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
        pairs.parse::<tokio_postgres::Config>().map_err(|e| {
            // tokio-postgres names the parameter in the error's source.
            let mut reason = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                reason.push_str(": ");
                reason.push_str(&cause.to_string());
                source = cause.source();
            }
            Error::InvalidUrl {
                url_redacted: url.redacted().to_owned(),
                reason,
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_field_by_field() {
        let url = DatabaseUrl::parse(
            "postgres://app:p%40ss%2Fw@a,b:5433/db?application_name=it%27s%20me&sslmode=require",
        )
        .unwrap();
        let config = config(&url).unwrap();
        assert_eq!(config.get_user(), Some("app"));
        assert_eq!(config.get_password(), Some(&b"p@ss/w"[..]));
        assert_eq!(config.get_dbname(), Some("db"));
        assert_eq!(config.get_hosts().len(), 2);
        assert_eq!(config.get_ports(), &[5432, 5433]);
        assert_eq!(config.get_application_name(), Some("it's me"));
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
        assert_eq!(
            config.get_connect_timeout(),
            Some(&crate::url::DEFAULT_CONNECT_TIMEOUT)
        );
        // The Config's own Debug hides the password too.
        assert!(!format!("{config:?}").contains("p@ss"));
    }

    #[test]
    fn driver_parameter_errors_show_no_password() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@h/db?no_such_option=1").unwrap();
        match config(&url) {
            Err(Error::InvalidUrl {
                url_redacted,
                reason,
            }) => {
                assert!(!format!("{url_redacted} {reason}").contains("s3cret"));
                assert!(reason.contains("no_such_option"), "{reason}");
            }
            other => panic!("expected InvalidUrl, got {other:?}"),
        }
    }
}
