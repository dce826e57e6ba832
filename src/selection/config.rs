//! Resolution of which database a command works on: `--database` > `--env` > `ONSENDO_ENV` > `dev`.
//!
//! `resolve` is a function of the flags, the environment variables and the current directory
//! (which makes relative paths absolute); it is the only way to get a [`DatabaseConfig`].

use crate::selection::env::Environment;
use crate::selection::paths::Layout;
use crate::selection::paths::ROOT_VAR;
use crate::shared::error::{Error, Result};
use std::fmt;
use std::path::PathBuf;

/// The variable that selects the environment.
pub(crate) const ENV_VAR: &str = "ONSENDO_ENV";

/// The flags a command was given that take part in resolution.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--database PATH`
    pub database: Option<PathBuf>,
    /// `--env NAME`
    pub env: Option<String>,
    /// `--root DIR`
    pub root: Option<PathBuf>,
}

/// The environment variables that take part in resolution (empty values count as unset).
#[derive(Debug, Clone, Default)]
pub(crate) struct Vars {
    /// `ONSENDO_ENV`
    pub env: Option<String>,
    /// `ONSENDO_ROOT`
    pub root: Option<String>,
}

impl Vars {
    /// Reads the variables from this process's environment.
    pub(crate) fn from_process() -> Vars {
        Vars {
            env: std::env::var(ENV_VAR).ok(),
            root: std::env::var(ROOT_VAR).ok(),
        }
    }
}

/// Which rule decided the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `--database PATH`: the file itself decides its environment (stamp, then canonical path).
    DatabaseFlag,
    /// `--env NAME`
    EnvFlag,
    /// `ONSENDO_ENV`
    EnvVar,
    /// Nothing was given: `dev`.
    Default,
}

impl Rule {
    /// How the rule is shown to users ("prod, from ONSENDO_ENV").
    pub fn describe(self) -> &'static str {
        match self {
            Rule::DatabaseFlag => "--database",
            Rule::EnvFlag => "--env",
            Rule::EnvVar => ENV_VAR,
            Rule::Default => "default",
        }
    }
}

/// Where the root directory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootRule {
    /// `--root DIR`
    Flag,
    /// `ONSENDO_ROOT`
    Var,
    /// The repository that holds the current directory.
    Discovered,
}

impl RootRule {
    /// How the rule is shown to users.
    pub fn describe(self) -> &'static str {
        match self {
            RootRule::Flag => "--root",
            RootRule::Var => ROOT_VAR,
            RootRule::Discovered => "repository",
        }
    }
}

/// The resolved database: where it is, which environment asked for it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// The directory layout under the root.
    pub layout: Layout,
    /// Where the root came from.
    pub root_rule: RootRule,
    /// The database file.
    pub path: PathBuf,
    /// The environment that was selected; `None` for `--database` without `--env`, where the file decides.
    pub env: Option<Environment>,
    /// The rule that decided.
    pub rule: Rule,
}

impl fmt::Display for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.env {
            Some(env) => write!(f, "{env}, from {}", self.rule.describe()),
            None => write!(
                f,
                "the file's own environment, from {}",
                self.rule.describe()
            ),
        }
    }
}

impl DatabaseConfig {
    /// Refuses a root that is not an existing folder (a mistyped `ONSENDO_ROOT`), before any
    /// command makes anything under it: every command but `init` works on a root that exists.
    pub(crate) fn require_root(&self) -> Result<()> {
        let root = self.layout.root();
        if root.is_dir() {
            return Ok(());
        }
        let what = if root.exists() {
            "is not a folder"
        } else {
            "does not exist"
        };
        Err(Error::usage(format!(
            "root `{}` (from {}) {what}; check the path, or make a new root with `cargo xtask database init`",
            root.display(),
            self.root_rule.describe()
        )))
    }
}

/// A whole-number setting read from the variable `name` (`value`, unset or blank: `default`): a
/// number from 0 to `max` (`unit` names what it counts), else a usage error that names the variable.
pub(crate) fn number_setting(
    name: &str,
    value: Option<&str>,
    default: u64,
    max: u64,
    unit: &str,
) -> Result<u64> {
    let Some(text) = value.filter(|text| !text.trim().is_empty()) else {
        return Ok(default);
    };
    match text.trim().parse::<u64>() {
        Ok(number) if number <= max => Ok(number),
        _ => Err(Error::usage(format!(
            "{name} must be a whole number of {unit} from 0 to {max}, not `{text}`"
        ))),
    }
}

/// Resolves the database from the flags, this process's variables and its current directory
/// (for the root), for a command on an existing root: every command but `init`.
pub fn from_process(flags: &Flags) -> Result<DatabaseConfig> {
    let config = resolve(
        flags,
        &Vars::from_process(),
        crate::selection::paths::discover_root_from_cwd,
    )?;
    config.require_root()?;
    Ok(config)
}

/// Resolves the database from the flags and variables. `discover_root` is called only when
/// neither `--root` nor `ONSENDO_ROOT` names the root.
pub(crate) fn resolve(
    flags: &Flags,
    vars: &Vars,
    discover_root: impl FnOnce() -> Result<PathBuf>,
) -> Result<DatabaseConfig> {
    let var_env = non_empty(vars.env.as_deref())
        .map(|text| Environment::parse(text, ENV_VAR))
        .transpose()?;
    let flag_env = flags
        .env
        .as_deref()
        .map(|text| Environment::parse(text, "--env"))
        .transpose()?;
    let (root, root_rule) = match (&flags.root, non_empty(vars.root.as_deref())) {
        (Some(dir), _) => (dir.clone(), RootRule::Flag),
        (None, Some(dir)) => (PathBuf::from(dir), RootRule::Var),
        (None, None) => (discover_root()?, RootRule::Discovered),
    };
    if root.as_os_str().is_empty() {
        return Err(Error::usage("--root must name a directory"));
    }
    let layout = Layout::new(absolute(&root)?);
    let (env, rule) = match (&flags.database, flag_env, var_env) {
        (Some(_), env, _) => (env, Rule::DatabaseFlag),
        (None, Some(env), _) => (Some(env), Rule::EnvFlag),
        (None, None, Some(env)) => (Some(env), Rule::EnvVar),
        (None, None, None) => (Some(Environment::Dev), Rule::Default),
    };
    let path = match (&flags.database, env) {
        (Some(path), _) if path.as_os_str().is_empty() => {
            return Err(Error::usage("--database must name a file"));
        }
        (Some(path), _) => absolute(path)?,
        (None, Some(env)) => layout.database(env),
        (None, None) => unreachable!("an environment is always chosen without --database"),
    };
    Ok(DatabaseConfig {
        layout,
        root_rule,
        path,
        env,
        rule,
    })
}

/// `path` made absolute against the current directory (without resolving links), so that every
/// message shows the file a relative `--database` or `--root` named.
fn absolute(path: &std::path::Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| {
        Error::failed(format!(
            "cannot make `{}` absolute: the current directory cannot be read; run from another folder",
            path.display()
        ))
        .because(e)
    })
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|text| !text.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::error::Kind;
    use std::path::Path;

    fn repo() -> Result<PathBuf> {
        Ok(PathBuf::from("/repo"))
    }

    fn flags(database: Option<&str>, env: Option<&str>) -> Flags {
        Flags {
            database: database.map(PathBuf::from),
            env: env.map(String::from),
            root: None,
        }
    }

    fn vars(env: Option<&str>) -> Vars {
        Vars {
            env: env.map(String::from),
            root: None,
        }
    }

    /// Every combination of the three inputs, with what must win.
    #[test]
    fn priority_over_every_combination() {
        let databases = [None, Some("/tmp/x.db")];
        let env_flags = [None, Some("test")];
        let env_vars = [None, Some(""), Some(" PROD ")];
        for database in databases {
            for env_flag in env_flags {
                for env_var in env_vars {
                    let config = resolve(&flags(database, env_flag), &vars(env_var), repo).unwrap();
                    let var_set = env_var.is_some_and(|v| !v.trim().is_empty());
                    let (env, rule, path) = if database.is_some() {
                        (
                            env_flag.map(|_| Environment::Test),
                            Rule::DatabaseFlag,
                            "/tmp/x.db",
                        )
                    } else if env_flag.is_some() {
                        (
                            Some(Environment::Test),
                            Rule::EnvFlag,
                            "/repo/data/db/onsen.test.db",
                        )
                    } else if var_set {
                        (
                            Some(Environment::Prod),
                            Rule::EnvVar,
                            "/repo/data/db/onsen.prod.db",
                        )
                    } else {
                        (
                            Some(Environment::Dev),
                            Rule::Default,
                            "/repo/data/db/onsen.dev.db",
                        )
                    };
                    let case = format!("{database:?} {env_flag:?} {env_var:?}");
                    assert_eq!(config.env, env, "{case}");
                    assert_eq!(config.rule, rule, "{case}");
                    assert_eq!(config.path, Path::new(path), "{case}");
                }
            }
        }
    }

    #[test]
    fn invalid_names_are_usage_errors_even_when_outranked() {
        let err = resolve(&flags(None, Some("staging")), &vars(None), repo).unwrap_err();
        assert_eq!(err.kind(), Kind::Usage);
        assert!(err.to_string().contains("--env"), "{err}");
        let err = resolve(&flags(None, Some("dev")), &vars(Some("prd")), repo).unwrap_err();
        assert_eq!(err.kind(), Kind::Usage);
        assert!(err.to_string().contains("ONSENDO_ENV"), "{err}");
    }

    #[test]
    fn root_priority_and_lazy_discovery() {
        let no_discovery = || -> Result<PathBuf> { panic!("discovery must not run") };
        let mut with_root = flags(None, None);
        with_root.root = Some(PathBuf::from("/flag"));
        let var_root = Vars {
            env: None,
            root: Some("/var".into()),
        };
        let config = resolve(&with_root, &var_root, no_discovery).unwrap();
        assert_eq!(
            (config.layout.root(), config.root_rule),
            (Path::new("/flag"), RootRule::Flag)
        );
        let config = resolve(&flags(None, None), &var_root, no_discovery).unwrap();
        assert_eq!(
            (config.layout.root(), config.root_rule),
            (Path::new("/var"), RootRule::Var)
        );
        let empty_root = Vars {
            env: None,
            root: Some(String::new()),
        };
        let config = resolve(&flags(None, None), &empty_root, repo).unwrap();
        assert_eq!(config.root_rule, RootRule::Discovered);
        let failing = || -> Result<PathBuf> { Err(Error::failed("no repository")) };
        assert!(resolve(&flags(None, None), &vars(None), failing).is_err());
    }

    #[test]
    fn description_names_the_rule() {
        let config = resolve(&flags(None, None), &vars(Some("prod")), repo).unwrap();
        assert_eq!(config.to_string(), "prod, from ONSENDO_ENV");
        let config = resolve(&flags(Some("a.db"), None), &vars(None), repo).unwrap();
        assert_eq!(config.path, std::env::current_dir().unwrap().join("a.db"));
        assert_eq!(
            config.to_string(),
            "the file's own environment, from --database"
        );
    }
}
