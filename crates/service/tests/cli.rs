//! The `rekam service …` subcommands, run in-process against a temporary database.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::PathBuf;
use std::sync::Arc;

use clap::{CommandFactory, Parser};
use rekam_service::cli::{self, CliError, Context, Credentials, ServiceCommand};
use rekam_service::{ErrorKind, Lang, ServiceOptions, TestClock};
use time::macros::datetime;
use time::Duration;

#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: ServiceCommand,
}

struct Station {
    db: sled::Db,
    dir: tempfile::TempDir,
    clock: Arc<TestClock>,
    office: PathBuf,
}

const PW: &str = "rahasia-123";

impl Station {
    fn new(office: &str) -> Station {
        Station {
            db: sled::Config::new().temporary(true).open().unwrap(),
            dir: tempfile::tempdir().unwrap(),
            clock: Arc::new(TestClock::new(datetime!(2026-03-02 08:00 +7))),
            office: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/offices"))
                .join(office),
        }
    }

    fn run_as(
        &self,
        user: Option<&str>,
        lang: Option<Lang>,
        args: &[&str],
    ) -> Result<String, CliError> {
        let cli = Cli::try_parse_from(std::iter::once("service").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let mut out = Vec::new();
        let r = cli::run(
            cli.cmd,
            &self.db,
            &self.dir.path().join("service.journal"),
            &self.office,
            Context {
                credentials: Credentials {
                    user: user.map(str::to_string),
                    password: Some(PW.into()),
                    new_password: Some(PW.into()),
                },
                lang,
                clock: self.clock.clone(),
                options: ServiceOptions::fast_for_tests(),
                out: &mut out,
            },
        );
        match r {
            Ok(()) => Ok(String::from_utf8(out).unwrap()),
            Err(e) => Err(e.downcast::<CliError>().expect("a CliError")),
        }
    }

    fn ok(&self, user: &str, args: &[&str]) -> String {
        self.run_as(Some(user), None, args)
            .unwrap_or_else(|e| panic!("{args:?}: {}", e.message))
    }
}

#[test]
fn the_command_tree_is_well_formed() {
    Cli::command().debug_assert();
}

fn setup(st: &Station) {
    st.ok("camat", &["account", "init", "--name", "Camat"]);
    for (u, r) in [
        ("loket", "front_office"),
        ("operator", "operator"),
        ("kasi", "supervisor"),
    ] {
        st.ok(
            "camat",
            &["account", "add", "--username", u, "--name", u, "--role", r],
        );
    }
}

#[test]
fn a_recording_at_kedopok_from_ticket_to_register() {
    let st = Station::new("kedopok.toml");
    setup(&st);
    let out = st
        .run_as(None, None, &["ticket", "take", "--service", "perekaman"])
        .unwrap();
    assert!(out.contains("Nomor antrian: A001"), "{out}");
    st.clock.advance(Duration::minutes(3));
    let out = st.ok("loket", &["ticket", "call", "--counter", "1"]);
    assert!(
        out.contains("A001  dipanggil  loket 1  tunggu: 3 m"),
        "{out}"
    );
    // The file has no family-card copy: the slip says so.
    let out = st.ok(
        "loket",
        &[
            "file-check",
            "--service",
            "perekaman",
            "--ticket",
            "A001",
            "--name",
            "Siti Aminah",
            "--nik",
            "3574015203990001",
            "--birth-date",
            "1999-03-12",
            "--marital",
            "belum_kawin",
        ],
    );
    assert!(out.contains("TANDA PENGEMBALIAN BERKAS"), "{out}");
    assert!(out.contains("1. Fotokopi Kartu Keluarga"), "{out}");
    assert!(out.contains("[berkas dikembalikan]"), "{out}");
    let out = st.ok(
        "loket",
        &[
            "file-check",
            "--application",
            "PM-20260302-0001",
            "--have",
            "kk_copy",
        ],
    );
    assert!(out.contains("[berkas diterima]"), "{out}");
    assert!(
        out.contains("Batas waktu: 2 Maret 2026 08:33 WIB (sisa: 30 m)"),
        "{out}"
    );
    // An operator may not approve.
    let e = st
        .run_as(
            Some("operator"),
            None,
            &["approve", "PM-20260302-0001", "--initials", "AB"],
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotPermitted);
    assert!(
        e.message.contains("tidak boleh menyetujui berkas"),
        "{}",
        e.message
    );
    st.ok("kasi", &["approve", "PM-20260302-0001", "--initials", "AB"]);
    st.ok("operator", &["record", "PM-20260302-0001"]);
    st.clock.advance(Duration::minutes(10));
    let out = st.ok("operator", &["register", "PM-20260302-0001"]);
    assert!(out.contains("Nomor register: 0001/KDP/03/2026"), "{out}");
    assert!(out.contains("(selesai)"), "{out}");
    let out = st.ok("operator", &["report", "daily", "--format", "csv"]);
    assert!(
        out.contains("0001/KDP/03/2026,08:13,PM-20260302-0001,Siti Aminah"),
        "{out}"
    );
    // English on request.
    let out = st
        .run_as(
            Some("kasi"),
            Some(Lang::En),
            &["status", "PM-20260302-0001"],
        )
        .unwrap();
    assert!(out.contains("[registered]"), "{out}");
    assert!(out.contains("operator recording operator record"), "{out}");
}

#[test]
fn login_errors_name_what_to_set() {
    let st = Station::new("kedopok.toml");
    setup(&st);
    let e = st.run_as(None, None, &["list"]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("REKAM_USER"));
    let e = st
        .run_as(Some("nobody"), Some(Lang::En), &["list"])
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotPermitted);
    assert_eq!(e.message, "Wrong user name or password.");
    // A second init is refused.
    let e = st
        .run_as(Some("x2"), None, &["account", "init", "--name", "X"])
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotPermitted);
}

#[test]
fn losing_the_index_neither_loses_accounts_nor_reopens_init() {
    let mut st = Station::new("kedopok.toml");
    setup(&st);
    st.ok("loket", &["ticket", "take", "--service", "perekaman"]);
    // The index folder deleted: a new, empty sled database beside the same journal.
    st.db = sled::Config::new().temporary(true).open().unwrap();
    let e = st
        .run_as(
            Some("intruder"),
            Some(Lang::En),
            &["account", "init", "--name", "X"],
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotPermitted, "{}", e.message);
    assert!(e.message.contains("has had accounts"), "{}", e.message);
    // Every account is back, and so is the ticket.
    let out = st.ok("camat", &["account", "list"]);
    for u in ["camat", "loket", "operator", "kasi"] {
        assert!(out.contains(u), "{out}");
    }
    assert!(!out.contains("intruder"), "{out}");
    let out = st.ok("loket", &["ticket", "take", "--service", "perekaman"]);
    assert!(out.contains("A002"), "{out}");
}

#[test]
fn a_bad_office_file_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("office.toml");
    let text = std::fs::read_to_string(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/offices/kedopok.toml"
    )))
    .unwrap()
    .replace(
        "limit = { amount = 30, unit = \"minutes\" }",
        "limit = { amount = 30, unit = \"menit\" }",
    );
    std::fs::write(&p, text).unwrap();
    let mut st = Station::new("kedopok.toml");
    st.office = p;
    let e = st
        .run_as(None, None, &["ticket", "take", "--service", "perekaman"])
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("service[0].limit.unit"), "{}", e.message);
}

#[test]
fn complaints_survey_and_monthly_report() {
    let st = Station::new("kedopok.toml");
    setup(&st);
    let out = st.ok(
        "loket",
        &[
            "complaint",
            "add",
            "--channel",
            "email",
            "--name",
            "Budi",
            "--occupation",
            "Guru",
            "--address",
            "Kedopok",
            "--contact",
            "budi@example.invalid",
            "--shortfall",
            "Antrian lama",
            "--remedy",
            "Tambah loket",
        ],
    );
    assert!(
        out.starts_with("AD-20260302-0001  e-mail  Budi  diterima"),
        "{out}"
    );
    st.ok(
        "kasi",
        &[
            "complaint",
            "follow-up",
            "AD-20260302-0001",
            "--text",
            "Loket kedua dibuka",
        ],
    );
    let out = st.ok(
        "loket",
        &["complaint", "answer", "AD-20260302-0001", "--text", "Sudah"],
    );
    assert!(out.contains("Jawaban dikirim melalui: e-mail"), "{out}");
    st.ok("kasi", &["complaint", "close", "AD-20260302-0001"]);
    st.ok("loket", &["survey", "add", "--scores", "4,4,4,4,4,4,4,4,4"]);
    let e = st
        .run_as(Some("loket"), None, &["survey", "add", "--scores", "4,4"])
        .unwrap_err();
    assert!(e.message.contains("9 nilai"));
    let out = st
        .run_as(None, None, &["survey", "sample", "--served", "1000"])
        .unwrap();
    assert!(out.contains("278 responden"), "{out}");
    let out = st.ok(
        "kasi",
        &["report", "monthly", "--month", "2026-03", "--format", "csv"],
    );
    assert!(out.contains("pengaduan,,received,1"), "{out}");
    assert!(out.contains("pengaduan,,resolved,1"), "{out}");
    assert!(out.contains("skm,,unit_score,100.00"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("m.html");
    st.ok(
        "kasi",
        &[
            "report",
            "monthly",
            "--month",
            "2026-03",
            "--format",
            "html",
            "--out",
            html.to_str().unwrap(),
        ],
    );
    let page = std::fs::read_to_string(html).unwrap();
    assert!(page.contains("<h1>Laporan Kinerja Pelayanan Bulanan</h1>"));
    let out = st.ok(
        "camat",
        &[
            "complaint",
            "recap",
            "--year",
            "2026",
            "--quarter",
            "1",
            "--approve",
        ],
    );
    assert!(
        out.contains("Triwulan 1 2026: 1 diterima, 1 selesai"),
        "{out}"
    );
    assert!(out.contains("Disetujui: camat"), "{out}");
}
