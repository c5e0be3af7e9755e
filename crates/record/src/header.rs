//! The person header's one canonical form: the NIK as 16 ASCII digits, the name within the
//! card's limits with its spaces normalised, the birth date as `YYYY-MM-DD`.
//!
//! Every part of Rekam that compares, indexes or seals a NIK goes through [`canonical_nik`]
//! (the pipeline's NIK rules, the office's service data, the record store's index, the
//! recording-once check, the sealer), so `3578-0112-0799-0001` and `3578011207990001` are one
//! person everywhere. [`Person::canonical`] applies all three rules and [`crate::seal`] calls
//! it, so no header is sealed in another form.

use std::io::Read;
use std::path::Path;

use crate::Person;

/// The most characters a name may have, spaces included (Permendagri 73/2022 on recording names
/// in population documents, art. 4(2)b: at most 60 letters including spaces), as the KTP-el
/// prints it.
pub const NAME_MAX_CHARS: usize = 60;

/// Why a header field is refused. The messages are English sentences; [`HeaderError::id`] gives
/// the same in Bahasa Indonesia. None of them repeats the value typed, which is personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// Not 16 digits once the separators are removed.
    #[error("a NIK has exactly 16 digits; this one has {0} (spaces, hyphens and dots between the groups are ignored)")]
    NikLength(usize),
    /// A character that is neither a digit 0-9 nor a separator.
    #[error("a NIK holds only the digits 0-9, with spaces, hyphens or dots between the groups; character {0} is none of these")]
    NikCharacter(usize),
    /// Empty or only spaces.
    #[error("the name is empty: type the full name as on the family card")]
    NameEmpty,
    /// More than [`NAME_MAX_CHARS`] characters after the spaces are normalised.
    #[error("the name has {0} characters; a name on the KTP-el has at most 60, spaces included: write it as on the family card")]
    NameTooLong(usize),
    /// A control or invisible formatting character (tab, line break, zero-width, direction mark).
    #[error("the name contains an invisible or control character (character {0}), which a card cannot print: type the name again")]
    NameControl(usize),
    /// Not a real date in `YYYY-MM-DD`.
    #[error("the birth date must be a real date written YYYY-MM-DD, e.g. 1990-07-12")]
    BirthDate,
}

impl HeaderError {
    /// The same sentence in Bahasa Indonesia, for the operator.
    pub fn id(&self) -> String {
        match self {
            HeaderError::NikLength(n) => format!(
                "NIK harus tepat 16 angka; yang dimasukkan {n} angka (spasi, tanda hubung dan titik di antara kelompok angka diabaikan)."
            ),
            HeaderError::NikCharacter(i) => format!(
                "NIK hanya berisi angka 0-9, dengan spasi, tanda hubung atau titik di antara kelompok angka; karakter ke-{i} bukan salah satunya."
            ),
            HeaderError::NameEmpty => {
                "Nama kosong: ketik nama lengkap sesuai kartu keluarga.".into()
            }
            HeaderError::NameTooLong(n) => format!(
                "Nama berisi {n} karakter; nama pada KTP-el paling banyak 60 karakter termasuk spasi: tulis sesuai kartu keluarga."
            ),
            HeaderError::NameControl(i) => format!(
                "Nama berisi karakter tak terlihat atau karakter kendali (karakter ke-{i}) yang tidak dapat dicetak: ketik ulang namanya."
            ),
            HeaderError::BirthDate => {
                "Tanggal lahir harus tanggal yang sah, ditulis TTTT-BB-HH, misalnya 1990-07-12."
                    .into()
            }
        }
    }
}

/// The canonical form of a NIK (and of a family-card number, which has the same form): its 16
/// ASCII digits, with the spaces, hyphens and dots people write between the groups removed.
/// Anything else (letters, other digits such as full-width ones, other punctuation) is refused.
/// This checks the form only; `rekam_pipeline::nik` checks what the digits mean.
///
/// ```
/// use rekam_record::canonical_nik;
/// assert_eq!(canonical_nik("3578-0112-0799-0001").unwrap(), "3578011207990001");
/// assert_eq!(canonical_nik(" 3578 0112.0799 0001 ").unwrap(), "3578011207990001");
/// assert!(canonical_nik("3578/0112/0799/0001").is_err());
/// assert!(canonical_nik("357801120799000").is_err());
/// ```
pub fn canonical_nik(s: &str) -> Result<String, HeaderError> {
    let mut digits = String::with_capacity(16);
    for (i, c) in s.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' => {}
            _ => return Err(HeaderError::NikCharacter(i + 1)),
        }
    }
    if digits.len() != 16 {
        return Err(HeaderError::NikLength(digits.len()));
    }
    Ok(digits)
}

/// Invisible characters that change how text looks without being seen: zero-width spaces and
/// joiners, direction marks and overrides, word joiners, the byte-order mark, the soft hyphen.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}')
}

/// The canonical form of a name: no control or invisible characters, runs of spaces (any
/// Unicode space) made one ASCII space, none at either end, 1 to [`NAME_MAX_CHARS`] characters.
///
/// ```
/// use rekam_record::canonical_name;
/// assert_eq!(canonical_name("  Siti\u{a0} Nurhaliza ").unwrap(), "Siti Nurhaliza");
/// assert!(canonical_name("   ").is_err());
/// assert!(canonical_name("Siti\nNurhaliza").is_err());
/// ```
pub fn canonical_name(s: &str) -> Result<String, HeaderError> {
    if let Some(i) = s.chars().position(|c| c.is_control() || invisible(c)) {
        return Err(HeaderError::NameControl(i + 1));
    }
    let name = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(HeaderError::NameEmpty);
    }
    let n = name.chars().count();
    if n > NAME_MAX_CHARS {
        return Err(HeaderError::NameTooLong(n));
    }
    Ok(name)
}

/// Checks that a birth date is a real date written `YYYY-MM-DD` (four-digit year).
pub fn canonical_birth_date(s: &str) -> Result<String, HeaderError> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    if !shape || time::Date::parse(s, &fmt).is_err() {
        return Err(HeaderError::BirthDate);
    }
    Ok(s.to_string())
}

impl Person {
    /// This header in its canonical form ([`canonical_nik`], [`canonical_name`],
    /// [`canonical_birth_date`]), or why it cannot be recorded.
    pub fn canonical(&self) -> Result<Person, HeaderError> {
        Ok(Person {
            nik: canonical_nik(&self.nik)?,
            name: canonical_name(&self.name)?,
            birth_date: canonical_birth_date(&self.birth_date)?,
            sex: self.sex,
            service: self.service,
        })
    }
}

/// The most bytes a record file may have: 128 MiB. A typical record is about 1.1 MB; the
/// largest a station can seal is one with every finger and both irises excepted, each with a
/// full-HD camera still that PNG could not compress (12 x 6.2 MB), the face portrait
/// (2.6 MB uncompressed) and the rest, about 80 MB. 128 MiB is that with a margin of 1.6, and
/// bounds what reading a wrong file (a device, a disk image) can take. [`crate::seal`] refuses
/// to make a larger record, so every record a station sealed can be read back.
pub const MAX_RECORD_BYTES: u64 = 128 * 1024 * 1024;

/// Why a record file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The operating system's error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// More than [`MAX_RECORD_BYTES`].
    #[error("the file is larger than any record (more than {} MiB): it is not a record; check the file name", MAX_RECORD_BYTES / (1024 * 1024))]
    TooLarge,
}

/// Reads at most [`MAX_RECORD_BYTES`] from `r`: one byte more is [`ReadError::TooLarge`], read
/// no further (so `/dev/zero` costs 128 MiB at most, not the disk's or the memory's size).
pub fn read_bounded(r: impl Read) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    r.take(MAX_RECORD_BYTES + 1).read_to_end(&mut out)?;
    if out.len() as u64 > MAX_RECORD_BYTES {
        return Err(ReadError::TooLarge);
    }
    Ok(out)
}

/// Reads a record file with [`read_bounded`].
pub fn read_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    read_bounded(std::fs::File::open(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Service, Sex};

    #[test]
    fn one_canonical_nik_whatever_the_separators() {
        for s in [
            "3578011207990001",
            "3578-0112-0799-0001",
            "3578 0112 0799 0001",
            "3578.0112.0799.0001",
            " 3578-0112 0799.0001 ",
        ] {
            assert_eq!(canonical_nik(s).unwrap(), "3578011207990001", "{s}");
        }
        assert_eq!(
            canonical_nik("357801120799000"),
            Err(HeaderError::NikLength(15))
        );
        assert_eq!(canonical_nik(""), Err(HeaderError::NikLength(0)));
        assert_eq!(
            canonical_nik("35780112079900011"),
            Err(HeaderError::NikLength(17))
        );
        assert_eq!(
            canonical_nik("3578_0112"),
            Err(HeaderError::NikCharacter(5))
        );
        assert_eq!(
            canonical_nik("357801120799000O"),
            Err(HeaderError::NikCharacter(16))
        );
        // Full-width and Arabic-Indic digits are digits, but not ASCII ones.
        assert!(canonical_nik("３５７８011207990001").is_err());
        assert!(canonical_nik("٣٥٧٨011207990001").is_err());
        assert!(canonical_nik("3578\t011207990001").is_err());
        assert!(!HeaderError::NikLength(3).id().is_empty());
    }

    #[test]
    fn names_within_the_cards_limits() {
        assert_eq!(canonical_name("Dewi Lestari").unwrap(), "Dewi Lestari");
        assert_eq!(
            canonical_name(" Dewi \u{3000}  Lestari\u{a0}").unwrap(),
            "Dewi Lestari"
        );
        assert_eq!(canonical_name(""), Err(HeaderError::NameEmpty));
        assert_eq!(canonical_name("  \u{a0} "), Err(HeaderError::NameEmpty));
        assert_eq!(
            canonical_name("Dewi\nLestari"),
            Err(HeaderError::NameControl(5))
        );
        assert_eq!(
            canonical_name("Dewi\tLestari"),
            Err(HeaderError::NameControl(5))
        );
        assert_eq!(
            canonical_name("\u{1b}[31mDewi"),
            Err(HeaderError::NameControl(1))
        );
        assert_eq!(
            canonical_name("De\u{202e}wi"),
            Err(HeaderError::NameControl(3))
        );
        assert_eq!(
            canonical_name("De\u{200b}wi"),
            Err(HeaderError::NameControl(3))
        );
        let sixty = "A".repeat(60);
        assert_eq!(canonical_name(&sixty).unwrap(), sixty);
        assert_eq!(
            canonical_name(&"A".repeat(61)),
            Err(HeaderError::NameTooLong(61))
        );
        // Counted in characters, not bytes, and after the spaces are normalised.
        let accented = "É".repeat(60);
        assert_eq!(canonical_name(&accented).unwrap(), accented);
        assert!(canonical_name(&format!("{}   {}", "A".repeat(29), "B".repeat(30))).is_ok());
        let big = "Budi ".repeat(2048);
        assert_eq!(canonical_name(&big), Err(HeaderError::NameTooLong(10239)));
    }

    #[test]
    fn birth_dates_are_real_and_in_one_form() {
        assert_eq!(canonical_birth_date("1999-07-12").unwrap(), "1999-07-12");
        for bad in [
            "1999-7-12",
            "12-07-1999",
            "1999-02-29",
            "1999-13-01",
            "+999-01-01",
            "",
            "1999-07-12 ",
        ] {
            assert_eq!(
                canonical_birth_date(bad),
                Err(HeaderError::BirthDate),
                "{bad}"
            );
        }
        assert_eq!(canonical_birth_date("2000-02-29").unwrap(), "2000-02-29");
    }

    #[test]
    fn a_person_is_canonicalised_whole() {
        let p = Person {
            nik: "3578-0112-0799-0001".into(),
            name: "  Budi   Santoso ".into(),
            birth_date: "1999-07-12".into(),
            sex: Sex::Male,
            service: Service::New,
        };
        let c = p.canonical().unwrap();
        assert_eq!(c.nik, "3578011207990001");
        assert_eq!(c.name, "Budi Santoso");
        assert_eq!(c.canonical().unwrap(), c);
    }

    #[test]
    fn reads_are_bounded() {
        let zeros = std::io::repeat(0);
        assert!(matches!(read_bounded(zeros), Err(ReadError::TooLarge)));
        let small = std::io::repeat(1).take(4096);
        assert_eq!(read_bounded(small).unwrap().len(), 4096);
        assert!(read_file(Path::new("/nonexistent/x.rkm")).is_err());
    }
}
