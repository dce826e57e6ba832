//! Schema migrations: the code's catalog, the ledger of what a database has applied, where a
//! database stands, the runner, the lint for destructive statements, and SQLite's procedure for a
//! table rebuild (`rebuild`).
//!
//! The schema version is `PRAGMA user_version` (as rusqlite_migration keeps it); the ledger
//! beside it records names, checksums and times, so an edited migration is caught.
//!
//! `statements` is the one gate every SQL text passes before it runs (migrations up and down,
//! `exec`, `sql`, the shell's input); it sits here because the runner and the lint use it.
//!
//! May use: `shared`, `selection`, `ui`.

pub(crate) mod catalog;
pub mod ledger;
pub mod lint;
pub mod rebuild;
pub mod renumber;
pub mod runner;
pub(crate) mod state;
pub mod statements;

pub use catalog::{needs_foreign_keys_off, Catalog, Migration, Source, FOREIGN_KEYS_OFF};
pub use state::{Mark, State};

use crate::selection::config::DatabaseConfig;
use crate::selection::env::Environment;
use crate::selection::hint::Hint;
use crate::shared::error::sqlite_error;
use crate::shared::error::{Error, Result};
use rusqlite::Connection;
use std::path::Path;

/// The schema version of a database (`PRAGMA user_version`, a signed 32-bit number). A negative
/// one is refused: no migration sets it.
pub fn current(conn: &Connection, path: &Path) -> Result<usize> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| sqlite_error(path, "cannot read the schema version of", e))?;
    usize::try_from(version).map_err(|_| {
        Error::refused(format!(
            "refusing to use database `{}`: its schema version (PRAGMA user_version) is {version}, which no migration sets; restore a backup",
            path.display()
        ))
    })
}

/// Refuses a database whose schema is not the one `catalog` builds: migrations pending, or a
/// version newer than the code (written by a newer version of it). Every command that reads or
/// writes application data goes through this, inside its own transaction where it writes, so
/// that none reads or writes a schema it was not written for. `config` selected the file.
pub fn require_current(
    conn: &Connection,
    catalog: &Catalog,
    config: &DatabaseConfig,
) -> Result<()> {
    let path = &config.path;
    let version = current(conn, path)?;
    let head = catalog.head();
    let problem = match version.cmp(&head) {
        std::cmp::Ordering::Equal => return Ok(()),
        std::cmp::Ordering::Less => format!(
            "it is at schema version {version} and this code expects {head}; apply the pending migrations first with `{}`",
            Hint::command(config, "database migrate")
        ),
        std::cmp::Ordering::Greater => format!(
            "it is at schema version {version}, {} above this code's head ({head}); update the code (a newer version of it migrated this database)",
            crate::ui::counted(version - head, "version")
        ),
    };
    Err(Error::refused(format!(
        "refusing to use database `{}`: {problem}",
        path.display()
    )))
}

/// Where a database stands against `catalog`.
pub fn state(conn: &Connection, catalog: &Catalog, path: &Path) -> Result<State> {
    let version = current(conn, path)?;
    let ledger = ledger::read(conn, path)?;
    Ok(State::compare(catalog, version, ledger.as_deref()))
}

/// Whether a migration starts with a backup: always on prod (where `--no-backup` is
/// refused); elsewhere when the database holds data, unless `--no-backup`.
pub fn backup_needed(env: Environment, no_backup: bool, holds_data: bool) -> Result<bool> {
    match env {
        Environment::Prod if no_backup => Err(Error::refused(
            "--no-backup is refused on prod: a migration of prod always starts with a backup; re-run without it",
        )),
        Environment::Prod => Ok(true),
        _ => Ok(holds_data && !no_backup),
    }
}

/// Whether any table of the database's own (not SQLite's, not onsendo's bookkeeping) has a row.
pub fn holds_data(conn: &Connection, path: &Path) -> Result<bool> {
    let cannot = |e| sqlite_error(path, "cannot read", e);
    let mut statement = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             AND name NOT IN ('onsendo_meta', 'onsendo_migrations')",
        )
        .map_err(cannot)?;
    let tables: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .map_err(cannot)?
        .collect::<rusqlite::Result<_>>()
        .map_err(cannot)?;
    for table in tables {
        let quoted = table.replace('"', "\"\"");
        let any: bool = conn
            .query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM \"{quoted}\")"),
                [],
                |row| row.get(0),
            )
            .map_err(cannot)?;
        if any {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::error::Kind;

    #[test]
    fn prod_always_backs_up_and_refuses_no_backup() {
        use Environment::*;
        assert!(backup_needed(Prod, false, false).unwrap());
        assert_eq!(
            backup_needed(Prod, true, true).unwrap_err().kind(),
            Kind::Refused
        );
        assert!(backup_needed(Dev, false, true).unwrap());
        assert!(!backup_needed(Dev, false, false).unwrap());
        assert!(!backup_needed(Test, true, true).unwrap());
    }

    #[test]
    fn data_is_rows_in_the_databases_own_tables() {
        let conn = Connection::open_in_memory().unwrap();
        let here = Path::new(":memory:");
        conn.execute_batch("CREATE TABLE onsendo_meta (k, v); INSERT INTO onsendo_meta VALUES (1, 2); CREATE TABLE \"odd \"\"name\" (x);")
            .unwrap();
        assert!(!holds_data(&conn, here).unwrap());
        conn.execute_batch("INSERT INTO \"odd \"\"name\" VALUES (1);")
            .unwrap();
        assert!(holds_data(&conn, here).unwrap());
    }
}
