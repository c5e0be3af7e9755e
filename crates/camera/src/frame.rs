//! Checking and decoding one frame with nokhwa's decoders.
//!
//! A damaged frame must not become a picture: nokhwa accepts a YUYV buffer of the wrong length
//! when it is at least as long as the image, and its MJPEG decoder (mozjpeg) signals a corrupt
//! JPEG by unwinding. So the length and the JPEG markers are checked first, and the decoder runs
//! inside `catch_unwind`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use image::RgbImage;
use nokhwa::pixel_format::{FormatDecoder, RgbFormat};
use nokhwa::utils::{CameraFormat, FrameFormat};
use nokhwa::Buffer;

/// The bytes a frame of `format` must have, when its size is fixed.
pub fn expected_len(format: FrameFormat, width: u32, height: u32) -> Option<usize> {
    let px = width as usize * height as usize;
    match format {
        FrameFormat::YUYV => Some(px * 2),
        FrameFormat::NV12 => Some(px * 3 / 2),
        FrameFormat::RAWRGB | FrameFormat::RAWBGR => Some(px * 3),
        FrameFormat::GRAY => Some(px),
        FrameFormat::MJPEG => None,
    }
}

/// Decodes `buf`, which should be a frame of `format`, to RGB; or says what is wrong with it.
pub fn decode(buf: &Buffer, format: CameraFormat) -> Result<RgbImage, String> {
    let (w, h) = (format.width(), format.height());
    let res = buf.resolution();
    if (res.width(), res.height()) != (w, h) || buf.source_frame_format() != format.format() {
        return Err(format!(
            "the backend labels it {}x{} {} while the camera is set to {}x{} {}",
            res.width(),
            res.height(),
            buf.source_frame_format(),
            w,
            h,
            format.format()
        ));
    }
    let data = buf.buffer();
    let fcc = format.format();
    match expected_len(fcc, w, h) {
        Some(n) if data.len() != n => {
            return Err(format!(
                "{} bytes where a {w}x{h} {fcc} frame has {n}",
                data.len()
            ))
        }
        Some(_) => {}
        None => check_jpeg(data)?,
    }
    let decoded = catch_unwind(AssertUnwindSafe(|| RgbFormat::write_output(fcc, res, data)))
        .map_err(|panic| {
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("the decoder gave up");
            format!("undecodable {fcc} data: {why}")
        })?
        .map_err(|e| format!("undecodable {fcc} data: {e}"))?;
    let want = w as usize * h as usize * 3;
    if decoded.len() != want {
        return Err(format!(
            "it decodes to {} bytes where a {w}x{h} picture has {want} (a picture of another size?)",
            decoded.len()
        ));
    }
    RgbImage::from_raw(w, h, decoded).ok_or_else(|| "the decoded picture has no pixels".into())
}

/// A JPEG starts with SOI (FF D8) and ends with EOI (FF D9); cameras may pad after EOI.
fn check_jpeg(data: &[u8]) -> Result<(), String> {
    if data.len() < 4 || data[0] != 0xFF || data[1] != 0xD8 {
        return Err(format!(
            "{} bytes that do not start like a JPEG image",
            data.len()
        ));
    }
    let tail = &data[data.len().saturating_sub(4096)..];
    if !tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
        return Err(format!(
            "a JPEG image of {} bytes with no end marker (cut short)",
            data.len()
        ));
    }
    Ok(())
}

/// Mean and standard deviation of the luma (BT.601) of `img`, sampling every 4th pixel.
pub fn luma_stats(img: &RgbImage) -> (f64, f64) {
    let (mut n, mut sum, mut sq) = (0f64, 0f64, 0f64);
    for p in img.pixels().step_by(4) {
        let y = 0.299 * f64::from(p.0[0]) + 0.587 * f64::from(p.0[1]) + 0.114 * f64::from(p.0[2]);
        n += 1.0;
        sum += y;
        sq += y * y;
    }
    if n == 0.0 {
        return (0.0, 0.0);
    }
    let mean = sum / n;
    (mean, (sq / n - mean * mean).max(0.0).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nokhwa::utils::Resolution;

    fn fmt(f: FrameFormat) -> CameraFormat {
        CameraFormat::new(Resolution::new(4, 2), f, 30)
    }

    #[test]
    fn yuyv_of_the_right_length_decodes() {
        // Mid grey: Y=126, U=V=128.
        let data = [126u8, 128, 126, 128].repeat(4);
        let buf = Buffer::new(Resolution::new(4, 2), &data, FrameFormat::YUYV);
        let img = decode(&buf, fmt(FrameFormat::YUYV)).unwrap();
        assert_eq!(img.dimensions(), (4, 2));
        let p = img.get_pixel(3, 1).0;
        assert!(p.iter().all(|&c| (126..=130).contains(&c)), "{p:?}");
    }

    #[test]
    fn a_long_or_short_yuyv_frame_is_damaged() {
        for n in [12usize, 20, 32] {
            let buf = Buffer::new(Resolution::new(4, 2), &vec![128u8; n], FrameFormat::YUYV);
            let e = decode(&buf, fmt(FrameFormat::YUYV)).unwrap_err();
            assert!(e.contains("16"), "{e}");
        }
    }

    #[test]
    fn a_corrupt_jpeg_is_damaged_not_a_panic() {
        let not_jpeg = Buffer::new(Resolution::new(4, 2), &[0u8; 64], FrameFormat::MJPEG);
        assert!(decode(&not_jpeg, fmt(FrameFormat::MJPEG)).is_err());
        // Right markers, garbage inside: mozjpeg unwinds; the driver must catch it.
        let mut bad = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x03, 0x42];
        bad.extend([0x13; 50]);
        bad.extend([0xFF, 0xD9]);
        let bad = Buffer::new(Resolution::new(4, 2), &bad, FrameFormat::MJPEG);
        let e = decode(&bad, fmt(FrameFormat::MJPEG)).unwrap_err();
        assert!(e.contains("undecodable"), "{e}");
        let cut = Buffer::new(
            Resolution::new(4, 2),
            &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2],
            FrameFormat::MJPEG,
        );
        assert!(decode(&cut, fmt(FrameFormat::MJPEG))
            .unwrap_err()
            .contains("end marker"));
    }

    #[test]
    fn a_frame_labelled_with_another_size_is_damaged() {
        let buf = Buffer::new(Resolution::new(2, 2), &[0u8; 8], FrameFormat::YUYV);
        assert!(decode(&buf, fmt(FrameFormat::YUYV))
            .unwrap_err()
            .contains("labels"));
    }
}
