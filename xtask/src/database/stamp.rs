//! `database stamp`: write the environment stamp into a database.

use crate::cli_flags::GlobalArgs;
use anyhow::bail;
use onsendo::access::session::{Effect, Hold, Session};
use onsendo::access::stamp;
use onsendo::selection::hint::Hint;
use onsendo::{ui, Environment, Error};
use serde_json::json;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let Some(name) = global.env.as_deref() else {
        let session = Session::begin(&global.options(), "database stamp", Effect::Read)?;
        let hint = Hint::command(session.config(), "database stamp")
            .on_file()
            .value("--env", "NAME");
        bail!(Error::usage(format!(
            "say which environment to stamp with --env NAME (dev, prod or test): `{hint}`"
        )));
    };
    let target = Environment::parse(name, "--env")?;
    let mut session = Session::begin(
        &global.options(),
        format!("database stamp --env {target}"),
        Effect::Destructive,
    )?;
    let result = session
        .lock(Hold::Exclusive)
        .and_then(|()| session.open_for_stamp(target))
        .and_then(|mut db| {
            let before = db.identity().stamp;
            let path = db.path().to_path_buf();
            if before != Some(target) {
                db.write(|tx| stamp::write(tx, target, &path))?;
            }
            Ok((before, path))
        });
    let (before, path) = session.finish(result)?;
    let dry_run = global.dry_run;
    let was = before.map_or("unstamped".to_string(), |e| format!("was {e}"));
    let text = match (before == Some(target), dry_run) {
        (true, _) => format!(
            "`{}` is already stamped {target}; nothing to do",
            path.display()
        ),
        (false, true) => format!("would stamp `{}` as {target} ({was})", path.display()),
        (false, false) => format!("stamped `{}` as {target} ({was})", path.display()),
    };
    if global.json {
        ui::print_json(&json!({
            "path": path.display().to_string(),
            "stamp": target.name(),
            "previous": before.map(|e| e.name()),
            "dry_run": dry_run,
        }));
    } else {
        println!("{text}");
    }
    Ok(())
}
