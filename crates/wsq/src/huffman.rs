//! Huffman coding of quantised coefficients: the WSQ symbol alphabet, JPEG-style code tables
//! (IAFIS-IC-0110 Part 1 annex B, after ITU-T T.81 annex C and K.2), and the bit streams with
//! 0xFF byte stuffing.

use crate::WsqError;

/// Longest zero run coded by one symbol.
const MAX_RUN: u32 = 100;
/// Coefficients from -73 to 74 are one symbol each (value + 180).
const MIN_COEFF: i32 = -73;
const MAX_COEFF: i32 = 74;

/// A symbol and the raw bits that follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub symbol: u8,
    pub extra: u16,
    pub extra_bits: u8,
}

fn token(symbol: u8, extra: u16, extra_bits: u8) -> Token {
    Token {
        symbol,
        extra,
        extra_bits,
    }
}

/// The symbols of one block's coefficients.
pub fn tokenize(coeffs: &[i32], out: &mut Vec<Token>) {
    let mut run: u32 = 0;
    let flush = |run: &mut u32, out: &mut Vec<Token>| {
        while *run > 0 {
            let r = (*run).min(65535);
            if r <= MAX_RUN {
                out.push(token(r as u8, 0, 0));
            } else if r <= 255 {
                out.push(token(105, r as u16, 8));
            } else {
                out.push(token(106, r as u16, 16));
            }
            *run -= r;
        }
    };
    for &c in coeffs {
        if c == 0 {
            run += 1;
            continue;
        }
        flush(&mut run, out);
        if (MIN_COEFF..=MAX_COEFF).contains(&c) {
            out.push(token((c + 180) as u8, 0, 0));
        } else {
            let m = c.unsigned_abs().min(65535) as u16;
            let (sym8, sym16) = if c > 0 { (101, 103) } else { (102, 104) };
            if m <= 255 {
                out.push(token(sym8, m, 8));
            } else {
                out.push(token(sym16, m, 16));
            }
        }
    }
    flush(&mut run, out);
}

/// A code table as the DHT segment carries it: how many codes of each length 1-16, and the
/// symbols in code order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub counts: [u8; 16],
    pub values: Vec<u8>,
}

impl Table {
    /// An optimal table for these symbol frequencies, no code longer than 16 bits and no code
    /// of all ones (T.81 annex K.2).
    pub fn optimal(freq: &[u32; 256]) -> Table {
        // Lengths by Huffman's algorithm over the used symbols plus one reserved symbol that
        // takes the all-ones code.
        let mut nodes: Vec<(u64, Vec<usize>)> = Vec::new();
        for (s, &f) in freq.iter().enumerate() {
            if f > 0 {
                nodes.push((u64::from(f), vec![s]));
            }
        }
        const RESERVED: usize = 256;
        nodes.push((1, vec![RESERVED]));
        let mut len = [0u32; 257];
        if nodes.len() == 1 {
            len[RESERVED] = 1;
        }
        while nodes.len() > 1 {
            // The two least frequent (ties: the later one first, so the reserved symbol ends
            // deepest).
            nodes.sort_by_key(|n| std::cmp::Reverse(n.0));
            let (fa, a) = nodes.pop().unwrap_or_default();
            let (fb, b) = nodes.pop().unwrap_or_default();
            for &s in a.iter().chain(&b) {
                len[s] += 1;
            }
            let mut m = a;
            m.extend(b);
            nodes.push((fa + fb, m));
        }
        // Counts per length, then limit to 16 bits (T.81 figure K.3).
        let mut bits = [0u32; 40];
        for &l in &len {
            if l > 0 {
                bits[l as usize] += 1;
            }
        }
        let mut i = 39;
        while i > 16 {
            while bits[i] > 0 {
                let mut j = i - 2;
                while bits[j] == 0 {
                    j -= 1;
                }
                bits[i] -= 2;
                bits[i - 1] += 1;
                bits[j + 1] += 2;
                bits[j] -= 1;
            }
            i -= 1;
        }
        // Drop the reserved code (the longest).
        let mut i = 16;
        while bits[i] == 0 {
            i -= 1;
        }
        bits[i] -= 1;
        // Symbols by increasing code length (ties by symbol value), lengths reassigned from
        // the limited counts.
        let mut order: Vec<usize> = (0..256).filter(|&s| freq[s] > 0).collect();
        order.sort_by_key(|&s| (len[s], s));
        let mut counts = [0u8; 16];
        for l in 1..=16 {
            counts[l - 1] = bits[l] as u8;
        }
        Table {
            counts,
            values: order.into_iter().map(|s| s as u8).collect(),
        }
    }

    /// Each symbol's code and length.
    pub fn codes(&self) -> Result<[(u16, u8); 256], WsqError> {
        let mut out = [(0u16, 0u8); 256];
        let mut code: u32 = 0;
        let mut k = 0;
        for l in 1..=16u8 {
            for _ in 0..self.counts[l as usize - 1] {
                let s = *self.values.get(k).ok_or_else(|| {
                    WsqError::format("a Huffman table lists fewer symbols than its code counts")
                })?;
                if code >= 1 << l {
                    return Err(WsqError::format(
                        "a Huffman table has more codes than fit their lengths",
                    ));
                }
                out[s as usize] = (code as u16, l);
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        Ok(out)
    }
}

/// Writes bits MSB first with 0xFF stuffing; the last byte is padded with ones.
#[derive(Debug, Default)]
pub struct BitWriter {
    pub out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl BitWriter {
    /// A writer appending to `out`.
    pub fn with(out: Vec<u8>) -> Self {
        BitWriter { out, acc: 0, n: 0 }
    }

    #[inline]
    pub fn put(&mut self, value: u32, bits: u32) {
        if bits == 0 {
            return;
        }
        self.acc = (self.acc << bits) | (value & ((1 << bits) - 1));
        self.n += bits;
        while self.n >= 8 {
            self.n -= 8;
            let b = (self.acc >> self.n) as u8;
            self.out.push(b);
            if b == 0xFF {
                self.out.push(0);
            }
        }
        self.acc &= (1 << self.n) - 1;
    }

    pub fn finish(&mut self) {
        if self.n > 0 {
            let pad = 8 - self.n;
            self.put((1 << pad) - 1, pad);
        }
    }
}

/// Encodes one block's tokens with a table.
pub fn write_block(tokens: &[Token], codes: &[(u16, u8); 256], w: &mut BitWriter) {
    for t in tokens {
        let (c, l) = codes[t.symbol as usize];
        w.put(u32::from(c), u32::from(l));
        w.put(u32::from(t.extra), u32::from(t.extra_bits));
    }
    w.finish();
}

/// Decoding tables (T.81 F.2.2.3) with an 8-bit lookahead.
#[derive(Debug, Clone)]
pub struct Decoder {
    maxcode: [i32; 18],
    valptr: [i32; 17],
    mincode: [i32; 17],
    values: Vec<u8>,
    /// For each 8-bit prefix: (length, symbol) when a code of 8 bits or fewer matches.
    fast: Vec<(u8, u8)>,
}

impl Decoder {
    pub fn new(t: &Table) -> Result<Decoder, WsqError> {
        let codes = t.codes()?;
        let mut maxcode = [-1i32; 18];
        let mut valptr = [0i32; 17];
        let mut mincode = [0i32; 17];
        let mut code = 0i32;
        let mut k = 0i32;
        for l in 1..=16usize {
            let n = i32::from(t.counts[l - 1]);
            if n > 0 {
                valptr[l] = k;
                mincode[l] = code;
                code += n;
                k += n;
                maxcode[l] = code - 1;
            }
            code <<= 1;
        }
        maxcode[17] = i32::MAX;
        let mut fast = vec![(0u8, 0u8); 256];
        for &s in &t.values {
            let (c, l) = codes[s as usize];
            if l <= 8 {
                let shift = 8 - l;
                let base = (c as usize) << shift;
                for e in fast.iter_mut().skip(base).take(1 << shift) {
                    *e = (l, s);
                }
            }
        }
        Ok(Decoder {
            maxcode,
            valptr,
            mincode,
            values: t.values.clone(),
            fast,
        })
    }
}

/// Reads an entropy-coded segment: the bytes up to the next marker, unstuffed.
#[derive(Debug)]
pub struct BitReader {
    data: Vec<u8>,
    /// Offset in the input of the marker that ends the segment.
    end: usize,
    /// Next bit to read.
    pos: usize,
}

impl BitReader {
    /// The segment starting at `input[0]`.
    pub fn new(input: &[u8]) -> Self {
        let mut data = Vec::with_capacity(input.len());
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            if b == 0xFF {
                match input.get(i + 1) {
                    Some(0) => {
                        data.push(0xFF);
                        i += 2;
                        continue;
                    }
                    _ => break,
                }
            }
            data.push(b);
            i += 1;
        }
        BitReader {
            data,
            end: i,
            pos: 0,
        }
    }

    /// The offset in the input of the marker after the segment.
    pub fn end(&self) -> usize {
        self.end
    }

    fn left(&self) -> usize {
        self.data.len() * 8 - self.pos.min(self.data.len() * 8)
    }

    /// The next 32 bits from the current position (ones past the end).
    #[inline]
    fn peek32(&self) -> u32 {
        let byte = self.pos / 8;
        let mut v: u64 = 0;
        for k in 0..5 {
            v = (v << 8) | u64::from(*self.data.get(byte + k).unwrap_or(&0xFF));
        }
        let shift = 40 - 32 - (self.pos % 8);
        (v >> shift) as u32
    }

    /// `count` raw bits (at most 16); `None` past the end.
    #[inline]
    pub fn bits(&mut self, count: u32) -> Option<u32> {
        if count as usize > self.left() {
            return None;
        }
        let v = self.peek32() >> (32 - count);
        self.pos += count as usize;
        Some(v)
    }

    /// The next symbol, or `None` at the end of the segment (nothing, or only the padding
    /// ones, left).
    pub fn symbol(&mut self, d: &Decoder) -> Result<Option<u8>, WsqError> {
        let left = self.left();
        if left == 0 {
            return Ok(None);
        }
        let word = self.peek32();
        let (l, s) = d.fast[(word >> 24) as usize];
        if l > 0 {
            if usize::from(l) > left {
                return Ok(None);
            }
            self.pos += usize::from(l);
            return Ok(Some(s));
        }
        for l in 9..=16usize {
            let code = (word >> (32 - l)) as i32;
            if code <= d.maxcode[l] {
                if l > left {
                    return Ok(None);
                }
                self.pos += l;
                let idx = d.valptr[l] + code - d.mincode[l];
                return d
                    .values
                    .get(idx as usize)
                    .copied()
                    .map(Some)
                    .ok_or_else(|| WsqError::format("a Huffman code points past its table"));
            }
        }
        if left < 16 && word >> (32 - left) == (1u32 << left) - 1 {
            // The ones that pad the last byte before the marker.
            return Ok(None);
        }
        Err(WsqError::format(
            "the compressed data holds a bit sequence that is no Huffman code of its table",
        ))
    }
}
