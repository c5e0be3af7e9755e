//! What every Rekam device driver shares.
//!
//! One [`Device`] trait that every driver implements (info, self-test, capture, close), one
//! [`DriverFactory`] per driver that lists candidates and opens a [`Selector`], and a
//! [`Registry`] that holds every factory. Drivers are generic over a transport: serial drivers
//! over a [`Link`], which is a real serial port ([`SerialLink`]) in the field and in integration
//! tests (the simulator's pseudo-terminals), and a [`ScriptedLink`] in unit tests.
//!
//! ```
//! use rekam_device::{Selector, Finger, Position};
//! let sel: Selector = "/dev/ttyUSB0".parse().unwrap();
//! assert_eq!(sel.to_string(), "/dev/ttyUSB0");
//! let pos: Position = "right_index".parse().unwrap();
//! assert_eq!(pos, Position::Finger(Finger::RightIndex));
//! ```
#![warn(missing_docs)]

mod capture;
mod error;
mod link;
mod options;
mod selector;
pub mod system;
mod usb;

use std::fmt;
use std::time::Duration;

pub use capture::{
    Capture, Eye, Finger, ImageCapture, ParsePositionError, PenCapture, PenSample, Pixels, Position,
};
pub use error::{DeviceError, ErrorKind, LinkError};
pub use link::{is_pseudo_terminal, simulator_lock_path, Link, ScriptedLink, SerialLink, Step};
pub use options::Options;
pub use selector::{ParseSelectorError, Selector};
pub use system::{FixedLister, SerialPortInfo, SystemLister, SystemSnapshot, UsbDeviceInfo};
pub use usb::{map_rusb, RusbLink, UsbLink};

/// The four kinds of device at a recording station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// Fingerprint scanner.
    Fingerprint,
    /// Iris scanner.
    Iris,
    /// Face camera.
    Camera,
    /// Signature pad.
    SignaturePad,
}

impl DeviceKind {
    /// A stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Fingerprint => "fingerprint",
            DeviceKind::Iris => "iris",
            DeviceKind::Camera => "camera",
            DeviceKind::SignaturePad => "signature_pad",
        }
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a device says about itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    /// Which kind of device.
    pub kind: DeviceKind,
    /// The driver's name.
    pub driver: String,
    /// Model name.
    pub model: String,
    /// Serial number, when the device reports one.
    pub serial: Option<String>,
    /// Firmware or hardware version, when the device reports one.
    pub firmware: Option<String>,
    /// Where it is attached.
    pub port: String,
    /// Further parameters, in the device's own terms (name, value).
    pub details: Vec<(String, String)>,
    /// Whether the device is a simulation (a program on a pseudo-terminal, the simulator's
    /// in-process link or camera): its captures are synthetic. Recorded in every record.
    pub simulated: bool,
}

/// One check of a self-test.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was seen.
    pub detail: String,
}

/// The result of a device self-test.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct SelfTestReport {
    /// Each check in the order run.
    pub checks: Vec<Check>,
}

impl SelfTestReport {
    /// Whether every check passed (and there was at least one).
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    /// Records a check.
    pub fn push(&mut self, name: &str, passed: bool, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.to_string(),
            passed,
            detail: detail.into(),
        });
    }
}

/// What to capture.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureRequest {
    /// Where on the body (recorded with the capture; the device may not know).
    pub position: Position,
    /// How long to wait for the person to present.
    pub timeout: Duration,
}

impl CaptureRequest {
    /// A request for `position` waiting up to `timeout`.
    pub fn new(position: Position, timeout: Duration) -> Self {
        Self { position, timeout }
    }
}

/// An indicator the device may show to the person (LED ring, colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    /// Off.
    Off,
    /// Waiting for the person: e.g. a breathing blue light.
    Ready,
    /// A good capture.
    Success,
    /// A failed capture.
    Failure,
}

/// One opened device. Every driver implements this; optional functions answer
/// [`ErrorKind::Unsupported`] by default.
pub trait Device: Send + fmt::Debug {
    /// Model, serial, firmware and parameters.
    fn info(&mut self) -> Result<DeviceInfo, DeviceError>;

    /// Runs the device's own checks.
    fn self_test(&mut self) -> Result<SelfTestReport, DeviceError>;

    /// Captures one sample.
    fn capture(&mut self, request: &CaptureRequest) -> Result<Capture, DeviceError>;

    /// Shows an indicator to the person.
    fn set_indicator(&mut self, _indicator: Indicator) -> Result<(), DeviceError> {
        Err(DeviceError::unsupported("indicators"))
    }

    /// Puts the device in its idle state and releases it. Dropping also releases the port.
    fn close(&mut self) -> Result<(), DeviceError>;
}

/// A device a factory recognises on this machine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceDescriptor {
    /// The driver that would open it.
    pub driver: String,
    /// Its kind.
    pub kind: DeviceKind,
    /// How to select it.
    pub selector: String,
    /// What is known of it, e.g. "CP210x USB-serial bridge".
    pub description: String,
}

/// Knows one driver: lists what it may open and opens it.
pub trait DriverFactory: Send + Sync + fmt::Debug {
    /// The driver's short name, as written in configuration (`r30x`, `isdv4`).
    fn name(&self) -> &'static str;

    /// The kind of device it drives.
    fn kind(&self) -> DeviceKind;

    /// Devices on this machine the driver may open.
    fn list(&self, system: &SystemSnapshot) -> Vec<DeviceDescriptor>;

    /// Checks a configuration for this driver without touching any device: that `selector`
    /// is of the form the driver opens and that every option is known and in range. This is
    /// what a station checks its configuration with when it loads it; [`open`](Self::open)
    /// applies the same rules.
    fn validate(&self, selector: &Selector, options: &Options) -> Result<(), DeviceError>;

    /// Opens the selected device with driver options (baud, address, password ...).
    fn open(&self, selector: &Selector, options: &Options) -> Result<Box<dyn Device>, DeviceError>;
}

/// Every driver factory, and the lister that tells what is attached.
pub struct Registry {
    factories: Vec<&'static dyn DriverFactory>,
    lister: Box<dyn SystemLister>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("factories", &self.factories)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// A registry of `factories` that asks the operating system what is attached.
    pub fn new(factories: Vec<&'static dyn DriverFactory>) -> Self {
        Self {
            factories,
            lister: Box::new(system::OsLister),
        }
    }

    /// Replaces the lister (tests list a fixed machine).
    pub fn with_lister(mut self, lister: Box<dyn SystemLister>) -> Self {
        self.lister = lister;
        self
    }

    /// The factories.
    pub fn factories(&self) -> &[&'static dyn DriverFactory] {
        &self.factories
    }

    /// The factory called `name`.
    pub fn factory(&self, name: &str) -> Result<&'static dyn DriverFactory, DeviceError> {
        self.factories
            .iter()
            .copied()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                let known: Vec<_> = self.factories.iter().map(|f| f.name()).collect();
                DeviceError::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "no driver is called '{name}'; the drivers are: {}",
                        known.join(", ")
                    ),
                )
            })
    }

    /// The names of the drivers of `kind`.
    pub fn drivers_of(&self, kind: DeviceKind) -> Vec<&'static str> {
        self.factories
            .iter()
            .filter(|f| f.kind() == kind)
            .map(|f| f.name())
            .collect()
    }

    /// Checks a configured device: that a driver called `driver` exists, drives devices of
    /// `kind`, and accepts `selector` and `options` ([`DriverFactory::validate`]). Errors are
    /// [`ErrorKind::InvalidInput`] sentences that name the drivers of that kind.
    pub fn validate(
        &self,
        kind: DeviceKind,
        driver: &str,
        selector: &Selector,
        options: &Options,
    ) -> Result<(), DeviceError> {
        let known = || match self.drivers_of(kind).join(", ") {
            k if k.is_empty() => format!("this build has no {kind} driver"),
            k => format!("the {kind} drivers are: {k}"),
        };
        match self.factories.iter().find(|f| f.name() == driver) {
            None => Err(DeviceError::new(
                ErrorKind::InvalidInput,
                format!("no driver is called '{driver}'; {}", known()),
            )),
            Some(f) if f.kind() != kind => Err(DeviceError::new(
                ErrorKind::InvalidInput,
                format!(
                    "the driver '{driver}' drives a {}, not a {kind}; {}",
                    f.kind(),
                    known()
                ),
            )),
            Some(f) => f.validate(selector, options),
        }
    }

    /// What is attached to this machine.
    pub fn snapshot(&self) -> SystemSnapshot {
        self.lister.snapshot()
    }

    /// Every device any factory recognises in `system`.
    pub fn list(&self, system: &SystemSnapshot) -> Vec<DeviceDescriptor> {
        self.factories.iter().flat_map(|f| f.list(system)).collect()
    }

    /// Opens a device with the driver called `driver`.
    pub fn open(
        &self,
        driver: &str,
        selector: &Selector,
        options: &Options,
    ) -> Result<Box<dyn Device>, DeviceError> {
        self.factory(driver)?.open(selector, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A driver that accepts serial ports and one option, `speed`.
    #[derive(Debug)]
    struct Fake(&'static str, DeviceKind);

    impl DriverFactory for Fake {
        fn name(&self) -> &'static str {
            self.0
        }
        fn kind(&self) -> DeviceKind {
            self.1
        }
        fn list(&self, _system: &SystemSnapshot) -> Vec<DeviceDescriptor> {
            Vec::new()
        }
        fn validate(&self, selector: &Selector, options: &Options) -> Result<(), DeviceError> {
            options.reject_unknown(self.0, &["speed"])?;
            match selector {
                Selector::Serial(_) => Ok(()),
                _ => Err(DeviceError::new(ErrorKind::InvalidInput, "serial only")),
            }
        }
        fn open(&self, _s: &Selector, _o: &Options) -> Result<Box<dyn Device>, DeviceError> {
            Err(DeviceError::unsupported("opening"))
        }
    }

    static A: Fake = Fake("fast", DeviceKind::Fingerprint);
    static B: Fake = Fake("slow", DeviceKind::Fingerprint);
    static C: Fake = Fake("pen", DeviceKind::SignaturePad);

    #[test]
    fn validation_goes_through_the_factories_and_names_the_drivers_of_the_kind() {
        let r = Registry::new(vec![&A, &B, &C]);
        let port: Selector = "/dev/ttyUSB0".parse().unwrap();
        let usb: Selector = "1209:0001".parse().unwrap();
        let none = Options::new();
        assert!(r
            .validate(DeviceKind::Fingerprint, "slow", &port, &none)
            .is_ok());
        let e = r
            .validate(DeviceKind::Fingerprint, "quick", &port, &none)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().contains("'quick'"), "{e}");
        assert!(e.message().contains("fast, slow"), "{e}");
        assert!(!e.message().contains("pen"), "{e}");
        let e = r
            .validate(DeviceKind::Fingerprint, "pen", &port, &none)
            .unwrap_err();
        assert!(e.message().contains("signature_pad"), "{e}");
        assert!(e.message().contains("fast, slow"), "{e}");
        let e = r
            .validate(DeviceKind::Fingerprint, "fast", &usb, &none)
            .unwrap_err();
        assert!(e.message().contains("serial only"), "{e}");
        let e = r
            .validate(
                DeviceKind::Fingerprint,
                "fast",
                &port,
                &Options::new().set("sped", 1),
            )
            .unwrap_err();
        assert!(e.message().contains("sped"), "{e}");
        let e = r
            .validate(DeviceKind::Iris, "fast", &usb, &none)
            .unwrap_err();
        assert!(e.message().contains("no iris driver"), "{e}");
    }
}
