//! `rekam queue` and `rekam verify` through the binary against damaged stores: corrupted and
//! missing record files at export, the head of service resolving a missing record, a device
//! given to `rekam verify`, and the modes of the data folder.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Station {
    _dir: tempfile::TempDir,
    root: PathBuf,
    cfg: PathBuf,
    data: PathBuf,
    office: PathBuf,
}

impl Station {
    fn new() -> Station {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let data = root.join("data");
        let cfg = root.join("station.toml");
        std::fs::write(
            &cfg,
            format!(
                "[station]\nid = \"T-9\"\nlanguage = \"en\"\ndata_dir = {:?}\n",
                data.display().to_string()
            ),
        )
        .unwrap();
        let office = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/office.toml");
        Station {
            _dir: dir,
            root,
            cfg,
            data,
            office,
        }
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rekam"));
        c.arg("--config")
            .arg(&self.cfg)
            .args(args)
            .env("REKAM_OFFICE", &self.office);
        for k in [
            "REKAM_LANG",
            "REKAM_USER",
            "REKAM_PASSWORD",
            "REKAM_NEW_PASSWORD",
        ] {
            c.env_remove(k);
        }
        c.envs(env.iter().copied()).output().unwrap()
    }

    fn key(&self) -> rekam_record::StationKey {
        assert!(self.run(&["key", "show"], &[]).status.success());
        rekam_record::StationKey::load_or_create(&self.data.join("station.key")).unwrap()
    }

    /// Seals a record for `nik` and puts it in the store's folder, as a save would.
    fn record(&self, key: &rekam_record::StationKey, nik: &str) -> String {
        let m = rekam_record::Manifest::new(
            "T-9",
            "op",
            &key.public_hex(),
            rekam_record::Person {
                nik: nik.into(),
                name: "Siti Aminah".into(),
                birth_date: "1999-07-12".into(),
                sex: rekam_record::Sex::Female,
                service: rekam_record::Service::New,
            },
        );
        let bytes = rekam_record::seal(&m, &[], key).unwrap();
        let records = self.data.join("store/records");
        std::fs::create_dir_all(&records).unwrap();
        std::fs::write(records.join(format!("{}.rkm", m.record_id)), &bytes).unwrap();
        m.record_id
    }

    fn record_file(&self, id: &str) -> PathBuf {
        self.data.join(format!("store/records/{id}.rkm"))
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", text(o));
}

#[test]
fn export_quarantines_corrupted_records_skips_missing_ones_and_says_so() {
    let st = Station::new();
    let key = st.key();
    let ids: Vec<String> = (0..6)
        .map(|i| st.record(&key, &format!("357801520799000{i}")))
        .collect();
    // Saved and indexed, then damaged behind the store's back: one flipped byte each, in the
    // manifest, the end-of-manifest padding and the signature.
    ok(&st.run(&["queue", "list"], &[]));
    for (n, id) in ids[..3].iter().enumerate() {
        let p = st.record_file(id);
        let mut b = std::fs::read(&p).unwrap();
        let at = [600, 1000, b.len() - 1500][n];
        b[at] ^= 0x01;
        std::fs::write(&p, b).unwrap();
    }
    std::fs::remove_file(st.record_file(&ids[3])).unwrap();
    let usb = st.root.join("usb");
    let out = st.run(&["queue", "export", usb.to_str().unwrap()], &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("exported 2 record(s)"), "{t}");
    for id in &ids[..3] {
        assert!(t.contains(&format!("QUARANTINED  {id}")), "{t}");
    }
    assert!(t.contains(&format!("MISSING  {}", ids[3])), "{t}");
    assert!(t.contains("NOT complete"), "{t}");
    assert!(!t.contains("3578015207990"), "no NIK in the report: {t}");
    let mut on_stick: Vec<String> = std::fs::read_dir(&usb)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_stick.sort();
    assert_eq!(
        on_stick,
        vec![format!("{}.rkm", ids[4]), format!("{}.rkm", ids[5])]
    );
    let list = text(&st.run(&["queue", "list"], &[]));
    assert!(list.contains("MISSING(queued)"), "{list}");
    assert_eq!(list.matches("quarantined").count(), 3, "{list}");
    // In Indonesian too.
    let out = st.run(
        &["--lang", "id", "queue", "export", usb.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(
        t.contains("0 rekaman diekspor") && t.contains("HILANG"),
        "{t}"
    );
}

#[test]
fn the_head_of_service_resolves_a_missing_record_and_an_operator_may_not() {
    let st = Station::new();
    let key = st.key();
    let gone = st.record(&key, "3578015207990011");
    ok(&st.run(
        &[
            "service", "--user", "camat", "account", "init", "--name", "Camat",
        ],
        &[("REKAM_PASSWORD", "camat-pass-1")],
    ));
    for (user, role) in [("op1", "operator"), ("kasi", "supervisor")] {
        ok(&st.run(
            &[
                "service",
                "--user",
                "camat",
                "account",
                "add",
                "--username",
                user,
                "--name",
                user,
                "--role",
                role,
            ],
            &[
                ("REKAM_PASSWORD", "camat-pass-1"),
                ("REKAM_NEW_PASSWORD", &format!("{user}-password-1")),
            ],
        ));
    }
    std::fs::remove_file(st.record_file(&gone)).unwrap();
    let resolve = |user: &str, pw: &str| {
        st.run(
            &[
                "queue",
                "resolve-missing",
                &gone,
                "--reason",
                "record file lost when the disk failed; person to be recorded again",
                "--user",
                user,
            ],
            &[("REKAM_PASSWORD", pw)],
        )
    };
    // An operator is refused, and so is a wrong password; nothing is resolved.
    let out = resolve("op1", "op1-password-1");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("does not hold the role"),
        "{}",
        text(&out)
    );
    let out = resolve("kasi", "wrong-password");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&st.run(&["queue", "list"], &[])).contains("MISSING(queued)"));
    // Without a password in the environment: a sentence.
    let out = st.run(
        &[
            "queue",
            "resolve-missing",
            &gone,
            "--reason",
            "x",
            "--user",
            "kasi",
        ],
        &[],
    );
    assert!(text(&out).contains("REKAM_PASSWORD"), "{}", text(&out));
    // The head of service.
    let out = resolve("kasi", "kasi-password-1");
    ok(&out);
    assert!(text(&out).contains("resolved by kasi"), "{}", text(&out));
    let list = text(&st.run(&["queue", "list"], &[]));
    assert!(
        list.contains("resolved") && !list.contains("MISSING"),
        "{list}"
    );
    // Who, when and why: in the store's journal and in the office's audit trail.
    let store = rekam_store::Store::open(&st.data.join("store")).unwrap();
    let rekam_store::State::Resolved { by, reason, .. } = store.get(&gone).unwrap().state else {
        panic!("not resolved");
    };
    assert_eq!(by, "kasi");
    assert!(reason.starts_with("record file lost"));
    let svc = rekam_service::Service::open(
        store.db(),
        &st.data.join("store/service.journal"),
        rekam_service::OfficeConfig::load(&st.office).unwrap(),
        std::sync::Arc::new(rekam_service::SystemClock),
    )
    .unwrap();
    let trail = svc
        .audit_trail(
            time::OffsetDateTime::now_utc() - time::Duration::hours(1),
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        )
        .unwrap();
    let e = trail
        .iter()
        .find(|e| e.action == "record.resolve_missing")
        .expect("an audit entry");
    assert_eq!(
        (e.account.as_str(), e.subject.as_str()),
        ("kasi", gone.as_str())
    );
    assert_eq!(e.role, Some(rekam_service::Role::Supervisor));
    assert!(e.detail.starts_with("record file lost"));
    // The NIK is free again.
    rekam_pipeline::check_recording_once(&store, "3578-0152-0799-0011", rekam_record::Service::New)
        .unwrap();
}

#[test]
fn verify_reads_a_bounded_amount_of_a_device() {
    let st = Station::new();
    st.key();
    let t = std::time::Instant::now();
    let out = st.run(&["verify", "/dev/zero"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("larger than any record"),
        "{}",
        text(&out)
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn the_data_folder_is_private() {
    let st = Station::new();
    std::fs::create_dir_all(&st.data).unwrap();
    std::fs::set_permissions(&st.data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let key = st.key();
    st.record(&key, "3578015207990021");
    ok(&st.run(&["queue", "list"], &[]));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&st.data), 0o700);
    assert_eq!(mode(&st.data.join("store")), 0o700);
    assert_eq!(mode(&st.data.join("station.key")), 0o600);
}
