//! The Makefile: `ENV` handling and the database targets, run with `make -s`.

use crate::support::{bytes, Sandbox};
use std::path::Path;

pub(crate) fn make(sandbox: &Sandbox, args: &[&str]) -> crate::support::Run {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = Path::new(env!("CARGO_BIN_EXE_onsendo")).parent().unwrap();
    sandbox
        .command("make")
        .arg("-s")
        .arg("-C")
        .arg(repository)
        .arg(format!("ONSENDO={}", bin.join("onsendo").display()))
        .arg(format!("XTASK={}", bin.join("xtask").display()))
        .args(args)
}

#[test]
fn env_comes_from_onsendo_env_then_defaults_to_dev() {
    let sandbox = Sandbox::new();
    let out = make(&sandbox, &["show-env"])
        .env_remove("ONSENDO_ENV")
        .run()
        .ok();
    assert!(
        out.stdout.contains("environment: dev (from default)"),
        "{}",
        out.stdout
    );
    let out = make(&sandbox, &["show-env"]).run().ok();
    assert!(
        out.stdout.contains("environment: test (from ONSENDO_ENV)"),
        "{}",
        out.stdout
    );
    let out = make(&sandbox, &["show-env", "ENV=prod"]).run().ok();
    assert!(
        out.stdout
            .contains("environment: prod (from ENV on the command line)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&sandbox.db("prod").display().to_string()),
        "{}",
        out.stdout
    );
    let out = make(&sandbox, &["db-path", "ENV=dev"]).run().ok();
    assert_eq!(out.stdout.trim(), sandbox.db("dev").display().to_string());
}

#[test]
fn an_unknown_env_fails_before_anything_runs() {
    let sandbox = Sandbox::new();
    for target in ["db-path", "db-init", "help"] {
        let out = make(&sandbox, &[target, "ENV=staging"]).run();
        assert_ne!(out.code, 0, "{target}");
        assert!(
            out.stderr.contains("unknown ENV `staging`"),
            "{target}: {}",
            out.stderr
        );
    }
    assert!(!sandbox.root().join("data").exists(), "nothing ran");
}

#[test]
fn use_prod_and_use_dev_print_export_lines() {
    let sandbox = Sandbox::new();
    assert_eq!(
        make(&sandbox, &["use-prod"]).run().ok().stdout.trim(),
        "export ONSENDO_ENV=prod"
    );
    assert_eq!(
        make(&sandbox, &["use-dev"]).run().ok().stdout.trim(),
        "export ONSENDO_ENV=dev"
    );
}

#[test]
fn database_targets_pass_the_environment() {
    let sandbox = Sandbox::new();
    make(&sandbox, &["db-init", "ENV=dev"]).run().ok();
    assert!(sandbox.db("dev").exists());
    assert!(!sandbox.db("test").exists());
    let out = make(&sandbox, &["onsen-list", "ENV=dev"]).run().ok();
    assert!(out.stdout.contains("Takegawara"), "{}", out.stdout);
    let out = make(&sandbox, &["visit-list", "ENV=dev"]).run().ok();
    assert!(out.stdout.contains("no visits"), "{}", out.stdout);
    let out = make(&sandbox, &["db-seed", "ENV=dev"]).run().ok();
    assert!(out.stdout.contains("nothing to do"), "{}", out.stdout);
    let out = make(
        &sandbox,
        &["db-exec", "ENV=dev", "SQL=SELECT count(*) AS n FROM visits"],
    )
    .run()
    .ok();
    assert_eq!(out.stdout, "n\n0\n");
    let out = make(&sandbox, &["visit-export", "ENV=dev"]).run().ok();
    assert_eq!(
        out.stdout,
        "visited_at,onsen_ban,onsen_name,rating,fee_yen,minutes,notes\n"
    );
    let out = make(&sandbox, &["stats", "ENV=dev"]).run().ok();
    assert!(out.stdout.contains("no visits yet"), "{}", out.stdout);
    let out = make(&sandbox, &["help"]).run().ok();
    for target in [
        "visit-import",
        "visit-export",
        "stats",
        "db-seed",
        "db-exec",
        "db-reset",
        "db-mock",
        "db-shell",
        "db-sql",
        "show-env",
        "db-path",
        "use-prod",
        "db-init",
        "onsen-list",
        "visit-list",
        "completions",
        "test",
        "lint",
        "ci",
    ] {
        assert!(
            out.stdout.contains(target),
            "help lists {target}: {}",
            out.stdout
        );
    }
}

#[test]
fn app_targets_record_show_modify_and_delete_visits() {
    let sandbox = Sandbox::new();
    make(&sandbox, &["db-init"]).run().ok();
    let db = sandbox.db("test");
    let out = make(
        &sandbox,
        &[
            "visit-add",
            "ONSEN=1",
            "DATE=2026-11-22",
            "RATING=8",
            "NOTES=it's \"hot\", 100$",
        ],
    )
    .run()
    .ok();
    assert_eq!(out.stdout, "recorded visit 1\n");
    let out = make(
        &sandbox,
        &["visit-modify", "ID=1", "RATING=9", "MINUTES=40"],
    )
    .run()
    .ok();
    assert!(
        out.stdout.contains("personal_rating: 8 → 9"),
        "{}",
        out.stdout
    );
    let out = make(&sandbox, &["visit-show", "ID=1"]).run().ok();
    assert!(
        out.stdout.contains("notes:   it's \"hot\", 100$\n"),
        "quotes and $ reach the app as typed: {}",
        out.stdout
    );
    let out = make(&sandbox, &["onsen-show", "ID=4"]).run().ok();
    assert!(out.stdout.contains("Hyotan Onsen"), "{}", out.stdout);
    make(
        &sandbox,
        &[
            "app",
            "ARGS=location add --name home --lat 33.28 --lon 131.5",
        ],
    )
    .run()
    .ok();
    let out = make(&sandbox, &["location-list"]).run().ok();
    assert!(out.stdout.contains("home"), "{}", out.stdout);
    let before = crate::support::bytes(&db);
    let out = make(&sandbox, &["db-mock", "VISITS=5", "DRY_RUN=1"])
        .run()
        .ok();
    assert!(
        out.stdout.starts_with("would add 5 visits"),
        "{}",
        out.stdout
    );
    let out = make(
        &sandbox,
        &["db-exec", "SQL=SELECT notes, 'a$b' AS \"x\" FROM visits"],
    )
    .run()
    .ok();
    assert_eq!(out.stdout, "notes\tx\nit's \"hot\", 100$\ta$b\n");
    assert_eq!(crate::support::bytes(&db), before, "dry run and read-only");
    let out = make(&sandbox, &["visit-delete", "ID=1", "DRY_RUN=1"])
        .run()
        .ok();
    assert!(
        out.stdout.starts_with("would delete visit 1"),
        "{}",
        out.stdout
    );
    assert_eq!(
        sandbox.sqlite(
            &db,
            "SELECT personal_rating, stay_minutes, notes FROM visits"
        ),
        "9|40|it's \"hot\", 100$"
    );
    make(&sandbox, &["visit-delete", "ID=1"]).run().ok();
    assert_eq!(sandbox.sqlite(&db, "SELECT count(*) FROM visits"), "0");
    let out = make(&sandbox, &["completions", "FOR=bash"]).run().ok();
    assert!(
        out.stdout.contains("_onsendo()") && out.stdout.contains("_xtask()"),
        "both scripts"
    );
}

#[test]
fn backup_targets_make_list_verify_restore_and_prune() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db = sandbox.db("dev");
    let made = make(&sandbox, &["backup", "ENV=dev"]).run().ok();
    let backup = made.stdout.trim().to_string();
    assert!(Path::new(&backup).is_file(), "{}", made.stdout);
    assert!(backup.contains("onsen_dev_"), "{backup}");
    let listed = make(&sandbox, &["backups"]).run().ok();
    assert!(listed.stdout.contains("manual"), "{}", listed.stdout);
    assert!(
        listed.stdout.contains("size (not hashed)"),
        "{}",
        listed.stdout
    );
    let hashed = make(&sandbox, &["backups", "CHECK=1"]).run().ok();
    assert!(
        hashed.stdout.contains("each file hashed"),
        "{}",
        hashed.stdout
    );
    make(&sandbox, &["verify", "ENV=dev"]).run().ok();
    let checked = make(&sandbox, &["verify", &format!("FILE={backup}")])
        .run()
        .ok();
    assert!(
        checked.stdout.contains("manifest file hash"),
        "{}",
        checked.stdout
    );
    make(&sandbox, &["verify", "ENV=dev", "LATEST=1", "QUICK=1"])
        .run()
        .ok();
    sandbox.sqlite(&db, "DELETE FROM onsens");
    let emptied = bytes(&db);
    let previewed = make(&sandbox, &["restore", "ENV=dev", "DRY_RUN=1"])
        .run()
        .ok();
    assert!(previewed.stdout.contains("dry run"), "{}", previewed.stdout);
    assert_eq!(bytes(&db), emptied, "a dry run restores nothing");
    make(&sandbox, &["restore", "ENV=dev", &format!("FILE={backup}")])
        .run()
        .ok();
    assert_ne!(sandbox.sqlite(&db, "SELECT count(*) FROM onsens"), "0");
    let previewed = make(&sandbox, &["prune", "ENV=dev", "KEEP=1", "DRY_RUN=1"])
        .run()
        .ok();
    assert!(
        previewed.stdout.contains("would remove"),
        "{}",
        previewed.stdout
    );
    let pruned = make(&sandbox, &["prune", "ENV=dev", "KEEP=1"]).run().ok();
    assert!(
        pruned.stdout.contains("removed 1 of 2 backups"),
        "{}",
        pruned.stdout
    );
    let compact = make(&sandbox, &["backup", "ENV=dev", "COMPACT=1", "THOROUGH=1"])
        .run()
        .ok();
    let manifest = std::fs::read_to_string(Path::new(compact.stdout.trim()).with_extension("json"));
    let manifest: serde_json::Value = serde_json::from_str(&manifest.unwrap()).unwrap();
    assert_eq!(manifest["method"], "vacuum");
    assert_eq!(
        manifest["foreign_key_violations"], 0,
        "THOROUGH=1 counted them"
    );
    let previewed = make(&sandbox, &["compact", "ENV=dev", "DRY_RUN=1"])
        .run()
        .ok();
    assert!(
        previewed.stdout.contains("would compact"),
        "{}",
        previewed.stdout
    );
    let compacted = make(&sandbox, &["compact", "ENV=dev"]).run().ok();
    assert!(
        compacted.stdout.contains("compacted `"),
        "{}",
        compacted.stdout
    );
    let help = make(&sandbox, &["help"]).run().ok();
    for target in [
        "backup",
        "backups",
        "verify",
        "restore",
        "compact",
        "prune",
        "migrate-to-envs",
        "db-status",
        "db-migrate",
        "db-rollback",
        "db-new",
        "db-lint",
        "db-prepare",
        "db-redo",
        "db-history",
        "db-renumber",
        "db-doctor",
        "db-audit",
        "config",
        "bench",
    ] {
        assert!(
            help.stdout.contains(&format!("  {target} ")),
            "help lists {target}"
        );
    }
}

#[test]
fn migrate_to_envs_target_confirms_with_yes() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.root().join("data").join("db")).unwrap();
    let legacy = sandbox.root().join("data").join("db").join("onsen.db");
    sandbox.sqlite(&legacy, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    let refused = make(&sandbox, &["migrate-to-envs"]).run();
    assert_ne!(refused.code, 0);
    assert!(!sandbox.db("prod").exists());
    make(&sandbox, &["migrate-to-envs", "YES=1", "DRY_RUN=1"])
        .run()
        .ok();
    assert!(!sandbox.db("prod").exists(), "a dry run writes nothing");
    make(&sandbox, &["migrate-to-envs", "YES=1"]).run().ok();
    assert_eq!(sandbox.sqlite(&sandbox.db("prod"), "SELECT x FROM t"), "1");
    assert_eq!(sandbox.sqlite(&sandbox.db("dev"), "SELECT x FROM t"), "1");

    let other = sandbox.root().join("other legacy.db");
    sandbox.sqlite(&other, "CREATE TABLE t (x); INSERT INTO t VALUES (2);");
    let from = format!("FROM={}", other.display());
    let done = make(&sandbox, &["migrate-to-envs", "YES=1", &from])
        .run()
        .ok();
    assert!(
        done.stdout.contains("already split") || done.stderr.contains("already split"),
        "the targets exist: --force is needed\n{}{}",
        done.stdout,
        done.stderr
    );
    assert_eq!(sandbox.sqlite(&sandbox.db("prod"), "SELECT x FROM t"), "1");
    make(&sandbox, &["migrate-to-envs", "YES=1", "FORCE=1", &from])
        .run()
        .ok();
    assert_eq!(sandbox.sqlite(&sandbox.db("prod"), "SELECT x FROM t"), "2");
    assert_eq!(sandbox.sqlite(&sandbox.db("dev"), "SELECT x FROM t"), "2");
}

#[test]
fn migration_targets_status_migrate_rollback_lint_doctor() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let folder = sandbox.root().join("migrations");
    let made = make(&sandbox, &["db-new", "NAME=visit mood"]).run();
    assert_ne!(made.code, 0, "no migrations folder in the sandbox root yet");
    for (name, up, down) in [
        (
            "01-initial",
            include_str!("../../migrations/01-initial/up.sql"),
            include_str!("../../migrations/01-initial/down.sql"),
        ),
        (
            "02-visit-mood",
            "ALTER TABLE visits ADD COLUMN mood TEXT;",
            "ALTER TABLE visits DROP COLUMN mood;",
        ),
    ] {
        std::fs::create_dir_all(folder.join(name)).unwrap();
        std::fs::write(folder.join(name).join("up.sql"), up).unwrap();
        std::fs::write(folder.join(name).join("down.sql"), down).unwrap();
    }
    let status = make(&sandbox, &["db-status", "ENV=dev", "CHECK=1"]).run();
    assert_eq!(
        status.code, 2,
        "make reports the tool's exit 4 as 2: {}",
        status.stdout
    );
    assert!(status.stdout.contains("pending"), "{}", status.stdout);
    make(&sandbox, &["db-lint", "ENV=dev"]).run().ok();
    make(&sandbox, &["db-migrate", "ENV=dev", "DRY_RUN=1"])
        .run()
        .ok();
    assert_eq!(
        sandbox.sqlite(&sandbox.db("dev"), "PRAGMA user_version"),
        "1"
    );
    make(&sandbox, &["db-migrate", "ENV=dev"]).run().ok();
    make(&sandbox, &["db-status", "ENV=dev", "CHECK=1"])
        .run()
        .ok();
    make(&sandbox, &["db-doctor", "ENV=dev"]).run().ok();
    let history = make(&sandbox, &["db-history", "ENV=dev"]).run().ok();
    assert!(
        history.stdout.contains("02-visit-mood"),
        "{}",
        history.stdout
    );
    let redone = make(&sandbox, &["db-redo", "ENV=dev"]).run().ok();
    assert!(redone.stdout.contains("plan: redo"), "{}", redone.stdout);
    make(&sandbox, &["db-prepare", "ENV=dev"]).run().ok();
    make(&sandbox, &["db-prepare", "ENV=test"]).run().ok();
    assert!(
        sandbox.db("test").exists(),
        "prepare creates a missing database"
    );
    let renumbered = make(&sandbox, &["db-renumber", "DRY_RUN=1"]).run().ok();
    assert!(
        renumbered.stdout.contains("nothing to do"),
        "{}",
        renumbered.stdout
    );
    make(&sandbox, &["db-rollback", "ENV=dev"]).run().ok();
    assert_eq!(
        sandbox.sqlite(&sandbox.db("dev"), "PRAGMA user_version"),
        "1"
    );
    let config = make(&sandbox, &["config", "ENV=prod"]).run().ok();
    assert!(config.stdout.contains("onsen.prod.db"), "{}", config.stdout);
    let audit = make(&sandbox, &["db-audit"]).run().ok();
    assert!(
        audit.stdout.contains("no audit records yet"),
        "{}",
        audit.stdout
    );
    let made = make(&sandbox, &["db-new", "NAME=visit notes"]).run().ok();
    assert!(
        folder.join("03-visit-notes").join("up.sql").is_file(),
        "{}",
        made.stdout
    );
    make(&sandbox, &["db-new", "NAME=onsen hours", "REBUILD=onsens"])
        .run()
        .ok();
    let up = std::fs::read_to_string(folder.join("04-onsen-hours").join("up.sql")).unwrap();
    assert!(
        up.contains("\n-- onsendo:foreign-keys-off\n") && up.contains("\nDROP TABLE onsens;\n"),
        "{up}"
    );
}

/// A folder outside the repository and the sandbox's spaces, where a command run by mistake
/// would leave its `pwned` file.
fn canary() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("canary").tempdir().unwrap()
}

#[test]
fn values_reach_the_database_byte_for_byte() {
    let sandbox = Sandbox::new();
    make(&sandbox, &["db-init"]).run().ok();
    let db = sandbox.db("test");
    let trap = canary();
    let pwned = trap.path().join("pwned");
    let notes = format!(
        "paid $5 $$ $(shell touch {p}) `touch {p}` $(touch {p}); touch {p} # not a comment \\ 'single' \"double\"\nline two 温泉 %$%",
        p = pwned.display()
    );
    make(
        &sandbox,
        &[
            "visit-add",
            "ONSEN=1",
            "DATE=2026-11-22",
            "RATING=8",
            &format!("NOTES={notes}"),
        ],
    )
    .run()
    .ok();
    let hex = |text: &str| text.bytes().map(|b| format!("{b:02X}")).collect::<String>();
    assert_eq!(
        sandbox.sqlite(&db, "SELECT hex(notes) FROM visits"),
        hex(&notes),
        "stored as typed"
    );
    make(
        &sandbox,
        &[
            "visit-add",
            "ONSEN=2",
            "DATE=2026-11-23",
            "RATING=7",
            "NOTES=plain",
        ],
    )
    .run()
    .ok();
    let out = make(
        &sandbox,
        &[
            "db-exec",
            "SQL=-- a comment first\nSELECT count(*) AS n FROM visits WHERE notes LIKE '%$%'",
        ],
    )
    .run()
    .ok();
    assert_eq!(out.stdout, "n\n1\n", "`$` in SQL stays");
    let out = make(
        &sandbox,
        &[
            "db-exec",
            "WRITE=1",
            "DRY_RUN=1",
            "SQL=UPDATE visits SET notes = 'x' WHERE notes LIKE '%\\$%'",
        ],
    )
    .run()
    .ok();
    assert!(
        out.stdout.contains("statement 1: 0 row(s) changed"),
        "LIKE '%\\$%' matches no row: {}",
        out.stdout
    );
    make(
        &sandbox,
        &[
            "app",
            "ARGS=location add --name it's$HOME;温泉 --lat 33.28 --lon 131.5",
        ],
    )
    .run()
    .ok();
    assert_eq!(
        sandbox.sqlite(&db, "SELECT name FROM locations"),
        "it's$HOME;温泉",
        "each ARGS word as typed"
    );
    make(
        &sandbox,
        &["visit-modify", "ID=2", "NOTES=-- starts like a flag"],
    )
    .run()
    .ok();
    assert_eq!(
        sandbox.sqlite(&db, "SELECT notes FROM visits WHERE id = 2"),
        "-- starts like a flag"
    );
    assert!(!pwned.exists(), "nothing ran");
}

#[test]
fn a_quote_in_env_id_or_file_runs_nothing() {
    let sandbox = Sandbox::new();
    make(&sandbox, &["db-init"]).run().ok();
    let trap = canary();
    let pwned = trap.path().join("pwned");
    let evil = format!(
        "1'; touch {p}; echo '\"; touch {p}; \"",
        p = pwned.display()
    );
    let out = make(&sandbox, &["db-path", &format!("ENV={evil}")]).run();
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("unknown ENV"), "{}", out.stderr);
    let out = make(&sandbox, &["show-env"])
        .env("ONSENDO_ENV", &evil)
        .run();
    assert_ne!(out.code, 0);
    for (target, value) in [
        ("visit-show", "ID"),
        ("onsen-show", "ID"),
        ("visit-delete", "ID"),
        ("verify", "FILE"),
        ("db-sql", "FILE"),
        ("visit-import", "FILE"),
        ("restore", "FILE"),
        ("db-new", "NAME"),
    ] {
        let out = make(&sandbox, &[target, &format!("{value}={evil}"), "DRY_RUN=1"]).run();
        assert_ne!(out.code, 0, "{target}: {}", out.stdout);
    }
    let out = make(
        &sandbox,
        &[
            "db-path",
            &format!("UNUSED=$(shell touch {})", pwned.display()),
        ],
    )
    .run()
    .ok();
    assert_eq!(out.stdout.trim(), sandbox.db("test").display().to_string());
    assert!(!pwned.exists(), "no value ran as a command");
}

#[test]
fn env_from_the_shells_environment_does_not_count() {
    let sandbox = Sandbox::new();
    let trap = canary();
    let pwned = trap.path().join("pwned");
    let out = make(&sandbox, &["show-env"]).env("ENV", "prod").run().ok();
    assert!(
        out.stdout.contains("environment: test (from ONSENDO_ENV)"),
        "{}",
        out.stdout
    );
    let out = make(&sandbox, &["db-path"])
        .env("ENV", format!("$(shell touch {})", pwned.display()))
        .env_remove("ONSENDO_ENV")
        .run()
        .ok();
    assert_eq!(out.stdout.trim(), sandbox.db("dev").display().to_string());
    let out = make(&sandbox, &["db-path", "ENV= Prod "]).run().ok();
    assert_eq!(out.stdout.trim(), sandbox.db("prod").display().to_string());
    make(&sandbox, &["db-init", "ENV=dev"])
        .env("DRY_RUN", "1")
        .run()
        .ok();
    assert!(
        sandbox.db("dev").exists(),
        "DRY_RUN in the shell's environment is not given to this make"
    );
    assert!(!pwned.exists());
}

#[test]
fn prune_honours_env() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    sandbox.init("prod");
    for env in ["prod", "prod", "dev", "dev"] {
        make(&sandbox, &["backup", &format!("ENV={env}")])
            .run()
            .ok();
    }
    let count = |env: &str| {
        crate::support::names_in(&sandbox.backup_dir())
            .iter()
            .filter(|name| name.starts_with(&format!("onsen_{env}_")) && name.ends_with(".db"))
            .count()
    };
    let out = make(&sandbox, &["prune", "ENV=dev", "KEEP=1"]).run().ok();
    assert!(
        out.stdout.contains("removed 1 of 2 backups (dev)"),
        "{}",
        out.stdout
    );
    assert_eq!((count("dev"), count("prod")), (1, 2), "prod's backups stay");
    let out = make(&sandbox, &["prune", "ENV=prod", "KEEP=1"]).run();
    assert_ne!(out.code, 0, "prod's rules: no confirmation");
    assert_eq!(count("prod"), 2);
    make(
        &sandbox,
        &["prune", "ENV=dev", "KEEP=1", "ALL_ENVS=1", "YES=1"],
    )
    .run()
    .ok();
    assert_eq!((count("dev"), count("prod")), (1, 1));
}

#[test]
fn hints_from_make_use_the_make_form_and_act_when_pasted() {
    let sandbox = Sandbox::new();
    let out = make(&sandbox, &["visit-list", "ENV=prod"]).run();
    assert_ne!(out.code, 0);
    let hint = crate::support::hint_in(&out.stderr, "make db-init");
    assert!(hint.contains(" ENV=prod"), "{hint}");
    let words = crate::support::pasted_words(&hint);
    assert_eq!(words[0], "make");
    make(&sandbox, &[])
        .args(&words[1..])
        .env("ONSENDO_ENV", "dev")
        .env_remove("ONSENDO_ROOT")
        .run()
        .ok();
    assert!(sandbox.db("prod").exists(), "{hint}");
    assert!(!sandbox.db("dev").exists());
    let out = make(
        &sandbox,
        &["db-exec", "ENV=prod", "WRITE=1", "SQL=DELETE FROM visits"],
    )
    .run();
    let rerun = crate::support::hint_in(&out.stderr, "ENV=prod");
    assert!(rerun.ends_with(" YES=1"), "{}", out.stderr);
}

#[test]
fn a_missing_value_is_asked_for_in_the_make_form_before_anything_runs() {
    let sandbox = Sandbox::new();
    for (target, expected) in [
        (
            "onsen-show",
            "error: ID is missing: give it as `make onsen-show ID=3`",
        ),
        (
            "visit-delete",
            "error: ID is missing: give it as `make visit-delete ID=3`",
        ),
        (
            "visit-import",
            "error: FILE is missing: give it as `make visit-import FILE=visits.csv`",
        ),
        (
            "db-exec",
            "error: SQL is missing: give it as `make db-exec SQL=\"SELECT count(*) FROM visits\"`",
        ),
        (
            "db-new",
            "error: NAME is missing: give it as `make db-new NAME=add-visit-moods`",
        ),
    ] {
        let out = make(&sandbox, &[target, "ID=", "ENV=dev"]).run().code(2);
        assert!(out.stderr.contains(expected), "{target}: {}", out.stderr);
        assert!(
            !out.stderr.contains("does not exist"),
            "nothing ran: {}",
            out.stderr
        );
    }
}
