//! `database rollback`: undo the newest migrations with their `down.sql`, after a backup.

use crate::cli_flags::GlobalArgs;
use crate::database::schema_change::{self, Change};
use onsendo::access::session::{Effect, Hold, Session};
use onsendo::copies::manifest::Reason;
use onsendo::migrate::{self, runner, Catalog, Mark};
use onsendo::selection::hint::Hint;
use onsendo::Error;

/// The flags of `database rollback`.
#[derive(clap::Args, Debug)]
pub struct RollbackArgs {
    /// Undo the newest N migrations [default: 1]
    #[arg(long, value_name = "N", conflicts_with = "to")]
    pub steps: Option<usize>,
    /// Undo every migration after version N
    #[arg(long, value_name = "N")]
    pub to: Option<usize>,
}

pub fn run(args: &RollbackArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), "database rollback", Effect::Read)?;
    let result = rollback(&mut session, args, global.json);
    let change = session.finish(result)?;
    schema_change::render(&change, global);
    Ok(())
}

fn rollback(session: &mut Session, args: &RollbackArgs, json: bool) -> onsendo::Result<Change> {
    session.lock(Hold::Exclusive)?;
    let catalog = Catalog::of(&session.config().layout)?;
    let db = session.open()?;
    let state = migrate::state(db.conn(), &catalog, db.path())?;
    if state.is_ahead() {
        return Err(Error::refused(state.problems(db.config()).remove(0)));
    }
    let version = state.version;
    let target = match (args.to, args.steps.unwrap_or(1)) {
        (Some(to), _) if to > version => {
            return Err(Error::usage(format!(
                "--to {to}: the database is at version {version}; `{}` goes forward",
                Hint::command(db.config(), "database migrate").value("--to", to)
            )))
        }
        (Some(to), _) => to,
        (None, steps) if steps > version => {
            return Err(Error::usage(format!(
                "--steps {steps}: the database has only {version} migrations applied"
            )))
        }
        (None, steps) => version - steps,
    };
    let undone = catalog.between(target, version);
    if let Some(row) = state.rows[target..version]
        .iter()
        .find(|row| matches!(row.mark, Mark::Edited | Mark::DownEdited))
    {
        let edited = if row.mark == Mark::Edited {
            "was edited after it was applied, so its down.sql may not undo what ran"
        } else {
            "has a down.sql changed since it was applied, so it may not undo what ran"
        };
        return Err(Error::refused(format!(
            "migration {} {edited}; review it, accept it with `{}`, then roll back",
            row.name,
            Hint::command(db.config(), "database migrate").value("--accept-edited", row.version)
        )));
    }
    let missing = runner::without_down(undone);
    if !missing.is_empty() {
        let files: Vec<String> = missing
            .iter()
            .map(|m| runner::file_of(&catalog, m, "down.sql"))
            .collect();
        return Err(Error::failed(format!(
            "cannot roll back to version {target}: {} missing; nothing was changed; write {}, or restore a backup instead",
            if files.len() == 1 { "a down.sql is" } else { "down.sql files are" },
            onsendo::ui::at_most(&files).join(", ")
        )));
    }
    runner::gate(&catalog, version, target)?;
    let mut change = Change::planned(&catalog, version, target, &db, Reason::PreRollback);
    if change.steps.is_empty() {
        return Ok(change);
    }
    let env = db.identity().env;
    drop(db);
    schema_change::apply(session, &mut change, true, json, |tx, path, from| {
        runner::down(tx, &catalog, from, target, path)
    })?;
    schema_change::keep_schema_file(&mut change, &catalog, env);
    Ok(change)
}
