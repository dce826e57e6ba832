//! Health checks of a database or a backup: header and size, the bundled SQLite's own
//! `PRAGMA integrity_check` (or `quick_check`) with `foreign_key_check` beside it, and for a backup
//! its hashes against the manifest. The checks run in parallel on their own read-only
//! connections, and a failed check carries every line SQLite gave. (Equality of a fresh copy with
//! its source is checked by the copy engine itself, before a copy is placed.)

use crate::access::db::{self, Access};
use crate::copies::manifest::Manifest;
use crate::selection::env::Environment;
use crate::shared::digest;
use crate::shared::error::{Error, Result};
use rusqlite::Connection;
use serde_json::{json, Value};
use std::io::Read;
use std::path::{Path, PathBuf};

/// How thorough the structural check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// `PRAGMA integrity_check`: everything, indexes against tables included.
    Full,
    /// `PRAGMA quick_check`: structure and constraints, O(N).
    Quick,
}

/// One check and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was found: for a failed SQLite check, its first lines (see `crate::ui::at_most`).
    pub detail: String,
    /// Every line a failed SQLite check gave, an error that stopped it included (empty otherwise).
    pub findings: Vec<String>,
}

impl Check {
    fn new(name: &str, passed: bool, detail: impl Into<String>) -> Check {
        Check {
            name: name.to_string(),
            passed,
            detail: detail.into(),
            findings: Vec::new(),
        }
    }

    /// A failed check whose findings are SQLite's lines.
    fn found(name: &str, findings: Vec<String>) -> Check {
        Check {
            name: name.to_string(),
            passed: false,
            detail: crate::ui::at_most(&findings).join("; "),
            findings,
        }
    }
}

/// Every check run on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The file checked.
    pub path: PathBuf,
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// Foreign-key violations found (0 when the check could not run).
    pub foreign_key_violations: u64,
}

impl Report {
    /// Whether every check passed.
    pub(crate) fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| {
                let mut check = json!({"check": c.name, "passed": c.passed, "detail": c.detail});
                if !c.findings.is_empty() {
                    check["findings"] = json!(c.findings);
                }
                check
            })
            .collect();
        json!({"path": self.path.display().to_string(), "passed": self.passed(), "checks": checks})
    }

    /// `Ok(self)` when every check passed; otherwise [`Report::failure`].
    pub fn into_result(self) -> Result<Report> {
        match self.failure() {
            None => Ok(self),
            Some(failure) => Err(failure),
        }
    }

    /// A check failure (exit 4) naming each failed check; `None` when every check passed.
    pub fn failure(&self) -> Option<Error> {
        self.failed().map(|failed| {
            Error::check_failed(format!(
                "`{}` failed verification: {failed}",
                self.path.display()
            ))
        })
    }

    /// Each failed check with what it found, on one line; `None` when every check passed.
    pub(crate) fn failed(&self) -> Option<String> {
        let failed: Vec<String> = self
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        (!failed.is_empty()).then(|| failed.join("; "))
    }
}

/// How many foreign-key violations a check accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// At most this many: the count recorded for the source of a copy (0 for a live database).
    AtMost(u64),
    /// Any number, reported: the file is a source being read, or a backup whose manifest recorded
    /// no count, whose content hash then ties its violations to its source's.
    SourcesOwn,
}

/// The health of a database file: header and size, then the structural check and the
/// foreign-key check in parallel, `allowed` saying which foreign-key violations are no failure.
pub fn database(path: &Path, depth: Depth, allowed: Allowed) -> Result<Report> {
    checks_after(file_checks(path), depth, allowed)
}

/// The rest of [`database`] after its [`file_checks`] `report`: the checks through SQLite, when
/// the file checks passed (a file that is no database is not opened).
pub(crate) fn checks_after(report: Report, depth: Depth, allowed: Allowed) -> Result<Report> {
    if !report.passed() {
        return Ok(report);
    }
    sqlite_checks(report, depth, allowed)
}

/// The checks that read the file itself: header and size. Run them before any connection of this
/// process to the file is open (see [`db::check_header_in`]).
pub(crate) fn file_checks(path: &Path) -> Report {
    let mut checks = Vec::new();
    match header_shape(path) {
        Ok(shape) => {
            checks.push(Check::new("header", true, "SQLite format 3"));
            checks.extend(size_check(path, shape));
        }
        Err(e) => checks.push(Check::new("header", false, e.to_string())),
    }
    Report {
        path: path.to_path_buf(),
        checks,
        foreign_key_violations: 0,
    }
}

/// Adds the checks through SQLite to a [`file_checks`] report: the structural check and the
/// foreign-key check, in parallel, on their own read-only connections.
fn sqlite_checks(report: Report, depth: Depth, allowed: Allowed) -> Result<Report> {
    let Report {
        path, mut checks, ..
    } = report;
    let path = path.as_path();
    let (structure, violations) = crate::ui::progress::while_running("checking", || {
        std::thread::scope(|scope| {
            let keys = scope.spawn(|| foreign_key_violations(path));
            (
                structural(path, depth),
                keys.join().expect("the checking thread panicked"),
            )
        })
    });
    checks.push(structure?);
    let violations = violations?;
    let fk = match (violations.clone(), allowed) {
        (Err(detail), _) => Check::new("foreign_key_check", false, detail),
        (Ok(0), _) => Check::new("foreign_key_check", true, "no violations"),
        (Ok(n), Allowed::SourcesOwn) => Check::new(
            "foreign_key_check",
            true,
            format!("{n} violations, the source's own"),
        ),
        (Ok(n), Allowed::AtMost(most)) if n <= most => Check::new(
            "foreign_key_check",
            true,
            format!("{n} violations, as many as in the source"),
        ),
        (Ok(n), Allowed::AtMost(most)) => Check::new(
            "foreign_key_check",
            false,
            format!("{n} violations (allowed: {most})"),
        ),
    };
    checks.push(fk);
    Ok(Report {
        path: path.to_path_buf(),
        checks,
        foreign_key_violations: violations.unwrap_or(0),
    })
}

/// The health of a backup: [`database`], plus its size, file hash and logical hash against its
/// manifest. Its foreign-key violations may be as many as its manifest recorded for the source;
/// when it recorded none, any are the source's own, as long as the content hash matches.
pub fn backup(path: &Path, manifest: &Manifest, depth: Depth) -> Result<Report> {
    let allowed = manifest
        .foreign_key_violations
        .map_or(Allowed::SourcesOwn, Allowed::AtMost);
    let mut report = file_checks(path);
    // The hashes read through a descriptor opened before the connections and closed after them
    // (see `db::check_header_in`). All run side by side; the content hash and the stamp count
    // only when every check before them passed (on a damaged file, the checks say more).
    let file = std::fs::File::open(path)
        .map_err(|e| Error::failed(format!("cannot open `{}`", path.display())).because(e))?;
    let (checked, file_digest, content) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| digest::reader_digest(&file, path));
        let checked = report.passed().then(|| {
            let content = scope.spawn(|| content_and_stamp(&file, path));
            let checked = sqlite_checks(report.clone(), depth, allowed);
            (
                checked,
                content.join().expect("the hashing thread panicked"),
            )
        });
        let (checked, content) = match checked {
            Some((checked, content)) => (checked.map(Some), Some(content)),
            None => (Ok(None), None),
        };
        (
            checked,
            hashing.join().expect("the hashing thread panicked"),
            content,
        )
    });
    drop(file);
    if let Some(checked) = checked? {
        report = checked;
    }
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    report.checks.push(Check::new(
        "manifest size",
        size == manifest.size,
        format!("{size} bytes, manifest {}", manifest.size),
    ));
    let file_digest = file_digest?;
    report.checks.push(against_manifest(
        "manifest file hash",
        file_digest,
        &manifest.file_digest,
    ));
    if let (true, Some(content)) = (report.passed(), content) {
        let (logical, stamp) = content?;
        report.checks.push(against_manifest(
            "manifest content hash",
            logical,
            &manifest.logical_digest,
        ));
        report.checks.extend(environment_check(manifest, stamp));
    }
    Ok(report)
}

/// The record hash of the database `path` (read through `file`) and its stamp, on a connection
/// of their own.
fn content_and_stamp(file: &std::fs::File, path: &Path) -> Result<(String, Option<Environment>)> {
    let conn = db::connect(path, Access::Read)?;
    let logical = crate::copies::records::digest_in(&conn, file, path)?;
    let stamp = crate::access::stamp::read(&conn, path, None)?;
    Ok((logical, stamp))
}

/// The environment the manifest names against the stamp inside the backup: a manifest edited to
/// name another environment would otherwise let a restore skip `--cross-env` and its re-stamp.
/// (An unstamped backup, or a manifest naming none, has nothing to compare.)
pub(crate) fn environment_check(manifest: &Manifest, stamp: Option<Environment>) -> Option<Check> {
    let (named, stamped) = (manifest.environment?, stamp?);
    Some(if named == stamped {
        Check::new("manifest environment", true, named.name())
    } else {
        Check::new(
            "manifest environment",
            false,
            format!("the manifest says {named}, but the backup is stamped {stamped}"),
        )
    })
}

/// A hash found in the file against the one its manifest recorded.
fn against_manifest(name: &str, found: String, recorded: &str) -> Check {
    if found == recorded {
        Check::new(name, true, found)
    } else {
        Check::new(name, false, format!("{found} ≠ {recorded} in the manifest"))
    }
}

/// Page size and page count from the 100-byte header; the count is `None` when the header's
/// copy of it is stale (its version-valid-for number differs from the change counter).
#[derive(Debug, Clone, Copy)]
struct Shape {
    page_size: u64,
    page_count: Option<u64>,
    wal: bool,
}

fn header_shape(path: &Path) -> Result<Shape> {
    db::check_header(path)?;
    let mut header = [0u8; 100];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut header))
        .map_err(|e| Error::failed(format!("cannot read `{}`", path.display())).because(e))?;
    let be32 = |at: usize| u32::from_be_bytes(header[at..at + 4].try_into().expect("4 bytes"));
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let page_count = (be32(24) == be32(92)).then(|| u64::from(be32(28)));
    Ok(Shape {
        page_size,
        page_count,
        wal: header[18] == 2 || header[19] == 2,
    })
}

/// The file's size against page size × page count (skipped for WAL files, whose pages may be in
/// the WAL, and for stale header counts).
fn size_check(path: &Path, shape: Shape) -> Option<Check> {
    let count = shape.page_count.filter(|_| !shape.wal)?;
    let expected = shape.page_size * count;
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let page_size = shape.page_size;
    Some(match size.cmp(&expected) {
        std::cmp::Ordering::Equal => Check::new(
            "size",
            true,
            format!("{size} bytes = {count} pages of {page_size}"),
        ),
        // SQLite reads only the pages its (valid) header counts: bytes past them are what a
        // process killed between a commit and its truncation leaves, and the next write trims.
        std::cmp::Ordering::Greater => Check::new(
            "size",
            true,
            format!(
                "{size} bytes: {count} pages of {page_size}, and {} bytes past them that SQLite ignores (left by a write interrupted before it trimmed the file; the next write trims them)",
                size - expected
            ),
        ),
        std::cmp::Ordering::Less => Check::new(
            "size",
            false,
            format!(
                "{size} bytes, but the header says {count} pages of {page_size} = {expected}: truncated"
            ),
        ),
    })
}

/// `integrity_check` or `quick_check`, SQLite's own, with its default settings: passes when the
/// answer is exactly `ok`; otherwise every line it gave is a finding.
fn structural(path: &Path, depth: Depth) -> Result<Check> {
    let name = match depth {
        Depth::Full => "integrity_check",
        Depth::Quick => "quick_check",
    };
    let conn = match connect_for_check(path)? {
        Ok(conn) => conn,
        Err(detail) => return Ok(Check::found(name, vec![detail])),
    };
    let lines = pragma_lines(&conn, &format!("PRAGMA {name}"));
    Ok(if lines == ["ok"] {
        Check::new(name, true, "ok")
    } else {
        Check::found(name, lines)
    })
}

/// Every line a checking statement answers (its first column), in order (a row of several lines,
/// as `integrity_check` gives for one b-tree, counts as its lines); an error that stops it, after
/// some lines or before any, is one more line, so no line SQLite gave is lost.
fn pragma_lines(conn: &Connection, sql: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let stopped = conn.prepare(sql).and_then(|mut statement| {
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            lines.extend(row.get::<_, String>(0)?.lines().map(str::to_string));
        }
        Ok(())
    });
    if let Err(e) = stopped {
        lines.push(format!("the check stopped: {e}"));
    }
    lines
}

/// A read-only connection for a check. A file too damaged to open (SQLite reads the schema while
/// configuring the connection) is a finding of the check, `Err(detail)`, not a failure to run it;
/// other errors (a lock, the test guard) stay errors.
fn connect_for_check(path: &Path) -> Result<std::result::Result<Connection, String>> {
    match db::connect(path, Access::Read) {
        Ok(conn) => Ok(Ok(conn)),
        Err(e) if is_damage(&e) => Ok(Err(e.to_string())),
        Err(e) => Err(e),
    }
}

/// What the full health check finds in `path` when reading it failed with `error` because the
/// file is damaged: SQLite's own findings explain a failed copy better than the first bad page a
/// copy met. `None` for any other error, or when the check finds nothing (or cannot run).
pub(crate) fn damage_found(path: &Path, error: &Error) -> Option<String> {
    if !is_damage(error) {
        return None;
    }
    database(path, Depth::Full, Allowed::SourcesOwn)
        .ok()?
        .failed()
}

/// Whether an error's cause is SQLite finding the file damaged or not a database.
fn is_damage(error: &Error) -> bool {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    std::error::Error::source(error)
        .and_then(|cause| cause.downcast_ref::<rusqlite::Error>())
        .and_then(rusqlite::Error::sqlite_error_code)
        .is_some_and(|code| matches!(code, DatabaseCorrupt | NotADatabase))
}

/// How many rows violate a foreign key; `Err(detail)` when the check itself cannot run.
fn foreign_key_violations(path: &Path) -> Result<std::result::Result<u64, String>> {
    let conn = match connect_for_check(path)? {
        Ok(conn) => conn,
        Err(detail) => return Ok(Err(detail)),
    };
    let counted = conn
        .prepare("PRAGMA foreign_key_check")
        .and_then(|mut statement| {
            let rows = statement.query_map([], |_| Ok(()))?;
            rows.into_iter()
                .try_fold(0u64, |n, row| row.map(|()| n + 1))
        });
    Ok(counted.map_err(|e| e.to_string()))
}
