//! `database seed`: load the reference onsens from `data/seed/`, adding only those missing, into
//! a database at this code's schema version.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{self, Effect};
use onsendo::data::seed;
use onsendo::migrate::{self, Catalog};
use onsendo::ui;
use serde_json::json;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let total = seed::onsens()?.len();
    let (added, path) = session::run(&global.options(), "database seed", Effect::Write, |db| {
        let path = db.path().to_path_buf();
        let config = db.config().clone();
        let catalog = Catalog::of(&config.layout)?;
        let added = db.write(|tx| {
            migrate::require_current(tx, &catalog, &config)?;
            seed::load(tx)
        })?;
        Ok((added, path))
    })?;
    let dry_run = global.dry_run;
    if global.json {
        ui::print_json(&json!({
            "path": path.display().to_string(),
            "reference_onsens": total,
            "added": added,
            "dry_run": dry_run,
        }));
    } else if added == 0 {
        println!(
            "`{}` already holds all {total} reference onsens; nothing to do",
            path.display()
        );
    } else {
        let verb = if dry_run { "would add" } else { "added" };
        println!(
            "{verb} {added} of {total} reference onsens to `{}`",
            path.display()
        );
    }
    Ok(())
}
