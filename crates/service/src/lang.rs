//! The two languages of the station: Bahasa Indonesia (the default) and English.

use std::fmt;

/// A language for what a clerk reads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Bahasa Indonesia, the operators' language and the default.
    #[default]
    Id,
    /// English.
    En,
}

impl Lang {
    /// Parses `id` or `en`, ignoring case and surrounding space; also `in`, `id-id`,
    /// `indonesia`, `bahasa`, and `en-us`, `en-gb`, `english`. The one parser of a language,
    /// for the office file, the station file and `--lang`.
    ///
    /// ```
    /// use rekam_service::Lang;
    /// assert_eq!(Lang::parse("EN"), Some(Lang::En));
    /// assert_eq!(Lang::parse("id"), Some(Lang::Id));
    /// assert_eq!(Lang::parse("bahasa"), Some(Lang::Id));
    /// assert_eq!(Lang::parse("en-GB"), Some(Lang::En));
    /// assert_eq!(Lang::parse("fr"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "id" | "in" | "id-id" | "indonesia" | "bahasa" => Some(Lang::Id),
            "en" | "en-us" | "en-gb" | "english" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks one of two texts.
    pub fn pick<'a>(self, id: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Id => id,
            Lang::En => en,
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        Lang::parse(s).ok_or_else(|| format!("'{s}' is not a language: use id or en"))
    }
}

/// A sentence in both languages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Msg {
    /// Bahasa Indonesia.
    pub id: String,
    /// English.
    pub en: String,
}

impl Msg {
    /// A sentence from its two versions.
    pub fn new(id: impl Into<String>, en: impl Into<String>) -> Msg {
        Msg {
            id: id.into(),
            en: en.into(),
        }
    }

    /// The version in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Id => &self.id,
            Lang::En => &self.en,
        }
    }
}

impl fmt::Display for Msg {
    /// English, for logs and `Error`'s `Display`; clerks get [`Msg::get`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}
