//! `cargo xtask database …`: the commands that own the databases' life.

mod backup;
mod info;
mod init;
mod prune;
mod restore;
mod split;
mod stamp;
mod verify;

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
    /// Split the legacy data/db/onsen.db into onsen.prod.db and onsen.dev.db, once: check it,
    /// back it up, copy, verify and stamp each; the legacy file is left unchanged
    #[command(
        name = "migrate-to-envs",
        after_help = "Shows the plan, then asks you to type `prod` (or pass --yes). Safe to re-run: once done it says so;\nafter an interruption it finishes the job.\n\nExamples:\n  cargo xtask database migrate-to-envs --dry-run\n  cargo xtask database migrate-to-envs --yes\n  cargo xtask database migrate-to-envs --from ~/old/onsen.db --yes\n  cargo xtask database migrate-to-envs --force --yes   # replace existing targets (backed up first)"
    )]
    MigrateToEnvs(split::SplitArgs),
    /// Make a verified backup with its manifest: onsen_<env>_<UTC time>.db (+ .json); prints its path
    #[command(
        after_help = "The copy is a consistent snapshot even while another process writes, is checked equal to it\nbefore it is moved into place, and never overwrites anything.\n\nExamples:\n  cargo xtask database backup --env prod\n  cargo xtask database backup --compact --output /mnt/usb/onsendo\n  cargo xtask database backup --thorough --json"
    )]
    Backup(backup::BackupArgs),
    /// List the backups: time, environment, size, reason, whether each still matches its manifest
    #[command(
        after_help = "Examples:\n  cargo xtask database backups\n  cargo xtask database backups --json"
    )]
    Backups,
    /// Check a database or a backup: header, size, integrity_check, foreign_key_check, and a
    /// backup's hashes against its manifest. Exit 4 when anything fails
    #[command(
        after_help = "Examples:\n  cargo xtask database verify --env prod\n  cargo xtask database verify --latest --env prod\n  cargo xtask database verify artifacts/db/backups/onsen_dev_20261122T081500Z.db\n  cargo xtask database verify --quick --json"
    )]
    Verify(verify::VerifyArgs),
    /// Restore a backup into the live database through SQLite: the backup is verified first, the
    /// live database backed up, the result verified (destructive: confirmation on prod)
    #[command(
        after_help = "Examples:\n  cargo xtask database restore --latest --env dev\n  cargo xtask database restore artifacts/db/backups/onsen_prod_20261122T081500Z.db --env prod\n  cargo xtask database restore onsen_prod_20261122T081500Z.db --env dev --cross-env\n  cargo xtask database restore --latest --dry-run"
    )]
    Restore(restore::RestoreArgs),
    /// Remove old backups, per environment; the newest verified backup of each always stays
    /// (removing prod backups: confirmation on prod)
    #[command(
        after_help = "With no rule, keeps the newest 10 of each environment. With both rules, a backup goes only when\nit is outside the newest N and older than DAYS.\n\nExamples:\n  cargo xtask database prune --dry-run\n  cargo xtask database prune --keep 5\n  cargo xtask database prune --keep 3 --older-than 30"
    )]
    Prune(prune::PruneArgs),
}

pub fn run(command: &DatabaseCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    match command {
        DatabaseCommand::Init => init::run(global),
        DatabaseCommand::Path => info::path(global),
        DatabaseCommand::Env => info::env(global),
        DatabaseCommand::Stamp => stamp::run(global),
        DatabaseCommand::MigrateToEnvs(args) => split::run(args, global),
        DatabaseCommand::Backup(args) => backup::run(args, global),
        DatabaseCommand::Backups => backup::list(global),
        DatabaseCommand::Verify(args) => verify::run(args, global),
        DatabaseCommand::Restore(args) => restore::run(args, global),
        DatabaseCommand::Prune(args) => prune::run(args, global),
    }
}
