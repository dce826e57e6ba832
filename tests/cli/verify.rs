//! `database verify`: a healthy database and backup pass; changed bytes, an edited or missing manifest,
//! damage, truncation and files that are no database fail, with what was found.

use crate::backup::{
    add_visits, assert_same_content, backup, big_dev, change_one_byte, edit_manifest, manifest,
    manifest_path, overwrite, restore_into, truncate_to_half, verify, verify_file,
};
use crate::split::hashes_under;
use crate::support::{bytes, Sandbox};
use serde_json::Value;
use std::path::PathBuf;

/// The names of the checks that failed in `verify --json` output.
fn failed_checks(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["check"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn verify_passes_a_healthy_database_and_backup() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let out = verify(&sandbox, &["--env", "dev"]).run().ok();
    for line in [
        "✓ header: SQLite format 3",
        "✓ size:",
        "✓ integrity_check: ok",
        "✓ foreign_key_check: no violations",
    ] {
        assert!(out.stdout.contains(line), "{line}: {}", out.stdout);
    }
    assert!(
        !out.stdout.contains("manifest"),
        "a live database has no manifest"
    );

    let path = backup(&sandbox, "dev", &[]);
    let report = verify(&sandbox, &["--json"]).arg(&path).run().ok().json();
    assert_eq!(report["passed"], true);
    let checks: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        [
            "header",
            "size",
            "integrity_check",
            "foreign_key_check",
            "manifest size",
            "manifest file hash",
            "manifest content hash",
            "manifest environment"
        ]
    );
}

#[test]
fn verify_latest_checks_the_newest_backup_of_the_environment() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    sandbox.init("test");
    backup(&sandbox, "dev", &[]);
    let newest = backup(&sandbox, "dev", &[]);
    backup(&sandbox, "test", &[]);
    let out = verify(&sandbox, &["--latest", "--env", "dev"]).run().ok();
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        newest.display().to_string()
    );
    assert!(
        out.stdout.contains("✓ manifest content hash"),
        "{}",
        out.stdout
    );

    let empty = Sandbox::new();
    empty.init("dev");
    let out = verify(&empty, &["--latest", "--env", "dev"]).run().code(1);
    assert!(
        out.stderr.contains("there is no backup of dev"),
        "{}",
        out.stderr
    );
}

#[test]
fn quick_runs_quick_check_instead_of_integrity_check() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let out = verify(&sandbox, &["--env", "dev", "--quick"]).run().ok();
    assert!(out.stdout.contains("✓ quick_check: ok"), "{}", out.stdout);
    assert!(!out.stdout.contains("integrity_check"), "{}", out.stdout);
}

/// An index whose entries no longer match its table's rows, every page well formed: only the
/// index-against-table part of `integrity_check` sees it, and verify gives SQLite's own finding.
#[test]
fn an_index_that_disagrees_with_its_rows_fails_verify_but_not_quick() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    sandbox
        .xtask()
        .args(["database", "mock-data", "--env", "dev", "--visits", "300"])
        .run()
        .ok();
    let db = sandbox.db("dev");
    sandbox.sqlite(
        &db,
        "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE INDEX visits_by_date ON visits (created_at)' WHERE name = 'visits_by_date'",
    );
    let before = bytes(&db);
    verify(&sandbox, &["--env", "dev", "--quick"]).run().ok();
    let out = verify(&sandbox, &["--env", "dev"]).run().code(4);
    assert!(
        out.stdout
            .contains("✗ integrity_check: row 1 missing from index visits_by_date"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("missing from index visits_by_date"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before, "verify changes nothing");
}

#[test]
fn changed_backup_bytes_fail_the_manifest_file_hash() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let path = backup(&sandbox, "dev", &[]);
    change_one_byte(&path);
    assert_eq!(
        sandbox.sqlite(&path, "PRAGMA integrity_check"),
        "ok",
        "a change only the hash can see"
    );
    let out = verify_file(&sandbox, &path).code(4);
    assert!(out.stderr.contains("manifest file hash"), "{}", out.stderr);
    assert!(
        out.stdout.contains("✗ manifest file hash"),
        "{}",
        out.stdout
    );
    let report = verify(&sandbox, &["--json"])
        .arg(&path)
        .run()
        .code(4)
        .json();
    assert_eq!(report["passed"], false);
    assert_eq!(failed_checks(&report), ["manifest file hash"]);
}

#[test]
fn an_edited_manifest_fails_verification() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let path = backup(&sandbox, "dev", &[]);
    edit_manifest(
        &path,
        "logical_digest",
        Value::from("xxh3-128:00000000000000000000000000000000"),
    );
    let out = verify_file(&sandbox, &path).code(4);
    assert!(
        out.stderr.contains("manifest content hash"),
        "{}",
        out.stderr
    );

    std::fs::write(manifest_path(&path), "{\"file\": 1}").unwrap();
    let out = verify_file(&sandbox, &path).code(4);
    assert!(out.stderr.contains("is damaged"), "{}", out.stderr);
}

#[test]
fn a_manifest_naming_another_environment_fails_and_the_backup_is_not_restored() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    sandbox.init("test");
    let from_dev = backup(&sandbox, "dev", &[]);
    edit_manifest(&from_dev, "environment", Value::from("test"));
    let out = verify_file(&sandbox, &from_dev).code(4);
    assert!(
        out.stdout.contains(
            "✗ manifest environment: the manifest says test, but the backup is stamped dev"
        ),
        "{}",
        out.stdout
    );

    let test_db = sandbox.db("test");
    let before = bytes(&test_db);
    let out = restore_into(&sandbox, "test", &from_dev).run().code(4);
    assert!(
        out.stderr.contains("manifest environment"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&test_db), before, "no restore without --cross-env");
    assert_eq!(sandbox.stamp(&test_db), "test");
}

#[test]
fn a_backup_without_its_manifest_fails_in_the_backup_folder_only() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let path = backup(&sandbox, "dev", &[]);
    std::fs::remove_file(manifest_path(&path)).unwrap();
    let out = verify_file(&sandbox, &path).code(4);
    assert!(out.stderr.contains("has no manifest"), "{}", out.stderr);

    let elsewhere = sandbox.root().join("copied out.db");
    std::fs::copy(&path, &elsewhere).unwrap();
    let out = verify_file(&sandbox, &elsewhere).ok();
    assert!(
        out.stdout.contains("✓ integrity_check: ok"),
        "{}",
        out.stdout
    );
}

/// A dev database with one visit whose onsen does not exist (the `sqlite3` shell does not
/// enforce foreign keys).
fn with_a_foreign_key_violation(sandbox: &Sandbox) -> PathBuf {
    sandbox.init("dev");
    let db = sandbox.db("dev");
    sandbox.sqlite(
        &db,
        "INSERT INTO visits (onsen_id, visited_at, personal_rating) VALUES (9999, '2026-01-01', 5)",
    );
    assert_eq!(
        sandbox.sqlite(&db, "SELECT count(*) FROM pragma_foreign_key_check"),
        "1"
    );
    db
}

#[test]
fn a_backup_keeps_its_sources_foreign_key_violations_and_still_verifies() {
    let sandbox = Sandbox::new();
    let db = with_a_foreign_key_violation(&sandbox);
    let out = verify(&sandbox, &["--env", "dev"]).run().code(4);
    assert!(
        out.stdout
            .contains("✗ foreign_key_check: 1 violations (allowed: 0)"),
        "a live database is held to none: {}",
        out.stdout
    );

    let plain = backup(&sandbox, "dev", &[]);
    assert_eq!(manifest(&plain)["foreign_key_violations"], Value::Null);
    let out = verify_file(&sandbox, &plain).ok();
    assert!(
        out.stdout
            .contains("✓ foreign_key_check: 1 violations, the source's own"),
        "{}",
        out.stdout
    );
    let thorough = backup(&sandbox, "dev", &["--thorough"]);
    assert_eq!(manifest(&thorough)["foreign_key_violations"], 1);
    let out = verify_file(&sandbox, &thorough).ok();
    assert!(
        out.stdout
            .contains("✓ foreign_key_check: 1 violations, as many as in the source"),
        "{}",
        out.stdout
    );

    sandbox.sqlite(&db, "DELETE FROM visits");
    restore_into(&sandbox, "dev", &plain).run().ok();
    assert_same_content(&sandbox, &db, &plain);
}

#[test]
fn a_truncated_file_fails_naming_its_size() {
    let sandbox = Sandbox::new();
    let db = big_dev(&sandbox);
    let copy = sandbox.root().join("cut in half.db");
    std::fs::copy(&db, &copy).unwrap();
    truncate_to_half(&copy);
    let out = verify_file(&sandbox, &copy).code(4);
    assert!(
        out.stderr.contains("size:") && out.stderr.contains("truncated"),
        "{}",
        out.stderr
    );
    let report = verify(&sandbox, &["--json"])
        .arg(&copy)
        .run()
        .code(4)
        .json();
    assert!(
        failed_checks(&report).contains(&"size".to_string()),
        "{report}"
    );

    let path = backup(&sandbox, "dev", &[]);
    truncate_to_half(&path);
    let report = verify(&sandbox, &["--json"])
        .arg(&path)
        .run()
        .code(4)
        .json();
    let failed = failed_checks(&report);
    for check in ["size", "manifest size", "manifest file hash"] {
        assert!(failed.contains(&check.to_string()), "{check}: {report}");
    }
}

#[test]
fn a_damaged_page_fails_the_structural_check() {
    let sandbox = Sandbox::new();
    let db = big_dev(&sandbox);
    let page_size: usize = sandbox.sqlite(&db, "PRAGMA page_size").parse().unwrap();
    let pages: usize = sandbox.sqlite(&db, "PRAGMA page_count").parse().unwrap();
    assert!(pages > 50, "{pages} pages");
    let copy = sandbox.root().join("damaged copy.db");
    std::fs::copy(&db, &copy).unwrap();
    overwrite(&copy, pages / 2 * page_size + 16, 512, 0xA5);
    let damaged = bytes(&copy);
    let out = verify_file(&sandbox, &copy).code(4);
    assert!(out.stderr.contains("integrity_check"), "{}", out.stderr);
    assert!(
        out.stdout.contains("✓ size"),
        "the size is right: {}",
        out.stdout
    );
    let out = verify(&sandbox, &["--quick"]).arg(&copy).run().code(4);
    assert!(out.stderr.contains("quick_check"), "{}", out.stderr);
    assert_eq!(bytes(&copy), damaged, "verify changes nothing");

    // The schema's page (after the 100-byte header): SQLite cannot even open it.
    let schema = sandbox.root().join("damaged schema.db");
    std::fs::copy(&db, &schema).unwrap();
    overwrite(&schema, 100, page_size - 100, 0xA5);
    let out = verify_file(&sandbox, &schema).code(4);
    assert!(
        out.stdout.contains("✗ integrity_check: database")
            && out.stdout.contains("is damaged or not a SQLite database"),
        "{}",
        out.stdout
    );
}

#[test]
fn files_that_are_not_databases_fail_with_a_clear_message() {
    let sandbox = Sandbox::new();
    let cases: [(&str, &[u8], &str); 2] = [
        ("empty.db", b"", "is empty (0 bytes)"),
        (
            "notes.txt",
            b"a shopping list, not a database\n",
            "not a SQLite database",
        ),
    ];
    for (name, content, message) in cases {
        let path = sandbox.root().join(name);
        std::fs::write(&path, content).unwrap();
        let out = verify_file(&sandbox, &path).code(4);
        assert!(out.stderr.contains(message), "{name}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert_eq!(bytes(&path), content, "{name} unchanged");
    }
}

#[test]
fn backup_and_restore_refuse_files_that_are_no_healthy_database() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db = sandbox.db("dev");
    let kept = backup(&sandbox, "dev", &[]);
    let truncated = sandbox.root().join("truncated ✓.db");
    add_visits(&sandbox, &db, 2_000);
    std::fs::copy(&db, &truncated).unwrap();
    truncate_to_half(&truncated);
    let empty = sandbox.root().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let text = sandbox.root().join("notes.db");
    std::fs::write(&text, b"a shopping list, not a database\n").unwrap();
    let missing = sandbox.root().join("no such file.db");
    let cases = [
        (&missing, "does not exist"),
        (&empty, "is empty (0 bytes)"),
        (&text, "not a SQLite database"),
        (&truncated, "is damaged or not a SQLite database"),
    ];
    let everything = hashes_under(sandbox.root());
    for (path, message) in cases {
        let out = sandbox
            .xtask()
            .args(["database", "backup", "--database"])
            .arg(path)
            .run()
            .code(1);
        assert!(
            out.stderr.contains(message),
            "{}: {}",
            path.display(),
            out.stderr
        );

        let out = restore_into(&sandbox, "dev", path).run();
        let said = if path == &missing {
            "does not exist"
        } else {
            "has no manifest"
        };
        assert!(
            out.code != 0 && out.stderr.contains(said),
            "{}: {}",
            path.display(),
            out.stderr
        );
        assert_eq!(
            hashes_under(sandbox.root()),
            everything,
            "{}: nothing changed",
            path.display()
        );
    }
    verify_file(&sandbox, &kept).ok();
}
