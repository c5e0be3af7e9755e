//! Byte links: the transport a serial driver is generic over.
//!
//! [`SerialLink`] is the real one (a serial port through `serialport`, which is also what the
//! simulator's pseudo-terminals are reached through). [`ScriptedLink`] replays an exact exchange
//! for unit tests and checks that every expected write happened.

use std::collections::VecDeque;
use std::time::Duration;

use crate::error::LinkError;

/// A bidirectional byte stream to one device.
pub trait Link: Send {
    /// Writes every byte, or fails.
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError>;

    /// Reads at least one byte into `buf`, waiting at most `timeout` for it.
    ///
    /// Returns the number of bytes read (never 0); [`LinkError::Timeout`] when nothing came.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError>;

    /// Drops any bytes received and not yet read.
    fn discard_input(&mut self) -> Result<(), LinkError>;

    /// The port's name, for messages.
    fn name(&self) -> &str;

    /// Whether the other end is known to be a program, not hardware (a pseudo-terminal, a
    /// simulator's link). Recorded with every capture taken over the link.
    fn simulated(&self) -> bool {
        false
    }
}

impl<L: Link + ?Sized> Link for Box<L> {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        (**self).write_all(bytes)
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        (**self).read(buf, timeout)
    }
    fn discard_input(&mut self) -> Result<(), LinkError> {
        (**self).discard_input()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn simulated(&self) -> bool {
        (**self).simulated()
    }
}

/// A serial port opened through `serialport`, 8N1, no flow control, held exclusively.
pub struct SerialLink {
    port: serialport::TTYPort,
    name: String,
    timeout: Duration,
    pseudo_terminal: bool,
}

impl std::fmt::Debug for SerialLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialLink")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl SerialLink {
    /// Opens `path` at `baud`, 8 data bits, no parity, 1 stop bit.
    ///
    /// The port is taken exclusively (`serialport` sets `TIOCEXCL` and an advisory `flock`), so
    /// a second program gets [`LinkError::Busy`] rather than a share of the bytes.
    ///
    /// A symlink to a pseudo-terminal that carries a simulator's lock ([`simulator_lock_path`])
    /// is opened only while the simulator holds that lock: a simulator killed without cleaning
    /// up leaves its link behind, and the pseudo-terminal it names may since have been given to
    /// another program ([`LinkError::StaleSimulatorLink`]). Other links (udev's
    /// `/dev/serial/by-id/...`, a `/dev/ttyUSB0` rule) are opened as they are.
    #[tracing::instrument(level = "debug")]
    pub fn open(path: &str, baud: u32) -> Result<Self, LinkError> {
        if !std::path::Path::new(path).exists() {
            return Err(LinkError::NotFound {
                port: path.to_string(),
            });
        }
        refuse_stale_simulator_link(std::path::Path::new(path))?;
        let port = serialport::new(path, baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(Duration::from_millis(100))
            .open_native()
            .map_err(|e| map_open_error(path, e))?;
        Ok(Self {
            port,
            name: path.to_string(),
            timeout: Duration::from_millis(100),
            pseudo_terminal: is_pseudo_terminal(std::path::Path::new(path)),
        })
    }
}

/// Whether `path` (after symlinks) is the slave side of a pseudo-terminal: a character device
/// of Linux's Unix98 pty slave majors 136-143 (`Documentation/admin-guide/devices.txt`), or of
/// the legacy BSD pty slave major 3. No fingerprint module or pen digitiser is one; the
/// simulator's serial devices are.
///
/// ```
/// assert!(!rekam_device::is_pseudo_terminal(std::path::Path::new("/dev/null")));
/// ```
pub fn is_pseudo_terminal(path: &std::path::Path) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.file_type().is_char_device() {
        return false;
    }
    let major = nix::sys::stat::major(meta.rdev());
    (136..=143).contains(&major) || major == 3
}

/// The lock file a simulator holds (an exclusive `flock`) for as long as it serves the
/// pseudo-terminal behind the link `link`: the link's path with `.lock` appended. The kernel
/// drops the lock when the simulator's process ends, however it ends (SIGKILL too), so a held
/// lock proves that the pseudo-terminal the link names is still the simulator's.
///
/// ```
/// use std::path::Path;
/// assert_eq!(
///     rekam_device::simulator_lock_path(Path::new("/tmp/rekam-sim/fingerprint")),
///     Path::new("/tmp/rekam-sim/fingerprint.lock")
/// );
/// ```
pub fn simulator_lock_path(link: &std::path::Path) -> std::path::PathBuf {
    let mut p = link.as_os_str().to_os_string();
    p.push(".lock");
    std::path::PathBuf::from(p)
}

/// Refuses `path` when it is a symlink to a pseudo-terminal whose simulator lock exists but is
/// not held by anyone: the simulator that made the link is gone.
fn refuse_stale_simulator_link(path: &std::path::Path) -> Result<(), LinkError> {
    use nix::errno::Errno;
    use nix::fcntl::{Flock, FlockArg};
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link || !is_pseudo_terminal(path) {
        return Ok(());
    }
    let lock = simulator_lock_path(path);
    // No lock file: a link of some other program's (socat, a hand-made one); nothing to prove.
    let Ok(file) = std::fs::File::open(&lock) else {
        return Ok(());
    };
    match Flock::lock(file, FlockArg::LockSharedNonblock) {
        // We got it, so nobody holds it: released again when the guard drops here.
        Ok(_unheld) => {
            tracing::warn!(port = %path.display(), lock = %lock.display(), "stale simulator link refused");
            Err(LinkError::StaleSimulatorLink {
                port: path.display().to_string(),
                lock: lock.display().to_string(),
            })
        }
        Err((_, Errno::EWOULDBLOCK)) => Ok(()),
        Err((_, e)) => Err(LinkError::Io {
            port: path.display().to_string(),
            source: std::io::Error::other(format!(
                "cannot check the simulator's lock {}: {e}",
                lock.display()
            )),
        }),
    }
}

fn map_open_error(path: &str, e: serialport::Error) -> LinkError {
    let port = path.to_string();
    match e.kind() {
        serialport::ErrorKind::NoDevice => {
            // serialport reports EBUSY (TIOCEXCL held by another process) as NoDevice with a
            // description; tell the two apart by the description it carries.
            let d = e.to_string().to_ascii_lowercase();
            if d.contains("busy") || d.contains("lock") {
                LinkError::Busy { port }
            } else if d.contains("permission") {
                LinkError::PermissionDenied { port }
            } else {
                LinkError::NotFound { port }
            }
        }
        serialport::ErrorKind::Io(kind) => {
            let d = e.to_string().to_ascii_lowercase();
            if d.contains("busy") {
                LinkError::Busy { port }
            } else {
                LinkError::from_io(path, std::io::Error::new(kind, e.to_string()))
            }
        }
        serialport::ErrorKind::InvalidInput => LinkError::InvalidSetting {
            port,
            detail: e.to_string(),
        },
        serialport::ErrorKind::Unknown => LinkError::Io {
            port,
            source: std::io::Error::other(e.to_string()),
        },
    }
}

impl Link for SerialLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        use std::io::Write;
        tracing::trace!(port = %self.name, len = bytes.len(), "write");
        self.port
            .write_all(bytes)
            .and_then(|()| self.port.flush())
            .map_err(|e| LinkError::from_io(&self.name, e))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        use serialport::SerialPort;
        use std::io::Read;
        if timeout != self.timeout {
            self.port
                .set_timeout(timeout)
                .map_err(|e| map_open_error(&self.name, e))?;
            self.timeout = timeout;
        }
        match self.port.read(buf) {
            Ok(0) => Err(LinkError::Disconnected {
                port: self.name.clone(),
            }),
            Ok(n) => {
                tracing::trace!(port = %self.name, len = n, "read");
                Ok(n)
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Err(LinkError::Timeout {
                port: self.name.clone(),
                millis: timeout.as_millis() as u64,
            }),
            Err(e) => Err(LinkError::from_io(&self.name, e)),
        }
    }

    fn discard_input(&mut self) -> Result<(), LinkError> {
        use serialport::SerialPort;
        self.port
            .clear(serialport::ClearBuffer::Input)
            .map_err(|e| map_open_error(&self.name, e))
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn simulated(&self) -> bool {
        self.pseudo_terminal
    }
}

/// One step of a scripted exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The driver must write exactly these bytes next.
    Expect(Vec<u8>),
    /// The device sends these bytes (available to the driver's reads).
    Reply(Vec<u8>),
    /// The device stays silent: the next read times out.
    Silence,
    /// The link breaks: every later call fails with [`LinkError::Disconnected`].
    Unplug,
}

/// A link that plays a fixed script, for unit tests with byte sequences taken from protocol
/// documents. Call [`ScriptedLink::done`] at the end to check the whole script was used.
#[derive(Debug, Default)]
pub struct ScriptedLink {
    steps: VecDeque<Step>,
    pending_write: Vec<u8>,
    unplugged: bool,
    written: Vec<u8>,
}

impl ScriptedLink {
    /// A link that will play `steps` in order.
    pub fn new(steps: impl IntoIterator<Item = Step>) -> Self {
        Self {
            steps: steps.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Everything the driver wrote so far.
    pub fn written(&self) -> &[u8] {
        &self.written
    }

    /// Panics unless every scripted step took place. For tests.
    pub fn done(&self) {
        assert!(
            self.steps.is_empty() && self.pending_write.is_empty(),
            "script not finished: steps left {:?}, unmatched written bytes {:02x?}",
            self.steps,
            self.pending_write
        );
    }

    fn disconnected(&self) -> LinkError {
        LinkError::Disconnected {
            port: "scripted".into(),
        }
    }
}

impl Link for ScriptedLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        if self.unplugged {
            return Err(self.disconnected());
        }
        self.written.extend_from_slice(bytes);
        self.pending_write.extend_from_slice(bytes);
        loop {
            match self.steps.front() {
                Some(Step::Expect(exp)) => {
                    let n = exp.len().min(self.pending_write.len());
                    assert_eq!(
                        &self.pending_write[..n],
                        &exp[..n],
                        "driver wrote {:02x?}, script expected {:02x?}",
                        self.pending_write,
                        exp
                    );
                    if self.pending_write.len() >= exp.len() {
                        let len = exp.len();
                        self.pending_write.drain(..len);
                        self.steps.pop_front();
                        continue;
                    }
                    return Ok(());
                }
                Some(Step::Unplug) => {
                    self.unplugged = true;
                    self.steps.pop_front();
                    return Err(self.disconnected());
                }
                _ => {
                    assert!(
                        self.pending_write.is_empty(),
                        "driver wrote {:02x?} where the script had {:?}",
                        self.pending_write,
                        self.steps.front()
                    );
                    return Ok(());
                }
            }
        }
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        if self.unplugged {
            return Err(self.disconnected());
        }
        match self.steps.front_mut() {
            Some(Step::Reply(bytes)) => {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                bytes.drain(..n);
                if bytes.is_empty() {
                    self.steps.pop_front();
                }
                Ok(n)
            }
            Some(Step::Silence) => {
                self.steps.pop_front();
                Err(LinkError::Timeout {
                    port: "scripted".into(),
                    millis: timeout.as_millis() as u64,
                })
            }
            Some(Step::Unplug) => {
                self.steps.pop_front();
                self.unplugged = true;
                Err(self.disconnected())
            }
            _ => Err(LinkError::Timeout {
                port: "scripted".into(),
                millis: timeout.as_millis() as u64,
            }),
        }
    }

    fn discard_input(&mut self) -> Result<(), LinkError> {
        while let Some(Step::Reply(_)) = self.steps.front() {
            self.steps.pop_front();
        }
        Ok(())
    }

    fn name(&self) -> &str {
        "scripted"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pseudo_terminal_is_told_from_a_device() {
        let (_master, slave) = serialport::TTYPort::pair().unwrap();
        let path = serialport::SerialPort::name(&slave).unwrap();
        assert!(is_pseudo_terminal(std::path::Path::new(&path)), "{path}");
        let link = SerialLink::open(&path, 57_600).unwrap();
        assert!(link.simulated());
        for not in ["/dev/null", "/dev/zero", "/", "/no/such/port"] {
            assert!(!is_pseudo_terminal(std::path::Path::new(not)), "{not}");
        }
        assert!(!ScriptedLink::new([]).simulated());
    }

    #[test]
    fn scripted_link_plays_and_checks() {
        let mut l = ScriptedLink::new([
            Step::Expect(vec![1, 2, 3]),
            Step::Reply(vec![9, 8]),
            Step::Silence,
            Step::Unplug,
        ]);
        l.write_all(&[1]).unwrap();
        l.write_all(&[2, 3]).unwrap();
        let mut b = [0u8; 4];
        assert_eq!(l.read(&mut b, Duration::from_millis(1)).unwrap(), 2);
        assert_eq!(&b[..2], &[9, 8]);
        assert!(matches!(
            l.read(&mut b, Duration::from_millis(1)),
            Err(LinkError::Timeout { .. })
        ));
        assert!(matches!(
            l.read(&mut b, Duration::from_millis(1)),
            Err(LinkError::Disconnected { .. })
        ));
        l.done();
    }

    #[test]
    #[should_panic(expected = "script expected")]
    fn scripted_link_catches_a_wrong_write() {
        let mut l = ScriptedLink::new([Step::Expect(vec![1, 2, 3])]);
        let _ = l.write_all(&[1, 5]);
    }

    #[test]
    fn opening_a_missing_port_says_not_found() {
        let e = SerialLink::open("/dev/does-not-exist-rekam", 57600).unwrap_err();
        assert!(matches!(e, LinkError::NotFound { .. }), "{e:?}");
    }
}
