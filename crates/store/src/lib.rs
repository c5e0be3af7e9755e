//! The durable record store: signed record files written atomically, the upload queue and the
//! indexes in sled, reconciled at start-up.
//!
//! A record's bytes are the source of truth. [`Store::commit`] writes them to a temporary name,
//! fsyncs the file, renames it into `records/`, and fsyncs the directory before it returns; only
//! then is the operator told "saved". sled holds the queue state and the indexes (by NIK, by
//! state); its `flush()` does not fsync, so sled may lose its last writes in a power cut. At
//! [`Store::open`] every record file missing from sled is queued again, so losing sled's tail
//! loses no record and no state that matters. State changes are journalled
//! (`states.journal`, [`rekam_journal`]: numbered, CRC-checked lines, fsynced) before the index
//! hears of them.
//!
//! The store holds people's data: its folders are 0700 and its files 0600, whatever the umask,
//! and looser folders are tightened when it opens.
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! use rekam_store::{Store, State};
//! let store = Store::open(dir.path()).unwrap();
//! # let key = rekam_record::StationKey::generate();
//! # let m = rekam_record::Manifest::new("ST", "op", &key.public_hex(), rekam_record::Person {
//! #   nik: "3578011201990001".into(), name: "A".into(), birth_date: "1999-01-12".into(),
//! #   sex: rekam_record::Sex::Male, service: rekam_record::Service::New });
//! # let bytes = rekam_record::seal(&m, &[], &key).unwrap();
//! let entry = store.commit(&bytes).unwrap();
//! assert_eq!(store.get(&entry.record_id).unwrap().state, State::Queued);
//! ```
#![warn(missing_docs)]

mod export;

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use nix::errno::Errno;
use serde::{Deserialize, Serialize};
use sled::Transactional;

pub use export::{ExportFailure, ExportReport, EXPORT_TEMP_PREFIX};

/// What went wrong, in sentences the operator can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No space left.
    #[error("the station's disk is full, so the record was NOT saved: export or upload the queued records, or free space, then save again (nothing already saved was lost)")]
    DiskFull,
    /// The store is read-only.
    #[error("the record store at {0} is read-only, so the record was NOT saved: check the disk (it may have been remounted read-only after an error) and call a technician")]
    ReadOnly(PathBuf),
    /// Permission denied.
    #[error("the station may not write to the record store at {0}: check the folder's owner and permissions")]
    Permission(PathBuf),
    /// Another station process holds the store.
    #[error("the record store at {0} is in use by another Rekam process: close it first")]
    Locked(PathBuf),
    /// The record bytes are not a record.
    #[error("not a record: {0}")]
    Record(#[from] rekam_record::RecordError),
    /// A record with this id is already stored.
    #[error("a record with id {0} is already stored")]
    Duplicate(String),
    /// No such record.
    #[error("no record with id {0} is stored")]
    NotFound(String),
    /// The record's file is gone although the index knows it.
    #[error("the file of record {0} is missing from the store (deleted or lost outside Rekam): the head of service resolves it with `rekam queue resolve-missing`")]
    Missing(String),
    /// `resolve-missing` on a record whose file is there.
    #[error("record {0} is not missing: its file is in the store, so there is nothing to resolve")]
    NotMissing(String),
    /// A reason or account name that cannot be recorded.
    #[error("{0}")]
    Invalid(String),
    /// The export's destination is full.
    #[error("the destination {0} is full: the records not listed as exported are still queued; use a stick with more free space, or export the rest to another one")]
    DestinationFull(PathBuf),
    /// The export's destination is read-only.
    #[error("the destination {0} is read-only (a write-protected stick, or remounted read-only after an error): the records not listed as exported are still queued")]
    DestinationReadOnly(PathBuf),
    /// Another error writing the export's destination.
    #[error("writing to the destination {path} failed: {source}; the records not listed as exported are still queued (check the stick and its cable)")]
    Destination {
        /// Where.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The index database failed.
    #[error("the record index failed: {0}")]
    Index(String),
    /// The state journal failed.
    #[error("the record store's state journal failed: {0}")]
    Journal(String),
    /// Another input/output error.
    #[error("input/output error on {path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn errno(e: &std::io::Error) -> Option<Errno> {
    e.raw_os_error().map(Errno::from_raw)
}

impl StoreError {
    fn io(path: &Path, e: std::io::Error) -> Self {
        match errno(&e) {
            Some(Errno::ENOSPC | Errno::EDQUOT) => StoreError::DiskFull,
            Some(Errno::EROFS) => StoreError::ReadOnly(path.to_path_buf()),
            Some(Errno::EACCES | Errno::EPERM) => StoreError::Permission(path.to_path_buf()),
            _ => StoreError::Io {
                path: path.to_path_buf(),
                source: e,
            },
        }
    }

    /// An error on the export's destination (a stick), never "the station's disk".
    fn destination(dest: &Path, e: std::io::Error) -> Self {
        match errno(&e) {
            Some(Errno::ENOSPC | Errno::EDQUOT | Errno::EFBIG) => {
                StoreError::DestinationFull(dest.to_path_buf())
            }
            Some(Errno::EROFS) => StoreError::DestinationReadOnly(dest.to_path_buf()),
            _ => StoreError::Destination {
                path: dest.to_path_buf(),
                source: e,
            },
        }
    }

    fn read(path: &Path, e: rekam_record::ReadError) -> Self {
        match e {
            rekam_record::ReadError::Io(e) => StoreError::io(path, e),
            rekam_record::ReadError::TooLarge => StoreError::Record(
                rekam_record::RecordError::Format(rekam_record::ReadError::TooLarge.to_string()),
            ),
            other => StoreError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(other.to_string()),
            },
        }
    }

    fn journal(e: rekam_journal::JournalError) -> Self {
        match e.os_error().and_then(errno) {
            Some(Errno::ENOSPC | Errno::EDQUOT) => StoreError::DiskFull,
            _ => match e {
                rekam_journal::JournalError::Locked(p) => StoreError::Locked(p),
                other => StoreError::Journal(other.to_string()),
            },
        }
    }
}

/// Whether sled could not take the index's file lock (another holder).
fn is_lock_error(io: &std::io::Error) -> bool {
    errno(io) == Some(Errno::EWOULDBLOCK)
        || io.kind() == std::io::ErrorKind::WouldBlock
        || io.to_string().contains("could not acquire lock")
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Io(io) => match errno(&io) {
                Some(Errno::ENOSPC | Errno::EDQUOT) => StoreError::DiskFull,
                Some(Errno::EWOULDBLOCK) => StoreError::Locked(PathBuf::from("index")),
                _ => StoreError::Index(io.to_string()),
            },
            other => StoreError::Index(other.to_string()),
        }
    }
}

/// Where a record is in its journey to the central registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum State {
    /// Saved, waiting.
    Queued,
    /// Copied to removable media for an office without network.
    Exported {
        /// Where.
        to: String,
        /// When, RFC 3339.
        at: String,
    },
    /// Sent to the registry.
    Uploaded {
        /// When.
        at: String,
    },
    /// The registry confirmed it.
    Acknowledged {
        /// When.
        at: String,
    },
    /// The record file failed verification (export) and was moved to `quarantine/`; it is not
    /// exported or uploaded.
    Quarantined {
        /// When.
        at: String,
        /// Why (the verifier's sentence; never personal data).
        why: String,
    },
    /// The record's file was missing (or quarantined) and the head of service resolved it:
    /// the person may be recorded again.
    Resolved {
        /// When.
        at: String,
        /// The account of the head of service who resolved it.
        by: String,
        /// Their reason.
        reason: String,
    },
}

impl State {
    /// A short name.
    pub fn name(&self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Exported { .. } => "exported",
            State::Uploaded { .. } => "uploaded",
            State::Acknowledged { .. } => "acknowledged",
            State::Quarantined { .. } => "quarantined",
            State::Resolved { .. } => "resolved",
        }
    }

    /// Whether the record still counts for the recording-once rule: every state but
    /// [`State::Resolved`].
    pub fn counts_as_recorded(&self) -> bool {
        !matches!(self, State::Resolved { .. })
    }

    /// Whether the record's file is expected in `records/` (not quarantined or resolved).
    fn expects_file(&self) -> bool {
        !matches!(self, State::Quarantined { .. } | State::Resolved { .. })
    }
}

/// One stored record, as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Record id.
    pub record_id: String,
    /// The person's NIK in its canonical form (for the recording-once rule).
    pub nik: String,
    /// When it was sealed, RFC 3339.
    pub sealed_at: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its state.
    pub state: State,
}

/// Counts for a supervisor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Records by state name.
    pub by_state: Vec<(String, u64)>,
    /// The oldest record not yet acknowledged, and when it was sealed.
    pub oldest_pending: Option<(String, String)>,
    /// Total bytes of records not yet acknowledged.
    pub pending_bytes: u64,
    /// Records whose file is missing (not resolved yet).
    pub missing: u64,
}

/// What start-up reconciliation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Record files found on disk and missing from the index: queued again.
    pub requeued: Vec<String>,
    /// Temporary files of interrupted saves, removed (never acknowledged).
    pub removed_temporaries: usize,
    /// Files in the records folder that are not readable records, moved to `quarantine/`.
    pub quarantined: Vec<String>,
    /// Index entries whose record file is missing.
    pub missing_files: Vec<String>,
    /// The index could not be opened (sled reported corruption) and was rebuilt from the
    /// record files and the state journal; the damaged copy is kept beside it.
    pub index_rebuilt: Option<PathBuf>,
    /// State changes replayed from the journal into the index.
    pub states_replayed: usize,
    /// A torn last line of the state journal (a change cut short, never acknowledged): its
    /// bytes, and the file they were moved to.
    pub journal_torn_tail: Option<(u64, PathBuf)>,
    /// Lines of the state journal whose checksum fails (their state changes are lost).
    pub journal_damaged_lines: Vec<u64>,
    /// Lines moved from the old plain `states.jsonl` into the journal.
    pub journal_migrated: Option<usize>,
    /// Index entries whose NIK was not in its canonical form, re-indexed.
    pub niks_canonicalised: usize,
}

/// The store.
pub struct Store {
    dir: PathBuf,
    records: PathBuf,
    tmp: PathBuf,
    quarantine: PathBuf,
    db: sled::Db,
    entries: sled::Tree,
    by_nik: sled::Tree,
    journal: Mutex<rekam_journal::Journal>,
    reconciled: Reconciled,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// The file name of a record.
fn file_name(record_id: &str) -> String {
    format!("{record_id}.rkm")
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn now() -> String {
    rekam_record::now_rfc3339()
}

/// The NIK as the index keys it: the canonical form, or (for a record sealed before there was
/// one, which no caller can match anyway) as written.
fn index_nik(nik: &str) -> String {
    rekam_record::canonical_nik(nik).unwrap_or_else(|_| nik.to_string())
}

/// fsyncs a directory, so that names created or renamed in it survive a power cut.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

/// Creates `dir` (and missing parents) owner-only (0700), or tightens an existing one to 0700:
/// folders that hold people's data are never readable by other users, whatever the umask. A
/// new folder is made durable in its parent.
pub fn ensure_private_dir(dir: &Path) -> Result<(), StoreError> {
    if !dir.is_dir() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| StoreError::io(dir, e))?;
        // A new directory's name lives in its parent: make both durable, or a power cut
        // could take the directory and every record in it.
        sync_dir(dir)?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
    }
    set_mode(dir, 0o700)
}

/// Sets `path`'s permission bits to `mode` unless they already are (the umask does not apply
/// to chmod).
fn set_mode(path: &Path, mode: u32) -> Result<(), StoreError> {
    let meta = std::fs::metadata(path).map_err(|e| StoreError::io(path, e))?;
    if meta.permissions().mode() & 0o7777 != mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| StoreError::io(path, e))?;
    }
    Ok(())
}

/// Writes `bytes` to `dest` atomically and durably: a temporary file in `tmp` (same filesystem),
/// created 0600, fsync, rename, fsync of `dest`'s directory. On error the temporary file is
/// removed.
pub fn write_atomic(tmp_dir: &Path, dest: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "record".into());
    let tmp = tmp_dir.join(format!("{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| StoreError::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| StoreError::io(&tmp, e))?;
        f.sync_all().map_err(|e| StoreError::io(&tmp, e))?;
        drop(f);
        std::fs::rename(&tmp, dest).map_err(|e| StoreError::io(dest, e))?;
        sync_dir(dest.parent().unwrap_or(Path::new(".")))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// One line of the state journal: the state's fields plus `id`.
#[derive(Serialize, Deserialize)]
struct JournalLine {
    id: String,
    #[serde(flatten)]
    state: State,
}

/// The state journal's file.
const JOURNAL: &str = "states.journal";
/// The plain JSON-lines journal of earlier versions, read once and migrated.
const LEGACY_JOURNAL: &str = "states.jsonl";

/// Moves the old `states.jsonl` (one JSON object per line, no checksums) into the checked
/// journal, once: the new journal is written whole under a temporary name and renamed, then
/// the old file is renamed `states.jsonl.migrated` (kept, not destroyed). A crash in between
/// leaves either the old file alone (migrated again) or both (the old one only renamed).
fn migrate_legacy_journal(dir: &Path, tmp: &Path) -> Result<Option<usize>, StoreError> {
    let old = dir.join(LEGACY_JOURNAL);
    let new = dir.join(JOURNAL);
    let text = match std::fs::read(&old) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io(&old, e)),
    };
    let mut moved = 0;
    if !new.exists() {
        let mut out = String::new();
        for line in text.split(|b| *b == b'\n') {
            // A torn or damaged line (the old format's weakness) is not a state change anyone
            // was told of: it is left behind in the kept file.
            let Some(l) = std::str::from_utf8(line)
                .ok()
                .and_then(|l| serde_json::from_str::<JournalLine>(l).ok())
            else {
                continue;
            };
            let payload =
                serde_json::to_string(&l).map_err(|e| StoreError::Journal(e.to_string()))?;
            moved += 1;
            out.push_str(&rekam_journal::format_line(moved as u64, &payload));
        }
        write_atomic(tmp, &new, out.as_bytes())?;
    }
    let kept = dir.join(format!("{LEGACY_JOURNAL}.migrated"));
    std::fs::rename(&old, &kept).map_err(|e| StoreError::io(&kept, e))?;
    sync_dir(dir)?;
    tracing::info!(
        lines = moved,
        "the state journal was migrated to the checked format"
    );
    Ok(Some(moved))
}

impl Store {
    /// Opens (creating if needed) the store in `dir` and reconciles the index with the record
    /// files.
    #[tracing::instrument(level = "debug")]
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let records = dir.join("records");
        let tmp = dir.join("tmp");
        let quarantine = dir.join("quarantine");
        for d in [dir, &records, &tmp, &quarantine] {
            ensure_private_dir(d)?;
        }
        // sled releases its file lock only when the last reference to a dropped database goes,
        // which can be its background flusher a moment later: a store closed and opened again
        // in the same process (or by a process that just exited) is retried for up to 3 s
        // before it counts as held by another program.
        let open = || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
            loop {
                match sled::Config::new().path(dir.join("index")).open() {
                    Err(sled::Error::Io(io))
                        if is_lock_error(&io) && std::time::Instant::now() < deadline =>
                    {
                        std::thread::sleep(std::time::Duration::from_millis(25));
                    }
                    Err(sled::Error::Io(io)) if is_lock_error(&io) => {
                        return Err(sled::Error::Io(std::io::Error::from(Errno::EWOULDBLOCK)))
                    }
                    other => return other,
                }
            }
        };
        let mut rebuilt = None;
        let db = match open() {
            Ok(db) => db,
            Err(sled::Error::Corruption { .. }) | Err(sled::Error::Unsupported(_)) => {
                // The index is only a cache of the record files and the state journal: keep
                // the damaged copy for inspection and rebuild.
                let aside = dir.join(format!("index.damaged.{}", now().replace(':', "")));
                tracing::error!(aside = %aside.display(), "the record index is damaged; rebuilding it from the record files");
                std::fs::rename(dir.join("index"), &aside)
                    .map_err(|e| StoreError::io(&aside, e))?;
                rebuilt = Some(aside);
                open()?
            }
            Err(e) => {
                return Err(match StoreError::from(e) {
                    StoreError::Locked(_) => StoreError::Locked(dir.to_path_buf()),
                    other => other,
                })
            }
        };
        let entries = db.open_tree("entries")?;
        let by_nik = db.open_tree("by_nik")?;
        let migrated = migrate_legacy_journal(dir, &tmp)?;
        let (journal, opened) =
            rekam_journal::Journal::open(&dir.join(JOURNAL)).map_err(StoreError::journal)?;
        let mut store = Self {
            dir: dir.to_path_buf(),
            records,
            tmp,
            quarantine,
            db,
            entries,
            by_nik,
            journal: Mutex::new(journal),
            reconciled: Reconciled::default(),
        };
        store.reconciled = store.reconcile()?;
        store.reconciled.index_rebuilt = rebuilt;
        store.reconciled.journal_torn_tail = opened.torn_tail;
        store.reconciled.journal_migrated = migrated;
        store.tighten_index()?;
        Ok(store)
    }

    /// What the last reconciliation did.
    pub fn reconciled(&self) -> &Reconciled {
        &self.reconciled
    }

    /// The folder of record files.
    pub fn records_dir(&self) -> &Path {
        &self.records
    }

    /// The folder of quarantined record files.
    pub fn quarantine_dir(&self) -> &Path {
        &self.quarantine
    }

    /// sled creates its files with the process's umask: the index holds NIKs, so its folders
    /// are made 0700 and its files 0600.
    fn tighten_index(&self) -> Result<(), StoreError> {
        let mut dirs = vec![self.dir.join("index")];
        while let Some(d) = dirs.pop() {
            let Ok(list) = std::fs::read_dir(&d) else {
                continue;
            };
            set_mode(&d, 0o700)?;
            for e in list.flatten() {
                let p = e.path();
                match e.file_type() {
                    Ok(t) if t.is_dir() => dirs.push(p),
                    Ok(t) if t.is_file() => set_mode(&p, 0o600)?,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Moves `path` (a file in `records/`) into `quarantine/`, under a name not yet taken.
    fn move_to_quarantine(&self, path: &Path) -> Result<PathBuf, StoreError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "record".into());
        let mut q = self.quarantine.join(&name);
        let mut n = 1;
        while q.exists() {
            q = self.quarantine.join(format!("{name}.{n}"));
            n += 1;
        }
        std::fs::rename(path, &q).map_err(|e| StoreError::io(&q, e))?;
        sync_dir(&self.quarantine)?;
        sync_dir(&self.records)?;
        Ok(q)
    }

    fn reconcile(&self) -> Result<Reconciled, StoreError> {
        let mut r = Reconciled::default();
        // Interrupted saves: never renamed, never acknowledged.
        for e in std::fs::read_dir(&self.tmp).map_err(|e| StoreError::io(&self.tmp, e))? {
            let e = e.map_err(|e| StoreError::io(&self.tmp, e))?;
            if std::fs::remove_file(e.path()).is_ok() {
                r.removed_temporaries += 1;
            }
        }
        let mut on_disk = std::collections::BTreeSet::new();
        for e in std::fs::read_dir(&self.records).map_err(|e| StoreError::io(&self.records, e))? {
            let e = e.map_err(|e| StoreError::io(&self.records, e))?;
            let path = e.path();
            let Some(id) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".rkm"))
                .map(str::to_string)
            else {
                continue;
            };
            // Records written by an earlier version with the umask's mode.
            if e.file_type().is_ok_and(|t| t.is_file()) {
                set_mode(&path, 0o600)?;
            }
            if self.entries.contains_key(id.as_bytes())? {
                on_disk.insert(id);
                continue;
            }
            let manifest = rekam_record::read_file(&path)
                .ok()
                .and_then(|bytes| Some((rekam_record::read_unverified(&bytes).ok()?, bytes)));
            match manifest {
                Some((m, bytes)) if m.record_id == id => {
                    self.index(&Entry {
                        record_id: id.clone(),
                        nik: index_nik(&m.person.nik),
                        sealed_at: m.sealed_at,
                        size: bytes.len() as u64,
                        state: State::Queued,
                    })?;
                    tracing::warn!(record = %id, "record file was missing from the index: queued again");
                    r.requeued.push(id.clone());
                    on_disk.insert(id);
                }
                _ => {
                    tracing::error!(file = %path.display(), "unreadable record file moved to quarantine");
                    self.move_to_quarantine(&path)?;
                    r.quarantined.push(id);
                }
            }
        }
        // State changes are journalled durably; the index may have lost its newest ones.
        let replay = rekam_journal::read(&self.dir.join(JOURNAL)).map_err(StoreError::journal)?;
        if !replay.damaged.is_empty() {
            tracing::error!(lines = ?replay.damaged, "lines of the state journal are damaged; their state changes are lost");
        }
        r.journal_damaged_lines = replay.damaged;
        for entry in replay.entries {
            let Ok(line) = serde_json::from_str::<JournalLine>(&entry.payload) else {
                tracing::error!(
                    seq = entry.seq,
                    "a state journal entry is not a state change"
                );
                continue;
            };
            if let Ok(mut e) = self.get(&line.id) {
                if e.state != line.state {
                    e.state = line.state;
                    self.index(&e)?;
                    r.states_replayed += 1;
                }
            }
        }
        for item in self.entries.iter() {
            let (k, v) = item?;
            let id = String::from_utf8_lossy(&k).into_owned();
            let mut e: Entry =
                serde_json::from_slice(&v).map_err(|e| StoreError::Index(e.to_string()))?;
            // Indexed by an earlier version as typed (`3578-0112-...`): keyed canonically now.
            let canonical = index_nik(&e.nik);
            if canonical != e.nik {
                let mut old = e.nik.as_bytes().to_vec();
                old.push(0);
                old.extend_from_slice(e.record_id.as_bytes());
                self.by_nik.remove(old)?;
                e.nik = canonical;
                self.index(&e)?;
                r.niks_canonicalised += 1;
            }
            if !on_disk.contains(&id) && e.state.expects_file() {
                tracing::error!(record = %id, "indexed record has no file");
                r.missing_files.push(id);
            }
        }
        if !r.requeued.is_empty() || r.states_replayed > 0 || r.niks_canonicalised > 0 {
            self.checkpoint()?;
        }
        Ok(r)
    }

    /// Makes the index durable now: sled's `flush()` (which writes but does not fsync), then
    /// an fsync of each of its files and of its directories, which sled never does. Called after
    /// a reconciliation, so that the next start does not read every record file again.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        let index = self.dir.join("index");
        if let Ok(entries) = std::fs::read_dir(&index) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_file() {
                    File::open(&p)
                        .and_then(|f| f.sync_all())
                        .map_err(|e| StoreError::io(&p, e))?;
                }
            }
        }
        sync_dir(&index)?;
        sync_dir(&self.dir)
    }

    /// The sled database, so that the office's service records live in the same store (in
    /// trees of their own).
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    fn append_journal(&self, id: &str, state: &State) -> Result<(), StoreError> {
        let payload = serde_json::to_string(&JournalLine {
            id: id.to_string(),
            state: state.clone(),
        })
        .map_err(|e| StoreError::Index(e.to_string()))?;
        self.journal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .append(&payload)
            .map_err(StoreError::journal)?;
        Ok(())
    }

    fn index(&self, e: &Entry) -> Result<(), StoreError> {
        let value = serde_json::to_vec(e).map_err(|x| StoreError::Index(x.to_string()))?;
        let mut nik_key = e.nik.as_bytes().to_vec();
        nik_key.push(0);
        nik_key.extend_from_slice(e.record_id.as_bytes());
        (&self.entries, &self.by_nik)
            .transaction(|(entries, by_nik)| {
                entries.insert(e.record_id.as_bytes(), value.clone())?;
                by_nik.insert(nik_key.clone(), &[])?;
                Ok(())
            })
            .map_err(|e: sled::transaction::TransactionError<()>| match e {
                sled::transaction::TransactionError::Storage(s) => StoreError::from(s),
                sled::transaction::TransactionError::Abort(()) => {
                    StoreError::Index("aborted".into())
                }
            })
    }

    /// Saves a sealed record. When this returns `Ok`, the record survives a power cut.
    #[tracing::instrument(level = "debug", skip(self, bytes), fields(len = bytes.len()))]
    pub fn commit(&self, bytes: &[u8]) -> Result<Entry, StoreError> {
        let m = rekam_record::read_unverified(bytes)?;
        if !valid_id(&m.record_id) {
            return Err(StoreError::Record(rekam_record::RecordError::Manifest(
                format!("record id '{}' is not a valid id", m.record_id),
            )));
        }
        if bytes.len() as u64 > rekam_record::MAX_RECORD_BYTES {
            return Err(StoreError::Record(rekam_record::RecordError::TooLarge(
                bytes.len() as u64,
            )));
        }
        let dest = self.records.join(file_name(&m.record_id));
        if dest.exists() {
            return Err(StoreError::Duplicate(m.record_id));
        }
        write_atomic(&self.tmp, &dest, bytes)?;
        let entry = Entry {
            record_id: m.record_id.clone(),
            nik: index_nik(&m.person.nik),
            sealed_at: m.sealed_at,
            size: bytes.len() as u64,
            state: State::Queued,
        };
        // The file is durable: an index failure now only delays the entry to the next start-up.
        if let Err(e) = self.index(&entry) {
            tracing::error!(record = %entry.record_id, error = %e, "record saved, index update failed; it will be re-indexed at the next start");
        }
        tracing::info!(record = %entry.record_id, "record saved");
        Ok(entry)
    }

    /// The index entry of a record.
    pub fn get(&self, record_id: &str) -> Result<Entry, StoreError> {
        let v = self
            .entries
            .get(record_id.as_bytes())?
            .ok_or_else(|| StoreError::NotFound(record_id.into()))?;
        serde_json::from_slice(&v).map_err(|e| StoreError::Index(e.to_string()))
    }

    /// A record's bytes (at most [`rekam_record::MAX_RECORD_BYTES`] are read).
    pub fn read(&self, record_id: &str) -> Result<Vec<u8>, StoreError> {
        if !valid_id(record_id) {
            return Err(StoreError::NotFound(record_id.into()));
        }
        let p = self.records.join(file_name(record_id));
        rekam_record::read_file(&p).map_err(|e| match e {
            rekam_record::ReadError::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
                if self
                    .entries
                    .contains_key(record_id.as_bytes())
                    .unwrap_or(false)
                {
                    StoreError::Missing(record_id.into())
                } else {
                    StoreError::NotFound(record_id.into())
                }
            }
            other => StoreError::read(&p, other),
        })
    }

    /// Whether the index knows the record but its file is not in `records/` (deleted behind
    /// the store's back), and it has not been quarantined or resolved.
    pub fn is_missing(&self, e: &Entry) -> bool {
        e.state.expects_file() && !self.records.join(file_name(&e.record_id)).exists()
    }

    /// Every record of the person with `nik` (any form [`rekam_record::canonical_nik`]
    /// accepts), oldest first.
    pub fn find_by_nik(&self, nik: &str) -> Result<Vec<Entry>, StoreError> {
        let mut prefix = index_nik(nik).into_bytes();
        prefix.push(0);
        let mut out = Vec::new();
        for item in self.by_nik.scan_prefix(&prefix) {
            let (k, _) = item?;
            let id = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            if let Ok(e) = self.get(&id) {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Every entry, oldest first (record ids are time-ordered).
    pub fn list(&self) -> Result<Vec<Entry>, StoreError> {
        self.entries
            .iter()
            .map(|item| {
                let (_, v) = item?;
                serde_json::from_slice(&v).map_err(|e| StoreError::Index(e.to_string()))
            })
            .collect()
    }

    /// Counts and ages.
    pub fn stats(&self) -> Result<Stats, StoreError> {
        let mut s = Stats::default();
        let mut counts = std::collections::BTreeMap::<&'static str, u64>::new();
        for e in self.list()? {
            *counts.entry(e.state.name()).or_default() += 1;
            if self.is_missing(&e) {
                s.missing += 1;
            }
            if matches!(
                e.state,
                State::Queued | State::Exported { .. } | State::Uploaded { .. }
            ) {
                s.pending_bytes += e.size;
                if s.oldest_pending.is_none() {
                    s.oldest_pending = Some((e.record_id.clone(), e.sealed_at.clone()));
                }
            }
        }
        s.by_state = counts
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        Ok(s)
    }

    /// Moves a record to `state`: journalled durably (fsync) before returning, then indexed.
    pub fn set_state(&self, record_id: &str, state: State) -> Result<(), StoreError> {
        let mut e = self.get(record_id)?;
        self.append_journal(record_id, &state)?;
        e.state = state;
        self.index(&e)?;
        Ok(())
    }

    /// Moves a record file that failed verification to `quarantine/` and records the state
    /// [`State::Quarantined`] with the reason (the verifier's sentence, no personal data).
    pub fn quarantine(&self, record_id: &str, why: &str) -> Result<PathBuf, StoreError> {
        let path = self.records.join(file_name(record_id));
        let q = self.move_to_quarantine(&path)?;
        self.set_state(
            record_id,
            State::Quarantined {
                at: now(),
                why: why.to_string(),
            },
        )?;
        tracing::error!(record = %record_id, kept = %q.display(), reason = %why, "record file failed verification: moved to quarantine");
        Ok(q)
    }

    /// The head of service resolves a record whose file is missing (or was quarantined): the
    /// resolution, with `by` (their account), the time and `reason`, is journalled durably,
    /// and the record stops counting for the recording-once rule, so the person can be
    /// recorded again. The caller checks `by`'s role (the store knows no accounts).
    pub fn resolve_missing(
        &self,
        record_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<Entry, StoreError> {
        let mut e = self.get(record_id)?;
        let resolvable = self.is_missing(&e) || matches!(e.state, State::Quarantined { .. });
        if !resolvable {
            return Err(StoreError::NotMissing(record_id.into()));
        }
        let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
        if reason.is_empty() || reason.chars().count() > 500 || reason.chars().any(char::is_control)
        {
            return Err(StoreError::Invalid(
                "give the reason in words (1 to 500 characters on one line): what happened to the record and what was done".into(),
            ));
        }
        if by.is_empty() {
            return Err(StoreError::Invalid(
                "the resolving account is not named".into(),
            ));
        }
        let state = State::Resolved {
            at: now(),
            by: by.to_string(),
            reason,
        };
        self.set_state(record_id, state.clone())?;
        tracing::warn!(record = %record_id, by = %by, "a missing record was resolved by the head of service; its NIK may be recorded again");
        e.state = state;
        Ok(e)
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use rekam_record::{seal, Manifest, Person, Service, Sex, StationKey};

    fn record(key: &StationKey, nik: &str) -> Vec<u8> {
        let m = Manifest::new(
            "ST",
            "op",
            &key.public_hex(),
            Person {
                nik: nik.into(),
                name: "Budi".into(),
                birth_date: "1990-01-01".into(),
                sex: Sex::Male,
                service: Service::New,
            },
        );
        seal(&m, &[], key).unwrap()
    }

    #[test]
    fn a_store_held_open_is_locked_and_one_just_closed_opens_again() {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            // Closed and opened again at once, as `rekam demo` and the tests do.
            drop(Store::open(dir.path()).unwrap());
        }
        let held = Store::open(dir.path()).unwrap();
        let t = std::time::Instant::now();
        let e = Store::open(dir.path()).unwrap_err();
        assert!(matches!(e, StoreError::Locked(_)), "{e}");
        assert!(
            e.to_string().contains("in use by another Rekam process"),
            "{e}"
        );
        assert!(t.elapsed() < std::time::Duration::from_secs(10));
        drop(held);
        Store::open(dir.path()).unwrap();
    }

    #[test]
    fn commit_index_and_find() {
        let dir = tempfile::tempdir().unwrap();
        let key = StationKey::generate();
        let store = Store::open(dir.path()).unwrap();
        let a = store.commit(&record(&key, "3578010101900001")).unwrap();
        let b = store.commit(&record(&key, "3578010101900002")).unwrap();
        assert_eq!(
            store.find_by_nik("3578010101900001").unwrap(),
            vec![a.clone()]
        );
        assert!(store.find_by_nik("357801010190000").unwrap().is_empty());
        assert_eq!(store.list().unwrap().len(), 2);
        rekam_record::verify(&store.read(&b.record_id).unwrap(), &key.verifying_key()).unwrap();
        let s = store.stats().unwrap();
        assert_eq!(s.by_state, vec![("queued".into(), 2)]);
        assert_eq!(s.oldest_pending.unwrap().0, a.record_id);
        assert!(matches!(
            store.commit(&store.read(&a.record_id).unwrap()),
            Err(StoreError::Duplicate(_))
        ));
    }

    #[test]
    fn a_file_missing_from_the_index_is_queued_again_and_temporaries_removed() {
        let dir = tempfile::tempdir().unwrap();
        let key = StationKey::generate();
        let bytes = record(&key, "3578010101900003");
        let id = rekam_record::read_unverified(&bytes).unwrap().record_id;
        {
            let store = Store::open(dir.path()).unwrap();
            drop(store);
        }
        // As if sled lost its last writes: the file is there, the index does not know it.
        std::fs::write(dir.path().join("records").join(file_name(&id)), &bytes).unwrap();
        std::fs::write(dir.path().join("tmp/half.rkm.1.tmp"), b"partial").unwrap();
        std::fs::write(dir.path().join("records/junk.rkm"), b"not a record").unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.reconciled().requeued, vec![id.clone()]);
        assert_eq!(store.reconciled().removed_temporaries, 1);
        assert_eq!(store.reconciled().quarantined, vec!["junk".to_string()]);
        assert_eq!(store.get(&id).unwrap().state, State::Queued);
        assert!(dir.path().join("quarantine/junk.rkm").exists());
    }

    #[test]
    fn export_copies_and_marks() {
        let dir = tempfile::tempdir().unwrap();
        let usb = tempfile::tempdir().unwrap();
        let key = StationKey::generate();
        let keys = [key.verifying_key()];
        let store = Store::open(dir.path()).unwrap();
        let a = store.commit(&record(&key, "3578010101900004")).unwrap();
        let r = store.export(usb.path(), &keys).unwrap();
        assert!(r.ok());
        assert_eq!(r.exported, vec![a.record_id.clone()]);
        assert_eq!(store.get(&a.record_id).unwrap().state.name(), "exported");
        let copy = std::fs::read(usb.path().join(file_name(&a.record_id))).unwrap();
        rekam_record::verify(&copy, &key.verifying_key()).unwrap();
        assert!(store.export(usb.path(), &keys).unwrap().exported.is_empty());
        // The index forgets everything: files and the journal bring it back, state included.
        drop(store);
        std::fs::remove_dir_all(dir.path().join("index")).unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.reconciled().requeued, vec![a.record_id.clone()]);
        assert_eq!(store.reconciled().states_replayed, 1);
        assert_eq!(store.get(&a.record_id).unwrap().state.name(), "exported");
    }

    #[test]
    fn corrupted_records_are_quarantined_and_the_others_still_exported() {
        let dir = tempfile::tempdir().unwrap();
        let usb = tempfile::tempdir().unwrap();
        let key = StationKey::generate();
        let store = Store::open(dir.path()).unwrap();
        let ids: Vec<String> = (0..5)
            .map(|i| {
                store
                    .commit(&record(&key, &format!("357801010190001{i}")))
                    .unwrap()
                    .record_id
            })
            .collect();
        // One flipped byte in three record files, behind the store's back.
        for (n, id) in ids[..3].iter().enumerate() {
            let p = dir.path().join("records").join(file_name(id));
            let mut b = std::fs::read(&p).unwrap();
            let at = [100, b.len() / 2, b.len() - 1600][n];
            b[at] ^= 0x20;
            std::fs::write(&p, b).unwrap();
        }
        let r = store.export(usb.path(), &[key.verifying_key()]).unwrap();
        assert!(!r.ok());
        assert_eq!(r.exported, ids[3..].to_vec());
        let bad: Vec<&str> = r.quarantined.iter().map(|f| f.record_id.as_str()).collect();
        assert_eq!(bad, ids[..3].iter().map(String::as_str).collect::<Vec<_>>());
        for f in &r.quarantined {
            assert!(!f.why.contains("3578"), "{}", f.why);
        }
        for id in &ids[..3] {
            assert_eq!(store.get(id).unwrap().state.name(), "quarantined");
            assert!(!usb.path().join(file_name(id)).exists());
            assert!(dir.path().join("quarantine").join(file_name(id)).exists());
            assert!(!dir.path().join("records").join(file_name(id)).exists());
            // Not "missing": the store knows where the file went.
            assert!(!store.is_missing(&store.get(id).unwrap()));
        }
        // A corrupted record still counts for its NIK until the head of service resolves it.
        assert_eq!(store.find_by_nik("3578010101900010").unwrap().len(), 1);
        // Nothing was left on the stick but the good records.
        assert_eq!(std::fs::read_dir(usb.path()).unwrap().count(), 2);
        // The quarantine outlives a reopen with a lost index: journalled.
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert!(store.reconciled().missing_files.is_empty());
        assert_eq!(store.get(&ids[0]).unwrap().state.name(), "quarantined");
    }

    #[test]
    fn a_missing_file_is_shown_the_rest_exported_and_the_head_of_service_resolves_it() {
        let dir = tempfile::tempdir().unwrap();
        let usb = tempfile::tempdir().unwrap();
        let key = StationKey::generate();
        let store = Store::open(dir.path()).unwrap();
        let gone = store.commit(&record(&key, "3578010101900020")).unwrap();
        let kept = store.commit(&record(&key, "3578010101900021")).unwrap();
        std::fs::remove_file(dir.path().join("records").join(file_name(&gone.record_id))).unwrap();
        assert!(store.is_missing(&store.get(&gone.record_id).unwrap()));
        assert!(matches!(
            store.read(&gone.record_id),
            Err(StoreError::Missing(_))
        ));
        let r = store.export(usb.path(), &[key.verifying_key()]).unwrap();
        assert_eq!(r.exported, vec![kept.record_id.clone()]);
        assert_eq!(r.missing, vec![gone.record_id.clone()]);
        assert!(!r.ok());
        assert_eq!(store.stats().unwrap().missing, 1);
        // Reopened: reported, still queued, still holding the NIK.
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.reconciled().missing_files,
            vec![gone.record_id.clone()]
        );
        assert!(store
            .get(&gone.record_id)
            .unwrap()
            .state
            .counts_as_recorded());
        // Only a missing record can be resolved, and only with a reason.
        assert!(matches!(
            store.resolve_missing(&kept.record_id, "kasi", "test"),
            Err(StoreError::NotMissing(_))
        ));
        assert!(matches!(
            store.resolve_missing(&gone.record_id, "kasi", "  "),
            Err(StoreError::Invalid(_))
        ));
        let e = store
            .resolve_missing(&gone.record_id, "kasi", "disk  replaced\u{a0}after failure")
            .unwrap();
        let State::Resolved { by, reason, at } = &e.state else {
            panic!("{:?}", e.state)
        };
        assert_eq!(
            (by.as_str(), reason.as_str()),
            ("kasi", "disk replaced after failure")
        );
        assert!(!at.is_empty());
        assert!(!e.state.counts_as_recorded());
        assert!(!store.is_missing(&e));
        // Durable: journalled, replayed into a rebuilt index state.
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert!(store.reconciled().missing_files.is_empty());
        assert_eq!(store.get(&gone.record_id).unwrap().state, e.state);
        let r = store.export(usb.path(), &[key.verifying_key()]).unwrap();
        assert!(r.ok() && r.exported.is_empty());
    }

    #[test]
    fn a_killed_exports_temporary_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let usb = tempfile::tempdir().unwrap();
        let key = StationKey::generate();
        let store = Store::open(dir.path()).unwrap();
        let a = store.commit(&record(&key, "3578010101900030")).unwrap();
        std::fs::write(usb.path().join(".rekam-export-0190abcd.tmp"), b"half").unwrap();
        std::fs::write(usb.path().join("other.txt"), b"not ours").unwrap();
        let r = store.export(usb.path(), &[key.verifying_key()]).unwrap();
        assert_eq!(r.stale_temporaries_removed, 1);
        assert_eq!(r.exported, vec![a.record_id.clone()]);
        let mut names: Vec<String> = std::fs::read_dir(usb.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![file_name(&a.record_id), "other.txt".to_string()]
        );
    }

    #[test]
    fn a_torn_state_line_loses_no_later_change() {
        let dir = tempfile::tempdir().unwrap();
        let key = StationKey::generate();
        let (a, b) = {
            let store = Store::open(dir.path()).unwrap();
            let a = store.commit(&record(&key, "3578010101900040")).unwrap();
            let b = store.commit(&record(&key, "3578010101900041")).unwrap();
            store
                .set_state(
                    &a.record_id,
                    State::Uploaded {
                        at: "2026-11-22T04:00:00Z".into(),
                    },
                )
                .unwrap();
            (a.record_id, b.record_id)
        };
        // A power cut in the middle of the next append: half a line, no newline.
        let j = dir.path().join(JOURNAL);
        let mut f = std::fs::OpenOptions::new().append(true).open(&j).unwrap();
        f.write_all(b"2 1234abcd {\"id\":\"").unwrap();
        drop(f);
        {
            let store = Store::open(dir.path()).unwrap();
            assert_eq!(store.reconciled().journal_torn_tail.as_ref().unwrap().0, 18);
            store
                .set_state(
                    &b,
                    State::Acknowledged {
                        at: "2026-11-22T05:00:00Z".into(),
                    },
                )
                .unwrap();
            store
                .set_state(
                    &a,
                    State::Acknowledged {
                        at: "2026-11-22T06:00:00Z".into(),
                    },
                )
                .unwrap();
        }
        // Every change after the torn line survives, even with the index gone.
        std::fs::remove_dir_all(dir.path().join("index")).unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(store.reconciled().journal_damaged_lines.is_empty());
        assert_eq!(store.get(&a).unwrap().state.name(), "acknowledged");
        assert_eq!(store.get(&b).unwrap().state.name(), "acknowledged");
        let replay = rekam_journal::read(&j).unwrap();
        assert_eq!(replay.entries.len(), 3);
    }

    #[test]
    fn the_old_plain_journal_is_migrated_once() {
        let dir = tempfile::tempdir().unwrap();
        let key = StationKey::generate();
        let (a, b) = {
            let store = Store::open(dir.path()).unwrap();
            let a = store.commit(&record(&key, "3578010101900050")).unwrap();
            let b = store.commit(&record(&key, "3578010101900051")).unwrap();
            (a.record_id, b.record_id)
        };
        // As an earlier version left it: plain JSON lines, the last one glued to a torn one.
        std::fs::remove_file(dir.path().join(JOURNAL)).unwrap();
        let legacy = format!(
            "{{\"at\":\"2026-11-22T09:00:00Z\",\"id\":\"{a}\",\"state\":\"exported\",\"to\":\"/media/usb\"}}\n\
             {{\"id\":\"{b}\",\"sta{{\"at\":\"2026-11-22T10:00:00Z\",\"id\":\"{b}\",\"state\":\"uploaded\"}}\n\
             {{\"at\":\"2026-11-22T11:00:00Z\",\"id\":\"{a}\",\"state\":\"acknowledged\"}}\n"
        );
        std::fs::write(dir.path().join(LEGACY_JOURNAL), legacy).unwrap();
        std::fs::remove_dir_all(dir.path().join("index")).unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.reconciled().journal_migrated, Some(2));
        assert_eq!(store.get(&a).unwrap().state.name(), "acknowledged");
        assert_eq!(store.get(&b).unwrap().state.name(), "queued");
        assert!(!dir.path().join(LEGACY_JOURNAL).exists());
        assert!(dir.path().join("states.jsonl.migrated").exists());
        store
            .set_state(
                &b,
                State::Uploaded {
                    at: "2026-11-22T12:00:00Z".into(),
                },
            )
            .unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.reconciled().journal_migrated, None);
        assert_eq!(store.get(&b).unwrap().state.name(), "uploaded");
        assert_eq!(
            rekam_journal::read(&dir.path().join(JOURNAL))
                .unwrap()
                .entries
                .len(),
            3
        );
    }

    #[test]
    fn an_index_written_with_separators_in_the_nik_is_keyed_canonically() {
        let dir = tempfile::tempdir().unwrap();
        let key = StationKey::generate();
        let id = {
            let store = Store::open(dir.path()).unwrap();
            let e = store.commit(&record(&key, "3578010101900060")).unwrap();
            // As an earlier version indexed a NIK typed with hyphens.
            let old = Entry {
                nik: "3578-0101-0190-0060".into(),
                ..e.clone()
            };
            store.by_nik.clear().unwrap();
            store.index(&old).unwrap();
            store.checkpoint().unwrap();
            e.record_id
        };
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.reconciled().niks_canonicalised, 1);
        let found = store.find_by_nik("3578010101900060").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].record_id, id);
        assert_eq!(found[0].nik, "3578010101900060");
        assert_eq!(store.find_by_nik("3578-0101-0190-0060").unwrap().len(), 1);
        assert_eq!(store.by_nik.len(), 1);
    }

    #[test]
    fn a_file_larger_than_any_record_is_quarantined_unread() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        // Sparse: no disk space, but more bytes than a record may have.
        let p = dir.path().join("records/huge.rkm");
        std::fs::File::create(&p)
            .unwrap()
            .set_len(rekam_record::MAX_RECORD_BYTES + 1)
            .unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.reconciled().quarantined, vec!["huge".to_string()]);
    }

    #[test]
    fn a_damaged_index_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let key = StationKey::generate();
        let id = {
            let store = Store::open(dir.path()).unwrap();
            store
                .commit(&record(&key, "3578010101900005"))
                .unwrap()
                .record_id
        };
        // Scribble over sled's files.
        for e in std::fs::read_dir(dir.path().join("index")).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                std::fs::write(&p, vec![0xA5; 4096]).unwrap();
            }
        }
        let store = Store::open(dir.path()).unwrap();
        assert!(store.reconciled().index_rebuilt.is_some());
        assert_eq!(store.get(&id).unwrap().state, State::Queued);
    }

    #[test]
    fn not_a_record_is_refused_and_nothing_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(matches!(store.commit(b"hello"), Err(StoreError::Record(_))));
        assert_eq!(
            std::fs::read_dir(dir.path().join("records"))
                .unwrap()
                .count(),
            0
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }

    #[test]
    fn destination_errors_are_not_the_stations_disk() {
        let e = StoreError::destination(Path::new("/media/usb"), Errno::ENOSPC.into());
        assert!(matches!(e, StoreError::DestinationFull(_)));
        assert!(
            e.to_string().contains("destination /media/usb is full"),
            "{e}"
        );
        assert!(!e.to_string().contains("station's disk"));
        let e = StoreError::destination(Path::new("/media/usb"), Errno::EROFS.into());
        assert!(matches!(e, StoreError::DestinationReadOnly(_)));
    }

    #[test]
    fn disk_errors_are_sentences() {
        let e = StoreError::io(Path::new("/x"), Errno::ENOSPC.into());
        assert!(matches!(e, StoreError::DiskFull));
        assert!(e.to_string().contains("NOT saved"));
        let e = StoreError::io(Path::new("/x"), Errno::EROFS.into());
        assert!(matches!(e, StoreError::ReadOnly(_)));
    }
}
