//! Rekam's exports read back by Rekam's own readers: every record and field the standards
//! require, the images decoded again (WSQ within the codec's error, PNG, raw and JPEG), and
//! damaged files refused with an error, never a panic.
mod common;

use rekam_export::nist::{self, Transaction};
use rekam_export::{export, iso, ErrorKind, ExportedFile, Format, Options};

fn nist_of(seed: u64, exceptions: bool) -> (Vec<u8>, Vec<u8>) {
    let (rec, key) = common::record(seed, exceptions);
    let files = export(
        &rec,
        &key.verifying_key(),
        Format::Nist,
        &Options::default(),
    )
    .expect("exports");
    assert_eq!(files.len(), 1);
    (rec, files[0].data.clone())
}

fn pixels_of(rec: &[u8], key: &rekam_record::StationKey, name: &str) -> image::GrayImage {
    let v = rekam_record::verify(rec, &key.verifying_key()).expect("verifies");
    let a = v.attachments.iter().find(|a| a.name == name).expect("file");
    image::load_from_memory(&a.data).expect("png").to_luma8()
}

#[test]
fn nist_transaction_has_every_record_and_mandatory_field() {
    let (rec, key) = common::record(7, false);
    let files = export(
        &rec,
        &key.verifying_key(),
        Format::Nist,
        &Options::default(),
    )
    .expect("exports");
    let tx: Transaction = nist::parse(&files[0].data).expect("parses");
    let types: Vec<u8> = tx.records.iter().map(|r| r.rtype).collect();
    assert_eq!(
        types,
        [1, 2, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 10, 17, 17, 8]
    );
    assert_eq!(tx.missing_mandatory(), Vec::<String>::new());
    let t1 = &tx.records[0];
    assert_eq!(t1.text(2), Some("0502"));
    assert_eq!(t1.text(11), Some("19.69"));
    assert_eq!(t1.text(12), Some("19.69"));
    assert_eq!(t1.text(8), Some("ST-5171-01"));
    let manifest = rekam_record::read_unverified(&rec).expect("manifest");
    assert_eq!(t1.text(9), Some(manifest.record_id.as_str()));
    let gmt = t1.text(14).expect("GMT");
    assert!(gmt.len() == 15 && gmt.ends_with('Z'), "{gmt}");
    assert_eq!(&gmt[..8], t1.text(5).expect("DAT"));
    let t2 = &tx.records[1];
    assert_eq!(t2.text(3), Some(manifest.record_id.as_str()));
    assert_eq!(t2.text(5), Some("new"));

    for (i, r) in tx.of_type(14).enumerate() {
        assert_eq!(
            r.text(13),
            Some((i + 1).to_string().as_str()),
            "FGP in order"
        );
        assert_eq!(r.text(11), Some("WSQ20"));
        assert_eq!(r.text(9), Some("500"));
        assert_eq!(r.text(8), Some("1"));
        let wsq = rekam_wsq::decode(r.binary(999).expect("data")).expect("WSQ decodes");
        let w: u32 = r.text(6).expect("HLL").parse().expect("number");
        let h: u32 = r.text(7).expect("VLL").parse().expect("number");
        assert_eq!((wsq.width, wsq.height), (w, h));
        let orig = pixels_of(&rec, &key, &format!("captures/{}.png", common::FINGERS[i]));
        assert_eq!(orig.dimensions(), (w, h));
        let mse: f64 = orig
            .as_raw()
            .iter()
            .zip(&wsq.pixels)
            .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
            .sum::<f64>()
            / f64::from(w * h);
        // 0.75 bits per pixel: the codec's error on these prints is about 8-13 grey levels RMS.
        assert!(mse.sqrt() < 20.0, "finger {i}: RMS error {}", mse.sqrt());
        let ratio = f64::from(w * h) / r.binary(999).expect("data").len() as f64;
        assert!(
            (8.0..25.0).contains(&ratio),
            "finger {i}: compression {ratio:.1}:1"
        );
    }
    let face = tx.of_type(10).next().expect("Type-10");
    assert_eq!(face.text(11), Some("PNG"));
    let img = image::load_from_memory(face.binary(999).expect("data")).expect("png");
    assert_eq!((img.width(), img.height()), (240, 320));
    let eyes: Vec<_> = tx.of_type(17).collect();
    assert_eq!(eyes[0].text(3), Some("1"));
    assert_eq!(eyes[1].text(3), Some("2"));
    let right = image::load_from_memory(eyes[0].binary(999).expect("data"))
        .expect("png")
        .to_luma8();
    assert_eq!(right, pixels_of(&rec, &key, "captures/right_eye.png"));
    let sig = tx.of_type(8).next().expect("Type-8");
    assert_eq!(sig.text(4), Some("2"), "vectored");
    let v = sig.binary(8).expect("vectors");
    assert_eq!(v.len() % 5, 0);
    assert_eq!(v.last(), Some(&255));
    // 5 samples, 2 pen lifts, the end: 8 vectors.
    assert_eq!(v.len() / 5, 8);
}

#[test]
fn exceptions_become_amp_codes_and_dme() {
    let (_, tx) = nist_of(11, true);
    let tx = nist::parse(&tx).expect("parses");
    assert_eq!(tx.of_type(14).count(), 9);
    assert!(tx.of_type(14).all(|r| r.text(13) != Some("10")));
    let t2 = &tx.records[1];
    assert_eq!(
        t2.subfields(6),
        Some(&[vec!["10".to_string(), "XX".to_string()]][..])
    );
    let eyes: Vec<_> = tx.of_type(17).collect();
    assert_eq!(eyes.len(), 2);
    assert_eq!(eyes[1].text(3), Some("2"));
    assert_eq!(eyes[1].text(28), Some("MA"));
    assert!(eyes[1].binary(999).is_none());
    assert_eq!(tx.missing_mandatory(), Vec::<String>::new());
}

#[test]
fn a_parsed_transaction_encodes_to_the_same_bytes() {
    let (_, bytes) = nist_of(4, true);
    let tx = nist::parse(&bytes).expect("parses");
    assert_eq!(tx.encode(), bytes);
}

#[test]
fn a_missing_mandatory_field_is_reported() {
    let (_, bytes) = nist_of(3, false);
    let mut tx = nist::parse(&bytes).expect("parses");
    tx.records[2].fields.remove(&12);
    tx.records[0].fields.remove(&9);
    assert_eq!(tx.missing_mandatory(), ["1.009", "14.012"]);
}

#[test]
fn altered_record_is_not_exported() {
    let (mut rec, key) = common::record(5, false);
    let n = rec.len() / 2;
    rec[n] ^= 1;
    let e = export(
        &rec,
        &key.verifying_key(),
        Format::Nist,
        &Options::default(),
    )
    .expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Record);
    let other = rekam_record::StationKey::from_seed([99; 32]);
    let (rec, _) = common::record(5, false);
    let e = export(
        &rec,
        &other.verifying_key(),
        Format::Iso,
        &Options::default(),
    )
    .expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Record);
}

#[test]
fn bad_options_are_refused() {
    let (rec, key) = common::record(5, false);
    let opts = Options {
        transaction_type: "KTP-EL".into(),
        ..Options::default()
    };
    let e = export(&rec, &key.verifying_key(), Format::Nist, &opts).expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Option);
    assert!(e.to_string().contains("TOT"), "{e}");
}

#[test]
fn damaged_transactions_are_errors_not_panics() {
    let (_, bytes) = nist_of(9, false);
    assert!(nist::parse(&bytes).is_ok());
    // Every cut is an error.
    for cut in (0..bytes.len()).step_by(997) {
        assert!(nist::parse(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(nist::parse(&extra).is_err());
    // Flipped bytes: whatever the reader says, it must not panic.
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..3000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let mut b = bytes.clone();
        let i = (rng % b.len() as u64) as usize;
        b[i] ^= (rng >> 32) as u8 | 1;
        let _ = nist::parse(&b);
    }
}

fn iso_files(seed: u64, exceptions: bool) -> Vec<ExportedFile> {
    let (rec, key) = common::record(seed, exceptions);
    export(&rec, &key.verifying_key(), Format::Iso, &Options::default()).expect("exports")
}

fn file<'a>(files: &'a [ExportedFile], ext: &str) -> &'a [u8] {
    &files
        .iter()
        .find(|f| f.name.ends_with(ext))
        .expect("file")
        .data
}

#[test]
fn iso_records_round_trip() {
    let (rec, key) = common::record(21, false);
    let files =
        export(&rec, &key.verifying_key(), Format::Iso, &Options::default()).expect("exports");
    assert_eq!(files.len(), 3);
    let fir = iso::read_finger(file(&files, ".fir")).expect("part 4");
    assert_eq!(fir.images.len(), 10);
    assert_eq!(fir.positions, 10);
    for (i, f) in fir.images.iter().enumerate() {
        assert_eq!(f.position as usize, i + 1);
        assert_eq!(f.compression, iso::FINGER_WSQ);
        assert_eq!(f.scan_rate, (500, 500));
        let img = rekam_wsq::decode(&f.data).expect("WSQ");
        assert_eq!(
            (img.width, img.height),
            (u32::from(f.width), u32::from(f.height))
        );
    }
    let fac = iso::read_face(file(&files, ".fac")).expect("part 5");
    assert_eq!(fac.len(), 1);
    assert_eq!(fac[0].gender, 2);
    // The workspace's image crate decodes PNG only: the JPEG's markers here, its pixels in
    // tests/independent.rs (Pillow through iso19794).
    assert!(fac[0].data.starts_with(&[0xFF, 0xD8]) && fac[0].data.ends_with(&[0xFF, 0xD9]));
    assert_eq!((fac[0].width, fac[0].height), (240, 320));
    let iir = iso::read_iris(file(&files, ".iir")).expect("part 6");
    assert_eq!(iir.len(), 2);
    assert_eq!((iir[0].eye, iir[1].eye), (1, 2));
    assert_eq!(
        iir[0].data,
        pixels_of(&rec, &key, "captures/right_eye.png").into_raw()
    );
}

#[test]
fn iso_exceptions_leave_out_the_missing() {
    let files = iso_files(13, true);
    assert_eq!(
        iso::read_finger(file(&files, ".fir"))
            .expect("part 4")
            .images
            .len(),
        9
    );
    assert_eq!(
        iso::read_iris(file(&files, ".iir")).expect("part 6").len(),
        1
    );
}

#[test]
fn damaged_iso_records_are_errors_not_panics() {
    let files = iso_files(17, false);
    for f in &files {
        let read = |b: &[u8]| -> bool {
            match f.name.rsplit('.').next() {
                Some("fir") => iso::read_finger(b).is_ok(),
                Some("fac") => iso::read_face(b).is_ok(),
                _ => iso::read_iris(b).is_ok(),
            }
        };
        assert!(read(&f.data), "{} reads", f.name);
        for cut in (0..f.data.len()).step_by(1009) {
            assert!(!read(&f.data[..cut]), "{} cut at {cut}", f.name);
        }
        let mut longer = f.data.clone();
        longer.push(0);
        assert!(!read(&longer), "{} with a byte added", f.name);
        for i in 0..64.min(f.data.len()) {
            let mut b = f.data.clone();
            b[i] ^= 0xFF;
            let _ = read(&b);
        }
    }
}
