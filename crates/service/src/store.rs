//! Persistence in the caller's sled database: the crate's own trees, all named `service.*`,
//! values as JSON envelopes `{"v": 1, "data": …}` so a later version can tell old records apart.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
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
        match t.meta.get("schema")? {
            None => {
                t.meta.insert("schema", encode(&SCHEMA)?)?;
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
        Ok(t)
    }
}

/// Increments the counter `key` and returns the new value (1 for the first).
pub(crate) fn next_counter(counters: &sled::Tree, key: &str) -> Result<u64> {
    let v = counters.update_and_fetch(key, |old| {
        let n = old
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0);
        Some((n + 1).to_be_bytes().to_vec())
    })?;
    Ok(v.and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(1))
}

/// The same inside a transaction.
pub(crate) fn next_counter_tx(
    counters: &sled::transaction::TransactionalTree,
    key: &str,
) -> sled::transaction::ConflictableTransactionResult<u64, Error> {
    let n = counters
        .get(key)?
        .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
        + 1;
    counters.insert(key, &n.to_be_bytes())?;
    Ok(n)
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
        let db = sled::Config::new().temporary(true).open().unwrap();
        let t = Trees::open(&db).unwrap();
        assert_eq!(next_counter(&t.counters, "x").unwrap(), 1);
        assert_eq!(next_counter(&t.counters, "x").unwrap(), 2);
        assert_eq!(next_counter(&t.counters, "y").unwrap(), 1);
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
}
