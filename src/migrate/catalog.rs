//! The migrations the code knows: `NN-name/up.sql` (+ optional `down.sql`) folders, read from
//! the root's `migrations/` folder when there is one, else the set built into the binary.

use crate::migrate::renumber::number_of;
use crate::migrate::statements;
use crate::selection::paths::Layout;
use crate::shared::digest::Digest;
use crate::shared::error::{Context, Error, Result};
use include_dir::{include_dir, Dir};
use std::fmt;
use std::path::{Path, PathBuf};

static BUILT_IN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/migrations");

/// One migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// Its number: the schema version a database has once it is applied.
    pub version: usize,
    /// Its folder's name, `NN-name`.
    pub name: String,
    /// The SQL that applies it.
    pub up: String,
    /// The SQL that undoes it, if written.
    pub down: Option<String>,
    /// `checksum` of `up`.
    pub checksum: String,
    /// `checksum` of `down`, when there is one.
    pub down_checksum: Option<String>,
}

/// Where the migrations were read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A folder on disk.
    Folder(PathBuf),
    /// The set built into this binary.
    BuiltIn,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Folder(path) => write!(f, "{}", path.display()),
            Source::BuiltIn => write!(f, "built into this binary"),
        }
    }
}

/// Every migration, in version order `1..=head`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Where they came from.
    pub source: Source,
    /// The migrations; the one at index `i` has version `i + 1`.
    pub migrations: Vec<Migration>,
}

impl Catalog {
    /// A built-in catalog of these `up.sql` texts, without `down.sql`: for unit tests.
    #[cfg(test)]
    pub(crate) fn of_ups(ups: &[&str]) -> Catalog {
        let migrations = ups
            .iter()
            .enumerate()
            .map(|(i, up)| Migration {
                version: i + 1,
                name: format!("{:02}-m", i + 1),
                up: up.to_string(),
                down: None,
                checksum: checksum(up),
                down_checksum: None,
            })
            .collect();
        Catalog {
            source: Source::BuiltIn,
            migrations,
        }
    }

    /// The migrations of a root: its `migrations/` folder if it has one, else the built-in set.
    pub fn of(layout: &Layout) -> Result<Catalog> {
        let folder = layout.migrations_dir();
        if folder.is_dir() {
            Catalog::from_folder(&folder)
        } else {
            Ok(Catalog::built_in())
        }
    }

    /// The set built into this binary from the repository's `migrations/`.
    pub fn built_in() -> Catalog {
        let found = BUILT_IN.dirs().map(|dir| {
            let name = dir.path().to_string_lossy().into_owned();
            let text = |file: &str| {
                dir.get_file(dir.path().join(file))
                    .map(|f| String::from_utf8_lossy(f.contents()).into_owned())
            };
            (name, text("up.sql"), text("down.sql"))
        });
        Catalog::assemble(Source::BuiltIn, found.collect())
            .expect("the built-in migrations are checked by a unit test")
    }

    /// Reads a folder of `NN-name/` migration folders.
    pub fn from_folder(folder: &Path) -> Result<Catalog> {
        let cannot = || format!("cannot read the migrations folder `{}`", folder.display());
        let mut found = Vec::new();
        for entry in std::fs::read_dir(folder).failed(cannot)? {
            let path = entry.failed(cannot)?.path();
            if !path.is_dir() {
                continue;
            }
            let read = |file: &str| -> Result<Option<String>> {
                let file = path.join(file);
                match std::fs::read(&file) {
                    Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
                        Error::failed(format!("`{}` is not UTF-8 text", file.display()))
                    }),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => {
                        Err(Error::failed(format!("cannot read `{}`", file.display())).because(e))
                    }
                }
            };
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            found.push((name, read("up.sql")?, read("down.sql")?));
        }
        Catalog::assemble(Source::Folder(folder.to_path_buf()), found)
    }

    fn assemble(
        source: Source,
        mut found: Vec<(String, Option<String>, Option<String>)>,
    ) -> Result<Catalog> {
        found.sort_by_key(|(name, _, _)| (number_of(name), name.clone()));
        let place = |name: &str| match &source {
            Source::Folder(folder) => format!("`{}`", folder.join(name).display()),
            Source::BuiltIn => format!("built-in migration `{name}`"),
        };
        if let Some(pair) = found.windows(2).find(|pair| {
            number_of(&pair[0].0).is_some() && number_of(&pair[0].0) == number_of(&pair[1].0)
        }) {
            return Err(Error::usage(format!(
                "two migrations have number {}: {} and {} (two branches each added one); move the one no database has applied to the next free number with `cargo xtask database renumber`",
                number_of(&pair[0].0).unwrap_or_default(),
                place(&pair[0].0),
                place(&pair[1].0)
            )));
        }
        let mut migrations = Vec::with_capacity(found.len());
        for (index, (name, up, down)) in found.into_iter().enumerate() {
            let expected = index + 1;
            let where_ = || place(&name);
            let version = number_of(&name).ok_or_else(|| {
                Error::usage(format!(
                    "{} is not named `NN-name` (e.g. `{expected:02}-add-notes`); rename it",
                    where_()
                ))
            })?;
            if version != expected {
                return Err(Error::usage(format!(
                    "{} has number {version}, but the next number is {expected}; migrations are numbered 1, 2, 3… without gaps or repeats",
                    where_()
                )));
            }
            let up =
                up.ok_or_else(|| Error::usage(format!("{} has no up.sql; add it", where_())))?;
            migrations.push(Migration {
                version,
                checksum: checksum(&up),
                down_checksum: down.as_deref().map(checksum),
                name,
                up,
                down,
            });
        }
        Ok(Catalog { source, migrations })
    }

    /// The version of a fully migrated database: the number of migrations.
    pub fn head(&self) -> usize {
        self.migrations.len()
    }

    /// The migration with this version.
    pub fn get(&self, version: usize) -> Option<&Migration> {
        version.checked_sub(1).and_then(|i| self.migrations.get(i))
    }

    /// The migrations with versions in `from + 1 ..= to`.
    pub fn between(&self, from: usize, to: usize) -> &[Migration] {
        let to = to.min(self.head());
        &self.migrations[from.min(to)..to]
    }
}

/// The marker line that runs a migration's file with foreign keys off (SQLite's procedure for a
/// table rebuild), in the comments before any of its statements.
pub const FOREIGN_KEYS_OFF: &str = "onsendo:foreign-keys-off";

/// Whether `sql` carries the [`FOREIGN_KEYS_OFF`] marker: a `--` comment line of its own,
/// anywhere in the file (a `--` inside a string is no comment).
pub fn needs_foreign_keys_off(sql: &str) -> bool {
    marked(&statements::comments(sql))
}

/// Whether the comments of a file hold the [`FOREIGN_KEYS_OFF`] line.
fn marked(comments: &str) -> bool {
    comments
        .lines()
        .any(|line| line.trim().strip_prefix("--").map(str::trim) == Some(FOREIGN_KEYS_OFF))
}

/// What a checksum of this version starts with (older ledgers hold [`legacy_checksum`]s).
const CHECKSUM_PREFIX: &str = "sql:";

/// The checksum of a migration's SQL: `sql:xxh3-128:<hex>` of its statements without comments
/// or layout ([`statements::read`]), after the [`FOREIGN_KEYS_OFF`] marker when the
/// file carries it. A comment (an acknowledgement with `onsendo:destructive-ok`, a note), a blank
/// line, indentation, line endings and a byte-order mark leave it unchanged; a changed word,
/// value or quote, or the foreign-keys marker (which changes how the file runs), changes it.
pub(crate) fn checksum(sql: &str) -> String {
    let (statements, comments) = statements::read(sql);
    let mut digest = Digest::new();
    if marked(&comments) {
        digest.update(FOREIGN_KEYS_OFF.as_bytes());
        digest.update(b"\n");
    }
    digest.update(statements.as_bytes());
    format!("{CHECKSUM_PREFIX}{}", digest.finish())
}

/// The checksum ledgers recorded before comments were left out: `xxh3-128:<hex>` of the whole
/// text without a leading BOM and with each `\r\n` read as `\n`.
fn legacy_checksum(sql: &str) -> String {
    let text = sql.strip_prefix('\u{feff}').unwrap_or(sql);
    let mut digest = Digest::new();
    let mut lines = text.split("\r\n").peekable();
    while let Some(part) = lines.next() {
        digest.update(part.as_bytes());
        if lines.peek().is_some() {
            digest.update(b"\n");
        }
    }
    digest.finish()
}

/// Whether `recorded`, a checksum from a ledger, is the checksum of `sql`, whose [`checksum`] is
/// `current`: compared in the form it was recorded in, so a row written before comments were left
/// out still matches its file.
pub(crate) fn checksum_matches(recorded: &str, current: &str, sql: &str) -> bool {
    if recorded.starts_with(CHECKSUM_PREFIX) {
        recorded == current
    } else {
        recorded == legacy_checksum(sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_set_is_valid() {
        let catalog = Catalog::built_in();
        assert!(catalog.head() >= 1);
        assert_eq!(catalog.get(1).unwrap().name, "01-initial");
        assert!(catalog.get(0).is_none());
        assert!(catalog.get(catalog.head() + 1).is_none());
    }

    #[test]
    fn checksums_ignore_comments_and_layout_but_not_statements() {
        let unix = checksum("CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\n");
        assert!(unix.starts_with("sql:xxh3-128:"), "{unix}");
        for same in [
            "CREATE TABLE t (x);\r\nINSERT INTO t VALUES (1);\r\n",
            "\u{feff}CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\n",
            "-- onsendo:destructive-ok reviewed\nCREATE TABLE t (x);\n\n  INSERT INTO t VALUES (1); -- one\n",
            "CREATE TABLE t (x);\rINSERT INTO t VALUES (1);\r",
        ] {
            assert_eq!(unix, checksum(same), "{same:?}");
        }
        for changed in [
            "CREATE TABLE t (x);\nINSERT INTO t VALUES (2);\n",
            "CREATE TABLE t (x);\nINSERT INTO t VALUES ('1');\n",
            "-- note\rCREATE TABLE t (x);\nINSERT INTO t VALUES (1);\n",
            "-- onsendo:foreign-keys-off\nCREATE TABLE t (x);\nINSERT INTO t VALUES (1);\n",
        ] {
            assert_ne!(unix, checksum(changed), "{changed:?}");
        }
    }

    #[test]
    fn a_checksum_is_compared_in_the_form_it_was_recorded_in() {
        let sql = "CREATE TABLE t (x);\r\n";
        let legacy = legacy_checksum(sql);
        assert!(legacy.starts_with("xxh3-128:"), "{legacy}");
        let matches =
            |recorded: &str, file: &str| checksum_matches(recorded, &checksum(file), file);
        assert!(matches(&legacy, "\u{feff}CREATE TABLE t (x);\n"));
        assert!(
            !matches(&legacy, "-- a note\nCREATE TABLE t (x);\n"),
            "the old form covered comments"
        );
        assert!(matches(&checksum(sql), "-- a note\nCREATE TABLE t (x);\n"));
        assert!(!matches(&checksum(sql), "CREATE TABLE t (y);"));
    }

    #[test]
    fn the_foreign_keys_marker_is_a_comment_line_of_its_own() {
        assert!(needs_foreign_keys_off(
            "-- rebuilds onsens\n--  onsendo:foreign-keys-off \nCREATE TABLE a (x);"
        ));
        assert!(needs_foreign_keys_off(
            "SELECT 1;\n-- onsendo:foreign-keys-off\n"
        ));
        for not in [
            "CREATE TABLE a (x);",
            "SELECT '-- onsendo:foreign-keys-off';",
            "-- onsendo:foreign-keys-off please\nSELECT 1;",
        ] {
            assert!(!needs_foreign_keys_off(not), "{not:?}");
        }
    }

    #[test]
    fn folders_are_read_in_order_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let add = |name: &str, up: Option<&str>, down: Option<&str>| {
            let folder = dir.path().join(name);
            std::fs::create_dir_all(&folder).unwrap();
            if let Some(up) = up {
                std::fs::write(folder.join("up.sql"), up).unwrap();
            }
            if let Some(down) = down {
                std::fs::write(folder.join("down.sql"), down).unwrap();
            }
        };
        add("02-second", Some("SELECT 2;"), None);
        add("01-first", Some("SELECT 1;"), Some("SELECT -1;"));
        std::fs::write(dir.path().join("README.md"), "notes").unwrap();
        let catalog = Catalog::from_folder(dir.path()).unwrap();
        let names: Vec<_> = catalog
            .migrations
            .iter()
            .map(|m| (m.version, m.name.as_str()))
            .collect();
        assert_eq!(names, [(1, "01-first"), (2, "02-second")]);
        assert_eq!(catalog.get(1).unwrap().down.as_deref(), Some("SELECT -1;"));
        assert_eq!(catalog.get(2).unwrap().down, None);
        assert_eq!(catalog.between(0, 2).len(), 2);
        assert_eq!(catalog.between(1, 2)[0].name, "02-second");

        add("04-gap", Some("SELECT 4;"), None);
        let err = Catalog::from_folder(dir.path()).unwrap_err();
        assert!(err.to_string().contains("the next number is 3"), "{err}");
        std::fs::remove_dir_all(dir.path().join("04-gap")).unwrap();
        add("03-no-up", None, Some("SELECT 3;"));
        let err = Catalog::from_folder(dir.path()).unwrap_err();
        assert!(err.to_string().contains("has no up.sql"), "{err}");
        std::fs::remove_dir_all(dir.path().join("03-no-up")).unwrap();
        add("third", Some("SELECT 3;"), None);
        let err = Catalog::from_folder(dir.path()).unwrap_err();
        assert!(err.to_string().contains("not named `NN-name`"), "{err}");
    }
}
