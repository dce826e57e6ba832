//! `database path` and `database env`: what the resolution decided, for people and scripts.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{self, Effect};
use onsendo::selection::config;
use onsendo::selection::hint::Hint;
use onsendo::{migrate, ui};
use serde_json::json;

pub fn path(global: &GlobalArgs) -> anyhow::Result<()> {
    let config = config::from_process(&global.options().flags)?;
    if global.json {
        ui::print_json(&json!({ "path": config.path.display().to_string() }));
    } else {
        println!("{}", config.path.display());
    }
    Ok(())
}

pub fn env(global: &GlobalArgs) -> anyhow::Result<()> {
    let options = global.options();
    let config = config::from_process(&options.flags)?;
    let exists = config.path.exists();
    let file = if exists {
        Some(session::run(
            &options,
            "database env",
            Effect::Read,
            |db| Ok((db.identity(), db.version()?)),
        )?)
    } else {
        None
    };
    let env = file.map(|(identity, _)| identity.env).or(config.env);
    let env_name = env.map_or("unknown", |e| e.name());
    let head = migrate::Catalog::of(&config.layout)?.head();
    if global.json {
        ui::print_json(&json!({
            "environment": env.map(|e| e.name()),
            "decided_by": config.rule.describe(),
            "path": config.path.display().to_string(),
            "root": config.layout.root().display().to_string(),
            "root_from": config.root_rule.describe(),
            "exists": exists,
            "custom": file.is_some_and(|(identity, _)| identity.custom),
            "stamp": file.and_then(|(identity, _)| identity.stamp).map(|e| e.name()),
            "version": file.map(|(_, version)| version),
            "head": head,
        }));
        return Ok(());
    }
    let state = match file {
        None => format!(
            "missing (create it with `{}`)",
            Hint::command(&config, "database init")
        ),
        Some((identity, version)) => {
            let stamp = identity
                .stamp
                .map_or("no stamp".to_string(), |s| format!("stamped {s}"));
            let custom = if identity.custom {
                ", custom database (dev care)"
            } else {
                ""
            };
            format!("exists, {stamp}, version {version} of {head}{custom}")
        }
    };
    println!("environment: {env_name} (from {})", config.rule.describe());
    println!("database:    {}", config.path.display());
    println!(
        "root:        {} (from {})",
        config.layout.root().display(),
        config.root_rule.describe()
    );
    println!("file:        {state}");
    Ok(())
}
