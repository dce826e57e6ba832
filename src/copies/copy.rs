//! The copy engine: a consistent snapshot of a live database into one or more new files, each
//! checked equal to the snapshot before anyone may place it.
//!
//! A rollback-journal database is copied byte for byte under a shared lock (no writer can commit
//! while it is held), hashing the bytes as they are read; each copy is then synced and hashed
//! again from the file. A WAL database is copied through SQLite's backup API inside one read
//! transaction (the WAL is part of the database, so the main file alone is not), switched to
//! rollback-journal mode, and compared by logical hash. The caller owns the target paths
//! (temporary names) and decides what to place.

use crate::access::db::{self, Access};
use crate::access::failpoint;
use crate::copies::direct::{self, AlignedBuffer, Progress, Writer};
use crate::copies::records;
use crate::shared::digest::{self, Digest};
use crate::shared::durable::write_error;
use crate::shared::error::{sqlite_error, Context, Error, Result};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::Connection;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

/// How a copy was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// The main file's bytes, under a shared lock.
    Bytes,
    /// SQLite's backup API (WAL sources).
    SqliteBackup,
    /// `VACUUM INTO`: compacted.
    Vacuum,
}

impl Method {
    /// The name used in manifests.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Method::Bytes => "bytes",
            Method::SqliteBackup => "sqlite-backup",
            Method::Vacuum => "vacuum",
        }
    }
}

/// What was copied: the same for every target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// How it was copied.
    pub method: Method,
    /// The hash of each copy's bytes.
    pub file_digest: String,
    /// The logical hash, when it was asked for (or needed for the check).
    pub logical_digest: Option<String>,
    /// Page size in bytes.
    pub page_size: u64,
    /// Number of pages.
    pub page_count: u64,
}

impl Snapshot {
    /// The size every copy has: page size × page count.
    pub(crate) fn size(&self) -> u64 {
        self.page_size * self.page_count
    }
}

/// Copies a consistent snapshot of `source` into each of `targets` (new files; none may exist),
/// synced and checked equal to the snapshot. With `logical`, the snapshot's logical hash is
/// computed too (in parallel with the copy). On error the targets may hold partial data: the
/// caller removes them (see [`crate::shared::durable::TempFile`]).
pub(crate) fn snapshot(source: &Path, targets: &[&Path], logical: bool) -> Result<Snapshot> {
    let file = File::open(source).failed(|| format!("cannot open `{}`", source.display()))?;
    snapshot_from(&file, source, targets, logical)
}

/// [`snapshot`] through `file`, a descriptor of `source` that the caller opened before any
/// connection of this process to `source` and closes after the last (see
/// [`db::check_header_in`]): what a caller that checks the source in another thread meanwhile
/// needs.
pub(crate) fn snapshot_from(
    file: &File,
    source: &Path,
    targets: &[&Path],
    logical: bool,
) -> Result<Snapshot> {
    db::check_header_in(file, source)?;
    let conn = db::connect(source, Access::Read)?;
    let cannot = |e| sqlite_error(source, "cannot take a snapshot of", e);
    conn.execute_batch("BEGIN").map_err(cannot)?;
    let (page_size, page_count, wal) = read_shape(&conn).map_err(cannot)?;
    let snapshot = if wal {
        copy_through_sqlite(conn, source, targets, page_size)?
    } else {
        let (file_digest, logical_digest) =
            copy_bytes(conn, file, source, targets, page_size * page_count, logical)?;
        Snapshot {
            method: Method::Bytes,
            file_digest,
            logical_digest,
            page_size,
            page_count,
        }
    };
    failpoint::hit("copy.verified")?;
    Ok(snapshot)
}

/// Page size, page count and whether the database is in WAL mode, inside the read transaction.
fn read_shape(conn: &Connection) -> rusqlite::Result<(u64, u64, bool)> {
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
    let count: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    Ok((size as u64, count as u64, mode.eq_ignore_ascii_case("wal")))
}

/// Byte copy under the shared lock `conn` holds. Beside it run the record hash on `conn` (if
/// asked) and, for each target, a reader that reads the copy back from the device as it grows.
/// Returns the hashes of the bytes and (if asked) of the content.
fn copy_bytes(
    conn: Connection,
    input: &File,
    source: &Path,
    targets: &[&Path],
    length: u64,
    logical: bool,
) -> Result<(String, Option<String>)> {
    // The caller's descriptor of the source serves the copy and the record hash: closing any
    // descriptor of a file drops all of this process's POSIX locks on it, SQLite's shared lock
    // included, and a writer could then commit into the middle of the copy.
    let mut held = Some(conn);
    let progress = Progress::default();
    let (copied, read_back, logical_digest) = std::thread::scope(|scope| {
        // The thread hands the connection back, so the lock is held until the copy is done.
        let hashing = logical.then(|| {
            let conn = held.take().expect("the connection");
            scope.spawn(move || (records::digest_in(&conn, input, source), conn))
        });
        let followers: Vec<_> = targets
            .iter()
            .map(|target| scope.spawn(|| direct::follow(target, &progress)))
            .collect();
        let copied = stream(input, source, targets, length, &progress);
        progress.finish(copied.is_ok());
        let read_back: Vec<_> = followers
            .into_iter()
            .map(|thread| thread.join().expect("the read-back thread panicked"))
            .collect();
        let logical_digest = hashing
            .map(|thread| thread.join().expect("the hashing thread panicked").0)
            .transpose();
        (copied, read_back, logical_digest)
    });
    drop(held);
    let file_digest = copied?;
    let logical_digest = logical_digest?;
    for (target, found) in targets.iter().zip(read_back) {
        check_shape(target, length)?;
        let found = found
            .failed(|| format!("cannot read back the copy `{}`", target.display()))?
            .unwrap_or_default();
        check_digest(target, &found, &file_digest)?;
    }
    Ok((file_digest, logical_digest))
}

/// Reads `length` bytes of `source` (open as `input`) once, writing them to every target and
/// hashing them. A reader thread reads and hashes the next chunks while this one writes.
fn stream(
    input: &File,
    source: &Path,
    targets: &[&Path],
    length: u64,
    progress: &Progress,
) -> Result<String> {
    let mut outputs = targets
        .iter()
        .map(|target| Writer::create_new(target).map_err(|e| write_error(target, e)))
        .collect::<Result<Vec<_>>>()?;
    let (full_tx, full_rx) = mpsc::sync_channel::<(AlignedBuffer, usize)>(BUFFERS);
    let (empty_tx, empty_rx) = mpsc::sync_channel::<AlignedBuffer>(BUFFERS);
    for _ in 0..BUFFERS {
        empty_tx
            .send(AlignedBuffer::new())
            .expect("the channel has room");
    }
    let (read, written) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut input = input.take(length);
            let mut digest = Digest::new();
            while let Ok(mut buffer) = empty_rx.recv() {
                let read = direct::read_full(&mut input, buffer.bytes())
                    .failed(|| format!("cannot read `{}`", source.display()))?;
                if read == 0 {
                    break;
                }
                digest.update(&buffer.bytes()[..read]);
                if full_tx.send((buffer, read)).is_err() {
                    break;
                }
            }
            Ok(digest.finish())
        });
        // The writer owns the receiving end: if it stops early, the reader's next send fails.
        let written = (move || {
            let mut shown = crate::ui::progress::Progress::bytes("copying", length);
            let mut total = 0u64;
            for (mut buffer, read) in full_rx {
                let chunk = &buffer.bytes()[..read];
                for (output, target) in outputs.iter_mut().zip(targets) {
                    output.write(chunk).map_err(|e| write_error(target, e))?;
                }
                total += read as u64;
                progress.advance(total);
                shown.set(total);
                if total == read as u64 {
                    failpoint::hit("copy.writing")?;
                }
                let _ = empty_tx.send(buffer);
            }
            for (output, target) in outputs.iter().zip(targets) {
                output.sync().map_err(|e| write_error(target, e))?;
            }
            Ok(total)
        })();
        (reader.join().expect("the reading thread panicked"), written)
    });
    let total = written?;
    let digest = read?;
    if total != length {
        return Err(Error::failed(format!(
            "`{}` is shorter ({total} bytes) than its header says ({length} bytes): it is truncated; restore it from a backup",
            source.display()
        )));
    }
    Ok(digest)
}

/// Chunks in flight between the reading and the writing thread.
const BUFFERS: usize = 3;

/// The equality check of one copy: SQLite header, size, and the hash of its bytes read back.
pub(crate) fn check_copy(target: &Path, expected: &str, length: u64) -> Result<()> {
    check_shape(target, length)?;
    let found = direct::read_back_digest(target)
        .failed(|| format!("cannot read back the copy `{}`", target.display()))?;
    check_digest(target, &found, expected)
}

/// A copy's SQLite header and size.
fn check_shape(target: &Path, length: u64) -> Result<()> {
    db::check_header(target)?;
    let size = std::fs::metadata(target)
        .failed(|| format!("cannot read `{}`", target.display()))?
        .len();
    if size != length {
        return Err(Error::failed(format!(
            "the copy `{}` has {size} bytes, not the {length} of its source; nothing was placed",
            target.display()
        )));
    }
    Ok(())
}

fn check_digest(target: &Path, found: &str, expected: &str) -> Result<()> {
    if found != expected {
        return Err(Error::failed(format!(
            "the copy `{}` does not match its source ({found} ≠ {expected}); nothing was placed",
            target.display()
        )));
    }
    Ok(())
}

/// WAL source: the backup API into the first target inside `conn`'s read transaction, switched
/// to rollback-journal mode and compared by logical hash; the other targets are byte copies of it.
fn copy_through_sqlite(
    conn: Connection,
    source: &Path,
    targets: &[&Path],
    page_size: u64,
) -> Result<Snapshot> {
    let (first, rest) = targets
        .split_first()
        .ok_or_else(|| Error::failed("nothing to copy into"))?;
    if first.exists() {
        return Err(Error::failed(format!(
            "`{}` already exists",
            first.display()
        )));
    }
    let mut copy = db::create(first)?;
    crate::ui::progress::while_running("copying", || backup_all(&conn, &mut copy, first, source))?;
    copy.pragma_update(None, "journal_mode", "DELETE")
        .map_err(|e| sqlite_error(first, "cannot set the journal mode of", e))?;
    copy.close()
        .map_err(|(_, e)| sqlite_error(first, "cannot close", e))?;
    let copy = db::connect(first, Access::Read)?;
    let (source_digest, copy_digest) = std::thread::scope(|scope| {
        let theirs = scope.spawn(move || digest::logical_digest(&conn, source));
        let ours = digest::logical_digest(&copy, first);
        (theirs.join().expect("the hashing thread panicked"), ours)
    });
    let (source_digest, copy_digest) = (source_digest?, copy_digest?);
    if source_digest != copy_digest {
        return Err(Error::failed(format!(
            "the copy `{}` does not match the snapshot of `{}`; nothing was placed",
            first.display(),
            source.display()
        )));
    }
    let (_, page_count, _) =
        read_shape(&copy).map_err(|e| sqlite_error(first, "cannot read", e))?;
    let logical_digest = records::digest(&copy, first)?;
    drop(copy);
    let input = File::open(first)
        .and_then(|file| file.sync_all().map(|()| file))
        .map_err(|e| write_error(first, e))?;
    let length = page_size * page_count;
    let progress = Progress::default();
    let file_digest = stream(&input, first, rest, length, &progress)?;
    check_copy(first, &file_digest, length)?;
    for target in rest {
        check_copy(target, &file_digest, length)?;
    }
    Ok(Snapshot {
        method: Method::SqliteBackup,
        file_digest,
        logical_digest: Some(logical_digest),
        page_size,
        page_count,
    })
}

/// Runs the backup API from `from` to `to` until done, giving up on locks after the busy timeout.
/// `shared` is whichever of the two files other processes use (the other is private): a lock
/// that outlasts the wait is reported on it.
pub(crate) fn backup_all(
    from: &Connection,
    to: &mut Connection,
    target: &Path,
    shared: &Path,
) -> Result<()> {
    let backup = Backup::new(from, to).map_err(|e| sqlite_error(target, "cannot write", e))?;
    let started = Instant::now();
    loop {
        match backup.step(-1) {
            Ok(StepResult::Done) => return Ok(()),
            Ok(StepResult::More) => {}
            Ok(StepResult::Busy | StepResult::Locked) if started.elapsed() < db::BUSY_TIMEOUT => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Ok(_) => {
                crate::shared::error::gave_up_after(started.elapsed());
                return Err(sqlite_error(
                    shared,
                    "cannot copy",
                    rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                        None,
                    ),
                ));
            }
            Err(e) => return Err(sqlite_error(target, "cannot copy into", e)),
        }
    }
}

/// `VACUUM INTO`: a compacted copy of a private, unchanging database (a fresh snapshot), checked
/// equal to it by logical hash, synced, and checked for its header and size.
pub(crate) fn compact(source: &Path, target: &Path) -> Result<Snapshot> {
    let conn = db::connect(source, Access::Read)?;
    crate::ui::progress::while_running("compacting", || {
        conn.execute("VACUUM INTO ?1", [target.to_string_lossy()])
    })
    .map_err(|e| sqlite_error(target, "cannot write a compacted copy to", e))?;
    let copy = db::connect(target, Access::Read)?;
    let theirs = records::digest(&conn, source)?;
    let ours = records::digest(&copy, target)?;
    if theirs != ours {
        return Err(Error::failed(format!(
            "the compacted copy `{}` does not match its source; nothing was placed",
            target.display()
        )));
    }
    let (page_size, page_count, _) =
        read_shape(&copy).map_err(|e| sqlite_error(target, "cannot read", e))?;
    drop((conn, copy));
    File::open(target)
        .and_then(|file| file.sync_all())
        .map_err(|e| write_error(target, e))?;
    check_shape(target, page_size * page_count)?;
    Ok(Snapshot {
        method: Method::Vacuum,
        file_digest: digest::file_digest(target, None)?,
        logical_digest: Some(ours),
        page_size,
        page_count,
    })
}
