//! A password is never printed: passwords holding `/`, `#`, `?`, `@` and `%`, written
//! unencoded and percent-encoded, go to every entry point (`DatabaseUrl::parse`,
//! `Connection::establish`, `Database::connect`, `BlockingPool`, and the builders' `Debug`)
//! on both server backends, with a user the server refuses and with the real one; the
//! `Display` and `Debug` of every result and error (and of its sources), and every
//! `tracing` event emitted meanwhile, from any crate at any level, must hold neither the
//! password nor its encoded form nor either half of it.
//!
//! `.ci/password-setup` adds a user each server asks a password of
//! (`ORM_TEST_SECRET_USER`, `ORM_TEST_SECRET_PASSWORD`, which holds `/#?@%:`): wrong
//! passwords are refused for it, and its right password, percent-encoded in the URL,
//! connects through every entry point (on PostgreSQL by SCRAM over TLS), so the password
//! reaches the server intact. Skipped without those variables unless
//! `ORM_REQUIRE_ALL_BACKENDS=1`.

// With only SQLite enabled the server tests are compiled out, and their helpers unused.
#![cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]

use std::fmt::Write as _;
use std::time::Duration;

use orm_exec::url::DatabaseUrl;
use orm_exec::{Backend, BlockingPool, Connection, Database};

use crate::support;

/// The two halves every test password is built around: distinctive enough that finding
/// either one anywhere means a (partial) leak.
const HALVES: [&str; 2] = ["Lk7qWz", "Vx2mQj"];

/// The characters between the halves: each one alone, then all together, then a `%`
/// sequence that decodes.
const MIDDLES: [&str; 8] = ["/", "#", "?", "@", "%", "%41", "/#?@%", ":"];

/// Percent-encodes everything but letters and digits.
fn encode(text: &str) -> String {
    text.bytes().fold(String::new(), |mut out, b| {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
        out
    })
}

/// `url` with `user:password` as its user info.
fn with_userinfo(url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user}:{password}@{rest}")
}

/// Everything each entry point shows for `url`, as text; the tracing events are
/// collected around it.
fn everything_shown(url: &str) -> String {
    let mut shown = String::new();
    let mut note = |what: &str, text: String| {
        let _ = writeln!(shown, "{what}: {text}");
    };
    match DatabaseUrl::parse(url) {
        Ok(parsed) => note(
            "parse",
            format!("{parsed} {parsed:?} {:?}", parsed.server()),
        ),
        Err(e) => note("parse", error_text(&e)),
    }
    note("masked", orm_exec::url::masked(url));
    match Connection::establish(url) {
        Ok(conn) => note("establish", format!("{conn:?}")),
        Err(e) => note("establish", error_text(&e)),
    }
    note("database builder", format!("{:?}", Database::builder(url)));
    let nonblocking = crate::async_support::current_thread().block_on(async {
        match Database::connect(url).await {
            Ok(db) => {
                let got = db.get().await.map(|c| format!("{c:?}"));
                format!("{db:?} {:?}", got.map_err(|e| error_text(&e)))
            }
            Err(e) => error_text(&e),
        }
    });
    note("database", nonblocking);
    let builder = BlockingPool::builder(url).acquire_timeout(Duration::from_millis(500));
    note("blocking pool builder", format!("{builder:?}"));
    match builder.build() {
        Ok(pool) => {
            let got = pool.get().map(|c| format!("{c:?}"));
            note(
                "blocking pool",
                format!("{pool:?} {:?}", got.map_err(|e| error_text(&e))),
            );
        }
        Err(e) => note("blocking pool", error_text(&e)),
    }
    shown
}

/// An error's `Display` and `Debug`, and those of every source.
fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = format!("{err} {err:?}");
    let mut source = err.source();
    while let Some(cause) = source {
        let _ = write!(text, " / {cause} {cause:?}");
        source = cause.source();
    }
    text
}

/// The password-checked user `.ci/password-setup` made, and its password.
fn secret_user() -> Option<(String, String)> {
    match (
        std::env::var("ORM_TEST_SECRET_USER"),
        std::env::var("ORM_TEST_SECRET_PASSWORD"),
    ) {
        (Ok(user), Ok(password)) if !user.is_empty() => Some((user, password)),
        _ if support::require_all_backends() => panic!(
            "ORM_TEST_SECRET_USER / ORM_TEST_SECRET_PASSWORD are not set, but \
             ORM_REQUIRE_ALL_BACKENDS=1 requires them (run .ci/password-setup)"
        ),
        _ => {
            println!("skipped: ORM_TEST_SECRET_USER not set (run .ci/password-setup)");
            None
        }
    }
}

/// Feeds every password, unencoded and encoded, with `user` (and the password-checked
/// user), to every entry point.
fn no_password_shown(backend: Backend, users: &[&str]) {
    let Some(base) = support::server_url(backend) else {
        return;
    };
    let mut users: Vec<String> = users.iter().map(|u| (*u).to_owned()).collect();
    users.extend(secret_user().map(|(user, _)| user));
    for user in &users {
        for middle in MIDDLES {
            let password = format!("{}{middle}{}", HALVES[0], HALVES[1]);
            let encoded = encode(&password);
            for written in [password.clone(), encoded.clone()] {
                let url = crate::async_support::with_param(
                    &with_userinfo(&base, user, &written),
                    "connect_timeout=5",
                );
                let mut shown = String::new();
                let events = crate::tracing::capture_all(|| shown = everything_shown(&url));
                for event in &events {
                    let _ = writeln!(shown, "event {}: {:?}", event.target, event.fields);
                }
                for needle in [password.as_str(), encoded.as_str(), HALVES[0], HALVES[1]] {
                    assert!(
                        !shown.contains(needle),
                        "{backend} {user} {written}: `{needle}` shown in\n{shown}"
                    );
                }
                // Something was shown: the entry points ran, and their errors say why.
                assert!(shown.contains("establish: "), "{shown}");
                println!(
                    "{backend} {user} {middle}: {} events\n{shown}",
                    events.len()
                );
            }
        }
    }
}

/// The password-checked user's right password, percent-encoded: every entry point
/// connects, and nothing shows the password.
fn right_password_connects(backend: Backend) {
    let (Some(base), Some((user, password))) = (support::server_url(backend), secret_user()) else {
        return;
    };
    let encoded = encode(&password);
    let url = crate::async_support::with_param(
        &with_userinfo(&base, &user, &encoded),
        "connect_timeout=5",
    );
    let mut shown = String::new();
    let events = crate::tracing::capture_all(|| {
        let conn = Connection::establish(&url).unwrap_or_else(|e| panic!("establish: {e}"));
        let _ = writeln!(shown, "{conn:?}");
        crate::async_support::current_thread().block_on(async {
            let db = Database::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("Database::connect: {e}"));
            let conn = db.get().await.unwrap_or_else(|e| panic!("get: {e}"));
            let _ = writeln!(shown, "{db:?} {conn:?}");
        });
        let pool = BlockingPool::connect(&url).unwrap();
        let conn = pool
            .get()
            .unwrap_or_else(|e| panic!("BlockingPool::get: {e}"));
        let _ = writeln!(shown, "{pool:?} {conn:?} {:?}", BlockingPool::builder(&url));
        let parsed = DatabaseUrl::parse(&url).unwrap();
        assert_eq!(
            parsed.server().unwrap().password().map(|p| p.expose()),
            Some(password.as_str())
        );
        let _ = writeln!(shown, "{parsed} {parsed:?} {:?}", parsed.server());
    });
    for event in &events {
        let _ = writeln!(shown, "event {}: {:?}", event.target, event.fields);
    }
    let (first, second) = password.split_at(password.len() / 2);
    for needle in [password.as_str(), encoded.as_str(), first, second] {
        assert!(!shown.contains(needle), "`{needle}` shown in\n{shown}");
    }
    assert!(shown.contains(":***@"), "{shown}");
    println!("{backend}: {} events\n{shown}", events.len());
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_right_password_connects() {
    right_password_connects(Backend::Postgres);
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_right_password_connects() {
    right_password_connects(Backend::Mysql);
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_passwords_never_shown() {
    // The local server trusts the real user (its password is not asked for, so those
    // sessions open); a user it does not know is refused.
    no_password_shown(Backend::Postgres, &["orm_no_such_user", "postgres"]);
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_passwords_never_shown() {
    // root has no password: any password is refused, as is an unknown user.
    no_password_shown(Backend::Mysql, &["orm_no_such_user", "root"]);
}
