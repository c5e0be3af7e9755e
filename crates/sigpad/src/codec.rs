//! The Wacom ISDV4 (W8001) serial pen protocol (see `docs/protocols/isdv4.md`).
//!
//! Host to pad: single ASCII bytes. Pad to host: packets whose first byte has bit 7 set and whose
//! other bytes have bit 7 clear. Bit 6 of the first byte marks a control (query reply) packet of
//! 11 bytes; bit 4 a touch packet; otherwise a 9-byte pen packet.

/// Stop sending reports.
pub const CMD_STOP: u8 = b'0';
/// Start sending reports.
pub const CMD_START: u8 = b'1';
/// Ask for the pen capabilities (answered by an 11-byte query reply).
pub const CMD_QUERY: u8 = b'*';

/// Bit 7: first byte of every packet.
pub const LEAD_BIT: u8 = 0x80;
/// Bit 6 of the first byte: a control packet (query reply).
pub const CONTROL_BIT: u8 = 0x40;
/// Bit 5 of the first byte of a pen packet: pen in proximity.
pub const PROXIMITY_BIT: u8 = 0x20;
/// Bit 4 of the first byte: a touch packet.
pub const TOUCH_BIT: u8 = 0x10;
/// Bit 2 of a pen packet: second side switch or eraser.
pub const SIDE2_BIT: u8 = 0x04;
/// Bit 1 of a pen packet: side switch.
pub const SIDE_BIT: u8 = 0x02;
/// Bit 0 of a pen packet: tip touching.
pub const TIP_BIT: u8 = 0x01;

/// Length of a pen packet.
pub const PEN_LEN: usize = 9;
/// Length of a query reply.
pub const QUERY_LEN: usize = 11;
/// Length of a one-finger touch packet (sensor ids 0 and 2).
pub const TOUCH_LEN: usize = 5;

/// One pen packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PenReport {
    /// Pen within sensing range.
    pub proximity: bool,
    /// Tip touching.
    pub tip: bool,
    /// Side switch pressed.
    pub side: bool,
    /// Second side switch or eraser end.
    pub side2: bool,
    /// X, 16 bits.
    pub x: u16,
    /// Y, 16 bits.
    pub y: u16,
    /// Pressure, 10 bits.
    pub pressure: u16,
    /// Tilt X, 7 bits.
    pub tilt_x: u8,
    /// Tilt Y, 7 bits.
    pub tilt_y: u8,
}

/// The reply to the query command: the pen's ranges and the firmware version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct QueryReply {
    /// Largest X.
    pub max_x: u16,
    /// Largest Y.
    pub max_y: u16,
    /// Largest pressure.
    pub max_pressure: u16,
    /// Largest tilt X (0 when the pen has no tilt).
    pub max_tilt_x: u8,
    /// Largest tilt Y.
    pub max_tilt_y: u8,
    /// Firmware version, 14 bits.
    pub version: u16,
}

/// Packs x, y, pressure and tilt into bytes 1-8 of a pen or query packet.
fn pack_coords(out: &mut [u8], x: u16, y: u16, pressure: u16, tilt_x: u8, tilt_y: u8) {
    out[1] = ((x >> 9) & 0x7F) as u8;
    out[2] = ((x >> 2) & 0x7F) as u8;
    out[3] = ((y >> 9) & 0x7F) as u8;
    out[4] = ((y >> 2) & 0x7F) as u8;
    out[5] = (pressure & 0x7F) as u8;
    out[6] = (((x & 0x3) << 5) | ((y & 0x3) << 3) | ((pressure >> 7) & 0x7)) as u8;
    out[7] = tilt_x & 0x7F;
    out[8] = tilt_y & 0x7F;
}

/// Reads x, y, pressure and tilt from bytes 1-8.
fn unpack_coords(d: &[u8]) -> (u16, u16, u16, u8, u8) {
    let x = (u16::from(d[1] & 0x7F) << 9)
        | (u16::from(d[2] & 0x7F) << 2)
        | u16::from((d[6] & 0x60) >> 5);
    let y = (u16::from(d[3] & 0x7F) << 9)
        | (u16::from(d[4] & 0x7F) << 2)
        | u16::from((d[6] & 0x18) >> 3);
    let p = u16::from(d[5] & 0x7F) | (u16::from(d[6] & 0x07) << 7);
    (x, y, p, d[7] & 0x7F, d[8] & 0x7F)
}

impl PenReport {
    /// The 9 bytes on the wire. Pressure above 1023 is clamped to 10 bits.
    ///
    /// ```
    /// use rekam_sigpad::codec::PenReport;
    /// let r = PenReport { proximity: true, tip: true, x: 0x1234, y: 0x0567, pressure: 512, ..Default::default() };
    /// let b = r.encode();
    /// assert_eq!(b[0], 0xA1); // lead, proximity, tip
    /// assert!(b[1..].iter().all(|x| x & 0x80 == 0));
    /// assert_eq!(PenReport::decode(&b), Some(r));
    /// ```
    pub fn encode(&self) -> [u8; PEN_LEN] {
        let mut b = [0u8; PEN_LEN];
        b[0] = LEAD_BIT
            | if self.proximity { PROXIMITY_BIT } else { 0 }
            | if self.side2 { SIDE2_BIT } else { 0 }
            | if self.side { SIDE_BIT } else { 0 }
            | if self.tip { TIP_BIT } else { 0 };
        pack_coords(
            &mut b,
            self.x,
            self.y,
            self.pressure.min(1023),
            self.tilt_x,
            self.tilt_y,
        );
        b
    }

    /// Parses a 9-byte pen packet; `None` if it is not one.
    pub fn decode(b: &[u8]) -> Option<Self> {
        if b.len() != PEN_LEN || b[0] & (LEAD_BIT | CONTROL_BIT | TOUCH_BIT) != LEAD_BIT {
            return None;
        }
        let (x, y, pressure, tilt_x, tilt_y) = unpack_coords(b);
        Some(Self {
            proximity: b[0] & PROXIMITY_BIT != 0,
            tip: b[0] & TIP_BIT != 0,
            side: b[0] & SIDE_BIT != 0,
            side2: b[0] & SIDE2_BIT != 0,
            x,
            y,
            pressure,
            tilt_x,
            tilt_y,
        })
    }
}

impl QueryReply {
    /// The 11 bytes on the wire.
    pub fn encode(&self) -> [u8; QUERY_LEN] {
        let mut b = [0u8; QUERY_LEN];
        b[0] = LEAD_BIT | CONTROL_BIT;
        pack_coords(
            &mut b,
            self.max_x,
            self.max_y,
            self.max_pressure.min(1023),
            self.max_tilt_x,
            self.max_tilt_y,
        );
        b[9] = ((self.version >> 7) & 0x7F) as u8;
        b[10] = (self.version & 0x7F) as u8;
        b
    }

    /// Parses an 11-byte query reply.
    pub fn decode(b: &[u8]) -> Option<Self> {
        if b.len() != QUERY_LEN || b[0] & (LEAD_BIT | CONTROL_BIT) != (LEAD_BIT | CONTROL_BIT) {
            return None;
        }
        let (max_x, max_y, max_pressure, max_tilt_x, max_tilt_y) = unpack_coords(b);
        Some(Self {
            max_x,
            max_y,
            max_pressure,
            max_tilt_x,
            max_tilt_y,
            version: (u16::from(b[9] & 0x7F) << 7) | u16::from(b[10] & 0x7F),
        })
    }
}

/// What the decoder found in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A pen packet.
    Pen(PenReport),
    /// A query reply.
    Query(QueryReply),
    /// A touch packet (the signature pad ignores touch).
    Touch,
}

/// The decoder's state: waiting for a first byte, or collecting a packet of known length.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Sync,
    Collect { len: usize },
}

/// Splits the pad's byte stream into packets, resynchronising on the lead bit.
///
/// Unlike a decoder that trusts the packet length, a byte with bit 7 set inside a packet starts
/// a new packet: the partial one is counted as garbage.
#[derive(Debug, Clone)]
pub struct Decoder {
    state: State,
    buf: Vec<u8>,
    garbage: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Self {
            state: State::Sync,
            buf: Vec::with_capacity(QUERY_LEN),
            garbage: 0,
        }
    }
}

impl Decoder {
    /// A decoder waiting for a first byte.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes dropped as garbage so far.
    pub fn garbage(&self) -> u64 {
        self.garbage
    }

    /// Bytes of a packet begun and not yet complete (0 when waiting for a first byte).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Feeds one byte; returns an event when it completes a packet.
    pub fn push(&mut self, byte: u8) -> Option<Event> {
        if byte & LEAD_BIT != 0 {
            if !self.buf.is_empty() {
                self.garbage += self.buf.len() as u64;
                self.buf.clear();
            }
            let len = if byte & CONTROL_BIT != 0 {
                QUERY_LEN
            } else if byte & TOUCH_BIT != 0 {
                TOUCH_LEN
            } else {
                PEN_LEN
            };
            self.buf.push(byte);
            self.state = State::Collect { len };
            return None;
        }
        match self.state {
            State::Sync => {
                self.garbage += 1;
                None
            }
            State::Collect { len } => {
                self.buf.push(byte);
                if self.buf.len() < len {
                    return None;
                }
                let ev = match len {
                    QUERY_LEN => QueryReply::decode(&self.buf).map(Event::Query),
                    PEN_LEN => PenReport::decode(&self.buf).map(Event::Pen),
                    _ => Some(Event::Touch),
                };
                self.buf.clear();
                self.state = State::Sync;
                ev
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kernel_layout_of_a_pen_packet() {
        // Bytes as the Linux w8001 driver's parse_pen_data reads them: x = 0x7F<<9 | 0x7F<<2 | 3.
        let b = [
            0xA1,
            0x7F,
            0x7F,
            0x00,
            0x01,
            0x10,
            0x60 | 0x08 | 0x02,
            0x05,
            0x06,
        ];
        let r = PenReport::decode(&b).unwrap();
        assert_eq!(r.x, 0xFFFF);
        assert_eq!(r.y, (1 << 2) | 1);
        assert_eq!(r.pressure, 0x10 | (2 << 7));
        assert!(r.proximity && r.tip && !r.side);
        assert_eq!((r.tilt_x, r.tilt_y), (5, 6));
    }

    #[test]
    fn query_reply_round_trips() {
        let q = QueryReply {
            max_x: 15200,
            max_y: 9500,
            max_pressure: 1023,
            max_tilt_x: 0,
            max_tilt_y: 0,
            version: 0x0123,
        };
        let b = q.encode();
        assert_eq!(b[0], 0xC0);
        assert_eq!(QueryReply::decode(&b), Some(q));
        let mut d = Decoder::new();
        let evs: Vec<_> = b.iter().filter_map(|&x| d.push(x)).collect();
        assert_eq!(evs, vec![Event::Query(q)]);
    }

    #[test]
    fn a_cut_packet_is_dropped_and_the_next_one_read() {
        let a = PenReport {
            proximity: true,
            x: 100,
            y: 200,
            ..Default::default()
        }
        .encode();
        let b = PenReport {
            proximity: true,
            tip: true,
            x: 300,
            y: 400,
            pressure: 9,
            ..Default::default()
        }
        .encode();
        let mut d = Decoder::new();
        let mut evs = vec![];
        for &x in a[..5].iter().chain(b.iter()) {
            evs.extend(d.push(x));
        }
        assert_eq!(evs, vec![Event::Pen(PenReport::decode(&b).unwrap())]);
        assert_eq!(d.garbage(), 5);
    }

    fn report() -> impl Strategy<Value = PenReport> {
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<u16>(),
            any::<u16>(),
            0u16..1024,
            0u8..128,
            0u8..128,
        )
            .prop_map(
                |(proximity, tip, side, side2, x, y, pressure, tilt_x, tilt_y)| PenReport {
                    proximity,
                    tip,
                    side,
                    side2,
                    x,
                    y,
                    pressure,
                    tilt_x,
                    tilt_y,
                },
            )
    }

    proptest! {
        #[test]
        fn pen_reports_round_trip(r in report()) {
            let b = r.encode();
            prop_assert_eq!(PenReport::decode(&b), Some(r));
            let mut d = Decoder::new();
            let evs: Vec<_> = b.iter().filter_map(|&x| d.push(x)).collect();
            prop_assert_eq!(evs, vec![Event::Pen(r)]);
        }

        #[test]
        fn query_replies_round_trip(max_x: u16, max_y: u16, max_pressure in 0u16..1024, tx in 0u8..128, ty in 0u8..128, version in 0u16..(1 << 14)) {
            let q = QueryReply { max_x, max_y, max_pressure, max_tilt_x: tx, max_tilt_y: ty, version };
            prop_assert_eq!(QueryReply::decode(&q.encode()), Some(q));
        }

        #[test]
        fn a_stream_survives_noise(noise in proptest::collection::vec(0u8..0x80, 0..20), rs in proptest::collection::vec(report(), 1..20)) {
            let mut d = Decoder::new();
            for &b in &noise { prop_assert_eq!(d.push(b), None); }
            let mut got = vec![];
            for r in &rs { for &b in &r.encode() { got.extend(d.push(b)); } }
            prop_assert_eq!(got, rs.iter().map(|r| Event::Pen(*r)).collect::<Vec<_>>());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..500)) {
            let mut d = Decoder::new();
            for b in bytes { let _ = d.push(b); }
        }
    }
}
