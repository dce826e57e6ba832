//! Realistic, deterministic mock data for throwaway databases (`database mock-data`, the
//! benchmark): bathhouses beside the reference onsens, and visits logged in date order with
//! ratings, fees, stays and free-text notes. The same seed gives the same rows.

use crate::shared::error::sqlite_error;
use crate::shared::error::Result;
use crate::ui::progress::Progress;
use rusqlite::{params, Transaction};
use std::path::Path;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 0x9e37_79b9_7f4a_7c15;
/// How many bathhouses the visits spread over (reference onsens included, matched by ban number).
pub(crate) const BATHHOUSES: i64 = 150;
/// Visits logged per day of the calendar, so dates advance with the row count.
const VISITS_PER_DAY: u64 = 1_000;
/// The file size is checked between batches of this many visits.
const BATCH: u64 = 20_000;

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

/// How much to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    /// Exactly this many visits.
    Visits(u64),
    /// Visits until the file reaches about this many bytes.
    Bytes(u64),
}

/// What was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Added {
    /// Bathhouses added (those already there by ban number are kept as they are).
    pub onsens: usize,
    /// Visits added.
    pub visits: u64,
}

/// A small deterministic generator (xorshift64*).
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Random {
        // xorshift has a fixed point at 0.
        Random(if seed == 0 { DEFAULT_SEED } else { seed })
    }

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

/// Adds bathhouses and visits inside the caller's transaction.
pub fn fill(tx: &Transaction, amount: Amount, seed: u64, path: &Path) -> Result<Added> {
    let doing = "cannot add mock data to";
    fill_rows(tx, amount, seed).map_err(|e| sqlite_error(path, doing, e))
}

fn fill_rows(tx: &Transaction, amount: Amount, seed: u64) -> rusqlite::Result<Added> {
    tx.execute_batch("PRAGMA cache_size = -65536")?;
    let mut onsen = tx.prepare(
        "INSERT INTO onsens (ban_number, name, region, spring_quality)
         VALUES (?1, ?2, 'Beppu', 'simple spring') ON CONFLICT (ban_number) DO NOTHING",
    )?;
    let mut onsens = 0;
    for ban in 1..=BATHHOUSES {
        onsens += onsen.execute(params![ban, format!("Beppu bathhouse No. {ban}")])?;
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
    let page_size: u64 = tx.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0))? as u64;
    let mut random = Random::new(seed);
    let mut visits = 0u64;
    let mut shown = match amount {
        Amount::Visits(total) => Progress::items("adding mock data", total, "visits"),
        Amount::Bytes(bytes) => Progress::bytes("adding mock data", bytes),
    };
    loop {
        let batch = match amount {
            Amount::Visits(total) => BATCH.min(total - visits),
            Amount::Bytes(_) => BATCH,
        };
        for _ in 0..batch {
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
                (visits / VISITS_PER_DAY) as i64,
                100 + 50 * random.below(19) as i64,
                10 + random.below(111) as i64,
                1 + random.below(10) as i64,
                notes,
                random.below(86_400) as i64,
            ])?;
            visits += 1;
        }
        let done = match amount {
            Amount::Visits(total) => {
                shown.set(visits);
                visits >= total
            }
            Amount::Bytes(bytes) => {
                let pages: i64 = tx.query_row("PRAGMA page_count", [], |r| r.get(0))?;
                shown.set(pages as u64 * page_size);
                pages as u64 * page_size >= bytes
            }
        };
        if done {
            return Ok(Added { onsens, visits });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::seed::fixtures::seeded as database;
    use rusqlite::Connection;

    /// A visit's onsen, date, rating and notes.
    type Row = (i64, String, i64, Option<String>);

    fn visits(conn: &Connection) -> Vec<Row> {
        conn.prepare("SELECT onsen_id, visited_at, personal_rating, notes FROM visits ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn filled(seed: u64, count: u64) -> (Added, Vec<Row>) {
        let mut conn = database();
        let tx = conn.transaction().unwrap();
        let added = fill(&tx, Amount::Visits(count), seed, Path::new(":memory:")).unwrap();
        tx.commit().unwrap();
        (added, visits(&conn))
    }

    #[test]
    fn the_same_seed_gives_the_same_rows_and_another_seed_others() {
        let (added, first) = filled(7, 2_500);
        assert_eq!(added.visits, 2_500);
        assert_eq!(first.len(), 2_500);
        assert_eq!(filled(7, 2_500).1, first);
        assert_ne!(filled(8, 2_500).1, first);
    }

    #[test]
    fn rows_keep_every_constraint_and_reference_onsens_stay() {
        let (added, rows) = filled(1, 3_000);
        let reference = crate::data::seed::onsens().unwrap().len();
        assert_eq!(added.onsens, BATHHOUSES as usize - reference);
        assert!(rows
            .iter()
            .all(|(_, _, rating, _)| (1..=10).contains(rating)));
        assert_eq!(rows.first().unwrap().1, "2010-01-01");
        assert_eq!(rows.last().unwrap().1, "2010-01-03");
    }
}
