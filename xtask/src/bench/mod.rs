//! `cargo xtask bench`: the copy engine against its baselines (`cp` + `sync`, the `sqlite3` CLI,
//! the bundled SQLite's own `PRAGMA integrity_check`) on a generated database, whole processes, in
//! the same run; medians, ratios, peak memory.

mod app;
mod data;
mod everyday;
mod listing;
mod measure;
mod offsite;

use anyhow::Context;
use measure::{median_seconds, Sample};
use onsendo::selection::paths::Layout;
use onsendo::Environment;
use std::path::{Path, PathBuf};
use xshell::{cmd, Shell};

/// The flags of `bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Size of the generated database in MiB
    #[arg(long, default_value_t = 1024, value_name = "MIB")]
    pub size_mb: u64,
    /// Runs of each command (the median is reported)
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub runs: usize,
    /// Working folder (the generated database is kept there for the next run)
    #[arg(long, default_value = "target/bench", value_name = "DIR")]
    pub dir: PathBuf,
    /// Only generate the database at PATH (the bench runs this in a child process, so that its
    /// own memory stays small: a child's peak memory counts its parent's at the time of spawn)
    #[arg(long, hide = true, value_name = "PATH")]
    pub generate_only: Option<PathBuf>,
    /// Only run the bundled SQLite's `PRAGMA integrity_check` on PATH, with SQLite's default cache
    /// and memory settings, and fail unless it answers `ok`: the baseline `verify` is measured against
    /// (this binary, so linked with the same SQLite and started alike)
    #[arg(long, hide = true, value_name = "PATH")]
    pub integrity_check_only: Option<PathBuf>,
    /// Run only one group: `copy` (backup, verify, migrate-to-envs on the big database),
    /// `everyday` (status, doctor, migrate; status on the big database) or `app` (visit list, stats, export and `database backups`
    /// with 20 backups, on the big database)
    /// `offsite` (backup --offsite and restore --offsite against restic by hand, on an S3 server)
    #[arg(long, value_name = "GROUP", value_parser = ["copy", "everyday", "app", "offsite"])]
    pub only: Option<String>,
}

/// A baseline of a case, with the target ratio of ours to it (`None`: reported only).
struct Baseline {
    name: &'static str,
    target: Option<f64>,
    samples: Vec<Sample>,
}

/// A comparison: ours against one or more baselines.
struct Case {
    name: &'static str,
    ours: Vec<Sample>,
    baselines: Vec<Baseline>,
}

impl Case {
    fn new(name: &'static str, baselines: &[(&'static str, Option<f64>)]) -> Case {
        Case {
            name,
            ours: Vec::new(),
            baselines: baselines
                .iter()
                .map(|&(name, target)| Baseline {
                    name,
                    target,
                    samples: Vec::new(),
                })
                .collect(),
        }
    }
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.generate_only {
        let visits = data::build(path, args.size_mb * 1024 * 1024)?;
        eprintln!("generated {visits} visits");
        return Ok(());
    }
    if let Some(path) = &args.integrity_check_only {
        return integrity_check_only(path);
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."));
    let sh = Shell::new()?;
    sh.change_dir(repo);
    cmd!(
        sh,
        "cargo build --release --quiet --package xtask --bin xtask --package onsendo --bin onsendo"
    )
    .run()?;
    let release = repo.join("target").join("release");
    let xtask = release.join("xtask");
    let dir = std::path::absolute(&args.dir)?;
    std::fs::create_dir_all(&dir)?;
    let runs = |group: &str| args.only.as_deref().is_none_or(|only| only == group);
    if runs("copy") {
        copy_cases(args, &xtask, &dir)?;
    }
    if runs("everyday") {
        let hundred_k = generated(&xtask, &dir, 17)?;
        let big = generated(&xtask, &dir, args.size_mb)?;
        everyday::run(&xtask, &dir.join("everyday"), &hundred_k, &big, args.runs)?;
    }
    if runs("app") {
        let big = generated(&xtask, &dir, args.size_mb)?;
        let small = generated(&xtask, &dir, 16)?;
        app::run(
            &release.join("onsendo"),
            &dir.join("app"),
            &big,
            &small,
            args.runs,
        )?;
        listing::run(&xtask, &dir.join("listing"), &big, args.runs)?;
    }
    if runs("offsite") {
        let big = generated(&xtask, &dir, args.size_mb)?;
        offsite::run(&xtask, &dir.join("offsite"), &big, args.runs)?;
    }
    Ok(())
}

/// Backup, verify and migrate-to-envs on the big database, and their peak memory on a small one.
fn copy_cases(args: &BenchArgs, xtask: &Path, dir: &Path) -> anyhow::Result<()> {
    let source = generated(xtask, dir, args.size_mb)?;
    let small = generated(xtask, dir, 16)?;
    let work = Work::new(dir, &source)?;
    let log = dir.join("last-command.log");
    let size = std::fs::metadata(&source)?.len();
    println!(
        "database: {} ({:.0} MiB), {} runs each, ours and baseline alternating",
        source.display(),
        size as f64 / 1048576.0,
        args.runs
    );

    let mut cases = [
        Case::new("database backup", &[("cp + sync", Some(1.5))]),
        Case::new(
            "database verify",
            &[
                ("bundled SQLite PRAGMA integrity_check", Some(1.05)),
                ("Debian sqlite3 PRAGMA integrity_check", None),
            ],
        ),
        Case::new(
            "database migrate-to-envs",
            &[("3 × sqlite3 .backup + 3 × integrity_check", Some(0.3))],
        ),
    ];
    for round in 0..args.runs {
        for (index, case) in cases.iter_mut().enumerate() {
            // Ours (`None`) and each baseline, in an order that turns around every round.
            let mut order: Vec<Option<usize>> = std::iter::once(None)
                .chain((0..case.baselines.len()).map(Some))
                .collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for which in order {
                work.warm(index)?;
                match which {
                    None => case.ours.push(work.ours(index, xtask, &log)?),
                    Some(b) => case.baselines[b]
                        .samples
                        .push(work.baseline(index, b, xtask, &log)?),
                }
            }
        }
        eprintln!("round {} of {} done", round + 1, args.runs);
    }
    let small_work = Work::new(&dir.join("small"), &small)?;
    let small_peaks: Vec<u64> = (0..cases.len())
        .map(|index| small_work.ours(index, xtask, &log).map(|s| s.peak_kib))
        .collect::<anyhow::Result<_>>()?;
    report(&cases, &small_peaks, args.size_mb);
    Ok(())
}

/// The generated database of `mib` MiB, built once (by a child process) and kept.
fn generated(xtask: &Path, dir: &Path, mib: u64) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("onsen-{mib}mib-v1.db"));
    if !path.exists() {
        eprintln!("generating {} …", path.display());
        let temp = dir.join(format!(".onsen-{mib}mib.building"));
        let _ = std::fs::remove_file(&temp);
        let mib = mib.to_string();
        let args: [&std::ffi::OsStr; 5] = [
            "bench".as_ref(),
            "--size-mb".as_ref(),
            mib.as_ref(),
            "--generate-only".as_ref(),
            temp.as_os_str(),
        ];
        let took = measure::run(xtask, &args, &dir.join("generate.log"))?;
        std::fs::rename(&temp, &path)?;
        eprintln!("generated in {:.1} s", took.seconds);
    }
    Ok(path)
}

/// The dev database of a benchmark root, where the library's layout puts it.
fn dev_database(root: &Path) -> PathBuf {
    Layout::new(root.to_path_buf()).database(Environment::Dev)
}

/// The folders each case works in, reset between runs.
struct Work {
    /// Root with `data/db/onsen.dev.db`: backup and verify.
    live: PathBuf,
    /// Root with the legacy `data/db/onsen.db`: the split.
    legacy: PathBuf,
    /// Where copies go (emptied after each run).
    out: PathBuf,
}

impl Work {
    fn new(dir: &Path, source: &Path) -> anyhow::Result<Work> {
        let live = dir.join("live");
        let legacy = dir.join("legacy");
        for root in [&live, &legacy] {
            std::fs::create_dir_all(Layout::new(root.clone()).database_dir())?;
            std::fs::write(root.join("Cargo.toml"), "# benchmark root\n")?;
        }
        let dev = dev_database(&live);
        let old = Layout::new(legacy.clone()).legacy_database();
        // Copied afresh each time: a copy left by a run of another size must not be measured.
        for target in [&dev, &old] {
            std::fs::copy(source, target)
                .with_context(|| format!("cannot copy to {}", target.display()))?;
        }
        let out = dir.join("out");
        let work = Work { live, legacy, out };
        work.reset()?;
        Ok(work)
    }

    /// Removes every copy a run made.
    fn reset(&self) -> anyhow::Result<()> {
        let _ = std::fs::remove_dir_all(&self.out);
        std::fs::create_dir_all(&self.out)?;
        let _ = std::fs::remove_dir_all(self.legacy.join("artifacts"));
        let layout = Layout::new(self.legacy.clone());
        for env in [Environment::Prod, Environment::Dev] {
            let _ = std::fs::remove_file(layout.database(env));
        }
        Ok(())
    }

    /// Reads the input of a case once, so that ours and the baseline both start with it in the
    /// page cache, whatever ran before (the split writes gigabytes, which evicts it).
    fn warm(&self, case: usize) -> anyhow::Result<()> {
        let input = match case {
            0 | 1 => self.dev(),
            _ => self.legacy_database(),
        };
        std::io::copy(&mut std::fs::File::open(&input)?, &mut std::io::sink())?;
        Ok(())
    }

    fn dev(&self) -> PathBuf {
        dev_database(&self.live)
    }

    fn legacy_database(&self) -> PathBuf {
        Layout::new(self.legacy.clone()).legacy_database()
    }

    fn ours(&self, case: usize, xtask: &Path, log: &Path) -> anyhow::Result<Sample> {
        let live = self.live.as_os_str();
        let args: Vec<&std::ffi::OsStr> = match case {
            0 => vec![
                "--root".as_ref(),
                live,
                "database".as_ref(),
                "backup".as_ref(),
                "--env".as_ref(),
                "dev".as_ref(),
                "--output".as_ref(),
                self.out.as_os_str(),
            ],
            1 => vec![
                "--root".as_ref(),
                live,
                "database".as_ref(),
                "verify".as_ref(),
                "--env".as_ref(),
                "dev".as_ref(),
            ],
            _ => vec![
                "--root".as_ref(),
                self.legacy.as_os_str(),
                "database".as_ref(),
                "migrate-to-envs".as_ref(),
                "--yes".as_ref(),
            ],
        };
        let sample = measure::run(xtask, &args, log)?;
        self.reset()?;
        Ok(sample)
    }

    /// Baseline `which` of case `case`.
    fn baseline(
        &self,
        case: usize,
        which: usize,
        xtask: &Path,
        log: &Path,
    ) -> anyhow::Result<Sample> {
        if (case, which) == (1, 0) {
            let dev = self.dev();
            let args: [&std::ffi::OsStr; 3] = [
                "bench".as_ref(),
                "--integrity-check-only".as_ref(),
                dev.as_os_str(),
            ];
            return measure::run(xtask, &args, log);
        }
        let legacy = self.legacy_database();
        let script = match case {
            0 => r#"cp "$1" "$2/copy.db" && sync"#,
            1 => r#"test "$(sqlite3 "$1" 'PRAGMA integrity_check')" = ok"#,
            _ => {
                r#"for n in 1 2 3; do sqlite3 "$3" ".backup '$2/copy$n.db'" || exit 1; done
                   for n in 1 2 3; do test "$(sqlite3 "$2/copy$n.db" 'PRAGMA integrity_check')" = ok || exit 1; done"#
            }
        };
        let dev = self.dev();
        let args: [&std::ffi::OsStr; 6] = [
            "-c".as_ref(),
            script.as_ref(),
            "sh".as_ref(),
            dev.as_os_str(),
            self.out.as_os_str(),
            legacy.as_os_str(),
        ];
        let sample = measure::run("sh", &args, log)?;
        self.reset()?;
        Ok(sample)
    }
}

fn report(cases: &[Case], small_peaks: &[u64], size_mb: u64) {
    println!();
    println!(
        "{:<26} {:>9} {:>10} {:>7} {:>7}  {:>14} {:>14}  baseline",
        "ours", "median s", "baseline s", "ratio", "target", "peak MiB", "peak at 16 MiB"
    );
    for (case, small_peak) in cases.iter().zip(small_peaks) {
        let ours = median_seconds(&case.ours);
        let peak = case.ours.iter().map(|s| s.peak_kib).max().unwrap_or(0);
        for baseline in &case.baselines {
            let theirs = median_seconds(&baseline.samples);
            let ratio = ours / theirs;
            let (target, verdict) = match baseline.target {
                Some(target) if ratio <= target => (format!("{target:.2}×"), "met"),
                Some(target) => (format!("{target:.2}×"), "MISSED"),
                None => ("-".to_string(), "reported"),
            };
            println!(
                "{:<26} {:>9.2} {:>10.2} {:>6.2}× {:>7}  {:>9.1} {:<4} {:>14.1}  {} ({verdict})",
                case.name,
                ours,
                theirs,
                ratio,
                target,
                peak as f64 / 1024.0,
                if peak <= 64 * 1024 { "ok" } else { "HIGH" },
                *small_peak as f64 / 1024.0,
                baseline.name
            );
        }
    }
    println!("\nsize {size_mb} MiB; peak memory target ≤ 64 MiB and flat in the database size");
}

/// The baseline of `verify`: the bundled SQLite's `PRAGMA integrity_check` alone, on the library's
/// read-only connection (its settings, a busy handler, foreign keys and sync, change nothing of a
/// read; cache and memory are SQLite's defaults); an error unless it answers `ok`.
fn integrity_check_only(path: &Path) -> anyhow::Result<()> {
    let conn = onsendo::access::db::connect(path, onsendo::access::db::Access::Read)?;
    let mut statement = conn.prepare("PRAGMA integrity_check")?;
    let lines = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    anyhow::ensure!(lines == ["ok"], "integrity_check: {}", lines.join("; "));
    Ok(())
}
