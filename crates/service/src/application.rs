//! An application (permohonan) and the one state machine it moves through.
//!
//! ```text
//!   Ticketed ──check file──▶ FileChecked ──approve──▶ Verified ──record──▶ Recorded ──register──▶ Registered
//!     │  ▲                     │     ▲                                                   │
//!     │  └─(re-check)─ Returned│     └─(re-check)── SentBack ◀──send back──┘              ├─print────────────▶ Printed ──hand over──▶ Collected
//!     │                        │                                                         └─send for printing─▶ SentForPrinting ─print (card back)─▶ Printed
//!     └──────────────── refuse (age, or by the clerk) ──────────▶ Refused
//! ```
//!
//! A recording-only service (Kedopok, 004) ends at `Registered`. Every step is one [`Action`]
//! given to [`transition`], which checks the actor's role and the current state; the
//! [`Service`] methods persist the result and the audit entry in one step, journalled
//! and fsynced before it is acknowledged (see [`crate::store`]).

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::config::{ExtensionReason, Milestone, OfficeConfig, Party, Product, ServiceDef};
use crate::eligibility::{self, Eligibility, MaritalStatus};
use crate::error::{Error, Result};
use crate::nik::{FamilyCardNo, Nik};
use crate::store::{self, decode, AuditEntry, Tr};
use crate::ticket::{day_key, Ticket, TicketStatus};
use crate::{Actor, Lang, Msg, Role, Service};

/// The person the card is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    /// Full name as on the family card.
    pub name: String,
    /// Population number.
    pub nik: Nik,
    /// Birth date.
    pub birth_date: Date,
    /// Marital status.
    pub marital: MaritalStatus,
    /// Family-card number, needed when a family member collects the card.
    pub family_card: Option<FamilyCardNo>,
    /// Address, for the complaint book and home delivery of a corrected product (004 C.6).
    pub address: Option<String>,
}

/// Where an application is. States that carry data carry what that step decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    /// Opened at the counter from a queue ticket; the file is being checked.
    Ticketed,
    /// The file was incomplete and went back to the applicant with what is missing.
    Returned {
        /// Codes of the missing requirements.
        missing: Vec<String>,
    },
    /// The file is complete and accepted; the time limit runs.
    FileChecked,
    /// The head of service sent the file back to the front office.
    SentBack {
        /// Why.
        reason: String,
    },
    /// The head of service verified the file and initialled it (004 steps 3-4).
    Verified {
        /// The initials (paraf).
        initials: String,
    },
    /// The biometrics were recorded.
    Recorded {
        /// The pipeline's enrollment record id, once linked.
        record_id: Option<String>,
    },
    /// Entered in the register book with a number and stamp (004 step 6).
    Registered,
    /// Sent to the regency office for printing (003 4.6).
    SentForPrinting,
    /// The card is printed (or back from the regency) and waits to be collected.
    Printed,
    /// The card was handed over.
    Collected,
    /// Refused (not eligible, or by the clerk).
    Refused {
        /// Why, in both languages.
        reason: Msg,
    },
}

impl State {
    /// The stable name used in JSON and CSV.
    pub fn code(&self) -> &'static str {
        match self {
            State::Ticketed => "ticketed",
            State::Returned { .. } => "returned",
            State::FileChecked => "file_checked",
            State::SentBack { .. } => "sent_back",
            State::Verified { .. } => "verified",
            State::Recorded { .. } => "recorded",
            State::Registered => "registered",
            State::SentForPrinting => "sent_for_printing",
            State::Printed => "printed",
            State::Collected => "collected",
            State::Refused { .. } => "refused",
        }
    }

    /// The clerk's words.
    pub fn label(&self, lang: Lang) -> &'static str {
        match self {
            State::Ticketed => lang.pick("pemeriksaan berkas", "file check"),
            State::Returned { .. } => lang.pick("berkas dikembalikan", "file returned"),
            State::FileChecked => lang.pick("berkas diterima", "file accepted"),
            State::SentBack { .. } => lang.pick("dikembalikan kasi", "sent back by supervisor"),
            State::Verified { .. } => lang.pick("diverifikasi", "verified"),
            State::Recorded { .. } => lang.pick("sudah direkam", "recorded"),
            State::Registered => lang.pick("teregister", "registered"),
            State::SentForPrinting => lang.pick("dikirim untuk dicetak", "sent for printing"),
            State::Printed => lang.pick("tercetak, belum diambil", "printed, not collected"),
            State::Collected => lang.pick("sudah diambil", "collected"),
            State::Refused { .. } => lang.pick("ditolak", "refused"),
        }
    }
}

/// What happened to the old card of a replacement at handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OldCard {
    /// The old card was handed in now.
    HandedIn,
    /// The old card was already handed in with the file (damaged card).
    KeptWithFile,
    /// The old card is lost (a loss letter is in the file).
    Lost,
}

impl OldCard {
    /// Parses `handed_in`, `kept_with_file` or `lost`.
    pub fn parse(s: &str) -> Option<OldCard> {
        match s {
            "handed_in" => Some(OldCard::HandedIn),
            "kept_with_file" => Some(OldCard::KeptWithFile),
            "lost" => Some(OldCard::Lost),
            _ => None,
        }
    }

    /// The clerk's words.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            OldCard::HandedIn => lang.pick("KTP lama diserahkan", "old card handed in"),
            OldCard::KeptWithFile => {
                lang.pick("KTP lama sudah di berkas", "old card with the file")
            }
            OldCard::Lost => lang.pick("KTP lama hilang", "old card lost"),
        }
    }
}

/// Who collected a card (000 A.1 d, A.2 g-h).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    /// The person, a family member or a proxy.
    pub party: Party,
    /// The collector's name (for `Person`, may be empty: the applicant's).
    pub name: String,
    /// The collector's NIK (family member or proxy).
    pub nik: Option<Nik>,
    /// The family card the family member shares with the applicant.
    pub family_card: Option<FamilyCardNo>,
    /// The letter of authority's reference (proxy).
    pub letter: Option<String>,
    /// What happened to the old card (replacement).
    pub old_card: Option<OldCard>,
    /// Whether the digital ID app was installed and registered (000 A.2 e).
    pub ikd_registered: Option<bool>,
}

/// A time-limit extension (001 A.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitExtension {
    /// Why.
    pub reason: ExtensionReason,
    /// What failed, in the clerk's words (no personal data).
    pub note: String,
    /// Who granted it.
    pub by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The deadline before the extension.
    #[serde(with = "time::serde::rfc3339")]
    pub previous_deadline: OffsetDateTime,
}

/// The register-book entry (004 step 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterEntry {
    /// The register number.
    pub number: String,
    /// When entered.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who entered and stamped it.
    pub by: String,
}

/// One application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// `PM-YYYYMMDD-NNNN`; ids sort by time.
    pub id: String,
    /// The service's code.
    pub service: String,
    /// The queue ticket it came from.
    pub ticket: Option<String>,
    /// The person.
    pub applicant: Applicant,
    /// Who handed in the file.
    pub submitted_by: Party,
    /// The family member's or proxy's name, when not the person.
    pub representative: Option<String>,
    /// Where it is.
    pub state: State,
    /// Requirement codes ticked at the last file check.
    pub ticked: Vec<String>,
    /// When opened.
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// When the complete file was accepted: the time limit starts here.
    #[serde(with = "time::serde::rfc3339::option")]
    pub accepted_at: Option<OffsetDateTime>,
    /// The deadline (extended, if it was).
    #[serde(with = "time::serde::rfc3339::option")]
    pub deadline: Option<OffsetDateTime>,
    /// The extension, if granted.
    pub extension: Option<LimitExtension>,
    /// When the step that meets the limit was done.
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    /// Recorded at 16: the card may be printed from this date.
    pub print_not_before: Option<Date>,
    /// The pipeline's enrollment record id.
    pub enrollment_record: Option<String>,
    /// The register-book entry.
    pub register: Option<RegisterEntry>,
    /// When printed (or back from the regency).
    #[serde(with = "time::serde::rfc3339::option")]
    pub printed_at: Option<OffsetDateTime>,
    /// The handover.
    pub handover: Option<Handover>,
    /// When collected.
    #[serde(with = "time::serde::rfc3339::option")]
    pub collected_at: Option<OffsetDateTime>,
    /// Every step: who, in which role, when, what.
    pub history: Vec<AuditEntry>,
}

/// One step of the flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The front office ticks the requirements present in the file (004 step 2).
    CheckFile {
        /// Requirement codes present.
        ticked: Vec<String>,
    },
    /// The head of service approves and initials (004 steps 3-4).
    Approve {
        /// Initials (paraf).
        initials: String,
    },
    /// The head of service sends the file back to the front office.
    SendBack {
        /// Why.
        reason: String,
    },
    /// The operator recorded the biometrics (004 step 5).
    Record {
        /// The pipeline's enrollment record id, if already known.
        record_id: Option<String>,
    },
    /// The register entry with a number and stamp (004 step 6); the number is allocated.
    Register,
    /// Sent to the regency office for printing (003 4.6).
    SendForPrinting,
    /// Printed here, or the card came back from the regency.
    Print,
    /// The card is handed over (000 A.2 g-h).
    Collect(Handover),
    /// Refused by the clerk or the head of service.
    Refuse {
        /// Why.
        reason: String,
    },
}

impl Action {
    /// The stable code used in the audit trail.
    pub fn code(&self) -> &'static str {
        match self {
            Action::CheckFile { .. } => "file_check",
            Action::Approve { .. } => "approve",
            Action::SendBack { .. } => "send_back",
            Action::Record { .. } => "record",
            Action::Register => "register",
            Action::SendForPrinting => "send_for_printing",
            Action::Print => "print",
            Action::Collect(_) => "collect",
            Action::Refuse { .. } => "refuse",
        }
    }

    /// The roles that may take this step.
    pub fn allowed_roles(&self) -> &'static [Role] {
        match self {
            Action::CheckFile { .. } => &[Role::FrontOffice],
            Action::Approve { .. } | Action::SendBack { .. } => &[Role::Supervisor],
            Action::Record { .. } | Action::Register => &[Role::Operator],
            Action::SendForPrinting | Action::Print => &[Role::PrintingOperator],
            Action::Collect(_) => &[Role::FrontOffice, Role::PrintingOperator],
            Action::Refuse { .. } => &[Role::FrontOffice, Role::Supervisor],
        }
    }

    fn words(&self) -> (&'static str, &'static str) {
        match self {
            Action::CheckFile { .. } => ("memeriksa berkas", "check files"),
            Action::Approve { .. } => ("menyetujui berkas", "approve files"),
            Action::SendBack { .. } => ("mengembalikan berkas", "send files back"),
            Action::Record { .. } => ("merekam biometrik", "record biometrics"),
            Action::Register => ("mengisi buku register", "make register entries"),
            Action::SendForPrinting => ("mengirim untuk dicetak", "send cards for printing"),
            Action::Print => ("mencetak KTP-el", "print cards"),
            Action::Collect(_) => ("menyerahkan KTP-el", "hand cards over"),
            Action::Refuse { .. } => ("menolak permohonan", "refuse applications"),
        }
    }
}

/// What [`transition`] needs besides the application.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The office.
    pub office: &'a OfficeConfig,
    /// Now, in the office zone.
    pub now: OffsetDateTime,
    /// The register number allocated for a `Register` step.
    pub register_number: Option<&'a str>,
}

/// The time situation of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeStatus {
    /// The deadline.
    pub deadline: OffsetDateTime,
    /// Time left (negative once past).
    pub left: Duration,
    /// Completed, or still running.
    pub completed: bool,
    /// Completed after the deadline, or running past it.
    pub breached: bool,
}

impl Application {
    /// The time situation at `now`, once the file is accepted.
    pub fn time_status(&self, now: OffsetDateTime) -> Option<TimeStatus> {
        let deadline = self.deadline?;
        let end = self.completed_at.unwrap_or(now);
        Some(TimeStatus {
            deadline,
            left: deadline - end,
            completed: self.completed_at.is_some(),
            breached: end > deadline,
        })
    }

    /// From acceptance to the step that meets the limit.
    pub fn completion_time(&self) -> Option<Duration> {
        Some(self.completed_at? - self.accepted_at?)
    }

    /// The codes of the requirements still missing.
    pub fn missing(&self) -> &[String] {
        match &self.state {
            State::Returned { missing } => missing,
            _ => &[],
        }
    }
}

fn wrong_state(app: &Application, action: &Action, expected: &[&str]) -> Error {
    let (sid, sen) = action.words();
    Error::conflict(
        format!(
            "Permohonan {} berstatus \"{}\"; tidak dapat {sid} sekarang (hanya dari: {}).",
            app.id,
            app.state.label(Lang::Id),
            expected.join(", ")
        ),
        format!(
            "Application {} is \"{}\"; cannot {sen} now (only from: {}).",
            app.id,
            app.state.label(Lang::En),
            expected.join(", ")
        ),
    )
}

fn nonempty(s: &str, id: &str, en: &str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        Err(Error::invalid(id, en))
    } else {
        Ok(t.to_string())
    }
}

fn check_print_date(app: &Application, today: Date) -> Result<()> {
    if let Some(d) = app.print_not_before {
        if today < d {
            let (di, de) = (
                crate::datefmt::fmt_date(d, Lang::Id),
                crate::datefmt::fmt_date(d, Lang::En),
            );
            return Err(Error::conflict(
                format!(
                    "Pemohon belum 17 tahun; KTP-el baru dapat dicetak mulai {di} (perekaman sudah dilakukan)."
                ),
                format!("The applicant is not 17 yet; the card can be printed from {de} (recording is done)."),
            ));
        }
    }
    Ok(())
}

fn complete_if(app: &mut Application, def: &ServiceDef, reached: Milestone, now: OffsetDateTime) {
    let ends = if app.print_not_before.is_some() {
        // Recorded early: the clock stops at the register entry; printing waits for the
        // birthday, not for the office.
        Milestone::Registered
    } else {
        def.ends_at
    };
    if app.completed_at.is_none() && app.accepted_at.is_some() && reached == ends {
        app.completed_at = Some(now);
    }
}

/// The one transition function: checks the actor's role and the current state, and returns the
/// application after `action`, with the audit entry appended to its history.
pub fn transition(
    app: &Application,
    ctx: Context<'_>,
    actor: &Actor,
    action: &Action,
) -> Result<Application> {
    let (sid, sen) = action.words();
    let role = actor.require(action.allowed_roles(), sid, sen)?;
    let def = ctx.office.service(&app.service)?;
    let now = ctx.now;
    let mut next = app.clone();
    let mut detail = String::new();
    match action {
        Action::CheckFile { ticked } => {
            if !matches!(
                app.state,
                State::Ticketed | State::Returned { .. } | State::SentBack { .. }
            ) {
                return Err(wrong_state(
                    app,
                    action,
                    &["ticketed", "returned", "sent_back"],
                ));
            }
            for t in ticked {
                if !def.requirements.iter().any(|r| &r.code == t) {
                    let known: Vec<&str> =
                        def.requirements.iter().map(|r| r.code.as_str()).collect();
                    return Err(Error::invalid(
                        format!(
                            "Persyaratan `{t}` tidak ada pada layanan ini; pilih dari: {}.",
                            known.join(", ")
                        ),
                        format!(
                            "This service has no requirement `{t}`; choose from: {}.",
                            known.join(", ")
                        ),
                    ));
                }
            }
            next.ticked = ticked.clone();
            let verdict = if def.eligibility {
                eligibility::check(
                    &ctx.office.eligibility,
                    app.applicant.birth_date,
                    app.applicant.marital,
                    now.date(),
                )
            } else {
                Eligibility::Eligible
            };
            match verdict {
                Eligibility::Refused(reason) => {
                    detail = "not_eligible".into();
                    next.state = State::Refused { reason };
                }
                other => {
                    next.print_not_before = match other {
                        Eligibility::RecordNowPrintFrom(d) => Some(d),
                        _ => None,
                    };
                    let missing: Vec<String> = def
                        .requirements_for(app.submitted_by)
                        .filter(|r| !ticked.contains(&r.code))
                        .map(|r| r.code.clone())
                        .collect();
                    if missing.is_empty() {
                        next.state = State::FileChecked;
                        if next.accepted_at.is_none() {
                            next.accepted_at = Some(now);
                            next.deadline = Some(def.limit.deadline(&ctx.office.calendar, now));
                        }
                    } else {
                        detail = format!("missing:{}", missing.join(","));
                        next.state = State::Returned { missing };
                    }
                }
            }
        }
        Action::Approve { initials } => {
            if app.state != State::FileChecked {
                return Err(wrong_state(app, action, &["file_checked"]));
            }
            let initials = nonempty(
                initials,
                "Paraf kasi pelayanan kosong.",
                "The initials are empty.",
            )?;
            if initials.chars().count() > 8 {
                return Err(Error::invalid(
                    "Paraf paling banyak 8 huruf.",
                    "Initials are at most 8 characters.",
                ));
            }
            next.state = State::Verified { initials };
        }
        Action::SendBack { reason } => {
            if app.state != State::FileChecked {
                return Err(wrong_state(app, action, &["file_checked"]));
            }
            let reason = nonempty(
                reason,
                "Tuliskan alasan berkas dikembalikan.",
                "Write why the file is sent back.",
            )?;
            next.state = State::SentBack { reason };
        }
        Action::Record { record_id } => {
            if !matches!(app.state, State::Verified { .. }) {
                return Err(wrong_state(app, action, &["verified"]));
            }
            next.enrollment_record = record_id.clone();
            next.state = State::Recorded {
                record_id: record_id.clone(),
            };
        }
        Action::Register => {
            if !matches!(app.state, State::Recorded { .. }) {
                return Err(wrong_state(app, action, &["recorded"]));
            }
            let number = ctx.register_number.ok_or_else(|| {
                Error::Storage("no register number was allocated for the register step".into())
            })?;
            next.register = Some(RegisterEntry {
                number: number.to_string(),
                at: now,
                by: actor.username().to_string(),
            });
            detail = number.to_string();
            next.state = State::Registered;
            complete_if(&mut next, def, Milestone::Registered, now);
        }
        Action::SendForPrinting => {
            if def.product != Product::CardRegency {
                return Err(Error::conflict(
                    format!("Layanan {} dicetak di kantor ini, bukan dikirim.", def.code),
                    format!("Service {} prints here; nothing is sent.", def.code),
                ));
            }
            if app.state != State::Registered {
                return Err(wrong_state(app, action, &["registered"]));
            }
            check_print_date(app, now.date())?;
            next.state = State::SentForPrinting;
        }
        Action::Print => {
            let from = match def.product {
                Product::Recording => {
                    return Err(Error::conflict(
                        format!(
                            "Layanan {} hanya perekaman; tidak ada kartu dicetak.",
                            def.code
                        ),
                        format!(
                            "Service {} is recording only; no card is printed.",
                            def.code
                        ),
                    ))
                }
                Product::Card => State::Registered,
                Product::CardRegency => State::SentForPrinting,
            };
            if app.state != from {
                return Err(wrong_state(app, action, &[from.code()]));
            }
            check_print_date(app, now.date())?;
            next.printed_at = Some(now);
            next.state = State::Printed;
            complete_if(&mut next, def, Milestone::Printed, now);
        }
        Action::Collect(h) => {
            if app.state != State::Printed {
                return Err(wrong_state(app, action, &["printed"]));
            }
            let h = check_handover(app, def, h)?;
            detail = h.party.as_str().to_string();
            next.handover = Some(h);
            next.collected_at = Some(now);
            next.state = State::Collected;
            complete_if(&mut next, def, Milestone::Collected, now);
        }
        Action::Refuse { reason } => {
            if !matches!(
                app.state,
                State::Ticketed
                    | State::Returned { .. }
                    | State::FileChecked
                    | State::SentBack { .. }
            ) {
                return Err(wrong_state(
                    app,
                    action,
                    &["ticketed", "returned", "file_checked", "sent_back"],
                ));
            }
            let reason = nonempty(reason, "Tuliskan alasan penolakan.", "Write the reason.")?;
            next.state = State::Refused {
                reason: Msg::new(reason.clone(), reason),
            };
        }
    }
    next.history.push(AuditEntry {
        at: now,
        account: actor.username().to_string(),
        role: Some(role),
        action: action.code().to_string(),
        subject: app.id.clone(),
        detail: if detail.is_empty() {
            next.state.code().to_string()
        } else {
            format!("{} {detail}", next.state.code())
        },
    });
    Ok(next)
}

fn check_handover(app: &Application, def: &ServiceDef, h: &Handover) -> Result<Handover> {
    let mut h = h.clone();
    if !def.collectors.contains(&h.party) {
        let allowed: Vec<&str> = def.collectors.iter().map(|p| p.label(Lang::Id)).collect();
        let allowed_en: Vec<&str> = def.collectors.iter().map(|p| p.label(Lang::En)).collect();
        return Err(Error::not_permitted(
            format!(
                "Standar pelayanan kantor ini hanya mengizinkan pengambilan oleh: {}.",
                allowed.join(", ")
            ),
            format!(
                "This office's standard allows collection only by: {}.",
                allowed_en.join(", ")
            ),
        ));
    }
    match h.party {
        Party::Person => {}
        Party::Family => {
            h.name = nonempty(
                &h.name,
                "Nama anggota keluarga kosong.",
                "The family member's name is empty.",
            )?;
            if h.nik.is_none() {
                return Err(Error::invalid(
                    "Catat NIK anggota keluarga yang mengambil.",
                    "Record the NIK of the family member collecting.",
                ));
            }
            let Some(own) = &app.applicant.family_card else {
                return Err(Error::invalid(
                    "Nomor KK pemohon belum dicatat; tanpa itu pengambilan oleh keluarga tidak dapat diperiksa.",
                    "The applicant's family-card number is not on file; a family collection cannot be checked without it.",
                ));
            };
            if h.family_card.as_ref() != Some(own) {
                return Err(Error::not_permitted(
                    "Nomor KK pengambil tidak sama dengan KK pemohon; hanya keluarga satu KK yang boleh mengambil.",
                    "The collector's family card is not the applicant's; only a member of the same family card may collect.",
                ));
            }
        }
        Party::Proxy => {
            h.name = nonempty(
                &h.name,
                "Nama penerima kuasa kosong.",
                "The proxy's name is empty.",
            )?;
            let letter = h.letter.as_deref().unwrap_or("").trim().to_string();
            if letter.is_empty() {
                return Err(Error::invalid(
                    "Pengambilan oleh kuasa memerlukan surat kuasa; catat nomor atau tanggal suratnya.",
                    "A proxy needs a letter of authority; record its number or date.",
                ));
            }
            h.letter = Some(letter);
        }
    }
    if def.replacement && h.old_card.is_none() {
        return Err(Error::invalid(
            "Ini penggantian KTP-el: catat KTP lama (diserahkan, sudah di berkas, atau hilang).",
            "This is a replacement: record the old card (handed in, with the file, or lost).",
        ));
    }
    if def.ikd && h.ikd_registered.is_none() {
        return Err(Error::invalid(
            "Catat apakah Identitas Kependudukan Digital sudah dipasang dan diregistrasi.",
            "Record whether the digital ID app was installed and registered.",
        ));
    }
    Ok(h)
}

/// What the front office fills in to open an application.
#[derive(Debug, Clone)]
pub struct NewApplication {
    /// The service's code.
    pub service: String,
    /// Today's ticket number, if the applicant came through the queue.
    pub ticket: Option<String>,
    /// The person.
    pub applicant: Applicant,
    /// Who hands in the file.
    pub submitted_by: Party,
    /// The family member's or proxy's name.
    pub representative: Option<String>,
}

/// An uncollected card in the pickup register.
#[derive(Debug, Clone)]
pub struct Uncollected {
    /// The application.
    pub application: Application,
    /// How long the card has waited.
    pub age: Duration,
}

fn not_found(id: &str) -> Error {
    Error::not_found(
        format!("Tidak ada permohonan {id}."),
        format!("There is no application {id}."),
    )
}

impl Service {
    /// Opens an application at the counter (state `Ticketed`).
    pub fn open_application(&self, by: &Actor, new: NewApplication) -> Result<Application> {
        let role = by.require(
            &[Role::FrontOffice],
            "membuka permohonan",
            "open applications",
        )?;
        let def = self.office.service(&new.service)?;
        let now = self.now();
        let mut applicant = new.applicant;
        applicant.name = nonempty(
            &applicant.name,
            "Nama pemohon kosong.",
            "The applicant's name is empty.",
        )?;
        if applicant.birth_date > now.date() {
            return Err(Error::invalid(
                "Tanggal lahir ada di masa depan; periksa kembali.",
                "The birth date is in the future; check it again.",
            ));
        }
        if !def.applicants.contains(&new.submitted_by) {
            let allowed: Vec<&str> = def.applicants.iter().map(|p| p.label(Lang::Id)).collect();
            let allowed_en: Vec<&str> = def.applicants.iter().map(|p| p.label(Lang::En)).collect();
            return Err(Error::not_permitted(
                format!(
                    "Berkas layanan ini hanya dapat diajukan oleh: {}.",
                    allowed.join(", ")
                ),
                format!(
                    "Files for this service may be handed in only by: {}.",
                    allowed_en.join(", ")
                ),
            ));
        }
        let representative = match new.submitted_by {
            Party::Person => None,
            _ => Some(nonempty(
                new.representative.as_deref().unwrap_or(""),
                "Tulis nama keluarga atau penerima kuasa yang mengajukan.",
                "Write the name of the family member or proxy handing in the file.",
            )?),
        };
        let ticket_no = new.ticket.map(|t| t.trim().to_ascii_uppercase());
        let ticket_key = match &ticket_no {
            None => None,
            Some(n) => {
                let t = self.ticket(n)?;
                if t.status != TicketStatus::Called {
                    return Err(Error::conflict(
                        format!("Nomor {n} belum dipanggil atau sudah dilayani."),
                        format!("Ticket {n} has not been called or is served already."),
                    ));
                }
                Some(t.key)
            }
        };
        let day = day_key(now.date());
        let app = self.step(|tx| {
            let seq = tx.next_counter(&format!("app/{day}"))?;
            let id = format!("PM-{day}-{seq:04}");
            let entry = AuditEntry {
                at: now,
                account: by.username().to_string(),
                role: Some(role),
                action: "open".into(),
                subject: id.clone(),
                detail: format!("ticketed {}", def.code),
            };
            let app = Application {
                id: id.clone(),
                service: def.code.clone(),
                ticket: ticket_no.clone(),
                applicant: applicant.clone(),
                submitted_by: new.submitted_by,
                representative: representative.clone(),
                state: State::Ticketed,
                ticked: Vec::new(),
                opened_at: now,
                accepted_at: None,
                deadline: None,
                extension: None,
                completed_at: None,
                print_not_before: None,
                enrollment_record: None,
                register: None,
                printed_at: None,
                handover: None,
                collected_at: None,
                history: vec![entry.clone()],
            };
            if let Some(k) = &ticket_key {
                let Some(mut t) = tx.get::<Ticket>(Tr::Tickets, k)? else {
                    return Err(Error::Storage("a ticket vanished".into()));
                };
                if t.status != TicketStatus::Called {
                    return Err(Error::conflict(
                        format!("Nomor {} sudah dilayani.", t.number),
                        format!("Ticket {} is served already.", t.number),
                    ));
                }
                t.status = TicketStatus::Served;
                t.application = Some(id.clone());
                tx.put(Tr::Tickets, k, &t)?;
            }
            tx.put(Tr::Applications, &id, &app)?;
            tx.put_raw(Tr::ByNik, format!("{}/{id}", applicant.nik), Vec::new());
            tx.audit(&entry)?;
            Ok(app)
        })?;
        tracing::info!(application = %app.id, service = %app.service, "application opened");
        Ok(app)
    }

    /// One application.
    pub fn application(&self, id: &str) -> Result<Application> {
        store::get(&self.trees.applications, id.trim())?.ok_or_else(|| not_found(id))
    }

    /// Applications opened on `from..to` (office dates, `to` exclusive), oldest first.
    pub fn applications_opened(&self, from: Date, to: Date) -> Result<Vec<Application>> {
        let mut out = Vec::new();
        let start = format!("PM-{}", day_key(from));
        let end = format!("PM-{}", day_key(to));
        for kv in self
            .trees
            .applications
            .range(start.as_bytes()..end.as_bytes())
        {
            let (_, v) = kv?;
            out.push(decode(&v)?);
        }
        Ok(out)
    }

    /// Every application, oldest first.
    pub fn applications(&self) -> Result<Vec<Application>> {
        store::scan(&self.trees.applications, "PM-")
    }

    /// The applications of one person (by NIK), oldest first.
    pub fn applications_of(&self, nik: &Nik) -> Result<Vec<Application>> {
        let mut out = Vec::new();
        for kv in self.trees.by_nik.scan_prefix(format!("{nik}/").as_bytes()) {
            let (k, _) = kv?;
            let k = String::from_utf8_lossy(&k);
            if let Some((_, id)) = k.split_once('/') {
                out.push(self.application(id)?);
            }
        }
        Ok(out)
    }

    /// Takes one step of the flow. The new state, the register number (for `Register`) and the
    /// audit entry are written in one transaction.
    pub fn apply(&self, by: &Actor, id: &str, action: Action) -> Result<Application> {
        let id = id.trim();
        let now = self.now();
        // Recording is done once per person (003 4.5): refuse a second recording while an
        // earlier one waits for its card.
        if let Action::Record { .. } = action {
            let app = self.application(id)?;
            for other in self.applications_of(&app.applicant.nik)? {
                if other.id != app.id
                    && matches!(
                        other.state,
                        State::Recorded { .. }
                            | State::Registered
                            | State::SentForPrinting
                            | State::Printed
                    )
                {
                    return Err(Error::conflict(
                        format!(
                            "NIK ini sudah direkam pada permohonan {} dan KTP-el belum diambil; perekaman hanya sekali (003 4.5). Lanjutkan permohonan itu.",
                            other.id
                        ),
                        format!(
                            "This NIK was already recorded in application {} and the card is not collected yet; recording is done once (003 4.5). Continue that application.",
                            other.id
                        ),
                    ));
                }
            }
        }
        let year = now.year();
        let month = now.month() as u8;
        let office = &self.office;
        let next = self.step(|tx| {
            let Some(app) = tx.get::<Application>(Tr::Applications, id)? else {
                return Err(not_found(id));
            };
            let mut number = None;
            let mut seq = 0;
            if action == Action::Register {
                seq = tx.next_counter(&format!("register/{year}"))?;
                number = Some(
                    office
                        .register_format
                        .replace("{seq}", &format!("{seq:04}"))
                        .replace("{code}", &office.office.code)
                        .replace("{year}", &year.to_string())
                        .replace("{month}", &format!("{month:02}")),
                );
            }
            let ctx = Context {
                office,
                now,
                register_number: number.as_deref(),
            };
            let next = transition(&app, ctx, by, &action)?;
            tx.put(Tr::Applications, id, &next)?;
            if let (Some(_), Some(entry)) = (&number, &next.register) {
                let row = RegisterRow {
                    number: entry.number.clone(),
                    at: now,
                    application: next.id.clone(),
                    service: next.service.clone(),
                    by: by.username().to_string(),
                };
                tx.put(Tr::Register, format!("{year:04}/{seq:06}"), &row)?;
            }
            if let Some(entry) = next.history.last() {
                tx.audit(entry)?;
            }
            Ok(next)
        })?;
        tracing::info!(application = %next.id, action = action.code(), state = next.state.code(), "application step");
        Ok(next)
    }

    /// Links the pipeline's enrollment record to an application that has been recorded.
    pub fn link_enrollment_record(
        &self,
        by: &Actor,
        id: &str,
        record_id: &str,
    ) -> Result<Application> {
        let role = by.require(
            &[Role::Operator],
            "menautkan rekaman",
            "link enrollment records",
        )?;
        let record_id = nonempty(
            record_id,
            "Nomor rekaman kosong.",
            "The record id is empty.",
        )?;
        self.update_app(id, |app| {
            let recorded = matches!(
                app.state,
                State::Recorded { .. }
                    | State::Registered
                    | State::SentForPrinting
                    | State::Printed
                    | State::Collected
            );
            if !recorded {
                return Err(Error::conflict(
                    format!("Permohonan {} belum direkam.", app.id),
                    format!("Application {} has not been recorded.", app.id),
                ));
            }
            app.enrollment_record = Some(record_id.clone());
            if let State::Recorded { record_id: r } = &mut app.state {
                *r = Some(record_id.clone());
            }
            Ok(AuditEntry {
                at: self.now(),
                account: by.username().to_string(),
                role: Some(role),
                action: "link_record".into(),
                subject: app.id.clone(),
                detail: record_id.clone(),
            })
        })
    }

    /// Extends the time limit of an application for a network or equipment failure (001 A.3:
    /// at most 24 hours). The head of service or the head of office grants it, with the reason.
    pub fn extend_limit(
        &self,
        by: &Actor,
        id: &str,
        reason: ExtensionReason,
        note: &str,
    ) -> Result<Application> {
        let role = by.require(
            &[Role::Supervisor, Role::HeadOfOffice],
            "memperpanjang jangka waktu",
            "extend time limits",
        )?;
        let note = nonempty(
            note,
            "Tuliskan gangguan yang terjadi.",
            "Describe the failure.",
        )?;
        let now = self.now();
        self.update_app(id, |app| {
            let def = self.office.service(&app.service)?;
            let Some(ext) = &def.extension else {
                return Err(Error::conflict(
                    format!(
                        "Standar layanan {} tidak mengatur perpanjangan jangka waktu.",
                        def.code
                    ),
                    format!("The standard of service {} allows no extension.", def.code),
                ));
            };
            if !ext.reasons.contains(&reason) {
                return Err(Error::invalid(
                    format!(
                        "Perpanjangan hanya untuk: {}.",
                        ext.reasons
                            .iter()
                            .map(|r| r.label(Lang::Id))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    format!(
                        "An extension is only for: {}.",
                        ext.reasons
                            .iter()
                            .map(|r| r.label(Lang::En))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            let (Some(accepted), Some(deadline)) = (app.accepted_at, app.deadline) else {
                return Err(Error::conflict(
                    format!(
                        "Berkas permohonan {} belum diterima; jangka waktu belum berjalan.",
                        app.id
                    ),
                    format!(
                        "The file of application {} is not accepted yet; no time limit runs.",
                        app.id
                    ),
                ));
            };
            if app.completed_at.is_some() || app.extension.is_some() {
                return Err(Error::conflict(
                    format!(
                        "Permohonan {} sudah selesai atau sudah diperpanjang.",
                        app.id
                    ),
                    format!("Application {} is finished or extended already.", app.id),
                ));
            }
            app.extension = Some(LimitExtension {
                reason,
                note: note.clone(),
                by: by.username().to_string(),
                at: now,
                previous_deadline: deadline,
            });
            app.deadline = Some(ext.limit.deadline(&self.office.calendar, accepted));
            Ok(AuditEntry {
                at: now,
                account: by.username().to_string(),
                role: Some(role),
                action: "extend".into(),
                subject: app.id.clone(),
                detail: format!("{:?}", reason).to_ascii_lowercase(),
            })
        })
    }

    fn update_app(
        &self,
        id: &str,
        f: impl Fn(&mut Application) -> Result<AuditEntry>,
    ) -> Result<Application> {
        let id = id.trim();
        self.step(|tx| {
            let Some(mut app) = tx.get::<Application>(Tr::Applications, id)? else {
                return Err(not_found(id));
            };
            let entry = f(&mut app)?;
            app.history.push(entry.clone());
            tx.put(Tr::Applications, id, &app)?;
            tx.audit(&entry)?;
            Ok(app)
        })
    }

    /// The pickup register: printed cards not yet collected, oldest first, with their age.
    pub fn uncollected(&self) -> Result<Vec<Uncollected>> {
        let now = self.now();
        let mut out: Vec<Uncollected> = self
            .applications()?
            .into_iter()
            .filter(|a| a.state == State::Printed)
            .map(|a| Uncollected {
                age: now - a.printed_at.unwrap_or(now),
                application: a,
            })
            .collect();
        out.sort_by_key(|u| std::cmp::Reverse(u.age));
        Ok(out)
    }

    /// Applications whose time limit is running past its deadline now.
    pub fn overdue(&self) -> Result<Vec<Application>> {
        let now = self.now();
        Ok(self
            .applications()?
            .into_iter()
            .filter(|a| {
                !matches!(a.state, State::Refused { .. })
                    && a.time_status(now)
                        .is_some_and(|t| !t.completed && t.breached)
            })
            .collect())
    }

    /// The register book between two dates (`to` exclusive).
    pub fn register_rows(&self, from: Date, to: Date) -> Result<Vec<RegisterRow>> {
        let mut out = Vec::new();
        for y in from.year()..=to.year() {
            for row in store::scan::<RegisterRow>(&self.trees.register, &format!("{y:04}/"))? {
                let d = self.local(row.at).date();
                if d >= from && d < to {
                    out.push(row);
                }
            }
        }
        Ok(out)
    }

    /// The slip given back with an incomplete file (004 step 2): what is missing, in `lang`.
    pub fn missing_slip(&self, app: &Application, lang: Lang) -> Result<String> {
        let def = self.office.service(&app.service)?;
        let mut s = String::new();
        let o = &self.office.office;
        s.push_str(&format!("{}\n", o.name));
        s.push_str(lang.pick(
            "TANDA PENGEMBALIAN BERKAS\n",
            "FILE RETURNED: REQUIREMENTS MISSING\n",
        ));
        s.push_str(&format!(
            "{}: {}\n{}: {}\n{}: {}\n",
            lang.pick("Nomor permohonan", "Application"),
            app.id,
            lang.pick("Layanan", "Service"),
            def.name(lang),
            lang.pick("Tanggal", "Date"),
            crate::datefmt::fmt_date(self.now().date(), lang),
        ));
        s.push_str(lang.pick(
            "Berkas belum lengkap. Mohon lengkapi persyaratan berikut lalu ajukan kembali:\n",
            "The file is incomplete. Please bring the following and hand it in again:\n",
        ));
        for (i, code) in app.missing().iter().enumerate() {
            let Some(r) = def.requirements.iter().find(|r| &r.code == code) else {
                continue;
            };
            let mut line = r.text(lang).to_string();
            if r.photo {
                let bg = eligibility::photo_background(app.applicant.birth_date.year(), lang);
                line.push_str(&match lang {
                    Lang::Id => format!(
                        ", latar belakang {bg} (tahun lahir {})",
                        app.applicant.birth_date.year()
                    ),
                    Lang::En => format!(
                        ", {bg} background (born {})",
                        app.applicant.birth_date.year()
                    ),
                });
            }
            s.push_str(&format!("  {}. {line}\n", i + 1));
        }
        s.push_str(lang.pick("Layanan ini GRATIS.\n", "This service is FREE of charge.\n"));
        Ok(s)
    }
}

/// A line of the register book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRow {
    /// The register number.
    pub number: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The application.
    pub application: String,
    /// The service's code.
    pub service: String,
    /// Who entered and stamped it.
    pub by: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn roles_only_do_their_own_steps() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        let _ = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        let op = svc.authenticate("operator", PW).unwrap();
        let kasi = svc.authenticate("kasi", PW).unwrap();
        let tech = svc.authenticate("teknisi", PW).unwrap();
        let app = open(&svc, &loket, "perekaman", adult());
        // An operator cannot check files or approve; a clerk cannot record.
        let e = svc
            .apply(
                &op,
                &app.id,
                Action::CheckFile {
                    ticked: vec!["kk_copy".into()],
                },
            )
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::NotPermitted);
        svc.apply(
            &loket,
            &app.id,
            Action::CheckFile {
                ticked: vec!["kk_copy".into()],
            },
        )
        .unwrap();
        let e = svc
            .apply(
                &op,
                &app.id,
                Action::Approve {
                    initials: "AB".into(),
                },
            )
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::NotPermitted);
        assert!(
            e.message(Lang::Id).contains("kasi pelayanan"),
            "{}",
            e.message(Lang::Id)
        );
        let e = svc
            .apply(
                &tech,
                &app.id,
                Action::Approve {
                    initials: "AB".into(),
                },
            )
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::NotPermitted);
        svc.apply(
            &kasi,
            &app.id,
            Action::Approve {
                initials: "AB".into(),
            },
        )
        .unwrap();
        let e = svc
            .apply(&loket, &app.id, Action::Record { record_id: None })
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::NotPermitted);
        assert!(e.message(Lang::En).contains("may not record biometrics"));
    }

    #[test]
    fn wrong_state_is_a_conflict_that_names_the_state() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        let _ = staff(&svc);
        let kasi = svc.authenticate("kasi", PW).unwrap();
        let loket = svc.authenticate("loket", PW).unwrap();
        let app = open(&svc, &loket, "perekaman", adult());
        let e = svc
            .apply(
                &kasi,
                &app.id,
                Action::Approve {
                    initials: "AB".into(),
                },
            )
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Conflict);
        assert!(
            e.message(Lang::Id).contains("pemeriksaan berkas"),
            "{}",
            e.message(Lang::Id)
        );
    }

    #[test]
    fn sent_back_then_rechecked_keeps_the_clock() {
        let (svc, clock, _dir) = service(KEDOPOK);
        let _ = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        let kasi = svc.authenticate("kasi", PW).unwrap();
        let app = open(&svc, &loket, "perekaman", adult());
        let a = svc
            .apply(
                &loket,
                &app.id,
                Action::CheckFile {
                    ticked: vec!["kk_copy".into()],
                },
            )
            .unwrap();
        let accepted = a.accepted_at.unwrap();
        clock.advance(Duration::minutes(5));
        let a = svc
            .apply(
                &kasi,
                &app.id,
                Action::SendBack {
                    reason: "KK tidak terbaca".into(),
                },
            )
            .unwrap();
        assert_eq!(
            a.state,
            State::SentBack {
                reason: "KK tidak terbaca".into()
            }
        );
        assert!(svc
            .apply(&kasi, &app.id, Action::SendBack { reason: " ".into() })
            .is_err());
        let a = svc
            .apply(
                &loket,
                &app.id,
                Action::CheckFile {
                    ticked: vec!["kk_copy".into()],
                },
            )
            .unwrap();
        assert_eq!(a.state, State::FileChecked);
        assert_eq!(a.accepted_at, Some(accepted));
        assert_eq!(a.history.len(), 4);
        let whos: Vec<_> = a
            .history
            .iter()
            .map(|h| (h.account.as_str(), h.action.as_str()))
            .collect();
        assert_eq!(
            whos,
            [
                ("loket", "open"),
                ("loket", "file_check"),
                ("kasi", "send_back"),
                ("loket", "file_check")
            ]
        );
    }

    #[test]
    fn unknown_requirement_code_is_refused() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        let _ = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        let app = open(&svc, &loket, "perekaman", adult());
        let e = svc
            .apply(
                &loket,
                &app.id,
                Action::CheckFile {
                    ticked: vec!["passport".into()],
                },
            )
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(e.message(Lang::Id).contains("kk_copy"));
    }

    #[test]
    fn recording_is_done_once_per_person() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        let _ = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        let kasi = svc.authenticate("kasi", PW).unwrap();
        let op = svc.authenticate("operator", PW).unwrap();
        let first = open(&svc, &loket, "perekaman", adult());
        let second = open(&svc, &loket, "perekaman", adult());
        for id in [&first.id, &second.id] {
            svc.apply(
                &loket,
                id,
                Action::CheckFile {
                    ticked: vec!["kk_copy".into()],
                },
            )
            .unwrap();
            svc.apply(
                &kasi,
                id,
                Action::Approve {
                    initials: "AB".into(),
                },
            )
            .unwrap();
        }
        svc.apply(&op, &first.id, Action::Record { record_id: None })
            .unwrap();
        let e = svc
            .apply(&op, &second.id, Action::Record { record_id: None })
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Conflict);
        assert!(e.message(Lang::Id).contains(&first.id));
    }

    #[test]
    fn register_numbers_follow_each_other_and_link_later() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        let _ = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        let kasi = svc.authenticate("kasi", PW).unwrap();
        let op = svc.authenticate("operator", PW).unwrap();
        let mut numbers = Vec::new();
        for nik in ["3574010101900001", "3574010101900002"] {
            let mut a = adult();
            a.nik = Nik::parse(nik).unwrap();
            let app = open(&svc, &loket, "perekaman", a);
            svc.apply(
                &loket,
                &app.id,
                Action::CheckFile {
                    ticked: vec!["kk_copy".into()],
                },
            )
            .unwrap();
            svc.apply(
                &kasi,
                &app.id,
                Action::Approve {
                    initials: "AB".into(),
                },
            )
            .unwrap();
            svc.apply(&op, &app.id, Action::Record { record_id: None })
                .unwrap();
            let linked = svc
                .link_enrollment_record(&op, &app.id, "rec-0001")
                .unwrap();
            assert_eq!(
                linked.state,
                State::Recorded {
                    record_id: Some("rec-0001".into())
                }
            );
            let r = svc.apply(&op, &app.id, Action::Register).unwrap();
            numbers.push(r.register.unwrap().number);
            assert_eq!(r.enrollment_record.as_deref(), Some("rec-0001"));
        }
        assert_eq!(numbers, ["0001/KDP/03/2026", "0002/KDP/03/2026"]);
        let rows = svc
            .register_rows(
                time::macros::date!(2026 - 03 - 02),
                time::macros::date!(2026 - 03 - 03),
            )
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].number, "0002/KDP/03/2026");
    }

    #[test]
    fn a_failed_step_allocates_no_register_number() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        let _ = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        let op = svc.authenticate("operator", PW).unwrap();
        let app = open(&svc, &loket, "perekaman", adult());
        assert!(svc.apply(&op, &app.id, Action::Register).is_err());
        assert!(
            !svc.trees.counters.contains_key("register/2026").unwrap(),
            "the failed step must not have used a number"
        );
    }
}
