//! The migration lifecycle: status and its CI gate, migrate, drift and the ledger (rollback is in
//! `rollback`, new and lint in `new_and_lint`).

use crate::support::{bytes, names_in, Sandbox};
use std::path::{Path, PathBuf};

/// Copies the repository's migrations (and `schema.sql`) into the sandbox root, where the tools
/// read them from.
pub(crate) fn own_migrations(sandbox: &Sandbox) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let to = sandbox.root().join("migrations");
    std::fs::create_dir_all(&to).unwrap();
    for dir in std::fs::read_dir(&from).unwrap() {
        let dir = dir.unwrap().path();
        let target = to.join(dir.file_name().unwrap());
        if dir.is_file() {
            std::fs::copy(&dir, &target).unwrap();
            continue;
        }
        std::fs::create_dir_all(&target).unwrap();
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            std::fs::copy(&file, target.join(file.file_name().unwrap())).unwrap();
        }
    }
    to
}

/// Adds `migrations/<name>/up.sql` (and `down.sql` when given).
pub(crate) fn add_migration(folder: &Path, name: &str, up: &str, down: Option<&str>) {
    let dir = folder.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("up.sql"), up).unwrap();
    if let Some(down) = down {
        std::fs::write(dir.join("down.sql"), down).unwrap();
    }
}

/// A dev database at the repository's head, and a migrations folder with two more.
pub(crate) fn dev_with_two_pending() -> (Sandbox, PathBuf) {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let folder = own_migrations(&sandbox);
    add_migration(
        &folder,
        "02-visit-mood",
        "ALTER TABLE visits ADD COLUMN mood TEXT;\n",
        Some("ALTER TABLE visits DROP COLUMN mood;\n"),
    );
    add_migration(
        &folder,
        "03-favourites",
        "CREATE TABLE favourites (onsen_id INTEGER NOT NULL REFERENCES onsens (id));\nINSERT INTO favourites SELECT id FROM onsens LIMIT 2;\n",
        Some("DROP TABLE favourites;\n"),
    );
    (sandbox, folder)
}

pub(crate) fn version(sandbox: &Sandbox, env: &str) -> String {
    sandbox.sqlite(&sandbox.db(env), "PRAGMA user_version")
}

pub(crate) fn ledger(sandbox: &Sandbox, env: &str) -> String {
    sandbox.sqlite(
        &sandbox.db(env),
        "SELECT group_concat(version || ':' || name || ':' || how, ' ') FROM (SELECT * FROM onsendo_migrations ORDER BY version)",
    )
}

pub(crate) fn xtask(sandbox: &Sandbox, args: &[&str]) -> crate::support::Output {
    sandbox.xtask().args(["database"]).args(args).run()
}

#[test]
fn status_check_passes_at_head_and_fails_with_pending() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let out = xtask(&sandbox, &["status", "--env", "dev", "--check"]).ok();
    assert!(out.stdout.contains("version:     1 of 1"), "{}", out.stdout);
    assert!(
        out.stdout.contains("environment: dev, from --env"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("✓ 01-initial  applied 20"),
        "{}",
        out.stdout
    );

    let folder = own_migrations(&sandbox);
    add_migration(
        &folder,
        "02-visit-mood",
        "ALTER TABLE visits ADD COLUMN mood TEXT;",
        None,
    );
    let out = xtask(&sandbox, &["status", "--env", "dev", "--check"]).code(4);
    assert!(
        out.stdout.contains("· 02-visit-mood  pending"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("1 pending migration: 2 (02-visit-mood)"),
        "{}",
        out.stderr
    );
    let json = xtask(&sandbox, &["status", "--env", "dev", "--json"])
        .ok()
        .json();
    assert_eq!(
        (json["version"].as_u64(), json["head"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(json["pending"], 1);
    assert_eq!(json["current"], false);
    assert_eq!(json["migrations"][1]["state"], "pending");
    assert!(json["migrations_from"]
        .as_str()
        .unwrap()
        .ends_with("migrations"));

    let out = xtask(&sandbox, &["status", "--env", "prod"]).code(1);
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
}

#[test]
fn migrate_backs_up_applies_and_records_then_has_nothing_to_do() {
    let (sandbox, _) = dev_with_two_pending();
    let out = xtask(&sandbox, &["migrate", "--env", "dev"]).ok();
    assert!(out.stdout.contains("plan: migrate"), "{}", out.stdout);
    assert!(out.stdout.contains("✓ 03-favourites"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("schema: + table favourites, ~ table visits"),
        "{}",
        out.stdout
    );
    assert_eq!(version(&sandbox, "dev"), "3");
    assert_eq!(
        ledger(&sandbox, "dev"),
        "1:01-initial:applied 2:02-visit-mood:applied 3:03-favourites:applied"
    );
    assert_eq!(
        sandbox.sqlite(&sandbox.db("dev"), "SELECT count(*) FROM favourites"),
        "2"
    );
    let backups = names_in(&sandbox.backup_dir());
    assert_eq!(backups.len(), 2, "one backup and its manifest: {backups:?}");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sandbox.backup_dir().join(&backups[1])).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["reason"], "pre-migrate");
    let backup = sandbox.backup_dir().join(&backups[0]);
    assert_eq!(
        sandbox.sqlite(&backup, "PRAGMA user_version"),
        "1",
        "the backup holds the state before"
    );

    let out = xtask(&sandbox, &["migrate", "--env", "dev"]).ok();
    assert!(
        out.stdout.contains("is at version 3; nothing to do"),
        "{}",
        out.stdout
    );
    assert_eq!(
        names_in(&sandbox.backup_dir()).len(),
        2,
        "no backup when nothing runs"
    );
    xtask(&sandbox, &["status", "--env", "dev", "--check"]).ok();
}

#[test]
fn migrate_to_a_version_and_no_backup_on_dev() {
    let (sandbox, _) = dev_with_two_pending();
    let json = xtask(
        &sandbox,
        &[
            "migrate",
            "--env",
            "dev",
            "--to",
            "2",
            "--no-backup",
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(json["backup"], serde_json::Value::Null);
    assert_eq!(json["steps"][0]["name"], "02-visit-mood");
    assert_eq!(version(&sandbox, "dev"), "2");
    assert!(names_in(&sandbox.backup_dir()).is_empty());
    let out = xtask(&sandbox, &["migrate", "--env", "dev", "--to", "9"]).code(2);
    assert!(out.stderr.contains("migrations end at 3"), "{}", out.stderr);
}

#[test]
fn dry_run_rolls_back_and_reports_what_would_change() {
    let (sandbox, _) = dev_with_two_pending();
    let before = bytes(&sandbox.db("dev"));
    let out = xtask(&sandbox, &["migrate", "--env", "dev", "--dry-run"]).ok();
    assert!(out.stdout.contains("03-favourites  "), "{}", out.stdout);
    assert!(out.stdout.contains("2 rows changed"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("dry run: ran in a transaction and rolled it back"),
        "{}",
        out.stdout
    );
    assert_eq!(bytes(&sandbox.db("dev")), before);
    assert!(
        names_in(&sandbox.backup_dir()).is_empty(),
        "a dry run makes no backup"
    );
}

#[test]
fn a_failing_migration_leaves_the_file_byte_identical() {
    let (sandbox, folder) = dev_with_two_pending();
    add_migration(
        &folder,
        "04-broken",
        "CREATE TABLE fine (x);\nINSERT INTO nowhere VALUES (1);\n",
        None,
    );
    let before = bytes(&sandbox.db("dev"));
    let out = xtask(&sandbox, &["migrate", "--env", "dev"]).code(1);
    assert!(
        out.stderr.contains(
            "04-broken/up.sql` failed; nothing was changed; fix the SQL and re-run: statement 2 (line 2) failed on `"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("no such table: nowhere"),
        "{}",
        out.stderr
    );
    assert_eq!(
        bytes(&sandbox.db("dev")),
        before,
        "nothing of 02 and 03 stays either"
    );
    assert_eq!(version(&sandbox, "dev"), "1");
}

#[test]
fn an_edited_migration_is_drift_but_line_endings_are_not() {
    let sandbox = Sandbox::new();
    let folder = own_migrations(&sandbox);
    sandbox.init("dev");
    let up = folder.join("01-initial").join("up.sql");
    let text = std::fs::read_to_string(&up).unwrap();
    std::fs::write(&up, format!("\u{feff}{}", text.replace('\n', "\r\n"))).unwrap();
    xtask(&sandbox, &["status", "--env", "dev", "--check"]).ok();

    std::fs::write(
        &up,
        text.replace(
            "CREATE INDEX visits_by_date",
            "CREATE INDEX IF NOT EXISTS visits_by_date",
        ),
    )
    .unwrap();
    let out = xtask(&sandbox, &["status", "--env", "dev", "--check"]).code(4);
    assert!(
        out.stdout.contains("✗ 01-initial  EDITED since applied"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("migration 01-initial was edited after it was applied"),
        "{}",
        out.stderr
    );
    let before = bytes(&sandbox.db("dev"));
    let out = xtask(&sandbox, &["migrate", "--env", "dev"]).code(3);
    assert!(out.stderr.contains("--accept-edited 1"), "{}", out.stderr);
    assert_eq!(bytes(&sandbox.db("dev")), before);

    xtask(
        &sandbox,
        &["migrate", "--env", "dev", "--accept-edited", "1"],
    )
    .ok();
    assert_eq!(ledger(&sandbox, "dev"), "1:01-initial:accepted");
    xtask(&sandbox, &["status", "--env", "dev", "--check"]).ok();
    let out = xtask(
        &sandbox,
        &["migrate", "--env", "dev", "--accept-edited", "1"],
    )
    .code(2);
    assert!(
        out.stderr
            .contains("is not an applied migration whose file was edited"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_database_newer_than_the_code_is_refused() {
    let (sandbox, folder) = dev_with_two_pending();
    xtask(&sandbox, &["migrate", "--env", "dev"]).ok();
    std::fs::remove_dir_all(folder.join("03-favourites")).unwrap();
    let before = bytes(&sandbox.db("dev"));
    let out = xtask(&sandbox, &["status", "--env", "dev", "--check"]).code(4);
    assert!(
        out.stdout.contains("✗ 03-favourites  UNKNOWN to this code"),
        "{}",
        out.stdout
    );
    for command in [
        &["migrate", "--env", "dev"][..],
        &["rollback", "--env", "dev"],
    ] {
        let out = xtask(&sandbox, command).code(3);
        assert!(
            out.stderr.contains("database is newer than this code"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(bytes(&sandbox.db("dev")), before);
}

#[test]
fn two_migrate_processes_apply_once() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let folder = own_migrations(&sandbox);
    add_migration(
        &folder,
        "02-slow",
        "CREATE TABLE numbers (n INTEGER NOT NULL);
         WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 300000)
         INSERT INTO numbers SELECT n FROM c;",
        None,
    );
    let children: Vec<_> = (0..2)
        .map(|_| {
            sandbox
                .xtask()
                .args(["database", "migrate", "--env", "dev"])
                .spawn()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let stdout: Vec<String> = outputs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .collect();
    for (output, text) in outputs.iter().zip(&stdout) {
        assert!(
            output.status.success(),
            "{text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let applied = stdout
        .iter()
        .filter(|s| s.contains("is now at version 2"))
        .count();
    let idle = stdout
        .iter()
        .filter(|s| s.contains("nothing to do"))
        .count();
    assert_eq!((applied, idle), (1, 1), "{stdout:?}");
    assert_eq!(
        sandbox.sqlite(&sandbox.db("dev"), "SELECT count(*) FROM numbers"),
        "300000"
    );
    assert_eq!(
        ledger(&sandbox, "dev"),
        "1:01-initial:applied 2:02-slow:applied"
    );
}

#[test]
fn prod_migrate_asks_backs_up_and_refuses_no_backup() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let folder = own_migrations(&sandbox);
    add_migration(
        &folder,
        "02-visit-mood",
        "ALTER TABLE visits ADD COLUMN mood TEXT;",
        None,
    );
    let before = bytes(&sandbox.db("prod"));
    let out = xtask(&sandbox, &["migrate", "--env", "prod"]).code(3);
    assert!(out.stderr.contains("PROD DATABASE"), "{}", out.stderr);
    let out = xtask(
        &sandbox,
        &["migrate", "--env", "prod", "--no-backup", "--yes"],
    )
    .code(3);
    assert!(
        out.stderr.contains("--no-backup is refused on prod"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&sandbox.db("prod")), before);
    assert!(names_in(&sandbox.backup_dir()).is_empty());

    xtask(&sandbox, &["migrate", "--env", "prod", "--yes"]).ok();
    assert_eq!(version(&sandbox, "prod"), "2");
    let audit = sandbox.last_audit();
    assert_eq!(
        (audit["outcome"].as_str(), audit["confirmation"].as_str()),
        (Some("ok"), Some("--yes"))
    );
    let backup = audit["backup"]
        .as_str()
        .expect("the audit names the backup");
    assert_eq!(
        sandbox.sqlite(Path::new(backup), "PRAGMA user_version"),
        "1"
    );
}

#[test]
fn a_database_that_predates_the_ledger_gets_it_filled_on_migrate() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    sandbox.sqlite(&sandbox.db("dev"), "DROP TABLE onsendo_migrations");
    let out = xtask(&sandbox, &["status", "--env", "dev", "--check"]).ok();
    assert!(
        out.stdout
            .contains("01-initial  applied (before the ledger)"),
        "{}",
        out.stdout
    );
    let out = xtask(&sandbox, &["migrate", "--env", "dev"]).ok();
    assert!(
        out.stdout
            .contains("recorded 1 applied migration(s) in the ledger"),
        "{}",
        out.stdout
    );
    assert_eq!(ledger(&sandbox, "dev"), "1:01-initial:filled");
    let out = xtask(&sandbox, &["migrate", "--env", "dev"]).ok();
    assert!(
        !out.stdout.contains("recorded"),
        "filled once: {}",
        out.stdout
    );

    sandbox.sqlite(&sandbox.db("dev"), "DROP TABLE onsendo_migrations");
    let folder = own_migrations(&sandbox);
    add_migration(
        &folder,
        "02-visit-mood",
        "ALTER TABLE visits ADD COLUMN mood TEXT;",
        None,
    );
    xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).ok();
    assert_eq!(
        ledger(&sandbox, "dev"),
        "1:01-initial:filled 2:02-visit-mood:applied"
    );
}

/// The app reads and writes only a schema it was written for: with migrations pending, or after a
/// newer version of the code migrated the file, its commands are refused (exit 3), the file
/// untouched; once migrated, they work.
#[test]
fn the_app_refuses_a_database_with_pending_migrations_or_newer_than_the_code() {
    let (sandbox, folder) = dev_with_two_pending();
    let db = sandbox.db("dev");
    let add = [
        "--env",
        "dev",
        "visit",
        "add",
        "--onsen",
        "1",
        "--date",
        "2026-11-01",
        "--rating",
        "7",
    ];
    let before = bytes(&db);
    for command in [&add[..], &["--env", "dev", "visit", "list"]] {
        let out = sandbox.onsendo().args(command).run().code(3);
        assert!(
            out.stderr
                .contains("it is at schema version 1 and this code expects 3")
                && out.stderr.contains("cargo xtask database migrate"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(bytes(&db), before);

    xtask(&sandbox, &["migrate", "--env", "dev"]).ok();
    sandbox.onsendo().args(add).run().ok();
    assert_eq!(sandbox.sqlite(&db, "SELECT count(*) FROM visits"), "1");

    std::fs::remove_dir_all(folder.join("03-favourites")).unwrap();
    let before = bytes(&db);
    let out = sandbox.onsendo().args(add).run().code(3);
    assert!(
        out.stderr.contains(
            "it is at schema version 3, 1 version above this code's head (2); update the code"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before);
}

#[test]
fn a_commit_in_a_migration_is_refused_before_anything_runs_even_in_a_dry_run_on_prod() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let folder = own_migrations(&sandbox);
    add_migration(
        &folder,
        "02-drop-notes",
        "-- onsendo:destructive-ok notes are gone\nALTER TABLE visits DROP COLUMN notes;\n  commit;\n",
        None,
    );
    let db = sandbox.db("prod");
    let (before, sha3) = (bytes(&db), sandbox.sqlite(&db, ".sha3sum"));
    for args in [
        &["migrate", "--env", "prod", "--dry-run", "--yes"][..],
        &["migrate", "--env", "prod", "--yes"],
    ] {
        let out = xtask(&sandbox, args).code(3);
        assert!(
            out.stderr.contains(
                "02-drop-notes/up.sql`: statement 2 (`COMMIT`, line 3) is not allowed: transaction control is the tool's own"
            ),
            "{}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert_eq!(bytes(&db), before, "{args:?}");
        assert_eq!(sandbox.sqlite(&db, ".sha3sum"), sha3, "{args:?}");
    }
    assert!(
        names_in(&sandbox.backup_dir()).is_empty(),
        "refused before the backup"
    );
    let out = xtask(&sandbox, &["lint", "--all"]).code(4);
    assert!(
        out.stdout
            .contains("02-drop-notes/up.sql`:3: COMMIT (not allowed: transaction control"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("1 statement(s) that no migration may run"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_huge_or_negative_user_version_is_answered_in_one_short_line() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db = sandbox.db("dev");
    for (version, above) in [
        ("2147483647", "2147483646 versions"),
        ("999", "998 versions"),
    ] {
        sandbox.sqlite(&db, &format!("PRAGMA user_version = {version}"));
        let before = bytes(&db);
        let out = xtask(&sandbox, &["status", "--env", "dev", "--check"]).code(4);
        assert!(
            out.stdout.contains(&format!(
                "✗ version {version}: {above} above this code's head, UNKNOWN to this code"
            )),
            "{}",
            out.stdout
        );
        let said = format!(
            "database is newer than this code: it is at version {version}, {above} above this code's head (1); update the code"
        );
        assert!(out.stderr.contains(&said), "{}", out.stderr);
        let json = xtask(&sandbox, &["status", "--env", "dev", "--json"])
            .ok()
            .json();
        assert_eq!(
            json["above_head"].as_u64(),
            version.parse::<u64>().ok().map(|v| v - 1)
        );
        assert_eq!(json["migrations"].as_array().unwrap().len(), 1);
        for command in [
            &["migrate", "--env", "dev"][..],
            &["rollback", "--env", "dev"],
        ] {
            let out = xtask(&sandbox, command).code(3);
            assert!(out.stderr.contains(&said), "{command:?}: {}", out.stderr);
        }
        let out = xtask(&sandbox, &["doctor", "--env", "dev"]).code(4);
        assert!(out.stdout.contains(&said), "{}", out.stdout);
        for output in [&out.stdout, &out.stderr] {
            assert!(
                output.lines().all(|line| line.chars().count() < 300),
                "{output}"
            );
        }
        assert_eq!(bytes(&db), before);
    }
    sandbox.sqlite(&db, "PRAGMA user_version = -1");
    for command in [
        &["status", "--env", "dev"][..],
        &["migrate", "--env", "dev"],
        &["rollback", "--env", "dev"],
    ] {
        let out = xtask(&sandbox, command).code(3);
        assert!(
            out.stderr
                .contains("is -1, which no migration sets; restore a backup"),
            "{command:?}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_lone_carriage_return_is_a_change_but_crlf_is_not() {
    let sandbox = Sandbox::new();
    let folder = own_migrations(&sandbox);
    sandbox.init("dev");
    add_migration(
        &folder,
        "02-note",
        "-- a note\rCREATE TABLE extra (x);\r\n",
        None,
    );
    xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).ok();
    let db = sandbox.db("dev");
    assert_eq!(
        sandbox.sqlite(
            &db,
            "SELECT count(*) FROM sqlite_schema WHERE name = 'extra'"
        ),
        "0",
        "SQLite read the whole line as a comment"
    );
    let up = folder.join("02-note").join("up.sql");
    std::fs::write(&up, "\u{feff}-- a note\rCREATE TABLE extra (x);\n").unwrap();
    xtask(&sandbox, &["status", "--env", "dev", "--check"]).ok();
    std::fs::write(&up, "-- a note\nCREATE TABLE extra (x);\n").unwrap();
    let out = xtask(&sandbox, &["status", "--env", "dev", "--check"]).code(4);
    assert!(
        out.stdout.contains("✗ 02-note     EDITED since applied"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_ledger_from_before_down_checksums_keeps_working_and_gains_them() {
    let (sandbox, folder) = dev_with_two_pending();
    xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).ok();
    let db = sandbox.db("dev");
    sandbox.sqlite(
        &db,
        "ALTER TABLE onsendo_migrations DROP COLUMN down_checksum",
    );
    std::fs::write(
        folder.join("03-favourites").join("down.sql"),
        "DROP TABLE favourites; -- edited\n",
    )
    .unwrap();
    let before = bytes(&db);
    xtask(&sandbox, &["status", "--env", "dev", "--check"]).ok();
    assert_eq!(bytes(&db), before, "status only reads");
    xtask(&sandbox, &["rollback", "--env", "dev"]).ok();
    assert_eq!(version(&sandbox, "dev"), "2");
    assert_eq!(
        sandbox.sqlite(
            &db,
            "SELECT group_concat(version || ':' || (down_checksum IS NOT NULL), ' ') FROM onsendo_migrations"
        ),
        "1:0 2:0",
        "the column is back; old rows keep it empty"
    );
    xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).ok();
    assert_eq!(
        sandbox.sqlite(
            &db,
            "SELECT down_checksum IS NOT NULL FROM onsendo_migrations WHERE version = 3"
        ),
        "1"
    );
}

#[test]
fn a_long_list_of_problems_shows_ten_and_counts_the_rest() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let folder = own_migrations(&sandbox);
    for n in 2..=13 {
        let up = format!("CREATE TABLE t{n} (x);\n");
        add_migration(
            &folder,
            &format!("{n:02}-t{n}"),
            &up,
            Some(&format!("DROP TABLE t{n};\n")),
        );
    }
    sandbox
        .xtask()
        .args(["database", "migrate", "--env", "dev"])
        .run()
        .ok();
    for n in 2..=13 {
        let up = folder.join(format!("{n:02}-t{n}")).join("up.sql");
        std::fs::write(&up, format!("CREATE TABLE t{n} (x, y);\n")).unwrap();
    }
    let out = sandbox
        .xtask()
        .args(["database", "status", "--env", "dev", "--check"])
        .run()
        .code(4);
    let line = out
        .stderr
        .lines()
        .find(|line| line.starts_with("error: status check failed"))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert_eq!(
        line.matches("was edited after it was applied").count(),
        10,
        "{line}"
    );
    // The 12 edits, and the schema drift they make (tables t2… lack column y): 13 problems.
    assert!(line.ends_with("; … and 3 more"), "{line}");
}
