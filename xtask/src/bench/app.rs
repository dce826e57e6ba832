//! The app's reads on the big database, whole processes of the release `onsendo`: the first page
//! of `visit list` (plain, `--since`, `--onsen`), `stats` and `visit export`, each against the
//! `sqlite3` CLI running the same SQL on the same file in the same run, alternating; medians,
//! ratios, and peak memory at that size and at 16 MiB.

use super::measure::{self, median_seconds, Sample};
use std::ffi::OsString;
use std::path::Path;

/// Whole-process target of a first page, in milliseconds.
const PAGE_TARGET_MS: f64 = 30.0;
/// Peak memory target of every app command, in MiB.
const PEAK_TARGET_MIB: f64 = 32.0;

/// The columns `visit list` reads.
const LIST: &str =
    "SELECT v.id, v.onsen_id, o.name, v.visited_at, v.entry_fee_yen, v.stay_minutes, \
     v.personal_rating, v.notes FROM visits v JOIN onsens o ON o.id = v.onsen_id";

/// The aggregate queries `stats` runs (all visits, the five favourites).
const STATS: &str = "SELECT count(*), count(DISTINCT v.onsen_id), avg(v.personal_rating), \
     CAST(total(v.entry_fee_yen) AS INTEGER) FROM visits v; \
     SELECT substr(v.visited_at, 1, 7) AS month, count(*), avg(v.personal_rating) FROM visits v \
     GROUP BY month ORDER BY month; \
     SELECT o.id, o.name, count(*) AS n, avg(v.personal_rating) AS rating FROM visits v \
     JOIN onsens o ON o.id = v.onsen_id GROUP BY o.id ORDER BY n DESC, rating DESC, o.name LIMIT 5;";

/// What `visit export` reads.
const EXPORT: &str = "SELECT v.visited_at, o.ban_number, o.name, v.personal_rating, v.entry_fee_yen, \
     v.stay_minutes, v.notes FROM visits v JOIN onsens o ON o.id = v.onsen_id ORDER BY v.visited_at, v.id";

/// One case: our command's arguments after `--database DB`, the baseline's SQL, how `sqlite3`
/// prints it, and the target (`Some(ms)` absolute for ours, or a ratio).
struct Case {
    name: String,
    ours: Vec<String>,
    sql: String,
    csv: bool,
    target: Target,
}

enum Target {
    Milliseconds(f64),
    Ratio(f64),
}

/// Runs the app cases on `big` (and their peak memory on `small`) and prints their table.
pub fn run(
    onsendo: &Path,
    dir: &Path,
    big: &Path,
    small: &Path,
    runs: usize,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let log = dir.join("last-command.log");
    let conn = onsendo::access::db::connect(big, onsendo::access::db::Access::Read)?;
    let (visits, newest): (i64, String) =
        conn.query_row("SELECT count(*), max(visited_at) FROM visits", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    drop(conn);
    let page = |name: &str, args: &[&str], condition: &str| Case {
        name: name.to_string(),
        ours: ["visit", "list"]
            .iter()
            .chain(args)
            .map(ToString::to_string)
            .collect(),
        sql: format!("{LIST}{condition} ORDER BY v.visited_at DESC, v.id DESC LIMIT 50"),
        csv: false,
        target: Target::Milliseconds(PAGE_TARGET_MS),
    };
    let cases = [
        page("visit list (first page)", &[], ""),
        page(
            &format!("visit list --since {newest}"),
            &["--since", &newest],
            &format!(" WHERE v.visited_at >= '{newest}'"),
        ),
        page(
            "visit list --onsen 1",
            &["--onsen", "1"],
            " WHERE v.onsen_id = 1",
        ),
        Case {
            name: "stats".into(),
            ours: vec!["stats".into()],
            sql: STATS.into(),
            csv: false,
            target: Target::Ratio(1.2),
        },
        Case {
            name: "visit export (all, CSV)".into(),
            ours: vec!["visit".into(), "export".into()],
            sql: EXPORT.into(),
            csv: true,
            target: Target::Ratio(1.5),
        },
    ];
    println!(
        "\napp reads on {} ({visits} visits), {runs} runs each (first pages: {} runs), alternating with sqlite3",
        big.display(),
        runs * 6
    );
    println!(
        "{:<34} {:>10} {:>12} {:>7}  {:>10}  {:>9} {:>14}",
        "ours", "median ms", "sqlite3 ms", "ratio", "target", "peak MiB", "peak at 16 MiB"
    );
    for case in &cases {
        let rounds = match case.target {
            Target::Milliseconds(_) => runs * 6,
            Target::Ratio(_) => runs,
        };
        let (mut mine, mut theirs) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            for ours_turn in [round % 2 == 0, round % 2 != 0] {
                if ours_turn {
                    mine.push(measure::run(onsendo, &ours_args(dir, big, case), &log)?);
                } else {
                    theirs.push(measure::run("sqlite3", &sqlite_args(big, case), &log)?);
                }
            }
        }
        let small_peak = measure::run(onsendo, &ours_args(dir, small, case), &log)?.peak_kib;
        report(case, &mine, &theirs, small_peak);
    }
    println!("peak memory target ≤ {PEAK_TARGET_MIB} MiB, the same as at 16 MiB");
    Ok(())
}

/// `onsendo --root DIR --database DB ARGS…`: the bench folder as the root (no `migrations/`
/// there, so the built-in ones, which made the database, are the code's).
fn ours_args(dir: &Path, db: &Path, case: &Case) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["--root".into(), dir.into(), "--database".into(), db.into()];
    args.extend(case.ours.iter().map(OsString::from));
    args
}

fn sqlite_args(db: &Path, case: &Case) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    if case.csv {
        args.extend(["-csv".into(), "-header".into()]);
    }
    args.extend([db.into(), case.sql.clone().into()]);
    args
}

fn report(case: &Case, mine: &[Sample], theirs: &[Sample], small_peak_kib: u64) {
    let (ours, baseline) = (
        median_seconds(mine) * 1000.0,
        median_seconds(theirs) * 1000.0,
    );
    let ratio = ours / baseline;
    let (target, met) = match case.target {
        Target::Milliseconds(limit) => (format!("≤ {limit:.0} ms"), ours <= limit),
        Target::Ratio(limit) => (format!("≤ {limit:.1}×"), ratio <= limit),
    };
    let peak = mine.iter().map(|s| s.peak_kib).max().unwrap_or(0) as f64 / 1024.0;
    let small = small_peak_kib as f64 / 1024.0;
    let memory = if peak <= PEAK_TARGET_MIB && peak <= small * 1.25 + 1.0 {
        "ok"
    } else {
        "HIGH"
    };
    println!(
        "{:<34} {ours:>10.1} {baseline:>12.1} {ratio:>6.2}×  {target:>10} {} {peak:>6.1} {memory:<4} {small:>9.1}",
        case.name,
        if met { "met   " } else { "MISSED" },
    );
}
