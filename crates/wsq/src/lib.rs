//! WSQ grey-scale fingerprint image compression (FBI IAFIS-IC-0110, version 3.1): an encoder
//! and a decoder written from the specification.
//!
//! The encoder is the specification's "encoder number one": the 9/7 biorthogonal filters, the
//! fixed 64-subband decomposition, scalar quantisation with the bit allocation of Part 3 for a
//! target bit rate (0.75 bits per pixel is the FBI's setting, about 15:1), and Huffman tables
//! optimised per image. The decoder reads any file with odd-length symmetric filters, which is
//! what every encoder in use writes. `docs/export.md` describes the format and its sources.
//!
//! ```
//! let (w, h) = (64usize, 64usize);
//! let pixels: Vec<u8> = (0..w * h).map(|i| ((i % w) * 4 ^ (i / w) * 3) as u8).collect();
//! let wsq = rekam_wsq::encode(&pixels, w as u32, h as u32, &rekam_wsq::EncodeOptions::default()).unwrap();
//! let back = rekam_wsq::decode(&wsq).unwrap();
//! assert_eq!((back.width, back.height, back.ppi), (64, 64, Some(500)));
//! ```
#![warn(missing_docs)]

mod dwt;
mod huffman;
mod quant;
mod tree;

use dwt::Filters;
use huffman::{BitReader, BitWriter, Decoder, Table, Token};
use tree::{Tree, BLOCKS, SUBBANDS};

/// Start of image.
const SOI: u8 = 0xA0;
/// End of image.
const EOI: u8 = 0xA1;
/// Start of frame.
const SOF: u8 = 0xA2;
/// Start of block.
const SOB: u8 = 0xA3;
/// Transform table.
const DTT: u8 = 0xA4;
/// Quantisation table.
const DQT: u8 = 0xA5;
/// Huffman table.
const DHT: u8 = 0xA6;
/// Restart interval.
const DRT: u8 = 0xA7;
/// Comment.
const COM: u8 = 0xA8;

/// The smallest image side the decomposition accepts (five levels of halving).
pub const MIN_SIDE: u32 = 32;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WsqError {
    /// The bytes are not a well-formed WSQ file.
    #[error("not a readable WSQ file: {0}")]
    Format(String),
    /// A WSQ feature this decoder does not implement.
    #[error("the WSQ file uses a feature this decoder does not support: {0}")]
    Unsupported(String),
    /// The image cannot be compressed.
    #[error("the image cannot be WSQ-compressed: {0}")]
    Image(String),
}

/// The kind of a [`WsqError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Malformed input.
    Format,
    /// Unsupported feature.
    Unsupported,
    /// Unsuitable image.
    Image,
}

impl WsqError {
    fn format(s: impl Into<String>) -> Self {
        WsqError::Format(s.into())
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            WsqError::Format(_) => ErrorKind::Format,
            WsqError::Unsupported(_) => ErrorKind::Unsupported,
            WsqError::Image(_) => ErrorKind::Image,
        }
    }
}

/// Encoder settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeOptions {
    /// Target bits per pixel (the FBI's is 0.75).
    pub bitrate: f32,
    /// Scan resolution written in the NISTCOM comment.
    pub ppi: Option<u32>,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            bitrate: 0.75,
            ppi: Some(500),
        }
    }
}

/// A decoded grey-scale image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution from the file's NISTCOM comment, when it has one.
    pub ppi: Option<u32>,
    /// 8-bit grey levels, row by row.
    pub pixels: Vec<u8>,
}

/// A value written as a power-of-ten scale and an unsigned integer, as WSQ tables carry
/// numbers: the largest scale whose integer still fits `max`.
fn scaled(v: f64, max: u64) -> (u8, u64) {
    let v = v.abs();
    if v == 0.0 || !v.is_finite() {
        return (0, 0);
    }
    let mut s = 0u8;
    while s < 20 && (v * 10f64.powi(i32::from(s) + 1)).round() <= max as f64 {
        s += 1;
    }
    (s, ((v * 10f64.powi(i32::from(s))).round() as u64).min(max))
}

fn unscale(s: u8, v: u64) -> f64 {
    v as f64 / 10f64.powi(i32::from(s))
}

/// The value a scaled 16-bit field will give back.
fn stored16(v: f64) -> f64 {
    let (s, n) = scaled(v, 65535);
    unscale(s, n)
}

fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

fn push16(body: &mut Vec<u8>, v: f64) {
    let (s, n) = scaled(v, 65535);
    body.push(s);
    body.extend_from_slice(&(n as u16).to_be_bytes());
}

/// Compresses 8-bit grey pixels (row by row).
pub fn encode(
    pixels: &[u8],
    width: u32,
    height: u32,
    opts: &EncodeOptions,
) -> Result<Vec<u8>, WsqError> {
    let _span = tracing::debug_span!("wsq_encode", width, height).entered();
    if !(MIN_SIDE..=65535).contains(&width) || !(MIN_SIDE..=65535).contains(&height) {
        return Err(WsqError::Image(format!(
            "{width}x{height} pixels: each side must be from {MIN_SIDE} to 65535"
        )));
    }
    let (w, h) = (width as usize, height as usize);
    if pixels.len() != w * h {
        return Err(WsqError::Image(format!(
            "{} bytes given for {width}x{height} pixels",
            pixels.len()
        )));
    }
    if !(opts.bitrate > 0.0 && opts.bitrate <= 8.0) {
        return Err(WsqError::Image(format!(
            "bit rate {} is outside 0 to 8 bits per pixel",
            opts.bitrate
        )));
    }
    // Shift and scale to about -128..128, with the values the decoder will read back.
    let sum: u64 = pixels.iter().map(|&p| u64::from(p)).sum();
    let mean = sum as f64 / pixels.len() as f64;
    let (lo, hi) = pixels
        .iter()
        .fold((255u8, 0u8), |(a, b), &p| (a.min(p), b.max(p)));
    let mut range = (f64::from(hi) - mean).max(mean - f64::from(lo)) / 128.0;
    if range <= 0.0 {
        range = 1.0;
    }
    let (m, r) = (stored16(mean), stored16(range));
    let (mf, rinv) = (m as f32, (1.0 / r) as f32);
    let mut plane: Vec<f32> = pixels.iter().map(|&p| (f32::from(p) - mf) * rinv).collect();

    let tree = Tree::new(w, h);
    let filters = Filters::fbi();
    dwt::forward(&mut plane, w, &tree, &filters);
    let mut bins = quant::allocate(&plane, w, &tree, opts.bitrate);
    for k in 0..SUBBANDS {
        bins.q[k] = stored16(f64::from(bins.q[k])) as f32;
        bins.z[k] = stored16(f64::from(bins.z[k])) as f32;
    }

    // Quantise each block's subbands in order, row by row.
    let mut tokens: [Vec<Token>; 3] = Default::default();
    let mut ints = Vec::new();
    for (b, range) in BLOCKS.iter().enumerate() {
        ints.clear();
        for k in range.clone() {
            let (q, z) = (bins.q[k], bins.z[k]);
            if q == 0.0 {
                continue;
            }
            let band = tree.bands[k];
            for y in band.y..band.y + band.h {
                for &a in &plane[y * w + band.x..y * w + band.x + band.w] {
                    ints.push(quant::quantize(a, q, z));
                }
            }
        }
        huffman::tokenize(&ints, &mut tokens[b]);
    }
    // Table 0 codes block 1; table 1 codes blocks 2 and 3.
    let freq = |blocks: &[usize]| {
        let mut f = [0u32; 256];
        for &b in blocks {
            for t in &tokens[b] {
                f[t.symbol as usize] += 1;
            }
        }
        f
    };
    let tables = [Table::optimal(&freq(&[0])), Table::optimal(&freq(&[1, 2]))];

    let mut out = Vec::with_capacity(w * h / 8);
    out.extend_from_slice(&[0xFF, SOI]);
    let mut com = format!(
        "NIST_COM {}\nPIX_WIDTH {w}\nPIX_HEIGHT {h}\nPIX_DEPTH 8\n",
        if opts.ppi.is_some() { 9 } else { 8 }
    );
    if let Some(ppi) = opts.ppi {
        com.push_str(&format!("PPI {ppi}\n"));
    }
    com.push_str(&format!(
        "LOSSY 1\nCOLORSPACE GRAY\nCOMPRESSION WSQ\nWSQ_BITRATE {:.4}",
        opts.bitrate
    ));
    segment(&mut out, COM, com.as_bytes());

    let mut body = vec![
        filters.lo.len() as u8 * 2 - 1,
        filters.hi.len() as u8 * 2 - 1,
    ];
    for &c in filters.lo.iter().chain(&filters.hi) {
        let (s, n) = scaled(c, u64::from(u32::MAX));
        body.extend_from_slice(&[u8::from(c < 0.0), s]);
        body.extend_from_slice(&(n as u32).to_be_bytes());
    }
    segment(&mut out, DTT, &body);

    let mut body = Vec::with_capacity(3 + 6 * SUBBANDS);
    push16(&mut body, f64::from(quant::BIN_CENTER));
    for k in 0..SUBBANDS {
        push16(&mut body, f64::from(bins.q[k]));
        push16(&mut body, f64::from(bins.z[k]));
    }
    segment(&mut out, DQT, &body);

    let mut body = vec![0, 255];
    body.extend_from_slice(&(height as u16).to_be_bytes());
    body.extend_from_slice(&(width as u16).to_be_bytes());
    push16(&mut body, m);
    push16(&mut body, r);
    body.extend_from_slice(&[2, 0, 0]);
    segment(&mut out, SOF, &body);

    for (b, toks) in tokens.iter().enumerate() {
        let t = if b == 0 { 0 } else { 1 };
        if b < 2 {
            let table = &tables[t];
            let mut body = vec![t as u8];
            body.extend_from_slice(&table.counts);
            body.extend_from_slice(&table.values);
            segment(&mut out, DHT, &body);
        }
        segment(&mut out, SOB, &[t as u8]);
        let codes = tables[t].codes()?;
        let mut bw = BitWriter::with(std::mem::take(&mut out));
        huffman::write_block(toks, &codes, &mut bw);
        out = bw.out;
    }
    out.extend_from_slice(&[0xFF, EOI]);
    tracing::debug!(bytes = out.len(), "wsq encoded");
    Ok(out)
}

/// The frame header: size and pixel scaling.
#[derive(Debug, Clone, Copy)]
struct Frame {
    width: usize,
    height: usize,
    m: f32,
    r: f32,
}

/// Reads 2 bytes.
fn be16(d: &[u8], at: usize) -> Result<u16, WsqError> {
    d.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| WsqError::format("the file ends inside a segment"))
}

/// Size and resolution without decoding the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution from the NISTCOM comment.
    pub ppi: Option<u32>,
}

/// Reads the size and resolution of a WSQ file.
pub fn info(data: &[u8]) -> Result<Info, WsqError> {
    let mut info = Info {
        width: 0,
        height: 0,
        ppi: None,
    };
    let mut pos = start(data)?;
    loop {
        let (marker, body, next) = next_segment(data, pos)?;
        match marker {
            COM => info.ppi = info.ppi.or(nistcom_ppi(body)),
            SOF => {
                let f = frame(body)?;
                info.width = f.width as u32;
                info.height = f.height as u32;
                return Ok(info);
            }
            EOI => return Err(WsqError::format("the file has no frame header (SOF)")),
            _ => {}
        }
        pos = next;
    }
}

fn start(data: &[u8]) -> Result<usize, WsqError> {
    if data.len() < 2 || data[0] != 0xFF || data[1] != SOI {
        return Err(WsqError::format(
            "it does not start with the WSQ start-of-image marker FFA0",
        ));
    }
    Ok(2)
}

/// The segment at `pos`: its marker, its body and where the next one starts.
fn next_segment(data: &[u8], pos: usize) -> Result<(u8, &[u8], usize), WsqError> {
    match data.get(pos..pos + 2) {
        Some([0xFF, EOI]) => Ok((EOI, &[], pos + 2)),
        Some([0xFF, m]) if (SOF..=COM).contains(m) => {
            let len = usize::from(be16(data, pos + 2)?);
            if len < 2 || pos + 2 + len > data.len() {
                return Err(WsqError::format(format!(
                    "segment FF{m:02X} at byte {pos} has length {len}, beyond the file"
                )));
            }
            Ok((*m, &data[pos + 4..pos + 2 + len], pos + 2 + len))
        }
        Some(b) => Err(WsqError::format(format!(
            "expected a marker at byte {pos}, found {:02X}{:02X}",
            b[0], b[1]
        ))),
        None => Err(WsqError::format(
            "the file ends without the end-of-image marker FFA1",
        )),
    }
}

fn nistcom_ppi(body: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(body).ok()?;
    if !text.starts_with("NIST_COM") {
        return None;
    }
    text.lines()
        .find_map(|l| l.strip_prefix("PPI "))
        .and_then(|v| v.trim().parse::<i64>().ok())
        .and_then(|v| u32::try_from(v).ok())
        .filter(|&v| v > 0)
}

fn frame(body: &[u8]) -> Result<Frame, WsqError> {
    if body.len() < 15 {
        return Err(WsqError::format("the frame header (SOF) is too short"));
    }
    let height = usize::from(be16(body, 2)?);
    let width = usize::from(be16(body, 4)?);
    let m = unscale(body[6], u64::from(be16(body, 7)?)) as f32;
    let r = unscale(body[9], u64::from(be16(body, 10)?)) as f32;
    if width < MIN_SIDE as usize || height < MIN_SIDE as usize {
        return Err(WsqError::Unsupported(format!(
            "a {width}x{height} image (sides under {MIN_SIDE} pixels)"
        )));
    }
    Ok(Frame {
        width,
        height,
        m,
        r,
    })
}

/// Decompresses a WSQ file.
pub fn decode(data: &[u8]) -> Result<Image, WsqError> {
    let _span = tracing::debug_span!("wsq_decode", bytes = data.len()).entered();
    let mut pos = start(data)?;
    let mut ppi = None;
    let mut filters: Option<Filters> = None;
    let mut bins: Option<(quant::Bins, f32)> = None;
    let mut tables: [Option<Decoder>; 8] = Default::default();
    let mut fr: Option<Frame> = None;
    let mut tree: Option<Tree> = None;
    let mut plane: Vec<f32> = Vec::new();
    let mut block = 0usize;
    loop {
        let (marker, body, next) = next_segment(data, pos)?;
        pos = next;
        match marker {
            EOI => break,
            COM => ppi = ppi.or(nistcom_ppi(body)),
            DTT => filters = Some(read_dtt(body)?),
            DQT => bins = Some(read_dqt(body)?),
            DHT => read_dht(body, &mut tables)?,
            DRT => {}
            SOF => {
                if fr.is_some() {
                    return Err(WsqError::format("the file has two frame headers"));
                }
                let f = frame(body)?;
                tree = Some(Tree::new(f.width, f.height));
                plane = vec![0.0; f.width * f.height];
                fr = Some(f);
            }
            SOB => {
                let (Some(f), Some(tree), Some((bins, c))) = (&fr, &tree, &bins) else {
                    return Err(WsqError::format(
                        "a block comes before the frame header or the quantisation table",
                    ));
                };
                let t = usize::from(
                    *body
                        .first()
                        .ok_or_else(|| WsqError::format("empty block header"))?,
                );
                let dec = tables.get(t).and_then(|d| d.as_ref()).ok_or_else(|| {
                    WsqError::format(format!("block uses Huffman table {t}, not defined"))
                })?;
                let range = BLOCKS
                    .get(block)
                    .ok_or_else(|| WsqError::format("the file has more than three blocks"))?
                    .clone();
                block += 1;
                let count: usize = range
                    .clone()
                    .filter(|&k| bins.q[k] != 0.0)
                    .map(|k| tree.bands[k].w * tree.bands[k].h)
                    .sum();
                let (ints, used) = read_block(&data[pos..], dec, count)?;
                pos += used;
                let mut it = ints.into_iter();
                for k in range {
                    let (q, z) = (bins.q[k], bins.z[k]);
                    if q == 0.0 {
                        continue;
                    }
                    let b = tree.bands[k];
                    for y in b.y..b.y + b.h {
                        for v in &mut plane[y * f.width + b.x..y * f.width + b.x + b.w] {
                            *v = quant::dequantize(it.next().unwrap_or(0), q, z, *c);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let (Some(f), Some(tree)) = (fr, tree) else {
        return Err(WsqError::format("the file has no frame header (SOF)"));
    };
    let filters =
        filters.ok_or_else(|| WsqError::format("the file has no transform table (DTT)"))?;
    if block == 0 {
        return Err(WsqError::format("the file has no compressed blocks"));
    }
    dwt::inverse(&mut plane, f.width, &tree, &filters);
    let pixels = plane
        .iter()
        .map(|&v| (v * f.r + f.m + 0.5).floor().clamp(0.0, 255.0) as u8)
        .collect();
    Ok(Image {
        width: f.width as u32,
        height: f.height as u32,
        ppi,
        pixels,
    })
}

fn read_dtt(body: &[u8]) -> Result<Filters, WsqError> {
    let (&nl, &nh) = (
        body.first()
            .ok_or_else(|| WsqError::format("empty transform table"))?,
        body.get(1)
            .ok_or_else(|| WsqError::format("short transform table"))?,
    );
    if nl % 2 == 0 || nh % 2 == 0 {
        return Err(WsqError::Unsupported(format!(
            "even-length filters ({nl} and {nh} taps)"
        )));
    }
    if nl > 31 || nh > 31 {
        return Err(WsqError::format(format!("filters of {nl} and {nh} taps")));
    }
    let (cl, ch) = (usize::from(nl).div_ceil(2), usize::from(nh).div_ceil(2));
    if body.len() < 2 + 6 * (cl + ch) {
        return Err(WsqError::format(
            "the transform table is shorter than its filters",
        ));
    }
    let coeff = |i: usize| {
        let e = &body[2 + 6 * i..8 + 6 * i];
        let v = unscale(
            e[1],
            u64::from(u32::from_be_bytes([e[2], e[3], e[4], e[5]])),
        );
        if e[0] != 0 {
            -v
        } else {
            v
        }
    };
    Ok(Filters {
        lo: (0..cl).map(coeff).collect(),
        hi: (cl..cl + ch).map(coeff).collect(),
    })
}

fn read_dqt(body: &[u8]) -> Result<(quant::Bins, f32), WsqError> {
    if body.len() < 3 + 6 * SUBBANDS {
        return Err(WsqError::format("the quantisation table is too short"));
    }
    let v = |at: usize| {
        unscale(
            body[at],
            u64::from(u16::from_be_bytes([body[at + 1], body[at + 2]])),
        ) as f32
    };
    let c = v(0);
    let mut bins = quant::Bins {
        q: [0.0; SUBBANDS],
        z: [0.0; SUBBANDS],
    };
    for k in 0..SUBBANDS {
        bins.q[k] = v(3 + 6 * k);
        bins.z[k] = v(6 + 6 * k);
    }
    Ok((bins, c))
}

fn read_dht(mut body: &[u8], tables: &mut [Option<Decoder>; 8]) -> Result<(), WsqError> {
    while !body.is_empty() {
        if body.len() < 17 {
            return Err(WsqError::format("a Huffman table is cut short"));
        }
        let id = usize::from(body[0]);
        let mut counts = [0u8; 16];
        counts.copy_from_slice(&body[1..17]);
        let n: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if n > 256 || body.len() < 17 + n {
            return Err(WsqError::format(
                "a Huffman table lists more symbols than it holds",
            ));
        }
        let table = Table {
            counts,
            values: body[17..17 + n].to_vec(),
        };
        let slot = tables
            .get_mut(id)
            .ok_or_else(|| WsqError::format(format!("Huffman table number {id} (0-7 allowed)")))?;
        *slot = Some(Decoder::new(&table)?);
        body = &body[17 + n..];
    }
    Ok(())
}

/// Decodes one block's coefficients (restart markers included); returns them and the bytes
/// used.
fn read_block(data: &[u8], dec: &Decoder, count: usize) -> Result<(Vec<i32>, usize), WsqError> {
    let mut ints: Vec<i32> = Vec::with_capacity(count);
    let mut used = 0;
    let over = || WsqError::format("a block holds more coefficients than its subbands");
    loop {
        let mut r = BitReader::new(&data[used..]);
        while let Some(s) = r.symbol(dec)? {
            let extra = |r: &mut BitReader, n: u32| {
                r.bits(n)
                    .ok_or_else(|| WsqError::format("a block ends inside a coefficient"))
            };
            match s {
                1..=100 => {
                    let n = usize::from(s);
                    if ints.len() + n > count {
                        return Err(over());
                    }
                    ints.resize(ints.len() + n, 0);
                }
                105 | 106 => {
                    let n = extra(&mut r, if s == 105 { 8 } else { 16 })? as usize;
                    if ints.len() + n > count {
                        return Err(over());
                    }
                    ints.resize(ints.len() + n, 0);
                }
                101..=104 => {
                    let v = extra(&mut r, if s <= 102 { 8 } else { 16 })? as i32;
                    if ints.len() >= count {
                        return Err(over());
                    }
                    ints.push(if s % 2 == 1 { v } else { -v });
                }
                107..=254 => {
                    if ints.len() >= count {
                        return Err(over());
                    }
                    ints.push(i32::from(s) - 180);
                }
                _ => {
                    return Err(WsqError::format(format!(
                        "Huffman symbol {s} has no meaning in WSQ"
                    )))
                }
            }
        }
        used += r.end();
        // A restart marker continues the block.
        match data.get(used..used + 2) {
            Some([0xFF, m]) if (0xB0..=0xB7).contains(m) => used += 2,
            _ => break,
        }
    }
    Ok((ints, used))
}
