//! `onsendo visit …`: record, list, show, modify, delete, import and export visits.

use super::{render, render_modified};
use crate::cli_flags::GlobalArgs;
use clap::Subcommand;
use onsendo::access::session::Effect;
use onsendo::store::exchange::{self, Problem};
use onsendo::store::visits::{self, Filter, NewVisit, Visit, VisitChanges};
use onsendo::ui::{cell, counted, table};
use onsendo::Error;
use serde_json::{json, Value};

#[derive(Subcommand, Debug)]
pub enum VisitCommand {
    /// Record a visit
    #[command(
        after_help = "Example:\n  onsendo visit add --onsen 1 --date 2026-11-22 --rating 8 --fee 300 --minutes 45 --notes \"hot\""
    )]
    Add {
        /// The onsen's id (see `onsen list`)
        #[arg(long)]
        onsen: i64,
        /// The day, YYYY-MM-DD
        #[arg(long)]
        date: String,
        /// Your rating, 1 to 10
        #[arg(long, allow_hyphen_values = true)]
        rating: i64,
        #[command(flatten)]
        details: DetailArgs,
    },
    /// List visits, newest first
    #[command(
        after_help = "Examples:\n  onsendo visit list\n  onsendo visit list --onsen 1 --since 2026-01-01 --json"
    )]
    List {
        /// Only visits to this onsen
        #[arg(long)]
        onsen: Option<i64>,
        /// Only visits on or after this day, YYYY-MM-DD
        #[arg(long)]
        since: Option<String>,
    },
    /// Show one visit in full
    #[command(after_help = "Examples:\n  onsendo visit show 3\n  onsendo visit show 3 --json")]
    Show {
        /// The visit's id (see `visit list`)
        id: i64,
    },
    /// Change some fields of a visit (destructive: on prod, confirm by typing `prod` or pass --yes)
    #[command(
        after_help = "Only the fields given change; each change is printed as before → after. --notes \"\" clears the notes.\n\nExamples:\n  onsendo visit modify 3 --rating 9 --notes \"better after the rain\"\n  onsendo --env prod visit modify 3 --date 2026-11-21 --dry-run\n  onsendo --env prod visit modify 3 --date 2026-11-21 --yes"
    )]
    Modify {
        /// The visit's id (see `visit list`)
        id: i64,
        /// Another onsen's id (see `onsen list`)
        #[arg(long)]
        onsen: Option<i64>,
        /// Another day, YYYY-MM-DD
        #[arg(long)]
        date: Option<String>,
        /// A new rating, 1 to 10
        #[arg(long, allow_hyphen_values = true)]
        rating: Option<i64>,
        #[command(flatten)]
        details: DetailArgs,
    },
    /// Import visits from a CSV file (header: visited_at, onsen_ban, rating; optional onsen_name,
    /// fee_yen, minutes, notes), in one transaction. Nothing is imported unless every row is valid
    #[command(
        after_help = "A bad row is named by its line. With --skip-invalid the valid rows are imported and the others\nreported. `visit export` writes the same format.\n\nExamples:\n  onsendo visit import visits.csv --dry-run\n  onsendo visit import visits.csv\n  onsendo visit import visits.csv --skip-invalid --json"
    )]
    Import {
        /// The CSV file
        file: std::path::PathBuf,
        /// Import the valid rows and report the invalid ones instead of importing nothing
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Export every visit, oldest first, as CSV (the format `visit import` reads) or JSON
    #[command(
        after_help = "Examples:\n  onsendo visit export > visits.csv\n  onsendo --env prod visit export --format json > visits.json\n  onsendo visit export --json | jq length"
    )]
    Export {
        /// csv or json [default: csv, or json with --json]
        #[arg(long, value_parser = ["csv", "json"])]
        format: Option<String>,
    },
    /// Delete a visit (destructive: on prod, confirm by typing `prod` or pass --yes)
    #[command(
        after_help = "Examples:\n  onsendo visit delete 3\n  onsendo --env prod visit delete 3 --dry-run\n  onsendo --env prod visit delete 3 --yes"
    )]
    Delete {
        /// The visit's id (see `visit list`)
        id: i64,
    },
}

/// A visit's optional facts, taken by `add` and `modify`.
#[derive(clap::Args, Debug)]
pub struct DetailArgs {
    /// Entry fee in yen, 0 to 1000000
    #[arg(long, allow_hyphen_values = true)]
    fee: Option<i64>,
    /// Time spent, in minutes, 1 to 1440 (a day)
    #[arg(long, allow_hyphen_values = true)]
    minutes: Option<i64>,
    /// Free text (in modify, replaces the old notes; "" clears them)
    #[arg(long)]
    notes: Option<String>,
}

pub fn run(command: &VisitCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    let options = global.options();
    match command {
        VisitCommand::Add {
            onsen,
            date,
            rating,
            details,
        } => {
            let new = NewVisit {
                onsen_id: *onsen,
                date: date.clone(),
                rating: *rating,
                entry_fee_yen: details.fee,
                stay_minutes: details.minutes,
                notes: details.notes.clone(),
            };
            visits::validate(&new)?;
            let operation = format!("visit add --onsen {onsen} --date {date}");
            let id = super::run(&options, operation, Effect::Write, |db| {
                db.write(|tx| visits::add(tx, &new))
            })?;
            let dry_run = global.dry_run;
            let verb = if dry_run { "would record" } else { "recorded" };
            render(
                global.json,
                json!({ "id": id, "dry_run": dry_run }),
                format!("{verb} visit {id}"),
            );
        }
        VisitCommand::List { onsen, since } => {
            let filter = Filter {
                onsen_id: *onsen,
                since: since.clone(),
            };
            let list = super::run(&options, "visit list", Effect::Read, |db| {
                visits::list(db.conn(), &filter)
            })?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|v| {
                    vec![
                        v.id.to_string(),
                        v.visited_at.clone(),
                        v.onsen_name.clone(),
                        v.personal_rating.to_string(),
                        cell(&v.entry_fee_yen),
                        cell(&v.stay_minutes),
                        cell(&v.notes),
                    ]
                })
                .collect();
            let text = table(
                &["id", "date", "onsen", "rating", "fee", "minutes", "notes"],
                &rows,
                "no visits",
            );
            render(
                global.json,
                Value::Array(list.iter().map(Visit::to_json).collect()),
                text,
            );
        }
        VisitCommand::Import { file, skip_invalid } => import(file, *skip_invalid, global)?,
        VisitCommand::Export { format } => {
            let records = super::run(&options, "visit export", Effect::Read, |db| {
                exchange::records(db.conn())
            })?;
            let json = format.as_deref().map_or(global.json, |f| f == "json");
            if json {
                onsendo::ui::print_json(&exchange::to_json(&records));
            } else {
                exchange::write_csv(&records, std::io::stdout().lock())?;
            }
        }
        VisitCommand::Show { id } => {
            let visit = super::run(&options, format!("visit show {id}"), Effect::Read, |db| {
                visits::get(db.conn(), *id)
            })?;
            render(global.json, visit.to_json(), details(&visit));
        }
        VisitCommand::Modify {
            id,
            onsen,
            date,
            rating,
            details,
        } => {
            let changes = VisitChanges {
                onsen_id: *onsen,
                date: date.clone(),
                rating: *rating,
                entry_fee_yen: details.fee,
                stay_minutes: details.minutes,
                notes: details.notes.clone(),
            };
            changes.validate()?;
            let modified = super::run(
                &options,
                format!("visit modify {id}"),
                Effect::Destructive,
                |db| db.write(|tx| visits::modify(tx, *id, &changes)),
            )?;
            render_modified(
                global.json,
                global.dry_run,
                &format!("visit {id}"),
                modified.map(Visit::to_json),
            );
        }
        VisitCommand::Delete { id } => {
            let visit = super::run(
                &options,
                format!("visit delete {id}"),
                Effect::Destructive,
                |db| db.write(|tx| visits::delete(tx, *id)),
            )?;
            let dry_run = global.dry_run;
            let verb = if dry_run { "would delete" } else { "deleted" };
            let text = format!(
                "{verb} visit {id} ({} at {})",
                visit.visited_at, visit.onsen_name
            );
            render(
                global.json,
                json!({ "deleted": visit.to_json(), "dry_run": dry_run }),
                text,
            );
        }
    }
    Ok(())
}

/// One visit as labelled lines.
fn details(visit: &Visit) -> String {
    [
        format!("visit {} on {}", visit.id, visit.visited_at),
        format!("onsen:   {} (id {})", visit.onsen_name, visit.onsen_id),
        format!("rating:  {}", visit.personal_rating),
        format!("fee:     {}", cell(&visit.entry_fee_yen)),
        format!("minutes: {}", cell(&visit.stay_minutes)),
        format!("notes:   {}", cell(&visit.notes)),
    ]
    .join("\n")
}

/// `visit import`: check every row first; import all of them, or the valid ones with
/// `--skip-invalid`, in one transaction.
fn import(file: &std::path::Path, skip_invalid: bool, global: &GlobalArgs) -> anyhow::Result<()> {
    let source = file.display().to_string();
    let input = std::fs::File::open(file)
        .map_err(|e| Error::usage(format!("cannot open `{source}`; check the path")).because(e))?;
    let operation = format!("visit import {source}");
    let (imported, problems) = super::run(&global.options(), operation, Effect::Write, |db| {
        let checked = exchange::check_csv(db.conn(), input, &source)?;
        if !checked.problems.is_empty() && !skip_invalid {
            return Err(Error::usage(format!(
                "`{source}` has {}, so nothing was imported (--skip-invalid imports the others): {}",
                counted(checked.problems.len(), "invalid row"),
                listed(&checked.problems)
            )));
        }
        let imported = db.write(|tx| exchange::import(tx, &checked.visits))?;
        Ok((imported, checked.problems))
    })?;
    let verb = if global.dry_run {
        "would import"
    } else {
        "imported"
    };
    let mut text = format!("{verb} {} from `{source}`", counted(imported, "visit"));
    if !problems.is_empty() {
        text.push_str(&format!(
            "; skipped {}: {}",
            counted(problems.len(), "invalid row"),
            listed(&problems)
        ));
    }
    let skipped: Vec<Value> = problems
        .iter()
        .map(|p| json!({"line": p.line, "problem": p.message}))
        .collect();
    render(
        global.json,
        json!({"imported": imported, "skipped": skipped, "dry_run": global.dry_run}),
        text,
    );
    Ok(())
}

fn listed(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| format!("line {}: {}", p.line, p.message))
        .collect();
    lines.join("; ")
}
