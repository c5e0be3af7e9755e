//! Persistence in the caller's sled database: the crate's own trees, all named `service.*`,
//! values as JSON envelopes `{"v": 1, "data": …}` so a later version can tell old records apart.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sled::Transactional;
use time::OffsetDateTime;

use crate::error::{Error, Result};

/// The schema version written into every value.
pub const SCHEMA: u32 = 1;

/// Names of the crate's trees in the shared database.
pub mod tree {
    /// Schema version and other facts about the store.
    pub const META: &str = "service.meta";
    /// Staff accounts by user name.
    pub const ACCOUNTS: &str = "service.accounts";
    /// Applications by id (ids sort by time).
    pub const APPLICATIONS: &str = "service.applications";
    /// `NIK/application id` → nothing: the applications of one person.
    pub const BY_NIK: &str = "service.by_nik";
    /// Queue tickets by `YYYYMMDD-NNNN` (issue order of the day).
    pub const TICKETS: &str = "service.tickets";
    /// Daily and yearly sequence counters.
    pub const COUNTERS: &str = "service.counters";
    /// The register book: `YYYY/NNNNNN` → entry.
    pub const REGISTER: &str = "service.register";
    /// The complaint book by id.
    pub const COMPLAINTS: &str = "service.complaints";
    /// Survey responses by id.
    pub const SURVEY: &str = "service.survey";
    /// Every action, by time.
    pub const AUDIT: &str = "service.audit";
    /// Quarterly complaint recaps approved by the head of office.
    pub const RECAPS: &str = "service.recaps";
}

#[derive(Serialize)]
struct EnvelopeRef<'a, T> {
    v: u32,
    data: &'a T,
}

#[derive(Deserialize)]
struct Envelope<T> {
    v: u32,
    data: T,
}

/// Encodes a value in its envelope.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(&EnvelopeRef {
        v: SCHEMA,
        data: value,
    })
    .map_err(|e| Error::Storage(format!("cannot encode a record: {e}")))
}

/// Decodes a value from its envelope.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    #[derive(Deserialize)]
    struct V {
        v: u32,
    }
    let v: V = serde_json::from_slice(bytes)
        .map_err(|e| Error::Storage(format!("a stored record is damaged: {e}")))?;
    if v.v > SCHEMA {
        return Err(Error::Storage(format!(
            "a record has schema {} but this version reads up to {SCHEMA}; update the station",
            v.v
        )));
    }
    let e: Envelope<T> = serde_json::from_slice(bytes)
        .map_err(|e| Error::Storage(format!("a stored record is damaged: {e}")))?;
    debug_assert!(e.v <= SCHEMA);
    Ok(e.data)
}

/// One of the crate's trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tr {
    Meta,
    Accounts,
    Applications,
    ByNik,
    Tickets,
    Counters,
    Register,
    Complaints,
    Survey,
    Audit,
    Recaps,
}

impl Tr {
    const ALL: [Tr; 11] = [
        Tr::Meta,
        Tr::Accounts,
        Tr::Applications,
        Tr::ByNik,
        Tr::Tickets,
        Tr::Counters,
        Tr::Register,
        Tr::Complaints,
        Tr::Survey,
        Tr::Audit,
        Tr::Recaps,
    ];

    fn name(self) -> &'static str {
        match self {
            Tr::Meta => tree::META,
            Tr::Accounts => tree::ACCOUNTS,
            Tr::Applications => tree::APPLICATIONS,
            Tr::ByNik => tree::BY_NIK,
            Tr::Tickets => tree::TICKETS,
            Tr::Counters => tree::COUNTERS,
            Tr::Register => tree::REGISTER,
            Tr::Complaints => tree::COMPLAINTS,
            Tr::Survey => tree::SURVEY,
            Tr::Audit => tree::AUDIT,
            Tr::Recaps => tree::RECAPS,
        }
    }

    fn from_name(n: &str) -> Option<Tr> {
        Tr::ALL.into_iter().find(|t| t.name() == n)
    }
}

/// The meta key holding the sequence number of the last journal entry applied to sled.
const APPLIED: &str = "journal_seq";
/// The meta key set with the first account and never removed: the station has had accounts.
pub(crate) const HAD_ACCOUNTS: &str = "had_accounts";

/// Meta keys that are sled's own bookkeeping, not journalled data.
fn bookkeeping(t: Tr, key: &[u8]) -> bool {
    t == Tr::Meta && (key == b"schema" || key == APPLIED.as_bytes())
}

/// The crate's trees, opened once.
#[derive(Debug, Clone)]
pub(crate) struct Trees {
    pub meta: sled::Tree,
    pub accounts: sled::Tree,
    pub applications: sled::Tree,
    pub by_nik: sled::Tree,
    pub tickets: sled::Tree,
    pub counters: sled::Tree,
    pub register: sled::Tree,
    pub complaints: sled::Tree,
    pub survey: sled::Tree,
    pub audit: sled::Tree,
    pub recaps: sled::Tree,
}

impl Trees {
    pub fn open(db: &sled::Db) -> Result<Trees> {
        let t = Trees {
            meta: db.open_tree(tree::META)?,
            accounts: db.open_tree(tree::ACCOUNTS)?,
            applications: db.open_tree(tree::APPLICATIONS)?,
            by_nik: db.open_tree(tree::BY_NIK)?,
            tickets: db.open_tree(tree::TICKETS)?,
            counters: db.open_tree(tree::COUNTERS)?,
            register: db.open_tree(tree::REGISTER)?,
            complaints: db.open_tree(tree::COMPLAINTS)?,
            survey: db.open_tree(tree::SURVEY)?,
            audit: db.open_tree(tree::AUDIT)?,
            recaps: db.open_tree(tree::RECAPS)?,
        };
        t.check_schema()?;
        Ok(t)
    }

    fn check_schema(&self) -> Result<()> {
        match self.meta.get("schema")? {
            None => {
                self.meta.insert("schema", encode(&SCHEMA)?)?;
            }
            Some(v) => {
                let found: u32 = decode(&v)?;
                if found > SCHEMA {
                    return Err(Error::Storage(format!(
                        "the service data has schema {found}, this version reads {SCHEMA}; \
                         update the station"
                    )));
                }
            }
        }
        Ok(())
    }

    pub fn tree(&self, t: Tr) -> &sled::Tree {
        match t {
            Tr::Meta => &self.meta,
            Tr::Accounts => &self.accounts,
            Tr::Applications => &self.applications,
            Tr::ByNik => &self.by_nik,
            Tr::Tickets => &self.tickets,
            Tr::Counters => &self.counters,
            Tr::Register => &self.register,
            Tr::Complaints => &self.complaints,
            Tr::Survey => &self.survey,
            Tr::Audit => &self.audit,
            Tr::Recaps => &self.recaps,
        }
    }

    /// The sequence number of the last journal entry applied to sled (0 when none).
    fn applied(&self) -> Result<u64> {
        Ok(self
            .meta
            .get(APPLIED)?
            .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0))
    }

    /// Every journalled key and value in sled.
    fn snapshot(&self) -> Result<Vec<Op>> {
        let mut ops = Vec::new();
        for t in Tr::ALL {
            for kv in self.tree(t).iter() {
                let (k, v) = kv?;
                if !bookkeeping(t, &k) {
                    ops.push(Op {
                        tree: t,
                        key: k.to_vec(),
                        value: Some(v.to_vec()),
                    });
                }
            }
        }
        Ok(ops)
    }

    /// Applies one journal entry's writes and its sequence number, atomically.
    fn apply(&self, seq: u64, ops: &[Op]) -> Result<()> {
        let all: Vec<sled::Tree> = Tr::ALL.iter().map(|t| self.tree(*t).clone()).collect();
        all.as_slice()
            .transaction(|trees| {
                for op in ops {
                    let tree = &trees[op.tree as usize];
                    match &op.value {
                        Some(v) => tree.insert(op.key.as_slice(), v.as_slice())?,
                        None => tree.remove(op.key.as_slice())?,
                    };
                }
                trees[Tr::Meta as usize].insert(APPLIED, &seq.to_be_bytes())?;
                Ok(())
            })
            .map_err(|e: sled::transaction::TransactionError<Error>| Error::from(e))
    }

    /// Clears every tree and fills it again from the whole journal.
    fn rebuild(&self, path: &std::path::Path, last_seq: u64, r: &mut Recovered) -> Result<()> {
        let replay = rekam_journal::read(path)?;
        self.meta.remove(APPLIED)?;
        for t in Tr::ALL {
            self.tree(t).clear()?;
        }
        self.check_schema()?;
        let mut damaged = replay.damaged.clone();
        damaged.extend(replay.unchecked.iter().map(|(n, _)| *n));
        for e in &replay.entries {
            match decode_step(&e.payload) {
                Some(ops) => {
                    for op in &ops {
                        let tree = self.tree(op.tree);
                        match &op.value {
                            Some(v) => tree.insert(op.key.as_slice(), v.as_slice())?,
                            None => tree.remove(op.key.as_slice())?,
                        };
                    }
                    r.replayed += 1;
                }
                None => damaged.push(e.seq),
            }
        }
        self.apply(last_seq, &[])?;
        damaged.sort_unstable();
        if !damaged.is_empty() {
            tracing::error!(
                lines = damaged.len(),
                "damaged lines in the office's journal were skipped, their steps are lost: call a technician"
            );
        }
        r.damaged_lines = damaged;
        r.rebuilt = true;
        Ok(())
    }
}

/// One write of a step: a key set to a value, or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Op {
    tree: Tr,
    key: Vec<u8>,
    value: Option<Vec<u8>>,
}

/// How a write is spelt in the journal: text where the bytes are UTF-8, hex where not; no
/// value at all is a removal.
#[derive(Serialize, Deserialize)]
struct OpLine {
    t: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    k: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kx: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    v: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vx: Option<String>,
}

/// One journal entry: the writes of one step.
#[derive(Serialize, Deserialize)]
struct StepLine {
    v: u32,
    ops: Vec<OpLine>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

fn text_or_hex(b: &[u8]) -> (Option<String>, Option<String>) {
    match std::str::from_utf8(b) {
        Ok(s) => (Some(s.to_string()), None),
        Err(_) => (None, Some(hex(b))),
    }
}

fn encode_step(ops: &[Op]) -> Result<String> {
    let ops = ops
        .iter()
        .map(|op| {
            let (k, kx) = text_or_hex(&op.key);
            let (v, vx) = match &op.value {
                Some(v) => text_or_hex(v),
                None => (None, None),
            };
            OpLine {
                t: op.tree.name().to_string(),
                k,
                kx,
                v,
                vx,
            }
        })
        .collect();
    serde_json::to_string(&StepLine { v: SCHEMA, ops })
        .map_err(|e| Error::Storage(format!("cannot encode a journal entry: {e}")))
}

fn decode_step(payload: &str) -> Option<Vec<Op>> {
    let line: StepLine = serde_json::from_str(payload).ok()?;
    if line.v > SCHEMA {
        return None;
    }
    line.ops
        .into_iter()
        .map(|o| {
            let tree = Tr::from_name(&o.t)?;
            let key = match (o.k, o.kx) {
                (Some(k), None) => k.into_bytes(),
                (None, Some(kx)) => unhex(&kx)?,
                _ => return None,
            };
            let value = match (o.v, o.vx) {
                (Some(v), None) => Some(v.into_bytes()),
                (None, Some(vx)) => Some(unhex(&vx)?),
                (None, None) => None,
                _ => return None,
            };
            Some(Op { tree, key, value })
        })
        .collect()
}

/// The writes of one step, gathered while the step runs (its reads see them), then journalled,
/// fsynced and applied to sled by [`Durable::step`]. Nothing is written if the step fails.
#[derive(Debug)]
pub(crate) struct Tx<'a> {
    trees: &'a Trees,
    seq: u64,
    ops: Vec<Op>,
    audits: u64,
}

impl Tx<'_> {
    /// The current value of a key, with this step's own writes.
    pub fn get_raw(&self, t: Tr, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(op) = self.ops.iter().rev().find(|o| o.tree == t && o.key == key) {
            return Ok(op.value.clone());
        }
        Ok(self.trees.tree(t).get(key)?.map(|v| v.to_vec()))
    }

    /// The current value of a key, decoded.
    pub fn get<D: DeserializeOwned>(&self, t: Tr, key: &str) -> Result<Option<D>> {
        match self.get_raw(t, key.as_bytes())? {
            None => Ok(None),
            Some(v) => Ok(Some(decode(&v)?)),
        }
    }

    /// Sets a key to raw bytes.
    pub fn put_raw(&mut self, t: Tr, key: impl AsRef<[u8]>, value: Vec<u8>) {
        self.ops.push(Op {
            tree: t,
            key: key.as_ref().to_vec(),
            value: Some(value),
        });
    }

    /// Sets a key to a value in its envelope.
    pub fn put<S: Serialize>(&mut self, t: Tr, key: impl AsRef<[u8]>, value: &S) -> Result<()> {
        let v = encode(value)?;
        self.put_raw(t, key, v);
        Ok(())
    }

    /// Increments the counter `key` and returns the new value (1 for the first).
    pub fn next_counter(&mut self, key: &str) -> Result<u64> {
        let n = self
            .get_raw(Tr::Counters, key.as_bytes())?
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0)
            + 1;
        self.put_raw(Tr::Counters, key, n.to_be_bytes().to_vec());
        Ok(n)
    }

    /// Appends an entry to the audit trail. Its key is unique for ever, also after a rebuild:
    /// the time, then the step's journal sequence number and the entry's place in the step.
    pub fn audit(&mut self, e: &AuditEntry) -> Result<()> {
        let unique = (self.seq << 16) | self.audits;
        self.audits += 1;
        self.put(Tr::Audit, audit_key(e.at, unique), e)
    }
}

/// What opening the service store found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    /// The journal's last sequence number.
    pub journal_seq: u64,
    /// sled was missing steps (or all of them, or was damaged and replaced) or did not match
    /// the journal: its trees were cleared and filled again from the journal.
    pub rebuilt: bool,
    /// Journal entries replayed into sled.
    pub replayed: u64,
    /// Damaged journal lines skipped (their steps are lost): call a technician.
    pub damaged_lines: Vec<u64>,
    /// Bytes of a torn last entry (a step never acknowledged) cut off, and where they were
    /// kept.
    pub torn_tail: Option<(u64, std::path::PathBuf)>,
    /// sled held service data and the journal was empty (a station from before the journal,
    /// or a journal lost): the data was written to the journal as one entry.
    pub migrated: bool,
}

/// The journal in front of sled: every step is fsynced in the journal before it is applied to
/// sled and acknowledged; sled is a cache rebuilt from the journal.
#[derive(Debug)]
pub(crate) struct Durable {
    journal: std::sync::Mutex<rekam_journal::Journal>,
    poisoned: std::sync::atomic::AtomicBool,
    pub recovered: Recovered,
}

impl Durable {
    /// Opens the journal at `path` and brings sled up to it.
    pub fn open(trees: &Trees, path: &std::path::Path) -> Result<Durable> {
        let (mut journal, opened) = rekam_journal::Journal::open(path)?;
        let mut r = Recovered {
            journal_seq: opened.last_seq,
            torn_tail: opened.torn_tail,
            ..Recovered::default()
        };
        let applied = trees.applied()?;
        if opened.last_seq == 0 {
            let ops = trees.snapshot()?;
            if !ops.is_empty() {
                if applied > 0 {
                    tracing::error!("the office's journal is empty although the index had used one: the journal was written again from the index");
                } else {
                    tracing::warn!("office data found only in the index: written to a new journal");
                }
                let seq = journal.append(&encode_step(&ops)?)?;
                trees.apply(seq, &[])?;
                r.journal_seq = seq;
                r.migrated = true;
            } else if applied > 0 {
                trees.meta.remove(APPLIED)?;
            }
        } else if applied != opened.last_seq {
            tracing::warn!(
                applied,
                journal = opened.last_seq,
                "the office index does not match the journal: rebuilding it from the journal"
            );
            trees.rebuild(path, opened.last_seq, &mut r)?;
        }
        Ok(Durable {
            journal: std::sync::Mutex::new(journal),
            poisoned: std::sync::atomic::AtomicBool::new(false),
            recovered: r,
        })
    }

    /// Runs one step: `f` reads and gathers writes; they are journalled (fsync) and then
    /// applied to sled, all under the journal's lock, so steps never interleave.
    pub fn step<R>(&self, trees: &Trees, f: impl FnOnce(&mut Tx<'_>) -> Result<R>) -> Result<R> {
        let mut journal = self
            .journal
            .lock()
            .map_err(|_| Error::Storage("a step failed half-way; restart the station".into()))?;
        if self.poisoned.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::Storage(
                "an earlier step was saved but the index was not updated; restart the station so that the index is rebuilt".into(),
            ));
        }
        let mut tx = Tx {
            trees,
            seq: journal.next_seq(),
            ops: Vec::new(),
            audits: 0,
        };
        let out = f(&mut tx)?;
        if tx.ops.is_empty() {
            return Ok(out);
        }
        let seq = journal.append(&encode_step(&tx.ops)?)?;
        if let Err(e) = trees.apply(seq, &tx.ops) {
            // Durable in the journal: the next start rebuilds the index from it.
            self.poisoned
                .store(true, std::sync::atomic::Ordering::SeqCst);
            tracing::error!(error = %e, "a step was saved in the journal but the index failed; restart to rebuild it");
            return Err(e);
        }
        Ok(out)
    }
}

/// Reads every value of a tree whose key starts with `prefix`.
pub(crate) fn scan<T: DeserializeOwned>(tree: &sled::Tree, prefix: &str) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for kv in tree.scan_prefix(prefix) {
        let (_, v) = kv?;
        out.push(decode(&v)?);
    }
    Ok(out)
}

/// Reads one value.
pub(crate) fn get<T: DeserializeOwned>(tree: &sled::Tree, key: &str) -> Result<Option<T>> {
    match tree.get(key)? {
        None => Ok(None),
        Some(v) => Ok(Some(decode(&v)?)),
    }
}

/// One line of the audit trail: who did what to which id, when. Never a person's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The account (user name), or `queue-machine` for tickets taken at the machine.
    pub account: String,
    /// The role under which the account acted.
    pub role: Option<crate::Role>,
    /// The action's code, e.g. `approve`.
    pub action: String,
    /// The id acted on.
    pub subject: String,
    /// A short detail without personal data (a state, a register number, a reason code).
    pub detail: String,
}

/// The key of an audit entry: milliseconds since the epoch then a unique number, both
/// big-endian, so the tree reads in time order.
pub(crate) fn audit_key(at: OffsetDateTime, unique: u64) -> [u8; 16] {
    let ms = (at.unix_timestamp_nanos() / 1_000_000).max(0) as u64;
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&ms.to_be_bytes());
    k[8..].copy_from_slice(&unique.to_be_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trip_and_version_guard() {
        let b = encode(&vec![1u8, 2]).unwrap();
        assert_eq!(std::str::from_utf8(&b).unwrap(), r#"{"v":1,"data":[1,2]}"#);
        let back: Vec<u8> = decode(&b).unwrap();
        assert_eq!(back, vec![1, 2]);
        let e = decode::<Vec<u8>>(br#"{"v":9,"data":[1]}"#).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Storage);
        assert!(e.to_string().contains("update the station"));
        assert!(decode::<Vec<u8>>(b"garbage").is_err());
    }

    #[test]
    fn counters_and_trees_in_a_temporary_db() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().temporary(true).open().unwrap();
        let t = Trees::open(&db).unwrap();
        let d = Durable::open(&t, &dir.path().join("j")).unwrap();
        let n = |k: &'static str| d.step(&t, |tx| tx.next_counter(k)).unwrap();
        assert_eq!(n("x"), 1);
        assert_eq!(n("x"), 2);
        assert_eq!(n("y"), 1);
        // Two increments in one step see each other.
        let both = d
            .step(&t, |tx| Ok((tx.next_counter("z")?, tx.next_counter("z")?)))
            .unwrap();
        assert_eq!(both, (1, 2));
        let names: Vec<String> = db
            .tree_names()
            .into_iter()
            .map(|n| String::from_utf8_lossy(&n).into_owned())
            .filter(|n| n != "__sled__default")
            .collect();
        assert!(names.iter().all(|n| n.starts_with("service.")), "{names:?}");
        // A newer schema in the meta tree is refused.
        t.meta.insert("schema", encode(&7u32).unwrap()).unwrap();
        assert_eq!(
            Trees::open(&db).unwrap_err().kind(),
            crate::ErrorKind::Storage
        );
    }

    fn dump(t: &Trees) -> Vec<(Tr, Vec<u8>, Option<Vec<u8>>)> {
        t.snapshot()
            .unwrap()
            .into_iter()
            .map(|o| (o.tree, o.key, o.value))
            .collect()
    }

    fn some_steps(t: &Trees, d: &Durable) {
        for i in 0..5u32 {
            d.step(t, |tx| {
                let n = tx.next_counter("c")?;
                tx.put(
                    Tr::Accounts,
                    format!("user{i}"),
                    &format!("value {n}, \"quoted\"\n"),
                )?;
                tx.audit(&AuditEntry {
                    at: time::macros::datetime!(2026-03-02 08:00 +7),
                    account: "a".into(),
                    role: None,
                    action: "x".into(),
                    subject: i.to_string(),
                    detail: String::new(),
                })?;
                Ok(())
            })
            .unwrap();
        }
        d.step(t, |tx| {
            tx.ops.push(Op {
                tree: Tr::Accounts,
                key: b"user0".to_vec(),
                value: None,
            });
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_lost_or_behind_index_is_rebuilt_from_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("j");
        let db = sled::Config::new().temporary(true).open().unwrap();
        let t = Trees::open(&db).unwrap();
        let d = Durable::open(&t, &j).unwrap();
        some_steps(&t, &d);
        let before = dump(&t);
        assert_eq!(t.audit.len(), 5, "audit keys are unique at one instant");
        assert!(!t.accounts.contains_key("user0").unwrap());
        drop(d);
        // A new, empty index (the old one deleted): everything comes back.
        let db2 = sled::Config::new().temporary(true).open().unwrap();
        let t2 = Trees::open(&db2).unwrap();
        let d2 = Durable::open(&t2, &j).unwrap();
        assert!(d2.recovered.rebuilt);
        assert_eq!(d2.recovered.replayed, 6);
        assert_eq!(d2.recovered.journal_seq, 6);
        assert_eq!(dump(&t2), before);
        drop(d2);
        // An index that lost its newest step (sled's tail): rebuilt, not left behind.
        t.applied().unwrap();
        t.meta.insert(APPLIED, &5u64.to_be_bytes()).unwrap();
        t.accounts.insert("stale", b"x".to_vec()).unwrap();
        let d = Durable::open(&t, &j).unwrap();
        assert!(d.recovered.rebuilt);
        assert_eq!(dump(&t), before);
        drop(d);
        // Up to date: nothing replayed.
        let d = Durable::open(&t, &j).unwrap();
        assert_eq!(
            d.recovered,
            Recovered {
                journal_seq: 6,
                ..Recovered::default()
            }
        );
    }

    #[test]
    fn a_failed_step_writes_nothing_and_an_empty_step_no_entry() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("j");
        let db = sled::Config::new().temporary(true).open().unwrap();
        let t = Trees::open(&db).unwrap();
        let d = Durable::open(&t, &j).unwrap();
        let e = d
            .step(&t, |tx| {
                tx.next_counter("c")?;
                Err::<(), _>(Error::invalid("tidak", "no"))
            })
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        d.step(&t, |_| Ok(())).unwrap();
        assert!(t.counters.is_empty());
        assert!(rekam_journal::read(&j).unwrap().entries.is_empty());
    }

    #[test]
    fn data_only_in_sled_is_written_to_a_new_journal_first() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("j");
        let db = sled::Config::new().temporary(true).open().unwrap();
        let t = Trees::open(&db).unwrap();
        // As a station from before the journal left it.
        t.accounts.insert("camat", encode(&"old").unwrap()).unwrap();
        t.counters.insert("c", &7u64.to_be_bytes()).unwrap();
        let d = Durable::open(&t, &j).unwrap();
        assert!(d.recovered.migrated);
        assert_eq!(d.step(&t, |tx| tx.next_counter("c")).unwrap(), 8);
        let before = dump(&t);
        drop(d);
        let db2 = sled::Config::new().temporary(true).open().unwrap();
        let t2 = Trees::open(&db2).unwrap();
        let d2 = Durable::open(&t2, &j).unwrap();
        assert!(d2.recovered.rebuilt);
        assert_eq!(dump(&t2), before);
    }

    #[test]
    fn a_damaged_journal_line_is_skipped_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("j");
        {
            let db = sled::Config::new().temporary(true).open().unwrap();
            let t = Trees::open(&db).unwrap();
            let d = Durable::open(&t, &j).unwrap();
            some_steps(&t, &d);
        }
        let text = std::fs::read_to_string(&j).unwrap();
        let text = text.replacen("user1", "userX", 1);
        std::fs::write(&j, text).unwrap();
        let db = sled::Config::new().temporary(true).open().unwrap();
        let t = Trees::open(&db).unwrap();
        let d = Durable::open(&t, &j).unwrap();
        assert_eq!(d.recovered.damaged_lines, vec![2]);
        assert!(!t.accounts.contains_key("user1").unwrap());
        assert!(t.accounts.contains_key("user2").unwrap());
    }

    #[test]
    fn steps_round_trip_through_their_journal_spelling() {
        let ops = vec![
            Op {
                tree: Tr::Audit,
                key: vec![0, 255, 1],
                value: Some(vec![0xde, 0xad]),
            },
            Op {
                tree: Tr::Complaints,
                key: b"AD-1".to_vec(),
                value: Some("{\"v\":1,\"data\":\"a,\\\"b\\\"\\nc\"}".as_bytes().to_vec()),
            },
            Op {
                tree: Tr::ByNik,
                key: b"x".to_vec(),
                value: None,
            },
        ];
        let line = encode_step(&ops).unwrap();
        assert!(!line.contains('\n'));
        assert_eq!(decode_step(&line).unwrap(), ops);
        assert!(decode_step("{\"v\":1,\"ops\":[{\"t\":\"nope\",\"k\":\"x\"}]}").is_none());
        assert!(decode_step("{\"v\":9,\"ops\":[]}").is_none());
    }
}
