//! The office configuration, `office.toml`: what one office published in its service standard.
//!
//! Every value is checked when the file is loaded; an error names the key, e.g.
//! `service[1].limit.amount`, and what is allowed. The keys are documented in
//! `docs/service.md`; `config/offices/` holds one file per seed office.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use serde::Deserialize;
use time::{Date, Time};

use crate::accounts::Role;
use crate::calendar::{LimitBasis, LimitUnit, TimeLimit, WorkingCalendar, Zone};
use crate::error::{Error, Result};
use crate::Lang;

/// The only schema version this crate reads.
pub const CONFIG_SCHEMA: u32 = 1;

/// Who hands in a file or collects a card (000 1d: the person, a member of the same family card,
/// or someone with a power of attorney).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The person the card is for.
    #[serde(rename = "self")]
    Person,
    /// A member of the same family card (KK).
    Family,
    /// Someone with a letter of authority (surat kuasa).
    Proxy,
}

impl Party {
    /// Parses `self`, `family` or `proxy`.
    pub fn parse(s: &str) -> Option<Party> {
        match s {
            "self" => Some(Party::Person),
            "family" => Some(Party::Family),
            "proxy" => Some(Party::Proxy),
            _ => None,
        }
    }

    /// The configuration word.
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Person => "self",
            Party::Family => "family",
            Party::Proxy => "proxy",
        }
    }

    /// "yang bersangkutan", "keluarga satu KK", "kuasa".
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Party::Person => lang.pick("yang bersangkutan", "the person"),
            Party::Family => lang.pick("keluarga satu KK", "family member on the same KK"),
            Party::Proxy => lang.pick("penerima kuasa", "proxy with a letter of authority"),
        }
    }
}

/// What the service produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// A recording only, no card (Kedopok, 004).
    Recording,
    /// A card printed at this office (000, 001, 002).
    Card,
    /// A card printed at the regency's civil registry office (Yosowilangun, 003 4.6).
    CardRegency,
}

/// The step at which the time limit is met.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    /// The register entry (number and stamp) is made.
    Registered,
    /// The card is printed (or back from the regency), ready to be collected.
    Printed,
    /// The card is handed over.
    Collected,
}

/// Why the time limit may be extended (001: "gangguan jaringan komunikasi dan/atau sarana
/// prasarana").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionReason {
    /// The communication network failed.
    Network,
    /// Equipment or facilities failed.
    Equipment,
}

impl ExtensionReason {
    /// Parses `network` or `equipment`.
    pub fn parse(s: &str) -> Option<ExtensionReason> {
        match s {
            "network" => Some(ExtensionReason::Network),
            "equipment" => Some(ExtensionReason::Equipment),
            _ => None,
        }
    }

    /// The clerk's words.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ExtensionReason::Network => lang.pick(
                "gangguan jaringan komunikasi",
                "communication network failure",
            ),
            ExtensionReason::Equipment => lang.pick(
                "gangguan sarana prasarana",
                "equipment or facilities failure",
            ),
        }
    }
}

/// A channel through which complaints, suggestions and feedback arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// In person at the complaint desk or information desk.
    InPerson,
    /// A letter to the head of office.
    Letter,
    /// The suggestion or complaint box.
    SuggestionBox,
    /// Telephone, fax or a service mobile number called.
    Phone,
    /// WhatsApp.
    Whatsapp,
    /// E-mail.
    Email,
    /// A website form.
    Website,
    /// A social-media account (Lumajang, 002).
    SocialMedia,
}

impl ChannelKind {
    /// All kinds, in the order the forms list them.
    pub const ALL: [ChannelKind; 8] = [
        ChannelKind::InPerson,
        ChannelKind::Letter,
        ChannelKind::SuggestionBox,
        ChannelKind::Phone,
        ChannelKind::Whatsapp,
        ChannelKind::Email,
        ChannelKind::Website,
        ChannelKind::SocialMedia,
    ];

    /// Parses the configuration word.
    pub fn parse(s: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The configuration word.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::InPerson => "in_person",
            ChannelKind::Letter => "letter",
            ChannelKind::SuggestionBox => "suggestion_box",
            ChannelKind::Phone => "phone",
            ChannelKind::Whatsapp => "whatsapp",
            ChannelKind::Email => "email",
            ChannelKind::Website => "website",
            ChannelKind::SocialMedia => "social_media",
        }
    }

    /// The clerk's words.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ChannelKind::InPerson => lang.pick("langsung", "in person"),
            ChannelKind::Letter => lang.pick("surat", "letter"),
            ChannelKind::SuggestionBox => lang.pick("kotak saran", "suggestion box"),
            ChannelKind::Phone => lang.pick("telepon", "phone"),
            ChannelKind::Whatsapp => "WhatsApp",
            ChannelKind::Email => "e-mail",
            ChannelKind::Website => "website",
            ChannelKind::SocialMedia => lang.pick("media sosial", "social media"),
        }
    }
}

/// Name, code and zone of the office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeInfo {
    /// "Kecamatan Kedopok".
    pub name: String,
    /// A short code used in register numbers, e.g. `KDP`.
    pub code: String,
    /// Regency or city and province.
    pub region: String,
    /// Who signs reports, e.g. "Camat Kedopok".
    pub head_title: String,
    /// The published standard this configuration reproduces.
    pub source: String,
}

/// A requirement of a service's file (persyaratan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Short code the clerk ticks, e.g. `kk_copy`.
    pub code: String,
    /// The text in Indonesian, as published.
    pub text: String,
    /// The text in English.
    pub text_en: String,
    /// Required only when the file is handed in by this party (e.g. the letter of authority
    /// when a proxy applies).
    pub when: Option<Party>,
    /// A colour photo: the slip adds the background for the birth year (003 2.2: blue for an
    /// even year, red for an odd one).
    pub photo: bool,
}

impl Requirement {
    /// The text in `lang`.
    pub fn text(&self, lang: Lang) -> &str {
        lang.pick(&self.text, &self.text_en)
    }
}

/// The time limit and its extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The limit that applies once extended, counted from the same start.
    pub limit: TimeLimit,
    /// The reasons that allow it.
    pub reasons: Vec<ExtensionReason>,
}

/// One service the office offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDef {
    /// Code, e.g. `new_card`.
    pub code: String,
    /// Name in Indonesian, as published.
    pub name: String,
    /// Name in English.
    pub name_en: String,
    /// Queue-number prefix, e.g. `A`.
    pub ticket_prefix: String,
    /// What the service produces.
    pub product: Product,
    /// Whether the applicant must be 17, married or ever married (UU 24/2013 art. 63).
    pub eligibility: bool,
    /// Whether the service replaces an existing card (the old card is recorded at handover).
    pub replacement: bool,
    /// Whether the applicant installs and registers the digital ID app (000 2e).
    pub ikd: bool,
    /// Who may hand in the file.
    pub applicants: Vec<Party>,
    /// Who may collect the card.
    pub collectors: Vec<Party>,
    /// The time limit.
    pub limit: TimeLimit,
    /// The step that meets the limit.
    pub ends_at: Milestone,
    /// The longer limit allowed on a failure, if the standard has one.
    pub extension: Option<Extension>,
    /// The file's requirements.
    pub requirements: Vec<Requirement>,
    /// The seed section this service comes from.
    pub source: String,
}

impl ServiceDef {
    /// The name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        lang.pick(&self.name, &self.name_en)
    }

    /// The requirements that apply when `party` hands in the file.
    pub fn requirements_for(&self, party: Party) -> impl Iterator<Item = &Requirement> {
        self.requirements
            .iter()
            .filter(move |r| r.when.is_none_or(|w| w == party))
    }
}

/// A complaint channel the office published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelDef {
    /// Which kind.
    pub kind: ChannelKind,
    /// The number, address or place, as published.
    pub contact: String,
}

/// A staff position and how many people hold it (jumlah pelaksana).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffDef {
    /// The role in the software.
    pub role: Role,
    /// The title the office uses.
    pub title: String,
    /// How many people.
    pub count: u32,
}

/// Age rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EligibilityRules {
    /// Age at which an unmarried person may get a card (17).
    pub min_age: u8,
    /// Age from which the office records (16 if it records early; printing waits until
    /// `min_age`).
    pub recording_from_age: u8,
}

/// Account lockout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountPolicy {
    /// Consecutive wrong passwords that lock an account.
    pub max_failures: u32,
    /// How long the lock lasts.
    pub lockout: time::Duration,
    /// Whether one account holding the operator and supervisor roles may approve the
    /// exceptions of its own recordings (`accounts.operator_may_approve_own_exceptions`).
    /// `false` by default: the approver is another person. Only for an office whose standard
    /// lists no head of service (seeds 000 Kebasen and 001 Sumba Timur); every use is audited.
    pub operator_may_approve_own_exceptions: bool,
}

/// An office's whole configuration, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeConfig {
    /// Name, code, zone.
    pub office: OfficeInfo,
    /// Default language of messages.
    pub lang: Lang,
    /// Working days, hours, holidays, zone.
    pub calendar: WorkingCalendar,
    /// Age rules.
    pub eligibility: EligibilityRules,
    /// Lockout.
    pub accounts: AccountPolicy,
    /// Register number format with `{seq}`, `{code}`, `{year}`, `{month}`.
    pub register_format: String,
    /// Services offered.
    pub services: Vec<ServiceDef>,
    /// Complaint channels.
    pub complaint_channels: Vec<ChannelDef>,
    /// Staff positions.
    pub staff: Vec<StaffDef>,
}

// ---- raw TOML -------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    schema: u32,
    office: RawOffice,
    #[serde(default)]
    calendar: RawCalendar,
    #[serde(default)]
    eligibility: RawEligibility,
    #[serde(default)]
    accounts: RawAccounts,
    #[serde(default)]
    register: RawRegister,
    #[serde(default)]
    service: Vec<RawService>,
    #[serde(default)]
    complaint_channel: Vec<RawChannel>,
    #[serde(default)]
    staff: Vec<RawStaff>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOffice {
    name: String,
    code: String,
    #[serde(default)]
    region: String,
    timezone: String,
    #[serde(default = "default_lang")]
    language: String,
    #[serde(default)]
    head_title: String,
    #[serde(default)]
    source: String,
}

fn default_lang() -> String {
    "id".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    #[serde(default = "default_days")]
    working_days: Vec<String>,
    #[serde(default = "default_open")]
    open: String,
    #[serde(default = "default_close")]
    close: String,
    #[serde(default)]
    holidays: Vec<String>,
}

impl Default for RawCalendar {
    fn default() -> Self {
        RawCalendar {
            working_days: default_days(),
            open: default_open(),
            close: default_close(),
            holidays: Vec::new(),
        }
    }
}

fn default_days() -> Vec<String> {
    ["mon", "tue", "wed", "thu", "fri"]
        .into_iter()
        .map(String::from)
        .collect()
}
fn default_open() -> String {
    "08:00".into()
}
fn default_close() -> String {
    "16:00".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEligibility {
    #[serde(default = "default_min_age")]
    min_age: i64,
    recording_from_age: Option<i64>,
}

impl Default for RawEligibility {
    fn default() -> Self {
        RawEligibility {
            min_age: default_min_age(),
            recording_from_age: None,
        }
    }
}

fn default_min_age() -> i64 {
    17
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccounts {
    #[serde(default = "default_failures")]
    max_failures: i64,
    #[serde(default = "default_lockout")]
    lockout_minutes: i64,
    #[serde(default)]
    operator_may_approve_own_exceptions: bool,
}

impl Default for RawAccounts {
    fn default() -> Self {
        RawAccounts {
            max_failures: default_failures(),
            lockout_minutes: default_lockout(),
            operator_may_approve_own_exceptions: false,
        }
    }
}

fn default_failures() -> i64 {
    5
}
fn default_lockout() -> i64 {
    15
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegister {
    #[serde(default = "default_register")]
    number_format: String,
}

impl Default for RawRegister {
    fn default() -> Self {
        RawRegister {
            number_format: default_register(),
        }
    }
}

fn default_register() -> String {
    "{seq}/{code}/{year}".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    code: String,
    name: String,
    #[serde(default)]
    name_en: String,
    ticket_prefix: String,
    product: String,
    #[serde(default)]
    eligibility: bool,
    #[serde(default)]
    replacement: bool,
    #[serde(default)]
    ikd: bool,
    #[serde(default = "default_parties")]
    applicants: Vec<String>,
    #[serde(default = "default_parties")]
    collectors: Vec<String>,
    limit: RawLimit,
    extension: Option<RawExtension>,
    #[serde(default)]
    requirement: Vec<RawRequirement>,
    #[serde(default)]
    source: String,
}

fn default_parties() -> Vec<String> {
    vec!["self".into()]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimit {
    amount: i64,
    unit: String,
    #[serde(default)]
    basis: Option<String>,
    #[serde(default)]
    ends_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtension {
    amount: i64,
    unit: String,
    #[serde(default)]
    basis: Option<String>,
    reasons: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    code: String,
    text: String,
    #[serde(default)]
    text_en: String,
    #[serde(default)]
    when: Option<String>,
    #[serde(default)]
    photo: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    kind: String,
    #[serde(default)]
    contact: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStaff {
    role: String,
    title: String,
    count: i64,
}

// ---- loading --------------------------------------------------------------------------------

impl OfficeConfig {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<OfficeConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::config(
                "(file)",
                format!("cannot read {}: {e}; check the path", path.display()),
            )
        })?;
        // A syntax or unknown-key error names the line; the file is named here.
        OfficeConfig::parse(&text).map_err(|e| match e {
            Error::Config { key, message } if key.starts_with("(line") => Error::Config {
                key: format!("{} {key}", path.display()),
                message,
            },
            other => other,
        })
    }

    /// Validates the text of an `office.toml`.
    pub fn parse(text: &str) -> Result<OfficeConfig> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let msg = e.message().to_string();
            let key = e
                .span()
                .map(|s| {
                    // Lines before the error's start, plus its own (a key at the start of a
                    // line has a prefix ending in '\n', which `lines()` would not count).
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!("(line {line})")
                })
                .unwrap_or_else(|| "(file)".into());
            Error::config(key, msg)
        })?;
        validate(raw)
    }

    /// The service with `code`.
    pub fn service(&self, code: &str) -> Result<&ServiceDef> {
        self.services
            .iter()
            .find(|s| s.code == code)
            .ok_or_else(|| {
                let known: Vec<&str> = self.services.iter().map(|s| s.code.as_str()).collect();
                Error::not_found(
                    format!(
                        "Layanan `{code}` tidak ada di kantor ini; pilih salah satu: {}.",
                        known.join(", ")
                    ),
                    format!(
                        "This office has no service `{code}`; choose one of: {}.",
                        known.join(", ")
                    ),
                )
            })
    }

    /// The service whose tickets carry `prefix`.
    pub fn service_by_prefix(&self, prefix: &str) -> Option<&ServiceDef> {
        self.services.iter().find(|s| s.ticket_prefix == prefix)
    }

    /// Whether the office publishes a channel of this kind.
    pub fn has_channel(&self, kind: ChannelKind) -> bool {
        self.complaint_channels.iter().any(|c| c.kind == kind)
    }
}

fn is_code(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

fn parse_hhmm(key: &str, s: &str) -> Result<Time> {
    let bad = || Error::config(key, format!("'{s}' is not a time; write HH:MM, e.g. 08:00"));
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let h: u8 = h.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    Time::from_hms(h, m, 0).map_err(|_| bad())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), fmt).ok()
}

fn limit(
    key: &str,
    amount: i64,
    unit: &str,
    basis: Option<&str>,
) -> std::result::Result<TimeLimit, Error> {
    let unit = match unit {
        "minutes" => LimitUnit::Minutes,
        "hours" => LimitUnit::Hours,
        "days" => LimitUnit::Days,
        "working_days" => LimitUnit::WorkingDays,
        other => {
            return Err(Error::config(
                format!("{key}.unit"),
                format!("'{other}' is not a unit; use minutes, hours, days or working_days"),
            ))
        }
    };
    let max = match unit {
        LimitUnit::Minutes => 60 * 24 * 31,
        LimitUnit::Hours => 24 * 366,
        LimitUnit::Days | LimitUnit::WorkingDays => 366,
    };
    if amount < 1 || amount > max {
        return Err(Error::config(
            format!("{key}.amount"),
            format!("{amount} is out of range; allowed 1 to {max}"),
        ));
    }
    let basis = match basis {
        None | Some("wall_clock") => LimitBasis::WallClock,
        Some("office_hours") => LimitBasis::OfficeHours,
        Some(other) => {
            return Err(Error::config(
                format!("{key}.basis"),
                format!("'{other}' is not a basis; use wall_clock or office_hours"),
            ))
        }
    };
    Ok(TimeLimit {
        amount: amount as u32,
        unit,
        basis,
    })
}

fn parties(key: &str, list: &[String]) -> Result<Vec<Party>> {
    if list.is_empty() {
        return Err(Error::config(
            key,
            "the list is empty; name at least `self`",
        ));
    }
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let party = Party::parse(p).ok_or_else(|| {
            Error::config(
                format!("{key}[{i}]"),
                format!("'{p}' is not a party; use self, family or proxy"),
            )
        })?;
        if !out.contains(&party) {
            out.push(party);
        }
    }
    Ok(out)
}

fn validate(raw: RawConfig) -> Result<OfficeConfig> {
    if raw.schema != CONFIG_SCHEMA {
        return Err(Error::config(
            "schema",
            format!(
                "this station reads schema {CONFIG_SCHEMA}, the file says {}",
                raw.schema
            ),
        ));
    }
    let o = raw.office;
    if o.name.trim().is_empty() {
        return Err(Error::config("office.name", "the office name is empty"));
    }
    if !is_code(&o.code, 16) {
        return Err(Error::config(
            "office.code",
            format!(
                "'{}' is not a code; use 1 to 16 letters, digits, '-', '_' or '.'",
                o.code
            ),
        ));
    }
    let zone = Zone::parse(&o.timezone).ok_or_else(|| {
        Error::config(
            "office.timezone",
            format!(
                "'{}' is not an Indonesian zone; use WIB, WITA or WIT",
                o.timezone
            ),
        )
    })?;
    let lang = Lang::parse(&o.language).ok_or_else(|| {
        Error::config(
            "office.language",
            format!("'{}' is not a language; use id or en", o.language),
        )
    })?;
    let office = OfficeInfo {
        head_title: if o.head_title.trim().is_empty() {
            "Kepala Kantor".into()
        } else {
            o.head_title
        },
        name: o.name,
        code: o.code,
        region: o.region,
        source: o.source,
    };

    // Calendar.
    let c = raw.calendar;
    let mut working_days = BTreeSet::new();
    for (i, d) in c.working_days.iter().enumerate() {
        let idx = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .position(|x| *x == d.to_ascii_lowercase())
            .ok_or_else(|| {
                Error::config(
                    format!("calendar.working_days[{i}]"),
                    format!("'{d}' is not a weekday; use mon, tue, wed, thu, fri, sat, sun"),
                )
            })?;
        working_days.insert(idx as u8);
    }
    if working_days.is_empty() {
        return Err(Error::config(
            "calendar.working_days",
            "no working day; name at least one weekday",
        ));
    }
    let open = parse_hhmm("calendar.open", &c.open)?;
    let close = parse_hhmm("calendar.close", &c.close)?;
    if open >= close {
        return Err(Error::config(
            "calendar.close",
            format!(
                "closing time {} is not after opening time {}",
                c.close, c.open
            ),
        ));
    }
    let mut holidays = BTreeSet::new();
    for (i, h) in c.holidays.iter().enumerate() {
        let d = parse_date(h).ok_or_else(|| {
            Error::config(
                format!("calendar.holidays[{i}]"),
                format!("'{h}' is not a date; write YYYY-MM-DD"),
            )
        })?;
        holidays.insert(d);
    }
    let calendar = WorkingCalendar {
        zone,
        working_days,
        open,
        close,
        holidays,
    };

    // Eligibility.
    let e = raw.eligibility;
    if !(15..=21).contains(&e.min_age) {
        return Err(Error::config(
            "eligibility.min_age",
            format!(
                "{} is out of range; allowed 15 to 21 (the law says 17)",
                e.min_age
            ),
        ));
    }
    let rec = e.recording_from_age.unwrap_or(e.min_age);
    if rec < 16 || rec > e.min_age {
        return Err(Error::config(
            "eligibility.recording_from_age",
            format!(
                "{rec} is out of range; allowed 16 to min_age ({})",
                e.min_age
            ),
        ));
    }
    let eligibility = EligibilityRules {
        min_age: e.min_age as u8,
        recording_from_age: rec as u8,
    };

    let a = raw.accounts;
    if !(1..=20).contains(&a.max_failures) {
        return Err(Error::config(
            "accounts.max_failures",
            format!("{} is out of range; allowed 1 to 20", a.max_failures),
        ));
    }
    if !(1..=1440).contains(&a.lockout_minutes) {
        return Err(Error::config(
            "accounts.lockout_minutes",
            format!("{} is out of range; allowed 1 to 1440", a.lockout_minutes),
        ));
    }
    let accounts = AccountPolicy {
        max_failures: a.max_failures as u32,
        lockout: time::Duration::minutes(a.lockout_minutes),
        operator_may_approve_own_exceptions: a.operator_may_approve_own_exceptions,
    };

    let fmt = raw.register.number_format;
    if !fmt.contains("{seq}") {
        return Err(Error::config(
            "register.number_format",
            "the format has no {seq}; numbers would repeat",
        ));
    }
    let stripped = ["{seq}", "{code}", "{year}", "{month}"]
        .iter()
        .fold(fmt.clone(), |s, t| s.replace(t, ""));
    if stripped.contains('{') || stripped.contains('}') {
        return Err(Error::config(
            "register.number_format",
            "unknown placeholder; allowed {seq}, {code}, {year}, {month}",
        ));
    }

    // Services.
    if raw.service.is_empty() {
        return Err(Error::config(
            "service",
            "no service; list at least one [[service]]",
        ));
    }
    let mut services = Vec::new();
    let mut codes = HashSet::new();
    let mut prefixes = HashSet::new();
    for (i, s) in raw.service.into_iter().enumerate() {
        let k = format!("service[{i}]");
        if !is_code(&s.code, 32) {
            return Err(Error::config(
                format!("{k}.code"),
                format!(
                    "'{}' is not a code; use letters, digits, '-' or '_'",
                    s.code
                ),
            ));
        }
        if !codes.insert(s.code.clone()) {
            return Err(Error::config(
                format!("{k}.code"),
                format!("'{}' is used by two services", s.code),
            ));
        }
        if s.name.trim().is_empty() {
            return Err(Error::config(format!("{k}.name"), "the name is empty"));
        }
        let p = &s.ticket_prefix;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::config(
                format!("{k}.ticket_prefix"),
                format!("'{p}' is not a prefix; use 1 to 3 capital letters"),
            ));
        }
        if !prefixes.insert(p.clone()) {
            return Err(Error::config(
                format!("{k}.ticket_prefix"),
                format!("'{p}' is used by two services; each service needs its own queue"),
            ));
        }
        let product = match s.product.as_str() {
            "recording" => Product::Recording,
            "card" => Product::Card,
            "card_regency" => Product::CardRegency,
            other => {
                return Err(Error::config(
                    format!("{k}.product"),
                    format!("'{other}' is not a product; use recording, card or card_regency"),
                ))
            }
        };
        let lim = limit(
            &format!("{k}.limit"),
            s.limit.amount,
            &s.limit.unit,
            s.limit.basis.as_deref(),
        )?;
        let ends_at = match (s.limit.ends_at.as_deref(), product) {
            (None, Product::Recording) | (Some("registered"), _) => Milestone::Registered,
            (None, _) | (Some("printed"), _) => Milestone::Printed,
            (Some("collected"), _) => Milestone::Collected,
            (Some(other), _) => {
                return Err(Error::config(
                    format!("{k}.limit.ends_at"),
                    format!("'{other}' is not a step; use registered, printed or collected"),
                ))
            }
        };
        if product == Product::Recording && ends_at != Milestone::Registered {
            return Err(Error::config(
                format!("{k}.limit.ends_at"),
                "a recording-only service produces no card; the limit ends at registered",
            ));
        }
        let extension = match s.extension {
            None => None,
            Some(x) => {
                let ek = format!("{k}.extension");
                let l = limit(&ek, x.amount, &x.unit, x.basis.as_deref())?;
                let probe = time::macros::datetime!(2026-01-05 09:00 UTC);
                if l.deadline(&calendar, probe) <= lim.deadline(&calendar, probe) {
                    return Err(Error::config(
                        format!("{ek}.amount"),
                        "the extended limit is not longer than the limit itself",
                    ));
                }
                if x.reasons.is_empty() {
                    return Err(Error::config(
                        format!("{ek}.reasons"),
                        "no reason; name network and/or equipment",
                    ));
                }
                let mut reasons = Vec::new();
                for (j, r) in x.reasons.iter().enumerate() {
                    reasons.push(ExtensionReason::parse(r).ok_or_else(|| {
                        Error::config(
                            format!("{ek}.reasons[{j}]"),
                            format!("'{r}' is not a reason; use network or equipment"),
                        )
                    })?);
                }
                Some(Extension { limit: l, reasons })
            }
        };
        let applicants = parties(&format!("{k}.applicants"), &s.applicants)?;
        let collectors = parties(&format!("{k}.collectors"), &s.collectors)?;
        let mut requirements = Vec::new();
        let mut rcodes = HashSet::new();
        for (j, r) in s.requirement.into_iter().enumerate() {
            let rk = format!("{k}.requirement[{j}]");
            if !is_code(&r.code, 32) {
                return Err(Error::config(
                    format!("{rk}.code"),
                    format!(
                        "'{}' is not a code; use letters, digits, '-' or '_'",
                        r.code
                    ),
                ));
            }
            if !rcodes.insert(r.code.clone()) {
                return Err(Error::config(
                    format!("{rk}.code"),
                    format!("'{}' is listed twice in this service", r.code),
                ));
            }
            if r.text.trim().is_empty() {
                return Err(Error::config(format!("{rk}.text"), "the text is empty"));
            }
            let when = match r.when.as_deref() {
                None => None,
                Some(w) => Some(Party::parse(w).ok_or_else(|| {
                    Error::config(
                        format!("{rk}.when"),
                        format!("'{w}' is not a party; use self, family or proxy"),
                    )
                })?),
            };
            requirements.push(Requirement {
                text_en: if r.text_en.trim().is_empty() {
                    r.text.clone()
                } else {
                    r.text_en
                },
                code: r.code,
                text: r.text,
                when,
                photo: r.photo,
            });
        }
        services.push(ServiceDef {
            name_en: if s.name_en.trim().is_empty() {
                s.name.clone()
            } else {
                s.name_en
            },
            code: s.code,
            name: s.name,
            ticket_prefix: s.ticket_prefix,
            product,
            eligibility: s.eligibility,
            replacement: s.replacement,
            ikd: s.ikd,
            applicants,
            collectors,
            limit: lim,
            ends_at,
            extension,
            requirements,
            source: s.source,
        });
    }

    if raw.complaint_channel.is_empty() {
        return Err(Error::config(
            "complaint_channel",
            "no complaint channel; list the channels the standard publishes",
        ));
    }
    let mut complaint_channels = Vec::new();
    for (i, c) in raw.complaint_channel.into_iter().enumerate() {
        let kind = ChannelKind::parse(&c.kind).ok_or_else(|| {
            Error::config(
                format!("complaint_channel[{i}].kind"),
                format!(
                    "'{}' is not a channel; use in_person, letter, suggestion_box, phone, \
                     whatsapp, email, website or social_media",
                    c.kind
                ),
            )
        })?;
        complaint_channels.push(ChannelDef {
            kind,
            contact: c.contact,
        });
    }

    let mut staff = Vec::new();
    for (i, s) in raw.staff.into_iter().enumerate() {
        let role = Role::parse(&s.role).ok_or_else(|| {
            Error::config(
                format!("staff[{i}].role"),
                format!(
                    "'{}' is not a role; use front_office, operator, supervisor, \
                     printing_operator, head_of_office or technician",
                    s.role
                ),
            )
        })?;
        if !(1..=100).contains(&s.count) {
            return Err(Error::config(
                format!("staff[{i}].count"),
                format!("{} is out of range; allowed 1 to 100", s.count),
            ));
        }
        staff.push(StaffDef {
            role,
            title: s.title,
            count: s.count as u32,
        });
    }
    if accounts.operator_may_approve_own_exceptions {
        if let Some(head) = staff.iter().find(|s| s.role == Role::Supervisor) {
            return Err(Error::config(
                "accounts.operator_may_approve_own_exceptions",
                format!(
                    "this office's staff lists a head of service ({}), who approves exceptions; \
                     one person may approve their own only where the standard lists none: remove \
                     the key or set it to false",
                    head.title
                ),
            ));
        }
    }

    Ok(OfficeConfig {
        office,
        lang,
        calendar,
        eligibility,
        accounts,
        register_format: fmt,
        services,
        complaint_channels,
        staff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = r#"
schema = 1
[office]
name = "Kecamatan Contoh"
code = "CTH"
timezone = "WIB"
[[service]]
code = "new_card"
name = "KTP-el baru"
ticket_prefix = "A"
product = "card"
eligibility = true
limit = { amount = 1, unit = "working_days" }
[[service.requirement]]
code = "kk_copy"
text = "Fotokopi Kartu Keluarga"
[[complaint_channel]]
kind = "in_person"
"#;

    fn key_of(text: &str) -> String {
        match OfficeConfig::parse(text) {
            Err(Error::Config { key, .. }) => key,
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }

    #[test]
    fn minimal_file_gets_defaults() {
        let c = OfficeConfig::parse(MIN).unwrap();
        assert_eq!(c.lang, Lang::Id);
        assert_eq!(c.eligibility.min_age, 17);
        assert_eq!(c.eligibility.recording_from_age, 17);
        assert_eq!(c.accounts.max_failures, 5);
        assert_eq!(c.calendar.working_days.len(), 5);
        let s = c.service("new_card").unwrap();
        assert_eq!(s.ends_at, Milestone::Printed);
        assert_eq!(s.applicants, vec![Party::Person]);
        assert_eq!(s.requirements[0].text_en, "Fotokopi Kartu Keluarga");
        assert_eq!(
            c.service("nope").unwrap_err().kind(),
            crate::ErrorKind::NotFound
        );
    }

    #[test]
    fn every_bad_value_names_its_key() {
        let cases = [
            ("schema = 1", "schema = 2", "schema"),
            (
                "timezone = \"WIB\"",
                "timezone = \"CET\"",
                "office.timezone",
            ),
            ("code = \"CTH\"", "code = \"C T H\"", "office.code"),
            (
                "limit = { amount = 1, unit = \"working_days\" }",
                "limit = { amount = 0, unit = \"working_days\" }",
                "service[0].limit.amount",
            ),
            (
                "limit = { amount = 1, unit = \"working_days\" }",
                "limit = { amount = 1, unit = \"fortnights\" }",
                "service[0].limit.unit",
            ),
            (
                "limit = { amount = 1, unit = \"working_days\" }",
                "limit = { amount = 1, unit = \"hours\", basis = \"moon\" }",
                "service[0].limit.basis",
            ),
            (
                "ticket_prefix = \"A\"",
                "ticket_prefix = \"a1\"",
                "service[0].ticket_prefix",
            ),
            (
                "product = \"card\"",
                "product = \"passport\"",
                "service[0].product",
            ),
            (
                "kind = \"in_person\"",
                "kind = \"pigeon\"",
                "complaint_channel[0].kind",
            ),
            (
                "code = \"kk_copy\"",
                "code = \"kk copy\"",
                "service[0].requirement[0].code",
            ),
        ];
        for (from, to, key) in cases {
            assert_eq!(key_of(&MIN.replacen(from, to, 1)), key, "{to}");
        }
    }

    #[test]
    fn self_approval_is_off_by_default_and_refused_where_a_head_of_service_exists() {
        assert!(
            !OfficeConfig::parse(MIN)
                .unwrap()
                .accounts
                .operator_may_approve_own_exceptions
        );
        let own = format!(
            "{MIN}
[accounts]
operator_may_approve_own_exceptions = true
"
        );
        assert!(
            OfficeConfig::parse(&own)
                .unwrap()
                .accounts
                .operator_may_approve_own_exceptions
        );
        let with_kasi = format!(
            "{own}
[[staff]]
role = \"supervisor\"
title = \"Kasi Pelayanan\"
count = 1
"
        );
        assert_eq!(
            key_of(&with_kasi),
            "accounts.operator_may_approve_own_exceptions"
        );
        // Not a yes or no.
        let bad = format!(
            "{MIN}
[accounts]
operator_may_approve_own_exceptions = \"ya\"
"
        );
        assert!(OfficeConfig::parse(&bad).is_err());
    }

    #[test]
    fn calendar_and_age_keys() {
        let with = |extra: &str| format!("{MIN}\n{extra}");
        assert_eq!(
            key_of(&with("[calendar]\nworking_days = [\"mon\", \"funday\"]")),
            "calendar.working_days[1]"
        );
        assert_eq!(
            key_of(&with("[calendar]\nopen = \"16:00\"\nclose = \"08:00\"")),
            "calendar.close"
        );
        assert_eq!(key_of(&with("[calendar]\nopen = \"8am\"")), "calendar.open");
        assert_eq!(
            key_of(&with("[calendar]\nholidays = [\"2026-02-30\"]")),
            "calendar.holidays[0]"
        );
        assert_eq!(
            key_of(&with("[eligibility]\nrecording_from_age = 15")),
            "eligibility.recording_from_age"
        );
        assert_eq!(
            key_of(&with("[accounts]\nmax_failures = 0")),
            "accounts.max_failures"
        );
        assert_eq!(
            key_of(&with("[register]\nnumber_format = \"{code}/{year}\"")),
            "register.number_format"
        );
        assert_eq!(
            key_of(&with(
                "[[staff]]\nrole = \"janitor\"\ntitle = \"x\"\ncount = 1"
            )),
            "staff[0].role"
        );
    }

    #[test]
    fn extension_must_be_longer_and_have_reasons() {
        let t = MIN.replacen(
            "limit = { amount = 1, unit = \"working_days\" }",
            "limit = { amount = 2, unit = \"hours\" }\nextension = { amount = 1, unit = \"hours\", reasons = [\"network\"] }",
            1,
        );
        assert_eq!(key_of(&t), "service[0].extension.amount");
        let t = MIN.replacen(
            "limit = { amount = 1, unit = \"working_days\" }",
            "limit = { amount = 1, unit = \"hours\" }\nextension = { amount = 24, unit = \"hours\", reasons = [\"rain\"] }",
            1,
        );
        assert_eq!(key_of(&t), "service[0].extension.reasons[0]");
    }

    #[test]
    fn unknown_keys_and_bad_types_are_refused_with_a_line() {
        let e = OfficeConfig::parse(&format!("{MIN}\n[office2]\nx = 1")).unwrap_err();
        assert!(e.to_string().contains("office2"), "{e}");
        let e =
            OfficeConfig::parse(&MIN.replacen("schema = 1", "schema = \"one\"", 1)).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        // An unknown key inside a table, at the start of its line: that line, and the file.
        let text = MIN.replacen("code = \"CTH\"\n", "code = \"CTH\"\nregoin = \"x\"\n", 1);
        let line = text.lines().position(|l| l.starts_with("regoin")).unwrap() + 1;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("office.toml");
        std::fs::write(&path, &text).unwrap();
        let e = OfficeConfig::load(&path).unwrap_err().to_string();
        assert!(e.contains("regoin"), "{e}");
        assert!(e.contains(&format!("(line {line})")), "{e}");
        assert!(e.contains(&path.display().to_string()), "{e}");
    }

    #[test]
    fn requirements_for_a_proxy_include_the_letter() {
        let t = format!(
            "{MIN}\n[[service.requirement]]\ncode = \"letter\"\ntext = \"Surat kuasa\"\nwhen = \"proxy\""
        );
        let c = OfficeConfig::parse(&t).unwrap();
        let s = &c.services[0];
        assert_eq!(s.requirements_for(Party::Person).count(), 1);
        assert_eq!(s.requirements_for(Party::Proxy).count(), 2);
    }

    #[test]
    fn the_five_seed_offices_load_with_their_published_limits() {
        use crate::testutil::*;
        let k = office(KEDOPOK);
        let s = k.service("perekaman").unwrap();
        assert_eq!((s.limit.amount, s.limit.unit), (30, LimitUnit::Minutes));
        assert_eq!(s.product, Product::Recording);
        assert_eq!(s.ends_at, Milestone::Registered);
        let st = office(SUMBA_TIMUR);
        assert_eq!(st.calendar.zone, Zone::Wita);
        let s = st.service("new_card").unwrap();
        assert_eq!((s.limit.amount, s.limit.unit), (1, LimitUnit::Hours));
        let x = s.extension.as_ref().unwrap();
        assert_eq!((x.limit.amount, x.limit.unit), (24, LimitUnit::Hours));
        assert!(s.eligibility);
        let y = office(YOSOWILANGUN);
        let s = y.service("issuance").unwrap();
        assert_eq!((s.limit.amount, s.limit.unit), (12, LimitUnit::WorkingDays));
        assert_eq!(s.product, Product::CardRegency);
        assert!(s.requirements.iter().any(|r| r.photo));
        let l = office(LUMAJANG);
        assert_eq!(l.services.len(), 4);
        let lost = l.service("lost").unwrap();
        let codes: Vec<&str> = lost.requirements.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["ktp_copy", "police_report", "kk_copy"]);
        let kb = office(KEBASEN);
        let s = kb.service("lost").unwrap();
        assert_eq!(
            s.collectors,
            vec![Party::Person, Party::Family, Party::Proxy]
        );
        assert!(s.ikd && s.replacement);
        for k in [
            ChannelKind::InPerson,
            ChannelKind::Letter,
            ChannelKind::SuggestionBox,
            ChannelKind::Phone,
            ChannelKind::Whatsapp,
            ChannelKind::Email,
        ] {
            assert!(kb.has_channel(k), "{k:?}");
        }
        assert!(k.has_channel(ChannelKind::Website));
        // Only the two offices whose standard lists no head of service let one person approve
        // the exceptions of their own recordings.
        for (o, own) in [
            (&k, false),
            (&st, true),
            (&y, false),
            (&l, false),
            (&kb, true),
        ] {
            assert_eq!(
                o.accounts.operator_may_approve_own_exceptions, own,
                "{}",
                o.office.name
            );
            assert_eq!(
                o.staff.iter().any(|s| s.role == Role::Supervisor),
                !own,
                "{}",
                o.office.name
            );
        }
        // config/office.toml is a valid office too.
        office(include_str!("../../../config/office.toml"));
    }
}
