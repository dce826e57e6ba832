//! `database init`: create a database once; report an existing one.

use crate::cli_flags::GlobalArgs;
use anyhow::bail;
use onsendo::hint::Hint;
use onsendo::session::{Effect, Opened, Session};
use onsendo::{migrate, seed, ui, Error};
use serde_json::json;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), "database init", Effect::Create)?;
    let result = session.create_or_open(|tx| seed::load(tx));
    let config = session.config().clone();
    let opened = session.finish(result)?;
    let path = config.path.display();
    let head = migrate::Catalog::of(&config.layout)?.head();
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
            if version < head {
                bail!(Error::failed(format!(
                    "`{path}` exists at version {version} but this code's head is {head}; init only creates databases; migrate it with `{}`",
                    Hint::command(&config, "database migrate")
                )));
            }
            if version > head {
                bail!(Error::failed(format!(
                    "`{path}` is at version {version}, newer than this code (head {head}); update the code before using it"
                )));
            }
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
