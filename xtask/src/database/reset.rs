//! `database reset`: back up a dev or test database, then empty it and rebuild it fresh
//! (schema at head, stamp, reference onsens). Prod is refused, with no override.

use onsendo::access::session::{Effect, Hold, Session};
use onsendo::copies::manifest::Reason;
use onsendo::data::reset;
use onsendo::migrate::Catalog;
use onsendo::ui;
use serde_json::json;

use crate::cli_flags::GlobalArgs;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), "database reset", Effect::Read)?;
    let result = reset(&mut session, global.dry_run);
    let (path, backup, rebuilt) = session.finish(result)?;
    let shown = path.display();
    if global.json {
        ui::print_json(&json!({
            "path": shown.to_string(),
            "dry_run": global.dry_run,
            "backup": backup.as_ref().map(|p| p.display().to_string()),
            "dropped_tables": rebuilt.dropped_tables,
            "version": rebuilt.version,
            "seeded": rebuilt.seeded,
        }));
        return Ok(());
    }
    if let Some(backup) = &backup {
        println!("backed up to `{}`", backup.display());
    }
    let verb = if global.dry_run {
        "would reset"
    } else {
        "reset"
    };
    println!(
        "{verb} `{shown}`: {} tables dropped, schema rebuilt to version {}, {} reference onsens loaded",
        rebuilt.dropped_tables, rebuilt.version, rebuilt.seeded
    );
    Ok(())
}

type Done = (
    std::path::PathBuf,
    Option<std::path::PathBuf>,
    reset::Rebuilt,
);

fn reset(session: &mut Session, dry_run: bool) -> onsendo::Result<Done> {
    let catalog = Catalog::of(&session.config().layout)?;
    session.lock(Hold::Exclusive)?;
    let mut db = session.open_throwaway(Effect::Destructive)?;
    let identity = db.identity();
    let backup = if dry_run {
        None
    } else {
        Some(session.back_up(&db, Reason::PreReset)?.path)
    };
    let stamp = if identity.custom {
        identity.stamp
    } else {
        Some(identity.env)
    };
    let rebuilt = reset::rebuild(&mut db, &catalog, stamp)?;
    Ok((db.path().to_path_buf(), backup, rebuilt))
}
