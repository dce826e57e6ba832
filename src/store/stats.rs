//! Statistics over visits: totals, visits per month, favourite onsens, ratings.

use super::query_failed;
use crate::shared::error::Result;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};
use serde_json::{json, Value};

/// One month of visits.
#[derive(Debug, Clone, PartialEq)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    pub visits: i64,
    pub average_rating: f64,
}

/// An onsen among the most visited.
#[derive(Debug, Clone, PartialEq)]
pub struct Favourite {
    pub onsen_id: i64,
    pub name: String,
    pub visits: i64,
    pub average_rating: f64,
}

/// Everything `onsendo stats` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub visits: i64,
    /// Distinct onsens visited.
    pub onsens: i64,
    /// `None` when there are no visits.
    pub average_rating: Option<f64>,
    pub total_fees_yen: i64,
    pub per_month: Vec<Month>,
    /// Most visited first; ties by higher average rating, then name.
    pub favourites: Vec<Favourite>,
}

impl Stats {
    /// The JSON form shown by `--json`.
    pub fn to_json(&self) -> Value {
        json!({
            "visits": self.visits,
            "onsens": self.onsens,
            "average_rating": self.average_rating,
            "total_fees_yen": self.total_fees_yen,
            "per_month": self.per_month.iter().map(|m| json!({
                "month": m.month, "visits": m.visits, "average_rating": m.average_rating,
            })).collect::<Vec<_>>(),
            "favourites": self.favourites.iter().map(|f| json!({
                "onsen_id": f.onsen_id, "name": f.name, "visits": f.visits, "average_rating": f.average_rating,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Statistics of the visits on or after `since` (all when `None`), with the `top` favourites.
pub fn compute(conn: &Connection, since: Option<&str>, top: u64) -> Result<Stats> {
    let filter = super::visits::Filter {
        since: since.map(str::to_string),
        ..Default::default()
    };
    // Only the condition given, so that SQLite can use `visits_by_date` for it.
    let (clause, values) = filter.clause()?;
    let top_parameter = format!("?{}", values.len() + 1);
    let mut with_top = values.clone();
    with_top.push(SqlValue::Integer(i64::try_from(top).unwrap_or(i64::MAX)));
    let read = || -> rusqlite::Result<Stats> {
        // total() cannot overflow (an old file may hold any fee); the cast saturates.
        let (visits, onsens, average_rating, total_fees_yen) = conn.query_row(
            &format!(
                "SELECT count(*), count(DISTINCT v.onsen_id), avg(v.personal_rating),
                 CAST(total(v.entry_fee_yen) AS INTEGER) FROM visits v{clause}"
            ),
            params_from_iter(&values),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let per_month = conn
            .prepare(&format!(
                "SELECT substr(v.visited_at, 1, 7) AS month, count(*), avg(v.personal_rating)
                 FROM visits v{clause} GROUP BY month ORDER BY month"
            ))?
            .query_map(params_from_iter(&values), |r| {
                Ok(Month {
                    month: r.get(0)?,
                    visits: r.get(1)?,
                    average_rating: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let favourites = conn
            .prepare(&format!(
                "SELECT o.id, o.name, count(*) AS n, avg(v.personal_rating) AS rating
                 FROM visits v JOIN onsens o ON o.id = v.onsen_id{clause}
                 GROUP BY o.id ORDER BY n DESC, rating DESC, o.name LIMIT {top_parameter}"
            ))?
            .query_map(params_from_iter(&with_top), |r| {
                Ok(Favourite {
                    onsen_id: r.get(0)?,
                    name: r.get(1)?,
                    visits: r.get(2)?,
                    average_rating: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Stats {
            visits,
            onsens,
            average_rating,
            total_fees_yen,
            per_month,
            favourites,
        })
    };
    read().map_err(|e| query_failed(conn, "visits", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(visits: &[(i64, &str, i64, Option<i64>)]) -> Connection {
        let conn = crate::data::seed::fixtures::seeded();
        for (onsen, date, rating, fee) in visits {
            conn.execute(
                "INSERT INTO visits (onsen_id, visited_at, personal_rating, entry_fee_yen) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![onsen, date, rating, fee],
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn months_favourites_and_averages() {
        let conn = database(&[
            (1, "2026-01-05", 8, Some(300)),
            (1, "2026-01-20", 6, None),
            (2, "2026-03-01", 10, Some(200)),
            (3, "2026-03-02", 10, Some(100)),
            (1, "2026-03-09", 7, Some(300)),
        ]);
        let stats = compute(&conn, None, 2).unwrap();
        assert_eq!(stats.visits, 5);
        assert_eq!(stats.onsens, 3);
        assert_eq!(stats.average_rating, Some(8.2));
        assert_eq!(stats.total_fees_yen, 900);
        let months: Vec<_> = stats
            .per_month
            .iter()
            .map(|m| (m.month.as_str(), m.visits))
            .collect();
        assert_eq!(months, [("2026-01", 2), ("2026-03", 3)]);
        assert_eq!(stats.per_month[0].average_rating, 7.0);
        let names: Vec<_> = stats
            .favourites
            .iter()
            .map(|f| (f.onsen_id, f.visits))
            .collect();
        assert_eq!(
            names,
            [(1, 3), (2, 1)],
            "most visited, then by rating and name"
        );

        let recent = compute(&conn, Some("2026-03-02"), 5).unwrap();
        assert_eq!(recent.visits, 2);
        assert_eq!(recent.per_month.len(), 1);
    }

    #[test]
    fn no_visits_has_no_average_and_a_bad_date_is_a_usage_error() {
        let conn = database(&[]);
        let stats = compute(&conn, None, 5).unwrap();
        assert_eq!((stats.visits, stats.average_rating), (0, None));
        assert!(stats.per_month.is_empty() && stats.favourites.is_empty());
        let bad = compute(&conn, Some("2026-13-01"), 5).unwrap_err();
        assert_eq!(bad.kind(), crate::Kind::Usage);
    }

    #[test]
    fn fees_of_any_size_in_an_old_file_still_sum() {
        let conn = database(&[
            (1, "2026-01-05", 8, Some(i64::MAX)),
            (2, "2026-01-06", 8, Some(i64::MAX)),
        ]);
        let stats = compute(&conn, None, 5).unwrap();
        assert_eq!((stats.visits, stats.total_fees_yen), (2, i64::MAX));
    }
}
