//! `database rollback`: undoes with a backup first; a missing, refused or edited `down.sql` stops it
//! before anything runs.

use crate::migrations::{add_migration, dev_with_two_pending, ledger, version, xtask};
use crate::support::{bytes, names_in};

#[test]
fn rollback_undoes_with_a_backup_and_refuses_a_missing_down_first() {
    let (sandbox, folder) = dev_with_two_pending();
    add_migration(&folder, "04-no-way-back", "CREATE TABLE forever (x);", None);
    xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).ok();
    let before = bytes(&sandbox.db("dev"));
    let out = xtask(&sandbox, &["rollback", "--env", "dev", "--steps", "2"]).code(1);
    assert!(
        out.stderr.contains("04-no-way-back/down.sql"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    assert_eq!(bytes(&sandbox.db("dev")), before);
    assert!(
        names_in(&sandbox.backup_dir()).is_empty(),
        "refused before anything ran"
    );

    std::fs::write(
        folder.join("04-no-way-back").join("down.sql"),
        "DROP TABLE forever;",
    )
    .unwrap();
    let out = xtask(&sandbox, &["rollback", "--env", "dev", "--to", "1"]).ok();
    assert!(out.stdout.contains("plan: roll back"), "{}", out.stdout);
    assert!(
        out.stdout.contains("⚠ destructive: DROP TABLE favourites"),
        "{}",
        out.stdout
    );
    assert_eq!(version(&sandbox, "dev"), "1");
    assert_eq!(ledger(&sandbox, "dev"), "1:01-initial:applied");
    let columns = sandbox.sqlite(
        &sandbox.db("dev"),
        "SELECT count(*) FROM pragma_table_info('visits') WHERE name = 'mood'",
    );
    assert_eq!(columns, "0");
    let backups = names_in(&sandbox.backup_dir());
    let manifest = std::fs::read_to_string(sandbox.backup_dir().join(&backups[1])).unwrap();
    assert!(
        manifest.contains("\"reason\": \"pre-rollback\""),
        "{manifest}"
    );
    assert_eq!(
        sandbox.sqlite(
            &sandbox.backup_dir().join(&backups[0]),
            "PRAGMA user_version"
        ),
        "4"
    );
}

#[test]
fn a_down_sql_that_the_gate_refuses_stops_the_rollback_before_anything_runs() {
    let (sandbox, folder) = dev_with_two_pending();
    add_migration(
        &folder,
        "04-scratch",
        "CREATE TABLE scratch (x);\n",
        Some("DROP TABLE scratch;\nPRAGMA \"foreign_keys\" = OFF;\n"),
    );
    xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).ok();
    let before = bytes(&sandbox.db("dev"));
    for args in [
        &["rollback", "--env", "dev", "--dry-run"][..],
        &["rollback", "--env", "dev"],
    ] {
        let out = xtask(&sandbox, args).code(3);
        assert!(
            out.stderr.contains(
                "04-scratch/down.sql`: statement 2 (`PRAGMA foreign_keys`, line 2) is not allowed"
            ),
            "{}",
            out.stderr
        );
    }
    assert_eq!(bytes(&sandbox.db("dev")), before);
    assert!(names_in(&sandbox.backup_dir()).is_empty());
    let json = xtask(&sandbox, &["lint", "--all", "--json"]).code(4).json();
    assert_eq!(json["refused"][0]["statement"], "PRAGMA foreign_keys");
    assert_eq!(json["refused"][0]["line"], 2);
    assert!(json["refused"][0]["file"]
        .as_str()
        .unwrap()
        .ends_with("04-scratch/down.sql"));
}

#[test]
fn an_edited_down_sql_is_reported_and_refused_before_a_rollback_uses_it() {
    let (sandbox, folder) = dev_with_two_pending();
    xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).ok();
    let down = folder.join("03-favourites").join("down.sql");
    std::fs::write(&down, "DROP TABLE favourites;\r\n").unwrap();
    xtask(&sandbox, &["status", "--env", "dev", "--check"]).ok();
    std::fs::write(&down, "DROP TABLE favourites;\nDELETE FROM visits;\n").unwrap();
    let out = xtask(&sandbox, &["status", "--env", "dev", "--check"]).code(4);
    assert!(
        out.stdout
            .contains("✗ 03-favourites  down.sql EDITED since applied"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("the down.sql of migration 03-favourites was changed after it was applied"),
        "{}",
        out.stderr
    );
    let before = bytes(&sandbox.db("dev"));
    for args in [
        &["rollback", "--env", "dev", "--dry-run"][..],
        &["rollback", "--env", "dev"],
    ] {
        let out = xtask(&sandbox, args).code(3);
        assert!(
            out.stderr
                .contains("migration 03-favourites has a down.sql changed since it was applied"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("--accept-edited 3"), "{}", out.stderr);
    }
    assert_eq!(bytes(&sandbox.db("dev")), before);
    assert!(names_in(&sandbox.backup_dir()).is_empty());
    xtask(
        &sandbox,
        &["migrate", "--env", "dev", "--accept-edited", "3"],
    )
    .ok();
    assert_eq!(
        ledger(&sandbox, "dev"),
        "1:01-initial:applied 2:02-visit-mood:applied 3:03-favourites:accepted"
    );
    xtask(&sandbox, &["rollback", "--env", "dev"]).ok();
    assert_eq!(version(&sandbox, "dev"), "2");
}
