//! Figure: camera preview frames per second through nokhwa with the simulated backend, at
//! 640x480 and 1280x720, in YUYV and MJPEG. The simulator is unpaced, so this is what the
//! whole path can sustain: the simulator encoding a frame (the portrait is rendered once per
//! scene and size), nokhwa's Camera and decoder, the driver's checks and thread hop.
//!
//! `cargo run --release -p rekam-tests --example camera_fps`

use std::time::{Duration, Instant};

use firmware_sim::camera::{CameraSim, SimCamera};
use firmware_sim::synth::face::{render, Portrait};
use rekam_camera::{BackendSource, Config, FormatChoice, Webcam};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = SimCamera::new(&CameraSim::default())?;
    println!("synthetic portrait render (once per scene and size):");
    for (w, h) in [(640, 480), (1280, 720), (1920, 1080)] {
        let n = 20;
        let t = Instant::now();
        for person in 0..n {
            let _ = render(
                &Portrait {
                    person,
                    ..Portrait::default()
                },
                w,
                h,
            );
        }
        println!(
            "  {w}x{h}: {:.1} ms",
            t.elapsed().as_secs_f64() * 1e3 / n as f64
        );
    }
    println!("preview through nokhwa (unpaced simulated camera, sensor noise on):");
    for (w, h) in [(640, 480), (1280, 720)] {
        for (name, format) in [("YUYV", FormatChoice::Yuyv), ("MJPEG", FormatChoice::Mjpeg)] {
            let mut cam = Webcam::open(
                BackendSource::new("sim:0", "simcam", sim.backend()),
                Config {
                    width: w,
                    height: h,
                    format,
                    settle_frames: 0,
                    ..Config::default()
                },
            )?;
            for _ in 0..5 {
                cam.preview_frame()?;
            }
            let t = Instant::now();
            let mut n = 0u32;
            while t.elapsed() < Duration::from_secs(3) {
                cam.preview_frame()?;
                n += 1;
            }
            let fps = f64::from(n) / t.elapsed().as_secs_f64();
            println!("  {w}x{h} {name}: {fps:.1} frames/s ({n} frames)");
        }
    }
    Ok(())
}
