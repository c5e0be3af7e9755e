//! Iris quality on constructed images, simulated eyes (rekam-synth) and arbitrary images.
#![allow(clippy::unwrap_used)]

use image::{GrayImage, Luma};
use proptest::prelude::*;
use rekam_quality::iris::{assess, code, limits, segment, ACCEPT_SCORE};
use rekam_quality::{Error, Modality, QualityReport};
use rekam_synth::eye::{render, EyeCondition, EyeModel, GroundTruth, Side};

/// Deterministic texture in -1..1 (a hash of the pixel position).
fn noise(x: u32, y: u32) -> f64 {
    let mut h = u64::from(x).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ u64::from(y).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 32;
    (h % 2001) as f64 / 1000.0 - 1.0
}

/// A dark disc (pupil) in a textured ring (iris) on a bright background (sclera).
fn target(px: f64, py: f64, pr: f64, ix: f64, iy: f64, ir: f64) -> GrayImage {
    GrayImage::from_fn(640, 480, |x, y| {
        let (fx, fy) = (f64::from(x), f64::from(y));
        let v = if (fx - px).hypot(fy - py) <= pr {
            15.0
        } else if (fx - ix).hypot(fy - iy) <= ir {
            // Radial streaks plus fine noise, as in iris stroma.
            let a = (fy - iy).atan2(fx - ix);
            85.0 + 12.0 * (a * 37.0).sin() + 8.0 * noise(x, y)
        } else {
            175.0 + 6.0 * noise(x, y)
        };
        Luma([v.round().clamp(0.0, 255.0) as u8])
    })
}

#[test]
fn constructed_eye_is_segmented_to_a_pixel() {
    let img = target(321.3, 238.6, 42.0, 321.3, 238.6, 118.0);
    let s = segment(&img).unwrap();
    assert!((s.pupil.x - 321.3).abs() < 1.0, "{s:?}");
    assert!((s.pupil.y - 238.6).abs() < 1.0, "{s:?}");
    assert!((s.pupil.r - 42.0).abs() < 1.5, "{s:?}");
    assert!((s.iris.x - 321.3).abs() < 1.5, "{s:?}");
    assert!((s.iris.y - 238.6).abs() < 1.5, "{s:?}");
    assert!((s.iris.r - 118.0).abs() < 2.0, "{s:?}");
    let r = assess(&img).unwrap();
    assert_eq!(r.modality, Modality::Iris);
    assert!(
        r.measure("pupil_boundary_circularity").unwrap() > 90.0,
        "{r:?}"
    );
    assert!(
        r.measure("iris_pupil_concentricity").unwrap() > 98.0,
        "{r:?}"
    );
    assert!(r.measure("usable_iris_area").unwrap() > 95.0, "{r:?}");
    assert!((r.measure("pupil_iris_ratio").unwrap() - 100.0 * 42.0 / 118.0).abs() < 2.0);
}

#[test]
fn offset_pupil_lowers_concentricity() {
    let centred = assess(&target(320.0, 240.0, 40.0, 320.0, 240.0, 115.0)).unwrap();
    let offset = assess(&target(342.0, 236.0, 40.0, 320.0, 240.0, 115.0)).unwrap();
    let (c0, c1) = (
        centred.measure("iris_pupil_concentricity").unwrap(),
        offset.measure("iris_pupil_concentricity").unwrap(),
    );
    // 22.4 px off-centre on a 115 px iris: 80.5.
    assert!(c0 > 98.0 && (c1 - 80.5).abs() < 3.0, "{c0} {c1}");
    assert!(offset.has_feedback(code::LOOK_AT_CAMERA), "{offset:?}");
}

#[test]
fn uniform_image_has_no_iris() {
    for grey in [0u8, 128, 255] {
        let r = assess(&GrayImage::from_pixel(640, 480, Luma([grey]))).unwrap();
        assert_eq!(r.score, 0);
        assert!(r.has_feedback(code::NO_IRIS), "{r:?}");
        assert_eq!(r.measures.len(), 10);
    }
    let dark = assess(&GrayImage::from_pixel(640, 480, Luma([10]))).unwrap();
    assert!(dark.has_feedback(code::TOO_DARK));
}

#[test]
fn absurd_sizes_are_refused_with_a_sentence() {
    for (w, h) in [(20, 20), (640, 100), (5000, 480)] {
        match assess(&GrayImage::new(w, h)) {
            Err(e @ Error::Size { .. }) => assert!(e.to_string().contains("640 x 480"), "{e}"),
            other => panic!("{w}x{h}: {other:?}"),
        }
    }
}

const PEOPLE: u64 = 5;

fn eye(person: u64, side: Side, cond: EyeCondition) -> (QualityReport, GroundTruth, GrayImage) {
    let m = EyeModel::new(1000 + person, side);
    let (img, gt) = render(&m, person * 16 + 3, cond, 640, 480);
    (assess(&img).unwrap(), gt, img)
}

fn each_eye() -> impl Iterator<Item = (u64, Side)> {
    (0..PEOPLE).flat_map(|p| [(p, Side::Left), (p, Side::Right)])
}

#[test]
fn good_eyes_are_segmented_accurately() {
    let mut pupil_c = Vec::new();
    let mut worst = (0.0f64, 0.0f64, 0.0f64);
    for (p, side) in each_eye() {
        let (_, gt, img) = eye(p, side, EyeCondition::Good);
        let s = segment(&img).unwrap();
        let pc = (s.pupil.x - gt.pupil_x).hypot(s.pupil.y - gt.pupil_y);
        let ic = (s.iris.x - gt.iris_x).hypot(s.iris.y - gt.iris_y);
        let ir = (s.iris.r - gt.iris_r).abs();
        pupil_c.push(pc);
        worst = (
            worst.0.max((s.pupil.r - gt.pupil_r).abs()),
            worst.1.max(ic),
            worst.2.max(ir),
        );
        assert!(
            pc < 3.0 && ic < 2.0 && ir < 2.0,
            "{p} {side:?}: pupil centre off {pc:.1} px, iris centre off {ic:.1} px, iris radius off {ir:.1} px"
        );
    }
    pupil_c.sort_by(f64::total_cmp);
    let med = pupil_c[pupil_c.len() / 2];
    assert!(med < 1.0, "median pupil centre error {med:.2} px");
    assert!(worst.0 < 3.0, "pupil radius error {worst:?}");
}

#[test]
fn good_scores_above_every_degraded_condition_on_average() {
    let mean = |c: EyeCondition| {
        each_eye()
            .map(|(p, s)| f64::from(eye(p, s, c).0.score))
            .sum::<f64>()
            / (2 * PEOPLE) as f64
    };
    let good = mean(EyeCondition::Good);
    assert!(good >= f64::from(ACCEPT_SCORE), "{good}");
    for c in &EyeCondition::ALL[1..] {
        let m = mean(*c);
        assert!(good > m, "Good {good} vs {c:?} {m}");
    }
}

#[test]
fn each_condition_gets_its_feedback() {
    for (p, side) in each_eye() {
        let (far, gt, _) = eye(p, side, EyeCondition::TooFar);
        assert!(
            far.measure("iris_radius").unwrap() < limits::MIN_IRIS_RADIUS,
            "{far:?} {gt:?}"
        );
        assert!(far.has_feedback(code::MOVE_CLOSER), "{far:?}");
        assert!(far.score < ACCEPT_SCORE);

        let (closed, _, _) = eye(p, side, EyeCondition::Closed);
        assert!(closed.score < ACCEPT_SCORE);
        assert!(
            closed.has_feedback(code::NO_IRIS) || closed.has_feedback(code::OPEN_EYES),
            "{closed:?}"
        );

        let (good, _, _) = eye(p, side, EyeCondition::Good);
        for blur in [EyeCondition::FocusBlur, EyeCondition::MotionBlur] {
            let (b, _, _) = eye(p, side, blur);
            assert!(
                b.measure("sharpness").unwrap() < limits::MIN_SHARPNESS,
                "{blur:?} {b:?}"
            );
            assert!(b.measure("sharpness").unwrap() < good.measure("sharpness").unwrap());
            assert!(
                b.has_feedback(code::HOLD_STILL) || b.has_feedback(code::NO_IRIS),
                "{b:?}"
            );
        }

        let (dark, _, _) = eye(p, side, EyeCondition::TooDark);
        assert!(dark.has_feedback(code::TOO_DARK), "{dark:?}");
        assert!(dark.score < ACCEPT_SCORE);

        let (occ, _, _) = eye(p, side, EyeCondition::Occluded);
        assert!(
            occ.measure("usable_iris_area").unwrap() < limits::MIN_USABLE_AREA,
            "{occ:?}"
        );
        assert!(occ.score < ACCEPT_SCORE);
    }
}

/// The station's default iris threshold (MOSIP's default quality threshold).
const GATE: u8 = 60;

/// A normal open eye looking at the camera passes the gate with room to spare and no
/// refusing feedback; every degraded capture falls below it and says why.
#[test]
fn good_eyes_pass_the_gate_and_degraded_ones_fail_it_with_their_feedback() {
    use EyeCondition::*;
    let mut good = Vec::new();
    let mut off_axis_told = 0;
    for (p, side) in each_eye() {
        let (r, _, _) = eye(p, side, Good);
        let codes: Vec<&str> = r.feedback.iter().map(|f| f.code).collect();
        assert!(
            r.score >= GATE && codes.is_empty(),
            "{p} {side:?} Good: score {} feedback {codes:?}",
            r.score
        );
        good.push(r.score);
        for (cond, wanted) in [
            (TooDark, &[code::TOO_DARK][..]),
            (FocusBlur, &[code::HOLD_STILL][..]),
            (MotionBlur, &[code::HOLD_STILL][..]),
            // Known limit: a strongly off-axis eye is sometimes not found at all (person 2
            // left here); counted below.
            (OffAxis, &[code::LOOK_AT_CAMERA, code::NO_IRIS][..]),
            // A squint or a closed eye: either no eye is found (the `no_iris` sentence asks to
            // open the eyes wide) or the lids are reported.
            (Occluded, &[code::OPEN_EYES, code::NO_IRIS][..]),
            (Closed, &[code::OPEN_EYES, code::NO_IRIS][..]),
            (TooFar, &[code::MOVE_CLOSER][..]),
        ] {
            let (r, _, _) = eye(p, side, cond);
            let codes: Vec<&str> = r.feedback.iter().map(|f| f.code).collect();
            if cond == OffAxis && codes.contains(&code::LOOK_AT_CAMERA) {
                off_axis_told += 1;
            }
            assert!(
                r.score < GATE && wanted.iter().any(|w| codes.contains(w)),
                "{p} {side:?} {cond:?}: score {} feedback {codes:?}, wanted one of {wanted:?}",
                r.score
            );
        }
    }
    assert!(
        off_axis_told + 1 >= 2 * PEOPLE,
        "only {off_axis_told} of {} off-axis eyes told to look at the camera",
        2 * PEOPLE
    );
    good.sort_unstable();
    let min = good[0];
    let mean = good.iter().map(|&s| f64::from(s)).sum::<f64>() / good.len() as f64;
    assert!(
        mean >= 80.0 && min >= 65,
        "Good scores: min {min}, mean {mean:.1}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn odd_sizes_and_content_never_panic(w in 1u32..900, h in 1u32..700, seed in any::<u64>(), blob in any::<bool>()) {
        let img = GrayImage::from_fn(w, h, |x, y| {
            let n = noise(x ^ seed as u32, y ^ (seed >> 32) as u32);
            let d = (f64::from(x) - f64::from(w) / 2.0).hypot(f64::from(y) - f64::from(h) / 2.0);
            let base = if blob && d < f64::from(w.min(h)) / 6.0 { 20.0 } else { 140.0 };
            Luma([(base + 60.0 * n).clamp(0.0, 255.0) as u8])
        });
        match assess(&img) {
            Ok(r) => {
                prop_assert!(r.score <= 100);
                prop_assert_eq!(r.measures.len(), 10);
                prop_assert!(r.measures.iter().all(|m| m.value.is_finite()));
                prop_assert!(r.score == 0 || !r.has_feedback(code::NO_IRIS));
            }
            Err(Error::Size { .. }) => prop_assert!(w < 160 || h < 160),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}
