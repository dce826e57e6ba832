//! Real SIGKILLs at any moment of a split, a restore, a backup and an app write: a rerun finishes
//! the work, and nothing is left half-made.

use crate::backup::restore_into;
use crate::faults::{assert_no_temp_files, backup_dev, db_dir, dev_with_visits, verify_dev};
use crate::split::{
    assert_backups_verify, assert_only_the_stamp_differs, assert_whole_and_stamped, fingerprint,
    legacy_path, make_legacy, many_visits, split,
};
use crate::support::{bytes, names_in, Run, Sandbox, SqliteShell};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
        .args(["database", "backups", "--json", "--check"])
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
