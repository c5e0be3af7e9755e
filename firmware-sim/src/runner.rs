//! The device side of a pseudo-terminal: one thread per simulated device that reads what the
//! host writes, hands it to the device's firmware, and writes the firmware's frames back,
//! applying injected faults and, when asked, the real line timing.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

use crate::Fault;

/// A device's firmware: turns host bytes into frames (whole packets) to send back.
pub trait Firmware: Send + 'static {
    /// Bytes from the host arrived.
    fn on_bytes(&mut self, bytes: &[u8], now: Instant, out: &mut Vec<Vec<u8>>);
    /// Called every few milliseconds for output that is due by time (pen reports).
    fn poll(&mut self, _now: Instant, _out: &mut Vec<Vec<u8>>) {}
    /// The port was unplugged or re-plugged: forget host state.
    fn reset(&mut self) {}
}

/// Counters of what the simulated line carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WireStats {
    /// Bytes the host wrote.
    pub bytes_in: u64,
    /// Bytes the device wrote.
    pub bytes_out: u64,
    /// Frames the device wrote.
    pub frames_out: u64,
    /// Frames damaged or withheld by injected faults.
    pub frames_faulted: u64,
}

/// Fault and timing state shared between the device thread and its handle.
#[derive(Debug, Default)]
pub(crate) struct LineState {
    pub faults: Vec<Fault>,
    pub line_timing: bool,
    pub unplugged: bool,
    pub replug: bool,
    pub stats: WireStats,
    pub busy_holder: Option<std::fs::File>,
}

/// A running simulated serial device.
pub struct SerialDevice<F: Firmware> {
    pub(crate) firmware: Arc<Mutex<F>>,
    pub(crate) line: Arc<Mutex<LineState>>,
    link_path: PathBuf,
    /// The exclusive lock on the link's lock file (`rekam_device::simulator_lock_path`), held
    /// while this device lives: the kernel releases it when the process ends however it ends,
    /// so a station refuses the link once the simulator is gone (`SerialLink::open`).
    _lock: nix::fcntl::Flock<std::fs::File>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl<F: Firmware> std::fmt::Debug for SerialDevice<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialDevice")
            .field("path", &self.link_path)
            .finish_non_exhaustive()
    }
}

/// Locks, recovering the data if a thread panicked while holding the lock.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Takes the lock of `link_path` for this process. A lock left by a simulator that was killed
/// is free and simply taken over; one held by a running simulator is waited for a moment (a
/// station checking it holds it for microseconds), then refused.
fn take_link_lock(link_path: &Path) -> std::io::Result<nix::fcntl::Flock<std::fs::File>> {
    use nix::fcntl::{Flock, FlockArg};
    let lock_path = rekam_device::simulator_lock_path(link_path);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)?;
    for _ in 0..40 {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => return Ok(lock),
            Err((f, nix::errno::Errno::EWOULDBLOCK)) => {
                file = f;
                std::thread::sleep(Duration::from_millis(25));
            }
            Err((_, e)) => return Err(std::io::Error::from(e)),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        format!(
            "another simulator is serving {} (it holds {}): stop it, or give this one another run directory",
            link_path.display(),
            lock_path.display()
        ),
    ))
}

fn new_pty(link_path: &Path) -> std::io::Result<TTYPort> {
    let (mut master, slave) = TTYPort::pair().map_err(std::io::Error::other)?;
    let slave_name = slave
        .name()
        .ok_or_else(|| std::io::Error::other("the pseudo-terminal has no name"))?;
    // The host opens the slave by path; the device keeps no handle on it, so the host sees a
    // fresh line, and the master sees a hang-up whenever no host has it open.
    drop(slave);
    master
        .set_timeout(Duration::from_millis(5))
        .map_err(std::io::Error::other)?;
    let tmp = link_path.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(&slave_name, &tmp)?;
    std::fs::rename(&tmp, link_path)?;
    tracing::debug!(link = %link_path.display(), pty = %slave_name, "pseudo-terminal ready");
    Ok(master)
}

impl<F: Firmware> SerialDevice<F> {
    /// Starts `firmware` behind a new pseudo-terminal reachable at `link_path` (a symlink to
    /// the `/dev/pts/N` slave).
    pub(crate) fn start(
        name: &str,
        firmware: F,
        link_path: PathBuf,
        baud: u32,
    ) -> std::io::Result<Self> {
        // The lock first, so that the link never exists without it.
        let lock = take_link_lock(&link_path)?;
        let master = new_pty(&link_path)?;
        let firmware = Arc::new(Mutex::new(firmware));
        let line = Arc::new(Mutex::new(LineState::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (firmware, line, stop, link_path) = (
                firmware.clone(),
                line.clone(),
                stop.clone(),
                link_path.clone(),
            );
            std::thread::Builder::new()
                .name(format!("sim-{name}"))
                .spawn(move || run(master, firmware, line, stop, link_path, baud))?
        };
        Ok(Self {
            firmware,
            line,
            link_path,
            _lock: lock,
            stop,
            thread: Some(thread),
        })
    }

    /// The path the host opens.
    pub fn path(&self) -> &Path {
        &self.link_path
    }

    pub(crate) fn inject(&self, fault: Fault) {
        let mut line = lock(&self.line);
        match fault {
            Fault::SlowLine => line.line_timing = true,
            Fault::Busy => {
                // Another program holds the port: an open file with an exclusive lock.
                match std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&self.link_path)
                {
                    Ok(f) => {
                        use std::os::fd::AsRawFd;
                        #[allow(deprecated)]
                        let _ = nix::fcntl::flock(
                            f.as_raw_fd(),
                            nix::fcntl::FlockArg::LockExclusiveNonblock,
                        );
                        line.busy_holder = Some(f);
                    }
                    Err(e) => tracing::warn!(error = %e, "could not hold the port busy"),
                }
            }
            Fault::Unplug { after_bytes: 0 } => line.unplugged = true,
            other => line.faults.push(other),
        }
    }

    pub(crate) fn clear_faults(&self) {
        let mut line = lock(&self.line);
        line.faults.clear();
        line.line_timing = false;
        line.busy_holder = None;
    }

    pub(crate) fn replug(&self) {
        let mut line = lock(&self.line);
        line.replug = true;
    }

    pub(crate) fn stats(&self) -> WireStats {
        lock(&self.line).stats
    }
}

impl<F: Firmware> Drop for SerialDevice<F> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // The link, then its lock file; the lock itself is released when `_lock` drops.
        let _ = std::fs::remove_file(&self.link_path);
        let _ = std::fs::remove_file(rekam_device::simulator_lock_path(&self.link_path));
    }
}

/// Applies the first matching frame fault to `frame`; returns `None` when it is withheld.
fn apply_faults(
    faults: &mut Vec<Fault>,
    mut frame: Vec<u8>,
    stats: &mut WireStats,
) -> Option<Vec<u8>> {
    let Some(i) = faults.iter().position(|f| f.is_frame_fault()) else {
        return Some(frame);
    };
    stats.frames_faulted += 1;
    let mid = frame.len() / 2;
    let result = match faults[i] {
        Fault::CorruptChecksum { .. } => {
            if let Some(last) = frame.last_mut() {
                *last ^= 0x5A;
            }
            Some(frame)
        }
        Fault::DropByte { .. } => {
            if !frame.is_empty() {
                frame.remove(mid);
            }
            Some(frame)
        }
        Fault::ExtraByte { .. } => {
            frame.insert(mid, 0x33);
            Some(frame)
        }
        Fault::Noise { .. } => {
            let mut v = vec![0x00, 0x13, 0x7E, 0x42];
            v.extend(frame);
            Some(v)
        }
        Fault::Silent { .. } => None,
        _ => Some(frame),
    };
    if faults[i].consume() {
        faults.remove(i);
    }
    result
}

fn run<F: Firmware>(
    master: TTYPort,
    firmware: Arc<Mutex<F>>,
    line: Arc<Mutex<LineState>>,
    stop: Arc<AtomicBool>,
    link_path: PathBuf,
    baud: u32,
) {
    let mut buf = [0u8; 1024];
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut master = Some(master);
    while !stop.load(Ordering::SeqCst) {
        // Unplug and replug.
        {
            let mut l = lock(&line);
            if l.replug {
                l.replug = false;
                l.unplugged = false;
                match new_pty(&link_path) {
                    Ok(m) => master = Some(m),
                    Err(e) => tracing::warn!(error = %e, "replug failed"),
                }
                lock(&firmware).reset();
            } else if l.unplugged && master.is_some() {
                // Closing the master is what a pulled cable looks like to the host: its reads
                // and writes fail with EIO / hang-up.
                master = None;
                // The device node goes too, as /dev/ttyUSB0 does when an adapter is pulled:
                // opening the path fails until replug (and a stale link can never lead to a
                // pseudo-terminal that the system has since given to another device).
                let _ = std::fs::remove_file(&link_path);
                lock(&firmware).reset();
                tracing::debug!(link = %link_path.display(), "unplugged");
            }
        }
        let Some(port) = master.as_mut() else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        let now = Instant::now();
        match port.read(&mut buf) {
            Ok(n) if n > 0 => {
                lock(&line).stats.bytes_in += n as u64;
                lock(&firmware).on_bytes(&buf[..n], now, &mut out);
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => {
                // No host has the port open (hang-up): wait for one.
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        lock(&firmware).poll(Instant::now(), &mut out);
        for frame in out.drain(..) {
            let (frame, timing) = {
                let mut l = lock(&line);
                let LineState { faults, stats, .. } = &mut *l;
                let f = apply_faults(faults, frame, stats);
                (f, l.line_timing)
            };
            let Some(frame) = frame else { continue };
            if write_frame(port, &frame, timing, baud, &line).is_err() {
                break;
            }
        }
    }
}

/// Writes all of `bytes`, waiting while the host is slow to read (the pseudo-terminal buffer
/// holds only a few kilobytes); gives up when the host reads nothing for ten seconds.
fn write_patiently(port: &mut TTYPort, mut bytes: &[u8]) -> std::io::Result<()> {
    let mut last_progress = Instant::now();
    while !bytes.is_empty() {
        match port.write(bytes) {
            Ok(n) => {
                bytes = &bytes[n..];
                last_progress = Instant::now();
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                if last_progress.elapsed() > Duration::from_secs(10) {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes one frame, at the line's pace when `timing` is on, honouring an unplug that is due
/// after a number of bytes.
fn write_frame(
    port: &mut TTYPort,
    frame: &[u8],
    timing: bool,
    baud: u32,
    line: &Arc<Mutex<LineState>>,
) -> std::io::Result<()> {
    // At the line's pace: 10 bits a byte (8N1). Written in small pieces so that the host sees
    // bytes arrive as they would from a UART.
    let piece = if timing { 16 } else { frame.len().max(1) };
    let start = Instant::now();
    let mut sent = 0usize;
    for chunk in frame.chunks(piece) {
        let mut chunk = chunk;
        {
            let mut l = lock(line);
            if let Some(i) = l
                .faults
                .iter()
                .position(|f| matches!(f, Fault::Unplug { .. }))
            {
                if let Fault::Unplug { after_bytes } = &mut l.faults[i] {
                    if (*after_bytes as usize) < chunk.len() {
                        chunk = &chunk[..*after_bytes as usize];
                        l.faults.remove(i);
                        l.unplugged = true;
                    } else {
                        *after_bytes -= chunk.len() as u64;
                    }
                }
            }
        }
        if !chunk.is_empty() {
            write_patiently(port, chunk)?;
            sent += chunk.len();
            let mut l = lock(line);
            l.stats.bytes_out += chunk.len() as u64;
        }
        if lock(line).unplugged {
            return Ok(());
        }
        if timing {
            let due = start + Duration::from_micros(sent as u64 * 10_000_000 / u64::from(baud));
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
    }
    lock(line).stats.frames_out += 1;
    Ok(())
}
