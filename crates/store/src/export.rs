//! `Store::export`: queued records copied to a folder or a USB stick, each verified before it
//! is copied and read back after.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use rekam_record::VerifyingKey;

use crate::{file_name, now, State, Store, StoreError};

/// Temporary files on the destination are named `.rekam-export-<record id>.tmp`: written,
/// fsynced, read back, then renamed. Any left by a killed export are removed when the next
/// export starts.
pub const EXPORT_TEMP_PREFIX: &str = ".rekam-export-";

/// A record that was not exported, and why (never personal data).
#[derive(Debug)]
pub struct ExportFailure {
    /// The record.
    pub record_id: String,
    /// Why, in a sentence.
    pub why: String,
}

/// What an export did.
#[derive(Debug, Default)]
pub struct ExportReport {
    /// The destination.
    pub dest: PathBuf,
    /// Records copied, read back identical and marked exported.
    pub exported: Vec<String>,
    /// Records that failed verification: moved to the store's `quarantine/` and marked so.
    pub quarantined: Vec<ExportFailure>,
    /// Records whose file is missing from the store (the head of service resolves them).
    pub missing: Vec<String>,
    /// Records whose copy read back differently: left queued (the stick may be failing).
    pub bad_copies: Vec<ExportFailure>,
    /// What stopped the export before every record was tried (a full or read-only
    /// destination); the records after it are still queued.
    pub stopped: Option<StoreError>,
    /// Records not tried because the export stopped.
    pub not_tried: usize,
    /// Temporary files of an earlier, interrupted export removed from the destination.
    pub stale_temporaries_removed: usize,
}

impl ExportReport {
    /// Whether every queued record was exported.
    pub fn ok(&self) -> bool {
        self.quarantined.is_empty()
            && self.missing.is_empty()
            && self.bad_copies.is_empty()
            && self.stopped.is_none()
    }
}

fn temp_name(record_id: &str) -> String {
    format!("{EXPORT_TEMP_PREFIX}{record_id}.tmp")
}

/// Removes `.rekam-export-*.tmp` files from `dest`.
fn remove_stale(dest: &Path) -> Result<usize, StoreError> {
    let mut n = 0;
    for e in std::fs::read_dir(dest).map_err(|e| StoreError::destination(dest, e))? {
        let e = e.map_err(|e| StoreError::destination(dest, e))?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(EXPORT_TEMP_PREFIX) && name.ends_with(".tmp") {
            std::fs::remove_file(e.path()).map_err(|x| StoreError::destination(dest, x))?;
            n += 1;
        }
    }
    if n > 0 {
        sync_dest(dest)?;
    }
    Ok(n)
}

fn sync_dest(dest: &Path) -> Result<(), StoreError> {
    std::fs::File::open(dest)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::destination(dest, e))
}

/// What copying one record ended in.
enum Copy {
    Done,
    /// Read back differently.
    Mismatch(String),
}

/// Writes `bytes` to `dest/.rekam-export-ID.tmp`, fsyncs it, drops its cached pages so the
/// read-back comes from the medium, reads it back and compares, then renames it to `ID.rkm`
/// and fsyncs `dest`. The temporary file is removed on any failure.
fn copy_one(dest: &Path, record_id: &str, bytes: &[u8]) -> Result<Copy, StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = dest.join(temp_name(record_id));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| StoreError::destination(dest, e))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| StoreError::destination(dest, e))?;
        // After the fsync the pages are clean; without them in the cache the read-back below
        // reads the stick, not memory. Advice only: a filesystem may ignore it.
        let _ = nix::fcntl::posix_fadvise(
            f.as_raw_fd(),
            0,
            0,
            nix::fcntl::PosixFadviseAdvice::POSIX_FADV_DONTNEED,
        );
        drop(f);
        let back = rekam_record::read_file(&tmp).map_err(|e| match e {
            rekam_record::ReadError::Io(io) => StoreError::destination(dest, io),
            other => StoreError::Destination {
                path: dest.to_path_buf(),
                source: std::io::Error::other(other.to_string()),
            },
        })?;
        if back != bytes {
            return Ok(Copy::Mismatch(format!(
                "the copy on {} read back differently from the record ({} of {} bytes): the stick may be failing; the record stays queued",
                dest.display(),
                back.len(),
                bytes.len()
            )));
        }
        std::fs::rename(&tmp, dest.join(file_name(record_id)))
            .map_err(|e| StoreError::destination(dest, e))?;
        sync_dest(dest)?;
        Ok(Copy::Done)
    })();
    if !matches!(result, Ok(Copy::Done)) {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl Store {
    /// Copies every queued record to `dest` (a folder or a USB stick) and marks it exported.
    ///
    /// Each record is first verified (signature and format, [`rekam_record::verify`]) with
    /// one of `keys` (the station's key, and older ones after a rotation); one that fails is
    /// moved to `quarantine/` and marked [`State::Quarantined`]. A record whose file is
    /// missing is reported and skipped. The others are written to a temporary name on `dest`,
    /// fsynced, read back and compared, renamed, and `dest` fsynced; only then are they marked
    /// exported. A full or read-only destination stops the export (reported as the
    /// destination's, not the station's disk). Temporary files of an earlier, killed export
    /// are removed first. `Err` only when nothing could be tried (the destination cannot be
    /// created or listed, the index fails).
    pub fn export(&self, dest: &Path, keys: &[VerifyingKey]) -> Result<ExportReport, StoreError> {
        std::fs::create_dir_all(dest).map_err(|e| StoreError::destination(dest, e))?;
        let mut report = ExportReport {
            dest: dest.to_path_buf(),
            stale_temporaries_removed: remove_stale(dest)?,
            ..ExportReport::default()
        };
        let queued: Vec<_> = self
            .list()?
            .into_iter()
            .filter(|e| e.state == State::Queued)
            .collect();
        let total = queued.len();
        for (i, e) in queued.into_iter().enumerate() {
            let id = e.record_id;
            let bytes = match self.read(&id) {
                Ok(b) => b,
                Err(StoreError::Missing(_)) => {
                    tracing::error!(record = %id, "export: the record's file is missing from the store");
                    report.missing.push(id);
                    continue;
                }
                Err(StoreError::Record(err)) => {
                    let why = err.to_string();
                    self.quarantine(&id, &why)?;
                    report
                        .quarantined
                        .push(ExportFailure { record_id: id, why });
                    continue;
                }
                Err(other) => return Err(other),
            };
            // Any of the station's keys (the current one, older ones after a rotation).
            let mut verified = Err(rekam_record::RecordError::BadSignature);
            for k in keys {
                verified = rekam_record::verify(&bytes, k).and_then(|v| {
                    if v.manifest.record_id == id {
                        Ok(())
                    } else {
                        Err(rekam_record::RecordError::Manifest(
                            "the record's id is not its file name".into(),
                        ))
                    }
                });
                if verified.is_ok() {
                    break;
                }
            }
            if let Err(err) = verified {
                let why = err.to_string();
                self.quarantine(&id, &why)?;
                report
                    .quarantined
                    .push(ExportFailure { record_id: id, why });
                continue;
            }
            match copy_one(dest, &id, &bytes) {
                Ok(Copy::Done) => {
                    self.set_state(
                        &id,
                        State::Exported {
                            to: dest.display().to_string(),
                            at: now(),
                        },
                    )?;
                    tracing::info!(record = %id, "exported");
                    report.exported.push(id);
                }
                Ok(Copy::Mismatch(why)) => {
                    tracing::error!(record = %id, "export: the copy read back differently");
                    report.bad_copies.push(ExportFailure { record_id: id, why });
                }
                Err(stop) => {
                    tracing::error!(record = %id, error = %stop, "export stopped");
                    report.not_tried = total - i;
                    report.stopped = Some(stop);
                    break;
                }
            }
        }
        Ok(report)
    }
}
