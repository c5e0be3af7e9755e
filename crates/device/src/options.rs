//! Driver options: string keys and values from configuration, parsed with errors that name
//! the key.

use std::collections::BTreeMap;

use crate::error::{DeviceError, ErrorKind};

/// Options for opening a device (`baud`, `address`, `password`, ...), as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    values: BTreeMap<String, String>,
}

impl Options {
    /// No options: every driver default applies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn set(mut self, key: &str, value: impl ToString) -> Self {
        self.values.insert(key.to_string(), value.to_string());
        self
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Every key, for checking that none is unknown to a driver.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Fails with a sentence naming the first key not in `known`.
    pub fn reject_unknown(&self, driver: &str, known: &[&str]) -> Result<(), DeviceError> {
        match self.keys().find(|k| !known.contains(k)) {
            Some(k) => Err(DeviceError::new(
                ErrorKind::InvalidInput,
                format!(
                    "the option '{k}' is not known to the {driver} driver; it takes: {}",
                    known.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    /// `key` as an unsigned 32-bit number (decimal, or hexadecimal with `0x`), within
    /// `min..=max`.
    ///
    /// ```
    /// use rekam_device::Options;
    /// let o = Options::new().set("address", "0xFFFFFFFF").set("baud", "57600");
    /// assert_eq!(o.u32("address", 0, u32::MAX).unwrap(), Some(0xFFFF_FFFF));
    /// assert_eq!(o.u32("baud", 9600, 115200).unwrap(), Some(57600));
    /// assert!(o.u32("baud", 9600, 19200).is_err());
    /// assert_eq!(o.u32("password", 0, u32::MAX).unwrap(), None);
    /// ```
    pub fn u32(&self, key: &str, min: u32, max: u32) -> Result<Option<u32>, DeviceError> {
        let Some(raw) = self.get(key) else {
            return Ok(None);
        };
        let t = raw.trim().replace('_', "");
        let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => t.parse::<u32>(),
        };
        match parsed {
            Ok(v) if (min..=max).contains(&v) => Ok(Some(v)),
            _ => Err(DeviceError::new(
                ErrorKind::InvalidInput,
                format!(
                    "the option '{key}' is '{raw}'; it must be a whole number from {min} to {max}"
                ),
            )),
        }
    }
}
