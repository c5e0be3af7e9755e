//! The crate's error: a kind for the caller to branch on and a sentence for the clerk.

use std::fmt;

/// What went wrong, coarsely: enough for the station to choose an exit code or a colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The account's roles do not allow this step, the password was wrong, or the account is
    /// locked or disabled.
    NotPermitted,
    /// No application, ticket, complaint or account has that id.
    NotFound,
    /// A value typed by the clerk or written in the configuration is not acceptable.
    InvalidInput,
    /// The step does not fit the current state (e.g. approving a file that was sent back).
    Conflict,
    /// The database failed or holds data this version cannot read.
    Storage,
}

impl ErrorKind {
    /// A stable lower-case name, used in JSON and exit-code tables.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotPermitted => "not_permitted",
            ErrorKind::NotFound => "not_found",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Storage => "storage",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error of the service crate. The `Display` text is the English sentence; a clerk sees
/// [`Error::message`] in the station's language.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The account's roles do not include the step.
    #[error("{0}")]
    NotPermitted(crate::Msg),
    /// Nothing has that id.
    #[error("{0}")]
    NotFound(crate::Msg),
    /// A value is not acceptable.
    #[error("{0}")]
    InvalidInput(crate::Msg),
    /// The step does not fit the current state.
    #[error("{0}")]
    Conflict(crate::Msg),
    /// The office configuration names a bad value: the key and what is allowed.
    #[error("office configuration, key `{key}`: {message}")]
    Config {
        /// The key in `office.toml`, e.g. `service[2].limit.amount`.
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The database failed.
    #[error("the service database failed ({0}); check the disk and restart the station")]
    Storage(String),
}

impl Error {
    /// The coarse kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotPermitted(_) => ErrorKind::NotPermitted,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::InvalidInput(_) | Error::Config { .. } => ErrorKind::InvalidInput,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Storage(_) => ErrorKind::Storage,
        }
    }

    /// The message in the clerk's language.
    pub fn message(&self, lang: crate::Lang) -> String {
        match self {
            Error::NotPermitted(m)
            | Error::NotFound(m)
            | Error::InvalidInput(m)
            | Error::Conflict(m) => m.get(lang).to_string(),
            Error::Config { key, message } => match lang {
                crate::Lang::Id => format!("konfigurasi kantor, kunci `{key}`: {message}"),
                crate::Lang::En => format!("office configuration, key `{key}`: {message}"),
            },
            Error::Storage(detail) => match lang {
                crate::Lang::Id => format!(
                    "basis data layanan gagal ({detail}); periksa disk lalu nyalakan ulang stasiun"
                ),
                crate::Lang::En => self.to_string(),
            },
        }
    }

    pub(crate) fn config(key: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Config {
            key: key.into(),
            message: message.into(),
        }
    }

    pub(crate) fn invalid(id: impl Into<String>, en: impl Into<String>) -> Error {
        Error::InvalidInput(crate::Msg::new(id, en))
    }

    pub(crate) fn conflict(id: impl Into<String>, en: impl Into<String>) -> Error {
        Error::Conflict(crate::Msg::new(id, en))
    }

    pub(crate) fn not_found(id: impl Into<String>, en: impl Into<String>) -> Error {
        Error::NotFound(crate::Msg::new(id, en))
    }

    pub(crate) fn not_permitted(id: impl Into<String>, en: impl Into<String>) -> Error {
        Error::NotPermitted(crate::Msg::new(id, en))
    }
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Error {
        Error::Storage(e.to_string())
    }
}

impl From<rekam_journal::JournalError> for Error {
    fn from(e: rekam_journal::JournalError) -> Error {
        Error::Storage(e.to_string())
    }
}

impl From<sled::transaction::TransactionError<Error>> for Error {
    fn from(e: sled::transaction::TransactionError<Error>) -> Error {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => Error::Storage(e.to_string()),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
