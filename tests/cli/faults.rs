//! Faults: a failure or a crash at every step of the split, backup and restore, real SIGKILLs, a locked source, a full or read-only disk.

use crate::backup::restore_into;
use crate::split::{
    assert_backups_verify, assert_only_the_stamp_differs, assert_split_from,
    assert_whole_and_stamped, existing_targets, fingerprint, hashes_under, legacy_of_3_mb,
    legacy_path, make_legacy, many_visits, split, temp_files_in,
};
use crate::support::{bytes, names_in, BusyWriter, Output, Run, Sandbox, SqliteShell};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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
fn assert_no_temp_files(dirs: &[PathBuf]) {
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
fn db_dir(sandbox: &Sandbox) -> PathBuf {
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
            let legacy = legacy_path(&sandbox);
            make_legacy(&sandbox, &legacy, "");
            let previous = existing_targets(&sandbox);
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
fn dev_of_3_mb(sandbox: &Sandbox) -> PathBuf {
    let dev = dev_with_visits(sandbox, 10_000);
    assert!(std::fs::metadata(&dev).unwrap().len() > 2 << 20);
    dev
}

/// A dev database made by the tool, then given `visits` visits (~300 bytes each on disk) with the
/// `sqlite3` CLI.
fn dev_with_visits(sandbox: &Sandbox, visits: u32) -> PathBuf {
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

fn backup_dev(sandbox: &Sandbox) -> Run {
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

/// SplitMix64: a small deterministic generator, so a failing run can be repeated from its seed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Removes what a split wrote (targets, backups, leftovers), keeping the legacy file.
fn undo_split(sandbox: &Sandbox, legacy: &Path) {
    for name in names_in(&db_dir(sandbox)) {
        let path = db_dir(sandbox).join(name);
        if path != legacy {
            std::fs::remove_file(path).unwrap();
        }
    }
    let _ = std::fs::remove_dir_all(sandbox.backup_dir());
}

/// Rounds of the SIGKILL test, and the visits of its legacy file (~300 bytes each on disk).
const KILL_ROUNDS: u32 = 5;
const KILL_VISITS: u32 = 700_000;

/// The moments at which a SIGKILL test kills a run of `what` that takes `whole_run`: one at a
/// random point inside each of `rounds` equal slices of it. The seed is printed, and
/// `ONSENDO_TEST_KILL_SEED` repeats a run.
fn kill_moments(what: &str, whole_run: Duration, rounds: u32) -> Vec<Duration> {
    let seed = std::env::var("ONSENDO_TEST_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!(
        "SIGKILL test: {what}; a whole run takes {whole_run:?}; seed {seed} (repeat with ONSENDO_TEST_KILL_SEED={seed})"
    );
    let mut random = SplitMix64(seed);
    (0..rounds)
        .map(|round| whole_run.mul_f64((f64::from(round) + random.unit()) / f64::from(rounds)))
        .collect()
}

/// How long a run of `run()` takes when nothing stops it: the shorter of two (each must
/// succeed; the first may pay for a cold cache).
fn time_whole_run(run: impl Fn() -> Run) -> Duration {
    (0..2)
        .map(|_| {
            let started = Instant::now();
            run().run().ok();
            started.elapsed()
        })
        .min()
        .unwrap()
}

/// Starts `run`, kills it with SIGKILL after `delay` (if it is still running), and says how it ended.
fn kill_after(run: Run, delay: Duration) -> std::process::ExitStatus {
    let mut child = run.spawn();
    std::thread::sleep(delay);
    child.kill().unwrap();
    child.wait().unwrap()
}

#[test]
fn sigkill_at_any_moment_of_a_split_is_finished_by_a_rerun() {
    let sandbox = Sandbox::new();
    let legacy = legacy_path(&sandbox);
    make_legacy(&sandbox, &legacy, &many_visits(KILL_VISITS));
    let size = std::fs::metadata(&legacy).unwrap().len();
    let before = fingerprint(&legacy);
    let whole_run = time_whole_run(|| {
        undo_split(&sandbox, &legacy);
        split(&sandbox, &[])
    });
    let what = format!("a split of a legacy file of {} MB", size >> 20);
    for (round, delay) in kill_moments(&what, whole_run, KILL_ROUNDS)
        .into_iter()
        .enumerate()
    {
        undo_split(&sandbox, &legacy);
        let status = kill_after(split(&sandbox, &[]), delay);
        let targets: Vec<&str> = ["prod", "dev"]
            .into_iter()
            .filter(|env| sandbox.db(env).exists())
            .collect();
        eprintln!(
            "round {round}: killed after {delay:?} ({status}); in place: {targets:?}; in the backup folder: {:?}",
            names_in(&sandbox.backup_dir())
        );
        for env in targets {
            assert_eq!(sandbox.stamp(&sandbox.db(env)), env);
            assert_eq!(sandbox.sqlite(&sandbox.db(env), "PRAGMA quick_check"), "ok");
        }
        // A backup under its final name has its manifest and verifies.
        assert_backups_verify(&sandbox, &sandbox.backup_dir());

        split(&sandbox, &[]).run().ok();
        for env in ["prod", "dev"] {
            assert_only_the_stamp_differs(&sandbox, &legacy, &sandbox.db(env), env);
        }
        assert_eq!(
            fingerprint(&legacy),
            before,
            "round {round}: the legacy file changed"
        );
        assert_no_temp_files(&[db_dir(&sandbox), sandbox.backup_dir()]);
    }
    // The last re-run's pre-migration backup: the one backup, with the legacy file's content.
    let backups = assert_backups_verify(&sandbox, &sandbox.backup_dir());
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(sandbox.differences(&legacy, &backups[0], None), "");
}

/// `database verify --env dev`: the live dev database's health.
fn verify_dev(sandbox: &Sandbox) -> Run {
    sandbox.xtask().args(["database", "verify", "--env", "dev"])
}

/// A write killed part-way leaves a hot journal beside the database; the next command rolls it
/// back, as SQLite does, instead of refusing the file, and sees the last committed content.
#[test]
fn a_write_killed_part_way_is_rolled_back_by_the_next_command() {
    let sandbox = Sandbox::new();
    let dev = dev_with_visits(&sandbox, 20_000);
    let committed = bytes(&dev);
    let mut writer = SqliteShell::open(&dev);
    // A small cache: the change spills into the database file before the commit.
    writer.run("PRAGMA cache_size = 10; BEGIN; UPDATE visits SET notes = 'never committed';");
    writer.kill();
    assert!(dev.with_file_name("onsen.dev.db-journal").exists());
    assert_ne!(bytes(&dev), committed, "the write reached the file");

    verify_dev(&sandbox).run().ok();
    assert_eq!(bytes(&dev), committed, "rolled back to the last commit");
    let made = PathBuf::from(backup_dev(&sandbox).run().ok().stdout.trim());
    assert_eq!(
        sandbox.sqlite(
            &made,
            "SELECT count(*) FROM visits WHERE notes = 'never committed'"
        ),
        "0"
    );
    assert_eq!(names_in(&db_dir(&sandbox)), ["onsen.dev.db"]);
}

/// Rounds of the SIGKILL tests of restore and backup, and the visits of their database (~30 MB).
const KILL_COPY_ROUNDS: u32 = 4;
const KILL_COPY_VISITS: u32 = 100_000;

/// Removes every file of the backup folder but `keep` and its manifest.
fn remove_backups_but(sandbox: &Sandbox, keep: &Path) {
    for name in names_in(&sandbox.backup_dir()) {
        let path = sandbox.backup_dir().join(name);
        if path != keep && path != keep.with_extension("json") {
            std::fs::remove_file(path).unwrap();
        }
    }
}

#[test]
fn sigkill_at_any_moment_of_a_restore_leaves_the_old_or_the_new_content_and_a_rerun_finishes() {
    let sandbox = Sandbox::new();
    let dev = dev_with_visits(&sandbox, KILL_COPY_VISITS);
    let backup = PathBuf::from(backup_dev(&sandbox).run().ok().stdout.trim());
    let new = sandbox.root().join("new content.db");
    std::fs::copy(&backup, &new).unwrap();
    // The live database holds other content, and is smaller: the restore rewrites and grows it.
    sandbox.sqlite(
        &dev,
        "DELETE FROM visits WHERE id % 2 = 0; INSERT INTO locations (name) VALUES ('only in the live database'); VACUUM;",
    );
    let old = sandbox.root().join("old content.db");
    std::fs::copy(&dev, &old).unwrap();
    let whole_run = time_whole_run(|| restore_into(&sandbox, "dev", &backup));
    let what = format!(
        "a restore of a backup of {} MB",
        std::fs::metadata(&backup).unwrap().len() >> 20
    );
    for (round, delay) in kill_moments(&what, whole_run, KILL_COPY_ROUNDS)
        .into_iter()
        .enumerate()
    {
        // Back to the start: the old content live (no process has it open), the one backup.
        std::fs::copy(&old, &dev).unwrap();
        remove_backups_but(&sandbox, &backup);
        let status = kill_after(restore_into(&sandbox, "dev", &backup), delay);
        eprintln!(
            "round {round}: killed after {delay:?} ({status}); beside it: {:?}",
            names_in(&db_dir(&sandbox))
        );

        // The tool itself opens what the kill left (rolling back an interrupted write) and finds
        // it whole; then the `sqlite3` CLI checks it.
        verify_dev(&sandbox).run().ok();
        assert_whole_and_stamped(&sandbox, &dev, "dev");
        let (against_old, against_new) = (
            sandbox.differences(&old, &dev, None),
            sandbox.differences(&new, &dev, None),
        );
        assert!(
            against_old.is_empty() || against_new.is_empty(),
            "round {round}: the live database holds a mix ({} lines of difference from the old content, {} from the new)",
            against_old.lines().count(),
            against_new.lines().count()
        );
        assert!(assert_backups_verify(&sandbox, &sandbox.backup_dir()).contains(&backup));

        restore_into(&sandbox, "dev", &backup).run().ok();
        assert_eq!(sandbox.differences(&new, &dev, None), "", "round {round}");
        assert_whole_and_stamped(&sandbox, &dev, "dev");
        assert_backups_verify(&sandbox, &sandbox.backup_dir());
        assert_no_temp_files(&[db_dir(&sandbox), sandbox.backup_dir()]);
    }
}

/// `database backups --json` lists exactly `backups`, each matching its manifest.
fn assert_listed_and_matching(sandbox: &Sandbox, backups: &[PathBuf]) {
    let listed = sandbox
        .xtask()
        .args(["database", "backups", "--json"])
        .run()
        .ok()
        .json();
    let mut found: Vec<(PathBuf, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                PathBuf::from(item["path"].as_str().unwrap()),
                item["matches_manifest"].as_bool().unwrap(),
            )
        })
        .collect();
    found.sort();
    let expected: Vec<(PathBuf, bool)> = backups.iter().map(|b| (b.clone(), true)).collect();
    assert_eq!(found, expected, "{listed}");
}

#[test]
fn sigkill_at_any_moment_of_a_backup_leaves_only_whole_backups_and_a_rerun_succeeds() {
    let sandbox = Sandbox::new();
    let dev = dev_with_visits(&sandbox, KILL_COPY_VISITS);
    let before = fingerprint(&dev);
    let whole_run = time_whole_run(|| backup_dev(&sandbox));
    let what = format!(
        "a backup of a database of {} MB",
        std::fs::metadata(&dev).unwrap().len() >> 20
    );
    for (round, delay) in kill_moments(&what, whole_run, KILL_COPY_ROUNDS)
        .into_iter()
        .enumerate()
    {
        std::fs::remove_dir_all(sandbox.backup_dir()).unwrap();
        let status = kill_after(backup_dev(&sandbox), delay);
        eprintln!(
            "round {round}: killed after {delay:?} ({status}); left: {:?}",
            names_in(&sandbox.backup_dir())
        );
        // No final name without its manifest; whatever has one verifies.
        let left = assert_backups_verify(&sandbox, &sandbox.backup_dir());
        assert_listed_and_matching(&sandbox, &left);
        assert_eq!(
            fingerprint(&dev),
            before,
            "round {round}: the source changed"
        );

        let made = PathBuf::from(backup_dev(&sandbox).run().ok().stdout.trim());
        assert_eq!(sandbox.differences(&dev, &made, None), "", "round {round}");
        let all = assert_backups_verify(&sandbox, &sandbox.backup_dir());
        assert!(all.contains(&made), "{all:?}");
        assert_listed_and_matching(&sandbox, &all);
        assert_no_temp_files(&[db_dir(&sandbox), sandbox.backup_dir()]);
    }
}

/// The busy timeout: how long a command waits for another process's lock (`db::BUSY_TIMEOUT`).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A command that found `db` locked by another process waited the busy timeout (`elapsed`, with a
/// margin below; above, only a generous bound), failed with exit 1, and said so, with how to find
/// the holder.
fn assert_waited_for_the_lock(what: &str, out: &Output, elapsed: Duration, db: &Path) {
    assert_eq!(out.code, 1, "{what}: {}", out.stderr);
    let said = format!(
        "database `{}` is locked by another process (waited {}s)",
        db.display(),
        BUSY_TIMEOUT.as_secs()
    );
    assert!(
        out.stderr.contains(&said)
            && out
                .stderr
                .contains("`fuser -v` or `lsof` on the file shows which"),
        "{what}: {}",
        out.stderr
    );
    assert!(
        elapsed >= BUSY_TIMEOUT - Duration::from_millis(300) && elapsed < Duration::from_secs(60),
        "{what}: took {elapsed:?}"
    );
}

#[test]
fn a_locked_source_makes_the_backup_wait_then_fail_without_writing() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let dev = sandbox.db("dev");
    let before = bytes(&dev);
    let mut holder = SqliteShell::open(&dev);
    holder.run("BEGIN EXCLUSIVE;");
    let started = Instant::now();
    let out = backup_dev(&sandbox).run();
    let elapsed = started.elapsed();
    drop(holder);
    assert_waited_for_the_lock("backup", &out, elapsed, &dev);
    assert_eq!(names_in(&sandbox.backup_dir()), Vec::<String>::new());
    assert_eq!(bytes(&dev), before);
    assert_no_temp_files(&[db_dir(&sandbox)]);
}

/// verify and restore on a live database, and migrate-to-envs on a legacy file, that another
/// process holds in an open write transaction; run side by side, as each waits the busy timeout.
#[test]
fn a_locked_live_database_makes_verify_restore_and_split_wait_then_fail_without_writing() {
    let sandbox = Sandbox::new();
    let dev = dev_with_visits(&sandbox, 1_000);
    let backup = PathBuf::from(backup_dev(&sandbox).run().ok().stdout.trim());
    let legacy_root = Sandbox::new();
    let legacy = legacy_path(&legacy_root);
    make_legacy(&legacy_root, &legacy, "");
    let mut holders = [SqliteShell::open(&dev), SqliteShell::open(&legacy)];
    for holder in &mut holders {
        holder.run("BEGIN EXCLUSIVE; INSERT INTO locations (name) VALUES ('not committed');");
    }
    let roots = [sandbox.root(), legacy_root.root()];
    let before: Vec<_> = roots.iter().map(|root| hashes_under(root)).collect();

    let started = Instant::now();
    let running = [
        ("verify", &dev, verify_dev(&sandbox).spawn()),
        (
            "restore",
            &dev,
            restore_into(&sandbox, "dev", &backup).spawn(),
        ),
        ("migrate-to-envs", &legacy, split(&legacy_root, &[]).spawn()),
    ];
    for (what, db, child) in running {
        let out = Output::of(child);
        assert_waited_for_the_lock(what, &out, started.elapsed(), db);
    }
    let after: Vec<_> = roots.iter().map(|root| hashes_under(root)).collect();
    assert_eq!(after, before, "every file unchanged");
    drop(holders);
    assert_no_temp_files(&[db_dir(&sandbox), sandbox.backup_dir(), db_dir(&legacy_root)]);
    assert_eq!(names_in(&legacy_root.backup_dir()), Vec::<String>::new());
}

/// A reader holding a read transaction lets the pre-restore backup be made but not the write into
/// the live file: restore waits, then names the live database (not its private staged copy).
#[test]
fn a_reader_holding_the_live_database_makes_restore_wait_then_name_it() {
    let sandbox = Sandbox::new();
    let dev = dev_with_visits(&sandbox, 1_000);
    let backup = PathBuf::from(backup_dev(&sandbox).run().ok().stdout.trim());
    sandbox.sqlite(&dev, "DELETE FROM visits WHERE id % 2 = 0");
    let before = bytes(&dev);
    let mut reader = SqliteShell::open(&dev);
    reader.run("BEGIN; SELECT count(*) FROM visits;");
    let started = Instant::now();
    let out = restore_into(&sandbox, "dev", &backup).run();
    assert_waited_for_the_lock("restore", &out, started.elapsed(), &dev);
    assert!(!out.stderr.contains(".tmp-"), "{}", out.stderr);
    drop(reader);
    assert_eq!(bytes(&dev), before);
    assert_no_temp_files(&[db_dir(&sandbox), sandbox.backup_dir()]);
    assert_eq!(
        assert_backups_verify(&sandbox, &sandbox.backup_dir()).len(),
        2
    );
}

/// The copy reads the source's bytes under SQLite's shared lock while a second thread hashes its
/// records through another descriptor. Closing any descriptor of a file drops every POSIX lock the
/// process holds on it, so a hash that finishes first must not let a writer commit into the rest
/// of the copy. The layout makes that window wide: 100 MB of free pages between the rows the
/// writer keeps changing (at the end of the file) and the start.
#[test]
fn a_writer_cannot_commit_into_the_middle_of_a_backup() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let dev = sandbox.db("dev");
    sandbox.sqlite(
        &dev,
        &format!(
            "PRAGMA synchronous = OFF; BEGIN; {} \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
             INSERT INTO locations (name, latitude, description) \
             SELECT 'place ' || i, 0, printf('%.100c', 'd') FROM n; \
             DELETE FROM visits; COMMIT;",
            many_visits(330_000)
        ),
    );
    let moved = "SELECT count(*) > 0 FROM locations WHERE latitude <> 0";
    let writer = BusyWriter::start(
        &dev,
        "PRAGMA synchronous = OFF;",
        "UPDATE locations SET latitude = (abs(random()) % 180) - 90;",
    );
    let started = Instant::now();
    while read_while_busy(&sandbox, &dev, moved) != "1" {
        assert!(
            started.elapsed().as_secs() < 30,
            "the writer never committed"
        );
    }
    let mut made = Vec::new();
    for _ in 0..3 {
        let out = backup_dev(&sandbox).run().ok();
        made.push(PathBuf::from(out.stdout.trim()));
    }
    drop(writer);
    for backup in &made {
        assert_eq!(sandbox.sqlite(backup, moved), "1", "the writer's commits");
    }
    assert_eq!(assert_backups_verify(&sandbox, &sandbox.backup_dir()), made);
}

/// `sql` on `db` with the `sqlite3` CLI, waiting up to 10 s for a busy writer's lock.
fn read_while_busy(sandbox: &Sandbox, db: &Path, sql: &str) -> String {
    let out = sandbox
        .command("sqlite3")
        .args(["-cmd", ".timeout 10000"])
        .arg(db)
        .arg(sql)
        .run()
        .ok();
    out.stdout.trim().to_string()
}

/// A tmpfs mounted on a folder, unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs with `options` (e.g. `size=1m`, `ro`) on `dir`, creating it. Fails the test
    /// when mounting is not permitted: these tests need root (CI runs as root).
    fn mount(dir: PathBuf, options: &str) -> Tmpfs {
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(&dir)
            .output()
            .expect("`mount` runs");
        assert!(
            out.status.success(),
            "cannot mount a tmpfs on `{}` ({}): this test needs root and permission to mount (CI runs as root); it is not skipped",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Tmpfs { dir }
    }
}

impl Tmpfs {
    /// A tmpfs of `size` bytes on `dir` holding a copy of `file` (a closed database) named
    /// `name`; read-only after the copy when `read_only`.
    fn holding(dir: PathBuf, size: u64, file: &Path, name: &str, read_only: bool) -> Tmpfs {
        let tmpfs = Tmpfs::mount(dir, &format!("size={size}"));
        std::fs::copy(file, tmpfs.dir.join(name)).unwrap();
        if read_only {
            let out = Command::new("mount")
                .args(["-o", "remount,ro"])
                .arg(&tmpfs.dir)
                .output()
                .expect("`mount` runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        tmpfs
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(&self.dir).status();
        if !unmounted.is_ok_and(|status| status.success()) {
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

#[test]
fn a_backup_onto_a_full_disk_fails_clearly_and_leaves_nothing() {
    let sandbox = Sandbox::new();
    let dev = dev_of_3_mb(&sandbox);
    let existing = existing_backup(&sandbox);
    let size = std::fs::metadata(&dev).unwrap().len();
    // Too small for the copy; then exactly its size: the copy fits, its manifest does not.
    for limit in [size / 2, size] {
        let usb = Tmpfs::mount(sandbox.root().join("usb stick ✓"), &format!("size={limit}"));
        let before = hashes_under(sandbox.root());
        let out = backup_dev(&sandbox)
            .arg("--output")
            .arg(&usb.dir)
            .run()
            .code(1);
        assert!(
            out.stderr.contains("the disk is full"),
            "{limit}: {}",
            out.stderr
        );
        assert_eq!(
            names_in(&usb.dir),
            Vec::<String>::new(),
            "{limit}: left behind"
        );
        assert_eq!(hashes_under(sandbox.root()), before, "{limit}");
        assert_eq!(
            assert_backups_verify(&sandbox, &sandbox.backup_dir()),
            std::slice::from_ref(&existing)
        );
    }
}

/// A backup of dev in the default backup folder, made by the tool, for a failure to leave alone.
fn existing_backup(sandbox: &Sandbox) -> PathBuf {
    PathBuf::from(backup_dev(sandbox).run().ok().stdout.trim())
}

#[test]
fn a_backup_into_a_read_only_folder_fails_clearly() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let existing = existing_backup(&sandbox);
    let read_only = Tmpfs::mount(sandbox.root().join("read only ✓"), "ro,size=1m");
    let before = hashes_under(sandbox.root());
    let out = backup_dev(&sandbox)
        .arg("--output")
        .arg(&read_only.dir)
        .run()
        .code(1);
    assert!(
        out.stderr
            .contains(&format!("`{}` is not writable", read_only.dir.display())),
        "{}",
        out.stderr
    );
    assert_eq!(names_in(&read_only.dir), Vec::<String>::new());
    assert_eq!(hashes_under(sandbox.root()), before);
    assert_eq!(
        assert_backups_verify(&sandbox, &sandbox.backup_dir()),
        [existing]
    );
}

/// What a folder can take: nothing (read-only), or less than the command needs (full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    ReadOnly,
    Full,
}

impl Limit {
    /// What the error says about `folder`.
    fn said(self, folder: &Path) -> String {
        match self {
            Limit::ReadOnly => format!("`{}` is not writable", folder.display()),
            Limit::Full => "the disk is full; free space and retry".to_string(),
        }
    }
}

#[test]
fn a_split_into_a_read_only_or_full_folder_fails_clearly_and_changes_nothing() {
    let source = Sandbox::new();
    let sample = legacy_of_3_mb(&source);
    let size = std::fs::metadata(&sample).unwrap().len();
    for (folder, limit) in [
        ("data/db", Limit::ReadOnly),
        ("data/db", Limit::Full),
        ("backups", Limit::ReadOnly),
        ("backups", Limit::Full),
    ] {
        let sandbox = Sandbox::new();
        let legacy = legacy_path(&sandbox);
        let _mounted = if folder == "data/db" {
            // The legacy file in a folder that cannot take its copies: read-only, or with room
            // left for less than one.
            let room = match limit {
                Limit::ReadOnly => 2 * size,
                Limit::Full => size + size / 2,
            };
            Tmpfs::holding(
                db_dir(&sandbox),
                room,
                &sample,
                "onsen.db",
                limit == Limit::ReadOnly,
            )
        } else {
            make_legacy(&sandbox, &legacy, &many_visits(10_000));
            let options = match limit {
                Limit::ReadOnly => "ro,size=1m".to_string(),
                Limit::Full => format!("size={}", size / 2),
            };
            Tmpfs::mount(sandbox.backup_dir(), &options)
        };
        let dir = match folder {
            "data/db" => db_dir(&sandbox),
            _ => sandbox.backup_dir(),
        };
        let before = hashes_under(sandbox.root());
        let out = split(&sandbox, &[]).run().code(1);
        assert!(
            out.stderr.contains(&limit.said(&dir)),
            "{folder} {limit:?}: {}",
            out.stderr
        );
        assert_eq!(hashes_under(sandbox.root()), before, "{folder} {limit:?}");
        assert_no_temp_files(&[db_dir(&sandbox), sandbox.backup_dir()]);
    }
}

#[test]
fn a_restore_into_a_read_only_or_full_folder_fails_clearly_and_changes_nothing() {
    for limit in [Limit::ReadOnly, Limit::Full] {
        let sandbox = Sandbox::new();
        let dev = dev_of_3_mb(&sandbox);
        let backup = PathBuf::from(backup_dev(&sandbox).run().ok().stdout.trim());
        sandbox.sqlite(&dev, "DELETE FROM visits WHERE id % 3 = 0;");
        // The live database in a folder that cannot take the staged copy: read-only, or with
        // room left for half of one.
        let live = sandbox.root().join("live content.db");
        std::fs::rename(&dev, &live).unwrap();
        let size = std::fs::metadata(&live).unwrap().len();
        let room = match limit {
            Limit::ReadOnly => 2 * size,
            Limit::Full => size + size / 2,
        };
        let _mounted = Tmpfs::holding(
            db_dir(&sandbox),
            room,
            &live,
            "onsen.dev.db",
            limit == Limit::ReadOnly,
        );
        let before = hashes_under(sandbox.root());

        let out = restore_into(&sandbox, "dev", &backup).run().code(1);
        assert!(
            out.stderr.contains(&limit.said(&db_dir(&sandbox))),
            "{limit:?}: {}",
            out.stderr
        );
        // Every file as it was; the one addition may be the verified pre-restore backup.
        let after = hashes_under(sandbox.root());
        let added: Vec<_> = after.iter().filter(|file| !before.contains(file)).collect();
        assert!(
            before.iter().all(|file| after.contains(file)),
            "{limit:?}: a file changed"
        );
        assert!(
            added
                .iter()
                .all(|(path, _)| sandbox.root().join(path).parent() == Some(&sandbox.backup_dir())),
            "{limit:?}: {added:?}"
        );
        assert_backups_verify(&sandbox, &sandbox.backup_dir());
        assert_no_temp_files(&[db_dir(&sandbox), sandbox.backup_dir()]);
    }
}
