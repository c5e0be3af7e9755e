//! Fingerprint image upload over the simulated line at real baud timing, as a fraction of the
//! line-rate limit (bytes on the wire x 10 bits / baud).
//!
//! `cargo run --release -p rekam-tests --example upload_rate [-- RUNS]`
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use firmware_sim::{FingerprintSim, SimConfig, Simulator};
use rekam_device::SerialLink;
use rekam_fingerprint::{Config, R30x};

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    println!("baud     bytes  line-limit  measured (median of {runs})  efficiency");
    for baud in [57_600u32, 115_200] {
        let sim = Simulator::start(&SimConfig {
            fingerprint: Some(FingerprintSim {
                baud,
                line_timing: true,
                ..FingerprintSim::default()
            }),
            signature_pad: None,
            run_dir: None,
            camera: None,
        })
        .unwrap();
        let fp = sim.fingerprint().unwrap();
        let link = SerialLink::open(&fp.path().display().to_string(), baud).unwrap();
        let mut s = R30x::new(
            link,
            Config {
                baud,
                ..Config::default()
            },
        )
        .unwrap();
        s.connect().unwrap();
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..runs {
            s.wait_for_finger(Duration::from_secs(10)).unwrap();
            let before = fp.stats().bytes_out;
            // The command itself is on the wire too: 12 bytes host to module.
            let t = Instant::now();
            s.up_image().unwrap();
            times.push(t.elapsed());
            bytes = fp.stats().bytes_out - before + 12;
        }
        times.sort();
        let median = times[times.len() / 2];
        let limit = Duration::from_secs_f64(bytes as f64 * 10.0 / f64::from(baud));
        println!(
            "{baud:<8} {bytes:<6} {:>8.3} s  {:>8.3} s                 {:.1}%",
            limit.as_secs_f64(),
            median.as_secs_f64(),
            100.0 * limit.as_secs_f64() / median.as_secs_f64()
        );
    }
}
