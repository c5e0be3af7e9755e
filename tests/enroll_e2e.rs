//! End-to-end enrollment against firmware-sim: the fingerprint module and the signature pad over
//! pseudo-terminals, the iris scanner through the real iris driver on the simulator's USB link,
//! the camera through nokhwa on the simulated backend. The station code is the same as
//! `rekam enroll` (`rekam_station::enroll::run`); the record it saves is verified with only the
//! public key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use firmware_sim::camera::CameraSim;
use firmware_sim::fingerprint::Placement;
use firmware_sim::synth::finger::Condition;
use firmware_sim::{SigpadSim, SimConfig, Simulator};
use rekam_device::Finger;
use rekam_pipeline::engine::Policy;
use rekam_pipeline::Step;
use rekam_record::{Person, Service, Sex};
use rekam_station::config::StationConfig;
use rekam_station::enroll::{self, ExceptionRequest, Login, Outcome, Request};
use rekam_station::i18n::Lang;

const OPERATOR_PW: &str = "operator-pw-1";
const SUPERVISOR_PW: &str = "kasi-pw-2";

/// A person whose NIK agrees with the header: born 12 July 1999 (odd year: red backdrop).
fn person() -> Person {
    Person {
        nik: "3578011207990001".into(),
        name: "Budi Santoso".into(),
        birth_date: "1999-07-12".into(),
        sex: Sex::Male,
        service: Service::New,
    }
}

fn office() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/office.toml")
}

struct Station {
    sim: Simulator,
    dir: tempfile::TempDir,
    config: StationConfig,
}

impl Station {
    fn start() -> Station {
        Station::start_with_data(None)
    }

    /// With the station's data folder at `data` (a power-fail filesystem), or in a temporary
    /// folder.
    fn start_with_data(data: Option<PathBuf>) -> Station {
        let sim = Simulator::start(&SimConfig {
            // Signatures at their real pace: a sped-up one is refused as too fast, rightly.
            signature_pad: Some(SigpadSim {
                speed: 1.0,
                reach_ms: 50,
                ..SigpadSim::default()
            }),
            camera: Some(CameraSim {
                birth_year: 1999,
                ..CameraSim::default()
            }),
            ..SimConfig::default()
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let data = data.unwrap_or_else(|| dir.path().join("data"));
        let fp = sim.fingerprint().unwrap();
        let pad = sim.signature_pad().unwrap();
        let cam = sim.camera().unwrap().index().unwrap();
        let serial = sim.iris().unwrap().lock().unwrap().serial().to_string();
        let text = format!(
            "[station]\nid = \"E2E-STATION\"\nlanguage = \"en\"\ndata_dir = {:?}\n\n\
             [fingerprint]\ndriver = \"r30x\"\nport = {:?}\nbaud = {}\n\n\
             [signature_pad]\ndriver = \"isdv4\"\nport = {:?}\nbaud = {}\nend_after_ms = 600\n\n\
             [iris]\ndriver = \"simiris\"\nport = \"1209:0001:{serial}\"\npoll_interval_ms = 2\n\n\
             [camera]\ndriver = \"simcam\"\nport = \"camera:{cam}\"\nwidth = 1280\nheight = 720\n",
            data.display().to_string(),
            fp.path().display().to_string(),
            fp.baud(),
            pad.path().display().to_string(),
            pad.baud(),
        );
        let config = StationConfig::parse(&text).unwrap();
        let station = Station { sim, dir, config };
        station.accounts();
        station
    }

    /// Staff accounts in the station's database: the head of office, an operator, a supervisor.
    fn accounts(&self) {
        let store = rekam_station::records::store(&self.config).unwrap();
        let svc = rekam_service::Service::open_with(
            store.db(),
            &rekam_station::records::service_journal(&self.config),
            rekam_service::OfficeConfig::load(&office()).unwrap(),
            std::sync::Arc::new(rekam_service::SystemClock),
            rekam_service::ServiceOptions::fast_for_tests(),
        )
        .unwrap();
        let head = svc
            .create_account(
                None,
                "camat",
                "Head",
                &[rekam_service::Role::HeadOfOffice],
                "head-pw-0",
            )
            .unwrap();
        let head = svc.authenticate(&head.username, "head-pw-0").unwrap();
        svc.create_account(
            Some(&head),
            "op1",
            "Operator",
            &[rekam_service::Role::Operator],
            OPERATOR_PW,
        )
        .unwrap();
        svc.create_account(
            Some(&head),
            "loket",
            "Front office",
            &[rekam_service::Role::FrontOffice],
            OPERATOR_PW,
        )
        .unwrap();
        svc.create_account(
            Some(&head),
            "kasi",
            "Kasi Pelayanan",
            &[rekam_service::Role::Supervisor],
            SUPERVISOR_PW,
        )
        .unwrap();
    }

    fn request(&self, person: Person) -> Request {
        Request {
            person,
            confirm_warnings: false,
            exceptions: vec![],
            operator: Login {
                user: "op1".into(),
                password: OPERATOR_PW.into(),
            },
            supervisor: None,
            office: office(),
            application: None,
            policy: Policy {
                capture_timeout: Duration::from_secs(10),
                ..Policy::default()
            },
            unsaved_dirs: vec![self.dir.path().join("unsaved")],
        }
    }

    /// The office's service on the station's database.
    fn service(&self, office: &Path) -> (rekam_store::Store, rekam_service::Service) {
        let store = rekam_station::records::store(&self.config).unwrap();
        let svc = rekam_service::Service::open_with(
            store.db(),
            &rekam_station::records::service_journal(&self.config),
            rekam_service::OfficeConfig::load(office).unwrap(),
            std::sync::Arc::new(rekam_service::SystemClock),
            rekam_service::ServiceOptions::fast_for_tests(),
        )
        .unwrap();
        (store, svc)
    }

    fn enroll(&self, req: &Request) -> (anyhow::Result<Outcome>, String) {
        let registry = rekam_station::drivers::registry();
        let mut out = Vec::new();
        let r = enroll::run(&self.config, &registry, req, Lang::En, &mut out, None);
        (r, String::from_utf8(out).unwrap())
    }

    fn verify(&self, o: &Outcome) -> rekam_record::Manifest {
        let bytes = std::fs::read(&o.path).unwrap();
        let key = rekam_station::records::station_key(&self.config).unwrap();
        let vk = rekam_record::verifying_key_from_hex(&key.public_hex()).unwrap();
        let m = rekam_record::verify(&bytes, &vk).unwrap().manifest;
        // Every device here is the simulator's (pseudo-terminals, simcam, simiris): each kept
        // capture says so, and `rekam verify` prints SIMULATED.
        let kept = m.captures.iter().filter(|c| c.file.is_some()).count();
        assert_eq!(m.simulated_captures(), kept);
        let (text, ok) = rekam_station::records::verify_file(&self.config, &o.path, None).unwrap();
        assert!(ok, "{text}");
        assert!(
            text.contains(&format!(
                "SIMULATED  {kept} of {} captures",
                m.captures.len()
            )),
            "{text}"
        );
        m
    }
}

fn status(o: &Outcome, step: Step) -> (String, Option<u8>, u32) {
    let (_, s, score, attempts) = o.captures.iter().find(|c| c.0 == step).unwrap();
    (s.clone(), *score, *attempts)
}

#[test]
fn a_clean_enrollment_is_sealed_saved_and_verifies() {
    let st = Station::start();
    let (r, log) = st.enroll(&st.request(person()));
    let o = r.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
    for (step, s, score, attempts) in &o.captures {
        assert_eq!(s, "Captured", "{step:?} {score:?} after {attempts}\n{log}");
    }
    let m = st.verify(&o);
    assert_eq!(m.captures.len(), 14);
    // The face is kept as the 3:4 portrait cropped from the 1920x1080 still.
    let face = m.captures.iter().find(|c| c.modality == "face").unwrap();
    let img = face.image.as_ref().unwrap();
    assert_eq!((img.width, img.height), (810, 1080));
    assert!(log.contains("[ 1/14] Right thumb"), "{log}");
    assert!(
        !log.contains(&person().nik),
        "the NIK never goes to the progress display"
    );
}

#[test]
fn a_bad_finger_passes_on_the_second_attempt() {
    let st = Station::start();
    let fp = st.sim.fingerprint().unwrap();
    // The first placement of the right thumb is smeared; then the person places it well.
    fp.place(Placement {
        person: 1,
        finger: Finger::RightThumb.iso_code(),
        condition: Condition::Smudged,
        after_polls: 1,
    });
    fp.place(Placement {
        person: 1,
        finger: Finger::RightThumb.iso_code(),
        condition: Condition::Good,
        after_polls: 1,
    });
    let (r, log) = st.enroll(&st.request(person()));
    let o = r.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
    let (s, _, attempts) = status(&o, Step::Finger(Finger::RightThumb));
    assert_eq!((s.as_str(), attempts), ("Captured", 2), "{log}");
    assert!(log.contains("not good enough, again (2 left)"), "{log}");
    st.verify(&o);
}

#[test]
fn an_amputated_finger_is_an_approved_exception_with_a_photo() {
    let st = Station::start();
    let mut req = st.request(person());
    req.exceptions = vec![ExceptionRequest {
        step: Step::Finger(Finger::LeftLittle),
        reason: "amputated".into(),
        note: "work accident 2015".into(),
    }];
    // Without a supervisor the session does not even start.
    let (r, _) = st.enroll(&req);
    assert!(format!("{:#}", r.unwrap_err()).contains("approval"));
    // A wrong supervisor password is refused.
    req.supervisor = Some(Login {
        user: "kasi".into(),
        password: "wrong".into(),
    });
    assert!(st.enroll(&req).0.is_err());
    // An operator cannot approve.
    req.supervisor = Some(Login {
        user: "op1".into(),
        password: OPERATOR_PW.into(),
    });
    assert!(st.enroll(&req).0.is_err());
    req.supervisor = Some(Login {
        user: "kasi".into(),
        password: SUPERVISOR_PW.into(),
    });
    let (r, log) = st.enroll(&req);
    let o = r.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
    let (s, score, _) = status(&o, Step::Finger(Finger::LeftLittle));
    assert_eq!((s.as_str(), score), ("Exception", None), "{log}");
    let m = st.verify(&o);
    assert_eq!(m.supervisor_id.as_deref(), Some("kasi"));
    let ex = m
        .captures
        .iter()
        .find_map(|c| c.exception.as_ref())
        .expect("the exception is in the record");
    assert_eq!(ex.reason, "amputated");
}

#[test]
fn a_repeat_nik_is_refused_with_the_record_id() {
    let st = Station::start();
    let (r, log) = st.enroll(&st.request(person()));
    let first = r.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
    let (r, log) = st.enroll(&st.request(person()));
    let e = format!("{:#}", r.unwrap_err());
    assert!(e.contains(&first.entry.record_id), "{e}");
    assert!(e.contains("recorded once"), "{e}");
    assert!(log.is_empty(), "refused before any capture: {log}");
    // A lost card may be recorded again.
    let mut again = person();
    again.service = Service::ReplacementLost;
    let (r, log) = st.enroll(&st.request(again));
    r.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
}

#[test]
fn a_device_unplugged_mid_session_is_reconnected_and_nothing_is_lost() {
    let st = Station::start();
    let fp = st.sim.fingerprint().unwrap();
    // The cable is pulled in the middle of the third fingerprint's upload (an image is about
    // 40 kB on the wire) and plugged back in a moment later.
    let pull_at = fp.stats().bytes_out + 100_000;
    fp.inject(firmware_sim::Fault::Unplug {
        after_bytes: 100_000,
    });
    let (r, log) = std::thread::scope(|scope| {
        scope.spawn(|| {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while fp.stats().bytes_out < pull_at && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(300));
            fp.replug();
        });
        st.enroll(&st.request(person()))
    });
    let o = r.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
    assert!(log.contains("Device fault"), "{log}");
    assert!(log.contains("Reconnected: fingerprint"), "{log}");
    assert_eq!(st.verify(&o).captures.len(), 14);
    assert!(st.dir.path().exists());
}

#[test]
fn an_impossible_nik_is_an_error_and_a_mismatch_needs_confirmation() {
    let st = Station::start();
    let mut p = person();
    p.nik = "3578013207990001".into(); // day 32
    let e = format!("{:#}", st.enroll(&st.request(p)).0.unwrap_err());
    assert!(e.contains("not valid"), "{e}");
    let mut p = person();
    p.birth_date = "1999-07-13".into();
    let mut req = st.request(p);
    let e = format!("{:#}", st.enroll(&req).0.unwrap_err());
    assert!(e.contains("--confirm-warnings"), "{e}");
    req.confirm_warnings = true;
    let (r, log) = st.enroll(&req);
    r.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
}

#[test]
fn an_approved_application_moves_to_recorded_with_the_record_id() {
    use rekam_service::application::{Action, Applicant, NewApplication};
    let st = Station::start();
    // The front office opens the application and checks the file; the head of service
    // approves it (service standard 004 steps 1-4).
    let app_id = {
        let store = rekam_station::records::store(&st.config).unwrap();
        let svc = rekam_service::Service::open_with(
            store.db(),
            &rekam_station::records::service_journal(&st.config),
            rekam_service::OfficeConfig::load(&office()).unwrap(),
            std::sync::Arc::new(rekam_service::SystemClock),
            rekam_service::ServiceOptions::fast_for_tests(),
        )
        .unwrap();
        let loket = svc.authenticate("loket", OPERATOR_PW).unwrap();
        let app = svc
            .open_application(
                &loket,
                NewApplication {
                    service: "new_card".into(),
                    ticket: None,
                    applicant: Applicant {
                        name: "Budi Santoso".into(),
                        nik: rekam_service::nik::Nik::parse(&person().nik).unwrap(),
                        birth_date: time::macros::date!(1999 - 07 - 12),
                        marital: rekam_service::eligibility::MaritalStatus::Single,
                        family_card: None,
                        address: None,
                    },
                    submitted_by: rekam_service::config::Party::Person,
                    representative: None,
                },
            )
            .unwrap();
        svc.apply(
            &loket,
            &app.id,
            Action::CheckFile {
                ticked: vec!["kk_copy".into()],
            },
        )
        .unwrap();
        app.id
    };
    let mut req = st.request(person());
    req.application = Some(app_id.clone());
    // Not yet approved: refused before any capture.
    let (r, log) = st.enroll(&req);
    assert!(format!("{:#}", r.unwrap_err()).contains("not approved"));
    assert!(log.is_empty(), "{log}");
    {
        let store = rekam_station::records::store(&st.config).unwrap();
        let svc = rekam_service::Service::open(
            store.db(),
            &rekam_station::records::service_journal(&st.config),
            rekam_service::OfficeConfig::load(&office()).unwrap(),
            std::sync::Arc::new(rekam_service::SystemClock),
        )
        .unwrap();
        let kasi = svc.authenticate("kasi", SUPERVISOR_PW).unwrap();
        svc.apply(
            &kasi,
            &app_id,
            Action::Approve {
                initials: "KS".into(),
            },
        )
        .unwrap();
    }
    let (r, log) = st.enroll(&req);
    let o = r.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
    let store = rekam_station::records::store(&st.config).unwrap();
    let svc = rekam_service::Service::open(
        store.db(),
        &rekam_station::records::service_journal(&st.config),
        rekam_service::OfficeConfig::load(&office()).unwrap(),
        std::sync::Arc::new(rekam_service::SystemClock),
    )
    .unwrap();
    let app = svc.application(&app_id).unwrap();
    assert_eq!(
        app.state,
        rekam_service::State::Recorded {
            record_id: Some(o.entry.record_id.clone())
        }
    );
}

#[test]
fn the_operator_redoes_a_capture_at_review_before_saving() {
    let st = Station::start();
    let registry = rekam_station::drivers::registry();
    let mut out = Vec::new();
    // At review the operator asks to redo the face, mistypes a name, then saves.
    let mut answers = std::io::Cursor::new(b"face\nnose\n\n".to_vec());
    let o = enroll::run(
        &st.config,
        &registry,
        &st.request(person()),
        Lang::En,
        &mut out,
        Some(&mut answers),
    );
    let log = String::from_utf8(out).unwrap();
    let o = o.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
    assert_eq!(log.matches("Review the captures:").count(), 2, "{log}");
    assert_eq!(log.matches("[13/14] Face photo").count(), 2, "{log}");
    assert!(log.contains("'nose' is not the name of a capture"), "{log}");
    assert_eq!(status(&o, Step::Face).0, "Captured");
    assert_eq!(st.verify(&o).captures.len(), 14);
}

/// What the operator does before typing a line.
type Action<'a> = Box<dyn Fn() + 'a>;

/// The operator's terminal: each line read first does what the operator does before pressing
/// Enter (here: plug the fingerprint cable back in).
struct Terminal<'a> {
    lines: std::collections::VecDeque<(&'static str, Action<'a>)>,
    current: Vec<u8>,
}

impl std::io::Read for Terminal<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::BufRead as _;
        let n = {
            let data = self.fill_buf()?;
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl std::io::BufRead for Terminal<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.current.is_empty() {
            if let Some((line, before)) = self.lines.pop_front() {
                before();
                self.current = format!("{line}\n").into_bytes();
            }
        }
        Ok(&self.current)
    }
    fn consume(&mut self, n: usize) {
        self.current.drain(..n);
    }
}

#[test]
fn a_device_that_stays_away_waits_for_the_operator_and_the_session_goes_on() {
    let st = Station::start();
    let fp = st.sim.fingerprint().unwrap();
    // The cable comes out during the second finger and stays out past the engine's own
    // reconnection attempts; the operator plugs it back in and presses Enter.
    fp.inject(firmware_sim::Fault::Unplug {
        after_bytes: 60_000,
    });
    let mut terminal = Terminal {
        lines: std::collections::VecDeque::from([
            ("", Box::new(|| fp.replug()) as Box<dyn Fn()>),
            ("", Box::new(|| ()) as Box<dyn Fn()>),
        ]),
        current: Vec::new(),
    };
    let registry = rekam_station::drivers::registry();
    let mut out = Vec::new();
    let o = enroll::run(
        &st.config,
        &registry,
        &st.request(person()),
        Lang::En,
        &mut out,
        Some(&mut terminal),
    );
    let log = String::from_utf8(out).unwrap();
    let o = o.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
    assert!(log.contains("press Enter to continue"), "{log}");
    assert!(log.contains("Reconnected: fingerprint"), "{log}");
    assert_eq!(st.verify(&o).captures.len(), 14);
    // The first finger, captured before the cable came out, was kept: one attempt.
    assert_eq!(status(&o, Step::Finger(Finger::RightThumb)).2, 1);
}

fn little_finger_amputated() -> Vec<ExceptionRequest> {
    vec![ExceptionRequest {
        step: Step::Finger(Finger::LeftLittle),
        reason: "amputated".into(),
        note: "work accident 2015".into(),
    }]
}

/// Issue 10, 4.5: an exception that could never be recorded, or two for one finger, are
/// refused before the first capture (no exception photo, no finger), not after nine fingers.
#[test]
fn an_impossible_or_doubled_exception_is_refused_before_any_capture() {
    let st = Station::start();
    let mut req = st.request(person());
    req.supervisor = Some(Login {
        user: "kasi".into(),
        password: SUPERVISOR_PW.into(),
    });
    for (exceptions, said) in [
        (
            vec![ExceptionRequest {
                step: Step::Finger(Finger::LeftLittle),
                reason: "lost".into(),
                note: String::new(),
            }],
            "'lost' is not a reason",
        ),
        (
            vec![ExceptionRequest {
                step: Step::Face,
                reason: "missing".into(),
                note: String::new(),
            }],
            "cannot be excepted",
        ),
        (
            {
                let mut two = little_finger_amputated();
                two.push(ExceptionRequest {
                    step: Step::Finger(Finger::LeftLittle),
                    reason: "bandaged".into(),
                    note: String::new(),
                });
                two
            },
            "has two exceptions",
        ),
    ] {
        req.exceptions = exceptions;
        let bytes_before = st.sim.fingerprint().unwrap().stats().bytes_out;
        let (r, log) = st.enroll(&req);
        let e = format!("{:#}", r.unwrap_err());
        assert!(e.contains(said), "{e}");
        assert!(e.contains("before anything was captured"), "{e}");
        assert!(!e.contains("kept"), "no promise of kept captures: {e}");
        assert!(log.is_empty(), "nothing captured, no photo: {log}");
        assert_eq!(
            st.sim.fingerprint().unwrap().stats().bytes_out,
            bytes_before,
            "the scanner was not touched"
        );
    }
}

/// Issue 10, 4.6: one account holding the operator and supervisor roles does not approve its
/// own exception, unless the office (one without a head of service) allows it; then it is
/// audited.
#[test]
fn the_operator_approves_their_own_exception_only_where_the_office_allows_it() {
    let st = Station::start();
    let head_office = office();
    {
        let (_store, svc) = st.service(&head_office);
        let camat = svc.authenticate("camat", "head-pw-0").unwrap();
        svc.create_account(
            Some(&camat),
            "sendiri",
            "Operator and supervisor",
            &[
                rekam_service::Role::Operator,
                rekam_service::Role::Supervisor,
            ],
            OPERATOR_PW,
        )
        .unwrap();
    }
    let me = Login {
        user: "sendiri".into(),
        password: OPERATOR_PW.into(),
    };
    let mut req = st.request(person());
    req.operator = me.clone();
    req.supervisor = Some(me);
    req.exceptions = little_finger_amputated();
    // Lumajang (config/office.toml) has a Kasi Pelayanan: refused before any capture.
    let (r, log) = st.enroll(&req);
    let e = format!("{:#}", r.unwrap_err());
    assert!(e.contains("approved by another person"), "{e}");
    assert!(log.is_empty(), "{log}");
    // Kebasen publishes no head of service and allows it.
    let kebasen = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/offices/kebasen.toml");
    req.office = kebasen.clone();
    let (r, log) = st.enroll(&req);
    let o = r.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
    let m = st.verify(&o);
    assert_eq!(m.supervisor_id.as_deref(), Some("sendiri"));
    assert_eq!(m.operator_id, "sendiri");
    let (_store, svc) = st.service(&kebasen);
    let now = time::OffsetDateTime::now_utc();
    let trail = svc
        .audit_trail(
            now - time::Duration::hours(1),
            now + time::Duration::hours(1),
        )
        .unwrap();
    let used = trail
        .iter()
        .find(|a| a.action == "exception_self_approved")
        .expect("the self-approval is audited");
    assert_eq!(used.account, "sendiri");
    assert_eq!(used.subject, o.entry.record_id);
}

/// Issue 10, 4.7: a station whose key went missing refuses to record (restore the key), and
/// does not make a new one that would orphan its earlier records.
#[test]
fn a_missing_station_key_is_refused_not_replaced() {
    let st = Station::start();
    let (r, log) = st.enroll(&st.request(person()));
    let first = r.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
    let key_file = st.config.station.data_dir.join("station.key");
    std::fs::remove_file(&key_file).unwrap();
    let mut again = person();
    again.service = Service::ReplacementLost;
    let (r, log) = st.enroll(&st.request(again));
    let e = format!("{:#}", r.unwrap_err());
    assert!(
        e.contains("restore station.key from the station's backup"),
        "{e}"
    );
    assert!(e.contains("rekam key rotate"), "{e}");
    assert!(log.is_empty(), "refused before any capture: {log}");
    assert!(!key_file.exists(), "no new key was made");
    // The earlier record still verifies against the keyring's (public) key.
    let (text, ok) = rekam_station::records::verify_file(&st.config, &first.path, None).unwrap();
    assert!(ok && text.contains("current key"), "{text}");
}

/// Writes what it is given to a buffer, and runs `action` once the buffer first contains
/// `needle` (here: the disk fails while the last capture is prompted).
struct Trigger<'a> {
    buf: Vec<u8>,
    needle: &'a str,
    action: Option<Box<dyn FnOnce() + 'a>>,
}

impl std::io::Write for Trigger<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.action.is_some() && String::from_utf8_lossy(&self.buf).contains(self.needle) {
            if let Some(a) = self.action.take() {
                a();
            }
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Issue 10, 4.4: the disk is remounted read-only just before saving. The sealed record is kept
/// in memory; the operator fixes the disk, presses Enter, and it is saved: nobody is recorded
/// again.
#[test]
fn a_save_on_a_read_only_disk_is_retried_with_the_same_sealed_record() {
    let Some(fs) = rekam_testfs::mount_or_skip("a_save_on_a_read_only_disk") else {
        return;
    };
    let st = Station::start_with_data(Some(fs.path().join("data")));
    let mut terminal = Terminal {
        lines: std::collections::VecDeque::from([
            // At review: save, but the disk has just gone read-only.
            ("", Box::new(|| fs.set_read_only(true)) as Box<dyn Fn()>),
            // Asked what to do: the technician repairs the disk; Enter saves again.
            ("", Box::new(|| fs.set_read_only(false)) as Box<dyn Fn()>),
        ]),
        current: Vec::new(),
    };
    let registry = rekam_station::drivers::registry();
    let mut out = Vec::new();
    let o = enroll::run(
        &st.config,
        &registry,
        &st.request(person()),
        Lang::En,
        &mut out,
        Some(&mut terminal),
    );
    let log = String::from_utf8(out).unwrap();
    let o = o.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
    assert!(
        log.contains("The record was NOT saved in the queue: the record store"),
        "{log}"
    );
    assert!(log.contains("is read-only"), "{log}");
    assert!(log.contains("kept in this program's memory"), "{log}");
    assert_eq!(
        log.matches("[ 1/14] Right thumb").count(),
        1,
        "captured once: {log}"
    );
    assert_eq!(st.verify(&o).captures.len(), 14);
}

/// Issue 10, 4.4: the disk is full. The operator saves the sealed record to a USB stick; once
/// space is freed, `rekam queue import` verifies it and puts it in the queue.
#[test]
fn a_full_disk_saves_the_record_elsewhere_and_queue_import_brings_it_back() {
    let Some(fs) = rekam_testfs::mount_or_skip("a_full_disk_saves_the_record_elsewhere") else {
        return;
    };
    let st = Station::start_with_data(Some(fs.path().join("data")));
    let stick = tempfile::tempdir().unwrap();
    let stick_path = stick.path().display().to_string();
    let fill = || {
        let used = fs.stats().volatile_bytes;
        fs.set_capacity(Some(used + 64 * 1024));
    };
    let mut terminal = Terminal {
        lines: std::collections::VecDeque::from([
            ("", Box::new(fill) as Box<dyn Fn()>),
            // The operator first retries (still full), then names the stick.
            ("", Box::new(|| ()) as Box<dyn Fn()>),
            (
                Box::leak(stick_path.into_boxed_str()) as &'static str,
                Box::new(|| ()) as Box<dyn Fn()>,
            ),
        ]),
        current: Vec::new(),
    };
    let registry = rekam_station::drivers::registry();
    let mut out = Vec::new();
    let r = enroll::run(
        &st.config,
        &registry,
        &st.request(person()),
        Lang::En,
        &mut out,
        Some(&mut terminal),
    );
    let log = String::from_utf8(out).unwrap();
    let e = r.expect_err("not in the store");
    let not_stored = e
        .downcast_ref::<enroll::NotStored>()
        .unwrap_or_else(|| panic!("{e:#}\n{log}"));
    assert_eq!(
        log.matches("NOT saved in the queue: the station's disk is full")
            .count(),
        2,
        "{log}"
    );
    let file = not_stored.file.clone().unwrap();
    assert!(file.starts_with(stick.path()), "{file:?}");
    let text = e.to_string();
    assert!(text.contains("need not be recorded again"), "{text}");
    assert!(
        text.contains(&format!("rekam queue import {}", file.display())),
        "{text}"
    );
    // Space is freed; the record comes back into the queue, verified, and the file goes.
    fs.set_capacity(None);
    let said = rekam_station::rescue::import(&st.config, &file, Lang::En).unwrap();
    assert!(said.contains(&not_stored.record_id), "{said}");
    assert!(!file.exists(), "the copy on the stick is removed");
    let store = rekam_station::records::store(&st.config).unwrap();
    let entry = store.get(&not_stored.record_id).unwrap();
    assert_eq!(entry.state, rekam_store::State::Queued);
    let path = store.records_dir().join(format!("{}.rkm", entry.record_id));
    drop(store);
    let (text, ok) = rekam_station::records::verify_file(&st.config, &path, None).unwrap();
    assert!(ok, "{text}");
}

/// Issue 10, 4.4: without a terminal nobody can be asked: the sealed record goes to a private
/// fallback folder (0700, the file 0600) that is not on the failed disk, and the message says
/// how to import it.
#[test]
fn without_a_terminal_a_failed_save_leaves_the_record_in_a_private_fallback() {
    let Some(fs) = rekam_testfs::mount_or_skip("without_a_terminal_a_failed_save") else {
        return;
    };
    let st = Station::start_with_data(Some(fs.path().join("data")));
    let mut req = st.request(person());
    // The first fallback is on the failed disk; the second is elsewhere.
    let elsewhere = st.dir.path().join("fallback");
    req.unsaved_dirs = vec![fs.path().join("data/unsaved"), elsewhere.clone()];
    let registry = rekam_station::drivers::registry();
    let mut out = Trigger {
        buf: Vec::new(),
        needle: "[14/14] Signature",
        action: Some(Box::new(|| fs.set_read_only(true))),
    };
    let r = enroll::run(&st.config, &registry, &req, Lang::En, &mut out, None);
    let log = String::from_utf8(out.buf).unwrap();
    let e = r.expect_err("not in the store");
    let not_stored = e
        .downcast_ref::<enroll::NotStored>()
        .unwrap_or_else(|| panic!("{e:#}\n{log}"));
    let file = not_stored.file.clone().unwrap();
    assert_eq!(file.parent(), Some(elsewhere.as_path()));
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&file), mode(&elsewhere)), (0o600, 0o700));
    assert!(e.to_string().contains("rekam queue import"), "{e}");
    fs.set_read_only(false);
    rekam_station::rescue::import(&st.config, &file, Lang::En).unwrap();
    let store = rekam_station::records::store(&st.config).unwrap();
    assert!(store.get(&not_stored.record_id).is_ok());
}
