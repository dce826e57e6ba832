//! Emptying a throwaway database back to a fresh one (`database reset`): every table, view and
//! trigger dropped, then the schema rebuilt to head, stamped and seeded — all in one transaction,
//! so a failure leaves the database as it was.

use crate::access::db::Database;
use crate::access::stamp;
use crate::data::seed;
use crate::migrate::{runner, Catalog};
use crate::selection::env::Environment;
use crate::shared::error::sqlite_error;
use crate::shared::error::Result;
use rusqlite::Connection;
use std::path::Path;

/// What a reset left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// Tables dropped (views and triggers not counted).
    pub dropped_tables: usize,
    /// The schema version after the rebuild.
    pub version: usize,
    /// Reference rows loaded.
    pub seeded: usize,
}

/// Drops everything in `db` and rebuilds it to `catalog`'s head, stamped `stamp` (none for a
/// custom file that had none) and seeded. Foreign keys are off for the transaction (dropping a
/// parent table before its children would fail) and on again after it, whatever happened.
pub fn rebuild(
    db: &mut Database,
    catalog: &Catalog,
    stamp: Option<Environment>,
) -> Result<Rebuilt> {
    let path = db.path().to_path_buf();
    set_foreign_keys(db.conn(), false, &path)?;
    let result = db.write(|tx| {
        let dropped_tables = drop_everything(tx, &path)?;
        runner::up(tx, catalog, 0, catalog.head(), &path)?;
        if let Some(env) = stamp {
            stamp::write(tx, env, &path)?;
        }
        let seeded = seed::load(tx)?;
        Ok(Rebuilt {
            dropped_tables,
            version: catalog.head(),
            seeded,
        })
    });
    set_foreign_keys(db.conn(), true, &path)?;
    result
}

fn set_foreign_keys(conn: &Connection, on: bool, path: &Path) -> Result<()> {
    conn.pragma_update(None, "foreign_keys", on)
        .map_err(|e| sqlite_error(path, "cannot switch foreign keys on", e))
}

/// Drops views, then tables (their indexes and triggers go with them), empties SQLite's own
/// bookkeeping tables, and sets `user_version` to 0. Returns how many tables were dropped.
fn drop_everything(conn: &Connection, path: &Path) -> Result<usize> {
    let doing = "cannot empty";
    let objects: Vec<(String, String)> = conn
        .prepare(
            "SELECT type, name FROM sqlite_schema
             WHERE type IN ('view', 'table') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
             ORDER BY type = 'table', name",
        )
        .and_then(|mut statement| {
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect()
        })
        .map_err(|e| sqlite_error(path, doing, e))?;
    for (kind, name) in &objects {
        let quoted = name.replace('"', "\"\"");
        conn.execute_batch(&format!("DROP {kind} \"{quoted}\""))
            .map_err(|e| sqlite_error(path, doing, e))?;
    }
    let bookkeeping: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('sqlite_sequence', 'sqlite_stat1', 'sqlite_stat4')")
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .map_err(|e| sqlite_error(path, doing, e))?;
    for name in bookkeeping {
        conn.execute_batch(&format!("DELETE FROM {name}"))
            .map_err(|e| sqlite_error(path, doing, e))?;
    }
    conn.pragma_update(None, "user_version", 0)
        .map_err(|e| sqlite_error(path, doing, e))?;
    Ok(objects.iter().filter(|(kind, _)| kind == "table").count())
}
