//! `rekam key`, `rekam verify` and `rekam queue`: the station key, record verification and the
//! upload queue. Output never shows a person's data: record ids, states, dates and sizes only.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use rekam_record::{verify, verifying_key_from_hex, KeyFiles, Keyring, StationKey};
use rekam_store::Store;

use crate::config::StationConfig;
use crate::i18n::Lang;

/// The station's key files: the secret `DATA_DIR/station.key` and the keyring of its public
/// keys beside the records, `DATA_DIR/store/keyring.json`.
pub fn key_files(config: &StationConfig) -> KeyFiles {
    KeyFiles {
        key: config.station.data_dir.join("station.key"),
        keyring: config.station.data_dir.join("store").join("keyring.json"),
    }
}

/// Whether the station's store holds any record file (read from the folder, not the index).
pub fn has_records(config: &StationConfig) -> bool {
    let dir = config.station.data_dir.join("store").join("records");
    std::fs::read_dir(dir).is_ok_and(|mut entries| {
        entries.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "rkm")))
    })
}

/// The station key. Created on first use only by a station that never had one (no keyring,
/// no records); a missing key is otherwise refused with what to do (restore it from backup),
/// in the station's language.
pub fn station_key(config: &StationConfig) -> anyhow::Result<StationKey> {
    let files = key_files(config);
    let records = has_records(config);
    files.open(records).map_err(|e| {
        if files.key.exists() {
            return anyhow::anyhow!("{e}");
        }
        let fp = files
            .keyring()
            .ok()
            .flatten()
            .and_then(|r| r.current().map(|c| c.fingerprint()));
        let key = files.key.display();
        match (config.lang(), fp) {
            (Lang::Id, fp) => anyhow::anyhow!(
                "Kunci stasiun {key} tidak ada, padahal stasiun ini sudah menandatangani rekaman{}. Pulihkan station.key dari cadangan stasiun; kunci baru tidak dibuat, karena rekaman lama tidak akan dapat diverifikasi lagi. Bila kunci itu benar-benar hilang, kepala kantor atau teknisi menggantinya dengan `rekam key rotate`.",
                fp.map(|f| format!(" dengan kunci bersidik {f}")).unwrap_or_default()
            ),
            (Lang::En, _) => anyhow::anyhow!("{e}."),
        }
    })
}

/// The station's keyring; for a station from before keyrings, one naming its key (in memory).
pub fn keyring(config: &StationConfig) -> anyhow::Result<Option<Keyring>> {
    let files = key_files(config);
    if let Some(r) = files.keyring()? {
        return Ok(Some(r));
    }
    if !files.key.exists() {
        return Ok(None);
    }
    let key = StationKey::load_or_create(&files.key)?;
    Ok(Some(Keyring {
        format: rekam_record::KEYRING_FORMAT.into(),
        keys: vec![rekam_record::KeyringEntry {
            public_key: key.public_hex(),
            created_at: String::new(),
            retired_at: None,
        }],
    }))
}

/// Opens the station's record store.
pub fn store(config: &StationConfig) -> anyhow::Result<Store> {
    let dir = config.station.data_dir.join("store");
    Store::open(&dir).with_context(|| format!("opening the record store {}", dir.display()))
}

/// The office's journal (staff accounts, applications, the register book, complaints, the
/// survey), beside the record store's files: the durable copy the service's sled trees are
/// rebuilt from.
pub fn service_journal(config: &StationConfig) -> std::path::PathBuf {
    config
        .station
        .data_dir
        .join("store")
        .join("service.journal")
}

/// `rekam key show`: the current key, and the retired ones earlier records were signed with.
pub fn key_show(config: &StationConfig) -> anyhow::Result<String> {
    let key = station_key(config)?;
    let public = key.public_hex();
    let fingerprint = rekam_record::key_fingerprint(&public);
    let mut s = format!(
        "station      {}\npublic key   {public}\nfingerprint  {fingerprint}\n",
        config.station.id
    );
    if let Some(ring) = keyring(config)? {
        for k in ring.keys.iter().filter(|k| k.retired_at.is_some()) {
            let _ = writeln!(
                s,
                "retired      {} (fingerprint {}, retired {})",
                k.public_key,
                k.fingerprint(),
                k.retired_at.as_deref().unwrap_or("?")
            );
        }
    }
    Ok(s)
}

/// `rekam key rotate`: a head of office or technician replaces the station key on purpose. The
/// old public key stays in the keyring (retired) so earlier records still verify; the rotation
/// is written to the office's audit trail.
pub fn key_rotate(
    config: &StationConfig,
    office: &Path,
    login: &crate::enroll::Login,
    lang: Lang,
) -> anyhow::Result<String> {
    let store = store(config)?;
    let svc = crate::enroll::open_service(office, store.db(), &service_journal(config), lang)?;
    let sl = crate::enroll::service_lang(lang);
    let actor = svc
        .authenticate(&login.user, &login.password)
        .map_err(|e| anyhow::anyhow!("{}", e.message(sl)))?;
    let role = actor
        .require(
            &[
                rekam_service::Role::HeadOfOffice,
                rekam_service::Role::Technician,
            ],
            "mengganti kunci stasiun",
            "replace the station key",
        )
        .map_err(|e| anyhow::anyhow!("{}", e.message(sl)))?;
    let rotation = key_files(config).rotate()?;
    let new_fp = rekam_record::key_fingerprint(&rotation.key.public_hex());
    let retired = rotation.retired.as_ref().map(|k| k.fingerprint());
    let mut s = match lang {
        Lang::Id => format!("Kunci stasiun diganti: sidik kunci baru {new_fp}.\n"),
        Lang::En => format!("The station key was replaced: new fingerprint {new_fp}.\n"),
    };
    match &retired {
        Some(old) => s.push_str(&match lang {
            Lang::Id => format!("Kunci lama {old} disimpan di keyring sebagai kunci pensiun: rekaman lama tetap dapat diverifikasi.\n"),
            Lang::En => format!("The old key {old} stays in the keyring, retired: earlier records still verify.\n"),
        }),
        None => s.push_str(lang.pick(
            "Stasiun ini tidak punya kunci lama yang tercatat; rekaman yang ditandatangani sebelumnya hanya dapat diverifikasi dengan --public-key.\n",
            "This station had no recorded earlier key; records signed before can only be verified with --public-key.\n",
        )),
    }
    svc.audit_event(
        &actor,
        role,
        "station_key_rotated",
        &new_fp,
        &format!("retired {}", retired.as_deref().unwrap_or("none")),
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "{s}{}: {}",
            lang.pick(
                "Penggantian kunci TIDAK tercatat di jejak audit",
                "The replacement was NOT written to the audit trail"
            ),
            e.message(sl)
        )
    })?;
    Ok(s)
}

/// `rekam verify FILE`: with `public_hex`, or the station's own key.
pub fn verify_file(
    config: &StationConfig,
    file: &Path,
    public_hex: Option<&str>,
) -> anyhow::Result<(String, bool)> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    // With the key given, or the station's keys: the current one and every retired one.
    let verified = match public_hex {
        Some(h) => {
            let key = verifying_key_from_hex(h)?;
            verify(&bytes, &key).map(|v| {
                let signer = format!(
                    "the key given ({})",
                    rekam_record::key_fingerprint(&rekam_record::hex(key.as_bytes()))
                );
                (v, signer)
            })
        }
        None => {
            let Some(ring) = keyring(config)? else {
                anyhow::bail!(
                    "this station has no key yet ({} does not exist): pass the signing station's key with --public-key",
                    key_files(config).key.display()
                );
            };
            ring.verify(&bytes).map(|(v, k)| {
                let signer = match &k.retired_at {
                    None => format!("this station's current key {}", k.fingerprint()),
                    Some(at) => format!(
                        "this station's retired key {} (retired {at})",
                        k.fingerprint()
                    ),
                };
                (v, signer)
            })
        }
    };
    match verified {
        Ok((v, signer)) => {
            let m = &v.manifest;
            let mut s = String::new();
            let _ = writeln!(
                s,
                "VALID  record {} from station {}, sealed {}",
                m.record_id, m.station_id, m.sealed_at
            );
            let _ = writeln!(s, "       signed with {signer}");
            let count = |st: rekam_record::CaptureStatus| {
                m.captures.iter().filter(|c| c.status == st).count()
            };
            let _ = writeln!(
                s,
                "       {} captures: {} captured, {} force-captured, {} exceptions; {} files",
                m.captures.len(),
                count(rekam_record::CaptureStatus::Captured),
                count(rekam_record::CaptureStatus::ForceCaptured),
                count(rekam_record::CaptureStatus::Exception),
                v.attachments.len()
            );
            if !m.records_devices() {
                s.push_str("       devices not recorded (rekam-record/1)\n");
            }
            let simulated = m.simulated_captures();
            if simulated > 0 {
                let _ = writeln!(
                    s,
                    "SIMULATED  {simulated} of {} captures were taken by simulated devices: not a person's recording",
                    m.captures.len()
                );
            }
            Ok((s, true))
        }
        Err(e) => Ok((format!("INVALID  {}: {e}\n", file.display()), false)),
    }
}

fn age(sealed_at: &str) -> String {
    let Ok(t) =
        time::OffsetDateTime::parse(sealed_at, &time::format_description::well_known::Rfc3339)
    else {
        return "?".into();
    };
    let secs = (time::OffsetDateTime::now_utc() - t).whole_seconds().max(0);
    match secs {
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// `rekam queue list`.
pub fn queue_list(config: &StationConfig) -> anyhow::Result<String> {
    let store = store(config)?;
    let mut s = String::from(
        "record                                 state         sealed                age   size\n",
    );
    for e in store.list()? {
        let _ = writeln!(
            s,
            "{:<38} {:<13} {:<21} {:<5} {}",
            e.record_id,
            e.state.name(),
            e.sealed_at,
            age(&e.sealed_at),
            e.size
        );
    }
    Ok(s)
}

/// `rekam queue stats`.
pub fn queue_stats(config: &StationConfig) -> anyhow::Result<String> {
    let store = store(config)?;
    let st = store.stats()?;
    let mut s = String::new();
    for (state, n) in &st.by_state {
        let _ = writeln!(s, "{state:<13} {n}");
    }
    match &st.oldest_pending {
        Some((id, at)) => {
            let _ = writeln!(
                s,
                "oldest not acknowledged: {id}, sealed {at} ({} ago)",
                age(at)
            );
        }
        None => s.push_str("nothing waiting\n"),
    }
    let _ = writeln!(s, "waiting bytes: {}", st.pending_bytes);
    Ok(s)
}

/// `rekam queue export DIR`.
pub fn queue_export(config: &StationConfig, dir: &Path) -> anyhow::Result<String> {
    let store = store(config)?;
    let done = store.export(dir)?;
    Ok(format!(
        "exported {} record(s) to {}\n",
        done.len(),
        dir.display()
    ))
}
