//! "What to do next" command lines, built from the resolved [`DatabaseConfig`] so that pasting one
//! acts on the database the command worked on: `cargo xtask database migrate --env prod`, or, when
//! the Makefile ran the command (`ONSENDO_HINT=make`), `make db-migrate ENV=prod`.

use crate::selection::config::{DatabaseConfig, RootRule, Rule};
use crate::selection::env::Environment;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// The variable the Makefile exports (`ONSENDO_HINT=make`) so that hints take the make form.
pub(crate) const FORM_VAR: &str = "ONSENDO_HINT";

/// The xtask commands hints suggest that have a Makefile target, with the flags that target passes
/// by itself (`make restore` restores the latest backup when no `FILE` is given). A command missing
/// here is suggested in the cargo form even from make.
const TARGETS: &[(&str, &str, &[&str])] = &[
    ("database init", "db-init", &[]),
    ("database backup", "backup", &[]),
    ("database backups", "backups", &[]),
    ("database restore", "restore", &["--latest"]),
    ("database status", "db-status", &[]),
    ("database migrate", "db-migrate", &[]),
    ("database rollback", "db-rollback", &[]),
    ("database shell", "db-shell", &[]),
    ("onsen list", "onsen-list", &[]),
    ("location list", "location-list", &[]),
    ("visit list", "visit-list", &[]),
];

/// The flags hints add that have a Makefile variable; a switch is set with `VAR=1`.
const VARIABLES: &[(&str, &str)] = &[
    ("--yes", "YES"),
    ("--dry-run", "DRY_RUN"),
    ("--to", "TO"),
    ("--write", "WRITE"),
    ("--cross-env", "CROSS_ENV"),
];

/// How a hint is written: for a shell, or for the Makefile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `cargo xtask database migrate --env prod --yes`
    Cargo,
    /// `make db-migrate ENV=prod YES=1`
    Make,
}

impl Form {
    /// The make form when this process runs from the Makefile (`ONSENDO_HINT=make`), else cargo's.
    pub(crate) fn from_process() -> Form {
        match std::env::var(FORM_VAR) {
            Ok(value) if value.trim().eq_ignore_ascii_case("make") => Form::Make,
            _ => Form::Cargo,
        }
    }
}

/// One argument: a switch (`--yes`) or a flag with its value (`--to 3`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Arg {
    flag: &'static str,
    value: Option<OsString>,
}

/// A hint: a whole command, or the flags to add to the command that just ran. Shown with
/// `Display` in the form `Form::from_process` picks; `Hint::render` takes the form.
#[derive(Debug, Clone)]
pub struct Hint {
    /// The program: `cargo xtask`, or the app, `onsendo`.
    program: &'static str,
    /// Its command (`database migrate`); `None` for a re-run of the command that ran.
    command: Option<String>,
    /// The root, when it was given (`--root` or `ONSENDO_ROOT`), and whether by `--root`.
    root: Option<(PathBuf, bool)>,
    /// The database file.
    path: PathBuf,
    /// Whether the hint names the database by its path, and if so whether the command line did.
    database: Option<bool>,
    /// The environment, and whether the command line selected it with `--env`.
    env: Option<(Environment, bool)>,
    args: Vec<Arg>,
}

impl Hint {
    /// A whole command (`database migrate`) on the database `config` selected.
    pub fn command(config: &DatabaseConfig, command: &'static str) -> Hint {
        let by_flag = config.rule == Rule::DatabaseFlag;
        Hint {
            program: "cargo xtask",
            command: Some(command.to_string()),
            root: match config.root_rule {
                RootRule::Flag => Some((config.layout.root().to_path_buf(), true)),
                RootRule::Var => Some((config.layout.root().to_path_buf(), false)),
                RootRule::Discovered => None,
            },
            path: config.path.clone(),
            database: by_flag.then_some(true),
            env: config.env.map(|env| {
                (
                    env,
                    matches!(config.rule, Rule::EnvFlag | Rule::DatabaseFlag),
                )
            }),
            args: Vec::new(),
        }
    }

    /// The flags to add to the command that just ran (`--yes`), with those of the selection its
    /// command line lacks (`--env prod` when `ONSENDO_ENV` chose it), so it acts the same anywhere.
    pub fn rerun(config: &DatabaseConfig) -> Hint {
        Hint {
            command: None,
            ..Hint::command(config, "")
        }
    }

    /// A command of the app (`visit list`, `onsen modify 9`) on the database `config` selected.
    pub fn app(config: &DatabaseConfig, command: &str) -> Hint {
        Hint {
            program: "onsendo",
            command: Some(command.to_string()),
            ..Hint::command(config, "")
        }
    }

    /// Names the database by its file (`--database PATH`) instead of its environment: for
    /// `database stamp`, whose `--env` is the stamp to write.
    pub fn on_file(mut self) -> Hint {
        self.database = Some(self.database.unwrap_or(false));
        self
    }

    /// Adds a switch (`--yes`).
    pub fn flag(mut self, flag: &'static str) -> Hint {
        self.args.push(Arg { flag, value: None });
        self
    }

    /// Adds a flag with its value (`--to 3`); `--env` here replaces the selection's.
    pub fn value(mut self, flag: &'static str, value: impl fmt::Display) -> Hint {
        self.args.push(Arg {
            flag,
            value: Some(value.to_string().into()),
        });
        self
    }

    /// The hint in `form`; the make form falls back to cargo's for what the Makefile cannot say
    /// (a `--database` file, a command or flag with no target or variable).
    pub(crate) fn render(&self, form: Form) -> String {
        match form {
            Form::Make => self.make().unwrap_or_else(|| self.cargo()),
            Form::Cargo => self.cargo(),
        }
    }

    fn has(&self, flag: &str) -> bool {
        self.args.iter().any(|arg| arg.flag == flag)
    }

    /// The selection, as flags: all of it for a command, what the command line lacks for a re-run.
    fn selection(&self) -> Vec<Arg> {
        let whole = self.command.is_some();
        let mut flags = Vec::new();
        let mut add = |flag, value: OsString, given: bool| {
            if (whole || !given) && !self.has(flag) {
                flags.push(Arg {
                    flag,
                    value: Some(value),
                });
            }
        };
        if let Some((env, given)) = self.env {
            add("--env", env.name().into(), given);
        }
        if let Some(given) = self.database {
            add("--database", self.path.clone().into(), given);
        }
        if let Some((root, given)) = &self.root {
            add("--root", root.clone().into(), *given);
        }
        flags
    }

    fn cargo(&self) -> String {
        let mut words: Vec<String> = Vec::new();
        if let Some(command) = &self.command {
            words.push(self.program.into());
            words.push(command.clone());
        }
        for arg in self.selection().iter().chain(&self.args) {
            words.push(arg.flag.into());
            if let Some(value) = &arg.value {
                words.push(quote(value));
            }
        }
        words.join(" ")
    }

    fn make(&self) -> Option<String> {
        if self.database.is_some() {
            return None;
        }
        let mut words = Vec::new();
        let mut implied: &[&str] = &[];
        if let Some(command) = &self.command {
            let (_, target, passes) = TARGETS.iter().find(|(name, ..)| name == command)?;
            words.push(format!("make {target}"));
            implied = passes;
        }
        let env = self
            .args
            .iter()
            .find(|arg| arg.flag == "--env")
            .and_then(|arg| arg.value.clone())
            .or_else(|| self.env.map(|(env, _)| env.name().into()))?;
        words.push(format!("ENV={}", quote(&env)));
        if let Some((root, _)) = &self.root {
            words.push(format!("ONSENDO_ROOT={}", quote(root.as_os_str())));
        }
        for arg in self.args.iter().filter(|arg| arg.flag != "--env") {
            if implied.contains(&arg.flag) {
                continue;
            }
            let (_, variable) = VARIABLES.iter().find(|(flag, _)| *flag == arg.flag)?;
            let value = arg.value.as_deref().unwrap_or(OsStr::new("1"));
            words.push(format!("{variable}={}", quote(value)));
        }
        Some(words.join(" "))
    }
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Form::from_process()))
    }
}

/// `word` as one shell word that bash and zsh read back byte for byte: bare when it holds only
/// safe characters, else in single quotes; control characters (a newline), backticks (which end a
/// hint in a message) and bytes that are not UTF-8 as `$'\xNN'`, so the hint stays on one line, in
/// its backticks, and keeps every byte.
pub(crate) fn quote(word: impl AsRef<OsStr>) -> String {
    let bytes = word.as_ref().as_bytes();
    let safe = |b: &u8| b.is_ascii_alphanumeric() || b"_-./,:=@%+".contains(b);
    if !bytes.is_empty() && bytes.iter().all(safe) {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let escaped = |out: &mut String, raw: &[u8]| {
        out.push_str("'$'");
        for byte in raw {
            out.push_str(&format!("\\x{byte:02x}"));
        }
        out.push_str("''");
    };
    let mut out = String::from("'");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\'' => out.push_str("'\\''"),
                c if c.is_control() || c == '`' => escaped(&mut out, c.to_string().as_bytes()),
                c => out.push(c),
            }
        }
        if !chunk.invalid().is_empty() {
            escaped(&mut out, chunk.invalid());
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selection::config::{resolve, Flags, Vars};
    use std::os::unix::ffi::OsStringExt;
    use std::process::Command;

    fn config(database: Option<&str>, env: Option<&str>, var: Option<&str>) -> DatabaseConfig {
        let flags = Flags {
            database: database.map(PathBuf::from),
            env: env.map(String::from),
            root: None,
        };
        let vars = Vars {
            env: var.map(String::from),
            root: None,
        };
        resolve(&flags, &vars, || Ok(PathBuf::from("/repo"))).unwrap()
    }

    fn with_root(mut config: DatabaseConfig, root: &str, rule: RootRule) -> DatabaseConfig {
        let env = config.env.unwrap();
        config.layout = crate::selection::paths::Layout::new(PathBuf::from(root));
        config.path = config.layout.database(env);
        config.root_rule = rule;
        config
    }

    /// The words bash reads from `line`, each byte for byte.
    fn words(line: &str) -> Vec<Vec<u8>> {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("printf '%s\\0' {line}"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{line}");
        let mut words: Vec<Vec<u8>> = out.stdout.split(|b| *b == 0).map(<[u8]>::to_vec).collect();
        words.pop();
        words
    }

    #[test]
    fn quoting_keeps_every_byte_on_one_line() {
        let mut tricky: Vec<OsString> = [
            "plain",
            "paid $5",
            "it's \"hot\"",
            "a;b|c&d`e`$(f)",
            "two\nlines\ttab",
            "温泉 ✓",
            "",
            "'",
            "\\",
            "-x",
            "*?[a]~#!",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        tricky.push(OsString::from_vec(vec![b'a', 0xff, 0xfe, b'\'', b'z']));
        for word in tricky {
            let quoted = quote(&word);
            assert!(!quoted.contains(['\n', '`']), "{quoted}");
            assert_eq!(words(&quoted), vec![word.as_bytes().to_vec()], "{quoted}");
        }
        assert_eq!(quote("onsen.prod.db"), "onsen.prod.db");
        assert_eq!(quote("a b"), "'a b'");
    }

    #[test]
    fn a_command_carries_the_selection() {
        let env_flag = config(None, Some("prod"), None);
        let hint = Hint::command(&env_flag, "database migrate").flag("--yes");
        assert_eq!(
            hint.render(Form::Cargo),
            "cargo xtask database migrate --env prod --yes"
        );
        assert_eq!(hint.render(Form::Make), "make db-migrate ENV=prod YES=1");
        let from_var = config(None, None, Some(" PROD "));
        assert_eq!(
            Hint::command(&from_var, "database migrate").render(Form::Cargo),
            "cargo xtask database migrate --env prod",
            "a paste in a shell without ONSENDO_ENV acts the same"
        );
        let default = config(None, None, None);
        assert_eq!(
            Hint::command(&default, "database init").render(Form::Cargo),
            "cargo xtask database init --env dev"
        );
        let file = config(Some("/tmp/my $db's.db"), None, Some("prod"));
        let hint = Hint::command(&file, "database backup");
        assert_eq!(
            hint.render(Form::Cargo),
            "cargo xtask database backup --database '/tmp/my $db'\\''s.db'"
        );
        assert_eq!(
            hint.render(Form::Make),
            hint.render(Form::Cargo),
            "the Makefile has no --database"
        );
        let both = config(Some("/x.db"), Some("test"), None);
        assert_eq!(
            Hint::command(&both, "database status").render(Form::Cargo),
            "cargo xtask database status --env test --database /x.db"
        );
        let rooted = with_root(
            config(None, Some("prod"), None),
            "/srv/on sen",
            RootRule::Flag,
        );
        let hint = Hint::command(&rooted, "database restore").flag("--latest");
        assert_eq!(
            hint.render(Form::Cargo),
            "cargo xtask database restore --env prod --root '/srv/on sen' --latest"
        );
        assert_eq!(
            hint.render(Form::Make),
            "make restore ENV=prod ONSENDO_ROOT='/srv/on sen'",
            "make restore takes the latest by itself"
        );
    }

    #[test]
    fn make_form_falls_back_for_what_the_makefile_cannot_say() {
        let prod = config(None, Some("prod"), None);
        let hint = Hint::command(&prod, "database migrate").value("--accept-edited", 2);
        assert_eq!(
            hint.render(Form::Make),
            "cargo xtask database migrate --env prod --accept-edited 2"
        );
        let hint = Hint::command(&prod, "database stamp").value("--env", "dev");
        assert_eq!(
            hint.render(Form::Make),
            "cargo xtask database stamp --env dev"
        );
        assert_eq!(
            Hint::command(&prod, "database rollback")
                .value("--to", 1)
                .render(Form::Make),
            "make db-rollback ENV=prod TO=1"
        );
    }

    #[test]
    fn on_file_names_the_database_by_its_path_and_env_is_replaced() {
        let rooted = with_root(config(None, None, Some("prod")), "/r", RootRule::Var);
        let hint = Hint::command(&rooted, "database stamp")
            .on_file()
            .value("--env", "dev");
        assert_eq!(
            hint.render(Form::Cargo),
            "cargo xtask database stamp --database /r/data/db/onsen.prod.db --root /r --env dev"
        );
    }

    #[test]
    fn a_rerun_adds_only_what_the_command_line_lacks() {
        let env_flag = config(None, Some("prod"), None);
        assert_eq!(
            Hint::rerun(&env_flag).flag("--yes").render(Form::Cargo),
            "--yes"
        );
        let from_var = with_root(config(None, None, Some("prod")), "/r", RootRule::Var);
        let hint = Hint::rerun(&from_var).flag("--yes");
        assert_eq!(hint.render(Form::Cargo), "--env prod --root /r --yes");
        assert_eq!(hint.render(Form::Make), "ENV=prod ONSENDO_ROOT=/r YES=1");
        let file = config(Some("/x/p.db"), None, None);
        assert_eq!(
            Hint::rerun(&file).flag("--dry-run").render(Form::Cargo),
            "--dry-run"
        );
        assert_eq!(
            Hint::rerun(&env_flag)
                .value("--env", "dev")
                .render(Form::Make),
            "ENV=dev"
        );
        assert_eq!(
            Hint::rerun(&env_flag)
                .value("--env", "dev")
                .render(Form::Cargo),
            "--env dev"
        );
    }
}
