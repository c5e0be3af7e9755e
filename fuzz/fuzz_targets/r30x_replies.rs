//! Arbitrary acknowledgement data into the parsers of ReadSysPara and ReadProdInfo replies.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rekam_fingerprint::{ProductInfo, SystemParameters};

fuzz_target!(|data: &[u8]| {
    let _ = SystemParameters::parse(data);
    let _ = ProductInfo::parse(data);
    let _ = rekam_fingerprint::unpack_image(data, 16, 16);
});
