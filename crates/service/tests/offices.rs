//! End to end: each seed office's configuration, loaded from `config/offices/`, driven through
//! its own published standard. Every assertion is something a clerk would check.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::PathBuf;
use std::sync::Arc;

use rekam_service::application::{Applicant, Handover, NewApplication, OldCard};
use rekam_service::complaint::{Complainant, ComplaintStatus, NewComplaint, ReplyVia};
use rekam_service::config::{ChannelKind, ExtensionReason, Party};
use rekam_service::eligibility::MaritalStatus;
use rekam_service::nik::{FamilyCardNo, Nik};
use rekam_service::skm::Grade;
use rekam_service::{
    Action, Actor, ErrorKind, Lang, OfficeConfig, Role, Service, ServiceOptions, State, TestClock,
};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const PW: &str = "rahasia-123";

struct Office {
    svc: Service,
    clock: Arc<TestClock>,
    loket: Actor,
    operator: Actor,
    kasi: Actor,
    cetak: Actor,
    camat: Actor,
    _dir: tempfile::TempDir,
}

fn office_text(file: &str) -> String {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/offices")).join(file);
    std::fs::read_to_string(p).unwrap()
}

fn at(file: &str, start: OffsetDateTime) -> Office {
    at_with(OfficeConfig::parse(&office_text(file)).unwrap(), start)
}

fn at_with(config: OfficeConfig, start: OffsetDateTime) -> Office {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TestClock::new(start));
    let svc = Service::open_with(
        &db,
        &dir.path().join("service.journal"),
        config,
        clock.clone(),
        ServiceOptions::fast_for_tests(),
    )
    .unwrap();
    svc.create_account(None, "camat", "Camat", &[Role::HeadOfOffice], PW)
        .unwrap();
    let camat = svc.authenticate("camat", PW).unwrap();
    for (u, r) in [
        ("loket", Role::FrontOffice),
        ("operator", Role::Operator),
        ("kasi", Role::Supervisor),
        ("cetak", Role::PrintingOperator),
    ] {
        svc.create_account(Some(&camat), u, u, &[r], PW).unwrap();
    }
    Office {
        loket: svc.authenticate("loket", PW).unwrap(),
        operator: svc.authenticate("operator", PW).unwrap(),
        kasi: svc.authenticate("kasi", PW).unwrap(),
        cetak: svc.authenticate("cetak", PW).unwrap(),
        camat,
        svc,
        clock,
        _dir: dir,
    }
}

fn person(nik: &str, birth: time::Date, marital: MaritalStatus) -> Applicant {
    Applicant {
        name: "Maria Rambu".into(),
        nik: Nik::parse(nik).unwrap(),
        birth_date: birth,
        marital,
        family_card: Some(FamilyCardNo::parse("5311010101100001").unwrap()),
        address: Some("Jl. Umbu Tipuk 3".into()),
    }
}

impl Office {
    /// Ticket, call, open the application; returns its id.
    fn arrive(&self, service: &str, applicant: Applicant, by: Party, rep: Option<&str>) -> String {
        let t = self.svc.take_ticket(service).unwrap();
        let called = self
            .svc
            .call_next(&self.loket, "Loket 1", Some(service))
            .unwrap();
        assert_eq!(called.number, t.number);
        self.svc
            .open_application(
                &self.loket,
                NewApplication {
                    service: service.into(),
                    ticket: Some(t.number),
                    applicant,
                    submitted_by: by,
                    representative: rep.map(str::to_string),
                },
            )
            .unwrap()
            .id
    }

    fn check(&self, id: &str, have: &[&str]) -> rekam_service::Application {
        self.svc
            .apply(
                &self.loket,
                id,
                Action::CheckFile {
                    ticked: have.iter().map(|s| s.to_string()).collect(),
                },
            )
            .unwrap()
    }

    fn approve_record_register(&self, id: &str) -> rekam_service::Application {
        self.svc
            .apply(
                &self.kasi,
                id,
                Action::Approve {
                    initials: "SR".into(),
                },
            )
            .unwrap();
        self.svc
            .apply(&self.operator, id, Action::Record { record_id: None })
            .unwrap();
        self.svc
            .apply(&self.operator, id, Action::Register)
            .unwrap()
    }
}

// ---- Kedopok (004): recording, 30 minutes -------------------------------------------------

#[test]
fn kedopok_thirty_minute_recording_breached_and_flagged() {
    let o = at("kedopok.toml", datetime!(2026-03-02 09:00 +7));
    let id = o.arrive(
        "perekaman",
        person(
            "3574014506000002",
            date!(2000 - 06 - 05),
            MaritalStatus::Single,
        ),
        Party::Person,
        None,
    );
    let a = o.check(&id, &["kk_copy"]);
    assert_eq!(a.state, State::FileChecked);
    assert_eq!(a.deadline, Some(datetime!(2026-03-02 09:30 +7)));
    o.svc
        .apply(
            &o.kasi,
            &id,
            Action::Approve {
                initials: "SR".into(),
            },
        )
        .unwrap();
    // The recording takes long: at 09:31 the clerk's list flags it.
    o.clock.advance(Duration::minutes(31));
    o.svc
        .apply(&o.operator, &id, Action::Record { record_id: None })
        .unwrap();
    let overdue = o.svc.overdue().unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].id, id);
    let t = overdue[0].time_status(o.svc.now()).unwrap();
    assert!(t.breached && !t.completed);
    assert_eq!(t.left, Duration::minutes(-1));
    // Step 6 (number and stamp) completes it, still breached.
    let a = o.svc.apply(&o.operator, &id, Action::Register).unwrap();
    let t = a.time_status(o.svc.now()).unwrap();
    assert!(t.completed && t.breached);
    assert_eq!(a.completion_time(), Some(Duration::minutes(31)));
    assert!(
        o.svc.overdue().unwrap().is_empty(),
        "completed: no longer in the overdue list"
    );
    // A recording-only office prints nothing.
    let e = o.svc.apply(&o.cetak, &id, Action::Print).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    let m = o.svc.monthly_report(&o.camat, 2026, 3, Lang::Id).unwrap();
    assert_eq!(m.services[0].breached_completed, 1);
    assert!(m.to_html(o.svc.office()).contains("30 menit"));
}

#[test]
fn kedopok_in_time_recording_is_not_flagged() {
    let o = at("kedopok.toml", datetime!(2026-03-02 09:00 +7));
    let id = o.arrive(
        "perekaman",
        person(
            "3574014506000002",
            date!(2000 - 06 - 05),
            MaritalStatus::Single,
        ),
        Party::Person,
        None,
    );
    o.check(&id, &["kk_copy"]);
    o.clock.advance(Duration::minutes(20));
    let a = o.approve_record_register(&id);
    let t = a.time_status(o.svc.now()).unwrap();
    assert!(t.completed && !t.breached);
    assert_eq!(t.left, Duration::minutes(10));
    assert_eq!(a.register.unwrap().number, "0001/KDP/03/2026");
}

// ---- Sumba Timur (001): new card, 1 hour, 24 hours on failure, WITA -----------------------

#[test]
fn sumba_timur_one_hour_extended_for_a_network_failure() {
    // 09:00 WITA on Monday 2 March 2026.
    let o = at("sumba-timur.toml", datetime!(2026-03-02 09:00 +8));
    let id = o.arrive(
        "new_card",
        person(
            "5311014506050001",
            date!(2005 - 06 - 05),
            MaritalStatus::Single,
        ),
        Party::Person,
        None,
    );
    let a = o.check(&id, &["kk_copy", "form_f102"]);
    let deadline = o.svc.local(a.deadline.unwrap());
    assert_eq!(deadline, datetime!(2026-03-02 10:00 +8));
    assert_eq!(deadline.offset().whole_hours(), 8, "shown in WITA");
    o.svc
        .apply(
            &o.kasi,
            &id,
            Action::Approve {
                initials: "YL".into(),
            },
        )
        .unwrap();
    o.clock.advance(Duration::minutes(40));
    // The network to the central database goes down; an operator cannot extend...
    let e = o
        .svc
        .extend_limit(
            &o.operator,
            &id,
            ExtensionReason::Network,
            "SIAK tidak terhubung",
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotPermitted);
    // ...the head of service does, with the reason.
    let a = o
        .svc
        .extend_limit(
            &o.kasi,
            &id,
            ExtensionReason::Network,
            "SIAK tidak terhubung",
        )
        .unwrap();
    assert_eq!(a.deadline, Some(datetime!(2026-03-03 09:00 +8)));
    let x = a.extension.as_ref().unwrap();
    assert_eq!(x.reason, ExtensionReason::Network);
    assert_eq!(x.previous_deadline, datetime!(2026-03-02 10:00 +8));
    assert_eq!(x.by, "kasi");
    // Only once.
    assert!(o
        .svc
        .extend_limit(&o.kasi, &id, ExtensionReason::Equipment, "x")
        .is_err());
    // The network comes back after five hours; recorded, registered, printed.
    o.clock.advance(Duration::hours(5));
    o.svc
        .apply(
            &o.operator,
            &id,
            Action::Record {
                record_id: Some("rec-42".into()),
            },
        )
        .unwrap();
    o.svc.apply(&o.operator, &id, Action::Register).unwrap();
    let a = o.svc.apply(&o.cetak, &id, Action::Print).unwrap();
    let t = a.time_status(o.svc.now()).unwrap();
    assert!(t.completed && !t.breached, "within the extended 24 hours");
    let audit = o
        .svc
        .audit_trail(
            datetime!(2026-03-02 00:00 +8),
            datetime!(2026-03-04 00:00 +8),
        )
        .unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "extend" && e.account == "kasi" && e.detail == "network"));
    // The printed card waits in the pickup register until the applicant comes (001 B.7).
    o.clock.advance(Duration::days(2));
    let waiting = o.svc.uncollected().unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].age, Duration::days(2));
}

#[test]
fn sumba_timur_without_extension_the_hour_is_breached() {
    let o = at("sumba-timur.toml", datetime!(2026-03-02 09:00 +8));
    let id = o.arrive(
        "new_card",
        person(
            "5311014506050001",
            date!(2005 - 06 - 05),
            MaritalStatus::Single,
        ),
        Party::Person,
        None,
    );
    o.check(&id, &["kk_copy", "form_f102"]);
    o.clock.advance(Duration::minutes(75));
    o.approve_record_register(&id);
    let a = o.svc.apply(&o.cetak, &id, Action::Print).unwrap();
    assert!(a.time_status(o.svc.now()).unwrap().breached);
}

#[test]
fn sumba_timur_sixteen_year_old_unmarried_refused_for_a_new_card() {
    let o = at("sumba-timur.toml", datetime!(2026-03-02 09:00 +8));
    // Born 10 August 2009: 16 on 2 March 2026, never married.
    let id = o.arrive(
        "new_card",
        person(
            "5311015008090001",
            date!(2009 - 08 - 10),
            MaritalStatus::Single,
        ),
        Party::Person,
        None,
    );
    let a = o.check(&id, &["kk_copy", "form_f102"]);
    let State::Refused { reason } = &a.state else {
        panic!("expected a refusal, got {:?}", a.state);
    };
    assert_eq!(
        reason.get(Lang::Id),
        "Pemohon berumur 16 tahun dan belum pernah kawin; KTP-el baru dapat diterbitkan mulai umur 17 tahun (10 Agustus 2026)."
    );
    assert!(reason.get(Lang::En).contains("is 16 and has never married"));
    assert!(a.deadline.is_none(), "a refused file starts no clock");
    // Refused is final: the head of service cannot approve it.
    assert_eq!(
        o.svc
            .apply(
                &o.kasi,
                &id,
                Action::Approve {
                    initials: "YL".into()
                }
            )
            .unwrap_err()
            .kind(),
        ErrorKind::Conflict
    );
    // The same age but married (001 A.1 a: "sudah kawin") is accepted.
    let id = o.arrive(
        "new_card",
        person(
            "5311015008090002",
            date!(2009 - 08 - 10),
            MaritalStatus::Married,
        ),
        Party::Person,
        None,
    );
    assert_eq!(
        o.check(&id, &["kk_copy", "form_f102"]).state,
        State::FileChecked
    );
}

// ---- Lumajang (002): four services, 1 working day -----------------------------------------

#[test]
fn lumajang_lost_card_without_police_report_is_returned_with_exactly_that_item() {
    let o = at("lumajang.toml", datetime!(2026-03-06 14:00 +7)); // a Friday
    let id = o.arrive(
        "lost",
        person(
            "3508014506900001",
            date!(1990 - 06 - 05),
            MaritalStatus::Married,
        ),
        Party::Person,
        None,
    );
    let a = o.check(&id, &["ktp_copy", "kk_copy"]);
    assert_eq!(a.missing(), ["police_report"]);
    assert!(
        a.deadline.is_none(),
        "the clock starts only when the file is complete"
    );
    let slip = o.svc.missing_slip(&a, Lang::Id).unwrap();
    assert!(
        slip.contains("  1. Surat laporan kehilangan dari kepolisian\n"),
        "{slip}"
    );
    assert!(!slip.contains("Fotokopi KTP"), "{slip}");
    assert!(!slip.contains("Kartu Keluarga"), "{slip}");
    assert!(!slip.contains("  2."), "{slip}");
    assert!(slip.contains("Kecamatan Lumajang"));
    let slip_en = o.svc.missing_slip(&a, Lang::En).unwrap();
    assert!(
        slip_en.contains("  1. Police report of the loss\n"),
        "{slip_en}"
    );
    // Back on Friday 15:00 with the report: accepted; one working day → Monday 15:00.
    o.clock.advance(Duration::hours(1));
    let a = o.check(&id, &["ktp_copy", "police_report", "kk_copy"]);
    assert_eq!(a.state, State::FileChecked);
    assert_eq!(a.deadline, Some(datetime!(2026-03-09 15:00 +7)));
    o.approve_record_register(&id);
    o.svc.apply(&o.cetak, &id, Action::Print).unwrap();
    // A replacement records the old card at handover.
    let h = Handover {
        party: Party::Person,
        name: String::new(),
        nik: None,
        family_card: None,
        letter: None,
        old_card: None,
        ikd_registered: None,
    };
    let e = o
        .svc
        .apply(&o.loket, &id, Action::Collect(h.clone()))
        .unwrap_err();
    assert!(e.message(Lang::Id).contains("KTP lama"));
    let a = o
        .svc
        .apply(
            &o.loket,
            &id,
            Action::Collect(Handover {
                old_card: Some(OldCard::Lost),
                ..h
            }),
        )
        .unwrap();
    assert_eq!(a.state, State::Collected);
    assert!(!a.time_status(o.svc.now()).unwrap().breached);
}

#[test]
fn lumajang_recording_at_sixteen_waits_for_printing_when_the_office_allows_it() {
    let text =
        office_text("lumajang.toml").replace("recording_from_age = 17", "recording_from_age = 16");
    let o = at_with(
        OfficeConfig::parse(&text).unwrap(),
        datetime!(2026-03-02 09:00 +7),
    );
    let id = o.arrive(
        "new_card",
        person(
            "3508015008090001",
            date!(2009 - 08 - 10),
            MaritalStatus::Single,
        ),
        Party::Person,
        None,
    );
    let a = o.check(&id, &["kk_copy"]);
    assert_eq!(a.state, State::FileChecked);
    assert_eq!(a.print_not_before, Some(date!(2026 - 08 - 10)));
    let a = o.approve_record_register(&id);
    assert!(
        a.completed_at.is_some(),
        "the office's clock stops at the register entry"
    );
    let e = o.svc.apply(&o.cetak, &id, Action::Print).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(
        e.message(Lang::Id)
            .contains("dapat dicetak mulai 10 Agustus 2026"),
        "{}",
        e.message(Lang::Id)
    );
    o.clock.set(datetime!(2026-08-10 09:00 +7));
    assert_eq!(
        o.svc.apply(&o.cetak, &id, Action::Print).unwrap().state,
        State::Printed
    );
}

// ---- Kebasen (000): replacement, proxy, family, IKD ----------------------------------------

#[test]
fn kebasen_a_proxy_collects_a_card() {
    let o = at("kebasen.toml", datetime!(2026-03-02 09:00 +7));
    let id = o.arrive(
        "lost",
        person(
            "3302014506800001",
            date!(1980 - 06 - 05),
            MaritalStatus::Married,
        ),
        Party::Proxy,
        Some("Bambang"),
    );
    // A proxy's file needs the letter of authority (000 A.1 d).
    let a = o.check(&id, &["loss_letter", "ikd_phone"]);
    assert_eq!(a.missing(), ["power_of_attorney"]);
    let a = o.check(&id, &["loss_letter", "ikd_phone", "power_of_attorney"]);
    assert_eq!(a.state, State::FileChecked);
    o.approve_record_register(&id);
    o.svc.apply(&o.cetak, &id, Action::Print).unwrap();
    assert_eq!(o.svc.uncollected().unwrap().len(), 1);
    let proxy = Handover {
        party: Party::Proxy,
        name: "Bambang".into(),
        nik: Some(Nik::parse("3302010101750003").unwrap()),
        family_card: None,
        letter: None,
        old_card: Some(OldCard::Lost),
        ikd_registered: Some(true),
    };
    // Without the letter: refused, with what to do.
    let e = o
        .svc
        .apply(&o.loket, &id, Action::Collect(proxy.clone()))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message(Lang::Id).contains("surat kuasa"));
    // The IKD registration (000 A.2 e) must be recorded.
    let e = o
        .svc
        .apply(
            &o.loket,
            &id,
            Action::Collect(Handover {
                letter: Some("SK/12/III/2026".into()),
                ikd_registered: None,
                ..proxy.clone()
            }),
        )
        .unwrap_err();
    assert!(e.message(Lang::En).contains("digital ID"));
    let a = o
        .svc
        .apply(
            &o.loket,
            &id,
            Action::Collect(Handover {
                letter: Some("SK/12/III/2026".into()),
                ..proxy
            }),
        )
        .unwrap();
    assert_eq!(a.state, State::Collected);
    let h = a.handover.unwrap();
    assert_eq!((h.party, h.name.as_str()), (Party::Proxy, "Bambang"));
    assert_eq!(h.letter.as_deref(), Some("SK/12/III/2026"));
    assert!(o.svc.uncollected().unwrap().is_empty());
    assert_eq!(a.history.last().unwrap().account, "loket");
}

#[test]
fn kebasen_a_family_member_must_share_the_family_card() {
    let o = at("kebasen.toml", datetime!(2026-03-02 09:00 +7));
    let id = o.arrive(
        "damaged",
        person(
            "3302014506800001",
            date!(1980 - 06 - 05),
            MaritalStatus::Married,
        ),
        Party::Person,
        None,
    );
    o.check(&id, &["old_card", "ikd_phone"]);
    o.approve_record_register(&id);
    o.svc.apply(&o.cetak, &id, Action::Print).unwrap();
    let family = |kk: &str| Handover {
        party: Party::Family,
        name: "Agus".into(),
        nik: Some(Nik::parse("3302010101780002").unwrap()),
        family_card: Some(FamilyCardNo::parse(kk).unwrap()),
        letter: None,
        old_card: Some(OldCard::KeptWithFile),
        ikd_registered: Some(false),
    };
    let e = o
        .svc
        .apply(&o.loket, &id, Action::Collect(family("3302019999990009")))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotPermitted);
    assert!(e.message(Lang::Id).contains("satu KK"));
    let a = o
        .svc
        .apply(&o.loket, &id, Action::Collect(family("5311010101100001")))
        .unwrap();
    assert_eq!(a.state, State::Collected);
}

#[test]
fn kebasen_a_whatsapp_complaint_followed_up_answered_and_closed() {
    let o = at("kebasen.toml", datetime!(2026-03-02 09:00 +7));
    let c = o
        .svc
        .record_complaint(
            &o.loket,
            NewComplaint {
                channel: ChannelKind::Whatsapp,
                complainant: Complainant {
                    name: "Sri".into(),
                    occupation: "Pedagang".into(),
                    address: "Desa Gambarsari".into(),
                    contact: Some("081300000000".into()),
                },
                confidential: true,
                shortfall: "KTP-el pengganti belum jadi setelah 3 hari".into(),
                loss: Some("Tidak bisa mengurus BPJS".into()),
                remedy: "KTP-el segera dicetak".into(),
                service_date: Some(date!(2026 - 02 - 25)),
                application: None,
            },
        )
        .unwrap();
    assert_eq!(c.status, ComplaintStatus::Received);
    assert!(!c.filed_late);
    o.clock.advance(Duration::hours(2));
    let c = o
        .svc
        .follow_up_complaint(&o.kasi, &c.id, "Blangko tersedia, dicetak hari ini")
        .unwrap();
    assert_eq!(c.status, ComplaintStatus::FollowedUp);
    let c = o
        .svc
        .answer_complaint(&o.loket, &c.id, "KTP-el sudah dapat diambil")
        .unwrap();
    assert_eq!(
        c.answer.as_ref().unwrap().via,
        ReplyVia::Channel(ChannelKind::Whatsapp)
    );
    o.clock.advance(Duration::days(1));
    let c = o.svc.close_complaint(&o.kasi, &c.id).unwrap();
    assert_eq!(c.status, ComplaintStatus::Closed);
    assert_eq!(c.time_to_resolve(), Some(Duration::hours(26)));
    let r = o.svc.quarter_recap(&o.camat, 2026, 1).unwrap();
    assert_eq!((r.complaints.len(), r.closed), (1, 1));
    assert_eq!(r.by_channel, vec![(ChannelKind::Whatsapp, 1)]);
    let html = rekam_service::report::recap_html(&r, o.svc.office(), Lang::Id);
    assert!(
        !html.contains("Sri"),
        "a confidential name never reaches the recap"
    );
    let m = o.svc.monthly_report(&o.camat, 2026, 3, Lang::Id).unwrap();
    assert_eq!((m.complaints_received, m.complaints_resolved), (1, 1));
    assert_eq!(m.complaints_median_resolve, Some(Duration::hours(26)));
}

// ---- Yosowilangun (003): 12 working days, printing at the regency ---------------------------

#[test]
fn yosowilangun_twelve_working_days_with_printing_at_the_regency() {
    let o = at("yosowilangun.toml", datetime!(2026-03-02 10:00 +7));
    let id = o.arrive(
        "issuance",
        person(
            "3508015203990001",
            date!(1999 - 03 - 12),
            MaritalStatus::Single,
        ),
        Party::Person,
        None,
    );
    // No photo: the slip says which background (003 2.2: red for an odd birth year).
    let a = o.check(&id, &["village_letter", "kk_copy"]);
    let slip = o.svc.missing_slip(&a, Lang::Id).unwrap();
    assert!(
        slip.contains(
            "1. Pas foto 3 x 4 cm berwarna 1 lembar, latar belakang merah (tahun lahir 1999)"
        ),
        "{slip}"
    );
    let a = o.check(&id, &["village_letter", "photo", "kk_copy"]);
    // Twelve working days from Monday 2 March 10:00: 3,4,5,6, 9..13, 16,17,18 March.
    assert_eq!(a.deadline, Some(datetime!(2026-03-18 10:00 +7)));
    o.approve_record_register(&id);
    // This office does not print; it sends the file (003 4.6).
    assert_eq!(
        o.svc
            .apply(&o.cetak, &id, Action::Print)
            .unwrap_err()
            .kind(),
        ErrorKind::Conflict
    );
    o.svc.apply(&o.cetak, &id, Action::SendForPrinting).unwrap();
    // The card is back on Friday 13 March.
    o.clock.set(datetime!(2026-03-13 11:00 +7));
    let a = o.svc.apply(&o.cetak, &id, Action::Print).unwrap();
    let t = a.time_status(o.svc.now()).unwrap();
    assert!(t.completed && !t.breached);
    // Recording is done once (003 4.5): a second application for the same person cannot be
    // recorded while this card waits.
    let id2 = o.arrive(
        "issuance",
        person(
            "3508015203990001",
            date!(1999 - 03 - 12),
            MaritalStatus::Single,
        ),
        Party::Person,
        None,
    );
    o.check(&id2, &["village_letter", "photo", "kk_copy"]);
    o.svc
        .apply(
            &o.kasi,
            &id2,
            Action::Approve {
                initials: "SR".into(),
            },
        )
        .unwrap();
    let e = o
        .svc
        .apply(&o.operator, &id2, Action::Record { record_id: None })
        .unwrap_err();
    assert!(e.message(Lang::Id).contains(&id), "{}", e.message(Lang::Id));
    // Collected the next Monday.
    o.clock.set(datetime!(2026-03-16 09:00 +7));
    let a = o
        .svc
        .apply(
            &o.loket,
            &id,
            Action::Collect(Handover {
                party: Party::Person,
                name: String::new(),
                nik: None,
                family_card: None,
                letter: None,
                old_card: None,
                ikd_registered: None,
            }),
        )
        .unwrap();
    assert_eq!(a.state, State::Collected);
}

#[test]
fn yosowilangun_suggestion_box_note_answered_on_the_notice_board_and_recapped() {
    let o = at("yosowilangun.toml", datetime!(2026-03-02 15:55 +7));
    let c = o
        .svc
        .record_complaint(
            &o.loket,
            NewComplaint {
                channel: ChannelKind::SuggestionBox,
                complainant: Complainant {
                    name: String::new(),
                    occupation: String::new(),
                    address: String::new(),
                    contact: None,
                },
                confidential: false,
                shortfall: "Ruang tunggu panas".into(),
                loss: None,
                remedy: "Pasang kipas angin".into(),
                service_date: None,
                application: None,
            },
        )
        .unwrap();
    o.svc
        .follow_up_complaint(&o.kasi, &c.id, "Kipas angin dipasang")
        .unwrap();
    let c = o
        .svc
        .answer_complaint(&o.kasi, &c.id, "Sudah dipasang")
        .unwrap();
    assert_eq!(c.answer.unwrap().via, ReplyVia::NoticeBoard);
    // WhatsApp is not a channel this office publishes.
    let mut n = NewComplaint {
        channel: ChannelKind::Whatsapp,
        complainant: Complainant {
            name: "A".into(),
            occupation: "B".into(),
            address: "C".into(),
            contact: Some("0812".into()),
        },
        confidential: false,
        shortfall: "x".into(),
        loss: None,
        remedy: "y".into(),
        service_date: None,
        application: None,
    };
    assert_eq!(
        o.svc
            .record_complaint(&o.loket, n.clone())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    n.channel = ChannelKind::InPerson;
    o.svc.record_complaint(&o.loket, n).unwrap();
    o.svc.approve_recap(&o.camat, 2026, 1).unwrap();
    assert!(
        o.svc.approve_recap(&o.kasi, 2026, 1).is_err(),
        "only the Camat approves (003 11.8)"
    );
    let r = o.svc.quarter_recap(&o.kasi, 2026, 1).unwrap();
    assert_eq!(
        r.by_channel,
        vec![(ChannelKind::InPerson, 1), (ChannelKind::SuggestionBox, 1)]
    );
    assert_eq!(r.approved.as_ref().map(|a| a.0.as_str()), Some("camat"));
    let csv = rekam_service::report::recap_csv(&r, Lang::Id).unwrap();
    assert!(
        csv.starts_with("nomor,tanggal,sarana,hal_dikeluhkan,tindak_lanjut,status\n"),
        "{csv}"
    );
    assert!(
        csv.contains("kotak saran,Ruang tunggu panas,Kipas angin dipasang,dijawab"),
        "{csv}"
    );
}

// ---- SKM (PermenPAN-RB 14/2017) --------------------------------------------------------------

#[test]
fn skm_semester_index_and_grade_match_a_hand_calculation() {
    let o = at("kedopok.toml", datetime!(2026-03-02 09:00 +7));
    // Three people served this semester.
    for nik in ["3574014506000011", "3574014506000012", "3574014506000013"] {
        o.arrive(
            "perekaman",
            person(nik, date!(2000 - 06 - 05), MaritalStatus::Single),
            Party::Person,
            None,
        );
    }
    // Five forms, elements U1..U9:
    //   R1: 4 4 4 4 4 4 4 4 4
    //   R2: 4 3 3 4 4 3 4 3 3
    //   R3: 3 3 2 4 3 3 3 2 3
    //   R4: 4 4 3 4 4 4 4 3 4
    //   R5: 3 3 3 4 3 3 4 3 3
    // Column sums 18 17 15 20 18 17 19 15 17; NRR = sum / 5:
    //   3.6 3.4 3.0 4.0 3.6 3.4 3.8 3.0 3.4; Σ NRR = 31.2.
    // Index = 31.2 × 1/9 = 3.4667; unit score = 3.4667 × 25 = 86.67 → B (Baik, 76.61-88.30).
    // Krejcie & Morgan for N = 3: 3.841×3×0.25 / (0.0025×2 + 0.96025) = 2.8808 / 0.9653 = 2.98
    // → 3 respondents needed; 5 answered: sufficient.
    for s in [
        [4, 4, 4, 4, 4, 4, 4, 4, 4],
        [4, 3, 3, 4, 4, 3, 4, 3, 3],
        [3, 3, 2, 4, 3, 3, 3, 2, 3],
        [4, 4, 3, 4, 4, 4, 4, 3, 4],
        [3, 3, 3, 4, 3, 3, 4, 3, 3],
    ] {
        o.svc.record_survey(&o.loket, s, Some("perekaman")).unwrap();
    }
    let r = o.svc.semester_report(&o.camat, 2026, 1).unwrap();
    let x = r.result.as_ref().unwrap();
    assert_eq!(x.respondents, 5);
    let nrr: Vec<String> = x.nrr.iter().map(|v| format!("{v:.1}")).collect();
    assert_eq!(
        nrr,
        ["3.6", "3.4", "3.0", "4.0", "3.6", "3.4", "3.8", "3.0", "3.4"]
    );
    assert_eq!(format!("{:.4}", x.index), "3.4667");
    assert_eq!(format!("{:.2}", x.unit_score), "86.67");
    assert_eq!(x.grade, Grade::B);
    assert_eq!((r.served, r.min_sample), (3, 3));
    assert!(r.sample_sufficient());
    let html = rekam_service::report::semester_html(&r, o.svc.office(), Lang::Id);
    assert!(
        html.contains("86.67") && html.contains("B (Baik)"),
        "{html}"
    );
    assert!(html.contains("Waktu penyelesaian"));
    // The second semester has no forms yet.
    assert!(o
        .svc
        .semester_report(&o.camat, 2026, 2)
        .unwrap()
        .result
        .is_none());
}
