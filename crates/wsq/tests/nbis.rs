//! rekam-wsq against NBIS, the NIST reference implementation, through PyPI's `wsq` package
//! (an NBIS wrapper) driven by `tests/nbis.py`:
//! - NBIS decodes every file Rekam writes, and Rekam decodes every file NBIS writes, to within
//!   one grey level of NBIS's own decoding of the same file;
//! - at the FBI's 0.75 bits per pixel, Rekam's file is within 10% of NBIS's size and its error
//!   against the original is no worse than NBIS's.
//!
//! Images: the real 520 x 540 print the `wsq` package ships, and seeded synthetic prints from
//! rekam-synth at the simulated sensor's size and at other sizes, odd ones included.
//!
//! Needs a Python with `wsq` installed, named by `REKAM_PYTHON` (`.ci/run` makes one). Without
//! it the test is skipped, except under CI (`CI` set), where it fails.
use std::path::{Path, PathBuf};
use std::process::Command;

use rekam_synth::finger::{impression, Condition, MasterPrint};

fn python() -> Option<PathBuf> {
    match std::env::var_os("REKAM_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must set REKAM_PYTHON to a Python with the wsq package installed")
        }
        None => None,
    }
}

/// Runs `nbis.py` with `args`; returns what it printed.
fn nbis(py: &Path, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nbis.py");
    let out = Command::new(py)
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "nbis.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn dims(printed: &str) -> (u32, u32) {
    let mut it = printed
        .split_whitespace()
        .map(|v| v.parse::<u32>().expect("number"));
    (it.next().expect("width"), it.next().expect("height"))
}

fn rmse(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    (sum / a.len() as f64).sqrt()
}

fn max_diff(a: &[u8], b: &[u8]) -> u8 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x.abs_diff(y))
        .max()
        .unwrap_or(0)
}

struct Sample {
    name: String,
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

fn samples(py: &Path, dir: &Path) -> Vec<Sample> {
    let real = dir.join("real.raw");
    let (width, height) = dims(&nbis(py, &["sample", real.to_str().expect("path")]));
    let mut out = vec![Sample {
        name: "the wsq package's real print".into(),
        width,
        height,
        pixels: std::fs::read(&real).expect("read"),
    }];
    let cases = [
        (11u64, 1u8, Condition::Good, 256u32, 288u32),
        (12, 6, Condition::Good, 400, 500),
        (13, 3, Condition::Dry, 357, 411),
        (14, 9, Condition::Wet, 500, 500),
        (15, 2, Condition::LowContrast, 320, 480),
    ];
    for (seed, finger, condition, w, h) in cases {
        let img = impression(&MasterPrint::new(seed, finger), seed * 7, condition, w, h);
        out.push(Sample {
            name: format!("synthetic print {seed}/{finger} {condition:?} {w}x{h}"),
            width: w,
            height: h,
            pixels: img.into_raw(),
        });
    }
    out
}

#[test]
fn rekam_and_nbis_read_each_other_and_agree_on_size_and_error() {
    let Some(py) = python() else {
        eprintln!("skipped: REKAM_PYTHON is not set");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |name: &str| dir.path().join(name).to_str().expect("path").to_owned();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (i, s) in samples(&py, dir.path()).iter().enumerate() {
        let (w, h) = (s.width.to_string(), s.height.to_string());
        let orig = p(&format!("{i}.raw"));
        std::fs::write(&orig, &s.pixels).expect("write");

        // Rekam's file, decoded by NBIS and by Rekam.
        let ours = rekam_wsq::encode(
            &s.pixels,
            s.width,
            s.height,
            &rekam_wsq::EncodeOptions {
                bitrate: 0.75,
                ppi: Some(500),
            },
        )
        .expect("rekam encodes");
        let ours_path = p(&format!("{i}.rekam.wsq"));
        std::fs::write(&ours_path, &ours).expect("write");
        let back = p(&format!("{i}.rekam.nbis.raw"));
        assert_eq!(
            dims(&nbis(&py, &["decode", &ours_path, &back])),
            (s.width, s.height),
            "{}: NBIS reads Rekam's size",
            s.name
        );
        let ours_by_nbis = std::fs::read(&back).expect("read");
        let ours_by_rekam = rekam_wsq::decode(&ours).expect("rekam decodes its own file");
        assert!(
            max_diff(&ours_by_rekam.pixels, &ours_by_nbis) <= 1,
            "{}: Rekam and NBIS decode Rekam's file differently",
            s.name
        );

        // NBIS's file, decoded by NBIS and by Rekam.
        let theirs_path = p(&format!("{i}.nbis.wsq"));
        nbis(&py, &["encode", &orig, &w, &h, &theirs_path]);
        let theirs = std::fs::read(&theirs_path).expect("read");
        let back = p(&format!("{i}.nbis.nbis.raw"));
        nbis(&py, &["decode", &theirs_path, &back]);
        let theirs_by_nbis = std::fs::read(&back).expect("read");
        let theirs_by_rekam = rekam_wsq::decode(&theirs).expect("rekam decodes NBIS's file");
        assert_eq!(
            (theirs_by_rekam.width, theirs_by_rekam.height),
            (s.width, s.height)
        );
        assert!(
            max_diff(&theirs_by_rekam.pixels, &theirs_by_nbis) <= 1,
            "{}: Rekam decodes NBIS's file unlike NBIS",
            s.name
        );

        let size_ratio = ours.len() as f64 / theirs.len() as f64;
        let (e_ours, e_theirs) = (
            rmse(&ours_by_nbis, &s.pixels),
            rmse(&theirs_by_nbis, &s.pixels),
        );
        report.push(format!(
            "{}: size {} vs NBIS {} bytes ({size_ratio:.3}), rmse {e_ours:.3} vs NBIS {e_theirs:.3}",
            s.name,
            ours.len(),
            theirs.len()
        ));
        if !(0.9..=1.1).contains(&size_ratio) {
            failures.push(format!("{}: size off by more than 10%", s.name));
        }
        // "No worse than NBIS" up to the last decimal NBIS's own rounding of the quantiser bins
        // to 16-bit scaled integers can move (0.5%).
        if e_ours > e_theirs * 1.005 {
            failures.push(format!("{}: error worse than NBIS's", s.name));
        }
    }
    eprintln!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{failures:#?}");
}
