//! What sled 0.34 leaves after a power cut on the power-fail filesystem. Observational: each
//! scenario asserts only that sled neither hangs nor panics, and prints what survived
//! (`cargo test -p rekam-testfs --test sled -- --nocapture`).
//!
//! A writer process (this test binary again, running `sled_writer`) opens sled on the mount,
//! inserts, calls `flush()`, says so on standard output and waits; the test kills it (so
//! nothing more is written, as when the power goes), cuts the power and opens the database
//! again in this process.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use rekam_testfs::{mount_or_skip, Mounted};

const KEYS: u32 = 200;
const DB_ENV: &str = "REKAM_TESTFS_SLED_DB";
const FLUSHER_ENV: &str = "REKAM_TESTFS_SLED_FLUSH_EVERY_MS";
const SYNC_DIRS_ENV: &str = "REKAM_TESTFS_SLED_SYNC_DIRS";
const PAUSE_ENV: &str = "REKAM_TESTFS_SLED_PAUSE_MS";
const FLUSHED: &str = "rekam-testfs: flushed";
const DEADLINE: Duration = Duration::from_secs(60);

fn value(i: u32) -> Vec<u8> {
    format!("enrollment record {i:04} ").repeat(4).into_bytes()
}

fn sync_dir(dir: &Path) {
    std::fs::File::open(dir).unwrap().sync_all().unwrap();
}

/// The writer, run by the scenarios below in a child process; does nothing when run alone.
#[test]
#[ignore = "run as a child process by the sled scenarios"]
fn sled_writer() {
    let Some(db_path) = std::env::var_os(DB_ENV) else {
        eprintln!("sled_writer: {DB_ENV} is not set; the sled scenarios run this");
        return;
    };
    let db_path = Path::new(&db_path);
    let flush_every = std::env::var(FLUSHER_ENV)
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok());
    let db = sled::Config::new()
        .path(db_path)
        .flush_every_ms(flush_every)
        .open()
        .unwrap();
    if std::env::var_os(SYNC_DIRS_ENV).is_some() {
        // What a careful store would do once after creating the database: make the names of
        // sled's directory and files durable (sled never fsyncs a directory itself).
        sync_dir(db_path);
        sync_dir(&db_path.join("blobs"));
        sync_dir(db_path.parent().unwrap());
    }
    let pause = std::env::var(PAUSE_ENV)
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok())
        .map(Duration::from_millis);
    // Two batches, each acknowledged with flush(); optionally a pause between them.
    for (n, batch) in [0..KEYS / 2, KEYS / 2..KEYS].into_iter().enumerate() {
        if let (1, Some(pause)) = (n, pause) {
            thread::sleep(pause);
        }
        for i in batch {
            db.insert(i.to_be_bytes(), value(i)).unwrap();
        }
        db.flush().unwrap();
    }
    println!("{FLUSHED}");
    thread::sleep(Duration::from_secs(600));
}

/// How one scenario runs.
#[derive(Debug, Clone, Copy)]
struct Scenario {
    name: &'static str,
    /// sled's background flusher period (it calls `sync_all`); `None`: no flusher.
    flush_every_ms: Option<u64>,
    /// Fsync the database's directories after `sled::open`.
    sync_dirs: bool,
    /// A pause between the two acknowledged batches.
    pause_between_batches: Option<Duration>,
    /// How long the writer lives after its last `flush()`.
    wait_after_flush: Duration,
}

/// Runs the writer, kills it, cuts the power, reopens the database and prints what is there.
fn run_scenario(fs: &Mounted, scenario: Scenario) {
    let name = scenario.name;
    let db_path = fs.path().join("queue.sled");
    let optional_ms = |d: Option<Duration>| d.map_or("none".into(), |d| d.as_millis().to_string());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "sled_writer",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DB_ENV, &db_path)
        .env(
            FLUSHER_ENV,
            optional_ms(scenario.flush_every_ms.map(Duration::from_millis)),
        )
        .env(PAUSE_ENV, optional_ms(scenario.pause_between_batches))
        .envs(scenario.sync_dirs.then_some((SYNC_DIRS_ENV, "1")))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains(FLUSHED) {
                let _ = tx.send(());
            }
        }
    });
    let flushed = rx.recv_timeout(DEADLINE);
    if flushed.is_ok() {
        thread::sleep(scenario.wait_after_flush);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        flushed.is_ok(),
        "{name}: the writer did not flush within {DEADLINE:?}"
    );

    let before = fs.stats();
    fs.cut_power().unwrap();
    let files = list(fs.path());

    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let reopened = sled::open(&db_path).map_err(|e| e.to_string()).map(|db| {
            let found: Vec<u32> = (0..KEYS)
                .filter(|i| db.get(i.to_be_bytes()).unwrap().is_some())
                .collect();
            let correct = found
                .iter()
                .all(|&i| db.get(i.to_be_bytes()).unwrap().as_deref() == Some(&value(i)[..]));
            (found, correct)
        });
        let _ = tx.send(reopened);
    });
    let reopened = rx
        .recv_timeout(DEADLINE)
        .unwrap_or_else(|_| panic!("{name}: sled::open hung after the power cut"));
    let reopened = match reopened {
        Ok((found, correct)) => format!(
            "sled opened; {} of {KEYS} acknowledged keys ({}), values {}",
            found.len(),
            ranges(&found),
            if correct { "all correct" } else { "WRONG" }
        ),
        Err(e) => format!("sled::open failed: {e}"),
    };
    println!("sled, {name}:\n  before the cut: {before:?}\n  files after: {files:?}\n  {reopened}");
}

/// `0..100, 150..200` for a sorted list of keys.
fn ranges(keys: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut start = None;
    for (n, &k) in keys.iter().enumerate() {
        let begin = *start.get_or_insert(k);
        if keys.get(n + 1) != Some(&(k + 1)) {
            out.push(format!("{begin}..{}", k + 1));
            start = None;
        }
    }
    if out.is_empty() {
        "none".into()
    } else {
        out.join(", ")
    }
}

/// Every file under `dir` with its size, paths relative to `dir`.
fn list(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            }
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap()
                .display()
                .to_string();
            out.push((rel, meta.len()));
        }
    }
    out.sort();
    out
}

#[test]
fn sled_after_a_power_cut_with_no_directory_fsync() {
    let Some(fs) = mount_or_skip("sled_after_a_power_cut_with_no_directory_fsync") else {
        return;
    };
    run_scenario(
        &fs,
        Scenario {
            name: "nobody fsyncs a directory, default flusher, cut 1.5 s after flush()",
            flush_every_ms: Some(500),
            sync_dirs: false,
            pause_between_batches: None,
            wait_after_flush: Duration::from_millis(1500),
        },
    );
}

#[test]
fn sled_after_a_power_cut_right_after_flush() {
    let Some(fs) = mount_or_skip("sled_after_a_power_cut_right_after_flush") else {
        return;
    };
    run_scenario(
        &fs,
        Scenario {
            name: "directories fsynced, no flusher, cut right after flush()",
            flush_every_ms: None,
            sync_dirs: true,
            pause_between_batches: None,
            wait_after_flush: Duration::ZERO,
        },
    );
}

#[test]
fn sled_after_a_power_cut_once_the_flusher_ran() {
    let Some(fs) = mount_or_skip("sled_after_a_power_cut_once_the_flusher_ran") else {
        return;
    };
    run_scenario(
        &fs,
        Scenario {
            name: "directories fsynced, default flusher, cut 1.5 s after flush()",
            flush_every_ms: Some(500),
            sync_dirs: true,
            pause_between_batches: None,
            wait_after_flush: Duration::from_millis(1500),
        },
    );
}

#[test]
fn sled_after_a_power_cut_between_flusher_runs() {
    let Some(fs) = mount_or_skip("sled_after_a_power_cut_between_flusher_runs") else {
        return;
    };
    run_scenario(
        &fs,
        Scenario {
            name: "directories fsynced, default flusher, 1.5 s pause between the batches, \
                   cut right after the second flush()",
            flush_every_ms: Some(500),
            sync_dirs: true,
            pause_between_batches: Some(Duration::from_millis(1500)),
            wait_after_flush: Duration::ZERO,
        },
    );
}
