//! Onsens: the reference list of baths that visits point to.

use super::{
    check_coordinates, check_pair, optional_text, query_failed, require_row, require_some,
    sqlite_failed, update_row, Field, Modified,
};
use crate::shared::error::{Error, Result};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row};
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

/// An onsen's optional facts, as given to `add` or `modify`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    pub region: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub spring_quality: Option<String>,
    pub description: Option<String>,
}

/// An onsen to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOnsen {
    pub ban_number: i64,
    pub name: String,
    pub details: Details,
}

/// What to change in an onsen: a field left `None` keeps its value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OnsenChanges {
    pub ban_number: Option<i64>,
    pub name: Option<String>,
    pub details: Details,
}

impl OnsenChanges {
    /// Checks the values given, before anything is opened: at least one, a ban number above 0,
    /// a name that is not blank, coordinates in range.
    pub fn validate(&self) -> Result<()> {
        require_some(
            &self.fields(),
            "--ban, --name, --region, --address, --lat, --lon, --spring-quality, --description",
        )?;
        check(self.ban_number, self.name.as_deref(), &self.details)
    }

    fn fields(&self) -> [Field; 8] {
        let details = &self.details;
        [
            ("ban_number", self.ban_number.map(SqlValue::Integer)),
            (
                "name",
                self.name
                    .as_deref()
                    .map(|n| SqlValue::Text(n.trim().into())),
            ),
            ("region", optional_text(&details.region)),
            ("address", optional_text(&details.address)),
            ("latitude", details.latitude.map(SqlValue::Real)),
            ("longitude", details.longitude.map(SqlValue::Real)),
            ("spring_quality", optional_text(&details.spring_quality)),
            ("description", optional_text(&details.description)),
        ]
    }
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
    read().map_err(|e| query_failed(conn, "onsens", e))
}

/// One onsen; an unknown id is a usage error.
pub fn get(conn: &Connection, id: i64) -> Result<Onsen> {
    require(conn, id)?;
    let sql = format!("SELECT {COLUMNS} FROM onsens WHERE id = ?1");
    conn.query_row(&sql, [id], Onsen::from_row)
        .map_err(|e| query_failed(conn, "onsens", e))
}

/// Fails with a usage error unless the onsen exists.
pub(crate) fn require(conn: &Connection, id: i64) -> Result<()> {
    require_row(conn, "onsens", id, "onsen list")
}

/// Checks the values given: a ban number above 0, a name that is not blank, coordinates in range.
fn check(ban_number: Option<i64>, name: Option<&str>, details: &Details) -> Result<()> {
    if let Some(ban) = ban_number.filter(|ban| *ban <= 0) {
        return Err(Error::usage(format!(
            "ban number {ban} is not valid; give a whole number above 0 (--ban)"
        )));
    }
    if name.is_some_and(|name| name.trim().is_empty()) {
        return Err(Error::usage("an onsen needs a name (--name)"));
    }
    check_coordinates(details.latitude, details.longitude)
}

/// Checks a new onsen before anything is opened: a ban number above 0, a name, coordinates in
/// range and given together.
pub fn validate(new: &NewOnsen) -> Result<()> {
    check(Some(new.ban_number), Some(&new.name), &new.details)?;
    check_pair(new.details.latitude, new.details.longitude)
}

/// Fails with a usage error naming the onsen (other than `except`) that has ban number `ban`.
fn require_free_ban(conn: &Connection, ban: i64, except: Option<i64>) -> Result<()> {
    let holder: Option<(i64, String)> = conn
        .query_row(
            "SELECT id, name FROM onsens WHERE ban_number = ?1 AND id IS NOT ?2",
            rusqlite::params![ban, except],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(|e| query_failed(conn, "onsens", e))?;
    match holder {
        None => Ok(()),
        Some((id, name)) => Err(Error::usage(format!(
            "ban number {ban} is already onsen {id} ({name}); choose another --ban"
        ))
        .next_step("or change that one with", format!("onsen modify {id}"))),
    }
}

/// Adds an onsen; a ban number already taken is a usage error. Returns the new id.
pub fn add(conn: &Connection, new: &NewOnsen) -> Result<i64> {
    validate(new)?;
    require_free_ban(conn, new.ban_number, None)?;
    let d = &new.details;
    conn.execute(
        "INSERT INTO onsens (ban_number, name, region, address, latitude, longitude, spring_quality, description)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            new.ban_number,
            new.name.trim(),
            d.region,
            d.address,
            d.latitude,
            d.longitude,
            d.spring_quality,
            d.description
        ],
    )
    .map_err(|e| sqlite_failed(conn, "cannot add the onsen to", e))?;
    Ok(conn.last_insert_rowid())
}

/// Changes the given fields of one onsen and returns it before and after; an unknown id, a ban
/// number already taken or a lone coordinate is a usage error.
pub fn modify(conn: &Connection, id: i64, changes: &OnsenChanges) -> Result<Modified<Onsen>> {
    changes.validate()?;
    let before = get(conn, id)?;
    let details = &changes.details;
    check_pair(
        details.latitude.or(before.latitude),
        details.longitude.or(before.longitude),
    )?;
    if let Some(ban) = changes.ban_number {
        require_free_ban(conn, ban, Some(id))?;
    }
    update_row(conn, "onsens", id, &changes.fields())?;
    let after = get(conn, id)?;
    Ok(Modified { before, after })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn onsen(ban_number: i64, name: &str, latitude: Option<f64>) -> NewOnsen {
        NewOnsen {
            ban_number,
            name: name.into(),
            details: Details {
                latitude,
                longitude: latitude,
                ..Details::default()
            },
        }
    }

    #[test]
    fn validation_catches_bad_input() {
        assert!(validate(&onsen(9, "Tsurumi", Some(33.3))).is_ok());
        let mut lone = onsen(9, "Tsurumi", Some(33.3));
        lone.details.longitude = None;
        for bad in [
            onsen(0, "Tsurumi", None),
            onsen(-3, "Tsurumi", None),
            onsen(9, "  ", None),
            onsen(9, "Tsurumi", Some(91.0)),
            lone,
        ] {
            assert_eq!(
                validate(&bad).unwrap_err().kind(),
                crate::Kind::Usage,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn changes_need_at_least_one_valid_field() {
        let none = OnsenChanges::default();
        assert!(none.validate().unwrap_err().to_string().contains("--ban"));
        let region = OnsenChanges {
            details: Details {
                region: Some("Kannawa".into()),
                ..Details::default()
            },
            ..OnsenChanges::default()
        };
        assert!(region.validate().is_ok());
        let blank = OnsenChanges {
            name: Some(" ".into()),
            ..OnsenChanges::default()
        };
        assert!(blank.validate().is_err());
    }
}
