//! `rekam key`, `rekam verify` and `rekam queue`: the station key, record verification and the
//! upload queue. Output never shows a person's data: record ids, states, dates and sizes only.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use rekam_record::{verify, verifying_key_from_hex, StationKey};
use rekam_store::{ExportReport, Store, StoreError};

use crate::config::StationConfig;
use crate::i18n::Lang;

/// The station's data folder (key, record store, journals), created owner-only (0700) and
/// tightened to 0700 if it is looser: it holds people's records and the station's secret key.
pub fn data_dir(config: &StationConfig) -> anyhow::Result<&Path> {
    let dir = config.station.data_dir.as_path();
    rekam_store::ensure_private_dir(dir)
        .with_context(|| format!("preparing the station's data folder {}", dir.display()))?;
    Ok(dir)
}

/// The station key, created on first use.
pub fn station_key(config: &StationConfig) -> anyhow::Result<StationKey> {
    Ok(StationKey::load_or_create(
        &data_dir(config)?.join("station.key"),
    )?)
}

/// Opens the station's record store.
pub fn store(config: &StationConfig) -> anyhow::Result<Store> {
    let dir = data_dir(config)?.join("store");
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

/// `rekam key show`.
pub fn key_show(config: &StationConfig) -> anyhow::Result<String> {
    let key = station_key(config)?;
    let public = key.public_hex();
    let fingerprint =
        &rekam_record::sha256_hex(&rekam_record::unhex(&public).unwrap_or_default())[..16];
    Ok(format!(
        "station      {}\npublic key   {public}\nfingerprint  {fingerprint}\n",
        config.station.id
    ))
}

/// `rekam verify FILE`: with `public_hex`, or the station's own key.
pub fn verify_file(
    config: &StationConfig,
    file: &Path,
    public_hex: Option<&str>,
) -> anyhow::Result<(String, bool)> {
    // Bounded: a device or a disk image given by mistake costs at most MAX_RECORD_BYTES.
    let bytes =
        rekam_record::read_file(file).with_context(|| format!("reading {}", file.display()))?;
    let key = match public_hex {
        Some(h) => verifying_key_from_hex(h)?,
        None => {
            let path = config.station.data_dir.join("station.key");
            if !path.exists() {
                anyhow::bail!(
                    "this station has no key yet ({} does not exist): pass the signing station's key with --public-key",
                    path.display()
                );
            }
            station_key(config)?.verifying_key()
        }
    };
    match verify(&bytes, &key) {
        Ok(v) => {
            let m = &v.manifest;
            let mut s = String::new();
            let _ = writeln!(
                s,
                "VALID  record {} from station {}, sealed {}",
                m.record_id, m.station_id, m.sealed_at
            );
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

/// `rekam queue list`. A record whose file is gone is listed as MISSING (with the state the
/// index still has).
pub fn queue_list(config: &StationConfig, lang: Lang) -> anyhow::Result<String> {
    let store = store(config)?;
    let mut s = String::from(
        "record                                 state         sealed                age   size\n",
    );
    let mut missing = 0;
    for e in store.list()? {
        let state = if store.is_missing(&e) {
            missing += 1;
            format!("MISSING({})", e.state.name())
        } else {
            e.state.name().to_string()
        };
        let _ = writeln!(
            s,
            "{:<38} {:<13} {:<21} {:<5} {}",
            e.record_id,
            state,
            e.sealed_at,
            age(&e.sealed_at),
            e.size
        );
    }
    if missing > 0 {
        let _ = writeln!(s, "\n{}", missing_hint(missing, lang));
    }
    Ok(s)
}

fn missing_hint(n: usize, lang: Lang) -> String {
    match lang {
        Lang::Id => format!("{n} rekaman HILANG: berkasnya tidak ada di penyimpanan. Kasi Pelayanan menyelesaikannya dengan `rekam queue resolve-missing ID --reason ...` (NIK-nya tetap tertolak sampai itu)."),
        Lang::En => format!("{n} record(s) MISSING: the file is not in the store. The head of service resolves each with `rekam queue resolve-missing ID --reason ...` (its NIK stays refused until then)."),
    }
}

/// `rekam queue stats`.
pub fn queue_stats(config: &StationConfig) -> anyhow::Result<String> {
    let store = store(config)?;
    let st = store.stats()?;
    let mut s = String::new();
    for (state, n) in &st.by_state {
        let _ = writeln!(s, "{state:<13} {n}");
    }
    if st.missing > 0 {
        let _ = writeln!(s, "{:<13} {}", "MISSING", st.missing);
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

/// `rekam queue export DIR`: the report, and whether every queued record went.
pub fn queue_export(
    config: &StationConfig,
    dir: &Path,
    lang: Lang,
) -> anyhow::Result<(String, bool)> {
    let key = station_key(config)?;
    let store = store(config)?;
    let r = store.export(dir, &[key.verifying_key()])?;
    Ok((render_export(&r, lang), r.ok()))
}

/// The export report in the operator's language.
pub fn render_export(r: &ExportReport, lang: Lang) -> String {
    let dest = r.dest.display();
    let mut s = match lang {
        Lang::Id => format!("{} rekaman diekspor ke {dest}.\n", r.exported.len()),
        Lang::En => format!("exported {} record(s) to {dest}\n", r.exported.len()),
    };
    if r.stale_temporaries_removed > 0 {
        let _ = writeln!(
            s,
            "{} {}",
            r.stale_temporaries_removed,
            lang.pick(
                "berkas sementara dari ekspor yang terputus dihapus dari tujuan.",
                "temporary file(s) of an interrupted export removed from the destination."
            )
        );
    }
    for f in &r.quarantined {
        let _ = writeln!(
            s,
            "{}  {} — {}: {}",
            lang.pick("KARANTINA", "QUARANTINED"),
            f.record_id,
            lang.pick(
                "gagal diverifikasi, tidak diekspor, dipindah ke karantina penyimpanan",
                "failed verification, not exported, moved to the store's quarantine"
            ),
            f.why
        );
    }
    for id in &r.missing {
        let _ = writeln!(
            s,
            "{}  {id} — {}",
            lang.pick("HILANG", "MISSING"),
            lang.pick(
                "berkasnya tidak ada di penyimpanan; Kasi Pelayanan menyelesaikannya dengan `rekam queue resolve-missing`",
                "its file is not in the store; the head of service resolves it with `rekam queue resolve-missing`"
            )
        );
    }
    for f in &r.bad_copies {
        let _ = writeln!(
            s,
            "{}  {} — {}",
            lang.pick("SALINAN RUSAK", "BAD COPY"),
            f.record_id,
            lang.pick(
                "salinan di tujuan terbaca berbeda; rekaman tetap dalam antrean (periksa atau ganti flashdisk)",
                "the copy on the destination read back differently; the record stays queued (check or replace the stick)"
            )
        );
    }
    if let Some(stop) = &r.stopped {
        let why = match (stop, lang) {
            (StoreError::DestinationFull(p), Lang::Id) => format!("Tujuan {} penuh: {} rekaman berikutnya tetap dalam antrean; gunakan flashdisk dengan ruang lebih, atau ekspor sisanya ke flashdisk lain.", p.display(), r.not_tried),
            (StoreError::DestinationReadOnly(p), Lang::Id) => format!("Tujuan {} hanya-baca (flashdisk terkunci tulis?): {} rekaman berikutnya tetap dalam antrean.", p.display(), r.not_tried),
            (other, Lang::Id) => format!("Ekspor berhenti: {other}; {} rekaman berikutnya tetap dalam antrean.", r.not_tried),
            (other, Lang::En) => format!("The export stopped: {other} ({} record(s) not tried).", r.not_tried),
        };
        let _ = writeln!(s, "{} {why}", lang.pick("BERHENTI", "STOPPED"));
    }
    if !r.ok() {
        s.push_str(lang.pick("Ekspor TIDAK lengkap.\n", "The export is NOT complete.\n"));
    }
    s
}

/// `rekam queue resolve-missing ID --reason ...`: the head of service (an account with the
/// supervisor role, logged in as `rekam enroll` logs in staff) resolves a record whose file is
/// missing or was quarantined. The store journals who, when and why; the office's audit trail
/// gets the same; the person's NIK may then be recorded again.
pub fn queue_resolve_missing(
    config: &StationConfig,
    office: &Path,
    login: &crate::enroll::Login,
    record_id: &str,
    reason: &str,
    lang: Lang,
) -> anyhow::Result<String> {
    let store = store(config)?;
    let svc = crate::enroll::open_service(office, store.db(), &service_journal(config), lang)?;
    let actor = crate::enroll::authenticate(&svc, login, rekam_service::Role::Supervisor, lang)?;
    let entry = store
        .resolve_missing(record_id, actor.username(), reason)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let rekam_store::State::Resolved { at, reason, .. } = &entry.state else {
        anyhow::bail!("the record was not resolved");
    };
    let audited = svc.audit_station_action(
        &actor,
        rekam_service::Role::Supervisor,
        "record.resolve_missing",
        record_id,
        reason,
    );
    let mut s = match lang {
        Lang::Id => format!(
            "Rekaman {record_id} diselesaikan oleh {} pada {at}; NIK-nya dapat direkam lagi.\n",
            actor.username()
        ),
        Lang::En => format!(
            "Record {record_id} resolved by {} at {at}; its NIK may be recorded again.\n",
            actor.username()
        ),
    };
    if let Err(e) = audited {
        let _ = writeln!(
            s,
            "! {}: {}",
            lang.pick(
                "Tercatat di jurnal penyimpanan, tetapi belum di jejak audit kantor",
                "Recorded in the store's journal, but not in the office's audit trail"
            ),
            e.message(match lang {
                Lang::Id => rekam_service::Lang::Id,
                Lang::En => rekam_service::Lang::En,
            })
        );
    }
    Ok(s)
}
