//! The enrollment pipeline: one person's recording from the header to a signed record that no
//! power cut can lose.
//!
//! [`session::Session`] is the state machine (steps, quality gates, exceptions, redo);
//! [`nik`] checks the ID number; [`Enrollment::seal_and_commit`] builds the record, signs it
//! with the station key and commits it durably to the store, after the recording-once rule.
#![warn(missing_docs)]

pub mod assess;
pub mod engine;
pub mod nik;
pub mod session;

use rekam_record::{seal, Service, StationKey};
use rekam_store::{Entry, Store};

pub use assess::StandardAssessor;
pub use session::{Decision, Gate, Gates, Session, SessionError, Step};

/// Why a recording cannot be saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The session is not complete.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// This person already has a record on this station.
    #[error("this NIK was already recorded on this station (record {record_id}, sealed {sealed_at}); a person is recorded once: for a lost or damaged card or a data change, choose that service")]
    AlreadyRecorded {
        /// The earlier record.
        record_id: String,
        /// When.
        sealed_at: String,
    },
    /// Signing failed.
    #[error(transparent)]
    Record(#[from] rekam_record::RecordError),
    /// Saving failed (nothing already saved is lost).
    #[error(transparent)]
    Store(#[from] rekam_store::StoreError),
}

/// The recording-once rule: a NIK with a record on this station is refused unless the service
/// allows a new recording. The NIK is compared in its canonical form
/// ([`rekam_record::canonical_nik`]), as the store indexes it; a record whose file went missing
/// still counts until the head of service resolves it (`Store::resolve_missing`).
pub fn check_recording_once(
    store: &Store,
    nik: &str,
    service: Service,
) -> Result<(), PipelineError> {
    if service.allows_rerecording() {
        return Ok(());
    }
    let nik = rekam_record::canonical_nik(nik).map_err(rekam_record::RecordError::from)?;
    let earlier = store
        .find_by_nik(&nik)?
        .into_iter()
        .find(|e| e.state.counts_as_recorded());
    match earlier {
        Some(e) => Err(PipelineError::AlreadyRecorded {
            record_id: e.record_id,
            sealed_at: e.sealed_at,
        }),
        None => Ok(()),
    }
}

/// Who saves the record, and with what.
#[derive(Debug)]
pub struct Enrollment<'a> {
    /// Station id.
    pub station_id: &'a str,
    /// Operator id.
    pub operator_id: &'a str,
    /// The station key.
    pub key: &'a StationKey,
    /// The store.
    pub store: &'a Store,
}

impl Enrollment<'_> {
    /// Builds the record from a complete session, signs it, and commits it durably. When this
    /// returns, the operator may be told "saved".
    pub fn seal_and_commit(&self, session: &Session) -> Result<Entry, PipelineError> {
        // Checked on the canonical header, the form that is sealed.
        let person = session
            .person()
            .canonical()
            .map_err(rekam_record::RecordError::from)?;
        check_recording_once(self.store, &person.nik, person.service)?;
        let (manifest, files) =
            session.build(self.station_id, self.operator_id, &self.key.public_hex())?;
        let bytes = seal(&manifest, &files, self.key)?;
        Ok(self.store.commit(&bytes)?)
    }
}
