//! The benchmark's database: the real schema, the reference onsens, and the library's mock
//! bathhouses and visits, up to a given size.

use onsendo::access::db;
use onsendo::data::mock::{self, Amount};
use onsendo::data::seed;
use onsendo::migrate::Catalog;
use std::path::Path;

/// Builds `path` (which must not exist) at about `bytes` bytes; returns the number of visits.
pub fn build(path: &Path, bytes: u64) -> anyhow::Result<u64> {
    let mut visits = 0u64;
    db::build_new(path, None, &Catalog::built_in(), |tx| {
        seed::load(tx)?;
        visits = mock::fill(tx, Amount::Bytes(bytes), mock::DEFAULT_SEED, path)?.visits;
        Ok(visits as usize)
    })?;
    Ok(visits)
}
