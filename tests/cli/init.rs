//! `cargo xtask database init`: creation, idempotency, prod, dry run.

use crate::split::{legacy_path, make_legacy, split};
use crate::support::{bytes, hint_in, is_lock_file, names_in, Sandbox};

#[test]
fn init_creates_a_migrated_stamped_seeded_database() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .xtask()
        .args(["database", "init", "--env", "dev"])
        .run()
        .ok();
    let db = sandbox.db("dev");
    assert!(out.stdout.contains("created"), "{}", out.stdout);
    assert!(
        out.stderr.contains("dev: database init on"),
        "{}",
        out.stderr
    );
    assert_eq!(sandbox.sqlite(&db, "PRAGMA user_version"), "1");
    assert_eq!(
        sandbox.sqlite(
            &db,
            "SELECT value FROM onsendo_meta WHERE key = 'environment'"
        ),
        "dev"
    );
    assert_eq!(sandbox.sqlite(&db, "PRAGMA journal_mode"), "delete");
    assert_eq!(sandbox.sqlite(&db, "PRAGMA integrity_check"), "ok");
    let onsens: usize = sandbox
        .sqlite(&db, "SELECT count(*) FROM onsens")
        .parse()
        .unwrap();
    assert!(onsens >= 5, "{onsens} reference onsens");
    let tables = sandbox.sqlite(&db, "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name)");
    assert_eq!(
        tables,
        "locations onsendo_meta onsendo_migrations onsens visits"
    );
    assert_eq!(
        sandbox.sqlite(
            &db,
            "SELECT version, name, how, applied_at IS NOT NULL FROM onsendo_migrations"
        ),
        "1|01-initial|applied|1",
        "the ledger records the migration that built it"
    );
    let leftovers: Vec<_> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| !is_lock_file(&name.to_string_lossy()))
        .collect();
    assert_eq!(
        leftovers,
        vec![std::ffi::OsString::from("onsen.dev.db")],
        "no temporary or side files remain"
    );
}

#[test]
fn a_second_init_changes_nothing_and_says_so() {
    let sandbox = Sandbox::new();
    sandbox
        .xtask()
        .args(["database", "init", "--env", "dev"])
        .run()
        .ok();
    let before = bytes(&sandbox.db("dev"));
    let out = sandbox
        .xtask()
        .args(["database", "init", "--env", "dev"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("already initialised at version 1"),
        "{}",
        out.stdout
    );
    assert_eq!(bytes(&sandbox.db("dev")), before);
    let json = sandbox
        .xtask()
        .args(["database", "init", "--env", "dev", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(json["created"], false);
    assert_eq!(json["version"], 1);
}

#[test]
fn prod_init_shows_the_banner_and_writes_an_audit_record() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .xtask()
        .args(["database", "init", "--env", "prod"])
        .run()
        .ok();
    assert!(out.stderr.contains("PROD DATABASE"), "{}", out.stderr);
    assert!(
        out.stderr.contains("operation:   database init"),
        "{}",
        out.stderr
    );
    let db = sandbox.db("prod");
    assert_eq!(
        sandbox.sqlite(&db, "SELECT value FROM onsendo_meta"),
        "prod"
    );
    let log = std::fs::read_to_string(sandbox.audit_log()).unwrap();
    let record: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(record["outcome"], "ok");
    assert_eq!(record["database"], db.display().to_string());
    assert!(record["command"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "init"));
    for field in ["time", "user", "host", "confirmation", "duration_ms"] {
        assert!(!record[field].is_null(), "{field} in {record}");
    }
}

#[test]
fn dry_run_init_creates_nothing() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .xtask()
        .args(["database", "init", "--dry-run"])
        .run()
        .ok();
    assert!(out.stdout.contains("would create"), "{}", out.stdout);
    assert!(!sandbox.db("test").exists());
}

#[test]
fn init_seed_and_mock_data_refuse_a_database_not_at_this_codes_head() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let commands: [&[&str]; 3] = [
        &["database", "init"],
        &["database", "seed"],
        &["database", "mock-data", "--visits", "3"],
    ];
    for (version, said) in [
        (
            "99",
            "it is at schema version 99, 98 versions above this code's head (1); update the code",
        ),
        (
            "0",
            "it is at schema version 0 and this code expects 1; apply the pending migrations first",
        ),
        (
            "-7",
            "its schema version (PRAGMA user_version) is -7, which no migration sets",
        ),
    ] {
        sandbox.sqlite(
            &db,
            &format!("DELETE FROM onsens WHERE id = 1; PRAGMA user_version = {version}"),
        );
        let before = bytes(&db);
        for command in commands {
            let out = sandbox.xtask().args(command).run().code(3);
            assert!(
                out.stderr.contains(said),
                "{command:?} at {version}: {}",
                out.stderr
            );
            assert_eq!(out.stderr.matches("error:").count(), 1, "{}", out.stderr);
            assert_eq!(bytes(&db), before, "{command:?} at {version}");
        }
    }
}

#[test]
fn init_beside_an_unsplit_legacy_database_refuses_and_points_to_the_split() {
    let sandbox = Sandbox::new();
    let legacy = legacy_path(&sandbox);
    make_legacy(&sandbox, &legacy, "PRAGMA user_version = 1;");
    let before = bytes(&legacy);
    for env in ["dev", "prod"] {
        for dry_run in [false, true] {
            let out = sandbox
                .xtask()
                .args(["database", "init", "--env", env])
                .args(dry_run.then_some("--dry-run"))
                .run()
                .code(3);
            assert!(
                out.stderr.starts_with(&format!(
                    "error: database `{}` does not exist yet, but the legacy database `{}` does; split it first with `",
                    sandbox.db(env).display(),
                    legacy.display()
                )),
                "{env}, dry run {dry_run}: {}",
                out.stderr
            );
            let hint = hint_in(&out.stderr, "cargo xtask database migrate-to-envs");
            assert!(hint.contains(&format!(" --env {env}")), "{hint}");
            assert_eq!(names_in(&sandbox.root().join("data/db")), ["onsen.db"]);
        }
    }
    assert_eq!(bytes(&legacy), before, "the legacy file is only read");
    assert!(
        sandbox.last_audit()["outcome"]
            .as_str()
            .unwrap()
            .starts_with("refused: database"),
        "the refusal on prod is audited"
    );

    sandbox
        .xtask()
        .args(["database", "init", "--env", "test"])
        .run()
        .ok();
    split(&sandbox, &[]).run().ok();
    let out = sandbox
        .xtask()
        .args(["database", "init", "--env", "dev"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("is already initialised"),
        "after the split, init finds dev made from the legacy file: {}",
        out.stdout
    );
}
