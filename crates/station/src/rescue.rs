//! A sealed record the store could not take (disk full, read-only disk): written to a place the
//! operator names, or, when the session must end, to a private fallback folder; and
//! `rekam queue import FILE`, which verifies such a file and commits it to the queue.
//!
//! A fallback folder is used only if it is safe: a real folder (not a link), owned by the
//! station's user, that no one else may enter (0700); the record file in it is 0600. The bytes
//! are the person's biometrics and never go anywhere else.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use rekam_pipeline::Sealed;

use crate::config::StationConfig;
use crate::i18n::Lang;

/// Where a sealed record goes when the store refused it and the session must end, in order:
/// `DATA_DIR/unsaved` (a folder beside the store; enough when only the store is read-only),
/// then a folder of the station user's own under `/var/tmp` and the temporary folder (another
/// disk, often).
pub fn default_dirs(config: &StationConfig) -> Vec<PathBuf> {
    let uid = nix::unistd::geteuid().as_raw();
    let mut v = vec![config.station.data_dir.join("unsaved")];
    for base in [PathBuf::from("/var/tmp"), std::env::temp_dir()] {
        let d = base.join(format!("rekam-unsaved-{uid}"));
        if !v.contains(&d) {
            v.push(d);
        }
    }
    v
}

/// Makes `dir` (0700) if missing and checks it is safe for a person's record: a folder, not a
/// link, owned by this user, closed to everyone else.
pub fn private_dir(dir: &Path) -> Result<(), String> {
    if let Some(parent) = dir.parent() {
        if !parent.as_os_str().is_empty() && !parent.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(|e| format!("{}: {e}", parent.display()))?;
        }
    }
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let me = nix::unistd::geteuid().as_raw();
    if !meta.is_dir() {
        return Err(format!("{} is not a folder (or is a link)", dir.display()));
    }
    if meta.uid() != me {
        return Err(format!(
            "{} belongs to another user (uid {})",
            dir.display(),
            meta.uid()
        ));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "{} is open to other users (mode {:o})",
            dir.display(),
            meta.permissions().mode() & 0o777
        ));
    }
    Ok(())
}

/// Writes `bytes` to a new file `path` (never over an existing one), 0600, synced, with its
/// folder synced.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    })();
    if let Err(e) = &result {
        if e.kind() != std::io::ErrorKind::AlreadyExists {
            let _ = std::fs::remove_file(path);
        }
    }
    result
}

/// Saves a sealed record where the operator asked: into `place` if it is a folder (as
/// `RECORD_ID.rkm`), else as the file `place`. Returns the file and, when others can read it
/// there (a USB stick's filesystem may ignore permissions), a warning.
pub fn save_to(place: &Path, sealed: &Sealed) -> Result<(PathBuf, Option<String>), String> {
    let file = if place.is_dir() {
        place.join(format!("{}.rkm", sealed.record_id))
    } else {
        place.to_path_buf()
    };
    write_new(&file, &sealed.bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    let open = std::fs::metadata(&file)
        .map(|m| m.permissions().mode() & 0o077 != 0)
        .unwrap_or(false);
    Ok((file, open.then(|| "others can read it there".to_string())))
}

/// Writes a sealed record to the first safe fallback folder of `dirs` that takes it. Returns
/// the file, or why each folder could not be used.
pub fn fallback(sealed: &Sealed, dirs: &[PathBuf]) -> Result<PathBuf, Vec<String>> {
    let mut problems = Vec::new();
    for dir in dirs {
        if let Err(e) = private_dir(dir) {
            problems.push(e);
            continue;
        }
        let file = dir.join(format!("{}.rkm", sealed.record_id));
        match write_new(&file, &sealed.bytes) {
            Ok(()) => {
                tracing::warn!(record = %sealed.record_id, file = %file.display(), "sealed record kept in a fallback folder");
                return Ok(file);
            }
            Err(e) => problems.push(format!("{}: {e}", file.display())),
        }
    }
    Err(problems)
}

/// `rekam queue import FILE`: a record this station sealed but could not store (saved
/// elsewhere by `rekam enroll`) is verified against the station's keys, checked against the
/// recording-once rule, committed durably to the queue, and the file removed.
pub fn import(config: &StationConfig, file: &Path, lang: Lang) -> anyhow::Result<String> {
    // Bounded like every record read (a device given by mistake costs at most the limit).
    let bytes =
        rekam_record::read_file(file).with_context(|| format!("reading {}", file.display()))?;
    let ring = crate::records::keyring(config)?.with_context(|| {
        lang.pick(
            "Stasiun ini belum punya kunci, jadi belum menandatangani rekaman apa pun: berkas ini bukan dari stasiun ini.",
            "This station has no key yet, so it has signed no record: this file is not from this station.",
        )
        .to_string()
    })?;
    let (v, key) = ring.verify(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} {}: {e}",
            lang.pick("Tidak diimpor:", "Not imported:"),
            file.display()
        )
    })?;
    let m = &v.manifest;
    let store = crate::records::store(config)?;
    if store.read(&m.record_id).ok().as_deref() == Some(bytes.as_slice()) {
        return Ok(format!(
            "{} {} {}\n",
            lang.pick("Rekaman", "Record"),
            m.record_id,
            lang.pick(
                "sudah ada di antrean; tidak ada yang diimpor.",
                "is already in the queue; nothing imported."
            )
        ));
    }
    rekam_pipeline::check_recording_once(&store, &m.person.nik, m.person.service).map_err(|e| {
        anyhow::anyhow!(
            "{} {}: {e}",
            lang.pick("Tidak diimpor:", "Not imported:"),
            file.display()
        )
    })?;
    let entry = store.commit(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} {}: {e}",
            lang.pick("Tidak diimpor:", "Not imported:"),
            file.display()
        )
    })?;
    let mut s = format!(
        "{} {} ({} {}{})\n",
        lang.pick(
            "Diimpor ke antrean: rekaman",
            "Imported into the queue: record"
        ),
        entry.record_id,
        lang.pick("ditandatangani kunci", "signed with key"),
        key.fingerprint(),
        if key.retired_at.is_some() {
            lang.pick(", kunci lama", ", a retired key")
        } else {
            ""
        }
    );
    // The record is durable in the store: the copy elsewhere (the person's data) goes.
    match std::fs::remove_file(file) {
        Ok(()) => s.push_str(&format!(
            "{} {}\n",
            lang.pick("Berkas dihapus:", "File removed:"),
            file.display()
        )),
        Err(e) => s.push_str(&format!(
            "! {} {} ({e}): {}\n",
            lang.pick("Berkas tidak dapat dihapus:", "Could not remove"),
            file.display(),
            lang.pick(
                "hapus sendiri, berkas itu berisi data pemohon.",
                "delete it yourself, it holds the applicant's data."
            )
        )),
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed() -> Sealed {
        Sealed {
            record_id: "0190e6f4-0000-7000-8000-000000000001".into(),
            bytes: vec![7; 1000],
        }
    }

    #[test]
    fn the_fallback_skips_unsafe_folders_and_writes_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        // Open to everyone: not used, and not tightened behind the owner's back.
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        // A link to a folder: not used either.
        let link = dir.path().join("link");
        let private = dir.path().join("private");
        std::fs::create_dir(&private).unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::symlink(&private, &link).unwrap();
        let fresh = dir.path().join("a/b/unsaved");
        let file = fallback(&sealed(), &[open.clone(), link.clone(), fresh.clone()]).unwrap();
        assert_eq!(file, fresh.join(format!("{}.rkm", sealed().record_id)));
        assert_eq!(std::fs::read(&file).unwrap(), sealed().bytes);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&fresh), 0o700);
        assert_eq!(mode(&open), 0o777);
        assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0);
        assert_eq!(std::fs::read_dir(&private).unwrap().count(), 0);
        // Never over an existing file; every refusal says why.
        let problems = fallback(&sealed(), &[open, link, fresh]).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("open to other users"), "{problems:?}");
        assert!(problems[1].contains("link"), "{problems:?}");
    }

    #[test]
    fn saved_where_the_operator_says() {
        let dir = tempfile::tempdir().unwrap();
        let (file, warning) = save_to(dir.path(), &sealed()).unwrap();
        assert_eq!(file.parent(), Some(dir.path()));
        assert!(warning.is_none());
        let named = dir.path().join("budi.rkm");
        assert_eq!(save_to(&named, &sealed()).unwrap().0, named);
        assert!(save_to(&named, &sealed()).is_err(), "not over a file");
        assert!(save_to(&dir.path().join("no/such/dir/x.rkm"), &sealed()).is_err());
    }
}
