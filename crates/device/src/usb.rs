//! USB links: the transport a USB driver is generic over.
//!
//! [`RusbLink`] is the real one: libusb through `rusb`, always with an explicit
//! [`rusb::Context`] (the global context panics on machines without a USB subsystem). The
//! simulator implements [`UsbLink`] in-process for tests, and the same `RusbLink` code runs under
//! umockdev against a replayed device.

use std::time::Duration;

use rusb::UsbContext;

use crate::error::LinkError;

/// Bulk and control transfers to one claimed USB interface.
pub trait UsbLink: Send {
    /// Writes `data` to bulk OUT `endpoint`; returns the bytes written.
    fn write_bulk(
        &mut self,
        endpoint: u8,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, LinkError>;

    /// Reads one bulk IN transfer from `endpoint` into `buf`; returns its length.
    fn read_bulk(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, LinkError>;

    /// A vendor control OUT request to the interface (no data stage when `data` is empty).
    fn control_out(
        &mut self,
        request: u8,
        value: u16,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, LinkError>;

    /// Clears a halt (stall) on `endpoint`.
    fn clear_halt(&mut self, endpoint: u8) -> Result<(), LinkError>;

    /// The device's name for messages, e.g. `usb 001/002 1209:0001`.
    fn name(&self) -> &str;

    /// Whether the other end is known to be a program, not hardware (the simulator's
    /// in-process link, a device tree emulated by umockdev). Recorded with every capture.
    fn simulated(&self) -> bool {
        false
    }
}

impl<L: UsbLink + ?Sized> UsbLink for Box<L> {
    fn write_bulk(&mut self, ep: u8, data: &[u8], t: Duration) -> Result<usize, LinkError> {
        (**self).write_bulk(ep, data, t)
    }
    fn read_bulk(&mut self, ep: u8, buf: &mut [u8], t: Duration) -> Result<usize, LinkError> {
        (**self).read_bulk(ep, buf, t)
    }
    fn control_out(&mut self, r: u8, v: u16, d: &[u8], t: Duration) -> Result<usize, LinkError> {
        (**self).control_out(r, v, d, t)
    }
    fn clear_halt(&mut self, ep: u8) -> Result<(), LinkError> {
        (**self).clear_halt(ep)
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn simulated(&self) -> bool {
        (**self).simulated()
    }
}

/// A claimed interface of a USB device opened through libusb.
pub struct RusbLink {
    handle: rusb::DeviceHandle<rusb::Context>,
    interface: u8,
    name: String,
}

impl std::fmt::Debug for RusbLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RusbLink")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Maps a libusb error on `port` to a link error.
pub fn map_rusb(port: &str, e: rusb::Error) -> LinkError {
    let port = port.to_string();
    match e {
        rusb::Error::Timeout => LinkError::Timeout { port, millis: 0 },
        rusb::Error::NoDevice => LinkError::Disconnected { port },
        rusb::Error::Busy => LinkError::Busy { port },
        rusb::Error::Access => LinkError::PermissionDenied { port },
        rusb::Error::NotFound => LinkError::NotFound { port },
        rusb::Error::Pipe => LinkError::Stall { port },
        other => LinkError::Io {
            port,
            source: std::io::Error::other(other.to_string()),
        },
    }
}

impl RusbLink {
    /// Opens the first device with `vid:pid` (and `serial`, when given, compared with its serial
    /// number string) and claims `interface`.
    #[tracing::instrument(level = "debug")]
    pub fn open(
        vid: u16,
        pid: u16,
        serial: Option<&str>,
        interface: u8,
    ) -> Result<Self, LinkError> {
        let id = format!("{vid:04x}:{pid:04x}");
        let ctx = rusb::Context::new().map_err(|e| LinkError::NotFound {
            port: format!("{id} (USB is not available on this machine: {e})"),
        })?;
        let devices = ctx.devices().map_err(|e| map_rusb(&id, e))?;
        let mut last_err = None;
        for dev in devices.iter() {
            let Ok(desc) = dev.device_descriptor() else {
                continue;
            };
            if desc.vendor_id() != vid || desc.product_id() != pid {
                continue;
            }
            let name = format!("usb {:03}/{:03} {id}", dev.bus_number(), dev.address());
            let handle = match dev.open() {
                Ok(h) => h,
                Err(e) => {
                    last_err = Some(map_rusb(&name, e));
                    continue;
                }
            };
            if let Some(want) = serial {
                let got = handle
                    .read_serial_number_string_ascii(&desc)
                    .unwrap_or_default();
                if got != want {
                    continue;
                }
            }
            // Take the interface from a kernel driver only when one is bound.
            if handle.kernel_driver_active(interface).unwrap_or(false) {
                handle
                    .detach_kernel_driver(interface)
                    .map_err(|e| map_rusb(&name, e))?;
            }
            handle
                .claim_interface(interface)
                .map_err(|e| map_rusb(&name, e))?;
            return Ok(Self {
                handle,
                interface,
                name,
            });
        }
        Err(last_err.unwrap_or(LinkError::NotFound {
            port: match serial {
                Some(s) => format!("{id} serial {s}"),
                None => id,
            },
        }))
    }
}

impl Drop for RusbLink {
    fn drop(&mut self) {
        let _ = self.handle.release_interface(self.interface);
    }
}

impl UsbLink for RusbLink {
    fn write_bulk(&mut self, ep: u8, data: &[u8], t: Duration) -> Result<usize, LinkError> {
        tracing::trace!(device = %self.name, ep, len = data.len(), "bulk out");
        self.handle
            .write_bulk(ep, data, t)
            .map_err(|e| map_rusb(&self.name, e))
    }

    fn read_bulk(&mut self, ep: u8, buf: &mut [u8], t: Duration) -> Result<usize, LinkError> {
        let n = self
            .handle
            .read_bulk(ep, buf, t)
            .map_err(|e| map_rusb(&self.name, e))?;
        tracing::trace!(device = %self.name, ep, len = n, "bulk in");
        Ok(n)
    }

    fn control_out(&mut self, r: u8, v: u16, d: &[u8], t: Duration) -> Result<usize, LinkError> {
        let request_type = rusb::request_type(
            rusb::Direction::Out,
            rusb::RequestType::Vendor,
            rusb::Recipient::Interface,
        );
        self.handle
            .write_control(request_type, r, v, u16::from(self.interface), d, t)
            .map_err(|e| map_rusb(&self.name, e))
    }

    fn clear_halt(&mut self, ep: u8) -> Result<(), LinkError> {
        self.handle
            .clear_halt(ep)
            .map_err(|e| map_rusb(&self.name, e))
    }

    fn name(&self) -> &str {
        &self.name
    }

    /// Under umockdev (`umockdev-run`, which sets `UMOCKDEV_DIR` for its preload library) the
    /// USB devices libusb sees are a recording played back, not hardware.
    fn simulated(&self) -> bool {
        std::env::var_os("UMOCKDEV_DIR").is_some()
    }
}
