//! `cargo xtask database seed`: restores missing reference onsens, idempotent, allowed on prod
//! with the banner and an audit record.

use crate::support::{bytes, Sandbox};

fn count(sandbox: &Sandbox, env: &str) -> usize {
    sandbox
        .sqlite(&sandbox.db(env), "SELECT count(*) FROM onsens")
        .parse()
        .unwrap()
}

#[test]
fn seed_adds_what_is_missing_then_nothing() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let full = count(&sandbox, "test");
    sandbox.sqlite(
        &db,
        "DELETE FROM onsens WHERE id IN (SELECT id FROM onsens LIMIT 2)",
    );
    assert_eq!(count(&sandbox, "test"), full - 2);

    let out = sandbox.xtask().args(["database", "seed"]).run().ok();
    assert!(
        out.stdout
            .contains(&format!("added 2 of {full} reference onsens")),
        "{}",
        out.stdout
    );
    assert_eq!(count(&sandbox, "test"), full);

    let before = bytes(&db);
    let again = sandbox
        .xtask()
        .args(["database", "seed", "--json"])
        .run()
        .ok();
    assert_eq!(again.json()["added"], 0);
    assert_eq!(again.json()["reference_onsens"], full);
    assert_eq!(bytes(&db), before, "a re-run changes nothing");
    let text = sandbox.xtask().args(["database", "seed"]).run().ok();
    assert!(text.stdout.contains("nothing to do"), "{}", text.stdout);
}

#[test]
fn a_dry_run_reports_and_leaves_the_file_byte_identical() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    sandbox.sqlite(
        &db,
        "DELETE FROM onsens WHERE id = (SELECT min(id) FROM onsens)",
    );
    let before = bytes(&db);
    let out = sandbox
        .xtask()
        .args(["database", "seed", "--dry-run"])
        .run()
        .ok();
    assert!(out.stdout.contains("would add 1 of"), "{}", out.stdout);
    assert_eq!(bytes(&db), before);
}

#[test]
fn seed_on_prod_shows_the_banner_and_is_audited_without_a_typed_confirmation() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    let full = count(&sandbox, "prod");
    sandbox.sqlite(
        &db,
        "DELETE FROM onsens WHERE id = (SELECT max(id) FROM onsens)",
    );
    let out = sandbox
        .xtask()
        .args(["database", "seed", "--env", "prod"])
        .run()
        .ok();
    assert!(out.stderr.contains("PROD DATABASE"), "{}", out.stderr);
    assert_eq!(count(&sandbox, "prod"), full);
    let record = sandbox.last_audit();
    assert_eq!(record["outcome"], "ok");
    assert!(record["command"].to_string().contains("seed"), "{record}");
}

#[test]
fn seed_on_a_missing_database_says_how_to_create_it() {
    let sandbox = Sandbox::new();
    let out = sandbox.xtask().args(["database", "seed"]).run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("init"), "{}", out.stderr);
    assert!(!sandbox.db("test").exists());
}
