//! The global flags both binaries take, before or after the subcommand, and the shared `main` tail.
//! Included by `src/main.rs` and `xtask/src/main.rs` (the library itself stays free of clap).

use onsendo::access::session::Options;
use onsendo::selection::config::Flags;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags that select the database and the safety behaviour; valid on every subcommand.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct GlobalArgs {
    /// Environment: dev, prod or test (case-insensitive). Default: $ONSENDO_ENV, else dev
    #[arg(long, global = true, value_name = "NAME")]
    pub env: Option<String>,
    /// A database file; its environment is the one stamped inside it (prod stays prod)
    #[arg(long, global = true, value_name = "PATH")]
    pub database: Option<PathBuf>,
    /// The directory holding data/ and artifacts/. Default: $ONSENDO_ROOT, else the repository
    #[arg(long, global = true, value_name = "DIR")]
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

impl GlobalArgs {
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
