//! The `rekam service …` subcommands, for the station binary to mount.
//!
//! The station parses [`ServiceCommand`] (a clap subcommand enum), opens its sled database and
//! calls [`run`] with the office file and a [`Context`]: who is logged in (from `--user` and
//! the `REKAM_PASSWORD` environment variable, see [`Credentials::from_env`]), the language, the
//! clock, and where to write. Errors come back as [`CliError`] inside `anyhow`, carrying the
//! [`ErrorKind`] for the exit code and a message in the clerk's language.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use time::Date;

use crate::application::{Action, Applicant, Handover, NewApplication, OldCard, State};
use crate::calendar::format_duration;
use crate::complaint::{Complainant, NewComplaint};
use crate::config::{parse_date, ChannelKind, ExtensionReason, Party};
use crate::datefmt::{fmt_date, fmt_time};
use crate::eligibility::MaritalStatus;
use crate::nik::{FamilyCardNo, Nik};
use crate::{Clock, Error, ErrorKind, Lang, OfficeConfig, Role, Service, ServiceOptions};

/// An error for the terminal: the kind (for the exit code) and the sentence in the clerk's
/// language.
#[derive(Debug)]
pub struct CliError {
    /// The kind.
    pub kind: ErrorKind,
    /// The message.
    pub message: String,
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Who runs the command.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Account name (`--user`, `REKAM_USER`).
    pub user: Option<String>,
    /// Password (`REKAM_PASSWORD`; never a command-line argument, which other users can see).
    pub password: Option<String>,
    /// A new password for `account add`/`account passwd` (`REKAM_NEW_PASSWORD`).
    pub new_password: Option<String>,
}

impl Credentials {
    /// From `user` (if given) or `REKAM_USER`, and `REKAM_PASSWORD`, `REKAM_NEW_PASSWORD`.
    pub fn from_env(user: Option<String>) -> Credentials {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Credentials {
            user: user.or_else(|| var("REKAM_USER")),
            password: var("REKAM_PASSWORD"),
            new_password: var("REKAM_NEW_PASSWORD"),
        }
    }
}

/// What [`run`] needs besides the command, the database and the office file.
pub struct Context<'a> {
    /// Who runs it.
    pub credentials: Credentials,
    /// Language of the output; `None` takes the office's.
    pub lang: Option<Lang>,
    /// The clock (the system clock at a station).
    pub clock: Arc<dyn Clock>,
    /// Service options (argon2 parameters).
    pub options: ServiceOptions,
    /// Where to write.
    pub out: &'a mut dyn Write,
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("user", &self.credentials.user)
            .field("lang", &self.lang)
            .finish()
    }
}

/// Output format of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Plain text for the terminal.
    Text,
    /// CSV.
    Csv,
    /// A self-contained printable page.
    Html,
}

/// The office workflow: tickets, files, approval, register, printing, pickup, complaints,
/// survey, reports, accounts.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Staff accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Queue tickets.
    #[command(subcommand)]
    Ticket(TicketCommand),
    /// Open an application (or re-check one) and tick the requirements present in the file.
    FileCheck(FileCheckArgs),
    /// Head of service: approve a checked file with initials.
    Approve {
        /// Application id.
        id: String,
        /// Initials (paraf).
        #[arg(long)]
        initials: String,
    },
    /// Head of service: send a file back to the front office.
    SendBack {
        /// Application id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Refuse an application.
    Refuse {
        /// Application id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Operator: the biometrics were recorded.
    Record {
        /// Application id.
        id: String,
        /// The enrollment record id, if known.
        #[arg(long)]
        record_id: Option<String>,
    },
    /// Operator: link the enrollment record to a recorded application.
    Link {
        /// Application id.
        id: String,
        /// The enrollment record id.
        #[arg(long)]
        record_id: String,
    },
    /// Operator: the register entry (number and stamp).
    Register {
        /// Application id.
        id: String,
    },
    /// Printing operator: print the card (or record it back from the regency office).
    Print {
        /// Application id.
        id: String,
    },
    /// Printing operator: send the file to the regency office for printing.
    SendPrint {
        /// Application id.
        id: String,
    },
    /// The pickup register and the handover.
    #[command(subcommand)]
    Pickup(PickupCommand),
    /// Extend the time limit for a network or equipment failure.
    Extend {
        /// Application id.
        id: String,
        /// network or equipment.
        #[arg(long)]
        reason: String,
        /// What failed.
        #[arg(long)]
        note: String,
    },
    /// Show one application: state, time left, history.
    Status {
        /// Application id.
        id: String,
    },
    /// List today's applications (or the overdue ones).
    List {
        /// Only applications past their deadline.
        #[arg(long)]
        overdue: bool,
    },
    /// The complaint book.
    #[command(subcommand)]
    Complaint(ComplaintCommand),
    /// The satisfaction survey (SKM).
    #[command(subcommand)]
    Survey(SurveyCommand),
    /// Reports.
    #[command(subcommand)]
    Report(ReportCommand),
}

/// Account subcommands.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create the first account (head of office and technician) with `--user` and
    /// `REKAM_PASSWORD`.
    Init {
        /// The staff member's name.
        #[arg(long)]
        name: String,
    },
    /// Create an account; its password comes from `REKAM_NEW_PASSWORD`.
    Add {
        /// Login name.
        #[arg(long)]
        username: String,
        /// The staff member's name.
        #[arg(long)]
        name: String,
        /// Roles (repeat): front_office, operator, supervisor, printing_operator,
        /// head_of_office, technician.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Change a password to `REKAM_NEW_PASSWORD` (one's own, or anyone's as administrator).
    Passwd {
        /// Whose; default one's own.
        #[arg(long)]
        username: Option<String>,
    },
    /// Lift a lockout.
    Unlock {
        /// Login name.
        username: String,
    },
    /// Disable an account.
    Disable {
        /// Login name.
        username: String,
    },
    /// Re-enable an account.
    Enable {
        /// Login name.
        username: String,
    },
    /// List accounts.
    List,
}

/// Ticket subcommands.
#[derive(Debug, Subcommand)]
pub enum TicketCommand {
    /// Take a ticket (the queue machine; no login).
    Take {
        /// Service code.
        #[arg(long)]
        service: String,
    },
    /// Call the next ticket to a counter.
    Call {
        /// Counter name.
        #[arg(long)]
        counter: String,
        /// Only this service's queue.
        #[arg(long)]
        service: Option<String>,
    },
    /// Call a ticket again.
    Recall {
        /// Ticket number, e.g. A007.
        number: String,
    },
    /// Mark a called ticket as not present.
    NoShow {
        /// Ticket number.
        number: String,
    },
    /// Today's tickets.
    List,
}

/// `file-check` arguments.
#[derive(Debug, Args)]
pub struct FileCheckArgs {
    /// Re-check an existing application instead of opening one.
    #[arg(long)]
    pub application: Option<String>,
    /// Service code (new application).
    #[arg(long)]
    pub service: Option<String>,
    /// Ticket number.
    #[arg(long)]
    pub ticket: Option<String>,
    /// Applicant's name.
    #[arg(long)]
    pub name: Option<String>,
    /// Applicant's NIK.
    #[arg(long)]
    pub nik: Option<String>,
    /// Birth date, YYYY-MM-DD.
    #[arg(long)]
    pub birth_date: Option<String>,
    /// single, married, divorced, widowed (or belum_kawin, kawin, cerai_hidup, cerai_mati).
    #[arg(long)]
    pub marital: Option<String>,
    /// Family-card number.
    #[arg(long)]
    pub kk: Option<String>,
    /// Address.
    #[arg(long)]
    pub address: Option<String>,
    /// Who hands in the file: self, family or proxy.
    #[arg(long, default_value = "self")]
    pub by: String,
    /// The family member's or proxy's name.
    #[arg(long)]
    pub representative: Option<String>,
    /// Requirement codes present in the file (repeat).
    #[arg(long = "have")]
    pub have: Vec<String>,
}

/// Pickup subcommands.
#[derive(Debug, Subcommand)]
pub enum PickupCommand {
    /// Printed cards not yet collected, with their age.
    List,
    /// Hand a card over.
    HandOver {
        /// Application id.
        id: String,
        /// self, family or proxy.
        #[arg(long, default_value = "self")]
        by: String,
        /// Collector's name (family or proxy).
        #[arg(long)]
        name: Option<String>,
        /// Collector's NIK (family or proxy).
        #[arg(long)]
        nik: Option<String>,
        /// Collector's family-card number (family).
        #[arg(long)]
        kk: Option<String>,
        /// The letter of authority's number or date (proxy).
        #[arg(long)]
        letter: Option<String>,
        /// Replacement: handed_in, kept_with_file or lost.
        #[arg(long)]
        old_card: Option<String>,
        /// The digital ID app was installed and registered: yes or no.
        #[arg(long)]
        ikd: Option<String>,
    },
}

/// Complaint subcommands.
#[derive(Debug, Subcommand)]
pub enum ComplaintCommand {
    /// Write a complaint in the book.
    Add {
        /// in_person, letter, suggestion_box, phone, whatsapp, email, website, social_media.
        #[arg(long)]
        channel: String,
        /// Name.
        #[arg(long, default_value = "")]
        name: String,
        /// Occupation.
        #[arg(long, default_value = "")]
        occupation: String,
        /// Address.
        #[arg(long, default_value = "")]
        address: String,
        /// Number or address to answer to.
        #[arg(long)]
        contact: Option<String>,
        /// Keep the identity confidential.
        #[arg(long)]
        confidential: bool,
        /// What fell short.
        #[arg(long)]
        shortfall: String,
        /// The loss suffered.
        #[arg(long)]
        loss: Option<String>,
        /// The remedy asked.
        #[arg(long)]
        remedy: String,
        /// Date of the service, YYYY-MM-DD.
        #[arg(long)]
        service_date: Option<String>,
        /// Application concerned.
        #[arg(long)]
        application: Option<String>,
    },
    /// Head of section: a follow-up entry.
    FollowUp {
        /// Complaint id.
        id: String,
        /// What was done.
        #[arg(long)]
        text: String,
    },
    /// Record the answer sent back through the complainant's channel.
    Answer {
        /// Complaint id.
        id: String,
        /// The answer.
        #[arg(long)]
        text: String,
    },
    /// Close an answered complaint.
    Close {
        /// Complaint id.
        id: String,
    },
    /// List the book.
    List,
    /// Quarterly recap for the head of office.
    Recap {
        /// Year.
        #[arg(long)]
        year: i32,
        /// Quarter 1-4.
        #[arg(long)]
        quarter: u8,
        /// Approve it (head of office).
        #[arg(long)]
        approve: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// Survey subcommands.
#[derive(Debug, Subcommand)]
pub enum SurveyCommand {
    /// Enter one respondent's nine scores, e.g. `4,4,3,4,4,3,4,4,3`.
    Add {
        /// Nine scores 1-4, comma-separated, in the regulation's element order.
        #[arg(long)]
        scores: String,
        /// Service used.
        #[arg(long)]
        service: Option<String>,
    },
    /// The semester report.
    Report {
        /// Year.
        #[arg(long)]
        year: i32,
        /// 1 or 2.
        #[arg(long)]
        semester: u8,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// The minimum sample (Krejcie & Morgan) for a number served.
    Sample {
        /// People served.
        #[arg(long)]
        served: u64,
    },
}

/// Report subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The register book of a day.
    Daily {
        /// YYYY-MM-DD; default today.
        #[arg(long)]
        date: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write to a file instead of the terminal.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The monthly performance report.
    Monthly {
        /// YYYY-MM.
        #[arg(long)]
        month: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write to a file instead of the terminal.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

struct Run<'a> {
    svc: Service,
    lang: Lang,
    creds: Credentials,
    out: &'a mut dyn Write,
}

fn cli_err(e: Error, lang: Lang) -> anyhow::Error {
    anyhow::Error::new(CliError {
        kind: e.kind(),
        message: e.message(lang),
    })
}

fn invalid(lang: Lang, id: &str, en: &str) -> anyhow::Error {
    anyhow::Error::new(CliError {
        kind: ErrorKind::InvalidInput,
        message: lang.pick(id, en).to_string(),
    })
}

/// Runs one command against the caller's database and the office's journal (see
/// [`Service::open`]).
pub fn run(
    cmd: ServiceCommand,
    db: &sled::Db,
    journal: &Path,
    office: &Path,
    ctx: Context<'_>,
) -> anyhow::Result<()> {
    let config =
        OfficeConfig::load(office).map_err(|e| cli_err(e, ctx.lang.unwrap_or_default()))?;
    let lang = ctx.lang.unwrap_or(config.lang);
    let svc = Service::open_with(db, journal, config, ctx.clock, ctx.options)
        .map_err(|e| cli_err(e, lang))?;
    let mut r = Run {
        svc,
        lang,
        creds: ctx.credentials,
        out: ctx.out,
    };
    r.dispatch(cmd)?;
    r.svc.flush().map_err(|e| cli_err(e, lang))?;
    Ok(())
}

impl Run<'_> {
    fn e(&self, e: Error) -> anyhow::Error {
        cli_err(e, self.lang)
    }

    fn login(&self) -> anyhow::Result<crate::Actor> {
        let l = self.lang;
        let user = self.creds.user.as_deref().ok_or_else(|| {
            invalid(
                l,
                "Masuk dulu: beri --user atau REKAM_USER.",
                "Log in first: give --user or REKAM_USER.",
            )
        })?;
        let pw = self.creds.password.as_deref().ok_or_else(|| {
            invalid(
                l,
                "Kata sandi tidak ada: isi REKAM_PASSWORD.",
                "No password: set REKAM_PASSWORD.",
            )
        })?;
        self.svc.authenticate(user, pw).map_err(|e| self.e(e))
    }

    fn new_password(&self) -> anyhow::Result<String> {
        self.creds.new_password.clone().ok_or_else(|| {
            invalid(
                self.lang,
                "Kata sandi baru tidak ada: isi REKAM_NEW_PASSWORD.",
                "No new password: set REKAM_NEW_PASSWORD.",
            )
        })
    }

    fn date(&self, s: &str) -> anyhow::Result<Date> {
        parse_date(s).ok_or_else(|| {
            invalid(
                self.lang,
                &format!("'{s}' bukan tanggal; tulis YYYY-MM-DD."),
                &format!("'{s}' is not a date; write YYYY-MM-DD."),
            )
        })
    }

    fn party(&self, s: &str) -> anyhow::Result<Party> {
        Party::parse(s).ok_or_else(|| {
            invalid(
                self.lang,
                "Pilih self, family atau proxy.",
                "Choose self, family or proxy.",
            )
        })
    }

    fn emit(&mut self, text: &str, to: Option<&Path>) -> anyhow::Result<()> {
        match to {
            Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display())),
            None => self
                .out
                .write_all(text.as_bytes())
                .context("writing output"),
        }
    }

    fn say(&mut self, id: &str, en: &str) -> anyhow::Result<()> {
        let s = self.lang.pick(id, en).to_string();
        writeln!(self.out, "{s}").context("writing output")
    }

    fn show(&mut self, app: &crate::Application) -> anyhow::Result<()> {
        let l = self.lang;
        let now = self.svc.now();
        let zone = self.svc.office().calendar.zone;
        let def = self
            .svc
            .office()
            .service(&app.service)
            .map_err(|e| self.e(e))?;
        let mut s = format!("{}  {}  [{}]\n", app.id, def.name(l), app.state.label(l));
        if let Some(t) = app.time_status(now) {
            let d = self.svc.local(t.deadline);
            s.push_str(&format!(
                "{}: {} {} {}",
                l.pick("Batas waktu", "Deadline"),
                fmt_date(d.date(), l),
                fmt_time(d),
                zone
            ));
            if t.completed {
                s.push_str(&format!(" ({})", l.pick("selesai", "completed")));
            } else {
                s.push_str(&format!(
                    " ({}: {})",
                    l.pick("sisa", "left"),
                    format_duration(t.left, l)
                ));
            }
            if t.breached {
                s.push_str(l.pick(
                    "  ** MELEWATI JANGKA WAKTU **",
                    "  ** TIME LIMIT BREACHED **",
                ));
            }
            s.push('\n');
        }
        if let Some(x) = &app.extension {
            s.push_str(&format!(
                "{}: {} ({})\n",
                l.pick("Diperpanjang", "Extended"),
                x.reason.label(l),
                x.note
            ));
        }
        if let Some(r) = &app.register {
            s.push_str(&format!(
                "{}: {}\n",
                l.pick("Nomor register", "Register number"),
                r.number
            ));
        }
        if let Some(d) = app.print_not_before {
            s.push_str(&format!(
                "{}: {}\n",
                l.pick("Cetak mulai", "Print from"),
                fmt_date(d, l)
            ));
        }
        match &app.state {
            State::Refused { reason } => s.push_str(&format!("{}\n", reason.get(l))),
            State::SentBack { reason } => {
                s.push_str(&format!("{}: {reason}\n", l.pick("Alasan", "Reason")))
            }
            _ => {}
        }
        self.out.write_all(s.as_bytes()).context("writing output")
    }

    fn step(&mut self, id: &str, action: Action) -> anyhow::Result<()> {
        let actor = self.login()?;
        let app = self.svc.apply(&actor, id, action).map_err(|e| self.e(e))?;
        self.show(&app)
    }

    fn dispatch(&mut self, cmd: ServiceCommand) -> anyhow::Result<()> {
        let l = self.lang;
        match cmd {
            ServiceCommand::Account(a) => self.account(a),
            ServiceCommand::Ticket(t) => self.ticket(t),
            ServiceCommand::FileCheck(f) => self.file_check(f),
            ServiceCommand::Approve { id, initials } => {
                self.step(&id, Action::Approve { initials })
            }
            ServiceCommand::SendBack { id, reason } => self.step(&id, Action::SendBack { reason }),
            ServiceCommand::Refuse { id, reason } => self.step(&id, Action::Refuse { reason }),
            ServiceCommand::Record { id, record_id } => {
                self.step(&id, Action::Record { record_id })
            }
            ServiceCommand::Register { id } => self.step(&id, Action::Register),
            ServiceCommand::Print { id } => self.step(&id, Action::Print),
            ServiceCommand::SendPrint { id } => self.step(&id, Action::SendForPrinting),
            ServiceCommand::Link { id, record_id } => {
                let actor = self.login()?;
                let app = self
                    .svc
                    .link_enrollment_record(&actor, &id, &record_id)
                    .map_err(|e| self.e(e))?;
                self.show(&app)
            }
            ServiceCommand::Extend { id, reason, note } => {
                let actor = self.login()?;
                let reason = ExtensionReason::parse(&reason).ok_or_else(|| {
                    invalid(
                        l,
                        "Alasan: network atau equipment.",
                        "Reason: network or equipment.",
                    )
                })?;
                let app = self
                    .svc
                    .extend_limit(&actor, &id, reason, &note)
                    .map_err(|e| self.e(e))?;
                self.show(&app)
            }
            ServiceCommand::Status { id } => {
                let _ = self.login()?;
                let app = self.svc.application(&id).map_err(|e| self.e(e))?;
                self.show(&app)?;
                let mut s = String::new();
                for h in &app.history {
                    s.push_str(&format!(
                        "  {} {} {} {} {}\n",
                        fmt_date(self.svc.local(h.at).date(), l),
                        fmt_time(self.svc.local(h.at)),
                        h.account,
                        h.role.map(|r| r.label(l)).unwrap_or(""),
                        h.action
                    ));
                }
                self.emit(&s, None)
            }
            ServiceCommand::List { overdue } => {
                let _ = self.login()?;
                let apps = if overdue {
                    self.svc.overdue().map_err(|e| self.e(e))?
                } else {
                    let today = self.svc.today();
                    self.svc
                        .applications_opened(today, today.next_day().unwrap_or(today))
                        .map_err(|e| self.e(e))?
                };
                for a in apps {
                    self.show(&a)?;
                }
                Ok(())
            }
            ServiceCommand::Pickup(p) => self.pickup(p),
            ServiceCommand::Complaint(c) => self.complaint(c),
            ServiceCommand::Survey(s) => self.survey(s),
            ServiceCommand::Report(r) => self.report(r),
        }
    }

    fn account(&mut self, a: AccountCommand) -> anyhow::Result<()> {
        let l = self.lang;
        match a {
            AccountCommand::Init { name } => {
                let user = self.creds.user.clone().ok_or_else(|| {
                    invalid(
                        l,
                        "Beri --user untuk akun pertama.",
                        "Give --user for the first account.",
                    )
                })?;
                let pw = self.creds.password.clone().ok_or_else(|| {
                    invalid(
                        l,
                        "Isi REKAM_PASSWORD untuk akun pertama.",
                        "Set REKAM_PASSWORD for the first account.",
                    )
                })?;
                self.svc
                    .create_account(
                        None,
                        &user,
                        &name,
                        &[Role::HeadOfOffice, Role::Technician],
                        &pw,
                    )
                    .map_err(|e| self.e(e))?;
                self.say(
                    &format!("Akun {user} dibuat."),
                    &format!("Account {user} created."),
                )
            }
            AccountCommand::Add {
                username,
                name,
                roles,
            } => {
                let actor = self.login()?;
                let mut rs = Vec::new();
                for r in &roles {
                    rs.push(Role::parse(r).ok_or_else(|| {
                        invalid(
                            l,
                            &format!("'{r}' bukan peran."),
                            &format!("'{r}' is not a role: use front_office, operator, supervisor, printing_operator, head_of_office or technician."),
                        )
                    })?);
                }
                let pw = self.new_password()?;
                self.svc
                    .create_account(Some(&actor), &username, &name, &rs, &pw)
                    .map_err(|e| self.e(e))?;
                self.say(
                    &format!("Akun {username} dibuat."),
                    &format!("Account {username} created."),
                )
            }
            AccountCommand::Passwd { username } => {
                let actor = self.login()?;
                let who = username.unwrap_or_else(|| actor.username().to_string());
                let pw = self.new_password()?;
                self.svc
                    .set_password(&actor, &who, &pw)
                    .map_err(|e| self.e(e))?;
                self.say("Kata sandi diganti.", "Password changed.")
            }
            AccountCommand::Unlock { username } => {
                let actor = self.login()?;
                self.svc
                    .unlock_account(&actor, &username)
                    .map_err(|e| self.e(e))?;
                self.say("Kunci akun dibuka.", "Account unlocked.")
            }
            AccountCommand::Disable { username } => {
                let actor = self.login()?;
                self.svc
                    .set_account_disabled(&actor, &username, true)
                    .map_err(|e| self.e(e))?;
                self.say("Akun dinonaktifkan.", "Account disabled.")
            }
            AccountCommand::Enable { username } => {
                let actor = self.login()?;
                self.svc
                    .set_account_disabled(&actor, &username, false)
                    .map_err(|e| self.e(e))?;
                self.say("Akun diaktifkan.", "Account enabled.")
            }
            AccountCommand::List => {
                let _ = self.login()?;
                let mut s = String::new();
                for a in self.svc.accounts().map_err(|e| self.e(e))? {
                    let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
                    s.push_str(&format!(
                        "{}  {}  {}{}\n",
                        a.username,
                        a.display_name,
                        roles.join(","),
                        if a.disabled {
                            l.pick("  (nonaktif)", "  (disabled)")
                        } else {
                            ""
                        }
                    ));
                }
                self.emit(&s, None)
            }
        }
    }

    fn ticket(&mut self, t: TicketCommand) -> anyhow::Result<()> {
        let l = self.lang;
        let line = |t: &crate::ticket::Ticket| {
            format!(
                "{}  {}  {}{}\n",
                t.number,
                t.status.label(l),
                t.counter
                    .as_deref()
                    .map(|c| format!("{} {c}", l.pick("loket", "counter")))
                    .unwrap_or_default(),
                t.waiting_time()
                    .map(|w| format!(
                        "  {}: {}",
                        l.pick("tunggu", "waited"),
                        format_duration(w, l)
                    ))
                    .unwrap_or_default()
            )
        };
        match t {
            TicketCommand::Take { service } => {
                let t = self.svc.take_ticket(&service).map_err(|e| self.e(e))?;
                let s = format!(
                    "{}: {}  ({})\n",
                    l.pick("Nomor antrian", "Ticket"),
                    t.number,
                    fmt_time(self.svc.local(t.issued_at))
                );
                self.emit(&s, None)
            }
            TicketCommand::Call { counter, service } => {
                let actor = self.login()?;
                let t = self
                    .svc
                    .call_next(&actor, &counter, service.as_deref())
                    .map_err(|e| self.e(e))?;
                self.emit(&line(&t), None)
            }
            TicketCommand::Recall { number } => {
                let actor = self.login()?;
                let t = self.svc.recall(&actor, &number).map_err(|e| self.e(e))?;
                self.emit(&line(&t), None)
            }
            TicketCommand::NoShow { number } => {
                let actor = self.login()?;
                let t = self.svc.no_show(&actor, &number).map_err(|e| self.e(e))?;
                self.emit(&line(&t), None)
            }
            TicketCommand::List => {
                let _ = self.login()?;
                let s: String = self
                    .svc
                    .tickets_on(self.svc.today())
                    .map_err(|e| self.e(e))?
                    .iter()
                    .map(line)
                    .collect();
                self.emit(&s, None)
            }
        }
    }

    fn file_check(&mut self, f: FileCheckArgs) -> anyhow::Result<()> {
        let l = self.lang;
        let actor = self.login()?;
        let id = match f.application {
            Some(id) => id,
            None => {
                let need = |v: Option<String>, what: &str| {
                    v.ok_or_else(|| {
                        invalid(
                            l,
                            &format!("Permohonan baru memerlukan --{what}."),
                            &format!("A new application needs --{what}."),
                        )
                    })
                };
                let service = need(f.service, "service")?;
                let name = need(f.name, "name")?;
                let nik = Nik::parse(&need(f.nik, "nik")?).map_err(|e| self.e(e))?;
                let birth_date = self.date(&need(f.birth_date, "birth-date")?)?;
                let marital_s = need(f.marital, "marital")?;
                let marital = MaritalStatus::parse(&marital_s).ok_or_else(|| {
                    invalid(
                        l,
                        "Status kawin: belum_kawin, kawin, cerai_hidup, cerai_mati.",
                        "Marital status: single, married, divorced, widowed.",
                    )
                })?;
                let family_card = match f.kk {
                    Some(k) => Some(FamilyCardNo::parse(&k).map_err(|e| self.e(e))?),
                    None => None,
                };
                let app = self
                    .svc
                    .open_application(
                        &actor,
                        NewApplication {
                            service,
                            ticket: f.ticket,
                            applicant: Applicant {
                                name,
                                nik,
                                birth_date,
                                marital,
                                family_card,
                                address: f.address,
                            },
                            submitted_by: self.party(&f.by)?,
                            representative: f.representative,
                        },
                    )
                    .map_err(|e| self.e(e))?;
                app.id
            }
        };
        let app = self
            .svc
            .apply(&actor, &id, Action::CheckFile { ticked: f.have })
            .map_err(|e| self.e(e))?;
        if let State::Returned { .. } = app.state {
            let slip = self.svc.missing_slip(&app, l).map_err(|e| self.e(e))?;
            self.emit(&slip, None)?;
        }
        self.show(&app)
    }

    fn pickup(&mut self, p: PickupCommand) -> anyhow::Result<()> {
        let l = self.lang;
        match p {
            PickupCommand::List => {
                let _ = self.login()?;
                let mut s = String::new();
                for u in self.svc.uncollected().map_err(|e| self.e(e))? {
                    let a = &u.application;
                    s.push_str(&format!(
                        "{}  {}  {}  {}: {}\n",
                        a.id,
                        a.applicant.name,
                        a.register.as_ref().map(|r| r.number.as_str()).unwrap_or(""),
                        l.pick("menunggu", "waiting"),
                        format_duration(u.age, l)
                    ));
                }
                self.emit(&s, None)
            }
            PickupCommand::HandOver {
                id,
                by,
                name,
                nik,
                kk,
                letter,
                old_card,
                ikd,
            } => {
                let party = self.party(&by)?;
                let nik = match nik {
                    Some(n) => Some(Nik::parse(&n).map_err(|e| self.e(e))?),
                    None => None,
                };
                let family_card = match kk {
                    Some(k) => Some(FamilyCardNo::parse(&k).map_err(|e| self.e(e))?),
                    None => None,
                };
                let old_card = match old_card {
                    Some(o) => Some(OldCard::parse(&o).ok_or_else(|| {
                        invalid(
                            l,
                            "KTP lama: handed_in, kept_with_file atau lost.",
                            "Old card: handed_in, kept_with_file or lost.",
                        )
                    })?),
                    None => None,
                };
                let ikd_registered = match ikd.as_deref() {
                    None => None,
                    Some("yes" | "ya" | "true") => Some(true),
                    Some("no" | "tidak" | "false") => Some(false),
                    Some(_) => {
                        return Err(invalid(l, "--ikd: ya atau tidak.", "--ikd: yes or no."))
                    }
                };
                self.step(
                    &id,
                    Action::Collect(Handover {
                        party,
                        name: name.unwrap_or_default(),
                        nik,
                        family_card,
                        letter,
                        old_card,
                        ikd_registered,
                    }),
                )
            }
        }
    }

    fn complaint(&mut self, c: ComplaintCommand) -> anyhow::Result<()> {
        let l = self.lang;
        let actor = self.login()?;
        let line = |c: &crate::complaint::Complaint| {
            format!(
                "{}  {}  {}  {}  {}\n",
                c.id,
                c.channel.label(l),
                c.shown_name(l),
                c.status.label(l),
                c.shortfall
            )
        };
        match c {
            ComplaintCommand::Add {
                channel,
                name,
                occupation,
                address,
                contact,
                confidential,
                shortfall,
                loss,
                remedy,
                service_date,
                application,
            } => {
                let channel = ChannelKind::parse(&channel).ok_or_else(|| {
                    invalid(
                        l,
                        "Sarana: in_person, letter, suggestion_box, phone, whatsapp, email, website, social_media.",
                        "Channel: in_person, letter, suggestion_box, phone, whatsapp, email, website, social_media.",
                    )
                })?;
                let service_date = match service_date {
                    Some(d) => Some(self.date(&d)?),
                    None => None,
                };
                let c = self
                    .svc
                    .record_complaint(
                        &actor,
                        NewComplaint {
                            channel,
                            complainant: Complainant {
                                name,
                                occupation,
                                address,
                                contact,
                            },
                            confidential,
                            shortfall,
                            loss,
                            remedy,
                            service_date,
                            application,
                        },
                    )
                    .map_err(|e| self.e(e))?;
                self.emit(&line(&c), None)
            }
            ComplaintCommand::FollowUp { id, text } => {
                let c = self
                    .svc
                    .follow_up_complaint(&actor, &id, &text)
                    .map_err(|e| self.e(e))?;
                self.emit(&line(&c), None)
            }
            ComplaintCommand::Answer { id, text } => {
                let c = self
                    .svc
                    .answer_complaint(&actor, &id, &text)
                    .map_err(|e| self.e(e))?;
                let via = c.answer.as_ref().map(|a| a.via.label(l)).unwrap_or("");
                let s = format!(
                    "{}{}: {via}\n",
                    line(&c),
                    l.pick("Jawaban dikirim melalui", "Answer sent via")
                );
                self.emit(&s, None)
            }
            ComplaintCommand::Close { id } => {
                let c = self
                    .svc
                    .close_complaint(&actor, &id)
                    .map_err(|e| self.e(e))?;
                self.emit(&line(&c), None)
            }
            ComplaintCommand::List => {
                let s: String = self
                    .svc
                    .complaints()
                    .map_err(|e| self.e(e))?
                    .iter()
                    .map(line)
                    .collect();
                self.emit(&s, None)
            }
            ComplaintCommand::Recap {
                year,
                quarter,
                approve,
                format,
            } => {
                if approve {
                    self.svc
                        .approve_recap(&actor, year, quarter)
                        .map_err(|e| self.e(e))?;
                }
                let r = self
                    .svc
                    .quarter_recap(&actor, year, quarter)
                    .map_err(|e| self.e(e))?;
                let text = match format {
                    Format::Html => crate::report::recap_html(&r, self.svc.office(), l),
                    Format::Csv => crate::report::recap_csv(&r, l).map_err(|e| self.e(e))?,
                    Format::Text => {
                        let mut s = format!(
                            "{} {} {}: {} {}, {} {}\n",
                            l.pick("Triwulan", "Quarter"),
                            r.quarter,
                            r.year,
                            r.complaints.len(),
                            l.pick("diterima", "received"),
                            r.closed,
                            l.pick("selesai", "closed")
                        );
                        for (k, n) in &r.by_channel {
                            s.push_str(&format!("  {}: {n}\n", k.label(l)));
                        }
                        if let Some((by, _)) = &r.approved {
                            s.push_str(&format!("{}: {by}\n", l.pick("Disetujui", "Approved by")));
                        }
                        s
                    }
                };
                self.emit(&text, None)
            }
        }
    }

    fn survey(&mut self, s: SurveyCommand) -> anyhow::Result<()> {
        let l = self.lang;
        match s {
            SurveyCommand::Sample { served } => {
                let n = crate::skm::krejcie_morgan(served);
                self.say(
                    &format!("Sampel minimal untuk {served} orang dilayani: {n} responden."),
                    &format!("Minimum sample for {served} served: {n} respondents."),
                )
            }
            SurveyCommand::Add { scores, service } => {
                let actor = self.login()?;
                let parsed: Vec<u8> = scores
                    .split(',')
                    .map(|x| x.trim().parse::<u8>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| {
                        invalid(
                            l,
                            "Nilai harus angka 1-4 dipisah koma.",
                            "Scores are numbers 1-4 separated by commas.",
                        )
                    })?;
                let arr: [u8; 9] = parsed.try_into().map_err(|_| {
                    invalid(
                        l,
                        "Harus tepat 9 nilai (U1-U9).",
                        "Exactly 9 scores are needed (U1-U9).",
                    )
                })?;
                let r = self
                    .svc
                    .record_survey(&actor, arr, service.as_deref())
                    .map_err(|e| self.e(e))?;
                self.say(
                    &format!("Survei {} dicatat.", r.id),
                    &format!("Survey {} recorded.", r.id),
                )
            }
            SurveyCommand::Report {
                year,
                semester,
                format,
            } => {
                let actor = self.login()?;
                let r = self
                    .svc
                    .semester_report(&actor, year, semester)
                    .map_err(|e| self.e(e))?;
                let text = match format {
                    Format::Html => crate::report::semester_html(&r, self.svc.office(), l),
                    Format::Text | Format::Csv => crate::report::semester_text(&r, l),
                };
                self.emit(&text, None)
            }
        }
    }

    fn report(&mut self, r: ReportCommand) -> anyhow::Result<()> {
        let l = self.lang;
        let actor = self.login()?;
        match r {
            ReportCommand::Daily { date, format, out } => {
                let date = match date {
                    Some(d) => self.date(&d)?,
                    None => self.svc.today(),
                };
                let d = self
                    .svc
                    .daily_register(&actor, date, l)
                    .map_err(|e| self.e(e))?;
                let text = match format {
                    Format::Text => d.to_text(),
                    Format::Csv => d.to_csv().map_err(|e| self.e(e))?,
                    Format::Html => d.to_html(self.svc.office()),
                };
                self.emit(&text, out.as_deref())
            }
            ReportCommand::Monthly { month, format, out } => {
                let bad = || invalid(l, "Bulan: tulis YYYY-MM.", "Month: write YYYY-MM.");
                let (y, m) = month.split_once('-').ok_or_else(bad)?;
                let y: i32 = y.parse().map_err(|_| bad())?;
                let m: u8 = m.parse().map_err(|_| bad())?;
                let rep = self
                    .svc
                    .monthly_report(&actor, y, m, l)
                    .map_err(|e| self.e(e))?;
                let text = match format {
                    Format::Text => rep.to_text(),
                    Format::Csv => rep.to_csv().map_err(|e| self.e(e))?,
                    Format::Html => rep.to_html(self.svc.office()),
                };
                self.emit(&text, out.as_deref())
            }
        }
    }
}
