//! The ledger of applied migrations (table `onsendo_migrations`), kept beside `user_version`:
//! what ran, the checksums of its up.sql and down.sql, when, and how long it took.
//!
//! The down.sql checksum came later: an older ledger gains the column the next time it is written
//! (`ensure`), and its rows keep it empty: their down.sql is taken as it is, as the up.sql of a
//! row filled in for a database that predates the ledger is.

use crate::migrate::catalog::Migration;
use crate::shared::error::sqlite_error;
use crate::shared::error::Result;
use rusqlite::Connection;
use std::path::Path;

/// The ledger's table.
pub(crate) const TABLE: &str = "onsendo_migrations";

/// One applied migration, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its version.
    pub version: usize,
    /// Its folder's name when it was applied.
    pub name: String,
    /// The checksum of its SQL when it was applied (or filled in, or accepted).
    pub checksum: String,
    /// The checksum of its down.sql then; `None` when it had none, or the row predates the column.
    pub down_checksum: Option<String>,
    /// When it was applied, UTC; `None` when it was applied before the ledger existed.
    pub applied_at: Option<String>,
    /// How long it took, when known.
    pub duration_ms: Option<u64>,
    /// How the row came to be: `applied`, `filled` (from the files, for a database that predates
    /// the ledger) or `accepted` (an edited file accepted with `migrate --accept-edited`).
    pub how: String,
}

/// Reads the ledger, oldest first; `None` when the database has none yet.
pub fn read(conn: &Connection, path: &Path) -> Result<Option<Vec<Entry>>> {
    let cannot = |e| sqlite_error(path, "cannot read the migration ledger of", e);
    let exists: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
            [TABLE],
            |row| row.get(0),
        )
        .map_err(cannot)?;
    if !exists {
        return Ok(None);
    }
    let down = if has_down_checksum(conn).map_err(cannot)? {
        "down_checksum"
    } else {
        "NULL"
    };
    let mut statement = conn
        .prepare(&format!(
            "SELECT version, name, checksum, applied_at, duration_ms, how, {down} FROM {TABLE} ORDER BY version"
        ))
        .map_err(cannot)?;
    let rows = statement
        .query_map([], |row| {
            Ok(Entry {
                version: row.get::<_, i64>(0)? as usize,
                name: row.get(1)?,
                checksum: row.get(2)?,
                down_checksum: row.get(6)?,
                applied_at: row.get(3)?,
                duration_ms: row.get::<_, Option<i64>>(4)?.map(|ms| ms as u64),
                how: row.get(5)?,
            })
        })
        .map_err(cannot)?;
    rows.collect::<rusqlite::Result<_>>()
        .map(Some)
        .map_err(cannot)
}

/// Creates the ledger if the database has none, and fills in a row from the current files for
/// every version up to `version` that has none (a database that predates the ledger).
pub fn ensure(conn: &Connection, migrations: &[Migration], path: &Path) -> Result<usize> {
    let cannot = |e| sqlite_error(path, "cannot fill the migration ledger of", e);
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (
            version     INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            checksum    TEXT NOT NULL,
            applied_at  TEXT,
            duration_ms INTEGER,
            how         TEXT NOT NULL
        )"
    ))
    .map_err(cannot)?;
    upgrade(conn).map_err(cannot)?;
    let mut filled = 0;
    for migration in migrations {
        filled += conn
            .execute(
                &format!(
                    "INSERT OR IGNORE INTO {TABLE} (version, name, checksum, down_checksum, applied_at, duration_ms, how)
                     VALUES (?1, ?2, ?3, ?4, NULL, NULL, 'filled')"
                ),
                (
                    migration.version as i64,
                    &migration.name,
                    &migration.checksum,
                    &migration.down_checksum,
                ),
            )
            .map_err(cannot)?;
    }
    Ok(filled)
}

/// Adds the `down_checksum` column to a ledger made before it existed.
fn upgrade(conn: &Connection) -> rusqlite::Result<()> {
    if !has_down_checksum(conn)? {
        conn.execute_batch(&format!(
            "ALTER TABLE {TABLE} ADD COLUMN down_checksum TEXT"
        ))?;
    }
    Ok(())
}

/// Whether the ledger has the `down_checksum` column (added after the ledger itself).
fn has_down_checksum(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = 'down_checksum')",
        [TABLE],
        |row| row.get(0),
    )
}

/// Records `migration` as applied now, taking `duration_ms`.
pub(crate) fn record(
    conn: &Connection,
    migration: &Migration,
    duration_ms: u64,
    path: &Path,
) -> Result<()> {
    conn.execute(
        &format!(
            "INSERT OR REPLACE INTO {TABLE} (version, name, checksum, down_checksum, applied_at, duration_ms, how)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'applied')"
        ),
        (
            migration.version as i64,
            &migration.name,
            &migration.checksum,
            &migration.down_checksum,
            crate::shared::time::utc_now(),
            duration_ms as i64,
        ),
    )
    .map_err(|e| sqlite_error(path, "cannot record a migration in the ledger of", e))?;
    Ok(())
}

/// Replaces the recorded checksums of an edited migration with its files' current ones.
pub fn accept(conn: &Connection, migration: &Migration, path: &Path) -> Result<()> {
    let cannot = |e| sqlite_error(path, "cannot update the migration ledger of", e);
    upgrade(conn).map_err(cannot)?;
    conn.execute(
        &format!(
            "UPDATE {TABLE} SET name = ?2, checksum = ?3, down_checksum = ?4, how = 'accepted' WHERE version = ?1"
        ),
        (
            migration.version as i64,
            &migration.name,
            &migration.checksum,
            &migration.down_checksum,
        ),
    )
    .map_err(cannot)?;
    Ok(())
}

/// Removes the row of a migration that was rolled back.
pub(crate) fn forget(conn: &Connection, version: usize, path: &Path) -> Result<()> {
    conn.execute(
        &format!("DELETE FROM {TABLE} WHERE version = ?1"),
        [version as i64],
    )
    .map_err(|e| sqlite_error(path, "cannot update the migration ledger of", e))?;
    Ok(())
}
