//! `database lint`: destructive statements in pending (or all) migrations, and the statements the
//! statement gate refuses in their up.sql and down.sql; exit 4 for a refused one, or a destructive
//! one not acknowledged with the marker comment.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{self, Effect};
use onsendo::migrate::statements;
use onsendo::migrate::{self, lint, runner, Catalog};
use onsendo::{ui, Error};
use serde_json::json;

/// The flags of `database lint`.
#[derive(clap::Args, Debug)]
pub struct LintArgs {
    /// Every migration, not only those pending in the selected database
    #[arg(long)]
    pub all: bool,
}

pub fn run(args: &LintArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let options = global.options();
    let (catalog, applied) = if args.all {
        let config = onsendo::selection::config::from_process(&options.flags)?;
        (Catalog::of(&config.layout)?, 0)
    } else {
        session::run(&options, "database lint", Effect::Read, |db| {
            let catalog = Catalog::of(&db.config().layout)?;
            let version = migrate::current(db.conn(), db.path())?;
            Ok((catalog, version))
        })?
    };
    let mut found = Vec::new();
    let mut refused = Vec::new();
    for migration in catalog.between(applied, catalog.head()) {
        for finding in lint::destructive_statements(&migration.up) {
            let file = runner::file_of(&catalog, migration, "up.sql");
            found.push((file, finding));
        }
        let files = [
            ("up.sql", Some(&migration.up)),
            ("down.sql", migration.down.as_ref()),
        ];
        for (name, sql) in files {
            for refusal in statements::refusals(sql.map_or("", String::as_str)) {
                refused.push((runner::file_of(&catalog, migration, name), refusal));
            }
        }
    }
    let unacknowledged = found.iter().filter(|(_, f)| !f.acknowledged).count();
    let scope = if args.all {
        "all migrations"
    } else {
        "pending migrations"
    };
    if global.json {
        ui::print_json(&json!({
            "scope": scope,
            "findings": found.iter().map(|(file, f)| json!({
                "file": file.trim_matches('`'),
                "line": f.line,
                "statement": f.danger.to_string(),
                "acknowledged": f.acknowledged,
            })).collect::<Vec<_>>(),
            "unacknowledged": unacknowledged,
            "refused": refused.iter().map(|(file, r)| json!({
                "file": file.trim_matches('`'),
                "line": r.line,
                "statement": r.statement,
                "why": r.why,
            })).collect::<Vec<_>>(),
        }));
    } else {
        for (file, r) in &refused {
            println!(
                "{file}:{}: {} (not allowed: {})",
                r.line, r.statement, r.why
            );
        }
        for (file, f) in &found {
            let state = if f.acknowledged {
                "acknowledged"
            } else {
                "NOT acknowledged"
            };
            println!("{file}:{}: {} ({state})", f.line, f.danger);
        }
        println!(
            "{} destructive statement(s) in {scope}, {unacknowledged} not acknowledged",
            found.len()
        );
    }
    if !refused.is_empty() {
        return Err(Error::check_failed(format!(
            "{} statement(s) that no migration may run (transaction control, ATTACH, DETACH, VACUUM, or a pragma that switches a check off); every migration runs inside the tool's own transaction: remove them",
            refused.len()
        ))
        .into());
    }
    if unacknowledged > 0 {
        return Err(Error::check_failed(format!(
            "{unacknowledged} destructive statement(s) not acknowledged; review each, then put `-- {} <why>` on the line before it",
            lint::MARKER
        ))
        .into());
    }
    Ok(())
}
