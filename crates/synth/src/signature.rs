//! Synthetic handwritten signatures for the simulated Wacom ISDV4 (W8001) signature pad.
//!
//! [`generate`] turns a *person* (`person_seed`, which fixes the design of a signature: its
//! letters, slant, proportions, strokes and writing habits) and an *attempt* (`attempt_seed`,
//! which varies one signing from the next) into the pen reports the pad firmware would send,
//! one every `1 / rate_hz` seconds.
//!
//! The model has three layers:
//!
//! 1. **Design.** A signature is one or two cursive "words" (a capital followed by lower-case
//!    letters, or a lone initial) built from a small alphabet of letter templates given as
//!    via-points in x-height units (loops, garlands, arcades, ascenders and descenders). The
//!    person fixes the letters, slant, letter widths and heights, how much the tail of a word
//!    degrades into a flat scribble, idiosyncratic deformations of every via-point, and the
//!    extras: a detached capital, i-dots and t-bars, an underline or a connected flourish.
//!    That gives one to four pen-down strokes.
//! 2. **Geometry.** Each stroke is a centripetal Catmull-Rom spline through its via-points.
//!    An attempt perturbs the via-points slightly, adds a low-frequency deformation (letter
//!    widths, baseline waviness), small changes of slant, rotation, size and position.
//! 3. **Kinematics.** A stroke is cut into movement units at its sharp turns; speed follows
//!    a bell within each unit (longer units peak faster) times the two-thirds power law of
//!    handwriting (speed proportional to the cube root of the radius of curvature), smoothed,
//!    with gentle acceleration after touch-down and deceleration before lift. The person's
//!    habitual pace (mean pen-down speed), kept within a 1.5-5 s signing and varied by the
//!    attempt's tempo, sets the clock. Strokes are linked by minimum-jerk movements in the
//!    air (100-400 ms); a short hover precedes the first touch and follows the last lift.
//!    Pressure rises at touch-down, is heavier on down-strokes, varies slowly and falls at
//!    lift; its peak is 40-80 % of the pad's range.
//!
//! Positions are evaluated at the reported millisecond of each report, so speeds computed
//! from consecutive reports carry no timestamp-rounding jitter. Every stroke starts on a
//! report tick and every lift spans at least one report, so strokes stay distinguishable even
//! at absurdly low rates. Speeds assume 100 device units per millimetre.
//!
//! Everything is driven by seeded ChaCha generators and plain `f64` arithmetic, so the
//! output depends only on the inputs (bit-for-bit on a given platform; `sin`, `exp` and
//! `cbrt` come from the platform's maths library).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::TAU;
use std::ops::{Add, Mul, Sub};

/// Device units per millimetre assumed when choosing realistic speeds.
const UNITS_PER_MM: f64 = 100.0;
/// Highest sampling rate honoured; timestamps have millisecond resolution.
const MAX_RATE_HZ: u32 = 1000;
/// Domain tags that keep the person and attempt random streams apart.
const PERSON_TAG: u64 = 0x5349_474e_5045_5253; // "SIGNPERS"
const ATTEMPT_TAG: u64 = 0x5349_474e_4154_5450; // "SIGNATTP"

/// One pen report as the pad firmware would produce it, before encoding to wire packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PenReport {
    /// Milliseconds since the first report (reports come at the pad's rate, see
    /// [`SignatureSpec::rate_hz`]).
    pub t_ms: u32,
    /// Horizontal position in device units, `0..=max_x`.
    pub x: u16,
    /// Vertical position in device units, `0..=max_y` (y grows downward).
    pub y: u16,
    /// Tip pressure `0..=max_pressure`; 0 when the tip is up.
    pub pressure: u16,
    /// Pen within sensing range (hovering or touching).
    pub in_proximity: bool,
    /// Tip touching the surface.
    pub tip: bool,
}

/// The pad's geometry and the writer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignatureSpec {
    /// Largest x the pad reports (device units, 100 per millimetre assumed).
    pub max_x: u16,
    /// Largest y the pad reports (device units, 100 per millimetre assumed).
    pub max_y: u16,
    /// Largest pressure the pad reports.
    pub max_pressure: u16,
    /// Report rate in hertz (typically 133). 0 is treated as 1; rates above 1000 Hz are
    /// treated as 1000 Hz, the resolution of [`PenReport::t_ms`].
    pub rate_hz: u32,
    /// How the person signs this time.
    pub style: Style,
}

/// How a signature is written: normally, or one of the faulty ways a capture should reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// The person's own signature, 50-80 % of the pad wide, written in 1.5-5 s.
    Normal,
    /// A single tap: very few samples with the tip down.
    Dot,
    /// One straight stroke across the pad.
    StraightLine,
    /// The person's signature scaled to under 5 % of the pad.
    TooSmall,
    /// The person's signature written in well under half a second.
    TooFast,
}

/// Generates the pen reports of one signing.
///
/// The result is deterministic in (`person_seed`, `attempt_seed`, `spec`): the same inputs
/// always give the same reports. The same `person_seed` with different `attempt_seed`s gives
/// signatures that resemble each other; different `person_seed`s give different designs.
///
/// The series starts with the pen hovering (in proximity, tip up), contains one or more
/// tip-down strokes linked by movements in the air, hovers again after the last lift and
/// ends with one report with `in_proximity == false`. `t_ms` never decreases and every
/// position lies within the pad. Any `spec` is accepted: a zero rate is treated as 1 Hz and
/// zero maxima give zero coordinates or pressures.
pub fn generate(person_seed: u64, attempt_seed: u64, spec: &SignatureSpec) -> Vec<PenReport> {
    let rate = spec.rate_hz.clamp(1, MAX_RATE_HZ);
    let mut person_rng = seeded(PERSON_TAG, person_seed, 0);
    let mut attempt_rng = seeded(ATTEMPT_TAG, person_seed, attempt_seed);
    let person = Person::design(&mut person_rng);
    let attempt = Attempt::draw(&mut attempt_rng);
    let pad = Pad {
        w: f64::from(spec.max_x),
        h: f64::from(spec.max_y),
    };
    let plan = match spec.style {
        Style::Normal | Style::TooSmall | Style::TooFast => {
            signature_plan(&person, &attempt, &mut attempt_rng, pad, spec.style)
        }
        Style::Dot => dot_plan(&person, &attempt, pad),
        Style::StraightLine => line_plan(&person, &attempt, pad),
    };
    let pieces = timeline(&plan, rate, pad);
    sample(&pieces, &plan, &person, &attempt, rate, spec)
}

// ---------------------------------------------------------------------------------------
// Small maths helpers.

/// A point or vector in the plane.
#[derive(Debug, Clone, Copy, PartialEq)]
struct V2 {
    x: f64,
    y: f64,
}

impl V2 {
    const fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }

    fn len(self) -> f64 {
        self.x.hypot(self.y)
    }

    fn perp(self) -> Self {
        Self::new(-self.y, self.x)
    }

    fn rotated(self, angle: f64) -> Self {
        let (s, c) = angle.sin_cos();
        Self::new(self.x * c - self.y * s, self.x * s + self.y * c)
    }
}

impl Add for V2 {
    type Output = V2;
    fn add(self, o: V2) -> V2 {
        V2::new(self.x + o.x, self.y + o.y)
    }
}

impl Sub for V2 {
    type Output = V2;
    fn sub(self, o: V2) -> V2 {
        V2::new(self.x - o.x, self.y - o.y)
    }
}

impl Mul<f64> for V2 {
    type Output = V2;
    fn mul(self, k: f64) -> V2 {
        V2::new(self.x * k, self.y * k)
    }
}

fn seeded(tag: u64, a: u64, b: u64) -> ChaCha8Rng {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&tag.to_le_bytes());
    seed[8..16].copy_from_slice(&a.to_le_bytes());
    seed[16..24].copy_from_slice(&b.to_le_bytes());
    ChaCha8Rng::from_seed(seed)
}

/// A standard normal deviate, clipped to ±3.
fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.gen::<f64>();
    let u2 = rng.gen::<f64>();
    ((-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()).clamp(-3.0, 3.0)
}

fn smoothstep(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

/// Minimum-jerk progress: position fraction at time fraction `u`.
fn min_jerk(u: f64) -> f64 {
    let u = u.clamp(0.0, 1.0);
    u * u * u * (10.0 - 15.0 * u + 6.0 * u * u)
}

fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    if total == 0 {
        return 0;
    }
    let mut r = rng.gen_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        if r < w {
            return i;
        }
        r -= w;
    }
    weights.len().saturating_sub(1)
}

// ---------------------------------------------------------------------------------------
// The alphabet: cursive letter templates.
//
// Via-points in x-height units, x to the right, y up, baseline at 0, x-height at 1,
// ascenders reach about 2.2 and descenders about -1.1; capitals are about 2.5 high. A
// lower-case letter is entered from the previous letter's exit (near the baseline at x = 0);
// its first via-point is the top of the entry up-stroke.

#[derive(Debug, Clone, Copy)]
enum Mark {
    None,
    /// An i-dot at the given point.
    Dot(f64, f64),
    /// A t-bar from the first point to the second.
    Bar(f64, f64, f64, f64),
}

#[derive(Debug)]
struct Glyph {
    pts: &'static [(f64, f64)],
    advance: f64,
    mark: Mark,
    weight: u32,
}

#[rustfmt::skip]
const LOWER: &[Glyph] = &[
    // a
    Glyph { advance: 1.0, mark: Mark::None, weight: 8, pts: &[
        (0.25, 0.55), (0.72, 0.95), (0.4, 1.0), (0.12, 0.62), (0.2, 0.12), (0.48, 0.1),
        (0.72, 0.7), (0.74, 1.0), (0.7, 0.3), (0.8, 0.02), (1.0, 0.18)
    ] },
    // c
    Glyph { advance: 0.95, mark: Mark::None, weight: 3, pts: &[
        (0.3, 0.6), (0.7, 0.9), (0.5, 1.0), (0.2, 0.7), (0.15, 0.3), (0.4, 0.0), (0.75, 0.1),
        (0.95, 0.25)
    ] },
    // d
    Glyph { advance: 1.02, mark: Mark::None, weight: 3, pts: &[
        (0.25, 0.55), (0.72, 0.95), (0.4, 1.0), (0.12, 0.62), (0.2, 0.12), (0.48, 0.1),
        (0.72, 0.7), (0.8, 1.9), (0.82, 2.15), (0.75, 1.2), (0.72, 0.3), (0.82, 0.02),
        (1.02, 0.18)
    ] },
    // e
    Glyph { advance: 0.85, mark: Mark::None, weight: 10, pts: &[
        (0.4, 0.35), (0.68, 0.72), (0.5, 1.0), (0.25, 0.75), (0.25, 0.25), (0.5, 0.0),
        (0.85, 0.2)
    ] },
    // g
    Glyph { advance: 0.95, mark: Mark::None, weight: 2, pts: &[
        (0.25, 0.55), (0.72, 0.95), (0.4, 1.0), (0.12, 0.62), (0.2, 0.12), (0.48, 0.1),
        (0.72, 0.7), (0.74, 1.0), (0.7, 0.0), (0.62, -0.8), (0.4, -1.1), (0.25, -0.85),
        (0.45, -0.35), (0.95, 0.15)
    ] },
    // h
    Glyph { advance: 1.1, mark: Mark::None, weight: 4, pts: &[
        (0.35, 0.6), (0.62, 1.6), (0.6, 2.2), (0.4, 2.15), (0.3, 1.4), (0.28, 0.0), (0.38, 0.6),
        (0.62, 0.98), (0.8, 0.7), (0.8, 0.15), (0.9, 0.0), (1.1, 0.18)
    ] },
    // i
    Glyph { advance: 0.6, mark: Mark::Dot(0.38, 1.55), weight: 7, pts: &[
        (0.2, 0.6), (0.32, 1.0), (0.28, 0.2), (0.4, 0.0), (0.6, 0.18)
    ] },
    // k
    Glyph { advance: 1.05, mark: Mark::None, weight: 1, pts: &[
        (0.35, 0.6), (0.62, 1.6), (0.6, 2.2), (0.4, 2.15), (0.3, 1.4), (0.28, 0.0), (0.35, 0.6),
        (0.7, 1.0), (0.75, 0.75), (0.4, 0.55), (0.75, 0.3), (0.85, 0.0), (1.05, 0.15)
    ] },
    // l
    Glyph { advance: 0.75, mark: Mark::None, weight: 5, pts: &[
        (0.4, 0.7), (0.68, 1.7), (0.62, 2.25), (0.42, 2.15), (0.35, 1.3), (0.38, 0.3),
        (0.5, 0.0), (0.75, 0.15)
    ] },
    // m
    Glyph { advance: 1.25, mark: Mark::None, weight: 3, pts: &[
        (0.15, 0.6), (0.25, 0.98), (0.22, 0.0), (0.3, 0.65), (0.48, 0.98), (0.6, 0.7),
        (0.58, 0.0), (0.66, 0.65), (0.85, 0.98), (1.0, 0.7), (0.98, 0.15), (1.08, 0.0),
        (1.25, 0.15)
    ] },
    // n
    Glyph { advance: 0.95, mark: Mark::None, weight: 7, pts: &[
        (0.15, 0.6), (0.25, 0.98), (0.22, 0.0), (0.32, 0.65), (0.52, 0.98), (0.7, 0.7),
        (0.68, 0.15), (0.78, 0.0), (0.95, 0.15)
    ] },
    // o
    Glyph { advance: 0.95, mark: Mark::None, weight: 7, pts: &[
        (0.3, 0.6), (0.55, 1.0), (0.25, 0.85), (0.15, 0.35), (0.38, 0.0), (0.65, 0.35),
        (0.6, 0.85), (0.5, 0.95), (0.75, 0.9), (0.95, 0.85)
    ] },
    // r
    Glyph { advance: 0.8, mark: Mark::None, weight: 6, pts: &[
        (0.2, 0.65), (0.35, 1.05), (0.5, 0.88), (0.65, 0.92), (0.58, 0.4), (0.6, 0.05),
        (0.8, 0.15)
    ] },
    // s
    Glyph { advance: 0.8, mark: Mark::None, weight: 6, pts: &[
        (0.3, 0.6), (0.4, 1.05), (0.62, 0.55), (0.6, 0.12), (0.35, 0.0), (0.2, 0.15),
        (0.55, 0.1), (0.8, 0.2)
    ] },
    // t
    Glyph { advance: 0.7, mark: Mark::Bar(0.05, 1.1, 0.75, 1.15), weight: 6, pts: &[
        (0.3, 0.7), (0.4, 1.8), (0.35, 1.0), (0.32, 0.2), (0.45, 0.0), (0.7, 0.18)
    ] },
    // u
    Glyph { advance: 0.95, mark: Mark::None, weight: 4, pts: &[
        (0.15, 0.65), (0.22, 0.98), (0.2, 0.3), (0.35, 0.0), (0.58, 0.3), (0.68, 0.98),
        (0.66, 0.25), (0.78, 0.0), (0.95, 0.15)
    ] },
    // v
    Glyph { advance: 0.9, mark: Mark::None, weight: 1, pts: &[
        (0.15, 0.65), (0.25, 0.98), (0.4, 0.3), (0.5, 0.0), (0.62, 0.5), (0.75, 0.95),
        (0.6, 0.85), (0.9, 0.85)
    ] },
    // y
    Glyph { advance: 0.95, mark: Mark::None, weight: 2, pts: &[
        (0.15, 0.65), (0.22, 0.98), (0.2, 0.3), (0.35, 0.0), (0.58, 0.3), (0.68, 0.98),
        (0.66, 0.0), (0.58, -0.8), (0.38, -1.1), (0.25, -0.85), (0.45, -0.35), (0.95, 0.15)
    ] },
    // b
    Glyph { advance: 0.95, mark: Mark::None, weight: 1, pts: &[
        (0.35, 0.6), (0.62, 1.6), (0.6, 2.2), (0.4, 2.15), (0.3, 1.4), (0.28, 0.1), (0.45, 0.0),
        (0.7, 0.35), (0.62, 0.85), (0.45, 0.8), (0.7, 0.75), (0.95, 0.8)
    ] },
];

#[rustfmt::skip]
const UPPER: &[Glyph] = &[
    // A
    Glyph { advance: 1.35, mark: Mark::None, weight: 1, pts: &[
        (1.0, 2.3), (0.6, 2.5), (0.15, 1.6), (0.1, 0.4), (0.4, 0.1), (0.85, 1.0), (1.05, 2.5),
        (1.0, 1.0), (1.1, 0.05), (1.35, 0.2)
    ] },
    // B
    Glyph { advance: 1.3, mark: Mark::None, weight: 1, pts: &[
        (0.2, 0.0), (0.35, 1.4), (0.45, 2.5), (0.3, 2.2), (0.6, 2.55), (1.05, 2.3), (1.0, 1.6),
        (0.45, 1.35), (1.15, 1.0), (1.1, 0.25), (0.5, 0.0), (0.3, 0.2), (0.8, 0.25), (1.3, 0.2)
    ] },
    // C
    Glyph { advance: 1.2, mark: Mark::None, weight: 1, pts: &[
        (0.9, 2.1), (1.05, 2.45), (0.7, 2.6), (0.25, 2.1), (0.0, 1.2), (0.15, 0.3), (0.55, 0.0),
        (1.1, 0.3)
    ] },
    // E
    Glyph { advance: 1.05, mark: Mark::None, weight: 1, pts: &[
        (0.85, 2.2), (0.6, 2.6), (0.25, 2.3), (0.4, 1.6), (0.65, 1.5), (0.25, 1.35), (0.0, 0.8),
        (0.15, 0.15), (0.55, 0.0), (1.0, 0.3)
    ] },
    // G
    Glyph { advance: 1.25, mark: Mark::None, weight: 1, pts: &[
        (0.9, 2.1), (1.05, 2.45), (0.7, 2.6), (0.25, 2.1), (0.0, 1.2), (0.15, 0.3), (0.55, 0.0),
        (0.95, 0.6), (0.95, -0.7), (0.7, -1.2), (0.45, -0.9), (0.7, -0.3), (1.2, 0.2)
    ] },
    // J
    Glyph { advance: 1.1, mark: Mark::None, weight: 1, pts: &[
        (0.4, 2.0), (0.8, 2.5), (1.1, 2.55), (0.85, 1.8), (0.65, 0.4), (0.45, -0.9),
        (0.15, -1.0), (0.1, -0.6), (0.5, 0.0), (1.0, 0.3)
    ] },
    // L
    Glyph { advance: 1.2, mark: Mark::None, weight: 1, pts: &[
        (0.75, 1.7), (1.05, 2.5), (0.8, 2.65), (0.55, 2.2), (0.45, 1.2), (0.3, 0.3), (0.05, 0.0),
        (0.0, 0.25), (0.35, 0.1), (0.8, 0.0), (1.2, 0.2)
    ] },
    // M
    Glyph { advance: 1.6, mark: Mark::None, weight: 1, pts: &[
        (0.0, 1.8), (0.25, 2.45), (0.32, 1.2), (0.28, 0.0), (0.45, 1.7), (0.65, 2.4),
        (0.78, 1.4), (0.75, 0.0), (0.95, 1.6), (1.15, 2.35), (1.28, 1.4), (1.25, 0.2),
        (1.38, 0.0), (1.6, 0.2)
    ] },
    // N
    Glyph { advance: 1.35, mark: Mark::None, weight: 1, pts: &[
        (0.0, 1.8), (0.28, 2.45), (0.32, 1.2), (0.28, 0.0), (0.48, 1.6), (0.78, 2.4),
        (0.98, 1.6), (0.98, 0.2), (1.12, 0.0), (1.35, 0.2)
    ] },
    // R
    Glyph { advance: 1.35, mark: Mark::None, weight: 1, pts: &[
        (0.2, 0.0), (0.35, 1.4), (0.45, 2.5), (0.3, 2.2), (0.6, 2.55), (1.05, 2.3), (1.0, 1.6),
        (0.4, 1.3), (0.8, 1.0), (1.05, 0.2), (1.2, 0.0), (1.35, 0.15)
    ] },
    // S
    Glyph { advance: 1.15, mark: Mark::None, weight: 1, pts: &[
        (0.0, 0.4), (0.6, 1.4), (1.0, 2.3), (0.9, 2.6), (0.55, 2.3), (0.6, 1.5), (0.95, 0.8),
        (0.8, 0.15), (0.4, 0.0), (0.05, 0.2), (0.6, 0.35), (1.1, 0.3)
    ] },
];

// ---------------------------------------------------------------------------------------
// The person: design and habits, fixed by `person_seed`.

#[derive(Debug, Clone, Copy)]
struct Hand {
    width: f64,
    ascender: f64,
    descender: f64,
    capital: f64,
    idiosyncrasy: f64,
    flatten: f64,
    spacing: f64,
}

#[derive(Debug, Clone)]
struct Person {
    /// Via-points of each pen-down stroke, x-height units, y up, slant applied.
    strokes: Vec<Vec<V2>>,
    /// Fraction of the pad width the signature spans.
    width_frac: f64,
    /// Fraction of the pad width a too-small signature spans.
    small_frac: f64,
    /// Offset of the signature's centre from the pad's centre, fractions of the pad.
    offset: V2,
    /// Mean pen-down speed in mm/s.
    mean_speed: f64,
    /// Speed-profile smoothing length in x-heights.
    smoothing: f64,
    /// Peak pressure as a fraction of the pad's range.
    pressure_peak: f64,
    /// How much heavier down-strokes are.
    pressure_emphasis: f64,
    /// Pressure rise and fall times in seconds.
    pressure_rise: f64,
    pressure_fall: f64,
    /// Direction the pen approaches from (radians, pad coordinates, y down).
    approach_angle: f64,
    /// Sideways bulge of movements in the air, fraction of their length.
    air_bulge: f64,
    /// Angle of a straight line the person draws (radians).
    line_angle: f64,
    /// Length of that line as a fraction of the pad width.
    line_frac: f64,
    /// Duration of that line in seconds.
    line_time: f64,
    /// Duration of a tap in seconds.
    tap_time: f64,
}

/// Letters of one word with their place on the line.
struct WordOut {
    /// The capital's via-points when written as its own stroke, else empty.
    capital: Vec<V2>,
    /// The rest of the word (or the whole word when the capital is attached).
    body: Vec<V2>,
    /// i-dots, t-bars and the like, each a short stroke.
    marks: Vec<Vec<V2>>,
    x_start: f64,
    x_end: f64,
}

impl Person {
    fn design(rng: &mut ChaCha8Rng) -> Person {
        let slant = (0.2 + 0.15 * gauss(rng)).clamp(-0.2, 0.55);
        let hand = Hand {
            width: rng.gen_range(0.75..1.2),
            ascender: rng.gen_range(1.7..2.5),
            descender: rng.gen_range(0.75..1.2),
            capital: rng.gen_range(2.0..3.0),
            idiosyncrasy: rng.gen_range(0.03..0.08),
            flatten: if rng.gen_bool(0.45) {
                rng.gen_range(0.3..0.8)
            } else {
                0.0
            },
            spacing: rng.gen_range(0.0..0.15),
        };
        let rotation = (0.03 + 0.04 * gauss(rng)).clamp(-0.08, 0.12);
        let n_target = 1 + pick_weighted(rng, &[30, 35, 22, 13]);
        let two_words = n_target >= 2 && rng.gen_bool(0.7);
        let initial_only = two_words && rng.gen_bool(0.25);
        let detach = [rng.gen_bool(0.25), rng.gen_bool(0.2)];
        let flourish = pick_weighted(rng, &[5, 3, 2]); // none, connected, underline

        let mut words = Vec::new();
        let n1 = if initial_only {
            0
        } else {
            rng.gen_range(2..=6)
        };
        let w1 = build_word(rng, &hand, n1, 0.0, 0.0, detach[0] && n1 > 0);
        let mut x_next = w1.x_end + rng.gen_range(0.6..1.3);
        words.push(w1);
        if two_words {
            let n2 = rng.gen_range(3..=7);
            let base = 0.25 * gauss(rng);
            if initial_only {
                x_next = words[0].x_end + rng.gen_range(0.8..1.4);
            }
            words.push(build_word(rng, &hand, n2, x_next, base, detach[1]));
        }
        let x_first = words.first().map_or(0.0, |w| w.x_start);
        let x_last = words.last().map_or(1.0, |w| w.x_end);

        // A connected flourish: swing from the last letter back under the name.
        if flourish == 1 {
            if let Some(last) = words.last_mut() {
                if let Some(&e) = last.body.last() {
                    let span = (e.x - x_first).max(1.0);
                    let depth = rng.gen_range(0.8..1.3);
                    last.body.extend_from_slice(&[
                        V2::new(e.x + 0.45, e.y + 0.7),
                        V2::new(e.x + 0.6, e.y),
                        V2::new(e.x + 0.2, -0.6 * depth),
                        V2::new(e.x - 0.4 * span, -depth),
                        V2::new(x_first + rng.gen_range(0.1..0.4) * span, -0.9 * depth),
                        V2::new(x_first + rng.gen_range(0.0..0.1) * span, -0.6 * depth),
                    ]);
                }
            }
        }

        // Strokes in writing order; extras only while the stroke budget allows.
        let mut base_count = 0;
        for w in &words {
            base_count += 1 + usize::from(!w.capital.is_empty());
        }
        let mut budget = n_target.saturating_sub(base_count);
        let want_underline = flourish == 2 && budget > 0;
        if want_underline {
            budget -= 1;
        }
        let mut strokes: Vec<Vec<V2>> = Vec::new();
        for w in &words {
            if !w.capital.is_empty() {
                strokes.push(w.capital.clone());
            }
            strokes.push(w.body.clone());
            for m in &w.marks {
                if budget > 0 {
                    strokes.push(m.clone());
                    budget -= 1;
                }
            }
        }
        if want_underline {
            let span = x_last - x_first;
            let y = -rng.gen_range(1.2..1.6);
            let mut line = vec![
                V2::new(x_first - 0.3, y),
                V2::new(x_first + 0.35 * span, y - 0.15),
                V2::new(x_first + 0.75 * span, y - 0.05),
                V2::new(x_last + rng.gen_range(0.1..0.6), y + 0.3),
            ];
            for p in &mut line {
                p.y += 0.05 * gauss(rng);
            }
            strokes.push(line);
        }
        strokes.truncate(4);

        // Slant and baseline rotation.
        for s in &mut strokes {
            for p in s.iter_mut() {
                *p = V2::new(p.x + slant * p.y, p.y).rotated(rotation);
            }
        }

        Person {
            strokes,
            width_frac: rng.gen_range(0.56..0.74),
            small_frac: rng.gen_range(0.025..0.04),
            offset: V2::new(0.04 * gauss(rng), 0.05 * gauss(rng)) * (1.0 / 3.0),
            mean_speed: rng.gen_range(80.0..130.0),
            smoothing: rng.gen_range(0.04..0.1),
            pressure_peak: rng.gen_range(0.5..0.72),
            pressure_emphasis: rng.gen_range(0.1..0.35),
            pressure_rise: rng.gen_range(0.02..0.05),
            pressure_fall: rng.gen_range(0.025..0.06),
            approach_angle: rng.gen_range(0.2..1.2),
            air_bulge: rng.gen_range(-0.15..0.15),
            line_angle: 0.04 * gauss(rng),
            line_frac: rng.gen_range(0.5..0.75),
            line_time: rng.gen_range(0.45..0.9),
            tap_time: rng.gen_range(0.012..0.025),
        }
    }
}

fn build_word(
    rng: &mut ChaCha8Rng,
    hand: &Hand,
    n_lower: usize,
    x0: f64,
    base: f64,
    detach_capital: bool,
) -> WordOut {
    let upper_weights: Vec<u32> = UPPER.iter().map(|g| g.weight).collect();
    let lower_weights: Vec<u32> = LOWER.iter().map(|g| g.weight).collect();
    let cap = &UPPER[pick_weighted(rng, &upper_weights).min(UPPER.len() - 1)];
    let mut x = x0;
    let jitter = |rng: &mut ChaCha8Rng| V2::new(gauss(rng), gauss(rng)) * hand.idiosyncrasy;

    let mut capital = Vec::new();
    let cw = hand.width.sqrt() * rng.gen_range(0.9..1.1);
    let ch = hand.capital / 2.5 * rng.gen_range(0.92..1.08);
    for &(px, py) in cap.pts {
        capital.push(V2::new(x + px * cw, base + py * ch) + jitter(rng));
    }
    x += cap.advance * cw + hand.spacing;
    let mut marks = Vec::new();
    if n_lower == 0 {
        // A lone initial, often followed by a full stop.
        if rng.gen_bool(0.6) {
            let p = V2::new(x + 0.15, base + 0.05);
            marks.push(vec![p, p + V2::new(0.06, -0.02)]);
        }
        return WordOut {
            capital: Vec::new(),
            body: capital,
            marks,
            x_start: x0,
            x_end: x,
        };
    }
    let mut body = Vec::new();
    if detach_capital {
        x += rng.gen_range(0.15..0.4);
    } else {
        body.append(&mut capital);
    }
    for i in 0..n_lower {
        let g = &LOWER[pick_weighted(rng, &lower_weights).min(LOWER.len() - 1)];
        let ws = hand.width * rng.gen_range(0.9..1.1);
        let hs = rng.gen_range(0.9..1.1);
        let progress = (i as f64 + 0.5) / n_lower as f64;
        let squash = 1.0 - hand.flatten * progress;
        let shape_y = |py: f64| {
            let y = if py > 1.0 {
                1.0 + (py - 1.0) * (hand.ascender - 1.0) / 1.2
            } else if py < 0.0 {
                py * hand.descender
            } else {
                py
            };
            base + 0.5 + (y * hs - 0.5) * squash
        };
        for &(px, py) in g.pts {
            body.push(V2::new(x + px * ws, shape_y(py)) + jitter(rng));
        }
        match g.mark {
            Mark::None => {}
            Mark::Dot(mx, my) => {
                let p = V2::new(x + mx * ws, shape_y(my)) + jitter(rng);
                marks.push(vec![p, p + V2::new(0.07, 0.03)]);
            }
            Mark::Bar(ax, ay, bx, by) => {
                let a = V2::new(x + ax * ws, shape_y(ay)) + jitter(rng);
                let b = V2::new(x + bx * ws, shape_y(by)) + jitter(rng);
                marks.push(vec![a, (a + b) * 0.5 + V2::new(0.0, 0.04), b]);
            }
        }
        x += g.advance * ws + hand.spacing;
    }
    WordOut {
        capital,
        body,
        marks,
        x_start: x0,
        x_end: x,
    }
}

// ---------------------------------------------------------------------------------------
// The attempt: what varies from one signing to the next.

#[derive(Debug, Clone, Copy)]
struct Attempt {
    shear: f64,
    rotation: f64,
    scale: f64,
    offset: V2,
    wobble_x: (f64, f64, f64),
    wobble_y: (f64, f64, f64),
    point_jitter: f64,
    tempo: f64,
    speed_wave: (f64, f64, f64),
    pressure: f64,
    hover_in: f64,
    hover_out: f64,
    air: f64,
    approach: f64,
    line: f64,
}

impl Attempt {
    fn draw(rng: &mut ChaCha8Rng) -> Attempt {
        Attempt {
            shear: 0.04 * gauss(rng),
            rotation: 0.02 * gauss(rng),
            scale: (1.0 + 0.03 * gauss(rng)).clamp(0.92, 1.08),
            offset: V2::new(0.012 * gauss(rng), 0.015 * gauss(rng)),
            wobble_x: (
                0.07 * gauss(rng),
                rng.gen_range(3.0..6.0),
                rng.gen_range(0.0..TAU),
            ),
            wobble_y: (
                0.06 * gauss(rng),
                rng.gen_range(4.0..9.0),
                rng.gen_range(0.0..TAU),
            ),
            point_jitter: rng.gen_range(0.03..0.05),
            tempo: (1.0 + 0.08 * gauss(rng)).clamp(0.82, 1.18),
            speed_wave: (
                rng.gen_range(0.04..0.1),
                rng.gen_range(2.0..5.0),
                rng.gen_range(0.0..TAU),
            ),
            pressure: (1.0 + 0.04 * gauss(rng)).clamp(0.9, 1.1),
            hover_in: rng.gen_range(0.12..0.3),
            hover_out: rng.gen_range(0.1..0.25),
            air: (1.0 + 0.08 * gauss(rng)).clamp(0.85, 1.15),
            approach: 0.2 * gauss(rng),
            line: 0.02 * gauss(rng),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Plans: strokes with their timing, before sampling.

#[derive(Debug, Clone, Copy)]
struct Pad {
    w: f64,
    h: f64,
}

impl Pad {
    fn clamp(self, p: V2) -> V2 {
        V2::new(p.x.clamp(0.0, self.w), p.y.clamp(0.0, self.h))
    }
}

/// How the pen moves during one piece of the timeline.
#[derive(Debug, Clone)]
enum Path {
    /// Along a quadratic Bézier curve from `a` to `b` via control `c`, minimum-jerk timing.
    Jerk { a: V2, c: V2, b: V2 },
    /// Through `p[i]` at relative time `t[i]` (ascending, starting at 0).
    Table { t: Vec<f64>, p: Vec<V2> },
}

impl Path {
    fn straight(a: V2, b: V2) -> Path {
        Path::Jerk {
            a,
            c: (a + b) * 0.5,
            b,
        }
    }

    /// Position at fraction `u` (0..=1) of the piece's duration.
    fn at(&self, u: f64) -> V2 {
        let u = if u.is_finite() {
            u.clamp(0.0, 1.0)
        } else {
            1.0
        };
        match self {
            Path::Jerk { a, c, b } => {
                let s = min_jerk(u);
                *a * ((1.0 - s) * (1.0 - s)) + *c * (2.0 * s * (1.0 - s)) + *b * (s * s)
            }
            Path::Table { t, p } => {
                let (Some(&t_end), Some(&last), Some(&first)) = (t.last(), p.last(), p.first())
                else {
                    return V2::new(0.0, 0.0);
                };
                let target = u * t_end;
                let i = t.partition_point(|&x| x <= target);
                if i == 0 {
                    return first;
                }
                if i >= t.len() || i >= p.len() {
                    return last;
                }
                let (t0, t1) = (t[i - 1], t[i]);
                let f = if t1 > t0 {
                    (target - t0) / (t1 - t0)
                } else {
                    1.0
                };
                p[i - 1] + (p[i] - p[i - 1]) * f
            }
        }
    }
}

/// A signing before it is put on a clock: strokes and the pauses around them.
#[derive(Debug, Clone)]
struct Plan {
    /// Pen-down strokes with their durations in seconds.
    strokes: Vec<(Path, f64)>,
    /// Durations of the movements in the air between consecutive strokes, seconds.
    airs: Vec<f64>,
    hover_in: f64,
    hover_out: f64,
    /// Where the hover before the first touch starts, relative to the first touch.
    approach: V2,
    /// Where the hover after the last lift ends, relative to the lift.
    depart: V2,
    air_bulge: f64,
}

fn air_time(a: V2, b: V2, attempt: &Attempt) -> f64 {
    let d_mm = (b - a).len() / UNITS_PER_MM;
    ((0.09 + d_mm / 350.0) * attempt.air).clamp(0.1, 0.4)
}

fn hover_vectors(person: &Person, attempt: &Attempt, pad: Pad, scale: f64) -> (V2, V2) {
    let mm = UNITS_PER_MM * scale;
    let angle = person.approach_angle + attempt.approach;
    let approach = V2::new(angle.cos(), angle.sin()) * (6.0 * mm);
    let depart = V2::new(0.8, -0.6) * (5.0 * mm);
    // Never wander off a tiny pad.
    let cap = 0.1 * pad.w.min(pad.h);
    let limit = |v: V2| {
        let l = v.len();
        if l > cap && l > 0.0 {
            v * (cap / l)
        } else {
            v
        }
    };
    (limit(approach), limit(depart))
}

fn dot_plan(person: &Person, attempt: &Attempt, pad: Pad) -> Plan {
    let centre = V2::new(
        pad.w * (0.5 + person.offset.x + attempt.offset.x),
        pad.h * (0.5 + person.offset.y + attempt.offset.y),
    );
    let drift = V2::new(0.15, 0.1) * (UNITS_PER_MM * 0.2);
    let a = pad.clamp(centre);
    let b = pad.clamp(centre + drift);
    let (approach, depart) = hover_vectors(person, attempt, pad, 1.0);
    Plan {
        strokes: vec![(Path::straight(a, b), person.tap_time * attempt.tempo)],
        airs: Vec::new(),
        hover_in: attempt.hover_in,
        hover_out: attempt.hover_out,
        approach,
        depart,
        air_bulge: person.air_bulge,
    }
}

fn line_plan(person: &Person, attempt: &Attempt, pad: Pad) -> Plan {
    let centre = V2::new(
        pad.w * (0.5 + person.offset.x + attempt.offset.x),
        pad.h * (0.5 + person.offset.y + attempt.offset.y),
    );
    let half = pad.w * person.line_frac * attempt.scale * 0.5;
    let angle = person.line_angle + attempt.line;
    let dir = V2::new(angle.cos(), angle.sin());
    let a = pad.clamp(centre - dir * half);
    let b = pad.clamp(centre + dir * half);
    let (approach, depart) = hover_vectors(person, attempt, pad, 1.0);
    Plan {
        strokes: vec![(Path::straight(a, b), person.line_time * attempt.tempo)],
        airs: Vec::new(),
        hover_in: attempt.hover_in,
        hover_out: attempt.hover_out,
        approach,
        depart,
        air_bulge: person.air_bulge,
    }
}

/// Centripetal Catmull-Rom spline through `pts`, `per` samples per segment.
fn catmull_rom(pts: &[V2], per: usize) -> Vec<V2> {
    let mut clean: Vec<V2> = Vec::with_capacity(pts.len());
    for &p in pts {
        if clean.last().is_none_or(|&q| (p - q).len() > 1e-6) {
            clean.push(p);
        }
    }
    if clean.len() < 2 {
        return clean;
    }
    let n = clean.len();
    let get = |i: isize| -> V2 {
        if i < 0 {
            clean[0] * 2.0 - clean[1]
        } else if i as usize >= n {
            clean[n - 1] * 2.0 - clean[n - 2]
        } else {
            clean[i as usize]
        }
    };
    let knot = |a: V2, b: V2| (b - a).len().sqrt().max(1e-6);
    let mut out = Vec::with_capacity((n - 1) * per + 1);
    for seg in 0..n - 1 {
        let i = seg as isize;
        let (p0, p1, p2, p3) = (get(i - 1), get(i), get(i + 1), get(i + 2));
        let t0 = 0.0;
        let t1 = t0 + knot(p0, p1);
        let t2 = t1 + knot(p1, p2);
        let t3 = t2 + knot(p2, p3);
        for k in 0..per {
            let t = t1 + (t2 - t1) * (k as f64 / per as f64);
            let a1 = p0 * ((t1 - t) / (t1 - t0)) + p1 * ((t - t0) / (t1 - t0));
            let a2 = p1 * ((t2 - t) / (t2 - t1)) + p2 * ((t - t1) / (t2 - t1));
            let a3 = p2 * ((t3 - t) / (t3 - t2)) + p3 * ((t - t2) / (t3 - t2));
            let b1 = a1 * ((t2 - t) / (t2 - t0)) + a2 * ((t - t0) / (t2 - t0));
            let b2 = a2 * ((t3 - t) / (t3 - t1)) + a3 * ((t - t1) / (t3 - t1));
            out.push(b1 * ((t2 - t) / (t2 - t1)) + b2 * ((t - t1) / (t2 - t1)));
        }
    }
    out.push(clean[n - 1]);
    out
}

/// Resamples a polyline at equal arc-length steps of about `ds`.
fn resample(poly: &[V2], ds: f64) -> Vec<V2> {
    let mut cum = Vec::with_capacity(poly.len());
    let mut total = 0.0;
    for (i, &p) in poly.iter().enumerate() {
        if i > 0 {
            total += (p - poly[i - 1]).len();
        }
        cum.push(total);
    }
    let (Some(&first), Some(&last)) = (poly.first(), poly.last()) else {
        return Vec::new();
    };
    if total <= 0.0 || ds <= 0.0 {
        return vec![first, last];
    }
    let n = ((total / ds).ceil() as usize).clamp(2, 50_000);
    let mut out = Vec::with_capacity(n + 1);
    let mut j = 0;
    for k in 0..=n {
        let s = total * k as f64 / n as f64;
        while j + 2 < poly.len() && cum[j + 1] < s {
            j += 1;
        }
        let seg = cum[j + 1] - cum[j];
        let f = if seg > 0.0 { (s - cum[j]) / seg } else { 0.0 };
        out.push(poly[j] + (poly[j + 1] - poly[j]) * f.clamp(0.0, 1.0));
    }
    out
}

/// Relative time at every point of an evenly resampled stroke (x-height units).
///
/// The stroke is cut into movement units at its sharp turns; within each unit speed follows
/// a bell (peaking mid-unit, faster for longer units), modulated by the two-thirds power law
/// (speed proportional to the cube root of the radius of curvature), smoothed, and slowed
/// near touch-down and lift.
fn stroke_times(pts: &[V2], ds: f64, smoothing: f64, wave: (f64, f64, f64)) -> Vec<f64> {
    let n = pts.len();
    if n < 2 {
        return vec![0.0; n];
    }
    let length = ds * (n - 1) as f64;
    let k = ((0.1 / ds).round() as usize).max(1);
    let mut curvature = Vec::with_capacity(n);
    for j in 0..n {
        let a = pts[(j + k).min(n - 1)] - pts[j];
        let b = pts[j] - pts[j.saturating_sub(k)];
        let (la, lb) = (a.len(), b.len());
        curvature.push(if la > 0.0 && lb > 0.0 {
            let turn = (b.x * a.y - b.y * a.x).atan2(b.x * a.x + b.y * a.y);
            turn.abs() / (0.5 * (la + lb))
        } else {
            0.0
        });
    }

    // Movement units: split at sharp turns (radius under 0.35 x-heights), at least 0.25
    // x-heights apart.
    let mut candidates: Vec<usize> = (1..n - 1)
        .filter(|&j| {
            curvature[j] > 1.0 / 0.35
                && curvature[j] >= curvature[j - 1]
                && curvature[j] > curvature[j + 1]
        })
        .collect();
    candidates.sort_by(|&a, &b| curvature[b].total_cmp(&curvature[a]).then(a.cmp(&b)));
    let min_gap = ((0.25 / ds).round() as usize).max(1);
    let mut cuts: Vec<usize> = vec![0, n - 1];
    for c in candidates {
        if cuts.iter().all(|&q| q.abs_diff(c) >= min_gap) {
            cuts.push(c);
        }
    }
    cuts.sort_unstable();
    let mut bell = vec![0.5; n];
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b <= a {
            continue;
        }
        let unit = ds * (b - a) as f64;
        let peak = unit.powf(0.35).clamp(0.6, 1.5);
        for (j, v) in bell.iter_mut().enumerate().take(b + 1).skip(a) {
            let u = (j - a) as f64 / (b - a) as f64;
            *v = 0.45 + (peak - 0.45) * (std::f64::consts::PI * u).sin();
        }
    }

    let mut speed = Vec::with_capacity(n);
    for j in 0..n {
        let radius = if curvature[j] > 0.0 {
            1.0 / curvature[j]
        } else {
            f64::INFINITY
        };
        // Soft saturation for nearly straight paths.
        let r = radius.max(0.02);
        let r = if r.is_finite() {
            r / (1.0 + r / 1.5)
        } else {
            1.5
        };
        speed.push(r.cbrt() * bell[j]);
    }
    // Moving average over about `smoothing` x-heights.
    let w = ((smoothing / ds).round() as usize).max(1);
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0);
    for &v in &speed {
        let last = prefix.last().copied().unwrap_or(0.0);
        prefix.push(last + v);
    }
    let ramp = (0.4f64).min(0.5 * length).max(1e-9);
    let (amp, lambda, phase) = wave;
    let mut t = Vec::with_capacity(n);
    let mut now = 0.0;
    let mut prev_v = 0.0;
    for j in 0..n {
        let lo = j.saturating_sub(w);
        let hi = (j + w + 1).min(n);
        let mut v = (prefix[hi] - prefix[lo]) / (hi - lo) as f64;
        let s = ds * j as f64;
        let edge = s.min(length - s);
        v *= 0.15 + 0.85 * smoothstep(edge / ramp);
        v *= 1.0 + amp * (TAU * s / lambda + phase).sin();
        let v = v.max(1e-3);
        if j > 0 {
            now += 2.0 * ds / (v + prev_v);
        }
        prev_v = v;
        t.push(now);
    }
    t
}

fn signature_plan(
    person: &Person,
    attempt: &Attempt,
    rng: &mut ChaCha8Rng,
    pad: Pad,
    style: Style,
) -> Plan {
    // Attempt variation of the design, in x-height units.
    let (wx_a, wx_l, wx_p) = attempt.wobble_x;
    let (wy_a, wy_l, wy_p) = attempt.wobble_y;
    let mut dense: Vec<Vec<V2>> = Vec::with_capacity(person.strokes.len());
    for stroke in &person.strokes {
        let via: Vec<V2> = stroke
            .iter()
            .map(|&p| {
                let d = V2::new(
                    wx_a * (TAU * p.x / wx_l + wx_p).sin(),
                    wy_a * (TAU * p.x / wy_l + wy_p).sin(),
                );
                let j = V2::new(gauss(rng), gauss(rng)) * attempt.point_jitter;
                let q = p + d + j;
                V2::new(q.x + attempt.shear * q.y, q.y).rotated(attempt.rotation)
            })
            .collect();
        dense.push(resample(&catmull_rom(&via, 16), 0.02));
    }

    // Fit onto the pad.
    let mut lo = V2::new(f64::INFINITY, f64::INFINITY);
    let mut hi = V2::new(f64::NEG_INFINITY, f64::NEG_INFINITY);
    for p in dense.iter().flatten() {
        lo = V2::new(lo.x.min(p.x), lo.y.min(p.y));
        hi = V2::new(hi.x.max(p.x), hi.y.max(p.y));
    }
    if !lo.x.is_finite() || !hi.x.is_finite() {
        lo = V2::new(0.0, 0.0);
        hi = V2::new(1.0, 1.0);
    }
    let bw = (hi.x - lo.x).max(1e-6);
    let bh = (hi.y - lo.y).max(1e-6);
    let sx = (person.width_frac * attempt.scale).clamp(0.5, 0.8) * pad.w / bw;
    let sy = (sx * bh).clamp(0.2 * pad.h, 0.5 * pad.h) / bh;
    let (sx, sy) = if style == Style::TooSmall {
        // The same signature shrunk to a few per cent of the pad.
        let width = person.small_frac * attempt.scale * pad.w;
        let f = (width / (sx * bw)).min(0.04 * pad.h / (sy * bh));
        let f = if f.is_finite() {
            f.clamp(0.0, 1.0)
        } else {
            0.0
        };
        (sx * f, sy * f)
    } else {
        (sx, sy)
    };
    let mid = (lo + hi) * 0.5;
    let centre = V2::new(
        pad.w * (0.5 + person.offset.x + attempt.offset.x),
        pad.h * (0.5 + person.offset.y + attempt.offset.y),
    );
    let to_pad = |p: V2| {
        pad.clamp(V2::new(
            centre.x + (p.x - mid.x) * sx,
            centre.y - (p.y - mid.y) * sy,
        ))
    };

    // Kinematics in design units, then put on the clock.
    let mut tables: Vec<(Vec<f64>, Vec<V2>)> = Vec::with_capacity(dense.len());
    let mut length_mm = 0.0;
    for stroke in &dense {
        let t = stroke_times(stroke, 0.02, person.smoothing, attempt.speed_wave);
        let p: Vec<V2> = stroke.iter().map(|&q| to_pad(q)).collect();
        length_mm += p.windows(2).map(|w| (w[1] - w[0]).len()).sum::<f64>() / UNITS_PER_MM;
        tables.push((t, p));
    }
    let ends: Vec<(V2, V2)> = tables
        .iter()
        .map(|(_, p)| {
            let first = p.first().copied().unwrap_or(centre);
            let last = p.last().copied().unwrap_or(first);
            (first, last)
        })
        .collect();
    let mut airs: Vec<f64> = ends
        .windows(2)
        .map(|w| air_time(w[0].1, w[1].0, attempt))
        .collect();
    let (mut hover_in, mut hover_out) = (attempt.hover_in, attempt.hover_out);
    let (down, min_stroke) = match style {
        Style::TooFast => {
            for a in &mut airs {
                *a = (*a * 0.1).clamp(0.012, 0.025);
            }
            hover_in = (hover_in * 0.15).clamp(0.018, 0.03);
            hover_out = (hover_out * 0.15).clamp(0.015, 0.03);
            ((0.17 * attempt.tempo).clamp(0.14, 0.2), 0.008)
        }
        _ => {
            let air_total: f64 = airs.iter().sum();
            // The person's habitual pace, kept within a plausible writing time, then this
            // attempt's tempo (still keeping the whole signing within 1.5-5 s).
            let habitual = (length_mm / person.mean_speed).clamp(1.9 - air_total, 4.3 - air_total);
            let down = (habitual * attempt.tempo).clamp(1.6 - air_total, 4.7 - air_total);
            (down, 0.05)
        }
    };
    let rel_total: f64 = tables
        .iter()
        .map(|(t, _)| t.last().copied().unwrap_or(0.0))
        .sum();
    let per_unit = if rel_total > 0.0 {
        down / rel_total
    } else {
        0.0
    };
    let strokes = tables
        .into_iter()
        .map(|(t, p)| {
            let dur = (t.last().copied().unwrap_or(0.0) * per_unit).max(min_stroke);
            (Path::Table { t, p }, dur)
        })
        .collect();
    let scale = if style == Style::TooSmall { 0.3 } else { 1.0 };
    let (approach, depart) = hover_vectors(person, attempt, pad, scale);
    Plan {
        strokes,
        airs,
        hover_in,
        hover_out,
        approach,
        depart,
        air_bulge: person.air_bulge,
    }
}

// ---------------------------------------------------------------------------------------
// Timeline and sampling.

#[derive(Debug, Clone)]
struct Piece {
    t0: f64,
    t1: f64,
    /// Index of the stroke when the tip is down.
    stroke: Option<usize>,
    path: Path,
}

fn air_path(a: V2, b: V2, bulge: f64, pad: Pad) -> Path {
    let c = pad.clamp((a + b) * 0.5 + (b - a).perp() * bulge);
    Path::Jerk { a, c, b }
}

/// Lays the plan out in time. Every stroke starts exactly on a report tick and every
/// movement in the air contains at least one tick, so each stroke and each lift shows in the
/// reports whatever the rate.
fn timeline(plan: &Plan, rate: u32, pad: Pad) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(plan.strokes.len() * 2 + 2);
    let Some((first, _)) = plan.strokes.first() else {
        return pieces;
    };
    let touch = first.at(0.0);
    let start = pad.clamp(touch + plan.approach);
    // Tick 0 belongs to the hover.
    let mut now = tick_time(tick_at_or_after(plan.hover_in, rate).max(1), rate);
    pieces.push(Piece {
        t0: 0.0,
        t1: now,
        stroke: None,
        path: air_path(start, touch, plan.air_bulge, pad),
    });
    for (i, (path, dur)) in plan.strokes.iter().enumerate() {
        let end = now + dur.max(1e-4);
        pieces.push(Piece {
            t0: now,
            t1: end,
            stroke: Some(i),
            path: path.clone(),
        });
        now = end;
        if let Some((next, _)) = plan.strokes.get(i + 1) {
            let air = plan.airs.get(i).copied().unwrap_or(0.1);
            let first_in_air = tick_at_or_after(now, rate);
            let k_next = tick_at_or_after(now + air, rate).max(first_in_air + 1);
            let t_next = tick_time(k_next, rate);
            pieces.push(Piece {
                t0: now,
                t1: t_next,
                stroke: None,
                path: air_path(path.at(1.0), next.at(0.0), plan.air_bulge, pad),
            });
            now = t_next;
        }
    }
    let lift = plan.strokes.last().map_or(touch, |(p, _)| p.at(1.0));
    let away = pad.clamp(lift + plan.depart);
    let t_end = (now + plan.hover_out).max(tick_time(tick_at_or_after(now, rate), rate));
    pieces.push(Piece {
        t0: now,
        t1: t_end,
        stroke: None,
        path: air_path(lift, away, -plan.air_bulge, pad),
    });
    pieces
}

/// The first report tick whose timestamp is at or after `t` seconds.
fn tick_at_or_after(t: f64, rate: u32) -> u64 {
    // Whole milliseconds, then the first k with floor(k * 1000 / rate) >= ms.
    let ms = (t * 1000.0 - 1e-6).ceil().clamp(0.0, 1e12) as u64;
    (ms * u64::from(rate.max(1))).div_ceil(1000)
}

/// Milliseconds of report tick `k`: the timestamp the pad reports.
fn tick_ms(k: u64, rate: u32) -> u64 {
    k.saturating_mul(1000) / u64::from(rate.max(1))
}

/// Time of report tick `k` in seconds. Positions are evaluated at the reported millisecond,
/// so speeds computed from consecutive reports are free of rounding jitter.
fn tick_time(k: u64, rate: u32) -> f64 {
    tick_ms(k, rate) as f64 / 1000.0
}

/// Raw (unnormalised) pressure at `tau` seconds into a stroke lasting `dur` seconds.
fn raw_pressure(person: &Person, tau: f64, dur: f64, down: f64) -> f64 {
    let rise = person.pressure_rise.min(dur / 3.0).max(1e-4);
    let fall = person.pressure_fall.min(dur / 3.0).max(1e-4);
    let env = (0.15 + 0.85 * smoothstep(tau / rise)) * (0.1 + 0.9 * smoothstep((dur - tau) / fall));
    let wave = 0.12 * (TAU * tau / 0.45 + 3.0 * person.pressure_emphasis).sin();
    env * (1.0 + person.pressure_emphasis * down + wave).max(0.05)
}

fn sample(
    pieces: &[Piece],
    plan: &Plan,
    person: &Person,
    attempt: &Attempt,
    rate: u32,
    spec: &SignatureSpec,
) -> Vec<PenReport> {
    let pad = Pad {
        w: f64::from(spec.max_x),
        h: f64::from(spec.max_y),
    };
    let end = pieces.last().map_or(0.0, |p| p.t1);
    // Ticks 0..ticks lie within the timeline (at most a few seconds, so this is small).
    let mut ticks = tick_at_or_after(end, rate).min(1_000_000);
    while ticks < 1_000_000 && tick_time(ticks, rate) <= end {
        ticks += 1;
    }
    let mut out: Vec<(PenReport, Option<usize>, f64)> = Vec::with_capacity(ticks as usize + 1);
    let to_u16 = |v: f64, max: f64| v.round().clamp(0.0, max) as u16;
    let mut idx = 0;
    let mut last = V2::new(0.0, 0.0);
    for k in 0..ticks {
        let t = tick_time(k, rate);
        while idx + 1 < pieces.len() && t >= pieces[idx].t1 {
            idx += 1;
        }
        let Some(piece) = pieces.get(idx) else {
            break;
        };
        let span = piece.t1 - piece.t0;
        let u = if span > 0.0 {
            (t - piece.t0) / span
        } else {
            1.0
        };
        let pos = pad.clamp(piece.path.at(u));
        last = pos;
        let raw = match piece.stroke {
            Some(_) => {
                let du = if span > 0.0 { 0.002 / span } else { 0.0 };
                let v = piece.path.at(u + du) - piece.path.at(u - du);
                let down = if v.len() > 1e-9 { v.y / v.len() } else { 0.0 };
                raw_pressure(person, t - piece.t0, span, down)
            }
            None => 0.0,
        };
        let report = PenReport {
            t_ms: tick_ms(k, rate).min(u64::from(u32::MAX)) as u32,
            x: to_u16(pos.x, pad.w),
            y: to_u16(pos.y, pad.h),
            pressure: 0,
            in_proximity: true,
            tip: piece.stroke.is_some(),
        };
        out.push((report, piece.stroke, raw));
    }

    // Scale each stroke's pressure so that its peak sits at the person's level.
    let max_p = f64::from(spec.max_pressure);
    let n_strokes = plan.strokes.len();
    let mut peaks = vec![0.0f64; n_strokes];
    for &(_, s, raw) in &out {
        if let Some(p) = s.and_then(|i| peaks.get_mut(i)) {
            *p = p.max(raw);
        }
    }
    let mut reports: Vec<PenReport> = out
        .into_iter()
        .map(|(mut r, s, raw)| {
            if let Some(i) = s {
                let peak = peaks.get(i).copied().unwrap_or(0.0);
                let level =
                    (person.pressure_peak * attempt.pressure * (1.0 - 0.06 * (i % 3) as f64))
                        .clamp(0.42, 0.78);
                let frac = if peak > 0.0 {
                    raw / peak * level
                } else {
                    level
                };
                let p = (frac * max_p).round().clamp(0.0, max_p);
                r.pressure = if max_p >= 1.0 { p.max(1.0) as u16 } else { 0 };
            }
            r
        })
        .collect();
    // The pen leaves sensing range.
    let t_ms = tick_ms(ticks, rate).min(u64::from(u32::MAX)) as u32;
    reports.push(PenReport {
        t_ms,
        x: to_u16(last.x, pad.w),
        y: to_u16(last.y, pad.h),
        pressure: 0,
        in_proximity: false,
        tip: false,
    });
    reports
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLES: [Style; 5] = [
        Style::Normal,
        Style::Dot,
        Style::StraightLine,
        Style::TooSmall,
        Style::TooFast,
    ];

    fn pad(style: Style) -> SignatureSpec {
        SignatureSpec {
            max_x: 10000,
            max_y: 6000,
            max_pressure: 1023,
            rate_hz: 133,
            style,
        }
    }

    /// The simulator's default pad (152 x 95 mm) and a smaller one.
    fn normal_pads() -> [SignatureSpec; 2] {
        let big = SignatureSpec {
            max_x: 15_200,
            max_y: 9_500,
            ..pad(Style::Normal)
        };
        [pad(Style::Normal), big]
    }

    /// Runs of consecutive tip-down reports.
    fn strokes(r: &[PenReport]) -> Vec<Vec<PenReport>> {
        let mut out: Vec<Vec<PenReport>> = Vec::new();
        let mut prev_tip = false;
        for &x in r {
            if x.tip {
                if !prev_tip {
                    out.push(Vec::new());
                }
                if let Some(s) = out.last_mut() {
                    s.push(x);
                }
            }
            prev_tip = x.tip;
        }
        out
    }

    /// Pen speeds in mm/s between consecutive tip-down reports, sorted.
    fn speeds(r: &[PenReport]) -> Vec<f64> {
        let mut v: Vec<f64> = r
            .windows(2)
            .filter(|w| w[0].tip && w[1].tip && w[1].t_ms > w[0].t_ms)
            .map(|w| {
                let dx = f64::from(w[1].x) - f64::from(w[0].x);
                let dy = f64::from(w[1].y) - f64::from(w[0].y);
                dx.hypot(dy) / UNITS_PER_MM / (f64::from(w[1].t_ms - w[0].t_ms) / 1000.0)
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }

    fn quantile(sorted: &[f64], q: f64) -> f64 {
        let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(i).copied().unwrap_or(0.0)
    }

    /// Bounding box (min x, min y, max x, max y) of the tip-down reports.
    fn ink_box(r: &[PenReport]) -> (u16, u16, u16, u16) {
        let ink = r.iter().filter(|x| x.tip);
        ink.fold((u16::MAX, u16::MAX, 0, 0), |(a, b, c, d), p| {
            (a.min(p.x), b.min(p.y), c.max(p.x), d.max(p.y))
        })
    }

    /// Milliseconds from the first tip-down report to the last.
    fn writing_ms(r: &[PenReport]) -> u32 {
        let first = r.iter().find(|x| x.tip).map_or(0, |x| x.t_ms);
        let last = r.iter().rev().find(|x| x.tip).map_or(0, |x| x.t_ms);
        last - first
    }

    /// The ink trajectory resampled to `n` points evenly spaced along the pen-down path
    /// (jumps between strokes do not count), in a box normalised to unit size.
    fn trace(r: &[PenReport], n: usize) -> Vec<V2> {
        let mut pts = Vec::new();
        let mut cum = Vec::new();
        let mut total = 0.0;
        for s in strokes(r) {
            for (i, p) in s.iter().enumerate() {
                let q = V2::new(f64::from(p.x), f64::from(p.y));
                if i > 0 {
                    total += (q - pts.last().copied().unwrap_or(q)).len();
                }
                pts.push(q);
                cum.push(total);
            }
        }
        let (mut lo, mut hi) = (V2::new(f64::MAX, f64::MAX), V2::new(f64::MIN, f64::MIN));
        for p in &pts {
            lo = V2::new(lo.x.min(p.x), lo.y.min(p.y));
            hi = V2::new(hi.x.max(p.x), hi.y.max(p.y));
        }
        let size = (hi.x - lo.x).max(hi.y - lo.y).max(1.0);
        let mut out = Vec::with_capacity(n);
        let mut j = 0;
        for k in 0..n {
            let s = total * k as f64 / (n - 1) as f64;
            while j + 1 < cum.len() && cum[j + 1] < s {
                j += 1;
            }
            out.push((pts[j] - lo) * (1.0 / size));
        }
        out
    }

    fn distance(a: &[V2], b: &[V2]) -> f64 {
        a.iter().zip(b).map(|(p, q)| (*p - *q).len()).sum::<f64>() / a.len() as f64
    }

    #[test]
    fn output_is_deterministic() {
        for style in STYLES {
            for (p, a) in [(0, 0), (1, 2), (u64::MAX, 17)] {
                let spec = pad(style);
                assert_eq!(generate(p, a, &spec), generate(p, a, &spec), "{style:?}");
            }
        }
        // The attempt and the person both matter.
        let spec = pad(Style::Normal);
        assert_ne!(generate(3, 0, &spec), generate(3, 1, &spec));
        assert_ne!(generate(3, 0, &spec), generate(4, 0, &spec));
    }

    #[test]
    fn time_starts_at_zero_and_never_decreases() {
        for style in STYLES {
            for rate in [133, 200, 1, 0, 1000, 5000, u32::MAX] {
                let spec = SignatureSpec {
                    rate_hz: rate,
                    ..pad(style)
                };
                let r = generate(9, 4, &spec);
                assert!(r.len() >= 3, "{style:?} {rate}");
                assert_eq!(r[0].t_ms, 0);
                assert!(
                    r.windows(2).all(|w| w[0].t_ms <= w[1].t_ms),
                    "{style:?} {rate}"
                );
            }
        }
        // At 133 Hz the reports are 7 or 8 ms apart.
        let r = generate(9, 4, &pad(Style::Normal));
        assert!(r
            .windows(2)
            .all(|w| (7..=8).contains(&(w[1].t_ms - w[0].t_ms))));
    }

    #[test]
    fn coordinates_and_pressure_stay_within_the_pad() {
        let sizes = [
            (10000, 6000, 1023),
            (300, 200, 255),
            (u16::MAX, u16::MAX, u16::MAX),
        ];
        let odd = [(0, 0, 0), (1, 0, 1), (0, 5000, 1023), (20000, 3, 2)];
        for (mx, my, mp) in sizes.into_iter().chain(odd) {
            for style in STYLES {
                for person in 0..4 {
                    let spec = SignatureSpec {
                        max_x: mx,
                        max_y: my,
                        max_pressure: mp,
                        rate_hz: 133,
                        style,
                    };
                    for r in generate(person, 1, &spec) {
                        assert!(r.x <= mx && r.y <= my && r.pressure <= mp, "{spec:?} {r:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn series_has_hover_strokes_and_leaves_proximity() {
        for style in STYLES {
            for person in 0..10 {
                let r = generate(person, 3, &pad(style));
                let (first, last) = (r[0], r[r.len() - 1]);
                assert!(
                    first.in_proximity && !first.tip,
                    "hover before the first touch"
                );
                assert!(!last.in_proximity && !last.tip && last.pressure == 0);
                let pen_down = r.iter().position(|x| x.tip);
                assert!(pen_down.is_some_and(|i| i > 0), "{style:?} {person}");
                let lift = r.iter().rposition(|x| x.tip).unwrap_or(0);
                // Hovering after the last lift, then out of range only at the very end.
                assert!(lift + 2 < r.len(), "{style:?} {person}");
                assert!(r[lift + 1..r.len() - 1]
                    .iter()
                    .all(|x| x.in_proximity && !x.tip));
                assert!(r[..r.len() - 1].iter().all(|x| x.in_proximity));
            }
        }
    }

    #[test]
    fn pressure_is_zero_exactly_when_the_tip_is_up() {
        for style in STYLES {
            for person in 0..8 {
                for r in generate(person, 5, &pad(style)) {
                    assert_eq!(r.tip, r.pressure > 0, "{style:?} {r:?}");
                    assert!(!r.tip || r.in_proximity);
                }
            }
        }
    }

    #[test]
    fn normal_signatures_have_realistic_layout_and_timing() {
        for (person, spec) in (0..40).flat_map(|p| normal_pads().map(|s| (p, s))) {
            let r = generate(person, person * 7 + 1, &spec);
            let s = strokes(&r);
            assert!(
                (1..=4).contains(&s.len()),
                "person {person}: {} strokes",
                s.len()
            );
            assert!(s.iter().all(|k| k.len() >= 3), "person {person}");
            let ms = writing_ms(&r);
            assert!(
                (1500..=5000).contains(&ms),
                "person {person}: writing {ms} ms"
            );
            assert!(r[r.len() - 1].t_ms <= 6000);
            // Lifts between strokes last 100-400 ms (give or take a report).
            for w in s.windows(2) {
                let (a, b) = (w[0][w[0].len() - 1].t_ms, w[1][0].t_ms);
                assert!(
                    (95..=415).contains(&(b - a)),
                    "person {person}: air {} ms",
                    b - a
                );
            }
            // Hover before the first touch and after the last lift.
            let first = r.iter().position(|x| x.tip).unwrap_or(0);
            assert!((100..=320).contains(&r[first].t_ms), "person {person}");
            // 50-80 % of the pad wide, 20-50 % high, roughly centred.
            let (x0, y0, x1, y1) = ink_box(&r);
            let w = f64::from(x1 - x0) / f64::from(spec.max_x);
            let h = f64::from(y1 - y0) / f64::from(spec.max_y);
            assert!((0.48..=0.8).contains(&w), "person {person}: width {w}");
            assert!((0.18..=0.5).contains(&h), "person {person}: height {h}");
            let cx = f64::from(x0 + x1) / 2.0 / f64::from(spec.max_x);
            let cy = f64::from(y0 + y1) / 2.0 / f64::from(spec.max_y);
            assert!(
                (cx - 0.5).abs() < 0.12 && (cy - 0.5).abs() < 0.12,
                "{cx} {cy}"
            );
        }
    }

    #[test]
    fn normal_signatures_move_at_handwriting_speeds() {
        let mut medians = Vec::new();
        for (person, spec) in (0..30).flat_map(|p| normal_pads().map(|s| (p, s))) {
            let v = speeds(&generate(person, 11, &spec));
            let (median, p95, max) = (quantile(&v, 0.5), quantile(&v, 0.95), quantile(&v, 1.0));
            assert!(
                (40.0..=200.0).contains(&median),
                "person {person}: median {median}"
            );
            assert!((100.0..=450.0).contains(&p95), "person {person}: p95 {p95}");
            assert!(max <= 800.0, "person {person}: max {max}");
            // Handwriting speeds up and slows down: bell-shaped movement units.
            assert!(quantile(&v, 0.1) < 0.5 * p95, "person {person}: too even");
            medians.push(median);
        }
        medians.sort_by(f64::total_cmp);
        let typical = quantile(&medians, 0.5);
        assert!(
            (50.0..=160.0).contains(&typical),
            "typical median speed {typical}"
        );
    }

    #[test]
    fn pressure_rises_varies_and_falls() {
        for person in 0..20 {
            let spec = pad(Style::Normal);
            let r = generate(person, 2, &spec);
            for s in strokes(&r) {
                let peak = s.iter().map(|x| x.pressure).max().unwrap_or(0);
                let frac = f64::from(peak) / f64::from(spec.max_pressure);
                assert!((0.4..=0.8).contains(&frac), "person {person}: peak {frac}");
                assert!(s[0].pressure < peak / 2, "person {person}: no rise");
                assert!(
                    s[s.len() - 1].pressure < peak / 2,
                    "person {person}: no fall"
                );
                if s.len() > 60 {
                    let low = s[s.len() / 4..3 * s.len() / 4].iter().map(|x| x.pressure);
                    let low = low.min().unwrap_or(0);
                    assert!(low < peak - peak / 20, "person {person}: flat pressure");
                }
            }
        }
    }

    #[test]
    fn same_person_resembles_own_signatures_more_than_others() {
        let spec = pad(Style::Normal);
        let people: Vec<u64> = (100..110).collect();
        let references: Vec<Vec<V2>> = people
            .iter()
            .map(|&p| trace(&generate(p, 0, &spec), 128))
            .collect();
        let (mut intra, mut inter) = (Vec::new(), Vec::new());
        for (i, &p) in people.iter().enumerate() {
            for attempt in 1..4 {
                let t = trace(&generate(p, attempt, &spec), 128);
                let d: Vec<f64> = references.iter().map(|r| distance(&t, r)).collect();
                let own = d[i];
                let best_other = d
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, &x)| x)
                    .fold(f64::INFINITY, f64::min);
                assert!(
                    own < best_other,
                    "person {p} attempt {attempt}: {own} vs {best_other}"
                );
                intra.push(own);
                inter.extend(
                    d.iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, &x)| x),
                );
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(
            mean(&intra) * 3.0 < mean(&inter),
            "{} vs {}",
            mean(&intra),
            mean(&inter)
        );
        // Attempts are not carbon copies either.
        assert!(intra.iter().all(|&d| d > 0.002), "{intra:?}");
    }

    #[test]
    fn attempts_vary_in_timing_within_limits() {
        for person in 0..10 {
            let times: Vec<f64> = (0..12)
                .map(|a| f64::from(writing_ms(&generate(person, a, &pad(Style::Normal)))))
                .collect();
            let mean = times.iter().sum::<f64>() / times.len() as f64;
            let spread = times
                .iter()
                .map(|t| (t / mean - 1.0).abs())
                .fold(0.0, f64::max);
            assert!(
                spread > 0.04,
                "person {person}: attempts all take {mean} ms"
            );
            assert!(spread < 0.3, "person {person}: timing varies by {spread}");
        }
    }

    #[test]
    fn dot_is_a_single_tap() {
        for person in 0..20 {
            let spec = pad(Style::Dot);
            let r = generate(person, 1, &spec);
            let s = strokes(&r);
            assert_eq!(s.len(), 1, "person {person}");
            assert!(
                (1..=5).contains(&s[0].len()),
                "person {person}: {}",
                s[0].len()
            );
            let (x0, y0, x1, y1) = ink_box(&r);
            assert!(x1 - x0 <= 100 && y1 - y0 <= 100, "person {person}: moved");
        }
    }

    #[test]
    fn straight_line_is_one_straight_stroke() {
        for person in 0..20 {
            let spec = pad(Style::StraightLine);
            let r = generate(person, 4, &spec);
            let s = strokes(&r);
            assert_eq!(s.len(), 1, "person {person}");
            let (a, b) = (s[0][0], s[0][s[0].len() - 1]);
            let (a, b) = (
                V2::new(f64::from(a.x), f64::from(a.y)),
                V2::new(f64::from(b.x), f64::from(b.y)),
            );
            let len = (b - a).len();
            assert!(
                len > 0.4 * f64::from(spec.max_x),
                "person {person}: length {len}"
            );
            for p in &s[0] {
                let q = V2::new(f64::from(p.x), f64::from(p.y)) - a;
                let off = (q.x * (b - a).y - q.y * (b - a).x).abs() / len;
                assert!(off <= 2.0, "person {person}: {off} units off the line");
            }
            assert!(s[0].len() > 20, "person {person}");
        }
    }

    #[test]
    fn too_small_is_the_signature_shrunk() {
        for person in 0..20 {
            let spec = pad(Style::TooSmall);
            let r = generate(person, 6, &spec);
            let (x0, y0, x1, y1) = ink_box(&r);
            assert!(
                f64::from(x1 - x0) < 0.05 * f64::from(spec.max_x),
                "person {person}"
            );
            assert!(
                f64::from(y1 - y0) < 0.05 * f64::from(spec.max_y),
                "person {person}"
            );
            let normal = generate(person, 6, &pad(Style::Normal));
            assert_eq!(strokes(&r).len(), strokes(&normal).len(), "person {person}");
            // Same shape, smaller.
            let d = distance(&trace(&r, 64), &trace(&normal, 64));
            assert!(d < 0.05, "person {person}: shape differs by {d}");
        }
    }

    #[test]
    fn too_fast_is_over_in_well_under_half_a_second() {
        for person in 0..20 {
            let r = generate(person, 8, &pad(Style::TooFast));
            let s = strokes(&r);
            assert!(!s.is_empty());
            assert!(writing_ms(&r) < 300, "person {person}: {}", writing_ms(&r));
            assert!(
                r[r.len() - 1].t_ms < 400,
                "person {person}: {}",
                r[r.len() - 1].t_ms
            );
            let normal = generate(person, 8, &pad(Style::Normal));
            assert_eq!(s.len(), strokes(&normal).len(), "person {person}");
        }
    }

    #[test]
    fn every_stroke_is_seen_even_at_low_rates() {
        for rate in [0, 1, 5, 20] {
            for person in 0..8 {
                let normal = strokes(&generate(person, 0, &pad(Style::Normal))).len();
                let spec = SignatureSpec {
                    rate_hz: rate,
                    ..pad(Style::Normal)
                };
                let r = generate(person, 0, &spec);
                assert_eq!(strokes(&r).len(), normal, "rate {rate} person {person}");
                let dot = generate(
                    person,
                    0,
                    &SignatureSpec {
                        style: Style::Dot,
                        ..spec
                    },
                );
                assert_eq!(strokes(&dot).len(), 1, "rate {rate} person {person}");
            }
        }
    }
}
