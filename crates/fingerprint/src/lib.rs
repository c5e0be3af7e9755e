//! Driver for GROW R30x/R50x-class fingerprint modules (the optical R307, the capacitive R503
//! and compatibles)
//! over their serial protocol, as documented in `docs/protocols/r30x.md`.
//!
//! The driver is generic over its byte [`Link`](rekam_device::Link): a real serial port in
//! the field and in integration tests, a scripted link in unit tests.
//!
//! ```
//! use rekam_device::{ScriptedLink, Step};
//! use rekam_fingerprint::{codec::{Packet, DEFAULT_ADDRESS}, Config, R30x};
//!
//! // VfyPwd with password 0 is acknowledged with confirmation code 0.
//! let link = ScriptedLink::new([
//!     Step::Expect(Packet::command(DEFAULT_ADDRESS, 0x13, &[0, 0, 0, 0]).encode()),
//!     Step::Reply(Packet::ack(DEFAULT_ADDRESS, 0x00, &[]).encode()),
//! ]);
//! let mut scanner = R30x::new(link, Config::default()).unwrap();
//! scanner.verify_password().unwrap();
//! ```
#![warn(missing_docs)]

pub mod codec;
mod driver;
mod error;

pub use driver::{
    instr, pack_image, unpack_image, Config, FingerStatus, LedColour, LedMode, LineStats,
    ProductInfo, R30x, SystemParameters, PROD_INFO_LEN, READY_BYTE,
};
pub use error::{confirmation_meaning, Error};

use rekam_device::{
    Device, DeviceDescriptor, DeviceError, DeviceKind, DriverFactory, ErrorKind, Options, Selector,
    SerialLink, SystemSnapshot,
};

/// USB-serial bridges that R30x modules are commonly wired through: (vid, pid, name).
pub const USB_SERIAL_BRIDGES: &[(u16, u16, &str)] = &[
    (0x10c4, 0xea60, "Silicon Labs CP210x USB-serial bridge"),
    (0x1a86, 0x7523, "WCH CH340 USB-serial bridge"),
    (0x1a86, 0x55d4, "WCH CH9102 USB-serial bridge"),
    (0x0403, 0x6001, "FTDI FT232R USB-serial bridge"),
    (0x0403, 0x6015, "FTDI FT231X USB-serial bridge"),
    (0x067b, 0x2303, "Prolific PL2303 USB-serial bridge"),
];

/// The factory for the `r30x` driver.
#[derive(Debug, Clone, Copy, Default)]
pub struct R30xFactory;

/// The options the `r30x` driver takes.
pub const OPTIONS: &[&str] = &["baud", "address", "password"];

impl R30xFactory {
    /// Builds the driver configuration from options.
    pub fn config(options: &Options) -> Result<Config, DeviceError> {
        options.reject_unknown("r30x", OPTIONS)?;
        let mut c = Config::default();
        if let Some(b) = options.u32("baud", 9600, 115_200)? {
            c.baud = b;
        }
        if let Some(a) = options.u32("address", 0, u32::MAX)? {
            c.address = a;
        }
        if let Some(p) = options.u32("password", 0, u32::MAX)? {
            c.password = p;
        }
        c.validate()?;
        Ok(c)
    }
}

/// The serial port path a serial driver called `driver` was given, or a sentence.
fn serial_path<'a>(driver: &str, selector: &'a Selector) -> Result<&'a str, DeviceError> {
    match selector {
        Selector::Serial(path) => Ok(path),
        other => Err(DeviceError::new(
            ErrorKind::InvalidInput,
            format!("the {driver} driver opens serial ports: its port must be a serial port path such as /dev/ttyUSB0, not '{other}'"),
        )),
    }
}

impl DriverFactory for R30xFactory {
    fn name(&self) -> &'static str {
        "r30x"
    }

    fn kind(&self) -> DeviceKind {
        DeviceKind::Fingerprint
    }

    fn list(&self, system: &SystemSnapshot) -> Vec<DeviceDescriptor> {
        system
            .serial_ports
            .iter()
            .filter_map(|p| {
                let (vid, pid) = p.usb?;
                let (_, _, name) = USB_SERIAL_BRIDGES
                    .iter()
                    .find(|(v, q, _)| *v == vid && *q == pid)?;
                Some(DeviceDescriptor {
                    driver: "r30x".into(),
                    kind: DeviceKind::Fingerprint,
                    selector: p.path.clone(),
                    description: format!("{name} ({vid:04x}:{pid:04x}): may carry an R30x module"),
                })
            })
            .collect()
    }

    fn validate(&self, selector: &Selector, options: &Options) -> Result<(), DeviceError> {
        serial_path("r30x", selector)?;
        Self::config(options).map(drop)
    }

    fn open(&self, selector: &Selector, options: &Options) -> Result<Box<dyn Device>, DeviceError> {
        let path = serial_path("r30x", selector)?;
        let config = Self::config(options)?;
        let link = SerialLink::open(path, config.baud)?;
        let mut scanner = R30x::new(link, config)?;
        scanner.connect()?;
        Ok(Box::new(scanner))
    }
}
