//! A migration as files: the `up.sql` and `down.sql` of a list of [`Operation`]s, and
//! diesel_migrations' naming of migration directories (`<version>_<name>`, the version
//! being the digits before the first `_`), so diesel_cli reads the same history.

use crate::backend::Backend;
use crate::ddl::MysqlFlavor;

use super::ops::Operation;
use super::MigrateError;

/// A migration's two scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scripts {
    /// `up.sql`: the operations, in order.
    pub up: String,
    /// `down.sql`: their reverses, in reverse order.
    pub down: String,
}

/// The `up.sql` and `down.sql` of `operations` on `backend`: a header listing the
/// operations (and what each drops), then one statement per paragraph, each ending in
/// `;`. Every statement is rendered before anything is returned.
///
/// # Errors
///
/// [`MigrateError::Unsupported`] for an operation the backend cannot run.
pub fn scripts(
    operations: &[Operation],
    backend: Backend,
    flavor: MysqlFlavor,
) -> Result<Scripts, MigrateError> {
    let reverse: Vec<Operation> = operations.iter().rev().map(Operation::reverse).collect();
    Ok(Scripts {
        up: script(operations, backend, flavor)?,
        down: script(&reverse, backend, flavor)?,
    })
}

fn script(
    operations: &[Operation],
    backend: Backend,
    flavor: MysqlFlavor,
) -> Result<String, MigrateError> {
    let mut out = format!("-- Written by orm for {backend}. Operations:\n");
    for op in operations {
        out.push_str(&format!("--   {op}\n"));
    }
    if operations.is_empty() {
        out.push_str(
            "--   none: the models' change shows on other backends only; this migration \
             keeps the directories in step.\n",
        );
    }
    if operations.iter().any(Operation::drops_data) {
        out.push_str("-- WARNING: this script drops data (see above).\n");
    }
    if backend == Backend::Sqlite {
        out.push_str(
            "-- orm runs it with foreign keys off, in one transaction, and checks the keys \
             before committing.\n",
        );
    }
    for op in operations {
        for statement in op.sql(backend, flavor)? {
            out.push('\n');
            out.push_str(&statement);
            out.push_str(";\n");
        }
    }
    Ok(out)
}

/// Whether `script` holds no statement: only blank lines and `--` comments (a
/// migration written for one backend when the change shows on others only). Such a
/// script is recorded without being sent to the server.
pub fn is_blank(script: &str) -> bool {
    script.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with("--")
    })
}

/// diesel's version of a migration directory named `dir_name`: what comes before the
/// first `_`, without its dashes (`2026-12-06-041600_add_notes` is `20261206041600`).
/// `None` unless that is a non-empty run of digits.
pub fn version_of(dir_name: &str) -> Option<String> {
    let (head, _) = dir_name.split_once('_')?;
    let version = head.replace('-', "");
    (!version.is_empty() && version.bytes().all(|b| b.is_ascii_digit())).then_some(version)
}

/// The checksum orm records for an applied `up.sql`, to notice a script edited after it
/// ran: FNV-1a over its bytes, 16 hex digits (stable across Rust versions and runs).
pub fn checksum(script: &str) -> String {
    let hash = script.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Whether `name` may name a migration: letters, digits and `_`, not empty.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::{Column, Operation};

    #[test]
    fn versions_as_diesel_reads_them() {
        assert_eq!(
            version_of("2026-12-06-041600_add_notes").as_deref(),
            Some("20261206041600")
        );
        assert_eq!(
            version_of("20261206041600_x").as_deref(),
            Some("20261206041600")
        );
        assert_eq!(version_of("notes"), None);
        assert_eq!(version_of("v1_notes"), None);
        assert!(valid_name("add_notes"));
        assert!(!valid_name("add notes"));
        assert!(!valid_name(""));
        assert_eq!(
            checksum("CREATE TABLE t (id INTEGER);"),
            checksum("CREATE TABLE t (id INTEGER);")
        );
        assert_ne!(
            checksum("CREATE TABLE t (id INTEGER);"),
            checksum("CREATE TABLE t (id BIGINT);")
        );
        assert_eq!(checksum("").len(), 16);
    }

    /// `ALTER TABLE notes ADD COLUMN tag VARCHAR(10)`, nullable.
    fn add_tag() -> Operation {
        Operation::AddColumn {
            table: "notes".into(),
            column: Column {
                name: "tag".into(),
                sql_type: "VARCHAR(10)".into(),
                nullable: true,
                ..Column::default()
            },
        }
    }

    #[test]
    fn a_migration_without_operations_is_blank_and_says_why() {
        let s = scripts(&[], Backend::Mysql, MysqlFlavor::MariaDb).unwrap();
        assert!(s.up.contains("keeps the directories in step"), "{}", s.up);
        assert!(is_blank(&s.up) && is_blank(&s.down));
        assert!(is_blank("\n  -- a note\n\n"));
        assert!(!is_blank("-- a note\nSELECT 1;\n"));
        let op = add_tag();
        let s = scripts(&[op], Backend::Mysql, MysqlFlavor::MariaDb).unwrap();
        assert!(!is_blank(&s.up) && !is_blank(&s.down));
    }

    #[test]
    fn scripts_list_their_operations_and_warn_of_drops() {
        let op = add_tag();
        let s = scripts(&[op], Backend::Postgres, MysqlFlavor::MariaDb).unwrap();
        assert!(s.up.contains("--   add column notes.tag\n"), "{}", s.up);
        assert!(
            s.up.ends_with("\nALTER TABLE \"notes\" ADD COLUMN \"tag\" VARCHAR(10);\n"),
            "{}",
            s.up
        );
        assert!(!s.up.contains("WARNING"));
        assert!(
            s.down.contains("WARNING: this script drops data"),
            "{}",
            s.down
        );
        assert!(
            s.down
                .ends_with("\nALTER TABLE \"notes\" DROP COLUMN \"tag\";\n"),
            "{}",
            s.down
        );
    }
}
