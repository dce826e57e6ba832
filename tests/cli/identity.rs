//! Identity by file: every path that reaches the prod file (a hard link, a symlink, a `..`
//! spelling) is prod; anything that is not a regular file is refused before it is opened.

use crate::support::{Output, Sandbox};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A prod database with one visit and no stamp (a copy of a custom file placed at prod's path):
/// only its being the prod file makes it prod.
fn unstamped_prod() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "add", "--onsen", "1"])
        .args(["--date", "2026-11-01", "--rating", "7"])
        .run()
        .ok();
    sandbox.sqlite(&sandbox.db("prod"), "DELETE FROM onsendo_meta");
    sandbox
}

/// Three other names of the prod file, relative to the root: a hard link, a symlink, and a
/// spelling through `..`.
fn other_names(sandbox: &Sandbox) -> Vec<PathBuf> {
    let elsewhere = sandbox.root().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::hard_link(sandbox.db("prod"), elsewhere.join("linked.db")).unwrap();
    std::os::unix::fs::symlink(sandbox.db("prod"), elsewhere.join("symlinked.db")).unwrap();
    vec![
        PathBuf::from("elsewhere/linked.db"),
        PathBuf::from("elsewhere/symlinked.db"),
        PathBuf::from("elsewhere/../data/db/onsen.prod.db"),
    ]
}

fn visits(sandbox: &Sandbox) -> String {
    sandbox.sqlite(&sandbox.db("prod"), "SELECT count(*) FROM visits")
}

fn audit_lines(sandbox: &Sandbox) -> usize {
    std::fs::read_to_string(sandbox.audit_log())
        .unwrap()
        .lines()
        .count()
}

#[test]
fn every_name_of_the_prod_file_is_prod() {
    let sandbox = unstamped_prod();
    for name in other_names(&sandbox) {
        let database = name.to_str().unwrap();
        let case = format!("through `{database}`");

        // Selected as dev, it is refused: it is prod's file.
        let out = sandbox
            .onsendo()
            .args(["--env", "dev", "--database", database, "visit", "list"])
            .run()
            .code(3);
        assert!(
            out.stderr.contains("canonical file of `prod`"),
            "{case}: {}",
            out.stderr
        );

        // Re-stamping it dev is refused, and leaves it unstamped.
        let out = sandbox
            .xtask()
            .args(["database", "stamp", "--env", "dev", "--database", database])
            .arg("--yes")
            .run()
            .code(3);
        assert!(
            out.stderr.contains("canonical prod database"),
            "{case}: {}",
            out.stderr
        );
        assert_eq!(
            sandbox.sqlite(&sandbox.db("prod"), "SELECT count(*) FROM onsendo_meta"),
            "0",
            "{case}"
        );

        // Prod's rules apply: the banner, no deletion without a confirmation, the audit record.
        let before = audit_lines(&sandbox);
        let out = sandbox
            .onsendo()
            .args(["--database", database, "visit", "delete", "1"])
            .run()
            .code(3);
        assert!(
            out.stderr.contains("PROD DATABASE"),
            "{case}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("custom"), "{case}: {}", out.stderr);
        assert_eq!(visits(&sandbox), "1", "{case}");
        assert_eq!(audit_lines(&sandbox), before + 1, "{case}");
        let record = sandbox.last_audit();
        assert_eq!(record["confirmation"], "refused", "{case}");
        assert!(
            record["database"]
                .as_str()
                .unwrap()
                .ends_with(name.file_name().unwrap().to_str().unwrap()),
            "{case}: {record}"
        );

        // A write (an addition: no question) goes ahead as prod, recorded.
        let out = sandbox
            .onsendo()
            .args(["--database", database, "visit", "add", "--onsen", "2"])
            .args(["--date", "2026-11-02", "--rating", "6"])
            .run()
            .ok();
        assert!(
            out.stderr.contains("PROD DATABASE"),
            "{case}: {}",
            out.stderr
        );
        assert_eq!(sandbox.last_audit()["outcome"], "ok", "{case}");
        sandbox.sqlite(&sandbox.db("prod"), "DELETE FROM visits WHERE onsen_id = 2");
    }
}

/// Runs `run` and checks that it ended at once, refusing `what` (a FIFO, a folder) by name.
fn refused_at_once(run: crate::support::Run, what: &str, case: &str) -> Output {
    let out = run.run_within(Duration::from_secs(20));
    assert_eq!(out.code, 1, "{case}: {}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("is {what}, not a database file")),
        "{case}: {}",
        out.stderr
    );
    out
}

#[test]
fn a_fifo_or_a_folder_given_as_a_database_is_refused_at_once_by_every_command() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let fifo = sandbox.root().join("pipe.db");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::create_dir(sandbox.root().join("folder.db")).unwrap();
    let app: [&[&str]; 4] = [
        &["visit", "list"],
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
        &["onsen", "list"],
        &["stats"],
    ];
    let xtask: [&[&str]; 12] = [
        &["database", "init"],
        &["database", "env"],
        &["database", "stamp", "--env", "test"],
        &["database", "backup"],
        &["database", "verify"],
        &["database", "status"],
        &["database", "migrate"],
        &["database", "seed"],
        &["database", "reset"],
        &["database", "exec", "SELECT 1"],
        &["database", "shell"],
        &["database", "mock-data", "--visits", "1"],
    ];
    for (name, what) in [
        ("pipe.db", "a FIFO (named pipe)"),
        ("folder.db", "a folder"),
    ] {
        for args in app {
            let case = format!("onsendo {} on {name}", args.join(" "));
            let run = sandbox.onsendo().args(["--database", name]).args(args);
            refused_at_once(run, what, &case);
        }
        for args in xtask {
            let case = format!("xtask {} on {name}", args.join(" "));
            let run = sandbox.xtask().args(args).args(["--database", name]);
            refused_at_once(run, what, &case);
        }
        let run = sandbox.xtask().args(["database", "verify", name]);
        refused_at_once(run, what, &format!("verify {name}"));
        let run = sandbox
            .xtask()
            .args(["database", "migrate-to-envs", "--from", name, "--yes"]);
        refused_at_once(run, what, &format!("migrate-to-envs --from {name}"));
    }
    assert!(sandbox.sqlite(&sandbox.db("test"), "PRAGMA quick_check") == "ok");
    assert!(!Path::new(&sandbox.db("prod")).exists());
}
