//! Applies and undoes migrations inside the caller's transaction: every step's SQL through the
//! statement gate first, then each step's SQL, its ledger row, then `user_version`, and a
//! foreign-key check before the caller commits.
//!
//! A file marked with [`FOREIGN_KEYS_OFF`] runs with foreign keys off (SQLite's procedure for a
//! table rebuild): the caller turns them off before its transaction when
//! [`needs_foreign_keys_off`] says so, for the whole run, and the check before the commit
//! (`PRAGMA foreign_key_check`) is then what keeps the references whole.

use crate::migrate::catalog::{self, Catalog, Migration, Source, FOREIGN_KEYS_OFF};
use crate::migrate::ledger;
use crate::migrate::statements::{self, Mode};
use crate::shared::error::sqlite_error;
use crate::shared::error::{Error, Result};
use rusqlite::Connection;
use std::path::Path;
use std::time::Instant;

/// One migration run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Its version.
    pub version: usize,
    /// Its name.
    pub name: String,
    /// How long its SQL took.
    pub duration_ms: u64,
    /// Rows inserted, updated or deleted by it.
    pub rows_changed: u64,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The steps, in the order they ran.
    pub steps: Vec<Step>,
    /// Schema objects added (`+ table notes`), removed (`- index visits_by_date`) or changed
    /// (`~ table visits`).
    pub schema_changes: Vec<String>,
}

/// Which way a run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// Applies the migrations after `from` up to `to`, recording each in the ledger (which is
/// created, and filled for the versions up to `from`, first).
pub fn up(
    conn: &Connection,
    catalog: &Catalog,
    from: usize,
    to: usize,
    path: &Path,
) -> Result<Outcome> {
    gate(catalog, from, to)?;
    ledger::ensure(conn, catalog.between(0, from), path)?;
    run(
        conn,
        catalog,
        catalog.between(from, to),
        Direction::Up,
        to,
        path,
    )
}

/// Undoes the migrations from `from` down to `to` (exclusive), newest first, with their
/// `down.sql`. Refused before anything runs when one has none.
pub fn down(
    conn: &Connection,
    catalog: &Catalog,
    from: usize,
    to: usize,
    path: &Path,
) -> Result<Outcome> {
    let steps: Vec<Migration> = catalog.between(to, from).iter().rev().cloned().collect();
    if let Some(missing) = without_down(&steps).first() {
        return Err(Error::failed(format!(
            "cannot roll back {}: it has no down.sql; write {}, or restore a backup instead",
            missing.name,
            file_of(catalog, missing, "down.sql")
        )));
    }
    gate(catalog, from, to)?;
    ledger::ensure(conn, catalog.between(0, from), path)?;
    run(conn, catalog, &steps, Direction::Down, to, path)
}

/// Passes the SQL a run from version `from` to `to` would use (the up.sql of each migration
/// going up, the down.sql going down) through the statement gate, before anything runs: a
/// migration runs inside the tool's own transaction, which none of its statements may end.
pub fn gate(catalog: &Catalog, from: usize, to: usize) -> Result<()> {
    let (steps, file) = if to >= from {
        (catalog.between(from, to), "up.sql")
    } else {
        (catalog.between(to, from), "down.sql")
    };
    for migration in steps {
        let sql = if to >= from {
            migration.up.as_str()
        } else {
            migration.down.as_deref().unwrap_or_default()
        };
        statements::gate(sql).map_err(|refusal| {
            Error::refused(format!(
                "migration {}: {refusal}; nothing ran; remove it from the file and re-run",
                file_of(catalog, migration, file)
            ))
        })?;
    }
    Ok(())
}

/// Whether a run from version `from` to `to` must have foreign keys off: one of its files (the
/// up.sql of each migration going up, the down.sql going down) carries [`FOREIGN_KEYS_OFF`].
pub fn needs_foreign_keys_off(catalog: &Catalog, from: usize, to: usize) -> bool {
    let direction = if to >= from {
        Direction::Up
    } else {
        Direction::Down
    };
    catalog
        .between(from.min(to), from.max(to))
        .iter()
        .any(|m| marked_off(m, direction))
}

/// Whether the file of `migration` that runs going `direction` carries [`FOREIGN_KEYS_OFF`].
fn marked_off(migration: &Migration, direction: Direction) -> bool {
    match direction {
        Direction::Up => catalog::needs_foreign_keys_off(&migration.up),
        Direction::Down => migration
            .down
            .as_deref()
            .is_some_and(catalog::needs_foreign_keys_off),
    }
}

/// The migrations among `steps` that cannot be undone.
pub fn without_down(steps: &[Migration]) -> Vec<&Migration> {
    steps.iter().filter(|m| m.down.is_none()).collect()
}

fn run(
    conn: &Connection,
    catalog: &Catalog,
    steps: &[Migration],
    direction: Direction,
    to: usize,
    path: &Path,
) -> Result<Outcome> {
    let schema_before = schema(conn, path)?;
    let keys_off = steps.iter().find(|m| marked_off(m, direction));
    if let Some(marked) = keys_off {
        if foreign_keys_on(conn, path)? {
            return Err(Error::failed(format!(
                "migration {} needs foreign keys off (it is marked `-- {FOREIGN_KEYS_OFF}`), but they are on in this transaction; nothing ran",
                marked.name
            )));
        }
    }
    let violations_before = foreign_key_violations(conn, path)?;
    let mut done = Vec::with_capacity(steps.len());
    for migration in steps {
        let (sql, file) = match direction {
            Direction::Up => (migration.up.as_str(), "up.sql"),
            Direction::Down => (migration.down.as_deref().unwrap_or_default(), "down.sql"),
        };
        let started = Instant::now();
        let changes_before = conn.total_changes();
        statements::execute(conn, sql, Mode::Write, path).map_err(|e| {
            let undone = if conn.is_autocommit() {
                "its transaction ended early, so what ran before the failure may be committed; compare the database with the backup"
            } else {
                "nothing was changed"
            };
            Error::failed(format!(
                "migration {} failed; {undone}; fix the SQL and re-run",
                file_of(catalog, migration, file),
            ))
            .because(e)
        })?;
        let step = Step {
            version: migration.version,
            name: migration.name.clone(),
            duration_ms: started.elapsed().as_millis() as u64,
            rows_changed: conn.total_changes() - changes_before,
        };
        match direction {
            Direction::Up => ledger::record(conn, migration, step.duration_ms, path)?,
            Direction::Down => ledger::forget(conn, migration.version, path)?,
        }
        done.push(step);
    }
    conn.pragma_update(None, "user_version", to as i64)
        .map_err(|e| sqlite_error(path, "cannot set the schema version of", e))?;
    let violations_after = foreign_key_violations(conn, path)?;
    if violations_after.len() > violations_before.len() {
        let mut new = violations_after.clone();
        for old in &violations_before {
            if let Some(at) = new.iter().position(|v| v == old) {
                new.remove(at);
            }
        }
        let off = keys_off.map_or(String::new(), |marked| format!(
            " (foreign keys were off for the run, as {} asks, so no ON DELETE or ON UPDATE action ran in it)",
            marked.name
        ));
        return Err(Error::failed(format!(
            "the migrations leave `{}` with {} (it had {}){off}: {}; nothing was changed; fix the SQL and re-run",
            path.display(),
            crate::ui::counted(violations_after.len(), "foreign key violation"),
            violations_before.len(),
            crate::ui::at_most(&new).join(", ")
        )));
    }
    let schema_after = schema(conn, path)?;
    Ok(Outcome {
        steps: done,
        schema_changes: compare_schema(&schema_before, &schema_after),
    })
}

/// Where a migration's file is, for messages: its path on disk, or `NN-name/file` when built in.
pub fn file_of(catalog: &Catalog, migration: &Migration, file: &str) -> String {
    match &catalog.source {
        Source::Folder(folder) => {
            format!("`{}`", folder.join(&migration.name).join(file).display())
        }
        Source::BuiltIn => format!("`{}/{file}`", migration.name),
    }
}

/// `(type, name, sql)` of every schema object, by name.
fn schema(conn: &Connection, path: &Path) -> Result<Vec<(String, String, String)>> {
    let cannot = |e| sqlite_error(path, "cannot read the schema of", e);
    let mut statement = conn
        .prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
        .map_err(cannot)?;
    let rows = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .map_err(cannot)?;
    rows.collect::<rusqlite::Result<_>>().map_err(cannot)
}

fn compare_schema(
    before: &[(String, String, String)],
    after: &[(String, String, String)],
) -> Vec<String> {
    let find = |list: &[(String, String, String)], name: &str| {
        list.iter().find(|(_, n, _)| n == name).cloned()
    };
    let mut changes = Vec::new();
    for (kind, name, sql) in after {
        match find(before, name) {
            None => changes.push(format!("+ {kind} {name}")),
            Some((_, _, old)) if old != *sql => changes.push(format!("~ {kind} {name}")),
            Some(_) => {}
        }
    }
    for (kind, name, _) in before {
        if find(after, name).is_none() {
            changes.push(format!("- {kind} {name}"));
        }
    }
    changes
}

/// What `PRAGMA foreign_key_check` reports, one `visits row 3 → onsens` a violation.
fn foreign_key_violations(conn: &Connection, path: &Path) -> Result<Vec<String>> {
    let cannot = |e| sqlite_error(path, "cannot check the foreign keys of", e);
    let mut statement = conn
        .prepare("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
        .map_err(cannot)?;
    let rows = statement
        .query_map([], |row| {
            let table: String = row.get(0)?;
            let rowid: Option<i64> = row.get(1)?;
            let parent: String = row.get(2)?;
            Ok(match rowid {
                Some(rowid) => format!("{table} row {rowid} → {parent}"),
                None => format!("{table} (a row without rowid) → {parent}"),
            })
        })
        .map_err(cannot)?;
    rows.collect::<rusqlite::Result<_>>().map_err(cannot)
}

/// Whether foreign keys are enforced on `conn`.
fn foreign_keys_on(conn: &Connection, path: &Path) -> Result<bool> {
    conn.query_row("PRAGMA foreign_keys", [], |row| row.get(0))
        .map_err(|e| sqlite_error(path, "cannot read the foreign-key setting of", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::catalog::checksum;

    fn migration(version: usize, up: &str, down: Option<&str>) -> Migration {
        Migration {
            version,
            name: format!("{version:02}-m{version}"),
            up: up.into(),
            down: down.map(Into::into),
            checksum: checksum(up),
            down_checksum: down.map(checksum),
        }
    }

    fn catalog() -> Catalog {
        Catalog {
            source: Source::BuiltIn,
            migrations: vec![
                migration(
                    1,
                    "CREATE TABLE a (x); INSERT INTO a VALUES (1), (2);",
                    Some("DROP TABLE a;"),
                ),
                migration(
                    2,
                    "CREATE TABLE b (y); DELETE FROM a WHERE x = 2;",
                    Some("DROP TABLE b;"),
                ),
                migration(3, "CREATE INDEX a_x ON a (x);", None),
            ],
        }
    }

    fn version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn up_and_down_keep_the_ledger_and_version() {
        let conn = Connection::open_in_memory().unwrap();
        let here = Path::new(":memory:");
        let outcome = up(&conn, &catalog(), 0, 2, here).unwrap();
        assert_eq!(
            outcome
                .steps
                .iter()
                .map(|s| s.rows_changed)
                .collect::<Vec<_>>(),
            [2, 1]
        );
        assert_eq!(outcome.schema_changes, ["+ table a", "+ table b"]);
        assert_eq!(version(&conn), 2);
        assert_eq!(
            ledger::read(&conn, here).unwrap().unwrap_or_default().len(),
            2
        );

        let err = down(&conn, &catalog(), 3, 1, here).unwrap_err();
        assert!(
            err.to_string()
                .contains("cannot roll back 03-m3: it has no down.sql"),
            "{err}"
        );
        let outcome = down(&conn, &catalog(), 2, 0, here).unwrap();
        assert_eq!(
            outcome.steps.iter().map(|s| s.version).collect::<Vec<_>>(),
            [2, 1]
        );
        assert_eq!(outcome.schema_changes, ["- table a", "- table b"]);
        assert_eq!(version(&conn), 0);
        assert!(ledger::read(&conn, here)
            .unwrap()
            .unwrap_or_default()
            .is_empty());
    }

    #[test]
    fn a_failing_step_names_its_file_and_statement() {
        let mut conn = Connection::open_in_memory().unwrap();
        let mut broken = catalog();
        broken.migrations[1].up = "CREATE TABLE b (y);\n\nINSERT INTO nowhere VALUES (1);".into();
        let tx = conn.transaction().unwrap();
        let err = up(&tx, &broken, 0, 3, Path::new(":memory:")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "migration `02-m2/up.sql` failed; nothing was changed; fix the SQL and re-run"
        );
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert_eq!(cause, "statement 2 (line 3) failed on `:memory:`");
        let sqlite = std::error::Error::source(std::error::Error::source(&err).unwrap());
        assert!(
            sqlite
                .unwrap()
                .to_string()
                .contains("no such table: nowhere"),
            "{sqlite:?}"
        );
    }

    #[test]
    fn a_step_that_would_end_the_transaction_is_refused_before_anything_runs() {
        let conn = Connection::open_in_memory().unwrap();
        let here = Path::new(":memory:");
        let mut broken = catalog();
        broken.migrations[2].up = "CREATE INDEX a_x ON a (x);\n  COMMIT;".into();
        let err = up(&conn, &broken, 0, 3, here).unwrap_err();
        assert_eq!(err.kind(), crate::Kind::Refused);
        assert!(
            err.to_string().starts_with(
                "migration `03-m3/up.sql`: statement 2 (`COMMIT`, line 2) is not allowed"
            ),
            "{err}"
        );
        assert_eq!(version(&conn), 0);
        assert!(
            ledger::read(&conn, here)
                .unwrap()
                .unwrap_or_default()
                .is_empty(),
            "nothing ran"
        );
        broken.migrations[0].down = Some("DROP TABLE a; VACUUM;".into());
        up(&conn, &catalog(), 0, 1, here).unwrap();
        let err = down(&conn, &broken, 1, 0, here).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("migration `01-m1/down.sql`: statement 2 (`VACUUM`, line 1)"),
            "{err}"
        );
        assert_eq!(version(&conn), 1);
    }

    #[test]
    fn a_database_that_predates_the_ledger_gets_it_filled() {
        let conn = Connection::open_in_memory().unwrap();
        let here = Path::new(":memory:");
        conn.execute_batch(&catalog().migrations[0].up).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        up(&conn, &catalog(), 1, 2, here).unwrap();
        let rows = ledger::read(&conn, here).unwrap().unwrap_or_default();
        assert_eq!(
            (rows[0].how.as_str(), rows[0].applied_at.is_none()),
            ("filled", true)
        );
        assert_eq!(rows[1].how, "applied");
    }
}
