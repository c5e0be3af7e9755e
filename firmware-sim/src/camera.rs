//! The simulated face camera: a nokhwa capture backend ([`SimCameraBackend`]) that the driver
//! plugs in through nokhwa's custom-backend seam (`Camera::with_custom`), so nokhwa's own
//! `Camera` API and its YUYV and MJPEG decoders run exactly as with a V4L2 camera.
//!
//! The camera offers what a common USB 2.0 webcam offers ([`MODES`]): YUYV at 640x480@30,
//! 1280x720@10 and 1920x1080@5, MJPEG at all three sizes @30. Frames show a synthetic portrait
//! ([`crate::synth::face`]) or real photographs from a folder ([`PhotoFolder`]), with a little
//! sensor noise, encoded as the camera would: YUYV 4:2:2 (BT.601, studio range) or baseline
//! JPEG with 4:2:2 chroma. They arrive as fast as asked, or paced at the mode's frame rate.
//!
//! A [`SimCamera`] handle sets the scene and injects [`CameraFault`]s; every backend made from
//! it sees the change at its next call. The cameras a process has plugged in
//! ([`SimCamera::plug_in`]) are what the `simcam` driver ([`SimCameraFactory`]) lists and
//! opens as `camera:N`: nokhwa's custom seam is in-process, so a simulated camera lives in the
//! process that uses it (`rekam demo`, `rekam diag` with `[camera] driver = "simcam"`, tests).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use image::RgbImage;
use nokhwa_core::buffer::Buffer;
use nokhwa_core::error::NokhwaError;
use nokhwa_core::traits::CaptureBackendTrait;
use nokhwa_core::types::{
    ApiBackend, CameraControl, CameraFormat, CameraIndex, CameraInfo, ControlValueSetter,
    FrameFormat, KnownCameraControl, Resolution,
};
use rekam_device::{
    Device, DeviceDescriptor, DeviceError, DeviceKind, DriverFactory, ErrorKind, Options, Selector,
    SystemSnapshot,
};
use serde::Deserialize;

use crate::synth::face::{self, Portrait};

/// What the simulated camera offers: (format, width, height, frames a second).
pub const MODES: [(FrameFormat, u32, u32, u32); 6] = [
    (FrameFormat::YUYV, 640, 480, 30),
    (FrameFormat::YUYV, 1280, 720, 10),
    (FrameFormat::YUYV, 1920, 1080, 5),
    (FrameFormat::MJPEG, 640, 480, 30),
    (FrameFormat::MJPEG, 1280, 720, 30),
    (FrameFormat::MJPEG, 1920, 1080, 30),
];

/// The model name the simulated camera reports.
pub const MODEL: &str = "Rekam simulated camera";

/// How long a `timeout` fault waits before the read fails, like a V4L2 poll with a timeout.
pub const TIMEOUT_FAULT_WAIT: Duration = Duration::from_millis(100);

/// A fault of the simulated camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CameraFault {
    /// The stream opens but no frame ever comes: a read blocks until the fault is cleared.
    NoFrames,
    /// The next frame comes `millis` late.
    Stall {
        /// How late.
        millis: u64,
    },
    /// The next `frames` reads fail after [`TIMEOUT_FAULT_WAIT`] with "Connection timed out
    /// (os error 110)", as a V4L2 poll with a timeout does.
    Timeout {
        /// How many reads; `u32::MAX` for ever.
        frames: u32,
    },
    /// The next `frames` frames are damaged: a YUYV frame cut to two thirds of its length, a
    /// JPEG whose header is overwritten.
    Garbage {
        /// How many frames; `u32::MAX` for ever.
        frames: u32,
    },
    /// The camera is pulled out: every later call of every backend opened so far fails with
    /// "No such device (os error 19)", as V4L2 does, until [`SimCamera::replug`]; backends
    /// opened before the unplug stay dead.
    Unplug,
    /// Another program streams from the camera: setting a format and starting the stream fail
    /// with "Device or resource busy (os error 16)".
    Busy,
    /// The device node is not readable by this user: every call fails with "Permission denied
    /// (os error 13)".
    Denied,
}

/// The error of parsing a [`CameraFault`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a camera fault: use no-frames, stall[:MS], timeout[:N], garbage[:N], unplug, busy or denied (N a count or 'always')")]
pub struct ParseCameraFaultError(String);

impl FromStr for CameraFault {
    type Err = ParseCameraFaultError;

    /// ```
    /// use firmware_sim::camera::CameraFault;
    /// assert_eq!("garbage:2".parse::<CameraFault>().unwrap(), CameraFault::Garbage { frames: 2 });
    /// assert_eq!("timeout:always".parse::<CameraFault>().unwrap(), CameraFault::Timeout { frames: u32::MAX });
    /// assert_eq!("stall".parse::<CameraFault>().unwrap(), CameraFault::Stall { millis: 5000 });
    /// assert!("melt".parse::<CameraFault>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseCameraFaultError(s.to_string());
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let count = |a: Option<&str>| -> Result<u32, ParseCameraFaultError> {
            match a {
                None => Ok(1),
                Some("always") => Ok(u32::MAX),
                Some(n) => n.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(err),
            }
        };
        Ok(match (name, arg) {
            ("no-frames", None) => CameraFault::NoFrames,
            ("stall", a) => CameraFault::Stall {
                millis: a.map_or(Ok(5000), |a| a.parse().map_err(|_| err()))?,
            },
            ("timeout", a) => CameraFault::Timeout { frames: count(a)? },
            ("garbage", a) => CameraFault::Garbage { frames: count(a)? },
            ("unplug", None) => CameraFault::Unplug,
            ("busy", None) => CameraFault::Busy,
            ("denied", None) => CameraFault::Denied,
            _ => return Err(err()),
        })
    }
}

/// The simulated camera, as configured in the `[sim.camera]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CameraSim {
    /// Who sits in front of it.
    pub person: u64,
    /// Their birth year (odd: red backdrop, even: blue).
    pub birth_year: i32,
    /// Deliver frames at the mode's frame rate (false: as fast as asked).
    pub paced: bool,
    /// Sensor noise: frames vary by up to this many levels (0: identical frames).
    pub noise: u8,
    /// Serve the PNG photographs in this folder instead of a synthetic portrait.
    pub photo_folder: Option<PathBuf>,
    /// A fault present from the start (see [`CameraFault`]).
    pub fault: Option<String>,
}

impl Default for CameraSim {
    fn default() -> Self {
        Self {
            person: 1,
            birth_year: 1990,
            paced: false,
            noise: 2,
            photo_folder: None,
            fault: None,
        }
    }
}

impl CameraSim {
    /// Checks every value, naming the key of the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        if !(1900..=2100).contains(&self.birth_year) {
            return Err(format!(
                "sim.camera.birth_year is {}; it must be from 1900 to 2100",
                self.birth_year
            ));
        }
        if self.noise > 32 {
            return Err(format!(
                "sim.camera.noise is {}; it must be from 0 to 32",
                self.noise
            ));
        }
        if let Some(f) = &self.fault {
            f.parse::<CameraFault>()
                .map_err(|e| format!("sim.camera.fault: {e}"))?;
        }
        Ok(())
    }
}

/// What the camera looks at.
#[derive(Debug, Clone)]
enum Scene {
    Portrait(Portrait),
    Photos(Arc<PhotoFolder>),
}

#[derive(Debug)]
struct State {
    scene: Scene,
    /// Bumped whenever the scene changes, so that backends render again.
    version: u64,
    faults: Vec<CameraFault>,
    /// Bumped at every unplug: backends from an older generation are dead.
    generation: u64,
    plugged: bool,
    paced: bool,
    noise: u8,
    frames_served: u64,
    frames_damaged: u64,
    photo: usize,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

/// A handle on a simulated camera: sets its scene, injects faults, makes backends.
#[derive(Debug, Clone)]
pub struct SimCamera {
    shared: Arc<Shared>,
    index: Arc<Mutex<Option<u32>>>,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SimCamera {
    /// A camera configured by `c`.
    pub fn new(c: &CameraSim) -> std::io::Result<Self> {
        c.validate()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let scene = match &c.photo_folder {
            Some(dir) => Scene::Photos(Arc::new(PhotoFolder::open(dir)?)),
            None => Scene::Portrait(Portrait {
                person: c.person,
                birth_year: c.birth_year,
                ..Portrait::default()
            }),
        };
        let faults = c
            .fault
            .as_deref()
            .and_then(|f| f.parse().ok())
            .into_iter()
            .collect();
        Ok(Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    scene,
                    version: 0,
                    faults,
                    generation: 0,
                    plugged: true,
                    paced: c.paced,
                    noise: c.noise,
                    frames_served: 0,
                    frames_damaged: 0,
                    photo: 0,
                }),
                changed: Condvar::new(),
            }),
            index: Arc::new(Mutex::new(None)),
        })
    }

    fn update(&self, f: impl FnOnce(&mut State)) {
        f(&mut lock(&self.shared.state));
        self.shared.changed.notify_all();
    }

    /// Shows `p` from the next frame on.
    pub fn set_portrait(&self, p: Portrait) {
        self.update(|s| {
            s.scene = Scene::Portrait(p);
            s.version += 1;
        });
    }

    /// The portrait shown, if the camera shows one.
    pub fn portrait(&self) -> Option<Portrait> {
        match &lock(&self.shared.state).scene {
            Scene::Portrait(p) => Some(p.clone()),
            Scene::Photos(_) => None,
        }
    }

    /// Shows the photographs of `folder`, the first one first.
    pub fn set_photos(&self, folder: PhotoFolder) {
        self.update(|s| {
            s.scene = Scene::Photos(Arc::new(folder));
            s.photo = 0;
            s.version += 1;
        });
    }

    /// Shows photograph `i` (counted modulo their number) from the next frame on.
    pub fn select_photo(&self, i: usize) {
        self.update(|s| {
            s.photo = i;
            s.version += 1;
        });
    }

    /// Paces frames at the mode's frame rate, or not.
    pub fn set_paced(&self, paced: bool) {
        self.update(|s| s.paced = paced);
    }

    /// Sets the sensor noise (0: every frame identical).
    pub fn set_noise(&self, levels: u8) {
        self.update(|s| s.noise = levels.min(32));
    }

    /// Injects a fault.
    pub fn inject(&self, fault: CameraFault) {
        self.update(|s| {
            if fault == CameraFault::Unplug {
                s.plugged = false;
                s.generation += 1;
            } else {
                s.faults.push(fault);
            }
        });
    }

    /// Removes every fault (an unplugged camera stays unplugged: see [`replug`](Self::replug)).
    pub fn clear_faults(&self) {
        self.update(|s| s.faults.clear());
    }

    /// Plugs the camera back in after an unplug. Backends opened before stay dead.
    pub fn replug(&self) {
        self.update(|s| s.plugged = true);
    }

    /// Whether the camera is plugged in.
    pub fn is_plugged(&self) -> bool {
        lock(&self.shared.state).plugged
    }

    /// Frames delivered so far (damaged ones included).
    pub fn frames_served(&self) -> u64 {
        lock(&self.shared.state).frames_served
    }

    /// Damaged frames delivered so far.
    pub fn frames_damaged(&self) -> u64 {
        lock(&self.shared.state).frames_damaged
    }

    /// A new capture backend on this camera, set to YUYV 640x480, as `index`.
    pub fn backend(&self) -> SimCameraBackend {
        let index = self.index().unwrap_or(0);
        let generation = lock(&self.shared.state).generation;
        SimCameraBackend {
            shared: self.shared.clone(),
            generation,
            info: CameraInfo::new(
                MODEL,
                "firmware-sim (nokhwa custom backend)",
                "",
                CameraIndex::Index(index),
            ),
            format: mode(0),
            open: false,
            next_due: None,
            cache: None,
            frame_no: 0,
        }
    }

    /// Makes this camera visible to the `simcam` driver in this process, as `camera:N` with
    /// the lowest free N; returns N. It stays listed while any handle on it lives.
    pub fn plug_in(&self) -> u32 {
        let mut index = self
            .index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(i) = *index {
            return i;
        }
        let mut plugged = registry();
        plugged.retain(|(_, w)| w.strong_count() > 0);
        let i = (0u32..)
            .find(|i| plugged.iter().all(|(j, _)| j != i))
            .unwrap_or(0);
        plugged.push((i, Arc::downgrade(&self.shared)));
        *index = Some(i);
        i
    }

    /// The number the `simcam` driver knows this camera by, once plugged in.
    pub fn index(&self) -> Option<u32> {
        *self
            .index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A one-line description for listings.
    pub fn describe(&self) -> String {
        let s = lock(&self.shared.state);
        let scene = match &s.scene {
            Scene::Portrait(p) => format!(
                "person {}, born {}, {} backdrop",
                p.person,
                p.birth_year,
                if face::background(p.birth_year) == face::KTP_RED {
                    "red"
                } else {
                    "blue"
                }
            ),
            Scene::Photos(f) => format!("{} photographs from {}", f.len(), f.dir().display()),
        };
        format!("{MODEL} ({scene})")
    }
}

type Plugged = Vec<(u32, Weak<Shared>)>;

fn registry() -> MutexGuard<'static, Plugged> {
    static PLUGGED: Mutex<Plugged> = Mutex::new(Vec::new());
    PLUGGED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The simulated cameras plugged into this process, by number.
pub fn plugged_in() -> Vec<(u32, SimCamera)> {
    let mut out: Vec<(u32, SimCamera)> = registry()
        .iter()
        .filter_map(|(i, w)| {
            w.upgrade().map(|shared| {
                (
                    *i,
                    SimCamera {
                        shared,
                        index: Arc::new(Mutex::new(Some(*i))),
                    },
                )
            })
        })
        .filter(|(_, c)| c.is_plugged())
        .collect();
    out.sort_by_key(|(i, _)| *i);
    out
}

fn mode(i: usize) -> CameraFormat {
    let (f, w, h, fps) = MODES[i.min(MODES.len() - 1)];
    CameraFormat::new(Resolution::new(w, h), f, fps)
}

/// The simulated camera as a nokhwa capture backend.
pub struct SimCameraBackend {
    shared: Arc<Shared>,
    generation: u64,
    info: CameraInfo,
    format: CameraFormat,
    open: bool,
    next_due: Option<Instant>,
    /// The scene rendered at the current size: (scene version, size, picture).
    cache: Option<(u64, Resolution, Arc<RgbImage>)>,
    frame_no: u64,
}

impl fmt::Debug for SimCameraBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimCameraBackend")
            .field("format", &self.format.to_string())
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

fn os_error(e: nix::errno::Errno) -> String {
    std::io::Error::from(e).to_string()
}

impl SimCameraBackend {
    /// Fails as the real device would: unplugged (for this backend's generation) or denied.
    fn check(&self) -> Result<(), NokhwaError> {
        let s = lock(&self.shared.state);
        if !s.plugged || s.generation != self.generation {
            return Err(NokhwaError::GeneralError(os_error(
                nix::errno::Errno::ENODEV,
            )));
        }
        if s.faults.contains(&CameraFault::Denied) {
            return Err(NokhwaError::OpenDeviceError(
                self.info.index().as_string(),
                format!("V4L2 Error: {}", os_error(nix::errno::Errno::EACCES)),
            ));
        }
        Ok(())
    }

    fn check_busy(&self, what: &str) -> Result<(), NokhwaError> {
        self.check()?;
        if lock(&self.shared.state).faults.contains(&CameraFault::Busy) {
            return Err(NokhwaError::SetPropertyError {
                property: what.to_string(),
                value: self.format.to_string(),
                error: os_error(nix::errno::Errno::EBUSY),
            });
        }
        Ok(())
    }

    /// Waits for the next frame's turn and applies the read faults. Returns whether the frame
    /// is to be damaged.
    fn wait_for_frame(&mut self) -> Result<bool, NokhwaError> {
        let mut s = lock(&self.shared.state);
        loop {
            if !s.plugged || s.generation != self.generation {
                return Err(NokhwaError::ReadFrameError(os_error(
                    nix::errno::Errno::ENODEV,
                )));
            }
            if s.faults.contains(&CameraFault::NoFrames) {
                // Like a V4L2 read without a timeout: wait until something changes.
                s = self
                    .shared
                    .changed
                    .wait_timeout(s, Duration::from_millis(200))
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
                continue;
            }
            break;
        }
        if let Some(i) = s
            .faults
            .iter()
            .position(|f| matches!(f, CameraFault::Timeout { .. }))
        {
            if let CameraFault::Timeout { frames } = &mut s.faults[i] {
                if *frames != u32::MAX {
                    *frames -= 1;
                    if *frames == 0 {
                        s.faults.remove(i);
                    }
                }
            }
            drop(s);
            std::thread::sleep(TIMEOUT_FAULT_WAIT);
            return Err(NokhwaError::ReadFrameError(os_error(
                nix::errno::Errno::ETIMEDOUT,
            )));
        }
        let stall = s
            .faults
            .iter()
            .position(|f| matches!(f, CameraFault::Stall { .. }));
        let stall = stall.map(|i| match s.faults.remove(i) {
            CameraFault::Stall { millis } => millis,
            _ => 0,
        });
        let mut damaged = false;
        if let Some(i) = s
            .faults
            .iter()
            .position(|f| matches!(f, CameraFault::Garbage { .. }))
        {
            damaged = true;
            if let CameraFault::Garbage { frames } = &mut s.faults[i] {
                if *frames != u32::MAX {
                    *frames -= 1;
                    if *frames == 0 {
                        s.faults.remove(i);
                    }
                }
            }
        }
        let paced = s.paced;
        drop(s);
        if let Some(ms) = stall {
            std::thread::sleep(Duration::from_millis(ms));
        }
        if paced {
            let period = Duration::from_secs(1) / self.format.frame_rate().max(1);
            let now = Instant::now();
            let due = self.next_due.unwrap_or(now).max(now);
            std::thread::sleep(due - now);
            self.next_due = Some(due + period);
        }
        Ok(damaged)
    }

    /// The scene at the current size, rendered once per scene change.
    fn picture(&mut self) -> Result<Arc<RgbImage>, NokhwaError> {
        let res = self.format.resolution();
        let (version, scene, photo) = {
            let s = lock(&self.shared.state);
            (s.version, s.scene.clone(), s.photo)
        };
        if let Some((v, r, img)) = &self.cache {
            if *v == version && *r == res {
                return Ok(img.clone());
            }
        }
        let img = match scene {
            Scene::Portrait(p) => face::render(&p, res.width(), res.height()),
            Scene::Photos(folder) => folder
                .frame(photo, res.width(), res.height())
                .map_err(|e| NokhwaError::ReadFrameError(format!("photo folder: {e}")))?,
        };
        let img = Arc::new(img);
        self.cache = Some((version, res, img.clone()));
        Ok(img)
    }
}

impl CaptureBackendTrait for SimCameraBackend {
    fn backend(&self) -> ApiBackend {
        // nokhwa has no variant for custom backends; Auto says "not one of nokhwa's own".
        ApiBackend::Auto
    }

    fn camera_info(&self) -> &CameraInfo {
        &self.info
    }

    fn refresh_camera_format(&mut self) -> Result<(), NokhwaError> {
        self.check()
    }

    fn camera_format(&self) -> CameraFormat {
        self.format
    }

    fn set_camera_format(&mut self, new_fmt: CameraFormat) -> Result<(), NokhwaError> {
        self.check_busy("Resolution, FrameFormat")?;
        if !MODES.iter().enumerate().any(|(i, _)| mode(i) == new_fmt) {
            return Err(NokhwaError::SetPropertyError {
                property: "Resolution, FrameFormat".into(),
                value: new_fmt.to_string(),
                error: os_error(nix::errno::Errno::EINVAL),
            });
        }
        self.format = new_fmt;
        self.next_due = None;
        Ok(())
    }

    fn compatible_list_by_resolution(
        &mut self,
        fourcc: FrameFormat,
    ) -> Result<HashMap<Resolution, Vec<u32>>, NokhwaError> {
        self.check()?;
        let mut m: HashMap<Resolution, Vec<u32>> = HashMap::new();
        for (f, w, h, fps) in MODES {
            if f == fourcc {
                m.entry(Resolution::new(w, h)).or_default().push(fps);
            }
        }
        Ok(m)
    }

    fn compatible_fourcc(&mut self) -> Result<Vec<FrameFormat>, NokhwaError> {
        self.check()?;
        Ok(vec![FrameFormat::YUYV, FrameFormat::MJPEG])
    }

    fn resolution(&self) -> Resolution {
        self.format.resolution()
    }

    fn set_resolution(&mut self, new_res: Resolution) -> Result<(), NokhwaError> {
        let mut f = self.format;
        f.set_resolution(new_res);
        self.set_camera_format(f)
    }

    fn frame_rate(&self) -> u32 {
        self.format.frame_rate()
    }

    fn set_frame_rate(&mut self, new_fps: u32) -> Result<(), NokhwaError> {
        let mut f = self.format;
        f.set_frame_rate(new_fps);
        self.set_camera_format(f)
    }

    fn frame_format(&self) -> FrameFormat {
        self.format.format()
    }

    fn set_frame_format(&mut self, fourcc: FrameFormat) -> Result<(), NokhwaError> {
        let mut f = self.format;
        f.set_format(fourcc);
        self.set_camera_format(f)
    }

    fn camera_control(&self, _control: KnownCameraControl) -> Result<CameraControl, NokhwaError> {
        Err(NokhwaError::UnsupportedOperationError(ApiBackend::Auto))
    }

    fn camera_controls(&self) -> Result<Vec<CameraControl>, NokhwaError> {
        self.check()?;
        Ok(Vec::new())
    }

    fn set_camera_control(
        &mut self,
        _id: KnownCameraControl,
        _value: ControlValueSetter,
    ) -> Result<(), NokhwaError> {
        Err(NokhwaError::UnsupportedOperationError(ApiBackend::Auto))
    }

    fn open_stream(&mut self) -> Result<(), NokhwaError> {
        self.check_busy("stream")
            .map_err(|e| NokhwaError::OpenStreamError(e.to_string()))?;
        self.open = true;
        self.next_due = None;
        Ok(())
    }

    fn is_stream_open(&self) -> bool {
        self.open
    }

    fn frame(&mut self) -> Result<Buffer, NokhwaError> {
        if !self.open {
            return Err(NokhwaError::ReadFrameError("Stream Not Started".into()));
        }
        let damaged = self.wait_for_frame()?;
        let pic = self.picture()?;
        let noise = lock(&self.shared.state).noise;
        self.frame_no += 1;
        let seed = self.frame_no;
        let mut bytes = match self.format.format() {
            FrameFormat::YUYV => encode_yuyv(&pic, noise, seed),
            _ => encode_mjpeg(&pic, noise, seed)?,
        };
        if damaged {
            damage(&mut bytes, self.format.format());
        }
        {
            let mut s = lock(&self.shared.state);
            s.frames_served += 1;
            if damaged {
                s.frames_damaged += 1;
            }
        }
        Ok(Buffer::new(
            self.format.resolution(),
            &bytes,
            self.format.format(),
        ))
    }

    fn frame_raw(&mut self) -> Result<Cow<'_, [u8]>, NokhwaError> {
        Ok(Cow::Owned(self.frame()?.buffer().to_vec()))
    }

    fn stop_stream(&mut self) -> Result<(), NokhwaError> {
        // Releasing a stream never fails, even on a vanished device (as with nokhwa's V4L2
        // backend); nokhwa's Camera unwraps this in its drop.
        self.open = false;
        Ok(())
    }
}

/// Spoils a frame the way a bad USB link does.
fn damage(bytes: &mut Vec<u8>, format: FrameFormat) {
    match format {
        FrameFormat::MJPEG => {
            for b in bytes.iter_mut().take(64) {
                *b = 0x5A;
            }
        }
        _ => {
            let keep = bytes.len() * 2 / 3 / 4 * 4;
            bytes.truncate(keep);
        }
    }
}

/// A cheap deterministic noise source (xorshift64*).
struct Noise(u64);

impl Noise {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Encodes RGB as YUYV 4:2:2 with BT.601 studio-range coefficients, adding up to `noise`
/// levels of luma noise.
pub fn encode_yuyv(img: &RgbImage, noise: u8, seed: u64) -> Vec<u8> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let src = img.as_raw();
    let mut out = Vec::with_capacity(w * h * 2);
    let mut rng = Noise::new(seed);
    let span = i32::from(noise) * 2 + 1;
    let mut bits = 0u64;
    let mut left = 0;
    let mut jitter = || -> i32 {
        if noise == 0 {
            return 0;
        }
        if left == 0 {
            bits = rng.next();
            left = 8;
        }
        let v = (bits & 0xFF) as i32;
        bits >>= 8;
        left -= 1;
        v % span - i32::from(noise)
    };
    for y in 0..h {
        let row = &src[y * w * 3..(y + 1) * w * 3];
        for pair in row.chunks(6) {
            let (r0, g0, b0) = (i32::from(pair[0]), i32::from(pair[1]), i32::from(pair[2]));
            let (r1, g1, b1) = if pair.len() == 6 {
                (i32::from(pair[3]), i32::from(pair[4]), i32::from(pair[5]))
            } else {
                (r0, g0, b0)
            };
            let y0 = ((66 * r0 + 129 * g0 + 25 * b0 + 128) >> 8) + 16 + jitter();
            let y1 = ((66 * r1 + 129 * g1 + 25 * b1 + 128) >> 8) + 16 + jitter();
            let (r, g, b) = ((r0 + r1) / 2, (g0 + g1) / 2, (b0 + b1) / 2);
            let u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
            let v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
            out.extend_from_slice(&[
                y0.clamp(0, 255) as u8,
                u.clamp(0, 255) as u8,
                y1.clamp(0, 255) as u8,
                v.clamp(0, 255) as u8,
            ]);
        }
    }
    out
}

/// Encodes RGB as a baseline JPEG with 4:2:2 chroma (as UVC cameras send MJPEG), adding up
/// to `noise` levels of noise.
pub fn encode_mjpeg(img: &RgbImage, noise: u8, seed: u64) -> Result<Vec<u8>, NokhwaError> {
    let noisy;
    let data: &[u8] = if noise == 0 {
        img.as_raw()
    } else {
        let mut v = img.as_raw().clone();
        let mut rng = Noise::new(seed);
        let span = u64::from(noise) * 2 + 1;
        for px in v.chunks_mut(3) {
            let d = (rng.next() >> 40) % span;
            let d = d as i32 - i32::from(noise);
            for c in px {
                *c = (i32::from(*c) + d).clamp(0, 255) as u8;
            }
        }
        noisy = v;
        &noisy
    };
    let (w, h) = (img.width() as usize, img.height() as usize);
    // mozjpeg reports errors by unwinding.
    catch_unwind(AssertUnwindSafe(|| -> std::io::Result<Vec<u8>> {
        let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
        c.set_size(w, h);
        c.set_fastest_defaults();
        c.set_quality(88.0);
        c.set_chroma_sampling_pixel_sizes((2, 1), (2, 1));
        let mut started = c.start_compress(Vec::with_capacity(w * h / 4))?;
        started.write_scanlines(data)?;
        started.finish()
    }))
    .map_err(|_| NokhwaError::ReadFrameError("the JPEG encoder failed".into()))?
    .map_err(|e| NokhwaError::ReadFrameError(format!("the JPEG encoder failed: {e}")))
}

/// Real photographs served as camera frames: the PNG files of a folder, in name order, each
/// scaled to fit the frame and centred on black.
#[derive(Debug)]
pub struct PhotoFolder {
    dir: PathBuf,
    files: Vec<PathBuf>,
    loaded: Mutex<HashMap<usize, Arc<RgbImage>>>,
}

impl PhotoFolder {
    /// The PNG files of `dir`; fails if there are none.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e.eq_ignore_ascii_case("png"))
            })
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} holds no PNG photographs", dir.display()),
            ));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            files,
            loaded: Mutex::new(HashMap::new()),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many photographs.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are none (never, once opened).
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Photograph `i` (modulo their number) as loaded.
    pub fn photo(&self, i: usize) -> Result<Arc<RgbImage>, image::ImageError> {
        let i = i % self.files.len();
        let mut loaded = self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(img) = loaded.get(&i) {
            return Ok(img.clone());
        }
        let img = Arc::new(image::open(&self.files[i])?.to_rgb8());
        loaded.insert(i, img.clone());
        Ok(img)
    }

    /// Photograph `i` fitted into `width` x `height`.
    pub fn frame(&self, i: usize, width: u32, height: u32) -> Result<RgbImage, image::ImageError> {
        let photo = self.photo(i)?;
        Ok(letterbox(&photo, width, height))
    }
}

/// `img` scaled to fit `width` x `height` keeping its proportions, centred on black.
pub fn letterbox(img: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (iw, ih) = (img.width().max(1), img.height().max(1));
    let k = (f64::from(width) / f64::from(iw)).min(f64::from(height) / f64::from(ih));
    let sw = ((f64::from(iw) * k).round() as u32).clamp(1, width);
    let sh = ((f64::from(ih) * k).round() as u32).clamp(1, height);
    let scaled = image::imageops::resize(img, sw, sh, image::imageops::FilterType::Triangle);
    let mut out = RgbImage::new(width, height);
    image::imageops::replace(
        &mut out,
        &scaled,
        i64::from((width - sw) / 2),
        i64::from((height - sh) / 2),
    );
    out
}

/// The `simcam` driver: the simulated cameras plugged into this process, through the same
/// `rekam-camera` driver as real cameras, with the simulator's backend plugged in through
/// nokhwa's custom-backend seam.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimCameraFactory;

/// The index N of a `camera:N` selector, or a sentence.
fn sim_camera_index(selector: &Selector) -> Result<u32, DeviceError> {
    match selector {
        Selector::Camera(c) => c.trim().parse::<u32>().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        DeviceError::new(
            ErrorKind::InvalidInput,
            format!("the simcam driver opens simulated cameras: its port must be camera:N, not '{selector}'"),
        )
    })
}

impl DriverFactory for SimCameraFactory {
    fn name(&self) -> &'static str {
        "simcam"
    }

    fn kind(&self) -> DeviceKind {
        DeviceKind::Camera
    }

    fn list(&self, _system: &SystemSnapshot) -> Vec<DeviceDescriptor> {
        let offered = MODES
            .iter()
            .enumerate()
            .map(|(i, _)| mode(i))
            .collect::<Vec<_>>();
        plugged_in()
            .into_iter()
            .map(|(i, cam)| DeviceDescriptor {
                driver: "simcam".into(),
                kind: DeviceKind::Camera,
                selector: format!("camera:{i}"),
                description: format!("{}: {}", cam.describe(), rekam_camera::summarise(&offered)),
            })
            .collect()
    }

    fn validate(&self, selector: &Selector, options: &Options) -> Result<(), DeviceError> {
        sim_camera_index(selector)?;
        rekam_camera::config("simcam", options).map(drop)
    }

    fn open(&self, selector: &Selector, options: &Options) -> Result<Box<dyn Device>, DeviceError> {
        let config = rekam_camera::config("simcam", options)?;
        let which = sim_camera_index(selector)?;
        let Some((_, cam)) = plugged_in().into_iter().find(|(i, _)| *i == which) else {
            return Err(DeviceError::new(
                ErrorKind::NotFound,
                format!("no simulated camera {which} is plugged into this process: a simulated camera lives in the process that uses it (rekam demo, or rekam diag with a [sim.camera] table)"),
            ));
        };
        let source =
            rekam_camera::BackendSource::new(format!("camera:{which}"), "simcam", cam.backend());
        Ok(Box::new(rekam_camera::Webcam::open(source, config)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse() {
        assert_eq!("no-frames".parse(), Ok(CameraFault::NoFrames));
        assert_eq!("stall:250".parse(), Ok(CameraFault::Stall { millis: 250 }));
        assert_eq!("unplug".parse(), Ok(CameraFault::Unplug));
        assert!("no-frames:3".parse::<CameraFault>().is_err());
        assert!("garbage:0".parse::<CameraFault>().is_err());
    }

    #[test]
    fn yuyv_round_trips_through_nokhwas_decoder() {
        let img = face::render(&Portrait::default(), 64, 36);
        let yuyv = encode_yuyv(&img, 0, 1);
        assert_eq!(yuyv.len(), 64 * 36 * 2);
        let back = nokhwa_core::types::yuyv422_to_rgb(&yuyv, false).unwrap();
        let bg = face::KTP_BLUE;
        for k in 0..3 {
            let d = (i32::from(back[k]) - i32::from(bg[k])).abs();
            assert!(d <= 3, "channel {k}: {} vs {}", back[k], bg[k]);
        }
    }

    #[test]
    fn mjpeg_frames_are_jpegs_of_the_size() {
        let img = face::render(&Portrait::default(), 64, 32);
        let jpeg = encode_mjpeg(&img, 2, 1).unwrap();
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        let back = nokhwa_core::types::mjpeg_to_rgb(&jpeg, false).unwrap();
        assert_eq!(back.len(), 64 * 32 * 3);
    }

    #[test]
    fn letterbox_keeps_proportions() {
        let img = RgbImage::from_pixel(100, 100, image::Rgb([200, 10, 10]));
        let out = letterbox(&img, 160, 80);
        assert_eq!(out.dimensions(), (160, 80));
        assert_eq!(out.get_pixel(80, 40).0, [200, 10, 10]);
        assert_eq!(out.get_pixel(5, 40).0, [0, 0, 0]);
    }
}
