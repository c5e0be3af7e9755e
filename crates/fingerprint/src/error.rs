//! The fingerprint driver's errors: sentences a technician can act on, with a coarse kind.

use rekam_device::{DeviceError, ErrorKind, LinkError};

/// What can go wrong talking to an R30x module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The serial link failed (missing port, busy, permission, unplugged).
    #[error(transparent)]
    Link(#[from] LinkError),
    /// Nothing came back in time.
    #[error("the fingerprint scanner on {port} did not answer {what} within {millis} ms: check that it is powered, the cable is seated, and the baud rate ({baud}) matches the module")]
    NoAnswer {
        /// The port.
        port: String,
        /// What we were waiting for.
        what: &'static str,
        /// How long we waited.
        millis: u64,
        /// The configured baud rate.
        baud: u32,
    },
    /// A module answered from another address.
    #[error("the fingerprint scanner answered from address {got:#010x} but the station is configured for {expected:#010x}: set [fingerprint] address in the station configuration to the module's address")]
    WrongAddress {
        /// Configured.
        expected: u32,
        /// Seen on the wire.
        got: u32,
    },
    /// The module refused the password.
    #[error("the fingerprint scanner refused the password: set [fingerprint] password in the station configuration to the module's password")]
    WrongPassword,
    /// The module wants the password verified first.
    #[error("the fingerprint scanner requires its password to be verified first (confirmation code 0x21)")]
    PasswordRequired,
    /// Replies kept arriving damaged.
    #[error("the fingerprint scanner's replies kept arriving damaged ({what}, {attempts} attempts): check the cable and that the baud rate ({baud}) matches the module")]
    Corrupted {
        /// What kept failing.
        what: &'static str,
        /// How many attempts were made.
        attempts: u32,
        /// The configured baud rate.
        baud: u32,
    },
    /// The module sent a packet that does not belong at this point of the exchange.
    #[error(
        "the fingerprint scanner sent an unexpected {got} while the driver waited for {expected}"
    )]
    Unexpected {
        /// What we waited for.
        expected: &'static str,
        /// What arrived.
        got: String,
    },
    /// The module reported a failure.
    #[error("the fingerprint scanner reported '{meaning}' (code {code:#04x}) for {what}")]
    Module {
        /// The instruction.
        what: &'static str,
        /// Confirmation code.
        code: u8,
        /// Its meaning per the module manual.
        meaning: &'static str,
    },
    /// No finger was placed before the deadline.
    #[error("no finger was placed on the scanner within {seconds:.1} s: ask the person to place the finger flat on the glass")]
    NoFinger {
        /// How long we waited, in seconds.
        seconds: f64,
    },
    /// The module sent an image of unexpected size.
    #[error("the fingerprint scanner sent {got} bytes of image data where {expected} were expected: the transfer was cut short")]
    ImageSize {
        /// Bytes received.
        got: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// The module does not have this function.
    #[error("this fingerprint module does not support {0}")]
    Unsupported(&'static str),
    /// A configuration value is not acceptable.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// The coarse kind, for deciding between retrying and asking someone.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Link(e) => e.kind(),
            Error::NoAnswer { .. } => ErrorKind::Timeout,
            Error::WrongAddress { .. } => ErrorKind::WrongAddress,
            Error::WrongPassword | Error::PasswordRequired => ErrorKind::WrongPassword,
            Error::Corrupted { .. } | Error::Unexpected { .. } | Error::ImageSize { .. } => {
                ErrorKind::Protocol
            }
            Error::Module { .. } => ErrorKind::DeviceFailure,
            Error::NoFinger { .. } => ErrorKind::NoPresentation,
            Error::Unsupported(_) => ErrorKind::Unsupported,
            Error::Config(_) => ErrorKind::InvalidInput,
        }
    }
}

impl From<Error> for DeviceError {
    fn from(e: Error) -> Self {
        DeviceError::from_source(e.kind(), e)
    }
}

/// The meaning of a confirmation code, per the R30x/R50x manuals.
pub fn confirmation_meaning(code: u8) -> &'static str {
    match code {
        0x00 => "OK",
        0x01 => "error when receiving the packet",
        0x02 => "no finger on the sensor",
        0x03 => "failed to enroll the finger image",
        0x06 => "image too disorderly to generate a feature",
        0x07 => "too few feature points",
        0x08 => "finger does not match",
        0x09 => "no matching finger found",
        0x0A => "failed to combine character files",
        0x0B => "address out of the finger library",
        0x0C => "error reading the template",
        0x0D => "error uploading the template",
        0x0E => "module cannot receive the following data packets",
        0x0F => "error uploading the image",
        0x10 => "failed to delete the template",
        0x11 => "failed to clear the finger library",
        0x13 => "wrong password",
        0x15 => "no valid primary image",
        0x18 => "error writing flash",
        0x1A => "invalid register number",
        0x20 => "address code incorrect",
        0x21 => "password must be verified first",
        0x29 => "sensor abnormal",
        0xFC => "unsupported command",
        _ => "undocumented code",
    }
}
