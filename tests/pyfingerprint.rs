//! Independent check: the unmodified `pyfingerprint` package (PyPI) talks to the simulated
//! module over its pseudo-terminal, verifies the password, reads the system parameters, reads
//! an image and downloads it to PNG; the PNG must equal what our driver receives for the same
//! impression.
//!
//! Needs a Python with pyfingerprint installed, named by `REKAM_PYTHON` (`.ci/run` makes one).
//! Without it the test is skipped, except under CI (`CI` set), where it fails.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

use firmware_sim::fingerprint::{Idle, Placement};
use firmware_sim::synth::finger::Condition;
use firmware_sim::{FingerprintSim, SimConfig, Simulator};

fn python() -> Option<PathBuf> {
    match std::env::var_os("REKAM_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must set REKAM_PYTHON to a Python with pyfingerprint installed")
        }
        None => None,
    }
}

const SCRIPT: &str = r#"
import sys
from pyfingerprint.pyfingerprint import PyFingerprint
port, out = sys.argv[1], sys.argv[2]
f = PyFingerprint(port, 57600, 0xFFFFFFFF, 0x00000000)
if not f.verifyPassword():
    sys.exit("password refused")
params = f.getSystemParameters()
print("params", *params)
polls = 0
while not f.readImage():
    polls += 1
    if polls > 100:
        sys.exit("no finger after 100 polls")
print("polls", polls)
f.downloadImage(out)
print("downloaded")
"#;

#[test]
fn pyfingerprint_reads_the_simulated_module() {
    let Some(python) = python() else {
        eprintln!("skipped: REKAM_PYTHON is not set");
        return;
    };
    let sim = Simulator::start(&SimConfig {
        fingerprint: Some(FingerprintSim::default()),
        signature_pad: None,
        run_dir: None,
        camera: None,
    })
    .unwrap();
    let fp = sim.fingerprint().unwrap();
    fp.set_idle(Idle::NoFinger);
    fp.place(Placement {
        person: 42,
        finger: 7,
        condition: Condition::Good,
        after_polls: 3,
    });
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("pyfingerprint.png");
    let out = Command::new(&python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(fp.path())
        .arg(&png)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pyfingerprint failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Status 0, system id 9, library 200, security 3, address, packet size code 2 (128), baud factor 6.
    assert!(
        stdout.contains("params 0 9 200 3 4294967295 2 6"),
        "{stdout}"
    );
    assert!(stdout.contains("polls 3"), "{stdout}");
    let theirs = image::open(&png).unwrap().to_luma8();
    let ours = fp.with_firmware(|fw| fw.image_buffer()).unwrap();
    assert_eq!(theirs.dimensions(), (256, 288));
    assert_eq!(
        theirs, ours,
        "pyfingerprint's image differs from the module's buffer"
    );
    // And our driver, on the same module, agrees byte for byte with pyfingerprint.
    let link = rekam_device::SerialLink::open(&fp.path().display().to_string(), 57_600).unwrap();
    let mut s = rekam_fingerprint::R30x::new(link, rekam_fingerprint::Config::default()).unwrap();
    s.connect().unwrap();
    let ours_driver = s.up_image().unwrap();
    assert_eq!(ours_driver, theirs);
}
