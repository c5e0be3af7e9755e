//! `rekam demo`: the station's main job on simulated devices, with nothing to install or plug in.
//! Only in a build with the simulator (the `sim` feature).

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
    // Before anything runs: the enrollment needs a station data folder of its own.
    let data = fresh_data_dir(out_dir, lang)?;
    let sim = Simulator::start(&SimConfig {
        // Signatures at the person's real pace: the signature scorer refuses sped-up ones.
        signature_pad: Some(SigpadSim {
            speed: 1.0,
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
    let serial = sim
        .iris()
        .map(|fw| {
            fw.lock().map_or_else(
                |e| e.into_inner().serial().to_string(),
                |f| f.serial().to_string(),
            )
        })
        .unwrap_or_default();
    let config = StationConfig::parse(&(format!(
        "[station]\nid = \"DEMO-STATION\"\nlanguage = \"{}\"\n\n[fingerprint]\ndriver = \"r30x\"\nport = {:?}\nbaud = {}\n\n[signature_pad]\ndriver = \"isdv4\"\nport = {:?}\nbaud = {}\nend_after_ms = 800\n",
        if lang == Lang::Id { "id" } else { "en" },
        fp.path().display().to_string(),
        fp.baud(),
        pad.path().display().to_string(),
        pad.baud(),
    ) + &format!(
        "\n[camera]\ndriver = \"simcam\"\nport = \"camera:{camera_index}\"\nwidth = 1280\nheight = 720\n\n[iris]\ndriver = \"simiris\"\nport = \"1209:0001:{serial}\"\npoll_interval_ms = 5\n"
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
    text.push_str(&diag::render_text(&report, lang));
    let mut ok = report.ok;

    // The main job: a named fingerprint and the signature, saved as lossless PNG.
    let mut saved: Vec<PathBuf> = Vec::new();
    for (table, dev) in config.devices() {
        let mut device = registry.open(&dev.driver, &dev.selector(table)?, &dev.options(table)?)?;
        let (position, name) = match table {
            "fingerprint" => (Position::Finger(Finger::RightIndex), "right_index"),
            "camera" => (Position::Face, "face"),
            "iris" => continue,
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

    // A complete enrollment, as `rekam enroll` runs it, on the same simulated devices.
    text.push_str(&format!(
        "\n{}\n",
        lang.pick(
            "Perekaman lengkap satu pemohon (rekam enroll):",
            "A complete enrollment of one applicant (rekam enroll):"
        )
    ));
    match enrollment(&config, &data, lang) {
        Ok(t) => text.push_str(&t),
        Err(e) => {
            ok = false;
            text.push_str(&format!("{e:#}\n"));
        }
    }
    Ok((text, ok))
}

/// The demo's station data folder, `out_dir/station-data`, if it is absent or empty. The demo
/// never deletes station data: a folder holding anything (a station key, records, accounts:
/// perhaps a real station's, perhaps an earlier demo's) is refused with a sentence. It is not
/// reused either, because the demo's staff passwords are random and never kept, and its
/// applicant would be refused as already recorded.
pub fn fresh_data_dir(out_dir: &Path, lang: Lang) -> anyhow::Result<PathBuf> {
    let data = out_dir.join("station-data");
    let empty = match std::fs::read_dir(&data) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", data.display()));
        }
    };
    if !empty {
        anyhow::bail!(
            "{}",
            match lang {
                Lang::Id => format!(
                    "{} sudah berisi data stasiun (kunci stasiun, rekaman, akun); demo tidak pernah menghapus data: pilih folder lain dengan --out, atau pindahkan folder itu sendiri bila tidak diperlukan lagi.",
                    data.display()
                ),
                Lang::En => format!(
                    "{} already holds station data (a station key, records, accounts); the demo never deletes data: choose another folder with --out, or move that folder away yourself if it is no longer needed.",
                    data.display()
                ),
            }
        );
    }
    Ok(data)
}

/// Runs a full enrollment in the fresh station data folder `data` (from [`fresh_data_dir`]),
/// with demo staff accounts whose passwords are random and never shown.
fn enrollment(devices: &StationConfig, data: &Path, lang: Lang) -> anyhow::Result<String> {
    // The same devices (the iris by the simulator's serial number), a fresh data folder.
    let mut config = devices.clone();
    config.station.data_dir = data.to_path_buf();
    let office = std::env::current_dir()?.join("config/office.toml");
    let office = if office.exists() {
        office
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/office.toml")
    };
    let secret = |n: u8| {
        use rand::Rng;
        let mut r = rand::thread_rng();
        (0..20 + n)
            .map(|_| char::from(r.gen_range(b'a'..=b'z')))
            .collect::<String>()
    };
    let (head_pw, op_pw) = (secret(0), secret(1));
    {
        let store = crate::records::store(&config)?;
        let svc = rekam_service::Service::open(
            store.db(),
            &crate::records::service_journal(&config),
            rekam_service::OfficeConfig::load(&office)
                .map_err(|e| anyhow::anyhow!("{}", e.message(rekam_service::Lang::En)))?,
            std::sync::Arc::new(rekam_service::SystemClock),
        )
        .map_err(|e| anyhow::anyhow!("{}", e.message(rekam_service::Lang::En)))?;
        let svc_err =
            |e: rekam_service::Error| anyhow::anyhow!("{}", e.message(rekam_service::Lang::En));
        svc.create_account(
            None,
            "demo-camat",
            "Demo",
            &[rekam_service::Role::HeadOfOffice],
            &head_pw,
        )
        .map_err(svc_err)?;
        let head = svc.authenticate("demo-camat", &head_pw).map_err(svc_err)?;
        svc.create_account(
            Some(&head),
            "demo-operator",
            "Demo operator",
            &[rekam_service::Role::Operator],
            &op_pw,
        )
        .map_err(svc_err)?;
    }
    let req = crate::enroll::Request {
        person: rekam_record::Person {
            nik: "3578011207990001".into(),
            name: "Budi Santoso".into(),
            birth_date: "1999-07-12".into(),
            sex: rekam_record::Sex::Male,
            service: rekam_record::Service::New,
        },
        confirm_warnings: false,
        exceptions: vec![],
        operator: crate::enroll::Login {
            user: "demo-operator".into(),
            password: op_pw,
        },
        supervisor: None,
        office,
        application: None,
        policy: rekam_pipeline::engine::Policy {
            capture_timeout: Duration::from_secs(10),
            ..Default::default()
        },
        unsaved_dirs: vec![data.join("unsaved")],
    };
    let mut progress = Vec::new();
    let outcome = crate::enroll::run(
        &config,
        &drivers::registry(),
        &req,
        lang,
        &mut progress,
        None,
    )?;
    let mut text = String::from_utf8_lossy(&progress).into_owned();
    text.push_str(&crate::enroll::render_summary(&outcome, lang));
    let (verdict, _) = crate::records::verify_file(&config, &outcome.path, None)?;
    text.push_str(&verdict);
    Ok(text)
}
