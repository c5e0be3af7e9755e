//! The complaint book (buku pengaduan): complaints, suggestions and feedback from every channel
//! the office publishes, their follow-up by the head of section, the answer sent back through
//! the channel used, and the quarterly recap for the head of office.
//!
//! Seeds: 004 B.6 (name, occupation and address written in the book; follow-up; the answer goes
//! back "sesuai sarana yang dipakai oleh Pengadu"), 003 11.3-11.9 (the suggestion box opened
//! daily; follow-up written in the book; a recap every three months approved by the Camat and
//! posted on the notice board), UU 25/2009 art. 40-42 (what a complaint carries; the
//! complainant's identity may be kept confidential; filed within 30 days of the service).

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::config::ChannelKind;
use crate::error::{Error, Result};
use crate::store::{self, decode, Tr};
use crate::ticket::day_key;
use crate::{Actor, Lang, Role, Service};

/// Where a complaint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    /// Written in the book, not yet followed up.
    Received,
    /// The head of section has followed it up.
    FollowedUp,
    /// The result was sent back to the complainant.
    Answered,
    /// Closed.
    Closed,
}

impl ComplaintStatus {
    /// The clerk's words.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ComplaintStatus::Received => lang.pick("diterima", "received"),
            ComplaintStatus::FollowedUp => lang.pick("ditindaklanjuti", "followed up"),
            ComplaintStatus::Answered => lang.pick("dijawab", "answered"),
            ComplaintStatus::Closed => lang.pick("selesai", "closed"),
        }
    }
}

/// Who complained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complainant {
    /// Name.
    pub name: String,
    /// Occupation (pekerjaan).
    pub occupation: String,
    /// Address.
    pub address: String,
    /// Phone number, e-mail or account to answer to, when the channel needs one.
    pub contact: Option<String>,
}

/// How the answer went back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyVia {
    /// Through the channel the complaint came by.
    Channel(ChannelKind),
    /// Posted on the notice board (a suggestion-box note has no address; 003 11.9).
    NoticeBoard,
}

impl ReplyVia {
    /// The reply channel for a complaint that came by `kind`.
    pub fn for_channel(kind: ChannelKind) -> ReplyVia {
        match kind {
            ChannelKind::SuggestionBox => ReplyVia::NoticeBoard,
            k => ReplyVia::Channel(k),
        }
    }

    /// The clerk's words.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ReplyVia::Channel(k) => k.label(lang),
            ReplyVia::NoticeBoard => lang.pick("papan pengumuman", "notice board"),
        }
    }
}

/// A follow-up entry by the head of section (003 11.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who.
    pub by: String,
    /// What was done.
    pub text: String,
}

/// The answer sent back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who sent it.
    pub by: String,
    /// How.
    pub via: ReplyVia,
    /// What was said.
    pub text: String,
}

/// A complaint as written in the book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// `AD-YYYYMMDD-NNNN`.
    pub id: String,
    /// When received.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// How it came.
    pub channel: ChannelKind,
    /// Who complained (empty fields for an anonymous suggestion-box note).
    pub complainant: Complainant,
    /// The complainant asked to keep their identity confidential.
    pub confidential: bool,
    /// What fell short.
    pub shortfall: String,
    /// The loss suffered, if stated.
    pub loss: Option<String>,
    /// The remedy asked.
    pub remedy: String,
    /// The date of the service complained about.
    pub service_date: Option<Date>,
    /// The application concerned.
    pub application: Option<String>,
    /// Filed more than 30 days after the service (UU 25/2009 art. 40): noted, not refused.
    pub filed_late: bool,
    /// Who wrote it in the book.
    pub recorded_by: String,
    /// Follow-up entries.
    pub follow_ups: Vec<FollowUp>,
    /// The answer.
    pub answer: Option<Answer>,
    /// Where it is.
    pub status: ComplaintStatus,
    /// When closed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

impl Complaint {
    /// From receipt to closing.
    pub fn time_to_resolve(&self) -> Option<Duration> {
        self.closed_at.map(|c| c - self.received_at)
    }

    /// The complainant's name as lists and reports may show it.
    pub fn shown_name(&self, lang: Lang) -> String {
        if self.confidential {
            lang.pick("(dirahasiakan)", "(confidential)").to_string()
        } else if self.complainant.name.trim().is_empty() {
            lang.pick("(tanpa nama)", "(anonymous)").to_string()
        } else {
            self.complainant.name.clone()
        }
    }
}

/// What the clerk writes when a complaint arrives.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    /// How it came.
    pub channel: ChannelKind,
    /// Who complained.
    pub complainant: Complainant,
    /// Keep the identity confidential.
    pub confidential: bool,
    /// What fell short.
    pub shortfall: String,
    /// The loss, if stated.
    pub loss: Option<String>,
    /// The remedy asked.
    pub remedy: String,
    /// The date of the service complained about.
    pub service_date: Option<Date>,
    /// The application concerned.
    pub application: Option<String>,
}

/// The quarterly recap (003 11.8).
#[derive(Debug, Clone, PartialEq)]
pub struct QuarterRecap {
    /// Year.
    pub year: i32,
    /// Quarter, 1 to 4.
    pub quarter: u8,
    /// Complaints received in the quarter, oldest first.
    pub complaints: Vec<Complaint>,
    /// Count per channel, in the order of [`ChannelKind::ALL`], channels with none left out.
    pub by_channel: Vec<(ChannelKind, usize)>,
    /// Of those, closed (by the time of the recap).
    pub closed: usize,
    /// Median time from receipt to closing, nearest rank.
    pub median_resolve: Option<Duration>,
    /// Approval by the head of office, if given: who and when.
    pub approved: Option<(String, OffsetDateTime)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Approval {
    by: String,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
}

fn not_found(id: &str) -> Error {
    Error::not_found(
        format!("Tidak ada pengaduan {id}."),
        format!("There is no complaint {id}."),
    )
}

fn text(s: &str, id: &str, en: &str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        Err(Error::invalid(id, en))
    } else {
        Ok(t.to_string())
    }
}

/// First and last day (exclusive) of a quarter.
pub fn quarter_bounds(year: i32, quarter: u8) -> Result<(Date, Date)> {
    if !(1..=4).contains(&quarter) {
        return Err(Error::invalid(
            "Triwulan harus 1 sampai 4.",
            "A quarter is 1 to 4.",
        ));
    }
    let m = |n: u8| time::Month::try_from(n).unwrap_or(time::Month::January);
    let bad = |_| Error::invalid("Tahun tidak sah.", "Not a valid year.");
    let from = Date::from_calendar_date(year, m(3 * quarter - 2), 1).map_err(bad)?;
    let to = if quarter == 4 {
        Date::from_calendar_date(year + 1, time::Month::January, 1).map_err(bad)?
    } else {
        Date::from_calendar_date(year, m(3 * quarter + 1), 1).map_err(bad)?
    };
    Ok((from, to))
}

impl Service {
    /// Writes a complaint in the book.
    pub fn record_complaint(&self, by: &Actor, new: NewComplaint) -> Result<Complaint> {
        by.require(
            &[Role::FrontOffice, Role::Supervisor, Role::HeadOfOffice],
            "mencatat pengaduan",
            "record complaints",
        )?;
        if !self.office.has_channel(new.channel) {
            let known: Vec<&str> = self
                .office
                .complaint_channels
                .iter()
                .map(|c| c.kind.as_str())
                .collect();
            return Err(Error::invalid(
                format!(
                    "Kantor ini tidak membuka sarana pengaduan {}; sarana yang ada: {}.",
                    new.channel.label(Lang::Id),
                    known.join(", ")
                ),
                format!(
                    "This office publishes no {} channel; its channels: {}.",
                    new.channel.label(Lang::En),
                    known.join(", ")
                ),
            ));
        }
        let mut c = new.complainant.clone();
        c.name = c.name.trim().to_string();
        c.occupation = c.occupation.trim().to_string();
        c.address = c.address.trim().to_string();
        if new.channel != ChannelKind::SuggestionBox
            && (c.name.is_empty() || c.occupation.is_empty() || c.address.is_empty())
        {
            return Err(Error::invalid(
                "Catat nama, pekerjaan dan alamat pengadu (004); identitas dapat dirahasiakan bila diminta.",
                "Record the complainant's name, occupation and address (004); the identity can be kept confidential on request.",
            ));
        }
        let needs_contact = matches!(
            new.channel,
            ChannelKind::Phone
                | ChannelKind::Whatsapp
                | ChannelKind::Email
                | ChannelKind::SocialMedia
        );
        if needs_contact && c.contact.as_deref().is_none_or(|s| s.trim().is_empty()) {
            return Err(Error::invalid(
                "Catat nomor atau alamat untuk menjawab pengaduan melalui sarana yang sama.",
                "Record the number or address to answer through the same channel.",
            ));
        }
        let shortfall = text(
            &new.shortfall,
            "Tuliskan hal yang dikeluhkan.",
            "Write what fell short.",
        )?;
        let remedy = text(
            &new.remedy,
            "Tuliskan penyelesaian yang diminta.",
            "Write the remedy asked.",
        )?;
        let now = self.now();
        self.step(|tx| {
            let seq = tx.next_counter(&format!("complaint/{}", day_key(now.date())))?;
            let filed_late = new
                .service_date
                .is_some_and(|d| now.date() > d + Duration::days(30));
            let complaint = Complaint {
                id: format!("AD-{}-{seq:04}", day_key(now.date())),
                received_at: now,
                channel: new.channel,
                complainant: c,
                confidential: new.confidential,
                shortfall,
                loss: new
                    .loss
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
                remedy,
                service_date: new.service_date,
                application: new.application,
                filed_late,
                recorded_by: by.username().to_string(),
                follow_ups: Vec::new(),
                answer: None,
                status: ComplaintStatus::Received,
                closed_at: None,
            };
            tx.put(Tr::Complaints, &complaint.id, &complaint)?;
            self.audit_plain(
                tx,
                by.username(),
                None,
                "complaint_record",
                &complaint.id,
                complaint.channel.as_str(),
            )?;
            Ok(complaint)
        })
    }

    /// Changes a stored complaint (`f` checks its state first) and audits it, in one step.
    fn update_complaint(
        &self,
        by: &Actor,
        role: Role,
        id: &str,
        action: &str,
        f: impl FnOnce(&mut Complaint) -> Result<()>,
    ) -> Result<Complaint> {
        let id = id.trim();
        self.step(|tx| {
            let mut c = tx
                .get::<Complaint>(Tr::Complaints, id)?
                .ok_or_else(|| not_found(id))?;
            f(&mut c)?;
            tx.put(Tr::Complaints, id, &c)?;
            self.audit_plain(tx, by.username(), Some(role), action, &c.id, "")?;
            Ok(c)
        })
    }

    /// One complaint.
    pub fn complaint(&self, id: &str) -> Result<Complaint> {
        store::get(&self.trees.complaints, id.trim())?.ok_or_else(|| not_found(id))
    }

    /// Complaints received on `from..to` (office dates, `to` exclusive), oldest first.
    pub fn complaints_received(&self, from: Date, to: Date) -> Result<Vec<Complaint>> {
        let start = format!("AD-{}", day_key(from));
        let end = format!("AD-{}", day_key(to));
        let mut out = Vec::new();
        for kv in self
            .trees
            .complaints
            .range(start.as_bytes()..end.as_bytes())
        {
            let (_, v) = kv?;
            out.push(decode(&v)?);
        }
        Ok(out)
    }

    /// Every complaint, oldest first.
    pub fn complaints(&self) -> Result<Vec<Complaint>> {
        store::scan(&self.trees.complaints, "AD-")
    }

    /// A follow-up entry by the head of section (003 11.6; 004 g).
    pub fn follow_up_complaint(&self, by: &Actor, id: &str, what: &str) -> Result<Complaint> {
        let role = by.require(
            &[Role::Supervisor, Role::HeadOfOffice],
            "menindaklanjuti pengaduan",
            "follow complaints up",
        )?;
        let what = text(what, "Tuliskan tindak lanjutnya.", "Write the follow-up.")?;
        self.update_complaint(by, role, id, "complaint_follow_up", |c| {
            if matches!(
                c.status,
                ComplaintStatus::Answered | ComplaintStatus::Closed
            ) {
                return Err(Error::conflict(
                    format!("Pengaduan {} sudah {}.", c.id, c.status.label(Lang::Id)),
                    format!(
                        "Complaint {} is {} already.",
                        c.id,
                        c.status.label(Lang::En)
                    ),
                ));
            }
            c.follow_ups.push(FollowUp {
                at: self.now(),
                by: by.username().to_string(),
                text: what,
            });
            c.status = ComplaintStatus::FollowedUp;
            Ok(())
        })
    }

    /// Records the answer sent back through the channel the complaint came by (004 h); a
    /// suggestion-box note is answered on the notice board.
    pub fn answer_complaint(&self, by: &Actor, id: &str, answer: &str) -> Result<Complaint> {
        let role = by.require(
            &[Role::FrontOffice, Role::Supervisor, Role::HeadOfOffice],
            "menjawab pengaduan",
            "answer complaints",
        )?;
        let answer = text(answer, "Tuliskan jawabannya.", "Write the answer.")?;
        self.update_complaint(by, role, id, "complaint_answer", |c| {
            if c.status != ComplaintStatus::FollowedUp {
                return Err(Error::conflict(
                    format!(
                        "Pengaduan {} berstatus {}; jawaban dikirim setelah ditindaklanjuti.",
                        c.id,
                        c.status.label(Lang::Id)
                    ),
                    format!(
                        "Complaint {} is {}; the answer goes out after the follow-up.",
                        c.id,
                        c.status.label(Lang::En)
                    ),
                ));
            }
            let via = ReplyVia::for_channel(c.channel);
            c.answer = Some(Answer {
                at: self.now(),
                by: by.username().to_string(),
                via,
                text: answer,
            });
            c.status = ComplaintStatus::Answered;
            Ok(())
        })
    }

    /// Closes an answered complaint.
    pub fn close_complaint(&self, by: &Actor, id: &str) -> Result<Complaint> {
        let role = by.require(
            &[Role::Supervisor, Role::HeadOfOffice],
            "menutup pengaduan",
            "close complaints",
        )?;
        self.update_complaint(by, role, id, "complaint_close", |c| {
        if c.status != ComplaintStatus::Answered {
            return Err(Error::conflict(
                format!(
                    "Pengaduan {} belum dijawab; jawab melalui sarana yang dipakai pengadu sebelum ditutup.",
                    c.id
                ),
                format!(
                    "Complaint {} has not been answered; answer it through the complainant's channel before closing.",
                    c.id
                ),
            ));
        }
        c.status = ComplaintStatus::Closed;
        c.closed_at = Some(self.now());
        Ok(())
        })
    }

    /// The quarterly recap for the head of office (003 11.8).
    pub fn quarter_recap(&self, by: &Actor, year: i32, quarter: u8) -> Result<QuarterRecap> {
        by.require(
            &[Role::Supervisor, Role::HeadOfOffice],
            "membuat rekap pengaduan",
            "make complaint recaps",
        )?;
        let (from, to) = quarter_bounds(year, quarter)?;
        let complaints = self.complaints_received(from, to)?;
        let by_channel = ChannelKind::ALL
            .into_iter()
            .map(|k| (k, complaints.iter().filter(|c| c.channel == k).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        let closed = complaints
            .iter()
            .filter(|c| c.status == ComplaintStatus::Closed)
            .count();
        let times: Vec<Duration> = complaints
            .iter()
            .filter_map(|c| c.time_to_resolve())
            .collect();
        let approved = store::get::<Approval>(&self.trees.recaps, &format!("{year}-Q{quarter}"))?
            .map(|a| (a.by, a.at));
        Ok(QuarterRecap {
            year,
            quarter,
            median_resolve: crate::stats::median(&times),
            complaints,
            by_channel,
            closed,
            approved,
        })
    }

    /// The head of office approves a quarter's recap for posting (003 11.8-11.9).
    pub fn approve_recap(&self, by: &Actor, year: i32, quarter: u8) -> Result<()> {
        let role = by.require(
            &[Role::HeadOfOffice],
            "menyetujui rekap pengaduan",
            "approve complaint recaps",
        )?;
        quarter_bounds(year, quarter)?;
        let key = format!("{year}-Q{quarter}");
        let a = Approval {
            by: by.username().to_string(),
            at: self.now(),
        };
        self.step(|tx| {
            tx.put(Tr::Recaps, &key, &a)?;
            self.audit_plain(tx, by.username(), Some(role), "recap_approve", &key, "")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn new(channel: ChannelKind) -> NewComplaint {
        NewComplaint {
            channel,
            complainant: Complainant {
                name: "Budi".into(),
                occupation: "Petani".into(),
                address: "Desa Kedopok".into(),
                contact: Some("081200000000".into()),
            },
            confidential: false,
            shortfall: "Antrian lama".into(),
            loss: None,
            remedy: "Tambah petugas".into(),
            service_date: None,
            application: None,
        }
    }

    #[test]
    fn lifecycle_and_roles() {
        let (svc, clock, _dir) = service(KEDOPOK);
        let _ = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        let kasi = svc.authenticate("kasi", PW).unwrap();
        let op = svc.authenticate("operator", PW).unwrap();
        assert_eq!(
            svc.record_complaint(&op, new(ChannelKind::Phone))
                .unwrap_err()
                .kind(),
            crate::ErrorKind::NotPermitted
        );
        let c = svc
            .record_complaint(&loket, new(ChannelKind::Phone))
            .unwrap();
        assert_eq!(c.id, "AD-20260302-0001");
        assert_eq!(
            svc.answer_complaint(&loket, &c.id, "x").unwrap_err().kind(),
            crate::ErrorKind::Conflict
        );
        assert_eq!(
            svc.follow_up_complaint(&loket, &c.id, "x")
                .unwrap_err()
                .kind(),
            crate::ErrorKind::NotPermitted
        );
        clock.advance(Duration::hours(3));
        svc.follow_up_complaint(&kasi, &c.id, "Petugas loket ditambah")
            .unwrap();
        assert_eq!(
            svc.close_complaint(&kasi, &c.id).unwrap_err().kind(),
            crate::ErrorKind::Conflict
        );
        let c = svc
            .answer_complaint(&loket, &c.id, "Sudah ditambah")
            .unwrap();
        assert_eq!(
            c.answer.as_ref().unwrap().via,
            ReplyVia::Channel(ChannelKind::Phone)
        );
        clock.advance(Duration::hours(1));
        let c = svc.close_complaint(&kasi, &c.id).unwrap();
        assert_eq!(c.time_to_resolve(), Some(Duration::hours(4)));
    }

    #[test]
    fn unpublished_channel_and_missing_identity_are_refused() {
        let (svc, _clock, _dir) = service(YOSOWILANGUN);
        let _ = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        let e = svc
            .record_complaint(&loket, new(ChannelKind::Whatsapp))
            .unwrap_err();
        assert!(
            e.message(Lang::Id).contains("in_person, suggestion_box"),
            "{}",
            e.message(Lang::Id)
        );
        let mut n = new(ChannelKind::InPerson);
        n.complainant.occupation = " ".into();
        assert!(svc.record_complaint(&loket, n).is_err());
        // An anonymous note from the suggestion box is answered on the notice board.
        let mut n = new(ChannelKind::SuggestionBox);
        n.complainant = Complainant {
            name: String::new(),
            occupation: String::new(),
            address: String::new(),
            contact: None,
        };
        let c = svc.record_complaint(&loket, n).unwrap();
        assert_eq!(c.shown_name(Lang::Id), "(tanpa nama)");
        assert_eq!(ReplyVia::for_channel(c.channel), ReplyVia::NoticeBoard);
    }

    #[test]
    fn confidential_and_late() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        let _ = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        let mut n = new(ChannelKind::InPerson);
        n.confidential = true;
        n.service_date = Some(time::macros::date!(2026 - 01 - 20));
        let c = svc.record_complaint(&loket, n).unwrap();
        assert_eq!(c.shown_name(Lang::En), "(confidential)");
        assert!(c.filed_late, "41 days after the service");
    }

    #[test]
    fn quarters() {
        assert_eq!(
            quarter_bounds(2026, 1).unwrap(),
            (
                time::macros::date!(2026 - 01 - 01),
                time::macros::date!(2026 - 04 - 01)
            )
        );
        assert_eq!(
            quarter_bounds(2026, 4).unwrap(),
            (
                time::macros::date!(2026 - 10 - 01),
                time::macros::date!(2027 - 01 - 01)
            )
        );
        assert!(quarter_bounds(2026, 5).is_err());
    }
}
