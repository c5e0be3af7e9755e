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
    let (grey, dw, dh) = grey_reduced(img, k);
    (grey, dw, dh, k)
}

/// A grey copy of `img` reduced by the factor `k` (at least 1), averaging `k` x `k` blocks;
/// the pixels, width and height.
fn grey_reduced(img: &RgbImage, k: u32) -> (Vec<u8>, u32, u32) {
    let (w, h) = img.dimensions();
    let k = k.max(1);
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
    (out, dw, dh)
}

/// ITU-R BT.601 luma, 0-255, integer weights summing to 256.
#[inline]
pub(crate) fn luma8(r: u8, g: u8, b: u8) -> u32 {
    (77 * u32::from(r) + 150 * u32::from(g) + 29 * u32::from(b)) >> 8
}

/// Runs SeetaFace on a grey image with the given minimum and maximum face size (pixels of
/// that image; a maximum of 0 means none). rustface 0.1.7's pyramid starts at its 40-pixel
/// window whatever the minimum, so faces below 40 pixels are not found (see
/// `docs/quality/face.md`).
fn seeta(grey: &[u8], w: u32, h: u32, min_face: u32, max_face: u32) -> Vec<rustface::FaceInfo> {
    DETECTOR.with(|cell| {
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
        detector.set_min_face_size(min_face.max(MIN_FACE_PX));
        detector.set_max_face_size(max_face);
        detector.detect(&ImageData::new(grey, w, h))
    })
}

/// Boxes found in a copy reduced by `k` whose image starts `pad` copy pixels right of and
/// below the copy's origin, in the original image's pixels.
fn to_image_boxes(found: &[rustface::FaceInfo], k: u32, pad: u32) -> Vec<FaceBox> {
    let (k, p) = (k as i32, pad as i32);
    found
        .iter()
        .map(|f| {
            let b = f.bbox();
            FaceBox {
                x: b.x().saturating_sub(p).saturating_mul(k),
                y: b.y().saturating_sub(p).saturating_mul(k),
                width: b.width().saturating_mul(k as u32),
                height: b.height().saturating_mul(k as u32),
                score: f.score(),
            }
        })
        .filter(|f| f.width > 0 && f.height > 0)
        .collect()
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
    let found = seeta(&grey, dw, dh, min_face, 0);
    let mut faces = to_image_boxes(&found, k, 0);
    faces.sort_by_key(|f| std::cmp::Reverse(f.area()));
    faces
}

/// The smallest face (detector box) a window of SeetaFace finds, pixels of the copy it runs on.
pub const SEETA_WINDOW_PX: u32 = 40;

/// [`detect_faces_anywhere`]'s first pass runs on a copy whose shorter side is at most this
/// many pixels (and longer side at most three times that): faces of at least a sixth of the
/// shorter side.
pub const PHOTO_COARSE_SIDE: u32 = 240;

/// [`detect_faces_anywhere`]'s second pass, when the first finds nothing: a copy whose shorter
/// side is at most this (longer side at most three times that), for faces down to about 4-8 %
/// of the shorter side.
pub const PHOTO_FINE_SIDE: u32 = 1000;

/// Mean grey added around the first pass's copy on every side, as a fraction of its shorter
/// side, so the detector's window can reach past the image's edge and a face cut by the edge
/// is still found (and then judged cut off rather than missed).
pub const PHOTO_PAD_FRACTION: f64 = 0.25;

/// The reduction factor for a copy whose shorter side is at most `side` and longer side at
/// most three times that.
fn factor_for(w: u32, h: u32, side: u32) -> u32 {
    let (short, long) = (w.min(h), w.max(h));
    short
        .div_ceil(side)
        .max(long.div_ceil(side.saturating_mul(3)))
        .max(1)
}

/// `grey` (`w` x `h`) with `pad` pixels of its mean grey added on every side.
fn padded(grey: &[u8], w: u32, h: u32, pad: u32) -> (Vec<u8>, u32, u32) {
    let mean = if grey.is_empty() {
        128
    } else {
        (grey.iter().map(|&v| u64::from(v)).sum::<u64>() / grey.len() as u64) as u8
    };
    let (pw, ph) = (w + 2 * pad, h + 2 * pad);
    let mut out = vec![mean; pw as usize * ph as usize];
    for y in 0..h as usize {
        let dst = (y + pad as usize) * pw as usize + pad as usize;
        out[dst..dst + w as usize].copy_from_slice(&grey[y * w as usize..(y + 1) * w as usize]);
    }
    (out, pw, ph)
}

/// Every face SeetaFace finds anywhere in a photograph of any shape and size, in its pixels,
/// largest first; boxes of faces cut by the image's edge extend past it. For files
/// (`rekam quality`), where the face may be anywhere; the station's live frames use
/// [`detect_faces`] on the fixed 3:4 crop instead.
///
/// First pass: a copy reduced to [`PHOTO_COARSE_SIDE`] with [`PHOTO_PAD_FRACTION`] of mean
/// grey around it (faces from a sixth of the shorter side up, also when cut by an edge).
/// Only when that finds nothing, a second pass on a finer copy ([`PHOTO_FINE_SIDE`]) for the
/// faces smaller than the first pass could see.
pub fn detect_faces_anywhere(img: &RgbImage) -> Vec<FaceBox> {
    let (w, h) = img.dimensions();
    let k1 = factor_for(w, h, PHOTO_COARSE_SIDE);
    let (grey, dw, dh) = grey_reduced(img, k1);
    if dw < MIN_FACE_PX || dh < MIN_FACE_PX {
        return Vec::new();
    }
    let pad = (f64::from(dw.min(dh)) * PHOTO_PAD_FRACTION).round() as u32;
    let (g, pw, ph) = padded(&grey, dw, dh, pad);
    let mut faces = to_image_boxes(&seeta(&g, pw, ph, MIN_FACE_PX, 0), k1, pad);
    let k2 = factor_for(w, h, PHOTO_FINE_SIDE);
    if faces.is_empty() && k2 < k1 {
        let (grey, dw, dh) = grey_reduced(img, k2);
        // Only faces the first pass was too coarse for (with some overlap): the first pass
        // saw faces of SEETA_WINDOW_PX copy pixels and up.
        let max_face = (SEETA_WINDOW_PX * k1 / k2) * 5 / 4;
        let pad = max_face / 2;
        let (g, pw, ph) = padded(&grey, dw, dh, pad);
        faces = to_image_boxes(&seeta(&g, pw, ph, MIN_FACE_PX, max_face), k2, pad);
    }
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
