//! The SQLite settings a URL may carry as pragmas: `journal_mode` and `synchronous`.

use super::tls::take_param;

/// The journal and sync settings of a SQLite URL (`?journal_mode=delete&synchronous=full`).
/// Without `journal_mode` a writable file is switched to WAL (readers do not block the
/// writer); with it, that mode is set instead. Without `synchronous` SQLite's default
/// stays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlitePragmas {
    /// `DELETE`, `TRUNCATE`, `PERSIST`, `MEMORY`, `WAL` or `OFF`, as given.
    pub journal_mode: Option<&'static str>,
    /// `OFF`, `NORMAL`, `FULL` or `EXTRA`, as given.
    pub synchronous: Option<&'static str>,
}

const JOURNAL_MODES: [&str; 6] = ["DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF"];
const SYNCHRONOUS: [&str; 4] = ["OFF", "NORMAL", "FULL", "EXTRA"];

impl SqlitePragmas {
    /// Takes `journal_mode` and `synchronous` out of `params` (any case); a value SQLite
    /// does not know is an error naming the parameter: `(parameter, reason)`.
    pub(crate) fn take(
        params: &mut Vec<(String, String)>,
    ) -> Result<SqlitePragmas, (&'static str, String)> {
        let pick = |value: Option<String>, parameter: &'static str, valid: &[&'static str]| {
            value
                .map(|raw| {
                    valid
                        .iter()
                        .find(|v| v.eq_ignore_ascii_case(raw.trim()))
                        .copied()
                        .ok_or_else(|| {
                            (
                                parameter,
                                format!("`{raw}` is not one of {}", valid.join(", ")),
                            )
                        })
                })
                .transpose()
        };
        Ok(SqlitePragmas {
            journal_mode: pick(
                take_param(params, "journal_mode"),
                "journal_mode",
                &JOURNAL_MODES,
            )?,
            synchronous: pick(
                take_param(params, "synchronous"),
                "synchronous",
                &SYNCHRONOUS,
            )?,
        })
    }

    /// The pragmas to run on a new connection to a file (`writable`: not opened read-only).
    #[cfg(feature = "sqlite")]
    pub(crate) fn statements(&self, writable: bool) -> String {
        let mut out = String::new();
        if writable {
            let mode = self.journal_mode.unwrap_or("WAL");
            out.push_str(&format!(" PRAGMA journal_mode = {mode};"));
        }
        if let Some(sync) = self.synchronous {
            out.push_str(&format!(" PRAGMA synchronous = {sync};"));
        }
        out
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn known_values_are_taken_and_others_named() {
        let mut p = params(&[
            ("journal_mode", "delete"),
            ("mode", "rwc"),
            ("Synchronous", "Full"),
        ]);
        let pragmas = SqlitePragmas::take(&mut p).unwrap();
        assert_eq!(pragmas.journal_mode, Some("DELETE"));
        assert_eq!(pragmas.synchronous, Some("FULL"));
        assert_eq!(
            p,
            params(&[("mode", "rwc")]),
            "the driver's own parameters stay"
        );
        assert_eq!(
            pragmas.statements(true),
            " PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;"
        );
        assert_eq!(
            SqlitePragmas::default().statements(true),
            " PRAGMA journal_mode = WAL;"
        );
        assert_eq!(SqlitePragmas::default().statements(false), "");
        let (parameter, reason) =
            SqlitePragmas::take(&mut params(&[("journal_mode", "wal; DROP")])).unwrap_err();
        assert_eq!(parameter, "journal_mode");
        assert!(reason.contains("DELETE, TRUNCATE"), "{reason}");
        let (parameter, _) = SqlitePragmas::take(&mut params(&[("synchronous", "2")])).unwrap_err();
        assert_eq!(parameter, "synchronous");
    }
}
