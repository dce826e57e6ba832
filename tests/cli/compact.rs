//! `cargo xtask database compact`: free pages given back, every row kept (checked with sqlite3),
//! prod's confirmation, backup and audit, and a kill that leaves the database as it was.

use crate::support::{bytes, Sandbox};

/// A dev database with most of its pages free: many visits added, then deleted.
fn with_free_pages(sandbox: &Sandbox, env: &str) -> std::path::PathBuf {
    sandbox.init(env);
    let db = sandbox.db(env);
    sandbox.sqlite(
        &db,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
         INSERT INTO visits (onsen_id, visited_at, personal_rating, notes) SELECT 1, '2026-01-01', 7, hex(randomblob(300)) FROM n;
         DELETE FROM visits WHERE id > 3;
         UPDATE visits SET notes = '竹瓦温泉 $HOME ''quoted''' WHERE id = 2;",
    );
    db
}

fn dump(sandbox: &Sandbox, db: &std::path::Path) -> String {
    sandbox.sqlite(db, ".dump")
}

#[test]
fn compact_gives_free_pages_back_and_keeps_every_row() {
    let sandbox = Sandbox::new();
    let db = with_free_pages(&sandbox, "dev");
    let (before, content) = (bytes(&db), dump(&sandbox, &db));

    let out = sandbox
        .xtask()
        .args(["database", "compact", "--env", "dev", "--dry-run"])
        .run()
        .ok();
    assert!(
        out.stdout.starts_with("would compact `") && out.stdout.contains("free pages"),
        "{}",
        out.stdout
    );
    assert_eq!(bytes(&db), before, "a dry run changes nothing");

    let out = sandbox
        .xtask()
        .args(["database", "compact", "--env", "dev", "--json"])
        .run()
        .ok()
        .json();
    let size_after = std::fs::metadata(&db).unwrap().len();
    assert_eq!(out["size_before"], before.len() as u64);
    assert_eq!(out["size_after"], size_after);
    assert!(out["free_pages_before"].as_u64().unwrap() > 100, "{out}");
    assert!(
        size_after * 4 < before.len() as u64,
        "{size_after} of {}",
        before.len()
    );
    assert_eq!(
        dump(&sandbox, &db),
        content,
        "every row and the schema kept"
    );
    assert_eq!(sandbox.sqlite(&db, "PRAGMA integrity_check"), "ok");
    assert_eq!(sandbox.sqlite(&db, "PRAGMA freelist_count"), "0");
    assert!(out["backup"].is_null(), "dev makes no backup: {out}");
    assert!(
        !sandbox.backup_dir().exists()
            || std::fs::read_dir(sandbox.backup_dir())
                .unwrap()
                .next()
                .is_none()
    );
    assert_eq!(sandbox.stamp(&db), "dev");
}

#[test]
fn compact_on_prod_asks_backs_up_first_and_is_audited() {
    let sandbox = Sandbox::new();
    let db = with_free_pages(&sandbox, "prod");
    let (before, content) = (bytes(&db), dump(&sandbox, &db));
    let out = sandbox
        .xtask()
        .args(["database", "compact", "--env", "prod"])
        .run()
        .code(3);
    assert!(out.stderr.contains("PROD DATABASE"), "{}", out.stderr);
    assert_eq!(bytes(&db), before, "refused: nothing changed");

    let out = sandbox
        .xtask()
        .args(["database", "compact", "--env", "prod", "--yes", "--json"])
        .run()
        .ok()
        .json();
    let backup = std::path::PathBuf::from(out["backup"].as_str().unwrap());
    assert_eq!(
        bytes(&backup),
        before,
        "the backup holds the file as it was"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&bytes(&backup.with_extension("json"))).unwrap();
    assert_eq!(manifest["reason"], "pre-compact");
    assert_eq!(dump(&sandbox, &db), content);
    let record = sandbox.last_audit();
    assert_eq!(record["outcome"], "ok", "{record}");
    assert_eq!(record["command"][2], "compact", "{record}");
    assert_eq!(record["backup"], backup.display().to_string(), "{record}");
}

#[test]
fn a_crash_while_the_compacted_copy_goes_in_leaves_the_database_as_it_was() {
    let sandbox = Sandbox::new();
    let db = with_free_pages(&sandbox, "dev");
    let content = dump(&sandbox, &db);
    let before = bytes(&db);
    for failpoint in ["restore.replace:error", "restore.replace:crash"] {
        let out = sandbox
            .xtask()
            .args(["database", "compact", "--env", "dev"])
            .env("ONSENDO_FAILPOINT", failpoint)
            .run();
        assert_ne!(out.code, 0, "{failpoint}: {}", out.stderr);
        assert_eq!(bytes(&db), before, "{failpoint}");
    }
    // A crash after SQLite committed the new content: the journal is gone, the file compacted.
    sandbox
        .xtask()
        .args(["database", "compact", "--env", "dev"])
        .env("ONSENDO_FAILPOINT", "restore.replaced:crash")
        .run();
    assert_eq!(dump(&sandbox, &db), content);
    assert_eq!(sandbox.sqlite(&db, "PRAGMA integrity_check"), "ok");
    sandbox
        .xtask()
        .args(["database", "compact", "--env", "dev"])
        .run()
        .ok();
    assert_eq!(dump(&sandbox, &db), content);
    let leftovers: Vec<String> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".lock") && name != "onsen.dev.db")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
