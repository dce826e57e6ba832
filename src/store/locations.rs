//! Locations: named places (a home base, a town) with optional coordinates.

use super::{
    check_coordinates, check_pair, optional_text, query_failed, require_row, require_some,
    sqlite_failed, update_row, Field, Modified,
};
use crate::shared::error::{Error, Result};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row};
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

/// What to change in a location: a field left `None` keeps its value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocationChanges {
    pub name: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub description: Option<String>,
}

impl LocationChanges {
    /// Checks the values given, before anything is opened: at least one, a name that is not
    /// blank, coordinates in range.
    pub fn validate(&self) -> Result<()> {
        require_some(&self.fields(), "--name, --lat, --lon, --description")?;
        check(self.name.as_deref(), self.latitude, self.longitude)
    }

    fn fields(&self) -> [Field; 4] {
        [
            (
                "name",
                self.name
                    .as_deref()
                    .map(|n| SqlValue::Text(n.trim().into())),
            ),
            ("latitude", self.latitude.map(SqlValue::Real)),
            ("longitude", self.longitude.map(SqlValue::Real)),
            ("description", optional_text(&self.description)),
        ]
    }
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

const SELECT: &str = "SELECT id, name, latitude, longitude, description FROM locations";

/// Every location, by name.
pub fn list(conn: &Connection) -> Result<Vec<Location>> {
    let read = || -> rusqlite::Result<Vec<Location>> {
        conn.prepare(&format!("{SELECT} ORDER BY name"))?
            .query_map([], Location::from_row)?
            .collect()
    };
    read().map_err(|e| query_failed(conn, "locations", e))
}

/// One location; an unknown id is a usage error.
pub(crate) fn get(conn: &Connection, id: i64) -> Result<Location> {
    require_row(conn, "locations", id, "location list")?;
    conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], Location::from_row)
        .map_err(|e| query_failed(conn, "locations", e))
}

/// Checks the values given: a name that is not blank, coordinates in range.
fn check(name: Option<&str>, latitude: Option<f64>, longitude: Option<f64>) -> Result<()> {
    if name.is_some_and(|name| name.trim().is_empty()) {
        return Err(Error::usage("a location needs a name (--name)"));
    }
    check_coordinates(latitude, longitude)
}

/// Checks a new location: a name, coordinates in range and given together.
pub fn validate(new: &NewLocation) -> Result<()> {
    check(Some(&new.name), new.latitude, new.longitude)?;
    check_pair(new.latitude, new.longitude)
}

/// Fails with a usage error when a location other than `except` is called `name`.
fn require_free_name(conn: &Connection, name: &str, except: Option<i64>) -> Result<()> {
    let holder: Option<i64> = conn
        .query_row(
            "SELECT id FROM locations WHERE name = ?1 AND id IS NOT ?2",
            rusqlite::params![name, except],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| query_failed(conn, "locations", e))?;
    match holder {
        None => Ok(()),
        Some(id) => Err(Error::usage(format!(
            "a location named `{name}` already exists (location {id}); choose another --name"
        ))),
    }
}

/// Adds a location; a duplicate name is a usage error. Returns the new id.
pub fn add(conn: &Connection, new: &NewLocation) -> Result<i64> {
    validate(new)?;
    let name = new.name.trim();
    require_free_name(conn, name, None)?;
    conn.execute(
        "INSERT INTO locations (name, latitude, longitude, description) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![name, new.latitude, new.longitude, new.description],
    )
    .map_err(|e| sqlite_failed(conn, "cannot add the location to", e))?;
    Ok(conn.last_insert_rowid())
}

/// Changes the given fields of one location and returns it before and after; an unknown id, a
/// name already taken or a lone coordinate is a usage error.
pub fn modify(conn: &Connection, id: i64, changes: &LocationChanges) -> Result<Modified<Location>> {
    changes.validate()?;
    let before = get(conn, id)?;
    check_pair(
        changes.latitude.or(before.latitude),
        changes.longitude.or(before.longitude),
    )?;
    if let Some(name) = &changes.name {
        require_free_name(conn, name.trim(), Some(id))?;
    }
    update_row(conn, "locations", id, &changes.fields())?;
    let after = get(conn, id)?;
    Ok(Modified { before, after })
}

/// Deletes a location and returns what it was; an unknown id is a usage error.
pub fn delete(conn: &Connection, id: i64) -> Result<Location> {
    let location = get(conn, id)?;
    conn.execute("DELETE FROM locations WHERE id = ?1", [id])
        .map_err(|e| sqlite_failed(conn, &format!("cannot delete location {id} from"), e))?;
    Ok(location)
}
