//! How long [`rekam_quality::finger::assess`] takes on a good simulated print at the serial
//! module's 256 x 288 and at 400 x 500 (the issue's bound: 10 ms on one core in release).
//!
//! ```sh
//! cargo bench -p rekam-quality --bench finger
//! ```
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use firmware_sim::synth::finger::{impression, Condition, MasterPrint};
use rekam_quality::finger::assess;

fn finger(c: &mut Criterion) {
    let master = MasterPrint::new(1, 2);
    for (w, h) in [(256, 288), (400, 500)] {
        let img = impression(&master, 3, Condition::Good, w, h);
        c.bench_function(&format!("finger/assess_good_{w}x{h}"), |b| {
            b.iter(|| assess(black_box(&img), 500))
        });
    }
}

criterion_group!(benches, finger);
criterion_main!(benches);
