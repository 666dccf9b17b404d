//! PostgreSQL: keeping the SQLSTATE of every error the server sends.
//!
//! diesel-async 0.9 converted tokio-postgres' errors into diesel's and kept the SQLSTATE
//! only as one of eight [`DatabaseErrorKind`](diesel::result::DatabaseErrorKind)s; every
//! other code (40P01 deadlock, 57P01 terminated session, ...) was dropped before orm saw
//! the error. diesel-async 0.10 (with diesel 2.4) reports it through
//! `DatabaseErrorInformation::sqlstate`, which the error map takes first; the codes read
//! off the wire here remain the fallback for an error that comes without one. So orm reads the
//! codes off the wire: it opens the socket itself and hands tokio-postgres a [`Wire`],
//! a socket that passes every byte through unchanged and, on the way in, notes each
//! `ErrorResponse` message's SQLSTATE (field `C`) and message (field `M`, the text diesel
//! reports). [`code_for`] then gives the code of the error with a given message: the
//! error map asks it for every PostgreSQL error diesel hands over without a code.
//!
//! The notes are process-wide, the last [`RECENT`] errors: an error is classified right
//! after the server sent it, so it is always among them. Two errors with the same text
//! and different codes do not occur in PostgreSQL's messages, which name the failing
//! object and differ per condition.
//!
//! Over TLS the bytes on the socket are encrypted: the socket's `Wire` stops following
//! when the server accepts TLS (`S`), and the TLS connector ([`crate::pg_tls`]) wraps the
//! decrypted stream in a `Wire` of its own, so the codes are read there.
//!
//! What this does not see: URLs that tokio-postgres' own `connect`
//! handles beyond hosts, ports, host addresses, the connect timeout and keepalive on or
//! off (`target_session_attrs` other than `any`, `load_balance_hosts=random`,
//! `tcp_user_timeout`, keepalive timings): those connect through tokio-postgres as before
//! and their codes are the eight diesel-async keeps.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::UnixStream;
use tokio_postgres::config::{Host, LoadBalanceHosts, TargetSessionAttrs};

use crate::error::{Error, Result, SqlState};
use crate::url::DatabaseUrl;

/// How many recent errors [`code_for`] remembers.
pub(crate) const RECENT: usize = 64;

/// The last [`RECENT`] errors seen on any connection: (message, SQLSTATE), newest last.
static SEEN: Mutex<VecDeque<(Box<str>, SqlState)>> = Mutex::new(VecDeque::new());

/// The SQLSTATE of the most recent error whose message is `message`.
pub(crate) fn code_for(message: &str) -> Option<SqlState> {
    let seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    seen.iter()
        .rev()
        .find(|(seen, _)| &**seen == message)
        .map(|(_, state)| *state)
}

/// Notes an error the server sent.
fn note(message: &str, state: SqlState) {
    let mut seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if seen.len() == RECENT {
        seen.pop_front();
    }
    seen.push_back((message.into(), state));
}

/// Opens a diesel-async PostgreSQL connection to `url`: through a [`Wire`] when
/// [`supports`] the URL's settings, through tokio-postgres' own `connect` otherwise; over
/// TLS as the URL's `sslmode` says.
pub(crate) async fn open(url: &DatabaseUrl) -> Result<diesel_async::AsyncPgConnection> {
    use diesel_async::AsyncPgConnection;
    let backend = orm_schema::Backend::Postgres;
    let config = crate::pg_config::config(url)?;
    let tls_options = url
        .server()
        .map(|s| s.tls().clone())
        .expect("a PostgreSQL URL has server options");
    let tls = crate::pg_tls::MakeRustls::new(
        crate::tls::client_config(&tls_options, backend, url)?,
        tls_options.mode(),
    );
    let setup_error = |e| Error::from_connection_error(e, backend, url.redacted());
    let refused = |e: &tokio_postgres::Error, tls_refused: bool| {
        crate::establish::postgres_connect_error(e, url, tls_refused)
    };
    if !supports(&config) {
        let (client, connection) = config.connect(tls).await.map_err(|e| {
            // tokio-postgres' own negotiation: a refusal is its "server does not support
            // TLS" error (no socket of orm's to watch the answer on).
            let tls_refused = tls_options.mode().requires_tls()
                && crate::tls::cause_of(&e).is_none()
                && e.to_string().contains("does not support TLS");
            refused(&e, tls_refused)
        })?;
        return AsyncPgConnection::try_from_client_and_connection(client, connection)
            .await
            .map_err(setup_error);
    }
    let (client, connection) = connect(&config, tls).await.map_err(|e| match e {
        ConnectError::Postgres(e, tls_refused) => refused(&e, tls_refused),
        ConnectError::Io(e) => Error::connection(
            backend,
            format!("error connecting to server: {e} (url: {})", url.redacted()),
        ),
    })?;
    // The connection's I/O runs as a task of the runtime, as diesel-async's own does; it
    // ends when the client is dropped. A failure reaches the client's next statement.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    AsyncPgConnection::try_from(client)
        .await
        .map_err(setup_error)
}

/// Whether [`connect`] handles every setting of `config` as tokio-postgres' own `connect`
/// would.
pub(crate) fn supports(config: &tokio_postgres::Config) -> bool {
    // TCP keepalive is switched on or off; its timings stay the system's, which are
    // tokio-postgres' defaults (2 hours idle), so other timings go through tokio-postgres.
    let default_keepalive = config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60)
        && config.get_keepalives_interval().is_none()
        && config.get_keepalives_retries().is_none();
    config.get_target_session_attrs() == TargetSessionAttrs::Any
        && config.get_load_balance_hosts() == LoadBalanceHosts::Disable
        && config.get_tcp_user_timeout().is_none()
        && default_keepalive
}

/// Connects as tokio-postgres' `connect` does (each host in turn, each of its addresses,
/// the connect timeout per attempt, TCP keepalive as configured, Unix sockets), over a
/// [`Wire`]. The error is the last attempt's.
pub(crate) async fn connect<T>(
    config: &tokio_postgres::Config,
    mut tls: T,
) -> Result<
    (
        tokio_postgres::Client,
        tokio_postgres::Connection<Wire, T::Stream>,
    ),
    ConnectError,
>
where
    T: tokio_postgres::tls::MakeTlsConnect<Wire>,
{
    // libpq ignores sslmode on Unix sockets (PostgreSQL offers no TLS there).
    let mut plain = config.clone();
    plain.ssl_mode(tokio_postgres::config::SslMode::Disable);
    let hosts = config.get_hosts();
    let addrs = config.get_hostaddrs();
    let count = hosts.len().max(addrs.len());
    if count == 0 {
        return Err(ConnectError::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            "both host and hostaddr are missing",
        )));
    }
    let mut last = None;
    for i in 0..count {
        let port = config
            .get_ports()
            .get(i)
            .or_else(|| config.get_ports().first())
            .copied()
            .unwrap_or(5432);
        let hostname = match hosts.get(i) {
            Some(Host::Tcp(host)) => Some(host.as_str()),
            _ => None,
        };
        let mut session = config;
        let socket = match (addrs.get(i), hosts.get(i)) {
            (Some(addr), _) => tcp(&addr.to_string(), port, config).await,
            (None, Some(Host::Tcp(host))) => tcp(host, port, config).await,
            #[cfg(unix)]
            (None, Some(Host::Unix(dir))) => {
                let path = dir.join(format!(".s.PGSQL.{port}"));
                session = &plain;
                timed(config.get_connect_timeout(), UnixStream::connect(path))
                    .await
                    .map(Socket::Unix)
            }
            (None, _) => Err(io::Error::new(io::ErrorKind::InvalidInput, "no host")),
        };
        let socket = match socket {
            Ok(socket) => socket,
            Err(e) => {
                last = Some(ConnectError::Io(e));
                continue;
            }
        };
        // The name to verify: the host's, else the address connected to.
        let addr_name = addrs.get(i).map(|a| a.to_string());
        let connector = tls
            .make_tls_connect(hostname.or(addr_name.as_deref()).unwrap_or(""))
            .map_err(|e| ConnectError::Io(io::Error::other(e.into())))?;
        let wire = Wire::new(socket);
        let answer = Arc::clone(&wire.sniffer.ssl_answer);
        match session.connect_raw(wire, connector).await {
            Ok(pair) => return Ok(pair),
            Err(e) => {
                let refused = answer.load(Ordering::Relaxed) == b'N';
                last = Some(ConnectError::Postgres(
                    e,
                    refused && session.get_ssl_mode() == tokio_postgres::config::SslMode::Require,
                ));
            }
        }
    }
    Err(last.expect("at least one host was tried"))
}

/// The first address of `host` that accepts a TCP connection.
async fn tcp(host: &str, port: u16, config: &tokio_postgres::Config) -> io::Result<Socket> {
    let mut last = None;
    for addr in tokio::net::lookup_host((host, port)).await? {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_keepalive(config.get_keepalives())?;
        match timed(config.get_connect_timeout(), socket.connect(addr)).await {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                return Ok(Socket::Tcp(stream));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve any addresses",
        )
    }))
}

/// `connect`, bounded by `timeout` when there is one.
async fn timed<T>(
    timeout: Option<&Duration>,
    connect: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match timeout {
        Some(timeout) => tokio::time::timeout(*timeout, connect)
            .await
            .unwrap_or_else(|_| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection timed out",
                ))
            }),
        None => connect.await,
    }
}

/// Why [`connect`] failed.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// No socket could be opened.
    Io(io::Error),
    /// tokio-postgres refused or failed the session on an open socket; whether the server
    /// had answered a required TLS request with "no TLS".
    Postgres(tokio_postgres::Error, bool),
}

/// An open socket to the server.
#[derive(Debug)]
pub(crate) enum Socket {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
}

/// The stream tokio-postgres talks through: every byte passes unchanged; errors the server
/// sends are noted for [`code_for`] (see the module documentation). `S` is the socket, or
/// the TLS stream over it (see [`crate::pg_tls`]).
#[derive(Debug)]
pub(crate) struct Wire<S = Socket> {
    socket: S,
    sniffer: Sniffer,
}

impl<S> Wire<S> {
    /// Follows the messages passing over `socket`.
    pub(crate) fn new(socket: S) -> Wire<S> {
        Wire {
            socket,
            sniffer: Sniffer::default(),
        }
    }
}

/// The 8-byte SSLRequest a client may send first.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// Follows the server's messages on a [`Wire`].
#[derive(Debug, Default)]
struct Sniffer {
    /// The client's first bytes, until they tell whether TLS is requested.
    first_write: Vec<u8>,
    state: State,
    /// The header of the message being read (type and length).
    header: Vec<u8>,
    /// Bytes of the current message's body still to come.
    remaining: usize,
    /// The body of an `ErrorResponse` being read.
    error: Option<Vec<u8>>,
    /// The server's answer to an SSLRequest (`S` or `N`), 0 before one; shared with the
    /// connect code, which tells a refused TLS request from other failures by it.
    ssl_answer: Arc<AtomicU8>,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum State {
    /// Nothing written yet.
    #[default]
    Start,
    /// The client asked for TLS; the server answers with one byte.
    AwaitSslAnswer,
    /// Reading framed messages.
    Messages,
    /// TLS runs on this socket: nothing can be read here.
    Off,
}

/// An `ErrorResponse` body larger than this is not noted.
const MAX_ERROR: usize = 64 * 1024;

impl Sniffer {
    /// The client wrote `bytes`.
    fn wrote(&mut self, bytes: &[u8]) {
        if self.state != State::Start {
            return;
        }
        let want = SSL_REQUEST.len() - self.first_write.len();
        self.first_write
            .extend_from_slice(&bytes[..bytes.len().min(want)]);
        if self.first_write.first() == Some(&0x16) {
            // A TLS ClientHello: direct TLS negotiation.
            self.state = State::Off;
        } else if !SSL_REQUEST.starts_with(&self.first_write) {
            self.state = State::Messages;
        } else if self.first_write.len() == SSL_REQUEST.len() {
            self.state = State::AwaitSslAnswer;
        }
    }

    /// The server sent `bytes`.
    fn read(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.state {
                State::Off => return,
                // A message before the client wrote (not in the protocol): stop following.
                State::Start => {
                    self.state = State::Off;
                    return;
                }
                State::AwaitSslAnswer => {
                    self.ssl_answer.store(bytes[0], Ordering::Relaxed);
                    self.state = if bytes[0] == b'N' {
                        State::Messages
                    } else {
                        State::Off
                    };
                    bytes = &bytes[1..];
                }
                State::Messages => bytes = self.message_bytes(bytes),
            }
        }
    }

    /// Consumes the start of `bytes` as part of the current message; returns the rest.
    fn message_bytes<'a>(&mut self, bytes: &'a [u8]) -> &'a [u8] {
        if self.remaining == 0 {
            let take = (5 - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..take]);
            if self.header.len() < 5 {
                return &bytes[take..];
            }
            let len = u32::from_be_bytes([
                self.header[1],
                self.header[2],
                self.header[3],
                self.header[4],
            ]) as usize;
            self.remaining = len.saturating_sub(4);
            let kind = self.header[0];
            self.header.clear();
            self.error = (kind == b'E' && self.remaining <= MAX_ERROR)
                .then(|| Vec::with_capacity(self.remaining));
            if self.remaining == 0 {
                self.finish();
            }
            return &bytes[take..];
        }
        let take = self.remaining.min(bytes.len());
        if let Some(body) = &mut self.error {
            body.extend_from_slice(&bytes[..take]);
        }
        self.remaining -= take;
        if self.remaining == 0 {
            self.finish();
        }
        &bytes[take..]
    }

    /// A message ended: note it if it was an error.
    fn finish(&mut self) {
        let Some(body) = self.error.take() else {
            return;
        };
        let mut code = None;
        let mut message = None;
        let mut fields = body.as_slice();
        while let Some((&field, rest)) = fields.split_first() {
            if field == 0 {
                break;
            }
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let value = &rest[..end];
            match field {
                b'C' => code = std::str::from_utf8(value).ok().and_then(SqlState::new),
                b'M' => message = Some(String::from_utf8_lossy(value).into_owned()),
                _ => {}
            }
            fields = rest.get(end + 1..).unwrap_or_default();
        }
        if let (Some(code), Some(message)) = (code, message) {
            note(&message, code);
        }
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Socket::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Socket::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            Socket::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Socket::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Socket::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Wire<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.socket).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.sniffer.read(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Wire<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.socket).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = polled {
            this.sniffer.wrote(&buf[..written]);
        }
        polled
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
