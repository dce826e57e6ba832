//! `database restore`: put a backup's content, once it passes verify, into the live database,
//! through SQLite, after backing the live database up.

use super::offsite;
use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Hold, Session};
use onsendo::copies::backup;
use onsendo::copies::manifest::{self, Manifest, Reason};
use onsendo::copies::restore;
use onsendo::copies::verify::{self, Allowed, Depth};
use onsendo::selection::config::DatabaseConfig;
use onsendo::selection::hint::Hint;
use onsendo::{ui, Environment, Error};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The flags of `database restore`.
#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// The backup to restore (with --offsite: the snapshot's id, or a prefix of it)
    #[arg(
        value_name = "FILE|SNAPSHOT",
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
    /// Restore a snapshot of the restic repository (ONSENDO_RESTIC_REPOSITORY): downloaded into the
    /// backup folder, checked against the hashes it was sent with, then restored as a local backup
    #[arg(long)]
    pub offsite: bool,
}

pub fn run(args: &RestoreArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    if args.offsite && global.dry_run {
        return offsite::plan_restore(args, global);
    }
    let mut session = Session::begin(&global.options(), "database restore", Effect::Destructive)?;
    let canonical = session.config().layout.canonical_of(&session.config().path);
    let chosen = session.lock(Hold::Exclusive).and_then(|()| {
        match (&args.file, restore::interrupted(&canonical)) {
            (Some(file), _) if !args.offsite => Ok((file.clone(), None)),
            (None, Some(unfinished)) => {
                eprintln!(
                    "an earlier restore of `{}` was interrupted; finishing it",
                    unfinished.display()
                );
                Ok((unfinished, None))
            }
            (wanted, _) if args.offsite => {
                offsite::fetch(session.config(), wanted.as_deref(), args.cross_env)
                    .map(|(file, from)| (file, Some(from)))
            }
            (_, _) => {
                let env = session.config().env;
                backup::latest_to_restore(session.config(), env).map(|entry| (entry.path, None))
            }
        }
    });
    let result = chosen.and_then(|(file, from)| {
        let source = std::path::absolute(&file).unwrap_or_else(|_| file.clone());
        session.record_restored(match &from {
            Some(from) => format!("{} ({from})", source.display()),
            None => source.display().to_string(),
        });
        let downloaded = from.is_some();
        let mut attempt = || {
            let manifest = manifest::require(&file, session.config())?;
            verify::backup(&file, &manifest, Depth::Full)?
                .into_result()
                .map_err(|e| {
                    Error::check_failed(format!(
                        "refusing to restore a backup that fails verification: {e}"
                    ))
                })?;
            describe_plan(session.config(), &file, &manifest, args.file.is_none())?;
            let live = session.config().path.clone();
            if !live.exists() {
                return recreate(
                    &mut session,
                    &file,
                    &manifest,
                    args.cross_env,
                    global.dry_run,
                )
                .map(|()| (file.clone(), live, None));
            }
            let db = session.open()?;
            let (live, identity) = (db.path().to_path_buf(), db.identity());
            let target_env = (!identity.custom).then_some(identity.env);
            let restamp = restamp_for(db.config(), &file, &manifest, target_env, args.cross_env)?;
            if global.dry_run {
                return Ok((file.clone(), live, None));
            }
            // Recorded until done, so that a re-run after a kill finishes this restore rather than
            // restoring the newest backup, which may be the copy made just below. A failure leaves
            // the live database as it was (SQLite rolls the replacement back), so the record goes.
            restore::record_intent(&canonical, &file)?;
            session.spare(&file);
            let restored = session.back_up(&db, Reason::PreRestore).and_then(|saved| {
                drop(db);
                let staged = restore::stage(&file, &manifest.file_digest, &live, restamp)?;
                restore::replace_contents(staged.path(), &live)?;
                Ok(saved)
            });
            let cleared = restore::clear_intent(&canonical);
            let saved = restored?;
            cleared?;
            Ok((file.clone(), live, Some(saved)))
        };
        // A snapshot downloaded for a restore that did not happen (refused, failed its check, not
        // confirmed) is not kept as a local backup, unless a record says a restore of it must be
        // finished.
        match attempt() {
            Err(e) if downloaded && restore::interrupted(&canonical).as_ref() != Some(&source) => {
                Err(offsite::discard(&file, e))
            }
            other => other,
        }
    });
    let (file, live, saved) = session.finish(result)?;
    if global.dry_run {
        println!(
            "would restore `{}` into `{}`, after backing it up if it exists (dry run; the backup passed verify)",
            file.display(),
            live.display()
        );
        return Ok(());
    }
    if global.json {
        ui::print_json(&json!({
            "restored": file.display().to_string(),
            "into": live.display().to_string(),
            "pre_restore_backup": saved.as_ref().map(|made| made.path.display().to_string()),
        }));
    } else {
        println!(
            "restored `{}` into `{}`: the backup passed integrity_check, and the database now holds its content and passes quick_check",
            file.display(),
            live.display()
        );
        match saved {
            Some(saved) => println!("the previous content is in `{}`", saved.path.display()),
            None => println!("(it did not exist, so there was nothing to back up)"),
        }
    }
    Ok(())
}

/// Says (on stderr) which backup is restored, why it was made, when and at which schema version,
/// and warns when that version is not this code's head. `chosen`: picked by `--latest`.
fn describe_plan(
    config: &DatabaseConfig,
    file: &Path,
    manifest: &Manifest,
    chosen: bool,
) -> onsendo::Result<()> {
    let version = backup::schema_version(file)?;
    let head = onsendo::migrate::Catalog::of(&config.layout)?.head() as i64;
    let of = manifest
        .environment
        .map_or("a custom database", |e| e.name());
    let picked = match chosen {
        true => " (the newest; copies made before a restore are skipped)",
        false => "",
    };
    eprintln!(
        "restoring `{}`{picked}: a {} backup of {of}, made {}, at schema version {version}",
        file.display(),
        manifest.reason,
        manifest.created_at
    );
    let fix = match version.cmp(&head) {
        std::cmp::Ordering::Equal => return Ok(()),
        std::cmp::Ordering::Less => format!(
            "after the restore, `{}` applies the rest (the app refuses it until then)",
            Hint::command(config, "database migrate")
        ),
        std::cmp::Ordering::Greater => {
            "a newer version of the code made it; this code and the app will refuse it".to_string()
        }
    };
    eprintln!(
        "warning: this code's migrations reach version {head}, the backup is at {version}: {fix}"
    );
    Ok(())
}

/// The stamp a backup of `manifest`'s environment needs in `target` (`None`: the same
/// environment); another environment needs `--cross-env`, which the hint adds to the command that
/// `config` resolved.
pub(super) fn restamp_for(
    config: &DatabaseConfig,
    file: &Path,
    manifest: &Manifest,
    target: Option<Environment>,
    cross_env: bool,
) -> onsendo::Result<Option<Environment>> {
    match (manifest.environment, target) {
        (from, to) if from == to => Ok(None),
        (_, to) if !cross_env => Err(Error::refused(format!(
            "`{}` is a backup of {}, but the live database is {}; re-run with `{}` to restore it there (it will be re-stamped)",
            file.display(),
            manifest.environment.map_or("a custom database", |e| e.name()),
            to.map_or("a custom database", |e| e.name()),
            Hint::rerun(config).flag("--cross-env")
        ))),
        (_, to) => Ok(to),
    }
}

/// The live database of the selected environment is missing (lost, or never made on this
/// machine): the verified backup becomes it, placed under its name as a new file, with prod's
/// confirmation on prod.
fn recreate(
    session: &mut Session,
    file: &Path,
    manifest: &Manifest,
    cross_env: bool,
    dry_run: bool,
) -> onsendo::Result<()> {
    let live = session.config().path.clone();
    let Some(env) = session.config().env else {
        return Err(Error::failed(format!(
            "database `{}` does not exist; name an existing file with --database, or select an environment with --env",
            live.display()
        )));
    };
    let restamp = restamp_for(session.config(), file, manifest, Some(env), cross_env)?;
    session.confirm_for(live.clone(), env, "the missing database it recreates")?;
    if dry_run {
        return Ok(());
    }
    let staged = restore::stage(file, &manifest.file_digest, &live, restamp)?;
    staged.place(&live)?;
    verify::database(&live, Depth::Quick, Allowed::SourcesOwn)?
        .into_result()
        .map(|_| ())
}
