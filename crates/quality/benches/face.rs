//! How long [`rekam_quality::face::assess`] takes on a 640 x 480 preview frame (the budget is
//! 66 ms: 15 frames a second on one core), how much of it is face detection, and how long
//! [`rekam_quality::face::assess_frame`] (crop to the 3:4 photo, then assess) takes on the
//! simulated camera's 640 x 480 preview and 1920 x 1080 still.
//!
//! The frame is scikit-image's astronaut resized to 640 x 480 when `REKAM_PYTHON` names a
//! Python with scikit-image, else a drawn frame (plain blue backdrop, a head-like ellipse).
//!
//! ```sh
//! REKAM_PYTHON=/path/to/venv/bin/python cargo bench -p rekam-quality --bench face
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use image::{Rgb, RgbImage};
use rekam_quality::face::{assess, assess_frame, detect_faces, Background};
use rekam_synth::face::{render, Portrait};

const SAVE: &str = r#"
import sys
import numpy as np
import skimage.data, skimage.io, skimage.transform
img = skimage.transform.resize(skimage.data.astronaut(), (480, 640), anti_aliasing=True)
skimage.io.imsave(sys.argv[1], (img * 255).round().astype(np.uint8), check_contrast=False)
"#;

/// The astronaut at 640 x 480, if scikit-image is at hand.
fn astronaut() -> Option<RgbImage> {
    let python = std::env::var_os("REKAM_PYTHON")?;
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join("astronaut_640x480.png");
    let ok = Command::new(python)
        .arg("-c")
        .arg(SAVE)
        .arg(&path)
        .status()
        .ok()?
        .success();
    if !ok {
        return None;
    }
    Some(image::open(&path).ok()?.to_rgb8())
}

/// A drawn 640 x 480 frame: blue backdrop, dark hair, a skin ellipse with eyes and mouth.
fn drawn() -> RgbImage {
    RgbImage::from_fn(640, 480, |x, y| {
        let (x, y) = (f64::from(x), f64::from(y));
        let e = |cx: f64, cy: f64, rx: f64, ry: f64| {
            ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) <= 1.0
        };
        if e(280.0, 200.0, 20.0, 8.0) || e(360.0, 200.0, 20.0, 8.0) {
            Rgb([40, 30, 30])
        } else if e(320.0, 290.0, 35.0, 10.0) {
            Rgb([150, 60, 70])
        } else if e(320.0, 240.0, 120.0, 170.0) {
            Rgb([215, 170, 140])
        } else if e(320.0, 180.0, 160.0, 150.0) {
            Rgb([45, 35, 30])
        } else {
            Rgb([30, 110, 200])
        }
    })
}

fn face(c: &mut Criterion) {
    let (name, frame) = match astronaut() {
        Some(img) => ("astronaut_640x480", img),
        None => {
            eprintln!("REKAM_PYTHON with scikit-image not available: benchmarking a drawn frame");
            ("drawn_640x480", drawn())
        }
    };
    assert_eq!(frame.dimensions(), (640, 480));
    let report = assess(&frame, Some(Background::Red)).unwrap();
    eprintln!(
        "{name}: score {}, feedback {:?}",
        report.score,
        report.feedback.iter().map(|f| f.code).collect::<Vec<_>>()
    );
    c.bench_function(&format!("face/assess_{name}"), |b| {
        b.iter(|| assess(black_box(&frame), Some(Background::Red)))
    });
    c.bench_function(&format!("face/detect_{name}"), |b| {
        b.iter(|| detect_faces(black_box(&frame)))
    });
    // What the station calls: the simulated camera's good portrait, cropped to the 3:4 photo
    // and assessed, on a 640 x 480 preview frame and on a 1920 x 1080 still.
    for (w, h) in [(640u32, 480u32), (1920, 1080)] {
        let frame = render(&Portrait::default(), w, h);
        let r = assess_frame(&frame, Some(Background::Blue)).unwrap();
        eprintln!("simulated {w}x{h}: score {}", r.score);
        c.bench_function(&format!("face/assess_frame_sim_{w}x{h}"), |b| {
            b.iter(|| assess_frame(black_box(&frame), Some(Background::Blue)))
        });
    }
}

criterion_group!(benches, face);
criterion_main!(benches);
