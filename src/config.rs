//! Typed configuration, read from TOML and validated in one go: every problem is
//! reported together, each with its key path and a hint, before anything starts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::classify::Topic;
use crate::matching::Matcher;
use crate::sources::SourceConfig;

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
    /// Languages to identify (ISO 639-1); whatlang is restricted to these.
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
}

fn default_languages() -> Vec<String> {
    ["fr", "nl", "en", "de"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// `[storage]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// `sqlite://PATH` (relative to the config file) or `postgres://...`.
    #[serde(default = "default_storage_url")]
    pub url: String,
    /// Days after which citizens' personal data (author names, message bodies) is purged.
    #[serde(default = "default_retention")]
    pub retention_days: u32,
}

fn default_storage_url() -> String {
    "sqlite://vigie.db".into()
}
fn default_retention() -> u32 {
    365
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            url: default_storage_url(),
            retention_days: default_retention(),
        }
    }
}

/// `[fetch]`: how we talk to servers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fetch {
    /// Contact put in the User-Agent (an e-mail address or URL) so site owners can reach us.
    #[serde(default)]
    pub contact: Option<String>,
    /// Per-request timeout, e.g. "20s".
    #[serde(default = "default_timeout", with = "humantime_serde_compat")]
    pub timeout: Duration,
    /// Largest body accepted, in MiB.
    #[serde(default = "default_max_body")]
    pub max_body_mib: u64,
    /// Sources fetched at the same time.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Longest wait between retries of a failing source, e.g. "6h".
    #[serde(default = "default_max_backoff", with = "humantime_serde_compat")]
    pub max_backoff: Duration,
}

fn default_timeout() -> Duration {
    Duration::from_secs(20)
}
fn default_max_body() -> u64 {
    10
}
fn default_concurrency() -> usize {
    8
}
fn default_max_backoff() -> Duration {
    Duration::from_secs(6 * 3600)
}

impl Default for Fetch {
    fn default() -> Self {
        Fetch {
            contact: None,
            timeout: default_timeout(),
            max_body_mib: default_max_body(),
            concurrency: default_concurrency(),
            max_backoff: default_max_backoff(),
        }
    }
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

/// `[smtp]`
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    /// `smtp://host:port` (STARTTLS), `smtps://host:port` (TLS), or `file://DIR`.
    pub url: String,
    /// From address, e.g. `vigie <vigie@example.org>`.
    pub from: String,
    /// Login; the password comes from `VIGIE_SMTP_PASSWORD`, never from this file.
    #[serde(default)]
    pub username: Option<String>,
    /// How long a send attempt holds an e-mail before another worker (or a restart) may retry it.
    #[serde(default = "default_lease", with = "humantime_serde_compat")]
    pub lease: Duration,
    /// First retry delay after a temporary failure; doubles each time.
    #[serde(default = "default_retry_base", with = "humantime_serde_compat")]
    pub retry_base: Duration,
    /// Longest retry delay.
    #[serde(default = "default_retry_max", with = "humantime_serde_compat")]
    pub retry_max: Duration,
}

fn default_lease() -> Duration {
    Duration::from_secs(120)
}
fn default_retry_base() -> Duration {
    Duration::from_secs(30)
}
fn default_retry_max() -> Duration {
    Duration::from_secs(3600)
}

impl Smtp {
    /// Sender settings from this section.
    pub fn sender(&self) -> crate::notify::sender::SenderConfig {
        crate::notify::sender::SenderConfig {
            lease: self.lease,
            retry_base: self.retry_base,
            retry_max: self.retry_max,
            batch: 20,
        }
    }
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("url", &redact_url(&self.url))
            .field("from", &self.from)
            .field("username", &self.username)
            .finish()
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

/// `[[recipients]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// Person or team name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// "fr" | "nl" | "en": language of the e-mails this person gets.
    #[serde(default = "default_recipient_lang")]
    pub language: String,
    /// Receives alert e-mails.
    #[serde(default)]
    pub alerts: bool,
    /// Receives the daily digest.
    #[serde(default)]
    pub digest: bool,
    /// Local hours without non-critical alerts, e.g. "22:00-07:00".
    #[serde(default)]
    pub quiet_hours: Option<String>,
}

fn default_recipient_lang() -> String {
    "en".into()
}

/// `[digest]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digest {
    /// Local time of day, "HH:MM".
    #[serde(default = "default_digest_at")]
    pub at: String,
    /// IANA time zone, e.g. "Europe/Brussels".
    #[serde(default = "default_tz")]
    pub timezone: String,
    /// Send the digest every day (set false to only render it on demand).
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

fn default_digest_at() -> String {
    "08:00".into()
}
fn default_tz() -> String {
    "Europe/Brussels".into()
}

impl Default for Digest {
    fn default() -> Self {
        Digest {
            at: default_digest_at(),
            timezone: default_tz(),
            enabled: true,
        }
    }
}

/// `[classifier]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifierConfig {
    /// "lexicon" (default, no libtorch) or "bert" (cargo feature `bert`).
    #[serde(default = "default_backend")]
    pub backend: String,
    /// Largest batch handed to the model (bert; the lexicon backend takes its own, 500).
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Longest wait to fill a batch, e.g. "200ms".
    #[serde(default = "default_max_wait", with = "humantime_serde_compat")]
    pub max_wait: Duration,
    /// Folder holding the models (relative to the config file).
    #[serde(default = "default_models_dir")]
    pub models_dir: String,
    /// Model names per task, as in `vigie models list`: `sentiment`, `topics` (NLI) and
    /// `embeddings` (bert backend).
    #[serde(default)]
    pub models: BTreeMap<String, String>,
    /// Zero-shot topics: minimum entailment score for a topic to be kept (bert backend).
    #[serde(default = "default_topic_threshold")]
    pub topic_threshold: f32,
    /// Zero-shot topics: the NLI hypothesis, `{}` standing for the topic's description.
    #[serde(default = "default_hypothesis")]
    pub hypothesis: String,
    /// Lexicon backend: "calibrated" (default: the published lexicons with the polarities
    /// calibrated on labelled reviews), "published" (the lexicons as published), or a
    /// folder of `LANG.tsv` files written by scripts/calibrate.py (relative to the config).
    #[serde(default = "default_lexicon_weights")]
    pub lexicon_weights: String,
}

fn default_lexicon_weights() -> String {
    "calibrated".into()
}

fn default_topic_threshold() -> f32 {
    0.5
}
fn default_hypothesis() -> String {
    "This text is about {}.".into()
}

fn default_backend() -> String {
    "lexicon".into()
}
fn default_batch() -> usize {
    16
}
fn default_max_wait() -> Duration {
    Duration::from_millis(200)
}
fn default_models_dir() -> String {
    "../models".into()
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            backend: default_backend(),
            batch_size: default_batch(),
            max_wait: default_max_wait(),
            models_dir: default_models_dir(),
            models: BTreeMap::new(),
            topic_threshold: default_topic_threshold(),
            hypothesis: default_hypothesis(),
            lexicon_weights: default_lexicon_weights(),
        }
    }
}

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
    pub signals: crate::signals::crisis::SignalsConfig,
    /// `[escalation]`: working-day clocks and legal deadlines.
    pub escalation: crate::escalation::store::EscalationConfig,
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
        let signals: crate::signals::crisis::SignalsConfig = get("signals")
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
        let escalation: crate::escalation::store::EscalationConfig = get("escalation")
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
                if crate::classify::language::lang_from_code(l).is_none() {
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

    /// The configured time zone (`[digest] timezone`, validated).
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

/// Parses "HH:MM".
pub fn parse_hhmm(s: &str) -> Option<chrono::NaiveTime> {
    chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
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
        assert_eq!(c.fetch.timeout, Duration::from_secs(20));
        assert_eq!(c.institution.languages, vec!["fr", "nl", "en", "de"]);
        assert_eq!(c.sources[0].every(), Duration::from_secs(900));
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

    #[test]
    fn smtp_debug_hides_password() {
        let s = Smtp {
            url: "smtp://user:hunter2@mail.example.org:587".into(),
            from: "a@b.c".into(),
            username: None,
            lease: default_lease(),
            retry_base: default_retry_base(),
            retry_max: default_retry_max(),
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
