//! The compiled-regex cache behind the `pattern` validator.
//!
//! Patterns are `'static` strings from model declarations, so there are finitely many; each
//! is compiled once, on first use, and kept (an invalid one too, so it is not retried).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use regex_lite::Regex;

/// A compiled, anchored pattern, or `None` when the declared pattern is invalid.
type Compiled = Option<Arc<Regex>>;

/// Every pattern seen so far.
static CACHE: OnceLock<Mutex<HashMap<&'static str, Compiled>>> = OnceLock::new();

/// Whether `text` matches `pattern` as a whole; `None` when `pattern` is not a valid
/// regular expression.
pub(crate) fn full_match(pattern: &'static str, text: &str) -> Option<bool> {
    compiled(pattern).map(|re| re.is_match(text))
}

/// The anchored regex for `pattern`, compiling it on first use.
fn compiled(pattern: &'static str) -> Compiled {
    let cache = CACHE.get_or_init(Mutex::default);
    // A panic while holding the lock cannot leave the map half-updated; keep using it.
    let mut map = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    map.entry(pattern)
        .or_insert_with(|| compile(pattern))
        .clone()
}

/// Compiles `pattern` anchored at both ends. The bare pattern is checked first, so that
/// something like `a)|(b` is reported invalid instead of being balanced by the wrapper.
fn compile(pattern: &str) -> Compiled {
    Regex::new(pattern).ok()?;
    Regex::new(&format!("^(?:{pattern})$")).ok().map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_whole_text_only() {
        assert_eq!(full_match("[a-z]+", "abc"), Some(true));
        assert_eq!(full_match("[a-z]+", "abc1"), Some(false));
        assert_eq!(full_match("[a-z]+", "1abc"), Some(false));
        assert_eq!(full_match("a|b", "ab"), Some(false));
        assert_eq!(full_match("a|b", "b"), Some(true));
    }

    #[test]
    fn invalid_patterns_are_none() {
        assert_eq!(full_match("[a-z", "a"), None);
        assert_eq!(full_match("a)|(b", "a"), None);
        // Cached: asking again gives the same answer.
        assert_eq!(full_match("[a-z", "a"), None);
    }

    #[test]
    fn compiles_each_pattern_once() {
        let first = compiled("x+y");
        let second = compiled("x+y");
        assert!(Arc::ptr_eq(&first.unwrap(), &second.unwrap()));
    }
}
