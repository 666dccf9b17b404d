//! Unit tests of the SQLSTATE sniffer and of which URLs connect through it.

use super::*;

/// An `ErrorResponse` with the given fields.
fn error_response(fields: &[(u8, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, value) in fields {
        body.push(*field);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut message = vec![b'E'];
    message.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    message.extend_from_slice(&body);
    message
}

fn other_message() -> Vec<u8> {
    let mut m = vec![b'Z'];
    m.extend_from_slice(&5u32.to_be_bytes());
    m.push(b'I');
    m
}

#[test]
fn notes_errors_split_anywhere() {
    let startup = [0u8, 0, 0, 9, 0, 3, 0, 0, 0];
    let mut stream = other_message();
    stream.extend(error_response(&[
        (b'S', "FEHLER"),
        (b'C', "40P01"),
        (b'M', "Verklemmung (Deadlock) entdeckt #1"),
    ]));
    stream.extend(other_message());
    for chunk in [1, 2, 3, 7, stream.len()] {
        let mut sniffer = Sniffer::default();
        sniffer.wrote(&startup);
        assert_eq!(sniffer.state, State::Messages);
        for part in stream.chunks(chunk) {
            sniffer.read(part);
        }
        assert_eq!(sniffer.remaining, 0);
        assert_eq!(
            code_for("Verklemmung (Deadlock) entdeckt #1").map(|s| s.to_string()),
            Some("40P01".to_owned())
        );
    }
    assert_eq!(code_for("never sent"), None);
    // Only the last RECENT errors are kept (checked here, not in a test of its own, as
    // the notes are shared by the tests running in parallel).
    for i in 0..RECENT + 1 {
        note(&format!("recent #{i}"), SqlState::new("XX000").unwrap());
    }
    assert!(code_for("recent #0").is_none());
    assert!(code_for(&format!("recent #{RECENT}")).is_some());
}

#[test]
fn settings_beyond_hosts_and_timeouts_go_through_tokio_postgres() {
    let config = |url: &str| url.parse::<tokio_postgres::Config>().unwrap();
    assert!(supports(&config(
        "postgres://u@a,b:5433/db?connect_timeout=3&keepalives=0"
    )));
    assert!(supports(&config("host=/run/postgresql user=u")));
    for other in [
        "target_session_attrs=read-write",
        "load_balance_hosts=random",
        "tcp_user_timeout=5",
        "keepalives_idle=60",
    ] {
        assert!(
            !supports(&config(&format!("postgres://u@h/db?{other}"))),
            "{other}"
        );
    }
}

#[test]
fn follows_the_ssl_answer() {
    let mut refused = Sniffer::default();
    refused.wrote(&SSL_REQUEST[..3]);
    assert_eq!(refused.state, State::Start);
    refused.wrote(&SSL_REQUEST[3..]);
    assert_eq!(refused.state, State::AwaitSslAnswer);
    let mut bytes = vec![b'N'];
    bytes.extend(error_response(&[(b'C', "28000"), (b'M', "no TLS here #2")]));
    refused.read(&bytes);
    assert_eq!(
        code_for("no TLS here #2").map(|s| s.to_string()),
        Some("28000".to_owned())
    );
    let mut accepted = Sniffer::default();
    accepted.wrote(&SSL_REQUEST);
    accepted.read(b"S\x16\x03\x03garbage");
    assert_eq!(accepted.state, State::Off);
    let mut direct = Sniffer::default();
    direct.wrote(&[0x16, 3, 1]);
    assert_eq!(direct.state, State::Off);
}
