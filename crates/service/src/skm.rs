//! The community satisfaction survey, SKM (Survei Kepuasan Masyarakat), per PermenPAN-RB
//! No. 14/2017, as summarised in DOMAIN.md:
//!
//! - nine elements (unsur), each scored 1 (not good) to 4 (very good) by each respondent;
//! - NRR of an element (nilai rata-rata) = the sum of its scores / the number of respondents;
//! - the index = Σ NRRᵢ × 1/9 (each element weighted equally; the regulation writes the weight
//!   as 1/9 ≈ 0.11), between 1 and 4;
//! - the unit score = index × 25, between 25 and 100;
//! - the grade from the unit score rounded to two decimals: A (very good) 88.31-100,
//!   B (good) 76.61-88.30, C (less good) 65.00-76.60, D (not good) 25.00-64.99;
//! - the minimum sample for a population of N served by Krejcie & Morgan (1970):
//!   s = X²NP(1-P) / (d²(N-1) + X²P(1-P)) with X² = 3.841, P = 0.5, d = 0.05, rounded up
//!   (N = 1,000 → 278).
//!
//! The office runs the survey each semester (004 C.8) with tokens or a machine at the counter
//! (002 8.11, 004 C.2).

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::error::{Error, Result};
use crate::store::{self, Tr};
use crate::ticket::day_key;
use crate::{Actor, Lang, Role, Service};

/// The nine elements, in the regulation's order: (Indonesian, English).
pub const ELEMENTS: [(&str, &str); 9] = [
    ("Persyaratan", "Requirements"),
    ("Sistem, mekanisme, dan prosedur", "Procedure"),
    ("Waktu penyelesaian", "Completion time"),
    ("Biaya/tarif", "Cost"),
    ("Produk spesifikasi jenis pelayanan", "Product"),
    ("Kompetensi pelaksana", "Staff competence"),
    ("Perilaku pelaksana", "Staff behaviour"),
    (
        "Penanganan pengaduan, saran dan masukan",
        "Complaint handling",
    ),
    ("Sarana dan prasarana", "Facilities"),
];

/// A grade (mutu pelayanan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grade {
    /// Sangat baik, 88.31-100.
    A,
    /// Baik, 76.61-88.30.
    B,
    /// Kurang baik, 65.00-76.60.
    C,
    /// Tidak baik, 25.00-64.99.
    D,
}

impl Grade {
    /// The grade of a unit score (rounded to two decimals first).
    pub fn of(unit_score: f64) -> Grade {
        let hundredths = (unit_score * 100.0).round() as i64;
        if hundredths >= 8831 {
            Grade::A
        } else if hundredths >= 7661 {
            Grade::B
        } else if hundredths >= 6500 {
            Grade::C
        } else {
            Grade::D
        }
    }

    /// The regulation's words.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Grade::A => lang.pick("Sangat Baik", "Very good"),
            Grade::B => lang.pick("Baik", "Good"),
            Grade::C => lang.pick("Kurang Baik", "Less good"),
            Grade::D => lang.pick("Tidak Baik", "Not good"),
        }
    }

    /// "A", "B", "C" or "D".
    pub fn letter(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
        }
    }
}

/// The result over a set of responses.
#[derive(Debug, Clone, PartialEq)]
pub struct SkmResult {
    /// Respondents.
    pub respondents: usize,
    /// NRR per element.
    pub nrr: [f64; 9],
    /// NRR × 1/9 per element.
    pub weighted: [f64; 9],
    /// Σ weighted, 1 to 4.
    pub index: f64,
    /// Index × 25.
    pub unit_score: f64,
    /// The grade.
    pub grade: Grade,
}

/// Computes the SKM over responses (each nine scores 1-4). `None` for no responses.
pub fn compute(responses: &[[u8; 9]]) -> Option<SkmResult> {
    if responses.is_empty() {
        return None;
    }
    let n = responses.len() as f64;
    let mut nrr = [0.0; 9];
    for (i, v) in nrr.iter_mut().enumerate() {
        let sum: u32 = responses.iter().map(|r| u32::from(r[i])).sum();
        *v = f64::from(sum) / n;
    }
    let weighted = nrr.map(|x| x / 9.0);
    let index: f64 = weighted.iter().sum();
    let unit_score = index * 25.0;
    Some(SkmResult {
        respondents: responses.len(),
        nrr,
        weighted,
        index,
        unit_score,
        grade: Grade::of(unit_score),
    })
}

/// The minimum sample for `population` served, Krejcie & Morgan (1970), rounded up.
///
/// ```
/// use rekam_service::skm::krejcie_morgan;
/// assert_eq!(krejcie_morgan(1000), 278);
/// assert_eq!(krejcie_morgan(100), 80);
/// assert_eq!(krejcie_morgan(0), 0);
/// ```
pub fn krejcie_morgan(population: u64) -> u64 {
    if population == 0 {
        return 0;
    }
    const X2: f64 = 3.841;
    const P: f64 = 0.5;
    const D: f64 = 0.05;
    let n = population as f64;
    let s = X2 * n * P * (1.0 - P) / (D * D * (n - 1.0) + X2 * P * (1.0 - P));
    // Round up, but do not let floating-point noise (…000000001) add one.
    let rounded = (s * 1e9).round() / 1e9;
    rounded.ceil() as u64
}

/// One respondent's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyResponse {
    /// `SK-YYYYMMDD-NNNN`.
    pub id: String,
    /// When entered.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The nine scores.
    pub scores: [u8; 9],
    /// The service used, if known.
    pub service: Option<String>,
    /// Who entered the form (or `survey-machine`).
    pub entered_by: String,
}

/// Which half of the year.
pub fn semester_bounds(year: i32, semester: u8) -> Result<(Date, Date)> {
    let bad = |_| Error::invalid("Tahun tidak sah.", "Not a valid year.");
    match semester {
        1 => Ok((
            Date::from_calendar_date(year, time::Month::January, 1).map_err(bad)?,
            Date::from_calendar_date(year, time::Month::July, 1).map_err(bad)?,
        )),
        2 => Ok((
            Date::from_calendar_date(year, time::Month::July, 1).map_err(bad)?,
            Date::from_calendar_date(year + 1, time::Month::January, 1).map_err(bad)?,
        )),
        _ => Err(Error::invalid(
            "Semester harus 1 atau 2.",
            "A semester is 1 or 2.",
        )),
    }
}

/// The semester report.
#[derive(Debug, Clone, PartialEq)]
pub struct SemesterReport {
    /// Year.
    pub year: i32,
    /// 1 or 2.
    pub semester: u8,
    /// People served in the semester: applications opened.
    pub served: u64,
    /// Krejcie & Morgan minimum for `served`.
    pub min_sample: u64,
    /// The result, if any response.
    pub result: Option<SkmResult>,
}

impl SemesterReport {
    /// Whether enough people answered.
    pub fn sample_sufficient(&self) -> bool {
        self.result.as_ref().map_or(self.min_sample == 0, |r| {
            r.respondents as u64 >= self.min_sample
        })
    }
}

impl Service {
    /// Enters one respondent's form.
    pub fn record_survey(
        &self,
        by: &Actor,
        scores: [u8; 9],
        service: Option<&str>,
    ) -> Result<SurveyResponse> {
        let role = by.require(
            &[Role::FrontOffice, Role::Supervisor],
            "mencatat survei",
            "enter survey forms",
        )?;
        if let Some((i, s)) = scores
            .iter()
            .enumerate()
            .find(|(_, s)| !(1..=4).contains(*s))
        {
            return Err(Error::invalid(
                format!(
                    "Nilai unsur {} ({}) adalah {s}; nilai harus 1 sampai 4.",
                    i + 1,
                    ELEMENTS[i].0
                ),
                format!(
                    "Element {} ({}) is scored {s}; scores are 1 to 4.",
                    i + 1,
                    ELEMENTS[i].1
                ),
            ));
        }
        if let Some(s) = service {
            self.office.service(s)?;
        }
        let now = self.now();
        let day = day_key(now.date());
        self.step(|tx| {
            let seq = tx.next_counter(&format!("survey/{day}"))?;
            let r = SurveyResponse {
                id: format!("SK-{day}-{seq:04}"),
                at: now,
                scores,
                service: service.map(str::to_string),
                entered_by: by.username().to_string(),
            };
            tx.put(Tr::Survey, &r.id, &r)?;
            self.audit_plain(tx, by.username(), Some(role), "survey_record", &r.id, "")?;
            Ok(r)
        })
    }

    /// Responses entered on `from..to` (`to` exclusive).
    pub fn survey_responses(&self, from: Date, to: Date) -> Result<Vec<SurveyResponse>> {
        let start = format!("SK-{}", day_key(from));
        let end = format!("SK-{}", day_key(to));
        let mut out = Vec::new();
        for kv in self.trees.survey.range(start.as_bytes()..end.as_bytes()) {
            let (_, v) = kv?;
            out.push(store::decode(&v)?);
        }
        Ok(out)
    }

    /// The semester report (004 C.8).
    pub fn semester_report(&self, by: &Actor, year: i32, semester: u8) -> Result<SemesterReport> {
        by.require(
            &[Role::Supervisor, Role::HeadOfOffice],
            "melihat laporan",
            "see reports",
        )?;
        let (from, to) = semester_bounds(year, semester)?;
        let scores: Vec<[u8; 9]> = self
            .survey_responses(from, to)?
            .into_iter()
            .map(|r| r.scores)
            .collect();
        let served = self.applications_opened(from, to)?.len() as u64;
        Ok(SemesterReport {
            year,
            semester,
            served,
            min_sample: krejcie_morgan(served),
            result: compute(&scores),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn krejcie_morgan_rounds_up() {
        // N = 1000 by hand: 3.841 × 1000 × 0.25 = 960.25; 0.0025 × 999 + 0.96025 = 3.45775;
        // 960.25 / 3.45775 = 277.71 → 278 (DOMAIN.md).
        assert_eq!(krejcie_morgan(1000), 278);
        // N = 50: 48.0125 / (0.1225 + 0.96025) = 44.34 → 45 rounded up. Krejcie & Morgan's
        // printed table rounds to the nearest and shows 44; rounding up never gives fewer.
        assert_eq!(krejcie_morgan(50), 45);
        // The printed table, nearest-rounded: ours is the table's value or one more.
        for (n, table) in [
            (10, 10),
            (50, 44),
            (100, 80),
            (200, 132),
            (500, 217),
            (1000, 278),
            (2000, 322),
            (10000, 370),
        ] {
            let s = krejcie_morgan(n);
            assert!(s == table || s == table + 1, "N = {n}: {s} against {table}");
        }
        assert_eq!(krejcie_morgan(1), 1);
    }

    #[test]
    fn grade_boundaries() {
        assert_eq!(Grade::of(100.0), Grade::A);
        assert_eq!(Grade::of(88.31), Grade::A);
        assert_eq!(Grade::of(88.30), Grade::B);
        assert_eq!(Grade::of(88.304), Grade::B);
        assert_eq!(Grade::of(88.305), Grade::A);
        assert_eq!(Grade::of(76.61), Grade::B);
        assert_eq!(Grade::of(76.60), Grade::C);
        assert_eq!(Grade::of(65.00), Grade::C);
        assert_eq!(Grade::of(64.99), Grade::D);
        assert_eq!(Grade::of(25.0), Grade::D);
    }

    #[test]
    fn four_respondents_by_hand() {
        // Scores per respondent, elements U1..U9:
        //   R1: 4 4 4 4 4 4 4 4 4
        //   R2: 3 3 3 3 3 3 3 3 3
        //   R3: 4 3 4 3 4 3 4 3 4
        //   R4: 3 3 3 4 4 4 2 3 3
        // Column sums: 14 13 14 14 15 14 13 13 14 → NRR = sum / 4:
        //   3.50 3.25 3.50 3.50 3.75 3.50 3.25 3.25 3.50
        // Σ NRR = 31.00; index = 31 / 9 = 3.4444; unit score = 3.4444 × 25 = 86.11 → B (Baik).
        let r = compute(&[
            [4, 4, 4, 4, 4, 4, 4, 4, 4],
            [3, 3, 3, 3, 3, 3, 3, 3, 3],
            [4, 3, 4, 3, 4, 3, 4, 3, 4],
            [3, 3, 3, 4, 4, 4, 2, 3, 3],
        ])
        .unwrap();
        assert_eq!(r.nrr, [3.5, 3.25, 3.5, 3.5, 3.75, 3.5, 3.25, 3.25, 3.5]);
        assert!((r.index - 31.0 / 9.0).abs() < 1e-12);
        assert_eq!(format!("{:.2}", r.unit_score), "86.11");
        assert_eq!(r.grade, Grade::B);
        assert!(compute(&[]).is_none());
        // All 4s is 100, A; all 1s is 25, D.
        assert!((compute(&[[4; 9]]).unwrap().unit_score - 100.0).abs() < 1e-9);
        assert_eq!(compute(&[[4; 9]]).unwrap().grade, Grade::A);
        assert_eq!(compute(&[[1; 9]]).unwrap().grade, Grade::D);
    }

    #[test]
    fn scores_outside_one_to_four_are_refused() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        let _ = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        let e = svc
            .record_survey(&loket, [4, 4, 5, 4, 4, 4, 4, 4, 4], None)
            .unwrap_err();
        assert!(
            e.message(Lang::Id).contains("Waktu penyelesaian"),
            "{}",
            e.message(Lang::Id)
        );
        svc.record_survey(&loket, [4; 9], Some("perekaman"))
            .unwrap();
        let op = svc.authenticate("operator", PW).unwrap();
        assert!(svc.record_survey(&op, [4; 9], None).is_err());
    }
}
