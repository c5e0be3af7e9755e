//! Queue tickets (002 step 1: "Pengambilan nomor antrian"): a number per service with the
//! service's prefix, reset every day; called to a counter, recalled, or marked no-show. The
//! waiting time is from taking the ticket to the first call.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::error::{Error, Result};
use crate::store::{self, encode, Tr};
use crate::{Actor, Role, Service};

/// Where a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Waiting to be called.
    Waiting,
    /// Called to a counter.
    Called,
    /// An application was opened for it.
    Served,
    /// Called but nobody came.
    NoShow,
}

impl TicketStatus {
    /// The clerk's word.
    pub fn label(self, lang: crate::Lang) -> &'static str {
        match self {
            TicketStatus::Waiting => lang.pick("menunggu", "waiting"),
            TicketStatus::Called => lang.pick("dipanggil", "called"),
            TicketStatus::Served => lang.pick("dilayani", "served"),
            TicketStatus::NoShow => lang.pick("tidak hadir", "no-show"),
        }
    }
}

/// A queue ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Storage key: the day and the order of issue, `YYYYMMDD-NNNN`.
    pub key: String,
    /// The office date.
    pub date: Date,
    /// What is printed and called: prefix and number, e.g. `A007`.
    pub number: String,
    /// The service's code.
    pub service: String,
    /// When taken.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// First call.
    #[serde(with = "time::serde::rfc3339::option")]
    pub called_at: Option<OffsetDateTime>,
    /// The counter it was called to.
    pub counter: Option<String>,
    /// The account that called it.
    pub called_by: Option<String>,
    /// How many times it was called again.
    pub recalls: u32,
    /// Where it is.
    pub status: TicketStatus,
    /// The application opened for it.
    pub application: Option<String>,
}

impl Ticket {
    /// From taking the ticket to the first call.
    pub fn waiting_time(&self) -> Option<Duration> {
        self.called_at.map(|c| c - self.issued_at)
    }
}

pub(crate) fn day_key(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month() as u8, d.day())
}

fn no_ticket(number: &str) -> Error {
    Error::not_found(
        format!("Tidak ada nomor antrian {number} hari ini."),
        format!("There is no ticket {number} today."),
    )
}

impl Service {
    /// Takes a ticket for a service (the queue machine; no login).
    pub fn take_ticket(&self, service: &str) -> Result<Ticket> {
        let def = self.office.service(service)?;
        let now = self.now();
        let day = day_key(now.date());
        let prefix = def.ticket_prefix.clone();
        let ticket = self.step(|tx| {
            let order = tx.next_counter(&format!("ticket/{day}"))?;
            let seq = tx.next_counter(&format!("ticket/{day}/{prefix}"))?;
            let t = Ticket {
                key: format!("{day}-{order:04}"),
                date: now.date(),
                number: format!("{prefix}{seq:03}"),
                service: def.code.clone(),
                issued_at: now,
                called_at: None,
                counter: None,
                called_by: None,
                recalls: 0,
                status: TicketStatus::Waiting,
                application: None,
            };
            tx.put(Tr::Tickets, &t.key, &t)?;
            let e = store::AuditEntry {
                at: now,
                account: "queue-machine".into(),
                role: None,
                action: "ticket_take".into(),
                subject: t.number.clone(),
                detail: def.code.clone(),
            };
            tx.audit(&e)?;
            Ok(t)
        })?;
        tracing::info!(ticket = %ticket.number, service, "ticket taken");
        Ok(ticket)
    }

    /// Today's tickets in the order they were taken.
    pub fn tickets_on(&self, date: Date) -> Result<Vec<Ticket>> {
        store::scan(&self.trees.tickets, &format!("{}-", day_key(date)))
    }

    /// Today's ticket with this number (e.g. `A007`).
    pub fn ticket(&self, number: &str) -> Result<Ticket> {
        let number = number.trim().to_ascii_uppercase();
        self.tickets_on(self.today())?
            .into_iter()
            .find(|t| t.number == number)
            .ok_or_else(|| no_ticket(&number))
    }

    /// Stores `new` in place of `old` with its audit entry, in one step; `false` (nothing
    /// written) when the stored ticket is no longer `old`.
    fn update_ticket(
        &self,
        old: &Ticket,
        new: &Ticket,
        audit: (&Actor, Role, &str, &str),
    ) -> Result<bool> {
        let (by, role, action, detail) = audit;
        self.step(|tx| {
            if tx.get_raw(Tr::Tickets, old.key.as_bytes())? != Some(encode(old)?) {
                return Ok(false);
            }
            tx.put(Tr::Tickets, &new.key, new)?;
            self.audit_plain(tx, by.username(), Some(role), action, &new.number, detail)?;
            Ok(true)
        })
    }

    /// Calls the longest-waiting ticket (of one service, or of any) to `counter`.
    pub fn call_next(&self, by: &Actor, counter: &str, service: Option<&str>) -> Result<Ticket> {
        let role = by.require(&[Role::FrontOffice], "memanggil antrian", "call tickets")?;
        if let Some(s) = service {
            self.office.service(s)?;
        }
        if counter.trim().is_empty() {
            return Err(Error::invalid(
                "Nama loket kosong.",
                "The counter is empty.",
            ));
        }
        for _ in 0..16 {
            let next = self.tickets_on(self.today())?.into_iter().find(|t| {
                t.status == TicketStatus::Waiting && service.is_none_or(|s| t.service == s)
            });
            let Some(old) = next else {
                return Err(Error::not_found(
                    "Tidak ada antrian yang menunggu.",
                    "No ticket is waiting.",
                ));
            };
            let mut t = old.clone();
            t.status = TicketStatus::Called;
            t.called_at = Some(self.now());
            t.counter = Some(counter.trim().to_string());
            t.called_by = Some(by.username().to_string());
            if self.update_ticket(&old, &t, (by, role, "ticket_call", counter))? {
                return Ok(t);
            }
        }
        Err(Error::conflict(
            "Antrian sedang dipanggil dari loket lain; coba lagi.",
            "Another counter is calling at the same moment; try again.",
        ))
    }

    /// Calls a ticket again (the holder did not come up yet).
    pub fn recall(&self, by: &Actor, number: &str) -> Result<Ticket> {
        let role = by.require(&[Role::FrontOffice], "memanggil antrian", "call tickets")?;
        let old = self.ticket(number)?;
        if old.status != TicketStatus::Called && old.status != TicketStatus::NoShow {
            return Err(Error::conflict(
                format!(
                    "Nomor {} belum dipanggil atau sudah dilayani; panggil ulang hanya untuk nomor yang sudah dipanggil.",
                    old.number
                ),
                format!(
                    "Ticket {} has not been called or is served already; only a called ticket can be recalled.",
                    old.number
                ),
            ));
        }
        let mut t = old.clone();
        t.recalls += 1;
        t.status = TicketStatus::Called;
        if !self.update_ticket(&old, &t, (by, role, "ticket_recall", ""))? {
            return Err(Error::conflict("Coba lagi.", "Try again."));
        }
        Ok(t)
    }

    /// Marks a called ticket as not present.
    pub fn no_show(&self, by: &Actor, number: &str) -> Result<Ticket> {
        let role = by.require(&[Role::FrontOffice], "memanggil antrian", "call tickets")?;
        let old = self.ticket(number)?;
        if old.status != TicketStatus::Called {
            return Err(Error::conflict(
                format!("Nomor {} belum dipanggil.", old.number),
                format!("Ticket {} has not been called.", old.number),
            ));
        }
        let mut t = old.clone();
        t.status = TicketStatus::NoShow;
        if !self.update_ticket(&old, &t, (by, role, "ticket_no_show", ""))? {
            return Err(Error::conflict("Coba lagi.", "Try again."));
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn numbers_per_prefix_reset_daily() {
        let (svc, clock, _dir) = service(LUMAJANG);
        assert_eq!(svc.take_ticket("new_card").unwrap().number, "A001");
        assert_eq!(svc.take_ticket("lost").unwrap().number, "C001");
        assert_eq!(svc.take_ticket("new_card").unwrap().number, "A002");
        clock.advance(Duration::days(1));
        assert_eq!(svc.take_ticket("new_card").unwrap().number, "A001");
        assert_eq!(
            svc.take_ticket("passport").unwrap_err().kind(),
            crate::ErrorKind::NotFound
        );
    }

    #[test]
    fn call_next_in_order_measures_waiting_time() {
        let (svc, clock, _dir) = service(LUMAJANG);
        let _ = staff(&svc);
        let loket = svc.authenticate("loket", PW).unwrap();
        svc.take_ticket("new_card").unwrap();
        clock.advance(Duration::minutes(2));
        svc.take_ticket("lost").unwrap();
        clock.advance(Duration::minutes(5));
        let t = svc.call_next(&loket, "Loket 1", None).unwrap();
        assert_eq!(t.number, "A001");
        assert_eq!(t.waiting_time(), Some(Duration::minutes(7)));
        assert_eq!(t.counter.as_deref(), Some("Loket 1"));
        // Only lost-card tickets at counter 2.
        let t = svc.call_next(&loket, "Loket 2", Some("lost")).unwrap();
        assert_eq!(t.number, "C001");
        assert_eq!(t.waiting_time(), Some(Duration::minutes(5)));
        assert_eq!(
            svc.call_next(&loket, "Loket 1", None).unwrap_err().kind(),
            crate::ErrorKind::NotFound
        );
        // Recall, then no-show.
        let t = svc.recall(&loket, "a001").unwrap();
        assert_eq!(t.recalls, 1);
        let t = svc.no_show(&loket, "A001").unwrap();
        assert_eq!(t.status, TicketStatus::NoShow);
        assert!(svc.no_show(&loket, "A001").is_err());
        // An operator does not call tickets.
        let op = svc.authenticate("operator", PW).unwrap();
        svc.take_ticket("new_card").unwrap();
        assert_eq!(
            svc.call_next(&op, "Loket 1", None).unwrap_err().kind(),
            crate::ErrorKind::NotPermitted
        );
    }
}
