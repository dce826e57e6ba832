//! `database shell`: the `sqlite3` shell (in its safe mode) on the resolved database, after the
//! guards. Read-only on prod unless `--write` (banner, typed confirmation, a verified backup first).

use crate::cli_flags::GlobalArgs;
use onsendo::hint::Hint;
use onsendo::manifest::Reason;
use onsendo::session::{Effect, Session};
use onsendo::{Environment, Error};
use std::path::PathBuf;
use xshell::{cmd, Shell};

/// The flags of `database shell`.
#[derive(clap::Args, Debug)]
pub struct ShellArgs {
    /// Open prod for writing (destructive: confirmation, and a verified backup first)
    #[arg(long)]
    pub write: bool,
}

pub fn run(args: &ShellArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let sqlite3 = find_sqlite3()?;
    let effect = if args.write {
        Effect::Destructive
    } else {
        Effect::Read
    };
    let operation = if args.write {
        "database shell --write"
    } else {
        "database shell"
    };
    let mut session = Session::begin(&global.options(), operation, effect)?;
    let result = session.open().and_then(|db| {
        let prod = db.identity().env == Environment::Prod;
        if prod && args.write && !global.dry_run {
            let saved = session.back_up(&db, Reason::PreShell)?;
            eprintln!("backed up to `{}`", saved.path.display());
        }
        let path = db.path().to_path_buf();
        drop(db);
        if global.dry_run {
            eprintln!("would open `{}` in {}", path.display(), sqlite3.display());
            return Ok(());
        }
        let read_only = prod && !args.write;
        if read_only {
            eprintln!(
                "prod opens read-only; re-run with `{}` to change it",
                Hint::rerun(session.config()).flag("--write")
            );
        }
        open_shell(&sqlite3, &path, read_only)
    });
    session.finish(result)?;
    Ok(())
}

/// Runs the shell with this process's terminal; its exit status becomes ours. The shell runs in
/// `sqlite3`'s safe mode (`-safe`): no `.open`, `ATTACH`, `.shell` or file writes, so it cannot
/// reach another database (prod) around the guards that chose this one.
fn open_shell(
    sqlite3: &std::path::Path,
    path: &std::path::Path,
    read_only: bool,
) -> onsendo::Result<()> {
    let sh = Shell::new().map_err(|e| Error::failed("cannot start a shell").because(e))?;
    let readonly = read_only.then_some("-readonly");
    let timeout = format!(".timeout {}", onsendo::db::BUSY_TIMEOUT.as_millis());
    let mut command = std::process::Command::from(cmd!(
        sh,
        "{sqlite3} -safe {readonly...} -cmd {timeout} {path}"
    ));
    let status = command
        .status()
        .map_err(|e| Error::failed(format!("cannot run `{}`", sqlite3.display())).because(e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::failed(format!(
            "`sqlite3` on `{}` ended with {status}",
            path.display()
        )))
    }
}

/// The `sqlite3` program on PATH, or an error that says how to install it.
fn find_sqlite3() -> onsendo::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("sqlite3"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            Error::failed(
                "the `sqlite3` shell is not installed (not found on PATH); install it with `sudo apt-get install sqlite3` (Debian, Ubuntu), `sudo dnf install sqlite` (Fedora) or `brew install sqlite` (macOS)",
            )
        })
}
