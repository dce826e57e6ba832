//! Where a database stands against the code's migrations: applied, pending, edited since applied,
//! or unknown to this code. A pure comparison of the catalog, `user_version` and the ledger.

use crate::config::DatabaseConfig;
use crate::hint::Hint;
use crate::migrate::catalog::Catalog;
use crate::migrate::ledger::Entry;

/// The state of one migration in one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Applied, and its file is unchanged since.
    Applied,
    /// Applied before the ledger existed; its row was (or will be) filled from the current file.
    BeforeLedger,
    /// Applied, but its file's checksum differs from the recorded one.
    Edited,
    /// Not applied yet.
    Pending,
    /// Applied to the database, but this code has no such migration.
    Unknown,
}

impl Mark {
    /// How the mark is shown.
    pub fn label(self) -> &'static str {
        match self {
            Mark::Applied => "applied",
            Mark::BeforeLedger => "applied (before the ledger)",
            Mark::Edited => "EDITED since applied",
            Mark::Pending => "pending",
            Mark::Unknown => "UNKNOWN to this code",
        }
    }
}

/// One migration's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Its version.
    pub version: usize,
    /// Its name (from the code, else from the ledger, else `?`).
    pub name: String,
    /// Its state.
    pub mark: Mark,
    /// When it was applied, when recorded.
    pub applied_at: Option<String>,
}

/// A database's migrations against the code's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The database's `user_version`.
    pub version: usize,
    /// The code's head.
    pub head: usize,
    /// Every migration either side knows, by version.
    pub rows: Vec<Row>,
    /// Applied migrations with no ledger row yet (the database predates the ledger).
    pub unrecorded: usize,
}

impl State {
    /// Compares the database (`version`, `ledger`) with `catalog`.
    pub fn compare(catalog: &Catalog, version: usize, ledger: &[Entry]) -> State {
        let recorded = |v: usize| ledger.iter().find(|entry| entry.version == v);
        let last_recorded = ledger.iter().map(|entry| entry.version).max().unwrap_or(0);
        let last = catalog.head().max(version).max(last_recorded);
        let rows = (1..=last)
            .map(|v| {
                let entry = recorded(v);
                let applied_at = entry.and_then(|e| e.applied_at.clone());
                let Some(migration) = catalog.get(v) else {
                    let name = entry.map_or("?".to_string(), |e| e.name.clone());
                    return Row {
                        version: v,
                        name,
                        mark: Mark::Unknown,
                        applied_at,
                    };
                };
                let mark = match entry {
                    _ if v > version => Mark::Pending,
                    None => Mark::BeforeLedger,
                    Some(e) if e.checksum != migration.checksum => Mark::Edited,
                    Some(e) if e.how == "filled" => Mark::BeforeLedger,
                    Some(_) => Mark::Applied,
                };
                Row {
                    version: v,
                    name: migration.name.clone(),
                    mark,
                    applied_at,
                }
            })
            .collect();
        let unrecorded = (1..=version.min(catalog.head()))
            .filter(|v| recorded(*v).is_none())
            .count();
        State {
            version,
            head: catalog.head(),
            rows,
            unrecorded,
        }
    }

    /// The rows with this mark.
    pub fn marked(&self, mark: Mark) -> Vec<&Row> {
        self.rows.iter().filter(|row| row.mark == mark).collect()
    }

    /// Whether the database knows migrations this code does not.
    pub fn is_ahead(&self) -> bool {
        !self.marked(Mark::Unknown).is_empty()
    }

    /// At head, nothing edited, nothing unknown.
    pub fn is_current(&self) -> bool {
        [Mark::Unknown, Mark::Edited, Mark::Pending]
            .into_iter()
            .all(|mark| self.marked(mark).is_empty())
    }

    /// What is wrong, one sentence each: unknown versions, edited files, pending migrations; the
    /// fixes carry the selection `config` made.
    pub fn problems(&self, config: &DatabaseConfig) -> Vec<String> {
        let names = |mark| {
            self.marked(mark)
                .iter()
                .map(|row| format!("{} ({})", row.version, row.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut problems = Vec::new();
        if self.is_ahead() {
            problems.push(format!(
                "database is newer than this code: it has version {} and knows migrations {} that this code does not; update the code",
                self.version,
                names(Mark::Unknown)
            ));
        }
        for row in self.marked(Mark::Edited) {
            problems.push(format!(
                "migration {} was edited after it was applied; review the change, then accept it with `{}` (or restore the file)",
                row.name,
                Hint::command(config, "database migrate").value("--accept-edited", row.version)
            ));
        }
        let pending = self.marked(Mark::Pending);
        if !pending.is_empty() {
            problems.push(format!(
                "{} pending migration{}: {}; apply with `{}`",
                pending.len(),
                if pending.len() == 1 { "" } else { "s" },
                names(Mark::Pending),
                Hint::command(config, "database migrate")
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{resolve, Flags, Vars};

    fn config() -> DatabaseConfig {
        resolve(&Flags::default(), &Vars::default(), || Ok("/repo".into())).unwrap()
    }
    use crate::migrate::catalog::{checksum, Migration, Source};

    fn catalog(count: usize) -> Catalog {
        let migrations = (1..=count)
            .map(|v| {
                let up = format!("CREATE TABLE t{v} (x);");
                Migration {
                    version: v,
                    name: format!("{v:02}-t{v}"),
                    checksum: checksum(&up),
                    up,
                    down: None,
                }
            })
            .collect();
        Catalog {
            source: Source::BuiltIn,
            migrations,
        }
    }

    fn entry(v: usize, sql: &str, how: &str) -> Entry {
        Entry {
            version: v,
            name: format!("{v:02}-t{v}"),
            checksum: checksum(sql),
            applied_at: Some("2026-11-22T08:00:00Z".into()),
            duration_ms: Some(1),
            how: how.into(),
        }
    }

    fn marks(state: &State) -> Vec<Mark> {
        state.rows.iter().map(|row| row.mark).collect()
    }

    #[test]
    fn applied_pending_and_before_the_ledger() {
        let ledger = [
            entry(1, "CREATE TABLE t1 (x);", "filled"),
            entry(2, "CREATE TABLE t2 (x);", "applied"),
        ];
        let state = State::compare(&catalog(4), 3, &ledger);
        assert_eq!(
            marks(&state),
            [
                Mark::BeforeLedger,
                Mark::Applied,
                Mark::BeforeLedger,
                Mark::Pending
            ]
        );
        assert_eq!(state.problems(&config()).len(), 1);
        assert!(
            state.problems(&config())[0].starts_with("1 pending migration: 4 (04-t4)"),
            "{:?}",
            state.problems(&config())
        );
        assert!(State::compare(&catalog(4), 4, &ledger).is_current());
    }

    #[test]
    fn an_edited_file_is_named() {
        let ledger = [
            entry(1, "CREATE TABLE t1 (x);", "applied"),
            entry(2, "CREATE TABLE t2 (y);", "applied"),
        ];
        let state = State::compare(&catalog(2), 2, &ledger);
        assert_eq!(marks(&state), [Mark::Applied, Mark::Edited]);
        assert!(
            state.problems(&config())[0].contains("migration 02-t2 was edited"),
            "{:?}",
            state.problems(&config())
        );
        assert!(state.problems(&config())[0].contains("--accept-edited 2"));
    }

    #[test]
    fn a_database_newer_than_the_code() {
        let ledger = [entry(3, "CREATE TABLE t3 (x);", "applied")];
        let state = State::compare(&catalog(2), 3, &ledger);
        assert!(state.is_ahead());
        assert_eq!(state.rows[2].name, "03-t3");
        assert!(
            state.problems(&config())[0].starts_with("database is newer than this code"),
            "{:?}",
            state.problems(&config())
        );
        let by_version_only = State::compare(&catalog(2), 5, &[]);
        assert_eq!(by_version_only.marked(Mark::Unknown).len(), 3);
        assert_eq!(by_version_only.rows[4].name, "?");
    }
}
