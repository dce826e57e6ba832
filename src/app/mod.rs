//! The app's command groups: each parses its flags, runs the library through a session, renders.

pub mod location;
pub mod onsen;
pub mod stats;
pub mod visit;

use serde_json::Value;

/// Prints `value` as JSON, or `text` as it is.
fn render(json: bool, value: Value, text: String) {
    if json {
        onsendo::ui::print_json(&value);
    } else {
        println!("{text}");
    }
}
