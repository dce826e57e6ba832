//! Calendar dates and UTC timestamps, without a date-time dependency.

use crate::shared::error::{Error, Result};
use std::time::{SystemTime, UNIX_EPOCH};

/// A calendar date, as stored in the database (`YYYY-MM-DD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Date {
    year: i64,
    month: u32,
    day: u32,
}

/// The months' names, January first.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Date {
    /// Reads `YYYY-MM-DD`; anything else, or a day that does not exist, is a usage error.
    pub(crate) fn parse(text: &str) -> Result<Date> {
        let bad = || {
            Error::usage(format!(
                "invalid date `{text}`; expected YYYY-MM-DD, e.g. 2026-11-22"
            ))
        };
        let parts: Vec<&str> = text.trim().split('-').collect();
        let [year, month, day] = parts.as_slice() else {
            return Err(bad());
        };
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return Err(bad());
        }
        let digits = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| s.parse().ok())
                .flatten()
        };
        let (Some(year), Some(month), Some(day)) = (digits(year), digits(month), digits(day))
        else {
            return Err(bad());
        };
        if !(1..=12).contains(&month) {
            return Err(Error::usage(format!(
                "invalid date `{text}`: there is no month {month}; months run from 01 to 12"
            )));
        }
        let last = days_in_month(year, month);
        if day == 0 || day > last {
            return Err(Error::usage(format!(
                "invalid date `{text}`: {} {year} has {last} days",
                MONTHS[month as usize - 1]
            )));
        }
        Ok(Date {
            year,
            month: month as u32,
            day: day as u32,
        })
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The current time in UTC as RFC 3339 with milliseconds: `2026-11-22T05:35:00.123Z`.
pub(crate) fn utc_now() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_utc(since.as_secs() as i64, since.subsec_millis())
}

/// Seconds since 1970-01-01 UTC.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64)
}

/// The compact form of a [`utc_now`] time for file names: `20261122T053500Z`.
pub(crate) fn file_stamp(rfc3339: &str) -> String {
    let digits: String = rfc3339
        .chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    format!("{digits}Z")
}

fn format_utc(seconds: i64, millis: u32) -> String {
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (rest / 3600, rest % 3600 / 60, rest % 60);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z")
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_dates_round_trip() {
        for text in ["2026-11-22", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert_eq!(Date::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn impossible_or_malformed_dates_are_usage_errors() {
        for text in [
            "2026-13-01",
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-1-01",
            "22/11/2026",
            "",
            "2026-11-22x",
            "+026-11-22",
        ] {
            assert!(Date::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn a_day_past_the_month_says_how_long_the_month_is() {
        let said = |text: &str| Date::parse(text).unwrap_err().to_string();
        assert!(said("2026-11-31").ends_with(": November 2026 has 30 days"));
        assert!(said("2026-02-29").ends_with(": February 2026 has 28 days"));
        assert!(said("2024-02-30").ends_with(": February 2024 has 29 days"));
        assert!(said("2026-13-01").contains("there is no month 13"));
        assert!(said("22/11/2026").contains("expected YYYY-MM-DD"));
    }

    #[test]
    fn utc_formatting_matches_known_instants() {
        assert_eq!(format_utc(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_utc(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(format_utc(1_795_327_199, 999), "2026-11-22T05:59:59.999Z");
        assert_eq!(file_stamp("2026-11-22T05:59:59.999Z"), "20261122T055959Z");
    }
}
