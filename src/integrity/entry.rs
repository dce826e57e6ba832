//! One index entry read through SQL: its values encoded for a seeded hash, and the size of the
//! record SQLite makes of them; and the multisets of entries the proof compares.

use rusqlite::types::ValueRef;
use xxhash_rust::xxh3::xxh3_128_with_seed;

/// A multiset of index entries: how many, the wrapping sum of their seeded hashes, and the total
/// size of their records.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Multiset {
    entries: u64,
    sum: u128,
    /// The total size of the records.
    pub bytes: u64,
}

impl Multiset {
    /// Adds one entry, whose record takes `bytes`.
    pub fn add(&mut self, seed: u64, entry: &Entry, bytes: u64) {
        self.entries += 1;
        self.sum = self
            .sum
            .wrapping_add(xxh3_128_with_seed(&entry.encoded, seed));
        self.bytes = self.bytes.wrapping_add(bytes);
    }
}

/// One index entry being read: its values, typed and length-prefixed so that distinct entries
/// encode differently, and the serial types SQLite's record format gives them.
#[derive(Default)]
pub struct Entry {
    encoded: Vec<u8>,
    /// (serial type, bytes of its value) for each value.
    serial: Vec<(u64, u64)>,
}

impl Entry {
    pub fn clear(&mut self) {
        self.encoded.clear();
        self.serial.clear();
    }

    /// Appends one value of the entry.
    pub fn push(&mut self, value: ValueRef<'_>) {
        let serial = match value {
            ValueRef::Null => {
                self.encoded.push(0);
                (0, 0)
            }
            ValueRef::Integer(i) => {
                self.encoded.push(1);
                self.encoded.extend_from_slice(&i.to_le_bytes());
                integer_serial(i)
            }
            ValueRef::Real(f) => {
                self.encoded.push(2);
                self.encoded.extend_from_slice(&f.to_bits().to_le_bytes());
                (7, 8)
            }
            ValueRef::Text(bytes) => (13 + 2 * self.push_bytes(3, bytes), bytes.len() as u64),
            ValueRef::Blob(bytes) => (12 + 2 * self.push_bytes(4, bytes), bytes.len() as u64),
        };
        self.serial.push(serial);
    }

    /// Appends a tag, a length and the bytes; returns the length.
    fn push_bytes(&mut self, tag: u8, bytes: &[u8]) -> u64 {
        let length = bytes.len() as u64;
        self.encoded.push(tag);
        self.encoded.extend_from_slice(&length.to_le_bytes());
        self.encoded.extend_from_slice(bytes);
        length
    }

    /// The size of the record SQLite makes of these values (`OP_MakeRecord`): the header (its own
    /// length, then each serial type, as varints) and the values.
    pub fn record_size(&self) -> u64 {
        let types: u64 = self.serial.iter().map(|(t, _)| varint_len(*t)).sum();
        let body: u64 = self.serial.iter().map(|(_, size)| size).sum();
        let header = if types <= 126 {
            types + 1
        } else {
            let own = varint_len(types);
            types + own + u64::from(own < varint_len(types + own))
        };
        header + body
    }
}

/// An integer's serial type and size in a record of schema format 4: 0 and 1 take no bytes, the
/// others the fewest of 1, 2, 3, 4, 6 or 8.
fn integer_serial(i: i64) -> (u64, u64) {
    match i {
        0 | 1 => (8 + i as u64, 0),
        -0x80..=0x7f => (1, 1),
        -0x8000..=0x7fff => (2, 2),
        -0x80_0000..=0x7f_ffff => (3, 3),
        -0x8000_0000..=0x7fff_ffff => (4, 4),
        -0x8000_0000_0000..=0x7fff_ffff_ffff => (5, 6),
        _ => (6, 8),
    }
}

/// The bytes of SQLite's varint for `v`.
fn varint_len(v: u64) -> u64 {
    match v {
        0..=0x7f => 1,
        _ if v > 0x00ff_ffff_ffff_ffff => 9,
        _ => u64::from((64 - v.leading_zeros()).div_ceil(7)),
    }
}
