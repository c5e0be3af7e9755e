//! The station's uplink: sealed envelopes ([`rekam_envelope`]) go from the station's outbox to
//! the centre's NATS JetStream stream exactly once, and the centre's answers come back.
//!
//! - One record message per record on `rekam.records.<station>.<record id>` with
//!   `Nats-Msg-Id` = the record id; an envelope larger than one message is cut into parts on
//!   `rekam.parts.<station>.<record id>.<n>` (`Nats-Msg-Id` = `<record id>.<n>`), published
//!   and acknowledged *before* the record message, which carries the last part and the
//!   envelope's size, part count and SHA-256 (`docs/uplink.md`).
//! - The stream keeps one message per subject and refuses a second (discard new per subject),
//!   so a resend is refused after the duplicate window too. Every "duplicate" answer (or
//!   refusal) is checked against the stored message: the server must hold these very bytes.
//! - A record is marked uploaded only on the PubAck of its record message, and acknowledged
//!   when the centre's status arrives ([`Uplink::listen_statuses`]). Failures are retried
//!   with exponential backoff and full jitter, forever ([`Uplink::run_until_drained`]).
//!
//! The outbox is a trait ([`Outbox`]); the station's durable store implements it.
#![warn(missing_docs)]

pub mod backoff;
pub mod outbox;
pub mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, stream::Stream};
use bytes::Bytes;
use ed25519_dalek::VerifyingKey;
use futures_util::StreamExt;
use tokio::sync::watch;
use uuid::Uuid;

pub use backoff::Backoff;
pub use outbox::{MemoryOutbox, Outbox, OutboxError, Receipt, State};
pub use wire::{CentreStatus, StatusMessage, StreamSettings};

/// How an uplink failure should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server is unreachable or did not answer in time: retry later.
    Unavailable,
    /// A stored envelope is damaged or not this station's: do not send; the operator restores it.
    Damaged,
    /// The server holds other bytes under this record's subject: alert, do not resend.
    Conflict,
    /// The station's store failed.
    Outbox,
    /// The stream or the configuration is not usable as set up.
    Config,
}

/// What went wrong in the uplink.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UplinkError {
    /// Could not reach the server.
    #[error("cannot reach the centre's NATS server at {url}: {reason} (is the network up? the station keeps the records and retries)")]
    Connect {
        /// The server address.
        url: String,
        /// The client's error.
        reason: String,
    },
    /// A request or publish failed on the way.
    #[error("the centre's server did not take the record: {0} (the station retries)")]
    Transport(String),
    /// The stored envelope is not sendable.
    #[error("the stored envelope of record {id} cannot be sent: {reason}")]
    Damaged {
        /// The record.
        id: Uuid,
        /// Why.
        reason: String,
    },
    /// The server holds different bytes under the subject.
    #[error("the centre's server already holds different bytes under {subject}: two envelopes claim one record id; report this to the centre")]
    Conflict {
        /// The subject.
        subject: String,
    },
    /// The server said "duplicate" but holds nothing under the subject (seen after a change of
    /// stream leader); resent under another message id.
    #[error("the server called {subject} a duplicate but holds no copy; it will be sent again")]
    DuplicateMissing {
        /// The subject.
        subject: String,
    },
    /// The outbox failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The stream is set up in a way that breaks exactly-once delivery, or a setting is wrong.
    #[error("{0}")]
    Config(String),
}

impl UplinkError {
    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Connect { .. } | Self::Transport(_) | Self::DuplicateMissing { .. } => {
                ErrorKind::Unavailable
            }
            Self::Damaged { .. } => ErrorKind::Damaged,
            Self::Conflict { .. } => ErrorKind::Conflict,
            Self::Outbox(_) => ErrorKind::Outbox,
            Self::Config(_) => ErrorKind::Config,
        }
    }
}

/// The uplink's settings.
#[derive(Debug, Clone)]
pub struct UplinkConfig {
    /// The centre's NATS server(s), e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// This station's id (as in its envelopes).
    pub station_id: String,
    /// This station's public key: every envelope is checked against it before it is sent.
    pub station_key: VerifyingKey,
    /// Largest part in bytes (further limited by the server's max payload less headroom).
    pub part_size: usize,
    /// How long to wait for each PubAck and request.
    pub request_timeout: Duration,
    /// Backoff between failed attempts: first ceiling and cap.
    pub backoff_base: Duration,
    /// The longest wait between attempts.
    pub backoff_cap: Duration,
    /// Seed for the backoff's jitter (tests); `None` in the field.
    pub backoff_seed: Option<u64>,
    /// Create the streams when they do not exist (a test or a one-server centre); otherwise
    /// they must exist.
    pub create_streams: bool,
    /// The streams' settings, when this side creates them.
    pub streams: StreamSettings,
}

impl UplinkConfig {
    /// Defaults for a station: 512 KiB parts, 10 s timeouts, backoff from 0.5 s to 60 s.
    pub fn new(url: &str, station_id: &str, station_key: VerifyingKey) -> Self {
        Self {
            url: url.into(),
            station_id: station_id.into(),
            station_key,
            part_size: 512 * 1024,
            request_timeout: Duration::from_secs(10),
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(60),
            backoff_seed: None,
            create_streams: false,
            streams: StreamSettings::default(),
        }
    }
}

/// A connection to the centre's server with the records stream looked up.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The NATS client.
    pub client: async_nats::Client,
    /// Its JetStream context.
    pub js: jetstream::Context,
    /// The records stream.
    pub records: Stream,
    /// The status stream.
    pub status: Stream,
    part_size: usize,
}

/// Connects once and looks up (or creates) the streams.
pub async fn connect(cfg: &UplinkConfig) -> Result<Connection, UplinkError> {
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(cfg.request_timeout)
        .request_timeout(Some(cfg.request_timeout))
        .name(format!("rekam-station-{}", cfg.station_id))
        .connect(cfg.url.as_str())
        .await
        .map_err(|e| UplinkError::Connect {
            url: cfg.url.clone(),
            reason: e.to_string(),
        })?;
    let mut js = jetstream::new(client.clone());
    js.set_timeout(cfg.request_timeout);
    let records = ensure_stream(&js, wire::records_stream_config(&cfg.streams), cfg).await?;
    let status = ensure_stream(&js, wire::status_stream_config(&cfg.streams), cfg).await?;
    let max_payload = match client.server_info().max_payload {
        0 => wire::DEFAULT_MAX_PAYLOAD,
        n => n,
    }
    .max(2 * wire::HEADROOM);
    let part_size = cfg.part_size.clamp(1, max_payload - wire::HEADROOM);
    tracing::info!(url = %cfg.url, part_size, "connected to the centre's server");
    Ok(Connection {
        client,
        js,
        records,
        status,
        part_size,
    })
}

async fn ensure_stream(
    js: &jetstream::Context,
    config: jetstream::stream::Config,
    cfg: &UplinkConfig,
) -> Result<Stream, UplinkError> {
    let name = config.name.clone();
    let mut stream = if cfg.create_streams {
        js.get_or_create_stream(config)
            .await
            .map_err(|e| UplinkError::Transport(format!("stream {name}: {e}")))?
    } else {
        js.get_stream(&name).await.map_err(|e| {
            UplinkError::Transport(format!(
                "the stream {name} cannot be looked up ({e}); the centre creates it"
            ))
        })?
    };
    let info = stream
        .info()
        .await
        .map_err(|e| UplinkError::Transport(format!("stream {name}: {e}")))?;
    let c = &info.config;
    if c.max_messages_per_subject != 1 || !c.discard_new_per_subject {
        return Err(UplinkError::Config(format!(
            "the stream {name} keeps {} messages per subject (discard new per subject: {}); exactly-once delivery needs 1 and true: ask the centre to set it up as docs/uplink.md says",
            c.max_messages_per_subject, c.discard_new_per_subject
        )));
    }
    Ok(stream)
}

/// How a message reached the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Stored now, at this sequence.
    New(u64),
    /// Already there (a resend), checked to hold the same bytes.
    Duplicate(u64),
}

impl Stored {
    fn sequence(self) -> u64 {
        match self {
            Self::New(s) | Self::Duplicate(s) => s,
        }
    }
}

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Records stored by this drain.
    pub uploaded: usize,
    /// Records the server already held (resends).
    pub duplicates: usize,
    /// Records not sent because their envelope is damaged or not this station's.
    pub damaged: Vec<Uuid>,
    /// Records the server holds other bytes for.
    pub conflicts: Vec<Uuid>,
}

/// The station's uplink over an outbox.
#[derive(Debug)]
pub struct Uplink<O: Outbox> {
    cfg: UplinkConfig,
    outbox: Arc<O>,
    /// Message ids to use instead of the plain one after a "duplicate" with nothing stored.
    alt_ids: Mutex<HashMap<String, u32>>,
}

impl<O: Outbox> Uplink<O> {
    /// An uplink for `outbox`.
    pub fn new(cfg: UplinkConfig, outbox: Arc<O>) -> Result<Self, UplinkError> {
        rekam_envelope::check_station_id(&cfg.station_id)
            .map_err(|e| UplinkError::Config(e.to_string()))?;
        Ok(Self {
            cfg,
            outbox,
            alt_ids: Mutex::new(HashMap::new()),
        })
    }

    /// The settings.
    pub fn config(&self) -> &UplinkConfig {
        &self.cfg
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&O) -> Result<T, OutboxError> + Send + 'static,
    ) -> Result<T, UplinkError> {
        let o = Arc::clone(&self.outbox);
        tokio::task::spawn_blocking(move || f(&o))
            .await
            .map_err(|e| UplinkError::Outbox(OutboxError::Store(e.to_string())))?
            .map_err(UplinkError::from)
    }

    /// Checks a stored envelope before it leaves: parses, belongs to this station and record,
    /// outer signature valid.
    fn check(&self, id: Uuid, bytes: &[u8]) -> Result<(), UplinkError> {
        let damaged = |reason: String| UplinkError::Damaged { id, reason };
        let env = rekam_envelope::Envelope::parse(bytes).map_err(|e| damaged(e.to_string()))?;
        if env.header.record_id != id {
            return Err(damaged(format!(
                "it holds record {}, not {id}",
                env.header.record_id
            )));
        }
        if env.header.station_id != self.cfg.station_id {
            return Err(damaged(format!(
                "it is station {}'s, this is station {}",
                env.header.station_id, self.cfg.station_id
            )));
        }
        env.verify(&self.cfg.station_key)
            .map_err(|e| damaged(e.to_string()))
    }

    fn msg_id(&self, plain: String) -> String {
        let alts = self.alt_ids.lock().unwrap_or_else(|p| p.into_inner());
        match alts.get(&plain) {
            Some(n) => format!("{plain}~{n}"),
            None => plain,
        }
    }

    /// Publishes one message and waits for its PubAck; a duplicate answer or a per-subject
    /// refusal is checked against what the server stores under the subject.
    async fn publish(
        &self,
        conn: &Connection,
        subject: String,
        plain_id: String,
        headers: async_nats::HeaderMap,
        payload: &[u8],
    ) -> Result<Stored, UplinkError> {
        let msg_id = self.msg_id(plain_id.clone());
        let mut headers = headers;
        headers.insert(wire::H_MSG_ID, msg_id.as_str());
        let ack = conn
            .js
            .publish_with_headers(subject.clone(), headers, Bytes::copy_from_slice(payload))
            .await
            .map_err(|e| UplinkError::Transport(format!("{subject}: {e}")))?
            .await;
        match ack {
            Ok(ack) if !ack.duplicate => Ok(Stored::New(ack.sequence)),
            Ok(_) => self.check_stored(conn, subject, &plain_id, payload).await,
            Err(e) if refused_per_subject(&e) => {
                self.check_stored(conn, subject, &plain_id, payload).await
            }
            Err(e) => Err(UplinkError::Transport(format!("{subject}: {e}"))),
        }
    }

    async fn check_stored(
        &self,
        conn: &Connection,
        subject: String,
        plain_id: &str,
        payload: &[u8],
    ) -> Result<Stored, UplinkError> {
        use async_nats::jetstream::stream::LastRawMessageErrorKind as K;
        match conn.records.get_last_raw_message_by_subject(&subject).await {
            Ok(m) if m.payload.as_ref() == payload => Ok(Stored::Duplicate(m.sequence)),
            Ok(_) => Err(UplinkError::Conflict { subject }),
            Err(e) if matches!(e.kind(), K::NoMessageFound) => {
                let mut alts = self.alt_ids.lock().unwrap_or_else(|p| p.into_inner());
                *alts.entry(plain_id.to_string()).or_insert(0) += 1;
                tracing::warn!(%subject, "the server answered duplicate but holds no copy; resending under another message id");
                Err(UplinkError::DuplicateMissing { subject })
            }
            Err(e) => Err(UplinkError::Transport(format!("{subject}: {e}"))),
        }
    }

    /// Uploads one record: its parts, then its record message. Returns how the record message
    /// was stored. Does not mark the outbox.
    pub async fn upload(
        &self,
        conn: &Connection,
        id: Uuid,
        envelope: &[u8],
    ) -> Result<Stored, UplinkError> {
        self.check(id, envelope)?;
        let station = &self.cfg.station_id;
        let parts = wire::split(envelope, conn.part_size);
        let (last, earlier) = parts.split_last().unwrap_or((&envelope, &[]));
        for (n, part) in earlier.iter().enumerate() {
            let plain = format!("{id}.{n}");
            let stored = self
                .publish(
                    conn,
                    wire::part_subject(station, id, n),
                    plain.clone(),
                    wire::part_headers(&plain, n),
                    part,
                )
                .await?;
            tracing::trace!(%id, part = n, ?stored, "part stored");
        }
        let plain = id.to_string();
        let stored = self
            .publish(
                conn,
                wire::record_subject(station, id),
                plain.clone(),
                wire::record_headers(&plain, parts.len(), envelope),
                last,
            )
            .await?;
        tracing::debug!(%id, parts = parts.len(), ?stored, "record stored");
        Ok(stored)
    }

    /// Sends every pending record once, oldest first, marking each uploaded on its PubAck.
    /// Stops at the first failure of the server or the outbox (the caller backs off); a damaged
    /// envelope or a conflict is reported and skipped.
    pub async fn drain(&self, conn: &Connection) -> Result<DrainReport, UplinkError> {
        let mut report = DrainReport::default();
        self.drain_into(conn, &mut report).await?;
        Ok(report)
    }

    /// [`Uplink::drain`], counting into `report` as it goes, so that what a failed drain did
    /// before it failed is counted too.
    async fn drain_into(
        &self,
        conn: &Connection,
        report: &mut DrainReport,
    ) -> Result<(), UplinkError> {
        report.damaged.clear();
        report.conflicts.clear();
        let pending = self.blocking(|o| o.pending()).await?;
        for id in pending {
            let bytes = self.blocking(move |o| o.read(id)).await?;
            match self.upload(conn, id, &bytes).await {
                Ok(stored) => {
                    let receipt = Receipt {
                        sequence: stored.sequence(),
                        duplicate: matches!(stored, Stored::Duplicate(_)),
                    };
                    self.blocking(move |o| o.mark_uploaded(id, &receipt))
                        .await?;
                    match stored {
                        Stored::New(_) => report.uploaded += 1,
                        Stored::Duplicate(_) => report.duplicates += 1,
                    }
                }
                Err(e @ UplinkError::Damaged { .. }) => {
                    tracing::error!(%id, error = %e, "not sent");
                    report.damaged.push(id);
                }
                Err(e @ UplinkError::Conflict { .. }) => {
                    tracing::error!(%id, error = %e, "not sent");
                    report.conflicts.push(id);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Connects and drains until nothing sendable is pending, retrying failures with
    /// exponential backoff and full jitter for as long as it takes. Returns the summed report.
    pub async fn run_until_drained(&self) -> Result<DrainReport, UplinkError> {
        let mut backoff = Backoff::new(
            self.cfg.backoff_base,
            self.cfg.backoff_cap,
            self.cfg.backoff_seed,
        );
        let mut total = DrainReport::default();
        let mut conn: Option<Connection> = None;
        loop {
            if conn.is_none() {
                match connect(&self.cfg).await {
                    Ok(c) => conn = Some(c),
                    Err(e) if e.kind() == ErrorKind::Unavailable => {
                        let wait = backoff.next_delay();
                        tracing::warn!(error = %e, attempt = backoff.attempts(), ?wait, "centre unreachable; retrying");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            let Some(c) = conn.as_ref() else { continue };
            match self.drain_into(c, &mut total).await {
                Ok(()) => {
                    let stuck = total.damaged.len() + total.conflicts.len();
                    let left = self.blocking(|o| o.pending()).await?.len();
                    if left <= stuck {
                        return Ok(total);
                    }
                    backoff.reset();
                }
                Err(e) if e.kind() == ErrorKind::Unavailable => {
                    let wait = backoff.next_delay();
                    tracing::warn!(error = %e, attempt = backoff.attempts(), ?wait, "upload interrupted; retrying");
                    tokio::time::sleep(wait).await;
                    if !matches!(e, UplinkError::DuplicateMissing { .. })
                        && c.client.connection_state() != async_nats::connection::State::Connected
                    {
                        // The client reconnects by itself; a fresh connection also looks the
                        // streams up again (a restarted server may have moved them).
                        conn = None;
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Receives the centre's statuses for this station (a durable consumer, so answers sent
    /// while the station was away arrive later) and marks each record acknowledged, until
    /// `stop` turns true. Returns how many statuses it handled.
    pub async fn listen_statuses(
        &self,
        conn: &Connection,
        mut stop: watch::Receiver<bool>,
    ) -> Result<u64, UplinkError> {
        use async_nats::jetstream::consumer::{pull, AckPolicy};
        let name = format!("station-{}", self.cfg.station_id);
        let consumer: jetstream::consumer::Consumer<pull::Config> = conn
            .status
            .get_or_create_consumer(
                &name,
                pull::Config {
                    durable_name: Some(name.clone()),
                    filter_subject: format!("rekam.status.{}.>", self.cfg.station_id),
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(30),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| UplinkError::Transport(format!("status consumer {name}: {e}")))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| UplinkError::Transport(format!("status consumer {name}: {e}")))?;
        let mut handled = 0u64;
        loop {
            if *stop.borrow() {
                return Ok(handled);
            }
            let next = tokio::select! {
                m = messages.next() => m,
                _ = stop.changed() => continue,
            };
            let msg = match next {
                Some(Ok(m)) => m,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "status stream interrupted");
                    continue;
                }
                None => return Ok(handled),
            };
            match serde_json::from_slice::<StatusMessage>(&msg.payload) {
                Ok(s) => {
                    let id = s.record_id;
                    let status = s.status.clone();
                    match self
                        .blocking(move |o| o.mark_acknowledged(id, &status))
                        .await
                    {
                        Ok(()) => {
                            tracing::info!(%id, status = ?s.status, "the centre answered");
                            handled += 1;
                            ack(&msg, jetstream::AckKind::Ack).await;
                        }
                        Err(UplinkError::Outbox(OutboxError::NotFound(_))) => {
                            tracing::warn!(%id, "the centre answered about a record this station does not hold");
                            ack(&msg, jetstream::AckKind::Term).await;
                        }
                        // The store failed: leave the message unacknowledged; it comes again.
                        Err(e) => {
                            tracing::error!(%id, error = %e, "cannot record the centre's answer");
                            ack(&msg, jetstream::AckKind::Nak(Some(Duration::from_secs(5)))).await;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(subject = %msg.subject, error = %e, "not a status message; dropped");
                    ack(&msg, jetstream::AckKind::Term).await;
                }
            }
        }
    }
}

async fn ack(msg: &jetstream::Message, kind: jetstream::AckKind) {
    if let Err(e) = msg.ack_with(kind).await {
        tracing::warn!(error = %e, "could not acknowledge a status message; it may come again");
    }
}

/// Whether the server refused a publish because the subject already holds its one message
/// (JetStream error 10077, "maximum messages per subject exceeded").
pub fn refused_per_subject(e: &async_nats::jetstream::context::PublishError) -> bool {
    use std::error::Error as _;
    e.source()
        .and_then(|s| s.downcast_ref::<async_nats::jetstream::Error>())
        .is_some_and(|j| {
            j.error_code() == async_nats::jetstream::ErrorCode::STREAM_STORE_FAILED
                && j.to_string().contains("maximum messages per subject")
        })
}

/// The centre's side of a record: given the record message, fetches its earlier parts from
/// the stream, and returns the whole envelope after checking its size and SHA-256.
pub async fn assemble(
    records: &Stream,
    station: &str,
    id: Uuid,
    headers: &async_nats::HeaderMap,
    last: &[u8],
) -> Result<Vec<u8>, UplinkError> {
    let get = |name: &str| -> Result<usize, UplinkError> {
        headers
            .get(name)
            .and_then(|v| v.as_str().parse().ok())
            .ok_or_else(|| UplinkError::Damaged {
                id,
                reason: format!("the record message lacks a valid {name} header"),
            })
    };
    let parts = get(wire::H_PARTS)?;
    let size = get(wire::H_SIZE)?;
    if parts == 0 || size > rekam_envelope::MAX_CIPHERTEXT + 4096 {
        return Err(UplinkError::Damaged {
            id,
            reason: format!("{parts} parts, {size} bytes"),
        });
    }
    let mut out = Vec::with_capacity(size);
    for n in 0..parts - 1 {
        let subject = wire::part_subject(station, id, n);
        let m = records
            .get_last_raw_message_by_subject(&subject)
            .await
            .map_err(|e| UplinkError::Transport(format!("{subject}: {e}")))?;
        out.extend_from_slice(&m.payload);
        if out.len() > size {
            break;
        }
    }
    out.extend_from_slice(last);
    let want = headers.get(wire::H_SHA256).map(|v| v.as_str().to_string());
    if out.len() != size || want.as_deref() != Some(wire::sha256_hex(&out).as_str()) {
        return Err(UplinkError::Damaged {
            id,
            reason: "its parts do not add up to the size and SHA-256 in its record message".into(),
        });
    }
    Ok(out)
}
