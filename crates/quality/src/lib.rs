//! Quality of every capture, scored the way the standards do, fast enough for live feedback.
//!
//! Every modality returns a [`QualityReport`]: a score from 0 to 100, the named component
//! measures, and feedback the operator can act on. Each measure is defined in
//! `docs/quality.md` (definition, range, the standard it follows, what the operator is told).
//!
//! The crate is pure: an image or a pen series in, a report out. No device or storage code.
#![warn(missing_docs)]

pub mod face;
pub mod finger;
pub mod iris;
pub mod signature;

use serde::Serialize;

/// Which kind of capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// A fingerprint image (500 ppi grey).
    Finger,
    /// A near-infrared iris image.
    Iris,
    /// A face photograph.
    Face,
    /// A pen series.
    Signature,
}

impl Modality {
    /// A stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Modality::Finger => "finger",
            Modality::Iris => "iris",
            Modality::Face => "face",
            Modality::Signature => "signature",
        }
    }
}

/// One named component measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measure {
    /// Stable name, e.g. `orientation_certainty`.
    pub name: &'static str,
    /// Its value, in the unit documented in `docs/quality.md`.
    pub value: f64,
}

/// Something the operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feedback {
    /// Stable code, e.g. `too_little_foreground`.
    pub code: &'static str,
    /// What to tell or do, in Bahasa Indonesia.
    pub id: &'static str,
    /// The same in English.
    pub en: &'static str,
}

/// The quality of one capture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityReport {
    /// Which modality.
    pub modality: Modality,
    /// 0 (unusable) to 100 (best).
    pub score: u8,
    /// The component measures.
    pub measures: Vec<Measure>,
    /// What to fix, most important first; empty when nothing needs fixing.
    pub feedback: Vec<Feedback>,
}

impl QualityReport {
    /// The value of the measure called `name`.
    pub fn measure(&self, name: &str) -> Option<f64> {
        self.measures
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }

    /// Whether feedback with `code` was given.
    pub fn has_feedback(&self, code: &str) -> bool {
        self.feedback.iter().any(|f| f.code == code)
    }
}

/// Why an input cannot be scored at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The image is too small or too large for the modality.
    #[error("the image is {width} x {height} pixels; {modality} quality needs {need}")]
    Size {
        /// Modality.
        modality: &'static str,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// What is needed.
        need: &'static str,
    },
    /// The input is of the wrong kind (e.g. a colour image where grey is needed is converted,
    /// but a pen series given as an image is not).
    #[error("{0}")]
    Input(String),
}
