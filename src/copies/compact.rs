//! Compaction of a live database: a vacuumed copy made by the copy engine, checked equal to the
//! database by logical hash, then put into the live file through SQLite as a restore is (one
//! transaction: a crash rolls it back), and checked again.

use crate::access::db::{self, Access};
use crate::copies::{copy, restore};
use crate::shared::durable::TempFile;
use crate::shared::error::{sqlite_error, Result};
use std::path::Path;

/// A database's size and how much of it is free pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Room {
    /// The file's size in bytes.
    pub size: u64,
    /// Its free pages (`PRAGMA freelist_count`).
    pub free_pages: u64,
    /// Its page size.
    pub page_size: u64,
}

impl Room {
    /// Bytes the free pages take: about what compaction gives back.
    pub fn free_bytes(&self) -> u64 {
        self.free_pages.saturating_mul(self.page_size)
    }
}

/// Measures `path`.
pub fn measure(path: &Path) -> Result<Room> {
    let conn = db::connect(path, Access::Read)?;
    let pragma = |name: &str| -> Result<u64> {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(|e| sqlite_error(path, "cannot read", e))
    };
    let (free_pages, page_size) = (pragma("freelist_count")?, pragma("page_size")?);
    let size = std::fs::metadata(path)
        .map_err(|e| {
            crate::shared::error::Error::failed(format!("cannot read `{}`", path.display()))
                .because(e)
        })?
        .len();
    Ok(Room {
        size,
        free_pages,
        page_size,
    })
}

/// Compacts `live`, which the caller holds alone (the exclusive lock): `VACUUM INTO` a private
/// copy beside it, checked equal to it by logical hash; that copy's content into `live` through
/// SQLite, checked to hold it and to pass `quick_check`. Returns the room before and after.
pub fn compact(live: &Path) -> Result<(Room, Room)> {
    let before = measure(live)?;
    let packed = TempFile::beside(live)?;
    copy::compact(live, packed.path())?;
    restore::replace_contents(packed.path(), live)?;
    drop(packed);
    Ok((before, measure(live)?))
}
