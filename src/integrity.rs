//! `PRAGMA integrity_check`'s answer in a fraction of its time. SQLite spends most of that check
//! on one B-tree search per row per index; here the same answer is proved by `quick_check` (every
//! part of the check but the index-against-table one) plus, for each index, the multiset of
//! entries its table's rows call for against the multiset the index holds, each read in one
//! sequential pass and compared as a count and a sum of seeded 128-bit hashes, all of it in
//! parallel on connections of its own. A table the proof does not cover (WITHOUT ROWID, or with a
//! UNIQUE, partial, expression or non-BINARY index) gets `integrity_check` of that table; and at
//! any doubt (a part that fails, a mismatch, an error, a virtual table, a commit by another
//! connection meanwhile) the answer is SQLite's own `PRAGMA integrity_check`, run whole.

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use xxhash_rust::xxh3::xxh3_128_with_seed;

/// Opens one more read-only connection to the database being checked (`None` when it cannot).
pub type Open<'a> = &'a (dyn Fn() -> Option<Connection> + Sync);

/// The lines `PRAGMA integrity_check` answers for the database `conn` has open, exactly `["ok"]`
/// when it is healthy; `open` gives the proof's workers their connections to it.
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
    /// One pass over the entries an index holds.
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

/// A multiset of index entries: how many, and the wrapping sum of their seeded hashes.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Multiset {
    entries: u64,
    sum: u128,
}

/// The parts for the database `conn` has open; `None` when a virtual table is in it, whose own
/// check differs between `quick_check` and `integrity_check`.
fn plan(conn: &Connection) -> rusqlite::Result<Option<Vec<Part>>> {
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
        let indexes = covered_indexes(conn, &table)?;
        if !without_rowid && indexes.as_ref().is_some_and(Vec::is_empty) {
            continue; // quick_check already does all that integrity_check does for this table
        }
        match (without_rowid, indexes, free_rowid_name(conn, &table)?) {
            (false, Some(indexes), Some(rowid)) => {
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
            _ => parts.push(Part::Pragma(Some(table))),
        }
    }
    Ok(Some(parts))
}

/// The indexes of `table`, or `None` when one of them is not covered by the proof: UNIQUE (the
/// pragma also checks that no two entries share a key), partial, on an expression or the rowid,
/// or with a collation other than BINARY (the pragma compares text byte for byte then).
fn covered_indexes(conn: &Connection, table: &str) -> rusqlite::Result<Option<Vec<Index>>> {
    let listed: Vec<(String, bool, bool)> = conn
        .prepare("SELECT name, \"unique\", partial FROM pragma_index_list(?1, 'main')")?
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut indexes = Vec::new();
    for (name, unique, partial) in listed {
        let keys: Vec<(i64, Option<String>, Option<String>)> = conn
            .prepare("SELECT cid, name, coll FROM pragma_index_xinfo(?1, 'main') WHERE key ORDER BY seqno")?
            .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let plain = keys.iter().all(|(cid, column, coll)| {
            *cid >= 0 && column.is_some() && coll.as_deref() == Some("BINARY")
        });
        if unique || partial || keys.is_empty() || !plain {
            return Ok(None);
        }
        let columns = keys
            .into_iter()
            .filter_map(|(_, column, _)| column)
            .collect();
        indexes.push(Index { name, columns });
    }
    Ok(Some(indexes))
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
/// found, by index name; `None` as soon as a part fails or cannot run.
fn run(open: Open<'_>, parts: &[Part]) -> Option<Vec<(String, Multiset)>> {
    let seed = RandomState::new().hash_one(0u8);
    let next = AtomicUsize::new(0);
    let doubt = AtomicBool::new(false);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(parts.len());
    let worker = || -> Option<Vec<(String, Multiset)>> {
        let conn = open()?;
        let mut found = Vec::new();
        while !doubt.load(Ordering::Relaxed) {
            let Some(part) = parts.get(next.fetch_add(1, Ordering::Relaxed)) else {
                return Some(found);
            };
            match part.run(&conn, seed) {
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

/// Whether every index holds exactly the entries its rows call for: each name found twice (once
/// from the rows, once from the index), with equal multisets.
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
                scan(conn, &sql, None, |row, buffer| {
                    for (multiset, at) in multisets.iter_mut().zip(&positions) {
                        buffer.clear();
                        for &i in at {
                            encode(buffer, row.get_ref(i)?);
                        }
                        multiset.add(seed, buffer);
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
                scan(conn, &sql, Some(&covering), |row, buffer| {
                    buffer.clear();
                    for i in 0..width {
                        encode(buffer, row.get_ref(i)?);
                    }
                    multiset.add(seed, buffer);
                    Ok(())
                })?;
                Ok(Some(vec![(index.name.clone(), multiset)]))
            }
        }
    }
}

/// Steps through `sql`'s rows, handing each to `each` with a reusable buffer. With `plan`, the
/// query plan must say it (so that an index scan reads the index alone), or the scan is refused.
fn scan(
    conn: &Connection,
    sql: &str,
    plan: Option<&str>,
    mut each: impl FnMut(&rusqlite::Row<'_>, &mut Vec<u8>) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    if let Some(expected) = plan {
        let detail: String =
            conn.query_row(&format!("EXPLAIN QUERY PLAN {sql}"), [], |r| r.get(3))?;
        if !detail.ends_with(expected) {
            return Err(rusqlite::Error::InvalidQuery);
        }
    }
    let mut statement = conn.prepare(sql)?;
    let mut rows = statement.query([])?;
    let mut buffer = Vec::with_capacity(64);
    while let Some(row) = rows.next()? {
        each(row, &mut buffer)?;
    }
    Ok(())
}

impl Multiset {
    fn add(&mut self, seed: u64, entry: &[u8]) {
        self.entries += 1;
        self.sum = self.sum.wrapping_add(xxh3_128_with_seed(entry, seed));
    }
}

/// Appends one value, typed and length-prefixed, so that distinct entries encode differently.
fn encode(buffer: &mut Vec<u8>, value: ValueRef<'_>) {
    match value {
        ValueRef::Null => buffer.push(0),
        ValueRef::Integer(i) => {
            buffer.push(1);
            buffer.extend_from_slice(&i.to_le_bytes());
        }
        ValueRef::Real(f) => {
            buffer.push(2);
            buffer.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            buffer.push(if matches!(value, ValueRef::Text(_)) {
                3
            } else {
                4
            });
            buffer.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            buffer.extend_from_slice(bytes);
        }
    }
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
        CREATE TABLE v (id INTEGER PRIMARY KEY, o INTEGER NOT NULL, d TEXT NOT NULL, r REAL, n TEXT);
        CREATE INDEX v_o ON v (o, d);
        CREATE INDEX v_d ON v (d DESC);
        CREATE INDEX v_r ON v (r);
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

    /// The proof's verdict, `check`'s answer and SQLite's own `integrity_check`, for `path`.
    fn verdicts(path: &Path) -> rusqlite::Result<(bool, Vec<String>, Vec<String>)> {
        let conn = reader(path)?;
        let open = || reader(path).ok();
        let pragma = lines(&conn, "PRAGMA integrity_check", [])?;
        Ok((proves_ok(&conn, &open), check(&conn, &open)?, pragma))
    }

    /// Points an index's definition at other columns, so that its entries no longer match the
    /// rows while every page stays well formed.
    fn redefine(path: &Path, index: &str, sql: &str) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch("PRAGMA writable_schema = ON").unwrap();
        conn.execute(
            "UPDATE sqlite_schema SET sql = ?2 WHERE name = ?1",
            [index, sql],
        )
        .unwrap();
    }

    #[test]
    fn a_healthy_database_is_proved_ok() {
        let dir = tempfile::tempdir().unwrap();
        let path = built(dir.path(), SCHEMA);
        assert_eq!(
            verdicts(&path).unwrap(),
            (true, vec!["ok".into()], vec!["ok".into()])
        );
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
        assert!(answer[0].contains("missing from index v_d"), "{answer:?}");
    }

    #[test]
    fn a_unique_index_holding_a_duplicate_is_found_by_its_tables_own_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = built(dir.path(), &format!("{SCHEMA}; CREATE INDEX u_b ON u (b);"));
        redefine(&path, "u_b", "CREATE UNIQUE INDEX u_b ON u (b)");
        let (proved, answer, pragma) = verdicts(&path).unwrap();
        assert!(!proved);
        assert_eq!(answer, pragma);
        assert!(
            answer[0].contains("non-unique entry in index u_b"),
            "{answer:?}"
        );
    }

    #[test]
    fn a_virtual_table_leaves_the_answer_to_the_pragma() {
        let dir = tempfile::tempdir().unwrap();
        let sql = format!(
            "{SCHEMA}; CREATE VIRTUAL TABLE f USING fts5 (body); INSERT INTO f SELECT n FROM v;"
        );
        let path = built(dir.path(), &sql);
        assert_eq!(
            verdicts(&path).unwrap(),
            (false, vec!["ok".into()], vec!["ok".into()])
        );
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

    /// The proof never says `ok` where SQLite does not: single bytes flipped at random in the
    /// index pages (and anywhere in the file) of a small database, against the whole pragma.
    #[test]
    fn random_damage_never_passes_the_proof_while_failing_the_pragma() {
        let dir = tempfile::tempdir().unwrap();
        let healthy = built(dir.path(), SCHEMA);
        let index_pages: Vec<u32> = reader(&healthy)
            .unwrap()
            .prepare("SELECT pageno FROM dbstat WHERE name IN ('v_o', 'v_d', 'v_r') AND pagetype = 'leaf'")
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
            let Ok((ok, answer, pragma)) = verdicts(&damaged) else {
                continue;
            };
            assert_eq!(answer, pragma, "round {round}, byte {at}");
            let quick = lines(&reader(&damaged).unwrap(), "PRAGMA quick_check", []);
            proved += usize::from(ok);
            index_only_damage += usize::from(quick.is_ok_and(|q| q == ["ok"]) && pragma != ["ok"]);
        }
        assert!(proved > 0, "some flips land where nothing reads");
        assert!(
            index_only_damage > 0,
            "some damage only the index check can see"
        );
    }
}
