//! Tidy: no code outside the library opens a SQLite connection or builds a database path, and
//! inside the library only `db.rs` opens connections (tests aside). Every command must take the
//! library's guarded road. And the tests start only programs a fresh machine has.

use std::path::{Path, PathBuf};

/// What only the library may do, as it appears in code.
const OPENS_A_CONNECTION: [&str; 5] = [
    "Connection::open",
    "open_in_memory",
    "OpenFlags",
    "rusqlite::Connection",
    "use rusqlite::{Connection",
];
const BUILDS_A_DATABASE_PATH: [&str; 7] = [
    ".join(\"data\")",
    ".join(\"db\")",
    "\"data/db",
    "onsen.db\"",
    "onsen.{",
    "onsen.dev.db",
    "onsen.prod.db",
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// `file:line: the line` for each code line (comments and the tests module skipped) that holds
/// one of `patterns`.
fn findings(name: &str, text: &str, patterns: &[&str]) -> Vec<String> {
    text.lines()
        .enumerate()
        .take_while(|(_, line)| line.trim() != "#[cfg(test)]")
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .filter(|(_, line)| patterns.iter().any(|p| line.contains(p)))
        .map(|(n, line)| format!("{name}:{}: {}", n + 1, line.trim()))
        .collect()
}

/// The binaries' own files: the app's `main.rs`, `app/` (with `cli_flags.rs`), and all of `xtask/src`.
fn binary_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&repo().join("xtask").join("src"), &mut files);
    rust_files(&repo().join("src").join("app"), &mut files);
    files.push(repo().join("src").join("main.rs"));
    files
}

#[test]
fn the_scanner_finds_what_it_looks_for() {
    let planted = "fn f() {\n    // Connection::open is fine in a comment\n    let c = rusqlite::Connection::open(root.join(\"data\"));\n}\n#[cfg(test)]\nmod tests { fn t() { Connection::open_in_memory(); } }\n";
    let opens = findings("x.rs", planted, &OPENS_A_CONNECTION);
    assert_eq!(opens.len(), 1, "{opens:?}");
    assert!(opens[0].starts_with("x.rs:3:"), "{opens:?}");
    assert_eq!(findings("x.rs", planted, &BUILDS_A_DATABASE_PATH).len(), 1);
}

#[test]
fn no_code_outside_the_library_opens_a_connection_or_builds_a_database_path() {
    let files = binary_files();
    assert!(files.len() > 20, "the scan covers the binaries: {files:?}");
    let patterns: Vec<&str> = OPENS_A_CONNECTION
        .iter()
        .chain(&BUILDS_A_DATABASE_PATH)
        .copied()
        .collect();
    let found: Vec<String> = files
        .iter()
        .flat_map(|path| {
            let name = path.strip_prefix(repo()).unwrap().display().to_string();
            findings(&name, &std::fs::read_to_string(path).unwrap(), &patterns)
        })
        .collect();
    assert!(
        found.is_empty(),
        "open databases and build their paths through the library (session, db, paths::Layout):\n{}",
        found.join("\n")
    );
}

#[test]
fn inside_the_library_only_db_rs_opens_connections() {
    let mut files = Vec::new();
    rust_files(&repo().join("src"), &mut files);
    let binaries = binary_files();
    let found: Vec<String> = files
        .iter()
        .filter(|path| !binaries.contains(path) && !path.ends_with("src/access/db.rs"))
        .flat_map(|path| {
            let name = path.strip_prefix(repo()).unwrap().display().to_string();
            findings(
                &name,
                &std::fs::read_to_string(path).unwrap(),
                &["Connection::open", "OpenFlags"],
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "only db.rs opens connections:\n{}",
        found.join("\n")
    );
}

/// The programs a fresh machine has (the README's set-up: the Rust toolchain, `sqlite3`, `make`,
/// git, and Debian's essential packages). The tests may run only these.
const PROGRAMS_ON_A_FRESH_MACHINE: [&str; 10] = [
    "bash", "git", "make", "mkfifo", "mount", "script", "sh", "sqlite3", "true", "umount",
];

/// The programs a test file starts by name (`command("…")` or `Command::new("…")`), outside
/// comments.
fn programs_started(text: &str) -> Vec<String> {
    let code = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"));
    code.flat_map(|line| {
        ["command(\"", "Command::new(\""]
            .into_iter()
            .flat_map(move |opening| line.split(opening).skip(1))
    })
    .filter_map(|rest| rest.split_once('"').map(|(name, _)| name.to_string()))
    .collect()
}

#[test]
fn the_program_scanner_finds_what_it_looks_for() {
    let planted = "let a = sandbox.command(\"sqldiff\");\nlet b = Command::new(\"sqlite3\");\n";
    assert_eq!(programs_started(planted), ["sqldiff", "sqlite3"]);
}

#[test]
fn tests_run_only_programs_a_fresh_machine_has() {
    let mut files = Vec::new();
    rust_files(&repo().join("tests"), &mut files);
    let found: Vec<String> = files
        .iter()
        .flat_map(|path| {
            let name = path.strip_prefix(repo()).unwrap().display().to_string();
            programs_started(&std::fs::read_to_string(path).unwrap())
                .into_iter()
                .filter(|program| !PROGRAMS_ON_A_FRESH_MACHINE.contains(&program.as_str()))
                .map(move |program| format!("{name}: {program}"))
        })
        .collect();
    assert!(
        found.is_empty(),
        "the README's test command must pass on a fresh machine, which lacks:\n{}",
        found.join("\n")
    );
}
