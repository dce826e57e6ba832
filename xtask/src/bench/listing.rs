//! `database backups` with 20 backups of the big database, whole process, against `ls -l` of the
//! same folder: the listing reads manifests and file sizes, never the files themselves.

use super::measure::{self, median_seconds};
use std::path::{Path, PathBuf};

/// How many backups the folder holds.
const BACKUPS: usize = 20;
/// The target from the issue, whole process.
const TARGET_MS: f64 = 100.0;

/// Builds (once) a root whose backup folder holds 20 backups of `big`, then times the listing.
pub fn run(xtask: &Path, dir: &Path, big: &Path, runs: usize) -> anyhow::Result<()> {
    let log = dir.join("last-command.log");
    let backups = folder_of_backups(xtask, dir, big, &log)?;
    let ours = [
        "--root".as_ref(),
        dir.as_os_str(),
        "database".as_ref(),
        "backups".as_ref(),
        "--env".as_ref(),
        "dev".as_ref(),
    ];
    let ls = ["-l".as_ref(), backups.as_os_str()];
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..runs.max(5) * 6 {
        for ours_turn in [round % 2 == 0, round % 2 != 0] {
            match ours_turn {
                true => mine.push(measure::run(xtask, &ours, &log)?),
                false => theirs.push(measure::run("ls", &ls, &log)?),
            }
        }
    }
    let (ours, baseline) = (
        median_seconds(&mine) * 1000.0,
        median_seconds(&theirs) * 1000.0,
    );
    let size = std::fs::metadata(big)?.len() as f64 / 1048576.0;
    println!(
        "\n{:<48} {:>10} {:>12} {:>7}  target",
        format!("database backups ({BACKUPS} backups of {size:.0} MiB)"),
        "median ms",
        "ls -l ms",
        "ratio"
    );
    println!(
        "{:<48} {ours:>10.1} {baseline:>12.1} {:>6.2}×  ≤ {TARGET_MS:.0} ms {}",
        "",
        ours / baseline,
        if ours <= TARGET_MS { "met" } else { "MISSED" }
    );
    println!("(one real backup and {} hard links to it, each with its own manifest: the listing reads only manifests and sizes, so it sees {BACKUPS} files of that size)", BACKUPS - 1);
    Ok(())
}

/// `DIR/artifacts/db/backups` with one real backup of `big` (made by our `database backup`)
/// and hard links to it under the names later backups would take, each with its manifest.
fn folder_of_backups(xtask: &Path, dir: &Path, big: &Path, log: &Path) -> anyhow::Result<PathBuf> {
    let layout = onsendo::selection::paths::Layout::new(dir.to_path_buf());
    let backups = layout.backup_dir();
    let first = backups.join("onsen_dev_20261201T000000Z.db");
    if !first.exists() {
        std::fs::create_dir_all(layout.database_dir())?;
        let live = super::dev_database(dir);
        if !live.exists() {
            std::fs::hard_link(big, &live).or_else(|_| std::fs::copy(big, &live).map(|_| ()))?;
        }
        let staging = dir.join("staging");
        let _ = std::fs::remove_dir_all(&staging);
        measure::run(
            xtask,
            &[
                "--root".as_ref(),
                dir.as_os_str(),
                "database".as_ref(),
                "backup".as_ref(),
                "--env".as_ref(),
                "dev".as_ref(),
                "--output".as_ref(),
                staging.as_os_str(),
            ],
            log,
        )?;
        let made = std::fs::read_dir(&staging)?
            .flatten()
            .map(|entry| entry.path())
            .find(|path| path.extension().is_some_and(|ext| ext == "db"))
            .ok_or_else(|| anyhow::anyhow!("the backup was not made"))?;
        std::fs::create_dir_all(&backups)?;
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(made.with_extension("json"))?)?;
        for n in (0..BACKUPS).rev() {
            let path = backups.join(format!("onsen_dev_20261201T0000{n:02}Z.db"));
            let mut own = manifest.clone();
            own["file"] = path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
                .into();
            std::fs::write(
                path.with_extension("json"),
                serde_json::to_vec_pretty(&own)?,
            )?;
            std::fs::hard_link(&made, &path)?;
        }
        std::fs::remove_dir_all(&staging)?;
    }
    Ok(backups)
}
