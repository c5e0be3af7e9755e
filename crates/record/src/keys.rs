//! The station's ed25519 key: created on first run, stored owner-only (0600), never printed or
//! logged; its public half is exported for the registry. The keyring beside the record store
//! keeps every public key the station has signed with: a missing key is refused rather than
//! replaced ([`KeyFiles::open`]), a deliberate rotation retires the old key
//! ([`KeyFiles::rotate`]), and old records still verify ([`Keyring::verify`]).

use std::fmt;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::{hex, unhex, RecordError};

/// The station's signing key.
pub struct StationKey {
    key: SigningKey,
}

impl fmt::Debug for StationKey {
    // The secret never reaches a log: only the public key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StationKey {{ public: {} }}", self.public_hex())
    }
}

impl StationKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Self {
        Self {
            key: SigningKey::generate(&mut rand_core::OsRng),
        }
    }

    /// A key from its 32-byte seed (tests and imports).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// Loads the key at `path`, or creates it there (mode 0600, written and synced) if there is
    /// none. Refuses a key file that others can read. The station opens its key through
    /// [`KeyFiles::open`] instead, which never replaces a key the station has had.
    pub fn load_or_create(path: &Path) -> Result<Self, RecordError> {
        Self::load_or_create_at(path, true)
    }

    /// Loads the key at `path`; creates it there only with `create`.
    fn load_or_create_at(path: &Path, create: bool) -> Result<Self, RecordError> {
        match std::fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(RecordError::Key(format!(
                        "the station key {} can be read by other users (mode {mode:o}): run `chmod 600 {}`",
                        path.display(),
                        path.display()
                    )));
                }
                let text = std::fs::read_to_string(path).map_err(|e| {
                    RecordError::Key(format!(
                        "cannot read the station key {}: {e}",
                        path.display()
                    ))
                })?;
                let seed: [u8; 32] = unhex(text.trim())
                    .and_then(|v| v.try_into().ok())
                    .ok_or_else(|| {
                        RecordError::Key(format!(
                            "the station key {} is damaged (not 64 hexadecimal digits); restore it from the station's backup",
                            path.display()
                        ))
                    })?;
                Ok(Self::from_seed(seed))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let key = Self::generate();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        RecordError::Key(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| {
                        RecordError::Key(format!(
                            "cannot create the station key {}: {e}",
                            path.display()
                        ))
                    })?;
                f.write_all(format!("{}\n", hex(&key.key.to_bytes())).as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| {
                        RecordError::Key(format!(
                            "cannot write the station key {}: {e}",
                            path.display()
                        ))
                    })?;
                if let Some(dir) = path.parent() {
                    if let Ok(d) = std::fs::File::open(dir) {
                        let _ = d.sync_all();
                    }
                }
                tracing::info!(public = %key.public_hex(), "created the station key");
                Ok(key)
            }
            Err(e) => Err(RecordError::Key(format!(
                "cannot read the station key {}: {e}",
                path.display()
            ))),
        }
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The public key, hex.
    pub fn public_hex(&self) -> String {
        hex(self.key.verifying_key().as_bytes())
    }

    /// Signs `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }
}

/// The short fingerprint of a public key (hex): the first 16 hex digits of its SHA-256, as
/// `rekam key show` prints it.
pub fn key_fingerprint(public_hex: &str) -> String {
    let bytes = unhex(public_hex.trim()).unwrap_or_default();
    crate::sha256_hex(&bytes)[..16].to_string()
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn key_err(what: &str, path: &Path, e: impl fmt::Display) -> RecordError {
    RecordError::Key(format!("cannot {what} {}: {e}", path.display()))
}

fn sync_parent(path: &Path) -> Result<(), RecordError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| key_err("sync the folder", dir, e))
}

/// Writes `text` to `path` owner-only (0600) and durably: a new file beside it, fsync,
/// rename, fsync of the folder.
fn write_private(path: &Path, text: &str) -> Result<(), RecordError> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| key_err("create", dir, e))?;
        }
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| key_err("create", &tmp, e))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| key_err("write", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| key_err("write", path, e))?;
    sync_parent(path)
}

/// One public key the station has signed with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyringEntry {
    /// The ed25519 public key, hex.
    pub public_key: String,
    /// When the station started signing with it (RFC 3339; for a station older than its
    /// keyring, when the keyring was written).
    pub created_at: String,
    /// When it was retired by a rotation; `None` for the current key.
    #[serde(default)]
    pub retired_at: Option<String>,
}

impl KeyringEntry {
    /// Its short fingerprint ([`key_fingerprint`]).
    pub fn fingerprint(&self) -> String {
        key_fingerprint(&self.public_key)
    }
}

/// The station's public keys, the current one and every retired one, kept beside the record
/// store (`keyring.json`). It is the durable mark that the station has had a key, so a missing
/// secret key is refused instead of silently replaced, and it lets `rekam verify` verify the
/// records signed before a rotation. It holds no secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Keyring {
    /// `rekam-keyring/1`.
    pub format: String,
    /// Oldest first; the last one not retired is the current key.
    pub keys: Vec<KeyringEntry>,
}

/// The keyring's format name.
pub const KEYRING_FORMAT: &str = "rekam-keyring/1";

impl Keyring {
    /// Reads the keyring at `path`; `None` when there is none.
    pub fn load(path: &Path) -> Result<Option<Keyring>, RecordError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(key_err("read the station keyring", path, e)),
        };
        let ring: Keyring = serde_json::from_str(&text).map_err(|e| {
            RecordError::Key(format!(
                "the station keyring {} is damaged ({e}); restore it from the station's backup",
                path.display()
            ))
        })?;
        if ring.format != KEYRING_FORMAT {
            return Err(RecordError::Key(format!(
                "the station keyring {} is of format '{}'; this station reads {KEYRING_FORMAT}",
                path.display(),
                ring.format
            )));
        }
        for k in &ring.keys {
            verifying_key_from_hex(&k.public_key).map_err(|_| {
                RecordError::Key(format!(
                    "the station keyring {} holds a public key that is not valid; restore it from the station's backup",
                    path.display()
                ))
            })?;
        }
        Ok(Some(ring))
    }

    /// Writes it durably (owner-only, like the key).
    pub fn save(&self, path: &Path) -> Result<(), RecordError> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| RecordError::Key(format!("cannot write the station keyring: {e}")))?;
        write_private(path, &(text + "\n"))
    }

    /// The key the station signs with now.
    pub fn current(&self) -> Option<&KeyringEntry> {
        self.keys.iter().rev().find(|k| k.retired_at.is_none())
    }

    /// The entry of `public_hex`, current or retired.
    pub fn find(&self, public_hex: &str) -> Option<&KeyringEntry> {
        self.keys
            .iter()
            .find(|k| k.public_key.eq_ignore_ascii_case(public_hex.trim()))
    }

    fn starting_with(public_hex: String) -> Keyring {
        Keyring {
            format: KEYRING_FORMAT.into(),
            keys: vec![KeyringEntry {
                public_key: public_hex,
                created_at: now_rfc3339(),
                retired_at: None,
            }],
        }
    }

    /// Verifies a record with the key of this keyring that its manifest names (current or
    /// retired); a record naming a key the station never had is refused without trying any.
    pub fn verify(&self, bytes: &[u8]) -> Result<(crate::Verified, KeyringEntry), RecordError> {
        let m = crate::read_unverified(bytes)?;
        let Some(entry) = self.find(&m.station_public_key) else {
            return Err(RecordError::Key(format!(
                "the record names the signing key {}, which this station never had: verify it with --public-key and the key of the station that signed it",
                key_fingerprint(&m.station_public_key)
            )));
        };
        let vk = verifying_key_from_hex(&entry.public_key)?;
        Ok((crate::verify(bytes, &vk)?, entry.clone()))
    }
}

/// The station's key files: the secret (`station.key`) and the keyring of public keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFiles {
    /// The secret key, 0600.
    pub key: std::path::PathBuf,
    /// The keyring (`keyring.json`), beside the record store.
    pub keyring: std::path::PathBuf,
}

/// What a rotation did.
#[derive(Debug)]
pub struct Rotation {
    /// The key retired, if the station had one.
    pub retired: Option<KeyringEntry>,
    /// The new key, now current.
    pub key: StationKey,
}

impl KeyFiles {
    fn pending(&self) -> std::path::PathBuf {
        let mut p = self.key.as_os_str().to_owned();
        p.push(".new");
        std::path::PathBuf::from(p)
    }

    /// Finishes a rotation interrupted between writing the keyring and putting the new key in
    /// place, or forgets one interrupted before the keyring named the new key.
    fn recover(&self, ring: Option<&Keyring>) -> Result<(), RecordError> {
        let pending = self.pending();
        if !pending.exists() {
            return Ok(());
        }
        // The keyring names the new key only once its secret was written and synced: a
        // pending key the keyring does not name (or a torn one) was never used.
        let named = StationKey::load_or_create_at(&pending, false).is_ok_and(|new| {
            ring.and_then(Keyring::current)
                .is_some_and(|c| c.public_key.eq_ignore_ascii_case(&new.public_hex()))
        });
        if named {
            std::fs::rename(&pending, &self.key).map_err(|e| key_err("write", &self.key, e))?;
            tracing::warn!("finished an interrupted key rotation");
        } else {
            std::fs::remove_file(&pending).map_err(|e| key_err("remove", &pending, e))?;
        }
        sync_parent(&self.key)
    }

    /// The keyring, if the station has one.
    pub fn keyring(&self) -> Result<Option<Keyring>, RecordError> {
        Keyring::load(&self.keyring)
    }

    /// The key to sign with. A missing key is created only for a station that never had one:
    /// no keyring and no records (`has_records`). Otherwise the station refuses, telling the
    /// technician to restore the key from backup: a new key would leave the station's earlier
    /// records unverifiable. A key that is not the keyring's current one is refused too. A
    /// station from before keyrings gets one naming its key.
    pub fn open(&self, has_records: bool) -> Result<StationKey, RecordError> {
        let ring = self.keyring()?;
        self.recover(ring.as_ref())?;
        if self.key.exists() {
            let key = StationKey::load_or_create_at(&self.key, false)?;
            match ring {
                None => {
                    Keyring::starting_with(key.public_hex()).save(&self.keyring)?;
                    tracing::info!(public = %key.public_hex(), "wrote the station keyring");
                }
                Some(r) => match (r.current(), r.find(&key.public_hex())) {
                    (Some(c), _) if c.public_key.eq_ignore_ascii_case(&key.public_hex()) => {}
                    (_, Some(old)) => {
                        return Err(RecordError::Key(format!(
                            "the station key {} is a retired key (fingerprint {}, retired {}): restore the current key{} from the station's backup",
                            self.key.display(),
                            old.fingerprint(),
                            old.retired_at.as_deref().unwrap_or("?"),
                            r.current().map(|c| format!(" (fingerprint {})", c.fingerprint())).unwrap_or_default()
                        )))
                    }
                    (c, None) => {
                        return Err(RecordError::Key(format!(
                            "the station key {} (fingerprint {}) is not this station's key{}: restore station.key from the station's backup",
                            self.key.display(),
                            key_fingerprint(&key.public_hex()),
                            c.map(|c| format!(" (the keyring {} names {})", self.keyring.display(), c.fingerprint())).unwrap_or_default()
                        )))
                    }
                },
            }
            return Ok(key);
        }
        let known = ring.as_ref().and_then(Keyring::current);
        if ring.is_some() || has_records {
            let which = match known {
                Some(c) => format!(
                    "it signed this station's records with the key of fingerprint {}",
                    c.fingerprint()
                ),
                None => "this station holds signed records".to_string(),
            };
            return Err(RecordError::Key(format!(
                "the station key {} is missing, and {which}: restore station.key from the station's backup. A new key would leave the earlier records unverifiable, so none is made. If the key is lost for good, a head of office or technician replaces it with `rekam key rotate`",
                self.key.display()
            )));
        }
        let key = StationKey::load_or_create_at(&self.key, true)?;
        Keyring::starting_with(key.public_hex()).save(&self.keyring)?;
        Ok(key)
    }

    /// Replaces the station key on purpose: a new key becomes current and the old public key
    /// stays in the keyring, retired, so earlier records still verify. Works also when the
    /// secret key is lost (the keyring keeps its public half). Crash-safe: the new secret is
    /// written beside the old one, the keyring naming it is the commit point, then the new
    /// secret is renamed into place (an interrupted rotation is finished or forgotten at the
    /// next open).
    pub fn rotate(&self) -> Result<Rotation, RecordError> {
        let mut ring = self.keyring()?;
        self.recover(ring.as_ref())?;
        if ring.is_none() && self.key.exists() {
            let key = StationKey::load_or_create_at(&self.key, false)?;
            ring = Some(Keyring::starting_with(key.public_hex()));
        }
        let mut ring = ring.unwrap_or_else(|| Keyring {
            format: KEYRING_FORMAT.into(),
            keys: Vec::new(),
        });
        let pending = self.pending();
        let _ = std::fs::remove_file(&pending);
        let key = StationKey::load_or_create_at(&pending, true)?;
        let now = now_rfc3339();
        let mut retired = None;
        for k in ring.keys.iter_mut().filter(|k| k.retired_at.is_none()) {
            k.retired_at = Some(now.clone());
            retired = Some(k.clone());
        }
        ring.keys.push(KeyringEntry {
            public_key: key.public_hex(),
            created_at: now,
            retired_at: None,
        });
        ring.save(&self.keyring)?;
        std::fs::rename(&pending, &self.key).map_err(|e| key_err("write", &self.key, e))?;
        sync_parent(&self.key)?;
        tracing::info!(public = %key.public_hex(), "rotated the station key");
        Ok(Rotation { retired, key })
    }
}

/// Parses a public key from hex.
pub fn verifying_key_from_hex(s: &str) -> Result<VerifyingKey, RecordError> {
    let b: [u8; 32] = unhex(s.trim())
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| RecordError::Key("a public key must be 64 hexadecimal digits".into()))?;
    VerifyingKey::from_bytes(&b)
        .map_err(|_| RecordError::Key("that is not a valid ed25519 public key".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_owner_only_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/station.key");
        let a = StationKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let b = StationKey::load_or_create(&path).unwrap();
        assert_eq!(a.public_hex(), b.public_hex());
        assert!(!format!("{a:?}").contains(&hex(&a.key.to_bytes())));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = StationKey::load_or_create(&path).unwrap_err();
        assert!(e.to_string().contains("chmod 600"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, "zz").unwrap();
        assert!(StationKey::load_or_create(&path)
            .unwrap_err()
            .to_string()
            .contains("damaged"));
    }

    fn files(dir: &Path) -> KeyFiles {
        KeyFiles {
            key: dir.join("station.key"),
            keyring: dir.join("store/keyring.json"),
        }
    }

    fn record(key: &StationKey) -> Vec<u8> {
        let m = crate::Manifest::new(
            "ST",
            "op",
            &key.public_hex(),
            crate::Person {
                nik: "3578011207990001".into(),
                name: "Budi".into(),
                birth_date: "1999-07-12".into(),
                sex: crate::Sex::Male,
                service: crate::Service::New,
            },
        );
        crate::seal(&m, &[], key).unwrap()
    }

    #[test]
    fn a_missing_key_is_refused_once_the_station_has_had_one() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        // A new station: no key, no keyring, no records: made quietly, with its keyring.
        let first = f.open(false).unwrap();
        let ring = f.keyring().unwrap().unwrap();
        assert_eq!(ring.current().unwrap().public_key, first.public_hex());
        let mode = std::fs::metadata(&f.keyring).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(f.open(false).unwrap().public_hex(), first.public_hex());
        // The key is deleted: refused, naming the backup, and no new key appears.
        std::fs::remove_file(&f.key).unwrap();
        let e = f.open(false).unwrap_err().to_string();
        assert!(
            e.contains("restore station.key from the station's backup"),
            "{e}"
        );
        assert!(e.contains(&key_fingerprint(&first.public_hex())), "{e}");
        assert!(!f.key.exists());
        // Records but no keyring (the keyring lost too): still refused.
        std::fs::remove_file(&f.keyring).unwrap();
        let e = f.open(true).unwrap_err().to_string();
        assert!(e.contains("holds signed records"), "{e}");
        // A station from before keyrings: its key is written into a new keyring.
        let other = StationKey::generate();
        let mut seed_file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&f.key)
            .unwrap();
        writeln!(seed_file, "{}", hex(&other.key.to_bytes())).unwrap();
        assert_eq!(f.open(true).unwrap().public_hex(), other.public_hex());
        assert_eq!(
            f.keyring().unwrap().unwrap().current().unwrap().public_key,
            other.public_hex()
        );
        // Someone else's key put in its place is refused.
        std::fs::remove_file(&f.key).unwrap();
        StationKey::load_or_create(&f.key).unwrap();
        let e = f.open(true).unwrap_err().to_string();
        assert!(e.contains("is not this station's key"), "{e}");
    }

    #[test]
    fn a_rotation_keeps_old_records_verifiable_and_says_which_key() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        let old = f.open(false).unwrap();
        let old_record = record(&old);
        let r = f.rotate().unwrap();
        assert_eq!(r.retired.as_ref().unwrap().public_key, old.public_hex());
        assert_ne!(r.key.public_hex(), old.public_hex());
        let new = f.open(true).unwrap();
        assert_eq!(new.public_hex(), r.key.public_hex());
        let new_record = record(&new);
        let ring = f.keyring().unwrap().unwrap();
        assert_eq!(ring.keys.len(), 2);
        let (_, used) = ring.verify(&old_record).unwrap();
        assert_eq!(used.public_key, old.public_hex());
        assert!(used.retired_at.is_some());
        let (_, used) = ring.verify(&new_record).unwrap();
        assert_eq!(used.public_key, new.public_hex());
        assert!(used.retired_at.is_none());
        // A record of a key the station never had is refused; a changed byte fails.
        let stranger = record(&StationKey::generate());
        assert!(ring
            .verify(&stranger)
            .unwrap_err()
            .to_string()
            .contains("never had"));
        let mut bad = old_record.clone();
        bad[700] ^= 1;
        assert!(ring.verify(&bad).is_err());
        // The old secret is gone: putting it back is refused as retired.
        std::fs::remove_file(&f.key).unwrap();
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&f.key)
            .unwrap();
        writeln!(file, "{}", hex(&old.key.to_bytes())).unwrap();
        assert!(f.open(true).unwrap_err().to_string().contains("retired"));
        // A lost key can be replaced on purpose: rotation without the secret.
        std::fs::remove_file(&f.key).unwrap();
        let r = f.rotate().unwrap();
        assert_eq!(r.retired.unwrap().public_key, new.public_hex());
        assert_eq!(f.keyring().unwrap().unwrap().keys.len(), 3);
        assert_eq!(f.open(true).unwrap().public_hex(), r.key.public_hex());
    }

    #[test]
    fn an_interrupted_rotation_is_finished_or_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        let old = f.open(false).unwrap();
        // Killed after writing the new secret, before the keyring named it: forgotten.
        StationKey::load_or_create(&f.pending()).unwrap();
        assert_eq!(f.open(true).unwrap().public_hex(), old.public_hex());
        assert!(!f.pending().exists());
        // Killed after the keyring named it, before the rename: finished.
        let new = StationKey::load_or_create(&f.pending()).unwrap();
        let mut ring = f.keyring().unwrap().unwrap();
        ring.keys[0].retired_at = Some("2026-01-01T00:00:00Z".into());
        ring.keys.push(KeyringEntry {
            public_key: new.public_hex(),
            created_at: "2026-01-01T00:00:00Z".into(),
            retired_at: None,
        });
        ring.save(&f.keyring).unwrap();
        assert_eq!(f.open(true).unwrap().public_hex(), new.public_hex());
        assert!(!f.pending().exists());
    }

    #[test]
    fn public_key_round_trips_through_hex() {
        let k = StationKey::generate();
        assert_eq!(
            verifying_key_from_hex(&k.public_hex()).unwrap(),
            k.verifying_key()
        );
        assert!(verifying_key_from_hex("abcd").is_err());
    }
}
