//! TLS on the server backends, against the local PostgreSQL and MariaDB that
//! `.ci/tls-setup` serves a test certificate from: every `sslmode` / `ssl-mode`, through
//! the blocking `Connection` and the async `Database`.
//!
//! The server certificate is signed by the CA in `ORM_TEST_TLS_CA` and names
//! `DNS:localhost` only: connecting to `localhost` matches it, connecting to `127.0.0.1`
//! does not (a host-name mismatch without any DNS change). `ORM_TEST_TLS_OTHER_CA` is an
//! unrelated CA. A server without TLS is a small proxy in front of the real one that says
//! "no TLS" (PostgreSQL: answers the SSLRequest with `N`; MySQL: clears the TLS flag in
//! the server's greeting) and then passes the session through, so `prefer` can fall back
//! on a real session and `require` must refuse it.
//!
//! Without `ORM_TEST_TLS_CA` the tests print a skip line and pass, unless
//! `ORM_REQUIRE_ALL_BACKENDS=1`, as with the server URLs.

// With only SQLite enabled the server tests are compiled out, and their helpers unused.
#![cfg_attr(
    not(any(feature = "postgres", feature = "mysql")),
    allow(dead_code, unused_macros)
)]

use std::time::{Duration, Instant};

use orm_exec::{Backend, Connection, ConnectionCause, Database, Error};

use crate::support;

/// A password no error may show (the local servers do not ask for one before TLS fails).
const PASSWORD: &str = "tls-s3cret";

/// The variable naming the test CA's certificate (set by `.ci/tls-setup`).
const CA_VAR: &str = "ORM_TEST_TLS_CA";
/// The variable naming an unrelated CA's certificate.
const OTHER_CA_VAR: &str = "ORM_TEST_TLS_OTHER_CA";

/// One backend's TLS test setting.
struct Tls {
    backend: Backend,
    /// The server URL from the environment.
    base: String,
    ca: String,
    other_ca: String,
}

impl Tls {
    /// The setting for `backend`, or `None` (skip) without a server URL or the CA.
    fn new(backend: Backend) -> Option<Tls> {
        let base = support::server_url(backend)?;
        let ca = match std::env::var(CA_VAR) {
            Ok(ca) if !ca.trim().is_empty() => ca,
            _ if support::require_all_backends() => panic!(
                "{CA_VAR} is not set, but ORM_REQUIRE_ALL_BACKENDS=1 requires the TLS tests \
                 (run .ci/tls-setup)"
            ),
            _ => {
                println!("skipped: {CA_VAR} not set (run .ci/tls-setup)");
                return None;
            }
        };
        let other_ca = std::env::var(OTHER_CA_VAR).expect("ORM_TEST_TLS_OTHER_CA with the CA");
        Some(Tls {
            backend,
            base,
            ca,
            other_ca,
        })
    }

    /// The server URL with `host` (and `port`, when given) in place of its host, the
    /// password when `password`, and the query `query`.
    fn url(&self, host: &str, port: Option<u16>, password: bool, query: &str) -> String {
        let (scheme, rest) = self.base.split_once("://").unwrap();
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = path.split('?').next().unwrap();
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((user, hostport)) => (Some(user.split(':').next().unwrap()), hostport),
            None => (None, authority),
        };
        let port = port.map_or_else(
            || hostport.rsplit_once(':').map_or("", |(_, p)| p).to_owned(),
            |p| p.to_string(),
        );
        let userinfo = match (user, password) {
            (Some(user), true) => format!("{user}:{PASSWORD}@"),
            (Some(user), false) => format!("{user}@"),
            (None, true) => format!("root:{PASSWORD}@"),
            (None, false) => String::new(),
        };
        let port = if port.is_empty() {
            String::new()
        } else {
            format!(":{port}")
        };
        format!("{scheme}://{userinfo}{host}{port}{path}?connect_timeout=5&{query}")
    }

    /// The server URL at `host` (on its own port), with the password when `password`, in
    /// the TLS mode `mode` with the root certificate parameter `root`.
    fn rooted(&self, host: &str, password: bool, mode: &str, root: &str) -> String {
        self.url(host, None, password, &format!("{}&{root}", self.mode(mode)))
    }

    /// The port of the server URL.
    fn port(&self) -> u16 {
        let url = orm_exec::url::DatabaseUrl::parse(&self.base).unwrap();
        let default = if self.backend == Backend::Postgres {
            5432
        } else {
            3306
        };
        url.server().unwrap().hosts()[0].port.unwrap_or(default)
    }

    /// The mode parameter as this backend's users write it.
    fn mode(&self, mode: &str) -> String {
        let mysql = match mode {
            "disable" => "DISABLED",
            "prefer" => "PREFERRED",
            "require" => "REQUIRED",
            "verify-ca" => "VERIFY_CA",
            "verify-full" => "VERIFY_IDENTITY",
            other => other,
        };
        match self.backend {
            Backend::Mysql => format!("ssl-mode={mysql}"),
            _ => format!("sslmode={mode}"),
        }
    }

    /// The root certificate parameter.
    fn root(&self, path: &str) -> String {
        match self.backend {
            Backend::Mysql => format!("ssl-ca={path}"),
            _ => format!("sslrootcert={path}"),
        }
    }

    fn root_parameter(&self) -> &'static str {
        match self.backend {
            Backend::Mysql => "ssl-ca",
            _ => "sslrootcert",
        }
    }

    /// Whether the session runs over TLS, according to the server.
    fn encrypted_expr(&self) -> &'static str {
        match self.backend {
            Backend::Mysql => {
                "CAST(COUNT(*) AS SIGNED) FROM information_schema.SESSION_STATUS \
                 WHERE VARIABLE_NAME = 'SSL_CIPHER' AND VARIABLE_VALUE <> ''"
            }
            _ => {
                "CAST(CASE WHEN ssl THEN 1 ELSE 0 END AS BIGINT) FROM pg_stat_ssl \
                 WHERE pid = pg_backend_pid()"
            }
        }
    }

    /// Connects blocking and async; whether each session is encrypted, or the errors.
    fn connect_both(&self, url: &str) -> [Result<bool, Error>; 2] {
        let expr = self.encrypted_expr();
        let blocking = Connection::establish(url)
            .map(|mut conn| crate::connect::scalar_i64(&mut conn, expr) == 1);
        let nonblocking = crate::async_support::current_thread().block_on(async {
            let db = Database::connect(url).await?;
            let mut conn = db.get().await?;
            Ok(crate::async_support::scalar_i64(&mut conn, expr).await == 1)
        });
        [blocking, nonblocking]
    }

    /// Both forms connect, encrypted or not as `encrypted` says.
    fn connects(&self, url: &str, encrypted: bool) {
        for (form, outcome) in ["blocking", "async"].iter().zip(self.connect_both(url)) {
            match outcome {
                Ok(tls) => assert_eq!(tls, encrypted, "{form} {url}: encrypted"),
                Err(e) => panic!("{form} {url}: {e}"),
            }
        }
    }

    /// Both forms fail with `Error::Connection` of `cause`, within the connect timeout,
    /// without the password.
    fn refused(&self, url: &str, cause: ConnectionCause) {
        let started = Instant::now();
        for (form, outcome) in ["blocking", "async"].iter().zip(self.connect_both(url)) {
            let err = outcome.expect_err(url);
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(PASSWORD), "{form}: {shown}");
            assert_eq!(err.connection_cause(), Some(cause), "{form} {url}: {shown}");
            assert!(
                matches!(&err, Error::Connection { backend, .. } if *backend == self.backend),
                "{shown}"
            );
            println!("{form}: {err}");
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{url}");
    }

    /// Both forms fail with `Error::InvalidParameter` naming `parameter`.
    fn invalid(&self, url: &str, parameter: &str) {
        for (form, outcome) in ["blocking", "async"].iter().zip(self.connect_both(url)) {
            match outcome {
                Err(Error::InvalidParameter {
                    parameter: p,
                    url_redacted,
                    reason,
                }) => {
                    assert_eq!(p, parameter, "{form} {url}: {reason}");
                    assert!(!url_redacted.contains(PASSWORD), "{url_redacted}");
                    assert!(!reason.contains(PASSWORD), "{reason}");
                    println!("{form}: {parameter}: {reason}");
                }
                other => panic!("{form} {url}: expected InvalidParameter, got {other:?}"),
            }
        }
    }
}

/// Runs `test` on the backend when its server and the test CA are there.
fn on(backend: Backend, test: impl FnOnce(&Tls)) {
    if let Some(tls) = Tls::new(backend) {
        test(&tls);
    }
}

/// Every mode that connects, blocking and async: `disable` plain, the others encrypted;
/// `verify-ca` to 127.0.0.1 (a name the certificate does not hold), `verify-full` to
/// localhost (the name it holds).
fn modes_that_connect(t: &Tls) {
    let local = |password: bool, q: &str| t.url("127.0.0.1", None, password, q);
    t.connects(&local(false, &t.mode("disable")), false);
    t.connects(&local(false, ""), true);
    t.connects(&local(false, &t.mode("prefer")), true);
    t.connects(&local(false, &t.mode("require")), true);
    let ca = t.root(&t.ca);
    t.connects(&t.rooted("127.0.0.1", false, "verify-ca", &ca), true);
    t.connects(&t.rooted("localhost", false, "verify-full", &ca), true);
    // libpq's require with a root certificate checks the chain; the mysql client's ssl-ca
    // alone means VERIFY_CA: either way the chain, not the name.
    t.connects(&t.rooted("127.0.0.1", false, "require", &ca), true);
    t.connects(&local(false, &ca), true);
}

/// Every certificate problem is its own cause, on both forms.
fn certificate_problems(t: &Tls) {
    let ca = t.root(&t.ca);
    let other = t.root(&t.other_ca);
    // The certificate names localhost, not 127.0.0.1.
    t.refused(
        &t.rooted("127.0.0.1", true, "verify-full", &ca),
        ConnectionCause::HostNameMismatch,
    );
    // Signed by another CA than the one trusted.
    for mode in ["verify-ca", "verify-full"] {
        t.refused(
            &t.rooted("localhost", true, mode, &other),
            ConnectionCause::UntrustedCertificate,
        );
    }
    // No root certificate file: the web roots, which do not hold the test CA.
    t.refused(
        &t.url("localhost", None, true, &t.mode("verify-full")),
        ConnectionCause::UntrustedCertificate,
    );
}

/// Bad TLS parameters are `Error::InvalidParameter` naming the parameter.
fn bad_parameters(t: &Tls) {
    let mode_parameter = if t.backend == Backend::Mysql {
        "ssl-mode"
    } else {
        "sslmode"
    };
    t.invalid(
        &t.url("localhost", None, true, &t.mode("sometimes")),
        mode_parameter,
    );
    let not_pem = std::env::temp_dir().join(format!("orm-not-a-cert-{}.pem", std::process::id()));
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    for root in [
        "/nonexistent/orm-test-ca.pem".into(),
        not_pem.display().to_string(),
    ] {
        let url = t.rooted("localhost", true, "verify-full", &t.root(&root));
        t.invalid(&url, t.root_parameter());
    }
    let _ = std::fs::remove_file(not_pem);
}

/// A server without TLS (the proxy): `prefer` falls back to a plain session, every mode
/// that requires TLS refuses to connect.
fn server_without_tls(t: &Tls) {
    let port = no_tls_proxy(t.backend, t.port());
    t.connects(&t.url("127.0.0.1", Some(port), false, ""), false);
    t.connects(
        &t.url("127.0.0.1", Some(port), false, &t.mode("prefer")),
        false,
    );
    let ca = t.root(&t.ca);
    for query in [
        t.mode("require"),
        format!("{}&{ca}", t.mode("verify-ca")),
        format!("{}&{ca}", t.mode("verify-full")),
    ] {
        t.refused(
            &t.url("localhost", Some(port), true, &query),
            ConnectionCause::TlsNotOffered,
        );
    }
}

/// The tests above, each a `#[test]` of that name running it on `backend`.
macro_rules! tls_tests {
    (@each $backend:expr, $($test:ident),+) => {$(
        #[test]
        fn $test() {
            on($backend, super::$test);
        }
    )+};
    ($backend:expr) => {
        tls_tests!(
            @each $backend,
            modes_that_connect,
            certificate_problems,
            bad_parameters,
            server_without_tls
        );
    };
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;

    tls_tests!(Backend::Postgres);

    /// The SQLSTATEs diesel-async drops are read off the decrypted stream: on a
    /// `sslmode=require` session a division by zero keeps its code (22012), and a session
    /// the server terminates (57P01) is `Error::Connection`, blocking and async.
    #[test]
    fn sqlstates_survive_tls() {
        on(Backend::Postgres, |t| {
            let url = t.url("127.0.0.1", None, false, &t.mode("require"));
            let mut conn = Connection::establish(&url).unwrap();
            let encrypted = crate::connect::scalar_i64(&mut conn, t.encrypted_expr());
            let outcomes = [conn.execute(DIVIDE_BY_ZERO), conn.execute(TERMINATE)];
            assert_sqlstates_kept("blocking", encrypted, outcomes);

            let (encrypted, outcomes) = crate::async_support::current_thread().block_on(async {
                let db = Database::connect(&url).await.unwrap();
                let mut conn = db.get().await.unwrap();
                let encrypted =
                    crate::async_support::scalar_i64(&mut conn, t.encrypted_expr()).await;
                let divided = conn.execute(DIVIDE_BY_ZERO).await;
                (encrypted, [divided, conn.execute(TERMINATE).await])
            });
            assert_sqlstates_kept("async", encrypted, outcomes);
        });
    }

    const DIVIDE_BY_ZERO: &str = "SELECT 1/0";
    const TERMINATE: &str = "SELECT pg_terminate_backend(pg_backend_pid())";

    /// The session was encrypted (`encrypted` is 1), [`DIVIDE_BY_ZERO`] failed with its
    /// SQLSTATE 22012, and [`TERMINATE`] with `Error::Connection` (57P01).
    fn assert_sqlstates_kept(form: &str, encrypted: i64, outcomes: [orm_exec::Result<usize>; 2]) {
        assert_eq!(encrypted, 1, "{form}: encrypted");
        let [divided, terminated] = outcomes.map(Result::unwrap_err);
        let code = divided.code().map(|c| c.sqlstate());
        assert_eq!(code, Some("22012"), "{form}: {divided:?}");
        assert!(
            matches!(terminated, Error::Connection { .. }),
            "{form}: 57P01 over TLS: {terminated:?}"
        );
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use super::*;

    tls_tests!(Backend::Mysql);
}

/// Starts a proxy on 127.0.0.1 in front of the local server's `upstream` port that tells
/// clients the server has no TLS, then passes the session through unchanged; returns its
/// port. It runs on a thread of its own for the rest of the test binary.
fn no_tls_proxy(backend: Backend, upstream: u16) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = crate::async_support::current_thread();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let mut server = tokio::net::TcpStream::connect(("127.0.0.1", upstream))
                        .await
                        .unwrap();
                    if backend == Backend::Postgres {
                        // The client's first 8 bytes: an SSLRequest gets "N", anything
                        // else (a startup message) goes on to the server.
                        let mut first = [0u8; 8];
                        if client.read_exact(&mut first).await.is_err() {
                            return;
                        }
                        if first == [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f] {
                            client.write_all(b"N").await.unwrap();
                        } else {
                            server.write_all(&first).await.unwrap();
                        }
                    } else {
                        // The server's greeting, with CLIENT_SSL (0x800) cleared in the
                        // lower capability flags (after the protocol version, the
                        // NUL-terminated version string, the thread id and 9 bytes).
                        let mut header = [0u8; 4];
                        server.read_exact(&mut header).await.unwrap();
                        let len = u32::from_le_bytes([header[0], header[1], header[2], 0]);
                        let mut payload = vec![0u8; len as usize];
                        server.read_exact(&mut payload).await.unwrap();
                        let nul = payload[1..].iter().position(|&b| b == 0).unwrap() + 1;
                        let caps = nul + 1 + 4 + 9;
                        payload[caps + 1] &= !0x08;
                        client.write_all(&header).await.unwrap();
                        client.write_all(&payload).await.unwrap();
                    }
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
    });
    port
}
