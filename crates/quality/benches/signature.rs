//! How long [`rekam_quality::signature::assess`] takes on a normal simulated signature (the
//! simulator's default pad: 152 x 95 mm, 133 reports a second).
//!
//! ```sh
//! cargo bench -p rekam-quality --bench signature
//! ```
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rekam_device::{PenCapture, PenSample};
use rekam_quality::signature::assess;
use rekam_synth::signature::{generate, SignatureSpec, Style};

/// The pen series the sigpad driver would build from the simulator's reports.
fn normal_signature(person: u64) -> PenCapture {
    let spec = SignatureSpec {
        max_x: 15_200,
        max_y: 9_500,
        max_pressure: 1023,
        rate_hz: 133,
        style: Style::Normal,
    };
    let reports = generate(person, 0, &spec);
    let mut strokes: Vec<Vec<PenSample>> = Vec::new();
    let mut current = Vec::new();
    for r in &reports {
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

fn signature(c: &mut Criterion) {
    let pen = normal_signature(1);
    let name = format!(
        "signature/assess_normal_{}_points_{}_strokes",
        pen.point_count(),
        pen.strokes.len()
    );
    c.bench_function(&name, |b| b.iter(|| assess(black_box(&pen))));
}

criterion_group!(benches, signature);
criterion_main!(benches);
