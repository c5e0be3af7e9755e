//! Simulated devices that live in the station's own process (`simcam`, `simiris`): a
//! simulated camera or USB scanner is reached in-process, so `rekam` starts the ones its
//! configuration names, from the `[sim.camera]` and `[sim.iris]` tables.
//!
//! Only a build with the `sim` feature has them; without it the configuration refuses the
//! simulated drivers when it loads, so there is never anything to start.

use crate::config::StationConfig;

/// Simulated devices that live in this process (`simcam`, `simiris`), kept alive for the run.
#[cfg(feature = "sim")]
#[allow(missing_debug_implementations)]
pub struct InProcessSims {
    _camera: Option<firmware_sim::camera::SimCamera>,
    _iris: Option<std::sync::Arc<std::sync::Mutex<firmware_sim::iris::IrisFirmware>>>,
}

/// Simulated devices that live in this process: none in a build without the simulator.
#[cfg(not(feature = "sim"))]
#[derive(Debug)]
pub struct InProcessSims;

#[cfg(feature = "sim")]
impl InProcessSims {
    /// Starts what `config` asks for (`[camera] driver = "simcam"`, `[iris] driver = "simiris"`).
    pub fn start(config: &StationConfig) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let camera = match sim_camera(config)? {
            Some(c) => {
                let cam = firmware_sim::camera::SimCamera::new(&c)
                    .context("starting the simulated camera of [sim.camera]")?;
                cam.plug_in();
                Some(cam)
            }
            None => None,
        };
        let iris = match sim_iris(config)? {
            Some(i) => {
                let fw = std::sync::Arc::new(std::sync::Mutex::new(i.firmware()));
                firmware_sim::iris::plug_in(&fw);
                Some(fw)
            }
            None => None,
        };
        Ok(Self {
            _camera: camera,
            _iris: iris,
        })
    }
}

#[cfg(not(feature = "sim"))]
impl InProcessSims {
    /// Nothing to start: a configuration naming a simulated driver was refused when it loaded.
    pub fn start(config: &StationConfig) -> anyhow::Result<Self> {
        let _ = config;
        Ok(Self)
    }
}

/// The simulated camera of the `[sim.camera]` table, when `[camera]` uses the `simcam`
/// driver.
#[cfg(feature = "sim")]
pub fn sim_camera(
    config: &StationConfig,
) -> anyhow::Result<Option<firmware_sim::camera::CameraSim>> {
    use anyhow::Context as _;
    if config.camera.as_ref().is_none_or(|c| c.driver != "simcam") {
        return Ok(None);
    }
    let table = config.sim_table("camera");
    let sim: firmware_sim::camera::CameraSim = match table {
        Some(t) => t.try_into().context("[sim.camera]")?,
        None => Default::default(),
    };
    sim.validate()
        .map_err(|e| anyhow::anyhow!("[sim.camera] {e}"))?;
    Ok(Some(sim))
}

/// The simulated iris scanner of the `[sim.iris]` table, when `[iris]` uses the `simiris`
/// driver.
#[cfg(feature = "sim")]
pub fn sim_iris(config: &StationConfig) -> anyhow::Result<Option<firmware_sim::IrisSim>> {
    use anyhow::Context as _;
    if config.iris.as_ref().is_none_or(|c| c.driver != "simiris") {
        return Ok(None);
    }
    Ok(Some(match config.sim_table("iris") {
        Some(t) => t.try_into().context("[sim.iris]")?,
        None => Default::default(),
    }))
}
