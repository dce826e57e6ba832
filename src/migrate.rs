//! The schema migrations in `migrations/`, embedded in the binaries, and their state in a database.

use crate::error::{Error, Result};
use include_dir::{include_dir, Dir};
use rusqlite::Connection;
use rusqlite_migration::{Migrations, SchemaVersion};
use std::path::Path;
use std::sync::LazyLock;

static MIGRATION_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/migrations");

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::from_directory(&MIGRATION_DIR).expect("migrations/ is checked by a unit test")
});

/// The version a fully migrated database has: the number of migrations.
pub fn head() -> usize {
    MIGRATION_DIR.dirs().count()
}

/// The schema version of a database (`PRAGMA user_version`).
pub fn current(conn: &Connection, path: &Path) -> Result<usize> {
    match MIGRATIONS.current_version(conn) {
        Ok(SchemaVersion::NoneSet) => Ok(0),
        Ok(SchemaVersion::Inside(n) | SchemaVersion::Outside(n)) => Ok(n.get()),
        Err(e) => Err(Error::failed(format!(
            "cannot read the schema version of `{}`",
            path.display()
        ))
        .because(e)),
    }
}

/// Applies every pending migration in one transaction.
pub fn to_head(conn: &mut Connection, path: &Path) -> Result<()> {
    MIGRATIONS
        .to_latest(conn)
        .map_err(|e| Error::failed(format!("cannot migrate `{}`", path.display())).because(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_reach_head() {
        MIGRATIONS.validate().unwrap();
        let mut conn = Connection::open_in_memory().unwrap();
        let here = Path::new(":memory:");
        assert_eq!(current(&conn, here).unwrap(), 0);
        to_head(&mut conn, here).unwrap();
        assert_eq!(current(&conn, here).unwrap(), head());
        assert!(head() >= 1);
    }
}
