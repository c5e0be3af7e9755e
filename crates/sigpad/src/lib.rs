//! Driver for Wacom ISDV4 (W8001) serial pen digitisers used as signature pads, following the
//! protocol as the Linux kernel's `wacom_w8001` driver documents it (see
//! `docs/protocols/isdv4.md`).
//!
//! A capture starts the pen stream, waits for the person to write, groups the reports into
//! strokes (tip down runs) with their times, and stops when the pen has left the pad for a while.
//!
//! ```
//! use rekam_device::{ScriptedLink, Step};
//! use rekam_sigpad::{codec::QueryReply, Config, Isdv4};
//! let q = QueryReply { max_x: 15200, max_y: 9500, max_pressure: 1023, ..Default::default() };
//! let link = ScriptedLink::new([
//!     Step::Expect(vec![b'0']),
//!     Step::Expect(vec![b'*']),
//!     Step::Reply(q.encode().to_vec()),
//! ]);
//! let mut pad = Isdv4::new(link, Config { settle: std::time::Duration::ZERO, ..Config::default() }).unwrap();
//! assert_eq!(pad.connect().unwrap().max_x, 15200);
//! ```
#![warn(missing_docs)]

pub mod codec;

use std::time::{Duration, Instant};

use rekam_device::{
    Capture, CaptureRequest, Device, DeviceDescriptor, DeviceError, DeviceInfo, DeviceKind,
    DriverFactory, ErrorKind, Link, LinkError, Options, PenCapture, PenSample, Selector,
    SelfTestReport, SerialLink, SystemSnapshot,
};

use codec::{Decoder, Event, PenReport, QueryReply, CMD_QUERY, CMD_START, CMD_STOP};

/// Pen resolution of ISDV4 digitisers, device units per millimetre (the kernel's
/// `W8001_PEN_RESOLUTION`).
pub const UNITS_PER_MM: u16 = 100;

/// What can go wrong talking to the pad.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The serial link failed.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The pad did not answer the query.
    #[error("the signature pad on {port} did not answer the capability query within {millis} ms: check that it is powered, the cable is seated, and the baud rate ({baud}) matches the pad (19200 or 38400)")]
    NoAnswer {
        /// The port.
        port: String,
        /// How long we waited.
        millis: u64,
        /// The configured baud rate.
        baud: u32,
    },
    /// Every query reply arrived damaged (short or garbled).
    #[error("the signature pad on {port} answered the capability query {attempts} times with a damaged reply: check that the cable is seated and the baud rate ({baud}) matches the pad (19200 or 38400)")]
    DamagedReply {
        /// The port.
        port: String,
        /// Queries sent.
        attempts: u32,
        /// The configured baud rate.
        baud: u32,
    },
    /// The query reply makes no sense.
    #[error("the signature pad reported impossible ranges (max x {max_x}, max y {max_y}, max pressure {max_pressure}): is this a pen digitiser speaking ISDV4?")]
    BadCapabilities {
        /// Largest x.
        max_x: u16,
        /// Largest y.
        max_y: u16,
        /// Largest pressure.
        max_pressure: u16,
    },
    /// Nothing was written before the deadline.
    #[error("no signature was written on the pad within {seconds:.1} s: hand the person the pen and ask them to sign inside the box")]
    NoSignature {
        /// How long we waited, in seconds.
        seconds: f64,
    },
    /// A configuration value is not acceptable.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// The coarse kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Link(e) => e.kind(),
            Error::NoAnswer { .. } => ErrorKind::Timeout,
            Error::DamagedReply { .. } => ErrorKind::Protocol,
            Error::BadCapabilities { .. } => ErrorKind::Protocol,
            Error::NoSignature { .. } => ErrorKind::NoPresentation,
            Error::Config(_) => ErrorKind::InvalidInput,
        }
    }
}

impl From<Error> for DeviceError {
    fn from(e: Error) -> Self {
        DeviceError::from_source(e.kind(), e)
    }
}

/// How the driver talks to the pad and decides a signature is finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Line speed: 19200 or 38400.
    pub baud: u32,
    /// Pause after the stop command before querying (the kernel waits 250 ms).
    pub settle: Duration,
    /// How long to wait for the query reply.
    pub query_timeout: Duration,
    /// A signature ends when the pen has been away (out of proximity, or no reports at all) this
    /// long.
    pub end_after: Duration,
    /// A signature never takes longer than this.
    pub max_duration: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            baud: 38_400,
            settle: Duration::from_millis(250),
            query_timeout: Duration::from_millis(1_000),
            end_after: Duration::from_millis(1_500),
            max_duration: Duration::from_secs(30),
        }
    }
}

impl Config {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), Error> {
        if ![9600, 19_200, 38_400, 57_600, 115_200].contains(&self.baud) {
            return Err(Error::Config(format!(
                "the signature pad baud rate {} is not valid: it must be 9600, 19200, 38400, 57600 or 115200 (ISDV4 pads commonly run at 19200 or 38400)",
                self.baud
            )));
        }
        if self.end_after.is_zero() || self.end_after > Duration::from_secs(10) {
            return Err(Error::Config(
                "the signature pad end_after must be between 1 ms and 10 s".into(),
            ));
        }
        Ok(())
    }
}

/// The phases of one signature capture; the loop in [`Isdv4::capture_signature`] is the one
/// place that moves between them.
#[derive(Debug)]
enum Phase {
    /// Started; no tip down yet.
    WaitingForPen { deadline: Instant },
    /// At least one tip-down sample; `last_active` is the last report with the pen touching or
    /// hovering.
    Writing { last_active: Instant },
    /// Finished.
    Done,
}

/// Capability queries sent at most per connect: a reply damaged on the line (a dropped byte
/// leaves it short, noise or a changed byte garbles it) is asked for again. ISDV4 commands are
/// single bytes without side effects, so a repeated query is harmless.
pub const QUERY_ATTEMPTS: u32 = 3;

/// After bytes that did not make a reply, a line quiet this long means the reply is over and
/// was damaged. An 11-byte reply takes 11.5 ms on the line even at 9600 baud.
pub const REPLY_GAP: Duration = Duration::from_millis(50);

/// What one capability query brought.
enum QueryOutcome {
    /// A reply with sensible ranges.
    Reply(QueryReply),
    /// Nothing that could be part of a reply before the deadline.
    Silent,
    /// A short or garbled reply (or one with impossible ranges: that error).
    Damaged(Option<Error>),
}

/// An ISDV4 pad on a byte link.
pub struct Isdv4<L: Link> {
    link: L,
    config: Config,
    decoder: Decoder,
    caps: Option<QueryReply>,
    buf: [u8; 256],
}

impl<L: Link> std::fmt::Debug for Isdv4<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Isdv4")
            .field("port", &self.link.name())
            .field("caps", &self.caps)
            .finish_non_exhaustive()
    }
}

impl<L: Link> Isdv4<L> {
    /// A driver on `link`; nothing is sent yet.
    pub fn new(link: L, config: Config) -> Result<Self, Error> {
        config.validate()?;
        Ok(Self {
            link,
            config,
            decoder: Decoder::new(),
            caps: None,
            buf: [0u8; 256],
        })
    }

    /// Stops any report stream and reads the capabilities (the kernel's detect and query).
    #[tracing::instrument(level = "debug", skip(self), fields(port = %self.link.name()))]
    pub fn connect(&mut self) -> Result<QueryReply, Error> {
        self.link.write_all(&[CMD_STOP])?;
        if !self.config.settle.is_zero() {
            std::thread::sleep(self.config.settle);
        }
        self.link.discard_input()?;
        for attempt in 1..=QUERY_ATTEMPTS {
            self.decoder = Decoder::new();
            self.link.write_all(&[CMD_QUERY])?;
            match self.await_query_reply()? {
                QueryOutcome::Reply(q) => {
                    self.caps = Some(q);
                    return Ok(q);
                }
                QueryOutcome::Silent => return Err(self.no_answer()),
                QueryOutcome::Damaged(error) => {
                    tracing::debug!(attempt, "damaged capability reply; querying again");
                    if attempt == QUERY_ATTEMPTS {
                        return Err(error.unwrap_or_else(|| Error::DamagedReply {
                            port: self.link.name().to_string(),
                            attempts: QUERY_ATTEMPTS,
                            baud: self.config.baud,
                        }));
                    }
                    // What is left of the damaged reply is not part of the next one.
                    self.link.discard_input()?;
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    /// Reads the answer to one capability query: pen and touch packets meanwhile are ignored;
    /// bytes that make no complete packet, followed by [`REPLY_GAP`] of quiet, are a damaged
    /// reply; nothing at all within `query_timeout` is silence.
    fn await_query_reply(&mut self) -> Result<QueryOutcome, Error> {
        let deadline = Instant::now() + self.config.query_timeout;
        let garbage_before = self.decoder.garbage();
        let mut damaged = false;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(if damaged {
                    QueryOutcome::Damaged(None)
                } else {
                    QueryOutcome::Silent
                });
            }
            let wait = if damaged {
                REPLY_GAP.min(deadline - now)
            } else {
                deadline - now
            };
            let n = match self.link.read(&mut self.buf, wait) {
                Ok(n) => n,
                Err(LinkError::Timeout { .. }) if damaged => {
                    return Ok(QueryOutcome::Damaged(None))
                }
                // The whole remaining wait passed without a byte.
                Err(LinkError::Timeout { .. }) => return Ok(QueryOutcome::Silent),
                Err(e) => return Err(e.into()),
            };
            for i in 0..n {
                if let Some(Event::Query(q)) = self.decoder.push(self.buf[i]) {
                    if q.max_x == 0 || q.max_y == 0 || q.max_pressure == 0 {
                        return Ok(QueryOutcome::Damaged(Some(Error::BadCapabilities {
                            max_x: q.max_x,
                            max_y: q.max_y,
                            max_pressure: q.max_pressure,
                        })));
                    }
                    return Ok(QueryOutcome::Reply(q));
                }
            }
            damaged = self.decoder.pending() > 0 || self.decoder.garbage() > garbage_before;
        }
    }

    fn no_answer(&self) -> Error {
        Error::NoAnswer {
            port: self.link.name().to_string(),
            millis: self.config.query_timeout.as_millis() as u64,
            baud: self.config.baud,
        }
    }

    /// The capabilities read at connect.
    pub fn capabilities(&self) -> Option<QueryReply> {
        self.caps
    }

    /// Garbage bytes the decoder dropped so far.
    pub fn garbage(&self) -> u64 {
        self.decoder.garbage()
    }

    /// Captures one signature: waits up to `timeout` for the pen to touch, then records until
    /// the pen has been away for [`Config::end_after`].
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn capture_signature(&mut self, timeout: Duration) -> Result<PenCapture, Error> {
        let caps = match self.caps {
            Some(c) => c,
            None => self.connect()?,
        };
        // Reports the pad sent after the last capture ended are not part of this one.
        self.link.discard_input()?;
        self.decoder = Decoder::new();
        self.link.write_all(&[CMD_START])?;
        let result = self.record(caps, timeout);
        // Stop the stream whatever happened; a pulled cable makes this fail too.
        let _ = self.link.write_all(&[CMD_STOP]);
        result
    }

    fn record(&mut self, caps: QueryReply, timeout: Duration) -> Result<PenCapture, Error> {
        let started = Instant::now();
        let mut phase = Phase::WaitingForPen {
            deadline: started + timeout,
        };
        let mut strokes: Vec<Vec<PenSample>> = Vec::new();
        let mut current: Vec<PenSample> = Vec::new();
        let mut first: Option<Instant> = None;
        let mut last_t = 0u64;
        let poll = Duration::from_millis(20);
        loop {
            let reports: Vec<PenReport> = match self.link.read(&mut self.buf, poll) {
                Ok(n) => {
                    let mut v = Vec::new();
                    for i in 0..n {
                        if let Some(Event::Pen(r)) = self.decoder.push(self.buf[i]) {
                            v.push(r);
                        }
                    }
                    v
                }
                Err(LinkError::Timeout { .. }) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            let now = Instant::now();
            for r in reports {
                let t0 = *first.get_or_insert(now);
                let t_us = now.duration_since(t0).as_micros() as u64;
                last_t = t_us;
                if r.tip {
                    current.push(PenSample {
                        t_us,
                        x: r.x.min(caps.max_x),
                        y: r.y.min(caps.max_y),
                        pressure: r.pressure.min(caps.max_pressure),
                        tip: true,
                    });
                } else if !current.is_empty() {
                    strokes.push(std::mem::take(&mut current));
                }
                phase = match phase {
                    Phase::WaitingForPen { .. } if r.tip => Phase::Writing { last_active: now },
                    Phase::Writing { .. } if r.tip || r.proximity => {
                        Phase::Writing { last_active: now }
                    }
                    other => other,
                };
            }
            phase = match phase {
                Phase::WaitingForPen { deadline } if now >= deadline => {
                    return Err(Error::NoSignature {
                        seconds: timeout.as_secs_f64(),
                    })
                }
                // Away: out of proximity, or silent (a pad stops reporting when the pen
                // leaves, and a stalled line must not hold the capture open).
                Phase::Writing { last_active }
                    if now.duration_since(last_active) >= self.config.end_after =>
                {
                    Phase::Done
                }
                Phase::Writing { .. }
                    if now.duration_since(started) >= self.config.max_duration =>
                {
                    Phase::Done
                }
                other => other,
            };
            if let Phase::Done = phase {
                break;
            }
        }
        if !current.is_empty() {
            strokes.push(current);
        }
        Ok(PenCapture {
            strokes,
            max_x: caps.max_x,
            max_y: caps.max_y,
            max_pressure: caps.max_pressure,
            units_per_mm: UNITS_PER_MM,
            duration_us: last_t,
        })
    }
}

impl<L: Link + 'static> Device for Isdv4<L> {
    fn info(&mut self) -> Result<DeviceInfo, DeviceError> {
        let q = match self.caps {
            Some(q) => q,
            None => self.connect()?,
        };
        Ok(DeviceInfo {
            kind: DeviceKind::SignaturePad,
            driver: "isdv4".into(),
            model: "Wacom ISDV4 (W8001) pen digitiser".into(),
            serial: None,
            firmware: Some(format!("{:#06x}", q.version)),
            port: self.link.name().to_string(),
            details: vec![
                ("max_x".into(), q.max_x.to_string()),
                ("max_y".into(), q.max_y.to_string()),
                ("max_pressure".into(), q.max_pressure.to_string()),
                (
                    "active_area_mm".into(),
                    format!(
                        "{:.1} x {:.1}",
                        f64::from(q.max_x) / f64::from(UNITS_PER_MM),
                        f64::from(q.max_y) / f64::from(UNITS_PER_MM)
                    ),
                ),
                (
                    "tilt".into(),
                    (q.max_tilt_x > 0 && q.max_tilt_y > 0).to_string(),
                ),
                ("baud".into(), self.config.baud.to_string()),
            ],
            simulated: self.link.simulated(),
        })
    }

    fn self_test(&mut self) -> Result<SelfTestReport, DeviceError> {
        let mut report = SelfTestReport::default();
        let q = self.connect()?;
        report.push(
            "capability query",
            true,
            format!(
                "max x {}, max y {}, max pressure {}",
                q.max_x, q.max_y, q.max_pressure
            ),
        );
        let area_ok = q.max_x >= 2_000 && q.max_y >= 1_000;
        report.push(
            "active area",
            area_ok,
            format!(
                "{:.0} x {:.0} mm (a signature box needs at least 20 x 10 mm)",
                f64::from(q.max_x) / 100.0,
                f64::from(q.max_y) / 100.0
            ),
        );
        let pressure_ok = q.max_pressure >= 255;
        report.push(
            "pressure levels",
            pressure_ok,
            format!("{} levels", u32::from(q.max_pressure) + 1),
        );
        // Start and stop the stream: the pad must accept both without error.
        self.link.write_all(&[CMD_START]).map_err(Error::from)?;
        self.link.write_all(&[CMD_STOP]).map_err(Error::from)?;
        report.push("report stream", true, "start and stop accepted");
        Ok(report)
    }

    fn capture(&mut self, request: &CaptureRequest) -> Result<Capture, DeviceError> {
        Ok(Capture::Pen(self.capture_signature(request.timeout)?))
    }

    fn close(&mut self) -> Result<(), DeviceError> {
        self.link.write_all(&[CMD_STOP]).map_err(Error::from)?;
        Ok(())
    }
}

/// The factory for the `isdv4` driver.
#[derive(Debug, Clone, Copy, Default)]
pub struct Isdv4Factory;

/// The options the `isdv4` driver takes.
pub const OPTIONS: &[&str] = &["baud", "end_after_ms", "settle_ms"];

impl Isdv4Factory {
    /// Builds the driver configuration from options.
    pub fn config(options: &Options) -> Result<Config, DeviceError> {
        options.reject_unknown("isdv4", OPTIONS)?;
        let mut c = Config::default();
        if let Some(b) = options.u32("baud", 9600, 115_200)? {
            c.baud = b;
        }
        if let Some(ms) = options.u32("end_after_ms", 1, 10_000)? {
            c.end_after = Duration::from_millis(u64::from(ms));
        }
        if let Some(ms) = options.u32("settle_ms", 0, 2_000)? {
            c.settle = Duration::from_millis(u64::from(ms));
        }
        c.validate()?;
        Ok(c)
    }
}

/// The serial port path of `selector`, or a sentence.
fn serial_path(selector: &Selector) -> Result<&str, DeviceError> {
    match selector {
        Selector::Serial(path) => Ok(path),
        other => Err(DeviceError::new(
            ErrorKind::InvalidInput,
            format!("the isdv4 driver opens serial ports: its port must be a serial port path such as /dev/ttyS0 or /dev/ttyUSB0, not '{other}'"),
        )),
    }
}

impl DriverFactory for Isdv4Factory {
    fn name(&self) -> &'static str {
        "isdv4"
    }

    fn kind(&self) -> DeviceKind {
        DeviceKind::SignaturePad
    }

    fn list(&self, system: &SystemSnapshot) -> Vec<DeviceDescriptor> {
        // ISDV4 digitisers sit on internal UARTs or behind Wacom's own USB-serial ids.
        system
            .serial_ports
            .iter()
            .filter(|p| p.usb.is_some_and(|(vid, _)| vid == 0x056a))
            .map(|p| DeviceDescriptor {
                driver: "isdv4".into(),
                kind: DeviceKind::SignaturePad,
                selector: p.path.clone(),
                description: "Wacom serial digitiser".into(),
            })
            .collect()
    }

    fn validate(&self, selector: &Selector, options: &Options) -> Result<(), DeviceError> {
        serial_path(selector)?;
        Self::config(options).map(drop)
    }

    fn open(&self, selector: &Selector, options: &Options) -> Result<Box<dyn Device>, DeviceError> {
        let path = serial_path(selector)?;
        let config = Self::config(options)?;
        let link = SerialLink::open(path, config.baud)?;
        let mut pad = Isdv4::new(link, config)?;
        pad.connect()?;
        Ok(Box::new(pad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rekam_device::{ScriptedLink, Step};

    fn caps() -> QueryReply {
        QueryReply {
            max_x: 15200,
            max_y: 9500,
            max_pressure: 1023,
            max_tilt_x: 0,
            max_tilt_y: 0,
            version: 0x0105,
        }
    }

    fn quick() -> Config {
        Config {
            settle: Duration::ZERO,
            end_after: Duration::from_millis(30),
            ..Config::default()
        }
    }

    fn pen(proximity: bool, tip: bool, x: u16, y: u16, p: u16) -> Vec<u8> {
        PenReport {
            proximity,
            tip,
            x,
            y,
            pressure: p,
            ..Default::default()
        }
        .encode()
        .to_vec()
    }

    /// The query reply with byte 5 lost on the line, as firmware-sim's `drop-byte` cuts it.
    fn short_reply() -> Vec<u8> {
        let mut r = caps().encode().to_vec();
        r.remove(5);
        r
    }

    #[test]
    fn a_short_query_reply_is_asked_for_again() {
        let link = ScriptedLink::new([
            Step::Expect(vec![b'0']),
            Step::Expect(vec![b'*']),
            Step::Reply(short_reply()),
            Step::Expect(vec![b'*']),
            Step::Reply(caps().encode().to_vec()),
        ]);
        let mut pad = Isdv4::new(link, quick()).unwrap();
        assert_eq!(pad.connect().unwrap(), caps());
        pad.link.done();
    }

    #[test]
    fn a_garbled_reply_with_impossible_ranges_is_asked_for_again() {
        let zero = QueryReply { max_x: 0, ..caps() };
        let link = ScriptedLink::new([
            Step::Expect(vec![b'0']),
            Step::Expect(vec![b'*']),
            Step::Reply(zero.encode().to_vec()),
            Step::Expect(vec![b'*']),
            Step::Reply(caps().encode().to_vec()),
        ]);
        let mut pad = Isdv4::new(link, quick()).unwrap();
        assert_eq!(pad.connect().unwrap(), caps());
        pad.link.done();
    }

    #[test]
    fn replies_damaged_every_time_are_a_protocol_error_after_three_queries() {
        let mut steps = vec![Step::Expect(vec![b'0'])];
        for _ in 0..QUERY_ATTEMPTS {
            steps.push(Step::Expect(vec![b'*']));
            steps.push(Step::Reply(short_reply()));
        }
        let mut pad = Isdv4::new(ScriptedLink::new(steps), quick()).unwrap();
        let e = pad.connect().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert!(e.to_string().contains("3 times"), "{e}");
        pad.link.done();
    }

    #[test]
    fn a_silent_pad_is_not_queried_again() {
        let link = ScriptedLink::new([
            Step::Expect(vec![b'0']),
            Step::Expect(vec![b'*']),
            Step::Silence,
        ]);
        let mut pad = Isdv4::new(link, quick()).unwrap();
        assert_eq!(pad.connect().unwrap_err().kind(), ErrorKind::Timeout);
        pad.link.done();
    }

    #[test]
    fn strokes_are_grouped_by_tip() {
        let mut stream = vec![];
        stream.extend(pen(true, false, 10, 10, 0));
        stream.extend(pen(true, true, 100, 100, 300));
        stream.extend(pen(true, true, 110, 105, 400));
        stream.extend(pen(true, false, 120, 105, 0));
        stream.extend(pen(true, true, 200, 100, 350));
        stream.extend(pen(false, false, 200, 100, 0));
        let link = ScriptedLink::new([
            Step::Expect(vec![b'0']),
            Step::Expect(vec![b'*']),
            Step::Reply(caps().encode().to_vec()),
            Step::Expect(vec![b'1']),
            Step::Reply(stream),
            Step::Expect(vec![b'0']),
        ]);
        let mut pad = Isdv4::new(link, quick()).unwrap();
        pad.connect().unwrap();
        let sig = pad.capture_signature(Duration::from_secs(1)).unwrap();
        assert_eq!(sig.strokes.len(), 2);
        assert_eq!(sig.strokes[0].len(), 2);
        assert_eq!(sig.strokes[0][1].pressure, 400);
        assert_eq!(sig.strokes[1][0].x, 200);
        assert_eq!(sig.point_count(), 3);
        pad.link.done();
    }

    #[test]
    fn no_pen_means_no_signature() {
        let link = ScriptedLink::new([
            Step::Expect(vec![b'0']),
            Step::Expect(vec![b'*']),
            Step::Reply(caps().encode().to_vec()),
            Step::Expect(vec![b'1']),
            Step::Expect(vec![b'0']),
        ]);
        let mut pad = Isdv4::new(link, quick()).unwrap();
        pad.connect().unwrap();
        let e = pad
            .capture_signature(Duration::from_millis(60))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NoPresentation);
        pad.link.done();
    }

    #[test]
    fn silence_on_query_is_a_timeout_naming_the_baud() {
        let link = ScriptedLink::new([
            Step::Expect(vec![b'0']),
            Step::Expect(vec![b'*']),
            Step::Silence,
        ]);
        let mut pad = Isdv4::new(
            link,
            Config {
                settle: Duration::ZERO,
                query_timeout: Duration::from_millis(10),
                ..quick()
            },
        )
        .unwrap();
        let e = pad.connect().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(e.to_string().contains("38400"));
    }

    #[test]
    fn unplugged_mid_signature_is_disconnected() {
        let link = ScriptedLink::new([
            Step::Expect(vec![b'0']),
            Step::Expect(vec![b'*']),
            Step::Reply(caps().encode().to_vec()),
            Step::Expect(vec![b'1']),
            Step::Reply(pen(true, true, 1, 1, 100)),
            Step::Unplug,
        ]);
        let mut pad = Isdv4::new(link, quick()).unwrap();
        pad.connect().unwrap();
        let e = pad.capture_signature(Duration::from_secs(1)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Disconnected);
    }

    #[test]
    fn bad_options_name_the_key() {
        let e = Isdv4Factory::config(&Options::new().set("baud", "12345")).unwrap_err();
        assert!(e.to_string().contains("baud"), "{e}");
        let e = Isdv4Factory::config(&Options::new().set("speed", "1")).unwrap_err();
        assert!(e.to_string().contains("speed"), "{e}");
    }
}
