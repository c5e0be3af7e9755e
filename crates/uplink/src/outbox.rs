//! The station's outbox as the uplink sees it. The station's durable store implements
//! [`Outbox`]; [`MemoryOutbox`] is the reference implementation the tests use.

use std::collections::BTreeMap;
use std::sync::Mutex;

use uuid::Uuid;

use crate::wire::CentreStatus;

/// What the server answered for a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The record message's sequence number in the stream.
    pub sequence: u64,
    /// Whether the server already held it (a resend).
    pub duplicate: bool,
}

/// An outbox failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    /// No such record in the outbox.
    #[error("record {0} is not in the station's store")]
    NotFound(Uuid),
    /// The store could not be read or written.
    #[error("the station's store failed: {0}")]
    Store(String),
}

/// The durable queue of sealed envelopes.
///
/// Contract: a record is *pending* from sealing until `mark_uploaded` or `mark_acknowledged`;
/// marks are durable when they return; `mark_acknowledged` may come before `mark_uploaded`
/// (the centre can answer before the PubAck is handled), and a later `mark_uploaded` must not
/// undo it. Calls may block (they run on tokio's blocking pool).
pub trait Outbox: Send + Sync + 'static {
    /// The records not yet uploaded, oldest first.
    fn pending(&self) -> Result<Vec<Uuid>, OutboxError>;
    /// The sealed envelope of a record.
    fn read(&self, id: Uuid) -> Result<Vec<u8>, OutboxError>;
    /// The server holds the record (its PubAck arrived).
    fn mark_uploaded(&self, id: Uuid, receipt: &Receipt) -> Result<(), OutboxError>;
    /// The centre answered.
    fn mark_acknowledged(&self, id: Uuid, status: &CentreStatus) -> Result<(), OutboxError>;
}

/// Where a record is in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Sealed, waiting to be sent.
    Pending,
    /// Held by the server.
    Uploaded(Receipt),
    /// Answered by the centre.
    Acknowledged(CentreStatus),
}

#[derive(Debug)]
struct Entry {
    bytes: Vec<u8>,
    state: State,
    uploaded_marks: u32,
}

/// An outbox in memory (tests, and the reference for the store's implementation).
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    entries: Mutex<BTreeMap<(u64, Uuid), Entry>>,
    next: Mutex<u64>,
}

impl MemoryOutbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a sealed envelope.
    pub fn insert(&self, id: Uuid, bytes: Vec<u8>) {
        let mut n = self.next.lock().unwrap_or_else(|p| p.into_inner());
        *n += 1;
        self.lock().insert(
            (*n, id),
            Entry {
                bytes,
                state: State::Pending,
                uploaded_marks: 0,
            },
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(u64, Uuid), Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with<T>(&self, id: Uuid, f: impl FnOnce(&mut Entry) -> T) -> Result<T, OutboxError> {
        let mut m = self.lock();
        m.iter_mut()
            .find(|((_, k), _)| *k == id)
            .map(|(_, e)| f(e))
            .ok_or(OutboxError::NotFound(id))
    }

    /// A record's state.
    pub fn state(&self, id: Uuid) -> Option<State> {
        self.with(id, |e| e.state.clone()).ok()
    }

    /// Puts a record back to pending, as a station that crashed before writing its mark.
    pub fn forget_upload(&self, id: Uuid) {
        let _ = self.with(id, |e| e.state = State::Pending);
    }

    /// How many times `mark_uploaded` was called for a record.
    pub fn uploaded_marks(&self, id: Uuid) -> u32 {
        self.with(id, |e| e.uploaded_marks).unwrap_or(0)
    }

    /// Counts of (pending, uploaded, acknowledged).
    pub fn counts(&self) -> (usize, usize, usize) {
        let m = self.lock();
        let mut c = (0, 0, 0);
        for e in m.values() {
            match e.state {
                State::Pending => c.0 += 1,
                State::Uploaded(_) => c.1 += 1,
                State::Acknowledged(_) => c.2 += 1,
            }
        }
        c
    }
}

impl Outbox for MemoryOutbox {
    fn pending(&self) -> Result<Vec<Uuid>, OutboxError> {
        Ok(self
            .lock()
            .iter()
            .filter(|(_, e)| e.state == State::Pending)
            .map(|((_, id), _)| *id)
            .collect())
    }

    fn read(&self, id: Uuid) -> Result<Vec<u8>, OutboxError> {
        self.with(id, |e| e.bytes.clone())
    }

    fn mark_uploaded(&self, id: Uuid, receipt: &Receipt) -> Result<(), OutboxError> {
        self.with(id, |e| {
            e.uploaded_marks += 1;
            if !matches!(e.state, State::Acknowledged(_)) {
                e.state = State::Uploaded(receipt.clone());
            }
        })
    }

    fn mark_acknowledged(&self, id: Uuid, status: &CentreStatus) -> Result<(), OutboxError> {
        self.with(id, |e| e.state = State::Acknowledged(status.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_move_forward_only() {
        let o = MemoryOutbox::new();
        let (a, b) = (Uuid::from_u128(2), Uuid::from_u128(1));
        o.insert(a, vec![1]);
        o.insert(b, vec![2]);
        assert_eq!(o.pending().expect("pending"), vec![a, b], "oldest first");
        o.mark_acknowledged(a, &CentreStatus::Received)
            .expect("ack");
        let r = Receipt {
            sequence: 9,
            duplicate: false,
        };
        o.mark_uploaded(a, &r).expect("uploaded");
        assert_eq!(
            o.state(a),
            Some(State::Acknowledged(CentreStatus::Received))
        );
        assert_eq!(o.pending().expect("pending"), vec![b]);
        assert!(matches!(
            o.read(Uuid::from_u128(3)),
            Err(OutboxError::NotFound(_))
        ));
    }
}
