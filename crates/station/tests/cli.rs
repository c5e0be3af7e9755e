//! `rekam` as a technician runs it, against firmware-sim over pseudo-terminals.
// These run the simulator: only in a build with it (the default).
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use firmware_sim::fingerprint::ModuleSettings;
use firmware_sim::{Fault, SigpadSim, SimConfig, Simulator};

fn sim() -> Simulator {
    Simulator::start(&SimConfig {
        signature_pad: Some(SigpadSim {
            speed: 8.0,
            reach_ms: 50,
            ..SigpadSim::default()
        }),
        ..SimConfig::default()
    })
    .unwrap()
}

fn config_for(sim: &Simulator, dir: &Path, fingerprint_extra: &str) -> std::path::PathBuf {
    let text = format!(
        "[station]\nid = \"TEST-01\"\nlanguage = \"en\"\n\n[fingerprint]\ndriver = \"r30x\"\nport = {:?}\nbaud = 57600\n{fingerprint_extra}\n[signature_pad]\ndriver = \"isdv4\"\nport = {:?}\nbaud = 38400\nend_after_ms = 300\nsettle_ms = 20\n",
        sim.fingerprint().unwrap().path().display().to_string(),
        sim.signature_pad().unwrap().path().display().to_string(),
    );
    let path = dir.join("station.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn rekam(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rekam"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("REKAM_LANG")
        .output()
        .unwrap()
}

#[test]
fn diag_reports_every_device_and_saves_test_captures() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_for(&sim, dir.path(), "");
    let out_dir = dir.path().join("out");
    let out = rekam(
        &["diag", "--json", "--out", out_dir.to_str().unwrap()],
        &cfg,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["devices"][0]["info"]["model"], "R503-SIM");
    assert_eq!(v["devices"][1]["info"]["firmware"], "0x0105");
    let fp = image::open(out_dir.join("fingerprint.png")).unwrap();
    assert_eq!((fp.width(), fp.height()), (256, 288));
    assert!(out_dir.join("signature_pad.png").exists());
}

#[test]
fn diag_text_in_indonesian_by_default() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_for(&sim, dir.path(), "");
    let out = rekam(&["--lang", "id", "diag", "--no-capture"], &cfg);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("uji mandiri") && stdout.contains("Semua perangkat siap"),
        "{stdout}"
    );
}

#[test]
fn a_missing_device_exits_non_zero_with_what_to_check() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_for(&sim, dir.path(), "");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        &sim.fingerprint().unwrap().path().display().to_string(),
        "/dev/ttyUSB-rekam-missing",
    );
    std::fs::write(&cfg, text).unwrap();
    let out = rekam(&["diag", "--no-capture"], &cfg);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FAILED") && stdout.contains("not_found"),
        "{stdout}"
    );
    assert!(stdout.contains("Check the USB cable"), "{stdout}");
}

#[test]
fn wrong_password_busy_port_and_silence_each_say_what_to_check() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_for(&sim, dir.path(), "");
    let fp = sim.fingerprint().unwrap();

    fp.with_firmware(|fw| {
        fw.set_settings(ModuleSettings {
            password: 7,
            ..ModuleSettings::default()
        })
    });
    let out = rekam(&["diag", "--no-capture", "--json"], &cfg);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["devices"][0]["failure"]["kind"], "wrong_password");
    assert!(v["devices"][0]["failure"]["hint"]
        .as_str()
        .unwrap()
        .contains("password"));
    assert_eq!(v["devices"][1]["failure"], serde_json::Value::Null);

    fp.with_firmware(|fw| fw.set_settings(ModuleSettings::default()));
    fp.inject(Fault::Busy);
    let v: serde_json::Value =
        serde_json::from_slice(&rekam(&["diag", "--no-capture", "--json"], &cfg).stdout).unwrap();
    assert_eq!(v["devices"][0]["failure"]["kind"], "busy");
    fp.clear_faults();

    fp.inject(Fault::Silent { frames: u32::MAX });
    let v: serde_json::Value =
        serde_json::from_slice(&rekam(&["diag", "--no-capture", "--json"], &cfg).stdout).unwrap();
    assert_eq!(v["devices"][0]["failure"]["kind"], "timeout");
    fp.clear_faults();
}

#[test]
fn a_bad_configuration_value_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("station.toml");
    std::fs::write(
        &cfg,
        "[fingerprint]\ndriver = \"r30x\"\nport = \"/dev/ttyUSB0\"\nbaud = 50000\n",
    )
    .unwrap();
    let out = rekam(&["diag"], &cfg);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[fingerprint]") && stderr.contains("baud"),
        "{stderr}"
    );
    let out = rekam(&["diag"], &dir.path().join("absent.toml"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--config"));
}

#[test]
fn demo_runs_end_to_end_without_hardware() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rekam"))
        .args(["--lang", "en", "demo", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("All devices ready"), "{stdout}");
    let fp = image::open(dir.path().join("right_index.png"))
        .unwrap()
        .to_luma8();
    assert_eq!(fp.dimensions(), (256, 288));
    let sig = image::open(dir.path().join("signature.png"))
        .unwrap()
        .to_luma8();
    assert!(sig.pixels().any(|p| p.0[0] < 100), "the signature has ink");
    for eye in ["left_iris.png", "right_iris.png"] {
        let iris = image::open(dir.path().join(eye)).unwrap().to_luma8();
        assert_eq!(iris.dimensions(), (640, 480));
    }
}

#[test]
fn key_verify_and_queue_commands() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("station.toml");
    let data = dir.path().join("data");
    std::fs::write(
        &cfg,
        format!(
            "[station]\nid = \"T-9\"\nlanguage = \"en\"\ndata_dir = {:?}\n",
            data.display().to_string()
        ),
    )
    .unwrap();
    let out = rekam(&["key", "show"], &cfg);
    assert!(out.status.success());
    let shown = String::from_utf8_lossy(&out.stdout).to_string();
    let key = rekam_record::StationKey::load_or_create(&data.join("station.key")).unwrap();
    assert!(shown.contains(&key.public_hex()));
    let secret = std::fs::read_to_string(data.join("station.key")).unwrap();
    assert!(
        !shown.contains(secret.trim()),
        "the secret key must never be printed"
    );
    // A record signed by this station verifies; one changed byte does not.
    let m = rekam_record::Manifest::new(
        "T-9",
        "op",
        &key.public_hex(),
        rekam_record::Person {
            nik: "3578011207990001".into(),
            name: "X".into(),
            birth_date: "1999-07-12".into(),
            sex: rekam_record::Sex::Male,
            service: rekam_record::Service::New,
        },
    );
    let bytes = rekam_record::seal(&m, &[], &key).unwrap();
    let file = dir.path().join("r.rkm");
    std::fs::write(&file, &bytes).unwrap();
    let out = rekam(&["verify", file.to_str().unwrap()], &cfg);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("VALID"));
    let mut bad = bytes.clone();
    bad[700] ^= 1;
    std::fs::write(&file, &bad).unwrap();
    let out = rekam(&["verify", file.to_str().unwrap()], &cfg);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("INVALID"));
    // Queue: a record file the index does not know yet (as after a power cut) is queued at the
    // next start, then exported to a "USB stick".
    let records = data.join("store/records");
    std::fs::create_dir_all(&records).unwrap();
    std::fs::write(records.join(format!("{}.rkm", m.record_id)), &bytes).unwrap();
    let stats = String::from_utf8_lossy(&rekam(&["queue", "stats"], &cfg).stdout).to_string();
    assert!(stats.contains("queued        1"), "{stats}");
    let usb = dir.path().join("usb");
    let out = rekam(&["queue", "export", usb.to_str().unwrap()], &cfg);
    assert!(String::from_utf8_lossy(&out.stdout).contains("exported 1 record"));
    let list = String::from_utf8_lossy(&rekam(&["queue", "list"], &cfg).stdout).to_string();
    assert!(
        list.contains("exported") && !list.contains("3578011207990001"),
        "{list}"
    );
}

#[test]
fn the_service_standard_runs_in_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("station.toml");
    let data = dir.path().join("data");
    std::fs::write(
        &cfg,
        format!(
            "[station]\nid = \"T-5\"\nlanguage = \"id\"\ndata_dir = {:?}\n",
            data.display().to_string()
        ),
    )
    .unwrap();
    let office =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/offices/kedopok.toml");
    let svc = |args: &[&str], password: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rekam"));
        c.arg("--config")
            .arg(&cfg)
            .arg("service")
            .arg("--office")
            .arg(&office)
            .args(args);
        c.env_remove("REKAM_PASSWORD")
            .env_remove("REKAM_USER")
            .env_remove("REKAM_LANG");
        if let Some(p) = password {
            c.env("REKAM_PASSWORD", p);
        }
        c.output().unwrap()
    };
    let out = svc(
        &[
            "--user",
            "kepala",
            "account",
            "init",
            "--name",
            "Kepala Kantor",
        ],
        Some("rahasia-kuat-1"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = svc(&["ticket", "take", "--service", "perekaman"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("Nomor antrian"),
        "{text}"
    );
    // The service's trees live in the store's own sled database.
    assert!(data.join("store/index").is_dir());
    assert!(!data.join("service").exists());
}

#[test]
fn quality_scores_each_modality_and_csv_starts_with_path_and_score() {
    use firmware_sim::synth::{eye, face, finger};
    let dir = tempfile::tempdir().unwrap();
    let fp = dir.path().join("finger.png");
    let master = finger::MasterPrint::new(7, 2);
    finger::impression(&master, 1, finger::Condition::Good, 256, 288)
        .save(&fp)
        .unwrap();
    let blank = dir.path().join("blank.png");
    finger::impression(&master, 1, finger::Condition::Blank, 256, 288)
        .save(&blank)
        .unwrap();
    let cfg = dir.path().join("unused.toml");
    let out = rekam(
        &[
            "quality",
            "--modality",
            "finger",
            "--csv",
            fp.to_str().unwrap(),
            blank.to_str().unwrap(),
        ],
        &cfg,
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{csv}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("path,score,"), "{}", rows[0]);
    let score = |row: &str| row.split(',').nth(1).unwrap().parse::<u32>().unwrap();
    assert!(score(rows[1]) > score(rows[2]), "{csv}");
    assert_eq!(score(rows[2]), 0, "a blank sensor scores 0");

    let iris = dir.path().join("iris.png");
    let (img, _) = eye::render(
        &eye::EyeModel::new(3, eye::Side::Left),
        1,
        eye::EyeCondition::Good,
        640,
        480,
    );
    img.save(&iris).unwrap();
    let out = rekam(
        &[
            "quality",
            "--modality",
            "iris",
            "--json",
            iris.to_str().unwrap(),
        ],
        &cfg,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v[0]["report"]["score"].as_u64().unwrap() > 0);

    let photo = dir.path().join("face.png");
    face::render(
        &face::Portrait {
            birth_year: 1999,
            ..face::Portrait::default()
        },
        1280,
        720,
    )
    .save(&photo)
    .unwrap();
    // The backdrop is red (odd year): an even birth year must be told it is the wrong colour.
    let out = rekam(
        &[
            "quality",
            "--modality",
            "face",
            "--birth-year",
            "2000",
            photo.to_str().unwrap(),
        ],
        &cfg,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("wrong_background_colour"), "{text}");
    assert!(
        text.contains("DITOLAK / refused (gate 90, default): wrong_background_colour"),
        "{text}"
    );

    // A JPEG (what cameras and phones write), and the verdict in JSON and CSV against the
    // configured gate.
    let jpeg = dir.path().join("face.jpg");
    image::open(&photo).unwrap().to_rgb8().save(&jpeg).unwrap();
    let out = rekam(
        &[
            "quality",
            "--modality",
            "face",
            "--birth-year",
            "1999",
            "--json",
            jpeg.to_str().unwrap(),
        ],
        &cfg,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["verdict"]["accepted"], true, "{v}");
    assert_eq!(v[0]["verdict"]["gate"], 90);
    let gated = dir.path().join("gated.toml");
    let station = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/station.toml"),
    )
    .unwrap();
    let strict = station.replacen(
        "face = { threshold = 90, attempts = 3 }",
        "face = { threshold = 100, attempts = 3 }",
        1,
    );
    assert_ne!(strict, station, "config/station.toml's face gate moved");
    std::fs::write(&gated, strict).unwrap();
    let out = rekam(
        &[
            "quality",
            "--modality",
            "face",
            "--birth-year",
            "2000",
            "--csv",
            jpeg.to_str().unwrap(),
        ],
        &gated,
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(
        rows[0].starts_with("path,score,verdict,gate,reasons,"),
        "{csv}"
    );
    assert!(
        rows[1].contains(",refused,100,wrong_background_colour,"),
        "{csv}"
    );

    // Not an image: a sentence, exit 1.
    let bad = dir.path().join("notes.txt");
    std::fs::write(&bad, "hello").unwrap();
    let out = rekam(
        &["quality", "--modality", "iris", bad.to_str().unwrap()],
        &cfg,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cannot be scored"));
}

#[test]
fn enroll_records_a_person_from_the_command_line() {
    let sim = sim_at_real_pace();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let text = format!(
        "[station]\nid = \"TEST-01\"\nlanguage = \"en\"\ndata_dir = {:?}\n\n[fingerprint]\ndriver = \"r30x\"\nport = {:?}\nbaud = 57600\n\n[signature_pad]\ndriver = \"isdv4\"\nport = {:?}\nbaud = 38400\nend_after_ms = 600\n\n[iris]\ndriver = \"simiris\"\nport = \"1209:0001\"\npoll_interval_ms = 2\n\n[camera]\ndriver = \"simcam\"\nport = \"camera:0\"\nwidth = 1280\nheight = 720\n\n[sim.camera]\nbirth_year = 1999\n\n[sim.iris]\nperson = 4\n",
        data.display().to_string(),
        sim.fingerprint().unwrap().path().display().to_string(),
        sim.signature_pad().unwrap().path().display().to_string(),
    );
    let cfg = dir.path().join("station.toml");
    std::fs::write(&cfg, text).unwrap();
    let office = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/office.toml");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rekam"));
        c.arg("--config")
            .arg(&cfg)
            .args(args)
            .env("REKAM_OFFICE", &office);
        for k in [
            "REKAM_LANG",
            "REKAM_USER",
            "REKAM_PASSWORD",
            "REKAM_NEW_PASSWORD",
            "REKAM_SUPERVISOR_PASSWORD",
        ] {
            c.env_remove(k);
        }
        c.envs(env.iter().copied()).output().unwrap()
    };
    let ok = |o: &Output| {
        assert!(
            o.status.success(),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    ok(&run(
        &[
            "service", "--user", "camat", "account", "init", "--name", "Camat",
        ],
        &[("REKAM_PASSWORD", "camat-pass-1")],
    ));
    ok(&run(
        &[
            "service",
            "--user",
            "camat",
            "account",
            "add",
            "--username",
            "op1",
            "--name",
            "Operator",
            "--role",
            "operator",
        ],
        &[
            ("REKAM_PASSWORD", "camat-pass-1"),
            ("REKAM_NEW_PASSWORD", "operator-pw-1"),
        ],
    ));
    let person = [
        "enroll",
        "--nik",
        "3578 0112 0799 0001",
        "--name",
        "Budi",
        "--birth-date",
        "1999-07-12",
        "--sex",
        "m",
        "--user",
        "op1",
    ];
    // No password in the environment: a sentence, nothing captured.
    let o = run(&person, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("REKAM_PASSWORD"));
    let o = run(&person, &[("REKAM_PASSWORD", "operator-pw-1")]);
    ok(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("[14/14] Signature"), "{stdout}");
    let id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Saved: record "))
        .unwrap_or_else(|| panic!("{stdout}"))
        .trim()
        .to_string();
    let record = data.join("store/records").join(format!("{id}.rkm"));
    let o = run(&["verify", record.to_str().unwrap()], &[]);
    ok(&o);
    // The same NIK again: refused, naming the record.
    let o = run(&person, &[("REKAM_PASSWORD", "operator-pw-1")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&id));
}

fn sim_at_real_pace() -> Simulator {
    Simulator::start(&SimConfig {
        signature_pad: Some(SigpadSim {
            speed: 1.0,
            reach_ms: 50,
            ..SigpadSim::default()
        }),
        ..SimConfig::default()
    })
    .unwrap()
}

/// `rekam` with the environment of a test: no language, user or passwords from outside.
fn rekam_env(args: &[&str], config: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rekam"));
    c.arg("--config").arg(config).args(args).env(
        "REKAM_OFFICE",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/office.toml"),
    );
    for k in [
        "REKAM_LANG",
        "REKAM_USER",
        "REKAM_PASSWORD",
        "REKAM_NEW_PASSWORD",
        "REKAM_SUPERVISOR_PASSWORD",
    ] {
        c.env_remove(k);
    }
    c.envs(env.iter().copied()).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Issue 10, 4.5 and 4.10: what would stop a recording half-way is refused before the first
/// capture: an exception that cannot be recorded, two for one finger, and a device the
/// configuration lacks (config/sim.toml had no iris scanner: ten fingers, then a stop).
#[test]
fn enroll_refuses_before_the_first_capture_what_it_could_not_finish() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    // The fingerprint module and the signature pad answer; there is no [iris] table.
    let cfg = config_for(&sim, dir.path(), "");
    let body = std::fs::read_to_string(&cfg).unwrap().replace(
        "[station]\n",
        &format!(
            "[station]\ndata_dir = {:?}\n",
            dir.path().join("data").display().to_string()
        ),
    ) + "\n[camera]\ndriver = \"simcam\"\nport = \"camera:0\"\n";
    std::fs::write(&cfg, body).unwrap();
    let person = [
        "enroll",
        "--nik",
        "3578011207990001",
        "--name",
        "Budi",
        "--birth-date",
        "1999-07-12",
        "--sex",
        "m",
        "--user",
        "op1",
    ];
    let pw = [
        ("REKAM_PASSWORD", "operator-pw-1"),
        ("REKAM_SUPERVISOR_PASSWORD", "kasi-pw-22"),
    ];
    let with = |extra: &[&str]| {
        let args: Vec<&str> = person.iter().chain(extra).copied().collect();
        rekam_env(&args, &cfg, &pw)
    };
    for (extra, said) in [
        (
            &["--exception", "left_little:lost"][..],
            "'lost' is not a reason",
        ),
        (&["--exception", "face:missing"][..], "cannot be excepted"),
        (
            &[
                "--exception",
                "left_little:amputated",
                "--exception",
                "left_little:bandaged",
                "--supervisor",
                "kasi",
            ][..],
            "has two exceptions",
        ),
        (
            &[][..],
            "the iris scanner (for Right iris, Left iris): there is no [iris] table",
        ),
    ] {
        let o = with(extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", text(&o));
        assert!(text(&o).contains(said), "{extra:?}: {}", text(&o));
        assert!(
            !text(&o).contains("[ 1/14]") && !text(&o).contains("Exception photo"),
            "nothing captured: {}",
            text(&o)
        );
    }
    // In Indonesian by default.
    let o = rekam_env(
        &person,
        &cfg,
        &[("REKAM_PASSWORD", "x"), ("REKAM_LANG", "id")],
    );
    assert!(text(&o).contains("pemindai iris"), "{}", text(&o));
}

fn sealed_with(key: &rekam_record::StationKey, nik: &str) -> (String, Vec<u8>) {
    let m = rekam_record::Manifest::new(
        "T-9",
        "op",
        &key.public_hex(),
        rekam_record::Person {
            nik: nik.into(),
            name: "X".into(),
            birth_date: "1999-07-12".into(),
            sex: rekam_record::Sex::Male,
            service: rekam_record::Service::New,
        },
    );
    (
        m.record_id.clone(),
        rekam_record::seal(&m, &[], key).unwrap(),
    )
}

/// Issue 10, 4.7 and 4.4: a deleted station key is refused (not replaced); a head of office
/// rotates it on purpose, an operator may not; records signed before and after verify, each
/// naming its key; `rekam queue import` takes a record this station sealed elsewhere and
/// refuses one it did not sign.
#[test]
fn key_loss_rotation_verify_and_queue_import_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("station.toml");
    let data = dir.path().join("data");
    std::fs::write(
        &cfg,
        format!(
            "[station]\nid = \"T-9\"\nlanguage = \"en\"\ndata_dir = {:?}\n",
            data.display().to_string()
        ),
    )
    .unwrap();
    let ok = |o: Output| {
        assert!(o.status.success(), "{}", text(&o));
        text(&o)
    };
    ok(rekam_env(&["key", "show"], &cfg, &[]));
    ok(rekam_env(
        &[
            "service", "--user", "camat", "account", "init", "--name", "Camat",
        ],
        &cfg,
        &[("REKAM_PASSWORD", "camat-pass-1")],
    ));
    ok(rekam_env(
        &[
            "service",
            "--user",
            "camat",
            "account",
            "add",
            "--username",
            "op1",
            "--name",
            "Operator",
            "--role",
            "operator",
        ],
        &cfg,
        &[
            ("REKAM_PASSWORD", "camat-pass-1"),
            ("REKAM_NEW_PASSWORD", "operator-pw-1"),
        ],
    ));
    // A record this station signed, in its store.
    let key_file = data.join("station.key");
    let old = rekam_record::StationKey::load_or_create(&key_file).unwrap();
    let (old_id, old_bytes) = sealed_with(&old, "3578011207990001");
    let old_file = data.join("store/records").join(format!("{old_id}.rkm"));
    std::fs::create_dir_all(old_file.parent().unwrap()).unwrap();
    std::fs::write(&old_file, &old_bytes).unwrap();
    // The key is deleted: refused with what to do, and no new key appears.
    std::fs::remove_file(&key_file).unwrap();
    let o = rekam_env(&["key", "show"], &cfg, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("restore station.key"), "{}", text(&o));
    assert!(!key_file.exists());
    let verified = ok(rekam_env(
        &["verify", old_file.to_str().unwrap()],
        &cfg,
        &[],
    ));
    assert!(
        verified.contains("signed with this station's current key"),
        "{verified}"
    );
    // An operator may not rotate the key; the head of office may.
    let o = rekam_env(
        &["key", "rotate", "--user", "op1"],
        &cfg,
        &[("REKAM_PASSWORD", "operator-pw-1")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("may not replace the station key"),
        "{}",
        text(&o)
    );
    assert!(!key_file.exists());
    let said = ok(rekam_env(
        &["key", "rotate", "--user", "camat"],
        &cfg,
        &[("REKAM_PASSWORD", "camat-pass-1")],
    ));
    let old_fp = rekam_record::key_fingerprint(&old.public_hex());
    assert!(
        said.contains(&format!("The old key {old_fp} stays in the keyring")),
        "{said}"
    );
    let journal = std::fs::read_to_string(data.join("store/service.journal")).unwrap();
    assert!(
        journal.contains("station_key_rotated"),
        "the rotation is audited"
    );
    // The old record verifies with the retired key, a new one with the new key.
    let verified = ok(rekam_env(
        &["verify", old_file.to_str().unwrap()],
        &cfg,
        &[],
    ));
    assert!(
        verified.contains(&format!("signed with this station's retired key {old_fp}")),
        "{verified}"
    );
    let shown = ok(rekam_env(&["key", "show"], &cfg, &[]));
    assert!(
        shown.contains(&format!("retired      {}", old.public_hex())),
        "{shown}"
    );
    let new = rekam_record::StationKey::load_or_create(&key_file).unwrap();
    assert_ne!(new.public_hex(), old.public_hex());
    // A record sealed with the new key and saved elsewhere (as `rekam enroll` does on a full
    // disk) is imported into the queue; the copy goes.
    let (new_id, new_bytes) = sealed_with(&new, "3578011207990002");
    let outside = dir.path().join("stick");
    std::fs::create_dir(&outside).unwrap();
    let file = outside.join("r.rkm");
    std::fs::write(&file, &new_bytes).unwrap();
    let mut bad = new_bytes.clone();
    bad[700] ^= 1;
    let tampered = outside.join("bad.rkm");
    std::fs::write(&tampered, &bad).unwrap();
    let o = rekam_env(&["queue", "import", tampered.to_str().unwrap()], &cfg, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("Not imported"), "{}", text(&o));
    let stranger = outside.join("stranger.rkm");
    std::fs::write(
        &stranger,
        sealed_with(&rekam_record::StationKey::generate(), "3578011207990003").1,
    )
    .unwrap();
    let o = rekam_env(&["queue", "import", stranger.to_str().unwrap()], &cfg, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("never had"), "{}", text(&o));
    let said = ok(rekam_env(
        &["queue", "import", file.to_str().unwrap()],
        &cfg,
        &[],
    ));
    assert!(
        said.contains(&format!("Imported into the queue: record {new_id}")),
        "{said}"
    );
    assert!(!file.exists() && tampered.exists());
    let list = ok(rekam_env(&["queue", "list"], &cfg, &[]));
    assert!(list.contains(&new_id) && list.contains(&old_id), "{list}");
    // The same person again from a file: refused by the recording-once rule.
    let (_, twice) = sealed_with(&new, "3578011207990002");
    std::fs::write(&file, twice).unwrap();
    let o = rekam_env(&["queue", "import", file.to_str().unwrap()], &cfg, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("recorded once"), "{}", text(&o));
}
