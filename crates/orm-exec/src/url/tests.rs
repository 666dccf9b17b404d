//! Unit tests of URL parsing and redaction.

use super::*;

fn target(url: &str) -> (Target, String) {
    let parsed = DatabaseUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    (parsed.target().clone(), parsed.driver_url().to_owned())
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
    assert_eq!(url.driver_url(), "a.db");
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
    let (t, driver) = target("postgres://u:pw@127.0.0.1:5432/test");
    assert_eq!(t, Target::Server);
    assert_eq!(
        driver,
        "postgres://u:pw@127.0.0.1:5432/test?connect_timeout=10"
    );
    let (_, driver) = target("postgresql://h/db?sslmode=disable&connect_timeout=3");
    assert_eq!(
        driver,
        "postgresql://h/db?sslmode=disable&connect_timeout=3"
    );
    let url = DatabaseUrl::parse("postgres://h/db?connect_timeout=0").unwrap();
    assert_eq!(url.connect_timeout(), None);
    assert_eq!(url.driver_url(), "postgres://h/db?connect_timeout=0");
    assert!(invalid_reason("postgres:db").contains("postgres://"));
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_forms() {
    let (t, driver) = target("mysql://root@127.0.0.1:3306/test");
    assert_eq!(t, Target::Server);
    assert_eq!(driver, "mysql://root@127.0.0.1:3306/test");
    let (_, driver) = target("mariadb://root:pw@h/test?connect_timeout=2&require_ssl=false");
    assert_eq!(driver, "mysql://root:pw@h/test?require_ssl=false");
    assert!(invalid_reason("mysql:test").contains("mysql://"));
}

#[test]
fn unknown_scheme_is_named() {
    match DatabaseUrl::parse("oracle://scott:tiger@db/orcl") {
        Err(Error::UnsupportedBackend { scheme, reason }) => {
            assert_eq!(scheme, "oracle");
            assert!(reason.contains("postgres://"), "{reason}");
        }
        other => panic!("expected UnsupportedBackend, got {other:?}"),
    }
}

#[cfg(not(feature = "postgres"))]
#[test]
fn disabled_postgres_names_the_feature() {
    for url in ["postgres://h/db", "postgresql://h/db"] {
        match DatabaseUrl::parse(url) {
            Err(Error::UnsupportedBackend { reason, .. }) => {
                assert!(
                    reason.contains("enable the `postgres` feature of orm"),
                    "{reason}"
                )
            }
            other => panic!("expected UnsupportedBackend, got {other:?}"),
        }
    }
}

#[cfg(not(feature = "mysql"))]
#[test]
fn disabled_mysql_names_the_feature() {
    for url in ["mysql://h/db", "mariadb://h/db"] {
        match DatabaseUrl::parse(url) {
            Err(Error::UnsupportedBackend { reason, .. }) => {
                assert!(
                    reason.contains("enable the `mysql` feature of orm"),
                    "{reason}"
                )
            }
            other => panic!("expected UnsupportedBackend, got {other:?}"),
        }
    }
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

#[test]
fn passwords_are_redacted() {
    assert_eq!(
        redact("postgres://app:s3cret@db:5432/prod"),
        "postgres://app:***@db:5432/prod"
    );
    assert_eq!(redact("mysql://root@db/test"), "mysql://root@db/test");
    assert_eq!(redact("mysql://a:b:c@d@host/x"), "mysql://a:***@host/x");
    assert_eq!(
        redact("postgres://db/prod?user=a&password=s3cret&x=1"),
        "postgres://db/prod?user=a&password=***&x=1"
    );
    assert_eq!(
        redact("host=db Password=s3cret user=a"),
        "host=db Password=*** user=a"
    );
    assert_eq!(redact("sqlite:///tmp/a@b.db"), "sqlite:///tmp/a@b.db");
    assert_eq!(
        redact("postgres://db/x?nopassword=1"),
        "postgres://db/x?nopassword=1"
    );
    let err = DatabaseUrl::parse("postgres://app:s3cret@db/x?connect_timeout=x").unwrap_err();
    assert!(!err.to_string().contains("s3cret"), "{err}");
    let parsed = DatabaseUrl::parse("mysql://root:s3cret@db/x");
    if let Ok(url) = parsed {
        assert!(format!("{url:?} {url}").contains("root:***@db"), "{url:?}");
        assert!(!format!("{url:?} {url}").contains("s3cret"), "{url:?}");
    }
}

#[cfg(feature = "sqlite")]
#[test]
fn pool_parameters_never_reach_the_driver() {
    let url = DatabaseUrl::parse("sqlite://app.db?max_connections=3&acquire_timeout=0.5&mode=rwc")
        .unwrap();
    assert_eq!(url.max_connections(), Some(3));
    assert_eq!(url.acquire_timeout(), Some(Duration::from_millis(500)));
    assert_eq!(url.driver_url(), "file:app.db?mode=rwc");
    let url = DatabaseUrl::parse("sqlite://app.db?acquire_timeout=30").unwrap();
    assert_eq!(url.driver_url(), "app.db");
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
