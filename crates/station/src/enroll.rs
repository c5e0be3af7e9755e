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

use anyhow::bail;
use rekam_device::{
    Capture, CaptureRequest, Device, DeviceError, DeviceKind, ErrorKind, Eye, Finger, Position,
    Registry,
};
use rekam_pipeline::engine::{self, kind_for, Devices, Event, Operator, Policy, Reconnect};
use rekam_pipeline::{
    nik, Decision, Enrollment, ExceptionError, PipelineError, Sealed, Session, StandardAssessor,
    Step,
};
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
    /// Where the sealed record is written if the store cannot take it and the session must
    /// end (no terminal, or the operator stops): the first safe folder that takes it
    /// ([`crate::rescue::default_dirs`]).
    pub unsaved_dirs: Vec<PathBuf>,
}

/// The record was sealed but is not in the station's queue: the store refused it (disk full,
/// read-only disk). Says where the sealed record is, if anywhere, and how to bring it back.
#[derive(Debug)]
pub struct NotStored {
    /// The record id.
    pub record_id: String,
    /// Why the store refused it, in the operator's language.
    pub reason: String,
    /// Where the sealed record was written instead (0600), for `rekam queue import`.
    pub file: Option<PathBuf>,
    /// Why each fallback folder could not take it, when none did.
    pub problems: Vec<String>,
    /// The language of the message.
    pub lang: Lang,
}

impl std::fmt::Display for NotStored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = &self.record_id;
        let reason = &self.reason;
        match (&self.file, self.lang) {
            (Some(file), Lang::Id) => write!(
                f,
                "Rekaman {id} TIDAK tersimpan di antrean stasiun ({reason}). Rekaman yang sudah disegel disimpan di {}; pemohon tidak perlu direkam ulang. Setelah disk diperbaiki atau dikosongkan, masukkan ke antrean dengan: rekam queue import {}",
                file.display(),
                file.display()
            ),
            (Some(file), Lang::En) => write!(
                f,
                "Record {id} was NOT saved in the station's queue ({reason}). The sealed record was written to {}; the applicant need not be recorded again. Once the disk is repaired or has space, put it in the queue with: rekam queue import {}",
                file.display(),
                file.display()
            ),
            (None, Lang::Id) => write!(
                f,
                "Rekaman {id} TIDAK tersimpan ({reason}), dan tidak ada tempat aman untuk menyimpannya ({}). Rekaman ini hilang saat program berakhir: perbaiki disk, lalu rekam ulang pemohon.",
                self.problems.join("; ")
            ),
            (None, Lang::En) => write!(
                f,
                "Record {id} was NOT saved ({reason}), and no safe place would take it ({}). It is lost when this program ends: repair the disk, then record the applicant again.",
                self.problems.join("; ")
            ),
        }
    }
}

impl std::error::Error for NotStored {}

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

pub use crate::sims::InProcessSims;

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

/// The service crate's language for `lang`.
pub fn service_lang(lang: Lang) -> rekam_service::Lang {
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
    // Everything that can be known before the first capture is checked before it: the
    // exceptions, and that every device the session needs is configured.
    check_planned_exceptions(&req.exceptions, lang)?;
    let needed = needed_devices(&req.exceptions);
    check_configured(config, &needed, lang)?;
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
    let supervisor = match &req.supervisor {
        Some(s) => Some(authenticate(
            &svc,
            s,
            rekam_service::Role::Supervisor,
            lang,
        )?),
        None => None,
    };
    let supervisor_id = supervisor.as_ref().map(|a| a.username().to_string());
    // The approver of an exception is another person than the operator, unless the office's
    // standard has no head of service and its configuration says so (audited when used).
    let self_approval =
        !req.exceptions.is_empty() && supervisor_id.as_deref() == Some(&operator_id);
    if self_approval && !svc.office().accounts.operator_may_approve_own_exceptions {
        bail!(
            "{}",
            match lang {
                Lang::Id => format!("Pengecualian harus disetujui orang lain: {operator_id} adalah operator perekaman ini. Minta Kasi Pelayanan masuk dengan --supervisor. (Kantor yang standar pelayanannya tidak punya Kasi Pelayanan dapat mengizinkannya di office.toml: [accounts] operator_may_approve_own_exceptions = true.)"),
                Lang::En => format!("An exception must be approved by another person: {operator_id} is the operator of this recording. Ask the head of service to log in with --supervisor. (An office whose service standard has no head of service may allow it in office.toml: [accounts] operator_may_approve_own_exceptions = true.)"),
            }
        );
    }
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
    // A missing key is refused here, before the person is captured (never replaced).
    let key = crate::records::station_key(config)?;
    let _sims = InProcessSims::start(config)?;

    // Every device the session needs answers before the first capture.
    let mut devices = open_needed(config, registry, &needed, lang)?;

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
    session.allow_self_approval(self_approval);
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
                writeln!(
                    out,
                    "! {}: {}",
                    engine_problem(&e, lang),
                    lang.pick(
                        "yang sudah direkam tetap tersimpan di sesi ini",
                        "what was captured is kept in this session"
                    )
                )?;
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
            // The session ends here: say so, and that nothing was saved.
            (Err(e), _) => bail!(
                "{}: {}",
                lang.pick(
                    "Perekaman berhenti dan tidak ada yang disimpan",
                    "The recording stopped and nothing was saved"
                ),
                engine_problem(&e, lang)
            ),
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

    let enrollment = Enrollment {
        station_id: &config.station.id,
        operator_id: &operator_id,
        key: &key,
        store: &store,
    };
    let sealed = enrollment
        .seal(&session)
        .map_err(|e| anyhow::anyhow!(refusal(&e, lang)))?;
    // From here the record is sealed: a save the disk refuses keeps it (retry, another place,
    // or a private fallback folder), never throws it away.
    let entry = match save_sealed(&enrollment, &sealed, &req.unsaved_dirs, lang, out, review) {
        Ok(entry) => entry,
        Err(e) => {
            // Said on the terminal first: whatever happens next, the operator knows where the
            // record is.
            writeln!(out, "! {e}")?;
            // sled 0.34 unwraps an fsync when the index is dropped, which panics on a
            // read-only disk: that panic must not replace the answer.
            let closing = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                drop(svc);
                drop(store);
            }));
            if closing.is_err() {
                tracing::error!("the record index could not be closed cleanly on the failed disk");
            }
            return Err(e);
        }
    };
    let path = store.records_dir().join(format!("{}.rkm", entry.record_id));
    if self_approval {
        let n = req.exceptions.len();
        if let Err(e) = svc.audit_station_action(
            &staff,
            rekam_service::Role::Supervisor,
            "exception_self_approved",
            &entry.record_id,
            &format!("{n} exception(s) approved by the operator of the recording (office.toml accounts.operator_may_approve_own_exceptions)"),
        ) {
            writeln!(
                out,
                "! {}: {}",
                lang.pick(
                    "Persetujuan oleh operator sendiri TIDAK tercatat di jejak audit",
                    "The operator's own approval was NOT written to the audit trail"
                ),
                e.message(service_lang(lang))
            )?;
        }
    }
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

/// Every planned exception is checked before anything is captured: a reason that fits the
/// capture, none for the face or the signature, one per finger or eye.
pub fn check_planned_exceptions(exceptions: &[ExceptionRequest], lang: Lang) -> anyhow::Result<()> {
    rekam_pipeline::check_exceptions(exceptions.iter().map(|e| (e.step, e.reason.as_str())))
        .map_err(|e| anyhow::anyhow!("{}", exception_refusal(&e, lang)))
}

/// An exception's refusal in the operator's language.
pub fn exception_refusal(e: &ExceptionError, lang: Lang) -> String {
    let reasons = |step: Step| rekam_pipeline::session::exception_reasons(step).join(", ");
    let lead = lang.pick(
        "Pengecualian ditolak sebelum perekaman dimulai",
        "Exception refused before anything was captured",
    );
    let what = match (e, lang) {
        (ExceptionError::NotAllowed(step), Lang::Id) => format!(
            "{} tidak boleh dikecualikan; harus direkam",
            step_label(*step, lang)
        ),
        (ExceptionError::NotAllowed(step), Lang::En) => format!(
            "the {} cannot be excepted; it must be captured",
            step_label(*step, lang).to_lowercase()
        ),
        (ExceptionError::BadReason { step, reason }, Lang::Id) => format!(
            "'{reason}' bukan alasan untuk {} ({}); gunakan: {}",
            step_label(*step, lang),
            step_name(*step),
            reasons(*step)
        ),
        (ExceptionError::BadReason { step, reason }, Lang::En) => format!(
            "'{reason}' is not a reason for the {} ({}); use: {}",
            step_label(*step, lang).to_lowercase(),
            step_name(*step),
            reasons(*step)
        ),
        (ExceptionError::Twice(step), Lang::Id) => format!(
            "{} ({}) diberi dua pengecualian; berikan satu saja",
            step_label(*step, lang),
            step_name(*step)
        ),
        (ExceptionError::Twice(step), Lang::En) => format!(
            "the {} ({}) has two exceptions; give one",
            step_label(*step, lang).to_lowercase(),
            step_name(*step)
        ),
    };
    format!("{lead}: {what}.")
}

/// The devices a session needs, each with the steps it takes: every step that is not excepted
/// (the camera always, for the face and the exception photos).
pub fn needed_devices(exceptions: &[ExceptionRequest]) -> Vec<(DeviceKind, Vec<Step>)> {
    let mut needed: Vec<(DeviceKind, Vec<Step>)> = Vec::new();
    for step in Step::order() {
        if exceptions.iter().any(|e| e.step == step) {
            continue;
        }
        let kind = kind_for(step);
        match needed.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, steps)) => steps.push(step),
            None => needed.push((kind, vec![step])),
        }
    }
    needed
}

/// A device's name as the operator reads it.
pub fn device_label(kind: DeviceKind, lang: Lang) -> &'static str {
    match kind {
        DeviceKind::Fingerprint => lang.pick("pemindai sidik jari", "fingerprint scanner"),
        DeviceKind::Iris => lang.pick("pemindai iris", "iris scanner"),
        DeviceKind::Camera => lang.pick("kamera", "camera"),
        DeviceKind::SignaturePad => lang.pick("bantalan tanda tangan", "signature pad"),
    }
}

fn steps_text(steps: &[Step], lang: Lang) -> String {
    match steps {
        [one] => step_label(*one, lang),
        [first, .., last] if steps.len() > 2 => format!(
            "{} ... {}",
            step_label(*first, lang),
            step_label(*last, lang)
        ),
        _ => steps
            .iter()
            .map(|s| step_label(*s, lang))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Refuses, naming each device, a session whose configuration lacks a device it needs.
pub fn check_configured(
    config: &StationConfig,
    needed: &[(DeviceKind, Vec<Step>)],
    lang: Lang,
) -> anyhow::Result<()> {
    let missing: Vec<String> = needed
        .iter()
        .filter(|(kind, _)| device_config(config, *kind).is_none())
        .map(|(kind, steps)| match lang {
            Lang::Id => format!(
                "{} (untuk {}): tidak ada tabel [{}]",
                device_label(*kind, lang),
                steps_text(steps, lang),
                table_for(*kind)
            ),
            Lang::En => format!(
                "the {} (for {}): there is no [{}] table",
                device_label(*kind, lang),
                steps_text(steps, lang),
                table_for(*kind)
            ),
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let file = if config.source.as_os_str().is_empty() {
        lang.pick("stasiun", "of the station").to_string()
    } else {
        config.source.display().to_string()
    };
    bail!(
        "{}",
        match lang {
            Lang::Id => format!(
                "Perekaman tidak dimulai: konfigurasi {file} tidak memuat perangkat yang diperlukan:\n  {}\nTambahkan perangkat itu (contoh: config/station.toml), atau catat pengecualian untuk jari atau mata yang memang tidak ada.",
                missing.join("\n  ")
            ),
            Lang::En => format!(
                "Nothing was captured: the configuration {file} lacks a device the recording needs:\n  {}\nAdd the device (see config/station.toml), or record an exception for a finger or eye that is truly absent.",
                missing.join("\n  ")
            ),
        }
    );
}

/// Opens every device the session needs through the registry, and asks each what it is (the
/// device answers); refuses, naming each device that does not, before anything is captured.
fn open_needed(
    config: &StationConfig,
    registry: &Registry,
    needed: &[(DeviceKind, Vec<Step>)],
    lang: Lang,
) -> anyhow::Result<Devices> {
    let mut devices = Devices::default();
    let mut problems = Vec::new();
    for (kind, _) in needed {
        let opened = open_device(config, registry, *kind).and_then(|mut d| {
            d.info()?;
            Ok(d)
        });
        match opened {
            Ok(d) => *devices.slot(*kind) = Some(d),
            Err(e) => {
                let port = device_config(config, *kind).map_or("", |d| d.port.as_str());
                problems.push(format!(
                    "{} ([{}] {port}): {} {}",
                    device_label(*kind, lang),
                    table_for(*kind),
                    e.message(),
                    crate::i18n::hint_for(lang, table_for(*kind), e.kind(), port)
                ));
            }
        }
    }
    if problems.is_empty() {
        return Ok(devices);
    }
    bail!(
        "{}:\n  {}\n{}",
        lang.pick(
            "Perekaman tidak dimulai: perangkat yang diperlukan belum menjawab",
            "Nothing was captured: a device the recording needs does not answer"
        ),
        problems.join("\n  "),
        lang.pick(
            "Periksa perangkat dengan `rekam diag`, lalu ulangi.",
            "Check the devices with `rekam diag`, then start again."
        )
    );
}

/// Why the store refused a record, in the operator's language.
fn store_problem(e: &PipelineError, lang: Lang) -> String {
    use rekam_store::StoreError;
    match e {
        PipelineError::Store(StoreError::DiskFull) => lang
            .pick("disk stasiun penuh", "the station's disk is full")
            .to_string(),
        PipelineError::Store(StoreError::ReadOnly(p)) => match lang {
            Lang::Id => format!("tempat rekaman {} hanya dapat dibaca (disk mungkin dipasang ulang read-only setelah galat)", p.display()),
            Lang::En => format!("the record store {} is read-only (the disk may have been remounted read-only after an error)", p.display()),
        },
        PipelineError::Store(StoreError::Permission(p)) => match lang {
            Lang::Id => format!("stasiun tidak boleh menulis ke {}", p.display()),
            Lang::En => format!("the station may not write to {}", p.display()),
        },
        other => other.to_string(),
    }
}

/// Commits a sealed record; when the store refuses it, keeps it. At a terminal the operator
/// frees space and retries (Enter), or names a folder or file to save it to (for `rekam queue
/// import`); without a terminal, or when the operator stops, it goes to the first safe
/// fallback folder. Only a committed record is `Ok`; otherwise a [`NotStored`] says where the
/// record is.
fn save_sealed<'r>(
    enrollment: &Enrollment<'_>,
    sealed: &Sealed,
    fallback_dirs: &[PathBuf],
    lang: Lang,
    out: &mut dyn Write,
    mut review: Option<&mut (dyn std::io::BufRead + 'r)>,
) -> anyhow::Result<rekam_store::Entry> {
    let reason = loop {
        let err = match enrollment.commit(sealed) {
            Ok(entry) => return Ok(entry),
            Err(e) => e,
        };
        let reason = store_problem(&err, lang);
        writeln!(
            out,
            "! {}: {reason}. {}",
            lang.pick(
                "Rekaman TIDAK tersimpan di antrean",
                "The record was NOT saved in the queue"
            ),
            lang.pick(
                "Rekaman sudah disegel dan ditandatangani, dan disimpan di memori program ini: pemohon tidak perlu direkam ulang.",
                "It is sealed and signed, and kept in this program's memory: the applicant need not be recorded again."
            )
        )?;
        let Some(input) = review.as_deref_mut() else {
            break reason;
        };
        write!(
            out,
            "{} ",
            lang.pick(
                "Kosongkan ruang disk (misalnya `rekam queue export` ke flashdisk di terminal lain), lalu tekan Enter untuk menyimpan lagi; atau ketik folder atau berkas lain (misalnya flashdisk) untuk menyimpannya di sana, lalu `rekam queue import`; atau ketik 'batal' untuk berhenti:",
                "Free space (e.g. `rekam queue export` to a USB stick in another terminal), then press Enter to save again; or type another folder or file (e.g. a USB stick) to save it there for `rekam queue import`; or type 'stop' to end:"
            )
        )?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            break reason;
        }
        match line.trim() {
            "" => continue,
            "batal" | "stop" => break reason,
            place => match crate::rescue::save_to(Path::new(place), sealed) {
                Ok((file, warning)) => {
                    if let Some(w) = warning {
                        writeln!(
                            out,
                            "! {}: {w}",
                            lang.pick(
                                "Perhatian: berkas itu berisi data pemohon, dan pengguna lain dapat membacanya di sana; simpan flashdisk itu",
                                "Careful: the file holds the applicant's data and others can read it there; keep the stick safe"
                            )
                        )?;
                    }
                    return Err(NotStored {
                        record_id: sealed.record_id.clone(),
                        reason,
                        file: Some(file),
                        problems: Vec::new(),
                        lang,
                    }
                    .into());
                }
                Err(e) => writeln!(
                    out,
                    "! {}: {e}",
                    lang.pick("Tidak dapat menyimpan di sana", "Could not save it there")
                )?,
            },
        }
    };
    // The session ends: the sealed record goes to a private fallback folder, if one is safe.
    let (file, problems) = match crate::rescue::fallback(sealed, fallback_dirs) {
        Ok(file) => (Some(file), Vec::new()),
        Err(problems) => (None, problems),
    };
    Err(NotStored {
        record_id: sealed.record_id.clone(),
        reason,
        file,
        problems,
        lang,
    }
    .into())
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

/// What stopped the engine, without promising what happens next (the caller says that).
fn engine_problem(e: &engine::EngineError, lang: Lang) -> String {
    match (e, lang) {
        (engine::EngineError::Device { kind, message }, Lang::Id) => {
            format!("{} tidak tersedia ({message})", device_label(*kind, lang))
        }
        (engine::EngineError::Device { kind, message }, Lang::En) => {
            format!(
                "the {} is not available ({message})",
                device_label(*kind, lang)
            )
        }
        (engine::EngineError::NotPresented(step), Lang::Id) => {
            format!("pemohon tidak siap untuk {}", step_label(*step, lang))
        }
        (engine::EngineError::NotPresented(step), Lang::En) => format!(
            "the applicant did not present for the {}",
            step_label(*step, lang).to_lowercase()
        ),
        (other, _) => other.to_string(),
    }
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
    // Refused here, before anything runs, not after nine fingers.
    rekam_pipeline::check_exception(step, reason).map_err(|e| exception_refusal(&e, Lang::En))?;
    Ok(ExceptionRequest {
        step,
        reason: reason.to_string(),
        note: parts.next().unwrap_or("").to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(step: &str, reason: &str) -> ExceptionRequest {
        parse_exception(&format!("{step}:{reason}")).unwrap()
    }

    // config/sim.toml names simulated drivers, which only a build with the simulator accepts.
    #[cfg(feature = "sim")]
    #[test]
    fn the_simulator_configuration_has_every_device_a_recording_needs() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/sim.toml");
        let c = StationConfig::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        check_configured(&c, &needed_devices(&[]), Lang::En).unwrap();
    }

    #[test]
    fn a_missing_device_is_named_before_anything_is_captured() {
        let c = StationConfig::parse(
            "[fingerprint]\ndriver = \"r30x\"\nport = \"/dev/ttyUSB0\"\n\n[signature_pad]\ndriver = \"isdv4\"\nport = \"/dev/ttyS4\"\n\n[camera]\ndriver = \"v4l\"\nport = \"/dev/video0\"\n",
        )
        .unwrap();
        let e = check_configured(&c, &needed_devices(&[]), Lang::En)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the iris scanner (for Right iris, Left iris): there is no [iris] table"),
            "{e}"
        );
        let e = check_configured(&c, &needed_devices(&[]), Lang::Id)
            .unwrap_err()
            .to_string();
        assert!(e.contains("pemindai iris") && e.contains("[iris]"), "{e}");
        // A person with no eyes needs no iris scanner.
        let both = [
            ex("right_iris", "missing_eye"),
            ex("left_iris", "missing_eye"),
        ];
        check_configured(&c, &needed_devices(&both), Lang::En).unwrap();
        let needed = needed_devices(&[ex("left_little", "amputated")]);
        assert_eq!(needed[0].0, DeviceKind::Fingerprint);
        assert_eq!(needed[0].1.len(), 9);
    }

    #[test]
    fn exceptions_are_refused_when_the_command_line_is_read() {
        // The two that were refused only after nine fingers.
        let e = parse_exception("left_little:lost").unwrap_err();
        assert!(e.contains("'lost' is not a reason"), "{e}");
        assert!(e.contains("missing, amputated, bandaged"), "{e}");
        let e = parse_exception("face:missing").unwrap_err();
        assert!(e.contains("cannot be excepted"), "{e}");
        assert!(parse_exception("left_iris:amputated").is_err());
        // Two for one finger: refused as a whole, in both languages.
        let two = [
            ex("left_little", "amputated"),
            ex("left_little", "bandaged"),
        ];
        let e = check_planned_exceptions(&two, Lang::En)
            .unwrap_err()
            .to_string();
        assert!(e.contains("has two exceptions"), "{e}");
        let e = check_planned_exceptions(&two, Lang::Id)
            .unwrap_err()
            .to_string();
        assert!(e.contains("dua pengecualian"), "{e}");
        check_planned_exceptions(&[ex("left_little", "amputated")], Lang::En).unwrap();
    }
}
