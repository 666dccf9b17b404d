//! [`Password`]: a secret that never prints.

use std::fmt;

/// A database password. Its `Debug` and `Display` print `***`, so no error, log line or
/// `{:?}` of a structure holding it can show it; [`Password::expose`] hands the text to
/// the driver, and nothing else in orm calls it.
///
/// ```
/// let password = orm_exec::url::Password::new("s3cret/#?@%");
/// assert_eq!(format!("{password} {password:?}"), "*** ***");
/// assert_eq!(password.expose(), "s3cret/#?@%");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Keeps `text` (already percent-decoded) as a password.
    pub fn new(text: impl Into<String>) -> Password {
        Password(text.into())
    }

    /// The password itself, for the driver. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
