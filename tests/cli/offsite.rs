//! Off-site backups through real restic against a repository in a temporary folder: round trips on
//! each environment, proven equal by the manifest's hashes; a wrong password, a missing
//! repository, another environment's snapshot, a tampered repository, kills during the upload and
//! the download; secrets kept out of output and the audit log.

use crate::backup::{backups_on_disk, manifest};
use crate::faults::{assert_no_temp_files, db_dir, dev_with_visits};
use crate::support::{bytes, names_in, Output, Run, Sandbox};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The password of every test repository.
const PASSWORD: &str = "correct horse battery staple";

/// A restic repository made with `restic init` for a sandbox, and the variables that reach it.
pub(crate) struct Offsite {
    /// The folder that holds the repository's files (the store's folder for a bucket).
    pub repo: PathBuf,
    /// restic's name for it: the folder, or `s3:http://…/bucket`.
    location: String,
    /// The store's own variables (access keys).
    store_vars: Vec<(&'static str, String)>,
    password_file: PathBuf,
    cache: PathBuf,
}

/// Whether `program` is on PATH.
pub(crate) fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

impl Offsite {
    /// A new repository in `sandbox`'s root (`offsite/`), or `None` (said in one line) when restic
    /// is not installed.
    pub(crate) fn new(sandbox: &Sandbox) -> Option<Offsite> {
        let repo = sandbox.root().join("offsite");
        let location = repo.display().to_string();
        Offsite::at(sandbox, repo, location, Vec::new())
    }

    /// A new repository at restic's `location`, whose files lie in the folder `repo`, reached
    /// with the store's variables `store_vars`; `None` (said in one line) without restic.
    pub(crate) fn at(
        sandbox: &Sandbox,
        repo: PathBuf,
        location: String,
        store_vars: Vec<(&'static str, String)>,
    ) -> Option<Offsite> {
        if !installed("restic") {
            eprintln!(
                "skipped: restic is not installed (`.ci/run` installs it; apt-get install restic)"
            );
            return None;
        }
        let offsite = Offsite {
            repo,
            location,
            store_vars,
            password_file: sandbox.root().join("restic-password"),
            cache: sandbox.root().join("restic-cache"),
        };
        std::fs::write(&offsite.password_file, PASSWORD).unwrap();
        offsite.restic(sandbox, &offsite.location, &["init"]).ok();
        Some(offsite)
    }

    /// `run` with the repository and its password set as a user sets them, and no other restic
    /// variable of the test's own environment.
    pub(crate) fn with(&self, run: Run) -> Run {
        self.with_location(run, &self.location)
    }

    pub(crate) fn with_location(&self, run: Run, location: &str) -> Run {
        let run = self
            .store_vars
            .iter()
            .fold(run, |run, (name, value)| run.env(name, value));
        run.env_remove("RESTIC_REPOSITORY")
            .env_remove("RESTIC_PASSWORD")
            .env_remove("RESTIC_PASSWORD_COMMAND")
            .env("ONSENDO_RESTIC_REPOSITORY", location)
            .env("RESTIC_PASSWORD_FILE", &self.password_file)
            .env("RESTIC_CACHE_DIR", &self.cache)
    }

    /// The developer tool with this repository.
    pub(crate) fn xtask(&self, sandbox: &Sandbox) -> Run {
        self.with(sandbox.xtask())
    }

    /// restic itself on the repository at `location`: the independent checker.
    pub(crate) fn restic(&self, sandbox: &Sandbox, location: &str, args: &[&str]) -> Output {
        self.restic_command(sandbox, location).args(args).run()
    }

    /// A `restic` command on the repository at `location`, to add arguments to and run.
    pub(crate) fn restic_command(&self, sandbox: &Sandbox, location: &str) -> Run {
        self.with_location(sandbox.command("restic"), location)
            .env("RESTIC_REPOSITORY", location)
    }

    /// `restic check --read-data`: the repository is whole, every byte of it read.
    pub(crate) fn check(&self, sandbox: &Sandbox) {
        self.restic(sandbox, &self.location, &["check", "--read-data"])
            .ok();
    }

    /// Every snapshot in the repository as restic itself lists them: (id, `env=` tag), sorted.
    pub(crate) fn in_repository(&self, sandbox: &Sandbox) -> Vec<(String, String)> {
        let out = self
            .restic(sandbox, &self.location, &["snapshots", "--json"])
            .ok();
        let mut found: Vec<(String, String)> = out
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let tags = s["tags"].as_array().unwrap();
                let env = tags.iter().filter_map(|t| t.as_str()?.strip_prefix("env="));
                (s["id"].as_str().unwrap().to_string(), env.collect())
            })
            .collect();
        found.sort();
        found
    }

    /// The snapshots `backups --offsite --json` lists for `env`.
    pub(crate) fn listed(&self, sandbox: &Sandbox, env: &str) -> Vec<serde_json::Value> {
        let out = self
            .xtask(sandbox)
            .args(["database", "backups", "--offsite", "--json", "--env", env])
            .run()
            .ok();
        out.json().as_array().unwrap().clone()
    }
}

/// `backup --offsite` of `env`: the local backup's path.
pub(crate) fn send(offsite: &Offsite, sandbox: &Sandbox, env: &str) -> PathBuf {
    let out = offsite
        .xtask(sandbox)
        .args(["database", "backup", "--offsite", "--env", env])
        .run()
        .ok();
    assert!(out.stderr.contains("sent off-site to"), "{}", out.stderr);
    PathBuf::from(out.stdout.trim())
}

/// `restore --offsite` into `env` with `args` (`--latest`, or a snapshot id), confirmed.
pub(crate) fn restore(offsite: &Offsite, sandbox: &Sandbox, env: &str, args: &[&str]) -> Output {
    offsite
        .xtask(sandbox)
        .args(["database", "restore", "--offsite", "--yes", "--env", env])
        .args(args)
        .run()
}

/// The path of the backup `restore --offsite` downloaded, from its stderr.
fn downloaded(out: &Output) -> PathBuf {
    let line = out
        .stderr
        .lines()
        .find(|line| line.starts_with("downloaded into `"))
        .unwrap_or_else(|| panic!("no download named: {}", out.stderr));
    PathBuf::from(line.split('`').nth(1).unwrap())
}

/// The content hash of a database by the `sqlite3` CLI (`.sha3sum`: schema and rows).
fn content(sandbox: &Sandbox, db: &Path) -> String {
    sandbox.sqlite(db, ".sha3sum")
}

#[test]
fn a_round_trip_on_each_environment_brings_back_bytes_equal_to_the_backup_sent() {
    for env in ["dev", "test", "prod"] {
        let sandbox = Sandbox::new();
        let Some(offsite) = Offsite::new(&sandbox) else {
            return;
        };
        round_trip(&offsite, &sandbox, env);
    }
}

/// `env` initialised, sent off-site, changed, and restored with `--latest`: the content comes
/// back, the downloaded backup equals the one sent byte for byte and by its manifest, prod's
/// restore is audited, and the repository is whole by `restic check --read-data`.
pub(crate) fn round_trip(offsite: &Offsite, sandbox: &Sandbox, env: &str) {
    sandbox.init(env);
    let db = sandbox.db(env);
    let sent = send(offsite, sandbox, env);
    let before = content(sandbox, &db);
    sandbox.sqlite(&db, "DELETE FROM onsens WHERE id > 2");
    assert_ne!(content(sandbox, &db), before);

    let out = restore(offsite, sandbox, env, &["--latest"]).ok();
    let fetched = downloaded(&out);
    assert_eq!(
        content(sandbox, &db),
        before,
        "{env}: the content came back"
    );
    assert_eq!(bytes(&fetched), bytes(&sent), "{env}: byte for byte");
    let (sent, fetched) = (manifest(&sent), manifest(&fetched));
    for key in [
        "file_digest",
        "logical_digest",
        "size",
        "environment",
        "reason",
        "schema_version",
        "created_at",
    ] {
        assert_eq!(fetched[key], sent[key], "{env}: {key}");
    }
    sandbox
        .xtask()
        .args(["database", "verify", "--env", env])
        .run()
        .ok();
    if env == "prod" {
        let record = sandbox.last_audit();
        assert_eq!(record["outcome"], "ok", "{record}");
    }
    offsite.check(sandbox);
}

#[test]
fn the_listing_shows_this_environments_snapshots_newest_first() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    sandbox.init("dev");
    sandbox.init("test");
    send(&offsite, &sandbox, "dev");
    send(&offsite, &sandbox, "test");
    send(&offsite, &sandbox, "dev");
    let listed = offsite.listed(&sandbox, "dev");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed
        .iter()
        .all(|s| s["environment"] == "dev" && s["reason"] == "manual"));
    assert!(listed[0]["created_at"].as_str() > listed[1]["created_at"].as_str());
    assert_eq!(listed[0]["schema_version"], 1);
    let table = offsite
        .xtask(&sandbox)
        .args(["database", "backups", "--offsite", "--env", "dev"])
        .run()
        .ok();
    assert!(
        table.stdout.contains("2 off-site snapshots of dev"),
        "{}",
        table.stdout
    );
    let short = listed[1]["short_id"].as_str().unwrap();
    let restored = restore(&offsite, &sandbox, "dev", &[short]).ok();
    assert!(
        restored
            .stderr
            .contains(&format!("downloading snapshot {short}")),
        "{}",
        restored.stderr
    );
}

/// A dev database sent off-site, then changed: its path, its bytes now, and the backups on disk.
pub(crate) fn sent_then_changed(
    offsite: &Offsite,
    sandbox: &Sandbox,
) -> (PathBuf, Vec<u8>, Vec<String>) {
    sandbox.init("dev");
    send(offsite, sandbox, "dev");
    let db = sandbox.db("dev");
    sandbox.sqlite(&db, "DELETE FROM onsens WHERE id = 1");
    let (live, backups) = (bytes(&db), backups_on_disk(sandbox));
    (db, live, backups)
}

#[test]
fn a_wrong_password_or_a_missing_repository_fails_and_changes_nothing() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    let (db, live, backups) = sent_then_changed(&offsite, &sandbox);

    let wrong = sandbox.root().join("wrong-password");
    std::fs::write(&wrong, "not it").unwrap();
    let out = offsite
        .xtask(&sandbox)
        .env("RESTIC_PASSWORD_FILE", &wrong)
        .args(["database", "restore", "--offsite", "--latest"])
        .run()
        .code(1);
    assert!(out.stderr.contains("wrong password"), "{}", out.stderr);

    // The listing's error with one variable set to `value`.
    let listing_with = |name: &str, value: &str, code: i32| {
        let run = offsite.xtask(&sandbox).env(name, value);
        let out = run.args(["database", "backups", "--offsite"]).run();
        out.code(code).stderr
    };
    // A blank password variable is no password (as restic and `config show` see it).
    let said = listing_with("RESTIC_PASSWORD_FILE", "", 1);
    assert!(
        said.contains("no password for the off-site repository"),
        "{said}"
    );

    let out = offsite
        .with_location(sandbox.xtask(), "/nonexistent/onsendo-repository")
        .args(["database", "backups", "--offsite"])
        .run()
        .code(1);
    assert!(
        out.stderr.contains("/nonexistent/onsendo-repository"),
        "{}",
        out.stderr
    );

    let said = listing_with("ONSENDO_RESTIC_TIMEOUT", "soon", 2);
    assert!(
        said.contains("ONSENDO_RESTIC_TIMEOUT must be a whole number of seconds"),
        "{said}"
    );

    let out = sandbox
        .xtask()
        .env_remove("RESTIC_REPOSITORY")
        .args(["database", "backup", "--offsite"])
        .run()
        .code(1);
    assert!(
        out.stderr.contains("no off-site repository is configured"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), live);
    assert_eq!(backups_on_disk(&sandbox), backups, "no backup made");
}

#[test]
fn another_environments_snapshot_needs_cross_env_before_anything_is_downloaded() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    sandbox.init("prod");
    sandbox.init("dev");
    send(&offsite, &sandbox, "prod");
    let prod_snapshot = offsite.listed(&sandbox, "prod")[0]["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    let backups = backups_on_disk(&sandbox);
    let out = restore(&offsite, &sandbox, "dev", &[&prod_snapshot]).code(3);
    assert!(out.stderr.contains("--cross-env"), "{}", out.stderr);
    assert_eq!(backups_on_disk(&sandbox), backups, "nothing downloaded");

    restore(&offsite, &sandbox, "dev", &[&prod_snapshot, "--cross-env"]).ok();
    assert_eq!(
        sandbox.stamp(&sandbox.db("dev")),
        "dev",
        "re-stamped for its target"
    );
}

#[test]
fn a_snapshot_relabelled_for_prod_is_refused_and_its_download_not_kept() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    sandbox.init("dev");
    sandbox.init("prod");
    send(&offsite, &sandbox, "dev");
    let (id, _) = offsite.in_repository(&sandbox).remove(0);
    // Its tags (the manifest it carries) now say prod; the file inside is still stamped dev.
    offsite
        .restic(
            &sandbox,
            &offsite.location,
            &["tag", "--remove", "env=dev", "--add", "env=prod", &id],
        )
        .ok();
    let prod = sandbox.db("prod");
    let before = bytes(&prod);
    let backups = backups_on_disk(&sandbox);

    let out = restore(&offsite, &sandbox, "prod", &["--latest"]).code(4);
    assert!(
        out.stderr
            .contains("the manifest says prod, but the backup is stamped dev"),
        "{}",
        out.stderr
    );
    let copy = downloaded(&out);
    assert!(
        out.stderr.contains(&format!(
            "the downloaded copy `{}` is removed",
            copy.display()
        )),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&prod), before, "prod is untouched");
    assert_eq!(
        backups_on_disk(&sandbox),
        backups,
        "no copy of the refused snapshot is left among the backups"
    );
    assert_no_temp_files(&[sandbox.backup_dir(), db_dir(&sandbox)]);
}

#[test]
fn a_prod_restore_not_confirmed_keeps_no_download() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    sandbox.init("prod");
    send(&offsite, &sandbox, "prod");
    let prod = sandbox.db("prod");
    let (before, backups) = (bytes(&prod), backups_on_disk(&sandbox));
    let out = offsite
        .xtask(&sandbox)
        .args([
            "database",
            "restore",
            "--offsite",
            "--latest",
            "--env",
            "prod",
        ])
        .run()
        .code(3);
    let copy = downloaded(&out);
    assert!(
        out.stderr.contains(&format!(
            "the downloaded copy `{}` is removed",
            copy.display()
        )),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&prod), before);
    assert_eq!(
        backups_on_disk(&sandbox),
        backups,
        "no download left behind"
    );
    // The audit record names the snapshot the refused restore had chosen.
    let (id, _) = offsite.in_repository(&sandbox).remove(0);
    let record = sandbox.last_audit();
    let restored = record["restored"].as_str().unwrap();
    assert!(
        restored.starts_with(&copy.display().to_string())
            && restored.contains(&format!("(snapshot {id} of `")),
        "{record}"
    );
}

#[test]
fn a_tampered_repository_fails_the_download_and_nothing_is_placed() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    let (db, live, backups) = sent_then_changed(&offsite, &sandbox);
    let packs = pack_files(&offsite.repo.join("data"));
    assert!(!packs.is_empty(), "restic wrote packs");
    for pack in packs {
        let mut content = bytes(&pack);
        let middle = content.len() / 2;
        content[middle] ^= 0xff;
        std::fs::write(&pack, content).unwrap();
    }
    let out = restore(&offsite, &sandbox, "dev", &["--latest"]).code(1);
    assert!(
        out.stderr.contains("restic could not download snapshot"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was placed"), "{}", out.stderr);
    assert_eq!(bytes(&db), live);
    assert_eq!(backups_on_disk(&sandbox), backups);
    assert_no_temp_files(&[sandbox.backup_dir(), db_dir(&sandbox)]);
}

/// The files under restic's `data/` folder.
fn pack_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for name in names_in(dir) {
        let path = dir.join(name);
        match path.is_dir() {
            true => found.extend(pack_files(&path)),
            false => found.push(path),
        }
    }
    found
}

/// Starts `run`, waits until `started` says the work is under way, then kills the restic it runs
/// and the process itself (SIGKILL, one right after the other), and waits for both to end.
fn kill_when(run: Run, started: impl Fn() -> bool) {
    let mut child = run.spawn();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !started() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "it ended before the kill"
        );
        assert!(Instant::now() < deadline, "the work never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = child.id();
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    for id in children.split_whitespace() {
        unsafe { libc::kill(id.parse().unwrap(), libc::SIGKILL) };
        // Gone once its parent has reaped it: a zombie would still hold its lock for restic.
        let stat = format!("/proc/{id}/stat");
        let reaped = Instant::now() + Duration::from_secs(10);
        while Path::new(&stat).exists() && Instant::now() < reaped {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Whether restic holds a lock in the repository: it is at work there.
fn restic_at_work(offsite: &Offsite) -> bool {
    !names_in(&offsite.repo.join("locks")).is_empty()
}

#[test]
fn a_kill_during_the_upload_changes_nothing_local_and_leaves_the_repository_whole() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    let db = dev_with_visits(&sandbox, 100_000);
    let live = bytes(&db);
    kill_when(
        offsite
            .xtask(&sandbox)
            .args(["database", "backup", "--offsite", "--env", "dev"]),
        || restic_at_work(&offsite),
    );
    assert_eq!(bytes(&db), live, "the database is as it was");
    // The killed restic's lock stays until `restic unlock` finds its process gone, as after any
    // kill of restic; then the repository is whole.
    offsite
        .restic(&sandbox, &offsite.location, &["unlock"])
        .ok();
    offsite.check(&sandbox);
    send(&offsite, &sandbox, "dev");
    offsite.check(&sandbox);
    assert_eq!(
        offsite.listed(&sandbox, "dev").len(),
        1,
        "only the finished upload"
    );
}

#[test]
fn a_kill_during_the_download_leaves_the_live_database_untouched() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    let db = dev_with_visits(&sandbox, 100_000);
    send(&offsite, &sandbox, "dev");
    sandbox.sqlite(&db, "DELETE FROM visits WHERE id % 2 = 0");
    let (live, backups) = (bytes(&db), backups_on_disk(&sandbox));
    let backup_dir = sandbox.backup_dir();
    kill_when(restore_run(&offsite, &sandbox), || {
        names_in(&backup_dir)
            .iter()
            .any(|name| name.starts_with('.') && name.contains(".tmp-"))
    });
    assert_eq!(bytes(&db), live, "the live database is untouched");
    assert_eq!(backups_on_disk(&sandbox), backups, "nothing placed");
    let out = restore(&offsite, &sandbox, "dev", &["--latest"]).ok();
    assert_no_temp_files(&[backup_dir, db_dir(&sandbox)]);
    assert!(out.stdout.contains("restored"), "{}", out.stdout);
}

/// `restore --offsite --latest` of dev, to start.
fn restore_run(offsite: &Offsite, sandbox: &Sandbox) -> Run {
    offsite.xtask(sandbox).args([
        "database",
        "restore",
        "--offsite",
        "--latest",
        "--env",
        "dev",
    ])
}

#[test]
fn secrets_stay_out_of_output_and_the_audit_log() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    sandbox.init("prod");
    let run = |args: &[&str]| {
        offsite
            .xtask(&sandbox)
            .env_remove("RESTIC_PASSWORD_FILE")
            .env("RESTIC_PASSWORD", PASSWORD)
            .args(args)
            .run()
    };
    let outputs = [
        run(&["database", "backup", "--offsite", "--env", "prod"]).ok(),
        run(&["database", "backups", "--offsite", "--env", "prod"]).ok(),
        run(&[
            "database",
            "restore",
            "--offsite",
            "--latest",
            "--env",
            "prod",
            "--yes",
        ])
        .ok(),
        run(&["config", "show", "--env", "prod"]).ok(),
        run(&["database", "doctor", "--env", "prod"]),
    ];
    let log = std::fs::read_to_string(sandbox.audit_log()).unwrap();
    for text in outputs
        .iter()
        .flat_map(|out| [&out.stdout, &out.stderr])
        .chain([&log])
    {
        assert!(!text.contains("battery"), "a secret shown: {text}");
    }
    assert!(
        outputs[3].stdout.contains("RESTIC_PASSWORD"),
        "{}",
        outputs[3].stdout
    );
}

#[test]
fn the_make_targets_send_list_and_restore_honouring_env() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    sandbox.init("dev");
    sandbox.init("prod");
    let make = |args: &[&str]| offsite.with(crate::makefile::make(&sandbox, args)).run();
    let sent = make(&["backup-offsite", "ENV=prod"]).ok();
    assert!(sent.stdout.contains("onsen_prod_"), "{}", sent.stdout);
    let listed = make(&["backups-offsite", "ENV=prod"]).ok();
    assert!(
        listed.stdout.contains("1 off-site snapshot of prod"),
        "{}",
        listed.stdout
    );
    let none = make(&["backups-offsite", "ENV=dev"]).ok();
    assert!(
        none.stdout.contains("no off-site snapshots of dev"),
        "{}",
        none.stdout
    );
    let db = sandbox.db("prod");
    sandbox.sqlite(&db, "DELETE FROM onsens WHERE id = 1");
    let emptied = bytes(&db);
    make(&["restore-offsite", "ENV=prod", "DRY_RUN=1"]).ok();
    assert_eq!(bytes(&db), emptied, "a dry run restores nothing");
    let id = offsite.listed(&sandbox, "prod")[0]["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    make(&[
        "restore-offsite",
        "ENV=prod",
        &format!("SNAPSHOT={id}"),
        "YES=1",
    ])
    .ok();
    assert_eq!(
        sandbox.sqlite(&db, "SELECT count(*) FROM onsens WHERE id = 1"),
        "1"
    );
}

#[test]
fn doctor_says_whether_the_repository_answers_and_how_old_the_newest_snapshot_is() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    sandbox.init("prod");
    let doctor = |run: Run| run.args(["database", "doctor", "--env", "prod"]).run();
    let line = |out: &Output| {
        let found = out.stdout.lines().find(|l| l.contains("off-site"));
        found
            .unwrap_or_else(|| panic!("no off-site line: {}", out.stdout))
            .to_string()
    };
    let off = doctor(sandbox.xtask().env_remove("RESTIC_REPOSITORY"));
    assert!(line(&off).starts_with("- off-site"), "{}", line(&off));
    let none = doctor(offsite.xtask(&sandbox));
    assert!(line(&none).starts_with("! off-site"), "{}", line(&none));
    assert!(
        line(&none).contains("no snapshot of prod"),
        "{}",
        line(&none)
    );
    send(&offsite, &sandbox, "prod");
    let sent = doctor(offsite.xtask(&sandbox));
    assert!(line(&sent).starts_with("✓ off-site"), "{}", line(&sent));
    assert!(line(&sent).contains(" s old"), "{}", line(&sent));
    let gone = doctor(offsite.with_location(sandbox.xtask(), "/nonexistent/repository"));
    assert!(line(&gone).starts_with("! off-site"), "{}", line(&gone));
    assert!(
        line(&gone).contains("restic could not list"),
        "{}",
        line(&gone)
    );
}

#[test]
fn a_prod_backup_that_cannot_go_off_site_is_still_recorded_with_its_local_copy() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    sandbox.init("prod");
    let wrong = sandbox.root().join("wrong-password");
    std::fs::write(&wrong, "not it").unwrap();
    let out = offsite
        .xtask(&sandbox)
        .env("RESTIC_PASSWORD_FILE", &wrong)
        .args(["database", "backup", "--offsite", "--env", "prod"])
        .run()
        .code(1);
    let line = out
        .stderr
        .lines()
        .find(|line| line.starts_with("the local backup `"))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    let local = PathBuf::from(line.split('`').nth(1).unwrap());
    assert!(local.is_file());
    let record = sandbox.last_audit();
    assert_eq!(record["backup"], local.display().to_string());
    assert!(
        record["outcome"]
            .as_str()
            .unwrap()
            .starts_with("failed: restic could not store the backup"),
        "{record}"
    );
}
