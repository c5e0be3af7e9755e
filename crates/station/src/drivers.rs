//! The one list of every driver factory. The configuration is checked through it
//! ([`rekam_device::Registry::validate`]), diagnostics and enrollment open devices through it.

use rekam_device::{DriverFactory, Registry};

static R30X: rekam_fingerprint::R30xFactory = rekam_fingerprint::R30xFactory;
static ISDV4: rekam_sigpad::Isdv4Factory = rekam_sigpad::Isdv4Factory;
static IRIS: rekam_iris::IrisFactory = rekam_iris::IrisFactory;
static V4L: rekam_camera::CameraFactory = rekam_camera::CameraFactory;
/// Simulated cameras plugged into this process (`rekam demo`, a `[sim.camera]` table).
#[cfg(feature = "sim")]
static SIMCAM: firmware_sim::camera::SimCameraFactory = firmware_sim::camera::SimCameraFactory;
/// Simulated iris scanners plugged into this process (`rekam demo`, a `[sim.iris]` table).
#[cfg(feature = "sim")]
static SIMIRIS: firmware_sim::iris::SimIrisFactory = firmware_sim::iris::SimIrisFactory;

/// Every driver this build of Rekam has: the simulated ones only with the `sim` feature.
pub fn factories() -> Vec<&'static dyn DriverFactory> {
    #[cfg_attr(not(feature = "sim"), allow(unused_mut))]
    let mut v: Vec<&'static dyn DriverFactory> = vec![&R30X, &ISDV4, &IRIS, &V4L];
    #[cfg(feature = "sim")]
    v.extend([&SIMCAM as &'static dyn DriverFactory, &SIMIRIS]);
    v
}

/// The names of the simulated drivers, which only a build with the `sim` feature has: a
/// build without it names them to say why a configuration that uses one is refused.
pub const SIMULATED: &[&str] = &["simcam", "simiris"];

/// Whether this build has the simulator (the `sim` feature).
pub const HAS_SIMULATOR: bool = cfg!(feature = "sim");

/// What a build without the simulator says when asked for it (`rekam demo`).
pub fn no_simulator(lang: crate::i18n::Lang) -> &'static str {
    lang.pick(
        "Build rekam ini tidak memiliki simulator (dibangun tanpa fitur `sim`, seperti build produksi), jadi `rekam demo` tidak tersedia: jalankan demo dari build bawaan (`cargo run -p rekam -- demo`), atau gunakan `rekam diag` dengan perangkat sungguhan.",
        "This build of rekam has no simulator (it was built without the `sim` feature, as a production build is), so `rekam demo` is not available: run the demo from a default build (`cargo run -p rekam -- demo`), or use `rekam diag` with real devices.",
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulated_drivers_are_in_the_list_exactly_when_the_build_has_the_simulator() {
        let names: Vec<_> = factories().iter().map(|f| f.name()).collect();
        for sim in SIMULATED {
            assert_eq!(names.contains(sim), HAS_SIMULATOR, "{sim} in {names:?}");
        }
        for real in ["r30x", "isdv4", "iris_usb", "v4l"] {
            assert!(names.contains(&real), "{real} missing from {names:?}");
        }
    }
}
