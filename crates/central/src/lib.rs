//! The centre's reference intake (a start): a durable JetStream consumer of the stations'
//! record messages (`rekam.records.>`) that, per record,
//! 1. reassembles the envelope from its parts and checks its size and SHA-256;
//! 2. checks that the envelope names the station and record of its subject (a record replayed
//!    under another station's subject is refused), that the station is registered, and the
//!    outer signature with the registered key;
//! 3. decrypts with the centre's key;
//! 4. stores the archive ([`Archive`]) and answers the station on
//!    `rekam.status.<station>.<record id>`: `RECEIVED_AT_CENTRAL`, or `REJECTED` with the reason;
//! 5. acknowledges the record message only after the answer's PubAck, so a crash anywhere
//!    before it means the record is handled again (storing and answering are idempotent).
//!
//! Not yet: the inner record signature and format, refusing simulated records, recording-once
//! across stations by NIK (`DUPLICATE_RECORD`), the station registry's file and the binary.
#![warn(missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, AckKind};
use ed25519_dalek::VerifyingKey;
use futures_util::StreamExt;
use rekam_envelope::{CentreSecretKey, Envelope};
use rekam_uplink::{wire, CentreStatus, StatusMessage};
use tokio::sync::watch;
use uuid::Uuid;

/// The durable consumer's name.
pub const CONSUMER: &str = "rekam-central";

/// What went wrong at the centre.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CentralError {
    /// The server failed a request.
    #[error("the NATS server failed: {0}")]
    Transport(String),
    /// The archive store failed.
    #[error("the centre's store failed: {0}")]
    Store(String),
}

/// Where the centre keeps the records it accepted. Must be durable when `store` returns, and
/// idempotent (the same record may be stored again after a crash).
pub trait Archive: Send + Sync + 'static {
    /// Keeps a decrypted, accepted archive.
    fn store(&self, station: &str, id: Uuid, archive: &[u8]) -> Result<(), CentralError>;
}

/// An archive in memory (tests).
#[derive(Debug, Default)]
pub struct MemoryArchive {
    /// (station, record id) → archive.
    pub records: Mutex<HashMap<(String, Uuid), Vec<u8>>>,
}

impl Archive for MemoryArchive {
    fn store(&self, station: &str, id: Uuid, archive: &[u8]) -> Result<(), CentralError> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((station.to_string(), id), archive.to_vec());
        Ok(())
    }
}

/// The centre.
#[derive(Debug)]
pub struct Central<A: Archive> {
    key: CentreSecretKey,
    stations: HashMap<String, VerifyingKey>,
    archive: Arc<A>,
}

/// Counts of what [`Central::run`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Intake {
    /// Records accepted and stored.
    pub received: u64,
    /// Records refused.
    pub rejected: u64,
}

impl<A: Archive> Central<A> {
    /// A centre with its private key and the registered stations' public keys.
    pub fn new(
        key: CentreSecretKey,
        stations: HashMap<String, VerifyingKey>,
        archive: Arc<A>,
    ) -> Self {
        Self {
            key,
            stations,
            archive,
        }
    }

    /// Decides about one record message: the archive, or the reason for refusing it.
    async fn judge(
        &self,
        records: &jetstream::stream::Stream,
        subject: &str,
        headers: &async_nats::HeaderMap,
        payload: &[u8],
    ) -> Result<(String, Uuid, Result<Vec<u8>, String>), Option<String>> {
        // rekam.records.<station>.<id>; anything else is not ours to answer.
        let mut it = subject.split('.');
        let (Some("rekam"), Some("records"), Some(station), Some(id), None) =
            (it.next(), it.next(), it.next(), it.next(), it.next())
        else {
            return Err(None);
        };
        let Ok(id) = Uuid::parse_str(id) else {
            return Err(None);
        };
        let station = station.to_string();
        let envelope = match rekam_uplink::assemble(records, &station, id, headers, payload).await {
            Ok(e) => e,
            Err(e) if e.kind() == rekam_uplink::ErrorKind::Unavailable => {
                return Err(Some(e.to_string()))
            }
            Err(e) => return Ok((station, id, Err(e.to_string()))),
        };
        let verdict = (|| {
            let env = Envelope::parse(&envelope).map_err(|e| e.to_string())?;
            if env.header.station_id != station || env.header.record_id != id {
                return Err(format!(
                    "the envelope is record {} of station {}, sent as record {id} of station {station}",
                    env.header.record_id, env.header.station_id
                ));
            }
            let key = self
                .stations
                .get(&station)
                .ok_or_else(|| format!("station {station} is not registered at this centre"))?;
            env.verify(key).map_err(|e| e.to_string())?;
            env.open(&self.key).map_err(|e| e.to_string())
        })();
        Ok((station, id, verdict))
    }

    async fn answer(
        js: &jetstream::Context,
        station: &str,
        id: Uuid,
        status: CentreStatus,
    ) -> Result<(), CentralError> {
        let body = serde_json::to_vec(&StatusMessage {
            record_id: id,
            status,
        })
        .map_err(|e| CentralError::Transport(e.to_string()))?;
        let mut h = async_nats::HeaderMap::new();
        h.insert(wire::H_MSG_ID, format!("status.{id}").as_str());
        let subject = wire::status_subject(station, id);
        let ack = js
            .publish_with_headers(subject.clone(), h, body.into())
            .await
            .map_err(|e| CentralError::Transport(format!("{subject}: {e}")))?
            .await;
        match ack {
            Ok(_) => Ok(()),
            // Already answered (a redelivery after a crash): the one-message subject keeps the
            // first answer.
            Err(e) if rekam_uplink::refused_per_subject(&e) => Ok(()),
            Err(e) => Err(CentralError::Transport(format!("{subject}: {e}"))),
        }
    }

    /// Consumes record messages until `stop` turns true.
    pub async fn run(
        &self,
        js: &jetstream::Context,
        mut stop: watch::Receiver<bool>,
    ) -> Result<Intake, CentralError> {
        let t = |e: &dyn std::fmt::Display| CentralError::Transport(e.to_string());
        let records = js
            .get_stream(wire::RECORDS_STREAM)
            .await
            .map_err(|e| t(&e))?;
        let consumer: jetstream::consumer::Consumer<pull::Config> = records
            .get_or_create_consumer(
                CONSUMER,
                pull::Config {
                    durable_name: Some(CONSUMER.into()),
                    filter_subject: "rekam.records.>".into(),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(60),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| t(&e))?;
        let mut messages = consumer.messages().await.map_err(|e| t(&e))?;
        let mut intake = Intake::default();
        loop {
            if *stop.borrow() {
                return Ok(intake);
            }
            let next = tokio::select! {
                m = messages.next() => m,
                _ = stop.changed() => continue,
            };
            let msg = match next {
                Some(Ok(m)) => m,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "record stream interrupted");
                    continue;
                }
                None => return Ok(intake),
            };
            let headers = msg.headers.clone().unwrap_or_default();
            let (station, id, verdict) = match self
                .judge(&records, &msg.subject, &headers, &msg.payload)
                .await
            {
                Ok(v) => v,
                Err(None) => {
                    tracing::warn!(subject = %msg.subject, "not a record subject; dropped");
                    let _ = msg.ack_with(AckKind::Term).await;
                    continue;
                }
                Err(Some(why)) => {
                    tracing::warn!(subject = %msg.subject, %why, "retrying later");
                    let _ = msg
                        .ack_with(AckKind::Nak(Some(Duration::from_secs(2))))
                        .await;
                    continue;
                }
            };
            let status = match verdict {
                Ok(archive) => {
                    let a = Arc::clone(&self.archive);
                    let st = station.clone();
                    tokio::task::spawn_blocking(move || a.store(&st, id, &archive))
                        .await
                        .map_err(|e| CentralError::Store(e.to_string()))??;
                    intake.received += 1;
                    CentreStatus::Received
                }
                Err(reason) => {
                    tracing::warn!(%station, %id, %reason, "record refused");
                    intake.rejected += 1;
                    CentreStatus::Rejected { reason }
                }
            };
            Self::answer(js, &station, id, status).await?;
            if let Err(e) = msg.double_ack().await {
                tracing::warn!(%id, error = %e, "could not acknowledge; the record comes again");
            }
        }
    }
}
