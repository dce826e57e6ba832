//! Backups: made by the copy engine with a manifest beside them, listed, chosen, and pruned.

use crate::access::db::Database;
use crate::access::failpoint;
use crate::copies::copy;
use crate::copies::manifest::{self, Manifest, Reason};
use crate::copies::verify::{self, Allowed, Depth};
use crate::selection::config::DatabaseConfig;
use crate::selection::env::Environment;
use crate::selection::hint::Hint;
use crate::shared::digest;
use crate::shared::durable::{self, TempFile};
use crate::shared::error::{Error, Result};
use crate::shared::time;
use std::path::{Path, PathBuf};

/// The file-name stem of the legacy file's backup before the split.
pub(crate) const SPLIT_STEM: &str = "onsen_pre_migration";

/// The file-name stem of an environment's backups: `onsen_<env>` (`onsen_custom` for a file of
/// no environment).
pub fn stem_for(env: Option<Environment>) -> String {
    format!("onsen_{}", env.map_or("custom", Environment::name))
}

/// What to back up, where, and why.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The live database.
    pub source: &'a Path,
    /// Its environment (`None`: a custom file).
    pub env: Option<Environment>,
    /// Why.
    pub reason: Reason,
    /// The backup folder.
    pub dir: &'a Path,
    /// The file-name stem; the UTC time and `.db` are added.
    pub stem: String,
    /// A vacuumed copy instead of a page-for-page one.
    pub compact: bool,
    /// Run the full health check on the snapshot (see [`make`]).
    pub thorough: bool,
}

/// A placed backup.
#[derive(Debug, Clone)]
pub struct Made {
    /// The backup file.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

/// Makes a backup with its manifest, checked equal to its source's snapshot. With `thorough`,
/// the page-for-page snapshot itself (exactly the bytes copied, before any compaction) must pass
/// `integrity_check` and `foreign_key_check` first (its violations, the source's own, go into the
/// manifest). On any failure nothing is left behind.
pub fn make(request: &Request) -> Result<Made> {
    let dir = request.dir;
    durable::prepare_folder(dir)?;
    let path = free_name(dir, &request.stem);
    let temp = TempFile::beside(&path)?;
    let mut snapshot = copy::snapshot(request.source, &[temp.path()], true).map_err(|e| {
        // A damaged source can fail the copy first: with --thorough, SQLite's findings say why.
        let found = request
            .thorough
            .then(|| verify::damage_found(request.source, &e))
            .flatten();
        found.map_or(e, |failed| unhealthy(request.source, &failed))
    })?;
    let violations = if request.thorough {
        Some(healthy_snapshot(temp.path(), request.source)?)
    } else {
        None
    };
    let temp = if request.compact {
        let packed = TempFile::beside(&path)?;
        snapshot = copy::compact(temp.path(), packed.path())?;
        packed
    } else {
        temp
    };
    let mut manifest = Manifest::new(
        &path,
        &snapshot,
        request.source,
        request.env,
        request.reason,
    )?;
    manifest.foreign_key_violations = violations;
    place(temp, path, manifest)
}

/// The full health check of a private snapshot of `source`: its foreign-key violations when it
/// passes, else a check failure (exit 4) that names the source and shows SQLite's findings.
fn healthy_snapshot(snapshot: &Path, source: &Path) -> Result<u64> {
    let report = verify::database(snapshot, Depth::Full, Allowed::SourcesOwn)?;
    match report.failed() {
        None => Ok(report.foreign_key_violations),
        Some(failed) => Err(unhealthy(source, &failed)),
    }
}

/// `--thorough` found `source` damaged (exit 4).
fn unhealthy(source: &Path, failed: &str) -> Error {
    Error::check_failed(format!(
        "`{}` is not healthy, so no backup was made: {failed}; restore it from a backup, or back it up without --thorough to keep it as it is",
        source.display()
    ))
}

/// A backup of an open database, checked equal to it, before a command changes it: the backup folder of
/// its root, named after its environment. (It must hold no lock: call it between transactions.)
pub(crate) fn before(db: &Database, reason: Reason) -> Result<Made> {
    let identity = db.identity();
    let env = (!identity.custom).then_some(identity.env);
    make(&Request {
        source: db.path(),
        env,
        reason,
        dir: &db.config().layout.backup_dir(),
        stem: stem_for(env),
        compact: false,
        thorough: false,
    })
}

/// Writes the manifest of a copy checked equal to its source, then places the copy at `path` beside it: a backup
/// under its final name always has its manifest (a crash in between leaves only the manifest,
/// which is no backup and keeps its name taken). If the copy cannot be placed, the manifest, and
/// the copy if it was linked before the failure, are removed again.
pub(crate) fn place(temp: TempFile, mut path: PathBuf, mut manifest: Manifest) -> Result<Made> {
    manifest.schema_version = Some(schema_version(temp.path())?);
    failpoint::hit("backup.manifest")?;
    let mut tries = 0;
    while let Err(e) = manifest.write(&path) {
        tries += 1;
        let taken = path.exists() || Manifest::path_for(&path).exists();
        if !taken || tries > 100 {
            return Err(e);
        }
        path = next_name(&path);
        manifest.file = manifest::file_name(&path);
    }
    let ours = crate::selection::paths::file_id(temp.path());
    if let Err(e) = failpoint::hit("backup.place").and_then(|()| temp.place(&path)) {
        if ours.is_some() && crate::selection::paths::file_id(&path) == ours {
            let _ = std::fs::remove_file(&path);
        }
        let _ = std::fs::remove_file(Manifest::path_for(&path));
        return Err(e);
    }
    Ok(Made { path, manifest })
}

/// The schema version (`PRAGMA user_version`) of a database file.
pub fn schema_version(path: &Path) -> Result<i64> {
    crate::access::db::connect(path, crate::access::db::Access::Read)?
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| {
            crate::shared::error::sqlite_error(path, "cannot read the schema version of", e)
        })
}

/// The next free name after `path`, taken by another process while this copy was made:
/// `<stem>_<time>.db` → `<stem>_<time>_2.db` → `_3`…
fn next_name(path: &Path) -> PathBuf {
    let dir = crate::shared::durable::folder_of(path);
    let (base, n) = made_order(path);
    (n + 1..)
        .map(|n| dir.join(format!("{base}_{n}.db")))
        .find(|path| !path.exists() && !Manifest::path_for(path).exists())
        .expect("some name is free")
}

/// `<dir>/<stem>_<UTC time>.db`, with `_2`, `_3`… when that name is taken.
pub(crate) fn free_name(dir: &Path, stem: &str) -> PathBuf {
    let when = time::file_stamp(&time::utc_now());
    (1..)
        .map(|n| match n {
            1 => dir.join(format!("{stem}_{when}.db")),
            n => dir.join(format!("{stem}_{when}_{n}.db")),
        })
        .find(|path| !path.exists() && !Manifest::path_for(path).exists())
        .expect("some name is free")
}

/// One backup file found in the folder.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The file.
    pub path: PathBuf,
    /// Its manifest: `Ok(None)` when missing, `Err` when damaged.
    pub manifest: std::result::Result<Option<Manifest>, String>,
    /// Its size on disk.
    pub size: u64,
    /// When it was made (from the manifest, else the file's time), seconds since the epoch.
    pub created_unix: i64,
}

/// Whether a backup still matches its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Size and file hash as recorded.
    Matches,
    /// Listed without hashing: its size is the manifest's.
    SizeMatches,
    /// Something differs; what.
    Differs(String),
    /// No manifest, or a damaged one.
    Unverifiable(String),
}

impl Status {
    /// The short form for listings.
    pub fn label(&self) -> String {
        match self {
            Status::Matches => "yes".to_string(),
            Status::SizeMatches => "size (not hashed)".to_string(),
            Status::Differs(why) => format!("NO: {why}"),
            Status::Unverifiable(why) => format!("unverifiable: {why}"),
        }
    }
}

impl Status {
    /// Whether nothing found is wrong (hashed, or only listed).
    pub fn is_good(&self) -> bool {
        matches!(self, Status::Matches | Status::SizeMatches)
    }

    /// Whether it matches its manifest: `None` when only its size was compared.
    pub fn matches(&self) -> Option<bool> {
        match self {
            Status::Matches => Some(true),
            Status::SizeMatches => None,
            _ => Some(false),
        }
    }
}

impl Entry {
    /// The environment it belongs to, by its manifest, else by its name.
    pub fn environment_label(&self) -> String {
        match &self.manifest {
            Ok(Some(manifest)) => match manifest.environment {
                Some(env) => env.name().to_string(),
                None if manifest.reason == Reason::PreSplit.name() => "legacy".to_string(),
                None => "custom".to_string(),
            },
            _ => Environment::ALL
                .into_iter()
                .find(|env| manifest::file_name(&self.path).starts_with(&stem_for(Some(*env))))
                .map_or("unknown".to_string(), |env| env.name().to_string()),
        }
    }

    /// Why it was made, when the manifest says.
    pub fn reason(&self) -> String {
        match &self.manifest {
            Ok(Some(manifest)) => manifest.reason.clone(),
            _ => "?".to_string(),
        }
    }

    /// Whether it is a backup this tool made: it has a manifest that reads.
    pub fn has_manifest(&self) -> bool {
        matches!(self.manifest, Ok(Some(_)))
    }

    /// The environment stamped inside the file (`None` when unstamped or unreadable).
    pub fn stamp(&self) -> Option<Environment> {
        crate::access::db::connect(&self.path, crate::access::db::Access::Read)
            .and_then(|conn| crate::access::stamp::read(&conn, &self.path, None))
            .ok()
            .flatten()
    }

    /// What a listing can tell without reading the file: whether it has a manifest, and the
    /// size that manifest records.
    pub fn listed_status(&self) -> Status {
        match &self.manifest {
            Ok(Some(manifest)) if self.size != manifest.size => Status::Differs(format!(
                "{} bytes, manifest says {}",
                self.size, manifest.size
            )),
            Ok(Some(_)) => Status::SizeMatches,
            Ok(None) => Status::Unverifiable("no manifest".to_string()),
            Err(e) => Status::Unverifiable(e.clone()),
        }
    }

    /// Checks size and file hash against the manifest (reads the whole file), and the
    /// manifest's environment against the stamp inside the file.
    pub fn status(&self) -> Status {
        let manifest = match (&self.manifest, self.listed_status()) {
            (Ok(Some(manifest)), Status::SizeMatches) => manifest,
            (_, found) => return found,
        };
        match digest::file_digest(&self.path, None) {
            Ok(found) if found == manifest.file_digest => {}
            Ok(_) => return Status::Differs("its bytes changed since it was made".to_string()),
            Err(e) => return Status::Differs(e.to_string()),
        }
        // The stamp is read only when the manifest names an environment to compare it with.
        let stamp = manifest.environment.and_then(|_| self.stamp());
        match crate::copies::verify::environment_check(manifest, stamp) {
            Some(check) if !check.passed => Status::Differs(check.detail),
            _ => Status::Matches,
        }
    }
}

/// Every `*.db` file in the backup folder, oldest first.
pub fn list(dir: &Path) -> Result<Vec<Entry>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::failed(format!("cannot read `{}`", dir.display())).because(e)),
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = manifest::file_name(&path);
        if name.starts_with('.') || path.extension().is_none_or(|ext| ext != "db") {
            continue;
        }
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        let manifest = Manifest::read(&path).map_err(|e| e.to_string());
        let modified = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64);
        let created_unix = match &manifest {
            Ok(Some(manifest)) => manifest.created_unix,
            _ => modified,
        };
        found.push(Entry {
            path,
            manifest,
            size: metadata.len(),
            created_unix,
        });
    }
    // The manifest's time to the millisecond orders copies made within one second, whatever
    // their names (a name freed by a removal is given again).
    found.sort_by_cached_key(|entry| {
        let precise = match &entry.manifest {
            Ok(Some(manifest)) => manifest.created_at.clone(),
            _ => String::new(),
        };
        (entry.created_unix, precise, made_order(&entry.path))
    });
    Ok(found)
}

/// Orders the names [`free_name`] gives within one second as they were made: `<stem>_<time>.db`,
/// then `_2`, `_3`… numerically (`_9` before `_10`, which plain name order would reverse).
fn made_order(path: &Path) -> (String, u64) {
    let name = manifest::file_name(path);
    let stem = name.strip_suffix(".db").unwrap_or(&name);
    match stem.rsplit_once('_') {
        Some((base, n))
            if base.ends_with('Z') && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (base.to_string(), n.parse().unwrap_or(u64::MAX))
        }
        _ => (stem.to_string(), 1),
    }
}

/// The newest backup of `env` in the backup folder of `config`, the selection that led there, that
/// has a manifest (whether it still matches is checked by the caller's verification).
pub fn latest(config: &DatabaseConfig, env: Option<Environment>) -> Result<Entry> {
    newest(config, env, |_| true)
}

/// The newest backup of `env` to restore: [`latest`], skipping the copies a restore made of what
/// it replaced (restoring one would undo that restore).
pub fn latest_to_restore(config: &DatabaseConfig, env: Option<Environment>) -> Result<Entry> {
    newest(config, env, |manifest| {
        manifest.reason != Reason::PreRestore.name()
    })
}

/// The newest backup of `env` whose manifest is readable and passes `wanted`.
fn newest(
    config: &DatabaseConfig,
    env: Option<Environment>,
    wanted: impl Fn(&Manifest) -> bool,
) -> Result<Entry> {
    let label = env.map_or("custom", Environment::name);
    let dir = config.layout.backup_dir();
    list(&dir)?
        .into_iter()
        .rev()
        .find(|entry| {
            matches!(&entry.manifest, Ok(Some(manifest)) if wanted(manifest))
                && entry.environment_label() == label
        })
        .ok_or_else(|| {
            Error::failed(format!(
                "there is no backup of {label} in `{}`; make one with `{}`",
                dir.display(),
                Hint::command(config, "database backup")
            ))
        })
}

/// Removes a backup and its manifest.
pub fn remove(entry: &Entry) -> Result<()> {
    remove_at(&entry.path)
}

/// Removes the backup at `path` and its manifest.
pub fn remove_at(path: &Path) -> Result<()> {
    remove_files(&[path.to_path_buf(), Manifest::path_for(path)])
}

/// Removes `paths` (those already gone are no error), then syncs the folder of the first.
fn remove_files(paths: &[PathBuf]) -> Result<()> {
    for path in paths {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::failed(format!("cannot remove `{}`", path.display())).because(e))
            }
        }
    }
    paths.first().map_or(Ok(()), |path| {
        durable::sync_dir(&crate::shared::durable::folder_of(path))
    })
}

/// A manifest left alone is no older than this while its backup is being placed (it is written
/// just before the copy is linked under its name).
pub(crate) const ORPHAN_AFTER_SECS: u64 = 600;

/// Manifests this tool wrote in `dir` whose backup is not beside them and that are older than
/// `ORPHAN_AFTER_SECS`: what a crash between writing a manifest and placing its copy leaves.
pub fn orphan_manifests(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let old = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|at| at.elapsed().ok())
            .is_some_and(|age| age.as_secs() > ORPHAN_AFTER_SECS)
    };
    // Only a manifest this tool wrote, for the name beside it: other JSON files are not ours.
    let ours = |path: &Path| {
        let backup = path.with_extension("db");
        matches!(Manifest::read(&backup), Ok(Some(m)) if m.file == manifest::file_name(&backup))
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            !manifest::file_name(path).starts_with('.')
                && path.extension().is_some_and(|ext| ext == "json")
                && !path.with_extension("db").exists()
                && old(path)
                && ours(path)
        })
        .collect();
    found.sort();
    found
}

/// Removes a manifest whose backup was never placed.
pub fn remove_orphan(manifest: &Path) -> Result<()> {
    remove_files(&[manifest.to_path_buf()])
}
