//! `database renumber`: after two branches each added a migration with the same number, move the
//! ones no database of this root has applied to the next free numbers.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Options, Session};
use onsendo::checks::schema;
use onsendo::migrate::renumber::{self, Applied};
use onsendo::migrate::{self, ledger, Catalog};
use onsendo::selection::config::{self, Flags};
use onsendo::{ui, Environment, Error};
use serde_json::json;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let options = global.options();
    let config = config::from_process(&options.flags)?;
    let folder = crate::database::new::migrations_folder(global)?;
    let applied = Environment::ALL
        .into_iter()
        .filter(|env| config.layout.database(*env).exists())
        .map(|env| applied_in(&options, env))
        .collect::<onsendo::Result<Vec<_>>>()?;
    let moves = renumber::plan(&renumber::folders(&folder)?, &applied)?;
    if !global.dry_run {
        for step in &moves {
            let (from, to) = (folder.join(&step.from), folder.join(&step.to));
            if to.exists() {
                return Err(Error::failed(format!(
                    "`{}` exists already; nothing more was moved",
                    to.display()
                ))
                .into());
            }
            std::fs::rename(&from, &to).map_err(|e| {
                Error::failed(format!(
                    "cannot rename `{}` to `{}`",
                    from.display(),
                    to.display()
                ))
                .because(e)
            })?;
        }
    }
    let schema_file = if global.dry_run || moves.is_empty() {
        None
    } else {
        schema::keep_current(&Catalog::from_folder(&folder)?)?
    };
    if global.json {
        ui::print_json(&json!({
            "dry_run": global.dry_run,
            "moves": moves.iter().map(|m| json!({"from": m.from, "to": m.to})).collect::<Vec<_>>(),
            "schema_file": schema_file.as_ref().map(|p| p.display().to_string()),
        }));
        return Ok(());
    }
    if moves.is_empty() {
        println!(
            "every migration in `{}` has its own number; nothing to do",
            folder.display()
        );
    }
    let verb = if global.dry_run {
        "would move"
    } else {
        "moved"
    };
    for step in &moves {
        println!("{verb} {} → {}", step.from, step.to);
    }
    if let Some(file) = &schema_file {
        println!("updated `{}`", file.display());
    }
    Ok(())
}

/// What the root's database of `env` has applied, read through the guards.
fn applied_in(options: &Options, env: Environment) -> onsendo::Result<Applied> {
    let options = Options {
        flags: Flags {
            database: None,
            env: Some(env.name().to_string()),
            root: options.flags.root.clone(),
        },
        yes: false,
        dry_run: true,
    };
    let mut session = Session::begin(&options, "database renumber", Effect::Read)?;
    let result = session.open().and_then(|db| {
        Ok(Applied {
            database: db.path().display().to_string(),
            version: migrate::current(db.conn(), db.path())?,
            names: ledger::read(db.conn(), db.path())?
                .map(|entries| entries.into_iter().map(|e| e.name).collect()),
        })
    });
    session.finish(result)
}
