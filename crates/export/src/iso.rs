//! ISO/IEC 19794 records and their readers: part 4 (finger images, 2011 edition, version
//! `020`), part 5 (face images, 2005 edition, version `010`: the edition PyPI's `iso19794`
//! reads whole; its reader of the 2011 `030` stops before the image), part 6 (iris images, 2011
//! edition, version `020`). Every integer is big-endian. `docs/export.md` lists each field.
use std::panic::{catch_unwind, AssertUnwindSafe};

use rekam_record::Sex;

use crate::source::Subject;
use crate::{ExportError, ParseError};

/// Part 4 compression code for WSQ.
pub const FINGER_WSQ: u8 = 2;
/// Part 4 impression type: live-scan plain.
pub const LIVE_SCAN_PLAIN: u8 = 0;
/// Part 5 image data type: JPEG.
pub const FACE_JPEG: u8 = 0;
/// Part 6 image format: monochrome raw.
pub const IRIS_MONO_RAW: u8 = 2;
/// JPEG quality of the face in part 5.
pub const FACE_JPEG_QUALITY: f32 = 90.0;

/// Capture date and time as ISO/IEC 19794-1:2011 writes it (9 bytes: year, month, day, hour,
/// minute, second, millisecond).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Year.
    pub year: u16,
    /// Month 1-12.
    pub month: u8,
    /// Day 1-31.
    pub day: u8,
    /// Hour 0-23.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Second.
    pub second: u8,
    /// Millisecond.
    pub millisecond: u16,
}

impl DateTime {
    fn of(t: time::OffsetDateTime) -> DateTime {
        DateTime {
            year: u16::try_from(t.year()).unwrap_or(0),
            month: u8::from(t.month()),
            day: t.day(),
            hour: t.hour(),
            minute: t.minute(),
            second: t.second(),
            millisecond: t.millisecond(),
        }
    }

    fn push(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.year.to_be_bytes());
        out.extend_from_slice(&[self.month, self.day, self.hour, self.minute, self.second]);
        out.extend_from_slice(&self.millisecond.to_be_bytes());
    }
}

/// A bounds-checked reader over a byte slice.
struct Cursor<'a> {
    b: &'a [u8],
    p: usize,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    fn new(b: &'a [u8], what: &'static str) -> Self {
        Cursor { b, p: 0, what }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], ParseError> {
        let end = self
            .p
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| {
                ParseError::new(format!(
                    "the {} is cut short at byte {} ({n} more needed)",
                    self.what, self.p
                ))
            })?;
        let s = &self.b[self.p..end];
        self.p = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, ParseError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ParseError> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32, ParseError> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn datetime(&mut self) -> Result<DateTime, ParseError> {
        Ok(DateTime {
            year: self.u16()?,
            month: self.u8()?,
            day: self.u8()?,
            hour: self.u8()?,
            minute: self.u8()?,
            second: self.u8()?,
            millisecond: self.u16()?,
        })
    }
    fn rest(&self) -> usize {
        self.b.len() - self.p
    }
}

fn len32(n: usize, what: &str) -> Result<u32, ExportError> {
    u32::try_from(n).map_err(|_| ExportError::Capture {
        what: what.into(),
        why: "the record would exceed 4 GiB".into(),
    })
}

fn header(
    c: &mut Cursor<'_>,
    id: &[u8; 4],
    version: &[u8; 4],
    what: &str,
) -> Result<u32, ParseError> {
    if c.take(4)? != id {
        return Err(ParseError::new(format!(
            "not an ISO/IEC 19794 {what} record"
        )));
    }
    if c.take(4)? != version {
        return Err(ParseError::new(format!(
            "the {what} record is not version {}",
            String::from_utf8_lossy(&version[..3])
        )));
    }
    let len = c.u32()?;
    if len as usize != c.b.len() {
        return Err(ParseError::new(format!(
            "the {what} record says {len} bytes but has {}",
            c.b.len()
        )));
    }
    Ok(len)
}

// ---------------------------------------------------------------- part 4: finger images

/// One finger image representation (ISO/IEC 19794-4:2011, 8.3).
#[derive(Clone, PartialEq, Eq)]
pub struct FingerImage {
    /// Capture date and time.
    pub captured: DateTime,
    /// Capture device technology (0 unknown).
    pub technology: u8,
    /// Quality blocks: (score, algorithm vendor, algorithm).
    pub quality: Vec<(u8, u16, u16)>,
    /// Finger position code (1-10 for single fingers).
    pub position: u8,
    /// Representation number.
    pub number: u8,
    /// Scale units: 1 ppi, 2 pixels per cm.
    pub scale_units: u8,
    /// Horizontal and vertical scan sampling rate.
    pub scan_rate: (u16, u16),
    /// Horizontal and vertical image sampling rate.
    pub image_rate: (u16, u16),
    /// Bits per pixel.
    pub bit_depth: u8,
    /// Compression (2 = WSQ).
    pub compression: u8,
    /// Impression type (0 = live-scan plain).
    pub impression: u8,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// The compressed image.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for FingerImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FingerImage {{ position: {}, {}x{}, {} bytes }}",
            self.position,
            self.width,
            self.height,
            self.data.len()
        )
    }
}

/// A part 4 record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerRecord {
    /// Distinct finger positions, as the header states.
    pub positions: u8,
    /// The representations.
    pub images: Vec<FingerImage>,
}

/// Writes the fingers as one ISO/IEC 19794-4:2011 record, WSQ at 0.75 bits per pixel.
pub fn write_finger(s: &Subject) -> Result<Vec<u8>, ExportError> {
    let mut reps = Vec::new();
    for (i, f) in s.fingers.iter().enumerate() {
        let ppi = u16::try_from(f.ppi).unwrap_or(u16::MAX);
        let wsq = rekam_wsq::encode(
            &f.pixels,
            f.width,
            f.height,
            &rekam_wsq::EncodeOptions {
                bitrate: 0.75,
                ppi: Some(f.ppi),
            },
        )
        .map_err(|e| ExportError::Capture {
            what: format!("finger {}", f.code),
            why: e.to_string(),
        })?;
        let mut r = Vec::with_capacity(41 + wsq.len());
        r.extend_from_slice(&[0; 4]); // representation length, below
        DateTime::of(s.started).push(&mut r);
        r.push(0); // capture device technology: unknown
        r.extend_from_slice(&0u16.to_be_bytes()); // vendor: unreported
        r.extend_from_slice(&0u16.to_be_bytes()); // device type: unreported
        r.push(0); // quality blocks
        r.push(f.code);
        r.push(u8::try_from(i).unwrap_or(u8::MAX)); // representation number
        r.push(1); // scale units: ppi
        for _ in 0..4 {
            r.extend_from_slice(&ppi.to_be_bytes()); // scan and image sampling rates
        }
        r.push(8); // bit depth
        r.push(FINGER_WSQ);
        r.push(LIVE_SCAN_PLAIN);
        r.extend_from_slice(&(f.width as u16).to_be_bytes());
        r.extend_from_slice(&(f.height as u16).to_be_bytes());
        r.extend_from_slice(&len32(wsq.len(), "finger")?.to_be_bytes());
        r.extend_from_slice(&wsq);
        let n = len32(r.len(), "finger")?;
        r[..4].copy_from_slice(&n.to_be_bytes());
        reps.push(r);
    }
    let body: usize = reps.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(16 + body);
    out.extend_from_slice(b"FIR\x00020\x00");
    out.extend_from_slice(&len32(16 + body, "finger")?.to_be_bytes());
    out.extend_from_slice(&(reps.len() as u16).to_be_bytes());
    out.push(0); // certification flag
    let mut codes: Vec<u8> = s.fingers.iter().map(|f| f.code).collect();
    codes.dedup();
    out.push(codes.len() as u8);
    for r in reps {
        out.extend_from_slice(&r);
    }
    Ok(out)
}

/// Reads an ISO/IEC 19794-4:2011 record (without certification blocks).
pub fn read_finger(b: &[u8]) -> Result<FingerRecord, ParseError> {
    let mut c = Cursor::new(b, "finger image record");
    header(&mut c, b"FIR\0", b"020\0", "finger image")?;
    let n = c.u16()?;
    if c.u8()? != 0 {
        return Err(ParseError::new(
            "the finger record has certification blocks, which this reader does not read",
        ));
    }
    let positions = c.u8()?;
    let mut images = Vec::new();
    for i in 0..n {
        let start = c.p;
        let len = c.u32()? as usize;
        if len < 41 || len > c.rest() + 4 {
            return Err(ParseError::new(format!(
                "finger representation {i} claims {len} bytes; {} remain",
                c.rest() + 4
            )));
        }
        let captured = c.datetime()?;
        let technology = c.u8()?;
        let _vendor = c.u16()?;
        let _device = c.u16()?;
        let q = c.u8()?;
        let mut quality = Vec::new();
        for _ in 0..q {
            quality.push((c.u8()?, c.u16()?, c.u16()?));
        }
        let position = c.u8()?;
        let number = c.u8()?;
        let scale_units = c.u8()?;
        let scan_rate = (c.u16()?, c.u16()?);
        let image_rate = (c.u16()?, c.u16()?);
        let bit_depth = c.u8()?;
        let compression = c.u8()?;
        let impression = c.u8()?;
        let width = c.u16()?;
        let height = c.u16()?;
        let dlen = c.u32()? as usize;
        let data = c.take(dlen)?.to_vec();
        if c.p - start != len {
            return Err(ParseError::new(format!(
                "finger representation {i} says {len} bytes but holds {}",
                c.p - start
            )));
        }
        images.push(FingerImage {
            captured,
            technology,
            quality,
            position,
            number,
            scale_units,
            scan_rate,
            image_rate,
            bit_depth,
            compression,
            impression,
            width,
            height,
            data,
        });
    }
    if c.rest() != 0 {
        return Err(ParseError::new(format!(
            "{} bytes follow the last finger representation",
            c.rest()
        )));
    }
    Ok(FingerRecord { positions, images })
}

// ---------------------------------------------------------------- part 5: face images

/// A part 5 (2005) face image.
#[derive(Clone, PartialEq, Eq)]
pub struct FaceImage {
    /// Gender: 0 unspecified, 1 male, 2 female, 255 unknown.
    pub gender: u8,
    /// Face image type: 0 basic, 1 full frontal, 2 token frontal.
    pub image_type: u8,
    /// Image data type: 0 JPEG, 1 JPEG 2000.
    pub data_type: u8,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Colour space: 1 = 24-bit RGB.
    pub colour_space: u8,
    /// Source type: 6 = a frame of a digital video camera.
    pub source_type: u8,
    /// The image file (JPEG).
    pub data: Vec<u8>,
}

impl std::fmt::Debug for FaceImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FaceImage {{ {}x{}, {} bytes }}",
            self.width,
            self.height,
            self.data.len()
        )
    }
}

fn jpeg(w: u32, h: u32, rgb: &[u8]) -> Result<Vec<u8>, ExportError> {
    let fail = |why: String| ExportError::Capture {
        what: "face".into(),
        why,
    };
    // mozjpeg reports errors by unwinding.
    catch_unwind(AssertUnwindSafe(|| -> std::io::Result<Vec<u8>> {
        let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
        c.set_size(w as usize, h as usize);
        c.set_quality(FACE_JPEG_QUALITY);
        let mut started = c.start_compress(Vec::new())?;
        started.write_scanlines(rgb)?;
        started.finish()
    }))
    .map_err(|_| fail("the JPEG encoder failed".into()))?
    .map_err(|e| fail(format!("the JPEG encoder failed ({e})")))
}

/// Writes the face as an ISO/IEC 19794-5:2005 record (version `010`), JPEG.
pub fn write_face(s: &Subject) -> Result<Vec<u8>, ExportError> {
    let face = s.face.as_ref().ok_or_else(|| ExportError::Capture {
        what: "face".into(),
        why: "the record has no face photo".into(),
    })?;
    let data = jpeg(face.width, face.height, &face.rgb)?;
    let mut r = Vec::with_capacity(32 + data.len());
    r.extend_from_slice(&len32(32 + data.len(), "face")?.to_be_bytes());
    r.extend_from_slice(&0u16.to_be_bytes()); // feature points
    r.push(match s.sex {
        Sex::Male => 1,
        Sex::Female => 2,
    });
    r.push(0); // eye colour unspecified
    r.push(0); // hair colour unspecified
    r.extend_from_slice(&[0, 0, 0]); // feature mask: none specified
    r.extend_from_slice(&0u16.to_be_bytes()); // expression unspecified
    r.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // pose angles and uncertainties unspecified
    r.push(0); // face image type: basic
    r.push(FACE_JPEG);
    r.extend_from_slice(&(face.width as u16).to_be_bytes());
    r.extend_from_slice(&(face.height as u16).to_be_bytes());
    r.push(1); // 24-bit RGB
    r.push(6); // a frame of a digital video camera (the station's webcam)
    r.extend_from_slice(&0u16.to_be_bytes()); // device type unspecified
    r.extend_from_slice(&0u16.to_be_bytes()); // quality unspecified
    r.extend_from_slice(&data);
    let mut out = Vec::with_capacity(14 + r.len());
    out.extend_from_slice(b"FAC\x00010\x00");
    out.extend_from_slice(&len32(14 + r.len(), "face")?.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&r);
    Ok(out)
}

/// Reads an ISO/IEC 19794-5:2005 record.
pub fn read_face(b: &[u8]) -> Result<Vec<FaceImage>, ParseError> {
    let mut c = Cursor::new(b, "face image record");
    header(&mut c, b"FAC\0", b"010\0", "face image")?;
    let n = c.u16()?;
    let mut out = Vec::new();
    for i in 0..n {
        let start = c.p;
        let len = c.u32()? as usize;
        if len < 32 || len > c.rest() + 4 {
            return Err(ParseError::new(format!(
                "face image {i} claims {len} bytes; {} remain",
                c.rest() + 4
            )));
        }
        let points = c.u16()?;
        let gender = c.u8()?;
        c.take(2 + 3 + 2 + 6)?;
        c.take(usize::from(points) * 8)?;
        let image_type = c.u8()?;
        let data_type = c.u8()?;
        let width = c.u16()?;
        let height = c.u16()?;
        let colour_space = c.u8()?;
        let source_type = c.u8()?;
        c.take(4)?;
        let used = c.p - start;
        let data = c
            .take(len.checked_sub(used).ok_or_else(|| {
                ParseError::new(format!(
                    "face image {i}'s length is smaller than its header"
                ))
            })?)?
            .to_vec();
        out.push(FaceImage {
            gender,
            image_type,
            data_type,
            width,
            height,
            colour_space,
            source_type,
            data,
        });
    }
    if c.rest() != 0 {
        return Err(ParseError::new(format!(
            "{} bytes follow the last face image",
            c.rest()
        )));
    }
    Ok(out)
}

// ---------------------------------------------------------------- part 6: iris images

/// A part 6 (2011) iris image representation.
#[derive(Clone, PartialEq, Eq)]
pub struct IrisImage {
    /// Capture date and time.
    pub captured: DateTime,
    /// Representation number.
    pub number: u8,
    /// Eye: 0 unspecified, 1 right, 2 left.
    pub eye: u8,
    /// Image type: 1 uncropped.
    pub image_type: u8,
    /// Image format: 2 monochrome raw.
    pub format: u8,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Bits per pixel.
    pub bit_depth: u8,
    /// The image bytes.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for IrisImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "IrisImage {{ eye: {}, {}x{} }}",
            self.eye, self.width, self.height
        )
    }
}

/// The fixed part of a part 6 representation header after its quality blocks.
const IRIS_FIXED: usize = 4 + 9 + 1 + 2 + 2 + 1 + 5 + 2 + 2 + 1 + 2 + 2 + 2 + 12 + 4;

/// Writes the eyes as one ISO/IEC 19794-6:2011 record, uncropped monochrome raw images.
pub fn write_iris(s: &Subject) -> Result<Vec<u8>, ExportError> {
    let mut reps = Vec::new();
    for (i, e) in s.eyes.iter().enumerate() {
        let mut r = Vec::with_capacity(IRIS_FIXED + e.pixels.len());
        r.extend_from_slice(&len32(IRIS_FIXED + e.pixels.len(), "iris")?.to_be_bytes());
        DateTime::of(s.started).push(&mut r);
        r.push(0); // capture device technology: unknown
        r.extend_from_slice(&0u16.to_be_bytes()); // vendor
        r.extend_from_slice(&0u16.to_be_bytes()); // device type
        r.push(0); // quality blocks
        r.push(u8::try_from(i + 1).unwrap_or(u8::MAX)); // representation number
        r.push(if e.right { 1 } else { 2 });
        r.push(1); // image type: uncropped
        r.push(IRIS_MONO_RAW);
        r.push(0); // image properties: orientation and compression history undefined
        r.extend_from_slice(&(e.width as u16).to_be_bytes());
        r.extend_from_slice(&(e.height as u16).to_be_bytes());
        r.push(8); // bit depth
        r.extend_from_slice(&0u16.to_be_bytes()); // range: unassigned
        r.extend_from_slice(&0xFFFFu16.to_be_bytes()); // roll angle: undefined
        r.extend_from_slice(&0xFFFFu16.to_be_bytes()); // roll angle uncertainty: undefined
        r.extend_from_slice(&[0; 12]); // iris centre and diameter: undefined
        r.extend_from_slice(&len32(e.pixels.len(), "iris")?.to_be_bytes());
        r.extend_from_slice(&e.pixels);
        reps.push(r);
    }
    let body: usize = reps.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(16 + body);
    out.extend_from_slice(b"IIR\x00020\x00");
    out.extend_from_slice(&len32(16 + body, "iris")?.to_be_bytes());
    out.extend_from_slice(&(reps.len() as u16).to_be_bytes());
    out.push(0); // certification flag
    out.push(reps.len() as u8); // eyes represented
    for r in reps {
        out.extend_from_slice(&r);
    }
    Ok(out)
}

/// Reads an ISO/IEC 19794-6:2011 record (without certification blocks).
pub fn read_iris(b: &[u8]) -> Result<Vec<IrisImage>, ParseError> {
    let mut c = Cursor::new(b, "iris image record");
    header(&mut c, b"IIR\0", b"020\0", "iris image")?;
    let n = c.u16()?;
    if c.u8()? != 0 {
        return Err(ParseError::new(
            "the iris record has certification blocks, which this reader does not read",
        ));
    }
    let _eyes = c.u8()?;
    let mut out = Vec::new();
    for i in 0..n {
        let start = c.p;
        let len = c.u32()? as usize;
        if len < IRIS_FIXED || len > c.rest() + 4 {
            return Err(ParseError::new(format!(
                "iris representation {i} claims {len} bytes; {} remain",
                c.rest() + 4
            )));
        }
        let captured = c.datetime()?;
        c.take(5)?;
        let q = c.u8()?;
        c.take(usize::from(q) * 5)?;
        let number = c.u8()?;
        let eye = c.u8()?;
        let image_type = c.u8()?;
        let format = c.u8()?;
        let _properties = c.u8()?;
        let width = c.u16()?;
        let height = c.u16()?;
        let bit_depth = c.u8()?;
        c.take(2 + 2 + 2 + 12)?;
        let dlen = c.u32()? as usize;
        let data = c.take(dlen)?.to_vec();
        if c.p - start != len {
            return Err(ParseError::new(format!(
                "iris representation {i} says {len} bytes but holds {}",
                c.p - start
            )));
        }
        if format == IRIS_MONO_RAW
            && bit_depth == 8
            && usize::from(width) * usize::from(height) != data.len()
        {
            return Err(ParseError::new(format!(
                "iris representation {i} is {width}x{height} but holds {} pixels",
                data.len()
            )));
        }
        out.push(IrisImage {
            captured,
            number,
            eye,
            image_type,
            format,
            width,
            height,
            bit_depth,
            data,
        });
    }
    if c.rest() != 0 {
        return Err(ParseError::new(format!(
            "{} bytes follow the last iris representation",
            c.rest()
        )));
    }
    Ok(out)
}
