//! `database lint`: destructive statements in pending (or all) migrations, the statements the
//! statement gate refuses in their up.sql and down.sql, and table rebuilds that lack the
//! foreign-keys-off line or leave out an index, trigger or view of the table; exit 4 for any of
//! them, or a destructive statement not acknowledged with the marker comment.

use crate::cli_flags::GlobalArgs;
use onsendo::access::db;
use onsendo::access::session::{self, Effect};
use onsendo::migrate::rebuild::Side;
use onsendo::migrate::statements;
use onsendo::migrate::{
    self, lint, needs_foreign_keys_off, rebuild, runner, Catalog, Migration, FOREIGN_KEYS_OFF,
};
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
    let rebuilds = rebuild_problems(&catalog, applied)?;
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
            "rebuilds": rebuilds,
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
        for problem in &rebuilds {
            println!("{problem}");
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
    if !rebuilds.is_empty() {
        return Err(Error::check_failed(format!(
            "{} problem(s) in table rebuilds; SQLite's procedure: a `-- {FOREIGN_KEYS_OFF}` line in the file, and every index, trigger and view of the table made again after it (`cargo xtask database new NAME --rebuild TABLE` writes one)",
            rebuilds.len()
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

/// `file:line: …` for each table rebuild in the up.sql or down.sql of the migrations after
/// `applied` that lacks the foreign-keys-off line, and `file: …` for each index, trigger or view
/// of a rebuilt table it does not make again (found by running it on a scratch database the
/// migrations built up to the version it runs from).
fn rebuild_problems(catalog: &Catalog, applied: usize) -> onsendo::Result<Vec<String>> {
    let mut problems = Vec::new();
    for migration in catalog.between(applied, catalog.head()) {
        for side in [Side::Up, Side::Down] {
            problems.extend(rebuild_problems_in(catalog, migration, side)?);
        }
    }
    Ok(problems)
}

/// [`rebuild_problems`] of one file of `migration`.
fn rebuild_problems_in(
    catalog: &Catalog,
    migration: &Migration,
    side: Side,
) -> onsendo::Result<Vec<String>> {
    let mut problems = Vec::new();
    let sql = side.sql(migration);
    let tables = rebuild::rebuilt_tables(sql);
    if tables.is_empty() {
        return Ok(problems);
    }
    let file = runner::file_of(catalog, migration, side.file());
    if !needs_foreign_keys_off(sql) {
        for (table, line) in &tables {
            problems.push(format!(
                "{file}:{line}: rebuild of {table} without a `-- {FOREIGN_KEYS_OFF}` line (foreign keys stay on: dropping a table others reference fails, or runs their ON DELETE actions)"
            ));
        }
    }
    let scratch = db::scratch(catalog, side.runs_from(migration.version))?;
    for missing in rebuild::not_recreated(&scratch, catalog, migration.version, side)? {
        problems.push(format!("{file}: {missing}"));
    }
    Ok(problems)
}
