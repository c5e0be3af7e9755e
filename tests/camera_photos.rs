//! Real photographs through the simulated camera and nokhwa: a test fills a temporary folder at
//! run time with scikit-image's bundled sample photographs (never committed), the simulated
//! camera serves them, and the frames that come out of nokhwa's YUYV and MJPEG decoders must
//! match the photographs.
//!
//! Needs a Python with scikit-image, named by `REKAM_PYTHON` (`.ci/run` makes one). Without it
//! the test is skipped, except under CI (`CI` set), where it fails.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use firmware_sim::camera::{letterbox, CameraSim, PhotoFolder, SimCamera};
use image::RgbImage;
use rekam_camera::{BackendSource, Config, FormatChoice, Webcam};
use rekam_device::Pixels;

fn python() -> Option<PathBuf> {
    match std::env::var_os("REKAM_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must set REKAM_PYTHON to a Python with scikit-image installed")
        }
        None => None,
    }
}

/// Saves scikit-image's astronaut (a NASA portrait, public domain) and coffee photographs.
const SCRIPT: &str = r#"
import sys, os
import numpy as np
from skimage import data, io
out = sys.argv[1]
io.imsave(os.path.join(out, "1-astronaut.png"), data.astronaut(), check_contrast=False)
io.imsave(os.path.join(out, "2-coffee.png"), data.coffee(), check_contrast=False)
print("saved", sorted(os.listdir(out)))
"#;

fn fill(dir: &Path, python: &Path) {
    let out = Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scikit-image could not write its sample photographs: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Mean absolute difference per channel over the whole picture.
fn mad(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

#[test]
fn photographs_come_through_nokhwa_unchanged_but_for_the_encoding() {
    let Some(python) = python() else {
        eprintln!("skipped: REKAM_PYTHON is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), &python);
    let sim = SimCamera::new(&CameraSim {
        photo_folder: Some(dir.path().to_path_buf()),
        noise: 0,
        ..CameraSim::default()
    })
    .unwrap();
    let folder = PhotoFolder::open(dir.path()).unwrap();
    assert_eq!(folder.len(), 2);
    let astronaut = folder.photo(0).unwrap();
    let coffee = folder.photo(1).unwrap();
    assert_eq!(astronaut.dimensions(), (512, 512));

    for (format, limit) in [(FormatChoice::Yuyv, 2.5), (FormatChoice::Mjpeg, 3.5)] {
        for (w, h) in [(640, 480), (1280, 720)] {
            let mut cam = Webcam::open(
                BackendSource::new("sim:photos", "simcam", sim.backend()),
                Config {
                    width: w,
                    height: h,
                    format,
                    settle_frames: 0,
                    frame_timeout: Duration::from_secs(2),
                    ..Config::default()
                },
            )
            .unwrap();
            sim.select_photo(0);
            let frame = cam.preview_frame().unwrap();
            let Pixels::Rgb(got) = &frame.pixels else {
                panic!("colour expected")
            };
            let want = letterbox(&astronaut, w, h);
            let same = mad(got, &want);
            let other = mad(got, &letterbox(&coffee, w, h));
            eprintln!("{format:?} {w}x{h}: astronaut {same:.2}, coffee {other:.2}");
            assert!(same < limit, "{format:?} {w}x{h}: {same}");
            assert!(other > 25.0, "{format:?} {w}x{h}: {other}");
            // The next photograph replaces it.
            sim.select_photo(1);
            let Pixels::Rgb(got) = cam.preview_frame().unwrap().pixels else {
                panic!("colour expected")
            };
            assert!(mad(&got, &letterbox(&coffee, w, h)) < limit);
        }
    }
}
