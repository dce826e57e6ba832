//! A locked source or live database (the commands wait, then fail without writing), and a full or
//! read-only disk under a backup, a split and a restore.

use crate::backup::restore_into;
use crate::faults::{
    assert_no_temp_files, backup_dev, db_dir, dev_of_3_mb, dev_with_visits, verify_dev,
};
use crate::split::{
    assert_backups_verify, hashes_under, legacy_of_3_mb, legacy_path, make_legacy, many_visits,
    split,
};
use crate::support::{bytes, names_in, BusyWriter, Output, Sandbox, SqliteShell};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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
