//! `database prune`: retention per environment, on the selected environment's backups (or every
//! environment's with `--all-envs`); the newest backup that matches its manifest always stays.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Session};
use onsendo::copies::backup;
use onsendo::copies::retention::{self, Candidate, Retention, Scope};
use onsendo::shared::time;
use onsendo::{ui, Environment, Error};
use serde_json::json;

/// The flags of `database prune`.
#[derive(clap::Args, Debug)]
pub struct PruneArgs {
    /// Keep the newest N backups of each environment [default: 10 when no rule is given]
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    /// Keep every backup younger than DAYS days
    #[arg(long, value_name = "DAYS")]
    pub older_than: Option<u64>,
    /// Prune every environment's backups, not only the selected environment's
    #[arg(long, conflicts_with = "offsite")]
    pub all_envs: bool,
    /// Prune the restic repository's snapshots of the selected environment instead (restic forget + prune)
    #[arg(long)]
    pub offsite: bool,
}

/// The verb of prune's report: what a dry run would do, or what was done.
pub fn removal_verb(dry_run: bool) -> &'static str {
    match dry_run {
        true => "would remove",
        false => "removed",
    }
}

impl PruneArgs {
    /// The rules the flags give (with none: keep the newest 10).
    pub fn retention(&self) -> Retention {
        Retention {
            keep: match (self.keep, self.older_than) {
                (None, None) => Some(retention::DEFAULT_KEEP),
                (keep, _) => keep,
            },
            older_than_days: self.older_than,
        }
    }
}

pub fn run(args: &PruneArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    if args.offsite {
        return super::offsite_prune::run(args.retention(), global);
    }
    let retention = args.retention();
    let mut session = Session::begin(&global.options(), "database prune", Effect::Destructive)?;
    let scope = match (args.all_envs, session.config().env) {
        (true, _) => Scope::Every,
        (false, Some(env)) => Scope::Environment(env),
        (false, None) => {
            return Err(Error::usage(
                "prune chooses backups by environment, and a --database file names none; add --env NAME, or --all-envs for every environment's backups",
            )
            .into())
        }
    };
    let layout = session.config().layout.clone();
    let dir = layout.backup_dir();
    let result = backup::list(&dir).and_then(|found| {
        // Only backups this tool made (with a manifest that reads) are pruned; other files stay.
        let (entries, others): (Vec<_>, Vec<_>) =
            found.into_iter().partition(|entry| entry.has_manifest());
        let entries: Vec<_> = entries
            .into_iter()
            .filter(|entry| scope.includes(&entry.environment_label()))
            .collect();
        let verified = retention::newest_verified(&entries);
        let candidates: Vec<Candidate> = entries
            .iter()
            .zip(verified)
            .map(|(entry, verified)| Candidate {
                environment: entry.environment_label(),
                created_unix: entry.created_unix,
                verified,
            })
            .collect();
        let chosen = retention::choose_to_prune(&candidates, retention, time::unix_now());
        let prod = Environment::Prod;
        if chosen
            .iter()
            .any(|i| candidates[*i].environment == prod.name() || entries[*i].stamp() == Some(prod))
        {
            // Prod's backups are prod's safety net: removing any takes prod's rules.
            session.confirm_for(layout.database(prod), prod, "the prod backups it removes")?;
        }
        let mut removed = Vec::new();
        for index in chosen {
            let entry = &entries[index];
            if !global.dry_run {
                backup::remove(entry)?;
            }
            removed.push((entry.path.clone(), entry.environment_label(), entry.size));
        }
        let orphans = backup::orphan_manifests(&dir);
        if !global.dry_run {
            orphans
                .iter()
                .try_for_each(|path| backup::remove_orphan(path))?;
        }
        let others: Vec<_> = others.into_iter().map(|entry| entry.path).collect();
        Ok((entries.len(), removed, orphans, others))
    });
    let (total, removed, orphans, others) = session.finish(result)?;
    let verb = removal_verb(global.dry_run);
    if global.json {
        let items: Vec<_> = removed
            .iter()
            .map(|(path, env, size)| json!({"path": path.display().to_string(), "environment": env, "size": size}))
            .collect();
        let orphans: Vec<_> = orphans.iter().map(|p| p.display().to_string()).collect();
        ui::print_json(&json!({
            "dry_run": global.dry_run,
            "environment": match scope {
                Scope::Environment(env) => Some(env.name()),
                Scope::Every => None,
            },
            "removed": items,
            "kept": total - removed.len(),
            "orphan_manifests_removed": orphans,
            "left_alone": others.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        }));
        return Ok(());
    }
    for path in &orphans {
        println!(
            "{verb} {} (a manifest whose backup was never placed: a crash while backing up)",
            path.display()
        );
    }
    for (path, env, size) in &removed {
        println!("{verb} {} ({env}, {})", path.display(), ui::size(*size));
    }
    for path in &others {
        println!(
            "left {} alone: it has no readable manifest, so it is not a backup this tool made (remove it by hand if it is not needed)",
            path.display()
        );
    }
    println!(
        "{verb} {} of {total} backups ({}) in `{}`; kept {}",
        removed.len(),
        scope.describe(),
        dir.display(),
        total - removed.len()
    );
    Ok(())
}
