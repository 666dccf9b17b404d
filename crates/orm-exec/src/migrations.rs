//! Migration files: one directory per backend under a root (`migrations/sqlite`,
//! `migrations/postgres`, `migrations/mysql`), each holding diesel_migrations' layout,
//! `<version>_<name>/up.sql` and `down.sql`. Read and written here; run by
//! [`ManageSchema::run_pending_migrations`](crate::ManageSchema::run_pending_migrations) and
//! its siblings, which keep diesel's history table.

use std::path::{Path, PathBuf};

use orm_schema::migrate::{self, MigrateError, Scripts};
use orm_schema::Backend;

use crate::error::Result;

/// The root of the migration directories, one per backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationDir {
    root: PathBuf,
}

/// One migration read from its directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// diesel's version: the digits of the directory name before its first `_`.
    pub version: String,
    /// The directory's name (`2026-12-06-041600_add_tags`).
    pub name: String,
    /// `up.sql`.
    pub up: String,
    /// `down.sql`.
    pub down: String,
}

/// Whether a new migration may lose data (drop a table or a column, or a SQLite rebuild
/// that leaves a column behind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataLoss {
    /// Refuse such a migration
    /// ([`MigrateError::DataLoss`], naming
    /// the operations).
    Refuse,
    /// Write it; its script says what it drops.
    Allow,
}

/// Where one migration stands on a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Its version.
    pub version: String,
    /// Its directory's name; `None` for a version the history holds but no directory
    /// does.
    pub name: Option<String>,
    /// Whether the history says it was applied.
    pub applied: bool,
    /// What is wrong with it, if anything: it failed half-way (MySQL/MariaDB), or its
    /// `up.sql` was edited after it was applied.
    pub problem: Option<String>,
}

impl MigrationDir {
    /// The migration directories under `root` (`root/<backend>/`).
    pub fn new(root: impl Into<PathBuf>) -> MigrationDir {
        MigrationDir { root: root.into() }
    }

    /// The directory of `backend`'s migrations.
    pub fn path(&self, backend: Backend) -> PathBuf {
        self.root.join(backend.name())
    }

    /// `backend`'s migrations in version order (none when its directory does not
    /// exist). Hidden entries and files are skipped, as diesel does.
    ///
    /// # Errors
    ///
    /// [`Error::Migrate`](crate::Error::Migrate) naming the directory or migration: one
    /// that cannot be read, a directory whose name has no version, a missing `up.sql`
    /// or `down.sql`, two directories of one version.
    pub fn read(&self, backend: Backend) -> Result<Vec<Migration>> {
        let dir = self.path(backend);
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut out: Vec<Migration> = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| files(&dir, e))? {
            let entry = entry.map_err(|e| files(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.path().is_dir() {
                continue;
            }
            let path = entry.path();
            let version = migrate::version_of(&name).ok_or_else(|| {
                invalid(
                    &path,
                    "the name must start with a version (`2026-12-06-041600_name`)",
                )
            })?;
            if let Some(other) = out.iter().find(|m| m.version == version) {
                return Err(invalid(
                    &path,
                    &format!("version {version} is also `{}`", other.name),
                ));
            }
            out.push(Migration {
                version,
                up: read_script(&path, "up.sql")?,
                down: read_script(&path, "down.sql")?,
                name,
            });
        }
        out.sort_by(|a, b| version_order(&a.version, &b.version));
        Ok(out)
    }

    /// Writes a new migration of `backend` named `name` holding `scripts`, versioned
    /// by the current UTC time (or just after the latest existing version), and
    /// returns it.
    ///
    /// # Errors
    ///
    /// [`Error::Migrate`](crate::Error::Migrate) for a name that is not letters, digits
    /// and `_`, or a directory that cannot be read or written.
    pub fn write(&self, backend: Backend, name: &str, scripts: &Scripts) -> Result<Migration> {
        check_name(&self.path(backend), name)?;
        let stamp = self.next_stamp(&[backend])?;
        self.write_at(backend, &stamp, name, scripts)
    }

    /// The version stamp of a new migration of `backends`: the current UTC time
    /// (`2026-12-06-041600`), or just after the latest version any of their
    /// directories holds.
    pub(crate) fn next_stamp(&self, backends: &[Backend]) -> Result<String> {
        let mut latest: Option<String> = None;
        for backend in backends {
            if let Some(last) = self.read(*backend)?.pop() {
                if latest
                    .as_deref()
                    .is_none_or(|l| version_order(&last.version, l).is_gt())
                {
                    latest = Some(last.version);
                }
            }
        }
        let now = chrono::Utc::now().format("%Y-%m-%d-%H%M%S").to_string();
        Ok(match latest {
            Some(last) if version_order(&now.replace('-', ""), &last).is_le() => increment(&last),
            _ => now,
        })
    }

    /// Writes `backend`'s migration `<stamp>_<name>` holding `scripts`.
    pub(crate) fn write_at(
        &self,
        backend: Backend,
        stamp: &str,
        name: &str,
        scripts: &Scripts,
    ) -> Result<Migration> {
        let dir = self.path(backend);
        check_name(&dir, name)?;
        let dir_name = format!("{stamp}_{name}");
        let path = dir.join(&dir_name);
        std::fs::create_dir_all(&path).map_err(|e| files(&path, e))?;
        for (file, text) in [("up.sql", &scripts.up), ("down.sql", &scripts.down)] {
            std::fs::write(path.join(file), text).map_err(|e| files(&path.join(file), e))?;
        }
        Ok(Migration {
            version: stamp.replace('-', ""),
            name: dir_name,
            up: scripts.up.clone(),
            down: scripts.down.clone(),
        })
    }
}

/// An error unless `name` may name a migration of the directory `dir`.
pub(crate) fn check_name(dir: &Path, name: &str) -> Result<()> {
    if migrate::valid_name(name) {
        Ok(())
    } else {
        Err(invalid(
            &dir.join(name),
            "a migration's name is letters, digits and `_`",
        ))
    }
}

/// Where each migration of `migrations` stands given the `applied` versions and orm's
/// `states` (version, checksum, state), in version order; applied versions without a
/// directory come too, with no name.
pub(crate) fn status(
    migrations: &[Migration],
    applied: &[String],
    states: &[(String, String, String)],
) -> Vec<MigrationStatus> {
    let problem = |version: &str| -> Option<String> {
        let (_, sum, state) = states.iter().find(|(v, _, _)| v == version)?;
        if state == "failed" {
            return Some("failed half-way".into());
        }
        let m = migrations.iter().find(|m| m.version == version)?;
        (migrate::checksum(&m.up) != *sum).then(|| "up.sql edited after it was applied".into())
    };
    let mut out: Vec<MigrationStatus> = migrations
        .iter()
        .map(|m| MigrationStatus {
            version: m.version.clone(),
            name: Some(m.name.clone()),
            applied: applied.contains(&m.version),
            problem: problem(&m.version),
        })
        .collect();
    for version in applied {
        if !migrations.iter().any(|m| m.version == *version) {
            out.push(MigrationStatus {
                version: version.clone(),
                name: None,
                applied: true,
                problem: problem(version),
            });
        }
    }
    out.sort_by(|a, b| version_order(&a.version, &b.version));
    out
}

/// Whether an applied migration's edited `up.sql` stops the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edits {
    /// Applying or making migrations: an edited script is an error.
    Refuse,
    /// Reverting (which runs `down.sql`): it is not.
    Allow,
}

/// The first reason orm's `states` give not to go on: a migration failed half-way, or
/// (unless `edits` allows it) an applied migration whose `up.sql` was edited.
pub(crate) fn check_states(
    migrations: &[Migration],
    states: &[(String, String, String)],
    edits: Edits,
) -> Result<()> {
    for (version, sum, state) in states {
        if state == "failed" {
            return Err(MigrateError::FailedHalfWay {
                version: version.clone(),
            }
            .into());
        }
        let Some(m) = migrations.iter().find(|m| m.version == *version) else {
            continue;
        };
        if edits == Edits::Refuse && migrate::checksum(&m.up) != *sum {
            return Err(MigrateError::Edited {
                migration: m.name.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// Versions compare as numbers (a longer run of digits is later).
pub(crate) fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The version after `version` (both runs of digits).
fn increment(version: &str) -> String {
    let mut digits: Vec<u8> = version.bytes().collect();
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return String::from_utf8(digits).unwrap_or_default();
        }
    }
    format!("1{}", String::from_utf8(digits).unwrap_or_default())
}

fn read_script(dir: &Path, file: &str) -> Result<String> {
    let path = dir.join(file);
    if !path.is_file() {
        return Err(invalid(dir, &format!("`{file}` is missing")));
    }
    std::fs::read_to_string(&path).map_err(|e| files(&path, e))
}

fn files(path: &Path, e: std::io::Error) -> crate::Error {
    invalid(path, &e.to_string())
}

fn invalid(path: &Path, reason: &str) -> crate::Error {
    MigrateError::Files {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_numbers_and_increment() {
        assert!(version_order("9", "10").is_lt());
        assert!(version_order("20261206041600", "20261206041601").is_lt());
        assert_eq!(increment("20261206041659"), "20261206041660");
        assert_eq!(increment("99"), "100");
    }
}
