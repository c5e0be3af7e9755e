//! Arbitrary bytes, fed in arbitrary pieces, into the R30x packet decoder: no panic, bounded
//! buffering, and every packet it returns re-encodes to bytes that decode to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rekam_fingerprint::codec::{Decoder, MAX_PAYLOAD, PREFIX_LEN};

fuzz_target!(|data: &[u8]| {
    let Some((&split, bytes)) = data.split_first() else { return };
    let piece = usize::from(split).max(1);
    let mut d = Decoder::new();
    for chunk in bytes.chunks(piece) {
        d.push(chunk);
        while let Some(r) = d.next_packet() {
            if let Ok(p) = r {
                let mut again = Decoder::new();
                again.push(&p.encode());
                assert_eq!(again.next_packet(), Some(Ok(p)));
            }
        }
        assert!(d.pending() < PREFIX_LEN + MAX_PAYLOAD + 2);
    }
});
