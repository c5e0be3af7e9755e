//! How long [`rekam_quality::iris::assess`] takes on a simulated 640 x 480 eye.
//!
//! ```sh
//! cargo bench -p rekam-quality --bench iris
//! ```
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rekam_quality::iris::assess;
use rekam_synth::eye::{render, EyeCondition, EyeModel, Side};

fn iris(c: &mut Criterion) {
    let model = EyeModel::new(1000, Side::Left);
    for cond in [EyeCondition::Good, EyeCondition::Closed] {
        let (img, _) = render(&model, 1, cond, 640, 480);
        c.bench_function(&format!("iris/assess_640x480_{cond:?}"), |b| {
            b.iter(|| assess(black_box(&img)))
        });
    }
}

criterion_group!(benches, iris);
criterion_main!(benches);
