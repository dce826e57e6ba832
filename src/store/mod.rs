//! The app's data: onsens, locations and visits, read and written through a connection that the
//! session opened.
//!
//! May use: the stages below it (`shared` to `data`; in practice `shared`, `ui`, and `data`'s
//! fixtures in its unit tests).

pub mod exchange;
pub mod locations;
pub mod onsens;
pub mod stats;
pub mod visits;

use crate::shared::error::{Error, Result};
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;

/// A row as it was before a `modify` and as it is after it (inside the same transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct Modified<T> {
    pub before: T,
    pub after: T,
}

impl<T> Modified<T> {
    /// Both versions through `f`, such as their JSON forms.
    pub fn map<U>(&self, f: impl Fn(&T) -> U) -> Modified<U> {
        Modified {
            before: f(&self.before),
            after: f(&self.after),
        }
    }
}

/// A column a `modify` may set, with its new value, or `None` when the user did not give it.
type Field = (&'static str, Option<SqlValue>);

/// An optional text column's new value: `""` (or only spaces) clears it to NULL.
fn optional_text(value: &Option<String>) -> Option<SqlValue> {
    value.as_deref().map(|text| {
        if text.trim().is_empty() {
            SqlValue::Null
        } else {
            SqlValue::Text(text.to_string())
        }
    })
}

/// Fails with a usage error unless `table` has a row with `id`; the error's next step is the app
/// command `list` that lists the table.
fn require_row(conn: &Connection, table: &str, id: i64, list: &str) -> Result<()> {
    let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)");
    let found: bool = conn
        .query_row(&sql, [id], |row| row.get(0))
        .map_err(|e| query_failed(conn, table, e))?;
    if found {
        Ok(())
    } else {
        Err(Error::usage(format!("no {} with id {id}", noun(table)))
            .next_step("list them with", list))
    }
}

/// Fails with a usage error when none of `fields` is given; `flags` names the options to use.
fn require_some(fields: &[Field], flags: &str) -> Result<()> {
    if fields.iter().any(|(_, value)| value.is_some()) {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "nothing to change; give at least one of {flags}"
        )))
    }
}

/// Sets the given `fields` of row `id` in `table` in one `UPDATE`, leaving every other column
/// as it is. With none given there is nothing to do.
fn update_row(conn: &Connection, table: &str, id: i64, fields: &[Field]) -> Result<()> {
    let given: Vec<(&str, &SqlValue)> = fields
        .iter()
        .filter_map(|(column, value)| Some((*column, value.as_ref()?)))
        .collect();
    if given.is_empty() {
        return Ok(());
    }
    let sets: Vec<String> = given
        .iter()
        .enumerate()
        .map(|(i, (column, _))| format!("{column} = ?{}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE {table} SET {} WHERE id = ?{}",
        sets.join(", "),
        given.len() + 1
    );
    let mut params: Vec<&dyn rusqlite::ToSql> = given
        .iter()
        .map(|(_, value)| *value as &dyn rusqlite::ToSql)
        .collect();
    params.push(&id);
    conn.execute(&sql, params.as_slice())
        .map_err(|e| sqlite_failed(conn, &format!("cannot change {} {id} in", noun(table)), e))?;
    Ok(())
}

/// Fails with a usage error when a coordinate is out of range.
fn check_coordinates(latitude: Option<f64>, longitude: Option<f64>) -> Result<()> {
    if latitude.is_some_and(|lat| !(-90.0..=90.0).contains(&lat)) {
        return Err(Error::usage("--lat must be between -90 and 90"));
    }
    if longitude.is_some_and(|lon| !(-180.0..=180.0).contains(&lon)) {
        return Err(Error::usage("--lon must be between -180 and 180"));
    }
    Ok(())
}

/// Fails with a usage error when a place would have one coordinate without the other.
fn check_pair(latitude: Option<f64>, longitude: Option<f64>) -> Result<()> {
    if latitude.is_some() == longitude.is_some() {
        Ok(())
    } else {
        Err(Error::usage("give both --lat and --lon, or neither"))
    }
}

/// The singular of a table's name: `onsens` → `onsen`.
fn noun(table: &str) -> &str {
    table.trim_end_matches('s')
}

/// A SQLite error met on `conn`'s database, through the one mapping ([`crate::shared::error::sqlite_error`]):
/// the message names the file and what to do (a damaged page, a lock, a read-only folder).
fn sqlite_failed(conn: &Connection, doing: &str, error: rusqlite::Error) -> Error {
    crate::shared::error::sqlite_error(&crate::shared::error::file_of(conn), doing, error)
}

/// A failed read of `table`, through [`sqlite_failed`].
fn query_failed(conn: &Connection, table: &str, error: rusqlite::Error) -> Error {
    sqlite_failed(conn, &format!("cannot read the {table} of"), error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE places (id INTEGER PRIMARY KEY, name TEXT, lat REAL, note TEXT);
             INSERT INTO places VALUES (1, 'home', 33.0, 'old'), (2, 'work', NULL, NULL);",
        )
        .unwrap();
        conn
    }

    fn row(conn: &Connection, id: i64) -> String {
        conn.query_row(
            "SELECT name || '|' || ifnull(lat, '-') || '|' || ifnull(note, '-') FROM places WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn update_row_sets_only_the_given_fields_of_one_row() {
        let conn = places();
        let fields: [Field; 3] = [
            ("name", None),
            ("lat", Some(SqlValue::Real(34.5))),
            ("note", Some(SqlValue::Text("new".into()))),
        ];
        update_row(&conn, "places", 1, &fields).unwrap();
        assert_eq!(row(&conn, 1), "home|34.5|new");
        assert_eq!(row(&conn, 2), "work|-|-");
        update_row(&conn, "places", 2, &[("name", None)]).unwrap();
        assert_eq!(row(&conn, 2), "work|-|-");
    }

    #[test]
    fn an_empty_optional_text_clears_it() {
        assert_eq!(optional_text(&None), None);
        assert_eq!(optional_text(&Some(" ".into())), Some(SqlValue::Null));
        assert_eq!(
            optional_text(&Some("hot".into())),
            Some(SqlValue::Text("hot".into()))
        );
    }

    #[test]
    fn nothing_given_is_a_usage_error_naming_the_flags() {
        let error = require_some(&[("name", None)], "--name").unwrap_err();
        assert_eq!(error.kind(), crate::Kind::Usage);
        assert!(error.to_string().contains("--name"), "{error}");
        assert!(require_some(&[("name", Some(SqlValue::Null))], "--name").is_ok());
    }

    #[test]
    fn coordinates_are_checked_in_range_and_in_pairs() {
        assert!(check_coordinates(Some(-90.0), Some(180.0)).is_ok());
        assert!(check_coordinates(Some(90.5), None).is_err());
        assert!(check_coordinates(None, Some(-181.0)).is_err());
        assert!(check_coordinates(Some(f64::NAN), None).is_err());
        assert!(check_pair(None, None).is_ok());
        assert!(check_pair(Some(1.0), None).is_err());
    }
}
