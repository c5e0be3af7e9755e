//! Iris capture-to-image latency through the in-process simulated USB link: from START_CAPTURE
//! to both 640 x 480 images in hand, status polling without pauses (the person's approach takes
//! five polls). Under umockdev, the figure is printed by
//! `cargo test --release -p rekam-tests --test iris_umockdev -- --nocapture`.
//!
//! `cargo run --release -p rekam-tests --example iris_latency [-- RUNS]`
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use firmware_sim::iris::{IrisFirmware, IrisScenario, SimUsbLink};
use rekam_iris::codec::Eyes;
use rekam_iris::{Config, Iris};

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let fw = Arc::new(Mutex::new(IrisFirmware::new(IrisScenario::typical(3))));
    let mut iris = Iris::new(
        SimUsbLink::new(fw),
        Config {
            poll_interval: Duration::ZERO,
            ..Config::default()
        },
    )
    .unwrap();
    iris.connect().unwrap();
    let mut both = Vec::new();
    let mut one = Vec::new();
    for i in 0..runs {
        let t = Instant::now();
        iris.capture_eyes(
            if i % 2 == 0 { Eyes::Both } else { Eyes::Right },
            Duration::from_secs(5),
            &mut |_| {},
        )
        .unwrap();
        if i % 2 == 0 {
            both.push(t.elapsed())
        } else {
            one.push(t.elapsed())
        }
    }
    for (name, mut v) in [("both eyes", both), ("one eye", one)] {
        v.sort();
        let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
        println!("{name}: p50 {:.2} ms, p95 {:.2} ms over {} captures (includes rendering the synthetic eye in the simulator)", p(0.5), p(0.95), v.len());
    }
}
