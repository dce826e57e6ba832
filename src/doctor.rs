//! Readiness of a database, in the spirit of a `/readyz` endpoint: a list of checks, each
//! passed, a warning, failed or skipped, with a hint. Ready means nothing failed.

use crate::backup::{self, Status};
use crate::config::DatabaseConfig;
use crate::db::{self, Database};
use crate::env::Environment;
use crate::error::Result;
use crate::hint::Hint;
use crate::migrate::{self, Catalog};
use crate::paths::Layout;
use crate::session::Session;
use std::path::Path;

/// A backup of prod older than this many days is a warning.
pub const BACKUP_MAX_AGE_DAYS: i64 = 7;
/// A `-wal` file larger than this is a warning.
pub const WAL_WARN_BYTES: u64 = 64 * 1024 * 1024;

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
}

impl Readiness {
    /// Whether no check failed.
    pub fn ready(&self) -> bool {
        self.checks.iter().all(|c| c.level != Level::Fail)
    }
}

/// The names of the checks that need an open database, in order.
const DATABASE_CHECKS: [&str; 6] = [
    "stamp",
    "integrity",
    "foreign keys",
    "migrations",
    "journal",
    "backup",
];

/// Runs every check on the session's database.
pub fn diagnose(session: &mut Session) -> Result<Readiness> {
    let config = session.config().clone();
    let path = config.path.clone();
    let mut checks = Vec::new();
    let opened = if path.exists() {
        db::check_header(&path).and_then(|()| session.inspect())
    } else {
        Err(crate::error::Error::failed(format!(
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
            checks.extend(database_checks(&db, &config)?);
        }
        Err(e) if e.kind() == crate::error::Kind::Refused => return Err(e),
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
    Ok(Readiness { checks })
}

/// The checks of the open `db`; `config` is the selection, which the hints carry.
fn database_checks(db: &Database, config: &DatabaseConfig) -> Result<Vec<Check>> {
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
    let integrity = match crate::integrity::lines(conn, "PRAGMA quick_check", []) {
        Ok(lines) if lines == ["ok"] => check("integrity", Level::Pass, "quick_check: ok", None),
        Ok(lines) => check(
            "integrity",
            Level::Fail,
            format!("quick_check: {}", lines.join("; ")),
            Some(restore_hint(config)),
        ),
        Err(e) => check(
            "integrity",
            Level::Fail,
            format!("quick_check could not run: {e}"),
            Some(restore_hint(config)),
        ),
    };
    let foreign_keys = match migrate::runner::foreign_key_violations(conn, path) {
        Ok(0) => check(
            "foreign keys",
            Level::Pass,
            "foreign_key_check: no violations",
            None,
        ),
        Ok(n) => check(
            "foreign keys",
            Level::Fail,
            format!("foreign_key_check: {n} violations"),
            Some(format!(
                "list them with `PRAGMA foreign_key_check` in `{}` and fix the rows",
                Hint::command(config, "database shell")
            )),
        ),
        Err(e) => check(
            "foreign keys",
            Level::Fail,
            e.to_string(),
            Some(restore_hint(config)),
        ),
    };
    let migrations =
        match Catalog::of(layout).and_then(|catalog| migrate::state(conn, &catalog, path)) {
            Ok(state) if state.is_current() => check(
                "migrations",
                Level::Pass,
                format!("at head (version {}), nothing edited", state.head),
                None,
            ),
            Ok(state) => check(
                "migrations",
                Level::Fail,
                state.problems(config).join("; "),
                Some(format!(
                    "see `{}`",
                    Hint::command(config, "database status")
                )),
            ),
            Err(e) => check("migrations", Level::Fail, e.to_string(), None),
        };
    Ok(vec![
        stamp,
        integrity,
        foreign_keys,
        migrations,
        journal(path),
        newest_backup(config, identity.env),
    ])
}

fn restore_hint(config: &DatabaseConfig) -> String {
    format!(
        "restore it from a verified backup: `{}`",
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
            "no verified backup of prod",
            Some(make),
        ),
        None => check(
            "backup",
            Level::Pass,
            format!("no verified backup of {env} (only prod needs one)"),
            None,
        ),
        Some(entry) => {
            let age = crate::time::unix_now()
                .saturating_sub(entry.created_unix)
                .max(0);
            let detail = format!(
                "newest verified: `{}`, {} old",
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

/// `42 s`, `5 min`, `3 h`, `2 days`.
fn age_text(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3_600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3_600),
        s => format!("{} days", s / 86_400),
    }
}

fn audit_log(layout: &Layout) -> Check {
    let log = layout.audit_log();
    let writable = if log.exists() {
        std::fs::OpenOptions::new().append(true).open(&log).is_ok()
    } else {
        log.ancestors()
            .skip(1)
            .find(|dir| dir.exists())
            .is_some_and(writable_dir)
    };
    if writable {
        check(
            "audit log",
            Level::Pass,
            format!("`{}` is writable", log.display()),
            None,
        )
    } else {
        check(
            "audit log",
            Level::Fail,
            format!(
                "`{}` is not writable; prod writes refuse to start without it",
                log.display()
            ),
            Some(format!(
                "make `{}` writable by you",
                layout.log_dir().display()
            )),
        )
    }
}

fn writable_dir(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(name) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `name` is a valid NUL-terminated path that outlives the call.
    unsafe { libc::access(name.as_ptr(), libc::W_OK) == 0 }
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
