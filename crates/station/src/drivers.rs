//! The one list of every driver factory.

use rekam_device::{DriverFactory, Registry};

static R30X: rekam_fingerprint::R30xFactory = rekam_fingerprint::R30xFactory;
static ISDV4: rekam_sigpad::Isdv4Factory = rekam_sigpad::Isdv4Factory;
static IRIS: rekam_iris::IrisFactory = rekam_iris::IrisFactory;
static V4L: rekam_camera::CameraFactory = rekam_camera::CameraFactory;
/// Simulated cameras plugged into this process (`rekam demo`, a `[sim.camera]` table).
static SIMCAM: firmware_sim::camera::SimCameraFactory = firmware_sim::camera::SimCameraFactory;
/// Simulated iris scanners plugged into this process (`rekam demo`, a `[sim.iris]` table).
static SIMIRIS: firmware_sim::iris::SimIrisFactory = firmware_sim::iris::SimIrisFactory;

/// Every driver Rekam has.
pub fn factories() -> Vec<&'static dyn DriverFactory> {
    vec![&R30X, &ISDV4, &IRIS, &V4L, &SIMCAM, &SIMIRIS]
}

/// A registry of every driver, listing the real machine.
pub fn registry() -> Registry {
    Registry::new(factories())
}

/// USB devices known to be biometric or to carry one: (vid, pid or None for the whole vendor,
/// what it is). Fingerprint reader ids are those in libfprint's driver tables.
pub const KNOWN_USB: &[(u16, Option<u16>, &str)] = &[
    (
        0x05ba,
        Some(0x0007),
        "DigitalPersona U.are.U 4000 fingerprint reader",
    ),
    (
        0x05ba,
        Some(0x000a),
        "DigitalPersona U.are.U 4000B/4500 fingerprint reader",
    ),
    (0x045e, Some(0x00bd), "Microsoft fingerprint reader"),
    (0x147e, Some(0x2016), "UPEK TouchChip fingerprint reader"),
    (0x138a, Some(0x0011), "Validity VFS5011 fingerprint reader"),
    (0x056a, None, "Wacom pen digitiser or signature pad"),
    (
        rekam_iris::codec::VID,
        Some(rekam_iris::codec::PID),
        "iris scanner (Rekam iris USB protocol)",
    ),
];

/// What is known of a USB id.
pub fn known_usb(vid: u16, pid: u16) -> Option<String> {
    if let Some((_, _, name)) = KNOWN_USB
        .iter()
        .find(|(v, p, _)| *v == vid && p.is_none_or(|p| p == pid))
    {
        return Some((*name).to_string());
    }
    rekam_fingerprint::USB_SERIAL_BRIDGES
        .iter()
        .find(|(v, p, _)| *v == vid && *p == pid)
        .map(|(_, _, name)| {
            format!("{name} (serial devices such as the fingerprint module use it)")
        })
}
