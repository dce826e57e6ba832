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
        check_values(self.rating, self.entry_fee_yen, self.stay_minutes, FLAGS)?;
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
    /// The first day, YYYY-MM-DD.
    pub since: Option<String>,
    /// The last day, YYYY-MM-DD.
    pub until: Option<String>,
}

impl Filter {
    /// The `WHERE` clause of the filters given, and its parameters: only the conditions asked for,
    /// each a plain comparison on an indexed column, so SQLite uses `visits_by_onsen` or
    /// `visits_by_date` (a `?1 IS NULL OR …` condition would keep it from using either). The days
    /// are checked, and in their stored form; a `--since` after the `--until` is a usage error.
    pub(super) fn clause(&self) -> Result<(String, Vec<SqlValue>)> {
        let day = |text: &Option<String>| -> Result<Option<String>> {
            Ok(text
                .as_deref()
                .map(Date::parse)
                .transpose()?
                .map(|d| d.to_string()))
        };
        let (since, until) = (day(&self.since)?, day(&self.until)?);
        if let (Some(since), Some(until)) = (&since, &until) {
            if since > until {
                return Err(Error::usage(format!(
                    "--since {since} is after --until {until}; give the earlier day first"
                )));
            }
        }
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        let mut add = |condition: &str, value: Option<SqlValue>| {
            if let Some(value) = value {
                values.push(value);
                conditions.push(format!("{condition} ?{}", values.len()));
            }
        };
        add("v.onsen_id =", self.onsen_id.map(SqlValue::Integer));
        add("v.visited_at >=", since.map(SqlValue::Text));
        add("v.visited_at <=", until.map(SqlValue::Text));
        let clause = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        Ok((clause, values))
    }
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

/// What the user called the fee and the stay, for the messages about them: the flags of `visit
/// add` and `visit modify`, or the columns of an imported file.
#[derive(Debug, Clone, Copy)]
pub struct Names {
    pub fee: &'static str,
    pub minutes: &'static str,
}

/// The names on the command line.
pub const FLAGS: Names = Names {
    fee: "--fee",
    minutes: "--minutes",
};

/// Checks a visit before anything is written: a real date, a rating of 1 to 10, no negative fee,
/// a positive stay.
pub fn validate(new: &NewVisit) -> Result<()> {
    validate_as(new, FLAGS)
}

/// [`validate`], naming the fee and the stay as `names` says.
pub fn validate_as(new: &NewVisit, names: Names) -> Result<()> {
    Date::parse(&new.date)?;
    check_values(Some(new.rating), new.entry_fee_yen, new.stay_minutes, names)
}

/// The largest entry fee taken, in yen (far above any bath's; it keeps sums far from overflow).
pub(crate) const MAX_FEE_YEN: i64 = 1_000_000;

/// The longest stay taken, in minutes: a day.
pub(crate) const MAX_STAY_MINUTES: i64 = 24 * 60;

/// Checks the numbers given: a rating of 1 to 10, a fee of 0 to [`MAX_FEE_YEN`], a stay of 1 to
/// [`MAX_STAY_MINUTES`].
fn check_values(
    rating: Option<i64>,
    fee: Option<i64>,
    minutes: Option<i64>,
    names: Names,
) -> Result<()> {
    let Names {
        fee: fee_name,
        minutes: minutes_name,
    } = names;
    if let Some(rating) = rating.filter(|rating| !(1..=10).contains(rating)) {
        return Err(Error::usage(format!(
            "rating {rating} is out of range; give a whole number from 1 to 10"
        )));
    }
    if fee.is_some_and(|fee| fee < 0) {
        return Err(Error::usage(format!("{fee_name} cannot be negative")));
    }
    if let Some(fee) = fee.filter(|fee| *fee > MAX_FEE_YEN) {
        return Err(Error::usage(format!(
            "{fee_name} {fee} is out of range; give yen from 0 to {MAX_FEE_YEN}"
        )));
    }
    if minutes.is_some_and(|minutes| minutes <= 0) {
        return Err(Error::usage(format!("{minutes_name} must be positive")));
    }
    if let Some(minutes) = minutes.filter(|minutes| *minutes > MAX_STAY_MINUTES) {
        return Err(Error::usage(format!(
            "{minutes_name} {minutes} is out of range; a stay is at most a day ({MAX_STAY_MINUTES} minutes)"
        )));
    }
    Ok(())
}

/// Records a visit after checking it (its values, and that its onsen exists); returns its id.
pub fn add(conn: &Connection, new: &NewVisit) -> Result<i64> {
    validate(new)?;
    onsens::require(conn, new.onsen_id)?;
    add_checked(conn, new)
}

/// Records a visit that was checked already (as [`validate`] checks, with an onsen that exists,
/// such as [`crate::store::exchange::check_csv`] hands over); returns its id.
pub fn add_checked(conn: &Connection, new: &NewVisit) -> Result<i64> {
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

/// Whether a visit with exactly these facts (onsen, day, rating, fee, stay, notes) is recorded
/// already: what a second import of the same file would add again.
pub fn exists(conn: &Connection, visit: &NewVisit) -> Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM visits WHERE onsen_id = ?1 AND visited_at = ?2
         AND personal_rating = ?3 AND entry_fee_yen IS ?4 AND stay_minutes IS ?5 AND notes IS ?6)",
        rusqlite::params![
            visit.onsen_id,
            Date::parse(&visit.date)?.to_string(),
            visit.rating,
            visit.entry_fee_yen,
            visit.stay_minutes,
            visit.notes
        ],
        |row| row.get(0),
    )
    .map_err(|e| query_failed(conn, "visits", e))
}

/// Visits matching the filter, newest first, at most `limit` of them (all when `None`), each
/// handed to `each` as SQLite reads it: nothing is held but the row at hand. Returns how many
/// were handed over. An unknown onsen is a usage error.
pub fn each(
    conn: &Connection,
    filter: &Filter,
    limit: Option<u64>,
    mut each: impl FnMut(Visit) -> Result<()>,
) -> Result<u64> {
    let (sql, values) = listing(filter, limit)?;
    if let Some(id) = filter.onsen_id {
        onsens::require(conn, id)?;
    }
    let failed = |e| query_failed(conn, "visits", e);
    let mut statement = conn.prepare(&sql).map_err(failed)?;
    let mut rows = statement
        .query(rusqlite::params_from_iter(values))
        .map_err(failed)?;
    let mut handed = 0;
    while let Some(row) = rows.next().map_err(failed)? {
        each(Visit::from_row(row).map_err(failed)?)?;
        handed += 1;
    }
    Ok(handed)
}

/// The query of [`each`] and its parameters.
fn listing(filter: &Filter, limit: Option<u64>) -> Result<(String, Vec<SqlValue>)> {
    let (clause, mut values) = filter.clause()?;
    let mut sql = format!("{SELECT}{clause} ORDER BY v.visited_at DESC, v.id DESC");
    if let Some(limit) = limit {
        values.push(SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        sql.push_str(&format!(" LIMIT ?{}", values.len()));
    }
    Ok((sql, values))
}

/// How many visits match the filter, counted up to `cap` (so the count costs the same on any
/// size of table): `Some(n)` when there are at most `cap`, `None` when there are more.
pub fn count_up_to(conn: &Connection, filter: &Filter, cap: u64) -> Result<Option<u64>> {
    let (clause, mut values) = filter.clause()?;
    let cap = i64::try_from(cap).unwrap_or(i64::MAX - 1);
    values.push(SqlValue::Integer(cap + 1));
    let counted: i64 = conn
        .query_row(
            &format!(
                "SELECT count(*) FROM (SELECT 1 FROM visits v{clause} LIMIT ?{})",
                values.len()
            ),
            rusqlite::params_from_iter(values),
            |row| row.get(0),
        )
        .map_err(|e| query_failed(conn, "visits", e))?;
    Ok((counted <= cap).then_some(counted.max(0) as u64))
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

    /// SQLite's plan for the listing of `filter`, one line a step.
    fn plan(filter: &Filter) -> String {
        let conn = crate::data::seed::fixtures::seeded();
        let (sql, values) = listing(filter, Some(50)).unwrap();
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let steps: Vec<String> = statement
            .query_map(rusqlite::params_from_iter(values), |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        steps.join("\n")
    }

    #[test]
    fn every_filter_reads_through_an_index_in_the_order_shown() {
        let day = |d: &str| Some(d.to_string());
        for (filter, index) in [
            (Filter::default(), "visits_by_date"),
            (
                Filter {
                    since: day("2026-11-01"),
                    ..Filter::default()
                },
                "visits_by_date (visited_at>?)",
            ),
            (
                Filter {
                    since: day("2026-11-01"),
                    until: day("2026-11-30"),
                    ..Filter::default()
                },
                "visits_by_date (visited_at>? AND visited_at<?)",
            ),
            (
                Filter {
                    onsen_id: Some(1),
                    ..Filter::default()
                },
                "visits_by_onsen (onsen_id=?)",
            ),
            (
                Filter {
                    onsen_id: Some(1),
                    since: day("2026-11-01"),
                    until: None,
                },
                "visits_by_onsen (onsen_id=? AND visited_at>?)",
            ),
        ] {
            let plan = plan(&filter);
            assert!(plan.contains(index), "{filter:?}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{filter:?}: no sort: {plan}");
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
