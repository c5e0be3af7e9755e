//! A real nats-server for tests (shared by crates/uplink and crates/central): started on a
//! free loopback port with JetStream in a temporary folder, killed on drop.
#![allow(dead_code)]
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `REKAM_NATS_SERVER`, else `nats-server` on PATH, else /usr/sbin/nats-server; `None` when
/// missing, except under CI (`CI` set), where a missing server fails the test.
pub fn nats_server_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REKAM_NATS_SERVER") {
        return Some(PathBuf::from(p));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("nats-server"))
            .find(|p| p.is_file())
    });
    let found = on_path.or_else(|| {
        let p = PathBuf::from("/usr/sbin/nats-server");
        p.is_file().then_some(p)
    });
    match found {
        Some(p) => Some(p),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must install nats-server (Debian package nats-server) for the uplink tests")
        }
        None => None,
    }
}

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A nats-server with JetStream on a loopback port, storing in `dir`; killed on drop.
pub struct Server {
    bin: PathBuf,
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
    started: bool,
}

impl Server {
    pub fn new(bin: &Path, dir: &Path) -> Self {
        Self {
            bin: bin.to_path_buf(),
            port: free_port(),
            dir: dir.to_path_buf(),
            child: None,
            started: false,
        }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server and waits until it answers on its port. Tests run in parallel, so a
    /// port found free can be taken by another test's server before ours binds it: if our
    /// server exits before it is ready on its first start, it tries again on another port (a
    /// restart keeps its port, as the restart tests need).
    pub fn start(&mut self) {
        let first = !self.started;
        for _ in 0..5 {
            let mut child = Command::new(&self.bin)
                .args([
                    "-js",
                    "-a",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-sd",
                ])
                .arg(&self.dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start nats-server");
            let deadline = Instant::now() + Duration::from_secs(10);
            let ready = loop {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break false;
                }
                if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                    // The answer may have come from another test's server on a port that was
                    // free a moment ago: ours must still be running.
                    std::thread::sleep(Duration::from_millis(50));
                    break matches!(child.try_wait(), Ok(None));
                }
                assert!(Instant::now() < deadline, "nats-server did not start");
                std::thread::sleep(Duration::from_millis(20));
            };
            if ready {
                self.child = Some(child);
                self.started = true;
                return;
            }
            let _ = child.kill();
            let _ = child.wait();
            assert!(first, "nats-server did not restart on port {}", self.port);
            self.port = free_port();
        }
        panic!("nats-server did not start on any of 5 ports");
    }

    /// SIGKILL, as a crash or a power cut of the server process.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
