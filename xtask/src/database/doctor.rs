//! `database doctor`: is the database ready? One line per check; exit 4 when one fails.

use crate::cli_flags::GlobalArgs;
use onsendo::doctor;
use onsendo::session::{Effect, Session};
use onsendo::{ui, Error};
use serde_json::json;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), "database doctor", Effect::Read)?;
    let path = session.config().path.clone();
    let result = doctor::diagnose(&mut session);
    let failure = result
        .as_ref()
        .ok()
        .filter(|readiness| !readiness.ready())
        .map(|_| {
            Error::check_failed(format!(
                "`{}` is not ready: see the ✗ lines",
                path.display()
            ))
        });
    let readiness = session.finish_checked(result, failure.as_ref())?;
    if global.json {
        ui::print_json(&json!({
            "path": path.display().to_string(),
            "ready": readiness.ready(),
            "checks": readiness.checks.iter().map(|c| json!({
                "name": c.name,
                "level": c.level.name(),
                "detail": c.detail,
                "hint": c.hint,
            })).collect::<Vec<_>>(),
        }));
    } else {
        let width = readiness
            .checks
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0);
        for c in &readiness.checks {
            println!("{} {:<width$}  {}", c.level.mark(), c.name, c.detail);
            if let Some(hint) = &c.hint {
                println!("  {:<width$}  hint: {hint}", "");
            }
        }
        println!(
            "{}",
            if readiness.ready() {
                "ready"
            } else {
                "NOT READY"
            }
        );
    }
    failure.map_or(Ok(()), |failure| Err(failure.into()))
}
