//! PostgreSQL over TLS: the connector orm hands tokio-postgres ([`MakeRustls`]).
//!
//! tokio-postgres negotiates (the `SSLRequest`, the server's `S` or `N`, `prefer`'s
//! fallback, `require`'s refusal) and calls this connector on the open socket. The
//! connector runs the rustls handshake ([`crate::tls::client_config`]) and wraps the TLS
//! stream in a [`Wire`], so the SQLSTATE sniffing of [`crate::pg_wire`] reads the
//! decrypted messages; the socket's own `Wire` stops following at the server's `S`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

use crate::pg_wire::Wire;
use crate::url::TlsMode;

/// Makes a [`RustlsConnect`] per host, with one rustls configuration.
#[derive(Debug, Clone)]
pub(crate) struct MakeRustls {
    config: Arc<rustls::ClientConfig>,
    mode: TlsMode,
}

impl MakeRustls {
    /// A connector with `config` (see [`crate::tls::client_config`]) for `mode`.
    pub(crate) fn new(config: Arc<rustls::ClientConfig>, mode: TlsMode) -> MakeRustls {
        MakeRustls { config, mode }
    }
}

impl<S> MakeTlsConnect<S> for MakeRustls
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Wire<tokio_rustls::client::TlsStream<S>>;
    type TlsConnect = RustlsConnect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, domain: &str) -> io::Result<RustlsConnect> {
        Ok(RustlsConnect {
            config: Arc::clone(&self.config),
            name: crate::tls::server_name(domain, self.mode)?,
        })
    }
}

/// The TLS handshake with one host.
#[derive(Debug)]
pub(crate) struct RustlsConnect {
    config: Arc<rustls::ClientConfig>,
    name: rustls::pki_types::ServerName<'static>,
}

impl<S> TlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Wire<tokio_rustls::client::TlsStream<S>>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Stream>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let tls = tokio_rustls::TlsConnector::from(self.config)
                .connect(self.name, stream)
                .await?;
            Ok(Wire::new(tls))
        })
    }
}

impl<S> TlsStream for Wire<tokio_rustls::client::TlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// No channel binding: SCRAM authenticates without it (tokio-postgres'
    /// `channel_binding=prefer`, the default).
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}
