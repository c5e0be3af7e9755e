//! An append-only journal that survives SIGKILL and power cuts: the durable source of truth
//! behind a cache (the office's sled trees are rebuilt from it).
//!
//! Each entry is one line, `SEQ CRC PAYLOAD\n`: the sequence number (1, 2, …) in decimal, the
//! CRC-32 (IEEE) of `SEQ PAYLOAD` as eight hex digits, and the caller's payload, which holds no
//! newline. [`Journal::append`] writes the line with one `write` on an `O_APPEND` file and
//! fsyncs the file before it returns (and the folder, when the file was new): an entry whose
//! append returned is durable. A line cut short by a crash during the append (never
//! acknowledged) is the journal's *torn tail*: [`Journal::open`] finds the last whole line,
//! moves what follows it to a `*.torn-OFFSET` file beside the journal (kept, not destroyed,
//! 0600) and cuts the journal there, so the next entry does not run into the fragment.
//! [`read`] returns every entry whose checksum holds and reports the lines that do not.
//!
//! The journal holds a person's data: it is created 0600 and nothing here logs a payload.
//! One [`Journal`] writes a file at a time (an exclusive `flock`).
//!
//! ```
//! # let dir = tempfile::tempdir()?;
//! let path = dir.path().join("office.journal");
//! let (mut j, opened) = rekam_journal::Journal::open(&path)?;
//! assert_eq!(opened.last_seq, 0);
//! assert_eq!(j.append(r#"{"step":"one"}"#)?, 1);
//! assert_eq!(j.append(r#"{"step":"two"}"#)?, 2);
//! drop(j);
//! let replay = rekam_journal::read(&path)?;
//! assert_eq!(replay.entries[1].payload, r#"{"step":"two"}"#);
//! assert!(replay.damaged.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};

/// What went wrong with a journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Reading or writing the journal failed.
    #[error("input/output error on the journal {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Another process, or another handle in this one, writes the journal.
    #[error("the journal {0} is in use by another Rekam process: close it first")]
    Locked(PathBuf),
    /// A payload with a newline (a caller's bug; nothing was written).
    #[error("a journal entry may not contain a newline")]
    Newline,
    /// An earlier append failed half-way and the fragment could not be cut off.
    #[error("the journal {0} could not be repaired after a failed write: restart the program")]
    Broken(PathBuf),
}

impl JournalError {
    fn io(path: &Path, source: std::io::Error) -> JournalError {
        JournalError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The operating system's error, when there is one (e.g. to tell a full disk).
    pub fn os_error(&self) -> Option<&std::io::Error> {
        match self {
            JournalError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, JournalError>;

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its sequence number.
    pub seq: u64,
    /// The caller's payload.
    pub payload: String,
}

/// What [`Journal::open`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opened {
    /// The sequence number of the last whole entry (0 for an empty or new journal).
    pub last_seq: u64,
    /// Bytes after the last whole entry (a torn append), moved to this file and cut off.
    pub torn_tail: Option<(u64, PathBuf)>,
    /// The journal did not exist and was created.
    pub created: bool,
}

/// What [`read`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replay {
    /// Every entry whose checksum holds, in file order.
    pub entries: Vec<Entry>,
    /// Line numbers (from 1) whose checksum fails or that are not journal lines, including a
    /// last line without its newline.
    pub damaged: Vec<u64>,
    /// Lines that are not in `SEQ CRC PAYLOAD` form at all, with their line numbers: a caller
    /// whose file predates the checksums may read them its own way.
    pub unchecked: Vec<(u64, String)>,
    /// Sequence numbers missing between entries (a damaged line's entry is lost).
    pub gaps: Vec<u64>,
}

fn checksum(seq: u64, payload: &str) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(seq.to_string().as_bytes());
    h.update(b" ");
    h.update(payload.as_bytes());
    h.finalize()
}

/// The line of an entry, with its newline.
pub fn format_line(seq: u64, payload: &str) -> String {
    format!("{seq} {:08x} {payload}\n", checksum(seq, payload))
}

/// Parses one line (without its newline): `Some` when it is a journal line whose checksum
/// holds.
pub fn parse_line(line: &str) -> Option<Entry> {
    let (seq, rest) = line.split_once(' ')?;
    let (crc, payload) = rest.split_once(' ')?;
    if crc.len() != 8 || seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seq: u64 = seq.parse().ok()?;
    let crc = u32::from_str_radix(crc, 16).ok()?;
    (checksum(seq, payload) == crc).then(|| Entry {
        seq,
        payload: payload.to_string(),
    })
}

fn looks_checked(line: &str) -> bool {
    let mut parts = line.splitn(3, ' ');
    let seq = parts.next().unwrap_or("");
    let crc = parts.next().unwrap_or("");
    !seq.is_empty()
        && seq.bytes().all(|b| b.is_ascii_digit())
        && crc.len() == 8
        && crc.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Reads a whole journal (a missing file is an empty journal).
pub fn read(path: &Path) -> Result<Replay> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Replay::default()),
        Err(e) => return Err(JournalError::io(path, e)),
    };
    let mut r = Replay::default();
    let mut last = 0u64;
    let ends_whole = bytes.last().is_none_or(|b| *b == b'\n');
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    // `split` yields an empty piece after the final newline.
    if ends_whole {
        lines.pop();
    }
    let count = lines.len();
    for (i, raw) in lines.into_iter().enumerate() {
        let no = i as u64 + 1;
        if !ends_whole && i + 1 == count {
            r.damaged.push(no);
            break;
        }
        let Ok(line) = std::str::from_utf8(raw) else {
            r.damaged.push(no);
            continue;
        };
        match parse_line(line) {
            Some(e) => {
                for missing in last + 1..e.seq {
                    r.gaps.push(missing);
                }
                last = last.max(e.seq);
                r.entries.push(e);
            }
            None if looks_checked(line) => r.damaged.push(no),
            None => r.unchecked.push((no, line.to_string())),
        }
    }
    Ok(r)
}

/// fsyncs a folder, so that a name created in it survives a power cut.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| JournalError::io(dir, e))
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A journal open for appending.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Flock<File>,
    len: u64,
    next: u64,
    broken: bool,
}

/// Finds the end of the last whole, valid line and its sequence number, reading backwards
/// from the end in growing windows.
fn find_tail(file: &mut File, path: &Path, len: u64) -> Result<(u64, u64)> {
    let mut window: u64 = 1 << 16;
    loop {
        let start = len.saturating_sub(window);
        let mut buf = vec![0u8; (len - start) as usize];
        file.seek(SeekFrom::Start(start))
            .and_then(|_| file.read_exact(&mut buf))
            .map_err(|e| JournalError::io(path, e))?;
        // Ends of complete lines inside the window, last first.
        let mut end = buf.len();
        while let Some(nl) = buf[..end].iter().rposition(|b| *b == b'\n') {
            let line_start = buf[..nl].iter().rposition(|b| *b == b'\n').map(|p| p + 1);
            let Some(ls) = line_start.or((start == 0).then_some(0)) else {
                break; // the line begins before the window
            };
            if let Some(e) = std::str::from_utf8(&buf[ls..nl]).ok().and_then(parse_line) {
                return Ok((start + nl as u64 + 1, e.seq));
            }
            end = nl;
        }
        if start == 0 {
            return Ok((0, 0));
        }
        window = window.saturating_mul(4);
    }
}

impl Journal {
    /// Opens (creating it 0600 if needed) the journal at `path`, cuts off a torn tail and
    /// takes the file's lock (waiting up to 3 s for a handle just closed).
    pub fn open(path: &Path) -> Result<(Journal, Opened)> {
        let created = !path.exists();
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| JournalError::io(path, e))?;
        if created {
            file.sync_all().map_err(|e| JournalError::io(path, e))?;
            sync_dir(parent(path))?;
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut file = file;
        let mut file = loop {
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(f) => break f,
                Err((f, nix::errno::Errno::EWOULDBLOCK)) if Instant::now() < deadline => {
                    file = f;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
                    return Err(JournalError::Locked(path.to_path_buf()))
                }
                Err((_, e)) => return Err(JournalError::io(path, std::io::Error::from(e))),
            }
        };
        let len = file
            .metadata()
            .map_err(|e| JournalError::io(path, e))?
            .len();
        let (valid_end, last_seq) = find_tail(&mut file, path, len)?;
        let mut opened = Opened {
            last_seq,
            torn_tail: None,
            created,
        };
        if valid_end < len {
            let aside = path.with_file_name(format!(
                "{}.torn-{valid_end}",
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "journal".into())
            ));
            let mut tail = vec![0u8; (len - valid_end) as usize];
            file.seek(SeekFrom::Start(valid_end))
                .and_then(|_| file.read_exact(&mut tail))
                .map_err(|e| JournalError::io(path, e))?;
            let mut out = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&aside)
                .map_err(|e| JournalError::io(&aside, e))?;
            out.write_all(&tail)
                .and_then(|()| out.sync_all())
                .map_err(|e| JournalError::io(&aside, e))?;
            sync_dir(parent(path))?;
            file.set_len(valid_end)
                .and_then(|()| file.sync_all())
                .map_err(|e| JournalError::io(path, e))?;
            tracing::warn!(
                journal = %path.display(),
                bytes = len - valid_end,
                kept = %aside.display(),
                "the journal ended in a torn entry (a write cut short, never acknowledged); it was cut off and kept aside"
            );
            opened.torn_tail = Some((len - valid_end, aside));
        }
        Ok((
            Journal {
                path: path.to_path_buf(),
                file,
                len: valid_end,
                next: last_seq + 1,
                broken: false,
            },
            opened,
        ))
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sequence number of the last entry (0 when empty).
    pub fn last_seq(&self) -> u64 {
        self.next - 1
    }

    /// The sequence number the next [`append`](Journal::append) will get.
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// Appends an entry and fsyncs it; returns its sequence number. When this returns `Ok`, the
    /// entry survives a power cut. On an error nothing of the entry stays in the file.
    pub fn append(&mut self, payload: &str) -> Result<u64> {
        if payload.contains('\n') {
            return Err(JournalError::Newline);
        }
        if self.broken {
            return Err(JournalError::Broken(self.path.clone()));
        }
        let seq = self.next;
        let line = format_line(seq, payload);
        let written = self
            .file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_all());
        if let Err(e) = written {
            // Cut a partial line off, or the next entry would be glued to it.
            let cut = self
                .file
                .set_len(self.len)
                .and_then(|()| self.file.sync_all());
            if cut.is_err() {
                self.broken = true;
            }
            return Err(JournalError::io(&self.path, e));
        }
        self.len += line.len() as u64;
        self.next += 1;
        Ok(seq)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn lines_round_trip_and_checksums_catch_one_changed_byte() {
        let l = format_line(7, "{\"a\":1}");
        assert!(l.ends_with('\n'));
        let e = parse_line(l.trim_end()).unwrap();
        assert_eq!((e.seq, e.payload.as_str()), (7, "{\"a\":1}"));
        let bad = l.trim_end().replace("\"a\"", "\"b\"");
        assert!(parse_line(&bad).is_none());
        let bad_seq = l.trim_end().replacen('7', "8", 1);
        assert!(parse_line(&bad_seq).is_none());
        assert!(parse_line("").is_none());
        assert!(parse_line("{\"legacy\":true}").is_none());
    }

    #[test]
    fn appends_are_numbered_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j");
        {
            let (mut j, o) = Journal::open(&p).unwrap();
            assert!(o.created);
            assert_eq!(j.append("one").unwrap(), 1);
            assert_eq!(j.append("two").unwrap(), 2);
            assert!(matches!(j.append("a\nb"), Err(JournalError::Newline)));
        }
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let (mut j, o) = Journal::open(&p).unwrap();
        assert_eq!((o.last_seq, o.created, o.torn_tail), (2, false, None));
        assert_eq!(j.append("three").unwrap(), 3);
        let r = read(&p).unwrap();
        let seqs: Vec<u64> = r.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3]);
        assert!(r.damaged.is_empty() && r.gaps.is_empty() && r.unchecked.is_empty());
    }

    #[test]
    fn a_torn_tail_is_cut_off_kept_aside_and_the_next_entry_stands_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j");
        {
            let (mut j, _) = Journal::open(&p).unwrap();
            j.append("one").unwrap();
            j.append("two").unwrap();
        }
        let whole = std::fs::metadata(&p).unwrap().len();
        // A third append cut short by a crash: half a line, no newline.
        let third = format_line(3, "three-and-more");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(&third.as_bytes()[..9])
            .unwrap();
        assert_eq!(read(&p).unwrap().damaged, vec![3]);
        let (mut j, o) = Journal::open(&p).unwrap();
        assert_eq!(o.last_seq, 2);
        let (bytes, aside) = o.torn_tail.unwrap();
        assert_eq!(bytes, 9);
        assert_eq!(std::fs::read(&aside).unwrap(), &third.as_bytes()[..9]);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), whole);
        assert_eq!(j.append("three").unwrap(), 3);
        let r = read(&p).unwrap();
        assert_eq!(r.entries.len(), 3);
        assert!(r.damaged.is_empty());
    }

    #[test]
    fn a_damaged_line_in_the_middle_is_reported_with_its_gap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j");
        {
            let (mut j, _) = Journal::open(&p).unwrap();
            for s in ["one", "two", "three"] {
                j.append(s).unwrap();
            }
        }
        let text = std::fs::read_to_string(&p).unwrap().replace("two", "twX");
        std::fs::write(&p, text).unwrap();
        let r = read(&p).unwrap();
        assert_eq!(r.damaged, vec![2]);
        assert_eq!(r.gaps, vec![2]);
        assert_eq!(r.entries.len(), 2);
        // The tail is whole, so opening cuts nothing.
        let (_, o) = Journal::open(&p).unwrap();
        assert_eq!((o.last_seq, o.torn_tail), (3, None));
    }

    #[test]
    fn a_long_last_line_is_found_across_windows_and_garbage_alone_is_all_tail() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j");
        let big = "x".repeat(300_000);
        {
            let (mut j, _) = Journal::open(&p).unwrap();
            j.append("small").unwrap();
            j.append(&big).unwrap();
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"4 0000")
            .unwrap();
        let (_, o) = Journal::open(&p).unwrap();
        assert_eq!(o.last_seq, 2);
        assert_eq!(o.torn_tail.unwrap().0, 6);
        let q = dir.path().join("g");
        std::fs::write(&q, b"not a journal at all").unwrap();
        let (mut j, o) = Journal::open(&q).unwrap();
        assert_eq!(o.last_seq, 0);
        assert_eq!(o.torn_tail.unwrap().0, 20);
        assert_eq!(j.append("first").unwrap(), 1);
    }

    #[test]
    fn one_writer_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j");
        let (_j, _) = Journal::open(&p).unwrap();
        let t = Instant::now();
        assert!(matches!(Journal::open(&p), Err(JournalError::Locked(_))));
        assert!(t.elapsed() >= Duration::from_secs(2));
    }

    #[test]
    fn legacy_lines_are_handed_back_unchecked() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j");
        let mut text = String::from("{\"id\":\"old\"}\n");
        text.push_str(&format_line(1, "new"));
        std::fs::write(&p, text).unwrap();
        let r = read(&p).unwrap();
        assert_eq!(r.unchecked, vec![(1, "{\"id\":\"old\"}".to_string())]);
        assert_eq!(r.entries.len(), 1);
        assert!(r.damaged.is_empty());
    }
}
