//! Schema migrations: the code's catalog, the ledger of what a database has applied, where a
//! database stands, the runner, and the lint for destructive statements.
//!
//! The schema version is `PRAGMA user_version` (as rusqlite_migration keeps it); the ledger
//! beside it records names, checksums and times, so an edited migration is caught.

pub mod catalog;
pub mod ledger;
pub mod runner;
pub mod state;

pub use catalog::{Catalog, Migration, Source};
pub use state::{Mark, State};

use crate::db::sqlite_error;
use crate::error::Result;
use rusqlite::Connection;
use std::path::Path;

/// The schema version of a database (`PRAGMA user_version`).
pub fn current(conn: &Connection, path: &Path) -> Result<usize> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| sqlite_error(path, "cannot read the schema version of", e))?;
    Ok(usize::try_from(version).unwrap_or(0))
}

/// Where a database stands against `catalog`.
pub fn state(conn: &Connection, catalog: &Catalog, path: &Path) -> Result<State> {
    let version = current(conn, path)?;
    let ledger = ledger::read(conn, path)?;
    Ok(State::compare(catalog, version, &ledger))
}
