//! Staff accounts: roles, argon2id password hashes, lockout after repeated failures, and the
//! [`Actor`] every action takes.

use std::fmt;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::store::{self, decode, Tr};
use crate::{Lang, Service};

/// A staff role. An account holds one or more; each step of the flow names the roles that may
/// do it (see [`crate::application::Action::allowed_roles`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Petugas loket: tickets, file checks, handover, complaint intake.
    FrontOffice,
    /// Operator perekaman: biometric recording and the register entry.
    Operator,
    /// Kasi Pelayanan (head of service): verification, approval, complaint follow-up.
    Supervisor,
    /// Operator pencetakan: printing or sending for printing.
    PrintingOperator,
    /// Camat / head of office: reports, recaps, accounts.
    HeadOfOffice,
    /// Technician: accounts and the station, no step of an application.
    Technician,
}

impl Role {
    /// All roles.
    pub const ALL: [Role; 6] = [
        Role::FrontOffice,
        Role::Operator,
        Role::Supervisor,
        Role::PrintingOperator,
        Role::HeadOfOffice,
        Role::Technician,
    ];

    /// Parses the configuration word (`front_office`, `operator`, …).
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The configuration word.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::FrontOffice => "front_office",
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
            Role::PrintingOperator => "printing_operator",
            Role::HeadOfOffice => "head_of_office",
            Role::Technician => "technician",
        }
    }

    /// The title a clerk reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Role::FrontOffice => lang.pick("petugas loket", "front office"),
            Role::Operator => lang.pick("operator perekaman", "recording operator"),
            Role::Supervisor => lang.pick("kasi pelayanan", "head of service"),
            Role::PrintingOperator => lang.pick("operator pencetakan", "printing operator"),
            Role::HeadOfOffice => lang.pick("kepala kantor", "head of office"),
            Role::Technician => lang.pick("teknisi", "technician"),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    /// Login name.
    pub username: String,
    /// The staff member's name as printed on slips and reports.
    pub display_name: String,
    /// Roles held.
    pub roles: Vec<Role>,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
    /// Consecutive failed logins.
    pub failures: u32,
    /// Locked until this instant after too many failures.
    #[serde(with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
    /// Disabled by an administrator.
    pub disabled: bool,
    /// When created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who created it (`bootstrap` for the first account).
    pub created_by: String,
}

/// A logged-in staff member: what [`Service::authenticate`] returns and every action takes.
#[derive(Clone, PartialEq, Eq)]
pub struct Actor {
    username: String,
    display_name: String,
    roles: Vec<Role>,
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Actor")
            .field("username", &self.username)
            .field("roles", &self.roles)
            .finish()
    }
}

impl Actor {
    /// Login name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The staff member's name.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// Roles held.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// Whether the actor holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The first of `allowed` the actor holds, or a refusal naming the step and who may do it.
    pub fn require(&self, allowed: &[Role], step_id: &str, step_en: &str) -> Result<Role> {
        allowed
            .iter()
            .copied()
            .find(|r| self.has(*r))
            .ok_or_else(|| {
                let who_id: Vec<&str> = allowed.iter().map(|r| r.label(Lang::Id)).collect();
                let who_en: Vec<&str> = allowed.iter().map(|r| r.label(Lang::En)).collect();
                Error::not_permitted(
                    format!(
                        "Akun {} tidak boleh {step_id}; langkah ini untuk {}.",
                        self.username,
                        who_id.join(" atau ")
                    ),
                    format!(
                        "Account {} may not {step_en}; this step is for the {}.",
                        self.username,
                        who_en.join(" or ")
                    ),
                )
            })
    }
}

const ADMIN_ROLES: [Role; 2] = [Role::HeadOfOffice, Role::Technician];

fn check_username(u: &str) -> Result<()> {
    let ok = (2..=32).contains(&u.len())
        && u.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_' || b == b'-'
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "Nama akun harus 2-32 huruf kecil, angka, '.', '_' atau '-'.",
            "A user name is 2 to 32 lower-case letters, digits, '.', '_' or '-'.",
        ))
    }
}

fn check_password(p: &str) -> Result<()> {
    if p.chars().count() >= 8 {
        Ok(())
    } else {
        Err(Error::invalid(
            "Kata sandi minimal 8 karakter.",
            "A password has at least 8 characters.",
        ))
    }
}

fn no_account(username: &str) -> Error {
    Error::not_found(
        format!("Tidak ada akun {username}."),
        format!("There is no account {username}."),
    )
}

fn accounts_exist() -> Error {
    Error::not_permitted(
        "Stasiun ini sudah pernah punya akun; masuk sebagai kepala kantor atau teknisi untuk membuat akun.",
        "This station has had accounts already; log in as head of office or technician to create one.",
    )
}

fn wrong_login() -> Error {
    Error::not_permitted(
        "Nama akun atau kata sandi salah.",
        "Wrong user name or password.",
    )
}

impl Service {
    fn hash_password(&self, password: &str) -> Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        let a = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            self.options.password_params.clone(),
        );
        a.hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Storage(format!("cannot hash a password: {e}")))
    }

    fn load_account(&self, username: &str) -> Result<Option<Account>> {
        store::get(&self.trees.accounts, username)
    }

    /// Whether the station has ever had an account (the first one may be created without
    /// logging in): an account in the index, or the journalled mark the first account left,
    /// or a journal with damaged lines (which might have held accounts).
    pub fn has_accounts(&self) -> Result<bool> {
        Ok(!self.trees.accounts.is_empty()
            || self.trees.meta.contains_key(store::HAD_ACCOUNTS)?
            || !self.recovered().damaged_lines.is_empty())
    }

    /// Creates an account. The first account of a station is created with `by = None` and must
    /// hold the head-of-office or technician role; later ones need such an actor.
    pub fn create_account(
        &self,
        by: Option<&Actor>,
        username: &str,
        display_name: &str,
        roles: &[Role],
        password: &str,
    ) -> Result<Account> {
        let created_by = match by {
            Some(a) => {
                a.require(&ADMIN_ROLES, "membuat akun", "create accounts")?;
                a.username.clone()
            }
            None => {
                if self.has_accounts()? {
                    return Err(accounts_exist());
                }
                if !roles.iter().any(|r| ADMIN_ROLES.contains(r)) {
                    return Err(Error::invalid(
                        "Akun pertama harus berperan kepala kantor atau teknisi.",
                        "The first account must hold the head-of-office or technician role.",
                    ));
                }
                "bootstrap".to_string()
            }
        };
        check_username(username)?;
        check_password(password)?;
        if display_name.trim().is_empty() {
            return Err(Error::invalid(
                "Nama petugas kosong.",
                "The staff member's name is empty.",
            ));
        }
        if roles.is_empty() {
            return Err(Error::invalid(
                "Akun harus punya paling sedikit satu peran.",
                "An account needs at least one role.",
            ));
        }
        let mut rs = roles.to_vec();
        rs.sort();
        rs.dedup();
        let acc = Account {
            username: username.to_string(),
            display_name: display_name.trim().to_string(),
            roles: rs,
            password_hash: self.hash_password(password)?,
            failures: 0,
            locked_until: None,
            disabled: false,
            created_at: self.now(),
            created_by: created_by.clone(),
        };
        let roles_s: Vec<&str> = acc.roles.iter().map(|r| r.as_str()).collect();
        self.step(|tx| {
            // Checked again under the step's lock: two first accounts cannot both pass.
            if by.is_none() && self.has_accounts()? {
                return Err(accounts_exist());
            }
            if tx.get::<Account>(Tr::Accounts, username)?.is_some() {
                return Err(Error::conflict(
                    format!("Akun {username} sudah ada."),
                    format!("Account {username} exists already."),
                ));
            }
            tx.put(Tr::Accounts, username, &acc)?;
            tx.put(Tr::Meta, store::HAD_ACCOUNTS, &true)?;
            self.audit_plain(
                tx,
                &created_by,
                by.and_then(|a| ADMIN_ROLES.iter().copied().find(|r| a.has(*r))),
                "account_create",
                username,
                &roles_s.join(","),
            )
        })?;
        tracing::info!(account = username, "account created");
        Ok(acc)
    }

    /// Checks a password and returns the actor. After `accounts.max_failures` wrong passwords
    /// in a row the account is locked for `accounts.lockout_minutes`.
    pub fn authenticate(&self, username: &str, password: &str) -> Result<Actor> {
        let now = self.now();
        let Some(acc) = self.load_account(username)? else {
            return Err(wrong_login());
        };
        if acc.disabled {
            return Err(Error::not_permitted(
                format!("Akun {username} dinonaktifkan; hubungi kepala kantor."),
                format!("Account {username} is disabled; ask the head of office."),
            ));
        }
        if let Some(until) = acc.locked_until {
            if until > now {
                let t = crate::datefmt::fmt_time(self.local(until));
                return Err(Error::not_permitted(
                    format!(
                        "Akun {username} dikunci sampai {t} {} karena kata sandi salah berulang kali; \
                         tunggu atau minta kepala kantor membukanya.",
                        self.office.calendar.zone
                    ),
                    format!(
                        "Account {username} is locked until {t} {} after repeated wrong passwords; \
                         wait or ask the head of office to unlock it.",
                        self.office.calendar.zone
                    ),
                ));
            }
        }
        let ok = PasswordHash::new(&acc.password_hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        if ok {
            return self.step(|tx| {
                let mut acc = tx.get::<Account>(Tr::Accounts, username)?.unwrap_or(acc);
                if acc.failures != 0 || acc.locked_until.is_some() {
                    acc.failures = 0;
                    acc.locked_until = None;
                    tx.put(Tr::Accounts, username, &acc)?;
                }
                self.audit_plain(tx, username, None, "login", username, "")?;
                Ok(Actor {
                    username: acc.username,
                    display_name: acc.display_name,
                    roles: acc.roles,
                })
            });
        }
        let max = self.office.accounts.max_failures;
        let err = self.step(|tx| {
            // Counted on the stored account, under the step's lock.
            let mut acc = tx.get::<Account>(Tr::Accounts, username)?.unwrap_or(acc);
            acc.failures += 1;
            let err = if acc.failures >= max {
                acc.failures = 0;
                acc.locked_until = Some(now + self.office.accounts.lockout);
                tracing::warn!(account = username, "account locked after repeated failures");
                self.audit_plain(tx, username, None, "lockout", username, "")?;
                let mins = self.office.accounts.lockout.whole_minutes();
                Error::not_permitted(
                    format!("Kata sandi salah {max} kali; akun {username} dikunci {mins} menit."),
                    format!(
                        "{max} wrong passwords; account {username} is locked for {mins} minutes."
                    ),
                )
            } else {
                wrong_login()
            };
            tx.put(Tr::Accounts, username, &acc)?;
            Ok(err)
        })?;
        Err(err)
    }

    /// Changes a password: one's own, or anyone's by the head of office or a technician.
    pub fn set_password(&self, by: &Actor, username: &str, new_password: &str) -> Result<()> {
        if by.username != username {
            by.require(
                &ADMIN_ROLES,
                "mengganti kata sandi akun lain",
                "change another account's password",
            )?;
        }
        check_password(new_password)?;
        self.account(username)?;
        let hash = self.hash_password(new_password)?;
        self.update_account(username, |acc| {
            acc.password_hash = hash;
            acc.failures = 0;
            acc.locked_until = None;
            Ok((&by.username, None, "password_change", ""))
        })
    }

    /// Changes a stored account and audits it, in one step.
    fn update_account<'a>(
        &self,
        username: &str,
        f: impl FnOnce(&mut Account) -> Result<(&'a str, Option<Role>, &'a str, &'a str)>,
    ) -> Result<()> {
        self.step(|tx| {
            let mut acc = tx
                .get::<Account>(Tr::Accounts, username)?
                .ok_or_else(|| no_account(username))?;
            let (account, role, action, detail) = f(&mut acc)?;
            tx.put(Tr::Accounts, username, &acc)?;
            self.audit_plain(tx, account, role, action, username, detail)
        })
    }

    /// Lifts a lockout.
    pub fn unlock_account(&self, by: &Actor, username: &str) -> Result<()> {
        let role = by.require(&ADMIN_ROLES, "membuka kunci akun", "unlock accounts")?;
        self.update_account(username, |acc| {
            acc.failures = 0;
            acc.locked_until = None;
            Ok((&by.username, Some(role), "account_unlock", ""))
        })
    }

    /// Disables or re-enables an account.
    pub fn set_account_disabled(&self, by: &Actor, username: &str, disabled: bool) -> Result<()> {
        let role = by.require(&ADMIN_ROLES, "menonaktifkan akun", "disable accounts")?;
        if by.username == username && disabled {
            return Err(Error::conflict(
                "Akun sendiri tidak dapat dinonaktifkan.",
                "You cannot disable your own account.",
            ));
        }
        let what = if disabled { "disabled" } else { "enabled" };
        self.update_account(username, |acc| {
            acc.disabled = disabled;
            Ok((&by.username, Some(role), "account_disable", what))
        })
    }

    /// One account.
    pub fn account(&self, username: &str) -> Result<Account> {
        self.load_account(username)?
            .ok_or_else(|| no_account(username))
    }

    /// All accounts, by user name.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        let mut out = Vec::new();
        for kv in self.trees.accounts.iter() {
            let (_, v) = kv?;
            out.push(decode(&v)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use time::Duration;

    #[test]
    fn first_account_bootstraps_then_admin_is_needed() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        assert!(!svc.has_accounts().unwrap());
        let e = svc
            .create_account(None, "ani", "Ani", &[Role::Operator], "rahasia123")
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        svc.create_account(
            None,
            "camat",
            "Pak Camat",
            &[Role::HeadOfOffice],
            "rahasia123",
        )
        .unwrap();
        let e = svc
            .create_account(None, "x", "X", &[Role::HeadOfOffice], "rahasia123")
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::NotPermitted);
        let admin = svc.authenticate("camat", "rahasia123").unwrap();
        svc.create_account(Some(&admin), "ani", "Ani", &[Role::Operator], "rahasia123")
            .unwrap();
        let ani = svc.authenticate("ani", "rahasia123").unwrap();
        let e = svc
            .create_account(Some(&ani), "budi", "Budi", &[Role::Operator], "rahasia123")
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::NotPermitted);
        assert!(e.message(Lang::Id).contains("kepala kantor atau teknisi"));
        let e = svc
            .create_account(Some(&admin), "ani", "Ani", &[Role::Operator], "rahasia123")
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Conflict);
        assert!(svc
            .create_account(
                Some(&admin),
                "Bad Name",
                "B",
                &[Role::Operator],
                "rahasia123"
            )
            .is_err());
        assert!(svc
            .create_account(Some(&admin), "short", "S", &[Role::Operator], "1234567")
            .is_err());
    }

    #[test]
    fn stored_hash_is_argon2id_and_not_the_password() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        svc.create_account(None, "camat", "C", &[Role::HeadOfOffice], "rahasia123")
            .unwrap();
        let acc = svc.account("camat").unwrap();
        assert!(
            acc.password_hash.starts_with("$argon2id$v=19$"),
            "{}",
            acc.password_hash
        );
        assert!(!acc.password_hash.contains("rahasia123"));
        let raw = svc.trees.accounts.get("camat").unwrap().unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("rahasia123"));
    }

    #[test]
    fn default_params_are_argon2_defaults() {
        // The station uses argon2's default Argon2id parameters (19 MiB, 2 passes, 1 lane);
        // the other tests use cheaper ones to stay fast.
        assert_eq!(
            crate::ServiceOptions::default().password_params,
            argon2::Params::default()
        );
        let db = sled::Config::new().temporary(true).open().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let clock = std::sync::Arc::new(crate::TestClock::new(
            time::macros::datetime!(2026-03-02 08:00 +7),
        ));
        let svc = Service::open(&db, &dir.path().join("j"), office(KEDOPOK), clock).unwrap();
        svc.create_account(None, "camat", "C", &[Role::HeadOfOffice], "rahasia123")
            .unwrap();
        let h = svc.account("camat").unwrap().password_hash;
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
    }

    #[test]
    fn lockout_after_five_failures_then_expires() {
        let (svc, clock, _dir) = service(KEDOPOK);
        svc.create_account(None, "camat", "C", &[Role::HeadOfOffice], "rahasia123")
            .unwrap();
        for i in 1..=4 {
            let e = svc.authenticate("camat", "salah").unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::NotPermitted);
            assert_eq!(svc.account("camat").unwrap().failures, i);
        }
        let e = svc.authenticate("camat", "salah").unwrap_err();
        assert!(
            e.message(Lang::Id).contains("dikunci 15 menit"),
            "{}",
            e.message(Lang::Id)
        );
        // Even the right password is refused while locked.
        let e = svc.authenticate("camat", "rahasia123").unwrap_err();
        assert!(
            e.message(Lang::En).contains("locked until 08:15 WIB"),
            "{}",
            e.message(Lang::En)
        );
        clock.advance(Duration::minutes(15));
        let a = svc.authenticate("camat", "rahasia123").unwrap();
        assert!(a.has(Role::HeadOfOffice));
        assert_eq!(svc.account("camat").unwrap().failures, 0);
    }

    #[test]
    fn unknown_user_and_wrong_password_read_the_same() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        svc.create_account(None, "camat", "C", &[Role::HeadOfOffice], "rahasia123")
            .unwrap();
        let a = svc
            .authenticate("nobody", "x")
            .unwrap_err()
            .message(Lang::En);
        let b = svc
            .authenticate("camat", "x")
            .unwrap_err()
            .message(Lang::En);
        assert_eq!(a, b);
    }

    #[test]
    fn unlock_disable_and_password_change() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        let admin = staff(&svc);
        for _ in 0..5 {
            let _ = svc.authenticate("ani", "salah");
        }
        assert!(svc.authenticate("ani", PW).is_err());
        svc.unlock_account(&admin, "ani").unwrap();
        let ani = svc.authenticate("ani", PW).unwrap();
        assert_eq!(
            svc.unlock_account(&ani, "ani").unwrap_err().kind(),
            crate::ErrorKind::NotPermitted
        );
        svc.set_password(&ani, "ani", "baru-12345").unwrap();
        assert!(svc.authenticate("ani", PW).is_err());
        svc.authenticate("ani", "baru-12345").unwrap();
        assert!(svc.set_password(&ani, "budi", "baru-12345").is_err());
        svc.set_account_disabled(&admin, "ani", true).unwrap();
        let e = svc.authenticate("ani", "baru-12345").unwrap_err();
        assert!(e.message(Lang::Id).contains("dinonaktifkan"));
        assert!(svc.set_account_disabled(&admin, "camat", true).is_err());
    }

    /// Opens sled at `path` as the record store does: an index sled calls corrupt is moved
    /// aside and a new one opened (the journal fills it).
    fn open_index(path: &std::path::Path) -> sled::Db {
        match sled::Config::new().path(path).open() {
            Ok(db) => db,
            Err(_) => {
                std::fs::rename(path, path.with_extension("damaged")).unwrap();
                sled::Config::new().path(path).open().unwrap()
            }
        }
    }

    fn open_at(dir: &std::path::Path) -> (sled::Db, Service) {
        let db = open_index(&dir.join("index"));
        let clock = std::sync::Arc::new(crate::TestClock::new(
            time::macros::datetime!(2026-03-02 08:00 +7),
        ));
        let svc = Service::open_with(
            &db,
            &dir.join("service.journal"),
            office(KEDOPOK),
            clock,
            crate::ServiceOptions::fast_for_tests(),
        )
        .unwrap();
        (db, svc)
    }

    #[test]
    fn a_deleted_index_keeps_init_refused_and_a_scribbled_one_keeps_logins() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (_db, svc) = open_at(dir.path());
            staff(&svc);
            svc.flush().unwrap();
        }
        // The index folder deleted.
        std::fs::remove_dir_all(dir.path().join("index")).unwrap();
        {
            let (_db, svc) = open_at(dir.path());
            assert!(svc.recovered().rebuilt);
            let e = svc
                .create_account(None, "baru", "Baru", &[Role::HeadOfOffice], PW)
                .unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::NotPermitted);
            assert!(svc.authenticate("kasi", PW).unwrap().has(Role::Supervisor));
            assert_eq!(svc.accounts().unwrap().len(), 7);
            svc.flush().unwrap();
        }
        // Every file of the index overwritten with (seeded) random bytes.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for e in std::fs::read_dir(dir.path().join("index")).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                let len = std::fs::metadata(&p).unwrap().len().max(4096) as usize;
                let junk: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect();
                std::fs::write(&p, junk).unwrap();
            }
        }
        let (_db, svc) = open_at(dir.path());
        assert!(svc.recovered().rebuilt);
        for u in [
            "camat", "loket", "operator", "kasi", "cetak", "teknisi", "ani",
        ] {
            svc.authenticate(u, PW)
                .unwrap_or_else(|e| panic!("{u}: {e}"));
        }
        assert!(svc.has_accounts().unwrap());
    }

    #[test]
    fn init_is_refused_once_the_station_had_accounts_even_with_none_in_the_index() {
        let (svc, _clock, _dir) = service(KEDOPOK);
        staff(&svc);
        // Even were every account gone from the index, the journalled mark stays.
        svc.trees.accounts.clear().unwrap();
        assert!(svc.has_accounts().unwrap());
        assert_eq!(
            svc.create_account(None, "baru", "Baru", &[Role::HeadOfOffice], PW)
                .unwrap_err()
                .kind(),
            crate::ErrorKind::NotPermitted
        );
    }

    #[test]
    fn a_station_event_is_audited_durably_with_who_and_what() {
        let (svc, _clock, dir) = service(KEDOPOK);
        let camat = staff(&svc);
        svc.audit_station_action(
            &camat,
            Role::HeadOfOffice,
            "station_key_rotated",
            "0011223344556677",
            "retired 8899aabbccddeeff",
        )
        .unwrap();
        let all = svc
            .audit_trail(
                time::macros::datetime!(2026-01-01 00:00 UTC),
                time::macros::datetime!(2027-01-01 00:00 UTC),
            )
            .unwrap();
        let e = all
            .iter()
            .find(|e| e.action == "station_key_rotated")
            .unwrap();
        assert_eq!(
            (e.account.as_str(), e.role, e.subject.as_str()),
            ("camat", Some(Role::HeadOfOffice), "0011223344556677")
        );
        // In the journal, so it survives the index.
        let journal = std::fs::read_to_string(dir.path().join("service.journal")).unwrap();
        assert!(journal.contains("station_key_rotated"));
    }
}
