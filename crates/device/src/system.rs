//! What is attached to this machine: serial ports and USB devices.
//!
//! The real lister asks `serialport` and libusb (through `rusb` with an explicit context, which,
//! unlike the global one, fails politely on a machine without a USB subsystem).

use serde::Serialize;

/// A serial port as the operating system lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SerialPortInfo {
    /// Its path.
    pub path: String,
    /// USB vendor and product id of a USB-serial adapter.
    pub usb: Option<(u16, u16)>,
    /// Product or manufacturer text, when known.
    pub description: Option<String>,
}

/// A USB device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsbDeviceInfo {
    /// Vendor id.
    pub vid: u16,
    /// Product id.
    pub pid: u16,
    /// Bus number.
    pub bus: u8,
    /// Address on the bus.
    pub address: u8,
}

/// Everything attached, as listed at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SystemSnapshot {
    /// Serial ports.
    pub serial_ports: Vec<SerialPortInfo>,
    /// USB devices.
    pub usb_devices: Vec<UsbDeviceInfo>,
    /// Why a part could not be listed (e.g. "no USB subsystem"), as sentences.
    pub notes: Vec<String>,
}

/// Tells what is attached. Tests substitute a fixed machine.
pub trait SystemLister: Send + Sync {
    /// Lists serial ports and USB devices now.
    fn snapshot(&self) -> SystemSnapshot;
}

/// The operating system's view.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsLister;

impl SystemLister for OsLister {
    fn snapshot(&self) -> SystemSnapshot {
        let mut snap = SystemSnapshot::default();
        match serialport::available_ports() {
            Ok(ports) => {
                for p in ports {
                    let (usb, description) = match p.port_type {
                        serialport::SerialPortType::UsbPort(u) => {
                            (Some((u.vid, u.pid)), u.product.or(u.manufacturer))
                        }
                        serialport::SerialPortType::PciPort => (None, Some("PCI".into())),
                        serialport::SerialPortType::BluetoothPort => {
                            (None, Some("Bluetooth".into()))
                        }
                        serialport::SerialPortType::Unknown => (None, None),
                    };
                    snap.serial_ports.push(SerialPortInfo {
                        path: p.port_name,
                        usb,
                        description,
                    });
                }
            }
            Err(e) => snap
                .notes
                .push(format!("serial ports could not be listed: {e}")),
        }
        match rusb::Context::new() {
            Ok(ctx) => {
                use rusb::UsbContext;
                match ctx.devices() {
                    Ok(list) => {
                        for d in list.iter() {
                            if let Ok(desc) = d.device_descriptor() {
                                snap.usb_devices.push(UsbDeviceInfo {
                                    vid: desc.vendor_id(),
                                    pid: desc.product_id(),
                                    bus: d.bus_number(),
                                    address: d.address(),
                                });
                            }
                        }
                    }
                    Err(e) => snap
                        .notes
                        .push(format!("USB devices could not be listed: {e}")),
                }
            }
            Err(e) => snap.notes.push(format!(
                "USB devices could not be listed ({e}): this machine may have no USB subsystem"
            )),
        }
        snap
    }
}

/// A fixed machine, for tests.
#[derive(Debug, Clone, Default)]
pub struct FixedLister(pub SystemSnapshot);

impl SystemLister for FixedLister {
    fn snapshot(&self) -> SystemSnapshot {
        self.0.clone()
    }
}
