//! `database backup`, `backups`, `verify`, `restore` and `prune`: files, manifests, exit codes.

use crate::split::hashes_under;
use crate::support::{bytes, names_in, BusyWriter, Output, Run, Sandbox, SqliteShell};
use serde_json::Value;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Runs `database backup --env ENV` plus `extra`, and returns the path it printed.
fn backup(sandbox: &Sandbox, env: &str, extra: &[&str]) -> PathBuf {
    let out = sandbox
        .xtask()
        .args(["database", "backup", "--env", env])
        .args(extra)
        .run()
        .ok();
    let path = PathBuf::from(out.stdout.trim());
    assert!(path.is_file(), "the printed path is a file: {}", out.stdout);
    path
}

/// `database verify` with `args`, to run.
fn verify(sandbox: &Sandbox, args: &[&str]) -> Run {
    sandbox.xtask().args(["database", "verify"]).args(args)
}

/// `database verify FILE`.
fn verify_file(sandbox: &Sandbox, file: &Path) -> Output {
    sandbox.xtask().args(["database", "verify"]).arg(file).run()
}

/// The manifest beside a backup.
fn manifest_path(backup: &Path) -> PathBuf {
    backup.with_extension("json")
}

pub(crate) fn manifest(backup: &Path) -> Value {
    let text = std::fs::read_to_string(manifest_path(backup)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Sets one field of a backup's manifest, as a hand edit would.
fn edit_manifest(backup: &Path, key: &str, value: Value) {
    let mut fields = manifest(backup);
    fields[key] = value;
    std::fs::write(
        manifest_path(backup),
        serde_json::to_string_pretty(&fields).unwrap(),
    )
    .unwrap();
}

fn name_of(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// The backup files (`*.db`) in the default folder.
fn backups_on_disk(sandbox: &Sandbox) -> Vec<String> {
    names_in(&sandbox.backup_dir())
        .into_iter()
        .filter(|name| name.ends_with(".db"))
        .collect()
}

fn assert_same_content(sandbox: &Sandbox, a: &Path, b: &Path) {
    let diff = sandbox.differences(a, b, None);
    assert!(
        diff.is_empty(),
        "{} and {} differ:\n{diff}",
        a.display(),
        b.display()
    );
}

fn count(sandbox: &Sandbox, db: &Path, table: &str) -> u64 {
    sandbox
        .sqlite(db, &format!("SELECT count(*) FROM {table}"))
        .parse()
        .unwrap()
}
/// Adds `n` visits with some bulk to them, so the database spans many pages.
fn add_visits(sandbox: &Sandbox, db: &Path, n: u32) {
    sandbox.sqlite(
        db,
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             INSERT INTO visits (onsen_id, visited_at, personal_rating, notes) \
             SELECT 1, '2026-01-01', 5, printf('visit %d %s', i, hex(randomblob(60))) FROM n"
        ),
    );
}

/// A dev database spanning well over a hundred pages.
fn big_dev(sandbox: &Sandbox) -> PathBuf {
    sandbox.init("dev");
    let db = sandbox.db("dev");
    add_visits(sandbox, &db, 3000);
    db
}

/// Overwrites `length` bytes of a file at `offset` with `fill`.
fn overwrite(path: &Path, offset: usize, length: usize, fill: u8) {
    let mut content = bytes(path);
    content[offset..offset + length].fill(fill);
    std::fs::write(path, content).unwrap();
}

/// Changes one byte in the middle of a small backup, in a spot `integrity_check` does not look
/// at: only the file hash can tell.
fn change_one_byte(path: &Path) {
    overwrite(path, 5000, 1, b'X');
}

/// Cuts a file to half its length.
fn truncate_to_half(path: &Path) {
    let content = bytes(path);
    std::fs::write(path, &content[..content.len() / 2]).unwrap();
}

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

/// The row of `database backups` that lists `name`.
fn listing_row(listing: &str, name: &str) -> String {
    listing
        .lines()
        .find(|line| line.trim_end().ends_with(name))
        .unwrap_or_else(|| panic!("{name} is listed:\n{listing}"))
        .to_string()
}

/// Commits two visits (one transaction) for [`BusyWriter`].
pub(crate) const WRITE_A_PAIR: &str = "BEGIN IMMEDIATE; \
    INSERT INTO visits (onsen_id, visited_at, personal_rating, notes) VALUES (1, '2026-02-01', 6, 'writer ' || hex(randomblob(200))); \
    INSERT INTO visits (onsen_id, visited_at, personal_rating, notes) VALUES (2, '2026-02-01', 7, 'writer ' || hex(randomblob(200))); \
    COMMIT;";

/// Rows the busy writer committed that a database holds.
pub(crate) fn writer_rows(sandbox: &Sandbox, db: &Path) -> u64 {
    sandbox
        .sqlite(
            db,
            "SELECT count(*) FROM visits WHERE notes LIKE 'writer %'",
        )
        .parse()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// backup
// ---------------------------------------------------------------------------------------------

#[test]
fn a_backup_is_an_equal_copy_with_a_truthful_manifest() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db = sandbox.db("dev");
    add_visits(&sandbox, &db, 200);
    let before = bytes(&db);
    let out = sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev"])
        .run()
        .ok();
    let path = PathBuf::from(out.stdout.trim());
    assert_eq!(out.stdout.lines().count(), 1, "stdout is the path only");
    assert!(out.stderr.contains("backed up"), "{}", out.stderr);
    assert_eq!(path.parent().unwrap(), sandbox.backup_dir());
    let name = name_of(&path);
    assert!(
        name.starts_with("onsen_dev_") && name.ends_with("Z.db"),
        "{name}"
    );
    let stamp_part = &name["onsen_dev_".len()..name.len() - ".db".len()];
    assert_eq!(stamp_part.len(), "20261122T081500Z".len(), "{name}");
    assert_eq!(&stamp_part[8..9], "T", "{name}");

    assert_eq!(bytes(&db), before, "the source is not changed");
    assert_same_content(&sandbox, &db, &path);
    assert_eq!(sandbox.sqlite(&path, "PRAGMA integrity_check"), "ok");
    assert_eq!(sandbox.stamp(&path), "dev");

    let fields = manifest(&path);
    let length = std::fs::metadata(&path).unwrap().len();
    assert_eq!(fields["file"], name.as_str());
    assert_eq!(fields["method"], "bytes");
    assert_eq!(fields["environment"], "dev");
    assert_eq!(fields["reason"], "manual");
    assert_eq!(fields["size"], length);
    assert_eq!(
        fields["page_size"].as_u64().unwrap() * fields["page_count"].as_u64().unwrap(),
        length
    );
    assert_eq!(
        fields["page_size"].to_string(),
        sandbox.sqlite(&path, "PRAGMA page_size")
    );
    assert_eq!(
        fields["page_count"].to_string(),
        sandbox.sqlite(&path, "PRAGMA page_count")
    );
    assert_eq!(fields["source"], db.display().to_string());
    assert!(fields["file_digest"]
        .as_str()
        .unwrap()
        .starts_with("xxh3-128:"));
    assert!(fields["logical_digest"]
        .as_str()
        .unwrap()
        .starts_with("xxh3-128:"));
    assert!(fields["tool_version"]
        .as_str()
        .unwrap()
        .starts_with("onsendo "));
    assert!(fields["created_at"].as_str().unwrap().ends_with('Z'));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - fields["created_unix"].as_i64().unwrap()).abs() < 300,
        "{fields}"
    );
    assert!(fields["foreign_key_violations"].is_null());

    let json_name = name.replace(".db", ".json");
    assert_eq!(
        names_in(&sandbox.backup_dir()),
        vec![name, json_name],
        "the backup and its manifest, no temporary files"
    );
}

#[test]
fn json_output_names_the_backup_and_its_manifest() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let out = sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev", "--json"])
        .run()
        .ok();
    let json = out.json();
    let path = PathBuf::from(json["path"].as_str().unwrap());
    assert!(path.is_file());
    assert_eq!(json["manifest"], manifest(&path), "the manifest on disk");
    assert_eq!(json["manifest"]["file"], name_of(&path).as_str());
}

#[test]
fn output_puts_the_backup_in_another_folder() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let elsewhere = sandbox.root().join("off site").join("usb stick");
    let out = sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev", "--output"])
        .arg(&elsewhere)
        .run()
        .ok();
    let path = PathBuf::from(out.stdout.trim());
    assert_eq!(path.parent().unwrap(), elsewhere);
    assert!(path.is_file() && manifest_path(&path).is_file());
    assert_eq!(names_in(&elsewhere).len(), 2, "{:?}", names_in(&elsewhere));
    assert!(backups_on_disk(&sandbox).is_empty());
    assert_same_content(&sandbox, &sandbox.db("dev"), &path);
    verify_file(&sandbox, &path).ok();
}

#[test]
fn compact_writes_a_smaller_equal_copy() {
    let sandbox = Sandbox::new();
    let db = big_dev(&sandbox);
    sandbox.sqlite(&db, "DELETE FROM visits WHERE id % 10 != 0");
    let live_size = std::fs::metadata(&db).unwrap().len();
    let plain = backup(&sandbox, "dev", &[]);
    let compact = backup(&sandbox, "dev", &["--compact"]);
    let compact_size = std::fs::metadata(&compact).unwrap().len();
    assert_eq!(std::fs::metadata(&plain).unwrap().len(), live_size);
    assert!(
        compact_size * 2 < live_size,
        "compacted {compact_size} bytes, live {live_size}"
    );
    let fields = manifest(&compact);
    assert_eq!(fields["method"], "vacuum");
    assert_eq!(fields["size"], compact_size);
    assert_eq!(
        fields["logical_digest"],
        manifest(&plain)["logical_digest"],
        "the same content"
    );
    assert_same_content(&sandbox, &db, &compact);
    verify_file(&sandbox, &compact).ok();
    assert!(
        names_in(&sandbox.backup_dir())
            .iter()
            .all(|name| !name.starts_with('.')),
        "no temporary files: {:?}",
        names_in(&sandbox.backup_dir())
    );
}

#[test]
fn thorough_checks_the_source_first() {
    let sandbox = Sandbox::new();
    let db = big_dev(&sandbox);
    let path = backup(&sandbox, "dev", &["--thorough"]);
    assert_eq!(manifest(&path)["foreign_key_violations"], 0);
    verify_file(&sandbox, &path).ok();

    let page_size: usize = sandbox.sqlite(&db, "PRAGMA page_size").parse().unwrap();
    let pages: usize = sandbox.sqlite(&db, "PRAGMA page_count").parse().unwrap();
    overwrite(&db, pages / 2 * page_size, page_size, 0xA5);
    let before = hashes_under(&sandbox.backup_dir());
    let out = sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev", "--thorough"])
        .run()
        .code(4);
    assert!(out.stderr.contains("integrity_check"), "{}", out.stderr);
    assert_eq!(
        hashes_under(&sandbox.backup_dir()),
        before,
        "no backup of a damaged database"
    );
}

#[test]
fn dry_run_backup_writes_nothing() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let before = bytes(&sandbox.db("dev"));
    let out = sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev", "--dry-run"])
        .run()
        .ok();
    assert!(out.stdout.contains("would back up"), "{}", out.stdout);
    assert!(names_in(&sandbox.backup_dir()).is_empty());
    assert_eq!(bytes(&sandbox.db("dev")), before);
}

// ---------------------------------------------------------------------------------------------
// backups
// ---------------------------------------------------------------------------------------------

#[test]
fn the_listing_flags_changed_bytes_and_missing_or_damaged_manifests() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    sandbox.init("test");
    let intact = backup(&sandbox, "dev", &[]);
    let changed = backup(&sandbox, "dev", &[]);
    let orphan = backup(&sandbox, "dev", &[]);
    let garbled = backup(&sandbox, "test", &[]);
    change_one_byte(&changed);
    std::fs::remove_file(manifest_path(&orphan)).unwrap();
    std::fs::write(manifest_path(&garbled), "{ not json").unwrap();

    let listing = sandbox
        .xtask()
        .args(["database", "backups"])
        .run()
        .ok()
        .stdout;
    let header = listing.lines().next().unwrap();
    for column in ["created (UTC)", "env", "size", "reason", "matches", "file"] {
        assert!(header.contains(column), "{header}");
    }
    let row = listing_row(&listing, &name_of(&intact));
    assert!(row.contains(" dev ") && row.contains(" manual "), "{row}");
    assert!(row.contains(" yes "), "{row}");
    assert!(row.contains("KiB"), "{row}");
    let row = listing_row(&listing, &name_of(&changed));
    assert!(row.contains(" NO: its bytes changed"), "{row}");
    let row = listing_row(&listing, &name_of(&orphan));
    assert!(row.contains(" dev "), "environment from the name: {row}");
    assert!(row.contains("unverifiable: no manifest"), "{row}");
    let row = listing_row(&listing, &name_of(&garbled));
    assert!(row.contains(" test "), "{row}");
    assert!(
        row.contains("unverifiable") && row.contains("is damaged"),
        "{row}"
    );

    let json = sandbox
        .xtask()
        .args(["database", "backups", "--json"])
        .run()
        .ok()
        .json();
    let matches: Vec<(String, bool)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let path = PathBuf::from(item["path"].as_str().unwrap());
            (name_of(&path), item["matches_manifest"].as_bool().unwrap())
        })
        .collect();
    assert_eq!(matches.len(), 4, "{json}");
    let listed = json
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["path"] == intact.display().to_string())
        .unwrap();
    let recorded = manifest(&intact);
    assert_eq!(listed["environment"], "dev");
    assert_eq!(listed["reason"], "manual");
    assert_eq!(listed["size"], std::fs::metadata(&intact).unwrap().len());
    assert_eq!(listed["created_at"], recorded["created_at"]);
    assert_eq!(listed["created_unix"], recorded["created_unix"]);
    assert_eq!(listed["status"], "yes");
    for (path, expected) in [
        (&intact, true),
        (&changed, false),
        (&orphan, false),
        (&garbled, false),
    ] {
        assert!(
            matches.contains(&(name_of(path), expected)),
            "{}: {json}",
            path.display()
        );
    }
}

#[test]
fn an_empty_folder_says_so() {
    let sandbox = Sandbox::new();
    let out = sandbox.xtask().args(["database", "backups"]).run().ok();
    assert!(out.stdout.contains("no backups in"), "{}", out.stdout);
}

// ---------------------------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// restore
// ---------------------------------------------------------------------------------------------

/// `database restore FILE --env ENV`, to run.
pub(crate) fn restore_into(sandbox: &Sandbox, env: &str, file: &Path) -> Run {
    sandbox
        .xtask()
        .args(["database", "restore", "--env", env])
        .arg(file)
}

#[test]
fn a_lost_live_database_comes_back_from_its_latest_backup() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let prod = sandbox.db("prod");
    sandbox.sqlite(
        &prod,
        "INSERT INTO locations (name) VALUES ('only in the backup')",
    );
    let made = backup(&sandbox, "prod", &[]);
    let kept = sandbox.root().join("the backup's content.db");
    std::fs::copy(&made, &kept).unwrap();
    std::fs::remove_file(&prod).unwrap();
    let before = hashes_under(&sandbox.backup_dir());

    let out = verify(&sandbox, &["--latest", "--env", "prod"]).run().ok();
    assert!(
        out.stdout.contains(&made.display().to_string()),
        "{}",
        out.stdout
    );
    let latest = ["database", "restore", "--latest", "--env", "prod"];
    let refused = sandbox.xtask().args(latest).run().code(3);
    assert!(refused.stderr.contains("prod"), "{}", refused.stderr);
    assert!(!prod.exists(), "nothing made without the confirmation");
    sandbox.xtask().args(latest).arg("--dry-run").run().ok();
    assert!(!prod.exists(), "nothing made by a dry run");

    let out = sandbox.xtask().args(latest).arg("--yes").run().ok();
    assert!(out.stdout.contains("did not exist"), "{}", out.stdout);
    assert_eq!(sandbox.differences(&kept, &prod, None), "");
    assert_eq!(sandbox.stamp(&prod), "prod");
    assert_eq!(sandbox.sqlite(&prod, "PRAGMA integrity_check"), "ok");
    assert_eq!(
        hashes_under(&sandbox.backup_dir()),
        before,
        "no backup added"
    );
    assert_eq!(sandbox.last_audit()["outcome"], "ok");
}

#[test]
fn a_file_where_the_backup_folder_should_be_is_named_and_nothing_changes() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let file = sandbox.root().join("notes.txt");
    std::fs::write(&file, "not a folder").unwrap();
    let before = hashes_under(sandbox.root());
    let out = sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev", "--output"])
        .arg(&file)
        .run()
        .code(1);
    assert!(
        out.stderr
            .contains(&format!("`{}` is not a folder", file.display())),
        "{}",
        out.stderr
    );
    assert_eq!(hashes_under(sandbox.root()), before);
}

#[test]
fn verify_of_a_missing_file_or_a_folder_fails_with_what_to_do() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let missing = sandbox.root().join("no such backup.db");
    for (file, says) in [
        (missing.as_path(), "does not exist; check the path"),
        (sandbox.root(), "is a folder, not a database file"),
    ] {
        let out = verify_file(&sandbox, file).code(1);
        assert!(out.stderr.contains(says), "{}", out.stderr);
    }
    let out = restore_into(&sandbox, "dev", sandbox.root()).run().code(1);
    assert!(
        out.stderr.contains("is a folder, not a backup file"),
        "{}",
        out.stderr
    );
}

/// `database restore` with `args`, expecting success, returning its JSON.
fn restore_json(sandbox: &Sandbox, args: &[&str]) -> Value {
    sandbox
        .xtask()
        .args(["database", "restore", "--json"])
        .args(args)
        .run()
        .ok()
        .json()
}

/// Changes a database's content in ways a restore must undo.
fn change_data(sandbox: &Sandbox, db: &Path) {
    sandbox.sqlite(db, "DELETE FROM onsens WHERE id > 3");
    add_visits(sandbox, db, 25);
}

#[test]
fn restore_brings_the_content_back_and_keeps_what_it_replaced() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db = sandbox.db("dev");
    let saved = backup(&sandbox, "dev", &[]);
    change_data(&sandbox, &db);
    let changed = sandbox.root().join("changed.db");
    std::fs::copy(&db, &changed).unwrap();
    assert!(!sandbox.differences(&db, &saved, None).is_empty());

    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&db).unwrap());
    let out = restore_json(&sandbox, &["--latest", "--env", "dev"]);
    assert_eq!(
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&db).unwrap()),
        inode,
        "written into the live file through SQLite, not renamed over it"
    );
    assert_eq!(out["restored"], saved.display().to_string());
    assert_same_content(&sandbox, &db, &saved);
    assert_eq!(count(&sandbox, &db, "visits"), 0);
    assert_eq!(sandbox.sqlite(&db, "PRAGMA integrity_check"), "ok");
    assert_eq!(sandbox.sqlite(&db, "PRAGMA journal_mode"), "delete");

    let pre_restore = PathBuf::from(out["pre_restore_backup"].as_str().unwrap());
    assert_same_content(&sandbox, &pre_restore, &changed);
    assert_eq!(manifest(&pre_restore)["reason"], "pre-restore");
    assert_eq!(manifest(&pre_restore)["environment"], "dev");
    verify_file(&sandbox, &pre_restore).ok();
    assert!(
        names_in(db.parent().unwrap()) == ["onsen.dev.db"],
        "no temporary or side files beside the live database: {:?}",
        names_in(db.parent().unwrap())
    );
}

#[test]
fn restoring_a_file_that_does_not_exist_says_so() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db = sandbox.db("dev");
    let before = bytes(&db);
    let missing = sandbox.backup_dir().join("onsen_dev_nosuch.db");
    let out = restore_into(&sandbox, "dev", &missing).run().code(1);
    assert!(
        out.stderr.contains("does not exist") && out.stderr.contains("database backups"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before);
    assert!(
        backups_on_disk(&sandbox).is_empty(),
        "no pre-restore backup"
    );
}

#[test]
fn a_damaged_backup_is_not_restored() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db = sandbox.db("dev");
    let damages = [
        ("changed bytes", change_one_byte as fn(&Path)),
        ("truncated", truncate_to_half),
    ];
    for (what, damage) in damages {
        let path = backup(&sandbox, "dev", &[]);
        damage(&path);
        change_data(&sandbox, &db);
        let live = bytes(&db);
        let before = hashes_under(&sandbox.backup_dir());
        let out = restore_into(&sandbox, "dev", &path).run().code(4);
        assert!(
            out.stderr
                .contains("refusing to restore a backup that fails verification"),
            "{what}: {}",
            out.stderr
        );
        assert_eq!(bytes(&db), live, "{what}: the live database is unchanged");
        assert_eq!(
            hashes_under(&sandbox.backup_dir()),
            before,
            "{what}: no pre-restore backup"
        );
    }
}

#[test]
fn a_backup_of_another_environment_needs_cross_env_and_is_restamped() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    sandbox.init("test");
    add_visits(&sandbox, &sandbox.db("dev"), 10);
    let from_dev = backup(&sandbox, "dev", &[]);
    let test_db = sandbox.db("test");
    let before = bytes(&test_db);
    let out = restore_into(&sandbox, "test", &from_dev).run().code(3);
    assert!(
        out.stderr.contains("is a backup of dev") && out.stderr.contains("--cross-env"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&test_db), before);

    restore_into(&sandbox, "test", &from_dev)
        .arg("--cross-env")
        .run()
        .ok();
    assert_eq!(sandbox.stamp(&test_db), "test");
    assert_eq!(count(&sandbox, &test_db, "visits"), 10);
    let diff = sandbox.differences(&from_dev, &test_db, None);
    assert_eq!(
        diff,
        "-INSERT INTO onsendo_meta VALUES('environment','dev');\n+INSERT INTO onsendo_meta VALUES('environment','test');",
        "only the stamp differs"
    );
    sandbox
        .onsendo()
        .args(["--env", "test", "visit", "list"])
        .run()
        .ok();
}

#[test]
fn prod_restore_needs_a_confirmation_and_is_audited() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    let saved = backup(&sandbox, "prod", &[]);
    change_data(&sandbox, &db);
    let changed = bytes(&db);

    let out = sandbox
        .xtask()
        .args(["database", "restore", "--latest", "--env", "prod"])
        .run()
        .code(3);
    assert!(out.stderr.contains("PROD DATABASE"), "{}", out.stderr);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert_eq!(bytes(&db), changed);
    assert_eq!(backups_on_disk(&sandbox), [name_of(&saved)]);
    assert_eq!(sandbox.last_audit()["confirmation"], "refused");

    let out = restore_json(&sandbox, &["--latest", "--env", "prod", "--yes"]);
    assert_same_content(&sandbox, &db, &saved);
    let pre_restore = out["pre_restore_backup"].as_str().unwrap();
    let record = sandbox.last_audit();
    assert_eq!(record["outcome"], "ok");
    assert_eq!(record["confirmation"], "--yes");
    assert_eq!(record["backup"], pre_restore);
    assert_eq!(record["database"], db.display().to_string());
    assert_eq!(manifest(Path::new(pre_restore))["environment"], "prod");
    assert_eq!(count(&sandbox, Path::new(pre_restore), "visits"), 25);
}

/// The typed confirmation, answered through a real terminal (`script` gives the process a pty).
#[test]
fn typing_prod_on_a_terminal_confirms_a_prod_restore() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    let saved = backup(&sandbox, "prod", &[]);
    change_data(&sandbox, &db);
    let changed = bytes(&db);
    let xtask = sandbox.onsendo_path().with_file_name("xtask");
    let restore = format!("'{}' database restore --latest --env prod", xtask.display());
    let out = sandbox
        .on_a_terminal(&restore)
        .stdin("production\n")
        .run()
        .code(3);
    assert!(
        out.stdout.contains("Type `prod` to continue"),
        "{}",
        out.stdout
    );
    assert_eq!(bytes(&db), changed);
    sandbox.on_a_terminal(&restore).stdin("prod\n").run().ok();
    assert_same_content(&sandbox, &db, &saved);
    assert_eq!(sandbox.last_audit()["confirmation"], "typed");
}

#[test]
fn dry_run_restore_changes_nothing() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    backup(&sandbox, "prod", &[]);
    change_data(&sandbox, &db);
    let changed = bytes(&db);
    let listed = hashes_under(&sandbox.backup_dir());
    let out = sandbox
        .xtask()
        .args([
            "database",
            "restore",
            "--latest",
            "--env",
            "prod",
            "--dry-run",
        ])
        .run()
        .ok();
    assert!(out.stdout.contains("would restore"), "{}", out.stdout);
    assert_eq!(bytes(&db), changed);
    assert_eq!(
        hashes_under(&sandbox.backup_dir()),
        listed,
        "no pre-restore backup"
    );
    assert_eq!(sandbox.last_audit()["confirmation"], "dry-run");
}

// ---------------------------------------------------------------------------------------------
// prune
// ---------------------------------------------------------------------------------------------

/// `database prune --all-envs` (every environment's backups) with `args`.
fn prune(sandbox: &Sandbox, args: &[&str]) -> Output {
    sandbox
        .xtask()
        .args(["database", "prune", "--all-envs"])
        .args(args)
        .run()
        .ok()
}

/// Makes `n` backups of `env` in a row (several within one second get `_2`, `_3`… names).
fn backups_in_a_row(sandbox: &Sandbox, env: &str, n: usize) -> Vec<PathBuf> {
    (0..n).map(|_| backup(sandbox, env, &[])).collect()
}

/// Moves every backup's recorded creation time `days` into the past, keeping their order.
fn age_backups(sandbox: &Sandbox, days: i64) {
    for name in backups_on_disk(sandbox) {
        let path = sandbox.backup_dir().join(name);
        let created = manifest(&path)["created_unix"].as_i64().unwrap();
        edit_manifest(&path, "created_unix", Value::from(created - days * 86_400));
    }
}

#[test]
fn keep_one_leaves_the_newest_backup_of_each_environment() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    sandbox.init("test");
    let dev = backups_in_a_row(&sandbox, "dev", 4);
    let test = backups_in_a_row(&sandbox, "test", 2);
    let everything = names_in(&sandbox.backup_dir());
    assert_eq!(everything.len(), 12, "{everything:?}");

    let out = prune(&sandbox, &["--keep", "1", "--dry-run"]);
    assert!(
        out.stdout.contains("would remove 4 of 6 backups"),
        "{}",
        out.stdout
    );
    assert_eq!(
        names_in(&sandbox.backup_dir()),
        everything,
        "a dry run removes nothing"
    );

    let out = prune(&sandbox, &["--keep", "1"]);
    for gone in dev[..3].iter().chain(&test[..1]) {
        assert!(
            out.stdout.contains(&format!("removed {}", gone.display())),
            "{}: {}",
            gone.display(),
            out.stdout
        );
        assert!(!gone.exists() && !manifest_path(gone).exists());
    }
    assert!(
        out.stdout.contains("removed 4 of 6 backups"),
        "{}",
        out.stdout
    );
    let newest = [dev.last().unwrap(), test.last().unwrap()];
    let mut expected: Vec<String> = newest
        .iter()
        .flat_map(|path| [name_of(path), name_of(&manifest_path(path))])
        .collect();
    expected.sort();
    assert_eq!(names_in(&sandbox.backup_dir()), expected);
}

#[test]
fn prune_removes_a_manifest_left_by_a_crash_once_it_is_old() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let kept = backup(&sandbox, "dev", &[]);
    let crashed = sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev"])
        .env("ONSENDO_FAILPOINT", "backup.place:crash")
        .run();
    assert_eq!(crashed.code, -1, "{}", crashed.stderr);
    let orphans: Vec<String> = names_in(&sandbox.backup_dir())
        .into_iter()
        .filter(|name| name.ends_with(".json") && name != &name_of(&manifest_path(&kept)))
        .collect();
    assert_eq!(
        orphans.len(),
        1,
        "the crash left a manifest alone: {orphans:?}"
    );
    let orphan = sandbox.backup_dir().join(&orphans[0]);
    assert!(!orphan.with_extension("db").exists());

    let out = prune(&sandbox, &[]);
    assert!(
        orphan.exists(),
        "a young manifest may be a backup being placed"
    );
    assert!(!out.stdout.contains("never placed"), "{}", out.stdout);

    make_older(&orphan, 3600);
    let out = prune(&sandbox, &["--dry-run"]);
    assert!(
        out.stdout
            .contains(&format!("would remove {}", orphan.display())),
        "{}",
        out.stdout
    );
    assert!(orphan.exists());
    let out = prune(&sandbox, &[]);
    assert!(
        out.stdout.contains(&format!(
            "removed {} (a manifest whose backup was never placed",
            orphan.display()
        )),
        "{}",
        out.stdout
    );
    assert!(!orphan.exists());
    assert_eq!(backups_on_disk(&sandbox), [name_of(&kept)]);
    verify_file(&sandbox, &kept).ok();
}

/// Sets a file's modification time `secs` into the past.
fn make_older(path: &Path, secs: u64) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(then)
        .unwrap();
}

#[test]
fn prune_touches_only_the_backups_this_tool_made_and_takes_any_age_limit() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let made = backups_in_a_row(&sandbox, "dev", 2);
    age_backups(&sandbox, 30);
    let hand_copy = sandbox.backup_dir().join("hand copy.db");
    std::fs::copy(&made[0], &hand_copy).unwrap();
    let notes = sandbox.backup_dir().join("notes.json");
    std::fs::write(&notes, r#"{"my": "notes"}"#).unwrap();
    for path in [&hand_copy, &notes] {
        make_older(path, 90 * 86_400);
    }

    for huge in ["18446744073709551615", "213503982334602"] {
        let out = prune(&sandbox, &["--keep", "0", "--older-than", huge]);
        assert!(
            out.stdout.contains("removed 0 of 2 backups"),
            "{huge}: {}",
            out.stdout
        );
    }
    edit_manifest(&made[0], "created_unix", Value::from(i64::MIN));
    let out = prune(&sandbox, &["--keep", "0", "--older-than", "1", "--dry-run"]);
    assert!(
        out.stdout.contains("would remove 1 of 2 backups"),
        "{}",
        out.stdout
    );

    let out = prune(&sandbox, &["--keep", "0", "--older-than", "1"]);
    assert!(!made[0].exists() && made[1].exists(), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "left {} alone: it has no readable manifest",
            hand_copy.display()
        )),
        "{}",
        out.stdout
    );
    assert!(hand_copy.exists() && notes.exists(), "{}", out.stdout);
    assert_eq!(bytes(&notes), br#"{"my": "notes"}"#);
}

#[test]
fn a_manifest_that_names_another_environment_is_flagged_and_pruning_it_takes_prods_rules() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let made = backups_in_a_row(&sandbox, "prod", 2);
    edit_manifest(&made[0], "environment", Value::from("dev"));

    let listing = sandbox
        .xtask()
        .args(["database", "backups"])
        .run()
        .ok()
        .stdout;
    let row = listing_row(&listing, &name_of(&made[0]));
    assert!(
        row.contains("NO: the manifest says dev, but the backup is stamped prod"),
        "{row}"
    );

    let before = hashes_under(&sandbox.backup_dir());
    let out = sandbox
        .xtask()
        .args(["database", "prune", "--all-envs", "--keep", "0"])
        .run()
        .code(3);
    assert!(out.stderr.contains("prod"), "{}", out.stderr);
    assert_eq!(hashes_under(&sandbox.backup_dir()), before);
    prune(&sandbox, &["--keep", "0", "--yes"]);
    assert!(!made[0].exists() && made[1].exists());
}

#[test]
fn the_newest_backup_that_still_matches_its_manifest_survives_every_rule() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let made = backups_in_a_row(&sandbox, "dev", 3);
    let (oldest, middle, newest) = (&made[0], &made[1], &made[2]);
    change_one_byte(newest);
    age_backups(&sandbox, 30);

    let out = prune(&sandbox, &["--keep", "0", "--older-than", "0"]);
    assert!(
        out.stdout.contains("removed 2 of 3 backups"),
        "{}",
        out.stdout
    );
    assert!(!oldest.exists() && !manifest_path(oldest).exists());
    assert!(!newest.exists() && !manifest_path(newest).exists());
    assert!(middle.exists() && manifest_path(middle).exists());
    verify_file(&sandbox, middle).ok();

    let out = prune(&sandbox, &["--keep", "0", "--older-than", "0"]);
    assert!(
        out.stdout.contains("removed 0 of 1 backups"),
        "{}",
        out.stdout
    );
    assert!(middle.exists());
}

#[test]
fn older_than_keeps_young_backups() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let old = backups_in_a_row(&sandbox, "dev", 2);
    age_backups(&sandbox, 40);
    let young = backups_in_a_row(&sandbox, "dev", 2);
    let out = prune(&sandbox, &["--older-than", "30", "--json"]).json();
    assert_eq!(out["dry_run"], false);
    assert_eq!(out["kept"], 2);
    let removed: Vec<String> = out["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["path"].as_str().unwrap().to_string())
        .collect();
    let old_paths: Vec<String> = old.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(removed, old_paths);
    assert!(old.iter().all(|path| !path.exists()));
    assert!(young.iter().all(|path| path.exists()));
}

/// Backups made within one second are named `_2` … `_10` …; the tenth is still the newest for
/// `--latest`, the listing and prune (plain name order would put `_10` before `_9`).
#[test]
fn the_order_backups_were_made_in_holds_past_nine_in_one_second() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let mut made = Vec::new();
    while !made
        .last()
        .is_some_and(|path: &PathBuf| name_of(path).ends_with("Z_10.db"))
    {
        assert!(made.len() < 500, "ten backups within one second");
        made.push(backup(&sandbox, "dev", &[]));
    }
    let newest = made.last().unwrap();
    let out = verify(&sandbox, &["--latest", "--env", "dev"]).run().ok();
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        newest.display().to_string()
    );

    let listing = sandbox
        .xtask()
        .args(["database", "backups", "--json"])
        .run()
        .ok()
        .json();
    let listed: Vec<String> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["path"].as_str().unwrap().to_string())
        .collect();
    let made_names: Vec<String> = made.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(listed, made_names, "listed in the order they were made");

    prune(&sandbox, &["--keep", "1"]);
    assert_eq!(backups_on_disk(&sandbox), [name_of(newest)]);
}

// ---------------------------------------------------------------------------------------------
// consistency under load, WAL
// ---------------------------------------------------------------------------------------------

#[test]
fn backups_taken_while_another_process_writes_are_consistent_snapshots() {
    backups_under_a_busy_writer("delete");
}

#[test]
fn backups_of_a_wal_database_taken_while_another_process_writes_are_consistent_snapshots() {
    backups_under_a_busy_writer("wal");
}

/// Three backups of the dev database in `journal_mode` while another process keeps committing
/// two-row transactions: each backup verifies and holds whole transactions only, in order.
fn backups_under_a_busy_writer(journal_mode: &str) {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db = sandbox.db("dev");
    // Several megabytes: a copy long enough for the writer to commit into it if the copy's read
    // lock were lost part-way.
    const ROWS: u64 = 30_000;
    add_visits(&sandbox, &db, ROWS as u32);
    sandbox.sqlite(&db, &format!("PRAGMA journal_mode = {journal_mode}"));
    let mut writer = BusyWriter::start(&db, "", WRITE_A_PAIR);
    let made = backups_in_a_row(&sandbox, "dev", 3);
    assert!(writer.stop(), "every write of the writer succeeded");
    let after = writer_rows(&sandbox, &db);

    let mut previous = 0;
    for path in &made {
        verify_file(&sandbox, path).ok();
        assert_eq!(sandbox.sqlite(path, "PRAGMA integrity_check"), "ok");
        assert_eq!(sandbox.sqlite(path, "PRAGMA journal_mode"), "delete");
        let rows = writer_rows(&sandbox, path);
        assert_eq!(
            rows % 2,
            0,
            "{}: whole transactions only ({rows} rows)",
            path.display()
        );
        assert!(rows >= 2 && rows >= previous, "{rows} after {previous}");
        assert_eq!(count(&sandbox, path, "visits"), ROWS + rows);
        previous = rows;
    }
    assert!(previous <= after, "{previous} ≤ {after}");
    assert!(
        previous > writer_rows(&sandbox, &made[0]),
        "the writer committed between the first backup and the last"
    );
}

#[test]
fn a_wal_database_is_backed_up_with_what_is_only_in_its_wal() {
    let sandbox = Sandbox::new();
    let db = sandbox.root().join("wal mode ✓.db");
    sandbox.sqlite(
        &db,
        "PRAGMA journal_mode = WAL; CREATE TABLE readings (id INTEGER PRIMARY KEY, value TEXT); \
         INSERT INTO readings (value) VALUES ('in the main file');",
    );
    let mut holder = SqliteShell::open(&db);
    holder.run(
        "PRAGMA wal_autocheckpoint = 0; \
         INSERT INTO readings (value) VALUES ('only in the wal 1'), ('only in the wal 2');",
    );
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    let shm = PathBuf::from(format!("{}-shm", db.display()));
    let main_only = sandbox.root().join("main file only.db");
    std::fs::copy(&db, &main_only).unwrap();
    assert_eq!(
        count(&sandbox, &main_only, "readings"),
        1,
        "the rows are in the WAL"
    );
    let (main_before, wal_before) = (bytes(&db), bytes(&wal));
    let shm_size = std::fs::metadata(&shm).unwrap().len();

    let out = sandbox
        .xtask()
        .args(["database", "backup", "--json", "--database"])
        .arg(&db)
        .run()
        .ok()
        .json();
    let path = PathBuf::from(out["path"].as_str().unwrap());
    assert_eq!(out["manifest"]["method"], "sqlite-backup");
    assert!(out["manifest"]["environment"].is_null());
    assert!(
        name_of(&path).starts_with("onsen_custom_"),
        "{}",
        path.display()
    );
    assert_eq!(
        sandbox.sqlite(&path, "SELECT group_concat(value, '|') FROM readings"),
        "in the main file|only in the wal 1|only in the wal 2"
    );
    assert_eq!(sandbox.sqlite(&path, "PRAGMA journal_mode"), "delete");
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        out["manifest"]["size"].as_u64().unwrap()
    );
    assert!(!PathBuf::from(format!("{}-wal", path.display())).exists());

    assert_eq!(bytes(&db), main_before, "the main file is untouched");
    assert_eq!(
        bytes(&wal),
        wal_before,
        "the WAL is untouched (not checkpointed)"
    );
    assert_eq!(std::fs::metadata(&shm).unwrap().len(), shm_size);
    assert!(holder.close());
    verify_file(&sandbox, &path).ok();
    assert_same_content(&sandbox, &db, &path);
}

#[test]
fn pruning_prod_backups_takes_prods_confirmation_and_is_audited() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox.init("dev");
    for env in ["prod", "prod", "dev", "dev"] {
        backup(&sandbox, env, &[]);
    }
    let refused = sandbox
        .xtask()
        .args(["database", "prune", "--all-envs", "--keep", "1"])
        .run()
        .code(3);
    assert_eq!(
        backups_on_disk(&sandbox).len(),
        4,
        "nothing removed when refused"
    );
    assert!(
        refused.stderr.contains("PROD DATABASE"),
        "{}",
        refused.stderr
    );
    assert!(
        sandbox.last_audit()["outcome"]
            .as_str()
            .unwrap()
            .starts_with("refused"),
        "the refusal is audited"
    );

    let out = sandbox
        .xtask()
        .args(["database", "prune", "--all-envs", "--keep", "1", "--yes"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("removed 2 of 4 backups"),
        "{}",
        out.stdout
    );
    assert_eq!(backups_on_disk(&sandbox).len(), 2);
    let audit = sandbox.last_audit();
    assert_eq!(audit["outcome"], "ok");
    assert_eq!(audit["confirmation"], "--yes");
    assert!(audit["command"].to_string().contains("prune"), "{audit}");

    sandbox.init("test");
    backup(&sandbox, "test", &[]);
    backup(&sandbox, "test", &[]);
    let log_before = std::fs::read_to_string(sandbox.audit_log()).unwrap();
    let out = sandbox
        .xtask()
        .args(["database", "prune", "--all-envs", "--keep", "1"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("removed 1 of 4 backups"),
        "{}",
        out.stdout
    );
    assert_eq!(
        std::fs::read_to_string(sandbox.audit_log()).unwrap(),
        log_before,
        "pruning no prod backup needs no confirmation and writes no prod audit line"
    );
}

#[test]
fn prune_acts_on_the_selected_environment_unless_all_envs() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox.init("test");
    let prod = backups_in_a_row(&sandbox, "prod", 2);
    let test = backups_in_a_row(&sandbox, "test", 2);
    let out = sandbox
        .xtask()
        .args(["database", "prune", "--keep", "1"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("removed 1 of 2 backups (test)"),
        "ONSENDO_ENV=test selects test's backups: {}",
        out.stdout
    );
    assert!(!test[0].exists() && test[1].exists());
    assert!(prod.iter().all(|p| p.exists()), "prod's backups untouched");
    let out = sandbox
        .xtask()
        .args(["database", "prune", "--keep", "1", "--database"])
        .arg(sandbox.db("prod"))
        .run()
        .code(2);
    assert!(
        out.stderr.contains("add --env NAME, or --all-envs"),
        "{}",
        out.stderr
    );
    let out = sandbox
        .xtask()
        .args(["database", "prune", "--keep", "1", "--all-envs", "--yes"])
        .run()
        .ok();
    assert!(
        out.stdout
            .contains("removed 1 of 3 backups (every environment)"),
        "{}",
        out.stdout
    );
    assert!(!prod[0].exists() && prod[1].exists());
}
