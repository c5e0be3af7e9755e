//! The station's ed25519 key: created on first run, stored owner-only (0600), never printed or
//! logged; its public half is exported for the registry.

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
    /// none. Refuses a key file that others can read.
    pub fn load_or_create(path: &Path) -> Result<Self, RecordError> {
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
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
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
