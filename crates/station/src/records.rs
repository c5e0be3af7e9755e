//! `rekam key`, `rekam verify` and `rekam queue`: the station key, record verification and the
//! upload queue. Output never shows a person's data: record ids, states, dates and sizes only.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use rekam_record::{verify, verifying_key_from_hex, StationKey};
use rekam_store::Store;

use crate::config::StationConfig;

/// The station key, created on first use.
pub fn station_key(config: &StationConfig) -> anyhow::Result<StationKey> {
    Ok(StationKey::load_or_create(
        &config.station.data_dir.join("station.key"),
    )?)
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
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
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
