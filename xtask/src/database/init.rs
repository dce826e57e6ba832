//! `database init`: create a database once; report an existing one, refusing one whose schema is
//! not this code's.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Opened, Session};
use onsendo::data::seed;
use onsendo::selection::hint::Hint;
use onsendo::{migrate, ui};
use serde_json::json;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    run_as(global, "database init")
}

/// Initialises as `operation` (the name the banner and the audit record show).
pub fn run_as(global: &GlobalArgs, operation: &str) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), operation, Effect::Create)?;
    let config = session.config().clone();
    let catalog = migrate::Catalog::of(&config.layout)?;
    let head = catalog.head();
    let result = session
        .create_or_open(|tx| seed::load(tx))
        .and_then(|opened| {
            if let Opened::Existing(db) = &opened {
                migrate::require_current(db.conn(), &catalog, &config)?;
            }
            Ok(opened)
        });
    let opened = session.finish(result)?;
    let path = config.path.display();
    let (created, version, seeded, env, text) = match opened {
        Opened::Created { seeded } => {
            let env = config.env.or(config.layout.environment_of(&config.path));
            let label = env.map_or("custom", |e| e.name());
            let text = format!(
                "created `{path}` ({label}) at version {head} with {seeded} reference onsens"
            );
            (true, head, seeded, env, text)
        }
        Opened::WouldCreate => {
            let text = format!(
                "would create `{path}` at version {head} with the reference onsens (dry run)"
            );
            (false, 0, 0, config.env, text)
        }
        Opened::Existing(db) => {
            let version = db.version()?;
            let identity = db.identity();
            let mut text = format!(
                "`{path}` is already initialised at version {version} ({}); nothing to do",
                identity.env
            );
            if identity.stamp.is_none() {
                text.push_str(&format!(
                    "\nnote: it carries no environment stamp; add one with `{}`",
                    Hint::command(&config, "database stamp")
                        .on_file()
                        .value("--env", identity.env)
                ));
            }
            (false, version, 0, identity.stamp, text)
        }
    };
    if global.json {
        ui::print_json(&json!({
            "path": config.path.display().to_string(),
            "environment": env.map(|e| e.name()),
            "created": created,
            "dry_run": global.dry_run,
            "version": version,
            "head": head,
            "seeded_onsens": seeded,
        }));
    } else {
        println!("{text}");
    }
    Ok(())
}
