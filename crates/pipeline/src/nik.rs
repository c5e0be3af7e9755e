//! NIK validation: 16 digits; digits 1-6 the province, regency/city and district where the
//! number was first issued; 7-12 the birth date DDMMYY with 40 added to the day for women;
//! 13-16 a serial from 0001 (DOMAIN.md, "Facts from public sources").
//!
//! An impossible value is an error. A number that is well formed but disagrees with the stated
//! birth date or sex is a warning the operator confirms: a NIK is lifelong and a wrong embedded
//! date is not corrected (PP 40/2019), so the disagreement does not make the person's number
//! invalid.

use std::fmt;

use time::{Date, Month};

/// Province codes (digits 1-2) of the Ministry of Home Affairs list, including the Papua codes
/// of before and after the 2022 splits, since a NIK keeps the code it was issued under.
pub const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65,
    71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96,
];

/// Why a NIK is impossible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NikError {
    /// Not 16 digits.
    #[error(
        "a NIK has exactly 16 digits; this one has {0} digits (spaces, hyphens and dots between the groups are ignored)"
    )]
    Length(usize),
    /// A character other than a digit or a separator.
    #[error("a NIK holds only the digits 0-9, with spaces, hyphens or dots between the groups")]
    NotDigits,
    /// A province code not on the list.
    #[error("the NIK starts with {0:02}, which is not a province code")]
    Province(u8),
    /// Regency or district 00.
    #[error("the NIK's regency or district code is 00, which does not exist")]
    Region,
    /// Day, month or year impossible.
    #[error("the NIK's birth date digits {0} are not a date (day 01-31, or 41-71 for women; month 01-12)")]
    Date(String),
    /// Serial 0000.
    #[error("the NIK's serial (the last four digits) is 0000, which is never issued")]
    Serial,
}

impl NikError {
    /// The same in Bahasa Indonesia, for the operator.
    pub fn id(&self) -> String {
        match self {
            NikError::Length(n) => format!("NIK harus 16 angka; yang dimasukkan {n} angka."),
            NikError::NotDigits => {
                "NIK hanya berisi angka 0-9, dengan spasi, tanda hubung atau titik di antara kelompok angka.".into()
            }
            NikError::Province(p) => format!("NIK diawali {p:02}, bukan kode provinsi."),
            NikError::Region => {
                "Kode kabupaten/kota atau kecamatan pada NIK tidak boleh 00.".into()
            }
            NikError::Date(d) => {
                format!("Angka tanggal lahir pada NIK ({d}) bukan tanggal yang sah.")
            }
            NikError::Serial => "Nomor urut NIK (empat angka terakhir) tidak boleh 0000.".into(),
        }
    }
}

/// A warning the operator must confirm before continuing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NikWarning {
    /// The embedded birth date differs from the stated one.
    BirthDate {
        /// From the NIK.
        nik: Date,
        /// Stated.
        stated: Date,
    },
    /// The embedded sex (day + 40) differs from the stated one.
    Sex {
        /// From the NIK: true if female.
        nik_female: bool,
    },
    /// A number starting with 0: a temporary number from a village system.
    Temporary,
}

impl fmt::Display for NikWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NikWarning::BirthDate { nik, stated } => write!(
                f,
                "the NIK encodes the birth date {nik}, the stated birth date is {stated}"
            ),
            NikWarning::Sex { nik_female } => write!(
                f,
                "the NIK encodes a {} but the stated sex differs",
                if *nik_female { "woman" } else { "man" }
            ),
            NikWarning::Temporary => {
                f.write_str("the NIK starts with 0: a temporary village number")
            }
        }
    }
}

/// A well-formed NIK and what it encodes.
#[derive(Clone, PartialEq, Eq)]
pub struct Nik {
    digits: String,
    /// The birth date it encodes (century chosen as described in [`parse`]).
    pub birth_date: Date,
    /// Whether it encodes a woman (day + 40).
    pub female: bool,
}

impl fmt::Debug for Nik {
    // A NIK is personal data: never printed whole.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nik({}**********)", &self.digits[..6])
    }
}

impl Nik {
    /// The 16 digits.
    pub fn as_str(&self) -> &str {
        &self.digits
    }
}

/// Parses and checks a NIK. The two-digit year is placed in the century that makes the person
/// no older than 120 and not born after `today`.
///
/// ```
/// use rekam_pipeline::nik::parse;
/// let today = time::macros::date!(2026 - 11 - 22);
/// let n = parse("3578 0155 0799 0002", today).unwrap();
/// assert!(n.female);
/// assert_eq!(n.birth_date, time::macros::date!(1999 - 07 - 15));
/// assert!(parse("3578010101990000", today).is_err()); // serial 0000
/// assert!(parse("9978010101990001", today).is_err()); // province 99
/// ```
pub fn parse(s: &str, today: Date) -> Result<Nik, NikError> {
    // The one canonical form (rekam_record::canonical_nik), shared with the store's index,
    // the recording-once check and the sealed manifest.
    let digits = rekam_record::canonical_nik(s).map_err(|e| match e {
        rekam_record::HeaderError::NikLength(n) => NikError::Length(n),
        _ => NikError::NotDigits,
    })?;
    let d = |i: usize| digits.as_bytes()[i] - b'0';
    let two = |i: usize| d(i) * 10 + d(i + 1);
    let province = two(0);
    // A leading 0 is a temporary village number: accepted with a warning, region not checked.
    if province >= 10 && !PROVINCES.contains(&province) {
        return Err(NikError::Province(province));
    }
    if province >= 10 && (two(2) == 0 || two(4) == 0) {
        return Err(NikError::Region);
    }
    let (mut day, month, yy) = (two(6), two(8), two(10));
    let female = day > 40;
    if female {
        day -= 40;
    }
    let bad_date = || NikError::Date(digits[6..12].to_string());
    let month = Month::try_from(month).map_err(|_| bad_date())?;
    let this_century = today.year() - today.year().rem_euclid(100);
    let mut year = this_century + i32::from(yy);
    if year > today.year() {
        year -= 100;
    }
    let birth_date = Date::from_calendar_date(year, month, day).map_err(|_| bad_date())?;
    if digits.ends_with("0000") {
        return Err(NikError::Serial);
    }
    Ok(Nik {
        digits,
        birth_date,
        female,
    })
}

/// The warnings for a NIK against the stated birth date and sex.
pub fn warnings(nik: &Nik, stated_birth: Date, stated_female: bool) -> Vec<NikWarning> {
    let mut w = Vec::new();
    if nik.as_str().starts_with('0') {
        w.push(NikWarning::Temporary);
    }
    if nik.birth_date != stated_birth {
        w.push(NikWarning::BirthDate {
            nik: nik.birth_date,
            stated: stated_birth,
        });
    }
    if nik.female != stated_female {
        w.push(NikWarning::Sex {
            nik_female: nik.female,
        });
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 22);

    #[test]
    fn women_have_forty_added_to_the_day() {
        let man = parse("3578011207990001", TODAY).unwrap();
        assert!(!man.female);
        assert_eq!(man.birth_date, date!(1999 - 07 - 12));
        let woman = parse("3578015207990001", TODAY).unwrap();
        assert!(woman.female);
        assert_eq!(woman.birth_date, date!(1999 - 07 - 12));
    }

    #[test]
    fn century_is_chosen_by_today() {
        assert_eq!(
            parse("3578010101100001", TODAY).unwrap().birth_date.year(),
            2010
        );
        assert_eq!(
            parse("3578010101300001", TODAY).unwrap().birth_date.year(),
            1930
        );
    }

    #[test]
    fn impossible_values_are_errors() {
        assert_eq!(parse("357801", TODAY), Err(NikError::Length(6)));
        assert_eq!(parse("35780101019900a1", TODAY), Err(NikError::NotDigits));
        assert_eq!(
            parse("3578/0101/0199/0001", TODAY),
            Err(NikError::NotDigits)
        );
        assert_eq!(
            parse("3578-0101-0199-0001", TODAY).unwrap().as_str(),
            "3578010101990001"
        );
        assert_eq!(
            parse("2078010101990001", TODAY),
            Err(NikError::Province(20))
        );
        assert_eq!(parse("3500010101990001", TODAY), Err(NikError::Region));
        assert!(matches!(
            parse("3578013202990001", TODAY),
            Err(NikError::Date(_))
        )); // 32 Feb
        assert!(matches!(
            parse("3578017202990001", TODAY),
            Err(NikError::Date(_))
        )); // 72-40=32
        assert!(matches!(
            parse("3578010113990001", TODAY),
            Err(NikError::Date(_))
        )); // month 13
        assert!(matches!(
            parse("3578012902990001", TODAY),
            Err(NikError::Date(_))
        )); // 29 Feb 1999
        assert!(parse("3578012902000001", TODAY).is_ok()); // 29 Feb 2000
        assert_eq!(parse("3578010101990000", TODAY), Err(NikError::Serial));
        for e in [NikError::Serial, NikError::Region, NikError::Province(1)] {
            assert!(!e.id().is_empty());
        }
    }

    #[test]
    fn mismatches_are_warnings_not_errors() {
        let n = parse("3578015507990002", TODAY).unwrap();
        assert!(warnings(&n, date!(1999 - 07 - 15), true).is_empty());
        let w = warnings(&n, date!(1999 - 07 - 16), false);
        assert_eq!(w.len(), 2);
        assert!(w[0].to_string().contains("1999-07-15"));
        let t = parse("0000010101990001", TODAY).unwrap();
        assert!(warnings(&t, date!(1999 - 01 - 01), false).contains(&NikWarning::Temporary));
    }

    #[test]
    fn debug_hides_the_number() {
        let n = parse("3578015507990002", TODAY).unwrap();
        assert_eq!(format!("{n:?}"), "Nik(357801**********)");
    }
}
