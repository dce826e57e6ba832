//! `onsendo`: record onsen visits. Every command goes through the library's guarded session.

mod app;
#[path = "app/cli_flags.rs"]
mod cli_flags;

use clap::{CommandFactory, Parser, Subcommand};
use cli_flags::{GlobalArgs, Honours};
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  onsendo onsen list
  onsendo visit add --onsen 1 --date 2026-11-22 --rating 8 --fee 300 --minutes 45
  onsendo visit list --since 2026-01-01 --json
  onsendo --env prod visit delete 3 --yes
  ONSENDO_ENV=test onsendo location list

Exit codes: 0 done, 1 failed, 2 usage error, 3 refused by a safety rule, 4 a check found problems.";

/// Record onsen (hot-spring) visits in a per-environment SQLite database.
#[derive(Parser, Debug)]
#[command(name = "onsendo", version, after_help = EXAMPLES)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The reference list of onsens
    #[command(
        subcommand,
        after_help = "Examples:\n  onsendo onsen list\n  onsendo onsen show 1 --json\n  onsendo onsen add --ban 9 --name \"Tsurumi Onsen\"\n  onsendo onsen modify 9 --region Tsurumi"
    )]
    Onsen(app::onsen::OnsenCommand),
    /// Named places, such as a home base
    #[command(
        subcommand,
        after_help = "Examples:\n  onsendo location list\n  onsendo location add --name home --lat 33.28 --lon 131.50\n  onsendo location modify 1 --description \"the flat\"\n  onsendo location delete 1"
    )]
    Location(app::location::LocationCommand),
    /// Your visits
    #[command(
        subcommand,
        after_help = "Examples:\n  onsendo visit add --onsen 1 --date 2026-11-22 --rating 8\n  onsendo visit list --since 2026-01-01\n  onsendo visit delete 3"
    )]
    Visit(app::visit::VisitCommand),
    /// Statistics: visits per month, favourite onsens, average rating, fees
    #[command(
        after_help = "Examples:\n  onsendo stats\n  onsendo stats --since 2026-01-01 --top 3\n  onsendo --env prod stats --json"
    )]
    Stats(app::stats::StatsArgs),
    /// Print a shell completion script for onsendo (bash, zsh, fish, elvish, powershell)
    #[command(
        after_help = "Examples:\n  source <(onsendo completions bash)\n  onsendo completions zsh > ~/.zfunc/_onsendo\n  onsendo completions fish > ~/.config/fish/completions/onsendo.fish"
    )]
    Completions(cli_flags::CompletionsArgs),
}

fn main() -> ExitCode {
    cli_flags::quit_quietly_on_closed_pipe();
    let cli = Cli::parse();
    let (name, honours) = honours(&cli.command);
    if let Err(e) = cli.global.refuse_unused(&name, honours) {
        return cli_flags::exit(Err(e.into()));
    }
    let result = match &cli.command {
        Command::Onsen(command) => app::onsen::run(command, &cli.global),
        Command::Location(command) => app::location::run(command, &cli.global),
        Command::Visit(command) => app::visit::run(command, &cli.global),
        Command::Stats(args) => app::stats::run(args, &cli.global),
        Command::Completions(args) => {
            cli_flags::print_completions(args, Cli::command(), "onsendo");
            Ok(())
        }
    };
    cli_flags::exit(result)
}

/// What `command` is called and which global flags it does something with.
fn honours(command: &Command) -> (String, Honours) {
    use app::location::LocationCommand as L;
    use app::onsen::OnsenCommand as O;
    use app::visit::VisitCommand as V;
    let (name, honours) = match command {
        Command::Onsen(O::List) => ("onsen list", Honours::READ),
        Command::Onsen(O::Show { .. }) => ("onsen show", Honours::READ),
        Command::Onsen(O::Add { .. }) => ("onsen add", Honours::WRITE),
        Command::Onsen(O::Modify { .. }) => ("onsen modify", Honours::DESTRUCTIVE),
        Command::Location(L::List) => ("location list", Honours::READ),
        Command::Location(L::Add { .. }) => ("location add", Honours::WRITE),
        Command::Location(L::Modify { .. }) => ("location modify", Honours::DESTRUCTIVE),
        Command::Location(L::Delete { .. }) => ("location delete", Honours::DESTRUCTIVE),
        Command::Visit(V::Add { .. }) => ("visit add", Honours::WRITE),
        Command::Visit(V::Import { .. }) => ("visit import", Honours::WRITE),
        Command::Visit(V::List { .. }) => ("visit list", Honours::READ),
        Command::Visit(V::Show { .. }) => ("visit show", Honours::READ),
        Command::Visit(V::Export { .. }) => ("visit export", Honours::READ),
        Command::Visit(V::Modify { .. }) => ("visit modify", Honours::DESTRUCTIVE),
        Command::Visit(V::Delete { .. }) => ("visit delete", Honours::DESTRUCTIVE),
        Command::Stats(_) => ("stats", Honours::READ),
        Command::Completions(_) => ("completions", Honours::NOTHING),
    };
    (name.to_string(), honours)
}
