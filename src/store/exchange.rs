//! Visits to and from files: export as CSV or JSON, and CSV import with row-level validation
//! (every problem named by its line) before anything is written.

use super::query_failed;
use super::visits::{self, NewVisit};
use crate::shared::error::{Error, Result};
use crate::ui::progress::Progress;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{Read, Write};

/// The columns of an exported file, in order; an imported file may leave out the optional ones
/// (`onsen_name`, `fee_yen`, `minutes`, `notes`) and order them as it likes.
pub(crate) const COLUMNS: [&str; 7] = [
    "visited_at",
    "onsen_ban",
    "onsen_name",
    "rating",
    "fee_yen",
    "minutes",
    "notes",
];
const REQUIRED: [&str; 3] = ["visited_at", "onsen_ban", "rating"];

/// One visit as a file holds it: the onsen by ban number (stable across databases) and name.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub visited_at: String,
    pub onsen_ban: i64,
    pub onsen_name: String,
    pub rating: i64,
    pub fee_yen: Option<i64>,
    pub minutes: Option<i64>,
    pub notes: Option<String>,
}

impl Record {
    fn to_json(&self) -> Value {
        json!({
            "visited_at": self.visited_at, "onsen_ban": self.onsen_ban, "onsen_name": self.onsen_name,
            "rating": self.rating, "fee_yen": self.fee_yen, "minutes": self.minutes, "notes": self.notes,
        })
    }

    fn cells(&self) -> [String; 7] {
        let optional = |value: &Option<i64>| value.map(|n| n.to_string()).unwrap_or_default();
        [
            self.visited_at.clone(),
            self.onsen_ban.to_string(),
            self.onsen_name.clone(),
            self.rating.to_string(),
            optional(&self.fee_yen),
            optional(&self.minutes),
            self.notes.clone().unwrap_or_default(),
        ]
    }
}

/// Every visit, oldest first.
pub fn records(conn: &Connection) -> Result<Vec<Record>> {
    let read = || -> rusqlite::Result<Vec<Record>> {
        conn.prepare(
            "SELECT v.visited_at, o.ban_number, o.name, v.personal_rating, v.entry_fee_yen, v.stay_minutes, v.notes
             FROM visits v JOIN onsens o ON o.id = v.onsen_id ORDER BY v.visited_at, v.id",
        )?
        .query_map([], |r| {
            Ok(Record {
                visited_at: r.get(0)?,
                onsen_ban: r.get(1)?,
                onsen_name: r.get(2)?,
                rating: r.get(3)?,
                fee_yen: r.get(4)?,
                minutes: r.get(5)?,
                notes: r.get(6)?,
            })
        })?
        .collect()
    };
    read().map_err(|e| query_failed(conn, "visits", e))
}

/// Writes records as CSV with a header line.
pub fn write_csv(records: &[Record], out: impl Write) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let failed = |e: csv::Error| Error::failed("cannot write the CSV").because(e);
    writer.write_record(COLUMNS).map_err(failed)?;
    for record in records {
        writer.write_record(record.cells()).map_err(failed)?;
    }
    writer
        .flush()
        .map_err(|e| Error::failed("cannot write the CSV").because(e))
}

/// Records as a JSON array.
pub fn to_json(records: &[Record]) -> Value {
    Value::Array(records.iter().map(Record::to_json).collect())
}

/// A row that cannot be imported, by its line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub message: String,
}

/// A CSV file read and checked against the database: the valid visits, and the problems.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub visits: Vec<NewVisit>,
    pub problems: Vec<Problem>,
}

/// Reads CSV visits and checks every row (date, onsen by ban number and name, rating, fee,
/// minutes) without writing anything. A file that is not such a CSV at all (no header, an unknown
/// or missing column) is a usage error.
pub fn check_csv(conn: &Connection, input: impl Read, source: &str) -> Result<Checked> {
    let onsens = onsens_by_ban(conn)?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let bad_file =
        |e: csv::Error| Error::usage(format!("`{source}` is not a readable CSV file")).because(e);
    let header: Vec<String> = reader
        .headers()
        .map_err(bad_file)?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if let Some(unknown) = header.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(Error::usage(format!(
            "`{source}` has an unknown column `{unknown}`; the columns are {}",
            COLUMNS.join(", ")
        )));
    }
    if let Some(missing) = REQUIRED.iter().find(|c| !header.iter().any(|h| h == *c)) {
        return Err(Error::usage(format!(
            "`{source}` has no `{missing}` column; it needs {} (header on the first line)",
            REQUIRED.join(", ")
        )));
    }
    let column = |name: &str| header.iter().position(|h| h == name);
    let mut checked = Checked {
        visits: Vec::new(),
        problems: Vec::new(),
    };
    for row in reader.records() {
        let row = row.map_err(bad_file)?;
        let line = row.position().map_or(0, |p| p.line());
        let cell = |name: &str| {
            column(name)
                .and_then(|i| row.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        match visit_of(&cell, &onsens) {
            Ok(visit) => checked.visits.push(visit),
            Err(message) => checked.problems.push(Problem { line, message }),
        }
    }
    Ok(checked)
}

/// Records checked visits in the caller's transaction; returns how many.
pub fn import(conn: &Connection, checked: &[NewVisit]) -> Result<usize> {
    let mut shown = Progress::items("importing", checked.len() as u64, "visits");
    for (done, visit) in checked.iter().enumerate() {
        visits::add(conn, visit)?;
        shown.set(done as u64 + 1);
    }
    Ok(checked.len())
}

fn onsens_by_ban(conn: &Connection) -> Result<HashMap<i64, (i64, String)>> {
    let read = || -> rusqlite::Result<HashMap<i64, (i64, String)>> {
        conn.prepare("SELECT ban_number, id, name FROM onsens")?
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
            .collect()
    };
    read().map_err(|e| query_failed(conn, "onsens", e))
}

/// One row as a visit, or what is wrong with it.
fn visit_of<'a>(
    cell: &dyn Fn(&str) -> Option<&'a str>,
    onsens: &HashMap<i64, (i64, String)>,
) -> std::result::Result<NewVisit, String> {
    let required = |name: &str| cell(name).ok_or(format!("`{name}` is empty"));
    let number = |name: &str, text: &str| {
        text.parse::<i64>()
            .map_err(|_| format!("`{name}` is `{text}`, not a whole number"))
    };
    let optional = |name: &str| cell(name).map(|text| number(name, text)).transpose();
    let ban = number("onsen_ban", required("onsen_ban")?)?;
    let (onsen_id, name) = onsens
        .get(&ban)
        .ok_or(format!("no onsen with ban number {ban}"))?;
    if let Some(given) = cell("onsen_name").filter(|given| *given != name) {
        return Err(format!(
            "onsen_name `{given}` does not match ban number {ban}, which is `{name}`"
        ));
    }
    let visit = NewVisit {
        onsen_id: *onsen_id,
        date: required("visited_at")?.to_string(),
        rating: number("rating", required("rating")?)?,
        entry_fee_yen: optional("fee_yen")?,
        stay_minutes: optional("minutes")?,
        notes: cell("notes").map(String::from),
    };
    visits::validate(&visit).map_err(|e| e.to_string())?;
    Ok(visit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::seed::fixtures::seeded as database;

    #[test]
    fn every_bad_row_is_named_by_its_line() {
        let conn = database();
        let csv = "visited_at,onsen_ban,rating,fee_yen,notes\n\
                   2026-01-02,1,8,300,\"two\nlines\"\n\
                   2026-02-30,1,8,,\n\
                   2026-01-03,999,8,,\n\
                   2026-01-04,2,eleven,,\n\
                   2026-01-05,2,11,,\n\
                   2026-01-06,2,7,-5,\n\
                   2026-01-07,2,7,,\n";
        let checked = check_csv(&conn, csv.as_bytes(), "v.csv").unwrap();
        assert_eq!(checked.visits.len(), 2);
        assert_eq!(checked.visits[0].notes.as_deref(), Some("two\nlines"));
        let lines: Vec<u64> = checked.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [4, 5, 6, 7, 8], "{:?}", checked.problems);
        assert!(checked.problems[0].message.contains("2026-02-30"));
        assert!(checked.problems[1].message.contains("ban number 999"));
        assert!(checked.problems[2].message.contains("not a whole number"));
    }

    #[test]
    fn a_wrong_onsen_name_and_a_wrong_header_are_caught() {
        let conn = database();
        let csv = "visited_at,onsen_ban,onsen_name,rating\n2026-01-02,1,Somewhere Else,8\n";
        let checked = check_csv(&conn, csv.as_bytes(), "v.csv").unwrap();
        assert!(checked.problems[0].message.contains("does not match"));
        for header in ["date,onsen_ban,rating\n", "visited_at,rating\n", ""] {
            let err = check_csv(&conn, header.as_bytes(), "v.csv").unwrap_err();
            assert_eq!(err.kind(), crate::Kind::Usage, "{header:?}: {err}");
        }
    }

    #[test]
    fn an_export_reads_back_as_the_same_visits() {
        let conn = database();
        let csv = "visited_at,onsen_ban,rating,minutes,notes\n2026-01-02,1,8,40,\"a, b\"\n2026-01-01,3,6,,\n";
        let checked = check_csv(&conn, csv.as_bytes(), "v.csv").unwrap();
        assert!(checked.problems.is_empty());
        import(&conn, &checked.visits).unwrap();
        let exported = records(&conn).unwrap();
        assert_eq!(exported[0].visited_at, "2026-01-01");
        let mut out = Vec::new();
        write_csv(&exported, &mut out).unwrap();
        let again = check_csv(&conn, out.as_slice(), "out.csv").unwrap();
        assert!(again.problems.is_empty());
        assert_eq!(again.visits.len(), 2);
        assert_eq!(again.visits[1].notes.as_deref(), Some("a, b"));
        assert_eq!(again.visits[1].stay_minutes, Some(40));
    }
}
