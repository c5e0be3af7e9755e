//! Which device to open, parsed from a string a technician can type.

use std::fmt;
use std::str::FromStr;

/// Where a device is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Selector {
    /// A serial port by path, e.g. `/dev/ttyUSB0` or `/dev/serial/by-id/usb-...`.
    Serial(String),
    /// A USB device by vendor and product id, optionally by serial number.
    Usb {
        /// Vendor id.
        vid: u16,
        /// Product id.
        pid: u16,
        /// Serial number string, when several identical devices are attached.
        serial: Option<String>,
    },
    /// A camera: a V4L2 device node (`/dev/video0`), a stable link to one
    /// (`/dev/v4l/by-id/...`), or `camera:N` for the camera numbered N by its driver.
    Camera(String),
}

/// The error of parsing a [`Selector`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseSelectorError {
    /// Empty string.
    #[error("the device selector is empty: give a serial port path such as /dev/ttyUSB0, VID:PID such as 2d7f:0101, or a camera such as /dev/video0 or camera:0")]
    Empty,
    /// VID:PID with a bad number.
    #[error("'{0}' is not a USB selector: write VID:PID[:SERIAL] with 4 hexadecimal digits each, e.g. 2d7f:0101")]
    BadUsb(String),
    /// Something else.
    #[error(
        "'{0}' is neither a serial port path (starting with / or serial:) nor VID:PID[:SERIAL]"
    )]
    Unrecognised(String),
}

impl FromStr for Selector {
    type Err = ParseSelectorError;

    /// Parses a selector. Paths under `/dev/video` and `/dev/v4l/` are cameras, other paths
    /// serial ports; `serial:` and `camera:` say which explicitly.
    ///
    /// ```
    /// use rekam_device::Selector;
    /// assert_eq!("/dev/ttyUSB0".parse::<Selector>().unwrap(), Selector::Serial("/dev/ttyUSB0".into()));
    /// assert_eq!("serial:/tmp/pty".parse::<Selector>().unwrap(), Selector::Serial("/tmp/pty".into()));
    /// assert_eq!(
    ///     "2d7f:0101:SN42".parse::<Selector>().unwrap(),
    ///     Selector::Usb { vid: 0x2d7f, pid: 0x0101, serial: Some("SN42".into()) }
    /// );
    /// assert_eq!("/dev/video0".parse::<Selector>().unwrap(), Selector::Camera("/dev/video0".into()));
    /// assert_eq!("camera:1".parse::<Selector>().unwrap(), Selector::Camera("1".into()));
    /// assert_eq!(Selector::Camera("1".into()).to_string(), "camera:1");
    /// assert!("2d7f:01x1".parse::<Selector>().is_err());
    /// assert!("".parse::<Selector>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ParseSelectorError::Empty);
        }
        if let Some(path) = s.strip_prefix("serial:") {
            if path.is_empty() {
                return Err(ParseSelectorError::Empty);
            }
            return Ok(Selector::Serial(path.to_string()));
        }
        if let Some(cam) = s.strip_prefix("camera:") {
            if cam.is_empty() {
                return Err(ParseSelectorError::Empty);
            }
            return Ok(Selector::Camera(cam.to_string()));
        }
        if is_camera_path(s) {
            return Ok(Selector::Camera(s.to_string()));
        }
        if s.starts_with('/') || s.starts_with("./") || s.to_ascii_uppercase().starts_with("COM") {
            return Ok(Selector::Serial(s.to_string()));
        }
        let mut parts = s.splitn(3, ':');
        let (Some(v), Some(p)) = (parts.next(), parts.next()) else {
            return Err(ParseSelectorError::Unrecognised(s.to_string()));
        };
        let hex = |t: &str| {
            if t.len() == 4 {
                u16::from_str_radix(t, 16).ok()
            } else {
                None
            }
        };
        let (Some(vid), Some(pid)) = (hex(v), hex(p)) else {
            return Err(ParseSelectorError::BadUsb(s.to_string()));
        };
        let serial = parts.next().filter(|x| !x.is_empty()).map(str::to_string);
        Ok(Selector::Usb { vid, pid, serial })
    }
}

/// Whether `path` names a V4L2 device node or a link to one.
fn is_camera_path(path: &str) -> bool {
    path.starts_with("/dev/video") || path.starts_with("/dev/v4l/")
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Serial(p) => f.write_str(p),
            Selector::Camera(c) if is_camera_path(c) => f.write_str(c),
            Selector::Camera(c) => write!(f, "camera:{c}"),
            Selector::Usb {
                vid,
                pid,
                serial: None,
            } => write!(f, "{vid:04x}:{pid:04x}"),
            Selector::Usb {
                vid,
                pid,
                serial: Some(s),
            } => write!(f, "{vid:04x}:{pid:04x}:{s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn usb_selectors_round_trip(vid: u16, pid: u16, serial in proptest::option::of("[A-Za-z0-9]{1,12}")) {
            let sel = Selector::Usb { vid, pid, serial };
            let back: Selector = sel.to_string().parse().unwrap();
            prop_assert_eq!(back, sel);
        }

        #[test]
        fn camera_selectors_round_trip(c in "[0-9]{1,3}|/dev/video[0-9]{1,2}|/dev/v4l/by-id/[a-z0-9-]{1,20}") {
            let sel = Selector::Camera(c);
            let back: Selector = sel.to_string().parse().unwrap();
            prop_assert_eq!(back, sel);
        }

        #[test]
        fn parsing_never_panics(s in ".{0,40}") {
            let _ = s.parse::<Selector>();
        }
    }
}
