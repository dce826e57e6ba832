//! `cargo xtask`: the developer tool that owns the life of onsendo's databases.

mod ci;
#[path = "../../src/cli_flags.rs"]
mod cli_flags;
mod database;

use clap::{Parser, Subcommand};
use cli_flags::GlobalArgs;
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  cargo xtask database init --env dev
  cargo xtask database env --json
  cargo xtask database path --env prod
  cargo xtask ci

Exit codes: 0 done, 1 failed, 2 usage error, 3 refused by a safety rule, 4 a check found problems.";

/// Developer tool for onsendo: databases per environment, guarded; project checks.
#[derive(Parser, Debug)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, after_help = EXAMPLES)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create, inspect and stamp the per-environment databases
    #[command(
        subcommand,
        after_help = "Examples:\n  cargo xtask database init --env dev\n  cargo xtask database env\n  cargo xtask database stamp --env dev --database copy.db"
    )]
    Database(database::DatabaseCommand),
    /// Run the project's checks: rustfmt, clippy with -D warnings, the tests
    #[command(after_help = "Example:\n  cargo xtask ci")]
    Ci,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Database(command) => database::run(command, &cli.global),
        Command::Ci => ci::run(),
    };
    cli_flags::exit(result)
}
