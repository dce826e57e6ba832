//! The environments a database can belong to, and how their names are read.

use crate::shared::error::{Error, Result};
use std::fmt;

/// One of the three environments; each has its own database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// Everyday development data.
    Dev,
    /// The real data: guarded by banners, confirmations and the audit log.
    Prod,
    /// Throwaway data for automated tests.
    Test,
}

impl Environment {
    /// Every environment, in the order they are listed to users.
    pub const ALL: [Environment; 3] = [Environment::Dev, Environment::Prod, Environment::Test];

    /// The canonical lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Prod => "prod",
            Environment::Test => "test",
        }
    }

    /// Reads a name, case-insensitively after trimming; anything else is a usage error
    /// that lists the valid names. `origin` says where the name came from (`--env`, `ONSENDO_ENV`).
    pub fn parse(text: &str, origin: &str) -> Result<Environment> {
        let wanted = text.trim();
        Environment::ALL
            .into_iter()
            .find(|env| env.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                Error::usage(format!(
                    "unknown environment `{text}` from {origin}; valid names: {}",
                    valid_names()
                ))
            })
    }
}

/// The valid names, comma-separated, for messages.
pub(crate) fn valid_names() -> String {
    Environment::ALL.map(Environment::name).join(", ")
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::error::Kind;

    #[test]
    fn names_are_trimmed_and_case_insensitive() {
        for (text, env) in [
            ("dev", Environment::Dev),
            (" PROD ", Environment::Prod),
            ("Prod", Environment::Prod),
            ("\ttest\n", Environment::Test),
        ] {
            assert_eq!(Environment::parse(text, "--env").unwrap(), env);
        }
    }

    #[test]
    fn unknown_names_are_usage_errors_listing_valid_ones() {
        for text in ["staging", "", "production", "pro d"] {
            let err = Environment::parse(text, "--env").unwrap_err();
            assert_eq!(err.kind(), Kind::Usage);
            assert!(err.to_string().contains("dev, prod, test"), "{err}");
        }
    }
}
