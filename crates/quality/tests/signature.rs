//! Signature quality on simulated signatures (rekam-synth) and arbitrary pen series.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use rekam_device::{PenCapture, PenSample};
use rekam_quality::signature::{assess, code, ACCEPT_SCORE};
use rekam_quality::{Error, Modality, QualityReport};
use rekam_synth::signature::{generate, PenReport, SignatureSpec, Style};

/// The pen series the sigpad driver would build from the simulator's reports.
fn capture(reports: &[PenReport], spec: &SignatureSpec) -> PenCapture {
    let mut strokes = Vec::new();
    let mut current: Vec<PenSample> = Vec::new();
    for r in reports {
        if r.tip {
            current.push(PenSample {
                t_us: u64::from(r.t_ms) * 1000,
                x: r.x,
                y: r.y,
                pressure: r.pressure,
                tip: true,
            });
        } else if !current.is_empty() {
            strokes.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        strokes.push(current);
    }
    PenCapture {
        strokes,
        max_x: spec.max_x,
        max_y: spec.max_y,
        max_pressure: spec.max_pressure,
        units_per_mm: 100,
        duration_us: reports.last().map_or(0, |r| u64::from(r.t_ms) * 1000),
    }
}

/// The simulator's default pad (an ISDV4 152 x 95 mm at 133 reports a second), and a smaller,
/// faster one.
const PADS: [(u16, u16, u16, u32); 2] = [(15_200, 9_500, 1023, 133), (10_000, 6_000, 2047, 200)];

fn spec(pad: usize, style: Style) -> SignatureSpec {
    let (max_x, max_y, max_pressure, rate_hz) = PADS[pad % PADS.len()];
    SignatureSpec {
        max_x,
        max_y,
        max_pressure,
        rate_hz,
        style,
    }
}

fn signed(person: u64, attempt: u64, spec: &SignatureSpec) -> QualityReport {
    assess(&capture(&generate(person, attempt, spec), spec)).unwrap()
}

fn codes(r: &QualityReport) -> Vec<&'static str> {
    r.feedback.iter().map(|f| f.code).collect()
}

const REFUSALS: [&str; 5] = [
    code::EMPTY,
    code::DOT,
    code::STRAIGHT_LINE,
    code::TOO_SMALL,
    code::TOO_FAST,
];

#[test]
fn many_people_signing_normally_pass() {
    let mut lowest = (u8::MAX, 0, 0);
    for person in 0..150 {
        for attempt in 0..2 {
            let spec = spec((person + attempt) as usize, Style::Normal);
            let r = signed(person, attempt, &spec);
            assert_eq!(r.modality, Modality::Signature);
            assert!(
                r.feedback.is_empty(),
                "person {person} attempt {attempt}: {:?}",
                codes(&r)
            );
            if r.score < lowest.0 {
                lowest = (r.score, person, attempt);
            }
        }
    }
    assert!(lowest.0 >= 70, "lowest score {lowest:?}");
}

#[test]
fn normal_signatures_pass_at_the_slowest_and_fastest_report_rates() {
    for rate_hz in [50, 1000] {
        for person in 0..20 {
            let spec = SignatureSpec {
                rate_hz,
                ..spec(0, Style::Normal)
            };
            let r = signed(person, 1, &spec);
            assert!(r.score >= 70, "{rate_hz} Hz, person {person}: {}", r.score);
            assert!(r.feedback.is_empty(), "{rate_hz} Hz: {:?}", codes(&r));
        }
    }
}

/// Every person's faulty signing of `style` is refused with exactly `expected` first.
fn refused(style: Style, expected: &str) {
    for person in 0..60 {
        let spec = spec(person as usize, style);
        let r = signed(person, 7, &spec);
        assert!(
            r.score < ACCEPT_SCORE,
            "{style:?} person {person}: score {}",
            r.score
        );
        assert_eq!(
            r.feedback.first().map(|f| f.code),
            Some(expected),
            "{style:?} person {person}: {:?}",
            codes(&r)
        );
    }
}

#[test]
fn a_dot_is_refused_as_a_dot() {
    refused(Style::Dot, code::DOT);
}

#[test]
fn a_straight_line_is_refused_as_a_straight_line() {
    refused(Style::StraightLine, code::STRAIGHT_LINE);
}

#[test]
fn a_tiny_signature_is_refused_as_too_small() {
    refused(Style::TooSmall, code::TOO_SMALL);
}

#[test]
fn a_dashed_off_signature_is_refused_as_too_fast() {
    refused(Style::TooFast, code::TOO_FAST);
}

#[test]
fn the_same_person_scores_higher_signing_normally_than_in_any_faulty_way() {
    for person in 0..30 {
        let spec0 = spec(0, Style::Normal);
        let normal = signed(person, 2, &spec0).score;
        for style in [
            Style::Dot,
            Style::StraightLine,
            Style::TooSmall,
            Style::TooFast,
        ] {
            let bad = signed(person, 2, &SignatureSpec { style, ..spec0 }).score;
            assert!(bad < normal, "person {person} {style:?}: {bad} vs {normal}");
        }
    }
}

fn arb_sample() -> impl Strategy<Value = PenSample> {
    (
        prop_oneof![0u64..5_000_000, any::<u64>()],
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        prop::bool::weighted(0.9),
    )
        .prop_map(|(t_us, x, y, pressure, tip)| PenSample {
            t_us,
            x,
            y,
            pressure,
            tip,
        })
}

fn arb_capture() -> impl Strategy<Value = PenCapture> {
    (
        prop::collection::vec(prop::collection::vec(arb_sample(), 0..40), 0..6),
        prop_oneof![Just(0u16), 1u16..4, any::<u16>()],
        prop_oneof![Just(0u16), 1u16..4, any::<u16>()],
        prop_oneof![Just(0u16), any::<u16>()],
        prop_oneof![Just(0u16), Just(100u16), any::<u16>()],
        any::<u64>(),
    )
        .prop_map(
            |(strokes, max_x, max_y, max_pressure, units_per_mm, duration_us)| PenCapture {
                strokes,
                max_x,
                max_y,
                max_pressure,
                units_per_mm,
                duration_us,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any pen series gets a report (or, for an impossible pad, an error) without panicking;
    /// every measure is finite, and a capture is refused exactly when it scores below the
    /// acceptance threshold.
    #[test]
    fn arbitrary_pen_series_never_panic(pen in arb_capture()) {
        match assess(&pen) {
            Err(Error::Input(msg)) => {
                prop_assert!(pen.units_per_mm == 0 || pen.max_x == 0 || pen.max_y == 0);
                prop_assert!(!msg.is_empty());
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
            Ok(r) => {
                prop_assert!(r.score <= 100);
                prop_assert!(r.measures.len() >= 16);
                for m in &r.measures {
                    prop_assert!(m.value.is_finite() && m.value >= 0.0, "{} = {}", m.name, m.value);
                }
                for name in ["extent_x_fraction", "extent_y_fraction", "pressure_mean", "straightness"] {
                    prop_assert!(r.measure(name).unwrap() <= 1.0, "{name}");
                }
                let refused = r.feedback.iter().any(|f| REFUSALS.contains(&f.code));
                prop_assert_eq!(refused, r.score < ACCEPT_SCORE, "score {} {:?}", r.score, codes(&r));
            }
        }
    }
}
