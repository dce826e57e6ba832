//! Files and messages: the modes of what the tools create, a root that does not exist, paths in
//! messages, SQLite's errors, redaction, and Ctrl-C at the typed confirmation.

use crate::support::{Output, Sandbox};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Every file and folder under `dir`, with its mode's permission bits.
fn modes(dir: &Path, found: &mut Vec<(String, u32, bool)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let metadata = entry.metadata().unwrap();
        let mode = metadata.permissions().mode() & 0o777;
        found.push((entry.path().display().to_string(), mode, metadata.is_dir()));
        if metadata.is_dir() {
            modes(&entry.path(), found);
        }
    }
}

#[test]
fn every_file_the_tools_create_is_private_the_audit_log_included() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox.init("dev");
    sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "add", "--onsen", "1"])
        .args(["--date", "2026-11-01", "--rating", "7"])
        .run()
        .ok();
    sandbox
        .xtask()
        .args(["database", "backup", "--env", "prod"])
        .run()
        .ok();
    sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev", "--compact"])
        .run()
        .ok();
    assert!(sandbox.audit_log().exists());
    let mut found = Vec::new();
    for top in ["data", "artifacts"] {
        modes(&sandbox.root().join(top), &mut found);
    }
    assert!(found.len() >= 10, "{found:?}");
    for (path, mode, folder) in found {
        let expected = if folder { 0o700 } else { 0o600 };
        assert_eq!(mode, expected, "`{path}` is {mode:o}");
    }
}

#[test]
fn a_root_that_does_not_exist_is_an_error_for_every_command_but_init() {
    let sandbox = Sandbox::new();
    let missing = sandbox.root().join("mistyped root");
    let commands: [(bool, &[&str]); 9] = [
        (true, &["--env", "prod", "visit", "list"]),
        (
            true,
            &[
                "--env",
                "prod",
                "visit",
                "add",
                "--onsen",
                "1",
                "--date",
                "2026-11-01",
                "--rating",
                "7",
            ],
        ),
        (false, &["database", "path", "--env", "prod"]),
        (false, &["database", "env", "--env", "prod"]),
        (false, &["database", "backup", "--env", "prod"]),
        (false, &["database", "migrate", "--env", "prod", "--yes"]),
        (false, &["database", "audit"]),
        (false, &["database", "lint", "--all"]),
        (false, &["config", "show"]),
    ];
    for (app, args) in commands {
        let run = if app {
            sandbox.onsendo()
        } else {
            sandbox.xtask()
        };
        let out = run.env("ONSENDO_ROOT", &missing).args(args).run().code(2);
        let case = args.join(" ");
        assert!(
            out.stderr.contains(&format!(
                "root `{}` (from ONSENDO_ROOT) does not exist",
                missing.display()
            )),
            "{case}: {}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{case}: {}", out.stderr);
        assert!(!missing.exists(), "{case} made the root");
    }
    sandbox
        .xtask()
        .env("ONSENDO_ROOT", &missing)
        .args(["database", "init", "--env", "test"])
        .run()
        .ok();
    assert!(missing.join("data/db/onsen.test.db").is_file());
}

#[test]
fn a_relative_database_is_shown_absolute_and_control_characters_are_escaped() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .onsendo()
        .args(["--database", "missing.db", "visit", "list"])
        .run()
        .code(1);
    let absolute = sandbox.root().join("missing.db");
    assert!(
        out.stderr
            .contains(&format!("database `{}` does not exist", absolute.display())),
        "{}",
        out.stderr
    );
    for name in [
        "forged\nerror: all is fine.db",
        "esc\u{1b}[2J.db",
        "cr\rx.db",
    ] {
        let out = sandbox
            .onsendo()
            .args(["--database", name, "visit", "list"])
            .run()
            .code(1);
        assert_eq!(out.stderr.lines().count(), 1, "{name:?}: {}", out.stderr);
        assert!(
            !out.stderr.trim_end().contains(['\n', '\r', '\u{1b}']),
            "{name:?}: {:?}",
            out.stderr
        );
        let escaped = name.escape_default().to_string();
        assert!(out.stderr.contains(&escaped), "{escaped}: {}", out.stderr);
    }
    // The banner and the write line escape them too.
    let name = "new\nline.db";
    let out = sandbox
        .xtask()
        .args(["database", "init", "--database", name])
        .run()
        .ok();
    assert!(out.stderr.contains("new\\nline.db"), "{}", out.stderr);
    assert!(sandbox.root().join(name).is_file());
}

#[test]
fn a_damaged_database_names_the_file_and_what_to_do_in_every_app_command() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    sandbox
        .xtask()
        .args(["database", "mock-data", "--visits", "2000"])
        .run()
        .ok();
    let db = sandbox.db("test");
    let mut bytes = std::fs::read(&db).unwrap();
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    // Every page after the schema's first few is damaged where its b-tree header is.
    for start in (6 * page..bytes.len()).step_by(page) {
        bytes[start..start + 8].fill(0xff);
    }
    std::fs::write(&db, bytes).unwrap();
    let commands: [&[&str]; 4] = [
        &["visit", "list"],
        &["onsen", "list"],
        &["stats"],
        &[
            "visit",
            "add",
            "--onsen",
            "1",
            "--date",
            "2026-11-01",
            "--rating",
            "7",
        ],
    ];
    for args in commands {
        let out = sandbox.onsendo().args(args).run().code(1);
        let case = args.join(" ");
        assert!(
            out.stderr.contains(&format!("`{}`", db.display()))
                && out.stderr.contains("restore it from a backup"),
            "{case}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("Error code"), "{case}: {}", out.stderr);
    }
}

const SECRET: &str = "s3cr3t-value";

#[test]
fn names_users_give_secrets_and_url_query_secrets_are_redacted_everywhere() {
    let sandbox = Sandbox::new();
    let with_secrets = |run: crate::support::Run| {
        run.env("ONSENDO_S3_KEY", SECRET)
            .env("ONSENDO_GCP_CREDENTIALS", SECRET)
            .env("ONSENDO_PRIVATE_NOTE", SECRET)
            .env(
                "ONSENDO_BACKUP_URL",
                format!("s3://host/bucket?token={SECRET}&region=ap"),
            )
    };
    let out = with_secrets(sandbox.xtask().args(["config", "show", "--json"]))
        .run()
        .ok();
    assert!(!out.stdout.contains(SECRET), "{}", out.stdout);
    assert!(
        out.stdout.contains("s3://host/bucket?token=***&region=ap"),
        "{}",
        out.stdout
    );
    sandbox.init("prod");
    let note = format!("receipt https://pay.example/r?id=7&signature={SECRET}");
    with_secrets(sandbox.onsendo())
        .args(["--env", "prod", "visit", "add", "--onsen", "1"])
        .args(["--date", "2026-11-01", "--rating", "7", "--notes", &note])
        .run()
        .ok();
    let log = std::fs::read_to_string(sandbox.audit_log()).unwrap();
    assert!(!log.contains(SECRET), "{log}");
    assert!(log.contains("r?id=7&signature=***"), "{log}");
    let stored = sandbox.sqlite(&sandbox.db("prod"), "SELECT notes FROM visits");
    assert_eq!(
        stored, note,
        "the value itself reaches the database untouched"
    );
}

/// Reads the terminal's output from `child` until `text` appears (or `limit` passes).
fn wait_for(child: &mut std::process::Child, text: &str, limit: Duration) -> String {
    let output = child.stdout.as_mut().unwrap();
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut chunk = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains(text) {
        assert!(started.elapsed() < limit, "no `{text}` in {seen:?}");
        let read = output.read(&mut chunk).unwrap();
        assert!(read > 0, "the output ended before `{text}`: {seen:?}");
        seen.extend_from_slice(&chunk[..read]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[test]
fn ctrl_c_at_the_typed_confirmation_is_recorded_as_refused() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "add", "--onsen", "1"])
        .args(["--date", "2026-11-01", "--rating", "7"])
        .run()
        .ok();
    let command = format!(
        "'{}' --env prod visit delete 1",
        sandbox.onsendo_path().display()
    );
    let mut child = sandbox.on_a_terminal(&command).spawn_piped();
    wait_for(
        &mut child,
        "Type `prod` to continue",
        Duration::from_secs(30),
    );
    let mut input = child.stdin.take().unwrap();
    input.write_all(b"\x03").unwrap();
    input.flush().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("Ctrl-C did not end the confirmation");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(input);
    let out = Output::of(child);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert!(
        out.stdout.contains("interrupted (Ctrl-C)"),
        "{}",
        out.stdout
    );
    assert_eq!(
        sandbox.sqlite(&sandbox.db("prod"), "SELECT count(*) FROM visits"),
        "1"
    );
    let record = sandbox.last_audit();
    assert_eq!(record["confirmation"], "refused", "{record}");
    assert!(
        record["outcome"]
            .as_str()
            .unwrap()
            .starts_with("refused: interrupted (Ctrl-C)"),
        "{record}"
    );
    assert!(record["command"].to_string().contains("delete"), "{record}");
}
