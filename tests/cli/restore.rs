//! `database restore`: the content comes back, what it replaced is kept, damaged or foreign backups are
//! refused, prod asks first.

use crate::backup::{
    add_visits, assert_same_content, backup, backups_on_disk, change_one_byte, count, manifest,
    name_of, restore_into, truncate_to_half, verify, verify_file,
};
use crate::split::hashes_under;
use crate::support::{bytes, names_in, Sandbox, SqliteShell};
use serde_json::Value;
use std::path::{Path, PathBuf};

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
fn a_live_database_in_wal_mode_is_restored_while_another_connection_keeps_its_wal() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db = sandbox.db("dev");
    assert_eq!(sandbox.sqlite(&db, "PRAGMA journal_mode = WAL"), "wal");
    let saved = backup(&sandbox, "dev", &[]);
    change_data(&sandbox, &db);
    // An open connection keeps the WAL in use: the restored pages are still in it (not
    // checkpointed into the main file) when the restore checks the content it wrote.
    let mut other = SqliteShell::open(&db);
    other.run("SELECT count(*) FROM onsens;");

    restore_json(&sandbox, &["--latest", "--env", "dev"]);
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    assert!(
        std::fs::metadata(&wal).map_or(0, |m| m.len()) > 0,
        "the restored content is (partly) in the WAL"
    );
    assert_same_content(&sandbox, &db, &saved);
    assert_eq!(sandbox.sqlite(&db, "PRAGMA journal_mode"), "wal");
    assert!(other.close());
    assert_same_content(&sandbox, &db, &saved);
    assert_eq!(sandbox.sqlite(&db, "PRAGMA integrity_check"), "ok");
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
    let refused = sandbox.last_audit();
    assert_eq!(refused["confirmation"], "refused");
    assert_eq!(
        refused["restored"],
        saved.display().to_string(),
        "what --latest chose is named"
    );

    let out = restore_json(&sandbox, &["--latest", "--env", "prod", "--yes"]);
    assert_same_content(&sandbox, &db, &saved);
    let pre_restore = out["pre_restore_backup"].as_str().unwrap();
    let record = sandbox.last_audit();
    assert_eq!(record["outcome"], "ok");
    assert_eq!(record["confirmation"], "--yes");
    assert_eq!(record["backup"], pre_restore);
    assert_eq!(record["restored"], saved.display().to_string());
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
