//! The uplink against a real nats-server (Debian's 2.9.10 in CI), started by each test on a
//! free loopback port with JetStream in a temporary folder: publish and PubAck, a resend inside
//! and after the duplicate window, a "duplicate" with no stored copy, a record larger than the
//! server's max payload, the server killed and restarted mid-upload, the server absent at
//! start, and the centre's statuses.
//!
//! Needs `nats-server` (`REKAM_NATS_SERVER`, else on PATH, else /usr/sbin/nats-server). Without
//! it the tests are skipped, except under CI (`CI` set), where they fail.
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use rekam_envelope::{CentreSecretKey, Envelope, Header, NikKey};
use rekam_uplink::{
    connect, wire, CentreStatus, MemoryOutbox, Outbox, State, StatusMessage, Uplink, UplinkConfig,
};
use support::{nats_server_binary, Server};
use uuid::Uuid;

const STATION: &str = "jkt-01";

struct Station {
    key: SigningKey,
    centre: CentreSecretKey,
    nik: NikKey,
}

impl Station {
    fn new() -> Self {
        Self {
            key: SigningKey::from_bytes(&[21; 32]),
            centre: CentreSecretKey::derive(b"uplink tests centre"),
            nik: NikKey::from_bytes([22; 32]),
        }
    }

    /// Seals a deterministic archive of `len` bytes into a new record; returns its id, the
    /// archive and the envelope.
    fn record(&self, len: usize, seed: u64) -> (Uuid, Vec<u8>, Vec<u8>) {
        let id = Uuid::now_v7();
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let archive: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        let nik = format!("3171{:012}", seed % 1_000_000_000_000);
        let header = Header {
            station_id: STATION.into(),
            record_id: id,
            nik_tag: self.nik.tag(&nik).expect("tag"),
        };
        let env = rekam_envelope::seal(&archive, &header, &self.centre.public_key(), &self.key)
            .expect("seal");
        (id, archive, env)
    }

    fn config(&self, url: &str) -> UplinkConfig {
        let mut c = UplinkConfig::new(url, STATION, self.key.verifying_key());
        c.create_streams = true;
        c.request_timeout = Duration::from_secs(2);
        c.backoff_base = Duration::from_millis(50);
        c.backoff_cap = Duration::from_millis(500);
        c.backoff_seed = Some(12);
        c
    }
}

/// What the centre would read: the record message and its parts, reassembled and decrypted.
async fn centre_reads(conn: &rekam_uplink::Connection, st: &Station, id: Uuid) -> Vec<u8> {
    let m = conn
        .records
        .get_last_raw_message_by_subject(&wire::record_subject(STATION, id))
        .await
        .expect("record message");
    let env = rekam_uplink::assemble(&conn.records, STATION, id, &m.headers, &m.payload)
        .await
        .expect("assemble");
    let (_, archive) =
        rekam_envelope::open(&env, &st.key.verifying_key(), &st.centre).expect("open");
    archive
}

async fn stream_messages(conn: &rekam_uplink::Connection) -> u64 {
    let mut s = conn.records.clone();
    s.info().await.expect("info").state.messages
}

macro_rules! server_or_skip {
    () => {
        match nats_server_binary() {
            Some(b) => b,
            None => {
                eprintln!("skipped: nats-server is not installed");
                return;
            }
        }
    };
}

#[tokio::test]
async fn publish_and_puback() {
    let bin = server_or_skip!();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::new(&bin, dir.path());
    server.start();
    let st = Station::new();
    let outbox = Arc::new(MemoryOutbox::new());
    let mut made = Vec::new();
    for i in 0..5 {
        let (id, archive, env) = st.record(10_000 + i * 1000, i as u64);
        outbox.insert(id, env);
        made.push((id, archive));
    }
    let up = Uplink::new(st.config(&server.url()), Arc::clone(&outbox)).expect("uplink");
    let report = up.run_until_drained().await.expect("drain");
    assert_eq!(report.uploaded, 5);
    assert_eq!(report.duplicates, 0);
    assert_eq!(outbox.counts(), (0, 5, 0));
    let conn = connect(up.config()).await.expect("connect");
    assert_eq!(
        stream_messages(&conn).await,
        5,
        "one message per small record"
    );
    for (id, archive) in &made {
        match outbox.state(*id) {
            Some(State::Uploaded(r)) => assert!(!r.duplicate && r.sequence > 0),
            other => panic!("{id}: {other:?}"),
        }
        // The record message carries Nats-Msg-Id = the record id.
        let m = conn
            .records
            .get_last_raw_message_by_subject(&wire::record_subject(STATION, *id))
            .await
            .expect("stored");
        assert_eq!(
            m.headers
                .get(wire::H_MSG_ID)
                .map(|v| v.as_str().to_string()),
            Some(id.to_string())
        );
        assert_eq!(&centre_reads(&conn, &st, *id).await, archive);
    }
}

#[tokio::test]
async fn a_resend_is_reported_duplicate_inside_and_after_the_window() {
    let bin = server_or_skip!();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::new(&bin, dir.path());
    server.start();
    let st = Station::new();
    let outbox = Arc::new(MemoryOutbox::new());
    let (id, _, env) = st.record(700_000, 1); // two parts
    outbox.insert(id, env);
    let mut cfg = st.config(&server.url());
    cfg.streams.duplicate_window = Duration::from_secs(1);
    let up = Uplink::new(cfg, Arc::clone(&outbox)).expect("uplink");
    let first = up.run_until_drained().await.expect("drain");
    assert_eq!((first.uploaded, first.duplicates), (1, 0));
    let conn = connect(up.config()).await.expect("connect");
    assert_eq!(stream_messages(&conn).await, 2);

    // The station crashed before it wrote "uploaded": it sends again, inside the window.
    outbox.forget_upload(id);
    let again = up.run_until_drained().await.expect("drain");
    assert_eq!((again.uploaded, again.duplicates), (0, 1));
    assert!(matches!(outbox.state(id), Some(State::Uploaded(r)) if r.duplicate));
    assert_eq!(stream_messages(&conn).await, 2, "nothing stored twice");

    // After the window the server no longer knows the message id; the per-subject limit
    // refuses the copy, and the uplink checks the stored bytes are these.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    outbox.forget_upload(id);
    let late = up.run_until_drained().await.expect("drain");
    assert_eq!((late.uploaded, late.duplicates), (0, 1));
    assert_eq!(stream_messages(&conn).await, 2, "nothing stored twice");
    assert_eq!(outbox.uploaded_marks(id), 3);

    // A different envelope under the same record id is a conflict, never "uploaded".
    let other = MemoryOutbox::new();
    let header = Header {
        station_id: STATION.into(),
        record_id: id,
        nik_tag: st.nik.tag("3171000000000009").expect("tag"),
    };
    let forged =
        rekam_envelope::seal(b"other", &header, &st.centre.public_key(), &st.key).expect("seal");
    other.insert(id, forged);
    let other = Arc::new(other);
    let up2 = Uplink::new(up.config().clone(), Arc::clone(&other)).expect("uplink");
    let r = up2.run_until_drained().await.expect("drain");
    assert_eq!(r.conflicts, vec![id]);
    assert_eq!(other.state(id), Some(State::Pending));
}

#[tokio::test]
async fn a_duplicate_answer_without_a_stored_copy_is_resent() {
    let bin = server_or_skip!();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::new(&bin, dir.path());
    server.start();
    let st = Station::new();
    let outbox = Arc::new(MemoryOutbox::new());
    let (id, archive, env) = st.record(5000, 2);
    outbox.insert(id, env);
    let up = Uplink::new(st.config(&server.url()), Arc::clone(&outbox)).expect("uplink");
    // The server's duplicate table knows the record id, but nothing is stored under the
    // record's subject (what a new stream leader can answer).
    let conn = connect(up.config()).await.expect("connect");
    let mut h = async_nats::HeaderMap::new();
    h.insert(wire::H_MSG_ID, id.to_string().as_str());
    conn.js
        .publish_with_headers(
            wire::record_subject(STATION, Uuid::now_v7()),
            h,
            "decoy".into(),
        )
        .await
        .expect("publish")
        .await
        .expect("ack");
    let report = up.run_until_drained().await.expect("drain");
    assert_eq!((report.uploaded, report.duplicates), (1, 0));
    let m = conn
        .records
        .get_last_raw_message_by_subject(&wire::record_subject(STATION, id))
        .await
        .expect("stored after all");
    assert_eq!(
        m.headers
            .get(wire::H_MSG_ID)
            .map(|v| v.as_str().to_string()),
        Some(format!("{id}~1"))
    );
    assert_eq!(centre_reads(&conn, &st, id).await, archive);
}

#[tokio::test]
async fn a_record_larger_than_max_payload_goes_in_parts() {
    let bin = server_or_skip!();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::new(&bin, dir.path());
    server.start();
    let st = Station::new();
    let outbox = Arc::new(MemoryOutbox::new());
    let (id, archive, env) = st.record(3 << 20, 3);
    let env_len = env.len();
    outbox.insert(id, env.clone());
    let up = Uplink::new(st.config(&server.url()), Arc::clone(&outbox)).expect("uplink");
    let conn = connect(up.config()).await.expect("connect");
    assert_eq!(conn.client.server_info().max_payload, 1 << 20);
    // One message of the whole envelope is refused by the client before it is sent.
    let whole = conn
        .js
        .publish(wire::record_subject(STATION, id), env.into())
        .await;
    assert!(whole.is_err(), "a 3 MiB message went out");

    let report = up.run_until_drained().await.expect("drain");
    assert_eq!(report.uploaded, 1);
    let parts = env_len.div_ceil(512 * 1024);
    assert_eq!(stream_messages(&conn).await, parts as u64);
    let m = conn
        .records
        .get_last_raw_message_by_subject(&wire::record_subject(STATION, id))
        .await
        .expect("record message");
    assert_eq!(
        m.headers.get(wire::H_PARTS).map(|v| v.as_str().to_string()),
        Some(parts.to_string())
    );
    assert_eq!(centre_reads(&conn, &st, id).await, archive);

    // A part altered on the server is caught by the digest.
    let mut headers = m.headers.clone();
    headers.insert(wire::H_SHA256, wire::sha256_hex(b"not it").as_str());
    let err = rekam_uplink::assemble(&conn.records, STATION, id, &headers, &m.payload)
        .await
        .expect_err("digest");
    assert_eq!(err.kind(), rekam_uplink::ErrorKind::Damaged);
}

#[tokio::test]
async fn the_server_killed_mid_upload_and_restarted_loses_and_doubles_nothing() {
    let bin = server_or_skip!();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::new(&bin, dir.path());
    server.start();
    let st = Station::new();
    let outbox = Arc::new(MemoryOutbox::new());
    let mut made = Vec::new();
    let mut messages = 0;
    for i in 0..30u64 {
        let (id, archive, env) = st.record(400_000 + (i as usize) * 1000, 100 + i);
        messages += env.len().div_ceil(32 * 1024);
        outbox.insert(id, env);
        made.push((id, archive));
    }
    let mut cfg = st.config(&server.url());
    cfg.part_size = 32 * 1024;
    let up = Arc::new(Uplink::new(cfg, Arc::clone(&outbox)).expect("uplink"));
    let task = tokio::spawn({
        let up = Arc::clone(&up);
        async move { up.run_until_drained().await }
    });
    // Kill the server once a few records are in, while the rest are on their way.
    let deadline = Instant::now() + Duration::from_secs(30);
    while outbox.counts().1 < 3 {
        assert!(Instant::now() < deadline, "nothing uploaded");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.kill();
    let at_kill = outbox.counts().1;
    assert!(at_kill < 30, "the upload finished before the kill");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        outbox.counts().1,
        at_kill,
        "nothing marked while the server is down"
    );
    server.start();
    let report = tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .expect("drained in time")
        .expect("task")
        .expect("drain");
    assert_eq!(outbox.counts(), (0, 30, 0));
    assert_eq!(report.uploaded + report.duplicates, 30);
    let conn = connect(up.config()).await.expect("connect");
    assert_eq!(
        stream_messages(&conn).await,
        messages as u64,
        "every part and record message stored once"
    );
    for (id, archive) in &made {
        assert_eq!(&centre_reads(&conn, &st, *id).await, archive, "{id}");
        assert_eq!(outbox.uploaded_marks(*id), 1);
    }
    eprintln!(
        "killed after {at_kill} of 30 records were marked; in all {} stored new, {} found already held",
        report.uploaded, report.duplicates
    );
}

#[tokio::test]
async fn the_server_absent_at_start_is_waited_for() {
    let bin = server_or_skip!();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::new(&bin, dir.path());
    let st = Station::new();
    let outbox = Arc::new(MemoryOutbox::new());
    for i in 0..3 {
        let (id, _, env) = st.record(2000, 200 + i);
        outbox.insert(id, env);
    }
    let up = Arc::new(Uplink::new(st.config(&server.url()), Arc::clone(&outbox)).expect("uplink"));
    let task = tokio::spawn({
        let up = Arc::clone(&up);
        async move { up.run_until_drained().await }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(outbox.counts(), (3, 0, 0), "nothing sent without a server");
    assert!(!task.is_finished(), "gave up instead of retrying");
    server.start();
    let report = tokio::time::timeout(Duration::from_secs(20), task)
        .await
        .expect("drained in time")
        .expect("task")
        .expect("drain");
    assert_eq!(report.uploaded, 3);
    assert_eq!(outbox.counts(), (0, 3, 0));
}

#[tokio::test]
async fn the_centres_statuses_mark_records_acknowledged() {
    let bin = server_or_skip!();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::new(&bin, dir.path());
    server.start();
    let st = Station::new();
    let outbox = Arc::new(MemoryOutbox::new());
    let ids: Vec<Uuid> = (0..3)
        .map(|i| {
            let (id, _, env) = st.record(1000, 300 + i);
            outbox.insert(id, env);
            id
        })
        .collect();
    let up = Arc::new(Uplink::new(st.config(&server.url()), Arc::clone(&outbox)).expect("uplink"));
    up.run_until_drained().await.expect("drain");
    let conn = connect(up.config()).await.expect("connect");

    // The centre answers (before the station listens: the durable consumer keeps them).
    let first = Uuid::now_v7();
    let answers = [
        CentreStatus::Received,
        CentreStatus::DuplicateRecord {
            first_record_id: first,
        },
        CentreStatus::Rejected {
            reason: "the envelope's signature does not verify".into(),
        },
    ];
    let publish = |subject: String, payload: Vec<u8>| {
        let js = conn.js.clone();
        async move {
            js.publish(subject, payload.into())
                .await
                .expect("publish")
                .await
                .expect("ack");
        }
    };
    for (id, status) in ids.iter().zip(&answers) {
        let m = StatusMessage {
            record_id: *id,
            status: status.clone(),
        };
        publish(
            wire::status_subject(STATION, *id),
            serde_json::to_vec(&m).expect("json"),
        )
        .await;
    }
    // An answer about a record this station does not hold, and garbage: both dropped.
    let stranger = Uuid::now_v7();
    publish(
        wire::status_subject(STATION, stranger),
        serde_json::to_vec(&StatusMessage {
            record_id: stranger,
            status: CentreStatus::Received,
        })
        .expect("json"),
    )
    .await;
    publish(
        wire::status_subject(STATION, Uuid::now_v7()),
        b"not json".to_vec(),
    )
    .await;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let listener = tokio::spawn({
        let up = Arc::clone(&up);
        let conn = conn.clone();
        async move { up.listen_statuses(&conn, stop_rx).await }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while outbox.counts().2 < 3 {
        assert!(Instant::now() < deadline, "statuses not received");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop_tx.send(true);
    let handled = listener.await.expect("task").expect("listen");
    assert_eq!(handled, 3);
    for (id, status) in ids.iter().zip(answers) {
        assert_eq!(outbox.state(*id), Some(State::Acknowledged(status)));
    }
    assert!(outbox.pending().expect("pending").is_empty());
    // The station's envelopes were checked before they left: a damaged one is not sent.
    let (bad_id, _, mut bad) = st.record(1000, 400);
    let n = bad.len() / 2;
    bad[n] ^= 1;
    assert!(Envelope::parse(&bad).is_ok());
    outbox.insert(bad_id, bad);
    let r = up.run_until_drained().await.expect("drain");
    assert_eq!(r.damaged, vec![bad_id]);
    assert_eq!(outbox.state(bad_id), Some(State::Pending));
}
