//! `cargo xtask database migrate-to-envs`: the split of the legacy database into prod and dev, checked with the `sqlite3` CLI.

use crate::backup::{writer_rows, WRITE_A_PAIR};
use crate::support::{
    bytes, is_lock_file, names_in, BusyWriter, Output, Run, Sandbox, SqliteShell,
};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The first migration: the schema the legacy databases were made with.
const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/01-initial/up.sql");

/// The tables whose rows the split carries over.
pub(crate) const TABLES: [&str; 3] = ["onsens", "visits", "locations"];

/// A few rows in every table, some text non-ASCII or quoted.
const ROWS: &str = "
INSERT INTO locations (id, name, latitude, longitude, description)
    VALUES (1, 'home', 33.28, 131.49, 'the flat in Beppu');
INSERT INTO onsens (id, ban_number, name, region, description) VALUES
    (1, 1, 'Takegawara Onsen', 'Beppu', 'sand bath'),
    (2, 4, 'Hyotan Onsen', 'Kannawa', 'ひょうたん温泉');
INSERT INTO visits (onsen_id, visited_at, entry_fee_yen, stay_minutes, personal_rating, notes) VALUES
    (1, '2019-04-01', 100, 40, 8, 'first visit'),
    (2, '2019-04-02', 800, 90, 9, NULL),
    (1, '2020-01-05', 100, 30, 6, 'crowded; ''quoted''');
";

/// The legacy database's canonical path in `sandbox`.
pub(crate) fn legacy_path(sandbox: &Sandbox) -> PathBuf {
    sandbox.root().join("data").join("db").join("onsen.db")
}

/// Creates `path` with the `sqlite3` CLI: the initial schema, a few rows, then `extra` SQL.
pub(crate) fn make_legacy(sandbox: &Sandbox, path: &Path, extra: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let schema = std::fs::read_to_string(SCHEMA).unwrap();
    let script = format!("PRAGMA synchronous = OFF;\n{schema}\nBEGIN;\n{ROWS}\n{extra}\nCOMMIT;\n");
    sandbox
        .command("sqlite3")
        .arg("-bail")
        .arg(path)
        .stdin(&script)
        .run()
        .ok();
}

/// SQL adding `visits` visits with ~200-byte notes (`visits` × ~300 bytes on disk).
pub(crate) fn many_visits(visits: u32) -> String {
    format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {visits})
         INSERT INTO visits (onsen_id, visited_at, entry_fee_yen, personal_rating, notes)
         SELECT 1 + i % 2, printf('2021-%02d-%02d', 1 + i % 12, 1 + i % 28), i % 1000, 1 + i % 10,
                printf('visit %d: %.190c', i, 'x')
         FROM n;"
    )
}

/// A legacy database of about 3 MB at the canonical path: more than the copy engine's 1 MiB
/// chunk, so a failure after the first chunk leaves a partial copy.
pub(crate) fn legacy_of_3_mb(sandbox: &Sandbox) -> PathBuf {
    let legacy = legacy_path(sandbox);
    make_legacy(sandbox, &legacy, &many_visits(10_000));
    assert!(std::fs::metadata(&legacy).unwrap().len() > 2 << 20);
    legacy
}

/// `database migrate-to-envs --yes` plus `flags`.
pub(crate) fn split(sandbox: &Sandbox, flags: &[&str]) -> Run {
    sandbox
        .xtask()
        .args(["database", "migrate-to-envs", "--yes"])
        .args(flags)
}

/// A fast hash of a file's bytes (XXH3-128, streamed).
pub(crate) fn fingerprint(path: &Path) -> u128 {
    let mut file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).unwrap();
        if read == 0 {
            return hasher.digest128();
        }
        hasher.update(&buffer[..read]);
    }
}

/// `db` passes `PRAGMA integrity_check` and carries the stamp `env`.
pub(crate) fn assert_whole_and_stamped(sandbox: &Sandbox, db: &Path, env: &str) {
    assert_eq!(
        sandbox.sqlite(db, "PRAGMA integrity_check"),
        "ok",
        "{}",
        db.display()
    );
    assert_eq!(sandbox.stamp(db), env, "{}", db.display());
}

/// `db` holds exactly what `legacy` holds, plus the stamp row `env`: the one difference `.dump`
/// may find.
pub(crate) fn assert_only_the_stamp_differs(
    sandbox: &Sandbox,
    legacy: &Path,
    db: &Path,
    env: &str,
) {
    assert_eq!(
        sandbox.differences(legacy, db, None),
        format!("+INSERT INTO onsendo_meta VALUES('environment','{env}');"),
        "{} against {}",
        db.display(),
        legacy.display()
    );
}

/// prod and dev exist, are whole and stamped, and hold the legacy file's rows, table by table.
pub(crate) fn assert_split_from(sandbox: &Sandbox, legacy: &Path) {
    for env in ["prod", "dev"] {
        let db = sandbox.db(env);
        assert_whole_and_stamped(sandbox, &db, env);
        for table in TABLES {
            assert_eq!(
                sandbox.differences(legacy, &db, Some(table)),
                "",
                "table {table} of {env}"
            );
        }
        assert_only_the_stamp_differs(sandbox, legacy, &db, env);
    }
}

/// The backups in `dir` (final names: `*.db` not starting with a dot), sorted.
pub(crate) fn backups_in(dir: &Path) -> Vec<PathBuf> {
    names_in(dir)
        .into_iter()
        .filter(|name| !name.starts_with('.') && name.ends_with(".db"))
        .map(|name| dir.join(name))
        .collect()
}

/// The temporary files (`.<name>.tmp-<pid>-<nanos>`, and SQLite's side files of them) in `dir`.
pub(crate) fn temp_files_in(dir: &Path) -> Vec<String> {
    names_in(dir)
        .into_iter()
        .filter(|name| name.starts_with('.') && name.contains(".tmp-"))
        .collect()
}

/// Every backup in `dir` has its manifest and passes `database verify`; returns them.
pub(crate) fn assert_backups_verify(sandbox: &Sandbox, dir: &Path) -> Vec<PathBuf> {
    let backups = backups_in(dir);
    for backup in &backups {
        assert!(
            backup.with_extension("json").exists(),
            "{} has no manifest",
            backup.display()
        );
        let out = sandbox
            .xtask()
            .args(["database", "verify"])
            .arg(backup)
            .run();
        assert_eq!(
            out.code,
            0,
            "{} does not verify:\n{}{}",
            backup.display(),
            out.stdout,
            out.stderr
        );
    }
    backups
}

/// The manifest beside `backup`.
pub(crate) fn manifest_of(backup: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(backup.with_extension("json")).unwrap()).unwrap()
}

/// Every file under `dir` with the hash of its bytes, by path relative to `dir`, sorted; the
/// audit log left out (refusals and failures are logged).
pub(crate) fn hashes_under(dir: &Path) -> Vec<(PathBuf, u128)> {
    files_under(dir)
        .into_iter()
        .map(|file| {
            let hash = fingerprint(&dir.join(&file));
            (file, hash)
        })
        .collect()
}

/// Every file under `dir`, relative to it, sorted; the audit log (refusals are logged) and lock
/// files ([`is_lock_file`]) left out.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if !path.ends_with("artifacts/logs/prod_audit.log")
                && !is_lock_file(&path.file_name().unwrap().to_string_lossy())
            {
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}
#[test]
fn split_makes_stamped_copies_backs_up_and_leaves_the_legacy_unchanged() {
    let sandbox = Sandbox::new();
    let legacy = legacy_path(&sandbox);
    make_legacy(&sandbox, &legacy, "");
    let before = bytes(&legacy);
    let out = split(&sandbox, &["--json"]).run().ok();
    assert!(out.stderr.contains("plan:"), "{}", out.stderr);
    let report = out.json();
    assert_split_from(&sandbox, &legacy);
    assert_eq!(bytes(&legacy), before, "the legacy file is only read");

    let written: Vec<(&str, &str)> = report["written"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["environment"].as_str().unwrap(),
                w["path"].as_str().unwrap(),
            )
        })
        .collect();
    let (prod, dev) = (sandbox.db("prod"), sandbox.db("dev"));
    assert_eq!(
        written,
        [
            ("prod", prod.to_str().unwrap()),
            ("dev", dev.to_str().unwrap())
        ]
    );
    assert!(report["written"][0]["previous_content_backup"].is_null());
    assert_eq!(report["legacy"], legacy.to_str().unwrap());
    assert_eq!(report["foreign_key_violations"], 0);

    let backups = assert_backups_verify(&sandbox, &sandbox.backup_dir());
    assert_eq!(backups.len(), 1, "{backups:?}");
    let backup = &backups[0];
    assert_eq!(report["legacy_backup"], backup.to_str().unwrap());
    let name = backup.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("onsen_pre_migration_"), "{name}");
    let manifest = manifest_of(backup);
    assert_eq!(manifest["reason"], "pre-split");
    assert_eq!(manifest["source"], legacy.to_str().unwrap());
    assert_eq!(manifest["file_digest"], report["legacy_digest"]);
    assert_eq!(sandbox.differences(&legacy, backup, None), "");

    let audit = sandbox.last_audit();
    assert_eq!(audit["outcome"], "ok");
    assert_eq!(audit["confirmation"], "--yes");
    assert_eq!(audit["database"], prod.to_str().unwrap());
    assert_eq!(audit["backup"], backup.to_str().unwrap());

    let targets = (bytes(&prod), bytes(&dev));
    let out = split(&sandbox, &[]).run().ok();
    assert!(out.stdout.contains("already split"), "{}", out.stdout);
    assert_eq!((bytes(&prod), bytes(&dev)), targets);
    assert_eq!(bytes(&legacy), before);
    assert_eq!(backups_in(&sandbox.backup_dir()).len(), 1);
    let again = split(&sandbox, &["--json"]).run().ok().json();
    assert_eq!(again["already_split"], true, "{again}");
}

#[test]
fn without_a_terminal_or_yes_nothing_is_written_and_a_typed_prod_confirms() {
    let sandbox = Sandbox::new();
    let legacy = legacy_path(&sandbox);
    make_legacy(&sandbox, &legacy, "");
    let files = files_under(sandbox.root());

    let out = sandbox
        .xtask()
        .args(["database", "migrate-to-envs"])
        .run()
        .code(3);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert_eq!(files_under(sandbox.root()), files, "nothing written");
    assert_eq!(sandbox.last_audit()["confirmation"], "refused");

    for flags in [
        &["--dry-run"][..],
        &["--dry-run", "--yes"],
        &["--dry-run", "--json"],
    ] {
        let out = sandbox
            .xtask()
            .args(["database", "migrate-to-envs"])
            .args(flags)
            .run()
            .ok();
        if flags.contains(&"--json") {
            assert_eq!(out.json()["dry_run"], true, "{}", out.stdout);
        } else {
            assert!(out.stdout.contains("dry run"), "{}", out.stdout);
        }
        assert!(
            out.stderr.contains("copy it to"),
            "the plan: {}",
            out.stderr
        );
        assert_eq!(
            files_under(sandbox.root()),
            files,
            "{flags:?} writes nothing"
        );
    }

    let xtask = sandbox.onsendo_path().with_file_name("xtask");
    let command = format!("'{}' database migrate-to-envs", xtask.display());
    let on_a_terminal = |answer: &str| sandbox.on_a_terminal(&command).stdin(answer);
    let out = on_a_terminal("nope\n").run().code(3);
    assert!(
        out.stdout.contains("Type `prod` to continue"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("did not match"), "{}", out.stdout);
    assert_eq!(files_under(sandbox.root()), files, "nothing written");

    on_a_terminal("prod\n").run().ok();
    assert_split_from(&sandbox, &legacy);
    assert_eq!(sandbox.last_audit()["confirmation"], "typed");
    assert_eq!(sandbox.last_audit()["outcome"], "ok");
}

/// An existing dev database and a backup of it, for a refusal to leave alone (prod is missing,
/// so the split has work to do).
pub(crate) fn existing_dev_and_backup(sandbox: &Sandbox) -> PathBuf {
    sandbox.init("dev");
    let out = sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev"])
        .run()
        .ok();
    PathBuf::from(out.stdout.trim())
}

/// A legacy file the split must refuse (`legacy`, its content, written once dev and its backup
/// exist: `init` makes no dev beside a legacy file; none when `None`): nothing written, every file
/// (the legacy file, the existing dev database and backup) unchanged by hash.
fn assert_refused(sandbox: &Sandbox, legacy: Option<&[u8]>, code: i32, message: &str) -> Output {
    let backup = existing_dev_and_backup(sandbox);
    if let Some(content) = legacy {
        std::fs::write(legacy_path(sandbox), content).unwrap();
    }
    let before = hashes_under(sandbox.root());
    let out = split(sandbox, &[]).run().code(code);
    assert!(
        out.stderr.contains(message),
        "expected {message:?}: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(!sandbox.db("prod").exists(), "prod was created");
    assert_eq!(
        hashes_under(sandbox.root()),
        before,
        "every file unchanged, nothing added"
    );
    assert_eq!(
        assert_backups_verify(sandbox, &sandbox.backup_dir()),
        [backup]
    );
    out
}

#[test]
fn a_missing_or_damaged_legacy_file_is_refused_and_nothing_is_written() {
    let sandbox = Sandbox::new();
    let legacy = legacy_path(&sandbox);
    let out = assert_refused(&sandbox, None, 1, "there is no legacy database");
    assert!(
        out.stderr.contains(&format!(
            "`{}` (prod) is missing",
            sandbox.db("prod").display()
        )) && !out.stderr.contains("(dev)"),
        "names only the missing target: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("`{}`", legacy.display())),
        "names the file: {}",
        out.stderr
    );

    let mut healthy = Vec::new();
    let sample = sandbox.root().join("healthy.db");
    make_legacy(&sandbox, &sample, &many_visits(2_000));
    healthy.extend(bytes(&sample));
    assert!(healthy.len() > 64 * 4096, "{} bytes", healthy.len());
    let mut damaged = healthy.clone();
    let middle = healthy.len() / 2;
    damaged[middle..middle + 3 * 4096].fill(0xA5);

    let cases: [(&str, &[u8], i32, &str); 4] = [
        ("0 bytes", b"", 1, "is empty (0 bytes)"),
        (
            "a text file",
            b"onsen,date\nTakegawara,2019-04-01\n",
            1,
            "is not a SQLite database",
        ),
        ("truncated", &healthy[..healthy.len() / 3], 4, "truncated"),
        ("a damaged page", &damaged, 4, "integrity_check"),
    ];
    for (case, content, code, message) in cases {
        let sandbox = Sandbox::new();
        let legacy = legacy_path(&sandbox);
        let out = assert_refused(&sandbox, Some(content), code, message);
        assert!(
            out.stderr.contains(&legacy.display().to_string()),
            "{case}: names the file: {}",
            out.stderr
        );
    }
}

/// prod and dev made by the tool, each with a row only it holds; returns each environment with a
/// copy of its content (outside the data folder), to compare with later. Made before any legacy
/// file: `init` makes neither beside one.
pub(crate) fn existing_targets(sandbox: &Sandbox) -> Vec<(&'static str, PathBuf)> {
    let mut previous = Vec::new();
    for env in ["prod", "dev"] {
        sandbox.init(env);
        let db = sandbox.db(env);
        sandbox.sqlite(
            &db,
            &format!("INSERT INTO locations (name) VALUES ('only in {env}')"),
        );
        let copy = sandbox.root().join(format!("previous {env}.db"));
        std::fs::copy(&db, &copy).unwrap();
        previous.push((env, copy));
    }
    previous
}

#[test]
fn force_backs_up_each_existing_target_then_replaces_its_content() {
    let sandbox = Sandbox::new();
    let previous = existing_targets(&sandbox);
    let legacy = legacy_path(&sandbox);
    make_legacy(&sandbox, &legacy, "");
    let before = bytes(&legacy);

    let out = split(&sandbox, &[]).run().ok();
    assert!(out.stdout.contains("already split"), "{}", out.stdout);
    for (env, copy) in &previous {
        assert_eq!(
            sandbox.differences(copy, &sandbox.db(env), None),
            "",
            "{env}"
        );
    }

    let report = split(&sandbox, &["--force", "--json"]).run().ok().json();
    assert_split_from(&sandbox, &legacy);
    assert_eq!(bytes(&legacy), before);
    for (i, (env, copy)) in previous.iter().enumerate() {
        let written = &report["written"][i];
        assert_eq!(written["environment"], *env);
        let saved = PathBuf::from(written["previous_content_backup"].as_str().unwrap());
        assert_eq!(
            sandbox.differences(copy, &saved, None),
            "",
            "{env}'s backup"
        );
        let manifest = manifest_of(&saved);
        assert_eq!(manifest["reason"], "pre-replace");
        assert_eq!(manifest["environment"], *env);
    }
    let backups = assert_backups_verify(&sandbox, &sandbox.backup_dir());
    assert_eq!(
        backups.len(),
        3,
        "the legacy file's and one per target: {backups:?}"
    );
    for env in ["prod", "dev"] {
        assert_eq!(
            temp_files_in(sandbox.db(env).parent().unwrap()),
            Vec::<String>::new()
        );
    }
}

#[test]
fn rows_still_in_the_wal_of_a_legacy_file_are_copied() {
    let sandbox = Sandbox::new();
    let legacy = legacy_path(&sandbox);
    make_legacy(&sandbox, &legacy, "");
    sandbox.sqlite(&legacy, "PRAGMA journal_mode = WAL");
    let mut writer = SqliteShell::open(&legacy);
    writer.run(
        "PRAGMA wal_autocheckpoint = 0;
         INSERT INTO visits (onsen_id, visited_at, personal_rating, notes)
             VALUES (2, '2024-12-24', 10, 'only in the WAL');
         INSERT INTO locations (name) VALUES ('wal place');",
    );
    let wal = legacy.with_file_name("onsen.db-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    let main_alone = sandbox.root().join("main file alone.db");
    std::fs::copy(&legacy, &main_alone).unwrap();
    let count = "SELECT count(*) FROM visits WHERE notes = 'only in the WAL'";
    assert_eq!(
        sandbox.sqlite(&main_alone, count),
        "0",
        "the row is only in the WAL"
    );
    let before = fingerprint(&legacy);

    split(&sandbox, &[]).run().ok();
    assert_split_from(&sandbox, &legacy);
    for env in ["prod", "dev"] {
        let db = sandbox.db(env);
        assert_eq!(sandbox.sqlite(&db, count), "1", "{env}");
        assert_eq!(
            sandbox.sqlite(&db, "PRAGMA journal_mode"),
            "delete",
            "{env}"
        );
    }
    assert_eq!(
        fingerprint(&legacy),
        before,
        "the legacy file was not checkpointed"
    );
    let backups = assert_backups_verify(&sandbox, &sandbox.backup_dir());
    assert_eq!(sandbox.sqlite(&backups[0], count), "1");
    drop(writer);
}

#[test]
fn a_legacy_file_written_to_during_the_split_is_reported() {
    a_legacy_file_written_to_during_the_split_is_reported_in("delete");
    a_legacy_file_written_to_during_the_split_is_reported_in("wal");
}

/// Another process commits into the legacy file (in `journal_mode`) all through the split: the
/// split says the legacy file changed, and every copy it made is whole and holds whole
/// transactions of the writer.
fn a_legacy_file_written_to_during_the_split_is_reported_in(journal_mode: &str) {
    let sandbox = Sandbox::new();
    let legacy = legacy_of_3_mb(&sandbox);
    sandbox.sqlite(&legacy, &format!("PRAGMA journal_mode = {journal_mode}"));
    // A checkpoint after every commit, so that a WAL file's main file changes too.
    let mut writer = BusyWriter::start(&legacy, "PRAGMA wal_autocheckpoint = 1;", WRITE_A_PAIR);
    let out = split(&sandbox, &[]).run().code(1);
    assert!(writer.stop(), "every write of the writer succeeded");
    assert!(
        out.stderr.contains("changed while it was being split")
            && out.stderr.contains("migrate-to-envs --force"),
        "{journal_mode}: {}",
        out.stderr
    );
    let backups = assert_backups_verify(&sandbox, &sandbox.backup_dir());
    for db in backups
        .iter()
        .chain(&[sandbox.db("prod"), sandbox.db("dev")])
    {
        assert_eq!(sandbox.sqlite(db, "PRAGMA integrity_check"), "ok");
        let rows = writer_rows(&sandbox, db);
        assert_eq!(rows % 2, 0, "{}: whole transactions only", db.display());
        assert!(rows < writer_rows(&sandbox, &legacy), "{rows}");
    }
}

#[test]
fn from_takes_a_path_with_spaces_and_non_ascii() {
    let sandbox = Sandbox::new();
    let legacy = sandbox
        .root()
        .join("old copies ✓")
        .join("温泉 legacy (2019).db");
    make_legacy(&sandbox, &legacy, "");
    let before = bytes(&legacy);
    let out = sandbox
        .xtask()
        .args(["database", "migrate-to-envs", "--yes", "--from"])
        .arg(&legacy)
        .run()
        .ok();
    assert!(
        out.stdout.contains(&legacy.display().to_string()),
        "{}",
        out.stdout
    );
    assert_split_from(&sandbox, &legacy);
    assert_eq!(bytes(&legacy), before);
    assert!(!legacy_path(&sandbox).exists());
    let backups = assert_backups_verify(&sandbox, &sandbox.backup_dir());
    assert_eq!(manifest_of(&backups[0])["source"], legacy.to_str().unwrap());

    let out = sandbox
        .xtask()
        .args(["database", "migrate-to-envs", "--yes", "--from"])
        .arg(sandbox.root().join("nowhere ✗.db"))
        .run()
        .ok();
    assert!(out.stdout.contains("already split"), "{}", out.stdout);
}

#[test]
fn from_naming_a_target_is_refused_and_nothing_changes() {
    let sandbox = Sandbox::new();
    let legacy = legacy_path(&sandbox);
    make_legacy(&sandbox, &legacy, "");
    split(&sandbox, &[]).run().ok();
    let linked = sandbox.root().join("another name for dev.db");
    std::fs::hard_link(sandbox.db("dev"), &linked).unwrap();
    let before = hashes_under(sandbox.root());
    for (from, env) in [
        (sandbox.db("prod"), "prod"),
        (sandbox.db("dev"), "dev"),
        (linked, "dev"),
    ] {
        let out = split(&sandbox, &["--force"])
            .arg("--from")
            .arg(&from)
            .run()
            .code(2);
        assert!(
            out.stderr.contains(&format!("the {env} database itself"))
                && out.stderr.contains("--cross-env"),
            "{}",
            out.stderr
        );
        assert_eq!(hashes_under(sandbox.root()), before, "{}", from.display());
    }
}

#[test]
fn an_existing_target_is_kept_as_it_is_and_the_plan_says_so() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let dev = sandbox.db("dev");
    let before = bytes(&dev);
    let legacy = legacy_path(&sandbox);
    make_legacy(&sandbox, &legacy, "");
    let out = split(&sandbox, &[]).run().ok();
    assert!(
        out.stderr.contains(&format!(
            "keep `{}` (dev) as it is: it exists, so it is not copied from the legacy file (--force replaces it)",
            dev.display()
        )),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&dev), before);
    assert_whole_and_stamped(&sandbox, &sandbox.db("prod"), "prod");
}
