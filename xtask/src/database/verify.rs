//! `database verify`: the health of a database or a backup; exit 4 when anything fails.

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Session};
use onsendo::copies::backup;
use onsendo::copies::manifest::{self, Manifest};
use onsendo::copies::verify::{self, Allowed, Depth, Report};
use onsendo::selection::config::DatabaseConfig;
use onsendo::selection::paths;
use onsendo::shared::durable;
use onsendo::{ui, Environment};
use std::path::{Path, PathBuf};

/// The flags of `database verify`.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// A database or backup file; default: the selected environment's database
    #[arg(value_name = "FILE", conflicts_with = "latest")]
    pub file: Option<PathBuf>,
    /// Verify the newest backup of the selected environment
    #[arg(long)]
    pub latest: bool,
    /// quick_check instead of integrity_check (O(N): skips index-against-table checks)
    #[arg(long)]
    pub quick: bool,
}

pub fn run(args: &VerifyArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let depth = if args.quick {
        Depth::Quick
    } else {
        Depth::Full
    };
    let mut session = Session::begin(&global.options(), "database verify", Effect::Read)?;
    let result = match (&args.file, args.latest) {
        (Some(file), _) => check_file(file, depth, session.config()),
        (None, true) => latest_env(&mut session).and_then(|env| {
            let entry = backup::latest(session.config(), env)?;
            check_file(&entry.path, depth, session.config())
        }),
        (None, false) => session.open().and_then(|db| {
            let path = db.path().to_path_buf();
            drop(db);
            verify::database(&path, depth, Allowed::AtMost(0))
        }),
    };
    let failure = result.as_ref().ok().and_then(Report::failure);
    let report = session.finish_checked(result, failure.as_ref())?;
    if global.json {
        ui::print_json(&report.to_json());
    } else {
        println!("{}", report.path.display());
        for check in &report.checks {
            let mark = if check.passed { "✓" } else { "✗" };
            println!("  {mark} {}: {}", check.name, check.detail);
        }
    }
    failure.map_or(Ok(()), |failure| Err(failure.into()))
}

/// The environment whose newest backup `--latest` means: the live database's; when that file is
/// missing (lost: backups are how to get it back), the selected environment's.
fn latest_env(session: &mut Session) -> onsendo::Result<Option<Environment>> {
    let config = session.config();
    if !config.path.exists() && config.env.is_some() {
        return Ok(config.env);
    }
    let identity = session.open()?.identity();
    Ok((!identity.custom).then_some(identity.env))
}

/// A file with a manifest beside it is checked as a backup, any other as a database; but a file
/// in the backup folder must have its manifest, without which it cannot be checked against its
/// source. `config` is the selection the command runs under.
fn check_file(file: &Path, depth: Depth, config: &DatabaseConfig) -> onsendo::Result<Report> {
    onsendo::access::db::require_file(file, "database", config)?;
    match Manifest::read(file)? {
        Some(manifest) => verify::backup(file, &manifest, depth),
        None if paths::same_file(&durable::folder_of(file), &config.layout.backup_dir()) => {
            manifest::require(file, config)
                .and_then(|manifest| verify::backup(file, &manifest, depth))
        }
        None => verify::database(file, depth, Allowed::AtMost(0)),
    }
}
