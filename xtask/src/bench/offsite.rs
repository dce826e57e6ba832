//! `bench --only offsite`: `backup --offsite` and `restore --offsite --latest` against restic run
//! by hand, with the repositories on an `rclone serve s3` the bench starts on 127.0.0.1; how much
//! a day's use (100 visits added, 20 modified) and 20 such days grow the repository; our own peak
//! memory (read from `/proc` while we run, so restic's is counted apart). Times are medians of
//! `--runs` runs, each first backup into new, empty repositories.

use super::measure::median;
use anyhow::{bail, Context};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The S3 server, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// One run of ours: wall-clock seconds and our own peak memory (KiB, `VmHWM`).
struct Ours {
    seconds: f64,
    peak_kib: u64,
}

pub fn run(xtask: &Path, dir: &Path, source: &Path, runs: usize) -> anyhow::Result<()> {
    for program in ["restic", "rclone"] {
        if Command::new(program).arg("version").output().is_err() {
            println!("\noffsite: skipped, `{program}` is not installed");
            return Ok(());
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    let root = dir.join("live");
    let live = super::dev_database(&root);
    std::fs::create_dir_all(live.parent().unwrap())?;
    std::fs::write(root.join("Cargo.toml"), "# benchmark root\n")?;
    std::fs::copy(source, &live)?;
    let size = std::fs::metadata(&live)?.len();
    let storage = dir.join("s3");
    std::fs::create_dir_all(&storage)?;
    let (_server, endpoint) = start_server(dir, &storage)?;
    let log = dir.join("last-command.log");
    let xtask_args = |words: &[&str]| -> Vec<String> {
        let mut args = vec!["--root".to_string(), root.display().to_string()];
        args.extend(words.iter().map(|w| w.to_string()));
        args
    };
    let send = xtask_args(&["database", "backup", "--env", "dev", "--offsite"]);
    let backups = root.join("artifacts/db/backups");
    // First backups, each into new, empty repositories; the days go on in the last of ours.
    let (mut firsts, mut by_hand, mut ours) = (Vec::new(), Vec::new(), String::new());
    for run in 0..runs.max(1) {
        ours = format!("s3:{endpoint}/ours{run}");
        let hand = format!("s3:{endpoint}/hand{run}");
        for repo in [&ours, &hand] {
            shell(&format!("restic -r '{repo}' init -q"), &log)?;
        }
        firsts.push(ours_run(xtask, &send, &ours, &log)?);
        clear(&backups)?;
        by_hand.push(shell(
            &format!(
                "restic -r '{hand}' backup -q --stdin --stdin-filename onsen_dev.db < '{}'",
                live.display()
            ),
            &log,
        )?);
        std::fs::remove_dir_all(storage.join(format!("hand{run}")))?;
    }
    let bucket = storage.join(format!("ours{}", runs.max(1) - 1));
    let after_first = folder_size(&bucket)?;
    let mut one_day = 0;
    let mut peak = firsts.iter().map(|run| run.peak_kib).max().unwrap_or(0);
    for day in 0..20 {
        day_of_use(&live, day, &log)?;
        peak = peak.max(ours_run(xtask, &send, &ours, &log)?.peak_kib);
        clear(&backups)?;
        if day == 0 {
            one_day = folder_size(&bucket)? - after_first;
        }
    }
    let twenty_days = folder_size(&bucket)?;
    let restore = xtask_args(&[
        "database",
        "restore",
        "--env",
        "dev",
        "--offsite",
        "--latest",
        "--yes",
    ]);
    let (mut restored, mut dump_and_copy) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let run = ours_run(xtask, &restore, &ours, &log)?;
        peak = peak.max(run.peak_kib);
        restored.push(run.seconds);
        clear(&backups)?;
        let (dumped, copied) = (dir.join("dumped.db"), dir.join("copied.db"));
        dump_and_copy.push(shell(
            &format!(
                "restic -r '{ours}' dump latest /onsen_dev.db > '{}' && cp '{}' '{}' && sync",
                dumped.display(),
                dumped.display(),
                copied.display()
            ),
            &log,
        )?);
        std::fs::remove_file(dumped)?;
        std::fs::remove_file(copied)?;
    }
    let first: Vec<f64> = firsts.iter().map(|run| run.seconds).collect();
    report(
        size,
        runs.max(1),
        (median(&first), median(&by_hand)),
        (one_day, twenty_days),
        (median(&restored), median(&dump_and_copy)),
        peak,
    );
    Ok(())
}

fn report(
    size: u64,
    runs: usize,
    (first, by_hand): (f64, f64),
    (one_day, twenty_days): (u64, u64),
    (restored, dump_and_copy): (f64, f64),
    peak_kib: u64,
) {
    let mib = |bytes: u64| bytes as f64 / 1048576.0;
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    println!(
        "\noff-site, database {:.0} MiB, repository on rclone serve s3 (127.0.0.1); times are medians of {runs} runs",
        mib(size)
    );
    let rows = [
        (
            "first backup --offsite",
            format!(
                "{first:.2} s vs restic backup --stdin {by_hand:.2} s: {:.2}×",
                first / by_hand
            ),
            "≤ 3×",
            first <= 3.0 * by_hand,
        ),
        (
            "a day's use, then backup",
            format!(
                "repository +{:.2} MiB: {:.2} % of the database",
                mib(one_day),
                100.0 * one_day as f64 / size as f64
            ),
            "≤ 2 %",
            one_day as f64 <= 0.02 * size as f64,
        ),
        (
            "20 such days",
            format!(
                "repository {:.1} MiB: {:.2}× the database",
                mib(twenty_days),
                twenty_days as f64 / size as f64
            ),
            "≤ 1.3×",
            twenty_days as f64 <= 1.3 * size as f64,
        ),
        (
            "restore --offsite --latest",
            format!(
                "{restored:.2} s vs restic dump + cp {dump_and_copy:.2} s: {:.2}×",
                restored / dump_and_copy
            ),
            "≤ 1.5×",
            restored <= 1.5 * dump_and_copy,
        ),
        (
            "our peak memory",
            format!("{:.1} MiB (restic's apart)", peak_kib as f64 / 1024.0),
            "≤ 64 MiB",
            peak_kib <= 64 * 1024,
        ),
    ];
    for (case, figure, target, met) in rows {
        println!("{case:<28} {figure:<60} {target:<9} {}", verdict(met));
    }
}

/// A day's use of `db`: 100 visits added, 20 modified (different ones each `day`).
fn day_of_use(db: &Path, day: u64, log: &Path) -> anyhow::Result<()> {
    let sql = format!(
        "INSERT INTO visits (onsen_id, visited_at, entry_fee_yen, stay_minutes, personal_rating, notes) \
         SELECT onsen_id, visited_at, entry_fee_yen, stay_minutes, personal_rating, 'day {day}' \
         FROM visits ORDER BY id LIMIT 100; \
         UPDATE visits SET personal_rating = 1 + personal_rating % 10, notes = 'changed on day {day}' \
         WHERE id IN (SELECT id FROM visits ORDER BY id LIMIT 20 OFFSET {});",
        day * 997
    );
    let mut command = Command::new("sqlite3");
    command.arg(db).arg(sql);
    let out = command.output().context("cannot run sqlite3")?;
    if !out.status.success() {
        std::fs::write(log, &out.stderr)?;
        bail!("sqlite3 failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// Runs `xtask args…` with the repository `repo`: its time, and its own peak memory, read from
/// `/proc` until it ends (restic, its child, has its own).
fn ours_run(xtask: &Path, args: &[String], repo: &str, log: &Path) -> anyhow::Result<Ours> {
    let started = Instant::now();
    let mut child = Command::new(xtask)
        .args(args)
        .env("ONSENDO_RESTIC_REPOSITORY", repo)
        .env_remove("ONSENDO_ENV")
        .env_remove("ONSENDO_ROOT")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .spawn()?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            let hwm = text.lines().find_map(|l| l.strip_prefix("VmHWM:"));
            let kib = hwm.and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            peak_kib = peak_kib.max(kib.unwrap_or(0));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    if !status.success() {
        bail!("{args:?} failed:\n{}", std::fs::read_to_string(log)?);
    }
    Ok(Ours {
        seconds: started.elapsed().as_secs_f64(),
        peak_kib,
    })
}

/// Runs a `sh -c` script: its wall-clock seconds.
fn shell(script: &str, log: &Path) -> anyhow::Result<f64> {
    let sample = super::measure::run("sh", &["-c", script], log)?;
    Ok(sample.seconds)
}

/// Removes the local backups (and their manifests) the runs made: each is a copy of the whole
/// database, and only the repository is measured.
fn clear(backups: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(backups)? {
        let path = entry?.path();
        if path.is_file() {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

/// The bytes of the files under `dir`.
fn folder_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        total += match entry.file_type()?.is_dir() {
            true => folder_size(&entry.path())?,
            false => entry.metadata()?.len(),
        };
    }
    Ok(total)
}

/// Starts `rclone serve s3` on a free port of 127.0.0.1 over `storage`, with keys of this run
/// (set in this process's variables for restic), and waits until it answers: it, and its
/// `http://127.0.0.1:PORT`.
fn start_server(dir: &Path, storage: &Path) -> anyhow::Result<(Server, String)> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let (access, secret) = (
        format!("onsendo-bench-{}", std::process::id()),
        format!("secret-{port}-{}", std::process::id()),
    );
    let password = dir.join("restic-password");
    std::fs::write(&password, "benchmark passphrase")?;
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", access.clone()),
        ("AWS_SECRET_ACCESS_KEY", secret.clone()),
        ("RESTIC_PASSWORD_FILE", password.display().to_string()),
        (
            "RESTIC_CACHE_DIR",
            dir.join("restic-cache").display().to_string(),
        ),
    ] {
        std::env::set_var(name, value);
    }
    std::env::remove_var("RESTIC_PASSWORD");
    std::env::remove_var("RESTIC_PASSWORD_COMMAND");
    let child = Command::new("rclone")
        .args(["serve", "s3", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--auth-key")
        .arg(format!("{access},{secret}"))
        .arg(storage)
        .env("RCLONE_CONFIG", dir.join("rclone.conf"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("rclone.log"))?)
        .spawn()
        .context("cannot start rclone serve s3")?;
    let mut server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if server.0.try_wait()?.is_some() || Instant::now() > deadline {
            bail!(
                "rclone serve s3 did not answer; see {}",
                dir.join("rclone.log").display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((server, format!("http://127.0.0.1:{port}")))
}
