//! The environment stamp each database carries inside itself (table `onsendo_meta`).

use crate::env::Environment;
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;

const STAMP_KEY: &str = "environment";

/// Reads the stamp; `None` when the database has none.
pub fn read(conn: &Connection, path: &Path) -> Result<Option<Environment>> {
    let cannot = |e| crate::db::sqlite_error(path, "cannot read the environment stamp of", e);
    let has_table: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'onsendo_meta')",
            [],
            |row| row.get(0),
        )
        .map_err(cannot)?;
    if !has_table {
        return Ok(None);
    }
    let value: Option<String> = conn
        .query_row(
            "SELECT value FROM onsendo_meta WHERE key = ?1",
            [STAMP_KEY],
            |row| row.get(0),
        )
        .optional()
        .map_err(cannot)?;
    value
        .map(|text| {
            Environment::parse(&text, "the stamp").map_err(|_| {
                Error::failed(format!(
                    "database `{}` carries an unknown environment stamp `{text}`; re-stamp it with `cargo xtask database stamp --env NAME --database {}`",
                    path.display(),
                    path.display()
                ))
            })
        })
        .transpose()
}

/// Writes the stamp (creating the metadata table if the database predates it).
pub fn write(conn: &Connection, env: Environment, path: &Path) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS onsendo_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID",
    )
    .and_then(|()| {
        conn.execute(
            "INSERT INTO onsendo_meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [STAMP_KEY, env.name()],
        )
    })
    .map_err(|e| crate::db::sqlite_error(path, "cannot stamp", e))?;
    Ok(())
}
