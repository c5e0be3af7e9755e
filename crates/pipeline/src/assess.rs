//! The station's scorer: every capture goes to the quality crate's scorer for its modality.

use image::{buffer::ConvertBuffer, GrayImage, RgbImage};
use rekam_device::{Capture, Pixels};
use rekam_quality::{face, finger, iris, signature, QualityReport};
use rekam_record::Person;

use crate::engine::Assessor;
use crate::session::Step;

/// Fingerprint resolution assumed when a scanner does not report one (the serial modules do
/// not; they are 500 ppi sensors).
pub const DEFAULT_FINGER_PPI: u32 = 500;

/// Scores captures with [`rekam_quality`]: fingerprints (NFIQ 2 class), irises
/// (ISO/IEC 29794-6), the face (ICAO 9303 portrait, with the background colour the person's
/// birth year asks for) and the signature.
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardAssessor;

impl Assessor for StandardAssessor {
    /// The face is kept as the portrait: the centred 3:4 crop of the camera frame
    /// ([`face::portrait_crop`]), the photo the card carries and the one the face quality
    /// measures. Other captures are kept whole.
    fn prepare(&self, step: Step, capture: Capture) -> Capture {
        match (step, capture) {
            (Step::Face, Capture::Image(mut i)) => {
                if let Pixels::Rgb(frame) = &i.pixels {
                    let r = face::portrait_crop_rect(frame.width(), frame.height());
                    if r.width >= face::MIN_SIDE && r.height >= face::MIN_SIDE {
                        i.pixels = Pixels::Rgb(face::portrait_crop(frame));
                    }
                }
                Capture::Image(i)
            }
            (_, c) => c,
        }
    }

    fn assess(
        &self,
        step: Step,
        capture: &Capture,
        person: &Person,
    ) -> Result<QualityReport, String> {
        let fail = |e: rekam_quality::Error| e.to_string();
        match (step, capture) {
            (Step::Finger(_), Capture::Image(i)) => {
                finger::assess(&grey(&i.pixels), i.ppi.unwrap_or(DEFAULT_FINGER_PPI)).map_err(fail)
            }
            (Step::Iris(_), Capture::Image(i)) => iris::assess(&grey(&i.pixels)).map_err(fail),
            (Step::Face, Capture::Image(i)) => {
                let expected = birth_year(&person.birth_date).map(face::background_for_birth_year);
                // After `prepare` the image is the 3:4 portrait, whose crop is itself.
                face::assess_frame(&rgb(&i.pixels), expected).map_err(fail)
            }
            (Step::Signature, Capture::Pen(p)) => signature::assess(p).map_err(fail),
            (step, Capture::Pen(_)) => Err(format!("a pen series cannot be scored for {step:?}")),
            (step, Capture::Image(_)) => Err(format!("an image cannot be scored for {step:?}")),
        }
    }
}

/// The year of a `YYYY-MM-DD` birth date.
pub fn birth_year(date: &str) -> Option<i32> {
    date.get(..4)?.parse().ok()
}

fn grey(p: &Pixels) -> GrayImage {
    match p {
        Pixels::Gray(g) => g.clone(),
        Pixels::Rgb(c) => c.convert(),
    }
}

fn rgb(p: &Pixels) -> RgbImage {
    match p {
        Pixels::Rgb(c) => c.clone(),
        Pixels::Gray(g) => g.convert(),
    }
}
