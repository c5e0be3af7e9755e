//! The envelope's own properties: round trip, every changed byte refused, the wrong centre key
//! refused, every truncation an error (never a panic).
use ed25519_dalek::SigningKey;
use rekam_envelope::{
    open, seal, CentreSecretKey, Envelope, EnvelopeError, ErrorKind, Header, NikKey, SIGNATURE_LEN,
};

fn station() -> SigningKey {
    SigningKey::from_bytes(&[3; 32])
}

fn header() -> Header {
    Header {
        station_id: "jkt-pusat-01".into(),
        record_id: uuid::Uuid::parse_str("01890a5d-ac96-774b-bcce-b302099a8057").expect("uuid"),
        nik_tag: NikKey::from_bytes([5; 32])
            .tag("3171234567890001")
            .expect("tag"),
    }
}

/// A deterministic stand-in for a signed archive.
fn archive(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn round_trip_small_and_record_sized() {
    let centre = CentreSecretKey::derive(b"centre one");
    for len in [0, 1, 1000, 1_200_000] {
        let a = archive(len);
        let sealed = seal(&a, &header(), &centre.public_key(), &station()).expect("seal");
        let (h, back) = open(&sealed, &station().verifying_key(), &centre).expect("open");
        assert_eq!(h, header());
        assert_eq!(back, a);
        // The envelope hides the archive: no long run of it appears in the bytes.
        if len >= 64 {
            assert!(!sealed.windows(32).any(|w| w == &a[..32]));
        }
    }
}

#[test]
fn each_seal_is_fresh() {
    let centre = CentreSecretKey::derive(b"centre one");
    let a = archive(100);
    let s1 = seal(&a, &header(), &centre.public_key(), &station()).expect("seal");
    let s2 = seal(&a, &header(), &centre.public_key(), &station()).expect("seal");
    assert_ne!(s1, s2, "a new ephemeral key per envelope");
    assert_eq!(s1.len(), s2.len());
}

#[test]
fn every_flipped_byte_is_refused() {
    let centre = CentreSecretKey::derive(b"centre one");
    let sealed = seal(&archive(300), &header(), &centre.public_key(), &station()).expect("seal");
    let sig_start = sealed.len() - SIGNATURE_LEN;
    let vk = station().verifying_key();
    for i in 0..sealed.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = sealed.clone();
            bad[i] ^= mask;
            let err = open(&bad, &vk, &centre).expect_err("a changed byte must be refused");
            // The station's check alone (no key but the public one) catches it too.
            let station_check = Envelope::parse(&bad).and_then(|e| e.verify(&vk));
            assert!(station_check.is_err(), "byte {i} mask {mask:#x}: {err}");
            // And without the outer signature, decryption still refuses any change before it:
            // the header is HPKE's associated data.
            if i < sig_start {
                let centre_only = Envelope::parse(&bad).and_then(|e| e.open(&centre));
                assert!(centre_only.is_err(), "byte {i} mask {mask:#x} decrypted");
            }
        }
    }
}

#[test]
fn the_wrong_centre_key_is_refused() {
    let centre = CentreSecretKey::derive(b"centre one");
    let other = CentreSecretKey::derive(b"centre two");
    let sealed = seal(&archive(300), &header(), &centre.public_key(), &station()).expect("seal");
    let err = open(&sealed, &station().verifying_key(), &other).expect_err("wrong key");
    assert!(matches!(err, EnvelopeError::WrongCentreKey { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Decrypt);
    assert!(err.to_string().contains(&centre.public_key().to_hex()));

    // An envelope whose header names the other key (re-signed by the station itself) still
    // does not decrypt with it: the header is bound into the ciphertext.
    let env = Envelope::parse(&sealed).expect("parse");
    let key_at = 8 + 2 + 6 + 1 + env.header.station_id.len() + 16 + 32;
    let mut forged = sealed[..sealed.len() - SIGNATURE_LEN].to_vec();
    forged[key_at..key_at + 32].copy_from_slice(&other.public_key().to_bytes());
    let mut msg = rekam_envelope::SIGNING_CONTEXT.to_vec();
    msg.extend_from_slice(&forged);
    forged.extend_from_slice(&ed25519_dalek::Signer::sign(&station(), &msg).to_bytes());
    let err = open(&forged, &station().verifying_key(), &other).expect_err("forged");
    assert!(matches!(err, EnvelopeError::Decrypt), "{err}");
}

#[test]
fn another_stations_signature_is_refused() {
    let centre = CentreSecretKey::derive(b"centre one");
    let sealed = seal(&archive(50), &header(), &centre.public_key(), &station()).expect("seal");
    let other = SigningKey::from_bytes(&[4; 32]);
    let err = open(&sealed, &other.verifying_key(), &centre).expect_err("other station");
    assert!(matches!(err, EnvelopeError::BadSignature));
    assert_eq!(err.kind(), ErrorKind::Signature);
}

#[test]
fn every_truncation_and_any_trailing_byte_is_an_error() {
    let centre = CentreSecretKey::derive(b"centre one");
    let sealed = seal(&archive(200), &header(), &centre.public_key(), &station()).expect("seal");
    for n in 0..sealed.len() {
        let err = Envelope::parse(&sealed[..n]).expect_err("truncated");
        assert_eq!(err.kind(), ErrorKind::Format, "at {n}: {err}");
    }
    let mut longer = sealed.clone();
    longer.push(0);
    let err = Envelope::parse(&longer).expect_err("trailing");
    assert!(err.to_string().contains("follow the signature"), "{err}");
}

#[test]
fn impossible_lengths_are_refused_before_use() {
    let centre = CentreSecretKey::derive(b"centre one");
    let sealed = seal(&archive(10), &header(), &centre.public_key(), &station()).expect("seal");
    let sid = header().station_id.len();
    let ct_len_at = 8 + 2 + 6 + 1 + sid + 16 + 32 + 32 + 2 + 32;
    for claimed in [
        0u32,
        15,
        u32::MAX,
        rekam_envelope::MAX_CIPHERTEXT as u32 + 1,
    ] {
        let mut bad = sealed.clone();
        bad[ct_len_at..ct_len_at + 4].copy_from_slice(&claimed.to_be_bytes());
        assert!(Envelope::parse(&bad).is_err(), "{claimed}");
    }
    let mut bad = sealed.clone();
    bad[16] = 200; // a station id longer than the file
    assert!(Envelope::parse(&bad).is_err());
    let mut bad = sealed;
    bad[16] = 0; // an empty station id
    assert!(Envelope::parse(&bad).is_err());
}

#[test]
fn a_record_archive_is_not_an_envelope() {
    let err = Envelope::parse(b"manifest.json\0\0\0 ... a tar archive").expect_err("not one");
    assert!(err.to_string().contains("REKAMENV"), "{err}");
}

#[test]
fn seeded_random_damage_never_panics_and_never_opens() {
    let centre = CentreSecretKey::derive(b"centre one");
    let sealed = seal(&archive(120), &header(), &centre.public_key(), &station()).expect("seal");
    let vk = station().verifying_key();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..5000 {
        let mut bad = sealed.clone();
        match next() % 4 {
            0 => bad.truncate((next() as usize) % sealed.len()),
            1 => bad.extend((0..1 + next() % 40).map(|_| next() as u8)),
            _ => {
                for _ in 0..1 + next() % 4 {
                    let i = (next() as usize) % bad.len();
                    bad[i] = bad[i].wrapping_add(1 + (next() % 255) as u8);
                }
            }
        }
        assert!(open(&bad, &vk, &centre).is_err());
    }
    // Pure noise, of every length up to a few headers.
    for len in 0..400 {
        let noise: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        assert!(Envelope::parse(&noise).is_err() || open(&noise, &vk, &centre).is_err());
    }
}
