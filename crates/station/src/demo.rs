//! `rekam demo`: the station's main job on simulated devices, with nothing to install or plug in.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use firmware_sim::camera::CameraSim;
use firmware_sim::{SigpadSim, SimConfig, Simulator};
use rekam_device::{CaptureRequest, Finger, Position};

use crate::config::StationConfig;
use crate::diag::{self, DiagOptions};
use crate::drivers;
use crate::i18n::Lang;

/// Starts firmware-sim in this process, runs diagnostics, then captures a fingerprint, a
/// signature and a face photograph into `out_dir`. Returns the text to print.
pub fn run(out_dir: &Path, lang: Lang) -> anyhow::Result<(String, bool)> {
    let sim = Simulator::start(&SimConfig {
        signature_pad: Some(SigpadSim {
            speed: 2.0,
            ..SigpadSim::default()
        }),
        camera: Some(CameraSim {
            birth_year: 1991,
            ..CameraSim::default()
        }),
        ..SimConfig::default()
    })
    .context("starting the simulated devices")?;
    let (Some(fp), Some(pad), Some(cam)) = (sim.fingerprint(), sim.signature_pad(), sim.camera())
    else {
        anyhow::bail!("the simulator started without its devices");
    };
    let camera_index = cam.plug_in();
    let config = StationConfig::parse(&(format!(
        "[station]\nid = \"DEMO-STATION\"\nlanguage = \"{}\"\n\n[fingerprint]\ndriver = \"r30x\"\nport = {:?}\nbaud = {}\n\n[signature_pad]\ndriver = \"isdv4\"\nport = {:?}\nbaud = {}\nend_after_ms = 800\n",
        if lang == Lang::Id { "id" } else { "en" },
        fp.path().display().to_string(),
        fp.baud(),
        pad.path().display().to_string(),
        pad.baud(),
    ) + &format!(
        "\n[camera]\ndriver = \"simcam\"\nport = \"camera:{camera_index}\"\nwidth = 1280\nheight = 720\n"
    )))?;
    let mut text = String::new();
    text.push_str(&format!(
        "{} {}\n\n",
        lang.pick(
            "Perangkat simulasi berjalan di",
            "Simulated devices running in"
        ),
        sim.run_dir().display()
    ));
    let registry = drivers::registry();
    let report = diag::run(
        &config,
        &registry,
        &DiagOptions {
            capture: true,
            capture_timeout: Duration::from_secs(10),
            out_dir: out_dir.join("diag"),
            lang,
        },
    );
    let mut report = report;
    // The iris scanner is USB: the simulator serves it in-process, through the same driver.
    if let Some(link) = sim.iris_link() {
        let opened = rekam_iris::Iris::new(
            link,
            rekam_iris::Config {
                poll_interval: Duration::from_millis(5),
                ..rekam_iris::Config::default()
            },
        )
        .map_err(rekam_device::DeviceError::from)
        .and_then(|mut iris| {
            iris.connect()?;
            Ok(Box::new(iris) as Box<dyn rekam_device::Device>)
        });
        let r = diag::diagnose_opened(
            "iris",
            "iris_usb",
            "sim usb 1209:0001",
            opened,
            &DiagOptions {
                capture: true,
                capture_timeout: Duration::from_secs(10),
                out_dir: out_dir.join("diag"),
                lang,
            },
        );
        report.ok &= r.ok();
        report.devices.push(r);
    }
    text.push_str(&diag::render_text(&report, lang));
    let mut ok = report.ok;

    // The main job: a named fingerprint and the signature, saved as lossless PNG.
    let mut saved: Vec<PathBuf> = Vec::new();
    for (table, dev) in config.devices() {
        let mut device = registry.open(&dev.driver, &dev.selector(table)?, &dev.options(table)?)?;
        let (position, name) = match table {
            "fingerprint" => (Position::Finger(Finger::RightIndex), "right_index"),
            "camera" => (Position::Face, "face"),
            _ => (Position::Signature, "signature"),
        };
        match device.capture(&CaptureRequest::new(position, Duration::from_secs(10))) {
            Ok(c) => saved.push(diag::save_capture(&c, out_dir, name)?.file),
            Err(e) => {
                ok = false;
                text.push_str(&format!("{name}: {e}\n"));
            }
        }
        let _ = device.close();
    }
    if let Some(link) = sim.iris_link() {
        let mut iris = rekam_iris::Iris::new(link, rekam_iris::Config::default())?;
        iris.connect()?;
        let images = iris.capture_eyes(
            rekam_iris::codec::Eyes::Both,
            Duration::from_secs(10),
            &mut |s| tracing::debug!(feedback = ?s.feedback, "iris guidance"),
        )?;
        for (name, img) in [("left_iris", images.left), ("right_iris", images.right)] {
            if let Some(img) = img {
                let path = out_dir.join(format!("{name}.png"));
                img.save(&path)?;
                saved.push(path);
            }
        }
    }
    text.push_str(&format!(
        "\n{}\n",
        lang.pick("Hasil perekaman:", "Captures:")
    ));
    for f in saved {
        text.push_str(&format!("  {}\n", f.display()));
    }
    Ok((text, ok))
}
