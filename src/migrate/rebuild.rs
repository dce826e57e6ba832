//! SQLite's procedure for a schema change that `ALTER TABLE` cannot make (a table rebuild): what
//! a migration's rebuild fails to recreate (the table's indexes and triggers, which `DROP TABLE`
//! takes with it, and the views that read it), and the skeleton of a new rebuild of a table.
//!
//! Both read a scratch database that the migrations built (`access::db::scratch`).

use crate::migrate::catalog::{Catalog, FOREIGN_KEYS_OFF};
use crate::migrate::lint::{self, Danger, MARKER};
use crate::migrate::{runner, statements};
use crate::shared::error::sqlite_error;
use crate::shared::error::{Error, Result};
use rusqlite::Connection;
use std::path::Path;

/// The tables `sql` rebuilds (drops, then renames another table to), with the line of the drop.
pub fn rebuilt_tables(sql: &str) -> Vec<(String, usize)> {
    lint::destructive_statements(sql)
        .into_iter()
        .filter_map(|finding| match finding.danger {
            Danger::TableRebuild { table } => Some((table, finding.line)),
            _ => None,
        })
        .collect()
}

/// A schema object: its type (`index`, `trigger`, `view`), name and SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Object {
    kind: String,
    name: String,
    sql: String,
}

/// The indexes and triggers of `table` and the views whose SQL names it, as `scratch` holds them.
fn attached_to(scratch: &Connection, table: &str) -> Result<Vec<Object>> {
    let cannot = |e| sqlite_error(Path::new(":memory:"), "cannot read the schema of", e);
    let mut statement = scratch
        .prepare(
            "SELECT type, name, sql, tbl_name FROM sqlite_schema
             WHERE type IN ('index', 'trigger', 'view') AND sql IS NOT NULL ORDER BY rowid",
        )
        .map_err(cannot)?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                Object {
                    kind: row.get(0)?,
                    name: row.get(1)?,
                    sql: row.get(2)?,
                },
                row.get::<_, String>(3)?,
            ))
        })
        .map_err(cannot)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(cannot)?;
    Ok(rows
        .into_iter()
        .filter(|(object, owner)| {
            if object.kind == "view" {
                statements::split(&object.sql)
                    .iter()
                    .flat_map(|s| s.tokens.iter())
                    .any(|token| token.text.eq_ignore_ascii_case(table))
            } else {
                owner.eq_ignore_ascii_case(table)
            }
        })
        .map(|(object, _)| object)
        .collect())
}

/// Which file of a migration: its `up.sql`, or its `down.sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Up,
    Down,
}

impl Side {
    /// The file's name.
    pub fn file(self) -> &'static str {
        match self {
            Side::Up => "up.sql",
            Side::Down => "down.sql",
        }
    }

    /// The file's SQL in `migration` (a missing down.sql: none).
    pub fn sql(self, migration: &crate::migrate::catalog::Migration) -> &str {
        match self {
            Side::Up => &migration.up,
            Side::Down => migration.down.as_deref().unwrap_or_default(),
        }
    }

    /// The version the file runs from: the one before `version` going up, `version` going down.
    pub fn runs_from(self, version: usize) -> usize {
        match self {
            Side::Up => version - 1,
            Side::Down => version,
        }
    }
}

/// What the rebuilds in the `side` file of migration `version` leave out: each index, trigger or
/// view of a rebuilt table that `scratch` (built up to the version the file runs from) holds,
/// that is gone once the file ran there, unless the file drops it by name (a deliberate drop of
/// an index or trigger; a view is dropped by name in every rebuild, as the procedure asks, so it
/// must come back). One line each:
/// `index onsens_by_region of onsens is not recreated`.
pub fn not_recreated(
    scratch: &Connection,
    catalog: &Catalog,
    version: usize,
    side: Side,
) -> Result<Vec<String>> {
    let Some(migration) = catalog.get(version) else {
        return Ok(Vec::new());
    };
    let sql = side.sql(migration);
    let tables = rebuilt_tables(sql);
    let mut before = Vec::new();
    for (table, _) in &tables {
        before.extend(
            attached_to(scratch, table)?
                .into_iter()
                .map(|o| (table.clone(), o)),
        );
    }
    if before.is_empty() {
        return Ok(Vec::new());
    }
    let dropped = dropped_by_name(sql);
    let tx = scratch
        .unchecked_transaction()
        .map_err(|e| sqlite_error(Path::new(":memory:"), "cannot start a write on", e))?;
    let here = Path::new(":memory:");
    match side {
        Side::Up => runner::up(&tx, catalog, version - 1, version, here)?,
        Side::Down => runner::down(&tx, catalog, version, version - 1, here)?,
    };
    let after: Vec<(String, String)> = tables
        .iter()
        .map(|(table, _)| attached_to(&tx, table))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .map(|o| (o.kind, o.name.to_lowercase()))
        .collect();
    Ok(before
        .into_iter()
        .filter(|(_, o)| {
            let key = (o.kind.clone(), o.name.to_lowercase());
            !after.contains(&key) && !dropped.contains(&key)
        })
        .map(|(table, o)| format!("{} {} of {table} is not recreated", o.kind, o.name))
        .collect())
}

/// `(type, name)`, lowercased, of each `DROP INDEX|TRIGGER [IF EXISTS] name` in `sql`.
fn dropped_by_name(sql: &str) -> Vec<(String, String)> {
    statements::split(sql)
        .into_iter()
        .filter_map(|s| {
            let words = &s.tokens;
            if !words.first()?.is("DROP") {
                return None;
            }
            let kind = ["index", "trigger"]
                .into_iter()
                .find(|k| words.get(1).is_some_and(|w| w.is(k)))?;
            let mut at = 2;
            if words.get(2).is_some_and(|w| w.is("IF")) {
                at = 4;
            }
            if words.get(at + 1).is_some_and(|w| w.is(".")) {
                at += 2;
            }
            Some((kind.to_string(), words.get(at)?.text.to_lowercase()))
        })
        .collect()
}

/// A name as SQL: as it is when it is a plain word, else in double quotes.
fn quoted(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The skeleton of a migration `name` that rebuilds `table` as `scratch` (built to the head)
/// holds it, SQLite's procedure step by step: `(up.sql, down.sql)`. Both rebuild the table as it
/// is; the person edits the new definition in up.sql. `scratch` is changed (the table renamed to
/// read its definition under the new name).
pub fn skeleton(scratch: &Connection, table: &str, name: &str) -> Result<(String, String)> {
    let here = Path::new(":memory:");
    let cannot = |e| sqlite_error(here, "cannot read the schema of", e);
    let tables: Vec<String> = scratch
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             AND name NOT IN ('onsendo_meta', 'onsendo_migrations') ORDER BY name",
        )
        .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
        .map_err(cannot)?;
    let Some(table) = tables
        .iter()
        .find(|t| t.eq_ignore_ascii_case(table))
        .cloned()
    else {
        return Err(Error::usage(format!(
            "--rebuild {table}: the migrations make no such table; they make: {}",
            tables.join(", ")
        )));
    };
    let columns: Vec<String> = scratch
        .prepare("SELECT name FROM pragma_table_xinfo(?1) WHERE hidden = 0 ORDER BY cid")
        .and_then(|mut s| s.query_map([&table], |row| row.get(0))?.collect())
        .map_err(cannot)?;
    let attached = attached_to(scratch, &table)?;
    let new = format!("{table}_new");
    if tables.iter().any(|t| t.eq_ignore_ascii_case(&new)) {
        return Err(Error::usage(format!(
            "--rebuild {table}: the rebuild builds `{new}`, but a table of that name exists"
        )));
    }
    scratch
        .execute_batch(&format!(
            "ALTER TABLE {} RENAME TO {}",
            quoted(&table),
            quoted(&new)
        ))
        .map_err(|e| sqlite_error(here, "cannot rename a table in", e))?;
    let definition: String = scratch
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [&new],
            |row| row.get(0),
        )
        .map_err(cannot)?;
    let columns = columns
        .iter()
        .map(|c| quoted(c))
        .collect::<Vec<_>>()
        .join(", ");
    let views: Vec<&Object> = attached.iter().filter(|o| o.kind == "view").collect();
    let mut body = String::new();
    for view in &views {
        body.push_str(&format!("DROP VIEW {};\n", quoted(&view.name)));
    }
    if !views.is_empty() {
        body.push('\n');
    }
    body.push_str(&format!(
        "{definition};\n\nINSERT INTO {new_q} ({columns})\n    SELECT {columns} FROM {table_q};\n\n-- {MARKER} rebuilt as {new} above, its rows copied\nDROP TABLE {table_q};\n\nALTER TABLE {new_q} RENAME TO {table_q};\n",
        new_q = quoted(&new),
        table_q = quoted(&table),
    ));
    if !attached.is_empty() {
        body.push_str(&format!(
            "\n-- What went with {table}: its indexes and triggers, and the views that read it.\n"
        ));
        for object in &attached {
            body.push_str(&format!("{};\n", object.sql));
        }
    }
    let header = |what: &str| {
        format!(
            "-- {what}\n-- {FOREIGN_KEYS_OFF}\n-- The line above runs this file with foreign keys off (SQLite's procedure for a table\n-- rebuild); PRAGMA foreign_key_check runs before the commit, and any violation undoes it all.\n-- Runs inside the migration's transaction; do not BEGIN or COMMIT here.\n\n"
        )
    };
    let up = format!(
        "{}{body}",
        header(&format!(
            "{name}: rebuilds table {table}. Edit the CREATE TABLE, then the INSERT's column lists."
        ))
    );
    let down = format!(
        "{}{body}",
        header(&format!("Undoes {name}: rebuilds {table} as it was."))
    );
    Ok((up, down))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(ups: &[&str]) -> Catalog {
        Catalog::of_ups(ups)
    }

    fn scratch(catalog: &Catalog, version: usize) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        let tx = conn.transaction().unwrap();
        runner::up(&tx, catalog, 0, version, Path::new(":memory:")).unwrap();
        tx.commit().unwrap();
        conn
    }

    const FIRST: &str = "CREATE TABLE \"odd t\" (id INTEGER PRIMARY KEY, x); CREATE INDEX t_x ON \"odd t\" (x);
        CREATE TRIGGER t_log AFTER INSERT ON \"odd t\" BEGIN SELECT 1; END;
        CREATE VIEW t_view AS SELECT x FROM \"odd t\"; CREATE TABLE other (y); CREATE INDEX other_y ON other (y);";

    #[test]
    fn what_a_rebuild_leaves_out_is_named_unless_dropped_by_name() {
        let rebuild = "DROP VIEW t_view; CREATE TABLE t_new (id INTEGER PRIMARY KEY, x, z);
            INSERT INTO t_new (id, x) SELECT id, x FROM \"odd t\"; DROP TABLE \"odd t\";
            ALTER TABLE t_new RENAME TO \"odd t\"; CREATE INDEX t_x ON \"odd t\" (x); DROP TRIGGER IF EXISTS main.t_log;";
        let catalog = catalog(&[FIRST, rebuild]);
        assert_eq!(rebuilt_tables(rebuild), [("odd t".to_string(), 2)]);
        assert_eq!(
            not_recreated(&scratch(&catalog, 1), &catalog, 2, Side::Up).unwrap(),
            ["view t_view of odd t is not recreated"]
        );
    }

    #[test]
    fn the_skeleton_rebuilds_the_table_as_it_is_with_all_that_went_with_it() {
        let first = catalog(&[FIRST]);
        let (up, down) = skeleton(&scratch(&first, 1), "ODD T", "02-again").unwrap();
        assert!(up.starts_with("-- 02-again: rebuilds table odd t."), "{up}");
        assert!(up.contains("\n-- onsendo:foreign-keys-off\n"), "{up}");
        assert!(up.contains("DROP VIEW t_view;\n"), "{up}");
        assert!(
            up.contains("INSERT INTO \"odd t_new\" (id, x)\n    SELECT id, x FROM \"odd t\";"),
            "{up}"
        );
        assert_eq!(
            up.lines().skip(1).collect::<Vec<_>>(),
            down.lines().skip(1).collect::<Vec<_>>()
        );
        let both = catalog(&[FIRST, &up]);
        let conn = scratch(&both, 1);
        assert!(not_recreated(&conn, &both, 2, Side::Up).unwrap().is_empty());
        let objects = "SELECT group_concat(type || ' ' || name, ', ') FROM (SELECT * FROM sqlite_schema ORDER BY name)";
        let before: String = conn.query_row(objects, [], |r| r.get(0)).unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        runner::up(&tx, &both, 1, 2, Path::new(":memory:")).unwrap();
        let after: String = tx.query_row(objects, [], |r| r.get(0)).unwrap();
        assert_eq!(after, before);
        let err = skeleton(&scratch(&first, 1), "nope", "02-x").unwrap_err();
        assert!(err.to_string().contains("they make: odd t, other"), "{err}");
    }
}
