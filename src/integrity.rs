//! `PRAGMA integrity_check`'s answer in a fraction of its time. SQLite spends most of that check
//! on one B-tree search per row per index; here the same answer is proved by `quick_check` (every
//! part of the check but the index-against-table one) plus, for each index, the multiset of
//! entries its table's rows call for against the multiset the index holds, each read in one
//! sequential pass and compared as a count, a sum of seeded 128-bit hashes and the total size of
//! the records (which `dbstat` gives for the index: values read through SQL cannot show an entry
//! with a field too few or too many), all of it in parallel on connections of its own.
//!
//! Values read through SQL are exact only in a UTF-8 database (SQLite converts UTF-16 text, and
//! two different byte strings can convert alike) and outside REAL columns (whose whole numbers
//! SQLite reads as floats, and two large ones can read alike); so a table with an index the proof
//! does not cover (on a REAL column or an expression, UNIQUE, partial, or non-BINARY) gets
//! `integrity_check` of that table, and so does a WITHOUT ROWID table. At any doubt (a part that
//! fails, a mismatch, an error, a UTF-16 file, a virtual table, a commit by another connection
//! meanwhile) the answer is SQLite's own `PRAGMA integrity_check`, run whole.

use rusqlite::Connection;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

mod entry;
use entry::{Entry, Multiset};

/// Opens one more read-only connection to the database being checked (`None` when it cannot).
pub type Open<'a> = &'a (dyn Fn() -> Option<Connection> + Sync);

/// The lines `PRAGMA integrity_check` answers for the database `conn` has open, exactly `["ok"]`
/// when it is healthy; `open` gives the proof's workers their connections to it. The proof is
/// tried only when `conn` is outside a transaction and has no other database attached, so that
/// the workers see what the pragma on `conn` would see.
pub fn check(conn: &Connection, open: Open<'_>) -> rusqlite::Result<Vec<String>> {
    if proves_ok(conn, open) {
        return Ok(vec!["ok".to_string()]);
    }
    lines(conn, "PRAGMA integrity_check", [])
}

/// The lines a checking statement answers (its first column).
pub fn lines(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare(sql)?;
    let lines = statement.query_map(params, |row| row.get::<_, String>(0))?;
    lines.collect()
}

/// Whether the parts prove that `integrity_check` answers `ok`. `false` says only that they could
/// not: the whole pragma then decides.
fn proves_ok(conn: &Connection, open: Open<'_>) -> bool {
    let Ok(Some(parts)) = plan(conn) else {
        return false;
    };
    let Ok(before) = data_version(conn) else {
        return false;
    };
    let Some(found) = run(open, &parts) else {
        return false;
    };
    data_version(conn).is_ok_and(|after| after == before) && entries_agree(found)
}

/// One piece of the proof, run on its own connection.
enum Part {
    /// `quick_check` of the whole file (`None`), or `integrity_check` of one table: must be `ok`.
    Pragma(Option<String>),
    /// One pass over a table's rows, building the entries each of its indexes should hold.
    Rows {
        table: String,
        rowid: &'static str,
        indexes: Vec<Index>,
    },
    /// One pass over the entries an index holds, and `dbstat`'s total of their sizes.
    Entries {
        table: String,
        rowid: &'static str,
        index: Index,
    },
}

/// An index the proof covers: its name and its key's table columns, in order.
#[derive(Clone)]
struct Index {
    name: String,
    columns: Vec<String>,
}

/// What the proof can do for a table's indexes.
enum Coverage {
    /// `quick_check` already does all that `integrity_check` does: a rowid table, no index.
    Nothing,
    /// Compare these indexes with the rows, naming the rowid so.
    Indexes {
        rowid: &'static str,
        indexes: Vec<Index>,
    },
    /// `integrity_check` of the table itself.
    Pragma,
}

/// The parts for the database `conn` has open; `None` when the proof cannot stand in for the
/// pragma on it: `conn` in a transaction or with a database attached, a UTF-16 file, or a virtual
/// table (whose own check differs between `quick_check` and `integrity_check`).
fn plan(conn: &Connection) -> rusqlite::Result<Option<Vec<Part>>> {
    let encoding: String = conn.query_row("PRAGMA encoding", [], |r| r.get(0))?;
    let others: i64 = conn.query_row(
        "SELECT (SELECT count(*) FROM pragma_database_list WHERE name NOT IN ('main', 'temp'))
              + (SELECT count(*) FROM temp.sqlite_schema)",
        [],
        |r| r.get(0),
    )?;
    if !conn.is_autocommit() || others > 0 || encoding != "UTF-8" {
        return Ok(None);
    }
    let mut parts = vec![Part::Pragma(None)];
    let tables: Vec<(String, String, bool)> = conn
        .prepare("SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (table, kind, without_rowid) in tables {
        match kind.as_str() {
            "virtual" => return Ok(None),
            "table" | "shadow" => {}
            _ => continue,
        }
        match coverage(conn, &table, without_rowid)? {
            Coverage::Nothing => {}
            Coverage::Indexes { rowid, indexes } => {
                let entries = indexes.iter().map(|index| Part::Entries {
                    table: table.clone(),
                    rowid,
                    index: index.clone(),
                });
                let entries: Vec<Part> = entries.collect();
                // The rows first: the longest part of a table starts first.
                parts.push(Part::Rows {
                    table,
                    rowid,
                    indexes,
                });
                parts.extend(entries);
            }
            Coverage::Pragma => parts.push(Part::Pragma(Some(table))),
        }
    }
    Ok(Some(parts))
}

/// What the proof can do for `table`. An index it does not cover: UNIQUE (the pragma also checks
/// that no two entries share a key), partial, on an expression, the rowid or a REAL column, or
/// with a collation other than BINARY (the pragma then compares text byte for byte). A WITHOUT
/// ROWID table, or one whose columns take every name of the rowid, gets the pragma too.
fn coverage(conn: &Connection, table: &str, without_rowid: bool) -> rusqlite::Result<Coverage> {
    if without_rowid {
        return Ok(Coverage::Pragma);
    }
    let listed: Vec<(String, bool, bool)> = conn
        .prepare("SELECT name, \"unique\", partial FROM pragma_index_list(?1, 'main')")?
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if listed.is_empty() {
        return Ok(Coverage::Nothing);
    }
    let Some(rowid) = free_rowid_name(conn, table)? else {
        return Ok(Coverage::Pragma);
    };
    let mut indexes = Vec::new();
    for (name, unique, partial) in listed {
        // Each key column: its name when it is a plain table column with BINARY collation, and
        // its declared type.
        let keys: Vec<(Option<String>, String)> = conn
            .prepare(
                "SELECT CASE WHEN x.cid >= 0 AND x.coll = 'BINARY' THEN x.name END, ifnull(c.type, '')
                 FROM pragma_index_xinfo(?1, 'main') AS x
                 LEFT JOIN pragma_table_xinfo(?2, 'main') AS c ON c.cid = x.cid
                 WHERE x.key ORDER BY x.seqno",
            )?
            .query_map([&name, table], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let columns: Option<Vec<String>> = keys
            .into_iter()
            .map(|(column, declared)| column.filter(|_| !real_affinity(&declared)))
            .collect();
        let columns = match columns {
            Some(columns) if !unique && !partial && !columns.is_empty() => columns,
            _ => return Ok(Coverage::Pragma),
        };
        indexes.push(Index { name, columns });
    }
    Ok(Coverage::Indexes { rowid, indexes })
}

/// Whether a column declared with this type has REAL affinity (SQLite's rules, in their order).
fn real_affinity(declared: &str) -> bool {
    let declared = declared.to_ascii_uppercase();
    let has = |part: &str| declared.contains(part);
    !has("INT")
        && !has("CHAR")
        && !has("CLOB")
        && !has("TEXT")
        && !has("BLOB")
        && (has("REAL") || has("FLOA") || has("DOUB"))
}

/// A name for the rowid that no column of `table` takes.
fn free_rowid_name(conn: &Connection, table: &str) -> rusqlite::Result<Option<&'static str>> {
    let columns: Vec<String> = conn
        .prepare("SELECT lower(name) FROM pragma_table_xinfo(?1, 'main')")?
        .query_map([table], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(["rowid", "_rowid_", "oid"]
        .into_iter()
        .find(|name| !columns.iter().any(|c| c == name)))
}

/// A change counter of the database that moves when another connection commits.
fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}

/// Runs the parts on one worker per core, each with its own connection, and returns the multisets
/// found, by index name; `None` when any part fails or cannot run (the others then stop early).
fn run(open: Open<'_>, parts: &[Part]) -> Option<Vec<(String, Multiset)>> {
    let seed = RandomState::new().hash_one(0u8);
    let next = AtomicUsize::new(0);
    let doubt = AtomicBool::new(false);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(parts.len());
    let worker = || -> Option<Vec<(String, Multiset)>> {
        let conn = open();
        let mut found = Vec::new();
        while let (Some(conn), false) = (&conn, doubt.load(Ordering::Relaxed)) {
            let Some(part) = parts.get(next.fetch_add(1, Ordering::Relaxed)) else {
                return Some(found);
            };
            match part.run(conn, seed) {
                Ok(Some(multisets)) => found.extend(multisets),
                Ok(None) | Err(_) => break,
            }
        }
        doubt.store(true, Ordering::Relaxed);
        None
    };
    let found: Option<Vec<_>> = std::thread::scope(|scope| {
        let running: Vec<_> = (0..workers).map(|_| scope.spawn(worker)).collect();
        running
            .into_iter()
            .map(|w| w.join().expect("a checking thread panicked"))
            .collect()
    });
    found.map(|found| found.into_iter().flatten().collect())
}

/// Whether every index holds exactly the entries its rows call for: each index name (unique in a
/// schema) found twice, once from the rows and once from the index, with equal multisets.
fn entries_agree(mut found: Vec<(String, Multiset)>) -> bool {
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.len().is_multiple_of(2)
        && found
            .chunks(2)
            .all(|pair| pair[0].0 == pair[1].0 && pair[0].1 == pair[1].1)
}

impl Part {
    /// What the part found: multisets by index name, or `None` when its pragma is not `ok`.
    fn run(
        &self,
        conn: &Connection,
        seed: u64,
    ) -> rusqlite::Result<Option<Vec<(String, Multiset)>>> {
        match self {
            Part::Pragma(table) => {
                let lines = match table {
                    None => lines(conn, "PRAGMA quick_check", [])?,
                    Some(table) => {
                        lines(conn, "SELECT * FROM pragma_integrity_check(?1)", [table])?
                    }
                };
                Ok((lines == ["ok"]).then(Vec::new))
            }
            Part::Rows {
                table,
                rowid,
                indexes,
            } => {
                let mut columns: Vec<&String> = indexes.iter().flat_map(|i| &i.columns).collect();
                columns.sort();
                columns.dedup();
                let positions: Vec<Vec<usize>> = indexes
                    .iter()
                    .map(|index| {
                        let mut at: Vec<usize> = index
                            .columns
                            .iter()
                            .map(|c| columns.binary_search(&c).expect("a selected column"))
                            .collect();
                        at.push(columns.len());
                        at
                    })
                    .collect();
                let sql = format!(
                    "SELECT {}, {rowid} FROM main.{} NOT INDEXED",
                    quoted_list(columns.iter().copied()),
                    quoted(table)
                );
                let mut multisets = vec![Multiset::default(); indexes.len()];
                scan(conn, &sql, None, |row, entry| {
                    for (multiset, at) in multisets.iter_mut().zip(&positions) {
                        entry.clear();
                        for &i in at {
                            entry.push(row.get_ref(i)?);
                        }
                        multiset.add(seed, entry, entry.record_size());
                    }
                    Ok(())
                })?;
                Ok(Some(
                    indexes
                        .iter()
                        .map(|i| i.name.clone())
                        .zip(multisets)
                        .collect(),
                ))
            }
            Part::Entries {
                table,
                rowid,
                index,
            } => {
                let sql = format!(
                    "SELECT {}, {rowid} FROM main.{} INDEXED BY {}",
                    quoted_list(index.columns.iter()),
                    quoted(table),
                    quoted(&index.name)
                );
                let width = index.columns.len() + 1;
                let mut multiset = Multiset::default();
                let covering = format!("USING COVERING INDEX {}", index.name);
                scan(conn, &sql, Some(&covering), |row, entry| {
                    entry.clear();
                    for i in 0..width {
                        entry.push(row.get_ref(i)?);
                    }
                    multiset.add(seed, entry, 0);
                    Ok(())
                })?;
                let bytes: i64 = conn.query_row(
                    "SELECT coalesce(sum(payload), 0) FROM dbstat('main') WHERE name = ?1",
                    [&index.name],
                    |r| r.get(0),
                )?;
                multiset.bytes = bytes as u64;
                Ok(Some(vec![(index.name.clone(), multiset)]))
            }
        }
    }
}

/// Steps through `sql`'s rows, handing each to `each` with a reusable entry. With `plan`, the
/// query plan must be that one step (so that an index scan reads the index alone), or the scan is
/// refused.
fn scan(
    conn: &Connection,
    sql: &str,
    plan: Option<&str>,
    mut each: impl FnMut(&rusqlite::Row<'_>, &mut Entry) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    if let Some(expected) = plan {
        let steps: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?
            .query_map([], |r| r.get(3))?
            .collect::<rusqlite::Result<_>>()?;
        if !matches!(&steps[..], [step] if step.ends_with(expected)) {
            return Err(rusqlite::Error::InvalidQuery);
        }
    }
    let mut statement = conn.prepare(sql)?;
    let mut rows = statement.query([])?;
    let mut entry = Entry::default();
    while let Some(row) = rows.next()? {
        each(row, &mut entry)?;
    }
    Ok(())
}

/// An identifier in double quotes.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quoted_list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.map(|n| quoted(n)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::OpenFlags;
    use std::path::{Path, PathBuf};

    const SCHEMA: &str = "
        PRAGMA page_size = 1024;
        CREATE TABLE v (id INTEGER PRIMARY KEY, o INTEGER NOT NULL, d TEXT NOT NULL, r NUMERIC, n TEXT);
        CREATE INDEX v_o ON v (o, d);
        CREATE INDEX v_d ON v (d DESC);
        CREATE INDEX v_r ON v (r, n);
        CREATE TABLE w (x REAL, y);
        CREATE INDEX w_x ON w (x);
        INSERT INTO w VALUES (1.5, 1), (2, 2);
        CREATE TABLE u (a TEXT UNIQUE, b);
        CREATE TABLE k (a PRIMARY KEY, b) WITHOUT ROWID;
        CREATE TABLE plain (x);
        WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000)
        INSERT INTO v SELECT i, i * 7919 % 113, printf('2024-%02d-%02d', i % 12 + 1, i % 28 + 1),
            CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN i / 7.0 ELSE i END,
            CASE i % 5 WHEN 0 THEN NULL ELSE printf('%.*c', i % 300, 'n') END FROM c;
        INSERT INTO u SELECT 'u' || id, n FROM v WHERE id % 4 = 0;
        INSERT INTO k SELECT 'k' || id, o FROM v WHERE id % 3 = 0;
        INSERT INTO plain SELECT d FROM v WHERE id % 2 = 0;";

    fn built(dir: &Path, sql: &str) -> PathBuf {
        let path = dir.join("t.db");
        Connection::open(&path).unwrap().execute_batch(sql).unwrap();
        path
    }

    fn reader(path: &Path) -> rusqlite::Result<Connection> {
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
    }

    /// `check`'s answer or error, as text.
    type Answer = std::result::Result<Vec<String>, String>;

    /// The proof's verdict, `check`'s answer and SQLite's own `integrity_check`, for `path`.
    fn verdicts(path: &Path) -> rusqlite::Result<(bool, Answer, Answer)> {
        let conn = reader(path)?;
        let open = || reader(path).ok();
        let pragma = lines(&conn, "PRAGMA integrity_check", []).map_err(|e| e.to_string());
        let answer = check(&conn, &open).map_err(|e| e.to_string());
        Ok((proves_ok(&conn, &open), answer, pragma))
    }

    fn ok() -> Answer {
        Ok(vec!["ok".to_string()])
    }

    /// Rewrites the definition of a table or an index, its pages unchanged: an index pointed at
    /// other columns no longer matches the rows while every page stays well formed.
    fn redefine(path: &Path, name: &str, sql: &str) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch("PRAGMA writable_schema = ON").unwrap();
        conn.execute(
            "UPDATE sqlite_schema SET sql = ?2 WHERE name = ?1",
            [name, sql],
        )
        .unwrap();
    }

    #[test]
    fn a_healthy_database_is_proved_ok() {
        let dir = tempfile::tempdir().unwrap();
        let path = built(dir.path(), SCHEMA);
        assert_eq!(verdicts(&path).unwrap(), (true, ok(), ok()));
    }

    #[test]
    fn an_index_that_disagrees_with_its_rows_gets_the_pragmas_own_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = built(dir.path(), SCHEMA);
        redefine(&path, "v_d", "CREATE INDEX v_d ON v (n DESC)");
        let quick = lines(&reader(&path).unwrap(), "PRAGMA quick_check", []).unwrap();
        assert_eq!(
            quick,
            ["ok"],
            "only the index-against-table part can see this"
        );
        let (proved, answer, pragma) = verdicts(&path).unwrap();
        assert!(!proved);
        assert_eq!(answer, pragma);
        assert!(answer.unwrap()[0].contains("missing from index v_d"));
    }

    #[test]
    fn a_unique_index_holding_a_duplicate_is_found_by_its_tables_own_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = built(dir.path(), &format!("{SCHEMA}; CREATE INDEX u_b ON u (b);"));
        redefine(&path, "u_b", "CREATE UNIQUE INDEX u_b ON u (b)");
        let (proved, answer, pragma) = verdicts(&path).unwrap();
        assert!(!proved);
        assert_eq!(answer, pragma);
        assert!(answer.unwrap()[0].contains("non-unique entry in index u_b"));
    }

    #[test]
    fn a_virtual_table_leaves_the_answer_to_the_pragma() {
        let dir = tempfile::tempdir().unwrap();
        let sql = format!(
            "{SCHEMA}; CREATE VIRTUAL TABLE f USING fts5 (body); INSERT INTO f SELECT n FROM v;"
        );
        let path = built(dir.path(), &sql);
        assert_eq!(verdicts(&path).unwrap(), (false, ok(), ok()));
    }

    #[test]
    fn a_commit_by_another_connection_during_the_proof_leaves_the_answer_to_the_pragma() {
        let dir = tempfile::tempdir().unwrap();
        let path = built(dir.path(), SCHEMA);
        let conn = reader(&path).unwrap();
        let writer = std::sync::Mutex::new(Connection::open(&path).unwrap());
        let open = || {
            let writer = writer.lock().unwrap();
            writer
                .execute("INSERT INTO plain VALUES ('meanwhile')", [])
                .unwrap();
            reader(&path).ok()
        };
        assert!(!proves_ok(&conn, &open));
        assert_eq!(check(&conn, &open).unwrap(), ["ok"]);
    }

    /// Files the proof once passed while the pragma failed (found by review): each now leaves the
    /// answer to the pragma.
    #[test]
    fn values_that_read_alike_through_sql_leave_the_answer_to_the_pragma() {
        let cases = [
            // Whole numbers beyond 2^53 in a REAL column read as the same float.
            (
                "CREATE TABLE t (a INT, b INT); INSERT INTO t VALUES (9007199254740993, 9007199254740992);
                 CREATE INDEX i ON t (b);",
                &[("t", "CREATE TABLE t (a REAL, b INT)"), ("i", "CREATE INDEX i ON t (a)")][..],
            ),
            // Two different UTF-16 strings convert to the same UTF-8.
            (
                "PRAGMA encoding = 'UTF-16le'; CREATE TABLE t (a, b);
                 INSERT INTO t VALUES (CAST(x'00D84100' AS TEXT), CAST(x'00D841DC' AS TEXT));
                 CREATE INDEX i ON t (b);",
                &[("i", "CREATE INDEX i ON t (a)")],
            ),
            // Index records one field short, the missing value equal to the rowid.
            (
                "CREATE TABLE t (a, b); INSERT INTO t VALUES (1, 1), (2, 2); CREATE INDEX i ON t (a);",
                &[("i", "CREATE INDEX i ON t (a, b)")],
            ),
        ];
        for (sql, edits) in cases {
            let dir = tempfile::tempdir().unwrap();
            let path = built(dir.path(), sql);
            for &(name, definition) in edits {
                redefine(&path, name, definition);
            }
            let (proved, answer, pragma) = verdicts(&path).unwrap();
            assert!(!proved, "{sql}");
            assert_ne!(pragma, ok(), "{sql}");
            assert_eq!(answer, pragma, "{sql}");
        }
    }

    #[test]
    fn a_connection_in_a_transaction_or_with_a_database_attached_is_left_to_the_pragma() {
        let dir = tempfile::tempdir().unwrap();
        let path = built(dir.path(), SCHEMA);
        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch(
                "CREATE TABLE t (a, b); INSERT INTO t VALUES (1, 2); CREATE INDEX i ON t (a);",
            )
            .unwrap();
        redefine(&other, "i", "CREATE INDEX i ON t (b)");
        let open = || reader(&path).ok();
        let conn = reader(&path).unwrap();
        conn.execute("ATTACH ?1 AS aux", [other.to_str().unwrap()])
            .unwrap();
        assert!(!proves_ok(&conn, &open));
        assert!(check(&conn, &open).unwrap()[0].contains("missing from index i"));

        let conn = reader(&path).unwrap();
        conn.execute_batch("BEGIN").unwrap();
        assert!(!proves_ok(&conn, &open));
    }

    /// The proof never says `ok` where SQLite does not: single bytes flipped at random in the
    /// index pages (and anywhere in the file) of a small database, against the whole pragma.
    #[test]
    fn random_damage_never_passes_the_proof_while_failing_the_pragma() {
        let dir = tempfile::tempdir().unwrap();
        let healthy = built(dir.path(), SCHEMA);
        let index_pages: Vec<u32> = reader(&healthy)
            .unwrap()
            .prepare("SELECT pageno FROM dbstat WHERE name IN ('v_o', 'v_d', 'v_r') AND pagetype <> 'internal'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let original = std::fs::read(&healthy).unwrap();
        let damaged = dir.path().join("damaged.db");
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut random = move |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        let (mut proved, mut index_only_damage) = (0, 0);
        for round in 0..400 {
            let mut bytes = original.clone();
            let at = if round % 4 == 0 {
                1024 + random(bytes.len() as u64 - 1024)
            } else {
                let page = u64::from(index_pages[random(index_pages.len() as u64) as usize]);
                (page - 1) * 1024 + 8 + random(1016)
            };
            bytes[at as usize] ^= 1 + random(255) as u8;
            std::fs::write(&damaged, &bytes).unwrap();
            let Ok((passed, answer, pragma)) = verdicts(&damaged) else {
                continue;
            };
            assert_eq!(answer, pragma, "round {round}, byte {at}");
            let quick = lines(&reader(&damaged).unwrap(), "PRAGMA quick_check", []);
            proved += usize::from(passed);
            index_only_damage += usize::from(quick.is_ok_and(|q| q == ["ok"]) && pragma != ok());
        }
        assert!(proved > 0, "some flips land where nothing reads");
        assert!(
            index_only_damage > 0,
            "some damage only the index check can see"
        );
    }
}
