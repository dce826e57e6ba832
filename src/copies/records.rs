//! The logical hash kept in manifests, read straight from the b-trees of a database file: the
//! schema and `user_version` (through SQLite), then every table's records in key order (rowid and
//! record bytes, overflow included). A record is SQLite's own encoding of a row's values, and
//! copies made by SQLite (backup API, `VACUUM INTO`) keep records as they are, so this hash ignores
//! page layout, free pages and header counters, like a hash of the values, but runs at memory speed.
//!
//! Only for a file whose content is all in the main file (rollback-journal mode, or a WAL file
//! with nothing in its WAL), read while a read lock keeps writers out.

use crate::shared::digest::Digest;
use crate::shared::error::{Error, Result};
use rusqlite::Connection;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The hash of the database's content as `conn` sees it, reading the b-trees from `path`.
pub(crate) fn digest(conn: &Connection, path: &Path) -> Result<String> {
    let file = File::open(path)
        .map_err(|e| Error::failed(format!("cannot open `{}`", path.display())).because(e))?;
    digest_in(conn, &file, path)
}

/// [`digest`], reading the b-trees through `file` (open on `path`), which the caller closes: a
/// caller holding a read lock must not close any descriptor of the file before it lets the lock
/// go (POSIX drops all of a process's locks on a file when any descriptor of it is closed).
pub(crate) fn digest_in(conn: &Connection, file: &File, path: &Path) -> Result<String> {
    let cannot = |e| crate::shared::error::sqlite_error(path, "cannot read the content of", e);
    let mut digest = Digest::new();
    digest.update(b"records-v1");
    for pragma in ["user_version", "application_id", "encoding"] {
        let value: String = conn
            .query_row(
                &format!("SELECT CAST({pragma} AS TEXT) FROM pragma_{pragma}"),
                [],
                |r| r.get(0),
            )
            .map_err(cannot)?;
        digest.update(pragma.as_bytes());
        digest.update(value.as_bytes());
    }
    let mut schema = conn
        .prepare("SELECT type, name, tbl_name, coalesce(sql, ''), rootpage FROM main.sqlite_schema ORDER BY type, name")
        .map_err(cannot)?;
    let rows: Vec<(String, String, String, String, i64)> = schema
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .and_then(|rows| rows.collect())
        .map_err(cannot)?;
    let without_rowid: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND wr")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(cannot)?;
    let mut tables = Vec::new();
    for (kind, name, table, sql, root) in &rows {
        for text in [kind, name, table, sql] {
            digest.update(&(text.len() as u64).to_le_bytes());
            digest.update(text.as_bytes());
        }
        if kind == "table" && *root > 0 {
            tables.push((name.clone(), *root as u32, without_rowid.contains(name)));
        }
    }
    tables.sort();
    let mut reader = Reader::open(file, path)?;
    for (name, root, index) in tables {
        digest.update(b"table");
        digest.update(name.as_bytes());
        reader.walk(root, index, &mut digest)?;
    }
    Ok(digest.finish())
}

/// Pages of one file, read with `pread`.
struct Reader<'a> {
    file: &'a File,
    path: &'a Path,
    page_size: usize,
    usable: usize,
    page_count: u32,
    visited: u64,
}

impl<'a> Reader<'a> {
    fn open(file: &'a File, path: &'a Path) -> Result<Reader<'a>> {
        let mut header = [0u8; 100];
        file.read_exact_at(&mut header, 0)
            .map_err(|e| Error::failed(format!("cannot read `{}`", path.display())).because(e))?;
        let page_size = match u16::from_be_bytes([header[16], header[17]]) {
            1 => 65_536,
            n => usize::from(n),
        };
        let length = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Reader {
            file,
            path,
            page_size,
            usable: page_size - usize::from(header[20]),
            page_count: (length / page_size.max(1) as u64) as u32,
            visited: 0,
        })
    }

    /// The file is damaged: SQLite's own code for it is the cause, so callers tell damage from
    /// other failures alike for both readers (see [`crate::copies::verify::damage_found`]).
    fn damaged(&self, what: &str) -> Error {
        Error::failed(format!(
            "database `{}` is damaged ({what}); restore it from a backup",
            self.path.display()
        ))
        .because(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(what.to_string()),
        ))
    }

    fn page(&mut self, number: u32) -> Result<Vec<u8>> {
        self.visited += 1;
        if number == 0 || number > self.page_count || self.visited > 4 * u64::from(self.page_count)
        {
            return Err(self.damaged("a b-tree points outside the file or loops"));
        }
        let mut page = vec![0u8; self.page_size];
        self.file
            .read_exact_at(&mut page, u64::from(number - 1) * self.page_size as u64)
            .map_err(|e| {
                Error::failed(format!("cannot read `{}`", self.path.display())).because(e)
            })?;
        Ok(page)
    }

    /// Feeds every entry of the b-tree rooted at `root` into the hash, in key order.
    fn walk(&mut self, root: u32, index: bool, digest: &mut Digest) -> Result<()> {
        let page = self.page(root)?;
        let at = if root == 1 { 100 } else { 0 };
        let kind = page[at];
        let interior = match (kind, index) {
            (0x05, false) | (0x02, true) => true,
            (0x0D, false) | (0x0A, true) => false,
            _ => return Err(self.damaged("a b-tree page has the wrong type")),
        };
        let cells = usize::from(u16::from_be_bytes([page[at + 3], page[at + 4]]));
        let pointers = at + if interior { 12 } else { 8 };
        for i in 0..cells {
            let offset = pointers + 2 * i;
            let cell = usize::from(u16::from_be_bytes(
                page.get(offset..offset + 2)
                    .ok_or_else(|| self.damaged("a cell pointer is out of the page"))?
                    .try_into()
                    .expect("2 bytes"),
            ));
            let mut cursor = cell;
            if interior {
                let child = self.u32_at(&page, cursor)?;
                cursor += 4;
                self.walk(child, index, digest)?;
                if !index {
                    continue;
                }
            }
            if !index {
                let (size, used) = self.varint(&page, cursor)?;
                let (rowid, used2) = self.varint(&page, cursor + used)?;
                digest.update(b"r");
                digest.update(&rowid.to_le_bytes());
                self.payload(&page, cursor + used + used2, size, false, digest)?;
            } else {
                let (size, used) = self.varint(&page, cursor)?;
                digest.update(b"k");
                self.payload(&page, cursor + used, size, true, digest)?;
            }
        }
        if interior {
            let right = self.u32_at(&page, at + 8)?;
            self.walk(right, index, digest)?;
        }
        Ok(())
    }

    /// Hashes a cell's payload: its local bytes, then its overflow chain.
    fn payload(
        &mut self,
        page: &[u8],
        start: usize,
        size: u64,
        index: bool,
        digest: &mut Digest,
    ) -> Result<()> {
        let size = usize::try_from(size).map_err(|_| self.damaged("a record is too large"))?;
        let local = local_size(size, self.usable, index);
        let bytes = page
            .get(start..start + local)
            .ok_or_else(|| self.damaged("a record runs past its page"))?;
        digest.update(&(size as u64).to_le_bytes());
        digest.update(bytes);
        let mut remaining = size - local;
        if remaining == 0 {
            return Ok(());
        }
        let mut next = self.u32_at(page, start + local)?;
        while remaining > 0 {
            let overflow = self.page(next)?;
            let take = remaining.min(self.usable - 4);
            digest.update(&overflow[4..4 + take]);
            remaining -= take;
            next = self.u32_at(&overflow, 0)?;
        }
        Ok(())
    }

    fn u32_at(&self, page: &[u8], at: usize) -> Result<u32> {
        page.get(at..at + 4)
            .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")))
            .ok_or_else(|| self.damaged("a page pointer is out of the page"))
    }

    /// SQLite's varint: 1 to 9 bytes, big-endian, 7 bits each but the ninth's 8.
    fn varint(&self, page: &[u8], at: usize) -> Result<(u64, usize)> {
        let mut value = 0u64;
        for i in 0..9 {
            let byte = *page
                .get(at + i)
                .ok_or_else(|| self.damaged("a varint runs past its page"))?;
            if i == 8 {
                return Ok(((value << 8) | u64::from(byte), 9));
            }
            value = (value << 7) | u64::from(byte & 0x7f);
            if byte < 0x80 {
                return Ok((value, i + 1));
            }
        }
        unreachable!("the loop returns by the ninth byte")
    }
}

/// How many bytes of a payload of `size` bytes are stored on the b-tree page itself (the rest
/// goes to overflow pages), per SQLite's file format.
fn local_size(size: usize, usable: usize, index: bool) -> usize {
    let most = if index {
        (usable - 12) * 64 / 255 - 23
    } else {
        usable - 35
    };
    if size <= most {
        return size;
    }
    let least = (usable - 12) * 32 / 255 - 23;
    let kept = least + (size - least) % (usable - 4);
    if kept <= most {
        kept
    } else {
        least
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(path: &Path, sql: &str) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(sql).unwrap();
        conn
    }

    const CONTENT: &str = "
        CREATE TABLE t (id INTEGER PRIMARY KEY, v);
        CREATE TABLE k (a TEXT PRIMARY KEY, b) WITHOUT ROWID;
        CREATE TABLE p (x);
        CREATE INDEX t_v ON t (v);
        WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000)
        INSERT INTO t SELECT i, CASE i % 4 WHEN 0 THEN randomblob(i % 9000) WHEN 1 THEN i * 1.5
            WHEN 2 THEN printf('%.*c', i % 7000, 'x') ELSE NULL END FROM c;
        WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000)
        INSERT INTO k SELECT printf('%05d', i) || printf('%.*c', i % 3000, 'y'), i FROM c;
        INSERT INTO p (rowid, x) VALUES (7, 'a'), (9, 'b');";

    #[test]
    fn copies_made_by_sqlite_hash_equal_and_any_change_shows() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("a.db");
        let conn = build(&source, CONTENT);
        let original = digest(&conn, &source).unwrap();
        conn.execute_batch("DELETE FROM t WHERE id % 3 = 0; INSERT INTO t SELECT id + 10000, v FROM t WHERE id % 3 = 1; DELETE FROM t WHERE id > 10000;")
            .unwrap();
        let fragmented = digest(&conn, &source).unwrap();
        assert_ne!(fragmented, original);

        let vacuumed = dir.path().join("b.db");
        conn.execute("VACUUM INTO ?1", [vacuumed.to_str().unwrap()])
            .unwrap();
        let copy = Connection::open(&vacuumed).unwrap();
        assert_eq!(digest(&copy, &vacuumed).unwrap(), fragmented);
        assert_ne!(
            std::fs::read(&source).unwrap(),
            std::fs::read(&vacuumed).unwrap(),
            "the layouts differ"
        );

        for change in [
            "UPDATE t SET v = 'z' WHERE id = 2",
            "UPDATE k SET b = -1 WHERE b = 1500",
            "UPDATE p SET rowid = 8 WHERE rowid = 7",
            "PRAGMA user_version = 3",
            "CREATE INDEX k_b ON k (b)",
        ] {
            copy.execute_batch(change).unwrap();
            let changed = digest(&copy, &vacuumed).unwrap();
            assert_ne!(changed, fragmented, "{change}");
        }
    }

    #[test]
    fn local_sizes_follow_the_file_format() {
        assert_eq!(local_size(100, 4096, false), 100);
        assert_eq!(local_size(4061, 4096, false), 4061);
        assert_eq!(local_size(5000, 4096, false), 489 + (5000 - 489) % 4092);
        assert_eq!(local_size(1002, 4096, true), 1002);
        assert_eq!(local_size(1003, 4096, true), 489);
    }
}
