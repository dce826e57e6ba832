//! Visits to and from files: export as CSV or JSON, and CSV import with row-level validation
//! (every problem named by its line) before anything is written.

use super::query_failed;
use super::visits::{self, NewVisit};
use crate::shared::error::{Error, Result};
use crate::ui::progress::Progress;
use crate::ui::JsonArrayWriter;
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

/// The form of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A header line, then one line a visit: what `visit import` reads.
    Csv,
    /// An array of objects, one a visit.
    Json,
}

/// Writes every visit, oldest first, to `out` as SQLite reads them: nothing is held but the row
/// at hand, so an export of any size runs in constant memory. Returns how many were written.
pub fn export(conn: &Connection, format: Format, out: impl Write) -> Result<u64> {
    let written = |e: std::io::Error| Error::failed("cannot write the export").because(e);
    match format {
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            let failed = |e: csv::Error| Error::failed("cannot write the CSV").because(e);
            writer.write_record(COLUMNS).map_err(failed)?;
            let count = each_record(conn, |record| {
                writer.write_record(record.cells()).map_err(failed)
            })?;
            writer.flush().map_err(written)?;
            Ok(count)
        }
        Format::Json => {
            let mut array = JsonArrayWriter::new(std::io::BufWriter::new(out)).map_err(written)?;
            each_record(conn, |record| {
                array.item(&record.to_json()).map_err(written)
            })?;
            array.finish().map_err(written)
        }
    }
}

/// Hands every visit, oldest first, to `each` as SQLite reads it; returns how many.
fn each_record(conn: &Connection, mut each: impl FnMut(Record) -> Result<()>) -> Result<u64> {
    let failed = |e| query_failed(conn, "visits", e);
    let mut statement = conn
        .prepare(
            "SELECT v.visited_at, o.ban_number, o.name, v.personal_rating, v.entry_fee_yen, v.stay_minutes, v.notes
             FROM visits v JOIN onsens o ON o.id = v.onsen_id ORDER BY v.visited_at, v.id",
        )
        .map_err(failed)?;
    let mut rows = statement.query([]).map_err(failed)?;
    let mut count = 0;
    while let Some(row) = rows.next().map_err(failed)? {
        let record = || -> rusqlite::Result<Record> {
            Ok(Record {
                visited_at: row.get(0)?,
                onsen_ban: row.get(1)?,
                onsen_name: row.get(2)?,
                rating: row.get(3)?,
                fee_yen: row.get(4)?,
                minutes: row.get(5)?,
                notes: row.get(6)?,
            })
        };
        each(record().map_err(failed)?)?;
        count += 1;
    }
    Ok(count)
}

/// A row that cannot be imported, by its line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub message: String,
}

/// What an import found: how many valid rows it handed on, and the problems of the others (the
/// first [`KEPT_PROBLEMS`], and how many there were in all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checked {
    pub valid: u64,
    pub problems: Vec<Problem>,
    pub problem_count: u64,
}

/// How many problems an import keeps to show; the others are counted.
pub const KEPT_PROBLEMS: usize = 10;

/// Reads CSV visits and checks every row (date, onsen by ban number and name, rating, fee,
/// minutes) as it comes, handing each valid one to `valid` (which records it, or not) and
/// counting the others: one pass, in constant memory, for a file of any size. `size` is the
/// file's length, for the progress bar. A file that is not such a CSV at all (no header, an
/// unknown or missing column) is a usage error.
pub fn check_csv(
    conn: &Connection,
    input: impl Read,
    source: &str,
    size: u64,
    mut valid: impl FnMut(&NewVisit) -> Result<()>,
) -> Result<Checked> {
    let onsens = onsens_by_ban(conn)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(QuoteWatch::new(input));
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
    if let Some(twice) = header
        .iter()
        .enumerate()
        .find_map(|(i, h)| header[..i].contains(h).then_some(h))
    {
        return Err(Error::usage(format!(
            "`{source}` has the column `{twice}` twice; give each column once"
        )));
    }
    if let Some(missing) = REQUIRED.iter().find(|c| !header.iter().any(|h| h == *c)) {
        return Err(Error::usage(format!(
            "`{source}` has no `{missing}` column; it needs {} (header on the first line)",
            REQUIRED.join(", ")
        )));
    }
    let column = |name: &str| header.iter().position(|h| h == name);
    let mut checked = Checked::default();
    let mut shown = Progress::bytes("importing", size);
    let mut row = csv::StringRecord::new();
    while reader.read_record(&mut row).map_err(bad_file)? {
        let (byte, line) = row.position().map_or((0, 0), |p| (p.byte(), p.line()));
        shown.set(byte);
        let cell = |name: &str| {
            column(name)
                .and_then(|i| row.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let visit = if row.len() == header.len() {
            visit_of(&cell, &onsens)
        } else {
            Err(format!(
                "{} where the header has {}",
                crate::ui::counted(row.len(), "field"),
                header.len()
            ))
        };
        match visit {
            Ok(visit) => {
                valid(&visit)?;
                checked.valid += 1;
            }
            Err(message) => {
                checked.problem_count += 1;
                if checked.problems.len() < KEPT_PROBLEMS {
                    checked.problems.push(Problem { line, message });
                }
            }
        }
    }
    if let Some(line) = reader.get_ref().unclosed_quote() {
        return Err(Error::usage(format!(
            "`{source}` line {line}: a quoted field starts there and is never closed, so every line after it would be read into that one field; nothing was imported"
        )));
    }
    Ok(checked)
}

/// Passes a CSV file's bytes through while following its quoting (RFC 4180: a field that starts
/// with `"` runs to the next `"` not doubled), to tell at the end whether a quoted field was left
/// open: the `csv` crate reads such a field to the end of the file without a word.
struct QuoteWatch<R> {
    inner: R,
    state: Quoting,
    /// The line being read, from 1.
    line: u64,
    /// Where the open quoted field started.
    opened_at: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted field: the end of it, or the first of two.
    QuoteInQuoted,
}

impl<R> QuoteWatch<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            state: Quoting::FieldStart,
            line: 1,
            opened_at: 0,
        }
    }

    /// The line where a quoted field that never closed started, once all was read.
    fn unclosed_quote(&self) -> Option<u64> {
        (self.state == Quoting::Quoted).then_some(self.opened_at)
    }

    fn follow(&mut self, byte: u8) {
        use Quoting::*;
        self.state = match (self.state, byte) {
            (Quoted, b'"') => QuoteInQuoted,
            (Quoted, _) => Quoted,
            (FieldStart, b'"') => {
                self.opened_at = self.line;
                Quoted
            }
            (QuoteInQuoted, b'"') => Quoted,
            (_, b',' | b'\n' | b'\r') => FieldStart,
            _ => Unquoted,
        };
        if byte == b'\n' {
            self.line += 1;
        }
    }
}

impl<R: Read> Read for QuoteWatch<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        for &byte in &buffer[..read] {
            self.follow(byte);
        }
        Ok(read)
    }
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
    let columns = visits::Names {
        fee: "fee_yen",
        minutes: "minutes",
    };
    visits::validate_as(&visit, columns).map_err(|e| e.to_string())?;
    Ok(visit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::seed::fixtures::seeded as database;

    /// Checks `csv`, recording the valid rows.
    fn checked(conn: &Connection, csv: &str) -> Result<Checked> {
        check_csv(conn, csv.as_bytes(), "v.csv", csv.len() as u64, |visit| {
            visits::add(conn, visit).map(|_| ())
        })
    }

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
        let checked = checked(&conn, csv).unwrap();
        assert_eq!(checked.valid, 2);
        let notes: String = conn
            .query_row(
                "SELECT notes FROM visits WHERE visited_at = '2026-01-02'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(notes, "two\nlines");
        let lines: Vec<u64> = checked.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [4, 5, 6, 7, 8], "{:?}", checked.problems);
        assert_eq!(checked.problem_count, 5);
        assert!(checked.problems[0].message.contains("2026-02-30"));
        assert!(checked.problems[1].message.contains("ban number 999"));
        assert!(checked.problems[2].message.contains("not a whole number"));
    }

    #[test]
    fn problems_beyond_the_first_ten_are_counted_not_kept() {
        let conn = database();
        let csv = format!(
            "visited_at,onsen_ban,rating\n{}",
            "2026-02-30,1,8\n".repeat(2024)
        );
        let checked = checked(&conn, &csv).unwrap();
        assert_eq!(checked.problems.len(), KEPT_PROBLEMS);
        assert_eq!(checked.problem_count, 2024);
    }

    #[test]
    fn a_wrong_onsen_name_and_a_wrong_header_are_caught() {
        let conn = database();
        let csv = "visited_at,onsen_ban,onsen_name,rating\n2026-01-02,1,Somewhere Else,8\n";
        let checked = checked(&conn, csv).unwrap();
        assert!(checked.problems[0].message.contains("does not match"));
        for header in ["date,onsen_ban,rating\n", "visited_at,rating\n", ""] {
            let err = self::checked(&conn, header).unwrap_err();
            assert_eq!(err.kind(), crate::Kind::Usage, "{header:?}: {err}");
        }
    }

    #[test]
    fn an_export_reads_back_as_the_same_visits() {
        let conn = database();
        let csv = "visited_at,onsen_ban,rating,minutes,notes\n2026-01-02,1,8,40,\"a, b\"\n2026-01-01,3,6,,\n";
        assert_eq!(checked(&conn, csv).unwrap().problem_count, 0);
        let mut out = Vec::new();
        assert_eq!(export(&conn, Format::Csv, &mut out).unwrap(), 2);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.lines().nth(1).unwrap().starts_with("2026-01-01,3,"),
            "oldest first: {text}"
        );
        conn.execute("DELETE FROM visits", []).unwrap();
        let again = checked(&conn, &text).unwrap();
        assert_eq!((again.valid, again.problem_count), (2, 0));
        let mut json = Vec::new();
        export(&conn, Format::Json, &mut json).unwrap();
        let json: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(json[1]["notes"], "a, b");
        assert_eq!(json[1]["minutes"], 40);
        let mut empty = Vec::new();
        conn.execute("DELETE FROM visits", []).unwrap();
        export(&conn, Format::Json, &mut empty).unwrap();
        assert_eq!(empty, b"[]\n");
    }
}
