//! The guarded road every command of both binaries takes: resolve, open, guard (banner,
//! confirmation, audit), work, record.

use crate::access::audit::{self, AuditLog, Record};
use crate::access::db::{self, Access, Database, Identity};
use crate::access::guard::{self, Decision, Situation};
use crate::access::lock::{self, Lock};
use crate::migrate::Catalog;
use crate::selection::config::{self, DatabaseConfig, Flags, Vars};
use crate::selection::env::Environment;
use crate::selection::hint::Hint;
use crate::selection::paths::discover_root_from_cwd;
use crate::shared::durable::{self, folder_of};
use crate::shared::error::{Error, Result};
use crate::ui;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The options every command takes, before or after its subcommand.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--database`, `--env`, `--root`.
    pub flags: Flags,
    /// `--yes`: the confirmation for destructive work on prod.
    pub yes: bool,
    /// `--dry-run`: show what would change, change nothing.
    pub dry_run: bool,
}

/// What a command does to its database, as far as the guards care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Only reads.
    Read,
    /// Creates the database if it is missing; never changes an existing one.
    Create,
    /// Adds data without changing or deleting existing data.
    Write,
    /// Changes or deletes existing data or schema: confirmation on prod.
    Destructive,
}

/// A command run through the road: its description and its resolved database.
#[derive(Debug)]
pub struct Session {
    options: Options,
    operation: String,
    effect: Effect,
    config: DatabaseConfig,
    started: Instant,
    audit: Option<AuditLog>,
    confirmation: &'static str,
    backup: Option<PathBuf>,
    spared: Vec<PathBuf>,
    /// Older backups the operation removed, for the audit record.
    removed: Vec<PathBuf>,
    /// The backup the operation restored, for the audit record.
    restored: Option<String>,
    decided_by: Option<&'static str>,
    locks: Vec<(PathBuf, Hold, Lock)>,
}

/// How a command holds the lock of a database file (see `crate::access::lock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Writes through SQLite's own transactions (the app, `exec --write`, a backup): any number
    /// at once, none while a command holds the lock exclusively.
    Shared,
    /// Creates, replaces, restores, migrates or re-stamps the file: alone.
    Exclusive,
}

/// Whether [`Session::create_or_open`] made the database or found it.
#[derive(Debug)]
pub enum Opened {
    /// It was created: migrated, stamped, with this many rows of reference data.
    Created { seeded: usize },
    /// It was there already.
    Existing(Database),
    /// `--dry-run`: it is missing and would be created.
    WouldCreate,
}

impl Session {
    /// Resolves the database from the options and this process's environment variables; the
    /// root must exist unless the command creates the database (`init`).
    pub fn begin(
        options: &Options,
        operation: impl Into<String>,
        effect: Effect,
    ) -> Result<Session> {
        let config = config::resolve(
            &options.flags,
            &Vars::from_process(),
            discover_root_from_cwd,
        )?;
        if effect != Effect::Create {
            config.require_root()?;
        }
        Ok(Session {
            options: options.clone(),
            operation: operation.into(),
            effect,
            config,
            started: Instant::now(),
            audit: None,
            confirmation: "not needed",
            backup: None,
            spared: Vec::new(),
            removed: Vec::new(),
            restored: None,
            decided_by: None,
            locks: Vec::new(),
        })
    }

    /// The options the command was given.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The resolved configuration.
    pub fn config(&self) -> &DatabaseConfig {
        &self.config
    }

    /// Takes the lock of the selected database for the rest of the session, as `hold` says
    /// (a command that writes takes it shared when it opens the database; one that creates,
    /// replaces or restores the file takes it exclusively before it decides anything). Dead runs'
    /// temporaries in the database's folder go once the lock is held.
    pub fn lock(&mut self, hold: Hold) -> Result<()> {
        let path = self.config.path.clone();
        self.lock_file(&path, hold)
    }

    /// [`Session::lock`] for a database file the command handles itself (the split's targets).
    /// The lock is the environment's whichever name reaches its file (identity by file).
    pub fn lock_file(&mut self, path: &Path, hold: Hold) -> Result<()> {
        let key = self.config.layout.canonical_of(path);
        guard::ensure_test_sandbox(&key)?;
        if self
            .locks
            .iter()
            .any(|(held, how, _)| *held == key && (*how == Hold::Exclusive || hold == Hold::Shared))
        {
            return Ok(());
        }
        // A shared hold raised to an exclusive one is let go first (flock's own upgrade is not
        // atomic either); what the command decides, it decides after the exclusive one is held.
        self.locks.retain(|(held, ..)| *held != key);
        let folder = folder_of(&key);
        if !folder.is_dir() {
            durable::create_private_folder(&folder).map_err(|e| {
                Error::failed(format!("cannot create the folder `{}`", folder.display())).because(e)
            })?;
        }
        let exclusive = hold == Hold::Exclusive;
        let lock = lock::acquire(
            &key,
            &self.operation,
            exclusive,
            lock::wait_from_process()?,
            &mut |holder| ui::waiting_for(&key, &lock::who(holder)),
        )?;
        durable::remove_stale_temps(&folder)?;
        self.locks.push((key, hold, lock));
        Ok(())
    }

    /// Opens the existing database through every guard; a command that writes holds its lock
    /// (shared) from here on.
    pub fn open(&mut self) -> Result<Database> {
        let access = if self.effect == Effect::Read {
            Access::Read
        } else {
            self.lock(Hold::Shared)?;
            Access::Write
        };
        let mut db = db::open(&self.config, access)?;
        self.guard(db.identity())?;
        db.set_dry_run(self.options.dry_run);
        Ok(db)
    }

    /// Raises what the command does, once reading showed there is work to do: the guards run
    /// again for `effect` (banner, confirmation on prod) and the database is reopened for it.
    pub fn escalate(&mut self, effect: Effect) -> Result<Database> {
        self.effect = effect;
        self.open()
    }

    /// Opens the database for a command that only makes sense on throwaway data (reset, mock
    /// data): prod is refused outright, with no override, before anything is written; on any
    /// other environment the guards run again for `effect`. Begin such a session as a read.
    pub fn open_throwaway(&mut self, effect: Effect) -> Result<Database> {
        let identity = self.open()?.identity();
        if identity.env == Environment::Prod {
            self.confirmation = "refused";
            return Err(Error::refused(format!(
                "`{}` is for dev and test only and prod is refused, with no override; prod data comes only from the app, `database sql` or `database restore`",
                self.operation
            )));
        }
        self.escalate(effect)
    }

    /// Opens the database read-only as the file itself says it is (its stamp, else its path),
    /// without refusing a stamp that disagrees with the selection: for diagnostics that report
    /// the disagreement instead. The test guard still applies.
    pub(crate) fn inspect(&mut self) -> Result<Database> {
        let by_file = DatabaseConfig {
            env: None,
            ..self.config.clone()
        };
        let db = db::open(&by_file, Access::Read)?;
        self.guard(db.identity())?;
        Ok(db)
    }

    /// Opens the database to re-stamp it as `target`: the file is identified by itself, and the
    /// prod rules apply when either its current environment or `target` is prod. A canonical file
    /// cannot take another environment's stamp.
    pub fn open_for_stamp(&mut self, target: Environment) -> Result<Database> {
        let path = self.config.path.clone();
        if let Some(canonical) = self
            .config
            .layout
            .environment_of(&path)
            .filter(|env| *env != target)
        {
            return Err(Error::refused(format!(
                "`{}` is the canonical {canonical} database and cannot be stamped `{target}`; stamp it `{canonical}`",
                path.display()
            )));
        }
        let by_file = DatabaseConfig {
            env: None,
            ..self.config.clone()
        };
        let mut db = db::open(&by_file, Access::Write)?;
        let current = db.identity();
        let prod = Environment::Prod;
        let env = if current.env == prod || target == prod {
            prod
        } else {
            target
        };
        self.guard(Identity {
            env,
            stamp: current.stamp,
            custom: false,
        })?;
        db.set_dry_run(self.options.dry_run);
        Ok(db)
    }

    /// Opens the database, or creates it (migrated, stamped, with `seed` run in the same
    /// transaction) under a temporary name and moves it into place without overwriting.
    /// An existing database is only read.
    pub fn create_or_open(
        &mut self,
        seed: impl FnOnce(&rusqlite::Transaction) -> Result<usize>,
    ) -> Result<Opened> {
        let path = self.config.path.clone();
        if !self.options.dry_run {
            self.lock(Hold::Exclusive)?;
        }
        if path.exists() {
            self.effect = Effect::Read;
            return self.open().map(Opened::Existing);
        }
        let canonical = self.config.layout.environment_of(&path);
        self.refuse_beside_an_unsplit_legacy(canonical)?;
        let env = self.config.env.or(canonical);
        let identity = Identity {
            env: env.unwrap_or(Environment::Dev),
            stamp: env,
            custom: env.is_none(),
        };
        guard::ensure_test_sandbox(&path)?;
        self.guard(identity)?;
        if self.options.dry_run {
            return Ok(Opened::WouldCreate);
        }
        let folder = folder_of(&path);
        durable::create_private_folder(&folder).map_err(|e| {
            Error::failed(format!("cannot create the folder `{}`", folder.display())).because(e)
        })?;
        let temp = durable::TempFile::beside(&path)?;
        let catalog = Catalog::of(&self.config.layout)?;
        let seeded = db::build_new(temp.path(), env, &catalog, seed)?;
        temp.place(&path)?;
        Ok(Opened::Created { seeded })
    }

    /// Refuses to create dev's or prod's database (`canonical` is the environment whose file is
    /// to be made, if any) while the legacy `data/db/onsen.db` is still there: `migrate-to-envs`
    /// makes both from it, and skips a target that exists, so an empty one made now would keep the
    /// legacy data out of it.
    fn refuse_beside_an_unsplit_legacy(&self, canonical: Option<Environment>) -> Result<()> {
        let legacy = self.config.layout.legacy_database();
        if !matches!(canonical, Some(Environment::Dev | Environment::Prod)) || !legacy.exists() {
            return Ok(());
        }
        Err(Error::refused(format!(
            "database `{}` does not exist yet, but the legacy database `{}` does; split it first with `{}`, which makes the dev and prod databases from it (an empty one made now would keep its data out); nothing was created",
            self.config.path.display(),
            legacy.display(),
            Hint::command(&self.config, "database migrate-to-envs")
        )))
    }

    /// Guards work on `path`, a database of `env` that the command handles itself (the copy
    /// engine) instead of opening it: banner or notice, confirmation, audit log. `why` says what
    /// made it that environment's database.
    pub fn confirm_for(
        &mut self,
        path: PathBuf,
        env: Environment,
        why: &'static str,
    ) -> Result<()> {
        guard::ensure_test_sandbox(&path)?;
        self.decided_by = Some(why);
        self.config.path = path;
        self.config.env = Some(env);
        self.guard(Identity {
            env,
            stamp: Some(env),
            custom: false,
        })
    }

    /// Keeps `backup` out of the retention the session applies after its safety copy: the
    /// backup a command is about to read (a restore's source).
    pub fn spare(&mut self, backup: &Path) {
        self.spared.push(backup.to_path_buf());
    }

    /// The backups [`Session::spare`] named.
    pub fn spared(&self) -> &[PathBuf] {
        &self.spared
    }

    /// Notes the backup the operation made, for the audit record.
    pub fn record_backup(&mut self, path: &Path) {
        self.backup = Some(path.to_path_buf());
    }

    /// Notes older backups the operation removed, for the audit record.
    pub fn record_removed(&mut self, paths: Vec<PathBuf>) {
        self.removed.extend(paths);
    }

    /// Notes the backup the operation restores (a file, and the snapshot it came from if any),
    /// for the audit record.
    pub fn record_restored(&mut self, what: String) {
        self.restored = Some(what);
    }

    /// Whether the selection names prod: by environment, or by prod's canonical path.
    fn selects_prod(&self) -> bool {
        let prod = Some(Environment::Prod);
        self.config.env == prod || self.config.layout.environment_of(&self.config.path) == prod
    }

    /// Banner or notice, confirmation, and the audit log for prod.
    fn guard(&mut self, identity: Identity) -> Result<()> {
        let Identity { env, custom, .. } = identity;
        let path = self.config.path.clone();
        if env == Environment::Prod && self.audit.is_none() {
            match AuditLog::open(&self.config.layout) {
                Ok(log) => self.audit = Some(log),
                Err(e) if self.effect == Effect::Read => eprintln!("warning: {e}"),
                Err(e) => return Err(e),
            }
        }
        let decided_by = if let Some(why) = self.decided_by {
            why
        } else if self.config.rule == config::Rule::DatabaseFlag && identity.stamp.is_some() {
            "the stamp in the --database file"
        } else {
            self.config.rule.describe()
        };
        if self.effect != Effect::Read {
            if env == Environment::Prod {
                ui::show_banner(env, &path, &self.operation, decided_by);
            } else {
                ui::show_write_line(env, &path, &self.operation, custom);
            }
        }
        let situation = Situation {
            env,
            destructive: self.effect == Effect::Destructive,
            yes: self.options.yes,
            dry_run: self.options.dry_run,
            tty: ui::interactive(),
        };
        let decision = guard::decide(situation);
        self.confirmation = match decision {
            Decision::Proceed if !situation.destructive || env != Environment::Prod => "not needed",
            Decision::Proceed if self.options.dry_run => "dry-run",
            Decision::Proceed => "--yes",
            Decision::Ask => "typed",
            Decision::Refuse => "refused",
        };
        let outcome = match decision {
            Decision::Proceed => Ok(()),
            Decision::Ask => ui::confirm_on_terminal(env),
            Decision::Refuse => Err(Error::refused(format!(
                "refusing to run `{}` on prod without a confirmation: there is no terminal to ask on; re-run with `{}` to confirm, or with `{}` to preview",
                self.operation,
                Hint::rerun(&self.config).flag("--yes"),
                Hint::rerun(&self.config).flag("--dry-run")
            ))),
        };
        if outcome.is_err() {
            self.confirmation = "refused";
            return outcome;
        }
        self.start_audit()
    }

    /// Writes the start record of a prod operation whose log is open, once, as its work begins,
    /// and tells of the operations it found interrupted. A write does not start without it; a
    /// read goes on with a warning, unrecorded.
    fn start_audit(&mut self) -> Result<()> {
        let Some(log) = self.audit.as_mut().filter(|log| !log.started()) else {
            return Ok(());
        };
        match log.start(&audit::redact(&command_line()), &self.config.path) {
            Ok(interrupted) => {
                self.tell_interrupted(&interrupted);
                Ok(())
            }
            Err(e) => {
                self.audit = None;
                if self.effect == Effect::Read {
                    eprintln!("warning: {e}");
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }

    /// One line on stderr for each prod operation just recorded as interrupted.
    fn tell_interrupted(&self, interrupted: &[audit::Unfinished]) {
        for op in interrupted {
            eprintln!(
                "note: a prod operation was interrupted: {op}; it recorded no outcome and its process is gone, so it is now recorded as interrupted (see `{}`)",
                Hint::command(&self.config, "database audit")
            );
        }
    }

    /// Records the outcome in the audit log (prod only) and passes the result on. A prod
    /// operation that failed or was refused before its guards opened the log (a stamp that
    /// disagrees, a lock, a missing file) is recorded too, when the log can be opened, with no
    /// start record (it did no work); the interrupted operations it finds are recorded first.
    pub fn finish<T>(self, result: Result<T>) -> Result<T> {
        self.finish_checked(result, None)
    }

    /// [`Session::finish`] for a command that checks something: `failed` is the check's failure,
    /// which the command returns once it has shown its findings; the record says so, not "ok".
    pub fn finish_checked<T>(mut self, result: Result<T>, failed: Option<&Error>) -> Result<T> {
        if self.audit.is_none()
            && result.is_err()
            && self.selects_prod()
            && guard::ensure_test_sandbox(&self.config.layout.audit_log()).is_ok()
        {
            self.audit = AuditLog::open(&self.config.layout).ok();
            match self.audit.as_mut().map(AuditLog::record_interrupted) {
                Some(Ok(interrupted)) => self.tell_interrupted(&interrupted),
                Some(Err(e)) => eprintln!("warning: {e}"),
                None => {}
            }
        }
        if let Some(mut log) = self.audit.take() {
            let outcome = match (&result, failed) {
                (Ok(_), None) => "ok".to_string(),
                (Ok(_), Some(e)) => format!("check failed: {e}"),
                (Err(e), _) if e.kind() == crate::shared::error::Kind::Refused => {
                    format!("refused: {e}")
                }
                (Err(e), _) => format!("failed: {e}"),
            };
            let record = Record {
                command: audit::redact(&command_line()),
                database: self.config.path.clone(),
                confirmation: self.confirmation.to_string(),
                outcome,
                duration_ms: self.started.elapsed().as_millis(),
                backup: self.backup.take(),
                removed: std::mem::take(&mut self.removed),
                restored: self.restored.take(),
            };
            if let Err(e) = log.append(&record) {
                eprintln!("warning: {e}");
            }
        }
        result
    }
}

/// This process's command line; an argument that is not UTF-8 (a file name in another encoding)
/// is recorded with its bad bytes replaced, never a panic after the work is done.
fn command_line() -> Vec<String> {
    std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect()
}

/// The whole road for a command on an existing database: begin, open, work, finish.
pub fn run<T>(
    options: &Options,
    operation: impl Into<String>,
    effect: Effect,
    work: impl FnOnce(&mut Database) -> Result<T>,
) -> Result<T> {
    let mut session = Session::begin(options, operation, effect)?;
    let result = session.open().and_then(|mut db| work(&mut db));
    session.finish(result)
}
