//! `cargo xtask database reset`: dev and test only, a backup first, then a fresh
//! database in one transaction; prod refused with no override.

use crate::support::{bytes, names_in, Sandbox};

fn fill(sandbox: &Sandbox, env: &str) {
    sandbox.sqlite(
        &sandbox.db(env),
        "INSERT INTO visits (onsen_id, visited_at, personal_rating) VALUES (1, '2026-01-01', 7), (2, '2026-01-02', 9);
         CREATE TABLE scratch (x); CREATE VIEW recent AS SELECT * FROM visits;
         UPDATE onsens SET region = 'edited';",
    );
}

#[test]
fn reset_backs_up_then_leaves_a_fresh_stamped_seeded_database() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let fresh_schema = sandbox.sqlite(
        &db,
        "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name)",
    );
    let fresh_onsens = sandbox.sqlite(&db, "SELECT group_concat(region, ',') FROM onsens");
    fill(&sandbox, "test");
    let before = bytes(&db);

    let out = sandbox
        .xtask()
        .args(["database", "reset", "--json"])
        .run()
        .ok();
    let json = out.json();
    let backup = std::path::PathBuf::from(json["backup"].as_str().unwrap());
    assert_eq!(
        bytes(&backup),
        before,
        "the backup holds the data before the reset"
    );
    assert!(backup.with_extension("json").exists());
    sandbox
        .xtask()
        .args(["database", "verify"])
        .arg(&backup)
        .run()
        .ok();

    assert_eq!(sandbox.sqlite(&db, "SELECT count(*) FROM visits"), "0");
    assert_eq!(
        sandbox.sqlite(
            &db,
            "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name)"
        ),
        fresh_schema,
        "the same schema as a fresh init: no scratch table, no view"
    );
    assert_eq!(
        sandbox.sqlite(&db, "SELECT group_concat(region, ',') FROM onsens"),
        fresh_onsens
    );
    assert_eq!(sandbox.stamp(&db), "test");
    assert_eq!(sandbox.sqlite(&db, "PRAGMA integrity_check"), "ok");
    let status = sandbox
        .xtask()
        .args(["database", "status", "--check"])
        .run();
    assert_eq!(
        status.code, 0,
        "at head with a true ledger: {}",
        status.stdout
    );
}

#[test]
fn a_dry_run_says_what_would_go_and_leaves_the_file_byte_identical() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    fill(&sandbox, "test");
    let db = sandbox.db("test");
    let before = bytes(&db);
    let out = sandbox
        .xtask()
        .args(["database", "reset", "--dry-run"])
        .run()
        .ok();
    assert!(out.stdout.contains("would reset"), "{}", out.stdout);
    assert!(out.stdout.contains("6 tables dropped"), "{}", out.stdout);
    assert_eq!(bytes(&db), before);
    assert!(
        names_in(&sandbox.backup_dir()).is_empty(),
        "no backup for a dry run"
    );
}

#[test]
fn prod_is_refused_even_with_yes_and_the_refusal_is_audited() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    let before = bytes(&db);
    for extra in [&["--yes"][..], &["--dry-run"][..], &[][..]] {
        let out = sandbox
            .xtask()
            .args(["database", "reset", "--env", "prod"])
            .args(extra)
            .run()
            .code(3);
        assert!(
            out.stderr.contains("prod is refused, with no override"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(bytes(&db), before);
    assert!(names_in(&sandbox.backup_dir()).is_empty());
    let record = sandbox.last_audit();
    assert!(record["outcome"].as_str().unwrap().starts_with("refused"));
    assert_eq!(record["confirmation"], "refused");
}

#[test]
fn a_file_stamped_prod_is_refused_through_database_too() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let copy = sandbox.root().join("copy of prod.db");
    std::fs::copy(sandbox.db("prod"), &copy).unwrap();
    let before = bytes(&copy);
    sandbox
        .xtask()
        .args(["database", "reset", "--yes", "--database"])
        .arg(&copy)
        .run()
        .code(3);
    assert_eq!(bytes(&copy), before);
}
