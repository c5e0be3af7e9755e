//! Rekam's envelope against a second implementation: `tests/envelope.py`, written from
//! docs/uplink.md on PyPI's `pyhpke` (RFC 9180; its suites pass the RFC's vectors) and
//! `cryptography` (ed25519, X25519). Python opens what Rekam seals (outer signature verified,
//! decrypted with the centre key, header fields and the NIK tag agree), and Rekam opens what
//! Python seals.
//!
//! Needs a Python with `pyhpke` and `cryptography`, named by `REKAM_PYTHON` (`.ci/run` makes
//! one). Without it the test is skipped, except under CI (`CI` set), where it fails.
use std::path::{Path, PathBuf};
use std::process::Command;

use ed25519_dalek::SigningKey;
use rekam_envelope::{hex, open, seal, CentreSecretKey, Header, NikKey};

fn python() -> Option<PathBuf> {
    match std::env::var_os("REKAM_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must set REKAM_PYTHON to a Python with pyhpke and cryptography installed")
        }
        None => None,
    }
}

fn run(py: &Path, args: &[&str]) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/envelope.py");
    let out = Command::new(py)
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "envelope.py {} failed: {}",
        args[0],
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json from envelope.py")
}

fn archive(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect()
}

const NIK: &str = "3171234567890001";

#[test]
fn python_opens_rekam_envelopes_and_rekam_opens_pythons() {
    let Some(py) = python() else {
        eprintln!("skipped: REKAM_PYTHON is not set");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let centre = CentreSecretKey::derive(b"python check centre");
    let station = SigningKey::from_bytes(&[11; 32]);
    let nik_key = NikKey::from_bytes([12; 32]);
    let centre_sk = hex(&centre.to_bytes());
    let station_pk = hex(station.verifying_key().as_bytes());

    for (i, len) in [0usize, 1, 4096, 1_200_000].into_iter().enumerate() {
        // Rekam seals, Python opens.
        let a = archive(len, i as u8);
        let header = Header {
            station_id: format!("stasiun-{i}"),
            record_id: uuid::Uuid::now_v7(),
            nik_tag: nik_key.tag(NIK).expect("tag"),
        };
        let sealed = seal(&a, &header, &centre.public_key(), &station).expect("seal");
        let env_path = dir.path().join(format!("r{i}.env"));
        let out_path = dir.path().join(format!("r{i}.tar"));
        std::fs::write(&env_path, &sealed).expect("write");
        let got = run(
            &py,
            &[
                "open",
                env_path.to_str().expect("path"),
                &centre_sk,
                &station_pk,
                out_path.to_str().expect("path"),
            ],
        );
        assert_eq!(std::fs::read(&out_path).expect("read"), a);
        assert_eq!(got["station_id"], header.station_id.as_str());
        assert_eq!(got["record_id"], header.record_id.to_string().as_str());
        assert_eq!(got["nik_tag"], header.nik_tag.to_hex().as_str());
        assert_eq!(got["centre_pk"], centre.public_key().to_hex().as_str());

        // Python refuses a changed byte (the outer signature, then decryption).
        let mut bad = sealed.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x40;
        std::fs::write(&env_path, &bad).expect("write");
        let status = Command::new(&py)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/envelope.py"))
            .args([
                "open",
                env_path.to_str().expect("path"),
                &centre_sk,
                &station_pk,
            ])
            .arg(&out_path)
            .output()
            .expect("run python");
        assert!(!status.status.success(), "python accepted a changed byte");

        // Python seals, Rekam opens; the NIK tag Python computes with the stdlib's hmac is ours.
        let b = archive(len, 100 + i as u8);
        let b_path = dir.path().join(format!("p{i}.tar"));
        let penv_path = dir.path().join(format!("p{i}.env"));
        std::fs::write(&b_path, &b).expect("write");
        let record_id = uuid::Uuid::now_v7();
        let made = run(
            &py,
            &[
                "seal",
                b_path.to_str().expect("path"),
                &centre.public_key().to_hex(),
                &hex(&station.to_bytes()),
                "stasiun-py",
                &record_id.to_string(),
                &hex(&nik_key.to_bytes()),
                NIK,
                penv_path.to_str().expect("path"),
            ],
        );
        assert_eq!(
            made["nik_tag"],
            nik_key.tag(NIK).expect("tag").to_hex().as_str()
        );
        let pbytes = std::fs::read(&penv_path).expect("read");
        let (h, back) = open(&pbytes, &station.verifying_key(), &centre).expect("rekam opens");
        assert_eq!(back, b);
        assert_eq!(h.station_id, "stasiun-py");
        assert_eq!(h.record_id, record_id);
        assert_eq!(h.nik_tag, nik_key.tag(NIK).expect("tag"));
    }
}
