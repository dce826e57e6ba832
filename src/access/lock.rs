//! One advisory lock per database file, held for the whole of a command that creates, replaces or
//! restores it: an `flock` on a hidden lock file beside the database. The kernel releases it when
//! the process ends, however it ends, so a kill never leaves a stale lock. The holder writes who it
//! is into the file, so a command that has to wait can say for whom.

use crate::shared::error::{Error, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a command waits for another one's lock by default, before it refuses.
pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// The variable that sets the wait, in seconds (`0`: refuse at once).
pub(crate) const WAIT_VAR: &str = "ONSENDO_LOCK_WAIT";

/// How often a waiting command tries the lock again.
const POLL: Duration = Duration::from_millis(50);

/// A held lock: released when dropped, or by the kernel when the process ends.
#[derive(Debug)]
pub(crate) struct Lock {
    file: File,
    exclusive: bool,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // The file stays (removing it would let two processes lock two different files); what it
        // says about the holder is cleared so that nobody is named after the lock is gone.
        if self.exclusive {
            let _ = self.file.set_len(0);
        }
    }
}

/// The process that holds a lock, as it wrote itself into the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    /// Its process id.
    pub pid: u32,
    /// Since when it holds the lock (UTC, RFC 3339).
    pub since: String,
    /// What it is doing.
    pub command: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "process {} (`{}`, since {})",
            self.pid, self.command, self.since
        )
    }
}

/// Who holds a lock, for a notice: the holder, or, when none named itself, the commands that
/// share it (which do not name themselves).
pub(crate) fn who(holder: Option<&Holder>) -> String {
    holder.map_or_else(
        || "commands that share it (a backup, app writes)".to_string(),
        ToString::to_string,
    )
}

/// How long to wait for another command's lock: `ONSENDO_LOCK_WAIT` seconds, else
/// [`DEFAULT_WAIT`]. A value that is not a whole number of seconds up to a day is a usage error.
pub(crate) fn wait_from_process() -> Result<Duration> {
    wait_from(std::env::var(WAIT_VAR).ok().as_deref())
}

/// [`wait_from_process`] for the variable's value.
pub(crate) fn wait_from(value: Option<&str>) -> Result<Duration> {
    let seconds = crate::selection::config::number_setting(
        WAIT_VAR,
        value,
        DEFAULT_WAIT.as_secs(),
        MAX_WAIT_SECONDS,
        "seconds",
    )?;
    Ok(Duration::from_secs(seconds))
}

/// The longest wait `ONSENDO_LOCK_WAIT` may ask for: a day.
const MAX_WAIT_SECONDS: u64 = 24 * 3600;

/// The lock file of `database`: `.NAME.lock` in its folder.
pub(crate) fn lock_path(database: &Path) -> PathBuf {
    let name = database
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    crate::shared::durable::folder_of(database).join(format!(".{name}.lock"))
}

/// Takes the lock of `database` for `command`, alone (`exclusive`) or beside other shared holders,
/// waiting up to `wait` for a holder in the way to finish. `on_wait` is called once, with the
/// holder (when it named itself), before waiting. After the wait, the refusal (exit 3) names the
/// holder.
pub(crate) fn acquire(
    database: &Path,
    command: &str,
    exclusive: bool,
    wait: Duration,
    on_wait: &mut dyn FnMut(Option<&Holder>),
) -> Result<Lock> {
    let path = lock_path(database);
    let mut file = crate::shared::durable::open_own_file(&path, true).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidInput {
            Error::failed(format!(
                "cannot use the lock file `{}`: {e}",
                path.display()
            ))
        } else {
            crate::shared::durable::write_error(&path, e)
        }
    })?;
    let deadline = Instant::now() + wait;
    let mut told = false;
    while !try_lock(&file, exclusive)
        .map_err(|e| Error::failed(format!("cannot lock `{}`", path.display())).because(e))?
    {
        let holder = read_holder(&mut file);
        if Instant::now() >= deadline {
            return Err(Error::refused(format!(
                "`{}` is busy: {} held it for the whole wait ({} s); try again once done (ONSENDO_LOCK_WAIT sets the wait in seconds)",
                database.display(),
                who(holder.as_ref()),
                wait.as_secs()
            )));
        }
        if !told {
            on_wait(holder.as_ref());
            told = true;
        }
        std::thread::sleep(POLL);
    }
    // Only an exclusive holder names itself: shared holders would overwrite one another's line,
    // and one leaving would clear the line of another still there.
    if exclusive {
        write_holder(&mut file, command).map_err(|e| {
            Error::failed(format!(
                "cannot write to the lock file `{}`",
                path.display()
            ))
            .because(e)
        })?;
    }
    Ok(Lock { file, exclusive })
}

/// The holder of `database`'s lock, when one holds it now and named itself (an exclusive holder;
/// shared holders, writes through SQLite, do not). No lock file is no holder; a lock file that
/// cannot be opened as one (not a regular file, unreadable) is the error every command would meet.
pub(crate) fn holder(database: &Path) -> std::io::Result<Option<Holder>> {
    let mut file = match crate::shared::durable::open_own_file(&lock_path(database), false) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        opened => opened?,
    };
    if try_lock(&file, true)? {
        // Nobody held it: ours is released when the file closes.
        return Ok(None);
    }
    Ok(read_holder(&mut file))
}

/// `flock(LOCK_EX | LOCK_NB)` (or `LOCK_SH`): whether the lock was taken.
pub(crate) fn try_lock(file: &File, exclusive: bool) -> std::io::Result<bool> {
    let how = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    };
    // SAFETY: flock on a descriptor this function's caller owns for the call's duration.
    let done = unsafe { libc::flock(file.as_raw_fd(), how | libc::LOCK_NB) };
    if done == 0 {
        return Ok(true);
    }
    let error = std::io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::EWOULDBLOCK) => Ok(false),
        Some(libc::EINTR) => Ok(false),
        _ => Err(error),
    }
}

/// Writes `pid\tsince\tcommand` into the held lock's file, in place of what was there.
fn write_holder(file: &mut File, command: &str) -> std::io::Result<()> {
    let line = format!(
        "{}\t{}\t{}\n",
        std::process::id(),
        crate::shared::time::utc_now(),
        command.replace(['\t', '\n', '\r'], " ")
    );
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(line.as_bytes())?;
    file.flush()
}

/// What the holder wrote, if it reads as a holder line.
fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(4096).read_to_string(&mut text).ok()?;
    let mut fields = text.trim_end_matches('\n').splitn(3, '\t');
    Some(Holder {
        pid: fields.next()?.parse().ok()?,
        since: fields.next()?.to_string(),
        command: fields.next()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_waits_names_the_holder_and_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("onsen.dev.db");
        let held = acquire(&db, "database backup", true, Duration::ZERO, &mut |_| {}).unwrap();
        assert!(
            dir.path().join(".onsen.dev.db.lock").is_file(),
            "the lock file sits beside the database"
        );
        let named = holder(&db).unwrap().expect("held");
        assert_eq!(named.pid, std::process::id());
        assert_eq!(named.command, "database backup");

        let mut seen = Vec::new();
        let refused = acquire(
            &db,
            "database restore",
            false,
            Duration::from_millis(120),
            &mut |h| seen.push(h.cloned()),
        )
        .unwrap_err();
        assert_eq!(refused.kind(), crate::Kind::Refused);
        assert!(
            refused.to_string().contains("`database backup`"),
            "{refused}"
        );
        assert_eq!(seen, [Some(named)], "told once, naming the holder");

        drop(held);
        assert_eq!(holder(&db).unwrap(), None, "free once dropped");
        let shared = acquire(&db, "visit add", false, Duration::ZERO, &mut |_| {}).unwrap();
        acquire(&db, "visit add", false, Duration::ZERO, &mut |_| {})
            .expect("shared beside shared");
        assert!(acquire(&db, "database restore", true, Duration::ZERO, &mut |_| {}).is_err());
        drop(shared);
    }

    #[test]
    fn the_wait_is_whole_seconds_up_to_a_day_and_anything_else_is_a_usage_error() {
        assert_eq!(wait_from(None).unwrap(), DEFAULT_WAIT);
        assert_eq!(wait_from(Some(" ")).unwrap(), DEFAULT_WAIT);
        assert_eq!(wait_from(Some("0")).unwrap(), Duration::ZERO);
        assert_eq!(wait_from(Some(" 90 ")).unwrap(), Duration::from_secs(90));
        for bad in ["-1", "1.5", "ten", "86401", "99999999999999999999999"] {
            let error = wait_from(Some(bad)).unwrap_err();
            assert_eq!(error.kind(), crate::Kind::Usage, "{bad}");
            assert!(
                error.to_string().contains(&format!("not `{bad}`")),
                "{error}"
            );
        }
    }
}
