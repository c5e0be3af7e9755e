//! What a capture produces: an image with its resolution and body position, or a pen series.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A finger, numbered as ISO/IEC 19794-4 and ANSI/NIST-ITL number finger positions (1-10).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Finger {
    /// Position 1.
    RightThumb,
    /// Position 2.
    RightIndex,
    /// Position 3.
    RightMiddle,
    /// Position 4.
    RightRing,
    /// Position 5.
    RightLittle,
    /// Position 6.
    LeftThumb,
    /// Position 7.
    LeftIndex,
    /// Position 8.
    LeftMiddle,
    /// Position 9.
    LeftRing,
    /// Position 10.
    LeftLittle,
}

impl Finger {
    /// All ten, in ISO position order.
    pub const ALL: [Finger; 10] = [
        Finger::RightThumb,
        Finger::RightIndex,
        Finger::RightMiddle,
        Finger::RightRing,
        Finger::RightLittle,
        Finger::LeftThumb,
        Finger::LeftIndex,
        Finger::LeftMiddle,
        Finger::LeftRing,
        Finger::LeftLittle,
    ];

    /// The ISO/IEC 19794-4 finger position code, 1 to 10.
    pub fn iso_code(self) -> u8 {
        match self {
            Finger::RightThumb => 1,
            Finger::RightIndex => 2,
            Finger::RightMiddle => 3,
            Finger::RightRing => 4,
            Finger::RightLittle => 5,
            Finger::LeftThumb => 6,
            Finger::LeftIndex => 7,
            Finger::LeftMiddle => 8,
            Finger::LeftRing => 9,
            Finger::LeftLittle => 10,
        }
    }

    /// The finger with ISO code `code`, if 1 to 10.
    pub fn from_iso_code(code: u8) -> Option<Finger> {
        Finger::ALL.get(usize::from(code).checked_sub(1)?).copied()
    }

    /// A stable lower-case name, e.g. `right_index`.
    pub fn as_str(self) -> &'static str {
        match self {
            Finger::RightThumb => "right_thumb",
            Finger::RightIndex => "right_index",
            Finger::RightMiddle => "right_middle",
            Finger::RightRing => "right_ring",
            Finger::RightLittle => "right_little",
            Finger::LeftThumb => "left_thumb",
            Finger::LeftIndex => "left_index",
            Finger::LeftMiddle => "left_middle",
            Finger::LeftRing => "left_ring",
            Finger::LeftLittle => "left_little",
        }
    }
}

impl fmt::Display for Finger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a body position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a known position: use e.g. right_index, left_thumb, left_eye, face, signature, or a finger code 1-10")]
pub struct ParsePositionError(String);

impl FromStr for Finger {
    type Err = ParsePositionError;

    /// Parses `right_index`, `right-index` or the ISO code `2`.
    ///
    /// ```
    /// use rekam_device::Finger;
    /// assert_eq!("right-index".parse::<Finger>().unwrap(), Finger::RightIndex);
    /// assert_eq!("7".parse::<Finger>().unwrap(), Finger::LeftIndex);
    /// assert!("left_toe".parse::<Finger>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        if let Ok(code) = norm.parse::<u8>() {
            return Finger::from_iso_code(code).ok_or_else(|| ParsePositionError(s.to_string()));
        }
        Finger::ALL
            .into_iter()
            .find(|f| f.as_str() == norm)
            .ok_or_else(|| ParsePositionError(s.to_string()))
    }
}

/// An eye.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Eye {
    /// The person's right eye.
    Right,
    /// The person's left eye.
    Left,
}

/// Where on the body a capture was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "which")]
pub enum Position {
    /// A fingerprint.
    Finger(Finger),
    /// An iris.
    Iris(Eye),
    /// The face.
    Face,
    /// The handwritten signature.
    Signature,
    /// Not known (a technician's test capture).
    Unknown,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Finger(finger) => write!(f, "{finger}"),
            Position::Iris(Eye::Right) => f.write_str("right_eye"),
            Position::Iris(Eye::Left) => f.write_str("left_eye"),
            Position::Face => f.write_str("face"),
            Position::Signature => f.write_str("signature"),
            Position::Unknown => f.write_str("unknown"),
        }
    }
}

impl FromStr for Position {
    type Err = ParsePositionError;

    /// ```
    /// use rekam_device::{Position, Finger, Eye};
    /// assert_eq!("left_eye".parse::<Position>().unwrap(), Position::Iris(Eye::Left));
    /// assert_eq!("right_thumb".parse::<Position>().unwrap(), Position::Finger(Finger::RightThumb));
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        match norm.as_str() {
            "right_eye" => Ok(Position::Iris(Eye::Right)),
            "left_eye" => Ok(Position::Iris(Eye::Left)),
            "face" => Ok(Position::Face),
            "signature" => Ok(Position::Signature),
            "unknown" => Ok(Position::Unknown),
            _ => Finger::from_str(s).map(Position::Finger),
        }
    }
}

/// The pixels of an image capture.
#[derive(Debug, Clone, PartialEq)]
pub enum Pixels {
    /// 8-bit grey, row-major.
    Gray(image::GrayImage),
    /// 8-bit RGB, row-major.
    Rgb(image::RgbImage),
}

/// An image from a scanner or camera, with what is needed to interpret it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageCapture {
    /// The pixels.
    pub pixels: Pixels,
    /// Resolution in pixels per inch (fingerprints: about 500); `None` for cameras.
    pub ppi: Option<u32>,
    /// Where on the body.
    pub position: Position,
    /// How many grey levels the device delivers before scaling to 8 bits (e.g. 16 for 4-bit).
    pub source_levels: u16,
}

impl ImageCapture {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        match &self.pixels {
            Pixels::Gray(i) => i.width(),
            Pixels::Rgb(i) => i.width(),
        }
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        match &self.pixels {
            Pixels::Gray(i) => i.height(),
            Pixels::Rgb(i) => i.height(),
        }
    }

    /// Encodes the image losslessly as PNG.
    pub fn to_png(&self) -> Result<Vec<u8>, image::ImageError> {
        let mut out = std::io::Cursor::new(Vec::new());
        match &self.pixels {
            Pixels::Gray(i) => i.write_to(&mut out, image::ImageFormat::Png)?,
            Pixels::Rgb(i) => i.write_to(&mut out, image::ImageFormat::Png)?,
        }
        Ok(out.into_inner())
    }
}

/// One pen report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct PenSample {
    /// Microseconds since the capture started.
    pub t_us: u64,
    /// Horizontal position in device units.
    pub x: u16,
    /// Vertical position in device units (down is positive).
    pub y: u16,
    /// Tip pressure in device units, 0 when not touching.
    pub pressure: u16,
    /// Whether the tip touches the surface.
    pub tip: bool,
}

/// A pen series grouped into strokes (each stroke is a run of samples with the tip down).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PenCapture {
    /// Strokes in the order written; each holds at least one sample with the tip down.
    pub strokes: Vec<Vec<PenSample>>,
    /// Largest x the device reports.
    pub max_x: u16,
    /// Largest y the device reports.
    pub max_y: u16,
    /// Largest pressure the device reports.
    pub max_pressure: u16,
    /// Device units per millimetre.
    pub units_per_mm: u16,
    /// Total capture time in microseconds (first to last sample, pen up included).
    pub duration_us: u64,
}

impl PenCapture {
    /// Number of samples with the tip down.
    pub fn point_count(&self) -> usize {
        self.strokes.iter().map(Vec::len).sum()
    }

    /// Renders the strokes as black ink on white, `width` pixels wide, keeping the pad's
    /// aspect ratio; line width follows pressure.
    pub fn render(&self, width: u32) -> image::GrayImage {
        let width = width.max(16);
        let max_x = f64::from(self.max_x.max(1));
        let max_y = f64::from(self.max_y.max(1));
        let scale = f64::from(width) / max_x;
        let height = ((max_y * scale).round() as u32).max(16);
        let mut img = image::GrayImage::from_pixel(width, height, image::Luma([255]));
        let max_p = f64::from(self.max_pressure.max(1));
        for stroke in &self.strokes {
            for pair in stroke.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let pa = f64::from(a.pressure) / max_p;
                let pb = f64::from(b.pressure) / max_p;
                let (ax, ay) = (f64::from(a.x) * scale, f64::from(a.y) * scale);
                let (bx, by) = (f64::from(b.x) * scale, f64::from(b.y) * scale);
                let len = ((bx - ax).powi(2) + (by - ay).powi(2)).sqrt();
                let steps = (len * 2.0).ceil().max(1.0) as u32;
                for s in 0..=steps {
                    let t = f64::from(s) / f64::from(steps);
                    let x = ax + (bx - ax) * t;
                    let y = ay + (by - ay) * t;
                    let p = pa + (pb - pa) * t;
                    let r = 0.6 + 1.6 * p * f64::from(width) / 800.0;
                    stamp(&mut img, x, y, r);
                }
            }
            if stroke.len() == 1 {
                let s = stroke[0];
                stamp(
                    &mut img,
                    f64::from(s.x) * scale,
                    f64::from(s.y) * scale,
                    1.0,
                );
            }
        }
        img
    }
}

fn stamp(img: &mut image::GrayImage, cx: f64, cy: f64, r: f64) {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let x0 = (cx - r).floor() as i64;
    let x1 = (cx + r).ceil() as i64;
    let y0 = (cy - r).floor() as i64;
    let y1 = (cy + r).ceil() as i64;
    for y in y0.max(0)..=y1.min(h - 1) {
        for x in x0.max(0)..=x1.min(w - 1) {
            let d = ((x as f64 + 0.5 - cx).powi(2) + (y as f64 + 0.5 - cy).powi(2)).sqrt();
            if d <= r + 0.5 {
                let cover = (r + 0.5 - d).clamp(0.0, 1.0);
                let px = img.get_pixel_mut(x as u32, y as u32);
                let v = f64::from(px.0[0]) * (1.0 - cover);
                px.0[0] = v.round() as u8;
            }
        }
    }
}

/// What a capture produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Capture {
    /// An image (fingerprint, iris, face).
    Image(ImageCapture),
    /// A pen series (signature).
    Pen(PenCapture),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finger_codes_round_trip() {
        for f in Finger::ALL {
            assert_eq!(Finger::from_iso_code(f.iso_code()), Some(f));
            assert_eq!(f.as_str().parse::<Finger>(), Ok(f));
        }
        assert_eq!(Finger::from_iso_code(0), None);
        assert_eq!(Finger::from_iso_code(11), None);
    }

    #[test]
    fn render_draws_ink_where_the_pen_went() {
        let s = |t, x, y| PenSample {
            t_us: t,
            x,
            y,
            pressure: 500,
            tip: true,
        };
        let cap = PenCapture {
            strokes: vec![vec![s(0, 1000, 1000), s(10_000, 9000, 1000)]],
            max_x: 10000,
            max_y: 5000,
            max_pressure: 1023,
            units_per_mm: 100,
            duration_us: 10_000,
        };
        let img = cap.render(400);
        assert_eq!(img.dimensions(), (400, 200));
        // Along the line: ink. Far from it: paper.
        assert!(img.get_pixel(200, 40).0[0] < 128);
        assert_eq!(img.get_pixel(200, 150).0[0], 255);
    }
}
