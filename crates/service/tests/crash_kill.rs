//! Office data under SIGKILL: a child process runs a seeded mix of office steps (see
//! `steps/mod.rs`) on a station's data folder and prints each once the call returned; the
//! parent kills it at a seeded random moment, reopens the folder as the station does, and checks
//! that every acknowledged step is there and no half-applied step breaks an invariant.
//! Trials: `REKAM_SERVICE_KILL_TRIALS` (default 12).
#![allow(clippy::unwrap_used)]

mod steps;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

const CHILD: &str = "REKAM_SERVICE_KILL_CHILD";

#[test]
fn kill_child() {
    let Some(dir) = std::env::var_os(CHILD) else {
        return;
    };
    let seed: u64 = std::env::var("REKAM_SERVICE_KILL_SEED")
        .unwrap()
        .parse()
        .unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    steps::run_child(std::path::Path::new(&dir), seed, &mut rng);
}

#[test]
fn sigkill_loses_no_acknowledged_service_step() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let trials: u64 = std::env::var("REKAM_SERVICE_KILL_TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(12);
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().join("store");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_202);
    let mut acked = steps::Acked::default();
    let mut rebuilt = 0usize;
    for trial in 0..trials {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "kill_child", "--nocapture", "--test-threads=1"])
            .env(CHILD, &dir)
            .env("REKAM_SERVICE_KILL_SEED", trial.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(l);
                }
            })
        };
        std::thread::sleep(Duration::from_millis(rng.gen_range(30..500)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        for l in lines.lock().unwrap().drain(..) {
            acked.take(&l);
        }
        let st = steps::open(&dir);
        rebuilt += usize::from(st.svc.recovered().rebuilt);
        acked.check(&st.svc, &format!("trial {trial} (SIGKILL)"));
        drop(st);
    }
    eprintln!(
        "{trials} SIGKILL trials in {:.1} s: {} acknowledged service steps, 0 lost; the office \
         index was rebuilt from the journal {rebuilt} time(s)",
        started.elapsed().as_secs_f64(),
        acked.steps
    );
    assert!(
        acked.steps as u64 > trials,
        "too few steps were acknowledged for the test to mean anything"
    );
}
