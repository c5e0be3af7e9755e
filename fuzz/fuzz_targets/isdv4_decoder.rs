//! Arbitrary bytes into the ISDV4 decoder: no panic; every pen report re-encodes to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rekam_sigpad::codec::{Decoder, Event, PenReport};

fuzz_target!(|data: &[u8]| {
    let mut d = Decoder::new();
    for &b in data {
        if let Some(Event::Pen(r)) = d.push(b) {
            assert_eq!(PenReport::decode(&r.encode()), Some(r));
        }
    }
});
