//! Faults: a failure or a crash at every step of the split, backup and restore (`ONSENDO_FAILPOINT`).
//! Real SIGKILLs are in `sigkill`; a locked source and a full or read-only disk in `locked_or_full`.

use crate::backup::restore_into;
use crate::split::{
    assert_backups_verify, assert_split_from, assert_whole_and_stamped, existing_targets,
    legacy_of_3_mb, legacy_path, make_legacy, many_visits, split, temp_files_in,
};
use crate::support::{bytes, Run, Sandbox};
use std::path::{Path, PathBuf};

/// Every failpoint the split passes, in order.
const SPLIT_POINTS: [&str; 8] = [
    "copy.writing",
    "copy.verified",
    "split.copied",
    "backup.manifest",
    "backup.place",
    "split.backed-up",
    "split.stamped",
    "split.placed",
];

/// The failpoints of `migrate-to-envs --force`'s replace path, for prod then dev: the backup of
/// the target's previous content (the legacy file's backup and the copies were the first copy and
/// the first placed backup), then the replacement of its content.
const FORCE_REPLACE_POINTS: [&str; 12] = [
    "copy.writing#2",
    "copy.verified#2",
    "backup.manifest#2",
    "backup.place#2",
    "restore.replace#1",
    "restore.replaced#1",
    "copy.writing#3",
    "copy.verified#3",
    "backup.manifest#3",
    "backup.place#3",
    "restore.replace#2",
    "restore.replaced#2",
];

/// Every failpoint a backup passes.
const BACKUP_POINTS: [&str; 4] = [
    "copy.writing",
    "copy.verified",
    "backup.manifest",
    "backup.place",
];

/// Every failpoint a restore passes, in order: the pre-restore backup of the live database (the
/// first copy), the staged copy of the backup beside it (the second copy: `#2`), then the
/// replacement of the live database's content.
const RESTORE_POINTS: [&str; 8] = [
    "copy.writing",
    "copy.verified",
    "backup.manifest",
    "backup.place",
    "copy.writing#2",
    "copy.verified#2",
    "restore.replace",
    "restore.replaced",
];

/// `error`: the step fails; `crash`: the process aborts there, like a power cut.
const MODES: [&str; 2] = ["error", "crash"];

/// Runs `run` with the failpoint `point:mode` and checks that it fired and the run failed.
fn fail_at(run: Run, point: &str, mode: &str) {
    let out = run
        .env("ONSENDO_FAILPOINT", format!("{point}:{mode}"))
        .run();
    let (code, said) = match mode {
        "error" => (1, format!("failpoint `{point}` fired")),
        _ => (-1, format!("failpoint `{point}`: crashing")),
    };
    assert_eq!(
        (out.code, out.stderr.contains(&said)),
        (code, true),
        "{point}:{mode}\n{}",
        out.stderr
    );
}

/// No temporary file is left in any of `dirs`.
pub(crate) fn assert_no_temp_files(dirs: &[PathBuf]) {
    for dir in dirs {
        assert_eq!(
            temp_files_in(dir),
            Vec::<String>::new(),
            "in {}",
            dir.display()
        );
    }
}

/// The folder of the environment databases.
pub(crate) fn db_dir(sandbox: &Sandbox) -> PathBuf {
    sandbox.db("dev").parent().unwrap().to_path_buf()
}

#[test]
fn a_split_that_fails_or_crashes_at_any_step_is_finished_by_a_rerun() {
    for point in SPLIT_POINTS {
        for mode in MODES {
            let sandbox = Sandbox::new();
            let legacy = legacy_of_3_mb(&sandbox);
            let before = bytes(&legacy);
            fail_at(split(&sandbox, &[]), point, mode);
            // Whatever a final name holds is complete: a whole stamped database, a backup with its
            // manifest that verifies.
            for env in ["prod", "dev"] {
                if sandbox.db(env).exists() {
                    assert_whole_and_stamped(&sandbox, &sandbox.db(env), env);
                }
            }
            assert_backups_verify(&sandbox, &sandbox.backup_dir());
            assert_eq!(bytes(&legacy), before, "{point}:{mode}");

            split(&sandbox, &[]).run().ok();
            assert_split_from(&sandbox, &legacy);
            assert_eq!(bytes(&legacy), before, "{point}:{mode}");
            let backups = assert_backups_verify(&sandbox, &sandbox.backup_dir());
            for backup in &backups {
                assert_eq!(
                    sandbox.differences(&legacy, backup, None),
                    "",
                    "{point}:{mode}"
                );
            }
            assert!(!backups.is_empty());
            assert_no_temp_files(&[db_dir(&sandbox), sandbox.backup_dir()]);
        }
    }
}

#[test]
fn a_forced_split_that_fails_or_crashes_while_replacing_leaves_each_target_old_or_new() {
    for point in FORCE_REPLACE_POINTS {
        for mode in MODES {
            let sandbox = Sandbox::new();
            let previous = existing_targets(&sandbox);
            let legacy = legacy_path(&sandbox);
            make_legacy(&sandbox, &legacy, "");
            let before = bytes(&legacy);
            fail_at(split(&sandbox, &["--force"]), point, mode);
            for (env, old) in &previous {
                let db = sandbox.db(env);
                assert_whole_and_stamped(&sandbox, &db, env);
                let new = format!("+INSERT INTO onsendo_meta VALUES('environment','{env}');");
                let (against_old, against_legacy) = (
                    sandbox.differences(old, &db, None),
                    sandbox.differences(&legacy, &db, None),
                );
                assert!(
                    against_old.is_empty() || against_legacy == new,
                    "{point}:{mode}: {env} holds a mix:\nagainst its old content: {against_old}\nagainst the legacy file: {against_legacy}"
                );
            }
            assert_backups_verify(&sandbox, &sandbox.backup_dir());
            assert_eq!(bytes(&legacy), before, "{point}:{mode}");

            split(&sandbox, &["--force"]).run().ok();
            assert_split_from(&sandbox, &legacy);
            assert_eq!(bytes(&legacy), before, "{point}:{mode}");
            assert_backups_verify(&sandbox, &sandbox.backup_dir());
            assert_no_temp_files(&[db_dir(&sandbox), sandbox.backup_dir()]);
        }
    }
}

/// A dev database of about 3 MB, made by the tool and filled with the `sqlite3` CLI.
pub(crate) fn dev_of_3_mb(sandbox: &Sandbox) -> PathBuf {
    let dev = dev_with_visits(sandbox, 10_000);
    assert!(std::fs::metadata(&dev).unwrap().len() > 2 << 20);
    dev
}

/// A dev database made by the tool, then given `visits` visits (~300 bytes each on disk) with the
/// `sqlite3` CLI.
pub(crate) fn dev_with_visits(sandbox: &Sandbox, visits: u32) -> PathBuf {
    sandbox.init("dev");
    let dev = sandbox.db("dev");
    sandbox.sqlite(
        &dev,
        &format!(
            "PRAGMA synchronous = OFF; BEGIN; {} COMMIT;",
            many_visits(visits)
        ),
    );
    dev
}

pub(crate) fn backup_dev(sandbox: &Sandbox) -> Run {
    sandbox.xtask().args(["database", "backup", "--env", "dev"])
}

#[test]
fn a_backup_that_fails_or_crashes_leaves_no_backup_without_its_manifest() {
    for point in BACKUP_POINTS {
        for mode in MODES {
            let sandbox = Sandbox::new();
            let dev = dev_of_3_mb(&sandbox);
            let before = bytes(&dev);
            fail_at(backup_dev(&sandbox), point, mode);
            let left = assert_backups_verify(&sandbox, &sandbox.backup_dir());
            assert_eq!(
                left,
                Vec::<PathBuf>::new(),
                "{point}:{mode}: a backup was placed"
            );
            assert_eq!(bytes(&dev), before);

            let out = backup_dev(&sandbox).run().ok();
            let made = PathBuf::from(out.stdout.trim());
            assert_eq!(
                assert_backups_verify(&sandbox, &sandbox.backup_dir()),
                vec![made.clone()]
            );
            assert_eq!(sandbox.differences(&dev, &made, None), "");
            assert_eq!(bytes(&dev), before);
            assert_no_temp_files(&[db_dir(&sandbox), sandbox.backup_dir()]);
        }
    }
}

/// The permission bits of `path` (`ls -l`'s `rw-------` is 0o600).
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_copy_left_by_a_crash_is_readable_by_its_owner_only_and_the_next_backup_removes_it() {
    // A byte copy, a copy through SQLite's backup API (a WAL source) and a compacted copy.
    for (journal_mode, flags) in [
        ("delete", &[][..]),
        ("wal", &[]),
        ("delete", &["--compact"]),
    ] {
        let sandbox = Sandbox::new();
        let dev = dev_of_3_mb(&sandbox);
        sandbox.sqlite(&dev, &format!("PRAGMA journal_mode = {journal_mode}"));
        fail_at(backup_dev(&sandbox).args(flags), "backup.manifest", "crash");
        let left = temp_files_in(&sandbox.backup_dir());
        assert!(
            !left.is_empty(),
            "{journal_mode} {flags:?}: the crash left its copy"
        );
        for name in &left {
            assert_eq!(
                mode_of(&sandbox.backup_dir().join(name)),
                0o600,
                "{journal_mode} {flags:?}: {name}"
            );
        }
        let made = PathBuf::from(backup_dev(&sandbox).args(flags).run().ok().stdout.trim());
        assert_eq!(mode_of(&made), 0o600);
        assert_no_temp_files(&[sandbox.backup_dir()]);
    }
}

#[test]
fn a_restore_that_fails_or_crashes_leaves_the_old_or_the_new_content_and_a_rerun_finishes() {
    for point in RESTORE_POINTS {
        for mode in MODES {
            let sandbox = Sandbox::new();
            let dev = dev_of_3_mb(&sandbox);
            let backup = PathBuf::from(backup_dev(&sandbox).run().ok().stdout.trim());
            let restored = sandbox.root().join("content of the backup.db");
            std::fs::copy(&dev, &restored).unwrap();
            sandbox.sqlite(
                &dev,
                "DELETE FROM visits WHERE id % 3 = 0; INSERT INTO locations (name) VALUES ('later');",
            );
            let replaced = sandbox.root().join("content before the restore.db");
            std::fs::copy(&dev, &replaced).unwrap();
            let restore = || restore_into(&sandbox, "dev", &backup);

            fail_at(restore(), point, mode);
            assert_whole_and_stamped(&sandbox, &dev, "dev");
            let (old, new) = (
                sandbox.differences(&replaced, &dev, None),
                sandbox.differences(&restored, &dev, None),
            );
            assert!(
                old.is_empty() || new.is_empty(),
                "{point}:{mode}: the live database holds a mix:\nagainst the old content: {old}\nagainst the new: {new}"
            );
            assert_backups_verify(&sandbox, &sandbox.backup_dir());

            restore().run().ok();
            assert_eq!(
                sandbox.differences(&restored, &dev, None),
                "",
                "{point}:{mode}"
            );
            assert_whole_and_stamped(&sandbox, &dev, "dev");
            assert_backups_verify(&sandbox, &sandbox.backup_dir());
            assert_no_temp_files(&[db_dir(&sandbox), sandbox.backup_dir()]);
        }
    }
}

/// [`RESTORE_POINTS`] is the whole list: a restore makes two copies, and places one backup.
#[test]
fn a_restore_reaches_no_failpoint_beyond_those_listed() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let backup = PathBuf::from(backup_dev(&sandbox).run().ok().stdout.trim());
    for beyond in [
        "copy.writing#3",
        "copy.verified#3",
        "backup.manifest#2",
        "backup.place#2",
        "restore.replace#2",
        "restore.replaced#2",
    ] {
        restore_into(&sandbox, "dev", &backup)
            .env("ONSENDO_FAILPOINT", format!("{beyond}:error"))
            .run()
            .ok();
    }
}

/// `database verify --env dev`: the live dev database's health.
pub(crate) fn verify_dev(sandbox: &Sandbox) -> Run {
    sandbox.xtask().args(["database", "verify", "--env", "dev"])
}
