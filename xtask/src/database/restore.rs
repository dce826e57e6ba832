//! `database restore`: put a verified backup's content into the live database, through SQLite,
//! after backing the live database up.

use crate::cli_flags::GlobalArgs;
use onsendo::backup;
use onsendo::manifest::{self, Reason};
use onsendo::session::{Effect, Session};
use onsendo::verify::{self, Depth};
use onsendo::{restore, ui, Error};
use serde_json::json;
use std::path::PathBuf;

/// The flags of `database restore`.
#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// The backup to restore
    #[arg(
        value_name = "FILE",
        required_unless_present = "latest",
        conflicts_with = "latest"
    )]
    pub file: Option<PathBuf>,
    /// Restore the newest backup of the selected environment
    #[arg(long)]
    pub latest: bool,
    /// Allow a backup of another environment; it is re-stamped for this one
    #[arg(long)]
    pub cross_env: bool,
}

pub fn run(args: &RestoreArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(&global.options(), "database restore", Effect::Destructive)?;
    let layout = session.config().layout.clone();
    let chosen = match &args.file {
        Some(file) => Ok(file.clone()),
        None => {
            let env = session.config().env;
            backup::latest(&layout.backup_dir(), env).map(|entry| entry.path)
        }
    };
    let result = chosen.and_then(|file| {
        let manifest = manifest::require(&file)?;
        verify::backup(&file, &manifest, Depth::Full)?
            .into_result()
            .map_err(|e| Error::check_failed(format!("refusing to restore a backup that fails verification: {e}")))?;
        let db = session.open()?;
        let (live, identity) = (db.path().to_path_buf(), db.identity());
        let target_env = (!identity.custom).then_some(identity.env);
        let restamp = match (manifest.environment, target_env) {
            (from, to) if from == to => None,
            (_, to) if !args.cross_env => {
                return Err(Error::refused(format!(
                    "`{}` is a backup of {}, but the live database is {}; re-run with --cross-env to restore it there (it will be re-stamped)",
                    file.display(),
                    manifest.environment.map_or("a custom database", |e| e.name()),
                    to.map_or("a custom database", |e| e.name())
                )))
            }
            (_, to) => to,
        };
        if global.dry_run {
            return Ok((file, live, None));
        }
        let saved = session.back_up(&db, Reason::PreRestore)?;
        drop(db);
        let staged = restore::stage(&file, &live, restamp)?;
        restore::replace_contents(staged.path(), &live)?;
        Ok((file, live, Some(saved)))
    });
    let (file, live, saved) = session.finish(result)?;
    let Some(saved) = saved else {
        println!(
            "would restore `{}` into `{}`, after backing it up (dry run; the backup verified)",
            file.display(),
            live.display()
        );
        return Ok(());
    };
    if global.json {
        ui::print_json(&json!({
            "restored": file.display().to_string(),
            "into": live.display().to_string(),
            "pre_restore_backup": saved.path.display().to_string(),
        }));
    } else {
        println!(
            "restored `{}` into `{}`; verified\nthe previous content is in `{}`",
            file.display(),
            live.display(),
            saved.path.display()
        );
    }
    Ok(())
}
