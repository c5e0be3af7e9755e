//! How long [`rekam_quality::finger::assess`] takes on a good simulated print at the serial
//! module's 256 x 288 and at 400 x 500 (the issue's bound: 10 ms on one core in release).
//!
//! ```sh
//! cargo bench -p rekam-quality --bench finger
//! ```
//!
//! `finger/...` is criterion's usual wall-clock time. `finger_cpu/...` is the CPU time the
//! benchmark thread itself spent (Linux `/proc/thread-self/schedstat`), which is what "on one
//! core" means when other processes share the machine: wall-clock time then also counts the
//! time the thread waited for a core. Where schedstat cannot be read it falls back to
//! wall-clock time.
use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use image::GrayImage;
use rekam_quality::finger::assess;
use rekam_synth::finger::{impression, Condition, MasterPrint};

fn images() -> Vec<(u32, u32, GrayImage)> {
    let master = MasterPrint::new(1, 2);
    [(256, 288), (400, 500)]
        .into_iter()
        .map(|(w, h)| (w, h, impression(&master, 3, Condition::Good, w, h)))
        .collect()
}

fn finger(c: &mut Criterion) {
    for (w, h, img) in images() {
        c.bench_function(&format!("finger/assess_good_{w}x{h}"), |b| {
            b.iter(|| assess(black_box(&img), 500))
        });
    }
}

/// CPU time this thread has run, from the first field of its schedstat (nanoseconds).
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn finger_cpu(c: &mut Criterion) {
    for (w, h, img) in images() {
        c.bench_function(&format!("finger_cpu/assess_good_{w}x{h}"), |b| {
            b.iter_custom(|iters| {
                let (cpu0, wall0) = (thread_cpu(), Instant::now());
                for _ in 0..iters {
                    black_box(assess(black_box(&img), 500)).ok();
                }
                match (cpu0, thread_cpu()) {
                    (Some(a), Some(b)) if b > a => b - a,
                    _ => wall0.elapsed(),
                }
            })
        });
    }
}

criterion_group!(benches, finger, finger_cpu);
criterion_main!(benches);
