//! `rekam export` end to end: `rekam demo` records a simulated applicant through every
//! device and seals the record; the binary then exports that record as an ANSI/NIST-ITL
//! transaction and as ISO/IEC 19794 records (files 0600, read back by rekam-export's readers
//! and, when `REKAM_PYTHON` is set, by PyPI nistitl and NBIS), and refuses an altered record
//! with a sentence, writing nothing.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rekam(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rekam"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("REKAM_LANG")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn export_a_demo_record_as_nist_and_iso_and_refuse_an_altered_one() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_rekam"))
        .args(["--lang", "en", "demo", "--out"])
        .arg(&demo)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let data = demo.join("station-data");
    let record = files_in(&data.join("store/records"))
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "rkm"))
        .unwrap();
    let cfg = dir.path().join("station.toml");
    std::fs::write(
        &cfg,
        format!(
            "[station]\nid = \"DEMO\"\nlanguage = \"en\"\ndata_dir = {:?}\n",
            data.display().to_string()
        ),
    )
    .unwrap();

    let nist_dir = dir.path().join("nist");
    let o = rekam(
        &[
            "export",
            "--format",
            "nist",
            record.to_str().unwrap(),
            "--out",
            nist_dir.to_str().unwrap(),
        ],
        &cfg,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).starts_with("WROTE"), "{}", text(&o));
    let files = files_in(&nist_dir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let tx = rekam_export::nist::parse(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(tx.missing_mandatory(), Vec::<String>::new());
    assert_eq!(tx.of_type(14).count(), 10);
    assert_eq!(tx.of_type(10).count(), 1);
    assert_eq!(tx.of_type(17).count(), 2);
    assert_eq!(tx.of_type(8).count(), 1);
    for r in tx.of_type(14) {
        let img = rekam_wsq::decode(r.binary(999).unwrap()).unwrap();
        assert_eq!((img.width, img.height), (256, 288));
    }
    if let Some(py) = std::env::var_os("REKAM_PYTHON") {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../export/tests/independent.py");
        let o = Command::new(py)
            .arg(script)
            .arg("nist")
            .arg(&files[0])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "nistitl/NBIS on the demo record: {}",
            text(&o)
        );
        assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 16);
    }

    let iso_dir = dir.path().join("iso");
    let o = rekam(
        &[
            "--lang",
            "id",
            "export",
            "--format",
            "iso",
            record.to_str().unwrap(),
            "--out",
            iso_dir.to_str().unwrap(),
        ],
        &cfg,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).starts_with("DITULIS"), "{}", text(&o));
    let files = files_in(&iso_dir);
    let ext: Vec<_> = files
        .iter()
        .map(|p| p.extension().unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(ext, ["fac", "fir", "iir"]);
    for f in &files {
        assert_eq!(
            std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let fir = rekam_export::iso::read_finger(&std::fs::read(&files[1]).unwrap()).unwrap();
    assert_eq!(fir.images.len(), 10);
    assert_eq!(
        rekam_export::iso::read_iris(&std::fs::read(&files[2]).unwrap())
            .unwrap()
            .len(),
        2
    );

    // One changed byte: refused, with a sentence, and nothing written.
    let mut bad = std::fs::read(&record).unwrap();
    bad[1000] ^= 1;
    let bad_path = dir.path().join("altered.rkm");
    std::fs::write(&bad_path, &bad).unwrap();
    let refused = dir.path().join("refused");
    let o = rekam(
        &[
            "export",
            "--format",
            "nist",
            bad_path.to_str().unwrap(),
            "--out",
            refused.to_str().unwrap(),
        ],
        &cfg,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("REFUSED") && text(&o).contains("does not verify"),
        "{}",
        text(&o)
    );
    assert!(!refused.exists());
    // An unknown format is a usage error naming the choices.
    let o = rekam(
        &[
            "export",
            "--format",
            "xml",
            record.to_str().unwrap(),
            "--out",
            "x",
        ],
        &cfg,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("nist or iso"), "{}", text(&o));
}
