//! `database redo`: undo the newest migration with its `down.sql` and apply its `up.sql` again,
//! in one transaction, for development (an edited `up.sql` is the point); refused on prod.

use crate::cli_flags::GlobalArgs;
use crate::database::schema_change::{self, Change};
use onsendo::access::session::{Effect, Hold, Session};
use onsendo::copies::manifest::Reason;
use onsendo::migrate::{self, runner, Catalog, Mark};
use onsendo::selection::hint::Hint;
use onsendo::Error;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), "database redo", Effect::Read)?;
    let result = redo(&mut session, global.json);
    let change = session.finish(result)?;
    schema_change::render(&change, global);
    Ok(())
}

fn redo(session: &mut Session, json: bool) -> onsendo::Result<Change> {
    session.lock(Hold::Exclusive)?;
    let catalog = Catalog::of(&session.config().layout)?;
    let db = session.open_throwaway(Effect::Read)?;
    let state = migrate::state(db.conn(), &catalog, db.path())?;
    if state.is_ahead() {
        return Err(Error::refused(state.problems(db.config()).remove(0)));
    }
    let version = state.version;
    let Some(migration) = catalog.get(version) else {
        return Err(Error::usage(format!(
            "nothing to redo: `{}` has no migration applied; apply one with `{}`",
            db.path().display(),
            Hint::command(db.config(), "database migrate")
        )));
    };
    if state.rows[version - 1].mark == Mark::DownEdited {
        return Err(Error::refused(format!(
            "migration {} has a down.sql changed since it was applied, so it may not undo what ran; review it, accept it with `{}`, then redo",
            migration.name,
            Hint::command(db.config(), "database migrate").value("--accept-edited", version)
        )));
    }
    if migration.down.is_none() {
        return Err(Error::failed(format!(
            "cannot redo {}: it has no down.sql; nothing was changed; write {}",
            migration.name,
            runner::file_of(&catalog, migration, "down.sql")
        )));
    }
    runner::gate(&catalog, version, version - 1)?;
    runner::gate(&catalog, version - 1, version)?;
    let mut change = Change::planned(&catalog, version, version - 1, &db, Reason::PreRollback);
    let again = Change::planned(&catalog, version - 1, version, &db, Reason::PreMigrate);
    change.steps.extend(again.steps);
    // One transaction for both: foreign keys off for all of it when either file asks.
    change.foreign_keys_off |= again.foreign_keys_off;
    change.to = version;
    change.redo = true;
    let env = db.identity().env;
    let backup = migrate::backup_needed(env, false, migrate::holds_data(db.conn(), db.path())?)?;
    drop(db);
    schema_change::apply(session, &mut change, backup, json, |tx, path, from| {
        let undone = runner::down(tx, &catalog, from, from - 1, path)?;
        let mut again = runner::up(tx, &catalog, from - 1, from, path)?;
        again.steps.splice(0..0, undone.steps);
        Ok(again)
    })?;
    schema_change::keep_schema_file(&mut change, &catalog, env);
    Ok(change)
}
