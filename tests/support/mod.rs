//! The fixture every integration test uses: a temporary root marked as a test sandbox, the real
//! binaries run as processes inside it, and the `sqlite3` CLI as an independent checker.
//! It refuses to start when `ONSENDO_ENV` names prod, in any spelling.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The marker file the library's test guard looks for (`onsendo::access::guard::SANDBOX_MARKER`).
const SANDBOX_MARKER: &str = ".onsendo-test-sandbox";

/// Panics with a `CRITICAL` message when `ONSENDO_ENV` names prod.
pub fn refuse_prod_environment() {
    if let Ok(value) = std::env::var("ONSENDO_ENV") {
        if value.trim().eq_ignore_ascii_case("prod") {
            panic!(
                "CRITICAL: ONSENDO_ENV={value:?} names the production environment; tests never run against prod. Run them with `unset ONSENDO_ENV`."
            );
        }
    }
}

/// A temporary root with `data/` and `artifacts/`, removed when dropped.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox::marked(tempfile::Builder::new().prefix("onsendo test ✓ ").tempdir())
    }

    /// A sandbox whose root is `/tmp/readme` and five random letters or digits: as long as the
    /// README's `/home/me/onsendo`, so that columns aligned after a path line up the same in both.
    pub fn as_long_as_the_readme_root() -> Sandbox {
        let sandbox = Sandbox::marked(
            tempfile::Builder::new()
                .prefix("readme")
                .rand_bytes(5)
                .tempdir_in("/tmp"),
        );
        assert_eq!(sandbox.root().as_os_str().len(), "/home/me/onsendo".len());
        sandbox
    }

    /// Marks `dir` (just made) as a test sandbox, after checking it lies outside the repository.
    fn marked(dir: std::io::Result<tempfile::TempDir>) -> Sandbox {
        refuse_prod_environment();
        let dir = dir.expect("temporary root");
        std::fs::write(dir.path().join(SANDBOX_MARKER), "").unwrap();
        let repository = Path::new(env!("CARGO_MANIFEST_DIR"))
            .canonicalize()
            .unwrap();
        assert!(
            !dir.path().canonicalize().unwrap().starts_with(repository),
            "the sandbox must be outside the repository"
        );
        Sandbox { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The canonical database of an environment in this sandbox.
    pub fn db(&self, env: &str) -> PathBuf {
        self.root()
            .join("data")
            .join("db")
            .join(format!("onsen.{env}.db"))
    }

    pub fn audit_log(&self) -> PathBuf {
        self.root()
            .join("artifacts")
            .join("logs")
            .join("prod_audit.log")
    }

    /// `artifacts/db/backups/`.
    pub fn backup_dir(&self) -> PathBuf {
        self.root().join("artifacts").join("db").join("backups")
    }

    /// The last record of the prod audit log.
    pub fn last_audit(&self) -> serde_json::Value {
        let log = std::fs::read_to_string(self.audit_log()).unwrap();
        serde_json::from_str(log.lines().last().unwrap()).unwrap()
    }

    /// The environment stamp inside `db`.
    pub fn stamp(&self, db: &Path) -> String {
        self.sqlite(
            db,
            "SELECT value FROM onsendo_meta WHERE key = 'environment'",
        )
    }

    /// The rows and schema that differ between two databases, by the `sqlite3` CLI's `.dump` (of
    /// `table` alone when given): each statement found only in `a` as `-STATEMENT`, then each found only
    /// in `b` as `+STATEMENT`, sorted, one per line; empty when both hold the same schema and rows. (The
    /// `.dump` of each side is compared as a multiset of lines, so row order does not matter.)
    pub fn differences(&self, a: &Path, b: &Path, table: Option<&str>) -> String {
        let dump = |db: &Path| -> Vec<String> {
            let command = match table {
                Some(table) => format!(".dump {table}"),
                None => ".dump".to_string(),
            };
            let mut lines: Vec<String> = self
                .sqlite(db, &command)
                .lines()
                .map(str::to_string)
                .collect();
            lines.sort();
            lines
        };
        let (a, b) = (dump(a), dump(b));
        let (mut i, mut j) = (0, 0);
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        loop {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x == y => {
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x > y => {
                    added.push(format!("+{y}"));
                    j += 1;
                }
                (Some(x), _) => {
                    removed.push(format!("-{x}"));
                    i += 1;
                }
                (None, Some(y)) => {
                    added.push(format!("+{y}"));
                    j += 1;
                }
                (None, None) => break,
            }
        }
        removed.extend(added);
        removed.join("\n")
    }

    /// The app binary, run in this sandbox.
    pub fn onsendo(&self) -> Run {
        self.command(self.onsendo_path())
    }

    /// Where the app binary is.
    pub fn onsendo_path(&self) -> PathBuf {
        bin_dir().join("onsendo")
    }

    /// The developer tool, run in this sandbox.
    pub fn xtask(&self) -> Run {
        self.command(bin_dir().join("xtask"))
    }

    /// The shell `command` run by `script` with a pseudo-terminal as its stdin, stdout and
    /// stderr: the terminal's output, stderr included, comes back as stdout. The shell `exec`s
    /// the command, so the program is the terminal's foreground process alone: a Ctrl-C typed
    /// there reaches it, not a shell that would die of it (dash, `script`'s shell when `SHELL`
    /// is unset, does not replace itself on its own).
    pub fn on_a_terminal(&self, command: &str) -> Run {
        self.command("script")
            .args(["-qec", &format!("exec {command}"), "/dev/null"])
    }

    /// Any program, with the sandbox's environment.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Run {
        let mut command = Command::new(program);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("ONSENDO_") {
                command.env_remove(name);
            }
        }
        command
            .current_dir(self.root())
            .env("ONSENDO_ROOT", self.root())
            .env("ONSENDO_TEST_SANDBOX", self.root())
            .env("ONSENDO_ENV", "test")
            .env("NO_COLOR", "1");
        Run {
            command,
            stdin: None,
        }
    }

    /// Runs `sql` with the `sqlite3` CLI and returns its output, trimmed.
    pub fn sqlite(&self, db: &Path, sql: &str) -> String {
        let out = self.command("sqlite3").arg(db).arg(sql).run();
        assert_eq!(out.code, 0, "sqlite3 failed: {}", out.stderr);
        out.stdout.trim().to_string()
    }

    /// Initialises an environment's database with the real tool.
    pub fn init(&self, env: &str) {
        self.xtask()
            .args(["database", "init", "--env", env])
            .run()
            .ok();
    }
}

/// Whether `name` is a database's lock file (`.onsen.dev.db.lock`): any command that writes may
/// create one beside the database; it holds no data, only who holds the lock while one does.
pub fn is_lock_file(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".db.lock")
}

/// The names in a folder but lock files ([`is_lock_file`]), sorted (empty when it does not exist).
pub fn names_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !is_lock_file(name))
        .collect();
    names.sort();
    names
}

/// The first command in backticks in `text` that starts with `start`: a hint as printed.
pub fn hint_in(text: &str, start: &str) -> String {
    text.split('`')
        .skip(1)
        .step_by(2)
        .find(|quoted| quoted.starts_with(start))
        .unwrap_or_else(|| panic!("no `{start}…` hint in: {text}"))
        .to_string()
}

/// The words bash reads from `line`, as a user pasting it gets them.
pub fn pasted_words(line: &str) -> Vec<std::ffi::OsString> {
    use std::os::unix::ffi::OsStringExt;
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("printf '%s\\0' {line}"))
        .output()
        .expect("bash");
    assert!(out.status.success(), "bash cannot read {line:?}");
    let mut words: Vec<_> = out
        .stdout
        .split(|byte| *byte == 0)
        .map(|word| std::ffi::OsString::from_vec(word.to_vec()))
        .collect();
    words.pop();
    words
}

/// The folder the test binaries' sibling executables live in (`target/debug`).
pub fn bin_dir() -> PathBuf {
    let exe = option_env!("CARGO_BIN_EXE_onsendo")
        .or(option_env!("CARGO_BIN_EXE_xtask"))
        .expect("a binary path");
    Path::new(exe).parent().unwrap().to_path_buf()
}

/// A process to run.
pub struct Run {
    command: Command,
    stdin: Option<Vec<u8>>,
}

impl Run {
    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Run {
        self.command.arg(arg);
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Run {
        self.command.args(args);
        self
    }

    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Run {
        self.command.env(name, value);
        self
    }

    pub fn env_remove(mut self, name: &str) -> Run {
        self.command.env_remove(name);
        self
    }

    pub fn stdin(mut self, text: &str) -> Run {
        self.stdin = Some(text.as_bytes().to_vec());
        self
    }

    /// Starts the process without waiting for it (stdin empty, stdout and stderr piped), e.g. to
    /// kill it part-way.
    pub fn spawn(mut self) -> std::process::Child {
        self.command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the program starts")
    }

    /// Starts the process with its stderr going to the file `log` (readable while it runs), stdout
    /// piped and stdin empty.
    pub fn spawn_logging(mut self, log: &Path) -> std::process::Child {
        self.command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).expect("the log file"))
            .spawn()
            .expect("the program starts")
    }

    /// Starts the process with stdin, stdout and stderr piped, to converse with it.
    pub fn spawn_piped(mut self) -> std::process::Child {
        self.command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the program starts")
    }

    /// Runs the process (stdin empty) and fails the test, after killing it, when it has not
    /// ended within `limit`: for what must never hang.
    pub fn run_within(self, limit: std::time::Duration) -> Output {
        let mut child = self.spawn();
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > limit {
                child.kill().unwrap();
                let out = Output::of(child);
                panic!(
                    "still running after {limit:?}; killed\n--- stderr\n{}",
                    out.stderr
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Output::of(child)
    }

    pub fn run(mut self) -> Output {
        self.command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("the program starts");
        let mut input = child.stdin.take().unwrap();
        if let Some(bytes) = self.stdin.take() {
            input.write_all(&bytes).unwrap();
        }
        drop(input);
        Output::of(child)
    }
}

/// What a process did.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Waits for a process started by [`Run::spawn`] (or [`Run::run`]) and collects what it did.
    pub fn of(child: Child) -> Output {
        let out = child.wait_with_output().unwrap();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts exit code 0 and returns self.
    pub fn ok(self) -> Output {
        self.code(0)
    }

    /// Asserts the exit code and returns self.
    pub fn code(self, expected: i32) -> Output {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Parses stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// `differences` (from [`Sandbox::differences`]) is one row replaced: the old row's `.dump` line
/// starts with `old`, the new one's with `new`, and the rest of the two lines (the columns after
/// those given, such as a creation time) is the same.
pub fn assert_one_row_changed(differences: &str, old: &str, new: &str) {
    let lines: Vec<&str> = differences.lines().collect();
    let [removed, added] = lines[..] else {
        panic!("expected one row replaced, found:\n{differences}");
    };
    let rest = removed
        .strip_prefix('-')
        .and_then(|line| line.strip_prefix(old))
        .unwrap_or_else(|| panic!("the old row is not `{old}…`:\n{differences}"));
    assert_eq!(added, format!("+{new}{rest}"), "{differences}");
}

/// The SHA-free fingerprint of a file: its bytes (the test files are small).
pub fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A `sqlite3` process with an open connection to a database, fed statements line by line;
/// dropping it closes the connection and waits for the process.
pub struct SqliteShell {
    child: Child,
    input: Option<ChildStdin>,
    output: BufReader<ChildStdout>,
}

impl SqliteShell {
    pub fn open(db: &Path) -> SqliteShell {
        let mut child = Command::new("sqlite3")
            .arg(db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sqlite3 starts");
        let input = child.stdin.take();
        let output = BufReader::new(child.stdout.take().unwrap());
        SqliteShell {
            child,
            input,
            output,
        }
    }

    /// Runs `sql`, then waits until the process has answered it (so it has really run).
    pub fn run(&mut self, sql: &str) {
        let input = self.input.as_mut().unwrap();
        writeln!(input, "{sql}\nSELECT 'done';").unwrap();
        input.flush().unwrap();
        let mut line = String::new();
        while line.trim() != "done" {
            line.clear();
            let read = self.output.read_line(&mut line).unwrap();
            assert!(read > 0, "sqlite3 stopped before running: {sql}");
        }
    }

    /// Hands over the input, to feed statements from another thread.
    pub fn take_input(&mut self) -> ChildStdin {
        self.input.take().expect("the input was not taken yet")
    }

    /// Kills the process (SIGKILL), as a crash would: what it was writing stays as it was left.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Closes the connection; returns whether every statement succeeded.
    pub fn close(&mut self) -> bool {
        drop(self.input.take());
        self.child.wait().unwrap().success()
    }
}

impl Drop for SqliteShell {
    fn drop(&mut self) {
        self.close();
    }
}

/// A `sqlite3` process committing `statement` into a database as fast as it can, until stopped;
/// dropped without [`BusyWriter::stop`], it is killed.
pub struct BusyWriter {
    sqlite: SqliteShell,
    feeder: Option<std::thread::JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

impl BusyWriter {
    /// Runs `settings` (pragmas) in the writer's connection, then `statement` once (so the writer
    /// has committed when this returns), then keeps feeding `statement`.
    pub fn start(db: &Path, settings: &str, statement: &'static str) -> BusyWriter {
        let mut sqlite = SqliteShell::open(db);
        sqlite.run(".timeout 30000");
        sqlite.run(settings);
        sqlite.run(statement);
        let mut input = sqlite.take_input();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let feeder = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                if writeln!(input, "{statement}").is_err() {
                    break;
                }
            }
        });
        BusyWriter {
            sqlite,
            feeder: Some(feeder),
            stop,
        }
    }

    /// Stops feeding statements and waits for the process to run the ones it has; returns
    /// whether every statement succeeded.
    pub fn stop(&mut self) -> bool {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(feeder) = self.feeder.take() {
            feeder.join().unwrap();
        }
        self.sqlite.close()
    }
}

impl Drop for BusyWriter {
    fn drop(&mut self) {
        if self.feeder.is_some() {
            self.stop.store(true, Ordering::Relaxed);
            // The feeder's next write fails on the closed pipe, which ends it.
            self.sqlite.kill();
        }
        if let Some(feeder) = self.feeder.take() {
            feeder.join().unwrap();
        }
    }
}
