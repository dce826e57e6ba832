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

/// What the rebuilds of migration `version` leave out: each index, trigger or view of a rebuilt
/// table that `scratch` (built up to the version before) holds, that is gone once the migration
/// ran there, and that the migration does not drop by name (a deliberate drop). One line each:
/// `index onsens_by_region of onsens is not recreated`.
pub fn not_recreated(scratch: &Connection, catalog: &Catalog, version: usize) -> Result<Vec<String>> {
    let Some(migration) = catalog.get(version) else {
        return Ok(Vec::new());
    };
    let tables = rebuilt_tables(&migration.up);
    let mut before = Vec::new();
    for (table, _) in &tables {
        before.extend(attached_to(scratch, table)?.into_iter().map(|o| (table.clone(), o)));
    }
    if before.is_empty() {
        return Ok(Vec::new());
    }
    let dropped = dropped_by_name(&migration.up);
    let tx = scratch
        .unchecked_transaction()
        .map_err(|e| sqlite_error(Path::new(":memory:"), "cannot start a write on", e))?;
    runner::up(&tx, catalog, version - 1, version, Path::new(":memory:"))?;
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

/// `(type, name)`, lowercased, of each `DROP INDEX|TRIGGER|VIEW [IF EXISTS] name` in `sql`.
fn dropped_by_name(sql: &str) -> Vec<(String, String)> {
    statements::split(sql)
        .into_iter()
        .filter_map(|s| {
            let words = &s.tokens;
            if !words.first()?.is("DROP") {
                return None;
            }
            let kind = ["index", "trigger", "view"]
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
    let Some(table) = tables.iter().find(|t| t.eq_ignore_ascii_case(table)).cloned() else {
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
    let columns = columns.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", ");
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
