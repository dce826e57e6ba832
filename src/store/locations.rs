//! Locations: named places (a home base, a town) with optional coordinates.

use super::query_failed;
use crate::error::{Error, Result};
use rusqlite::{Connection, Row};
use serde_json::{json, Value};

/// One location.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub id: i64,
    pub name: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub description: Option<String>,
}

/// A location to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLocation {
    pub name: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub description: Option<String>,
}

impl Location {
    /// The JSON form shown by `--json`.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "latitude": self.latitude,
            "longitude": self.longitude, "description": self.description,
        })
    }

    fn from_row(row: &Row) -> rusqlite::Result<Location> {
        Ok(Location {
            id: row.get(0)?,
            name: row.get(1)?,
            latitude: row.get(2)?,
            longitude: row.get(3)?,
            description: row.get(4)?,
        })
    }
}

/// Every location, by name.
pub fn list(conn: &Connection) -> Result<Vec<Location>> {
    let read = || -> rusqlite::Result<Vec<Location>> {
        conn.prepare(
            "SELECT id, name, latitude, longitude, description FROM locations ORDER BY name",
        )?
        .query_map([], Location::from_row)?
        .collect()
    };
    read().map_err(|e| query_failed("locations", e))
}

/// Checks a new location: a name, coordinates in range and given together.
pub fn validate(new: &NewLocation) -> Result<()> {
    if new.name.trim().is_empty() {
        return Err(Error::usage("a location needs a name (--name)"));
    }
    if new.latitude.is_some() != new.longitude.is_some() {
        return Err(Error::usage("give both --lat and --lon, or neither"));
    }
    if new
        .latitude
        .is_some_and(|lat| !(-90.0..=90.0).contains(&lat))
    {
        return Err(Error::usage("--lat must be between -90 and 90"));
    }
    if new
        .longitude
        .is_some_and(|lon| !(-180.0..=180.0).contains(&lon))
    {
        return Err(Error::usage("--lon must be between -180 and 180"));
    }
    Ok(())
}

/// Adds a location; a duplicate name is a usage error. Returns the new id.
pub fn add(conn: &Connection, new: &NewLocation) -> Result<i64> {
    validate(new)?;
    let name = new.name.trim();
    let taken: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM locations WHERE name = ?1)",
            [name],
            |row| row.get(0),
        )
        .map_err(|e| query_failed("locations", e))?;
    if taken {
        return Err(Error::usage(format!(
            "a location named `{name}` already exists"
        )));
    }
    conn.execute(
        "INSERT INTO locations (name, latitude, longitude, description) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![name, new.latitude, new.longitude, new.description],
    )
    .map_err(|e| Error::failed("cannot add the location").because(e))?;
    Ok(conn.last_insert_rowid())
}
