//! The environment stamp each database carries inside itself (table `onsendo_meta`).

use crate::selection::config::DatabaseConfig;
use crate::selection::env::Environment;
use crate::selection::hint::Hint;
use crate::shared::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;

const STAMP_KEY: &str = "environment";

/// Reads the stamp; `None` when the database has none. `selected` is the configuration that
/// selected the file, when it was selected as a database, for the hint to re-stamp it.
pub(crate) fn read(
    conn: &Connection,
    path: &Path,
    selected: Option<&DatabaseConfig>,
) -> Result<Option<Environment>> {
    let cannot =
        |e| crate::shared::error::sqlite_error(path, "cannot read the environment stamp of", e);
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
                let next = match selected {
                    Some(config) => format!(
                        "re-stamp it with `{}`",
                        Hint::command(config, "database stamp")
                            .on_file()
                            .value("--env", config.env.map_or("NAME", Environment::name))
                    ),
                    None => "this tool did not write it; check where the file came from".into(),
                };
                Error::failed(format!(
                    "database `{}` carries an unknown environment stamp `{text}`; {next}",
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
    .map_err(|e| crate::shared::error::sqlite_error(path, "cannot stamp", e))?;
    Ok(())
}
