//! `database migrate`: show the plan, back up, apply every pending migration in one transaction.

use crate::cli_flags::GlobalArgs;
use crate::database::schema_change::{self, Change};
use onsendo::access::session::{Effect, Hold, Session};
use onsendo::copies::manifest::Reason;
use onsendo::migrate::{self, ledger, lint, runner, Catalog, Mark};
use onsendo::selection::hint::Hint;
use onsendo::Environment;
use onsendo::Error;

/// The flags of `database migrate`.
#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    /// Migrate up to version N instead of the head
    #[arg(long, value_name = "N")]
    pub to: Option<usize>,
    /// Skip the backup before migrating (dev and test only; refused on prod)
    #[arg(long)]
    pub no_backup: bool,
    /// Accept the current file of an applied migration that was edited, after reviewing the
    /// change (repeatable)
    #[arg(long, value_name = "VERSION")]
    pub accept_edited: Vec<usize>,
}

pub fn run(args: &MigrateArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    run_as(args, global, "database migrate")
}

/// Migrates as `operation` (the name the banner and the audit record show).
pub fn run_as(args: &MigrateArgs, global: &GlobalArgs, operation: &str) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), operation, Effect::Read)?;
    let result = migrate(&mut session, args, global.json);
    let change = session.finish(result)?;
    schema_change::render(&change, global);
    Ok(())
}

fn migrate(session: &mut Session, args: &MigrateArgs, json: bool) -> onsendo::Result<Change> {
    session.lock(Hold::Exclusive)?;
    let catalog = Catalog::of(&session.config().layout)?;
    let db = session.open()?;
    let state = migrate::state(db.conn(), &catalog, db.path())?;
    if state.is_ahead() {
        return Err(Error::refused(state.problems(db.config()).remove(0)));
    }
    let edited: Vec<usize> = state
        .marked(Mark::Edited)
        .iter()
        .map(|row| row.version)
        .collect();
    let down_edited: Vec<usize> = state
        .marked(Mark::DownEdited)
        .iter()
        .map(|row| row.version)
        .collect();
    if let Some(version) = args
        .accept_edited
        .iter()
        .find(|v| !edited.contains(v) && !down_edited.contains(v))
    {
        return Err(Error::usage(format!(
            "--accept-edited {version}: migration {version} is not an applied migration whose file was edited; `{}` shows which are",
            Hint::command(db.config(), "database status")
        )));
    }
    if let Some(version) = edited.iter().find(|v| !args.accept_edited.contains(v)) {
        let row = &state.rows[version - 1];
        return Err(Error::refused(format!(
            "migration {} was edited after it was applied; review the change, then re-run with `{}` (or restore the file)",
            row.name,
            Hint::rerun(db.config()).value("--accept-edited", version)
        )));
    }
    let target = args.to.unwrap_or(state.head);
    if target > state.head {
        return Err(Error::usage(format!(
            "--to {target}: this code's migrations end at {}",
            state.head
        )));
    }
    if target < state.version {
        return Err(Error::usage(format!(
            "--to {target}: the database is at version {} already; use `{}` to go back",
            state.version,
            Hint::command(db.config(), "database rollback").value("--to", target)
        )));
    }
    runner::gate(&catalog, state.version, target)?;
    if db.identity().env == Environment::Prod {
        refuse_unacknowledged(&catalog, state.version, target)?;
    }
    let mut change = Change::planned(&catalog, state.version, target, &db, Reason::PreMigrate);
    change.accepted = args.accept_edited.clone();
    if change.steps.is_empty() && change.accepted.is_empty() {
        if state.unrecorded > 0 && !session.options().dry_run {
            drop(db);
            let mut db = session.escalate(Effect::Write)?;
            let path = change.path.clone();
            change.filled =
                db.write(|tx| ledger::ensure(tx, catalog.between(0, state.version), &path))?;
        }
        return Ok(change);
    }
    let holds_data = migrate::holds_data(db.conn(), db.path())?;
    let env = db.identity().env;
    let backup = migrate::backup_needed(env, args.no_backup, holds_data)?;
    drop(db);
    let accepted = change.accepted.clone();
    schema_change::apply(session, &mut change, backup, json, |tx, path, version| {
        for number in &accepted {
            if let Some(migration) = catalog.get(*number) {
                ledger::accept(tx, migration, path)?;
            }
        }
        runner::up(tx, &catalog, version, target, path)
    })?;
    schema_change::keep_schema_file(&mut change, &catalog, env);
    Ok(change)
}

/// On prod, refuses a run from `from` to `to` whose up.sql files hold a destructive statement
/// that no `-- onsendo:destructive-ok <why>` acknowledges, naming each (file and line).
fn refuse_unacknowledged(catalog: &Catalog, from: usize, to: usize) -> onsendo::Result<()> {
    let unacknowledged: Vec<String> = catalog
        .between(from, to)
        .iter()
        .flat_map(|migration| {
            lint::destructive_statements(&migration.up)
                .into_iter()
                .filter(|finding| !finding.acknowledged)
                .map(|finding| {
                    let file = runner::file_of(catalog, migration, "up.sql");
                    format!("{file}:{}: {}", finding.line, finding.danger)
                })
        })
        .collect();
    if unacknowledged.is_empty() {
        return Ok(());
    }
    Err(Error::refused(format!(
        "refusing to migrate prod: {} not acknowledged ({}); nothing ran; review each, then put `-- {} <why>` on the line before it (the checksum leaves comments out, so databases that applied the file need no --accept-edited)",
        onsendo::ui::counted(unacknowledged.len(), "destructive statement"),
        onsendo::ui::at_most(&unacknowledged).join(", "),
        lint::MARKER
    )))
}
