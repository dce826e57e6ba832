//! The audit log's start records: a prod operation records its start before its work and its
//! outcome after, with one id; a run killed in between is reported as interrupted, once.

use crate::backup::restore_into;
use crate::split::{legacy_path, make_legacy, split};
use crate::support::{bytes, Output, Run, Sandbox};
use serde_json::Value;
use std::io::Write;
use std::time::{Duration, Instant};

/// Every record of the audit log, oldest first.
fn records(sandbox: &Sandbox) -> Vec<Value> {
    std::fs::read_to_string(sandbox.audit_log())
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The records of the operation `id`.
fn with_id<'a>(records: &'a [Value], id: &Value) -> Vec<&'a Value> {
    records.iter().filter(|r| &r["id"] == id).collect()
}

fn visits(sandbox: &Sandbox) -> String {
    sandbox.sqlite(&sandbox.db("prod"), "SELECT count(*) FROM visits")
}

/// `database audit --json`'s entry for the record with operation id `id` and event `event`.
fn audited(sandbox: &Sandbox, id: &Value, event: &str) -> Value {
    let shown = sandbox
        .xtask()
        .args(["database", "audit", "--tail", "1000", "--json"])
        .run()
        .ok()
        .json();
    shown
        .as_array()
        .unwrap()
        .iter()
        .find(|r| &r["id"] == id && r["event"] == event)
        .unwrap_or_else(|| panic!("no {event} record of {id} in {shown:#}"))
        .clone()
}

#[test]
fn a_prod_operation_records_its_start_then_its_outcome_with_the_same_id() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let notes = "https://me:hunter2@host/x?token=abc \"$HOME\" 'q'\n温泉";
    let before = records(&sandbox).len();
    sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "add", "--onsen", "1"])
        .args(["--date", "2026-11-01", "--rating", "7", "--notes", notes])
        .run()
        .ok();
    let all = records(&sandbox);
    let [start, end] = &all[before..] else {
        panic!("not one start and one outcome: {all:#?}")
    };
    assert_eq!(start["event"], "started", "{start}");
    assert_eq!(end["event"], "ended", "{end}");
    assert_eq!(end["outcome"], "ok", "{end}");
    assert!(start["id"].is_string(), "{start}");
    assert_eq!(start["id"], end["id"]);
    assert!(start["time"].as_str().unwrap().ends_with('Z'), "{start}");
    assert!(start["time"].as_str() <= end["time"].as_str());
    for field in ["user", "host", "database", "command"] {
        assert_eq!(start[field], end[field], "{field}");
    }
    assert!(start["pid"].as_u64().is_some_and(|pid| pid > 0), "{start}");
    assert_eq!(start["database"], sandbox.db("prod").to_str().unwrap());
    let command = start["command"].to_string();
    assert!(
        command.contains("me:***@host/x?token=***") && !command.contains("hunter2"),
        "redacted as the outcome is: {command}"
    );
    assert!(command.contains("温泉"), "{command}");
    assert_eq!(audited(&sandbox, &start["id"], "started")["state"], "ended");

    // A refusal before any work writes its outcome and no start.
    let before = records(&sandbox).len();
    sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "delete", "1"])
        .run()
        .code(3);
    let all = records(&sandbox);
    let [refused] = &all[before..] else {
        panic!("not one record: {all:#?}")
    };
    assert_eq!(refused["confirmation"], "refused", "{refused}");
    assert!(refused["id"].is_null(), "{refused}");
}

/// Asserts that the operation `id`, killed after its start, is reported as interrupted: by
/// `database audit` before any other command; then by the next prod command `next` (a notice
/// naming it, one `interrupted` record); and not again by the command after.
fn assert_reported_interrupted_once(
    sandbox: &Sandbox,
    id: &Value,
    command: &str,
    next: fn(&Sandbox) -> Run,
) {
    let all = records(sandbox);
    let [start] = with_id(&all, id)[..] else {
        panic!("{command}: not one record of the killed run: {all:#?}")
    };
    assert_eq!(start["event"], "started", "{command}: {start}");
    let shown = sandbox
        .xtask()
        .args(["database", "audit"])
        .run()
        .ok()
        .stdout;
    let line = shown
        .lines()
        .find(|line| line.contains(command) && line.contains("started"))
        .unwrap_or_else(|| panic!("{command}: not shown: {shown}"));
    assert!(line.contains("interrupted"), "{command}: {line}");
    assert_eq!(
        audited(sandbox, id, "started")["state"],
        "interrupted",
        "{command}"
    );
    assert_eq!(
        records(sandbox).len(),
        all.len(),
        "{command}: `database audit` only reads"
    );

    let out = next(sandbox).run();
    let notice: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("was interrupted"))
        .collect();
    let [notice] = notice[..] else {
        panic!("{command}: not one notice: {}", out.stderr)
    };
    for named in [
        command,
        sandbox.db("prod").to_str().unwrap(),
        start["time"].as_str().unwrap(),
    ] {
        assert!(notice.contains(named), "{command}: {named} in {notice}");
    }
    let all = records(sandbox);
    let interrupted: Vec<&Value> = with_id(&all, id)
        .into_iter()
        .filter(|r| r["event"] == "interrupted")
        .collect();
    let [record] = interrupted[..] else {
        panic!("{command}: not one interrupted record: {all:#?}")
    };
    assert_eq!(record["started"], start["time"], "{command}");
    assert_eq!(record["command"], start["command"], "{command}");
    assert_eq!(record["database"], start["database"], "{command}");

    let out = next(sandbox).run();
    assert!(
        !out.stderr.contains("was interrupted"),
        "{command}: told twice: {}",
        out.stderr
    );
    assert_eq!(
        with_id(&records(sandbox), id).len(),
        2,
        "{command}: recorded twice"
    );
    assert_eq!(
        audited(sandbox, id, "started")["state"],
        "interrupted",
        "{command}"
    );
}

/// The operation id of the newest start record.
fn last_start(sandbox: &Sandbox) -> Value {
    records(sandbox)
        .into_iter()
        .rev()
        .find(|r| r["event"] == "started")
        .expect("a start record")["id"]
        .clone()
}

fn visit_list(sandbox: &Sandbox) -> Run {
    sandbox.onsendo().args(["--env", "prod", "visit", "list"])
}

fn status(sandbox: &Sandbox) -> Run {
    sandbox
        .xtask()
        .args(["database", "status", "--env", "prod"])
}

#[test]
fn a_prod_operation_killed_at_a_file_step_is_reported_interrupted_once() {
    // The split, killed once its copies are made: prod does not exist yet, so the next prod
    // command fails, and still reports the killed run.
    let sandbox = Sandbox::new();
    make_legacy(&sandbox, &legacy_path(&sandbox), "");
    let out = split(&sandbox, &[])
        .env("ONSENDO_FAILPOINT", "split.copied:crash")
        .run();
    assert_eq!(out.code, -1, "{}", out.stderr);
    let id = last_start(&sandbox);
    assert_reported_interrupted_once(&sandbox, &id, "database migrate-to-envs --yes", visit_list);

    // A restore of prod, killed as it replaces the live file.
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let backup = sandbox
        .xtask()
        .args(["database", "backup", "--env", "prod"])
        .run()
        .ok()
        .stdout;
    let out = restore_into(&sandbox, "prod", std::path::Path::new(backup.trim()))
        .arg("--yes")
        .env("ONSENDO_FAILPOINT", "restore.replace:crash")
        .run();
    assert_eq!(out.code, -1, "{}", out.stderr);
    let id = last_start(&sandbox);
    assert_reported_interrupted_once(&sandbox, &id, "database restore --env prod", status);
}

#[test]
fn a_prod_operation_killed_by_sigkill_is_running_until_then_and_interrupted_after() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    // The shell waits on its input: the operation is under way until it is killed.
    let mut shell = sandbox
        .xtask()
        .args(["database", "shell", "--env", "prod"])
        .spawn_piped();
    let pid = u64::from(shell.id());
    let started = Instant::now();
    let id = loop {
        let start = records(&sandbox)
            .into_iter()
            .find(|r| r["event"] == "started" && r["pid"] == pid);
        if let Some(start) = start {
            break start["id"].clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no start record"
        );
        std::thread::sleep(Duration::from_millis(20));
    };

    // Running: neither `database audit` nor another prod command calls it interrupted.
    assert_eq!(audited(&sandbox, &id, "started")["state"], "running");
    let out = visit_list(&sandbox).run().ok();
    assert!(!out.stderr.contains("interrupted"), "{}", out.stderr);
    assert_eq!(with_id(&records(&sandbox), &id).len(), 1);

    shell.kill().unwrap();
    let mut input = shell.stdin.take().unwrap();
    // The `sqlite3` it started ends with its input.
    let _ = input.write_all(b".quit\n");
    drop(input);
    let out = Output::of(shell);
    assert_eq!(out.code, -1, "killed: {}", out.stderr);
    assert_reported_interrupted_once(&sandbox, &id, "database shell --env prod", visit_list);
}

#[test]
fn a_start_on_another_host_is_not_called_interrupted() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(sandbox.audit_log())
        .unwrap();
    writeln!(
        log,
        r#"{{"event":"started","id":"elsewhere:1:1","host":"elsewhere","pid":1,"boot":"b","process_start":1,"time":"2026-01-01T00:00:00.000Z","user":"u","command":["xtask","database","restore"],"database":"/x/onsen.prod.db"}}"#
    )
    .unwrap();
    drop(log);
    let id = Value::from("elsewhere:1:1");
    assert_eq!(audited(&sandbox, &id, "started")["state"], "unknown");
    let shown = sandbox
        .xtask()
        .args(["database", "audit"])
        .run()
        .ok()
        .stdout;
    assert!(
        shown.contains("cannot tell from here whether it still runs"),
        "{shown}"
    );
    let out = visit_list(&sandbox).run().ok();
    assert!(!out.stderr.contains("interrupted"), "{}", out.stderr);
    assert_eq!(with_id(&records(&sandbox), &id).len(), 1);
}

#[test]
fn a_prod_write_whose_start_cannot_be_written_does_not_start() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "add", "--onsen", "1"])
        .args(["--date", "2026-11-01", "--rating", "7"])
        .run()
        .ok();
    let before = bytes(&sandbox.db("prod"));
    let starts = |sandbox: &Sandbox| {
        records(sandbox)
            .iter()
            .filter(|r| r["event"] == "started")
            .count()
    };
    let started = starts(&sandbox);
    let out = sandbox
        .onsendo()
        .args(["--env", "prod", "--yes", "visit", "delete", "1"])
        .env("ONSENDO_FAILPOINT", "audit.start:error")
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
    assert_eq!(starts(&sandbox), started);

    // A read goes on, with a warning.
    let out = visit_list(&sandbox)
        .env("ONSENDO_FAILPOINT", "audit.start:error")
        .run()
        .ok();
    assert!(
        out.stderr.contains("warning: cannot write the audit log"),
        "{}",
        out.stderr
    );
    assert_eq!(starts(&sandbox), started);
}
