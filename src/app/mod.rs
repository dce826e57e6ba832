//! The app's command groups: each parses its flags, runs the library through a session, renders.

pub mod location;
pub mod onsen;
pub mod stats;
pub mod visit;

use onsendo::access::db::Database;
use onsendo::access::session::{self, Effect, Options};
use onsendo::migrate::{self, Catalog};
use onsendo::selection::hint::Hint;
use onsendo::store::Modified;
use serde_json::{json, Value};

/// A value that must be a whole number (an id, a rating, a fee), with an error that says so
/// instead of Rust's "invalid digit found in string".
pub fn whole_number(text: &str) -> Result<i64, String> {
    if text.trim().is_empty() {
        return Err("the value is empty; give a whole number, such as 3".into());
    }
    text.trim().parse::<i64>().map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
            format!("`{text}` is too large a number")
        }
        _ => format!("`{text}` is not a whole number"),
    })
}

/// The road of every app command: [`session::run`], refusing first a database whose schema is
/// not this code's (migrations pending, or newer than the code).
fn run<T>(
    options: &Options,
    operation: impl Into<String>,
    effect: Effect,
    work: impl FnOnce(&mut Database) -> onsendo::Result<T>,
) -> onsendo::Result<T> {
    session::run(options, operation, effect, |db| {
        let catalog = Catalog::of(&db.config().layout)?;
        migrate::require_current(db.conn(), &catalog, db.config())?;
        let config = db.config().clone();
        work(db).map_err(|e| e.with_next(|command| Hint::app(&config, command).to_string()))
    })
}

/// Prints `value` as JSON, or `text` as it is.
fn render(json: bool, value: Value, text: String) {
    if json {
        onsendo::ui::print_json(&value);
    } else {
        println!("{text}");
    }
}

/// Prints a `modify`: each field that changed as `field: before → after`, or JSON with the row
/// before and after. `what` names the row, such as `onsen 3`.
fn render_modified(json: bool, dry_run: bool, what: &str, modified: Modified<Value>) {
    let Modified { before, after } = modified;
    let changed: Vec<&String> = before
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(field, value)| after.get(field.as_str()) != Some(value))
        .map(|(field, _)| field)
        .collect();
    let shown = |value: &Value| match value {
        Value::Null => "-".to_string(),
        Value::String(text) => onsendo::ui::escape_controls(text),
        other => other.to_string(),
    };
    let text = if changed.is_empty() {
        format!("{what} already has those values; nothing changed")
    } else {
        let verb = if dry_run { "would change" } else { "changed" };
        std::iter::once(format!("{verb} {what}:"))
            .chain(changed.iter().map(|field| {
                format!(
                    "  {field}: {} → {}",
                    shown(&before[field.as_str()]),
                    shown(&after[field.as_str()])
                )
            }))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let value = json!({ "changed": changed, "before": before, "after": after, "dry_run": dry_run });
    render(json, value, text);
}
