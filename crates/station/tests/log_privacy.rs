//! Nothing personal reaches the log at the most verbose level: the binary runs the office's steps
//! (accounts with passwords, a ticket, an application with NIK, name, address and family-card
//! number, its approval, a complaint) and an enrollment against firmware-sim for the same person,
//! all with `REKAM_LOG=trace`, and none of the person's values, the passwords or the password
//! hashes appear in what it printed: not as text, not as the byte arrays sled's trace lines
//! print (`[51, 53, 55, ...]`), not in hex.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use firmware_sim::{SigpadSim, SimConfig, Simulator};

const NIK: &str = "3578011207990001";
const NAME: &str = "Budi Santoso Wijaya";
const ADDRESS: &str = "Jl. Kenanga Nomor 17";
const KK: &str = "3508011503120004";
const PASSWORDS: [&str; 4] = ["camat-pass-1", "loket-pw-3", "kasi-pw-4", "operator-pw-1"];

/// The spellings a value may take in a log line.
fn spellings(value: &str) -> Vec<String> {
    let b = value.as_bytes();
    vec![
        value.to_string(),
        b.iter().map(u8::to_string).collect::<Vec<_>>().join(", "),
        b.iter().map(u8::to_string).collect::<Vec<_>>().join(","),
        b.iter().map(|x| format!("{x:02x}")).collect(),
        b.iter()
            .map(|x| format!("{x:#04x}"))
            .collect::<Vec<_>>()
            .join(", "),
    ]
}

/// The password hashes the office journal holds (`$argon2id$v=19$m=…$salt$hash`), and each
/// hash's salt and digest alone.
fn password_hashes(journal: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(journal).unwrap();
    let mut out = Vec::new();
    for piece in text.split("$argon2id$").skip(1) {
        let end = piece.find('"').unwrap();
        let hash = &piece[..end];
        out.push(format!("$argon2id${hash}"));
        out.extend(
            hash.rsplit('$')
                .take(2)
                .filter(|p| p.len() >= 16)
                .map(str::to_string),
        );
    }
    out
}

#[test]
fn the_most_verbose_log_holds_no_personal_data_passwords_or_hashes() {
    let sim = Simulator::start(&SimConfig {
        signature_pad: Some(SigpadSim {
            speed: 1.0,
            reach_ms: 50,
            ..SigpadSim::default()
        }),
        ..SimConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let text = format!(
        "[station]\nid = \"TEST-LOG\"\nlanguage = \"en\"\ndata_dir = {:?}\n\n[fingerprint]\ndriver = \"r30x\"\nport = {:?}\nbaud = 57600\n\n[signature_pad]\ndriver = \"isdv4\"\nport = {:?}\nbaud = 38400\nend_after_ms = 600\n\n[iris]\ndriver = \"simiris\"\nport = \"1209:0001\"\npoll_interval_ms = 2\n\n[camera]\ndriver = \"simcam\"\nport = \"camera:0\"\nwidth = 1280\nheight = 720\n\n[sim.camera]\nbirth_year = 1999\n\n[sim.iris]\nperson = 4\n",
        data.display().to_string(),
        sim.fingerprint().unwrap().path().display().to_string(),
        sim.signature_pad().unwrap().path().display().to_string(),
    );
    let cfg = dir.path().join("station.toml");
    std::fs::write(&cfg, text).unwrap();
    let office = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/office.toml");
    // The log (stderr), and what the clerk's screen shows (stdout: a complaint's line names the
    // complainant, rightly).
    let (mut printed, mut screen) = (String::new(), String::new());
    let mut run = |args: &[String], env: &[(&str, &str)]| -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rekam"));
        c.arg("--config")
            .arg(&cfg)
            .args(args)
            .env("REKAM_OFFICE", &office)
            .env("REKAM_LOG", "trace");
        for k in [
            "REKAM_LANG",
            "REKAM_USER",
            "REKAM_PASSWORD",
            "REKAM_NEW_PASSWORD",
            "REKAM_SUPERVISOR_PASSWORD",
        ] {
            c.env_remove(k);
        }
        let o = c.envs(env.iter().copied()).output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        assert!(o.status.success(), "{args:?}: {stdout}{stderr}");
        printed.push_str(&stderr);
        screen.push_str(&stdout);
        o
    };
    let office_s = office.display().to_string();
    let service = |args: &[&str]| -> Vec<String> {
        ["service", "--office", office_s.as_str()]
            .iter()
            .chain(args)
            .map(|s| s.to_string())
            .collect()
    };
    run(
        &service(&["--user", "camat", "account", "init", "--name", "Camat"]),
        &[("REKAM_PASSWORD", PASSWORDS[0])],
    );
    for (user, role, pw) in [
        ("loket", "front_office", PASSWORDS[1]),
        ("kasi", "supervisor", PASSWORDS[2]),
        ("op1", "operator", PASSWORDS[3]),
    ] {
        let a = service(&[
            "--user",
            "camat",
            "account",
            "add",
            "--name",
            "Staf",
            "--username",
            user,
            "--role",
            role,
        ]);
        run(
            &a,
            &[("REKAM_PASSWORD", PASSWORDS[0]), ("REKAM_NEW_PASSWORD", pw)],
        );
    }
    run(&service(&["ticket", "take", "--service", "new_card"]), &[]);
    let loket = [("REKAM_PASSWORD", PASSWORDS[1])];
    run(
        &service(&["--user", "loket", "ticket", "call", "--counter", "Loket 1"]),
        &loket,
    );
    let o = run(
        &service(&[
            "--user",
            "loket",
            "file-check",
            "--service",
            "new_card",
            "--ticket",
            "A001",
            "--name",
            NAME,
            "--nik",
            NIK,
            "--birth-date",
            "1999-07-12",
            "--marital",
            "single",
            "--kk",
            KK,
            "--address",
            ADDRESS,
            "--have",
            "kk_copy",
        ]),
        &loket,
    );
    let id = String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .find(|w| w.starts_with("PM-"))
        .unwrap()
        .to_string();
    run(
        &service(&["--user", "kasi", "approve", &id, "--initials", "SR"]),
        &[("REKAM_PASSWORD", PASSWORDS[2])],
    );
    run(
        &service(&[
            "--user",
            "loket",
            "complaint",
            "add",
            "--channel",
            "phone",
            "--contact",
            "081234567890",
            "--name",
            NAME,
            "--occupation",
            "Petani",
            "--address",
            ADDRESS,
            "--shortfall",
            "Antrian lama",
            "--remedy",
            "Tambah loket",
        ]),
        &loket,
    );
    let o = run(
        &[
            "enroll",
            "--nik",
            NIK,
            "--name",
            NAME,
            "--birth-date",
            "1999-07-12",
            "--sex",
            "m",
            "--user",
            "op1",
            "--application",
            &id,
        ]
        .map(String::from),
        &[("REKAM_PASSWORD", PASSWORDS[3])],
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("[14/14]"),
        "the enrollment ran to the end"
    );
    // The trace level was on: our own lines are there (the test would mean nothing otherwise).
    assert!(printed.contains("TRACE"), "no trace lines were printed");
    let hashes = password_hashes(&data.join("store/service.journal"));
    assert_eq!(hashes.len(), 3 * 4, "four accounts' hashes in the journal");
    let mut secrets: Vec<String> = [NIK, NAME, ADDRESS, KK]
        .into_iter()
        .chain(PASSWORDS)
        .flat_map(spellings)
        .collect();
    secrets.extend(hashes.iter().flat_map(|h| spellings(h)));
    // The screen may show a person's name, never a password, a hash or bytes of either.
    let on_screen: Vec<String> = PASSWORDS
        .into_iter()
        .map(String::from)
        .chain(hashes.iter().cloned())
        .chain(
            [NIK, NAME, ADDRESS, KK]
                .into_iter()
                .flat_map(|v| spellings(v).into_iter().skip(1)),
        )
        .collect();
    let found: Vec<String> = secrets
        .iter()
        .map(|s| (s, &printed))
        .chain(on_screen.iter().map(|s| (s, &screen)))
        .filter_map(|(s, printed)| {
            let at = printed.find(s.as_str())?;
            let from = printed.floor_char_boundary(at.saturating_sub(300));
            Some(format!("{s:?} in …{}…", &printed[from..at + s.len()]))
        })
        .collect();
    assert!(
        found.is_empty(),
        "personal data, passwords or hashes in the output ({} bytes of log):\n{}",
        printed.len(),
        found.join("\n")
    );
    // sled's debug and trace lines carried the stored values before the cap.
    assert!(
        !printed.contains("sled::"),
        "a dependency's line below warn reached the log"
    );
}
