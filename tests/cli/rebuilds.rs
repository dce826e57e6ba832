//! Table rebuilds the way SQLite documents them: a migration marked
//! `-- onsendo:foreign-keys-off` runs with foreign keys off and a foreign-key check before its
//! commit; a violation, an error or a kill leaves the database as it was, with foreign keys on.

use crate::migrations::{add_migration, own_migrations, version, xtask};
use crate::support::{bytes, Sandbox};
use std::path::PathBuf;

/// Rebuilds `onsens` with a new column, copying the rows `WHERE` selects.
fn rebuild_onsens(marked: bool, rows: &str) -> String {
    let marker = if marked {
        "-- onsendo:foreign-keys-off\n"
    } else {
        ""
    };
    format!(
        "{marker}-- Adds opening hours to onsens.
CREATE TABLE onsens_new (
    id             INTEGER PRIMARY KEY,
    ban_number     INTEGER NOT NULL UNIQUE CHECK (ban_number > 0),
    name           TEXT NOT NULL CHECK (length(trim(name)) > 0),
    region         TEXT,
    address        TEXT,
    latitude       REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude      REAL CHECK (longitude BETWEEN -180 AND 180),
    spring_quality TEXT,
    description    TEXT,
    open_hours     TEXT
);
INSERT INTO onsens_new (id, ban_number, name, region, address, latitude, longitude, spring_quality, description)
    SELECT id, ban_number, name, region, address, latitude, longitude, spring_quality, description FROM onsens {rows};
-- onsendo:destructive-ok rebuilt as onsens_new above, every row copied
DROP TABLE onsens;
ALTER TABLE onsens_new RENAME TO onsens;
CREATE INDEX onsens_by_region ON onsens (region);
"
    )
}

/// A dev database (with its seeded onsens) with a visit of onsens 1 and 2, and the repository's
/// migrations.
fn dev_with_visits() -> (Sandbox, PathBuf) {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let folder = own_migrations(&sandbox);
    sandbox.sqlite(
        &sandbox.db("dev"),
        "INSERT INTO visits (onsen_id, visited_at, personal_rating) VALUES (1, '2026-11-22', 8), (2, '2026-11-23', 9);",
    );
    (sandbox, folder)
}

/// Whether the foreign keys of a fresh connection of the tool are on: its own answer, and an
/// orphan visit refused.
fn assert_foreign_keys_on(sandbox: &Sandbox) {
    let out = xtask(sandbox, &["exec", "--env", "dev", "PRAGMA foreign_keys"]).ok();
    assert_eq!(out.stdout.lines().last(), Some("1"), "{}", out.stdout);
    let out = xtask(
        sandbox,
        &[
            "exec",
            "--env",
            "dev",
            "--write",
            "INSERT INTO visits (onsen_id, visited_at, personal_rating) VALUES (99, '2026-11-24', 5)",
        ],
    )
    .code(1);
    assert!(
        out.stderr.contains("FOREIGN KEY constraint failed"),
        "{}",
        out.stderr
    );
}

#[test]
fn onsens_are_rebuilt_while_visits_reference_them_once_the_migration_is_marked() {
    let (sandbox, folder) = dev_with_visits();
    let db = sandbox.db("dev");
    add_migration(&folder, "02-onsen-hours", &rebuild_onsens(false, ""), None);
    let visited = "SELECT group_concat(v.id || ':' || o.name, ' ') FROM visits v JOIN onsens o ON o.id = v.onsen_id";
    let visits_before = sandbox.sqlite(&db, visited);
    assert!(visits_before.starts_with("1:"), "{visits_before}");
    let before = bytes(&db);
    let out = xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).code(1);
    assert!(
        out.stderr.contains("FOREIGN KEY constraint failed"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before, "the failed run changed nothing");

    add_migration(&folder, "02-onsen-hours", &rebuild_onsens(true, ""), None);
    let out = xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).ok();
    assert!(
        out.stdout.contains(
            "foreign keys off for the run (a migration is marked onsendo:foreign-keys-off)"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("✓ 02-onsen-hours"), "{}", out.stdout);
    assert_eq!(version(&sandbox, "dev"), "2");
    assert_eq!(sandbox.sqlite(&db, visited), visits_before);
    assert_eq!(
        sandbox.sqlite(&db, "SELECT count(*) FROM pragma_foreign_key_check"),
        "0"
    );
    assert_eq!(
        sandbox.sqlite(
            &db,
            "SELECT group_concat(name, ' ') FROM pragma_table_info('onsens') WHERE name = 'open_hours'
             UNION ALL SELECT group_concat(name, ' ') FROM sqlite_schema WHERE tbl_name = 'onsens' AND type = 'index' AND sql IS NOT NULL"
        ),
        "open_hours\nonsens_by_region"
    );
    assert_foreign_keys_on(&sandbox);
}

#[test]
fn a_rebuild_that_leaves_a_visit_without_its_onsen_is_rolled_back_and_names_the_row() {
    let (sandbox, folder) = dev_with_visits();
    let db = sandbox.db("dev");
    add_migration(
        &folder,
        "02-onsen-hours",
        &rebuild_onsens(true, "WHERE id <> 2"),
        None,
    );
    let before = bytes(&db);
    let out = xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).code(1);
    assert!(
        out.stderr.contains(
            "leave `{}` with 1 foreign key violation (it had 0) (foreign keys were off for the run, as 02-onsen-hours asks, so no ON DELETE or ON UPDATE action ran in it): visits row 2 → onsens; nothing was changed"
                .replace("{}", &db.display().to_string())
                .as_str()
        ),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before);
    assert_eq!(version(&sandbox, "dev"), "1");
    assert_foreign_keys_on(&sandbox);
}

#[test]
fn a_kill_during_a_foreign_keys_off_migration_leaves_the_old_version_with_foreign_keys_on() {
    let (sandbox, folder) = dev_with_visits();
    let db = sandbox.db("dev");
    add_migration(&folder, "02-onsen-hours", &rebuild_onsens(true, ""), None);
    let before = sandbox.sqlite(&db, ".sha3sum");
    let out = sandbox
        .xtask()
        .args(["database", "migrate", "--env", "dev", "--no-backup"])
        .env("ONSENDO_FAILPOINT", "write.foreign-keys-off:crash")
        .run();
    assert_eq!(
        (out.code, out.stderr.contains("crashing")),
        (-1, true),
        "{}",
        out.stderr
    );
    assert!(
        PathBuf::from(format!("{}-journal", db.display())).exists(),
        "killed inside the transaction, before its commit"
    );
    let out = xtask(&sandbox, &["status", "--env", "dev"]).ok();
    assert!(out.stdout.contains("version:     1 of 2"), "{}", out.stdout);
    assert_eq!(sandbox.sqlite(&db, ".sha3sum"), before, "rolled back");
    assert_foreign_keys_on(&sandbox);
    xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).ok();
    assert_eq!(version(&sandbox, "dev"), "2");
}

#[test]
fn new_rebuild_writes_the_procedure_that_migrates_and_rolls_back_with_visits_in_place() {
    let (sandbox, folder) = dev_with_visits();
    let db = sandbox.db("dev");
    let out = xtask(&sandbox, &["new", "no such", "--rebuild", "nope"]).code(2);
    assert!(
        out.stderr.contains(
            "--rebuild nope: the migrations make no such table; they make: locations, onsens, visits"
        ),
        "{}",
        out.stderr
    );
    assert!(!folder.join("02-no-such").exists());

    xtask(&sandbox, &["new", "onsen hours", "--rebuild", "Onsens"]).ok();
    let up_file = folder.join("02-onsen-hours").join("up.sql");
    let up = std::fs::read_to_string(&up_file).unwrap();
    for line in [
        "-- onsendo:foreign-keys-off\n",
        "\nDROP TABLE onsens;\n",
        "\nALTER TABLE onsens_new RENAME TO onsens;\n",
        "\nCREATE INDEX onsens_by_region ON onsens (region);\n",
    ] {
        assert!(up.contains(line), "{line:?} in\n{up}");
    }
    let out = xtask(&sandbox, &["lint", "--all"]).ok();
    assert!(
        out.stdout
            .contains("02-onsen-hours/up.sql`:23: table rebuild of onsens (acknowledged)"),
        "{}",
        out.stdout
    );

    let schema = "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name)";
    let schema_before = sandbox.sqlite(&db, schema);
    let visits = sandbox.sqlite(&db, "SELECT group_concat(onsen_id) FROM visits");
    xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).ok();
    assert_eq!(version(&sandbox, "dev"), "2");
    xtask(&sandbox, &["rollback", "--env", "dev"]).ok();
    assert_eq!(version(&sandbox, "dev"), "1");
    assert_eq!(
        sandbox
            .sqlite(&db, schema)
            .replace("CREATE TABLE \"onsens\"", "CREATE TABLE onsens"),
        schema_before,
        "the down.sql rebuilt the table as it was"
    );
    assert_eq!(
        sandbox.sqlite(&db, "SELECT group_concat(onsen_id) FROM visits"),
        visits
    );

    // Each file that loses the marker and the index is named, down.sql as up.sql; the down.sql
    // is checked against the schema its up.sql makes.
    let down_file = folder.join("02-onsen-hours").join("down.sql");
    let (up, down) = (
        format!("`{}`", up_file.display()),
        format!("`{}`", down_file.display()),
    );
    let marker = "without a `-- onsendo:foreign-keys-off` line";
    let index = "index onsens_by_region of onsens is not recreated";
    let mut expected = Vec::new();
    for (file, shown, line) in [(&down_file, &down, 22), (&up_file, &up, 22)] {
        let sql = std::fs::read_to_string(file).unwrap();
        std::fs::write(
            file,
            sql.replace("-- onsendo:foreign-keys-off\n", "")
                .replace("CREATE INDEX onsens_by_region ON onsens (region);\n", ""),
        )
        .unwrap();
        // Once up.sql makes no index either, down.sql has none to lose.
        expected.retain(|problem| problem != &format!("{down}: {index}"));
        expected.push(format!("{shown}:{line}: rebuild of onsens {marker}"));
        expected.push(format!("{shown}: {index}"));
        let out = xtask(&sandbox, &["lint", "--env", "dev"]).code(4);
        for problem in &expected {
            assert!(out.stdout.contains(problem), "{problem}\n{}", out.stdout);
        }
        let count = if file == &up_file { 3 } else { 2 };
        assert!(
            out.stderr
                .contains(&format!("{count} problem(s) in table rebuilds")),
            "{}",
            out.stderr
        );
        if file == &up_file {
            assert!(
                !out.stdout.contains(&format!("{down}: {index}")),
                "{}",
                out.stdout
            );
        }
    }
}
