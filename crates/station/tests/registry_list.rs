//! The registry's listing through its `SystemLister` seam: the station's own list of drivers
//! over a fixed machine (no real ports or USB bus), so what `rekam diag` would propose for each
//! attached device is checked without hardware.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use rekam_device::{FixedLister, SerialPortInfo, SystemSnapshot, UsbDeviceInfo};

#[test]
fn the_registry_lists_each_attached_device_under_its_driver() {
    let port = |path: &str, usb: Option<(u16, u16)>| SerialPortInfo {
        path: path.into(),
        usb,
        description: None,
    };
    let machine = SystemSnapshot {
        serial_ports: vec![
            port("/dev/ttyUSB0", Some((0x10c4, 0xea60))), // CP210x bridge: an R30x module
            port("/dev/ttyS4", Some((0x056a, 0x0090))),   // Wacom serial digitiser
            port("/dev/ttyS0", None),                     // a bare UART: nothing known
        ],
        usb_devices: vec![
            UsbDeviceInfo {
                vid: 0x1209,
                pid: 0x0001,
                bus: 1,
                address: 4,
            },
            UsbDeviceInfo {
                vid: 0x046d,
                pid: 0xc077,
                bus: 1,
                address: 5,
            }, // a mouse
        ],
        notes: vec![],
    };
    let registry =
        rekam_station::drivers::registry().with_lister(Box::new(FixedLister(machine.clone())));
    let snap = registry.snapshot();
    assert_eq!(
        snap, machine,
        "the registry asks its lister, not the machine"
    );
    let listed: BTreeSet<(String, String)> = registry
        .list(&snap)
        .into_iter()
        .map(|d| (d.driver, d.selector))
        .collect();
    for want in [
        ("r30x", "/dev/ttyUSB0"),
        ("isdv4", "/dev/ttyS4"),
        ("iris_usb", "1209:0001"),
    ] {
        assert!(
            listed.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} not in {listed:?}"
        );
    }
    assert!(
        !listed
            .iter()
            .any(|(_, s)| s == "/dev/ttyS0" || s.starts_with("046d")),
        "unknown devices proposed: {listed:?}"
    );
}
