//! A build without the simulator (`cargo test -p rekam --no-default-features --test no_sim`):
//! what a production build says when asked for simulated devices. In a default build there is
//! nothing to test here.
#![cfg(not(feature = "sim"))]
#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn demo_says_this_build_has_no_simulator() {
    for (lang, sentence) in [
        ("en", "has no simulator"),
        ("id", "tidak memiliki simulator"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_rekam"))
            .args(["--lang", lang, "demo", "--out"])
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains(sentence), "{stderr}");
        // Nothing was started or written.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

#[test]
fn a_configuration_naming_a_simulated_driver_is_refused_with_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    for (table, body) in [
        (
            "[iris]",
            "[iris]\ndriver = \"simiris\"\nport = \"1209:0001\"\n",
        ),
        (
            "[camera]",
            "[camera]\ndriver = \"simcam\"\nport = \"camera:0\"\n",
        ),
    ] {
        let cfg = dir.path().join("station.toml");
        std::fs::write(&cfg, body).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_rekam"))
            .arg("--config")
            .arg(&cfg)
            .args(["diag", "--no-capture"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(table) && stderr.contains("has no simulator"),
            "{stderr}"
        );
    }
}
