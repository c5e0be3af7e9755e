//! Face quality: is a camera frame a usable KTP-el portrait (ICAO 9303 / ISO/IEC 19794-5
//! full frontal)?
//!
//! [`assess`] finds the faces with SeetaFace (the `rustface` crate, whose model is embedded
//! at build time), then measures: exactly one face; its size and centring; the background
//! beside and above the head (plain, and red for an odd birth year, blue for an even one);
//! lighting across the face (one-sided shadow); exposure and dynamic range; sharpness; and
//! colour (a greyscale photo is refused). Every measure, threshold and the score are defined
//! in `docs/quality/face.md`.
//!
//! [`assess_faces`] does the same with face boxes from elsewhere (another detector, or a test
//! that knows where it drew the face); the measures are public functions in [`measure`].
//!
//! ```
//! use rekam_quality::face::{assess, background_for_birth_year, code, Background};
//!
//! assert_eq!(background_for_birth_year(1987), Background::Red);
//! assert_eq!(background_for_birth_year(1990), Background::Blue);
//!
//! // A plain blue frame: no face.
//! let frame = image::RgbImage::from_pixel(640, 480, image::Rgb([20, 110, 200]));
//! let report = assess(&frame, Some(Background::Blue)).unwrap();
//! assert_eq!(report.score, 0);
//! assert!(report.has_feedback(code::NO_FACE));
//! ```

mod detect;
pub mod measure;

pub use detect::{
    detect_faces, detect_faces_anywhere, DETECT_LONG_SIDE, MIN_FACE_FRACTION, MIN_FACE_PX,
    PHOTO_COARSE_SIDE, PHOTO_FINE_SIDE, PHOTO_PAD_FRACTION, SCORE_THRESHOLD, SEETA_WINDOW_PX,
};
use image::RgbImage;
pub use measure::{BackgroundStats, Exposure, Head};

use crate::{Error, Feedback, Measure, Modality, QualityReport};

/// Scores at or above this pass the pipeline's default face gate (MOSIP's 90); a frame with
/// any feedback scores below it, a frame without feedback at or above it.
pub const ACCEPT_SCORE: u8 = 90;

/// The smallest frame assessed, pixels on each side.
pub const MIN_SIDE: u32 = 64;
/// The largest frame assessed, pixels on each side.
pub const MAX_SIDE: u32 = 10_000;

/// The KTP-el photo background colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Background {
    /// Red: birth year odd.
    Red,
    /// Blue: birth year even.
    Blue,
}

impl Background {
    /// `red` or `blue`.
    pub fn as_str(self) -> &'static str {
        match self {
            Background::Red => "red",
            Background::Blue => "blue",
        }
    }
}

/// The background the KTP-el rule asks for: red for an odd birth year, blue for an even one.
pub fn background_for_birth_year(year: i32) -> Background {
    if year.rem_euclid(2) == 1 {
        Background::Red
    } else {
        Background::Blue
    }
}

/// A face found by the detector, in the image's pixels; it may extend past the frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// The detector's confidence (SeetaFace score; higher is surer).
    pub score: f64,
}

impl FaceBox {
    /// Area in pixels.
    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// The thresholds, in the units of the measures (see `docs/quality/face.md`). Each is where
/// its score component equals 0.9 and its feedback starts.
pub mod limits {
    /// Chin-to-crown below this fraction of the frame height is too small.
    pub const MIN_HEAD_HEIGHT: f64 = 0.60;
    /// Chin-to-crown above this fraction of the frame height is too large.
    pub const MAX_HEAD_HEIGHT: f64 = 0.90;
    /// A detector box wider than this fraction of the photo is too large (the face touches
    /// the photo's sides).
    pub const MAX_FACE_WIDTH: f64 = 1.0;
    /// More than this fraction of the head's chin-to-crown height (at the top or bottom edge)
    /// or of the face's detector box (at a side) outside the photo is cut off; the edges are
    /// estimates, this is their scatter.
    pub const MAX_HEAD_OUTSIDE: f64 = 0.05;
    /// The head's centre further than this fraction of the width from the middle is off
    /// centre.
    pub const MAX_OFFSET_X: f64 = 0.08;
    /// The head's centre further than this fraction of the height from the middle is off
    /// centre.
    pub const MAX_OFFSET_Y: f64 = 0.10;
    /// A background standard deviation above this (8-bit levels) is not plain.
    pub const MAX_BACKGROUND_STD: f64 = 20.0;
    /// Less than this fraction of the background in the expected colour is the wrong colour.
    pub const MIN_BACKGROUND_MATCH: f64 = 0.80;
    /// Left/right face brightness ratio below this is uneven lighting.
    pub const MIN_ILLUMINATION_SYMMETRY: f64 = 0.75;
    /// Mean face luma below this is too dark.
    pub const MIN_FACE_MEAN: f64 = 60.0;
    /// Mean face luma above this is overexposed.
    pub const MAX_FACE_MEAN: f64 = 215.0;
    /// More than this fraction of the face crushed to black is too dark.
    pub const MAX_DARK_FRACTION: f64 = 0.05;
    /// More than this fraction of the face blown to white is overexposed.
    pub const MAX_BRIGHT_FRACTION: f64 = 0.05;
    /// A face contrast ratio ((98th − 2nd percentile of luma) / 98th percentile) below this
    /// is low contrast.
    pub const MIN_CONTRAST_RATIO: f64 = 0.45;
    /// Sharpness below this is blurred.
    pub const MIN_SHARPNESS: f64 = 0.30;
    /// Colourfulness of the face below this is a greyscale photo.
    pub const MIN_COLOURFULNESS: f64 = 5.0;
}

/// The stable feedback codes.
pub mod code {
    /// No face found.
    pub const NO_FACE: &str = "no_face";
    /// More than one face.
    pub const SEVERAL_FACES: &str = "several_faces";
    /// The head is too small in the frame.
    pub const FACE_TOO_SMALL: &str = "face_too_small";
    /// The head is too large in the frame.
    pub const FACE_TOO_LARGE: &str = "face_too_large";
    /// Part of the head is outside the photo (the message names the edge).
    pub const FACE_CUT_OFF: &str = "face_cut_off";
    /// The head is not in the middle of the frame.
    pub const OFF_CENTRE: &str = "off_centre";
    /// The face is too dark.
    pub const TOO_DARK: &str = "too_dark";
    /// The face is overexposed.
    pub const OVEREXPOSED: &str = "overexposed";
    /// The face has too little contrast.
    pub const LOW_CONTRAST: &str = "low_contrast";
    /// The face is out of focus or moved.
    pub const BLURRED: &str = "blurred";
    /// One side of the face is darker than the other.
    pub const UNEVEN_LIGHTING: &str = "uneven_lighting";
    /// The background is not plain (objects, patterns, shadows).
    pub const BACKGROUND_NOT_PLAIN: &str = "background_not_plain";
    /// The background is not the colour the birth year asks for.
    pub const WRONG_BACKGROUND_COLOUR: &str = "wrong_background_colour";
    /// The photo has no colour.
    pub const GREYSCALE: &str = "greyscale";
}

const NO_FACE: Feedback = Feedback {
    code: code::NO_FACE,
    id: "Wajah tidak terdeteksi. Minta pemohon duduk tegak menghadap kamera, lepaskan penutup wajah, dan periksa arah kamera.",
    en: "No face found. Ask the applicant to sit upright facing the camera, remove anything covering the face, and check where the camera points.",
};
const SEVERAL_FACES: Feedback = Feedback {
    code: code::SEVERAL_FACES,
    id: "Terdeteksi lebih dari satu wajah. Pastikan hanya pemohon yang ada di dalam bingkai; minta orang lain menjauh dari belakang pemohon.",
    en: "More than one face found. Make sure only the applicant is in the frame; ask anyone else to step away from behind them.",
};
const FACE_TOO_SMALL: Feedback = Feedback {
    code: code::FACE_TOO_SMALL,
    id: "Wajah terlalu kecil. Dekatkan kamera atau perbesar (zoom) sampai kepala dari dagu hingga puncak kepala mengisi sekitar tiga perempat tinggi bingkai.",
    en: "The face is too small. Move the camera closer or zoom in until chin to crown fills about three quarters of the frame height.",
};
const FACE_TOO_LARGE: Feedback = Feedback {
    code: code::FACE_TOO_LARGE,
    id: "Wajah terlalu besar. Jauhkan kamera atau perkecil (zoom out) sampai kepala dari dagu hingga puncak kepala mengisi sekitar tiga perempat tinggi bingkai dan bahu terlihat.",
    en: "The face is too large. Move the camera back or zoom out until chin to crown fills about three quarters of the frame height and the shoulders are visible.",
};
const FACE_CUT_OFF_TOP: Feedback = Feedback {
    code: code::FACE_CUT_OFF,
    id: "Bagian atas kepala terpotong oleh tepi ATAS foto. Naikkan atau arahkan kamera sedikit ke atas, atau minta pemohon duduk lebih rendah, sampai seluruh kepala beserta rambut dan sedikit latar di atasnya masuk ke foto.",
    en: "The top of the head is cut off by the TOP edge of the photo. Raise the camera or tilt it up a little, or ask the applicant to sit lower, until the whole head with the hair and some background above it is in the photo.",
};
const FACE_CUT_OFF_BOTTOM: Feedback = Feedback {
    code: code::FACE_CUT_OFF,
    id: "Dagu terpotong oleh tepi BAWAH foto. Turunkan atau arahkan kamera sedikit ke bawah, atau minta pemohon duduk tegak, sampai dagu dan bahu masuk ke foto.",
    en: "The chin is cut off by the BOTTOM edge of the photo. Lower the camera or tilt it down a little, or ask the applicant to sit up straight, until the chin and the shoulders are in the photo.",
};
const FACE_CUT_OFF_LEFT: Feedback = Feedback {
    code: code::FACE_CUT_OFF,
    id: "Kepala terpotong oleh tepi KIRI foto. Minta pemohon bergeser ke tengah bingkai, atau arahkan kamera ke pemohon, sampai seluruh kepala masuk ke foto.",
    en: "The head is cut off by the LEFT edge of the photo. Ask the applicant to move to the middle of the frame, or turn the camera towards them, until the whole head is in the photo.",
};
const FACE_CUT_OFF_RIGHT: Feedback = Feedback {
    code: code::FACE_CUT_OFF,
    id: "Kepala terpotong oleh tepi KANAN foto. Minta pemohon bergeser ke tengah bingkai, atau arahkan kamera ke pemohon, sampai seluruh kepala masuk ke foto.",
    en: "The head is cut off by the RIGHT edge of the photo. Ask the applicant to move to the middle of the frame, or turn the camera towards them, until the whole head is in the photo.",
};
const OFF_CENTRE: Feedback = Feedback {
    code: code::OFF_CENTRE,
    id: "Wajah tidak di tengah. Minta pemohon bergeser ke tengah, atau atur arah dan tinggi kamera.",
    en: "The face is not in the middle. Ask the applicant to move to the centre, or adjust the camera's direction and height.",
};
const TOO_DARK: Feedback = Feedback {
    code: code::TOO_DARK,
    id: "Wajah terlalu gelap. Nyalakan atau dekatkan lampu depan, atau naikkan pencahayaan (exposure) kamera.",
    en: "The face is too dark. Switch on or bring the front lights closer, or raise the camera's exposure.",
};
const OVEREXPOSED: Feedback = Feedback {
    code: code::OVEREXPOSED,
    id: "Wajah terlalu terang. Kurangi atau jauhkan lampu, matikan lampu kilat langsung, atau turunkan pencahayaan (exposure) kamera.",
    en: "The face is too bright. Dim the lights or move them back, avoid direct flash, or lower the camera's exposure.",
};
const LOW_CONTRAST: Feedback = Feedback {
    code: code::LOW_CONTRAST,
    id: "Gambar wajah pudar (kontras rendah). Bersihkan lensa kamera, hindari cahaya dari belakang kamera yang memantul ke lensa, dan periksa pengaturan kamera.",
    en: "The face looks washed out (low contrast). Clean the camera lens, keep light from shining into the lens, and check the camera settings.",
};
const BLURRED: Feedback = Feedback {
    code: code::BLURRED,
    id: "Wajah buram. Minta pemohon diam sejenak, lalu fokuskan kamera ke wajah.",
    en: "The face is blurred. Ask the applicant to keep still, then focus the camera on the face.",
};
const UNEVEN_LIGHTING: Feedback = Feedback {
    code: code::UNEVEN_LIGHTING,
    id: "Satu sisi wajah lebih gelap (ada bayangan). Atur lampu agar menyinari kedua sisi wajah sama terang, atau minta pemohon menghadap lurus ke kamera.",
    en: "One side of the face is darker (a shadow). Set the lights to light both sides of the face equally, or ask the applicant to face the camera squarely.",
};
const BACKGROUND_NOT_PLAIN: Feedback = Feedback {
    code: code::BACKGROUND_NOT_PLAIN,
    id: "Latar belakang tidak polos (ada benda, pola, atau bayangan). Pasang kain/layar latar polos di belakang pemohon dan singkirkan benda lain.",
    en: "The background is not plain (objects, patterns or shadows). Put the plain backdrop behind the applicant and clear other objects away.",
};
const WRONG_BACKGROUND_RED: Feedback = Feedback {
    code: code::WRONG_BACKGROUND_COLOUR,
    id: "Warna latar belakang salah: tahun lahir pemohon ganjil, jadi latar harus MERAH. Pasang latar merah.",
    en: "Wrong background colour: the applicant's birth year is odd, so the background must be RED. Put up the red backdrop.",
};
const WRONG_BACKGROUND_BLUE: Feedback = Feedback {
    code: code::WRONG_BACKGROUND_COLOUR,
    id: "Warna latar belakang salah: tahun lahir pemohon genap, jadi latar harus BIRU. Pasang latar biru.",
    en: "Wrong background colour: the applicant's birth year is even, so the background must be BLUE. Put up the blue backdrop.",
};
const GREYSCALE: Feedback = Feedback {
    code: code::GREYSCALE,
    id: "Foto tidak berwarna (hitam-putih). Periksa pengaturan warna kamera; foto KTP-el harus berwarna alami.",
    en: "The photo has no colour (black and white). Check the camera's colour setting; the KTP-el photo must be in natural colour.",
};

/// The KTP-el photo's proportions, width to height: 3:4, the Indonesian *pas foto 3x4*.
pub const PHOTO_ASPECT: (u32, u32) = (3, 4);

/// The photo's region of a camera frame, in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CropRect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// Where the 3:4 photo lies in a `width` x `height` frame: the full height, centred
/// horizontally (a 1920 x 1080 still gives 810 x 1080 at x = 555, a 640 x 480 preview
/// 360 x 480 at x = 140). A frame narrower than 3:4 gives its full width, centred vertically.
/// The crop is fixed by the frame, not by where a face is found (see `docs/quality/face.md`).
pub fn portrait_crop_rect(width: u32, height: u32) -> CropRect {
    let (aw, ah) = (u64::from(PHOTO_ASPECT.0), u64::from(PHOTO_ASPECT.1));
    let (w, h) = (u64::from(width), u64::from(height));
    if w * ah >= h * aw {
        // Wider than 3:4: full height. Rounded to the nearest pixel, at least 1.
        let cw = ((h * aw + ah / 2) / ah).clamp(1.min(w), w);
        CropRect {
            x: ((w - cw) / 2) as u32,
            y: 0,
            width: cw as u32,
            height,
        }
    } else {
        let ch = ((w * ah + aw / 2) / aw).clamp(1.min(h), h);
        CropRect {
            x: 0,
            y: ((h - ch) / 2) as u32,
            width,
            height: ch as u32,
        }
    }
}

/// The 3:4 photo cut out of a camera frame ([`portrait_crop_rect`]): what [`assess`]
/// measures and what the KTP-el record keeps.
pub fn portrait_crop(img: &RgbImage) -> RgbImage {
    let r = portrait_crop_rect(img.width(), img.height());
    image::imageops::crop_imm(img, r.x, r.y, r.width, r.height).to_image()
}

/// Crops a camera frame to the photo ([`portrait_crop`]) and assesses the photo
/// ([`assess`]): what the station calls on a preview frame or a still. The frame must be
/// [`MIN_SIDE`] to [`MAX_SIDE`] pixels on each side and the crop at least [`MIN_SIDE`] wide.
pub fn assess_frame(
    img: &RgbImage,
    expected_background: Option<Background>,
) -> Result<QualityReport, Error> {
    check_size(img)?;
    let photo = portrait_crop(img);
    if check_size(&photo).is_err() {
        return Err(Error::Size {
            modality: Modality::Face.as_str(),
            width: img.width(),
            height: img.height(),
            need: "a frame whose 3:4 photo crop is at least 64 pixels on each side",
        });
    }
    assess(&photo, expected_background)
}

/// Assesses a photo as a KTP-el portrait. The geometry rules (chin to crown 70-80 % of the
/// height, head centred) are about the photo, so give the 3:4 photo, not a landscape camera
/// frame: [`assess_frame`] crops a frame first.
///
/// `expected_background` is the colour the birth year asks for
/// ([`background_for_birth_year`]); `None` skips the colour check (the background must still
/// be plain). The frame must be [`MIN_SIDE`] to [`MAX_SIDE`] pixels on each side.
pub fn assess(
    img: &RgbImage,
    expected_background: Option<Background>,
) -> Result<QualityReport, Error> {
    check_size(img)?;
    let faces = detect_faces(img);
    Ok(report(img, &faces, expected_background))
}

/// Assesses a photograph from a file (`rekam quality`) as a KTP-el portrait: the face is
/// looked for anywhere in the image, at every scale and also where the image's edge cuts it
/// ([`detect_faces_anywhere`]), and the framing is judged against the image's own edges
/// (too small, off centre, cut off at an edge). Where [`assess_frame`] measures the station's
/// fixed 3:4 guide box in a camera frame, this takes the image as the photo, whatever its
/// shape. Slower than [`assess`] (a padded first pass and, when it finds nothing, a finer
/// second one), so not for live frames. The frame must be [`MIN_SIDE`] to [`MAX_SIDE`]
/// pixels on each side.
pub fn assess_photo(
    img: &RgbImage,
    expected_background: Option<Background>,
) -> Result<QualityReport, Error> {
    check_size(img)?;
    let faces = detect_faces_anywhere(img);
    Ok(report(img, &faces, expected_background))
}

/// As [`assess`], with the faces given (largest first is not required) instead of detected.
pub fn assess_faces(
    img: &RgbImage,
    faces: &[FaceBox],
    expected_background: Option<Background>,
) -> Result<QualityReport, Error> {
    check_size(img)?;
    Ok(report(img, faces, expected_background))
}

fn check_size(img: &RgbImage) -> Result<(), Error> {
    let (w, h) = img.dimensions();
    if w < MIN_SIDE || h < MIN_SIDE || w > MAX_SIDE || h > MAX_SIDE {
        return Err(Error::Size {
            modality: Modality::Face.as_str(),
            width: w,
            height: h,
            need: "64 to 10000 pixels on each side (a camera preview is 640 x 480)",
        });
    }
    Ok(())
}

/// Every measure of one frame, in the units of `docs/quality/face.md`.
#[derive(Debug, Clone, PartialEq)]
struct Measures {
    face_count: usize,
    /// Of the largest face.
    face: Option<FaceMeasures>,
    background: BackgroundStats,
    background_match: Option<f64>,
    exposure: Exposure,
    sharpness: f64,
    colourfulness: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct FaceMeasures {
    detector_score: f64,
    crown_measured: bool,
    width_ratio: f64,
    height_ratio: f64,
    offset_x: f64,
    offset_y: f64,
    /// Fractions outside the photo: of the head's chin-to-crown height at the top and the
    /// bottom, of the detector box's width at the left and the right.
    outside: [f64; 4],
    eye_distance_px: Option<f64>,
    illumination_symmetry: f64,
}

fn report(img: &RgbImage, faces: &[FaceBox], expected: Option<Background>) -> QualityReport {
    let main = faces.iter().max_by_key(|f| f.area());
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    let heads = main.map(|f| {
        let model = Head::of(f);
        // Hair reaching the photo's top row: its real top is unknown, so the box model
        // places the crown (and says whether the head is cut off there).
        let top = measure::hair_top(img, f).filter(|&t| t > 0.0);
        (f, top, top.map_or(model, |t| model.with_hair_top(f, t)))
    });
    let background = measure::background_around(img, heads.map(|(f, _, head)| (f, head)));
    let face = heads.map(|(f, top, head)| {
        let (cx, cy) = head.centre();
        // Top and bottom: of the head's chin-to-crown height. Sides: of the detector box
        // (the face itself), not of the head model, whose width (1.5 boxes) is too rough
        // for the edge: a simulated head is 1.3 boxes wide, a hijab 1.9.
        let hh = head.height().max(1.0);
        let (bx, bw) = (f64::from(f.x), f64::from(f.width).max(1.0));
        let outside = [
            (-head.crown).max(0.0) / hh,
            (head.chin - h).max(0.0) / hh,
            (-bx).max(0.0) / bw,
            (bx + bw - w).max(0.0) / bw,
        ];
        FaceMeasures {
            detector_score: f.score,
            crown_measured: top.is_some(),
            width_ratio: f64::from(f.width) / w,
            height_ratio: head.height() / h,
            offset_x: (cx - w / 2.0) / w,
            offset_y: (cy - h / 2.0) / h,
            outside,
            eye_distance_px: measure::eyes(img, f)
                .map(|((x0, y0), (x1, y1))| (x1 - x0).hypot(y1 - y0)),
            illumination_symmetry: measure::illumination_symmetry(img, f),
        }
    });
    let m = Measures {
        face_count: faces.len(),
        face,
        background,
        background_match: expected.map(|bg| background.fraction(bg)),
        exposure: measure::exposure(img, main),
        sharpness: measure::sharpness(img, main),
        colourfulness: measure::colourfulness(img, main),
    };
    m.report(expected)
}

/// The score's components, each 0 (hopeless) to 1 (good), 0.9 exactly at the threshold in
/// [`limits`]; `None` where the measure does not apply.
#[derive(Debug, Clone, Copy)]
struct Components {
    several: f64,
    cut: f64,
    small: f64,
    large: f64,
    centre: f64,
    dark: f64,
    bright: f64,
    contrast: f64,
    sharp: f64,
    lighting: f64,
    plain: f64,
    colour_match: f64,
    colour: f64,
}

impl Measures {
    fn components(&self) -> Components {
        use limits::*;
        let e = &self.exposure;
        let mut c = Components {
            several: if self.face_count > 1 { 0.5 } else { 1.0 },
            cut: 1.0,
            small: 1.0,
            large: 1.0,
            centre: 1.0,
            dark: ramp(e.mean, [(20.0, 0.0), (MIN_FACE_MEAN, 0.9), (80.0, 1.0)]).min(ramp(
                -e.dark_fraction,
                [(-0.3, 0.0), (-MAX_DARK_FRACTION, 0.9), (-0.01, 1.0)],
            )),
            bright: ramp(
                -e.mean,
                [(-250.0, 0.0), (-MAX_FACE_MEAN, 0.9), (-200.0, 1.0)],
            )
            .min(ramp(
                -e.bright_fraction,
                [(-0.3, 0.0), (-MAX_BRIGHT_FRACTION, 0.9), (-0.01, 1.0)],
            )),
            contrast: ramp(
                e.contrast_ratio,
                [(0.2, 0.0), (MIN_CONTRAST_RATIO, 0.9), (0.55, 1.0)],
            ),
            sharp: ramp(
                self.sharpness,
                [(0.1, 0.0), (MIN_SHARPNESS, 0.9), (0.45, 1.0)],
            ),
            lighting: 1.0,
            plain: 1.0,
            colour_match: 1.0,
            colour: ramp(
                self.colourfulness,
                [(1.0, 0.0), (MIN_COLOURFULNESS, 0.9), (10.0, 1.0)],
            ),
        };
        if let Some(f) = &self.face {
            c.cut = ramp(
                -f.outside.iter().copied().fold(0.0, f64::max),
                [(-0.5, 0.0), (-MAX_HEAD_OUTSIDE, 0.9), (0.0, 1.0)],
            );
            c.small = ramp(
                f.height_ratio,
                [(0.30, 0.0), (MIN_HEAD_HEIGHT, 0.9), (0.70, 1.0)],
            );
            c.large = ramp(
                -f.height_ratio,
                [(-1.10, 0.0), (-MAX_HEAD_HEIGHT, 0.9), (-0.80, 1.0)],
            )
            .min(ramp(
                -f.width_ratio,
                [(-1.2, 0.0), (-MAX_FACE_WIDTH, 0.9), (-0.9, 1.0)],
            ));
            c.centre = ramp(
                -f.offset_x.abs(),
                [(-0.30, 0.0), (-MAX_OFFSET_X, 0.9), (-0.03, 1.0)],
            )
            .min(ramp(
                -f.offset_y.abs(),
                [(-0.35, 0.0), (-MAX_OFFSET_Y, 0.9), (-0.05, 1.0)],
            ));
            c.lighting = ramp(
                f.illumination_symmetry,
                [(0.45, 0.0), (MIN_ILLUMINATION_SYMMETRY, 0.9), (0.85, 1.0)],
            );
            if self.background.pixels > 0 {
                c.plain = ramp(
                    -self.background.uniformity,
                    [(-60.0, 0.0), (-MAX_BACKGROUND_STD, 0.9), (-10.0, 1.0)],
                );
                if let Some(m) = self.background_match {
                    c.colour_match =
                        ramp(m, [(0.5, 0.0), (MIN_BACKGROUND_MATCH, 0.9), (0.95, 1.0)]);
                }
            }
        }
        c
    }

    fn report(&self, expected: Option<Background>) -> QualityReport {
        let measures = self.list();
        let c = self.components();
        let mut feedback = Vec::new();
        let flag = |v: f64| v < 0.9;
        if self.face.is_none() {
            feedback.push(NO_FACE);
        }
        if flag(c.several) {
            feedback.push(SEVERAL_FACES);
        }
        if let (Some(f), true) = (&self.face, flag(c.cut)) {
            // The edge with the most of the head outside.
            let edge = (0..4).fold(0, |best, i| {
                if f.outside[i] > f.outside[best] {
                    i
                } else {
                    best
                }
            });
            feedback.push(match edge {
                0 => FACE_CUT_OFF_TOP,
                1 => FACE_CUT_OFF_BOTTOM,
                2 => FACE_CUT_OFF_LEFT,
                _ => FACE_CUT_OFF_RIGHT,
            });
        }
        if flag(c.small) {
            feedback.push(FACE_TOO_SMALL);
        }
        if flag(c.large) {
            feedback.push(FACE_TOO_LARGE);
        }
        if flag(c.centre) {
            feedback.push(OFF_CENTRE);
        }
        if flag(c.dark) {
            feedback.push(TOO_DARK);
        }
        if flag(c.bright) {
            feedback.push(OVEREXPOSED);
        }
        if flag(c.contrast) {
            feedback.push(LOW_CONTRAST);
        }
        if self.face.is_some() && flag(c.sharp) {
            feedback.push(BLURRED);
        }
        if flag(c.lighting) {
            feedback.push(UNEVEN_LIGHTING);
        }
        if flag(c.plain) {
            feedback.push(BACKGROUND_NOT_PLAIN);
        }
        if flag(c.colour_match) {
            feedback.push(match expected {
                Some(Background::Red) => WRONG_BACKGROUND_RED,
                _ => WRONG_BACKGROUND_BLUE,
            });
        }
        if flag(c.colour) {
            feedback.push(GREYSCALE);
        }
        let score = if self.face.is_none() {
            0
        } else {
            let worst = [
                c.several,
                c.cut,
                c.small,
                c.large,
                c.centre,
                c.dark,
                c.bright,
                c.contrast,
                c.sharp,
                c.lighting,
                c.plain,
                c.colour_match,
                c.colour,
            ]
            .into_iter()
            .fold(1.0f64, f64::min);
            let raw = (100.0 * worst).round().clamp(0.0, 100.0) as u8;
            if feedback.is_empty() {
                raw.max(ACCEPT_SCORE)
            } else {
                raw.min(ACCEPT_SCORE - 1)
            }
        };
        QualityReport {
            modality: Modality::Face,
            score,
            measures,
            feedback,
        }
    }

    fn list(&self) -> Vec<Measure> {
        let m = |name, value| Measure { name, value };
        let mut v = vec![m("face_count", self.face_count as f64)];
        if let Some(f) = &self.face {
            v.push(m("detector_score", f.detector_score));
            v.push(m("face_width_ratio", f.width_ratio));
            v.push(m("face_height_ratio", f.height_ratio));
            v.push(m("crown_measured", f64::from(u8::from(f.crown_measured))));
            v.push(m("centre_offset_x", f.offset_x));
            v.push(m("centre_offset_y", f.offset_y));
            v.push(m("cut_top", f.outside[0]));
            v.push(m("cut_bottom", f.outside[1]));
            v.push(m("cut_left", f.outside[2]));
            v.push(m("cut_right", f.outside[3]));
            if let Some(d) = f.eye_distance_px {
                v.push(m("eye_distance_px", d));
            }
            v.push(m("illumination_symmetry", f.illumination_symmetry));
            v.push(m("background_sides", f64::from(self.background.sides)));
            if self.background.pixels > 0 {
                let b = &self.background;
                v.push(m("background_uniformity", b.uniformity));
                v.push(m("background_hue", b.hue));
                v.push(m("background_saturation", b.saturation));
                v.push(m("background_value", b.value));
                v.push(m("background_red_fraction", b.red_fraction));
                v.push(m("background_blue_fraction", b.blue_fraction));
                if let Some(x) = self.background_match {
                    v.push(m("background_match", x));
                }
            }
        }
        let e = &self.exposure;
        v.push(m("exposure_mean", e.mean));
        v.push(m("dark_fraction", e.dark_fraction));
        v.push(m("bright_fraction", e.bright_fraction));
        v.push(m("dynamic_range", e.dynamic_range));
        v.push(m("contrast_ratio", e.contrast_ratio));
        v.push(m("sharpness", self.sharpness));
        v.push(m("colourfulness", self.colourfulness));
        v
    }
}

/// Piecewise-linear through three knots with increasing `x`, flat outside them; NaN gives
/// the first knot's value.
fn ramp(x: f64, k: [(f64, f64); 3]) -> f64 {
    if x.is_nan() || x <= k[0].0 {
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
