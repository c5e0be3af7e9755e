//! A deterministic POSIX ustar writer and a strict reader, for the record archive.
//!
//! Every header is written the same way for the same member (mode 0644, uid/gid 0, mtime 0, no
//! user or group names), so an archive's bytes are a function of its members alone; that is what
//! lets a verifier demand that every byte of the file be exactly what the signer produced.

use crate::RecordError;

/// Block size.
pub const BLOCK: usize = 512;

fn octal(field: &mut [u8], value: u64) {
    // n-1 octal digits, zero-padded, then NUL.
    let digits = field.len() - 1;
    let s = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&s.as_bytes()[s.len() - digits..]);
    field[digits] = 0;
}

/// The 512-byte header of a regular file `name` of `size` bytes.
pub fn header(name: &str, size: u64) -> Result<[u8; BLOCK], RecordError> {
    if name.is_empty() || name.len() > 100 || !name.is_ascii() {
        return Err(RecordError::Format(format!(
            "archive member name '{name}' must be 1-100 ASCII characters"
        )));
    }
    if size >= 1 << 33 {
        return Err(RecordError::Format(format!(
            "archive member {name} is too large"
        )));
    }
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    // Checksum: sum of all header bytes with the checksum field as eight spaces.
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    Ok(h)
}

/// Appends member `name` with `data` (header, data, zero padding to a block).
pub fn append(out: &mut Vec<u8>, name: &str, data: &[u8]) -> Result<(), RecordError> {
    out.extend_from_slice(&header(name, data.len() as u64)?);
    out.extend_from_slice(data);
    let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
    out.extend(std::iter::repeat_n(0u8, pad));
    Ok(())
}

/// The end of an archive: two zero blocks.
pub fn finish(out: &mut Vec<u8>) {
    out.extend(std::iter::repeat_n(0u8, 2 * BLOCK));
}

/// One member read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member<'a> {
    /// Name.
    pub name: String,
    /// Offset of its header in the archive.
    pub offset: usize,
    /// Its data.
    pub data: &'a [u8],
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    let s: Vec<u8> = field
        .iter()
        .copied()
        .take_while(|&b| b != 0 && b != b' ')
        .collect();
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(std::str::from_utf8(&s).ok()?, 8).ok()
}

/// Reads every member of a ustar archive, strictly: regular files only, valid checksums, the
/// archive ending with two zero blocks and nothing after them.
pub fn read(bytes: &[u8]) -> Result<Vec<Member<'_>>, RecordError> {
    let bad = |m: &str| RecordError::Format(format!("the record archive is malformed: {m}"));
    let mut members = Vec::new();
    let mut pos = 0usize;
    loop {
        let Some(h) = bytes.get(pos..pos + BLOCK) else {
            return Err(bad("it ends before its end-of-archive blocks"));
        };
        if h.iter().all(|&b| b == 0) {
            let Some(second) = bytes.get(pos + BLOCK..pos + 2 * BLOCK) else {
                return Err(bad("it has only one end-of-archive block"));
            };
            if second.iter().any(|&b| b != 0) || bytes.len() != pos + 2 * BLOCK {
                return Err(bad("there are bytes after the end of the archive"));
            }
            return Ok(members);
        }
        let stored =
            parse_octal(&h[148..156]).ok_or_else(|| bad("a header checksum is not octal"))?;
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(b)
                }
            })
            .sum();
        if sum != stored {
            return Err(bad("a header checksum does not match"));
        }
        if h[156] != b'0' && h[156] != 0 {
            return Err(bad("a member is not a regular file"));
        }
        let name_len = h[..100].iter().position(|&b| b == 0).unwrap_or(100);
        let name = std::str::from_utf8(&h[..name_len])
            .map_err(|_| bad("a member name is not text"))?
            .to_string();
        let size =
            usize::try_from(parse_octal(&h[124..136]).ok_or_else(|| bad("a size is not octal"))?)
                .map_err(|_| bad("a member is too large"))?;
        let start = pos + BLOCK;
        let end = start
            .checked_add(size)
            .ok_or_else(|| bad("a member is too large"))?;
        let data = bytes
            .get(start..end)
            .ok_or_else(|| bad("a member is cut short"))?;
        members.push(Member {
            name,
            offset: pos,
            data,
        });
        pos = end + (BLOCK - size % BLOCK) % BLOCK;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_checksum_matches_the_ustar_rule() {
        let h = header("manifest.json", 1234).unwrap();
        let stored = parse_octal(&h[148..156]).unwrap();
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(b)
                }
            })
            .sum();
        assert_eq!(stored, sum);
        assert_eq!(&h[124..136], b"00000002322\0");
    }

    proptest! {
        #[test]
        fn archives_round_trip(files in proptest::collection::vec(("[a-z]{1,20}", proptest::collection::vec(any::<u8>(), 0..1500)), 0..5)) {
            let mut out = Vec::new();
            for (n, d) in &files { append(&mut out, n, d).unwrap(); }
            finish(&mut out);
            let back = read(&out).unwrap();
            prop_assert_eq!(back.len(), files.len());
            for (m, (n, d)) in back.iter().zip(&files) {
                prop_assert_eq!(&m.name, n);
                prop_assert_eq!(m.data, &d[..]);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..3000)) {
            let _ = read(&b);
        }
    }
}
