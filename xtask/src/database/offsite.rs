//! The off-site side of `database backup`, `backups` and `restore` (`--offsite`): a backup sent to
//! the restic repository, the repository's snapshots of an environment listed, one fetched back.

use super::restore::{restamp_for, RestoreArgs};
use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Session};
use onsendo::copies::backup::{self, Made};
use onsendo::copies::offsite::{Repository, Snapshot};
use onsendo::selection::config::DatabaseConfig;
use onsendo::ui;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Sends the placed backup `made` to `repo`: the snapshot's id. On failure it says the local
/// backup stays, and returns the error.
pub fn send(repo: &Repository, made: &Made) -> onsendo::Result<String> {
    match repo.send(made) {
        Ok(id) => Ok(id),
        Err(e) => {
            eprintln!(
                "the local backup `{}` is made, but it was not sent off-site",
                made.path.display()
            );
            Err(e)
        }
    }
}

/// `database backups --offsite`: the repository's snapshots of the selected environment,
/// newest first.
pub fn list(global: &GlobalArgs) -> anyhow::Result<()> {
    let session = Session::begin(
        &global.options(),
        "database backups --offsite",
        Effect::Read,
    )?;
    let env = session.config().env;
    let listed = Repository::from_process().and_then(|repo| Ok((repo.snapshots(env)?, repo)));
    let (snapshots, repo) = session.finish(listed)?;
    if global.json {
        let items: Vec<_> = snapshots.iter().map(snapshot_json).collect();
        ui::print_json(&json!(items));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = snapshots
        .iter()
        .map(|s| {
            vec![
                s.manifest.created_at.clone(),
                s.short_id.clone(),
                s.environment_label().to_string(),
                ui::size(s.manifest.size),
                s.manifest.reason.clone(),
                s.manifest
                    .schema_version
                    .map_or("-".to_string(), |v| v.to_string()),
            ]
        })
        .collect();
    let whose = env.map_or("custom databases", |e| e.name());
    let empty = format!("no off-site snapshots of {whose} in `{}`", repo.shown());
    println!(
        "{}",
        ui::table(
            &[
                "created (UTC)",
                "snapshot",
                "env",
                "size",
                "reason",
                "version"
            ],
            &rows,
            &empty
        )
    );
    if !snapshots.is_empty() {
        println!(
            "{} of {whose} in `{}`, newest first",
            ui::counted(snapshots.len(), "off-site snapshot"),
            repo.shown()
        );
    }
    Ok(())
}

/// A snapshot in `--json` listings.
fn snapshot_json(s: &Snapshot) -> serde_json::Value {
    json!({
        "snapshot": s.id,
        "short_id": s.short_id,
        "environment": s.environment_label(),
        "created_at": s.manifest.created_at,
        "created_unix": s.manifest.created_unix,
        "size": s.manifest.size,
        "reason": s.manifest.reason,
        "schema_version": s.manifest.schema_version,
        "file_digest": s.manifest.file_digest,
        "logical_digest": s.manifest.logical_digest,
    })
}

/// The snapshot `--offsite` names (`wanted`: an id or a prefix; `None`: the newest of the
/// selected environment's, not a pre-restore copy), refused before any download when it is
/// another environment's and `cross_env` is not given.
fn choose(
    config: &DatabaseConfig,
    wanted: Option<&Path>,
    cross_env: bool,
) -> onsendo::Result<(Repository, Snapshot)> {
    let repo = Repository::from_process()?;
    let id = wanted.map(|id| id.to_string_lossy().into_owned());
    let snapshot = repo.choose(config, id.as_deref())?;
    let named = PathBuf::from(format!("snapshot {}", snapshot.short_id));
    if config.env.is_some() {
        restamp_for(config, &named, &snapshot.manifest, config.env, cross_env)?;
    }
    Ok((repo, snapshot))
}

/// `restore --offsite`: downloads the chosen snapshot into the backup folder, placed only once
/// it hashes to the file hash it was sent with; the restore goes on from that local backup. The
/// file, and where it came from (`snapshot ID of `REPOSITORY``).
pub fn fetch(
    config: &DatabaseConfig,
    wanted: Option<&Path>,
    cross_env: bool,
) -> onsendo::Result<(PathBuf, String)> {
    let (repo, snapshot) = choose(config, wanted, cross_env)?;
    eprintln!(
        "downloading snapshot {} from `{}`: {}",
        snapshot.short_id,
        repo.shown(),
        describe(&snapshot)
    );
    let made = repo.fetch(&snapshot, &config.layout.backup_dir())?;
    eprintln!(
        "downloaded into `{}`: its bytes hash to the snapshot's file hash ({})",
        made.path.display(),
        made.manifest.file_digest
    );
    let from = format!("snapshot {} of `{}`", snapshot.id, repo.shown());
    Ok((made.path, from))
}

/// `refused`, after removing the downloaded copy `file` that failed its check (and saying so).
pub fn discard(file: &Path, refused: onsendo::Error) -> onsendo::Error {
    match backup::remove_at(file) {
        Ok(()) => eprintln!("the downloaded copy `{}` is removed", file.display()),
        Err(e) => eprintln!("warning: the downloaded copy is not removed: {e}"),
    }
    refused
}

/// `restore --offsite --dry-run`: which snapshot would be downloaded and restored.
pub fn plan_restore(args: &RestoreArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let session = Session::begin(&global.options(), "database restore", Effect::Read)?;
    let chosen = choose(session.config(), args.file.as_deref(), args.cross_env);
    let live = session.config().path.clone();
    let (repo, snapshot) = session.finish(chosen)?;
    println!(
        "would download snapshot {} from `{}` ({}) and restore it into `{}`, after backing it up if it exists (dry run)",
        snapshot.short_id,
        repo.shown(),
        describe(&snapshot),
        live.display()
    );
    Ok(())
}

/// What a snapshot holds: `a manual backup of dev, made …, at schema version 1`.
fn describe(snapshot: &Snapshot) -> String {
    format!(
        "a {} backup of {}, made {}, at schema version {}",
        snapshot.manifest.reason,
        snapshot.environment_label(),
        snapshot.manifest.created_at,
        snapshot
            .manifest
            .schema_version
            .map_or("?".to_string(), |v| v.to_string())
    )
}
