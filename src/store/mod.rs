//! The app's data: onsens, locations and visits, read and written through a connection that the
//! session opened.

pub mod exchange;
pub mod locations;
pub mod onsens;
pub mod stats;
pub mod visits;

use crate::error::{Error, Result};
use rusqlite::Connection;

/// Fails with a usage error unless `table` has a row with `id`.
fn require_row(conn: &Connection, table: &str, id: i64, hint: &str) -> Result<()> {
    let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)");
    let found: bool = conn
        .query_row(&sql, [id], |row| row.get(0))
        .map_err(|e| query_failed(table, e))?;
    if found {
        Ok(())
    } else {
        let noun = table.trim_end_matches('s');
        Err(Error::usage(format!("no {noun} with id {id}; {hint}")))
    }
}

fn query_failed(table: &str, error: rusqlite::Error) -> Error {
    Error::failed(format!("cannot read {table}")).because(error)
}
