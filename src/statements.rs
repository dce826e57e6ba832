//! Running SQL a person typed or wrote in a file (`database exec`, `database sql`): statement by
//! statement on the caller's connection or transaction, with what each returned and changed.
//! Statements that would leave the command's transaction or reach another file are refused.

use crate::db::sqlite_error;
use crate::error::{Error, Result};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::types::Value;
use rusqlite::{Batch, Connection};
use std::path::Path;

/// Whether the SQL may change the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only statements that read; a writing one is refused before it runs.
    Read,
    /// Any statement but those in [`FORBIDDEN`].
    Write,
}

/// Statements that end or nest the command's own transaction, or open another database file
/// outside the library's guards.
pub const FORBIDDEN: [&str; 9] = [
    "BEGIN",
    "COMMIT",
    "END",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "ATTACH",
    "DETACH",
    "VACUUM",
];

/// What one statement did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The statement's text, trimmed.
    pub sql: String,
    /// Its result columns (empty for a statement that returns no rows).
    pub columns: Vec<String>,
    /// The rows it returned.
    pub rows: Vec<Vec<Value>>,
    /// Rows it inserted, updated or deleted.
    pub changes: u64,
}

/// Runs every statement of `sql` in order on `conn` (a transaction derefs to one). The first
/// failing or refused statement stops the run with an error naming it; the caller's transaction
/// decides what the statements before it leave behind.
pub fn run(conn: &Connection, sql: &str, mode: Mode, path: &Path) -> Result<Vec<Outcome>> {
    let mut batch = Batch::new(conn, sql);
    let mut outcomes = Vec::new();
    loop {
        let number = outcomes.len() + 1;
        let doing = format!("statement {number} failed on");
        let Some(mut statement) = batch.next().map_err(|e| sqlite_error(path, &doing, e))? else {
            break;
        };
        let text = statement
            .expanded_sql()
            .unwrap_or_default()
            .trim()
            .to_string();
        refuse_forbidden(&text, number)?;
        if mode == Mode::Read && !statement.readonly() {
            return Err(Error::refused(format!(
                "statement {number} changes the database (`{}`); this runs read-only unless you pass --write",
                first_line(&text)
            )));
        }
        let columns: Vec<String> = statement
            .column_names()
            .into_iter()
            .map(String::from)
            .collect();
        let width = columns.len();
        let mut rows = Vec::new();
        let mut cursor = statement.raw_query();
        while let Some(row) = cursor.next().map_err(|e| sqlite_error(path, &doing, e))? {
            let values = (0..width)
                .map(|i| row.get::<_, Value>(i))
                .collect::<rusqlite::Result<Vec<Value>>>()
                .map_err(|e| sqlite_error(path, &doing, e))?;
            rows.push(values);
        }
        drop(cursor);
        let changes = if statement.readonly() {
            0
        } else {
            conn.changes()
        };
        outcomes.push(Outcome {
            sql: text,
            columns,
            rows,
            changes,
        });
    }
    if outcomes.is_empty() {
        return Err(Error::usage("no SQL statement given"));
    }
    Ok(outcomes)
}

/// Prepares the statements of `sql` without running them, so that a typo, an unknown table or a
/// forbidden statement is reported before anything else is done (such as a backup). Checking
/// stops at the first statement that changes the schema, as those after it may depend on it.
pub fn check(conn: &Connection, sql: &str, path: &Path) -> Result<()> {
    let mut batch = Batch::new(conn, sql);
    let mut number = 0;
    loop {
        number += 1;
        let doing = format!("statement {number} failed on");
        let Some(statement) = batch.next().map_err(|e| sqlite_error(path, &doing, e))? else {
            return Ok(());
        };
        let text = statement.expanded_sql().unwrap_or_default();
        refuse_forbidden(&text, number)?;
        let keyword = first_keyword(&text).to_ascii_uppercase();
        if ["CREATE", "DROP", "ALTER"].contains(&keyword.as_str()) {
            return Ok(());
        }
    }
}

/// Refuses a [`FORBIDDEN`] statement, or one that sets a [`FORBIDDEN_PRAGMAS`] pragma.
fn refuse_forbidden(text: &str, number: usize) -> Result<()> {
    let keyword = first_keyword(text).to_ascii_uppercase();
    if FORBIDDEN.contains(&keyword.as_str()) {
        return Err(Error::refused(format!(
            "statement {number} (`{keyword}`) is not allowed: the command runs your SQL in one transaction of its own, on the one database it resolved; use `cargo xtask database backup`, `verify` or `shell` for the rest"
        )));
    }
    refuse_forbidden_pragma(text, number)
}

/// Pragmas a statement may read but not set: each would switch off a check (foreign keys, CHECK
/// constraints, the schema's protection), weaken durability, or change what the migrations rely on.
pub const FORBIDDEN_PRAGMAS: [&str; 9] = [
    "foreign_keys",
    "ignore_check_constraints",
    "writable_schema",
    "trusted_schema",
    "journal_mode",
    "synchronous",
    "locking_mode",
    "schema_version",
    "user_version",
];

/// Refuses a statement that sets one of the [`FORBIDDEN_PRAGMAS`] (`PRAGMA main.foreign_keys = OFF`).
fn refuse_forbidden_pragma(text: &str, number: usize) -> Result<()> {
    let keyword = first_keyword(text);
    if !keyword.eq_ignore_ascii_case("PRAGMA") {
        return Ok(());
    }
    let rest = past_comments(text)[keyword.len()..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(rest.len());
    let name = rest[..end].rsplit('.').next().unwrap_or("");
    let sets = rest[end..].trim_start().starts_with(['=', '(']);
    if sets
        && FORBIDDEN_PRAGMAS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(name))
    {
        return Err(Error::refused(format!(
            "statement {number} (`PRAGMA {name}`) is not allowed: setting it would switch off a check, weaken durability or change what the migrations rely on; reading it is fine"
        )));
    }
    Ok(())
}

/// The statement's first word, past whitespace and comments.
fn first_keyword(text: &str) -> &str {
    let rest = past_comments(text);
    let end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The text from its first word on, past leading whitespace and comments.
fn past_comments(text: &str) -> &str {
    let mut rest = text.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("--") {
            rest = after
                .split_once('\n')
                .map_or("", |(_, next)| next)
                .trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after
                .split_once("*/")
                .map_or("", |(_, next)| next)
                .trim_start();
        } else {
            return rest;
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// A value as text: integers and reals as SQLite prints them, blobs as `x'…'`, NULL as `NULL`.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Integer(n) => n.to_string(),
        Value::Real(x) => x.to_string(),
        Value::Text(s) => s.clone(),
        Value::Blob(bytes) => {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("x'{hex}'")
        }
    }
}

/// A value as JSON: numbers, strings and null as themselves, blobs as `x'…'` text.
pub fn value_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Integer(n) => (*n).into(),
        Value::Real(x) => {
            serde_json::Number::from_f64(*x).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Text(s) => s.clone().into(),
        Value::Blob(_) => value_text(value).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t (name) VALUES ('a'), ('b');")
            .unwrap();
        conn
    }

    #[test]
    fn reads_return_columns_and_rows() {
        let out = run(
            &conn(),
            "SELECT id, name FROM t ORDER BY id; SELECT count(*) AS n FROM t",
            Mode::Read,
            Path::new("t.db"),
        )
        .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].columns, ["id", "name"]);
        assert_eq!(out[0].rows[1], [Value::Integer(2), Value::Text("b".into())]);
        assert_eq!(out[1].rows, [[Value::Integer(2)]]);
        assert_eq!(out[0].changes, 0);
    }

    #[test]
    fn a_write_is_refused_in_read_mode_before_it_runs() {
        let conn = conn();
        let err = run(
            &conn,
            "SELECT 1; DELETE FROM t",
            Mode::Read,
            Path::new("t.db"),
        )
        .unwrap_err();
        assert_eq!(err.kind(), crate::Kind::Refused);
        assert!(err.to_string().contains("statement 2"), "{err}");
        assert!(err.to_string().contains("--write"), "{err}");
        let left: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 2);
    }

    #[test]
    fn writes_count_their_changes() {
        let out = run(
            &conn(),
            "UPDATE t SET name = upper(name); DELETE FROM t WHERE id = 1 RETURNING name",
            Mode::Write,
            Path::new("t.db"),
        )
        .unwrap();
        assert_eq!(out[0].changes, 2);
        assert_eq!(out[1].changes, 1);
        assert_eq!(out[1].rows, [[Value::Text("A".into())]]);
    }

    #[test]
    fn transaction_control_and_attach_are_refused_even_behind_comments() {
        for sql in [
            "COMMIT",
            "  -- why\n/* c */ begin immediate",
            "ATTACH 'other.db' AS o",
            "vacuum",
        ] {
            let err = run(&conn(), sql, Mode::Write, Path::new("t.db")).unwrap_err();
            assert_eq!(err.kind(), crate::Kind::Refused, "{sql}: {err}");
        }
    }

    #[test]
    fn pragmas_that_switch_off_checks_may_be_read_but_not_set() {
        for sql in [
            "PRAGMA foreign_keys=OFF",
            "pragma main.foreign_keys = 0",
            "/* x */ PRAGMA ignore_check_constraints(1)",
            "PRAGMA writable_schema = ON",
            "PRAGMA user_version = 99",
            "PRAGMA journal_mode=OFF",
        ] {
            for mode in [Mode::Read, Mode::Write] {
                let err = run(&conn(), sql, mode, Path::new("t.db")).unwrap_err();
                assert_eq!(err.kind(), crate::Kind::Refused, "{sql}: {err}");
                assert!(err.to_string().contains("PRAGMA"), "{err}");
            }
        }
        for sql in [
            "PRAGMA foreign_keys",
            "PRAGMA user_version",
            "PRAGMA table_info(t)",
            "PRAGMA defer_foreign_keys = ON",
        ] {
            assert!(
                run(&conn(), sql, Mode::Write, Path::new("t.db")).is_ok(),
                "{sql}"
            );
        }
    }

    #[test]
    fn empty_sql_and_bad_sql_are_errors_naming_the_statement() {
        let empty = run(&conn(), " -- nothing\n ", Mode::Read, Path::new("t.db")).unwrap_err();
        assert_eq!(empty.kind(), crate::Kind::Usage);
        let bad = run(&conn(), "SELECT 1; SELEC 2", Mode::Read, Path::new("t.db")).unwrap_err();
        assert!(bad.to_string().contains("statement 2"), "{bad}");
    }

    #[test]
    fn check_finds_bad_statements_up_to_the_first_schema_change_and_runs_nothing() {
        let conn = conn();
        let path = Path::new("t.db");
        let unknown = check(&conn, "SELECT 1; UPDATE nosuch SET a = 1", path).unwrap_err();
        assert!(unknown.to_string().contains("statement 2"), "{unknown}");
        let cause = std::error::Error::source(&unknown).expect("SQLite's error as the cause");
        assert!(cause.to_string().contains("no such table"), "{cause}");
        let forbidden = check(&conn, "DELETE FROM t; COMMIT", path).unwrap_err();
        assert_eq!(forbidden.kind(), crate::Kind::Refused);
        check(&conn, "CREATE TABLE u (a); INSERT INTO u VALUES (1)", path).unwrap();
        check(&conn, "DELETE FROM t", path).unwrap();
        let count: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert!(count > 0, "check runs nothing");
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'u'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0, "check runs nothing");
    }

    #[test]
    fn values_render_as_text_and_json() {
        assert_eq!(value_text(&Value::Blob(vec![0, 255])), "x'00ff'");
        assert_eq!(value_json(&Value::Real(1.5)), serde_json::json!(1.5));
        assert_eq!(value_json(&Value::Null), serde_json::Value::Null);
    }
}
