//! The reference data in `data/seed/`, embedded in the binaries and loaded idempotently.

use crate::shared::error::{Context, Result};
use rusqlite::Connection;
use serde_json::Value;

const ONSENS_JSON: &str = include_str!("../../data/seed/onsens.json");

/// One onsen of the reference list.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedOnsen {
    /// Official ban number (unique).
    pub ban_number: i64,
    /// Name.
    pub name: String,
    /// The other columns, as text or number (`region`, `address`, `latitude`, `longitude`,
    /// `spring_quality`, `description`).
    pub details: [Option<Value>; 6],
}

const DETAIL_COLUMNS: [&str; 6] = [
    "region",
    "address",
    "latitude",
    "longitude",
    "spring_quality",
    "description",
];

/// The reference onsens.
pub fn onsens() -> Result<Vec<SeedOnsen>> {
    let document: Value = serde_json::from_str(ONSENS_JSON)
        .failed(|| "data/seed/onsens.json is not valid JSON".to_string())?;
    let list = document["onsens"].as_array().cloned().unwrap_or_default();
    Ok(list
        .into_iter()
        .filter_map(|item| {
            Some(SeedOnsen {
                ban_number: item["ban_number"].as_i64()?,
                name: item["name"].as_str()?.to_string(),
                details: DETAIL_COLUMNS
                    .map(|column| item.get(column).cloned().filter(|v| !v.is_null())),
            })
        })
        .collect())
}

/// Inserts the reference onsens that are missing (matched by ban number); returns how many were added.
pub fn load(conn: &Connection) -> Result<usize> {
    let mut insert = conn
        .prepare(
            "INSERT INTO onsens (ban_number, name, region, address, latitude, longitude, spring_quality, description)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (ban_number) DO NOTHING",
        )
        .failed(|| "cannot prepare the seed insert".to_string())?;
    let mut added = 0;
    for onsen in onsens()? {
        let sql = |value: &Option<Value>| match value {
            Some(Value::Number(n)) => rusqlite::types::Value::Real(n.as_f64().unwrap_or_default()),
            Some(other) => rusqlite::types::Value::Text(
                other
                    .as_str()
                    .map_or_else(|| other.to_string(), String::from),
            ),
            None => rusqlite::types::Value::Null,
        };
        let [region, address, latitude, longitude, quality, description] =
            onsen.details.each_ref().map(sql);
        added += insert
            .execute(rusqlite::params![
                onsen.ban_number,
                onsen.name,
                region,
                address,
                latitude,
                longitude,
                quality,
                description
            ])
            .failed(|| format!("cannot insert seed onsen {}", onsen.ban_number))?;
    }
    Ok(added)
}

/// Fixtures for the library's unit tests: in-memory databases with the real schema.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::migrate::{runner, Catalog};
    use rusqlite::Connection;
    use std::path::Path;

    /// An in-memory database at the schema's head, with no reference data.
    pub(crate) fn at_head() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        let catalog = Catalog::built_in();
        runner::up(&conn, &catalog, 0, catalog.head(), Path::new(":memory:")).unwrap();
        conn
    }

    /// An in-memory database at the schema's head, with the reference onsens loaded.
    pub(crate) fn seeded() -> Connection {
        let conn = at_head();
        crate::data::seed::load(&conn).unwrap();
        conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_file_parses_completely() {
        let raw: Value = serde_json::from_str(ONSENS_JSON).unwrap();
        let parsed = onsens().unwrap();
        assert_eq!(parsed.len(), raw["onsens"].as_array().unwrap().len());
        assert!(parsed.len() >= 5);
    }

    #[test]
    fn loading_twice_adds_nothing_the_second_time() {
        let conn = crate::data::seed::fixtures::at_head();
        let first = load(&conn).unwrap();
        assert_eq!(first, onsens().unwrap().len());
        assert_eq!(load(&conn).unwrap(), 0);
    }
}
