//! Reports.

use time::{Date, OffsetDateTime};

use crate::Lang;

pub use crate::datefmt::{fmt_date, fmt_time};
use crate::datefmt::{MONTHS_EN, MONTHS_ID};

use time::Duration;

use crate::application::State;
use crate::complaint::{ComplaintStatus, QuarterRecap};
use crate::error::{Error, Result};
use crate::skm::{SemesterReport, SkmResult};
use crate::ticket::TicketStatus;
use crate::{Actor, Role, Service};

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Minutes, for CSV.
fn mins(d: Option<Duration>) -> String {
    d.map(|d| d.whole_minutes().to_string()).unwrap_or_default()
}

fn dur(d: Option<Duration>, lang: Lang) -> String {
    d.map(|d| crate::calendar::format_duration(d, lang))
        .unwrap_or_else(|| "-".into())
}

fn csv_out(rows: Vec<Vec<String>>) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(&r)
            .map_err(|e| Error::Storage(format!("cannot write CSV: {e}")))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Storage(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Storage(format!("cannot write CSV: {e}")))
}

const CSS: &str = "@page{size:A4;margin:15mm}body{font-family:'DejaVu Sans',Arial,sans-serif;\
font-size:10pt;color:#000;margin:0}h1{font-size:14pt;margin:0 0 2mm}h2{font-size:11pt;\
margin:6mm 0 2mm}.meta{margin-bottom:4mm}table{border-collapse:collapse;width:100%;\
page-break-inside:auto}tr{page-break-inside:avoid}th,td{border:0.3mm solid #000;padding:1mm 1.5mm;\
text-align:left;vertical-align:top}th{background:#e6e6e6}td.n{text-align:right}\
.breach{font-weight:bold}.sign{margin-top:12mm;width:70mm;margin-left:auto;text-align:center}\
@media screen{body{max-width:190mm;margin:10mm auto}}";

fn page(title: &str, office: &crate::OfficeConfig, meta: &str, body: &str, lang: Lang) -> String {
    let o = &office.office;
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>\
<style>{CSS}</style></head><body>\n<h1>{}</h1>\n<div class=\"meta\">{}<br>{}<br>{meta}</div>\n\
{body}\n<div class=\"sign\">{}<br>{}<br><br><br><br>(....................................)</div>\n\
</body></html>\n",
        match lang {
            Lang::Id => "id",
            Lang::En => "en",
        },
        esc(title),
        esc(title),
        esc(&o.name),
        esc(&o.region),
        lang.pick("Mengetahui,", "Acknowledged,"),
        esc(&o.head_title),
    )
}

fn table(head: &[&str], rows: &[Vec<String>], numeric_from: usize) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in head {
        s.push_str(&format!("<th>{}</th>", esc(h)));
    }
    s.push_str("</tr></thead><tbody>\n");
    for r in rows {
        s.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            if i >= numeric_from {
                s.push_str(&format!("<td class=\"n\">{}</td>", esc(c)));
            } else {
                s.push_str(&format!("<td>{}</td>", esc(c)));
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>");
    s
}

/// One line of the daily register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyLine {
    /// Register number.
    pub number: String,
    /// Time of the entry, HH:MM.
    pub time: String,
    /// Application id.
    pub application: String,
    /// Applicant's name.
    pub name: String,
    /// Applicant's NIK.
    pub nik: String,
    /// Service name.
    pub service: String,
    /// Operator's account.
    pub operator: String,
    /// State now.
    pub state: String,
}

/// The register book of one day and the day's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyRegister {
    /// The day.
    pub date: Date,
    /// Register entries.
    pub lines: Vec<DailyLine>,
    /// Tickets taken.
    pub tickets: usize,
    /// Tickets called (served or not).
    pub called: usize,
    /// Tickets marked no-show.
    pub no_show: usize,
    /// Median wait from ticket to call (nearest rank).
    pub median_wait: Option<Duration>,
    /// 90th-percentile wait (nearest rank).
    pub p90_wait: Option<Duration>,
    /// Language of the headings.
    pub lang: Lang,
}

/// Per-service figures of a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLine {
    /// Service code.
    pub code: String,
    /// Name in the report's language.
    pub name: String,
    /// The published limit, in words.
    pub limit: String,
    /// Applications opened in the month.
    pub opened: usize,
    /// Of those, returned at least once for a missing requirement.
    pub returned: usize,
    /// Of those, refused.
    pub refused: usize,
    /// Applications whose limit step was done in the month.
    pub completed: usize,
    /// Median completion time of those (nearest rank).
    pub median: Option<Duration>,
    /// 90th-percentile completion time (nearest rank).
    pub p90: Option<Duration>,
    /// Completed in the month after their deadline.
    pub breached_completed: usize,
    /// Not completed, deadline passed within the month (by the report time).
    pub breached_open: usize,
    /// With an extension granted.
    pub extended: usize,
}

/// The monthly performance report (004 C.4: monthly monitoring; 003 14).
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyReport {
    /// Year.
    pub year: i32,
    /// Month 1-12.
    pub month: u8,
    /// Per service.
    pub services: Vec<ServiceLine>,
    /// Complaints received in the month.
    pub complaints_received: usize,
    /// Complaints closed in the month.
    pub complaints_resolved: usize,
    /// Median receipt-to-close time of those closed (nearest rank).
    pub complaints_median_resolve: Option<Duration>,
    /// SKM over the month's responses.
    pub skm: Option<SkmResult>,
    /// Language of the headings.
    pub lang: Lang,
}

/// First day of a month and of the next.
pub fn month_bounds(year: i32, month: u8) -> Result<(Date, Date)> {
    let bad = |_| Error::invalid("Bulan tidak sah.", "Not a valid month.");
    let m = time::Month::try_from(month).map_err(|_| bad(()))?;
    let from = Date::from_calendar_date(year, m, 1).map_err(|_| bad(()))?;
    let to = if month == 12 {
        Date::from_calendar_date(year + 1, time::Month::January, 1)
    } else {
        Date::from_calendar_date(year, m.next(), 1)
    }
    .map_err(|_| bad(()))?;
    Ok((from, to))
}

impl Service {
    /// The register book of `date` with the day's queue figures.
    pub fn daily_register(&self, by: &Actor, date: Date, lang: Lang) -> Result<DailyRegister> {
        by.require(
            &[Role::Operator, Role::Supervisor, Role::HeadOfOffice],
            "melihat buku register",
            "see the register book",
        )?;
        let next = date.next_day().unwrap_or(date);
        let mut lines = Vec::new();
        for row in self.register_rows(date, next)? {
            let app = self.application(&row.application)?;
            let service = self
                .office
                .service(&row.service)
                .map(|s| s.name(lang).to_string())
                .unwrap_or_else(|_| row.service.clone());
            lines.push(DailyLine {
                number: row.number,
                time: fmt_time(self.local(row.at)),
                application: row.application,
                name: app.applicant.name.clone(),
                nik: app.applicant.nik.to_string(),
                service,
                operator: row.by,
                state: app.state.label(lang).to_string(),
            });
        }
        let tickets = self.tickets_on(date)?;
        let waits: Vec<Duration> = tickets.iter().filter_map(|t| t.waiting_time()).collect();
        Ok(DailyRegister {
            date,
            lines,
            tickets: tickets.len(),
            called: waits.len(),
            no_show: tickets
                .iter()
                .filter(|t| t.status == TicketStatus::NoShow)
                .count(),
            median_wait: crate::stats::median(&waits),
            p90_wait: crate::stats::percentile(&waits, 90.0),
            lang,
        })
    }

    /// The monthly performance report.
    pub fn monthly_report(
        &self,
        by: &Actor,
        year: i32,
        month: u8,
        lang: Lang,
    ) -> Result<MonthlyReport> {
        by.require(
            &[Role::Supervisor, Role::HeadOfOffice],
            "melihat laporan",
            "see reports",
        )?;
        let (from, to) = month_bounds(year, month)?;
        let now = self.now();
        let all = self.applications()?;
        let in_month = |t: OffsetDateTime| {
            let d = self.local(t).date();
            d >= from && d < to
        };
        let mut services = Vec::new();
        for def in &self.office.services {
            let mine: Vec<_> = all.iter().filter(|a| a.service == def.code).collect();
            let opened: Vec<_> = mine.iter().filter(|a| in_month(a.opened_at)).collect();
            let completed: Vec<_> = mine
                .iter()
                .filter(|a| a.completed_at.is_some_and(in_month))
                .collect();
            let times: Vec<Duration> = completed
                .iter()
                .filter_map(|a| a.completion_time())
                .collect();
            let breached_completed = completed
                .iter()
                .filter(|a| a.time_status(now).is_some_and(|t| t.breached))
                .count();
            let breached_open = mine
                .iter()
                .filter(|a| {
                    a.completed_at.is_none()
                        && !matches!(a.state, State::Refused { .. })
                        && a.deadline.is_some_and(|d| in_month(d) && d < now)
                })
                .count();
            services.push(ServiceLine {
                code: def.code.clone(),
                name: def.name(lang).to_string(),
                limit: def.limit.describe(lang),
                opened: opened.len(),
                returned: opened
                    .iter()
                    .filter(|a| a.history.iter().any(|h| h.detail.starts_with("returned")))
                    .count(),
                refused: opened
                    .iter()
                    .filter(|a| matches!(a.state, State::Refused { .. }))
                    .count(),
                completed: completed.len(),
                median: crate::stats::median(&times),
                p90: crate::stats::percentile(&times, 90.0),
                breached_completed,
                breached_open,
                extended: mine
                    .iter()
                    .filter(|a| a.extension.as_ref().is_some_and(|x| in_month(x.at)))
                    .count(),
            });
        }
        let complaints = self.complaints()?;
        let received = complaints
            .iter()
            .filter(|c| in_month(c.received_at))
            .count();
        let closed: Vec<Duration> = complaints
            .iter()
            .filter(|c| c.status == ComplaintStatus::Closed && c.closed_at.is_some_and(in_month))
            .filter_map(|c| c.time_to_resolve())
            .collect();
        let scores: Vec<[u8; 9]> = self
            .survey_responses(from, to)?
            .into_iter()
            .map(|r| r.scores)
            .collect();
        Ok(MonthlyReport {
            year,
            month,
            services,
            complaints_received: received,
            complaints_resolved: closed.len(),
            complaints_median_resolve: crate::stats::median(&closed),
            skm: crate::skm::compute(&scores),
            lang,
        })
    }
}

impl DailyRegister {
    fn headings(&self) -> [&'static str; 8] {
        let l = self.lang;
        [
            l.pick("Nomor register", "Register no."),
            l.pick("Jam", "Time"),
            l.pick("Nomor permohonan", "Application"),
            l.pick("Nama", "Name"),
            "NIK",
            l.pick("Layanan", "Service"),
            l.pick("Petugas", "Officer"),
            l.pick("Status", "State"),
        ]
    }

    fn rows(&self) -> Vec<Vec<String>> {
        self.lines
            .iter()
            .map(|l| {
                vec![
                    l.number.clone(),
                    l.time.clone(),
                    l.application.clone(),
                    l.name.clone(),
                    l.nik.clone(),
                    l.service.clone(),
                    l.operator.clone(),
                    l.state.clone(),
                ]
            })
            .collect()
    }

    /// CSV: a heading row, then one row per register entry.
    pub fn to_csv(&self) -> Result<String> {
        let mut rows = vec![self.headings().iter().map(|s| s.to_string()).collect()];
        rows.extend(self.rows());
        csv_out(rows)
    }

    /// A printable A4 page.
    pub fn to_html(&self, office: &crate::OfficeConfig) -> String {
        let l = self.lang;
        let title = l.pick("Buku Register Pelayanan KTP-el", "KTP-el Service Register");
        let meta = format!(
            "{}: {}",
            l.pick("Tanggal", "Date"),
            esc(&fmt_date(self.date, l))
        );
        let mut body = table(&self.headings(), &self.rows(), 99);
        body.push_str(&format!("<h2>{}</h2>", l.pick("Antrian", "Queue")));
        body.push_str(&table(
            &[l.pick("Ukuran", "Measure"), l.pick("Nilai", "Value")],
            &self.queue_rows(),
            1,
        ));
        page(title, office, &meta, &body, l)
    }

    fn queue_rows(&self) -> Vec<Vec<String>> {
        let l = self.lang;
        vec![
            vec![
                l.pick("Nomor antrian diambil", "Tickets taken").into(),
                self.tickets.to_string(),
            ],
            vec![
                l.pick("Dipanggil", "Called").into(),
                self.called.to_string(),
            ],
            vec![
                l.pick("Tidak hadir", "No-show").into(),
                self.no_show.to_string(),
            ],
            vec![
                l.pick("Median waktu tunggu", "Median wait").into(),
                dur(self.median_wait, l),
            ],
            vec![
                l.pick("Persentil ke-90 waktu tunggu", "90th-percentile wait")
                    .into(),
                dur(self.p90_wait, l),
            ],
        ]
    }

    /// Plain text for the terminal.
    pub fn to_text(&self) -> String {
        let l = self.lang;
        let mut s = format!(
            "{} {}\n",
            l.pick("Buku register", "Register"),
            fmt_date(self.date, l)
        );
        for r in self.rows() {
            s.push_str(&format!("  {}\n", r.join(" | ")));
        }
        for r in self.queue_rows() {
            s.push_str(&format!("{}: {}\n", r[0], r[1]));
        }
        s
    }
}

impl MonthlyReport {
    /// The long-form rows: section, service, measure, value.
    pub fn rows(&self) -> Vec<Vec<String>> {
        let l = self.lang;
        let mut rows = Vec::new();
        let sec = l.pick("layanan", "services");
        for s in &self.services {
            let mut push = |m: &str, v: String| {
                rows.push(vec![sec.to_string(), s.code.clone(), m.to_string(), v]);
            };
            push("limit", s.limit.clone());
            push("opened", s.opened.to_string());
            push("returned", s.returned.to_string());
            push("refused", s.refused.to_string());
            push("completed", s.completed.to_string());
            push("median_minutes", mins(s.median));
            push("p90_minutes", mins(s.p90));
            push("breached_completed", s.breached_completed.to_string());
            push("breached_open", s.breached_open.to_string());
            push("extended", s.extended.to_string());
        }
        let sec = l.pick("pengaduan", "complaints");
        rows.push(vec![
            sec.into(),
            String::new(),
            "received".into(),
            self.complaints_received.to_string(),
        ]);
        rows.push(vec![
            sec.into(),
            String::new(),
            "resolved".into(),
            self.complaints_resolved.to_string(),
        ]);
        rows.push(vec![
            sec.into(),
            String::new(),
            "median_resolve_minutes".into(),
            mins(self.complaints_median_resolve),
        ]);
        let sec = "skm";
        match &self.skm {
            None => rows.push(vec![
                sec.into(),
                String::new(),
                "respondents".into(),
                "0".into(),
            ]),
            Some(r) => {
                rows.push(vec![
                    sec.into(),
                    String::new(),
                    "respondents".into(),
                    r.respondents.to_string(),
                ]);
                rows.push(vec![
                    sec.into(),
                    String::new(),
                    "index".into(),
                    format!("{:.4}", r.index),
                ]);
                rows.push(vec![
                    sec.into(),
                    String::new(),
                    "unit_score".into(),
                    format!("{:.2}", r.unit_score),
                ]);
                rows.push(vec![
                    sec.into(),
                    String::new(),
                    "grade".into(),
                    r.grade.letter().into(),
                ]);
            }
        }
        rows
    }

    /// CSV in long form: `bagian,layanan,ukuran,nilai` (section, service, measure, value);
    /// durations in whole minutes.
    pub fn to_csv(&self) -> Result<String> {
        let l = self.lang;
        let mut rows = vec![vec![
            l.pick("bagian", "section").to_string(),
            l.pick("layanan", "service").to_string(),
            l.pick("ukuran", "measure").to_string(),
            l.pick("nilai", "value").to_string(),
        ]];
        rows.extend(self.rows());
        csv_out(rows)
    }

    fn month_name(&self) -> String {
        let m = usize::from(self.month.clamp(1, 12)) - 1;
        match self.lang {
            Lang::Id => format!("{} {}", MONTHS_ID[m], self.year),
            Lang::En => format!("{} {}", MONTHS_EN[m], self.year),
        }
    }

    fn service_table(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let l = self.lang;
        let head = vec![
            l.pick("Layanan", "Service"),
            l.pick("Jangka waktu", "Time limit"),
            l.pick("Permohonan", "Opened"),
            l.pick("Dikembalikan", "Returned"),
            l.pick("Ditolak", "Refused"),
            l.pick("Selesai", "Completed"),
            l.pick("Median", "Median"),
            l.pick("Persentil 90", "90th pct."),
            l.pick("Melewati batas", "Breached"),
            l.pick("Diperpanjang", "Extended"),
        ];
        let rows = self
            .services
            .iter()
            .map(|s| {
                vec![
                    s.name.clone(),
                    s.limit.clone(),
                    s.opened.to_string(),
                    s.returned.to_string(),
                    s.refused.to_string(),
                    s.completed.to_string(),
                    dur(s.median, l),
                    dur(s.p90, l),
                    (s.breached_completed + s.breached_open).to_string(),
                    s.extended.to_string(),
                ]
            })
            .collect();
        (head, rows)
    }

    fn other_rows(&self) -> Vec<Vec<String>> {
        let l = self.lang;
        let mut rows = vec![
            vec![
                l.pick("Pengaduan diterima", "Complaints received").into(),
                self.complaints_received.to_string(),
            ],
            vec![
                l.pick("Pengaduan diselesaikan", "Complaints resolved")
                    .into(),
                self.complaints_resolved.to_string(),
            ],
            vec![
                l.pick(
                    "Median waktu penyelesaian pengaduan",
                    "Median time to resolve",
                )
                .into(),
                dur(self.complaints_median_resolve, l),
            ],
        ];
        match &self.skm {
            None => rows.push(vec![
                l.pick("Responden SKM", "SKM respondents").into(),
                "0".into(),
            ]),
            Some(r) => {
                rows.push(vec![
                    l.pick("Responden SKM", "SKM respondents").into(),
                    r.respondents.to_string(),
                ]);
                rows.push(vec![
                    l.pick("Nilai SKM", "SKM unit score").into(),
                    format!(
                        "{:.2} ({}, {})",
                        r.unit_score,
                        r.grade.letter(),
                        r.grade.label(l)
                    ),
                ]);
            }
        }
        rows
    }

    /// A printable A4 page.
    pub fn to_html(&self, office: &crate::OfficeConfig) -> String {
        let l = self.lang;
        let title = l.pick(
            "Laporan Kinerja Pelayanan Bulanan",
            "Monthly Service Performance Report",
        );
        let meta = format!("{}: {}", l.pick("Bulan", "Month"), esc(&self.month_name()));
        let (head, rows) = self.service_table();
        let mut body = format!("<h2>{}</h2>", l.pick("Pelayanan", "Services"));
        body.push_str(&table(&head, &rows, 2));
        body.push_str(&format!(
            "<p>{}</p>",
            l.pick(
                "Waktu penyelesaian: dari berkas diterima sampai langkah yang memenuhi jangka waktu. Median dan persentil ke-90 dengan metode peringkat terdekat.",
                "Completion time: from file acceptance to the step that meets the limit. Median and 90th percentile by nearest rank."
            )
        ));
        body.push_str(&format!(
            "<h2>{}</h2>",
            l.pick("Pengaduan dan SKM", "Complaints and survey")
        ));
        body.push_str(&table(
            &[l.pick("Ukuran", "Measure"), l.pick("Nilai", "Value")],
            &self.other_rows(),
            1,
        ));
        page(title, office, &meta, &body, l)
    }

    /// Plain text for the terminal.
    pub fn to_text(&self) -> String {
        let (head, rows) = self.service_table();
        let mut s = format!("{}\n{}\n", self.month_name(), head.join(" | "));
        for r in rows {
            s.push_str(&format!("  {}\n", r.join(" | ")));
        }
        for r in self.other_rows() {
            s.push_str(&format!("{}: {}\n", r[0], r[1]));
        }
        s
    }
}

/// The quarterly complaint recap as a printable page (003 11.8).
pub fn recap_html(r: &QuarterRecap, office: &crate::OfficeConfig, lang: Lang) -> String {
    let l = lang;
    let title = l.pick(
        "Rekapitulasi Pengaduan Triwulanan",
        "Quarterly Complaint Recap",
    );
    let meta = format!("{} {} {}", l.pick("Triwulan", "Quarter"), r.quarter, r.year);
    let rows: Vec<Vec<String>> = recap_rows(r, l);
    let mut body = table(
        &[
            l.pick("Nomor", "No."),
            l.pick("Tanggal", "Date"),
            l.pick("Sarana", "Channel"),
            l.pick("Hal yang dikeluhkan", "What fell short"),
            l.pick("Tindak lanjut", "Follow-up"),
            l.pick("Status", "Status"),
        ],
        &rows,
        99,
    );
    body.push_str(&format!(
        "<p>{}: {} &middot; {}: {} &middot; {}: {}</p>",
        l.pick("Diterima", "Received"),
        r.complaints.len(),
        l.pick("Selesai", "Closed"),
        r.closed,
        l.pick("Median waktu penyelesaian", "Median time to resolve"),
        esc(&dur(r.median_resolve, l))
    ));
    page(title, office, &esc(&meta), &body, l)
}

fn recap_rows(r: &QuarterRecap, l: Lang) -> Vec<Vec<String>> {
    r.complaints
        .iter()
        .map(|c| {
            vec![
                c.id.clone(),
                fmt_date(c.received_at.date(), l),
                c.channel.label(l).to_string(),
                c.shortfall.clone(),
                c.follow_ups
                    .last()
                    .map(|f| f.text.clone())
                    .unwrap_or_default(),
                c.status.label(l).to_string(),
            ]
        })
        .collect()
}

/// The quarterly recap as CSV (no names: the recap is posted publicly, 003 11.9).
pub fn recap_csv(r: &QuarterRecap, lang: Lang) -> Result<String> {
    let l = lang;
    let mut rows = vec![vec![
        l.pick("nomor", "id").to_string(),
        l.pick("tanggal", "date").to_string(),
        l.pick("sarana", "channel").to_string(),
        l.pick("hal_dikeluhkan", "shortfall").to_string(),
        l.pick("tindak_lanjut", "follow_up").to_string(),
        l.pick("status", "status").to_string(),
    ]];
    rows.extend(recap_rows(r, l));
    csv_out(rows)
}

/// The SKM semester report as a printable page.
pub fn semester_html(r: &SemesterReport, office: &crate::OfficeConfig, lang: Lang) -> String {
    let l = lang;
    let title = l.pick(
        "Laporan Survei Kepuasan Masyarakat",
        "Community Satisfaction Survey Report",
    );
    let meta = format!("Semester {} {}", r.semester, r.year);
    let mut body = String::new();
    match &r.result {
        None => body.push_str(&format!(
            "<p>{}</p>",
            l.pick("Belum ada responden.", "No respondents yet.")
        )),
        Some(x) => {
            let rows: Vec<Vec<String>> = crate::skm::ELEMENTS
                .iter()
                .enumerate()
                .map(|(i, (id, en))| {
                    vec![
                        format!("U{}", i + 1),
                        l.pick(id, en).to_string(),
                        format!("{:.2}", x.nrr[i]),
                        format!("{:.3}", x.weighted[i]),
                    ]
                })
                .collect();
            body.push_str(&table(
                &[
                    l.pick("Unsur", "Element"),
                    l.pick("Uraian", "Description"),
                    "NRR",
                    l.pick("NRR tertimbang", "Weighted NRR"),
                ],
                &rows,
                2,
            ));
            body.push_str(&table(
                &[l.pick("Ukuran", "Measure"), l.pick("Nilai", "Value")],
                &semester_rows(r, l),
                1,
            ));
        }
    }
    page(title, office, &esc(&meta), &body, l)
}

fn semester_rows(r: &SemesterReport, l: Lang) -> Vec<Vec<String>> {
    let mut rows = vec![
        vec![
            l.pick("Jumlah dilayani (populasi)", "Served (population)")
                .into(),
            r.served.to_string(),
        ],
        vec![
            l.pick(
                "Sampel minimal (Krejcie & Morgan)",
                "Minimum sample (Krejcie & Morgan)",
            )
            .into(),
            r.min_sample.to_string(),
        ],
    ];
    if let Some(x) = &r.result {
        rows.push(vec![
            l.pick("Responden", "Respondents").into(),
            x.respondents.to_string(),
        ]);
        rows.push(vec![
            l.pick("Indeks", "Index").into(),
            format!("{:.4}", x.index),
        ]);
        rows.push(vec![
            l.pick("Nilai SKM (indeks x 25)", "Unit score (index x 25)")
                .into(),
            format!("{:.2}", x.unit_score),
        ]);
        rows.push(vec![
            l.pick("Mutu pelayanan", "Grade").into(),
            format!("{} ({})", x.grade.letter(), x.grade.label(l)),
        ]);
    }
    rows.push(vec![
        l.pick("Sampel mencukupi", "Sample sufficient").into(),
        if r.sample_sufficient() {
            l.pick("ya", "yes")
        } else {
            l.pick("tidak", "no")
        }
        .into(),
    ]);
    rows
}

/// The SKM semester report as plain text.
pub fn semester_text(r: &SemesterReport, lang: Lang) -> String {
    let mut s = format!("SKM semester {} {}\n", r.semester, r.year);
    if let Some(x) = &r.result {
        for (i, (id, en)) in crate::skm::ELEMENTS.iter().enumerate() {
            s.push_str(&format!(
                "  U{} {}: NRR {:.2}\n",
                i + 1,
                lang.pick(id, en),
                x.nrr[i]
            ));
        }
    }
    for row in semester_rows(r, lang) {
        s.push_str(&format!("{}: {}\n", row[0], row[1]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::Action;
    use crate::testutil::*;

    #[test]
    fn dates_in_both_languages() {
        assert_eq!(
            fmt_date(time::macros::date!(2026 - 08 - 17), Lang::Id),
            "17 Agustus 2026"
        );
        assert_eq!(
            fmt_date(time::macros::date!(2026 - 08 - 17), Lang::En),
            "17 August 2026"
        );
        assert_eq!(esc("<a&\"b'>"), "&lt;a&amp;&quot;b&#39;&gt;");
    }

    /// Five Kedopok recordings completed in 12, 18, 25, 31 and 45 minutes against the 30-minute
    /// limit, one still open past its deadline, one returned and one refused.
    #[test]
    fn monthly_report_numbers_by_hand() {
        let (svc, clock, _dir) = service(KEDOPOK);
        let camat = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        let kasi = svc.authenticate("kasi", PW).unwrap();
        let op = svc.authenticate("operator", PW).unwrap();
        let mut n = 0;
        let mut next_applicant = || {
            n += 1;
            let mut a = adult();
            a.nik = crate::nik::Nik::parse(&format!("35740101019{n:05}")).unwrap();
            a
        };
        for minutes in [25, 12, 45, 18, 31] {
            let app = open(&svc, &loket, "perekaman", next_applicant());
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
            clock.advance(Duration::minutes(minutes));
            svc.apply(&op, &app.id, Action::Register).unwrap();
            clock.advance(Duration::minutes(1));
        }
        // One accepted and left unfinished: its deadline passes.
        let open_app = open(&svc, &loket, "perekaman", next_applicant());
        svc.apply(
            &loket,
            &open_app.id,
            Action::CheckFile {
                ticked: vec!["kk_copy".into()],
            },
        )
        .unwrap();
        // One returned, one refused (aged 15).
        let r = open(&svc, &loket, "perekaman", next_applicant());
        svc.apply(&loket, &r.id, Action::CheckFile { ticked: vec![] })
            .unwrap();
        let mut young = next_applicant();
        young.birth_date = time::macros::date!(2011 - 01 - 01);
        let y = open(&svc, &loket, "perekaman", young);
        svc.apply(
            &loket,
            &y.id,
            Action::CheckFile {
                ticked: vec!["kk_copy".into()],
            },
        )
        .unwrap();
        clock.advance(Duration::hours(2));

        let m = svc.monthly_report(&camat, 2026, 3, Lang::Id).unwrap();
        let s = &m.services[0];
        // Sorted: 12 18 25 31 45. Median: rank ⌈0.5×5⌉ = 3 → 25. P90: rank ⌈0.9×5⌉ = 5 → 45.
        assert_eq!(s.opened, 8);
        assert_eq!(s.completed, 5);
        assert_eq!(s.median, Some(Duration::minutes(25)));
        assert_eq!(s.p90, Some(Duration::minutes(45)));
        // 31 and 45 are over 30 minutes; the open one is past its deadline.
        assert_eq!(s.breached_completed, 2);
        assert_eq!(s.breached_open, 1);
        assert_eq!(s.returned, 1);
        assert_eq!(s.refused, 1);
        let csv = m.to_csv().unwrap();
        assert!(csv.starts_with("bagian,layanan,ukuran,nilai\n"), "{csv}");
        assert!(
            csv.contains("layanan,perekaman,median_minutes,25\n"),
            "{csv}"
        );
        assert!(csv.contains("layanan,perekaman,p90_minutes,45\n"), "{csv}");
        assert!(
            csv.contains("layanan,perekaman,breached_completed,2\n"),
            "{csv}"
        );
        let html = m.to_html(svc.office());
        assert!(html.contains("Laporan Kinerja Pelayanan Bulanan"));
        assert!(html.contains("Maret 2026"));
        assert!(html.contains("@page{size:A4"));
        assert!(html.contains("Camat Kedopok"));
        assert!(!html.contains("<script"));
        // Operators do not see the monthly report.
        assert!(svc.monthly_report(&op, 2026, 3, Lang::Id).is_err());
    }

    #[test]
    fn daily_register_lists_entries_and_queue() {
        let (svc, clock, _dir) = service(KEDOPOK);
        let _ = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        let kasi = svc.authenticate("kasi", PW).unwrap();
        let op = svc.authenticate("operator", PW).unwrap();
        svc.take_ticket("perekaman").unwrap();
        svc.take_ticket("perekaman").unwrap();
        clock.advance(Duration::minutes(4));
        let t = svc.call_next(&loket, "1", None).unwrap();
        clock.advance(Duration::minutes(6));
        svc.call_next(&loket, "1", None).unwrap();
        svc.no_show(&loket, "A002").unwrap();
        let app = svc
            .open_application(
                &loket,
                crate::application::NewApplication {
                    service: "perekaman".into(),
                    ticket: Some(t.number.clone()),
                    applicant: adult(),
                    submitted_by: crate::config::Party::Person,
                    representative: None,
                },
            )
            .unwrap();
        assert_eq!(svc.ticket("A001").unwrap().status, TicketStatus::Served);
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
        svc.apply(&op, &app.id, Action::Register).unwrap();
        let d = svc.daily_register(&op, svc.today(), Lang::Id).unwrap();
        assert_eq!(d.lines.len(), 1);
        assert_eq!(d.lines[0].number, "0001/KDP/03/2026");
        assert_eq!(d.lines[0].time, "08:10");
        assert_eq!((d.tickets, d.called, d.no_show), (2, 2, 1));
        // Waits 4 and 10 minutes: median rank ⌈1⌉ = 1 → 4; P90 rank ⌈1.8⌉ = 2 → 10.
        assert_eq!(d.median_wait, Some(Duration::minutes(4)));
        assert_eq!(d.p90_wait, Some(Duration::minutes(10)));
        let csv = d.to_csv().unwrap();
        assert!(csv
            .starts_with("Nomor register,Jam,Nomor permohonan,Nama,NIK,Layanan,Petugas,Status\n"));
        assert!(csv.contains("0001/KDP/03/2026,08:10,PM-20260302-0001,Siti Aminah,3574015203990001,Perekaman KTP-el,operator,teregister"), "{csv}");
        let html = d.to_html(svc.office());
        assert!(html.contains("Buku Register Pelayanan KTP-el"));
        assert!(html.contains("2 Maret 2026"));
        assert!(svc.daily_register(&loket, svc.today(), Lang::Id).is_err());
    }
}
