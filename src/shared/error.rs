//! The library's error type: a one-line message, an exit-code kind, and the cause chain.

use std::error::Error as StdError;
use std::fmt;
use std::path::Path;
use std::time::Duration;

/// What kind of failure an error is; decides the process exit code (see the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The operation failed (exit 1).
    Failed,
    /// The command line or an input value was invalid (exit 2).
    Usage,
    /// A safety rule refused the operation (exit 3).
    Refused,
    /// A check ran and found problems (exit 4).
    CheckFailed,
}

impl Kind {
    /// The documented process exit code for this kind.
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            Kind::Failed => 1,
            Kind::Usage => 2,
            Kind::Refused => 3,
            Kind::CheckFailed => 4,
        }
    }
}

/// An error with a user-facing message (lowercase, path in backticks, what to do next).
#[derive(Debug)]
pub struct Error {
    kind: Kind,
    message: String,
    next: Option<NextStep>,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

/// What to do next, as an app command to run on the same database (`visit list`), with the words
/// that lead to it (`list them with`). Code that knows no selection attaches it with
/// [`Error::next_step`]; the app's road renders it with the selection ([`Error::with_next`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NextStep {
    /// The words before the command (`list them with`).
    pub lead: &'static str,
    /// The app command (`visit list`).
    pub command: String,
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            next: None,
            source: None,
        }
    }

    /// An operation that failed (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(Kind::Failed, message)
    }

    /// Invalid input (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    /// Refused by a safety rule (exit 3).
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(Kind::Refused, message)
    }

    /// A check that found problems (exit 4).
    pub fn check_failed(message: impl Into<String>) -> Self {
        Self::new(Kind::CheckFailed, message)
    }

    /// Attaches the underlying cause, shown after the message.
    pub fn because(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Attaches what to do next: `lead`, then the app `command` on the same database. Shown plainly
    /// (`; list them with `onsendo visit list``) until [`Error::with_next`] renders it.
    pub(crate) fn next_step(mut self, lead: &'static str, command: impl Into<String>) -> Self {
        self.next = Some(NextStep {
            lead,
            command: command.into(),
        });
        self
    }

    /// Renders the attached next step with `render` (which adds the selection's flags) into the
    /// message; an error without one is returned as it is.
    pub fn with_next(mut self, render: impl FnOnce(&str) -> String) -> Self {
        if let Some(next) = self.next.take() {
            self.message = format!(
                "{}; {} `{}`",
                self.message,
                next.lead,
                render(&next.command)
            );
        }
        self
    }

    /// The kind of failure.
    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match &self.next {
            Some(next) => write!(f, "; {} `onsendo {}`", next.lead, next.command),
            None => Ok(()),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// Adds a message to a foreign error, keeping it as the cause.
pub(crate) trait Context<T> {
    /// Wraps the error as [`Kind::Failed`] with `message` in front of it.
    fn failed(self, message: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: StdError + Send + Sync + 'static> Context<T> for std::result::Result<T, E> {
    fn failed(self, message: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::failed(message()).because(e))
    }
}

/// The exit code for any error: the kind of the first library error in its chain, else 1.
pub(crate) fn exit_code_of(error: &(dyn StdError + 'static)) -> u8 {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(ours) = e.downcast_ref::<Error>() {
            return ours.kind().exit_code();
        }
        current = e.source();
    }
    Kind::Failed.exit_code()
}

/// The file a connection is open on (empty for an in-memory database), for its errors.
pub(crate) fn file_of(conn: &rusqlite::Connection) -> std::path::PathBuf {
    std::path::PathBuf::from(conn.path().unwrap_or_default())
}

/// Turns a SQLite error into a message that names the file and says what to do: the one mapping
/// of SQLite's errors for both binaries.
pub(crate) fn sqlite_error(path: &Path, doing: &str, error: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode::*;
    let shown = path.display();
    let message = match error.sqlite_error_code() {
        Some(DatabaseBusy | DatabaseLocked) => {
            let waited = match WAITED.with(std::cell::Cell::take) {
                Some(waited) => format!(" (waited {:.0}s)", waited.as_secs_f64()),
                None => String::new(),
            };
            format!(
                "database `{shown}` is locked by another process{waited}; `fuser -v` or `lsof` on the file shows which; let it finish, then retry"
            )
        }
        Some(NotADatabase | DatabaseCorrupt) => format!(
            "database `{shown}` is damaged or not a SQLite database; restore it from a backup"
        ),
        Some(ReadOnly) | Some(CannotOpen) | Some(PermissionDenied) => format!(
            "{doing} `{shown}`: the file or its folder is not writable or readable by you; give yourself read and write access to both, or run as their owner"
        ),
        Some(SystemIoFailure) => format!(
            "{doing} `{shown}`: the disk reported an I/O error; check the disk, then check the database with `cargo xtask database verify`"
        ),
        Some(DiskFull) => format!("{doing} `{shown}`: the disk is full; free space and retry"),
        _ => format!("{doing} `{shown}`"),
    };
    Error::failed(message).because(error)
}

thread_local! {
    /// How long this thread last waited for a lock before giving up, until an error reports it.
    pub(crate) static WAITED: std::cell::Cell<Option<Duration>> = const { std::cell::Cell::new(None) };
}

/// Notes that this thread waited `waited` for another process's lock and gave up, so that the
/// error that follows can say so (a lock SQLite reports at once, e.g. a deadlock, was not waited for).
pub(crate) fn gave_up_after(waited: Duration) {
    WAITED.with(|cell| cell.set(Some(waited)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_is_found_through_the_chain() {
        let inner = Error::refused("no");
        assert_eq!(exit_code_of(&inner), 3);
        let io = std::io::Error::other("disk");
        assert_eq!(exit_code_of(&io), 1);
        let wrapped = Error::usage("bad").because(io);
        assert_eq!(exit_code_of(&wrapped), 2);
        assert_eq!(wrapped.source().unwrap().to_string(), "disk");
    }

    #[test]
    fn a_lock_error_says_it_waited_only_when_it_did() {
        let busy = || {
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                None,
            )
        };
        let path = Path::new("/r/x.db");
        let at_once = sqlite_error(path, "cannot read", busy()).to_string();
        assert!(
            at_once.contains("is locked by another process;") && at_once.contains("fuser -v"),
            "{at_once}"
        );
        gave_up_after(Duration::from_millis(5_020));
        let waited = sqlite_error(path, "cannot read", busy()).to_string();
        assert!(
            waited.contains("locked by another process (waited 5s);") && waited.contains("lsof"),
            "{waited}"
        );
        let next = sqlite_error(path, "cannot read", busy()).to_string();
        assert!(!next.contains("waited"), "reported once: {next}");
    }
}
