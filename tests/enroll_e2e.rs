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
            dir.path().join("data").display().to_string(),
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
        }
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
