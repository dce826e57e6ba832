//! Where a database stands against the code's migrations: applied, pending, edited since applied
//! (its up.sql or its down.sql), or unknown to this code. A pure comparison of the catalog,
//! `user_version` and the ledger, in time and memory bounded by the catalog and the ledger,
//! whatever `user_version` holds.

use crate::migrate::catalog::{checksum_matches, Catalog, Migration};
use crate::migrate::ledger::Entry;
use crate::selection::config::DatabaseConfig;
use crate::selection::hint::Hint;
use crate::ui::counted;

/// The state of one migration in one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Applied, and its file is unchanged since.
    Applied,
    /// Applied before the ledger existed; its row was (or will be) filled from the current file.
    BeforeLedger,
    /// Applied, but the ledger, which exists, has no row for it: removed by hand.
    Unrecorded,
    /// Applied, but its file's checksum differs from the recorded one.
    Edited,
    /// Applied, but its down.sql differs from the one recorded (changed or removed).
    DownEdited,
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
            Mark::Unrecorded => "applied, its ledger row MISSING",
            Mark::Edited => "EDITED since applied",
            Mark::DownEdited => "down.sql EDITED since applied",
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
    /// The code's migrations, by version, then those the ledger names above the code's head.
    pub rows: Vec<Row>,
    /// Applied migrations with no ledger row yet (the database predates the ledger).
    pub unrecorded: usize,
}

impl State {
    /// Compares the database (`version`, `ledger`: `None` when it has no ledger table) with
    /// `catalog`.
    pub(crate) fn compare(catalog: &Catalog, version: usize, ledger: Option<&[Entry]>) -> State {
        let has_ledger = ledger.is_some();
        let ledger = ledger.unwrap_or_default();
        let head = catalog.head();
        let recorded = |v: usize| ledger.iter().find(|entry| entry.version == v);
        let known = catalog.migrations.iter().map(|migration| {
            let v = migration.version;
            let entry = recorded(v);
            let mark = match entry {
                _ if v > version => Mark::Pending,
                None if has_ledger => Mark::Unrecorded,
                None => Mark::BeforeLedger,
                Some(e) if !checksum_matches(&e.checksum, &migration.checksum, &migration.up) => {
                    Mark::Edited
                }
                Some(e) if !down_matches(e.down_checksum.as_deref(), migration) => Mark::DownEdited,
                Some(e) if e.how == "filled" => Mark::BeforeLedger,
                Some(_) => Mark::Applied,
            };
            Row {
                version: v,
                name: migration.name.clone(),
                mark,
                applied_at: entry.and_then(|e| e.applied_at.clone()),
            }
        });
        let unknown = ledger.iter().filter(|e| e.version > head).map(|e| Row {
            version: e.version,
            name: e.name.clone(),
            mark: Mark::Unknown,
            applied_at: e.applied_at.clone(),
        });
        let rows = known.chain(unknown).collect();
        let unrecorded = (1..=version.min(head))
            .filter(|v| recorded(*v).is_none())
            .count();
        State {
            version,
            head,
            rows,
            unrecorded,
        }
    }

    /// How many versions the database is above the code's head (0 when it is not).
    pub fn above_head(&self) -> usize {
        self.version.saturating_sub(self.head)
    }

    /// The rows with this mark.
    pub fn marked(&self, mark: Mark) -> Vec<&Row> {
        self.rows.iter().filter(|row| row.mark == mark).collect()
    }

    /// Whether the database knows migrations this code does not.
    pub fn is_ahead(&self) -> bool {
        self.above_head() > 0 || !self.marked(Mark::Unknown).is_empty()
    }

    /// At head, nothing edited (up.sql or down.sql), nothing unknown: no [`State::problems`].
    pub fn is_current(&self) -> bool {
        !self.is_ahead()
            && [
                Mark::Edited,
                Mark::DownEdited,
                Mark::Unrecorded,
                Mark::Pending,
            ]
            .into_iter()
            .all(|mark| self.marked(mark).is_empty())
    }

    /// What is wrong, one sentence each: a database newer than the code, edited files, pending
    /// migrations. Each is one line of bounded length; the fixes carry the selection `config` made.
    pub fn problems(&self, config: &DatabaseConfig) -> Vec<String> {
        let names = |rows: Vec<&Row>, most: usize| {
            let shown: Vec<String> = rows
                .iter()
                .take(most)
                .map(|row| format!("{} ({})", row.version, row.name))
                .collect();
            match rows.len().saturating_sub(shown.len()) {
                0 => shown.join(", "),
                more => format!("{} and {more} more", shown.join(", ")),
            }
        };
        let mut problems = Vec::new();
        if self.is_ahead() {
            let mut found = Vec::new();
            if self.above_head() > 0 {
                found.push(format!(
                    "it is at version {}, {} above this code's head ({})",
                    self.version,
                    counted(self.above_head(), "version"),
                    self.head
                ));
            }
            let unknown = self.marked(Mark::Unknown);
            if !unknown.is_empty() {
                found.push(format!(
                    "its ledger names migration(s) this code does not know: {}",
                    names(unknown, 3)
                ));
            }
            problems.push(format!(
                "database is newer than this code: {}; update the code",
                found.join("; ")
            ));
        }
        for row in self.marked(Mark::Edited) {
            problems.push(format!(
                "migration {} was edited after it was applied; review the change, then accept it with `{}` (or restore the file)",
                row.name,
                Hint::command(config, "database migrate").value("--accept-edited", row.version)
            ));
        }
        for row in self.marked(Mark::DownEdited) {
            problems.push(format!(
                "the down.sql of migration {} was changed after it was applied, so it may not undo what ran; review it, then accept it with `{}` (or restore the file)",
                row.name,
                Hint::command(config, "database migrate").value("--accept-edited", row.version)
            ));
        }
        let unrecorded = self.marked(Mark::Unrecorded);
        if !unrecorded.is_empty() {
            problems.push(format!(
                "ledger drift: applied migration(s) {} have no row in the ledger (removed by hand?); if the files are what ran, record them again with `{}`",
                names(unrecorded, 10),
                Hint::command(config, "database migrate")
            ));
        }
        let pending = self.marked(Mark::Pending);
        if !pending.is_empty() {
            problems.push(format!(
                "{} pending migration{}: {}; apply with `{}`",
                pending.len(),
                if pending.len() == 1 { "" } else { "s" },
                names(pending, usize::MAX),
                Hint::command(config, "database migrate")
            ));
        }
        problems
    }
}

/// Whether a recorded down.sql checksum still matches the file: a row without one (made before
/// the column existed) takes the file as it is; a removed file is a change.
fn down_matches(recorded: Option<&str>, migration: &Migration) -> bool {
    match (recorded, &migration.down, &migration.down_checksum) {
        (None, _, _) => true,
        (Some(recorded), Some(down), Some(current)) => checksum_matches(recorded, current, down),
        (Some(_), _, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selection::config::{resolve, Flags, Vars};

    fn config() -> DatabaseConfig {
        resolve(&Flags::default(), &Vars::default(), || Ok("/repo".into())).unwrap()
    }
    use crate::migrate::catalog::{checksum, Migration, Source};

    fn catalog(count: usize) -> Catalog {
        let migrations = (1..=count)
            .map(|v| {
                let up = format!("CREATE TABLE t{v} (x);");
                let down = format!("DROP TABLE t{v};");
                Migration {
                    version: v,
                    name: format!("{v:02}-t{v}"),
                    checksum: checksum(&up),
                    down_checksum: Some(checksum(&down)),
                    up,
                    down: Some(down),
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
            down_checksum: Some(checksum(&format!("DROP TABLE t{v};"))),
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
        let state = State::compare(&catalog(4), 2, Some(&ledger));
        assert_eq!(
            marks(&state),
            [
                Mark::BeforeLedger,
                Mark::Applied,
                Mark::Pending,
                Mark::Pending
            ]
        );
        assert_eq!(
            state.problems(&config()),
            ["2 pending migrations: 3 (03-t3), 4 (04-t4); apply with `cargo xtask database migrate --env dev`"]
        );
        let no_ledger = State::compare(&catalog(4), 4, None);
        assert_eq!(marks(&no_ledger), [Mark::BeforeLedger; 4]);
        assert!(no_ledger.is_current());
        assert_eq!(no_ledger.unrecorded, 4);
    }

    #[test]
    fn a_row_removed_from_the_ledger_is_drift() {
        let ledger = [
            entry(1, "CREATE TABLE t1 (x);", "applied"),
            entry(3, "CREATE TABLE t3 (x);", "applied"),
        ];
        let state = State::compare(&catalog(3), 3, Some(&ledger));
        assert_eq!(
            marks(&state),
            [Mark::Applied, Mark::Unrecorded, Mark::Applied]
        );
        assert!(!state.is_current());
        assert_eq!(
            state.problems(&config()),
            ["ledger drift: applied migration(s) 2 (02-t2) have no row in the ledger (removed by hand?); if the files are what ran, record them again with `cargo xtask database migrate --env dev`"]
        );
    }

    #[test]
    fn an_edited_file_is_named() {
        let ledger = [
            entry(1, "CREATE TABLE t1 (x);", "applied"),
            entry(2, "CREATE TABLE t2 (y);", "applied"),
        ];
        let state = State::compare(&catalog(2), 2, Some(&ledger));
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
        let state = State::compare(&catalog(2), 3, Some(&ledger));
        assert!(state.is_ahead());
        assert_eq!(state.rows[2].name, "03-t3");
        assert!(
            state.problems(&config())[0].starts_with("database is newer than this code"),
            "{:?}",
            state.problems(&config())
        );
        let by_version_only = State::compare(&catalog(2), 5, None);
        assert!(by_version_only.is_ahead());
        assert_eq!(by_version_only.rows.len(), 2);
        assert_eq!(
            by_version_only.problems(&config()),
            ["database is newer than this code: it is at version 5, 3 versions above this code's head (2); update the code"]
        );
    }

    #[test]
    fn a_huge_version_is_answered_in_one_short_line() {
        let ledger: Vec<Entry> = (1..=40)
            .map(|v| entry(v, &format!("CREATE TABLE t{v} (x);"), "applied"))
            .collect();
        let state = State::compare(&catalog(2), i32::MAX as usize, Some(&ledger));
        assert_eq!(
            state.rows.len(),
            40,
            "one row per migration either side names"
        );
        assert_eq!(state.above_head(), 2147483645);
        let problems = state.problems(&config());
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0],
            "database is newer than this code: it is at version 2147483647, 2147483645 versions above this code's head (2); its ledger names migration(s) this code does not know: 3 (03-t3), 4 (04-t4), 5 (05-t5) and 35 more; update the code"
        );
    }

    #[test]
    fn an_edited_down_sql_is_named_unless_the_row_predates_down_checksums() {
        let mut ledger = vec![
            entry(1, "CREATE TABLE t1 (x);", "applied"),
            entry(2, "CREATE TABLE t2 (x);", "applied"),
        ];
        ledger[1].down_checksum = Some(checksum("DROP TABLE t2; DROP TABLE t1;"));
        let state = State::compare(&catalog(2), 2, Some(&ledger));
        assert_eq!(marks(&state), [Mark::Applied, Mark::DownEdited]);
        assert!(
            state.problems(&config())[0].starts_with("the down.sql of migration 02-t2 was changed"),
            "{:?}",
            state.problems(&config())
        );
        assert!(state.problems(&config())[0].contains("--accept-edited 2"));
        ledger[1].down_checksum = None;
        assert!(State::compare(&catalog(2), 2, Some(&ledger)).is_current());
    }
}
