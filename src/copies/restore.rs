//! Putting a copy's content into a live database through SQLite: the backup API writes every
//! page inside one transaction of the live file, so other connections never see a half-restored
//! file and a crash rolls back from its journal. Never a rename or copy over an open database.

use crate::access::db::{self, Access};
use crate::access::failpoint;
use crate::access::stamp;
use crate::copies::copy;
use crate::copies::verify::{self, Allowed, Depth};
use crate::selection::env::Environment;
use crate::shared::digest;
use crate::shared::durable::{self, TempFile};
use crate::shared::error::{sqlite_error, Error, Result};
use std::path::Path;

/// A private copy of the backup `source` beside `live`, stamped `env` when given, ready to go into
/// `live`. The copy's bytes must hash to `checked`, the file hash of the bytes its health check
/// read (its manifest's, which that check matched), so the copy is what was checked.
pub fn stage(
    source: &Path,
    checked: &str,
    live: &Path,
    env: Option<Environment>,
) -> Result<TempFile> {
    let folder = crate::shared::durable::folder_of(live);
    durable::prepare_folder(&folder)?;
    let staged = TempFile::beside(live)?;
    let snapshot = copy::snapshot(source, &[staged.path()], false)?;
    if snapshot.file_digest != checked {
        return Err(Error::failed(format!(
            "`{}` changed after it was checked ({} ≠ {checked}); nothing was restored: verify it again with `cargo xtask database verify`",
            source.display(),
            snapshot.file_digest
        )));
    }
    restamp(staged.path(), env)?;
    Ok(staged)
}

/// Stamps a private copy (no-op for `None`).
pub(crate) fn restamp(path: &Path, env: Option<Environment>) -> Result<()> {
    let Some(env) = env else {
        return Ok(());
    };
    let mut conn = db::connect(path, Access::Write)?;
    let tx = conn
        .transaction()
        .map_err(|e| sqlite_error(path, "cannot start a write on", e))?;
    stamp::write(&tx, env, path)?;
    tx.commit()
        .map_err(|e| sqlite_error(path, "cannot commit", e))
}

/// Replaces the content of `live` with the staged copy's, through SQLite, and checks that the
/// live file now holds exactly the staged content (by content hash) and passes `quick_check`,
/// the two side by side.
pub fn replace_contents(staged: &Path, live: &Path) -> Result<()> {
    let staged_file = open(staged)?;
    let by_records = !db::is_wal_in(&staged_file, staged)? && !db::is_wal_in(&open(live)?, live)?;
    let from = db::connect(staged, Access::Read)?;
    let expected = content_hash(&from, &staged_file, staged, by_records)?;
    let mut to = db::connect(live, Access::Write)?;
    failpoint::hit("restore.replace")?;
    copy::backup_all(&from, &mut to, live, live)?;
    drop((from, to));
    failpoint::hit("restore.replaced")?;
    // The header and size first, before this process holds any lock on the file (the check
    // opens and closes a descriptor of it: see `db::check_header_in`); then the hash, through a
    // descriptor opened before the connections and closed after them, beside `quick_check`.
    let report = verify::file_checks(live);
    let file = open(live)?;
    let (found, health) = std::thread::scope(|scope| {
        let health =
            scope.spawn(|| verify::checks_after(report, Depth::Quick, Allowed::SourcesOwn));
        let found = db::connect(live, Access::Read).and_then(|conn| {
            conn.execute_batch("BEGIN")
                .map_err(|e| sqlite_error(live, "cannot read", e))?;
            content_hash(&conn, &file, live, by_records)
        });
        (found, health.join().expect("the checking thread panicked"))
    });
    drop(file);
    let found = found?;
    if found != expected {
        return Err(Error::failed(format!(
            "`{}` does not hold the restored content after the restore ({found} ≠ {expected}); restore it again from the pre-restore backup",
            live.display()
        )));
    }
    health?.into_result().map(|_| ())
}

/// `path` opened for reading.
fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path)
        .map_err(|e| Error::failed(format!("cannot open `{}`", path.display())).because(e))
}

/// The content hash that [`replace_contents`] compares: the record hash, which reads the b-trees
/// straight from the main file at memory speed, when `by_records`; else (a database in WAL mode,
/// whose content may sit in its `-wal` file) the hash of the values read through SQLite. `file`
/// is a descriptor of `path` (see [`crate::copies::records::digest_in`]).
fn content_hash(
    conn: &rusqlite::Connection,
    file: &std::fs::File,
    path: &Path,
    by_records: bool,
) -> Result<String> {
    match by_records {
        true => crate::copies::records::digest_in(conn, file, path),
        false => digest::logical_digest(conn, path),
    }
}

/// Where a restore into the database `canonical` (its name by [`crate::selection::paths::Layout::canonical_of`])
/// records the backup it restores until it has finished: `.NAME.restoring` beside it. Read and
/// written only under the database's exclusive lock, so a record found there is a dead run's.
fn intent_path(canonical: &Path) -> std::path::PathBuf {
    let name = canonical
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    crate::shared::durable::folder_of(canonical).join(format!(".{name}.restoring"))
}

/// Records, durably, that `backup` is being restored into `canonical`.
pub fn record_intent(canonical: &Path, backup: &Path) -> Result<()> {
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    let path = intent_path(canonical);
    let backup = std::path::absolute(backup).unwrap_or_else(|_| backup.to_path_buf());
    durable::open_own_file(&path, true)
        .and_then(|mut file| {
            file.set_len(0)?;
            file.write_all(backup.as_os_str().as_bytes())?;
            file.sync_all()
        })
        .map_err(|e| {
            Error::failed(format!(
                "cannot record the restore in `{}`; nothing was restored",
                path.display()
            ))
            .because(e)
        })?;
    durable::sync_dir(&crate::shared::durable::folder_of(&path))
}

/// The backup a restore into `canonical` was restoring when it was killed, if one was.
pub fn interrupted(canonical: &Path) -> Option<std::path::PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    let mut bytes = Vec::new();
    durable::open_own_file(&intent_path(canonical), false)
        .and_then(|file| {
            use std::io::Read;
            file.take(64 * 1024).read_to_end(&mut bytes)
        })
        .ok()?;
    (!bytes.is_empty()).then(|| std::ffi::OsString::from_vec(bytes).into())
}

/// Removes the record once the restore has finished.
pub fn clear_intent(canonical: &Path) -> Result<()> {
    let path = intent_path(canonical);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::failed(format!(
            "the restore finished, but its record `{}` cannot be removed; remove it by hand",
            path.display()
        ))
        .because(e)),
        _ => Ok(()),
    }
}
