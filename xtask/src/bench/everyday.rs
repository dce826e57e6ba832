//! The everyday commands, whole processes: `database status` and `database doctor` on a small
//! database at head with 51 migrations, and `database status` (its drift comparison included) on
//! the big generated database, against `sqlite3 db "PRAGMA user_version"` on the same file; and
//! `database migrate` applying 50 migrations to a database of about 100k visits (with its backup),
//! against the same SQL fed to `sqlite3` in one transaction.

use super::measure::{self, median_seconds, Sample};
use std::path::{Path, PathBuf};

/// Migrations generated on top of the repository's `01-initial`.
const GENERATED: usize = 50;
/// The status target from the issue: at most this many times `sqlite3 PRAGMA user_version`.
const STATUS_TARGET: f64 = 2.0;
/// The migrate target from the issue: at most this many times the same SQL fed to `sqlite3`.
const MIGRATE_TARGET: f64 = 1.0;

/// Runs the everyday cases and prints their table.
/// `big` is the big generated database (at version 1, no stamp), for `status` at that size.
pub fn run(
    xtask: &Path,
    dir: &Path,
    hundred_k: &Path,
    big: &Path,
    runs: usize,
) -> anyhow::Result<()> {
    let log = dir.join("last-command.log");
    let at_head = root_with_migrations(&dir.join("at-head"))?;
    let db = super::dev_database(&at_head);
    if !db.exists() {
        measure::run(
            xtask,
            &[
                arg("--root"),
                at_head.as_os_str(),
                arg("database"),
                arg("init"),
                arg("--env"),
                arg("dev"),
            ],
            &log,
        )?;
    }
    let status = [
        arg("--root"),
        at_head.as_os_str(),
        arg("database"),
        arg("status"),
        arg("--env"),
        arg("dev"),
        arg("--check"),
    ];
    let doctor = [
        arg("--root"),
        at_head.as_os_str(),
        arg("database"),
        arg("doctor"),
        arg("--env"),
        arg("dev"),
    ];
    let user_version = [db.as_os_str(), arg("PRAGMA user_version")];
    let big_root = dir.join("status-big");
    let big_db = super::dev_database(&big_root);
    if !big_db.exists() {
        std::fs::create_dir_all(onsendo::shared::durable::folder_of(&big_db))?;
        std::fs::hard_link(big, &big_db).or_else(|_| std::fs::copy(big, &big_db).map(drop))?;
    }
    let big_status = [
        arg("--root"),
        big_root.as_os_str(),
        arg("database"),
        arg("status"),
        arg("--env"),
        arg("dev"),
        arg("--check"),
    ];
    let big_version = [big_db.as_os_str(), arg("PRAGMA user_version")];
    let size = std::fs::metadata(&big_db)?.len() as f64 / 1_048_576.0;
    let big_name = format!("database status, drift compared ({size:.0} MiB)");
    let quick_runs = runs.max(5) * 6;
    let mut rows = Vec::new();
    for (name, ours, baseline) in [
        (
            "database status (51 migrations)",
            &status[..],
            &user_version,
        ),
        (
            "database doctor (51 migrations)",
            &doctor[..],
            &user_version,
        ),
        (big_name.as_str(), &big_status[..], &big_version),
    ] {
        let (mut mine, mut theirs) = (Vec::new(), Vec::new());
        for round in 0..quick_runs {
            for ours_turn in [round % 2 == 0, round % 2 != 0] {
                if ours_turn {
                    mine.push(measure::run(xtask, ours, &log)?);
                } else {
                    theirs.push(measure::run("sqlite3", baseline, &log)?);
                }
            }
        }
        rows.push((name, mine, "sqlite3 db \"PRAGMA user_version\"", theirs));
    }

    let migrating = root_with_migrations(&dir.join("migrate"))?;
    let live = super::dev_database(&migrating);
    let script = dir.join("fifty.sql");
    std::fs::write(&script, by_hand_script(&migrating.join("migrations"))?)?;
    let migrate = [
        arg("--root"),
        migrating.as_os_str(),
        arg("database"),
        arg("migrate"),
        arg("--env"),
        arg("dev"),
    ];
    let sh_args = [
        arg("-c"),
        arg(r#"sqlite3 "$1" < "$2""#),
        arg("sh"),
        live.as_os_str(),
        script.as_os_str(),
    ];
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..runs {
        for ours_turn in [round % 2 == 0, round % 2 != 0] {
            reset(&migrating, hundred_k)?;
            if ours_turn {
                mine.push(measure::run(xtask, &migrate, &log)?);
            } else {
                theirs.push(measure::run("sh", &sh_args, &log)?);
            }
        }
    }
    let visits = onsendo::access::db::connect(hundred_k, onsendo::access::db::Access::Read)?
        .query_row("SELECT count(*) FROM visits", [], |r| r.get::<_, i64>(0))?;
    rows.push((
        "database migrate (50 on 100k rows, with backup)",
        mine,
        "the same SQL via sqlite3, one transaction",
        theirs,
    ));
    report(&rows, visits);
    Ok(())
}

fn arg(text: &str) -> &std::ffi::OsStr {
    text.as_ref()
}

/// A root holding `migrations/` with the repository's migrations, 50 generated ones and their
/// `schema.sql`.
fn root_with_migrations(root: &Path) -> anyhow::Result<PathBuf> {
    let folder = root.join("migrations");
    std::fs::create_dir_all(
        onsendo::selection::paths::Layout::new(root.to_path_buf()).database_dir(),
    )?;
    for migration in &onsendo::migrate::Catalog::built_in().migrations {
        write_migration(
            &folder,
            &migration.name,
            &migration.up,
            migration.down.as_deref().unwrap_or(""),
        )?;
    }
    let first = onsendo::migrate::Catalog::built_in().head() + 1;
    for version in first..first + GENERATED {
        let (up, down) = generated(version);
        write_migration(
            &folder,
            &format!("{version:02}-generated-{version}"),
            &up,
            &down,
        )?;
    }
    // Its committed schema, as `database new` and `migrate` on dev keep it in a repository.
    onsendo::checks::schema::keep_current(&onsendo::migrate::Catalog::from_folder(&folder)?)?;
    Ok(root.to_path_buf())
}

fn write_migration(folder: &Path, name: &str, up: &str, down: &str) -> anyhow::Result<()> {
    let dir = folder.join(name);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("up.sql"), up)?;
    std::fs::write(dir.join("down.sql"), down)?;
    Ok(())
}

/// A realistic mix: new columns, back-fills, indexes over the visits, new tables.
fn generated(version: usize) -> (String, String) {
    match version % 4 {
        0 => (
            format!("ALTER TABLE visits ADD COLUMN extra_{version} INTEGER;\n"),
            format!("ALTER TABLE visits DROP COLUMN extra_{version};\n"),
        ),
        1 => (
            format!("UPDATE visits SET extra_{} = id % 7 WHERE id % 3 = 0;\n", version - 1),
            String::new(),
        ),
        2 => (
            format!("CREATE INDEX visits_by_fee_{version} ON visits (entry_fee_yen, stay_minutes);\n"),
            format!("DROP INDEX visits_by_fee_{version};\n"),
        ),
        _ => (
            format!("CREATE TABLE notes_{version} (id INTEGER PRIMARY KEY, visit_id INTEGER NOT NULL REFERENCES visits (id), text TEXT NOT NULL);\n"),
            format!("DROP TABLE notes_{version};\n"),
        ),
    }
}

/// The baseline: every pending `up.sql` and the version bump, in one transaction.
fn by_hand_script(folder: &Path) -> anyhow::Result<String> {
    let catalog = onsendo::migrate::Catalog::from_folder(folder)?;
    let mut script = String::from("BEGIN;\n");
    for migration in &catalog.migrations[1..] {
        script.push_str(&migration.up);
    }
    script.push_str(&format!(
        "PRAGMA user_version = {};\nCOMMIT;\n",
        catalog.head()
    ));
    Ok(script)
}

/// Puts a fresh copy of the 100k-visit database (at version 1) in place, without backups.
fn reset(root: &Path, source: &Path) -> anyhow::Result<()> {
    let _ = std::fs::remove_dir_all(root.join("artifacts"));
    std::fs::copy(source, super::dev_database(root))?;
    Ok(())
}

fn report(rows: &[(&str, Vec<Sample>, &str, Vec<Sample>)], visits: i64) {
    println!();
    println!(
        "{:<48} {:>10} {:>12} {:>7}  baseline",
        "everyday commands", "median ms", "baseline ms", "ratio"
    );
    for (name, ours, baseline, theirs) in rows {
        let ours = median_seconds(ours) * 1000.0;
        let theirs_ms = median_seconds(theirs) * 1000.0;
        let ratio = ours / theirs_ms;
        let target = if name.starts_with("database status") {
            Some(STATUS_TARGET)
        } else if name.starts_with("database migrate") {
            Some(MIGRATE_TARGET)
        } else {
            None
        };
        let verdict = match target {
            Some(target) if ratio <= target => format!(" (target ≤ {target}×: met)"),
            Some(target) => format!(" (target ≤ {target}×: MISSED)"),
            None => String::new(),
        };
        println!("{name:<48} {ours:>10.1} {theirs_ms:>12.1} {ratio:>6.2}×  {baseline}{verdict}");
    }
    println!(
        "\nthe migrate case's database holds {visits} visits; each run starts from a fresh copy"
    );
}
