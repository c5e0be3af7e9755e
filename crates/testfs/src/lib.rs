//! For tests only: a filesystem that can lose power.
//!
//! A process kill cannot show that an acknowledged record survives a power cut, because the
//! kernel's page cache outlives the process. [`PowerFailFs`] is an in-memory FUSE filesystem
//! that keeps everything not yet made durable apart, and throws it away on
//! [`Mounted::cut_power`]. The crash tests of the enrollment store rely on the model below;
//! it is the definition of "durable" they test against.
//!
//! ```no_run
//! use std::io::Write;
//! let fs = rekam_testfs::PowerFailFs::mount_temp()?;
//! let path = fs.path().join("record");
//! let mut f = std::fs::File::create(&path)?;
//! f.write_all(b"saved?")?;
//! f.sync_all()?; // the data is durable, its name is not
//! fs.cut_power()?;
//! assert!(!path.exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The durability model
//!
//! Every inode has a **volatile** state (what programs see now) and a **durable** state (what
//! a power cut leaves). Only the two kinds of fsync move volatile state to durable; nothing
//! else, and never in the background.
//!
//! - **File data.** `write`, `pwrite` (at any offset; a gap reads as zeros), `truncate`,
//!   `fallocate`, `chmod`/`chown`/`utimens` change only the volatile file. `fsync` or
//!   `fdatasync` of the file (the FUSE `fsync` request, so also `File::sync_all`/`sync_data`)
//!   copies its whole volatile content, size and attributes to durable. It does **not** make
//!   any name of the file durable: fsync(2) says the directory needs its own fsync for that
//!   (ext4's journal often commits a new entry along with the file, but nothing promises
//!   it), and this model is the strict case. A descriptor opened with `O_SYNC` or `O_DSYNC`
//!   gets that fsync from the kernel after each write.
//! - **Directory entries.** `create`/`mknod`, `mkdir`, `unlink`, `rmdir`, `rename` (also with
//!   `RENAME_NOREPLACE` or `RENAME_EXCHANGE`; `RENAME_WHITEOUT` is `EINVAL`), `link` and
//!   `symlink` change only the volatile set of entries (name → inode) of the directories
//!   involved. `fsync` of a directory (the FUSE `fsyncdir` request: `File::open(dir)` then
//!   `sync_all`) makes that directory's entries durable, and nothing about the inodes they
//!   name. Each directory is durable on its own: a rename between two directories is durable
//!   when both are fsynced; fsyncing only the source loses the file, fsyncing only the target
//!   leaves it under both names. (ext4 commits both in one journal transaction; this model is
//!   stricter on purpose.)
//! - **New inodes.** A new file or directory starts with empty durable content. A file whose
//!   name became durable but whose data was never fsynced comes back **empty (size 0)**, as
//!   on ext4 with delayed allocation. A symlink's target is written with it: the symlink is
//!   whole as soon as a durable entry names it.
//! - **Power cut** ([`Mounted::cut_power`]). The filesystem is walked from the root through
//!   durable entries only; what is reached comes back with its durable content, entries and
//!   attributes, and everything else vanishes, including data that was fsynced but never got
//!   a durable name. (A directory reached twice, possible only after a rename between
//!   directories of which just one was fsynced, keeps its first name in breadth-first order.)
//!   Hard-link counts are recounted. The mount is then replaced by a fresh one at the same
//!   path, so the kernel's caches and every lock go with the old one, and every handle opened
//!   before the cut answers `EIO` to every later call.
//! - **Not seen by FUSE, so never durable here.** `sync_file_range` works on the kernel's
//!   page cache and never reaches a FUSE server, so data "synced" with it alone is lost on a
//!   power cut in this model (sled 0.34 relies on it in `flush`; a real disk gives no promise
//!   either: neither the file's size nor the drive's cache is flushed). `sync()` and
//!   `syncfs()` do not reach the server either. `msync(MS_SYNC)` *does* reach it, as an
//!   `fdatasync` of the whole file; `msync(MS_ASYNC)` does not.
//! - **Capacity** ([`Mounted::set_capacity`]). The space in use is the sum of the sizes of
//!   the files programs can see (durable copies are free). A write that would pass the
//!   capacity writes what fits and returns the shorter count, then `ENOSPC`; a truncate or
//!   `fallocate` that would pass it fails whole with `ENOSPC`. Overwriting needs no space.
//!   No file grows past [`MAX_FILE_SIZE`] (`EFBIG`).
//! - **Read-only** ([`Mounted::set_read_only`]). Every change, opening for writing, `fsync`
//!   and `fsyncdir` answer `EROFS` (volatile state stays as it was); reads work.
//!
//! Permissions are not checked (tests run as the user who mounted); there are no extended
//! attributes and no device nodes, fifos or sockets. `flock` and `fcntl` locks work and are
//! kept by the kernel, per mount. The knobs and counters outlive power cuts.
//!
//! # Mounting
//!
//! The `fuser` crate mounts without libfuse: as root with `mount(2)` on `/dev/fuse`, otherwise
//! through `fusermount3` (Debian package `fuse3`). [`mount_or_skip`] is the helper for tests:
//! it skips with a message where mounting is impossible, and fails under CI.
#![warn(missing_docs)]

mod fuse;
mod model;

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};

use fuser::{BackgroundSession, Config, MountOption};
use tempfile::TempDir;

pub use model::{Stats, MAX_FILE_SIZE};

use fuse::{lock, Session, Shared};
use model::Model;

/// The name the mount shows in `/proc/self/mountinfo` (its source).
const FS_NAME: &str = "rekam-testfs";

/// What went wrong while mounting or unmounting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The mount point does not exist or cannot be resolved.
    #[error("cannot use {path} as a mount point: {source}")]
    MountPoint {
        /// The mount point asked for.
        path: PathBuf,
        /// Why it cannot be used.
        #[source]
        source: io::Error,
    },
    /// The mount point is not a directory.
    #[error("{path} is not a directory; create a directory to mount on")]
    NotADirectory {
        /// The mount point asked for.
        path: PathBuf,
    },
    /// The temporary mount point could not be made.
    #[error("cannot create a temporary directory to mount on: {0}")]
    TempDir(#[source] io::Error),
    /// There is no FUSE device on this machine.
    #[error(
        "/dev/fuse is missing: load the fuse module (`modprobe fuse`), or give the container \
         the device (`--device /dev/fuse --cap-add SYS_ADMIN`)"
    )]
    NoFuseDevice,
    /// The kernel or `fusermount3` refused the mount.
    #[error(
        "cannot mount the power-fail filesystem at {path}: {source} (as root this needs \
         CAP_SYS_ADMIN; as another user, /dev/fuse must be readable and writable by you and \
         fusermount3 installed, Debian package fuse3)"
    )]
    Mount {
        /// The mount point.
        path: PathBuf,
        /// What the kernel or `fusermount3` said.
        #[source]
        source: io::Error,
    },
    /// Unmounting failed; the mount may still be there.
    #[error("cannot unmount {path}: {source}; unmount it by hand with `fusermount3 -u -z {path}`")]
    Unmount {
        /// The mount point.
        path: PathBuf,
        /// What the kernel or `fusermount3` said.
        #[source]
        source: io::Error,
    },
}

/// The power-fail filesystem; [`PowerFailFs::mount`] puts a new, empty one on a directory.
#[derive(Debug)]
pub struct PowerFailFs {
    _private: (),
}

impl PowerFailFs {
    /// Mounts a new, empty power-fail filesystem on `mountpoint`, an existing directory whose
    /// permissions and owner the root takes. Returns once the mount answers.
    ///
    /// # Errors
    /// [`Error::NoFuseDevice`] without `/dev/fuse`, [`Error::Mount`] when the kernel or
    /// `fusermount3` refuses, [`Error::MountPoint`]/[`Error::NotADirectory`] for a bad path.
    pub fn mount(mountpoint: &Path) -> Result<Mounted, Error> {
        let path = mountpoint
            .canonicalize()
            .map_err(|source| Error::MountPoint {
                path: mountpoint.to_owned(),
                source,
            })?;
        let meta = fs::metadata(&path).map_err(|source| Error::MountPoint {
            path: path.clone(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(Error::NotADirectory { path });
        }
        if !Path::new("/dev/fuse").exists() {
            return Err(Error::NoFuseDevice);
        }
        let perm = u16::try_from(meta.mode() & 0o7777).unwrap_or(0o755);
        let model = Arc::new(Mutex::new(Model::new(perm, meta.uid(), meta.gid())));
        let session = spawn(&path, &model)?;
        tracing::debug!(path = %path.display(), "mounted the power-fail filesystem");
        Ok(Mounted {
            path,
            model,
            session: Mutex::new(Some(session)),
            _tempdir: None,
        })
    }

    /// Mounts a new, empty power-fail filesystem on a new temporary directory, which goes
    /// away with the returned [`Mounted`].
    ///
    /// # Errors
    /// As [`PowerFailFs::mount`], and [`Error::TempDir`].
    pub fn mount_temp() -> Result<Mounted, Error> {
        let dir = tempfile::Builder::new()
            .prefix("rekam-testfs-")
            .tempdir()
            .map_err(Error::TempDir)?;
        let mut mounted = PowerFailFs::mount(dir.path())?;
        mounted._tempdir = Some(dir);
        Ok(mounted)
    }
}

/// For tests: a power-fail filesystem on a temporary directory, or `None` with a message on
/// standard error when this machine cannot mount one (no `/dev/fuse`, no permission).
///
/// # Panics
/// When mounting fails and the `CI` environment variable is set: CI installs fuse3 and must
/// run these tests.
pub fn mount_or_skip(test: &str) -> Option<Mounted> {
    match PowerFailFs::mount_temp() {
        Ok(mounted) => Some(mounted),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("{test}: CI must be able to mount the power-fail filesystem: {e}")
        }
        Err(e) => {
            eprintln!("skipping {test}: {e}");
            None
        }
    }
}

/// A mounted [`PowerFailFs`]. Dropping it unmounts (lazily, so even with files still open),
/// also when a test panics.
#[derive(Debug)]
pub struct Mounted {
    path: PathBuf,
    model: Shared,
    session: Mutex<Option<BackgroundSession>>,
    /// Dropped after the unmount in `Drop`, so the directory is empty when it is removed.
    _tempdir: Option<TempDir>,
}

impl Mounted {
    /// Where the filesystem is mounted (the canonical path).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Cuts the power: every inode reverts to its durable state (see the crate docs),
    /// handles opened before answer `EIO`, and a fresh mount replaces the old one at the same
    /// path. Returns once the new mount answers. Stop using the mount while this runs:
    /// between the two mounts the path is the bare directory underneath.
    ///
    /// # Errors
    /// When the old mount cannot be removed or the new one cannot be made.
    pub fn cut_power(&self) -> Result<(), Error> {
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        lock(&self.model).cut_power();
        detach(&self.path)?;
        drop(session.take());
        *session = Some(spawn(&self.path, &self.model)?);
        tracing::info!(path = %self.path.display(), "power cut");
        Ok(())
    }

    /// Limits the space in use to `capacity` bytes (`None`: no limit). Writes past it fail
    /// with `ENOSPC`; data already there stays.
    pub fn set_capacity(&self, capacity: Option<u64>) {
        lock(&self.model).set_capacity(capacity);
    }

    /// Makes every change fail with `EROFS` (`true`), or allows changes again (`false`).
    pub fn set_read_only(&self, read_only: bool) {
        lock(&self.model).set_read_only(read_only);
    }

    /// Sizes and counters now.
    pub fn stats(&self) -> Stats {
        lock(&self.model).stats()
    }

    /// Unmounts now, reporting a failure that dropping would only log.
    ///
    /// # Errors
    /// When the mount cannot be removed.
    pub fn unmount(self) -> Result<(), Error> {
        let session = self
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let result = detach(&self.path);
        drop(session);
        result
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let session = self
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if session.is_some() {
            if let Err(e) = detach(&self.path) {
                tracing::warn!("{e}");
            }
        }
        drop(session);
    }
}

/// Mounts a session of `model`'s current epoch at `path`.
fn spawn(path: &Path, model: &Shared) -> Result<BackgroundSession, Error> {
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::FSName(FS_NAME.to_owned()),
        MountOption::Subtype(FS_NAME.to_owned()),
    ];
    fuser::spawn_mount(Session::new(Arc::clone(model)), path, &config).map_err(|source| {
        Error::Mount {
            path: path.to_owned(),
            source,
        }
    })
}

/// Lazily unmounts the power-fail filesystem at `path`, if it is still the top mount there:
/// the name goes at once, open files keep the old mount (which answers `EIO` after a cut)
/// until they are closed.
fn detach(path: &Path) -> Result<(), Error> {
    if !is_mounted_here(path) {
        return Ok(());
    }
    let error = |source: io::Error| Error::Unmount {
        path: path.to_owned(),
        source,
    };
    match nix::mount::umount2(path, nix::mount::MntFlags::MNT_DETACH) {
        Ok(()) => Ok(()),
        // Not root: fusermount3 is setuid and unmounts what the user mounted.
        Err(nix::errno::Errno::EPERM) => fusermount_unmount(path).map_err(error),
        Err(e) => Err(error(e.into())),
    }
}

fn fusermount_unmount(path: &Path) -> io::Result<()> {
    let mut last = io::Error::new(
        io::ErrorKind::NotFound,
        "neither fusermount3 nor fusermount",
    );
    for program in ["fusermount3", "fusermount"] {
        match Command::new(program)
            .args(["-u", "-z", "--"])
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
        {
            Ok(status) if status.success() => return Ok(()),
            Ok(status) => last = io::Error::other(format!("{program} exited with {status}")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Whether the top mount at `path` is a power-fail filesystem, from `/proc/self/mountinfo`
/// (assumed so when that cannot be read).
fn is_mounted_here(path: &Path) -> bool {
    let Ok(info) = fs::read_to_string("/proc/self/mountinfo") else {
        return true;
    };
    let path = path.as_os_str().to_string_lossy();
    // The last line for a mount point is the mount on top.
    info.lines()
        .filter_map(parse_mountinfo)
        .rfind(|(point, _, _)| *point == path)
        .is_some_and(|(_, fstype, source)| fstype.starts_with("fuse") && source == FS_NAME)
}

/// (mount point, filesystem type, source) of one line of `/proc/self/mountinfo`.
fn parse_mountinfo(line: &str) -> Option<(String, &str, &str)> {
    let (before, after) = line.split_once(" - ")?;
    let point = before.split(' ').nth(4)?;
    let mut after = after.split(' ');
    let fstype = after.next()?;
    let source = after.next()?;
    Some((unescape_octal(point), fstype, source))
}

/// Undoes the kernel's `\NNN` escapes of spaces, tabs, newlines and backslashes.
fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| {
            let d = std::str::from_utf8(d).ok()?;
            u8::from_str_radix(d, 8).ok()
        });
        match (bytes[i], octal) {
            (b'\\', Some(b)) => {
                out.push(b);
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines_parse() {
        let line = "812 27 0:77 / /tmp/rekam\\040testfs-x rw,nosuid,nodev,relatime shared:1 - \
                    fuse rekam-testfs rw,user_id=0,group_id=0";
        assert_eq!(
            parse_mountinfo(line),
            Some(("/tmp/rekam testfs-x".to_owned(), "fuse", "rekam-testfs"))
        );
        assert_eq!(parse_mountinfo("garbage"), None);
        assert_eq!(unescape_octal("a\\134b\\011"), "a\\b\t");
    }
}
