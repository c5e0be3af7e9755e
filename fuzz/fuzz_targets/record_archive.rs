//! Arbitrary bytes as a record file (a USB stick, a damaged disk): the archive reader, the
//! manifest parser and the verifier never panic, and never accept what the fixed key did not sign.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rekam_record::{read_unverified, tar, verify, StationKey};

fuzz_target!(|data: &[u8]| {
    let _ = tar::read(data);
    let _ = read_unverified(data);
    let key = StationKey::from_seed([3; 32]);
    assert!(verify(data, &key.verifying_key()).is_err());
});
