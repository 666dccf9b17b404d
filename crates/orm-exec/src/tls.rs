//! TLS with rustls (ring provider; no OpenSSL, no system library) for the server backends:
//! the root certificates a URL names, the certificate verifier each [`TlsMode`] asks for,
//! and the typed cause ([`ConnectionCause`]) of a failed handshake.
//!
//! PostgreSQL connects through orm's own connector ([`crate::pg_wire`]), which uses
//! [`client_config`]; MySQL/MariaDB through mysql_async's rustls support, given the root
//! certificates read here ([`read_roots`]). Both classify their failures with [`cause_of`].

use std::error::Error as StdError;
use std::path::Path;
#[cfg(feature = "postgres")]
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::CertificateError;
#[cfg(feature = "postgres")]
use {
    orm_schema::Backend,
    rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    rustls::client::WebPkiServerVerifier,
    rustls::crypto::CryptoProvider,
    rustls::pki_types::{ServerName, UnixTime},
    rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme},
};

use crate::error::{ConnectionCause, Error, Result};
use crate::url::DatabaseUrl;
#[cfg(feature = "postgres")]
use crate::url::{TlsMode, TlsOptions};

/// The crypto provider orm uses: ring's (no C toolchain beyond ring's own, no system
/// library). rustls 0.23.48 deprecates it for lacking post-quantum key exchange, which
/// aws-lc-rs has at the price of a CMake build; the database servers orm talks to
/// negotiate classical key exchange with either.
#[allow(deprecated)]
#[cfg(feature = "postgres")]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The root certificates (PEM) of the file the URL names, as read (`pem`) and parsed.
#[derive(Debug)]
pub(crate) struct Roots {
    /// The file's bytes (mysql_async parses them itself).
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    pub(crate) pem: Vec<u8>,
    /// Its certificates.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) certs: Vec<CertificateDer<'static>>,
}

/// Reads the root certificate file `path` (`parameter` names it in the error).
pub(crate) fn read_roots(path: &Path, parameter: &str, url: &DatabaseUrl) -> Result<Roots> {
    let bad = |reason: String| Error::InvalidParameter {
        parameter: parameter.to_owned(),
        url_redacted: url.redacted().to_owned(),
        reason,
    };
    let pem =
        std::fs::read(path).map_err(|e| bad(format!("cannot read `{}`: {e}", path.display())))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("`{}` is not a PEM file: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(bad(format!(
            "`{}` holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(Roots { pem, certs })
}

#[cfg(feature = "postgres")]
/// The rustls client configuration for a URL's TLS options: no verification for
/// `prefer` and `require`, the chain for `verify-ca`, chain and host name for
/// `verify-full`, against the root certificate file or, without one, the web roots.
pub(crate) fn client_config(
    tls: &TlsOptions,
    backend: Backend,
    url: &DatabaseUrl,
) -> Result<Arc<rustls::ClientConfig>> {
    let provider = provider();
    let webpki = if tls.mode().verifies_chain() {
        let mut roots = RootCertStore::empty();
        match tls.root_cert() {
            Some(path) => {
                let parameter = TlsOptions::root_cert_parameter(backend);
                let read = read_roots(path, parameter, url)?;
                for cert in read.certs {
                    roots.add(cert).map_err(|e| Error::InvalidParameter {
                        parameter: parameter.to_owned(),
                        url_redacted: url.redacted().to_owned(),
                        reason: format!("`{}`: {e}", path.display()),
                    })?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| Error::Connection {
                    backend,
                    message: format!("cannot set up TLS verification: {e}"),
                    cause: ConnectionCause::TlsHandshake,
                })?;
        Some(verifier)
    } else {
        None
    };
    let verifier = Verifier {
        mode: tls.mode(),
        webpki,
        provider: provider.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Connection {
            backend,
            message: format!("cannot set up TLS: {e}"),
            cause: ConnectionCause::TlsHandshake,
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(feature = "postgres")]
/// The name to verify and send (SNI) for `host`; a placeholder when the host is no valid
/// name and the mode does not check names (the handshake needs one).
pub(crate) fn server_name(host: &str, mode: TlsMode) -> std::io::Result<ServerName<'static>> {
    match ServerName::try_from(host.to_owned()) {
        Ok(name) => Ok(name),
        Err(_) if !mode.verifies_host() => Ok(ServerName::try_from("localhost")
            .expect("a valid name")
            .to_owned()),
        Err(e) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("`{host}` is no host name to verify a certificate against: {e}"),
        )),
    }
}

#[cfg(feature = "postgres")]
/// Checks the server's certificate as the mode says.
#[derive(Debug)]
struct Verifier {
    mode: TlsMode,
    /// rustls' own verifier (chain and name), for the verifying modes.
    webpki: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

/// Writes [`ServerCertVerifier`]'s signature checks, each the rustls function of the same
/// name with the provider's algorithms (TLS 1.2's and 1.3's differ only in that name).
#[cfg(feature = "postgres")]
macro_rules! verify_signatures {
    ($($verify:ident),*) => {$(
        fn $verify(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::$verify(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }
    )*};
}

#[cfg(feature = "postgres")]
impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else {
            return Ok(ServerCertVerified::assertion());
        };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            // rustls checks the name only after the chain verified: verify-ca stops there.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.mode.verifies_host() => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    verify_signatures!(verify_tls12_signature, verify_tls13_signature);

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The rustls error somewhere in `err`'s chain (through `io::Error`s' inner errors).
pub(crate) fn rustls_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(err);
    while let Some(err) = next {
        if let Some(found) = err.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(found) = rustls_error(inner) {
                return Some(found);
            }
        }
        next = err.source();
    }
    None
}

/// The cause of a TLS failure in `err`'s chain; `None` when there is no rustls error.
pub(crate) fn cause_of(err: &(dyn StdError + 'static)) -> Option<ConnectionCause> {
    rustls_error(err).map(cause)
}

/// The [`ConnectionCause`] of a rustls error.
pub(crate) fn cause(err: &rustls::Error) -> ConnectionCause {
    match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                ConnectionCause::UntrustedCertificate
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                ConnectionCause::HostNameMismatch
            }
            _ => ConnectionCause::InvalidCertificate,
        },
        _ => ConnectionCause::TlsHandshake,
    }
}

/// The names a certificate refused for its host name holds (from rustls' error), to
/// verify the chain against one of them when only the chain counts (`VERIFY_CA` on
/// MySQL, whose driver cannot skip the name check itself). rustls-webpki lists them as
/// `DnsName("db.example")` and `IpAddress(10.0.0.1)`; a wildcard's `*` becomes a label
/// it matches.
#[cfg(feature = "mysql")]
pub(crate) fn presented_names(err: &(dyn StdError + 'static)) -> Vec<String> {
    let Some(rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
        presented,
        ..
    })) = rustls_error(err)
    else {
        return Vec::new();
    };
    presented
        .iter()
        .filter_map(|name| {
            let dns = name
                .strip_prefix("DnsName(\"")
                .and_then(|n| n.strip_suffix("\")"))
                .map(|n| n.replacen('*', "orm-verify-ca", 1));
            let ip = || {
                name.strip_prefix("IpAddress(")
                    .and_then(|n| n.strip_suffix(')'))
                    .map(str::to_owned)
            };
            dns.or_else(ip)
        })
        .collect()
}
