//! Backups that keep themselves tidy: the safety-copy policy applied after each safety copy,
//! manual backups kept, the backup being restored spared, the notice past a multiple of the
//! database's size, and the restore plan naming what it chose.

use crate::backup::backup;
use crate::migrations::{add_migration, own_migrations};
use crate::support::{bytes, Sandbox};
use std::path::PathBuf;

/// Runs `database reset` on `env` and returns the safety copy it made, with its stderr.
fn reset(sandbox: &Sandbox, env: &str, vars: &[(&str, &str)]) -> (PathBuf, String) {
    let mut run = sandbox
        .xtask()
        .args(["database", "reset", "--json", "--env", env]);
    for (name, value) in vars {
        run = run.env(name, value);
    }
    let out = run.run().ok();
    let made = PathBuf::from(out.json()["backup"].as_str().unwrap());
    assert!(made.is_file(), "{}", out.stdout);
    (made, out.stderr)
}

/// The backup files (`*.db`) in the sandbox's backup folder, sorted.
fn backup_files(sandbox: &Sandbox) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(sandbox.backup_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "db"))
        .collect();
    found.sort();
    found
}

#[test]
fn only_the_newest_three_safety_copies_of_a_database_stay_and_manual_backups_are_kept() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    sandbox.init("test");
    let manual = [backup(&sandbox, "dev", &[]), backup(&sandbox, "dev", &[])];
    let (of_test, _) = reset(&sandbox, "test", &[]);
    let mut made = Vec::new();
    let mut last_stderr = String::new();
    for _ in 0..5 {
        let (copy, stderr) = reset(&sandbox, "dev", &[]);
        made.push(copy);
        last_stderr = stderr;
    }
    // Each name is checked when it is made: a removed name may be given again.
    let kept: Vec<PathBuf> = made[2..].to_vec();
    let mut expected: Vec<PathBuf> = manual.iter().chain(&kept).cloned().collect();
    expected.push(of_test.clone());
    expected.sort();
    assert_eq!(backup_files(&sandbox), expected);
    for path in &expected {
        assert!(path.with_extension("json").is_file(), "{}", path.display());
    }
    assert!(
        last_stderr.contains("removed 1 older safety copy of dev (")
            && last_stderr.contains("the newest 3 stay (ONSENDO_KEEP_SAFETY_COPIES"),
        "{last_stderr}"
    );
    // What stays still verifies.
    for path in &kept {
        sandbox
            .xtask()
            .args(["database", "verify"])
            .arg(path)
            .run()
            .ok();
    }
}

#[test]
fn the_policy_is_a_setting_that_config_show_reports_and_a_bad_value_changes_nothing() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let keep_one = [("ONSENDO_KEEP_SAFETY_COPIES", "1")];
    let (first, _) = reset(&sandbox, "dev", &keep_one);
    let (second, stderr) = reset(&sandbox, "dev", &keep_one);
    assert!(!first.exists() && second.exists(), "{stderr}");
    assert_eq!(backup_files(&sandbox), vec![second.clone()]);

    let shown = sandbox
        .xtask()
        .args(["config", "show"])
        .env("ONSENDO_KEEP_SAFETY_COPIES", "1")
        .run()
        .ok()
        .stdout;
    let line = shown
        .lines()
        .find(|line| line.starts_with("safety copies"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        line.contains("keep the newest 1 per database")
            && line.contains("notice past 10× its size")
            && line.contains("ONSENDO_KEEP_SAFETY_COPIES"),
        "{line}"
    );
    let default = sandbox.xtask().args(["config", "show"]).run().ok().stdout;
    assert!(default.contains("keep the newest 3 per database; notice past 10× its size"));

    let db = sandbox.db("dev");
    sandbox.sqlite(
        &db,
        "INSERT INTO visits (onsen_id, visited_at, personal_rating) VALUES (1, '2026-01-01', 5)",
    );
    let before = bytes(&db);
    let out = sandbox
        .xtask()
        .args(["database", "reset", "--env", "dev"])
        .env("ONSENDO_KEEP_SAFETY_COPIES", "three")
        .run()
        .code(2);
    assert!(
        out.stderr
            .contains("ONSENDO_KEEP_SAFETY_COPIES must be a whole number of copies from 0 to 100000, not `three`"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before, "nothing changed");
    assert_eq!(backup_files(&sandbox), vec![second]);
}

#[test]
fn a_restore_spares_the_safety_copy_it_restores() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db = sandbox.db("dev");
    sandbox.sqlite(
        &db,
        "INSERT INTO visits (onsen_id, visited_at, personal_rating, notes) VALUES (1, '2026-01-01', 8, 'kept')",
    );
    let keep_one = [("ONSENDO_KEEP_SAFETY_COPIES", "1")];
    let (with_the_visit, _) = reset(&sandbox, "dev", &keep_one);
    assert_eq!(sandbox.sqlite(&db, "SELECT count(*) FROM visits"), "0");

    let out = sandbox
        .xtask()
        .args(["database", "restore", "--env", "dev"])
        .arg(&with_the_visit)
        .env("ONSENDO_KEEP_SAFETY_COPIES", "1")
        .run()
        .ok();
    assert_eq!(sandbox.sqlite(&db, "SELECT notes FROM visits"), "kept");
    assert!(
        with_the_visit.is_file(),
        "the restored backup stays: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "restoring `{}`: a pre-reset backup of dev, made ",
            with_the_visit.display()
        )) && out.stderr.contains(", at schema version 1"),
        "{}",
        out.stderr
    );
}

/// `database restore --env dev --latest --dry-run`, which must succeed.
fn preview_latest_restore(sandbox: &Sandbox) -> crate::support::Output {
    sandbox
        .xtask()
        .args([
            "database",
            "restore",
            "--env",
            "dev",
            "--latest",
            "--dry-run",
        ])
        .run()
        .ok()
}

#[test]
fn restore_latest_skips_its_own_copies_and_warns_when_the_schema_version_is_not_the_codes() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db = sandbox.db("dev");
    let wanted = backup(&sandbox, "dev", &[]);
    sandbox
        .xtask()
        .args(["database", "restore", "--env", "dev", "--latest"])
        .run()
        .ok();
    let out = preview_latest_restore(&sandbox);
    assert!(
        out.stderr.contains(&format!(
            "restoring `{}` (the newest; copies made before a restore are skipped): a manual backup of dev",
            wanted.display()
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);

    let folder = own_migrations(&sandbox);
    add_migration(
        &folder,
        "02-moods",
        "ALTER TABLE visits ADD COLUMN mood TEXT;",
        None,
    );
    let before = bytes(&db);
    let out = preview_latest_restore(&sandbox);
    assert!(
        out.stderr.contains("warning: this code's migrations reach version 2, the backup is at 1: after the restore, `cargo xtask database migrate"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before, "a dry run changes nothing");
}

#[test]
fn commands_that_make_a_backup_say_when_backups_pass_the_set_multiple_of_the_database() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let twice = ("ONSENDO_BACKUP_SPACE_WARN", "2");
    let quiet = |out: &str| !out.contains("note: the");
    let back_up = || {
        sandbox
            .xtask()
            .args(["database", "backup", "--env", "dev"])
            .env(twice.0, twice.1)
            .run()
            .ok()
    };
    for _ in 0..2 {
        let out = back_up();
        assert!(quiet(&out.stderr), "{}", out.stderr);
    }
    let out = back_up();
    assert!(
        out.stderr.contains("note: the 3 backups of dev take ")
            && out.stderr.contains("more than 2 times the database's")
            && out.stderr.contains("`cargo xtask database prune --env dev"),
        "{}",
        out.stderr
    );
    let (_, stderr) = reset(&sandbox, "dev", &[twice]);
    assert!(
        stderr.contains("note: the 4 backups of dev take "),
        "{stderr}"
    );
    let off = sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev"])
        .env(twice.0, "0")
        .run()
        .ok();
    assert!(quiet(&off.stderr), "0 turns the notice off: {}", off.stderr);
}

#[test]
fn prod_safety_copies_the_policy_removes_are_named_in_the_audit_record() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let write = |region: &str| {
        let out = sandbox
            .xtask()
            .args(["database", "exec", "--write", "--yes", "--env", "prod"])
            .arg(format!(
                "UPDATE onsens SET region = '{region}' WHERE id = 1"
            ))
            .env("ONSENDO_KEEP_SAFETY_COPIES", "1")
            .run()
            .ok();
        (sandbox.last_audit(), out.stderr)
    };
    let (first, _) = write("Beppu 1");
    let first_copy = PathBuf::from(first["backup"].as_str().expect("a pre-sql copy"));
    assert_eq!(first["removed_backups"], serde_json::json!([]));

    let (second, stderr) = write("Beppu 2");
    assert!(
        stderr.contains("removed 1 older safety copy of prod ("),
        "{stderr}"
    );
    assert!(!first_copy.exists(), "the older copy is gone");
    assert_eq!(
        second["removed_backups"],
        serde_json::json!([first_copy.display().to_string()])
    );
    let shown = sandbox
        .xtask()
        .args(["database", "audit", "--tail", "1", "--env", "prod"])
        .run()
        .ok();
    assert!(
        shown
            .stdout
            .contains(&format!("  removed: {}", first_copy.display())),
        "{}",
        shown.stdout
    );
}
