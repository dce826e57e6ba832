//! `cargo xtask database …`: the commands that own the databases' life.

mod info;
mod init;
mod stamp;

use crate::cli_flags::GlobalArgs;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum DatabaseCommand {
    /// Create the database: folders, schema at head, environment stamp, reference onsens.
    /// Idempotent: an initialised database is left untouched.
    #[command(
        after_help = "Examples:\n  cargo xtask database init --env dev\n  cargo xtask database init --env prod\n  cargo xtask database init --database /tmp/scratch.db --dry-run"
    )]
    Init,
    /// Print the resolved database path (for scripts)
    #[command(
        after_help = "Examples:\n  cargo xtask database path\n  sqlite3 \"$(cargo xtask database path --env test)\" .tables"
    )]
    Path,
    /// Show the resolved environment, which rule decided it, and the file's state
    #[command(
        after_help = "Examples:\n  cargo xtask database env\n  ONSENDO_ENV=prod cargo xtask database env --json"
    )]
    Env,
    /// Re-stamp a database with the environment given by --env (destructive: confirmation on prod)
    #[command(
        after_help = "Examples:\n  cargo xtask database stamp --env dev --database copy-of-prod.db\n  cargo xtask database stamp --env prod --yes"
    )]
    Stamp,
}

pub fn run(command: &DatabaseCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    match command {
        DatabaseCommand::Init => init::run(global),
        DatabaseCommand::Path => info::path(global),
        DatabaseCommand::Env => info::env(global),
        DatabaseCommand::Stamp => stamp::run(global),
    }
}
