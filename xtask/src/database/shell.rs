//! `database shell`: the `sqlite3` shell (in its safe mode) on the resolved database, after the
//! guards. Read-only on prod unless `--write` (banner, typed confirmation, a backup first).

use crate::cli_flags::GlobalArgs;
use onsendo::access::session::{Effect, Session};
use onsendo::copies::manifest::Reason;
use onsendo::migrate::statements;
use onsendo::selection::hint::Hint;
use onsendo::{Environment, Error};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::Stdio;
use xshell::{cmd, Shell};

/// The flags of `database shell`.
#[derive(clap::Args, Debug)]
pub struct ShellArgs {
    /// Open prod for writing (destructive: confirmation, and a backup first)
    #[arg(long)]
    pub write: bool,
}

pub fn run(args: &ShellArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    // sqlite3 may end (`.quit`) while this process still writes to it; that write must fail with
    // a broken pipe, which `send` expects, not kill this process (the binaries otherwise take
    // SIGPIPE's default, to end quietly under `| head`).
    // SAFETY: setting a signal's disposition; no handler runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
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

/// Foreign keys on, as in every connection of the library (the `sqlite3` shell starts with them off).
const FOREIGN_KEYS_ON: &str = "PRAGMA foreign_keys = ON";

/// Dot-commands the shell refuses, each with the shortest prefix sqlite3 takes for it (it reads
/// `.o` as `.once`, `.c` as `.clone`, `.sh` as `.shell`; measured with sqlite3 3.40), and why.
/// Those that change SQLite's own settings (`.dbconfig writable_schema on`, test and file
/// controls) safe mode lets through; those that reach other files or programs safe mode stops
/// by ending the whole session, so they are refused here first and the session goes on.
const REFUSED_DOT_COMMANDS: [(&str, usize, Refusal); 20] = [
    ("dbconfig", 2, Refusal::Settings),
    ("testctrl", 2, Refusal::Settings),
    ("filectrl", 2, Refusal::Settings),
    ("archive", 2, Refusal::Outside),
    ("backup", 3, Refusal::Outside),
    ("save", 3, Refusal::Outside),
    ("cd", 2, Refusal::Outside),
    ("clone", 1, Refusal::Outside),
    ("excel", 5, Refusal::Outside),
    ("once", 1, Refusal::Outside),
    ("output", 1, Refusal::Outside),
    ("open", 1, Refusal::Outside),
    ("import", 1, Refusal::Outside),
    ("load", 1, Refusal::Outside),
    ("log", 2, Refusal::Outside),
    ("read", 3, Refusal::Outside),
    ("shell", 2, Refusal::Outside),
    ("system", 2, Refusal::Outside),
    ("nonce", 5, Refusal::Outside),
    ("iotrace", 2, Refusal::Outside),
];

/// Why a dot-command is refused.
#[derive(Clone, Copy)]
enum Refusal {
    Settings,
    Outside,
}

/// The refusal of the dot-command `name` (as typed, without its dot), if it is refused.
fn refusal_of(name: &str) -> Option<Refusal> {
    let name = name.to_ascii_lowercase();
    REFUSED_DOT_COMMANDS
        .iter()
        .find(|(full, shortest, _)| name.len() >= *shortest && full.starts_with(&name))
        .map(|(_, _, why)| *why)
}

/// Runs the shell; its exit status becomes ours. The shell runs in `sqlite3`'s safe mode
/// (`-safe`: no `.open`, `ATTACH`, `.shell` or file writes), so it cannot reach another database
/// (prod) around the guards that chose this one. Its input passes through this process, which
/// hands sqlite3 one complete statement at a time after the statement gate (see [`Feed`]).
fn open_shell(
    sqlite3: &std::path::Path,
    path: &std::path::Path,
    read_only: bool,
) -> onsendo::Result<()> {
    let sh = Shell::new().map_err(|e| Error::failed("cannot start a shell").because(e))?;
    let readonly = read_only.then_some("-readonly");
    let timeout = format!(".timeout {}", onsendo::access::db::BUSY_TIMEOUT.as_millis());
    let mut command = std::process::Command::from(cmd!(
        sh,
        "{sqlite3} -safe {readonly...} -cmd {timeout} -cmd {FOREIGN_KEYS_ON} {path}"
    ));
    let terminal = std::io::stdin().is_terminal();
    command.stdin(Stdio::piped());
    if terminal {
        command.stdout(Stdio::piped());
    }
    let cannot_run = |e| Error::failed(format!("cannot run `{}`", sqlite3.display())).because(e);
    let mut child = command.spawn().map_err(cannot_run)?;
    let mut feed = Feed {
        input: child.stdin.take().expect("sqlite3's input is piped"),
        prompts: child.stdout.take().map(Prompts::start),
        buffer: Vec::new(),
        refused: 0,
    };
    let fed = if terminal {
        // Ctrl-C reaches sqlite3 too, which stops its statement and ends; this process must live
        // on to record the session.
        // SAFETY: changes this process's SIGINT disposition; the saved one is restored below.
        let previous = unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
        let fed = feed.all(std::io::stdin().lock());
        // SAFETY: restores the disposition saved above.
        unsafe { libc::signal(libc::SIGINT, previous) };
        fed
    } else {
        feed.all(std::io::stdin().lock())
    };
    let refused = feed.refused;
    drop(feed);
    let status = child.wait().map_err(cannot_run)?;
    fed.map_err(|e| Error::failed("cannot read the shell's input").because(e))?;
    // At a terminal, each refusal was said as it happened and the session went on, as sqlite3
    // goes on after any error; input from a script that did not all run is a refusal (exit 3).
    if refused > 0 && !terminal {
        return Err(Error::refused(format!(
            "{refused} statement(s) of the input did not run (each is named above): the shell takes no transaction control, ATTACH, DETACH, VACUUM, pragma that switches a check off, no .dbconfig, .testctrl or .filectrl, and nothing that reaches another file or program (.shell, .once, .import, .open, …); run those with `sqlite3` yourself on a copy"
        )));
    }
    if status.success() {
        Ok(())
    } else {
        Err(Error::failed(format!(
            "`sqlite3` on `{}` ended with {status}",
            path.display()
        )))
    }
}

/// The shell's input on its way to sqlite3: lines are gathered until SQLite says they end a
/// complete statement, which then passes the statement gate as a whole, or is refused (with a
/// message on stderr) and dropped while the session goes on. Dot-commands, `#` comments and blank
/// lines go through as they are, as sqlite3 reads them only between statements; a line holding
/// only `go` or `/` ends a statement, as in sqlite3.
struct Feed {
    input: std::process::ChildStdin,
    /// At a terminal: the prompts, shown once sqlite3 has answered.
    prompts: Option<Prompts>,
    /// The lines of the statement being gathered.
    buffer: Vec<u8>,
    refused: usize,
}

impl Feed {
    /// Feeds every line of `from`; stops early when sqlite3 has ended (`.quit`).
    fn all(&mut self, mut from: impl BufRead) -> std::io::Result<()> {
        let mut line = Vec::new();
        loop {
            if let Some(prompts) = &mut self.prompts {
                if !prompts.show(self.buffer.is_empty()) {
                    return Ok(());
                }
            }
            line.clear();
            if from.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            if !self.line(&line)? {
                return Ok(());
            }
        }
        if !String::from_utf8_lossy(&self.buffer).trim().is_empty() {
            self.statement()?;
        }
        Ok(())
    }

    /// Takes one line; false when sqlite3 is gone.
    fn line(&mut self, line: &[u8]) -> std::io::Result<bool> {
        let text = String::from_utf8_lossy(line);
        if self.buffer.is_empty() {
            if text.trim().is_empty() || text.starts_with('#') {
                return self.send(line);
            }
            if let Some(command) = text.strip_prefix('.') {
                let name = command.split_whitespace().next().unwrap_or("");
                if let Some(why) = refusal_of(name) {
                    let because = match why {
                        Refusal::Settings => "it changes SQLite's own settings, such as the checks the tool relies on",
                        Refusal::Outside => "it reaches another file or program, around the guards that chose this database",
                    };
                    self.refuse(&format!(
                        "`.{name}` is not allowed: {because}; the session goes on"
                    ));
                    return self.send(b"\n");
                }
                return self.send(line);
            }
        }
        let terminator = ["go", "/"]
            .iter()
            .any(|t| text.trim().eq_ignore_ascii_case(t));
        if terminator && !self.buffer.is_empty() && is_complete(&[&self.buffer[..], b";"].concat())
        {
            self.buffer.extend_from_slice(b";\n");
        } else {
            self.buffer.extend_from_slice(line);
        }
        if blank(&self.buffer) {
            let blank = std::mem::take(&mut self.buffer);
            return self.send(&blank);
        }
        if is_complete(&self.buffer) {
            return self.statement();
        }
        Ok(true)
    }

    /// Passes the gathered statements to sqlite3, or refuses them; false when sqlite3 is gone.
    fn statement(&mut self) -> std::io::Result<bool> {
        let text = std::mem::take(&mut self.buffer);
        match statements::gate(&String::from_utf8_lossy(&text)) {
            Ok(()) => self.send(&text),
            Err(refusal) => {
                self.refuse(&format!("{refusal}; nothing of this input ran"));
                self.send(b"\n")
            }
        }
    }

    fn refuse(&mut self, message: &str) {
        self.refused += 1;
        eprintln!("error: {message}");
    }

    /// Writes to sqlite3, and at a terminal asks it to say when it has answered. False when
    /// sqlite3 is gone.
    fn send(&mut self, bytes: &[u8]) -> std::io::Result<bool> {
        let mut sent = self.input.write_all(bytes);
        if let (Ok(()), Some(prompts)) = (&sent, &mut self.prompts) {
            sent = writeln!(self.input, "\n.print {}", prompts.marker);
            prompts.owed += 1;
        }
        match sent.and_then(|()| self.input.flush()) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn is_complete(sql: &[u8]) -> bool {
    statements::is_complete(&String::from_utf8_lossy(sql))
}

/// Whether `sql` holds only whitespace and closed comments: sqlite3 drops such lines, so a
/// dot-command after them is read as one.
fn blank(sql: &[u8]) -> bool {
    statements::split(&String::from_utf8_lossy(sql)).is_empty()
        && is_complete(&[sql, b"\n;"].concat())
}

/// At a terminal, this process shows the prompts: sqlite3's output passes through it, and a
/// marker line that sqlite3 prints after each answer says when the next prompt is due.
struct Prompts {
    marker: String,
    answered: std::sync::mpsc::Receiver<()>,
    /// How many answers (markers) sqlite3 still owes.
    owed: usize,
}

impl Prompts {
    fn start(output: std::process::ChildStdout) -> Prompts {
        let marker = format!(
            "--onsendo-shell-{}-{:?}--",
            std::process::id(),
            std::time::SystemTime::now()
        )
        .replace(' ', "");
        let (tell, answered) = std::sync::mpsc::channel();
        let expected = format!("{marker}\n").into_bytes();
        std::thread::spawn(move || {
            let mut output = std::io::BufReader::new(output);
            let mut line = Vec::new();
            let mut stdout = std::io::stdout();
            while matches!(output.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                if line == expected {
                    if tell.send(()).is_err() {
                        break;
                    }
                } else if stdout
                    .write_all(&line)
                    .and_then(|()| stdout.flush())
                    .is_err()
                {
                    break;
                }
                line.clear();
            }
        });
        Prompts {
            marker,
            answered,
            owed: 0,
        }
    }

    /// Waits for sqlite3's answer to what was sent, then prints the prompt (a new statement, or
    /// more of one). False when sqlite3 is gone.
    fn show(&mut self, new_statement: bool) -> bool {
        while self.owed > 0 {
            if self.answered.recv().is_err() {
                return false;
            }
            self.owed -= 1;
        }
        print!(
            "{}",
            if new_statement {
                "sqlite> "
            } else {
                "   ...> "
            }
        );
        std::io::stdout().flush().is_ok()
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
