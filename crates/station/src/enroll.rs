//! `rekam enroll`: one person's complete recording from the terminal, against the configured
//! devices: the header is checked (NIK rules, recording once), then ten fingerprints, both
//! irises, the face and the signature are captured through the quality gates, exceptions are
//! approved by a supervisor, and the record is sealed with the station key and saved durably.
//!
//! The progress lines name the capture, the attempt, the score against the threshold and the
//! quality feedback. They never show the person's data beyond the name the operator typed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use rekam_device::{
    Capture, CaptureRequest, Device, DeviceError, DeviceKind, ErrorKind, Eye, Finger, Position,
    Registry,
};
use rekam_pipeline::engine::{self, Devices, Event, Operator, Policy, Reconnect};
use rekam_pipeline::{nik, Decision, Enrollment, Session, StandardAssessor, Step};
use rekam_record::{Person, Service, Sex};
use rekam_store::Entry;

use crate::config::{DeviceConfig, StationConfig};
use crate::i18n::Lang;

/// A staff member's login (the password from the environment, never the command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// Account name.
    pub user: String,
    /// Password.
    pub password: String,
}

/// An exception the operator records instead of a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionRequest {
    /// Which capture.
    pub step: Step,
    /// `missing`, `amputated`, `bandaged` (fingers) or `missing_eye`.
    pub reason: String,
    /// The operator's note.
    pub note: String,
}

/// What `rekam enroll` is asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// The person's header.
    pub person: Person,
    /// The operator confirms the NIK warnings (birth date or sex differ from the NIK).
    pub confirm_warnings: bool,
    /// Exceptions, each photographed with the station camera before the session starts.
    pub exceptions: Vec<ExceptionRequest>,
    /// The operator.
    pub operator: Login,
    /// The supervisor who approves exceptions.
    pub supervisor: Option<Login>,
    /// The office configuration holding the staff accounts (`config/office.toml`).
    pub office: PathBuf,
    /// The office's application this recording is for (moved to "recorded" when saved).
    pub application: Option<String>,
    /// How patient the engine is.
    pub policy: Policy,
}

/// What happened.
#[derive(Debug)]
pub struct Outcome {
    /// The saved record.
    pub entry: Entry,
    /// The record file.
    pub path: PathBuf,
    /// Per capture: step, status word, score, attempts.
    pub captures: Vec<(Step, String, Option<u8>, u32)>,
}

/// A capture's name as the operator types it: `right_thumb` ... `left_little`, `right_iris`,
/// `left_iris`, `face`, `signature`.
pub fn step_name(step: Step) -> &'static str {
    match step {
        Step::Finger(f) => f.as_str(),
        Step::Iris(Eye::Right) => "right_iris",
        Step::Iris(Eye::Left) => "left_iris",
        Step::Face => "face",
        Step::Signature => "signature",
    }
}

/// Parses a capture name ([`step_name`]).
pub fn parse_step(s: &str) -> Option<Step> {
    Step::order().into_iter().find(|step| step_name(*step) == s)
}

/// The name of a step as the operator reads it.
pub fn step_label(step: Step, lang: Lang) -> String {
    let hand = |left: bool| {
        lang.pick(
            if left { "kiri" } else { "kanan" },
            if left { "left" } else { "right" },
        )
    };
    match step {
        Step::Finger(f) => {
            let (id, en) = match f {
                Finger::RightThumb | Finger::LeftThumb => ("Jempol", "thumb"),
                Finger::RightIndex | Finger::LeftIndex => ("Telunjuk", "index finger"),
                Finger::RightMiddle | Finger::LeftMiddle => ("Jari tengah", "middle finger"),
                Finger::RightRing | Finger::LeftRing => ("Jari manis", "ring finger"),
                Finger::RightLittle | Finger::LeftLittle => ("Kelingking", "little finger"),
            };
            let left = matches!(
                f,
                Finger::LeftThumb
                    | Finger::LeftIndex
                    | Finger::LeftMiddle
                    | Finger::LeftRing
                    | Finger::LeftLittle
            );
            match lang {
                Lang::Id => format!("{id} {}", hand(left)),
                Lang::En => format!("{} {en}", capitalise(hand(left))),
            }
        }
        Step::Iris(e) => {
            let left = e == Eye::Left;
            match lang {
                Lang::Id => format!("Iris mata {}", hand(left)),
                Lang::En => format!("{} iris", capitalise(hand(left))),
            }
        }
        Step::Face => lang.pick("Foto wajah", "Face photo").to_string(),
        Step::Signature => lang.pick("Tanda tangan", "Signature").to_string(),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Simulated devices that live in this process (`simcam`, `simiris`), kept alive for the run.
#[allow(missing_debug_implementations)]
pub struct InProcessSims {
    _camera: Option<firmware_sim::camera::SimCamera>,
    _iris: Option<std::sync::Arc<std::sync::Mutex<firmware_sim::iris::IrisFirmware>>>,
}

impl InProcessSims {
    /// Starts what `config` asks for (`[camera] driver = "simcam"`, `[iris] driver = "simiris"`).
    pub fn start(config: &StationConfig) -> anyhow::Result<Self> {
        let camera = match config.sim_camera()? {
            Some(c) => {
                let cam = firmware_sim::camera::SimCamera::new(&c)
                    .context("starting the simulated camera of [sim.camera]")?;
                cam.plug_in();
                Some(cam)
            }
            None => None,
        };
        let iris = match config.sim_iris()? {
            Some(i) => {
                let fw = std::sync::Arc::new(std::sync::Mutex::new(i.firmware()));
                firmware_sim::iris::plug_in(&fw);
                Some(fw)
            }
            None => None,
        };
        Ok(Self {
            _camera: camera,
            _iris: iris,
        })
    }
}

fn table_for(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::Fingerprint => "fingerprint",
        DeviceKind::Iris => "iris",
        DeviceKind::Camera => "camera",
        DeviceKind::SignaturePad => "signature_pad",
    }
}

fn device_config(config: &StationConfig, kind: DeviceKind) -> Option<&DeviceConfig> {
    match kind {
        DeviceKind::Fingerprint => config.fingerprint.as_ref(),
        DeviceKind::Iris => config.iris.as_ref(),
        DeviceKind::Camera => config.camera.as_ref(),
        DeviceKind::SignaturePad => config.signature_pad.as_ref(),
    }
}

/// Opens the configured device of `kind` through the registry.
pub fn open_device(
    config: &StationConfig,
    registry: &Registry,
    kind: DeviceKind,
) -> Result<Box<dyn Device>, DeviceError> {
    let table = table_for(kind);
    let Some(dev) = device_config(config, kind) else {
        return Err(DeviceError::new(
            ErrorKind::NotFound,
            format!("no [{table}] device is configured"),
        ));
    };
    dev.open(table, registry)
}

struct ReopenFromConfig<'a> {
    config: &'a StationConfig,
    registry: &'a Registry,
}

impl Reconnect for ReopenFromConfig<'_> {
    fn reopen(&mut self, kind: DeviceKind) -> Result<Box<dyn Device>, DeviceError> {
        // A replugged device needs a moment to come back (USB re-enumeration, a new tty).
        let mut last = None;
        for wait_ms in [0u64, 200, 500, 1000] {
            std::thread::sleep(Duration::from_millis(wait_ms));
            match open_device(self.config, self.registry, kind) {
                Ok(d) => return Ok(d),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| DeviceError::new(ErrorKind::NotFound, "not reopened")))
    }
}

struct CliOperator {
    photos: BTreeMap<Step, (String, String, Vec<u8>)>,
    supervisor: Option<String>,
}

impl Operator for CliOperator {
    fn exception_for(&mut self, step: Step) -> Option<(String, String, Vec<u8>)> {
        self.photos.remove(&step)
    }
    fn approve(&mut self, _pending: &[Step]) -> Option<String> {
        self.supervisor.clone()
    }
}

/// Checks the header: an impossible NIK is an error; a NIK that disagrees with the stated
/// birth date or sex needs the operator's confirmation. Returns the confirmed warnings.
pub fn check_header(person: &Person, confirm: bool, lang: Lang) -> anyhow::Result<Vec<String>> {
    let today = time::OffsetDateTime::now_utc().date();
    let parsed = nik::parse(&person.nik, today).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}",
            lang.pick("NIK tidak sah", "The NIK is not valid")
        )
    })?;
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let stated = time::Date::parse(&person.birth_date, &fmt).map_err(|_| {
        anyhow::anyhow!(
            "{}",
            lang.pick(
                "Tanggal lahir harus ditulis TTTT-BB-HH, misalnya 1990-07-12.",
                "The birth date must be written YYYY-MM-DD, e.g. 1990-07-12."
            )
        )
    })?;
    if stated > today {
        bail!(
            "{}",
            lang.pick(
                "Tanggal lahir ada di masa depan.",
                "The birth date is in the future."
            )
        );
    }
    let warnings: Vec<String> = nik::warnings(&parsed, stated, person.sex == Sex::Female)
        .iter()
        .map(ToString::to_string)
        .collect();
    if !warnings.is_empty() && !confirm {
        bail!(
            "{}:\n  {}\n{}",
            lang.pick("Periksa data pemohon", "Check the applicant's data"),
            warnings.join("\n  "),
            lang.pick(
                "Bila data sudah benar sesuai dokumen, ulangi dengan --confirm-warnings.",
                "If the data matches the documents, run again with --confirm-warnings."
            )
        );
    }
    Ok(warnings)
}

/// Opens the office's service data (staff accounts among it) beside the record store.
pub fn open_service(
    office: &Path,
    db: &rekam_service::sled::Db,
    journal: &Path,
    lang: Lang,
) -> anyhow::Result<rekam_service::Service> {
    let sl = service_lang(lang);
    let cfg = rekam_service::OfficeConfig::load(office)
        .map_err(|e| anyhow::anyhow!("{}", e.message(sl)))?;
    rekam_service::Service::open(
        db,
        journal,
        cfg,
        std::sync::Arc::new(rekam_service::SystemClock),
    )
    .map_err(|e| anyhow::anyhow!("{}", e.message(sl)))
}

/// Logs a staff member in against the office's accounts and requires `role`.
pub fn authenticate(
    svc: &rekam_service::Service,
    login: &Login,
    role: rekam_service::Role,
    lang: Lang,
) -> anyhow::Result<rekam_service::Actor> {
    let actor = svc
        .authenticate(&login.user, &login.password)
        .map_err(|e| anyhow::anyhow!("{}", e.message(service_lang(lang))))?;
    if !actor.has(role) {
        bail!(
            "{} {} {}",
            login.user,
            lang.pick("tidak memiliki peran", "does not hold the role"),
            role.label(service_lang(lang))
        );
    }
    Ok(actor)
}

fn service_lang(lang: Lang) -> rekam_service::Lang {
    match lang {
        Lang::Id => rekam_service::Lang::Id,
        Lang::En => rekam_service::Lang::En,
    }
}

/// Runs a complete enrollment. Progress goes to `out` as it happens.
///
/// With `review` (the operator's terminal), the captures are listed after the last one and the
/// operator may name one to redo before the record is sealed; an empty line seals it.
pub fn run(
    config: &StationConfig,
    registry: &Registry,
    req: &Request,
    lang: Lang,
    out: &mut dyn Write,
    mut review: Option<&mut dyn std::io::BufRead>,
) -> anyhow::Result<Outcome> {
    // The one canonical header (NIK digits, name within the card's limits) for every check,
    // the application's NIK and the sealed record.
    let person = req.person.canonical().map_err(|e| {
        anyhow::anyhow!(
            "{}",
            match lang {
                Lang::Id => e.id(),
                Lang::En => e.to_string(),
            }
        )
    })?;
    let req = &Request {
        person,
        ..req.clone()
    };
    let warnings = check_header(&req.person, req.confirm_warnings, lang)?;
    let store = crate::records::store(config)?;
    // Recording once: refuse before anyone spends ten minutes at the scanners.
    rekam_pipeline::check_recording_once(&store, &req.person.nik, req.person.service)
        .map_err(|e| anyhow::anyhow!(refusal(&e, lang)))?;
    let svc = open_service(
        &req.office,
        store.db(),
        &crate::records::service_journal(config),
        lang,
    )?;
    let staff = authenticate(&svc, &req.operator, rekam_service::Role::Operator, lang)?;
    let operator_id = staff.username().to_string();
    let supervisor_id = match &req.supervisor {
        Some(s) => Some(
            authenticate(&svc, s, rekam_service::Role::Supervisor, lang)?
                .username()
                .to_string(),
        ),
        None => None,
    };
    // The office's application this recording is for: verified by the head of service, for
    // this NIK (service standard 004 step 5).
    if let Some(id) = &req.application {
        let app = svc
            .application(id)
            .map_err(|e| anyhow::anyhow!("{}", e.message(service_lang(lang))))?;
        if app.applicant.nik.as_str() != req.person.nik {
            bail!(
                "{}",
                lang.pick(
                    "Permohonan ini untuk NIK lain; periksa nomor permohonan.",
                    "That application is for another NIK; check the application number."
                )
            );
        }
        if !matches!(app.state, rekam_service::State::Verified { .. }) {
            bail!(
                "{} {id}: {}",
                lang.pick("Permohonan", "Application"),
                lang.pick(
                    "belum disetujui Kasi Pelayanan, atau sudah direkam; perekaman menunggu persetujuan.",
                    "is not approved by the head of service, or already recorded; recording waits for approval."
                )
            );
        }
    }
    if !req.exceptions.is_empty() && supervisor_id.is_none() {
        bail!(
            "{}",
            lang.pick(
                "Pengecualian perlu persetujuan Kasi Pelayanan: berikan --supervisor dan REKAM_SUPERVISOR_PASSWORD.",
                "Exceptions need the head of service's approval: give --supervisor and REKAM_SUPERVISOR_PASSWORD."
            )
        );
    }
    let key = crate::records::station_key(config)?;
    let _sims = InProcessSims::start(config)?;

    let mut devices = Devices::default();
    for kind in [
        DeviceKind::Fingerprint,
        DeviceKind::Iris,
        DeviceKind::Camera,
        DeviceKind::SignaturePad,
    ] {
        match open_device(config, registry, kind) {
            Ok(d) => *devices.slot(kind) = Some(d),
            Err(e) => {
                writeln!(
                    out,
                    "! {} ({}): {}",
                    lang.pick("Perangkat belum siap", "Device not ready"),
                    table_for(kind),
                    e.message()
                )?;
            }
        }
    }

    // Exceptions are photographed with the station camera before the session starts.
    let mut photos = BTreeMap::new();
    for ex in &req.exceptions {
        let Some(cam) = devices.camera.as_mut() else {
            bail!(
                "{}",
                lang.pick(
                    "Foto pengecualian perlu kamera; kamera belum siap.",
                    "An exception photo needs the camera, which is not ready."
                )
            );
        };
        writeln!(
            out,
            "{} {}: {}",
            lang.pick("Foto pengecualian", "Exception photo"),
            step_label(ex.step, lang),
            ex.reason
        )?;
        let c = cam
            .capture(&CaptureRequest::new(
                Position::Face,
                req.policy.capture_timeout,
            ))
            .map_err(|e| anyhow::anyhow!("{}: {}", lang.pick("Kamera", "Camera"), e.message()))?;
        let Capture::Image(img) = c else {
            bail!("the camera returned a pen series");
        };
        photos.insert(ex.step, (ex.reason.clone(), ex.note.clone(), img.to_png()?));
    }

    let mut session = Session::new(req.person.clone(), config.gates, warnings);
    let mut operator = CliOperator {
        photos,
        supervisor: supervisor_id,
    };
    let mut reopen = ReopenFromConfig { config, registry };
    let total = Step::order().len();
    loop {
        let mut io_error = None;
        let result = engine::run(
            &mut session,
            &mut devices,
            &StandardAssessor,
            &mut reopen,
            &mut operator,
            req.policy,
            &mut |e| {
                if let Err(err) = print_event(out, e, lang, total) {
                    io_error.get_or_insert(err);
                }
            },
        );
        if let Some(e) = io_error {
            return Err(e.into());
        }
        match (result, review.as_deref_mut()) {
            (Ok(()), _) => {}
            // At a terminal, a device that stayed away (or a person who did not present) does
            // not end the session: the operator reconnects or swaps the device and goes on.
            (
                Err(
                    e @ (engine::EngineError::Device { .. } | engine::EngineError::NotPresented(_)),
                ),
                Some(input),
            ) => {
                writeln!(out, "! {}", engine_refusal(&e, lang))?;
                if !ask_continue(lang, input, out)? {
                    bail!(
                        "{}",
                        lang.pick(
                            "Perekaman dibatalkan oleh operator; tidak ada yang disimpan.",
                            "The recording was abandoned by the operator; nothing was saved."
                        )
                    );
                }
                if let engine::EngineError::Device { kind, .. } = e {
                    match reopen.reopen(kind) {
                        Ok(d) => {
                            *devices.slot(kind) = Some(d);
                            writeln!(
                                out,
                                "        {} {kind}",
                                lang.pick("Tersambung kembali:", "Reconnected:")
                            )?;
                        }
                        Err(e) => writeln!(out, "! {kind}: {}", e.message())?,
                    }
                }
                continue;
            }
            (Err(e), _) => bail!("{}", engine_refusal(&e, lang)),
        }
        // Review: the operator may go back and redo any capture before the record is sealed.
        let Some(input) = review.as_deref_mut() else {
            break;
        };
        match ask_redo(&session, lang, input, out)? {
            Some(step) => {
                session.redo(step);
            }
            None => break,
        }
    }

    let entry = Enrollment {
        station_id: &config.station.id,
        operator_id: &operator_id,
        key: &key,
        store: &store,
    }
    .seal_and_commit(&session)
    .map_err(|e| anyhow::anyhow!(refusal(&e, lang)))?;
    let path = store.records_dir().join(format!("{}.rkm", entry.record_id));
    // The application moves on to "recorded" with the record id. The record is already saved:
    // if this fails, the operator is told how to link it.
    if let Some(id) = &req.application {
        if let Err(e) = svc.apply(
            &staff,
            id,
            rekam_service::Action::Record {
                record_id: Some(entry.record_id.clone()),
            },
        ) {
            writeln!(
                out,
                "! {}: {} (rekam service record {id} --record-id {})",
                lang.pick(
                    "Permohonan belum diperbarui",
                    "The application was not updated"
                ),
                e.message(service_lang(lang)),
                entry.record_id
            )?;
        }
    }
    let captures = Step::order()
        .into_iter()
        .filter_map(|s| {
            let slot = session.slot(s)?;
            let status = slot.status.map(|st| format!("{st:?}")).unwrap_or_default();
            let score = slot.best.as_ref().map(|(_, r)| r.score);
            Some((s, status, score, slot.attempts))
        })
        .collect();
    Ok(Outcome {
        entry,
        path,
        captures,
    })
}

/// Asks whether to go on after a device fault: Enter continues, `batal`/`stop` abandons.
fn ask_continue(
    lang: Lang,
    input: &mut dyn std::io::BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    write!(
        out,
        "{} ",
        lang.pick(
            "Sambungkan kembali atau ganti perangkatnya, lalu tekan Enter untuk melanjutkan (ketik 'batal' untuk membatalkan):",
            "Reconnect or swap the device, then press Enter to continue (type 'stop' to abandon):"
        )
    )?;
    out.flush()?;
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(false);
    }
    Ok(!matches!(line.trim(), "batal" | "stop"))
}

/// Lists the captures and asks which to redo: a capture's name, or an empty line to seal.
fn ask_redo(
    session: &Session,
    lang: Lang,
    input: &mut dyn std::io::BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Option<Step>> {
    writeln!(
        out,
        "\n{}",
        lang.pick("Periksa hasil perekaman:", "Review the captures:")
    )?;
    for step in Step::order() {
        let Some(slot) = session.slot(step) else {
            continue;
        };
        writeln!(
            out,
            "  {:<14} {:<22} {:>5}",
            step_name(step),
            step_label(step, lang),
            slot.best
                .as_ref()
                .map_or("-".to_string(), |(_, r)| r.score.to_string())
        )?;
    }
    loop {
        write!(
            out,
            "{} ",
            lang.pick(
                "Ketik nama perekaman yang diulang, atau Enter untuk menyimpan:",
                "Type the name of a capture to redo, or Enter to save:"
            )
        )?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let answer = line.trim();
        if answer.is_empty() {
            return Ok(None);
        }
        match parse_step(answer) {
            Some(step) => return Ok(Some(step)),
            None => writeln!(
                out,
                "'{answer}' {}",
                lang.pick(
                    "bukan nama perekaman dalam daftar.",
                    "is not the name of a capture in the list."
                )
            )?,
        }
    }
}

fn refusal(e: &rekam_pipeline::PipelineError, lang: Lang) -> String {
    match e {
        rekam_pipeline::PipelineError::AlreadyRecorded {
            record_id,
            sealed_at,
        } => match lang {
            Lang::Id => format!("NIK ini sudah direkam di stasiun ini (rekaman {record_id}, {sealed_at}). Perekaman dilakukan satu kali; untuk KTP-el hilang, rusak atau perubahan data pilih layanan itu."),
            Lang::En => format!("This NIK was already recorded on this station (record {record_id}, {sealed_at}). A person is recorded once; for a lost or damaged card or a data change, choose that service."),
        },
        other => other.to_string(),
    }
}

fn engine_refusal(e: &engine::EngineError, lang: Lang) -> String {
    let lead = lang.pick(
        "Perekaman berhenti; yang sudah direkam tetap tersimpan di sesi ini",
        "The recording stopped; what was captured is kept in this session",
    );
    format!("{lead}: {e}")
}

fn print_event(out: &mut dyn Write, e: &Event, lang: Lang, total: usize) -> std::io::Result<()> {
    match e {
        Event::Prompt { step, attempt, of } => {
            let n = Step::order()
                .iter()
                .position(|s| s == step)
                .map_or(0, |i| i + 1);
            writeln!(
                out,
                "[{n:>2}/{total}] {} — {} {attempt}/{of}",
                step_label(*step, lang),
                lang.pick("percobaan", "attempt")
            )
        }
        Event::Scored {
            report, decision, ..
        } => {
            let verdict = match decision {
                Decision::Accepted => lang.pick("diterima", "accepted").to_string(),
                Decision::Retry { left } => match lang {
                    Lang::Id => format!("kurang baik, ulangi (sisa {left})"),
                    Lang::En => format!("not good enough, again ({left} left)"),
                },
                Decision::ForceCaptured => lang
                    .pick(
                        "batas percobaan habis: yang terbaik disimpan (force-capture)",
                        "attempts used up: the best is kept (force-captured)",
                    )
                    .to_string(),
            };
            writeln!(
                out,
                "        {} {:>3} — {verdict}",
                lang.pick("skor", "score"),
                report.score
            )?;
            for f in &report.feedback {
                writeln!(out, "        · {}", lang.pick(f.id, f.en))?;
            }
            Ok(())
        }
        Event::Excepted { step, reason } => writeln!(
            out,
            "        {} {}: {reason} ({})",
            lang.pick("Pengecualian", "Exception"),
            step_label(*step, lang),
            lang.pick("menunggu persetujuan", "awaiting approval")
        ),
        Event::DeviceFault { kind, message, .. } => writeln!(
            out,
            "        ! {} ({kind}): {message}",
            lang.pick("Gangguan perangkat", "Device fault")
        ),
        Event::Reconnected { kind } => writeln!(
            out,
            "        {} {kind}",
            lang.pick("Tersambung kembali:", "Reconnected:")
        ),
        Event::NotPresented { step } => writeln!(
            out,
            "        {} ({})",
            lang.pick(
                "Tidak ada yang diletakkan; minta pemohon mencoba lagi",
                "Nothing presented; ask the applicant to try again"
            ),
            step_label(*step, lang)
        ),
    }
}

/// The summary printed after saving.
pub fn render_summary(o: &Outcome, lang: Lang) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "\n{} {}\n{} {}\n",
        lang.pick("Tersimpan: rekaman", "Saved: record"),
        o.entry.record_id,
        lang.pick("Berkas:", "File:"),
        o.path.display()
    ));
    for (step, status, score, attempts) in &o.captures {
        let status = match (status.as_str(), lang) {
            ("Captured", Lang::Id) => "direkam",
            ("Captured", Lang::En) => "captured",
            ("ForceCaptured", _) => "force-capture",
            ("Exception", Lang::Id) => "pengecualian",
            ("Exception", Lang::En) => "exception",
            (other, _) => other,
        };
        s.push_str(&format!(
            "  {:<22} {:<14} {:>5} {}\n",
            step_label(*step, lang),
            status,
            score.map_or("-".to_string(), |v| v.to_string()),
            match lang {
                Lang::Id => format!("{attempts} percobaan"),
                Lang::En => format!("{attempts} attempt(s)"),
            }
        ));
    }
    s
}

/// Parses `--sex`.
pub fn parse_sex(s: &str) -> Option<Sex> {
    match s.to_ascii_lowercase().as_str() {
        "m" | "male" | "l" | "laki-laki" => Some(Sex::Male),
        "f" | "female" | "p" | "perempuan" => Some(Sex::Female),
        _ => None,
    }
}

/// Parses `--service`.
pub fn parse_service(s: &str) -> Option<Service> {
    Some(match s {
        "new" | "baru" => Service::New,
        "replacement_lost" | "hilang" => Service::ReplacementLost,
        "replacement_damaged" | "rusak" => Service::ReplacementDamaged,
        "data_change" | "perubahan" => Service::DataChange,
        "moved_in" | "pindah" => Service::MovedIn,
        "recording_only" | "rekam" => Service::RecordingOnly,
        _ => return None,
    })
}

/// Parses `--exception STEP:REASON[:NOTE]`.
pub fn parse_exception(s: &str) -> Result<ExceptionRequest, String> {
    let mut parts = s.splitn(3, ':');
    let (Some(step), Some(reason)) = (parts.next(), parts.next()) else {
        return Err(format!(
            "'{s}': write CAPTURE:REASON[:NOTE], e.g. left_little:amputated:since 2010"
        ));
    };
    let step = parse_step(step).ok_or_else(|| {
        format!("'{step}' is not a capture: right_thumb ... left_little, right_iris, left_iris")
    })?;
    Ok(ExceptionRequest {
        step,
        reason: reason.to_string(),
        note: parts.next().unwrap_or("").to_string(),
    })
}
