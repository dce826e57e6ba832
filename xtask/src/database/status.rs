//! `database status`: where the database stands against the code's migrations; `--check` makes
//! anything pending or drifted exit 4, for CI.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Session};
use onsendo::checks::schema;
use onsendo::migrate::{self, Catalog, Mark, State};
use onsendo::{ui, Error};
use serde_json::json;

/// The flags of `database status`.
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// Exit 4 when a migration is pending, edited since applied, or unknown to this code, or the
    /// schema or the ledger drifted
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: &StatusArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), "database status", Effect::Read)?;
    let result = session.open().and_then(|db| {
        let catalog = Catalog::of(&db.config().layout)?;
        let state = migrate::state(db.conn(), &catalog, db.path())?;
        let drift = schema::of(db.conn(), &catalog, &state, db.path())?;
        Ok((
            db.config().clone(),
            db.identity().stamp,
            catalog,
            state,
            drift,
        ))
    });
    let problems = match &result {
        Ok((config, _, _, state, drift)) => {
            let mut problems = state.problems(config);
            problems.extend(schema::problem(drift, state.version, config));
            problems
        }
        Err(_) => Vec::new(),
    };
    let failure = match &result {
        Ok((config, ..)) if args.check && !problems.is_empty() => {
            Some(Error::check_failed(format!(
                "status check failed for `{}`: {}",
                config.path.display(),
                onsendo::ui::at_most(&problems).join("; ")
            )))
        }
        _ => None,
    };
    let (config, stamp, catalog, state, drift) =
        session.finish_checked(result, failure.as_ref())?;
    if global.json {
        ui::print_json(&json!({
            "environment": config.env.or(stamp).map(|e| e.name()),
            "decided_by": config.rule.describe(),
            "path": config.path.display().to_string(),
            "stamp": stamp.map(|e| e.name()),
            "version": state.version,
            "head": state.head,
            "migrations_from": catalog.source.to_string(),
            "migrations": state.rows.iter().map(|row| json!({
                "version": row.version,
                "name": row.name,
                "state": row.mark.label(),
                "applied_at": row.applied_at,
            })).collect::<Vec<_>>(),
            "above_head": state.above_head(),
            "pending": state.marked(Mark::Pending).len(),
            "drift": drift.iter().map(|d| json!({
                "kind": d.kind,
                "name": d.name,
                "what": d.what,
            })).collect::<Vec<_>>(),
            "problems": problems,
            "current": state.is_current() && drift.is_empty(),
        }));
    } else {
        println!("environment: {config}");
        println!("database:    {}", config.path.display());
        println!("stamp:       {}", stamp.map_or("none", |e| e.name()));
        println!("version:     {} of {}", state.version, state.head);
        println!("migrations:  {}", catalog.source);
        print!("{}", rows(&state));
        for problem in &problems {
            println!("✗ {problem}");
        }
        if problems.is_empty() {
            println!("✓ at head, nothing edited, the schema is what the migrations make");
        }
    }
    failure.map_or(Ok(()), |failure| Err(failure.into()))
}

/// One line per migration: mark, version, name, state, time applied; then one line for the
/// versions above the code's head, however many.
pub fn rows(state: &State) -> String {
    let width = state
        .rows
        .iter()
        .map(|row| row.name.len())
        .max()
        .unwrap_or(0);
    state
        .rows
        .iter()
        .map(|row| {
            let mark = match row.mark {
                Mark::Applied | Mark::BeforeLedger => "✓",
                Mark::Pending => "·",
                Mark::Edited | Mark::DownEdited | Mark::Unrecorded | Mark::Unknown => "✗",
            };
            let at = row
                .applied_at
                .as_deref()
                .map(|at| format!(" {at}"))
                .unwrap_or_default();
            format!("  {mark} {:<width$}  {}{at}\n", row.name, row.mark.label())
        })
        .chain((state.above_head() > 0).then(|| {
            format!(
                "  ✗ version {}: {} above this code's head, UNKNOWN to this code\n",
                state.version,
                ui::counted(state.above_head(), "version")
            )
        }))
        .collect()
}
