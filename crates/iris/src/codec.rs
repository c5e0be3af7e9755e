//! Frames and messages of the Rekam iris USB protocol (`docs/protocols/iris-usb.md`).
//!
//! ```text
//! 0  2  magic "RI" (0x52 0x49)
//! 2  1  protocol version (1)
//! 3  1  kind: 0x01 command (host to device), 0x02 reply (device to host)
//! 4  2  sequence number, little-endian; a reply echoes its command's
//! 6  1  command code (command) or status code (reply)
//! 7  1  0 in a command; in a reply, the command code it answers
//! 8  4  payload length n, little-endian, at most MAX_PAYLOAD
//! 12 n  payload
//! .. 4  CRC-32 (ISO-HDLC, as Ethernet and zlib) of bytes 0 .. 12+n, little-endian
//! ```

use std::fmt;

/// Frame magic.
pub const MAGIC: [u8; 2] = *b"RI";
/// Protocol version this crate speaks.
pub const VERSION: u8 = 1;
/// Header length.
pub const HEADER_LEN: usize = 12;
/// Largest payload: a 640 x 480 image plus its 8-byte header, with room to spare.
pub const MAX_PAYLOAD: usize = 4 * 1024 * 1024;
/// Largest bulk transfer either side sends; the host reads with buffers of this size.
pub const MAX_TRANSFER: usize = 16_384;

/// USB vendor id: pid.codes, the open-source hardware vendor id.
pub const VID: u16 = 0x1209;
/// USB product id: pid.codes' test id, until a maker registers its own.
pub const PID: u16 = 0x0001;
/// The interface the protocol runs on.
pub const INTERFACE: u8 = 0;
/// Bulk OUT endpoint for commands.
pub const EP_OUT: u8 = 0x01;
/// Bulk IN endpoint for replies.
pub const EP_IN: u8 = 0x81;
/// Vendor control request (OUT, recipient interface, no data): reset the protocol state.
pub const REQUEST_RESET: u8 = 0x01;

/// Frame kinds.
pub mod kind {
    /// Host to device.
    pub const COMMAND: u8 = 0x01;
    /// Device to host.
    pub const REPLY: u8 = 0x02;
}

/// Command codes.
pub mod cmd {
    /// Device information.
    pub const GET_INFO: u8 = 0x01;
    /// Run the device's self-test.
    pub const SELF_TEST: u8 = 0x02;
    /// Start a capture: u8 eyes (1 left, 2 right, 3 both), u32 timeout in ms.
    pub const START_CAPTURE: u8 = 0x03;
    /// Live status of the capture.
    pub const GET_STATUS: u8 = 0x04;
    /// Transfer a captured image: u8 eye (1 left, 2 right).
    pub const READ_IMAGE: u8 = 0x05;
    /// Abort a running capture.
    pub const ABORT: u8 = 0x06;
}

/// Status codes of replies.
pub mod status {
    /// Done.
    pub const OK: u8 = 0x00;
    /// The command frame was damaged (magic, version, length or CRC).
    pub const BAD_FRAME: u8 = 0x01;
    /// Unknown command code.
    pub const UNKNOWN_COMMAND: u8 = 0x02;
    /// A parameter is out of range.
    pub const BAD_PARAMETER: u8 = 0x03;
    /// A capture is already running.
    pub const BUSY: u8 = 0x04;
    /// No image for that eye (no capture, or not finished).
    pub const NOT_READY: u8 = 0x05;
    /// The sensor or illuminator failed.
    pub const SENSOR_FAULT: u8 = 0x06;
    /// Internal error.
    pub const INTERNAL: u8 = 0x07;
}

/// One frame.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// [`kind::COMMAND`] or [`kind::REPLY`].
    pub kind: u8,
    /// Sequence number.
    pub seq: u16,
    /// Command code or status code.
    pub code: u8,
    /// 0, or the command a reply answers.
    pub answers: u8,
    /// Payload.
    pub payload: Vec<u8>,
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Frame {{ kind: {:#04x}, seq: {}, code: {:#04x}, answers: {:#04x}, len: {} }}",
            self.kind,
            self.seq,
            self.code,
            self.answers,
            self.payload.len()
        )
    }
}

impl Frame {
    /// A command frame.
    pub fn command(seq: u16, code: u8, payload: Vec<u8>) -> Self {
        Self {
            kind: kind::COMMAND,
            seq,
            code,
            answers: 0,
            payload,
        }
    }

    /// A reply frame.
    pub fn reply(seq: u16, status: u8, answers: u8, payload: Vec<u8>) -> Self {
        Self {
            kind: kind::REPLY,
            seq,
            code: status,
            answers,
            payload,
        }
    }

    /// The bytes on the wire.
    ///
    /// ```
    /// use rekam_iris::codec::{Frame, cmd};
    /// let b = Frame::command(1, cmd::GET_INFO, vec![]).encode();
    /// assert_eq!(&b[..12], &[0x52, 0x49, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0]);
    /// assert_eq!(b.len(), 16);
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.payload.len() + 4);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(self.kind);
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.push(self.code);
        out.push(self.answers);
        out.extend_from_slice(&(self.payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.payload);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Fewer bytes than the header says.
    #[error("the frame is incomplete ({have} of {need} bytes)")]
    Incomplete {
        /// Bytes present.
        have: usize,
        /// Bytes needed (at least).
        need: usize,
    },
    /// Not our magic.
    #[error("the frame does not start with the protocol's magic")]
    BadMagic,
    /// Another protocol version.
    #[error("the frame is protocol version {0}; this driver speaks version 1")]
    BadVersion(u8),
    /// A length beyond the limit.
    #[error("the frame claims a payload of {0} bytes, above the limit")]
    TooLong(u32),
    /// The CRC does not match.
    #[error("the frame's CRC does not match its contents")]
    BadCrc,
    /// Bytes after the end of the frame in the same transfer.
    #[error("{0} unexpected bytes follow the frame")]
    Trailing(usize),
    /// A frame of the wrong kind (e.g. a command where a reply was expected).
    #[error("a frame of kind {0:#04x} arrived where a reply was expected")]
    WrongKind(u8),
}

/// How many bytes the frame starting at `bytes` needs in total, once the header is there.
pub fn frame_len(bytes: &[u8]) -> Result<Option<usize>, FrameError> {
    if bytes.len() >= 2 && bytes[..2] != MAGIC {
        return Err(FrameError::BadMagic);
    }
    if bytes.len() < HEADER_LEN {
        return Ok(None);
    }
    if bytes[2] != VERSION {
        return Err(FrameError::BadVersion(bytes[2]));
    }
    let n = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if n as usize > MAX_PAYLOAD {
        return Err(FrameError::TooLong(n));
    }
    Ok(Some(HEADER_LEN + n as usize + 4))
}

/// Parses exactly one frame from `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
    let need = frame_len(bytes)?.ok_or(FrameError::Incomplete {
        have: bytes.len(),
        need: HEADER_LEN + 4,
    })?;
    if bytes.len() < need {
        return Err(FrameError::Incomplete {
            have: bytes.len(),
            need,
        });
    }
    if bytes.len() > need {
        return Err(FrameError::Trailing(bytes.len() - need));
    }
    let body = &bytes[..need - 4];
    let crc = u32::from_le_bytes([
        bytes[need - 4],
        bytes[need - 3],
        bytes[need - 2],
        bytes[need - 1],
    ]);
    if crc32fast::hash(body) != crc {
        return Err(FrameError::BadCrc);
    }
    Ok(Frame {
        kind: bytes[3],
        seq: u16::from_le_bytes([bytes[4], bytes[5]]),
        code: bytes[6],
        answers: bytes[7],
        payload: bytes[HEADER_LEN..need - 4].to_vec(),
    })
}

/// Splits a frame's bytes into bulk transfers of at most [`MAX_TRANSFER`] bytes.
pub fn transfers(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.chunks(MAX_TRANSFER)
}

/// A little-endian reader over a payload that fails instead of panicking.
#[derive(Debug)]
pub struct Reader<'a> {
    b: &'a [u8],
}

/// A payload shorter than its layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the reply payload is shorter than its layout")]
pub struct Short;

impl<'a> Reader<'a> {
    /// A reader over `b`.
    pub fn new(b: &'a [u8]) -> Self {
        Self { b }
    }
    /// Takes `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        if self.b.len() < n {
            return Err(Short);
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }
    /// A byte.
    pub fn u8(&mut self) -> Result<u8, Short> {
        Ok(self.take(1)?[0])
    }
    /// A little-endian u16.
    pub fn u16(&mut self) -> Result<u16, Short> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    /// A little-endian i16.
    pub fn i16(&mut self) -> Result<i16, Short> {
        let b = self.take(2)?;
        Ok(i16::from_le_bytes([b[0], b[1]]))
    }
    /// A little-endian u32.
    pub fn u32(&mut self) -> Result<u32, Short> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A string: u8 length, then UTF-8 (invalid bytes replaced).
    pub fn string(&mut self) -> Result<String, Short> {
        let n = usize::from(self.u8()?);
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
    /// What is left.
    pub fn rest(&self) -> &'a [u8] {
        self.b
    }
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    let b = &s.as_bytes()[..s.len().min(255)];
    out.push(b.len() as u8);
    out.extend_from_slice(b);
}

/// Which eyes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Eyes {
    /// The person's left eye (1).
    Left,
    /// The person's right eye (2).
    Right,
    /// Both at once (3).
    Both,
}

impl Eyes {
    /// The wire value.
    pub fn byte(self) -> u8 {
        match self {
            Eyes::Left => 1,
            Eyes::Right => 2,
            Eyes::Both => 3,
        }
    }
    /// From the wire value.
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(Eyes::Left),
            2 => Some(Eyes::Right),
            3 => Some(Eyes::Both),
            _ => None,
        }
    }
}

/// The GET_INFO reply.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Info {
    /// Protocol version the device speaks.
    pub protocol: u8,
    /// Firmware version: major, minor, patch.
    pub firmware: (u8, u8, u16),
    /// Image width.
    pub width: u16,
    /// Image height.
    pub height: u16,
    /// Bits per pixel (8).
    pub bits: u8,
    /// Eyes it can capture at once: bit 0 left, bit 1 right.
    pub eyes: u8,
    /// Vendor.
    pub vendor: String,
    /// Model.
    pub model: String,
    /// Serial number.
    pub serial: String,
}

impl Info {
    /// Payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut o = vec![self.protocol, self.firmware.0, self.firmware.1];
        o.extend_from_slice(&self.firmware.2.to_le_bytes());
        o.extend_from_slice(&self.width.to_le_bytes());
        o.extend_from_slice(&self.height.to_le_bytes());
        o.push(self.bits);
        o.push(self.eyes);
        put_string(&mut o, &self.vendor);
        put_string(&mut o, &self.model);
        put_string(&mut o, &self.serial);
        o
    }
    /// From payload bytes.
    pub fn decode(b: &[u8]) -> Result<Self, Short> {
        let mut r = Reader::new(b);
        Ok(Self {
            protocol: r.u8()?,
            firmware: (r.u8()?, r.u8()?, r.u16()?),
            width: r.u16()?,
            height: r.u16()?,
            bits: r.u8()?,
            eyes: r.u8()?,
            vendor: r.string()?,
            model: r.string()?,
            serial: r.string()?,
        })
    }
}

/// One self-test check in the SELF_TEST reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CheckResult {
    /// 1 illuminator, 2 image sensor, 3 focus, 4 temperature.
    pub id: u8,
    /// Whether it passed.
    pub passed: bool,
    /// A measured value (temperature in tenths of a degree Celsius, focus position ...).
    pub value: i16,
}

/// Encodes SELF_TEST results: u8 count, then per check u8 id, u8 result (0 pass), i16 value.
pub fn encode_checks(checks: &[CheckResult]) -> Vec<u8> {
    let mut o = vec![checks.len() as u8];
    for c in checks {
        o.push(c.id);
        o.push(u8::from(!c.passed));
        o.extend_from_slice(&c.value.to_le_bytes());
    }
    o
}

/// Decodes SELF_TEST results.
pub fn decode_checks(b: &[u8]) -> Result<Vec<CheckResult>, Short> {
    let mut r = Reader::new(b);
    let n = r.u8()?;
    (0..n)
        .map(|_| {
            Ok(CheckResult {
                id: r.u8()?,
                passed: r.u8()? == 0,
                value: r.i16()?,
            })
        })
        .collect()
}

/// Capture states in the GET_STATUS reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 0: no capture.
    Idle,
    /// 1: waiting for the person to align.
    Aligning,
    /// 2: aligned; taking the images.
    Capturing,
    /// 3: images ready.
    Done,
    /// 4: the capture failed (see the failure code).
    Failed,
}

/// What the operator should tell the person (GET_STATUS feedback code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Feedback {
    /// 0.
    None,
    /// 1.
    MoveCloser,
    /// 2.
    MoveBack,
    /// 3: move to the person's left.
    MoveLeft,
    /// 4.
    MoveRight,
    /// 5.
    MoveUp,
    /// 6.
    MoveDown,
    /// 7.
    OpenEyes,
    /// 8.
    HoldStill,
    /// 9: no eye in view.
    NoEye,
}

impl Feedback {
    /// Wire value.
    pub fn byte(self) -> u8 {
        self as u8
    }
    /// From the wire value (unknown values read as `None`).
    pub fn from_byte(b: u8) -> Self {
        match b {
            1 => Feedback::MoveCloser,
            2 => Feedback::MoveBack,
            3 => Feedback::MoveLeft,
            4 => Feedback::MoveRight,
            5 => Feedback::MoveUp,
            6 => Feedback::MoveDown,
            7 => Feedback::OpenEyes,
            8 => Feedback::HoldStill,
            9 => Feedback::NoEye,
            _ => Feedback::None,
        }
    }
}

/// Why a capture failed (GET_STATUS failure code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// 0.
    None,
    /// 1: the person did not align before the capture's timeout.
    Timeout,
    /// 2: the sensor failed.
    Sensor,
    /// 3: aborted by the host.
    Aborted,
}

/// The GET_STATUS reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    /// Capture state.
    pub state: State,
    /// What to tell the person.
    pub feedback: Feedback,
    /// Distance from the lens to the eye, mm (0 unknown).
    pub distance_mm: u16,
    /// Horizontal offset of the eyes from the optimum, pixels (positive: to the right in the image).
    pub offset_x: i16,
    /// Vertical offset, pixels (positive: down).
    pub offset_y: i16,
    /// Bit 0: left eye open; bit 1: right eye open.
    pub eyes_open: u8,
    /// Focus 0-100.
    pub focus: u8,
    /// Measured iris diameter, pixels (0 unknown).
    pub iris_diameter: u16,
    /// Why it failed.
    pub failure: Failure,
}

impl Status {
    /// Payload bytes (14).
    pub fn encode(&self) -> Vec<u8> {
        let mut o = vec![self.state as u8, self.feedback.byte()];
        o.extend_from_slice(&self.distance_mm.to_le_bytes());
        o.extend_from_slice(&self.offset_x.to_le_bytes());
        o.extend_from_slice(&self.offset_y.to_le_bytes());
        o.push(self.eyes_open);
        o.push(self.focus);
        o.extend_from_slice(&self.iris_diameter.to_le_bytes());
        o.push(self.failure as u8);
        o.push(0);
        o
    }
    /// From payload bytes.
    pub fn decode(b: &[u8]) -> Result<Self, Short> {
        let mut r = Reader::new(b);
        let state = match r.u8()? {
            0 => State::Idle,
            1 => State::Aligning,
            2 => State::Capturing,
            3 => State::Done,
            _ => State::Failed,
        };
        let feedback = Feedback::from_byte(r.u8()?);
        Ok(Self {
            state,
            feedback,
            distance_mm: r.u16()?,
            offset_x: r.i16()?,
            offset_y: r.i16()?,
            eyes_open: r.u8()?,
            focus: r.u8()?,
            iris_diameter: r.u16()?,
            failure: match r.u8()? {
                0 => Failure::None,
                1 => Failure::Timeout,
                2 => Failure::Sensor,
                _ => Failure::Aborted,
            },
        })
    }
}

/// The READ_IMAGE reply payload header (8 bytes), followed by width x height pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageHeader {
    /// Width.
    pub width: u16,
    /// Height.
    pub height: u16,
    /// 1: 8-bit grey, row-major, top row first.
    pub format: u8,
    /// 1 left, 2 right.
    pub eye: u8,
}

/// Length of [`ImageHeader`].
pub const IMAGE_HEADER_LEN: usize = 8;

impl ImageHeader {
    /// Payload bytes.
    pub fn encode(&self) -> [u8; IMAGE_HEADER_LEN] {
        let mut o = [0u8; IMAGE_HEADER_LEN];
        o[0..2].copy_from_slice(&self.width.to_le_bytes());
        o[2..4].copy_from_slice(&self.height.to_le_bytes());
        o[4] = self.format;
        o[5] = self.eye;
        o
    }
    /// From payload bytes.
    pub fn decode(b: &[u8]) -> Result<Self, Short> {
        let mut r = Reader::new(b);
        let h = Self {
            width: r.u16()?,
            height: r.u16()?,
            format: r.u8()?,
            eye: r.u8()?,
        };
        r.take(2)?;
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crc_is_the_standard_crc32() {
        // The CRC-32/ISO-HDLC check value for "123456789" is 0xCBF43926.
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn get_info_frame_bytes() {
        let b = Frame::command(0x0102, cmd::GET_INFO, vec![]).encode();
        let crc = crc32fast::hash(&b[..12]).to_le_bytes();
        assert_eq!(
            b,
            [0x52, 0x49, 1, 1, 0x02, 0x01, 1, 0, 0, 0, 0, 0, crc[0], crc[1], crc[2], crc[3]]
        );
    }

    #[test]
    fn damaged_frames_are_named() {
        let mut b = Frame::reply(1, 0, 1, vec![1, 2, 3]).encode();
        assert_eq!(
            decode(&b[..10]),
            Err(FrameError::Incomplete { have: 10, need: 16 })
        );
        let n = b.len();
        b[n - 5] ^= 1;
        assert_eq!(decode(&b), Err(FrameError::BadCrc));
        assert_eq!(decode(b"XX"), Err(FrameError::BadMagic));
        let mut v = Frame::reply(1, 0, 1, vec![]).encode();
        v[2] = 9;
        assert_eq!(decode(&v), Err(FrameError::BadVersion(9)));
        let mut long = Frame::reply(1, 0, 1, vec![]).encode();
        long[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&long), Err(FrameError::TooLong(u32::MAX)));
    }

    #[test]
    fn messages_round_trip() {
        let info = Info {
            protocol: 1,
            firmware: (2, 3, 456),
            width: 640,
            height: 480,
            bits: 8,
            eyes: 3,
            vendor: "Rekam".into(),
            model: "IRIS-SIM".into(),
            serial: "IR0001".into(),
        };
        assert_eq!(Info::decode(&info.encode()), Ok(info));
        let s = Status {
            state: State::Aligning,
            feedback: Feedback::MoveCloser,
            distance_mm: 400,
            offset_x: -12,
            offset_y: 7,
            eyes_open: 3,
            focus: 55,
            iris_diameter: 140,
            failure: Failure::None,
        };
        assert_eq!(Status::decode(&s.encode()), Ok(s));
        let checks = vec![CheckResult {
            id: 4,
            passed: true,
            value: 381,
        }];
        assert_eq!(decode_checks(&encode_checks(&checks)), Ok(checks));
        assert!(Status::decode(&[1, 2, 3]).is_err());
    }

    proptest! {
        #[test]
        fn frames_round_trip(kind in 1u8..3, seq: u16, code: u8, answers: u8, payload in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let f = Frame { kind, seq, code, answers, payload };
            prop_assert_eq!(decode(&f.encode()), Ok(f));
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&b);
            let _ = frame_len(&b);
            let _ = Info::decode(&b);
            let _ = Status::decode(&b);
            let _ = decode_checks(&b);
        }
    }
}
