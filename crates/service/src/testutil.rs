//! Shared helpers for the unit tests.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use time::macros::{date, datetime};

use crate::application::{Applicant, Application, NewApplication};
use crate::config::Party;
use crate::eligibility::MaritalStatus;
use crate::nik::{FamilyCardNo, Nik};
use crate::{Actor, OfficeConfig, Role, Service, ServiceOptions, TestClock};

pub const KEDOPOK: &str = include_str!("../../../config/offices/kedopok.toml");
pub const LUMAJANG: &str = include_str!("../../../config/offices/lumajang.toml");
pub const SUMBA_TIMUR: &str = include_str!("../../../config/offices/sumba-timur.toml");
pub const KEBASEN: &str = include_str!("../../../config/offices/kebasen.toml");
pub const YOSOWILANGUN: &str = include_str!("../../../config/offices/yosowilangun.toml");

pub const PW: &str = "rahasia-123";

pub fn office(text: &str) -> OfficeConfig {
    OfficeConfig::parse(text).unwrap()
}

/// A service on a temporary database and journal (in the returned folder), the clock at
/// Monday 2 March 2026, 08:00 WIB.
pub fn service(text: &str) -> (Service, Arc<TestClock>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new().temporary(true).open().unwrap();
    let clock = Arc::new(TestClock::new(datetime!(2026-03-02 08:00 +7)));
    let svc = Service::open_with(
        &db,
        &dir.path().join("service.journal"),
        office(text),
        clock.clone(),
        ServiceOptions::fast_for_tests(),
    )
    .unwrap();
    (svc, clock, dir)
}

/// Creates one account per role (password [`PW`]) and returns the head of office.
pub fn staff(svc: &Service) -> Actor {
    svc.create_account(None, "camat", "Camat", &[Role::HeadOfOffice], PW)
        .unwrap();
    let camat = svc.authenticate("camat", PW).unwrap();
    for (u, r) in [
        ("loket", Role::FrontOffice),
        ("operator", Role::Operator),
        ("kasi", Role::Supervisor),
        ("cetak", Role::PrintingOperator),
        ("teknisi", Role::Technician),
        ("ani", Role::Operator),
    ] {
        svc.create_account(Some(&camat), u, u, &[r], PW).unwrap();
    }
    camat
}

pub fn adult() -> Applicant {
    Applicant {
        name: "Siti Aminah".into(),
        nik: Nik::parse("3574015203990001").unwrap(),
        birth_date: date!(1999 - 03 - 12),
        marital: MaritalStatus::Single,
        family_card: Some(FamilyCardNo::parse("3574010101200001").unwrap()),
        address: Some("Jl. Mawar 1".into()),
    }
}

pub fn open(svc: &Service, by: &Actor, service: &str, applicant: Applicant) -> Application {
    svc.open_application(
        by,
        NewApplication {
            service: service.into(),
            ticket: None,
            applicant,
            submitted_by: Party::Person,
            representative: None,
        },
    )
    .unwrap()
}
