//! The durable record store: signed record files written atomically, the upload queue and the
//! indexes in sled, reconciled at start-up.
//!
//! A record's bytes are the source of truth. [`Store::commit`] writes them to a temporary name,
//! fsyncs the file, renames it into `records/`, and fsyncs the directory before it returns; only
//! then is the operator told "saved". sled holds the queue state and the indexes (by NIK, by
//! state); its `flush()` does not fsync, so sled may lose its last writes in a power cut. At
//! [`Store::open`] every record file missing from sled is queued again, so losing sled's tail
//! loses no record and no state that matters.
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

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sled::Transactional;

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
    /// The index database failed.
    #[error("the record index failed: {0}")]
    Index(String),
    /// Another input/output error.
    #[error("input/output error on {path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl StoreError {
    fn io(path: &Path, e: std::io::Error) -> Self {
        match e.raw_os_error() {
            Some(28) => StoreError::DiskFull,                     // ENOSPC
            Some(122) => StoreError::DiskFull,                    // EDQUOT
            Some(30) => StoreError::ReadOnly(path.to_path_buf()), // EROFS
            Some(13) | Some(1) => StoreError::Permission(path.to_path_buf()),
            _ => StoreError::Io {
                path: path.to_path_buf(),
                source: e,
            },
        }
    }
}

/// Whether sled could not take the index's file lock (another holder).
fn is_lock_error(io: &std::io::Error) -> bool {
    io.raw_os_error() == Some(11)
        || io.kind() == std::io::ErrorKind::WouldBlock
        || io.to_string().contains("could not acquire lock")
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Io(io) => match io.raw_os_error() {
                Some(28) | Some(122) => StoreError::DiskFull,
                Some(11) => StoreError::Locked(PathBuf::from("index")),
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
}

impl State {
    /// A short name.
    pub fn name(&self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Exported { .. } => "exported",
            State::Uploaded { .. } => "uploaded",
            State::Acknowledged { .. } => "acknowledged",
        }
    }
}

/// One stored record, as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Record id.
    pub record_id: String,
    /// The person's NIK (for the recording-once rule).
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
}

/// The store.
pub struct Store {
    dir: PathBuf,
    records: PathBuf,
    tmp: PathBuf,
    db: sled::Db,
    entries: sled::Tree,
    by_nik: sled::Tree,
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

/// fsyncs a directory, so that names created or renamed in it survive a power cut.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

/// Writes `bytes` to `dest` atomically and durably: a temporary file in `tmp` (same filesystem),
/// fsync, rename, fsync of `dest`'s directory. On error the temporary file is removed.
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

impl Store {
    /// Opens (creating if needed) the store in `dir` and reconciles the index with the record
    /// files.
    #[tracing::instrument(level = "debug")]
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let records = dir.join("records");
        let tmp = dir.join("tmp");
        for d in [dir, &records, &tmp, &dir.join("quarantine")] {
            if !d.is_dir() {
                std::fs::create_dir_all(d).map_err(|e| StoreError::io(d, e))?;
                // A new directory's name lives in its parent: make both durable, or a power cut
                // could take the directory and every record in it.
                sync_dir(d)?;
                if let Some(parent) = d.parent() {
                    sync_dir(parent)?;
                }
            }
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
                        return Err(sled::Error::Io(std::io::Error::from_raw_os_error(11)))
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
        let mut store = Self {
            dir: dir.to_path_buf(),
            records,
            tmp,
            db,
            entries,
            by_nik,
            reconciled: Reconciled::default(),
        };
        store.reconciled = store.reconcile()?;
        store.reconciled.index_rebuilt = rebuilt;
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
            if self.entries.contains_key(id.as_bytes())? {
                on_disk.insert(id);
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
            match rekam_record::read_unverified(&bytes) {
                Ok(m) if m.record_id == id => {
                    self.index(&Entry {
                        record_id: id.clone(),
                        nik: m.person.nik,
                        sealed_at: m.sealed_at,
                        size: bytes.len() as u64,
                        state: State::Queued,
                    })?;
                    tracing::warn!(record = %id, "record file was missing from the index: queued again");
                    r.requeued.push(id.clone());
                    on_disk.insert(id);
                }
                _ => {
                    let q = self
                        .dir
                        .join("quarantine")
                        .join(path.file_name().unwrap_or_default());
                    tracing::error!(file = %path.display(), "unreadable record file moved to quarantine");
                    std::fs::rename(&path, &q).map_err(|e| StoreError::io(&q, e))?;
                    r.quarantined.push(id);
                }
            }
        }
        // State changes are journalled durably; the index may have lost its newest ones.
        for (id, state) in self.journal()? {
            if let Ok(mut e) = self.get(&id) {
                if e.state != state {
                    e.state = state;
                    self.index(&e)?;
                    r.states_replayed += 1;
                }
            }
        }
        for item in self.entries.iter() {
            let (k, _) = item?;
            let id = String::from_utf8_lossy(&k).into_owned();
            if !on_disk.contains(&id) {
                tracing::error!(record = %id, "indexed record has no file");
                r.missing_files.push(id);
            }
        }
        if !r.requeued.is_empty() || r.states_replayed > 0 {
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

    fn journal_path(&self) -> PathBuf {
        self.dir.join("states.jsonl")
    }

    /// The state journal: one JSON line per change, the last line per record wins. A torn last
    /// line (power cut while appending) is ignored.
    fn journal(&self) -> Result<Vec<(String, State)>, StoreError> {
        let p = self.journal_path();
        let text = match std::fs::read_to_string(&p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io(&p, e)),
        };
        #[derive(Deserialize)]
        struct Line {
            id: String,
            #[serde(flatten)]
            state: State,
        }
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str::<Line>(l).ok())
            .map(|l| (l.id, l.state))
            .collect())
    }

    fn append_journal(&self, id: &str, state: &State) -> Result<(), StoreError> {
        let p = self.journal_path();
        let mut line = serde_json::to_value(state).map_err(|e| StoreError::Index(e.to_string()))?;
        if let Some(o) = line.as_object_mut() {
            o.insert("id".into(), serde_json::Value::String(id.into()));
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .map_err(|e| StoreError::io(&p, e))?;
        let new = f.metadata().map(|m| m.len() == 0).unwrap_or(false);
        writeln!(f, "{line}")
            .and_then(|()| f.sync_all())
            .map_err(|e| StoreError::io(&p, e))?;
        if new {
            sync_dir(&self.dir)?;
        }
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
        let dest = self.records.join(file_name(&m.record_id));
        if dest.exists() {
            return Err(StoreError::Duplicate(m.record_id));
        }
        write_atomic(&self.tmp, &dest, bytes)?;
        let entry = Entry {
            record_id: m.record_id.clone(),
            nik: m.person.nik,
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

    /// A record's bytes.
    pub fn read(&self, record_id: &str) -> Result<Vec<u8>, StoreError> {
        if !valid_id(record_id) {
            return Err(StoreError::NotFound(record_id.into()));
        }
        let p = self.records.join(file_name(record_id));
        std::fs::read(&p).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                StoreError::NotFound(record_id.into())
            } else {
                StoreError::io(&p, e)
            }
        })
    }

    /// Every record of the person with `nik`, oldest first.
    pub fn find_by_nik(&self, nik: &str) -> Result<Vec<Entry>, StoreError> {
        let mut prefix = nik.as_bytes().to_vec();
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
            if !matches!(e.state, State::Acknowledged { .. }) {
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

    /// Copies every queued record to `dest` (a folder or a USB stick), each written atomically
    /// and fsynced there, and marks it exported. Returns the ids exported.
    pub fn export(&self, dest: &Path) -> Result<Vec<String>, StoreError> {
        std::fs::create_dir_all(dest).map_err(|e| StoreError::io(dest, e))?;
        let mut done = Vec::new();
        for e in self.list()? {
            if e.state != State::Queued {
                continue;
            }
            let bytes = self.read(&e.record_id)?;
            write_atomic(dest, &dest.join(file_name(&e.record_id)), &bytes)?;
            self.set_state(
                &e.record_id,
                State::Exported {
                    to: dest.display().to_string(),
                    at: now(),
                },
            )?;
            done.push(e.record_id);
        }
        Ok(done)
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
        let store = Store::open(dir.path()).unwrap();
        let a = store.commit(&record(&key, "3578010101900004")).unwrap();
        assert_eq!(store.export(usb.path()).unwrap(), vec![a.record_id.clone()]);
        assert_eq!(store.get(&a.record_id).unwrap().state.name(), "exported");
        assert!(usb.path().join(file_name(&a.record_id)).exists());
        assert!(store.export(usb.path()).unwrap().is_empty());
        // The index forgets everything: files and the journal bring it back, state included.
        drop(store);
        std::fs::remove_dir_all(dir.path().join("index")).unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.reconciled().requeued, vec![a.record_id.clone()]);
        assert_eq!(store.reconciled().states_replayed, 1);
        assert_eq!(store.get(&a.record_id).unwrap().state.name(), "exported");
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
    fn disk_errors_are_sentences() {
        let e = StoreError::io(Path::new("/x"), std::io::Error::from_raw_os_error(28));
        assert!(matches!(e, StoreError::DiskFull));
        assert!(e.to_string().contains("NOT saved"));
        let e = StoreError::io(Path::new("/x"), std::io::Error::from_raw_os_error(30));
        assert!(matches!(e, StoreError::ReadOnly(_)));
    }
}
