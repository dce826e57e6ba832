//! `database migrate-to-envs`: split the legacy `data/db/onsen.db` into the prod and dev
//! databases, once; show the plan, confirm, back up, copy, verify, stamp.

use crate::cli_flags::GlobalArgs;
use anyhow::bail;
use onsendo::access::session::{Effect, Hold, Session};
use onsendo::copies::split::{self, Plan, State};
use onsendo::selection::hint::Hint;
use onsendo::{ui, Environment, Error};
use serde_json::json;
use std::path::PathBuf;

/// The flags of `database migrate-to-envs`.
#[derive(clap::Args, Debug)]
pub struct SplitArgs {
    /// The legacy database [default: data/db/onsen.db under the root]
    #[arg(long, value_name = "PATH")]
    pub from: Option<PathBuf>,
    /// Replace targets that exist already (each is backed up and verified first)
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &SplitArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let mut session = Session::begin(
        &global.options(),
        "database migrate-to-envs",
        Effect::Destructive,
    )?;
    let layout = session.config().layout.clone();
    // The plan is read under both targets' locks: what exists, and so what to create or replace,
    // cannot change before the split has placed its files.
    for env in split::TARGETS {
        if let Err(e) = session.lock_file(&layout.database(env), Hold::Exclusive) {
            return session.finish(Err(e)).map_err(Into::into);
        }
    }
    let plan = Plan::new(&layout, args.from.clone(), args.force);
    onsendo::selection::paths::refuse_special(&plan.legacy, "database")?;
    match plan.state() {
        State::Done => {
            let legacy = if plan.legacy_exists {
                format!("`{}` is still there, unchanged", plan.legacy.display())
            } else {
                "there is no legacy file".to_string()
            };
            if global.json {
                ui::print_json(&json!({
                    "already_split": true,
                    "legacy": plan.legacy.display().to_string(),
                    "legacy_exists": plan.legacy_exists,
                    "targets": plan.targets.iter().map(|t| t.path.display().to_string()).collect::<Vec<_>>(),
                    "written": [],
                }));
                return Ok(());
            }
            println!(
                "already split: `{}` and `{}` exist ({legacy}); nothing to do (--force replaces them from the legacy file, after backing them up)",
                plan.targets[0].path.display(),
                plan.targets[1].path.display()
            );
            return Ok(());
        }
        State::NoSource => {
            let missing: Vec<_> = plan.targets.iter().filter(|t| !t.exists).collect();
            let each = |command, latest: bool| {
                let hints: Vec<String> = missing
                    .iter()
                    .map(|t| {
                        let hint = Hint::command(session.config(), command).value("--env", t.env);
                        let hint = if latest { hint.flag("--latest") } else { hint };
                        format!("`{hint}`")
                    })
                    .collect();
                hints.join(" and ")
            };
            let names: Vec<String> = missing
                .iter()
                .map(|t| format!("`{}` ({})", t.path.display(), t.env))
                .collect();
            bail!(Error::failed(format!(
                "there is no legacy database `{}` to split, and {} missing; create {} with {}, restore {} with {}, or name the legacy file with --from PATH",
                plan.legacy.display(),
                match names.len() {
                    1 => format!("{} is", names[0]),
                    _ => format!("{} are", names.join(" and ")),
                },
                if names.len() == 1 { "it" } else { "them" },
                each("database init", false),
                if names.len() == 1 { "it" } else { "them" },
                each("database restore", true),
            )))
        }
        State::SourceIsTarget(env) => bail!(Error::usage(format!(
            "--from names `{}`, the {env} database itself: the split copies a legacy file into prod and dev; to copy one environment into another, back it up and `database restore` that backup with --cross-env",
            plan.legacy.display()
        ))),
        State::Work => {}
    }
    eprintln!("plan:");
    for line in plan.describe() {
        eprintln!("  {line}");
    }
    if global.dry_run {
        if global.json {
            ui::print_json(&json!({
                "dry_run": true,
                "legacy": plan.legacy.display().to_string(),
                "plan": plan.describe(),
                "written": [],
            }));
        } else {
            println!("dry run: nothing was changed");
        }
        return Ok(());
    }
    let prod = layout.database(Environment::Prod);
    let result = session
        .confirm_for(
            prod,
            Environment::Prod,
            "the prod database the split writes",
        )
        .and_then(|()| split::run(&plan));
    if let Ok(outcome) = &result {
        session.record_backup(&outcome.legacy_backup.path);
    }
    let outcome = session.finish(result)?;
    if global.json {
        let written: Vec<_> = outcome
            .written
            .iter()
            .map(|(env, path, replaced)| {
                json!({
                    "environment": env.name(),
                    "path": path.display().to_string(),
                    "previous_content_backup": replaced.as_ref().map(|m| m.path.display().to_string()),
                })
            })
            .collect();
        ui::print_json(&json!({
            "already_split": false,
            "legacy": plan.legacy.display().to_string(),
            "legacy_digest": outcome.legacy_digest,
            "legacy_backup": outcome.legacy_backup.path.display().to_string(),
            "written": written,
            "foreign_key_violations": outcome.foreign_key_violations,
        }));
        return Ok(());
    }
    println!(
        "backed up `{}` to `{}` (integrity_check and foreign_key_check passed on it)",
        plan.legacy.display(),
        outcome.legacy_backup.path.display()
    );
    for (env, path, replaced) in &outcome.written {
        match replaced {
            Some(made) => println!(
                "replaced `{}` ({env}); its previous content is in `{}`",
                path.display(),
                made.path.display()
            ),
            None => println!(
                "created `{}` ({env}), equal to the checked snapshot, then stamped",
                path.display()
            ),
        }
    }
    if outcome.foreign_key_violations > 0 {
        eprintln!(
            "note: the legacy file has {} foreign-key violations; the copies carry them as they were",
            outcome.foreign_key_violations
        );
    }
    println!(
        "`{}` is unchanged ({})",
        plan.legacy.display(),
        outcome.legacy_digest
    );
    Ok(())
}
