//! umockdev replay files for the simulated iris scanner: a device description (`.umockdev`)
//! and a transfer script (`.ioctl`, usbdevfs URBs) recorded from a capture scenario, so that the
//! driver's real libusb code path runs in CI against a device the kernel never saw.
//!
//! The script is recorded by putting [`RecordingLink`] between the driver and the in-process
//! simulator; umockdev then answers each URB the driver submits with the recorded reply,
//! provided the driver submits the same URBs in the same order (which a deterministic driver on a
//! per-poll scripted scenario does).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rekam_device::{LinkError, UsbLink};
use rekam_iris::codec::{self, INTERFACE};

use crate::runner::lock;

/// One transfer as usbdevfs sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Urb {
    /// A bulk OUT transfer and the bytes written.
    BulkOut {
        /// Endpoint.
        ep: u8,
        /// Data.
        data: Vec<u8>,
    },
    /// A bulk IN transfer: the host's buffer length and what came back.
    BulkIn {
        /// Endpoint.
        ep: u8,
        /// Host buffer size.
        buffer_length: usize,
        /// Data received.
        data: Vec<u8>,
        /// URB status: 0, or a negative errno (-32 stall, -19 device gone).
        status: i32,
    },
    /// A vendor control OUT request to the interface.
    ControlOut {
        /// bRequest.
        request: u8,
        /// wValue.
        value: u16,
        /// Data stage.
        data: Vec<u8>,
    },
}

/// A link that records every successful transfer of the link it wraps.
#[derive(Debug)]
pub struct RecordingLink<L> {
    inner: L,
    log: Arc<Mutex<Vec<Urb>>>,
}

impl<L> RecordingLink<L> {
    /// Records the transfers through `inner`.
    pub fn new(inner: L) -> Self {
        Self {
            inner,
            log: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The transfers so far (shared: stays valid after the link moves into a driver).
    pub fn log(&self) -> Arc<Mutex<Vec<Urb>>> {
        self.log.clone()
    }
}

impl<L: UsbLink> UsbLink for RecordingLink<L> {
    fn write_bulk(&mut self, ep: u8, data: &[u8], t: Duration) -> Result<usize, LinkError> {
        let n = self.inner.write_bulk(ep, data, t)?;
        lock(&self.log).push(Urb::BulkOut {
            ep,
            data: data.to_vec(),
        });
        Ok(n)
    }

    fn read_bulk(&mut self, ep: u8, buf: &mut [u8], t: Duration) -> Result<usize, LinkError> {
        let r = self.inner.read_bulk(ep, buf, t);
        // Stalls and a vanished device are URB completions usbdevfs reports; a timeout is
        // not (the host cancels the URB), so it cannot be replayed and is not recorded.
        let (data, status) = match &r {
            Ok(n) => (buf[..*n].to_vec(), 0),
            Err(LinkError::Stall { .. }) => (Vec::new(), -32),
            Err(LinkError::Disconnected { .. }) => (Vec::new(), -19),
            Err(_) => return r,
        };
        lock(&self.log).push(Urb::BulkIn {
            ep,
            buffer_length: buf.len(),
            data,
            status,
        });
        r
    }

    fn control_out(
        &mut self,
        request: u8,
        value: u16,
        data: &[u8],
        t: Duration,
    ) -> Result<usize, LinkError> {
        let n = self.inner.control_out(request, value, data, t)?;
        lock(&self.log).push(Urb::ControlOut {
            request,
            value,
            data: data.to_vec(),
        });
        Ok(n)
    }

    fn clear_halt(&mut self, ep: u8) -> Result<(), LinkError> {
        self.inner.clear_halt(ep)
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    fn simulated(&self) -> bool {
        self.inner.simulated()
    }
}

/// Where the simulated device sits on the mocked bus.
pub const BUS: u8 = 1;
/// Its address on the mocked bus.
pub const ADDRESS: u8 = 2;

/// The device node path umockdev must map the script to.
pub fn device_node() -> String {
    format!("/dev/bus/usb/{BUS:03}/{ADDRESS:03}")
}

/// The USB descriptors of the simulated scanner: device, configuration, one vendor-class
/// interface with a bulk OUT and a bulk IN endpoint of 512 bytes (high speed).
pub fn descriptors() -> Vec<u8> {
    let [vl, vh] = codec::VID.to_le_bytes();
    let [pl, ph] = codec::PID.to_le_bytes();
    let mut d = vec![
        18, 1, 0x00, 0x02, 0, 0, 0, 64, vl, vh, pl, ph, 0x00, 0x01, 1, 2, 3, 1,
    ];
    d.extend_from_slice(&[9, 2, 32, 0, 1, 1, 0, 0x80, 250]);
    d.extend_from_slice(&[9, 4, INTERFACE, 0, 2, 0xFF, 0, 0, 0]);
    d.extend_from_slice(&[7, 5, codec::EP_OUT, 2, 0x00, 0x02, 0]);
    d.extend_from_slice(&[7, 5, codec::EP_IN, 2, 0x00, 0x02, 0]);
    d
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02X}");
    }
    s
}

/// The umockdev device description (sysfs attributes, udev properties, descriptors).
pub fn device_description(serial: &str) -> String {
    let desc = hex(&descriptors());
    let node = device_node();
    format!(
        "P: /devices/pci0000:00/0000:00:14.0/usb{BUS}/{BUS}-1\n\
N: {n}={desc}\n\
E: BUSNUM={BUS:03}\n\
E: DEVNAME={node}\n\
E: DEVNUM={ADDRESS:03}\n\
E: DEVTYPE=usb_device\n\
E: DRIVER=usb\n\
E: ID_BUS=usb\n\
E: ID_MODEL_ID={pid:04x}\n\
E: ID_VENDOR_ID={vid:04x}\n\
E: ID_SERIAL_SHORT={serial}\n\
E: MAJOR=189\n\
E: MINOR={minor}\n\
E: PRODUCT={vid:x}/{pid:x}/100\n\
E: SUBSYSTEM=usb\n\
A: bConfigurationValue=1\n\
A: bDeviceClass=00\n\
A: bDeviceProtocol=00\n\
A: bDeviceSubClass=00\n\
A: bMaxPacketSize0=64\n\
A: bNumConfigurations=1\n\
A: bNumInterfaces= 1\n\
A: bcdDevice=0100\n\
A: bmAttributes=80\n\
A: busnum={BUS}\\n\n\
H: descriptors={desc}\n\
A: dev=189:{minor}\n\
A: devnum={ADDRESS}\\n\n\
A: devpath=1\n\
A: idProduct={pid:04x}\n\
A: idVendor={vid:04x}\n\
A: manufacturer=Rekam\n\
A: product=IRIS-SIM\n\
A: serial={serial}\n\
A: speed=480\n\
A: version= 2.00\n",
        n = node.trim_start_matches("/dev/"),
        vid = codec::VID,
        pid = codec::PID,
        minor = (u32::from(BUS) - 1) * 128 + u32::from(ADDRESS) - 1,
    )
}

/// The usbdevfs script for `urbs`: each OUT URB at the top level, the IN URBs that answer it as
/// its children, as umockdev's ioctl tree expects.
pub fn ioctl_script(urbs: &[Urb]) -> String {
    // USBDEVFS_URB_TYPE_CONTROL = 2, USBDEVFS_URB_TYPE_BULK = 3.
    let mut s = format!(
        "# Rekam iris scanner simulation: one capture scenario, recorded by firmware-sim.\n@DEV {} (usbdevfs)\nUSBDEVFS_GET_CAPABILITIES 0 {}\n",
        device_node(),
        hex(&0x0Fu32.to_le_bytes())
    );
    for u in urbs {
        match u {
            Urb::BulkOut { ep, data } => {
                let _ = writeln!(
                    s,
                    "USBDEVFS_REAPURBNDELAY 0 3 {ep} 0 0 {n} {n} 0 {}",
                    hex(data),
                    n = data.len()
                );
            }
            Urb::BulkIn {
                ep,
                buffer_length,
                data,
                status,
            } => {
                let _ = writeln!(
                    s,
                    " USBDEVFS_REAPURBNDELAY 0 3 {ep} {status} 0 {buffer_length} {} 0 {}",
                    data.len(),
                    hex(data)
                );
            }
            Urb::ControlOut {
                request,
                value,
                data,
            } => {
                let mut setup = vec![0x41, *request];
                setup.extend_from_slice(&value.to_le_bytes());
                setup.extend_from_slice(&u16::from(INTERFACE).to_le_bytes());
                setup.extend_from_slice(&(data.len() as u16).to_le_bytes());
                setup.extend_from_slice(data);
                let _ = writeln!(
                    s,
                    "USBDEVFS_REAPURBNDELAY 0 2 0 0 0 {} {} 0 {}",
                    setup.len(),
                    data.len(),
                    hex(&setup)
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_are_well_formed() {
        let d = descriptors();
        assert_eq!(d[0] as usize, 18);
        let total = u16::from_le_bytes([d[20], d[21]]) as usize;
        assert_eq!(d.len(), 18 + total);
        // Every descriptor's length byte walks exactly to the end.
        let mut i = 0;
        while i < d.len() {
            assert!(d[i] > 0);
            i += d[i] as usize;
        }
        assert_eq!(i, d.len());
    }

    #[test]
    fn script_nests_replies_under_commands() {
        let s = ioctl_script(&[
            Urb::ControlOut {
                request: 1,
                value: 0,
                data: vec![],
            },
            Urb::BulkOut {
                ep: 1,
                data: vec![0xAB],
            },
            Urb::BulkIn {
                ep: 0x81,
                buffer_length: 16384,
                data: vec![1, 2],
                status: 0,
            },
        ]);
        assert!(s.contains("USBDEVFS_REAPURBNDELAY 0 2 0 0 0 8 0 0 4101000000000000\n"));
        assert!(s.contains("USBDEVFS_REAPURBNDELAY 0 3 1 0 0 1 1 0 AB\n"));
        assert!(s.contains("\n USBDEVFS_REAPURBNDELAY 0 3 129 0 0 16384 2 0 0102\n"));
    }
}
