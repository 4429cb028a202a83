//! Working days and school days in England and Wales.
//!
//! Bank holidays are computed by rule (Easter; the first and last Mondays of May; the last
//! Monday of August; Christmas, Boxing Day and New Year's Day with their substitute weekdays),
//! corrected by the one-off changes already announced, plus any extra dates a school configures.
//! School days additionally skip the school's own holidays and INSET days.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Europe::London;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;
use ts_rs::TS;

/// A closed range of dates, both ends included (a half term, a holiday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DateRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub label: String,
}

/// What a school configures about its calendar (stored as a setting).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CalendarConfig {
    /// One-off bank holidays declared after this version was released.
    pub extra_bank_holidays: Vec<NaiveDate>,
    pub school_holidays: Vec<DateRange>,
    pub inset_days: Vec<NaiveDate>,
    /// When the school day starts (Europe/London), for "before the start of the next school day".
    #[ts(type = "string")]
    pub school_day_starts: NaiveTime,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        CalendarConfig {
            extra_bank_holidays: Vec::new(),
            school_holidays: Vec::new(),
            inset_days: Vec::new(),
            school_day_starts: NaiveTime::from_hms_opt(8, 30, 0).expect("valid time"),
        }
    }
}

/// A month and day.
type MonthDay = (u32, u32);

/// Dates Easter-and-rule arithmetic gets wrong: moved or added by proclamation.
/// (year, rule date that did not happen, dates that did).
const ONE_OFF_CHANGES: &[(i32, Option<MonthDay>, &[MonthDay])] = &[
    (2012, Some((5, 28)), &[(6, 4), (6, 5)]), // Diamond Jubilee
    (2020, Some((5, 4)), &[(5, 8)]),          // VE Day 75
    (2022, Some((5, 30)), &[(6, 2), (6, 3)]), // Platinum Jubilee
    (2022, None, &[(9, 19)]),                 // State funeral of Queen Elizabeth II
    (2023, None, &[(5, 8)]),                  // Coronation of King Charles III
];

/// Easter Sunday in the Gregorian calendar (anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a valid date")
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn first_monday(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 1)
        .expect("every month has a Monday")
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    let next_month_first = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("valid date");
    let mut d = next_month_first - Duration::days(1);
    while d.weekday() != Weekday::Mon {
        d -= Duration::days(1);
    }
    d
}

/// Each fixed-date holiday falling on a weekend moves to the next weekday not already a holiday.
fn with_substitutes(days: &[NaiveDate], into: &mut BTreeSet<NaiveDate>) {
    for &d in days {
        let mut day = d;
        while is_weekend(day) || into.contains(&day) {
            day += Duration::days(1);
        }
        into.insert(day);
    }
}

/// England and Wales bank holidays of one year, by rule and announced one-off changes.
pub fn bank_holidays(year: i32) -> BTreeSet<NaiveDate> {
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("valid date");
    let mut set = BTreeSet::new();
    with_substitutes(&[ymd(1, 1)], &mut set);
    let easter = easter_sunday(year);
    set.insert(easter - Duration::days(2));
    set.insert(easter + Duration::days(1));
    set.insert(first_monday(year, 5));
    set.insert(last_monday(year, 5));
    set.insert(last_monday(year, 8));
    with_substitutes(&[ymd(12, 25), ymd(12, 26)], &mut set);
    for (y, removed, added) in ONE_OFF_CHANGES {
        if *y == year {
            if let Some((m, d)) = removed {
                set.remove(&ymd(*m, *d));
            }
            for (m, d) in *added {
                set.insert(ymd(*m, *d));
            }
        }
    }
    set
}

/// Years whose bank holidays are precomputed once per process; others are computed on demand.
const CACHED_YEARS: std::ops::RangeInclusive<i32> = 1970..=2100;

/// Working-day arithmetic asks this for every day it steps over, so the rule is evaluated once.
fn is_rule_bank_holiday(d: NaiveDate) -> bool {
    static TABLE: OnceLock<HashSet<NaiveDate>> = OnceLock::new();
    if CACHED_YEARS.contains(&d.year()) {
        TABLE
            .get_or_init(|| CACHED_YEARS.flat_map(bank_holidays).collect())
            .contains(&d)
    } else {
        bank_holidays(d.year()).contains(&d)
    }
}

/// Answers working-day and school-day questions for one configuration.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    config: CalendarConfig,
    extra: BTreeSet<NaiveDate>,
    inset: BTreeSet<NaiveDate>,
}

/// How far the calendar searches before deciding a configuration has no school days at all.
const SEARCH_LIMIT_DAYS: i64 = 3 * 366;

impl WorkingCalendar {
    pub fn new(config: CalendarConfig) -> Self {
        let extra = config.extra_bank_holidays.iter().copied().collect();
        let inset = config.inset_days.iter().copied().collect();
        WorkingCalendar {
            config,
            extra,
            inset,
        }
    }

    pub fn config(&self) -> &CalendarConfig {
        &self.config
    }

    pub fn is_bank_holiday(&self, d: NaiveDate) -> bool {
        self.extra.contains(&d) || is_rule_bank_holiday(d)
    }

    /// Not a Saturday, Sunday or bank holiday.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !is_weekend(d) && !self.is_bank_holiday(d)
    }

    /// A working day that is not in a school holiday and not an INSET day.
    pub fn is_school_day(&self, d: NaiveDate) -> bool {
        self.is_working_day(d)
            && !self.inset.contains(&d)
            && !self
                .config
                .school_holidays
                .iter()
                .any(|r| r.start <= d && d <= r.end)
    }

    /// The date `n` working days after `from` (`n = 0` gives `from`). Negative `n` counts back.
    pub fn add_working_days(&self, from: NaiveDate, n: i64) -> NaiveDate {
        let step = if n >= 0 { 1 } else { -1 };
        let mut d = from;
        let mut left = n.abs();
        while left > 0 {
            d += Duration::days(step);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// How many working days `to` is after `from`: the working days in `(from, to]`, or, when `to`
    /// is earlier, minus the working days in `[to, from)`. This mirrors `add_working_days`
    /// exactly: `working_days_between(d, add_working_days(d, n)) == n` for every `d` and `n`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let count = |lo: NaiveDate, hi: NaiveDate| {
            let mut n = 0;
            let mut d = lo;
            while d <= hi {
                if self.is_working_day(d) {
                    n += 1;
                }
                d += Duration::days(1);
            }
            n
        };
        if to >= from {
            count(from + Duration::days(1), to)
        } else {
            -count(to, from - Duration::days(1))
        }
    }

    /// The first school day strictly after `d`, or `None` when no school day falls within three
    /// years (a calendar configured as one long holiday).
    pub fn next_school_day_after(&self, d: NaiveDate) -> Option<NaiveDate> {
        (1..=SEARCH_LIMIT_DAYS)
            .map(|i| d + Duration::days(i))
            .find(|&x| self.is_school_day(x))
    }

    /// The start of the next school day after the instant `t`: the earliest school-day start
    /// (Europe/London) that is later than `t`. Used for Operation Encompass deadlines.
    pub fn next_school_day_start(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local_date = t.with_timezone(&London).date_naive();
        let today_start = self.school_day_start_on(local_date);
        if self.is_school_day(local_date) && today_start.is_some_and(|s| s > t) {
            return today_start;
        }
        self.next_school_day_after(local_date)
            .and_then(|d| self.school_day_start_on(d))
    }

    fn school_day_start_on(&self, d: NaiveDate) -> Option<DateTime<Utc>> {
        London
            .from_local_datetime(&d.and_time(self.config.school_day_starts))
            .earliest()
            .map(|l| l.with_timezone(&Utc))
    }
}

impl Default for WorkingCalendar {
    fn default() -> Self {
        WorkingCalendar::new(CalendarConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn published_bank_holidays_2024_to_2027() {
        let published: &[(i32, &[(u32, u32)])] = &[
            (
                2024,
                &[
                    (1, 1),
                    (3, 29),
                    (4, 1),
                    (5, 6),
                    (5, 27),
                    (8, 26),
                    (12, 25),
                    (12, 26),
                ],
            ),
            (
                2025,
                &[
                    (1, 1),
                    (4, 18),
                    (4, 21),
                    (5, 5),
                    (5, 26),
                    (8, 25),
                    (12, 25),
                    (12, 26),
                ],
            ),
            (
                2026,
                &[
                    (1, 1),
                    (4, 3),
                    (4, 6),
                    (5, 4),
                    (5, 25),
                    (8, 31),
                    (12, 25),
                    (12, 28),
                ],
            ),
            (
                2027,
                &[
                    (1, 1),
                    (3, 26),
                    (3, 29),
                    (5, 3),
                    (5, 31),
                    (8, 30),
                    (12, 27),
                    (12, 28),
                ],
            ),
        ];
        for (year, days) in published {
            let expected: BTreeSet<_> = days.iter().map(|(m, day)| d(*year, *m, *day)).collect();
            assert_eq!(bank_holidays(*year), expected, "{year}");
        }
    }

    #[test]
    fn substitute_days_follow_weekend_christmas_and_new_year() {
        // 2022: Christmas on a Sunday; 2021: Christmas on a Saturday; 2022: New Year on a Saturday.
        assert!(bank_holidays(2022).contains(&d(2022, 12, 27)));
        assert!(bank_holidays(2021).contains(&d(2021, 12, 27)));
        assert!(bank_holidays(2021).contains(&d(2021, 12, 28)));
        assert!(bank_holidays(2022).contains(&d(2022, 1, 3)));
        assert!(bank_holidays(2023).contains(&d(2023, 1, 2)));
        // One-off: the 2023 coronation.
        assert!(bank_holidays(2023).contains(&d(2023, 5, 8)));
    }

    #[test]
    fn easter_dates_are_right() {
        assert_eq!(easter_sunday(2024), d(2024, 3, 31));
        assert_eq!(easter_sunday(2025), d(2025, 4, 20));
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2027), d(2027, 3, 28));
        assert_eq!(easter_sunday(2038), d(2038, 4, 25));
    }

    #[test]
    fn adding_working_days_skips_weekends_and_christmas() {
        let cal = WorkingCalendar::default();
        // Thursday 24 Dec 2026 + 1 working day: Fri 25 and Mon 28 are holidays → Tue 29.
        assert_eq!(cal.add_working_days(d(2026, 12, 24), 1), d(2026, 12, 29));
        // Friday + 1 → Monday.
        assert_eq!(cal.add_working_days(d(2026, 11, 20), 1), d(2026, 11, 23));
        assert_eq!(
            cal.working_days_between(d(2026, 12, 24), d(2026, 12, 29)),
            1
        );
        assert_eq!(
            cal.working_days_between(d(2026, 12, 29), d(2026, 12, 24)),
            -1
        );
    }

    #[test]
    fn extra_bank_holidays_count() {
        let cfg = CalendarConfig {
            extra_bank_holidays: vec![d(2026, 11, 24)],
            ..Default::default()
        };
        let cal = WorkingCalendar::new(cfg);
        assert!(!cal.is_working_day(d(2026, 11, 24)));
        assert_eq!(cal.add_working_days(d(2026, 11, 23), 1), d(2026, 11, 25));
    }

    #[test]
    fn next_school_day_start_skips_holidays_inset_and_weekends() {
        let cfg = CalendarConfig {
            school_holidays: vec![DateRange {
                start: d(2026, 12, 21),
                end: d(2027, 1, 1),
                label: "Christmas".into(),
            }],
            inset_days: vec![d(2027, 1, 4)],
            ..Default::default()
        };
        let cal = WorkingCalendar::new(cfg);
        // Friday evening 18:00 → Monday 08:30 (GMT).
        let fri = Utc.with_ymd_and_hms(2026, 11, 20, 18, 0, 0).unwrap();
        assert_eq!(
            cal.next_school_day_start(fri),
            Some(Utc.with_ymd_and_hms(2026, 11, 23, 8, 30, 0).unwrap())
        );
        // 07:00 on a school day → 08:30 that day.
        let early = Utc.with_ymd_and_hms(2026, 11, 23, 7, 0, 0).unwrap();
        assert_eq!(
            cal.next_school_day_start(early),
            Some(Utc.with_ymd_and_hms(2026, 11, 23, 8, 30, 0).unwrap())
        );
        // In the Christmas break, with INSET on 4 January → Tuesday 5 January.
        let xmas = Utc.with_ymd_and_hms(2026, 12, 27, 22, 0, 0).unwrap();
        assert_eq!(
            cal.next_school_day_start(xmas),
            Some(Utc.with_ymd_and_hms(2027, 1, 5, 8, 30, 0).unwrap())
        );
        // British Summer Time: 08:30 BST is 07:30 UTC.
        let summer = Utc.with_ymd_and_hms(2026, 6, 10, 20, 0, 0).unwrap();
        assert_eq!(
            cal.next_school_day_start(summer),
            Some(Utc.with_ymd_and_hms(2026, 6, 11, 7, 30, 0).unwrap())
        );
    }

    #[test]
    fn a_calendar_with_no_school_days_gives_none_not_a_hang() {
        let cfg = CalendarConfig {
            school_holidays: vec![DateRange {
                start: d(2026, 1, 1),
                end: d(2035, 1, 1),
                label: "closed".into(),
            }],
            ..Default::default()
        };
        assert_eq!(
            WorkingCalendar::new(cfg).next_school_day_after(d(2026, 5, 1)),
            None
        );
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..(365 * 30)).prop_map(|o| d(2010, 1, 1) + Duration::days(o))
    }

    proptest! {
        #[test]
        fn adding_then_counting_round_trips(start in any_date(), n in -40i64..40) {
            let cal = WorkingCalendar::default();
            let end = cal.add_working_days(start, n);
            prop_assert_eq!(cal.working_days_between(start, end), n);
            if n != 0 {
                prop_assert!(cal.is_working_day(end));
            }
        }

        #[test]
        fn adding_working_days_is_monotonic(start in any_date(), n in 0i64..30) {
            let cal = WorkingCalendar::default();
            prop_assert!(cal.add_working_days(start, n + 1) > cal.add_working_days(start, n));
        }

        #[test]
        fn the_cached_table_agrees_with_the_rule(offset in 0i64..(365 * 140)) {
            let day = d(1965, 1, 1) + Duration::days(offset);
            prop_assert_eq!(is_rule_bank_holiday(day), bank_holidays(day.year()).contains(&day));
        }

        #[test]
        fn every_year_has_eight_or_more_bank_holidays_all_on_weekdays(year in 1995i32..2100) {
            let set = bank_holidays(year);
            prop_assert!(set.len() >= 8);
            prop_assert!(set.iter().all(|d| !is_weekend(*d)));
        }

        #[test]
        fn next_school_day_start_is_in_the_future_and_on_a_school_day(t in 0i64..(86_400 * 365 * 5)) {
            let cal = WorkingCalendar::default();
            let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(t);
            let s = cal.next_school_day_start(at).unwrap();
            prop_assert!(s > at);
            prop_assert!(cal.is_school_day(s.with_timezone(&London).date_naive()));
            prop_assert!(s - at <= Duration::days(6));
        }
    }
}
