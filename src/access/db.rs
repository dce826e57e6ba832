//! The one way to open a database: header check, environment identity (stamp, canonical path),
//! the test guard, then a configured connection.
//!
//! Journal mode: databases are created in rollback-journal mode (`DELETE`) with `synchronous=FULL`.
//! At rest the database is then one self-contained file (no `-wal`/`-shm` beside it), which a user
//! may copy or inspect safely, and a reader's shared lock keeps writers out, so a copy taken under
//! it is consistent. The app's writes are short, single-user transactions, where WAL's concurrency
//! buys nothing. A database already in WAL mode (a legacy file) is left in WAL mode.

use crate::access::{guard, stamp};
use crate::migrate;
use crate::migrate::Catalog;
use crate::selection::config::{DatabaseConfig, Rule};
use crate::selection::env::Environment;
use crate::selection::hint::Hint;
use crate::shared::error::{sqlite_error, Error, Result};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a statement waits for another process's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What a command needs from the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read only; the file must exist.
    Read,
    /// Read and write; the file must exist.
    Write,
}

/// Which environment a database file belongs to, and how that was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// The environment whose rules apply (a custom file gets the care of dev).
    pub env: Environment,
    /// The stamp inside the file, if any.
    pub stamp: Option<Environment>,
    /// A `--database` file that is no environment's: neither stamped nor at a canonical path.
    pub custom: bool,
}

/// An open database with its resolved identity.
#[derive(Debug)]
pub struct Database {
    conn: Connection,
    config: DatabaseConfig,
    identity: Identity,
    dry_run: bool,
}

impl Database {
    /// The connection.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The resolution that led here.
    pub fn config(&self) -> &DatabaseConfig {
        &self.config
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.config.path
    }

    /// The environment and stamp.
    pub fn identity(&self) -> Identity {
        self.identity
    }

    /// The schema version.
    pub fn version(&self) -> Result<usize> {
        migrate::current(&self.conn, self.path())
    }

    /// Runs `work` in one `BEGIN IMMEDIATE` transaction; commits it, or rolls it back on error or
    /// in a dry run.
    pub fn write<T>(&mut self, work: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let path = self.config.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sqlite_error(&path, "cannot start a write", e))?;
        let value = work(&tx)?;
        if self.dry_run {
            tx.rollback()
                .map_err(|e| sqlite_error(&path, "cannot roll back the dry run", e))?;
        } else {
            tx.commit()
                .map_err(|e| sqlite_error(&path, "cannot commit", e))?;
        }
        Ok(value)
    }

    /// Marks every later [`Database::write`] as a dry run.
    pub(crate) fn set_dry_run(&mut self, dry_run: bool) {
        self.dry_run = dry_run;
    }
}

/// Refuses a path that names no regular file: a folder, a FIFO, a device, or nothing; `what`
/// says what the file was to be ("backup", "database"); `config`, the selection the command runs
/// under, names the backups to list.
pub fn require_file(path: &Path, what: &str, config: &DatabaseConfig) -> Result<()> {
    let lists = format!(
        "`{}` lists the backups",
        Hint::command(config, "database backups")
    );
    crate::selection::paths::refuse_special(path, what)
        .map_err(|e| Error::failed(format!("{e} ({lists})")))?;
    if !path.is_file() {
        return Err(Error::failed(format!(
            "{what} `{}` does not exist; check the path ({lists})",
            path.display()
        )));
    }
    Ok(())
}

/// Refuses a file that is not SQLite by its header; a 0-byte file is not a database.
pub(crate) fn check_header(path: &Path) -> Result<()> {
    crate::selection::paths::refuse_special(path, "database")?;
    let file = std::fs::File::open(path)
        .map_err(|e| Error::failed(format!("cannot open `{}`", path.display())).because(e))?;
    check_header_in(&file, path)
}

/// [`check_header`] through an open descriptor of `path`. (A process must not close a
/// descriptor of a database file while one of its connections holds a lock on it: POSIX drops all
/// of the process's locks on the file at that close. Code that checks a file that another
/// thread may have locked reads it through a descriptor opened before and closed after.)
pub(crate) fn check_header_in(file: &std::fs::File, path: &Path) -> Result<()> {
    use std::os::unix::fs::FileExt;
    let mut header = [0u8; 100];
    let mut read = 0;
    while read < header.len() {
        match file.read_at(&mut header[read..], read as u64) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => {
                return Err(Error::failed(format!("cannot read `{}`", path.display())).because(e))
            }
        }
    }
    if read == 0 {
        return Err(Error::failed(format!(
            "`{}` is empty (0 bytes), not a SQLite database; remove it, or restore it from a backup",
            path.display()
        )));
    }
    if read < header.len() || &header[..16] != SQLITE_HEADER {
        return Err(Error::failed(format!(
            "`{}` is not a SQLite database (its header is wrong); check the path, or restore it from a backup",
            path.display()
        )));
    }
    Ok(())
}

/// Whether the header of the database open as `file` marks it as a WAL database (file format
/// versions 2 at offsets 18 and 19).
pub(crate) fn is_wal_in(file: &std::fs::File, path: &Path) -> Result<bool> {
    use std::os::unix::fs::FileExt;
    let mut versions = [0u8; 2];
    file.read_exact_at(&mut versions, 18)
        .map_err(|e| Error::failed(format!("cannot read `{}`", path.display())).because(e))?;
    Ok(versions == [2, 2])
}

/// Opens an existing database for `config`, after checking its header, its identity and the
/// test guard. A stamp that disagrees with the selected environment is refused.
pub(crate) fn open(config: &DatabaseConfig, access: Access) -> Result<Database> {
    let path = &config.path;
    guard::ensure_test_sandbox(path)?;
    crate::selection::paths::refuse_special(path, "database")?;
    if !path.exists() {
        return Err(Error::failed(format!(
            "database `{}` does not exist; create it with `{}`",
            path.display(),
            Hint::command(config, "database init")
        )));
    }
    let canonical = config.layout.environment_of(path);
    check_header(path)?;
    let reader = connect(path, Access::Read)?;
    let stamp = stamp::read(&reader, path, Some(config))?;
    drop(reader);
    let identity = identify(config, canonical, stamp)?;
    let conn = connect(path, access)?;
    Ok(Database {
        conn,
        config: config.clone(),
        identity,
        dry_run: false,
    })
}

/// Decides the environment of a file from the selection, its canonical path and its stamp.
pub(crate) fn identify(
    config: &DatabaseConfig,
    canonical: Option<Environment>,
    stamp: Option<Environment>,
) -> Result<Identity> {
    let path = config.path.display();
    match config.env {
        Some(selected) => {
            // The canonical prod file is prod whatever its stamp says (a copy of dev placed there
            // still holds what prod's rules protect).
            let prod = Some(Environment::Prod);
            if canonical == prod && stamp != prod && selected != Environment::Prod {
                return Err(Error::refused(format!(
                    "database `{path}` is the canonical file of `prod`, but `{selected}` was selected; the prod path is prod whatever its stamp: select it with `{}`",
                    Hint::rerun(config).value("--env", Environment::Prod)
                )));
            }
            let found = stamp.or(if config.rule == Rule::DatabaseFlag {
                canonical
            } else {
                None
            });
            if let Some(found) = found.filter(|found| *found != selected) {
                let how = if stamp.is_some() {
                    "is stamped"
                } else {
                    "is the canonical file of"
                };
                let rule = if config.rule == Rule::DatabaseFlag {
                    "--env"
                } else {
                    config.rule.describe()
                };
                return Err(Error::refused(format!(
                    "database `{path}` {how} `{found}`, but `{selected}` was selected ({rule}); select it with `{}`, or re-stamp it with `{}`",
                    Hint::rerun(config).value("--env", found),
                    Hint::command(config, "database stamp").on_file().value("--env", selected)
                )));
            }
            Ok(Identity {
                env: selected,
                stamp,
                custom: false,
            })
        }
        None => {
            let prod = Some(Environment::Prod);
            let env = if stamp == prod || canonical == prod {
                prod
            } else {
                stamp.or(canonical)
            };
            Ok(Identity {
                env: env.unwrap_or(Environment::Dev),
                stamp,
                custom: env.is_none(),
            })
        }
    }
}

/// A connection with the project's settings: busy timeout, foreign keys on. Under tests, only
/// inside the test sandbox.
///
/// A write to the file that was interrupted (a crash, a SIGKILL) leaves a hot journal, which only
/// a connection that may write can roll back: SQLite refuses a read-only one
/// (`SQLITE_READONLY_ROLLBACK`). For a read, the file is then opened for writing once, which rolls
/// the journal back to the last commit, as SQLite does on any such open, and opened again to read.
pub fn connect(path: &Path, access: Access) -> Result<Connection> {
    guard::ensure_test_sandbox(path)?;
    crate::selection::paths::refuse_special(path, "database")?;
    match open_configured(path, access) {
        Err((_, e)) if access == Access::Read && is_hot_journal_refusal(&e) => {
            let rolled_back = open_configured(path, Access::Write).and_then(|conn| {
                conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
                    .map_err(|e| ("cannot roll back the interrupted write to", e))
            });
            rolled_back.and_then(|()| open_configured(path, access))
        }
        opened => opened,
    }
    .map_err(|(doing, e)| sqlite_error(path, doing, e))
}

/// Opens and configures a connection; on error, what failed and SQLite's error.
fn open_configured(
    path: &Path,
    access: Access,
) -> std::result::Result<Connection, (&'static str, rusqlite::Error)> {
    let flags = match access {
        Access::Read => OpenFlags::SQLITE_OPEN_READ_ONLY,
        Access::Write => OpenFlags::SQLITE_OPEN_READ_WRITE,
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| ("cannot open database", e))?;
    apply_settings(&conn).map_err(|e| ("cannot configure", e))?;
    Ok(conn)
}

/// Whether SQLite refused a read-only connection because of a hot journal.
fn is_hot_journal_refusal(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_READONLY_ROLLBACK
    )
}

/// The settings of every connection: the busy handler, foreign keys on, full sync.
fn apply_settings(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_handler(Some(wait_for_lock))?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
}

/// The busy handler: retries every millisecond until [`BUSY_TIMEOUT`] has passed since the first
/// try. (SQLite's own busy timeout backs off to 100 ms sleeps; against a writer committing back
/// to back in rollback-journal mode, whose lock is free only between its transactions, those
/// sleeps kept missing the gaps, and readers such as a backup gave up after the whole timeout.)
fn wait_for_lock(attempts: i32) -> bool {
    thread_local! {
        static FIRST_TRY: std::cell::Cell<Instant> = std::cell::Cell::new(Instant::now());
    }
    let now = Instant::now();
    if attempts == 0 {
        FIRST_TRY.with(|first| first.set(now));
        crate::shared::error::WAITED.with(|waited| waited.set(None));
    }
    let waited = now.duration_since(FIRST_TRY.with(std::cell::Cell::get));
    if waited >= BUSY_TIMEOUT {
        crate::shared::error::gave_up_after(waited);
        return false;
    }
    std::thread::sleep(Duration::from_millis(1));
    true
}

/// An empty in-memory database, for the library's scratch work (the schema the migrations make).
pub(crate) fn in_memory() -> Result<Connection> {
    Connection::open_in_memory().map_err(|e| {
        sqlite_error(
            Path::new(":memory:"),
            "cannot open an in-memory database as",
            e,
        )
    })
}

/// Creates a database file at `path` (a temporary name of the caller's, which must not exist)
/// readable by its owner only, and connects to it, for the library's own builders and copies;
/// commands reach databases through [`open`].
pub(crate) fn create(path: &Path) -> Result<Connection> {
    crate::shared::durable::create_private(path)
        .map_err(|e| Error::failed(format!("cannot create `{}`", path.display())).because(e))?;
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sqlite_error(path, "cannot create database", e))
}

/// Creates a new database at a temporary path: rollback-journal mode, migrated to `catalog`'s
/// head, stamped (unless it is a custom file of no environment); `prepare` adds data in the same
/// transaction.
pub fn build_new(
    path: &Path,
    env: Option<Environment>,
    catalog: &Catalog,
    prepare: impl FnOnce(&Transaction) -> Result<usize>,
) -> Result<usize> {
    let mut conn = create(path)?;
    apply_settings(&conn).map_err(|e| sqlite_error(path, "cannot configure", e))?;
    conn.pragma_update(None, "journal_mode", "DELETE")
        .map_err(|e| sqlite_error(path, "cannot set the journal mode of", e))?;
    let tx = conn
        .transaction()
        .map_err(|e| sqlite_error(path, "cannot start a write on", e))?;
    migrate::runner::up(&tx, catalog, 0, catalog.head(), path)?;
    if let Some(env) = env {
        stamp::write(&tx, env, path)?;
    }
    let added = prepare(&tx)?;
    tx.commit()
        .map_err(|e| sqlite_error(path, "cannot commit", e))?;
    conn.close()
        .map_err(|(_, e)| sqlite_error(path, "cannot close", e))?;
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selection::config::RootRule;
    use crate::selection::paths::Layout;
    use crate::shared::error::Kind;
    use std::path::PathBuf;

    fn config(env: Option<Environment>, rule: Rule) -> DatabaseConfig {
        DatabaseConfig {
            layout: Layout::new(PathBuf::from("/r")),
            root_rule: RootRule::Flag,
            path: PathBuf::from("/r/x.db"),
            env,
            rule,
        }
    }

    #[test]
    fn a_stamp_that_disagrees_is_refused() {
        let err = identify(
            &config(Some(Environment::Dev), Rule::EnvFlag),
            None,
            Some(Environment::Prod),
        )
        .unwrap_err();
        assert_eq!(err.kind(), Kind::Refused);
        assert!(err.to_string().contains("stamped `prod`"), "{err}");
    }

    #[test]
    fn a_database_flag_takes_the_files_environment() {
        use Environment::*;
        let by_path = config(None, Rule::DatabaseFlag);
        let cases = [
            (None, None, Dev, true),
            (None, Some(Test), Test, false),
            (Some(Prod), None, Prod, false),
            (Some(Dev), Some(Prod), Prod, false),
            (Some(Prod), Some(Dev), Prod, false),
            (Some(Test), Some(Dev), Dev, false),
        ];
        for (canonical, stamp, env, custom) in cases {
            let identity = identify(&by_path, canonical, stamp).unwrap();
            assert_eq!(
                (identity.env, identity.custom),
                (env, custom),
                "{canonical:?} {stamp:?}"
            );
        }
        let err = identify(&config(Some(Dev), Rule::DatabaseFlag), Some(Prod), None).unwrap_err();
        assert_eq!(err.kind(), Kind::Refused);
    }

    #[test]
    fn the_prod_path_is_prod_whatever_its_stamp() {
        use Environment::*;
        for stamp in [None, Some(Dev), Some(Test)] {
            for rule in [Rule::DatabaseFlag, Rule::EnvFlag] {
                let err = identify(&config(Some(Dev), rule), Some(Prod), stamp).unwrap_err();
                assert_eq!(err.kind(), Kind::Refused, "{stamp:?} {rule:?}");
                assert!(
                    err.to_string().contains("canonical file of `prod`")
                        && !err.to_string().contains("stamp --env dev"),
                    "{err}"
                );
            }
        }
        let err = identify(&config(Some(Prod), Rule::EnvFlag), Some(Prod), Some(Dev)).unwrap_err();
        assert!(err.to_string().contains("stamped `dev`"), "{err}");
    }

    #[test]
    fn headers_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        assert!(check_header(&empty)
            .unwrap_err()
            .to_string()
            .contains("0 bytes"));
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "hello ".repeat(40)).unwrap();
        assert!(check_header(&text)
            .unwrap_err()
            .to_string()
            .contains("not a SQLite database"));
        let real = dir.path().join("real.db");
        build_new(&real, Some(Environment::Test), &Catalog::built_in(), |_| {
            Ok(0)
        })
        .unwrap();
        check_header(&real).unwrap();
    }
}
