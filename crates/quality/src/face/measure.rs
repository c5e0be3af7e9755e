//! The pixel measures, each on a region fixed by the face box (or the whole frame without a
//! face). Every function accepts any image size, including 1 x 1, without panicking.

use image::RgbImage;

use super::detect::luma8;
use super::{Background, FaceBox};

/// The head estimated from a detector box (see `docs/quality/face.md`, "Head model").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Head {
    /// Left edge of the head including ears and hair, pixels.
    pub left: f64,
    /// Right edge, pixels.
    pub right: f64,
    /// Top of the head (crown), pixels.
    pub crown: f64,
    /// Bottom of the chin, pixels.
    pub chin: f64,
}

/// Head model: the crown lies this many box heights above the box's top edge.
pub const CROWN_ABOVE_BOX: f64 = 0.50;
/// Head model: the chin lies this many box heights below the box's top edge.
pub const CHIN_BELOW_BOX_TOP: f64 = 1.12;
/// Head model: the head (with hair and ears) is this many box widths wide.
pub const HEAD_WIDTH_PER_BOX: f64 = 1.5;

impl Head {
    /// The head around a detector box.
    pub fn of(face: &FaceBox) -> Head {
        let (x, y) = (f64::from(face.x), f64::from(face.y));
        let (w, h) = (f64::from(face.width), f64::from(face.height));
        let cx = x + w / 2.0;
        Head {
            left: cx - HEAD_WIDTH_PER_BOX * w / 2.0,
            right: cx + HEAD_WIDTH_PER_BOX * w / 2.0,
            crown: y - CROWN_ABOVE_BOX * h,
            chin: y + CHIN_BELOW_BOX_TOP * h,
        }
    }

    /// The head measured from the top of the hair found in the image ([`hair_top`]) and the
    /// eyes' height in the detector box: the eyes at [`EYES_BELOW_BOX_TOP`] box heights below
    /// the box's top, the chin [`CHIN_PER_EYES_TO_HAIR`] times as far below the eyes as the
    /// hair's top is above them, and the crown [`HAIR_ALLOWANCE`] of hair-top-to-chin below
    /// the hair's top (ICAO's crown is the skull's top, without hair). Only the eyes' height
    /// depends on the box, so the detector's box size jitter barely moves the estimate.
    /// `self` unchanged when the hair's top is not above the eyes.
    pub fn with_hair_top(self, face: &FaceBox, hair_top: f64) -> Head {
        let eyes = f64::from(face.y) + EYES_BELOW_BOX_TOP * f64::from(face.height);
        if hair_top >= eyes {
            return self;
        }
        let chin = eyes + CHIN_PER_EYES_TO_HAIR * (eyes - hair_top);
        Head {
            crown: hair_top + HAIR_ALLOWANCE * (chin - hair_top),
            chin,
            ..self
        }
    }

    /// Chin-to-crown length, pixels.
    pub fn height(&self) -> f64 {
        self.chin - self.crown
    }

    /// Horizontal and vertical centre, pixels.
    pub fn centre(&self) -> (f64, f64) {
        (
            (self.left + self.right) / 2.0,
            (self.crown + self.chin) / 2.0,
        )
    }
}

/// Height of the eyes in the detector box, box heights below its top: 0.34 on the astronaut
/// of scikit-image (pupils at row 101, box top 68, height 98), 0.37 on the simulated
/// portraits.
pub const EYES_BELOW_BOX_TOP: f64 = 0.355;

/// Eyes to chin over eyes to the top of the hair: 0.89 on the astronaut (77 / 86, a
/// voluminous bob), 0.92 on the simulated portraits; adults' eyes lie about halfway between
/// the skull's top and the chin.
pub const CHIN_PER_EYES_TO_HAIR: f64 = 0.9;

/// The hair above the skull, as a fraction of hair top to chin: 0.055 on the astronaut of
/// scikit-image (hair top row 15, skull about row 24, chin row 178), 0.04 to 0.08 on the
/// simulated portraits (short hair, hijab).
pub const HAIR_ALLOWANCE: f64 = 0.05;

/// The top of the head (hair, hijab) in the image, pixels: going up from the detector box's
/// top, the last row in which at least a quarter of the pixels across the middle half of the
/// box differ from the backdrop by more than `max(30, 4 × its std)` in some channel; the
/// search stops after a gap of 5 % of the box height. The backdrop is sampled in the frame's
/// top corners (outer fifth of the width, top tenth of the height). `None` when those are
/// not plain (std above [`super::limits::MAX_BACKGROUND_STD`]); exactly 0 when the head
/// reaches the frame's top row (the hair's real top is then unknown: cut off).
pub fn hair_top(img: &RgbImage, face: &FaceBox) -> Option<f64> {
    let (iw, ih) = img.dimensions();
    let (fw, fh) = (f64::from(iw), f64::from(ih));
    let mut n = 0f64;
    let mut sum = [0f64; 3];
    let mut sq = [0f64; 3];
    for r in [
        Rect::clipped(0.0, 0.0, 0.2 * fw, 0.1 * fh, iw, ih),
        Rect::clipped(0.8 * fw, 0.0, fw, 0.1 * fh, iw, ih),
    ] {
        r.sample(img, 2_000, |_, _, p| {
            n += 1.0;
            for c in 0..3 {
                let v = f64::from(p[c]);
                sum[c] += v;
                sq[c] += v * v;
            }
        });
    }
    if n == 0.0 {
        return None;
    }
    let mean = sum.map(|s| s / n);
    let std = ((0..3)
        .map(|c| (sq[c] / n - mean[c] * mean[c]).max(0.0))
        .sum::<f64>()
        / 3.0)
        .sqrt();
    if std > super::limits::MAX_BACKGROUND_STD {
        return None;
    }
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    let (bx, bw, bh) = (
        f64::from(face.x),
        f64::from(face.width),
        f64::from(face.height),
    );
    let x0 = (bx + 0.25 * bw).clamp(0.0, w - 1.0) as u32;
    let x1 = (bx + 0.75 * bw).clamp(0.0, w - 1.0) as u32;
    let y_start = f64::from(face.y).clamp(0.0, h - 1.0) as u32;
    if x1 <= x0 || bh < 1.0 {
        return None;
    }
    let xstep = ((x1 - x0) / 48).max(1);
    let ystep = ((bh / 120.0) as u32).max(1);
    let gap = ((0.05 * bh) as u32).max(1);
    let thr = (4.0 * std).max(30.0);
    let mut top = None;
    let mut y = y_start;
    loop {
        let (mut n, mut differ) = (0u32, 0u32);
        let mut x = x0;
        while x <= x1 {
            let p = img.get_pixel(x, y).0;
            n += 1;
            if (0..3).any(|c| (f64::from(p[c]) - mean[c]).abs() > thr) {
                differ += 1;
            }
            x += xstep;
        }
        if differ * 4 >= n {
            top = Some(y);
        } else if top.map_or(y_start - y, |t| t - y) > gap {
            break;
        }
        if y < ystep {
            break;
        }
        y -= ystep;
    }
    // The last row looked at lies within one step of the top: the hair goes on above it.
    top.map(|t| if t < ystep { 0.0 } else { f64::from(t) })
}

/// A rectangle of pixels, half-open, already clipped to the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl Rect {
    /// `[x0, x1) x [y0, y1)` in image coordinates (fractions allowed), clipped to `w` x `h`.
    pub fn clipped(x0: f64, y0: f64, x1: f64, y1: f64, w: u32, h: u32) -> Rect {
        let cx = |v: f64| v.round().clamp(0.0, f64::from(w)) as u32;
        let cy = |v: f64| v.round().clamp(0.0, f64::from(h)) as u32;
        let (x0, x1) = (cx(x0), cx(x1));
        let (y0, y1) = (cy(y0), cy(y1));
        Rect {
            x0,
            y0,
            x1: x1.max(x0),
            y1: y1.max(y0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.x1 <= self.x0 || self.y1 <= self.y0
    }

    fn overlaps(&self, o: &Rect) -> bool {
        !self.is_empty()
            && !o.is_empty()
            && self.x0 < o.x1
            && o.x0 < self.x1
            && self.y0 < o.y1
            && o.y0 < self.y1
    }

    fn width(&self) -> u32 {
        self.x1.saturating_sub(self.x0)
    }

    fn height(&self) -> u32 {
        self.y1.saturating_sub(self.y0)
    }

    fn area(&self) -> u64 {
        u64::from(self.x1 - self.x0) * u64::from(self.y1 - self.y0)
    }

    /// A sampling step so that about `budget` pixels are visited.
    fn step(&self, budget: u64) -> u32 {
        let a = self.area();
        if a <= budget {
            1
        } else {
            ((a as f64 / budget as f64).sqrt().ceil() as u32).max(1)
        }
    }

    /// Calls `f(x, y, [r, g, b])` on a grid of about `budget` pixels.
    fn sample(&self, img: &RgbImage, budget: u64, mut f: impl FnMut(u32, u32, [u8; 3])) {
        if self.is_empty() {
            return;
        }
        let s = self.step(budget);
        let mut y = self.y0;
        while y < self.y1 {
            let mut x = self.x0;
            while x < self.x1 {
                f(x, y, img.get_pixel(x, y).0);
                x += s;
            }
            y += s;
        }
    }
}

/// The inner face region: the detector box shrunk by 10 % on each side (skin, eyes, mouth;
/// little hair or background).
pub(crate) fn inner_face(img: &RgbImage, face: &FaceBox) -> Rect {
    let (x, y) = (f64::from(face.x), f64::from(face.y));
    let (w, h) = (f64::from(face.width), f64::from(face.height));
    Rect::clipped(
        x + 0.1 * w,
        y + 0.1 * h,
        x + 0.9 * w,
        y + 0.9 * h,
        img.width(),
        img.height(),
    )
}

/// The face region, or the whole frame without a face.
fn face_or_frame(img: &RgbImage, face: Option<&FaceBox>) -> Rect {
    match face {
        Some(f) => inner_face(img, f),
        None => Rect {
            x0: 0,
            y0: 0,
            x1: img.width(),
            y1: img.height(),
        },
    }
}

/// Hue (degrees, 0-360), saturation (0-1) and value (0-1) of an 8-bit RGB colour.
pub fn hsv(r: f64, g: f64, b: f64) -> (f64, f64, f64) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let c = max - min;
    let v = max / 255.0;
    let s = if max > 0.0 { c / max } else { 0.0 };
    let h = if c <= 0.0 {
        0.0
    } else if max == r {
        60.0 * ((g - b) / c).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / c + 2.0)
    } else {
        60.0 * ((r - g) / c + 4.0)
    };
    (h, s, v)
}

/// Rekam's colour classes for a KTP-el backdrop, on one pixel (HSV, see the document):
/// red is hue ≥ 340° or ≤ 15°, blue is hue 190°-250°, both with saturation ≥ 0.35 and
/// value ≥ 0.25. Anything else (white, grey, orange, green, ...) is neither.
pub fn classify_colour(r: u8, g: u8, b: u8) -> Option<Background> {
    let (h, s, v) = hsv(f64::from(r), f64::from(g), f64::from(b));
    if s < 0.35 || v < 0.25 {
        None
    } else if !(15.0..340.0).contains(&h) {
        Some(Background::Red)
    } else if (190.0..=250.0).contains(&h) {
        Some(Background::Blue)
    } else {
        None
    }
}

/// The background sample and what it shows.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BackgroundStats {
    /// Pixels sampled.
    pub pixels: u64,
    /// Root mean square of the three channels' standard deviations, 0-127.5 (0 is perfectly
    /// plain).
    pub uniformity: f64,
    /// Hue of the mean colour, degrees.
    pub hue: f64,
    /// Saturation of the mean colour, 0-1.
    pub saturation: f64,
    /// Value (brightness) of the mean colour, 0-1.
    pub value: f64,
    /// Fraction of sampled pixels that are red by [`classify_colour`].
    pub red_fraction: f64,
    /// Fraction that are blue.
    pub blue_fraction: f64,
    /// How many sides were measured: left of the head, right of it, above it (without a
    /// face: the two top corners). 0 when the head leaves no background in the frame.
    pub sides: u32,
}

impl BackgroundStats {
    /// The fraction of pixels in the colour `bg`.
    pub fn fraction(&self, bg: Background) -> f64 {
        match bg {
            Background::Red => self.red_fraction,
            Background::Blue => self.blue_fraction,
        }
    }
}

/// A background band narrower than this many pixels, or than [`MIN_BAND_FRACTION`] of the
/// frame's width (height for the band above the head), is not measured.
pub const MIN_BAND_PX: u32 = 4;
/// See [`MIN_BAND_PX`].
pub const MIN_BAND_FRACTION: f64 = 0.02;

/// The background bands, each side that has one: left of the head and right of it (from the
/// top of the frame down to the chin, keeping a third of the detector box's width from the
/// head) and above it (down to a sixth of a box height above the crown). A side whose band
/// the frame leaves no room for (a head that fills the width) is measured in its top corner
/// instead (outer fifth of the width, top tenth of the height: where [`hair_top`] samples
/// the backdrop), unless the face box reaches into it. Without a face: the top-left and
/// top-right corners (outer fifth of the width, top 40 % of the height). Bands narrower than
/// [`MIN_BAND_PX`] or [`MIN_BAND_FRACTION`] are left out.
pub(crate) fn background_rects(img: &RgbImage, face: Option<(&FaceBox, Head)>) -> Vec<Rect> {
    let (w, h) = img.dimensions();
    let (fw, fh) = (f64::from(w), f64::from(h));
    let min_w = (MIN_BAND_FRACTION * fw).max(f64::from(MIN_BAND_PX));
    let min_h = (MIN_BAND_FRACTION * fh).max(f64::from(MIN_BAND_PX));
    let usable = |r: &Rect| f64::from(r.width()) >= min_w && f64::from(r.height()) >= min_h;
    match face {
        Some((f, head)) => {
            // A third of the box's width between the head model's edge and the band: the
            // head's real width varies (a hijab is about 1.9 box widths, the model 1.5).
            let margin = f64::from(f.width) / 3.0;
            let top_gap = f64::from(f.height) / 6.0;
            let face_rect = Rect::clipped(
                f64::from(f.x),
                f64::from(f.y),
                f64::from(f.x) + f64::from(f.width),
                f64::from(f.y) + f64::from(f.height),
                w,
                h,
            );
            let side = |band: Rect, corner: Rect| {
                if usable(&band) {
                    Some(band)
                } else {
                    Some(corner).filter(|c| usable(c) && !c.overlaps(&face_rect))
                }
            };
            let left = side(
                Rect::clipped(0.0, 0.0, head.left - margin, head.chin, w, h),
                Rect::clipped(0.0, 0.0, 0.2 * fw, 0.1 * fh, w, h),
            );
            let right = side(
                Rect::clipped(head.right + margin, 0.0, fw, head.chin, w, h),
                Rect::clipped(0.8 * fw, 0.0, fw, 0.1 * fh, w, h),
            );
            let top = Some(Rect::clipped(
                (head.left - margin).max(0.0),
                0.0,
                (head.right + margin).min(fw),
                head.crown - top_gap,
                w,
                h,
            ))
            .filter(usable);
            [left, right, top].into_iter().flatten().collect()
        }
        None => [
            Rect::clipped(0.0, 0.0, 0.2 * fw, 0.4 * fh, w, h),
            Rect::clipped(0.8 * fw, 0.0, fw, 0.4 * fh, w, h),
        ]
        .into_iter()
        .filter(usable)
        .collect(),
    }
}

/// Statistics of the background bands (see [`background_rects`]); `pixels` is 0 when the
/// head leaves no background in the frame.
pub fn background(img: &RgbImage, face: Option<&FaceBox>) -> BackgroundStats {
    background_around(img, face.map(|f| (f, Head::of(f))))
}

/// Running sums of one colour sample.
#[derive(Debug, Clone, Copy, Default)]
struct ColourSums {
    n: u64,
    sum: [f64; 3],
    sq: [f64; 3],
}

impl ColourSums {
    fn add(&mut self, p: [u8; 3]) {
        self.n += 1;
        for (c, &v) in p.iter().enumerate() {
            let v = f64::from(v);
            self.sum[c] += v;
            self.sq[c] += v * v;
        }
    }

    fn merge(&mut self, o: &ColourSums) {
        self.n += o.n;
        for c in 0..3 {
            self.sum[c] += o.sum[c];
            self.sq[c] += o.sq[c];
        }
    }

    fn mean(&self) -> [f64; 3] {
        let n = self.n.max(1) as f64;
        self.sum.map(|s| s / n)
    }

    /// Root mean square over the channels of their standard deviations.
    fn rms_std(&self) -> f64 {
        let n = self.n.max(1) as f64;
        let mean = self.mean();
        ((0..3)
            .map(|c| (self.sq[c] / n - mean[c] * mean[c]).max(0.0))
            .sum::<f64>()
            / 3.0)
            .sqrt()
    }
}

/// A side with fewer sampled pixels than this does not count on its own for the uniformity.
const MIN_SIDE_SAMPLES: u64 = 64;

/// As [`background`], around a head measured otherwise than by [`Head::of`]. The uniformity
/// is the larger of the pooled standard deviation (which sees a difference between the sides,
/// e.g. a shadow over one) and each side's own (which sees a flag or a person on one side
/// however small the side).
pub fn background_around(img: &RgbImage, face: Option<(&FaceBox, Head)>) -> BackgroundStats {
    let mut all = ColourSums::default();
    let mut worst_side = 0f64;
    let (mut red, mut blue) = (0u64, 0u64);
    let mut sides = 0u32;
    for r in background_rects(img, face) {
        let mut side = ColourSums::default();
        r.sample(img, 12_000, |_, _, p| {
            side.add(p);
            match classify_colour(p[0], p[1], p[2]) {
                Some(Background::Red) => red += 1,
                Some(Background::Blue) => blue += 1,
                None => {}
            }
        });
        if side.n == 0 {
            continue;
        }
        sides += 1;
        if side.n >= MIN_SIDE_SAMPLES {
            worst_side = worst_side.max(side.rms_std());
        }
        all.merge(&side);
    }
    if all.n == 0 {
        return BackgroundStats::default();
    }
    let nf = all.n as f64;
    let mean = all.mean();
    let (hue, saturation, value) = hsv(mean[0], mean[1], mean[2]);
    BackgroundStats {
        pixels: all.n,
        uniformity: all.rms_std().max(worst_side),
        hue,
        saturation,
        value,
        red_fraction: red as f64 / nf,
        blue_fraction: blue as f64 / nf,
        sides,
    }
}

/// Mean luma of the left half of the inner face over that of the right half, or the
/// reverse, whichever is at most 1: 1 is even lighting, 0.5 one half twice as bright.
/// 1 when there is nothing to compare.
pub fn illumination_symmetry(img: &RgbImage, face: &FaceBox) -> f64 {
    let r = inner_face(img, face);
    if r.is_empty() {
        return 1.0;
    }
    let mid = f64::from(face.x) + f64::from(face.width) / 2.0;
    let (mut l, mut nl, mut rr, mut nr) = (0f64, 0u64, 0f64, 0u64);
    r.sample(img, 8_000, |x, _, p| {
        let y = f64::from(luma8(p[0], p[1], p[2]));
        if f64::from(x) + 0.5 < mid {
            l += y;
            nl += 1;
        } else {
            rr += y;
            nr += 1;
        }
    });
    if nl == 0 || nr == 0 {
        return 1.0;
    }
    let (a, b) = (l / nl as f64, rr / nr as f64);
    let hi = a.max(b);
    if hi <= 0.0 {
        1.0
    } else {
        a.min(b) / hi
    }
}

/// Exposure of the inner face (the whole frame without a face).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Exposure {
    /// Mean luma, 0-255.
    pub mean: f64,
    /// Fraction of pixels with luma ≤ 8 (crushed to black).
    pub dark_fraction: f64,
    /// Fraction of pixels with luma ≥ 247 (blown to white).
    pub bright_fraction: f64,
    /// 98th minus 2nd percentile of luma, 0-255.
    pub dynamic_range: f64,
    /// 99th minus 1st percentile of luma over the 99th, 0-1: how far below the brightest skin the
    /// darkest features (pupils, brows, nostrils) lie. Independent of skin tone and exposure
    /// under even light; a veil of stray light (flare, a dirty lens) lifts the dark end and
    /// lowers it.
    pub contrast_ratio: f64,
}

/// Exposure of the inner face, or of the whole frame when `face` is `None`.
pub fn exposure(img: &RgbImage, face: Option<&FaceBox>) -> Exposure {
    let r = face_or_frame(img, face);
    let mut hist = [0u64; 256];
    let mut n = 0u64;
    let mut sum = 0u64;
    r.sample(img, 20_000, |_, _, p| {
        let y = luma8(p[0], p[1], p[2]);
        hist[y as usize] += 1;
        n += 1;
        sum += u64::from(y);
    });
    if n == 0 {
        return Exposure::default();
    }
    let nf = n as f64;
    let dark: u64 = hist[..=8].iter().sum();
    let bright: u64 = hist[247..].iter().sum();
    let pct = |q: f64| -> f64 {
        let target = (q * nf).ceil().max(1.0) as u64;
        let mut acc = 0u64;
        for (v, c) in hist.iter().enumerate() {
            acc += c;
            if acc >= target {
                return v as f64;
            }
        }
        255.0
    };
    let (lo, hi) = (pct(0.01), pct(0.99));
    Exposure {
        mean: sum as f64 / nf,
        dark_fraction: dark as f64 / nf,
        bright_fraction: bright as f64 / nf,
        dynamic_range: pct(0.98) - pct(0.02),
        contrast_ratio: if hi > 0.0 { (hi - lo) / hi } else { 0.0 },
    }
}

/// The inner face as grey, reduced by block averaging to about `target` pixels wide.
/// Returns pixels, width, height and the reduction factor.
fn face_grey(img: &RgbImage, r: Rect, target: u32) -> (Vec<f32>, usize, usize, u32) {
    let k = ((r.x1 - r.x0) / target.max(1)).max(1);
    let gw = ((r.x1 - r.x0) / k) as usize;
    let gh = ((r.y1 - r.y0) / k) as usize;
    let mut g = vec![0f32; gw * gh];
    let inv = 1.0 / (k * k) as f32;
    for gy in 0..gh {
        for gx in 0..gw {
            let mut s = 0u32;
            for yy in 0..k {
                for xx in 0..k {
                    let p = img
                        .get_pixel(r.x0 + gx as u32 * k + xx, r.y0 + gy as u32 * k + yy)
                        .0;
                    s += luma8(p[0], p[1], p[2]);
                }
            }
            g[gy * gw + gx] = s as f32 * inv;
        }
    }
    (g, gw, gh, k)
}

/// Width, in pixels, to which the face is reduced before sharpness is measured, so that the
/// measure does not depend on how many pixels the face has.
pub const SHARPNESS_FACE_WIDTH: u32 = 96;

/// Sharpness of the inner face: the standard deviation of the 4-neighbour Laplacian over the
/// standard deviation of the grey levels, on the face reduced to about
/// [`SHARPNESS_FACE_WIDTH`] pixels wide (the whole frame without a face). Unitless,
/// contrast-independent; 0 for a flat region.
pub fn sharpness(img: &RgbImage, face: Option<&FaceBox>) -> f64 {
    let r = face_or_frame(img, face);
    if r.is_empty() {
        return 0.0;
    }
    let (g, w, h, _) = face_grey(img, r, SHARPNESS_FACE_WIDTH);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let (mut ls, mut lsq, mut n) = (0f64, 0f64, 0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            let lap = f64::from(g[i - 1] + g[i + 1] + g[i - w] + g[i + w] - 4.0 * g[i]);
            ls += lap;
            lsq += lap * lap;
            n += 1.0;
        }
    }
    let gn = g.len() as f64;
    let gm = g.iter().map(|&v| f64::from(v)).sum::<f64>() / gn;
    let gvar = g.iter().map(|&v| (f64::from(v) - gm).powi(2)).sum::<f64>() / gn;
    let lvar = (lsq / n - (ls / n).powi(2)).max(0.0);
    if gvar < 1.0 {
        return 0.0;
    }
    lvar.sqrt() / gvar.sqrt()
}

/// Colourfulness of the inner face (the whole frame without a face), after Hasler and
/// Süsstrunk: `sqrt(σ_rg² + σ_yb²) + 0.3 sqrt(μ_rg² + μ_yb²)` with `rg = R − G` and
/// `yb = (R + G)/2 − B`. 0 for a grey image.
pub fn colourfulness(img: &RgbImage, face: Option<&FaceBox>) -> f64 {
    let r = face_or_frame(img, face);
    let (mut n, mut s1, mut s2, mut q1, mut q2) = (0f64, 0f64, 0f64, 0f64, 0f64);
    r.sample(img, 8_000, |_, _, p| {
        let (rr, gg, bb) = (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
        let rg = rr - gg;
        let yb = (rr + gg) / 2.0 - bb;
        n += 1.0;
        s1 += rg;
        s2 += yb;
        q1 += rg * rg;
        q2 += yb * yb;
    });
    if n == 0.0 {
        return 0.0;
    }
    let (m1, m2) = (s1 / n, s2 / n);
    let v1 = (q1 / n - m1 * m1).max(0.0);
    let v2 = (q2 / n - m2 * m2).max(0.0);
    (v1 + v2).sqrt() + 0.3 * (m1 * m1 + m2 * m2).sqrt()
}

/// The eyes' centres, in image pixels: the darkest point (after a 3 x 3 mean) in each upper
/// quarter of the detector box (rows 15-50 % of its height, columns 10-50 % and 50-90 %).
/// `None` when the box is mostly outside the frame.
pub fn eyes(img: &RgbImage, face: &FaceBox) -> Option<((f64, f64), (f64, f64))> {
    let (x, y) = (f64::from(face.x), f64::from(face.y));
    let (w, h) = (f64::from(face.width), f64::from(face.height));
    let band = Rect::clipped(
        x + 0.1 * w,
        y + 0.15 * h,
        x + 0.9 * w,
        y + 0.5 * h,
        img.width(),
        img.height(),
    );
    if (band.x1 - band.x0) < 8 || (band.y1 - band.y0) < 4 {
        return None;
    }
    let (g, gw, gh, k) = face_grey(img, band, 48);
    if gw < 6 || gh < 3 {
        return None;
    }
    let mid = f64::from(face.x) + w / 2.0;
    let mut best = [(f32::MAX, 0usize, 0usize); 2];
    for gy in 1..gh - 1 {
        for gx in 1..gw - 1 {
            let mut s = 0f32;
            for dy in 0..3 {
                for dx in 0..3 {
                    s += g[(gy + dy - 1) * gw + gx + dx - 1];
                }
            }
            let px = f64::from(band.x0) + (gx as f64 + 0.5) * f64::from(k);
            let side = usize::from(px >= mid);
            if s < best[side].0 {
                best[side] = (s, gx, gy);
            }
        }
    }
    if best.iter().any(|b| b.0 == f32::MAX) {
        return None;
    }
    let at = |b: (f32, usize, usize)| {
        (
            f64::from(band.x0) + (b.1 as f64 + 0.5) * f64::from(k),
            f64::from(band.y0) + (b.2 as f64 + 0.5) * f64::from(k),
        )
    };
    Some((at(best[0]), at(best[1])))
}
