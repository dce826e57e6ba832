//! `cargo xtask database …`: the commands that own the databases' life.

mod audit;
mod backup;
mod compact;
mod doctor;
mod history;
mod info;
mod init;
mod lint;
mod migrate;
mod mock_data;
mod new;
mod offsite;
mod offsite_prune;
mod prepare;
mod prune;
mod redo;
mod renumber;
mod reset;
mod restore;
mod rollback;
mod schema_change;
mod seed;
mod shell;
mod split;
mod sql;
mod stamp;
mod status;
mod verify;

use crate::cli_flags::{GlobalArgs, Honours};
use clap::Subcommand;

/// The name of a `database` subcommand and which global flags it does something with.
pub fn honours(command: &DatabaseCommand) -> (&'static str, Honours) {
    use DatabaseCommand as D;
    let read = Honours::READ;
    let write = Honours::WRITE;
    let destructive = Honours::DESTRUCTIVE;
    match command {
        D::Init => ("init", write),
        D::Path => ("path", read),
        D::Env => ("env", read),
        D::Stamp => ("stamp", destructive),
        D::MigrateToEnvs(_) => ("migrate-to-envs", destructive),
        D::Backup(_) => ("backup", write),
        D::Backups(_) => ("backups", read),
        D::Verify(_) => ("verify", read),
        D::Restore(_) => ("restore", destructive),
        D::Compact => ("compact", destructive),
        D::Prune(_) => ("prune", destructive),
        D::Status(_) => ("status", read),
        D::Migrate(_) => ("migrate", destructive),
        D::Rollback(_) => ("rollback", destructive),
        D::New(_) => ("new", write),
        D::Lint(_) => ("lint", read),
        D::Prepare => ("prepare", destructive),
        D::Redo => ("redo", destructive),
        D::History => ("history", read),
        D::Renumber => ("renumber", write),
        D::Doctor(_) => ("doctor", read),
        D::Audit(_) => ("audit", read),
        D::Seed => ("seed", write),
        D::Exec(_) => ("exec", destructive),
        D::Sql(_) => ("sql", destructive),
        // Prod is refused whatever the flags, so `--yes` never answers a question; it is taken,
        // so that the refusal (exit 3, audited) says why rather than a usage error.
        D::Reset => ("reset", destructive),
        D::MockData(_) => ("mock-data", destructive),
        D::Shell(_) => (
            "shell",
            Honours {
                json: false,
                ..destructive
            },
        ),
    }
}

/// The `database` subcommands by task, in the order `database --help` lists them.
const GROUPS: [(&str, &[&str]); 5] = [
    (
        "Set up",
        &["init", "path", "env", "stamp", "migrate-to-envs"],
    ),
    (
        "Migrations",
        &[
            "status", "migrate", "rollback", "new", "lint", "prepare", "redo", "history",
            "renumber",
        ],
    ),
    (
        "Backups",
        &["backup", "backups", "verify", "restore", "prune", "compact"],
    ),
    (
        "Data",
        &["seed", "reset", "mock-data", "exec", "sql", "shell"],
    ),
    ("Diagnostics", &["doctor", "audit"]),
];

/// `database --help` with its subcommands listed by task ([`GROUPS`]) instead of one long list,
/// then the options (the global ones: `database` has none of its own).
pub fn grouped_help(database: clap::Command) -> clap::Command {
    let width = GROUPS
        .iter()
        .flat_map(|(_, names)| names.iter())
        .map(|name| name.len())
        .max()
        .unwrap_or(0);
    let mut listing = String::new();
    for (group, names) in GROUPS {
        listing.push_str(&format!("{group}:\n"));
        for name in names {
            let about = database
                .find_subcommand(name)
                .and_then(clap::Command::get_about)
                .map(|about| about.to_string())
                .unwrap_or_default();
            listing.push_str(&format!("  {name:<width$}  {about}\n"));
        }
        listing.push('\n');
    }
    database.help_template(format!(
        "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{listing}Options:\n{{options}}{{after-help}}"
    ))
}

#[derive(Subcommand, Debug)]
pub enum DatabaseCommand {
    /// Create the database: folders, schema at head, environment stamp, reference onsens.
    /// Idempotent: an initialised database is left untouched.
    #[command(
        after_help = "An existing database whose schema is not this code's (migrations pending, or newer than the\ncode) is refused (exit 3).\nWhile the legacy data/db/onsen.db is still there, making dev's or prod's database is refused\n(exit 3, nothing created): split it first with `cargo xtask database migrate-to-envs`, which\nmakes both from it (it skips a database that exists, so an empty one made first would keep the\nlegacy data out of it).\n\nExamples:\n  cargo xtask database init --env dev\n  cargo xtask database init --env prod\n  cargo xtask database init --database /tmp/scratch.db --dry-run"
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
    /// Split the legacy data/db/onsen.db into onsen.prod.db and onsen.dev.db, once: copy one
    /// snapshot into its backup and each target, integrity_check it, stamp each; the legacy file
    /// is left unchanged
    #[command(
        name = "migrate-to-envs",
        after_help = "Shows the plan, then asks you to type `prod` (or pass --yes). Safe to re-run: once done it says so;\nafter an interruption it finishes the job.\n\nExamples:\n  cargo xtask database migrate-to-envs --dry-run\n  cargo xtask database migrate-to-envs --yes\n  cargo xtask database migrate-to-envs --from ~/old/onsen.db --yes\n  cargo xtask database migrate-to-envs --force --yes   # replace existing targets (backed up first)"
    )]
    MigrateToEnvs(split::SplitArgs),
    /// Make a backup, checked equal to the database, with its manifest: onsen_<env>_<UTC time>.db
    /// (+ .json); prints its path
    #[command(
        after_help = "The copy is a consistent snapshot even while another process writes, is checked equal to it\nbefore it is moved into place, and never overwrites anything. Equal is all a plain backup proves:\n--thorough also runs integrity_check and foreign_key_check on the snapshot before placing it.\n\nExamples:\n  cargo xtask database backup --env prod\n  cargo xtask database backup --compact --output /mnt/usb/onsendo\n  cargo xtask database backup --thorough --json\n  cargo xtask database backup --env prod --offsite   # then sent to ONSENDO_RESTIC_REPOSITORY\n\nWith --offsite the placed backup is sent to a restic repository as one snapshot, tagged with its\nenvironment, reason, schema version and manifest hashes. The repository comes from\nONSENDO_RESTIC_REPOSITORY (else RESTIC_REPOSITORY); its password from restic's own\nRESTIC_PASSWORD_FILE or RESTIC_PASSWORD_COMMAND; a store's credentials from its own variables.\nONSENDO_OFFSITE_SAFETY_COPIES=1 sends the safety copies (pre-migrate, …) too."
    )]
    Backup(backup::BackupArgs),
    /// List the backups from their manifests: time, environment, size, reason, schema version;
    /// --check also hashes each against its manifest
    #[command(
        after_help = "Without --check the listing reads only the manifests and the files' sizes, so it is quick at any\nsize; a size that differs from the manifest's is shown. --check reads every file and compares its\nhash (and the environment stamped inside) with the manifest, and exits 4 when one does not match.\n\nExamples:\n  cargo xtask database backups\n  cargo xtask database backups --check\n  cargo xtask database backups --json\n  cargo xtask database backups --offsite --env prod   # the restic repository's snapshots of prod"
    )]
    Backups(backup::BackupsArgs),
    /// Check a database or a backup: header, size, integrity_check, foreign_key_check, and a
    /// backup's hashes and environment against its manifest. Exit 4 when anything fails
    #[command(
        after_help = "integrity_check is SQLite's own PRAGMA integrity_check (the bundled SQLite), with foreign_key_check\nbeside it on another connection. A failed check shows SQLite's lines: the first 10, then \"… and N\nmore\" (--json: every line, in \"findings\"); an error that stops SQLite after some lines is the last line.\n\nA live database may have no foreign-key violations; a backup may have its source's. A file in the\nbackup folder must have its manifest.\n\nExamples:\n  cargo xtask database verify --env prod\n  cargo xtask database verify --latest --env prod\n  cargo xtask database verify artifacts/db/backups/onsen_dev_20261122T081500Z.db\n  cargo xtask database verify --quick --json"
    )]
    Verify(verify::VerifyArgs),
    /// Restore a backup into the live database through SQLite: the backup must pass verify
    /// (integrity_check included), the live database is backed up, the result checked to hold the
    /// backup's content (destructive: confirmation on prod)
    #[command(
        after_help = "A missing live database (lost) is recreated from the backup, with nothing to back up first.\n\nExamples:\n  cargo xtask database restore --latest --env dev\n  cargo xtask database restore artifacts/db/backups/onsen_prod_20261122T081500Z.db --env prod\n  cargo xtask database restore onsen_prod_20261122T081500Z.db --env dev --cross-env\n  cargo xtask database restore --latest --dry-run\n  cargo xtask database restore --offsite --latest --env prod\n  cargo xtask database restore --offsite 1cd6e03f --env dev --cross-env\n\nWith --offsite, a snapshot of the restic repository (its id, or --latest) is downloaded into the\nbackup folder, placed only when its bytes hash to the manifest hash it was sent with, then restored\nas a local backup is: verified, the live database backed up first, prod confirmed and audited. A\nsnapshot of another environment needs --cross-env before anything is downloaded."
    )]
    Restore(restore::RestoreArgs),
    /// Remove the selected environment's old backups (--all-envs: every environment's); the newest
    /// verified backup of each always stays (removing prod backups: confirmation on prod)
    #[command(
        after_help = "Only the selected environment's backups (--env, ONSENDO_ENV, else dev) are considered; with\n--all-envs, every environment's. With no rule, keeps the newest 10. With both rules, a backup goes\nonly when it is outside the newest N and older than DAYS. The newest backup of each environment that still\nmatches its manifest always stays; removing a prod backup takes prod's confirmation. Files without\na readable manifest are not this tool's backups and are left alone. A manifest whose backup was\nnever placed (a crash while backing up) goes too, once it is ten minutes old.\n\nExamples:\n  cargo xtask database prune --dry-run\n  cargo xtask database prune --env dev --keep 5\n  cargo xtask database prune --all-envs --keep 3 --older-than 30\n  cargo xtask database prune --offsite --env prod --keep 30 --dry-run\n  cargo xtask database prune --offsite --env dev --older-than 90\n\nWith --offsite the same rules choose among the restic repository's snapshots of the selected\nenvironment (the newest always stays; other environments' are never touched); restic forgets\nthose (after `restic unlock` removes stale locks of killed runs) and prunes the data only they\nused. Removing prod snapshots takes prod's confirmation, and is audited."
    )]
    Prune(prune::PruneArgs),
    /// Give free pages back to the disk: a vacuumed copy, checked equal to the database, put into
    /// it through SQLite as a restore is (destructive: confirmation and a backup first on prod)
    #[command(
        after_help = "The compacted copy is made beside the database by VACUUM INTO, checked equal to it by logical hash\n(schema, user_version, every row), then written into the live file in one SQLite transaction (a\ncrash rolls it back) and checked again: the same content, quick_check passed. It needs room for\nthe copy and the journal: up to twice the database's size. Writers outside onsendo (a bare sqlite3)\nmust be stopped, as for a restore; onsendo's own commands wait for it.\n\nExamples:\n  cargo xtask database compact --dry-run      # how much would be given back\n  cargo xtask database compact\n  cargo xtask database compact --env prod --yes"
    )]
    Compact,
    /// Where the database stands against the code's migrations: version, each migration applied
    /// or pending, and drift (an applied migration edited since, a database newer than the code)
    #[command(
        after_help = "Drift is an applied migration whose up.sql or down.sql was edited since, or a database that\nknows versions this code does not (those above the head are counted on one line). Checksums cover\nthe statements, not comments or layout: adding a note or a `-- onsendo:destructive-ok <why>` is no\nedit (rows recorded before this rule compare the whole text until accepted). With --check, exits 4 when anything is\npending or drifted: a CI gate.\n\nExamples:\n  cargo xtask database status\n  cargo xtask database status --env prod --json\n  cargo xtask database status --check   # in CI"
    )]
    Status(status::StatusArgs),
    /// Apply pending migrations in one transaction, after showing the plan (destructive
    /// statements flagged) and making a backup checked equal to the database (always on prod; on dev when it holds data)
    #[command(
        after_help = "Every pending up.sql passes the statement gate first (see `database exec --help`), in a dry run\ntoo: one that would end the transaction, ATTACH, VACUUM or switch a check off is refused (exit 3)\nbefore the backup. A failing migration leaves the database exactly as it was; the error names the\nfile and the statement (number and line). A database newer than the code, or an applied migration\nedited since, is refused. On prod, a destructive statement (see `database lint --help`) without\n`-- onsendo:destructive-ok <why>` before it is refused (exit 3).\n\nA file with the line `-- onsendo:foreign-keys-off` (a table rebuild, see `database new --help`)\nmakes the whole run go with foreign keys off: they are switched off before the transaction and on\nagain after it, and PRAGMA foreign_key_check runs before the commit; a violation rolls it all back\nand names the rows.\n\nExamples:\n  cargo xtask database migrate --dry-run      # run it in a transaction, roll back, report\n  cargo xtask database migrate\n  cargo xtask database migrate --env prod --yes\n  cargo xtask database migrate --to 3\n  cargo xtask database migrate --accept-edited 2   # after reviewing the edit"
    )]
    Migrate(migrate::MigrateArgs),
    /// Undo the newest migrations with their down.sql, after a backup checked equal to the database (confirmation on prod)
    #[command(
        after_help = "Refused before anything runs when a migration to undo has no down.sql, when its up.sql or\ndown.sql was edited since it was applied (accept with `migrate --accept-edited N`), or when the\nstatement gate refuses its down.sql.\n\nExamples:\n  cargo xtask database rollback --dry-run\n  cargo xtask database rollback              # the newest one\n  cargo xtask database rollback --steps 2\n  cargo xtask database rollback --to 1 --env prod --yes"
    )]
    Rollback(rollback::RollbackArgs),
    /// Create the next numbered migration folder, migrations/NN-name/, with up.sql and down.sql
    #[command(
        after_help = "With --rebuild TABLE, up.sql and down.sql hold SQLite's procedure for a change ALTER TABLE\ncannot make, for that table as the migrations make it: the `-- onsendo:foreign-keys-off` line, the\nnew table, the copy of its rows, the drop and the rename, then its indexes, triggers and views made\nagain. Edit the new table's definition and the copy's column lists.\n\nExamples:\n  cargo xtask database new \"add visit notes\"\n  cargo xtask database new drop-legacy-columns --dry-run\n  cargo xtask database new \"onsen hours\" --rebuild onsens"
    )]
    New(new::NewArgs),
    /// The one command a deploy runs: create the database when it is missing (as init), else apply
    /// its pending migrations (as migrate: plan, confirmation on prod, a backup checked equal first)
    #[command(
        after_help = "A database at head is left as it is (\"nothing to do\"). A database newer than the code, or with an\napplied migration edited since, is refused (exit 3), as migrate refuses it. --json prints what init or\nmigrate prints.\n\nExamples:\n  cargo xtask database prepare --env prod --yes   # in a deploy script\n  cargo xtask database prepare --dry-run"
    )]
    Prepare,
    /// Undo the newest migration with its down.sql and apply its up.sql again, in one transaction,
    /// for development; refused on prod
    #[command(
        after_help = "The ledger then records the up.sql as it is now: redo is how an edited newest migration is\napplied again on dev. A changed down.sql is refused (accept it with `migrate --accept-edited N`\nfirst). A backup checked equal to the database comes first when it holds data; on dev,\nmigrations/schema.sql is rewritten.\n\nExamples:\n  cargo xtask database redo\n  cargo xtask database redo --env test --dry-run"
    )]
    Redo,
    /// The ledger: each applied migration, when, how long it took, and how it was recorded
    #[command(
        after_help = "How: applied (by migrate), filled (applied before the ledger existed; no time), accepted (an\nedited file accepted with migrate --accept-edited).\n\nExamples:\n  cargo xtask database history\n  cargo xtask database history --env prod --json"
    )]
    History,
    /// After two branches each added a migration with the same number: move the ones no database
    /// of this root has applied to the next free numbers
    #[command(
        after_help = "Every command refuses a migrations folder where two folders share a number, naming both. In each\nsuch group the one a database of this root (dev, prod, test) applied stays, the first by name when\nnone did; the others are renamed to the numbers after the highest. Refused (exit 3), moving nothing,\nwhen two of a group were applied, or a database has no ledger to tell. Then migrations/schema.sql is\nrewritten.\n\nExamples:\n  cargo xtask database renumber --dry-run\n  cargo xtask database renumber"
    )]
    Renumber,
    /// List destructive statements (DROP TABLE, DROP COLUMN, table rebuilds, DELETE) in pending
    /// migrations; exit 4 when one is not acknowledged with `-- onsendo:destructive-ok <why>`
    #[command(
        after_help = "It also lists, in up.sql and down.sql, every statement the statement gate refuses (COMMIT,\nATTACH, PRAGMA foreign_keys = OFF, …); no marker acknowledges those. A table rebuild\n(DROP TABLE t after a rename to t) must carry the `-- onsendo:foreign-keys-off` line and make the\ntable's indexes, triggers and views again: lint runs it on a scratch database to check.\n\nPut the marker, with the reason after it, in the comment lines right before the statement:\n  -- onsendo:destructive-ok notes moved to visit_notes in 04\n  ALTER TABLE visits DROP COLUMN notes;\n\nExamples:\n  cargo xtask database lint\n  cargo xtask database lint --all --json"
    )]
    Lint(lint::LintArgs),
    /// Is the database ready? File, stamp, integrity_check, foreign keys, migrations, journal,
    /// newest backup, audit log, permissions, leftover temporary files: one line each with a hint;
    /// exit 4 when not ready
    #[command(
        after_help = "Pending migrations (and nothing else wrong with the schema) are a warning: the verdict is \"ready to\nmigrate\", exit 0, as before a deploy. With --serve they fail (exit 4): the app refuses a schema\nbehind the code, so check with --serve after migrating.\n\nExamples:\n  cargo xtask database doctor --env prod            # before migrating\n  cargo xtask database doctor --env prod --serve    # after migrating, before the app\n  cargo xtask database doctor --env prod --json"
    )]
    Doctor(doctor::DoctorArgs),
    /// Show the prod audit log (rotated files included): who did what to prod, when, how it was
    /// confirmed, how it ended, which backup it made
    #[command(
        after_help = "A prod operation writes a started line before its work and its outcome line after, with the same\nid. A started line shows what became of it: started (the outcome follows), still running,\ninterrupted (no outcome, and its process is gone), or unknown (started on another host); --json\ngives it as \"state\". This command only reads: the next prod command records an interrupted run,\nonce, and says so.\n\nExamples:\n  cargo xtask database audit\n  cargo xtask database audit --tail 100 --json"
    )]
    Audit(audit::AuditArgs),
    /// Load the reference onsens from data/seed/, adding only those missing (by ban number); a
    /// re-run adds nothing and says so. Allowed on prod: banner and audit record
    #[command(
        after_help = "A database not at this code's schema version is refused (exit 3).\n\nExamples:\n  cargo xtask database seed\n  cargo xtask database seed --env prod --dry-run\n  cargo xtask database seed --env test --json"
    )]
    Seed,
    /// Run SQL on the database: read-only unless --write; output as an aligned table on a
    /// terminal, tab-separated in a pipe, or --json
    #[command(
        after_help = "With --write it is a destructive command: on prod a banner, the typed confirmation (or --yes)\nand a backup first; every statement in one transaction; --dry-run rolls back and reports\nthe rows each statement changed.\n\nThe statement gate, for exec, sql, migrations and the shell, reads the whole text first: BEGIN,\nCOMMIT, END, ROLLBACK, SAVEPOINT, RELEASE, ATTACH, DETACH, VACUUM, and setting the pragmas\nforeign_keys, ignore_check_constraints, writable_schema, trusted_schema, journal_mode, synchronous,\nlocking_mode, schema_version or user_version are refused (exit 3), naming the statement and line.\nexec and sql run on any schema version: they are the tools to repair one.\n\nExamples:\n  cargo xtask database exec \"SELECT name, region FROM onsens ORDER BY name\"\n  cargo xtask database exec --env prod --json \"SELECT count(*) AS visits FROM visits\"\n  cargo xtask database exec --write \"UPDATE onsens SET region = 'Beppu' WHERE region IS NULL\"\n  cargo xtask database exec --write --dry-run \"DELETE FROM visits WHERE visited_at < '2020-01-01'\""
    )]
    Exec(sql::ExecArgs),
    /// Run a file of SQL statements in one transaction (destructive: prod asks and backs up
    /// first); --dry-run rolls back and reports the rows each statement changed
    #[command(
        after_help = "The whole file passes the statement gate (see `database exec --help`) before anything runs. A\nfailing statement rolls everything back and is named in the error (number and line).\n\nExamples:\n  cargo xtask database sql fixes/2026-11-regions.sql --dry-run\n  cargo xtask database sql fixes/2026-11-regions.sql\n  cargo xtask database sql fixes/2026-11-regions.sql --env prod --yes"
    )]
    Sql(sql::SqlArgs),
    /// Empty a dev or test database and rebuild it fresh (schema at head, stamp, reference
    /// onsens), after a backup checked equal to it; all in one transaction. Prod is refused, no override
    #[command(
        after_help = "The schema is rebuilt to this code's head whatever version the database had.\n\nExamples:\n  cargo xtask database reset\n  cargo xtask database reset --env test --dry-run\n  cargo xtask database reset --json"
    )]
    Reset,
    /// Add realistic, deterministic visits (and the bathhouses they go to) to a dev or test
    /// database, in one transaction; the same --seed gives the same rows. Prod is refused
    #[command(
        name = "mock-data",
        after_help = "A database not at this code's schema version is refused (exit 3).\n\nExamples:\n  cargo xtask database mock-data --visits 1000\n  cargo xtask database mock-data --visits 5000000 --seed 42 --env test\n  cargo xtask database mock-data --visits 10 --dry-run --json"
    )]
    MockData(mock_data::MockDataArgs),
    /// Open the `sqlite3` shell on the database, after the guards (stamp, test sandbox, prod
    /// banner). Prod opens read-only unless --write (confirmation, and a backup checked equal to it first)
    #[command(
        after_help = "The shell runs in sqlite3's safe mode: .open, ATTACH, .shell and file writes are refused, so it\ncannot reach another database around the guards. Foreign keys are on. Its input passes the\nstatement gate (see `database exec --help`): this command gathers each complete statement and hands\nit to sqlite3, or refuses it with a message while the session goes on (exit 3 at the end).\nDot-commands pass as they are, except .dbconfig, .testctrl and .filectrl. The trade-off: at a\nterminal the prompts are this command's and lines are edited by the terminal, without sqlite3's\nhistory or completion; Ctrl-C stops the running statement and ends the session.\n\nExamples:\n  cargo xtask database shell\n  cargo xtask database shell --env prod            # read-only\n  cargo xtask database shell --env prod --write    # asks you to type prod, backs up first\n  echo 'SELECT count(*) FROM visits;' | cargo xtask database shell --env test"
    )]
    Shell(shell::ShellArgs),
}

pub fn run(command: &DatabaseCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    match command {
        DatabaseCommand::Init => init::run(global),
        DatabaseCommand::Path => info::path(global),
        DatabaseCommand::Env => info::env(global),
        DatabaseCommand::Stamp => stamp::run(global),
        DatabaseCommand::MigrateToEnvs(args) => split::run(args, global),
        DatabaseCommand::Backup(args) => backup::run(args, global),
        DatabaseCommand::Backups(args) => backup::list(args, global),
        DatabaseCommand::Verify(args) => verify::run(args, global),
        DatabaseCommand::Restore(args) => restore::run(args, global),
        DatabaseCommand::Prune(args) => prune::run(args, global),
        DatabaseCommand::Compact => compact::run(global),
        DatabaseCommand::Status(args) => status::run(args, global),
        DatabaseCommand::Migrate(args) => migrate::run(args, global),
        DatabaseCommand::Rollback(args) => rollback::run(args, global),
        DatabaseCommand::New(args) => new::run(args, global),
        DatabaseCommand::Lint(args) => lint::run(args, global),
        DatabaseCommand::Prepare => prepare::run(global),
        DatabaseCommand::Redo => redo::run(global),
        DatabaseCommand::History => history::run(global),
        DatabaseCommand::Renumber => renumber::run(global),
        DatabaseCommand::Doctor(args) => doctor::run(args, global),
        DatabaseCommand::Audit(args) => audit::run(args, global),
        DatabaseCommand::Seed => seed::run(global),
        DatabaseCommand::Exec(args) => sql::exec(args, global),
        DatabaseCommand::Sql(args) => sql::sql(args, global),
        DatabaseCommand::Reset => reset::run(global),
        DatabaseCommand::MockData(args) => mock_data::run(args, global),
        DatabaseCommand::Shell(args) => shell::run(args, global),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_database_subcommand_is_in_exactly_one_group() {
        let command = <DatabaseCommand as clap::Subcommand>::augment_subcommands(
            clap::Command::new("database"),
        );
        let mut listed: Vec<&str> = GROUPS
            .iter()
            .flat_map(|(_, names)| names.iter().copied())
            .collect();
        listed.sort();
        let mut defined: Vec<&str> = command
            .get_subcommands()
            .map(clap::Command::get_name)
            .collect();
        defined.sort();
        assert_eq!(listed, defined);
    }
}
