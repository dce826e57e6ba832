//! `onsendo stats`: visits per month, favourite onsens, ratings and fees.

use super::render;
use crate::cli_flags::GlobalArgs;
use onsendo::access::session::Effect;
use onsendo::store::stats::{self, Stats};
use onsendo::ui::{counted, table};

/// The flags of `stats`.
#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// Only visits on or after this day, YYYY-MM-DD
    #[arg(long)]
    pub since: Option<String>,
    /// How many favourite onsens to show
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = crate::cli_flags::above_zero, allow_hyphen_values = true)]
    pub top: u64,
}

pub fn run(args: &StatsArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let stats = super::run(&global.options(), "stats", Effect::Read, |db| {
        stats::compute(db.conn(), args.since.as_deref(), args.top)
    })?;
    render(global.json, stats.to_json(), text(&stats));
    Ok(())
}

fn text(stats: &Stats) -> String {
    let Some(average) = stats.average_rating else {
        return "no visits yet; record one with `onsendo visit add`".to_string();
    };
    let months: Vec<Vec<String>> = stats
        .per_month
        .iter()
        .map(|m| {
            vec![
                m.month.clone(),
                m.visits.to_string(),
                format!("{:.1}", m.average_rating),
            ]
        })
        .collect();
    let favourites: Vec<Vec<String>> = stats
        .favourites
        .iter()
        .map(|f| {
            vec![
                f.name.clone(),
                f.visits.to_string(),
                format!("{:.1}", f.average_rating),
            ]
        })
        .collect();
    format!(
        "{} to {}, average rating {average:.1}, {} yen in fees\n\nper month\n{}\n\nfavourite onsens\n{}",
        counted(stats.visits, "visit"),
        counted(stats.onsens, "onsen"),
        stats.total_fees_yen,
        table(&["month", "visits", "rating"], &months, ""),
        table(&["onsen", "visits", "rating"], &favourites, ""),
    )
}
