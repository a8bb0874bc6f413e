//! Typed configuration, read from TOML and validated in one go: every problem is
//! reported together, each with its key path and a hint, before anything starts.

mod checks;
mod read;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

pub use crate::classify::config::ClassifierConfig;
use crate::core::classification::Topic;
pub use crate::core::config::{
    base_dir_of, parse_duration, parse_hhmm, redact_url, resolve_path, ConfigError, ConfigErrors,
    Institution,
};
use crate::core::matching::Matcher;
pub use crate::notify::config::{Digest, Recipient, Smtp};
pub use crate::sources::fetch::Fetch;
use crate::sources::SourceConfig;
pub use crate::store::config::Storage;

/// The whole, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the file was read from; relative paths in it are relative to its folder.
    pub file: PathBuf,
    /// `[institution]`
    pub institution: Institution,
    /// `[storage]`
    pub storage: Storage,
    /// `[fetch]`
    pub fetch: Fetch,
    /// `[[sources]]`
    pub sources: Vec<SourceConfig>,
    /// `[smtp]`, absent when nobody gets e-mail.
    pub smtp: Option<Smtp>,
    /// `[[recipients]]`
    pub recipients: Vec<Recipient>,
    /// `[digest]`
    pub digest: Digest,
    /// `[classifier]`
    pub classifier: ClassifierConfig,
    /// `[[topics]]`
    pub topics: Vec<Topic>,
    /// `[alerts]`: grouping, throttling, routing.
    pub alerts: crate::notify::alerts::AlertsConfig,
    /// `[signals]`: crisis detection.
    pub signals: crate::detect::crisis::SignalsConfig,
    /// `[escalation]`: working-day clocks and legal deadlines.
    pub escalation: crate::escalate::EscalationConfig,
    /// `[web]`: the escalation page, when configured.
    pub web: Option<crate::web::WebConfig>,
    /// Compiled `[institution] keywords` and `exclude`.
    pub matcher: Matcher,
}

const KNOWN_SECTIONS: &[&str] = &[
    "institution",
    "storage",
    "fetch",
    "sources",
    "smtp",
    "recipients",
    "digest",
    "classifier",
    "topics",
    "alerts",
    "escalation",
    "signals",
    "web",
];

struct Collector {
    errors: Vec<ConfigError>,
}

impl Collector {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>, hint: Option<&str>) {
        self.errors.push(ConfigError {
            path: path.into(),
            message: message.into(),
            hint: hint.map(str::to_string),
        });
    }

    /// Deserializes one value, recording the error (with the path inside it) on failure.
    fn section<T: DeserializeOwned>(&mut self, path: &str, value: toml::Value) -> Option<T> {
        let de = value;
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Some(v),
            Err(e) => {
                let inner = e.path().to_string();
                let full = if inner == "." || inner.is_empty() {
                    path.to_string()
                } else {
                    format!("{path}.{inner}")
                };
                let msg = e.into_inner().to_string();
                let msg = msg
                    .split("\nin `")
                    .next()
                    .unwrap_or(&msg)
                    .trim()
                    .to_string();
                self.push(full, msg, None);
                None
            }
        }
    }
}

/// What a command reads the config for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The daemon (and `check-config`): at least one `[[sources]]` is needed.
    Daemon,
    /// Commands that never fetch (`classify`, `eval`, `replay`, `lexicon`): `[institution]`
    /// and `[classifier]` are enough.
    Offline,
}

impl Config {
    /// Reads and validates a config file for the daemon.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        Config::load_for(path, Purpose::Daemon)
    }

    /// Reads and validates a config file for `purpose`.
    pub fn load_for(path: &Path, purpose: Purpose) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigErrors {
            file: path.to_path_buf(),
            errors: vec![ConfigError {
                path: "(file)".into(),
                message: format!("cannot read {}: {e}", path.display()),
                hint: Some("pass the path of a TOML file, e.g. config/demo.toml".into()),
            }],
        })?;
        Config::parse_for(&text, path, purpose)
    }

    /// Parses and validates config text for the daemon; `path` anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigErrors> {
        Config::parse_for(text, path, Purpose::Daemon)
    }

    /// Parses and validates config text for `purpose`. Each section is read, then checked,
    /// by its own function; every problem is collected before deciding.
    pub fn parse_for(text: &str, path: &Path, purpose: Purpose) -> Result<Config, ConfigErrors> {
        let fail = |errors| ConfigErrors {
            file: path.to_path_buf(),
            errors,
        };
        let root = parse_toml(text).map_err(|e| fail(vec![e]))?;
        let mut c = Collector { errors: Vec::new() };
        let s = read::sections(&mut c, &root, purpose == Purpose::Daemon);
        let matcher = s
            .institution
            .as_ref()
            .and_then(|inst| checks::institution(&mut c, inst));
        checks::storage_url(&mut c, &s.storage.url);
        checks::fetch(&mut c, &s.fetch);
        checks::sources(&mut c, &s.sources);
        if let Some(smtp) = &s.smtp {
            checks::smtp(&mut c, smtp);
        }
        checks::recipients(&mut c, &s.recipients, s.smtp.is_some());
        checks::digest(&mut c, &s.digest);
        checks::classifier(&mut c, &s.classifier, path);
        checks::topics(&mut c, &s.topics);
        if !c.errors.is_empty() {
            return Err(fail(c.errors));
        }
        Ok(Config {
            file: path.to_path_buf(),
            institution: s.institution.expect("checked above"),
            storage: s.storage,
            fetch: s.fetch,
            sources: s.sources,
            smtp: s.smtp,
            recipients: s.recipients,
            digest: s.digest,
            classifier: s.classifier,
            topics: s.topics,
            alerts: s.alerts,
            signals: s.signals,
            escalation: s.escalation,
            web: s.web,
            matcher: matcher.expect("checked above"),
        })
    }

    /// Folder of the config file, against which relative paths are resolved.
    pub fn base_dir(&self) -> PathBuf {
        base_dir_of(&self.file)
    }

    /// The sections the ingest side (sources, webhook) reads.
    pub fn sources(&self) -> crate::sources::fetch::SourcesConfig {
        crate::sources::fetch::SourcesConfig {
            sources: self.sources.clone(),
            fetch: self.fetch.clone(),
            base: self.base_dir(),
            matcher: self.matcher.clone(),
            language: self.institution.language_id(),
            own: self
                .escalation
                .own_accounts(self.sources.iter().filter_map(|s| s.own_account())),
        }
    }

    /// The sections the escalation page reads.
    pub fn page(&self) -> crate::web::PageConfig {
        crate::web::PageConfig {
            escalation: self.escalation.clone(),
            web: self.web.clone().unwrap_or_default(),
            institution: self.institution.name.clone(),
            keywords: self.institution.keywords.clone(),
            topics: self.topics.clone(),
            tz: self.tz(),
            knowledge: self
                .signals
                .knowledge
                .as_ref()
                .map(|p| self.base_dir().join(p)),
        }
    }

    /// The sections the notify stage reads.
    pub fn notify(&self) -> crate::notify::config::NotifyConfig {
        crate::notify::config::NotifyConfig {
            institution: self.institution.name.clone(),
            recipients: self.recipients.clone(),
            digest: self.digest.clone(),
            alerts: self.alerts.clone(),
            topics: self.topics.clone(),
            tz: self.tz(),
            calendar: self.escalation.calendar(self.tz()),
        }
    }

    /// Time zone of the digest, the clocks and the times shown.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.digest
            .timezone
            .parse()
            .unwrap_or(chrono_tz::Europe::Brussels)
    }

    /// Resolves a path written in the config.
    pub fn resolve(&self, p: &str) -> PathBuf {
        resolve_path(&self.file, p)
    }
}

/// The TOML document, or its syntax error with the line it is on.
fn parse_toml(text: &str) -> Result<toml::Table, ConfigError> {
    text.parse().map_err(|e: toml::de::Error| ConfigError {
        path: "(syntax)".into(),
        message: e.message().to_string(),
        hint: e.span().map(|s| {
            let line = text[..s.start].matches('\n').count() + 1;
            format!("see line {line}")
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Config, ConfigErrors> {
        Config::parse(s, Path::new("config/test.toml"))
    }

    const GOOD: &str = r#"
[institution]
name = "SPF Impôts"
keywords = ["SPF Impôts", "MyTax OR @SPFImpots"]
[[sources]]
name = "a"
kind = "rss"
url = "https://example.org/feed.xml"
every = "15m"
"#;

    #[test]
    fn good_config_loads_with_defaults() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.storage.url, "sqlite://vigie.db");
        assert_eq!(c.fetch.timeout, std::time::Duration::from_secs(20));
        assert_eq!(c.institution.languages, vec!["fr", "nl", "en", "de"]);
        assert_eq!(c.sources[0].every(), std::time::Duration::from_secs(900));
        assert_eq!(c.digest.timezone, "Europe/Brussels");
    }

    #[test]
    fn language_detector_is_combined_by_default_and_lingua_needs_its_models() {
        use crate::core::language::Method;
        assert_eq!(
            parse(GOOD).unwrap().institution.language_detector,
            Method::Combined
        );
        let lingua = GOOD.replace(
            "[[sources]]",
            "languages = [\"fr\", \"es\"]\nlanguage_detector = \"lingua\"\n[[sources]]",
        );
        let e = parse(&lingua).unwrap_err();
        assert_eq!(e.errors.len(), 1, "{e}");
        assert_eq!(e.errors[0].path, "institution.languages[1]");
        let whatlang = lingua.replace("\"lingua\"", "\"whatlang\"");
        assert_eq!(
            parse(&whatlang).unwrap().institution.language_detector,
            Method::Whatlang
        );
        let typo = lingua.replace("\"lingua\"", "\"linguo\"");
        assert!(parse(&typo).is_err());
    }

    #[test]
    fn all_errors_are_reported_at_once_with_paths() {
        let bad = r#"
[institution]
name = ""
keywords = ["(MyTax"]
languages = ["fr", "xx"]
[storage]
url = "mysql://x"
[[sources]]
name = "a"
kind = "rss"
url = "ftp://example.org"
every = "5 parsecs"
[[sources]]
name = "a"
kind = "tiktok"
[[sources]]
name = "b"
kind = "rss"
url = "https://example.org"
every = "1h"
evry = "2h"
[smtp]
url = "smtp://u:secret@host:25"
from = "not an address"
[[recipients]]
name = "x"
email = "nope"
language = "de"
alerts = true
[digest]
at = "25:00"
timezone = "Europe/Bruxelles"
[classifier]
backend = "magic"
[colour]
x = 1
"#;
        let e = parse(bad).unwrap_err();
        let paths: Vec<&str> = e.errors.iter().map(|e| e.path.as_str()).collect();
        for p in [
            "colour",
            "institution.name",
            "institution.languages[1]",
            "institution.keywords[0]",
            "storage.url",
            "sources[0].url",
            "sources[0].every",
            "sources[1].kind",
            "sources[2]",
            "smtp.url",
            "smtp.from",
            "recipients[0].email",
            "recipients[0].language",
            "digest.at",
            "digest.timezone",
            "classifier.backend",
        ] {
            assert!(
                paths.iter().any(|x| x.starts_with(p)),
                "missing {p} in {paths:?}"
            );
        }
        let text = e.to_string();
        assert!(!text.contains("secret"), "password leaked: {text}");
        assert!(text.contains("evry"), "{text}");
    }

    /// Regression: a `[[sources]]` block of unknown kind hid the problems of the keys
    /// every kind shares.
    #[test]
    fn unknown_kind_still_reports_its_shared_keys() {
        let bad = r#"
[institution]
name = "X"
keywords = ["X"]
[[sources]]
name = "a"
kind = "tiktok"
every = "soon"
[[sources]]
name = ""
every = "1s"
"#;
        let e = parse(bad).unwrap_err();
        let paths: Vec<&str> = e.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "sources[0].kind",
                "sources[0].every",
                "sources[1].kind",
                "sources[1].name",
                "sources[1].every"
            ],
            "{e}"
        );
    }

    #[test]
    fn syntax_error_gives_line() {
        let e = parse("[institution\nname=1").unwrap_err();
        assert_eq!(e.errors[0].path, "(syntax)");
        assert!(e.errors[0].hint.as_deref().unwrap().contains("line 1"));
    }
}
