//! What `migrate` and `rollback` share: the plan with its destructive statements, the guarded
//! run (confirmation, backup, one transaction that re-reads the version under the write lock),
//! and the report.

use crate::cli_flags::GlobalArgs;
use onsendo::access::db::Database;
use onsendo::access::session::{Effect, Session};
use onsendo::checks::schema;
use onsendo::copies::manifest::Reason;
use onsendo::migrate::{self, lint, runner, Catalog};
use onsendo::Environment;
use onsendo::{ui, Error, Result};
use rusqlite::Transaction;
use serde_json::json;
use std::path::{Path, PathBuf};

/// One migration the change runs.
#[derive(Debug)]
pub struct Planned {
    pub name: String,
    /// Its destructive statements: `DROP TABLE visits (line 4)`.
    pub dangers: Vec<String>,
}

/// A schema change: planned, then done (or rolled back in a dry run).
#[derive(Debug)]
pub struct Change {
    pub reason: Reason,
    pub path: PathBuf,
    pub from: usize,
    pub to: usize,
    pub steps: Vec<Planned>,
    /// Edited migrations whose new checksum is accepted.
    pub accepted: Vec<usize>,
    pub dry_run: bool,
    pub backup: Option<PathBuf>,
    pub outcome: Option<runner::Outcome>,
    /// Another process made the change while this one waited for the lock.
    pub done_elsewhere: bool,
    /// Ledger rows filled in for migrations applied before the ledger existed.
    pub filled: usize,
    /// A migration of the run is marked `-- onsendo:foreign-keys-off`: the run has them off.
    pub foreign_keys_off: bool,
    /// `migrations/schema.sql`, when this change rewrote it.
    pub schema_file: Option<PathBuf>,
    /// A redo: the newest migration undone and applied again (`from` and `to` are its version).
    pub redo: bool,
}

impl Change {
    /// The plan to take `db` from version `from` to `to` with `catalog`'s migrations.
    pub fn planned(
        catalog: &Catalog,
        from: usize,
        to: usize,
        db: &Database,
        reason: Reason,
    ) -> Change {
        let up = to >= from;
        let mut migrations = catalog.between(from.min(to), from.max(to)).to_vec();
        if !up {
            migrations.reverse();
        }
        let steps = migrations
            .iter()
            .map(|m| {
                let sql = if up { Some(&m.up) } else { m.down.as_ref() };
                let dangers = sql
                    .map(|sql| lint::destructive_statements(sql))
                    .unwrap_or_default()
                    .iter()
                    .map(|finding| format!("{} (line {})", finding.danger, finding.line))
                    .collect();
                Planned {
                    name: m.name.clone(),
                    dangers,
                }
            })
            .collect();
        Change {
            reason,
            path: db.path().to_path_buf(),
            from,
            to,
            steps,
            accepted: Vec::new(),
            dry_run: false,
            backup: None,
            outcome: None,
            done_elsewhere: false,
            filled: 0,
            foreign_keys_off: runner::needs_foreign_keys_off(catalog, from, to),
            schema_file: None,
            redo: false,
        }
    }

    fn verb(&self) -> &'static str {
        if self.reason == Reason::PreRollback {
            "roll back"
        } else {
            "migrate"
        }
    }
}

/// Runs a planned change: shows the plan, asks for confirmation on prod, makes the backup when
/// `backup`, then runs `work` in one transaction (rolled back in a dry run). `work` gets the
/// version found under the write lock; if another process changed it meanwhile to the target,
/// nothing runs.
pub fn apply(
    session: &mut Session,
    change: &mut Change,
    backup: bool,
    json: bool,
    work: impl FnOnce(&Transaction, &Path, usize) -> Result<runner::Outcome>,
) -> Result<()> {
    if !json {
        print!("{}", plan_text(change));
    }
    let mut db = session.escalate(Effect::Destructive)?;
    change.dry_run = session.options().dry_run;
    if backup && !change.dry_run {
        change.backup = Some(session.back_up(&db, change.reason)?.path);
    }
    let (expected, target, path) = (change.from, change.to, change.path.clone());
    let run = |tx: &Transaction| {
        let version = migrate::current(tx, &path)?;
        if version == expected {
            work(tx, &path, version).map(Some)
        } else if version == target {
            Ok(None)
        } else {
            Err(Error::failed(format!(
                "`{}` went from version {expected} to {version} while this command waited for it; re-run to see the new plan",
                path.display()
            )))
        }
    };
    let outcome = if change.foreign_keys_off {
        db.write_without_foreign_keys(run)?
    } else {
        db.write(run)?
    };
    change.done_elsewhere = outcome.is_none();
    change.outcome = outcome;
    Ok(())
}

/// Keeps `migrations/schema.sql` current after a change that ran on dev (not in a dry run). The
/// change is committed by then, so a file that cannot be written is a warning, not a failure.
pub fn keep_schema_file(change: &mut Change, catalog: &Catalog, env: Environment) {
    if env != Environment::Dev || change.dry_run || change.outcome.is_none() {
        return;
    }
    match schema::keep_current(catalog) {
        Ok(written) => change.schema_file = written,
        Err(e) => eprintln!("warning: {e}; `cargo xtask database new` writes it"),
    }
}

fn plan_text(change: &Change) -> String {
    let mut text = if change.redo {
        format!(
            "plan: redo `{}` at version {}: undo the newest migration with its down.sql, then apply its up.sql again\n",
            change.path.display(),
            change.from
        )
    } else {
        format!(
            "plan: {} `{}` from version {} to {}\n",
            change.verb(),
            change.path.display(),
            change.from,
            change.to
        )
    };
    if change.foreign_keys_off {
        text.push_str("  foreign keys off for the run (a migration is marked onsendo:foreign-keys-off); checked before the commit\n");
    }
    for version in &change.accepted {
        text.push_str(&format!(
            "  accept the edited file of migration {version}\n"
        ));
    }
    for step in &change.steps {
        text.push_str(&format!("  {}\n", step.name));
        for danger in &step.dangers {
            text.push_str(&format!("    ⚠ destructive: {danger}\n"));
        }
    }
    text
}

/// Prints what happened (human text, or `--json`).
pub fn render(change: &Change, global: &GlobalArgs) {
    if global.json {
        ui::print_json(&to_json(change));
        return;
    }
    let path = change.path.display();
    let Some(outcome) = &change.outcome else {
        if change.done_elsewhere {
            println!(
                "another process took `{path}` to version {} while this one waited; nothing to do",
                change.to
            );
        } else {
            println!("`{path}` is at version {}; nothing to do", change.from);
        }
        if change.filled > 0 {
            println!(
                "recorded {} applied migration(s) in the ledger (the database predates it)",
                change.filled
            );
        }
        return;
    };
    if let Some(backup) = &change.backup {
        println!("backup: {}", backup.display());
    }
    for step in &outcome.steps {
        println!(
            "  ✓ {}  {} ms, {} rows changed",
            step.name, step.duration_ms, step.rows_changed
        );
    }
    if !outcome.schema_changes.is_empty() {
        println!("schema: {}", outcome.schema_changes.join(", "));
    }
    if let Some(file) = &change.schema_file {
        println!("updated `{}`", file.display());
    }
    if change.dry_run {
        println!(
            "dry run: ran in a transaction and rolled it back; `{path}` is unchanged at version {}",
            change.from
        );
    } else {
        println!("`{path}` is now at version {}", change.to);
    }
}

fn to_json(change: &Change) -> serde_json::Value {
    json!({
        "path": change.path.display().to_string(),
        "from": change.from,
        "to": change.to,
        "dry_run": change.dry_run,
        "changed": change.outcome.is_some() && !change.dry_run,
        "done_elsewhere": change.done_elsewhere,
        "ledger_filled": change.filled,
        "foreign_keys_off": change.foreign_keys_off,
        "accepted_edited": change.accepted,
        "backup": change.backup.as_ref().map(|p| p.display().to_string()),
        "plan": change.steps.iter().map(|s| json!({"name": s.name, "destructive": s.dangers})).collect::<Vec<_>>(),
        "steps": change.outcome.as_ref().map(|o| o.steps.iter().map(|s| json!({
            "version": s.version,
            "name": s.name,
            "duration_ms": s.duration_ms,
            "rows_changed": s.rows_changed,
        })).collect::<Vec<_>>()),
        "schema_changes": change.outcome.as_ref().map(|o| o.schema_changes.clone()),
        "schema_file": change.schema_file.as_ref().map(|p| p.display().to_string()),
    })
}
