//! What an export takes from a verified record: decoded images, the pen series, and the
//! record's identifiers and times.
use std::fmt;

use rekam_record::{CaptureEntry, CaptureStatus, Sex, Verified};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::ExportError;

/// Finger positions in the record and their ISO/IEC 19794-4 / ANSI/NIST-ITL finger codes.
const FINGERS: [(&str, u8); 10] = [
    ("right_thumb", 1),
    ("right_index", 2),
    ("right_middle", 3),
    ("right_ring", 4),
    ("right_little", 5),
    ("left_thumb", 6),
    ("left_index", 7),
    ("left_middle", 8),
    ("left_ring", 9),
    ("left_little", 10),
];

/// Resolution assumed for a fingerprint whose device reported none (the sensor class Rekam
/// uses is 500 ppi).
const DEFAULT_FINGER_PPI: u32 = 500;

/// A fingerprint image.
#[derive(Clone)]
pub struct Finger {
    /// Finger code 1-10 (right thumb 1 ... left little 10).
    pub code: u8,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Scan resolution, pixels per inch.
    pub ppi: u32,
    /// 8-bit grey pixels, row by row.
    pub pixels: Vec<u8>,
}

/// A finger the record holds an exception for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingFinger {
    /// Finger code 1-10.
    pub code: u8,
    /// `true`: missing or amputated (ANSI/NIST AMP code `XX`); `false`: bandaged (`UP`).
    pub amputated: bool,
}

/// An iris image.
#[derive(Clone)]
pub struct Eye {
    /// The person's right eye.
    pub right: bool,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution when the device reported one.
    pub ppi: Option<u32>,
    /// 8-bit grey pixels, row by row.
    pub pixels: Vec<u8>,
}

/// The face photo.
#[derive(Clone)]
pub struct Face {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 8-bit RGB pixels, row by row.
    pub rgb: Vec<u8>,
    /// The record's PNG of it, unchanged.
    pub png: Vec<u8>,
}

/// One pen sample of the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct PenSample {
    /// Microseconds since the capture started.
    pub t_us: u64,
    /// Horizontal position, pad units.
    pub x: u16,
    /// Vertical position, pad units, growing downwards.
    pub y: u16,
    /// Tip pressure, pad units.
    pub pressure: u16,
    /// Whether the tip touches.
    pub tip: bool,
}

/// The signature's pen series (`captures/signature.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Signature {
    /// Strokes in writing order.
    pub strokes: Vec<Vec<PenSample>>,
    /// Largest x the pad reports.
    pub max_x: u16,
    /// Largest y the pad reports.
    pub max_y: u16,
    /// Largest pressure the pad reports.
    pub max_pressure: u16,
    /// Pad units per millimetre.
    pub units_per_mm: u16,
    /// Capture time, microseconds.
    pub duration_us: u64,
}

/// Everything an export writes, taken from one verified record.
#[derive(Clone)]
pub struct Subject {
    /// The record id (1.009 TCN).
    pub record_id: String,
    /// The station's id.
    pub station_id: String,
    /// The service, as the record names it (`new`, `replacement_lost`, ...).
    pub service: String,
    /// Sex from the person header.
    pub sex: Sex,
    /// When the capture session started (the capture date of every image).
    pub started: OffsetDateTime,
    /// When the record was sealed (the transaction date).
    pub sealed: OffsetDateTime,
    /// Captured fingers, in finger-code order.
    pub fingers: Vec<Finger>,
    /// Fingers recorded as exceptions.
    pub missing_fingers: Vec<MissingFinger>,
    /// Captured eyes, right first.
    pub eyes: Vec<Eye>,
    /// Eyes recorded as missing (`true` = right).
    pub missing_eyes: Vec<bool>,
    /// The face.
    pub face: Option<Face>,
    /// The signature.
    pub signature: Option<Signature>,
}

impl fmt::Debug for Subject {
    // Only identifiers and counts: no biometrics in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subject")
            .field("record_id", &self.record_id)
            .field("fingers", &self.fingers.len())
            .field("eyes", &self.eyes.len())
            .field("face", &self.face.is_some())
            .field("signature", &self.signature.is_some())
            .finish()
    }
}

impl fmt::Debug for Finger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Finger {{ code: {}, {}x{} }}",
            self.code, self.width, self.height
        )
    }
}

impl fmt::Debug for Eye {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Eye {{ right: {}, {}x{} }}",
            self.right, self.width, self.height
        )
    }
}

impl fmt::Debug for Face {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Face {{ {}x{} }}", self.width, self.height)
    }
}

fn bad(what: &str, why: impl Into<String>) -> ExportError {
    ExportError::Capture {
        what: what.into(),
        why: why.into(),
    }
}

fn timestamp(what: &str, s: &str) -> Result<OffsetDateTime, ExportError> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.to_offset(time::UtcOffset::UTC))
        .map_err(|e| bad(what, format!("'{s}' is not an RFC 3339 timestamp ({e})")))
}

fn file<'a>(record: &'a Verified, c: &CaptureEntry) -> Result<&'a [u8], ExportError> {
    let name = c
        .file
        .as_deref()
        .ok_or_else(|| bad(&c.position, "the capture names no file"))?;
    record
        .attachments
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.data.as_slice())
        .ok_or_else(|| bad(&c.position, format!("{name} is not in the record")))
}

fn decode(c: &CaptureEntry, png: &[u8]) -> Result<image::DynamicImage, ExportError> {
    image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .map_err(|e| bad(&c.position, format!("its PNG does not decode ({e})")))
}

fn service_name(s: rekam_record::Service) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{s:?}"))
}

impl Subject {
    /// Takes what an export needs from a verified record: decodes every image, parses the
    /// pen series, and checks what the formats need (sizes, resolutions).
    pub fn from_record(record: &Verified) -> Result<Subject, ExportError> {
        let m = &record.manifest;
        let mut s = Subject {
            record_id: m.record_id.clone(),
            station_id: m.station_id.clone(),
            service: service_name(m.person.service),
            sex: m.person.sex,
            started: timestamp("started_at", &m.started_at)?,
            sealed: timestamp("sealed_at", &m.sealed_at)?,
            fingers: Vec::new(),
            missing_fingers: Vec::new(),
            eyes: Vec::new(),
            missing_eyes: Vec::new(),
            face: None,
            signature: None,
        };
        for c in &m.captures {
            let kept = matches!(
                c.status,
                CaptureStatus::Captured | CaptureStatus::ForceCaptured
            );
            match c.modality.as_str() {
                "finger" => {
                    let code = FINGERS
                        .iter()
                        .find(|(p, _)| *p == c.position)
                        .map(|(_, code)| *code)
                        .ok_or_else(|| bad(&c.position, "it is not a finger position"))?;
                    if !kept {
                        let reason = c.exception.as_ref().map(|e| e.reason.as_str());
                        s.missing_fingers.push(MissingFinger {
                            code,
                            amputated: reason != Some("bandaged"),
                        });
                        continue;
                    }
                    let img = decode(c, file(record, c)?)?.to_luma8();
                    let ppi = c
                        .image
                        .as_ref()
                        .and_then(|i| i.ppi)
                        .unwrap_or(DEFAULT_FINGER_PPI);
                    let (width, height) = img.dimensions();
                    if !(rekam_wsq::MIN_SIDE..=65535).contains(&width)
                        || !(rekam_wsq::MIN_SIDE..=65535).contains(&height)
                    {
                        return Err(bad(
                            &c.position,
                            format!("{width}x{height} pixels is too small to WSQ-compress"),
                        ));
                    }
                    if !(1..=65535).contains(&ppi) {
                        return Err(bad(&c.position, format!("{ppi} ppi is not a resolution")));
                    }
                    s.fingers.push(Finger {
                        code,
                        width,
                        height,
                        ppi,
                        pixels: img.into_raw(),
                    });
                }
                "iris" => {
                    let right = match c.position.as_str() {
                        "right_eye" => true,
                        "left_eye" => false,
                        _ => return Err(bad(&c.position, "it is not an eye position")),
                    };
                    if !kept {
                        s.missing_eyes.push(right);
                        continue;
                    }
                    let img = decode(c, file(record, c)?)?.to_luma8();
                    let (width, height) = img.dimensions();
                    if width > 65535 || height > 65535 {
                        return Err(bad(&c.position, "the image is larger than 65535 pixels"));
                    }
                    s.eyes.push(Eye {
                        right,
                        width,
                        height,
                        ppi: c.image.as_ref().and_then(|i| i.ppi),
                        pixels: img.into_raw(),
                    });
                }
                "face" if kept => {
                    let png = file(record, c)?;
                    let img = decode(c, png)?.to_rgb8();
                    let (width, height) = img.dimensions();
                    if width > 65535 || height > 65535 {
                        return Err(bad(&c.position, "the image is larger than 65535 pixels"));
                    }
                    s.face = Some(Face {
                        width,
                        height,
                        rgb: img.into_raw(),
                        png: png.to_vec(),
                    });
                }
                "signature" if kept => {
                    let sig: Signature = serde_json::from_slice(file(record, c)?).map_err(|e| {
                        bad(&c.position, format!("its pen series is not valid ({e})"))
                    })?;
                    s.signature = Some(sig);
                }
                _ => {}
            }
        }
        s.fingers.sort_by_key(|f| f.code);
        s.eyes.sort_by_key(|e| !e.right);
        Ok(s)
    }
}
