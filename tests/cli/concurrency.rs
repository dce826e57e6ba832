//! Two commands at once, and a command after a kill: the lock each database file has (exclusive
//! for the commands that create, replace, restore or migrate it, shared for writes through
//! SQLite), decisions made under it, the waiting notice and refusal naming the holder, and a
//! restore re-run after a kill finishing the restore it was asked for. Races run several rounds
//! so that a lucky schedule does not pass them; `NAME:pause` failpoints hold a command mid-step
//! for two seconds so that a second one meets it there.

use crate::backup::backup;
use crate::split::{assert_split_from, backups_in, legacy_path, make_legacy, split};
use crate::support::{Output, Run, Sandbox};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A command held at a failpoint, its stderr going to a file.
struct Paused {
    child: std::process::Child,
    log: PathBuf,
}

/// Starts `run` with the failpoint `point:pause`, and returns once it has reached the point.
fn started_and_paused(sandbox: &Sandbox, run: Run, point: &str) -> Paused {
    let log = sandbox.root().join(format!("paused at {point}.log"));
    let child = run
        .env("ONSENDO_FAILPOINT", format!("{point}:pause"))
        .spawn_logging(&log);
    let started = Instant::now();
    while !std::fs::read_to_string(&log).is_ok_and(|text| text.contains(": pausing")) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the command never reached {point}: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    Paused { child, log }
}

impl Paused {
    /// Waits for the command to end; what it printed on stderr comes from its log.
    fn wait(self) -> Output {
        let mut out = Output::of(self.child);
        out.stderr = std::fs::read_to_string(&self.log).unwrap();
        out
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

fn restore_latest(sandbox: &Sandbox) -> Run {
    sandbox
        .xtask()
        .args(["database", "restore", "--latest", "--env", "dev"])
}

/// `database backup --env dev`, to run or spawn.
fn backup_dev(sandbox: &Sandbox) -> Run {
    sandbox.xtask().args(["database", "backup", "--env", "dev"])
}

fn visits(sandbox: &Sandbox, db: &Path) -> u64 {
    sandbox
        .sqlite(db, "SELECT count(*) FROM visits")
        .parse()
        .unwrap()
}

#[test]
fn two_splits_at_once_write_the_targets_once() {
    for round in 0..4 {
        let sandbox = Sandbox::new();
        let legacy = legacy_path(&sandbox);
        make_legacy(&sandbox, &legacy, "");
        let runs: Vec<_> = (0..2).map(|_| split(&sandbox, &[]).spawn()).collect();
        let outs: Vec<Output> = runs.into_iter().map(Output::of).collect();
        for out in &outs {
            assert_eq!(out.code, 0, "round {round}: {}", out.stderr);
        }
        let created = outs
            .iter()
            .filter(|out| out.stdout.contains("created `"))
            .count();
        let done = outs
            .iter()
            .filter(|out| out.stdout.contains("already split"))
            .count();
        assert_eq!((created, done), (1, 1), "round {round}: {outs:?}");
        assert_eq!(
            backups_in(&sandbox.backup_dir()).len(),
            1,
            "round {round}: one split, one backup of the legacy file"
        );
        assert_split_from(&sandbox, &legacy);
    }
}

#[test]
fn a_split_started_during_another_waits_and_keeps_the_prod_visit_written_meanwhile() {
    for round in 0..2 {
        let sandbox = Sandbox::new();
        let legacy = legacy_path(&sandbox);
        // At this code's schema version, so that the app takes the copy for its own.
        make_legacy(&sandbox, &legacy, "PRAGMA user_version = 1;");
        let prod = sandbox.db("prod");
        let first = started_and_paused(&sandbox, split(&sandbox, &[]), "split.placed");
        let visit = sandbox
            .onsendo()
            .args(["--env", "prod", "visit", "add", "--onsen", "1"])
            .args([
                "--date",
                "2026-12-01",
                "--rating",
                "9",
                "--notes",
                "written meanwhile",
            ])
            .spawn();
        let second = split(&sandbox, &[]).spawn();
        let first = first.wait();
        assert_eq!(first.code, 0, "round {round}: {}", first.stderr);
        let (visit, second) = (Output::of(visit), Output::of(second));
        assert_eq!(visit.code, 0, "round {round}: {}", visit.stderr);
        assert_eq!(second.code, 0, "round {round}: {}", second.stderr);
        assert!(
            second.stderr.contains("waiting for process")
                && second.stderr.contains("`database migrate-to-envs`"),
            "round {round}: {}",
            second.stderr
        );
        assert!(
            second.stdout.contains("already split"),
            "round {round}: {}",
            second.stdout
        );
        assert_eq!(
            sandbox.sqlite(
                &prod,
                "SELECT count(*) FROM visits WHERE notes = 'written meanwhile'"
            ),
            "1",
            "round {round}: the visit is in prod"
        );
        assert_eq!(backups_in(&sandbox.backup_dir()).len(), 1, "round {round}");
    }
}

#[test]
fn a_command_that_meets_a_held_lock_names_the_holder_and_refuses_after_the_wait() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let dev = sandbox.db("dev");
    backup(&sandbox, "dev", &[]);
    let restoring = started_and_paused(&sandbox, restore_latest(&sandbox), "restore.replace");
    let before = std::fs::read(&dev).unwrap();
    for args in [
        &["database", "restore", "--latest", "--env", "dev"][..],
        &["database", "backup", "--env", "dev"],
        &["database", "migrate", "--env", "dev"],
    ] {
        let out = sandbox
            .xtask()
            .args(args)
            .env("ONSENDO_LOCK_WAIT", "0")
            .run()
            .code(3);
        assert!(
            out.stderr
                .contains(&format!("`{}` is busy: process ", dev.display()))
                && out.stderr.contains("(`database restore`, since "),
            "{args:?}: {}",
            out.stderr
        );
    }
    let out = sandbox
        .onsendo()
        .args(["--env", "dev", "visit", "add", "--onsen", "1"])
        .args(["--date", "2026-12-01", "--rating", "9"])
        .env("ONSENDO_LOCK_WAIT", "0")
        .run()
        .code(3);
    assert!(out.stderr.contains("is busy: process "), "{}", out.stderr);
    let out = sandbox
        .xtask()
        .args(["database", "doctor", "--env", "dev"])
        .run();
    assert!(
        out.stdout.contains("(`database restore`, since "),
        "doctor names the holder: {}",
        out.stdout
    );
    assert_eq!(restoring.wait().code, 0);
    assert_ne!(
        std::fs::read(&dev).unwrap(),
        before,
        "the restore itself went on"
    );
}

#[test]
fn an_app_write_during_a_restore_waits_and_lands_after_it() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let dev = sandbox.db("dev");
    backup(&sandbox, "dev", &[]);
    let restoring = started_and_paused(&sandbox, restore_latest(&sandbox), "restore.replace");
    let out = sandbox
        .onsendo()
        .args(["--env", "dev", "visit", "add", "--onsen", "1"])
        .args([
            "--date",
            "2026-12-01",
            "--rating",
            "9",
            "--notes",
            "during the restore",
        ])
        .run()
        .ok();
    assert!(out.stderr.contains("waiting for process"), "{}", out.stderr);
    assert_eq!(restoring.wait().code, 0);
    assert_eq!(
        sandbox.sqlite(
            &dev,
            "SELECT count(*) FROM visits WHERE notes = 'during the restore'"
        ),
        "1",
        "written after the restore, not discarded by it"
    );
}

#[test]
fn a_restore_rerun_after_a_kill_finishes_the_restore_it_was_asked_for() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let dev = sandbox.db("dev");
    sandbox.sqlite(&dev, "DELETE FROM visits; INSERT INTO visits (onsen_id, visited_at, personal_rating) VALUES (1, '2026-01-01', 5);");
    let wanted = backup(&sandbox, "dev", &[]);
    sandbox.sqlite(&dev, "DELETE FROM visits;");
    for point in ["restore.replace", "copy.writing#2", "restore.replaced"] {
        started_and_paused(&sandbox, restore_latest(&sandbox), point).kill();
        let started = Instant::now();
        let out = restore_latest(&sandbox).run().ok();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{point}: the killed holder's lock is free at once"
        );
        assert!(
            out.stderr.contains(&format!(
                "an earlier restore of `{}` was interrupted",
                wanted.display()
            )),
            "{point}: {}",
            out.stderr
        );
        assert_eq!(
            visits(&sandbox, &dev),
            1,
            "{point}: the asked-for backup's content"
        );
        let left: Vec<String> = crate::support::names_in(dev.parent().unwrap())
            .into_iter()
            .filter(|name| name != "onsen.dev.db")
            .collect();
        assert_eq!(
            left,
            Vec::<String>::new(),
            "{point}: no temporaries, no record"
        );
        sandbox.sqlite(&dev, "DELETE FROM visits;");
    }
}

#[test]
fn a_file_longer_than_its_header_says_is_a_note_not_damage() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let dev = sandbox.db("dev");
    let page_size: usize = sandbox.sqlite(&dev, "PRAGMA page_size").parse().unwrap();
    let mut bytes = std::fs::read(&dev).unwrap();
    bytes.extend(vec![0u8; 2 * page_size]);
    std::fs::write(&dev, &bytes).unwrap();
    assert_eq!(sandbox.sqlite(&dev, "PRAGMA integrity_check"), "ok");
    let out = sandbox
        .xtask()
        .args(["database", "verify", "--env", "dev"])
        .run()
        .ok();
    assert!(
        out.stdout.contains(&format!(
            "{} bytes past them that SQLite ignores",
            2 * page_size
        )),
        "{}",
        out.stdout
    );
    sandbox
        .xtask()
        .args(["database", "doctor", "--env", "dev"])
        .run()
        .ok();
}

#[test]
fn a_command_with_nothing_to_do_still_clears_dead_runs_temporaries() {
    let sandbox = Sandbox::new();
    make_legacy(&sandbox, &legacy_path(&sandbox), "");
    split(&sandbox, &[]).run().ok();
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    let dev = sandbox.db("dev");
    let stale = dev.with_file_name(format!(".onsen.dev.db.tmp-{pid}-000000001"));
    std::fs::hard_link(&dev, &stale).unwrap();
    let out = split(&sandbox, &[]).run().ok();
    assert!(out.stdout.contains("already split"), "{}", out.stdout);
    assert!(!stale.exists(), "the dead run's second name of dev is gone");
    assert!(dev.exists());
}

/// Each backup in the sandbox's backup folder with the reason its manifest gives.
fn backups_by_reason(sandbox: &Sandbox) -> Vec<(PathBuf, String)> {
    backups_in(&sandbox.backup_dir())
        .into_iter()
        .map(|path| {
            let reason = crate::backup::manifest(&path)["reason"]
                .as_str()
                .unwrap()
                .to_string();
            (path, reason)
        })
        .collect()
}

#[test]
fn backups_and_restores_started_together_take_turns_and_every_file_is_whole() {
    for round in 0..3 {
        let sandbox = Sandbox::new();
        sandbox.init("dev");
        let dev = sandbox.db("dev");
        backup(&sandbox, "dev", &[]);
        sandbox.sqlite(&dev, "INSERT INTO visits (onsen_id, visited_at, personal_rating) VALUES (1, '2026-12-01', 9);");
        let runs = [
            backup_dev(&sandbox),
            restore_latest(&sandbox),
            restore_latest(&sandbox),
            backup_dev(&sandbox),
        ];
        let outs: Vec<Output> = runs
            .into_iter()
            .map(|run| Output::of(run.spawn()))
            .collect();
        for out in &outs {
            assert_eq!(out.code, 0, "round {round}: {}", out.stderr);
        }
        let backups = backups_by_reason(&sandbox);
        let reasons = |wanted: &str| backups.iter().filter(|(_, r)| r == wanted).count();
        assert_eq!(
            (backups.len(), reasons("pre-restore")),
            (5, 2),
            "round {round}: one file per backup, names never collide: {backups:?}"
        );
        for (path, _) in &backups {
            assert_eq!(
                sandbox.sqlite(path, "PRAGMA integrity_check"),
                "ok",
                "round {round}: {}",
                path.display()
            );
        }
        assert_eq!(sandbox.sqlite(&dev, "PRAGMA integrity_check"), "ok");
        assert!(
            backups
                .iter()
                .filter(|(_, reason)| reason != "pre-restore")
                .any(|(path, _)| sandbox.differences(path, &dev, Some("visits")).is_empty()),
            "round {round}: dev holds what a backup it restored holds"
        );
    }
}

#[test]
fn a_migrate_during_a_backup_waits_and_the_backup_is_the_database_before_it() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let dev = sandbox.db("dev");
    sandbox
        .xtask()
        .args(["database", "rollback", "--steps", "1", "--env", "dev"])
        .run()
        .ok();
    let before = sandbox.sqlite(&dev, "PRAGMA user_version");
    let backing_up = started_and_paused(&sandbox, backup_dev(&sandbox), "backup.manifest");
    let migrated = sandbox
        .xtask()
        .args(["database", "migrate", "--env", "dev"])
        .run()
        .ok();
    assert!(
        migrated
            .stderr
            .contains("waiting for commands that share it (a backup, app writes)"),
        "{}",
        migrated.stderr
    );
    assert_eq!(backing_up.wait().code, 0);
    assert_ne!(sandbox.sqlite(&dev, "PRAGMA user_version"), before);
    let backups = backups_by_reason(&sandbox);
    for (path, reason) in &backups {
        if reason != "pre-rollback" {
            assert_eq!(
                sandbox.sqlite(path, "PRAGMA user_version"),
                before,
                "{reason}: the database before the migrate"
            );
        }
    }
    assert!(
        backups.iter().any(|(_, reason)| reason == "manual"),
        "{backups:?}"
    );
}

#[test]
fn a_holder_killed_with_sigkill_leaves_no_lock_behind() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    backup(&sandbox, "dev", &[]);
    for point in ["backup.manifest", "copy.writing#1"] {
        let holder = backup_dev(&sandbox);
        started_and_paused(&sandbox, holder, point).kill();
        let out = restore_latest(&sandbox)
            .env("ONSENDO_LOCK_WAIT", "0")
            .run()
            .ok();
        assert!(!out.stderr.contains("waiting"), "{point}: {}", out.stderr);
        let doctor = sandbox
            .xtask()
            .args(["database", "doctor", "--env", "dev"])
            .run()
            .ok();
        assert!(
            doctor
                .stdout
                .contains("no command holds the database alone"),
            "{point}: {}",
            doctor.stdout
        );
    }
}

#[test]
fn a_lock_file_that_is_no_regular_file_is_refused_and_what_it_points_to_is_kept() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let dev = sandbox.db("dev");
    let lock = dev.with_file_name(".onsen.dev.db.lock");
    let elsewhere = sandbox.root().join("elsewhere.txt");
    std::fs::write(&elsewhere, "kept\n").unwrap();
    let before = std::fs::read(&dev).unwrap();
    for what in ["a symlink", "a FIFO"] {
        std::fs::remove_file(&lock).unwrap();
        if what == "a symlink" {
            std::os::unix::fs::symlink(&elsewhere, &lock).unwrap();
        } else {
            let made = sandbox.command("mkfifo").arg(&lock).run();
            assert_eq!(made.code, 0, "{}", made.stderr);
        }
        let out = backup_dev(&sandbox).run().code(1);
        assert!(
            out.stderr.contains("it is not a regular file"),
            "{what}: {}",
            out.stderr
        );
        let out = sandbox
            .onsendo()
            .args(["--env", "dev", "visit", "add", "--onsen", "1"])
            .args(["--date", "2026-12-01", "--rating", "9"])
            .run()
            .code(1);
        assert!(
            out.stderr.contains(".onsen.dev.db.lock"),
            "{what}: {}",
            out.stderr
        );
        let doctor = sandbox
            .xtask()
            .args(["database", "doctor", "--env", "dev"])
            .run()
            .code(4);
        assert!(
            doctor
                .stdout
                .contains("✗ lock          cannot use the lock file `"),
            "{what}: {}",
            doctor.stdout
        );
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "kept\n");
        assert_eq!(std::fs::read(&dev).unwrap(), before, "{what}");
    }
    std::fs::remove_file(&lock).unwrap();
    backup(&sandbox, "dev", &[]);
    let record = dev.with_file_name(".onsen.dev.db.restoring");
    std::os::unix::fs::symlink(&elsewhere, &record).unwrap();
    let out = restore_latest(&sandbox).run().code(1);
    assert!(
        out.stderr.contains("cannot record the restore")
            && out.stderr.contains("not a regular file"),
        "a restore's record that is a symlink: {}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "kept\n");
    assert_eq!(std::fs::read(&dev).unwrap(), before, "nothing restored");
}
