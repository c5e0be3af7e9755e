//! Arbitrary bytes into the ISO/IEC 19794-4, -5 and -6 readers: an error, never a panic. The
//! first byte picks the reader and the rest gets a valid magic and version prefix half the
//! time, so the fuzzer reaches the representation headers.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rekam_export::iso;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let magic: &[u8] = match pick % 3 {
        0 => b"FIR\x00020\x00",
        1 => b"FAC\x00010\x00",
        _ => b"IIR\x00020\x00",
    };
    let mut buf = Vec::with_capacity(rest.len() + 12);
    if pick & 0x80 != 0 {
        buf.extend_from_slice(magic);
        // A record length that matches, so the reader goes past the general header.
        buf.extend_from_slice(&((rest.len() + 12) as u32).to_be_bytes());
    }
    buf.extend_from_slice(rest);
    match pick % 3 {
        0 => {
            if let Ok(r) = iso::read_finger(&buf) {
                assert!(r.images.iter().all(|i| i.data.len() < buf.len()));
            }
        }
        1 => {
            let _ = iso::read_face(&buf);
        }
        _ => {
            if let Ok(r) = iso::read_iris(&buf) {
                assert!(r.iter().all(|i| i.data.len() < buf.len()));
            }
        }
    }
});
