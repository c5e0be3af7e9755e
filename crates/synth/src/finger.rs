//! Deterministic synthetic fingerprints, in the spirit of SFinGe.
//!
//! A [`MasterPrint`] is the ridge pattern of one finger of one person. It is made once from
//!
//! - an orientation field: the Sherlock–Monro zero-pole model with the cores and deltas of the
//!   finger's pattern class (loops most common, then whorls, arches rare; thumbs and ring fingers
//!   more often whorls, index fingers more often arches and radial loops), a smooth
//!   person-specific perturbation, and ridges that follow the outline near the fingertip;
//! - a ridge-period field of about 9–10 px at 500 ppi, varying a little by person and region;
//! - iterative oriented Gabor-like filtering (a band-pass across the ridges, a smoothing along
//!   them, then clipping) that grows ridges out of seeded noise. Ridge endings and bifurcations
//!   (minutiae) appear by themselves where growing ridge fronts meet out of phase; sweat pores
//!   are then dotted along the ridges.
//!
//! [`impression`] then lays that finger on a simulated 500 ppi sensor: it shifts and turns it a
//! little, distorts the skin elastically, shapes a soft-edged elliptical contact area, renders
//! dark ridges on a near-white background and adds sensor noise, all according to the impression
//! seed and the [`Condition`] of the skin. Everything is seeded ChaCha: the same inputs always give
//! a byte-identical image.
//!
//! Cost: [`MasterPrint::new`] is the expensive step (about 60-120 ms optimised); an impression
//! of the 256 x 288 sensor takes a few milliseconds optimised.

use image::GrayImage;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::{ChaCha20Rng, ChaCha8Rng};
use std::f32::consts::PI;
use std::fmt;

/// How the finger was presented / skin condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Condition {
    /// A well-placed finger with normal skin: the best image this generator makes.
    Good,
    /// Dry skin: thin, light, broken and patchy ridges.
    Dry,
    /// Wet or oily skin: thick ridges that merge, filled valleys and dark blotches.
    Wet,
    /// The finger slid during capture: blurred and smeared ridges.
    Smudged,
    /// The finger was placed off-centre, or only its tip touched: only part of a print.
    Partial,
    /// A faint impression whose grey levels are squeezed toward mid-grey.
    LowContrast,
    /// No finger at all: the bare sensor background with its noise.
    Blank,
}

impl Condition {
    /// Every condition, in declaration order.
    pub const ALL: [Condition; 7] = [
        Condition::Good,
        Condition::Dry,
        Condition::Wet,
        Condition::Smudged,
        Condition::Partial,
        Condition::LowContrast,
        Condition::Blank,
    ];

    /// A short lower-case name, e.g. `"low_contrast"`.
    pub fn name(self) -> &'static str {
        match self {
            Condition::Good => "good",
            Condition::Dry => "dry",
            Condition::Wet => "wet",
            Condition::Smudged => "smudged",
            Condition::Partial => "partial",
            Condition::LowContrast => "low_contrast",
            Condition::Blank => "blank",
        }
    }

    fn code(self) -> u64 {
        match self {
            Condition::Good => 1,
            Condition::Dry => 2,
            Condition::Wet => 3,
            Condition::Smudged => 4,
            Condition::Partial => 5,
            Condition::LowContrast => 6,
            Condition::Blank => 7,
        }
    }
}

/// Pattern classes (the five classes of NIST SD4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    LeftLoop,
    RightLoop,
    Whorl,
    Arch,
    TentedArch,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::LeftLoop => "left_loop",
            Class::RightLoop => "right_loop",
            Class::Whorl => "whorl",
            Class::Arch => "arch",
            Class::TentedArch => "tented_arch",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Small deterministic helpers.

/// SplitMix64 finaliser: a good 64-bit mixing function.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn mix2(a: u64, b: u64) -> u64 {
    mix64(mix64(a) ^ b.rotate_left(23) ^ 0x5851_F42D_4C95_7F2D)
}

/// A standard normal deviate (Box–Muller).
fn normal<R: Rng>(rng: &mut R) -> f32 {
    let u1: f32 = rng.gen_range(1e-7f32..1.0);
    let u2: f32 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

/// A normal deviate with the given mean and deviation, clamped to `mean ± limit`.
fn normal_clamped<R: Rng>(rng: &mut R, mean: f32, sd: f32, limit: f32) -> f32 {
    mean + (normal(rng) * sd).clamp(-limit, limit)
}

/// An approximately standard normal deviate from four random bytes (cheap, for pixel noise).
fn gauss8<R: RngCore>(rng: &mut R) -> f32 {
    let b = rng.next_u32().to_le_bytes();
    (b.iter().map(|&v| f32::from(v)).sum::<f32>() - 510.0) * (1.0 / 147.8)
}

/// Linear interpolation from `a` (t = 0) to `b` (t = 1).
fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

/// Hermite step from 0 at `e0` to 1 at `e1` (either order).
fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Smooth random values on a coarse grid, interpolated in between; values in [0, 1].
struct ValueNoise {
    cols: usize,
    rows: usize,
    inv_cell: f32,
    vals: Vec<f32>,
}

impl ValueNoise {
    fn new<R: Rng>(rng: &mut R, width: f32, height: f32, cell: f32) -> ValueNoise {
        let cell = cell.max(1.0);
        let cols = (width.max(1.0) / cell) as usize + 3;
        let rows = (height.max(1.0) / cell) as usize + 3;
        let vals = (0..cols * rows).map(|_| rng.gen::<f32>()).collect();
        ValueNoise {
            cols,
            rows,
            inv_cell: 1.0 / cell,
            vals,
        }
    }

    fn at(&self, x: f32, y: f32) -> f32 {
        let gx = (x * self.inv_cell + 1.0).clamp(0.0, (self.cols - 2) as f32);
        let gy = (y * self.inv_cell + 1.0).clamp(0.0, (self.rows - 2) as f32);
        let ix = (gx as usize).min(self.cols - 2);
        let iy = (gy as usize).min(self.rows - 2);
        let fx = gx - ix as f32;
        let fy = gy - iy as f32;
        let sx = fx * fx * (3.0 - 2.0 * fx);
        let sy = fy * fy * (3.0 - 2.0 * fy);
        let i = iy * self.cols + ix;
        let v = &self.vals;
        let a = v[i] + (v[i + 1] - v[i]) * sx;
        let b = v[i + self.cols] + (v[i + self.cols + 1] - v[i + self.cols]) * sx;
        a + (b - a) * sy
    }
}

/// One plane wave; sums of a few make smooth deterministic fields.
#[derive(Debug, Clone, Copy)]
struct Wave {
    kx: f32,
    ky: f32,
    phase: f32,
    amp: f32,
}

impl Wave {
    fn random<R: Rng>(rng: &mut R, min_len: f32, max_len: f32, amp: f32) -> Wave {
        let dir = rng.gen_range(0.0..2.0 * PI);
        let len = rng.gen_range(min_len..max_len);
        let k = 2.0 * PI / len;
        Wave {
            kx: k * dir.cos(),
            ky: k * dir.sin(),
            phase: rng.gen_range(0.0..2.0 * PI),
            amp: amp * rng.gen_range(0.5f32..1.0),
        }
    }

    fn at(&self, x: f32, y: f32) -> f32 {
        self.amp * (self.kx * x + self.ky * y + self.phase).sin()
    }
}

fn waves_at(waves: &[Wave], x: f32, y: f32) -> f32 {
    waves.iter().map(|w| w.at(x, y)).sum()
}

/// Bilinear sample of a `w` x `h` buffer at pixel-centre coordinates; `outside` off the buffer.
fn sample(buf: &[f32], w: usize, h: usize, x: f32, y: f32, outside: f32) -> f32 {
    let fx = x - 0.5;
    let fy = y - 0.5;
    if !(fx >= 0.0 && fy >= 0.0 && fx < (w - 1) as f32 && fy < (h - 1) as f32) {
        return outside;
    }
    let ix = fx as usize;
    let iy = fy as usize;
    let tx = fx - ix as f32;
    let ty = fy - iy as f32;
    let i = iy * w + ix;
    let a = buf[i] + (buf[i + 1] - buf[i]) * tx;
    let b = buf[i + w] + (buf[i + w + 1] - buf[i + w]) * tx;
    a + (b - a) * ty
}

// ---------------------------------------------------------------------------------------------
// Pattern class.

/// Finger position (0 thumb .. 4 little) and hand for a finger code; other codes get a
/// position derived from the code.
fn finger_position(finger_code: u8) -> (usize, bool) {
    match finger_code {
        1..=10 => (usize::from((finger_code - 1) % 5), finger_code <= 5),
        _ => {
            let h = mix64(u64::from(finger_code));
            ((h % 5) as usize, (h >> 8) & 1 == 0)
        }
    }
}

/// Class probabilities for a finger position (thumb, index, middle, ring, little):
/// whorl, ulnar loop, radial loop, arch, tented arch. Loops are about 60 % overall, whorls
/// about 30 %, arches and tented arches together about 6 %.
fn class_weights(finger: usize) -> [f32; 5] {
    match finger {
        0 => [0.45, 0.46, 0.01, 0.04, 0.04],
        1 => [0.31, 0.35, 0.16, 0.09, 0.09],
        2 => [0.20, 0.70, 0.03, 0.05, 0.02],
        3 => [0.42, 0.53, 0.01, 0.02, 0.02],
        _ => [0.13, 0.83, 0.01, 0.02, 0.01],
    }
}

/// Person-level traits, shared by the ten fingers of one person.
struct Person {
    period: f32,
    scale: f32,
    whorl: f32,
    ridge_bias: f32,
}

impl Person {
    fn new(person_seed: u64) -> Person {
        let mut rng = ChaCha8Rng::seed_from_u64(mix2(person_seed, 0x000F_ACE0_FA11));
        Person {
            period: rng.gen_range(8.9f32..10.1),
            scale: rng.gen_range(0.93f32..1.07),
            whorl: rng.gen_range(-0.12f32..0.12),
            ridge_bias: rng.gen_range(-0.12f32..0.12),
        }
    }
}

/// The pattern class of a finger: cheap, and the same as `MasterPrint::new(..).class()`.
fn choose_class(person_seed: u64, finger_code: u8) -> Class {
    let person = Person::new(person_seed);
    let (finger, right_hand) = finger_position(finger_code);
    let mut rng =
        ChaCha8Rng::seed_from_u64(mix2(mix2(person_seed, u64::from(finger_code)), 0xC1A55));
    let mut wts = class_weights(finger);
    wts[0] = (wts[0] + person.whorl).max(0.02);
    let total: f32 = wts.iter().sum();
    let mut pick = rng.gen_range(0.0..total);
    let mut idx = wts.len() - 1;
    for (i, wi) in wts.iter().enumerate() {
        if pick < *wi {
            idx = i;
            break;
        }
        pick -= wi;
    }
    // Ulnar loops open toward the little finger: right loops on the right hand.
    match (idx, right_hand) {
        (0, _) => Class::Whorl,
        (1, true) | (2, false) => Class::RightLoop,
        (1, false) | (2, true) => Class::LeftLoop,
        (3, _) => Class::Arch,
        _ => Class::TentedArch,
    }
}

/// The pattern class `MasterPrint::new(person_seed, finger_code)` would have, without the cost
/// of making the print: "left_loop", "right_loop", "whorl", "arch" or "tented_arch".
pub fn pattern_class(person_seed: u64, finger_code: u8) -> &'static str {
    choose_class(person_seed, finger_code).name()
}

// ---------------------------------------------------------------------------------------------
// Orientation field.

/// The geometry of a finger's orientation field.
struct Layout {
    cores: Vec<(f32, f32)>,
    deltas: Vec<(f32, f32)>,
    theta_inf: f32,
    /// Plain-arch bump: (centre x, centre y, horizontal scale, vertical scale, slope).
    arch: Option<(f32, f32, f32, f32, f32)>,
    waves: Vec<Wave>,
    /// Contact ellipse (centre and semi-axes), to bend ridges along the fingertip.
    cx: f32,
    cy: f32,
    ax: f32,
    ay: f32,
}

impl Layout {
    /// Ridge orientation (radians, modulo π) at a canvas point (y down).
    ///
    /// Sherlock–Monro: θ = θ∞ + ½ Σ arg(z − core) − ½ Σ arg(z − delta).
    fn orientation(&self, x: f32, y: f32) -> f32 {
        let mut th = self.theta_inf;
        for &(cx, cy) in &self.cores {
            th += 0.5 * (y - cy).atan2(x - cx);
        }
        for &(dx, dy) in &self.deltas {
            th -= 0.5 * (y - dy).atan2(x - dx);
        }
        if let Some((x0, y0, sx, sy, k)) = self.arch {
            let u = (x - x0) / sx;
            let v = (y - y0) / sy;
            th += (k * u * (-0.5 * u * u).exp() * (-v * v).exp()).atan();
        }
        th += waves_at(&self.waves, x, y);
        // Near the rim of the upper fingertip, ridges follow its outline.
        let ex = (x - self.cx) / self.ax;
        let ey = (y - self.cy) / self.ay;
        let r = (ex * ex + ey * ey).sqrt();
        let w = 0.55 * smoothstep(0.55, 1.0, r) * smoothstep(0.1, -0.5, ey);
        if w > 0.0 {
            let tangent = (ey * self.ax).atan2(-ex * self.ay);
            let (s1, c1) = (2.0 * th).sin_cos();
            let (s2, c2) = (2.0 * tangent).sin_cos();
            th = 0.5 * ((1.0 - w) * s1 + w * s2).atan2((1.0 - w) * c1 + w * c2);
        }
        th
    }
}

// ---------------------------------------------------------------------------------------------
// Ridge growing filter.

/// Border (px) of the master canvas that the filter never writes; it covers the filter taps.
const PAD: usize = 10;
/// Orientation bins over [0, π).
const QBINS: usize = 48;
/// Ridge-period bins: PERIOD_MIN + (i + 0.5) * PERIOD_STEP.
const FBINS: usize = 24;
const PERIOD_MIN: f32 = 7.0;
const PERIOD_STEP: f32 = 0.25;
/// Half-length of the band-pass across ridges and of the smoothing along them, in taps.
const RA: i32 = 7;
const NA: usize = (2 * RA + 1) as usize;
const RB: i32 = 6;
const NB: usize = (2 * RB + 1) as usize;
/// Gaussian deviation (px) of the smoothing along the ridges.
const SIGMA_B: f32 = 3.5;
/// Iterations of the ridge-growing filter, its gain before clipping, and the seed noise level.
const ITERATIONS: usize = 10;
const GAIN: f32 = 2.2;
const SEED_NOISE: f32 = 0.05;
/// Largest image side `impression` makes.
const MAX_SIDE: u32 = 4096;

/// Precomputed filter taps (index offsets and weights) for every orientation and period bin.
struct Kernels {
    a_off: Vec<[isize; NA]>,
    a_w: Vec<[f32; NA]>,
    b_off: Vec<[isize; NB]>,
    b_w: Vec<[f32; NB]>,
}

impl Kernels {
    fn new(stride: usize) -> Kernels {
        let stride = stride as isize;
        let mut a_off = Vec::with_capacity(QBINS);
        let mut a_w = Vec::with_capacity(QBINS * FBINS);
        let mut b_off = Vec::with_capacity(QBINS);
        let mut b_w = Vec::with_capacity(QBINS);
        for q in 0..QBINS {
            let th = (q as f32 + 0.5) * PI / QBINS as f32;
            let (ty, tx) = th.sin_cos();
            let (nx, ny) = (-ty, tx);
            // Across the ridges: nearest pixels on the normal, with their true distance.
            let mut offs = [0isize; NA];
            let mut dist = [0f32; NA];
            for ((o, d), k) in offs.iter_mut().zip(dist.iter_mut()).zip(-RA..=RA) {
                let dx = (k as f32 * nx).round();
                let dy = (k as f32 * ny).round();
                *o = dy as isize * stride + dx as isize;
                *d = dx * nx + dy * ny;
            }
            a_off.push(offs);
            for f in 0..FBINS {
                let period = PERIOD_MIN + (f as f32 + 0.5) * PERIOD_STEP;
                let sigma = 0.42 * period;
                let env = dist.map(|d| (-d * d / (2.0 * sigma * sigma)).exp());
                let carrier = dist.map(|d| (2.0 * PI * d / period).cos());
                // Gabor weights, made zero-mean (removing a scaled envelope), with unit
                // response to a matched cosine.
                let env_sum: f32 = env.iter().sum();
                let raw_sum: f32 = env.iter().zip(carrier.iter()).map(|(e, c)| e * c).sum();
                let mut w = [0f32; NA];
                for ((wj, e), c) in w.iter_mut().zip(env.iter()).zip(carrier.iter()) {
                    *wj = e * c - e * raw_sum / env_sum;
                }
                let resp: f32 = w.iter().zip(carrier.iter()).map(|(wj, c)| wj * c).sum();
                let norm = if resp.abs() > 1e-6 { 1.0 / resp } else { 0.0 };
                a_w.push(w.map(|wj| wj * norm));
            }
            // Along the ridges: Gaussian smoothing.
            let mut offs = [0isize; NB];
            let mut w = [0f32; NB];
            for ((o, wj), k) in offs.iter_mut().zip(w.iter_mut()).zip(-RB..=RB) {
                let dx = (k as f32 * tx).round();
                let dy = (k as f32 * ty).round();
                *o = dy as isize * stride + dx as isize;
                let d = dx * tx + dy * ty;
                *wj = (-d * d / (2.0 * SIGMA_B * SIGMA_B)).exp();
            }
            let s: f32 = w.iter().sum();
            b_off.push(offs);
            b_w.push(w.map(|wj| wj / s));
        }
        Kernels {
            a_off,
            a_w,
            b_off,
            b_w,
        }
    }
}

/// Everything the ridge filter needs about the canvas.
struct FilterField {
    /// Rows of the working region: (row start index, first x, end x); all at least PAD from
    /// every canvas edge, so every tap stays inside the canvas.
    spans: Vec<(usize, usize, usize)>,
    /// Orientation bin and period bin of each canvas pixel.
    qmap: Vec<u8>,
    fmap: Vec<u8>,
    kernels: Kernels,
}

impl FilterField {
    /// One oriented band-pass + smoothing step, `dst = gain * B(A(src))`, clipped to [-1, 1]
    /// when `clip`; `tmp` is scratch. Only the working region is written.
    #[allow(clippy::needless_range_loop)] // plain indexing keeps unoptimised builds fast
    fn apply(&self, src: &[f32], tmp: &mut [f32], dst: &mut [f32], gain: f32, clip: bool) {
        let k = &self.kernels;
        for &(row, x0, x1) in &self.spans {
            for p in row + x0..row + x1 {
                let q = usize::from(self.qmap[p]);
                let offs = &k.a_off[q];
                let ws = &k.a_w[q * FBINS + usize::from(self.fmap[p])];
                let mut s = 0.0;
                for j in 0..NA {
                    s += ws[j] * src[p.wrapping_add_signed(offs[j])];
                }
                tmp[p] = s;
            }
        }
        for &(row, x0, x1) in &self.spans {
            for p in row + x0..row + x1 {
                let q = usize::from(self.qmap[p]);
                let offs = &k.b_off[q];
                let ws = &k.b_w[q];
                let mut s = 0.0;
                for j in 0..NB {
                    s += ws[j] * tmp[p.wrapping_add_signed(offs[j])];
                }
                let v = s * gain;
                dst[p] = if clip { v.clamp(-1.0, 1.0) } else { v };
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The master print.

/// The pattern of one finger of one person: computed once, reused for every impression.
pub struct MasterPrint {
    seed: u64,
    finger_code: u8,
    class: Class,
    /// Mean ridge period in px.
    period: f32,
    /// Canvas size.
    w: usize,
    h: usize,
    /// Centre and semi-axes of the nominal contact ellipse.
    cx: f32,
    cy: f32,
    ax: f32,
    ay: f32,
    /// Where the finger is laid: the canvas point put at the image centre.
    place_x: f32,
    place_y: f32,
    /// Ridge signal in [-1, 1], positive on ridges.
    ridge: Vec<f32>,
    /// Normalised contact radius: 1.0 on the nominal edge of the contact area.
    rho: Vec<f32>,
    /// Person-specific ridge width bias (positive: thinner ridges).
    ridge_bias: f32,
    /// Singular points (x, y, +1 core / -1 delta) in canvas coordinates.
    singular: Vec<(f32, f32, i8)>,
}

impl fmt::Debug for MasterPrint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterPrint")
            .field("seed", &format_args!("{:#018x}", self.seed))
            .field("finger_code", &self.finger_code)
            .field("class", &self.class.name())
            .field("period", &self.period)
            .field("canvas", &(self.w, self.h))
            .field("singular_points", &self.singular)
            .finish_non_exhaustive()
    }
}

impl MasterPrint {
    /// Deterministic in (person_seed, finger_code 1..=10 as ISO 19794-4 positions: 1 right thumb
    /// .. 5 right little, 6 left thumb .. 10 left little).
    ///
    /// Other codes are accepted too: they are mixed into the seed and stand for a finger
    /// position derived from the code. This is the expensive step (tens of milliseconds
    /// optimised, around a second unoptimised); reuse the result for every impression.
    pub fn new(person_seed: u64, finger_code: u8) -> MasterPrint {
        let seed = mix2(
            mix64(person_seed ^ 0x005E_EDF1_A6E4),
            u64::from(finger_code),
        );
        let person = Person::new(person_seed);
        let class = choose_class(person_seed, finger_code);
        let (finger, _) = finger_position(finger_code);
        let mut rng = ChaCha20Rng::seed_from_u64(seed);

        // Size of the contact area (semi-axes, px at 500 ppi).
        let (base_ax, base_ay) = match finger {
            0 => (178.0f32, 236.0f32),
            1 => (152.0, 206.0),
            2 => (158.0, 212.0),
            3 => (148.0, 200.0),
            _ => (134.0, 178.0),
        };
        let size = person.scale * rng.gen_range(0.97f32..1.03);
        let ax = base_ax * size;
        let ay = base_ay * size * rng.gen_range(0.96f32..1.04);
        let margin = 16.0;
        // Room for contact areas up to 10 % larger than nominal.
        let half_w = (ax * 1.1 + margin).ceil() as usize;
        let half_h = (ay * 1.1 + margin).ceil() as usize;
        let w = 2 * (half_w + PAD);
        let h = 2 * (half_h + PAD);
        let cx = w as f32 * 0.5;
        let cy = h as f32 * 0.5;

        let period = (person.period + normal_clamped(&mut rng, 0.0, 0.2, 0.4)).clamp(8.6, 10.6);
        let ridge_bias = person.ridge_bias + rng.gen_range(-0.05f32..0.05);

        let layout = Self::layout(&mut rng, class, cx, cy, ax, ay);

        // Contact-area radius map with an irregular outline, and the working region.
        let mut rim = [(0f32, 0f32); 4];
        for (i, r) in rim.iter_mut().enumerate() {
            let amp = rng.gen_range(0.0f32..0.022) / (1.0 + i as f32 * 0.5);
            *r = (amp, rng.gen_range(0.0..2.0 * PI));
        }
        let mut rho = vec![9.0f32; w * h];
        let mut spans = Vec::with_capacity(h);
        let reach = 1.1 + margin / ay.min(ax);
        for y in PAD..h - PAD {
            let ey = (y as f32 + 0.5 - cy) / ay;
            let row = y * w;
            let mut first = usize::MAX;
            let mut last = 0;
            for x in PAD..w - PAD {
                let ex = (x as f32 + 0.5 - cx) / ax;
                let ang = ey.atan2(ex);
                let mut edge = 1.0;
                for (i, &(a, ph)) in rim.iter().enumerate() {
                    edge += a * ((i as f32 + 2.0) * ang + ph).cos();
                }
                // A little narrower toward the tip.
                edge *= 1.0 + 0.05 * ey.clamp(-1.0, 1.0);
                let r = (ex * ex + ey * ey).sqrt() / edge;
                rho[row + x] = r;
                if r < reach {
                    first = first.min(x);
                    last = x + 1;
                }
            }
            if first < last {
                spans.push((row, first, last));
            }
        }

        // Orientation and period bins over the working region.
        let mut qmap = vec![0u8; w * h];
        let mut fmap = vec![0u8; w * h];
        let pwaves = [
            Wave::random(&mut rng, 120.0, 300.0, 0.035),
            Wave::random(&mut rng, 120.0, 300.0, 0.035),
        ];
        for &(row, x0, x1) in &spans {
            let y = (row / w) as f32 + 0.5;
            // Ridges are a little wider apart toward the base of the finger.
            let base = 1.0 + 0.045 * ((y - cy) / ay).clamp(-1.0, 1.0);
            for x in x0..x1 {
                let xf = x as f32 + 0.5;
                let th = layout.orientation(xf, y).rem_euclid(PI);
                qmap[row + x] = ((th / PI * QBINS as f32) as usize).min(QBINS - 1) as u8;
                let p = period * (base + waves_at(&pwaves, xf, y));
                let fb = ((p - PERIOD_MIN) / PERIOD_STEP).clamp(0.0, (FBINS - 1) as f32);
                fmap[row + x] = fb as u8;
            }
        }
        let field = FilterField {
            spans,
            qmap,
            fmap,
            kernels: Kernels::new(w),
        };

        // Seeded noise plus a few oriented ridge patches, then grow ridges by filtering.
        let mut cur = vec![0f32; w * h];
        let mut tmp = vec![0f32; w * h];
        let mut nxt = vec![0f32; w * h];
        for &(row, x0, x1) in &field.spans {
            for v in &mut cur[row + x0..row + x1] {
                *v = SEED_NOISE * rng.gen_range(-1.0f32..1.0);
            }
        }
        let n_seeds = (PI * ax * ay / 2600.0) as usize + 4;
        for _ in 0..n_seeds {
            let a = rng.gen_range(0.0..2.0 * PI);
            let r = rng.gen::<f32>().sqrt() * 1.05;
            let sx = cx + r * ax * a.cos();
            let sy = cy + r * ay * a.sin();
            let ph = rng.gen_range(0.0..2.0 * PI);
            let th = layout.orientation(sx, sy);
            let (nx, ny) = (-th.sin(), th.cos());
            for dy in -6i32..=6 {
                for dx in -6i32..=6 {
                    let px = sx as i64 + i64::from(dx);
                    let py = sy as i64 + i64::from(dy);
                    if px < PAD as i64
                        || py < PAD as i64
                        || px >= (w - PAD) as i64
                        || py >= (h - PAD) as i64
                    {
                        continue;
                    }
                    let d = dx as f32 * nx + dy as f32 * ny;
                    let r2 = (dx * dx + dy * dy) as f32;
                    cur[py as usize * w + px as usize] +=
                        (2.0 * PI * d / period + ph).cos() * (-r2 / 18.0).exp();
                }
            }
        }
        for _ in 0..ITERATIONS {
            field.apply(&cur, &mut tmp, &mut nxt, GAIN, true);
            std::mem::swap(&mut cur, &mut nxt);
        }
        // A last unclipped pass rounds the ridge profile.
        field.apply(&cur, &mut tmp, &mut nxt, 0.8, false);
        for v in nxt.iter_mut() {
            *v = v.clamp(-1.0, 1.0);
        }
        // Sweat pores: small light dots along the ridges, part of the finger's pattern.
        let n_pores = (PI * ax * ay / (period * 11.0)) as usize;
        for _ in 0..n_pores {
            let px = rng.gen_range(PAD as f32 + 3.0..(w - PAD) as f32 - 3.0);
            let py = rng.gen_range(PAD as f32 + 3.0..(h - PAD) as f32 - 3.0);
            let (ix, iy) = (px as usize, py as usize);
            if nxt[iy * w + ix] < 0.3 {
                continue;
            }
            let rad = rng.gen_range(0.8f32..1.5);
            let depth = rng.gen_range(1.7f32..2.8);
            for y in iy - 2..=iy + 2 {
                for x in ix - 2..=ix + 2 {
                    let dx = x as f32 + 0.5 - px;
                    let dy = y as f32 + 0.5 - py;
                    let d = (-(dx * dx + dy * dy) / (2.0 * rad * rad)).exp();
                    let v = &mut nxt[y * w + x];
                    *v = (*v - depth * d).max(-1.0);
                }
            }
        }

        let mut singular = Vec::new();
        singular.extend(layout.cores.iter().map(|&(x, y)| (x, y, 1)));
        singular.extend(layout.deltas.iter().map(|&(x, y)| (x, y, -1)));
        MasterPrint {
            seed,
            finger_code,
            class,
            period,
            w,
            h,
            cx,
            cy,
            ax,
            ay,
            place_x: cx,
            place_y: cy - 0.06 * ay,
            ridge: nxt,
            rho,
            ridge_bias,
            singular,
        }
    }

    /// Singular points and the rest of the orientation field for a class.
    fn layout<R: Rng>(rng: &mut R, class: Class, cx: f32, cy: f32, ax: f32, ay: f32) -> Layout {
        let core_y = cy - 0.12 * ay + normal_clamped(rng, 0.0, 14.0, 30.0);
        let core_x = cx + normal_clamped(rng, 0.0, 12.0, 28.0);
        let mut cores = Vec::new();
        let mut deltas = Vec::new();
        let mut arch = None;
        match class {
            Class::LeftLoop | Class::RightLoop => {
                // The delta lies below the core, on the side away from the loop's opening.
                let side = if class == Class::LeftLoop { 1.0 } else { -1.0 };
                let dist = rng.gen_range(95.0f32..140.0);
                let ang = rng.gen_range(0.62f32..1.05);
                cores.push((core_x - side * 8.0, core_y));
                deltas.push((core_x + side * dist * ang.cos(), core_y + dist * ang.sin()));
            }
            Class::Whorl => {
                let sep = rng.gen_range(18.0f32..46.0);
                let tilt = normal_clamped(rng, 0.0, 0.5, 1.0);
                let (st, ct) = tilt.sin_cos();
                cores.push((core_x - 0.5 * sep * st, core_y - 0.5 * sep * ct));
                cores.push((core_x + 0.5 * sep * st, core_y + 0.5 * sep * ct));
                let dy = rng.gen_range(95.0f32..135.0);
                let dl = rng.gen_range(105.0f32..145.0);
                let dr = rng.gen_range(105.0f32..145.0);
                deltas.push((core_x - dl, core_y + dy + rng.gen_range(-15.0f32..15.0)));
                deltas.push((core_x + dr, core_y + dy + rng.gen_range(-15.0f32..15.0)));
            }
            Class::TentedArch => {
                let dist = rng.gen_range(50.0f32..80.0);
                cores.push((core_x, core_y));
                deltas.push((core_x + rng.gen_range(-8.0f32..8.0), core_y + dist));
            }
            Class::Arch => {
                arch = Some((
                    core_x,
                    core_y + rng.gen_range(10.0f32..50.0),
                    rng.gen_range(55.0f32..85.0),
                    rng.gen_range(110.0f32..170.0),
                    rng.gen_range(1.3f32..2.2),
                ));
            }
        }
        let waves = (0..4)
            .map(|_| Wave::random(rng, 160.0, 420.0, 0.07))
            .collect();
        Layout {
            cores,
            deltas,
            theta_inf: normal_clamped(rng, 0.0, 0.06, 0.15),
            arch,
            waves,
            cx,
            cy,
            ax,
            ay,
        }
    }

    /// The pattern class, e.g. "left_loop", "right_loop", "whorl", "arch", "tented_arch".
    pub fn class(&self) -> &'static str {
        self.class.name()
    }

    /// The finger position code this print was made for.
    pub fn finger_code(&self) -> u8 {
        self.finger_code
    }

    /// The mean ridge period of this finger, in pixels at 500 ppi (about 9 to 10).
    pub fn ridge_period(&self) -> f32 {
        self.period
    }

    /// Bilinear sample of the ridge signal (0 outside the canvas).
    fn ridge_at(&self, x: f32, y: f32) -> f32 {
        sample(&self.ridge, self.w, self.h, x, y, 0.0)
    }

    /// Bilinear sample of the normalised contact radius (large outside the canvas).
    fn rho_at(&self, x: f32, y: f32) -> f32 {
        sample(&self.rho, self.w, self.h, x, y, 9.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Impressions.

/// Grid step (px) on which the image-to-finger mapping is computed exactly.
const GSTEP: usize = 8;

/// Everything random about one impression, drawn before any pixel is rendered.
struct Plan {
    w: usize,
    h: usize,
    rng: ChaCha8Rng,
    /// Background level, its slow variation and the amplitude of that variation.
    bg: f32,
    bg_field: ValueNoise,
    bg_ramp: f32,
    /// Finger rotation (radians) on the sensor, for tests.
    #[cfg_attr(not(test), allow(dead_code))]
    rot: f32,
    /// Image point -> canvas point of the master, on a grid of GSTEP px.
    grid: Vec<(f32, f32)>,
    gw: usize,
    /// Ridge threshold (positive: thinner ridges) and width of the soft ridge edge.
    bias: f32,
    softness: f32,
    /// Grey levels of a fully pressed ridge and valley.
    ridge_grey: f32,
    valley_grey: f32,
    /// Sensor noise deviation over the finger.
    noise_finger: f32,
    /// Contact area scale (pressure) and width of its soft edge (in rho units).
    contact: f32,
    edge: f32,
    /// Only the tip touches: (scale, centre x, centre y) of the contact patch on the canvas.
    tip_only: Option<(f32, f32, f32)>,
    /// Fine skin texture, large patches, and rim irregularity.
    skin: ValueNoise,
    patches: ValueNoise,
    rim: ValueNoise,
    /// Smear vector (canvas px) for smudged impressions.
    smear: (f32, f32),
    /// Severity of a degraded condition, 0 (mild) to 1 (severe).
    sev: f32,
}

impl Plan {
    fn new(master: &MasterPrint, seed: u64, condition: Condition, w: usize, h: usize) -> Plan {
        let mut rng = ChaCha8Rng::seed_from_u64(mix2(mix2(master.seed, seed), condition.code()));
        let (wf, hf) = (w as f32, h as f32);
        let bg = rng.gen_range(249.5f32..252.5);
        let bg_field = ValueNoise::new(&mut rng, wf, hf, 48.0);
        let bg_ramp = rng.gen_range(0.6f32..1.6);

        // Pose: where the finger lies, how it is turned and pressed.
        let mut tx = normal_clamped(&mut rng, 0.0, 7.0, 20.0);
        let mut ty = normal_clamped(&mut rng, 0.0, 7.0, 20.0);
        let rot = normal_clamped(&mut rng, 0.0, 4.0, 10.0).to_radians();
        let scale = 1.0 + normal_clamped(&mut rng, 0.0, 0.01, 0.025);
        let pressure = normal_clamped(&mut rng, 0.0, 0.05, 0.1);
        let mut bias =
            master.ridge_bias - 0.25 * pressure + normal_clamped(&mut rng, 0.0, 0.04, 0.08);
        let mut softness = rng.gen_range(0.45f32..0.6);
        let mut ridge_grey = rng.gen_range(25.0f32..60.0);
        let mut valley_grey = rng.gen_range(180.0f32..205.0);
        let noise_finger = rng.gen_range(3.0f32..5.0);
        let mut contact = 1.0 + 0.6 * pressure;
        let edge = rng.gen_range(0.06f32..0.1);
        // How bad a degraded condition is this time: 0 mild .. 1 severe.
        let (lo, hi) = match condition {
            Condition::Dry => (0.3, 0.9),
            Condition::Wet => (0.4, 1.0),
            Condition::Smudged => (0.1, 0.7),
            Condition::LowContrast => (0.25, 0.65),
            _ => (0.0, 1.0),
        };
        let sev = lerp(lo, hi, rng.gen::<f32>());
        let mut tip_only = None;
        match condition {
            Condition::Partial => {
                if rng.gen_bool(0.3) {
                    // Only the tip touches: a small contact patch at the top of the finger,
                    // seen somewhere near the middle of the sensor.
                    let tip = rng.gen_range(0.3f32..0.48);
                    let (pcx, pcy) = (master.cx, master.cy - master.ay * (1.0 - tip) * 0.92);
                    tip_only = Some((tip, pcx, pcy));
                    tx += rng.gen_range(-0.2f32..0.2) * wf - (pcx - master.place_x);
                    ty += rng.gen_range(-0.2f32..0.2) * hf - (pcy - master.place_y);
                } else {
                    // Placed well off-centre: much of the finger is off the sensor.
                    let dir = rng.gen_range(0.0..2.0 * PI);
                    let off = rng.gen_range(0.55f32..0.8);
                    tx += dir.cos() * off * wf;
                    ty += dir.sin() * off * hf;
                }
            }
            Condition::Dry => {
                bias += lerp(0.25, 0.45, sev);
                ridge_grey = lerp(120.0, 185.0, sev);
                valley_grey = lerp(220.0, 238.0, sev);
                contact *= rng.gen_range(0.9f32..0.97);
            }
            Condition::Wet => {
                bias -= lerp(0.55, 0.9, sev);
                ridge_grey = rng.gen_range(8.0f32..25.0);
                valley_grey = lerp(170.0, 125.0, sev);
                softness *= 1.6;
                contact *= 1.05;
            }
            Condition::LowContrast => ridge_grey = rng.gen_range(60.0f32..90.0),
            _ => {}
        }

        // Pose and elastic distortion, exact on a coarse grid. Skin distortion grows away
        // from the centre of the contact.
        let waves: Vec<Wave> = (0..6)
            .map(|_| Wave::random(&mut rng, 140.0, 360.0, 2.2))
            .collect();
        let (sr, cr) = rot.sin_cos();
        let gw = w / GSTEP + 2;
        let gh = h / GSTEP + 2;
        let (icx, icy) = (wf * 0.5 + tx, hf * 0.5 + ty);
        let mut grid = Vec::with_capacity(gw * gh);
        for gy in 0..gh {
            for gx in 0..gw {
                let u = (gx * GSTEP) as f32 + 0.5 - icx;
                let v = (gy * GSTEP) as f32 + 0.5 - icy;
                let mx = (cr * u + sr * v) / scale;
                let my = (-sr * u + cr * v) / scale;
                let fall = ((mx * mx + my * my).sqrt() / 120.0).min(1.5);
                let dx = waves_at(&waves[0..3], mx, my) * fall;
                let dy = waves_at(&waves[3..6], mx, my) * fall;
                grid.push((master.place_x + mx + dx, master.place_y + my + dy));
            }
        }

        let skin = ValueNoise::new(&mut rng, wf, hf, 5.0);
        let patches = ValueNoise::new(&mut rng, wf, hf, 36.0);
        let rim = ValueNoise::new(&mut rng, wf, hf, 24.0);
        let smear = {
            let a = rng.gen_range(0.0..2.0 * PI);
            let len = lerp(8.0, 24.0, sev);
            (a.cos() * len, a.sin() * len)
        };
        Plan {
            w,
            h,
            rng,
            bg,
            bg_field,
            bg_ramp,
            rot,
            grid,
            gw,
            bias,
            softness,
            ridge_grey,
            valley_grey,
            noise_finger,
            contact,
            edge,
            tip_only,
            skin,
            patches,
            rim,
            smear,
            sev,
        }
    }

    /// The canvas point of the master under image pixel (x, y).
    fn map(&self, x: usize, y: usize) -> (f32, f32) {
        let (gx, gy) = (x / GSTEP, y / GSTEP);
        let fx = (x % GSTEP) as f32 / GSTEP as f32;
        let fy = (y % GSTEP) as f32 / GSTEP as f32;
        let i = gy * self.gw + gx;
        let (g00, g10) = (self.grid[i], self.grid[i + 1]);
        let (g01, g11) = (self.grid[i + self.gw], self.grid[i + self.gw + 1]);
        let x0 = g00.0 + (g10.0 - g00.0) * fx;
        let y0 = g00.1 + (g10.1 - g00.1) * fx;
        let x1 = g01.0 + (g11.0 - g01.0) * fx;
        let y1 = g01.1 + (g11.1 - g01.1) * fx;
        (x0 + (x1 - x0) * fy, y0 + (y1 - y0) * fy)
    }

    fn background(&self, x: f32, y: f32) -> f32 {
        self.bg + self.bg_ramp * (self.bg_field.at(x, y) - 0.5)
    }
}

/// One impression of `master` as an 8-bit grey image (white background 255-ish, dark ridges),
/// `width` x `height` pixels at 500 ppi (the simulated sensor is 256 x 288). Deterministic in
/// (master, impression_seed, condition).
///
/// Each impression seed gives another placement (a shift of up to about 20 px, a rotation of up
/// to about ±10°, a slightly different pressure), another elastic skin distortion and other
/// sensor noise; the ridge pattern is always the master's. Sizes are clamped to 1..=4096 px a
/// side; the finger is about 300 x 420 px (a thumb more, a little finger less), so a 256 x 288
/// image is filled with it and a 400 x 500 image shows about all of it.
///
/// The seed also sets how bad a degraded condition is this time, from mild to severe, so that
/// NIST NFIQ 2 scores of Dry, Wet, Smudged and LowContrast impressions spread from about as
/// good as Good down to 0 (unusable), averaging well below Good (which typically scores 50-75).
pub fn impression(
    master: &MasterPrint,
    impression_seed: u64,
    condition: Condition,
    width: u32,
    height: u32,
) -> GrayImage {
    let width = width.clamp(1, MAX_SIDE);
    let height = height.clamp(1, MAX_SIDE);
    let mut plan = Plan::new(
        master,
        impression_seed,
        condition,
        width as usize,
        height as usize,
    );
    let out = render(master, &mut plan, condition);
    let bytes: Vec<u8> = out
        .iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect();
    GrayImage::from_raw(width, height, bytes).unwrap_or_else(|| GrayImage::new(width, height))
}

/// Renders a planned impression as grey levels (not yet rounded).
fn render(master: &MasterPrint, plan: &mut Plan, condition: Condition) -> Vec<f32> {
    let (w, h) = (plan.w, plan.h);
    let mut out = vec![0f32; w * h];
    if condition == Condition::Blank {
        for (i, o) in out.iter_mut().enumerate() {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            *o = plan.background(x, y) + 1.3 * gauss8(&mut plan.rng);
        }
        return out;
    }

    for y in 0..h {
        for x in 0..w {
            let (mx, my) = plan.map(x, y);
            let (xf, yf) = (x as f32, y as f32);
            let background = plan.background(xf, yf);

            let mut rho = master.rho_at(mx, my) + 0.06 * (plan.rim.at(xf, yf) - 0.5);
            if let Some((tip, pcx, pcy)) = plan.tip_only {
                let ex = (mx - pcx) / (master.ax * (tip + 0.25));
                let ey = (my - pcy) / (master.ay * tip);
                rho = rho.max((ex * ex + ey * ey).sqrt());
            }
            let contact = smoothstep(plan.contact, plan.contact - plan.edge, rho);
            if contact <= 0.0 {
                out[y * w + x] = background + 1.3 * gauss8(&mut plan.rng);
                continue;
            }

            let ridge = if condition == Condition::Smudged {
                // The finger slid: a fading trail of the pattern along the smear vector.
                let (sx, sy) = plan.smear;
                let mut s = 0.0;
                let mut ws = 0.0;
                for k in 0..8 {
                    let t = k as f32 / 7.0 - 0.5;
                    let wk = 1.0 - 0.5 * (t + 0.5);
                    s += wk * master.ridge_at(mx + sx * t, my + sy * t);
                    ws += wk;
                }
                s / ws
            } else {
                master.ridge_at(mx, my)
            };

            // Less pressure toward the rim: thinner, lighter ridges.
            let press = smoothstep(plan.contact + 0.02, plan.contact - 0.3, rho);
            let bias = plan.bias + 0.25 * (1.0 - press);
            let mut dark = smoothstep(bias - plan.softness, bias + plan.softness, ridge);
            let sk = plan.skin.at(xf, yf);
            let pt = plan.patches.at(xf, yf);
            match condition {
                Condition::Dry => {
                    // Ridges break up into fragments, and whole patches barely touch.
                    let (lo, plo) = (lerp(0.3, 0.5, plan.sev), lerp(0.15, 0.4, plan.sev));
                    let keep = smoothstep(lo, lo + 0.25, sk) * smoothstep(plo, plo + 0.35, pt);
                    dark *= 0.1 + 0.9 * keep;
                }
                Condition::Wet => {
                    // Moisture fills valleys in blotches.
                    let blot = smoothstep(0.55 - 0.2 * plan.sev, 0.85 - 0.2 * plan.sev, pt);
                    dark = dark.max(0.9 * blot).max(0.5 * smoothstep(0.5, 0.85, sk));
                }
                Condition::Smudged => {
                    // Smeared skin grease: greyish patches with little ridge contrast.
                    let smear = smoothstep(0.35, 0.7, pt);
                    dark += (0.45 - dark) * lerp(0.4, 0.8, plan.sev) * smear;
                }
                // Skin texture: ridges are never uniformly dark.
                _ => dark *= 1.0 - 0.5 * sk,
            }
            dark *= 0.75 + 0.25 * press;
            let valley =
                background - (background - plan.valley_grey) * contact * (0.6 + 0.4 * press);
            let finger = valley - (valley - plan.ridge_grey) * dark * contact;
            out[y * w + x] = finger + plan.noise_finger * gauss8(&mut plan.rng);
        }
    }

    match condition {
        Condition::Smudged => {
            box_blur(&mut out, w, h, 2);
            box_blur(&mut out, w, h, 2);
            if plan.sev > 0.5 {
                box_blur(&mut out, w, h, 2);
            }
        }
        Condition::Wet => {
            box_blur(&mut out, w, h, 1);
            box_blur(&mut out, w, h, 2);
        }
        Condition::LowContrast => {
            // A faint signal under the same sensor noise.
            let mid = plan.rng.gen_range(150.0f32..175.0);
            let k = lerp(0.4, 0.2, plan.sev);
            for v in out.iter_mut() {
                *v = mid + (*v - mid) * k + 2.5 * gauss8(&mut plan.rng);
            }
        }
        _ => {}
    }
    out
}

/// In-place box blur of the given radius (horizontal, then vertical).
fn box_blur(buf: &mut [f32], w: usize, h: usize, radius: usize) {
    if radius == 0 || w == 0 || h == 0 || buf.len() < w * h {
        return;
    }
    let mut line = vec![0f32; w.max(h)];
    let mut res = vec![0f32; w.max(h)];
    for y in 0..h {
        line[..w].copy_from_slice(&buf[y * w..(y + 1) * w]);
        blur_line(&line[..w], &mut buf[y * w..(y + 1) * w], radius);
    }
    for x in 0..w {
        for (y, l) in line[..h].iter_mut().enumerate() {
            *l = buf[y * w + x];
        }
        blur_line(&line[..h], &mut res[..h], radius);
        for (y, r) in res[..h].iter().enumerate() {
            buf[y * w + x] = *r;
        }
    }
}

/// Running-sum box filter of one line, shrinking the window at the ends.
fn blur_line(src: &[f32], dst: &mut [f32], radius: usize) {
    let n = src.len().min(dst.len());
    let mut sum: f32 = src[..radius.min(n)].iter().sum();
    for i in 0..n {
        if i + radius < n {
            sum += src[i + radius];
        }
        if i > radius {
            sum -= src[i - radius - 1];
        }
        let lo = i.saturating_sub(radius);
        let hi = (i + radius + 1).min(n);
        dst[i] = sum / (hi - lo) as f32;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    // Masters are the expensive part (about a second each unoptimised): make each once.
    static A: OnceLock<MasterPrint> = OnceLock::new();
    static B: OnceLock<MasterPrint> = OnceLock::new();
    static C: OnceLock<MasterPrint> = OnceLock::new();

    /// Person 11, right index finger.
    fn master_a() -> &'static MasterPrint {
        A.get_or_init(|| MasterPrint::new(11, 2))
    }

    /// Another person, same finger.
    fn master_b() -> &'static MasterPrint {
        B.get_or_init(|| MasterPrint::new(12, 2))
    }

    /// Person 11 again, another finger (left middle).
    fn master_c() -> &'static MasterPrint {
        C.get_or_init(|| MasterPrint::new(11, 8))
    }

    const W: u32 = 256;
    const H: u32 = 288;

    fn stats(img: &GrayImage) -> (f64, f64) {
        let n = img.as_raw().len() as f64;
        let mean = img.as_raw().iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = img
            .as_raw()
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var.sqrt())
    }

    fn dark_fraction(img: &GrayImage, below: u8) -> f64 {
        img.as_raw().iter().filter(|&&v| v < below).count() as f64 / img.as_raw().len() as f64
    }

    fn mean_abs_diff(a: &GrayImage, b: &GrayImage) -> f64 {
        let s: f64 = a
            .as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).abs())
            .sum();
        s / a.as_raw().len() as f64
    }

    /// Mean absolute gradient: a measure of sharpness.
    fn sharpness(img: &GrayImage) -> f64 {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let p = img.as_raw();
        let mut s = 0.0;
        for y in 0..h - 1 {
            for x in 0..w - 1 {
                let v = f64::from(p[y * w + x]);
                s += (f64::from(p[y * w + x + 1]) - v).abs()
                    + (f64::from(p[(y + 1) * w + x]) - v).abs();
            }
        }
        s / ((w - 1) * (h - 1)) as f64
    }

    fn bilinear(img: &GrayImage, x: f32, y: f32) -> Option<f32> {
        let (w, h) = (img.width() as usize, img.height() as usize);
        if !(x >= 0.0 && y >= 0.0 && x < (w - 1) as f32 && y < (h - 1) as f32) {
            return None;
        }
        let (ix, iy) = (x as usize, y as usize);
        let (tx, ty) = (x - ix as f32, y - iy as f32);
        let p = |xx: usize, yy: usize| f32::from(img.as_raw()[yy * w + xx]);
        let a = p(ix, iy) + (p(ix + 1, iy) - p(ix, iy)) * tx;
        let b = p(ix, iy + 1) + (p(ix + 1, iy + 1) - p(ix, iy + 1)) * tx;
        Some(a + (b - a) * ty)
    }

    /// The plan's image-to-master mapping at a real-valued image point.
    fn map_f(plan: &Plan, x: f32, y: f32) -> (f32, f32) {
        let x = x.clamp(0.0, (plan.w - 1) as f32);
        let y = y.clamp(0.0, (plan.h - 1) as f32);
        let (gx, gy) = ((x / GSTEP as f32) as usize, (y / GSTEP as f32) as usize);
        let fx = x / GSTEP as f32 - gx as f32;
        let fy = y / GSTEP as f32 - gy as f32;
        let i = gy * plan.gw + gx;
        let (g00, g10) = (plan.grid[i], plan.grid[i + 1]);
        let (g01, g11) = (plan.grid[i + plan.gw], plan.grid[i + plan.gw + 1]);
        let x0 = g00.0 + (g10.0 - g00.0) * fx;
        let y0 = g00.1 + (g10.1 - g00.1) * fx;
        let x1 = g01.0 + (g11.0 - g01.0) * fx;
        let y1 = g01.1 + (g11.1 - g01.1) * fx;
        (x0 + (x1 - x0) * fy, y0 + (y1 - y0) * fy)
    }

    /// The image point of a plan that shows master point `m` (Newton iterations from the
    /// image centre).
    fn unmap(plan: &Plan, m: (f32, f32), start: (f32, f32)) -> (f32, f32) {
        let (mut x, mut y) = start;
        for _ in 0..6 {
            let p = map_f(plan, x, y);
            let px = map_f(plan, x + 1.0, y);
            let py = map_f(plan, x, y + 1.0);
            let (a, c) = (px.0 - p.0, px.1 - p.1);
            let (b, d) = (py.0 - p.0, py.1 - p.1);
            let det = a * d - b * c;
            if det.abs() < 1e-6 {
                break;
            }
            let (ex, ey) = (m.0 - p.0, m.1 - p.1);
            x += (d * ex - b * ey) / det;
            y += (-c * ex + a * ey) / det;
        }
        (x, y)
    }

    /// Normalised cross-correlation of the central 96 x 96 window of impression `a` with the
    /// pixels of impression `b` that show the same skin according to their poses.
    fn aligned_ncc(a: &GrayImage, pa: &Plan, b: &GrayImage, pb: &Plan) -> f64 {
        let (cx, cy) = (W as f32 / 2.0, H as f32 / 2.0);
        let mut start = unmap(pb, map_f(pa, cx, cy), (cx, cy));
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for y in (H / 2 - 48)..(H / 2 + 48) {
            for x in (W / 2 - 48)..(W / 2 + 48) {
                let m = map_f(pa, x as f32, y as f32);
                let v = unmap(pb, m, start);
                start = v;
                if let Some(vb) = bilinear(b, v.0, v.1) {
                    xs.push(f64::from(a.get_pixel(x, y).0[0]));
                    ys.push(f64::from(vb));
                }
            }
        }
        let n = xs.len() as f64;
        assert!(n > 4000.0, "too little overlap: {n}");
        let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for (x, y) in xs.iter().zip(&ys) {
            sxy += (x - mx) * (y - my);
            sxx += (x - mx) * (x - mx);
            syy += (y - my) * (y - my);
        }
        sxy / (sxx * syy).sqrt().max(1e-9)
    }

    #[test]
    fn same_inputs_give_identical_images() {
        let fresh = MasterPrint::new(11, 2);
        let m = master_a();
        assert_eq!(fresh.class(), m.class());
        assert_eq!(
            fresh.ridge, m.ridge,
            "master ridge pattern is not deterministic"
        );
        for c in Condition::ALL {
            let a = impression(&fresh, 42, c, 160, 120);
            let b = impression(m, 42, c, 160, 120);
            assert_eq!(a.dimensions(), (160, 120));
            assert!(
                a.as_raw() == b.as_raw(),
                "{c:?} impression is not deterministic"
            );
        }
    }

    #[test]
    fn people_fingers_and_seeds_differ() {
        let a = impression(master_a(), 1, Condition::Good, W, H);
        let b = impression(master_b(), 1, Condition::Good, W, H);
        let c = impression(master_c(), 1, Condition::Good, W, H);
        let a2 = impression(master_a(), 2, Condition::Good, W, H);
        assert!(mean_abs_diff(&a, &b) > 30.0, "two people look alike");
        assert!(mean_abs_diff(&a, &c) > 30.0, "two fingers look alike");
        assert!(a.as_raw() != a2.as_raw(), "impression seed changes nothing");
        let pa = Plan::new(master_a(), 1, Condition::Good, W as usize, H as usize);
        let pa2 = Plan::new(master_a(), 2, Condition::Good, W as usize, H as usize);
        assert!(
            pa.rot != pa2.rot && pa.grid != pa2.grid,
            "impression seed changes no pose"
        );
        for (g1, g2) in pa.grid.iter().zip(&pa2.grid) {
            let d = ((g1.0 - g2.0).powi(2) + (g1.1 - g2.1).powi(2)).sqrt();
            assert!(d < 120.0, "pose changed too much: {d}");
        }
    }

    #[test]
    fn impressions_of_one_finger_share_the_ridge_pattern() {
        let (wu, hu) = (W as usize, H as usize);
        let a = impression(master_a(), 1, Condition::Good, W, H);
        let a2 = impression(master_a(), 2, Condition::Good, W, H);
        let b = impression(master_b(), 2, Condition::Good, W, H);
        let c = impression(master_c(), 2, Condition::Good, W, H);
        let pa = Plan::new(master_a(), 1, Condition::Good, wu, hu);
        let pa2 = Plan::new(master_a(), 2, Condition::Good, wu, hu);
        let pb = Plan::new(master_b(), 2, Condition::Good, wu, hu);
        let pc = Plan::new(master_c(), 2, Condition::Good, wu, hu);
        let same = aligned_ncc(&a, &pa, &a2, &pa2);
        let other_person = aligned_ncc(&a, &pa, &b, &pb);
        let other_finger = aligned_ncc(&a, &pa, &c, &pc);
        assert!(same > 0.6, "same finger correlates only {same:.3}");
        assert!(
            other_person.abs() < 0.3,
            "other person correlates {other_person:.3}"
        );
        assert!(
            other_finger.abs() < 0.3,
            "other finger correlates {other_finger:.3}"
        );
    }

    #[test]
    fn blank_is_just_background() {
        let img = impression(master_a(), 3, Condition::Blank, W, H);
        let (mean, sd) = stats(&img);
        assert!(mean > 246.0, "blank mean {mean}");
        assert!(sd < 4.0, "blank spread {sd}");
        assert!(dark_fraction(&img, 230) < 0.0005, "blank has dark pixels");
    }

    /// Ridge period measured on a Good impression by counting mean crossings along lines
    /// across the local ridge orientation.
    fn measured_period(img: &GrayImage) -> f32 {
        let f = |x: f32, y: f32| bilinear(img, x, y).unwrap_or(255.0);
        let mut periods = Vec::new();
        for by in 0..6 {
            for bx in 0..5 {
                let (x0, y0) = (48 + bx * 32, 48 + by * 32);
                // Structure tensor of the block.
                let (mut gxx, mut gyy, mut gxy) = (0f32, 0f32, 0f32);
                for y in y0..y0 + 32 {
                    for x in x0..x0 + 32 {
                        let (xf, yf) = (x as f32, y as f32);
                        let gx = f(xf + 1.0, yf) - f(xf - 1.0, yf);
                        let gy = f(xf, yf + 1.0) - f(xf, yf - 1.0);
                        gxx += gx * gx;
                        gyy += gy * gy;
                        gxy += gx * gy;
                    }
                }
                let coh = ((gxx - gyy).powi(2) + 4.0 * gxy * gxy).sqrt() / (gxx + gyy).max(1e-6);
                if coh < 0.4 {
                    continue;
                }
                // The dominant gradient direction is across the ridges.
                let phi = 0.5 * (2.0 * gxy).atan2(gxx - gyy);
                let (ny, nx) = phi.sin_cos();
                let (cx, cy) = (x0 as f32 + 16.0, y0 as f32 + 16.0);
                let len = 60.0;
                let prof: Vec<f32> = (0..=240)
                    .map(|i| {
                        let t = i as f32 * 0.25 - len / 2.0;
                        // Average across a short segment along the ridges to hide pores.
                        (-2..=2)
                            .map(|k| {
                                let s = k as f32 * 1.5;
                                f(cx + t * nx - s * ny, cy + t * ny + s * nx)
                            })
                            .sum::<f32>()
                            / 5.0
                    })
                    .collect();
                let mean = prof.iter().sum::<f32>() / prof.len() as f32;
                // Interpolated positions of the mean crossings.
                let at: Vec<f32> = prof
                    .windows(2)
                    .enumerate()
                    .filter(|(_, p)| (p[0] - mean) * (p[1] - mean) < 0.0)
                    .map(|(i, p)| (i as f32 + (mean - p[0]) / (p[1] - p[0])) * 0.25)
                    .collect();
                if at.len() >= 5 {
                    let span = at[at.len() - 1] - at[0];
                    periods.push(2.0 * span / (at.len() - 1) as f32);
                }
            }
        }
        assert!(
            periods.len() >= 10,
            "too few clear blocks: {}",
            periods.len()
        );
        periods.sort_by(|a, b| a.total_cmp(b));
        periods[periods.len() / 2]
    }

    #[test]
    fn good_ridge_period_is_about_nine_and_a_half_pixels() {
        for m in [master_a(), master_b()] {
            let nominal = m.ridge_period();
            assert!((8.5..=10.7).contains(&nominal), "nominal period {nominal}");
            let img = impression(m, 9, Condition::Good, W, H);
            let p = measured_period(&img);
            assert!((8.0..=11.5).contains(&p), "measured period {p}");
            assert!(
                (p - nominal).abs() < 1.2,
                "measured {p} vs nominal {nominal}"
            );
        }
    }

    #[test]
    fn conditions_are_ordered_sensibly() {
        let m = master_c();
        for seed in [5u64, 6] {
            let img = |c| impression(m, seed, c, W, H);
            let good = img(Condition::Good);
            let (g_mean, g_sd) = stats(&good);
            let g_sharp = sharpness(&good);
            let g_dark = dark_fraction(&good, 128);
            assert!(g_sd > 45.0, "good spread {g_sd}");
            assert!(g_dark > 0.2, "good has few dark pixels: {g_dark}");

            let low = img(Condition::LowContrast);
            assert!(stats(&low).1 < 0.5 * g_sd, "low contrast is not low");
            let dry = img(Condition::Dry);
            assert!(stats(&dry).0 > g_mean + 25.0, "dry is not lighter");
            assert!(
                dark_fraction(&dry, 128) < 0.3 * g_dark,
                "dry ridges too dark"
            );
            let wet = img(Condition::Wet);
            assert!(stats(&wet).0 < g_mean - 15.0, "wet is not darker");
            let smudged = img(Condition::Smudged);
            assert!(
                sharpness(&smudged) < 0.6 * g_sharp,
                "smudged is not blurred"
            );
            let partial = img(Condition::Partial);
            let finger = |i: &GrayImage| dark_fraction(i, 235);
            assert!(
                finger(&partial) < 0.75 * finger(&good),
                "partial covers too much"
            );
            let blank = img(Condition::Blank);
            assert!(dark_fraction(&blank, 200) == 0.0);
        }
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let m = master_a();
        for (w, h) in [
            (0, 0),
            (1, 1),
            (2, 3),
            (7, 1),
            (1, 700),
            (37, 19),
            (900, 40),
        ] {
            for c in Condition::ALL {
                let img = impression(m, u64::MAX, c, w, h);
                assert_eq!(img.dimensions(), (w.max(1), h.max(1)));
            }
        }
        // A large image shows the whole finger on background.
        let big = impression(m, 0, Condition::Good, 700, 800);
        assert!(big.get_pixel(2, 2).0[0] > 235 && big.get_pixel(697, 797).0[0] > 235);
        assert!(dark_fraction(&big, 128) > 0.05);
        for code in [0u8, 11, 200, 255] {
            let name = pattern_class(u64::MAX, code);
            assert!(["left_loop", "right_loop", "whorl", "arch", "tented_arch"].contains(&name));
        }
    }

    #[test]
    fn unusual_finger_codes_make_prints() {
        let m = MasterPrint::new(u64::MAX, 0);
        assert_eq!(m.class(), pattern_class(u64::MAX, 0));
        let img = impression(&m, 1, Condition::Good, W, H);
        assert!(dark_fraction(&img, 128) > 0.2);
    }

    #[test]
    fn class_matches_and_frequencies_are_realistic() {
        assert_eq!(master_a().class(), pattern_class(11, 2));
        assert_eq!(master_c().class(), pattern_class(11, 8));
        let mut counts = [[0u32; 5]; 5]; // finger position x class
        for person in 0..400u64 {
            for code in 1..=10u8 {
                let class = choose_class(person, code) as usize;
                counts[usize::from((code - 1) % 5)][class] += 1;
            }
        }
        let total = |k: usize| counts.iter().map(|f| f[k]).sum::<u32>();
        let loops = total(Class::LeftLoop as usize) + total(Class::RightLoop as usize);
        let whorls = total(Class::Whorl as usize);
        let arches = total(Class::Arch as usize) + total(Class::TentedArch as usize);
        assert!(
            loops > whorls && whorls > 2 * arches && arches > 0,
            "{loops} {whorls} {arches}"
        );
        assert!((2000..2900).contains(&loops), "loops {loops} of 4000");
        let thumb_whorls = counts[0][Class::Whorl as usize];
        let middle_whorls = counts[2][Class::Whorl as usize];
        assert!(
            thumb_whorls > middle_whorls + 40,
            "{thumb_whorls} vs {middle_whorls}"
        );
        // Ulnar loops dominate: right loops on the right hand, left loops on the left.
        let (mut rr, mut rl, mut lr, mut ll) = (0, 0, 0, 0);
        for person in 0..200u64 {
            for code in 1..=10u8 {
                match (choose_class(person, code), code <= 5) {
                    (Class::RightLoop, true) => rr += 1,
                    (Class::LeftLoop, true) => rl += 1,
                    (Class::RightLoop, false) => lr += 1,
                    (Class::LeftLoop, false) => ll += 1,
                    _ => {}
                }
            }
        }
        assert!(rr > 4 * rl && ll > 4 * lr, "{rr} {rl} {lr} {ll}");
    }
}
