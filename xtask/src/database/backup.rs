//! `database backup` and `database backups`: make a backup, checked equal to its source, with its
//! manifest; list them from their manifests (hashing them only with `--check`).

use super::offsite;
use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Hold, Session};
use onsendo::copies::backup::{self, Request};
use onsendo::copies::manifest::Reason;
use onsendo::copies::offsite::Repository;
use onsendo::copies::retention::{self, Policy};
use onsendo::ui;
use serde_json::json;
use std::path::PathBuf;

/// The flags of `database backup`.
#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    /// Write the backup into DIR instead of artifacts/db/backups/
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Write a compacted (vacuumed) copy
    #[arg(long)]
    pub compact: bool,
    /// Check the snapshot's health before placing it (integrity_check, foreign_key_check)
    #[arg(long)]
    pub thorough: bool,
    /// Then send it to the restic repository (ONSENDO_RESTIC_REPOSITORY) as one snapshot
    #[arg(long)]
    pub offsite: bool,
}

pub fn run(args: &BackupArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let policy = Policy::from_process()?;
    let mut session = Session::begin(&global.options(), "database backup", Effect::Read)?;
    let repo = match args.offsite.then(Repository::from_process).transpose() {
        Ok(repo) => repo,
        // Recorded as any failed prod command is.
        Err(e) => return Err(session.finish::<()>(Err(e)).unwrap_err().into()),
    };
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| session.config().layout.backup_dir());
    let made = session
        .lock(Hold::Shared)
        .and_then(|()| session.open())
        .and_then(|db| {
            let (source, env) = (db.path().to_path_buf(), db.identity());
            drop(db);
            let env = (!env.custom).then_some(env.env);
            if global.dry_run {
                return Ok(None);
            }
            backup::make(&Request {
                source: &source,
                env,
                reason: Reason::Manual,
                dir: &dir,
                stem: backup::stem_for(env),
                compact: args.compact,
                thorough: args.thorough,
            })
            .map(Some)
        });
    // The local backup is recorded (prod's audit) and tidied as soon as it exists, whether or
    // not it then goes off-site.
    let source = session.config().path.clone();
    let mut notices = Vec::new();
    if let Ok(Some(made)) = &made {
        session.record_backup(&made.path);
        notices = retention::after_backup(made, session.config(), &policy, None).notices;
    }
    let result = made.and_then(|made| match (made, &repo) {
        (Some(made), Some(repo)) => offsite::send(repo, &made).map(|id| Some((made, Some(id)))),
        (made, _) => Ok(made.map(|made| (made, None))),
    });
    if result.is_err() {
        notices.iter().for_each(|notice| eprintln!("{notice}"));
    }
    match session.finish(result)? {
        None => println!(
            "would back up `{}` into `{}`{} (dry run)",
            source.display(),
            dir.display(),
            repo.map_or(String::new(), |repo| format!(
                " and send it to `{}`",
                repo.shown()
            ))
        ),
        Some((made, snapshot)) if global.json => ui::print_json(&json!({
            "path": made.path.display().to_string(),
            "manifest": made.manifest.to_json(),
            "offsite_snapshot": snapshot,
        })),
        Some((made, snapshot)) => {
            let health = match (args.thorough, args.compact) {
                (false, _) => "",
                (true, false) => "; integrity_check and foreign_key_check passed on it",
                (true, true) => "; integrity_check and foreign_key_check passed on the snapshot it was compacted from",
            };
            eprintln!(
                "backed up `{}` ({}, {}, equal to its source: {}{health})",
                source.display(),
                ui::size(made.manifest.size),
                made.manifest.method,
                made.manifest.file_digest
            );
            if let (Some(repo), Some(id)) = (&repo, snapshot) {
                eprintln!("sent off-site to `{}`: snapshot {id}", repo.shown());
            }
            println!("{}", made.path.display());
        }
    }
    notices.iter().for_each(|notice| eprintln!("{notice}"));
    Ok(())
}

/// The flags of `database backups`.
#[derive(clap::Args, Debug)]
pub struct BackupsArgs {
    /// Also hash each file and compare it with its manifest (reads every backup); exit 4 when
    /// one does not match
    #[arg(long, conflicts_with = "offsite")]
    pub check: bool,
    /// List the restic repository's snapshots of the selected environment instead, newest first
    #[arg(long)]
    pub offsite: bool,
}

pub fn list(args: &BackupsArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    if args.offsite {
        return offsite::list(global);
    }
    let session = Session::begin(&global.options(), "database backups", Effect::Read)?;
    let dir = session.config().layout.backup_dir();
    let entries = session.finish(backup::list(&dir))?;
    let rows: Vec<(backup::Entry, backup::Status)> = entries
        .into_iter()
        .map(|entry| {
            let status = match args.check {
                true => entry.status(),
                false => entry.listed_status(),
            };
            (entry, status)
        })
        .collect();
    let mismatched = rows.iter().filter(|(_, status)| !status.is_good()).count();
    if global.json {
        let items: Vec<_> = rows
            .iter()
            .map(|(entry, status)| {
                json!({
                    "path": entry.path.display().to_string(),
                    "environment": entry.environment_label(),
                    "created_at": created_at(entry),
                    "created_unix": entry.created_unix,
                    "size": entry.size,
                    "reason": entry.reason(),
                    "schema_version": schema_version(entry),
                    "hashed": args.check,
                    "matches_manifest": status.matches(),
                    "status": status.label(),
                })
            })
            .collect();
        ui::print_json(&json!(items));
    } else {
        print_table(&rows, &dir, args.check);
    }
    if args.check && mismatched > 0 {
        return Err(onsendo::Error::check_failed(format!(
            "backups that do not match their manifests (or have none that reads): {mismatched} of {}",
            rows.len()
        ))
        .into());
    }
    Ok(())
}

/// The listing as a table, with a last line of totals.
fn print_table(rows: &[(backup::Entry, backup::Status)], dir: &std::path::Path, hashed: bool) {
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(entry, status)| {
            vec![
                created_at(entry).unwrap_or_else(|| "-".to_string()),
                entry.environment_label(),
                ui::size(entry.size),
                entry.reason(),
                schema_version(entry).map_or("-".to_string(), |v| v.to_string()),
                status.label(),
                onsendo::copies::manifest::file_name(&entry.path),
            ]
        })
        .collect();
    let empty = format!("no backups in `{}`", dir.display());
    println!(
        "{}",
        ui::table(
            &[
                "created (UTC)",
                "env",
                "size",
                "reason",
                "version",
                "matches",
                "file"
            ],
            &table,
            &empty
        )
    );
    if rows.is_empty() {
        return;
    }
    let total: u64 = rows.iter().map(|(entry, _)| entry.size).sum();
    let how = match hashed {
        true => "each file hashed and compared with its manifest",
        false => "sizes compared with the manifests; --check also hashes each file",
    };
    println!(
        "{} in `{}`, {} in all ({how})",
        ui::counted(rows.len(), "backup"),
        dir.display(),
        ui::size(total)
    );
}

/// The schema version its manifest records.
fn schema_version(entry: &backup::Entry) -> Option<i64> {
    match &entry.manifest {
        Ok(Some(manifest)) => manifest.schema_version,
        _ => None,
    }
}

/// When a backup was made (UTC), as its manifest says; `None` without a readable manifest.
fn created_at(entry: &backup::Entry) -> Option<String> {
    match &entry.manifest {
        Ok(Some(manifest)) => Some(manifest.created_at.clone()),
        _ => None,
    }
}
