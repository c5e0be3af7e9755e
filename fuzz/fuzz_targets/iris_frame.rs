//! Arbitrary bytes from the iris scanner's IN endpoint into the frame and message decoders:
//! no panic, and every frame that decodes re-encodes to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rekam_iris::codec::{decode, decode_checks, frame_len, ImageHeader, Info, Status};

fuzz_target!(|data: &[u8]| {
    let _ = frame_len(data);
    if let Ok(f) = decode(data) {
        assert_eq!(f.encode(), data);
        let _ = Info::decode(&f.payload);
        let _ = Status::decode(&f.payload);
        let _ = decode_checks(&f.payload);
        let _ = ImageHeader::decode(&f.payload);
    }
});
