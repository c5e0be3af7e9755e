//! Fingerprint quality in the NFIQ 2 class (ISO/IEC 29794-4): is a 500 ppi grey image a
//! usable fingerprint?
//!
//! [`assess`] segments the print (foreground by local contrast and ridge coherence), measures
//! the local features NFIQ 2 is built on over 32 x 32 blocks of the foreground (orientation
//! certainty, local clarity, frequency-domain analysis, ridge-valley uniformity, orientation
//! flow), their spread and the areas of blocks in their top or bottom bands (as NFIQ 2's
//! feature histograms do), the grey level and the foreground area, and counts minutiae on a
//! thinned ridge map. The score is a fixed combination of those measures, fitted once to
//! NIST's NFIQ 2 on simulated prints and on real prints with realistic degradations: the
//! chance that NFIQ 2 can assess the image (a logistic term) times the score it would give (a
//! linear term). Every measure, threshold
//! and the model are in `docs/quality/finger.md`.
//!
//! ```
//! use rekam_quality::finger::{assess, code};
//!
//! // Nothing on the sensor: its white background.
//! let blank = image::GrayImage::from_pixel(256, 288, image::Luma([250]));
//! let report = assess(&blank, 500).unwrap();
//! assert_eq!(report.score, 0);
//! assert!(report.has_feedback(code::UNIFORM));
//! ```

use image::GrayImage;

use crate::{Error, Feedback, Measure, Modality, QualityReport};

/// The thresholds and sizes, in the units of the measures (see `docs/quality/finger.md`).
pub mod limits {
    /// Lowest resolution accepted, pixels per inch (the features are defined at 500 ppi).
    pub const MIN_PPI: u32 = 450;
    /// Highest resolution accepted, pixels per inch.
    pub const MAX_PPI: u32 = 550;
    /// Smallest side accepted, pixels.
    pub const MIN_SIDE: u32 = 32;
    /// Largest side accepted, pixels (a four-finger slap at 500 ppi is about 1600 x 1500).
    pub const MAX_SIDE: u32 = 4096;
    /// Side of the cells the image is segmented in, pixels.
    pub const CELL: usize = 16;
    /// Side of the blocks the local features are measured on, pixels (as in NFIQ 2).
    pub const BLOCK: usize = 32;
    /// A grey-level standard deviation of the whole image below this is a uniform image
    /// (NFIQ 2's actionable-feedback threshold).
    pub const UNIFORM_STD: f64 = 1.0;
    /// The usual ridge period of an adult finger at 500 ppi, pixels (about 0.5 mm); a
    /// print rescaled from another resolution, blurred or smeared departs from it.
    pub const NOMINAL_PERIOD_PX: f64 = 10.0;
    /// A cell is foreground when its own grey-level standard deviation reaches this...
    pub const FOREGROUND_STD: f64 = 6.0;
    /// ...and the coherence of the gradients in the 48 x 48 window around it reaches this.
    pub const FOREGROUND_COHERENCE: f64 = 0.25;
    /// Less foreground than this many square millimetres is too little (NFIQ 2's 50 000
    /// pixels at 500 ppi).
    pub const MIN_FOREGROUND_MM2: f64 = 129.0;
    /// A mean ridge amplitude (grey levels) below this is too little contrast.
    pub const MIN_RIDGE_AMPLITUDE: f64 = 15.0;
    /// Fewer minutiae than this are too few (NFIQ 2's threshold).
    pub const MIN_MINUTIAE: f64 = 5.0;
    /// Two minutiae closer than this many pixels are both taken for artefacts.
    pub const MINUTIA_PAIR_PX: f64 = 8.0;
    /// A block whose ridge amplitude (grey levels) reaches this is clear: its area counts
    /// in `clear_area_mm2` and its minutiae are counted.
    pub const CLEAR_AMPLITUDE: f64 = 10.0;
    /// A block whose orientation certainty reaches this counts in `certain_area_mm2`.
    pub const CERTAIN_OCL: f64 = 0.9;
    /// A block whose local clarity reaches this counts in `clarity_area_mm2`.
    pub const CLEAR_LCS: f64 = 0.9;
    /// A block whose ridge amplitude (grey levels) is below this counts in `faint_area_mm2`.
    pub const FAINT_AMPLITUDE: f64 = 6.0;
    /// A block whose ridge amplitude (grey levels) reaches this counts in `strong_area_mm2`.
    pub const STRONG_AMPLITUDE: f64 = 24.0;
    /// A block whose ridge amplitude (grey levels) reaches this counts in
    /// `high_contrast_area_mm2`.
    pub const HIGH_CONTRAST_AMPLITUDE: f64 = 54.0;
}

/// The stable feedback codes.
pub mod code {
    /// The image is one grey level: no finger, or a sensor fault.
    pub const UNIFORM: &str = "uniform";
    /// No fingerprint found on the image (white, or nothing with ridges).
    pub const EMPTY: &str = "empty";
    /// The ridges are too faint.
    pub const LOW_CONTRAST: &str = "low_contrast";
    /// Too little of the finger touched the sensor.
    pub const TOO_LITTLE_FOREGROUND: &str = "too_little_foreground";
    /// Too few minutiae could be found.
    pub const TOO_FEW_MINUTIAE: &str = "too_few_minutiae";
}

const UNIFORM: Feedback = Feedback {
    code: code::UNIFORM,
    id: "Gambar rata tanpa pola. Pastikan jari diletakkan di sensor; bila tetap rata, bersihkan sensor dan hubungi teknisi.",
    en: "The image is flat, with no pattern. Make sure a finger is on the sensor; if it stays flat, clean the sensor and call a technician.",
};
const EMPTY: Feedback = Feedback {
    code: code::EMPTY,
    id: "Tidak ada sidik jari pada gambar. Minta pemohon meletakkan jari dengan rata di tengah sensor.",
    en: "No fingerprint is on the image. Ask the applicant to place the finger flat in the middle of the sensor.",
};
const LOW_CONTRAST: Feedback = Feedback {
    code: code::LOW_CONTRAST,
    id: "Guratan sidik jari terlalu samar. Minta pemohon menekan sedikit lebih kuat; bila jari kering, lembapkan sedikit lalu ulangi.",
    en: "The ridges are too faint. Ask the applicant to press a little harder; if the finger is dry, moisten it slightly and try again.",
};
const TOO_LITTLE_FOREGROUND: Feedback = Feedback {
    code: code::TOO_LITTLE_FOREGROUND,
    id: "Bagian jari yang menempel terlalu sedikit. Minta pemohon meletakkan jari di tengah sensor, rata sampai ruas pertama.",
    en: "Too little of the finger touches the sensor. Ask the applicant to place the finger in the middle of the sensor, flat up to the first joint.",
};
const TOO_FEW_MINUTIAE: Feedback = Feedback {
    code: code::TOO_FEW_MINUTIAE,
    id: "Detail guratan tidak terbaca. Bersihkan sensor dan jari, lalu minta pemohon meletakkan jari tanpa bergeser.",
    en: "The ridge detail cannot be read. Clean the sensor and the finger, then ask the applicant to place the finger without sliding.",
};

/// Assesses a grey fingerprint image taken at `ppi` pixels per inch (500 for every Rekam
/// scanner).
///
/// Any image from 32 to 4096 pixels a side is measured, whatever its aspect; smaller or larger
/// images are an [`Error::Size`], and a resolution outside 450-550 ppi an [`Error::Input`],
/// because the features are defined at 500 ppi and nothing is resampled.
pub fn assess(img: &GrayImage, ppi: u32) -> Result<QualityReport, Error> {
    if !(limits::MIN_PPI..=limits::MAX_PPI).contains(&ppi) {
        return Err(Error::Input(format!(
            "the fingerprint image is at {ppi} ppi; fingerprint quality (ISO/IEC 29794-4, NFIQ 2) \
             is defined at 500 ppi: check the scanner's resolution setting"
        )));
    }
    let (w, h) = img.dimensions();
    let side = limits::MIN_SIDE..=limits::MAX_SIDE;
    if !side.contains(&w) || !side.contains(&h) {
        return Err(Error::Size {
            modality: Modality::Finger.as_str(),
            width: w,
            height: h,
            need: "32 to 4096 pixels on each side at 500 ppi",
        });
    }
    let a = Analysis::of(img, ppi);
    Ok(a.report())
}

/// Every measure of one image, in the units of `docs/quality/finger.md`.
#[derive(Debug, Clone, Default, PartialEq)]
struct Analysis {
    grey_mean: f64,
    grey_std: f64,
    foreground_area_mm2: f64,
    foreground_fraction: f64,
    foreground_grey_mean: f64,
    foreground_grey_std: f64,
    foreground_blocks: usize,
    orientation_certainty: f64,
    coherence_mean: f64,
    coherence_sum: f64,
    local_clarity: f64,
    frequency_domain: f64,
    ridge_valley_uniformity: f64,
    orientation_flow: f64,
    ridge_period_px: f64,
    ridge_orientation_deg: f64,
    ridge_amplitude: f64,
    clear_area_mm2: f64,
    minutiae_count: usize,
    minutiae_count_central: usize,
    certain_area_mm2: f64,
    clarity_area_mm2: f64,
    faint_area_mm2: f64,
    strong_area_mm2: f64,
    high_contrast_area_mm2: f64,
    local_clarity_spread: f64,
    frequency_domain_spread: f64,
    ridge_period_offset: f64,
    ridge_valley_balance: f64,
}

/// Sums over one cell.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    n: f64,
    sum: f64,
    sum_sq: f64,
    gxx: f64,
    gyy: f64,
    gxy: f64,
}

impl Cell {
    fn add(&mut self, o: &Cell) {
        self.n += o.n;
        self.sum += o.sum;
        self.sum_sq += o.sum_sq;
        self.gxx += o.gxx;
        self.gyy += o.gyy;
        self.gxy += o.gxy;
    }
    fn std(&self) -> f64 {
        if self.n <= 0.0 {
            return 0.0;
        }
        let m = self.sum / self.n;
        (self.sum_sq / self.n - m * m).max(0.0).sqrt()
    }
    fn coherence(&self) -> f64 {
        let tr = self.gxx + self.gyy;
        if tr <= 1e-9 {
            return 0.0;
        }
        ((self.gxx - self.gyy).powi(2) + 4.0 * self.gxy * self.gxy).sqrt() / tr
    }
    /// Direction of the dominant gradient (across the ridges), radians.
    fn normal_angle(&self) -> f64 {
        0.5 * (2.0 * self.gxy).atan2(self.gxx - self.gyy)
    }
}

/// What one foreground block contributes.
#[derive(Debug, Clone, Copy, Default)]
struct Block {
    ocl: f64,
    coherence: f64,
    lcs: f64,
    fda: f64,
    amplitude: f64,
    rvu: Option<f64>,
    /// |ln(ridge pixels / valley pixels)| of the profile split (0 for equal widths).
    balance: f64,
    period: Option<f64>,
    /// Direction across the ridges, radians.
    normal: f64,
}

impl Analysis {
    fn of(img: &GrayImage, ppi: u32) -> Analysis {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let raw = img.as_raw();
        let mut a = Analysis::default();
        let (mut s, mut ss) = (0u64, 0u64);
        for &v in raw.iter() {
            s += u64::from(v);
            ss += u64::from(v) * u64::from(v);
        }
        let n = (w * h) as f64;
        a.grey_mean = s as f64 / n;
        a.grey_std = (ss as f64 / n - a.grey_mean * a.grey_mean).max(0.0).sqrt();
        // A light image is not yet an empty one: an optical sensor's print on its white
        // background can have a mean above 250 and clear ridges (NFIQ 2 scores those too);
        // the foreground decides.
        if a.grey_std < limits::UNIFORM_STD {
            return a;
        }

        let smooth = binomial3(raw, w, h);
        let grid = Grid::new(w, h);
        let cells = grid.cell_sums(raw, &smooth);
        let windows = grid.windows(&cells);
        let fg = grid.foreground(&cells, &windows);

        // Foreground area and grey level.
        let mut fg_sum = Cell::default();
        for (c, &f) in cells.iter().zip(&fg) {
            if f {
                fg_sum.add(c);
            }
        }
        let px_per_mm = f64::from(ppi) / 25.4;
        a.foreground_area_mm2 = fg_sum.n / (px_per_mm * px_per_mm);
        a.foreground_fraction = fg_sum.n / n;
        if fg_sum.n > 0.0 {
            a.foreground_grey_mean = fg_sum.sum / fg_sum.n;
            a.foreground_grey_std = fg_sum.std();
        }

        // Local features over whole 32 x 32 blocks that are (mostly) foreground.
        let tables = Dft::new();
        let (bw, bh) = (w / limits::BLOCK, h / limits::BLOCK);
        let mut blocks: Vec<Option<Block>> = vec![None; bw * bh];
        for by in 0..bh {
            for bx in 0..bw {
                let mut sum = Cell::default();
                let mut fg_cells = 0;
                for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    let ci = (2 * by + dy) * grid.cw + 2 * bx + dx;
                    sum.add(&cells[ci]);
                    fg_cells += usize::from(fg[ci]);
                }
                if fg_cells >= 3 {
                    blocks[by * bw + bx] = Some(block(raw, w, bx, by, &sum, &tables));
                }
            }
        }
        let fg_blocks: Vec<&Block> = blocks.iter().flatten().collect();
        a.foreground_blocks = fg_blocks.len();
        if !fg_blocks.is_empty() {
            let k = fg_blocks.len() as f64;
            a.orientation_certainty = fg_blocks.iter().map(|b| b.ocl).sum::<f64>() / k;
            a.coherence_sum = fg_blocks.iter().map(|b| b.coherence).sum::<f64>();
            a.coherence_mean = a.coherence_sum / k;
            a.local_clarity = fg_blocks.iter().map(|b| b.lcs).sum::<f64>() / k;
            a.frequency_domain = fg_blocks.iter().map(|b| b.fda).sum::<f64>() / k;
            a.ridge_valley_uniformity = mean(fg_blocks.iter().filter_map(|b| b.rvu));
            a.ridge_period_px = mean(fg_blocks.iter().filter_map(|b| b.period));
            a.ridge_valley_balance = fg_blocks.iter().map(|b| b.balance).sum::<f64>() / k;
            if a.ridge_period_px > 0.0 {
                a.ridge_period_offset = (a.ridge_period_px / limits::NOMINAL_PERIOD_PX).ln().abs();
            }
            a.ridge_amplitude = fg_blocks.iter().map(|b| b.amplitude).sum::<f64>() / k;
            a.orientation_flow = orientation_flow(&blocks, bw, bh);
            a.local_clarity_spread = spread(fg_blocks.iter().map(|b| b.lcs), a.local_clarity);
            a.frequency_domain_spread = spread(fg_blocks.iter().map(|b| b.fda), a.frequency_domain);
            // Areas of the blocks in the top or bottom band of a feature (in the manner of
            // NFIQ 2's feature histograms, whose bins count blocks).
            let block_mm2 = (limits::BLOCK * limits::BLOCK) as f64 / (px_per_mm * px_per_mm);
            let area = |f: &dyn Fn(&Block) -> bool| {
                fg_blocks.iter().filter(|b| f(b)).count() as f64 * block_mm2
            };
            a.certain_area_mm2 = area(&|b| b.ocl >= limits::CERTAIN_OCL);
            a.clarity_area_mm2 = area(&|b| b.lcs >= limits::CLEAR_LCS);
            a.faint_area_mm2 = area(&|b| b.amplitude < limits::FAINT_AMPLITUDE);
            a.strong_area_mm2 = area(&|b| b.amplitude >= limits::STRONG_AMPLITUDE);
            a.high_contrast_area_mm2 = area(&|b| b.amplitude >= limits::HIGH_CONTRAST_AMPLITUDE);
            // Mean ridge orientation (doubled angles), degrees from the x axis in 0..180.
            let (c2, s2) = fg_blocks.iter().fold((0.0, 0.0), |(c, s), b| {
                (c + (2.0 * b.normal).cos(), s + (2.0 * b.normal).sin())
            });
            let ridge = 0.5 * s2.atan2(c2) + std::f64::consts::FRAC_PI_2;
            a.ridge_orientation_deg = ridge.to_degrees().rem_euclid(180.0);
        }

        // Clear cells: those of blocks whose ridges stand out enough to read minutiae on.
        let mut clear = vec![false; fg.len()];
        let block_px = (limits::BLOCK * limits::BLOCK) as f64;
        for by in 0..bh {
            for bx in 0..bw {
                if blocks[by * bw + bx].is_some_and(|b| b.amplitude >= limits::CLEAR_AMPLITUDE) {
                    a.clear_area_mm2 += block_px / (px_per_mm * px_per_mm);
                    for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                        clear[(2 * by + dy) * grid.cw + 2 * bx + dx] = true;
                    }
                }
            }
        }
        let minutiae = minutiae(&smooth, w, h, &grid, &windows, &fg, &clear);
        a.minutiae_count = minutiae.len();
        a.minutiae_count_central = central_count(&minutiae);
        a
    }

    fn list(&self) -> Vec<Measure> {
        let m = |name, value| Measure { name, value };
        vec![
            m("grey_mean", self.grey_mean),
            m("grey_std", self.grey_std),
            m("foreground_area_mm2", self.foreground_area_mm2),
            m("foreground_fraction", self.foreground_fraction),
            m("foreground_grey_mean", self.foreground_grey_mean),
            m("foreground_grey_std", self.foreground_grey_std),
            m("foreground_blocks", self.foreground_blocks as f64),
            m("orientation_certainty", self.orientation_certainty),
            m("coherence_mean", self.coherence_mean),
            m("coherence_sum", self.coherence_sum),
            m("local_clarity", self.local_clarity),
            m("frequency_domain", self.frequency_domain),
            m("ridge_valley_uniformity", self.ridge_valley_uniformity),
            m("orientation_flow", self.orientation_flow),
            m("ridge_period_px", self.ridge_period_px),
            m("ridge_orientation_deg", self.ridge_orientation_deg),
            m("ridge_amplitude", self.ridge_amplitude),
            m("clear_area_mm2", self.clear_area_mm2),
            m("minutiae_count", self.minutiae_count as f64),
            m("minutiae_count_central", self.minutiae_count_central as f64),
            m("certain_area_mm2", self.certain_area_mm2),
            m("clarity_area_mm2", self.clarity_area_mm2),
            m("faint_area_mm2", self.faint_area_mm2),
            m("strong_area_mm2", self.strong_area_mm2),
            m("high_contrast_area_mm2", self.high_contrast_area_mm2),
            m("local_clarity_spread", self.local_clarity_spread),
            m("frequency_domain_spread", self.frequency_domain_spread),
            m("ridge_period_offset", self.ridge_period_offset),
            m("ridge_valley_balance", self.ridge_valley_balance),
        ]
    }

    fn is_uniform(&self) -> bool {
        self.grey_std < limits::UNIFORM_STD
    }

    fn is_empty(&self) -> bool {
        self.foreground_blocks == 0
    }

    /// The fitted model (docs/quality/finger.md, "Score"): the chance that NFIQ 2 can assess
    /// the image times the score NFIQ 2 would give it if it can.
    fn model(&self) -> f64 {
        (model::assessable(self) * model::level(self)).clamp(0.0, 100.0)
    }

    fn report(&self) -> QualityReport {
        let measures = self.list();
        let mut feedback = Vec::new();
        let score = if self.is_uniform() {
            feedback.push(UNIFORM);
            0
        } else if self.is_empty() {
            feedback.push(EMPTY);
            0
        } else {
            if self.ridge_amplitude < limits::MIN_RIDGE_AMPLITUDE {
                feedback.push(LOW_CONTRAST);
            }
            if self.foreground_area_mm2 < limits::MIN_FOREGROUND_MM2 {
                feedback.push(TOO_LITTLE_FOREGROUND);
            }
            if (self.minutiae_count as f64) < limits::MIN_MINUTIAE {
                feedback.push(TOO_FEW_MINUTIAE);
            }
            self.model().round() as u8
        };
        QualityReport {
            modality: Modality::Finger,
            score,
            measures,
            feedback,
        }
    }
}

/// The score model, fitted once to NIST NFIQ 2 by `examples/finger_fit.py` (see
/// `docs/quality/finger.md`, "Score"). Each term clamps one measure to the range it had on the
/// training images, takes it as is (`Lin`) or as ln(1 + value) (`Log`), and weighs it.
mod model {
    use super::Analysis;

    /// The measures the model reads.
    #[derive(Debug, Clone, Copy)]
    pub(super) enum Input {
        CertainAreaMm2,
        ClarityAreaMm2,
        ClearAreaMm2,
        FaintAreaMm2,
        ForegroundAreaMm2,
        ForegroundGreyMean,
        ForegroundGreyStd,
        HighContrastAreaMm2,
        LocalClaritySpread,
        MinutiaeCountCentral,
        OrientationCertainty,
        RidgeAmplitude,
        RidgePeriodOffset,
        RidgeValleyBalance,
        RidgeValleyUniformity,
        StrongAreaMm2,
    }

    /// How a term takes its measure.
    #[derive(Debug, Clone, Copy)]
    pub(super) enum Kind {
        /// The value itself.
        Lin,
        /// ln(1 + value).
        Log,
    }

    /// One term: `weight` x `kind`(measure clamped to `lo`..=`hi`).
    #[derive(Debug, Clone, Copy)]
    pub(super) struct Term {
        input: Input,
        kind: Kind,
        lo: f64,
        hi: f64,
        weight: f64,
    }

    const fn term(input: Input, kind: Kind, lo: f64, hi: f64, weight: f64) -> Term {
        Term {
            input,
            kind,
            lo,
            hi,
            weight,
        }
    }

    // Fitted by crates/quality/examples/finger_fit.py on 1339 training images
    // (weighted) with foreground, 1043 of them scored above 0 by NFIQ 2.
    /// Logit of the chance that NFIQ 2 can assess the image.
    pub(super) const ASSESSABLE: [Term; 5] = [
        term(Input::MinutiaeCountCentral, Kind::Log, 0.0, 69.0, 1.77989),
        term(Input::ClearAreaMm2, Kind::Log, 0.0, 665.929, 0.172404),
        term(Input::StrongAreaMm2, Kind::Log, 0.0, 369.961, 0.257199),
        term(Input::RidgeAmplitude, Kind::Log, 2.03383, 77.1935, 1.29669),
        term(
            Input::RidgePeriodOffset,
            Kind::Lin,
            1.27335e-05,
            0.585096,
            -4.09259,
        ),
    ];
    pub(super) const ASSESSABLE_BIAS: f64 = -7.83932;
    /// NFIQ 2's score when it can assess the image.
    pub(super) const LEVEL: [Term; 12] = [
        term(
            Input::ForegroundAreaMm2,
            Kind::Log,
            6.93676,
            1294.53,
            10.6504,
        ),
        term(Input::MinutiaeCountCentral, Kind::Log, 0.0, 69.0, 1.11241),
        term(Input::CertainAreaMm2, Kind::Log, 0.0, 306.539, 0.77957),
        term(Input::ClarityAreaMm2, Kind::Log, 0.0, 97.7753, 1.07849),
        term(Input::FaintAreaMm2, Kind::Log, 0.0, 251.045, -0.00950968),
        term(Input::HighContrastAreaMm2, Kind::Log, 0.0, 243.117, 1.82494),
        term(
            Input::OrientationCertainty,
            Kind::Lin,
            0.510953,
            0.938388,
            37.6121,
        ),
        term(
            Input::LocalClaritySpread,
            Kind::Lin,
            0.0,
            0.117635,
            -103.984,
        ),
        term(
            Input::ForegroundGreyMean,
            Kind::Lin,
            27.2521,
            247.602,
            0.0147712,
        ),
        term(
            Input::ForegroundGreyStd,
            Kind::Lin,
            11.6853,
            86.629,
            -0.171241,
        ),
        term(
            Input::RidgeValleyUniformity,
            Kind::Lin,
            0.0,
            2.10496,
            -27.7292,
        ),
        term(
            Input::RidgeValleyBalance,
            Kind::Lin,
            0.0915675,
            0.870572,
            -14.83,
        ),
    ];
    pub(super) const LEVEL_BIAS: f64 = -25.82;

    /// NFIQ 2's score is at least about 20 whenever it can assess an image, and at most
    /// about 90 (docs/quality/finger.md).
    const LEVEL_RANGE: (f64, f64) = (20.0, 90.0);

    fn value(a: &Analysis, input: Input) -> f64 {
        match input {
            Input::ForegroundAreaMm2 => a.foreground_area_mm2,
            Input::ForegroundGreyMean => a.foreground_grey_mean,
            Input::ForegroundGreyStd => a.foreground_grey_std,
            Input::OrientationCertainty => a.orientation_certainty,
            Input::LocalClaritySpread => a.local_clarity_spread,
            Input::RidgeAmplitude => a.ridge_amplitude,
            Input::ClearAreaMm2 => a.clear_area_mm2,
            Input::MinutiaeCountCentral => a.minutiae_count_central as f64,
            Input::CertainAreaMm2 => a.certain_area_mm2,
            Input::ClarityAreaMm2 => a.clarity_area_mm2,
            Input::FaintAreaMm2 => a.faint_area_mm2,
            Input::StrongAreaMm2 => a.strong_area_mm2,
            Input::HighContrastAreaMm2 => a.high_contrast_area_mm2,
            Input::RidgePeriodOffset => a.ridge_period_offset,
            Input::RidgeValleyBalance => a.ridge_valley_balance,
            Input::RidgeValleyUniformity => a.ridge_valley_uniformity,
        }
    }

    fn sum(a: &Analysis, terms: &[Term], bias: f64) -> f64 {
        terms.iter().fold(bias, |acc, t| {
            let v = value(a, t.input);
            // A NaN measure (none should occur) takes the low end.
            let v = if v.is_nan() {
                t.lo
            } else {
                v.clamp(t.lo, t.hi)
            };
            let x = match t.kind {
                Kind::Lin => v,
                Kind::Log => v.max(0.0).ln_1p(),
            };
            acc + t.weight * x
        })
    }

    /// The chance (0 to 1) that NFIQ 2 can assess the image (finds minutiae).
    pub(super) fn assessable(a: &Analysis) -> f64 {
        1.0 / (1.0 + (-sum(a, &ASSESSABLE, ASSESSABLE_BIAS)).exp())
    }

    /// The score NFIQ 2 gives the image if it can assess it.
    pub(super) fn level(a: &Analysis) -> f64 {
        sum(a, &LEVEL, LEVEL_BIAS).clamp(LEVEL_RANGE.0, LEVEL_RANGE.1)
    }
}

/// Standard deviation of the values around their mean `mu`.
fn spread(it: impl Iterator<Item = f64>, mu: f64) -> f64 {
    let (s, k) = it.fold((0.0, 0usize), |(s, k), v| (s + (v - mu) * (v - mu), k + 1));
    if k == 0 {
        0.0
    } else {
        (s / k as f64).sqrt()
    }
}

fn mean(it: impl Iterator<Item = f64>) -> f64 {
    let (s, k) = it.fold((0.0, 0usize), |(s, k), v| (s + v, k + 1));
    if k == 0 {
        0.0
    } else {
        s / k as f64
    }
}

/// A 3 x 3 binomial smoothing (1 2 1 / 2 4 2 / 1 2 1), edges repeated, in sixteenths of a
/// grey level (0 to 4080: exact).
fn binomial3(raw: &[u8], w: usize, h: usize) -> Vec<u16> {
    // Horizontal 1 2 1 sums of one row (0 to 1020).
    let horizontal = |y: usize, out: &mut [u16]| {
        let row = &raw[y * w..(y + 1) * w];
        for (x, o) in out.iter_mut().enumerate() {
            let l = row[x.saturating_sub(1)];
            let r = row[(x + 1).min(w - 1)];
            *o = u16::from(l) + 2 * u16::from(row[x]) + u16::from(r);
        }
    };
    let mut out = vec![0u16; w * h];
    let (mut up, mut mid, mut dn) = (vec![0u16; w], vec![0u16; w], vec![0u16; w]);
    horizontal(0, &mut mid);
    up.copy_from_slice(&mid);
    for y in 0..h {
        horizontal((y + 1).min(h - 1), &mut dn);
        for (x, o) in out[y * w..(y + 1) * w].iter_mut().enumerate() {
            *o = up[x] + 2 * mid[x] + dn[x];
        }
        std::mem::swap(&mut up, &mut mid);
        std::mem::swap(&mut mid, &mut dn);
    }
    out
}

/// The cell grid (16 x 16 pixels; cells at the right and bottom edges may be smaller).
#[derive(Debug, Clone, Copy)]
struct Grid {
    w: usize,
    h: usize,
    cw: usize,
    ch: usize,
}

impl Grid {
    fn new(w: usize, h: usize) -> Grid {
        let c = limits::CELL;
        Grid {
            w,
            h,
            cw: w.div_ceil(c),
            ch: h.div_ceil(c),
        }
    }

    /// Grey sums from the raw image, gradient tensor sums (Sobel on the smoothed image).
    /// The gradients are in sixteenths of a grey level per pixel; only ratios of their sums
    /// are used.
    fn cell_sums(&self, raw: &[u8], smooth: &[u16]) -> Vec<Cell> {
        let (w, h, c) = (self.w, self.h, limits::CELL);
        let mut cells = vec![Cell::default(); self.cw * self.ch];
        for y in 0..h {
            let row = &raw[y * w..(y + 1) * w];
            for cx in 0..self.cw {
                let cell = &mut cells[(y / c) * self.cw + cx];
                let (mut s, mut ss) = (0u32, 0u32);
                let part = &row[cx * c..((cx + 1) * c).min(w)];
                for &v in part {
                    s += u32::from(v);
                    ss += u32::from(v) * u32::from(v);
                }
                cell.n += part.len() as f64;
                cell.sum += f64::from(s);
                cell.sum_sq += f64::from(ss);
            }
        }
        if w < 3 || h < 3 {
            return cells;
        }
        for y in 1..h - 1 {
            let (up, mid, dn) = (
                &smooth[(y - 1) * w..y * w],
                &smooth[y * w..(y + 1) * w],
                &smooth[(y + 1) * w..(y + 2) * w],
            );
            for cx in 0..self.cw {
                let x0 = (cx * c).max(1);
                let x1 = ((cx + 1) * c).min(w - 1);
                let (mut xx, mut yy, mut xy) = (0f32, 0f32, 0f32);
                for x in x0..x1 {
                    let v = |r: &[u16], i: usize| i32::from(r[i]);
                    let gx = (v(up, x + 1) + 2 * v(mid, x + 1) + v(dn, x + 1))
                        - (v(up, x - 1) + 2 * v(mid, x - 1) + v(dn, x - 1));
                    let gy = (v(dn, x - 1) + 2 * v(dn, x) + v(dn, x + 1))
                        - (v(up, x - 1) + 2 * v(up, x) + v(up, x + 1));
                    let (gx, gy) = (gx as f32, gy as f32);
                    xx += gx * gx;
                    yy += gy * gy;
                    xy += gx * gy;
                }
                let cell = &mut cells[(y / c) * self.cw + cx];
                cell.gxx += f64::from(xx);
                cell.gyy += f64::from(yy);
                cell.gxy += f64::from(xy);
            }
        }
        cells
    }

    /// Each cell's 3 x 3-cell window (48 x 48 pixels), clipped at the image edge.
    fn windows(&self, cells: &[Cell]) -> Vec<Cell> {
        let mut out = vec![Cell::default(); cells.len()];
        for cy in 0..self.ch {
            for cx in 0..self.cw {
                let o = &mut out[cy * self.cw + cx];
                for ny in cy.saturating_sub(1)..(cy + 2).min(self.ch) {
                    for nx in cx.saturating_sub(1)..(cx + 2).min(self.cw) {
                        o.add(&cells[ny * self.cw + nx]);
                    }
                }
            }
        }
        out
    }

    /// Foreground cells: enough contrast in the cell and coherent gradients in its window,
    /// then two passes of a 3 x 3 majority filter (outside the image counts as background).
    fn foreground(&self, cells: &[Cell], windows: &[Cell]) -> Vec<bool> {
        let mut fg: Vec<bool> = cells
            .iter()
            .zip(windows)
            .map(|(c, win)| {
                c.std() >= limits::FOREGROUND_STD && win.coherence() >= limits::FOREGROUND_COHERENCE
            })
            .collect();
        for _ in 0..2 {
            let mut next = fg.clone();
            for cy in 0..self.ch {
                for cx in 0..self.cw {
                    let mut k = 0;
                    for ny in cy.saturating_sub(1)..(cy + 2).min(self.ch) {
                        for nx in cx.saturating_sub(1)..(cx + 2).min(self.cw) {
                            k += usize::from(fg[ny * self.cw + nx]);
                        }
                    }
                    next[cy * self.cw + cx] = k >= 5;
                }
            }
            fg = next;
        }
        fg
    }
}

/// Cosine and sine tables of the 32-point DFT.
struct Dft {
    cos: [[f64; 32]; 17],
    sin: [[f64; 32]; 17],
}

impl Dft {
    fn new() -> Dft {
        let mut d = Dft {
            cos: [[0.0; 32]; 17],
            sin: [[0.0; 32]; 17],
        };
        for f in 0..17 {
            for k in 0..32 {
                let a = std::f64::consts::TAU * (f * k) as f64 / 32.0;
                d.cos[f][k] = a.cos();
                d.sin[f][k] = a.sin();
            }
        }
        d
    }

    /// Amplitudes of frequencies 0..=16 of a 32-sample signal.
    fn amplitudes(&self, p: &[f64; 32]) -> [f64; 17] {
        let mut out = [0.0; 17];
        for (f, o) in out.iter_mut().enumerate() {
            let (mut re, mut im) = (0.0, 0.0);
            for ((v, c), s) in p.iter().zip(&self.cos[f]).zip(&self.sin[f]) {
                re += v * c;
                im += v * s;
            }
            *o = re.hypot(im);
        }
        out
    }
}

/// Local features of the 32 x 32 block (`bx`, `by`) with gradient sums `t`.
///
/// The grey levels are projected onto the direction across the ridges (1-pixel bins over
/// the central 32 pixels of that axis): this ridge-valley profile gives the frequency-domain
/// analysis, the ridge/valley split for local clarity and the ridge and valley widths.
fn block(raw: &[u8], w: usize, bx: usize, by: usize, t: &Cell, dft: &Dft) -> Block {
    let b = limits::BLOCK;
    let (x0, y0) = (bx * b, by * b);
    let tr = t.gxx + t.gyy;
    let d = ((t.gxx - t.gyy).powi(2) + 4.0 * t.gxy * t.gxy).sqrt();
    let (lmax, lmin) = ((tr + d) / 2.0, (tr - d) / 2.0);
    let ocl = if lmax > 1e-9 { 1.0 - lmin / lmax } else { 0.0 };
    let coherence = if tr > 1e-9 { d / tr } else { 0.0 };
    let normal = t.normal_angle();
    let (sn, cs) = normal.sin_cos();
    let (sn, cs) = (sn as f32, cs as f32);
    let half = b as f32 / 2.0 - 0.5;

    // The profile bin of every pixel of the block (NO_BIN outside the central 32 pixels).
    const NO_BIN: u8 = u8::MAX;
    let mut bins = [NO_BIN; 32 * 32];
    let mut sum = [0u32; 32];
    let mut cnt = [0u32; 32];
    for yy in 0..b {
        let row = &raw[(y0 + yy) * w + x0..(y0 + yy) * w + x0 + b];
        let t0 = -half * cs + (yy as f32 - half) * sn + 16.0;
        for (xx, &v) in row.iter().enumerate() {
            let tt = t0 + xx as f32 * cs;
            if (0.0..32.0).contains(&tt) {
                let k = tt as usize;
                bins[yy * b + xx] = k as u8;
                sum[k] += u32::from(v);
                cnt[k] += 1;
            }
        }
    }
    let sum = sum.map(f64::from);
    let total: f64 = sum.iter().sum();
    let n: u32 = cnt.iter().sum();
    let dt = total / f64::from(n.max(1));
    let mut p = [0f64; 32];
    for k in 0..32 {
        p[k] = if cnt[k] > 0 {
            sum[k] / f64::from(cnt[k])
        } else {
            dt
        };
    }
    let m = p.iter().sum::<f64>() / 32.0;
    let centred = p.map(|v| v - m);

    // Frequency-domain analysis: the dominant ridge frequency (periods 4.6-16 px).
    let amp = dft.amplitudes(&centred);
    let all: f64 = amp[1..].iter().sum();
    let (mut fmax, mut best) = (2usize, -1.0);
    for (f, &a) in amp.iter().enumerate().take(8).skip(2) {
        if a > best {
            best = a;
            fmax = f;
        }
    }
    let fda = if all > 1e-9 {
        (amp[fmax] + 0.3 * (amp[fmax - 1] + amp[fmax + 1])) / all
    } else {
        0.0
    };
    let (l, c, r) = (amp[fmax - 1], amp[fmax], amp[fmax + 1]);
    let denom = l - 2.0 * c + r;
    let delta = if denom.abs() > 1e-12 {
        (0.5 * (l - r) / denom).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    let amplitude = 2.0 * amp[fmax] / 32.0;
    let period = if all > 1e-9 {
        Some(32.0 / (fmax as f64 + delta))
    } else {
        None
    };

    // Local clarity: how many pixels fall on the wrong side of the threshold in ridge bins
    // (dark) and valley bins (light).
    let ridge_bin = p.map(|v| v < m);
    let (mut ridge_n, mut ridge_miss, mut valley_n, mut valley_miss) = (0u32, 0u32, 0u32, 0u32);
    for yy in 0..b {
        let row = &raw[(y0 + yy) * w + x0..(y0 + yy) * w + x0 + b];
        for (&v, &k) in row.iter().zip(&bins[yy * b..(yy + 1) * b]) {
            if k != NO_BIN {
                let dark = f64::from(v) < m;
                if ridge_bin[usize::from(k)] {
                    ridge_n += 1;
                    ridge_miss += u32::from(!dark);
                } else {
                    valley_n += 1;
                    valley_miss += u32::from(dark);
                }
            }
        }
    }
    let balance = if ridge_n > 0 && valley_n > 0 {
        (f64::from(ridge_n) / f64::from(valley_n)).ln().abs()
    } else {
        0.0
    };
    let lcs = if ridge_n > 0 && valley_n > 0 {
        let alpha = f64::from(ridge_miss) / f64::from(ridge_n);
        let beta = f64::from(valley_miss) / f64::from(valley_n);
        1.0 - (alpha + beta) / 2.0
    } else {
        0.0
    };

    // Ridge-valley uniformity: spread of the ridge/valley width ratios of the whole runs.
    let mut runs: Vec<(bool, u32)> = Vec::new();
    for &rb in &ridge_bin {
        match runs.last_mut() {
            Some((kind, len)) if *kind == rb => *len += 1,
            _ => runs.push((rb, 1)),
        }
    }
    let inner = if runs.len() > 2 {
        &runs[1..runs.len() - 1]
    } else {
        &[][..]
    };
    let ratios: Vec<f64> = inner
        .windows(2)
        .filter(|p| p[0].0)
        .map(|p| f64::from(p[0].1) / f64::from(p[1].1))
        .collect();
    let rvu = if ratios.len() >= 2 {
        let mu = ratios.iter().sum::<f64>() / ratios.len() as f64;
        Some((ratios.iter().map(|r| (r - mu).powi(2)).sum::<f64>() / ratios.len() as f64).sqrt())
    } else {
        None
    };

    Block {
        ocl,
        coherence,
        lcs,
        fda,
        amplitude,
        rvu,
        balance,
        period,
        normal,
    }
}

/// Mean over foreground blocks of how much the ridge orientation turns toward the
/// foreground neighbours: 0 where it turns by at most 4 degrees, 1 at a right angle.
fn orientation_flow(blocks: &[Option<Block>], bw: usize, bh: usize) -> f64 {
    let min = 4f64.to_radians();
    let right = std::f64::consts::FRAC_PI_2;
    let mut total = 0.0;
    let mut k = 0usize;
    for by in 0..bh {
        for bx in 0..bw {
            let Some(b) = blocks[by * bw + bx] else {
                continue;
            };
            let (mut sum, mut n) = (0.0, 0usize);
            for ny in by.saturating_sub(1)..(by + 2).min(bh) {
                for nx in bx.saturating_sub(1)..(bx + 2).min(bw) {
                    if (nx, ny) == (bx, by) {
                        continue;
                    }
                    if let Some(o) = blocks[ny * bw + nx] {
                        let c = (2.0 * (b.normal - o.normal)).cos().clamp(-1.0, 1.0);
                        sum += 0.5 * c.acos();
                        n += 1;
                    }
                }
            }
            if n > 0 {
                let d = sum / n as f64;
                total += if d > min {
                    (d - min) / (right - min)
                } else {
                    0.0
                };
                k += 1;
            }
        }
    }
    if k == 0 {
        0.0
    } else {
        total / k as f64
    }
}

/// Minutiae of the foreground: ridges smoothed along their orientation, binarised against
/// the local mean, thinned, then ridge endings and bifurcations by crossing number inside the
/// foreground (away from its border); pairs closer than
/// [`limits::MINUTIA_PAIR_PX`] are dropped as artefacts (broken ridges, spurs, bridges).
fn minutiae(
    smooth: &[u16],
    w: usize,
    h: usize,
    grid: &Grid,
    windows: &[Cell],
    fg: &[bool],
    clear: &[bool],
) -> Vec<(f32, f32)> {
    let c = limits::CELL;
    // 1. Smoothing along the ridges (7 taps, 1.5 px apart) in foreground cells, in
    //    sixteenths of a grey level.
    let mut enh = smooth.to_vec();
    // Pixels this far from every edge have all taps inside the image.
    let m = 5usize;
    for cy in 0..grid.ch {
        for cx in 0..grid.cw {
            let ci = cy * grid.cw + cx;
            if !fg[ci] {
                continue;
            }
            let a = windows[ci].normal_angle() + std::f64::consts::FRAC_PI_2;
            let (s, co) = a.sin_cos();
            let mut offs = [(0isize, 0isize); 7];
            for (k, o) in (-3..=3).zip(offs.iter_mut()) {
                let d = f64::from(k) * 1.5;
                *o = ((d * co).round() as isize, (d * s).round() as isize);
            }
            let flat = offs.map(|(dx, dy)| dy * w as isize + dx);
            for y in cy * c..((cy + 1) * c).min(h) {
                for x in cx * c..((cx + 1) * c).min(w) {
                    let i = y * w + x;
                    if x >= m && y >= m && x + m < w && y + m < h {
                        let acc: u32 = flat
                            .iter()
                            .map(|&o| u32::from(smooth[(i as isize + o) as usize]))
                            .sum();
                        enh[i] = (acc / 7) as u16;
                        continue;
                    }
                    let (mut acc, mut k) = (0u32, 0u32);
                    for &(dx, dy) in &offs {
                        let (sx, sy) = (x as isize + dx, y as isize + dy);
                        if sx >= 0 && sy >= 0 && (sx as usize) < w && (sy as usize) < h {
                            acc += u32::from(smooth[sy as usize * w + sx as usize]);
                            k += 1;
                        }
                    }
                    enh[i] = (acc / k.max(1)) as u16;
                }
            }
        }
    }
    // 2. Binarise against the mean of a 17 x 17 box, in a map with a one-pixel empty border.
    //    The box sums come from an integral image (of sixteenths of grey levels) kept in
    //    wrapping 32-bit arithmetic: a box sum (at most 17 x 17 x 4080) is exact even where
    //    the running total overflows.
    let (pw, ph) = (w + 2, h + 2);
    let mut integral = vec![0u32; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0u32;
        for x in 0..w {
            row = row.wrapping_add(u32::from(enh[y * w + x]));
            integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1].wrapping_add(row);
        }
    }
    let r = 8usize;
    let mut map = vec![0u8; pw * ph];
    let mut alive: Vec<usize> = Vec::with_capacity(w * h / 2);
    for y in 0..h {
        let (ya, yb) = (y.saturating_sub(r), (y + r + 1).min(h));
        let fg_row = &fg[(y / c) * grid.cw..(y / c + 1) * grid.cw];
        for x in 0..w {
            if !fg_row[x / c] {
                continue;
            }
            let (xa, xb) = (x.saturating_sub(r), (x + r + 1).min(w));
            let s = integral[yb * (w + 1) + xb]
                .wrapping_sub(integral[ya * (w + 1) + xb])
                .wrapping_sub(integral[yb * (w + 1) + xa])
                .wrapping_add(integral[ya * (w + 1) + xa]);
            let area = ((yb - ya) * (xb - xa)) as u32;
            // enh < local mean: enh·area < s.
            if u32::from(enh[y * w + x]) * area < s {
                let i = (y + 1) * pw + x + 1;
                map[i] = 1;
                alive.push(i);
            }
        }
    }
    // 3. Zhang-Suen thinning with neighbourhood lookup tables.
    let luts = thinning_luts();
    let code = |map: &[u8], i: usize| -> u8 {
        // Bits 0..8: N, NE, E, SE, S, SW, W, NW.
        map[i - pw]
            | map[i - pw + 1] << 1
            | map[i + 1] << 2
            | map[i + pw + 1] << 3
            | map[i + pw] << 4
            | map[i + pw - 1] << 5
            | map[i - 1] << 6
            | map[i - pw - 1] << 7
    };
    let mut del: Vec<usize> = Vec::new();
    for _ in 0..12 {
        let mut changed = false;
        for lut in &luts {
            del.clear();
            for &i in &alive {
                if lut[usize::from(code(&map, i))] {
                    del.push(i);
                }
            }
            for &i in &del {
                map[i] = 0;
            }
            changed |= !del.is_empty();
            alive.retain(|&i| map[i] == 1);
        }
        if !changed {
            break;
        }
    }
    // 4. Crossing numbers inside the foreground, at least one cell from its border and 8 px
    //    from the image edge.
    let inner = |x: usize, y: usize| -> bool {
        if x < 8 || y < 8 || x + 8 >= w || y + 8 >= h {
            return false;
        }
        let (cx, cy) = (x / c, y / c);
        for ny in cy.saturating_sub(1)..=(cy + 1) {
            for nx in cx.saturating_sub(1)..=(cx + 1) {
                if ny >= grid.ch || nx >= grid.cw || !fg[ny * grid.cw + nx] {
                    return false;
                }
            }
        }
        true
    };
    let mut found: Vec<(f32, f32)> = Vec::new();
    for &i in &alive {
        let cn = transitions(code(&map, i));
        if cn == 1 || cn == 3 {
            let (x, y) = (i % pw - 1, i / pw - 1);
            if inner(x, y) && clear[(y / c) * grid.cw + x / c] {
                found.push((x as f32, y as f32));
            }
        }
    }
    // 5. Drop pairs closer than the limit (buckets of one cell).
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); grid.cw * grid.ch];
    for (k, &(x, y)) in found.iter().enumerate() {
        buckets[(y as usize / c) * grid.cw + x as usize / c].push(k);
    }
    let d2 = (limits::MINUTIA_PAIR_PX * limits::MINUTIA_PAIR_PX) as f32;
    let mut keep = vec![true; found.len()];
    for (k, &(x, y)) in found.iter().enumerate() {
        let (cx, cy) = (x as usize / c, y as usize / c);
        for ny in cy.saturating_sub(1)..(cy + 2).min(grid.ch) {
            for nx in cx.saturating_sub(1)..(cx + 2).min(grid.cw) {
                for &j in &buckets[ny * grid.cw + nx] {
                    if j != k {
                        let (ox, oy) = found[j];
                        if (ox - x).powi(2) + (oy - y).powi(2) < d2 {
                            keep[k] = false;
                        }
                    }
                }
            }
        }
    }
    found
        .into_iter()
        .zip(keep)
        .filter_map(|(m, k)| k.then_some(m))
        .collect()
}

/// Number of 0 to 1 transitions around the 8-neighbourhood `code` (the crossing number).
fn transitions(code: u8) -> u32 {
    (0..8)
        .filter(|&k| code >> k & 1 == 0 && code >> ((k + 1) % 8) & 1 == 1)
        .count() as u32
}

/// Zhang-Suen deletion tables for the two sub-iterations, indexed by neighbourhood code
/// (bits N, NE, E, SE, S, SW, W, NW).
fn thinning_luts() -> [[bool; 256]; 2] {
    let mut luts = [[false; 256]; 2];
    #[allow(clippy::needless_range_loop)] // `code` is both the index and the pattern.
    for code in 0..256usize {
        let bit = |k: usize| code >> k & 1 == 1;
        let (n, e, s, wst) = (bit(0), bit(2), bit(4), bit(6));
        let b = (code as u8).count_ones();
        let a = transitions(code as u8);
        let base = (2..=6).contains(&b) && a == 1;
        luts[0][code] = base && !(n && e && s) && !(e && s && wst);
        luts[1][code] = base && !(n && e && wst) && !(n && s && wst);
    }
    luts
}

/// Minutiae inside the 200 x 200 pixel square centred on their centre of mass.
fn central_count(m: &[(f32, f32)]) -> usize {
    if m.is_empty() {
        return 0;
    }
    let k = m.len() as f32;
    let cx = m.iter().map(|p| p.0).sum::<f32>() / k;
    let cy = m.iter().map(|p| p.1).sum::<f32>() / k;
    m.iter()
        .filter(|p| (p.0 - cx).abs() <= 100.0 && (p.1 - cy).abs() <= 100.0)
        .count()
}
