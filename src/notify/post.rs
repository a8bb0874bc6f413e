//! One mention as an e-mail line: title (or the start of the text), link, source,
//! language, tone in the reader's language, audience.

use std::collections::BTreeMap;

use serde::Serialize;

use super::i18n;
use crate::core::classification::SentimentLabel;
use crate::core::model::{Engagement, Mention};

/// A mention as shown in alerts and the digest.
#[derive(Debug, Clone, Serialize)]
pub struct Post {
    title: String,
    url: Option<String>,
    source: String,
    lang: String,
    sentiment: String,
    reach: Option<String>,
    /// "12 likes · 3 reposts · 1,204 views", the figures the platform gave.
    engagement: Option<String>,
}

impl Post {
    /// Renders `m` for a reader of `lang`, with `t` the reader's strings.
    pub fn of(m: &Mention, lang: &str, t: &BTreeMap<String, String>) -> Post {
        let word = match m.sentiment.map(|s| s.label) {
            Some(SentimentLabel::Negative) => "negative",
            Some(SentimentLabel::Positive) => "positive",
            _ => "neutral",
        };
        Post {
            title: crate::core::text::truncate(
                if m.title.is_empty() {
                    &m.text
                } else {
                    &m.title
                },
                160,
            ),
            // A link too long to be real is left out rather than cut into a wrong one.
            url: m
                .url
                .clone()
                .filter(|u| u.len() <= 2_048 && crate::core::text::is_web_link(u)),
            source: crate::core::text::truncate(&m.source, 100),
            lang: m.lang.clone(),
            sentiment: t.get(word).cloned().unwrap_or_else(|| word.to_string()),
            reach: m.reach.map(|n| i18n::number(n, lang)),
            engagement: engagement(&m.engagement, lang, t),
        }
    }
}

/// The figures the platform gave, each in the reader's words, or None when it gave none.
pub fn engagement(e: &Engagement, lang: &str, t: &BTreeMap<String, String>) -> Option<String> {
    let parts: Vec<String> = [
        ("likes", e.likes),
        ("reposts", e.reposts),
        ("replies", e.replies),
        ("quotes", e.quotes),
        ("views", e.views),
    ]
    .into_iter()
    .filter_map(|(key, n)| {
        let n = i18n::number(n?, lang);
        Some(match t.get(key) {
            Some(words) => words.replace("{n}", &n),
            None => format!("{n} {key}"),
        })
    })
    .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}
