//! The manifest beside each backup (`<name>.json`): what the file must hash to, where it came
//! from, and why it was made.

use crate::copies::copy::Snapshot;
use crate::selection::config::DatabaseConfig;
use crate::selection::env::Environment;
use crate::shared::durable::TempFile;
use crate::shared::error::{Error, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Why a backup was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `database backup`.
    Manual,
    /// Before `database migrate`.
    PreMigrate,
    /// Before `database rollback`.
    PreRollback,
    /// Before `database restore` replaced the live database.
    PreRestore,
    /// The legacy file, before `migrate-to-envs` split it.
    PreSplit,
    /// An existing target, before `migrate-to-envs --force` replaced it.
    PreReplace,
    /// Before `database exec --write` or `database sql` changed prod.
    PreSql,
    /// Before `database reset` emptied a dev or test database.
    PreReset,
    /// Before `database shell --write` opened prod for writing.
    PreShell,
    /// Before `database compact` rewrote prod.
    PreCompact,
}

impl Reason {
    /// The name in manifests and listings.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Reason::Manual => "manual",
            Reason::PreMigrate => "pre-migrate",
            Reason::PreRollback => "pre-rollback",
            Reason::PreRestore => "pre-restore",
            Reason::PreSplit => "pre-split",
            Reason::PreReplace => "pre-replace",
            Reason::PreSql => "pre-sql",
            Reason::PreReset => "pre-reset",
            Reason::PreShell => "pre-shell",
            Reason::PreCompact => "pre-compact",
        }
    }
}

/// A backup's manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The backup's file name (the manifest sits beside it).
    pub file: String,
    /// How it was copied (`bytes`, `sqlite-backup`, `vacuum`).
    pub method: String,
    /// Hash of the file's bytes.
    pub file_digest: String,
    /// Hash of its content: schema, `user_version`, every row.
    pub logical_digest: String,
    /// Bytes: page size × page count.
    pub size: u64,
    /// Page size.
    pub page_size: u64,
    /// Page count.
    pub page_count: u64,
    /// The database it was taken from.
    pub source: PathBuf,
    /// That database's environment; `None` for a custom file.
    pub environment: Option<Environment>,
    /// When, UTC, RFC 3339.
    pub created_at: String,
    /// When, seconds since the epoch (for retention).
    pub created_unix: i64,
    /// `onsendo <version>`.
    pub tool_version: String,
    /// Why.
    pub reason: String,
    /// Foreign-key violations in the source when it was checked; `None` when not checked.
    pub foreign_key_violations: Option<u64>,
    /// The copy's schema version (`PRAGMA user_version`); `None` in manifests written before
    /// it was recorded.
    pub schema_version: Option<i64>,
}

impl Manifest {
    /// The manifest of a new copy.
    pub(crate) fn new(
        backup: &Path,
        snapshot: &Snapshot,
        source: &Path,
        environment: Option<Environment>,
        reason: Reason,
    ) -> Result<Manifest> {
        let logical_digest = snapshot
            .logical_digest
            .clone()
            .ok_or_else(|| Error::failed("a backup needs the logical hash of its snapshot"))?;
        Ok(Manifest {
            file: file_name(backup),
            method: snapshot.method.name().to_string(),
            file_digest: snapshot.file_digest.clone(),
            logical_digest,
            size: snapshot.size(),
            page_size: snapshot.page_size,
            page_count: snapshot.page_count,
            source: std::path::absolute(source).unwrap_or_else(|_| source.to_path_buf()),
            environment,
            created_at: crate::shared::time::utc_now(),
            created_unix: crate::shared::time::unix_now(),
            tool_version: format!("onsendo {}", env!("CARGO_PKG_VERSION")),
            reason: reason.name().to_string(),
            foreign_key_violations: None,
            schema_version: None,
        })
    }

    /// The manifest's path for a backup file: the same name with `.json`.
    pub(crate) fn path_for(backup: &Path) -> PathBuf {
        backup.with_extension("json")
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        json!({
            "file": self.file,
            "method": self.method,
            "file_digest": self.file_digest,
            "logical_digest": self.logical_digest,
            "size": self.size,
            "page_size": self.page_size,
            "page_count": self.page_count,
            "source": self.source.display().to_string(),
            "environment": self.environment.map(|e| e.name()),
            "created_at": self.created_at,
            "created_unix": self.created_unix,
            "tool_version": self.tool_version,
            "reason": self.reason,
            "foreign_key_violations": self.foreign_key_violations,
            "schema_version": self.schema_version,
        })
    }

    /// Reads the manifest of `backup`; `Ok(None)` when there is none.
    pub fn read(backup: &Path) -> Result<Option<Manifest>> {
        let path = Manifest::path_for(backup);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::failed(format!("cannot read `{}`", path.display())).because(e))
            }
        };
        let damaged = || {
            Error::check_failed(format!(
                "the manifest `{}` is damaged (not the JSON this tool writes); the backup cannot be verified",
                path.display()
            ))
        };
        let value: Value = serde_json::from_str(&text).map_err(|_| damaged())?;
        parse(&value).ok_or_else(damaged).map(Some)
    }

    /// Writes the manifest beside `backup` durably, never overwriting one.
    pub(crate) fn write(&self, backup: &Path) -> Result<()> {
        let path = Manifest::path_for(backup);
        let temp = TempFile::beside(&path)?;
        let text = serde_json::to_string_pretty(&self.to_json()).expect("JSON renders") + "\n";
        crate::shared::durable::create_private(temp.path())
            .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()))
            .map_err(|e| crate::shared::durable::write_error(temp.path(), e))?;
        temp.place(&path)
    }
}

fn parse(value: &Value) -> Option<Manifest> {
    let text = |key: &str| value.get(key)?.as_str().map(str::to_string);
    let number = |key: &str| value.get(key)?.as_u64();
    let environment = match value.get("environment")? {
        Value::Null => None,
        Value::String(name) => Some(Environment::parse(name, "environment").ok()?),
        _ => return None,
    };
    Some(Manifest {
        file: text("file")?,
        method: text("method")?,
        file_digest: text("file_digest")?,
        logical_digest: text("logical_digest")?,
        size: number("size")?,
        page_size: number("page_size")?,
        page_count: number("page_count")?,
        source: PathBuf::from(text("source")?),
        environment,
        created_at: text("created_at")?,
        created_unix: value.get("created_unix")?.as_i64()?,
        tool_version: text("tool_version")?,
        reason: text("reason")?,
        foreign_key_violations: value.get("foreign_key_violations").and_then(Value::as_u64),
        schema_version: value.get("schema_version").and_then(Value::as_i64),
    })
}

/// The last part of a path, as text.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads the manifest and insists on one; `config` is the selection the command runs under.
pub fn require(backup: &Path, config: &DatabaseConfig) -> Result<Manifest> {
    crate::access::db::require_file(backup, "backup", config)?;
    Manifest::read(backup)?.ok_or_else(|| {
        Error::check_failed(format!(
            "`{}` has no manifest (`{}`); it cannot be verified as a backup",
            backup.display(),
            Manifest::path_for(backup).display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copies::copy::Method;

    #[test]
    fn a_manifest_round_trips_and_damage_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("onsen_dev_20261122T000000Z.db");
        let snapshot = Snapshot {
            method: Method::Bytes,
            file_digest: "xxh3-128:1".into(),
            logical_digest: Some("xxh3-128:2".into()),
            page_size: 4096,
            page_count: 3,
        };
        let manifest = Manifest::new(
            &backup,
            &snapshot,
            Path::new("/x/onsen.dev.db"),
            Some(Environment::Dev),
            Reason::Manual,
        )
        .unwrap();
        assert_eq!(manifest.size, 12288);
        manifest.write(&backup).unwrap();
        assert_eq!(Manifest::read(&backup).unwrap(), Some(manifest.clone()));
        assert!(manifest.write(&backup).is_err(), "never overwritten");

        std::fs::write(Manifest::path_for(&backup), "{\"file\": 1}").unwrap();
        let err = Manifest::read(&backup).unwrap_err();
        assert!(err.to_string().contains("is damaged"), "{err}");
        let missing = dir.path().join("other.db");
        assert_eq!(Manifest::read(&missing).unwrap(), None);
        let config = crate::selection::config::resolve(
            &crate::selection::config::Flags::default(),
            &crate::selection::config::Vars::default(),
            || Ok(dir.path().to_path_buf()),
        )
        .unwrap();
        assert!(require(&missing, &config)
            .unwrap_err()
            .to_string()
            .contains("does not exist"));
        std::fs::write(&missing, "").unwrap();
        assert!(require(&missing, &config)
            .unwrap_err()
            .to_string()
            .contains("no manifest"));
    }
}
