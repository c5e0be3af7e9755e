//! The firmware of a USB iris scanner speaking the Rekam iris USB protocol, and an in-process
//! [`UsbLink`] that puts it behind the same transfers a real device answers.
//!
//! The person's approach is scripted per status poll (not per millisecond), so that a capture is
//! the same exchange every time: that is what lets a recording of it replay under umockdev.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rekam_device::{LinkError, UsbLink};
use rekam_iris::codec::{
    self, cmd, status, CheckResult, Eyes, Failure, Feedback, Frame, ImageHeader, Info, State,
    Status, EP_IN, EP_OUT, REQUEST_RESET,
};

use crate::runner::lock;
use crate::synth::eye::{render, EyeCondition, EyeModel, Side};

/// Image width of the simulated scanner.
pub const WIDTH: u32 = 640;
/// Image height of the simulated scanner.
pub const HEIGHT: u32 = 480;

/// One step of the person's approach, as the scanner sees it at one status poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Approach {
    /// Distance to the eye, mm.
    pub distance_mm: u16,
    /// Horizontal offset, px.
    pub offset_x: i16,
    /// Vertical offset, px.
    pub offset_y: i16,
    /// Eyes open.
    pub open: bool,
}

/// What the simulated person does at the scanner.
#[derive(Debug, Clone, PartialEq)]
pub struct IrisScenario {
    /// Who.
    pub person: u64,
    /// How the left eye presents.
    pub left: EyeCondition,
    /// How the right eye presents.
    pub right: EyeCondition,
    /// The approach, one step per status poll; after the last step the person holds still.
    pub approach: Vec<Approach>,
    /// The person never aligns (eyes stay closed or out of range).
    pub never_aligns: bool,
}

impl IrisScenario {
    /// A person who comes from 420 mm, stands too far right, blinks, and settles at 260 mm:
    /// five polls of guidance (closer, closer, left, open your eyes, hold still).
    pub fn typical(person: u64) -> Self {
        let a = |d, x, y, open| Approach {
            distance_mm: d,
            offset_x: x,
            offset_y: y,
            open,
        };
        Self {
            person,
            left: EyeCondition::Good,
            right: EyeCondition::Good,
            approach: vec![
                a(420, 0, 0, true),
                a(330, 0, -10, true),
                a(280, 40, 0, true),
                a(265, 0, 0, false),
                a(260, 0, 0, true),
            ],
            never_aligns: false,
        }
    }
}

/// The capture in progress.
#[derive(Debug)]
enum Capture {
    Idle,
    Running {
        eyes: Eyes,
        poll: usize,
        started: Instant,
        timeout: Duration,
    },
    Done,
    Failed(Failure),
}

/// A fault on the simulated USB link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsbFault {
    /// The device vanishes: every transfer fails with "no device".
    Unplug,
    /// The next `n` IN transfers stall.
    Stall(u32),
    /// The next `n` replies lose their last transfer's final 100 bytes.
    ShortRead(u32),
    /// The next `n` replies are replaced by garbage of the same length.
    GarbageFrame(u32),
    /// The next `n` commands get no reply.
    Silent(u32),
    /// The self-test reports an illuminator failure.
    IlluminatorFault,
    /// The device vanishes after `n` more IN transfers (e.g. in the middle of an image).
    UnplugAfter(u32),
}

/// The scanner's firmware.
#[derive(Debug)]
pub struct IrisFirmware {
    info: Info,
    scenario: IrisScenario,
    capture: Capture,
    images: HashMap<u8, Vec<u8>>,
    models: HashMap<(u64, u8), EyeModel>,
    captures: u64,
    out: VecDeque<Vec<u8>>,
    faults: Vec<UsbFault>,
    unplugged: bool,
    /// The last command's (sequence, code) and its reply, sent again for a retransmission.
    last: Option<((u16, u8), Frame)>,
    /// Command codes received, for tests.
    pub received: Vec<u8>,
}

impl IrisFirmware {
    /// A scanner whose person behaves as `scenario`.
    pub fn new(scenario: IrisScenario) -> Self {
        Self {
            info: Info {
                protocol: codec::VERSION,
                firmware: (1, 4, 2),
                width: WIDTH as u16,
                height: HEIGHT as u16,
                bits: 8,
                eyes: 3,
                vendor: "Rekam".into(),
                model: "IRIS-SIM".into(),
                serial: "IR00000001".into(),
            },
            scenario,
            capture: Capture::Idle,
            images: HashMap::new(),
            models: HashMap::new(),
            captures: 0,
            out: VecDeque::new(),
            faults: Vec::new(),
            unplugged: false,
            last: None,
            received: Vec::new(),
        }
    }

    /// Changes what the person does.
    pub fn set_scenario(&mut self, s: IrisScenario) {
        self.scenario = s;
    }

    /// Injects a fault.
    pub fn inject(&mut self, f: UsbFault) {
        if f == UsbFault::Unplug {
            self.unplugged = true;
        } else {
            self.faults.push(f);
        }
    }

    /// Plugs the device back in (fresh protocol state).
    pub fn replug(&mut self) {
        self.unplugged = false;
        self.reset();
    }

    /// The image the scanner holds for `eye` (1 left, 2 right).
    pub fn image(&self, eye: u8) -> Option<image::GrayImage> {
        self.images
            .get(&eye)
            .and_then(|px| image::GrayImage::from_raw(WIDTH, HEIGHT, px.clone()))
    }

    fn take_fault(&mut self, pred: impl Fn(&UsbFault) -> bool) -> bool {
        let Some(i) = self.faults.iter().position(pred) else {
            return false;
        };
        match &mut self.faults[i] {
            UsbFault::Stall(n)
            | UsbFault::ShortRead(n)
            | UsbFault::GarbageFrame(n)
            | UsbFault::Silent(n) => {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.faults.remove(i);
                }
            }
            _ => {}
        }
        true
    }

    fn reset(&mut self) {
        self.capture = Capture::Idle;
        self.out.clear();
        self.last = None;
        self.images.clear();
    }

    fn status(&mut self, now: Instant) -> Status {
        let mut s = Status {
            state: State::Idle,
            feedback: Feedback::None,
            distance_mm: 0,
            offset_x: 0,
            offset_y: 0,
            eyes_open: 0,
            focus: 0,
            iris_diameter: 0,
            failure: Failure::None,
        };
        let (eyes, poll, started, timeout) = match &mut self.capture {
            Capture::Idle => return s,
            Capture::Done => {
                s.state = State::Done;
                return s;
            }
            Capture::Failed(f) => {
                s.state = State::Failed;
                s.failure = *f;
                return s;
            }
            Capture::Running {
                eyes,
                poll,
                started,
                timeout,
            } => {
                *poll += 1;
                (*eyes, *poll, *started, *timeout)
            }
        };
        let steps = &self.scenario.approach;
        if self.scenario.never_aligns {
            if now.duration_since(started) >= timeout {
                self.capture = Capture::Failed(Failure::Timeout);
                s.state = State::Failed;
                s.failure = Failure::Timeout;
                return s;
            }
            s.state = State::Aligning;
            s.feedback = Feedback::OpenEyes;
            s.distance_mm = 250;
            return s;
        }
        if poll <= steps.len() {
            let a = steps[poll - 1];
            s.state = State::Aligning;
            s.distance_mm = a.distance_mm;
            s.offset_x = a.offset_x;
            s.offset_y = a.offset_y;
            s.eyes_open = if a.open { 3 } else { 0 };
            // Iris diameter grows as the person comes closer: ~230 px at 260 mm.
            s.iris_diameter = (230.0 * 260.0 / f64::from(a.distance_mm.max(1))) as u16;
            s.focus = (100 - (i32::from(a.distance_mm) - 260).unsigned_abs().min(100)) as u8;
            s.feedback = if !a.open {
                Feedback::OpenEyes
            } else if a.distance_mm > 290 {
                Feedback::MoveCloser
            } else if a.distance_mm < 230 {
                Feedback::MoveBack
            } else if a.offset_x > 20 {
                Feedback::MoveLeft
            } else if a.offset_x < -20 {
                Feedback::MoveRight
            } else if a.offset_y > 20 {
                Feedback::MoveUp
            } else if a.offset_y < -20 {
                Feedback::MoveDown
            } else {
                Feedback::HoldStill
            };
            return s;
        }
        // Aligned: one poll of capturing, then the images are ready.
        if poll == steps.len() + 1 {
            s.state = State::Capturing;
            s.feedback = Feedback::HoldStill;
            s.distance_mm = 260;
            s.eyes_open = 3;
            s.focus = 100;
            s.iris_diameter = 230;
            return s;
        }
        self.take_images(eyes);
        self.capture = Capture::Done;
        s.state = State::Done;
        s
    }

    fn take_images(&mut self, eyes: Eyes) {
        let person = self.scenario.person;
        let list: &[(u8, Side, EyeCondition)] = &[
            (1, Side::Left, self.scenario.left),
            (2, Side::Right, self.scenario.right),
        ];
        for &(code, side, cond) in list {
            let wanted = matches!(
                (eyes, code),
                (Eyes::Both, _) | (Eyes::Left, 1) | (Eyes::Right, 2)
            );
            if !wanted {
                continue;
            }
            let model = self
                .models
                .entry((person, code))
                .or_insert_with(|| EyeModel::new(person, side));
            let seed = person
                .wrapping_mul(7919)
                .wrapping_add(u64::from(code))
                .wrapping_add(self.captures * 104_729);
            let (img, _) = render(model, seed, cond, WIDTH, HEIGHT);
            self.images.insert(code, img.into_raw());
        }
        self.captures += 1;
    }

    fn handle(&mut self, f: Frame, now: Instant) -> Frame {
        self.received.push(f.code);
        let reply = |st: u8, payload: Vec<u8>| Frame::reply(f.seq, st, f.code, payload);
        match f.code {
            cmd::GET_INFO => reply(status::OK, self.info.encode()),
            cmd::SELF_TEST => {
                let illum = !self.faults.contains(&UsbFault::IlluminatorFault);
                let checks = [
                    CheckResult {
                        id: 1,
                        passed: illum,
                        value: 0,
                    },
                    CheckResult {
                        id: 2,
                        passed: true,
                        value: 0,
                    },
                    CheckResult {
                        id: 3,
                        passed: true,
                        value: 512,
                    },
                    CheckResult {
                        id: 4,
                        passed: true,
                        value: 364,
                    },
                ];
                reply(status::OK, codec::encode_checks(&checks))
            }
            cmd::START_CAPTURE => {
                let mut r = codec::Reader::new(&f.payload);
                let (Ok(e), Ok(ms)) = (r.u8(), r.u32()) else {
                    return reply(status::BAD_PARAMETER, vec![]);
                };
                let Some(eyes) = Eyes::from_byte(e) else {
                    return reply(status::BAD_PARAMETER, vec![]);
                };
                if matches!(self.capture, Capture::Running { .. }) {
                    return reply(status::BUSY, vec![]);
                }
                self.images.clear();
                self.capture = Capture::Running {
                    eyes,
                    poll: 0,
                    started: now,
                    timeout: Duration::from_millis(u64::from(ms)),
                };
                reply(status::OK, vec![])
            }
            cmd::GET_STATUS => {
                let s = self.status(now);
                reply(status::OK, s.encode())
            }
            cmd::READ_IMAGE => {
                let eye = f.payload.first().copied().unwrap_or(0);
                match self.images.get(&eye) {
                    Some(px) => {
                        let mut p = ImageHeader {
                            width: WIDTH as u16,
                            height: HEIGHT as u16,
                            format: 1,
                            eye,
                        }
                        .encode()
                        .to_vec();
                        p.extend_from_slice(px);
                        reply(status::OK, p)
                    }
                    None if eye == 1 || eye == 2 => reply(status::NOT_READY, vec![]),
                    None => reply(status::BAD_PARAMETER, vec![]),
                }
            }
            cmd::ABORT => {
                if matches!(self.capture, Capture::Running { .. }) {
                    self.capture = Capture::Failed(Failure::Aborted);
                }
                reply(status::OK, vec![])
            }
            _ => reply(status::UNKNOWN_COMMAND, vec![]),
        }
    }

    /// A bulk OUT transfer arrived.
    pub fn on_bulk_out(&mut self, ep: u8, data: &[u8], now: Instant) -> Result<(), LinkError> {
        if self.unplugged {
            return Err(self.gone());
        }
        if ep != EP_OUT {
            return Err(LinkError::Stall {
                port: "iris-sim".into(),
            });
        }
        let reply = match codec::decode(data) {
            // A retransmission (same sequence and command): the same reply, not a second run.
            Ok(f)
                if f.kind == codec::kind::COMMAND
                    && self
                        .last
                        .as_ref()
                        .is_some_and(|(k, _)| *k == (f.seq, f.code)) =>
            {
                self.last
                    .as_ref()
                    .map(|(_, r)| r.clone())
                    .unwrap_or_else(|| Frame::reply(f.seq, status::INTERNAL, f.code, vec![]))
            }
            Ok(f) if f.kind == codec::kind::COMMAND => {
                let key = (f.seq, f.code);
                let r = self.handle(f, now);
                self.last = Some((key, r.clone()));
                r
            }
            Ok(f) => Frame::reply(f.seq, status::BAD_FRAME, f.code, vec![]),
            Err(_) => {
                let seq = if data.len() >= 6 {
                    u16::from_le_bytes([data[4], data[5]])
                } else {
                    0
                };
                let code = data.get(6).copied().unwrap_or(0);
                Frame::reply(seq, status::BAD_FRAME, code, vec![])
            }
        };
        if self.take_fault(|f| matches!(f, UsbFault::Silent(_))) {
            return Ok(());
        }
        let mut bytes = reply.encode();
        if self.take_fault(|f| matches!(f, UsbFault::GarbageFrame(_))) {
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = (i as u8).wrapping_mul(37).wrapping_add(11);
            }
        }
        let short = self.take_fault(|f| matches!(f, UsbFault::ShortRead(_)));
        let mut chunks: Vec<Vec<u8>> = codec::transfers(&bytes).map(<[u8]>::to_vec).collect();
        if short {
            if let Some(last) = chunks.last_mut() {
                let keep = last.len().saturating_sub(100).max(1);
                last.truncate(keep);
            }
        }
        self.out.extend(chunks);
        Ok(())
    }

    /// A bulk IN transfer is asked for: the next queued transfer, if any.
    pub fn on_bulk_in(&mut self, ep: u8, max: usize) -> Result<Option<Vec<u8>>, LinkError> {
        if self.unplugged {
            return Err(self.gone());
        }
        if ep != EP_IN {
            return Err(LinkError::Stall {
                port: "iris-sim".into(),
            });
        }
        if self.take_fault(|f| matches!(f, UsbFault::Stall(_))) {
            // A stalled endpoint drops the reply it was sending.
            self.out.clear();
            return Err(LinkError::Stall {
                port: "iris-sim".into(),
            });
        }
        if let Some(i) = self
            .faults
            .iter()
            .position(|f| matches!(f, UsbFault::UnplugAfter(_)))
        {
            if let UsbFault::UnplugAfter(n) = &mut self.faults[i] {
                if *n == 0 {
                    self.faults.remove(i);
                    self.unplugged = true;
                    return Err(self.gone());
                }
                if !self.out.is_empty() {
                    *n -= 1;
                }
            }
        }
        match self.out.front() {
            Some(t) if t.len() > max => Err(LinkError::Io {
                port: "iris-sim".into(),
                source: std::io::Error::other(
                    "overflow: the host buffer is smaller than the transfer",
                ),
            }),
            Some(_) => Ok(self.out.pop_front()),
            None => Ok(None),
        }
    }

    /// A vendor control OUT request.
    pub fn on_control_out(&mut self, request: u8) -> Result<(), LinkError> {
        if self.unplugged {
            return Err(self.gone());
        }
        match request {
            REQUEST_RESET => {
                self.reset();
                Ok(())
            }
            _ => Err(LinkError::Stall {
                port: "iris-sim".into(),
            }),
        }
    }

    fn gone(&self) -> LinkError {
        LinkError::Disconnected {
            port: "iris-sim".into(),
        }
    }
}

/// The in-process link to a simulated scanner: the driver's transfers go straight to the
/// firmware. Reads wait (up to their timeout) for the firmware to have a transfer queued.
#[derive(Debug, Clone)]
pub struct SimUsbLink {
    fw: Arc<Mutex<IrisFirmware>>,
    name: String,
}

impl SimUsbLink {
    /// A link to `fw`.
    pub fn new(fw: Arc<Mutex<IrisFirmware>>) -> Self {
        Self {
            fw,
            name: format!("sim usb {:04x}:{:04x}", codec::VID, codec::PID),
        }
    }
}

impl UsbLink for SimUsbLink {
    fn write_bulk(&mut self, ep: u8, data: &[u8], _t: Duration) -> Result<usize, LinkError> {
        lock(&self.fw).on_bulk_out(ep, data, Instant::now())?;
        Ok(data.len())
    }

    fn read_bulk(&mut self, ep: u8, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(t) = lock(&self.fw).on_bulk_in(ep, buf.len())? {
                buf[..t.len()].copy_from_slice(&t);
                return Ok(t.len());
            }
            if Instant::now() >= deadline {
                return Err(LinkError::Timeout {
                    port: self.name.clone(),
                    millis: timeout.as_millis() as u64,
                });
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn control_out(
        &mut self,
        request: u8,
        _v: u16,
        _d: &[u8],
        _t: Duration,
    ) -> Result<usize, LinkError> {
        lock(&self.fw).on_control_out(request)?;
        Ok(0)
    }

    fn clear_halt(&mut self, _ep: u8) -> Result<(), LinkError> {
        if lock(&self.fw).unplugged {
            return Err(LinkError::Disconnected {
                port: self.name.clone(),
            });
        }
        Ok(())
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn simulated(&self) -> bool {
        true
    }
}

/// Simulated scanners plugged into this process, by serial number: what the `simiris` driver
/// ([`SimIrisFactory`]) lists and opens. A simulated USB device lives in the process that uses
/// it (`rekam enroll` with `[iris] driver = "simiris"`, `rekam demo`, tests); the libusb path of
/// the real driver is exercised under umockdev instead.
static PLUGGED: Mutex<Vec<(String, std::sync::Weak<Mutex<IrisFirmware>>)>> = Mutex::new(Vec::new());

/// Serial numbers handed out to simulated scanners in this process.
static NEXT_SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

impl IrisFirmware {
    /// The serial number the scanner reports.
    pub fn serial(&self) -> &str {
        &self.info.serial
    }
}

/// Plugs `fw` in for the `simiris` driver and returns its serial number. A scanner whose serial
/// is already plugged in gets a new one, so several simulated scanners in one process (parallel
/// tests) can be told apart. It stays listed while `fw` lives.
pub fn plug_in(fw: &Arc<Mutex<IrisFirmware>>) -> String {
    let mut plugged = lock(&PLUGGED);
    plugged.retain(|(_, w)| w.strong_count() > 0);
    let mut serial = lock(fw).info.serial.clone();
    while plugged.iter().any(|(s, _)| *s == serial) {
        let n = NEXT_SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        serial = format!("IR{n:08}");
    }
    lock(fw).info.serial = serial.clone();
    plugged.push((serial.clone(), Arc::downgrade(fw)));
    serial
}

fn plugged_in() -> Vec<(String, Arc<Mutex<IrisFirmware>>)> {
    lock(&PLUGGED)
        .iter()
        .filter_map(|(s, w)| w.upgrade().map(|fw| (s.clone(), fw)))
        .collect()
}

/// The `simiris` driver: the real iris driver ([`rekam_iris::Iris`]) over an in-process link to
/// a simulated scanner plugged in with [`plug_in`]. Selector `1209:0001[:SERIAL]`; without a
/// serial, the scanner plugged in last. Options are the `iris_usb` driver's.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimIrisFactory;

impl rekam_device::DriverFactory for SimIrisFactory {
    fn name(&self) -> &'static str {
        "simiris"
    }

    fn kind(&self) -> rekam_device::DeviceKind {
        rekam_device::DeviceKind::Iris
    }

    fn list(&self, _system: &rekam_device::SystemSnapshot) -> Vec<rekam_device::DeviceDescriptor> {
        plugged_in()
            .into_iter()
            .map(|(serial, _)| rekam_device::DeviceDescriptor {
                driver: "simiris".into(),
                kind: rekam_device::DeviceKind::Iris,
                selector: format!("{:04x}:{:04x}:{serial}", codec::VID, codec::PID),
                description: "simulated iris scanner (in this process)".into(),
            })
            .collect()
    }

    fn validate(
        &self,
        selector: &rekam_device::Selector,
        options: &rekam_device::Options,
    ) -> Result<(), rekam_device::DeviceError> {
        rekam_iris::usb_of("simiris", selector)?;
        rekam_iris::IrisFactory::config(options).map(drop)
    }

    fn open(
        &self,
        selector: &rekam_device::Selector,
        options: &rekam_device::Options,
    ) -> Result<Box<dyn rekam_device::Device>, rekam_device::DeviceError> {
        use rekam_device::{DeviceError, ErrorKind};
        let (vid, pid, serial) = rekam_iris::usb_of("simiris", selector)?;
        let config = rekam_iris::IrisFactory::config(options)?;
        let found = plugged_in().into_iter().rev().find(|(s, _)| {
            *vid == codec::VID && *pid == codec::PID && serial.as_deref().is_none_or(|w| w == s)
        });
        let Some((_, fw)) = found else {
            return Err(DeviceError::new(
                ErrorKind::NotFound,
                format!("no simulated iris scanner {selector} is plugged into this process"),
            ));
        };
        let mut iris = rekam_iris::Iris::new(SimUsbLink::new(fw), config)?;
        iris.connect()?;
        Ok(Box::new(iris))
    }
}
