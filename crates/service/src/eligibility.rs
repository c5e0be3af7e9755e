//! Who may get a KTP-el: aged 17, or married or ever married (UU 24/2013 art. 63; seeds 001,
//! 002). Recording may start at 16 where the office allows it; printing then waits.

use time::Date;

use crate::config::EligibilityRules;
use crate::Lang;

/// Marital status as on the family card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaritalStatus {
    /// Belum kawin.
    Single,
    /// Kawin.
    Married,
    /// Cerai hidup.
    Divorced,
    /// Cerai mati.
    Widowed,
}

impl MaritalStatus {
    /// Parses `single`, `married`, `divorced`, `widowed` or the Indonesian words
    /// (`belum_kawin`, `kawin`, `cerai_hidup`, `cerai_mati`).
    pub fn parse(s: &str) -> Option<MaritalStatus> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "single" | "belum_kawin" => Some(MaritalStatus::Single),
            "married" | "kawin" => Some(MaritalStatus::Married),
            "divorced" | "cerai_hidup" => Some(MaritalStatus::Divorced),
            "widowed" | "cerai_mati" => Some(MaritalStatus::Widowed),
            _ => None,
        }
    }

    /// Married now or before.
    pub fn ever_married(self) -> bool {
        !matches!(self, MaritalStatus::Single)
    }
}

/// Age in whole years on `on` (a birthday on 29 February counts on 1 March in other years).
pub fn age_on(birth: Date, on: Date) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month() as u8, on.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    age
}

/// The date on which someone born on `birth` turns `years`.
pub fn birthday(birth: Date, years: u8) -> Date {
    let y = birth.year() + i32::from(years);
    Date::from_calendar_date(y, birth.month(), birth.day())
        .or_else(|_| Date::from_calendar_date(y, time::Month::March, 1))
        .unwrap_or(birth)
}

/// The outcome of the age check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligibility {
    /// May be recorded and the card printed.
    Eligible,
    /// May be recorded now; the card may be printed from this date.
    RecordNowPrintFrom(Date),
    /// Not yet; the reason in both languages.
    Refused(crate::Msg),
}

/// Checks an applicant on `today`.
pub fn check(
    rules: &EligibilityRules,
    birth: Date,
    marital: MaritalStatus,
    today: Date,
) -> Eligibility {
    let age = age_on(birth, today);
    if birth > today {
        return Eligibility::Refused(crate::Msg::new(
            "Tanggal lahir ada di masa depan; periksa kembali.",
            "The birth date is in the future; check it again.",
        ));
    }
    if marital.ever_married() || age >= i32::from(rules.min_age) {
        return Eligibility::Eligible;
    }
    let full = birthday(birth, rules.min_age);
    if age >= i32::from(rules.recording_from_age) {
        return Eligibility::RecordNowPrintFrom(full);
    }
    let d = crate::datefmt::fmt_date(full, Lang::Id);
    let de = crate::datefmt::fmt_date(full, Lang::En);
    Eligibility::Refused(crate::Msg::new(
        format!(
            "Pemohon berumur {age} tahun dan belum pernah kawin; KTP-el baru dapat diterbitkan \
             mulai umur {} tahun ({d}).",
            rules.min_age
        ),
        format!(
            "The applicant is {age} and has never married; a KTP-el can be issued from age {} \
             ({de}).",
            rules.min_age
        ),
    ))
}

/// The photo background of the older rule kept in 003 2.2: blue for an even birth year, red for
/// an odd one.
pub fn photo_background(birth_year: i32, lang: Lang) -> &'static str {
    if birth_year % 2 == 0 {
        lang.pick("biru", "blue")
    } else {
        lang.pick("merah", "red")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const LAW: EligibilityRules = EligibilityRules {
        min_age: 17,
        recording_from_age: 17,
    };
    const EARLY: EligibilityRules = EligibilityRules {
        min_age: 17,
        recording_from_age: 16,
    };

    #[test]
    fn ages_turn_on_the_birthday() {
        assert_eq!(age_on(date!(2009 - 03 - 10), date!(2026 - 03 - 09)), 16);
        assert_eq!(age_on(date!(2009 - 03 - 10), date!(2026 - 03 - 10)), 17);
        assert_eq!(age_on(date!(2008 - 02 - 29), date!(2025 - 02 - 28)), 16);
        assert_eq!(age_on(date!(2008 - 02 - 29), date!(2025 - 03 - 01)), 17);
        assert_eq!(birthday(date!(2008 - 02 - 29), 17), date!(2025 - 03 - 01));
    }

    #[test]
    fn seventeen_or_ever_married() {
        let today = date!(2026 - 03 - 10);
        assert_eq!(
            check(&LAW, date!(2009 - 03 - 10), MaritalStatus::Single, today),
            Eligibility::Eligible
        );
        assert_eq!(
            check(&LAW, date!(2010 - 01 - 01), MaritalStatus::Married, today),
            Eligibility::Eligible
        );
        assert_eq!(
            check(&LAW, date!(2010 - 01 - 01), MaritalStatus::Divorced, today),
            Eligibility::Eligible
        );
        match check(&LAW, date!(2009 - 03 - 11), MaritalStatus::Single, today) {
            Eligibility::Refused(m) => {
                assert!(m.id.contains("berumur 16 tahun"), "{}", m.id);
                assert!(m.id.contains("11 Maret 2026"), "{}", m.id);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn early_recording_waits_for_printing() {
        let today = date!(2026 - 03 - 10);
        assert_eq!(
            check(&EARLY, date!(2009 - 06 - 01), MaritalStatus::Single, today),
            Eligibility::RecordNowPrintFrom(date!(2026 - 06 - 01))
        );
        assert!(matches!(
            check(&EARLY, date!(2010 - 06 - 01), MaritalStatus::Single, today),
            Eligibility::Refused(_)
        ));
    }

    #[test]
    fn photo_background_by_birth_year() {
        assert_eq!(photo_background(2000, Lang::Id), "biru");
        assert_eq!(photo_background(1999, Lang::Id), "merah");
        assert_eq!(photo_background(1999, Lang::En), "red");
    }
}
