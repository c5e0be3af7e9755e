//! The camera driver's errors: sentences a technician can act on, with a coarse kind.
//!
//! nokhwa reports operating-system failures as text (`"V4L2 Error: Device or resource busy (os
//! error 16)"`), so [`Cause::of`] reads the errno back out of the text; the driver then turns it
//! into an [`Error`] that says what to do.

use nokhwa::NokhwaError;
use rekam_device::{DeviceError, ErrorKind};

/// What can go wrong with a camera.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Nothing at the selected place.
    #[error(
        "no camera at {port}: is it plugged in? `rekam diag` lists the cameras this machine sees"
    )]
    NotFound {
        /// The camera's device node or name.
        port: String,
    },
    /// Another program holds the camera.
    #[error("the camera {port} is in use by another program (a browser, a video call, another rekam): close it and try again")]
    Busy {
        /// The camera's device node or name.
        port: String,
    },
    /// The operating system refused access.
    #[error("permission denied opening the camera {port}: add the station user to the 'video' group (then log in again)")]
    PermissionDenied {
        /// The camera's device node or name.
        port: String,
    },
    /// The camera went away while in use.
    #[error("the camera {port} went away ({detail}): is its USB cable still plugged in? Plug it back in and open the camera again")]
    Disconnected {
        /// The camera's device node or name.
        port: String,
        /// What the operating system said.
        detail: String,
    },
    /// No frame arrived in time.
    #[error("the camera {port} delivered no frame within {millis} ms: unplug it and plug it back in; if that does not help, try another USB port or cable")]
    NoFrames {
        /// The camera's device node or name.
        port: String,
        /// How long the driver waited.
        millis: u64,
    },
    /// Frames kept arriving damaged.
    #[error("the camera {port} sent {frames} damaged frames in a row ({detail}): check the USB cable and plug the camera directly into the computer, not through a hub")]
    Damaged {
        /// The camera's device node or name.
        port: String,
        /// How many damaged frames arrived before the driver gave up.
        frames: u32,
        /// What was wrong with the last one.
        detail: String,
    },
    /// The camera offers no picture format the driver decodes.
    #[error("the camera {port} offers none of the picture formats Rekam decodes (YUYV, MJPEG, NV12, RGB); it offers: {offered}")]
    NoUsableFormat {
        /// The camera's device node or name.
        port: String,
        /// What it offers.
        offered: String,
    },
    /// The configured resolution or format is not offered.
    #[error("the camera {port} does not offer {wanted}; set [camera] width, height and format to one of: {offered}")]
    NoSuchFormat {
        /// The camera's device node or name.
        port: String,
        /// What was asked for.
        wanted: String,
        /// What it offers.
        offered: String,
    },
    /// Any other failure reported by nokhwa.
    #[error("the camera {port} failed to {what}: {source}")]
    Backend {
        /// The camera's device node or name.
        port: String,
        /// What the driver was doing.
        what: &'static str,
        /// nokhwa's error.
        #[source]
        source: NokhwaError,
    },
    /// The camera's thread ended unexpectedly.
    #[error("the driver for the camera {port} stopped unexpectedly while trying to {what}; open the camera again")]
    Stopped {
        /// The camera's device node or name.
        port: String,
        /// What the driver was doing.
        what: &'static str,
    },
    /// A configuration value is not acceptable.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// The coarse kind, for deciding between retrying and asking someone.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Busy { .. } => ErrorKind::Busy,
            Error::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            Error::Disconnected { .. } | Error::Stopped { .. } => ErrorKind::Disconnected,
            Error::NoFrames { .. } => ErrorKind::Timeout,
            Error::Damaged { .. } => ErrorKind::Protocol,
            Error::NoUsableFormat { .. } => ErrorKind::Unsupported,
            Error::NoSuchFormat { .. } | Error::Config(_) => ErrorKind::InvalidInput,
            Error::Backend { source, .. } => match Cause::of(source) {
                Cause::Unsupported => ErrorKind::Unsupported,
                _ => ErrorKind::Io,
            },
        }
    }

    /// The error for a nokhwa failure while the driver was doing `what`. `opening` tells
    /// whether the camera was being opened: a missing device node then means "not found"
    /// rather than "went away".
    pub fn from_nokhwa(port: &str, what: &'static str, opening: bool, e: NokhwaError) -> Self {
        let port = port.to_string();
        match Cause::of(&e) {
            Cause::Busy => Error::Busy { port },
            Cause::Denied => Error::PermissionDenied { port },
            Cause::Missing | Cause::Gone if opening => Error::NotFound { port },
            Cause::Missing | Cause::Gone => Error::Disconnected {
                port,
                detail: e.to_string(),
            },
            Cause::Damaged => Error::Damaged {
                port,
                frames: 1,
                detail: e.to_string(),
            },
            Cause::TimedOut | Cause::Unsupported | Cause::Other => Error::Backend {
                port,
                what,
                source: e,
            },
        }
    }
}

impl From<Error> for DeviceError {
    fn from(e: Error) -> Self {
        DeviceError::from_source(e.kind(), e)
    }
}

/// What a nokhwa error means, read from its variant and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// EBUSY: another program streams from the camera.
    Busy,
    /// EACCES or EPERM.
    Denied,
    /// ENOENT: no such device node.
    Missing,
    /// ENODEV, ENXIO or EIO: the device vanished.
    Gone,
    /// ETIMEDOUT or EAGAIN: no frame yet (a V4L2 poll with a timeout).
    TimedOut,
    /// The frame could not be decoded.
    Damaged,
    /// The backend does not offer the operation.
    Unsupported,
    /// Anything else.
    Other,
}

impl Cause {
    /// Classifies `e`.
    ///
    /// ```
    /// use nokhwa::NokhwaError;
    /// use rekam_camera::Cause;
    /// let e = NokhwaError::OpenDeviceError("0".into(), "V4L2 Error: Permission denied (os error 13)".into());
    /// assert_eq!(Cause::of(&e), Cause::Denied);
    /// let e = NokhwaError::ReadFrameError("No such device (os error 19)".into());
    /// assert_eq!(Cause::of(&e), Cause::Gone);
    /// ```
    pub fn of(e: &NokhwaError) -> Cause {
        match e {
            NokhwaError::ProcessFrameError { .. } => return Cause::Damaged,
            NokhwaError::UnsupportedOperationError(_) | NokhwaError::NotImplementedError(_) => {
                return Cause::Unsupported
            }
            _ => {}
        }
        let text = e.to_string().to_ascii_lowercase();
        let errno = |n: u32| text.contains(&format!("(os error {n})"));
        if errno(16) || text.contains("device or resource busy") {
            Cause::Busy
        } else if errno(13) || errno(1) || text.contains("permission denied") {
            Cause::Denied
        } else if errno(2) || text.contains("no such file or directory") {
            Cause::Missing
        } else if errno(19)
            || errno(6)
            || errno(5)
            || text.contains("no such device")
            || text.contains("input/output error")
        {
            Cause::Gone
        } else if errno(110)
            || errno(11)
            || text.contains("timed out")
            || text.contains("resource temporarily unavailable")
        {
            Cause::TimedOut
        } else {
            Cause::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_err(text: &str) -> NokhwaError {
        NokhwaError::OpenDeviceError("0".into(), format!("V4L2 Error: {text}"))
    }

    #[test]
    fn open_failures_become_sentences_that_say_what_to_do() {
        let e = Error::from_nokhwa(
            "/dev/video0",
            "open",
            true,
            open_err("Device or resource busy (os error 16)"),
        );
        assert_eq!(e.kind(), ErrorKind::Busy);
        assert!(e.to_string().contains("another program"), "{e}");

        let e = Error::from_nokhwa(
            "/dev/video0",
            "open",
            true,
            open_err("Permission denied (os error 13)"),
        );
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(e.to_string().contains("'video' group"), "{e}");

        let e = Error::from_nokhwa(
            "/dev/video3",
            "open",
            true,
            open_err("No such file or directory (os error 2)"),
        );
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.to_string().contains("/dev/video3"), "{e}");
    }

    #[test]
    fn a_vanished_device_is_not_found_at_open_and_disconnected_later() {
        let gone = || NokhwaError::ReadFrameError("No such device (os error 19)".into());
        assert_eq!(
            Error::from_nokhwa("/dev/video0", "open", true, gone()).kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            Error::from_nokhwa("/dev/video0", "read a frame", false, gone()).kind(),
            ErrorKind::Disconnected
        );
    }

    #[test]
    fn other_errors_keep_their_text() {
        assert_eq!(
            Cause::of(&NokhwaError::ReadFrameError(
                "Connection timed out (os error 110)".into()
            )),
            Cause::TimedOut
        );
        let e = Error::from_nokhwa(
            "/dev/video0",
            "set the format",
            false,
            NokhwaError::SetPropertyError {
                property: "Frame rate".into(),
                value: "30".into(),
                error: "Invalid argument (os error 22)".into(),
            },
        );
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.to_string().contains("Invalid argument"), "{e}");
        let e = Error::from_nokhwa(
            "x",
            "decode",
            false,
            NokhwaError::ProcessFrameError {
                src: nokhwa::utils::FrameFormat::MJPEG,
                destination: "RGB888".into(),
                error: "bad".into(),
            },
        );
        assert_eq!(e.kind(), ErrorKind::Protocol);
        // "(os error 1)" must not match "(os error 13)" and vice versa.
        assert_eq!(
            Cause::of(&open_err("Operation not permitted (os error 1)")),
            Cause::Denied
        );
        assert_eq!(
            Cause::of(&open_err("Invalid argument (os error 22)")),
            Cause::Other
        );
    }
}
