//! Office data under **power loss**: the station's data folder lives on rekam-testfs, a FUSE
//! filesystem that keeps every write not yet made durable (fsync of a file, fsync of a folder)
//! in memory and throws it away on `cut_power()`. A child process runs a seeded mix of office
//! steps (accounts and password changes, tickets, applications through file check, approval,
//! recording and the register book, complaints, survey answers) on the record store's sled
//! database and the office journal beside it, and prints each step once the call returned.
//! The parent kills it at a seeded random moment, cuts the power, reopens the folder as the
//! station does, and checks that every acknowledged step is there, that no half-applied step
//! breaks an invariant (register numbers unique, counters not behind the data, the bootstrap
//! closed), and that the office data always opens. Trials: `REKAM_SERVICE_POWER_TRIALS`
//! (default 12; the figure in TESTING.md used 200).
//!
//! Needs FUSE (`/dev/fuse`, root or fusermount3): skipped locally without it, fails under CI.
#![allow(clippy::unwrap_used)]

mod steps;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

const CHILD: &str = "REKAM_SERVICE_POWER_CHILD";

#[test]
fn power_child() {
    let Some(dir) = std::env::var_os(CHILD) else {
        return;
    };
    let seed: u64 = std::env::var("REKAM_SERVICE_POWER_SEED")
        .unwrap()
        .parse()
        .unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    steps::run_child(std::path::Path::new(&dir), seed, &mut rng);
}

#[test]
fn power_cut_loses_no_acknowledged_service_step() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let Some(fs) = rekam_testfs::mount_or_skip("power_cut_loses_no_acknowledged_service_step")
    else {
        return;
    };
    let trials: u64 = std::env::var("REKAM_SERVICE_POWER_TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(12);
    let started = Instant::now();
    let dir = fs.path().join("store");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(10_2026);
    let mut acked = steps::Acked::default();
    let (mut rebuilt, mut torn) = (0usize, 0usize);
    for trial in 0..trials {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "power_child", "--nocapture", "--test-threads=1"])
            .env(CHILD, &dir)
            .env("REKAM_SERVICE_POWER_SEED", trial.to_string())
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
        std::thread::sleep(Duration::from_millis(rng.gen_range(50..600)));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        for l in lines.lock().unwrap().drain(..) {
            acked.take(&l);
        }
        fs.cut_power().unwrap();
        let st = steps::open(&dir);
        let r = st.svc.recovered().clone();
        rebuilt += usize::from(r.rebuilt);
        torn += usize::from(r.torn_tail.is_some());
        let when = format!("trial {trial} (power cut)");
        acked.check(&st.svc, &when);
        if acked.accounts.contains_key("loket") {
            acked.check_counters(&st.svc, &when);
        }
        drop(st);
    }
    eprintln!(
        "{trials} power cuts in {:.1} s: {} acknowledged service steps ({} accounts, {} tickets, \
         {} applications, {} complaints, {} survey answers), 0 lost; the office index was rebuilt \
         from the journal after {rebuilt} cut(s); a torn journal tail was cut off {torn} time(s)",
        started.elapsed().as_secs_f64(),
        acked.steps,
        acked.accounts.len(),
        acked.tickets.len(),
        acked.apps.len(),
        acked.complaints.len(),
        acked.surveys.len(),
    );
    assert!(
        acked.steps as u64 > trials,
        "too few steps were acknowledged for the test to mean anything"
    );
}
