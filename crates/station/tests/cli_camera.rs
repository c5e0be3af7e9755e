//! `rekam diag` and `rekam demo` with the camera: the simulated camera (started by rekam from
//! a `[sim.camera]` table) and a missing V4L2 camera.
// These run the simulator: only in a build with it (the default).
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn config(dir: &Path, camera: &str, sim: &str) -> PathBuf {
    let text = format!(
        "[station]\nid = \"TEST-CAM\"\nlanguage = \"en\"\n\n[camera]\n{camera}\n\n[sim.camera]\n{sim}\n"
    );
    let path = dir.join("station.toml");
    std::fs::write(&path, text).unwrap();
    path
}

const SIMCAM: &str = "driver = \"simcam\"\nport = \"camera:0\"\nwidth = 640\nheight = 480\nframe_timeout_ms = 300\nsettle_frames = 0";

fn rekam(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rekam"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("REKAM_LANG")
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn diag_lists_tests_and_photographs_the_simulated_camera() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), SIMCAM, "birth_year = 1991");
    let out_dir = dir.path().join("out");
    let out = rekam(
        &["diag", "--json", "--out", out_dir.to_str().unwrap()],
        &cfg,
    );
    let v = json(&out);
    assert_eq!(v["ok"], true, "{v:#}");
    let cam = &v["devices"][0];
    assert_eq!(cam["table"], "camera");
    assert_eq!(cam["info"]["kind"], "camera");
    assert_eq!(cam["info"]["model"], "Rekam simulated camera");
    let listed = v["system"]["candidates"].as_array().unwrap();
    assert!(
        listed.iter().any(|c| c["selector"] == "camera:0"
            && c["description"]
                .as_str()
                .unwrap()
                .contains("YUYV 640x480@30")),
        "{listed:?}"
    );
    let png = image::open(out_dir.join("camera.png")).unwrap().to_rgb8();
    assert_eq!(png.dimensions(), (1920, 1080));
    // Born in an odd year: the backdrop is red.
    let p = png.get_pixel(10, 10).0;
    assert!(p[0] > 180 && p[1] < 60 && p[2] < 60, "{p:?}");
}

#[test]
fn busy_denied_stalled_and_missing_cameras_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    for (fault, kind, words) in [
        ("busy", "busy", "another program"),
        ("denied", "permission_denied", "'video' group"),
        ("no-frames", "timeout", "no frame"),
        ("garbage:always", "protocol", "damaged"),
    ] {
        let cfg = config(dir.path(), SIMCAM, &format!("fault = \"{fault}\""));
        let out = rekam(&["diag", "--json", "--no-capture"], &cfg);
        assert_eq!(out.status.code(), Some(1), "{fault}");
        let f = &json(&out)["devices"][0]["failure"];
        assert_eq!(f["kind"], kind, "{fault}: {f}");
        assert!(
            f["message"].as_str().unwrap().contains(words),
            "{fault}: {f}"
        );
        assert!(!f["hint"].as_str().unwrap().is_empty());
    }
    // A V4L2 camera that is not there (no /dev/video63 on any test machine).
    let cfg = config(dir.path(), "driver = \"v4l\"\nport = \"/dev/video63\"", "");
    let out = rekam(&["diag", "--no-capture"], &cfg);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("not_found") && text.contains("no camera at /dev/video63"),
        "{text}"
    );
    assert!(text.contains("camera's USB cable"), "{text}");
}

#[test]
fn demo_takes_a_face_photograph() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rekam"))
        .args(["--lang", "en", "demo", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("[camera] simcam"), "{stdout}");
    let face = image::open(dir.path().join("face.png")).unwrap().to_rgb8();
    assert_eq!(face.dimensions(), (1920, 1080));
}
