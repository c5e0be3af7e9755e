//! Driver for USB iris scanners speaking the Rekam iris USB protocol
//! (`docs/protocols/iris-usb.md`): commands on a bulk OUT endpoint, replies and 640 x 480
//! near-infrared images on a bulk IN endpoint, framed with a length and a CRC-32.
//!
//! The driver is generic over its [`UsbLink`]: libusb through `rusb` in the field (and under
//! umockdev in CI), the simulator's in-process link in tests.
#![warn(missing_docs)]

pub mod codec;

use std::time::{Duration, Instant};

use image::GrayImage;
use rekam_device::{
    Capture, CaptureRequest, Device, DeviceDescriptor, DeviceError, DeviceInfo, DeviceKind,
    DriverFactory, ErrorKind, Eye, ImageCapture, LinkError, Options, Pixels, Position, RusbLink,
    Selector, SelfTestReport, SystemSnapshot, UsbLink,
};

use codec::{
    cmd, status, CheckResult, Eyes, Failure, Frame, FrameError, ImageHeader, Info, State, Status,
    EP_IN, EP_OUT, IMAGE_HEADER_LEN, MAX_TRANSFER, REQUEST_RESET,
};

/// What can go wrong with the iris scanner.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The USB link failed.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The scanner did not answer.
    #[error("the iris scanner {device} did not answer {what} within {millis} ms: check its USB cable and power; if it persists, unplug and replug it")]
    NoAnswer {
        /// The device.
        device: String,
        /// The command.
        what: &'static str,
        /// How long we waited.
        millis: u64,
    },
    /// Replies kept arriving damaged.
    #[error("the iris scanner's replies to {what} kept arriving damaged ({detail}) after {attempts} attempts: check the USB cable, or try another port")]
    Corrupted {
        /// The command.
        what: &'static str,
        /// The last damage seen.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The scanner answered with an error status.
    #[error("the iris scanner refused {what}: {meaning} (status {code:#04x})")]
    Refused {
        /// The command.
        what: &'static str,
        /// The status.
        code: u8,
        /// What it means.
        meaning: &'static str,
    },
    /// The reply's contents do not fit the protocol.
    #[error("the iris scanner's reply to {what} does not fit the protocol: {detail}")]
    BadReply {
        /// The command.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The person was not captured before the deadline.
    #[error("the iris capture did not complete within {seconds:.1} s (last advice: {feedback:?}): ask the person to look into the scanner, eyes wide open, and hold still")]
    NotAligned {
        /// How long we waited.
        seconds: f64,
        /// The device's last advice.
        feedback: codec::Feedback,
    },
    /// The device reported a failed capture.
    #[error("the iris scanner reported a failed capture ({0:?})")]
    CaptureFailed(Failure),
    /// A configuration value.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// The coarse kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Link(e) => e.kind(),
            Error::NoAnswer { .. } => ErrorKind::Timeout,
            Error::Corrupted { .. } | Error::BadReply { .. } => ErrorKind::Protocol,
            Error::Refused { code, .. } if *code == status::BUSY => ErrorKind::Busy,
            Error::Refused { code, .. } if *code == status::SENSOR_FAULT => {
                ErrorKind::DeviceFailure
            }
            Error::Refused { .. } => ErrorKind::Protocol,
            Error::NotAligned { .. } => ErrorKind::NoPresentation,
            Error::CaptureFailed(Failure::Timeout) => ErrorKind::NoPresentation,
            Error::CaptureFailed(_) => ErrorKind::DeviceFailure,
            Error::Config(_) => ErrorKind::InvalidInput,
        }
    }
}

impl From<Error> for DeviceError {
    fn from(e: Error) -> Self {
        DeviceError::from_source(e.kind(), e)
    }
}

/// The meaning of a reply status.
pub fn status_meaning(code: u8) -> &'static str {
    match code {
        status::OK => "done",
        status::BAD_FRAME => "the command arrived damaged",
        status::UNKNOWN_COMMAND => "unknown command",
        status::BAD_PARAMETER => "a parameter is out of range",
        status::BUSY => "a capture is already running",
        status::NOT_READY => "no image is ready",
        status::SENSOR_FAULT => "sensor or illuminator fault",
        status::INTERNAL => "internal error",
        _ => "undocumented status",
    }
}

/// How the driver talks to the scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// How long to wait for a reply (the image reply included).
    pub reply_timeout: Duration,
    /// Pause between status polls while the person aligns.
    pub poll_interval: Duration,
    /// Attempts per command when replies arrive damaged or the endpoint stalls.
    pub attempts: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            reply_timeout: Duration::from_millis(2_000),
            poll_interval: Duration::from_millis(50),
            attempts: 3,
        }
    }
}

/// A reply that could not be used, and whether sending the command again may help.
enum Damage {
    Frame(FrameError),
    Stale,
}

/// The images of one capture.
#[derive(Debug, Clone, PartialEq)]
pub struct IrisImages {
    /// The left eye, when captured.
    pub left: Option<GrayImage>,
    /// The right eye, when captured.
    pub right: Option<GrayImage>,
    /// The status polls seen while the person aligned.
    pub polls: u32,
}

/// An iris scanner on a USB link.
pub struct Iris<U: UsbLink> {
    link: U,
    config: Config,
    seq: u16,
    info: Option<Info>,
    buf: Vec<u8>,
    retries: u64,
}

impl<U: UsbLink> std::fmt::Debug for Iris<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iris")
            .field("device", &self.link.name())
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl<U: UsbLink> Iris<U> {
    /// A driver on `link`; nothing is sent yet.
    pub fn new(link: U, config: Config) -> Result<Self, Error> {
        if config.attempts == 0 || config.attempts > 10 {
            return Err(Error::Config(format!(
                "the iris attempts setting {} must be from 1 to 10",
                config.attempts
            )));
        }
        Ok(Self {
            link,
            config,
            seq: 0,
            info: None,
            buf: vec![0u8; MAX_TRANSFER],
            retries: 0,
        })
    }

    /// Resets the device's protocol state and reads its information.
    #[tracing::instrument(level = "debug", skip(self), fields(device = %self.link.name()))]
    pub fn connect(&mut self) -> Result<Info, Error> {
        self.link
            .control_out(REQUEST_RESET, 0, &[], self.config.reply_timeout)?;
        let r = self.transact(cmd::GET_INFO, Vec::new(), "GET_INFO")?;
        let info = Info::decode(&r).map_err(|e| Error::BadReply {
            what: "GET_INFO",
            detail: e.to_string(),
        })?;
        self.info = Some(info.clone());
        Ok(info)
    }

    /// Commands sent again after a damaged reply or a stall.
    pub fn retries(&self) -> u64 {
        self.retries
    }

    /// The link.
    pub fn link(&self) -> &U {
        &self.link
    }

    /// Reads bulk transfers until one whole frame is assembled.
    fn read_frame(&mut self, what: &'static str) -> Result<Result<Frame, Damage>, Error> {
        let deadline = Instant::now() + self.config.reply_timeout;
        let mut frame: Vec<u8> = Vec::new();
        loop {
            let now = Instant::now();
            let left = deadline.saturating_duration_since(now);
            let n =
                match self
                    .link
                    .read_bulk(EP_IN, &mut self.buf, left.max(Duration::from_millis(1)))
                {
                    Ok(n) => n,
                    Err(LinkError::Timeout { .. }) if !frame.is_empty() => {
                        // Part of a frame and then nothing: the rest was lost.
                        return Ok(Err(Damage::Frame(FrameError::Incomplete {
                            have: frame.len(),
                            need: codec::frame_len(&frame).ok().flatten().unwrap_or(0),
                        })));
                    }
                    Err(LinkError::Timeout { .. }) => {
                        return Err(Error::NoAnswer {
                            device: self.link.name().to_string(),
                            what,
                            millis: self.config.reply_timeout.as_millis() as u64,
                        })
                    }
                    Err(e) => return Err(e.into()),
                };
            frame.extend_from_slice(&self.buf[..n]);
            match codec::frame_len(&frame) {
                Err(e) => return Ok(Err(Damage::Frame(e))),
                Ok(Some(need)) if frame.len() >= need => {
                    return Ok(codec::decode(&frame).map_err(Damage::Frame));
                }
                // A short transfer ends a frame in this protocol; a frame still short after a
                // short transfer has lost bytes.
                Ok(_) if n < MAX_TRANSFER => {
                    return Ok(Err(Damage::Frame(FrameError::Incomplete {
                        have: frame.len(),
                        need: codec::frame_len(&frame).ok().flatten().unwrap_or(0),
                    })))
                }
                Ok(_) => {}
            }
        }
    }

    /// Drops whatever the device still has queued (for at most two seconds).
    fn drain(&mut self) -> Result<(), Error> {
        let end = Instant::now() + Duration::from_secs(2);
        while Instant::now() < end {
            match self
                .link
                .read_bulk(EP_IN, &mut self.buf, Duration::from_millis(20))
            {
                Ok(_) => continue,
                Err(LinkError::Timeout { .. }) => return Ok(()),
                Err(LinkError::Stall { .. }) => {
                    self.link.clear_halt(EP_IN)?;
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Sends a command and returns the OK reply's payload; resends on damage or stall.
    fn transact(
        &mut self,
        code: u8,
        payload: Vec<u8>,
        what: &'static str,
    ) -> Result<Vec<u8>, Error> {
        let mut detail = String::new();
        let mut need_drain = false;
        // Every attempt carries the same sequence number: a device that already ran the
        // command answers a retransmission with its first reply instead of running it again.
        self.seq = self.seq.wrapping_add(1);
        for attempt in 1..=self.config.attempts {
            if attempt > 1 {
                self.retries += 1;
                if need_drain {
                    self.drain()?;
                }
            }
            let bytes = Frame::command(self.seq, code, payload.clone()).encode();
            match self
                .link
                .write_bulk(EP_OUT, &bytes, self.config.reply_timeout)
            {
                Ok(_) => {}
                Err(LinkError::Stall { .. }) => {
                    self.link.clear_halt(EP_OUT)?;
                    detail = "the command endpoint stalled".into();
                    need_drain = false;
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            let reply = loop {
                let r = match self.read_frame(what) {
                    Err(Error::Link(LinkError::Stall { .. })) => {
                        self.link.clear_halt(EP_IN)?;
                        Err(Damage::Stale)
                    }
                    other => other?,
                };
                match r {
                    Ok(f)
                        if f.kind == codec::kind::REPLY
                            && f.seq == self.seq
                            && f.answers == code =>
                    {
                        break Ok(f)
                    }
                    // A reply to an earlier, abandoned command: keep reading.
                    Ok(f)
                        if f.kind == codec::kind::REPLY
                            && (f.seq != self.seq || f.answers != code) =>
                    {
                        continue
                    }
                    Ok(f) => break Err(Damage::Frame(FrameError::WrongKind(f.kind))),
                    Err(d) => break Err(d),
                }
            };
            // A stall drops the device's reply; other damage may leave bytes queued.
            need_drain = !matches!(reply, Err(Damage::Stale));
            match reply {
                Ok(f) if f.code == status::OK => return Ok(f.payload),
                Ok(f) if f.code == status::BAD_FRAME => {
                    detail = "the scanner received the command damaged".into();
                }
                Ok(f) => {
                    return Err(Error::Refused {
                        what,
                        code: f.code,
                        meaning: status_meaning(f.code),
                    })
                }
                Err(Damage::Frame(e)) => {
                    tracing::debug!(what, error = %e, "damaged reply");
                    detail = e.to_string();
                }
                Err(Damage::Stale) => detail = "the reply endpoint stalled".into(),
            }
        }
        Err(Error::Corrupted {
            what,
            detail,
            attempts: self.config.attempts,
        })
    }

    /// Runs the device's self-test.
    pub fn self_test_checks(&mut self) -> Result<Vec<CheckResult>, Error> {
        let r = self.transact(cmd::SELF_TEST, Vec::new(), "SELF_TEST")?;
        codec::decode_checks(&r).map_err(|e| Error::BadReply {
            what: "SELF_TEST",
            detail: e.to_string(),
        })
    }

    /// The live status.
    pub fn status(&mut self) -> Result<Status, Error> {
        let r = self.transact(cmd::GET_STATUS, Vec::new(), "GET_STATUS")?;
        Status::decode(&r).map_err(|e| Error::BadReply {
            what: "GET_STATUS",
            detail: e.to_string(),
        })
    }

    /// Captures `eyes`, calling `on_status` with each live status so the operator can guide the
    /// person ("move closer"), until the images are ready or `timeout` passes.
    #[tracing::instrument(level = "debug", skip(self, on_status))]
    pub fn capture_eyes(
        &mut self,
        eyes: Eyes,
        timeout: Duration,
        on_status: &mut dyn FnMut(&Status),
    ) -> Result<IrisImages, Error> {
        let ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        let mut p = vec![eyes.byte()];
        p.extend_from_slice(&ms.to_le_bytes());
        self.transact(cmd::START_CAPTURE, p, "START_CAPTURE")?;
        let deadline = Instant::now() + timeout;
        let mut polls = 0u32;
        let mut last = codec::Feedback::None;
        loop {
            let s = match self.status() {
                Ok(s) => s,
                Err(e) => {
                    // Leave the scanner idle so the next capture is not refused as busy.
                    if !matches!(e.kind(), ErrorKind::Disconnected) {
                        let _ = self.transact(cmd::ABORT, Vec::new(), "ABORT");
                    }
                    return Err(e);
                }
            };
            polls += 1;
            on_status(&s);
            last = if s.feedback == codec::Feedback::None {
                last
            } else {
                s.feedback
            };
            match s.state {
                State::Done => break,
                State::Failed => return Err(Error::CaptureFailed(s.failure)),
                State::Idle => {
                    return Err(Error::BadReply {
                        what: "GET_STATUS",
                        detail: "the scanner went idle during a capture".into(),
                    })
                }
                State::Aligning | State::Capturing => {}
            }
            if Instant::now() >= deadline {
                let _ = self.transact(cmd::ABORT, Vec::new(), "ABORT");
                return Err(Error::NotAligned {
                    seconds: timeout.as_secs_f64(),
                    feedback: last,
                });
            }
            if !self.config.poll_interval.is_zero() {
                std::thread::sleep(self.config.poll_interval);
            }
        }
        let mut out = IrisImages {
            left: None,
            right: None,
            polls,
        };
        if matches!(eyes, Eyes::Left | Eyes::Both) {
            out.left = Some(self.read_image(Eyes::Left)?);
        }
        if matches!(eyes, Eyes::Right | Eyes::Both) {
            out.right = Some(self.read_image(Eyes::Right)?);
        }
        Ok(out)
    }

    /// Transfers the image of one eye.
    pub fn read_image(&mut self, eye: Eyes) -> Result<GrayImage, Error> {
        let r = self.transact(cmd::READ_IMAGE, vec![eye.byte()], "READ_IMAGE")?;
        let bad = |detail: String| Error::BadReply {
            what: "READ_IMAGE",
            detail,
        };
        let h = ImageHeader::decode(&r).map_err(|e| bad(e.to_string()))?;
        if h.format != 1 || h.eye != eye.byte() {
            return Err(bad(format!(
                "format {} for eye {} where 8-bit grey of eye {} was asked",
                h.format,
                h.eye,
                eye.byte()
            )));
        }
        let px = &r[IMAGE_HEADER_LEN..];
        let (w, h) = (u32::from(h.width), u32::from(h.height));
        if px.len() != (w * h) as usize || w == 0 || h == 0 {
            return Err(bad(format!("{} pixel bytes for {w} x {h}", px.len())));
        }
        GrayImage::from_raw(w, h, px.to_vec()).ok_or_else(|| bad("image size".into()))
    }
}

impl<U: UsbLink + 'static> Device for Iris<U> {
    fn info(&mut self) -> Result<DeviceInfo, DeviceError> {
        let i = match &self.info {
            Some(i) => i.clone(),
            None => self.connect()?,
        };
        Ok(DeviceInfo {
            kind: DeviceKind::Iris,
            driver: "iris_usb".into(),
            model: format!("{} {}", i.vendor, i.model),
            serial: Some(i.serial.clone()),
            firmware: Some(format!(
                "{}.{}.{}",
                i.firmware.0, i.firmware.1, i.firmware.2
            )),
            port: self.link.name().to_string(),
            details: vec![
                ("protocol".into(), i.protocol.to_string()),
                (
                    "image".into(),
                    format!("{}x{} {}-bit NIR", i.width, i.height, i.bits),
                ),
                (
                    "eyes".into(),
                    match i.eyes & 3 {
                        3 => "left and right at once",
                        1 => "left",
                        2 => "right",
                        _ => "none reported",
                    }
                    .into(),
                ),
            ],
            simulated: self.link.simulated(),
        })
    }

    fn self_test(&mut self) -> Result<SelfTestReport, DeviceError> {
        let mut report = SelfTestReport::default();
        for c in self.self_test_checks()? {
            let (name, detail) = match c.id {
                1 => (
                    "illuminator",
                    format!("NIR LEDs {}", if c.passed { "lit" } else { "failed" }),
                ),
                2 => (
                    "image sensor",
                    format!("sensor {}", if c.passed { "responds" } else { "failed" }),
                ),
                3 => ("focus", format!("focus position {}", c.value)),
                4 => (
                    "temperature",
                    format!("{:.1} °C", f64::from(c.value) / 10.0),
                ),
                _ => ("other", format!("check {} value {}", c.id, c.value)),
            };
            report.push(name, c.passed, detail);
        }
        if report.checks.is_empty() {
            report.push("self-test", false, "the scanner reported no checks");
        }
        Ok(report)
    }

    fn capture(&mut self, request: &CaptureRequest) -> Result<Capture, DeviceError> {
        let eye = match request.position {
            Position::Iris(Eye::Left) => Eyes::Left,
            Position::Iris(Eye::Right) | Position::Unknown => Eyes::Right,
            other => {
                return Err(DeviceError::new(
                    ErrorKind::InvalidInput,
                    format!("the iris scanner captures eyes, not {other}"),
                ))
            }
        };
        let images = self.capture_eyes(eye, request.timeout, &mut |s| {
            tracing::debug!(state = ?s.state, feedback = ?s.feedback, "iris status");
        })?;
        let img = match eye {
            Eyes::Left => images.left,
            _ => images.right,
        }
        .ok_or_else(|| Error::BadReply {
            what: "READ_IMAGE",
            detail: "no image".into(),
        })?;
        Ok(Capture::Image(ImageCapture {
            pixels: Pixels::Gray(img),
            ppi: None,
            position: request.position,
            source_levels: 256,
        }))
    }

    fn close(&mut self) -> Result<(), DeviceError> {
        let _ = self.transact(cmd::ABORT, Vec::new(), "ABORT");
        Ok(())
    }
}

/// The factory for the `iris_usb` driver.
#[derive(Debug, Clone, Copy, Default)]
pub struct IrisFactory;

/// Options the `iris_usb` driver takes.
pub const OPTIONS: &[&str] = &["reply_timeout_ms", "poll_interval_ms"];

impl IrisFactory {
    /// Driver configuration from options.
    pub fn config(options: &Options) -> Result<Config, DeviceError> {
        options.reject_unknown("iris_usb", OPTIONS)?;
        let mut c = Config::default();
        if let Some(ms) = options.u32("reply_timeout_ms", 100, 60_000)? {
            c.reply_timeout = Duration::from_millis(u64::from(ms));
        }
        if let Some(ms) = options.u32("poll_interval_ms", 0, 1_000)? {
            c.poll_interval = Duration::from_millis(u64::from(ms));
        }
        Ok(c)
    }
}

/// The USB ids and serial number `selector` names for the driver called `driver`, or a
/// sentence.
pub fn usb_of<'a>(
    driver: &str,
    selector: &'a Selector,
) -> Result<(&'a u16, &'a u16, &'a Option<String>), DeviceError> {
    match selector {
        Selector::Usb { vid, pid, serial } => Ok((vid, pid, serial)),
        other => Err(DeviceError::new(
            ErrorKind::InvalidInput,
            format!("the {driver} driver opens USB devices: its port must be a USB VID:PID[:SERIAL] such as 1209:0001, not '{other}'"),
        )),
    }
}

impl DriverFactory for IrisFactory {
    fn name(&self) -> &'static str {
        "iris_usb"
    }

    fn kind(&self) -> DeviceKind {
        DeviceKind::Iris
    }

    fn list(&self, system: &SystemSnapshot) -> Vec<DeviceDescriptor> {
        system
            .usb_devices
            .iter()
            .filter(|u| u.vid == codec::VID && u.pid == codec::PID)
            .map(|u| DeviceDescriptor {
                driver: "iris_usb".into(),
                kind: DeviceKind::Iris,
                selector: format!("{:04x}:{:04x}", u.vid, u.pid),
                description: format!("iris scanner on bus {} address {}", u.bus, u.address),
            })
            .collect()
    }

    fn validate(&self, selector: &Selector, options: &Options) -> Result<(), DeviceError> {
        usb_of("iris_usb", selector)?;
        Self::config(options).map(drop)
    }

    fn open(&self, selector: &Selector, options: &Options) -> Result<Box<dyn Device>, DeviceError> {
        let (vid, pid, serial) = usb_of("iris_usb", selector)?;
        let config = Self::config(options)?;
        let link = RusbLink::open(*vid, *pid, serial.as_deref(), codec::INTERFACE)?;
        let mut iris = Iris::new(link, config)?;
        iris.connect()?;
        Ok(Box::new(iris))
    }
}
