//! Standard interchange from a sealed Rekam record: an ANSI/NIST-ITL 1-2011 (Update 2015)
//! transaction in the traditional encoding, with WSQ-compressed fingerprints, and ISO/IEC 19794
//! records (part 4 finger images, part 5 face, part 6 iris). Readers for what this crate writes
//! are here too ([`nist::parse`], [`iso`]), bounded and without panics, for tests and fuzzing.
//!
//! `docs/export.md` lists every record type and field written and where each rule comes from.
//!
//! ```no_run
//! # fn main() -> Result<(), rekam_export::ExportError> {
//! # let bytes: Vec<u8> = Vec::new();
//! # let key = rekam_record::StationKey::generate().verifying_key();
//! let files = rekam_export::export(&bytes, &key, rekam_export::Format::Nist,
//!     &rekam_export::Options::default())?;
//! for f in &files {
//!     println!("{} ({} bytes)", f.name, f.data.len());
//! }
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod iso;
pub mod nist;
mod source;

use std::fmt;

use ed25519_dalek::VerifyingKey;
use rekam_record::Verified;

pub use source::{Eye, Face, Finger, MissingFinger, PenSample, Signature, Subject};

/// Which interchange to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One ANSI/NIST-ITL 1-2011 Update 2015 transaction (traditional encoding).
    Nist,
    /// ISO/IEC 19794 records: part 4 (fingers), part 5 (face), part 6 (irises).
    Iso,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "nist" => Ok(Format::Nist),
            "iso" => Ok(Format::Iso),
            other => Err(format!(
                "'{other}' is not an export format: use nist or iso"
            )),
        }
    }
}

/// Agency and transaction values of the Type-1 record; the rest comes from the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// 1.007 DAI, the destination agency (default `DUKCAPIL`).
    pub destination_agency: String,
    /// 1.008 ORI, the originating agency; `None` uses the record's station id.
    pub originating_agency: Option<String>,
    /// 1.004 TOT, the type of transaction (1-16 letters, default `KTPEL`).
    pub transaction_type: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            destination_agency: "DUKCAPIL".into(),
            originating_agency: None,
            transaction_type: "KTPEL".into(),
        }
    }
}

/// One file written by an export.
#[derive(Clone, PartialEq, Eq)]
pub struct ExportedFile {
    /// File name, `<record id>.<ext>`.
    pub name: String,
    /// Contents.
    pub data: Vec<u8>,
}

impl fmt::Debug for ExportedFile {
    // Biometric data never goes to logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ExportedFile {{ name: {:?}, len: {} }}",
            self.name,
            self.data.len()
        )
    }
}

/// What went wrong in an export.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The record does not verify or cannot be read.
    #[error("the record was not exported: {0}")]
    Record(#[from] rekam_record::RecordError),
    /// A capture in the record cannot be represented.
    #[error("the record's {what} cannot be exported: {why}")]
    Capture {
        /// The capture (its position).
        what: String,
        /// Why.
        why: String,
    },
    /// An option is outside what the standard allows.
    #[error("export option {name}: {why}")]
    Option {
        /// The option.
        name: &'static str,
        /// Why.
        why: String,
    },
}

/// The kind of an [`ExportError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The record is altered, from another station, or not a record.
    Record,
    /// A capture cannot be encoded.
    Capture,
    /// A bad option.
    Option,
}

impl ExportError {
    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ExportError::Record(_) => ErrorKind::Record,
            ExportError::Capture { .. } => ErrorKind::Capture,
            ExportError::Option { .. } => ErrorKind::Option,
        }
    }
}

/// A reader's error: the bytes are not a well-formed file of the kind read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub(crate) fn new(s: impl Into<String>) -> Self {
        ParseError(s.into())
    }
}

/// Verifies `record` with the station key, then exports it.
pub fn export(
    record: &[u8],
    key: &VerifyingKey,
    format: Format,
    options: &Options,
) -> Result<Vec<ExportedFile>, ExportError> {
    let verified = rekam_record::verify(record, key)?;
    export_verified(&verified, format, options)
}

/// Exports a record already verified.
pub fn export_verified(
    record: &Verified,
    format: Format,
    options: &Options,
) -> Result<Vec<ExportedFile>, ExportError> {
    let _span =
        tracing::info_span!("export", record = %record.manifest.record_id, ?format).entered();
    let subject = Subject::from_record(record)?;
    let id = &subject.record_id;
    let files = match format {
        Format::Nist => vec![ExportedFile {
            name: format!("{id}.an2"),
            data: nist::write(&subject, options)?,
        }],
        Format::Iso => {
            let mut v = Vec::new();
            if !subject.fingers.is_empty() {
                v.push(ExportedFile {
                    name: format!("{id}.fir"),
                    data: iso::write_finger(&subject)?,
                });
            }
            if subject.face.is_some() {
                v.push(ExportedFile {
                    name: format!("{id}.fac"),
                    data: iso::write_face(&subject)?,
                });
            }
            if !subject.eyes.is_empty() {
                v.push(ExportedFile {
                    name: format!("{id}.iir"),
                    data: iso::write_iris(&subject)?,
                });
            }
            v
        }
    };
    tracing::info!(files = files.len(), "exported");
    Ok(files)
}
