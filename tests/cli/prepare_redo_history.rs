//! `database prepare` (create, else migrate, else nothing), `database redo` (undo the newest
//! migration and apply it again; refused on prod) and `database history` (the ledger).

use crate::migrations::{
    add_migration, dev_with_two_pending, ledger, own_migrations, version, xtask,
};
use crate::support::{bytes, names_in, Sandbox};

#[test]
fn prepare_creates_then_migrates_then_has_nothing_to_do() {
    let sandbox = Sandbox::new();
    let folder = own_migrations(&sandbox);
    let out = xtask(&sandbox, &["prepare", "--env", "dev"]).ok();
    assert!(out.stdout.starts_with("created `"), "{}", out.stdout);
    assert_eq!(version(&sandbox, "dev"), "1");
    assert_eq!(sandbox.stamp(&sandbox.db("dev")), "dev");
    let out = xtask(&sandbox, &["prepare", "--env", "dev"]).ok();
    assert!(
        out.stdout.contains("is at version 1; nothing to do"),
        "{}",
        out.stdout
    );

    add_migration(
        &folder,
        "02-visit-mood",
        "ALTER TABLE visits ADD COLUMN mood TEXT;\n",
        None,
    );
    let out = xtask(&sandbox, &["prepare", "--env", "dev"]).ok();
    assert!(out.stdout.contains("✓ 02-visit-mood"), "{}", out.stdout);
    assert!(
        out.stdout.contains("backup: "),
        "the reference onsens are data: {}",
        out.stdout
    );
    assert_eq!(version(&sandbox, "dev"), "2");
}

#[test]
fn prepare_on_prod_asks_and_backs_up_before_migrating() {
    let sandbox = Sandbox::new();
    let folder = own_migrations(&sandbox);
    xtask(&sandbox, &["prepare", "--env", "prod", "--yes"]).ok();
    assert_eq!(version(&sandbox, "prod"), "1");
    add_migration(
        &folder,
        "02-visit-mood",
        "ALTER TABLE visits ADD COLUMN mood TEXT;\n",
        None,
    );
    let before = bytes(&sandbox.db("prod"));
    let out = xtask(&sandbox, &["prepare", "--env", "prod"]).code(3);
    assert!(out.stderr.contains("PROD DATABASE"), "{}", out.stderr);
    assert_eq!(bytes(&sandbox.db("prod")), before);
    assert!(names_in(&sandbox.backup_dir()).is_empty());

    xtask(&sandbox, &["prepare", "--env", "prod", "--yes"]).ok();
    assert_eq!(version(&sandbox, "prod"), "2");
    let audit = sandbox.last_audit();
    assert!(
        audit["command"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "prepare"),
        "{audit}"
    );
    let backup = audit["backup"]
        .as_str()
        .expect("the audit names the backup");
    assert_eq!(
        sandbox.sqlite(std::path::Path::new(backup), "PRAGMA user_version"),
        "1",
        "the backup is the database before the migration"
    );
}

#[test]
fn redo_applies_an_edited_newest_migration_again_and_records_it() {
    let (sandbox, folder) = dev_with_two_pending();
    xtask(&sandbox, &["migrate", "--env", "dev"]).ok();
    let up = folder.join("03-favourites").join("up.sql");
    std::fs::write(
        &up,
        "CREATE TABLE favourites (onsen_id INTEGER NOT NULL REFERENCES onsens (id), since TEXT);\n",
    )
    .unwrap();
    xtask(&sandbox, &["status", "--env", "dev", "--check"]).code(4);

    let out = xtask(&sandbox, &["redo", "--env", "dev", "--dry-run"]).ok();
    assert!(
        out.stdout.contains("plan: redo `") && out.stdout.contains("at version 3"),
        "{}",
        out.stdout
    );
    assert_eq!(
        sandbox.sqlite(
            &sandbox.db("dev"),
            "SELECT count(*) FROM pragma_table_info('favourites')"
        ),
        "1",
        "a dry run changes nothing"
    );
    let out = xtask(&sandbox, &["redo", "--env", "dev"]).ok();
    assert!(out.stdout.contains("backup: "), "{}", out.stdout);
    let lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("✓ 03-favourites"))
        .collect();
    assert_eq!(lines.len(), 2, "undone, then applied: {}", out.stdout);
    assert!(out.stdout.contains("is now at version 3"), "{}", out.stdout);
    assert_eq!(
        sandbox.sqlite(
            &sandbox.db("dev"),
            "SELECT group_concat(name) FROM pragma_table_info('favourites')"
        ),
        "onsen_id,since"
    );
    assert_eq!(
        ledger(&sandbox, "dev"),
        "1:01-initial:applied 2:02-visit-mood:applied 3:03-favourites:applied"
    );
    xtask(&sandbox, &["status", "--env", "dev", "--check"]).ok();
    assert!(std::fs::read_to_string(folder.join("schema.sql"))
        .unwrap()
        .contains("since TEXT"));

    std::fs::write(folder.join("03-favourites").join("down.sql"), "SELECT 1;\n").unwrap();
    let out = xtask(&sandbox, &["redo", "--env", "dev"]).code(3);
    assert!(
        out.stderr
            .contains("has a down.sql changed since it was applied"),
        "{}",
        out.stderr
    );

    add_migration(&folder, "04-forever", "CREATE TABLE forever (x);\n", None);
    xtask(
        &sandbox,
        &["migrate", "--env", "dev", "--accept-edited", "3"],
    )
    .ok();
    let before = bytes(&sandbox.db("dev"));
    let out = xtask(&sandbox, &["redo", "--env", "dev"]).code(1);
    assert!(
        out.stderr
            .contains("cannot redo 04-forever: it has no down.sql"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&sandbox.db("dev")), before);
}

#[test]
fn redo_is_refused_on_prod() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let before = bytes(&sandbox.db("prod"));
    let out = xtask(&sandbox, &["redo", "--env", "prod", "--yes"]).code(3);
    assert!(out.stderr.contains("prod is refused"), "{}", out.stderr);
    assert_eq!(bytes(&sandbox.db("prod")), before);
}

#[test]
fn history_lists_the_ledger_with_times_durations_and_how() {
    let (sandbox, _) = dev_with_two_pending();
    xtask(&sandbox, &["migrate", "--env", "dev", "--to", "2"]).ok();
    let out = xtask(&sandbox, &["history", "--env", "dev"]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].ends_with("at version 2"), "{}", out.stdout);
    assert!(lines[1].starts_with("version  name"), "{}", out.stdout);
    assert!(
        lines[3].starts_with("2        02-visit-mood  20"),
        "{}",
        out.stdout
    );
    assert!(lines[3].contains(" ms "), "{}", out.stdout);
    assert!(lines[3].ends_with("applied"), "{}", out.stdout);
    let json = xtask(&sandbox, &["history", "--env", "dev", "--json"])
        .ok()
        .json();
    assert_eq!(json["migrations"][1]["name"], "02-visit-mood");
    assert_eq!(json["migrations"][1]["how"], "applied");
    assert!(json["migrations"][1]["duration_ms"].is_u64());

    sandbox.sqlite(&sandbox.db("dev"), "DROP TABLE onsendo_migrations");
    let out = xtask(&sandbox, &["history", "--env", "dev"]).ok();
    assert!(out.stdout.contains("no ledger yet"), "{}", out.stdout);
    xtask(&sandbox, &["migrate", "--env", "dev", "--to", "2"]).ok();
    let out = xtask(&sandbox, &["history", "--env", "dev"]).ok();
    assert!(
        out.stdout.contains("filled (applied before the ledger)"),
        "{}",
        out.stdout
    );
}

#[test]
fn redo_of_a_migration_whose_up_sql_alone_turns_foreign_keys_off_runs_them_off() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let folder = own_migrations(&sandbox);
    add_migration(
        &folder,
        "02-marked",
        "-- onsendo:foreign-keys-off\nCREATE TABLE marked (a);\n",
        Some("DROP TABLE marked;\n"),
    );
    xtask(&sandbox, &["migrate", "--env", "dev"]).ok();
    let out = xtask(&sandbox, &["redo", "--env", "dev"]).ok();
    assert!(out.stdout.contains("02-marked"), "{}", out.stdout);
    assert_eq!(version(&sandbox, "dev"), "2");
    assert_eq!(
        sandbox.sqlite(&sandbox.db("dev"), "SELECT count(*) FROM marked"),
        "0"
    );
    assert_eq!(
        sandbox.sqlite(&sandbox.db("dev"), "PRAGMA foreign_key_check"),
        ""
    );
}
