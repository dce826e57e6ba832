//! Onsens: the reference list of baths that visits point to.

use super::{query_failed, require_row};
use crate::error::Result;
use rusqlite::{Connection, Row};
use serde_json::{json, Value};

/// One onsen.
#[derive(Debug, Clone, PartialEq)]
pub struct Onsen {
    pub id: i64,
    pub ban_number: i64,
    pub name: String,
    pub region: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub spring_quality: Option<String>,
    pub description: Option<String>,
}

impl Onsen {
    /// The JSON form shown by `--json`.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "ban_number": self.ban_number, "name": self.name, "region": self.region,
            "address": self.address, "latitude": self.latitude, "longitude": self.longitude,
            "spring_quality": self.spring_quality, "description": self.description,
        })
    }

    fn from_row(row: &Row) -> rusqlite::Result<Onsen> {
        Ok(Onsen {
            id: row.get(0)?,
            ban_number: row.get(1)?,
            name: row.get(2)?,
            region: row.get(3)?,
            address: row.get(4)?,
            latitude: row.get(5)?,
            longitude: row.get(6)?,
            spring_quality: row.get(7)?,
            description: row.get(8)?,
        })
    }
}

const COLUMNS: &str =
    "id, ban_number, name, region, address, latitude, longitude, spring_quality, description";

/// Every onsen, by ban number.
pub fn list(conn: &Connection) -> Result<Vec<Onsen>> {
    let sql = format!("SELECT {COLUMNS} FROM onsens ORDER BY ban_number");
    let read = || -> rusqlite::Result<Vec<Onsen>> {
        conn.prepare(&sql)?
            .query_map([], Onsen::from_row)?
            .collect()
    };
    read().map_err(|e| query_failed("onsens", e))
}

/// One onsen; an unknown id is a usage error.
pub fn get(conn: &Connection, id: i64) -> Result<Onsen> {
    require(conn, id)?;
    let sql = format!("SELECT {COLUMNS} FROM onsens WHERE id = ?1");
    conn.query_row(&sql, [id], Onsen::from_row)
        .map_err(|e| query_failed("onsens", e))
}

/// Fails with a usage error unless the onsen exists.
pub fn require(conn: &Connection, id: i64) -> Result<()> {
    require_row(conn, "onsens", id, "list them with `onsendo onsen list`")
}
