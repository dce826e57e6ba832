//! Which backups stay: the rules `prune` applies, the policy that keeps each database's safety
//! copies few (applied after every safety copy the session makes), and the notice when backups
//! take too much room.

use crate::access::db::Database;
use crate::access::session::Session;
use crate::copies::backup::{self, Entry, Made, Status};
use crate::copies::manifest::{self, Manifest, Reason};
use crate::copies::offsite;
use crate::selection::config::{number_setting, DatabaseConfig};
use crate::selection::env::Environment;
use crate::selection::hint::Hint;
use crate::selection::paths::same_file;
use crate::shared::error::Result;
use crate::ui::{counted, size};
use std::path::{Path, PathBuf};

/// The variable that sets how many safety copies of each database stay.
pub(crate) const KEEP_SAFETY_VAR: &str = "ONSENDO_KEEP_SAFETY_COPIES";

/// The variable that sets how many times its database's size a database's backups may take
/// before commands that make one say so (0: never say).
pub(crate) const SPACE_WARN_VAR: &str = "ONSENDO_BACKUP_SPACE_WARN";

/// What stays without anyone pruning: the newest `keep_safety` safety copies of each database
/// (the copies commands make before they change it; manual backups stay until pruned), and a
/// notice when a database's backups take more than `space_warn` times its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Safety copies kept per database (at least 1: the copy just made always stays).
    pub keep_safety: u64,
    /// The multiple of the database's size past which its backups are reported (0: never).
    pub space_warn: u64,
}

impl Policy {
    /// The default: the newest 3 safety copies; a notice past 10 times the database's size.
    pub const DEFAULT: Policy = Policy {
        keep_safety: 3,
        space_warn: 10,
    };

    /// The policy this process's variables set.
    pub fn from_process() -> Result<Policy> {
        let var = |name| std::env::var(name).ok();
        Policy::from_values(
            var(KEEP_SAFETY_VAR).as_deref(),
            var(SPACE_WARN_VAR).as_deref(),
        )
    }

    /// The policy for the variables' values (unset or blank: the default); a value out of range
    /// is a usage error naming the variable.
    pub(crate) fn from_values(
        keep_safety: Option<&str>,
        space_warn: Option<&str>,
    ) -> Result<Policy> {
        let keep_safety = number_setting(
            KEEP_SAFETY_VAR,
            keep_safety,
            Policy::DEFAULT.keep_safety,
            100_000,
            "copies",
        )?
        .max(1);
        let space_warn = number_setting(
            SPACE_WARN_VAR,
            space_warn,
            Policy::DEFAULT.space_warn,
            100_000,
            "times the database's size",
        )?;
        Ok(Policy {
            keep_safety,
            space_warn,
        })
    }
}

/// Whether a manifest is a safety copy: made by a command before it changed a database (not a
/// manual backup, not the legacy file's one-time backup before the split).
fn is_safety_copy(manifest: &Manifest) -> bool {
    ![Reason::Manual.name(), Reason::PreSplit.name()].contains(&manifest.reason.as_str())
}

/// Whether two manifests are of the same database: the same environment, or for files of no
/// environment, the same source file.
fn same_database(a: &Manifest, b: &Manifest) -> bool {
    a.environment == b.environment && (a.environment.is_some() || a.source == b.source)
}

/// The backups in `dir` of the database `made` was taken from (with a readable manifest),
/// oldest first.
fn of_same_database(dir: &Path, made: &Manifest) -> Result<Vec<(Entry, Manifest)>> {
    Ok(backup::list(dir)?
        .into_iter()
        .filter_map(|entry| match &entry.manifest {
            Ok(Some(manifest)) if same_database(manifest, made) => {
                let manifest = manifest.clone();
                Some((entry, manifest))
            }
            _ => None,
        })
        .collect())
}

/// After the safety copy `made`: removes, from `found` (its database's backups, oldest first),
/// the safety copies beyond the newest `policy.keep_safety`, counting `made` (the newest, checked
/// equal to its source when it was made, so also the newest verified one, and never removed).
/// Manual backups and the `spared` files are not touched. Each path removed goes into `removed`
/// (those before a failure too).
fn tidy_safety_copies(
    made: &Made,
    found: &[(Entry, Manifest)],
    policy: &Policy,
    spared: &[PathBuf],
    removed: &mut Vec<PathBuf>,
) -> Result<()> {
    let mut kept = 1;
    for (entry, manifest) in found.iter().rev() {
        let is_spared = spared.iter().any(|path| same_file(path, &entry.path));
        if entry.path == made.path || is_spared || !is_safety_copy(manifest) {
            continue;
        }
        if kept < policy.keep_safety {
            kept += 1;
            continue;
        }
        // A copy whose stamp is not its manifest's environment (prod's data under dev's name)
        // is not removed by a rule: `backups --check` and `verify` name it.
        if manifest.environment.is_some() && entry.stamp() != manifest.environment {
            continue;
        }
        backup::remove(entry)?;
        removed.push(entry.path.clone());
    }
    Ok(())
}

/// How much room `found` (a database's backups) takes, when that passes `policy.space_warn` times
/// `database_size`: (their count, their total size).
fn over_space(
    found: &[&(Entry, Manifest)],
    database_size: u64,
    policy: &Policy,
) -> Option<(usize, u64)> {
    if policy.space_warn == 0 || database_size == 0 {
        return None;
    }
    let total: u64 = found.iter().map(|(entry, _)| entry.size).sum();
    let over = u128::from(total) > u128::from(database_size) * u128::from(policy.space_warn);
    over.then_some((found.len(), total))
}

/// What [`after_backup`] did and has to tell.
#[derive(Debug, Default)]
pub struct AfterBackup {
    /// What to tell (on stderr).
    pub notices: Vec<String>,
    /// The older safety copies it removed.
    pub removed: Vec<PathBuf>,
}

/// After `made`, a backup of the database `config` selects: with `tidy` (a safety copy: the
/// files it spares), the older safety copies removed by `policy`; and whether the database's
/// backups now take more than `policy` allows. Removal that fails is a warning: the new copy is
/// in place.
pub fn after_backup(
    made: &Made,
    config: &DatabaseConfig,
    policy: &Policy,
    tidy: Option<&[PathBuf]>,
) -> AfterBackup {
    let source = &config.path;
    let mut notices = Vec::new();
    let whose = made.manifest.environment.map_or_else(
        || format!("`{}`", source.display()),
        |env| env.name().to_string(),
    );
    // The folder is read once: the policy and the room both work from this listing.
    let dir = crate::shared::durable::folder_of(&made.path);
    let found = match of_same_database(&dir, &made.manifest) {
        Ok(found) => found,
        Err(e) => {
            return AfterBackup {
                notices: tidy
                    .map(|_| format!("warning: older safety copies stay: {e}"))
                    .into_iter()
                    .collect(),
                removed: Vec::new(),
            }
        }
    };
    let mut removed = Vec::new();
    match tidy.map(|spared| tidy_safety_copies(made, &found, policy, spared, &mut removed)) {
        Some(Ok(())) if !removed.is_empty() => {
            let names: Vec<String> = removed.iter().map(|p| manifest::file_name(p)).collect();
            notices.push(format!(
                "removed {} of {whose} ({}): the newest {} stay ({KEEP_SAFETY_VAR} sets how many)",
                counted(removed.len(), "older safety copy"),
                crate::ui::at_most(&names).join(", "),
                policy.keep_safety
            ));
        }
        Some(Err(e)) => notices.push(format!("warning: older safety copies stay: {e}")),
        _ => {}
    }
    let left: Vec<&(Entry, Manifest)> = found
        .iter()
        .filter(|(entry, _)| !removed.contains(&entry.path))
        .collect();
    let database_size = std::fs::metadata(source).map_or(0, |m| m.len());
    if let Some((count, total)) = over_space(&left, database_size, policy) {
        notices.push(format!(
            "note: the {} of {whose} take {}, more than {} times the database's {} ({SPACE_WARN_VAR}); `{}` removes older ones",
            counted(count, "backup"),
            size(total),
            policy.space_warn,
            size(database_size),
            Hint::command(config, "database prune")
        ));
    }
    AfterBackup { notices, removed }
}

/// For each environment, the newest of `entries` (oldest first, as [`backup::list`] gives them)
/// that still matches its manifest: the one `prune` never removes. Files are hashed from the newest
/// down only until one matches.
pub fn newest_verified(entries: &[Entry]) -> Vec<bool> {
    let mut found = vec![false; entries.len()];
    let mut done = std::collections::HashSet::new();
    for (i, entry) in entries.iter().enumerate().rev() {
        let env = entry.environment_label();
        if !done.contains(&env) && entry.status() == Status::Matches {
            found[i] = true;
            done.insert(env);
        }
    }
    found
}

/// The safety copy of the guarded road, kept tidy.
impl Session {
    /// Makes the backup (checked equal to its source) a command promises before it changes `db`,
    /// notes it for the audit record, then applies the retention policy to the database's safety
    /// copies and tells what it removed (on stderr, and in the audit record). With [`offsite::SAFETY_VAR`] set, the copy
    /// is also sent off-site (a failure there is a warning: the local copy is made).
    pub fn back_up(&mut self, db: &Database, reason: Reason) -> Result<Made> {
        let policy = Policy::from_process()?;
        let made = backup::before(db, reason)?;
        self.record_backup(&made.path);
        let spared = Some(self.spared());
        let after = after_backup(&made, db.config(), &policy, spared);
        for notice in &after.notices {
            eprintln!("{notice}");
        }
        self.record_removed(after.removed);
        if offsite::safety_copies_offsite() {
            match offsite::Repository::from_process().and_then(|repo| repo.send(&made)) {
                Ok(id) => eprintln!("sent the safety copy off-site: snapshot {id}"),
                Err(e) => eprintln!("warning: the safety copy stays local only: {e}"),
            }
        }
        Ok(made)
    }
}

/// How many backups of each environment `prune` keeps when given no rule.
pub const DEFAULT_KEEP: usize = 10;

/// Which backups `prune` considers: one environment's, or every environment's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The backups made of this environment (by their manifest's label).
    Environment(Environment),
    /// Every backup in the folder: every environment's, custom and legacy ones.
    Every,
}

impl Scope {
    /// Whether a backup with this environment label is in scope.
    pub fn includes(self, label: &str) -> bool {
        match self {
            Scope::Environment(env) => label == env.name(),
            Scope::Every => true,
        }
    }

    /// How the scope is shown to users.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::Environment(env) => env.name(),
            Scope::Every => "every environment",
        }
    }
}

/// Retention: which backups to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Keep at least the newest N of each environment.
    pub keep: Option<usize>,
    /// Keep everything younger than this many days.
    pub older_than_days: Option<u64>,
}

/// One backup as retention sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Environment label (backups are kept per environment).
    pub environment: String,
    /// When it was made.
    pub created_unix: i64,
    /// Whether it still matches its manifest.
    pub verified: bool,
}

/// The indexes of the backups to remove: those outside the newest `keep` of their environment
/// *and* older than `older_than_days` (each rule applies only when given). The newest verified
/// backup of each environment is never chosen.
pub fn choose_to_prune(candidates: &[Candidate], retention: Retention, now: i64) -> Vec<usize> {
    let mut by_age: Vec<usize> = (0..candidates.len()).collect();
    // Newest first; among equal times the later in the list (which `list` sorts in the order the
    // names were given) is newer.
    by_age.sort_by_key(|i| std::cmp::Reverse((candidates[*i].created_unix, *i)));
    let mut seen: std::collections::HashMap<&str, usize> = Default::default();
    let mut protected: std::collections::HashSet<&str> = Default::default();
    let mut chosen = Vec::new();
    for i in by_age {
        let candidate = &candidates[i];
        let env = candidate.environment.as_str();
        let rank = seen.entry(env).or_default();
        *rank += 1;
        let newest_verified = candidate.verified && protected.insert(env);
        let beyond_keep = retention.keep.is_none_or(|keep| *rank > keep);
        let old = retention.older_than_days.is_none_or(|days| {
            // A limit too large for the clock keeps everything; a manifest's time cannot wrap.
            let limit = i64::try_from(days).ok().and_then(|d| d.checked_mul(86_400));
            limit.is_some_and(|limit| now.saturating_sub(candidate.created_unix) > limit)
        });
        if !newest_verified && beyond_keep && old {
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(env: &str, days_ago: i64, verified: bool) -> Candidate {
        Candidate {
            environment: env.to_string(),
            created_unix: 100 * 86_400 - days_ago * 86_400,
            verified,
        }
    }

    const NOW: i64 = 100 * 86_400;

    #[test]
    fn keep_counts_per_environment() {
        let all = [
            candidate("dev", 1, true),
            candidate("dev", 2, true),
            candidate("dev", 3, true),
            candidate("prod", 4, true),
        ];
        let keep_one = Retention {
            keep: Some(1),
            older_than_days: None,
        };
        assert_eq!(choose_to_prune(&all, keep_one, NOW), vec![1, 2]);
    }

    #[test]
    fn the_newest_verified_backup_survives_every_rule() {
        let all = [
            candidate("prod", 30, false),
            candidate("prod", 40, true),
            candidate("prod", 50, true),
        ];
        let everything = Retention {
            keep: Some(0),
            older_than_days: Some(1),
        };
        assert_eq!(choose_to_prune(&all, everything, NOW), vec![0, 2]);
    }

    #[test]
    fn both_rules_must_agree_to_remove() {
        let all = [
            candidate("dev", 1, true),
            candidate("dev", 2, true),
            candidate("dev", 20, true),
        ];
        let rules = Retention {
            keep: Some(1),
            older_than_days: Some(7),
        };
        assert_eq!(choose_to_prune(&all, rules, NOW), vec![2]);
        let age_only = Retention {
            keep: None,
            older_than_days: Some(7),
        };
        assert_eq!(choose_to_prune(&all, age_only, NOW), vec![2]);
    }

    #[test]
    fn an_age_limit_beyond_the_clock_keeps_everything_and_no_time_wraps() {
        let all = [
            candidate("dev", 1, true),
            candidate("dev", 5_000, true),
            Candidate {
                environment: "dev".to_string(),
                created_unix: i64::MIN,
                verified: true,
            },
        ];
        for days in [u64::MAX, 213_503_982_334_602, i64::MAX as u64] {
            let huge = Retention {
                keep: Some(0),
                older_than_days: Some(days),
            };
            assert_eq!(
                choose_to_prune(&all, huge, NOW),
                Vec::<usize>::new(),
                "{days}"
            );
        }
        let a_day = Retention {
            keep: Some(0),
            older_than_days: Some(1),
        };
        assert_eq!(choose_to_prune(&all, a_day, NOW), vec![1, 2]);
    }
}
