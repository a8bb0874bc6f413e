//! The checks of each section once it is read: one function per section, each adding
//! its problems (with key paths and hints) to the collector.

use std::path::Path;

use super::{
    parse_hhmm, redact_url, resolve_path, ClassifierConfig, Collector, Digest, Fetch, Institution,
    Recipient, Smtp,
};
use crate::core::classification::Topic;
use crate::core::matching::Matcher;
use crate::sources::SourceConfig;

/// `[institution]`: a name, keywords that compile, known languages. Returns the matcher.
pub(super) fn institution(c: &mut Collector, inst: &Institution) -> Option<Matcher> {
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
    if inst.language_detector == crate::core::language::Method::Lingua {
        for (i, l) in inst.languages.iter().enumerate() {
            if crate::core::language::lang_from_code(l).is_some()
                && crate::core::language::lingua_from_code(l).is_none()
            {
                c.push(
                    format!("institution.languages[{i}]"),
                    format!("lingua has no model for {l:?} in this build"),
                    Some(&*format!(
                        "language_detector = \"lingua\" knows {}; use \"combined\" or \"whatlang\"",
                        crate::core::language::lingua_codes().join(", ")
                    )),
                );
            }
        }
    }
    match Matcher::new(&inst.keywords, &inst.exclude) {
        Ok(m) => Some(m),
        Err(errs) => {
            for (p, e) in errs {
                c.push(
                    format!("institution.{p}"),
                    e.to_string(),
                    Some("quote phrases, use AND / OR / NOT in capitals, balance parentheses"),
                );
            }
            None
        }
    }
}

/// `[fetch]`: room for at least one request and one byte.
pub(super) fn fetch(c: &mut Collector, fetch: &Fetch) {
    if fetch.concurrency == 0 {
        c.push("fetch.concurrency", "must be at least 1", None);
    }
    if fetch.max_body_mib == 0 {
        c.push("fetch.max_body_mib", "must be at least 1", None);
    }
    if fetch.max_items == 0 {
        c.push("fetch.max_items", "must be at least 1", None);
    }
    for host in fetch.resolve.keys() {
        if !matches!(url::Host::parse(host), Ok(url::Host::Domain(_))) {
            c.push(
                format!("fetch.resolve.{host}"),
                "is not a host name",
                Some("e.g. resolve = { \"feeds.intranet.example\" = \"10.1.2.3\" }"),
            );
        }
    }
}

/// `[[sources]]` together: unique names, at most one webhook.
pub(super) fn sources(c: &mut Collector, sources: &[SourceConfig]) {
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
}

/// `[[recipients]]`: e-mail needs `[smtp]`; addresses, quiet hours and languages valid.
pub(super) fn recipients(c: &mut Collector, recipients: &[Recipient], has_smtp: bool) {
    let wants_mail = recipients.iter().any(|r| r.alerts || r.digest);
    if wants_mail && !has_smtp {
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
}

/// `[digest]`: a time of day and a time zone.
pub(super) fn digest(c: &mut Collector, digest: &Digest) {
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
}

/// `[classifier]`: a backend this build has, weights that exist, sane numbers, known
/// model tasks. `path` is the config file (relative weight folders are under it).
pub(super) fn classifier(c: &mut Collector, classifier: &ClassifierConfig, path: &Path) {
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
    classifier_models(c, classifier);
}

fn classifier_models(c: &mut Collector, classifier: &ClassifierConfig) {
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
}

/// `[[topics]]`: unique, non-empty ids and keywords that compile.
pub(super) fn topics(c: &mut Collector, topics: &[Topic]) {
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
}

/// `[storage] url`: a SQLite path or a PostgreSQL URL.
pub(super) fn storage_url(c: &mut Collector, u: &str) {
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

/// `[smtp]`: an SMTP URL without a password in it, or a folder; a sender address.
pub(super) fn smtp(c: &mut Collector, smtp: &Smtp) {
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
                if let Err(e) = smtp.transport_url() {
                    c.push("smtp.url", e, None);
                }
            }
            _ => c.push(
                "smtp.url",
                format!("{:?} is not an SMTP URL", redact_url(&smtp.url)),
                Some("smtp://host:587 (STARTTLS required), smtps://host:465 (TLS) or file://DIR"),
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
