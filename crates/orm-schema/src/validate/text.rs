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
    match field.kind {
        FieldKind::Email if !rules::is_email(s) => {
            errors.push(FieldError::new(
                field,
                "email",
                "enter a valid e-mail address",
            ));
        }
        FieldKind::Url if !rules::is_url(s) => {
            errors.push(FieldError::new(field, "url", "enter a valid url"));
        }
        _ => {}
    }
}

/// The rules that still make sense for a string given to a non-text field.
fn check_text_input(s: &str, field: &FieldMeta, errors: &mut Vec<FieldError>) {
    match field.kind {
        FieldKind::IpAddress if !rules::is_ip_address(s) => {
            errors.push(FieldError::new(
                field,
                "ip_address",
                "enter a valid ip address",
            ));
        }
        FieldKind::Enum { variants } if !variants.contains(&s) => {
            let listed: Vec<Literal> = variants.iter().map(|&v| Literal::Str(v)).collect();
            errors.push(FieldError::new(
                field,
                choices::CODE,
                choices::message(&listed),
            ));
        }
        _ => {}
    }
    check_str_choices(s, field, errors);
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
    use super::super::test_util::{codes, errors, field};
    use crate::meta::{FieldKind, Literal, Validators};

    fn string(v: Validators) -> &'static crate::meta::FieldMeta {
        field(FieldKind::String, v)
    }

    #[test]
    fn blank_rejected_by_default() {
        let f = string(Validators {
            min_length: Some(3),
            ..Validators::default()
        });
        let errs = errors(f, "");
        assert_eq!(errs.len(), 1, "other checks are skipped");
        assert_eq!(errs[0].code, "blank");
        assert_eq!(errs[0].message, "this field may not be blank");
        assert_eq!(errs[0].field, "x");
    }

    #[test]
    fn blank_accepted_when_allowed() {
        let f = string(Validators {
            allow_blank: true,
            min_length: Some(3),
            ..Validators::default()
        });
        assert!(codes(f, "").is_empty());
        assert!(codes(field(FieldKind::Email, f.validators), "").is_empty());
        assert!(codes(string(Validators::default()), "a").is_empty());
    }

    #[test]
    fn max_length_counts_chars() {
        let f = string(Validators {
            max_length: Some(3),
            ..Validators::default()
        });
        let errs = errors(f, "abcd");
        assert_eq!(errs[0].code, "max_length");
        assert_eq!(
            errs[0].message,
            "ensure this value has at most 3 characters"
        );
        // Three characters, six bytes.
        assert!(codes(f, "ééé").is_empty());
        assert!(codes(f, "abc").is_empty());
    }

    #[test]
    fn min_length_counts_chars() {
        let f = string(Validators {
            min_length: Some(2),
            ..Validators::default()
        });
        let errs = errors(f, "é");
        assert_eq!(errs[0].code, "min_length");
        assert_eq!(
            errs[0].message,
            "ensure this value has at least 2 characters"
        );
        assert!(codes(f, "ab").is_empty());
        let one = string(Validators {
            min_length: Some(1),
            max_length: Some(1),
            ..Validators::default()
        });
        assert_eq!(
            errors(one, "ab")[0].message,
            "ensure this value has at most 1 character"
        );
    }

    #[test]
    fn pattern_must_match_whole_value() {
        let f = field(
            FieldKind::Text,
            Validators {
                pattern: Some("[a-z]+"),
                ..Validators::default()
            },
        );
        let errs = errors(f, "abc1");
        assert_eq!(errs[0].code, "pattern");
        assert_eq!(
            errs[0].message,
            "ensure this value matches the pattern \"[a-z]+\""
        );
        assert_eq!(codes(f, "1abc"), ["pattern"]);
        assert!(codes(f, "abc").is_empty());
    }

    #[test]
    fn invalid_pattern_is_reported_not_panicked() {
        let f = string(Validators {
            pattern: Some("(unclosed"),
            ..Validators::default()
        });
        let errs = errors(f, "anything");
        assert_eq!(errs[0].code, "pattern");
        assert!(errs[0].message.contains("not a valid regular expression"));
    }

    #[test]
    fn str_choices() {
        let f = string(Validators {
            choices: Some(&[Literal::Str("a"), Literal::Str("b")]),
            ..Validators::default()
        });
        let errs = errors(f, "c");
        assert_eq!(errs[0].code, "choices");
        assert_eq!(errs[0].message, "value must be one of: \"a\", \"b\"");
        assert!(codes(f, "b").is_empty());
        assert!(codes(f, &String::from("a")).is_empty());
    }

    #[test]
    fn email_kind() {
        let f = field(FieldKind::Email, Validators::default());
        let errs = errors(f, "not-an-email");
        assert_eq!(errs[0].code, "email");
        assert_eq!(errs[0].message, "enter a valid e-mail address");
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
        let errs = errors(f, "deleted");
        assert_eq!(errs[0].code, "choices");
        assert_eq!(
            errs[0].message,
            "value must be one of: \"draft\", \"published\""
        );
        assert!(codes(f, "draft").is_empty());
    }

    #[test]
    fn every_failing_rule_is_reported() {
        let f = field(
            FieldKind::Email,
            Validators {
                max_length: Some(3),
                pattern: Some("[a-z]"),
                ..Validators::default()
            },
        );
        assert_eq!(codes(f, "nope nope"), ["max_length", "pattern", "email"]);
    }
}
