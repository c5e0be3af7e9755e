//! Time to commit a full record (10 fingerprints, 2 irises, face, signature), split into
//! quality, encoding (PNG + manifest), signing and the durable write, p50 and p95; and the same
//! bytes written and fsynced raw (temp file, fsync, rename, fsync directory) as the floor.
//!
//! `cargo run --release -p rekam-pipeline --example commit_bench [-- RUNS [DIR]]`
//! (DIR: where to write; default a temporary folder, i.e. the disk the machine's /tmp is on).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use rekam_device::{Capture, Finger, ImageCapture, PenCapture, PenSample, Pixels, Position};
use rekam_pipeline::engine::Assessor;
use rekam_pipeline::{Gate, Gates, Session, StandardAssessor, Step};
use rekam_record::{seal, Person, Service, Sex, StationKey};
use rekam_store::Store;
use rekam_synth::{eye, finger, signature};

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
    // The camera's full-resolution still: a simulated portrait at 1920 x 1080.
    let face = rekam_synth::face::render(
        &rekam_synth::face::Portrait {
            person: 42,
            birth_year: 1999,
            ..Default::default()
        },
        1920,
        1080,
    );
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
    // Every capture is scored by the station's scorer; the gates accept any score so that each
    // step takes exactly one capture (the bench times one pass, not the person's retries).
    let open = Gate {
        threshold: 0,
        attempts: 1,
    };
    let gates = Gates {
        finger: open,
        iris: open,
        face: open,
        signature: open,
    };
    for i in 0..runs {
        let t0 = Instant::now();
        let person = Person {
            nik: format!("3578011207{:06}", 900_001 + i),
            name: "Bench".into(),
            birth_date: "1999-07-12".into(),
            sex: Sex::Male,
            service: Service::New,
        };
        let mut session = Session::new(person.clone(), gates, vec![]);
        let mut q = Duration::ZERO;
        for (step, c) in &caps {
            let tq = Instant::now();
            let c = StandardAssessor.prepare(*step, c.clone());
            let report = StandardAssessor.assess(*step, &c, &person).unwrap();
            q += tq.elapsed();
            let device = rekam_device::DeviceInfo {
                kind: rekam_pipeline::engine::kind_for(*step),
                driver: "bench".into(),
                model: "synthetic".into(),
                serial: None,
                firmware: None,
                port: "memory".into(),
                details: vec![],
                simulated: true,
            };
            session.offer(*step, c, report, &device).unwrap();
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
