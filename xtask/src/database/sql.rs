//! `database exec "SQL"` and `database sql FILE`: run SQL on the resolved database. Read-only
//! unless `--write` (exec) or always writing (sql) with the destructive rules: banner and typed
//! confirmation on prod, a backup first on prod, one transaction, `--dry-run` rolls back.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{self, Effect, Session};
use onsendo::copies::manifest::Reason;
use onsendo::migrate::statements::{self, value_json, value_text, Mode, Outcome};
use onsendo::{ui, Error};
use rusqlite::types::Value;
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The flags of `database exec`.
#[derive(clap::Args, Debug)]
pub struct ExecArgs {
    /// The SQL: one statement or several separated by `;`
    #[arg(value_name = "SQL")]
    pub sql: String,
    /// Allow statements that change the database (destructive: prod asks, backs up first)
    #[arg(long)]
    pub write: bool,
}

/// The flags of `database sql`.
#[derive(clap::Args, Debug)]
pub struct SqlArgs {
    /// A file of SQL statements, run in order in one transaction
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

pub fn exec(args: &ExecArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    if !args.write {
        let (path, outcomes) =
            session::run(&global.options(), "database exec", Effect::Read, |db| {
                let outcomes = statements::run(db.conn(), &args.sql, Mode::Read, db.path())?;
                Ok((db.path().to_path_buf(), outcomes))
            })?;
        render(&path, &outcomes, false, global);
        return Ok(());
    }
    write(&args.sql, "database exec --write", global)
}

pub fn sql(args: &SqlArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file).map_err(|e| {
        Error::usage(format!(
            "cannot read the SQL file `{}`; check the path",
            args.file.display()
        ))
        .because(e)
    })?;
    write(
        &text,
        &format!("database sql {}", args.file.display()),
        global,
    )
}

/// The destructive road: guards, a backup on prod, every statement in one transaction.
fn write(sql: &str, operation: &str, global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), operation, Effect::Destructive)?;
    let result = session.open().and_then(|mut db| {
        let path = db.path().to_path_buf();
        statements::check(db.conn(), sql, &path)?;
        if db.identity().env == onsendo::Environment::Prod && !global.dry_run {
            let saved = session.back_up(&db, Reason::PreSql)?;
            eprintln!("backed up to `{}`", saved.path.display());
        }
        let outcomes = db.write(|tx| statements::run(tx, sql, Mode::Write, &path))?;
        Ok((path, outcomes))
    });
    let (path, outcomes) = session.finish(result)?;
    render(&path, &outcomes, true, global);
    Ok(())
}

fn render(path: &Path, outcomes: &[Outcome], writing: bool, global: &GlobalArgs) {
    let dry_run = writing && global.dry_run;
    if global.json {
        let list: Vec<_> = outcomes
            .iter()
            .map(|o| {
                let rows: Vec<Vec<_>> = o
                    .rows
                    .iter()
                    .map(|row| row.iter().map(value_json).collect())
                    .collect();
                json!({"sql": o.sql, "columns": o.columns, "rows": rows, "changes": o.changes})
            })
            .collect();
        ui::print_json(&json!({
            "path": path.display().to_string(),
            "dry_run": dry_run,
            "statements": list,
        }));
        return;
    }
    let terminal = std::io::stdout().is_terminal();
    for (number, outcome) in outcomes.iter().enumerate() {
        if !outcome.columns.is_empty() {
            println!("{}", rows_text(outcome, terminal));
        }
        if writing && (outcome.columns.is_empty() || outcome.changes > 0) {
            let first = outcome.sql.lines().next().unwrap_or("");
            println!(
                "statement {}: {} row(s) changed  ({first})",
                number + 1,
                outcome.changes
            );
        }
    }
    if dry_run {
        println!("dry run: rolled back, `{}` is unchanged", path.display());
    }
}

/// An aligned table for a person at a terminal; tab-separated lines (NULL as empty) for a pipe.
fn rows_text(outcome: &Outcome, terminal: bool) -> String {
    let cell = |value: &Value| match value {
        Value::Null if !terminal => String::new(),
        Value::Null => "NULL".to_string(),
        other => value_text(other),
    };
    let rows: Vec<Vec<String>> = outcome
        .rows
        .iter()
        .map(|row| row.iter().map(cell).collect())
        .collect();
    let headers: Vec<&str> = outcome.columns.iter().map(String::as_str).collect();
    if terminal {
        return ui::table(&headers, &rows, "(no rows)");
    }
    let mut lines = vec![headers.join("\t")];
    lines.extend(rows.iter().map(|row| row.join("\t")));
    lines.join("\n")
}
