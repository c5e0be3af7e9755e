//! Face detection with SeetaFace (the `rustface` port), on a downscaled grey copy.

use std::cell::RefCell;

use image::RgbImage;
use rustface::{Detector, ImageData};

use super::FaceBox;

/// The SeetaFace frontal detection model (`seeta_fd_frontal_v1.0.bin`, BSD 2-Clause, as shipped
/// in the `rustface` 0.1.7 package), kept in this crate's `model/` folder with its licence and
/// embedded at compile time: no build script, no lookup of another package's files.
static MODEL: &[u8] = include_bytes!("../../model/seeta_fd_frontal_v1.0.bin");

/// SHA-256 of [`MODEL`] as published in `rustface` 0.1.7 (`model/seeta_fd_frontal_v1.0.bin`).
#[cfg(test)]
const MODEL_SHA256: &str = "c4619d066ed35e84d9a8e842860b0dff567aba0cbb139881075538761db3ff5d";

/// The detector runs on a grey copy whose longer side is at most this many pixels.
pub const DETECT_LONG_SIDE: u32 = 320;
/// Smallest face the detector looks for, in pixels of the downscaled copy (SeetaFace's
/// minimum window is 20).
pub const MIN_FACE_PX: u32 = 20;
/// Smallest face the detector looks for, as a fraction of the shorter side of the frame (a
/// face box of 12 % of the height is a head of about 20 %, far below the 60 % asked for; it
/// is still found, so the operator hears "too small" rather than "no face").
pub const MIN_FACE_FRACTION: f64 = 0.12;
/// Detections scoring below this are dropped (the value rustface's examples use; SeetaFace
/// suggests 0.95, 2.8 or 4.5 as typical operating points).
pub const SCORE_THRESHOLD: f64 = 2.0;

thread_local! {
    static DETECTOR: RefCell<Option<Box<dyn Detector>>> = const { RefCell::new(None) };
}

/// A grey copy of `img` reduced by an integer factor so that its longer side is at most
/// [`DETECT_LONG_SIDE`], by averaging `k` x `k` blocks. Returns the grey pixels, the copy's
/// width and height, and the factor.
pub(crate) fn downscaled_grey(img: &RgbImage) -> (Vec<u8>, u32, u32, u32) {
    let (w, h) = img.dimensions();
    let k = w.max(h).div_ceil(DETECT_LONG_SIDE).max(1);
    let (dw, dh) = (w / k, h / k);
    let mut out = vec![0u8; (dw as usize) * (dh as usize)];
    let raw = img.as_raw();
    let stride = w as usize * 3;
    let n = k * k;
    for y in 0..dh as usize {
        for x in 0..dw as usize {
            let mut sum = 0u32;
            for yy in 0..k as usize {
                let row = (y * k as usize + yy) * stride;
                for xx in 0..k as usize {
                    let i = row + (x * k as usize + xx) * 3;
                    sum += luma8(raw[i], raw[i + 1], raw[i + 2]);
                }
            }
            out[y * dw as usize + x] = (sum / n) as u8;
        }
    }
    (out, dw, dh, k)
}

/// ITU-R BT.601 luma, 0-255, integer weights summing to 256.
#[inline]
pub(crate) fn luma8(r: u8, g: u8, b: u8) -> u32 {
    (77 * u32::from(r) + 150 * u32::from(g) + 29 * u32::from(b)) >> 8
}

/// Every face SeetaFace finds in `img`, in `img`'s pixels, largest first.
///
/// Images whose downscaled copy is smaller than the detector's minimum window give no face.
pub fn detect_faces(img: &RgbImage) -> Vec<FaceBox> {
    let (grey, dw, dh, k) = downscaled_grey(img);
    if dw < MIN_FACE_PX || dh < MIN_FACE_PX {
        return Vec::new();
    }
    let min_face = ((f64::from(dw.min(dh)) * MIN_FACE_FRACTION) as u32).max(MIN_FACE_PX);
    let found = DETECTOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let detector = slot.get_or_insert_with(|| {
            // The model is a constant embedded at build time; it parses or the build is broken.
            #[allow(clippy::expect_used)]
            let model = rustface::read_model(MODEL).expect("the embedded SeetaFace model parses");
            let mut d = rustface::create_detector_with_model(model);
            d.set_score_thresh(SCORE_THRESHOLD);
            d.set_pyramid_scale_factor(0.8);
            d.set_slide_window_step(4, 4);
            d
        });
        detector.set_min_face_size(min_face);
        detector.detect(&ImageData::new(&grey, dw, dh))
    });
    let k = k as i32;
    let mut faces: Vec<FaceBox> = found
        .iter()
        .map(|f| {
            let b = f.bbox();
            FaceBox {
                x: b.x().saturating_mul(k),
                y: b.y().saturating_mul(k),
                width: b.width().saturating_mul(k as u32),
                height: b.height().saturating_mul(k as u32),
                score: f.score(),
            }
        })
        .filter(|f| f.width > 0 && f.height > 0)
        .collect();
    faces.sort_by_key(|f| std::cmp::Reverse(f.area()));
    faces
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn the_embedded_model_is_the_published_seetaface_model() {
        let digest = Sha256::digest(MODEL);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, MODEL_SHA256);
        assert_eq!(MODEL.len(), 1_209_904);
    }
}
