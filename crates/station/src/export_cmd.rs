//! `rekam export --format nist|iso RECORD.rkm --out DIR`: verifies a sealed record, then
//! writes it as an ANSI/NIST-ITL transaction or as ISO/IEC 19794 records (crate
//! `rekam-export`, `docs/export.md`). Files are written 0600: they hold biometrics.
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;
use rekam_export::{ExportError, Format, Options};

use crate::config::StationConfig;
use crate::i18n::Lang;

/// Writes `data` to `dir/name` readable by the owner only: a temporary file first, synced,
/// then renamed over any older export.
fn write_private(dir: &Path, name: &str, data: &[u8]) -> anyhow::Result<()> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    // An older temporary file keeps its mode through open: set it again.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("saving {}", path.display()))?;
    Ok(())
}

/// Runs `rekam export`; returns the text to print and whether it succeeded. A record that
/// does not verify is refused with a sentence and nothing is written.
pub fn run(
    config: &StationConfig,
    record: &Path,
    format: Format,
    out: &Path,
    public_hex: Option<&str>,
    lang: Lang,
) -> anyhow::Result<(String, bool)> {
    let bytes = std::fs::read(record).with_context(|| format!("reading {}", record.display()))?;
    let key = match public_hex {
        Some(h) => rekam_record::verifying_key_from_hex(h)?,
        None => {
            let path = config.station.data_dir.join("station.key");
            if !path.exists() {
                anyhow::bail!(
                    "{}",
                    match lang {
                        Lang::Id => format!("stasiun ini belum punya kunci ({} tidak ada): berikan kunci stasiun penanda tangan dengan --public-key", path.display()),
                        Lang::En => format!("this station has no key yet ({} does not exist): pass the signing station's key with --public-key", path.display()),
                    }
                );
            }
            crate::records::station_key(config)?.verifying_key()
        }
    };
    let files = match rekam_export::export(&bytes, &key, format, &Options::default()) {
        Ok(f) => f,
        Err(e @ ExportError::Record(_)) => {
            let text = match lang {
                Lang::Id => format!(
                    "DITOLAK  {}: rekaman tidak lolos verifikasi, tidak ada berkas yang ditulis ({e})\n",
                    record.display()
                ),
                Lang::En => format!(
                    "REFUSED  {}: the record does not verify; nothing was written ({e})\n",
                    record.display()
                ),
            };
            return Ok((text, false));
        }
        Err(e) => {
            let text = match lang {
                Lang::Id => format!("GAGAL  {}: {e}\n", record.display()),
                Lang::En => format!("FAILED  {}: {e}\n", record.display()),
            };
            return Ok((text, false));
        }
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(out)
        .with_context(|| format!("creating {}", out.display()))?;
    let mut text = String::new();
    for f in &files {
        write_private(out, &f.name, &f.data)?;
        let _ = writeln!(
            text,
            "{}  {} ({} bytes)",
            lang.pick("DITULIS", "WROTE"),
            out.join(&f.name).display(),
            f.data.len()
        );
    }
    tracing::info!(files = files.len(), ?format, "record exported");
    Ok((text, true))
}
