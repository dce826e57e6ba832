//! Crash-safe placement of new files: build under a temporary name in the destination folder,
//! fsync, then link into place without overwriting and fsync the folder.

use crate::shared::error::{Context, Error, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// The folder a file lives in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// An error writing a new file, with the likely cause spelled out.
pub(crate) fn write_error(target: &Path, e: std::io::Error) -> Error {
    let folder = folder_of(target);
    let why = match e.raw_os_error() {
        Some(28) => "the disk is full; free space and retry".to_string(),
        Some(30) | Some(13) => format!("`{}` is not writable", folder.display()),
        _ => format!("check `{}`", folder.display()),
    };
    Error::failed(format!("cannot write `{}`: {why}", target.display())).because(e)
}

/// The mode of every file placed: readable and writable by its owner only (databases and backups
/// hold personal data; `database doctor` fails a prod file that others can read).
pub(crate) const PLACED_MODE: u32 = 0o600;

/// The mode of every folder the tools make (`data/db/`, `artifacts/db/backups/`,
/// `artifacts/logs/`): open to its owner only, like the files in it.
pub(crate) const FOLDER_MODE: u32 = 0o700;

/// Options that create a file with [`PLACED_MODE`]: the one way the tools create a file (add
/// `create_new`, `append` or flags as the caller needs).
pub(crate) fn private_file() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = File::options();
    options.mode(PLACED_MODE);
    options
}

/// Opens a small file the tool keeps beside a database (a lock file, a restore's record) for
/// reading, and writing too when `create` (creating it, private, when missing), refusing anything
/// but a regular file: a symlink there is not followed, and a FIFO neither blocks the open nor
/// receives what the tool writes. The refusal is an `InvalidInput` error saying what to do.
pub(crate) fn open_own_file(path: &Path, create: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened = private_file()
        .read(true)
        .write(create)
        .create(create)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let not_a_file = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it is not a regular file; move it away and the next command makes a new one",
        )
    };
    let file = match opened {
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(not_a_file()),
        opened => opened?,
    };
    if !file.metadata()?.is_file() {
        return Err(not_a_file());
    }
    Ok(file)
}

/// Creates `path`, which must not exist, for writing, with [`PLACED_MODE`].
pub(crate) fn create_private(path: &Path) -> std::io::Result<File> {
    private_file().write(true).create_new(true).open(path)
}

/// Makes the folder `dir` and its missing parents with [`FOLDER_MODE`] (folders that exist keep
/// their mode).
pub(crate) fn create_private_folder(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(FOLDER_MODE)
        .create(dir)
}

/// A file under a temporary name beside its destination; removed on drop unless placed.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    placed: bool,
}

impl TempFile {
    /// A new temporary name beside `destination` (the file itself is not created).
    pub(crate) fn beside(destination: &Path) -> Result<TempFile> {
        let dir = folder_of(destination);
        let name = destination
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let path = dir.join(format!(".{name}.tmp-{}-{nanos:09}", std::process::id()));
        if path.exists() {
            return Err(Error::failed(format!(
                "temporary file `{}` already exists",
                path.display()
            )));
        }
        Ok(TempFile {
            path,
            placed: false,
        })
    }

    /// The temporary path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fsyncs the file, links it to `destination` (failing if that exists), removes the temporary
    /// name and fsyncs the folder.
    pub fn place(mut self, destination: &Path) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        File::open(&self.path)
            .and_then(|file| {
                file.set_permissions(std::fs::Permissions::from_mode(PLACED_MODE))?;
                file.sync_all()
            })
            .failed(|| format!("cannot sync `{}` to disk", self.path.display()))?;
        std::fs::hard_link(&self.path, destination).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::refused(format!(
                    "`{}` appeared while it was being created; nothing was overwritten",
                    destination.display()
                ))
                .because(e)
            } else {
                Error::failed(format!(
                    "cannot move the new file into place at `{}`",
                    destination.display()
                ))
                .because(e)
            }
        })?;
        self.placed = true;
        std::fs::remove_file(&self.path)
            .failed(|| format!("cannot remove the temporary name `{}`", self.path.display()))?;
        sync_dir(&folder_of(destination))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.placed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Readies the folder `dir` for new files: makes it (and its parents) when missing, refusing a
/// file in its place with what to do rather than an OS error about a parent, then removes the
/// temporary files crashed runs left there ([`remove_stale_temps`]).
pub(crate) fn prepare_folder(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::failed(format!(
            "`{}` is not a folder; name a folder (it is made when missing), or move that file away",
            dir.display()
        )));
    }
    create_private_folder(dir).map_err(|e| write_error(dir, e))?;
    remove_stale_temps(dir).map(|_| ())
}

/// Removes the temporary files that crashed runs left in `dir` ([`stale_temps`]). Returns how
/// many were removed. Final names are never touched.
pub(crate) fn remove_stale_temps(dir: &Path) -> Result<usize> {
    let stale = stale_temps(dir);
    for path in &stale {
        std::fs::remove_file(path).failed(|| {
            format!(
                "cannot remove the stale temporary file `{}`",
                path.display()
            )
        })?;
    }
    Ok(stale.len())
}

/// The temporary files that runs which died left in `dir`: names [`TempFile::beside`] makes
/// whose process is gone, sorted.
pub(crate) fn stale_temps(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let alive = |pid: u32| Path::new("/proc").join(pid.to_string()).exists();
    let mut stale: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name
                .starts_with('.')
                .then(|| name.rsplit_once(".tmp-"))
                .flatten()
                .and_then(|(_, tail)| tail.split_once('-'))
                .and_then(|(pid, _)| pid.parse::<u32>().ok());
            pid.is_some_and(|pid| !alive(pid))
        })
        .map(|entry| entry.path())
        .collect();
    stale.sort();
    stale
}

/// Fsyncs a directory so that its entries survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .failed(|| format!("cannot sync folder `{}` to disk", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_never_overwrites_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.db");
        let temp = TempFile::beside(&target).unwrap();
        std::fs::write(temp.path(), b"new").unwrap();
        temp.place(&target).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");

        let second = TempFile::beside(&target).unwrap();
        std::fs::write(second.path(), b"other").unwrap();
        let err = second.place(&target).unwrap_err();
        assert!(err.to_string().contains("nothing was overwritten"), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.db")]);
    }

    #[test]
    fn only_temporary_files_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            ".a.db.tmp-999999999-000000001",
            &format!(".a.db.tmp-{}-000000002", std::process::id()),
            "a.db",
            ".a.db.tmp-notapid-1",
        ];
        for name in names {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert_eq!(remove_stale_temps(dir.path()).unwrap(), 1);
        assert!(!dir.path().join(names[0]).exists());
        for name in &names[1..] {
            assert!(dir.path().join(name).exists(), "{name}");
        }
    }
}
