//! Where things live under the root: database files, backups, logs; and finding the root.

use crate::selection::env::Environment;
use crate::shared::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The variable that names the root directory (holding `data/` and `artifacts/`).
pub(crate) const ROOT_VAR: &str = "ONSENDO_ROOT";

/// The directory layout under one root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout under `root`.
    pub fn new(root: PathBuf) -> Layout {
        Layout { root }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `data/db/`, the folder of the database files.
    pub fn database_dir(&self) -> PathBuf {
        self.root.join("data").join("db")
    }

    /// The canonical database file of an environment: `data/db/onsen.<env>.db`.
    pub fn database(&self, env: Environment) -> PathBuf {
        self.database_dir().join(format!("onsen.{}.db", env.name()))
    }

    /// The environment whose canonical file `path` is, however it reaches it: decided by the
    /// file (device and inode), so a hard link, a symlink, a `..` spelling or a bind mount of
    /// the prod file is prod; where no file exists yet, by the resolved real path. This is the
    /// one place that says which environment a path is.
    pub fn environment_of(&self, path: &Path) -> Option<Environment> {
        let id = file_id(path);
        let real = match id {
            Some(_) => None,
            None => Some(real_path(path)?),
        };
        Environment::ALL.into_iter().find(|env| {
            let canonical = self.database(*env);
            match id {
                Some(id) => file_id(&canonical) == Some(id),
                None => real_path(&canonical) == real,
            }
        })
    }

    /// The name under which the file `path` reaches is known: its environment's canonical path
    /// when it is that environment's file ([`Layout::environment_of`]), else `path` itself. Locks
    /// and a restore's record of its intent are kept by this name.
    pub fn canonical_of(&self, path: &Path) -> PathBuf {
        match self.environment_of(path) {
            Some(env) => self.database(env),
            None => path.to_path_buf(),
        }
    }

    /// The legacy single database, `data/db/onsen.db`.
    pub fn legacy_database(&self) -> PathBuf {
        self.database_dir().join("onsen.db")
    }

    /// `migrations/`: when it exists, the migrations are read from it instead of the set built
    /// into the binary.
    pub fn migrations_dir(&self) -> PathBuf {
        self.root.join("migrations")
    }

    /// `artifacts/db/backups/`
    pub fn backup_dir(&self) -> PathBuf {
        self.root.join("artifacts").join("db").join("backups")
    }

    /// `artifacts/logs/`
    pub(crate) fn log_dir(&self) -> PathBuf {
        self.root.join("artifacts").join("logs")
    }

    /// `artifacts/logs/prod_audit.log`
    pub fn audit_log(&self) -> PathBuf {
        self.log_dir().join("prod_audit.log")
    }
}

/// Finds the repository root from `start` or any directory above it: the first directory that
/// holds both `Cargo.toml` and `migrations/`.
pub(crate) fn discover_root(start: &Path) -> Result<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join("Cargo.toml").is_file() && dir.join("migrations").is_dir())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            Error::usage(format!(
                "cannot find the onsendo repository from `{}`; run inside it, or name the root with --root DIR or {ROOT_VAR}",
                start.display()
            ))
        })
}

/// Finds the repository root from the current directory.
pub(crate) fn discover_root_from_cwd() -> Result<PathBuf> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::failed("cannot read the current directory").because(e))?;
    discover_root(&cwd)
}

/// Refuses a path that names something other than a regular file (a folder, a FIFO, a device,
/// a socket), following symlinks, without opening it (opening a FIFO waits for a writer
/// forever); a path that names nothing passes, for the caller to create or report. Every open
/// and create of a database goes through this check; `what` says what the file was to be.
pub fn refuse_special(path: &Path, what: &str) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(metadata) = std::fs::metadata(path) else {
        return Ok(());
    };
    let kind = metadata.file_type();
    let found = if kind.is_file() {
        return Ok(());
    } else if kind.is_dir() {
        "a folder"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    };
    Err(Error::failed(format!(
        "`{}` is {found}, not a {what} file; name a regular file",
        path.display()
    )))
}

/// A file's device and inode: what tells two names of one file from two files.
pub(crate) fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Whether two paths name the same file or folder (by `file_id`; by spelling when either is
/// missing).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (file_id(a), file_id(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// The path with symlinks and `..` resolved as far as it exists, so that no spelling of a path
/// can step around a check; `None` when a part that does not exist yet holds `..`.
pub(crate) fn real_path(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return Some(
                rest.iter()
                    .rev()
                    .fold(real, |acc: PathBuf, part| acc.join(part)),
            );
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_paths() {
        let layout = Layout::new(PathBuf::from("/r"));
        assert_eq!(
            layout.database(Environment::Prod),
            Path::new("/r/data/db/onsen.prod.db")
        );
        assert_eq!(layout.legacy_database(), Path::new("/r/data/db/onsen.db"));
        assert_eq!(
            layout.audit_log(),
            Path::new("/r/artifacts/logs/prod_audit.log")
        );
    }

    #[test]
    fn root_is_found_from_a_subdirectory() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(
            discover_root(&here.join("src").join("nowhere")).unwrap(),
            here
        );
        let outside = tempfile::tempdir().unwrap();
        assert!(discover_root(outside.path()).is_err());
    }

    #[test]
    fn the_environment_of_a_path_is_decided_by_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path().to_path_buf());
        let prod = layout.database(Environment::Prod);
        let other = dir.path().join("other");
        std::fs::create_dir_all(prod.parent().unwrap()).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        // Before the file exists, by its real path.
        let spelled = other.join("..").join("data/db/onsen.prod.db");
        assert_eq!(layout.environment_of(&spelled), Some(Environment::Prod));
        assert_eq!(layout.environment_of(&other.join("x.db")), None);
        std::fs::write(&prod, b"x").unwrap();
        std::fs::hard_link(&prod, other.join("linked.db")).unwrap();
        std::os::unix::fs::symlink(&prod, other.join("symlinked.db")).unwrap();
        std::fs::write(other.join("copy.db"), b"x").unwrap();
        for name in ["linked.db", "symlinked.db"] {
            assert_eq!(
                layout.environment_of(&other.join(name)),
                Some(Environment::Prod),
                "{name}"
            );
        }
        assert_eq!(layout.environment_of(&spelled), Some(Environment::Prod));
        assert_eq!(layout.environment_of(&other.join("copy.db")), None);
    }

    #[test]
    fn only_regular_files_and_missing_paths_pass() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.db");
        std::fs::write(&file, b"x").unwrap();
        refuse_special(&file, "database").unwrap();
        refuse_special(&dir.path().join("missing.db"), "database").unwrap();
        let fifo = dir.path().join("fifo");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo with a NUL-terminated path that lives across the call.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let socket = dir.path().join("socket");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let cases = [
            (dir.path(), "a folder"),
            (fifo.as_path(), "a FIFO"),
            (socket.as_path(), "a socket"),
            (Path::new("/dev/null"), "a device"),
        ];
        for (path, kind) in cases {
            let err = refuse_special(path, "database").unwrap_err();
            assert!(err.to_string().contains(&format!("is {kind}")), "{err}");
        }
    }

    #[test]
    fn real_path_resolves_dots_and_missing_tails() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        let spelled = dir.path().join("a").join("..").join("b").join("c.db");
        assert_eq!(real_path(&spelled), None);
        std::fs::create_dir(dir.path().join("a")).unwrap();
        assert_eq!(real_path(&spelled), Some(real.join("b").join("c.db")));
    }
}
