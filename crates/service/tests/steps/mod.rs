//! The workload of the crash tests: a seeded, realistic mix of office steps run on a station's
//! data folder as the station runs them (the record store's sled database, the office journal
//! beside it), each acknowledged on stdout once the call returned; and the check that every
//! acknowledged step is there after the crash.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use rand::Rng;
use rekam_service::application::{Applicant, NewApplication};
use rekam_service::complaint::{Complainant, NewComplaint};
use rekam_service::config::{ChannelKind, Party};
use rekam_service::eligibility::MaritalStatus;
use rekam_service::nik::{FamilyCardNo, Nik};
use rekam_service::{
    Action, Actor, ErrorKind, OfficeConfig, Role, Service, ServiceOptions, State, TestClock,
};
use time::macros::{date, datetime};

/// The password of the base accounts.
pub const PW: &str = "rahasia-123";

/// A station's data folder opened as `rekam service` opens it.
pub struct Station {
    // Field order: the service (and its journal lock) goes before the store's sled database.
    pub svc: Service,
    pub store: rekam_store::Store,
}

pub fn office() -> OfficeConfig {
    OfficeConfig::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/offices/kedopok.toml"
    )))
    .unwrap()
}

/// Opens the store in `dir` and the office journal beside its files, on a Monday morning.
pub fn open(dir: &Path) -> Station {
    let store = rekam_store::Store::open(dir)
        .unwrap_or_else(|e| panic!("the record store did not open: {e}"));
    let clock = Arc::new(TestClock::new(datetime!(2026-03-02 09:00 +7)));
    let svc = Service::open_with(
        store.db(),
        &dir.join("service.journal"),
        office(),
        clock,
        ServiceOptions::fast_for_tests(),
    )
    .unwrap_or_else(|e| panic!("the office data did not open: {e}"));
    Station { svc, store }
}

fn pw(user: &str, k: u32) -> String {
    format!("pw-{user}-{k}")
}

fn login(svc: &Service, user: &str) -> Actor {
    svc.authenticate(user, PW).unwrap()
}

fn ack(out: &mut impl Write, line: std::fmt::Arguments<'_>) {
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

/// The base accounts, created once (by whichever child gets there first).
fn base_accounts(svc: &Service, out: &mut impl Write) -> [Actor; 4] {
    if !svc.has_accounts().unwrap() {
        svc.create_account(None, "camat", "Camat", &[Role::HeadOfOffice], PW)
            .unwrap();
        ack(out, format_args!("ACCOUNT camat"));
    }
    let camat = login(svc, "camat");
    for (u, r) in [
        ("loket", Role::FrontOffice),
        ("kasi", Role::Supervisor),
        ("operator", Role::Operator),
    ] {
        if svc.account(u).is_err() {
            svc.create_account(Some(&camat), u, u, &[r], PW).unwrap();
            ack(out, format_args!("ACCOUNT {u}"));
        }
    }
    [
        login(svc, "loket"),
        login(svc, "kasi"),
        login(svc, "operator"),
        camat,
    ]
}

/// A person's data as the clerk types it (distinct per step, so a mix-up would show).
pub fn applicant(n: u64) -> Applicant {
    Applicant {
        name: format!("Siti Rahayu {n}"),
        nik: Nik::parse("3574014506000002").unwrap(),
        birth_date: date!(2000 - 06 - 05),
        marital: MaritalStatus::Single,
        family_card: Some(FamilyCardNo::parse("3574010101100001").unwrap()),
        address: Some(format!("Jl. Mawar {n}, Kedopok")),
    }
}

/// The order an application moves in at this office.
const FLOW: [&str; 5] = [
    "ticketed",
    "file_checked",
    "verified",
    "recorded",
    "registered",
];

fn rank(code: &str) -> usize {
    FLOW.iter().position(|c| *c == code).unwrap_or(usize::MAX)
}

/// Runs steps for ever, printing each acknowledgement once the call returned:
/// `ACCOUNT user`, `PASSWORD user k`, `TICKET number`, `APP id`, `STATE id code [register]`,
/// `COMPLAINT id`, `SURVEY id`.
pub fn run_child(dir: &Path, seed: u64, rng: &mut impl Rng) -> ! {
    let st = open(dir);
    let svc = &st.svc;
    let mut out = std::io::stdout().lock();
    ack(&mut out, format_args!("OPEN"));
    let [loket, kasi, operator, camat] = base_accounts(svc, &mut out);
    let mut staff: Vec<(String, u32)> = Vec::new();
    let mut apps: Vec<(String, usize)> = Vec::new();
    for n in 0u64.. {
        let tag = seed * 100_000 + n;
        match rng.gen_range(0..100) {
            0..=11 => {
                let user = format!("st{tag}");
                svc.create_account(
                    Some(&camat),
                    &user,
                    "Staf",
                    &[Role::FrontOffice],
                    &pw(&user, 0),
                )
                .unwrap();
                ack(&mut out, format_args!("ACCOUNT {user}"));
                staff.push((user, 0));
            }
            12..=19 if !staff.is_empty() => {
                let i = rng.gen_range(0..staff.len());
                let (user, k) = &mut staff[i];
                *k += 1;
                svc.set_password(&camat, user, &pw(user, *k)).unwrap();
                ack(&mut out, format_args!("PASSWORD {user} {k}"));
            }
            20..=44 => {
                let t = svc.take_ticket("perekaman").unwrap();
                ack(&mut out, format_args!("TICKET {}", t.number));
                // The longest-waiting ticket: an earlier child's, if it was killed in between.
                let called = svc.call_next(&loket, "Loket 1", Some("perekaman")).unwrap();
                let app = svc
                    .open_application(
                        &loket,
                        NewApplication {
                            service: "perekaman".into(),
                            ticket: Some(called.number),
                            applicant: applicant(tag),
                            submitted_by: Party::Person,
                            representative: None,
                        },
                    )
                    .unwrap();
                ack(&mut out, format_args!("APP {}", app.id));
                apps.push((app.id, 0));
            }
            45..=79 if !apps.is_empty() => {
                let i = rng.gen_range(0..apps.len());
                let (id, step) = &mut apps[i];
                let (by, action) = match *step {
                    0 => (
                        &loket,
                        Action::CheckFile {
                            ticked: vec!["kk_copy".into()],
                        },
                    ),
                    1 => (
                        &kasi,
                        Action::Approve {
                            initials: "SR".into(),
                        },
                    ),
                    2 => (&operator, Action::Record { record_id: None }),
                    _ => (&operator, Action::Register),
                };
                let a = svc.apply(by, id, action).unwrap();
                let reg = a.register.map(|r| r.number).unwrap_or_default();
                ack(
                    &mut out,
                    format_args!("STATE {id} {} {reg}", a.state.code()),
                );
                *step += 1;
                if *step == 4 {
                    apps.swap_remove(i);
                }
            }
            80..=89 => {
                let c = svc
                    .record_complaint(
                        &loket,
                        NewComplaint {
                            channel: ChannelKind::InPerson,
                            complainant: Complainant {
                                name: format!("Budi {tag}"),
                                occupation: "Petani".into(),
                                address: "Jl. Melati 2".into(),
                                contact: None,
                            },
                            confidential: false,
                            shortfall: "Antrian lama, \"lama sekali\",\nsatu jam".into(),
                            loss: None,
                            remedy: "Tambah loket".into(),
                            service_date: Some(date!(2026 - 03 - 02)),
                            application: None,
                        },
                    )
                    .unwrap();
                ack(&mut out, format_args!("COMPLAINT {}", c.id));
            }
            _ => {
                let mut scores = [0u8; 9];
                for s in &mut scores {
                    *s = rng.gen_range(1..=4);
                }
                let r = svc
                    .record_survey(&loket, scores, Some("perekaman"))
                    .unwrap();
                ack(&mut out, format_args!("SURVEY {}", r.id));
            }
        }
    }
    unreachable!()
}

/// Everything the children acknowledged, over all trials.
#[derive(Debug, Default)]
pub struct Acked {
    pub steps: usize,
    pub accounts: BTreeMap<String, u32>,
    pub tickets: Vec<String>,
    pub apps: BTreeMap<String, (String, String)>,
    pub complaints: Vec<String>,
    pub surveys: Vec<String>,
}

impl Acked {
    /// Takes one line of a child's output.
    pub fn take(&mut self, line: &str) {
        let w: Vec<&str> = line.split(' ').collect();
        match w.as_slice() {
            ["ACCOUNT", u] => {
                self.accounts.insert(u.to_string(), 0);
            }
            ["PASSWORD", u, k] => {
                self.accounts.insert(u.to_string(), k.parse().unwrap());
            }
            ["TICKET", n] => self.tickets.push(n.to_string()),
            ["APP", id] => {
                self.apps
                    .insert(id.to_string(), ("ticketed".into(), String::new()));
            }
            ["STATE", id, code, reg] => {
                self.apps
                    .insert(id.to_string(), (code.to_string(), reg.to_string()));
            }
            ["COMPLAINT", id] => self.complaints.push(id.to_string()),
            ["SURVEY", id] => self.surveys.push(id.to_string()),
            _ => return,
        }
        self.steps += 1;
    }

    /// Checks that every acknowledged step is in `svc`, and the invariants a half-applied step
    /// would break. `when` names the trial in messages.
    pub fn check(&self, svc: &Service, when: &str) {
        assert!(
            svc.recovered().damaged_lines.is_empty(),
            "{when}: damaged journal lines: {:?}",
            svc.recovered()
        );
        for (user, k) in &self.accounts {
            let a = svc
                .account(user)
                .unwrap_or_else(|e| panic!("{when}: acknowledged account {user} lost: {e}"));
            assert_eq!(&a.username, user);
            if !["camat", "loket", "kasi", "operator"].contains(&user.as_str()) {
                // The acknowledged password, or the next one if its change reached the journal
                // but the child died before saying so.
                let ok = [*k, k + 1]
                    .iter()
                    .any(|k| svc.authenticate(user, &pw(user, *k)).is_ok());
                assert!(ok, "{when}: password change {k} of {user} lost");
            }
        }
        for n in &self.tickets {
            svc.ticket(n)
                .unwrap_or_else(|e| panic!("{when}: acknowledged ticket {n} lost: {e}"));
        }
        for (id, (code, reg)) in &self.apps {
            let a = svc
                .application(id)
                .unwrap_or_else(|e| panic!("{when}: acknowledged application {id} lost: {e}"));
            let now = a.state.code();
            assert!(
                rank(now) >= rank(code) && rank(now) != usize::MAX,
                "{when}: {id} is {now}, acknowledged {code}"
            );
            if !reg.is_empty() {
                assert_eq!(
                    a.register.as_ref().map(|r| r.number.as_str()),
                    Some(reg.as_str()),
                    "{when}: register number of {id}"
                );
            }
            if a.state == State::Registered {
                assert!(
                    a.register.is_some(),
                    "{when}: {id} registered without a number"
                );
            }
        }
        for id in &self.complaints {
            let c = svc
                .complaint(id)
                .unwrap_or_else(|e| panic!("{when}: acknowledged complaint {id} lost: {e}"));
            assert!(c.shortfall.contains("\"lama sekali\",\n"), "{when}: {id}");
        }
        let day = date!(2026 - 03 - 02);
        let surveys: std::collections::BTreeSet<String> = svc
            .survey_responses(day, day.next_day().unwrap())
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        for id in &self.surveys {
            assert!(
                surveys.contains(id),
                "{when}: acknowledged survey {id} lost"
            );
        }
        // Invariants: register numbers are unique; every registered application has one.
        let rows = svc.register_rows(day, day.next_day().unwrap()).unwrap();
        let mut numbers: Vec<&str> = rows.iter().map(|r| r.number.as_str()).collect();
        numbers.sort_unstable();
        let all = numbers.len();
        numbers.dedup();
        assert_eq!(
            numbers.len(),
            all,
            "{when}: a register number was given twice"
        );
        // The bootstrap stays closed once there were accounts, whatever the index kept.
        if !self.accounts.is_empty() {
            let e = svc
                .create_account(None, "intruder", "X", &[Role::HeadOfOffice], PW)
                .unwrap_err();
            assert_ne!(e.kind(), ErrorKind::InvalidInput, "{when}: {e}");
            assert!(svc.account("intruder").is_err(), "{when}: init reopened");
        }
    }

    /// The counters are not behind the data: the next ticket and application get new numbers.
    pub fn check_counters(&self, svc: &Service, when: &str) {
        let t = svc.take_ticket("perekaman").unwrap();
        assert!(
            !self.tickets.contains(&t.number),
            "{when}: ticket {} given twice",
            t.number
        );
        let loket = login(svc, "loket");
        let called = svc.call_next(&loket, "Loket 2", Some("perekaman")).unwrap();
        let a = svc
            .open_application(
                &loket,
                NewApplication {
                    service: "perekaman".into(),
                    ticket: Some(called.number),
                    applicant: applicant(0),
                    submitted_by: Party::Person,
                    representative: None,
                },
            )
            .unwrap();
        assert!(
            !self.apps.contains_key(&a.id),
            "{when}: application id {} given twice",
            a.id
        );
    }
}
