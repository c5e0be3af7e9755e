//! The population number (NIK) and the family-card number (KK): a format check only.
//!
//! Full validation (region codes, the embedded birth date, the serial) belongs to the pipeline;
//! this module is the boundary it will replace. The form is `rekam_record::canonical_nik`'s,
//! the one the record store and the sealed records use, so an application's NIK matches its
//! record's. It never logs the number.

use std::fmt;

use crate::error::{Error, Result};

/// A 16-digit population identity number (Nomor Induk Kependudukan).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Nik(String);

impl Nik {
    /// Accepts 16 digits (spaces, hyphens and dots between groups are removed).
    ///
    /// ```
    /// use rekam_service::nik::Nik;
    /// assert!(Nik::parse("3513 0612 0599 0001").is_ok());
    /// assert!(Nik::parse("35130612059900").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Nik> {
        digits16(s).map(Nik).ok_or_else(|| {
            Error::invalid(
                "NIK harus 16 angka; periksa kembali nomor pada KK.",
                "A NIK is 16 digits; check the number on the family card.",
            )
        })
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Nik {
    /// Masked, so a NIK never reaches a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nik(****{})", &self.0[12..])
    }
}

impl fmt::Display for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A 16-digit family-card number (Nomor Kartu Keluarga).
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct FamilyCardNo(String);

impl FamilyCardNo {
    /// Accepts 16 digits (spaces, hyphens and dots between groups are removed).
    pub fn parse(s: &str) -> Result<FamilyCardNo> {
        digits16(s).map(FamilyCardNo).ok_or_else(|| {
            Error::invalid(
                "Nomor KK harus 16 angka; periksa kembali kartu keluarga.",
                "A family-card number is 16 digits; check the family card.",
            )
        })
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for FamilyCardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FamilyCardNo(****{})", &self.0[12..])
    }
}

impl fmt::Display for FamilyCardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The 16 digits in the one canonical form of the record crate (a family-card number has the
/// NIK's form).
fn digits16(s: &str) -> Option<String> {
    rekam_record::canonical_nik(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_digits_only() {
        assert_eq!(
            Nik::parse("3513061205990001").unwrap().as_str(),
            "3513061205990001"
        );
        assert_eq!(
            Nik::parse("3513.0612.0599.0001").unwrap().as_str(),
            "3513061205990001"
        );
        assert_eq!(
            Nik::parse("3513-0612-0599-0001").unwrap().as_str(),
            "3513061205990001"
        );
        for bad in [
            "",
            "351306120599000",
            "35130612059900011",
            "35130612059900O1",
            "-513061205990001",
        ] {
            let e = Nik::parse(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
            assert!(e.message(crate::Lang::Id).contains("16 angka"));
        }
        assert!(FamilyCardNo::parse("3513060101200001").is_ok());
        assert!(FamilyCardNo::parse("123").is_err());
    }

    #[test]
    fn debug_output_is_masked() {
        let n = Nik::parse("3513061205990001").unwrap();
        assert_eq!(format!("{n:?}"), "Nik(****0001)");
    }
}
