//! Readiness of a database, in the spirit of a `/readyz` endpoint: a list of checks, each
//! passed, a warning, failed or skipped, with a hint. Ready to migrate means nothing failed, with
//! migrations possibly pending; ready to serve means that, and the schema at this code's head.

use crate::access::db::{self, Database};
use crate::access::session::Session;
use crate::checks::schema;
use crate::copies::backup::{self, Status};
use crate::copies::offsite;
use crate::copies::verify::{self, Allowed, Depth};
use crate::migrate::{self, Catalog, Mark};
use crate::selection::config::DatabaseConfig;
use crate::selection::env::Environment;
use crate::selection::hint::Hint;
use crate::selection::paths::Layout;
use crate::shared::error::{Kind, Result};
use std::path::{Path, PathBuf};

/// A backup of prod older than this many days is a warning.
pub(crate) const BACKUP_MAX_AGE_DAYS: i64 = 7;
/// A `-wal` file larger than this is a warning.
pub(crate) const WAL_WARN_BYTES: u64 = 64 * 1024 * 1024;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fine.
    Pass,
    /// Worth attention; does not make the database unready.
    Warn,
    /// The database is not ready.
    Fail,
    /// Could not run because an earlier check failed.
    Skip,
}

impl Level {
    /// The mark shown before the check.
    pub fn mark(self) -> &'static str {
        match self {
            Level::Pass => "✓",
            Level::Warn => "!",
            Level::Fail => "✗",
            Level::Skip => "-",
        }
    }

    /// The name in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Level::Pass => "pass",
            Level::Warn => "warn",
            Level::Fail => "fail",
            Level::Skip => "skip",
        }
    }
}

/// One check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// How it came out.
    pub level: Level,
    /// What was found.
    pub detail: String,
    /// What to do about it, when something is wrong.
    pub hint: Option<String>,
}

fn check(
    name: &'static str,
    level: Level,
    detail: impl Into<String>,
    hint: Option<String>,
) -> Check {
    Check {
        name,
        level,
        detail: detail.into(),
        hint,
    }
}

/// Every check, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// The checks.
    pub checks: Vec<Check>,
    /// Migrations pending when they are all that keeps the schema from this code's head (a
    /// warning when ready to migrate, a failure for `serve`).
    pub pending: usize,
}

impl Readiness {
    /// Whether no check failed.
    pub fn ready(&self) -> bool {
        self.checks.iter().all(|c| c.level != Level::Fail)
    }

    /// Whether the app can serve it: ready, and no migration pending.
    pub fn ready_to_serve(&self) -> bool {
        self.ready() && self.pending == 0
    }

    /// The verdict line: `ready to serve`, `ready to migrate: …`, or `NOT READY`.
    pub fn verdict(&self) -> String {
        match (self.ready(), self.pending) {
            (false, _) => "NOT READY".to_string(),
            (true, 0) => "ready to serve".to_string(),
            (true, n) => format!(
                "ready to migrate: {} pending, not ready to serve until applied",
                crate::ui::counted(n, "migration")
            ),
        }
    }
}

/// The names of the checks that need an open database, in order.
const DATABASE_CHECKS: [&str; 7] = [
    "stamp",
    "integrity",
    "foreign keys",
    "migrations",
    "schema",
    "journal",
    "backup",
];

/// Runs every check on the session's database. With `serve`, pending migrations fail (the app
/// refuses a schema behind the code); without it they are a warning: ready to migrate.
pub fn diagnose(session: &mut Session, serve: bool) -> Result<Readiness> {
    let config = session.config().clone();
    let path = config.path.clone();
    let mut checks = Vec::new();
    let mut pending = 0;
    let opened = if path.exists() {
        db::check_header(&path).and_then(|()| session.inspect())
    } else {
        Err(crate::shared::error::Error::failed(format!(
            "`{}` does not exist; create it with `{}`",
            path.display(),
            Hint::command(&config, "database init")
        )))
    };
    match opened {
        Ok(db) => {
            checks.push(check(
                "file",
                Level::Pass,
                format!("`{}` is a SQLite database", path.display()),
                None,
            ));
            let (found, behind) = database_checks(&db, &config, serve)?;
            checks.extend(found);
            pending = behind;
        }
        Err(e) if e.kind() == crate::shared::error::Kind::Refused => return Err(e),
        Err(e) => {
            checks.push(check("file", Level::Fail, e.to_string(), None));
            for name in DATABASE_CHECKS {
                checks.push(check(name, Level::Skip, "the file is not usable", None));
            }
        }
    }
    checks.push(audit_log(&config.layout));
    let env = config.env.or(config.layout.environment_of(&path));
    checks.push(permissions(&path, env));
    let folders = [
        crate::shared::durable::folder_of(&path),
        config.layout.database_dir(),
        config.layout.backup_dir(),
    ];
    checks.push(leftovers(&folders));
    checks.push(lock(&config.layout.canonical_of(&path)));
    checks.push(offsite(&config, env));
    Ok(Readiness { checks, pending })
}

/// The checks on the open `db`, and how many migrations are pending when nothing else keeps the
/// schema from this code's head; `config` is the selection, which the hints carry.
fn database_checks(
    db: &Database,
    config: &DatabaseConfig,
    serve: bool,
) -> Result<(Vec<Check>, usize)> {
    let (selected, layout) = (config.env, &config.layout);
    let identity = db.identity();
    let conn = db.conn();
    let path = db.path();
    let stamp = match (identity.stamp, selected) {
        (Some(stamp), Some(selected)) if stamp != selected => check(
            "stamp",
            Level::Fail,
            format!("stamped `{stamp}`, but `{selected}` was selected"),
            Some(format!(
                "select it with `{}`, or re-stamp it with `{}`",
                Hint::rerun(config).value("--env", stamp),
                Hint::command(config, "database stamp")
                    .on_file()
                    .value("--env", selected)
            )),
        ),
        (Some(stamp), _) => check("stamp", Level::Pass, format!("stamped `{stamp}`"), None),
        (None, _) => check(
            "stamp",
            Level::Warn,
            "no environment stamp",
            Some(format!(
                "stamp it with `{}`",
                Hint::command(config, "database stamp")
                    .on_file()
                    .value("--env", identity.env)
            )),
        ),
    };
    let (integrity, foreign_keys) = health(path, config)?;
    let stands = Catalog::of(layout).and_then(|catalog| {
        let state = migrate::state(conn, &catalog, path)?;
        Ok((catalog, state))
    });
    let schema = schema_check(db, stands.as_ref().ok(), config);
    let (migrations, pending) = match stands.map(|(_, state)| state) {
        Ok(state) if state.is_current() => (
            check(
                "migrations",
                Level::Pass,
                format!("at head (version {}), nothing edited", state.head),
                None,
            ),
            0,
        ),
        Ok(state) => {
            let pending = state.marked(Mark::Pending).len();
            let only_pending = !state.is_ahead()
                && [Mark::Edited, Mark::DownEdited, Mark::Unrecorded]
                    .into_iter()
                    .all(|mark| state.marked(mark).is_empty());
            let level = if only_pending && !serve {
                Level::Warn
            } else {
                Level::Fail
            };
            (
                check(
                    "migrations",
                    level,
                    crate::ui::at_most(&state.problems(config)).join("; "),
                    Some(format!(
                        "see `{}`",
                        Hint::command(config, "database status")
                    )),
                ),
                if only_pending { pending } else { 0 },
            )
        }
        Err(e) => (check("migrations", Level::Fail, e.to_string(), None), 0),
    };
    let checks = vec![
        stamp,
        integrity,
        foreign_keys,
        migrations,
        schema,
        journal(path),
        newest_backup(config, identity.env),
    ];
    Ok((checks, pending))
}

/// `schema`: the database's schema against the one its version should have (drift); skipped when
/// the migrations cannot be read or the database is newer than the code.
fn schema_check(
    db: &Database,
    stands: Option<&(Catalog, migrate::State)>,
    config: &DatabaseConfig,
) -> Check {
    let Some((catalog, state)) = stands.filter(|(_, state)| !state.is_ahead()) else {
        return check(
            "schema",
            Level::Skip,
            "no schema to compare with: see the migrations line",
            None,
        );
    };
    match schema::of(db.conn(), catalog, state, db.path()) {
        Ok(found) => match schema::problem(&found, state.version, config) {
            None => check(
                "schema",
                Level::Pass,
                format!("what the migrations make at version {}", state.version),
                None,
            ),
            Some(problem) => check(
                "schema",
                Level::Fail,
                problem,
                Some(format!(
                    "see `{}`",
                    Hint::command(config, "database status")
                )),
            ),
        },
        Err(e) => check("schema", Level::Fail, e.to_string(), None),
    }
}

/// `integrity` and `foreign keys`: the health check `verify` runs (header and size, SQLite's
/// `integrity_check`, `foreign_key_check`), on its own connections.
fn health(path: &Path, config: &DatabaseConfig) -> Result<(Check, Check)> {
    let report = match verify::database(path, Depth::Full, Allowed::AtMost(0)) {
        Ok(report) => report,
        Err(e) if e.kind() == Kind::Refused => return Err(e),
        Err(e) => {
            let failed = |name| check(name, Level::Fail, e.to_string(), Some(restore_hint(config)));
            return Ok((failed("integrity"), failed("foreign keys")));
        }
    };
    let (keys, structure): (Vec<_>, Vec<_>) = report
        .checks
        .iter()
        .partition(|c| c.name == "foreign_key_check");
    let failed: Vec<String> = structure
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    let integrity = if failed.is_empty() {
        check("integrity", Level::Pass, "integrity_check: ok", None)
    } else {
        check(
            "integrity",
            Level::Fail,
            failed.join("; "),
            Some(restore_hint(config)),
        )
    };
    let foreign_keys = match keys.first() {
        Some(c) if c.passed => check(
            "foreign keys",
            Level::Pass,
            format!("foreign_key_check: {}", c.detail),
            None,
        ),
        Some(c) => check(
            "foreign keys",
            Level::Fail,
            format!("foreign_key_check: {}", c.detail),
            Some(format!(
                "list them with `PRAGMA foreign_key_check` in `{}` and fix the rows",
                Hint::command(config, "database shell")
            )),
        ),
        None => check(
            "foreign keys",
            Level::Skip,
            "the file failed its header or size check",
            None,
        ),
    };
    Ok((integrity, foreign_keys))
}

fn restore_hint(config: &DatabaseConfig) -> String {
    format!(
        "restore it from a backup, which restore checks first: `{}`",
        Hint::command(config, "database restore").flag("--latest")
    )
}

fn journal(path: &Path) -> Check {
    let side = |suffix: &str| std::fs::metadata(format!("{}{suffix}", path.display())).ok();
    match (side("-wal"), side("-journal")) {
        (Some(wal), _) if wal.len() > WAL_WARN_BYTES => check(
            "journal",
            Level::Warn,
            format!("the -wal file holds {}", crate::ui::size(wal.len())),
            Some("it is folded back at the next checkpoint; a long-running reader may be holding it open".into()),
        ),
        (Some(wal), _) => check("journal", Level::Pass, format!("WAL mode, -wal holds {}", crate::ui::size(wal.len())), None),
        (None, Some(_)) => check(
            "journal",
            Level::Warn,
            "a -journal file is beside the database: a write is running, or one was interrupted",
            Some("if no process is writing, the next write rolls the interrupted one back; never delete the file".into()),
        ),
        (None, None) => check("journal", Level::Pass, "rollback journal, no side files", None),
    }
}

fn newest_backup(config: &DatabaseConfig, env: Environment) -> Check {
    let layout = &config.layout;
    let entries = match backup::list(&layout.backup_dir()) {
        Ok(entries) => entries,
        Err(e) => return check("backup", Level::Warn, e.to_string(), None),
    };
    let newest = entries
        .iter()
        .rev()
        .filter(|entry| entry.environment_label() == env.name())
        .find(|entry| entry.status() == Status::Matches);
    let make = format!(
        "make one with `{}`",
        Hint::command(config, "database backup")
    );
    let prod = env == Environment::Prod;
    match newest {
        None if prod => check(
            "backup",
            Level::Warn,
            "no backup of prod that still matches its manifest",
            Some(make),
        ),
        None => check(
            "backup",
            Level::Pass,
            format!("no backup of {env} that still matches its manifest (only prod needs one)"),
            None,
        ),
        Some(entry) => {
            let age = crate::shared::time::unix_now()
                .saturating_sub(entry.created_unix)
                .max(0);
            let detail = format!(
                "newest that still matches its manifest: `{}`, {} old",
                entry.path.display(),
                age_text(age)
            );
            if prod && age >= BACKUP_MAX_AGE_DAYS * 86_400 {
                check("backup", Level::Warn, detail, Some(make))
            } else {
                check("backup", Level::Pass, detail, None)
            }
        }
    }
}

/// Whether the off-site repository is configured and answers, and how old `env`'s newest
/// snapshot there is (a warning past [`BACKUP_MAX_AGE_DAYS`], or when prod has none).
fn offsite(config: &DatabaseConfig, env: Option<Environment>) -> Check {
    if !offsite::configured() {
        let detail = format!(
            "no repository configured ({} sends backups to one)",
            offsite::REPOSITORY_VAR
        );
        return check("off-site", Level::Skip, detail, None);
    }
    let repo = match offsite::Repository::from_process() {
        Ok(repo) => repo,
        Err(e) => return check("off-site", Level::Warn, e.to_string(), None),
    };
    let send = format!(
        "send one with `{}`",
        Hint::command(config, "database backup").flag("--offsite")
    );
    let prod = env == Some(Environment::Prod);
    let whose = env.map_or("custom databases", Environment::name);
    match repo.snapshots(env) {
        Err(e) => check("off-site", Level::Warn, e.to_string(), None),
        Ok(found) => match found.first() {
            None => check(
                "off-site",
                if prod { Level::Warn } else { Level::Pass },
                format!("`{}` answers; no snapshot of {whose} there", repo.shown()),
                prod.then_some(send),
            ),
            Some(newest) => {
                let age = crate::shared::time::unix_now()
                    .saturating_sub(newest.manifest.created_unix)
                    .max(0);
                let detail = format!(
                    "`{}` answers; newest snapshot of {whose}: {}, {} old",
                    repo.shown(),
                    newest.short_id,
                    age_text(age)
                );
                match age >= BACKUP_MAX_AGE_DAYS * 86_400 {
                    true => check("off-site", Level::Warn, detail, Some(send)),
                    false => check("off-site", Level::Pass, detail, None),
                }
            }
        },
    }
}

/// `42 s`, `5 min`, `3 h`, `2 days`.
fn age_text(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3_600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3_600),
        s => format!("{} days", s / 86_400),
    }
}

/// Whether a prod write could open the audit log now, tested as that write does it.
fn audit_log(layout: &Layout) -> Check {
    let log = layout.audit_log();
    match crate::access::audit::probe(layout) {
        Ok(()) => check(
            "audit log",
            Level::Pass,
            format!("`{}` is writable", log.display()),
            None,
        ),
        Err(e) => check(
            "audit log",
            Level::Fail,
            crate::ui::error_line(&e),
            Some(format!(
                "make `{}` a writable folder with room, holding a writable regular file `{}`",
                layout.log_dir().display(),
                crate::copies::manifest::file_name(&log)
            )),
        ),
    }
}

/// Temporary files that runs which died left in the database's and the backups' folders.
/// Whether another command holds the database's lock exclusively now (a restore, a migration…),
/// and which.
fn lock(database: &Path) -> Check {
    let path = crate::access::lock::lock_path(database);
    match crate::access::lock::holder(database) {
        Err(e) => check(
            "lock",
            Level::Fail,
            format!("cannot use the lock file `{}`: {e}", path.display()),
            None,
        ),
        Ok(None) => check(
            "lock",
            Level::Pass,
            "no command holds the database alone",
            None,
        ),
        Ok(Some(holder)) => check(
            "lock",
            Level::Warn,
            format!("held by {holder}"),
            Some(
                "commands that change the file wait for it to finish; a holder that was killed lets go at once"
                    .into(),
            ),
        ),
    }
}

fn leftovers(folders: &[PathBuf]) -> Check {
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut found: Vec<String> = Vec::new();
    for folder in folders {
        if seen
            .iter()
            .any(|other| crate::selection::paths::same_file(other, folder))
        {
            continue;
        }
        seen.push(folder.clone());
        found.extend(
            crate::shared::durable::stale_temps(folder)
                .iter()
                .map(|path| format!("`{}`", path.display())),
        );
    }
    if found.is_empty() {
        return check(
            "leftovers",
            Level::Pass,
            "no temporary files of dead runs",
            None,
        );
    }
    check(
        "leftovers",
        Level::Warn,
        format!(
            "{} of runs that died: {}",
            crate::ui::counted(found.len(), "temporary file"),
            crate::ui::at_most(&found).join(", ")
        ),
        Some("no running process owns them: the next backup, restore or migrate-to-envs writing into that folder removes them, or delete them".into()),
    )
}

fn permissions(path: &Path, env: Option<Environment>) -> Check {
    use std::os::unix::fs::PermissionsExt;
    if env != Some(Environment::Prod) {
        return check(
            "permissions",
            Level::Pass,
            "not prod: any permissions will do",
            None,
        );
    }
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.permissions().mode() & 0o006 != 0 => check(
            "permissions",
            Level::Fail,
            format!(
                "mode {:o}: other users can read the prod database",
                metadata.permissions().mode() & 0o777
            ),
            Some(format!("chmod o-rw {}", path.display())),
        ),
        Ok(metadata) => check(
            "permissions",
            Level::Pass,
            format!(
                "mode {:o}: not readable by other users",
                metadata.permissions().mode() & 0o777
            ),
            None,
        ),
        Err(_) => check("permissions", Level::Skip, "the file is missing", None),
    }
}
