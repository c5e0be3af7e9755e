//! A sealed record on its way to the centre: encrypted to the centre's X25519 key with HPKE
//! (RFC 9180, base mode, `DHKEM(X25519, HKDF-SHA256)`, `HKDF-SHA256`, `ChaCha20-Poly1305`) and
//! signed outside by the station's ed25519 key, so that
//! - only the centre can read the record, on the station's disk, on a USB stick and on the wire;
//! - the station (or anyone with its public key) can check a stored envelope without decrypting;
//! - the clear header names the station, the record and the person's keyed NIK tag
//!   ([`NikKey`]), so recording-once works without the NIK in the index, and the index can be
//!   rebuilt from the files.
//!
//! The byte layout is in `docs/uplink.md`; [`Envelope::parse`] reads it with every length
//! checked against the bytes that are there (no panic, no allocation before the checks).
//!
//! ```
//! use rekam_envelope::{CentreSecretKey, Header, NikKey, Envelope};
//! let centre = CentreSecretKey::generate();
//! let station = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
//! let nik = NikKey::from_bytes([1; 32]);
//! let header = Header {
//!     station_id: "jkt-01".into(),
//!     record_id: uuid::Uuid::from_u128(42),
//!     nik_tag: nik.tag("3201010101900001")?,
//! };
//! let sealed = rekam_envelope::seal(b"the signed archive", &header, &centre.public_key(), &station)?;
//!
//! let env = Envelope::parse(&sealed)?;
//! env.verify(&station.verifying_key())?; // the station's check: no decryption
//! assert_eq!(env.header.record_id, header.record_id);
//! assert_eq!(env.open(&centre)?, b"the signed archive"); // the centre's
//! # Ok::<(), rekam_envelope::EnvelopeError>(())
//! ```
#![warn(missing_docs)]

use std::fmt;

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use hmac::{Hmac, Mac};
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use sha2::Sha256;

type Kem = hpke::kem::X25519HkdfSha256;
type Kdf = hpke::kdf::HkdfSha256;
type Aead = hpke::aead::ChaCha20Poly1305;

/// The first eight bytes of every envelope.
pub const MAGIC: &[u8; 8] = b"REKAMENV";
/// The layout version this crate writes and reads.
pub const VERSION: u16 = 1;
/// RFC 9180's identifiers of the one suite used: DHKEM(X25519, HKDF-SHA256).
pub const KEM_ID: u16 = 0x0020;
/// HKDF-SHA256.
pub const KDF_ID: u16 = 0x0001;
/// ChaCha20-Poly1305.
pub const AEAD_ID: u16 = 0x0003;
/// HPKE's `info`: binds the key schedule to this use.
pub const HPKE_INFO: &[u8] = b"rekam-envelope-v1";
/// Prefixed to the bytes the outer signature covers, so that a station's record signature
/// and its envelope signature can never stand for each other.
pub const SIGNING_CONTEXT: &[u8] = b"rekam-envelope-v1\0";
/// Prefixed to the NIK before the keyed hash.
pub const NIK_CONTEXT: &[u8] = b"rekam-nik-v1\0";
/// The longest station id.
pub const MAX_STATION_ID: usize = 64;
/// The largest ciphertext accepted: the largest record the station seals (rekam-record's
/// `MAX_RECORD_BYTES`, 128 MiB; a typical record is about 1.2 MB) plus the tag.
pub const MAX_CIPHERTEXT: usize = (128 << 20) + TAG_LEN;
/// Length of the encapsulated key (X25519: 32).
pub const ENC_LEN: usize = 32;
/// Length of ChaCha20-Poly1305's tag at the end of the ciphertext.
pub const TAG_LEN: usize = 16;
/// Length of the outer signature.
pub const SIGNATURE_LEN: usize = 64;

/// How an envelope failed, for callers that decide between retrying, refusing and alerting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not an envelope of this version (cut short, damaged, another format).
    Format,
    /// The outer signature does not verify with the station's key.
    Signature,
    /// The envelope is for another centre key, or does not decrypt (altered).
    Decrypt,
    /// A key or a value given to the crate is not acceptable.
    Input,
}

/// What went wrong with an envelope.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The bytes end before the layout says they should.
    #[error("the envelope is cut short: {needed} bytes needed at offset {at}, {have} there; the file was truncated (copy it again from the station)")]
    Truncated {
        /// Offset of the field that does not fit.
        at: usize,
        /// Bytes that field needs.
        needed: usize,
        /// Bytes left.
        have: usize,
    },
    /// The bytes are not a Rekam envelope, or a field holds an impossible value.
    #[error("not a valid record envelope: {0}")]
    Format(String),
    /// The outer signature does not verify.
    #[error("the envelope's signature does not verify with the station key: the file was altered or signed by another station")]
    BadSignature,
    /// The envelope was encrypted to another centre key.
    #[error(
        "the envelope is encrypted to another centre key ({found}); this centre's key is {ours}"
    )]
    WrongCentreKey {
        /// Hex of the key named in the envelope.
        found: String,
        /// Hex of the key given.
        ours: String,
    },
    /// Decryption failed: the ciphertext or its header was altered.
    #[error(
        "the envelope does not decrypt with the centre key: its ciphertext or header was altered"
    )]
    Decrypt,
    /// A value handed to the crate is not acceptable (a NIK, a station id, a size).
    #[error("{0}")]
    Input(String),
}

impl EnvelopeError {
    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Truncated { .. } | Self::Format(_) => ErrorKind::Format,
            Self::BadSignature => ErrorKind::Signature,
            Self::WrongCentreKey { .. } | Self::Decrypt => ErrorKind::Decrypt,
            Self::Input(_) => ErrorKind::Input,
        }
    }
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Parses hex (either case); `None` if it is not.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|d| u8::from_str_radix(d, 16).ok()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Keys

/// The centre's public X25519 key, which stations encrypt to (from the station's configuration).
#[derive(Clone, PartialEq, Eq)]
pub struct CentrePublicKey([u8; 32]);

impl fmt::Debug for CentrePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CentrePublicKey({})", hex(&self.0))
    }
}

impl CentrePublicKey {
    /// From its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// From 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, EnvelopeError> {
        unhex(s.trim())
            .and_then(|v| v.try_into().ok())
            .map(Self)
            .ok_or_else(|| {
                EnvelopeError::Input(
                    "the centre's public key must be 64 hexadecimal digits (32 bytes)".into(),
                )
            })
    }

    /// The 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The key as hex.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

/// The centre's X25519 private key. Its `Debug` shows the public key only.
pub struct CentreSecretKey {
    sk: <Kem as hpke::Kem>::PrivateKey,
    pk: [u8; 32],
}

impl fmt::Debug for CentreSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CentreSecretKey {{ public: {} }}", hex(&self.pk))
    }
}

impl CentreSecretKey {
    /// A new key from the operating system's generator.
    pub fn generate() -> Self {
        let (sk, pk) = Kem::gen_keypair();
        Self {
            sk,
            pk: pk.to_bytes().into(),
        }
    }

    /// The key derived from input keying material with RFC 9180's `DeriveKeyPair` (tests,
    /// the RFC's vectors).
    pub fn derive(ikm: &[u8]) -> Self {
        let (sk, pk) = Kem::derive_keypair(ikm);
        Self {
            sk,
            pk: pk.to_bytes().into(),
        }
    }

    /// From the 32 bytes of a private key (RFC 9180's `SerializePrivateKey`).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, EnvelopeError> {
        let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(bytes)
            .map_err(|_| EnvelopeError::Input("not an X25519 private key".into()))?;
        let pk = Kem::sk_to_pk(&sk);
        Ok(Self {
            sk,
            pk: pk.to_bytes().into(),
        })
    }

    /// The private key's 32 bytes, for writing to an owner-only file. Never log them.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.sk.to_bytes().into()
    }

    /// The public half.
    pub fn public_key(&self) -> CentrePublicKey {
        CentrePublicKey(self.pk)
    }
}

/// What signs an envelope: the station's key. Implemented for ed25519-dalek's `SigningKey`;
/// the station's own key type implements it where it lives.
pub trait Sign {
    /// The ed25519 signature of `msg`.
    fn sign_ed25519(&self, msg: &[u8]) -> [u8; 64];
}

impl Sign for SigningKey {
    fn sign_ed25519(&self, msg: &[u8]) -> [u8; 64] {
        self.sign(msg).to_bytes()
    }
}

/// The station's key for the keyed NIK tag: HMAC-SHA256. Held by the station (never sent);
/// its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct NikKey([u8; 32]);

impl fmt::Debug for NikKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NikKey(..)")
    }
}

/// A person's keyed NIK tag: `HMAC-SHA256(key, "rekam-nik-v1\0" || NIK)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NikTag(pub [u8; 32]);

impl fmt::Debug for NikTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NikTag({})", hex(&self.0))
    }
}

impl NikTag {
    /// The tag as hex (the index's key).
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl NikKey {
    /// A new random key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut k);
        Self(k)
    }

    /// From its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes, for writing to an owner-only file.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The tag of a NIK, which must be exactly 16 ASCII digits (so one person has one tag).
    pub fn tag(&self, nik: &str) -> Result<NikTag, EnvelopeError> {
        if nik.len() != 16 || !nik.bytes().all(|b| b.is_ascii_digit()) {
            return Err(EnvelopeError::Input(
                "a NIK for the recording-once tag must be exactly 16 digits".into(),
            ));
        }
        // Any key length is valid for HMAC.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .map_err(|_| EnvelopeError::Input("the NIK key is not usable".into()))?;
        mac.update(NIK_CONTEXT);
        mac.update(nik.as_bytes());
        Ok(NikTag(mac.finalize().into_bytes().into()))
    }
}

// ---------------------------------------------------------------------------------------------
// The envelope

/// The clear, signed header of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The station's id: 1 to 64 of `A-Z a-z 0-9 _ -` (a NATS subject token).
    pub station_id: String,
    /// The record's id.
    pub record_id: uuid::Uuid,
    /// The person's keyed NIK tag.
    pub nik_tag: NikTag,
}

/// Checks a station id: 1 to 64 of `A-Z a-z 0-9 _ -`, so it can stand in a NATS subject.
pub fn check_station_id(id: &str) -> Result<(), EnvelopeError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_STATION_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(EnvelopeError::Input(format!(
            "the station id must be 1 to {MAX_STATION_ID} letters, digits, '_' or '-' (it names the station's NATS subjects)"
        )))
    }
}

/// Encrypts `archive` to `centre` and signs the envelope with `station`.
pub fn seal(
    archive: &[u8],
    header: &Header,
    centre: &CentrePublicKey,
    station: &dyn Sign,
) -> Result<Vec<u8>, EnvelopeError> {
    check_station_id(&header.station_id)?;
    let ct_len = archive.len() + TAG_LEN;
    if ct_len > MAX_CIPHERTEXT {
        return Err(EnvelopeError::Input(format!(
            "the record is {} bytes; an envelope holds at most {} bytes",
            archive.len(),
            MAX_CIPHERTEXT - TAG_LEN
        )));
    }
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(&centre.0)
        .map_err(|_| EnvelopeError::Input("the centre's public key is not an X25519 key".into()))?;
    // First the HPKE context (its encapsulated key goes into the header, and the header is the
    // ciphertext's associated data).
    let (enc, mut ctx) = hpke::setup_sender::<Aead, Kdf, Kem>(&OpModeS::Base, &pk, HPKE_INFO)
        .map_err(|_| EnvelopeError::Input("the centre's public key is not usable".into()))?;
    let enc: [u8; ENC_LEN] = enc.to_bytes().into();

    let sid = header.station_id.as_bytes();
    let mut out = Vec::with_capacity(200 + sid.len() + ct_len + SIGNATURE_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_be_bytes());
    out.extend_from_slice(&KEM_ID.to_be_bytes());
    out.extend_from_slice(&KDF_ID.to_be_bytes());
    out.extend_from_slice(&AEAD_ID.to_be_bytes());
    out.push(sid.len() as u8); // checked: at most 64
    out.extend_from_slice(sid);
    out.extend_from_slice(header.record_id.as_bytes());
    out.extend_from_slice(&header.nik_tag.0);
    out.extend_from_slice(&centre.0);
    out.extend_from_slice(&(ENC_LEN as u16).to_be_bytes());
    out.extend_from_slice(&enc);
    out.extend_from_slice(&(ct_len as u32).to_be_bytes()); // checked: at most 64 MiB
    let ct = ctx
        .seal(archive, &out)
        .map_err(|_| EnvelopeError::Input("encryption failed".into()))?;
    debug_assert_eq!(ct.len(), ct_len);
    out.extend_from_slice(&ct);
    let sig = station.sign_ed25519(&signed_message(&out));
    out.extend_from_slice(&sig);
    Ok(out)
}

fn signed_message(body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIGNING_CONTEXT.len() + body.len());
    m.extend_from_slice(SIGNING_CONTEXT);
    m.extend_from_slice(body);
    m
}

/// A parsed envelope: its header and slices of the bytes it was parsed from.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// The clear header.
    pub header: Header,
    /// The centre key it was encrypted to.
    pub centre_key: CentrePublicKey,
    /// HPKE's encapsulated key.
    pub enc: &'a [u8],
    /// The ciphertext (with its tag).
    pub ciphertext: &'a [u8],
    /// The outer signature.
    pub signature: [u8; SIGNATURE_LEN],
    /// Everything before the ciphertext: HPKE's associated data.
    aad: &'a [u8],
    /// Everything before the signature.
    body: &'a [u8],
}

/// A bounded reader over the bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EnvelopeError> {
        let have = self.bytes.len() - self.at;
        if n > have {
            return Err(EnvelopeError::Truncated {
                at: self.at,
                needed: n,
                have,
            });
        }
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], EnvelopeError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u16(&mut self) -> Result<u16, EnvelopeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
}

impl<'a> Envelope<'a> {
    /// Reads the layout. Every length is checked before it is used; nothing may follow the
    /// signature. Checks neither the signature ([`Envelope::verify`]) nor the ciphertext.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, EnvelopeError> {
        let mut c = Cursor { bytes, at: 0 };
        if c.take(MAGIC.len())? != MAGIC {
            return Err(EnvelopeError::Format(
                "it does not begin with REKAMENV (is it a record archive, not an envelope?)".into(),
            ));
        }
        let version = c.u16()?;
        if version != VERSION {
            return Err(EnvelopeError::Format(format!(
                "layout version {version}; this program reads version {VERSION} (update it)"
            )));
        }
        let suite = (c.u16()?, c.u16()?, c.u16()?);
        if suite != (KEM_ID, KDF_ID, AEAD_ID) {
            return Err(EnvelopeError::Format(format!(
                "HPKE suite kem {:#06x}, kdf {:#06x}, aead {:#06x}; only X25519, HKDF-SHA256, ChaCha20-Poly1305 (0x0020, 0x0001, 0x0003) is used",
                suite.0, suite.1, suite.2
            )));
        }
        let sid_len = usize::from(c.array::<1>()?[0]);
        let sid = c.take(sid_len)?;
        let station_id = std::str::from_utf8(sid)
            .ok()
            .filter(|s| check_station_id(s).is_ok())
            .ok_or_else(|| EnvelopeError::Format("the station id is not valid".into()))?
            .to_string();
        let record_id = uuid::Uuid::from_bytes(c.array()?);
        let nik_tag = NikTag(c.array()?);
        let centre_key = CentrePublicKey(c.array()?);
        let enc_len = usize::from(c.u16()?);
        if enc_len != ENC_LEN {
            return Err(EnvelopeError::Format(format!(
                "the encapsulated key is {enc_len} bytes; X25519's is {ENC_LEN}"
            )));
        }
        let enc = c.take(ENC_LEN)?;
        let ct_len = u32::from_be_bytes(c.array()?) as usize;
        if !(TAG_LEN..=MAX_CIPHERTEXT).contains(&ct_len) {
            return Err(EnvelopeError::Format(format!(
                "the ciphertext length {ct_len} is outside {TAG_LEN}..={MAX_CIPHERTEXT}"
            )));
        }
        let aad_end = c.at;
        let ciphertext = c.take(ct_len)?;
        let body_end = c.at;
        let signature = c.array::<SIGNATURE_LEN>()?;
        if c.at != bytes.len() {
            return Err(EnvelopeError::Format(format!(
                "{} bytes follow the signature",
                bytes.len() - c.at
            )));
        }
        Ok(Self {
            header: Header {
                station_id,
                record_id,
                nik_tag,
            },
            centre_key,
            enc,
            ciphertext,
            signature,
            aad: &bytes[..aad_end],
            body: &bytes[..body_end],
        })
    }

    /// Checks the outer signature with the station's public key (no decryption).
    pub fn verify(&self, station: &VerifyingKey) -> Result<(), EnvelopeError> {
        let sig = Signature::from_bytes(&self.signature);
        station
            .verify(&signed_message(self.body), &sig)
            .map_err(|_| EnvelopeError::BadSignature)
    }

    /// Decrypts with the centre's private key; returns the signed record archive. Does not
    /// check the outer signature: call [`Envelope::verify`] first (the centre knows the
    /// station's key from its registry).
    pub fn open(&self, centre: &CentreSecretKey) -> Result<Vec<u8>, EnvelopeError> {
        if self.centre_key.0 != centre.pk {
            return Err(EnvelopeError::WrongCentreKey {
                found: self.centre_key.to_hex(),
                ours: hex(&centre.pk),
            });
        }
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(self.enc)
            .map_err(|_| EnvelopeError::Decrypt)?;
        let mut ctx =
            hpke::setup_receiver::<Aead, Kdf, Kem>(&OpModeR::Base, &centre.sk, &enc, HPKE_INFO)
                .map_err(|_| EnvelopeError::Decrypt)?;
        ctx.open(self.ciphertext, self.aad)
            .map_err(|_| EnvelopeError::Decrypt)
    }

    /// The bytes the signature covers, less the signing context (for a second implementation's
    /// tests).
    pub fn signed_body(&self) -> &'a [u8] {
        self.body
    }
}

/// Parses, verifies the outer signature with `station`, and decrypts with `centre`.
pub fn open(
    bytes: &[u8],
    station: &VerifyingKey,
    centre: &CentreSecretKey,
) -> Result<(Header, Vec<u8>), EnvelopeError> {
    let env = Envelope::parse(bytes)?;
    env.verify(station)?;
    let archive = env.open(centre)?;
    Ok((env.header, archive))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_refusals() {
        assert_eq!(hex(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(unhex("00ABff"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("é1"), None);
    }

    #[test]
    fn nik_tag_needs_sixteen_digits_and_depends_on_the_key() {
        let k = NikKey::from_bytes([9; 32]);
        assert!(k.tag("320101010190000").is_err());
        assert!(k.tag("32010101019000011").is_err());
        assert!(k.tag("320101010190000a").is_err());
        assert!(k.tag(" 320101010190001").is_err());
        let a = k.tag("3201010101900001").expect("tag");
        assert_eq!(a, k.tag("3201010101900001").expect("tag"));
        assert_ne!(a, k.tag("3201010101900002").expect("tag"));
        assert_ne!(
            a,
            NikKey::from_bytes([8; 32])
                .tag("3201010101900001")
                .expect("tag")
        );
        assert_eq!(format!("{k:?}"), "NikKey(..)");
    }

    #[test]
    fn station_ids_are_subject_tokens() {
        assert!(check_station_id("jkt-01_a").is_ok());
        for bad in ["", "a.b", "a b", "a*", ">", "ü", &"x".repeat(65)] {
            assert!(check_station_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn secret_key_debug_shows_only_the_public_key() {
        let k = CentreSecretKey::derive(b"debug test");
        let shown = format!("{k:?}");
        assert!(shown.contains(&k.public_key().to_hex()));
        assert!(!shown.contains(&hex(&k.to_bytes())));
        let back = CentreSecretKey::from_bytes(&k.to_bytes()).expect("key");
        assert_eq!(back.public_key(), k.public_key());
    }
}
