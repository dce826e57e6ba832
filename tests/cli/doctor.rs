//! `database doctor`: ready on a healthy database; not ready, with the failing line, otherwise.

use crate::support::Sandbox;
use std::os::unix::fs::PermissionsExt;

fn doctor(sandbox: &Sandbox, env: &str) -> crate::support::Output {
    sandbox
        .xtask()
        .args(["database", "doctor", "--env", env])
        .run()
}

/// The line of one check in doctor's output.
fn line<'a>(output: &'a str, name: &str) -> &'a str {
    output
        .lines()
        .find(|line| {
            line.split_once(' ')
                .is_some_and(|(_, rest)| rest.starts_with(name))
        })
        .unwrap_or_else(|| panic!("no `{name}` line in:\n{output}"))
}

#[test]
fn a_healthy_database_is_ready() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let out = doctor(&sandbox, "dev").ok();
    for name in [
        "file",
        "stamp",
        "integrity",
        "foreign keys",
        "migrations",
        "journal",
        "backup",
        "audit log",
        "permissions",
        "leftovers",
    ] {
        assert!(
            line(&out.stdout, name).starts_with('✓'),
            "{name}: {}",
            out.stdout
        );
    }
    assert!(out.stdout.ends_with("\nready to serve\n"), "{}", out.stdout);
    let json = sandbox
        .xtask()
        .args(["database", "doctor", "--env", "dev", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(json["ready"], true);
    assert_eq!(json["ready_to_serve"], true);
    assert_eq!(json["checks"].as_array().unwrap().len(), 10);
}

#[test]
fn prod_warns_without_a_backup_and_fails_when_others_can_read_it() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let out = doctor(&sandbox, "prod").ok();
    assert!(
        line(&out.stdout, "backup").starts_with("! backup"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("hint: make one with `cargo xtask database backup --env prod`"),
        "{}",
        out.stdout
    );
    sandbox
        .xtask()
        .args(["database", "backup", "--env", "prod"])
        .run()
        .ok();
    let out = doctor(&sandbox, "prod").ok();
    assert!(
        line(&out.stdout, "backup").ends_with(" s old"),
        "{}",
        out.stdout
    );

    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = doctor(&sandbox, "prod").code(4);
    assert!(
        line(&out.stdout, "permissions").starts_with("✗"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("chmod o-rw"), "{}", out.stdout);
    assert!(out.stdout.ends_with("NOT READY\n"), "{}", out.stdout);
}

#[test]
fn a_drifted_database_is_not_ready() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let folder = sandbox.root().join("migrations").join("01-initial");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("up.sql"), "CREATE TABLE something_else (x);").unwrap();
    let out = doctor(&sandbox, "dev").code(4);
    assert!(
        line(&out.stdout, "migrations").contains("01-initial was edited"),
        "{}",
        out.stdout
    );
    assert!(
        line(&out.stdout, "integrity").starts_with('✓'),
        "{}",
        out.stdout
    );
}

#[test]
fn a_corrupted_database_is_not_ready() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db = sandbox.db("dev");
    sandbox.sqlite(
        &db,
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000)
         INSERT INTO visits (onsen_id, visited_at, personal_rating, notes) SELECT 1, '2026-01-01', 5, printf('%0200d', n) FROM c",
    );
    let mut bytes = std::fs::read(&db).unwrap();
    let page = 4096;
    let middle = bytes.len() / page / 2 * page;
    bytes[middle..middle + page].fill(0x5a);
    std::fs::write(&db, &bytes).unwrap();
    let out = doctor(&sandbox, "dev").code(4);
    let integrity = line(&out.stdout, "integrity");
    assert!(integrity.starts_with('✗'), "{}", out.stdout);
    assert!(
        out.stdout.contains("restore it from a verified backup"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_wrongly_stamped_database_is_not_ready() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    sandbox.sqlite(
        &sandbox.db("dev"),
        "UPDATE onsendo_meta SET value = 'test' WHERE key = 'environment'",
    );
    let out = doctor(&sandbox, "dev").code(4);
    assert!(
        line(&out.stdout, "stamp").contains("stamped `test`, but `dev` was selected"),
        "{}",
        out.stdout
    );

    let out = doctor(&sandbox, "prod").code(4);
    assert!(
        line(&out.stdout, "file").contains("does not exist"),
        "{}",
        out.stdout
    );
    assert!(
        line(&out.stdout, "integrity").starts_with("- integrity"),
        "{}",
        out.stdout
    );
}
