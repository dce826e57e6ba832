//! Writing a migration: `database new` makes the next numbered folder, `database lint` fails on
//! destructive statements that are not acknowledged.

use crate::migrations::{add_migration, own_migrations, xtask};
use crate::support::{names_in, Sandbox};

#[test]
fn new_creates_the_next_numbered_folder() {
    let sandbox = Sandbox::new();
    let folder = own_migrations(&sandbox);
    let out = xtask(&sandbox, &["new", "Add visit notes"]).ok();
    assert!(out.stdout.contains("created migration 2"), "{}", out.stdout);
    assert_eq!(
        names_in(&folder.join("02-add-visit-notes")),
        ["down.sql", "up.sql"]
    );
    sandbox.init("dev");
    let json = xtask(&sandbox, &["new", "second one", "--json"])
        .ok()
        .json();
    assert_eq!(json["name"], "03-second-one");
    let out = xtask(&sandbox, &["status", "--env", "dev"]).ok();
    assert!(
        out.stdout.contains("version:     2 of 3"),
        "init used the folder: {}",
        out.stdout
    );
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("03-second-one"))
        .unwrap();
    assert!(
        line.starts_with("  · ") && line.ends_with(" pending"),
        "{line}"
    );
    let out = xtask(&sandbox, &["new", "../escape"]).code(2);
    assert!(
        out.stderr.contains("is not a migration name"),
        "{}",
        out.stderr
    );
    std::fs::remove_dir_all(&folder).unwrap();
    let out = xtask(&sandbox, &["new", "x"]).code(1);
    assert!(
        out.stderr.contains("there is no migrations folder"),
        "{}",
        out.stderr
    );
}

#[test]
fn lint_fails_on_unacknowledged_destructive_statements() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let folder = own_migrations(&sandbox);
    xtask(&sandbox, &["lint", "--env", "dev"]).ok();
    add_migration(
        &folder,
        "02-drop-notes",
        "-- notes are unused\nALTER TABLE visits DROP COLUMN notes;\n",
        None,
    );
    let out = xtask(&sandbox, &["lint", "--env", "dev"]).code(4);
    assert!(
        out.stdout
            .contains("02-drop-notes/up.sql`:2: DROP COLUMN visits.notes (NOT acknowledged)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("-- onsendo:destructive-ok"),
        "{}",
        out.stderr
    );
    let plan = xtask(&sandbox, &["migrate", "--env", "dev", "--dry-run"]).ok();
    assert!(
        plan.stdout
            .contains("⚠ destructive: DROP COLUMN visits.notes (line 2)"),
        "{}",
        plan.stdout
    );
    add_migration(
        &folder,
        "02-drop-notes",
        "-- onsendo:destructive-ok notes are unused\nALTER TABLE visits DROP COLUMN notes;\n",
        None,
    );
    let json = xtask(&sandbox, &["lint", "--all", "--json"]).ok().json();
    assert_eq!(json["findings"][0]["acknowledged"], true);
    assert_eq!(json["unacknowledged"], 0);
}
