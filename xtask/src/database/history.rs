//! `database history`: the ledger, oldest first: when each migration was applied, how long it
//! took, and how its row was recorded.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Session};
use onsendo::migrate::ledger::{self, Entry};
use onsendo::ui;
use serde_json::json;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), "database history", Effect::Read)?;
    let result = session.open().and_then(|db| {
        let entries = ledger::read(db.conn(), db.path())?;
        Ok((db.path().to_path_buf(), db.version()?, entries))
    });
    let (path, version, entries) = session.finish(result)?;
    if global.json {
        ui::print_json(&json!({
            "path": path.display().to_string(),
            "version": version,
            "has_ledger": entries.is_some(),
            "migrations": entries.iter().flatten().map(|e| json!({
                "version": e.version,
                "name": e.name,
                "applied_at": e.applied_at,
                "duration_ms": e.duration_ms,
                "how": e.how,
                "checksum": e.checksum,
                "down_checksum": e.down_checksum,
            })).collect::<Vec<_>>(),
        }));
        return Ok(());
    }
    println!("`{}` at version {version}", path.display());
    match entries {
        None => println!(
            "no ledger yet: the database predates it; its next `database migrate` records the applied migrations from the files"
        ),
        Some(entries) => println!(
            "{}",
            ui::table(
                &["version", "name", "applied at", "took", "how"],
                &entries.iter().map(row).collect::<Vec<_>>(),
                "the ledger is empty: no migration applied",
            )
        ),
    }
    Ok(())
}

/// One ledger row as table cells; a row filled in for a database that predates the ledger has no
/// time or duration.
fn row(entry: &Entry) -> Vec<String> {
    let how = match entry.how.as_str() {
        "filled" => "filled (applied before the ledger)",
        "accepted" => "accepted (edited file, --accept-edited)",
        other => other,
    };
    vec![
        entry.version.to_string(),
        entry.name.clone(),
        ui::cell(&entry.applied_at),
        ui::cell(&entry.duration_ms.map(|ms| format!("{ms} ms"))),
        how.to_string(),
    ]
}
