//! Typed configuration, read from TOML and validated in one go: every problem is
//! reported together, each with its key path and a hint, before anything starts.

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

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigErrors {
            file: path.to_path_buf(),
            errors: vec![ConfigError {
                path: "(file)".into(),
                message: format!("cannot read {}: {e}", path.display()),
                hint: Some("pass the path of a TOML file, e.g. config/demo.toml".into()),
            }],
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates config text; `path` anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigErrors> {
        let fail = |errors| ConfigErrors {
            file: path.to_path_buf(),
            errors,
        };
        let root: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                let e: toml::de::Error = e;
                return Err(fail(vec![ConfigError {
                    path: "(syntax)".into(),
                    message: e.message().to_string(),
                    hint: e.span().map(|s| {
                        let line = text[..s.start].matches('\n').count() + 1;
                        format!("see line {line}")
                    }),
                }]));
            }
        };
        let mut c = Collector { errors: Vec::new() };
        for key in root.keys() {
            if !KNOWN_SECTIONS.contains(&key.as_str()) {
                c.push(
                    key.clone(),
                    "unknown section",
                    Some(&format!("known sections: {}", KNOWN_SECTIONS.join(", "))),
                );
            }
        }
        let get = |k: &str| root.get(k).cloned();

        let institution: Option<Institution> = match get("institution") {
            Some(v) => c.section("institution", v),
            None => {
                c.push(
                    "institution",
                    "missing section",
                    Some("add [institution] with name and keywords"),
                );
                None
            }
        };
        let storage: Storage = get("storage")
            .and_then(|v| c.section("storage", v))
            .unwrap_or_default();
        let fetch: Fetch = get("fetch")
            .and_then(|v| c.section("fetch", v))
            .unwrap_or_default();
        let smtp: Option<Smtp> = get("smtp").and_then(|v| c.section("smtp", v));
        let digest: Digest = get("digest")
            .and_then(|v| c.section("digest", v))
            .unwrap_or_default();
        let classifier: ClassifierConfig = get("classifier")
            .and_then(|v| c.section("classifier", v))
            .unwrap_or_default();

        let mut sources = Vec::new();
        match get("sources") {
            Some(toml::Value::Array(items)) => {
                for (i, item) in items.into_iter().enumerate() {
                    let p = format!("sources[{i}]");
                    if let Some(s) = SourceConfig::from_toml(&p, item, &mut |path, msg, hint| {
                        c.push(path, msg, hint)
                    }) {
                        sources.push(s);
                    }
                }
            }
            Some(_) => c.push(
                "sources",
                "must be an array of tables",
                Some("write each source as [[sources]]"),
            ),
            None => c.push(
                "sources",
                "no source configured",
                Some("add at least one [[sources]] block"),
            ),
        }
        let recipients: Vec<Recipient> = list(&mut c, &root, "recipients");
        let alerts: crate::notify::alerts::AlertsConfig = get("alerts")
            .and_then(|v| c.section("alerts", v))
            .unwrap_or_default();
        for (i, route) in alerts.routes.iter().enumerate() {
            for (j, to) in route.to.iter().enumerate() {
                if !recipients.iter().any(|r| r.email.eq_ignore_ascii_case(to)) {
                    c.push(
                        format!("alerts.routes[{i}].to[{j}]"),
                        format!("{to:?} is not one of the [[recipients]]"),
                        Some("add a [[recipients]] entry for it (its language decides the e-mail's language)"),
                    );
                }
            }
        }
        let signals: crate::detect::crisis::SignalsConfig = get("signals")
            .and_then(|v| c.section("signals", v))
            .unwrap_or_default();
        if let Err(errs) = Matcher::new(&signals.crisis_terms, &[]) {
            for (p, e) in errs {
                c.push(
                    format!(
                        "signals.crisis_terms[{}]",
                        p.trim_start_matches("keywords[").trim_end_matches(']')
                    ),
                    e.to_string(),
                    None,
                );
            }
        }
        if signals.min_count < 1 || signals.critical_count < signals.min_count {
            c.push(
                "signals.critical_count",
                "must be at least min_count (and min_count at least 1)",
                None,
            );
        }
        let escalation: crate::escalate::EscalationConfig = get("escalation")
            .and_then(|v| c.section("escalation", v))
            .unwrap_or_default();
        for (path, msg) in escalation.problems() {
            c.push(path, msg, None);
        }
        let web: Option<crate::web::WebConfig> = get("web").and_then(|v| c.section("web", v));
        for (path, msg) in web.iter().flat_map(|w| w.problems()) {
            c.push(path, msg, None);
        }
        if web.is_none() {
            for (i, s) in sources.iter().enumerate() {
                if matches!(s, SourceConfig::Webhook(_)) {
                    c.push(
                        format!("sources[{i}].kind"),
                        "a webhook is served on the web listener, and there is no [web] section",
                        Some(
                            "add [web] listen = \"127.0.0.1:8080\" (POST /ingest is served there)",
                        ),
                    );
                }
            }
        }
        if alerts.max_per_hour < 1 {
            c.push("alerts.max_per_hour", "must be at least 1", None);
        }
        let topics: Vec<Topic> = list(&mut c, &root, "topics");

        // Semantic checks, all of them, before deciding.
        let mut matcher = None;
        if let Some(inst) = &institution {
            if inst.name.trim().is_empty() {
                c.push("institution.name", "is empty", None);
            }
            if inst.keywords.is_empty() {
                c.push(
                    "institution.keywords",
                    "is empty: nothing would ever match",
                    Some("e.g. keywords = [\"SPF Finances\", \"@SPFFinances\", \"MyMinfin\"]"),
                );
            }
            for (i, l) in inst.languages.iter().enumerate() {
                if crate::core::language::lang_from_code(l).is_none() {
                    c.push(
                        format!("institution.languages[{i}]"),
                        format!("unknown language code {l:?}"),
                        Some("use ISO 639-1 codes: fr, nl, en, de, ..."),
                    );
                }
            }
            match Matcher::new(&inst.keywords, &inst.exclude) {
                Ok(m) => matcher = Some(m),
                Err(errs) => {
                    for (p, e) in errs {
                        c.push(
                            format!("institution.{p}"),
                            e.to_string(),
                            Some("quote phrases, use AND / OR / NOT in capitals, balance parentheses"),
                        );
                    }
                }
            }
        }
        check_storage_url(&mut c, &storage.url);
        if fetch.concurrency == 0 {
            c.push("fetch.concurrency", "must be at least 1", None);
        }
        if fetch.max_body_mib == 0 {
            c.push("fetch.max_body_mib", "must be at least 1", None);
        }
        let mut names = std::collections::HashSet::new();
        let mut webhooks = 0;
        for (i, s) in sources.iter().enumerate() {
            if matches!(s, SourceConfig::Webhook(_)) {
                webhooks += 1;
                if webhooks > 1 {
                    c.push(
                        format!("sources[{i}].kind"),
                        "only one webhook source: it serves POST /ingest",
                        Some("give each pushing tool its own entry in the first webhook's clients"),
                    );
                }
            }
            if !names.insert(s.name().to_string()) {
                c.push(
                    format!("sources[{i}].name"),
                    format!("duplicate source name {:?}", s.name()),
                    Some("each source needs its own name: it keys the source's state in the database"),
                );
            }
        }
        if let Some(smtp) = &smtp {
            check_smtp(&mut c, smtp);
        }
        let wants_mail = recipients.iter().any(|r| r.alerts || r.digest);
        if wants_mail && smtp.is_none() {
            c.push(
                "smtp",
                "recipients want e-mail but [smtp] is missing",
                Some("add [smtp] url = \"smtp://host:587\" (or \"file://outbox\" to write .eml files)"),
            );
        }
        for (i, r) in recipients.iter().enumerate() {
            if let Err(e) = r.email.parse::<lettre::Address>() {
                c.push(
                    format!("recipients[{i}].email"),
                    format!("{:?}: {e}", r.email),
                    None,
                );
            }
            if let Some(q) = &r.quiet_hours {
                if crate::notify::route::parse_quiet_hours(q).is_none() {
                    c.push(
                        format!("recipients[{i}].quiet_hours"),
                        format!("{q:?} is not a time range"),
                        Some("write it as \"22:00-07:00\""),
                    );
                }
            }
            if !["fr", "nl", "en"].contains(&r.language.as_str()) {
                c.push(
                    format!("recipients[{i}].language"),
                    format!("{:?} is not available", r.language),
                    Some("e-mails exist in \"fr\", \"nl\" and \"en\""),
                );
            }
        }
        if parse_hhmm(&digest.at).is_none() {
            c.push(
                "digest.at",
                format!("{:?} is not a time of day", digest.at),
                Some("write it as \"08:00\""),
            );
        }
        if digest.timezone.parse::<chrono_tz::Tz>().is_err() {
            c.push(
                "digest.timezone",
                format!("unknown time zone {:?}", digest.timezone),
                Some("use an IANA name such as \"Europe/Brussels\" or \"Europe/Paris\""),
            );
        }
        match classifier.backend.as_str() {
            "lexicon" => {}
            "bert" if cfg!(feature = "bert") => {}
            "bert" => c.push(
                "classifier.backend",
                "this vigie was built without the `bert` feature",
                Some("rebuild with `cargo build --release --features bert` (see models/README.md), or use \"lexicon\""),
            ),
            other => c.push(
                "classifier.backend",
                format!("unknown backend {other:?}"),
                Some("use \"lexicon\" or \"bert\""),
            ),
        }
        if !["calibrated", "published"].contains(&classifier.lexicon_weights.as_str())
            && !resolve_path(path, &classifier.lexicon_weights).is_dir()
        {
            c.push(
                "classifier.lexicon_weights",
                format!(
                    "{:?} is neither \"calibrated\", \"published\" nor a folder",
                    classifier.lexicon_weights
                ),
                Some("use \"calibrated\" (the default), \"published\", or the folder scripts/calibrate.py wrote"),
            );
        }
        if classifier.batch_size == 0 {
            c.push("classifier.batch_size", "must be at least 1", None);
        }
        if !(0.0..=1.0).contains(&classifier.topic_threshold) {
            c.push(
                "classifier.topic_threshold",
                "must be between 0 and 1",
                None,
            );
        }
        if !classifier.hypothesis.contains("{}") {
            c.push(
                "classifier.hypothesis",
                "must contain {} where the topic goes",
                Some("e.g. \"This text is about {}.\""),
            );
        }
        for task in classifier.models.keys() {
            if !["sentiment", "topics", "embeddings"].contains(&task.as_str()) {
                c.push(
                    format!("classifier.models.{task}"),
                    "unknown task",
                    Some("use sentiment, topics or embeddings"),
                );
            }
        }
        if classifier.backend == "bert" && !classifier.models.contains_key("sentiment") {
            c.push(
                "classifier.models.sentiment",
                "is required with backend = \"bert\"",
                Some("see `vigie models list`"),
            );
        }
        let mut topic_ids = std::collections::HashSet::new();
        for (i, t) in topics.iter().enumerate() {
            if t.id.trim().is_empty() {
                c.push(format!("topics[{i}].id"), "is empty", None);
            } else if !topic_ids.insert(t.id.clone()) {
                c.push(
                    format!("topics[{i}].id"),
                    format!("duplicate topic id {:?}", t.id),
                    None,
                );
            }
            if let Err(errs) = Matcher::new(&t.keywords, &[]) {
                for (p, e) in errs {
                    c.push(format!("topics[{i}].{p}"), e.to_string(), None);
                }
            }
        }

        if !c.errors.is_empty() {
            return Err(fail(c.errors));
        }
        Ok(Config {
            file: path.to_path_buf(),
            institution: institution.expect("checked above"),
            storage,
            fetch,
            sources,
            smtp,
            recipients,
            digest,
            classifier,
            topics,
            alerts,
            signals,
            escalation,
            web,
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
            languages: self.institution.languages.clone(),
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

fn list<T: DeserializeOwned>(c: &mut Collector, root: &toml::Table, key: &str) -> Vec<T> {
    match root.get(key) {
        None => Vec::new(),
        Some(toml::Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| c.section(&format!("{key}[{i}]"), v.clone()))
            .collect(),
        Some(_) => {
            c.push(
                key,
                "must be an array of tables",
                Some(&format!("write each entry as [[{key}]]")),
            );
            Vec::new()
        }
    }
}

fn check_storage_url(c: &mut Collector, u: &str) {
    if let Some(rest) = u.strip_prefix("sqlite://") {
        if rest.is_empty() {
            c.push(
                "storage.url",
                "sqlite:// needs a file path",
                Some("e.g. sqlite://vigie.db"),
            );
        }
    } else if u.starts_with("postgres://") || u.starts_with("postgresql://") {
        if url::Url::parse(u).is_err() {
            c.push(
                "storage.url",
                "is not a valid postgres URL",
                Some("postgres://user@host:5432/db"),
            );
        }
    } else {
        c.push(
            "storage.url",
            format!("unsupported storage {:?}", redact_url(u)),
            Some("use sqlite://PATH or postgres://user@host/db"),
        );
    }
}

fn check_smtp(c: &mut Collector, smtp: &Smtp) {
    if let Some(dir) = smtp.url.strip_prefix("file://") {
        if dir.is_empty() {
            c.push(
                "smtp.url",
                "file:// needs a folder",
                Some("e.g. file://outbox"),
            );
        }
    } else {
        match url::Url::parse(&smtp.url) {
            Ok(u) if matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some() => {
                if u.password().is_some() {
                    c.push(
                        "smtp.url",
                        "contains a password",
                        Some("remove it and set the VIGIE_SMTP_PASSWORD environment variable instead"),
                    );
                }
            }
            _ => c.push(
                "smtp.url",
                format!("{:?} is not an SMTP URL", redact_url(&smtp.url)),
                Some("smtp://host:587 (STARTTLS), smtps://host:465 (TLS) or file://DIR"),
            ),
        }
    }
    if smtp.from.parse::<lettre::message::Mailbox>().is_err() {
        c.push(
            "smtp.from",
            format!("{:?} is not an e-mail address", smtp.from),
            Some("e.g. \"vigie <vigie@example.org>\""),
        );
    }
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

    #[test]
    fn syntax_error_gives_line() {
        let e = parse("[institution\nname=1").unwrap_err();
        assert_eq!(e.errors[0].path, "(syntax)");
        assert!(e.errors[0].hint.as_deref().unwrap().contains("line 1"));
    }
}
