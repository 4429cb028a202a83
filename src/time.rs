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
