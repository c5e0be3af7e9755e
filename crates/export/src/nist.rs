//! ANSI/NIST-ITL 1-2011 Update 2015 (NIST SP 500-290 Edition 3), traditional encoding
//! (Annex B): the writer of Rekam's transaction and a reader for it.
//!
//! A tagged record is `T.001:LEN<GS>T.002:IDC<GS>...<FS>`: fields `T.NNN:` separated by GS
//! (0x1D), subfields by RS (0x1E), information items by US (0x1F); a binary `T.999:` DATA field
//! comes last and runs to the record's FS (0x1C). LEN counts the whole record. Type-8 is a
//! binary record (Annex B, Table 8 of the 2011 edition's Type-8 layout): 4-byte LEN, 1-byte
//! IDC, SIG, SRT, ISR, 2-byte HLL and VLL, then the data.
use std::collections::BTreeMap;

use crate::source::{Signature, Subject};
use crate::{ExportError, Options, ParseError};

/// File separator: ends a record.
pub const FS: u8 = 0x1C;
/// Group separator: between fields.
pub const GS: u8 = 0x1D;
/// Record separator: between subfields.
pub const RS: u8 = 0x1E;
/// Unit separator: between information items.
pub const US: u8 = 0x1F;

/// 1.002 VER for ANSI/NIST-ITL 1-2011 Update 2015.
pub const VERSION: &str = "0502";
/// 1.011 NSR and 1.012 NTR: 500 ppi in pixels per millimetre.
pub const RESOLUTION_PPMM: &str = "19.69";
/// 1.013 DOM: the domain that defines the Type-2 fields below.
pub const DOMAIN: (&str, &str) = ("REKAM", "1");

/// The records the reader accepts at most (CNT's record count is at most 999).
pub const MAX_RECORDS: usize = 999;

/// Mandatory fields of each record type Rekam writes, from the record layout tables of
/// NIST SP 500-290 (section 8.1 Type-1, 8.2 Type-2, 8.8 Type-8, 8.10 Type-10, 8.14 Type-14,
/// 8.17 Type-17; docs/export.md cites the editions): `(type, always, with image data)`. Field 999 (DATA) is listed with the image fields; Type-8's fields are its binary
/// ones, numbered 1-8 in order.
pub const MANDATORY: &[(u8, &[u16], &[u16])] = &[
    (1, &[1, 2, 3, 4, 5, 7, 8, 9, 11, 12], &[]),
    (2, &[1, 2], &[]),
    (8, &[1, 2, 3, 4, 5, 6, 7, 8], &[]),
    (10, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 999], &[]),
    (14, &[1, 2, 3, 4, 5, 13], &[6, 7, 8, 9, 10, 11, 12, 999]),
    (17, &[1, 2, 3, 4, 5], &[6, 7, 8, 9, 10, 11, 12, 13, 999]),
];

/// A field's value.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// Text: subfields, each a list of information items.
    Text(Vec<Vec<String>>),
    /// Binary data (a DATA field, or Type-8's image or vectors).
    Binary(Vec<u8>),
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Text(t) => write!(f, "Text({t:?})"),
            Value::Binary(b) => write!(f, "Binary({} bytes)", b.len()),
        }
    }
}

fn one(s: impl Into<String>) -> Value {
    Value::Text(vec![vec![s.into()]])
}

/// One logical record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Record type (1, 2, 8, 10, 14, 17, ...).
    pub rtype: u8,
    /// Fields by number. Type-8's binary fields are numbered 1 (LEN) to 8 (DATA).
    pub fields: BTreeMap<u16, Value>,
}

impl Record {
    /// The first item of the first subfield of a text field.
    pub fn text(&self, field: u16) -> Option<&str> {
        match self.fields.get(&field)? {
            Value::Text(t) => t.first()?.first().map(String::as_str),
            Value::Binary(_) => None,
        }
    }

    /// A text field's subfields.
    pub fn subfields(&self, field: u16) -> Option<&[Vec<String>]> {
        match self.fields.get(&field)? {
            Value::Text(t) => Some(t),
            Value::Binary(_) => None,
        }
    }

    /// A binary field's bytes.
    pub fn binary(&self, field: u16) -> Option<&[u8]> {
        match self.fields.get(&field)? {
            Value::Binary(b) => Some(b),
            Value::Text(_) => None,
        }
    }

    /// The information designation character (field 2); 0 for Type-1.
    pub fn idc(&self) -> Option<u8> {
        if self.rtype == 1 {
            return Some(0);
        }
        self.text(2)?.parse().ok()
    }
}

/// A transaction: the Type-1 record first, then the records CNT lists, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The records.
    pub records: Vec<Record>,
}

impl Transaction {
    /// Records of one type.
    pub fn of_type(&self, rtype: u8) -> impl Iterator<Item = &Record> {
        self.records.iter().filter(move |r| r.rtype == rtype)
    }

    /// Every mandatory field of [`MANDATORY`] that a record lacks, as `T.NNN` (with image
    /// fields required when the record holds image data or describes one).
    pub fn missing_mandatory(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.records {
            let Some((_, always, image)) = MANDATORY.iter().find(|(t, _, _)| *t == r.rtype) else {
                continue;
            };
            // A Type-14 always holds an image; a Type-17 holds one unless it records a damaged
            // or missing eye (17.028 DME).
            let has_image = r.fields.contains_key(&999)
                || r.rtype == 14
                || (r.rtype == 17 && !r.fields.contains_key(&28));
            let need = always.iter().chain(image.iter().filter(|_| has_image));
            for f in need {
                if !r.fields.contains_key(f) {
                    out.push(format!("{}.{f:03}", r.rtype));
                }
            }
        }
        out
    }
}

impl Transaction {
    /// Writes the transaction back in the traditional encoding: LEN recomputed for every
    /// record and CNT from the records as they are (the fields in number order, DATA last).
    /// Tests use it to make transactions that lack a field.
    pub fn encode(&self) -> Vec<u8> {
        let mut rest = Vec::new();
        let mut cnt = vec![vec![
            "1".to_string(),
            self.records.len().saturating_sub(1).to_string(),
        ]];
        for r in self.records.iter().skip(1) {
            cnt.push(vec![r.rtype.to_string(), r.idc().unwrap_or(0).to_string()]);
            if (3..=8).contains(&r.rtype) {
                let mut head = Vec::new();
                for f in 2..=7u16 {
                    let v: u64 = r.text(f).and_then(|t| t.parse().ok()).unwrap_or(0);
                    if f >= 6 && r.rtype == 8 {
                        head.extend_from_slice(&(v as u16).to_be_bytes());
                    } else if f == 2 || r.rtype == 8 {
                        head.push(v as u8);
                    }
                }
                let data = r
                    .binary(if r.rtype == 8 { 8 } else { 3 })
                    .unwrap_or_default();
                let len = (4 + head.len() + data.len()) as u32;
                rest.extend_from_slice(&len.to_be_bytes());
                rest.extend_from_slice(&head);
                rest.extend_from_slice(data);
            } else {
                let fields: Vec<(u16, Value)> = r
                    .fields
                    .iter()
                    .filter(|(n, _)| **n != 1)
                    .map(|(n, v)| (*n, v.clone()))
                    .collect();
                rest.extend_from_slice(&encode_tagged(r.rtype, &fields));
            }
        }
        let Some(t1) = self.records.first() else {
            return Vec::new();
        };
        let fields: Vec<(u16, Value)> = t1
            .fields
            .iter()
            .filter(|(n, _)| **n != 1)
            .map(|(n, v)| {
                (
                    *n,
                    if *n == 3 {
                        Value::Text(cnt.clone())
                    } else {
                        v.clone()
                    },
                )
            })
            .collect();
        let mut out = encode_tagged(1, &fields);
        out.extend_from_slice(&rest);
        out
    }
}

/// Writes a tagged record: LEN first, then `fields` in the order given (DATA, if any, last).
pub fn encode_tagged(rtype: u8, fields: &[(u16, Value)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (num, v) in fields {
        body.push(GS);
        body.extend_from_slice(format!("{rtype}.{num:03}:").as_bytes());
        match v {
            Value::Text(subs) => {
                for (i, sub) in subs.iter().enumerate() {
                    if i > 0 {
                        body.push(RS);
                    }
                    for (j, item) in sub.iter().enumerate() {
                        if j > 0 {
                            body.push(US);
                        }
                        body.extend_from_slice(item.as_bytes());
                    }
                }
            }
            Value::Binary(b) => body.extend_from_slice(b),
        }
    }
    body.push(FS);
    let prefix = format!("{rtype}.001:");
    // LEN counts its own digits: find the fixed point.
    let mut digits = 1;
    let total = loop {
        let total = prefix.len() + digits + body.len();
        if total.to_string().len() == digits {
            break total;
        }
        digits += 1;
    };
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(prefix.as_bytes());
    out.extend_from_slice(total.to_string().as_bytes());
    out.extend_from_slice(&body);
    out
}

fn date(t: time::OffsetDateTime) -> String {
    format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
}

fn gmt(t: time::OffsetDateTime) -> String {
    format!(
        "{}{:02}{:02}{:02}Z",
        date(t),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn check_option(name: &'static str, v: &str, letters_only: bool) -> Result<(), ExportError> {
    let ok = !v.is_empty()
        && v.len() <= if letters_only { 16 } else { 64 }
        && v.bytes().all(|b| {
            if letters_only {
                b.is_ascii_alphabetic()
            } else {
                (0x20..0x7F).contains(&b)
            }
        });
    if ok {
        Ok(())
    } else if letters_only {
        Err(ExportError::Option {
            name,
            why: format!("'{v}' must be 1 to 16 letters A-Z"),
        })
    } else {
        Err(ExportError::Option {
            name,
            why: format!("'{v}' must be 1 to 64 printable ASCII characters"),
        })
    }
}

fn encode_png_gray(w: u32, h: u32, pixels: &[u8]) -> Result<Vec<u8>, ExportError> {
    let mut out = Vec::new();
    let enc = image::codecs::png::PngEncoder::new(&mut out);
    image::ImageEncoder::write_image(enc, pixels, w, h, image::ExtendedColorType::L8).map_err(
        |e| ExportError::Capture {
            what: "iris".into(),
            why: format!("PNG encoding failed ({e})"),
        },
    )?;
    Ok(out)
}

/// Converts the pen series to Type-8 vectors: X and Y in 0.0254 mm from the bottom left,
/// pressure 1-254 with the tip down, 0 where the pen lifts, and a last vector of 255.
pub fn signature_vectors(sig: &Signature) -> Vec<u8> {
    let upm = f64::from(sig.units_per_mm.max(1));
    let to_units = |v: f64| ((v / upm) / 0.0254).round().clamp(0.0, 65535.0) as u16;
    let max_p = u32::from(sig.max_pressure.max(1));
    let mut out = Vec::new();
    let mut push = |x: u16, y: u16, p: u8| {
        out.extend_from_slice(&x.to_be_bytes());
        out.extend_from_slice(&y.to_be_bytes());
        out.push(p);
    };
    for stroke in &sig.strokes {
        let mut last = None;
        for s in stroke {
            let x = to_units(f64::from(s.x));
            let y = to_units(f64::from(sig.max_y.saturating_sub(s.y)));
            let p = if s.tip && s.pressure > 0 {
                (1 + u32::from(s.pressure).min(max_p) * 253 / max_p) as u8
            } else {
                0
            };
            push(x, y, p);
            last = Some((x, y));
        }
        if let Some((x, y)) = last {
            push(x, y, 0);
        }
    }
    push(0, 0, 255);
    out
}

/// Writes the transaction for `s`: Type-1, Type-2, a Type-14 per captured finger (WSQ at
/// 0.75 bits per pixel), Type-10 for the face (PNG), a Type-17 per eye (PNG, or DME for a
/// missing eye), Type-8 for the signature (vectors).
pub fn write(s: &Subject, opts: &Options) -> Result<Vec<u8>, ExportError> {
    check_option("destination agency (DAI)", &opts.destination_agency, false)?;
    check_option("transaction type (TOT)", &opts.transaction_type, true)?;
    let ori = opts
        .originating_agency
        .clone()
        .unwrap_or_else(|| s.station_id.clone());
    check_option("originating agency (ORI)", &ori, false)?;
    let capture_date = date(s.started);
    let mut records: Vec<(u8, u8, Vec<u8>)> = Vec::new();

    // Type-2: the domain REKAM's fields.
    let mut t2 = vec![
        (2, one("0")),
        (3, one(s.record_id.clone())),
        (4, one(s.station_id.clone())),
        (5, one(s.service.clone())),
    ];
    if !s.missing_fingers.is_empty() {
        t2.push((
            6,
            Value::Text(
                s.missing_fingers
                    .iter()
                    .map(|m| {
                        vec![
                            m.code.to_string(),
                            if m.amputated { "XX" } else { "UP" }.to_string(),
                        ]
                    })
                    .collect(),
            ),
        ));
    }
    records.push((2, 0, encode_tagged(2, &t2)));

    let mut idc: u8 = 0;
    for f in &s.fingers {
        idc += 1;
        let wsq = rekam_wsq::encode(
            &f.pixels,
            f.width,
            f.height,
            &rekam_wsq::EncodeOptions {
                bitrate: 0.75,
                ppi: Some(f.ppi),
            },
        )
        .map_err(|e| ExportError::Capture {
            what: format!("finger {}", f.code),
            why: e.to_string(),
        })?;
        let fields = vec![
            (2, one(idc.to_string())),
            (3, one("0")), // IMP: live-scan plain
            (4, one(ori.clone())),
            (5, one(capture_date.clone())),
            (6, one(f.width.to_string())),
            (7, one(f.height.to_string())),
            (8, one("1")), // SLC: pixels per inch
            (9, one(f.ppi.to_string())),
            (10, one(f.ppi.to_string())),
            (11, one("WSQ20")),
            (12, one("8")),
            (13, one(f.code.to_string())),
            (992, one("0")),
            (999, Value::Binary(wsq)),
        ];
        records.push((14, idc, encode_tagged(14, &fields)));
    }

    if let Some(face) = &s.face {
        idc += 1;
        let fields = vec![
            (2, one(idc.to_string())),
            (3, one("FACE")),
            (4, one(ori.clone())),
            (5, one(capture_date.clone())),
            (6, one(face.width.to_string())),
            (7, one(face.height.to_string())),
            (8, one("0")), // SLC: no scale, aspect ratio only
            (9, one("1")),
            (10, one("1")),
            (11, one("PNG")),
            (12, one("SRGB")),
            (13, one("0")), // SAP: unknown profile
            (992, one("0")),
            (999, Value::Binary(face.png.clone())),
        ];
        records.push((10, idc, encode_tagged(10, &fields)));
    }

    let eyes = s
        .eyes
        .iter()
        .map(|e| (e.right, Some(e)))
        .chain(s.missing_eyes.iter().map(|&r| (r, None)));
    let mut eyes: Vec<_> = eyes.collect();
    eyes.sort_by_key(|(right, _)| !right);
    for (right, eye) in eyes {
        idc += 1;
        let mut fields = vec![
            (2, one(idc.to_string())),
            (3, one(if right { "1" } else { "2" })),
            (4, one(ori.clone())),
            (5, one(capture_date.clone())),
        ];
        match eye {
            Some(e) => {
                let (slc, scale) = match e.ppi {
                    Some(p) => ("1", p.to_string()),
                    None => ("0", "1".to_string()),
                };
                fields.extend([
                    (6, one(e.width.to_string())),
                    (7, one(e.height.to_string())),
                    (8, one(slc)),
                    (9, one(scale.clone())),
                    (10, one(scale)),
                    (11, one("PNG")),
                    (12, one("8")),
                    (13, one("GRAY")),
                    (992, one("0")),
                    (
                        999,
                        Value::Binary(encode_png_gray(e.width, e.height, &e.pixels)?),
                    ),
                ]);
            }
            None => fields.extend([(28, one("MA")), (992, one("0"))]),
        }
        records.push((17, idc, encode_tagged(17, &fields)));
    }

    if let Some(sig) = &s.signature {
        idc += 1;
        let vectors = signature_vectors(sig);
        let len = 12 + vectors.len();
        let len32 = u32::try_from(len).map_err(|_| ExportError::Capture {
            what: "signature".into(),
            why: "too many pen samples for a Type-8 record".into(),
        })?;
        let mut r = Vec::with_capacity(len);
        r.extend_from_slice(&len32.to_be_bytes());
        r.push(idc);
        r.push(0); // SIG: the subject's signature
        r.push(2); // SRT: vectored
        r.push(0); // ISR: 0 for vectors
        r.extend_from_slice(&0u16.to_be_bytes()); // HLL: 0 for vectors
        r.extend_from_slice(&0u16.to_be_bytes()); // VLL: 0 for vectors
        r.extend_from_slice(&vectors);
        records.push((8, idc, r));
    }

    let mut cnt = vec![vec!["1".to_string(), records.len().to_string()]];
    cnt.extend(
        records
            .iter()
            .map(|(t, i, _)| vec![t.to_string(), i.to_string()]),
    );
    let t1 = vec![
        (2, one(VERSION)),
        (3, Value::Text(cnt)),
        (4, one(opts.transaction_type.clone())),
        (5, one(date(s.sealed))),
        (7, one(opts.destination_agency.clone())),
        (8, one(ori.clone())),
        (9, one(s.record_id.clone())),
        (11, one(RESOLUTION_PPMM)),
        (12, one(RESOLUTION_PPMM)),
        (
            13,
            Value::Text(vec![vec![DOMAIN.0.into(), DOMAIN.1.into()]]),
        ),
        (14, one(gmt(s.sealed))),
        (15, Value::Text(vec![vec!["3".into(), "UTF-8".into()]])),
    ];
    let mut out = encode_tagged(1, &t1);
    for (_, _, r) in records {
        out.extend_from_slice(&r);
    }
    Ok(out)
}

fn err(s: impl Into<String>) -> ParseError {
    ParseError::new(s)
}

/// Parses a decimal number of at most `max_digits` digits.
fn number(b: &[u8], max_digits: usize, what: &str) -> Result<usize, ParseError> {
    if b.is_empty() || b.len() > max_digits || !b.iter().all(u8::is_ascii_digit) {
        return Err(err(format!(
            "{what} is not a number of 1 to {max_digits} digits"
        )));
    }
    b.iter()
        .try_fold(0usize, |n, &d| {
            n.checked_mul(10)?.checked_add(usize::from(d - b'0'))
        })
        .ok_or_else(|| err(format!("{what} is too large")))
}

/// Reads the tag `T.NNN:` at `p`; returns (type, field, position after the colon).
fn tag(rec: &[u8], p: usize) -> Result<(usize, u16, usize), ParseError> {
    let rest = rec.get(p..).unwrap_or_default();
    let dot = rest
        .iter()
        .take(4)
        .position(|&b| b == b'.')
        .ok_or_else(|| err(format!("no field tag at byte {p} of a record")))?;
    let colon = rest
        .iter()
        .skip(dot + 1)
        .take(10)
        .position(|&b| b == b':')
        .ok_or_else(|| err(format!("a field tag at byte {p} has no colon")))?
        + dot
        + 1;
    let t = number(&rest[..dot], 3, "a tag's record type")?;
    let f = number(&rest[dot + 1..colon], 9, "a tag's field number")?;
    let f = u16::try_from(f)
        .ok()
        .filter(|&f| (1..=999).contains(&f))
        .ok_or_else(|| err(format!("field number {f} is outside 1-999")))?;
    Ok((t, f, p + colon + 1))
}

fn text(value: &[u8]) -> Result<Value, ParseError> {
    let s = std::str::from_utf8(value).map_err(|_| err("a text field is not UTF-8"))?;
    Ok(Value::Text(
        s.split(char::from(RS))
            .map(|sub| sub.split(char::from(US)).map(str::to_owned).collect())
            .collect(),
    ))
}

/// Parses a tagged record of type `rtype` at `start`; returns it and its length.
fn tagged(buf: &[u8], start: usize, rtype: u8) -> Result<(Record, usize), ParseError> {
    let prefix = format!("{rtype}.001:");
    let rest = buf.get(start..).unwrap_or_default();
    if !rest.starts_with(prefix.as_bytes()) {
        return Err(err(format!(
            "the Type-{rtype} record at byte {start} does not start with {prefix}"
        )));
    }
    let after = &rest[prefix.len()..];
    let end = after
        .iter()
        .take(11)
        .position(|&b| b == GS || b == FS)
        .ok_or_else(|| err(format!("the Type-{rtype} record's LEN is not ended")))?;
    let len = number(&after[..end], 10, "a record's LEN")?;
    if len > rest.len() || len < prefix.len() + end + 1 {
        return Err(err(format!(
            "the Type-{rtype} record at byte {start} claims {len} bytes; {} remain",
            rest.len()
        )));
    }
    let rec = &rest[..len];
    if rec[len - 1] != FS {
        return Err(err(format!(
            "the Type-{rtype} record at byte {start} does not end with FS"
        )));
    }
    let mut fields = BTreeMap::new();
    fields.insert(1, one(len.to_string()));
    let mut p = prefix.len() + end;
    while p < len - 1 {
        if rec[p] != GS {
            return Err(err(format!(
                "expected GS at byte {} of a Type-{rtype} record",
                p
            )));
        }
        let (t, f, vstart) = tag(rec, p + 1)?;
        if t != usize::from(rtype) {
            return Err(err(format!(
                "a Type-{t} field inside a Type-{rtype} record"
            )));
        }
        if fields.contains_key(&f) {
            return Err(err(format!("field {rtype}.{f:03} occurs twice")));
        }
        if f == 1 {
            return Err(err(format!("field {rtype}.001 occurs twice")));
        }
        if f == 999 && rtype != 1 && rtype != 2 {
            fields.insert(f, Value::Binary(rec[vstart..len - 1].to_vec()));
            break;
        }
        let vend = rec[vstart..]
            .iter()
            .position(|&b| b == GS || b == FS)
            .map(|i| vstart + i)
            .ok_or_else(|| err(format!("field {rtype}.{f:03} is not ended")))?;
        if rec[vend] == FS && vend != len - 1 {
            return Err(err(format!(
                "the Type-{rtype} record ends before its LEN says"
            )));
        }
        fields.insert(f, text(&rec[vstart..vend])?);
        p = vend;
    }
    Ok((Record { rtype, fields }, len))
}

fn binary_record(buf: &[u8], start: usize, rtype: u8) -> Result<(Record, usize), ParseError> {
    let rest = buf.get(start..).unwrap_or_default();
    let head = rest
        .get(..4)
        .ok_or_else(|| err(format!("the Type-{rtype} record is cut short")))?;
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let min = if rtype == 8 { 12 } else { 5 };
    if len < min || len > rest.len() {
        return Err(err(format!(
            "the Type-{rtype} record at byte {start} claims {len} bytes; {} remain",
            rest.len()
        )));
    }
    let r = &rest[..len];
    let mut fields = BTreeMap::new();
    fields.insert(1, one(len.to_string()));
    fields.insert(2, one(r[4].to_string()));
    if rtype == 8 {
        fields.insert(3, one(r[5].to_string()));
        fields.insert(4, one(r[6].to_string()));
        fields.insert(5, one(r[7].to_string()));
        fields.insert(6, one(u16::from_be_bytes([r[8], r[9]]).to_string()));
        fields.insert(7, one(u16::from_be_bytes([r[10], r[11]]).to_string()));
        fields.insert(8, Value::Binary(r[12..].to_vec()));
    } else {
        fields.insert(3, Value::Binary(r[5..].to_vec()));
    }
    Ok((Record { rtype, fields }, len))
}

/// Parses a transaction in the traditional encoding: Type-1, then each record its CNT lists,
/// with every LEN, tag, separator and IDC checked. Never panics; bounded by the input.
pub fn parse(buf: &[u8]) -> Result<Transaction, ParseError> {
    let (t1, mut pos) = tagged(buf, 0, 1)?;
    let cnt = t1
        .subfields(3)
        .ok_or_else(|| err("the Type-1 record has no CNT (1.003)"))?
        .to_vec();
    let first = cnt.first().ok_or_else(|| err("CNT is empty"))?;
    if first.len() != 2 || first[0] != "1" {
        return Err(err("CNT's first subfield is not 1 and the record count"));
    }
    let n = number(first[1].as_bytes(), 3, "CNT's record count")?;
    if n + 1 != cnt.len() || n > MAX_RECORDS {
        return Err(err(format!(
            "CNT counts {n} records but lists {}",
            cnt.len() - 1
        )));
    }
    let mut records = vec![t1];
    for entry in &cnt[1..] {
        if entry.len() != 2 {
            return Err(err("a CNT subfield is not a record type and an IDC"));
        }
        let t = number(entry[0].as_bytes(), 2, "a record type in CNT")?;
        let t = u8::try_from(t)
            .ok()
            .filter(|&t| t >= 2)
            .ok_or_else(|| err(format!("record type {t} in CNT")))?;
        let idc = number(entry[1].as_bytes(), 2, "an IDC in CNT")?;
        let (r, len) = if (3..=8).contains(&t) {
            binary_record(buf, pos, t)?
        } else {
            tagged(buf, pos, t)?
        };
        if r.idc().map(usize::from) != Some(idc) {
            return Err(err(format!(
                "the Type-{t} record's IDC is not the {idc} that CNT lists"
            )));
        }
        records.push(r);
        pos += len;
    }
    if pos != buf.len() {
        return Err(err(format!(
            "{} bytes follow the last record CNT lists",
            buf.len() - pos
        )));
    }
    Ok(Transaction { records })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn len_counts_itself_across_a_digit_boundary() {
        for n in 80..120 {
            let r = encode_tagged(2, &[(2, one("0")), (3, one("x".repeat(n)))]);
            let (rec, len) = tagged(&r, 0, 2).expect("parses");
            assert_eq!(len, r.len());
            assert_eq!(rec.text(1), Some(r.len().to_string().as_str()));
        }
    }

    #[test]
    fn subfields_and_items_round_trip() {
        let v = Value::Text(vec![
            vec!["1".into(), "3".into()],
            vec!["14".into(), "1".into()],
        ]);
        let r = encode_tagged(2, &[(2, one("0")), (7, v.clone())]);
        let (rec, _) = tagged(&r, 0, 2).expect("parses");
        assert_eq!(rec.fields.get(&7), Some(&v));
    }

    #[test]
    fn binary_data_may_hold_separators() {
        let data = vec![FS, GS, RS, US, 0, 255, FS];
        let r = encode_tagged(14, &[(2, one("1")), (999, Value::Binary(data.clone()))]);
        let (rec, len) = tagged(&r, 0, 14).expect("parses");
        assert_eq!(len, r.len());
        assert_eq!(rec.binary(999), Some(data.as_slice()));
    }

    #[test]
    fn damaged_records_are_errors() {
        let r = encode_tagged(2, &[(2, one("0")), (3, one("abc"))]);
        // Cut, extended, a wrong LEN, a missing FS.
        assert!(tagged(&r[..r.len() - 1], 0, 2).is_err());
        let mut longer = r.clone();
        longer.insert(10, b'x');
        assert!(tagged(&longer, 0, 2).is_err());
        let mut no_fs = r.clone();
        *no_fs.last_mut().expect("byte") = b'x';
        assert!(tagged(&no_fs, 0, 2).is_err());
        assert!(tagged(b"2.001:99999999999\x1d", 0, 2).is_err());
        assert!(tagged(b"", 0, 2).is_err());
    }

    #[test]
    fn vectors_end_with_255_and_lift_between_strokes() {
        use crate::source::PenSample;
        let s = |x, y, p| PenSample {
            t_us: 0,
            x,
            y,
            pressure: p,
            tip: true,
        };
        let sig = Signature {
            strokes: vec![vec![s(0, 100, 1023), s(100, 0, 512)], vec![s(50, 50, 1)]],
            max_x: 1000,
            max_y: 100,
            max_pressure: 1023,
            units_per_mm: 100,
            duration_us: 1,
        };
        let v = signature_vectors(&sig);
        assert_eq!(v.len(), 5 * 6);
        let at = |i: usize| {
            let b = &v[i * 5..i * 5 + 5];
            (
                u16::from_be_bytes([b[0], b[1]]),
                u16::from_be_bytes([b[2], b[3]]),
                b[4],
            )
        };
        // (0, 100) pad units at 100/mm = (0 mm, 0 mm from the bottom).
        assert_eq!(at(0), (0, 0, 254));
        // (100, 0) = 1 mm right, 1 mm up = 39.37 units of 0.0254 mm.
        assert_eq!(at(1), (39, 39, (1 + 512 * 253 / 1023) as u8));
        assert_eq!(at(2).2, 0);
        assert_eq!(at(4).2, 0);
        assert_eq!(at(5).2, 255);
    }
}
