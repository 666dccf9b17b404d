//! Unit tests of URL parsing, TLS parameters and password masking.

use super::*;

fn target(url: &str) -> (Target, String) {
    let parsed = DatabaseUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    (
        parsed.target().clone(),
        parsed.sqlite_driver_url().unwrap_or_default().to_owned(),
    )
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
fn server(url: &str) -> ServerOptions {
    let parsed = DatabaseUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    assert_eq!(parsed.target(), &Target::Server);
    parsed.server().unwrap().clone()
}

fn invalid_reason(url: &str) -> String {
    match DatabaseUrl::parse(url) {
        Err(Error::InvalidUrl {
            reason,
            url_redacted,
        }) => {
            assert!(!url_redacted.contains("s3cret"), "{url_redacted}");
            reason
        }
        other => panic!("{url}: expected InvalidUrl, got {other:?}"),
    }
}

/// The parameter and reason of the `InvalidParameter` error `url` is refused with; the
/// URL shown in it must not show the password `s3cret`.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn invalid_parameter(url: &str) -> (String, String) {
    match DatabaseUrl::parse(url) {
        Err(Error::InvalidParameter {
            parameter,
            url_redacted,
            reason,
        }) => {
            assert!(!url_redacted.contains("s3cret"), "{url_redacted}");
            (parameter, reason)
        }
        other => panic!("{url}: expected InvalidParameter, got {other:?}"),
    }
}

/// The scheme of a server backend compiled in: `postgres`, else `mysql`.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn server_scheme() -> &'static str {
    if cfg!(feature = "postgres") {
        "postgres"
    } else {
        "mysql"
    }
}

/// The scheme and reason of the `UnsupportedBackend` error `url` is refused with.
fn unsupported(url: &str) -> (String, String) {
    match DatabaseUrl::parse(url) {
        Err(Error::UnsupportedBackend { scheme, reason }) => (scheme, reason),
        other => panic!("{url}: expected UnsupportedBackend, got {other:?}"),
    }
}

/// Checks that each of `urls`, of a backend whose cargo feature is off, is refused with a
/// reason that names `feature`.
#[cfg(not(all(feature = "postgres", feature = "mysql")))]
fn names_the_feature(urls: [&str; 2], feature: &str) {
    let wanted = format!("enable the `{feature}` feature of orm");
    for url in urls {
        let (_, reason) = unsupported(url);
        assert!(reason.contains(&wanted), "{reason}");
    }
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_forms() {
    assert_eq!(
        target("sqlite::memory:"),
        (Target::Memory, ":memory:".into())
    );
    assert_eq!(
        target("sqlite://:memory:"),
        (Target::Memory, ":memory:".into())
    );
    assert_eq!(target("SQLite://:memory:").0, Target::Memory);
    assert_eq!(
        target("sqlite://data/app.db"),
        (Target::File("data/app.db".into()), "data/app.db".into())
    );
    assert_eq!(
        target("sqlite:///tmp/app.db"),
        (Target::File("/tmp/app.db".into()), "/tmp/app.db".into())
    );
    assert_eq!(
        target("sqlite:app.db"),
        (Target::File("app.db".into()), "app.db".into())
    );
    assert_eq!(
        target("sqlite:///tmp/my%20app.db"),
        (
            Target::File("/tmp/my app.db".into()),
            "/tmp/my app.db".into()
        )
    );
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_parameters_become_a_uri() {
    assert_eq!(
        target("sqlite:///tmp/a.db?mode=ro&connect_timeout=3"),
        (
            Target::File("/tmp/a.db".into()),
            "file:/tmp/a.db?mode=ro".into()
        )
    );
    assert_eq!(
        target("sqlite://:memory:?cache=shared"),
        (Target::Memory, "file::memory:?cache=shared".into())
    );
    let url = DatabaseUrl::parse("sqlite://a.db?connect_timeout=3").unwrap();
    assert_eq!(url.connect_timeout(), Some(Duration::from_secs(3)));
    assert_eq!(url.sqlite_driver_url(), Some("a.db"));
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_without_path_is_invalid() {
    assert!(invalid_reason("sqlite://").contains("missing database path"));
    assert!(invalid_reason("sqlite:").contains("missing database path"));
    assert!(invalid_reason("sqlite://a%zz.db").contains("percent"));
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_forms() {
    let opts = server("postgres://u:pw@127.0.0.1:5432/test");
    assert_eq!(opts.user(), Some("u"));
    assert_eq!(opts.password().map(Password::expose), Some("pw"));
    assert_eq!(opts.database(), Some("test"));
    assert_eq!(
        opts.hosts(),
        &[Host {
            name: "127.0.0.1".into(),
            port: Some(5432)
        }]
    );
    assert_eq!(opts.tls().mode(), TlsMode::Prefer);
    assert!(opts.params().is_empty());

    let opts = server("postgresql://a,[::1]:5433,b/db?sslmode=disable&application_name=x%20y");
    assert_eq!(opts.hosts().len(), 3);
    assert_eq!(opts.hosts()[1].name, "::1");
    assert_eq!(opts.hosts()[1].port, Some(5433));
    assert_eq!(opts.tls().mode(), TlsMode::Disable);
    assert_eq!(
        opts.params(),
        &[("application_name".to_owned(), "x y".to_owned())]
    );
    let url = DatabaseUrl::parse("postgres://h/db?connect_timeout=0").unwrap();
    assert_eq!(url.connect_timeout(), None);
    assert!(url.server().unwrap().params().is_empty());
    assert!(invalid_reason("postgres:db").contains("postgres://"));
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_tls_parameters() {
    let mode = |q: &str| server(&format!("postgres://h/db?{q}")).tls().mode();
    assert_eq!(mode("sslmode=prefer"), TlsMode::Prefer);
    assert_eq!(mode("sslmode=require"), TlsMode::Require);
    assert_eq!(mode("sslmode=verify-ca"), TlsMode::VerifyCa);
    assert_eq!(mode("sslmode=verify-full"), TlsMode::VerifyFull);
    // libpq: require with a root certificate checks the chain.
    assert_eq!(
        mode("sslmode=require&sslrootcert=/ca.pem"),
        TlsMode::VerifyCa
    );
    assert_eq!(mode("sslrootcert=/ca.pem"), TlsMode::Prefer);
    let opts = server("postgres://h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem");
    assert_eq!(
        opts.tls().root_cert(),
        Some(std::path::Path::new("/etc/ca.pem"))
    );
    assert!(opts.params().is_empty());
    for bad in [
        "sslmode=always",
        "sslmode=REQUIRE",
        "sslmode=",
        "sslrootcert=",
    ] {
        let (parameter, reason) = invalid_parameter(&format!("postgres://u:s3cret@h/db?{bad}"));
        assert_eq!(parameter, bad.split('=').next().unwrap());
        assert!(!reason.is_empty());
    }
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_forms() {
    let opts = server("mysql://root@127.0.0.1:3306/test");
    assert_eq!(opts.user(), Some("root"));
    assert_eq!(opts.password(), None);
    assert_eq!(opts.tls().mode(), TlsMode::Prefer);
    let opts = server("mariadb://root:pw@h/test?connect_timeout=2&stmt_cache_size=3");
    assert_eq!(opts.password().map(Password::expose), Some("pw"));
    assert_eq!(
        opts.params(),
        &[("stmt_cache_size".to_owned(), "3".to_owned())]
    );
    assert!(invalid_reason("mysql:test").contains("mysql://"));
    assert!(invalid_reason("mysql://a,b/test").contains("one host"));
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_tls_parameters() {
    let mode = |q: &str| server(&format!("mysql://h/db?{q}")).tls().mode();
    assert_eq!(mode("ssl-mode=DISABLED"), TlsMode::Disable);
    assert_eq!(mode("ssl-mode=preferred"), TlsMode::Prefer);
    assert_eq!(mode("ssl-mode=REQUIRED"), TlsMode::Require);
    assert_eq!(mode("ssl-mode=VERIFY_CA"), TlsMode::VerifyCa);
    assert_eq!(mode("ssl-mode=VERIFY_IDENTITY"), TlsMode::VerifyFull);
    // The mysql client: ssl-ca alone means VERIFY_CA; REQUIRED stays REQUIRED.
    assert_eq!(mode("ssl-ca=/ca.pem"), TlsMode::VerifyCa);
    assert_eq!(mode("ssl-mode=REQUIRED&ssl-ca=/ca.pem"), TlsMode::Require);
    for (bad, parameter) in [
        ("ssl-mode=ON", "ssl-mode"),
        ("ssl-ca=", "ssl-ca"),
        ("require_ssl=true", "require_ssl"),
        ("verify_identity=true", "verify_identity"),
    ] {
        let (p, _) = invalid_parameter(&format!("mysql://u:s3cret@h/db?{bad}"));
        assert_eq!(p, parameter);
    }
}

#[test]
fn unknown_scheme_is_named() {
    let (scheme, reason) = unsupported("oracle://scott:tiger@db/orcl");
    assert_eq!(scheme, "oracle");
    assert!(reason.contains("postgres://"), "{reason}");
}

#[cfg(not(feature = "postgres"))]
#[test]
fn disabled_postgres_names_the_feature() {
    names_the_feature(["postgres://h/db", "postgresql://h/db"], "postgres");
}

#[cfg(not(feature = "mysql"))]
#[test]
fn disabled_mysql_names_the_feature() {
    names_the_feature(["mysql://h/db", "mariadb://h/db"], "mysql");
}

#[test]
fn malformed_urls_are_invalid() {
    assert!(invalid_reason("").contains("empty"));
    assert!(invalid_reason("   ").contains("empty"));
    assert!(invalid_reason("just-a-file.db").contains("missing scheme"));
    assert!(invalid_reason("/abs/path.db").contains("missing scheme"));
    assert!(invalid_reason("host=db password=s3cret").contains("missing scheme"));
    let enabled = if cfg!(feature = "sqlite") {
        "sqlite://a.db"
    } else if cfg!(feature = "postgres") {
        "postgres://h/db"
    } else {
        "mysql://h/db"
    };
    assert!(invalid_reason(&format!("{enabled}?connect_timeout=soon")).contains("connect_timeout"));
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
#[test]
fn passwords_are_masked_by_structure() {
    let scheme = server_scheme();
    let parsed = DatabaseUrl::parse(&format!("{scheme}://app:s3cret@db:5432/prod")).unwrap();
    assert_eq!(
        parsed.to_string(),
        format!("{scheme}://app:***@db:5432/prod")
    );
    let shown = format!("{parsed:?} {parsed} {:?}", parsed.server());
    assert!(!shown.contains("s3cret"), "{shown}");
    let parsed =
        DatabaseUrl::parse(&format!("{scheme}://db/prod?user=a&password=s3cret&x=1")).unwrap();
    assert_eq!(
        parsed.to_string(),
        format!("{scheme}://db/prod?user=a&password=***&x=1")
    );
    assert_eq!(
        parsed.server().unwrap().password().map(Password::expose),
        Some("s3cret")
    );
    // Every special character, percent-encoded: decoded into the password, never shown.
    let parsed = DatabaseUrl::parse(&format!("{scheme}://app:p%2F%23%3F%40%25w@db/x")).unwrap();
    assert_eq!(
        parsed.server().unwrap().password().map(Password::expose),
        Some("p/#?@%w")
    );
    let shown = format!("{parsed:?} {parsed}");
    assert!(!shown.contains("p%2F") && !shown.contains("p/#"), "{shown}");
    let err =
        DatabaseUrl::parse(&format!("{scheme}://app:s3cret@db/x?connect_timeout=x")).unwrap_err();
    assert!(!format!("{err} {err:?}").contains("s3cret"), "{err}");
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
#[test]
fn ambiguous_urls_are_refused_without_showing_them() {
    let scheme = server_scheme();
    for (password, problem) in [
        ("s3/cret", "`@`"),
        ("s3?cret", "`@`"),
        ("s3#cret", "`#`"),
        ("s3@cret", "more than one `@`"),
        ("s3%zzcret", "percent"),
    ] {
        let url = format!("{scheme}://app:{password}@db:5432/x");
        match DatabaseUrl::parse(&url) {
            Err(err @ Error::InvalidUrl { .. }) => {
                let shown = format!("{err} {err:?}");
                assert!(shown.contains(problem), "{password}: {shown}");
                for part in ["s3", "cret"] {
                    assert!(!shown.contains(part), "{password}: {shown}");
                }
            }
            other => panic!("{password}: expected InvalidUrl, got {other:?}"),
        }
    }
    // A password without `@` where the host should be: the port is refused, not quoted.
    let err = DatabaseUrl::parse(&format!("{scheme}://app:s3cret/x")).unwrap_err();
    assert!(!format!("{err} {err:?}").contains("s3cret"), "{err:?}");
}

#[cfg(feature = "sqlite")]
#[test]
fn pool_parameters_never_reach_the_driver() {
    let url = DatabaseUrl::parse("sqlite://app.db?max_connections=3&acquire_timeout=0.5&mode=rwc")
        .unwrap();
    assert_eq!(url.max_connections(), Some(3));
    assert_eq!(url.acquire_timeout(), Some(Duration::from_millis(500)));
    assert_eq!(url.sqlite_driver_url(), Some("file:app.db?mode=rwc"));
    let url = DatabaseUrl::parse("sqlite://app.db?acquire_timeout=30").unwrap();
    assert_eq!(url.sqlite_driver_url(), Some("app.db"));
    assert_eq!(url.max_connections(), None);
    assert_eq!(url.acquire_timeout(), Some(Duration::from_secs(30)));

    for bad in [
        "max_connections=0",
        "max_connections=x",
        "acquire_timeout=-1",
    ] {
        let reason = invalid_reason(&format!("sqlite://app.db?{bad}"));
        assert!(reason.contains(bad.split('=').next().unwrap()), "{reason}");
    }
}
