//! The global flags both binaries take, before or after the subcommand, and the shared `main` tail.
//! Included by `src/main.rs` and `xtask/src/main.rs` (the library itself stays free of clap).

use onsendo::access::session::Options;
use onsendo::selection::config::Flags;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags that select the database and the safety behaviour; valid on every subcommand, and shown
/// under their own heading after each command's own flags (as cargo and gh do).
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Environment, case-insensitive. Default: $ONSENDO_ENV, else dev
    #[arg(long, global = true, value_name = "NAME", value_parser = EnvironmentName)]
    pub env: Option<String>,
    /// A database file; its environment is the one stamped inside it (prod stays prod)
    #[arg(long, global = true, value_name = "PATH", value_hint = clap::ValueHint::FilePath)]
    pub database: Option<PathBuf>,
    /// The directory holding data/ and artifacts/. Default: $ONSENDO_ROOT, else the repository
    #[arg(long, global = true, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub root: Option<PathBuf>,
    /// Print machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// Confirm destructive work on prod without being asked
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// Show what would change and change nothing
    #[arg(long, global = true)]
    pub dry_run: bool,
}

/// The value of `--env`, taken as typed: the library resolves it (case-insensitive, trimmed) and
/// says what the valid names are. The names are offered to shell completion.
#[derive(Clone)]
struct EnvironmentName;

impl clap::builder::TypedValueParser for EnvironmentName {
    type Value = String;

    fn parse_ref(
        &self,
        _command: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        Ok(value.to_string_lossy().into_owned())
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            onsendo::Environment::ALL
                .iter()
                .map(|env| clap::builder::PossibleValue::new(env.name())),
        ))
    }
}

/// Which of the global flags a command does something with. The others are refused (usage
/// error) instead of being silently accepted: `stats --yes` would let a reader believe a
/// question was answered, `ci --database x.db` that `ci` looked at `x.db`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Honours {
    /// `--env`, `--database` and `--root`: it works on a database (or a root).
    pub selection: bool,
    pub json: bool,
    /// It can ask for the typed confirmation on prod.
    pub yes: bool,
    pub dry_run: bool,
}

impl Honours {
    /// A command that touches no database: `ci`, `bench`, `completions`.
    pub const NOTHING: Honours = Honours {
        selection: false,
        json: false,
        yes: false,
        dry_run: false,
    };
    /// A read: it changes nothing and asks nothing.
    pub const READ: Honours = Honours {
        selection: true,
        json: true,
        yes: false,
        dry_run: false,
    };
    /// A write that asks nothing (an addition, a backup): a dry run, no confirmation.
    pub const WRITE: Honours = Honours {
        dry_run: true,
        ..Honours::READ
    };
    /// A destructive command: on prod it asks, so `--yes` answers.
    pub const DESTRUCTIVE: Honours = Honours {
        yes: true,
        ..Honours::WRITE
    };
}

impl GlobalArgs {
    /// Refuses (usage error, exit 2) a global flag that `command` would do nothing with.
    pub fn refuse_unused(&self, command: &str, honours: Honours) -> onsendo::Result<()> {
        let given = [
            (self.env.is_some(), "--env", honours.selection),
            (self.database.is_some(), "--database", honours.selection),
            (self.root.is_some(), "--root", honours.selection),
            (self.json, "--json", honours.json),
            (self.yes, "--yes", honours.yes),
            (self.dry_run, "--dry-run", honours.dry_run),
        ];
        match given.iter().find(|(set, _, used)| *set && !used) {
            Some((_, flag, _)) => Err(onsendo::Error::usage(format!(
                "`{command}` does nothing with {flag}: {}; leave it out",
                match *flag {
                    "--yes" => "it never asks for a confirmation",
                    "--dry-run" => "it changes nothing",
                    "--json" => "it has no JSON output",
                    _ => "it works on no database",
                }
            ))),
            None => Ok(()),
        }
    }

    /// The library's options for the session.
    pub fn options(&self) -> Options {
        Options {
            flags: Flags {
                database: self.database.clone(),
                env: self.env.clone(),
                root: self.root.clone(),
            },
            yes: self.yes,
            dry_run: self.dry_run,
        }
    }
}

/// A flag's value that must be a whole number above 0, with an error that says so.
pub fn above_zero(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{text}` is not a whole number above 0")),
    }
}

/// Restores the default SIGPIPE action (Rust ignores it), so that `onsendo … | head -1` ends the
/// process quietly when the reader goes away, like other command-line tools, instead of a panic.
pub fn quit_quietly_on_closed_pipe() {
    // SAFETY: setting a signal's disposition to the default at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Turns a command's result into the process exit code, printing the error if any.
pub fn exit(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => onsendo::ui::report_error(error.as_ref()),
    }
}

/// The flags of `completions`.
#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Prints the completion script of the binary's command line for `shell`, under `name`.
pub fn print_completions(args: &CompletionsArgs, mut command: clap::Command, name: &str) {
    clap_complete::generate(args.shell, &mut command, name, &mut std::io::stdout());
}
