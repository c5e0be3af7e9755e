//! Packet framing of the R30x/R50x serial protocol (see `docs/protocols/r30x.md`).
//!
//! ```text
//! EF 01 | AA AA AA AA | PID | LL LL | payload ... | CC CC
//! header  address       kind  length  (length-2)    checksum
//! ```
//! Big-endian throughout. `length` counts the payload plus the two checksum bytes; the checksum
//! is the low 16 bits of the sum of the kind byte, both length bytes and every payload byte.

use std::fmt;

/// The two bytes every packet starts with.
pub const HEADER: [u8; 2] = [0xEF, 0x01];
/// The factory-default module address, also accepted by every module as "any".
pub const DEFAULT_ADDRESS: u32 = 0xFFFF_FFFF;
/// Bytes before the payload: header, address, kind, length.
pub const PREFIX_LEN: usize = 9;
/// The largest payload a module sends (a 256-byte data packet).
pub const MAX_PAYLOAD: usize = 256;

/// The packet identifier (byte 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// 0x01: a command from the host.
    Command,
    /// 0x02: a data packet, more follow.
    Data,
    /// 0x07: the module's acknowledgement of a command.
    Ack,
    /// 0x08: the last data packet.
    EndData,
}

impl PacketKind {
    /// The wire value.
    pub fn byte(self) -> u8 {
        match self {
            PacketKind::Command => 0x01,
            PacketKind::Data => 0x02,
            PacketKind::Ack => 0x07,
            PacketKind::EndData => 0x08,
        }
    }

    /// The kind for a wire value.
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            0x01 => Some(PacketKind::Command),
            0x02 => Some(PacketKind::Data),
            0x07 => Some(PacketKind::Ack),
            0x08 => Some(PacketKind::EndData),
            _ => None,
        }
    }
}

/// One packet.
#[derive(Clone, PartialEq, Eq)]
pub struct Packet {
    /// The module address it is sent to or from.
    pub address: u32,
    /// Its kind.
    pub kind: PacketKind,
    /// Its payload (instruction code and parameters, confirmation code and data, or data).
    pub payload: Vec<u8>,
}

impl fmt::Debug for Packet {
    // Payloads may be image data: print the size and the first bytes only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = &self.payload[..self.payload.len().min(4)];
        write!(
            f,
            "Packet {{ address: {:#010x}, kind: {:?}, len: {}, head: {:02x?} }}",
            self.address,
            self.kind,
            self.payload.len(),
            head
        )
    }
}

impl Packet {
    /// A command packet: instruction code followed by its parameters.
    pub fn command(address: u32, instruction: u8, params: &[u8]) -> Self {
        let mut payload = Vec::with_capacity(1 + params.len());
        payload.push(instruction);
        payload.extend_from_slice(params);
        Self {
            address,
            kind: PacketKind::Command,
            payload,
        }
    }

    /// An acknowledgement: confirmation code followed by data.
    pub fn ack(address: u32, code: u8, data: &[u8]) -> Self {
        let mut payload = Vec::with_capacity(1 + data.len());
        payload.push(code);
        payload.extend_from_slice(data);
        Self {
            address,
            kind: PacketKind::Ack,
            payload,
        }
    }

    /// The bytes on the wire.
    ///
    /// ```
    /// use rekam_fingerprint::codec::{Packet, DEFAULT_ADDRESS};
    /// // GenImg (0x01) to the default address, from the R307 manual.
    /// let bytes = Packet::command(DEFAULT_ADDRESS, 0x01, &[]).encode();
    /// assert_eq!(bytes, [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x01, 0x00, 0x05]);
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PREFIX_LEN + self.payload.len() + 2);
        self.encode_into(&mut out);
        out
    }

    /// Appends the bytes on the wire to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let len = (self.payload.len() + 2) as u16;
        out.extend_from_slice(&HEADER);
        out.extend_from_slice(&self.address.to_be_bytes());
        out.push(self.kind.byte());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.payload);
        out.extend_from_slice(&checksum(self.kind.byte(), len, &self.payload).to_be_bytes());
    }

    /// The number of bytes this packet takes on the wire.
    pub fn wire_len(&self) -> usize {
        PREFIX_LEN + self.payload.len() + 2
    }
}

/// The packet checksum: low 16 bits of kind + length bytes + payload bytes.
pub fn checksum(kind: u8, len: u16, payload: &[u8]) -> u16 {
    let [hi, lo] = len.to_be_bytes();
    payload.iter().fold(
        u32::from(kind) + u32::from(hi) + u32::from(lo),
        |acc, &b| acc + u32::from(b),
    ) as u16
}

/// Something wrong in the received byte stream. The decoder has already skipped past it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A complete frame whose checksum does not match.
    #[error(
        "a packet arrived with a bad checksum (computed {computed:#06x}, received {received:#06x})"
    )]
    BadChecksum {
        /// What the bytes add up to.
        computed: u16,
        /// What the packet claimed.
        received: u16,
        /// The address in the damaged frame.
        address: u32,
        /// The kind in the damaged frame, if valid.
        kind: Option<PacketKind>,
    },
    /// A header followed by an unknown packet kind.
    #[error("a packet arrived with an unknown kind byte {0:#04x}")]
    UnknownKind(u8),
    /// A header followed by an impossible length.
    #[error("a packet arrived with an impossible length {0}")]
    BadLength(u16),
    /// The line fell quiet in the middle of a frame (bytes were lost).
    #[error("a packet stopped short: {0} bytes of an incomplete frame")]
    Truncated(usize),
}

/// Turns a byte stream into packets, resynchronising on the header after garbage.
///
/// ```
/// use rekam_fingerprint::codec::{Decoder, Packet, DEFAULT_ADDRESS};
/// let mut d = Decoder::new();
/// d.push(&[0x00, 0x13]); // line noise
/// d.push(&Packet::ack(DEFAULT_ADDRESS, 0x00, &[]).encode());
/// let p = d.next_packet().unwrap().unwrap();
/// assert_eq!(p.payload, [0x00]);
/// assert_eq!(d.skipped(), 2);
/// ```
#[derive(Debug, Default, Clone)]
pub struct Decoder {
    buf: Vec<u8>,
    skipped: u64,
}

impl Decoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Garbage bytes skipped so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Bytes held that do not yet form a packet.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Removes `byte` if it is the next unread byte (e.g. the module's 0x55 ready byte, which is
    /// not a packet). Returns whether it was there.
    pub fn take_byte(&mut self, byte: u8) -> bool {
        if self.buf.first() == Some(&byte) {
            self.buf.remove(0);
            true
        } else {
            false
        }
    }

    /// Whether a header has been seen whose frame is not complete yet.
    pub fn in_frame(&self) -> bool {
        self.buf.starts_with(&HEADER)
    }

    /// Forgets everything buffered.
    pub fn clear(&mut self) {
        self.skipped += self.buf.len() as u64;
        self.buf.clear();
    }

    fn drop_front(&mut self, n: usize) {
        self.skipped += n as u64;
        self.buf.drain(..n);
    }

    /// The next complete packet, an error for a damaged frame (already skipped), or `None` when
    /// more bytes are needed.
    pub fn next_packet(&mut self) -> Option<Result<Packet, DecodeError>> {
        // Find the header.
        match self.buf.windows(2).position(|w| w == HEADER) {
            Some(0) => {}
            Some(i) => self.drop_front(i),
            None => {
                // Keep a trailing 0xEF: it may be the first half of a header.
                let keep = usize::from(self.buf.last() == Some(&HEADER[0]));
                let n = self.buf.len() - keep;
                self.drop_front(n);
                return None;
            }
        }
        if self.buf.len() < PREFIX_LEN {
            return None;
        }
        let kind_byte = self.buf[6];
        let len = u16::from_be_bytes([self.buf[7], self.buf[8]]);
        let Some(kind) = PacketKind::from_byte(kind_byte) else {
            self.drop_front(1);
            return Some(Err(DecodeError::UnknownKind(kind_byte)));
        };
        if !(2..=(MAX_PAYLOAD as u16 + 2)).contains(&len) {
            self.drop_front(1);
            return Some(Err(DecodeError::BadLength(len)));
        }
        let total = PREFIX_LEN + usize::from(len);
        if self.buf.len() < total {
            return None;
        }
        let address = u32::from_be_bytes([self.buf[2], self.buf[3], self.buf[4], self.buf[5]]);
        let payload = &self.buf[PREFIX_LEN..total - 2];
        let computed = checksum(kind_byte, len, payload);
        let received = u16::from_be_bytes([self.buf[total - 2], self.buf[total - 1]]);
        if computed != received {
            // Skip only the header's first byte: if this "header" was noise, a real packet
            // may start inside what we would otherwise throw away.
            self.drop_front(1);
            return Some(Err(DecodeError::BadChecksum {
                computed,
                received,
                address,
                kind: Some(kind),
            }));
        }
        let packet = Packet {
            address,
            kind,
            payload: payload.to_vec(),
        };
        self.buf.drain(..total);
        Some(Ok(packet))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kind() -> impl Strategy<Value = PacketKind> {
        prop_oneof![
            Just(PacketKind::Command),
            Just(PacketKind::Data),
            Just(PacketKind::Ack),
            Just(PacketKind::EndData)
        ]
    }

    fn packet() -> impl Strategy<Value = Packet> {
        (
            any::<u32>(),
            kind(),
            proptest::collection::vec(any::<u8>(), 0..=MAX_PAYLOAD),
        )
            .prop_map(|(address, kind, payload)| Packet {
                address,
                kind,
                payload,
            })
    }

    #[test]
    fn vfypwd_matches_the_manual() {
        // VfyPwd with password 0, from the R307 user manual's example.
        let bytes = Packet::command(DEFAULT_ADDRESS, 0x13, &[0, 0, 0, 0]).encode();
        assert_eq!(
            bytes,
            [
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x07, 0x13, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x1B
            ]
        );
    }

    #[test]
    fn a_corrupted_frame_is_reported_and_the_next_one_found() {
        let mut bad = Packet::ack(DEFAULT_ADDRESS, 0, &[1, 2, 3]).encode();
        let n = bad.len();
        bad[n - 1] ^= 0x40;
        let good = Packet::ack(DEFAULT_ADDRESS, 0, &[4]).encode();
        let mut d = Decoder::new();
        d.push(&bad);
        d.push(&good);
        assert!(matches!(
            d.next_packet(),
            Some(Err(DecodeError::BadChecksum { .. }))
        ));
        let p = d.next_packet().unwrap().unwrap();
        assert_eq!(p.payload, [0, 4]);
        assert!(d.next_packet().is_none());
    }

    #[test]
    fn an_impossible_length_is_skipped() {
        let mut d = Decoder::new();
        d.push(&[0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0xFF, 0xFF]);
        assert_eq!(d.next_packet(), Some(Err(DecodeError::BadLength(0xFFFF))));
        assert!(d.next_packet().is_none());
    }

    proptest! {
        #[test]
        fn round_trip(p in packet()) {
            let mut d = Decoder::new();
            d.push(&p.encode());
            prop_assert_eq!(d.next_packet(), Some(Ok(p)));
            prop_assert_eq!(d.pending(), 0);
        }

        #[test]
        fn round_trip_after_noise_and_in_pieces(
            noise in proptest::collection::vec(any::<u8>().prop_filter("not a header start", |b| *b != 0xEF), 0..40),
            p in packet(),
            split in 1usize..64,
        ) {
            let mut bytes = noise.clone();
            bytes.extend(p.encode());
            let mut d = Decoder::new();
            let mut got = None;
            for chunk in bytes.chunks(split) {
                d.push(chunk);
                while let Some(r) = d.next_packet() {
                    if let Ok(pk) = r { got = Some(pk); }
                }
            }
            prop_assert_eq!(got, Some(p));
            prop_assert_eq!(d.skipped(), noise.len() as u64);
        }

        #[test]
        fn arbitrary_bytes_never_panic_and_are_consumed(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut d = Decoder::new();
            d.push(&bytes);
            let mut n = 0;
            while d.next_packet().is_some() { n += 1; prop_assert!(n < 1000); }
            // Whatever is left is a possible start of a packet, never more than one frame.
            prop_assert!(d.pending() < PREFIX_LEN + MAX_PAYLOAD + 2);
        }
    }
}
