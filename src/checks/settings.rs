//! Every setting the tools use, with its value and where it came from (a flag, a variable, a
//! default), for `cargo xtask config show`. Values of secret-looking names are redacted.

use crate::access::audit::{self, KEEP_ROTATED, ROTATE_BYTES};
use crate::access::db::BUSY_TIMEOUT;
use crate::copies::offsite;
use crate::copies::retention::{Policy, DEFAULT_KEEP, KEEP_SAFETY_VAR, SPACE_WARN_VAR};
use crate::migrate::{Catalog, Source};
use crate::selection::config::{DatabaseConfig, Rule, ENV_VAR};
use crate::selection::paths::ROOT_VAR;
use crate::ui::counted;

/// One setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// Its name.
    pub name: String,
    /// Its value (`***` when secret and not shown).
    pub value: String,
    /// Where it came from: a flag, a variable, `default`, or what it is derived from.
    pub source: String,
}

fn setting(name: &str, value: impl Into<String>, source: impl Into<String>) -> Setting {
    Setting {
        name: name.to_string(),
        value: value.into(),
        source: source.into(),
    }
}

/// The variables onsendo reads, besides the ones listed as settings of their own.
const KNOWN_VARS: [&str; 6] = [
    ENV_VAR,
    ROOT_VAR,
    crate::selection::hint::FORM_VAR,
    "ONSENDO_TEST_SANDBOX",
    "ONSENDO_FAILPOINT",
    "ONSENDO_TEST_KILL_SEED",
];

/// The settings for `config`, given the process's variables (`name`, `value`).
pub fn list(
    config: &DatabaseConfig,
    vars: &[(String, String)],
    show_secrets: bool,
) -> Vec<Setting> {
    let layout = &config.layout;
    let shown = |path: &std::path::Path| path.display().to_string();
    let environment = match config.env {
        Some(env) => env.name().to_string(),
        None => "the one stamped in the --database file".to_string(),
    };
    let database_source = if config.rule == Rule::DatabaseFlag {
        "--database"
    } else {
        "environment + root"
    };
    let migrations = match Catalog::of(layout) {
        Ok(catalog) => match &catalog.source {
            Source::Folder(folder) => (
                format!(
                    "{} ({})",
                    folder.display(),
                    counted(catalog.head(), "migration")
                ),
                "root's migrations/ folder",
            ),
            Source::BuiltIn => (
                format!("built in ({})", counted(catalog.head(), "migration")),
                "default: the root has no migrations/ folder",
            ),
        },
        Err(e) => (format!("unreadable: {e}"), "root's migrations/ folder"),
    };
    let colour = match var(vars, "NO_COLOR") {
        Some(_) => ("off", "NO_COLOR"),
        None => ("on when the output is a terminal", "default"),
    };
    let mut settings = vec![
        setting("environment", environment, config.rule.describe()),
        setting("root", shown(layout.root()), config.root_rule.describe()),
        setting("database", shown(&config.path), database_source),
        setting("legacy database", shown(&layout.legacy_database()), "root"),
        setting("migrations", migrations.0, migrations.1),
        setting("backups", shown(&layout.backup_dir()), "root"),
        setting(
            "retention",
            format!("keep the newest {DEFAULT_KEEP} per environment"),
            "default; prune --keep/--older-than override it",
        ),
        safety_copies(vars),
        setting("logs", shown(&layout.log_dir()), "root"),
        setting("audit log", shown(&layout.audit_log()), "root"),
        setting(
            "audit rotation",
            format!(
                "at {}, keeping {KEEP_ROTATED} old files",
                crate::ui::size(ROTATE_BYTES)
            ),
            "default",
        ),
        setting(
            "busy timeout",
            format!("{} s", BUSY_TIMEOUT.as_secs()),
            "default",
        ),
        lock_wait(vars),
        setting("colour", colour.0, colour.1),
    ];
    settings.extend(offsite(vars, show_secrets));
    let mut others: Vec<&(String, String)> = vars
        .iter()
        .filter(|(name, _)| {
            name.starts_with("ONSENDO_")
                && ![
                    ENV_VAR,
                    ROOT_VAR,
                    crate::access::lock::WAIT_VAR,
                    KEEP_SAFETY_VAR,
                    SPACE_WARN_VAR,
                    offsite::REPOSITORY_VAR,
                    offsite::SAFETY_VAR,
                    offsite::TIMEOUT_VAR,
                ]
                .contains(&name.as_str())
        })
        .collect();
    others.sort();
    for (name, value) in others {
        let value = if show_secrets {
            value.clone()
        } else {
            audit::redact_value(name, value)
        };
        let source = if KNOWN_VARS.contains(&name.as_str()) {
            "variable"
        } else {
            "variable, not used by onsendo"
        };
        settings.push(setting(name, value, source));
    }
    settings
}

/// The value of the variable `name` among `vars`, as it is (blank included).
fn var<'a>(vars: &'a [(String, String)], name: &str) -> Option<&'a str> {
    vars.iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_str())
}

/// The retention policy of safety copies and the backup-space notice, and where they came from.
fn safety_copies(vars: &[(String, String)]) -> Setting {
    let (keep, warn) = (var(vars, KEEP_SAFETY_VAR), var(vars, SPACE_WARN_VAR));
    let set: Vec<&str> = [(KEEP_SAFETY_VAR, keep), (SPACE_WARN_VAR, warn)]
        .into_iter()
        .filter_map(|(name, value)| value.map(|_| name))
        .collect();
    let source = if set.is_empty() {
        "default".to_string()
    } else {
        set.join(", ")
    };
    let shown = match Policy::from_values(keep, warn) {
        Ok(policy) => format!(
            "keep the newest {} per database; {}",
            policy.keep_safety,
            match policy.space_warn {
                0 => "no size notice".to_string(),
                n => format!("notice past {n}× its size"),
            }
        ),
        Err(e) => e.to_string(),
    };
    setting("safety copies", shown, source)
}

/// The off-site repository, where its password comes from (never the password), and whether
/// safety copies go there too.
fn offsite(vars: &[(String, String)], show_secrets: bool) -> Vec<Setting> {
    let value = |name: &str| var(vars, name).filter(|v| !v.trim().is_empty());
    let repository = [offsite::REPOSITORY_VAR, "RESTIC_REPOSITORY"]
        .into_iter()
        .find_map(|name| Some((value(name)?, name)));
    let repository = match repository {
        Some((location, name)) if show_secrets => setting("off-site repository", location, name),
        Some((location, name)) => setting(
            "off-site repository",
            audit::redact_value("repository", location),
            name,
        ),
        None => setting(
            "off-site repository",
            "none (backup --offsite is off)",
            "default",
        ),
    };
    let password = match offsite::PASSWORD_VARS
        .into_iter()
        .find_map(|name| Some((value(name)?, name)))
    {
        Some((file, "RESTIC_PASSWORD_FILE")) => setting(
            "off-site password",
            format!("read from {file}"),
            "RESTIC_PASSWORD_FILE",
        ),
        Some((_, name)) => setting("off-site password", "***", name),
        None => setting("off-site password", "not set", "default"),
    };
    let safety = match value(offsite::SAFETY_VAR) {
        Some(v) if v.trim() == "1" => ("sent off-site too", offsite::SAFETY_VAR),
        Some(_) => ("local only", offsite::SAFETY_VAR),
        None => ("local only", "default"),
    };
    let given = value(offsite::TIMEOUT_VAR);
    let limit = match offsite::timeout_from(given) {
        Ok(std::time::Duration::MAX) => "no limit: restic runs until it ends".to_string(),
        Ok(limit) => format!("stop restic after {} s without progress", limit.as_secs()),
        Err(e) => e.to_string(),
    };
    let timeout = setting(
        "off-site time limit",
        limit,
        given.map_or("default", |_| offsite::TIMEOUT_VAR),
    );
    vec![
        repository,
        password,
        setting("off-site safety copies", safety.0, safety.1),
        timeout,
    ]
}

/// How long a command waits for another one's lock, and where that came from.
fn lock_wait(vars: &[(String, String)]) -> Setting {
    use crate::access::lock::{wait_from, WAIT_VAR};
    let value = var(vars, WAIT_VAR);
    let source = if value.is_some() { WAIT_VAR } else { "default" };
    let shown = match wait_from(value) {
        Ok(wait) => format!("{} s, then refuse", wait.as_secs()),
        Err(e) => e.to_string(),
    };
    setting("lock wait", shown, source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selection::config::{resolve, Flags, Vars};
    use std::path::PathBuf;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn value<'a>(settings: &'a [Setting], name: &str) -> &'a Setting {
        settings.iter().find(|s| s.name == name).unwrap()
    }

    #[test]
    fn sources_and_redaction() {
        let flags = Flags {
            env: Some("prod".into()),
            root: Some(PathBuf::from("/r")),
            ..Flags::default()
        };
        let config = resolve(&flags, &Vars::default(), || unreachable!()).unwrap();
        let process = vars(&[
            ("ONSENDO_API_TOKEN", "s3cret"),
            ("ONSENDO_BACKUP_URL", "sftp://me:pw@host/x"),
            ("NO_COLOR", "1"),
        ]);
        let settings = list(&config, &process, false);
        assert_eq!(value(&settings, "environment").source, "--env");
        assert_eq!(value(&settings, "root").source, "--root");
        assert_eq!(
            value(&settings, "database").value,
            "/r/data/db/onsen.prod.db"
        );
        assert_eq!(value(&settings, "colour").source, "NO_COLOR");
        assert_eq!(value(&settings, "ONSENDO_API_TOKEN").value, "***");
        assert_eq!(
            value(&settings, "ONSENDO_BACKUP_URL").value,
            "sftp://me:***@host/x"
        );
        assert_eq!(
            value(&settings, "ONSENDO_API_TOKEN").source,
            "variable, not used by onsendo"
        );
        let shown = list(&config, &process, true);
        assert_eq!(value(&shown, "ONSENDO_API_TOKEN").value, "s3cret");
    }
}
