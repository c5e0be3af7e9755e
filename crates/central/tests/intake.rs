//! The centre's intake against a real nats-server, with a station's uplink on the other side:
//! records (one in parts) stored and answered RECEIVED_AT_CENTRAL; an unknown station, a
//! tampered envelope and a record replayed under another station's subject answered REJECTED
//! with the reason, and nothing refused stored. Needs nats-server as crates/uplink's tests do.
#[path = "../../uplink/tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use rekam_central::{Central, MemoryArchive};
use rekam_envelope::{CentreSecretKey, Header, NikKey};
use rekam_uplink::{connect, wire, CentreStatus, MemoryOutbox, State, Uplink, UplinkConfig};
use support::{nats_server_binary, Server};
use uuid::Uuid;

fn seal(
    station: &str,
    key: &SigningKey,
    centre: &CentreSecretKey,
    len: usize,
) -> (Uuid, Vec<u8>, Vec<u8>) {
    let id = Uuid::now_v7();
    let archive: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
    let header = Header {
        station_id: station.into(),
        record_id: id,
        nik_tag: NikKey::from_bytes([1; 32])
            .tag("3171000000000001")
            .expect("tag"),
    };
    let env = rekam_envelope::seal(&archive, &header, &centre.public_key(), key).expect("seal");
    (id, archive, env)
}

fn config(url: &str, station: &str, key: &SigningKey) -> UplinkConfig {
    let mut c = UplinkConfig::new(url, station, key.verifying_key());
    c.create_streams = true;
    c.request_timeout = Duration::from_secs(2);
    c.backoff_base = Duration::from_millis(50);
    c.backoff_cap = Duration::from_millis(500);
    c.backoff_seed = Some(5);
    c
}

/// Publishes an envelope as a record message under any subject (what a hostile or broken
/// station could send; the uplink itself refuses to).
async fn publish_raw(js: &async_nats::jetstream::Context, station: &str, id: Uuid, env: &[u8]) {
    let h = wire::record_headers(&id.to_string(), 1, env);
    js.publish_with_headers(wire::record_subject(station, id), h, env.to_vec().into())
        .await
        .expect("publish")
        .await
        .expect("ack");
}

#[tokio::test]
async fn the_centre_stores_and_answers_each_record() {
    let Some(bin) = nats_server_binary() else {
        eprintln!("skipped: nats-server is not installed");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::new(&bin, dir.path());
    server.start();
    let centre_key = CentreSecretKey::derive(b"intake centre");
    let a_key = SigningKey::from_bytes(&[31; 32]);
    let b_key = SigningKey::from_bytes(&[32; 32]);
    let stranger = SigningKey::from_bytes(&[33; 32]);

    // Station A uploads three records, one in parts.
    let outbox = Arc::new(MemoryOutbox::new());
    let mut good = Vec::new();
    for len in [1000, 20_000, 1_300_000] {
        let (id, archive, env) = seal("stasiun-a", &a_key, &centre_key, len);
        outbox.insert(id, env);
        good.push((id, archive));
    }
    let up = Arc::new(
        Uplink::new(
            config(&server.url(), "stasiun-a", &a_key),
            Arc::clone(&outbox),
        )
        .expect("uplink"),
    );
    assert_eq!(up.run_until_drained().await.expect("drain").uploaded, 3);

    let conn = connect(up.config()).await.expect("connect");
    // An unregistered station, a tampered envelope of A's, and A's record replayed as B's.
    let (unknown_id, _, unknown_env) = seal("stasiun-x", &stranger, &centre_key, 500);
    publish_raw(&conn.js, "stasiun-x", unknown_id, &unknown_env).await;
    let (tampered_id, _, mut tampered) = seal("stasiun-a", &a_key, &centre_key, 500);
    let n = tampered.len() - 100;
    tampered[n] ^= 1;
    outbox.insert(tampered_id, tampered.clone());
    publish_raw(&conn.js, "stasiun-a", tampered_id, &tampered).await;
    let (replayed_id, _, replayed) = seal("stasiun-a", &a_key, &centre_key, 500);
    outbox.insert(replayed_id, replayed.clone());
    publish_raw(&conn.js, "stasiun-b", replayed_id, &replayed).await;

    let archive = Arc::new(MemoryArchive::default());
    let stations = HashMap::from([
        ("stasiun-a".to_string(), a_key.verifying_key()),
        ("stasiun-b".to_string(), b_key.verifying_key()),
    ]);
    let central = Arc::new(Central::new(centre_key, stations, Arc::clone(&archive)));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let centre_task = tokio::spawn({
        let central = Arc::clone(&central);
        let js = conn.js.clone();
        async move { central.run(&js, stop_rx).await }
    });

    // Station A hears back about its records; B's subject gets the replay's answer.
    let (ls_tx, ls_rx) = tokio::sync::watch::channel(false);
    let listener = tokio::spawn({
        let up = Arc::clone(&up);
        let conn = conn.clone();
        async move { up.listen_statuses(&conn, ls_rx).await }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while outbox.counts().2 < 4 {
        assert!(
            Instant::now() < deadline,
            "answers missing: {:?}",
            outbox.counts()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = ls_tx.send(true);
    let _ = stop_tx.send(true);
    listener.await.expect("task").expect("listen");
    let intake = centre_task.await.expect("task").expect("run");
    assert_eq!((intake.received, intake.rejected), (3, 3));

    for (id, a) in &good {
        assert_eq!(
            outbox.state(*id),
            Some(State::Acknowledged(CentreStatus::Received))
        );
        let stored = archive.records.lock().expect("lock");
        assert_eq!(stored.get(&("stasiun-a".to_string(), *id)), Some(a));
    }
    match outbox.state(tampered_id) {
        Some(State::Acknowledged(CentreStatus::Rejected { reason })) => {
            assert!(reason.contains("signature"), "{reason}")
        }
        other => panic!("tampered: {other:?}"),
    }
    // The replay and the unknown station were answered on their subjects' stations.
    let status = conn.status.clone();
    let get = |station: &'static str, id: Uuid| {
        let status = status.clone();
        async move {
            let m = status
                .get_last_raw_message_by_subject(&wire::status_subject(station, id))
                .await
                .expect("answer");
            serde_json::from_slice::<rekam_uplink::StatusMessage>(&m.payload).expect("json")
        }
    };
    match get("stasiun-b", replayed_id).await.status {
        CentreStatus::Rejected { reason } => assert!(reason.contains("sent as record"), "{reason}"),
        other => panic!("replay: {other:?}"),
    }
    match get("stasiun-x", unknown_id).await.status {
        CentreStatus::Rejected { reason } => assert!(reason.contains("not registered"), "{reason}"),
        other => panic!("unknown: {other:?}"),
    }
    assert_eq!(
        archive.records.lock().expect("lock").len(),
        3,
        "nothing refused was stored"
    );
    assert_eq!(
        outbox.state(replayed_id),
        Some(State::Pending),
        "A was not answered for B's subject"
    );
}
