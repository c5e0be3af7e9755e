//! Arbitrary bytes into the WSQ decoder (`rekam_wsq::info` and `decode`): an error, never a
//! panic, and a decoded image holds exactly width x height pixels.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rekam_wsq::info(data);
    if let Ok(img) = rekam_wsq::decode(data) {
        assert_eq!(img.pixels.len(), img.width as usize * img.height as usize);
    }
});
