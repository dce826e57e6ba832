//! The schema the migrations make, and drift from it: built by applying the migrations to an
//! in-memory database, read back from `sqlite_schema`, and compared with a database's own,
//! normalised; and `migrations/schema.sql`, the committed text of it at head.
//!
//! onsendo's bookkeeping tables, `onsendo_meta` (the stamp) and `onsendo_migrations` (the ledger),
//! are the tool's, whatever the migrations say, and are left out of both: the stamp has its own
//! check, and the ledger's rows are compared with the version by [`crate::migrate::State`].

use crate::migrate::catalog::{Catalog, Source};
use crate::migrate::state::State;
use crate::migrate::{ledger, runner};
use crate::selection::config::DatabaseConfig;
use crate::selection::hint::Hint;
use crate::shared::error::sqlite_error;
use crate::shared::error::{Error, Result};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// The committed schema's file name, in the migrations folder.
pub const FILE: &str = "schema.sql";

/// Tables that are onsendo's bookkeeping rather than the migrations' schema.
const BOOKKEEPING: [&str; 2] = ["onsendo_meta", ledger::TABLE];

/// One schema object as `sqlite_schema` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// The table it belongs to (its own name for a table or view).
    pub table: String,
    /// Its `CREATE` statement as SQLite stored it.
    pub sql: String,
}

/// One difference between a database's schema and the one its version should have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The object's kind.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// What differs: `missing`, `not made by the migrations`, `has column \`mood\`, which …`.
    pub what: String,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}` {}", self.kind, self.name, self.what)
    }
}

/// The schema objects of a database, bookkeeping and SQLite's own left out, sorted by table, then
/// tables before their indexes and triggers, then name: a stable order.
pub(crate) fn objects(conn: &Connection, path: &Path) -> Result<Vec<Object>> {
    let cannot = |e| sqlite_error(path, "cannot read the schema of", e);
    let mut statement = conn
        .prepare(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema
             WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
               AND tbl_name NOT IN (?1, ?2)
             ORDER BY tbl_name, CASE type WHEN 'table' THEN 0 WHEN 'view' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, name",
        )
        .map_err(cannot)?;
    let rows = statement
        .query_map(BOOKKEEPING, |row| {
            Ok(Object {
                kind: row.get(0)?,
                name: row.get(1)?,
                table: row.get(2)?,
                sql: row.get(3)?,
            })
        })
        .map_err(cannot)?;
    rows.collect::<rusqlite::Result<_>>().map_err(cannot)
}

/// An in-memory database with `catalog`'s migrations up to `version` applied by the runner
/// ([`crate::access::db::scratch`]), each SQL text through the statement gate first, as `migrate`
/// does.
fn built(catalog: &Catalog, version: usize) -> Result<Connection> {
    runner::gate(catalog, 0, version)?;
    if version == catalog.head() {
        if let Some(conn) = from_committed(catalog) {
            return Ok(conn);
        }
    }
    crate::access::db::scratch(catalog, version)
}

/// The `-- built from:` line of `schema.sql`: a fingerprint of the checksums of every migration
/// (up and down) it was written from, and of the schema text after the header. It lets [`built`]
/// take the committed text instead of running every migration, only while neither changed.
fn fingerprint(catalog: &Catalog, body: &str) -> String {
    let mut digest = crate::shared::digest::Digest::new();
    for migration in &catalog.migrations {
        digest.update(migration.name.as_bytes());
        digest.update(migration.checksum.as_bytes());
        digest.update(migration.down_checksum.as_deref().unwrap_or("-").as_bytes());
        digest.update(b"\n");
    }
    digest.update(body.as_bytes());
    format!("-- built from: {}", digest.finish())
}

/// An in-memory database holding the schema of `catalog`'s committed `schema.sql`, when its
/// fingerprint says it was written from exactly these migrations and not edited since; `None`
/// otherwise (or when anything fails: the caller builds the schema from the migrations).
fn from_committed(catalog: &Catalog) -> Option<Connection> {
    let Source::Folder(folder) = &catalog.source else {
        return None;
    };
    let file = std::fs::read_to_string(folder.join(FILE)).ok()?;
    let (header, body) = file.split_once("\n\n")?;
    header
        .lines()
        .any(|line| line == fingerprint(catalog, body))
        .then_some(())?;
    let conn = crate::access::db::scratch(catalog, 0).ok()?;
    conn.execute_batch(&format!("BEGIN; {body} COMMIT;")).ok()?;
    Some(conn)
}

/// How the schema of `conn` (a database at `version`) differs from what `catalog`'s migrations
/// make at that version, objects compared by their normalised SQL (case, spacing and comments
/// outside quotes do not count), a table's columns named.
pub fn drift(
    conn: &Connection,
    catalog: &Catalog,
    version: usize,
    path: &Path,
) -> Result<Vec<Drift>> {
    let reference = built(catalog, version)?;
    let want = objects(&reference, Path::new(":memory:"))?;
    let have = objects(conn, path)?;
    let find = |list: &[Object], object: &Object| {
        list.iter()
            .find(|o| o.kind == object.kind && o.name.eq_ignore_ascii_case(&object.name))
            .cloned()
    };
    let mut found = Vec::new();
    for object in &want {
        let what = match find(&have, object) {
            None => "is missing".to_string(),
            Some(own) if normalised(&own.sql) == normalised(&object.sql) => continue,
            Some(_) if object.kind == "table" => {
                columns_differ(conn, path, &reference, &object.name)?
            }
            Some(_) => "differs from what the migrations make".to_string(),
        };
        found.push(Drift {
            kind: object.kind.clone(),
            name: object.name.clone(),
            what,
        });
    }
    for object in &have {
        if find(&want, object).is_none() {
            found.push(Drift {
                kind: object.kind.clone(),
                name: object.name.clone(),
                what: "is not made by the migrations".to_string(),
            });
        }
    }
    Ok(found)
}

/// The drift of the database `conn`, where `state` says it stands: none to find when it is above
/// this code's head, as there is no schema to compare it with.
pub fn of(conn: &Connection, catalog: &Catalog, state: &State, path: &Path) -> Result<Vec<Drift>> {
    if state.is_ahead() {
        return Ok(Vec::new());
    }
    drift(conn, catalog, state.version, path)
}

/// The problem line for `found` (none when empty): each difference named, the first 10 and
/// a count of the rest, and the fix, with the flags that selected the database (`config`).
pub fn problem(found: &[Drift], version: usize, config: &DatabaseConfig) -> Option<String> {
    if found.is_empty() {
        return None;
    }
    let named: Vec<String> = found.iter().map(ToString::to_string).collect();
    Some(format!(
        "schema drift: the schema is not what the migrations make at version {version}: {}; repair it with `{} FILE` or a new migration, or restore a backup",
        crate::ui::at_most(&named).join("; "),
        Hint::command(config, "database sql")
    ))
}

/// What differs in table `name` between the database and the reference: the columns one has and
/// the other lacks, else its definition (a type, a constraint).
fn columns_differ(
    conn: &Connection,
    path: &Path,
    reference: &Connection,
    name: &str,
) -> Result<String> {
    let have = columns(conn, name, path)?;
    let want = columns(reference, name, Path::new(":memory:"))?;
    let absent = |from: &[String], of: &[String]| -> Vec<String> {
        of.iter()
            .filter(|c| !from.iter().any(|f| f.eq_ignore_ascii_case(c)))
            .map(|c| format!("`{c}`"))
            .collect()
    };
    let extra = absent(&want, &have);
    let missing = absent(&have, &want);
    let mut parts = Vec::new();
    if !extra.is_empty() {
        parts.push(format!(
            "has column {}, which the migrations do not make",
            extra.join(", ")
        ));
    }
    if !missing.is_empty() {
        parts.push(format!(
            "lacks column {}, which the migrations make",
            missing.join(", ")
        ));
    }
    if parts.is_empty() {
        parts.push("differs from what the migrations make (a type or a constraint)".to_string());
    }
    Ok(parts.join(" and "))
}

fn columns(conn: &Connection, table: &str, path: &Path) -> Result<Vec<String>> {
    let cannot = |e| sqlite_error(path, "cannot read the columns of a table of", e);
    let mut statement = conn
        .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
        .map_err(cannot)?;
    let rows = statement
        .query_map([table], |row| row.get(0))
        .map_err(cannot)?;
    rows.collect::<rusqlite::Result<_>>().map_err(cannot)
}

/// A `CREATE` statement reduced to what SQLite reads: comments dropped, letters outside quotes
/// folded to lower case, whitespace kept only where it separates two words.
pub(crate) fn normalised(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut space = false;
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    while let Some(c) = chars.next() {
        let close = match c {
            '\'' | '"' | '`' => Some(c),
            '[' => Some(']'),
            _ => None,
        };
        if let Some(close) = close {
            if space && out.chars().last().is_some_and(word) {
                out.push(' ');
            }
            space = false;
            out.push(c);
            for inner in chars.by_ref() {
                out.push(inner);
                if inner == close {
                    break;
                }
            }
        } else if c == '-' && chars.peek() == Some(&'-') {
            chars.by_ref().find(|&n| n == '\n');
            space = true;
        } else if c == '/' && chars.peek() == Some(&'*') {
            chars.next();
            let mut previous = ' ';
            for inner in chars.by_ref() {
                if previous == '*' && inner == '/' {
                    break;
                }
                previous = inner;
            }
            space = true;
        } else if c.is_whitespace() {
            space = true;
        } else {
            if space && word(c) && out.chars().last().is_some_and(word) {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The text of `migrations/schema.sql` for `catalog`: a header, then each object's `CREATE`
/// statement as SQLite stored it (line endings `\n`), in [`objects`]' order, a blank line between.
pub fn text(catalog: &Catalog) -> Result<String> {
    let head = catalog.head();
    let mut body = String::new();
    for object in objects(
        &crate::access::db::scratch(catalog, head)?,
        Path::new(":memory:"),
    )? {
        body.push('\n');
        body.push_str(&object.sql.replace("\r\n", "\n"));
        body.push_str(";\n");
    }
    let body = body.strip_prefix('\n').unwrap_or(&body);
    Ok(format!(
        "-- The schema the migrations make at version {head}, as SQLite stores it, bookkeeping tables\n-- (onsendo_meta, onsendo_migrations) left out. Written by `cargo xtask database migrate`,\n-- `rollback`, `new` and `renumber`; a test checks it against the migrations. Do not edit.\n{}\n\n{body}",
        fingerprint(catalog, body)
    ))
}

/// Rewrites `schema.sql` in `catalog`'s folder when its text is not [`text`]'s; the file's path
/// when it was written. A catalog built into the binary has no file to keep.
pub fn keep_current(catalog: &Catalog) -> Result<Option<PathBuf>> {
    let Source::Folder(folder) = &catalog.source else {
        return Ok(None);
    };
    let path = folder.join(FILE);
    let text = text(catalog)?;
    if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(None);
    }
    let temp = folder.join(format!(".{FILE}.tmp-{}", std::process::id()));
    std::fs::write(&temp, &text)
        .and_then(|()| std::fs::rename(&temp, &path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            Error::failed(format!("cannot write `{}`", path.display())).because(e)
        })?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(ups: &[&str]) -> Catalog {
        Catalog::of_ups(ups)
    }

    #[test]
    fn normalising_keeps_only_what_sqlite_reads() {
        assert_eq!(
            normalised("CREATE TABLE t (\n  a  TEXT, -- note\n  b INT /* x */ NOT NULL\n)"),
            "create table t(a text,b int not null)"
        );
        assert_eq!(
            normalised("create table \"T x\" (a CHECK (a <> 'A  B'))"),
            "create table \"T x\"(a check(a<>'A  B'))"
        );
        assert_ne!(
            normalised("CREATE TABLE t (a)"),
            normalised("CREATE TABLE t (b)")
        );
    }

    #[test]
    fn drift_names_what_was_dropped_added_or_changed() {
        let migrations = catalog(&[
            "CREATE TABLE onsendo_meta (k, v); CREATE TABLE a (x, y); CREATE INDEX a_x ON a (x);",
            "CREATE TABLE b (z);",
        ]);
        let conn = Connection::open_in_memory().unwrap();
        let here = Path::new(":memory:");
        runner::up(&conn, &migrations, 0, 1, here).unwrap();
        assert_eq!(drift(&conn, &migrations, 1, here).unwrap(), []);
        conn.execute_batch(
            "DROP INDEX a_x; ALTER TABLE a ADD COLUMN w; CREATE VIEW v AS SELECT 1; DELETE FROM onsendo_migrations;",
        )
        .unwrap();
        let found: Vec<String> = drift(&conn, &migrations, 1, here)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "table `a` has column `w`, which the migrations do not make",
                "index `a_x` is missing",
                "view `v` is not made by the migrations",
            ]
        );
        let missing: Vec<String> = drift(&conn, &migrations, 2, here)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            missing.contains(&"table `b` is missing".to_string()),
            "{missing:?}"
        );
    }

    #[test]
    fn the_text_is_sorted_and_leaves_out_bookkeeping() {
        let text = text(&catalog(&[
            "CREATE TABLE onsendo_meta (k, v);\r\nCREATE TABLE z (x);\r\nCREATE INDEX a_on_z ON z (x);\r\nCREATE TABLE b (\r\n  y\r\n);",
        ]))
        .unwrap();
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with("--")).collect();
        assert_eq!(
            body,
            [
                "",
                "CREATE TABLE b (",
                "  y",
                ");",
                "",
                "CREATE TABLE z (x);",
                "",
                "CREATE INDEX a_on_z ON z (x);"
            ]
        );
    }

    #[test]
    fn the_committed_text_is_the_reference_only_while_its_fingerprint_holds() {
        let dir = tempfile::tempdir().unwrap();
        let migration = dir.path().join("01-a");
        std::fs::create_dir_all(&migration).unwrap();
        std::fs::write(
            migration.join("up.sql"),
            "CREATE TABLE a (x); CREATE INDEX a_x ON a (x);",
        )
        .unwrap();
        let catalog = Catalog::from_folder(dir.path()).unwrap();
        assert!(from_committed(&catalog).is_none(), "no schema.sql yet");
        let text = text(&catalog).unwrap();
        std::fs::write(dir.path().join(FILE), &text).unwrap();
        let conn = from_committed(&catalog).expect("the fingerprint holds");
        let names: Vec<String> = objects(&conn, Path::new(":memory:"))
            .unwrap()
            .into_iter()
            .map(|o| o.name)
            .collect();
        assert_eq!(names, ["a", "a_x"]);
        std::fs::write(
            dir.path().join(FILE),
            text.replace("CREATE INDEX a_x ON a (x);\n", ""),
        )
        .unwrap();
        assert!(
            from_committed(&catalog).is_none(),
            "an edited text is not trusted"
        );
        std::fs::write(dir.path().join(FILE), &text).unwrap();
        std::fs::write(migration.join("up.sql"), "CREATE TABLE a (x, y);").unwrap();
        let changed = Catalog::from_folder(dir.path()).unwrap();
        assert!(
            from_committed(&changed).is_none(),
            "changed migrations are not what it was made from"
        );
    }
}
