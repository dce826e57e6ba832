//! The benchmark's database: the real schema, the reference onsens plus more bathhouses, and
//! visits logged in date order with ratings, fees and free-text notes, up to a given size.

use onsendo::migrate::Catalog;
use onsendo::{db, seed};
use rusqlite::{params, Transaction};
use std::path::Path;

/// Visits are inserted in batches; the size is checked between batches.
const BATCH: usize = 20_000;
/// How many bathhouses the visits spread over.
const ONSENS: i64 = 150;

const PHRASES: [&str; 16] = [
    "Milky sulphur water, almost too hot at first.",
    "The outdoor bath faced the bay and steam drifted over the town.",
    "Quiet at dawn; three regulars and a cat by the door.",
    "Busy after six, queue for the lockers.",
    "Bring your own towel and soap; the locker costs 100 yen.",
    "Sand bath attendants buried me up to the neck, fifteen minutes.",
    "Iron-red water stained the towel orange.",
    "Wooden building from the Meiji era, creaking floor, high ceiling.",
    "Rain on the roof of the rotenburo, best visit so far.",
    "Too crowded with tour groups today.",
    "Tiny neighbourhood bath, the honesty box takes coins only.",
    "Steam oven eggs from the shop next door afterwards.",
    "Water felt slippery, good for the skin according to the sign.",
    "Closed on the third Tuesday of the month, check before going.",
    "Mountain view from the upper pool, cold wind outside.",
    "Old man at the counter explained the spring's history.",
];

/// A small deterministic generator (xorshift64*), so every run builds the same database.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Builds `path` (which must not exist) at about `bytes` bytes; returns the number of visits.
pub fn build(path: &Path, bytes: u64) -> anyhow::Result<u64> {
    let mut visits = 0u64;
    db::build_new(path, None, &Catalog::built_in(), |tx| {
        seed::load(tx)?;
        fill(tx, bytes, &mut visits)
            .map_err(|e| db::sqlite_error(path, "cannot fill the benchmark database", e))?;
        Ok(visits as usize)
    })?;
    Ok(visits)
}

fn fill(tx: &Transaction, bytes: u64, visits: &mut u64) -> rusqlite::Result<()> {
    tx.execute_batch("PRAGMA cache_size = -65536")?;
    let mut onsen = tx.prepare(
        "INSERT OR IGNORE INTO onsens (ban_number, name, region, spring_quality)
         VALUES (?1, ?2, ?3, 'simple spring')",
    )?;
    for ban in 1..=ONSENS {
        onsen.execute(params![ban, format!("Beppu bathhouse No. {ban}"), "Beppu"])?;
    }
    let ids: Vec<i64> = tx
        .prepare("SELECT id FROM onsens ORDER BY id")?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut insert = tx.prepare(
        "INSERT INTO visits (onsen_id, visited_at, entry_fee_yen, stay_minutes, personal_rating, notes, created_at)
         VALUES (?1, date('2010-01-01', '+' || ?2 || ' days'), ?3, ?4, ?5, ?6,
                 strftime('%Y-%m-%dT%H:%M:%SZ', '2010-01-01', '+' || ?2 || ' days', '+' || ?7 || ' seconds'))",
    )?;
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let page_size: u64 = tx.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0))? as u64;
    loop {
        for _ in 0..BATCH {
            let day = (*visits / 1_000) as i64;
            let notes = match random.below(5) {
                0 => None,
                _ => {
                    let count = 1 + random.below(3) as usize;
                    let chosen: Vec<&str> = (0..count)
                        .map(|_| PHRASES[random.below(PHRASES.len() as u64) as usize])
                        .collect();
                    Some(chosen.join(" "))
                }
            };
            insert.execute(params![
                ids[random.below(ids.len() as u64) as usize],
                day,
                100 + 50 * random.below(19) as i64,
                10 + random.below(111) as i64,
                1 + random.below(10) as i64,
                notes,
                random.below(86_400) as i64,
            ])?;
            *visits += 1;
        }
        let pages: i64 = tx.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        if pages as u64 * page_size >= bytes {
            return Ok(());
        }
    }
}
