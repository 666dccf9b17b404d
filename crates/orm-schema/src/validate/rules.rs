//! Syntax rules for text: e-mail addresses, URLs and IP addresses.
//!
//! These are pragmatic checks meant to catch typos, not full RFC parsers: a value that
//! passes is well-formed enough to store, not proven to be deliverable or reachable.

use std::net::IpAddr;

/// Longest local part (before the `@`) of an e-mail address, in characters.
const MAX_LOCAL_PART: usize = 64;
/// Longest domain name, in characters.
const MAX_DOMAIN: usize = 253;
/// Longest label of a domain name, in characters.
const MAX_LABEL: usize = 63;

/// Whether `s` looks like an e-mail address: exactly one `@`, a non-empty local part of at
/// most 64 characters, and a domain of at least two dot-separated labels made of ASCII
/// letters, digits and `-` (not at either end of a label). No whitespace anywhere.
pub fn is_email(s: &str) -> bool {
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if domain.contains('@') || local.is_empty() || local.chars().count() > MAX_LOCAL_PART {
        return false;
    }
    domain.contains('.') && is_domain(domain)
}

/// Whether `s` is a domain name: non-empty labels of `[A-Za-z0-9-]`, none starting or
/// ending with `-`, separated by dots.
fn is_domain(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_DOMAIN && s.split('.').all(is_label)
}

/// Whether `s` is one label of a domain name.
fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LABEL
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Whether `s` looks like a web URL: scheme `http` or `https` (any case), `://`, a non-empty
/// host (a name, an IPv4 address or a bracketed IPv6 address), then optionally `:port`,
/// a path, a query and a fragment. No whitespace anywhere.
pub fn is_url(s: &str) -> bool {
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Drop `user:password@`, if any.
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    is_host_port(host_port)
}

/// Whether `s` is `host` or `host:port`.
fn is_host_port(s: &str) -> bool {
    if let Some(bracketed) = s.strip_prefix('[') {
        let Some((v6, after)) = bracketed.split_once(']') else {
            return false;
        };
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
        return v6.parse::<std::net::Ipv6Addr>().is_ok() && port_ok;
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (s, None),
    };
    !host.is_empty() && host.chars().all(is_host_char) && port.is_none_or(is_port)
}

/// Whether `c` may appear in a host name (RFC 3986 reg-name, plus non-ASCII letters for
/// internationalised names).
fn is_host_char(c: char) -> bool {
    c.is_alphanumeric() || "-._~%!$&'()*+,;=".contains(c)
}

/// Whether `s` is a TCP port number.
fn is_port(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<u16>().is_ok()
}

/// Whether `s` is an IPv4 or IPv6 address (as `std::net::IpAddr` parses it).
pub fn is_ip_address(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_emails() {
        for s in [
            "a@b.co",
            "first.last+tag@example.com",
            "x@sub-domain.example.org",
            "o'brien@mail.ie",
        ] {
            assert!(is_email(s), "{s}");
        }
    }

    #[test]
    fn rejects_emails() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        for s in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@@example.com",
            "a@b@example.com",
            "a b@example.com",
            "a@exa mple.com",
            "a@-example.com",
            "a@example-.com",
            "a@example..com",
            "a@example.com.",
            "a@exa_mple.com",
            long_local.as_str(),
        ] {
            assert!(!is_email(s), "{s}");
        }
    }

    #[test]
    fn accepts_urls() {
        for s in [
            "http://example.com",
            "https://example.com/",
            "HTTPS://Example.com:8443/a/b?q=1#top",
            "http://user:pw@host.local/x",
            "http://127.0.0.1:80",
            "http://[::1]:8080/",
            "https://localhost",
        ] {
            assert!(is_url(s), "{s}");
        }
    }

    #[test]
    fn rejects_urls() {
        for s in [
            "",
            "example.com",
            "ftp://example.com",
            "http//example.com",
            "http://",
            "http:///path",
            "http://exa mple.com",
            "http://example.com/a b",
            "http://example.com:port",
            "http://example.com:70000",
            "http://[::1",
            "http://[nope]/",
            "mailto:a@b.co",
        ] {
            assert!(!is_url(s), "{s}");
        }
    }

    #[test]
    fn ip_addresses() {
        assert!(is_ip_address("192.168.0.1"));
        assert!(is_ip_address("::1"));
        assert!(is_ip_address("2001:db8::8a2e:370:7334"));
        assert!(!is_ip_address("256.0.0.1"));
        assert!(!is_ip_address("1.2.3"));
        assert!(!is_ip_address("localhost"));
        assert!(!is_ip_address(""));
    }
}
