//! The station configuration (`config/station.toml`, `config/sim.toml`), validated on load with
//! errors that name the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rekam_device::{Options, Selector};
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

/// One device's table: the driver, its port and the driver's options.
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceConfig {
    /// Driver name (`r30x`, `isdv4`, `v4l`, `simcam`).
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

    /// Checks every value, naming the key.
    pub fn validate(&self) -> anyhow::Result<()> {
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
            let sel = dev.selector(table)?;
            let opts = dev.options(table)?;
            if table == "camera" {
                validate_camera(dev, &sel, &opts)?;
                continue;
            }
            let (expected, usb) = match table {
                "fingerprint" => ("r30x", false),
                "signature_pad" => ("isdv4", false),
                // `simiris`: the simulated scanner of `[sim.iris]`, in this process.
                _ if dev.driver == "simiris" => ("simiris", true),
                _ => ("iris_usb", true),
            };
            if dev.driver != expected {
                bail!(
                    "[{table}] driver is '{}'; this table takes '{expected}'",
                    dev.driver
                );
            }
            let checked = match expected {
                "r30x" => rekam_fingerprint::R30xFactory::config(&opts).map(drop),
                "isdv4" => rekam_sigpad::Isdv4Factory::config(&opts).map(drop),
                _ => rekam_iris::IrisFactory::config(&opts).map(drop),
            };
            checked.map_err(|e| anyhow::anyhow!("[{table}] {e}"))?;
            match (usb, &sel) {
                (false, Selector::Serial(_)) | (true, Selector::Usb { .. }) => {}
                (false, _) => bail!("[{table}] port must be a serial port path, e.g. /dev/ttyUSB0"),
                (true, _) => bail!("[{table}] port must be a USB VID:PID[:SERIAL], e.g. 1209:0001"),
            }
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

    /// The simulated camera of the `[sim.camera]` table, when `[camera]` uses the `simcam`
    /// driver: a simulated camera lives in the process that uses it, so `rekam` starts it.
    pub fn sim_camera(&self) -> anyhow::Result<Option<firmware_sim::camera::CameraSim>> {
        if self.camera.as_ref().is_none_or(|c| c.driver != "simcam") {
            return Ok(None);
        }
        let table = self._sim.as_ref().and_then(|s| s.get("camera")).cloned();
        let sim: firmware_sim::camera::CameraSim = match table {
            Some(t) => t.try_into().context("[sim.camera]")?,
            None => Default::default(),
        };
        sim.validate()
            .map_err(|e| anyhow::anyhow!("[sim.camera] {e}"))?;
        Ok(Some(sim))
    }

    /// The simulated iris scanner of the `[sim.iris]` table, when `[iris]` uses the `simiris`
    /// driver: like the simulated camera, it lives in the process that uses it.
    pub fn sim_iris(&self) -> anyhow::Result<Option<firmware_sim::IrisSim>> {
        if self.iris.as_ref().is_none_or(|c| c.driver != "simiris") {
            return Ok(None);
        }
        let table = self._sim.as_ref().and_then(|s| s.get("iris")).cloned();
        Ok(Some(match table {
            Some(t) => t.try_into().context("[sim.iris]")?,
            None => Default::default(),
        }))
    }

    /// The language of messages.
    pub fn lang(&self) -> Lang {
        Lang::parse(&self.station.language).unwrap_or(Lang::Id)
    }

    /// Takes ports and baud rates from a firmware-sim `devices.toml`.
    pub fn apply_sim_devices(&mut self, path: &Path) -> anyhow::Result<()> {
        #[derive(Deserialize)]
        struct Entry {
            port: String,
            baud: u32,
        }
        #[derive(Deserialize)]
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

/// The `[camera]` table: a camera driver, a camera selector, the driver's options.
fn validate_camera(dev: &DeviceConfig, sel: &Selector, opts: &Options) -> anyhow::Result<()> {
    match dev.driver.as_str() {
        "v4l" | "simcam" => {}
        other => bail!("[camera] driver is '{other}'; the camera drivers are v4l (V4L2 cameras) and simcam (the simulated camera)"),
    }
    rekam_camera::config(&dev.driver, opts).map_err(|e| anyhow::anyhow!("[camera] {e}"))?;
    if !matches!(sel, Selector::Camera(_)) {
        bail!(
            "[camera] port must be a camera: /dev/video0, a /dev/v4l/by-id/... link, or camera:N"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_configurations_load() {
        for f in ["station.toml", "sim.toml"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../config")
                .join(f);
            let text = std::fs::read_to_string(&path).unwrap();
            StationConfig::parse(&text).unwrap_or_else(|e| panic!("{f}: {e:#}"));
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
        assert!(format!("{e:#}").contains("takes 'isdv4'"));
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
        assert!(format!("{e:#}").contains("[camera] port"));
        let e = StationConfig::parse("[fingerprnt]\n").unwrap_err();
        assert!(format!("{e:#}").contains("fingerprnt"));
    }
}
