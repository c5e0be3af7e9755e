//! Synthetic head-and-shoulders portraits for the simulated face camera.
//!
//! A [`Portrait`] names a *person* (a seed that fixes their appearance: skin tone, face shape,
//! hair or hijab, eyes, brows, nose, mouth, clothing) and the *scene*: the background colour
//! that the KTP-el rule gives their birth year, the pose, framing, lighting, blur, and the
//! faults a photographer has to catch (nobody in the chair, two people, eyes closed).
//! [`render`] draws it at any size with anti-aliased shapes; [`background`] gives the backdrop.
//!
//! Framing is that of a station camera set up for the KTP-el photo. The photo is the centred
//! 3:4 crop of the full frame height ([`photo_width`]; `rekam_quality::face::portrait_crop`
//! cuts the same region), and at the default [`Portrait::distance`] of 1 the head, skull crown
//! to chin, is [`HEAD_FRACTION`] (75 %) of the frame height with the crown [`CROWN_MARGIN`]
//! (10 %) below the top: the middle of ICAO 9303's 70-80 % band, shoulders in view. The head is
//! proportioned like a real one: the eyes halfway between crown and chin, the chin 1.7 times as
//! far below the eyes as the mouth, hair above the skull. [`head_geometry`] gives the drawn
//! head's true crown, chin and eyes so that measures can be checked against them.
//!
//! These are drawings, not photographs: a real face detector may not accept them. For that,
//! the simulated camera also serves real photographs (see `camera::PhotoFolder`).
//!
//! ```
//! use rekam_synth::face::{background, render, Portrait, KTP_RED, KTP_BLUE};
//! let img = render(&Portrait { birth_year: 1991, ..Portrait::default() }, 320, 180);
//! assert_eq!(img.get_pixel(2, 2).0, KTP_RED);
//! assert_eq!(background(1990), KTP_BLUE);
//! ```

use image::RgbImage;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The red backdrop, for people born in an odd year: `#db1514`, the pas-photo red commonly
/// quoted for Indonesian documents. Dukcapil publishes the rule (red for odd birth years, blue
/// for even) but, as far as we know, no RGB value; this one is our choice.
pub const KTP_RED: [u8; 3] = [0xdb, 0x15, 0x14];
/// The blue backdrop, for people born in an even year: `#0090ff`, the pas-photo blue commonly
/// quoted for Indonesian documents (our choice, as for [`KTP_RED`]).
pub const KTP_BLUE: [u8; 3] = [0x00, 0x90, 0xff];

/// The KTP-el backdrop for a birth year: red when odd, blue when even.
pub fn background(birth_year: i32) -> [u8; 3] {
    if birth_year.rem_euclid(2) == 1 {
        KTP_RED
    } else {
        KTP_BLUE
    }
}

/// How the subject is lit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lighting {
    /// Even studio light.
    #[default]
    Even,
    /// Underexposed: the whole picture dark.
    Dark,
    /// Overexposed: highlights clipped.
    Overexposed,
    /// A shadow over the left half of the face (as seen in the picture).
    ShadowLeft,
    /// A shadow over the right half of the face (as seen in the picture).
    ShadowRight,
}

/// Who is in front of the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Subjects {
    /// Nobody: an empty backdrop.
    Nobody,
    /// The person.
    #[default]
    One,
    /// The person and somebody else behind them.
    Two,
}

/// A scene in front of the camera.
#[derive(Debug, Clone, PartialEq)]
pub struct Portrait {
    /// Whose face: fixes the appearance.
    pub person: u64,
    /// Birth year: chooses the backdrop (odd red, even blue).
    pub birth_year: i32,
    /// Head turned to the picture's right (degrees; negative: left).
    pub yaw_deg: f32,
    /// Head tilted down (degrees; negative: up).
    pub pitch_deg: f32,
    /// Head tilted clockwise in the picture (degrees).
    pub roll_deg: f32,
    /// Offset of the subject from the centre of the photo: as fractions of the photo's width
    /// (the centred 3:4 crop, [`photo_width`]) and of the frame's height. So `(0.15, 0.0)` is
    /// the same framing fault at every resolution and aspect ratio.
    pub offset: (f32, f32),
    /// Distance from the camera relative to the right one: 1 frames the head at
    /// [`HEAD_FRACTION`] of the frame height; 1.25 (too far) makes it 60 %, 0.8 (too close)
    /// 94 %. The picture scales about the frame's centre, as when the person steps back.
    pub distance: f32,
    /// Lighting.
    pub lighting: Lighting,
    /// Defocus blur, as a Gaussian sigma in pixels of a 720-line frame (scaled with size).
    pub blur: f32,
    /// Who is in the picture.
    pub subjects: Subjects,
    /// Whether the eyes are closed.
    pub eyes_closed: bool,
}

impl Default for Portrait {
    fn default() -> Self {
        Self {
            person: 1,
            birth_year: 1990,
            yaw_deg: 0.0,
            pitch_deg: 0.0,
            roll_deg: 0.0,
            offset: (0.0, 0.0),
            distance: 1.0,
            lighting: Lighting::Even,
            blur: 0.0,
            subjects: Subjects::One,
            eyes_closed: false,
        }
    }
}

/// How the hair is worn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HairStyle {
    /// Short hair.
    Short,
    /// Long hair down to the shoulders.
    Long,
    /// A hijab framing the face.
    Hijab,
}

/// A person's appearance, fixed by their seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Appearance {
    /// Skin colour (sRGB).
    pub skin: [f32; 3],
    /// Face width over twice the distance from the face's centre to the chin, 0.74 to 0.84: the
    /// head's breadth 0.67 to 0.76 of its crown-to-chin height.
    pub face_ratio: f32,
    /// How much the face narrows toward the chin, 0.15 to 0.35.
    pub jaw: f32,
    /// Hair style.
    pub hair: HairStyle,
    /// Hair colour, or the hijab's colour.
    pub hair_colour: [f32; 3],
    /// Brow colour.
    pub brow_colour: [f32; 3],
    /// Clothing colour.
    pub clothes: [f32; 3],
    /// Half the distance between the eyes over the face's half-width, 0.36 to 0.44.
    pub eye_spacing: f32,
    /// Eye size factor, 0.85 to 1.15.
    pub eye_size: f32,
    /// Mouth width factor, 0.85 to 1.2.
    pub mouth_width: f32,
    /// Nose width factor, 0.85 to 1.25.
    pub nose_width: f32,
    /// Brow thickness factor, 0.7 to 1.4.
    pub brow: f32,
}

const PERSON_TAG: u64 = 0x4641_4345_5045_5253; // "FACEPERS"

/// Skin tones from light to dark brown (sRGB), spanning Indonesian complexions.
const SKIN: [[f32; 3]; 6] = [
    [232.0, 190.0, 160.0],
    [214.0, 164.0, 128.0],
    [190.0, 138.0, 100.0],
    [163.0, 113.0, 80.0],
    [130.0, 88.0, 60.0],
    [100.0, 66.0, 45.0],
];
const HIJAB: [[f32; 3]; 7] = [
    [235.0, 235.0, 230.0],
    [30.0, 30.0, 35.0],
    [30.0, 40.0, 80.0],
    [110.0, 30.0, 40.0],
    [200.0, 180.0, 150.0],
    [40.0, 90.0, 60.0],
    [200.0, 150.0, 160.0],
];
const CLOTHES: [[f32; 3]; 6] = [
    [240.0, 240.0, 238.0],
    [35.0, 35.0, 38.0],
    [35.0, 45.0, 85.0],
    [120.0, 80.0, 45.0],
    [120.0, 120.0, 125.0],
    [170.0, 195.0, 225.0],
];

impl Appearance {
    /// The appearance of `person`.
    pub fn of(person: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(person ^ PERSON_TAG);
        let t: f32 = rng.gen_range(0.0..(SKIN.len() - 1) as f32);
        let i = t.floor() as usize;
        let skin = mix(SKIN[i], SKIN[(i + 1).min(SKIN.len() - 1)], t - i as f32);
        let hair = match rng.gen_range(0..10) {
            0..=3 => HairStyle::Hijab,
            4..=7 => HairStyle::Short,
            _ => HairStyle::Long,
        };
        let dark_hair = if rng.gen_bool(0.08) {
            [140.0, 135.0, 130.0]
        } else if rng.gen_bool(0.7) {
            [25.0, 22.0, 22.0]
        } else {
            [52.0, 38.0, 30.0]
        };
        let hair_colour = match hair {
            HairStyle::Hijab => HIJAB[rng.gen_range(0..HIJAB.len())],
            _ => dark_hair,
        };
        Self {
            skin,
            face_ratio: rng.gen_range(0.74..0.84),
            jaw: rng.gen_range(0.15..0.35),
            hair,
            hair_colour,
            brow_colour: scale(dark_hair, 0.9),
            clothes: CLOTHES[rng.gen_range(0..CLOTHES.len())],
            eye_spacing: rng.gen_range(0.36..0.44),
            eye_size: rng.gen_range(0.85..1.15),
            mouth_width: rng.gen_range(0.85..1.2),
            nose_width: rng.gen_range(0.85..1.25),
            brow: rng.gen_range(0.7..1.4),
        }
    }
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn scale(a: [f32; 3], k: f32) -> [f32; 3] {
    [a[0] * k, a[1] * k, a[2] * k]
}

/// The framed head, skull crown to chin, over the frame height at [`Portrait::distance`] 1:
/// the middle of ICAO 9303's 70-80 % chin-to-crown band.
pub const HEAD_FRACTION: f32 = 0.75;
/// The skull crown's distance below the top of the frame at distance 1, over its height.
pub const CROWN_MARGIN: f32 = 0.10;

/// Head proportions, in units of the face's half-height `ry` (face centre to chin) measured
/// from the face centre, downward positive. The eyes lie halfway between skull crown and chin
/// and the chin 1.7 times as far below the eyes as the mouth, as in adult anthropometry (and
/// on the astronaut of scikit-image: pupils to chin 76 px, pupils to mouth 42 px).
const EYES: f32 = -0.1;
const MOUTH: f32 = 0.56;
const CHIN: f32 = 1.0;
/// The skull's top (ICAO's crown, without hair).
const SKULL: f32 = -1.2;
/// The top of short or long hair; a hijab reaches [`HIJAB_TOP`].
const HAIR_TOP: f32 = -1.3;
const HIJAB_TOP: f32 = -1.4;

/// Width of the photo cut from a `width` x `height` frame: the centred 3:4 crop of the full
/// height, or the whole width when the frame is narrower than that.
pub fn photo_width(width: u32, height: u32) -> f32 {
    (width as f32).min(height as f32 * 0.75)
}

/// Where a subject is drawn: face centre and half-height `ry`, pixels.
#[derive(Debug, Clone, Copy)]
struct Place {
    cx: f32,
    cy: f32,
    ry: f32,
}

/// The applicant's head at `(dx, dy)` (fractions of the frame height) from the correct
/// position, scaled by `k`, then the whole scene scaled about the frame centre by the
/// portrait's distance.
fn place(p: &Portrait, w: f32, h: f32, (dx, dy): (f32, f32), k: f32) -> Place {
    let ry0 = HEAD_FRACTION * h / (CHIN - SKULL) * k;
    let cx0 = w / 2.0 + p.offset.0 * photo_width(w as u32, h as u32) + dx * h;
    let cy0 = CROWN_MARGIN * h - SKULL * ry0 + p.offset.1 * h + dy * h;
    let d = if p.distance.is_finite() && p.distance > 0.05 {
        p.distance
    } else {
        1.0
    };
    Place {
        cx: w / 2.0 + (cx0 - w / 2.0) / d,
        cy: h / 2.0 + (cy0 - h / 2.0) / d,
        ry: ry0 / d,
    }
}

/// The two people of [`Subjects::Two`]: the applicant stepped back and aside, the other person
/// further back on the other side, both within the 3:4 photo.
fn two_places(p: &Portrait, w: f32, h: f32) -> (Place, Place) {
    (
        place(p, w, h, (-0.17, 0.06), 0.75),
        place(p, w, h, (0.2, 0.0), 0.6),
    )
}

/// The applicant's head as drawn, in frame pixels (for an upright, frontal pose): what a
/// measure of head size and position should find.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadGeometry {
    /// Horizontal centre of the face.
    pub centre_x: f32,
    /// Top of the skull (ICAO's crown, hair not counted).
    pub crown: f32,
    /// Top of the hair or hijab.
    pub hair_top: f32,
    /// Height of the eyes' centres.
    pub eyes: f32,
    /// Height of the mouth's centre line.
    pub mouth: f32,
    /// Bottom of the chin.
    pub chin: f32,
    /// Half the distance between the eyes' centres.
    pub eye_half_distance: f32,
}

/// The applicant's head in `p` rendered at `width` x `height`; `None` when nobody is there.
pub fn head_geometry(p: &Portrait, width: u32, height: u32) -> Option<HeadGeometry> {
    let (w, h) = (width as f32, height as f32);
    let at = match p.subjects {
        Subjects::Nobody => return None,
        Subjects::One => place(p, w, h, (0.0, 0.0), 1.0),
        Subjects::Two => two_places(p, w, h).0,
    };
    let a = Appearance::of(p.person);
    let top = if a.hair == HairStyle::Hijab {
        HIJAB_TOP
    } else {
        HAIR_TOP
    };
    Some(HeadGeometry {
        centre_x: at.cx,
        crown: at.cy + SKULL * at.ry,
        hair_top: at.cy + top * at.ry,
        eyes: at.cy + EYES * at.ry,
        mouth: at.cy + MOUTH * at.ry,
        chin: at.cy + CHIN * at.ry,
        eye_half_distance: at.ry * a.face_ratio * a.eye_spacing,
    })
}

/// Renders `p` at `width` x `height`.
pub fn render(p: &Portrait, width: u32, height: u32) -> RgbImage {
    let light = Light::new(p.lighting);
    let bg = scale(
        [
            f32::from(background(p.birth_year)[0]),
            f32::from(background(p.birth_year)[1]),
            f32::from(background(p.birth_year)[2]),
        ],
        light.global,
    );
    let bg_px = image::Rgb([clamp8(bg[0]), clamp8(bg[1]), clamp8(bg[2])]);
    let mut img = RgbImage::from_pixel(width, height, bg_px);
    let (w, h) = (width as f32, height as f32);
    match p.subjects {
        Subjects::Nobody => {}
        Subjects::One => {
            let at = place(p, w, h, (0.0, 0.0), 1.0);
            draw_subject(&mut img, p, p.person, at, &light);
        }
        Subjects::Two => {
            // The second person stands behind, on the other side.
            let other = Portrait {
                eyes_closed: false,
                yaw_deg: -8.0,
                pitch_deg: 0.0,
                roll_deg: 3.0,
                ..p.clone()
            };
            let (me, them) = two_places(p, w, h);
            draw_subject(&mut img, &other, p.person.wrapping_add(7_919), them, &light);
            draw_subject(&mut img, p, p.person, me, &light);
        }
    }
    if p.blur > 0.0 {
        let sigma = p.blur * h / 720.0;
        box_blur(&mut img, sigma);
    }
    img
}

fn clamp8(v: f32) -> u8 {
    // Not f32::round: without SSE4.1 it is a library call, and this runs for every pixel.
    (v.clamp(0.0, 255.0) + 0.5) as u8
}

/// Exposure and shadow.
struct Light {
    global: f32,
    /// -1: shadow on the left, 1: on the right, 0: none.
    shadow: f32,
}

impl Light {
    fn new(l: Lighting) -> Self {
        let (global, shadow) = match l {
            Lighting::Even => (1.0, 0.0),
            Lighting::Dark => (0.3, 0.0),
            Lighting::Overexposed => (1.9, 0.0),
            Lighting::ShadowLeft => (1.0, -1.0),
            Lighting::ShadowRight => (1.0, 1.0),
        };
        Self { global, shadow }
    }

    /// The light on the subject at horizontal head-relative position `u` (in face half-widths).
    fn on_subject(&self, u: f32) -> f32 {
        if self.shadow == 0.0 {
            return self.global;
        }
        // 0 on the lit side, 1 in the shadow, a soft terminator near the nose.
        let t = ((u * self.shadow + 0.3) / 0.9).clamp(0.0, 1.0);
        let s = t * t * (3.0 - 2.0 * t);
        self.global * (1.0 - 0.65 * s)
    }
}

/// Coverage of a pixel centre at `(u, v)` by an axis-aligned ellipse, anti-aliased over about
/// one pixel.
fn ellipse(u: f32, v: f32, cx: f32, cy: f32, rx: f32, ry: f32) -> f32 {
    // Reciprocals of loop-invariant radii: the compiler hoists them out of the pixel loop.
    let (irx, iry) = (1.0 / rx, 1.0 / ry);
    let (ax, ay) = ((u - cx) * irx, (v - cy) * iry);
    let f = ax * ax + ay * ay;
    // Well inside or well outside (more than half a pixel from the edge once both radii
    // exceed 5 pixels): no need for the distance.
    let big = rx > 5.0 && ry > 5.0;
    if f > 4.0 || (big && f > 1.25) {
        return 0.0;
    }
    if big && f < 0.8 {
        return 1.0;
    }
    let (gx, gy) = (ax * irx, ay * iry);
    let g = 2.0 * (gx * gx + gy * gy).sqrt();
    if g < 1e-6 {
        return 1.0;
    }
    (0.5 - (f - 1.0) / g).clamp(0.0, 1.0)
}

/// A head's frame: pixel positions to head-local coordinates (rotated by the roll).
struct Head {
    cx: f32,
    cy: f32,
    cos: f32,
    sin: f32,
}

impl Head {
    fn local(&self, x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = (x - self.cx, y - self.cy);
        (
            dx * self.cos + dy * self.sin,
            -dx * self.sin + dy * self.cos,
        )
    }
}

/// Paints a shape over the box `(x0, y0)-(x1, y1)`: `shape(x, y)` gives the coverage and the
/// colour at a pixel centre, already lit.
fn paint(
    img: &mut RgbImage,
    (x0, y0, x1, y1): (f32, f32, f32, f32),
    shape: impl Fn(f32, f32) -> (f32, [f32; 3]),
) {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let xa = (x0.floor() as i64).clamp(0, w);
    let xb = (x1.ceil() as i64 + 1).clamp(0, w);
    let ya = (y0.floor() as i64).clamp(0, h);
    let yb = (y1.ceil() as i64 + 1).clamp(0, h);
    for y in ya..yb {
        for x in xa..xb {
            let (c, col) = shape(x as f32 + 0.5, y as f32 + 0.5);
            if c <= 0.0 {
                continue;
            }
            let px = img.get_pixel_mut(x as u32, y as u32);
            for (ch, want) in px.0.iter_mut().zip(col) {
                let old = f32::from(*ch);
                *ch = clamp8(old + (want - old) * c);
            }
        }
    }
}

fn draw_subject(
    img: &mut RgbImage,
    p: &Portrait,
    person: u64,
    Place { cx, cy, ry }: Place,
    light: &Light,
) {
    let a = Appearance::of(person);
    let rx = ry * a.face_ratio;
    let yaw = p.yaw_deg.to_radians().clamp(-1.2, 1.2);
    let pitch = p.pitch_deg.to_radians().clamp(-1.0, 1.0);
    let roll = p.roll_deg.to_radians();
    let head = Head {
        cx,
        cy,
        cos: roll.cos(),
        sin: roll.sin(),
    };
    let (sy, cyaw) = (yaw.sin(), yaw.cos());
    // Features move with the turn of the head; the face outline a little.
    let fdx = rx * 0.55 * sy;
    let fdy = ry * 0.35 * pitch.sin();
    let face_dx = rx * 0.1 * sy;
    let face_rx = rx * (1.0 - 0.08 * sy.abs());
    let lit = |u: f32, col: [f32; 3]| scale(col, light.on_subject(u / rx));
    // The pixel box of a head-local ellipse.
    let lbox =
        |ex: f32, ey: f32, erx: f32, ery: f32| world_box(&head, ex, ey, (-erx, -ery, erx, ery));

    // Long hair or the hijab's back, behind everything.
    match a.hair {
        HairStyle::Long => paint(img, lbox(face_dx, 0.2 * ry, rx * 1.3, ry * 1.5), |x, y| {
            let (u, v) = head.local(x, y);
            let c = ellipse(u, v, face_dx, 0.2 * ry, rx * 1.3, ry * 1.5);
            (
                c,
                lit(u, scale(a.hair_colour, 1.0 - 0.15 * (v / ry).max(0.0))),
            )
        }),
        HairStyle::Hijab => paint(
            img,
            lbox(face_dx, 0.05 * ry, rx * 1.42, ry * 1.45),
            |x, y| {
                let (u, v) = head.local(x, y);
                let c = ellipse(u, v, face_dx, 0.05 * ry, rx * 1.42, ry * 1.45);
                (c, lit(u, scale(a.hair_colour, 0.92)))
            },
        ),
        HairStyle::Short => {}
    }
    // Neck, then the shoulders and clothing (the body does not roll with the head).
    paint(img, (cx - rx, cy, cx + rx, cy + ry * 2.0), |x, y| {
        let c = ellipse(x, y, cx, cy + ry * 1.1, rx * 0.42, ry * 0.6);
        (c, lit(x - cx, scale(a.skin, 0.82)))
    });
    let body_box = (cx - rx * 3.2, cy + ry * 0.9, cx + rx * 3.2, cy + ry * 5.2);
    paint(img, body_box, |x, y| {
        let c = ellipse(x, y, cx, cy + ry * 3.1, rx * 2.9, ry * 1.95);
        if c <= 0.0 {
            return (0.0, a.clothes);
        }
        let shade = 1.0 - 0.18 * ((x - cx) / (rx * 2.9)).powi(2);
        (c, lit(x - cx, scale(a.clothes, shade)))
    });
    if a.hair == HairStyle::Hijab {
        // The hijab falls over the shoulders and chest.
        paint(img, body_box, |x, y| {
            let c = ellipse(x, y, cx, cy + ry * 1.45, rx * 2.0, ry * 0.95);
            (c, lit(x - cx, scale(a.hair_colour, 0.95)))
        });
    } else {
        for side in [-1.0f32, 1.0] {
            let ear_x = face_dx + side * face_rx * 0.97;
            paint(img, lbox(ear_x, 0.05 * ry, rx * 0.16, ry * 0.2), |x, y| {
                let (u, v) = head.local(x, y);
                let c = ellipse(
                    u,
                    v,
                    face_dx + side * face_rx * 0.97,
                    0.05 * ry,
                    rx * 0.16,
                    ry * 0.2,
                );
                (c, lit(u, scale(a.skin, 0.88)))
            });
        }
    }
    // The face: an egg narrowing toward the chin, up to the skull's top, darker toward its
    // edge.
    let skull = -SKULL * ry;
    paint(img, lbox(face_dx, 0.0, face_rx, skull), |x, y| {
        let (u, v) = head.local(x, y);
        let t = (v / ry).max(0.0);
        let narrow = 1.0 - a.jaw * t * t;
        let erx = face_rx * narrow;
        let ery = if v < 0.0 { skull } else { ry };
        let c = ellipse(u, v, face_dx, 0.0, erx, ery);
        if c <= 0.0 {
            return (0.0, a.skin);
        }
        let (nu, nv) = ((u - face_dx) / erx, v / ery);
        let f = (nu * nu + nv * nv).min(1.0);
        (c, lit(u, scale(a.skin, 1.0 - 0.2 * f * f.sqrt())))
    });
    // Hair over the forehead, or the hijab framing the face.
    match a.hair {
        HairStyle::Short | HairStyle::Long => paint(
            img,
            lbox(face_dx, -0.4 * ry, face_rx * 1.1, ry * 0.9),
            |x, y| {
                let (u, v) = head.local(x, y);
                let cap = ellipse(u, v, face_dx, -0.4 * ry, face_rx * 1.1, ry * 0.9);
                if cap <= 0.0 {
                    return (0.0, a.hair_colour);
                }
                let q = (u - face_dx) / face_rx;
                let hairline = -0.8 * ry + 0.25 * ry * q * q + fdy * 0.3;
                let below = (hairline - v + 0.5).clamp(0.0, 1.0);
                (cap * below, lit(u, a.hair_colour))
            },
        ),
        HairStyle::Hijab => paint(img, lbox(face_dx, -0.1 * ry, rx * 1.3, ry * 1.3), |x, y| {
            let (u, v) = head.local(x, y);
            let outer = ellipse(u, v, face_dx, -0.1 * ry, rx * 1.3, ry * 1.3);
            if outer <= 0.0 {
                return (0.0, a.hair_colour);
            }
            let opening = ellipse(
                u,
                v,
                face_dx,
                0.1 * ry + fdy * 0.2,
                face_rx * 0.93,
                ry * 0.9,
            );
            (outer * (1.0 - opening), lit(u, a.hair_colour))
        }),
    }
    // Brows and eyes.
    let eye_y = EYES * ry + fdy;
    let ew0 = rx * 0.15 * a.eye_size;
    let eh = ry * 0.06 * a.eye_size;
    for side in [-1.0f32, 1.0] {
        let ex = fdx + side * rx * a.eye_spacing * cyaw;
        // The eye on the side the head turns toward is seen foreshortened.
        let ew = ew0 * (1.0 - 0.45 * sy * side).clamp(0.3, 1.5);
        let box_e = (-ew * 1.6, -ry * 0.35, ew * 1.6, ry * 0.2);
        let eye_box = world_box(&head, ex, eye_y, box_e);
        paint(img, eye_box, |x, y| {
            let (u, v) = head.local(x, y);
            let by = eye_y - ry * 0.17;
            let bv = v - by - side * (u - ex) * 0.12;
            let c = ellipse(u, bv + by, ex, by, ew * 1.25, ry * 0.032 * a.brow);
            (c, lit(u, a.brow_colour))
        });
        if p.eyes_closed {
            paint(img, eye_box, |x, y| {
                let (u, v) = head.local(x, y);
                let lid = ellipse(u, v, ex, eye_y, ew, eh);
                let lash = ellipse(u, v, ex, eye_y + eh * 0.3, ew * 0.95, eh * 0.2);
                let col = mix(scale(a.skin, 0.9), [40.0, 30.0, 25.0], lash);
                (lid.max(lash), lit(u, col))
            });
        } else {
            paint(img, eye_box, |x, y| {
                let (u, v) = head.local(x, y);
                let white = ellipse(u, v, ex, eye_y, ew, eh);
                if white <= 0.0 {
                    let rim = ellipse(u, v, ex, eye_y - eh * 0.15, ew * 1.08, eh * 1.3);
                    let upper = if v < eye_y { rim } else { 0.0 };
                    return (upper * 0.9, lit(u, [45.0, 32.0, 28.0]));
                }
                let ix = ex + ew * 0.25 * sy;
                let iris = ellipse(u, v, ix, eye_y, eh * 1.05, eh * 1.05);
                let pupil = ellipse(u, v, ix, eye_y, eh * 0.45, eh * 0.45);
                let col = mix(
                    mix([238.0, 232.0, 226.0], [58.0, 40.0, 30.0], iris),
                    [12.0, 10.0, 10.0],
                    pupil,
                );
                (white, lit(u, col))
            });
        }
    }
    // Nose: a soft shadow and the nostrils; it sticks out, so it moves most with the yaw.
    let nx = fdx * 1.25;
    let nw = rx * a.nose_width;
    let nose_box = world_box(
        &head,
        nx,
        fdy + 0.2 * ry,
        (-nw * 0.3, -ry * 0.3, nw * 0.3, ry * 0.2),
    );
    paint(img, nose_box, |x, y| {
        let (u, v) = head.local(x, y);
        let bridge = ellipse(u, v, nx, fdy + 0.12 * ry, nw * 0.1, ry * 0.2) * 0.5;
        let mut c = bridge;
        let mut col = scale(a.skin, 0.86);
        for side in [-1.0f32, 1.0] {
            let n = ellipse(
                u,
                v,
                nx + side * nw * 0.09,
                fdy + 0.3 * ry,
                nw * 0.045,
                ry * 0.022,
            );
            if n > 0.0 {
                c = c.max(n);
                col = mix(col, scale(a.skin, 0.45), n);
            }
        }
        (c, lit(u, col))
    });
    // Mouth.
    let mw = rx * 0.3 * a.mouth_width;
    let my = MOUTH * ry + fdy;
    let mouth_box = world_box(&head, fdx, my, (-mw * 1.2, -ry * 0.1, mw * 1.2, ry * 0.1));
    let lips = [a.skin[0] * 0.82, a.skin[1] * 0.6, a.skin[2] * 0.6];
    paint(img, mouth_box, |x, y| {
        let (u, v) = head.local(x, y);
        let lip = ellipse(u, v, fdx, my, mw * cyaw.max(0.4), ry * 0.07);
        let line = ellipse(u, v, fdx, my, mw * 0.95 * cyaw.max(0.4), ry * 0.012);
        (lip, lit(u, mix(lips, scale(lips, 0.45), line)))
    });
}

/// The pixel box around a head-local point with a local box `(x0, y0, x1, y1)` around it.
fn world_box(
    head: &Head,
    lx: f32,
    ly: f32,
    (x0, y0, x1, y1): (f32, f32, f32, f32),
) -> (f32, f32, f32, f32) {
    let r = x0.abs().max(x1.abs()).hypot(y0.abs().max(y1.abs())) + 2.0;
    let wx = head.cx + lx * head.cos - ly * head.sin;
    let wy = head.cy + lx * head.sin + ly * head.cos;
    (wx - r, wy - r, wx + r, wy + r)
}

/// Three passes of a box blur, close to a Gaussian of `sigma` pixels.
pub fn box_blur(img: &mut RgbImage, sigma: f32) {
    // Width of each of three boxes for a Gaussian of sigma (Wells 1986).
    let r = (((12.0 * sigma * sigma / 3.0 + 1.0).sqrt() - 1.0) / 2.0).round() as usize;
    if r == 0 {
        return;
    }
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut buf = img.as_raw().clone();
    let mut tmp = vec![0u8; buf.len()];
    for _ in 0..3 {
        blur_lines(&buf, &mut tmp, w, h, r, 3, w * 3);
        blur_lines(&tmp, &mut buf, h, w, r, w * 3, 3);
    }
    if let Some(out) = RgbImage::from_raw(w as u32, h as u32, buf) {
        *img = out;
    }
}

/// Box-blurs `lines` lines of `len` pixels each: pixel i of line j is at
/// `j * line_stride + i * step` (three channels).
fn blur_lines(
    src: &[u8],
    dst: &mut [u8],
    len: usize,
    lines: usize,
    r: usize,
    step: usize,
    line_stride: usize,
) {
    let n = (2 * r + 1) as u32;
    for j in 0..lines {
        let base = j * line_stride;
        for ch in 0..3 {
            let at = |i: usize| u32::from(src[base + i.min(len - 1) * step + ch]);
            let mut sum: u32 = (0..=r).map(at).sum::<u32>() + at(0) * r as u32;
            for i in 0..len {
                dst[base + i * step + ch] = ((sum + n / 2) / n) as u8;
                let add = at(i + r + 1);
                let sub = at(i.saturating_sub(r));
                sum = sum + add - sub;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u32 = 320;
    const H: u32 = 180;

    fn luma(p: &image::Rgb<u8>) -> f32 {
        0.299 * f32::from(p.0[0]) + 0.587 * f32::from(p.0[1]) + 0.114 * f32::from(p.0[2])
    }

    fn mean_luma(img: &RgbImage, x0: u32, y0: u32, x1: u32, y1: u32) -> f32 {
        let mut s = 0.0;
        let mut n = 0.0;
        for y in y0..y1 {
            for x in x0..x1 {
                s += luma(img.get_pixel(x, y));
                n += 1.0;
            }
        }
        s / n
    }

    /// Pixels that differ from the backdrop, and their centre.
    fn subject(img: &RgbImage, bg: [u8; 3]) -> (usize, f32, f32) {
        let (mut n, mut sx, mut sy) = (0usize, 0f32, 0f32);
        for (x, y, p) in img.enumerate_pixels() {
            let d: i32 = (0..3)
                .map(|k| (i32::from(p.0[k]) - i32::from(bg[k])).abs())
                .sum();
            if d > 40 {
                n += 1;
                sx += x as f32;
                sy += y as f32;
            }
        }
        (n, sx / n.max(1) as f32, sy / n.max(1) as f32)
    }

    /// Sum of squared horizontal differences: high for sharp pictures.
    fn sharpness(img: &RgbImage) -> f64 {
        let mut s = 0.0;
        for y in 0..img.height() {
            for x in 1..img.width() {
                let d = f64::from(luma(img.get_pixel(x, y)) - luma(img.get_pixel(x - 1, y)));
                s += d * d;
            }
        }
        s
    }

    #[test]
    fn the_backdrop_follows_the_birth_year() {
        for (year, colour) in [
            (1991, KTP_RED),
            (1990, KTP_BLUE),
            (2003, KTP_RED),
            (2000, KTP_BLUE),
        ] {
            let img = render(
                &Portrait {
                    birth_year: year,
                    ..Portrait::default()
                },
                W,
                H,
            );
            for (x, y) in [(1, 1), (W - 2, 1), (1, H / 2), (W - 2, H / 2)] {
                assert_eq!(img.get_pixel(x, y).0, colour, "{year} at {x},{y}");
            }
        }
    }

    #[test]
    fn portraits_are_deterministic_and_person_specific() {
        let a = render(&Portrait::default(), W, H);
        assert_eq!(a, render(&Portrait::default(), W, H));
        let people: Vec<RgbImage> = (1..6)
            .map(|person| {
                render(
                    &Portrait {
                        person,
                        ..Portrait::default()
                    },
                    W,
                    H,
                )
            })
            .collect();
        for i in 0..people.len() {
            for j in i + 1..people.len() {
                assert_ne!(people[i], people[j], "persons {} and {}", i + 1, j + 1);
            }
        }
        let styles: std::collections::HashSet<_> = (0..40)
            .map(|p| format!("{:?}", Appearance::of(p).hair))
            .collect();
        assert_eq!(styles.len(), 3, "{styles:?}");
    }

    #[test]
    fn the_subject_is_centred_and_the_offset_moves_it() {
        let bg = background(1990);
        let (n, x, y) = subject(&render(&Portrait::default(), W, H), bg);
        assert!(n > (W * H / 8) as usize, "{n}");
        assert!((x - W as f32 / 2.0).abs() < 6.0, "{x}");
        assert!(y > H as f32 * 0.4, "{y}");
        let off = Portrait {
            offset: (0.2, 0.0),
            ..Portrait::default()
        };
        let (_, x2, _) = subject(&render(&off, W, H), bg);
        assert!(x2 - x > photo_width(W, H) * 0.15, "{x} -> {x2}");
    }

    #[test]
    fn the_head_is_framed_for_the_photo_and_distance_scales_it() {
        let (w, h) = (1920u32, 1080u32);
        let g = head_geometry(&Portrait::default(), w, h).unwrap();
        let hf = h as f32;
        assert!(((g.chin - g.crown) / hf - HEAD_FRACTION).abs() < 1e-3);
        assert!((g.crown / hf - CROWN_MARGIN).abs() < 1e-3);
        assert!((g.centre_x - w as f32 / 2.0).abs() < 1e-3);
        // Eyes halfway between crown and chin; hair above the skull.
        assert!(((g.eyes - g.crown) - (g.chin - g.eyes)).abs() < 1.0);
        assert!(g.hair_top < g.crown);
        for (d, want) in [(1.25f32, 0.6f32), (0.8, 0.9375)] {
            let p = Portrait {
                distance: d,
                ..Portrait::default()
            };
            let g = head_geometry(&p, w, h).unwrap();
            assert!(((g.chin - g.crown) / hf - want).abs() < 1e-3, "{d}");
        }
        // The drawn head's top is where the geometry says.
        let img = render(&Portrait::default(), w, h);
        let bg = background(1990);
        let x = w / 2;
        let top = (0..h)
            .find(|&y| {
                let p = img.get_pixel(x, y).0;
                (0..3)
                    .map(|k| (i32::from(p[k]) - i32::from(bg[k])).abs())
                    .sum::<i32>()
                    > 40
            })
            .unwrap();
        assert!(
            (top as f32 - g.hair_top).abs() < 3.0,
            "{top} {}",
            g.hair_top
        );
        assert_eq!(
            head_geometry(
                &Portrait {
                    subjects: Subjects::Nobody,
                    ..Portrait::default()
                },
                w,
                h
            ),
            None
        );
    }

    #[test]
    fn nobody_and_two_people() {
        let bg = background(1990);
        let empty = render(
            &Portrait {
                subjects: Subjects::Nobody,
                ..Portrait::default()
            },
            W,
            H,
        );
        assert_eq!(subject(&empty, bg).0, 0);
        let one = subject(&render(&Portrait::default(), W, H), bg).0;
        let two = subject(
            &render(
                &Portrait {
                    subjects: Subjects::Two,
                    ..Portrait::default()
                },
                W,
                H,
            ),
            bg,
        )
        .0;
        assert!(two as f32 > one as f32 * 1.3, "{one} -> {two}");
    }

    #[test]
    fn lighting_knobs_change_exposure_and_sides() {
        let face = |img: &RgbImage| mean_luma(img, W / 2 - 20, H / 3, W / 2 + 20, H / 2);
        let even = render(&Portrait::default(), W, H);
        let dark = render(
            &Portrait {
                lighting: Lighting::Dark,
                ..Portrait::default()
            },
            W,
            H,
        );
        let over = render(
            &Portrait {
                lighting: Lighting::Overexposed,
                ..Portrait::default()
            },
            W,
            H,
        );
        assert!(face(&dark) < face(&even) * 0.5);
        // Blown highlights: near-white pixels on the face.
        let blown = |img: &RgbImage| {
            (W / 2 - 20..W / 2 + 20)
                .flat_map(|x| (H / 3..H / 2).map(move |y| (x, y)))
                .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c >= 235))
                .count()
        };
        assert!(
            blown(&over) > 400 && blown(&even) < 40,
            "{} {}",
            blown(&over),
            blown(&even)
        );
        let left = render(
            &Portrait {
                lighting: Lighting::ShadowLeft,
                ..Portrait::default()
            },
            W,
            H,
        );
        let l = mean_luma(&left, W / 2 - 22, H / 3, W / 2 - 8, H / 2);
        let r = mean_luma(&left, W / 2 + 8, H / 3, W / 2 + 22, H / 2);
        assert!(l < r * 0.7, "left {l} right {r}");
        let right = render(
            &Portrait {
                lighting: Lighting::ShadowRight,
                ..Portrait::default()
            },
            W,
            H,
        );
        let l = mean_luma(&right, W / 2 - 22, H / 3, W / 2 - 8, H / 2);
        let r = mean_luma(&right, W / 2 + 8, H / 3, W / 2 + 22, H / 2);
        assert!(r < l * 0.7, "left {l} right {r}");
    }

    #[test]
    fn blur_softens_and_eyes_close() {
        let sharp = render(&Portrait::default(), W, H);
        let soft = render(
            &Portrait {
                blur: 6.0,
                ..Portrait::default()
            },
            W,
            H,
        );
        assert!(sharpness(&soft) < sharpness(&sharp) * 0.6);
        // The eye band loses its dark irises and bright whites when the eyes close.
        let band = |img: &RgbImage| {
            let y = head_geometry(&Portrait::default(), W, H).unwrap().eyes as u32;
            let mut lo = 255.0f32;
            let mut hi = 0.0f32;
            for x in W / 2 - 30..W / 2 + 30 {
                for dy in 0..3 {
                    let l = luma(img.get_pixel(x, y + dy - 1));
                    lo = lo.min(l);
                    hi = hi.max(l);
                }
            }
            hi - lo
        };
        let closed = render(
            &Portrait {
                eyes_closed: true,
                ..Portrait::default()
            },
            W,
            H,
        );
        assert!(
            band(&closed) < band(&sharp) * 0.8,
            "{} {}",
            band(&closed),
            band(&sharp)
        );
    }

    #[test]
    fn a_turned_head_moves_the_features() {
        // Where the irises are: the mean x of the darkest pixels along the eye line.
        let (w, h) = (640u32, 360u32);
        let eyes_x = |img: &RgbImage| {
            let ey = head_geometry(&Portrait::default(), w, h).unwrap().eyes as u32;
            let (mut n, mut sx) = (0.0f32, 0.0f32);
            for y in ey - 5..ey + 5 {
                for x in w / 2 - 80..w / 2 + 80 {
                    if luma(img.get_pixel(x, y)) < 70.0 {
                        n += 1.0;
                        sx += x as f32;
                    }
                }
            }
            assert!(n > 10.0, "no irises found");
            sx / n
        };
        let front = render(&Portrait::default(), w, h);
        let turned = render(
            &Portrait {
                yaw_deg: 25.0,
                ..Portrait::default()
            },
            w,
            h,
        );
        let away = render(
            &Portrait {
                yaw_deg: -25.0,
                ..Portrait::default()
            },
            w,
            h,
        );
        assert!(
            eyes_x(&turned) > eyes_x(&front) + 5.0,
            "{} {}",
            eyes_x(&front),
            eyes_x(&turned)
        );
        assert!(
            eyes_x(&away) < eyes_x(&front) - 5.0,
            "{} {}",
            eyes_x(&front),
            eyes_x(&away)
        );
        let rolled = render(
            &Portrait {
                roll_deg: 15.0,
                ..Portrait::default()
            },
            w,
            h,
        );
        assert_ne!(rolled, front);
    }
}
