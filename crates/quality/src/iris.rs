//! Iris quality: is a near-infrared eye image good enough to enrol (ISO/IEC 29794-6)?
//!
//! [`assess`] segments the pupil, the iris and the eyelids ([`segment()`]), then computes the
//! measures of ISO/IEC 29794-6 that a single image allows: usable iris area, iris-sclera and
//! iris-pupil contrast, pupil boundary circularity, grey-level utilisation, iris radius,
//! pupil-iris ratio, iris-pupil concentricity, margin adequacy and sharpness. The score
//! combines them (see `docs/quality/iris.md`); the feedback tells the operator what to change
//! (move closer, open the eyes wider, hold still, more light ...).
//!
//! ```
//! use image::GrayImage;
//! use rekam_quality::iris::{assess, code};
//!
//! // A grey card in front of the camera: no eye.
//! let report = assess(&GrayImage::from_pixel(640, 480, image::Luma([128]))).unwrap();
//! assert_eq!(report.score, 0);
//! assert!(report.has_feedback(code::NO_IRIS));
//! ```

mod segment;

pub use segment::{segment, Circle, Segmentation};

use image::GrayImage;

use crate::{Error, Feedback, Measure, Modality, QualityReport};

/// Scores at or above this are accepted; every capture with a refusal scores below it.
pub const ACCEPT_SCORE: u8 = 40;

/// The thresholds, in the units of the measures (see `docs/quality/iris.md`).
pub mod limits {
    /// Smallest accepted image side, pixels.
    pub const MIN_SIDE: u32 = 160;
    /// Largest accepted image side, pixels.
    pub const MAX_SIDE: u32 = 4096;
    /// Usable iris area below this (per cent) is refused (full credit from 70, see the docs).
    pub const MIN_USABLE_AREA: f64 = 50.0;
    /// Iris-sclera contrast below this is refused.
    pub const MIN_IRIS_SCLERA_CONTRAST: f64 = 5.0;
    /// Iris-pupil contrast below this is refused.
    pub const MIN_IRIS_PUPIL_CONTRAST: f64 = 30.0;
    /// Pupil boundary circularity below this is refused.
    pub const MIN_PUPIL_CIRCULARITY: f64 = 60.0;
    /// Grey-level utilisation below this many bits is refused.
    pub const MIN_GREY_LEVEL_UTILISATION: f64 = 6.0;
    /// Iris radius below this many pixels is refused (an iris diameter of 200 pixels).
    pub const MIN_IRIS_RADIUS: f64 = 100.0;
    /// Pupil-iris ratio (per cent) below this is refused.
    pub const MIN_PUPIL_IRIS_RATIO: f64 = 20.0;
    /// Pupil-iris ratio (per cent) above this is refused.
    pub const MAX_PUPIL_IRIS_RATIO: f64 = 70.0;
    /// Iris-pupil concentricity below this is refused.
    pub const MIN_CONCENTRICITY: f64 = 90.0;
    /// Margin adequacy below this is refused.
    pub const MIN_MARGIN_ADEQUACY: f64 = 80.0;
    /// Sharpness below this is refused.
    pub const MIN_SHARPNESS: f64 = 30.0;
    /// An image whose 95th-percentile grey level is below this is too dark.
    pub const DARK_P95: u8 = 110;
    /// An image whose 5th-percentile grey level is above this is too bright.
    pub const BRIGHT_P05: u8 = 150;
}

/// The stable feedback codes.
pub mod code {
    /// No open eye was found.
    pub const NO_IRIS: &str = "no_iris";
    /// The image is underexposed.
    pub const TOO_DARK: &str = "too_dark";
    /// The image is overexposed.
    pub const TOO_BRIGHT: &str = "too_bright";
    /// The iris is too small: the applicant is too far.
    pub const MOVE_CLOSER: &str = "move_closer";
    /// The iris does not fit in the image with margins: the eye is off-centre or too close.
    pub const CENTRE_EYE: &str = "centre_eye";
    /// Eyelids or lashes cover too much iris.
    pub const OPEN_EYES: &str = "open_eyes";
    /// Gaze away from the camera (iris and pupil not concentric, pupil not round).
    pub const LOOK_AT_CAMERA: &str = "look_at_camera";
    /// The image is blurred (defocus or motion).
    pub const HOLD_STILL: &str = "hold_still";
    /// The pupil is too dilated or too constricted.
    pub const PUPIL_SIZE: &str = "pupil_size";
    /// The boundaries are faint although the exposure is fine.
    pub const LOW_CONTRAST: &str = "low_contrast";
}

const NO_IRIS: Feedback = Feedback {
    code: code::NO_IRIS,
    id: "Mata tidak terdeteksi. Minta pemohon membuka mata lebar-lebar dan menatap ke kamera.",
    en:
        "No open eye was found. Ask the applicant to open their eyes wide and look into the camera.",
};
const TOO_DARK: Feedback = Feedback {
    code: code::TOO_DARK,
    id: "Gambar terlalu gelap. Periksa lampu inframerah kamera iris dan pastikan tidak ada yang menghalanginya.",
    en: "The image is too dark. Check the iris camera's infrared illuminator and that nothing blocks it.",
};
const TOO_BRIGHT: Feedback = Feedback {
    code: code::TOO_BRIGHT,
    id: "Gambar terlalu terang. Jauhkan kamera dari sinar matahari atau lampu terang, lalu ulangi.",
    en: "The image is too bright. Shield the camera from sunlight or bright lamps and try again.",
};
const MOVE_CLOSER: Feedback = Feedback {
    code: code::MOVE_CLOSER,
    id: "Iris terlalu kecil. Minta pemohon mendekat ke kamera.",
    en: "The iris is too small. Ask the applicant to move closer to the camera.",
};
const CENTRE_EYE: Feedback = Feedback {
    code: code::CENTRE_EYE,
    id: "Mata terlalu dekat ke tepi gambar. Minta pemohon menempatkan mata di tengah, sedikit menjauh bila terlalu dekat.",
    en: "The eye is too close to the edge of the image. Ask the applicant to centre the eye, moving back a little if too close.",
};
const OPEN_EYES: Feedback = Feedback {
    code: code::OPEN_EYES,
    id: "Kelopak mata atau bulu mata menutupi iris. Minta pemohon membuka mata lebih lebar.",
    en: "Eyelids or lashes cover the iris. Ask the applicant to open their eyes wider.",
};
const LOOK_AT_CAMERA: Feedback = Feedback {
    code: code::LOOK_AT_CAMERA,
    id: "Pandangan tidak lurus ke kamera. Minta pemohon menatap lurus ke lensa.",
    en: "The gaze is not straight at the camera. Ask the applicant to look straight into the lens.",
};
const HOLD_STILL: Feedback = Feedback {
    code: code::HOLD_STILL,
    id: "Gambar kabur. Minta pemohon diam sejenak agar kamera dapat memfokus, lalu ulangi.",
    en: "The image is blurred. Ask the applicant to hold still so the camera can refocus, then try again.",
};
const PUPIL_SIZE: Feedback = Feedback {
    code: code::PUPIL_SIZE,
    id: "Ukuran pupil tidak wajar (terlalu lebar atau terlalu sempit). Sesuaikan pencahayaan ruangan, lalu ulangi.",
    en: "The pupil is unusually large or small. Adjust the room lighting and try again.",
};
const LOW_CONTRAST: Feedback = Feedback {
    code: code::LOW_CONTRAST,
    id: "Batas iris kurang jelas. Bersihkan lensa kamera dan minta pemohon melepas lensa kontak berwarna bila ada.",
    en: "The iris boundaries are faint. Clean the camera lens and ask the applicant to remove patterned contact lenses if worn.",
};

/// Assesses a near-infrared eye image (8-bit grey, typically 640 x 480).
///
/// An image with no findable eye is not an error: it scores 0 with [`code::NO_IRIS`]. The
/// only error is an image whose sides are outside
/// [`limits::MIN_SIDE`]..=[`limits::MAX_SIDE`].
pub fn assess(img: &GrayImage) -> Result<QualityReport, Error> {
    let (w, h) = img.dimensions();
    if !(limits::MIN_SIDE..=limits::MAX_SIDE).contains(&w)
        || !(limits::MIN_SIDE..=limits::MAX_SIDE).contains(&h)
    {
        return Err(Error::Size {
            modality: "iris",
            width: w,
            height: h,
            need: "each side between 160 and 4096 pixels (iris cameras deliver 640 x 480)",
        });
    }
    let seg = segment(img);
    let m = Measures::of(img, seg.as_ref());
    Ok(m.report())
}

/// Every measure of one image, in the units of `docs/quality/iris.md`.
#[derive(Debug, Clone, Default, PartialEq)]
struct Measures {
    found: bool,
    usable_iris_area: f64,
    iris_sclera_contrast: f64,
    iris_pupil_contrast: f64,
    pupil_boundary_circularity: f64,
    grey_level_utilisation: f64,
    iris_radius: f64,
    pupil_iris_ratio: f64,
    iris_pupil_concentricity: f64,
    margin_adequacy: f64,
    sharpness: f64,
    p05: u8,
    p95: u8,
}

/// ISO/IEC 29794-6 sharpness kernel (9 x 9, applied every 4th pixel in both directions).
const SHARPNESS_KERNEL: [[i32; 9]; 9] = [
    [0, 1, 1, 2, 2, 2, 1, 1, 0],
    [1, 2, 4, 5, 5, 5, 4, 2, 1],
    [1, 4, 5, 3, 0, 3, 5, 4, 1],
    [2, 5, 3, -12, -24, -12, 3, 5, 2],
    [2, 5, 0, -24, -40, -24, 0, 5, 2],
    [2, 5, 3, -12, -24, -12, 3, 5, 2],
    [1, 4, 5, 3, 0, 3, 5, 4, 1],
    [1, 2, 4, 5, 5, 5, 4, 2, 1],
    [0, 1, 1, 2, 2, 2, 1, 1, 0],
];
/// Half-saturation constant of the sharpness power (Rekam's calibration; see the docs).
const SHARPNESS_C: f64 = 4.0e5;

/// Mean squared kernel response, sampled every 4th pixel.
fn sharpness_power(img: &GrayImage) -> f64 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let px = img.as_raw();
    let mut ss = 0.0f64;
    let mut n = 0u64;
    let mut y = 4;
    while y + 4 < h {
        let mut x = 4;
        while x + 4 < w {
            let mut s = 0i32;
            for (i, krow) in SHARPNESS_KERNEL.iter().enumerate() {
                let row = &px[(y + i - 4) * w + x - 4..(y + i - 4) * w + x + 5];
                for (k, &p) in krow.iter().zip(row) {
                    s += k * i32::from(p);
                }
            }
            ss += f64::from(s) * f64::from(s);
            n += 1;
            x += 4;
        }
        y += 4;
    }
    if n == 0 {
        0.0
    } else {
        ss / n as f64
    }
}

/// Shannon entropy of the grey-level histogram (bits) and the 5th / 95th percentiles.
fn histogram_stats(img: &GrayImage) -> (f64, u8, u8) {
    let mut hist = [0u64; 256];
    for &p in img.as_raw() {
        hist[usize::from(p)] += 1;
    }
    let n = img.as_raw().len() as f64;
    let mut e = 0.0;
    for &c in &hist {
        if c > 0 {
            let p = c as f64 / n;
            e -= p * p.log2();
        }
    }
    let pct = |q: f64| {
        let target = (q * n).ceil().max(1.0) as u64;
        let mut acc = 0u64;
        for (i, &c) in hist.iter().enumerate() {
            acc += c;
            if acc >= target {
                return i as u8;
            }
        }
        255
    };
    (e, pct(0.05), pct(0.95))
}

/// Circularity from the pupil radius function: 100 x (1 - 10 x relative amplitude of the
/// harmonics 2..=16).
fn circularity(radii: &[f64]) -> f64 {
    let n = radii.len();
    let valid: Vec<(usize, f64)> = radii
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, r)| *r > 0.0)
        .collect();
    if valid.len() < n / 2 || valid.is_empty() {
        return 0.0;
    }
    let mean = valid.iter().map(|v| v.1).sum::<f64>() / valid.len() as f64;
    let mut energy = 0.0;
    for k in 2..=16 {
        let (mut re, mut im) = (0.0, 0.0);
        for &(i, r) in &valid {
            let a = std::f64::consts::TAU * (k * i) as f64 / n as f64;
            re += (r - mean) * a.cos();
            im += (r - mean) * a.sin();
        }
        let amp = 2.0 * re.hypot(im) / valid.len() as f64;
        energy += amp * amp;
    }
    (100.0 * (1.0 - 10.0 * energy.sqrt() / mean)).clamp(0.0, 100.0)
}

impl Measures {
    fn of(img: &GrayImage, seg: Option<&Segmentation>) -> Measures {
        let (e, p05, p95) = histogram_stats(img);
        let power = sharpness_power(img);
        let mut m = Measures {
            grey_level_utilisation: e,
            sharpness: 100.0 * power * power / (power * power + SHARPNESS_C * SHARPNESS_C),
            p05,
            p95,
            ..Measures::default()
        };
        let Some(s) = seg else {
            return m;
        };
        let (w, h) = (f64::from(img.width()), f64::from(img.height()));
        m.found = true;
        m.usable_iris_area = 100.0 * s.usable;
        let (pu, ir, sc) = (s.grey_pupil, s.grey_iris, s.grey_sclera);
        let den = sc + ir - 2.0 * pu;
        m.iris_sclera_contrast = if den > 0.0 && sc.is_finite() {
            (100.0 * (sc - ir) / den).clamp(0.0, 100.0)
        } else {
            0.0
        };
        let weber = (s.grey_iris_inner - pu) / (20.0 + pu);
        m.iris_pupil_contrast = if weber > 0.0 {
            100.0 * weber / (0.75 + weber)
        } else {
            0.0
        };
        m.pupil_boundary_circularity = circularity(&s.pupil_radii);
        m.iris_radius = s.iris.r;
        m.pupil_iris_ratio = 100.0 * s.pupil.r / s.iris.r;
        let d = (s.pupil.x - s.iris.x).hypot(s.pupil.y - s.iris.y);
        m.iris_pupil_concentricity = (100.0 * (1.0 - d / s.iris.r)).max(0.0);
        let (cx, cy, r) = (s.iris.x + 0.5, s.iris.y + 0.5, s.iris.r);
        let lr = ((cx - r) / (0.6 * r)).min((w - cx - r) / (0.6 * r));
        let tb = ((cy - r) / (0.2 * r)).min((h - cy - r) / (0.2 * r));
        m.margin_adequacy = (100.0 * lr.min(tb)).clamp(0.0, 100.0);
        m
    }

    fn list(&self) -> Vec<Measure> {
        let v = |name, value: f64| Measure {
            name,
            value: (value * 1000.0).round() / 1000.0,
        };
        vec![
            v("usable_iris_area", self.usable_iris_area),
            v("iris_sclera_contrast", self.iris_sclera_contrast),
            v("iris_pupil_contrast", self.iris_pupil_contrast),
            v(
                "pupil_boundary_circularity",
                self.pupil_boundary_circularity,
            ),
            v("grey_level_utilisation", self.grey_level_utilisation),
            v("iris_radius", self.iris_radius),
            v("pupil_iris_ratio", self.pupil_iris_ratio),
            v("iris_pupil_concentricity", self.iris_pupil_concentricity),
            v("margin_adequacy", self.margin_adequacy),
            v("sharpness", self.sharpness),
        ]
    }

    /// Each component in 0..=1, with the feedback it gives below 0.4.
    fn components(&self) -> [(f64, Feedback); 10] {
        use limits::*;
        let ratio = if self.pupil_iris_ratio < 45.0 {
            ramp(self.pupil_iris_ratio, 10.0, MIN_PUPIL_IRIS_RATIO, 25.0)
        } else {
            ramp(-self.pupil_iris_ratio, -80.0, -MAX_PUPIL_IRIS_RATIO, -60.0)
        };
        let contrast = if self.p95 < DARK_P95 {
            TOO_DARK
        } else if self.p05 > BRIGHT_P05 {
            TOO_BRIGHT
        } else {
            LOW_CONTRAST
        };
        [
            (
                ramp(
                    self.grey_level_utilisation,
                    4.0,
                    MIN_GREY_LEVEL_UTILISATION,
                    7.0,
                ),
                contrast.clone(),
            ),
            (
                ramp(self.iris_radius, 50.0, MIN_IRIS_RADIUS, 115.0),
                MOVE_CLOSER,
            ),
            (
                ramp(self.margin_adequacy, 20.0, MIN_MARGIN_ADEQUACY, 100.0),
                CENTRE_EYE,
            ),
            (
                ramp(self.usable_iris_area, 20.0, MIN_USABLE_AREA, 70.0),
                OPEN_EYES,
            ),
            (
                ramp(self.sharpness, 5.0, MIN_SHARPNESS, 60.0),
                // Sharpness is an absolute energy: an underexposed image has little of it.
                if self.p95 < DARK_P95 {
                    TOO_DARK
                } else {
                    HOLD_STILL
                },
            ),
            (
                ramp(self.iris_pupil_concentricity, 75.0, MIN_CONCENTRICITY, 96.0),
                LOOK_AT_CAMERA,
            ),
            (
                ramp(
                    self.pupil_boundary_circularity,
                    20.0,
                    MIN_PUPIL_CIRCULARITY,
                    85.0,
                ),
                LOOK_AT_CAMERA,
            ),
            (
                ramp(
                    self.iris_pupil_contrast,
                    10.0,
                    MIN_IRIS_PUPIL_CONTRAST,
                    45.0,
                ),
                contrast.clone(),
            ),
            (
                ramp(
                    self.iris_sclera_contrast,
                    0.0,
                    MIN_IRIS_SCLERA_CONTRAST,
                    15.0,
                ),
                contrast,
            ),
            (ratio, PUPIL_SIZE),
        ]
    }

    fn report(&self) -> QualityReport {
        let mut feedback: Vec<Feedback> = Vec::new();
        let score = if !self.found {
            feedback.push(NO_IRIS);
            // The image-wide measures still say why no eye may have been found.
            if self.p95 < limits::DARK_P95 {
                feedback.push(TOO_DARK);
            } else if self.p05 > limits::BRIGHT_P05 {
                feedback.push(TOO_BRIGHT);
            } else if self.sharpness < limits::MIN_SHARPNESS {
                feedback.push(HOLD_STILL);
            }
            0
        } else {
            let comps = self.components();
            let mut low: Vec<&(f64, Feedback)> = comps.iter().filter(|c| c.0 < 0.4).collect();
            low.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (_, f) in low {
                if !feedback.contains(f) {
                    feedback.push(f.clone());
                }
            }
            let min = comps.iter().map(|c| c.0).fold(1.0, f64::min);
            let mean = comps.iter().map(|c| c.0).sum::<f64>() / comps.len() as f64;
            let raw = (100.0 * (min * mean).sqrt()).round().clamp(0.0, 100.0) as u8;
            if min < 0.4 {
                raw.min(ACCEPT_SCORE - 1)
            } else {
                raw.max(ACCEPT_SCORE)
            }
        };
        QualityReport {
            modality: Modality::Iris,
            score,
            measures: self.list(),
            feedback,
        }
    }
}

/// Piecewise-linear ramp through (lo, 0), (mid, 0.4), (hi, 1), flat outside.
fn ramp(v: f64, lo: f64, mid: f64, hi: f64) -> f64 {
    if !v.is_finite() || v <= lo {
        0.0
    } else if v < mid {
        0.4 * (v - lo) / (mid - lo)
    } else if v < hi {
        0.4 + 0.6 * (v - mid) / (hi - mid)
    } else {
        1.0
    }
}
