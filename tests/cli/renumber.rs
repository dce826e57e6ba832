//! Two branches, one number: every command refuses the catalog, naming both folders and the fix;
//! `database renumber` moves the one no database applied to the next free number.

use crate::migrations::{add_migration, own_migrations, version, xtask};
use crate::support::{names_in, Sandbox};

#[test]
fn a_shared_number_is_refused_everywhere_until_renumbered() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let folder = own_migrations(&sandbox);
    add_migration(
        &folder,
        "02-visit-mood",
        "ALTER TABLE visits ADD COLUMN mood TEXT;\n",
        None,
    );
    xtask(&sandbox, &["migrate", "--env", "dev"]).ok();
    add_migration(
        &folder,
        "02-favourites",
        "CREATE TABLE favourites (onsen_id INTEGER);\n",
        None,
    );

    let message = format!(
        "error: two migrations have number 2: `{}` and `{}` (two branches each added one); move the one no database has applied to the next free number with `cargo xtask database renumber`",
        folder.join("02-favourites").display(),
        folder.join("02-visit-mood").display()
    );
    for args in [
        &["status", "--env", "dev"][..],
        &["migrate", "--env", "dev"],
        &["new", "x"],
    ] {
        let out = xtask(&sandbox, args).code(2);
        assert!(out.stderr.starts_with(&message), "{args:?}: {}", out.stderr);
    }
    let out = sandbox
        .onsendo()
        .args(["--env", "dev", "onsen", "list"])
        .run()
        .code(2);
    assert!(out.stderr.starts_with(&message), "{}", out.stderr);

    let before = names_in(&folder);
    let out = xtask(&sandbox, &["renumber", "--dry-run"]).ok();
    assert_eq!(out.stdout, "would move 02-favourites → 03-favourites\n");
    assert_eq!(names_in(&folder), before);

    let out = xtask(&sandbox, &["renumber"]).ok();
    assert!(
        out.stdout
            .starts_with("moved 02-favourites → 03-favourites\nupdated `"),
        "{}",
        out.stdout
    );
    assert!(folder.join("03-favourites").join("up.sql").is_file());
    assert!(!folder.join("02-favourites").exists());
    assert!(std::fs::read_to_string(folder.join("schema.sql"))
        .unwrap()
        .contains("CREATE TABLE favourites"));
    xtask(&sandbox, &["migrate", "--env", "dev"]).ok();
    assert_eq!(version(&sandbox, "dev"), "3");
    let out = xtask(&sandbox, &["renumber"]).ok();
    assert!(out.stdout.contains("nothing to do"), "{}", out.stdout);
}

#[test]
fn renumber_refuses_when_each_of_two_was_applied() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    sandbox.init("test");
    let folder = own_migrations(&sandbox);
    add_migration(&folder, "02-a", "CREATE TABLE a (x);\n", None);
    xtask(&sandbox, &["migrate", "--env", "dev"]).ok();
    std::fs::rename(folder.join("02-a"), sandbox.root().join("02-a")).unwrap();
    add_migration(&folder, "02-b", "CREATE TABLE b (x);\n", None);
    xtask(&sandbox, &["migrate", "--env", "test"]).ok();
    std::fs::rename(sandbox.root().join("02-a"), folder.join("02-a")).unwrap();

    let before = names_in(&folder);
    let out = xtask(&sandbox, &["renumber"]).code(3);
    assert!(
        out.stderr.contains("migrations 02-a (by `"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("share number 2 and each was applied; nothing was moved"),
        "{}",
        out.stderr
    );
    assert_eq!(names_in(&folder), before);
}
