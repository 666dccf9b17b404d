//! [`FieldValue`] for strings: `blank`, `max_length`, `min_length`, `pattern`, `choices`,
//! and the syntax a kind implies (`email`, `url`, `ip_address`).
//!
//! On a textual kind (`String`, `Text`, `Email`, `Url`) every text rule applies; the empty
//! string is either rejected as `blank` or, with `allow_blank`, accepted without further
//! checks. On other kinds a string is text input for a non-text value: an `IpAddress` must
//! parse, an `Enum` must name a variant, and declared choices still apply.

use super::{choices, pattern, rules, FieldError, FieldValue};
use crate::meta::{FieldKind, FieldMeta, Literal};

impl FieldValue for str {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        if field.kind.is_textual() {
            check_text(self, field, errors);
        } else {
            check_text_input(self, field, errors);
        }
    }
}

impl FieldValue for String {
    fn check(&self, field: &FieldMeta, errors: &mut Vec<FieldError>) {
        self.as_str().check(field, errors);
    }
}

/// Every text rule, for a string field.
fn check_text(s: &str, field: &FieldMeta, errors: &mut Vec<FieldError>) {
    let v = &field.validators;
    if s.is_empty() {
        if !v.allow_blank {
            errors.push(FieldError::new(
                field,
                "blank",
                "this field may not be blank",
            ));
        }
        return;
    }
    // Limits count characters; a string has at most as many as it has bytes, so the count
    // is needed only when the bytes exceed the maximum, or for a minimum.
    let len = || s.chars().count();
    if let Some(max) = v
        .max_length
        .filter(|&max| s.len() > max as usize && len() > max as usize)
    {
        let message = format!("ensure this value has at most {}", characters(max));
        errors.push(FieldError::new(field, "max_length", message));
    }
    if let Some(min) = v.min_length.filter(|&min| len() < min as usize) {
        let message = format!("ensure this value has at least {}", characters(min));
        errors.push(FieldError::new(field, "min_length", message));
    }
    if let Some(p) = v.pattern {
        check_pattern(s, p, field, errors);
    }
    check_str_choices(s, field, errors);
    check_syntax(s, field, errors);
}

/// The rules that still make sense for a string given to a non-text field.
fn check_text_input(s: &str, field: &FieldMeta, errors: &mut Vec<FieldError>) {
    check_syntax(s, field, errors);
    if let FieldKind::Enum { variants } = field.kind {
        if !variants.contains(&s) {
            let listed: Vec<Literal> = variants.iter().map(|&v| Literal::Str(v)).collect();
            errors.push(FieldError::new(
                field,
                choices::CODE,
                choices::message(&listed),
            ));
        }
    }
    check_str_choices(s, field, errors);
}

/// The syntax a kind implies (`email`, `url`, `ip_address`): `s` must have it.
fn check_syntax(s: &str, field: &FieldMeta, errors: &mut Vec<FieldError>) {
    let (code, message, valid): (_, _, fn(&str) -> bool) = match field.kind {
        FieldKind::Email => ("email", "enter a valid e-mail address", rules::is_email),
        FieldKind::Url => ("url", "enter a valid url", rules::is_url),
        FieldKind::IpAddress => (
            "ip_address",
            "enter a valid ip address",
            rules::is_ip_address,
        ),
        _ => return,
    };
    if !valid(s) {
        errors.push(FieldError::new(field, code, message));
    }
}

/// `pattern`: the whole of `s` must match `p`.
fn check_pattern(s: &str, p: &'static str, field: &FieldMeta, errors: &mut Vec<FieldError>) {
    let message = match pattern::full_match(p, s) {
        Some(true) => return,
        Some(false) => format!("ensure this value matches the pattern {p:?}"),
        None => format!("the declared pattern {p:?} is not a valid regular expression"),
    };
    errors.push(FieldError::new(field, "pattern", message));
}

/// `choices`: `s` must equal one of the declared string choices.
fn check_str_choices(s: &str, field: &FieldMeta, errors: &mut Vec<FieldError>) {
    choices::check(field, errors, |c| matches!(c, Literal::Str(c) if *c == s));
}

/// `"1 character"`, `"100 characters"`.
fn characters(n: u32) -> String {
    if n == 1 {
        "1 character".to_owned()
    } else {
        format!("{n} characters")
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{
        assert_first_error, codes, errors, field, field_with, with_choices,
    };
    use crate::meta::{FieldKind, FieldMeta, Literal, Validators};

    /// A `String` field whose validators are the defaults as `set` changes them.
    fn string(set: impl FnOnce(&mut Validators)) -> &'static FieldMeta {
        field_with(FieldKind::String, set)
    }

    #[test]
    fn blank_rejected_by_default() {
        let f = string(|v| v.min_length = Some(3));
        assert_first_error(f, "", "blank", "this field may not be blank");
        let errs = errors(f, "");
        assert_eq!(errs.len(), 1, "other checks are skipped");
        assert_eq!(errs[0].field, "x");
    }

    #[test]
    fn blank_accepted_when_allowed() {
        let f = string(|v| {
            v.allow_blank = true;
            v.min_length = Some(3);
        });
        assert!(codes(f, "").is_empty());
        assert!(codes(field(FieldKind::Email, f.validators), "").is_empty());
        assert!(codes(string(|_| {}), "a").is_empty());
    }

    /// Asserts that a `String` field with the length limit `set` rejects `value`, its first
    /// failure being rule `code` with `message`, and accepts each of `within`.
    #[track_caller]
    fn assert_length_limit(
        set: fn(&mut Validators),
        value: &str,
        code: &str,
        message: &str,
        within: &[&str],
    ) {
        let f = string(set);
        assert_first_error(f, value, code, message);
        for ok in within {
            assert!(codes(f, *ok).is_empty(), "{ok}");
        }
    }

    #[test]
    fn max_length_counts_chars() {
        // Three characters, six bytes.
        assert_length_limit(
            |v| v.max_length = Some(3),
            "abcd",
            "max_length",
            "ensure this value has at most 3 characters",
            &["ééé", "abc"],
        );
    }

    #[test]
    fn min_length_counts_chars() {
        // One character, two bytes.
        assert_length_limit(
            |v| v.min_length = Some(2),
            "é",
            "min_length",
            "ensure this value has at least 2 characters",
            &["ab"],
        );
        let one = string(|v| {
            v.min_length = Some(1);
            v.max_length = Some(1);
        });
        assert_eq!(
            errors(one, "ab")[0].message,
            "ensure this value has at most 1 character"
        );
    }

    #[test]
    fn pattern_must_match_whole_value() {
        let f = field_with(FieldKind::Text, |v| v.pattern = Some("[a-z]+"));
        let message = "ensure this value matches the pattern \"[a-z]+\"";
        assert_first_error(f, "abc1", "pattern", message);
        assert_eq!(codes(f, "1abc"), ["pattern"]);
        assert!(codes(f, "abc").is_empty());
    }

    #[test]
    fn invalid_pattern_is_reported_not_panicked() {
        let f = string(|v| v.pattern = Some("(unclosed"));
        let errs = errors(f, "anything");
        assert_eq!(errs[0].code, "pattern");
        assert!(errs[0].message.contains("not a valid regular expression"));
    }

    #[test]
    fn str_choices() {
        let f = with_choices(FieldKind::String, &[Literal::Str("a"), Literal::Str("b")]);
        assert_first_error(f, "c", "choices", "value must be one of: \"a\", \"b\"");
        assert!(codes(f, "b").is_empty());
        assert!(codes(f, &String::from("a")).is_empty());
    }

    #[test]
    fn email_kind() {
        let f = field(FieldKind::Email, Validators::default());
        assert_first_error(f, "not-an-email", "email", "enter a valid e-mail address");
        assert!(codes(f, "someone@example.com").is_empty());
    }

    #[test]
    fn url_kind() {
        let f = field(FieldKind::Url, Validators::default());
        assert_eq!(codes(f, "ftp://example.com"), ["url"]);
        assert!(codes(f, "https://example.com/path?q=1").is_empty());
    }

    #[test]
    fn ip_address_text_input() {
        let f = field(FieldKind::IpAddress, Validators::default());
        assert_eq!(codes(f, "300.1.1.1"), ["ip_address"]);
        assert!(codes(f, "10.0.0.1").is_empty());
        assert!(codes(f, "fe80::1").is_empty());
    }

    #[test]
    fn enum_text_input_must_name_a_variant() {
        let f = field(
            FieldKind::Enum {
                variants: &["draft", "published"],
            },
            Validators::default(),
        );
        let message = "value must be one of: \"draft\", \"published\"";
        assert_first_error(f, "deleted", "choices", message);
        assert!(codes(f, "draft").is_empty());
    }

    #[test]
    fn every_failing_rule_is_reported() {
        let f = field_with(FieldKind::Email, |v| {
            v.max_length = Some(3);
            v.pattern = Some("[a-z]");
        });
        assert_eq!(codes(f, "nope nope"), ["max_length", "pattern", "email"]);
    }
}
