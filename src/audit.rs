//! The prod audit log: one JSON line per operation on prod, rotated by size.

use crate::error::{Error, Result};
use crate::paths::Layout;
use serde_json::{json, Value};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The log is rotated when it grows past this many bytes.
pub const ROTATE_BYTES: u64 = 1024 * 1024;
/// How many rotated files (`prod_audit.log.1` … `.N`) are kept.
pub const KEEP_ROTATED: usize = 5;

/// One audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
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
}

/// The open log: opened (and rotated) before the operation starts, appended to when it ends.
#[derive(Debug)]
pub struct AuditLog {
    file: File,
    path: PathBuf,
}

impl AuditLog {
    /// Opens the log for appending, rotating it first if it is too large.
    pub fn open(layout: &Layout) -> Result<AuditLog> {
        let path = layout.audit_log();
        let cannot = |e| cannot_write(&path, e);
        if !layout.root().is_dir() {
            return Err(cannot(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("the root `{}` is not a folder", layout.root().display()),
            )));
        }
        crate::durable::create_private_folder(&layout.log_dir()).map_err(cannot)?;
        // A FIFO in the log's place would hold the open below forever.
        crate::paths::refuse_special(&path, "log").map_err(|e| cannot(std::io::Error::other(e)))?;
        if std::fs::metadata(&path).is_ok_and(|m| m.len() >= ROTATE_BYTES) {
            rotate(&path).map_err(cannot)?;
        }
        let file = crate::durable::private_file()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(cannot)?;
        reserve(&file).map_err(cannot)?;
        Ok(AuditLog { file, path })
    }

    /// Appends one record as a JSON line and syncs it.
    pub fn append(&mut self, record: &Record) -> Result<()> {
        let mut line = to_json(record).to_string();
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
}

/// Whether a prod operation could open the log now, tested as [`AuditLog::open`] does it (the
/// same open, rotation folder and reservation) but writing nothing and creating nothing: a log
/// that does not exist yet is stood in for by an unnamed file in the folder it would be made in.
pub fn probe(layout: &Layout) -> Result<()> {
    let path = layout.audit_log();
    let cannot = |e| cannot_write(&path, e);
    // A FIFO in the log's place would hold the open below forever.
    crate::paths::refuse_special(&path, "log").map_err(|e| cannot(std::io::Error::other(e)))?;
    let log = match OpenOptions::new().append(true).open(&path) {
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

fn to_json(record: &Record) -> Value {
    json!({
        "time": crate::time::utc_now(),
        "user": user(),
        "host": host(),
        "command": record.command,
        "database": std::path::absolute(&record.database).unwrap_or_else(|_| record.database.clone()).display().to_string(),
        "confirmation": record.confirmation,
        "outcome": record.outcome,
        "duration_ms": record.duration_ms,
        "backup": record.backup.as_ref().map(|p| p.display().to_string()),
    })
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
        .map(|n| PathBuf::from(format!("{}.{n}", path.display())))
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

/// Shifts `log.N-1` to `log.N` … and `log` to `log.1`, dropping the oldest.
fn rotate(path: &Path) -> std::io::Result<()> {
    let numbered = |n: usize| PathBuf::from(format!("{}.{n}", path.display()));
    for n in (1..KEEP_ROTATED).rev() {
        if numbered(n).exists() {
            std::fs::rename(numbered(n), numbered(n + 1))?;
        }
    }
    std::fs::rename(path, numbered(1))
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
pub fn redact_value(name: &str, value: &str) -> String {
    if is_secret_name(name) {
        HIDDEN.to_string()
    } else {
        redact_text(value)
    }
}

/// The command line with secret values replaced by `***`: the value after a secret-looking flag
/// (`--token X`, `--token=X`), `NAME=value` with a secret-looking name, and the secrets inside
/// URLs ([`redact_text`]).
pub fn redact(args: &[String]) -> Vec<String> {
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

/// `text` with the secrets of any URL in it hidden: the password of `scheme://user:password@`,
/// and the value of every query parameter with a secret-looking name (`?token=abc&x=1` →
/// `?token=***&x=1`).
fn redact_text(text: &str) -> String {
    redact_query(&redact_url_password(text))
}

fn redact_url_password(arg: &str) -> String {
    let Some(scheme_end) = arg.find("://") else {
        return arg.to_string();
    };
    let rest = &arg[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end]
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

/// Hides the values of the query parameters (after `?` or `&`) whose names look secret, up to
/// the next `&`, `#` or whitespace.
fn redact_query(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['?', '&']) {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let name_end = rest.find(['=', '&', '?', '#']).unwrap_or(rest.len());
        let name = &rest[..name_end];
        if rest[name_end..].starts_with('=')
            && !name.chars().any(char::is_whitespace)
            && is_secret_name(name)
        {
            let value = &rest[name_end + 1..];
            let value_end = value
                .find(|c: char| c == '&' || c == '#' || c.is_whitespace())
                .unwrap_or(value.len());
            out.push_str(name);
            out.push('=');
            out.push_str(HIDDEN);
            rest = &value[value_end..];
        }
    }
    out.push_str(rest);
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
        ];
        for (given, shown) in cases {
            assert_eq!(redact_value("ONSENDO_BACKUP_URL", given), shown, "{given}");
            assert_eq!(redact(&strings(&[given])), strings(&[shown]), "{given}");
        }
    }

    #[test]
    fn records_are_json_lines_and_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path().to_path_buf());
        let record = Record {
            command: strings(&["onsendo", "visit", "delete", "3"]),
            database: PathBuf::from("/x/onsen.prod.db"),
            confirmation: "--yes".into(),
            outcome: "ok".into(),
            duration_ms: 12,
            backup: None,
        };
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
