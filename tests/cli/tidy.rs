//! Tidy: no code outside the library opens a SQLite connection or builds a database path, and
//! inside the library only `db.rs` opens connections (tests aside). Every command must take the
//! library's guarded road. And the tests start only programs a fresh machine has. And the library's
//! imports run one way, down its layers ([`LAYERS`]): no file imports from a stage above its own.

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

/// Optional systems whose tests skip, saying so in one line, when they are missing (`.ci/run`
/// installs them).
const OPTIONAL_PROGRAMS: [&str; 2] = ["restic", "rclone"];

/// Whether a test file that starts `program` skips without it: an optional one, looked for with
/// `installed("…")` first.
fn skips_without(program: &str, text: &str) -> bool {
    OPTIONAL_PROGRAMS.contains(&program) && text.contains(&format!("installed(\"{program}\")"))
}

#[test]
fn the_program_scanner_finds_what_it_looks_for() {
    let planted =
        "let a = sandbox.command(\"no-such-tool\");\nlet b = Command::new(\"sqlite3\");\n";
    assert_eq!(programs_started(planted), ["no-such-tool", "sqlite3"]);
}

#[test]
fn tests_run_only_programs_a_fresh_machine_has() {
    let mut files = Vec::new();
    rust_files(&repo().join("tests"), &mut files);
    let found: Vec<String> = files
        .iter()
        .flat_map(|path| {
            let name = path.strip_prefix(repo()).unwrap().display().to_string();
            let text = std::fs::read_to_string(path).unwrap();
            programs_started(&text)
                .into_iter()
                .filter(|program| !PROGRAMS_ON_A_FRESH_MACHINE.contains(&program.as_str()))
                .filter(|program| !skips_without(program, &text))
                .map(|program| format!("{name}: {program}"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        found.is_empty(),
        "the README's test command must pass on a fresh machine, which lacks:\n{}",
        found.join("\n")
    );
}

/// The library's layers, from the leaves up: each stage (a folder of `src/`) with its files,
/// lowest first. A stage's `mod.rs` is the lowest file of its stage (its own items sit under the
/// files it declares). A file may import only from files listed before it, or from itself;
/// `src/lib.rs` and the binaries (`main.rs`, `app/`) stand on top of all of it.
const LAYERS: [(&str, &[&str]); 9] = [
    (
        "shared",
        &["error", "time", "durable", "digest", "process", "watched"],
    ),
    ("selection", &["env", "paths", "config", "hint"]),
    ("ui", &["progress"]),
    (
        "migrate",
        &[
            "statements",
            "renumber",
            "catalog",
            "ledger",
            "runner",
            "state",
            "lint",
            "rebuild",
        ],
    ),
    (
        "access",
        &[
            "guard",
            "failpoint",
            "stamp",
            "db",
            "lock",
            "audit",
            "session",
        ],
    ),
    (
        "copies",
        &[
            "direct",
            "records",
            "copy",
            "manifest",
            "verify",
            "backup",
            "offsite",
            "retention",
            "restore",
            "compact",
            "split",
        ],
    ),
    ("data", &["seed", "reset", "mock"]),
    (
        "store",
        &["onsens", "locations", "visits", "stats", "exchange"],
    ),
    ("checks", &["settings", "schema", "doctor"]),
];

/// Each library module (`stage` or `stage::file`) with its height in [`LAYERS`].
fn heights() -> Vec<(String, usize)> {
    LAYERS
        .iter()
        .flat_map(|(stage, files)| {
            std::iter::once(stage.to_string())
                .chain(files.iter().map(move |f| format!("{stage}::{f}")))
        })
        .enumerate()
        .map(|(height, module)| (module, height))
        .collect()
}

/// The module a `src/` file is (`access/db.rs` is `access::db`, `ui/mod.rs` is `ui`).
fn module_of(relative: &Path) -> String {
    let text = relative.with_extension("").display().to_string();
    text.strip_suffix("/mod")
        .unwrap_or(&text)
        .replace('/', "::")
}

/// The paths a code line names from the crate's root: `crate::…` and `super::…` (resolved from
/// `module`), a `{…}` group split into its members; `aliases` maps the root's re-exports
/// (`Environment`) to the modules that define them.
fn named_paths(module: &str, line: &str, aliases: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (start, base) in ["crate::", "super::"]
        .iter()
        .flat_map(|base| line.match_indices(base).map(move |(i, _)| (i, *base)))
    {
        let before = line[..start].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &line[start + base.len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let stem = rest[..end].trim_end_matches(':');
        let prefix = match base {
            "super::" => module.rsplit_once("::").map_or("", |(parent, _)| parent),
            _ => "",
        };
        let joined = |tail: &str| {
            [prefix, stem, tail]
                .iter()
                .filter(|part| !part.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("::")
        };
        match rest[end..].strip_prefix('{') {
            Some(group) => {
                let members = group.split('}').next().unwrap_or("");
                found.extend(
                    members
                        .split(',')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .map(joined),
                );
            }
            None => found.push(joined("")),
        }
    }
    found
        .into_iter()
        .map(|path| {
            let first = path.split("::").next().unwrap_or("");
            match aliases.iter().find(|(name, _)| name == first) {
                Some((_, defined_in)) => format!("{defined_in}::{path}"),
                None => path,
            }
        })
        .collect()
}

/// `file:line: …` for each code line (comments skipped) of `module` that imports from a module
/// higher in [`LAYERS`] than `module`: the longest known module a named path starts with.
fn upward_imports(
    name: &str,
    module: &str,
    text: &str,
    aliases: &[(String, String)],
) -> Vec<String> {
    let heights = heights();
    let height = |path: &str| {
        heights
            .iter()
            .filter(|(known, _)| path == known || path.starts_with(&format!("{known}::")))
            .max_by_key(|(known, _)| known.len())
            .map(|(known, height)| (known.clone(), *height))
    };
    let Some((_, own)) = height(module) else {
        return vec![format!(
            "{name}: `{module}` is in no layer; add it to LAYERS in tests/cli/tidy.rs"
        )];
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .flat_map(|(n, line)| {
            let mut targets: Vec<(String, usize)> = named_paths(module, line, aliases)
                .into_iter()
                .filter_map(|path| height(&path))
                .filter(|(target, above)| *above > own && target != module)
                .collect();
            targets.dedup();
            targets.into_iter().map(move |(target, _)| {
                format!(
                    "{name}:{}: `{module}` imports `{target}`, a higher layer: {}",
                    n + 1,
                    line.trim()
                )
            })
        })
        .collect()
}

/// The root's re-exports (`pub use selection::env::Environment;` in `src/lib.rs`): each name
/// with the module that defines it.
fn root_aliases(lib: &str) -> Vec<(String, String)> {
    lib.lines()
        .filter_map(|line| line.trim().strip_prefix("pub use ")?.strip_suffix(';'))
        .flat_map(|path| {
            let (module, names) = path.rsplit_once("::").unwrap_or(("", path));
            let names = names.trim_start_matches('{').trim_end_matches('}');
            names
                .split(',')
                .map(|n| (n.trim().to_string(), module.to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_layer_scanner_finds_imports_that_run_up() {
    let aliases = root_aliases(
        "pub use selection::env::Environment;\npub use shared::error::{Error, Kind};\n",
    );
    let planted = "use crate::shared::error::Result;\n\
        use crate::access::db::Database;\n\
        // crate::checks::doctor in a comment is no import\n\
        use crate::{ui, copies::backup};\n\
        fn f() -> crate::Environment { crate::checks::doctor::run() }\n\
        use super::error::Kind;\n";
    let found = upward_imports("src/shared/time.rs", "shared::time", planted, &aliases);
    assert_eq!(found.len(), 5, "{found:#?}");
    assert!(
        found[0].starts_with("src/shared/time.rs:2: `shared::time` imports `access::db`"),
        "{found:?}"
    );
    assert!(
        found[1].contains(":4: `shared::time` imports `ui`"),
        "{found:?}"
    );
    assert!(
        found[2].contains(":4: `shared::time` imports `copies::backup`"),
        "{found:?}"
    );
    assert!(
        found[3].contains(":5: `shared::time` imports `selection::env`"),
        "{found:?}"
    );
    assert!(
        found[4].contains(":5: `shared::time` imports `checks::doctor`"),
        "{found:?}"
    );
    assert!(upward_imports("src/checks/doctor.rs", "checks::doctor", planted, &aliases).is_empty());
    let unknown = upward_imports("src/extra.rs", "extra", "", &aliases);
    assert!(unknown[0].contains("`extra` is in no layer"), "{unknown:?}");
}

#[test]
fn imports_run_down_the_layers() {
    let src = repo().join("src");
    let aliases = root_aliases(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    assert!(
        aliases.iter().any(|(name, _)| name == "Environment"),
        "{aliases:?}"
    );
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let binaries = binary_files();
    let library: Vec<&PathBuf> = files
        .iter()
        .filter(|path| !binaries.contains(path) && !path.ends_with("src/lib.rs"))
        .collect();
    assert!(
        library.len() > 40,
        "the scan covers the library: {library:?}"
    );
    let found: Vec<String> = library
        .iter()
        .flat_map(|path| {
            let relative = path.strip_prefix(&src).unwrap();
            let name = path.strip_prefix(repo()).unwrap().display().to_string();
            let text = std::fs::read_to_string(path).unwrap();
            upward_imports(&name, &module_of(relative), &text, &aliases)
        })
        .collect();
    assert!(
        found.is_empty(),
        "a library file imports only from its own layer or lower ones (LAYERS in tests/cli/tidy.rs); move what it needs down, or the caller up:\n{}",
        found.join("\n")
    );
}
