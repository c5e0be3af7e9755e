//! The error every driver returns through the [`Device`](crate::Device) trait.
//!
//! Each driver crate has its own `thiserror` enum whose messages are sentences a technician can
//! act on; it converts into [`DeviceError`] so that the pipeline and the station can decide, from
//! [`DeviceError::kind`], whether to retry, to ask the operator to reconnect, or to give up.

use std::fmt;

/// What went wrong, coarsely: enough for a caller to choose between retrying, asking the
/// operator to act, and giving up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// No device answers at the selected place (no such port, nothing plugged in).
    NotFound,
    /// Another program holds the device.
    Busy,
    /// The operating system refused access (e.g. the user is not in the `dialout` group).
    PermissionDenied,
    /// The device went away while in use (cable pulled, port vanished).
    Disconnected,
    /// The device did not answer in time.
    Timeout,
    /// The device answered with bytes that break its protocol.
    Protocol,
    /// The device refused the configured password.
    WrongPassword,
    /// The device answers from another address than the configured one.
    WrongAddress,
    /// The device reported a failure of its own (sensor fault, bad image).
    DeviceFailure,
    /// The device does not offer this function.
    Unsupported,
    /// A value given by the caller or the configuration is not acceptable.
    InvalidInput,
    /// The person did not present (no finger placed, no signature written) before the deadline.
    NoPresentation,
    /// Any other input/output failure of the operating system.
    Io,
}

impl ErrorKind {
    /// Whether repeating the same operation may succeed without anyone doing anything.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::Timeout | ErrorKind::Protocol | ErrorKind::Busy
        )
    }

    /// A stable lower-case name, used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Busy => "busy",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::Disconnected => "disconnected",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Protocol => "protocol",
            ErrorKind::WrongPassword => "wrong_password",
            ErrorKind::WrongAddress => "wrong_address",
            ErrorKind::DeviceFailure => "device_failure",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::NoPresentation => "no_presentation",
            ErrorKind::Io => "io",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A driver error as seen by code that does not know the driver: a kind, a sentence for the
/// technician, and the driver's own error as the source.
#[derive(Debug)]
pub struct DeviceError {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl DeviceError {
    /// A new error with a sentence that says what to check.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Wraps a driver's own error, keeping its message as this error's sentence.
    pub fn from_source<E>(kind: ErrorKind, source: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Self {
            kind,
            message: source.to_string(),
            source: Some(Box::new(source)),
        }
    }

    /// The coarse kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The sentence for the technician.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// An error for a function the device does not offer.
    pub fn unsupported(what: &str) -> Self {
        Self::new(
            ErrorKind::Unsupported,
            format!("this device does not support {what}"),
        )
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeviceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// What a byte link reports. Drivers map these into their own errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The port does not exist.
    #[error("the port {port} does not exist: is the device plugged in and the path right?")]
    NotFound {
        /// The port path.
        port: String,
    },
    /// The port is a link to a pseudo-terminal that a simulator left behind when it stopped
    /// without cleaning up (killed): the pseudo-terminal may now belong to another program.
    #[error("the port {port} is a link left behind by a simulator that is no longer running (its lock {lock} is not held), so the pseudo-terminal it names may now belong to another program: start firmware-sim again, or configure the real device's port")]
    StaleSimulatorLink {
        /// The link's path.
        port: String,
        /// The simulator's lock file beside it.
        lock: String,
    },
    /// Another program holds the port.
    #[error("the port {port} is in use by another program: close it (e.g. a serial terminal or ModemManager) and try again")]
    Busy {
        /// The port path.
        port: String,
    },
    /// The operating system refused access.
    #[error("permission denied opening {port}: add the station user to the 'dialout' group (then log in again) or install the udev rule from docs/")]
    PermissionDenied {
        /// The port path.
        port: String,
    },
    /// Nothing arrived in time.
    #[error("no data arrived from {port} within {millis} ms")]
    Timeout {
        /// The port path.
        port: String,
        /// How long we waited.
        millis: u64,
    },
    /// The port vanished or hung up.
    #[error("the connection to {port} was lost: is the cable still plugged in?")]
    Disconnected {
        /// The port path.
        port: String,
    },
    /// A USB endpoint stalled (the device refused the transfer).
    #[error("the device {port} stalled the transfer (USB STALL): it refused the request")]
    Stall {
        /// The device.
        port: String,
    },
    /// A setting is not acceptable to the port.
    #[error("the port {port} refused the setting: {detail}")]
    InvalidSetting {
        /// The port path.
        port: String,
        /// What was refused.
        detail: String,
    },
    /// Another input/output failure.
    #[error("input/output error on {port}: {source}")]
    Io {
        /// The port path.
        port: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl LinkError {
    /// The coarse kind of this failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            LinkError::NotFound { .. } | LinkError::StaleSimulatorLink { .. } => {
                ErrorKind::NotFound
            }
            LinkError::Busy { .. } => ErrorKind::Busy,
            LinkError::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            LinkError::Timeout { .. } => ErrorKind::Timeout,
            LinkError::Disconnected { .. } => ErrorKind::Disconnected,
            LinkError::Stall { .. } => ErrorKind::Protocol,
            LinkError::InvalidSetting { .. } => ErrorKind::InvalidInput,
            LinkError::Io { .. } => ErrorKind::Io,
        }
    }

    /// Classifies an operating-system error that happened on `port`.
    pub fn from_io(port: &str, err: std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let port = port.to_string();
        // EIO, ENXIO and ENODEV are what a vanished USB-serial adapter or a closed
        // pseudo-terminal master give; EBUSY is a port locked by another program.
        use nix::errno::Errno;
        match err.raw_os_error().map(Errno::from_raw) {
            Some(Errno::EIO | Errno::ENXIO | Errno::ENODEV) => {
                return LinkError::Disconnected { port }
            }
            Some(Errno::EBUSY) => return LinkError::Busy { port },
            Some(Errno::ENOENT) => return LinkError::NotFound { port },
            Some(Errno::EACCES | Errno::EPERM) => return LinkError::PermissionDenied { port },
            _ => {}
        }
        match err.kind() {
            K::NotFound => LinkError::NotFound { port },
            K::PermissionDenied => LinkError::PermissionDenied { port },
            K::BrokenPipe | K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted => {
                LinkError::Disconnected { port }
            }
            K::TimedOut | K::WouldBlock => LinkError::Timeout { port, millis: 0 },
            _ => LinkError::Io { port, source: err },
        }
    }
}

impl From<LinkError> for DeviceError {
    fn from(e: LinkError) -> Self {
        DeviceError::from_source(e.kind(), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_are_classified_for_the_operator() {
        use nix::errno::Errno;
        let os = |e: Errno| LinkError::from_io("/dev/x", std::io::Error::from(e));
        for e in [Errno::EIO, Errno::ENXIO, Errno::ENODEV] {
            assert_eq!(os(e).kind(), ErrorKind::Disconnected, "{e}");
        }
        assert_eq!(os(Errno::EBUSY).kind(), ErrorKind::Busy);
        for e in [Errno::EACCES, Errno::EPERM] {
            assert_eq!(os(e).kind(), ErrorKind::PermissionDenied, "{e}");
            assert!(os(e).to_string().contains("dialout"));
        }
        assert_eq!(os(Errno::ENOENT).kind(), ErrorKind::NotFound);
        assert_eq!(os(Errno::EINVAL).kind(), ErrorKind::Io);
        let e = LinkError::from_io("/dev/x", std::io::Error::other("odd"));
        assert_eq!(e.kind(), ErrorKind::Io);
    }

    #[test]
    fn device_error_keeps_kind_and_sentence() {
        let e: DeviceError = LinkError::Busy {
            port: "/dev/ttyUSB0".into(),
        }
        .into();
        assert_eq!(e.kind(), ErrorKind::Busy);
        assert!(e.message().contains("/dev/ttyUSB0"));
        assert!(std::error::Error::source(&e).is_some());
        assert!(ErrorKind::Timeout.is_transient());
        assert!(!ErrorKind::Disconnected.is_transient());
    }
}
