//! `database prune --offsite`: the retention rules applied to the restic repository's snapshots
//! of the selected environment (the newest always stays), then `restic forget` of those chosen
//! and `restic prune` of the data no snapshot uses any more.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Session};
use onsendo::copies::offsite::{Repository, Snapshot};
use onsendo::copies::retention::{self, Candidate, Retention};
use onsendo::shared::time;
use onsendo::{ui, Environment, Error};
use serde_json::json;

pub fn run(retention: Retention, global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(
        &global.options(),
        "database prune --offsite",
        Effect::Destructive,
    )?;
    let Some(env) = session.config().env else {
        return Err(Error::usage(
            "prune --offsite chooses snapshots by environment, and a --database file names none; add --env NAME",
        )
        .into());
    };
    let layout = session.config().layout.clone();
    let result = Repository::from_process().and_then(|repo| {
        if !global.dry_run {
            repo.unlock()?;
        }
        let snapshots = repo.snapshots(Some(env))?;
        let chosen = chosen(&snapshots, retention);
        if env == Environment::Prod && !chosen.is_empty() {
            // Prod's snapshots are prod's safety net: removing any takes prod's rules.
            let why = "the prod snapshots it removes";
            session.confirm_for(layout.database(env), env, why)?;
        }
        let removed: Vec<Snapshot> = chosen.iter().map(|i| snapshots[*i].clone()).collect();
        if !global.dry_run && !removed.is_empty() {
            let ids: Vec<String> = removed.iter().map(|s| s.id.clone()).collect();
            repo.forget(&ids)?;
            session.record_removed(
                removed
                    .iter()
                    .map(|s| format!("restic snapshot {}", s.id).into())
                    .collect(),
            );
            repo.prune().map_err(|e| {
                let names: Vec<&str> = removed.iter().map(|s| s.short_id.as_str()).collect();
                Error::failed(format!(
                    "the snapshots {} are forgotten (they are no longer listed), but their data is not removed yet: {e}; `restic prune` (with the same repository and password) removes it",
                    names.join(", ")
                ))
            })?;
        }
        Ok((repo, snapshots.len(), removed))
    });
    let (repo, total, removed) = session.finish(result)?;
    let verb = super::prune::removal_verb(global.dry_run);
    if global.json {
        let items: Vec<_> = removed
            .iter()
            .map(|s| json!({"snapshot": s.id, "created_at": s.manifest.created_at, "reason": s.manifest.reason, "size": s.manifest.size}))
            .collect();
        ui::print_json(&json!({
            "dry_run": global.dry_run,
            "environment": env.name(),
            "repository": repo.shown(),
            "removed": items,
            "kept": total - removed.len(),
        }));
        return Ok(());
    }
    for s in &removed {
        println!(
            "{verb} snapshot {} ({}, {} backup made {}, {})",
            s.short_id,
            env.name(),
            s.manifest.reason,
            s.manifest.created_at,
            ui::size(s.manifest.size)
        );
    }
    println!(
        "{verb} {} of {total} off-site snapshots of {} in `{}`; kept {}{}",
        removed.len(),
        env.name(),
        repo.shown(),
        total - removed.len(),
        match (removed.is_empty(), global.dry_run) {
            (false, false) => "; restic pruned the data only they used",
            _ => "",
        }
    );
    Ok(())
}

/// The indexes of the `snapshots` (one environment's, newest first) the rules remove. restic
/// authenticates every snapshot's data, so each counts as verified: the newest always stays.
fn chosen(snapshots: &[Snapshot], rules: Retention) -> Vec<usize> {
    // Oldest first, as the rules read them: among equal seconds, the later is the newer.
    let candidates: Vec<Candidate> = snapshots
        .iter()
        .rev()
        .map(|s| Candidate {
            environment: s.environment_label().to_string(),
            created_unix: s.manifest.created_unix,
            verified: true,
        })
        .collect();
    let last = snapshots.len().saturating_sub(1);
    let mut chosen: Vec<usize> = retention::choose_to_prune(&candidates, rules, time::unix_now())
        .into_iter()
        .map(|i| last - i)
        .collect();
    chosen.sort_unstable();
    chosen
}
