//! Rekam's exports read by parsers Rekam did not write:
//! - PyPI `nistitl` 0.6 parses every transaction (framing, LEN, CNT) and writes it back byte
//!   for byte; `independent.py` then checks each record's mandatory fields against its own
//!   table of NIST SP 500-290, and PyPI `wsq` (NBIS) decodes every Type-14 payload to the size
//!   HLL and VLL state;
//! - PyPI `iso19794` opens the ISO/IEC 19794-4 and -5 records and decodes every image (WSQ
//!   through `wsq`, JPEG through Pillow). It needs Pillow 10.0.x, so it runs in its own virtual
//!   environment, named by `REKAM_ISO_PYTHON`.
//!
//! `REKAM_PYTHON` names a Python with nistitl and wsq, `REKAM_ISO_PYTHON` one with iso19794,
//! wsq and Pillow 10.0 (`.ci/run` makes both). Without them the tests are skipped, except under
//! CI (`CI` set), where they fail.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use rekam_export::{export, Format, Options};

fn interpreter(var: &str, what: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must set {var} to a Python with {what}")
        }
        None => None,
    }
}

fn run(py: &Path, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/independent.py");
    let out = Command::new(py)
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "independent.py {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn nistitl_parses_every_transaction_and_nbis_decodes_every_finger() {
    let Some(py) = interpreter("REKAM_PYTHON", "nistitl and wsq") else {
        eprintln!("skipped: REKAM_PYTHON is not set");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for (seed, exceptions) in [(31, false), (32, true)] {
        let (rec, key) = common::record(seed, exceptions);
        let files = export(
            &rec,
            &key.verifying_key(),
            Format::Nist,
            &Options::default(),
        )
        .expect("exports");
        let path = dir.path().join(&files[0].name);
        std::fs::write(&path, &files[0].data).expect("write");
        let out = run(&py, &["nist", path.to_str().expect("path")]);
        let lines: Vec<&str> = out.lines().collect();
        let fingers = if exceptions { 9 } else { 10 };
        assert_eq!(lines.len(), 2 + fingers + 1 + 2 + 1, "{out}");
        assert!(lines[0].starts_with("record 1 0"), "{out}");
        assert!(lines[1].starts_with("record 2 0"), "{out}");
        let wsq: Vec<&&str> = lines.iter().filter(|l| l.contains(" wsq ")).collect();
        assert_eq!(wsq.len(), fingers, "{out}");
        assert!(lines.iter().any(|l| l.starts_with("record 10 ")), "{out}");
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("record 17 ")).count(),
            2
        );
        assert!(
            lines.last().is_some_and(|l| l.starts_with("record 8 ")),
            "{out}"
        );
    }
}

#[test]
fn the_mandatory_field_check_refuses_a_transaction_without_one() {
    let Some(py) = interpreter("REKAM_PYTHON", "nistitl and wsq") else {
        eprintln!("skipped: REKAM_PYTHON is not set");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (rec, key) = common::record(33, false);
    let files = export(
        &rec,
        &key.verifying_key(),
        Format::Nist,
        &Options::default(),
    )
    .expect("exports");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/independent.py");
    for (rtype, field) in [(14u8, 12u16), (1, 9), (10, 13), (17, 5)] {
        let mut tx = rekam_export::nist::parse(&files[0].data).expect("parses");
        let r = tx
            .records
            .iter_mut()
            .find(|r| r.rtype == rtype)
            .expect("record");
        r.fields.remove(&field);
        let path = dir.path().join(format!("{rtype}-{field}.an2"));
        std::fs::write(&path, tx.encode()).expect("write");
        let out = Command::new(&py)
            .arg(&script)
            .args(["nist", path.to_str().expect("path")])
            .output()
            .expect("run python");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{rtype}.{field:03} missing was accepted"
        );
        assert!(
            err.contains(&format!("Type-{rtype} lacks mandatory fields [{field}]")),
            "{rtype}.{field:03}: {err}"
        );
    }
}

#[test]
fn iso19794_reads_the_finger_and_face_records() {
    let Some(py) = interpreter("REKAM_ISO_PYTHON", "iso19794, wsq and Pillow 10.0") else {
        eprintln!("skipped: REKAM_ISO_PYTHON is not set");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (rec, key) = common::record(41, false);
    let files =
        export(&rec, &key.verifying_key(), Format::Iso, &Options::default()).expect("exports");
    let path = |ext: &str| {
        let f = files.iter().find(|f| f.name.ends_with(ext)).expect("file");
        let p = dir.path().join(&f.name);
        std::fs::write(&p, &f.data).expect("write");
        p.to_str().expect("path").to_owned()
    };
    let out = run(&py, &["iso", &path(".fir"), &path(".fac")]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 11, "{out}");
    let positions = [
        "RIGHT_THUMB",
        "RIGHT_INDEX_FINGER",
        "RIGHT_MIDDLE_FINGER",
        "RIGHT_RING_FINGER",
        "RIGHT_LITTLE_FINGER",
        "LEFT_THUMB",
        "LEFT_INDEX_FINGER",
        "LEFT_MIDDLE_FINGER",
        "LEFT_RING_FINGER",
        "LEFT_LITTLE_FINGER",
    ];
    for (i, pos) in positions.iter().enumerate() {
        let (w, h) = if i % 2 == 0 { (256, 288) } else { (320, 400) };
        assert_eq!(
            lines[i],
            format!("fir {i} {pos} WSQ LIVESCAN_PLAIN 500 {w} {h} L"),
            "{out}"
        );
    }
    assert_eq!(
        lines[10],
        "fac 0 F BASIC JPEG FRAME_DIGITAL_CAMERA 240 320 RGB"
    );
}
