//! What goes over NATS: streams, subjects, headers, parts, and the centre's status messages
//! (`docs/uplink.md`). Shared by the station's publisher and the centre's intake.

use std::time::Duration;

use async_nats::jetstream::stream::{Config, DiscardPolicy, RetentionPolicy, StorageType};
use async_nats::HeaderMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The stream holding every record message and every part.
pub const RECORDS_STREAM: &str = "REKAM_RECORDS";
/// The stream holding the centre's statuses.
pub const STATUS_STREAM: &str = "REKAM_STATUS";
/// Header: how many parts the envelope was cut into (the record message is the last).
pub const H_PARTS: &str = "Rekam-Parts";
/// Header: the envelope's length in bytes.
pub const H_SIZE: &str = "Rekam-Size";
/// Header: the envelope's SHA-256, hex.
pub const H_SHA256: &str = "Rekam-Sha256";
/// Header: this part's number (0-based) on part messages.
pub const H_PART: &str = "Rekam-Part";
/// NATS's deduplication header.
pub const H_MSG_ID: &str = "Nats-Msg-Id";
/// The server's default largest message.
pub const DEFAULT_MAX_PAYLOAD: usize = 1 << 20;
/// Room left under the server's max payload for headers.
pub const HEADROOM: usize = 4096;

/// `rekam.records.<station>.<record id>`: one message per record, the last part of its envelope.
pub fn record_subject(station: &str, id: Uuid) -> String {
    format!("rekam.records.{station}.{id}")
}

/// `rekam.parts.<station>.<record id>.<n>`: the envelope's earlier parts.
pub fn part_subject(station: &str, id: Uuid, n: usize) -> String {
    format!("rekam.parts.{station}.{id}.{n}")
}

/// `rekam.status.<station>.<record id>`: the centre's answer.
pub fn status_subject(station: &str, id: Uuid) -> String {
    format!("rekam.status.{station}.{id}")
}

/// Splits an envelope into parts of at most `part_size` bytes (at least one part).
pub fn split(envelope: &[u8], part_size: usize) -> Vec<&[u8]> {
    let size = part_size.max(1);
    if envelope.is_empty() {
        return vec![envelope];
    }
    envelope.chunks(size).collect()
}

/// SHA-256, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    rekam_envelope::hex(&Sha256::digest(bytes))
}

/// Headers of the record message.
pub fn record_headers(msg_id: &str, parts: usize, envelope: &[u8]) -> HeaderMap {
    // Built as one map and passed whole: async-nats' publish builder drops `Nats-Msg-Id` when
    // `.headers()` follows `.message_id()`, so the id is never set through the builder.
    let mut h = HeaderMap::new();
    h.insert(H_MSG_ID, msg_id);
    h.insert(H_PARTS, parts.to_string().as_str());
    h.insert(H_SIZE, envelope.len().to_string().as_str());
    h.insert(H_SHA256, sha256_hex(envelope).as_str());
    h
}

/// Headers of part `n`.
pub fn part_headers(msg_id: &str, n: usize) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(H_MSG_ID, msg_id);
    h.insert(H_PART, n.to_string().as_str());
    h
}

/// How the streams are set up (the centre decides; a station creates them only where it may).
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// Replicas (1 on one server; 3 in a cluster).
    pub replicas: usize,
    /// The window in which a resent message id is answered "duplicate".
    pub duplicate_window: Duration,
    /// How long messages are kept (0: until removed by the centre). Statuses and records are
    /// kept until acknowledged at least; see docs/uplink.md.
    pub max_age: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            replicas: 1,
            duplicate_window: Duration::from_secs(120),
            max_age: Duration::ZERO,
        }
    }
}

/// The records stream: one message per subject, and a second one refused (discard new per
/// subject), so a resend after the duplicate window is refused too.
pub fn records_stream_config(s: &StreamSettings) -> Config {
    Config {
        name: RECORDS_STREAM.into(),
        subjects: vec!["rekam.records.>".into(), "rekam.parts.>".into()],
        retention: RetentionPolicy::Limits,
        storage: StorageType::File,
        num_replicas: s.replicas,
        max_messages_per_subject: 1,
        discard: DiscardPolicy::New,
        discard_new_per_subject: true,
        duplicate_window: s.duplicate_window,
        max_age: s.max_age,
        allow_direct: true,
        description: Some("Rekam: sealed records from the stations (docs/uplink.md)".into()),
        ..Default::default()
    }
}

/// The status stream: the centre's answers, one per record subject.
pub fn status_stream_config(s: &StreamSettings) -> Config {
    Config {
        name: STATUS_STREAM.into(),
        subjects: vec!["rekam.status.>".into()],
        retention: RetentionPolicy::Limits,
        storage: StorageType::File,
        num_replicas: s.replicas,
        max_messages_per_subject: 1,
        discard: DiscardPolicy::New,
        discard_new_per_subject: true,
        duplicate_window: s.duplicate_window,
        max_age: s.max_age,
        description: Some("Rekam: the centre's answers to the stations (docs/uplink.md)".into()),
        ..Default::default()
    }
}

/// The centre's answer about one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CentreStatus {
    /// Stored at the centre.
    #[serde(rename = "RECEIVED_AT_CENTRAL")]
    Received,
    /// The person was already recorded, under `first_record_id`.
    DuplicateRecord {
        /// The first record of this person.
        first_record_id: Uuid,
    },
    /// Refused, with the reason.
    Rejected {
        /// Why, as a sentence.
        reason: String,
    },
}

/// A status message's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMessage {
    /// The record it is about.
    pub record_id: Uuid,
    /// The answer.
    #[serde(flatten)]
    pub status: CentreStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_every_byte_once() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for size in [1, 7, 999, 1000, 1001, 4096] {
            let parts = split(&data, size);
            assert!(parts.iter().all(|p| p.len() <= size && !p.is_empty()));
            assert_eq!(parts.concat(), data);
            assert_eq!(parts.len(), data.len().div_ceil(size));
        }
        assert_eq!(split(&[], 10).len(), 1);
    }

    #[test]
    fn status_json_is_as_documented() {
        let id = Uuid::from_u128(1);
        let m = StatusMessage {
            record_id: id,
            status: CentreStatus::DuplicateRecord {
                first_record_id: Uuid::from_u128(2),
            },
        };
        let j = serde_json::to_value(&m).expect("json");
        assert_eq!(j["status"], "DUPLICATE_RECORD");
        assert_eq!(j["first_record_id"], Uuid::from_u128(2).to_string());
        let r: StatusMessage = serde_json::from_str(&format!(
            r#"{{"record_id":"{id}","status":"RECEIVED_AT_CENTRAL"}}"#
        ))
        .expect("parse");
        assert_eq!(r.status, CentreStatus::Received);
        let r: StatusMessage = serde_json::from_str(&format!(
            r#"{{"record_id":"{id}","status":"REJECTED","reason":"tampered"}}"#
        ))
        .expect("parse");
        assert_eq!(
            r.status,
            CentreStatus::Rejected {
                reason: "tampered".into()
            }
        );
    }

    #[test]
    fn headers_carry_the_message_id() {
        let h = record_headers("abc", 3, b"xyz");
        assert_eq!(h.get(H_MSG_ID).map(|v| v.as_str()), Some("abc"));
        assert_eq!(h.get(H_PARTS).map(|v| v.as_str()), Some("3"));
        assert_eq!(
            h.get(H_SHA256).map(|v| v.as_str().to_string()),
            Some(sha256_hex(b"xyz"))
        );
    }
}
