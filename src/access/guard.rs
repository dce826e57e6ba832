//! Safety rules: the confirmation policy for destructive commands, and the rule that code running
//! under tests opens no database outside its own sandbox (so never prod).

use crate::selection::env::Environment;
use crate::selection::paths::{real_path, Layout};
use crate::shared::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Set by the test fixture for every process it starts: the temporary root the test owns.
/// Its presence means "running under tests".
pub(crate) const TEST_SANDBOX_VAR: &str = "ONSENDO_TEST_SANDBOX";
/// The file the test fixture writes at the top of its temporary root.
pub(crate) const SANDBOX_MARKER: &str = ".onsendo-test-sandbox";

/// What a command is about to do, as far as the confirmation policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Situation {
    /// The database's environment.
    pub env: Environment,
    /// Whether the command changes or deletes existing data or schema.
    pub destructive: bool,
    /// `--yes` was given.
    pub yes: bool,
    /// `--dry-run` was given.
    pub dry_run: bool,
    /// A person can answer a question (stdin is a terminal).
    pub tty: bool,
}

/// What the policy decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Go ahead without asking.
    Proceed,
    /// Ask the user to type the environment name.
    Ask,
    /// Refuse: nobody can confirm and `--yes` was not given.
    Refuse,
}

/// The confirmation policy: only destructive work on prod needs a confirmation; a dry run changes
/// nothing, `--yes` is the confirmation, a terminal can answer, anything else is refused.
pub(crate) fn decide(situation: Situation) -> Decision {
    let Situation {
        env,
        destructive,
        yes,
        dry_run,
        tty,
    } = situation;
    if env != Environment::Prod || !destructive || dry_run || yes {
        Decision::Proceed
    } else if tty {
        Decision::Ask
    } else {
        Decision::Refuse
    }
}

/// Whether this process runs under tests.
pub(crate) fn under_test() -> bool {
    cfg!(test) || std::env::var_os(TEST_SANDBOX_VAR).is_some()
}

/// Under tests, refuses every database outside the test's own sandbox, before anything opens it:
/// the sandbox is the directory named by [`TEST_SANDBOX_VAR`], holding [`SANDBOX_MARKER`], outside
/// this repository; and refuses the repository's prod file reached from inside the sandbox (a
/// hard link), by the same identity as every command ([`Layout::environment_of`]). So no flag,
/// path, link or stamp can lead a test to prod.
pub(crate) fn ensure_test_sandbox(path: &Path) -> Result<()> {
    if !under_test() {
        return Ok(());
    }
    let sandbox = std::env::var_os(TEST_SANDBOX_VAR).map(PathBuf::from);
    let reason = match sandbox.as_deref().map(sandbox_problem) {
        None => Some("no test sandbox is set".to_string()),
        Some(Some(problem)) => Some(problem),
        Some(None) => {
            let sandbox = real_path(sandbox.as_deref().unwrap_or(Path::new("")));
            let inside = match (real_path(path), &sandbox) {
                (Some(path), Some(sandbox)) => path.starts_with(sandbox),
                _ => false,
            };
            let repository = Layout::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
            if !inside {
                Some("it is outside the test sandbox".to_string())
            } else if repository.environment_of(path) == Some(Environment::Prod) {
                Some("it is the repository's prod database".to_string())
            } else {
                None
            }
        }
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(Error::refused(format!(
            "CRITICAL: refusing to open `{}` under tests: {reason}; tests only open databases inside their own sandbox, never prod",
            path.display()
        ))),
    }
}

fn sandbox_problem(sandbox: &Path) -> Option<String> {
    let real = match real_path(sandbox) {
        Some(real) if real.join(SANDBOX_MARKER).is_file() => real,
        _ => return Some(format!("`{}` is not a test sandbox", sandbox.display())),
    };
    let repository = real_path(Path::new(env!("CARGO_MANIFEST_DIR")));
    repository
        .is_some_and(|repository| real.starts_with(repository))
        .then(|| {
            format!(
                "the sandbox `{}` is inside the repository",
                sandbox.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_over_every_combination() {
        for env in Environment::ALL {
            for destructive in [false, true] {
                for yes in [false, true] {
                    for dry_run in [false, true] {
                        for tty in [false, true] {
                            let s = Situation {
                                env,
                                destructive,
                                yes,
                                dry_run,
                                tty,
                            };
                            let expected =
                                if env == Environment::Prod && destructive && !yes && !dry_run {
                                    if tty {
                                        Decision::Ask
                                    } else {
                                        Decision::Refuse
                                    }
                                } else {
                                    Decision::Proceed
                                };
                            assert_eq!(decide(s), expected, "{s:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn unit_tests_count_as_under_test_and_have_no_sandbox() {
        assert!(under_test());
        let err = ensure_test_sandbox(Path::new("/srv/data/db/onsen.prod.db")).unwrap_err();
        assert!(err.to_string().starts_with("CRITICAL"), "{err}");
    }
}
