//! Driver for the station's face camera, through [nokhwa](https://docs.rs/nokhwa/0.10).
//!
//! [`Webcam`] drives a `nokhwa::Camera` from any [`CameraSource`]: a V4L2 camera
//! ([`V4lSource`], nokhwa's `input-v4l` backend) in the field, or any nokhwa capture backend
//! plugged in through nokhwa's custom-backend seam ([`BackendSource`], `Camera::with_custom`):
//! firmware-sim's simulated camera in the tests. Either way the frames go through nokhwa's own
//! decoders (YUYV, MJPEG, NV12, RGB). The camera lives on its own thread so that a camera that
//! stops delivering costs the caller a deadline ([`Config::frame_timeout`]), not a hang.
//!
//! ```no_run
//! use rekam_camera::{Config, V4lSource, Webcam};
//! let mut cam = Webcam::open(V4lSource::parse("/dev/video0")?, Config::default())?;
//! let live = cam.preview_frame()?; // 1280x720, fast
//! let still = cam.still()?; // the largest picture the camera offers
//! std::fs::write("face.png", still.to_png()?)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod driver;
mod error;
pub mod frame;
mod source;
mod worker;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

pub use driver::{
    choose_preview, choose_still, show, summarise, CameraDescription, Config, FormatChoice,
    FrameStats, Webcam, CONTROL_TIMEOUT,
};
pub use error::{Cause, Error};
pub use nokhwa;
pub use source::{BackendSource, CameraSource, V4lSource, DECODED_FORMATS};

use nokhwa::utils::ApiBackend;
use rekam_device::{
    Device, DeviceDescriptor, DeviceError, DeviceKind, DriverFactory, ErrorKind, Options, Selector,
    SystemSnapshot,
};

/// The options the camera drivers take.
pub const OPTIONS: &[&str] = &[
    "width",
    "height",
    "format",
    "fps",
    "frame_timeout_ms",
    "regrabs",
    "settle_frames",
];

/// Builds the driver configuration from options (`width`, `height`, `format` = auto, yuyv or
/// mjpeg, `fps`, `frame_timeout_ms`, `regrabs`, `settle_frames`).
///
/// ```
/// use rekam_device::Options;
/// use rekam_camera::{config, FormatChoice};
/// let c = config("v4l", &Options::new().set("width", 640).set("height", 480).set("format", "mjpeg")).unwrap();
/// assert_eq!((c.width, c.height, c.format), (640, 480, FormatChoice::Mjpeg));
/// assert!(config("v4l", &Options::new().set("format", "h264")).is_err());
/// assert!(config("v4l", &Options::new().set("widht", 640)).is_err());
/// ```
pub fn config(driver: &str, options: &Options) -> Result<Config, DeviceError> {
    options.reject_unknown(driver, OPTIONS)?;
    let mut c = Config::default();
    if let Some(v) = options.u32("width", 16, 8192)? {
        c.width = v;
    }
    if let Some(v) = options.u32("height", 16, 8192)? {
        c.height = v;
    }
    if let Some(raw) = options.get("format") {
        c.format = FormatChoice::parse(raw).ok_or_else(|| {
            DeviceError::new(
                ErrorKind::InvalidInput,
                format!("the option 'format' is '{raw}'; it must be auto, yuyv or mjpeg"),
            )
        })?;
    }
    if let Some(v) = options.u32("fps", 1, 240)? {
        c.fps = v;
    }
    if let Some(v) = options.u32("frame_timeout_ms", 50, 60_000)? {
        c.frame_timeout = Duration::from_millis(u64::from(v));
    }
    if let Some(v) = options.u32("regrabs", 0, 20)? {
        c.regrabs = v;
    }
    if let Some(v) = options.u32("settle_frames", 0, 100)? {
        c.settle_frames = v;
    }
    Ok(c)
}

/// A camera this machine has, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraListing {
    /// How to select it (`/dev/video0`).
    pub selector: String,
    /// Its name.
    pub name: String,
    /// Its formats, or why they could not be read.
    pub formats: String,
}

/// Lists the V4L2 cameras with their formats. A machine without `/dev/video*` gives an empty
/// list; nothing here panics (nokhwa's listing is run under `catch_unwind`, as the v4l crate
/// unwraps on odd device names).
pub fn list_v4l() -> (Vec<CameraListing>, Vec<String>) {
    let mut notes = Vec::new();
    let infos = match catch_unwind(AssertUnwindSafe(|| nokhwa::query(ApiBackend::Video4Linux))) {
        Ok(Ok(infos)) => infos,
        Ok(Err(e)) => {
            notes.push(format!("cameras could not be listed: {e}"));
            return (Vec::new(), notes);
        }
        Err(_) => {
            notes.push("cameras could not be listed: the V4L2 listing failed on an unexpected device name under /dev".into());
            return (Vec::new(), notes);
        }
    };
    if infos.is_empty() {
        notes.push("no cameras: this machine has no /dev/video* devices (is the camera plugged in and its driver, e.g. uvcvideo, loaded?)".into());
    }
    let mut cameras = Vec::new();
    for info in infos {
        let Ok(index) = info.index().as_index() else {
            continue;
        };
        let formats = match Webcam::probe(V4lSource::new(index)) {
            Ok((_, offered)) => {
                let usable: Vec<_> = offered
                    .into_iter()
                    .filter(|f| DECODED_FORMATS.contains(&f.format()))
                    .collect();
                if usable.is_empty() {
                    // UVC cameras add a metadata node with no picture formats.
                    tracing::debug!(index, "skipping a video node without picture formats");
                    continue;
                }
                summarise(&usable)
            }
            // nokhwa opens a V4L2 node by fulfilling a format request; a node with no picture
            // format (a UVC metadata node) fails that way.
            Err(Error::Backend {
                source: nokhwa::NokhwaError::GetPropertyError { property, .. },
                ..
            }) if property == "CameraFormat" => continue,
            Err(e) => format!("formats unknown: {e}"),
        };
        cameras.push(CameraListing {
            selector: format!("/dev/video{index}"),
            name: info.human_name(),
            formats,
        });
    }
    (cameras, notes)
}

/// The factory for the `v4l` driver: V4L2 cameras through nokhwa.
#[derive(Debug, Clone, Copy, Default)]
pub struct CameraFactory;

/// The camera `selector` names, or a sentence.
fn camera_of(selector: &Selector) -> Result<&str, DeviceError> {
    match selector {
        Selector::Camera(which) => Ok(which),
        other => Err(DeviceError::new(
            ErrorKind::InvalidInput,
            format!("the v4l driver opens cameras: its port must be /dev/videoN, a /dev/v4l/by-id/... link, or camera:N, not '{other}'"),
        )),
    }
}

impl DriverFactory for CameraFactory {
    fn name(&self) -> &'static str {
        "v4l"
    }

    fn kind(&self) -> DeviceKind {
        DeviceKind::Camera
    }

    fn list(&self, _system: &SystemSnapshot) -> Vec<DeviceDescriptor> {
        let (cameras, notes) = list_v4l();
        for n in notes {
            tracing::info!("{n}");
        }
        cameras
            .into_iter()
            .map(|c| DeviceDescriptor {
                driver: "v4l".into(),
                kind: DeviceKind::Camera,
                selector: c.selector,
                description: format!("{}: {}", c.name, c.formats),
            })
            .collect()
    }

    fn validate(&self, selector: &Selector, options: &Options) -> Result<(), DeviceError> {
        camera_of(selector)?;
        config("v4l", options).map(drop)
    }

    fn open(&self, selector: &Selector, options: &Options) -> Result<Box<dyn Device>, DeviceError> {
        let which = camera_of(selector)?;
        let config = config("v4l", options)?;
        let source = V4lSource::parse(which)?;
        Ok(Box::new(Webcam::open(source, config)?))
    }
}

#[cfg(test)]
mod tests;
