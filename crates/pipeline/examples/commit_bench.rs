//! Time to commit a full record (10 fingerprints, 2 irises, face, signature), split into
//! quality, encoding (PNG + manifest), signing and the durable write, p50 and p95; and the same
//! bytes written and fsynced raw (temp file, fsync, rename, fsync directory) as the floor.
//!
//! `cargo run --release -p rekam-pipeline --example commit_bench [-- RUNS [DIR]]`
//! (DIR: where to write; default a temporary folder, i.e. the disk the machine's /tmp is on).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use firmware_sim::synth::{eye, finger, signature};
use rekam_device::{Capture, Finger, ImageCapture, PenCapture, PenSample, Pixels, Position};
use rekam_pipeline::{Gates, Session, Step};
use rekam_quality::{Modality, QualityReport};
use rekam_record::{seal, Person, Service, Sex, StationKey};
use rekam_store::Store;

fn captures() -> Vec<(Step, Capture)> {
    let mut v = Vec::new();
    for (i, f) in Finger::ALL.iter().enumerate() {
        let m = finger::MasterPrint::new(42, f.iso_code());
        let img = finger::impression(&m, i as u64, finger::Condition::Good, 256, 288);
        v.push((
            Step::Finger(*f),
            Capture::Image(ImageCapture {
                pixels: Pixels::Gray(img),
                ppi: Some(500),
                position: Position::Finger(*f),
                source_levels: 16,
            }),
        ));
    }
    for (side, e) in [
        (eye::Side::Right, rekam_device::Eye::Right),
        (eye::Side::Left, rekam_device::Eye::Left),
    ] {
        let (img, _) = eye::render(
            &eye::EyeModel::new(42, side),
            1,
            eye::EyeCondition::Good,
            640,
            480,
        );
        v.push((
            Step::Iris(e),
            Capture::Image(ImageCapture {
                pixels: Pixels::Gray(img),
                ppi: None,
                position: Position::Iris(e),
                source_levels: 256,
            }),
        ));
    }
    // A 1280 x 720 colour frame with photographic-like content (smooth shading and noise).
    let face = image::RgbImage::from_fn(1280, 720, |x, y| {
        let n = ((x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 13) as u8 & 15;
        image::Rgb([(x / 6) as u8 ^ n, (y / 3) as u8 + n, 128 + n])
    });
    v.push((
        Step::Face,
        Capture::Image(ImageCapture {
            pixels: Pixels::Rgb(face),
            ppi: None,
            position: Position::Face,
            source_levels: 256,
        }),
    ));
    let spec = signature::SignatureSpec {
        max_x: 15_200,
        max_y: 9_500,
        max_pressure: 1023,
        rate_hz: 133,
        style: signature::Style::Normal,
    };
    let mut strokes: Vec<Vec<PenSample>> = vec![vec![]];
    for r in signature::generate(42, 0, &spec) {
        if r.tip {
            strokes.last_mut().unwrap().push(PenSample {
                t_us: u64::from(r.t_ms) * 1000,
                x: r.x,
                y: r.y,
                pressure: r.pressure,
                tip: true,
            });
        } else if !strokes.last().unwrap().is_empty() {
            strokes.push(vec![]);
        }
    }
    strokes.retain(|s| !s.is_empty());
    v.push((
        Step::Signature,
        Capture::Pen(PenCapture {
            strokes,
            max_x: 15_200,
            max_y: 9_500,
            max_pressure: 1023,
            units_per_mm: 100,
            duration_us: 3_000_000,
        }),
    ));
    v
}

fn pct(v: &mut [Duration], q: f64) -> f64 {
    v.sort();
    v[((v.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(30);
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::env::args()
        .nth(2)
        .map_or_else(|| tmp.path().to_path_buf(), std::path::PathBuf::from);
    let store = Store::open(&dir.join("store")).unwrap();
    let key = StationKey::generate();
    let caps = captures();
    let (mut quality, mut encode, mut sign, mut write, mut total, mut floor) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..runs {
        let t0 = Instant::now();
        let mut session = Session::new(
            Person {
                nik: format!("3578011207{:06}", 900_001 + i),
                name: "Bench".into(),
                birth_date: "1999-07-12".into(),
                sex: Sex::Male,
                service: Service::New,
            },
            Gates::default(),
            vec![],
        );
        let mut q = Duration::ZERO;
        for (step, c) in &caps {
            let tq = Instant::now();
            let report = match c {
                Capture::Pen(p) => rekam_quality::signature::assess(p).unwrap(),
                // Until every modality's scorer is in this build, images get a fixed passing
                // report and the quality column measures the signature only.
                Capture::Image(_) => QualityReport {
                    modality: Modality::Face,
                    score: 100,
                    measures: vec![],
                    feedback: vec![],
                },
            };
            q += tq.elapsed();
            session.offer(*step, c.clone(), report).unwrap();
        }
        let te = Instant::now();
        let (manifest, files) = session.build("BENCH", "op", &key.public_hex()).unwrap();
        let e = te.elapsed();
        let ts = Instant::now();
        let bytes = seal(&manifest, &files, &key).unwrap();
        let s = ts.elapsed();
        let tw = Instant::now();
        store.commit(&bytes).unwrap();
        let w = tw.elapsed();
        total.push(t0.elapsed());
        quality.push(q);
        encode.push(e);
        sign.push(s);
        write.push(w);
        // The floor: the same bytes, written and fsynced raw.
        let tf = Instant::now();
        rekam_store::write_atomic(&dir, &dir.join(format!("raw-{i}.bin")), &bytes).unwrap();
        floor.push(tf.elapsed());
        if i == 0 {
            println!("record size: {} bytes ({} files)", bytes.len(), files.len());
        }
    }
    for (name, v) in [
        ("quality", &mut quality),
        ("encoding (PNG, manifest)", &mut encode),
        ("signing (ed25519 + archive)", &mut sign),
        ("durable write (store.commit)", &mut write),
        ("total", &mut total),
        ("floor: raw write + fsync", &mut floor),
    ] {
        println!(
            "{name:<32} p50 {:>8.2} ms   p95 {:>8.2} ms",
            pct(v, 0.5),
            pct(v, 0.95)
        );
    }
}
