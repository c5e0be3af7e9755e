//! Speed of rekam-wsq against NBIS on the same images in one run:
//! `REKAM_PYTHON=... cargo run --release -p rekam-wsq --example vs_nbis [ROUNDS]`.
//! NBIS is PyPI's `wsq` package (an NBIS wrapper) timed inside Python around its C calls
//! (`tests/nbis.py time`), so Python's start-up is not counted; each figure is the best of
//! ROUNDS (default 20) runs on one core.
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use rekam_synth::finger::{impression, Condition, MasterPrint};

fn main() {
    let py = std::env::var("REKAM_PYTHON").unwrap_or_else(|_| "python3".into());
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nbis.py");
    let dir = tempfile::tempdir().expect("tempdir");
    let real = dir.path().join("real.raw");
    let out = Command::new(&py)
        .arg(&script)
        .arg("sample")
        .arg(&real)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dims: Vec<u32> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|v| v.parse().expect("number"))
        .collect();
    let mut images = vec![(
        "real print (wsq package)".to_string(),
        dims[0],
        dims[1],
        std::fs::read(&real).expect("read"),
    )];
    for (seed, w, h) in [(21u64, 256u32, 288u32), (22, 400, 500), (23, 800, 750)] {
        let img = impression(&MasterPrint::new(seed, 1), seed, Condition::Good, w, h);
        images.push((format!("synthetic {w}x{h}"), w, h, img.into_raw()));
    }
    let opts = rekam_wsq::EncodeOptions {
        bitrate: 0.75,
        ppi: Some(500),
    };
    println!("| image | Rekam encode | NBIS encode | ratio | Rekam decode | NBIS decode | ratio |");
    println!("|---|---|---|---|---|---|---|");
    for (name, w, h, pixels) in images {
        let raw = dir.path().join("img.raw");
        std::fs::write(&raw, &pixels).expect("write");
        let out = Command::new(&py)
            .arg(&script)
            .args(["time", raw.to_str().expect("path")])
            .args([w.to_string(), h.to_string(), rounds.to_string()])
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let t: Vec<f64> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(|v| v.parse().expect("number"))
            .collect();
        let (mut enc, mut dec) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..rounds {
            let s = Instant::now();
            let data = rekam_wsq::encode(&pixels, w, h, &opts).expect("encode");
            enc = enc.min(s.elapsed().as_secs_f64());
            let s = Instant::now();
            std::hint::black_box(rekam_wsq::decode(&data).expect("decode"));
            dec = dec.min(s.elapsed().as_secs_f64());
        }
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2} | {:.2} ms | {:.2} ms | {:.2} |",
            enc * 1e3,
            t[0] * 1e3,
            enc / t[0],
            dec * 1e3,
            t[1] * 1e3,
            dec / t[1]
        );
    }
    println!("(ratio = Rekam's time / NBIS's; below 1 is faster)");
}
