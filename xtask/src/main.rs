//! `cargo xtask`: the developer tool that owns the life of onsendo's databases.

mod bench;
mod ci;
#[path = "../../src/app/cli_flags.rs"]
mod cli_flags;
mod config;
mod database;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use cli_flags::{GlobalArgs, Honours};
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  cargo xtask database init --env dev
  cargo xtask database env --json
  cargo xtask database path --env prod
  cargo xtask database status --check
  cargo xtask database migrate --dry-run
  cargo xtask database doctor --env prod
  cargo xtask config show
  cargo xtask ci
  cargo xtask bench --size-mb 256

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
    /// The per-environment databases: set up, migrations, backups, data, diagnostics
    #[command(
        subcommand,
        after_help = "Examples:\n  cargo xtask database init --env dev\n  cargo xtask database env\n  cargo xtask database stamp --env dev --database copy.db"
    )]
    Database(database::DatabaseCommand),
    /// Show the settings the tools use and where each comes from
    #[command(subcommand, after_help = "Example:\n  cargo xtask config show --json")]
    Config(config::ConfigCommand),
    /// Run the project's checks: rustfmt, clippy with -D warnings, the tests
    #[command(after_help = "Example:\n  cargo xtask ci")]
    Ci,
    /// Benchmark backup, verify and migrate-to-envs against cp + sync and the sqlite3 CLI on a
    /// generated database (release build; medians, ratios, peak memory)
    #[command(
        after_help = "Examples:\n  cargo xtask bench                      # 1 GiB, 5 runs each\n  cargo xtask bench --size-mb 256 --runs 3"
    )]
    Bench(bench::BenchArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) for the command
    /// `xtask`: alias xtask='cargo xtask' to use it
    #[command(
        after_help = "Examples:\n  alias xtask='cargo xtask'; source <(cargo xtask completions bash)\n  cargo xtask completions zsh > ~/.zfunc/_xtask\n  cargo xtask completions fish > ~/.config/fish/completions/xtask.fish"
    )]
    Completions(cli_flags::CompletionsArgs),
}

fn main() -> ExitCode {
    cli_flags::quit_quietly_on_closed_pipe();
    let parser = Cli::command().mut_subcommand("database", database::grouped_help);
    let cli = match Cli::from_arg_matches(&parser.get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let (name, honours) = honours(&cli.command);
    if let Err(e) = cli.global.refuse_unused(&name, honours) {
        return cli_flags::exit(Err(e.into()));
    }
    let result = match &cli.command {
        Command::Database(command) => database::run(command, &cli.global),
        Command::Config(command) => config::run(command, &cli.global),
        Command::Ci => ci::run(),
        Command::Bench(args) => bench::run(args),
        Command::Completions(args) => {
            cli_flags::print_completions(args, Cli::command(), "xtask");
            Ok(())
        }
    };
    cli_flags::exit(result)
}

/// What `command` is called and which global flags it does something with.
fn honours(command: &Command) -> (String, Honours) {
    match command {
        Command::Database(command) => {
            let (name, honours) = database::honours(command);
            (format!("database {name}"), honours)
        }
        Command::Config(_) => ("config show".to_string(), Honours::READ),
        Command::Ci => ("ci".to_string(), Honours::NOTHING),
        Command::Bench(_) => ("bench".to_string(), Honours::NOTHING),
        Command::Completions(_) => ("completions".to_string(), Honours::NOTHING),
    }
}
