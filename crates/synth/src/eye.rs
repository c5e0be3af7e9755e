//! Synthetic near-infrared eye images for the simulated USB iris scanner.
//!
//! [`EyeModel::new`] fixes the appearance of one eye of one person (`person_seed`, [`Side`]):
//! the iris texture, the iris size, the resting pupil size, the shape of the eyelids and lashes,
//! the skin and the sclera. [`render`] then takes one capture of that eye (`capture_seed`,
//! [`EyeCondition`]) and returns an 8-bit grey image in the style of ISO/IEC 19794-6 /
//! 29794-6 near-infrared iris images, together with the [`GroundTruth`] of where the pupil,
//! iris and eyelids truly are.
//!
//! The model has four layers:
//!
//! 1. **Iris texture.** The iris is stored in normalised polar coordinates (angle x radius
//!    from the pupil border to the limbus, Daugman's "rubber sheet"), so that a capture with
//!    another pupil dilation stretches the same texture. It is built from radially stretched
//!    noise at several scales (stroma fibres, fibre bundles) bent by a slowly varying warp,
//!    explicit trabeculae, a wavy collarette ridge between the pupillary and the ciliary
//!    zone, crypts with irregular outlines and bright rims, concentric contraction furrows,
//!    the dark pupillary ruff, a few freckles and a darker limbal ring. Person-level traits
//!    (iris brightness and contrast, iris size, resting pupil, lid and skin appearance) come
//!    from `person_seed` alone, so the two eyes of one person look alike; the texture itself
//!    comes from `person_seed` and the side, so it is as unlike the other eye as a stranger's.
//! 2. **Geometry.** An eye frame (head position and roll) holds the palpebral fissure: upper
//!    and lower lids are polynomial arches meeting at the canthi, with a caruncle at the
//!    nasal corner, the upper-lid crease above, lashes rooted along the margins and an
//!    eyebrow (in the frame only when the subject stands far enough away). The
//!    eyeball behind it shows the sclera (with faint vessels), the limbus and, for an
//!    off-axis gaze, an iris foreshortened into an ellipse whose pupil lags behind the limbus.
//! 3. **Capture.** A capture draws small shifts of position and distance, head roll, pupil
//!    dilation, lid positions, lash jitter and exposure; the condition changes the relevant
//!    ones (distance, lids, gaze, exposure) and adds defocus or motion blur of the optics.
//!    The illuminator's LEDs leave one or two small saturated corneal reflections in or at
//!    the edge of the pupil (on the iris when the gaze is off-axis).
//! 4. **Sensor.** Illumination fall-off, gain, black level, read and shot noise, rounding.
//!
//! Everything is driven by seeded ChaCha generators and plain floating-point arithmetic, so
//! the output depends only on the inputs (bit-for-bit on a given platform; `sin`, `exp`,
//! `atan2` and friends come from the platform's maths library). Images are scaled with
//! `min(width / 640, height / 480)`, so other sizes show the same framing; each side is
//! clamped to `16..=4096` pixels.

use image::{GrayImage, Luma};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::{PI, TAU};
use std::fmt;

/// Reference frame size; geometry is designed at this size and scaled to the requested one.
const REF_W: f64 = 640.0;
const REF_H: f64 = 480.0;
/// Smallest and largest side of a rendered image.
const MIN_SIDE: u32 = 16;
const MAX_SIDE: u32 = 4096;
/// Iris texture: angular and radial samples.
const NT: usize = 1024;
const NR: usize = 128;
/// Skin detail tile, in reference pixels (wraps).
const SKIN_N: usize = 512;
/// Sclera vessel map at half the reference resolution, centred on the iris.
const SCL_W: usize = 400;
const SCL_H: usize = 220;
/// Low-frequency skin shading grid (reference pixels between nodes).
const GRID_NX: usize = 113;
const GRID_NY: usize = 89;
const GRID_STEP: f64 = 16.0;
/// Samples along the lids for the lid-noise channels (lid parameter -1.5..1.5).
const LN: usize = 256;
/// Domain tags that keep the random streams apart.
const PERSON_TAG: u64 = 0x4559_4550_4552_534e; // "EYEPERSN"
const EYE_TAG: u64 = 0x4559_4545_5945_5f5f; // "EYEEYE__"
const CAPTURE_TAG: u64 = 0x4559_4543_4150_5455; // "EYECAPTU"
const CONDITION_TAG: u64 = 0x4559_4543_4f4e_4449; // "EYECONDI"

/// How the eye is presented (in a `[sim.iris]` table: `good`, `focus_blur`, `off_axis`,
/// `occluded`, `closed`, `too_far`, `too_dark`, `motion_blur`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EyeCondition {
    /// A compliant capture: eye open, looking at the camera, in focus, well exposed.
    Good,
    /// Out of focus: the optics blur the whole image (a Gaussian-like defocus).
    FocusBlur,
    /// Gaze off the camera axis by 25-38 degrees: the iris appears as a shifted ellipse and
    /// the pupil is not concentric with it.
    OffAxis,
    /// Eyelids (a squint) cover much of the iris.
    Occluded,
    /// The eye is closed: no iris is visible.
    Closed,
    /// The subject stands too far away: the iris is 120-150 px across at 640 x 480.
    TooFar,
    /// Underexposed: grey levels are compressed into the dark end of the range.
    TooDark,
    /// The eye or head moved during the exposure: a directional blur.
    MotionBlur,
}

impl EyeCondition {
    /// Every condition, `Good` first.
    pub const ALL: [EyeCondition; 8] = [
        EyeCondition::Good,
        EyeCondition::FocusBlur,
        EyeCondition::OffAxis,
        EyeCondition::Occluded,
        EyeCondition::Closed,
        EyeCondition::TooFar,
        EyeCondition::TooDark,
        EyeCondition::MotionBlur,
    ];

    fn tag(self) -> u64 {
        match self {
            EyeCondition::Good => 1,
            EyeCondition::FocusBlur => 2,
            EyeCondition::OffAxis => 3,
            EyeCondition::Occluded => 4,
            EyeCondition::Closed => 5,
            EyeCondition::TooFar => 6,
            EyeCondition::TooDark => 7,
            EyeCondition::MotionBlur => 8,
        }
    }
}

/// Which eye.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The subject's left eye (its nose side is on the image's left).
    Left,
    /// The subject's right eye (its nose side is on the image's right).
    Right,
}

/// Where the rendered eye's boundaries truly are (for tests of segmentation/quality code).
///
/// Coordinates are in pixels of the returned image, `(0, 0)` at the centre of the top-left
/// pixel, `y` growing downward. For [`EyeCondition::OffAxis`] the pupil and iris are
/// ellipses; the radii given are then their semi-major axes (the unforeshortened radii).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroundTruth {
    /// Pupil centre, x.
    pub pupil_x: f64,
    /// Pupil centre, y.
    pub pupil_y: f64,
    /// Pupil radius.
    pub pupil_r: f64,
    /// Iris (limbus) centre, x.
    pub iris_x: f64,
    /// Iris (limbus) centre, y.
    pub iris_y: f64,
    /// Iris (limbus) radius.
    pub iris_r: f64,
    /// Height of the upper eyelid margin in the column of the iris centre.
    pub upper_lid_y: f64,
    /// Height of the lower eyelid margin in the column of the iris centre (equal to
    /// `upper_lid_y` when the eye is closed).
    pub lower_lid_y: f64,
    /// Fraction of the iris annulus (between pupil and limbus) that the eyelids leave
    /// uncovered; eyelashes and reflections are not subtracted. 0 for a closed eye.
    pub visible_iris_fraction: f64,
}

/// Appearance traits of one eye, drawn once from the seeds.
#[derive(Debug, Clone)]
struct Traits {
    /// Iris radius in reference pixels at the nominal distance.
    iris_r: f64,
    /// Resting pupil radius / iris radius.
    pupil_ratio: f64,
    /// Offset of the pupil centre from the iris centre, fraction of the iris radius
    /// (toward the nose, downward).
    pupil_nasal: f64,
    pupil_down: f64,
    /// Reflectances (1.0 = 255 at nominal exposure).
    iris_mean: f64,
    sclera: f64,
    skin: f64,
    pupil: f64,
    /// Upper / lower lid margin height at the iris centre, in iris radii above / below.
    upper: f64,
    lower: f64,
    /// Palpebral fissure: half-width, temporal shift and drop of its centre, canthal tilt
    /// (temporal corner higher), all in iris radii; skews of the lid arches.
    fis_w: f64,
    fis_dx: f64,
    fis_dy: f64,
    tilt: f64,
    up_skew: f64,
    lo_skew: f64,
    /// Upper-lid crease: gap above the lid apex (iris radii) and darkness.
    crease_gap: f64,
    crease_depth: f64,
    /// Shadow the upper lid casts onto the eyeball.
    lid_shadow: f64,
    /// Darkness of the infra-orbital fold.
    bag: f64,
    /// Strength of the fine skin wrinkles.
    wrinkles: f64,
    /// Eyebrow: height of its lower edge above the fissure and of its arch (iris radii).
    brow_h: f64,
    brow_arch: f64,
}

/// One eyelash: root position along the lid and shape.
#[derive(Debug, Clone, Copy)]
struct Lash {
    /// Root along the lid, -1 (nasal canthus) to 1 (temporal canthus).
    t: f64,
    /// Length in iris radii.
    len: f64,
    /// Initial direction, radians from straight down, positive toward the temple.
    angle: f64,
    /// Change of direction along the lash, radians.
    curl: f64,
    /// Width at the root in reference pixels.
    width: f64,
    /// Opacity (0..1).
    dark: f64,
    /// Position across the eyebrow, -1 (lower edge) to 1 (upper edge); 0 for lashes.
    across: f64,
}

/// The fixed appearance of one eye of one person (iris texture, pupil size range, lids),
/// computed once.
pub struct EyeModel {
    person_seed: u64,
    side: Side,
    eye_seed: u64,
    tr: Traits,
    /// Iris reflectance, `NR` rows (pupil border to limbus) of `NT` angles.
    iris: Vec<f32>,
    /// Zero-mean skin detail (pores, fine mottling), `SKIN_N` squared, wrapping.
    skin: Vec<f32>,
    /// Sclera vessel transmission (1 = no vessel), `SCL_W` x `SCL_H`.
    sclera: Vec<f32>,
    /// Fine horizontal wrinkle streaks, `SKIN_N` squared, wrapping.
    wrinkle: Vec<f32>,
    /// Strength of the lash line, crease and tear meniscus along the lid, `3 x LN`.
    lid_noise: Vec<f32>,
    /// Low-frequency skin shading, `GRID_NX` x `GRID_NY`.
    grid: Vec<f32>,
    upper_lashes: Vec<Lash>,
    lower_lashes: Vec<Lash>,
    /// Eyebrow hairs (`t` along the brow, `across` it).
    brow: Vec<Lash>,
    /// Small harmonics of the pupil border: (order, relative amplitude, phase).
    pupil_wobble: [(f64, f64, f64); 3],
}

impl fmt::Debug for EyeModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EyeModel")
            .field("person_seed", &self.person_seed)
            .field("side", &self.side)
            .field("iris_radius_ref_px", &self.tr.iris_r)
            .field("pupil_ratio", &self.tr.pupil_ratio)
            .field("iris_mean", &self.tr.iris_mean)
            .field("upper_lashes", &self.upper_lashes.len())
            .field("lower_lashes", &self.lower_lashes.len())
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------
// Small numeric helpers.

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn rng_for(parts: &[u64]) -> ChaCha8Rng {
    let mut h = 0x6a09_e667_f3bc_c908_u64;
    for &p in parts {
        h = splitmix(h ^ p);
    }
    ChaCha8Rng::seed_from_u64(h)
}

fn uni(r: &mut ChaCha8Rng, a: f64, b: f64) -> f64 {
    a + (b - a) * r.gen::<f64>()
}

fn normal(r: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - r.gen::<f64>();
    let u2 = r.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
}

fn chance(r: &mut ChaCha8Rng, p: f64) -> bool {
    r.gen::<f64>() < p
}

fn smoothstep(e0: f64, e1: f64, x: f64) -> f64 {
    let d = e1 - e0;
    if d.abs() < 1e-12 {
        return if x < e0 { 0.0 } else { 1.0 };
    }
    let t = ((x - e0) / d).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn clamp01(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

/// Floor of a finite value of moderate size, without a call into the maths library.
fn ffloor(x: f64) -> i64 {
    let i = x as i64;
    if (i as f64) > x {
        i - 1
    } else {
        i
    }
}

/// `exp(-x)` for `0 <= x <= 9`, as `(1 - x/32)^32` (within 1.5 % of the peak; cheap).
fn exp_neg(x: f64) -> f64 {
    let mut y = (1.0 - x / 32.0).max(0.0);
    y *= y;
    y *= y;
    y *= y;
    y *= y;
    y *= y;
    y
}

/// Gaussian-profile helper: about exp(-(x/w)^2), zero beyond 3 widths.
fn bump(x: f64, w: f64) -> f64 {
    if x.abs() >= 3.0 * w {
        return 0.0;
    }
    let q = x / w;
    exp_neg(q * q)
}

/// White noise of zero mean and unit variance, four uniform samples per random draw: every
/// field is blurred before use, which makes it Gaussian enough.
fn noise_field(r: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    let k = 12f64.sqrt() / 65536.0;
    let mut out = Vec::with_capacity(n + 3);
    while out.len() < n {
        let bits: u64 = r.gen();
        for i in 0..4 {
            out.push(
                ((((bits >> (16 * i)) & 0xffff) as f64 + 0.5) * k - 0.5 * 12f64.sqrt()) as f32,
            );
        }
    }
    out.truncate(n);
    out
}

/// Rescales to zero mean and unit standard deviation.
fn normalise(buf: &mut [f32]) {
    let n = buf.len().max(1) as f64;
    let mean = buf.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = buf
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    let k = if var > 1e-20 { 1.0 / var.sqrt() } else { 0.0 };
    for v in buf.iter_mut() {
        *v = ((f64::from(*v) - mean) * k) as f32;
    }
}

fn edge_index(i: isize, n: usize, wrap: bool) -> usize {
    let n = n as isize;
    if wrap {
        i.rem_euclid(n) as usize
    } else {
        i.clamp(0, n - 1) as usize
    }
}

/// How a blur of `sigma` is done: an exact Gaussian kernel for small sigma, otherwise three
/// box passes of the returned radius.
enum Kernel {
    Gauss(Vec<f32>),
    Box3(usize),
}

fn kernel_for(sigma: f64) -> Kernel {
    if sigma < 2.5 {
        let r = (3.0 * sigma).ceil() as isize;
        let k: Vec<f64> = (-r..=r)
            .map(|i| (-((i * i) as f64) / (2.0 * sigma * sigma)).exp())
            .collect();
        let ks: f64 = k.iter().sum();
        Kernel::Gauss(k.iter().map(|&v| (v / ks) as f32).collect())
    } else {
        Kernel::Box3(((sigma * sigma + 0.25).sqrt() - 0.5).round().max(1.0) as usize)
    }
}

/// Blurs one line in place (`pad` is scratch space).
fn blur_line(line: &mut [f32], pad: &mut Vec<f32>, sigma: f64, wrap: bool) {
    let n = line.len();
    if n < 2 || sigma < 0.2 {
        return;
    }
    let fill = |pad: &mut Vec<f32>, line: &[f32], r: usize| {
        pad.clear();
        pad.extend((0..n + 2 * r).map(|i| line[edge_index(i as isize - r as isize, n, wrap)]));
    };
    match kernel_for(sigma) {
        Kernel::Gauss(k) => {
            let r = k.len() / 2;
            fill(pad, line, r);
            for (i, out) in line.iter_mut().enumerate() {
                *out = pad[i..i + k.len()]
                    .iter()
                    .zip(&k)
                    .map(|(&a, &b)| a * b)
                    .sum();
            }
        }
        Kernel::Box3(r) => {
            let norm = 1.0 / (2 * r + 1) as f64;
            for _ in 0..3 {
                fill(pad, line, r + 1);
                // pad[i + 1 ..= i + 2r + 1] is the window of output i.
                let mut acc: f64 = pad[1..2 * r + 2].iter().map(|&v| f64::from(v)).sum();
                for (i, out) in line.iter_mut().enumerate() {
                    *out = (acc * norm) as f32;
                    acc += f64::from(pad[i + 2 * r + 2]) - f64::from(pad[i + 1]);
                }
            }
        }
    }
}

/// Separable blur of a `w` x `h` row-major buffer. The vertical pass works on whole rows.
fn blur_2d(buf: &mut [f32], w: usize, h: usize, sx: f64, sy: f64, wrap_x: bool, wrap_y: bool) {
    if w == 0 || h == 0 || buf.len() < w * h {
        return;
    }
    let mut pad = Vec::new();
    if sx >= 0.2 {
        for row in buf.chunks_exact_mut(w) {
            blur_line(row, &mut pad, sx, wrap_x);
        }
    }
    if sy < 0.2 || h < 2 {
        return;
    }
    let row_of = |i: isize| edge_index(i, h, wrap_y);
    match kernel_for(sy) {
        Kernel::Gauss(k) => {
            let r = (k.len() / 2) as isize;
            let src = buf[..w * h].to_vec();
            for (y, out) in buf.chunks_exact_mut(w).enumerate() {
                out.iter_mut().for_each(|v| *v = 0.0);
                for (j, &kv) in k.iter().enumerate() {
                    let sy = row_of(y as isize + j as isize - r);
                    let srow = &src[sy * w..sy * w + w];
                    for (o, &s) in out.iter_mut().zip(srow) {
                        *o += kv * s;
                    }
                }
            }
        }
        Kernel::Box3(r) => {
            let r = r as isize;
            let norm = 1.0 / (2 * r + 1) as f64;
            let mut acc = vec![0f64; w];
            for _ in 0..3 {
                let src = buf[..w * h].to_vec();
                acc.iter_mut().for_each(|a| *a = 0.0);
                for j in -r..=r {
                    let sy = row_of(j);
                    for (a, &s) in acc.iter_mut().zip(&src[sy * w..sy * w + w]) {
                        *a += f64::from(s);
                    }
                }
                for (y, out) in buf.chunks_exact_mut(w).enumerate() {
                    for (o, &a) in out.iter_mut().zip(&acc) {
                        *o = (a * norm) as f32;
                    }
                    let add = row_of(y as isize + r + 1);
                    let sub = row_of(y as isize - r);
                    let (ra, rs) = (&src[add * w..add * w + w], &src[sub * w..sub * w + w]);
                    for ((a, &p), &m) in acc.iter_mut().zip(ra).zip(rs) {
                        *a += f64::from(p) - f64::from(m);
                    }
                }
            }
        }
    }
}

/// Bilinear lookup in a wrapping square tile whose side `n` is a power of two.
fn tile_wrap(tile: &[f32], n: usize, x: f64, y: f64) -> f64 {
    let mask = n as i64 - 1;
    let (xi, yi) = (ffloor(x), ffloor(y));
    let (fx, fy) = (x - xi as f64, y - yi as f64);
    let x0 = (xi & mask) as usize;
    let y0 = (yi & mask) as usize;
    let x1 = ((xi + 1) & mask) as usize;
    let y1 = ((yi + 1) & mask) as usize;
    let a = f64::from(tile[y0 * n + x0]);
    let b = f64::from(tile[y0 * n + x1]);
    let c = f64::from(tile[y1 * n + x0]);
    let d = f64::from(tile[y1 * n + x1]);
    (a + (b - a) * fx) * (1.0 - fy) + (c + (d - c) * fx) * fy
}

/// Nearest-texel lookup in a wrapping square tile whose side `n` is a power of two.
fn tile_near(tile: &[f32], n: usize, x: f64, y: f64) -> f64 {
    // The offset (a multiple of any power-of-two side up to 2^20) keeps ordinary coordinates
    // positive, so truncation is a floor; far-off ones still land inside the tile.
    const OFF: f64 = 1_048_576.0;
    let mask = n as i64 - 1;
    let xi = ((x + OFF) as i64 & mask) as usize;
    let yi = ((y + OFF) as i64 & mask) as usize;
    f64::from(tile[yi * n + xi])
}

/// Bilinear lookup in a clamped `w` x `h` buffer.
fn tile_clamp(tile: &[f32], w: usize, h: usize, x: f64, y: f64) -> f64 {
    let x = x.clamp(0.0, (w - 1) as f64);
    let y = y.clamp(0.0, (h - 1) as f64);
    let (x0, y0) = (x as usize, y as usize);
    let (fx, fy) = (x - x0 as f64, y - y0 as f64);
    let x1 = (x0 + 1).min(w - 1);
    let y1 = (y0 + 1).min(h - 1);
    let a = f64::from(tile[y0 * w + x0]);
    let b = f64::from(tile[y0 * w + x1]);
    let c = f64::from(tile[y1 * w + x0]);
    let d = f64::from(tile[y1 * w + x1]);
    (a + (b - a) * fx) * (1.0 - fy) + (c + (d - c) * fx) * fy
}

/// Linear lookup along one row of the polar iris grid, wrapping in angle.
fn row_sample(buf: &[f32], row: usize, j: f64) -> f64 {
    let ji = ffloor(j);
    let f = j - ji as f64;
    let j0 = (ji & (NT as i64 - 1)) as usize;
    let j1 = (j0 + 1) & (NT - 1);
    let a = f64::from(buf[row * NT + j0]);
    let b = f64::from(buf[row * NT + j1]);
    a + (b - a) * f
}

// ---------------------------------------------------------------------------------------
// The eye model.

impl EyeModel {
    /// Builds the appearance of `side` eye of person `person_seed` (deterministic in both).
    pub fn new(person_seed: u64, side: Side) -> EyeModel {
        let side_tag = match side {
            Side::Left => 0x4c,
            Side::Right => 0x52,
        };
        let eye_seed = splitmix(person_seed ^ splitmix(EYE_TAG ^ side_tag));
        let mut pr = rng_for(&[PERSON_TAG, person_seed]);
        let mut er = rng_for(&[EYE_TAG, person_seed, side_tag]);
        let tr = Traits {
            iris_r: uni(&mut pr, 109.0, 121.0) * uni(&mut er, 0.99, 1.01),
            pupil_ratio: uni(&mut pr, 0.29, 0.44) + uni(&mut er, -0.015, 0.015),
            pupil_nasal: uni(&mut pr, 0.0, 0.05),
            pupil_down: uni(&mut pr, -0.01, 0.04),
            iris_mean: uni(&mut pr, 0.22, 0.35),
            sclera: uni(&mut pr, 0.63, 0.73),
            skin: uni(&mut pr, 0.70, 0.80),
            pupil: uni(&mut pr, 0.05, 0.08),
            upper: uni(&mut pr, 0.50, 0.78) + uni(&mut er, -0.04, 0.04),
            lower: uni(&mut pr, 0.82, 1.04) + uni(&mut er, -0.03, 0.03),
            fis_w: uni(&mut pr, 2.25, 2.6),
            fis_dx: uni(&mut pr, 0.0, 0.25),
            fis_dy: uni(&mut pr, 0.05, 0.22),
            tilt: uni(&mut pr, 0.0, 0.18),
            up_skew: uni(&mut pr, -0.25, 0.05),
            lo_skew: uni(&mut pr, -0.05, 0.25),
            crease_gap: uni(&mut pr, 0.35, 0.7),
            crease_depth: if chance(&mut pr, 0.3) {
                0.03
            } else {
                uni(&mut pr, 0.06, 0.18)
            },
            lid_shadow: uni(&mut pr, 0.2, 0.4),
            bag: uni(&mut pr, 0.03, 0.1),
            wrinkles: uni(&mut pr, 0.006, 0.025),
            brow_h: uni(&mut pr, 2.2, 2.6),
            brow_arch: uni(&mut pr, 0.25, 0.5),
        };
        let contrast = uni(&mut pr, 0.17, 0.26);
        let richness = uni(&mut pr, 0.4, 1.0);
        let zone = uni(&mut pr, -0.12, 0.15);
        let lash_count = uni(&mut pr, 100.0, 180.0);
        let lash_len = uni(&mut pr, 0.8, 1.25);
        let lash_dark = uni(&mut pr, 0.6, 0.85);
        let vessels = uni(&mut pr, 0.3, 1.0);

        let iris = make_iris(&mut er, &tr, contrast, richness, zone);
        let skin = make_skin(&mut er);
        let wrinkle = make_wrinkles(&mut er);
        let lid_noise = make_lid_noise(&mut er);
        let sclera = make_sclera(&mut er, vessels);
        let grid = make_grid(&mut er);
        let (upper_lashes, lower_lashes) = make_lashes(&mut er, lash_count, lash_len, lash_dark);
        let brow = make_brow(&mut er, uni(&mut pr, 500.0, 850.0), uni(&mut pr, 0.5, 0.8));
        let pupil_wobble =
            [2.0, 3.0, 5.0].map(|k| (k, uni(&mut er, 0.0, 0.012), uni(&mut er, 0.0, TAU)));
        EyeModel {
            person_seed,
            side,
            eye_seed,
            tr,
            iris,
            skin,
            sclera,
            wrinkle,
            lid_noise,
            grid,
            upper_lashes,
            lower_lashes,
            brow,
            pupil_wobble,
        }
    }

    /// Iris reflectance at texture angle `theta` (radians) and normalised radius `rho`.
    fn iris_at(&self, theta: f64, rho: f64) -> f64 {
        let i = (rho * NR as f64 - 0.5).clamp(0.0, (NR - 1) as f64);
        let i0 = i as usize;
        let i1 = (i0 + 1).min(NR - 1);
        let fi = i - i0 as f64;
        let j = theta * (NT as f64 / TAU);
        let a = row_sample(&self.iris, i0, j);
        let b = row_sample(&self.iris, i1, j);
        a + (b - a) * fi
    }

    /// Lid-noise channel `ch` (around 1) at lid parameter `t`.
    fn lid_noise(&self, ch: usize, t: f64) -> f64 {
        let x = ((t + 1.5) / 3.0 * (LN - 1) as f64).clamp(0.0, (LN - 1) as f64);
        let i0 = x as usize;
        let i1 = (i0 + 1).min(LN - 1);
        let f = x - i0 as f64;
        let a = f64::from(self.lid_noise[ch * LN + i0]);
        let b = f64::from(self.lid_noise[ch * LN + i1]);
        a + (b - a) * f
    }

    /// Low-frequency skin shading at reference-pixel offset `(x, y)` from the eye frame.
    fn shading(&self, x: f64, y: f64) -> f64 {
        let k = 1.0 / GRID_STEP;
        let gx = (x * k + (GRID_NX - 1) as f64 / 2.0).clamp(0.0, (GRID_NX - 1) as f64);
        let gy = (y * k + (GRID_NY - 1) as f64 / 2.0).clamp(0.0, (GRID_NY - 1) as f64);
        let (x0, y0) = (gx as usize, gy as usize);
        let (x1, y1) = ((x0 + 1).min(GRID_NX - 1), (y0 + 1).min(GRID_NY - 1));
        let fx = gx - x0 as f64;
        let fy = gy - y0 as f64;
        let g = |xx: usize, yy: usize| f64::from(self.grid[yy * GRID_NX + xx]);
        let top = g(x0, y0) + (g(x1, y0) - g(x0, y0)) * fx;
        let bot = g(x0, y1) + (g(x1, y1) - g(x0, y1)) * fx;
        top + (bot - top) * fy
    }
}

/// Builds the polar iris texture (reflectance, `NR` x `NT`).
fn make_iris(r: &mut ChaCha8Rng, tr: &Traits, contrast: f64, richness: f64, zone: f64) -> Vec<f32> {
    let n = NT * NR;
    let pr = tr.pupil_ratio;
    let ri = tr.iris_r;
    // Pixel sizes of one texel (reference scale, resting pupil).
    let radius_px = |rho: f64| ri * (pr + rho * (1.0 - pr));
    let px_theta = |rho: f64| radius_px(rho) * TAU / NT as f64;
    let px_rho = ri * (1.0 - pr) / NR as f64;

    let mut fine = noise_field(r, n);
    blur_2d(&mut fine, NT, NR, 1.4, 7.0, true, false);
    normalise(&mut fine);
    let mut coarse = noise_field(r, n);
    blur_2d(&mut coarse, NT, NR, 6.0, 18.0, true, false);
    normalise(&mut coarse);
    let mut mid = noise_field(r, n);
    blur_2d(&mut mid, NT, NR, 3.0, 10.0, true, false);
    normalise(&mut mid);
    let mut grain = noise_field(r, n);
    blur_2d(&mut grain, NT, NR, 1.8, 1.4, true, false);
    normalise(&mut grain);
    let mut warp = noise_field(r, n);
    blur_2d(&mut warp, NT, NR, 40.0, 25.0, true, false);
    normalise(&mut warp);
    let warp_amp = uni(r, 5.0, 12.0);
    let twist = uni(r, -25.0, 25.0);

    // Collarette radius per angle: a wobbly ring with a zig-zag.
    let c0 = uni(r, 0.24, 0.36);
    let mut harm = Vec::new();
    for k in 1..=9 {
        harm.push((
            k as f64,
            uni(r, 0.0, 0.035) / (k as f64).powf(0.7),
            uni(r, 0.0, TAU),
        ));
    }
    for _ in 0..6 {
        harm.push((
            uni(r, 12.0, 36.0).round(),
            uni(r, 0.001, 0.006),
            uni(r, 0.0, TAU),
        ));
    }
    let coll: Vec<f64> = (0..NT)
        .map(|j| {
            let th = j as f64 * TAU / NT as f64;
            c0 + harm
                .iter()
                .map(|&(k, a, p)| a * (k * th + p).sin())
                .sum::<f64>()
        })
        .collect();
    let ridge_w = uni(r, 0.012, 0.022);
    let ridge_amp = uni(r, 0.3, 0.8);
    let trough_amp = uni(r, 0.3, 0.8);
    let mut ridge_mod = noise_field(r, NT);
    let mut tmp = Vec::new();
    blur_line(&mut ridge_mod, &mut tmp, 12.0, true);
    normalise(&mut ridge_mod);

    // Base texture, in log units before the contrast is set.
    let mut l = vec![0f32; n];
    for i in 0..NR {
        let rho = (i as f64 + 0.5) / NR as f64;
        for j in 0..NT {
            let k = i * NT + j;
            let jw = j as f64 + f64::from(warp[k]) * warp_amp + twist * rho;
            let f = row_sample(&fine, i, jw);
            let c = row_sample(&coarse, i, jw);
            let md = row_sample(&mid, i, jw);
            let g = f64::from(grain[k]);
            let cj = coll[j];
            let outer = smoothstep(cj - 0.015, cj + 0.015, rho);
            let fine_amp = 1.0 + 0.3 * (1.0 - outer);
            let mut v = 0.4 * f * fine_amp + 0.5 * md + 0.75 * c + 0.2 * g;
            let rm = 1.0 + 0.35 * f64::from(ridge_mod[j]);
            v += ridge_amp * rm * bump(rho - cj, ridge_w);
            v -= trough_amp * bump(rho - cj - 2.2 * ridge_w, 1.3 * ridge_w);
            l[k] = v as f32;
        }
    }

    // Trabeculae: explicit radial fibres, curved and wavy.
    let n_fib = (uni(r, 80.0, 160.0) * (0.6 + 0.6 * richness)) as usize;
    for _ in 0..n_fib {
        let th0 = uni(r, 0.0, TAU);
        let (ra, rb) = if chance(r, 0.35) {
            (uni(r, 0.02, 0.1), uni(r, 0.2, 0.45))
        } else {
            let a = uni(r, 0.2, 0.6);
            (a, (a + uni(r, 0.15, 0.6)).min(0.99))
        };
        let curv = normal(r) * 0.2;
        let wa = uni(r, 0.0, 0.04);
        let wf = uni(r, 6.0, 20.0);
        let wp = uni(r, 0.0, TAU);
        let sig_px = uni(r, 0.9, 2.2);
        let amp = if chance(r, 0.75) {
            uni(r, 0.3, 0.8)
        } else {
            -uni(r, 0.3, 0.7)
        };
        let i0 = (ra * NR as f64) as usize;
        let i1 = ((rb * NR as f64) as usize).min(NR - 1);
        for i in i0..=i1 {
            let rho = (i as f64 + 0.5) / NR as f64;
            let env = smoothstep(ra, ra + 0.06, rho) * (1.0 - smoothstep(rb - 0.08, rb, rho));
            if env <= 0.0 {
                continue;
            }
            let th = th0
                + curv * (rho - ra)
                + wa * (wf * rho + wp).sin()
                + twist * rho * TAU / NT as f64;
            let jc = th * NT as f64 / TAU;
            let sig = sig_px / px_theta(rho);
            let span = (3.0 * sig).ceil() as isize;
            let jc0 = jc.round() as isize;
            for dj in -span..=span {
                let jj = jc0 + dj;
                let d = jj as f64 - jc;
                let idx = i * NT + edge_index(jj, NT, true);
                l[idx] += (amp * env * (-0.5 * d * d / (sig * sig)).exp()) as f32;
            }
        }
    }

    // Crypts: dark lacunae with irregular outlines and bright rims, mostly by the collarette.
    let n_crypt = (uni(r, 8.0, 30.0) * richness) as usize + 3;
    for _ in 0..n_crypt {
        let thc = uni(r, 0.0, TAU);
        let jc = thc * NT as f64 / TAU;
        let cj = coll[(jc as usize) % NT];
        let rhoc = if chance(r, 0.65) {
            cj + uni(r, 0.03, 0.22)
        } else {
            uni(r, 0.08, 0.85)
        };
        let big = chance(r, 0.25);
        let hw = if big {
            uni(r, 5.0, 12.0)
        } else {
            uni(r, 2.5, 6.0)
        };
        let hl = hw * uni(r, 0.7, 2.2);
        let rot = normal(r) * 0.3;
        let (cr, sr) = (rot.cos(), rot.sin());
        let depth = uni(r, 1.0, 2.2);
        let rim = uni(r, 0.2, 0.6);
        let edges: Vec<(f64, f64, f64)> = (2..=5)
            .map(|k| (k as f64, uni(r, 0.0, 0.22), uni(r, 0.0, TAU)))
            .collect();
        let ext = 1.7 * hw.max(hl);
        let pt = px_theta(rhoc.clamp(0.0, 1.0));
        let dj_max = (ext / pt).ceil() as isize;
        let di_max = (ext / px_rho).ceil() as isize;
        let ic = (rhoc * NR as f64 - 0.5).round() as isize;
        let jc0 = jc.round() as isize;
        for di in -di_max..=di_max {
            let i = ic + di;
            if i < 0 || i >= NR as isize {
                continue;
            }
            let rho = (i as f64 + 0.5) / NR as f64;
            let y = (rho - rhoc) * ri * (1.0 - pr);
            for dj in -dj_max..=dj_max {
                let jj = jc0 + dj;
                let x = (jj as f64 - jc) * pt;
                let xr = cr * x + sr * y;
                let yr = -sr * x + cr * y;
                let (a, b) = (xr / hw, yr / hl);
                let q0 = (a * a + b * b).sqrt();
                if q0 > 1.6 {
                    continue;
                }
                let phi = b.atan2(a);
                let e = 1.0
                    + edges
                        .iter()
                        .map(|&(k, am, p)| am * (k * phi + p).cos())
                        .sum::<f64>();
                let q = q0 / e.max(0.3);
                let inside = 1.0 - smoothstep(0.6, 1.0, q);
                let ring = bump(q - 1.12, 0.14);
                let idx = i as usize * NT + edge_index(jj, NT, true);
                l[idx] += (rim * ring - depth * inside) as f32;
            }
        }
    }

    // Contraction furrows: concentric dark arcs in the outer ciliary zone.
    let n_fur = (uni(r, 1.0, 7.0) * (0.5 + richness)) as usize;
    for _ in 0..n_fur {
        let rhof = uni(r, 0.58, 0.93);
        let th_s = uni(r, 0.0, TAU);
        let span = uni(r, 0.3, 1.8);
        let depth = uni(r, 0.5, 1.2);
        let sig = uni(r, 0.7, 1.6) / px_rho;
        let (wa, wf, wp) = (uni(r, 0.003, 0.012), uni(r, 5.0, 25.0), uni(r, 0.0, TAU));
        let j0 = (th_s * NT as f64 / TAU) as isize;
        let nj = (span * NT as f64 / TAU) as isize;
        for dj in 0..=nj {
            let u = dj as f64 / nj.max(1) as f64;
            let env = (u * PI).sin().max(0.0).sqrt();
            let th = th_s + u * span;
            let rr = rhof + wa * (wf * th + wp).sin();
            let ic = rr * NR as f64 - 0.5;
            let span_i = (3.0 * sig).ceil() as isize;
            let j = edge_index(j0 + dj, NT, true);
            for di in -span_i..=span_i {
                let i = ic.round() as isize + di;
                if i < 0 || i >= NR as isize {
                    continue;
                }
                let d = i as f64 - ic;
                l[i as usize * NT + j] -= (depth * env * (-0.5 * d * d / (sig * sig)).exp()) as f32;
            }
        }
    }

    // Freckles.
    let n_frk = if chance(r, 0.4) {
        (uni(r, 1.0, 4.0)) as usize
    } else {
        0
    };
    for _ in 0..n_frk {
        let rhoc = uni(r, 0.3, 0.9);
        let thc = uni(r, 0.0, TAU);
        let rad = uni(r, 2.0, 5.0);
        let depth = uni(r, 0.8, 1.6);
        let pt = px_theta(rhoc);
        let jc = thc * NT as f64 / TAU;
        let ic = rhoc * NR as f64 - 0.5;
        let dj_max = (2.5 * rad / pt).ceil() as isize;
        let di_max = (2.5 * rad / px_rho).ceil() as isize;
        for di in -di_max..=di_max {
            let i = ic.round() as isize + di;
            if i < 0 || i >= NR as isize {
                continue;
            }
            let y = (i as f64 - ic) * px_rho;
            for dj in -dj_max..=dj_max {
                let jj = jc.round() as isize + dj;
                let x = (jj as f64 - jc) * pt;
                let d2 = (x * x + y * y) / (rad * rad);
                l[i as usize * NT + edge_index(jj, NT, true)] -= (depth * (-d2 * d2).exp()) as f32;
            }
        }
    }

    // Set the contrast, then add the zone, ruff and limbal profiles and exponentiate.
    let mut lf = l;
    normalise(&mut lf);
    let mut ruff = noise_field(r, NT);
    blur_line(&mut ruff, &mut tmp, 3.0, true);
    normalise(&mut ruff);
    let ruff_amp = uni(r, 0.3, 0.6);
    let mut out = vec![0f32; n];
    for i in 0..NR {
        let rho = (i as f64 + 0.5) / NR as f64;
        let limbal = -0.45 * smoothstep(0.78, 1.0, rho) + 0.06 * smoothstep(0.0, 0.5, rho);
        for j in 0..NT {
            let k = i * NT + j;
            let cj = coll[j];
            let inner = 1.0 - smoothstep(cj - 0.01, cj + 0.02, rho);
            let rw = (0.035 + 0.012 * f64::from(ruff[j])).max(0.01);
            let ruff_v = -ruff_amp * (1.0 - smoothstep(rw * 0.5, rw, rho));
            let lv = contrast * f64::from(lf[k]) + zone * inner + ruff_v + limbal;
            out[k] = (tr.iris_mean * lv.exp()).clamp(0.02, 0.95) as f32;
        }
    }
    out
}

/// Zero-mean skin detail tile: pores and fine mottling.
fn make_skin(r: &mut ChaCha8Rng) -> Vec<f32> {
    let n = SKIN_N * SKIN_N;
    let mut pores = noise_field(r, n);
    blur_2d(&mut pores, SKIN_N, SKIN_N, 0.9, 0.9, true, true);
    normalise(&mut pores);
    let mut mottle = noise_field(r, n);
    blur_2d(&mut mottle, SKIN_N, SKIN_N, 5.0, 5.0, true, true);
    normalise(&mut mottle);
    pores
        .iter()
        .zip(&mottle)
        .map(|(&p, &m)| 0.8 * p + 0.5 * m)
        .collect()
}

/// Fine wrinkles: noise stretched along x, wrapping.
fn make_wrinkles(r: &mut ChaCha8Rng) -> Vec<f32> {
    let mut w = noise_field(r, SKIN_N * SKIN_N);
    blur_2d(&mut w, SKIN_N, SKIN_N, 7.0, 0.9, true, true);
    normalise(&mut w);
    w
}

/// Three smooth channels around 1 along the lids: lash line, crease, tear meniscus.
fn make_lid_noise(r: &mut ChaCha8Rng) -> Vec<f32> {
    let mut out = Vec::with_capacity(3 * LN);
    let mut tmp = Vec::new();
    for sigma in [4.0, 10.0, 3.0] {
        let mut ch = noise_field(r, LN);
        blur_line(&mut ch, &mut tmp, sigma, false);
        normalise(&mut ch);
        out.extend(
            ch.iter()
                .map(|&v| (1.0 + 0.3 * f64::from(v)).max(0.2) as f32),
        );
    }
    out
}

/// Sclera vessel transmission map.
fn make_sclera(r: &mut ChaCha8Rng, amount: f64) -> Vec<f32> {
    let mut dark = vec![0f32; SCL_W * SCL_H];
    let n_vessel = (uni(r, 6.0, 14.0) * amount) as usize + 2;
    let mut stack: Vec<(f64, f64, f64, f64, f64, usize)> = Vec::new();
    for _ in 0..n_vessel {
        // Start near a corner of the eye and head roughly toward the iris.
        let left = chance(r, 0.5);
        let x = if left {
            uni(r, 10.0, 80.0)
        } else {
            uni(r, SCL_W as f64 - 80.0, SCL_W as f64 - 10.0)
        };
        let y = uni(r, 60.0, SCL_H as f64 - 60.0);
        let dir = if left { 0.0 } else { PI } + normal(r) * 0.35;
        stack.push((x, y, dir, uni(r, 0.6, 1.4), uni(r, 0.05, 0.14) * amount, 0));
    }
    while let Some((mut x, mut y, mut dir, mut wid, dk, depth)) = stack.pop() {
        let steps = (uni(r, 30.0, 90.0) / (1.0 + depth as f64)) as usize;
        for _ in 0..steps {
            dir += normal(r) * 0.18;
            x += dir.cos();
            y += dir.sin();
            wid *= 0.992;
            let rad = wid.max(0.35);
            let (x0, x1) = (
                (x - rad - 1.0).floor() as isize,
                (x + rad + 1.0).ceil() as isize,
            );
            let (y0, y1) = (
                (y - rad - 1.0).floor() as isize,
                (y + rad + 1.0).ceil() as isize,
            );
            for yy in y0..=y1 {
                for xx in x0..=x1 {
                    if xx < 0 || yy < 0 || xx >= SCL_W as isize || yy >= SCL_H as isize {
                        continue;
                    }
                    let d = ((xx as f64 - x).powi(2) + (yy as f64 - y).powi(2)).sqrt();
                    let cov = clamp01(rad + 0.5 - d) * dk;
                    let k = yy as usize * SCL_W + xx as usize;
                    dark[k] = dark[k].max(cov as f32);
                }
            }
            if depth < 3 && chance(r, 0.02) {
                stack.push((x, y, dir + normal(r) * 0.8, wid * 0.7, dk * 0.8, depth + 1));
            }
        }
    }
    blur_2d(&mut dark, SCL_W, SCL_H, 0.6, 0.6, false, false);
    dark.iter().map(|&d| 1.0 - d).collect()
}

/// Low-frequency shading nodes around 1.
fn make_grid(r: &mut ChaCha8Rng) -> Vec<f32> {
    let mut g = noise_field(r, GRID_NX * GRID_NY);
    blur_2d(&mut g, GRID_NX, GRID_NY, 3.5, 3.5, false, false);
    normalise(&mut g);
    g.iter()
        .map(|&v| (1.0 + 0.045 * f64::from(v)) as f32)
        .collect()
}

fn make_lashes(r: &mut ChaCha8Rng, count: f64, len_k: f64, dark: f64) -> (Vec<Lash>, Vec<Lash>) {
    let n = count as usize;
    let mut upper = Vec::with_capacity(n + 4);
    while upper.len() < n {
        // Lashes grow in clumps of one to four with nearly the same direction; denser toward
        // the temporal half, sparse at the nasal corner.
        let t = (uni(r, -0.8, 0.95) + uni(r, -0.8, 0.95) * 0.3 + 0.15).clamp(-0.85, 0.95);
        let up = chance(r, 0.2);
        let (angle, len, curl) = if up {
            (
                PI - (0.35 + 0.6 * t + normal(r) * 0.25),
                uni(r, 0.08, 0.22),
                normal(r) * 0.3,
            )
        } else {
            (
                0.15 + 0.75 * t + normal(r) * 0.22,
                uni(r, 0.1, 0.45),
                0.25 + normal(r) * 0.25,
            )
        };
        let width = uni(r, 1.0, 2.8);
        let op = (dark * uni(r, 0.6, 1.1)).min(0.92);
        let k = 1 + (uni(r, 0.0, 3.99)) as usize;
        for _ in 0..k {
            upper.push(Lash {
                t: (t + normal(r) * 0.012).clamp(-0.95, 0.97),
                len: len * len_k * uni(r, 0.85, 1.1),
                angle: angle + normal(r) * 0.06,
                curl: curl + normal(r) * 0.08,
                width: width * uni(r, 0.85, 1.1),
                dark: op,
                across: 0.0,
            });
        }
    }
    upper.truncate(n);
    let mut lower = Vec::new();
    let nl = (count * uni(r, 0.25, 0.45)) as usize;
    for _ in 0..nl {
        let t = uni(r, -0.6, 0.9);
        lower.push(Lash {
            t,
            len: uni(r, 0.05, 0.14) * len_k,
            angle: 0.1 + 0.6 * t + normal(r) * 0.25,
            curl: 0.3 * t + normal(r) * 0.3,
            width: uni(r, 0.9, 1.6),
            dark: dark * uni(r, 0.35, 0.6),
            across: 0.0,
        });
    }
    (upper, lower)
}

/// Eyebrow hairs: along the brow from its nasal head (t = -1) to its tail (t = 1.3).
fn make_brow(r: &mut ChaCha8Rng, count: f64, dark: f64) -> Vec<Lash> {
    (0..count as usize)
        .map(|_| {
            let t = uni(r, -1.0, 1.3);
            let across = uni(r, -1.0, 1.0);
            // Hairs rise at the head, run toward the temple in the body, converging on the
            // brow's centre line, and droop a little at the tail.
            let head = 1.0 - smoothstep(-1.0, -0.55, t);
            let body = PI / 2.0 + 0.35 - 0.35 * across - 0.3 * smoothstep(0.6, 1.3, t);
            let angle = head * (PI - 0.35) + (1.0 - head) * body + normal(r) * 0.15;
            Lash {
                t,
                len: uni(r, 0.12, 0.3) * (1.0 - 0.3 * smoothstep(0.5, 1.3, t)),
                angle,
                curl: normal(r) * 0.2,
                width: uni(r, 1.0, 1.8),
                dark: (dark * uni(r, 0.6, 1.1)).min(0.85),
                across,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// One capture.

/// Everything a capture fixes, in image pixels.
struct Scene {
    w: usize,
    h: usize,
    /// Reference pixels to image pixels.
    scale: f64,
    /// Image position of the eye frame's origin; cosine and sine of the head roll.
    ox: f64,
    oy: f64,
    cr: f64,
    sr: f64,
    /// +1 when the temple is toward +x.
    sgn: f64,
    // Lids, in the eye frame.
    fx: f64,
    fy: f64,
    hw: f64,
    tilt: f64,
    hu: f64,
    hl: f64,
    hc: f64,
    closed: bool,
    crease_h: f64,
    crease_depth: f64,
    brow_h: f64,
    brow_arch: f64,
    // Eyeball, in the eye frame.
    icx: f64,
    icy: f64,
    ri: f64,
    rp: f64,
    /// Pupil centre relative to the iris centre, iris-plane coordinates.
    epx: f64,
    epy: f64,
    /// Off-axis foreshortening: unit axis and cosine of the gaze angle.
    gax: f64,
    gay: f64,
    gk: f64,
    torsion: f64,
    limbus_w: f64,
    // Photometry.
    gain: f64,
    vig: f64,
    grad_x: f64,
    grad_y: f64,
    /// Corneal reflections of the illuminator.
    specs: Vec<Spec>,
    lash_jitter: u64,
    noise_seed: u64,
    blur: Blur,
}

/// One corneal reflection: eye-frame centre, radius, elongation and its direction, lobes.
#[derive(Debug, Clone, Copy)]
struct Spec {
    u: f64,
    v: f64,
    r: f64,
    aspect: f64,
    angle: f64,
    lobe: f64,
    lobe_phase: f64,
}

#[derive(Debug, Clone, Copy)]
enum Blur {
    None,
    Focus(f64),
    /// Length, angle, and a slight defocus that comes with it.
    Motion(f64, f64, f64),
}

impl Scene {
    fn new(m: &EyeModel, capture_seed: u64, cond: EyeCondition, w: usize, h: usize) -> Scene {
        let tr = &m.tr;
        let mut b = rng_for(&[CAPTURE_TAG, m.eye_seed, capture_seed]);
        let mut c = rng_for(&[CONDITION_TAG, m.eye_seed, capture_seed, cond.tag()]);
        let s_img = (w as f64 / REF_W).min(h as f64 / REF_H);
        let dist = uni(&mut b, 0.955, 1.045);
        let shift_x = uni(&mut b, -22.0, 22.0) * s_img;
        let shift_y = uni(&mut b, -16.0, 16.0) * s_img;
        let roll = (normal(&mut b) * 1.2).clamp(-3.0, 3.0).to_radians();
        let torsion = (normal(&mut b) * 0.8).clamp(-2.0, 2.0).to_radians();
        let dil = (normal(&mut b) * 0.035).clamp(-0.08, 0.08);
        let up_j = (normal(&mut b) * 0.05).clamp(-0.12, 0.12);
        let lo_j = (normal(&mut b) * 0.04).clamp(-0.1, 0.1);
        let gain_j = uni(&mut b, 0.95, 1.05);
        let grad_x = uni(&mut b, -0.06, 0.06);
        let grad_y = uni(&mut b, -0.04, 0.04);
        let spec_dx = normal(&mut b) * 0.02;
        let spec_dy = normal(&mut b) * 0.02;
        let spec_r = uni(&mut b, 0.026, 0.036);
        let two_specs = chance(&mut b, 0.8);
        let lash_jitter = b.gen::<u64>();
        let noise_seed = b.gen::<u64>();

        let mut scale = s_img * dist;
        let mut upper = (tr.upper + up_j).clamp(0.3, 0.95);
        let mut lower = (tr.lower + lo_j).clamp(0.7, 1.15);
        let mut closed = false;
        let mut gain = gain_j;
        let mut gaze = (0.0, 0.0, 0.0); // angle, axis x, axis y
        let mut blur = Blur::None;
        match cond {
            EyeCondition::Good => {}
            EyeCondition::FocusBlur => blur = Blur::Focus(uni(&mut c, 3.2, 4.8) * s_img),
            EyeCondition::MotionBlur => {
                let ang = if chance(&mut c, 0.6) {
                    normal(&mut c) * 0.3
                } else {
                    uni(&mut c, 0.0, PI)
                };
                blur = Blur::Motion(
                    uni(&mut c, 20.0, 32.0) * s_img,
                    ang,
                    uni(&mut c, 1.4, 1.9) * s_img,
                );
            }
            EyeCondition::OffAxis => {
                let a = uni(&mut c, 25.0, 38.0).to_radians();
                let dir = if chance(&mut c, 0.5) { 0.0 } else { PI } + normal(&mut c) * 0.25;
                gaze = (a, dir.cos(), dir.sin());
            }
            EyeCondition::Occluded => {
                upper = uni(&mut c, -0.2, 0.12);
                lower = uni(&mut c, 0.32, 0.55);
            }
            EyeCondition::Closed => closed = true,
            EyeCondition::TooFar => {
                let d = uni(&mut c, 120.0, 150.0);
                scale = s_img * d / (2.0 * tr.iris_r);
            }
            EyeCondition::TooDark => gain *= uni(&mut c, 0.18, 0.28),
        }

        let ri = tr.iris_r * scale;
        let rp = (tr.pupil_ratio + dil).clamp(0.2, 0.6) * ri;
        let sgn = match m.side {
            Side::Left => 1.0,
            Side::Right => -1.0,
        };
        // Lids: arches through the wanted heights at the iris column.
        let fx = sgn * tr.fis_dx * ri;
        let fy = tr.fis_dy * ri;
        let hw = tr.fis_w * ri;
        let tilt = tr.tilt * ri;
        let t0 = sgn * (0.0 - fx) / hw;
        let gu0 = gu(t0, tr.up_skew);
        let gl0 = gl(t0, tr.lo_skew);
        let base0 = fy - tilt * t0;
        let hu = ((base0 + upper * ri) / gu0).max(0.02 * ri);
        let hl = ((lower * ri - base0) / gl0).max(0.02 * ri);
        let hu_nominal = ((base0 + tr.upper * ri) / gu0).max(0.02 * ri);
        let hc = uni(&mut c, 0.15, 0.3) * ri;
        let mut crease_h = hu_nominal + tr.crease_gap * ri;
        let mut crease_depth = tr.crease_depth;
        if closed {
            crease_h *= 0.8;
            crease_depth *= 0.6;
        }

        // Eyeball: pupil offset (toward the nose and down), gaze shift.
        let (ga, gax, gay) = gaze;
        let gk = ga.cos();
        let sa = ga.sin();
        let (icx, icy) = (1.75 * ri * sa * gax, 1.75 * ri * sa * gay);
        let lag = if ga > 0.0 { -0.1 * ri / gk } else { 0.0 };
        let epx = -sgn * tr.pupil_nasal * ri + lag * gax;
        let epy = tr.pupil_down * ri + lag * gay;
        // Corneal reflections stay near the centre of corneal curvature.
        let scx = icx - 0.9 * ri * sa * gax + spec_dx * ri;
        let scy = icy - 0.9 * ri * sa * gay + (spec_dy - 0.05) * ri;
        let sr_px = (spec_r * ri).max(0.6);
        let mut spec = |u: f64, v: f64, r: f64| Spec {
            u,
            v,
            r,
            aspect: uni(&mut b, 1.0, 1.5),
            angle: uni(&mut b, 0.0, PI),
            lobe: uni(&mut b, 0.0, 0.25),
            lobe_phase: uni(&mut b, 0.0, TAU),
        };
        let specs = if two_specs {
            vec![
                spec(scx - 0.11 * ri, scy, sr_px),
                spec(scx + 0.11 * ri, scy + 0.01 * ri, sr_px * 0.9),
            ]
        } else {
            vec![spec(scx, scy, sr_px * 1.1)]
        };
        let ox = (w as f64 - 1.0) / 2.0 + shift_x;
        let oy = (h as f64 - 1.0) / 2.0 + shift_y;
        Scene {
            w,
            h,
            scale,
            ox,
            oy,
            cr: roll.cos(),
            sr: roll.sin(),
            sgn,
            fx,
            fy,
            hw,
            tilt,
            hu,
            hl,
            hc,
            closed,
            crease_h,
            crease_depth,
            brow_h: tr.brow_h,
            brow_arch: tr.brow_arch,
            icx,
            icy,
            ri,
            rp,
            epx,
            epy,
            gax,
            gay,
            gk,
            torsion,
            limbus_w: (3.0 * scale).max(0.6),
            gain,
            vig: 0.6,
            grad_x,
            grad_y,
            specs,
            lash_jitter,
            noise_seed,
            blur,
        }
    }

    fn to_image(&self, u: f64, v: f64) -> (f64, f64) {
        (
            self.ox + self.cr * u - self.sr * v,
            self.oy + self.sr * u + self.cr * v,
        )
    }

    fn to_eye(&self, x: f64, y: f64) -> (f64, f64) {
        let dx = x - self.ox;
        let dy = y - self.oy;
        (self.cr * dx + self.sr * dy, -self.sr * dx + self.cr * dy)
    }

    fn t_of(&self, u: f64) -> f64 {
        self.sgn * (u - self.fx) / self.hw
    }

    /// Upper and lower lid margins (eye-frame v) at lid parameter `t`.
    fn lids(&self, t: f64, m: &EyeModel) -> (f64, f64) {
        let base = self.fy - self.tilt * t;
        if t.abs() >= 1.0 {
            return (base, base);
        }
        if self.closed {
            let v = base + self.hc * gl(t, m.tr.lo_skew);
            return (v, v);
        }
        // Margins are not perfect arches: a slight waviness, zero at the corners.
        let wob = 0.04 * self.ri * (1.0 - t * t);
        (
            base - self.hu * gu(t, m.tr.up_skew) + wob * (m.lid_noise(0, t) - 1.0),
            base + self.hl * gl(t, m.tr.lo_skew) + wob * (m.lid_noise(2, t) - 1.0),
        )
    }

    fn crease(&self, t: f64, m: &EyeModel) -> f64 {
        let tc = t / 1.15;
        let g = ((1.0 - tc * tc) * (1.0 + m.tr.up_skew * tc) * (1.0 + 0.3 * tc * tc)).max(0.0);
        self.fy - self.tilt * t - self.crease_h * g
    }

    /// Centre line of the eyebrow (eye-frame v) at brow parameter `t`.
    fn brow_centre(&self, t: f64) -> f64 {
        let a = (t - 0.3) / 1.5;
        self.fy - self.ri * (self.brow_h + self.brow_arch * (1.0 - a * a))
    }

    fn brow_thickness(&self, t: f64) -> f64 {
        self.ri * (0.75 - 0.45 * clamp01((t + 1.0) / 2.3))
    }

    /// Eye-frame offset from the iris centre to iris-plane coordinates.
    fn to_plane(&self, qx: f64, qy: f64) -> (f64, f64) {
        if self.gk >= 1.0 {
            return (qx, qy);
        }
        let along = (qx * self.gax + qy * self.gay) / self.gk;
        let perp = -qx * self.gay + qy * self.gax;
        (
            along * self.gax - perp * self.gay,
            along * self.gay + perp * self.gax,
        )
    }

    fn plane_to_eye(&self, px: f64, py: f64) -> (f64, f64) {
        if self.gk >= 1.0 {
            return (px, py);
        }
        let along = (px * self.gax + py * self.gay) * self.gk;
        let perp = -px * self.gay + py * self.gax;
        (
            along * self.gax - perp * self.gay,
            along * self.gay + perp * self.gax,
        )
    }

    /// Radiance of the eyeball (sclera, iris, pupil) at an eye-frame point.
    fn eyeball(&self, m: &EyeModel, u: f64, v: f64, t: f64, lo: f64) -> f64 {
        let qx = u - self.icx;
        let qy = v - self.icy;
        let (px, py) = self.to_plane(qx, qy);
        let rr = (px * px + py * py).sqrt();
        let lw = self.limbus_w;
        // Sclera: vessels, conjunctiva, fall-off away from the cornea and into the corners.
        let sclera = if rr > self.ri - lw {
            let d2 = (qx * qx + qy * qy) / (self.hw * self.hw);
            let ves = tile_clamp(
                &m.sclera,
                SCL_W,
                SCL_H,
                qx / (2.0 * self.scale) + SCL_W as f64 / 2.0,
                qy / (2.0 * self.scale) + SCL_H as f64 / 2.0,
            );
            let k = 0.5 / self.scale;
            let conj = 1.0 + 0.02 * tile_near(&m.skin, SKIN_N, qx * k + 100.0, qy * k);
            let corner = 1.0 - 0.45 * smoothstep(0.5, 1.0, t.abs());
            let low = 1.0 - 0.15 * bump(lo - v, 0.2 * self.ri);
            m.tr.sclera * (1.0 - 0.3 * d2) * ves * conj * corner * low
        } else {
            0.0
        };
        if rr >= self.ri + lw {
            return sclera;
        }
        let dx = px - self.epx;
        let dy = py - self.epy;
        let dd = (dx * dx + dy * dy).sqrt();
        // The pupil border is not a perfect circle.
        let rpe = if (dd - self.rp).abs() < 0.05 * self.rp + 1.0 {
            let phi = dy.atan2(dx);
            self.rp
                * (1.0
                    + m.pupil_wobble
                        .iter()
                        .map(|&(k, a, p)| a * (k * phi + p).sin())
                        .sum::<f64>())
        } else {
            self.rp
        };
        let a_pupil = 1.0 - smoothstep(rpe - 0.7, rpe + 0.7, dd);
        let iris = if a_pupil < 1.0 {
            let e2 = self.epx * self.epx + self.epy * self.epy;
            let dr = self.ri - self.rp;
            let qa = e2 - dr * dr;
            let qb = 2.0 * (dx * self.epx + dy * self.epy - self.rp * dr);
            let qc = dd * dd - self.rp * self.rp;
            let disc = (qb * qb - 4.0 * qa * qc).max(0.0);
            let rho = if qa.abs() > 1e-9 {
                (-qb - disc.sqrt()) / (2.0 * qa)
            } else {
                0.0
            };
            let rho = rho.clamp(0.0, 1.0);
            let th = (dy + rho * self.epy).atan2(dx + rho * self.epx) - self.torsion;
            // Mirror the texture for the right eye so both are seen from the front.
            let th = if self.sgn > 0.0 { th } else { PI - th };
            m.iris_at(th, rho)
        } else {
            0.0
        };
        let pupil = m.tr.pupil * (1.0 + 0.25 * (1.0 - dd / self.rp.max(1.0)).max(0.0));
        let inner = a_pupil * pupil + (1.0 - a_pupil) * iris;
        let a_sclera = smoothstep(self.ri - lw, self.ri + lw, rr);
        // The limbus itself is a little darker than either side.
        let limbal = 1.0 - 0.12 * bump(rr - self.ri - 0.3 * lw, 1.2 * lw);
        (a_sclera * sclera + (1.0 - a_sclera) * inner) * limbal
    }

    /// Radiance of the skin around the eye at an eye-frame point.
    fn skin(&self, m: &EyeModel, u: f64, v: f64, t: f64, row: &LidRow, shade: f64) -> f64 {
        let k = 1.0 / self.scale;
        let (us, vs) = (u * k, v * k);
        let ri = self.ri;
        let (up, lo) = (row.up, row.lo);
        let mut val = m.tr.skin * shade * (1.0 + 0.025 * tile_near(&m.skin, SKIN_N, us, vs));
        let at = t.abs();
        let near = if at <= 0.95 {
            1.0
        } else {
            1.0 - smoothstep(0.95, 1.3, at)
        };
        // The lash lines end at the corners.
        let margin = if at <= 0.96 {
            1.0
        } else {
            1.0 - smoothstep(0.96, 1.03, at)
        };
        if v <= up {
            let d = up - v;
            if near > 0.0 {
                // Lash line at the margin; the pretarsal lid rolls in toward it.
                let cv = row.crease;
                let span = (up - cv).max(0.05 * ri);
                let mut f = 1.0 - margin * (0.6 * row.lash).min(0.85) * bump(d, 0.035 * ri);
                let sl = 1.0 - (d / span).min(1.0);
                f *= 1.0 - 0.14 * sl * sl * sl;
                // Crease, the fold above it and the sulcus under the brow.
                let dc = v - cv;
                f *= 1.0 - self.crease_depth * row.crease_k * bump(dc + 0.02 * ri, 0.07 * ri);
                f *= 1.0 + 0.02 * bump(dc + 0.12 * ri, 0.08 * ri);
                f *= 1.0 - 0.07 * bump(dc + 0.5 * ri, 0.3 * ri);
                if self.closed {
                    // The lid bulges over the eyeball.
                    f *= 1.0 + 0.07 * bump(v - (cv + up) / 2.0, 0.4 * ri);
                }
                val *= 1.0 + near * (f - 1.0);
            }
            let fade = bump(d, 0.9 * ri);
            if fade > 0.0 {
                val *= 1.0
                    + m.tr.wrinkles * fade * 0.6 * tile_near(&m.wrinkle, SKIN_N, us, d * k * 1.6);
            }
        }
        if v >= lo {
            let d = v - lo;
            if near > 0.0 {
                // Lower lash line, the convex lower lid and its fold.
                let mut f = 1.0 - margin * 0.3 * bump(d - 0.005 * ri, 0.02 * ri);
                f *= 1.0 + 0.04 * bump(d - 0.16 * ri, 0.12 * ri);
                f *= 1.0 - m.tr.bag * bump(d - 0.48 * ri, 0.14 * ri);
                val *= 1.0 + near * (f - 1.0);
            }
            let fade = bump(d, 1.1 * ri);
            if fade > 0.0 {
                val *= 1.0
                    + m.tr.wrinkles * fade * tile_near(&m.wrinkle, SKIN_N, us, d * k * 1.3 + 200.0);
            }
        }
        // The eyebrow's skin, thick with hair roots.
        if v < row.crease - 1.2 * ri {
            let env = smoothstep(-1.15, -0.9, t) * (1.0 - smoothstep(1.1, 1.35, t));
            if env > 0.0 {
                let db = v - self.brow_centre(t);
                val *= 1.0 - 0.4 * env * bump(db, 0.45 * self.brow_thickness(t));
            }
        }
        // Shadow into the nasal corner.
        let dn = (t + 1.05) / 0.2;
        let dv = (v - (self.fy - self.tilt * t)) / (0.5 * ri);
        let sq = dn * dn + dv * dv;
        if sq < 9.0 {
            val *= 1.0 - 0.22 * exp_neg(sq);
        }
        val
    }
}

/// Everything about the lids that depends only on the position along them.
#[derive(Debug, Clone, Copy, Default)]
struct LidRow {
    up: f64,
    lo: f64,
    crease: f64,
    /// Lid-noise channels: lash line, crease and tear-meniscus strength.
    lash: f64,
    crease_k: f64,
    tear: f64,
}

impl LidRow {
    fn lerp(&self, o: &LidRow, f: f64) -> LidRow {
        let l = |a: f64, b: f64| a + (b - a) * f;
        LidRow {
            up: l(self.up, o.up),
            lo: l(self.lo, o.lo),
            crease: l(self.crease, o.crease),
            lash: l(self.lash, o.lash),
            crease_k: l(self.crease_k, o.crease_k),
            tear: l(self.tear, o.tear),
        }
    }
}

/// The lids sampled along the eye frame's u axis, for the per-pixel loop.
struct LidTable {
    u0: f64,
    inv_step: f64,
    rows: Vec<LidRow>,
}

impl LidTable {
    fn new(sc: &Scene, m: &EyeModel) -> LidTable {
        let (w, h) = (sc.w as f64, sc.h as f64);
        let us = [(0.0, 0.0), (w, 0.0), (0.0, h), (w, h)].map(|(x, y)| sc.to_eye(x, y).0);
        let u0 = us.iter().copied().fold(f64::MAX, f64::min) - 2.0;
        let u1 = us.iter().copied().fold(f64::MIN, f64::max) + 2.0;
        let n = (((u1 - u0) / 0.5).ceil() as usize + 2).clamp(2, 1 << 16);
        let step = (u1 - u0) / (n - 1) as f64;
        let rows = (0..n)
            .map(|i| {
                let t = sc.t_of(u0 + i as f64 * step);
                let (up, lo) = sc.lids(t, m);
                LidRow {
                    up,
                    lo,
                    crease: sc.crease(t, m),
                    lash: m.lid_noise(0, t),
                    crease_k: m.lid_noise(1, t),
                    tear: m.lid_noise(2, t),
                }
            })
            .collect();
        LidTable {
            u0,
            inv_step: 1.0 / step,
            rows,
        }
    }

    fn at(&self, u: f64) -> LidRow {
        let n = self.rows.len();
        let x = ((u - self.u0) * self.inv_step).clamp(0.0, (n - 1) as f64);
        let i = (x as usize).min(n - 2);
        self.rows[i].lerp(&self.rows[i + 1], x - i as f64)
    }
}

fn gu(t: f64, skew: f64) -> f64 {
    let t2 = t * t;
    ((1.0 - t2) * (1.0 + skew * t) * (1.0 + 0.35 * t2)).max(1e-3)
}

fn gl(t: f64, skew: f64) -> f64 {
    let t2 = t * t;
    ((1.0 - t2) * (1.0 + skew * t) * (1.0 + 0.5 * t2)).max(1e-3)
}

/// One capture: 8-bit NIR grey, `width` x `height` (the scanner uses 640 x 480, as ISO/IEC
/// 19794-6 VGA images).
///
/// The same `model`, `capture_seed` and `condition` always give the same bytes. Captures of
/// one `capture_seed` under different conditions share their pose, pupil and noise, so they
/// differ only by what the condition changes. Each side is clamped to `16..=4096`.
pub fn render(
    model: &EyeModel,
    capture_seed: u64,
    condition: EyeCondition,
    width: u32,
    height: u32,
) -> (GrayImage, GroundTruth) {
    let wu = width.clamp(MIN_SIDE, MAX_SIDE);
    let hu = height.clamp(MIN_SIDE, MAX_SIDE);
    let (w, h) = (wu as usize, hu as usize);
    let sc = Scene::new(model, capture_seed, condition, w, h);
    let mut buf = vec![0f32; w * h];
    let edge = (0.7 * sc.scale).max(0.5);
    let tear_w = (1.2 * sc.scale).max(0.5);
    let shadow_w = 0.14 * sc.ri;
    let table = LidTable::new(&sc, model);
    let mut shade = vec![0f64; w];
    let k = 1.0 / sc.scale;
    for y in 0..h {
        // The skin's low-frequency shading, exact every 8 pixels and interpolated between.
        for x0 in (0..w).step_by(8) {
            let x1 = (x0 + 8).min(w - 1);
            let (ua, va) = sc.to_eye(x0 as f64, y as f64);
            let (ub, vb) = sc.to_eye(x1 as f64, y as f64);
            let (sa, sb) = (model.shading(ua * k, va * k), model.shading(ub * k, vb * k));
            let span = (x1 - x0).max(1) as f64;
            for (i, sh) in shade[x0..=x1].iter_mut().enumerate() {
                *sh = sa + (sb - sa) * i as f64 / span;
            }
        }
        for x in 0..w {
            let (u, v) = sc.to_eye(x as f64, y as f64);
            let t = sc.t_of(u);
            let row = table.at(u);
            let (up, lo) = (row.up, row.lo);
            let (d1, d2) = (v - up, lo - v);
            let open = if t.abs() >= 1.0 || sc.closed || d1 <= -edge || d2 <= -edge {
                0.0
            } else if d1 >= edge && d2 >= edge {
                1.0
            } else {
                smoothstep(-edge, edge, d1) * smoothstep(-edge, edge, d2)
            };
            let mut val = 0.0;
            if open > 0.0 {
                let mut eye = sc.eyeball(model, u, v, t, lo);
                // Shadows of the lids, tear meniscus, caruncle in the nasal corner.
                let d_up = v - up;
                if d_up < 5.0 * shadow_w {
                    eye *= 1.0 - model.tr.lid_shadow * exp_neg(d_up.max(0.0) / shadow_w);
                }
                let d_lo = lo - v;
                eye *= 1.0 - 0.18 * bump(d_lo - 3.0 * tear_w, 3.0 * tear_w);
                eye += 0.12 * row.tear * row.tear * bump(d_lo - tear_w, tear_w);
                let car = smoothstep(-0.8, -0.93, t);
                if car > 0.0 {
                    let k = 1.0 / sc.scale;
                    let bumpy = tile_wrap(&model.skin, SKIN_N, u * k * 0.5, v * k * 0.5);
                    eye = eye * (1.0 - car) + car * model.tr.skin * 0.62 * (1.0 + 0.08 * bumpy);
                }
                val += open * eye;
            }
            if open < 1.0 {
                val += (1.0 - open) * sc.skin(model, u, v, t, &row, shade[x]);
            }
            buf[y * w + x] = val as f32;
        }
    }
    specular(&sc, model, &mut buf);
    lashes(&sc, model, &mut buf);
    let buf = match sc.blur {
        Blur::None => {
            // The lens is good but not perfect.
            let mut b = buf;
            let sigma = 0.5 * sc.scale.max(0.5);
            blur_2d(&mut b, w, h, sigma, sigma, false, false);
            b
        }
        Blur::Focus(sigma) => {
            let mut b = buf;
            blur_2d(&mut b, w, h, sigma, sigma, false, false);
            b
        }
        Blur::Motion(len, ang, sigma) => {
            let mut b = motion_blur(&buf, w, h, len, ang);
            blur_2d(&mut b, w, h, sigma, sigma, false, false);
            b
        }
    };
    let img = expose(&sc, &buf, wu, hu);
    (img, ground_truth(&sc, model))
}

/// Adds the illuminator's corneal reflections where the eye is open.
fn specular(sc: &Scene, m: &EyeModel, buf: &mut [f32]) {
    let (w, h) = (sc.w, sc.h);
    let edge = (0.7 * sc.scale).max(0.5);
    for sp in &sc.specs {
        let r = sp.r;
        let (ca, sa) = (sp.angle.cos(), sp.angle.sin());
        let (cx, cy) = sc.to_image(sp.u, sp.v);
        let ext = 4.0 * r + 2.0;
        let x0 = (cx - ext).floor().max(0.0) as usize;
        let y0 = (cy - ext).floor().max(0.0) as usize;
        let x1 = ((cx + ext).ceil().max(0.0) as usize).min(w.saturating_sub(1));
        let y1 = ((cy + ext).ceil().max(0.0) as usize).min(h.saturating_sub(1));
        if cx + ext < 0.0 || cy + ext < 0.0 {
            continue;
        }
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (dx, dy) = (x as f64 - cx, y as f64 - cy);
                let a = (ca * dx + sa * dy) / sp.aspect;
                let bb = (-sa * dx + ca * dy) * sp.aspect.sqrt();
                let phi = bb.atan2(a);
                let d = (a * a + bb * bb).sqrt()
                    / r
                    / (1.0 + sp.lobe * (3.0 * phi + sp.lobe_phase).cos());
                if d > 4.0 {
                    continue;
                }
                let (u, v) = sc.to_eye(x as f64, y as f64);
                let t = sc.t_of(u);
                let (up, lo) = sc.lids(t, m);
                if t.abs() >= 1.0 || sc.closed {
                    continue;
                }
                let open = smoothstep(-edge, edge, v - up) * smoothstep(-edge, edge, lo - v);
                let core = 1.0 / (1.0 + d.powi(6));
                let halo = 0.12 * (-(d / 2.2).powi(2)).exp();
                let k = y * w + x;
                let old = f64::from(buf[k]);
                let new = old * (1.0 - core) + 2.5 * core + halo;
                buf[k] = (old + open * (new - old)) as f32;
            }
        }
    }
}

/// A hair in the eye frame: a quadratic curve from `p0`, leaving along `d0` and ending
/// along `d1` (unit vectors), tapering from `width` (image pixels).
struct Strand {
    p0: (f64, f64),
    d0: (f64, f64),
    d1: (f64, f64),
    len: f64,
    width: f64,
    dark: f64,
}

/// Darkens `buf` along one strand; `cov` is all-zero scratch space and is left so.
fn draw_strand(sc: &Scene, st: &Strand, cov: &mut [f32], buf: &mut [f32]) {
    let (w, h) = (sc.w, sc.h);
    let (p0, len) = (st.p0, st.len);
    let p1 = (p0.0 + 0.55 * len * st.d0.0, p0.1 + 0.55 * len * st.d0.1);
    let p2 = (p1.0 + 0.5 * len * st.d1.0, p1.1 + 0.5 * len * st.d1.1);
    let steps = ((len / 0.6).ceil() as usize).clamp(2, 2000);
    let (mut bx0, mut by0, mut bx1, mut by1) = (usize::MAX, usize::MAX, 0usize, 0usize);
    for s in 0..=steps {
        let q = s as f64 / steps as f64;
        let a = (1.0 - q) * (1.0 - q);
        let b2 = 2.0 * (1.0 - q) * q;
        let c2 = q * q;
        let pu = a * p0.0 + b2 * p1.0 + c2 * p2.0;
        let pv = a * p0.1 + b2 * p1.1 + c2 * p2.1;
        let (x, y) = sc.to_image(pu, pv);
        let rad = (0.5 * st.width * (1.0 - 0.7 * q)).max(0.25);
        let ext = rad + 1.5;
        if x + ext < 0.0 || y + ext < 0.0 || x - ext > w as f64 || y - ext > h as f64 {
            continue;
        }
        let xa = (x - ext).floor().max(0.0) as usize;
        let ya = (y - ext).floor().max(0.0) as usize;
        let xb = ((x + ext).ceil() as usize).min(w - 1);
        let yb = ((y + ext).ceil() as usize).min(h - 1);
        bx0 = bx0.min(xa);
        by0 = by0.min(ya);
        bx1 = bx1.max(xb);
        by1 = by1.max(yb);
        // Thin hairs are fainter rather than thinner than a pixel.
        let op = (rad * 2.0).min(1.0) * (1.0 - 0.3 * q);
        let reach = rad.max(0.5) + 0.6;
        for yy in ya..=yb {
            let dy2 = (yy as f64 - y).powi(2);
            for xx in xa..=xb {
                let d2 = (xx as f64 - x).powi(2) + dy2;
                if d2 >= reach * reach {
                    continue;
                }
                let c = ((reach - d2.sqrt()) / 1.2).min(1.0) * op;
                let k = yy * w + xx;
                if c as f32 > cov[k] {
                    cov[k] = c as f32;
                }
            }
        }
    }
    if bx0 > bx1 || by0 > by1 {
        return;
    }
    for yy in by0..=by1 {
        for xx in bx0..=bx1 {
            let k = yy * w + xx;
            let c = f64::from(cov[k]);
            if c > 0.0 {
                buf[k] = (f64::from(buf[k]) * (1.0 - st.dark * c)) as f32;
                cov[k] = 0.0;
            }
        }
    }
}

/// Draws the eyelashes and the eyebrow over everything else.
fn lashes(sc: &Scene, m: &EyeModel, buf: &mut [f32]) {
    let mut jr = rng_for(&[sc.lash_jitter]);
    let mut cov = vec![0f32; sc.w * sc.h];
    // Local (temporal, down) directions to eye-frame (u, v).
    let dir = |a: f64| (sc.sgn * a.sin(), a.cos());
    let mut lash = |lash: &Lash, lower: bool, jr: &mut ChaCha8Rng| {
        let t = (lash.t + normal(jr) * 0.004).clamp(-0.99, 0.99);
        let (up, lo) = sc.lids(t, m);
        let mut angle = lash.angle + normal(jr) * 0.05;
        let root_v = if lower {
            lo + 0.004 * sc.ri
        } else {
            up - 0.006 * sc.ri
        };
        if sc.closed && angle.abs() > PI / 2.0 {
            // A closed lid turns the curled-up lashes down.
            angle = PI - angle;
        }
        let len = lash.len * sc.ri * if sc.closed && !lower { 1.15 } else { 1.0 };
        let st = Strand {
            p0: (sc.fx + sc.sgn * t * sc.hw, root_v),
            d0: dir(angle),
            d1: dir(angle + lash.curl),
            len,
            width: lash.width * sc.scale,
            dark: lash.dark,
        };
        draw_strand(sc, &st, &mut cov, buf);
    };
    if !sc.closed {
        for l in &m.lower_lashes {
            lash(l, true, &mut jr);
        }
    }
    for l in &m.upper_lashes {
        lash(l, false, &mut jr);
    }
    // The eyebrow, when it is in the frame (the subject is far enough away).
    let lowest = [-1.0, -0.3, 0.3, 1.0, 1.3]
        .map(|t: f64| {
            let v = sc.brow_centre(t) + 0.5 * sc.brow_thickness(t) + 0.3 * sc.ri;
            sc.to_image(sc.fx + sc.sgn * t * sc.hw, v).1
        })
        .into_iter()
        .fold(f64::MIN, f64::max);
    if lowest > 0.0 {
        for hair in &m.brow {
            let (c, th) = (sc.brow_centre(hair.t), sc.brow_thickness(hair.t));
            let st = Strand {
                p0: (sc.fx + sc.sgn * hair.t * sc.hw, c + hair.across * 0.5 * th),
                d0: dir(hair.angle),
                d1: dir(hair.angle + hair.curl),
                len: hair.len * sc.ri,
                width: hair.width * sc.scale,
                dark: hair.dark,
            };
            draw_strand(sc, &st, &mut cov, &mut *buf);
        }
    }
}

/// Averages along a line of `len` pixels at angle `ang` (radians from +x), row by row.
fn motion_blur(src: &[f32], w: usize, h: usize, len: f64, ang: f64) -> Vec<f32> {
    let (c, s) = (ang.cos(), ang.sin());
    let x_major = c.abs() >= s.abs();
    let (major, minor) = if x_major { (c, s) } else { (s, c) };
    let m = ((len * major.abs()) / 2.0).round().max(1.0) as isize;
    let slope = minor / major;
    let norm = 1.0 / (2 * m + 1) as f32;
    let mut out = vec![0f32; w * h];
    let hi = h as isize;
    let row = |y: isize| {
        let r = y.clamp(0, hi - 1) as usize * w;
        &src[r..r + w]
    };
    for (y, orow) in out.chunks_exact_mut(w).enumerate() {
        let y = y as isize;
        // Each tap: a whole-pixel step along the major axis, a fractional one along the minor.
        for k in -m..=m {
            let o = k as f64 * slope;
            let fl = ffloor(o) as isize;
            let f = (o - fl as f64) as f32;
            if x_major {
                add_shifted(orow, row(y + fl), k, 1.0 - f);
                add_shifted(orow, row(y + fl + 1), k, f);
            } else {
                add_shifted(orow, row(y + k), fl, 1.0 - f);
                add_shifted(orow, row(y + k), fl + 1, f);
            }
        }
        orow.iter_mut().for_each(|v| *v *= norm);
    }
    out
}

/// `acc[x] += wgt * row[x + dx]`, with `x + dx` clamped to the row.
fn add_shifted(acc: &mut [f32], row: &[f32], dx: isize, wgt: f32) {
    let w = acc.len().min(row.len());
    if w == 0 || wgt == 0.0 {
        return;
    }
    let wi = w as isize;
    let lo = (-dx).clamp(0, wi) as usize;
    let hi = (wi - dx).clamp(0, wi) as usize;
    let (first, last) = (row[0], row[w - 1]);
    for a in &mut acc[..lo] {
        *a += wgt * first;
    }
    for a in &mut acc[hi.max(lo)..w] {
        *a += wgt * last;
    }
    if lo < hi {
        let s0 = (lo as isize + dx) as usize;
        for (a, &r) in acc[lo..hi].iter_mut().zip(&row[s0..s0 + (hi - lo)]) {
            *a += wgt * r;
        }
    }
}

/// Illumination fall-off, gain, black level, read and shot noise, quantisation.
fn expose(sc: &Scene, buf: &[f32], wu: u32, hu: u32) -> GrayImage {
    let (w, h) = (sc.w, sc.h);
    let mut nr = rng_for(&[sc.noise_seed]);
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    let rn = 1.0 / (cx * cx + cy * cy).max(1.0);
    let (kx, ky) = (sc.grad_x / cx.max(1.0), sc.grad_y / cy.max(1.0));
    // Noise sigma by signal level: read noise and shot noise.
    let (read, shot) = (1.5f64, 0.03f64);
    let sigma: Vec<f32> = (0..=512)
        .map(|s| (read * read + shot * f64::from(s)).sqrt() as f32)
        .collect();
    // Triangular noise (sum of two uniforms) of unit variance, two pixels per random draw.
    let k = (6.0f64).sqrt() as f32;
    let mut raw = vec![0u8; w * h];
    let mut bits = 0u64;
    let mut left = 0;
    for (y, out) in raw.chunks_exact_mut(w).enumerate() {
        let dy = y as f64 - cy;
        let ry = &buf[y * w..y * w + w];
        for (x, (o, &b)) in out.iter_mut().zip(ry).enumerate() {
            let dx = x as f64 - cx;
            let illum = (1.0 - sc.vig * (dx * dx + dy * dy) * rn) * (1.0 + kx * dx + ky * dy);
            let signal = (255.0 * sc.gain * illum) as f32 * b;
            if left == 0 {
                bits = nr.gen();
                left = 2;
            }
            let u1 = (bits & 0xffff) as f32;
            let u2 = ((bits >> 16) & 0xffff) as f32;
            bits >>= 32;
            left -= 1;
            let z = ((u1 + u2) / 65535.0 - 1.0) * k;
            let sg = sigma[(signal.max(0.0) as usize).min(512)];
            *o = ((signal + 2.0 + sg * z).clamp(0.0, 255.0) + 0.5) as u8;
        }
    }
    GrayImage::from_raw(wu, hu, raw).unwrap_or_else(|| GrayImage::from_pixel(wu, hu, Luma([0])))
}

fn ground_truth(sc: &Scene, m: &EyeModel) -> GroundTruth {
    let (ix, iy) = sc.to_image(sc.icx, sc.icy);
    let (pu, pv) = sc.plane_to_eye(sc.epx, sc.epy);
    let (px, py) = sc.to_image(sc.icx + pu, sc.icy + pv);
    // Lid heights in the image column of the iris centre (small roll: a few fixed-point steps).
    let lid_y = |upper: bool| {
        let mut u = sc.icx;
        let mut y = iy;
        for _ in 0..6 {
            let (up, lo) = sc.lids(sc.t_of(u), m);
            let v = if upper { up } else { lo };
            let (x, yy) = sc.to_image(u, v);
            y = yy;
            u += (ix - x) / sc.cr.max(0.5);
        }
        y
    };
    let upper_lid_y = lid_y(true);
    let lower_lid_y = lid_y(false);
    let mut vis = 0.0;
    let mut tot = 0.0;
    let (nr, nt) = (24, 120);
    for i in 0..nr {
        let rho = (i as f64 + 0.5) / nr as f64;
        let r = sc.rp + rho * (sc.ri - sc.rp);
        for j in 0..nt {
            let th = (j as f64 + 0.5) * TAU / nt as f64;
            let p = (
                (1.0 - rho) * sc.epx + r * th.cos(),
                (1.0 - rho) * sc.epy + r * th.sin(),
            );
            let (du, dv) = sc.plane_to_eye(p.0, p.1);
            let (u, v) = (sc.icx + du, sc.icy + dv);
            let t = sc.t_of(u);
            tot += r;
            if !sc.closed && t.abs() < 1.0 {
                let (up, lo) = sc.lids(t, m);
                if v > up && v < lo {
                    vis += r;
                }
            }
        }
    }
    GroundTruth {
        pupil_x: px,
        pupil_y: py,
        pupil_r: sc.rp,
        iris_x: ix,
        iris_y: iy,
        iris_r: sc.ri,
        upper_lid_y,
        lower_lid_y,
        visible_iris_fraction: if tot > 0.0 { vis / tot } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u32 = 640;
    const H: u32 = 480;

    fn px(img: &GrayImage, x: f64, y: f64) -> Option<f64> {
        let (xi, yi) = (x.round(), y.round());
        if xi < 0.0 || yi < 0.0 || xi >= f64::from(img.width()) || yi >= f64::from(img.height()) {
            return None;
        }
        Some(f64::from(img.get_pixel(xi as u32, yi as u32)[0]))
    }

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(|a, b| a.total_cmp(b));
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    }

    fn mean(img: &GrayImage) -> f64 {
        img.as_raw().iter().map(|&b| f64::from(b)).sum::<f64>() / img.as_raw().len() as f64
    }

    /// Mean squared gradient over the iris and its surroundings.
    fn gradient_energy(img: &GrayImage, gt: &GroundTruth) -> f64 {
        let (mut acc, mut n) = (0.0f64, 0.0f64);
        let r = gt.iris_r * 1.3;
        for y in
            ((gt.iris_y - r) as i64).max(1)..((gt.iris_y + r) as i64).min(img.height() as i64 - 1)
        {
            for x in ((gt.iris_x - r) as i64).max(1)
                ..((gt.iris_x + r) as i64).min(img.width() as i64 - 1)
            {
                let p = |dx: i64, dy: i64| {
                    f64::from(img.get_pixel((x + dx) as u32, (y + dy) as u32)[0])
                };
                let gx = p(1, 0) - p(-1, 0);
                let gy = p(0, 1) - p(0, -1);
                acc += gx * gx + gy * gy;
                n += 1.0;
            }
        }
        acc / n.max(1.0)
    }

    /// The iris unwrapped into a normalised band (rubber sheet from the ground truth), with
    /// a mask of samples clear of lids, lashes and reflections.
    fn band(img: &GrayImage, gt: &GroundTruth) -> (Vec<f64>, Vec<bool>) {
        const BR: usize = 16;
        const BT: usize = 256;
        let mut vals = vec![0.0; BR * BT];
        let mut mask = vec![false; BR * BT];
        for i in 0..BR {
            let rho = 0.15 + 0.7 * (i as f64 + 0.5) / BR as f64;
            for j in 0..BT {
                let th = j as f64 * TAU / BT as f64;
                let (c, s) = (th.cos(), th.sin());
                let bx =
                    (1.0 - rho) * (gt.pupil_x + gt.pupil_r * c) + rho * (gt.iris_x + gt.iris_r * c);
                let by =
                    (1.0 - rho) * (gt.pupil_y + gt.pupil_r * s) + rho * (gt.iris_y + gt.iris_r * s);
                // Use the lateral and lower sectors, away from the upper lid and its lashes.
                let deg = s.atan2(c).to_degrees();
                let sector = (-20.0..=60.0).contains(&deg) || deg >= 120.0 || deg <= -160.0;
                let clear = by > gt.upper_lid_y + 0.35 * gt.iris_r && by < gt.lower_lid_y - 8.0;
                if let Some(v) = px(img, bx, by) {
                    vals[i * BT + j] = v;
                    mask[i * BT + j] = sector && clear && v < 230.0;
                }
            }
        }
        // Remove each ring's mean so that only the texture remains.
        for i in 0..BR {
            let row: Vec<f64> = (0..BT)
                .filter(|&j| mask[i * BT + j])
                .map(|j| vals[i * BT + j])
                .collect();
            let m = if row.is_empty() {
                0.0
            } else {
                row.iter().sum::<f64>() / row.len() as f64
            };
            for j in 0..BT {
                vals[i * BT + j] -= m;
            }
        }
        (vals, mask)
    }

    /// Best Pearson correlation of two bands over small angular shifts.
    fn band_corr(a: &(Vec<f64>, Vec<bool>), b: &(Vec<f64>, Vec<bool>)) -> f64 {
        const BT: usize = 256;
        let rows = a.0.len() / BT;
        let mut best = f64::MIN;
        for shift in -6i64..=6 {
            let (mut sab, mut saa, mut sbb, mut sa, mut sb, mut n) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
            for i in 0..rows {
                for j in 0..BT {
                    let jb = (j as i64 + shift).rem_euclid(BT as i64) as usize;
                    let (ka, kb) = (i * BT + j, i * BT + jb);
                    if a.1[ka] && b.1[kb] {
                        let (x, y) = (a.0[ka], b.0[kb]);
                        sab += x * y;
                        saa += x * x;
                        sbb += y * y;
                        sa += x;
                        sb += y;
                        n += 1.0;
                    }
                }
            }
            if n < 200.0 {
                continue;
            }
            let cov = sab / n - sa * sb / (n * n);
            let va = saa / n - (sa / n).powi(2);
            let vb = sbb / n - (sb / n).powi(2);
            let r = cov / (va * vb).sqrt().max(1e-9);
            best = best.max(r);
        }
        best
    }

    #[test]
    fn deterministic() {
        let m1 = EyeModel::new(42, Side::Left);
        let m2 = EyeModel::new(42, Side::Left);
        for cond in EyeCondition::ALL {
            let (a, ga) = render(&m1, 7, cond, W, H);
            let (b, gb) = render(&m2, 7, cond, W, H);
            assert_eq!(a.as_raw(), b.as_raw(), "{cond:?}");
            assert_eq!(ga, gb);
        }
        let (c, _) = render(&m1, 8, EyeCondition::Good, W, H);
        let (a, _) = render(&m1, 7, EyeCondition::Good, W, H);
        assert_ne!(a.as_raw(), c.as_raw());
    }

    #[test]
    fn good_geometry_is_iso_like() {
        for p in 0..4u64 {
            for side in [Side::Left, Side::Right] {
                let m = EyeModel::new(p, side);
                for cap in 0..2u64 {
                    let (img, gt) = render(&m, cap, EyeCondition::Good, W, H);
                    let d = 2.0 * gt.iris_r;
                    assert!((200.0..=262.0).contains(&d), "iris diameter {d}");
                    let ratio = gt.pupil_r / gt.iris_r;
                    assert!((0.2..=0.6).contains(&ratio), "pupil ratio {ratio}");
                    assert!((gt.iris_x - 320.0).abs() < 40.0 && (gt.iris_y - 240.0).abs() < 30.0);
                    assert!(
                        gt.upper_lid_y < gt.pupil_y - gt.pupil_r
                            && gt.lower_lid_y > gt.pupil_y + gt.pupil_r
                    );
                    assert!(
                        gt.visible_iris_fraction > 0.6,
                        "{}",
                        gt.visible_iris_fraction
                    );
                    // Grey-level spread: wide, not clipped.
                    let mut hist = [0usize; 256];
                    for &b in img.as_raw() {
                        hist[b as usize] += 1;
                    }
                    let n = img.as_raw().len() as f64;
                    let entropy: f64 = hist
                        .iter()
                        .filter(|&&c| c > 0)
                        .map(|&c| {
                            let q = c as f64 / n;
                            -q * q.log2()
                        })
                        .sum();
                    assert!(entropy > 6.0, "entropy {entropy}");
                    assert!((hist[255] as f64) < 0.002 * n && (hist[0] as f64) < 0.002 * n);
                }
            }
        }
    }

    #[test]
    fn ground_truth_matches_pixels() {
        for p in 0..5u64 {
            let m = EyeModel::new(100 + p, if p % 2 == 0 { Side::Left } else { Side::Right });
            for cond in [
                EyeCondition::Good,
                EyeCondition::TooFar,
                EyeCondition::OffAxis,
            ] {
                let (img, gt) = render(&m, p, cond, W, H);
                let mut pupil = Vec::new();
                let mut iris = Vec::new();
                let mut sclera = Vec::new();
                for j in 0..72 {
                    let th = j as f64 * TAU / 72.0;
                    let (c, s) = (th.cos(), th.sin());
                    for k in 0..4 {
                        let r = gt.pupil_r * 0.2 * k as f64;
                        if let Some(v) = px(&img, gt.pupil_x + r * c, gt.pupil_y + r * s) {
                            pupil.push(v);
                        }
                    }
                    // The lower half of the iris ring and the sclera beside it are clear of lids.
                    if s > 0.1 && s < 0.6 {
                        let r = (gt.pupil_r + gt.iris_r) / 2.0;
                        if let Some(v) = px(&img, gt.pupil_x + r * c, gt.pupil_y + r * s) {
                            iris.push(v);
                        }
                    }
                    if s.abs() < 0.15 {
                        let r = gt.iris_r + 0.25 * gt.iris_r;
                        if let Some(v) = px(&img, gt.iris_x + r * c, gt.iris_y + r * s) {
                            sclera.push(v);
                        }
                    }
                }
                let (mp, mi, ms) = (median(pupil), median(iris), median(sclera));
                eprintln!("{p} {cond:?}: pupil {mp} iris {mi} sclera {ms}");
                assert!(mp < 30.0, "{cond:?} pupil {mp}");
                assert!(mi > mp + 30.0, "{cond:?} iris {mi} pupil {mp}");
                assert!(ms > mi + 25.0, "{cond:?} sclera {ms} iris {mi}");
            }
        }
    }

    #[test]
    fn texture_is_stable_per_eye_and_unique() {
        let eyes: Vec<EyeModel> = (0..4u64)
            .flat_map(|p| {
                [
                    EyeModel::new(500 + p, Side::Left),
                    EyeModel::new(500 + p, Side::Right),
                ]
            })
            .collect();
        let bands: Vec<[(Vec<f64>, Vec<bool>); 2]> = eyes
            .iter()
            .map(|m| {
                let (a, ga) = render(m, 1, EyeCondition::Good, W, H);
                let (b, gb) = render(m, 2, EyeCondition::Good, W, H);
                [band(&a, &ga), band(&b, &gb)]
            })
            .collect();
        for (i, bi) in bands.iter().enumerate() {
            let same = band_corr(&bi[0], &bi[1]);
            assert!(same > 0.6, "eye {i}: same-eye correlation {same}");
            for (j, bj) in bands.iter().enumerate().skip(i + 1) {
                let diff = band_corr(&bi[0], &bj[1]);
                assert!(diff < 0.3, "eyes {i} and {j}: correlation {diff}");
            }
        }
    }

    #[test]
    fn dilation_varies_per_capture() {
        let m = EyeModel::new(9, Side::Right);
        let ratios: Vec<f64> = (0..8u64)
            .map(|c| {
                let (_, gt) = render(&m, c, EyeCondition::Good, W, H);
                gt.pupil_r / gt.iris_r
            })
            .collect();
        let lo = ratios.iter().copied().fold(f64::MAX, f64::min);
        let hi = ratios.iter().copied().fold(f64::MIN, f64::max);
        assert!(hi - lo > 0.02 && hi - lo < 0.2, "{ratios:?}");
    }

    #[test]
    fn conditions_degrade_as_described() {
        for p in 0..4u64 {
            let m = EyeModel::new(7000 + p, if p % 2 == 0 { Side::Right } else { Side::Left });
            let (good, g) = render(&m, p, EyeCondition::Good, W, H);
            let ge = gradient_energy(&good, &g);
            let (far, gf) = render(&m, p, EyeCondition::TooFar, W, H);
            assert!(gf.iris_r < 0.75 * g.iris_r && (110.0..=160.0).contains(&(2.0 * gf.iris_r)));
            assert!(mean(&far) > 0.0);
            let (_, gc) = render(&m, p, EyeCondition::Closed, W, H);
            assert!(gc.visible_iris_fraction < 0.02);
            let (_, go) = render(&m, p, EyeCondition::Occluded, W, H);
            assert!(
                go.visible_iris_fraction < 0.65 * g.visible_iris_fraction,
                "{go:?} {g:?}"
            );
            let (dark, _) = render(&m, p, EyeCondition::TooDark, W, H);
            assert!(mean(&dark) < 0.45 * mean(&good));
            let (fb, gfb) = render(&m, p, EyeCondition::FocusBlur, W, H);
            assert!(gradient_energy(&fb, &gfb) < 0.5 * ge);
            let (mb, gmb) = render(&m, p, EyeCondition::MotionBlur, W, H);
            assert!(gradient_energy(&mb, &gmb) < 0.6 * ge);
            let (_, ga) = render(&m, p, EyeCondition::OffAxis, W, H);
            let off = ((ga.pupil_x - ga.iris_x).powi(2) + (ga.pupil_y - ga.iris_y).powi(2)).sqrt();
            assert!(off > 0.05 * ga.iris_r, "pupil offset {off}");
            assert!((ga.iris_x - g.iris_x).abs() > 0.3 * g.iris_r);
        }
    }

    #[test]
    fn closed_eye_shows_no_pupil() {
        let m = EyeModel::new(3, Side::Left);
        let (img, gt) = render(&m, 4, EyeCondition::Closed, W, H);
        let v = px(&img, gt.pupil_x, gt.pupil_y).unwrap_or(0.0);
        assert!(v > 60.0, "closed eye centre {v}");
        assert!((gt.upper_lid_y - gt.lower_lid_y).abs() < 1e-9);
    }

    #[test]
    fn odd_sizes_do_not_panic() {
        let m = EyeModel::new(1, Side::Right);
        for (w, h) in [
            (0, 0),
            (1, 1),
            (3, 1000),
            (1000, 3),
            (17, 16),
            (320, 240),
            (641, 481),
        ] {
            for cond in EyeCondition::ALL {
                let (img, gt) = render(&m, 5, cond, w, h);
                assert_eq!(img.width(), w.clamp(MIN_SIDE, MAX_SIDE));
                assert_eq!(img.height(), h.clamp(MIN_SIDE, MAX_SIDE));
                assert!(gt.iris_r.is_finite() && gt.visible_iris_fraction.is_finite());
            }
        }
        let (img, gt) = render(&m, 5, EyeCondition::Good, 320, 240);
        assert_eq!((img.width(), img.height()), (320, 240));
        assert!((100.0..=131.0).contains(&(2.0 * gt.iris_r)));
    }

    #[test]
    fn debug_is_short() {
        let m = EyeModel::new(1, Side::Left);
        assert!(format!("{m:?}").len() < 400);
    }
}
