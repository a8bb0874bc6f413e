//! Config helpers every layer may use: the error type with key paths, durations, times,
//! paths relative to the config file, redaction; and `[institution]`, which every stage reads.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// One problem in the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted key path, e.g. `sources[2].every`.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when we know.
    pub hint: Option<String>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// All problems found in one config file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} problem(s) in {}:\n{}", .errors.len(), .file.display(), .errors.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigErrors {
    /// The file that was read.
    pub file: PathBuf,
    /// Every problem, in file order.
    pub errors: Vec<ConfigError>,
}

/// `[institution]`: who we watch for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Institution {
    /// Display name, used in e-mails.
    pub name: String,
    /// Keyword queries; a mention matches any of them.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Exclusion queries; a match on any of them drops the item.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Languages to identify (ISO 639-1); identification is restricted to these.
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    /// How: "combined" (function words, then whatlang when sure, lingua otherwise; the
    /// default), "whatlang" or "lingua".
    #[serde(default)]
    pub language_detector: crate::core::language::Method,
}

impl Institution {
    /// The language identifier this config asks for; the institution's own names (from
    /// its keywords) are not read.
    pub fn language_id(&self) -> crate::core::language::LanguageId {
        crate::core::language::LanguageId::with_method(&self.languages, self.language_detector)
            .with_names(crate::core::language::clean::names_from_keywords(
                &self.keywords,
            ))
    }
}

fn default_languages() -> Vec<String> {
    ["fr", "nl", "en", "de"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Durations written like "90s", "15m", "1h" (humantime syntax).
pub mod humantime_serde_compat {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    /// Parses a humantime duration string ("0s" allowed).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(s.trim()).map_err(|e| {
            serde::de::Error::custom(format!(
                "{s:?} is not a duration ({e}); write it like \"90s\", \"15m\" or \"1h\""
            ))
        })
    }
}

/// Parses "90s", "15m", "1h", "1h 30m"; zero is refused.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    match humantime::parse_duration(s.trim()) {
        Ok(d) if d.is_zero() => Err(format!("{s:?} is zero")),
        Ok(d) => Ok(d),
        Err(e) => Err(format!(
            "{s:?} is not a duration ({e}); write it like \"90s\", \"15m\" or \"1h\""
        )),
    }
}

/// Hides a password embedded in a URL (`smtp://user:pw@host`).
pub fn redact_url(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("[redacted]"));
            parsed.to_string()
        }
        _ => u.to_string(),
    }
}

/// Folder of a config file ("." when it has none).
pub fn base_dir_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Resolves `p` against the folder of `file` unless it is absolute.
pub fn resolve_path(file: &Path, p: &str) -> PathBuf {
    let pb = PathBuf::from(p);
    if pb.is_absolute() {
        pb
    } else {
        base_dir_of(file).join(pb)
    }
}

/// Parses "HH:MM".
pub fn parse_hhmm(s: &str) -> Option<chrono::NaiveTime> {
    chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

/// Parses "HH:MM-HH:MM" (working hours, quiet hours).
pub fn parse_time_range(s: &str) -> Option<(chrono::NaiveTime, chrono::NaiveTime)> {
    let (a, b) = s.split_once('-')?;
    Some((parse_hhmm(a)?, parse_hhmm(b)?))
}
