//! Signature quality: is a pen series a usable handwritten signature?
//!
//! [`assess`] measures a [`PenCapture`] (points, duration, strokes, size on the pad, pen speed,
//! pressure, shape) and refuses, with a reason the operator can act on, what is not a
//! signature: nothing written, a dot, a straight line, a signature too small, or one dashed
//! off too fast. A very slow signing and a pad that reports no pressure variation are
//! warnings. Every measure, threshold and the score are defined in `docs/quality/signature.md`.
//!
//! There is no international standard for accepting online signatures comparable to NFIQ 2
//! for fingerprints; ISO/IEC 19794-7 defines how the time series is stored, not whether it is
//! good. The thresholds here are Rekam's, with their reasons in the document.
//!
//! ```
//! use rekam_device::{PenCapture, PenSample};
//! use rekam_quality::signature::{assess, code};
//!
//! // A straight line, 60 mm long, drawn in 0.6 s on a 152 x 95 mm pad.
//! let strokes = vec![(0..=60u16)
//!     .map(|i| PenSample { t_us: u64::from(i) * 10_000, x: 4000 + i * 100, y: 5000,
//!                          pressure: 400 + i, tip: true })
//!     .collect()];
//! let pen = PenCapture { strokes, max_x: 15200, max_y: 9500, max_pressure: 1023,
//!                        units_per_mm: 100, duration_us: 600_000 };
//! let report = assess(&pen).unwrap();
//! assert!(report.score < rekam_quality::signature::ACCEPT_SCORE);
//! assert!(report.has_feedback(code::STRAIGHT_LINE));
//! assert_eq!(report.measure("path_length_mm"), Some(60.0));
//! ```

use rekam_device::{PenCapture, PenSample};

use crate::{Error, Feedback, Measure, Modality, QualityReport};

/// Scores at or above this are accepted; every refusal scores below it, and every capture
/// without a refusal scores at or above it.
pub const ACCEPT_SCORE: u8 = 40;

/// The thresholds, in the units of the measures (see `docs/quality/signature.md`).
pub mod limits {
    /// Fewer pen-down samples than this is a dot.
    pub const MIN_POINTS: usize = 10;
    /// A bounding box whose larger side is under this many millimetres is a dot.
    pub const DOT_SIZE_MM: f64 = 2.0;
    /// A bounding box whose larger side is under this many millimetres is too small.
    pub const MIN_SIZE_MM: f64 = 15.0;
    /// A bounding box spanning less than this fraction of the pad (along both axes) is too
    /// small.
    pub const MIN_PAD_FRACTION: f64 = 0.10;
    /// Writing (first to last pen-down sample) quicker than this many seconds is too fast.
    pub const MIN_DURATION_S: f64 = 0.5;
    /// A mean pen-down speed above this many millimetres a second is too fast.
    pub const MAX_MEAN_SPEED_MM_S: f64 = 600.0;
    /// A single stroke at least this straight is a straight line.
    pub const MAX_STRAIGHTNESS: f64 = 0.9;
    /// Writing longer than this many seconds is a warning.
    pub const SLOW_DURATION_S: f64 = 15.0;
    /// A pressure coefficient of variation below this is a warning (constant pressure).
    pub const MIN_PRESSURE_CV: f64 = 0.02;
    /// Direction reversals smaller than this many millimetres are not counted.
    pub const REVERSAL_MM: f64 = 1.0;
    /// Peak speed is measured over windows of at least this many seconds.
    pub const SPEED_WINDOW_S: f64 = 0.05;
}

/// The stable feedback codes.
pub mod code {
    /// No pen-down sample (refusal).
    pub const EMPTY: &str = "empty";
    /// A tap or a pen resting in one place (refusal).
    pub const DOT: &str = "dot";
    /// One near-straight stroke (refusal).
    pub const STRAIGHT_LINE: &str = "straight_line";
    /// Smaller than [`super::limits::MIN_SIZE_MM`] or [`super::limits::MIN_PAD_FRACTION`]
    /// of the pad (refusal).
    pub const TOO_SMALL: &str = "too_small";
    /// Written in under [`super::limits::MIN_DURATION_S`] or implausibly fast (refusal).
    pub const TOO_FAST: &str = "too_fast";
    /// Writing took over [`super::limits::SLOW_DURATION_S`] (warning).
    pub const TOO_SLOW: &str = "too_slow";
    /// The pad reported zero pressure throughout (warning).
    pub const NO_PRESSURE: &str = "no_pressure";
    /// The pad reported a pressure that never varies (warning).
    pub const CONSTANT_PRESSURE: &str = "constant_pressure";
}

const EMPTY: Feedback = Feedback {
    code: code::EMPTY,
    id: "Tidak ada tanda tangan yang terekam. Minta pemohon menandatangani di dalam kotak dengan ujung pena menyentuh layar bantalan.",
    en: "No signature was recorded. Ask the applicant to sign inside the box with the pen tip touching the pad.",
};
const DOT: Feedback = Feedback {
    code: code::DOT,
    id: "Hanya satu titik yang terekam. Minta pemohon menuliskan tanda tangan lengkap, bukan hanya menyentuhkan pena.",
    en: "Only a dot was recorded. Ask the applicant to write their full signature, not just touch the pen down.",
};
const STRAIGHT_LINE: Feedback = Feedback {
    code: code::STRAIGHT_LINE,
    id: "Tanda tangan hanya berupa garis lurus. Minta pemohon menandatangani seperti biasa, sama seperti di dokumen resmi.",
    en: "The signature is just a straight line. Ask the applicant to sign as they usually do on official documents.",
};
const TOO_SMALL: Feedback = Feedback {
    code: code::TOO_SMALL,
    id: "Tanda tangan terlalu kecil. Minta pemohon menandatangani lebih besar, mengisi sebagian besar kotak.",
    en: "The signature is too small. Ask the applicant to sign larger, filling most of the box.",
};
const TOO_FAST: Feedback = Feedback {
    code: code::TOO_FAST,
    id: "Tanda tangan ditulis terlalu cepat. Minta pemohon menandatangani dengan kecepatan biasa, tanpa terburu-buru.",
    en: "The signature was written too fast. Ask the applicant to sign at their usual pace, without hurrying.",
};
const TOO_SLOW: Feedback = Feedback {
    code: code::TOO_SLOW,
    id: "Penandatanganan sangat lama. Bila pemohon ragu atau terputus, minta menandatangani sekali lagi dengan tenang.",
    en: "Signing took very long. If the applicant hesitated or was interrupted, ask them to sign once more, calmly.",
};
const NO_PRESSURE: Feedback = Feedback {
    code: code::NO_PRESSURE,
    id: "Bantalan tanda tangan tidak melaporkan tekanan pena. Periksa pena dan bantalan; hubungi teknisi bila terus terjadi.",
    en: "The signature pad reports no pen pressure. Check the pen and the pad; call a technician if it persists.",
};
const CONSTANT_PRESSURE: Feedback = Feedback {
    code: code::CONSTANT_PRESSURE,
    id: "Tekanan pena yang dilaporkan tidak pernah berubah. Periksa pena dan bantalan; hubungi teknisi bila terus terjadi.",
    en: "The reported pen pressure never changes. Check the pen and the pad; call a technician if it persists.",
};

/// Assesses a pen series as a handwritten signature.
///
/// Only samples with the tip down count; a tip-up sample inside a stroke splits it. Samples
/// may come in any time order and with any values: nothing panics. The only error is a
/// capture that describes an impossible pad (zero units per millimetre, or a zero-sized
/// active area), which no measure can be computed for.
pub fn assess(sig: &PenCapture) -> Result<QualityReport, Error> {
    if sig.units_per_mm == 0 || sig.max_x == 0 || sig.max_y == 0 {
        return Err(Error::Input(format!(
            "the signature pad describes itself as {} x {} units at {} units per millimetre; \
             a signature cannot be measured on it: check the pad driver's capability query",
            sig.max_x, sig.max_y, sig.units_per_mm
        )));
    }
    let m = Measures::of(sig);
    Ok(m.report())
}

/// Every measure of one capture, in the units of `docs/quality/signature.md`.
#[derive(Debug, Clone, Default, PartialEq)]
struct Measures {
    point_count: usize,
    stroke_count: usize,
    duration_s: f64,
    pen_down_s: f64,
    path_length_mm: f64,
    width_mm: f64,
    height_mm: f64,
    extent_x_fraction: f64,
    extent_y_fraction: f64,
    aspect_ratio: f64,
    speed_mean_mm_s: f64,
    speed_peak_mm_s: f64,
    pressure_mean: f64,
    pressure_cv: f64,
    straightness: f64,
    direction_changes_per_stroke: f64,
}

/// What one pen-down run contributes.
#[derive(Debug, Clone, Copy, Default)]
struct RunStats {
    path_units: f64,
    /// Sum of the forward time steps (a backward step counts as zero), microseconds.
    elapsed_us: u64,
    chord_units: f64,
    reversals: u32,
    peak_units_per_s: f64,
}

impl Measures {
    fn of(sig: &PenCapture) -> Measures {
        let upm = f64::from(sig.units_per_mm.max(1));
        let mut m = Measures::default();
        let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (u16::MAX, 0u16, u16::MAX, 0u16);
        let (mut t_lo, mut t_hi) = (u64::MAX, 0u64);
        let max_p = f64::from(sig.max_pressure);
        // Welford's running mean and sum of squared deviations: exact for constant pressure.
        let (mut p_mean, mut p_m2) = (0.0f64, 0.0f64);
        let mut path_units = 0.0;
        let mut peak = 0.0f64;
        let mut reversals = 0u64;
        let mut pen_down_us = 0u64;
        let mut longest = (-1.0f64, 1.0f64); // (path, straightness) of the longest run
        let mut scratch = Scratch::default();
        for run in runs(sig) {
            m.stroke_count += 1;
            for s in run {
                m.point_count += 1;
                x_lo = x_lo.min(s.x);
                x_hi = x_hi.max(s.x);
                y_lo = y_lo.min(s.y);
                y_hi = y_hi.max(s.y);
                t_lo = t_lo.min(s.t_us);
                t_hi = t_hi.max(s.t_us);
                let p = if max_p > 0.0 {
                    f64::from(s.pressure).min(max_p) / max_p
                } else {
                    0.0
                };
                let delta = p - p_mean;
                p_mean += delta / m.point_count as f64;
                p_m2 += delta * (p - p_mean);
            }
            let r = run_stats(run, limits::REVERSAL_MM * upm, &mut scratch);
            path_units += r.path_units;
            pen_down_us = pen_down_us.saturating_add(r.elapsed_us);
            peak = peak.max(r.peak_units_per_s);
            reversals += u64::from(r.reversals);
            if r.path_units > longest.0 {
                let straightness = if r.path_units > 0.0 {
                    (r.chord_units / r.path_units).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                longest = (r.path_units, straightness);
            }
        }
        if m.point_count == 0 {
            return m;
        }
        m.duration_s = t_hi.saturating_sub(t_lo) as f64 / 1e6;
        m.pen_down_s = pen_down_us as f64 / 1e6;
        m.path_length_mm = path_units / upm;
        let (w, h) = (f64::from(x_hi - x_lo), f64::from(y_hi - y_lo));
        m.width_mm = w / upm;
        m.height_mm = h / upm;
        m.extent_x_fraction = (w / f64::from(sig.max_x)).min(1.0);
        m.extent_y_fraction = (h / f64::from(sig.max_y)).min(1.0);
        m.aspect_ratio = w / h.max(1.0);
        m.speed_mean_mm_s = if m.pen_down_s > 0.0 {
            m.path_length_mm / m.pen_down_s
        } else {
            0.0
        };
        m.speed_peak_mm_s = peak / upm;
        m.pressure_mean = p_mean;
        let var = (p_m2 / m.point_count as f64).max(0.0);
        m.pressure_cv = if m.pressure_mean > 0.0 {
            var.sqrt() / m.pressure_mean
        } else {
            0.0
        };
        m.straightness = longest.1;
        m.direction_changes_per_stroke = reversals as f64 / m.stroke_count as f64;
        m
    }

    /// Larger side of the bounding box, millimetres.
    fn size_mm(&self) -> f64 {
        self.width_mm.max(self.height_mm)
    }

    fn is_dot(&self) -> bool {
        self.point_count < limits::MIN_POINTS || self.size_mm() < limits::DOT_SIZE_MM
    }

    /// The components, each 0 (hopeless) to 1 (good), 0.4 exactly at the refusal threshold.
    fn components(&self) -> Components {
        let points = ramp(
            self.point_count as f64,
            [(1.0, 0.0), (limits::MIN_POINTS as f64, 0.4), (40.0, 1.0)],
        );
        let size = ramp(
            self.size_mm(),
            [
                (limits::DOT_SIZE_MM, 0.0),
                (limits::MIN_SIZE_MM, 0.4),
                (30.0, 1.0),
            ],
        )
        .min(ramp(
            self.extent_x_fraction.max(self.extent_y_fraction),
            [(0.02, 0.0), (limits::MIN_PAD_FRACTION, 0.4), (0.25, 1.0)],
        ));
        let tempo = ramp(
            self.duration_s,
            [(0.1, 0.0), (limits::MIN_DURATION_S, 0.4), (1.0, 1.0)],
        )
        .min(ramp(
            -self.speed_mean_mm_s,
            [
                (-1500.0, 0.0),
                (-limits::MAX_MEAN_SPEED_MM_S, 0.4),
                (-400.0, 1.0),
            ],
        ));
        let shape = if self.stroke_count == 1 {
            ramp(
                -self.straightness,
                [(-1.0, 0.0), (-limits::MAX_STRAIGHTNESS, 0.4), (-0.7, 1.0)],
            )
        } else {
            1.0
        };
        let slow = ramp(
            -self.duration_s,
            [(-30.0, 0.9), (-limits::SLOW_DURATION_S, 1.0), (0.0, 1.0)],
        );
        let pressure = ramp(
            self.pressure_cv,
            [(0.0, 0.85), (limits::MIN_PRESSURE_CV, 0.9), (0.05, 1.0)],
        );
        Components {
            points,
            size,
            tempo,
            shape,
            slow,
            pressure,
        }
    }

    fn report(&self) -> QualityReport {
        let measures = self.list();
        if self.point_count == 0 {
            return QualityReport {
                modality: Modality::Signature,
                score: 0,
                measures,
                feedback: vec![EMPTY],
            };
        }
        let c = self.components();
        let hard = c.points.min(c.size).min(c.tempo).min(c.shape);
        let refused = hard < 0.4;
        let raw = (100.0 * hard * c.slow * c.pressure)
            .round()
            .clamp(0.0, 100.0) as u8;
        let score = if refused {
            raw.min(ACCEPT_SCORE - 1)
        } else {
            raw.max(ACCEPT_SCORE)
        };
        let mut feedback = Vec::new();
        if self.is_dot() {
            feedback.push(DOT);
        } else {
            if c.size < 0.4 {
                feedback.push(TOO_SMALL);
            }
            if c.shape < 0.4 {
                feedback.push(STRAIGHT_LINE);
            }
            if c.tempo < 0.4 {
                feedback.push(TOO_FAST);
            }
            if self.duration_s > limits::SLOW_DURATION_S {
                feedback.push(TOO_SLOW);
            }
            if self.pressure_mean <= 0.0 {
                feedback.push(NO_PRESSURE);
            } else if self.pressure_cv < limits::MIN_PRESSURE_CV {
                feedback.push(CONSTANT_PRESSURE);
            }
        }
        QualityReport {
            modality: Modality::Signature,
            score,
            measures,
            feedback,
        }
    }

    fn list(&self) -> Vec<Measure> {
        let m = |name, value| Measure { name, value };
        vec![
            m("point_count", self.point_count as f64),
            m("stroke_count", self.stroke_count as f64),
            m("duration_ms", self.duration_s * 1000.0),
            m("pen_down_ms", self.pen_down_s * 1000.0),
            m("path_length_mm", self.path_length_mm),
            m("width_mm", self.width_mm),
            m("height_mm", self.height_mm),
            m("extent_x_fraction", self.extent_x_fraction),
            m("extent_y_fraction", self.extent_y_fraction),
            m("aspect_ratio", self.aspect_ratio),
            m("speed_mean_mm_s", self.speed_mean_mm_s),
            m("speed_peak_mm_s", self.speed_peak_mm_s),
            m("pressure_mean", self.pressure_mean),
            m("pressure_cv", self.pressure_cv),
            m("straightness", self.straightness),
            m(
                "direction_changes_per_stroke",
                self.direction_changes_per_stroke,
            ),
        ]
    }
}

/// The score's components (see `docs/quality/signature.md`, "Score").
#[derive(Debug, Clone, Copy)]
struct Components {
    points: f64,
    size: f64,
    tempo: f64,
    shape: f64,
    slow: f64,
    pressure: f64,
}

/// Piecewise-linear through three knots with increasing `x`, flat outside them.
fn ramp(x: f64, k: [(f64, f64); 3]) -> f64 {
    if x.is_nan() {
        return k[0].1;
    }
    if x <= k[0].0 {
        return k[0].1;
    }
    for w in k.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if x <= x1 {
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
        }
    }
    k[2].1
}

/// The pen-down runs: each stroke split at tip-up samples, empty pieces dropped.
fn runs(sig: &PenCapture) -> impl Iterator<Item = &[PenSample]> {
    sig.strokes
        .iter()
        .flat_map(|s| s.split(|p| !p.tip))
        .filter(|r| !r.is_empty())
}

/// Buffers reused between runs.
#[derive(Debug, Default)]
struct Scratch {
    /// Path length from the run's start to each sample, device units.
    path: Vec<f64>,
    /// Elapsed time from the run's start to each sample (backward steps count as zero), s.
    time: Vec<f64>,
}

fn run_stats(run: &[PenSample], reversal_units: f64, scratch: &mut Scratch) -> RunStats {
    let mut r = RunStats::default();
    let (Some(first), Some(last)) = (run.first(), run.last()) else {
        return r;
    };
    scratch.path.clear();
    scratch.time.clear();
    scratch.path.push(0.0);
    scratch.time.push(0.0);
    let mut elapsed_us = 0u64;
    let mut x_axis = Reversals::new(f64::from(first.x));
    let mut y_axis = Reversals::new(f64::from(first.y));
    for w in run.windows(2) {
        let (a, b) = (w[0], w[1]);
        let d = (f64::from(b.x) - f64::from(a.x)).hypot(f64::from(b.y) - f64::from(a.y));
        r.path_units += d;
        elapsed_us = elapsed_us.saturating_add(b.t_us.saturating_sub(a.t_us));
        scratch.path.push(r.path_units);
        scratch.time.push(elapsed_us as f64 / 1e6);
        x_axis.push(f64::from(b.x), reversal_units);
        y_axis.push(f64::from(b.y), reversal_units);
    }
    r.chord_units =
        (f64::from(last.x) - f64::from(first.x)).hypot(f64::from(last.y) - f64::from(first.y));
    r.elapsed_us = elapsed_us;
    r.reversals = x_axis.count + y_axis.count;
    r.peak_units_per_s = peak_speed(&scratch.path, &scratch.time, limits::SPEED_WINDOW_S);
    r
}

/// Highest path length over elapsed time across windows of at least `window` seconds; a run
/// shorter than the window contributes its mean speed.
fn peak_speed(path: &[f64], time: &[f64], window: f64) -> f64 {
    let n = path.len().min(time.len());
    if n < 2 {
        return 0.0;
    }
    let total = time[n - 1];
    if total < window {
        return if total > 0.0 {
            path[n - 1] / total
        } else {
            0.0
        };
    }
    let mut best = 0.0f64;
    let mut j = 0;
    for i in 0..n {
        j = j.max(i + 1);
        while j < n && time[j] - time[i] < window {
            j += 1;
        }
        if j >= n {
            break;
        }
        let dt = time[j] - time[i];
        if dt > 0.0 {
            best = best.max((path[j] - path[i]) / dt);
        }
    }
    best
}

/// Counts reversals of direction along one axis, ignoring back-and-forth smaller than the
/// hysteresis.
#[derive(Debug, Clone, Copy)]
struct Reversals {
    /// Lowest and highest value before a direction is established.
    lo: f64,
    hi: f64,
    /// +1 moving up, -1 moving down, 0 not yet known.
    dir: i8,
    /// The extreme reached in the current direction.
    ext: f64,
    count: u32,
}

impl Reversals {
    fn new(v: f64) -> Self {
        Self {
            lo: v,
            hi: v,
            dir: 0,
            ext: v,
            count: 0,
        }
    }

    fn push(&mut self, v: f64, h: f64) {
        match self.dir {
            0 => {
                self.lo = self.lo.min(v);
                self.hi = self.hi.max(v);
                if v - self.lo >= h {
                    self.dir = 1;
                    self.ext = v;
                } else if self.hi - v >= h {
                    self.dir = -1;
                    self.ext = v;
                }
            }
            1 => {
                if v > self.ext {
                    self.ext = v;
                } else if self.ext - v >= h {
                    self.count += 1;
                    self.dir = -1;
                    self.ext = v;
                }
            }
            _ => {
                if v < self.ext {
                    self.ext = v;
                } else if v - self.ext >= h {
                    self.count += 1;
                    self.dir = 1;
                    self.ext = v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A 152 x 95 mm pad at 100 units per millimetre, 1024 pressure levels.
    fn pen(strokes: Vec<Vec<PenSample>>) -> PenCapture {
        let duration_us = strokes.iter().flatten().map(|s| s.t_us).max().unwrap_or(0);
        PenCapture {
            strokes,
            max_x: 15_200,
            max_y: 9_500,
            max_pressure: 1023,
            units_per_mm: 100,
            duration_us,
        }
    }

    fn sample(t_ms: f64, x_mm: f64, y_mm: f64, pressure: u16) -> PenSample {
        PenSample {
            t_us: (t_ms * 1000.0).round() as u64,
            x: (x_mm * 100.0).round() as u16,
            y: (y_mm * 100.0).round() as u16,
            pressure,
            tip: true,
        }
    }

    /// A pressure that varies like handwriting (cv about 0.2).
    fn varying(i: usize) -> u16 {
        400 + ((i * 37) % 200) as u16
    }

    /// `n` samples along a path at `hz`, position from the fraction 0..=1 of the way.
    fn along(n: usize, hz: f64, t0_ms: f64, f: impl Fn(f64) -> (f64, f64)) -> Vec<PenSample> {
        (0..n)
            .map(|i| {
                let u = i as f64 / (n - 1) as f64;
                let (x, y) = f(u);
                sample(t0_ms + i as f64 * 1000.0 / hz, x, y, varying(i))
            })
            .collect()
    }

    /// A cursive-like zigzag: `loops` garlands 6 mm high over `width` mm, in `secs` seconds.
    fn scrawl(width: f64, secs: f64) -> PenCapture {
        let n = (secs * 100.0) as usize + 1;
        pen(vec![along(n, 100.0, 0.0, |u| {
            let x = 30.0 + width * u;
            let y = 50.0 + 6.0 * (u * 14.0 * std::f64::consts::TAU).sin();
            (x, y)
        })])
    }

    fn m(r: &QualityReport, name: &str) -> f64 {
        r.measure(name).unwrap()
    }

    #[test]
    fn a_straight_line_of_known_length_and_duration() {
        // 100 mm in exactly 1 s at 100 Hz: 101 samples 1 mm apart.
        let line = along(101, 100.0, 0.0, |u| (20.0 + 100.0 * u, 40.0));
        let r = assess(&pen(vec![line])).unwrap();
        assert_eq!(m(&r, "point_count"), 101.0);
        assert_eq!(m(&r, "stroke_count"), 1.0);
        assert_eq!(m(&r, "duration_ms"), 1000.0);
        assert_eq!(m(&r, "pen_down_ms"), 1000.0);
        assert!((m(&r, "path_length_mm") - 100.0).abs() < 1e-9);
        assert!((m(&r, "speed_mean_mm_s") - 100.0).abs() < 1e-9);
        assert!((m(&r, "speed_peak_mm_s") - 100.0).abs() < 1e-9);
        assert_eq!(m(&r, "width_mm"), 100.0);
        assert_eq!(m(&r, "height_mm"), 0.0);
        assert!((m(&r, "extent_x_fraction") - 10_000.0 / 15_200.0).abs() < 1e-12);
        assert_eq!(m(&r, "straightness"), 1.0);
        assert_eq!(m(&r, "direction_changes_per_stroke"), 0.0);
        assert!(r.score < ACCEPT_SCORE, "score {}", r.score);
        let codes: Vec<_> = r.feedback.iter().map(|f| f.code).collect();
        assert_eq!(codes, [code::STRAIGHT_LINE]);
    }

    #[test]
    fn a_circle_is_not_straight_and_reverses_direction_four_times_a_turn() {
        // Three turns of a 20 mm radius circle in 3 s, one stroke.
        let turns = 3.0;
        let c = along(301, 100.0, 0.0, |u| {
            let a = u * turns * std::f64::consts::TAU;
            (60.0 + 20.0 * a.cos(), 45.0 + 20.0 * a.sin())
        });
        let r = assess(&pen(vec![c])).unwrap();
        assert!(m(&r, "straightness") < 0.01, "{}", m(&r, "straightness"));
        // Starting at the right-most point going up: x reverses at every half turn but the
        // first, y at every half turn: (2n - 1) + 2n.
        assert_eq!(m(&r, "direction_changes_per_stroke"), 4.0 * turns - 1.0);
        let path = 2.0 * std::f64::consts::PI * 20.0 * turns;
        assert!((m(&r, "path_length_mm") - path).abs() < 0.01 * path);
        assert!(!r.has_feedback(code::STRAIGHT_LINE));
        assert!(r.score >= ACCEPT_SCORE);
    }

    #[test]
    fn a_scrawl_of_good_size_and_pace_scores_full() {
        let r = assess(&scrawl(90.0, 2.5)).unwrap();
        assert!(r.feedback.is_empty(), "{:?}", r.feedback);
        assert_eq!(r.score, 100);
        assert!(m(&r, "pressure_cv") > 0.1);
        assert!(m(&r, "direction_changes_per_stroke") >= 27.0);
    }

    #[test]
    fn constant_pressure_has_zero_variation_and_is_a_warning() {
        let mut p = scrawl(90.0, 2.5);
        for s in p.strokes.iter_mut().flatten() {
            s.pressure = 600;
        }
        let r = assess(&p).unwrap();
        assert_eq!(m(&r, "pressure_cv"), 0.0);
        assert!((m(&r, "pressure_mean") - 600.0 / 1023.0).abs() < 1e-12);
        let codes: Vec<_> = r.feedback.iter().map(|f| f.code).collect();
        assert_eq!(codes, [code::CONSTANT_PRESSURE]);
        // The pressure component at cv 0 (docs/quality/signature.md, "Score").
        assert_eq!(r.score, 85);
    }

    #[test]
    fn zero_pressure_or_a_pad_without_pressure_is_a_warning() {
        let mut p = scrawl(90.0, 2.5);
        for s in p.strokes.iter_mut().flatten() {
            s.pressure = 0;
        }
        let r = assess(&p).unwrap();
        assert_eq!(m(&r, "pressure_mean"), 0.0);
        assert!(r.has_feedback(code::NO_PRESSURE));
        assert!(!r.has_feedback(code::CONSTANT_PRESSURE));
        assert!(r.score >= ACCEPT_SCORE);
        let mut p = scrawl(90.0, 2.5);
        p.max_pressure = 0;
        let r = assess(&p).unwrap();
        assert!(r.has_feedback(code::NO_PRESSURE));
    }

    #[test]
    fn nothing_written_is_empty() {
        for strokes in [
            vec![],
            vec![vec![]],
            vec![vec![PenSample {
                t_us: 5,
                x: 1,
                y: 1,
                pressure: 0,
                tip: false,
            }]],
        ] {
            let r = assess(&pen(strokes)).unwrap();
            assert_eq!(r.score, 0);
            assert_eq!(r.feedback.len(), 1);
            assert!(r.has_feedback(code::EMPTY));
            assert_eq!(m(&r, "point_count"), 0.0);
        }
    }

    #[test]
    fn a_single_sample_is_a_dot() {
        let r = assess(&pen(vec![vec![sample(0.0, 50.0, 50.0, 300)]])).unwrap();
        assert!(r.score < ACCEPT_SCORE);
        let codes: Vec<_> = r.feedback.iter().map(|f| f.code).collect();
        assert_eq!(codes, [code::DOT]);
        assert_eq!(m(&r, "speed_mean_mm_s"), 0.0);
        assert_eq!(m(&r, "straightness"), 1.0);
    }

    #[test]
    fn a_pen_resting_in_place_is_a_dot_however_long() {
        let rest = along(200, 100.0, 0.0, |u| (50.0 + 0.5 * u, 50.0));
        let r = assess(&pen(vec![rest])).unwrap();
        let codes: Vec<_> = r.feedback.iter().map(|f| f.code).collect();
        assert_eq!(codes, [code::DOT]);
    }

    #[test]
    fn a_small_signature_is_too_small_by_millimetres_or_by_pad_fraction() {
        let r = assess(&scrawl(12.0, 2.5)).unwrap();
        assert!(r.has_feedback(code::TOO_SMALL), "{:?}", r.feedback);
        assert!(r.score < ACCEPT_SCORE);
        // 20 mm is enough in millimetres but not on a 300 mm pad.
        let mut p = scrawl(20.0, 2.5);
        assert!(!assess(&p).unwrap().has_feedback(code::TOO_SMALL));
        p.max_x = 30_000;
        p.max_y = 20_000;
        assert!(assess(&p).unwrap().has_feedback(code::TOO_SMALL));
    }

    #[test]
    fn a_quick_scrawl_is_too_fast_and_a_slow_one_a_warning() {
        let r = assess(&scrawl(90.0, 0.3)).unwrap();
        assert!(r.has_feedback(code::TOO_FAST), "{:?}", r.feedback);
        assert!(r.score < ACCEPT_SCORE);
        let r = assess(&scrawl(90.0, 20.0)).unwrap();
        let codes: Vec<_> = r.feedback.iter().map(|f| f.code).collect();
        assert_eq!(codes, [code::TOO_SLOW]);
        // 20 s is a third of the way from 15 s (1.0) to 30 s (0.9).
        assert_eq!(r.score, 97);
    }

    #[test]
    fn an_implausible_speed_is_too_fast_even_when_it_lasts() {
        // 1.2 s of writing but 2.4 m of ink (20 mm up or down every 10 ms): 2 m/s.
        let zigzag = (0..121)
            .map(|i| {
                sample(
                    i as f64 * 10.0,
                    30.0 + 0.75 * i as f64,
                    40.0 + 20.0 * (i % 2) as f64,
                    varying(i),
                )
            })
            .collect();
        let p = pen(vec![zigzag]);
        let r = assess(&p).unwrap();
        assert!(m(&r, "speed_mean_mm_s") > limits::MAX_MEAN_SPEED_MM_S);
        assert!(r.has_feedback(code::TOO_FAST), "{:?}", r.feedback);
    }

    #[test]
    fn the_score_falls_as_the_signing_gets_quicker_or_smaller() {
        let mut last = u8::MAX;
        for secs in [3.0, 1.5, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1] {
            let s = assess(&scrawl(90.0, secs)).unwrap().score;
            assert!(s <= last, "{secs} s scores {s}, more than {last}");
            last = s;
        }
        assert!(last < ACCEPT_SCORE);
        let mut last = u8::MAX;
        for width in [90.0, 40.0, 30.0, 25.0, 20.0, 15.0, 10.0, 5.0, 2.0] {
            let s = assess(&scrawl(width, 2.5)).unwrap().score;
            assert!(s <= last, "{width} mm scores {s}, more than {last}");
            last = s;
        }
        assert!(last < ACCEPT_SCORE);
    }

    #[test]
    fn a_tip_up_sample_splits_a_stroke() {
        let mut s = scrawl(90.0, 2.5).strokes.remove(0);
        s[100].tip = false;
        let r = assess(&pen(vec![s])).unwrap();
        assert_eq!(m(&r, "stroke_count"), 2.0);
        assert_eq!(m(&r, "point_count"), 250.0);
    }

    #[test]
    fn reports_arriving_together_keep_speeds_finite() {
        // The driver stamps reports on arrival: bursts of three share a timestamp.
        let mut p = scrawl(90.0, 2.5);
        for (i, s) in p.strokes[0].iter_mut().enumerate() {
            s.t_us = (i as u64 / 3) * 30_000;
        }
        let r = assess(&p).unwrap();
        let peak = m(&r, "speed_peak_mm_s");
        let mean = m(&r, "speed_mean_mm_s");
        assert!(
            peak.is_finite() && peak < 4.0 * mean,
            "peak {peak}, mean {mean}"
        );
        assert!(r.feedback.is_empty(), "{:?}", r.feedback);
    }

    #[test]
    fn time_running_backwards_does_not_panic() {
        let mut p = scrawl(90.0, 2.5);
        p.strokes[0].reverse();
        p.strokes[0][0].t_us = u64::MAX;
        let r = assess(&p).unwrap();
        assert!(r.measures.iter().all(|m| m.value.is_finite()));
        assert!(m(&r, "duration_ms") > 1e12);
    }

    #[test]
    fn an_impossible_pad_is_an_error() {
        for (upm, mx, my) in [(0, 15_200, 9_500), (100, 0, 9_500), (100, 15_200, 0)] {
            let mut p = scrawl(90.0, 2.5);
            p.units_per_mm = upm;
            p.max_x = mx;
            p.max_y = my;
            assert!(matches!(assess(&p), Err(Error::Input(_))));
        }
    }

    #[test]
    fn feedback_texts_are_filled_in_both_languages() {
        for f in [
            EMPTY,
            DOT,
            STRAIGHT_LINE,
            TOO_SMALL,
            TOO_FAST,
            TOO_SLOW,
            NO_PRESSURE,
            CONSTANT_PRESSURE,
        ] {
            assert!(f.id.len() > 20 && f.en.len() > 20, "{}", f.code);
            assert_ne!(f.id, f.en);
        }
    }

    #[test]
    fn ramps_are_monotone_and_hit_their_knots() {
        let k = [(0.0, 0.0), (1.0, 0.4), (3.0, 1.0)];
        assert_eq!(ramp(-5.0, k), 0.0);
        assert_eq!(ramp(1.0, k), 0.4);
        assert_eq!(ramp(2.0, k), 0.7);
        assert_eq!(ramp(9.0, k), 1.0);
        assert_eq!(ramp(f64::NAN, k), 0.0);
    }
}
