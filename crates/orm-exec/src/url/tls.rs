//! TLS settings of a server URL: PostgreSQL's `sslmode` / `sslrootcert` and MySQL's
//! `ssl-mode` / `ssl-ca`, read as libpq and the mysql client read them. Parsing only; the
//! connectors that apply them live in `crate::tls` and the backends' connect code.

use std::path::{Path, PathBuf};

use orm_schema::Backend;

/// How a connection to a server uses TLS. The same five levels on both server backends,
/// spelled as each backend's users write them:
///
/// | mode | PostgreSQL `sslmode=` | MySQL `ssl-mode=` | encrypts | checks the chain | checks the host name |
/// |---|---|---|---|---|---|
/// | [`Disable`](TlsMode::Disable) | `disable` | `DISABLED` | no | no | no |
/// | [`Prefer`](TlsMode::Prefer) | `prefer` (default) | `PREFERRED` (default) | when the server offers TLS | no | no |
/// | [`Require`](TlsMode::Require) | `require` | `REQUIRED` | always | no | no |
/// | [`VerifyCa`](TlsMode::VerifyCa) | `verify-ca` | `VERIFY_CA` | always | yes | no |
/// | [`VerifyFull`](TlsMode::VerifyFull) | `verify-full` | `VERIFY_IDENTITY` | always | yes | yes |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsMode {
    /// Plain text only.
    Disable,
    /// TLS when the server offers it, plain text when it does not.
    Prefer,
    /// TLS or no connection; any certificate is accepted.
    Require,
    /// TLS or no connection; the certificate must chain to a trusted root.
    VerifyCa,
    /// As [`TlsMode::VerifyCa`], and the certificate must name the host connected to.
    VerifyFull,
}

impl TlsMode {
    /// Whether the connection fails rather than run in plain text.
    pub fn requires_tls(self) -> bool {
        matches!(
            self,
            TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull
        )
    }

    /// Whether the server's certificate chain is checked against the roots.
    pub fn verifies_chain(self) -> bool {
        matches!(self, TlsMode::VerifyCa | TlsMode::VerifyFull)
    }

    /// Whether the certificate must name the host.
    pub fn verifies_host(self) -> bool {
        self == TlsMode::VerifyFull
    }
}

/// The TLS settings of a server URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    mode: TlsMode,
    root_cert: Option<PathBuf>,
}

impl TlsOptions {
    /// How TLS is used.
    pub fn mode(&self) -> TlsMode {
        self.mode
    }

    /// The file of trusted root certificates (PEM) the URL names (`sslrootcert=` /
    /// `ssl-ca=`); `None`: the built-in web roots (webpki-roots) when a mode verifies.
    pub fn root_cert(&self) -> Option<&Path> {
        self.root_cert.as_deref()
    }

    /// The name of the URL parameter holding the root certificate file on `backend`.
    pub fn root_cert_parameter(backend: Backend) -> &'static str {
        match backend {
            Backend::Mysql => "ssl-ca",
            _ => "sslrootcert",
        }
    }
}

/// A TLS parameter with a value orm cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadParameter {
    pub(crate) parameter: &'static str,
    pub(crate) reason: String,
}

/// Takes the TLS parameters of `backend` out of `params` (decoded pairs).
pub(crate) fn take(
    backend: Backend,
    params: &mut Vec<(String, String)>,
) -> Result<TlsOptions, BadParameter> {
    match backend {
        Backend::Mysql => take_mysql(params),
        _ => take_postgres(params),
    }
}

/// Removes every pair with this key (any case) and returns the last value.
pub(crate) fn take_param(params: &mut Vec<(String, String)>, key: &str) -> Option<String> {
    let mut found = None;
    params.retain(|(k, v)| {
        if k.eq_ignore_ascii_case(key) {
            found = Some(v.clone());
            false
        } else {
            true
        }
    });
    found
}

/// `sslmode` and `sslrootcert`, as libpq reads them: `prefer` by default, and `require`
/// with a root certificate file checks the chain (`verify-ca`).
fn take_postgres(params: &mut Vec<(String, String)>) -> Result<TlsOptions, BadParameter> {
    let root_cert = root_cert(params, "sslrootcert")?;
    let mode = match take_param(params, "sslmode") {
        None => TlsMode::Prefer,
        Some(value) => match mode_named("sslmode", &value, |&(_, libpq, _)| libpq)? {
            TlsMode::Require if root_cert.is_some() => TlsMode::VerifyCa,
            mode => mode,
        },
    };
    Ok(TlsOptions { mode, root_cert })
}

/// `ssl-mode` and `ssl-ca`, as the mysql client reads them: `PREFERRED` by default,
/// `VERIFY_CA` when only `ssl-ca` is given. mysql_async's own TLS parameters are refused,
/// so that one setting decides.
fn take_mysql(params: &mut Vec<(String, String)>) -> Result<TlsOptions, BadParameter> {
    for (driver_key, parameter) in [
        ("require_ssl", "require_ssl"),
        ("verify_ca", "verify_ca"),
        ("verify_identity", "verify_identity"),
        ("built_in_roots", "built_in_roots"),
    ] {
        if take_param(params, driver_key).is_some() {
            return Err(BadParameter {
                parameter,
                reason: "orm sets TLS from ssl-mode (DISABLED, PREFERRED, REQUIRED, VERIFY_CA, \
                         VERIFY_IDENTITY) and ssl-ca"
                    .to_owned(),
            });
        }
    }
    let root_cert = root_cert(params, "ssl-ca")?;
    let mode = match take_param(params, "ssl-mode") {
        None if root_cert.is_some() => TlsMode::VerifyCa,
        None => TlsMode::Prefer,
        Some(value) => {
            let value = value.to_ascii_uppercase();
            mode_named("ssl-mode", &value, |&(_, _, mysql)| mysql)?
        }
    };
    Ok(TlsOptions { mode, root_cert })
}

/// A mode with its names (see [`MODE_NAMES`]).
type ModeNames = (TlsMode, &'static str, &'static str);

/// Each mode with its name in libpq's `sslmode` and in the mysql client's `ssl-mode`.
const MODE_NAMES: [ModeNames; 5] = [
    (TlsMode::Disable, "disable", "DISABLED"),
    (TlsMode::Prefer, "prefer", "PREFERRED"),
    (TlsMode::Require, "require", "REQUIRED"),
    (TlsMode::VerifyCa, "verify-ca", "VERIFY_CA"),
    (TlsMode::VerifyFull, "verify-full", "VERIFY_IDENTITY"),
];

/// The mode whose `name` (one of the names in [`MODE_NAMES`]) is `value`; otherwise a bad
/// `parameter` whose reason lists the names.
fn mode_named(
    parameter: &'static str,
    value: &str,
    name: fn(&ModeNames) -> &'static str,
) -> Result<TlsMode, BadParameter> {
    if let Some(&(mode, ..)) = MODE_NAMES.iter().find(|names| name(names) == value) {
        return Ok(mode);
    }
    let [others @ .., last] = &MODE_NAMES;
    let others: Vec<&str> = others.iter().map(name).collect();
    Err(BadParameter {
        parameter,
        reason: format!("expected {} or {}", others.join(", "), name(last)),
    })
}

/// The root certificate file parameter `key`; an empty value is refused.
fn root_cert(
    params: &mut Vec<(String, String)>,
    key: &'static str,
) -> Result<Option<PathBuf>, BadParameter> {
    match take_param(params, key) {
        None => Ok(None),
        Some(path) if path.is_empty() => Err(BadParameter {
            parameter: key,
            reason: "expected the path of a PEM file of root certificates".to_owned(),
        }),
        Some(path) => Ok(Some(PathBuf::from(path))),
    }
}
