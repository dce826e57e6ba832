//! `database doctor`: is the database ready to migrate, or to serve? One line per check; exit 4
//! when not ready.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Session};
use onsendo::checks::doctor;
use onsendo::{ui, Error};
use serde_json::json;

/// The flags of `database doctor`.
#[derive(clap::Args, Debug)]
pub struct DoctorArgs {
    /// Ready to serve: pending migrations fail too (without it they are a warning: ready to migrate)
    #[arg(long)]
    pub serve: bool,
}

pub fn run(args: &DoctorArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), "database doctor", Effect::Read)?;
    let path = session.config().path.clone();
    let result = doctor::diagnose(&mut session, args.serve);
    let failure = result
        .as_ref()
        .ok()
        .filter(|readiness| !readiness.ready())
        .map(|_| {
            let purpose = if args.serve { " to serve" } else { "" };
            Error::check_failed(format!(
                "`{}` is not ready{purpose}: see the ✗ lines",
                path.display()
            ))
        });
    let readiness = session.finish_checked(result, failure.as_ref())?;
    if global.json {
        ui::print_json(&json!({
            "path": path.display().to_string(),
            "ready": readiness.ready(),
            "ready_to_serve": readiness.ready_to_serve(),
            "pending_migrations": readiness.pending,
            "verdict": readiness.verdict(),
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
        println!("{}", readiness.verdict());
    }
    failure.map_or(Ok(()), |failure| Err(failure.into()))
}
