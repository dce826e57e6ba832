//! `database mock-data`: fill a dev or test database with realistic, deterministic visits (and
//! the bathhouses they go to), at this code's schema version. Prod is refused, with no override.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Session};
use onsendo::data::mock::{self, Amount};
use onsendo::migrate::{self, Catalog};
use onsendo::ui;
use serde_json::json;

/// The flags of `database mock-data`.
#[derive(clap::Args, Debug)]
pub struct MockDataArgs {
    /// How many visits to add
    #[arg(long, value_name = "N", value_parser = crate::cli_flags::above_zero, allow_hyphen_values = true)]
    pub visits: u64,
    /// The generator's seed: the same seed gives the same rows
    #[arg(long, value_name = "S", default_value_t = mock::DEFAULT_SEED)]
    pub seed: u64,
}

pub fn run(args: &MockDataArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), "database mock-data", Effect::Read)?;
    let result = session.open_throwaway(Effect::Write).and_then(|mut db| {
        let path = db.path().to_path_buf();
        let config = db.config().clone();
        let catalog = Catalog::of(&config.layout)?;
        let added = db.write(|tx| {
            migrate::require_current(tx, &catalog, &config)?;
            mock::fill(tx, Amount::Visits(args.visits), args.seed, &path)
        })?;
        Ok((path, added))
    });
    let (path, added) = session.finish(result)?;
    if global.json {
        ui::print_json(&json!({
            "path": path.display().to_string(),
            "dry_run": global.dry_run,
            "seed": args.seed,
            "visits": added.visits,
            "onsens": added.onsens,
        }));
        return Ok(());
    }
    let verb = if global.dry_run { "would add" } else { "added" };
    println!(
        "{verb} {} and {} to `{}` (seed {})",
        ui::counted(added.visits, "visit"),
        ui::counted(added.onsens, "bathhouse"),
        path.display(),
        args.seed
    );
    Ok(())
}
