//! How dates and times are written for the clerk ("2 Maret 2026", "08:05"). It depends on
//! nothing in the crate but the language, so every module may use it without a loop through
//! the reports.

use time::{Date, OffsetDateTime};

use crate::lang::Lang;

pub(crate) const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
pub(crate) const MONTHS_EN: [&str; 12] = [
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

/// "2 Maret 2026" / "2 March 2026".
pub fn fmt_date(d: Date, lang: Lang) -> String {
    let m = d.month() as usize - 1;
    let name = match lang {
        Lang::Id => MONTHS_ID[m],
        Lang::En => MONTHS_EN[m],
    };
    format!("{} {name} {}", d.day(), d.year())
}

/// "08:05".
pub fn fmt_time(t: OffsetDateTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}
