//! `database audit`: the prod audit log, rotated files included, newest last.

use crate::cli_flags::GlobalArgs;
use onsendo::audit::{self, Line};
use onsendo::config;
use onsendo::ui;
use serde_json::{json, Value};

/// The flags of `database audit`.
#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// Show the newest N records
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub tail: usize,
}

pub fn run(args: &AuditArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let config = config::from_process(&global.options().flags)?;
    let lines = audit::read(&config.layout)?;
    let shown = &lines[lines.len().saturating_sub(args.tail)..];
    if global.json {
        ui::print_json(&json!(shown.iter().map(to_json).collect::<Vec<_>>()));
        return Ok(());
    }
    if lines.is_empty() {
        println!(
            "no audit records yet in `{}`",
            config.layout.audit_log().display()
        );
    }
    for line in shown {
        match line {
            Line::Record(record) => println!("{}", text(record)),
            Line::Unreadable { file, line } => {
                println!("(line {line} of `{}` is not a record)", file.display())
            }
        }
    }
    Ok(())
}

fn field<'a>(record: &'a Value, name: &str) -> &'a str {
    record.get(name).and_then(Value::as_str).unwrap_or("?")
}

/// `time  user  outcome  confirmation  command…  backup`
fn text(record: &Value) -> String {
    let command = record
        .get("command")
        .and_then(Value::as_array)
        .map(|words| {
            words
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let backup = record
        .get("backup")
        .and_then(Value::as_str)
        .map(|b| format!("  backup: {b}"))
        .unwrap_or_default();
    format!(
        "{}  {}@{}  {}  confirmation: {}  {command}{backup}",
        field(record, "time"),
        field(record, "user"),
        field(record, "host"),
        field(record, "outcome"),
        field(record, "confirmation"),
    )
}

fn to_json(line: &Line) -> Value {
    match line {
        Line::Record(record) => record.clone(),
        Line::Unreadable { file, line } => {
            json!({ "unreadable": { "file": file.display().to_string(), "line": line } })
        }
    }
}
