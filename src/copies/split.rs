//! The one-time split of the legacy single database (`data/db/onsen.db`) into the prod and dev
//! databases: copy a snapshot of the legacy file once into its backup and every missing target,
//! health-check that snapshot (the backup's copy), stamp each target, place them. The legacy file is only ever read. Every final name is written
//! once, by a verified rename, so a crash at any moment leaves nothing that a re-run cannot finish.

use crate::access::failpoint;
use crate::copies::backup::{self, Made, Request};
use crate::copies::copy;
use crate::copies::manifest::{Manifest, Reason};
use crate::copies::restore;
use crate::copies::verify::{self, Allowed, Depth};
use crate::selection::env::Environment;
use crate::selection::paths::Layout;
use crate::shared::digest;
use crate::shared::durable::{self, TempFile};
use crate::shared::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The environments the legacy file is split into, in order.
pub const TARGETS: [Environment; 2] = [Environment::Prod, Environment::Dev];

/// One target database of the split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its environment.
    pub env: Environment,
    /// Its canonical path.
    pub path: PathBuf,
    /// Whether it exists already.
    pub exists: bool,
}

/// What a split would do, read from the files as they are now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The legacy file.
    pub legacy: PathBuf,
    /// Whether it exists.
    pub legacy_exists: bool,
    /// prod and dev.
    pub targets: Vec<Target>,
    /// Where the backups go.
    pub backup_dir: PathBuf,
    /// `--force`: replace existing targets, after backing them up.
    pub force: bool,
}

/// Whether there is work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Every target exists (and no `--force`): done before.
    Done,
    /// No legacy file, and a target is missing: nothing to split from.
    NoSource,
    /// The legacy path names one of the targets (`--from data/db/onsen.prod.db`).
    SourceIsTarget(Environment),
    /// Targets to write.
    Work,
}

impl Plan {
    /// The plan under `layout`, from `from` (default: the legacy path).
    pub fn new(layout: &Layout, from: Option<PathBuf>, force: bool) -> Plan {
        let legacy = from.unwrap_or_else(|| layout.legacy_database());
        let targets = TARGETS
            .into_iter()
            .map(|env| {
                let path = layout.database(env);
                Target {
                    env,
                    exists: path.exists(),
                    path,
                }
            })
            .collect();
        Plan {
            legacy_exists: legacy.exists(),
            legacy,
            targets,
            backup_dir: layout.backup_dir(),
            force,
        }
    }

    /// What is left to do.
    pub fn state(&self) -> State {
        if let Some(target) = self
            .targets
            .iter()
            .find(|t| crate::selection::paths::same_file(&t.path, &self.legacy))
        {
            State::SourceIsTarget(target.env)
        } else if self.targets.iter().all(|t| t.exists) && !self.force {
            State::Done
        } else if !self.legacy_exists {
            State::NoSource
        } else {
            State::Work
        }
    }

    /// The targets this run writes: the missing ones, or all with `--force`.
    pub(crate) fn to_write(&self) -> Vec<&Target> {
        self.targets
            .iter()
            .filter(|t| self.force || !t.exists)
            .collect()
    }

    /// The plan as lines for the user.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![
            format!(
                "1. copy a snapshot of `{}` (SQLite header checked) into its backup and each copy below, each checked equal to it",
                self.legacy.display()
            ),
            format!(
                "2. check the snapshot: integrity_check, foreign_key_check; then back it up to `{}` ({}_<UTC time>.db + manifest)",
                self.backup_dir.display(),
                backup::SPLIT_STEM
            ),
        ];
        let mut step = 3;
        for target in &self.targets {
            let what = match (target.exists, self.force) {
                (false, _) => "copy it to",
                (true, true) => "back up, then replace the content of",
                (true, false) => {
                    lines.push(format!(
                        "{step}. keep `{}` ({}) as it is: it exists, so it is not copied from the legacy file (--force replaces it)",
                        target.path.display(),
                        target.env
                    ));
                    step += 1;
                    continue;
                }
            };
            lines.push(format!(
                "{step}. {what} `{}` ({}), stamped `{}`",
                target.path.display(),
                target.env,
                target.env
            ));
            step += 1;
        }
        lines.push(format!(
            "{step}. leave `{}` unchanged (hash checked before and after)",
            self.legacy.display()
        ));
        lines
    }
}

/// What a split did.
#[derive(Debug)]
pub struct Outcome {
    /// The backup of the legacy file (checked equal to it).
    pub legacy_backup: Made,
    /// Each target written, with the backup of its previous content when `--force` replaced it.
    pub written: Vec<(Environment, PathBuf, Option<Made>)>,
    /// The hash of the legacy file, the same before and after.
    pub legacy_digest: String,
    /// The legacy file's foreign-key violations (carried into the copies as they were).
    pub foreign_key_violations: u64,
}

/// Runs the plan (state [`State::Work`]).
pub fn run(plan: &Plan) -> Result<Outcome> {
    let legacy = plan.legacy.as_path();
    crate::access::db::check_header(legacy)?;
    let unhealthy = |failed: String| {
        Error::check_failed(format!(
            "the legacy database `{}` is not healthy, so nothing was split: {failed}; repair it or restore it from a backup first",
            legacy.display()
        ))
    };
    if let Some(failed) = verify::file_checks(legacy).failed() {
        return Err(unhealthy(failed));
    }
    // One descriptor of the legacy file, open from before the first connection to it until after
    // the last (see `db::check_header_in`).
    let legacy_file = std::fs::File::open(legacy)
        .map_err(|e| Error::failed(format!("cannot open `{}`", legacy.display())).because(e))?;
    // A WAL file's main file is not read by the copy, so its "before" hash is taken first.
    let wal_digest_before = if crate::access::db::is_wal_in(&legacy_file, legacy)? {
        Some(digest::file_digest(legacy, None)?)
    } else {
        None
    };
    let writes = plan.to_write();
    for dir in [plan.backup_dir.clone()].into_iter().chain(
        writes
            .iter()
            .map(|t| crate::shared::durable::folder_of(&t.path)),
    ) {
        durable::prepare_folder(&dir)?;
    }
    let backup_path = backup::free_name(&plan.backup_dir, backup::SPLIT_STEM);
    let backup_temp = TempFile::beside(&backup_path)?;
    let temps = writes
        .iter()
        .map(|t| TempFile::beside(&t.path))
        .collect::<Result<Vec<_>>>()?;
    let mut paths = vec![backup_temp.path()];
    paths.extend(temps.iter().map(TempFile::path));

    // The health check runs on the backup's private copy of the snapshot, so its verdict is
    // about exactly the bytes every copy was checked equal to; nothing is placed unless it passes.
    let snapshot = copy::snapshot_from(&legacy_file, legacy, &paths, true)
        .map_err(|e| verify::damage_found(legacy, &e).map_or(e, unhealthy))?;
    let report = verify::database(backup_temp.path(), Depth::Full, Allowed::SourcesOwn)?;
    if let Some(failed) = report.failed() {
        return Err(unhealthy(failed));
    }
    let violations = report.foreign_key_violations;
    let legacy_digest = match (wal_digest_before, snapshot.method) {
        (Some(before), _) => before,
        (None, copy::Method::Bytes) if file_size(legacy) == snapshot.size() => {
            snapshot.file_digest.clone()
        }
        (None, _) => digest::file_digest(legacy, None)?,
    };
    failpoint::hit("split.copied")?;

    let stamp = crate::access::db::connect(legacy, crate::access::db::Access::Read)
        .and_then(|conn| crate::access::stamp::read(&conn, legacy, None))?;
    let mut manifest = Manifest::new(&backup_path, &snapshot, legacy, stamp, Reason::PreSplit)?;
    manifest.foreign_key_violations = Some(violations);
    let legacy_backup = backup::place(backup_temp, backup_path, manifest)?;
    failpoint::hit("split.backed-up")?;

    let mut written = Vec::new();
    for (target, temp) in writes.into_iter().zip(temps) {
        restore::restamp(temp.path(), Some(target.env))?;
        failpoint::hit("split.stamped")?;
        // Only a target the plan found, with --force, is replaced; one that appeared since is
        // never overwritten (placing the new file refuses).
        let replaced = if target.exists && target.path.exists() {
            Some(replace(target, temp, &plan.backup_dir)?)
        } else {
            temp.place(&target.path)?;
            None
        };
        failpoint::hit("split.placed")?;
        written.push((target.env, target.path.clone(), replaced));
    }

    let after = digest::file_digest(legacy, None)?;
    if after != legacy_digest {
        return Err(Error::failed(format!(
            "`{}` changed while it was being split (another process wrote to it); the copies hold the state it had when it was copied: stop the other process, then run `migrate-to-envs --force` to split it again",
            legacy.display()
        )));
    }
    Ok(Outcome {
        legacy_backup,
        written,
        legacy_digest,
        foreign_key_violations: violations,
    })
}

/// `--force` on an existing target: a backup of it (checked equal), then its content replaced through
/// SQLite with the stamped copy.
fn replace(target: &Target, staged: TempFile, backup_dir: &Path) -> Result<Made> {
    let made = backup::make(&Request {
        source: &target.path,
        env: Some(target.env),
        reason: Reason::PreReplace,
        dir: backup_dir,
        stem: backup::stem_for(Some(target.env)),
        compact: false,
        thorough: false,
    })?;
    restore::replace_contents(staged.path(), &target.path)?;
    Ok(made)
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}
