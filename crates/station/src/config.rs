//! The station configuration (`config/station.toml`, `config/sim.toml`), validated on load with
//! errors that name the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rekam_device::{DeviceKind, Options, Registry, Selector};
use serde::Deserialize;

use crate::i18n::Lang;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationConfig {
    /// The `[station]` table.
    #[serde(default)]
    pub station: StationSection,
    /// The fingerprint scanner.
    pub fingerprint: Option<DeviceConfig>,
    /// The signature pad.
    pub signature_pad: Option<DeviceConfig>,
    /// The iris scanner.
    pub iris: Option<DeviceConfig>,
    /// The face camera.
    pub camera: Option<DeviceConfig>,
    /// Quality gates per modality (`[gates.finger]` threshold and attempts, ...).
    #[serde(default)]
    pub gates: rekam_pipeline::Gates,
    /// The simulator's own table (read by firmware-sim; `rekam` ignores it).
    #[serde(default, rename = "sim")]
    #[allow(dead_code)]
    pub _sim: Option<toml::Value>,
    /// Where the file was read from, for messages.
    #[serde(skip)]
    pub source: PathBuf,
}

/// The `[station]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StationSection {
    /// Station identifier.
    pub id: String,
    /// Language of messages: `id` (Indonesian) or `en`.
    pub language: String,
    /// A devices.toml written by firmware-sim whose ports replace the ones configured here.
    pub sim_devices: Option<PathBuf>,
    /// Where the station keeps its key (`station.key`) and its record store (`store/`).
    pub data_dir: PathBuf,
}

impl Default for StationSection {
    fn default() -> Self {
        Self {
            id: "REKAM-STATION".into(),
            language: "id".into(),
            sim_devices: None,
            data_dir: PathBuf::from("rekam-data"),
        }
    }
}

/// One device's table: the driver, its port and the driver's options. Every other key is a
/// driver option, checked by the driver's factory (an unknown one is refused by name), which is
/// why this table cannot `deny_unknown_fields` itself.
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceConfig {
    /// Driver name (`r30x`, `isdv4`, `iris_usb`, `v4l`; `simcam`, `simiris` with the simulator).
    pub driver: String,
    /// Where the device is: a serial port path, VID:PID, or a camera (`/dev/video0`, `camera:0`).
    pub port: String,
    /// Everything else: driver options (baud, address, password ...).
    #[serde(flatten)]
    pub options: BTreeMap<String, toml::Value>,
}

impl DeviceConfig {
    /// The parsed selector.
    pub fn selector(&self, table: &str) -> anyhow::Result<Selector> {
        self.port.parse().with_context(|| format!("[{table}] port"))
    }

    /// Opens the device of table `table` through `registry`; a bad port or option is an
    /// `InvalidInput` error naming the key.
    pub fn open(
        &self,
        table: &str,
        registry: &rekam_device::Registry,
    ) -> Result<Box<dyn rekam_device::Device>, rekam_device::DeviceError> {
        let bad = |e: anyhow::Error| {
            rekam_device::DeviceError::new(rekam_device::ErrorKind::InvalidInput, format!("{e:#}"))
        };
        let sel = self.selector(table).map_err(bad)?;
        let opts = self.options(table).map_err(bad)?;
        registry.open(&self.driver, &sel, &opts)
    }

    /// The driver options as strings.
    pub fn options(&self, table: &str) -> anyhow::Result<Options> {
        let mut o = Options::new();
        for (k, v) in &self.options {
            let s = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => bail!(
                    "[{table}] {k} must be a number or text, not {}",
                    other.type_str()
                ),
            };
            o = o.set(k, s);
        }
        Ok(o)
    }
}

impl StationConfig {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read the station configuration {}: give its path with --config or REKAM_CONFIG",
                path.display()
            )
        })?;
        let mut c = Self::parse(&text).with_context(|| format!("in {}", path.display()))?;
        c.source = path.to_path_buf();
        if let Some(devices) = c.station.sim_devices.clone() {
            c.apply_sim_devices(&devices)?;
        }
        Ok(c)
    }

    /// Parses and validates configuration text.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let c: StationConfig = toml::from_str(text)?;
        c.validate()?;
        Ok(c)
    }

    /// Checks every value, naming the key; devices through the factories of this build's one
    /// list of drivers ([`crate::drivers`]).
    pub fn validate(&self) -> anyhow::Result<()> {
        self.validate_with(&crate::drivers::registry())
    }

    /// Checks every value, naming the key; devices through the factories of `registry`.
    pub fn validate_with(&self, registry: &Registry) -> anyhow::Result<()> {
        if Lang::parse(&self.station.language).is_none() {
            bail!(
                "[station] language is '{}'; it must be 'id' (Bahasa Indonesia) or 'en' (English)",
                self.station.language
            );
        }
        if self.station.id.trim().is_empty() {
            bail!("[station] id must not be empty");
        }
        for (table, dev) in self.devices() {
            let kind = table_kind(table);
            let sel = dev.selector(table)?;
            let opts = dev.options(table)?;
            if !crate::drivers::HAS_SIMULATOR
                && crate::drivers::SIMULATED.contains(&dev.driver.as_str())
            {
                bail!(
                    "[{table}] driver is '{}', a simulated device, and this build of rekam has no simulator (it was built without the `sim` feature); use a real {kind} driver: {}",
                    dev.driver,
                    registry.drivers_of(kind).join(", ")
                );
            }
            registry
                .validate(kind, &dev.driver, &sel, &opts)
                .map_err(|e| anyhow::anyhow!("[{table}] {}", e.message()))?;
        }
        self.gates.validate().map_err(|e| anyhow::anyhow!(e))?;
        Ok(())
    }

    /// The configured devices with their table names.
    pub fn devices(&self) -> Vec<(&'static str, &DeviceConfig)> {
        let mut v = Vec::new();
        if let Some(d) = &self.fingerprint {
            v.push(("fingerprint", d));
        }
        if let Some(d) = &self.signature_pad {
            v.push(("signature_pad", d));
        }
        if let Some(d) = &self.iris {
            v.push(("iris", d));
        }
        if let Some(d) = &self.camera {
            v.push(("camera", d));
        }
        v
    }

    /// A table of the simulator's own `[sim]` table (`camera`, `iris`).
    pub fn sim_table(&self, name: &str) -> Option<toml::Value> {
        self._sim.as_ref().and_then(|s| s.get(name)).cloned()
    }

    /// The language of messages.
    pub fn lang(&self) -> Lang {
        Lang::parse(&self.station.language).unwrap_or(Lang::Id)
    }

    /// Takes ports and baud rates from a firmware-sim `devices.toml`.
    pub fn apply_sim_devices(&mut self, path: &Path) -> anyhow::Result<()> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Entry {
            #[allow(dead_code)]
            driver: String,
            port: String,
            baud: u32,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Devices {
            fingerprint: Option<Entry>,
            signature_pad: Option<Entry>,
        }
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read {} : is firmware-sim running? Start it with `firmware-sim --config config/sim.toml`",
                path.display()
            )
        })?;
        let d: Devices = toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
        for (entry, dev) in [
            (d.fingerprint, self.fingerprint.as_mut()),
            (d.signature_pad, self.signature_pad.as_mut()),
        ] {
            if let (Some(e), Some(dev)) = (entry, dev) {
                dev.port = e.port;
                dev.options
                    .insert("baud".into(), toml::Value::Integer(i64::from(e.baud)));
            }
        }
        Ok(())
    }
}

/// The kind of device a configuration table holds.
fn table_kind(table: &str) -> DeviceKind {
    match table {
        "fingerprint" => DeviceKind::Fingerprint,
        "signature_pad" => DeviceKind::SignaturePad,
        "iris" => DeviceKind::Iris,
        _ => DeviceKind::Camera,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_configurations_load() {
        let read = |f: &str| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../config")
                .join(f);
            std::fs::read_to_string(path).unwrap()
        };
        StationConfig::parse(&read("station.toml")).unwrap_or_else(|e| panic!("{e:#}"));
        // sim.toml names the simulated camera: only a build with the simulator takes it.
        let sim = StationConfig::parse(&read("sim.toml"));
        if crate::drivers::HAS_SIMULATOR {
            sim.unwrap_or_else(|e| panic!("sim.toml: {e:#}"));
        } else {
            assert!(format!("{:#}", sim.unwrap_err()).contains("has no simulator"));
        }
    }

    #[test]
    fn errors_name_the_key() {
        let e = StationConfig::parse(
            "[fingerprint]\ndriver = \"r30x\"\nport = \"/dev/ttyUSB0\"\nbaud = 1234\n",
        )
        .unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("[fingerprint]") && msg.contains("baud"),
            "{msg}"
        );
        let e = StationConfig::parse("[station]\nlanguage = \"fr\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("[station] language"));
        let e = StationConfig::parse("[signature_pad]\ndriver = \"r30x\"\nport = \"/dev/ttyS0\"\n")
            .unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("[signature_pad]") && msg.contains("drivers are: isdv4"),
            "{msg}"
        );
        let e = StationConfig::parse("[iris]\ndriver = \"iris_usb\"\nport = \"/dev/ttyS0\"\n")
            .unwrap_err();
        assert!(format!("{e:#}").contains("VID:PID"));
        let e = StationConfig::parse(
            "[fingerprint]\ndriver = \"r30x\"\nport = \"/dev/ttyUSB0\"\npasword = 1\n",
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("pasword"));
        let e = StationConfig::parse(
            "[camera]\ndriver = \"v4l\"\nport = \"/dev/video0\"\nformat = \"h264\"\n",
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("[camera]") && format!("{e:#}").contains("format"));
        let e = StationConfig::parse("[camera]\ndriver = \"r30x\"\nport = \"/dev/video0\"\n")
            .unwrap_err();
        assert!(format!("{e:#}").contains("v4l"));
        let e = StationConfig::parse("[camera]\ndriver = \"v4l\"\nport = \"/dev/ttyUSB0\"\n")
            .unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("[camera]") && msg.contains("port must be /dev/videoN"),
            "{msg}"
        );
        let e = StationConfig::parse("[fingerprnt]\n").unwrap_err();
        assert!(format!("{e:#}").contains("fingerprnt"));
    }

    #[test]
    fn an_unknown_driver_is_refused_naming_the_drivers_of_that_kind() {
        let e = StationConfig::parse("[iris]\ndriver = \"iris_usbb\"\nport = \"1209:0001\"\n")
            .unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("[iris]") && msg.contains("'iris_usbb'") && msg.contains("iris_usb"),
            "{msg}"
        );
        assert!(!msg.contains("r30x"), "only iris drivers are named: {msg}");
    }

    #[test]
    fn devices_are_validated_by_the_registrys_factories_not_a_table_of_names() {
        // A registry with only the fingerprint driver: the camera table is refused by it, and
        // the fingerprint table is checked by the R30x factory's own rules.
        static R30X: rekam_fingerprint::R30xFactory = rekam_fingerprint::R30xFactory;
        let only_r30x = Registry::new(vec![&R30X]);
        let c =
            StationConfig::parse("[camera]\ndriver = \"v4l\"\nport = \"/dev/video0\"\n").unwrap();
        let msg = format!("{:#}", c.validate_with(&only_r30x).unwrap_err());
        assert!(msg.contains("no camera driver"), "{msg}");
        let c = StationConfig::parse(
            "[fingerprint]\ndriver = \"r30x\"\nport = \"/dev/ttyUSB0\"\nbaud = 57600\n",
        )
        .unwrap();
        c.validate_with(&only_r30x).unwrap();
    }

    #[cfg(feature = "sim")]
    #[test]
    fn a_build_with_the_simulator_accepts_the_simulated_drivers() {
        StationConfig::parse(
            "[iris]\ndriver = \"simiris\"\nport = \"1209:0001\"\n\n[camera]\ndriver = \"simcam\"\nport = \"camera:0\"\n",
        )
        .unwrap();
    }

    #[cfg(not(feature = "sim"))]
    #[test]
    fn a_build_without_the_simulator_refuses_the_simulated_drivers_with_a_sentence() {
        for (table, text) in [
            (
                "[iris]",
                "[iris]\ndriver = \"simiris\"\nport = \"1209:0001\"\n",
            ),
            (
                "[camera]",
                "[camera]\ndriver = \"simcam\"\nport = \"camera:0\"\n",
            ),
        ] {
            let msg = format!("{:#}", StationConfig::parse(text).unwrap_err());
            assert!(
                msg.contains(table) && msg.contains("has no simulator"),
                "{msg}"
            );
        }
    }

    #[test]
    fn an_unknown_key_in_a_gate_table_is_refused_naming_the_key_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.toml");
        std::fs::write(
            &path,
            "[station]\nid = \"T\"\n\n[gates.finger]\nthreshold = 40\nattempts = 3\ntreshold = 90\n",
        )
        .unwrap();
        let msg = format!("{:#}", StationConfig::load(&path).unwrap_err());
        assert!(msg.contains("treshold"), "{msg}");
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("line 7"), "{msg}");
        // And in the other tables.
        for text in [
            "[gates]\nfingre = { threshold = 40, attempts = 3 }\n",
            "[station]\nidd = \"T\"\n",
        ] {
            let msg = format!("{:#}", StationConfig::parse(text).unwrap_err());
            assert!(msg.contains("unknown field"), "{text}: {msg}");
        }
    }
}
