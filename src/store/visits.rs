//! Visits: one bath at one onsen on one day, with a rating.

use super::{
    onsens, optional_text, query_failed, require_row, require_some, sqlite_failed, update_row,
    Field, Modified,
};
use crate::shared::error::{Error, Result};
use crate::shared::time::Date;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Row};
use serde_json::{json, Value};

/// One visit, with its onsen's name.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub id: i64,
    pub onsen_id: i64,
    pub onsen_name: String,
    pub visited_at: String,
    pub entry_fee_yen: Option<i64>,
    pub stay_minutes: Option<i64>,
    pub personal_rating: i64,
    pub notes: Option<String>,
}

/// A visit to record, as typed by the user.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVisit {
    pub onsen_id: i64,
    pub date: String,
    pub rating: i64,
    pub entry_fee_yen: Option<i64>,
    pub stay_minutes: Option<i64>,
    pub notes: Option<String>,
}

/// What to change in a visit: a field left `None` keeps its value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VisitChanges {
    pub onsen_id: Option<i64>,
    pub date: Option<String>,
    pub rating: Option<i64>,
    pub entry_fee_yen: Option<i64>,
    pub stay_minutes: Option<i64>,
    pub notes: Option<String>,
}

impl VisitChanges {
    /// Checks the values given, before anything is opened: at least one, and each as `add`
    /// would take it.
    pub fn validate(&self) -> Result<()> {
        self.fields()?;
        Ok(())
    }

    /// The columns to set; the date in its one stored form.
    fn fields(&self) -> Result<[Field; 6]> {
        let date = self.date.as_deref().map(Date::parse).transpose()?;
        check_values(self.rating, self.entry_fee_yen, self.stay_minutes)?;
        let fields = [
            ("onsen_id", self.onsen_id.map(SqlValue::Integer)),
            ("visited_at", date.map(|d| SqlValue::Text(d.to_string()))),
            ("personal_rating", self.rating.map(SqlValue::Integer)),
            ("entry_fee_yen", self.entry_fee_yen.map(SqlValue::Integer)),
            ("stay_minutes", self.stay_minutes.map(SqlValue::Integer)),
            ("notes", optional_text(&self.notes)),
        ];
        require_some(
            &fields,
            "--onsen, --date, --rating, --fee, --minutes, --notes",
        )?;
        Ok(fields)
    }
}

/// Which visits to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub onsen_id: Option<i64>,
    pub since: Option<String>,
}

impl Visit {
    /// The JSON form shown by `--json`.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "onsen_id": self.onsen_id, "onsen_name": self.onsen_name,
            "visited_at": self.visited_at, "entry_fee_yen": self.entry_fee_yen,
            "stay_minutes": self.stay_minutes, "personal_rating": self.personal_rating, "notes": self.notes,
        })
    }

    fn from_row(row: &Row) -> rusqlite::Result<Visit> {
        Ok(Visit {
            id: row.get(0)?,
            onsen_id: row.get(1)?,
            onsen_name: row.get(2)?,
            visited_at: row.get(3)?,
            entry_fee_yen: row.get(4)?,
            stay_minutes: row.get(5)?,
            personal_rating: row.get(6)?,
            notes: row.get(7)?,
        })
    }
}

const SELECT: &str =
    "SELECT v.id, v.onsen_id, o.name, v.visited_at, v.entry_fee_yen, v.stay_minutes,
    v.personal_rating, v.notes FROM visits v JOIN onsens o ON o.id = v.onsen_id";

/// Checks a visit before anything is written: a real date, a rating of 1 to 10, no negative fee,
/// a positive stay.
pub fn validate(new: &NewVisit) -> Result<()> {
    Date::parse(&new.date)?;
    check_values(Some(new.rating), new.entry_fee_yen, new.stay_minutes)
}

/// The largest entry fee taken, in yen (far above any bath's; it keeps sums far from overflow).
pub(crate) const MAX_FEE_YEN: i64 = 1_000_000;

/// The longest stay taken, in minutes: a day.
pub(crate) const MAX_STAY_MINUTES: i64 = 24 * 60;

/// Checks the numbers given: a rating of 1 to 10, a fee of 0 to [`MAX_FEE_YEN`], a stay of 1 to
/// [`MAX_STAY_MINUTES`].
fn check_values(rating: Option<i64>, fee: Option<i64>, minutes: Option<i64>) -> Result<()> {
    if let Some(rating) = rating.filter(|rating| !(1..=10).contains(rating)) {
        return Err(Error::usage(format!(
            "rating {rating} is out of range; give a whole number from 1 to 10"
        )));
    }
    if fee.is_some_and(|fee| fee < 0) {
        return Err(Error::usage("--fee cannot be negative"));
    }
    if let Some(fee) = fee.filter(|fee| *fee > MAX_FEE_YEN) {
        return Err(Error::usage(format!(
            "--fee {fee} is out of range; give yen from 0 to {MAX_FEE_YEN}"
        )));
    }
    if minutes.is_some_and(|minutes| minutes <= 0) {
        return Err(Error::usage("--minutes must be positive"));
    }
    if let Some(minutes) = minutes.filter(|minutes| *minutes > MAX_STAY_MINUTES) {
        return Err(Error::usage(format!(
            "--minutes {minutes} is out of range; a stay is at most a day ({MAX_STAY_MINUTES} minutes)"
        )));
    }
    Ok(())
}

/// Records a visit; returns its id.
pub fn add(conn: &Connection, new: &NewVisit) -> Result<i64> {
    validate(new)?;
    onsens::require(conn, new.onsen_id)?;
    conn.execute(
        "INSERT INTO visits (onsen_id, visited_at, entry_fee_yen, stay_minutes, personal_rating, notes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            new.onsen_id,
            Date::parse(&new.date)?.to_string(),
            new.entry_fee_yen,
            new.stay_minutes,
            new.rating,
            new.notes
        ],
    )
    .map_err(|e| sqlite_failed(conn, "cannot record the visit in", e))?;
    Ok(conn.last_insert_rowid())
}

/// Visits matching the filter, newest first.
pub fn list(conn: &Connection, filter: &Filter) -> Result<Vec<Visit>> {
    let since = filter
        .since
        .as_deref()
        .map(Date::parse)
        .transpose()?
        .map(|d| d.to_string());
    if let Some(id) = filter.onsen_id {
        onsens::require(conn, id)?;
    }
    let sql = format!(
        "{SELECT} WHERE (?1 IS NULL OR v.onsen_id = ?1) AND (?2 IS NULL OR v.visited_at >= ?2)
         ORDER BY v.visited_at DESC, v.id DESC"
    );
    let read = || -> rusqlite::Result<Vec<Visit>> {
        conn.prepare(&sql)?
            .query_map(rusqlite::params![filter.onsen_id, since], Visit::from_row)?
            .collect()
    };
    read().map_err(|e| query_failed(conn, "visits", e))
}

/// One visit; an unknown id is a usage error.
pub fn get(conn: &Connection, id: i64) -> Result<Visit> {
    require_row(conn, "visits", id, "visit list")?;
    conn.query_row(&format!("{SELECT} WHERE v.id = ?1"), [id], Visit::from_row)
        .map_err(|e| query_failed(conn, "visits", e))
}

/// Changes the given fields of one visit and returns it before and after; an unknown visit or
/// onsen is a usage error.
pub fn modify(conn: &Connection, id: i64, changes: &VisitChanges) -> Result<Modified<Visit>> {
    let fields = changes.fields()?;
    let before = get(conn, id)?;
    if let Some(onsen_id) = changes.onsen_id {
        onsens::require(conn, onsen_id)?;
    }
    update_row(conn, "visits", id, &fields)?;
    let after = get(conn, id)?;
    Ok(Modified { before, after })
}

/// Deletes a visit and returns what it was; an unknown id is a usage error.
pub fn delete(conn: &Connection, id: i64) -> Result<Visit> {
    let visit = get(conn, id)?;
    conn.execute("DELETE FROM visits WHERE id = ?1", [id])
        .map_err(|e| sqlite_failed(conn, &format!("cannot delete visit {id} from"), e))?;
    Ok(visit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(date: &str, rating: i64) -> NewVisit {
        NewVisit {
            onsen_id: 1,
            date: date.into(),
            rating,
            entry_fee_yen: Some(300),
            stay_minutes: Some(40),
            notes: None,
        }
    }

    #[test]
    fn validation_catches_bad_input() {
        assert!(validate(&visit("2026-11-22", 10)).is_ok());
        for bad in [
            visit("2026-11-22", 11),
            visit("2026-11-22", 0),
            visit("2026-02-30", 5),
        ] {
            assert_eq!(
                validate(&bad).unwrap_err().kind(),
                crate::Kind::Usage,
                "{bad:?}"
            );
        }
        let mut negative = visit("2026-11-22", 5);
        negative.entry_fee_yen = Some(-1);
        assert!(validate(&negative).is_err());
        let mut fees = visit("2026-11-22", 5);
        for (fee, ok) in [
            (MAX_FEE_YEN, true),
            (MAX_FEE_YEN + 1, false),
            (i64::MAX, false),
        ] {
            fees.entry_fee_yen = Some(fee);
            assert_eq!(validate(&fees).is_ok(), ok, "fee {fee}");
        }
        let mut stays = visit("2026-11-22", 5);
        for (minutes, ok) in [(MAX_STAY_MINUTES, true), (MAX_STAY_MINUTES + 1, false)] {
            stays.stay_minutes = Some(minutes);
            assert_eq!(validate(&stays).is_ok(), ok, "minutes {minutes}");
        }
    }

    #[test]
    fn changes_need_one_field_and_valid_values() {
        let none = VisitChanges::default();
        assert!(none
            .validate()
            .unwrap_err()
            .to_string()
            .contains("--rating"));
        let notes = VisitChanges {
            notes: Some("quiet".into()),
            ..VisitChanges::default()
        };
        assert!(notes.validate().is_ok());
        for bad in [
            VisitChanges {
                rating: Some(0),
                ..VisitChanges::default()
            },
            VisitChanges {
                date: Some("2026-13-01".into()),
                ..VisitChanges::default()
            },
            VisitChanges {
                stay_minutes: Some(0),
                ..VisitChanges::default()
            },
        ] {
            assert_eq!(
                bad.validate().unwrap_err().kind(),
                crate::Kind::Usage,
                "{bad:?}"
            );
        }
    }
}
