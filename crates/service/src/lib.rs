//! Rekam's office workflow: the published service standard (standar pelayanan) of a KTP-el
//! office, as software.
//!
//! An office's standard is configuration ([`OfficeConfig`], `config/office.toml`): its
//! services, the requirements of each, its time limits on a working calendar, its complaint
//! channels and its staff. [`Service`] runs that standard over the station's sled database:
//!
//! - queue tickets per service with a prefix, reset daily ([`ticket`]);
//! - applications moving through one state machine whose every step checks the actor's role
//!   and appends to an audit trail ([`application`]): file check (with the slip of what is
//!   missing, and the age rule), supervisor verification, recording (linked later to the
//!   pipeline's enrollment record), the register book entry, printing or sending for printing,
//!   the pickup register and the handover;
//! - the time limit of each application, its breach and its extension (001's 24 hours);
//! - the complaint book and its quarterly recap ([`complaint`]);
//! - the satisfaction survey, SKM, per PermenPAN-RB 14/2017 ([`skm`]);
//! - daily and monthly reports as CSV and as a printable page ([`report`]);
//! - the `rekam service …` subcommands ([`cli`]).
//!
//! ```
//! use std::sync::Arc;
//! use rekam_service::{OfficeConfig, Service, ServiceOptions, TestClock, Role};
//! use time::macros::datetime;
//!
//! let office = OfficeConfig::load(std::path::Path::new(concat!(
//!     env!("CARGO_MANIFEST_DIR"), "/../../config/offices/kedopok.toml")))?;
//! let db = sled::Config::new().temporary(true).open()?;
//! let dir = tempfile::tempdir()?;
//! let journal = dir.path().join("service.journal");
//! let clock = Arc::new(TestClock::new(datetime!(2026-03-02 08:00 +7)));
//! let svc = Service::open_with(&db, &journal, office, clock, ServiceOptions::fast_for_tests())?;
//! svc.create_account(None, "camat", "Camat Kedopok", &[Role::HeadOfOffice], "rahasia-123")?;
//! let camat = svc.authenticate("camat", "rahasia-123")?;
//! assert!(camat.has(Role::HeadOfOffice));
//! let t = svc.take_ticket("perekaman")?;
//! assert_eq!(t.number, "A001");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

use std::sync::Arc;

use time::OffsetDateTime;

pub mod accounts;
pub mod application;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod complaint;
pub mod config;
pub mod datefmt;
pub mod eligibility;
mod error;
mod lang;
pub mod nik;
pub mod report;
pub mod skm;
pub mod stats;
pub mod store;
pub mod ticket;

#[cfg(test)]
mod testutil;

pub use accounts::{Actor, Role};
pub use application::{Action, Application, State};
pub use clock::{Clock, SystemClock, TestClock};
pub use config::OfficeConfig;
pub use error::{Error, ErrorKind, Result};
pub use lang::{Lang, Msg};
pub use sled;

/// Options of a [`Service`] that are not part of the office's standard.
#[derive(Debug, Clone, Default)]
pub struct ServiceOptions {
    /// Argon2id parameters for new password hashes; the default is argon2's (19 MiB, 2 passes,
    /// 1 lane). Verification always uses the parameters stored in the hash.
    pub password_params: argon2::Params,
}

impl ServiceOptions {
    /// Cheap Argon2id parameters (64 KiB, 1 pass) so that tests creating many accounts stay
    /// fast in debug builds. Never for a station.
    pub fn fast_for_tests() -> ServiceOptions {
        ServiceOptions {
            password_params: argon2::Params::new(64, 1, 1, None)
                .unwrap_or_else(|_| argon2::Params::default()),
        }
    }
}

/// The office's workflow over the station's database.
#[derive(Debug)]
pub struct Service {
    db: sled::Db,
    trees: store::Trees,
    durable: store::Durable,
    office: OfficeConfig,
    clock: Arc<dyn Clock>,
    options: ServiceOptions,
}

impl Service {
    /// Opens the workflow on the caller's database (in its `service.*` trees) and the journal
    /// at `journal` (created 0600 if missing), with the default options. The journal is the
    /// durable copy of every step; sled is rebuilt from it when it is behind, lost or damaged
    /// (see [`Service::recovered`]).
    pub fn open(
        db: &sled::Db,
        journal: &std::path::Path,
        office: OfficeConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Service> {
        Service::open_with(db, journal, office, clock, ServiceOptions::default())
    }

    /// Opens with explicit options.
    pub fn open_with(
        db: &sled::Db,
        journal: &std::path::Path,
        office: OfficeConfig,
        clock: Arc<dyn Clock>,
        options: ServiceOptions,
    ) -> Result<Service> {
        let trees = store::Trees::open(db)?;
        let durable = store::Durable::open(&trees, journal)?;
        tracing::debug!(office = %office.office.code, "service store opened");
        Ok(Service {
            db: db.clone(),
            trees,
            durable,
            office,
            clock,
            options,
        })
    }

    /// The office's configuration.
    pub fn office(&self) -> &OfficeConfig {
        &self.office
    }

    /// Now, in the office's zone.
    pub fn now(&self) -> OffsetDateTime {
        self.local(self.clock.now())
    }

    /// `t` in the office's zone.
    pub fn local(&self, t: OffsetDateTime) -> OffsetDateTime {
        self.office.calendar.local(t)
    }

    /// Today's date at the office.
    pub fn today(&self) -> time::Date {
        self.now().date()
    }

    /// What opening found in the journal and sled, and what it repaired.
    pub fn recovered(&self) -> &store::Recovered {
        &self.durable.recovered
    }

    /// Runs one step: its writes are journalled and fsynced, then applied to sled, before it
    /// returns; nothing is written when it fails.
    pub(crate) fn step<R>(&self, f: impl FnOnce(&mut store::Tx<'_>) -> Result<R>) -> Result<R> {
        self.durable.step(&self.trees, f)
    }

    /// Writes sled's cache to disk (sled's flush). Every step is durable in the journal
    /// already; this only spares the next start a rebuild.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// The audit trail between two instants (inclusive start, exclusive end).
    pub fn audit_trail(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<store::AuditEntry>> {
        let mut out = Vec::new();
        for kv in self
            .trees
            .audit
            .range(store::audit_key(from, 0)..store::audit_key(to, 0))
        {
            let (_, v) = kv?;
            out.push(store::decode(&v)?);
        }
        Ok(out)
    }

    /// Records an action taken on the station outside the application workflow (the head of
    /// service resolving a missing record, for one) in the audit trail, as its own journalled
    /// step. `actor` must hold `role`. `detail` is kept in the audit trail: no personal data.
    pub fn audit_station_action(
        &self,
        actor: &Actor,
        role: Role,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<()> {
        actor.require(&[role], action, action)?;
        self.step(|tx| self.audit_plain(tx, actor.username(), Some(role), action, subject, detail))
    }

    /// Adds an audit entry, stamped now, to the step.
    pub(crate) fn audit_plain(
        &self,
        tx: &mut store::Tx<'_>,
        account: &str,
        role: Option<Role>,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<()> {
        let e = store::AuditEntry {
            at: self.now(),
            account: account.to_string(),
            role,
            action: action.to_string(),
            subject: subject.to_string(),
            detail: detail.to_string(),
        };
        tx.audit(&e)?;
        tracing::info!(action, subject, account, "service action");
        Ok(())
    }
}
