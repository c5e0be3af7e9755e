//! The iris driver's real libusb code path (rusb with an explicit context) against a device that
//! umockdev replays: firmware-sim records a capture scenario through the in-process link, writes
//! the device description and the usbdevfs transfer script, and this test runs itself again
//! under `umockdev-run`, where `RusbLink` opens the mocked device by VID:PID. Scenarios: a clean
//! capture, an IN endpoint that stalls once (recovered), the device vanishing mid-image
//! (`Disconnected`).
//!
//! Needs `umockdev-run` (Debian package `umockdev`). Without it the tests are skipped, except
//! under CI (`CI` set), where they fail. `REKAM_KEEP_UMOCKDEV=DIR` keeps the generated files.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use firmware_sim::iris::{IrisFirmware, IrisScenario, SimUsbLink, UsbFault};
use firmware_sim::umockdev::{device_description, device_node, ioctl_script, RecordingLink};
use rekam_device::{RusbLink, UsbLink};
use rekam_iris::codec::{Eyes, INTERFACE, PID, VID};
use rekam_iris::{Config, Iris, IrisImages};

const CHILD: &str = "REKAM_UMOCKDEV_CHILD";

fn config() -> Config {
    Config {
        poll_interval: Duration::ZERO,
        ..Config::default()
    }
}

/// Runs the capture; returns the images or the error kind, and the commands resent.
fn capture<U: UsbLink>(link: U) -> (Result<IrisImages, String>, u64) {
    let mut iris = Iris::new(link, config()).unwrap();
    iris.connect().unwrap();
    let r = iris
        .capture_eyes(Eyes::Both, Duration::from_secs(10), &mut |_| {})
        .map_err(|e| e.kind().to_string());
    (r, iris.retries())
}

fn umockdev_run() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("umockdev-run"))
            .find(|c| c.is_file())
    });
    if found.is_none() && std::env::var_os("CI").is_some() {
        panic!("CI must install umockdev (umockdev-run) for the iris libusb tests");
    }
    found
}

/// In the child (under umockdev): capture through libusb and report. Returns true if this
/// process is the child.
fn child(test: &str) -> bool {
    let Some(dir) = std::env::var_os(CHILD) else {
        return false;
    };
    let link = RusbLink::open(VID, PID, None, INTERFACE).unwrap();
    let t = Instant::now();
    let (r, retries) = capture(link);
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    match r {
        Ok(images) => {
            println!(
                "{test}: ok, libusb capture-to-image {ms:.1} ms, {} polls, {retries} retries",
                images.polls
            );
            images
                .left
                .as_ref()
                .unwrap()
                .save(Path::new(&dir).join("left.png"))
                .unwrap();
            images
                .right
                .as_ref()
                .unwrap()
                .save(Path::new(&dir).join("right.png"))
                .unwrap();
        }
        Err(kind) => println!("{test}: error {kind}, {retries} retries"),
    }
    true
}

/// What a replay gave: the child's report line, the images it saved, the in-process result.
type Replay = (
    String,
    Option<(image::GrayImage, image::GrayImage)>,
    Result<IrisImages, String>,
);

/// Records `setup`'s scenario in-process, replays it under umockdev to the test `test`, and
/// returns the child's report line, the images it saved, and what the in-process run got.
fn replay(test: &str, setup: impl FnOnce(&mut IrisFirmware)) -> Option<Replay> {
    let run = umockdev_run()?;
    let mut fw = IrisFirmware::new(IrisScenario::typical(11));
    setup(&mut fw);
    let rec = RecordingLink::new(SimUsbLink::new(Arc::new(Mutex::new(fw))));
    let log = rec.log();
    let (expected, _) = capture(rec);
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("REKAM_KEEP_UMOCKDEV")
        .map_or_else(|| tmp.path().to_path_buf(), |d| PathBuf::from(d).join(test));
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let dev = dir.join("iris.umockdev");
    let script = dir.join("capture.ioctl");
    std::fs::write(&dev, device_description("IR00000001")).unwrap();
    std::fs::write(&script, ioctl_script(&log.lock().unwrap())).unwrap();
    let out = Command::new(run)
        .arg("-d")
        .arg(&dev)
        .arg("-i")
        .arg(format!("{}={}", device_node(), script.display()))
        .arg("--")
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, &out_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child under umockdev failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: String = stdout
        .lines()
        .find(|l| l.contains(&format!("{test}: ")))
        .unwrap_or_default()
        .to_string();
    eprintln!("{line}");
    let images = image::open(out_dir.join("left.png")).ok().map(|l| {
        (
            l.to_luma8(),
            image::open(out_dir.join("right.png")).unwrap().to_luma8(),
        )
    });
    Some((line, images, expected))
}

#[test]
fn libusb_clean_capture() {
    let test = "libusb_clean_capture";
    if child(test) {
        return;
    }
    let Some((line, images, expected)) = replay(test, |_| {}) else {
        return;
    };
    assert!(
        line.contains(": ok,") && line.contains(" 0 retries"),
        "{line}"
    );
    let (left, right) = images.unwrap();
    let expected = expected.unwrap();
    assert_eq!(&left, expected.left.as_ref().unwrap());
    assert_eq!(&right, expected.right.as_ref().unwrap());
    assert_eq!((left.width(), left.height()), (640, 480));
}

#[test]
fn libusb_stall_is_cleared_and_the_command_resent() {
    let test = "libusb_stall_is_cleared_and_the_command_resent";
    if child(test) {
        return;
    }
    let Some((line, images, expected)) = replay(test, |fw| fw.inject(UsbFault::Stall(1))) else {
        return;
    };
    assert!(
        line.contains(": ok,") && line.contains(" 1 retries"),
        "{line}"
    );
    assert_eq!(images.unwrap().0, expected.unwrap().left.unwrap());
}

#[test]
fn libusb_device_gone_mid_image_is_disconnected() {
    let test = "libusb_device_gone_mid_image_is_disconnected";
    if child(test) {
        return;
    }
    // GET_INFO, START_CAPTURE, 7 statuses: 9 one-transfer replies, then 5 of the image's 19.
    let Some((line, images, expected)) = replay(test, |fw| fw.inject(UsbFault::UnplugAfter(14)))
    else {
        return;
    };
    assert_eq!(expected.unwrap_err(), "disconnected");
    assert!(line.contains(": error disconnected"), "{line}");
    assert!(images.is_none());
}
