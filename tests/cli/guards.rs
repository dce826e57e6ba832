//! Guardrails: confirmation on prod, stamps, `--database` identity, bad files, locks, the test guard.

use crate::support::{bytes, Sandbox};

/// A prod database with one visit (id 1), created by the real tool.
fn prod_with_a_visit() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox
        .onsendo()
        .args([
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
        ])
        .run()
        .ok();
    sandbox
}

fn visits(sandbox: &Sandbox) -> String {
    sandbox.sqlite(&sandbox.db("prod"), "SELECT count(*) FROM visits")
}
#[test]
fn prod_destructive_without_tty_or_yes_is_refused() {
    let sandbox = prod_with_a_visit();
    let before = bytes(&sandbox.db("prod"));
    let out = sandbox
        .onsendo()
        .args(["visit", "delete", "1", "--env", "PROD"])
        .run()
        .code(3);
    assert!(out.stderr.contains("PROD DATABASE"), "{}", out.stderr);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert_eq!(bytes(&sandbox.db("prod")), before);
    assert_eq!(sandbox.last_audit()["confirmation"], "refused");
    assert!(sandbox.last_audit()["outcome"]
        .as_str()
        .unwrap()
        .starts_with("refused"));
}

#[test]
fn yes_confirms_and_dry_run_previews() {
    let sandbox = prod_with_a_visit();
    let before = bytes(&sandbox.db("prod"));
    let out = sandbox
        .onsendo()
        .args(["--env", "prod", "--dry-run", "visit", "delete", "1"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("would delete visit 1"),
        "{}",
        out.stdout
    );
    assert_eq!(bytes(&sandbox.db("prod")), before);
    let out = sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "delete", "1", "--yes"])
        .run()
        .ok();
    assert!(out.stdout.contains("deleted visit 1"), "{}", out.stdout);
    assert_eq!(visits(&sandbox), "0");
    let record = sandbox.last_audit();
    assert_eq!(
        (record["confirmation"].as_str(), record["outcome"].as_str()),
        (Some("--yes"), Some("ok"))
    );
}

/// The typed confirmation, answered through a real terminal (`script` gives the process a pty).
#[test]
fn typing_prod_on_a_terminal_confirms_anything_else_cancels() {
    let sandbox = prod_with_a_visit();
    let onsendo = sandbox.onsendo_path();
    let delete = format!("'{}' --env prod visit delete 1", onsendo.display());
    let out = sandbox.on_a_terminal(&delete).stdin("nope\n").run().code(3);
    assert!(
        out.stdout.contains("Type `prod` to continue"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("did not match"), "{}", out.stdout);
    assert_eq!(visits(&sandbox), "1");
    sandbox.on_a_terminal(&delete).stdin("prod\n").run().ok();
    assert_eq!(visits(&sandbox), "0");
    assert_eq!(sandbox.last_audit()["confirmation"], "typed");
}

#[test]
fn database_flag_at_the_prod_file_is_prod() {
    let sandbox = prod_with_a_visit();
    let out = sandbox
        .onsendo()
        .args([
            "visit",
            "delete",
            "1",
            "--database",
            "data/db/onsen.prod.db",
        ])
        .run()
        .code(3);
    assert!(
        out.stderr
            .contains("environment: prod (from the stamp in the --database file)"),
        "{}",
        out.stderr
    );
    let out = sandbox
        .onsendo()
        .args([
            "--database",
            "data/db/../db/onsen.prod.db",
            "--env",
            "dev",
            "visit",
            "list",
        ])
        .run()
        .code(3);
    assert!(out.stderr.contains("stamped `prod`"), "{}", out.stderr);
    assert_eq!(visits(&sandbox), "1");
    let copy = sandbox.root().join("copy of prod.db");
    std::fs::copy(sandbox.db("prod"), &copy).unwrap();
    let out = sandbox
        .onsendo()
        .arg("--database")
        .arg(&copy)
        .args(["visit", "delete", "1"])
        .run()
        .code(3);
    assert!(
        out.stderr.contains("PROD DATABASE"),
        "a copy stamped prod is prod: {}",
        out.stderr
    );
}

#[test]
fn an_unstamped_file_at_the_prod_path_is_prod() {
    let sandbox = prod_with_a_visit();
    sandbox.sqlite(&sandbox.db("prod"), "DELETE FROM onsendo_meta");
    let out = sandbox
        .onsendo()
        .args([
            "--database",
            "data/db/onsen.prod.db",
            "visit",
            "delete",
            "1",
        ])
        .run()
        .code(3);
    assert!(out.stderr.contains("PROD DATABASE"), "{}", out.stderr);
}

#[test]
fn a_stamp_that_disagrees_with_the_environment_is_refused() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    std::fs::copy(sandbox.db("dev"), sandbox.db("test")).unwrap();
    let out = sandbox.onsendo().args(["onsen", "list"]).run().code(3);
    assert!(
        out.stderr
            .contains("is stamped `dev`, but `test` was selected (ONSENDO_ENV)"),
        "{}",
        out.stderr
    );
    let hint = format!(
        "select it with `--root '{root}' --env dev`, or re-stamp it with `cargo xtask database stamp --database '{}' --root '{root}' --env test`",
        sandbox.db("test").display(),
        root = sandbox.root().display()
    );
    assert!(out.stderr.contains(&hint), "{}", out.stderr);
    sandbox
        .xtask()
        .args(["database", "stamp", "--env", "test"])
        .run()
        .ok();
    sandbox.onsendo().args(["onsen", "list"]).run().ok();
}

#[test]
fn stamp_guards_prod_and_canonical_files() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let copy = sandbox.root().join("scratch.db");
    std::fs::copy(sandbox.db("prod"), &copy).unwrap();
    let out = sandbox
        .xtask()
        .args(["database", "stamp", "--env", "dev", "--database"])
        .arg(&copy)
        .run()
        .code(3);
    assert!(
        out.stderr.contains("PROD DATABASE"),
        "re-stamping a prod file needs confirmation: {}",
        out.stderr
    );
    let out = sandbox
        .xtask()
        .args(["database", "stamp", "--env", "dev", "--yes", "--database"])
        .arg(&copy)
        .run()
        .ok();
    assert!(
        out.stdout.contains("stamped") && out.stdout.contains("was prod"),
        "{}",
        out.stdout
    );
    assert_eq!(
        sandbox.sqlite(&copy, "SELECT value FROM onsendo_meta"),
        "dev"
    );
    let out = sandbox
        .xtask()
        .args([
            "database",
            "stamp",
            "--env",
            "dev",
            "--database",
            "data/db/onsen.prod.db",
        ])
        .run()
        .code(3);
    assert!(
        out.stderr.contains("canonical prod database"),
        "{}",
        out.stderr
    );
    let out = sandbox
        .xtask()
        .args(["database", "stamp"])
        .env_remove("ONSENDO_ENV")
        .run()
        .code(2);
    assert!(out.stderr.contains("--env"), "{}", out.stderr);
}

#[test]
fn files_that_are_not_databases_are_refused_unchanged() {
    let sandbox = Sandbox::new();
    let cases: [(&str, &[u8], &str); 3] = [
        ("empty.db", b"", "0 bytes"),
        (
            "notes.txt",
            b"these are not the tables you are looking for\n",
            "not a SQLite database",
        ),
        ("short.db", b"SQLite format 3\0", "not a SQLite database"),
    ];
    for (name, content, message) in cases {
        let path = sandbox.root().join(name);
        std::fs::write(&path, content).unwrap();
        let out = sandbox
            .onsendo()
            .arg("--database")
            .arg(&path)
            .args(["onsen", "list"])
            .run()
            .code(1);
        assert!(out.stderr.contains(message), "{name}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert_eq!(bytes(&path), content, "{name} unchanged");
    }
}

#[test]
fn a_database_with_a_damaged_body_gets_a_clear_error() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let path = sandbox.db("test");
    let mut content = bytes(&path);
    content[100..4096].fill(0xA5);
    std::fs::write(&path, &content).unwrap();
    let out = sandbox.onsendo().args(["onsen", "list"]).run().code(1);
    assert!(
        out.stderr.contains("damaged or not a SQLite database"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&path), content);
}

#[test]
fn a_missing_database_says_how_to_create_it() {
    let sandbox = Sandbox::new();
    let out = sandbox.onsendo().args(["visit", "list"]).run().code(1);
    let hint = format!(
        "does not exist; create it with `cargo xtask database init --env test --root '{}'`",
        sandbox.root().display()
    );
    assert!(out.stderr.contains(&hint), "{}", out.stderr);
    assert!(!sandbox.db("test").exists());
}

#[test]
fn a_locked_database_waits_then_explains() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let mut holder = std::process::Command::new("sqlite3")
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::{BufRead, Write};
    let mut input = holder.stdin.take().unwrap();
    writeln!(input, "BEGIN EXCLUSIVE; SELECT 'locked';").unwrap();
    input.flush().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");
    let out = sandbox
        .onsendo()
        .args([
            "visit",
            "add",
            "--onsen",
            "1",
            "--date",
            "2026-11-22",
            "--rating",
            "5",
        ])
        .run()
        .code(1);
    drop(input);
    holder.wait().unwrap();
    assert!(
        out.stderr.contains("is locked by another process"),
        "{}",
        out.stderr
    );
    assert_eq!(sandbox.sqlite(&db, "SELECT count(*) FROM visits"), "0");
}

#[test]
fn a_prod_write_does_not_start_when_the_audit_log_cannot_be_written() {
    let sandbox = prod_with_a_visit();
    std::fs::remove_dir_all(sandbox.root().join("artifacts").join("logs")).unwrap();
    std::fs::write(
        sandbox.root().join("artifacts").join("logs"),
        "a file where the folder should be",
    )
    .unwrap();
    let out = sandbox
        .onsendo()
        .args(["--env", "prod", "--yes", "visit", "delete", "1"])
        .run()
        .code(1);
    assert!(
        out.stderr.contains("cannot write the audit log"),
        "{}",
        out.stderr
    );
    assert_eq!(visits(&sandbox), "1");
}

#[test]
fn the_prod_file_stamped_dev_is_still_prod() {
    let sandbox = prod_with_a_visit();
    let prod = sandbox.db("prod");
    sandbox.sqlite(
        &prod,
        "UPDATE onsendo_meta SET value = 'dev' WHERE key = 'environment'",
    );
    let before = bytes(&prod);
    let out = sandbox
        .onsendo()
        .args(["--env", "dev", "--database"])
        .arg(&prod)
        .args(["visit", "delete", "1", "--yes"])
        .run()
        .code(3);
    assert!(
        out.stderr.contains("is the canonical file of `prod`"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&prod), before);
    assert_eq!(visits(&sandbox), "1");
}

#[test]
fn a_file_name_that_is_not_utf8_is_audited_not_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let sandbox = prod_with_a_visit();
    let csv = sandbox
        .root()
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9 visits.csv"));
    std::fs::write(&csv, "visited_at,onsen_ban,rating\n2026-01-01,1,5\n").unwrap();
    let out = sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "import"])
        .arg(&csv)
        .run()
        .ok();
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(visits(&sandbox), "2");
    let record = sandbox.last_audit();
    assert_eq!(record["outcome"], "ok", "{record}");
    assert!(
        record["command"]
            .to_string()
            .contains("caf\u{FFFD} visits.csv"),
        "{record}"
    );
}

#[test]
fn a_prod_write_does_not_start_when_the_audit_record_could_not_be_appended() {
    let sandbox = prod_with_a_visit();
    let log = sandbox.audit_log();
    let records = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    // Opens for appending like a file, but every write fails: a disk with no room left.
    std::os::unix::fs::symlink("/dev/full", &log).unwrap();
    let before = bytes(&sandbox.db("prod"));
    let out = sandbox
        .onsendo()
        .args(["--env", "prod", "--yes", "visit", "delete", "1"])
        .run()
        .code(1);
    assert!(
        out.stderr.contains("cannot write the audit log")
            && out
                .stderr
                .contains("a prod operation does not start without it"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&sandbox.db("prod")), before);
    assert_eq!(visits(&sandbox), "1");
    std::fs::remove_file(&log).unwrap();
    std::fs::write(&log, records).unwrap();
}

#[test]
fn a_prod_operation_refused_or_failed_while_opening_is_audited() {
    let sandbox = prod_with_a_visit();
    let prod = sandbox.db("prod");
    sandbox.sqlite(
        &prod,
        "UPDATE onsendo_meta SET value = 'dev' WHERE key = 'environment'",
    );
    let out = sandbox
        .onsendo()
        .args(["--env", "prod", "--yes", "visit", "delete", "1"])
        .run()
        .code(3);
    assert!(out.stderr.contains("stamped `dev`"), "{}", out.stderr);
    let record = sandbox.last_audit();
    assert!(
        record["outcome"]
            .as_str()
            .unwrap()
            .starts_with("refused: database"),
        "{record}"
    );
    assert!(record["command"].to_string().contains("delete"), "{record}");

    std::fs::remove_file(&prod).unwrap();
    sandbox
        .xtask()
        .args(["database", "status", "--env", "prod"])
        .run()
        .code(1);
    let record = sandbox.last_audit();
    assert!(
        record["outcome"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{record}"
    );
}

#[test]
fn secrets_never_reach_the_audit_log() {
    let sandbox = prod_with_a_visit();
    sandbox
        .onsendo()
        .args([
            "--env",
            "prod",
            "location",
            "add",
            "--name",
            "home",
            "--description",
            "API_TOKEN=s3cr3t-value",
        ])
        .run()
        .ok();
    let log = std::fs::read_to_string(sandbox.audit_log()).unwrap();
    assert!(!log.contains("s3cr3t-value"), "{log}");
    assert!(log.contains("API_TOKEN=***"), "{log}");
}

/// Beyond the variable: whatever path, flag or stamp leads to a prod database outside the test's
/// sandbox, code running under tests refuses to open it.
#[test]
fn under_tests_no_road_leads_to_a_prod_database_outside_the_sandbox() {
    let sandbox = Sandbox::new();
    let elsewhere = tempfile::tempdir().unwrap();
    let prod_dir = elsewhere.path().join("data").join("db");
    std::fs::create_dir_all(&prod_dir).unwrap();
    let foreign = prod_dir.join("onsen.prod.db");
    sandbox.sqlite(&foreign, "CREATE TABLE onsendo_meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO onsendo_meta VALUES ('environment', 'prod');");
    let before = bytes(&foreign);
    let link = sandbox.root().join("innocent.db");
    std::os::unix::fs::symlink(&foreign, &link).unwrap();
    let unstamped = elsewhere
        .path()
        .join("data")
        .join("db")
        .join("onsen.dev.db");
    let roads: Vec<Vec<std::ffi::OsString>> = vec![
        vec!["--database".into(), foreign.clone().into()],
        vec!["--database".into(), link.clone().into()],
        vec![
            "--root".into(),
            elsewhere.path().into(),
            "--env".into(),
            "prod".into(),
        ],
        vec![
            "--root".into(),
            elsewhere.path().into(),
            "--env".into(),
            "Prod ".into(),
        ],
    ];
    for road in roads {
        let out = sandbox
            .onsendo()
            .args(&road)
            .args(["visit", "list"])
            .run()
            .code(3);
        assert!(
            out.stderr.contains("CRITICAL: refusing to open"),
            "{road:?}: {}",
            out.stderr
        );
        let out = sandbox
            .xtask()
            .args(&road)
            .args(["database", "init"])
            .run()
            .code(3);
        assert!(out.stderr.contains("CRITICAL"), "{road:?}: {}", out.stderr);
    }
    let out = sandbox
        .xtask()
        .arg("--root")
        .arg(elsewhere.path())
        .args(["database", "init", "--env", "prod"])
        .run()
        .code(3);
    assert!(out.stderr.contains("CRITICAL"), "{}", out.stderr);
    assert!(!unstamped.exists());
    assert_eq!(bytes(&foreign), before);
    let out = sandbox
        .onsendo()
        .args(["visit", "list"])
        .env("ONSENDO_TEST_SANDBOX", elsewhere.path())
        .arg("--database")
        .arg(&foreign)
        .run()
        .code(3);
    assert!(
        out.stderr.contains("is not a test sandbox"),
        "{}",
        out.stderr
    );
}

/// A check that fails on prod (verify, doctor, status --check) exits 4 after its report, and its
/// audit record says the check failed, never "ok".
#[test]
fn a_failed_check_on_prod_is_audited_as_failed() {
    let sandbox = prod_with_a_visit();
    let prod = sandbox.db("prod");
    sandbox.sqlite(
        &prod,
        "PRAGMA foreign_keys = OFF; UPDATE visits SET onsen_id = 99999",
    );
    let expect = |args: &[&str], said: &str| {
        let out = sandbox.xtask().args(args).run().code(4);
        assert!(out.stderr.contains(said), "{args:?}: {}", out.stderr);
        let record = sandbox.last_audit();
        let outcome = record["outcome"].as_str().unwrap();
        assert!(
            outcome.starts_with("check failed: ") && outcome.contains(said),
            "{args:?}: {record}"
        );
        assert!(record["command"].to_string().contains(args[1]), "{record}");
    };
    expect(
        &["database", "verify", "--env", "prod"],
        "foreign_key_check: 1 violations",
    );
    expect(&["database", "doctor", "--env", "prod"], "is not ready");
    sandbox.sqlite(&prod, "PRAGMA user_version = 99");
    expect(
        &["database", "status", "--check", "--env", "prod"],
        "status check failed",
    );
    sandbox
        .xtask()
        .args(["database", "status", "--env", "prod"])
        .run()
        .ok();
    assert_eq!(
        sandbox.last_audit()["outcome"],
        "ok",
        "no --check: a report"
    );
}
