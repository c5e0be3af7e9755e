//! `rekam` refusing what it must not accept: an empty configuration, an unknown key, a demo
//! folder that holds station data, and a simulator's link left behind when it was killed.
// These run the simulator: only in a build with it (the default).
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};

use serialport::SerialPort;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use firmware_sim::{SigpadSim, SimConfig, Simulator};

fn rekam(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rekam"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("REKAM_LANG")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn diag_with_no_device_configured_says_so_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("empty.toml");
    std::fs::write(&cfg, "").unwrap();
    for (lang, sentence) in [
        ("en", "No device is configured"),
        ("id", "Tidak ada perangkat yang dikonfigurasi"),
    ] {
        let out = rekam(&["--lang", lang, "diag", "--no-capture"], &cfg);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
        assert!(stdout.contains(sentence), "{stdout}");
        assert!(
            !stdout.contains("All devices ready") && !stdout.contains("Semua perangkat siap"),
            "{stdout}"
        );
    }
    let out = rekam(&["diag", "--no-capture", "--json"], &cfg);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_unknown_key_in_a_gate_table_is_refused_naming_key_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("station.toml");
    std::fs::write(
        &cfg,
        "[station]\nid = \"T\"\n\n[gates.iris]\nthreshold = 60\nattempts = 3\nthreshhold = 95\n",
    )
    .unwrap();
    let out = rekam(&["diag", "--no-capture"], &cfg);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("threshhold"), "{stderr}");
    assert!(stderr.contains("line 7"), "{stderr}");
    assert!(stderr.contains(&cfg.display().to_string()), "{stderr}");
}

#[test]
fn demo_never_deletes_existing_station_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("station-data");
    std::fs::create_dir_all(data.join("store")).unwrap();
    std::fs::write(data.join("station.key"), [7u8; 32]).unwrap();
    std::fs::write(data.join("store/record.rkm"), b"a record").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rekam"))
        .args(["--lang", "en", "demo", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(
        stderr.contains("already holds station data") && stderr.contains("--out"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(data.join("station.key")).unwrap(), [7u8; 32]);
    assert_eq!(
        std::fs::read(data.join("store/record.rkm")).unwrap(),
        b"a record"
    );
    // An empty folder is the demo's to use (see fresh_data_dir).
    assert!(rekam_station::demo::fresh_data_dir(
        &dir.path().join("fresh"),
        rekam_station::i18n::Lang::En
    )
    .is_ok());
}

/// Not a test of its own: the simulator process that
/// `a_killed_simulators_links_are_refused_and_nothing_is_written_to_their_ptys` starts (this
/// test binary again) and kills.
#[test]
#[ignore = "the helper process of a_killed_simulators_links_are_refused_..."]
fn simulator_child() {
    let Some(dir) = std::env::var_os("REKAM_TEST_SIM_CHILD_DIR") else {
        return;
    };
    let _sim = Simulator::start(&SimConfig {
        signature_pad: Some(SigpadSim::default()),
        run_dir: Some(PathBuf::from(dir)),
        ..SimConfig::default()
    })
    .unwrap();
    println!("SIM-READY");
    // Killed by the parent long before this.
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn a_killed_simulators_links_are_refused_and_nothing_is_written_to_their_ptys() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("sim");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "simulator_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("REKAM_TEST_SIM_CHILD_DIR", &run)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines.any(|l| l.is_ok_and(|l| l.contains("SIM-READY"))),
        "the simulator child did not start"
    );
    let links = [run.join("fingerprint"), run.join("signature_pad")];
    // SIGKILL: the simulator gets no chance to remove its links.
    child.kill().unwrap();
    child.wait().unwrap();
    let mut ptys = Vec::new();
    for link in &links {
        let target = std::fs::read_link(link).expect("a killed simulator's link stays");
        // Another program now takes the pseudo-terminal the link names: open pairs until the
        // kernel hands out that number again (it gives the lowest free one).
        let mut held = Vec::new();
        let mut taken = None;
        for _ in 0..64 {
            let (master, slave) = serialport::TTYPort::pair().unwrap();
            if slave.name().as_deref() == Some(target.to_str().unwrap()) {
                taken = Some((master, slave));
                break;
            }
            held.push((master, slave));
        }
        let (master, slave) = match taken {
            Some(pair) => pair,
            // Someone else (a parallel test) holds that number: point the stale link at one
            // of ours instead, which is the same situation for the station.
            None => {
                let pair = held.pop().unwrap();
                std::fs::remove_file(link).unwrap();
                std::os::unix::fs::symlink(pair.1.name().unwrap(), link).unwrap();
                pair
            }
        };
        ptys.push((master, slave));
    }
    let cfg = dir.path().join("station.toml");
    std::fs::write(
        &cfg,
        format!(
            "[station]\nid = \"T\"\nlanguage = \"en\"\nsim_devices = {:?}\n\n[fingerprint]\ndriver = \"r30x\"\nport = \"/dev/ttyUSB0\"\n\n[signature_pad]\ndriver = \"isdv4\"\nport = \"/dev/ttyS0\"\n",
            run.join("devices.toml").display().to_string()
        ),
    )
    .unwrap();
    let out = rekam(&["diag", "--no-capture", "--json"], &cfg);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for (i, link) in links.iter().enumerate() {
        let d = &v["devices"][i];
        assert_eq!(d["port"], link.display().to_string(), "{d}");
        assert_eq!(d["failure"]["kind"], "not_found", "{d}");
        let msg = d["failure"]["message"].as_str().unwrap();
        assert!(msg.contains("no longer running"), "{msg}");
    }
    for (master, _slave) in &mut ptys {
        master.set_timeout(Duration::from_millis(200)).unwrap();
        let mut buf = [0u8; 64];
        match master.read(&mut buf) {
            Ok(n) => panic!(
                "the station wrote {n} bytes into another program's pty: {:02x?}",
                &buf[..n]
            ),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{e}"),
        }
    }
}

#[test]
fn a_running_simulators_link_is_opened_and_its_link_and_lock_go_when_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("sim");
    let sim = Simulator::start(&SimConfig {
        run_dir: Some(run.clone()),
        ..SimConfig::default()
    })
    .unwrap();
    let link = sim.fingerprint().unwrap().path().to_path_buf();
    let lock = rekam_device::simulator_lock_path(&link);
    assert!(lock.exists());
    // In this very process too: the lock is per open file, not per process.
    rekam_device::SerialLink::open(link.to_str().unwrap(), 57_600).unwrap();
    drop(sim);
    assert!(!link.exists() && !lock.exists() && !run.join("devices.toml").exists());
}
