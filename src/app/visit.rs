//! `onsendo visit …`: record, list, show, modify, delete, import and export visits.

use super::{render, render_modified};
use crate::cli_flags::GlobalArgs;
use clap::Subcommand;
use onsendo::access::session::Effect;
use onsendo::store::exchange::{self, Checked};
use onsendo::store::visits::{self, Filter, NewVisit, Visit, VisitChanges};
use onsendo::ui::{cell, counted, escape_controls, JsonArrayWriter, TableWriter};
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
        #[arg(long, value_parser = super::whole_number)]
        onsen: i64,
        /// The day, YYYY-MM-DD
        #[arg(long)]
        date: String,
        /// Your rating, 1 to 10
        #[arg(long, value_parser = super::whole_number, allow_hyphen_values = true)]
        rating: i64,
        #[command(flatten)]
        details: DetailArgs,
    },
    /// List visits, newest first: the newest 50 unless --limit or --all says otherwise
    #[command(
        after_help = "Rows stream from the database as they are read, so any number of them prints in constant memory.\nWhen more visits match than are shown, a last line says how many (in JSON, a note on stderr).\n\nExamples:\n  onsendo visit list\n  onsendo visit list --limit 10\n  onsendo visit list --onsen 1 --since 2026-01-01 --until 2026-03-31 --json\n  onsendo visit list --all > visits.txt"
    )]
    List {
        /// Only visits to this onsen
        #[arg(long, value_parser = super::whole_number)]
        onsen: Option<i64>,
        /// Only visits on or after this day, YYYY-MM-DD
        #[arg(long)]
        since: Option<String>,
        /// Only visits on or before this day, YYYY-MM-DD
        #[arg(long)]
        until: Option<String>,
        /// Show at most N visits
        #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT, conflicts_with = "all")]
        limit: u64,
        /// Show every matching visit
        #[arg(long)]
        all: bool,
    },
    /// Show one visit in full
    #[command(after_help = "Examples:\n  onsendo visit show 3\n  onsendo visit show 3 --json")]
    Show {
        /// The visit's id (see `visit list`)
        #[arg(value_parser = super::whole_number)]
        id: i64,
    },
    /// Change some fields of a visit (destructive: on prod, confirm by typing `prod` or pass --yes)
    #[command(
        after_help = "Only the fields given change; each change is printed as before → after. --notes \"\" clears the notes.\n\nExamples:\n  onsendo visit modify 3 --rating 9 --notes \"better after the rain\"\n  onsendo --env prod visit modify 3 --date 2026-11-21 --dry-run\n  onsendo --env prod visit modify 3 --date 2026-11-21 --yes"
    )]
    Modify {
        /// The visit's id (see `visit list`)
        #[arg(value_parser = super::whole_number)]
        id: i64,
        /// Another onsen's id (see `onsen list`)
        #[arg(long, value_parser = super::whole_number)]
        onsen: Option<i64>,
        /// Another day, YYYY-MM-DD
        #[arg(long)]
        date: Option<String>,
        /// A new rating, 1 to 10
        #[arg(long, value_parser = super::whole_number, allow_hyphen_values = true)]
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
        /// Import a file whose every row is recorded already (a second import of the same file)
        #[arg(long)]
        allow_duplicates: bool,
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
        #[arg(value_parser = super::whole_number)]
        id: i64,
    },
}

/// A visit's optional facts, taken by `add` and `modify`.
#[derive(clap::Args, Debug)]
pub struct DetailArgs {
    /// Entry fee in yen, 0 to 1000000
    #[arg(long, value_parser = super::whole_number, allow_hyphen_values = true)]
    fee: Option<i64>,
    /// Time spent, in minutes, 1 to 1440 (a day)
    #[arg(long, value_parser = super::whole_number, allow_hyphen_values = true)]
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
        VisitCommand::List {
            onsen,
            since,
            until,
            limit,
            all,
        } => {
            let filter = Filter {
                onsen_id: *onsen,
                since: since.clone(),
                until: until.clone(),
            };
            let limit = (!*all).then_some(*limit);
            super::run(&options, "visit list", Effect::Read, |db| {
                list(db, &filter, limit, global.json)
            })?;
        }
        VisitCommand::Import {
            file,
            skip_invalid,
            allow_duplicates,
        } => import(file, *skip_invalid, *allow_duplicates, global)?,
        VisitCommand::Export { format } => {
            let json = format.as_deref().map_or(global.json, |f| f == "json");
            let format = if json {
                exchange::Format::Json
            } else {
                exchange::Format::Csv
            };
            super::run(&options, "visit export", Effect::Read, |db| {
                exchange::export(db.conn(), format, std::io::stdout().lock())
            })?;
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
                visit.visited_at,
                escape_controls(&visit.onsen_name)
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

/// How many visits `visit list` shows unless told otherwise.
const DEFAULT_LIMIT: u64 = 50;

/// Up to how many visits past the ones shown `visit list` counts exactly ("… and over 10000 more").
const MORE_COUNTED: u64 = 10_000;

/// `visit list`: the visits as they are read, as a table or a JSON array, then how many more
/// match when the limit stopped it.
fn list(
    db: &onsendo::access::db::Database,
    filter: &Filter,
    limit: Option<u64>,
    json: bool,
) -> onsendo::Result<()> {
    use std::io::Write;
    let conn = db.conn();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = |e: std::io::Error| Error::failed("cannot write the visits to stdout").because(e);
    let shown = if json {
        let mut array = JsonArrayWriter::new(&mut out).map_err(written)?;
        visits::each(conn, filter, limit, |visit| {
            array.item(&visit.to_json()).map_err(written)
        })?;
        array.finish().map_err(written)?
    } else {
        let headers = ["id", "date", "onsen", "rating", "fee", "minutes", "notes"];
        let mut table = TableWriter::new(&mut out, &headers);
        visits::each(conn, filter, limit, |v| {
            table
                .row(vec![
                    v.id.to_string(),
                    v.visited_at,
                    v.onsen_name,
                    v.personal_rating.to_string(),
                    cell(&v.entry_fee_yen),
                    cell(&v.stay_minutes),
                    cell(&v.notes),
                ])
                .map_err(written)
        })?;
        table.finish("no visits").map_err(written)?
    };
    out.flush().map_err(written)?;
    if let Some(limit) = limit.filter(|limit| shown == *limit) {
        // Counted up to a bound, so that the first page costs the same on any size of table.
        let more = match visits::count_up_to(conn, filter, limit.saturating_add(MORE_COUNTED))? {
            Some(all) => all.saturating_sub(shown).to_string(),
            None => format!("over {MORE_COUNTED}"),
        };
        if more != "0" {
            let line = format!(
                "… and {}; show more with --limit N, or all with --all",
                counted(more, "more visit")
            );
            if json {
                eprintln!("note: {line}");
            } else {
                println!("{line}");
            }
        }
    }
    Ok(())
}

/// One visit as labelled lines.
fn details(visit: &Visit) -> String {
    [
        format!("visit {} on {}", visit.id, visit.visited_at),
        format!(
            "onsen:   {} (id {})",
            escape_controls(&visit.onsen_name),
            visit.onsen_id
        ),
        format!("rating:  {}", visit.personal_rating),
        format!("fee:     {}", cell(&visit.entry_fee_yen)),
        format!("minutes: {}", cell(&visit.stay_minutes)),
        format!("notes:   {}", cell(&visit.notes)),
    ]
    .join("\n")
}

/// `visit import`: every row checked as it is read and the valid ones recorded in one
/// transaction, which is rolled back when a row is invalid (unless `--skip-invalid`): one pass,
/// in constant memory.
fn import(
    file: &std::path::Path,
    skip_invalid: bool,
    allow_duplicates: bool,
    global: &GlobalArgs,
) -> anyhow::Result<()> {
    let source = file.display().to_string();
    let input = std::fs::File::open(file)
        .map_err(|e| Error::usage(format!("cannot open `{source}`; check the path")).because(e))?;
    let size = input.metadata().map_or(0, |m| m.len());
    let operation = format!("visit import {source}");
    let (checked, present) = super::run(&global.options(), operation, Effect::Write, |db| {
        db.write(|tx| {
            let mut present = 0;
            let checked = exchange::check_csv(tx, input, &source, size, |visit| {
                if visits::exists(tx, visit)? {
                    present += 1;
                }
                visits::add_checked(tx, visit).map(|_| ())
            })?;
            if checked.problem_count > 0 && !skip_invalid {
                return Err(Error::usage(format!(
                    "`{source}` has {}, so nothing was imported (--skip-invalid imports the others): {}",
                    counted(checked.problem_count, "invalid row"),
                    listed(&checked)
                )));
            }
            if checked.valid > 0 && present == checked.valid && !allow_duplicates {
                return Err(Error::refused(format!(
                    "every visit in `{source}` is recorded already (imported before?), so nothing was imported; --allow-duplicates imports them again"
                )));
            }
            Ok((checked, present))
        })
    })?;
    let verb = if global.dry_run {
        "would import"
    } else {
        "imported"
    };
    let mut text = format!("{verb} {} from `{source}`", counted(checked.valid, "visit"));
    if present > 0 {
        text.push_str(&format!(" ({present} of them recorded already)"));
    }
    if checked.problem_count > 0 {
        text.push_str(&format!(
            "; skipped {}: {}",
            counted(checked.problem_count, "invalid row"),
            listed(&checked)
        ));
    }
    let skipped: Vec<Value> = checked
        .problems
        .iter()
        .map(|p| json!({"line": p.line, "problem": p.message}))
        .collect();
    render(
        global.json,
        json!({"imported": checked.valid, "already_recorded": present, "skipped": skipped, "skipped_count": checked.problem_count, "dry_run": global.dry_run}),
        text,
    );
    Ok(())
}

/// The problems kept, one per line number, then how many more there were.
fn listed(checked: &Checked) -> String {
    let mut lines: Vec<String> = checked
        .problems
        .iter()
        .map(|p| format!("line {}: {}", p.line, p.message))
        .collect();
    let more = checked.problem_count - checked.problems.len() as u64;
    if more > 0 {
        lines.push(format!("… and {more} more"));
    }
    lines.join("; ")
}
