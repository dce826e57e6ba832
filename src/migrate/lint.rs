//! Finds the destructive statements in a migration's SQL (`DROP TABLE`, `DROP COLUMN`, table
//! rebuilds, `DELETE FROM`), and whether each was acknowledged with the marker comment.
//!
//! Statements are split and read by [`crate::migrate::statements::split`], as the statement gate reads them,
//! so semicolons in strings, quoted names, comments and trigger bodies do not split them.

use crate::migrate::statements::{self, Token};
use std::fmt;

/// The comment that acknowledges a destructive statement after review, with the reason after it
/// on its line (a bare marker acknowledges nothing). It must be in the comments right before the
/// statement (after the previous statement's `;`):
///
/// ```sql
/// -- onsendo:destructive-ok notes moved to visit_notes in 04
/// ALTER TABLE visits DROP COLUMN notes;
/// ```
pub const MARKER: &str = "onsendo:destructive-ok";

/// What makes a statement destructive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Danger {
    /// `DROP TABLE t`.
    DropTable { table: String },
    /// `ALTER TABLE t DROP COLUMN c`.
    DropColumn { table: String, column: String },
    /// `DROP TABLE t` in a file that also renames another table to `t` (SQLite's 12-step rebuild).
    TableRebuild { table: String },
    /// `DELETE FROM t`.
    DeleteRows { table: String },
}

impl fmt::Display for Danger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Danger::DropTable { table } => write!(f, "DROP TABLE {table}"),
            Danger::DropColumn { table, column } => write!(f, "DROP COLUMN {table}.{column}"),
            Danger::TableRebuild { table } => write!(f, "table rebuild of {table}"),
            Danger::DeleteRows { table } => write!(f, "DELETE FROM {table}"),
        }
    }
}

/// One destructive statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What it does.
    pub danger: Danger,
    /// The 1-based line of its first keyword.
    pub line: usize,
    /// Whether the marker comment is right before it.
    pub acknowledged: bool,
}

/// Every destructive statement in `sql`, in file order.
pub fn destructive_statements(sql: &str) -> Vec<Finding> {
    let statements: Vec<Statement> = statements::split(sql)
        .into_iter()
        .map(|s| Statement {
            acknowledged: acknowledges(&s.comments),
            line: s.line,
            tokens: s.tokens,
        })
        .collect();
    let renamed_to: Vec<String> = statements.iter().filter_map(|s| s.renamed_to()).collect();
    statements
        .iter()
        .filter_map(|statement| {
            let danger = match statement.danger()? {
                Danger::DropTable { table } if renamed_to.contains(&table.to_lowercase()) => {
                    Danger::TableRebuild { table }
                }
                danger => danger,
            };
            Some(Finding {
                danger,
                line: statement.line,
                acknowledged: statement.acknowledged,
            })
        })
        .collect()
}

/// Whether `comments` (those right before a statement) hold the [`MARKER`] followed by a reason
/// on its line: a bare marker acknowledges nothing.
fn acknowledges(comments: &str) -> bool {
    comments.match_indices(MARKER).any(|(at, _)| {
        let rest = &comments[at + MARKER.len()..];
        let line = rest.lines().next().unwrap_or("");
        let reason = line.split("*/").next().unwrap_or("").trim();
        !reason.is_empty()
    })
}

/// One statement: its words, where it starts, and whether the marker precedes it.
struct Statement {
    tokens: Vec<Token>,
    line: usize,
    acknowledged: bool,
}

impl Statement {
    fn word(&self, index: usize) -> Option<&Token> {
        self.tokens.get(index)
    }

    /// The name starting at `index` (`schema.name` gives `name`), and the index after it.
    fn name_at(&self, index: usize) -> Option<(String, usize)> {
        let first = self.word(index)?;
        match (self.word(index + 1), self.word(index + 2)) {
            (Some(dot), Some(name)) if dot.text == "." && !dot.quoted => {
                Some((name.text.clone(), index + 3))
            }
            _ => Some((first.text.clone(), index + 1)),
        }
    }

    fn danger(&self) -> Option<Danger> {
        let starts = |words: &[&str]| {
            words
                .iter()
                .enumerate()
                .all(|(i, w)| self.word(i).is_some_and(|t| t.is(w)))
        };
        if starts(&["DROP", "TABLE"]) {
            let at = if starts(&["DROP", "TABLE", "IF", "EXISTS"]) {
                4
            } else {
                2
            };
            let (table, _) = self.name_at(at)?;
            return Some(Danger::DropTable { table });
        }
        if starts(&["ALTER", "TABLE"]) {
            let (table, next) = self.name_at(2)?;
            if !self.word(next)?.is("DROP") {
                return None;
            }
            let at = if self.word(next + 1)?.is("COLUMN") {
                next + 2
            } else {
                next + 1
            };
            let column = self.word(at)?.text.clone();
            return Some(Danger::DropColumn { table, column });
        }
        let delete = self.tokens.iter().position(|t| t.is("DELETE"))?;
        let leads = delete == 0 || (starts(&["WITH"]) && self.at_top_level(delete));
        if leads && self.word(delete + 1)?.is("FROM") {
            let (table, _) = self.name_at(delete + 2)?;
            return Some(Danger::DeleteRows { table });
        }
        None
    }

    /// Whether the word at `index` is outside every parenthesis.
    fn at_top_level(&self, index: usize) -> bool {
        let depth =
            self.tokens[..index]
                .iter()
                .fold(0i32, |depth, t| match (t.quoted, t.text.as_str()) {
                    (false, "(") => depth + 1,
                    (false, ")") => depth - 1,
                    _ => depth,
                });
        depth == 0
    }

    /// For `ALTER TABLE x RENAME TO t`: `t`, lowercased.
    fn renamed_to(&self) -> Option<String> {
        if !(self.word(0)?.is("ALTER") && self.word(1)?.is("TABLE")) {
            return None;
        }
        let (_, next) = self.name_at(2)?;
        if self.word(next)?.is("RENAME") && self.word(next + 1)?.is("TO") {
            return Some(self.name_at(next + 2)?.0.to_lowercase());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dangers(sql: &str) -> Vec<(String, usize, bool)> {
        destructive_statements(sql)
            .into_iter()
            .map(|f| (f.danger.to_string(), f.line, f.acknowledged))
            .collect()
    }

    fn found(danger: &str, line: usize, acknowledged: bool) -> (String, usize, bool) {
        (danger.to_string(), line, acknowledged)
    }

    #[test]
    fn each_kind_is_found_with_its_line() {
        let sql = "CREATE TABLE a (x);\nDROP TABLE old;\nALTER TABLE visits DROP COLUMN notes;\nalter table visits drop mood;\nDELETE FROM onsens WHERE id > 3;\n";
        assert_eq!(
            dangers(sql),
            [
                found("DROP TABLE old", 2, false),
                found("DROP COLUMN visits.notes", 3, false),
                found("DROP COLUMN visits.mood", 4, false),
                found("DELETE FROM onsens", 5, false),
            ]
        );
    }

    #[test]
    fn quoting_case_if_exists_and_schema_prefixes() {
        let sql = r#"drop table if exists "Old Visits"; DROP TABLE main.[legacy]; ALTER TABLE `odd``name` DROP COLUMN "a""b"; DELETE FROM main.visits"#;
        assert_eq!(
            dangers(sql),
            [
                found("DROP TABLE Old Visits", 1, false),
                found("DROP TABLE legacy", 1, false),
                found("DROP COLUMN odd`name.a\"b", 1, false),
                found("DELETE FROM visits", 1, false),
            ]
        );
    }

    #[test]
    fn a_rebuild_is_named_as_one() {
        let sql = "CREATE TABLE visits_new (id INTEGER PRIMARY KEY);\nINSERT INTO visits_new SELECT id FROM visits;\nDROP TABLE visits;\nALTER TABLE visits_new RENAME TO Visits;\nALTER TABLE visits RENAME COLUMN a TO b;\n";
        assert_eq!(dangers(sql), [found("table rebuild of visits", 3, false)]);
    }

    #[test]
    fn semicolons_in_strings_comments_and_triggers_do_not_split() {
        let sql = "INSERT INTO notes VALUES ('it''s; DROP TABLE x; ok');\n/* DROP TABLE y; */ -- DELETE FROM z;\nCREATE TRIGGER t AFTER INSERT ON visits BEGIN\n  DELETE FROM cache;\n  UPDATE x SET y = 1;\nEND;\nDROP TABLE \"a;b\";\n";
        assert_eq!(dangers(sql), [found("DROP TABLE a;b", 7, false)]);
    }

    #[test]
    fn the_marker_with_a_reason_acknowledges_only_the_next_statement() {
        let sql = "-- onsendo:destructive-ok reviewed\nDROP TABLE a;\nDROP TABLE b;\n/* onsendo:destructive-ok also fine */ DELETE FROM c;\n-- onsendo:destructive-ok\nDROP TABLE d;\n/* onsendo:destructive-ok */ DROP TABLE e;\n";
        assert_eq!(
            dangers(sql),
            [
                found("DROP TABLE a", 2, true),
                found("DROP TABLE b", 3, false),
                found("DELETE FROM c", 4, true),
                found("DROP TABLE d", 6, false),
                found("DROP TABLE e", 7, false)
            ]
        );
    }

    #[test]
    fn a_bom_and_crlf_change_nothing() {
        let unix = "-- note\n\nDROP TABLE a;\nWITH gone AS (SELECT 1) DELETE FROM b;\n";
        let windows = format!("\u{feff}{}", unix.replace('\n', "\r\n"));
        assert_eq!(dangers(unix), dangers(&windows));
        assert_eq!(
            dangers(unix),
            [
                found("DROP TABLE a", 3, false),
                found("DELETE FROM b", 4, false)
            ]
        );
    }

    #[test]
    fn harmless_files_find_nothing() {
        assert!(dangers("").is_empty());
        assert!(dangers("  -- only a comment\n").is_empty());
        let sql = "CREATE TABLE t (x); CREATE INDEX i ON t (x); INSERT INTO t VALUES (1); UPDATE t SET x = 2; DROP INDEX i; DROP VIEW v; DROP TRIGGER tr;";
        assert!(dangers(sql).is_empty());
        let sql = "INSERT INTO log SELECT * FROM (SELECT 'DELETE' AS word);";
        assert!(dangers(sql).is_empty());
    }
}
