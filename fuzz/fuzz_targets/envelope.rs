//! Arbitrary bytes as an envelope file (a USB stick, a damaged disk, the wire): the parser, the
//! station's signature check and the centre's decryption never panic, and never accept what
//! the fixed station key did not sign or the fixed centre key cannot open.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rekam_envelope::{open, CentreSecretKey, Envelope};

fuzz_target!(|data: &[u8]| {
    let station = ed25519_dalek::SigningKey::from_bytes(&[3; 32]).verifying_key();
    let centre = CentreSecretKey::derive(b"fuzz centre");
    if let Ok(env) = Envelope::parse(data) {
        assert!(env.verify(&station).is_err());
        let _ = env.open(&centre);
    }
    assert!(open(data, &station, &centre).is_err());
});
