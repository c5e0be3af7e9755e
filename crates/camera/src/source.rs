//! Where a `nokhwa::Camera` comes from: a V4L2 device, or any nokhwa capture backend plugged
//! in through nokhwa's custom-backend seam (`Camera::with_custom`).

use std::path::Path;

use nokhwa::camera_traits::CaptureBackendTrait;
use nokhwa::utils::{ApiBackend, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType};
use nokhwa::{Camera, NokhwaError};

use crate::error::Error;

/// The picture formats the driver decodes (through nokhwa), most preferred first.
pub const DECODED_FORMATS: [FrameFormat; 5] = [
    FrameFormat::YUYV,
    FrameFormat::MJPEG,
    FrameFormat::NV12,
    FrameFormat::RAWRGB,
    FrameFormat::RAWBGR,
];

/// Opens a `nokhwa::Camera`. The driver calls [`open`](CameraSource::open) on the camera's own
/// thread, where the camera then lives until it is closed, so a source only needs to be `Send`.
pub trait CameraSource: Send + 'static {
    /// Where the camera is, for messages (`/dev/video0`, `sim:0`).
    fn port(&self) -> String;

    /// The driver name reported in the device information (`v4l`, `simcam`).
    fn driver(&self) -> &'static str;

    /// Whether the camera is known to be a program, not hardware; recorded with every capture.
    fn simulated(&self) -> bool {
        false
    }

    /// Opens the camera.
    fn open(self) -> Result<Camera, NokhwaError>;
}

/// A V4L2 camera, opened through nokhwa's `input-v4l` backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V4lSource {
    index: u32,
    port: String,
}

impl V4lSource {
    /// The camera at `/dev/video{index}`.
    pub fn new(index: u32) -> Self {
        Self {
            index,
            port: format!("/dev/video{index}"),
        }
    }

    /// The camera named by a selector's text: a number `N`, `/dev/videoN`, or a link to a
    /// device node such as `/dev/v4l/by-id/usb-...-video-index0`.
    ///
    /// ```
    /// use rekam_camera::V4lSource;
    /// assert_eq!(V4lSource::parse("/dev/video2").unwrap(), V4lSource::new(2));
    /// assert_eq!(V4lSource::parse("0").unwrap(), V4lSource::new(0));
    /// assert!(V4lSource::parse("/dev/v4l/by-id/absent-camera").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        if let Ok(index) = text.parse::<u32>() {
            return Ok(Self::new(index));
        }
        if let Some(index) = node_index(text) {
            return Ok(Self {
                index,
                port: text.to_string(),
            });
        }
        // A link (by-id, by-path, a udev alias): follow it to the device node.
        let resolved = std::fs::canonicalize(Path::new(text)).map_err(|_| Error::NotFound {
            port: text.to_string(),
        })?;
        let resolved = resolved.to_string_lossy();
        match node_index(&resolved) {
            Some(index) => Ok(Self {
                index,
                port: text.to_string(),
            }),
            None => Err(Error::Config(format!(
                "'{text}' leads to {resolved}, which is not a V4L2 video device (/dev/videoN)"
            ))),
        }
    }

    /// The device number N of `/dev/videoN`.
    pub fn index(&self) -> u32 {
        self.index
    }
}

/// N for `/dev/videoN`.
fn node_index(path: &str) -> Option<u32> {
    path.strip_prefix("/dev/video")?.parse().ok()
}

impl CameraSource for V4lSource {
    fn port(&self) -> String {
        self.port.clone()
    }

    fn driver(&self) -> &'static str {
        "v4l"
    }

    fn open(self) -> Result<Camera, NokhwaError> {
        // Any decodable format will do here; the driver chooses one right after opening.
        Camera::with_backend(
            CameraIndex::Index(self.index),
            RequestedFormat::with_formats(RequestedFormatType::None, &DECODED_FORMATS),
            ApiBackend::Video4Linux,
        )
    }
}

/// Any nokhwa capture backend (the simulator's, a test's), plugged in through
/// `Camera::with_custom`. The backend must already have a format set. Rekam plugs in only
/// programs this way, so its captures are reported as simulated.
pub struct BackendSource {
    port: String,
    driver: &'static str,
    index: CameraIndex,
    backend: Box<dyn CaptureBackendTrait + Send>,
}

impl std::fmt::Debug for BackendSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendSource")
            .field("port", &self.port)
            .field("driver", &self.driver)
            .finish_non_exhaustive()
    }
}

impl BackendSource {
    /// `backend`, reported as `driver` at `port`.
    pub fn new(
        port: impl Into<String>,
        driver: &'static str,
        backend: impl CaptureBackendTrait + Send + 'static,
    ) -> Self {
        let index = backend.camera_info().index().clone();
        Self {
            port: port.into(),
            driver,
            index,
            backend: Box::new(backend),
        }
    }
}

impl CameraSource for BackendSource {
    fn port(&self) -> String {
        self.port.clone()
    }

    fn driver(&self) -> &'static str {
        self.driver
    }

    fn simulated(&self) -> bool {
        true
    }

    fn open(self) -> Result<Camera, NokhwaError> {
        let api = self.backend.backend();
        Ok(Camera::with_custom(self.index, api, self.backend))
    }
}
