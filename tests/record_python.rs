//! Independent check of the record format: a full session is sealed and committed in Rust, then
//! the verifier printed in `docs/record-format.md` (Python's standard library and the
//! `cryptography` package, no Rekam code) checks it, and Pillow decodes every PNG it lists. The
//! same verifier must reject the record with one byte flipped in a header, the manifest, an
//! image, the signature or the tail, with bytes appended or cut, and under another station's key.
//!
//! Needs a Python with `cryptography` and `Pillow` installed, named by `REKAM_PYTHON`
//! (`.ci/run` makes one). Without it the test is skipped, except under CI (`CI` set), where it
//! fails.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rekam_device::{
    Capture, DeviceInfo, Eye, Finger, ImageCapture, PenCapture, PenSample, Pixels, Position,
};
use rekam_pipeline::{Decision, Enrollment, Gates, Session, Step};
use rekam_quality::{Measure, Modality, QualityReport};
use rekam_record::{Person, Service, Sex, StationKey};
use rekam_store::Store;

fn python() -> Option<PathBuf> {
    match std::env::var_os("REKAM_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must set REKAM_PYTHON to a Python with cryptography and Pillow installed")
        }
        None => None,
    }
}

/// The verifier exactly as the specification prints it: its first `python` code block.
fn documented_verifier() -> &'static str {
    const DOC: &str = include_str!("../docs/record-format.md");
    let start = DOC
        .find("```python\n")
        .expect("docs/record-format.md has a python block")
        + "```python\n".len();
    let len = DOC[start..]
        .find("\n```")
        .expect("the python block is closed");
    &DOC[start..start + len + 1]
}

/// Imports the documented verifier and, for each `KEY:FILE` argument, prints `VALID` and what
/// Pillow decoded from every PNG, or `REJECTED` and the reason. Anything else is a crash.
const DRIVER: &str = r#"
import io, json, sys
from PIL import Image
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
import verify_record as vr

def png(data, name, want=None):
    with Image.open(io.BytesIO(data)) as im:
        im.load()  # decodes every row and checks every chunk's CRC
        if im.format != "PNG":
            sys.exit(f"{name} is {im.format}, not PNG")
        if want is not None:
            w = (want["width"], want["height"])
            if im.size != w:
                sys.exit(f"{name} is {im.size}, the manifest says {w}")
            mode = {"gray8": "L", "rgb8": "RGB"}[want["pixel"]]
            if im.mode != mode:
                sys.exit(f"{name} is {im.mode}, the manifest says {want['pixel']}")
        return f"{im.width}x{im.height} {im.mode}"

# The key file holds the RFC 8032 seed: its public key must be the one records carry.
seed = bytes.fromhex(open(sys.argv[1]).read().strip())
pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
print("seed-public", pub.hex())
for arg in sys.argv[2:]:
    key_hex, path = arg.split(":", 1)
    with open(path, "rb") as f:
        data = f.read()
    try:
        manifest, files = vr.verify_record(data, key_hex)
    except vr.Invalid as e:
        print(f"REJECTED {path}: {e}")
        continue
    print(f"VALID {path} {manifest['record_id']} members {len(files)}")
    for c in manifest["captures"]:
        if c["file"] is not None and c["file"].endswith(".png"):
            print("png", c["position"], c["file"], png(files[c["file"]], c["file"], c["image"]))
        elif c["file"] is not None:
            pen = json.loads(files[c["file"]])
            points = sum(len(s) for s in pen["strokes"])
            print("pen", c["position"], c["file"], len(pen["strokes"]), points)
        e = c["exception"]
        if e is not None:
            print("exception", c["position"], e["reason"], e["photo_file"],
                  png(files[e["photo_file"]], e["photo_file"]))
"#;

fn report(modality: Modality, score: u8) -> QualityReport {
    let m = |name, value| Measure { name, value };
    QualityReport {
        modality,
        score,
        measures: match modality {
            Modality::Signature => vec![m("point_count", 80.0), m("stroke_count", 2.0)],
            _ => vec![
                m("orientation_certainty", 0.61),
                m("contrast", f64::from(score) / 100.0),
            ],
        },
        feedback: vec![],
    }
}

/// A ridge-like grey pattern, different per seed.
fn gray(w: u32, h: u32, seed: u32) -> image::GrayImage {
    image::GrayImage::from_fn(w, h, |x, y| {
        let v = ((x * 7 + y * 3 + seed * 11) % 23) * 11 + (x * y + seed) % 5;
        image::Luma([v as u8])
    })
}

fn rgb(w: u32, h: u32, seed: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            ((x + y + seed) % 256) as u8,
        ])
    })
}

fn png_bytes(img: image::RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn pen() -> PenCapture {
    let stroke = |x0: u16, t0: u64| -> Vec<PenSample> {
        (0..40u16)
            .map(|i| PenSample {
                t_us: t0 + u64::from(i) * 5_000,
                x: x0 + i * 30,
                y: 900 + (i % 7) * 40,
                pressure: 300 + i * 10,
                tip: true,
            })
            .collect()
    };
    PenCapture {
        strokes: vec![stroke(500, 0), stroke(2200, 400_000)],
        max_x: 9000,
        max_y: 6000,
        max_pressure: 1023,
        units_per_mm: 100,
        duration_us: 600_000,
    }
}

/// The device of each step: real ones, except a simulated camera for the face.
fn device(step: Step) -> DeviceInfo {
    let (driver, model, serial, firmware, simulated) = match step {
        Step::Finger(_) => (
            "r30x",
            "R503",
            Some("00A1B2C3"),
            Some("hardware 1.0"),
            false,
        ),
        Step::Iris(_) => (
            "iris_usb",
            "Rekam IRIS-1",
            Some("IR00000042"),
            Some("1.2.0"),
            false,
        ),
        Step::Face => ("simcam", "Rekam simulated camera", None, None, true),
        Step::Signature => (
            "isdv4",
            "Wacom ISDV4 (W8001) pen digitiser",
            None,
            Some("0x0105"),
            false,
        ),
    };
    DeviceInfo {
        kind: rekam_pipeline::engine::kind_for(step),
        driver: driver.into(),
        model: model.into(),
        serial: serial.map(Into::into),
        firmware: firmware.map(Into::into),
        port: "test".into(),
        details: vec![],
        simulated,
    }
}

/// Records one person: ten fingers (right ring force-captured after three weak attempts, left
/// little amputated with a photo and a supervisor's approval), both irises, the face and the
/// signature. Returns the session and, per file name, the (width, height, mode) of each PNG.
fn session() -> (Session, BTreeMap<String, String>) {
    let mut s = Session::new(
        Person {
            nik: "5171014507990002".into(),
            name: "Ni Kadek Ayu Lestari".into(),
            birth_date: "1999-07-05".into(),
            sex: Sex::Female,
            service: Service::New,
        },
        Gates::default(),
        vec![
            "the NIK encodes the birth date 1999-07-05, the stated birth date is 1999-07-06".into(),
        ],
    );
    let mut pngs = BTreeMap::new();
    let mut seed = 0;
    while let Some(step) = s.current() {
        seed += 1;
        match step {
            Step::Finger(Finger::LeftLittle) => {
                s.except(
                    step,
                    "amputated",
                    "kelingking kiri diamputasi — 2015",
                    png_bytes(rgb(160, 120, seed)),
                )
                .unwrap();
                pngs.insert("exceptions/left_little.png".into(), "160x120 RGB".into());
            }
            Step::Finger(f) => {
                let scores: &[u8] = if f == Finger::RightRing {
                    &[20, 35, 30]
                } else {
                    &[77]
                };
                for (i, &score) in scores.iter().enumerate() {
                    let c = Capture::Image(ImageCapture {
                        pixels: Pixels::Gray(gray(256, 288, seed * 10 + i as u32)),
                        ppi: Some(500),
                        position: Position::Finger(f),
                        source_levels: 16,
                    });
                    let d = s
                        .offer(step, c, report(Modality::Finger, score), &device(step))
                        .unwrap();
                    if f == Finger::RightRing && i == 2 {
                        assert_eq!(d, Decision::ForceCaptured);
                    }
                }
                pngs.insert(format!("captures/{f}.png"), "256x288 L".into());
            }
            Step::Iris(eye) => {
                let c = Capture::Image(ImageCapture {
                    pixels: Pixels::Gray(gray(320, 240, seed)),
                    ppi: None,
                    position: Position::Iris(eye),
                    source_levels: 256,
                });
                s.offer(step, c, report(Modality::Iris, 81), &device(step))
                    .unwrap();
                let name = match eye {
                    Eye::Right => "right_eye",
                    Eye::Left => "left_eye",
                };
                pngs.insert(format!("captures/{name}.png"), "320x240 L".into());
            }
            Step::Face => {
                let c = Capture::Image(ImageCapture {
                    pixels: Pixels::Rgb(rgb(240, 320, seed)),
                    ppi: None,
                    position: Position::Face,
                    source_levels: 256,
                });
                s.offer(step, c, report(Modality::Face, 93), &device(step))
                    .unwrap();
                pngs.insert("captures/face.png".into(), "240x320 RGB".into());
            }
            Step::Signature => {
                s.offer(
                    step,
                    Capture::Pen(pen()),
                    report(Modality::Signature, 88),
                    &device(step),
                )
                .unwrap();
            }
        }
    }
    s.approve_exceptions("sup-2");
    (s, pngs)
}

fn run(python: &Path, dir: &Path, args: &[String]) -> String {
    let out = Command::new(python)
        .current_dir(dir)
        .arg("driver.py")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the Python verifier crashed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn python_verifies_a_sealed_record_and_rejects_every_altered_copy() {
    let Some(python) = python() else {
        eprintln!("skipped: REKAM_PYTHON is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("data/station.key");
    let key = StationKey::load_or_create(&key_file).unwrap();
    // As the specification says: 64 hex digits and a newline, owner-only.
    let seed = std::fs::read_to_string(&key_file).unwrap();
    assert!(
        seed.len() == 65
            && seed.ends_with('\n')
            && seed[..64].bytes().all(|b| b.is_ascii_hexdigit())
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let store = Store::open(&dir.path().join("data/store")).unwrap();
    let (session, pngs) = session();
    let entry = Enrollment {
        station_id: "ST-5171-01",
        operator_id: "op-12",
        key: &key,
        store: &store,
    }
    .seal_and_commit(&session)
    .unwrap();
    let record = store.records_dir().join(format!("{}.rkm", entry.record_id));
    let bytes = std::fs::read(&record).unwrap();
    let ours = rekam_record::verify(&bytes, &key.verifying_key()).unwrap();
    let m = &ours.manifest;
    for t in [&m.started_at, &m.sealed_at] {
        assert!(t.len() == 20 && t.ends_with('Z'), "{t} is not RFC 3339 UTC");
    }
    assert_eq!(&entry.record_id[14..15], "7", "a UUID version 7");

    let work = dir.path().join("py");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(work.join("verify_record.py"), documented_verifier()).unwrap();
    std::fs::write(work.join("driver.py"), DRIVER).unwrap();

    // The documented verifier's own command line prints what `rekam verify` prints.
    let out = Command::new(&python)
        .arg(work.join("verify_record.py"))
        .arg(&record)
        .arg(key.public_hex())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "VALID  record {} from station ST-5171-01, sealed {}\n       \
             14 captures: 12 captured, 1 force-captured, 1 exceptions; 14 files\n\
             SIMULATED  1 of 14 captures were taken by simulated devices: not a person's recording\n",
            m.record_id, m.sealed_at
        )
    );

    // Altered copies: (what, bytes, the reason Python must give).
    let members = rekam_record::tar::read(&bytes).unwrap();
    let at = |name: &str| members.iter().find(|m| m.name == name).unwrap();
    let data_at = |name: &str| at(name).offset + 512;
    let sig = at("record.sig").offset;
    let index = at("captures/right_index.png");
    let flip = |i: usize| {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        b
    };
    let mut appended = bytes.clone();
    appended.extend_from_slice(&[0; 512]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("manifest header name", flip(3), "signature"),
        ("manifest header checksum", flip(150), "signature"),
        ("manifest", flip(512 + 40), "signature"),
        ("image header size", flip(index.offset + 130), "signature"),
        (
            "image data",
            flip(data_at("captures/right_index.png") + 1000),
            "signature",
        ),
        (
            "image padding",
            flip(data_at("captures/right_index.png") + index.data.len()),
            "signature",
        ),
        (
            "exception photo",
            flip(data_at("exceptions/left_little.png") + 60),
            "signature",
        ),
        (
            "signature json",
            flip(data_at("captures/signature.json") + 5),
            "signature",
        ),
        ("signature", flip(sig + 512 + 10), "signature"),
        ("tail header", flip(sig + 100), "canonical"),
        ("tail padding", flip(sig + 512 + 64 + 5), "canonical"),
        ("end block", flip(bytes.len() - 1), "canonical"),
        ("appended block", appended, "canonical"),
        (
            "cut block",
            bytes[..bytes.len() - 512].to_vec(),
            "canonical",
        ),
    ];
    assert!(
        index.data.len() % 512 != 0,
        "the image must end with padding"
    );
    let other = StationKey::generate();
    let mut args = vec![format!("{}:{}", key.public_hex(), record.display())];
    for (i, (what, b, _)) in cases.iter().enumerate() {
        assert!(
            rekam_record::verify(b, &key.verifying_key()).is_err(),
            "{what}: Rekam accepts it"
        );
        let p = dir.path().join(format!("altered-{i}.rkm"));
        std::fs::write(&p, b).unwrap();
        args.push(format!("{}:{}", key.public_hex(), p.display()));
    }
    args.push(format!("{}:{}", other.public_hex(), record.display()));
    let mut all = vec![key_file.display().to_string()];
    all.extend(args);
    let stdout = run(&python, &work, &all);
    let mut lines = stdout.lines();

    assert_eq!(
        lines.next().unwrap(),
        format!("seed-public {}", key.public_hex())
    );
    assert_eq!(
        lines.next().unwrap(),
        format!("VALID {} {} members 16", record.display(), m.record_id)
    );
    // Every capture as Python saw it, in the prompted order.
    let mut want = Vec::new();
    for c in &m.captures {
        match (&c.file, &c.exception) {
            (Some(f), None) if f.ends_with(".png") => {
                want.push(format!("png {} {f} {}", c.position, pngs[f]))
            }
            (Some(f), None) => want.push(format!("pen {} {f} 2 80", c.position)),
            (None, Some(e)) => {
                let f = e.photo_file.as_ref().unwrap();
                want.push(format!(
                    "exception {} {} {f} {}",
                    c.position, e.reason, pngs[f]
                ))
            }
            other => panic!("unexpected capture {other:?}"),
        }
    }
    assert_eq!(want.len(), 14);
    assert_eq!(pngs.len(), 13);
    for w in want {
        assert_eq!(lines.next().unwrap(), w);
    }
    for (i, (what, _, reason)) in cases.iter().enumerate() {
        let line = lines.next().unwrap();
        let p = dir.path().join(format!("altered-{i}.rkm"));
        assert!(
            line.starts_with(&format!("REJECTED {}: ", p.display())) && line.contains(reason),
            "{what}: Python said {line:?}, expected a rejection naming the {reason}"
        );
    }
    let line = lines.next().unwrap();
    assert!(
        line.starts_with(&format!("REJECTED {}: ", record.display())) && line.contains("signature"),
        "another station's key: Python said {line:?}"
    );
    assert_eq!(lines.next(), None);
}
