//! The office's working calendar and the time limits (jangka waktu) counted on it.
//!
//! Rules, stated once (also in `docs/service.md`):
//!
//! - **Minutes and hours on the wall clock** (the default): the deadline is the start plus the
//!   duration, nights, weekends and holidays included.
//! - **Minutes and hours in office hours** (`basis = "office_hours"`): only time inside the
//!   opening hours of working days counts; a start outside them counts from the next opening.
//! - **Days**: calendar days of 24 hours.
//! - **Working days**: a start outside office hours is moved to the next opening; the deadline is
//!   the same time of day `n` working days later (weekends, non-working weekdays and holidays are
//!   skipped). Accepted on Monday 10:00 with one working day: due Tuesday 10:00.

use std::collections::BTreeSet;
use std::fmt;

use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

use crate::Lang;

/// Indonesia's three time zones; none observes daylight saving, so a fixed offset is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Zone {
    /// Waktu Indonesia Barat, UTC+7 (Sumatra, Java, West and Central Kalimantan).
    #[serde(rename = "WIB")]
    Wib,
    /// Waktu Indonesia Tengah, UTC+8 (Bali, Nusa Tenggara, South/East/North Kalimantan, Sulawesi).
    #[serde(rename = "WITA")]
    Wita,
    /// Waktu Indonesia Timur, UTC+9 (Maluku, Papua).
    #[serde(rename = "WIT")]
    Wit,
}

impl Zone {
    /// Parses `WIB`, `WITA` or `WIT` (any case).
    pub fn parse(s: &str) -> Option<Zone> {
        match s.trim().to_ascii_uppercase().as_str() {
            "WIB" => Some(Zone::Wib),
            "WITA" => Some(Zone::Wita),
            "WIT" => Some(Zone::Wit),
            _ => None,
        }
    }

    /// The zone's offset from UTC.
    pub fn offset(self) -> UtcOffset {
        let hours = match self {
            Zone::Wib => 7,
            Zone::Wita => 8,
            Zone::Wit => 9,
        };
        UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
    }

    /// The abbreviation printed after a time.
    pub fn abbrev(self) -> &'static str {
        match self {
            Zone::Wib => "WIB",
            Zone::Wita => "WITA",
            Zone::Wit => "WIT",
        }
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abbrev())
    }
}

/// Working days, opening hours and holidays of one office, in its zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    /// The office's zone.
    pub zone: Zone,
    /// Weekdays the office serves.
    pub working_days: BTreeSet<u8>,
    /// Opening time.
    pub open: Time,
    /// Closing time (after `open`).
    pub close: Time,
    /// Public holidays and collective leave days on which the office is closed.
    pub holidays: BTreeSet<Date>,
}

/// Monday = 0 … Sunday = 6.
pub(crate) fn weekday_index(w: Weekday) -> u8 {
    w.number_days_from_monday()
}

impl WorkingCalendar {
    /// Monday to Friday, 08:00–16:00, no holidays, in `zone`.
    pub fn standard(zone: Zone) -> WorkingCalendar {
        WorkingCalendar {
            zone,
            working_days: (0..5).collect(),
            open: Time::from_hms(8, 0, 0).unwrap_or(Time::MIDNIGHT),
            close: Time::from_hms(16, 0, 0).unwrap_or(Time::MIDNIGHT),
            holidays: BTreeSet::new(),
        }
    }

    /// `t` in the office's zone.
    pub fn local(&self, t: OffsetDateTime) -> OffsetDateTime {
        t.to_offset(self.zone.offset())
    }

    /// The office's date at instant `t`.
    pub fn date_of(&self, t: OffsetDateTime) -> Date {
        self.local(t).date()
    }

    fn at(&self, d: Date, time: Time) -> OffsetDateTime {
        PrimitiveDateTime::new(d, time).assume_offset(self.zone.offset())
    }

    /// Whether the office serves on `d`.
    pub fn is_working_day(&self, d: Date) -> bool {
        self.working_days.contains(&weekday_index(d.weekday())) && !self.holidays.contains(&d)
    }

    /// The first working day after `d`. Gives up after ten years of closed days (a calendar
    /// with no working day is refused at load, so this does not happen).
    pub fn next_working_day(&self, d: Date) -> Date {
        let mut day = d;
        for _ in 0..3660 {
            match day.next_day() {
                Some(n) => day = n,
                None => return day,
            }
            if self.is_working_day(day) {
                return day;
            }
        }
        day
    }

    /// `t` if it falls within office hours of a working day, otherwise the next opening.
    pub fn clamp_to_office(&self, t: OffsetDateTime) -> OffsetDateTime {
        let l = self.local(t);
        let (d, tm) = (l.date(), l.time());
        if self.is_working_day(d) {
            if tm < self.open {
                return self.at(d, self.open);
            }
            if tm < self.close {
                return l;
            }
        }
        self.at(self.next_working_day(d), self.open)
    }

    /// Whether `t` falls within office hours of a working day.
    pub fn is_open(&self, t: OffsetDateTime) -> bool {
        let l = self.local(t);
        self.is_working_day(l.date()) && l.time() >= self.open && l.time() < self.close
    }

    /// `start` plus `d` of office time (only opening hours of working days count).
    pub fn add_office_time(&self, start: OffsetDateTime, d: Duration) -> OffsetDateTime {
        let mut t = self.clamp_to_office(start);
        let mut left = d;
        loop {
            let l = self.local(t);
            let today_left = self.close - l.time();
            if left <= today_left {
                return l + left;
            }
            left -= today_left;
            t = self.at(self.next_working_day(l.date()), self.open);
        }
    }

    /// The same time of day `n` working days after `start` (moved to the next opening first
    /// when outside office hours).
    pub fn add_working_days(&self, start: OffsetDateTime, n: u32) -> OffsetDateTime {
        let t = self.clamp_to_office(start);
        let mut d = t.date();
        for _ in 0..n {
            d = self.next_working_day(d);
        }
        self.at(d, t.time())
    }
}

/// The unit of a time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    /// Minutes (Kedopok's 30-minute recording, 004).
    Minutes,
    /// Hours (Sumba Timur's one hour, 001).
    Hours,
    /// Calendar days of 24 hours.
    Days,
    /// Working days on the office calendar (Yosowilangun's 12, 003).
    WorkingDays,
}

/// Whether minutes and hours run on the wall clock or only in office hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitBasis {
    /// Every minute counts.
    #[default]
    WallClock,
    /// Only minutes within the opening hours of working days count.
    OfficeHours,
}

/// A published time limit (jangka waktu penyelesaian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeLimit {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: LimitUnit,
    /// How minutes and hours are counted.
    pub basis: LimitBasis,
}

impl TimeLimit {
    /// The deadline for work started at `start`.
    pub fn deadline(&self, cal: &WorkingCalendar, start: OffsetDateTime) -> OffsetDateTime {
        let n = i64::from(self.amount);
        match (self.unit, self.basis) {
            (LimitUnit::Minutes, LimitBasis::WallClock) => start + Duration::minutes(n),
            (LimitUnit::Hours, LimitBasis::WallClock) => start + Duration::hours(n),
            (LimitUnit::Minutes, LimitBasis::OfficeHours) => {
                cal.add_office_time(start, Duration::minutes(n))
            }
            (LimitUnit::Hours, LimitBasis::OfficeHours) => {
                cal.add_office_time(start, Duration::hours(n))
            }
            (LimitUnit::Days, _) => start + Duration::days(n),
            (LimitUnit::WorkingDays, _) => cal.add_working_days(start, self.amount),
        }
    }

    /// "30 menit", "1 jam", "12 hari kerja" (or the English).
    pub fn describe(&self, lang: Lang) -> String {
        let unit = match (self.unit, lang) {
            (LimitUnit::Minutes, Lang::Id) => "menit",
            (LimitUnit::Hours, Lang::Id) => "jam",
            (LimitUnit::Days, Lang::Id) => "hari",
            (LimitUnit::WorkingDays, Lang::Id) => "hari kerja",
            (LimitUnit::Minutes, Lang::En) => "minutes",
            (LimitUnit::Hours, Lang::En) => "hours",
            (LimitUnit::Days, Lang::En) => "days",
            (LimitUnit::WorkingDays, Lang::En) => "working days",
        };
        let mut s = format!("{} {unit}", self.amount);
        if self.basis == LimitBasis::OfficeHours
            && matches!(self.unit, LimitUnit::Minutes | LimitUnit::Hours)
        {
            s.push_str(lang.pick(" (jam kerja)", " (office hours)"));
        }
        s
    }
}

/// A duration as a clerk reads it: "1 j 5 m", "2 h 3 j" / "1 h 5 min", "2 d 3 h".
pub fn format_duration(d: Duration, lang: Lang) -> String {
    let neg = d.is_negative();
    let total_min = d.whole_minutes().unsigned_abs();
    let (days, hours, mins) = (total_min / 1440, (total_min % 1440) / 60, total_min % 60);
    let (dd, hh, mm) = match lang {
        Lang::Id => ("h", "j", "m"),
        Lang::En => ("d", "h", "min"),
    };
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} {dd}"));
    }
    if hours > 0 {
        parts.push(format!("{hours} {hh}"));
    }
    if mins > 0 || parts.is_empty() {
        parts.push(format!("{mins} {mm}"));
    }
    let s = parts.join(" ");
    if neg {
        format!("-{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn cal() -> WorkingCalendar {
        let mut c = WorkingCalendar::standard(Zone::Wib);
        // Wednesday 2026-03-04 made a holiday for the test.
        c.holidays.insert(date!(2026 - 03 - 04));
        c
    }

    fn lim(amount: u32, unit: LimitUnit, basis: LimitBasis) -> TimeLimit {
        TimeLimit {
            amount,
            unit,
            basis,
        }
    }

    #[test]
    fn zones_are_fixed_offsets() {
        assert_eq!(Zone::Wib.offset().whole_hours(), 7);
        assert_eq!(Zone::Wita.offset().whole_hours(), 8);
        assert_eq!(Zone::Wit.offset().whole_hours(), 9);
        assert_eq!(Zone::parse("wita"), Some(Zone::Wita));
        assert_eq!(Zone::parse("CET"), None);
    }

    #[test]
    fn thirty_minutes_on_the_wall_clock() {
        let d = lim(30, LimitUnit::Minutes, LimitBasis::WallClock)
            .deadline(&cal(), datetime!(2026-03-02 15:50 +7));
        assert_eq!(d, datetime!(2026-03-02 16:20 +7));
    }

    #[test]
    fn one_hour_in_office_hours_crosses_the_night() {
        // Monday 15:30 + 60 office minutes: 30 on Monday, 30 on Tuesday from 08:00.
        let d = lim(1, LimitUnit::Hours, LimitBasis::OfficeHours)
            .deadline(&cal(), datetime!(2026-03-02 15:30 +7));
        assert_eq!(d, datetime!(2026-03-03 08:30 +7));
    }

    #[test]
    fn office_hours_skip_the_weekend_and_holidays() {
        // Tuesday 15:45 + 30 office minutes: 15 on Tuesday, Wednesday is a holiday, 15 on
        // Thursday.
        let d = lim(30, LimitUnit::Minutes, LimitBasis::OfficeHours)
            .deadline(&cal(), datetime!(2026-03-03 15:45 +7));
        assert_eq!(d, datetime!(2026-03-05 08:15 +7));
        // Friday 15:00 + 2 office hours: 1 on Friday, Monday 09:00.
        let d = lim(2, LimitUnit::Hours, LimitBasis::OfficeHours)
            .deadline(&cal(), datetime!(2026-03-06 15:00 +7));
        assert_eq!(d, datetime!(2026-03-09 09:00 +7));
    }

    #[test]
    fn one_working_day_is_the_same_time_next_working_day() {
        let l = lim(1, LimitUnit::WorkingDays, LimitBasis::WallClock);
        assert_eq!(
            l.deadline(&cal(), datetime!(2026-03-02 10:00 +7)),
            datetime!(2026-03-03 10:00 +7)
        );
        // Tuesday 10:00 → Wednesday is a holiday → Thursday 10:00.
        assert_eq!(
            l.deadline(&cal(), datetime!(2026-03-03 10:00 +7)),
            datetime!(2026-03-05 10:00 +7)
        );
        // Friday 10:00 → Monday 10:00.
        assert_eq!(
            l.deadline(&cal(), datetime!(2026-03-06 10:00 +7)),
            datetime!(2026-03-09 10:00 +7)
        );
        // Accepted Saturday → counts from Monday 08:00 → Tuesday 08:00.
        assert_eq!(
            l.deadline(&cal(), datetime!(2026-03-07 11:00 +7)),
            datetime!(2026-03-10 08:00 +7)
        );
        // Accepted after closing on Monday → from Tuesday 08:00 → Thursday 08:00 (holiday).
        assert_eq!(
            l.deadline(&cal(), datetime!(2026-03-02 17:00 +7)),
            datetime!(2026-03-05 08:00 +7)
        );
    }

    #[test]
    fn twelve_working_days_by_hand() {
        // Monday 2 March 2026, 09:00, with Wednesday 4 March a holiday. Working days after it:
        // Tue 3, Thu 5, Fri 6, Mon 9, Tue 10, Wed 11, Thu 12, Fri 13, Mon 16, Tue 17, Wed 18,
        // Thu 19 → the twelfth is Thursday 19 March.
        let d = lim(12, LimitUnit::WorkingDays, LimitBasis::WallClock)
            .deadline(&cal(), datetime!(2026-03-02 09:00 +7));
        assert_eq!(d, datetime!(2026-03-19 09:00 +7));
    }

    #[test]
    fn deadlines_are_in_the_office_zone() {
        // 01:30 UTC is 09:30 WITA on a working Monday.
        let c = WorkingCalendar::standard(Zone::Wita);
        let d = lim(1, LimitUnit::WorkingDays, LimitBasis::WallClock)
            .deadline(&c, datetime!(2026-03-02 01:30 UTC));
        assert_eq!(d, datetime!(2026-03-03 09:30 +8));
        // 23:30 UTC Sunday is 07:30 WITA Monday, before opening → Monday 08:00 → Tuesday 08:00.
        let d = lim(1, LimitUnit::WorkingDays, LimitBasis::WallClock)
            .deadline(&c, datetime!(2026-03-01 23:30 UTC));
        assert_eq!(d, datetime!(2026-03-03 08:00 +8));
    }

    #[test]
    fn calendar_days() {
        let d = lim(1, LimitUnit::Days, LimitBasis::WallClock)
            .deadline(&cal(), datetime!(2026-03-06 15:00 +7));
        assert_eq!(d, datetime!(2026-03-07 15:00 +7));
    }

    #[test]
    fn limits_describe_themselves() {
        let l = lim(12, LimitUnit::WorkingDays, LimitBasis::WallClock);
        assert_eq!(l.describe(Lang::Id), "12 hari kerja");
        assert_eq!(l.describe(Lang::En), "12 working days");
        let l = lim(30, LimitUnit::Minutes, LimitBasis::OfficeHours);
        assert_eq!(l.describe(Lang::Id), "30 menit (jam kerja)");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(Duration::minutes(65), Lang::Id), "1 j 5 m");
        assert_eq!(format_duration(Duration::minutes(-5), Lang::En), "-5 min");
        assert_eq!(
            format_duration(Duration::minutes(1500), Lang::En),
            "1 d 1 h"
        );
        assert_eq!(format_duration(Duration::ZERO, Lang::Id), "0 m");
    }
}
