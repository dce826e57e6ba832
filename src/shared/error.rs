//! The library's error type: a one-line message, an exit-code kind, and the cause chain.

use std::error::Error as StdError;
use std::fmt;

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
    pub fn exit_code(self) -> u8 {
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
pub struct NextStep {
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
    pub fn next_step(mut self, lead: &'static str, command: impl Into<String>) -> Self {
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
    pub fn kind(&self) -> Kind {
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
pub trait Context<T> {
    /// Wraps the error as [`Kind::Failed`] with `message` in front of it.
    fn failed(self, message: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: StdError + Send + Sync + 'static> Context<T> for std::result::Result<T, E> {
    fn failed(self, message: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::failed(message()).because(e))
    }
}

/// The exit code for any error: the kind of the first library error in its chain, else 1.
pub fn exit_code_of(error: &(dyn StdError + 'static)) -> u8 {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(ours) = e.downcast_ref::<Error>() {
            return ours.kind().exit_code();
        }
        current = e.source();
    }
    Kind::Failed.exit_code()
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
}
