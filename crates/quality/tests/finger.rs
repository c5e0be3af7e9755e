//! Fingerprint quality on constructed images with known answers, simulated prints
//! (rekam-synth) and arbitrary input.
#![allow(clippy::unwrap_used)]

use image::{GrayImage, Luma};
use proptest::prelude::*;
use rekam_quality::finger::{assess, code, limits};
use rekam_quality::{Error, Modality, QualityReport};
use rekam_synth::finger::{impression, Condition, MasterPrint};

fn m(r: &QualityReport, name: &str) -> f64 {
    r.measure(name).unwrap()
}

/// Dark ridges of `period` pixels running at `ridge_deg` degrees from the x axis (image
/// y pointing down), 200 grey levels peak to peak around 128, inside `inside`.
fn ridges(
    w: u32,
    h: u32,
    period: f64,
    ridge_deg: f64,
    inside: impl Fn(f64, f64) -> bool,
) -> GrayImage {
    let a = ridge_deg.to_radians();
    // The normal to the ridges.
    let (nx, ny) = (-a.sin(), a.cos());
    GrayImage::from_fn(w, h, |x, y| {
        let (x, y) = (f64::from(x), f64::from(y));
        if !inside(x, y) {
            return Luma([245]);
        }
        let t = x * nx + y * ny;
        let v = 128.0 + 100.0 * (std::f64::consts::TAU * t / period).cos();
        Luma([v.round() as u8])
    })
}

#[test]
fn a_uniform_image_scores_zero_and_says_uniform() {
    for (w, h, g) in [(256, 288, 250), (400, 500, 128), (400, 500, 0)] {
        let r = assess(&GrayImage::from_pixel(w, h, Luma([g])), 500).unwrap();
        assert_eq!(r.modality, Modality::Finger);
        assert_eq!(r.score, 0);
        let codes: Vec<_> = r.feedback.iter().map(|f| f.code).collect();
        assert_eq!(codes, [code::UNIFORM]);
    }
}

#[test]
fn a_sinusoid_of_known_period_and_orientation_is_measured() {
    for (period, deg) in [(10.0, 30.0), (8.0, 120.0), (12.0, 0.0), (9.0, 90.0)] {
        let img = ridges(400, 500, period, deg, |_, _| true);
        let r = assess(&img, 500).unwrap();
        let p = m(&r, "ridge_period_px");
        assert!((p - period).abs() < 0.08 * period, "{period} px found {p}");
        let o = m(&r, "ridge_orientation_deg");
        let diff = (o - deg).rem_euclid(180.0);
        assert!(diff.min(180.0 - diff) < 2.0, "{deg}° found {o}");
        assert!(m(&r, "orientation_certainty") > 0.9, "{r:?}");
        assert!(m(&r, "coherence_mean") > 0.9);
        assert!(
            m(&r, "frequency_domain") > 0.3,
            "{}",
            m(&r, "frequency_domain")
        );
        assert!(m(&r, "local_clarity") > 0.9, "{}", m(&r, "local_clarity"));
        assert!(m(&r, "orientation_flow") < 0.01);
        // 100 grey levels, less what leaks out of the nearest bin of a 32-sample transform.
        let amp = m(&r, "ridge_amplitude");
        assert!((55.0..=105.0).contains(&amp), "{amp}");
        // Straight parallel ridges have no endings or bifurcations.
        assert!(
            m(&r, "minutiae_count") <= 2.0,
            "{}",
            m(&r, "minutiae_count")
        );
        assert!(r.has_feedback(code::TOO_FEW_MINUTIAE));
        // Every block is certain and of high contrast, most are of high clarity (a sinusoid's
        // local clarity is about 0.9); none is faint; all alike.
        let fg = m(&r, "foreground_area_mm2");
        for (name, share) in [
            ("certain_area_mm2", 0.8),
            ("clarity_area_mm2", 0.5),
            ("strong_area_mm2", 0.8),
            ("high_contrast_area_mm2", 0.8),
        ] {
            let v = m(&r, name);
            assert!(v > share * fg && v <= fg + 1e-9, "{name} {v} of {fg}");
        }
        assert_eq!(m(&r, "faint_area_mm2"), 0.0);
        assert!(m(&r, "local_clarity_spread") < 0.05);
        assert!(m(&r, "frequency_domain_spread") < 0.05);
    }
}

#[test]
fn faint_ridges_are_faint_area_and_score_lower() {
    let strong = assess(&ridges(400, 500, 10.0, 45.0, |_, _| true), 500).unwrap();
    // The same ridges at 4 grey levels of amplitude around a light grey.
    let faint = GrayImage::from_fn(400, 500, |x, y| {
        let t = (f64::from(y) - f64::from(x)) / std::f64::consts::SQRT_2;
        let v = 200.0 + 4.0 * (std::f64::consts::TAU * t / 10.0).cos();
        Luma([v.round() as u8])
    });
    let r = assess(&faint, 500).unwrap();
    if m(&r, "foreground_blocks") > 0.0 {
        let fg = m(&r, "foreground_area_mm2");
        assert!(
            m(&r, "faint_area_mm2") > 0.8 * fg,
            "{}",
            m(&r, "faint_area_mm2")
        );
        assert_eq!(m(&r, "strong_area_mm2"), 0.0);
    }
    assert!(r.has_feedback(code::LOW_CONTRAST) || r.has_feedback(code::EMPTY));
    assert!(r.score < strong.score, "{} vs {}", r.score, strong.score);
}

#[test]
fn the_foreground_of_a_centred_disc_of_ridges_is_its_area() {
    let (w, h, radius) = (400u32, 500u32, 150.0);
    let img = ridges(w, h, 10.0, 45.0, |x, y| {
        (x - 200.0).hypot(y - 250.0) <= radius
    });
    let r = assess(&img, 500).unwrap();
    let px_per_mm = 500.0 / 25.4;
    let disc_mm2 = std::f64::consts::PI * radius * radius / (px_per_mm * px_per_mm);
    let area = m(&r, "foreground_area_mm2");
    assert!(
        (area - disc_mm2).abs() < 0.12 * disc_mm2,
        "{area} vs {disc_mm2}"
    );
    let frac = m(&r, "foreground_fraction");
    let disc_frac = std::f64::consts::PI * radius * radius / f64::from(w * h);
    assert!(
        (frac - disc_frac).abs() < 0.12 * disc_frac,
        "{frac} vs {disc_frac}"
    );
}

/// An optical sensor's print on its white background: a disc of ridges on 255, the whole
/// image's mean above 250 (NFIQ 2's empty-image feedback threshold). The ridges are there and
/// must be measured, not reported empty (NFIQ 2 scores such prints).
#[test]
fn a_light_print_on_a_white_background_is_scored_not_empty() {
    let img = GrayImage::from_fn(400, 500, |x, y| {
        let (x, y) = (f64::from(x), f64::from(y));
        if (x - 200.0).hypot(y - 250.0) > 120.0 {
            return Luma([255]);
        }
        let v = 240.0 + 15.0 * (std::f64::consts::TAU * (x + y) / 10.0 / 2f64.sqrt()).cos();
        Luma([v.round() as u8])
    });
    let r = assess(&img, 500).unwrap();
    assert!(m(&r, "grey_mean") > 250.0, "{}", m(&r, "grey_mean"));
    assert!(!r.has_feedback(code::EMPTY), "{r:?}");
    assert!(m(&r, "foreground_area_mm2") > 100.0, "{r:?}");
    assert!(m(&r, "ridge_amplitude") > 10.0, "{r:?}");
}

/// The ridge period offset is |ln(period / 10)| of the measured period: about 0 for ridges at
/// the usual 10 px, and larger for the same ridges as a 400 or 600 ppi sensor would present
/// them at 500 ppi (8 and 12 px).
#[test]
fn the_ridge_period_offset_measures_a_rescaled_print() {
    let offset = |period: f64| {
        let r = assess(&ridges(400, 500, period, 30.0, |_, _| true), 500).unwrap();
        let off = m(&r, "ridge_period_offset");
        let want = (m(&r, "ridge_period_px") / limits::NOMINAL_PERIOD_PX)
            .ln()
            .abs();
        assert!((off - want).abs() < 1e-9, "{period} px: {off} vs {want}");
        off
    };
    let (at8, at10, at12) = (offset(8.0), offset(10.0), offset(12.0));
    assert!(at10 < 0.08, "{at10}");
    assert!(
        at8 > at10 + 0.1 && at12 > at10 + 0.03,
        "{at8} {at10} {at12}"
    );
}

#[test]
fn a_small_disc_is_too_little_foreground() {
    let img = ridges(400, 500, 10.0, 45.0, |x, y| {
        (x - 200.0).hypot(y - 250.0) <= 70.0
    });
    let r = assess(&img, 500).unwrap();
    assert!(m(&r, "foreground_area_mm2") < limits::MIN_FOREGROUND_MM2);
    assert!(r.has_feedback(code::TOO_LITTLE_FOREGROUND));
}

#[test]
fn resolutions_other_than_500_ppi_and_absurd_sizes_are_errors() {
    let img = GrayImage::from_pixel(256, 288, Luma([200]));
    for ppi in [0, 250, 1000] {
        assert!(matches!(assess(&img, ppi), Err(Error::Input(_))));
    }
    for (w, h) in [(1, 1), (8, 8), (31, 400), (400, 31), (5000, 40)] {
        let e = assess(&GrayImage::new(w, h), 500).unwrap_err();
        assert!(matches!(e, Error::Size { .. }), "{w} x {h}: {e}");
        assert!(e.to_string().contains("500 ppi"));
    }
}

/// Impressions of a few fingers in one condition, at the serial module's and a larger size.
fn prints(condition: Condition) -> Vec<QualityReport> {
    let mut out = Vec::new();
    for k in 0..4u64 {
        let master = MasterPrint::new(7000 + k, (k % 10) as u8 + 1);
        let (w, h) = if k % 2 == 0 { (256, 288) } else { (400, 500) };
        out.push(assess(&impression(&master, 40 + k, condition, w, h), 500).unwrap());
    }
    out
}

fn mean_score(r: &[QualityReport]) -> f64 {
    r.iter().map(|r| f64::from(r.score)).sum::<f64>() / r.len() as f64
}

#[test]
fn good_prints_score_above_every_degraded_condition_on_average() {
    let good = prints(Condition::Good);
    for r in &good {
        assert!(r.score >= 30, "{r:?}");
        assert!(!r.has_feedback(code::EMPTY) && !r.has_feedback(code::LOW_CONTRAST));
    }
    let g = mean_score(&good);
    for c in [
        Condition::Dry,
        Condition::Wet,
        Condition::Smudged,
        Condition::Partial,
        Condition::LowContrast,
        Condition::Blank,
    ] {
        let s = mean_score(&prints(c));
        assert!(s < g, "{c:?} {s} vs good {g}");
    }
}

#[test]
fn a_blank_sensor_scores_zero_as_empty_or_uniform() {
    for r in prints(Condition::Blank) {
        assert_eq!(r.score, 0);
        assert!(
            r.has_feedback(code::EMPTY) || r.has_feedback(code::UNIFORM),
            "{r:?}"
        );
    }
}

#[test]
fn a_faint_print_gets_contrast_feedback() {
    for r in prints(Condition::LowContrast) {
        assert!(r.has_feedback(code::LOW_CONTRAST), "{r:?}");
    }
}

#[test]
fn a_partial_print_is_too_little_foreground() {
    let partial = prints(Condition::Partial);
    let flagged = partial
        .iter()
        .filter(|r| r.has_feedback(code::TOO_LITTLE_FOREGROUND))
        .count();
    assert!(flagged >= 3, "{partial:?}");
}

#[test]
fn every_driver_size_is_measured() {
    let master = MasterPrint::new(11, 2);
    for (w, h) in [(256, 288), (400, 500), (800, 750), (1600, 1500)] {
        let r = assess(&impression(&master, 1, Condition::Good, w, h), 500).unwrap();
        assert!(r.score > 0, "{w} x {h}: {r:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any image of any accepted size and content gets a report with finite measures.
    #[test]
    fn arbitrary_images_never_panic(
        w in prop_oneof![1u32..70, 200u32..420],
        h in prop_oneof![1u32..70, 1000u32..1400],
        seed in any::<u64>(),
        kind in 0u8..3,
    ) {
        let mut s = seed | 1;
        let img = GrayImage::from_fn(w, h, |x, y| {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            Luma([match kind {
                0 => (s % 256) as u8,
                1 => ((x * 37 + y * 11) % 256) as u8,
                _ => if (x / 5 + y / 7) % 2 == 0 { 30 } else { 220 },
            }])
        });
        match assess(&img, 500) {
            Err(Error::Size { .. }) => prop_assert!(w < 32 || h < 32),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
            Ok(r) => {
                prop_assert!(r.score <= 100);
                for m in &r.measures {
                    prop_assert!(m.value.is_finite(), "{} = {}", m.name, m.value);
                }
            }
        }
    }
}
