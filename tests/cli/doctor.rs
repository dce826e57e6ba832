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
        "schema",
        "journal",
        "backup",
        "audit log",
        "permissions",
        "leftovers",
        "lock",
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
    // The twelve above and the off-site line, which is skipped without a repository.
    assert_eq!(json["checks"].as_array().unwrap().len(), 13);
    assert!(
        line(&out.stdout, "off-site").starts_with('-'),
        "{}",
        out.stdout
    );
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
    let hint = format!(
        "hint: make one with `cargo xtask database backup --env prod --root '{}'`",
        sandbox.root().display()
    );
    assert!(out.stdout.contains(&hint), "{}", out.stdout);
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
        out.stdout
            .contains("restore it from a backup, which restore checks first"),
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

/// A prod write's own test of the audit log: the record of every prod operation is reserved on the
/// disk before it starts, so a log that cannot take it fails doctor as it refuses the write.
#[test]
fn an_audit_log_a_prod_write_cannot_use_is_not_ready() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let log = sandbox.audit_log();
    std::fs::remove_file(&log).unwrap();
    std::os::unix::fs::symlink("/dev/full", &log).unwrap();
    let out = doctor(&sandbox, "prod").code(4);
    let audit = line(&out.stdout, "audit log");
    assert!(audit.starts_with('✗'), "{}", out.stdout);
    assert!(
        audit.contains("cannot write the audit log"),
        "{}",
        out.stdout
    );
    let write = sandbox
        .xtask()
        .args(["database", "seed", "--env", "prod"])
        .run()
        .code(1);
    assert!(
        write.stderr.contains("cannot write the audit log"),
        "the write refuses too: {}",
        write.stderr
    );

    // A file where the log folder should be.
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let folder = log_folder(&sandbox);
    std::fs::remove_dir_all(&folder).unwrap();
    std::fs::write(&folder, "not a folder").unwrap();
    let out = doctor(&sandbox, "prod").code(4);
    assert!(
        line(&out.stdout, "audit log").starts_with('✗'),
        "{}",
        out.stdout
    );
    sandbox
        .xtask()
        .args(["database", "seed", "--env", "prod"])
        .run()
        .code(1);
    assert_eq!(std::fs::read_to_string(&folder).unwrap(), "not a folder");

    // No log and no log folder yet: a prod write makes them, so doctor passes and makes nothing.
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let folder = log_folder(&sandbox);
    let _ = std::fs::remove_dir_all(&folder);
    let out = doctor(&sandbox, "dev").ok();
    assert!(
        line(&out.stdout, "audit log").starts_with('✓'),
        "{}",
        out.stdout
    );
    assert!(!folder.exists(), "doctor creates nothing");
}

fn log_folder(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.audit_log().parent().unwrap().to_path_buf()
}

#[test]
fn temporary_files_of_dead_runs_are_reported() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let db_dir = sandbox.db("dev").parent().unwrap().to_path_buf();
    let backups = sandbox.backup_dir();
    std::fs::create_dir_all(&backups).unwrap();
    // No process has a pid this large; this test's own process is alive.
    let dead = db_dir.join(".onsen.dev.db.tmp-4000000000-000000001");
    let dead_backup = backups.join(".onsen_dev_20261122T081500Z.db.tmp-4000000000-000000002");
    let alive = db_dir.join(format!(
        ".onsen.dev.db.tmp-{}-000000003",
        std::process::id()
    ));
    for path in [&dead, &dead_backup, &alive] {
        std::fs::write(path, "partial copy").unwrap();
    }
    let out = doctor(&sandbox, "dev").ok();
    let leftovers = line(&out.stdout, "leftovers");
    assert!(leftovers.starts_with("! leftovers"), "{}", out.stdout);
    assert!(leftovers.contains("2 temporary files"), "{}", out.stdout);
    for path in [&dead, &dead_backup] {
        assert!(
            leftovers.contains(&format!("`{}`", path.display())),
            "{}",
            out.stdout
        );
        assert!(path.exists(), "doctor removes nothing");
    }
    assert!(
        !leftovers.contains(&alive.display().to_string()),
        "{}",
        out.stdout
    );
    assert!(out.stdout.ends_with("\nready to serve\n"), "{}", out.stdout);
}

/// Adds migration 02 to the sandbox's migrations (the built-in 01 copied beside it).
fn add_a_migration(sandbox: &Sandbox) {
    let migrations = sandbox.root().join("migrations");
    let repository = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let first = migrations.join("01-initial");
    std::fs::create_dir_all(&first).unwrap();
    for file in ["up.sql", "down.sql"] {
        std::fs::copy(repository.join("01-initial").join(file), first.join(file)).unwrap();
    }
    let second = migrations.join("02-visit-mood");
    std::fs::create_dir_all(&second).unwrap();
    std::fs::write(
        second.join("up.sql"),
        "ALTER TABLE visits ADD COLUMN mood TEXT;\n",
    )
    .unwrap();
}

#[test]
fn pending_migrations_are_ready_to_migrate_but_not_to_serve() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    add_a_migration(&sandbox);
    let out = doctor(&sandbox, "prod").ok();
    assert!(
        line(&out.stdout, "migrations").starts_with("! migrations"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with(
            "\nready to migrate: 1 migration pending, not ready to serve until applied\n"
        ),
        "{}",
        out.stdout
    );
    let json = sandbox
        .xtask()
        .args(["database", "doctor", "--env", "prod", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(json["ready"], true);
    assert_eq!(json["ready_to_serve"], false);
    assert_eq!(json["pending_migrations"], 1);

    let serve = || {
        sandbox
            .xtask()
            .args(["database", "doctor", "--env", "prod", "--serve"])
            .run()
    };
    let out = serve().code(4);
    assert!(
        line(&out.stdout, "migrations").starts_with("✗ migrations"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.ends_with("\nNOT READY\n"), "{}", out.stdout);
    assert!(
        out.stderr.contains("is not ready to serve"),
        "{}",
        out.stderr
    );

    sandbox
        .xtask()
        .args(["database", "migrate", "--env", "prod", "--yes"])
        .run()
        .ok();
    let out = serve().ok();
    assert!(out.stdout.ends_with("\nready to serve\n"), "{}", out.stdout);
}

/// The README's production runbook, steps 1 to 4, run as written on a prod database with a
/// migration pending: every step exits 0.
#[test]
fn the_deploy_runbook_runs_as_written() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    add_a_migration(&sandbox);
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let runbook = readme
        .split("## Production runbook")
        .nth(1)
        .and_then(|rest| rest.split("5. **Undo").next())
        .expect("the runbook");
    let commands: Vec<&str> = runbook
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|text| text.starts_with("cargo xtask database "))
        .collect();
    assert!(commands.len() >= 8, "{commands:?}");
    assert!(
        commands.first() == Some(&"cargo xtask database doctor --env prod")
            && commands.contains(&"cargo xtask database doctor --env prod --serve"),
        "doctor before migrating, doctor --serve after: {commands:?}"
    );
    for command in commands {
        let args: Vec<&str> = command
            .trim_start_matches("cargo xtask ")
            .split_whitespace()
            .collect();
        let args: Vec<&str> = match command {
            // The runbook's "type `prod` (or `--yes` in a script)": a script here.
            c if c.ends_with("migrate --env prod") => [args, vec!["--yes"]].concat(),
            _ => args,
        };
        // The off-site step runs against a repository in a temporary folder (when restic is here).
        let run = match command.contains("--offsite") {
            true => match crate::offsite::Offsite::new(&sandbox) {
                Some(offsite) => offsite.xtask(&sandbox),
                None => continue,
            },
            false => sandbox.xtask(),
        };
        let out = run.args(&args).run();
        assert_eq!(out.code, 0, "{command}: {}\n{}", out.stdout, out.stderr);
    }
    assert_eq!(
        sandbox.sqlite(&sandbox.db("prod"), "PRAGMA user_version"),
        "2",
        "the runbook migrated prod"
    );
}
