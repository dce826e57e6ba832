//! `database audit`: the prod audit log, rotated files included, newest last; a start record
//! says what became of its operation (ended, running, interrupted, unknown).

use crate::cli_flags::GlobalArgs;
use onsendo::access::audit::{self, Line, State};
use onsendo::selection::config;
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
    let states = audit::start_states(&lines);
    let from = lines.len().saturating_sub(args.tail);
    let shown = lines[from..].iter().zip(&states[from..]);
    if global.json {
        ui::print_json(&json!(shown
            .map(|(line, state)| to_json(line, *state))
            .collect::<Vec<_>>()));
        return Ok(());
    }
    if lines.is_empty() {
        println!(
            "no audit records yet in `{}`",
            config.layout.audit_log().display()
        );
    }
    for (line, state) in shown {
        match line {
            Line::Record(record) => println!("{}", text(record, *state)),
            Line::Unreadable { file, line } => {
                println!("(line {line} of `{}` is not a record)", file.display())
            }
        }
    }
    Ok(())
}

/// `  name: value` for the record's text field `name`, or nothing when it has none.
fn labelled(record: &Value, name: &str) -> String {
    record
        .get(name)
        .and_then(Value::as_str)
        .map(|value| format!("  {name}: {value}"))
        .unwrap_or_default()
}

fn field<'a>(record: &'a Value, name: &str) -> &'a str {
    record.get(name).and_then(Value::as_str).unwrap_or("?")
}

/// `time  user@host  outcome  confirmation  command…  restored  backup  removed`; a start record (with `state`) shows
/// what became of its operation in place of the outcome.
fn text(record: &Value, state: Option<State>) -> String {
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
    let backup = labelled(record, "backup");
    let restored = labelled(record, "restored");
    let confirmation = labelled(record, "confirmation");
    let removed = record
        .get("removed_backups")
        .and_then(Value::as_array)
        .map(|paths| paths.iter().filter_map(Value::as_str).collect::<Vec<_>>())
        .filter(|paths| !paths.is_empty())
        .map(|paths| format!("  removed: {}", paths.join(", ")))
        .unwrap_or_default();
    let outcome = match state {
        None => match record.get("started").and_then(Value::as_str) {
            Some(started) => format!("{} (started {started})", field(record, "outcome")),
            None => field(record, "outcome").to_string(),
        },
        Some(State::Ended) => "started".to_string(),
        Some(State::Running) => format!(
            "started, still running (process {})",
            record.get("pid").and_then(Value::as_u64).unwrap_or(0)
        ),
        Some(State::Interrupted) => format!("started, {}", audit::INTERRUPTED),
        Some(State::Unknown) => {
            "started, no outcome yet: cannot tell from here whether it still runs".to_string()
        }
    };
    ui::escape_controls(&format!(
        "{}  {}@{}  {outcome}{confirmation}  {command}{restored}{backup}{removed}",
        field(record, "time"),
        field(record, "user"),
        field(record, "host"),
    ))
}

/// The line as it is in the log; a start record gains `state`, what became of its operation.
fn to_json(line: &Line, state: Option<State>) -> Value {
    match line {
        Line::Record(record) => {
            let mut record = record.clone();
            if let (Some(state), Some(fields)) = (state, record.as_object_mut()) {
                fields.insert("state".into(), state.name().into());
            }
            record
        }
        Line::Unreadable { file, line } => {
            json!({ "unreadable": { "file": file.display().to_string(), "line": line } })
        }
    }
}
