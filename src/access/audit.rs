//! The prod audit log, rotated by size: one JSON line when an operation on prod starts its work
//! and one when it ends, with the same operation id; a start whose process died without its end
//! is reported, once, as interrupted.

use crate::selection::paths::Layout;
use crate::shared::error::{Error, Result};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The log is rotated when it grows past this many bytes.
pub(crate) const ROTATE_BYTES: u64 = 1024 * 1024;
/// How many rotated files (`prod_audit.log.1` … `.N`) are kept.
pub(crate) const KEEP_ROTATED: usize = 5;

/// One audit record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    /// The command line, secrets redacted.
    pub command: Vec<String>,
    /// The database file.
    pub database: PathBuf,
    /// How the operation was confirmed: `typed`, `--yes`, `dry-run`, `not needed`, `refused`.
    pub confirmation: String,
    /// `ok`, `refused: …` or `failed: …`.
    pub outcome: String,
    /// How long it took.
    pub duration_ms: u128,
    /// The backup made before the operation, if any.
    pub backup: Option<PathBuf>,
    /// Older backups the operation removed (safety copies past the retention policy).
    pub removed: Vec<PathBuf>,
    /// The backup the operation restored, if it restored one.
    pub restored: Option<String>,
}

/// The open log: opened (and rotated) before the operation starts, its start record written
/// when the work begins ([`AuditLog::start`]), its outcome appended when it ends.
#[derive(Debug)]
pub(crate) struct AuditLog {
    file: File,
    path: PathBuf,
    /// The operation id, once its start record is written.
    id: Option<String>,
}

impl AuditLog {
    /// Opens the log for reading and appending, rotating it first if it is too large.
    pub(crate) fn open(layout: &Layout) -> Result<AuditLog> {
        let path = layout.audit_log();
        let cannot = |e| cannot_write(&path, e);
        if !layout.root().is_dir() {
            return Err(cannot(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("the root `{}` is not a folder", layout.root().display()),
            )));
        }
        crate::shared::durable::create_private_folder(&layout.log_dir()).map_err(cannot)?;
        // A FIFO in the log's place would hold the open below forever.
        crate::selection::paths::refuse_special(&path, "log")
            .map_err(|e| cannot(std::io::Error::other(e)))?;
        // Two operations starting at once rotate once, not twice.
        let _held = hold_folder(&layout.log_dir(), &path)?;
        if std::fs::metadata(&path).is_ok_and(|m| m.len() >= ROTATE_BYTES) {
            rotate(&path).map_err(cannot)?;
        }
        let file = crate::shared::durable::private_file()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(cannot)?;
        reserve(&file).map_err(cannot)?;
        Ok(AuditLog {
            file,
            path,
            id: None,
        })
    }

    /// Writes (and syncs) the record that the operation `command` on `database` starts its work,
    /// before that work: a log where it cannot be written refuses the operation. The operations
    /// found interrupted are recorded first ([`AuditLog::record_interrupted`]) and returned, for
    /// the caller to tell the user. Room for the outcome is reserved again.
    pub(crate) fn start(&mut self, command: &[String], database: &Path) -> Result<Vec<Unfinished>> {
        let id = format!("{}:{}:{}", host(), std::process::id(), unix_nanos());
        let start = started_json(&id, command, database);
        let interrupted = self.settle(Some(&start))?;
        self.id = Some(id);
        Ok(interrupted)
    }

    /// Appends one `interrupted` record (and syncs it) for each operation of this host that
    /// started (in this log or its newest rotated file, [`unfinished`]) and whose process is
    /// gone without its outcome, and returns them.
    pub(crate) fn record_interrupted(&mut self) -> Result<Vec<Unfinished>> {
        self.settle(None)
    }

    /// Records the interrupted operations, then `start` if given, holding the log folder so that
    /// each interrupted operation is recorded once.
    fn settle(&mut self, start: Option<&Value>) -> Result<Vec<Unfinished>> {
        let cannot = |e| cannot_write(&self.path, e);
        let _held = hold_folder(&crate::shared::durable::folder_of(&self.path), &self.path)?;
        let mut records = read_rotated(&rotated(&self.path, 1));
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| read_records(&mut self.file))
            .map(|current| records.extend(current))
            .map_err(cannot)?;
        let interrupted: Vec<Unfinished> = unfinished(&records)
            .into_iter()
            .filter(|op| op.state == State::Interrupted)
            .collect();
        let lines: String = interrupted
            .iter()
            .map(interrupted_json)
            .chain(start.cloned())
            .map(|record| format!("{record}\n"))
            .collect();
        if lines.is_empty() {
            return Ok(interrupted);
        }
        if start.is_some() {
            crate::access::failpoint::hit("audit.start")
                .map_err(|e| cannot(std::io::Error::other(e)))?;
        }
        self.file
            .write_all(lines.as_bytes())
            .and_then(|()| self.file.sync_data())
            .and_then(|()| reserve(&self.file))
            .map_err(cannot)?;
        Ok(interrupted)
    }

    /// Appends one outcome record (with the operation id of [`AuditLog::start`], if it was
    /// written) as a JSON line and syncs it.
    pub(crate) fn append(&mut self, record: &Record) -> Result<()> {
        let mut line = to_json(record, self.id.as_deref()).to_string();
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| {
                Error::failed(format!(
                    "cannot append to the audit log `{}`",
                    self.path.display()
                ))
                .because(e)
            })
    }

    /// Whether the start record is written.
    pub(crate) fn started(&self) -> bool {
        self.id.is_some()
    }
}

/// How long an operation waits for another one's turn at the log folder before it refuses.
const FOLDER_WAIT: Duration = Duration::from_secs(10);

/// An `flock` on the log folder (a folder stays the same file while the log rotates), held until
/// the returned folder is closed: while the log is rotated, and while it is read for interrupted
/// operations and the start written, so that each interrupted operation is recorded once.
/// Takes the log folder's turn for `log`, waiting up to [`FOLDER_WAIT`].
fn hold_folder(dir: &Path, log: &Path) -> Result<File> {
    let cannot = |e| cannot_write(log, e);
    let folder = File::open(dir).map_err(cannot)?;
    let deadline = Instant::now() + FOLDER_WAIT;
    while !crate::access::lock::try_lock(&folder, true).map_err(cannot)? {
        if Instant::now() >= deadline {
            return Err(Error::failed(format!(
                "the folder of the audit log `{}` stayed locked by another process for {} s; a prod operation does not start without the audit log: try again when the other process has finished",
                log.display(),
                FOLDER_WAIT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(folder)
}

/// Nanoseconds since 1970, to tell apart operations of one process.
fn unix_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos())
}

/// Whether a prod operation could open the log now, tested as [`AuditLog::open`] does it (the
/// same open, rotation folder and reservation) but writing nothing and creating nothing: a log
/// that does not exist yet is stood in for by an unnamed file in the folder it would be made in.
pub(crate) fn probe(layout: &Layout) -> Result<()> {
    let path = layout.audit_log();
    let cannot = |e| cannot_write(&path, e);
    // A FIFO in the log's place would hold the open below forever.
    crate::selection::paths::refuse_special(&path, "log")
        .map_err(|e| cannot(std::io::Error::other(e)))?;
    let log = match OpenOptions::new().read(true).append(true).open(&path) {
        Ok(file) => Some(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(cannot(e)),
    };
    if let Some(file) = &log {
        reserve(file).map_err(cannot)?;
    }
    let rotates = log
        .as_ref()
        .and_then(|file| file.metadata().ok())
        .is_some_and(|m| m.len() >= ROTATE_BYTES);
    if log.is_none() || rotates {
        // The folder the log is made in (or rotated within): the log folder, else the nearest
        // folder above it, where `open` makes the missing ones.
        let dir = layout.log_dir();
        let nearest = dir
            .ancestors()
            .find(|d| d.symlink_metadata().is_ok())
            .unwrap_or(&dir);
        unnamed_file_in(nearest)
            .and_then(|file| file.map_or(Ok(()), |file| reserve(&file)))
            .map_err(cannot)?;
    }
    Ok(())
}

/// An unnamed file in `dir` (`O_TMPFILE`), gone when closed; `None` when the filesystem has no
/// unnamed files, after checking that `dir` is a folder this process may write in.
fn unnamed_file_in(dir: &Path) -> std::io::Result<Option<File>> {
    use std::os::unix::fs::OpenOptionsExt;
    match OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o600)
        .open(dir)
    {
        Ok(file) => Ok(Some(file)),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR)) => {
            let metadata = std::fs::metadata(dir)?;
            if !metadata.is_dir() {
                return Err(std::io::Error::from_raw_os_error(libc::ENOTDIR));
            }
            if writable(dir) {
                Ok(None)
            } else {
                Err(std::io::Error::from_raw_os_error(libc::EACCES))
            }
        }
        Err(e) => Err(e),
    }
}

/// Whether this process may write in `dir` (`access(W_OK)`).
fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(name) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `name` is a valid NUL-terminated path that outlives the call.
    unsafe { libc::access(name.as_ptr(), libc::W_OK) == 0 }
}

/// Why the log cannot be written, and what to do.
fn cannot_write(path: &Path, e: std::io::Error) -> Error {
    let fix = if e.raw_os_error() == Some(libc::ENOSPC) {
        "free space on its disk"
    } else {
        "make it a writable file in a writable folder"
    };
    Error::failed(format!(
        "cannot write the audit log `{}`; a prod operation does not start without it: {fix}",
        path.display()
    ))
    .because(e)
}

/// Room reserved at the end of the log for the record an operation appends when it ends.
const RESERVED_BYTES: i64 = 64 * 1024;

/// Reserves room at the end of the log (without changing its size) for the record appended when
/// the operation ends, so a disk that fills meanwhile cannot leave a prod write unrecorded; a full
/// disk, or a log that is no regular file (`/dev/full`), refuses to start. A filesystem that
/// cannot reserve is trusted as before.
fn reserve(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let end = file.metadata()?.len() as i64;
    // SAFETY: fallocate on a descriptor this `File` owns; no memory is shared.
    let rc = unsafe {
        libc::fallocate(
            file.as_raw_fd(),
            libc::FALLOC_FL_KEEP_SIZE,
            end,
            RESERVED_BYTES,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EOPNOTSUPP) => Ok(()),
        _ => Err(e),
    }
}

/// The database path as records name it: absolute.
fn shown_database(database: &Path) -> String {
    std::path::absolute(database)
        .unwrap_or_else(|_| database.to_path_buf())
        .display()
        .to_string()
}

/// The outcome record of the operation `id` (`None`: it wrote no start record).
fn to_json(record: &Record, id: Option<&str>) -> Value {
    json!({
        "time": crate::shared::time::utc_now(),
        "event": "ended",
        "id": id,
        "user": user(),
        "host": host(),
        "command": record.command,
        "database": shown_database(&record.database),
        "confirmation": record.confirmation,
        "outcome": record.outcome,
        "duration_ms": record.duration_ms,
        "backup": record.backup.as_ref().map(|p| p.display().to_string()),
        "removed_backups": record.removed.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "restored": record.restored,
    })
}

/// The start record of the operation `id`, with what tells later whether its process still runs:
/// the process id, when the process started (clock ticks since boot) and which boot it was.
fn started_json(id: &str, command: &[String], database: &Path) -> Value {
    let pid = std::process::id();
    json!({
        "time": crate::shared::time::utc_now(),
        "event": "started",
        "id": id,
        "user": user(),
        "host": host(),
        "pid": pid,
        "process_start": crate::shared::process::start_time(pid),
        "boot": boot_id(),
        "command": command,
        "database": shown_database(database),
    })
}

/// The record that the operation `op` was interrupted, written when it is noticed.
fn interrupted_json(op: &Unfinished) -> Value {
    json!({
        "time": crate::shared::time::utc_now(),
        "event": "interrupted",
        "id": op.id,
        "started": op.started,
        "user": op.user,
        "host": op.host,
        "pid": op.pid,
        "command": op.command,
        "database": op.database,
        "outcome": INTERRUPTED,
    })
}

/// The outcome of an interrupted operation, in its record and in `database audit`.
pub const INTERRUPTED: &str = "interrupted: no outcome was recorded and its process is gone";

/// What became of an operation that wrote a start record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Its outcome record is there.
    Ended,
    /// No outcome, and its process is still running.
    Running,
    /// No outcome, and its process is gone (or an `interrupted` record says so).
    Interrupted,
    /// No outcome, and this process cannot tell whether it still runs: it started on another
    /// host, or where `/proc` was missing.
    Unknown,
}

impl State {
    /// Its name in `database audit --json`.
    pub fn name(self) -> &'static str {
        match self {
            State::Ended => "ended",
            State::Running => "running",
            State::Interrupted => "interrupted",
            State::Unknown => "unknown",
        }
    }
}

/// An operation that started and recorded no outcome.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Unfinished {
    /// Its operation id.
    pub id: String,
    /// When it started (UTC).
    pub started: String,
    /// Who ran it.
    pub user: String,
    /// Where.
    pub host: String,
    /// As which process.
    pub pid: u64,
    /// Its command line, as recorded (redacted).
    pub command: Vec<String>,
    /// Its database.
    pub database: String,
    /// Whether it still runs.
    pub state: State,
}

impl std::fmt::Display for Unfinished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` on `{}`, started {} by {}@{} (process {})",
            crate::ui::escape_controls(&self.command.join(" ")),
            crate::ui::escape_controls(&self.database),
            crate::ui::escape_controls(&self.started),
            crate::ui::escape_controls(&self.user),
            crate::ui::escape_controls(&self.host),
            self.pid
        )
    }
}

/// The operations among `records` that wrote a start record and no record after it with their
/// id (an outcome, or an `interrupted` record), oldest first, each with whether it still runs.
/// A record read twice (a log rotated while it was read) counts once.
pub(crate) fn unfinished(records: &[Value]) -> Vec<Unfinished> {
    let ended: HashSet<&str> = records
        .iter()
        .filter(|r| r.get("event").and_then(Value::as_str) != Some("started"))
        .filter_map(|r| r.get("id").and_then(Value::as_str))
        .collect();
    let mut seen = HashSet::new();
    records
        .iter()
        .filter(|r| r.get("event").and_then(Value::as_str) == Some("started"))
        .filter_map(|start| {
            let id = start.get("id").and_then(Value::as_str)?;
            if ended.contains(id) || !seen.insert(id) {
                return None;
            }
            let text = |name: &str| {
                start
                    .get(name)
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string()
            };
            Some(Unfinished {
                id: id.to_string(),
                started: text("time"),
                user: text("user"),
                host: text("host"),
                pid: start.get("pid").and_then(Value::as_u64).unwrap_or(0),
                command: start
                    .get("command")
                    .and_then(Value::as_array)
                    .map(|words| {
                        words
                            .iter()
                            .filter_map(|w| w.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                database: text("database"),
                state: liveness(start),
            })
        })
        .collect()
}

/// For each line, what became of the operation if it is a start record: ended, or interrupted
/// when an `interrupted` record follows; with no record after it, whether its process still runs.
pub fn start_states(lines: &[Line]) -> Vec<Option<State>> {
    let records: Vec<Value> = lines
        .iter()
        .filter_map(|line| match line {
            Line::Record(record) => Some(record.clone()),
            Line::Unreadable { .. } => None,
        })
        .collect();
    let open: HashMap<String, State> = unfinished(&records)
        .into_iter()
        .map(|op| (op.id, op.state))
        .collect();
    let interrupted: HashSet<&str> = records
        .iter()
        .filter(|r| r.get("event").and_then(Value::as_str) == Some("interrupted"))
        .filter_map(|r| r.get("id").and_then(Value::as_str))
        .collect();
    lines
        .iter()
        .map(|line| {
            let Line::Record(record) = line else {
                return None;
            };
            if record.get("event").and_then(Value::as_str) != Some("started") {
                return None;
            }
            let id = record.get("id").and_then(Value::as_str).unwrap_or("");
            Some(match open.get(id) {
                Some(state) => *state,
                None if interrupted.contains(id) => State::Interrupted,
                None => State::Ended,
            })
        })
        .collect()
}

/// Whether the process that wrote the start record `start` still runs: on this host, in the boot
/// the record names, a process with its id that started when it did. A start from another host,
/// or written or read where `/proc` is missing, is [`State::Unknown`].
fn liveness(start: &Value) -> State {
    if start.get("host").and_then(Value::as_str) != Some(host().as_str()) {
        return State::Unknown;
    }
    let (Some(boot), Some(now)) = (start.get("boot").and_then(Value::as_str), boot_id()) else {
        return State::Unknown;
    };
    if boot != now {
        return State::Interrupted;
    }
    let pid = start.get("pid").and_then(Value::as_u64);
    let began = start.get("process_start").and_then(Value::as_u64);
    match (pid.and_then(|pid| u32::try_from(pid).ok()), began) {
        (Some(pid), Some(began)) if crate::shared::process::start_time(pid) == Some(began) => {
            State::Running
        }
        (Some(_), Some(_)) => State::Interrupted,
        _ => State::Unknown,
    }
}

/// This boot's id (`/proc/sys/kernel/random/boot_id`).
fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
}

/// The most of a log file read when looking for unfinished operations: its end.
const READ_BYTES: u64 = 4 * ROTATE_BYTES;

/// The records in the last [`READ_BYTES`] of `file`, read from where it is; lines that are not
/// records (a line cut at the start of the window, a line being written) are skipped.
fn read_records(file: &mut File) -> std::io::Result<Vec<Value>> {
    let end = file.metadata()?.len();
    let cut = end.saturating_sub(READ_BYTES);
    if cut > 0 {
        file.seek(SeekFrom::Start(cut))?;
    }
    let mut bytes = Vec::new();
    file.take(READ_BYTES).read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(Value::is_object)
        .collect())
}

/// The records at the end of the rotated log `path` ([`read_records`]); none when it is missing,
/// no regular file (a FIFO would hold the read forever) or unreadable: the current log decides
/// whether a prod operation can start, not an old one.
fn read_rotated(path: &Path) -> Vec<Value> {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Vec::new();
    }
    File::open(path)
        .and_then(|mut file| read_records(&mut file))
        .unwrap_or_default()
}

/// One line of the audit log, as read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A record.
    Record(Value),
    /// A line that is not a JSON record: which file, which line.
    Unreadable { file: PathBuf, line: usize },
}

/// Every line of the audit log, oldest first: the rotated files (`.5` … `.1`), then the log.
/// Empty when there is no log yet.
pub fn read(layout: &Layout) -> Result<Vec<Line>> {
    let path = layout.audit_log();
    let files = (1..=KEEP_ROTATED)
        .rev()
        .map(|n| rotated(&path, n))
        .chain([path.clone()]);
    let mut lines = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Error::failed(format!(
                    "cannot read the audit log `{}`",
                    file.display()
                ))
                .because(e))
            }
        };
        for (index, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            lines.push(match serde_json::from_str::<Value>(line) {
                Ok(record) if record.is_object() => Line::Record(record),
                _ => Line::Unreadable {
                    file: file.clone(),
                    line: index + 1,
                },
            });
        }
    }
    Ok(lines)
}

/// The rotated log number `n`: `prod_audit.log.N`.
fn rotated(path: &Path, n: usize) -> PathBuf {
    PathBuf::from(format!("{}.{n}", path.display()))
}

/// Shifts `log.N-1` to `log.N` … and `log` to `log.1`, dropping the oldest.
fn rotate(path: &Path) -> std::io::Result<()> {
    for n in (1..KEEP_ROTATED).rev() {
        if rotated(path, n).exists() {
            std::fs::rename(rotated(path, n), rotated(path, n + 1))?;
        }
    }
    std::fs::rename(path, rotated(path, 1))
}

fn user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .or_else(user_from_uid)
        .unwrap_or_else(|| "unknown".into())
}

/// The name of this process's user from `/proc/self/status` and `/etc/passwd` (Linux).
fn user_from_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.get(2) == Some(&uid.as_str())).then(|| fields[0].to_string())
    });
    Some(name.unwrap_or_else(|| format!("uid {uid}")))
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// Words in a flag, variable, key or URL parameter name that mark its value as secret.
const SECRET_WORDS: [&str; 9] = [
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api-key",
    "credential",
    "private",
    "signature",
];

/// Whether a name (a flag such as `--api-token`, a variable such as `AWS_ACCESS_KEY`, a URL
/// query parameter) marks its value as secret: it holds one of [`SECRET_WORDS`], or it is `key`
/// or ends in `_KEY`/`-KEY`, in any case. The one rule for the audit log and `config show`.
fn is_secret_name(name: &str) -> bool {
    let name = name
        .trim_start_matches('-')
        .to_ascii_lowercase()
        .replace('_', "-");
    name == "key" || name.ends_with("-key") || SECRET_WORDS.iter().any(|word| name.contains(word))
}

/// The marker a secret is replaced by.
const HIDDEN: &str = "***";

/// A setting's value as it may be shown: `***` when its name looks secret, else with the secrets
/// inside URLs hidden ([`redact_text`]).
pub(crate) fn redact_value(name: &str, value: &str) -> String {
    if is_secret_name(name) {
        HIDDEN.to_string()
    } else {
        redact_text(value)
    }
}

/// The command line with secret values replaced by `***`: the value after a secret-looking flag
/// (`--token X`, `--token=X`), `NAME=value` with a secret-looking name, and the secrets inside
/// URLs ([`redact_text`]).
pub(crate) fn redact(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for arg in args {
        if std::mem::take(&mut hide_next) {
            out.push(HIDDEN.to_string());
            continue;
        }
        let named = arg.split_once('=').filter(|(name, _)| {
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
        if let Some((name, _)) = named.filter(|(name, _)| is_secret_name(name)) {
            out.push(format!("{name}={HIDDEN}"));
        } else if arg.starts_with('-') && !arg.contains('=') && is_secret_name(arg) {
            hide_next = true;
            out.push(arg.clone());
        } else {
            out.push(redact_text(arg));
        }
    }
    out
}

/// `text` with the secrets of any URL or connection string in it hidden: the password of
/// `scheme://user:password@`, and the value of every `name=value` pair with a secret-looking name
/// in a query or a connection string ([`redact_pairs`]).
fn redact_text(text: &str) -> String {
    redact_pairs(&redact_url_password(text))
}

/// The password of `scheme://user:password@host` hidden. The user part ends at the last `@`
/// before any whitespace (a password may hold `@` or `/`, which restic accepts unescaped); a
/// path holding an `@` may hide more than the password, never less.
fn redact_url_password(arg: &str) -> String {
    let Some(scheme_end) = arg.find("://") else {
        return arg.to_string();
    };
    let rest = &arg[scheme_end + 3..];
    let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    match rest[..word_end]
        .rfind('@')
        .and_then(|at| rest[..at].find(':').map(|colon| (colon, at)))
    {
        Some((colon, at)) => format!(
            "{}{}:{HIDDEN}{}",
            &arg[..scheme_end + 3],
            &rest[..colon],
            &rest[at..]
        ),
        None => arg.to_string(),
    }
}

/// Hides the value of every `name=value` pair whose name looks secret and that follows a
/// separator (`?`, `&`, `,`, `;`, `:`): query parameters (`?token=abc&x=1` → `?token=***&x=1`)
/// and connection strings, such as rclone's (`:s3,secret_access_key=abc:bucket` →
/// `:s3,secret_access_key=***:bucket`). A value runs to the next `&`, `#`, `,`, `;`, `:` or
/// whitespace, or is quoted (`'…'`, `"…"`). Free text (`token=abc` after a space) is left alone.
fn redact_pairs(text: &str) -> String {
    let separator = |c: char| matches!(c, '?' | '&' | ',' | ';' | ':');
    let in_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let value_end = |c: char| matches!(c, '&' | '#' | ',' | ';' | ':') || c.is_whitespace();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        if text[..i].chars().next_back().is_some_and(separator) {
            let name_len = text[i..].find(|c| !in_name(c)).unwrap_or(text.len() - i);
            let name = &text[i..i + name_len];
            let after = &text[i + name_len..];
            if name_len > 0 && after.starts_with('=') && is_secret_name(name) {
                let value = &after[1..];
                let value_len = match value.chars().next() {
                    Some(quote @ ('\'' | '"')) => {
                        value[1..].find(quote).map_or(value.len(), |end| end + 2)
                    }
                    _ => value.find(value_end).unwrap_or(value.len()),
                };
                out.push_str(name);
                out.push('=');
                out.push_str(HIDDEN);
                i += name_len + 1 + value_len;
                continue;
            }
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn secrets_are_redacted() {
        let args = strings(&[
            "xtask",
            "--api-token",
            "abc",
            "--password=hunter2",
            "DB_PASSWORD=pw",
            "postgres://me:pw@host/db",
            "visit",
            "add",
            "--notes",
            "token-free text",
        ]);
        let shown = redact(&args).join(" ");
        for secret in ["abc", "hunter2", "=pw", ":pw@"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("postgres://me:***@host/db"), "{shown}");
        assert!(shown.contains("--notes token-free text"), "{shown}");
    }

    #[test]
    fn what_users_name_secrets_is_redacted() {
        for name in [
            "AWS_SECRET_ACCESS_KEY",
            "ONSENDO_S3_KEY",
            "--key",
            "restic-key",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "ONSENDO_PRIVATE_NOTE",
            "--private-key",
            "X-Amz-Signature",
        ] {
            assert_eq!(redact_value(name, "v"), "***", "{name}");
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "ONSENDO_ENV",
            "--keep",
            "MONKEY",
            "ONSENDO_KEYBOARD",
            "--notes",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn url_query_secrets_are_redacted_in_values_and_arguments() {
        let cases = [
            ("s3://host/b?token=abc", "s3://host/b?token=***"),
            (
                "https://h/p?x=1&password=pw&Signature=s1g#top",
                "https://h/p?x=1&password=***&Signature=***#top",
            ),
            (
                "--repo=s3:h/b?access_token=a b?key=k&keep=3",
                "--repo=s3:h/b?access_token=*** b?key=***&keep=3",
            ),
            ("sftp://me:pw@h/x?secret=z", "sftp://me:***@h/x?secret=***"),
            ("what? token=abc & more", "what? token=abc & more"),
            ("a?b&c=1&", "a?b&c=1&"),
            (
                "rclone::s3,provider=Other,access_key_id=AKID,secret_access_key=Top/Secret+1,endpoint='http://127.0.0.1:1':bucket/rc",
                "rclone::s3,provider=Other,access_key_id=AKID,secret_access_key=***,endpoint='http://127.0.0.1:1':bucket/rc",
            ),
            (
                "rclone::b2,account=a,key='k:e,y':b",
                "rclone::b2,account=a,key=***:b",
            ),
            (
                "rest:http://alice:Se/cr@t@127.0.0.1:8000/repo",
                "rest:http://alice:***@127.0.0.1:8000/repo",
            ),
            ("温泉?token=秘密&x=1", "温泉?token=***&x=1"),
        ];
        for (given, shown) in cases {
            assert_eq!(redact_value("ONSENDO_BACKUP_URL", given), shown, "{given}");
            assert_eq!(redact(&strings(&[given])), strings(&[shown]), "{given}");
        }
    }

    /// A start record of this process, as [`AuditLog::start`] writes it, but with `id` and the
    /// process start time `began` (this process's own when `None`).
    fn start_of_this_process(id: &str, began: Option<u64>) -> Value {
        let mut start = started_json(
            id,
            &strings(&["xtask", "database", "restore"]),
            Path::new("/x/p.db"),
        );
        if let Some(began) = began {
            start["process_start"] = began.into();
        }
        start
    }

    #[test]
    fn a_start_without_its_outcome_is_running_while_its_process_runs() {
        let running = start_of_this_process("a", None);
        // The same process id, started at another time: the id was reused after the run died.
        let reused = start_of_this_process("b", Some(1));
        let mut elsewhere = start_of_this_process("c", None);
        elsewhere["host"] = "elsewhere".into();
        let ended = start_of_this_process("d", Some(1));
        let outcome = to_json(&record(), Some("d"));
        let records = [running, reused.clone(), reused, elsewhere, ended, outcome];
        let found: Vec<(String, State)> = unfinished(&records)
            .into_iter()
            .map(|op| (op.id, op.state))
            .collect();
        assert_eq!(
            found,
            [
                ("a".to_string(), State::Running),
                ("b".to_string(), State::Interrupted),
                ("c".to_string(), State::Unknown),
            ]
        );
    }

    #[test]
    fn an_interrupted_start_in_the_rotated_log_is_recorded_once() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path().to_path_buf());
        let mut log = AuditLog::open(&layout).unwrap();
        let dead = start_of_this_process("dead", Some(1));
        std::fs::write(
            rotated(&layout.audit_log(), 1),
            format!("{dead}\nnot json\n"),
        )
        .unwrap();
        let command = strings(&["xtask", "database", "backup"]);
        let told = log.start(&command, Path::new("/x/p.db")).unwrap();
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].id, "dead");
        assert_eq!(told[0].state, State::Interrupted);
        log.append(&record()).unwrap();

        let mut next = AuditLog::open(&layout).unwrap();
        assert_eq!(next.record_interrupted().unwrap(), []);
        let lines = read(&layout).unwrap();
        let states = start_states(&lines);
        let events: Vec<(String, Option<State>)> = lines
            .iter()
            .zip(states)
            .filter_map(|(line, state)| match line {
                Line::Record(r) => Some((r["event"].as_str().unwrap().to_string(), state)),
                Line::Unreadable { .. } => None,
            })
            .collect();
        let pairs = |e: &str, s| (e.to_string(), s);
        assert_eq!(
            events,
            [
                pairs("started", Some(State::Interrupted)),
                pairs("interrupted", None),
                pairs("started", Some(State::Ended)),
                pairs("ended", None),
            ]
        );
    }

    fn record() -> Record {
        Record {
            command: strings(&["onsendo", "visit", "delete", "3"]),
            database: PathBuf::from("/x/onsen.prod.db"),
            confirmation: "--yes".into(),
            outcome: "ok".into(),
            duration_ms: 12,
            backup: None,
            removed: Vec::new(),
            restored: None,
        }
    }

    #[test]
    fn records_are_json_lines_and_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path().to_path_buf());
        let record = record();
        AuditLog::open(&layout).unwrap().append(&record).unwrap();
        let text = std::fs::read_to_string(layout.audit_log()).unwrap();
        let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(line["outcome"], "ok");
        assert!(line["time"].as_str().unwrap().ends_with('Z'));

        std::fs::write(layout.audit_log(), vec![b'x'; ROTATE_BYTES as usize]).unwrap();
        AuditLog::open(&layout).unwrap().append(&record).unwrap();
        let rotated = PathBuf::from(format!("{}.1", layout.audit_log().display()));
        assert_eq!(std::fs::metadata(rotated).unwrap().len(), ROTATE_BYTES);
        assert_eq!(
            std::fs::read_to_string(layout.audit_log())
                .unwrap()
                .lines()
                .count(),
            1
        );
    }
}
