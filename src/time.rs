//! How times are stored (UTC, fixed-width ISO 8601, so text order is time order) and shown
//! (Europe/London, dd/mm/yyyy).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Europe::London;

use crate::error::{Error, Result};

pub fn fmt_utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn parse_utc(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Error::damaged("a stored time is malformed"))
}

pub fn fmt_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn parse_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| Error::damaged("a stored date is malformed"))
}

/// The local (Europe/London) calendar date of an instant.
pub fn london_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&London).date_naive()
}

/// `dd/mm/yyyy HH:MM` in Europe/London, as British readers expect.
pub fn display_london(t: DateTime<Utc>) -> String {
    t.with_timezone(&London)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

pub fn display_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A date placed at midday London time, for ordering date-only events among timed ones.
pub fn noon_london(d: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    London
        .from_local_datetime(&d.and_hms_opt(12, 0, 0).expect("valid time"))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| d.and_hms_opt(12, 0, 0).expect("valid time").and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn stored_times_sort_as_text_and_round_trip() {
        let a = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        assert!(fmt_utc(a) < fmt_utc(b));
        assert_eq!(parse_utc(&fmt_utc(a)).unwrap(), a);
    }

    #[test]
    fn display_uses_london_time() {
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 8, 0, 0).unwrap();
        assert_eq!(display_london(summer), "01/07/2026 09:00");
    }
}

/// Parses a wall-clock time as typed in the window (`dd/mm/yyyy HH:MM`, or ISO
/// `YYYY-MM-DDTHH:MM`, Europe/London) into
/// UTC. An impossible date, or a time that does not exist when the clocks go forward, is an
/// input error; an ambiguous one (clocks going back) takes the earlier instant.
pub fn parse_london_local(field: &'static str, s: &str) -> crate::error::Result<DateTime<Utc>> {
    use chrono::{Datelike, NaiveDateTime, TimeZone};
    let s = s.trim();
    let naive = NaiveDateTime::parse_from_str(s, "%d/%m/%Y %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .filter(|t| TYPED_YEARS.contains(&t.year()))
        .ok_or(crate::error::Error::invalid(
            field,
            "is not a real date and time",
        ))?;
    London
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or(crate::error::Error::invalid(
            field,
            "does not exist in UK time (the clocks went forward)",
        ))
}

/// Parses a date as typed in the window: `dd/mm/yyyy` (or ISO `YYYY-MM-DD`).
pub fn parse_uk_date(field: &'static str, s: &str) -> crate::error::Result<NaiveDate> {
    use chrono::Datelike;
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .ok()
        .filter(|d| TYPED_YEARS.contains(&d.year()))
        .ok_or(crate::error::Error::invalid(
            field,
            "is not a real date (dd/mm/yyyy)",
        ))
}

/// Years a typed date may have: chrono also reads "-11-06-02" or "01/01/99999", which are no
/// date anyone records here (found by fuzzing). Dates of birth of the oldest household members
/// and retention horizons both fit.
const TYPED_YEARS: std::ops::RangeInclusive<i32> = 1850..=2200;

#[cfg(test)]
mod local_input_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn years_no_one_records_are_refused() {
        // The fuzzer's find: a negative year read as ISO.
        assert!(parse_london_local("t", "-11-6-2T10:3").is_err());
        assert!(parse_uk_date("d", "-11-06-02").is_err());
        assert!(parse_uk_date("d", "01/01/99999").is_err());
        assert!(parse_uk_date("d", "01/01/0012").is_err());
        assert!(parse_uk_date("d", "01/01/1850").is_ok());
        assert!(parse_london_local("t", "01/12/2026 09:30").is_ok());
    }

    #[test]
    fn london_wall_clock_input_becomes_utc() {
        assert_eq!(
            parse_london_local("t", "2026-07-01T09:00").unwrap(),
            Utc.with_ymd_and_hms(2026, 7, 1, 8, 0, 0).unwrap()
        );
        assert_eq!(
            parse_london_local("t", "2026-12-01T09:00").unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
        );
        assert!(parse_london_local("t", "2026-02-30T09:00").is_err());
        assert!(
            parse_london_local("t", "2026-03-29T01:30").is_err(),
            "01:30 did not exist on 29 March 2026"
        );
        assert!(parse_london_local("t", "yesterday").is_err());
        assert_eq!(
            parse_london_local("t", "01/07/2026 09:00").unwrap(),
            Utc.with_ymd_and_hms(2026, 7, 1, 8, 0, 0).unwrap()
        );
        assert!(
            parse_london_local("t", "31/06/2026 09:00").is_err(),
            "30 days hath June"
        );
        assert!(parse_london_local("t", "07/01/2026 25:00").is_err());
        assert_eq!(
            parse_uk_date("d", "05/01/2027").unwrap(),
            NaiveDate::from_ymd_opt(2027, 1, 5).unwrap()
        );
        assert!(parse_uk_date("d", "29/02/2027").is_err());
    }
}

/// Parses a time of day as typed (`HH:MM`, 24-hour).
pub fn parse_clock_time(field: &'static str, s: &str) -> crate::error::Result<chrono::NaiveTime> {
    chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| crate::error::Error::invalid(field, "is not a time (HH:MM, 24-hour)"))
}
