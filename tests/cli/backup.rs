//! `database backup` and `backups`: files, manifests, exit codes, copies under a busy writer and of a
//! WAL database. The helpers here serve the `verify`, `restore` and `prune` tests too.

use crate::split::hashes_under;
use crate::support::{bytes, names_in, BusyWriter, Output, Run, Sandbox, SqliteShell};
use serde_json::Value;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Runs `database backup --env ENV` plus `extra`, and returns the path it printed.
pub(crate) fn backup(sandbox: &Sandbox, env: &str, extra: &[&str]) -> PathBuf {
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
pub(crate) fn verify(sandbox: &Sandbox, args: &[&str]) -> Run {
    sandbox.xtask().args(["database", "verify"]).args(args)
}

/// `database verify FILE`.
pub(crate) fn verify_file(sandbox: &Sandbox, file: &Path) -> Output {
    sandbox.xtask().args(["database", "verify"]).arg(file).run()
}

/// The manifest beside a backup.
pub(crate) fn manifest_path(backup: &Path) -> PathBuf {
    backup.with_extension("json")
}

pub(crate) fn manifest(backup: &Path) -> Value {
    let text = std::fs::read_to_string(manifest_path(backup)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Sets one field of a backup's manifest, as a hand edit would.
pub(crate) fn edit_manifest(backup: &Path, key: &str, value: Value) {
    let mut fields = manifest(backup);
    fields[key] = value;
    std::fs::write(
        manifest_path(backup),
        serde_json::to_string_pretty(&fields).unwrap(),
    )
    .unwrap();
}

pub(crate) fn name_of(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// The backup files (`*.db`) in the default folder.
pub(crate) fn backups_on_disk(sandbox: &Sandbox) -> Vec<String> {
    names_in(&sandbox.backup_dir())
        .into_iter()
        .filter(|name| name.ends_with(".db"))
        .collect()
}

pub(crate) fn assert_same_content(sandbox: &Sandbox, a: &Path, b: &Path) {
    let diff = sandbox.differences(a, b, None);
    assert!(
        diff.is_empty(),
        "{} and {} differ:\n{diff}",
        a.display(),
        b.display()
    );
}

pub(crate) fn count(sandbox: &Sandbox, db: &Path, table: &str) -> u64 {
    sandbox
        .sqlite(db, &format!("SELECT count(*) FROM {table}"))
        .parse()
        .unwrap()
}
/// Adds `n` visits with some bulk to them, so the database spans many pages.
pub(crate) fn add_visits(sandbox: &Sandbox, db: &Path, n: u32) {
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
pub(crate) fn big_dev(sandbox: &Sandbox) -> PathBuf {
    sandbox.init("dev");
    let db = sandbox.db("dev");
    add_visits(sandbox, &db, 3000);
    db
}

/// Overwrites `length` bytes of a file at `offset` with `fill`.
pub(crate) fn overwrite(path: &Path, offset: usize, length: usize, fill: u8) {
    let mut content = bytes(path);
    content[offset..offset + length].fill(fill);
    std::fs::write(path, content).unwrap();
}

/// Changes one byte in the middle of a small backup, in a spot `integrity_check` does not look
/// at: only the file hash can tell.
pub(crate) fn change_one_byte(path: &Path) {
    overwrite(path, 5000, 1, b'X');
}

/// Cuts a file to half its length.
pub(crate) fn truncate_to_half(path: &Path) {
    let content = bytes(path);
    std::fs::write(path, &content[..content.len() / 2]).unwrap();
}

/// The row of `database backups` that lists `name`.
pub(crate) fn listing_row(listing: &str, name: &str) -> String {
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

    // Without --check, the listing reads manifests and sizes only: the changed byte goes unseen,
    // the missing and damaged manifests do not.
    let quick = sandbox
        .xtask()
        .args(["database", "backups"])
        .run()
        .ok()
        .stdout;
    let row = listing_row(&quick, &name_of(&changed));
    assert!(row.contains(" size (not hashed) "), "{row}");
    assert!(row.contains(" manual  1 "), "the schema version: {row}");
    assert!(listing_row(&quick, &name_of(&orphan)).contains("unverifiable: no manifest"));
    assert!(listing_row(&quick, &name_of(&garbled)).contains("is damaged"));
    assert!(
        quick
            .trim_end()
            .ends_with("(sizes compared with the manifests; --check also hashes each file)")
            && quick.contains("4 backups in `"),
        "{quick}"
    );

    let checked = sandbox
        .xtask()
        .args(["database", "backups", "--check"])
        .run()
        .code(4);
    assert!(
        checked
            .stderr
            .contains("do not match their manifests (or have none that reads): 3 of 4"),
        "{}",
        checked.stderr
    );
    let listing = checked.stdout;
    let header = listing.lines().next().unwrap();
    for column in [
        "created (UTC)",
        "env",
        "size",
        "reason",
        "version",
        "matches",
        "file",
    ] {
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
        .args(["database", "backups", "--json", "--check"])
        .run()
        .code(4)
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
    assert_eq!(listed["schema_version"], 1);
    assert_eq!(listed["hashed"], true);
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
// Helpers of the restore and prune tests that other files use too
// ---------------------------------------------------------------------------------------------

/// `database restore FILE --env ENV`, to run.
pub(crate) fn restore_into(sandbox: &Sandbox, env: &str, file: &Path) -> Run {
    sandbox
        .xtask()
        .args(["database", "restore", "--env", env])
        .arg(file)
}

/// Makes `n` backups of `env` in a row (several within one second get `_2`, `_3`… names).
pub(crate) fn backups_in_a_row(sandbox: &Sandbox, env: &str, n: usize) -> Vec<PathBuf> {
    (0..n).map(|_| backup(sandbox, env, &[])).collect()
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
