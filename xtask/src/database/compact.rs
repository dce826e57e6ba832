//! `database compact`: give the free pages back to the disk, through a checked vacuumed copy put
//! into the live file as a restore is (prod: confirmation, a backup first, audit).

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Hold, Session};
use onsendo::copies::compact::{self, Room};
use onsendo::copies::manifest::Reason;
use onsendo::{ui, Environment};
use serde_json::json;
use std::path::PathBuf;

/// What compaction did, or would do.
struct Outcome {
    path: PathBuf,
    before: Room,
    /// `None`: a dry run.
    after: Option<Room>,
    backup: Option<PathBuf>,
}

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), "database compact", Effect::Destructive)?;
    let result = session
        .lock(Hold::Exclusive)
        .and_then(|()| session.open())
        .and_then(|db| {
            let path = db.path().to_path_buf();
            if global.dry_run {
                let before = compact::measure(&path)?;
                return Ok(Outcome {
                    path,
                    before,
                    after: None,
                    backup: None,
                });
            }
            let identity = db.identity();
            let backup = match identity.env == Environment::Prod && !identity.custom {
                true => Some(session.back_up(&db, Reason::PreCompact)?.path),
                false => None,
            };
            drop(db);
            let (before, after) = compact::compact(&path)?;
            Ok(Outcome {
                path,
                before,
                after: Some(after),
                backup,
            })
        });
    let outcome = session.finish(result)?;
    let shown = outcome.path.display();
    let before = outcome.before;
    if global.json {
        ui::print_json(&json!({
            "path": shown.to_string(),
            "dry_run": global.dry_run,
            "size_before": before.size,
            "free_pages_before": before.free_pages,
            "size_after": outcome.after.map(|room| room.size),
            "backup": outcome.backup.as_ref().map(|p| p.display().to_string()),
        }));
        return Ok(());
    }
    let Some(after) = outcome.after else {
        println!(
            "would compact `{shown}`: {} now, of which {} free pages ({}) would be given back (dry run)",
            ui::size(before.size),
            before.free_pages,
            ui::size(before.free_bytes())
        );
        return Ok(());
    };
    if let Some(backup) = &outcome.backup {
        println!("backed up to `{}`", backup.display());
    }
    println!(
        "compacted `{shown}`: {} → {} ({} free pages given back); its content is unchanged (checked by logical hash) and it passes quick_check",
        ui::size(before.size),
        ui::size(after.size),
        before.free_pages
    );
    Ok(())
}
