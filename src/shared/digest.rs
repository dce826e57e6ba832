//! Fingerprints of a database: a hash of the file's bytes, and a hash of its values read through
//! SQLite (schema, `user_version`, every table's rows in key order, `sqlite_sequence` included),
//! which compares two databases in any journal mode. (Manifests keep the faster record hash of
//! [`crate::copies::records`].)
//!
//! Both are XXH3-128, written `xxh3-128:<32 hex digits>`: fast enough to run at disk speed, and
//! meant to catch damage and mistakes, not an attacker (who could rewrite the manifest too).

use crate::shared::error::{Context, Result};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use std::io::Read;
use std::path::Path;
use xxhash_rust::xxh3::Xxh3;

/// The size of each read while hashing or copying a file.
pub(crate) const CHUNK: usize = 1 << 20;

/// A streaming hash; feed bytes, then [`Digest::finish`].
#[derive(Clone, Default)]
pub(crate) struct Digest(Xxh3);

impl Digest {
    /// A fresh hash.
    pub(crate) fn new() -> Digest {
        Digest(Xxh3::new())
    }

    /// Feeds bytes.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The hash, as `xxh3-128:<hex>`.
    pub(crate) fn finish(&self) -> String {
        format!("xxh3-128:{:032x}", self.0.digest128())
    }
}

/// The hash of the first `length` bytes of a file (the whole file when `None`).
pub(crate) fn file_digest(path: &Path, length: Option<u64>) -> Result<String> {
    let file = std::fs::File::open(path).failed(|| format!("cannot open `{}`", path.display()))?;
    reader_digest(file.take(length.unwrap_or(u64::MAX)), path)
}

/// The hash of everything `reader` (reading `path`) yields.
pub(crate) fn reader_digest(mut reader: impl Read, path: &Path) -> Result<String> {
    let mut digest = Digest::new();
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let read = reader
            .read(&mut buffer)
            .failed(|| format!("cannot read `{}`", path.display()))?;
        if read == 0 {
            return Ok(digest.finish());
        }
        digest.update(&buffer[..read]);
    }
}

/// The logical hash of a database as `conn` sees it (inside the caller's read transaction, if
/// any). Page layout, free pages and the header's counters do not count; row identity does.
pub(crate) fn logical_digest(conn: &Connection, path: &Path) -> Result<String> {
    let cannot = |e| crate::shared::error::sqlite_error(path, "cannot read the content of", e);
    let mut digest = Digest::new();
    for pragma in ["user_version", "application_id"] {
        let value: i64 = conn
            .pragma_query_value(None, pragma, |row| row.get(0))
            .map_err(cannot)?;
        digest.update(pragma.as_bytes());
        digest.update(&value.to_le_bytes());
    }
    hash_rows(
        conn,
        "SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY type, name",
        &mut digest,
    )
    .map_err(cannot)?;
    for table in tables(conn).map_err(cannot)? {
        digest.update(b"table");
        digest.update(table.name.as_bytes());
        hash_rows(conn, &table.select(), &mut digest).map_err(cannot)?;
    }
    Ok(digest.finish())
}

/// A table and how to read its rows in key order.
struct Table {
    name: String,
    order: Vec<String>,
    rowid: Option<&'static str>,
}

impl Table {
    fn select(&self) -> String {
        let columns = match self.rowid {
            Some(rowid) => format!("{rowid}, *"),
            None => "*".to_string(),
        };
        let order: Vec<_> = self.order.iter().map(|c| quote(c)).collect();
        format!(
            "SELECT {columns} FROM main.{} ORDER BY {}",
            quote(&self.name),
            order.join(", ")
        )
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Every ordinary table but the schema itself, by name.
fn tables(conn: &Connection) -> rusqlite::Result<Vec<Table>> {
    let mut list = conn.prepare(
        "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'shadow')
         AND name NOT IN ('sqlite_schema', 'sqlite_master') ORDER BY name",
    )?;
    let names: Vec<(String, bool)> = list
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut info = conn.prepare("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid")?;
    names
        .into_iter()
        .map(|(name, without_rowid)| {
            let columns: Vec<(String, i64)> = info
                .query_map([&name], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let free = ["_rowid_", "rowid", "oid"]
                .into_iter()
                .find(|alias| !columns.iter().any(|(c, _)| c.eq_ignore_ascii_case(alias)));
            let (order, rowid) = match (without_rowid, free) {
                (false, Some(alias)) => (vec![alias.to_string()], Some(alias)),
                (true, _) => {
                    let mut keys: Vec<_> = columns.iter().filter(|(_, pk)| *pk > 0).collect();
                    keys.sort_by_key(|(_, pk)| *pk);
                    (keys.into_iter().map(|(c, _)| c.clone()).collect(), None)
                }
                (false, None) => (columns.into_iter().map(|(c, _)| c).collect(), None),
            };
            Ok(Table { name, order, rowid })
        })
        .collect()
}

/// Feeds every row of a query into the hash, each value with a type tag.
fn hash_rows(conn: &Connection, sql: &str, digest: &mut Digest) -> rusqlite::Result<()> {
    let mut statement = conn.prepare(sql)?;
    let width = statement.column_count();
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        digest.update(b"r");
        for index in 0..width {
            match row.get_ref(index)? {
                ValueRef::Null => digest.update(b"n"),
                ValueRef::Integer(i) => {
                    digest.update(b"i");
                    digest.update(&i.to_le_bytes());
                }
                ValueRef::Real(f) => {
                    digest.update(b"f");
                    digest.update(&f.to_bits().to_le_bytes());
                }
                ValueRef::Text(bytes) => tagged(digest, b"t", bytes),
                ValueRef::Blob(bytes) => tagged(digest, b"b", bytes),
            }
        }
    }
    Ok(())
}

fn tagged(digest: &mut Digest, tag: &[u8], bytes: &[u8]) {
    digest.update(tag);
    digest.update(&(bytes.len() as u64).to_le_bytes());
    digest.update(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(sql: &str) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(sql).unwrap();
        conn
    }

    fn logical(conn: &Connection) -> String {
        logical_digest(conn, Path::new(":memory:")).unwrap()
    }

    const BASE: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v);
        CREATE TABLE k (a TEXT PRIMARY KEY, b) WITHOUT ROWID;
        INSERT INTO t (v) VALUES (1), ('x'), (NULL), (x'00'), (1.5);
        INSERT INTO k VALUES ('z', 1), ('a', 2);";

    #[test]
    fn equal_content_hashes_equal_whatever_the_insert_order() {
        let other = database(
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v);
             CREATE TABLE k (a TEXT PRIMARY KEY, b) WITHOUT ROWID;
             INSERT INTO k VALUES ('a', 2), ('z', 1);
             INSERT INTO t (id, v) VALUES (5, 1.5), (1, 1), (2, 'x'), (3, NULL), (4, x'00');
             UPDATE sqlite_sequence SET seq = 5;",
        );
        assert_eq!(logical(&database(BASE)), logical(&other));
    }

    #[test]
    fn every_kind_of_change_shows() {
        let base = logical(&database(BASE));
        for change in [
            "UPDATE t SET v = '1' WHERE id = 1",
            "UPDATE t SET v = 1.0 WHERE id = 1",
            "UPDATE k SET b = 3 WHERE a = 'z'",
            "DELETE FROM t WHERE id = 3",
            "UPDATE sqlite_sequence SET seq = 99",
            "PRAGMA user_version = 7",
            "CREATE INDEX t_v ON t (v)",
            "CREATE TABLE plain (x); INSERT INTO plain VALUES (1)",
        ] {
            let changed = database(&format!("{BASE}; {change};"));
            assert_ne!(logical(&changed), base, "{change}");
        }
    }

    #[test]
    fn rowids_of_tables_without_an_integer_key_count() {
        let one =
            database("CREATE TABLE p (x); INSERT INTO p (rowid, x) VALUES (1, 'a'), (2, 'b');");
        let two =
            database("CREATE TABLE p (x); INSERT INTO p (rowid, x) VALUES (1, 'a'), (3, 'b');");
        assert_ne!(logical(&one), logical(&two));
    }

    #[test]
    fn file_digest_reads_a_prefix_or_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; 3 * CHUNK + 5]).unwrap();
        let mut whole = Digest::new();
        whole.update(&vec![7u8; 3 * CHUNK + 5]);
        assert_eq!(file_digest(&path, None).unwrap(), whole.finish());
        let mut prefix = Digest::new();
        prefix.update(&[7u8; 10]);
        assert_eq!(file_digest(&path, Some(10)).unwrap(), prefix.finish());
    }
}
