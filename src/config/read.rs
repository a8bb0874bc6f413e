//! Reading `[section]`s into their types, in order, with the checks that span sections
//! (alert routes name recipients, a webhook needs `[web]`) done as soon as both are read.

use serde::de::DeserializeOwned;

use super::{
    ClassifierConfig, Collector, Digest, Fetch, Institution, Recipient, Smtp, Storage,
    KNOWN_SECTIONS,
};
use crate::core::classification::Topic;
use crate::core::matching::Matcher;
use crate::detect::crisis::SignalsConfig;
use crate::escalate::EscalationConfig;
use crate::notify::alerts::AlertsConfig;
use crate::sources::SourceConfig;
use crate::web::WebConfig;

/// Every section as read, before the per-section checks; a section that could not be
/// read is its default (its problem is already collected).
pub(super) struct Sections {
    pub institution: Option<Institution>,
    pub storage: Storage,
    pub fetch: Fetch,
    pub smtp: Option<Smtp>,
    pub digest: Digest,
    pub classifier: ClassifierConfig,
    pub sources: Vec<SourceConfig>,
    pub recipients: Vec<Recipient>,
    pub alerts: AlertsConfig,
    pub signals: SignalsConfig,
    pub escalation: EscalationConfig,
    pub web: Option<WebConfig>,
    pub topics: Vec<Topic>,
}

/// Reads every section of `root`, collecting what is unknown or malformed.
/// `need_sources`: a config without `[[sources]]` is an error (the daemon's).
pub(super) fn sections(c: &mut Collector, root: &toml::Table, need_sources: bool) -> Sections {
    unknown_sections(c, root);
    let institution = institution(c, root);
    let storage = or_default(c, root, "storage");
    let fetch = or_default(c, root, "fetch");
    let smtp = optional(c, root, "smtp");
    let digest = or_default(c, root, "digest");
    let classifier = or_default(c, root, "classifier");
    let sources = sources(c, root, need_sources);
    let recipients: Vec<Recipient> = list(c, root, "recipients");
    let alerts = alerts(c, root, &recipients);
    let signals = signals(c, root);
    let escalation: EscalationConfig = or_default(c, root, "escalation");
    for (path, msg) in escalation.problems() {
        c.push(path, msg, None);
    }
    for name in escalation.accounts.keys() {
        if !sources.iter().any(|s| s.name() == name) {
            c.push(
                format!("escalation.accounts.{name}"),
                "no source has this name",
                Some("key each list of account ids by a [[sources]] name"),
            );
        }
    }
    let web = web(c, root, &sources);
    if alerts.max_per_hour < 1 {
        c.push("alerts.max_per_hour", "must be at least 1", None);
    }
    let topics = list(c, root, "topics");
    Sections {
        institution,
        storage,
        fetch,
        smtp,
        digest,
        classifier,
        sources,
        recipients,
        alerts,
        signals,
        escalation,
        web,
        topics,
    }
}

fn unknown_sections(c: &mut Collector, root: &toml::Table) {
    for key in root.keys() {
        if !KNOWN_SECTIONS.contains(&key.as_str()) {
            c.push(
                key.clone(),
                "unknown section",
                Some(&format!("known sections: {}", KNOWN_SECTIONS.join(", "))),
            );
        }
    }
}

/// A section that may be left out, read as its default then.
fn or_default<T: DeserializeOwned + Default>(
    c: &mut Collector,
    root: &toml::Table,
    key: &str,
) -> T {
    optional(c, root, key).unwrap_or_default()
}

/// A section that may be left out, None then (or when it cannot be read).
fn optional<T: DeserializeOwned>(c: &mut Collector, root: &toml::Table, key: &str) -> Option<T> {
    root.get(key).cloned().and_then(|v| c.section(key, v))
}

fn institution(c: &mut Collector, root: &toml::Table) -> Option<Institution> {
    match root.get("institution").cloned() {
        Some(v) => c.section("institution", v),
        None => {
            c.push(
                "institution",
                "missing section",
                Some("add [institution] with name and keywords"),
            );
            None
        }
    }
}

fn sources(c: &mut Collector, root: &toml::Table, needed: bool) -> Vec<SourceConfig> {
    let mut sources = Vec::new();
    match root.get("sources").cloned() {
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
        None if needed => c.push(
            "sources",
            "no source configured",
            Some("add at least one [[sources]] block"),
        ),
        None => {}
    }
    sources
}

/// `[alerts]`; each route must name one of the `[[recipients]]`.
fn alerts(c: &mut Collector, root: &toml::Table, recipients: &[Recipient]) -> AlertsConfig {
    let alerts: AlertsConfig = or_default(c, root, "alerts");
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
    alerts
}

fn signals(c: &mut Collector, root: &toml::Table) -> SignalsConfig {
    let signals: SignalsConfig = or_default(c, root, "signals");
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
    signals
}

/// `[web]`, which a webhook source needs (it is served on the web listener).
fn web(c: &mut Collector, root: &toml::Table, sources: &[SourceConfig]) -> Option<WebConfig> {
    let web: Option<WebConfig> = optional(c, root, "web");
    for (path, msg) in web.iter().flat_map(|w| w.problems()) {
        c.push(path, msg, None);
    }
    if web.is_none() {
        for (i, s) in sources.iter().enumerate() {
            if matches!(s, SourceConfig::Webhook(_)) {
                c.push(
                    format!("sources[{i}].kind"),
                    "a webhook is served on the web listener, and there is no [web] section",
                    Some("add [web] listen = \"127.0.0.1:8080\" (POST /ingest is served there)"),
                );
            }
        }
    }
    web
}

/// `[[key]]` entries, each read on its own so that every bad one is reported.
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
