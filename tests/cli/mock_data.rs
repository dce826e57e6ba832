//! `cargo xtask database mock-data`: deterministic visits for throwaway databases; prod refused.

use crate::support::{bytes, Sandbox};

fn dump(sandbox: &Sandbox) -> String {
    sandbox.sqlite(
        &sandbox.db("test"),
        "SELECT group_concat(line, char(10)) FROM (SELECT v.id || '|' || o.name || '|' || v.visited_at || '|' || v.personal_rating || '|' || ifnull(v.notes, '') || '|' || v.created_at AS line FROM visits v JOIN onsens o ON o.id = v.onsen_id ORDER BY v.id)",
    )
}

fn mock(sandbox: &Sandbox, args: &[&str]) -> crate::support::Output {
    sandbox
        .xtask()
        .args(["database", "mock-data"])
        .args(args)
        .run()
}

#[test]
fn mock_data_adds_valid_visits_and_the_same_seed_gives_the_same_rows() {
    let first = Sandbox::new();
    first.init("test");
    let out = mock(&first, &["--visits", "5000", "--seed", "42"]).ok();
    assert!(out.stdout.contains("added 5000 visits"), "{}", out.stdout);
    let db = first.db("test");
    assert_eq!(first.sqlite(&db, "SELECT count(*) FROM visits"), "5000");
    assert_eq!(first.sqlite(&db, "PRAGMA integrity_check"), "ok");
    assert_eq!(first.sqlite(&db, "PRAGMA foreign_key_check"), "");
    let rated: i64 = first
        .sqlite(&db, "SELECT count(DISTINCT personal_rating) FROM visits")
        .parse()
        .unwrap();
    assert_eq!(rated, 10, "ratings spread over 1..10");

    let second = Sandbox::new();
    second.init("test");
    mock(&second, &["--visits", "5000", "--seed", "42"]).ok();
    assert_eq!(dump(&first), dump(&second));
    let third = Sandbox::new();
    third.init("test");
    mock(&third, &["--visits", "5000", "--seed", "43"]).ok();
    assert_ne!(dump(&first), dump(&third));
}

#[test]
fn prod_is_refused_and_bad_counts_are_usage_errors() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    let before = bytes(&db);
    let out = mock(&sandbox, &["--visits", "10", "--env", "prod", "--yes"]).code(3);
    assert!(
        out.stderr.contains("prod is refused, with no override"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before);
    let record = sandbox.last_audit();
    assert!(
        record["outcome"].as_str().unwrap().starts_with("refused"),
        "the refusal is audited: {record}"
    );
    assert_eq!(record["confirmation"], "refused");
    for bad in ["0", "-3", "many"] {
        let out = mock(&sandbox, &["--visits", bad, "--env", "prod"]).code(2);
        assert!(
            out.stderr.contains("is not a whole number above 0"),
            "{bad}: {}",
            out.stderr
        );
    }
    assert_eq!(bytes(&db), before);
}

#[test]
fn a_dry_run_leaves_the_file_byte_identical() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let before = bytes(&db);
    let out = mock(&sandbox, &["--visits", "100", "--dry-run"]).ok();
    assert!(
        out.stdout.contains("would add 100 visits"),
        "{}",
        out.stdout
    );
    assert_eq!(bytes(&db), before);
}
