//! Running SQL a person typed or wrote in a file (`database exec`, `database sql`, migrations,
//! the shell's input): the one statement gate every such text passes before any of it runs, the
//! split into statements where SQLite itself says one is complete, and the run, statement by
//! statement on the caller's connection or transaction, with what each returned and changed.

use crate::shared::error::sqlite_error;
use crate::shared::error::{Error, Result};
use rusqlite::types::Value;
use rusqlite::Connection;
use std::ffi::CString;
use std::fmt;
use std::path::Path;

/// Whether the SQL may change the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only statements that read; a writing one is refused before it runs.
    Read,
    /// Any statement the [`gate`] lets through.
    Write,
}

/// Statements that end or nest the transaction the tool runs SQL in, reach another database
/// file outside the library's guards, or rewrite the whole file outside any transaction.
pub(crate) const FORBIDDEN: [&str; 9] = [
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

/// Pragmas a statement may read but not set: each would switch off a check (foreign keys, CHECK
/// constraints, the schema's protection), weaken durability, or change what the tool relies on
/// (the schema version, the journal).
pub(crate) const FORBIDDEN_PRAGMAS: [&str; 9] = [
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

/// A statement the [`gate`] refuses: ``statement 2 (`COMMIT`, line 4) is not allowed: …``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The statement's number in its text, from 1.
    pub number: usize,
    /// The line its first word is on, from 1.
    pub line: usize,
    /// What it is: `COMMIT`, `PRAGMA foreign_keys`, `NUL byte`.
    pub statement: String,
    /// Why it is refused.
    pub why: &'static str,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "statement {} (`{}`, line {}) is not allowed: {}",
            self.number, self.statement, self.line, self.why
        )
    }
}

/// The one gate for every SQL text the tool runs on a person's behalf: the first statement of
/// `sql` that is refused, checked over the whole text before any of it runs. Statements are
/// classified by their words alone, so a later statement may use a table an earlier one creates.
pub fn gate(sql: &str) -> std::result::Result<(), Refusal> {
    match refusals(sql).into_iter().next() {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

/// Every statement of `sql` the [`gate`] refuses, in order (`database lint` lists them).
pub fn refusals(sql: &str) -> Vec<Refusal> {
    if let Some(at) = sql.find('\0') {
        return vec![Refusal {
            number: 1 + split(&sql[..at])
                .iter()
                .filter(|s| is_complete(s.text))
                .count(),
            line: 1 + sql[..at].matches('\n').count(),
            statement: "NUL byte".to_string(),
            why: "SQLite stops reading at a NUL byte, so the SQL after it would be skipped without a word",
        }];
    }
    split(sql).iter().filter_map(refusal).collect()
}

/// Why `statement` is refused, if it is. An `EXPLAIN` in front does not help: a pragma that
/// switches a flag does so while the statement is prepared.
fn refusal(statement: &Statement) -> Option<Refusal> {
    let mut words = statement.tokens.as_slice();
    if words.first().is_some_and(|w| w.is("EXPLAIN")) {
        words = &words[1..];
        if words.len() >= 2 && words[0].is("QUERY") && words[1].is("PLAN") {
            words = &words[2..];
        }
    }
    let first = words.first()?;
    let (what, why) = if let Some(keyword) = FORBIDDEN.iter().find(|k| first.is(k)) {
        let why = match *keyword {
            "ATTACH" | "DETACH" => "it would reach another database file, around the guards that chose this one",
            "VACUUM" => "it rewrites the whole file outside any transaction; `cargo xtask database backup --compact` makes a compacted copy",
            _ => "transaction control is the tool's own: it runs a command's SQL in one transaction, so that a failure or a dry run undoes all of it",
        };
        (keyword.to_string(), why)
    } else if first.is("PRAGMA") {
        let (name, next) = match (words.get(1), words.get(2), words.get(3)) {
            (Some(_), Some(dot), Some(name)) if dot.is(".") => (name, 4),
            (Some(name), _, _) => (name, 2),
            _ => return None,
        };
        let sets = words.get(next).is_some_and(|w| w.is("=") || w.is("("));
        let forbidden = FORBIDDEN_PRAGMAS
            .iter()
            .find(|p| p.eq_ignore_ascii_case(&name.text))?;
        if !sets {
            return None;
        }
        (
            format!("PRAGMA {forbidden}"),
            "setting it would switch off a check, weaken durability or change what the tool relies on; reading it is fine",
        )
    } else {
        return None;
    };
    Some(Refusal {
        number: statement.number,
        line: statement.line,
        statement: what,
        why,
    })
}

/// One statement of a SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement<'a> {
    /// Its number among the text's statements, from 1.
    pub number: usize,
    /// The line its first word is on, from 1.
    pub line: usize,
    /// Its text, from its first word to its end (the `;` included).
    pub text: &'a str,
    /// The comments right before it, after the previous statement.
    pub comments: String,
    /// Its words.
    pub tokens: Vec<Token>,
}

/// The statements of `sql`, split where SQLite itself says a statement is complete
/// (`sqlite3_complete`), so semicolons in strings, quoted names, comments and trigger bodies do
/// not split them; an unterminated tail counts as one. A leading byte-order mark, empty
/// statements and comments alone are skipped.
pub fn split(sql: &str) -> Vec<Statement<'_>> {
    let mut ranges = Vec::new();
    let mut start = if sql.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    for (at, _) in sql.match_indices(';') {
        if is_complete(&sql[start..=at]) {
            ranges.push((start, at + 1));
            start = at + 1;
        }
    }
    if start < sql.len() {
        ranges.push((start, sql.len()));
    }
    let mut statements = Vec::new();
    for (start, end) in ranges {
        let mut lexer = Lexer {
            text: &sql[start..end],
            at: 0,
            comments: String::new(),
        };
        lexer.skip_trivia();
        let first = start + lexer.at;
        let comments = std::mem::take(&mut lexer.comments);
        let mut tokens = Vec::new();
        while let Some(token) = lexer.next_token() {
            tokens.push(token);
        }
        if tokens.is_empty() || tokens.iter().all(|t| t.is(";")) {
            continue;
        }
        statements.push(Statement {
            number: statements.len() + 1,
            line: 1 + sql[..first].matches('\n').count(),
            text: &sql[first..end],
            comments,
            tokens,
        });
    }
    statements
}

/// Every comment of `sql` (not the `--` in a string), in order, each with its `--` or `/* */`.
pub(crate) fn comments(sql: &str) -> String {
    read(sql).1
}

/// `sql` as SQLite's tokenizer reads it, without its comments and layout: every word, string and
/// punctuation character as written (a `\r\n` in a string read as `\n`), one space where
/// whitespace or a comment separated two of them, nothing where they touched (two texts with the
/// same form run the same statements; a change of any word, value or quote changes it); and its
/// [`comments`]. One pass of the tokenizer.
pub(crate) fn read(sql: &str) -> (String, String) {
    let text = sql.strip_prefix('\u{feff}').unwrap_or(sql);
    let mut lexer = Lexer {
        text,
        at: 0,
        comments: String::new(),
    };
    let mut form = String::new();
    loop {
        let before = lexer.at;
        lexer.skip_trivia();
        let start = lexer.at;
        if lexer.next_token().is_none() {
            return (form, lexer.comments);
        }
        if start > before && !form.is_empty() {
            form.push(' ');
        }
        form.push_str(&text[start..lexer.at].replace("\r\n", "\n"));
    }
}

/// Whether SQLite reads `sql` as ending with a complete statement.
pub fn is_complete(sql: &str) -> bool {
    let Ok(sql) = CString::new(sql) else {
        return false;
    };
    // SAFETY: `sql` is a valid NUL-terminated string that outlives the call; sqlite3_complete
    // only reads it.
    unsafe { rusqlite::ffi::sqlite3_complete(sql.as_ptr()) != 0 }
}

/// A word of SQL: a keyword or name (quotes removed), or one punctuation character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word, without its quotes.
    pub text: String,
    /// Whether it was quoted (a string or a quoted name, never a keyword).
    pub quoted: bool,
}

impl Token {
    /// Whether this is the unquoted keyword or punctuation `word`, in any case.
    pub(crate) fn is(&self, word: &str) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case(word)
    }
}

/// Reads words from one statement's text the way SQLite's tokenizer does: whitespace is
/// SQLite's (space, tab, newline, form feed, carriage return), a `--` comment ends at a newline
/// only, and a name may hold any non-ASCII character.
struct Lexer<'a> {
    text: &'a str,
    at: usize,
    comments: String,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    /// Skips whitespace and comments, keeping the comments' text.
    fn skip_trivia(&mut self) {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
            self.at += rest.len() - trimmed.len();
            let rest = self.rest();
            let comment_end = if rest.starts_with("--") {
                rest.find('\n').map_or(rest.len(), |n| n + 1)
            } else if let Some(body) = rest.strip_prefix("/*") {
                body.find("*/").map_or(rest.len(), |n| n + 4)
            } else {
                return;
            };
            self.comments.push_str(&rest[..comment_end]);
            self.at += comment_end;
        }
    }

    fn next_token(&mut self) -> Option<Token> {
        self.skip_trivia();
        let rest = self.rest();
        let first = rest.chars().next()?;
        let closing = match first {
            '\'' => Some('\''),
            '"' => Some('"'),
            '`' => Some('`'),
            '[' => Some(']'),
            _ => None,
        };
        let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii();
        let (text, length, quoted) = if let Some(close) = closing {
            let mut value = String::new();
            let mut length = rest.len();
            let mut chars = rest.char_indices().skip(1).peekable();
            while let Some((at, c)) = chars.next() {
                if c == close {
                    if close != ']' && chars.peek().is_some_and(|&(_, next)| next == close) {
                        value.push(c);
                        chars.next();
                        continue;
                    }
                    length = at + c.len_utf8();
                    break;
                }
                value.push(c);
            }
            (value, length, true)
        } else if is_word(first) {
            let length = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
            (rest[..length].to_string(), length, false)
        } else {
            (first.to_string(), first.len_utf8(), false)
        };
        self.at += length;
        Some(Token { text, quoted })
    }
}

/// Runs every statement of `sql` in order on `conn` (a transaction derefs to one), after the
/// [`gate`] passed the whole text. The first failing or refused statement stops the run with an
/// error naming it; the caller's transaction decides what the statements before it leave behind.
pub fn run(conn: &Connection, sql: &str, mode: Mode, path: &Path) -> Result<Vec<Outcome>> {
    gate(sql).map_err(refused)?;
    let outcomes = execute(conn, sql, mode, path)?;
    if outcomes.is_empty() {
        return Err(Error::usage("no SQL statement given"));
    }
    Ok(outcomes)
}

/// The error for SQL a person gave a command (`exec`, `sql`) that the [`gate`] refuses.
fn refused(refusal: Refusal) -> Error {
    Error::refused(format!("{refusal}; nothing ran; remove it and re-run"))
}

/// Runs the statements of `sql`, which has passed the [`gate`], one by one as [`split`] found
/// them; a piece that SQLite reads as more than one statement is an error, so nothing runs that
/// the gate did not see. An error names the statement: ``statement 2 (line 5) failed on `db` ``.
pub(crate) fn execute(
    conn: &Connection,
    sql: &str,
    mode: Mode,
    path: &Path,
) -> Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    for piece in split(sql) {
        let doing = format!("{} failed on", name(&piece));
        let mut statement = conn
            .prepare(piece.text)
            .map_err(|e| sqlite_error(path, &doing, e))?;
        let text = statement
            .expanded_sql()
            .unwrap_or_default()
            .trim()
            .to_string();
        if mode == Mode::Read && !statement.readonly() {
            return Err(Error::refused(format!(
                "{} changes the database (`{}`); this runs read-only unless you pass --write",
                name(&piece),
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
    Ok(outcomes)
}

/// How an error names a statement: `statement 2 (line 5)`.
fn name(statement: &Statement) -> String {
    format!("statement {} (line {})", statement.number, statement.line)
}

/// Passes `sql` through the [`gate`] and prepares its statements without running them, so that
/// a typo, an unknown table or a refused statement is reported before anything else is done
/// (such as a backup). Preparing stops at the first statement that changes the schema, as those
/// after it may depend on it.
pub fn check(conn: &Connection, sql: &str, path: &Path) -> Result<()> {
    gate(sql).map_err(refused)?;
    for piece in split(sql) {
        let doing = format!("{} failed on", name(&piece));
        conn.prepare(piece.text)
            .map_err(|e| sqlite_error(path, &doing, e))?;
        if ["CREATE", "DROP", "ALTER"]
            .iter()
            .any(|k| piece.tokens[0].is(k))
        {
            return Ok(());
        }
    }
    Ok(())
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

    #[test]
    fn the_form_without_comments_keeps_every_word_and_value() {
        let without_comments = |sql| read(sql).0;
        let sql = "\u{feff}-- header\r\nCREATE TABLE t (x, -- inline\n  y);\n/* note */ INSERT INTO t VALUES ('a  -- b', x'00');\n";
        assert_eq!(
            without_comments(sql),
            "CREATE TABLE t (x, y); INSERT INTO t VALUES ('a  -- b', x'00');"
        );
        assert_eq!(without_comments("-- note\rDROP TABLE t;"), "");
        assert_eq!(without_comments("a/**/b"), "a b");
        assert_ne!(without_comments("x'00'"), without_comments("x '00'"));
        assert_eq!(without_comments("'a\r\nb'"), without_comments("'a\nb'"));
        assert_ne!(without_comments("'a b'"), without_comments("\"a b\""));
    }

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

    fn refused(sql: &str) -> Vec<(usize, usize, String)> {
        refusals(sql)
            .into_iter()
            .map(|r| (r.number, r.line, r.statement))
            .collect()
    }

    fn at(number: usize, line: usize, statement: &str) -> (usize, usize, String) {
        (number, line, statement.to_string())
    }

    #[test]
    fn the_gate_finds_every_refused_statement_with_its_number_and_line() {
        let sql = "CREATE TABLE a (x);\n-- a note\nINSERT INTO a VALUES (';');\n  commit;\nSELECT 1; Begin Immediate;\n/* x */ END\n;\nrelease s; SAVEPOINT s; ROLLBACK TO s;\nattach 'o.db' AS o; DETACH o; VACUUM INTO 'c.db';\n";
        assert_eq!(
            refused(sql),
            [
                at(3, 4, "COMMIT"),
                at(5, 5, "BEGIN"),
                at(6, 6, "END"),
                at(7, 8, "RELEASE"),
                at(8, 8, "SAVEPOINT"),
                at(9, 8, "ROLLBACK"),
                at(10, 9, "ATTACH"),
                at(11, 9, "DETACH"),
                at(12, 9, "VACUUM"),
            ]
        );
        let first = gate(sql).unwrap_err();
        assert_eq!(
            first.to_string().split(':').next(),
            Some("statement 3 (`COMMIT`, line 4) is not allowed")
        );
    }

    #[test]
    fn the_gate_reads_words_as_sqlite_does() {
        for harmless in [
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; UPDATE c SET x = 1; END;",
            "SELECT 'COMMIT; BEGIN'; SELECT \"end\" FROM [vacuum];",
            "-- COMMIT;\n/* BEGIN; */ SELECT 1;",
            "-- note\rCOMMIT;",
            "\u{3000}COMMIT;",
            "PRAGMA foreign_keys; PRAGMA main.user_version; PRAGMA defer_foreign_keys = ON; PRAGMA table_info(a);",
            "SELECT * FROM begin_here; INSERT INTO commits VALUES (1);",
            "",
            " ; ;; -- nothing\n",
        ] {
            assert_eq!(refused(harmless), [], "{harmless:?}");
        }
        for (sql, what) in [
            ("\u{feff}COMMIT", "COMMIT"),
            ("\r\n\t\x0cbegin", "BEGIN"),
            (
                "EXPLAIN PRAGMA ignore_check_constraints = 1",
                "PRAGMA ignore_check_constraints",
            ),
            ("explain query plan COMMIT", "COMMIT"),
            ("PRAGMA \"foreign_keys\" = OFF", "PRAGMA foreign_keys"),
            (
                "PRAGMA [main].'Writable_Schema'=1",
                "PRAGMA writable_schema",
            ),
            (
                "PRAGMA /* c */ main . journal_mode\n(OFF)",
                "PRAGMA journal_mode",
            ),
            ("SELECT 1;\nSELECT 2 -- x\0;\n", "NUL byte"),
        ] {
            let found = refused(sql);
            assert_eq!(found.len(), 1, "{sql:?}: {found:?}");
            assert_eq!(found[0].2, what, "{sql:?}");
        }
        assert_eq!(
            refused("SELECT 1;\nSELECT 2 -- x\0;\n")[0],
            at(2, 2, "NUL byte")
        );
    }

    #[test]
    fn statements_split_where_sqlite_says_and_keep_their_comments() {
        let sql = "\u{feff}-- one\nSELECT ';';\n\n/* two */ CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\nEND;\nSELECT 3";
        let found = split(sql);
        let shown: Vec<_> = found.iter().map(|s| (s.number, s.line, s.text)).collect();
        assert_eq!(
            shown,
            [
                (1, 2, "SELECT ';';"),
                (
                    2,
                    4,
                    "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\nEND;"
                ),
                (3, 7, "SELECT 3"),
            ]
        );
        assert_eq!(found[0].comments, "-- one\n");
        assert_eq!(found[1].comments, "/* two */");
    }

    #[test]
    fn a_failing_statement_is_named_by_number_and_line() {
        let err = run(
            &conn(),
            "SELECT 1;\n\n  INSERT INTO nowhere VALUES (1);",
            Mode::Write,
            Path::new("t.db"),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("statement 2 (line 3) failed on `t.db`"),
            "{err}"
        );
    }

    #[test]
    fn values_render_as_text_and_json() {
        assert_eq!(value_text(&Value::Blob(vec![0, 255])), "x'00ff'");
        assert_eq!(value_json(&Value::Real(1.5)), serde_json::json!(1.5));
        assert_eq!(value_json(&Value::Null), serde_json::Value::Null);
    }
}
