//! firmware-sim: the device side of every Rekam driver's protocol, with synthetic biometrics and
//! faults on demand.
//!
//! Each simulated device runs its firmware on the master side of a pseudo-terminal; the driver
//! opens the slave side by path through `serialport`, exactly as it opens a real port. A
//! symlink in the simulator's run directory (`fingerprint`, `signature_pad`) points at the slave
//! and survives an unplug/replug.
//!
//! ```no_run
//! use firmware_sim::{SimConfig, Simulator};
//! let sim = Simulator::start(&SimConfig::default()).unwrap();
//! let port = sim.fingerprint().unwrap().path();
//! println!("fingerprint module at {}", port.display());
//! ```
#![warn(missing_docs)]

pub mod camera;
pub mod fingerprint;
pub mod iris;
mod runner;
pub mod sigpad;
pub mod umockdev;
/// The synthetic biometrics the simulated devices present (the `rekam-synth` crate).
pub use rekam_synth as synth;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

pub use runner::WireStats;
use runner::{lock, SerialDevice};

use fingerprint::{FingerprintFirmware, Idle, Model, ModuleSettings, Placement};
use sigpad::{PadSettings, Signer, SigpadFirmware};
use synth::signature::Style;

/// A fault to inject into a simulated device's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Flip the last byte (the R30x checksum) of the next `frames` frames.
    CorruptChecksum {
        /// How many frames; `u32::MAX` for ever.
        frames: u32,
    },
    /// Drop the middle byte of the next `frames` frames.
    DropByte {
        /// How many frames; `u32::MAX` for ever.
        frames: u32,
    },
    /// Insert a byte in the middle of the next `frames` frames.
    ExtraByte {
        /// How many frames; `u32::MAX` for ever.
        frames: u32,
    },
    /// Send four bytes of line noise before each of the next `frames` frames.
    Noise {
        /// How many frames; `u32::MAX` for ever.
        frames: u32,
    },
    /// Withhold the next `frames` frames (the device does not answer).
    Silent {
        /// How many frames; `u32::MAX` for ever.
        frames: u32,
    },
    /// The port vanishes after `after_bytes` more bytes from the device (0: now).
    Unplug {
        /// Bytes still sent before the port vanishes.
        after_bytes: u64,
    },
    /// Another program holds the port.
    Busy,
    /// Bytes leave at the real line rate (10 bits a byte at the configured baud).
    SlowLine,
}

impl Fault {
    pub(crate) fn is_frame_fault(&self) -> bool {
        matches!(
            self,
            Fault::CorruptChecksum { .. }
                | Fault::DropByte { .. }
                | Fault::ExtraByte { .. }
                | Fault::Noise { .. }
                | Fault::Silent { .. }
        )
    }

    /// Counts one use; true when the fault is used up.
    pub(crate) fn consume(&mut self) -> bool {
        match self {
            Fault::CorruptChecksum { frames }
            | Fault::DropByte { frames }
            | Fault::ExtraByte { frames }
            | Fault::Noise { frames }
            | Fault::Silent { frames } => {
                if *frames == u32::MAX {
                    return false;
                }
                *frames = frames.saturating_sub(1);
                *frames == 0
            }
            _ => true,
        }
    }
}

/// The error of parsing a [`Fault`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a fault: use corrupt-checksum[:N], drop-byte[:N], extra-byte[:N], noise[:N], silent[:N], unplug[:BYTES], busy or slow-line (N a count or 'always')")]
pub struct ParseFaultError(String);

impl FromStr for Fault {
    type Err = ParseFaultError;

    /// ```
    /// use firmware_sim::Fault;
    /// assert_eq!("corrupt-checksum:2".parse::<Fault>().unwrap(), Fault::CorruptChecksum { frames: 2 });
    /// assert_eq!("silent:always".parse::<Fault>().unwrap(), Fault::Silent { frames: u32::MAX });
    /// assert_eq!("unplug:100".parse::<Fault>().unwrap(), Fault::Unplug { after_bytes: 100 });
    /// assert!("melt".parse::<Fault>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseFaultError(s.to_string());
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let count = |a: Option<&str>| -> Result<u32, ParseFaultError> {
            match a {
                None => Ok(1),
                Some("always") => Ok(u32::MAX),
                Some(n) => n.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(err),
            }
        };
        Ok(match name {
            "corrupt-checksum" => Fault::CorruptChecksum {
                frames: count(arg)?,
            },
            "drop-byte" => Fault::DropByte {
                frames: count(arg)?,
            },
            "extra-byte" => Fault::ExtraByte {
                frames: count(arg)?,
            },
            "noise" => Fault::Noise {
                frames: count(arg)?,
            },
            "silent" => Fault::Silent {
                frames: count(arg)?,
            },
            "unplug" => Fault::Unplug {
                after_bytes: arg.map_or(Ok(0), |a| a.parse().map_err(|_| err()))?,
            },
            "busy" if arg.is_none() => Fault::Busy,
            "slow-line" if arg.is_none() => Fault::SlowLine,
            _ => return Err(err()),
        })
    }
}

/// The simulated fingerprint module, as configured in the `[sim.fingerprint]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FingerprintSim {
    /// `r503` (default) or `r307`.
    pub model: Model,
    /// Line speed, 9600 x N.
    pub baud: u32,
    /// Module address.
    pub address: u32,
    /// Module password.
    pub password: u32,
    /// Data packet size: 32, 64, 128 or 256.
    pub packet_size: u16,
    /// Who places fingers when nothing is queued.
    pub person: u64,
    /// GenImg polls before the next finger is there; absent: nobody places a finger.
    pub auto_place_after_polls: Option<u32>,
    /// Send at the real line rate.
    pub line_timing: bool,
}

impl Default for FingerprintSim {
    fn default() -> Self {
        Self {
            model: Model::R503,
            baud: 57_600,
            address: rekam_fingerprint::codec::DEFAULT_ADDRESS,
            password: 0,
            packet_size: 128,
            person: 1,
            auto_place_after_polls: Some(3),
            line_timing: false,
        }
    }
}

/// The simulated signature pad, as configured in the `[sim.signature_pad]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SigpadSim {
    /// Line speed (pads run at 19200 or 38400).
    pub baud: u32,
    /// Playback speed of signatures: 1.0 is real time.
    pub speed: f64,
    /// Who signs when nothing is queued; absent: nobody signs.
    pub person: Option<u64>,
    /// Milliseconds before the pen touches.
    pub reach_ms: u32,
    /// Reports a second.
    pub rate_hz: u32,
}

impl Default for SigpadSim {
    fn default() -> Self {
        Self {
            baud: 38_400,
            speed: 1.0,
            person: Some(1),
            reach_ms: 400,
            rate_hz: 133,
        }
    }
}

/// Which devices to simulate and where.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// Where the port symlinks and `devices.toml` go; a fresh temporary folder if absent.
    pub run_dir: Option<PathBuf>,
    /// The fingerprint module, if simulated.
    pub fingerprint: Option<FingerprintSim>,
    /// The signature pad, if simulated.
    pub signature_pad: Option<SigpadSim>,
    /// The iris scanner, if simulated (reached in-process through [`Simulator::iris_link`], or
    /// through libusb under umockdev).
    pub iris: Option<IrisSim>,
    /// The face camera, if simulated (off by default). It is plugged into this process only:
    /// see [`camera`].
    pub camera: Option<camera::CameraSim>,
}

/// The simulated iris scanner, as configured in the `[sim.iris]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IrisSim {
    /// Who looks into the scanner.
    pub person: u64,
    /// How the left eye presents.
    pub left: synth::eye::EyeCondition,
    /// How the right eye presents.
    pub right: synth::eye::EyeCondition,
}

impl Default for IrisSim {
    fn default() -> Self {
        Self {
            person: 1,
            left: synth::eye::EyeCondition::Good,
            right: synth::eye::EyeCondition::Good,
        }
    }
}

impl IrisSim {
    /// The scanner's firmware for this table: the typical approach, then these eyes.
    pub fn firmware(&self) -> iris::IrisFirmware {
        let mut scenario = iris::IrisScenario::typical(self.person);
        scenario.left = self.left;
        scenario.right = self.right;
        iris::IrisFirmware::new(scenario)
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            run_dir: None,
            fingerprint: Some(FingerprintSim::default()),
            signature_pad: Some(SigpadSim::default()),
            iris: Some(IrisSim::default()),
            camera: None,
        }
    }
}

impl SimConfig {
    /// Checks every value, naming the key of the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(f) = &self.fingerprint {
            if f.baud % 9600 != 0 || !(1..=12).contains(&(f.baud / 9600)) {
                return Err(format!(
                    "sim.fingerprint.baud is {}; it must be 9600 x N for N from 1 to 12",
                    f.baud
                ));
            }
            if ![32, 64, 128, 256].contains(&f.packet_size) {
                return Err(format!(
                    "sim.fingerprint.packet_size is {}; it must be 32, 64, 128 or 256",
                    f.packet_size
                ));
            }
        }
        if let Some(c) = &self.camera {
            c.validate()?;
        }
        if let Some(s) = &self.signature_pad {
            if !(s.speed > 0.0 && s.speed <= 100.0) {
                return Err(format!(
                    "sim.signature_pad.speed is {}; it must be above 0 and at most 100",
                    s.speed
                ));
            }
            if !(50..=1000).contains(&s.rate_hz) {
                return Err(format!(
                    "sim.signature_pad.rate_hz is {}; it must be from 50 to 1000",
                    s.rate_hz
                ));
            }
        }
        Ok(())
    }
}

/// A running simulated fingerprint module.
#[derive(Debug)]
pub struct FingerprintHandle {
    dev: SerialDevice<FingerprintFirmware>,
    baud: u32,
}

impl FingerprintHandle {
    /// The port path the driver opens.
    pub fn path(&self) -> &Path {
        self.dev.path()
    }
    /// The configured line speed.
    pub fn baud(&self) -> u32 {
        self.baud
    }
    /// Queues a finger placement.
    pub fn place(&self, p: Placement) {
        lock(&self.dev.firmware).place(p);
    }
    /// Sets what happens when no placement is queued.
    pub fn set_idle(&self, idle: Idle) {
        lock(&self.dev.firmware).set_idle(idle);
    }
    /// Runs `f` on the firmware state (settings, LED, image buffer ...).
    pub fn with_firmware<R>(&self, f: impl FnOnce(&mut FingerprintFirmware) -> R) -> R {
        f(&mut lock(&self.dev.firmware))
    }
    /// Injects a fault.
    pub fn inject(&self, fault: Fault) {
        self.dev.inject(fault);
    }
    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.dev.clear_faults();
    }
    /// Plugs the device back in after an unplug (a new pseudo-terminal behind the same path).
    pub fn replug(&self) {
        self.dev.replug();
    }
    /// What the line carried.
    pub fn stats(&self) -> WireStats {
        self.dev.stats()
    }
}

/// A running simulated signature pad.
#[derive(Debug)]
pub struct SigpadHandle {
    dev: SerialDevice<SigpadFirmware>,
    baud: u32,
}

impl SigpadHandle {
    /// The port path the driver opens.
    pub fn path(&self) -> &Path {
        self.dev.path()
    }
    /// The configured line speed.
    pub fn baud(&self) -> u32 {
        self.baud
    }
    /// Queues a signer for the next start of reporting.
    pub fn queue(&self, signer: Signer) {
        lock(&self.dev.firmware).queue(signer);
    }
    /// Sets the default signer.
    pub fn set_signer(&self, signer: Signer) {
        lock(&self.dev.firmware).set_signer(signer);
    }
    /// Runs `f` on the firmware state.
    pub fn with_firmware<R>(&self, f: impl FnOnce(&mut SigpadFirmware) -> R) -> R {
        f(&mut lock(&self.dev.firmware))
    }
    /// Injects a fault.
    pub fn inject(&self, fault: Fault) {
        self.dev.inject(fault);
    }
    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.dev.clear_faults();
    }
    /// Plugs the device back in after an unplug.
    pub fn replug(&self) {
        self.dev.replug();
    }
    /// What the line carried.
    pub fn stats(&self) -> WireStats {
        self.dev.stats()
    }
}

/// The simulator: every configured device, running until dropped.
pub struct Simulator {
    run_dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    fingerprint: Option<FingerprintHandle>,
    sigpad: Option<SigpadHandle>,
    iris: Option<std::sync::Arc<std::sync::Mutex<iris::IrisFirmware>>>,
    camera: Option<camera::SimCamera>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("run_dir", &self.run_dir)
            .finish_non_exhaustive()
    }
}

impl Drop for Simulator {
    /// The devices remove their links and locks as they drop; the device list goes too, so
    /// nothing points at pseudo-terminals that are no longer the simulator's. (A killed
    /// simulator cannot clean up: its links stay, and a station refuses them because their
    /// locks are no longer held.)
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.run_dir.join("devices.toml"));
    }
}

impl Simulator {
    /// Starts every configured device.
    pub fn start(config: &SimConfig) -> std::io::Result<Self> {
        config
            .validate()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let (run_dir, tmp) = match &config.run_dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                (d.clone(), None)
            }
            None => {
                let t = tempfile::Builder::new().prefix("rekam-sim-").tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let fingerprint = match &config.fingerprint {
            Some(f) => {
                let idle = match f.auto_place_after_polls {
                    Some(after_polls) => Idle::Auto {
                        person: f.person,
                        after_polls,
                    },
                    None => Idle::NoFinger,
                };
                let fw = FingerprintFirmware::new(
                    ModuleSettings {
                        model: f.model,
                        address: f.address,
                        password: f.password,
                        packet_size: f.packet_size,
                        baud: f.baud,
                        serial: "SIM00001".into(),
                    },
                    idle,
                );
                let dev =
                    SerialDevice::start("fingerprint", fw, run_dir.join("fingerprint"), f.baud)?;
                if f.line_timing {
                    dev.inject(Fault::SlowLine);
                }
                Some(FingerprintHandle { dev, baud: f.baud })
            }
            None => None,
        };
        let sigpad = match &config.signature_pad {
            Some(s) => {
                let signer = match s.person {
                    Some(person) => Signer::Person {
                        person,
                        style: Style::Normal,
                        reach_ms: s.reach_ms,
                    },
                    None => Signer::Nobody,
                };
                let fw = SigpadFirmware::new(
                    PadSettings {
                        speed: s.speed,
                        rate_hz: s.rate_hz,
                        ..PadSettings::default()
                    },
                    signer,
                );
                let dev = SerialDevice::start(
                    "signature_pad",
                    fw,
                    run_dir.join("signature_pad"),
                    s.baud,
                )?;
                Some(SigpadHandle { dev, baud: s.baud })
            }
            None => None,
        };
        let iris = config.iris.as_ref().map(|i| {
            let fw = std::sync::Arc::new(std::sync::Mutex::new(i.firmware()));
            iris::plug_in(&fw);
            fw
        });
        let camera = match &config.camera {
            Some(c) => {
                let cam = camera::SimCamera::new(c)?;
                cam.plug_in();
                Some(cam)
            }
            None => None,
        };
        let sim = Self {
            run_dir,
            _tmp: tmp,
            fingerprint,
            sigpad,
            iris,
            camera,
        };
        std::fs::write(sim.run_dir.join("devices.toml"), sim.devices_toml())?;
        Ok(sim)
    }

    /// The run directory.
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// The fingerprint module, if simulated.
    pub fn fingerprint(&self) -> Option<&FingerprintHandle> {
        self.fingerprint.as_ref()
    }

    /// The signature pad, if simulated.
    pub fn signature_pad(&self) -> Option<&SigpadHandle> {
        self.sigpad.as_ref()
    }

    /// The iris scanner's firmware, if simulated.
    pub fn iris(&self) -> Option<&std::sync::Arc<std::sync::Mutex<iris::IrisFirmware>>> {
        self.iris.as_ref()
    }

    /// A USB link to the simulated iris scanner, if simulated.
    pub fn iris_link(&self) -> Option<iris::SimUsbLink> {
        self.iris
            .as_ref()
            .map(|fw| iris::SimUsbLink::new(fw.clone()))
    }

    /// The face camera, if simulated; plugged into this process as `camera:N`.
    pub fn camera(&self) -> Option<&camera::SimCamera> {
        self.camera.as_ref()
    }

    /// The device list that `rekam` reads: one table per device with its port and baud.
    pub fn devices_toml(&self) -> String {
        let mut s =
            String::from("# Written by firmware-sim: the simulated devices and their ports.\n");
        if let Some(f) = &self.fingerprint {
            s.push_str(&format!(
                "\n[fingerprint]\ndriver = \"r30x\"\nport = {:?}\nbaud = {}\n",
                f.path().display().to_string(),
                f.baud
            ));
        }
        if let Some(p) = &self.sigpad {
            s.push_str(&format!(
                "\n[signature_pad]\ndriver = \"isdv4\"\nport = {:?}\nbaud = {}\n",
                p.path().display().to_string(),
                p.baud
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_count_down() {
        let mut f: Fault = "drop-byte:2".parse().unwrap();
        assert!(!f.consume());
        assert!(f.consume());
        let mut f: Fault = "noise:always".parse().unwrap();
        for _ in 0..10 {
            assert!(!f.consume());
        }
        assert!("drop-byte:0".parse::<Fault>().is_err());
        assert!("busy:3".parse::<Fault>().is_err());
    }

    #[test]
    fn bad_config_names_the_key() {
        let c = SimConfig {
            fingerprint: Some(FingerprintSim {
                packet_size: 100,
                ..FingerprintSim::default()
            }),
            ..SimConfig::default()
        };
        assert!(c
            .validate()
            .unwrap_err()
            .contains("sim.fingerprint.packet_size"));
    }
}
