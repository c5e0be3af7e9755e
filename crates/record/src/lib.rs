//! The enrollment record: its data model, its signed archive format, and the station's key.
//!
//! A record is one person's complete recording. On disk it is a POSIX ustar archive (readable
//! with `tar -xf`) whose members are `manifest.json`, the capture files it lists with their
//! SHA-256, and last `record.sig`: an ed25519 signature by the station over every archive byte
//! before that member. Headers are deterministic, so a verifier checks the signature and then
//! that the rest of the file is exactly the canonical tail: any changed byte anywhere fails.
//! `docs/record-format.md` specifies it fully, for readers without this code.
//!
//! ```
//! use rekam_record::{Manifest, Person, Sex, Service, StationKey, seal, verify};
//! let key = StationKey::generate();
//! let manifest = Manifest::new("ST-01", "op-7", &key.public_hex(), Person {
//!     nik: "3578011201990001".into(), name: "Siti".into(), birth_date: "1999-01-12".into(),
//!     sex: Sex::Female, service: Service::New,
//! });
//! let bytes = seal(&manifest, &[], &key).unwrap();
//! let back = verify(&bytes, &key.verifying_key()).unwrap();
//! assert_eq!(back.manifest.record_id, manifest.record_id);
//! ```
#![warn(missing_docs)]

mod header;
mod keys;
pub mod tar;

use std::fmt;

use ed25519_dalek::{Signature, Verifier};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use ed25519_dalek::VerifyingKey;
pub use header::{
    canonical_birth_date, canonical_name, canonical_nik, read_bounded, read_file, HeaderError,
    ReadError, MAX_RECORD_BYTES, NAME_MAX_CHARS,
};
pub use keys::{
    key_fingerprint, verifying_key_from_hex, KeyFiles, Keyring, KeyringEntry, Rotation, StationKey,
    KEYRING_FORMAT,
};

/// The format name written in every manifest: version 2 records the device of every capture.
pub const FORMAT: &str = "rekam-record/2";
/// The first format, read and verified still: it has no `device` in its capture entries, so
/// nothing in it tells a simulated capture from a real one.
pub const FORMAT_V1: &str = "rekam-record/1";
/// The bytes signed are this prefix followed by the archive prefix (domain separation).
pub const SIGNING_CONTEXT: &[u8] = b"rekam-record-v1\0";
/// The manifest member's name.
pub const MANIFEST: &str = "manifest.json";
/// The signature member's name.
pub const SIGNATURE: &str = "record.sig";

/// What went wrong with a record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The bytes are not a record archive.
    #[error("{0}")]
    Format(String),
    /// The signature does not verify with the given key.
    #[error("the record's signature does not verify with the station key: the record was altered or signed by another station")]
    BadSignature,
    /// A listed file's hash does not match.
    #[error(
        "the record's file {0} does not match its SHA-256 in the manifest: the record was altered"
    )]
    BadHash(String),
    /// The manifest's JSON is not a record manifest.
    #[error("the record's manifest is not valid: {0}")]
    Manifest(String),
    /// Reading or writing the station key failed.
    #[error("{0}")]
    Key(String),
    /// The person header is not recordable ([`Person::canonical`]).
    #[error("the person's data cannot be recorded: {0}")]
    Header(#[from] HeaderError),
    /// The record would be larger than [`MAX_RECORD_BYTES`].
    #[error("the record would be {0} bytes, more than the {max} MiB a record may have: record fewer exception photos or lower the camera's still size", max = MAX_RECORD_BYTES / (1024 * 1024))]
    TooLarge(u64),
}

/// Sex as recorded on the KTP-el.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Laki-laki.
    Male,
    /// Perempuan.
    Female,
}

/// The service the recording is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// A first card.
    New,
    /// Replacement of a lost card.
    ReplacementLost,
    /// Replacement of a damaged card.
    ReplacementDamaged,
    /// A change of data.
    DataChange,
    /// Moved in from another region.
    MovedIn,
    /// Recording only.
    RecordingOnly,
}

impl Service {
    /// Whether a person already recorded on this station may be recorded again for it.
    pub fn allows_rerecording(self) -> bool {
        matches!(
            self,
            Service::ReplacementLost | Service::ReplacementDamaged | Service::DataChange
        )
    }
}

/// The person header. [`seal`] records it in its canonical form ([`Person::canonical`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// NIK, 16 digits.
    pub nik: String,
    /// Full name.
    pub name: String,
    /// Birth date, YYYY-MM-DD.
    pub birth_date: String,
    /// Sex.
    pub sex: Sex,
    /// The service.
    pub service: Service,
}

/// How a capture ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureStatus {
    /// Passed its quality gate.
    Captured,
    /// The best of the allowed attempts, below the threshold.
    ForceCaptured,
    /// Not capturable (missing, amputated, bandaged); see the exception.
    Exception,
}

/// A justified exception instead of a capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    /// `missing`, `amputated`, `bandaged`, `missing_eye`, ...
    pub reason: String,
    /// The operator's note.
    pub note: String,
    /// The archive member holding the photo of the exception.
    pub photo_file: Option<String>,
    /// Its SHA-256, hex.
    pub photo_sha256: Option<String>,
    /// The supervisor who approved it.
    pub approved_by: Option<String>,
}

/// Properties of a stored image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// Always `png` (lossless).
    pub format: String,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// Pixels per inch, when known (fingerprints).
    pub ppi: Option<u32>,
    /// `gray8` or `rgb8`.
    pub pixel: String,
    /// Grey levels the device delivered before scaling to 8 bits.
    pub source_levels: u16,
}

/// The quality of a kept capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityEntry {
    /// 0-100.
    pub score: u8,
    /// The threshold it was gated at.
    pub threshold: u8,
    /// Component measures, name → value.
    pub measures: Vec<(String, f64)>,
}

/// One capture in the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureEntry {
    /// `finger`, `iris`, `face`, `signature`.
    pub modality: String,
    /// Body position, e.g. `right_index`, `left_eye`, `face`, `signature`.
    pub position: String,
    /// How it ended.
    pub status: CaptureStatus,
    /// Attempts made.
    pub attempts: u32,
    /// Quality of the kept capture (absent for an exception).
    pub quality: Option<QualityEntry>,
    /// The archive member holding it (absent for an exception).
    pub file: Option<String>,
    /// Its SHA-256, hex.
    pub sha256: Option<String>,
    /// Image properties.
    pub image: Option<ImageInfo>,
    /// The exception, when not capturable.
    pub exception: Option<Exception>,
    /// The device that took the kept capture (absent for an exception, and in format 1).
    #[serde(default)]
    pub device: Option<CaptureDevice>,
}

/// The device that took a capture, as it identified itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureDevice {
    /// The station's driver (`r30x`, `isdv4`, `iris_usb`, `v4l`, `simcam`, `simiris`).
    pub driver: String,
    /// The model the device reports.
    pub model: String,
    /// Its serial number, when it reports one.
    pub serial: Option<String>,
    /// Its firmware or hardware version, when it reports one.
    pub firmware: Option<String>,
    /// A simulated device: the capture is synthetic, not of a person.
    pub simulated: bool,
}

/// The record's manifest (`manifest.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// Time-ordered id (UUID version 7).
    pub record_id: String,
    /// The station.
    pub station_id: String,
    /// The station's ed25519 public key, hex.
    pub station_public_key: String,
    /// The operator who recorded.
    pub operator_id: String,
    /// The supervisor who approved exceptions, if any.
    pub supervisor_id: Option<String>,
    /// When the session started, RFC 3339 UTC.
    pub started_at: String,
    /// When the record was sealed, RFC 3339 UTC.
    pub sealed_at: String,
    /// The person.
    pub person: Person,
    /// Warnings the operator confirmed (e.g. the NIK's birth date differs).
    pub confirmed_warnings: Vec<String>,
    /// Every capture.
    pub captures: Vec<CaptureEntry>,
}

/// Now, in UTC to the second, as RFC 3339 (`2026-11-22T04:00:00Z`): how every time a record,
/// the store and a session write is spelt. The one place that formats "now".
///
/// ```
/// let now = rekam_record::now_rfc3339();
/// let t = time::OffsetDateTime::parse(&now, &time::format_description::well_known::Rfc3339)?;
/// assert!(now.ends_with('Z') && !now.contains('.'), "{now}");
/// assert!((time::OffsetDateTime::now_utc() - t).whole_seconds() < 5);
/// # Ok::<(), time::error::Parse>(())
/// ```
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

impl Manifest {
    /// A new manifest with a fresh time-ordered id, started now.
    pub fn new(
        station_id: &str,
        operator_id: &str,
        station_public_key: &str,
        person: Person,
    ) -> Self {
        let now = now_rfc3339();
        Self {
            format: FORMAT.into(),
            record_id: uuid::Uuid::now_v7().to_string(),
            station_id: station_id.into(),
            station_public_key: station_public_key.into(),
            operator_id: operator_id.into(),
            supervisor_id: None,
            started_at: now.clone(),
            sealed_at: now,
            person,
            confirmed_warnings: Vec::new(),
            captures: Vec::new(),
        }
    }
}

impl Manifest {
    /// Whether the manifest's format records the device of every capture (format 2 on).
    pub fn records_devices(&self) -> bool {
        self.format != FORMAT_V1
    }

    /// How many captures a simulated device took.
    pub fn simulated_captures(&self) -> usize {
        self.captures
            .iter()
            .filter(|c| c.device.as_ref().is_some_and(|d| d.simulated))
            .count()
    }
}

/// Checks the `device` of every capture entry against the manifest's format: in format 2 each
/// kept capture names a device with a driver and a model, and an exception names none; format
/// 1 has no devices.
fn check_devices(m: &Manifest) -> Result<(), RecordError> {
    for c in &m.captures {
        let bad = |what: &str| {
            Err(RecordError::Manifest(format!(
                "the capture {} {what}",
                c.position
            )))
        };
        match (&c.device, m.format.as_str()) {
            (Some(_), FORMAT_V1) => return bad("names a device, which format 1 has not"),
            (_, FORMAT_V1) => {}
            (None, _) if c.file.is_some() => return bad("does not name the device that took it"),
            (Some(_), _) if c.file.is_none() => return bad("names a device but holds no capture"),
            (Some(d), _) if d.driver.is_empty() || d.model.is_empty() => {
                return bad("names a device without its driver or model")
            }
            _ => {}
        }
    }
    Ok(())
}

/// A file stored in the archive.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Member name, e.g. `captures/right_index.png`.
    pub name: String,
    /// Bytes.
    pub data: Vec<u8>,
}

impl fmt::Debug for Attachment {
    // Biometric data never goes to logs: only the name and size.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Attachment {{ name: {:?}, len: {} }}",
            self.name,
            self.data.len()
        )
    }
}

impl Attachment {
    /// A file named `name`.
    pub fn new(name: impl Into<String>, data: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            data,
        }
    }
}

/// Lower-case hex of SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Parses lower- or upper-case hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The canonical tail of an archive: the signature member and the end blocks.
fn tail(signature: &[u8; 64]) -> Result<Vec<u8>, RecordError> {
    let mut out = Vec::with_capacity(4 * tar::BLOCK);
    tar::append(&mut out, SIGNATURE, signature)?;
    tar::finish(&mut out);
    Ok(out)
}

/// Writes the archive: the manifest, then each attachment, then the signature. The manifest's
/// `sealed_at` is set now; every file the manifest names must be among the attachments.
pub fn seal(
    manifest: &Manifest,
    attachments: &[Attachment],
    key: &StationKey,
) -> Result<Vec<u8>, RecordError> {
    let mut m = manifest.clone();
    for c in &mut m.captures {
        if let Some(q) = &mut c.quality {
            // JSON has no NaN or infinity: a measure that is not a number is left out.
            q.measures.retain(|(_, v)| v.is_finite());
        }
    }
    for a in attachments {
        let safe = !a.name.starts_with('/')
            && !a
                .name
                .split('/')
                .any(|p| p.is_empty() || p == "." || p == "..")
            && a.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b));
        if !safe {
            return Err(RecordError::Format(format!(
                "'{}' is not a safe archive member name",
                a.name
            )));
        }
    }
    // The one form of the header, whatever the caller typed: the NIK's 16 digits, the name
    // within the card's limits (so a later comparison or index of this record agrees).
    m.person = m.person.canonical()?;
    m.sealed_at = now_rfc3339();
    m.station_public_key = key.public_hex();
    if m.format != FORMAT {
        return Err(RecordError::Manifest(format!(
            "a record is sealed as {FORMAT}, not '{}'",
            m.format
        )));
    }
    check_devices(&m)?;
    for c in &m.captures {
        let named = c.file.iter().map(|f| (f, &c.sha256)).chain(
            c.exception
                .iter()
                .filter_map(|e| e.photo_file.as_ref().map(|f| (f, &e.photo_sha256))),
        );
        for (file, sha) in named {
            let a = attachments
                .iter()
                .find(|a| &a.name == file)
                .ok_or_else(|| {
                    RecordError::Manifest(format!(
                        "the manifest names {file} but no such file is attached"
                    ))
                })?;
            if sha.as_deref() != Some(sha256_hex(&a.data).as_str()) {
                return Err(RecordError::Manifest(format!(
                    "the SHA-256 of {file} in the manifest is not that of the attached file"
                )));
            }
        }
    }
    let json = serde_json::to_vec(&m).map_err(|e| RecordError::Manifest(e.to_string()))?;
    let mut out = Vec::with_capacity(
        json.len()
            + attachments
                .iter()
                .map(|a| a.data.len() + 1024)
                .sum::<usize>()
            + 4096,
    );
    tar::append(&mut out, MANIFEST, &json)?;
    for a in attachments {
        if a.name == MANIFEST || a.name == SIGNATURE {
            return Err(RecordError::Format(format!(
                "an attachment may not be called {}",
                a.name
            )));
        }
        tar::append(&mut out, &a.name, &a.data)?;
    }
    let mut msg = Vec::with_capacity(SIGNING_CONTEXT.len() + out.len());
    msg.extend_from_slice(SIGNING_CONTEXT);
    msg.extend_from_slice(&out);
    let sig = key.sign(&msg);
    out.extend_from_slice(&tail(&sig)?);
    if out.len() as u64 > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge(out.len() as u64));
    }
    Ok(out)
}

/// A record read back and verified.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The manifest.
    pub manifest: Manifest,
    /// The attachments, in archive order.
    pub attachments: Vec<Attachment>,
}

/// Reads a record without checking its signature (e.g. to reconcile a store's index); use
/// [`verify`] for anything that trusts its contents.
pub fn read_unverified(bytes: &[u8]) -> Result<Manifest, RecordError> {
    let members = tar::read(bytes)?;
    let first = members
        .first()
        .filter(|m| m.name == MANIFEST)
        .ok_or_else(|| {
            RecordError::Format(format!("the record archive does not start with {MANIFEST}"))
        })?;
    serde_json::from_slice(first.data).map_err(|e| RecordError::Manifest(e.to_string()))
}

/// Verifies a record with the station's public key: the signature over every byte before the
/// signature member, the exact canonical tail, the manifest, and every listed file's SHA-256.
pub fn verify(bytes: &[u8], key: &VerifyingKey) -> Result<Verified, RecordError> {
    let members = tar::read(bytes)?;
    let Some((sig_member, rest)) = members.split_last() else {
        return Err(RecordError::Format("the record archive is empty".into()));
    };
    if sig_member.name != SIGNATURE || sig_member.data.len() != 64 {
        return Err(RecordError::Format(format!(
            "the record archive does not end with a 64-byte {SIGNATURE}"
        )));
    }
    let mut sig = [0u8; 64];
    sig.copy_from_slice(sig_member.data);
    if bytes[sig_member.offset..] != tail(&sig)?[..] {
        return Err(RecordError::BadSignature);
    }
    let mut msg = Vec::with_capacity(SIGNING_CONTEXT.len() + sig_member.offset);
    msg.extend_from_slice(SIGNING_CONTEXT);
    msg.extend_from_slice(&bytes[..sig_member.offset]);
    key.verify(&msg, &Signature::from_bytes(&sig))
        .map_err(|_| RecordError::BadSignature)?;
    let Some((manifest_member, files)) = rest.split_first() else {
        return Err(RecordError::Format(
            "the record archive has no manifest".into(),
        ));
    };
    if manifest_member.name != MANIFEST {
        return Err(RecordError::Format(format!(
            "the record archive does not start with {MANIFEST}"
        )));
    }
    let manifest: Manifest = serde_json::from_slice(manifest_member.data)
        .map_err(|e| RecordError::Manifest(e.to_string()))?;
    if manifest.format != FORMAT && manifest.format != FORMAT_V1 {
        return Err(RecordError::Manifest(format!(
            "format '{}' is neither {FORMAT} nor {FORMAT_V1}",
            manifest.format
        )));
    }
    check_devices(&manifest)?;
    if unhex(&manifest.station_public_key).as_deref() != Some(key.as_bytes().as_slice()) {
        return Err(RecordError::BadSignature);
    }
    let attachments: Vec<Attachment> = files
        .iter()
        .map(|m| Attachment::new(m.name.clone(), m.data.to_vec()))
        .collect();
    let mut listed = std::collections::BTreeSet::new();
    for c in &manifest.captures {
        listed.extend(c.file.iter().cloned());
        if let Some(e) = &c.exception {
            listed.extend(e.photo_file.iter().cloned());
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for a in &attachments {
        if !seen.insert(a.name.as_str()) {
            return Err(RecordError::Format(format!(
                "the archive holds {} twice",
                a.name
            )));
        }
        if !listed.contains(&a.name) {
            return Err(RecordError::Format(format!(
                "the archive holds {}, which the manifest does not list",
                a.name
            )));
        }
    }
    for c in &manifest.captures {
        let named = c.file.iter().map(|f| (f, &c.sha256)).chain(
            c.exception
                .iter()
                .filter_map(|e| e.photo_file.as_ref().map(|f| (f, &e.photo_sha256))),
        );
        for (file, sha) in named {
            let a = attachments
                .iter()
                .find(|a| &a.name == file)
                .ok_or_else(|| {
                    RecordError::Manifest(format!(
                        "the manifest names {file}, which is not in the archive"
                    ))
                })?;
            if sha.as_deref() != Some(sha256_hex(&a.data).as_str()) {
                return Err(RecordError::BadHash(file.clone()));
            }
        }
    }
    Ok(Verified {
        manifest,
        attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(key: &StationKey) -> (Manifest, Vec<Attachment>) {
        let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3, 4];
        let mut m = Manifest::new(
            "ST-01",
            "op-1",
            &key.public_hex(),
            Person {
                nik: "3578015507990002".into(),
                name: "Dewi Lestari".into(),
                birth_date: "1999-07-15".into(),
                sex: Sex::Female,
                service: Service::New,
            },
        );
        m.captures.push(CaptureEntry {
            modality: "finger".into(),
            position: "right_index".into(),
            status: CaptureStatus::Captured,
            attempts: 1,
            quality: Some(QualityEntry {
                score: 77,
                threshold: 40,
                measures: vec![("orientation_certainty".into(), 0.61)],
            }),
            file: Some("captures/right_index.png".into()),
            sha256: Some(sha256_hex(&png)),
            image: Some(ImageInfo {
                format: "png".into(),
                width: 256,
                height: 288,
                ppi: Some(500),
                pixel: "gray8".into(),
                source_levels: 16,
            }),
            exception: None,
            device: Some(CaptureDevice {
                driver: "r30x".into(),
                model: "R503".into(),
                serial: Some("00A1B2C3".into()),
                firmware: Some("hardware 1.2".into()),
                simulated: false,
            }),
        });
        (m, vec![Attachment::new("captures/right_index.png", png)])
    }

    #[test]
    fn every_changed_byte_fails_verification() {
        let key = StationKey::generate();
        let (m, a) = sample(&key);
        let bytes = seal(&m, &a, &key).unwrap();
        verify(&bytes, &key.verifying_key()).unwrap();
        // Every single byte, flipped, must fail (the archive is a few kilobytes).
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(
                verify(&b, &key.verifying_key()).is_err(),
                "byte {i} changed and still verified"
            );
        }
        // Appended or truncated bytes fail too.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(verify(&longer, &key.verifying_key()).is_err());
        assert!(verify(&bytes[..bytes.len() - 1], &key.verifying_key()).is_err());
    }

    #[test]
    fn non_finite_measures_are_left_out_and_unlisted_members_refused() {
        let key = StationKey::generate();
        let (mut m, a) = sample(&key);
        if let Some(q) = m.captures[0].quality.as_mut() {
            q.measures.push(("nan".into(), f64::NAN));
        }
        let bytes = seal(&m, &a, &key).unwrap();
        let v = verify(&bytes, &key.verifying_key()).unwrap();
        assert_eq!(
            v.manifest.captures[0]
                .quality
                .as_ref()
                .unwrap()
                .measures
                .len(),
            1
        );
        let mut extra = a.clone();
        extra.push(Attachment::new("captures/extra.png", vec![1]));
        let bytes = seal(&m, &extra, &key).unwrap();
        assert!(verify(&bytes, &key.verifying_key()).is_err());
        assert!(seal(&m, &[Attachment::new("../evil", vec![])], &key).is_err());
    }

    #[test]
    fn another_stations_key_fails() {
        let key = StationKey::generate();
        let (m, a) = sample(&key);
        let bytes = seal(&m, &a, &key).unwrap();
        let other = StationKey::generate();
        assert!(matches!(
            verify(&bytes, &other.verifying_key()),
            Err(RecordError::BadSignature)
        ));
    }

    #[test]
    fn sealing_checks_the_manifest_against_the_files() {
        let key = StationKey::generate();
        let (m, mut a) = sample(&key);
        a[0].data.push(9);
        assert!(seal(&m, &a, &key).is_err());
        assert!(seal(&m, &[], &key).is_err());
    }

    /// Signs `manifest_json` and `files` as `seal` would, without any of its checks: records
    /// of format 1 and malformed ones.
    fn sign_raw(manifest_json: &[u8], files: &[Attachment], key: &StationKey) -> Vec<u8> {
        let mut out = Vec::new();
        tar::append(&mut out, MANIFEST, manifest_json).unwrap();
        for a in files {
            tar::append(&mut out, &a.name, &a.data).unwrap();
        }
        let mut msg = SIGNING_CONTEXT.to_vec();
        msg.extend_from_slice(&out);
        out.extend_from_slice(&tail(&key.sign(&msg)).unwrap());
        out
    }

    #[test]
    fn format_2_names_the_device_of_every_capture() {
        let key = StationKey::generate();
        let (m, a) = sample(&key);
        let bytes = seal(&m, &a, &key).unwrap();
        let json = String::from_utf8(tar::read(&bytes).unwrap()[0].data.to_vec()).unwrap();
        assert!(json.starts_with(r#"{"format":"rekam-record/2","#), "{json}");
        assert!(
            json.contains(r#""exception":null,"device":{"driver":"r30x","model":"R503","serial":"00A1B2C3","firmware":"hardware 1.2","simulated":false}}"#),
            "{json}"
        );
        let v = verify(&bytes, &key.verifying_key()).unwrap();
        assert!(v.manifest.records_devices());
        assert_eq!(v.manifest.simulated_captures(), 0);

        let mut sim = m.clone();
        if let Some(d) = sim.captures[0].device.as_mut() {
            d.simulated = true;
        }
        let v = verify(&seal(&sim, &a, &key).unwrap(), &key.verifying_key()).unwrap();
        assert_eq!(v.manifest.simulated_captures(), 1);

        // The sealer refuses a capture without its device, and so does the verifier.
        let mut anonymous = m.clone();
        anonymous.captures[0].device = None;
        let e = seal(&anonymous, &a, &key).unwrap_err();
        assert!(
            e.to_string()
                .contains("right_index does not name the device"),
            "{e}"
        );
        anonymous.station_public_key = key.public_hex();
        let raw = sign_raw(&serde_json::to_vec(&anonymous).unwrap(), &a, &key);
        let e = verify(&raw, &key.verifying_key()).unwrap_err();
        assert!(e.to_string().contains("does not name the device"), "{e}");
        let mut blank = m.clone();
        if let Some(d) = blank.captures[0].device.as_mut() {
            d.model.clear();
        }
        assert!(seal(&blank, &a, &key).is_err());
    }

    #[test]
    fn a_format_1_record_still_verifies_and_records_no_devices() {
        let key = StationKey::generate();
        let (mut m, a) = sample(&key);
        m.format = FORMAT_V1.into();
        m.captures[0].device = None;
        // A format-1 manifest, as Rekam 0.1 wrote it: no `device` field at all.
        let json = serde_json::to_string(&m)
            .unwrap()
            .replace(r#","device":null"#, "");
        assert!(!json.contains("device"));
        let v = verify(&sign_raw(json.as_bytes(), &a, &key), &key.verifying_key()).unwrap();
        assert!(!v.manifest.records_devices());
        assert_eq!(v.manifest.simulated_captures(), 0);
        // Format 1 with a device is not a record Rekam wrote; neither is an unknown format.
        let (mut with_device, _) = sample(&key);
        with_device.format = FORMAT_V1.into();
        let raw = sign_raw(&serde_json::to_vec(&with_device).unwrap(), &a, &key);
        assert!(verify(&raw, &key.verifying_key()).is_err());
        let (mut future, _) = sample(&key);
        future.format = "rekam-record/3".into();
        let raw = sign_raw(&serde_json::to_vec(&future).unwrap(), &a, &key);
        let e = verify(&raw, &key.verifying_key()).unwrap_err();
        assert!(e.to_string().contains("rekam-record/3"), "{e}");
        // And nothing is sealed as format 1 any more.
        assert!(seal(&m, &a, &key).is_err());
    }

    #[test]
    fn the_header_is_sealed_in_its_canonical_form_or_not_at_all() {
        let key = StationKey::generate();
        let (mut m, a) = sample(&key);
        m.person.nik = "3578-0155-0799-0002".into();
        m.person.name = " Dewi   Lestari ".into();
        let bytes = seal(&m, &a, &key).unwrap();
        let v = verify(&bytes, &key.verifying_key()).unwrap();
        assert_eq!(v.manifest.person.nik, "3578015507990002");
        assert_eq!(v.manifest.person.name, "Dewi Lestari");
        let json = String::from_utf8(tar::read(&bytes).unwrap()[0].data.to_vec()).unwrap();
        assert!(!json.contains("3578-"), "{json}");
        for (name, want) in [
            ("", HeaderError::NameEmpty),
            ("   ", HeaderError::NameEmpty),
            ("Dewi\u{7}", HeaderError::NameControl(5)),
            (&"x".repeat(10_240), HeaderError::NameTooLong(10_240)),
        ] {
            let mut bad = m.clone();
            bad.person.name = name.to_string();
            match seal(&bad, &a, &key) {
                Err(RecordError::Header(e)) => assert_eq!(e, want),
                other => panic!("{name:?} sealed: {other:?}"),
            }
        }
        let mut bad = m.clone();
        bad.person.nik = "3578/0155/0799/0002".into();
        assert!(matches!(
            seal(&bad, &a, &key),
            Err(RecordError::Header(HeaderError::NikCharacter(5)))
        ));
    }

    #[test]
    fn record_ids_are_time_ordered() {
        let key = StationKey::generate();
        let (a, _) = sample(&key);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let (b, _) = sample(&key);
        assert!(a.record_id < b.record_id);
    }

    #[test]
    fn attachments_do_not_print_their_bytes() {
        let a = Attachment::new("captures/x.png", vec![7; 100]);
        assert_eq!(
            format!("{a:?}"),
            "Attachment { name: \"captures/x.png\", len: 100 }"
        );
    }
}
